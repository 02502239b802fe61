//! Building the application: database, seed data, snapshot, HTTP server.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use arc_swap::ArcSwap;

use crate::clock::Clock;
use crate::config::Config;
use crate::snapshot::{self, Refresher, Updater};
use crate::store::{Store, StoreError};
use crate::web::proxy::TrustedProxies;

/// How often the time-bound chores run (see [`crate::chores`]).
const CHORES_EVERY: Duration = Duration::from_secs(60);
use crate::web::{self, AppState, Tiles, WebOptions};

/// Why the application could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {0}: {1}")]
    Bind(String, std::io::Error),
    #[error("configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Lock(#[from] crate::backup::BackupError),
}

/// Connects, migrates and loads reference data and (once) the seed stations.
pub async fn prepare_database(config: &Config, clock: &Clock) -> Result<Store, StoreError> {
    let store = Store::connect(&config.database_url, config.db_max_connections).await?;
    store.migrate().await?;
    crate::seed::load(&store, clock.now()).await?;
    Ok(store)
}

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    server: Server,
    pub state: AppState,
    /// Held while the server runs (SQLite): `yizhan restore` waits for it to stop.
    lock: Option<std::fs::File>,
    /// Stops the snapshot poller and the chores.
    stop: tokio::sync::watch::Sender<bool>,
    /// The metrics listener, when `YIZHAN_METRICS_BIND` is set.
    metrics: Option<Server>,
    metrics_port: Option<u16>,
}

impl Application {
    /// Prepares the database, builds the snapshot and binds (port 0 picks a free port).
    pub async fn build(config: Config, clock: Clock) -> Result<Application, StartError> {
        let tiles =
            Tiles::new(&config.tile_url, &config.tile_attribution, &config.tile_datum).map_err(StartError::Config)?;
        let lock = crate::backup::hold_serving_lock(&config.database_url)?;
        let store = prepare_database(&config, &clock).await?;
        let key = match &config.secret_key {
            Some(k) if k.len() >= 64 => k.clone(),
            Some(_) => return Err(StartError::Config("YIZHAN_SECRET_KEY must be 64 characters or more".into())),
            None => store.secret_key().await?,
        };
        let trusted_proxies = TrustedProxies::parse(&config.trusted_proxies)
            .map_err(|e| StartError::Config(format!("YIZHAN_TRUSTED_PROXIES: {e}")))?;
        let listener = TcpListener::bind(&config.bind).map_err(|e| StartError::Bind(config.bind.clone(), e))?;
        let local = listener.local_addr().map_err(|e| StartError::Bind(config.bind.clone(), e))?;
        let public_url = match &config.public_url {
            Some(url) if url.starts_with("https://") || url.starts_with("http://") => url.clone(),
            Some(url) => {
                return Err(StartError::Config(format!(
                    "YIZHAN_PUBLIC_URL must start with https:// or http://: {url:?}"
                )));
            }
            None => {
                let url = format!("http://{local}");
                tracing::warn!(
                    url,
                    "YIZHAN_PUBLIC_URL is not set: invite links, QR codes on print pages and posters, and share cards point at the bind address"
                );
                url
            }
        };
        let options = WebOptions {
            key: actix_web::cookie::Key::from(key.as_bytes()),
            secure_cookies: config.secure_cookies,
            trust_proxy: config.trust_proxy,
            trusted_proxies,
            public_url,
            public_url_set: config.public_url.is_some(),
            feedback_per_hour: config.feedback_per_hour,
            login_per_15_min: config.login_per_15_min,
            head_timeout: Duration::from_secs(config.head_timeout_seconds.max(1)),
            body_timeout: Duration::from_secs(config.body_timeout_seconds.max(1)),
            release: config.release.clone(),
        };
        let snapshot = Arc::new(ArcSwap::from_pointee(snapshot::load(&store, &clock).await?));
        let board = Arc::new(ArcSwap::from_pointee(snapshot::load_board(&store, clock.now()).await?));
        let interval = Duration::from_secs(config.poll_seconds.max(1));
        let updater = Arc::new(Updater::new(store.clone(), snapshot, clock, interval));
        let (stop, stopped) = tokio::sync::watch::channel(false);
        Refresher { updater: updater.clone(), board: board.clone() }.spawn(stopped.clone());
        crate::chores::spawn(store.clone(), clock, CHORES_EVERY, stopped);
        let port = local.port();
        let state = AppState::new(store, updater, board, clock, tiles, options);
        let server = web::server(listener, state.clone(), config.workers)
            .map_err(|e| StartError::Bind(config.bind.clone(), e))?;
        let metrics = match &config.metrics_bind {
            Some(bind) if !bind.is_empty() => {
                let listener = TcpListener::bind(bind).map_err(|e| StartError::Bind(bind.clone(), e))?;
                let port = listener.local_addr().map_err(|e| StartError::Bind(bind.clone(), e))?.port();
                let server =
                    web::metrics_server(listener, state.clone()).map_err(|e| StartError::Bind(bind.clone(), e))?;
                tracing::info!(bind, "metrics on GET /metrics");
                Some((port, server))
            }
            _ => None,
        };
        let metrics_port = metrics.as_ref().map(|(port, _)| *port);
        Ok(Application { port, server, state, lock, stop, metrics: metrics.map(|(_, s)| s), metrics_port })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The metrics listener's port, when it was asked for.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    /// Serves until the server is stopped (SIGTERM or Ctrl-C: requests in flight are
    /// answered first), then stops the poller and the chores and closes the database.
    pub async fn run(self) -> std::io::Result<()> {
        let _lock = self.lock;
        let metrics = self.metrics.map(|server| {
            let handle = server.handle();
            tokio::spawn(server);
            handle
        });
        let served = self.server.await;
        if let Some(metrics) = metrics {
            metrics.stop(false).await;
        }
        let _ = self.stop.send(true);
        self.state.store.close().await;
        served
    }
}
