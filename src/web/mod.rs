//! HTTP: routes grouped by audience, one error type, one way to render a page.

pub mod admin;
pub mod api;
pub mod assets;
pub mod auth;
pub mod deadline;
pub mod error;
pub mod feedback;
pub mod forms;
pub mod health;
pub mod i18n;
pub mod icons;
pub mod methods;
pub mod metrics;
pub mod page;
pub mod panics;
pub mod passwords;
pub mod photos;
pub mod proxy;
pub mod public;
pub mod qr;
pub mod redirect;
pub mod request_log;
pub mod supervise;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{Compress, Condition, DefaultHeaders, ErrorHandlers, Next, from_fn};
use actix_web::{App, HttpServer, web};
use arc_swap::ArcSwap;
use tracing_actix_web::TracingLogger;

use crate::clock::Clock;
use crate::domain::geo::Datum;
use crate::snapshot::{Board, Snapshot};
use crate::store::Store;

/// The map's tile layer, from configuration.
#[derive(Debug, Clone)]
pub struct Tiles {
    pub url: String,
    pub attribution: String,
    pub datum: Datum,
}

impl Tiles {
    /// Checks the configured values.
    pub fn new(url: &str, attribution: &str, datum: &str) -> Result<Tiles, String> {
        let datum = match Datum::parse(datum) {
            Some(d @ (Datum::Wgs84 | Datum::Gcj02)) => d,
            _ => return Err(format!("YIZHAN_TILE_DATUM must be wgs84 or gcj02, not {datum:?}")),
        };
        if !url.starts_with("https://") && !url.starts_with("http://") {
            return Err(format!("YIZHAN_TILE_URL must be an http(s) URL template, not {url:?}"));
        }
        Ok(Tiles { url: url.into(), attribution: attribution.into(), datum })
    }

    /// The origin for the Content-Security-Policy ("https://*.tile.example" for `{s}` hosts).
    pub fn csp_source(&self) -> String {
        let (scheme, rest) = self.url.split_once("://").unwrap_or(("https", &self.url));
        let host = rest.split('/').next().unwrap_or_default().replace("{s}", "*");
        format!("{scheme}://{host}")
    }
}

/// Per-address rate limiter of the public forms.
pub type Limiter = governor::DefaultKeyedRateLimiter<std::net::IpAddr>;

/// Settings of sessions, cookies and public forms.
#[derive(Clone)]
pub struct WebOptions {
    /// Signs cookies; every instance sharing a database must use the same.
    pub key: actix_web::cookie::Key,
    /// Mark cookies `Secure` (the site is served over HTTPS).
    pub secure_cookies: bool,
    /// Take the client address from `X-Forwarded-For` (behind a trusted proxy).
    pub trust_proxy: bool,
    /// The proxies whose `X-Forwarded-For` is read.
    pub trusted_proxies: proxy::TrustedProxies,
    /// The site's address for links the app writes, without a trailing slash.
    pub public_url: String,
    /// Whether `YIZHAN_PUBLIC_URL` was set; when not, `public_url` is the bind address
    /// and printed QR codes would lead nowhere, which print pages and posters say.
    pub public_url_set: bool,
    /// Feedback posts allowed per address and hour.
    pub feedback_per_hour: u32,
    /// Login attempts allowed per address in 15 minutes.
    pub login_per_15_min: u32,
    /// Time a client has to send a request head, and a request body.
    pub head_timeout: Duration,
    pub body_timeout: Duration,
}

/// `n` per 15 minutes, all of them at once if need be.
fn per_15_min(n: u32) -> governor::Quota {
    let n = std::num::NonZeroU32::new(n.max(1)).unwrap_or(std::num::NonZeroU32::MIN);
    let every = Duration::from_secs(15 * 60) / n.get();
    governor::Quota::with_period(every.max(Duration::from_millis(1)))
        .unwrap_or_else(|| governor::Quota::per_second(n))
        .allow_burst(n)
}

/// Everything a handler needs.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub snapshot: Arc<ArcSwap<Snapshot>>,
    /// Keeps `snapshot` current, one update at a time.
    pub updater: Arc<crate::snapshot::Updater>,
    pub board: Arc<ArcSwap<Board>>,
    pub clock: Clock,
    pub assets: Arc<assets::AssetUrls>,
    pub tiles: Arc<Tiles>,
    pub key: actix_web::cookie::Key,
    pub secure_cookies: bool,
    pub trust_proxy: bool,
    pub trusted_proxies: Arc<proxy::TrustedProxies>,
    /// The site's address for links the app writes, without a trailing slash.
    pub public_url: Arc<str>,
    /// Whether `YIZHAN_PUBLIC_URL` was set (see [`WebOptions::public_url_set`]).
    pub public_url_set: bool,
    pub feedback_limiter: Arc<Limiter>,
    /// Login attempts per client address.
    pub login_limiter: Arc<Limiter>,
    /// Failed logins of usernames that do not exist.
    pub unknown_logins: Arc<admin::attempts::UnknownNames>,
    /// The password hashing threads (login, invites, password changes).
    pub hasher: Arc<passwords::Hasher>,
    /// Kept whole exports and the permits of filtered ones.
    pub exports: Arc<api::export::Exports>,
    /// Requests that panicked since the start.
    pub panics: Arc<panics::Panics>,
    /// Request counts and latencies, and what `/metrics` reads.
    pub metrics: Arc<metrics::Metrics>,
    /// Photo conversions, a few at a time.
    pub photos: Arc<photos::Converter>,
    /// Ledger files being received (see `admin::ledger::BODIES_AT_ONCE`).
    pub ledger_bodies: Arc<tokio::sync::Semaphore>,
    /// Ledger imports and exports in progress (see `admin::ledger::AT_ONCE`).
    pub ledger: Arc<tokio::sync::Semaphore>,
    /// Printed lists being drawn (see `public::print::AT_ONCE`).
    pub prints: Arc<tokio::sync::Semaphore>,
    /// Monthly bulletins computed (see `public::bulletin::Cache`).
    pub bulletins: Arc<public::bulletin::Cache>,
    /// The figures of `/stats` (see `public::stats::Cache`).
    pub stats: Arc<public::stats::Cache>,
    pub head_timeout: Duration,
    pub body_timeout: Duration,
}

impl AppState {
    pub fn new(
        store: Store,
        updater: Arc<crate::snapshot::Updater>,
        board: Arc<ArcSwap<Board>>,
        clock: Clock,
        tiles: Tiles,
        options: WebOptions,
    ) -> AppState {
        let per_hour = std::num::NonZeroU32::new(options.feedback_per_hour.max(1)).unwrap_or(std::num::NonZeroU32::MIN);
        AppState {
            store,
            snapshot: updater.snapshot.clone(),
            updater,
            board,
            clock,
            assets: Arc::new(assets::AssetUrls::new()),
            tiles: Arc::new(tiles),
            key: options.key,
            secure_cookies: options.secure_cookies,
            trust_proxy: options.trust_proxy,
            trusted_proxies: Arc::new(options.trusted_proxies),
            public_url: options.public_url.trim_end_matches('/').into(),
            public_url_set: options.public_url_set,
            feedback_limiter: Arc::new(governor::RateLimiter::keyed(governor::Quota::per_hour(per_hour))),
            login_limiter: Arc::new(governor::RateLimiter::keyed(per_15_min(options.login_per_15_min))),
            unknown_logins: Arc::default(),
            hasher: Arc::new(passwords::Hasher::new(0)),
            exports: Arc::default(),
            panics: Arc::new(panics::Panics::default()),
            photos: Arc::default(),
            metrics: Arc::default(),
            ledger: admin::ledger::permits(),
            ledger_bodies: Arc::new(tokio::sync::Semaphore::new(admin::ledger::BODIES_AT_ONCE)),
            prints: Arc::new(tokio::sync::Semaphore::new(public::print::AT_ONCE)),
            bulletins: Arc::default(),
            stats: Arc::default(),
            head_timeout: options.head_timeout,
            body_timeout: options.body_timeout,
        }
    }

    /// Shows this instance's writes at once (the writer sees them on the next page;
    /// other instances follow on their next poll): what they changed is patched into the
    /// snapshot, anything else reloads it; see [`crate::snapshot::Updater`].
    pub async fn catch_up(&self) -> Result<(), crate::store::StoreError> {
        self.updater.catch_up().await.map(|_| ())
    }

    /// [`AppState::catch_up`] after a write that committed: the write is durable and is
    /// answered as done even when the snapshot cannot follow at once (the next poll does).
    pub async fn show_writes(&self) {
        if let Err(e) = self.catch_up().await {
            tracing::warn!(error = %e, "the snapshot could not follow a write now; the next poll will");
        }
    }

    /// Reloads the public feedback now (after a moderation step or a "closed" report).
    pub async fn reload_board(&self) -> Result<(), crate::store::StoreError> {
        let fresh = crate::snapshot::load_board(&self.store, self.clock.now()).await?;
        self.board.store(Arc::new(fresh));
        Ok(())
    }

    /// [`AppState::reload_board`] after a write that committed (see [`AppState::show_writes`]).
    pub async fn show_board(&self) {
        if let Err(e) = self.reload_board().await {
            tracing::warn!(error = %e, "the public feedback could not follow a write now; the next poll will");
        }
    }
}

/// How long a stopping server waits for requests in flight: an upload body's own time
/// limit and ten seconds to store it (the systemd unit's `TimeoutStopSec` is longer).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(photos::UPLOAD_TIMEOUT.as_secs() + 10);

/// Largest request body accepted anywhere.
pub const MAX_BODY: usize = 64 * 1024;

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

/// Registers every route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(public::home::page)
        .service(public::stations::list)
        .service(public::station::page)
        .service(public::station::by_code)
        .service(public::stats::page)
        .service(public::showcase::list)
        .service(public::showcase::station)
        .service(public::bulletin::months)
        .service(public::bulletin::city)
        .service(public::bulletin::district)
        .service(public::lang::switch)
        .service(public::map::page)
        .service(public::near::page)
        .service(public::open_data::page)
        .configure(public::print::routes)
        .service(public::suggestions::page)
        .service(feedback::submit)
        // Before `/feedback/{receipt}`, which would take "mine" for a receipt.
        .service(feedback::mine)
        .service(feedback::show_receipt)
        .configure(admin::routes)
        .configure(supervise::routes)
        .service(api::map::features)
        .service(api::export::geojson)
        .service(api::export::csv)
        .service(api::hours::hours)
        .service(api::stations::list)
        .service(health::healthz)
        .service(health::readyz)
        .service(photos::serve)
        .service(assets::serve);
}

/// The metrics listener: `GET /metrics` only, one worker.
pub fn metrics_server(listener: TcpListener, state: AppState) -> std::io::Result<Server> {
    let data = web::Data::new(state);
    Ok(HttpServer::new(move || App::new().app_data(data.clone()).route("/metrics", web::get().to(metrics::scrape)))
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
    let body_deadline = web::Data::new(deadline::BodyDeadline(state.body_timeout));
    let head_timeout = state.head_timeout;
    let data = web::Data::new(state);
    let mut server = HttpServer::new(move || {
        // Innermost first: a panic is caught before the error page is drawn, and the
        // method is settled before routing.
        App::new()
            .app_data(data.clone())
            .app_data(panics.clone())
            .app_data(body_deadline.clone())
            .app_data(web::PayloadConfig::new(MAX_BODY))
            .app_data(web::FormConfig::default().limit(MAX_BODY))
            .wrap(from_fn(panics::catch))
            .wrap(ErrorHandlers::new().default_handler(error::render))
            .wrap(from_fn(no_store_private))
            .wrap(Compress::default())
            .wrap(security_headers(&tiles))
            .wrap(Condition::new(hsts, DefaultHeaders::new().add((header::STRICT_TRANSPORT_SECURITY, HSTS))))
            .wrap(from_fn(deadline::body_deadline))
            .wrap(from_fn(methods::head_as_get))
            .wrap(TracingLogger::<request_log::RequestSpan>::new())
            .wrap(from_fn(metrics::record))
            .configure(routes)
            .default_service(web::to(methods::unmatched))
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
