//! Coordinate systems, distances and navigation links.
//!
//! Stations are stored in WGS-84. Chinese map services use GCJ-02 (Amap,
//! Tencent, Apple inside China) or BD-09 (Baidu); the conversions come from
//! the `coordtransform` crate.

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::coords::LatLon;

/// The datum of a coordinate pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datum {
    Wgs84,
    Gcj02,
    Bd09,
}

impl Datum {
    pub fn parse(raw: &str) -> Option<Datum> {
        match raw.to_ascii_lowercase().as_str() {
            "wgs84" | "wgs-84" => Some(Datum::Wgs84),
            "gcj02" | "gcj-02" => Some(Datum::Gcj02),
            "bd09" | "bd-09" => Some(Datum::Bd09),
            _ => None,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Datum::Wgs84 => "wgs84",
            Datum::Gcj02 => "gcj02",
            Datum::Bd09 => "bd09",
        }
    }
}

/// A stored (WGS-84) position expressed in another datum.
pub fn from_wgs84(p: LatLon, to: Datum) -> LatLon {
    let (lon, lat) = match to {
        Datum::Wgs84 => (p.lon, p.lat),
        Datum::Gcj02 => coordtransform::wgs84_to_gcj02(p.lon, p.lat),
        Datum::Bd09 => coordtransform::wgs84_to_bd09(p.lon, p.lat),
    };
    LatLon { lat, lon }
}

/// A position given in some datum, back to WGS-84 for storage and search.
pub fn to_wgs84(p: LatLon, from: Datum) -> LatLon {
    let (lon, lat) = match from {
        Datum::Wgs84 => (p.lon, p.lat),
        Datum::Gcj02 => coordtransform::gcj02_to_wgs84(p.lon, p.lat),
        Datum::Bd09 => coordtransform::bd09_to_wgs84(p.lon, p.lat),
    };
    LatLon { lat, lon }
}

/// Great-circle distance in metres.
pub fn distance_m(a: LatLon, b: LatLon) -> f64 {
    const R: f64 = 6_371_008.8;
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = la2 - la1;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().asin()
}

/// Streets are not straight lines: a typical detour factor for city trips.
const DETOUR: f64 = 1.3;
/// Walking speed, metres per minute (4.8 km/h).
const WALK_M_PER_MIN: f64 = 80.0;
/// E-bike riding speed of a delivery rider in traffic, metres per minute (15 km/h).
const RIDE_M_PER_MIN: f64 = 250.0;

/// Estimated minutes on foot and by e-bike for a straight-line distance.
pub fn travel_minutes(distance_m: f64) -> (u32, u32) {
    let road = distance_m * DETOUR;
    let minutes = |speed: f64| ((road / speed).ceil() as u32).max(1);
    (minutes(WALK_M_PER_MIN), minutes(RIDE_M_PER_MIN))
}

/// Web Mercator position in [0, 1) × [0, 1), x east, y south.
pub fn mercator(p: LatLon) -> (f64, f64) {
    let lat = p.lat.clamp(-85.051_128_78, 85.051_128_78).to_radians();
    let x = (p.lon + 180.0) / 360.0;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0;
    (x.clamp(0.0, 1.0 - f64::EPSILON), y.clamp(0.0, 1.0 - f64::EPSILON))
}

/// How the worker travels, for navigation links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TravelMode {
    Walk,
    Ride,
}

/// Links that open a route to the station in the phone's map apps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NavLinks {
    /// Amap (高德): GCJ-02.
    pub amap: String,
    /// Baidu Maps: WGS-84 declared with `coord_type=wgs84`.
    pub baidu: String,
    /// Apple Maps: WGS-84 (Apple converts for its Chinese map data itself).
    pub apple: String,
    /// RFC 5870 `geo:` URI: WGS-84, opens the phone's default map app.
    pub geo: String,
}

impl NavLinks {
    pub fn new(position: LatLon, name: &str, mode: TravelMode) -> NavLinks {
        Destination::new(position, name).links(mode)
    }

    /// Walking and riding links, with the name encoded and each position written once.
    pub fn both(position: LatLon, name: &str) -> [NavLinks; 2] {
        let to = Destination::new(position, name);
        [to.links(TravelMode::Walk), to.links(TravelMode::Ride)]
    }
}

/// What every link to one station shares, written once.
struct Destination {
    /// The percent-encoded name.
    name: String,
    /// "lon,lat" in GCJ-02, as Amap takes it.
    amap_to: String,
    /// "lat,lon" in WGS-84.
    lat_lon: String,
}

impl Destination {
    fn new(position: LatLon, name: &str) -> Destination {
        let gcj = from_wgs84(position, Datum::Gcj02);
        Destination {
            name: utf8_percent_encode(name, NON_ALPHANUMERIC).to_string(),
            amap_to: format!("{:.6},{:.6}", gcj.lon, gcj.lat),
            lat_lon: format!("{:.6},{:.6}", position.lat, position.lon),
        }
    }

    fn links(&self, mode: TravelMode) -> NavLinks {
        let (amap_mode, baidu_mode, apple_flag) = match mode {
            TravelMode::Walk => ("walk", "walking", "w"),
            TravelMode::Ride => ("ride", "riding", "w"),
        };
        let Destination { name, amap_to, lat_lon } = self;
        NavLinks {
            amap: format!(
                "https://uri.amap.com/navigation?to={amap_to},{name}&mode={amap_mode}&src=yizhan&callnative=1"
            ),
            baidu: format!(
                "https://api.map.baidu.com/direction?destination=latlng:{lat_lon}%7Cname:{name}&mode={baidu_mode}&region=%E5%8C%97%E4%BA%AC&output=html&src=yizhan&coord_type=wgs84"
            ),
            apple: format!("https://maps.apple.com/?daddr={lat_lon}&q={name}&dirflg={apple_flag}"),
            geo: format!("geo:{lat_lon}?q={lat_lon}({name})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, eps: f64) -> bool {
        (a - b).abs() < eps
    }

    #[test]
    fn gcj02_offset_in_beijing_matches_published_values() {
        // Tiananmen: WGS-84 39.907333, 116.391083 is GCJ-02 39.908732, 116.397325
        // (the widely published Mars-transform pair), a shift of about 550 m.
        let wgs = LatLon { lat: 39.907333, lon: 116.391083 };
        let gcj = from_wgs84(wgs, Datum::Gcj02);
        assert!(close(gcj.lat, 39.908732, 2e-5) && close(gcj.lon, 116.397325, 2e-5), "{gcj:?}");
        let shift = distance_m(wgs, gcj);
        assert!((400.0..700.0).contains(&shift), "shift {shift} m");
        // And back again to within a metre.
        let back = to_wgs84(gcj, Datum::Gcj02);
        assert!(distance_m(back, wgs) < 1.0, "round trip {} m", distance_m(back, wgs));
        // BD-09 is a further offset of GCJ-02 (about 0.006° north, 0.0065° east).
        let bd = from_wgs84(wgs, Datum::Bd09);
        assert!(close(bd.lat - gcj.lat, 0.006, 0.001) && close(bd.lon - gcj.lon, 0.0065, 0.001), "{bd:?}");
        assert!(distance_m(to_wgs84(bd, Datum::Bd09), wgs) < 2.0);
    }

    #[test]
    fn distances_and_times() {
        let a = LatLon { lat: 39.9, lon: 116.4 };
        let b = LatLon { lat: 39.9 + 0.009, lon: 116.4 };
        assert!(close(distance_m(a, b), 1000.8, 1.0));
        assert_eq!(travel_minutes(1000.0), (17, 6));
        assert_eq!(travel_minutes(0.0), (1, 1));
    }

    #[test]
    fn mercator_corners() {
        assert_eq!(mercator(LatLon { lat: 0.0, lon: 0.0 }), (0.5, 0.5));
        let (x, y) = mercator(LatLon { lat: 39.9, lon: 116.4 });
        assert!(close(x, 0.82333, 1e-4) && close(y, 0.38, 0.01), "{x} {y}");
    }

    #[test]
    fn navigation_links_use_each_services_datum() {
        let p = LatLon { lat: 39.907333, lon: 116.391083 };
        let links = NavLinks::new(p, "驿站 A&B", TravelMode::Walk);
        // GCJ-02 to within 2e-5° (about 2 m) of the published pair.
        let to = links.amap.trim_start_matches("https://uri.amap.com/navigation?to=");
        let mut parts = to.split(',').map(|v| v.parse::<f64>().unwrap_or(f64::NAN));
        let (lon, lat) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
        assert!(close(lon, 116.397325, 2e-5) && close(lat, 39.908732, 2e-5), "{}", links.amap);
        assert!(links.amap.contains("%E9%A9%BF%E7%AB%99%20A%26B") && links.amap.contains("mode=walk"));
        assert!(links.baidu.contains("latlng:39.907333,116.391083") && links.baidu.ends_with("coord_type=wgs84"));
        assert!(links.apple.contains("daddr=39.907333,116.391083"));
        assert!(links.geo.starts_with("geo:39.907333,116.391083?q="));
        assert!(NavLinks::new(p, "x", TravelMode::Ride).amap.contains("mode=ride"));
        assert_eq!(Datum::parse("GCJ-02"), Some(Datum::Gcj02));
    }
}
