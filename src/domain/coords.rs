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

/// Which coordinate a cell holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    Lat,
    Lon,
}

/// Why a coordinate in degrees, minutes and seconds was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DmsError {
    /// Not written in degrees (no degree mark and no hemisphere), or not readable.
    NotDms,
    /// Minutes or seconds of 60 or more.
    Range,
    /// A latitude's hemisphere (北纬, N) on a longitude, or the other way round.
    Axis,
}

/// The hemispheres, as prefix or suffix: the axis they belong to and their sign.
const HEMISPHERES: [(&str, Axis, f64); 8] = [
    ("东经", Axis::Lon, 1.0),
    ("西经", Axis::Lon, -1.0),
    ("北纬", Axis::Lat, 1.0),
    ("南纬", Axis::Lat, -1.0),
    ("E", Axis::Lon, 1.0),
    ("W", Axis::Lon, -1.0),
    ("N", Axis::Lat, 1.0),
    ("S", Axis::Lat, -1.0),
];

/// A coordinate in degrees, minutes and seconds as ledgers write it, in decimal degrees:
/// `116°25'30"` (also with ′ ″, curly quotes, º, spaces, or `''` for seconds) and
/// `116度25分30秒`, each with an optional hemisphere before or after (E, N, 东经, 北纬;
/// W, S, 西经, 南纬 give a negative value). Minutes and seconds may be left out; the
/// last part given may have decimals, and after degrees (and minutes) a last number
/// without its mark is taken for the next part (`116°25'30`). Full-width digits are read.
/// A plain number without a degree mark or hemisphere is [`DmsError::NotDms`]: the
/// caller reads decimal degrees itself.
pub fn parse_dms(raw: &str, axis: Axis) -> Result<f64, DmsError> {
    let text: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '．' => '.',
            'º' | '˚' | '度' => '°',
            '′' | '’' | '＇' | '分' => '\'',
            '″' | '”' | '＂' | '秒' => '"',
            c => c.to_ascii_uppercase(),
        })
        .collect::<String>()
        .replace("''", "\"");
    let mut body = text.as_str();
    let mut hemisphere = None;
    for (word, on, sign) in HEMISPHERES {
        if let Some(rest) = body.strip_prefix(word) {
            body = rest;
            hemisphere = Some((on, sign));
            break;
        }
    }
    for (word, on, sign) in HEMISPHERES {
        if let Some(rest) = body.strip_suffix(word) {
            if hemisphere.is_some_and(|h| h != (on, sign)) {
                return Err(DmsError::NotDms);
            }
            body = rest;
            hemisphere = Some((on, sign));
            break;
        }
    }
    if !body.contains('°') && hemisphere.is_none() {
        return Err(DmsError::NotDms);
    }
    // Numbers and the marks after them: degrees, then minutes, then seconds.
    let mut parts: Vec<(&str, Option<char>)> = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let end = rest.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(rest.len());
        let (number, after) = rest.split_at(end);
        let mark = after.chars().next();
        if number.is_empty() || !matches!(mark, None | Some('°' | '\'' | '"')) {
            return Err(DmsError::NotDms);
        }
        parts.push((number, mark));
        rest = mark.map_or("", |m| &after[m.len_utf8()..]);
    }
    let expected = ['°', '\'', '"'];
    if parts.is_empty() || parts.len() > 3 {
        return Err(DmsError::NotDms);
    }
    let mut values = [0.0; 3];
    for (i, (number, mark)) in parts.iter().enumerate() {
        // Each part in its place; only the last one may lack its mark or have decimals.
        let last = i + 1 == parts.len();
        if mark.is_some_and(|m| m != expected[i]) {
            return Err(DmsError::NotDms);
        }
        if (number.contains('.') && !last) || number.starts_with('.') || number.ends_with('.') {
            return Err(DmsError::NotDms);
        }
        values[i] = number.parse::<f64>().map_err(|_| DmsError::NotDms)?;
    }
    if values[1] >= 60.0 || values[2] >= 60.0 {
        return Err(DmsError::Range);
    }
    let (on, sign) = hemisphere.unwrap_or((axis, 1.0));
    if on != axis {
        return Err(DmsError::Axis);
    }
    Ok(sign * (values[0] + values[1] / 60.0 + values[2] / 3600.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degrees_minutes_seconds_in_both_spellings() {
        let close = |raw: &str, axis: Axis, want: f64| {
            let got = parse_dms(raw, axis).unwrap_or_else(|e| panic!("{raw}: {e:?}"));
            assert!((got - want).abs() < 1e-9, "{raw}: {got} ≠ {want}");
        };
        let lon = 116.0 + 25.0 / 60.0 + 30.0 / 3600.0;
        for raw in [
            "116°25'30\"",
            "116° 25′ 30″",
            "116°25’30”",
            "116º25'30''",
            "E116°25'30\"",
            "116°25'30\"E",
            "东经116°25'30\"",
            "116度25分30秒",
            "东经 116度25分30秒",
            "116度25分30秒东经",
            "１１６度２５分３０秒",
            "116°25'30",
            "e 116°25'30\"",
        ] {
            close(raw, Axis::Lon, lon);
        }
        close("39度55分30.5秒", Axis::Lat, 39.0 + 55.0 / 60.0 + 30.5 / 3600.0);
        close("N39°55.5'", Axis::Lat, 39.0 + 55.5 / 60.0);
        close("北纬39度55分", Axis::Lat, 39.0 + 55.0 / 60.0);
        close("39°", Axis::Lat, 39.0);
        close("39.925°N", Axis::Lat, 39.925);
        close("N39.925", Axis::Lat, 39.925);
        close("116°25", Axis::Lon, 116.0 + 25.0 / 60.0);
        close("西经116°25'30\"", Axis::Lon, -lon);
    }

    #[test]
    fn degrees_minutes_seconds_refused_with_a_reason() {
        assert_eq!(parse_dms("116°60'00\"", Axis::Lon), Err(DmsError::Range));
        assert_eq!(parse_dms("116度25分75秒", Axis::Lon), Err(DmsError::Range));
        assert_eq!(parse_dms("北纬39°55'", Axis::Lon), Err(DmsError::Axis));
        assert_eq!(parse_dms("116°25'E", Axis::Lat), Err(DmsError::Axis));
        for raw in [
            "116.4",
            "",
            "看地图",
            "116°25'30\"40",
            "116.5°25'",
            "116°30\"",
            "°25'",
            "116°°",
            "E116°W",
            "116'25°",
            "1.1.6°",
            "116 25 30",
        ] {
            assert_eq!(parse_dms(raw, Axis::Lon), Err(DmsError::NotDms), "{raw}");
        }
    }

    #[test]
    fn ranges() {
        assert!(LatLon::new(39.9, 116.4).is_ok());
        assert_eq!(LatLon::new(91.0, 116.4), Err(CoordError::Lat));
        assert_eq!(LatLon::new(39.9, f64::NAN), Err(CoordError::Lon));
        assert_eq!(LatLon::new(f64::INFINITY, 0.0), Err(CoordError::Lat));
    }
}
