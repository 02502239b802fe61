//! Where to go instead: the open stations nearest a station that cannot serve
//! (revoked, or temporarily closed).

use super::{Entry, Snapshot};
use crate::domain::coords::LatLon;
use crate::domain::filter::StationFilter;

impl Snapshot {
    /// Up to `n` public stations open at Unix time `now` nearest to `from`, never
    /// `except_id` (the station the reader came for), with straight-line distances in
    /// metres, nearest first. Stations whose state now is unknown are left out.
    pub fn nearest_open(&self, from: LatLon, now: i64, n: usize, except_id: Option<i64>) -> Vec<(&Entry, f64)> {
        let open_now = StationFilter { open_now: true, ..Default::default() };
        self.nearest(from, &open_now, now, n + 1)
            .into_iter()
            .filter(|(e, _)| Some(e.station.id) != except_id)
            .take(n)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::domain::calendar::HolidayCalendar;
    use crate::domain::coords::Precision;
    use crate::domain::district::District;
    use crate::domain::facility::{FacilitySet, HostType};
    use crate::domain::hours::Hours;
    use crate::domain::station::{Station, Status};

    fn station(id: i64, lat: f64, hours: &str, status: Status) -> Station {
        Station {
            id,
            code: String::new(),
            ledger_id: None,
            name: format!("站{id}"),
            district: District::by_code(110101).unwrap(),
            street_code: None,
            address: String::new(),
            position: Some(LatLon::new(lat, 116.4).unwrap()),
            precision: Precision::Exact,
            host: HostType::StreetShop,
            hours: Some(Hours::parse(hours).unwrap()),
            works_makeup_days: true,
            contact_name: None,
            phone: None,
            area_m2: None,
            facilities: FacilitySet::default(),
            unavailable: FacilitySet::default(),
            audiences: Vec::new(),
            services: String::new(),
            status,
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

    #[test]
    fn only_open_stations_nearest_first() {
        let closed = Status::TemporarilyClosed { reason: "装修".into(), until: None };
        let stations = vec![
            station(1, 39.900, "24/7", Status::Open),
            station(2, 39.901, "24/7", Status::Open),
            station(3, 39.902, "24/7", closed),
            station(4, 39.903, "24/7", Status::Revoked),
            station(5, 39.904, "Mo-Su 00:00-00:01", Status::Open),
            station(6, 39.910, "24/7", Status::Open),
            station(7, 39.950, "24/7", Status::Open),
        ];
        let today = NaiveDate::from_ymd_opt(2025, 11, 17).unwrap();
        let snapshot = Snapshot::build(1, today, stations, Vec::new(), HolidayCalendar::default());
        let now = crate::domain::hours::beijing_ts(today.and_hms_opt(10, 0, 0).unwrap());
        let from = LatLon::new(39.900, 116.4).unwrap();
        let ids = |found: Vec<(&Entry, f64)>| found.iter().map(|(e, _)| e.station.id).collect::<Vec<_>>();
        assert_eq!(ids(snapshot.nearest_open(from, now, 3, Some(1))), vec![2, 6, 7]);
        assert_eq!(ids(snapshot.nearest_open(from, now, 2, None)), vec![1, 2]);
        let found = snapshot.nearest_open(from, now, 1, Some(1));
        assert!((found[0].1 - 111.0).abs() < 2.0, "about 111 m: {}", found[0].1);
    }
}
