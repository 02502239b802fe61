//! The station list's filters, parsed from and written back to a query string.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use super::district::{District, Street};
use super::facility::{Facility, FacilitySet, HostType};
use super::text::{SearchText, TextError};

/// Highest page number accepted.
pub const MAX_PAGE: u32 = 100_000;

/// What is wrong with one query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    InvalidUtf8,
    UnknownDistrict,
    UnknownStreet,
    StreetNotInDistrict,
    UnknownFacility,
    UnknownHost,
    BadFlag,
    BadPage,
    TooLong,
    BadText,
    BadBbox,
    BadZoom,
    BadCoordinate,
    Missing,
    BadValue,
}

impl Problem {
    /// The locale key of the message for this problem.
    pub fn key(self) -> &'static str {
        match self {
            Problem::InvalidUtf8 => "invalid_utf8",
            Problem::UnknownDistrict => "unknown_district",
            Problem::UnknownStreet => "unknown_street",
            Problem::StreetNotInDistrict => "street_not_in_district",
            Problem::UnknownFacility => "unknown_facility",
            Problem::UnknownHost => "unknown_host",
            Problem::BadFlag => "bad_flag",
            Problem::BadPage => "bad_page",
            Problem::TooLong => "too_long",
            Problem::BadText => "bad_text",
            Problem::BadBbox => "bad_bbox",
            Problem::BadZoom => "bad_zoom",
            Problem::BadCoordinate => "bad_coordinate",
            Problem::Missing => "missing",
            Problem::BadValue => "bad_value",
        }
    }
}

/// A refused parameter: which one, the value as received (cut short), and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("parameter {param}: {problem:?} ({value})")]
pub struct ParamError {
    pub param: String,
    pub value: String,
    pub problem: Problem,
}

impl ParamError {
    pub fn new(param: &str, value: &str, problem: Problem) -> ParamError {
        let mut value: String = value.chars().take(40).collect();
        if value.len() < 40 && problem == Problem::TooLong {
            value.push('…');
        }
        ParamError { param: param.chars().take(40).collect(), value, problem }
    }
}

/// Splits a raw query string into decoded pairs; invalid UTF-8 is an error, not a guess.
pub fn parse_pairs(query: &str) -> Result<Vec<(String, String)>, ParamError> {
    let mut pairs = Vec::new();
    for part in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let decode = |s: &str| percent_decode_str(&s.replace('+', " ")).decode_utf8().map(|c| c.into_owned());
        let key = decode(k).map_err(|_| ParamError::new("?", "", Problem::InvalidUtf8))?;
        let value = decode(v).map_err(|_| ParamError::new(&key, "", Problem::InvalidUtf8))?;
        pairs.push((key, value));
    }
    Ok(pairs)
}

/// The filters of `/stations`, `/api/stations` and the map.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StationFilter {
    pub district: Option<&'static District>,
    pub street: Option<String>,
    pub q: Option<SearchText>,
    /// The text as typed, for the search box.
    pub q_raw: String,
    pub facilities: FacilitySet,
    pub open_now: bool,
    pub h24: bool,
    pub holiday: bool,
    pub basic: bool,
    pub host: Option<HostType>,
    pub honoured: bool,
    pub page: u32,
}

fn flag(key: &str, value: &str) -> Result<bool, ParamError> {
    match value {
        "1" | "true" | "on" => Ok(true),
        "0" | "false" | "" => Ok(false),
        _ => Err(ParamError::new(key, value, Problem::BadFlag)),
    }
}

impl StationFilter {
    /// Parses decoded pairs. Unknown parameter names are ignored; unknown values are errors.
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<StationFilter, ParamError> {
        let mut f = StationFilter { page: 1, ..Default::default() };
        for (key, value) in pairs {
            let value = value.as_str();
            match key.as_str() {
                "district" if !value.is_empty() => {
                    f.district = Some(
                        District::parse(value).ok_or_else(|| ParamError::new(key, value, Problem::UnknownDistrict))?,
                    );
                }
                "street" if !value.is_empty() => {
                    if !Street::valid_code(value) {
                        return Err(ParamError::new(key, value, Problem::UnknownStreet));
                    }
                    f.street = Some(value.to_string());
                }
                "q" => {
                    f.q = SearchText::parse(value).map_err(|e| {
                        let problem =
                            if matches!(e, TextError::TooLong(_)) { Problem::TooLong } else { Problem::BadText };
                        ParamError::new(key, value, problem)
                    })?;
                    f.q_raw = f.q.as_ref().map(|_| value.trim().to_string()).unwrap_or_default();
                }
                "facility" if !value.is_empty() => {
                    let facility =
                        Facility::parse(value).ok_or_else(|| ParamError::new(key, value, Problem::UnknownFacility))?;
                    f.facilities.insert(facility);
                }
                "host" if !value.is_empty() => {
                    f.host =
                        Some(HostType::parse(value).ok_or_else(|| ParamError::new(key, value, Problem::UnknownHost))?);
                }
                "open_now" => f.open_now = flag(key, value)?,
                "h24" => f.h24 = flag(key, value)?,
                "holiday" => f.holiday = flag(key, value)?,
                "basic" => f.basic = flag(key, value)?,
                "honoured" => f.honoured = flag(key, value)?,
                "page" => {
                    f.page = value
                        .parse::<u32>()
                        .ok()
                        .filter(|p| (1..=MAX_PAGE).contains(p))
                        .ok_or_else(|| ParamError::new(key, value, Problem::BadPage))?;
                }
                _ => {}
            }
        }
        if let (Some(d), Some(s)) = (f.district, &f.street)
            && !s.starts_with(&d.code.to_string())
        {
            return Err(ParamError::new("street", s, Problem::StreetNotInDistrict));
        }
        Ok(f)
    }

    /// Parses a raw query string.
    pub fn from_query(query: &str) -> Result<StationFilter, ParamError> {
        StationFilter::from_pairs(&parse_pairs(query)?)
    }

    /// True when no filter narrows the list.
    pub fn is_empty(&self) -> bool {
        StationFilter { page: self.page, ..Default::default() } == *self
    }

    /// The canonical query string of these filters, with the given page (1 is left out).
    pub fn to_query(&self, page: u32) -> String {
        const QUERY: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');
        let mut parts: Vec<String> = Vec::new();
        if let Some(d) = self.district {
            parts.push(format!("district={}", d.code));
        }
        if let Some(s) = &self.street {
            parts.push(format!("street={s}"));
        }
        if !self.q_raw.is_empty() {
            parts.push(format!("q={}", utf8_percent_encode(&self.q_raw, QUERY)));
        }
        for facility in self.facilities.iter() {
            parts.push(format!("facility={}", facility.key()));
        }
        if let Some(h) = self.host {
            parts.push(format!("host={}", h.key()));
        }
        for (on, name) in [
            (self.open_now, "open_now"),
            (self.h24, "h24"),
            (self.holiday, "holiday"),
            (self.basic, "basic"),
            (self.honoured, "honoured"),
        ] {
            if on {
                parts.push(format!("{name}=1"));
            }
        }
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        parts.join("&")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::facility::Facility;

    fn problem(q: &str) -> Problem {
        StationFilter::from_query(q).unwrap_err().problem
    }

    #[test]
    fn parses_every_filter() {
        let f = StationFilter::from_query(
            "district=110106&street=110106009&q=%E4%B8%87%E8%BE%BE&facility=water&facility=toilet&open_now=1&h24=0&holiday=1&basic=1&host=mall&honoured=1&page=3&utm=x",
        )
        .unwrap();
        assert_eq!(f.district.map(|d| d.code), Some(110106));
        assert_eq!(f.street.as_deref(), Some("110106009"));
        assert_eq!(f.q.as_ref().map(|q| q.as_str()), Some("万达"));
        assert!(f.facilities.contains(Facility::Water) && f.facilities.contains(Facility::Toilet));
        assert!(f.open_now && !f.h24 && f.holiday && f.basic && f.honoured);
        assert_eq!(f.host, Some(HostType::Mall));
        assert_eq!(f.page, 3);
        // Written back canonically, and read again to the same filter.
        let again = StationFilter::from_query(&f.to_query(3)).unwrap();
        assert_eq!(again, f);
        assert!(StationFilter::from_query("").unwrap().is_empty());
        assert!(!f.is_empty());
    }

    #[test]
    fn refuses_bad_values() {
        assert_eq!(problem("facility=jacuzzi"), Problem::UnknownFacility);
        assert_eq!(problem("district=999999"), Problem::UnknownDistrict);
        assert_eq!(problem("district=110106&street=110101001"), Problem::StreetNotInDistrict);
        assert_eq!(problem("page=-1"), Problem::BadPage);
        assert_eq!(problem("page=0"), Problem::BadPage);
        assert_eq!(problem("page=99999999999"), Problem::BadPage);
        assert_eq!(problem("open_now=yes"), Problem::BadFlag);
        assert_eq!(problem("host=castle"), Problem::UnknownHost);
        assert_eq!(problem(&format!("q={}", "a".repeat(10_000))), Problem::TooLong);
        assert_eq!(problem("q=%FF%FE"), Problem::InvalidUtf8);
        let err = StationFilter::from_query("facility=jacuzzi").unwrap_err();
        assert_eq!((err.param.as_str(), err.value.as_str()), ("facility", "jacuzzi"));
    }

    #[test]
    fn text_with_markup_and_sql_is_just_text() {
        let f = StationFilter::from_query("q=%3Cscript%3E'%20OR%201=1--").unwrap();
        assert_eq!(f.q_raw, "<script>' OR 1=1--");
        assert_eq!(f.to_query(1), "q=%3Cscript%3E%27%20OR%201%3D1--");
    }
}
