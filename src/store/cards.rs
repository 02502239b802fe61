//! Warning cards (黄牌 / 红牌): raised by the rules of `domain::card`, turned red
//! after their deadline, closed with their follow-up, lifted or by revocation.

use chrono::NaiveDate;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::card_close::{bump_version, card_audit};
use super::followups::insert_followup;
use super::{Store, StoreError};
use crate::domain::card::{
    CLOSED_REPORTS, CLOSED_WINDOW_DAYS, CardEnd, CardLevel, CardReason, FAILED_INSPECTIONS, INSPECTION_WINDOW_DAYS,
    inspection_failed, triggering,
};
use crate::domain::facility::FacilitySet;
use crate::domain::followup::{Assignee, NewFollowup, Source};
use crate::domain::inspection::OpenAsListed;
use crate::domain::staff::StaffScope;
use crate::domain::staff::{Role, Staff};

/// A card as stored, with its station's name and district.
#[derive(Debug, Clone)]
pub struct Card {
    pub id: i64,
    pub station_id: i64,
    pub station_name: String,
    pub district_code: u32,
    pub reason: CardReason,
    /// The reports (failed inspections) or feedback (confirmed closed) that gave it.
    pub evidence: Vec<i64>,
    pub level: CardLevel,
    pub deadline: NaiveDate,
    pub followup_id: Option<i64>,
    pub opened_at: i64,
    pub red_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub closed_how: Option<CardEnd>,
    pub closed_note: String,
}

/// The problem text of the follow-up a card opens, by reason (the caller's locale).
pub struct CardProblem<'a> {
    pub failed_inspections: &'a str,
    pub closed_reports: &'a str,
}

/// What became of lifting a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifted {
    Done,
    /// Closed already (by someone else, its follow-up or a revocation).
    AlreadyClosed,
}

/// Cards a list shows.
pub const CARD_PAGE: i64 = 200;

const COLUMNS: &str = "c.id, c.station_id, s.name, s.district_code, c.reason, c.evidence, c.level, c.deadline, \
    c.followup_id, c.opened_at, c.red_at, c.closed_at, c.closed_how, c.closed_note";
const FROM: &str = "cards c JOIN stations s ON s.id = c.station_id";

fn from_row(row: &AnyRow) -> Result<Card, StoreError> {
    let id: i64 = row.try_get(0)?;
    let bad = |what: &str, v: &str| StoreError::Data(format!("card {id}"), format!("{what} {v:?}"));
    let district: String = row.try_get(3)?;
    let reason: String = row.try_get(4)?;
    let evidence: String = row.try_get(5)?;
    let level: String = row.try_get(6)?;
    let deadline: String = row.try_get(7)?;
    let closed_how: Option<String> = row.try_get(12)?;
    Ok(Card {
        id,
        station_id: row.try_get(1)?,
        station_name: row.try_get(2)?,
        district_code: district.parse().map_err(|_| bad("district", &district))?,
        reason: CardReason::parse(&reason).ok_or_else(|| bad("reason", &reason))?,
        evidence: evidence.split(',').filter_map(|n| n.trim().parse().ok()).collect(),
        level: CardLevel::parse(&level).ok_or_else(|| bad("level", &level))?,
        deadline: deadline.parse().map_err(|_| bad("deadline", &deadline))?,
        followup_id: row.try_get(8)?,
        opened_at: row.try_get(9)?,
        red_at: row.try_get(10)?,
        closed_at: row.try_get(11)?,
        closed_how: closed_how.as_deref().and_then(CardEnd::parse),
        closed_note: row.try_get(13)?,
    })
}

/// Cards of the stations in `scope` *now*.
fn scope(scope: &StaffScope) -> (String, Vec<String>) {
    super::in_scope(scope, "c.station_id", 1)
}

impl Store {
    /// Raises a yellow card at `station_id` when its accepted inspections or confirmed
    /// "closed" reports call for one and it has no open card, with a follow-up for the
    /// host due on the deadline, opened in `staff`'s name (whose decision completed
    /// the count). The card's id when one was raised.
    pub async fn raise_card_if_due(
        &self,
        station_id: i64,
        problem: &CardProblem<'_>,
        staff: &Staff,
        today: NaiveDate,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        let mut tx = self.write().await?;
        let raised = raise_in(&mut tx, station_id, problem, staff, today, now).await?;
        match raised {
            Some(_) => tx.commit().await?,
            None => tx.rollback().await?,
        }
        Ok(raised)
    }

    /// Turns every open yellow card whose deadline passed before `today` red (proposed
    /// for revocation), audited as the system; one conditional update, so several
    /// instances turn each card once. The cards turned.
    pub async fn escalate_cards(&self, today: NaiveDate, now: i64) -> Result<Vec<i64>, StoreError> {
        // Looked for first: a write (even of no row) would take SQLite's write lock
        // on every staff page and every minute on every instance.
        let due =
            sqlx::query("SELECT id FROM cards WHERE closed_at IS NULL AND level = 'yellow' AND deadline < $1 LIMIT 1")
                .bind(today.format("%Y-%m-%d").to_string())
                .fetch_optional(&self.pool)
                .await?;
        if due.is_none() {
            return Ok(Vec::new());
        }
        let mut tx = self.write().await?;
        let rows = sqlx::query(
            "UPDATE cards SET level = 'red', red_at = $2 WHERE closed_at IS NULL AND level = 'yellow' \
             AND deadline < $1 RETURNING id, station_id, deadline",
        )
        .bind(today.format("%Y-%m-%d").to_string())
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        let mut turned = Vec::new();
        for r in &rows {
            let (id, station_id, deadline): (i64, i64, String) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
            card_audit(id, station_id, "card_red", None, now)
                .write(
                    &mut tx,
                    &serde_json::json!({"card": "yellow"}),
                    &serde_json::json!({"card": "red", "card_deadline": deadline}),
                )
                .await?;
            turned.push(id);
        }
        tx.commit().await?;
        Ok(turned)
    }

    /// Cards in `role`'s districts: open ones (red first, then the soonest deadline),
    /// or, with `closed`, the most recently closed.
    pub async fn cards_for(&self, role: impl Into<StaffScope>, closed: bool) -> Result<Vec<Card>, StoreError> {
        let (cond, district) = scope(&role.into());
        let (state, order) = if closed {
            ("c.closed_at IS NOT NULL", "c.closed_at DESC, c.id DESC")
        } else {
            ("c.closed_at IS NULL", "c.level DESC, c.deadline, c.id")
        };
        let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE {cond} AND {state} ORDER BY {order} LIMIT {CARD_PAGE}");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for d in district {
            query = query.bind(d);
        }
        query.fetch_all(&self.pool).await?.iter().map(from_row).collect()
    }

    /// One card, if `role` may see it (another district's is "not found").
    pub async fn card_for(&self, id: i64, role: Role) -> Result<Option<Card>, StoreError> {
        let cond = match role.district() {
            None => "TRUE",
            Some(_) => "s.district_code = $2",
        };
        let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE c.id = $1 AND {cond}");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id);
        if let Some(d) = role.district() {
            query = query.bind(d.code.to_string());
        }
        query.fetch_optional(&self.pool).await?.map(|r| from_row(&r)).transpose()
    }

    /// The open card of a station, if any.
    pub async fn open_card(&self, station_id: i64) -> Result<Option<Card>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE c.station_id = $1 AND c.closed_at IS NULL");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(station_id).fetch_optional(&self.pool).await?;
        row.map(|r| from_row(&r)).transpose()
    }

    /// The stations with an open card (整改中 on their public page).
    pub async fn carded_stations(&self) -> Result<Vec<i64>, StoreError> {
        let rows = sqlx::query("SELECT station_id FROM cards WHERE closed_at IS NULL").fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    /// A city administrator lifts an open card with a reason, audited; its follow-up stays as it is.
    pub async fn lift_card(&self, card: &Card, note: &str, staff: &Staff, now: i64) -> Result<Lifted, StoreError> {
        let mut tx = self.write().await?;
        let changed = sqlx::query(
            "UPDATE cards SET closed_at = $2, closed_how = 'lifted', closed_by = $3, closed_note = $4 \
             WHERE id = $1 AND closed_at IS NULL",
        )
        .bind(card.id)
        .bind(now)
        .bind(staff.id)
        .bind(note)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            tx.rollback().await?;
            return Ok(Lifted::AlreadyClosed);
        }
        card_audit(card.id, card.station_id, "card_lifted", Some(staff.id), now)
            .write(
                &mut tx,
                &serde_json::json!({"card": card.level.key()}),
                &serde_json::json!({"card": "lifted", "comment": note}),
            )
            .await?;
        bump_version(&mut tx, card.station_id).await?;
        tx.commit().await?;
        Ok(Lifted::Done)
    }
}

/// [`Store::raise_card_if_due`] in `tx`, whose reads see what `tx` wrote before (a
/// report resolved in the same step); `None` when nothing was raised (the caller
/// rolls back).
pub(super) async fn raise_in(
    tx: &mut super::Tx,
    station_id: i64,
    problem: &CardProblem<'_>,
    staff: &Staff,
    today: NaiveDate,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    let open = sqlx::query("SELECT id FROM cards WHERE station_id = $1 AND closed_at IS NULL")
        .bind(station_id)
        .fetch_optional(&mut **tx)
        .await?;
    if open.is_some() {
        return Ok(None);
    }
    let Some((reason, evidence)) = card_evidence(tx, station_id, now).await? else { return Ok(None) };
    let deadline = crate::domain::card::deadline(today);
    let (text, source) = match reason {
        CardReason::FailedInspections => (problem.failed_inspections, Source::Report(evidence[0])),
        CardReason::ClosedReports => (problem.closed_reports, Source::Feedback(evidence[0])),
    };
    let new = NewFollowup { problem: text.to_string(), assignee: Assignee::Host, due_on: deadline };
    let evidence_text = evidence.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    // Another instance may raise the same card at the same moment: one wins, and the
    // other takes back its follow-up, not the rest of its transaction.
    sqlx::query("SAVEPOINT raise_card").execute(&mut **tx).await?;
    let followup = insert_followup(tx, station_id, source, &new, staff.id, now).await?;
    let row = sqlx::query(
        "INSERT INTO cards (station_id, reason, evidence, level, deadline, followup_id, opened_at) \
         VALUES ($1, $2, $3, 'yellow', $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(station_id)
    .bind(reason.key())
    .bind(&evidence_text)
    .bind(deadline.format("%Y-%m-%d").to_string())
    .bind(followup)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        sqlx::query("ROLLBACK TO SAVEPOINT raise_card").execute(&mut **tx).await?;
        return Ok(None);
    };
    sqlx::query("RELEASE SAVEPOINT raise_card").execute(&mut **tx).await?;
    let id: i64 = row.try_get(0)?;
    let after = serde_json::json!({
        "card": "yellow",
        "card_reason": reason.key(),
        "card_evidence": evidence_text,
        "card_deadline": deadline.format("%Y-%m-%d").to_string(),
    });
    card_audit(id, station_id, "card_yellow", Some(staff.id), now).write(tx, &serde_json::json!({}), &after).await?;
    bump_version(tx, station_id).await?;
    Ok(Some(id))
}

/// What would give `station_id` a card at `now`: failed inspections first. What
/// happened before its last card closed was dealt with by that card and counts no more.
async fn card_evidence(
    tx: &mut super::Tx,
    station_id: i64,
    now: i64,
) -> Result<Option<(CardReason, Vec<i64>)>, StoreError> {
    let row = sqlx::query("SELECT MAX(closed_at) FROM cards WHERE station_id = $1")
        .bind(station_id)
        .fetch_one(&mut **tx)
        .await?;
    let after_last_card = row.try_get::<Option<i64>, _>(0)?.map_or(i64::MIN, |t| t + 1);
    let since = |window_days: i64| (now - window_days * 86_400).max(after_last_card);
    let rows = sqlx::query(
        "SELECT id, visited_at, open_as_listed, facilities_checked, facilities_missing, facilities_broken \
         FROM inspection_reports WHERE station_id = $1 AND state = 'accepted' AND visited_at >= $2",
    )
    .bind(station_id)
    .bind(since(INSPECTION_WINDOW_DAYS))
    .fetch_all(&mut **tx)
    .await?;
    let mut failed = Vec::new();
    for r in &rows {
        let open: String = r.try_get(2)?;
        let set = |i: usize| -> Result<FacilitySet, StoreError> { Ok(FacilitySet::from_bits(r.try_get(i)?)) };
        let open = OpenAsListed::parse(&open).unwrap_or(OpenAsListed::No);
        if inspection_failed(open, set(3)?, set(4)?, set(5)?) {
            failed.push((r.try_get::<i64, _>(0)?, r.try_get::<i64, _>(1)?));
        }
    }
    if let Some(ids) = triggering(&failed, FAILED_INSPECTIONS, INSPECTION_WINDOW_DAYS, now) {
        return Ok(Some((CardReason::FailedInspections, ids)));
    }
    let rows = sqlx::query(
        "SELECT id, created_at FROM feedback WHERE station_id = $1 AND kind = 'closed_when_open' \
         AND outcome IN ('closed_temporarily', 'hours_mismatch') AND created_at >= $2",
    )
    .bind(station_id)
    .bind(since(CLOSED_WINDOW_DAYS))
    .fetch_all(&mut **tx)
    .await?;
    let closed: Vec<(i64, i64)> =
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<_, StoreError>>()?;
    Ok(triggering(&closed, CLOSED_REPORTS, CLOSED_WINDOW_DAYS, now).map(|ids| (CardReason::ClosedReports, ids)))
}
