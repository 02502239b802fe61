//! `GET /near?lat=..&lon=..`: the nearest stations, open now by default, with
//! distance and time on foot or by e-bike. Works without JavaScript.

use super::view::StationRow;
use crate::domain::district::DISTRICTS;
use crate::domain::filter::{StationFilter, parse_pairs};
use crate::domain::geo::{NavLinks, TravelMode, travel_minutes};
use crate::web::context::Page;
use crate::web::page::distance_text;
use crate::web::prelude::*;
use crate::web::public::stations::relaxations;
use crate::web::query::{parse_filter, position_param};

/// Beyond this straight-line distance the page gives no walking time.
const WALKABLE_M: f64 = 3_000.0;

/// How many stations the page lists.
pub const NEAR_LIMIT: usize = 20;

/// Beijing's extent (WGS-84), a little wide: a position outside gets a notice.
const BEIJING_LAT: std::ops::RangeInclusive<f64> = 39.40..=41.10;
const BEIJING_LON: std::ops::RangeInclusive<f64> = 115.40..=117.55;

/// A station with how far it is.
pub struct NearRow {
    pub row: StationRow,
    pub distance: String,
    pub minutes: String,
    pub nav: NavLinks,
}

#[derive(Template, WebTemplate)]
#[template(path = "public/near.html")]
struct NearPage {
    ctx: PageCtx,
    located: bool,
    all: bool,
    lat: String,
    lon: String,
    rows: Vec<NearRow>,
    districts: Vec<(u32, &'static str)>,
    /// The filters other than the state, as a query string ("" for none).
    query: String,
    /// The active filters other than the state: each in words, and the query
    /// string without it.
    active: Vec<(String, String)>,
    /// Set when the position is outside Beijing: the nearest station's distance in km.
    outside_km: Option<String>,
}

/// How long the way takes: walking and riding, or riding only for a far station
/// (nobody walks 10 km to a rest stop).
pub fn minutes_text(lang: Lang, metres: f64) -> String {
    let (walk, ride) = travel_minutes(metres);
    if metres <= WALKABLE_M {
        lang.tf("near.minutes", &[("walk", &walk.to_string()), ("ride", &ride.to_string())])
    } else {
        lang.tf("near.minutes_ride", &[("ride", &ride.to_string())])
    }
}

pub async fn page(Page { req, lang, state, .. }: Page) -> Result<impl Responder, AppError> {
    let pairs = parse_pairs(req.query_string())?;
    let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let all = matches!(get("all"), Some("1"));
    let position = position_param(&pairs)?;
    let snapshot = state.snapshot.load();
    let now = state.clock.now();
    // The list's filters; open now unless asked otherwise.
    let mut filter = parse_filter(req.query_string(), &snapshot)?;
    filter.page = 1;
    filter.open_now = !all && (filter.open_now || get("open_now").is_none());
    let others = StationFilter { open_now: false, ..filter.clone() };
    let query = others.to_query(1);
    let active = relaxations(&others, lang).into_iter().map(|(label, without)| (label, without.to_query(1))).collect();
    let mut nearest_m = None;
    let rows = position
        .map(|from| {
            snapshot
                .nearest(from, &filter, now, NEAR_LIMIT)
                .into_iter()
                .filter_map(|(e, m)| {
                    // Only stations with a position are found near a place.
                    let to = e.station.position?;
                    nearest_m.get_or_insert(m);
                    Some(NearRow {
                        row: StationRow::new(e, lang, &snapshot.calendar, now).with_matched_first(filter.facilities),
                        distance: distance_text(lang, m),
                        minutes: minutes_text(lang, m),
                        nav: NavLinks::new(to, &e.station.name, TravelMode::Ride),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let outside = position.is_some_and(|p| !(BEIJING_LAT.contains(&p.lat) && BEIJING_LON.contains(&p.lon)));
    Ok(NearPage {
        ctx: PageCtx::new(&req, lang, &state),
        located: position.is_some(),
        all,
        lat: position.map(|p| format!("{:.6}", p.lat)).unwrap_or_default(),
        lon: position.map(|p| format!("{:.6}", p.lon)).unwrap_or_default(),
        rows,
        districts: DISTRICTS.iter().map(|d| (d.code, d.name(lang.is_zh()))).collect(),
        query,
        active,
        outside_km: nearest_m.filter(|_| outside).map(|m| format!("{:.0}", m / 1000.0)),
    })
}
