//! Follow-ups to a fix (督导整改) and their history.

use chrono::NaiveDate;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::audit::AuditRecord;
use super::{Store, StoreError};
use crate::domain::followup::{Assignee, FollowupStatus, NewFollowup, Source};
use crate::domain::staff::Staff;
use crate::domain::staff::StaffScope;

/// A follow-up as stored, with the name of the staff member who opened it.
#[derive(Debug, Clone)]
pub struct Followup {
    pub id: i64,
    pub station_id: i64,
    pub source: Source,
    pub problem: String,
    pub assignee: Assignee,
    pub due_on: NaiveDate,
    pub status: FollowupStatus,
    pub opened_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One line of a follow-up's history.
#[derive(Debug, Clone)]
pub struct FollowupEvent {
    /// The staff member's or the supervisor's name.
    pub who: String,
    pub by_supervisor: bool,
    pub status: Option<FollowupStatus>,
    pub comment: String,
    pub at: i64,
}

/// Which follow-ups a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowupFilter {
    /// Open or in progress.
    Active,
    /// Active and due before this day.
    Overdue(NaiveDate),
    Status(FollowupStatus),
    All,
}

/// Who changes a follow-up.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    Staff(&'a Staff),
    /// The supervisor whose report (or suggestion) it came from.
    Supervisor(i64),
}

/// What became of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowupUpdated {
    Done,
    /// Someone changed the status first: nothing written.
    Conflict,
}

/// Follow-ups a list page shows.
pub const FOLLOWUP_PAGE: i64 = 200;

const COLUMNS: &str = "f.id, f.station_id, f.source, f.source_id, f.problem, f.assignee, f.due_on, f.status, \
    s.display_name, f.created_at, f.updated_at";
const FROM: &str = "followups f JOIN staff s ON s.id = f.created_by";

fn from_row(row: &AnyRow) -> Result<Followup, StoreError> {
    let source: String = row.try_get(2)?;
    let source_id: Option<i64> = row.try_get(3)?;
    let assignee: String = row.try_get(5)?;
    let due: String = row.try_get(6)?;
    let status: String = row.try_get(7)?;
    let id: i64 = row.try_get(0)?;
    let bad = |what: &str, v: &str| StoreError::Data(format!("followup {id}"), format!("{what} {v:?}"));
    Ok(Followup {
        id,
        station_id: row.try_get(1)?,
        source: Source::from_parts(&source, source_id).ok_or_else(|| bad("source", &source))?,
        problem: row.try_get(4)?,
        assignee: Assignee::parse(&assignee).ok_or_else(|| bad("assignee", &assignee))?,
        due_on: due.parse().map_err(|_| bad("due_on", &due))?,
        status: FollowupStatus::parse(&status).ok_or_else(|| bad("status", &status))?,
        opened_by: row.try_get(8)?,
        created_at: row.try_get(9)?,
        updated_at: row.try_get(10)?,
    })
}

/// Follow-ups of the stations in `scope` *now*.
fn scope(scope: &StaffScope, param: usize) -> (String, Vec<String>) {
    super::in_scope(scope, "f.station_id", param)
}

/// The follow-ups born of a supervisor's own reports and suggestions.
fn owned_by(param: usize) -> String {
    format!(
        "((f.source = 'report' AND f.source_id IN (SELECT id FROM inspection_reports WHERE supervisor_id = ${param})) \
         OR (f.source = 'suggestion' AND f.source_id IN (SELECT id FROM suggestions WHERE supervisor_id = ${param})))"
    )
}

fn filter_cond(filter: FollowupFilter, param: usize) -> (String, Option<String>) {
    match filter {
        FollowupFilter::Active => ("f.status IN ('open', 'in_progress')".into(), None),
        FollowupFilter::Overdue(today) => (
            format!("f.status IN ('open', 'in_progress') AND f.due_on < ${param}"),
            Some(today.format("%Y-%m-%d").to_string()),
        ),
        FollowupFilter::Status(s) => (format!("f.status = '{}'", s.key()), None),
        FollowupFilter::All => ("TRUE".into(), None),
    }
}

/// Writes a new follow-up, its first history line and its audit row in `tx`; its id.
pub(super) async fn insert_followup(
    tx: &mut super::Tx,
    station_id: i64,
    source: Source,
    new: &NewFollowup,
    staff_id: i64,
    now: i64,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO followups (station_id, source, source_id, problem, assignee, due_on, status, created_by, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $8) RETURNING id",
    )
    .bind(station_id)
    .bind(source.kind())
    .bind(source.id())
    .bind(&new.problem)
    .bind(new.assignee.key())
    .bind(new.due_on.format("%Y-%m-%d").to_string())
    .bind(staff_id)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    let id: i64 = row.try_get(0)?;
    sqlx::query("INSERT INTO followup_events (followup_id, staff_id, status, at) VALUES ($1, $2, 'open', $3)")
        .bind(id)
        .bind(staff_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    let record = AuditRecord {
        entity: "followup",
        key: id.to_string(),
        station_id: Some(station_id),
        action: "followup_open",
        staff_id: Some(staff_id),
        at: now,
    };
    let after = serde_json::json!({
        "problem": new.problem,
        "assignee": new.assignee.key(),
        "due_on": new.due_on.format("%Y-%m-%d").to_string(),
        "followup_status": "open",
        "followup_source": source.kind(),
    });
    record.write(tx, &serde_json::json!({}), &after).await?;
    Ok(id)
}

impl Store {
    /// Opens a follow-up at `station_id` with its first history line and audit row; its id.
    pub async fn open_followup(
        &self,
        station_id: i64,
        source: Source,
        new: &NewFollowup,
        staff: &Staff,
        now: i64,
    ) -> Result<i64, StoreError> {
        let mut tx = self.write().await?;
        let id = insert_followup(&mut tx, station_id, source, new, staff.id, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Follow-ups in `role`'s districts: the soonest due first (then the newest).
    pub async fn followups_for(
        &self,
        role: impl Into<StaffScope>,
        filter: FollowupFilter,
    ) -> Result<Vec<Followup>, StoreError> {
        let (cond, district) = scope(&role.into(), 1);
        let (fcond, value) = filter_cond(filter, 1 + district.len());
        let sql = format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE {cond} AND {fcond} ORDER BY f.due_on, f.id DESC LIMIT {FOLLOWUP_PAGE}"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for v in district.into_iter().chain(value) {
            query = query.bind(v);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(from_row).collect()
    }

    /// How many follow-ups in `role`'s districts are overdue on `today`.
    pub async fn overdue_followups(&self, role: impl Into<StaffScope>, today: NaiveDate) -> Result<i64, StoreError> {
        let (cond, district) = scope(&role.into(), 1);
        let (fcond, value) = filter_cond(FollowupFilter::Overdue(today), 1 + district.len());
        let sql = format!("SELECT COUNT(*) FROM followups f WHERE {cond} AND {fcond}");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for v in district.into_iter().chain(value) {
            query = query.bind(v);
        }
        Ok(query.fetch_one(&self.pool).await?.try_get::<i64, _>(0)?)
    }

    /// One follow-up, if `role` may see it (another district's is "not found").
    pub async fn followup_for(&self, id: i64, role: impl Into<StaffScope>) -> Result<Option<Followup>, StoreError> {
        let (cond, district) = scope(&role.into(), 2);
        let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE f.id = $1 AND {cond}");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id);
        for d in district {
            query = query.bind(d);
        }
        query.fetch_optional(&self.pool).await?.map(|r| from_row(&r)).transpose()
    }

    /// The follow-ups of one station with `status`, oldest first.
    pub async fn station_followups(
        &self,
        station_id: i64,
        status: FollowupStatus,
    ) -> Result<Vec<Followup>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE f.station_id = $1 AND f.status = $2 ORDER BY f.id");
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(station_id).bind(status.key()).fetch_all(&self.pool).await?;
        rows.iter().map(from_row).collect()
    }

    /// The follow-ups born of a supervisor's own reports and suggestions, newest first.
    pub async fn own_followups(&self, supervisor_id: i64) -> Result<Vec<Followup>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE {} ORDER BY f.created_at DESC, f.id DESC LIMIT {FOLLOWUP_PAGE}",
            owned_by(1)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(supervisor_id).fetch_all(&self.pool).await?;
        rows.iter().map(from_row).collect()
    }

    /// One follow-up born of the supervisor's own report or suggestion (another's is "not found").
    pub async fn own_followup(&self, id: i64, supervisor_id: i64) -> Result<Option<Followup>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE f.id = $1 AND {}", owned_by(2));
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(supervisor_id).fetch_optional(&self.pool).await?;
        row.map(|r| from_row(&r)).transpose()
    }

    /// The history of a follow-up, oldest first.
    pub async fn followup_events(&self, id: i64) -> Result<Vec<FollowupEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT COALESCE(st.display_name, sv.display_name, ''), e.supervisor_id, e.status, e.comment, e.at \
             FROM followup_events e LEFT JOIN staff st ON st.id = e.staff_id \
             LEFT JOIN supervisors sv ON sv.id = e.supervisor_id WHERE e.followup_id = $1 ORDER BY e.at, e.id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let status: Option<String> = r.try_get(2)?;
                Ok(FollowupEvent {
                    who: r.try_get(0)?,
                    by_supervisor: r.try_get::<Option<i64>, _>(1)?.is_some(),
                    status: status.as_deref().and_then(FollowupStatus::parse),
                    comment: r.try_get(3)?,
                    at: r.try_get(4)?,
                })
            })
            .collect()
    }

    /// Moves `f` to `status` (when given and different) and/or adds a comment, as one
    /// history line; a staff change is audited. Written only if the status is still the
    /// one `f` was read with.
    pub async fn update_followup(
        &self,
        f: &Followup,
        status: Option<FollowupStatus>,
        comment: &str,
        actor: Actor<'_>,
        now: i64,
    ) -> Result<FollowupUpdated, StoreError> {
        let mut tx = self.write().await?;
        let updated = update_in(&mut tx, f, status, comment, actor, now).await?;
        match updated {
            FollowupUpdated::Done => tx.commit().await?,
            _ => tx.rollback().await?,
        }
        Ok(updated)
    }
}

/// [`Store::update_followup`] in `tx`; the caller commits only when it is done.
pub(super) async fn update_in(
    tx: &mut super::Tx,
    f: &Followup,
    status: Option<FollowupStatus>,
    comment: &str,
    actor: Actor<'_>,
    now: i64,
) -> Result<FollowupUpdated, StoreError> {
    let status = status.filter(|s| *s != f.status);
    let changed = sqlx::query("UPDATE followups SET status = $2, updated_at = $3 WHERE id = $1 AND status = $4")
        .bind(f.id)
        .bind(status.unwrap_or(f.status).key())
        .bind(now)
        .bind(f.status.key())
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if changed == 0 {
        return Ok(FollowupUpdated::Conflict);
    }
    let (staff_id, supervisor_id) = match actor {
        Actor::Staff(s) => (Some(s.id), None),
        Actor::Supervisor(id) => (None, Some(id)),
    };
    sqlx::query(
        "INSERT INTO followup_events (followup_id, staff_id, supervisor_id, status, comment, at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(f.id)
    .bind(staff_id)
    .bind(supervisor_id)
    .bind(status.map(FollowupStatus::key))
    .bind(comment)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    if status == Some(FollowupStatus::Verified) {
        super::card_close::close_card_of_followup(tx, f.id, now).await?;
    }
    if let Some(staff_id) = staff_id {
        let record = AuditRecord {
            entity: "followup",
            key: f.id.to_string(),
            station_id: Some(f.station_id),
            action: if status.is_some() { "followup_status" } else { "followup_comment" },
            staff_id: Some(staff_id),
            at: now,
        };
        let (mut before, mut after) = (serde_json::json!({}), serde_json::json!({}));
        if let Some(s) = status {
            before["followup_status"] = f.status.key().into();
            after["followup_status"] = s.key().into();
        }
        if !comment.is_empty() {
            after["comment"] = comment.into();
        }
        record.write(tx, &before, &after).await?;
    }
    Ok(FollowupUpdated::Done)
}

/// The follow-ups of `station_id` with `status`, read in `tx`.
pub(super) async fn station_followups_in(
    tx: &mut super::Tx,
    station_id: i64,
    status: FollowupStatus,
) -> Result<Vec<Followup>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE f.station_id = $1 AND f.status = $2 ORDER BY f.id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(station_id).bind(status.key()).fetch_all(&mut **tx).await?;
    rows.iter().map(from_row).collect()
}
