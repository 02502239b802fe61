//! Storage: the only module that speaks SQL. One query layer (sqlx `Any`) for
//! SQLite and PostgreSQL.

mod accounts;
mod audit;
pub mod backup;
mod bulletin;
mod card_close;
mod cards;
mod feedback;
mod figures;
mod followups;
mod imports;
mod inspections;
mod photos;
mod proposals;
mod reference;
mod staff;
mod stations;
mod suggestions;
mod supervisors;
mod write;

pub use audit::AuditRecord;
pub use cards::{CARD_PAGE, Card, CardProblem, Lifted};
pub use feedback::{Acted, Feedback, FeedbackEvent, Moderation, QUEUE_PAGE, QueueFilter, Resolved};
pub use figures::DistrictWork;
pub use followups::{Actor, FOLLOWUP_PAGE, Followup, FollowupEvent, FollowupFilter, FollowupUpdated};
pub use imports::{ImportRecord, Imported, KeptUpload};
pub use inspections::{Acceptance, MY_REPORTS, REVIEW_PAGE, Report, Review, Reviewed};
pub use photos::{
    DOOR_PHOTOS, INSIDE_PHOTOS, PhotoAdded, PhotoKind, PhotoSize, PhotoSource, REPORT_PHOTOS, ReportPhoto, StationPhoto,
};
pub use proposals::{NewProposal, PROPOSAL_PAGE, Proposal};
pub use reference::{CalendarChange, HolidayYear};
pub use staff::{Invite, LoginCheck};
pub use stations::{AUDIT_PAGE, AuditEntry};
pub use suggestions::{Answered, PUBLIC_SUGGESTION_PAGE, SUGGESTION_PAGE, Suggestion};
pub use supervisors::{NewSupervisor, SupervisorInvite};
pub use write::{BUSY_TIMEOUT, Change, FailureKind, Tx, WriteFailure};

use std::sync::Arc;
use std::time::Duration;

use sqlx::Executor;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Row};

use crate::domain::staff::StaffScope;

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL (use sqlite:// or postgres://): {0}")]
    Url(String),
    #[error("cannot create the database folder {0}: {1}")]
    Folder(String, std::io::Error),
    #[error("bundled data file {0} is missing or broken: {1}")]
    Data(String, String),
}

/// Which server is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database handle shared by the whole application.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    health: Arc<write::WriteHealth>,
}

impl Store {
    /// Connects, creating the SQLite file and its folder when they do not exist.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store, StoreError> {
        install_default_drivers();
        let (backend, url) = if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            let file = path.split('?').next().unwrap_or_default();
            if let Some(dir) = std::path::Path::new(file).parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| StoreError::Folder(dir.display().to_string(), e))?;
            }
            let url = if url.contains("mode=") { url.to_string() } else { format!("sqlite://{path}?mode=rwc") };
            (Backend::Sqlite, url)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_string())
        } else {
            return Err(StoreError::Url(url.to_string()));
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // Said here rather than left to defaults: a writer waits this long for
                        // the lock, and a commit reaches the disk (fsync) before it returns, so
                        // an acknowledged write survives a process crash and a power cut.
                        conn.execute(sqlx::AssertSqlSafe(format!(
                            "PRAGMA busy_timeout = {}",
                            BUSY_TIMEOUT.as_millis()
                        )))
                        .await?;
                        conn.execute("PRAGMA synchronous = FULL").await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        if backend == Backend::Sqlite {
            // Persistent for the file: readers do not block the writer.
            sqlx::query("PRAGMA journal_mode=WAL").execute(&pool).await?;
        }
        Ok(Store { pool, backend, health: Arc::default() })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies the migrations of this backend's folder.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&self.pool).await?,
            Backend::Postgres => sqlx::migrate!("migrations/postgres").run(&self.pool).await?,
        }
        Ok(())
    }

    /// The ledger's version: every write bumps it.
    pub async fn data_version(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT version FROM data_version WHERE id = 1").fetch_one(&self.pool).await?;
        Ok(row.try_get::<i64, _>(0)?)
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Connections open in the pool, and of those idle.
    pub fn pool_state(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    /// Items waiting for staff: pending feedback, inspection reports and proposals.
    pub async fn moderation_backlog(&self) -> Result<Vec<(&'static str, i64)>, StoreError> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM feedback WHERE state = 'pending'), \
             (SELECT COUNT(*) FROM inspection_reports WHERE state = 'pending'), \
             (SELECT COUNT(*) FROM station_proposals WHERE state = 'pending')",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(vec![("feedback", row.try_get(0)?), ("reports", row.try_get(1)?), ("proposals", row.try_get(2)?)])
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT value FROM meta WHERE key = $1").bind(key).fetch_optional(&self.pool).await?;
        Ok(row.map(|r| r.try_get::<String, _>(0)).transpose()?)
    }

    async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// `$first, $first+1, …`: `n` numbered parameters, for an `IN (…)` list.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// The one condition that keeps a query inside `scope`: the rows whose station
/// (`station_column`, e.g. `f.station_id`) lies in its districts *now*, with the
/// district codes to bind from parameter `$first` on. The whole city: `TRUE`, nothing to bind.
pub(crate) fn in_scope(scope: &StaffScope, station_column: &str, first: usize) -> (String, Vec<String>) {
    match scope {
        StaffScope::City => ("TRUE".into(), Vec::new()),
        StaffScope::Districts(ds) => (
            format!(
                "{station_column} IN (SELECT id FROM stations WHERE district_code IN ({}))",
                placeholders(first, ds.len().max(1))
            ),
            // No district at all matches nothing: one code that no station has.
            if ds.is_empty() { vec![String::new()] } else { ds.iter().map(|d| d.code.to_string()).collect() },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::district::District;
    use crate::domain::staff::Role;

    #[test]
    fn a_scope_is_one_condition_for_a_district_several_or_the_city() {
        assert_eq!(in_scope(&StaffScope::City, "f.station_id", 2), ("TRUE".to_string(), Vec::new()));
        let fengtai = District::parse("110106").expect("丰台");
        let daxing = District::parse("110115").expect("大兴");
        let (cond, codes) = in_scope(&Role::DistrictStaff(fengtai).scope(), "f.station_id", 2);
        assert_eq!(cond, "f.station_id IN (SELECT id FROM stations WHERE district_code IN ($2))");
        assert_eq!(codes, ["110106"]);
        let (cond, codes) = in_scope(&StaffScope::Districts(vec![fengtai, daxing]), "r.station_id", 1);
        assert_eq!(cond, "r.station_id IN (SELECT id FROM stations WHERE district_code IN ($1, $2))");
        assert_eq!(codes, ["110106", "110115"]);
        // No district: nothing matches, rather than everything.
        let (cond, codes) = in_scope(&StaffScope::Districts(Vec::new()), "c.station_id", 1);
        assert!(cond.contains("IN ($1)"), "{cond}");
        assert_eq!(codes, [""]);
    }
}
