//! New stations proposed by volunteer supervisors, until staff add them or turn them down.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::audit::AuditRecord;
use super::{Store, StoreError};
use crate::domain::staff::{Role, Staff};

/// A proposal as stored, with its author's name.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub id: i64,
    pub supervisor_id: i64,
    pub supervisor_name: String,
    pub district_code: String,
    pub name: String,
    pub address: String,
    pub lat: String,
    pub lon: String,
    pub hours: String,
    /// Facility keys.
    pub facilities: Vec<String>,
    pub note: String,
    /// "pending", "accepted" or "rejected".
    pub state: String,
    pub station_id: Option<i64>,
    pub comment: String,
    pub created_at: i64,
}

/// A proposal to store (checked by the caller).
pub struct NewProposal<'a> {
    pub district_code: &'a str,
    pub name: &'a str,
    pub address: &'a str,
    pub lat: &'a str,
    pub lon: &'a str,
    pub hours: &'a str,
    pub facilities: &'a [String],
    pub note: &'a str,
}

const COLUMNS: &str = "p.id, p.supervisor_id, s.display_name, p.district_code, p.name, p.address, p.lat, p.lon, \
    p.hours, p.facilities, p.note, p.state, p.station_id, p.comment, p.created_at";
const FROM: &str = "station_proposals p JOIN supervisors s ON s.id = p.supervisor_id";

/// Proposals a list shows.
pub const PROPOSAL_PAGE: i64 = 200;

fn from_row(r: &AnyRow) -> Result<Proposal, StoreError> {
    let facilities: String = r.try_get(9)?;
    Ok(Proposal {
        id: r.try_get(0)?,
        supervisor_id: r.try_get(1)?,
        supervisor_name: r.try_get(2)?,
        district_code: r.try_get(3)?,
        name: r.try_get(4)?,
        address: r.try_get(5)?,
        lat: r.try_get(6)?,
        lon: r.try_get(7)?,
        hours: r.try_get(8)?,
        facilities: facilities.split(',').filter(|f| !f.is_empty()).map(str::to_string).collect(),
        note: r.try_get(10)?,
        state: r.try_get(11)?,
        station_id: r.try_get(12)?,
        comment: r.try_get(13)?,
        created_at: r.try_get(14)?,
    })
}

impl Store {
    /// Stores a proposal once per submission key; its id (the first one's, for a retry).
    pub async fn propose_station(
        &self,
        supervisor_id: i64,
        submission: &str,
        p: &NewProposal<'_>,
        now: i64,
    ) -> Result<i64, StoreError> {
        let mut tx = self.write().await?;
        let inserted = sqlx::query(
            "INSERT INTO station_proposals (submission, supervisor_id, district_code, name, address, lat, lon, hours, \
             facilities, note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (submission) DO NOTHING RETURNING id",
        )
        .bind(submission)
        .bind(supervisor_id)
        .bind(p.district_code)
        .bind(p.name)
        .bind(p.address)
        .bind(p.lat)
        .bind(p.lon)
        .bind(p.hours)
        .bind(p.facilities.join(","))
        .bind(p.note)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        match inserted {
            Some(row) => Ok(row.try_get(0)?),
            None => {
                let row = sqlx::query("SELECT id FROM station_proposals WHERE submission = $1 AND supervisor_id = $2")
                    .bind(submission)
                    .bind(supervisor_id)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(row.try_get(0)?)
            }
        }
    }

    /// A supervisor's own proposals, newest first.
    pub async fn own_proposals(&self, supervisor_id: i64) -> Result<Vec<Proposal>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE p.supervisor_id = $1 ORDER BY p.created_at DESC, p.id DESC \
             LIMIT {PROPOSAL_PAGE}"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(supervisor_id).fetch_all(&self.pool).await?;
        rows.iter().map(from_row).collect()
    }

    /// Pending proposals in `role`'s districts, oldest first.
    pub async fn pending_proposals(&self, role: Role) -> Result<Vec<Proposal>, StoreError> {
        let (cond, district) = match role.district() {
            None => ("TRUE", None),
            Some(d) => ("p.district_code = $1", Some(d.code.to_string())),
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE p.state = 'pending' AND {cond} ORDER BY p.created_at, p.id \
             LIMIT {PROPOSAL_PAGE}"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let Some(d) = district {
            query = query.bind(d);
        }
        query.fetch_all(&self.pool).await?.iter().map(from_row).collect()
    }

    /// One pending proposal, if `role` may review it (another district's is "not found").
    pub async fn pending_proposal(&self, id: i64, role: Role) -> Result<Option<Proposal>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE p.id = $1 AND p.state = 'pending'");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        let proposal = row.map(|r| from_row(&r)).transpose()?;
        Ok(proposal.filter(|p| role.district().is_none_or(|d| d.code.to_string() == p.district_code)))
    }

    /// Closes a pending proposal: `station_id` when staff added it, else turned down
    /// with `comment`; audited. False when it was not pending any more.
    pub async fn close_proposal(
        &self,
        p: &Proposal,
        station_id: Option<i64>,
        comment: &str,
        staff: &Staff,
        now: i64,
    ) -> Result<bool, StoreError> {
        let state = if station_id.is_some() { "accepted" } else { "rejected" };
        let mut tx = self.write().await?;
        let changed = sqlx::query(
            "UPDATE station_proposals SET state = $2, station_id = $3, comment = $4, reviewed_by = $5, reviewed_at = $6 \
             WHERE id = $1 AND state = 'pending'",
        )
        .bind(p.id)
        .bind(state)
        .bind(station_id)
        .bind(comment)
        .bind(staff.id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        let record = AuditRecord {
            entity: "proposal",
            key: p.id.to_string(),
            station_id,
            action: if station_id.is_some() { "proposal_accept" } else { "proposal_reject" },
            staff_id: Some(staff.id),
            at: now,
        };
        let mut after = serde_json::json!({"proposal_state": state, "name": p.name});
        if !comment.is_empty() {
            after["comment"] = comment.into();
        }
        record.write(&mut tx, &serde_json::json!({"proposal_state": "pending"}), &after).await?;
        tx.commit().await?;
        Ok(true)
    }
}
