//! `GET /api/stations`: the list's filters, as JSON.

use crate::web::prelude::*;
use serde::Serialize;

use crate::domain::filter::{ParamError, Problem, parse_pairs};
use crate::snapshot::{Entry, PER_PAGE};
use crate::web::query::parse_filter;

/// Largest page size the API gives.
pub const MAX_PER_PAGE: usize = 100;

#[derive(Serialize)]
struct Item<'a> {
    id: i64,
    name: &'a str,
    district_code: String,
    street_code: Option<&'a str>,
    address: &'a str,
    /// `null` while the position is not known.
    lat: Option<f64>,
    lon: Option<f64>,
    /// `null` when it cannot be told (no hours, or a holiday calendar not loaded).
    open_now: Option<bool>,
    /// "open", "closed", "out_of_service" or "unknown".
    state: &'static str,
    /// Open around the clock today (by today's hours, holidays included).
    h24: bool,
    /// Opens on public holidays, as the hours text says.
    holiday_open: bool,
    /// Works 调休 make-up working days.
    works_makeup_days: bool,
    facilities: Vec<&'static str>,
    basic: bool,
    status: &'static str,
}

#[derive(Serialize)]
struct ListBody<'a> {
    total: usize,
    /// With `open_now=1`: stations that match the other filters but whose state cannot
    /// be told now, left out of the list.
    #[serde(skip_serializing_if = "Option::is_none")]
    left_out_unknown: Option<usize>,
    page: u32,
    per_page: usize,
    items: Vec<Item<'a>>,
}

impl<'a> Item<'a> {
    fn new(e: &'a Entry, now: i64) -> Item<'a> {
        let s = &e.station;
        let state = e.availability(now);
        Item {
            id: s.id,
            name: &s.name,
            district_code: s.district.code.to_string(),
            street_code: s.street_code.as_deref(),
            address: &s.address,
            lat: s.position.map(|p| p.lat),
            lon: s.position.map(|p| p.lon),
            open_now: state.open_now(),
            state: state.key(),
            h24: e.h24,
            holiday_open: s.opens_on_holidays(),
            works_makeup_days: s.works_makeup_days,
            facilities: s.working().iter().map(|f| f.key()).collect(),
            basic: s.meets_basic(),
            status: s.status.key(),
        }
    }
}

pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let snapshot = state.snapshot.load();
    let filter = parse_filter(req.query_string(), &snapshot)?;
    let per_page = match parse_pairs(req.query_string())?.into_iter().find(|(k, _)| k == "per_page") {
        None => PER_PAGE,
        Some((k, v)) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PER_PAGE).contains(n))
            .ok_or_else(|| ParamError::new(&k, &v, Problem::BadPage))?,
    };
    let now = state.clock.now();
    let page = snapshot.list(&filter, now, per_page);
    let body = ListBody {
        total: page.total,
        left_out_unknown: filter.open_now.then(|| snapshot.left_out_unknown(&filter, now)),
        page: page.page,
        per_page,
        items: page.items.iter().map(|e| Item::new(e, now)).collect(),
    };
    Ok(HttpResponse::Ok().json(body))
}
