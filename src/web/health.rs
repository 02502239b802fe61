//! `GET /healthz`: for load balancers and people on call.

use actix_web::{HttpResponse, get, web};

use super::AppState;

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
