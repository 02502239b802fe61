//! Districts, streets and the holiday calendar.

use chrono::NaiveDate;
use sqlx::Row;

use super::{Store, StoreError};
use crate::domain::calendar::{DayKind, HolidayCalendar};
use crate::domain::district::{DISTRICTS, Street};

impl Store {
    /// Writes the districts, streets and holidays that are not stored yet.
    /// Existing rows are left as they are, so a newer bundled calendar only adds days.
    pub async fn insert_reference(
        &self,
        streets: &[Street],
        holidays: &[(NaiveDate, DayKind)],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
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
        for (day, kind) in holidays {
            let (kind, name) = match kind {
                DayKind::Holiday(n) => ("holiday", n),
                DayKind::Workday(n) => ("workday", n),
            };
            sqlx::query("INSERT INTO holidays (day, kind, name) VALUES ($1, $2, $3) ON CONFLICT (day) DO NOTHING")
                .bind(day.format("%Y-%m-%d").to_string())
                .bind(kind)
                .bind(name)
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

    /// The holiday calendar as stored.
    pub async fn calendar(&self) -> Result<HolidayCalendar, StoreError> {
        let rows = sqlx::query("SELECT day, kind, name FROM holidays").fetch_all(&self.pool).await?;
        let mut days = Vec::with_capacity(rows.len());
        for row in rows {
            let day: String = row.try_get(0)?;
            let kind: String = row.try_get(1)?;
            let name: String = row.try_get(2)?;
            let Ok(date) = NaiveDate::parse_from_str(&day, "%Y-%m-%d") else {
                tracing::warn!(day, "holiday row with a broken date skipped");
                continue;
            };
            days.push((date, if kind == "workday" { DayKind::Workday(name) } else { DayKind::Holiday(name) }));
        }
        Ok(HolidayCalendar::new(days))
    }
}
