//! The write path. Every transaction that changes data is a [`Tx`] from
//! [`Store::write`]; this is the one place that decides what a failed write does to
//! its connection.
//!
//! - On SQLite a transaction starts `BEGIN IMMEDIATE`: it takes the write lock at
//!   once (waiting up to the busy timeout), so two writers queue instead of one
//!   failing when it upgrades from reading to writing. A `BEGIN` that still meets
//!   SQLITE_BUSY is retried a few times, then the error is "unavailable" (503).
//!   PostgreSQL keeps its plain `BEGIN`.
//! - A connection whose COMMIT, ROLLBACK or any statement failed, or whose
//!   transaction was dropped unfinished, is closed instead of going back to the pool:
//!   after SQLITE_FULL or an I/O error SQLite may keep it inside the transaction,
//!   holding the write lock, and later statements on it would "succeed" without ever
//!   being committed. Closing rolls back whatever was left open.
//! - The last failure (when, what kind) is kept until a write commits again, for
//!   `/healthz` and `/readyz`.
//! - A write whose result rows are read (`INSERT … RETURNING` with `fetch_one` or
//!   `fetch_optional`) must run in a [`Tx`]: on the pool in autocommit, SQLite commits
//!   when the statement is reset after its first row, and an error of that commit (a full
//!   disk) is never reported, so the write would look stored and be gone.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::Any;
use sqlx::pool::PoolConnection;

use super::{Backend, Store, StoreError};

/// How often a `BEGIN IMMEDIATE` that met SQLITE_BUSY (after the busy timeout) is tried again.
const BUSY_RETRIES: u32 = 2;
/// SQLite's busy timeout, set on every connection: how long a writer waits for the lock.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// What kind of failure an error is, as operators read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Another writer held the lock for longer than the busy timeout (SQLITE_BUSY/LOCKED).
    Busy,
    /// The disk (or the file-size limit) is full (SQLITE_FULL, PostgreSQL 53100).
    Full,
    /// The disk or file system failed (SQLITE_IOERR, SQLITE_CANTOPEN, read-only).
    Io,
    /// The database server could not be reached or went away.
    Connection,
    /// Any other database error.
    Other,
}

impl FailureKind {
    pub fn key(self) -> &'static str {
        match self {
            FailureKind::Busy => "busy",
            FailureKind::Full => "disk_full",
            FailureKind::Io => "io",
            FailureKind::Connection => "connection",
            FailureKind::Other => "other",
        }
    }
}

/// The last write that failed, kept until one commits again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteFailure {
    /// Unix seconds.
    pub at: i64,
    pub kind: FailureKind,
}

/// What a committed write changed of what the read snapshot shows, so that this
/// instance can patch its snapshot instead of reading the whole ledger again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Change {
    /// One station's own fields.
    Station(i64),
    /// One station's public photos.
    Photos(i64),
    /// Whether one station has an open warning card (整改中).
    Card(i64),
    /// Anything else (an import, the calendar, several stations): a full reload.
    Everything,
}

/// Changes committed and not yet taken by the snapshot; past this many a full reload is cheaper.
const MAX_PENDING_CHANGES: usize = 10_000;

/// Write failures seen by this instance, and the changes its writes committed.
#[derive(Debug, Default)]
pub struct WriteHealth {
    last: Mutex<Option<WriteFailure>>,
    failures: std::sync::atomic::AtomicU64,
    /// (data version, change) of each committed version bump, in commit order.
    changes: Mutex<Vec<(i64, Change)>>,
}

impl WriteHealth {
    pub fn last_failure(&self) -> Option<WriteFailure> {
        *self.last.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Failed writes since the start.
    pub fn failures(&self) -> u64 {
        self.failures.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn failed(&self, err: &StoreError) {
        let kind = err.failure_kind();
        tracing::error!(error = %err, kind = kind.key(), "a write failed");
        self.failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let at = chrono::Utc::now().timestamp();
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(WriteFailure { at, kind });
    }

    fn committed(&self, changes: Vec<(i64, Change)>) {
        if !changes.is_empty() {
            let mut pending = self.changes.lock().unwrap_or_else(|e| e.into_inner());
            if pending.len() + changes.len() > MAX_PENDING_CHANGES {
                let last = changes.iter().map(|(v, _)| *v).max().unwrap_or_default();
                pending.retain(|(_, c)| *c == Change::Everything);
                pending.push((last, Change::Everything));
            } else {
                pending.extend(changes);
            }
        }
        self.succeeded();
    }

    fn succeeded(&self) {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_some() {
            tracing::info!("writes succeed again");
            *last = None;
        }
    }
}

impl StoreError {
    /// The failure's kind, from the database's own code.
    pub fn failure_kind(&self) -> FailureKind {
        let StoreError::Db(e) = self else { return FailureKind::Other };
        match e {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => FailureKind::Connection,
            sqlx::Error::Database(db) => {
                let code = db.code().unwrap_or_default();
                // Told apart by the driver, not by the code: most SQLSTATEs are digits too
                // (40001, 53100, 08006) and would read as SQLite result codes.
                if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                    // SQLite: the primary result code is the low byte of the extended one.
                    match code.parse::<i32>().map(|n| n & 0xff) {
                        Ok(5 | 6) => FailureKind::Busy,
                        Ok(13) => FailureKind::Full,
                        Ok(8 | 10 | 14 | 26) => FailureKind::Io,
                        _ => FailureKind::Other,
                    }
                } else {
                    // PostgreSQL SQLSTATE classes.
                    match code.get(..2).unwrap_or_default() {
                        "08" | "57" => FailureKind::Connection,
                        "53" if &*code == "53100" => FailureKind::Full,
                        "53" => FailureKind::Io,
                        "58" => FailureKind::Io,
                        "40" | "55" => FailureKind::Busy,
                        _ => FailureKind::Other,
                    }
                }
            }
            _ => FailureKind::Other,
        }
    }

    /// Whether the error is the database being unable to take the write now (full, busy,
    /// failing or away) rather than anything wrong with what was asked: worth trying again later.
    pub fn is_unavailable(&self) -> bool {
        self.failure_kind() != FailureKind::Other
    }
}

/// A write transaction on a pooled connection; see the module's notes.
pub struct Tx {
    conn: Option<PoolConnection<Any>>,
    health: Arc<WriteHealth>,
    /// The data versions this transaction made, with what they changed.
    changes: Vec<(i64, Change)>,
}

impl Store {
    /// Starts a write transaction (`BEGIN IMMEDIATE` on SQLite).
    pub async fn write(&self) -> Result<Tx, StoreError> {
        let begin = match self.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        let mut tries = 0;
        loop {
            let mut conn = match self.pool.acquire().await {
                Ok(conn) => conn,
                Err(e) => return Err(self.fail(e.into())),
            };
            match sqlx::query(begin).execute(&mut *conn).await {
                Ok(_) => return Ok(Tx { conn: Some(conn), health: self.health.clone(), changes: Vec::new() }),
                Err(e) => {
                    let err = StoreError::from(e);
                    if err.failure_kind() != FailureKind::Busy {
                        conn.close_on_drop();
                    }
                    drop(conn);
                    if err.failure_kind() == FailureKind::Busy && tries < BUSY_RETRIES {
                        tries += 1;
                        tracing::warn!(tries, "the database is busy; starting the write again");
                        tokio::time::sleep(Duration::from_millis(50 * u64::from(tries))).await;
                        continue;
                    }
                    return Err(self.fail(err));
                }
            }
        }
    }

    /// Notes a failed write and gives its error back.
    fn fail(&self, err: StoreError) -> StoreError {
        self.health.failed(&err);
        err
    }

    /// The last write failure of this instance, until a write commits again.
    pub fn last_write_failure(&self) -> Option<WriteFailure> {
        self.health.last_failure()
    }

    /// Write failures since the start.
    pub fn write_failures(&self) -> u64 {
        self.health.failures()
    }

    /// The changes this instance's writes committed since the last call, in commit order.
    pub fn take_changes(&self) -> Vec<(i64, Change)> {
        std::mem::take(&mut *self.health.changes.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Tx {
    /// Moves the ledger's data version on (every instance's snapshot follows), noting
    /// what changed for this instance's own snapshot.
    pub async fn bump(&mut self, change: Change) -> Result<(), StoreError> {
        use sqlx::Row;
        let row = sqlx::query("UPDATE data_version SET version = version + 1 WHERE id = 1 RETURNING version")
            .fetch_one(&mut **self)
            .await?;
        self.changes.push((row.try_get::<i64, _>(0)?, change));
        Ok(())
    }

    /// Commits. Only after this returns `Ok` is the write durable and may be acknowledged;
    /// on an error the connection is closed, which rolls back what was left.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        let mut conn = self.conn.take().expect("a transaction has its connection until it ends");
        match sqlx::query("COMMIT").execute(&mut *conn).await {
            Ok(_) => {
                self.health.committed(std::mem::take(&mut self.changes));
                Ok(())
            }
            Err(e) => {
                conn.close_on_drop();
                let err = StoreError::from(e);
                self.health.failed(&err);
                Err(err)
            }
        }
    }

    /// Rolls back; a connection whose ROLLBACK failed is closed.
    pub async fn rollback(mut self) -> Result<(), StoreError> {
        let mut conn = self.conn.take().expect("a transaction has its connection until it ends");
        if let Err(e) = sqlx::query("ROLLBACK").execute(&mut *conn).await {
            conn.close_on_drop();
            return Err(e.into());
        }
        Ok(())
    }
}

impl Drop for Tx {
    /// Left unfinished (an error or a panic on the way): the connection is closed, never
    /// returned to the pool inside the transaction.
    fn drop(&mut self) {
        if let Some(conn) = self.conn.as_mut() {
            conn.close_on_drop();
        }
    }
}

impl Deref for Tx {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &Self::Target {
        self.conn.as_deref().expect("a transaction has its connection until it ends")
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.conn.as_deref_mut().expect("a transaction has its connection until it ends")
    }
}
