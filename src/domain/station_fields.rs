//! A station's fields as typed, checked in one place: the staff form, a supervisor's
//! proposal and a ledger import all turn text into a [`Station`] through
//! [`StationFields::parse`].

use super::coords::{LatLon, Precision};
use super::district::District;
use super::facility::{Audience, Facility, FacilitySet, HostType};
use super::feedback::multi_line;
use super::geo::{Datum, to_wgs84};
use super::hours::{HolidayConflict, Hours};
use super::station::Station;
use super::text::{Phone, TextError, single_line};

/// The area a Beijing station must lie in (a generous box around the city):
/// south, west, north, east.
pub const BEIJING: (f64, f64, f64, f64) = (39.3, 115.3, 41.2, 117.6);

/// A field that was refused and why: (field name, locale key of the problem).
pub type FieldProblem = (&'static str, &'static str);

/// A station's fields as text, as a person typed them (the staff form, a supervisor's
/// proposal, a ledger row): to check, and to draw again with its errors.
#[derive(Debug, Clone, Default)]
pub struct StationFields {
    /// The union's own ledger number (站点编号); "" for none.
    pub ledger_id: String,
    pub name: String,
    pub district: String,
    pub street: String,
    pub address: String,
    pub lat: String,
    pub lon: String,
    pub datum: String,
    pub precision: String,
    pub host: String,
    /// The hours text without its `PH off` rule: the box below writes it.
    pub hours: String,
    pub holiday_open: bool,
    /// "1" works 调休 make-up days, "0" keeps its own week, "" the host type's default.
    pub works_makeup_days: String,
    pub contact_name: String,
    pub phone: String,
    pub area: String,
    pub facilities: Vec<String>,
    /// Of those, the ones not working for now.
    pub unavailable: Vec<String>,
    pub audiences: Vec<String>,
    pub services: String,
    pub description: String,
    pub updated_at: String,
}

impl StationFields {
    /// The fields of a stored station, as the form shows them.
    pub fn from_station(s: &Station) -> StationFields {
        StationFields {
            ledger_id: s.ledger_id.clone().unwrap_or_default(),
            name: s.name.clone(),
            district: s.district.code.to_string(),
            street: s.street_code.clone().unwrap_or_default(),
            address: s.address.clone(),
            lat: s.position.map(|p| format!("{:.6}", p.lat)).unwrap_or_default(),
            lon: s.position.map(|p| format!("{:.6}", p.lon)).unwrap_or_default(),
            datum: "wgs84".into(),
            precision: s.precision.key().into(),
            host: s.host.key().into(),
            hours: s.hours.as_ref().map(|h| h.without_ph_off()).unwrap_or_default(),
            holiday_open: s.opens_on_holidays(),
            works_makeup_days: if s.works_makeup_days { "1" } else { "0" }.into(),
            contact_name: s.contact_name.clone().unwrap_or_default(),
            phone: s.phone.as_ref().map(|p| p.as_str().to_string()).unwrap_or_default(),
            area: s.area_m2.map(|a| format!("{a}")).unwrap_or_default(),
            facilities: s.facilities.iter().map(|f| f.key().to_string()).collect(),
            unavailable: s.unavailable.iter().map(|f| f.key().to_string()).collect(),
            audiences: s.audiences.iter().map(|a| a.key().to_string()).collect(),
            services: s.services.clone(),
            description: s.description.clone(),
            updated_at: s.updated_at.to_string(),
        }
    }

    /// The station these fields describe, on top of `base` (status, honours, dates
    /// kept), or every field that is wrong as (field, problem key). `may_use` tells
    /// whether the person may put a station in a district; `street_district` gives the
    /// district code of a street code, if the street exists.
    pub fn parse(
        &self,
        base: &Station,
        may_use: impl Fn(&District) -> bool,
        street_district: impl Fn(&str) -> Option<u32>,
    ) -> Result<Station, Vec<FieldProblem>> {
        let mut errors: Vec<FieldProblem> = Vec::new();
        let mut s = base.clone();
        s.ledger_id = match self.ledger_id.trim() {
            "" => None,
            raw => single_line(raw, 40).map_err(|e| errors.push(("ledger_id", e.key()))).ok(),
        };
        match single_line(&self.name, 100) {
            Ok(v) => s.name = v,
            Err(e) => errors.push(("name", e.key())),
        }
        match District::parse(&self.district) {
            Some(d) if may_use(d) => s.district = d,
            _ => errors.push(("district", "district")),
        }
        s.street_code = match self.street.trim() {
            "" => None,
            code => match street_district(code) {
                Some(district) if district == s.district.code => Some(code.to_string()),
                _ => {
                    errors.push(("street", "street"));
                    None
                }
            },
        };
        match single_line(&self.address, 200) {
            Ok(v) => s.address = v,
            Err(e) => errors.push(("address", e.key())),
        }
        let datum = Datum::parse(&self.datum).unwrap_or(Datum::Wgs84);
        match (self.lat.trim(), self.lon.trim()) {
            // Neither: the position is not known yet (listed, not on the map).
            ("", "") => s.position = None,
            (lat, lon) => match (lat.parse::<f64>(), lon.parse::<f64>()) {
                (Ok(lat), Ok(lon)) => match LatLon::new(lat, lon) {
                    Ok(p) => {
                        let p = to_wgs84(p, datum);
                        let (s_, w, n, e) = BEIJING;
                        if (s_..=n).contains(&p.lat) && (w..=e).contains(&p.lon) {
                            // Unchanged text keeps the stored value exactly (no rounding drift).
                            let same = base.position.is_some_and(|b| {
                                format!("{:.6}", p.lat) == format!("{:.6}", b.lat)
                                    && format!("{:.6}", p.lon) == format!("{:.6}", b.lon)
                            });
                            if !same {
                                s.position = Some(p);
                            }
                        } else {
                            errors.push(("lat", "outside_beijing"));
                        }
                    }
                    Err(_) => errors.push(("lat", "coordinates")),
                },
                _ => errors.push(("lat", "coordinates")),
            },
        }
        match Precision::parse(&self.precision) {
            Some(p) => s.precision = p,
            None => errors.push(("precision", "choose")),
        }
        match HostType::parse(&self.host) {
            Some(h) => s.host = h,
            None => errors.push(("host", "choose")),
        }
        s.hours = match self.hours.trim() {
            "" => None,
            // The box writes or removes `PH off`; a text that says the opposite is refused.
            raw => match Hours::parse(raw).map(|h| h.with_holidays(self.holiday_open)) {
                Ok(Ok(h)) => Some(h),
                Ok(Err(HolidayConflict::TextSaysClosed)) => {
                    errors.push(("hours", "holiday_text_closed"));
                    None
                }
                Ok(Err(HolidayConflict::TextSaysOpen)) => {
                    errors.push(("hours", "holiday_text_open"));
                    None
                }
                Err(_) => {
                    errors.push(("hours", "hours"));
                    None
                }
            },
        };
        s.works_makeup_days = match self.works_makeup_days.as_str() {
            "1" => true,
            "0" => false,
            _ => s.host.follows_makeup_by_default(),
        };
        s.contact_name = match self.contact_name.trim() {
            "" => None,
            raw => single_line(raw, 40).map_err(|e| errors.push(("contact_name", e.key()))).ok(),
        };
        s.phone = match self.phone.trim() {
            "" => None,
            raw => Phone::parse(raw).map_err(|e| errors.push(("phone", e.key()))).ok(),
        };
        s.area_m2 = match self.area.trim() {
            "" => None,
            raw => match raw.parse::<f64>() {
                Ok(a) if a.is_finite() && (0.0..=100_000.0).contains(&a) => Some(a),
                _ => {
                    errors.push(("area", "area"));
                    None
                }
            },
        };
        let facilities: Option<FacilitySet> = self.facilities.iter().map(|k| Facility::parse(k)).collect();
        let unavailable: Option<FacilitySet> = self.unavailable.iter().map(|k| Facility::parse(k)).collect();
        match (facilities, unavailable) {
            // Only a listed facility can be out of order: the rest of the ticks mean nothing.
            (Some(f), Some(u)) => {
                s.facilities = f;
                s.unavailable = FacilitySet::from_bits(u.bits() & f.bits());
            }
            _ => errors.push(("facilities", "choose")),
        }
        match self.audiences.iter().map(|k| Audience::parse(k)).collect::<Option<Vec<_>>>() {
            Some(a) => s.audiences = Audience::ALL.iter().copied().filter(|x| a.contains(x)).collect(),
            None => errors.push(("audiences", "choose")),
        }
        s.services = match multi_line(&self.services, 1000) {
            Ok(v) => v,
            Err(TextError::Empty) => String::new(),
            Err(e) => {
                errors.push(("services", e.key()));
                String::new()
            }
        };
        s.description = match multi_line(&self.description, 2000) {
            Ok(v) => v,
            Err(TextError::Empty) => String::new(),
            Err(e) => {
                errors.push(("description", e.key()));
                String::new()
            }
        };
        if errors.is_empty() { Ok(s) } else { Err(errors) }
    }
}
