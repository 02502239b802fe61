//! Loading the snapshot and keeping it current.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;

use super::board::{Board, load_board};
use super::{Patch, Snapshot};
use crate::clock::Clock;
use crate::store::{Change, Store, StoreError};

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

/// Keeps one snapshot current, one update at a time: this instance's own writes are
/// patched in (what they changed, read back by id), anything else (another instance's
/// writes, a new day, an import) by a full reload. A burst of writes coalesces: each
/// update takes every change committed so far, so the writers that wait behind it find
/// nothing left to do.
#[derive(Debug)]
pub struct Updater {
    pub store: Store,
    pub snapshot: Arc<ArcSwap<Snapshot>>,
    pub clock: Clock,
    /// How often the data version is polled.
    pub interval: Duration,
    lock: tokio::sync::Mutex<()>,
    /// When the data version was last read successfully (for `/readyz`).
    polled: std::sync::Mutex<Option<std::time::Instant>>,
    /// Full reloads since the start.
    reloads: std::sync::atomic::AtomicU64,
}

impl Updater {
    pub fn new(store: Store, snapshot: Arc<ArcSwap<Snapshot>>, clock: Clock, interval: Duration) -> Updater {
        Updater {
            store,
            snapshot,
            clock,
            interval,
            lock: tokio::sync::Mutex::new(()),
            polled: std::sync::Mutex::new(Some(std::time::Instant::now())),
            reloads: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// How long ago the data version was last read successfully.
    pub fn since_poll(&self) -> Option<Duration> {
        self.polled.lock().unwrap_or_else(|e| e.into_inner()).map(|at| at.elapsed())
    }

    /// Full reloads of the snapshot since the start.
    pub fn reloads(&self) -> u64 {
        self.reloads.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Brings the snapshot up to the ledger; true when it changed.
    pub async fn catch_up(&self) -> Result<bool, StoreError> {
        let _one_at_a_time = self.lock.lock().await;
        let current = self.snapshot.load_full();
        let mut changes = self.store.take_changes();
        // Changes the snapshot already shows (made before it was loaded) are done.
        changes.retain(|(version, _)| *version > current.version);
        let mut changed = false;
        if self.clock.today() != current.today || changes.iter().any(|(_, c)| *c == Change::Everything) {
            return self.reload().await.map(|()| true);
        }
        if !changes.is_empty() {
            // On an error the versions stay behind and the check below (or the next poll) reloads.
            let patch = read_patch(&self.store, changes).await?;
            let Some(patch) = patch else { return self.reload().await.map(|()| true) };
            let patched = tokio::task::spawn_blocking(move || current.patched(patch))
                .await
                .map_err(|e| StoreError::Data("snapshot".into(), e.to_string()))?;
            self.snapshot.store(Arc::new(patched));
            changed = true;
        }
        let version = self.store.data_version().await?;
        self.polled_now();
        if version != self.snapshot.load().version {
            self.reload().await?;
            changed = true;
        }
        Ok(changed)
    }

    async fn reload(&self) -> Result<(), StoreError> {
        let fresh = load(&self.store, &self.clock).await?;
        self.reloads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // Never back to an older version (a snapshot stored meanwhile by other means).
        let current = self.snapshot.load();
        if fresh.version >= current.version || fresh.today != current.today {
            self.snapshot.store(Arc::new(fresh));
        }
        self.polled_now();
        Ok(())
    }

    /// The data version was read just now.
    fn polled_now(&self) {
        *self.polled.lock().unwrap_or_else(|e| e.into_inner()) = Some(std::time::Instant::now());
    }
}

/// What the changes did, read back now; `None` when a station is gone (a full reload).
async fn read_patch(store: &Store, changes: Vec<(i64, Change)>) -> Result<Option<Patch>, StoreError> {
    let mut patch = Patch::default();
    let mut seen = std::collections::HashSet::new();
    for (version, change) in changes {
        patch.versions.push(version);
        if !seen.insert(change) {
            continue;
        }
        match change {
            Change::Station(id) => match store.station(id).await? {
                Some(station) => patch.stations.push(station),
                None => return Ok(None),
            },
            Change::Photos(id) => patch.photos.push((id, store.station_photos(id).await?)),
            Change::Card(id) => patch.cards.push((id, store.open_card(id).await?.is_some())),
            Change::Everything => return Ok(None),
        }
    }
    Ok(Some(patch))
}

/// Polls the data version and the date, and swaps in a new snapshot when either changed.
pub struct Refresher {
    pub updater: Arc<Updater>,
    pub board: Arc<ArcSwap<Board>>,
}

impl Refresher {
    /// Reloads the public feedback if its version moved on, or once an hour (old
    /// "reported closed" reports fall out of the window).
    pub async fn refresh_board_if_stale(&self) -> Result<bool, StoreError> {
        let store = &self.updater.store;
        let now = self.updater.clock.now();
        let current = self.board.load();
        let version = store.feedback_version().await?;
        if version == current.version && now < current.loaded_at + 3600 {
            return Ok(false);
        }
        self.board.store(Arc::new(load_board(store, now).await?));
        Ok(true)
    }

    /// Runs until `stop` is set; errors are logged and retried on the next tick.
    pub fn spawn(self, mut stop: tokio::sync::watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(self.updater.interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stop.changed() => return,
                }
                if let Err(e) = self.updater.catch_up().await {
                    tracing::warn!(error = %e, "snapshot refresh failed; serving the previous one");
                }
                if let Err(e) = self.refresh_board_if_stale().await {
                    tracing::warn!(error = %e, "feedback refresh failed; serving the previous one");
                }
            }
        })
    }
}
