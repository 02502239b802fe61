//! The station ledger and honours.

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::Row;

use super::audit::AuditRecord;
use super::{Backend, Store, StoreError};
use crate::domain::coords::{LatLon, Precision};
use crate::domain::district::District;
use crate::domain::facility::{Audience, FacilitySet, HostType};
use crate::domain::hours::Hours;
use crate::domain::station::{Honour, HonourLevel, Revocation, Station, Status, Verifier};
use crate::domain::text::Phone;

/// A station as one JSON array of its columns, in this order.
///
/// Decoding is the slow part of loading 200,000 stations through sqlx: a value and
/// an allocation or two per column, and a hand-over between threads per row. So the
/// ledger is read as one JSON text per station (`Store::station`) or per batch of
/// stations (`Store::all_stations`). Floats travel as text written with 17
/// significant digits, which reads back to the same `f64`; JSON numbers from
/// some SQLite versions keep only 15.
const PACKED: [&str; 34] = [
    "lat",
    "lon",
    "area_m2",
    "id",
    "name",
    "district_code",
    "street_code",
    "address",
    "location_precision",
    "host_type",
    "opening_hours",
    "holiday_open",
    "contact_name",
    "phone",
    "facilities",
    "audiences",
    "services",
    "status",
    "closed_reason",
    "closed_until",
    "description",
    "verified_on",
    "synthetic",
    "created_at",
    "updated_at",
    "works_makeup_days",
    "revoked_reason",
    "revoked_at",
    "verified_by",
    "verified_name",
    "unavailable",
    "ledger_id",
    "code",
    "story",
];

/// The columns of [`PACKED`], in its order.
#[derive(serde::Deserialize)]
struct Packed(
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    i64,
    Option<String>,
    Option<String>,
    i64,
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    i64,
    i64,
    i64,
    i64,
    Option<String>,
    Option<i64>,
    String,
    Option<String>,
    i64,
    Option<String>,
    Option<String>,
    String,
);

/// Stations per query (one JSON text) when loading the whole ledger.
const LOAD_BATCH: i64 = 512;

/// Id ranges read in parallel when loading the ledger.
const LOAD_PARTS: i64 = 4;

/// A station's stored fields, in the order [`bind_fields`] binds them: the one list the
/// insert and the update share.
const FIELDS: [&str; 29] = [
    "name",
    "district_code",
    "street_code",
    "address",
    "lat",
    "lon",
    "location_precision",
    "host_type",
    "opening_hours",
    "holiday_open",
    "contact_name",
    "phone",
    "area_m2",
    "facilities",
    "audiences",
    "services",
    "status",
    "closed_reason",
    "closed_until",
    "description",
    "verified_on",
    "works_makeup_days",
    "revoked_reason",
    "revoked_at",
    "verified_by",
    "verified_name",
    "unavailable",
    "ledger_id",
    "story",
];

type StationQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// Binds `s`'s [`FIELDS`]; `holiday_open` mirrors its hours text (the one truth), for
/// readers of the table.
fn bind_fields<'q>(query: StationQuery<'q>, s: &Station, holiday_open: bool) -> StationQuery<'q> {
    let (reason, until) = match &s.status {
        Status::TemporarilyClosed { reason, until } => {
            (Some(reason.clone()), until.map(|d| d.format("%Y-%m-%d").to_string()))
        }
        _ => (None, None),
    };
    query
        .bind(s.name.clone())
        .bind(s.district.code.to_string())
        .bind(s.street_code.clone())
        .bind(s.address.clone())
        .bind(s.position.map(|p| float_text(p.lat)))
        .bind(s.position.map(|p| float_text(p.lon)))
        .bind(s.precision.key())
        .bind(s.host.key())
        .bind(s.hours.as_ref().map(|h| h.raw().to_string()).unwrap_or_default())
        .bind(i64::from(holiday_open))
        .bind(s.contact_name.clone())
        .bind(s.phone.as_ref().map(|p| p.as_str().to_string()))
        .bind(s.area_m2.map(float_text))
        .bind(s.facilities.bits())
        .bind(Audience::to_bits(&s.audiences))
        .bind(s.services.clone())
        .bind(s.status.key())
        .bind(reason)
        .bind(until)
        .bind(s.description.clone())
        .bind(s.verified_on.map(|d| d.format("%Y-%m-%d").to_string()))
        .bind(i64::from(s.works_makeup_days))
        .bind(s.revocation.as_ref().map(|r| r.reason.clone()))
        .bind(s.revocation.as_ref().map(|r| r.at))
        .bind(s.verified_by.key())
        .bind(s.verified_by.name().map(str::to_string))
        .bind(s.unavailable.bits())
        .bind(s.ledger_id.clone())
        .bind(s.story.clone())
}

/// The update of a station's [`FIELDS`] and `updated_at`, where it still has the
/// `updated_at` it was read with ($1: id, $2: that time).
fn update_sql() -> String {
    let set: Vec<String> = FIELDS.iter().enumerate().map(|(i, name)| format!("{name} = {}", value(i, i + 3))).collect();
    format!(
        "UPDATE stations SET {}, updated_at = ${} WHERE id = $1 AND updated_at = $2 RETURNING id",
        set.join(", "),
        FIELDS.len() + 3
    )
}

/// Values one station row binds.
const INSERT_COLUMNS: usize = FIELDS.len() + 3;

/// Rows a multi-row INSERT carries. The cost of one statement grows faster than its
/// bound values through sqlx's `Any` driver: 10,000 stations took 6.9 s on SQLite in
/// batches of 500 rows, 3.3 s in 200, 1.9 s in 50 and 1.3 s in 20 (`bench/ledger.py`,
/// the whole import command).
const INSERT_BATCH: usize = 20;

/// The fields that are floats which may be missing, bound as text (see [`float_text`]).
const FLOAT_FIELDS: [&str; 3] = ["lat", "lon", "area_m2"];

/// Parameter `$n` for column `i` of a station row (0-based: [`FIELDS`], then what an
/// insert adds), cast back when it is a float bound as text.
fn value(i: usize, n: usize) -> String {
    match FIELDS.get(i).is_some_and(|f| FLOAT_FIELDS.contains(f)) {
        true => format!("CAST(${n} AS DOUBLE PRECISION)"),
        false => format!("${n}"),
    }
}

/// A float that may be missing, as text for a `CAST(… AS DOUBLE PRECISION)`: sqlx's
/// `Any` binds a missing `f64` as a 4-byte float (sqlx-core 0.9.0,
/// `AnyArguments::convert_into` maps `Null(Double)` to `Option<f32>`), and a
/// PostgreSQL statement first prepared with that NULL then refuses an 8-byte value.
/// Text is the same type either way, and Rust's float formatting reads back to the
/// same `f64`.
fn float_text(value: f64) -> String {
    format!("{value}")
}

fn date(raw: Option<String>) -> Option<NaiveDate> {
    raw.and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
}

/// The JSON array of one station's columns (see [`PACKED`]), as SQL of this backend.
fn packed_expr(backend: Backend) -> String {
    let column = |c: &str| match (backend, c) {
        // printf gives '' for NULL: an unknown position or area is kept NULL.
        (Backend::Sqlite, "lat" | "lon" | "area_m2") => {
            format!("CASE WHEN {c} IS NULL THEN NULL ELSE printf('%!.17g', {c}) END")
        }
        (Backend::Postgres, "lat" | "lon" | "area_m2") => format!("{c}::text"),
        _ => c.to_string(),
    };
    let array = match backend {
        Backend::Sqlite => "json_array",
        Backend::Postgres => "json_build_array",
    };
    format!("{array}({})", PACKED.iter().map(|c| column(c)).collect::<Vec<_>>().join(", "))
}

/// One station's packed columns. `hours_cache` keeps parsed opening hours:
/// stations share a few dozen texts.
fn station_from_packed(
    packed: Packed,
    hours_cache: &mut HashMap<String, Option<Hours>>,
) -> Result<Option<Station>, StoreError> {
    let Packed(
        lat,
        lon,
        area_m2,
        id,
        name,
        district_code,
        street_code,
        address,
        precision,
        host,
        raw_hours,
        _holiday_open,
        contact_name,
        phone,
        facilities,
        audiences,
        services,
        status,
        closed_reason,
        closed_until,
        description,
        verified_on,
        synthetic,
        created_at,
        updated_at,
        works_makeup_days,
        revoked_reason,
        revoked_at,
        verified_by,
        verified_name,
        unavailable,
        ledger_id,
        code,
        story,
    ) = packed;
    let float = |text: &str| {
        text.parse::<f64>().map_err(|e| StoreError::Data("stations".into(), format!("station {id}: {text}: {e}")))
    };
    let (lat, lon) = (lat.as_deref().map(float).transpose()?, lon.as_deref().map(float).transpose()?);
    let area_m2 = area_m2.as_deref().map(float).transpose()?;
    let Some(district) = District::parse(&district_code) else {
        tracing::warn!(id, district_code, "station with an unknown district skipped");
        return Ok(None);
    };
    let position = match (lat, lon) {
        (Some(lat), Some(lon)) => match LatLon::new(lat, lon) {
            Ok(p) => Some(p),
            Err(_) => {
                tracing::warn!(id, lat, lon, "station with impossible coordinates skipped");
                return Ok(None);
            }
        },
        _ => None,
    };
    // An empty text means the hours are not known yet.
    let hours = hours_cache
        .entry(raw_hours)
        .or_insert_with_key(|raw| {
            if raw.trim().is_empty() {
                return None;
            }
            Hours::parse(raw).inspect_err(|e| tracing::warn!(id, error = %e, "stored opening hours do not parse")).ok()
        })
        .clone();
    let status = match status.as_str() {
        "revoked" => Status::Revoked,
        "temporarily_closed" => {
            Status::TemporarilyClosed { reason: closed_reason.unwrap_or_default(), until: date(closed_until) }
        }
        _ => Status::Open,
    };
    let revocation = match (&status, revoked_at) {
        (Status::Revoked, Some(at)) => Some(Revocation { reason: revoked_reason.unwrap_or_default(), at }),
        _ => None,
    };
    Ok(Some(Station {
        id,
        code: code.unwrap_or_default(),
        ledger_id,
        name,
        district,
        street_code,
        address,
        position,
        precision: Precision::parse(&precision).unwrap_or(Precision::Approximate),
        host: HostType::parse(&host).unwrap_or(HostType::Other),
        hours,
        works_makeup_days: works_makeup_days != 0,
        contact_name,
        phone: phone.and_then(|p| Phone::parse(&p).ok()),
        area_m2,
        facilities: FacilitySet::from_bits(facilities),
        unavailable: FacilitySet::from_bits(unavailable),
        audiences: Audience::from_bits(audiences),
        services,
        status,
        revocation,
        description,
        story,
        verified_on: date(verified_on),
        verified_by: Verifier::from_parts(&verified_by, verified_name),
        synthetic: synthetic != 0,
        honours: Vec::new(),
        created_at,
        updated_at,
    }))
}

/// Adds stations (their `id` is ignored) with their honours in `tx`; the new ids in order.
pub(super) async fn insert_in(tx: &mut super::Tx, stations: &[Station], now: i64) -> Result<Vec<i64>, StoreError> {
    let mut ids = Vec::with_capacity(stations.len());
    let mut holiday_flags: HashMap<&str, bool> = HashMap::new();
    // Honours need each station's id, so stations that carry them go one row at a time.
    let batch = if stations.iter().any(|s| !s.honours.is_empty()) { 1 } else { INSERT_BATCH };
    for chunk in stations.chunks(batch) {
        // Numbered placeholders ($1, $2, …) work on both backends through `Any`.
        let rows: Vec<String> = (0..chunk.len())
            .map(|r| {
                let cols: Vec<String> = (0..INSERT_COLUMNS).map(|c| value(c, r * INSERT_COLUMNS + c + 1)).collect();
                format!("({})", cols.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO stations ({}, synthetic, created_at, updated_at) VALUES {} RETURNING id",
            FIELDS.join(", "),
            rows.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for s in chunk {
            // The stored flag mirrors the hours text (the one truth), for readers of the table.
            let holiday_open = match &s.hours {
                Some(h) => *holiday_flags.entry(h.raw()).or_insert_with(|| h.opens_on_holidays()),
                None => false,
            };
            query = bind_fields(query, s, holiday_open).bind(i64::from(s.synthetic)).bind(now).bind(now);
        }
        for row in query.fetch_all(&mut **tx).await? {
            ids.push(row.try_get::<i64, _>(0)?);
        }
    }
    for (station, id) in stations.iter().zip(&ids) {
        for h in &station.honours {
            sqlx::query("INSERT INTO honours (station_id, level, year, title) VALUES ($1, $2, $3, $4)")
                .bind(*id)
                .bind(h.level.key())
                .bind(i64::from(h.year))
                .bind(&h.title)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(ids)
}

impl Store {
    /// Stations with `from <= id < to`, streamed so that their rows are never all in memory at once.
    async fn stations_in(&self, from: i64, to: i64) -> Result<Vec<Station>, StoreError> {
        let aggregate = match self.backend {
            Backend::Sqlite => format!("json_group_array({})", packed_expr(self.backend)),
            Backend::Postgres => format!("json_agg({})::text", packed_expr(self.backend)),
        };
        let sql = format!("SELECT {aggregate} FROM stations WHERE id >= $1 AND id < $2");
        let mut stations = Vec::new();
        let mut hours_cache = HashMap::new();
        let mut start = from;
        while start < to {
            let end = (start + LOAD_BATCH).min(to);
            let row =
                sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(start).bind(end).fetch_one(&self.pool).await?;
            // No rows: `[]` from SQLite, NULL from PostgreSQL.
            if let Some(text) = row.try_get::<Option<&str>, _>(0)? {
                let batch: Vec<Packed> =
                    serde_json::from_str(text).map_err(|e| StoreError::Data("stations".into(), e.to_string()))?;
                for packed in batch {
                    stations.extend(station_from_packed(packed, &mut hours_cache)?);
                }
            }
            start = end;
        }
        Ok(stations)
    }

    /// Every station with its honours, revoked ones included.
    pub async fn all_stations(&self) -> Result<Vec<Station>, StoreError> {
        // Read in id ranges on several connections at once: decoding rows is the
        // slow part of a start with 200,000 stations, and it spreads over cores.
        let bounds = sqlx::query("SELECT COALESCE(MIN(id), 0), COALESCE(MAX(id), 0) FROM stations")
            .fetch_one(&self.pool)
            .await?;
        let (lo, hi): (i64, i64) = (bounds.try_get(0)?, bounds.try_get(1)?);
        let parts = LOAD_PARTS.min(self.pool.options().get_max_connections() as i64).max(1);
        let step = ((hi - lo) / parts + 1).max(1);
        let mut tasks = Vec::new();
        for p in 0..parts {
            let store = self.clone();
            let (from, to) = (lo + p * step, lo + (p + 1) * step);
            tasks.push(tokio::spawn(async move { store.stations_in(from, to).await }));
        }
        let mut stations = Vec::new();
        for task in tasks {
            let part = task.await.map_err(|e| StoreError::Data("stations".into(), e.to_string()))??;
            stations.extend(part);
        }
        let mut honours: HashMap<i64, Vec<Honour>> = HashMap::new();
        let rows = sqlx::query("SELECT station_id, level, year, title FROM honours ORDER BY year DESC, id")
            .fetch_all(&self.pool)
            .await?;
        for row in rows {
            let Some(level) = HonourLevel::parse(&row.try_get::<String, _>(1)?) else { continue };
            let year: i64 = row.try_get(2)?;
            honours.entry(row.try_get(0)?).or_default().push(Honour {
                level,
                year: i32::try_from(year).unwrap_or_default(),
                title: row.try_get(3)?,
            });
        }
        for station in &mut stations {
            if let Some(list) = honours.remove(&station.id) {
                station.honours = list;
            }
        }
        Ok(stations)
    }

    /// How many stations the ledger holds (revoked included).
    pub async fn station_count(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) FROM stations").fetch_one(&self.pool).await?;
        Ok(row.try_get::<i64, _>(0)?)
    }

    /// Adds stations (their `id` is ignored) with their honours, in one transaction,
    /// and bumps the data version. Returns the new ids in order.
    pub async fn insert_stations(&self, stations: &[Station], now: i64) -> Result<Vec<i64>, StoreError> {
        let mut tx = self.write().await?;
        let ids = insert_in(&mut tx, stations, now).await?;
        tx.bump(super::Change::Everything).await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Once per database: the "open on public holidays" flag of the first schema
    /// becomes part of the hours text, the one truth since. A station whose flag was
    /// off and whose text says nothing about holidays gets `; PH off`; a text that
    /// contradicts its flag is kept and listed in the log and the audit log.
    pub async fn migrate_holiday_flags(&self, now: i64) -> Result<(), StoreError> {
        const KEY: &str = "holiday_flag_in_hours";
        if self.meta(KEY).await?.is_some() {
            return Ok(());
        }
        let rows = sqlx::query(
            "SELECT opening_hours, holiday_open, COUNT(*) FROM stations WHERE opening_hours <> '' \
             GROUP BY opening_hours, holiday_open",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut tx = self.write().await?;
        for row in rows {
            let (raw, flag, count): (String, i64, i64) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            let Ok(hours) = Hours::parse(&raw) else { continue };
            let record = |action| AuditRecord {
                entity: "system",
                key: "holiday_flag_in_hours".into(),
                station_id: None,
                action,
                staff_id: None,
                at: now,
            };
            let facts = serde_json::json!({"hours": raw, "holiday_open": flag != 0, "stations": count});
            match hours.with_holidays(flag != 0) {
                Ok(fixed) if fixed.raw() != raw => {
                    sqlx::query(
                        "UPDATE stations SET opening_hours = $1 WHERE opening_hours = $2 AND holiday_open = $3",
                    )
                    .bind(fixed.raw())
                    .bind(&raw)
                    .bind(flag)
                    .execute(&mut *tx)
                    .await?;
                    let after = serde_json::json!({"hours": fixed.raw(), "stations": count});
                    record("migrate_holiday_flag").write(&mut tx, &facts, &after).await?;
                }
                Ok(_) => {}
                Err(conflict) => {
                    tracing::warn!(hours = raw, flag, count, %conflict, "hours contradict the holiday flag; text kept");
                    let after = serde_json::json!({"kept": raw, "conflict": conflict.to_string()});
                    record("holiday_flag_conflict").write(&mut tx, &facts, &after).await?;
                }
            }
        }
        sqlx::query("UPDATE stations SET holiday_open = 0 WHERE opening_hours = ''").execute(&mut *tx).await?;
        tx.bump(super::Change::Everything).await?;
        sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2)")
            .bind(KEY)
            .bind(now.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether a one-time data step has run on this database.
    pub async fn step_done(&self, key: &str) -> Result<bool, StoreError> {
        Ok(self.meta(key).await?.is_some())
    }

    /// Records that a one-time data step has run.
    pub async fn mark_step_done(&self, key: &str, when: i64) -> Result<(), StoreError> {
        self.set_meta(key, &when.to_string()).await
    }

    /// Ids of the stations with this exact name.
    pub async fn station_ids_named(&self, name: &str) -> Result<Vec<i64>, StoreError> {
        let rows =
            sqlx::query("SELECT id FROM stations WHERE name = $1 ORDER BY id").bind(name).fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok(r.try_get::<i64, _>(0)?)).collect()
    }

    /// Whether the named stations of the articles were loaded once already.
    pub async fn seeded(&self) -> Result<bool, StoreError> {
        Ok(self.meta("seeded").await?.is_some())
    }

    /// Records that the seed stations were loaded, so deleting them never brings them back.
    pub async fn mark_seeded(&self, when: i64) -> Result<(), StoreError> {
        self.set_meta("seeded", &when.to_string()).await
    }
}

/// One row of the audit log.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub at: i64,
    /// `None`: made by the system.
    pub staff_name: Option<String>,
    pub entity: String,
    pub entity_key: String,
    pub station_id: Option<i64>,
    pub station_name: Option<String>,
    pub action: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

/// Audit rows per page.
pub const AUDIT_PAGE: u32 = 50;

impl Store {
    /// One station as the ledger holds it now (with honours), revoked ones included.
    pub async fn station(&self, id: i64) -> Result<Option<Station>, StoreError> {
        let cast = if self.backend == Backend::Postgres { "::text" } else { "" };
        let sql = format!("SELECT {}{cast} FROM stations WHERE id = $1", packed_expr(self.backend));
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await? else {
            return Ok(None);
        };
        let packed: Packed = serde_json::from_str(row.try_get::<&str, _>(0)?)
            .map_err(|e| StoreError::Data("stations".into(), e.to_string()))?;
        let Some(mut station) = station_from_packed(packed, &mut HashMap::new())? else { return Ok(None) };
        let rows = sqlx::query("SELECT level, year, title FROM honours WHERE station_id = $1 ORDER BY year DESC, id")
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        for row in rows {
            if let Some(level) = HonourLevel::parse(&row.try_get::<String, _>(0)?) {
                let year: i64 = row.try_get(1)?;
                station.honours.push(Honour {
                    level,
                    year: i32::try_from(year).unwrap_or_default(),
                    title: row.try_get(2)?,
                });
            }
        }
        Ok(Some(station))
    }

    /// Writes `after` over `before` if nobody changed the station since `before` was read,
    /// with an audit row of the changed fields, and bumps the data version.
    /// `Ok(false)`: someone else saved first (nothing written). No change: nothing written, `Ok(true)`.
    pub async fn save_station(
        &self,
        before: &Station,
        after: &Station,
        action: &str,
        staff_id: Option<i64>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        if !self.write_station(&mut tx, before, after, action, staff_id, now).await? {
            tx.rollback().await?;
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }

    /// [`Store::save_station`] inside a transaction of the caller (who commits).
    pub(super) async fn write_station(
        &self,
        tx: &mut super::Tx,
        before: &Station,
        after: &Station,
        action: &str,
        staff_id: Option<i64>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let Some((old, new)) = before.diff(after) else { return Ok(true) };
        if !update_in(tx, before, after, (&old, &new), action, staff_id, now).await? {
            return Ok(false);
        }
        tx.bump(super::Change::Station(after.id)).await?;
        Ok(true)
    }
}

/// Writes `after` over `before` in `tx` with its audit row (`changes`: the fields
/// before and after), unless someone changed the station since `before` was read
/// (`Ok(false)`). The data version is the caller's to bump.
pub(super) async fn update_in(
    tx: &mut super::Tx,
    before: &Station,
    after: &Station,
    changes: (&serde_json::Value, &serde_json::Value),
    action: &str,
    staff_id: Option<i64>,
    now: i64,
) -> Result<bool, StoreError> {
    let (old, new) = changes;
    {
        let updated = sqlx::query(sqlx::AssertSqlSafe(update_sql())).bind(before.id).bind(before.updated_at);
        // Strictly later than before, so that two saves in one second still conflict.
        let updated = bind_fields(updated, after, after.opens_on_holidays())
            .bind(now.max(before.updated_at + 1))
            .fetch_optional(&mut **tx)
            .await?;
        if updated.is_none() {
            return Ok(false);
        }
        if after.honours.len() > before.honours.len() {
            for h in &after.honours[before.honours.len()..] {
                sqlx::query("INSERT INTO honours (station_id, level, year, title) VALUES ($1, $2, $3, $4)")
                    .bind(before.id)
                    .bind(h.level.key())
                    .bind(i64::from(h.year))
                    .bind(&h.title)
                    .execute(&mut **tx)
                    .await?;
            }
        }
        let entry = AuditRecord::station(before.id, action, staff_id, now);
        entry.write(tx, old, new).await?;
        if after.status == Status::Revoked && before.status != Status::Revoked {
            super::card_close::close_card_of_revoked(tx, after.id, staff_id, now).await?;
        }
        Ok(true)
    }
}

impl Store {
    /// Adds a new station with an audit row; returns its id.
    pub async fn create_station(&self, station: &Station, staff_id: Option<i64>, now: i64) -> Result<i64, StoreError> {
        let ids = self.insert_stations(std::slice::from_ref(station), now).await?;
        let id = ids.first().copied().ok_or_else(|| StoreError::Data("stations".into(), "no id returned".into()))?;
        let after: serde_json::Map<String, serde_json::Value> =
            station.ledger_fields().into_iter().map(|(k, v)| (k.to_string(), v.into())).collect();
        let mut tx = self.write().await?;
        AuditRecord::station(id, "create", staff_id, now).write(&mut tx, &serde_json::json!({}), &after.into()).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A page of the audit log (newest first), optionally for one station, and the total.
    pub async fn audit_log(&self, station_id: Option<i64>, page: u32) -> Result<(i64, Vec<AuditEntry>), StoreError> {
        let cond = if station_id.is_some() { "a.station_id = $1" } else { "TRUE" };
        let count_sql = format!("SELECT COUNT(*) FROM audit_log a WHERE {cond}");
        let mut count = sqlx::query(sqlx::AssertSqlSafe(count_sql));
        if let Some(id) = station_id {
            count = count.bind(id);
        }
        let total: i64 = count.fetch_one(&self.pool).await?.try_get(0)?;
        let sql = format!(
            "SELECT a.at, s.display_name, a.station_id, st.name, a.action, a.before, a.after, a.entity, \
             COALESCE(a.entity_key, '') FROM audit_log a \
             LEFT JOIN staff s ON s.id = a.staff_id LEFT JOIN stations st ON st.id = a.station_id WHERE {cond} \
             ORDER BY a.id DESC LIMIT {AUDIT_PAGE} OFFSET {}",
            u64::from(page) * u64::from(AUDIT_PAGE)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let Some(id) = station_id {
            query = query.bind(id);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let json = |raw: String| serde_json::from_str(&raw).unwrap_or(serde_json::Value::Null);
        let entries = rows
            .iter()
            .map(|r| {
                Ok(AuditEntry {
                    at: r.try_get(0)?,
                    staff_name: r.try_get(1)?,
                    entity: r.try_get(7)?,
                    entity_key: r.try_get(8)?,
                    station_id: r.try_get(2)?,
                    station_name: r.try_get(3)?,
                    action: r.try_get(4)?,
                    before: json(r.try_get(5)?),
                    after: json(r.try_get(6)?),
                })
            })
            .collect::<Result<_, sqlx::Error>>()?;
        Ok((total, entries))
    }
}

impl Store {
    /// Reopens every station temporarily closed until a day that has come (`today`,
    /// Beijing), audited as the system: one conditional update, so several instances
    /// reopen each station once. The stations reopened.
    pub async fn reopen_due(&self, today: NaiveDate, now: i64) -> Result<Vec<i64>, StoreError> {
        let day = today.format("%Y-%m-%d").to_string();
        // Looked for first: a write (even of no row) would take SQLite's write lock
        // every minute on every instance.
        let due = sqlx::query(
            "SELECT id FROM stations WHERE status = 'temporarily_closed' AND closed_until IS NOT NULL \
             AND closed_until <= $1 LIMIT 1",
        )
        .bind(day.clone())
        .fetch_optional(&self.pool)
        .await?;
        if due.is_none() {
            return Ok(Vec::new());
        }
        let mut tx = self.write().await?;
        let rows = sqlx::query(
            "UPDATE stations SET status = 'open', closed_reason = NULL, closed_until = NULL, updated_at = $2 \
             WHERE status = 'temporarily_closed' AND closed_until IS NOT NULL AND closed_until <= $1 \
             RETURNING id, closed_until",
        )
        .bind(day)
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        let mut reopened = Vec::new();
        for r in &rows {
            let id: i64 = r.try_get(0)?;
            let until: Option<String> = r.try_get(1)?;
            let before = serde_json::json!({"status": "temporarily_closed", "closed_until": until});
            let after = serde_json::json!({"status": "open"});
            AuditRecord::station(id, "reopen_due", None, now).write(&mut tx, &before, &after).await?;
            reopened.push(id);
        }
        if !reopened.is_empty() {
            tx.bump(super::Change::Everything).await?;
        }
        tx.commit().await?;
        Ok(reopened)
    }
}
