//! JSON API.

pub mod export;
pub mod hours;
pub mod map;
pub mod offline;
pub mod stations;

use crate::web::routes::Table;

/// The JSON API and the open data files.
pub fn routes(t: &mut Table) {
    t.open()
        .get("/api/map", map::features)
        .get("/api/stations.geojson", export::geojson)
        .get("/api/stations.csv", export::csv)
        .get("/api/stations/{id}/hours", hours::hours)
        .get("/api/stations", stations::list)
        .get("/api/districts/{code}/offline", offline::district);
}
