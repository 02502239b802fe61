//! A ledger import written all at once: every new and changed station in one
//! transaction, an audit row per station and one for the import, one data-version
//! bump. A station changed by someone else since the dry run undoes the whole import.

use sqlx::Row;

use super::audit::AuditRecord;
use super::stations::{insert_in, update_in};
use super::{Store, StoreError};
use crate::domain::staff::token_hash;
use crate::domain::station::Station;

/// What the import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Imported {
    /// The ids of the stations added, in the order given.
    Done { added: Vec<i64> },
    /// This station changed since it was read: nothing was written.
    Conflict { station_id: i64 },
}

/// Who imported which file, and what the rows came to (for the import's audit row).
pub struct ImportRecord<'a> {
    pub file_name: &'a str,
    pub staff_id: Option<i64>,
    pub unchanged: usize,
    pub now: i64,
}

/// Audit rows a multi-row INSERT carries.
const AUDIT_BATCH: usize = 500;

impl Store {
    /// Adds `added`, writes each `(before, after)` of `changed`, audits each station
    /// (`import_add`, `import_change`) and the import itself, in one transaction.
    pub async fn apply_import(
        &self,
        added: &[Station],
        changed: &[(Station, Station)],
        record: &ImportRecord<'_>,
    ) -> Result<Imported, StoreError> {
        let now = record.now;
        let mut tx = self.write().await?;
        let ids = insert_in(&mut tx, added, now).await?;
        // One audit row per new station, many rows per statement.
        let rows: Vec<(i64, String)> = added
            .iter()
            .zip(&ids)
            .map(|(s, id)| {
                let fields: serde_json::Map<String, serde_json::Value> =
                    s.ledger_fields().into_iter().map(|(k, v)| (k.to_string(), v.into())).collect();
                (*id, serde_json::Value::Object(fields).to_string())
            })
            .collect();
        for chunk in rows.chunks(AUDIT_BATCH) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let b = i * 5;
                    format!(
                        "(${}, ${}, 'station', ${}, ${}, 'import_add', '{{}}', ${})",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO audit_log (at, staff_id, entity, entity_key, station_id, action, before, after) VALUES {}",
                values.join(", ")
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (id, after) in chunk {
                query = query.bind(now).bind(record.staff_id).bind(id.to_string()).bind(*id).bind(after.clone());
            }
            query.execute(&mut *tx).await?;
        }
        for (before, after) in changed {
            let Some((old, new)) = before.diff(after) else { continue };
            if !update_in(&mut tx, before, after, (&old, &new), "import_change", record.staff_id, now).await? {
                tx.rollback().await?;
                return Ok(Imported::Conflict { station_id: before.id });
            }
        }
        let entry = AuditRecord {
            entity: "import",
            key: record.file_name.to_string(),
            station_id: None,
            action: "import",
            staff_id: record.staff_id,
            at: now,
        };
        let after = serde_json::json!({
            "file": record.file_name,
            "added": added.len(),
            "changed": changed.len(),
            "unchanged": record.unchanged,
        });
        entry.write(&mut tx, &serde_json::json!({}), &after).await?;
        tx.bump(super::Change::Everything).await?;
        tx.commit().await?;
        Ok(Imported::Done { added: ids })
    }
}

/// A ledger file kept between its dry run and its import.
#[derive(Debug, Clone)]
pub struct KeptUpload {
    pub file_name: String,
    /// "utf8", "gbk" or "" (detected).
    pub encoding: String,
    /// The district every row must be in, or "".
    pub district: String,
    pub bytes: Vec<u8>,
}

/// How long a file waits for its import, in seconds.
pub const UPLOAD_KEPT_SECONDS: i64 = 3600;

impl Store {
    /// Keeps `upload` for `staff_id` under `token` (forgetting files older than an hour).
    pub async fn keep_upload(
        &self,
        token: &str,
        staff_id: i64,
        upload: &KeptUpload,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM ledger_uploads WHERE created_at < $1")
            .bind(now - UPLOAD_KEPT_SECONDS)
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO ledger_uploads (token_hash, staff_id, file_name, encoding, district, bytes, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(token_hash(token))
        .bind(staff_id)
        .bind(&upload.file_name)
        .bind(&upload.encoding)
        .bind(&upload.district)
        .bind(upload.bytes.clone())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The file `staff_id` kept under `token` within the hour.
    pub async fn kept_upload(&self, token: &str, staff_id: i64, now: i64) -> Result<Option<KeptUpload>, StoreError> {
        let row = sqlx::query(
            "SELECT file_name, encoding, district, bytes FROM ledger_uploads \
             WHERE token_hash = $1 AND staff_id = $2 AND created_at >= $3",
        )
        .bind(token_hash(token))
        .bind(staff_id)
        .bind(now - UPLOAD_KEPT_SECONDS)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(KeptUpload {
                file_name: r.try_get(0)?,
                encoding: r.try_get(1)?,
                district: r.try_get(2)?,
                bytes: r.try_get(3)?,
            })
        })
        .transpose()
    }

    /// Forgets a kept file (once imported).
    pub async fn drop_upload(&self, token: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM ledger_uploads WHERE token_hash = $1")
            .bind(token_hash(token))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
