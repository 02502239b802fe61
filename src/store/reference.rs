//! Districts, streets and the holiday calendar.

use chrono::NaiveDate;
use sqlx::Row;

use super::{AuditRecord, Store, StoreError};
use crate::domain::calendar::{CalendarDay, DayKind, HolidayCalendar};
use crate::domain::district::{DISTRICTS, Street};

impl Store {
    /// Writes the districts and streets that are not stored yet.
    pub async fn insert_reference(&self, streets: &[Street]) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        for d in DISTRICTS {
            sqlx::query(
                "INSERT INTO districts (code, name_zh, name_en) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING",
            )
            .bind(d.code.to_string())
            .bind(d.name_zh)
            .bind(d.name_en)
            .execute(&mut *tx)
            .await?;
        }
        for s in streets {
            sqlx::query(
                "INSERT INTO streets (code, district_code, name) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING",
            )
            .bind(&s.code)
            .bind(s.district_code.to_string())
            .bind(&s.name)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every street, ordered by code.
    pub async fn streets(&self) -> Result<Vec<Street>, StoreError> {
        let rows =
            sqlx::query("SELECT code, district_code, name FROM streets ORDER BY code").fetch_all(&self.pool).await?;
        let mut streets = Vec::with_capacity(rows.len());
        for row in rows {
            let district: String = row.try_get(1)?;
            streets.push(Street {
                code: row.try_get(0)?,
                district_code: district.parse().unwrap_or_default(),
                name: row.try_get(2)?,
            });
        }
        Ok(streets)
    }

    /// The holiday calendar as stored, with the notice years loaded.
    pub async fn calendar(&self) -> Result<HolidayCalendar, StoreError> {
        let rows = sqlx::query("SELECT day, kind, name, notice_year FROM holidays").fetch_all(&self.pool).await?;
        let mut days = Vec::with_capacity(rows.len());
        for row in rows {
            let day: String = row.try_get(0)?;
            let kind: String = row.try_get(1)?;
            let notice_year: Option<i64> = row.try_get(3)?;
            let (Ok(date), Some(kind)) =
                (NaiveDate::parse_from_str(&day, "%Y-%m-%d"), DayKind::from_key(&kind, row.try_get(2)?))
            else {
                tracing::warn!(day, kind, "holiday row that does not parse skipped");
                continue;
            };
            let mut entry = CalendarDay::new(date, kind);
            if let Some(year) = notice_year.and_then(|y| i32::try_from(y).ok()) {
                entry.notice_year = year;
            }
            days.push(entry);
        }
        let years = self.holiday_years().await?.into_iter().map(|y| y.year);
        Ok(HolidayCalendar::new(days, years))
    }

    /// The notice years loaded, oldest first, with where each came from.
    pub async fn holiday_years(&self) -> Result<Vec<HolidayYear>, StoreError> {
        let rows = sqlx::query(
            "SELECT y.year, y.source, y.loaded_at, (SELECT COUNT(*) FROM holidays h WHERE h.notice_year = y.year) \
             FROM holiday_years y ORDER BY y.year",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(HolidayYear {
                    year: i32::try_from(r.try_get::<i64, _>(0)?).unwrap_or_default(),
                    source: r.try_get(1)?,
                    loaded_at: r.try_get(2)?,
                    days: r.try_get(3)?,
                })
            })
            .collect()
    }

    /// Replaces one notice year with `days` (every day must belong to `year`): days of
    /// the year that are not in `days` are removed, a corrected day takes effect. With
    /// an audit row (`staff_id` `None`: the system) and a data-version bump, so every
    /// instance rebuilds. Nothing is written when the year is loaded with the same days.
    /// `audit_new`: whether adding a year not loaded before is audited too (not when the
    /// bundled calendar is installed).
    pub async fn replace_notice_year(
        &self,
        year: i32,
        days: &[CalendarDay],
        source: &str,
        staff_id: Option<i64>,
        audit_new: bool,
        now: i64,
    ) -> Result<CalendarChange, StoreError> {
        let mut tx = self.write().await?;
        let loaded = sqlx::query("SELECT source FROM holiday_years WHERE year = $1")
            .bind(i64::from(year))
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        let rows = sqlx::query("SELECT day, kind, name FROM holidays WHERE notice_year = $1 ORDER BY day")
            .bind(i64::from(year))
            .fetch_all(&mut *tx)
            .await?;
        let before: Vec<(String, String, String)> = rows
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect::<Result<_, sqlx::Error>>()?;
        let mut after: Vec<(String, String, String)> = days
            .iter()
            .map(|d| (d.date.format("%Y-%m-%d").to_string(), d.kind.key().to_string(), d.kind.festival().to_string()))
            .collect();
        after.sort();
        if loaded && before == after {
            return Ok(CalendarChange::Unchanged);
        }
        sqlx::query("DELETE FROM holidays WHERE notice_year = $1").bind(i64::from(year)).execute(&mut *tx).await?;
        for (day, kind, name) in &after {
            // A day another notice claimed goes to this one: the later load wins.
            sqlx::query(
                "INSERT INTO holidays (day, kind, name, notice_year, source) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, name = excluded.name, \
                 notice_year = excluded.notice_year, source = excluded.source",
            )
            .bind(day)
            .bind(kind)
            .bind(name)
            .bind(i64::from(year))
            .bind(source)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO holiday_years (year, source, loaded_at) VALUES ($1, $2, $3) \
             ON CONFLICT (year) DO UPDATE SET source = excluded.source, loaded_at = excluded.loaded_at",
        )
        .bind(i64::from(year))
        .bind(source)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let as_json = |list: &[(String, String, String)]| {
            serde_json::Value::Array(
                list.iter().map(|(d, k, n)| serde_json::json!({"date": d, "kind": k, "name": n})).collect(),
            )
        };
        let record = AuditRecord {
            entity: "calendar",
            key: year.to_string(),
            station_id: None,
            action: if loaded { "calendar_replace" } else { "calendar_add" },
            staff_id,
            at: now,
        };
        if loaded || audit_new {
            record
                .write(
                    &mut tx,
                    &serde_json::json!({"days": as_json(&before)}),
                    &serde_json::json!({"days": as_json(&after), "source": source}),
                )
                .await?;
        }
        tx.bump(super::Change::Everything).await?;
        tx.commit().await?;
        Ok(if loaded { CalendarChange::Replaced } else { CalendarChange::Added })
    }
}

/// A loaded notice year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayYear {
    pub year: i32,
    pub source: String,
    pub loaded_at: i64,
    /// Holidays and make-up days stored for it.
    pub days: i64,
}

/// What loading a notice year did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarChange {
    Added,
    Replaced,
    Unchanged,
}
