//! The station builder shared by the HTTP and browser test binaries.

use yizhan::domain::coords::{LatLon, Precision};
use yizhan::domain::district::District;
use yizhan::domain::facility::{FacilitySet, HostType};
use yizhan::domain::hours::Hours;
use yizhan::domain::station::{Station, Status};

/// A plain open station in a district, with the given hours and facilities.
pub fn station(name: &str, district: u32, hours: &str, facilities: &[&str]) -> Station {
    Station {
        id: 0,
        code: String::new(),
        ledger_id: None,
        name: name.into(),
        district: District::by_code(district).expect("district"),
        street_code: None,
        address: format!("{name}地址"),
        position: Some(LatLon::new(39.9, 116.4).expect("position")),
        precision: Precision::Exact,
        host: HostType::StreetShop,
        hours: if hours.is_empty() { None } else { Some(Hours::parse(hours).expect("hours")) },
        works_makeup_days: true,
        contact_name: None,
        phone: None,
        area_m2: None,
        facilities: FacilitySet::from_keys(facilities.iter().copied()).expect("facilities"),
        unavailable: FacilitySet::default(),
        audiences: Vec::new(),
        services: String::new(),
        status: Status::Open,
        revocation: None,
        description: String::new(),
        story: String::new(),
        verified_on: None,
        verified_by: Default::default(),
        synthetic: false,
        honours: Vec::new(),
        created_at: 0,
        updated_at: 0,
    }
}
