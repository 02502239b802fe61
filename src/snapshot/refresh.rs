//! Loading the snapshot and keeping it current.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;

use super::Snapshot;
use super::board::{Board, load_board};
use crate::clock::Clock;
use crate::store::{Store, StoreError};

/// Reads the ledger and builds a snapshot for the clock's current Beijing date.
pub async fn load(store: &Store, clock: &Clock) -> Result<Snapshot, StoreError> {
    // The version is read first: a write landing during the load leaves us one
    // version behind, and the next poll rebuilds.
    let loading = std::time::Instant::now();
    let version = store.data_version().await?;
    let stations = store.all_stations().await?;
    let streets = store.streets().await?;
    let calendar = store.calendar().await?;
    let photos = store.all_station_photos().await?;
    let rectifying = store.carded_stations().await?;
    let load_ms = loading.elapsed().as_millis() as u64;
    let today = clock.today();
    let started = std::time::Instant::now();
    let count = stations.len();
    let snapshot = tokio::task::spawn_blocking(move || {
        Snapshot::build(version, today, stations, streets, calendar).with_photos(photos).with_rectifying(rectifying)
    })
    .await
    .map_err(|e| StoreError::Data("snapshot".into(), e.to_string()))?;
    tracing::info!(
        version,
        stations = count,
        load_ms,
        build_ms = started.elapsed().as_millis() as u64,
        cluster_ms = snapshot.clusters.build_ms,
        "snapshot built"
    );
    Ok(snapshot)
}

/// Polls the data version and the date, and swaps in a new snapshot when either changed.
pub struct Refresher {
    pub store: Store,
    pub snapshot: Arc<ArcSwap<Snapshot>>,
    pub board: Arc<ArcSwap<Board>>,
    pub clock: Clock,
    pub interval: Duration,
}

impl Refresher {
    /// Reloads the public feedback if its version moved on, or once an hour (old
    /// "reported closed" reports fall out of the window).
    pub async fn refresh_board_if_stale(&self) -> Result<bool, StoreError> {
        let current = self.board.load();
        let version = self.store.feedback_version().await?;
        if version == current.version && self.clock.now() < current.loaded_at + 3600 {
            return Ok(false);
        }
        self.board.store(Arc::new(load_board(&self.store, self.clock.now()).await?));
        Ok(true)
    }

    /// Rebuilds if the ledger or the date moved on; true when it did.
    pub async fn refresh_if_stale(&self) -> Result<bool, StoreError> {
        let current = self.snapshot.load();
        let version = self.store.data_version().await?;
        if version == current.version && self.clock.today() == current.today {
            return Ok(false);
        }
        let fresh = load(&self.store, &self.clock).await?;
        self.snapshot.store(Arc::new(fresh));
        Ok(true)
    }

    /// Runs until the runtime stops; errors are logged and retried on the next tick.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(self.interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = self.refresh_if_stale().await {
                    tracing::warn!(error = %e, "snapshot refresh failed; serving the previous one");
                }
                if let Err(e) = self.refresh_board_if_stale().await {
                    tracing::warn!(error = %e, "feedback refresh failed; serving the previous one");
                }
            }
        })
    }
}
