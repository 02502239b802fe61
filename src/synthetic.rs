//! Realistic fake stations for benchmarks (`yizhan gen-synthetic`), spread over
//! Beijing's districts and clearly marked synthetic.

use std::collections::HashMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_embed::RustEmbed;
use serde::Deserialize;

use crate::domain::coords::{LatLon, Precision};
use crate::domain::district::{DISTRICTS, District, Street};
use crate::domain::facility::{ALL_FACILITIES, Audience, Facility, FacilitySet, HostType};
use crate::domain::hours::Hours;
use crate::domain::station::{Station, Status};
use crate::store::StoreError;

#[derive(RustEmbed)]
#[folder = "data/seed/"]
#[include = "synthetic.json"]
struct Words;

#[derive(Deserialize)]
struct Vocabulary {
    marker: String,
    suffix: String,
    hosts: HashMap<String, Vec<String>>,
    address_suffix: Vec<String>,
    address_roots: Vec<String>,
}

/// Spread around the district's label point (degrees) and share of stations, in `DISTRICTS` order.
const SPREAD: [(f64, u32); 16] = [
    (0.025, 9),  // 东城
    (0.025, 8),  // 西城
    (0.070, 14), // 朝阳
    (0.060, 9),  // 丰台
    (0.030, 3),  // 石景山
    (0.070, 11), // 海淀
    (0.060, 2),  // 门头沟
    (0.090, 5),  // 房山
    (0.080, 7),  // 通州
    (0.080, 8),  // 顺义
    (0.090, 7),  // 昌平
    (0.080, 7),  // 大兴
    (0.070, 2),  // 怀柔
    (0.060, 2),  // 平谷
    (0.070, 3),  // 密云
    (0.070, 2),  // 延庆
];

/// Opening-hours texts with their weights.
const HOURS: [(&str, u32); 7] = [
    ("24/7", 12),
    ("Mo-Su 08:00-18:00", 25),
    ("Mo-Fr 09:00-17:30; PH off", 22),
    ("Mo-Su 09:00-21:00", 15),
    ("Mo-Sa 08:30-17:30", 10),
    ("Mo-Su 10:00-22:00", 10),
    ("", 6),
];

fn facility_chance(f: Facility) -> f64 {
    match f {
        Facility::Water | Facility::Seats => 0.9,
        Facility::Charging => 0.8,
        Facility::FirstAid => 0.7,
        Facility::Microwave | Facility::Wifi => 0.6,
        Facility::Toilet | Facility::RainGear | Facility::HotWater => 0.5,
        Facility::RepairTools | Facility::AirConditioning | Facility::Heating => 0.4,
        _ => 0.12,
    }
}

fn weighted<T: Copy>(rng: &mut StdRng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut pick = rng.random_range(0..total);
    for (item, w) in items {
        if pick < *w {
            return *item;
        }
        pick -= w;
    }
    items[0].0
}

fn pick<'a>(rng: &mut StdRng, list: &'a [String]) -> &'a str {
    list.get(rng.random_range(0..list.len().max(1))).map(String::as_str).unwrap_or_default()
}

/// `count` synthetic stations, reproducible for a given seed.
pub fn generate(count: usize, seed: u64, streets: &[Street], now: i64) -> Result<Vec<Station>, StoreError> {
    let file = Words::get("synthetic.json")
        .ok_or_else(|| StoreError::Data("seed/synthetic.json".into(), "not bundled".into()))?;
    let words: Vocabulary = serde_json::from_slice(&file.data)
        .map_err(|e| StoreError::Data("seed/synthetic.json".into(), e.to_string()))?;
    let mut rng = StdRng::seed_from_u64(seed);
    let districts: Vec<(usize, u32)> = SPREAD.iter().enumerate().map(|(i, s)| (i, s.1)).collect();
    let hours: Vec<(Option<Hours>, u32)> = HOURS.iter().map(|(raw, w)| (Hours::parse(raw).ok(), *w)).collect();
    let hour_choices: Vec<(usize, u32)> = hours.iter().enumerate().map(|(i, h)| (i, h.1)).collect();
    let mut by_district: HashMap<u32, Vec<&Street>> = HashMap::new();
    for s in streets {
        by_district.entry(s.district_code).or_default().push(s);
    }
    let mut out = Vec::with_capacity(count);
    for n in 0..count {
        let di = weighted(&mut rng, &districts);
        let district: &'static District = &DISTRICTS[di];
        let (lat0, lon0) = district.label_at;
        let spread = SPREAD[di].0;
        // The sum of two uniforms clusters stations towards the centre, as real ones do.
        let mut jitter = |s: f64| (rng.random_range(-s..s) + rng.random_range(-s..s)) / 2.0 * 2.0;
        let position =
            LatLon::new(lat0 + jitter(spread), lon0 + jitter(spread * 1.3)).unwrap_or(LatLon { lat: lat0, lon: lon0 });
        let street = by_district.get(&district.code).and_then(|list| list.get(rng.random_range(0..list.len().max(1))));
        let host = HostType::ALL[rng.random_range(0..HostType::ALL.len())];
        let host_word = words.hosts.get(host.key()).map(|l| pick(&mut rng, l)).unwrap_or_default().to_string();
        let street_name = street.map(|s| s.name.as_str()).unwrap_or(district.name_zh);
        let facilities: FacilitySet =
            ALL_FACILITIES.into_iter().filter(|f| rng.random_bool(facility_chance(*f))).collect();
        let audiences: Vec<Audience> = Audience::ALL.iter().copied().filter(|_| rng.random_bool(0.4)).collect();
        let mut hours_pick = hours[weighted(&mut rng, &hour_choices)].0.clone();
        // Four in ten of the stations whose hours say nothing of holidays close on them.
        if let Some(h) = hours_pick.as_ref().filter(|h| !h.has_ph_rule())
            && rng.random_bool(0.4)
        {
            hours_pick = h.with_holidays(false).ok();
        }
        let status = if rng.random_bool(0.02) {
            Status::TemporarilyClosed { reason: String::new(), until: None }
        } else if rng.random_bool(0.01) {
            Status::Revoked
        } else {
            Status::Open
        };
        out.push(Station {
            id: 0,
            code: String::new(),
            ledger_id: None,
            name: format!("{street_name}{host_word}{}{}{}", words.suffix, n + 1, words.marker),
            district,
            street_code: street.map(|s| s.code.clone()),
            address: format!(
                "{}{}{}{}{}号",
                district.name_zh,
                street_name,
                pick(&mut rng, &words.address_roots),
                pick(&mut rng, &words.address_suffix),
                rng.random_range(1..300)
            ),
            position: Some(position),
            precision: if rng.random_bool(0.8) { Precision::Exact } else { Precision::Approximate },
            host,
            hours: hours_pick,
            works_makeup_days: host.follows_makeup_by_default(),
            contact_name: None,
            phone: None,
            area_m2: Some(f64::from(rng.random_range(10..300))),
            facilities,
            unavailable: FacilitySet::default(),
            audiences,
            services: String::new(),
            status,
            revocation: None,
            description: String::new(),
            story: String::new(),
            verified_on: None,
            verified_by: Default::default(),
            synthetic: true,
            honours: Vec::new(),
            created_at: now,
            updated_at: now,
        });
    }
    Ok(out)
}
