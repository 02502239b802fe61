//! The routes of every audience assembled on one server, with the middleware every
//! answer passes through. The only module that knows every audience: they sit below
//! it and never import each other.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{Compress, Condition, DefaultHeaders, ErrorHandlers, Next, from_fn};
use actix_web::{App, HttpServer, web};
use tracing_actix_web::TracingLogger;

use super::routes::{self, Table};
use super::state::{AppState, MAX_BODY, Tiles};
use super::{
    admin, api, deadline, files, health, methods, metrics, panics, photos, public, render, request_log, supervise,
};

/// How long a stopping server waits for requests in flight: an upload body's own time
/// limit and ten seconds to store it (the systemd unit's `TimeoutStopSec` is longer).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(photos::UPLOAD_TIMEOUT.as_secs() + 10);

/// HSTS when the site is served over HTTPS: a year, with subdomains.
const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Paths whose answers are private (staff and supervisor pages, invite links, a worker's receipt).
fn is_private(path: &str) -> bool {
    path == "/admin"
        || path.starts_with("/admin/")
        || path == "/supervise"
        || path.starts_with("/supervise/")
        || path.starts_with("/invite/")
        || path.starts_with("/feedback/")
}

/// Middleware: private answers are never stored by a browser or a cache.
async fn no_store_private(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let private = is_private(req.path());
    let mut res = next.call(req).await?;
    if private {
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

/// The security headers every response carries (`blob:` images: the preview of a
/// photo chosen in a form, drawn from the file on the phone).
fn security_headers(tiles: &Tiles) -> DefaultHeaders {
    let csp = format!(
        "default-src 'self'; img-src 'self' data: blob: {}; style-src 'self'; script-src 'self'; object-src 'none'; \
         base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
        tiles.csp_source()
    );
    DefaultHeaders::new()
        .add(("Content-Security-Policy", csp))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "strict-origin-when-cross-origin"))
        .add(("Permissions-Policy", "geolocation=(self), camera=(), microphone=()"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
}

/// Every route of the site, in the order they are matched: the audiences', then the
/// health checks and files that belong to none.
pub fn table() -> Table {
    let mut t = Table::default();
    public::routes(&mut t);
    admin::routes(&mut t);
    supervise::routes(&mut t);
    api::routes(&mut t);
    t.open()
        .get("/healthz", health::healthz)
        .get("/readyz", health::readyz)
        .get("/photos/{hash}/{file}", files::photo)
        .get("/static/{path:.*}", files::asset)
        .get("/sw.js", files::service_worker);
    t
}

/// The metrics listener: `GET /metrics` only, one worker.
pub fn metrics_server(listener: TcpListener, state: AppState) -> std::io::Result<Server> {
    let data = web::Data::new(state);
    Ok(HttpServer::new(move || App::new().app_data(data.clone()).route("/metrics", web::get().to(health::metrics)))
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run())
}

/// The HTTP server on an already bound listener.
pub fn server(listener: TcpListener, state: AppState, workers: usize) -> std::io::Result<Server> {
    let tiles = state.tiles.clone();
    let hsts = state.secure_cookies;
    let panics = web::Data::from(state.panics.clone());
    let metrics = web::Data::from(state.metrics.clone());
    let body_deadline = web::Data::new(deadline::BodyDeadline(state.body_timeout));
    let head_timeout = state.head_timeout;
    let data = web::Data::new(state);
    let allowed = web::Data::new(table().allowed());
    // What one audience keeps, made once for every worker.
    let stats = web::Data::new(public::stats::cache());
    let bulletins = web::Data::new(public::bulletin::Cache::default());
    let exports = web::Data::new(api::export::Exports::default());
    let offline = web::Data::new(api::offline::Files::default());
    let mut server = HttpServer::new(move || {
        // Innermost first: a panic is caught before the error page is drawn, and the
        // method is settled before routing.
        App::new()
            .app_data(data.clone())
            .app_data(stats.clone())
            .app_data(bulletins.clone())
            .app_data(exports.clone())
            .app_data(offline.clone())
            .app_data(allowed.clone())
            .app_data(panics.clone())
            .app_data(metrics.clone())
            .app_data(body_deadline.clone())
            .app_data(web::PayloadConfig::new(MAX_BODY))
            .app_data(web::FormConfig::default().limit(MAX_BODY))
            .wrap(from_fn(panics::catch))
            .wrap(ErrorHandlers::new().default_handler(render::error_page))
            .wrap(from_fn(no_store_private))
            .wrap(Compress::default())
            .wrap(security_headers(&tiles))
            .wrap(Condition::new(hsts, DefaultHeaders::new().add((header::STRICT_TRANSPORT_SECURITY, HSTS))))
            .wrap(from_fn(deadline::body_deadline))
            .wrap(from_fn(methods::head_as_get))
            .wrap(TracingLogger::<request_log::RequestSpan>::new())
            .wrap(from_fn(metrics::record))
            .configure(|cfg| table().register(cfg))
            .default_service(web::to(routes::unmatched))
    })
    .client_request_timeout(head_timeout)
    .client_disconnect_timeout(Duration::from_secs(1))
    // On SIGTERM, requests in flight are answered first: as long as an upload may take.
    .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
    .listen(listener)?;
    if workers > 0 {
        server = server.workers(workers);
    }
    Ok(server.run())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::routes::{Access, Method, SIGN_IN};

    /// Read from the table, not the source: every page under `/admin` or `/supervise`
    /// is behind its sign-in but the pages that sign someone in, and the only POSTs
    /// that do not read a `Posted` form are the three uploads.
    #[test]
    fn every_signed_in_page_is_guarded_and_every_post_is_a_form() {
        let t = table();
        assert!(t.listed().len() > 100, "{}", t.listed().len());
        for l in t.listed() {
            let under = |p: &str| l.path == p || l.path.starts_with(&format!("{p}/"));
            let expected = if SIGN_IN.contains(&l.path.as_str()) {
                Access::Open
            } else if under("/admin") {
                Access::Staff
            } else if under("/supervise") {
                Access::Supervisor
            } else {
                Access::Open
            };
            assert_eq!(l.access, expected, "{}", l.path);
        }
        let uploads: Vec<&str> =
            t.listed().iter().filter(|l| l.method == Method::Upload).map(|l| l.path.as_str()).collect();
        assert_eq!(uploads, ["/admin/ledger/import", "/admin/stations/{id}/photos", "/supervise/stations/{id}/report"]);
    }

    #[test]
    fn allow_lists_the_methods_of_a_path() {
        let allowed = table().allowed();
        assert_eq!(allowed.of("/"), Some("GET, HEAD"));
        assert_eq!(allowed.of("/stations/12"), Some("GET, HEAD"));
        assert_eq!(allowed.of("/stations/12/feedback"), Some("POST"));
        assert_eq!(allowed.of("/admin/login"), Some("GET, HEAD, POST"));
        assert_eq!(allowed.of("/admin/feedback/bulk"), Some("GET, HEAD, POST"));
        assert_eq!(allowed.of("/static/app.css"), Some("GET, HEAD"));
        assert_eq!(allowed.of("/nothing/here"), None);
        assert_eq!(allowed.of("/stations/1/2/3"), None);
    }

    #[test]
    #[should_panic(expected = "signed-in page")]
    fn a_staff_page_cannot_be_mounted_open() {
        async fn page() -> &'static str {
            ""
        }
        Table::default().open().get("/admin/secret", page);
    }
}
