//! What every handler shares: the store, the snapshot, the clock, the limits of
//! sessions and forms, and the few resources bounded per instance. Nothing here
//! belongs to one audience: their own kept values are `web::Data` of their own,
//! registered where the routes are assembled (`server.rs`).

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;

use super::attempts::UnknownNames;
use super::{assets, convert, metrics, panics, passwords, proxy};
use crate::clock::Clock;
use crate::domain::geo::Datum;
use crate::snapshot::{Board, Snapshot};
use crate::store::Store;

/// Largest request body accepted anywhere.
pub const MAX_BODY: usize = 64 * 1024;

/// Ledger imports and exports read or written at once per instance; more get "busy".
pub const LEDGER_AT_ONCE: usize = 2;

/// Ledger files received at once (each up to `sheet::MAX_BYTES`); more get "busy"
/// before their body is read.
pub const LEDGER_BODIES_AT_ONCE: usize = 4;

/// Printed lists drawn at once. A list of `PER_PRINT` stations (`public/print.rs`)
/// draws as many QR codes: it is drawn on the blocking pool, not on a request thread,
/// and a further request waits for its turn, so that a burst of prints cannot starve
/// the pages.
pub const PRINTS_AT_ONCE: usize = 2;

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
    /// The release's name when set (`YIZHAN_RELEASE`); else the static files' hash.
    pub release: Option<String>,
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
    pub unknown_logins: Arc<UnknownNames>,
    /// The password hashing threads (login, invites, password changes).
    pub hasher: Arc<passwords::Hasher>,
    /// Requests that panicked since the start.
    pub panics: Arc<panics::Panics>,
    /// Request counts and latencies, and what `/metrics` reads.
    pub metrics: Arc<metrics::Metrics>,
    /// Photo conversions, a few at a time.
    pub photos: Arc<convert::Converter>,
    /// Ledger files being received (see [`LEDGER_BODIES_AT_ONCE`]).
    pub ledger_bodies: Arc<tokio::sync::Semaphore>,
    /// Ledger imports and exports in progress (see [`LEDGER_AT_ONCE`]).
    pub ledger: Arc<tokio::sync::Semaphore>,
    /// Printed lists being drawn (see [`PRINTS_AT_ONCE`]).
    pub prints: Arc<tokio::sync::Semaphore>,
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
            assets: Arc::new(assets::AssetUrls::new().named(options.release.as_deref())),
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
            panics: Arc::new(panics::Panics::default()),
            photos: Arc::default(),
            metrics: Arc::default(),
            ledger: Arc::new(tokio::sync::Semaphore::new(LEDGER_AT_ONCE)),
            ledger_bodies: Arc::new(tokio::sync::Semaphore::new(LEDGER_BODIES_AT_ONCE)),
            prints: Arc::new(tokio::sync::Semaphore::new(PRINTS_AT_ONCE)),
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
