//! Worker feedback, its moderation history and what the public pages show of it.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::audit::AuditRecord;
use super::cards::CardProblem;
use super::{Store, StoreError};
use crate::domain::feedback::{
    ClosedOutcome, FeedbackKind, FeedbackState, NewFeedback, RejectReason, Reporter, new_receipt,
};
use crate::domain::staff::StaffScope;
use crate::domain::staff::{Role, Staff};
use crate::domain::station::Station;

/// A feedback as stored.
#[derive(Debug, Clone)]
pub struct Feedback {
    pub id: i64,
    pub receipt: String,
    pub station_id: i64,
    pub district_code: String,
    pub kind: FeedbackKind,
    pub rating: Option<u8>,
    pub body: String,
    pub reporter: Option<Reporter>,
    /// Never shown publicly.
    pub contact_phone: Option<String>,
    pub state: FeedbackState,
    pub reject_reason: Option<RejectReason>,
    pub reply: Option<String>,
    pub reply_at: Option<i64>,
    pub trapped: bool,
    pub created_at: i64,
    /// How staff resolved a "closed when listed open" report, if they have.
    pub outcome: Option<ClosedOutcome>,
    pub outcome_at: Option<i64>,
}

/// One step of a feedback's moderation history.
#[derive(Debug, Clone)]
pub struct FeedbackEvent {
    pub at: i64,
    /// `None`: the system (e.g. the honeypot).
    pub staff_name: Option<String>,
    pub action: String,
    pub reason: Option<String>,
    pub note: Option<String>,
}

/// A moderation step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Moderation {
    Publish,
    Reject(RejectReason),
    Reply(String),
}

impl Moderation {
    /// The action's key in the history and the audit log.
    fn action(&self) -> &'static str {
        match self {
            Moderation::Publish => "publish",
            Moderation::Reject(_) => "reject",
            Moderation::Reply(_) => "reply",
        }
    }
}

/// What became of an attempt to record a report's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    Done,
    /// The report already had this outcome.
    Unchanged,
    /// Not a "closed" report that `staff` may see.
    NotFound,
    /// The station changed since it was read: nothing written.
    Conflict,
}

/// What [`Store::act_on_feedback`] did.
#[derive(Debug, Default)]
pub struct Acted {
    /// Feedback changed (the outcome counts as one).
    pub changed: u64,
    /// The outcome's resolution, when one was asked for.
    pub resolved: Option<Resolved>,
    /// The yellow card raised.
    pub card: Option<i64>,
}

/// Which feedback the queue lists.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub state: Option<FeedbackState>,
    pub kind: Option<FeedbackKind>,
    pub district: Option<String>,
    pub station_id: Option<i64>,
    /// Zero-based.
    pub page: u32,
}

/// Feedback rows per queue page.
pub const QUEUE_PAGE: u32 = 50;

const COLUMNS: &str = "id, receipt, station_id, district_code, kind, rating, body, reporter, contact_phone, state, \
    reject_reason, reply, reply_at, trapped, created_at, outcome, outcome_at";

fn from_row(row: &AnyRow) -> Result<Feedback, sqlx::Error> {
    let kind: String = row.try_get(4)?;
    let state: String = row.try_get(9)?;
    Ok(Feedback {
        id: row.try_get(0)?,
        receipt: row.try_get(1)?,
        station_id: row.try_get(2)?,
        district_code: row.try_get(3)?,
        kind: FeedbackKind::parse(&kind).unwrap_or(FeedbackKind::Other),
        rating: row.try_get::<Option<i64>, _>(5)?.and_then(|r| u8::try_from(r).ok()),
        body: row.try_get(6)?,
        reporter: row.try_get::<Option<String>, _>(7)?.as_deref().and_then(Reporter::parse),
        contact_phone: row.try_get(8)?,
        state: FeedbackState::parse(&state).unwrap_or(FeedbackState::Pending),
        reject_reason: row.try_get::<Option<String>, _>(10)?.as_deref().and_then(RejectReason::parse),
        reply: row.try_get(11)?,
        reply_at: row.try_get(12)?,
        trapped: row.try_get::<i64, _>(13)? != 0,
        created_at: row.try_get(14)?,
        outcome: row.try_get::<Option<String>, _>(15)?.as_deref().and_then(ClosedOutcome::parse),
        outcome_at: row.try_get(16)?,
    })
}

/// Feedback about the stations of one district *now*: a station moved to another
/// district takes its feedback along (the column `district_code` keeps where it was sent).
fn in_district(param: usize) -> String {
    format!("station_id IN (SELECT id FROM stations WHERE district_code = ${param})")
}

/// The `WHERE` condition that keeps staff inside their districts, and its values.
fn scope(scope: &StaffScope, first_param: usize) -> (String, Vec<String>) {
    super::in_scope(scope, "station_id", first_param)
}

impl Store {
    /// Stores a feedback once per `submission` key: a retried form gets the first receipt
    /// back (`false`: it was stored before). A trapped (honeypot) one is stored as rejected spam.
    pub async fn submit_feedback(
        &self,
        station_id: i64,
        district_code: &str,
        new: &NewFeedback,
        submission: &str,
        trapped: bool,
        now: i64,
    ) -> Result<(String, bool), StoreError> {
        let mut tx = self.write().await?;
        let (state, reason) = if trapped { ("rejected", Some("spam")) } else { ("pending", None) };
        let inserted = sqlx::query(
            "INSERT INTO feedback (receipt, submission, station_id, district_code, kind, rating, body, reporter, \
             contact_phone, state, reject_reason, trapped, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) \
             ON CONFLICT (submission) DO NOTHING RETURNING id, receipt",
        )
        .bind(new_receipt())
        .bind(submission)
        .bind(station_id)
        .bind(district_code)
        .bind(new.kind.key())
        .bind(new.rating.map(i64::from))
        .bind(&new.body)
        .bind(new.reporter.map(|r| r.key()))
        .bind(new.phone.as_ref().map(|p| p.as_str().to_string()))
        .bind(state)
        .bind(reason)
        .bind(i64::from(trapped))
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = inserted else {
            tx.rollback().await?;
            let receipt = self.receipt_for_submission(submission).await?;
            return receipt
                .map(|r| (r, false))
                .ok_or_else(|| StoreError::Data("feedback".into(), "stored form vanished".into()));
        };
        let id: i64 = row.try_get(0)?;
        let receipt: String = row.try_get(1)?;
        if trapped {
            sqlx::query(
                "INSERT INTO feedback_events (feedback_id, staff_id, at, action, reason, note) \
                 VALUES ($1, NULL, $2, 'reject', 'spam', 'honeypot')",
            )
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        } else if new.kind == FeedbackKind::ClosedWhenOpen {
            // The "reported closed" warning shows before moderation: every instance reloads.
            sqlx::query("UPDATE feedback_version SET version = version + 1 WHERE id = 1").execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok((receipt, true))
    }

    /// The receipt of a form already stored under this submission key.
    pub async fn receipt_for_submission(&self, submission: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT receipt FROM feedback WHERE submission = $1")
            .bind(submission)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get::<String, _>(0)).transpose()?)
    }

    pub async fn feedback_by_receipt(&self, receipt: &str) -> Result<Option<Feedback>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM feedback WHERE receipt = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(receipt).fetch_optional(&self.pool).await?;
        Ok(row.map(|r| from_row(&r)).transpose()?)
    }

    /// One feedback, if `role` may see it (another district's is "not found").
    pub async fn feedback_for(&self, id: i64, role: impl Into<StaffScope>) -> Result<Option<Feedback>, StoreError> {
        let (cond, district) = scope(&role.into(), 2);
        let sql = format!("SELECT {COLUMNS} FROM feedback WHERE id = $1 AND {cond}");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id);
        for d in district {
            query = query.bind(d);
        }
        let row = query.fetch_optional(&self.pool).await?;
        Ok(row.map(|r| from_row(&r)).transpose()?)
    }

    pub async fn feedback_events(&self, id: i64) -> Result<Vec<FeedbackEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.at, s.display_name, e.action, e.reason, e.note FROM feedback_events e \
             LEFT JOIN staff s ON s.id = e.staff_id WHERE e.feedback_id = $1 ORDER BY e.id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FeedbackEvent {
                    at: r.try_get(0)?,
                    staff_name: r.try_get(1)?,
                    action: r.try_get(2)?,
                    reason: r.try_get(3)?,
                    note: r.try_get(4)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// A page of the moderation queue inside `role`'s districts (newest first), and the total.
    /// Trapped (honeypot) feedback is left out: nobody needs to read it.
    pub async fn feedback_queue(&self, filter: &QueueFilter, role: Role) -> Result<(i64, Vec<Feedback>), StoreError> {
        let mut conds = vec!["trapped = 0".to_string()];
        let mut values: Vec<String> = Vec::new();
        let mut push = |cond: &dyn Fn(usize) -> String, value: String| {
            values.push(value);
            conds.push(cond(values.len()));
        };
        if let Some(d) = role.district() {
            push(&in_district, d.code.to_string());
        }
        if let Some(s) = filter.state {
            push(&|n| format!("state = ${n}"), s.key().into());
        }
        if let Some(k) = filter.kind {
            push(&|n| format!("kind = ${n}"), k.key().into());
        }
        if let Some(d) = &filter.district {
            push(&in_district, d.clone());
        }
        let station = filter.station_id;
        if station.is_some() {
            conds.push(format!("station_id = ${}", values.len() + 1));
        }
        let cond = conds.join(" AND ");
        let count_sql = format!("SELECT COUNT(*) FROM feedback WHERE {cond}");
        let mut count = sqlx::query(sqlx::AssertSqlSafe(count_sql));
        for v in &values {
            count = count.bind(v.clone());
        }
        if let Some(id) = station {
            count = count.bind(id);
        }
        let total: i64 = count.fetch_one(&self.pool).await?.try_get(0)?;
        let sql = format!(
            "SELECT {COLUMNS} FROM feedback WHERE {cond} ORDER BY created_at DESC, id DESC LIMIT {QUEUE_PAGE} OFFSET {}",
            u64::from(filter.page) * u64::from(QUEUE_PAGE)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for v in values {
            query = query.bind(v);
        }
        if let Some(id) = station {
            query = query.bind(id);
        }
        let rows = query.fetch_all(&self.pool).await?;
        Ok((total, rows.iter().map(from_row).collect::<Result<_, _>>()?))
    }

    /// Applies moderation steps, in order, to each of `ids` that `staff` may touch,
    /// recording each change in the history and the audit log (`bulk`: done from the
    /// queue on several at once). Returns how many feedback changed.
    pub async fn moderate(
        &self,
        ids: &[i64],
        steps: &[Moderation],
        staff: &Staff,
        now: i64,
        bulk: bool,
    ) -> Result<u64, StoreError> {
        let mut tx = self.write().await?;
        let changed = moderate_in(&mut tx, ids, steps, staff, now, bulk).await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// Records how a "closed when listed open" report was resolved, in `tx`, with its
    /// history and audit rows; `close` is the station before and after it was marked
    /// temporarily closed. The report stops warning on the station page. The caller
    /// commits only when it is done.
    async fn resolve_in(
        &self,
        tx: &mut super::Tx,
        id: i64,
        outcome: ClosedOutcome,
        close: Option<(&Station, &Station)>,
        staff: &Staff,
        now: i64,
    ) -> Result<Resolved, StoreError> {
        let (cond, district) = scope(&staff.role.into(), 2);
        let sql = format!(
            "SELECT COALESCE(outcome, ''), station_id FROM feedback \
             WHERE id = $1 AND kind = 'closed_when_open' AND trapped = 0 AND {cond}"
        );
        let mut read = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id);
        for d in district {
            read = read.bind(d);
        }
        let Some(row) = read.fetch_optional(&mut **tx).await? else { return Ok(Resolved::NotFound) };
        let (old, station_id): (String, i64) = (row.try_get(0)?, row.try_get(1)?);
        if old == outcome.key() && close.is_none() {
            return Ok(Resolved::Unchanged);
        }
        if let Some((before, after)) = close
            && !self.write_station(tx, before, after, "close", Some(staff.id), now).await?
        {
            return Ok(Resolved::Conflict);
        }
        sqlx::query("UPDATE feedback SET outcome = $2, outcome_at = $3, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(outcome.key())
            .bind(now)
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "INSERT INTO feedback_events (feedback_id, staff_id, at, action, reason, note) \
             VALUES ($1, $2, $3, 'outcome', $4, NULL)",
        )
        .bind(id)
        .bind(staff.id)
        .bind(now)
        .bind(outcome.key())
        .execute(&mut **tx)
        .await?;
        let (before, after) = (serde_json::json!({"outcome": old}), serde_json::json!({"outcome": outcome.key()}));
        feedback_audit(id, station_id, "outcome", staff.id, now).write(tx, &before, &after).await?;
        sqlx::query("UPDATE feedback_version SET version = version + 1 WHERE id = 1").execute(&mut **tx).await?;
        Ok(Resolved::Done)
    }

    /// A staff decision on one feedback, in one transaction: its moderation steps, the
    /// outcome of a "closed when listed open" report (with the station marked closed),
    /// and the yellow card that outcome may complete at `station_id`. When the station
    /// changed since it was read, nothing is written.
    pub async fn act_on_feedback(
        &self,
        id: i64,
        steps: &[Moderation],
        outcome: Option<(ClosedOutcome, Option<(&Station, &Station)>)>,
        card: &CardProblem<'_>,
        staff: &Staff,
        now: i64,
    ) -> Result<Acted, StoreError> {
        let today = crate::domain::hours::beijing_local(now).date();
        let mut tx = self.write().await?;
        let mut acted =
            Acted { changed: moderate_in(&mut tx, &[id], steps, staff, now, false).await?, ..Acted::default() };
        if let Some((chosen, close)) = outcome {
            let resolved = self.resolve_in(&mut tx, id, chosen, close, staff, now).await?;
            acted.resolved = Some(resolved);
            match resolved {
                Resolved::Conflict | Resolved::NotFound => {
                    tx.rollback().await?;
                    return Ok(Acted { changed: 0, resolved: Some(resolved), card: None });
                }
                Resolved::Done => {
                    acted.changed += 1;
                    if chosen.confirms_closed()
                        && let Some(station_id) = feedback_station(&mut tx, id).await?
                    {
                        acted.card = super::cards::raise_in(&mut tx, station_id, card, staff, today, now).await?;
                    }
                }
                Resolved::Unchanged => {}
            }
        }
        tx.commit().await?;
        Ok(acted)
    }

    pub async fn feedback_version(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT version FROM feedback_version WHERE id = 1").fetch_one(&self.pool).await?;
        Ok(row.try_get::<i64, _>(0)?)
    }

    /// What the public pages show: published feedback (newest first) and the times of
    /// "closed when listed open" reports since `since` that were neither rejected nor resolved.
    pub async fn public_feedback(&self, since: i64) -> Result<(Vec<Feedback>, Vec<(i64, i64)>), StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM feedback WHERE state = 'published' ORDER BY created_at DESC, id DESC");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool).await?;
        let published = rows.iter().map(from_row).collect::<Result<_, _>>()?;
        let rows = sqlx::query(
            "SELECT station_id, created_at FROM feedback WHERE kind = 'closed_when_open' AND created_at >= $1 \
             AND state <> 'rejected' AND trapped = 0 AND outcome IS NULL ORDER BY created_at",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        let closed = rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<_, sqlx::Error>>()?;
        Ok((published, closed))
    }
}

/// An audit row about one feedback (the key is its id; it also concerns its station).
fn feedback_audit(id: i64, station_id: i64, action: &str, staff_id: i64, at: i64) -> AuditRecord<'_> {
    AuditRecord {
        entity: "feedback",
        key: id.to_string(),
        station_id: Some(station_id),
        action,
        staff_id: Some(staff_id),
        at,
    }
}

impl Store {
    /// The kind of each of these feedback (those that exist), for the audit log: one query.
    pub async fn feedback_kinds(&self, ids: &[i64]) -> Result<Vec<(i64, FeedbackKind)>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("SELECT id, kind FROM feedback WHERE id IN ({})", super::placeholders(1, ids.len()));
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in ids {
            query = query.bind(*id);
        }
        let mut out = Vec::with_capacity(ids.len());
        for row in query.fetch_all(&self.pool).await? {
            let kind: String = row.try_get(1)?;
            out.push((row.try_get(0)?, FeedbackKind::parse(&kind).unwrap_or(FeedbackKind::Other)));
        }
        Ok(out)
    }

    /// The feedback named by these receipts (those that exist), in one query.
    pub async fn feedback_by_receipts(&self, receipts: &[&str]) -> Result<Vec<Feedback>, StoreError> {
        if receipts.is_empty() {
            return Ok(Vec::new());
        }
        let sql =
            format!("SELECT {COLUMNS} FROM feedback WHERE receipt IN ({})", super::placeholders(1, receipts.len()));
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for r in receipts {
            query = query.bind(*r);
        }
        query.fetch_all(&self.pool).await?.iter().map(|r| Ok(from_row(r)?)).collect()
    }
}

/// [`Store::moderate`] in `tx`: the number of feedback changed.
async fn moderate_in(
    tx: &mut super::Tx,
    ids: &[i64],
    steps: &[Moderation],
    staff: &Staff,
    now: i64,
    bulk: bool,
) -> Result<u64, StoreError> {
    let (cond, district) = scope(&staff.role.into(), 2);
    let read_sql = format!(
        "SELECT state, COALESCE(reject_reason, ''), COALESCE(reply, ''), station_id FROM feedback \
         WHERE id = $1 AND trapped = 0 AND {cond}"
    );
    let mut changed = 0;
    for id in ids {
        let mut read = sqlx::query(sqlx::AssertSqlSafe(read_sql.clone())).bind(*id);
        for d in &district {
            read = read.bind(d.clone());
        }
        let Some(row) = read.fetch_optional(&mut **tx).await? else { continue };
        let (mut state, mut reason, mut reply): (String, String, String) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        let station_id: i64 = row.try_get(3)?;
        let mut any = false;
        for step in steps {
            let (before, after) = match step {
                Moderation::Publish if state != "published" => {
                    sqlx::query(
                        "UPDATE feedback SET state = 'published', reject_reason = NULL, updated_at = $2 WHERE id = $1",
                    )
                    .bind(*id)
                    .bind(now)
                    .execute(&mut **tx)
                    .await?;
                    let before = serde_json::json!({"state": state, "reject_reason": reason});
                    (state, reason) = ("published".into(), String::new());
                    (before, serde_json::json!({"state": state, "reject_reason": reason}))
                }
                Moderation::Reject(r) if !(state == "rejected" && reason == r.key()) => {
                    sqlx::query(
                        "UPDATE feedback SET state = 'rejected', reject_reason = $3, updated_at = $2 WHERE id = $1",
                    )
                    .bind(*id)
                    .bind(now)
                    .bind(r.key())
                    .execute(&mut **tx)
                    .await?;
                    let before = serde_json::json!({"state": state, "reject_reason": reason});
                    (state, reason) = ("rejected".into(), r.key().into());
                    (before, serde_json::json!({"state": state, "reject_reason": reason}))
                }
                Moderation::Reply(text) if *text != reply => {
                    sqlx::query("UPDATE feedback SET reply = $3, reply_at = $2, updated_at = $2 WHERE id = $1")
                        .bind(*id)
                        .bind(now)
                        .bind(text.clone())
                        .execute(&mut **tx)
                        .await?;
                    let before = serde_json::json!({"reply": reply});
                    reply = text.clone();
                    (before, serde_json::json!({"reply": reply}))
                }
                _ => continue,
            };
            any = true;
            let (reason_col, note) = match step {
                Moderation::Reject(r) => (Some(r.key()), None),
                Moderation::Reply(text) => (None, Some(text.clone())),
                Moderation::Publish => (None, None),
            };
            sqlx::query(
                "INSERT INTO feedback_events (feedback_id, staff_id, at, action, reason, note) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(*id)
            .bind(staff.id)
            .bind(now)
            .bind(step.action())
            .bind(reason_col)
            .bind(note)
            .execute(&mut **tx)
            .await?;
            let action = match (bulk, step) {
                (true, Moderation::Publish) => "bulk_publish",
                (true, Moderation::Reject(_)) => "bulk_reject",
                _ => step.action(),
            };
            feedback_audit(*id, station_id, action, staff.id, now).write(tx, &before, &after).await?;
        }
        if any {
            changed += 1;
        }
    }
    if changed > 0 {
        sqlx::query("UPDATE feedback_version SET version = version + 1 WHERE id = 1").execute(&mut **tx).await?;
    }
    Ok(changed)
}

/// The station a feedback is about.
async fn feedback_station(tx: &mut super::Tx, id: i64) -> Result<Option<i64>, StoreError> {
    let row = sqlx::query("SELECT station_id FROM feedback WHERE id = $1").bind(id).fetch_optional(&mut **tx).await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}
