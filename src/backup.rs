//! `yizhan backup FILE` and `yizhan restore FILE`, and the lock that keeps a restore
//! away from a database a server is using.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::store::backup::{lock_path, postgres_commands, sqlite_path};
use crate::store::{Store, StoreError};

/// Why a backup or a restore did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}: {1}")]
    File(String, std::io::Error),
    /// PostgreSQL: the commands to use instead.
    #[error("{0}")]
    Postgres(String),
    #[error("{0} already exists; give a new file name")]
    Exists(String),
    #[error("a server is using {0}; stop it first (the lock file {1} is held)")]
    InUse(String, String),
    #[error("the copy {0} is damaged: {1}")]
    Damaged(String, String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |e| BackupError::File(path.display().to_string(), e)
}

/// The lock a server holds (shared) on a SQLite database while it runs; `None` on
/// PostgreSQL. A restore takes it alone, so neither starts while the other runs.
pub fn hold_serving_lock(database_url: &str) -> Result<Option<File>, BackupError> {
    let Some(db) = sqlite_path(database_url) else { return Ok(None) };
    let lock = open_lock(&db)?;
    match lock.try_lock_shared() {
        Ok(()) => Ok(Some(lock)),
        Err(std::fs::TryLockError::WouldBlock) => {
            Err(BackupError::InUse(db.display().to_string(), "a restore is in progress".into()))
        }
        Err(std::fs::TryLockError::Error(e)) => Err(io(&lock_path(&db))(e)),
    }
}

fn open_lock(db: &Path) -> Result<File, BackupError> {
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let path = lock_path(db);
    File::options().create(true).truncate(false).write(true).open(&path).map_err(io(&path))
}

/// What a backup or restore wrote, for people.
pub struct Copied {
    pub file: PathBuf,
    pub bytes: u64,
    pub tables: crate::store::backup::TableCounts,
}

impl std::fmt::Display for Copied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} ({} bytes), integrity ok", self.file.display(), self.bytes)?;
        for (table, rows) in &self.tables {
            writeln!(f, "  {table}: {rows} rows")?;
        }
        Ok(())
    }
}

/// Checks a SQLite file: integrity, and its tables' rows.
async fn check(file: &Path) -> Result<Copied, BackupError> {
    let store = Store::connect(&format!("sqlite://{}", file.display()), 1).await?;
    let integrity = store.integrity().await?;
    let tables = store.table_counts().await?;
    store.close().await;
    if integrity != "ok" {
        return Err(BackupError::Damaged(file.display().to_string(), integrity));
    }
    let bytes = std::fs::metadata(file).map_err(io(file))?.len();
    Ok(Copied { file: file.to_path_buf(), bytes, tables })
}

/// `yizhan backup FILE`: a consistent copy of the SQLite database, taken while a server
/// may be serving and writing, then checked.
pub async fn backup(database_url: &str, file: &Path) -> Result<Copied, BackupError> {
    if sqlite_path(database_url).is_none() {
        return Err(BackupError::Postgres(postgres_commands(database_url, file)));
    }
    if file.exists() {
        return Err(BackupError::Exists(file.display().to_string()));
    }
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let store = Store::connect(database_url, 1).await?;
    let copied = store.backup_to(file).await;
    store.close().await;
    copied?;
    check(file).await
}

/// `yizhan restore FILE`: puts a backup in place of the SQLite database, while no server
/// uses it. The database it replaces is kept beside it as `….before-restore-UNIXTIME`.
pub async fn restore(database_url: &str, file: &Path, now: i64) -> Result<Copied, BackupError> {
    let Some(db) = sqlite_path(database_url) else {
        return Err(BackupError::Postgres(postgres_commands(database_url, file)));
    };
    std::fs::metadata(file).map_err(io(file))?;
    let lock = open_lock(&db)?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(BackupError::InUse(db.display().to_string(), lock_path(&db).display().to_string()));
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io(&lock_path(&db))(e)),
    }
    let with_suffix = |suffix: &str| {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    // The copy is checked where it will live, then renamed into place in one step.
    let incoming = with_suffix(".restoring");
    std::fs::copy(file, &incoming).map_err(io(&incoming))?;
    File::open(&incoming).and_then(|f| f.sync_all()).map_err(io(&incoming))?;
    let mut checked = match check(&incoming).await {
        Ok(checked) => checked,
        Err(e) => {
            let _ = std::fs::remove_file(&incoming);
            return Err(e);
        }
    };
    for part in ["-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(with_suffix(&format!(".restoring{part}")));
    }
    if db.exists() {
        for part in ["", "-wal", "-shm"] {
            let from = with_suffix(part);
            if from.exists() {
                let kept = with_suffix(&format!(".before-restore-{now}{part}"));
                std::fs::rename(&from, &kept).map_err(io(&from))?;
            }
        }
    }
    std::fs::rename(&incoming, &db).map_err(io(&db))?;
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))?;
    }
    checked.file = db;
    drop(lock);
    Ok(checked)
}
