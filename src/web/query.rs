//! What a request's query says: decoded pairs, one value, a page number, the list
//! filters and a position, each refused with a 400 that names the parameter.

use actix_web::HttpRequest;

use super::error::AppError;
use crate::domain::coords::LatLon;
use crate::domain::filter::{ParamError, Problem, StationFilter, parse_pairs};
use crate::domain::geo::Datum;
use crate::domain::geo::to_wgs84;
use crate::snapshot::Snapshot;

/// The request's query as decoded pairs (invalid UTF-8 is a 400).
pub fn query_pairs(req: &HttpRequest) -> Result<Vec<(String, String)>, ParamError> {
    parse_pairs(req.query_string())
}

/// One query value, "" when absent.
pub fn param<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or_default()
}

/// A 1-based page number from the query, as a 0-based index.
pub fn page_param(pairs: &[(String, String)]) -> Result<u32, ParamError> {
    match param(pairs, "page") {
        "" => Ok(0),
        raw => match raw.parse::<u32>() {
            Ok(n @ 1..=100_000) => Ok(n - 1),
            _ => Err(ParamError::new("page", raw, Problem::BadPage)),
        },
    }
}

/// Parses the query and checks the street against the snapshot.
pub fn parse_filter(query: &str, snapshot: &Snapshot) -> Result<StationFilter, AppError> {
    let filter = StationFilter::from_query(query)?;
    if let Some(code) = &filter.street
        && snapshot.street(code).is_none()
    {
        return Err(ParamError::new("street", code, Problem::UnknownStreet).into());
    }
    Ok(filter)
}

fn coordinate(name: &str, raw: &str, range: f64) -> Result<f64, ParamError> {
    raw.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && v.abs() <= range)
        .ok_or_else(|| ParamError::new(name, raw, Problem::BadCoordinate))
}

/// The position a query gives (`lat`, `lon` and an optional `datum`), in WGS-84;
/// `None` without one. Half a position or a number out of range is refused.
pub fn position_param(pairs: &[(String, String)]) -> Result<Option<LatLon>, ParamError> {
    let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let datum = match get("datum") {
        None | Some("") => Datum::Wgs84,
        Some(raw) => Datum::parse(raw).ok_or_else(|| ParamError::new("datum", raw, Problem::BadCoordinate))?,
    };
    match (get("lat"), get("lon")) {
        (Some(lat), Some(lon)) => {
            let p = LatLon { lat: coordinate("lat", lat, 90.0)?, lon: coordinate("lon", lon, 180.0)? };
            Ok(Some(to_wgs84(p, datum)))
        }
        (None, None) => Ok(None),
        (Some(_), None) => Err(ParamError::new("lon", "", Problem::Missing)),
        (None, Some(_)) => Err(ParamError::new("lat", "", Problem::Missing)),
    }
}
