//! Inspection reports of volunteer supervisors.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::audit::AuditRecord;
use super::cards::{CardProblem, raise_in};
use super::followups::{Actor, station_followups_in, update_in};
use super::{Store, StoreError};
use crate::domain::facility::FacilitySet;
use crate::domain::followup::FollowupStatus;
use crate::domain::inspection::{NewReport, OpenAsListed, ReportState};
use crate::domain::staff::Staff;
use crate::domain::staff::StaffScope;
use crate::domain::station::Station;

/// A report as stored, with its author's name.
#[derive(Debug, Clone)]
pub struct Report {
    pub id: i64,
    pub supervisor_id: i64,
    pub supervisor_name: String,
    pub station_id: i64,
    pub visited_at: i64,
    pub open: OpenAsListed,
    pub sign_visible: bool,
    pub staffed: bool,
    pub checked: FacilitySet,
    pub missing: FacilitySet,
    pub broken: FacilitySet,
    pub cleanliness: u8,
    pub notes: String,
    pub show_name: bool,
    pub state: ReportState,
    pub staff_comment: Option<String>,
    pub reviewed_at: Option<i64>,
    pub created_at: i64,
}

const COLUMNS: &str = "r.id, r.supervisor_id, s.display_name, r.station_id, r.visited_at, r.open_as_listed, \
    r.sign_visible, r.staffed, r.facilities_checked, r.facilities_missing, r.facilities_broken, r.cleanliness, \
    r.notes, r.show_name, r.state, r.staff_comment, r.reviewed_at, r.created_at";
const FROM: &str = "inspection_reports r JOIN supervisors s ON s.id = r.supervisor_id";

pub(super) fn from_row(row: &AnyRow) -> Result<Report, sqlx::Error> {
    let open: String = row.try_get(5)?;
    let state: String = row.try_get(14)?;
    Ok(Report {
        id: row.try_get(0)?,
        supervisor_id: row.try_get(1)?,
        supervisor_name: row.try_get(2)?,
        station_id: row.try_get(3)?,
        visited_at: row.try_get(4)?,
        open: OpenAsListed::parse(&open).unwrap_or(OpenAsListed::No),
        sign_visible: row.try_get::<i64, _>(6)? != 0,
        staffed: row.try_get::<i64, _>(7)? != 0,
        checked: FacilitySet::from_bits(row.try_get(8)?),
        missing: FacilitySet::from_bits(row.try_get(9)?),
        broken: FacilitySet::from_bits(row.try_get(10)?),
        cleanliness: u8::try_from(row.try_get::<i64, _>(11)?).unwrap_or_default(),
        notes: row.try_get(12)?,
        show_name: row.try_get::<i64, _>(13)? != 0,
        state: ReportState::parse(&state).unwrap_or(ReportState::Pending),
        staff_comment: row.try_get(15)?,
        reviewed_at: row.try_get(16)?,
        created_at: row.try_get(17)?,
    })
}

/// Reports a supervisor's home lists.
pub const MY_REPORTS: i64 = 30;

impl Store {
    /// Stores a report once per `submission` key. `Ok(Some((id, fresh)))`; a retried form
    /// gets the first report back (`fresh` false). `Ok(None)`: the key belongs to
    /// another supervisor's report (nothing written).
    pub async fn submit_report(
        &self,
        supervisor_id: i64,
        station_id: i64,
        new: &NewReport,
        submission: &str,
        now: i64,
    ) -> Result<Option<(i64, bool)>, StoreError> {
        let mut tx = self.write().await?;
        let inserted = sqlx::query(
            "INSERT INTO inspection_reports (submission, supervisor_id, station_id, visited_at, open_as_listed, \
             sign_visible, staffed, facilities_checked, facilities_missing, facilities_broken, cleanliness, notes, \
             show_name, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
             ON CONFLICT (submission) DO NOTHING RETURNING id",
        )
        .bind(submission)
        .bind(supervisor_id)
        .bind(station_id)
        .bind(new.visited_at)
        .bind(new.open.key())
        .bind(i64::from(new.sign_visible))
        .bind(i64::from(new.staffed))
        .bind(new.checked.bits())
        .bind(new.missing.bits())
        .bind(new.broken.bits())
        .bind(i64::from(new.cleanliness))
        .bind(&new.notes)
        .bind(i64::from(new.show_name))
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        if let Some(row) = inserted {
            return Ok(Some((row.try_get(0)?, true)));
        }
        Ok(self.report_for_submission(submission, supervisor_id).await?.map(|id| (id, false)))
    }

    /// The id of `supervisor_id`'s report stored under this submission key.
    pub async fn report_for_submission(&self, submission: &str, supervisor_id: i64) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query("SELECT id FROM inspection_reports WHERE submission = $1 AND supervisor_id = $2")
            .bind(submission)
            .bind(supervisor_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get::<i64, _>(0)).transpose()?)
    }

    /// One of `supervisor_id`'s own reports (another's is "not found").
    pub async fn own_report(&self, id: i64, supervisor_id: i64) -> Result<Option<Report>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE r.id = $1 AND r.supervisor_id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(supervisor_id).fetch_optional(&self.pool).await?;
        Ok(row.map(|r| from_row(&r)).transpose()?)
    }

    /// A supervisor's latest reports, newest first.
    pub async fn own_reports(&self, supervisor_id: i64) -> Result<Vec<Report>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE r.supervisor_id = $1 ORDER BY r.created_at DESC, r.id DESC \
             LIMIT {MY_REPORTS}"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(supervisor_id).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
    }
}

/// Reports a staff list page shows.
pub const REVIEW_PAGE: i64 = 100;

/// A staff decision on a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Review {
    Accept,
    /// Sent back to the supervisor with this comment.
    Return(String),
}

/// What accepting a report does in the same transaction: a passed inspection verifies
/// the station's follow-ups marked fixed (with this comment, closing a card they carry),
/// and the yellow card the accepted report may complete is raised.
pub struct Acceptance<'a> {
    /// `Some(comment)` when the inspection passed.
    pub verify_fixed: Option<&'a str>,
    pub card: &'a CardProblem<'a>,
}

/// What became of a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reviewed {
    Done,
    /// Someone decided first: nothing written.
    AlreadyReviewed,
    /// The station changed since it was read: nothing written.
    Conflict,
    NotFound,
}

/// Reports about the stations in `scope` *now*.
fn scope(scope: &StaffScope, param: usize) -> (String, Vec<String>) {
    super::in_scope(scope, "r.station_id", param)
}

impl Store {
    /// Reports in `role`'s districts in `state` (all states when `None`): pending ones
    /// oldest first (the queue), decided ones newest first.
    pub async fn reports_for(
        &self,
        role: impl Into<StaffScope>,
        state: Option<ReportState>,
    ) -> Result<Vec<Report>, StoreError> {
        let (cond, district) = scope(&role.into(), 1);
        let (state_cond, order) = match state {
            Some(ReportState::Pending) => ("r.state = 'pending'", "r.created_at, r.id"),
            Some(ReportState::Accepted) => ("r.state = 'accepted'", "r.reviewed_at DESC, r.id DESC"),
            Some(ReportState::Returned) => ("r.state = 'returned'", "r.reviewed_at DESC, r.id DESC"),
            None => ("TRUE", "r.created_at DESC, r.id DESC"),
        };
        let sql =
            format!("SELECT {COLUMNS} FROM {FROM} WHERE {cond} AND {state_cond} ORDER BY {order} LIMIT {REVIEW_PAGE}");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for d in district {
            query = query.bind(d);
        }
        let rows = query.fetch_all(&self.pool).await?;
        Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
    }

    /// One report, if `role` may see it (another district's is "not found").
    pub async fn report_for(&self, id: i64, role: impl Into<StaffScope>) -> Result<Option<Report>, StoreError> {
        let (cond, district) = scope(&role.into(), 2);
        let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE r.id = $1 AND {cond}");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id);
        for d in district {
            query = query.bind(d);
        }
        let row = query.fetch_optional(&self.pool).await?;
        Ok(row.map(|r| from_row(&r)).transpose()?)
    }

    /// Records a decision on a pending report with its audit row; `station` is the
    /// station before and after the accepted findings, written in the same transaction
    /// (audited as a station edit).
    pub async fn review_report(
        &self,
        id: i64,
        review: &Review,
        station: Option<(&Station, &Station)>,
        staff: &Staff,
        now: i64,
    ) -> Result<Reviewed, StoreError> {
        self.review_report_then(id, review, station, staff, now, None).await
    }

    /// [`Store::review_report`], and what accepting it does ([`Acceptance`]), in the
    /// same transaction.
    pub async fn review_report_then(
        &self,
        id: i64,
        review: &Review,
        station: Option<(&Station, &Station)>,
        staff: &Staff,
        now: i64,
        acceptance: Option<Acceptance<'_>>,
    ) -> Result<Reviewed, StoreError> {
        if self.report_for(id, staff.role).await?.is_none() {
            return Ok(Reviewed::NotFound);
        }
        let (state, comment) = match review {
            Review::Accept => (ReportState::Accepted, None),
            Review::Return(c) => (ReportState::Returned, Some(c.clone())),
        };
        let mut tx = self.write().await?;
        let claimed = sqlx::query(
            "UPDATE inspection_reports SET state = $2, staff_comment = $3, reviewed_by = $4, reviewed_at = $5 \
             WHERE id = $1 AND state = 'pending' RETURNING station_id",
        )
        .bind(id)
        .bind(state.key())
        .bind(comment.clone())
        .bind(staff.id)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = claimed else {
            tx.rollback().await?;
            return Ok(Reviewed::AlreadyReviewed);
        };
        let station_id: i64 = row.try_get(0)?;
        if let Some((before, after)) = station
            && !self.write_station(&mut tx, before, after, "inspection_apply", Some(staff.id), now).await?
        {
            tx.rollback().await?;
            return Ok(Reviewed::Conflict);
        }
        let record = AuditRecord {
            entity: "inspection",
            key: id.to_string(),
            station_id: Some(station_id),
            action: if state == ReportState::Accepted { "inspection_accept" } else { "inspection_return" },
            staff_id: Some(staff.id),
            at: now,
        };
        let mut after = serde_json::json!({"report_state": state.key()});
        if let Some(c) = comment {
            after["staff_comment"] = c.into();
        }
        record.write(&mut tx, &serde_json::json!({"report_state": "pending"}), &after).await?;
        if let (ReportState::Accepted, Some(then)) = (state, acceptance) {
            if let Some(comment) = then.verify_fixed {
                for f in station_followups_in(&mut tx, station_id, FollowupStatus::Fixed).await? {
                    update_in(&mut tx, &f, Some(FollowupStatus::Verified), comment, Actor::Staff(staff), now).await?;
                }
            }
            let today = crate::domain::hours::beijing_local(now).date();
            raise_in(&mut tx, station_id, then.card, staff, today, now).await?;
        }
        tx.commit().await?;
        Ok(Reviewed::Done)
    }
}
