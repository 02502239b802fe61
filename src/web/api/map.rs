//! `GET /api/map?bbox=W,S,E,N&zoom=Z&<filters>`: GeoJSON clusters and stations
//! of a viewport, computed on the server from the snapshot.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;

use crate::domain::coords::LatLon;
use crate::domain::facility::KEY_FACILITIES;
use crate::domain::filter::{ParamError, Problem, parse_pairs};
use crate::domain::geo::{Datum, from_wgs84, to_wgs84};
use crate::snapshot::{MapItem, Viewport};
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::i18n::Lang;
use crate::web::page::availability_line;
use crate::web::public::stations::parse_filter;

/// Highest zoom a client may ask for.
pub const MAX_REQUEST_ZOOM: u32 = 22;

#[derive(Serialize)]
struct Geometry {
    r#type: &'static str,
    coordinates: [f64; 2],
}

#[derive(Serialize)]
#[serde(untagged)]
enum Properties {
    Cluster { cluster: bool, count: usize, expansion_zoom: u32 },
    Station { id: i64, name: String, state: &'static str, state_text: String, facilities: Vec<&'static str> },
}

#[derive(Serialize)]
struct Feature {
    r#type: &'static str,
    geometry: Geometry,
    properties: Properties,
}

#[derive(Serialize)]
struct Collection {
    r#type: &'static str,
    /// The datum of every coordinate here: that of the tiles.
    datum: &'static str,
    features: Vec<Feature>,
}

fn point(p: LatLon, datum: Datum) -> Geometry {
    let p = from_wgs84(p, datum);
    // Six decimals is 0.1 m: enough, and keeps the answer small.
    let round = |v: f64| (v * 1e6).round() / 1e6;
    Geometry { r#type: "Point", coordinates: [round(p.lon), round(p.lat)] }
}

/// A bounding box "W,S,E,N" in the tiles' datum, checked and turned into WGS-84.
pub fn parse_bbox(raw: &str, datum: Datum) -> Result<(LatLon, LatLon), ParamError> {
    let bad = || ParamError::new("bbox", raw, Problem::BadBbox);
    let v: Vec<f64> = raw.split(',').map(|p| p.trim().parse::<f64>()).collect::<Result<_, _>>().map_err(|_| bad())?;
    let [w, s, e, n] = v[..] else { return Err(bad()) };
    let lon_ok = |x: f64| x.is_finite() && (-180.0..=180.0).contains(&x);
    let lat_ok = |y: f64| y.is_finite() && (-90.0..=90.0).contains(&y);
    if !(lon_ok(w) && lon_ok(e) && lat_ok(s) && lat_ok(n)) || w > e || s > n {
        return Err(bad());
    }
    Ok((to_wgs84(LatLon { lat: s, lon: w }, datum), to_wgs84(LatLon { lat: n, lon: e }, datum)))
}

/// A zoom level 0–22.
pub fn parse_zoom(raw: &str) -> Result<u32, ParamError> {
    raw.trim()
        .parse::<u32>()
        .ok()
        .filter(|z| *z <= MAX_REQUEST_ZOOM)
        .ok_or_else(|| ParamError::new("zoom", raw, Problem::BadZoom))
}

#[get("/api/map")]
pub async fn features(req: HttpRequest, lang: Lang, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let snapshot = state.snapshot.load();
    let filter = parse_filter(req.query_string(), &snapshot)?;
    let pairs = parse_pairs(req.query_string())?;
    let param = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| ParamError::new(name, "", Problem::Missing))
    };
    let datum = state.tiles.datum;
    let (sw, ne) = parse_bbox(param("bbox")?, datum)?;
    let zoom = parse_zoom(param("zoom")?)?;
    let now = state.clock.now();
    let view = Viewport::from_bbox(sw.lon, sw.lat, ne.lon, ne.lat);
    let features = snapshot
        .map(view, zoom, &filter, now)
        .into_iter()
        .map(|item| match item {
            MapItem::Cluster { position, count, expansion_zoom } => Feature {
                r#type: "Feature",
                geometry: point(position, datum),
                properties: Properties::Cluster { cluster: true, count, expansion_zoom },
            },
            MapItem::Station { index } => {
                let e = snapshot.entry(index);
                let s = &e.station;
                let (state, state_text) = availability_line(lang, e.availability(now), now, e.h24);
                Feature {
                    r#type: "Feature",
                    geometry: point(s.position, datum),
                    properties: Properties::Station {
                        id: s.id,
                        name: s.name.clone(),
                        state,
                        state_text,
                        facilities: KEY_FACILITIES
                            .iter()
                            .filter(|f| s.facilities.contains(**f))
                            .map(|f| f.key())
                            .collect(),
                    },
                }
            }
        })
        .collect();
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-cache")).json(Collection {
        r#type: "FeatureCollection",
        datum: datum.key(),
        features,
    }))
}
