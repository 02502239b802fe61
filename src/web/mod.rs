//! HTTP: routes grouped by audience, one error type, one way to render a page.

pub mod api;
pub mod assets;
pub mod error;
pub mod health;
pub mod i18n;
pub mod page;
pub mod public;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, DefaultHeaders, ErrorHandlers};
use actix_web::{App, HttpServer, web};
use arc_swap::ArcSwap;
use tracing_actix_web::TracingLogger;

use crate::clock::Clock;
use crate::domain::geo::Datum;
use crate::snapshot::Snapshot;
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

/// Everything a handler needs.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub snapshot: Arc<ArcSwap<Snapshot>>,
    pub clock: Clock,
    pub assets: Arc<assets::AssetUrls>,
    pub tiles: Arc<Tiles>,
}

impl AppState {
    pub fn new(store: Store, snapshot: Arc<ArcSwap<Snapshot>>, clock: Clock, tiles: Tiles) -> AppState {
        AppState { store, snapshot, clock, assets: Arc::new(assets::AssetUrls::new()), tiles: Arc::new(tiles) }
    }
}

/// Largest request body accepted anywhere.
pub const MAX_BODY: usize = 64 * 1024;

/// The security headers every response carries.
fn security_headers(tiles: &Tiles) -> DefaultHeaders {
    let csp = format!(
        "default-src 'self'; img-src 'self' data: {}; style-src 'self'; script-src 'self'; object-src 'none'; \
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
        .service(public::lang::switch)
        .service(public::map::page)
        .service(public::near::page)
        .service(public::open_data::page)
        .service(api::map::features)
        .service(api::export::geojson)
        .service(api::export::csv)
        .service(api::stations::list)
        .service(health::healthz)
        .service(assets::serve);
}

/// The HTTP server on an already bound listener.
pub fn server(listener: TcpListener, state: AppState, workers: usize) -> std::io::Result<Server> {
    let tiles = state.tiles.clone();
    let data = web::Data::new(state);
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(MAX_BODY))
            .app_data(web::FormConfig::default().limit(MAX_BODY))
            .wrap(ErrorHandlers::new().default_handler(error::render))
            .wrap(Compress::default())
            .wrap(security_headers(&tiles))
            .wrap(TracingLogger::default())
            .configure(routes)
            .default_service(web::to(error::not_found))
    })
    .listen(listener)?;
    if workers > 0 {
        server = server.workers(workers);
    }
    Ok(server.run())
}
