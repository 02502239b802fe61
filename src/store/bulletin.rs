//! The facts a monthly bulletin is computed from (see `domain::bulletin`).

use std::collections::HashMap;

use sqlx::Row;

use super::{Backend, Store, StoreError};
use crate::domain::bulletin::{CardFacts, Change, Facts, FollowupFacts, StationHistory};
use crate::domain::card::inspection_failed;
use crate::domain::facility::FacilitySet;
use crate::domain::inspection::OpenAsListed;

impl Store {
    /// Every station with the changes of its district and status, and the
    /// inspections, feedback, follow-ups and cards that began before `until` (Unix
    /// seconds): what the bulletins of the months before `until` need.
    pub async fn bulletin_facts(&self, until: i64) -> Result<Facts, StoreError> {
        let json = |column: &str, field: &str| match self.backend {
            Backend::Sqlite => format!("json_extract({column}, '$.{field}')"),
            Backend::Postgres => format!("(({column})::json ->> '{field}')"),
        };
        let sql = format!(
            "SELECT station_id, at, {}, {}, {}, {} FROM audit_log \
             WHERE entity = 'station' AND station_id IS NOT NULL ORDER BY at, id",
            json("before", "district"),
            json("before", "status"),
            json("after", "district"),
            json("after", "status"),
        );
        let mut changes: HashMap<i64, Vec<Change>> = HashMap::new();
        for r in sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool).await? {
            let change = Change {
                at: r.try_get(1)?,
                before_district: r.try_get(2)?,
                before_status: r.try_get(3)?,
                after_district: r.try_get(4)?,
                after_status: r.try_get(5)?,
            };
            let names_one =
                [&change.before_district, &change.before_status, &change.after_district, &change.after_status]
                    .iter()
                    .any(|f| f.is_some());
            if names_one {
                changes.entry(r.try_get(0)?).or_default().push(change);
            }
        }
        let mut facts = Facts::default();
        let rows = sqlx::query("SELECT id, created_at, district_code, status FROM stations WHERE created_at < $1")
            .bind(until)
            .fetch_all(&self.pool)
            .await?;
        for r in rows {
            let id: i64 = r.try_get(0)?;
            facts.stations.push(StationHistory {
                id,
                created_at: r.try_get(1)?,
                district: r.try_get(2)?,
                status: r.try_get(3)?,
                changes: changes.remove(&id).unwrap_or_default(),
            });
        }
        // Inspections count in the month staff accepted them.
        let rows = sqlx::query(
            "SELECT station_id, reviewed_at, open_as_listed, facilities_checked, facilities_missing, facilities_broken \
             FROM inspection_reports WHERE state = 'accepted' AND reviewed_at < $1",
        )
        .bind(until)
        .fetch_all(&self.pool)
        .await?;
        for r in rows {
            let open = OpenAsListed::parse(&r.try_get::<String, _>(2)?).unwrap_or(OpenAsListed::Yes);
            let set = |i: usize| -> Result<FacilitySet, StoreError> { Ok(FacilitySet::from_bits(r.try_get(i)?)) };
            let failed = inspection_failed(open, set(3)?, set(4)?, set(5)?);
            facts.inspections.push((r.try_get(0)?, r.try_get(1)?, failed));
        }
        facts.feedback = self.feedback_answers(i64::MIN, until).await?;
        let mut statuses: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
        let rows = sqlx::query(
            "SELECT followup_id, at, status FROM followup_events WHERE status IS NOT NULL AND at < $1 ORDER BY at, id",
        )
        .bind(until)
        .fetch_all(&self.pool)
        .await?;
        for r in rows {
            statuses.entry(r.try_get(0)?).or_default().push((r.try_get(1)?, r.try_get(2)?));
        }
        let rows = sqlx::query("SELECT id, station_id, created_at, due_on FROM followups WHERE created_at < $1")
            .bind(until)
            .fetch_all(&self.pool)
            .await?;
        for r in rows {
            let id: i64 = r.try_get(0)?;
            let due: String = r.try_get(3)?;
            let Ok(due_on) = chrono::NaiveDate::parse_from_str(&due, "%Y-%m-%d") else { continue };
            facts.followups.push(FollowupFacts {
                station_id: r.try_get(1)?,
                created_at: r.try_get(2)?,
                due_on,
                statuses: statuses.remove(&id).unwrap_or_default(),
            });
        }
        let rows = sqlx::query("SELECT station_id, opened_at, red_at, closed_at FROM cards WHERE opened_at < $1")
            .bind(until)
            .fetch_all(&self.pool)
            .await?;
        for r in rows {
            facts.cards.push(CardFacts {
                station_id: r.try_get(0)?,
                opened_at: r.try_get(1)?,
                red_at: r.try_get(2)?,
                closed_at: r.try_get(3)?,
            });
        }
        Ok(facts)
    }
}
