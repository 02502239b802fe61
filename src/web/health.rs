//! `GET /healthz`: for load balancers and people on call.

use std::time::Duration;

use actix_web::{HttpResponse, web};

use prometheus::{Encoder, TextEncoder};

use crate::web::state::{AppState, LEDGER_AT_ONCE};

/// Whether writes succeed: `ok`, or the last failure (when, what kind) until a write
/// commits again.
fn write_state(state: &AppState) -> serde_json::Value {
    match state.store.last_write_failure() {
        None => serde_json::json!("ok"),
        Some(f) => serde_json::json!({
            "status": "failing",
            "last_failure_at": chrono::DateTime::from_timestamp(f.at, 0).map(|t| t.to_rfc3339()),
            "last_failure_kind": f.kind.key(),
        }),
    }
}

/// `GET /readyz`: 200 when the database answers within a second and the data version
/// was read no longer ago than three poll intervals; else 503 with the reasons. Write
/// failures are reported, not counted against readiness: reads go on from the snapshot.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let mut reasons = Vec::new();
    match tokio::time::timeout(Duration::from_secs(1), state.store.ping()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => reasons.push(format!("the database does not answer: {e}")),
        Err(_) => reasons.push("the database did not answer within 1 s".to_string()),
    }
    let limit = state.updater.interval * 3;
    let since = state.updater.since_poll();
    match since {
        Some(age) if age <= limit => {}
        Some(age) => reasons.push(format!(
            "the data version was last read {} s ago (more than three poll intervals, {} s)",
            age.as_secs(),
            limit.as_secs()
        )),
        None => reasons.push("the data version has not been read yet".to_string()),
    }
    let ready = reasons.is_empty();
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "not_ready" },
        "reasons": reasons,
        "data_version": state.snapshot.load().version,
        "last_poll_seconds_ago": since.map(|d| d.as_secs_f64()),
        "writes": write_state(&state),
    });
    let mut res = if ready { HttpResponse::Ok() } else { HttpResponse::ServiceUnavailable() };
    res.insert_header(("Cache-Control", "no-store")).json(body)
}

/// 200 while the snapshot serves reads; says whether the database answers too.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let snapshot = state.snapshot.load();
    let database = match state.store.ping().await {
        Ok(()) => "ok",
        Err(e) => {
            tracing::warn!(error = %e, "health check: database does not answer");
            "unreachable"
        }
    };
    let calendar = &snapshot.calendar;
    let mut body = serde_json::json!({
        "status": "ok",
        "database": database,
        "writes": write_state(&state),
        "data_version": snapshot.version,
        "stations": snapshot.public_count(),
        "holiday_years": calendar.years().collect::<Vec<_>>(),
        "panics": state.panics.count(),
    });
    // From 1 December of the last loaded year: load the next one before it runs out.
    if let Some((last_year, last_day)) = calendar.ending(state.clock.today()) {
        let last_day = last_day.map(|d| d.format("%Y-%m-%d").to_string());
        body["warnings"] = serde_json::json!([{
            "code": "holiday_calendar_ending",
            "last_loaded_year": last_year,
            "last_known_day": last_day,
            "message": match (last_year, &last_day) {
                (Some(y), Some(d)) => format!(
                    "the public-holiday calendar is loaded up to {y} (decided up to {d}); load {} with `yizhan holidays import` or at /admin/calendar",
                    y + 1
                ),
                _ => "no public-holiday calendar is loaded".to_string(),
            },
        }]);
    }
    HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(body)
}

/// `GET /metrics` on the metrics address.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let m = &state.metrics;
    let snapshot = state.snapshot.load();
    m.stations.set(snapshot.public_count() as i64);
    m.version.set(snapshot.version);
    m.snapshot_age.set(snapshot.age().as_secs_f64());
    m.snapshot_reloads.set(state.updater.reloads() as i64);
    m.poll_age.set(state.updater.since_poll().map(|d| d.as_secs_f64()).unwrap_or(f64::NAN));
    let (open, idle) = state.store.pool_state();
    m.pool_size.set(i64::from(open));
    m.pool_in_use.set(i64::from(open) - idle as i64);
    m.write_failures.set(state.store.write_failures() as i64);
    m.upload_slots.set(state.photos.in_use() as i64);
    m.photo_memory.set(i64::from(state.photos.memory_in_use_mb()));
    m.ledger_slots.set((LEDGER_AT_ONCE - state.ledger.available_permits()) as i64);
    m.panics.set(state.panics.count() as i64);
    match state.store.moderation_backlog().await {
        Ok(items) => {
            for (kind, n) in items {
                m.backlog.with_label_values(&[kind]).set(n);
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: the moderation backlog could not be counted"),
    }
    let mut out = Vec::new();
    if let Err(e) = TextEncoder::new().encode(&m.registry.gather(), &mut out) {
        return HttpResponse::InternalServerError().body(e.to_string());
    }
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(out)
}
