//! Coordinates: stored as WGS-84.

/// How sure we are of a station's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// Checked on site or from an exact address.
    Exact,
    /// A guess at the street or landmark; the page says so.
    Approximate,
}

impl Precision {
    pub fn key(self) -> &'static str {
        match self {
            Precision::Exact => "exact",
            Precision::Approximate => "approximate",
        }
    }

    pub fn parse(raw: &str) -> Option<Precision> {
        match raw {
            "exact" => Some(Precision::Exact),
            "approximate" => Some(Precision::Approximate),
            _ => None,
        }
    }
}

/// A WGS-84 position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

/// Why a coordinate pair was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoordError {
    #[error("latitude must be a number between -90 and 90")]
    Lat,
    #[error("longitude must be a number between -180 and 180")]
    Lon,
}

impl LatLon {
    pub fn new(lat: f64, lon: f64) -> Result<LatLon, CoordError> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(CoordError::Lat);
        }
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err(CoordError::Lon);
        }
        Ok(LatLon { lat, lon })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert!(LatLon::new(39.9, 116.4).is_ok());
        assert_eq!(LatLon::new(91.0, 116.4), Err(CoordError::Lat));
        assert_eq!(LatLon::new(39.9, f64::NAN), Err(CoordError::Lon));
        assert_eq!(LatLon::new(f64::INFINITY, 0.0), Err(CoordError::Lat));
    }
}
