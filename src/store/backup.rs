//! Backups: a consistent copy of a SQLite database taken while the site serves and
//! writes (`VACUUM INTO` reads one snapshot of the file; photos are rows, so they come
//! with it), and putting such a copy in place. PostgreSQL has its own tools.

use std::path::{Path, PathBuf};

use sqlx::Row;

use super::{Backend, Store, StoreError};

/// The file of a `sqlite://` URL, `None` for PostgreSQL.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    Some(PathBuf::from(path.split('?').next().unwrap_or_default()))
}

/// The lock file beside a SQLite database: `serve` holds it shared for as long as it
/// runs, `restore` needs it alone.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// The commands that back up and restore a PostgreSQL database: one per line, each
/// line starting with the program's name; `NEW_DATABASE_URL` is the database restored into.
pub fn postgres_commands(url: &str, file: &Path) -> String {
    let file = file.display();
    format!(
        "This database is PostgreSQL: back it up and restore it with PostgreSQL's own tools.\n\
         Back up (consistent while the site serves):\n\
         pg_dump --format=custom --no-owner --file='{file}' '{url}'\n\
         Restore into a new, empty database (createdb NEW_DATABASE), then point YIZHAN_DATABASE_URL at it:\n\
         pg_restore --no-owner --exit-on-error --dbname='NEW_DATABASE_URL' '{file}'\n"
    )
}

/// Rows per table, by name, for checking a copy.
pub type TableCounts = Vec<(String, i64)>;

impl Store {
    /// Writes a consistent copy of this SQLite database to `file` (which must not exist).
    pub async fn backup_to(&self, file: &Path) -> Result<(), StoreError> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Url("backups of PostgreSQL are made with pg_dump".into()));
        }
        let target = file.to_str().ok_or_else(|| StoreError::Data(file.display().to_string(), "not UTF-8".into()))?;
        let quoted = target.replace('\'', "''");
        sqlx::query(sqlx::AssertSqlSafe(format!("VACUUM INTO '{quoted}'"))).execute(&self.pool).await?;
        Ok(())
    }

    /// `PRAGMA integrity_check` (SQLite; PostgreSQL answers "ok").
    pub async fn integrity(&self) -> Result<String, StoreError> {
        if self.backend != Backend::Sqlite {
            return Ok("ok".into());
        }
        let rows = sqlx::query("PRAGMA integrity_check").fetch_all(&self.pool).await?;
        let lines: Result<Vec<String>, _> = rows.iter().map(|r| r.try_get::<String, _>(0)).collect();
        Ok(lines?.join("; "))
    }

    /// Every table of the application with its number of rows.
    pub async fn table_counts(&self) -> Result<TableCounts, StoreError> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            }
            Backend::Postgres => "SELECT tablename::TEXT FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
        };
        let names: Vec<String> =
            sqlx::query(sql).fetch_all(&self.pool).await?.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>()?;
        let mut counts = Vec::with_capacity(names.len());
        for name in names {
            // Names come from the catalogue; quoted as identifiers all the same.
            let quoted = name.replace('"', "\"\"");
            let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM \"{quoted}\"")))
                .fetch_one(&self.pool)
                .await?;
            counts.push((name, row.try_get::<i64, _>(0)?));
        }
        Ok(counts)
    }
}
