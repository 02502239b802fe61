//! Per-district figures of the supervision work, for staff.

use std::collections::HashMap;

use sqlx::Row;

use super::{Store, StoreError};

/// What the database counts per district code (the snapshot counts stations).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DistrictWork {
    /// Inspection reports with a visit since the start of the window.
    pub inspections: i64,
    /// Follow-ups not fixed or verified yet.
    pub open_followups: i64,
    /// Of those, the ones past their due date.
    pub overdue_followups: i64,
    /// Warning cards not closed, and of those the red ones.
    pub open_cards: i64,
    pub red_cards: i64,
}

impl Store {
    /// Workers' feedback sent at or after `since` and before `until` (Unix seconds;
    /// spam caught by the trap left out): (district code when sent, sent at, staff's
    /// first step on it at — published, turned down, replied or an outcome).
    pub async fn feedback_answers(
        &self,
        since: i64,
        until: i64,
    ) -> Result<Vec<(String, i64, Option<i64>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT f.district_code, f.created_at, \
             (SELECT MIN(e.at) FROM feedback_events e WHERE e.feedback_id = f.id AND e.staff_id IS NOT NULL) \
             FROM feedback f WHERE f.trapped = 0 AND f.created_at >= $1 AND f.created_at < $2",
        )
        .bind(since)
        .bind(until)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).collect()
    }

    /// Inspections visited at or after `since` (Unix seconds), and open and overdue
    /// follow-ups (`today` as YYYY-MM-DD in Beijing), by district code.
    pub async fn district_work(&self, since: i64, today: &str) -> Result<HashMap<String, DistrictWork>, StoreError> {
        let mut out: HashMap<String, DistrictWork> = HashMap::new();
        let rows = sqlx::query(
            "SELECT s.district_code, COUNT(*) FROM inspection_reports r JOIN stations s ON s.id = r.station_id \
             WHERE r.visited_at >= $1 GROUP BY s.district_code",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        for r in rows {
            out.entry(r.try_get(0)?).or_default().inspections = r.try_get(1)?;
        }
        let rows = sqlx::query(
            "SELECT s.district_code, COUNT(*), SUM(CASE WHEN f.due_on < $1 THEN 1 ELSE 0 END) \
             FROM followups f JOIN stations s ON s.id = f.station_id \
             WHERE f.status IN ('open', 'in_progress') GROUP BY s.district_code",
        )
        .bind(today.to_string())
        .fetch_all(&self.pool)
        .await?;
        for r in rows {
            let work = out.entry(r.try_get(0)?).or_default();
            work.open_followups = r.try_get(1)?;
            work.overdue_followups = r.try_get::<Option<i64>, _>(2)?.unwrap_or(0);
        }
        let rows = sqlx::query(
            "SELECT s.district_code, COUNT(*), SUM(CASE WHEN c.level = 'red' THEN 1 ELSE 0 END) \
             FROM cards c JOIN stations s ON s.id = c.station_id WHERE c.closed_at IS NULL GROUP BY s.district_code",
        )
        .fetch_all(&self.pool)
        .await?;
        for r in rows {
            let work = out.entry(r.try_get(0)?).or_default();
            work.open_cards = r.try_get(1)?;
            work.red_cards = r.try_get::<Option<i64>, _>(2)?.unwrap_or(0);
        }
        Ok(out)
    }
}
