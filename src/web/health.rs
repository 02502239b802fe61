//! `GET /healthz`: for load balancers and people on call.

use std::time::Duration;

use actix_web::{HttpResponse, get, web};

use super::AppState;

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
#[get("/readyz")]
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
#[get("/healthz")]
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
