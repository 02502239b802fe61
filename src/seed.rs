//! Bundled data: Beijing's streets, the holiday calendar and the named stations
//! of the articles, loaded into an empty database on first start.

use chrono::NaiveDate;
use rust_embed::RustEmbed;
use serde::Deserialize;

use crate::domain::calendar::DayKind;
use crate::domain::coords::{LatLon, Precision};
use crate::domain::district::{District, Street};
use crate::domain::facility::{Audience, FacilitySet, HostType};
use crate::domain::hours::Hours;
use crate::domain::station::{Honour, HonourLevel, Station, Status};
use crate::store::{Store, StoreError};

#[derive(RustEmbed)]
#[folder = "data/"]
#[include = "*.csv"]
#[include = "seed/*.json"]
struct DataFiles;

fn file(name: &str) -> Result<String, StoreError> {
    let f = DataFiles::get(name).ok_or_else(|| StoreError::Data(name.into(), "not bundled".into()))?;
    String::from_utf8(f.data.into_owned()).map_err(|e| StoreError::Data(name.into(), e.to_string()))
}

fn broken(name: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Data(name.into(), e.to_string())
}

/// Beijing's streets and towns (data/streets.csv).
pub fn streets() -> Result<Vec<Street>, StoreError> {
    #[derive(Deserialize)]
    struct Row {
        code: String,
        district_code: u32,
        name: String,
    }
    let text = file("streets.csv")?;
    let mut out = Vec::new();
    for row in csv::Reader::from_reader(text.as_bytes()).deserialize::<Row>() {
        let row = row.map_err(|e| broken("streets.csv", e))?;
        if !Street::valid_code(&row.code) || District::by_code(row.district_code).is_none() {
            return Err(broken("streets.csv", format!("bad code {}", row.code)));
        }
        out.push(Street { code: row.code, district_code: row.district_code, name: row.name });
    }
    Ok(out)
}

/// Holidays and make-up working days (data/holidays.csv).
pub fn holidays() -> Result<Vec<(NaiveDate, DayKind)>, StoreError> {
    #[derive(Deserialize)]
    struct Row {
        date: NaiveDate,
        kind: String,
        name: String,
    }
    let text = file("holidays.csv")?;
    let mut out = Vec::new();
    for row in csv::Reader::from_reader(text.as_bytes()).deserialize::<Row>() {
        let row = row.map_err(|e| broken("holidays.csv", e))?;
        let kind = match row.kind.as_str() {
            "holiday" => DayKind::Holiday(row.name),
            "workday" => DayKind::Workday(row.name),
            other => return Err(broken("holidays.csv", format!("unknown kind {other}"))),
        };
        out.push((row.date, kind));
    }
    Ok(out)
}

#[derive(Deserialize)]
struct SeedHonour {
    level: String,
    year: i32,
    title: String,
}

#[derive(Deserialize)]
struct SeedStation {
    name: String,
    district: String,
    street: Option<String>,
    address: String,
    lat: f64,
    lon: f64,
    host: String,
    hours: String,
    holiday_open: bool,
    area_m2: Option<f64>,
    facilities: Vec<String>,
    audiences: Vec<String>,
    services: String,
    description: String,
    honours: Vec<SeedHonour>,
}

/// The named stations of FACTS.md (data/seed/stations.json), positions approximate.
pub fn named_stations(streets: &[Street]) -> Result<Vec<Station>, StoreError> {
    const NAME: &str = "seed/stations.json";
    let seeds: Vec<SeedStation> = serde_json::from_str(&file(NAME)?).map_err(|e| broken(NAME, e))?;
    seeds
        .into_iter()
        .map(|s| {
            let district = District::parse(&s.district).ok_or_else(|| broken(NAME, &s.district))?;
            let street_code = s.street.as_ref().and_then(|name| {
                streets
                    .iter()
                    .find(|st| st.district_code == district.code && st.name == *name)
                    .map(|st| st.code.clone())
            });
            let hours = match s.hours.trim() {
                "" => None,
                raw => Some(Hours::parse(raw).map_err(|e| broken(NAME, e))?),
            };
            let facilities =
                FacilitySet::from_keys(s.facilities.iter().map(String::as_str)).map_err(|k| broken(NAME, k))?;
            let audiences = s
                .audiences
                .iter()
                .map(|a| Audience::parse(a).ok_or_else(|| broken(NAME, a)))
                .collect::<Result<Vec<_>, _>>()?;
            let honours = s
                .honours
                .into_iter()
                .map(|h| {
                    let level = HonourLevel::parse(&h.level).ok_or_else(|| broken(NAME, &h.level))?;
                    Ok(Honour { level, year: h.year, title: h.title })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            Ok(Station {
                id: 0,
                name: s.name,
                district,
                street_code,
                address: s.address,
                position: LatLon::new(s.lat, s.lon).map_err(|e| broken(NAME, e))?,
                precision: Precision::Approximate,
                host: HostType::parse(&s.host).ok_or_else(|| broken(NAME, &s.host))?,
                hours,
                holiday_open: s.holiday_open,
                contact_name: None,
                phone: None,
                area_m2: s.area_m2,
                facilities,
                audiences,
                services: s.services,
                status: Status::Open,
                description: s.description,
                verified_on: None,
                synthetic: false,
                honours,
                created_at: 0,
                updated_at: 0,
            })
        })
        .collect()
}

/// Loads reference data (always, only adding what is missing) and, on a database
/// that never had them, the named stations.
pub async fn load(store: &Store, now: i64) -> Result<(), StoreError> {
    let streets = streets()?;
    store.insert_reference(&streets, &holidays()?).await?;
    if !store.seeded().await? {
        if store.station_count().await? == 0 {
            let stations = named_stations(&streets)?;
            store.insert_stations(&stations, now).await?;
            tracing::info!(count = stations.len(), "seed stations loaded");
        }
        store.mark_seeded(now).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_data_parses() {
        let streets = streets().unwrap();
        assert!(streets.len() > 300, "Beijing has over 300 streets and towns, got {}", streets.len());
        for d in crate::domain::district::DISTRICTS {
            assert!(streets.iter().any(|s| s.district_code == d.code), "no streets for {}", d.name_zh);
        }
        let holidays = holidays().unwrap();
        for year in 2024..=2026 {
            assert!(holidays.iter().any(|(d, _)| chrono::Datelike::year(d) == year), "no holidays for {year}");
        }
        let stations = named_stations(&streets).unwrap();
        assert_eq!(stations.len(), 16);
        assert!(stations.iter().all(|s| s.precision == Precision::Approximate));
        let liucun = stations.iter().find(|s| s.name.starts_with("刘村")).unwrap();
        assert!(liucun.street_code.is_some(), "黄村地区 resolves to a street code");
    }
}
