//! Audit rows written inside the transaction of the change they record.

use super::StoreError;

/// What an audit row is about and who made it, before it is written.
pub struct AuditRecord<'a> {
    /// `station`, `calendar`, `import`, `feedback` or `system`.
    pub entity: &'a str,
    /// The station id, the calendar year, …
    pub key: String,
    pub station_id: Option<i64>,
    pub action: &'a str,
    /// `None`: the system (a migration, the bundled data).
    pub staff_id: Option<i64>,
    pub at: i64,
}

impl<'a> AuditRecord<'a> {
    /// An entry about one station.
    pub fn station(id: i64, action: &'a str, staff_id: Option<i64>, at: i64) -> AuditRecord<'a> {
        AuditRecord { entity: "station", key: id.to_string(), station_id: Some(id), action, staff_id, at }
    }

    /// Writes the entry with the values before and after (JSON) in a transaction.
    pub async fn write(
        &self,
        tx: &mut super::Tx,
        before: &serde_json::Value,
        after: &serde_json::Value,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_log (at, staff_id, entity, entity_key, station_id, action, before, after) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(self.at)
        .bind(self.staff_id)
        .bind(self.entity)
        .bind(self.key.clone())
        .bind(self.station_id)
        .bind(self.action)
        .bind(before.to_string())
        .bind(after.to_string())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}
