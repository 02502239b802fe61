//! The log line of each request. tracing-actix-web's default span records the
//! client address from `Forwarded`/`X-Forwarded-For` and the host from
//! `X-Forwarded-Host` whatever the settings say, so a client could write what the
//! log shows; this span records the address the app itself believes (see
//! [`super::forms::client_ip`]'s rule) and no forwarded header.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, web};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder};

use crate::web::state::AppState;

/// The root span of a request.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let peer = request.peer_addr().map(|a| a.ip());
        let client = match request.app_data::<web::Data<AppState>>() {
            Some(state) => super::forms::client_from(peer, request.headers(), state),
            None => peer,
        };
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.target = %request.uri().path_and_query().map(|p| p.as_str()).unwrap_or(""),
            http.client_ip = %client.map(|ip| ip.to_string()).unwrap_or_default(),
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}
