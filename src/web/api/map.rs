//! `GET /api/map?bbox=W,S,E,N&zoom=Z&<filters>`: GeoJSON clusters and stations
//! of a viewport, computed on the server from the snapshot.

use crate::domain::coords::LatLon;
use crate::domain::facility::{FacilitySet, KEY_FACILITIES};
use crate::domain::filter::{ParamError, Problem, parse_pairs};
use crate::domain::geo::{Datum, from_wgs84, to_wgs84};
use crate::snapshot::{MapItem, Viewport};
use crate::web::context::Page;
use crate::web::page::availability_line;
use crate::web::prelude::*;
use crate::web::query::parse_filter;

/// Highest zoom a client may ask for.
pub const MAX_REQUEST_ZOOM: u32 = 22;

/// The answer, written straight into one buffer. Through serde's derived path a
/// district view spent over a quarter of its CPU writing the same dozen keys of
/// every feature; the fixed parts are copied here as they are, and only names
/// and sentences go through serde_json's string escaping.
struct FeatureWriter {
    out: Vec<u8>,
    datum: Datum,
    first: bool,
}

impl FeatureWriter {
    fn new(datum: Datum, items: usize) -> FeatureWriter {
        let mut out = Vec::with_capacity(64 + 160 * items);
        out.extend_from_slice(br#"{"type":"FeatureCollection","datum":""#);
        out.extend_from_slice(datum.key().as_bytes());
        out.extend_from_slice(br#"","features":["#);
        FeatureWriter { out, datum, first: true }
    }

    /// A coordinate in millionths of a degree (0.1 m), without trailing zeros.
    fn coordinate(&mut self, v: f64) {
        let micro = (v * 1e6).round() as i64;
        if micro < 0 {
            self.out.push(b'-');
        }
        let (int, mut frac) = (micro.unsigned_abs() / 1_000_000, micro.unsigned_abs() % 1_000_000);
        self.number(int);
        if frac != 0 {
            let mut digits = 6;
            while frac % 10 == 0 {
                frac /= 10;
                digits -= 1;
            }
            let mut buffer = itoa::Buffer::new();
            let text = buffer.format(frac);
            self.out.push(b'.');
            self.out.extend(std::iter::repeat_n(b'0', digits - text.len()));
            self.out.extend_from_slice(text.as_bytes());
        }
    }

    fn number(&mut self, n: impl itoa::Integer) {
        self.out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    }

    fn string(&mut self, text: &str) {
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut self.out, text);
    }

    fn start(&mut self, position: LatLon) {
        let p = from_wgs84(position, self.datum);
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.extend_from_slice(br#"{"type":"Feature","geometry":{"type":"Point","coordinates":["#);
        self.coordinate(p.lon);
        self.out.push(b',');
        self.coordinate(p.lat);
        self.out.extend_from_slice(br#"]},"properties":{"#);
    }

    fn cluster(&mut self, position: LatLon, count: usize, expansion_zoom: u32) {
        self.start(position);
        self.out.extend_from_slice(br#""cluster":true,"count":"#);
        self.number(count);
        self.out.extend_from_slice(br#","expansion_zoom":"#);
        self.number(expansion_zoom);
        self.out.extend_from_slice(b"}}");
    }

    fn station(&mut self, p: Pin<'_>) {
        let Pin { position, id, name, state, state_text, facilities, photo } = p;
        self.start(position);
        self.out.extend_from_slice(br#""id":"#);
        self.number(id);
        self.out.extend_from_slice(br#","name":"#);
        self.string(name);
        self.out.extend_from_slice(br#","state":"#);
        self.string(state);
        self.out.extend_from_slice(br#","state_text":"#);
        self.string(state_text);
        self.out.extend_from_slice(br#","facilities":["#);
        for (i, f) in KEY_FACILITIES.iter().filter(|f| facilities.contains(**f)).enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            self.string(f.key());
        }
        self.out.push(b']');
        if let Some(hash) = photo {
            self.out.extend_from_slice(br#","photo":"#);
            self.string(hash);
        }
        self.out.extend_from_slice(b"}}");
    }

    fn finish(mut self) -> Vec<u8> {
        self.out.extend_from_slice(b"]}");
        self.out
    }
}

/// What a single station's feature says.
struct Pin<'a> {
    position: LatLon,
    id: i64,
    name: &'a str,
    state: &'a str,
    state_text: &'a str,
    facilities: FacilitySet,
    /// The door photo's name, if any.
    photo: Option<&'a str>,
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

pub async fn features(Page { req, lang, state, .. }: Page) -> Result<HttpResponse, AppError> {
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
    let items = snapshot.map(view, zoom, &filter, now);
    let mut json = FeatureWriter::new(datum, items.len());
    for item in items {
        match item {
            MapItem::Cluster { position, count, expansion_zoom } => json.cluster(position, count, expansion_zoom),
            MapItem::Station { index } => {
                let e = snapshot.entry(index);
                let s = &e.station;
                // The map index holds only stations with a position.
                let Some(position) = s.position else { continue };
                let (state, state_text) = availability_line(lang, e, &snapshot.calendar, now);
                let door = snapshot.door_photo(s.id).map(|p| p.hash.as_str());
                json.station(Pin {
                    position,
                    id: s.id,
                    name: &s.name,
                    state,
                    state_text: &state_text,
                    facilities: s.working(),
                    photo: door,
                });
            }
        }
    }
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-cache"))
        .content_type("application/json")
        .body(json.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::facility::Facility;

    #[test]
    fn written_features_are_json_with_exact_coordinates() {
        let mut w = FeatureWriter::new(Datum::Wgs84, 2);
        w.cluster(LatLon { lat: 39.9042, lon: 116.407396 }, 12, 14);
        let facilities = [Facility::Toilet, Facility::Water, Facility::Shower].into_iter().collect();
        w.station(Pin {
            position: LatLon { lat: -0.0000004, lon: -73.0000006 },
            id: 7,
            name: "A \"quoted\" <b>\n驿站",
            state: "open",
            state_text: "营业中",
            facilities,
            photo: Some("0123456789abcdef0123456789abcdef"),
        });
        let body = w.finish();
        let v: serde_json::Value = serde_json::from_slice(&body).expect("valid JSON");
        assert_eq!(v["type"], "FeatureCollection");
        assert_eq!(v["datum"], "wgs84");
        let cluster = &v["features"][0];
        assert_eq!(cluster["type"], "Feature");
        assert_eq!(cluster["geometry"]["type"], "Point");
        assert_eq!(cluster["geometry"]["coordinates"], serde_json::json!([116.407396, 39.9042]));
        assert_eq!(cluster["properties"], serde_json::json!({"cluster": true, "count": 12, "expansion_zoom": 14}));
        let station = &v["features"][1];
        assert_eq!(station["geometry"]["coordinates"], serde_json::json!([-73.000001, 0]));
        assert_eq!(station["properties"]["name"], "A \"quoted\" <b>\n驿站");
        assert_eq!(station["properties"]["facilities"], serde_json::json!(["water", "toilet"]));
        assert_eq!(station["properties"]["state_text"], "营业中");
        assert_eq!(station["properties"]["photo"], "0123456789abcdef0123456789abcdef");
        let empty = FeatureWriter::new(Datum::Gcj02, 0).finish();
        assert_eq!(String::from_utf8_lossy(&empty), r#"{"type":"FeatureCollection","datum":"gcj02","features":[]}"#);
    }
}
