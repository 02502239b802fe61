//! Bundled data: Beijing's streets, the holiday calendar and the named stations
//! of the articles, loaded into an empty database on first start.

use rust_embed::RustEmbed;
use serde::Deserialize;

use std::collections::BTreeMap;

use crate::domain::calendar::CalendarDay;
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
#[include = "seed/previous/*.json"]
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

/// Where the bundled calendar comes from, as stored with the years it loads. Years
/// loaded from any bundled file (this prefix) follow a newer bundle; years loaded by
/// staff or `yizhan holidays import` are never overwritten by it.
pub const BUNDLED_CALENDAR: &str = "data/holidays.csv (chinese-days 1.5.7)";
const BUNDLED_PREFIX: &str = "data/holidays.csv";

/// The bundled notice years (data/holidays.csv).
pub fn holidays() -> Result<BTreeMap<i32, Vec<CalendarDay>>, StoreError> {
    crate::holidays_file::parse(&file("holidays.csv")?).map_err(|e| broken("holidays.csv", e))
}

/// Loads each bundled notice year that is missing, or that an older bundle loaded.
async fn load_bundled_calendar(store: &Store, now: i64) -> Result<(), StoreError> {
    let loaded: BTreeMap<i32, String> = store.holiday_years().await?.into_iter().map(|y| (y.year, y.source)).collect();
    for (year, days) in holidays()? {
        let ours = loaded.get(&year).is_none_or(|source| source.starts_with(BUNDLED_PREFIX));
        if ours {
            store.replace_notice_year(year, &days, BUNDLED_CALENDAR, None, false, now).await?;
        }
    }
    Ok(())
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
    /// Only in the first seed file: since then the hours text says it (`PH off`).
    #[serde(default)]
    holiday_open: Option<bool>,
    area_m2: Option<f64>,
    facilities: Vec<String>,
    audiences: Vec<String>,
    services: String,
    description: String,
    honours: Vec<SeedHonour>,
}

/// The named stations of FACTS.md (data/seed/stations.json), positions approximate.
pub fn named_stations(streets: &[Street]) -> Result<Vec<Station>, StoreError> {
    stations_of("seed/stations.json", streets)
}

/// The stations of a bundled seed file.
fn stations_of(name: &'static str, streets: &[Street]) -> Result<Vec<Station>, StoreError> {
    const NAME: &str = "seed file";
    let seeds: Vec<SeedStation> = serde_json::from_str(&file(name)?).map_err(|e| broken(name, e))?;
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
                raw => {
                    let hours = Hours::parse(raw).map_err(|e| broken(NAME, e))?;
                    Some(match s.holiday_open {
                        Some(open) => hours.with_holidays(open).map_err(|e| broken(NAME, e))?,
                        None => hours,
                    })
                }
            };
            let host = HostType::parse(&s.host).ok_or_else(|| broken(NAME, &s.host))?;
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
                code: String::new(),
                ledger_id: None,
                name: s.name,
                district,
                street_code,
                address: s.address,
                position: Some(LatLon::new(s.lat, s.lon).map_err(|e| broken(NAME, e))?),
                precision: Precision::Approximate,
                host,
                hours,
                works_makeup_days: host.follows_makeup_by_default(),
                contact_name: None,
                phone: None,
                area_m2: s.area_m2,
                facilities,
                unavailable: FacilitySet::default(),
                audiences,
                services: s.services,
                status: Status::Open,
                revocation: None,
                description: s.description,
                story: String::new(),
                verified_on: None,
                verified_by: Default::default(),
                synthetic: false,
                honours,
                created_at: 0,
                updated_at: 0,
            })
        })
        .collect()
}

/// Loads reference data (always, only adding what is missing), the bundled calendar,
/// and, on a database that never had them, the named stations; on one that had the
/// first seed, its corrections.
pub async fn load(store: &Store, now: i64) -> Result<(), StoreError> {
    let streets = streets()?;
    store.insert_reference(&streets).await?;
    load_bundled_calendar(store, now).await?;
    store.migrate_holiday_flags(now).await?;
    if !store.seeded().await? {
        if store.station_count().await? == 0 {
            let stations = named_stations(&streets)?;
            store.insert_stations(&stations, now).await?;
            tracing::info!(count = stations.len(), "seed stations loaded");
        }
        store.mark_seeded(now).await?;
        store.mark_step_done(SEED_CORRECTION, now).await?;
    } else if !store.step_done(SEED_CORRECTION).await? {
        correct_seed(store, &streets, now).await?;
        store.mark_step_done(SEED_CORRECTION, now).await?;
    }
    Ok(())
}

/// The one-time step that brings the corrected seed facts to databases seeded with the first file.
const SEED_CORRECTION: &str = "seed_facts_v2";

/// Brings the corrections of the seed file to a database loaded with the first one.
/// A field is corrected only where the station still holds the first file's value, so
/// staff edits are kept; stations added to the file are added when no station has
/// their name. Every change goes to the audit log as the system's.
pub async fn correct_seed(store: &Store, streets: &[Street], now: i64) -> Result<usize, StoreError> {
    let first = stations_of("seed/previous/stations-v1.json", streets)?;
    let current = named_stations(streets)?;
    let mut changed = 0;
    for new in &current {
        let ids = store.station_ids_named(&new.name).await?;
        let Some(old) = first.iter().find(|s| s.name == new.name) else {
            if ids.is_empty() {
                store.create_station(new, None, now).await?;
                changed += 1;
            }
            continue;
        };
        for id in ids {
            let Some(stored) = store.station(id).await? else { continue };
            if stored.synthetic {
                continue;
            }
            let mut after = stored.clone();
            let hours = |s: &Station| s.hours.as_ref().map(|h| h.raw().to_string());
            macro_rules! follow {
                ($field:ident) => {
                    if stored.$field == old.$field {
                        after.$field = new.$field.clone();
                    }
                };
            }
            follow!(street_code);
            follow!(address);
            follow!(host);
            follow!(facilities);
            follow!(audiences);
            follow!(services);
            follow!(description);
            follow!(area_m2);
            if stored.position == old.position {
                after.position = new.position;
            }
            if hours(&stored) == hours(old) {
                after.hours = new.hours.clone();
            }
            if stored.host != after.host && stored.works_makeup_days == stored.host.follows_makeup_by_default() {
                after.works_makeup_days = after.host.follows_makeup_by_default();
            }
            if store.save_station(&stored, &after, "seed_correction", None, now).await? && stored.diff(&after).is_some()
            {
                changed += 1;
            }
        }
    }
    tracing::info!(changed, "seed corrections applied");
    Ok(changed)
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
        assert_eq!(holidays.keys().copied().collect::<Vec<_>>(), vec![2024, 2025, 2026]);
        let stations = named_stations(&streets).unwrap();
        assert_eq!(stations.len(), 18, "16 stations of the first file, and 阳阳 and 呷哺 of article 003");
        assert_eq!(stations_of("seed/previous/stations-v1.json", &streets).unwrap().len(), 16);
        assert!(stations.iter().all(|s| s.precision == Precision::Approximate));
        let liucun = stations.iter().find(|s| s.name.starts_with("刘村")).unwrap();
        assert!(liucun.street_code.is_some(), "黄村地区 resolves to a street code");
    }
}
