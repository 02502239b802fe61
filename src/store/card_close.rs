//! A warning card closes in the transaction of what closes it: its follow-up
//! verified, or its station revoked. Below the cards, follow-ups and stations that
//! all call it.

use sqlx::Row;

use super::StoreError;
use super::audit::AuditRecord;

pub(super) fn card_audit(id: i64, station_id: i64, action: &str, staff_id: Option<i64>, at: i64) -> AuditRecord<'_> {
    AuditRecord { entity: "card", key: id.to_string(), station_id: Some(station_id), action, staff_id, at }
}

pub(super) async fn bump_version(tx: &mut super::Tx, station_id: i64) -> Result<(), StoreError> {
    // The public page says 整改中 while a card is open: the snapshot must follow.
    tx.bump(super::Change::Card(station_id)).await?;
    Ok(())
}

/// Closes the open card whose follow-up `followup_id` was just verified, in `tx`.
pub(super) async fn close_card_of_followup(tx: &mut super::Tx, followup_id: i64, now: i64) -> Result<(), StoreError> {
    let closed = sqlx::query(
        "UPDATE cards SET closed_at = $2, closed_how = 'fixed' WHERE followup_id = $1 AND closed_at IS NULL \
         RETURNING id, station_id, level",
    )
    .bind(followup_id)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(row) = closed {
        let (id, station_id, level): (i64, i64, String) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        card_audit(id, station_id, "card_fixed", None, now)
            .write(tx, &serde_json::json!({"card": level}), &serde_json::json!({"card": "fixed"}))
            .await?;
        bump_version(tx, station_id).await?;
    }
    Ok(())
}

/// Closes the open card of a station being revoked, in `tx` (the revocation's own transaction).
pub(super) async fn close_card_of_revoked(
    tx: &mut super::Tx,
    station_id: i64,
    staff_id: Option<i64>,
    now: i64,
) -> Result<(), StoreError> {
    let closed = sqlx::query(
        "UPDATE cards SET closed_at = $2, closed_how = 'revoked', closed_by = $3 \
         WHERE station_id = $1 AND closed_at IS NULL RETURNING id, level",
    )
    .bind(station_id)
    .bind(now)
    .bind(staff_id)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(row) = closed {
        let (id, level): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
        card_audit(id, station_id, "card_revoked", staff_id, now)
            .write(tx, &serde_json::json!({"card": level}), &serde_json::json!({"card": "revoked"}))
            .await?;
    }
    Ok(())
}
