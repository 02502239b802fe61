//! Suggestions of volunteer supervisors (建言献策) and staff answers.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::audit::AuditRecord;
use super::{Store, StoreError};
use crate::domain::staff::Staff;
use crate::domain::staff::StaffScope;
use crate::domain::suggestion::NewSuggestion;

/// A suggestion as stored, with its author's name.
#[derive(Debug, Clone)]
pub struct Suggestion {
    pub id: i64,
    pub supervisor_id: i64,
    pub supervisor_name: String,
    pub station_id: Option<i64>,
    pub body: String,
    pub may_publish: bool,
    pub show_name: bool,
    pub answer: Option<String>,
    pub answered_at: Option<i64>,
    pub created_at: i64,
}

/// Suggestions a list page shows; the public page shows this many per page.
pub const SUGGESTION_PAGE: i64 = 100;
pub const PUBLIC_SUGGESTION_PAGE: u32 = 20;

const COLUMNS: &str = "g.id, g.supervisor_id, s.display_name, g.station_id, g.body, g.may_publish, g.show_name, \
    g.answer, g.answered_at, g.created_at";
const FROM: &str = "suggestions g JOIN supervisors s ON s.id = g.supervisor_id";

fn from_row(row: &AnyRow) -> Result<Suggestion, sqlx::Error> {
    Ok(Suggestion {
        id: row.try_get(0)?,
        supervisor_id: row.try_get(1)?,
        supervisor_name: row.try_get(2)?,
        station_id: row.try_get(3)?,
        body: row.try_get(4)?,
        may_publish: row.try_get::<i64, _>(5)? != 0,
        show_name: row.try_get::<i64, _>(6)? != 0,
        answer: row.try_get(7)?,
        answered_at: row.try_get(8)?,
        created_at: row.try_get(9)?,
    })
}

/// Suggestions staff of a district answer: about a station in `scope` *now*, or about
/// no station and from a supervisor who covers one of its districts.
fn scope(scope: &StaffScope, param: usize) -> (String, Vec<String>) {
    let (stations, codes) = super::in_scope(scope, "g.station_id", param);
    if codes.is_empty() {
        return (stations, codes);
    }
    let same = super::placeholders(param, codes.len());
    (
        format!(
            "({stations} OR (g.station_id IS NULL AND g.supervisor_id IN \
             (SELECT supervisor_id FROM supervisor_districts WHERE district_code IN ({same}))))"
        ),
        codes,
    )
}

/// What became of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    Done,
    NotFound,
}

impl Store {
    /// Stores a suggestion once per `submission` key: `Ok(Some(id))`, the first one for a
    /// retried form; `Ok(None)` when the key is another supervisor's (nothing written).
    pub async fn submit_suggestion(
        &self,
        supervisor_id: i64,
        new: &NewSuggestion,
        submission: &str,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        let mut tx = self.write().await?;
        let inserted = sqlx::query(
            "INSERT INTO suggestions (submission, supervisor_id, station_id, body, may_publish, show_name, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (submission) DO NOTHING RETURNING id",
        )
        .bind(submission)
        .bind(supervisor_id)
        .bind(new.station_id)
        .bind(&new.body)
        .bind(i64::from(new.may_publish))
        .bind(i64::from(new.show_name))
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        if let Some(row) = inserted {
            return Ok(Some(row.try_get(0)?));
        }
        self.suggestion_for_submission(submission, supervisor_id).await
    }

    /// The id of `supervisor_id`'s suggestion stored under this submission key.
    pub async fn suggestion_for_submission(
        &self,
        submission: &str,
        supervisor_id: i64,
    ) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query("SELECT id FROM suggestions WHERE submission = $1 AND supervisor_id = $2")
            .bind(submission)
            .bind(supervisor_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get::<i64, _>(0)).transpose()?)
    }

    /// One of `supervisor_id`'s own suggestions (another's is "not found").
    pub async fn own_suggestion(&self, id: i64, supervisor_id: i64) -> Result<Option<Suggestion>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE g.id = $1 AND g.supervisor_id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(supervisor_id).fetch_optional(&self.pool).await?;
        Ok(row.map(|r| from_row(&r)).transpose()?)
    }

    /// A supervisor's latest suggestions, newest first.
    pub async fn own_suggestions(&self, supervisor_id: i64) -> Result<Vec<Suggestion>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE g.supervisor_id = $1 ORDER BY g.created_at DESC, g.id DESC LIMIT 30"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(supervisor_id).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
    }

    /// Suggestions `role` answers: unanswered ones oldest first, answered ones newest
    /// first (`answered`: `None` for all).
    pub async fn suggestions_for(
        &self,
        role: impl Into<StaffScope>,
        answered: Option<bool>,
    ) -> Result<Vec<Suggestion>, StoreError> {
        let (cond, district) = scope(&role.into(), 1);
        let (state, order) = match answered {
            Some(false) => ("g.answer IS NULL", "g.created_at, g.id"),
            Some(true) => ("g.answer IS NOT NULL", "g.answered_at DESC, g.id DESC"),
            None => ("TRUE", "g.created_at DESC, g.id DESC"),
        };
        let sql =
            format!("SELECT {COLUMNS} FROM {FROM} WHERE {cond} AND {state} ORDER BY {order} LIMIT {SUGGESTION_PAGE}");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for d in district {
            query = query.bind(d);
        }
        let rows = query.fetch_all(&self.pool).await?;
        Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
    }

    /// One suggestion, if `role` may see it (another district's is "not found").
    pub async fn suggestion_for(&self, id: i64, role: impl Into<StaffScope>) -> Result<Option<Suggestion>, StoreError> {
        let (cond, district) = scope(&role.into(), 2);
        let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE g.id = $1 AND {cond}");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id);
        for d in district {
            query = query.bind(d);
        }
        let row = query.fetch_optional(&self.pool).await?;
        Ok(row.map(|r| from_row(&r)).transpose()?)
    }

    /// Answers (or corrects the answer to) a suggestion `staff` may see, audited.
    pub async fn answer_suggestion(
        &self,
        id: i64,
        answer: &str,
        staff: &Staff,
        now: i64,
    ) -> Result<Answered, StoreError> {
        let Some(before) = self.suggestion_for(id, staff.role).await? else {
            return Ok(Answered::NotFound);
        };
        let mut tx = self.write().await?;
        sqlx::query("UPDATE suggestions SET answer = $2, answered_by = $3, answered_at = $4 WHERE id = $1")
            .bind(id)
            .bind(answer)
            .bind(staff.id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let record = AuditRecord {
            entity: "suggestion",
            key: id.to_string(),
            station_id: before.station_id,
            action: "suggestion_answer",
            staff_id: Some(staff.id),
            at: now,
        };
        record
            .write(&mut tx, &serde_json::json!({"answer": before.answer}), &serde_json::json!({"answer": answer}))
            .await?;
        tx.commit().await?;
        Ok(Answered::Done)
    }

    /// Answered suggestions whose authors allowed publishing, newest answer first: the
    /// total and one page (0-based).
    pub async fn public_suggestions(&self, page: u32) -> Result<(i64, Vec<Suggestion>), StoreError> {
        let cond = "g.may_publish = 1 AND g.answer IS NOT NULL";
        let total: i64 = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM suggestions g WHERE {cond}")))
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        let sql = format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE {cond} ORDER BY g.answered_at DESC, g.id DESC LIMIT {} OFFSET {}",
            PUBLIC_SUGGESTION_PAGE,
            u64::from(page) * u64::from(PUBLIC_SUGGESTION_PAGE)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool).await?;
        Ok((total, rows.iter().map(from_row).collect::<Result<_, _>>()?))
    }
}
