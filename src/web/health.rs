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
    HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(serde_json::json!({
        "status": "ok",
        "database": database,
        "data_version": snapshot.version,
        "stations": snapshot.public_count(),
        "panics": state.panics.count(),
    }))
}
