//! Public pages: home, station list, station page, language switch.

pub mod bulletin;
pub mod feedback;
pub mod home;
pub mod lang;
pub mod map;
pub mod near;
pub mod offline;
pub mod open_data;
pub mod print;
pub mod revoked;
pub mod showcase;
pub mod station;
pub mod stations;
pub mod stats;
pub mod suggestions;
pub mod view;

use crate::web::routes::Table;

/// The public pages, in the order they are matched.
pub fn routes(t: &mut Table) {
    t.open()
        .get("/", home::page)
        .get("/stations", stations::list)
        .get("/stations/{id}", station::page)
        .get("/s/{code}", station::by_code)
        .get("/stats", stats::page)
        .get("/showcase", showcase::list)
        .get("/showcase/{id}", showcase::station)
        .get("/bulletin", bulletin::months)
        .get("/bulletin/{month}", bulletin::city)
        .get("/bulletin/{month}/{district}", bulletin::district)
        .get("/lang/{code}", lang::switch)
        .get("/map", map::page)
        .get("/near", near::page)
        .get("/open-data", open_data::page)
        .get("/print", print::list)
        .get("/stations/{id}/poster.svg", print::station_poster_svg)
        .get("/stations/{id}/poster", print::station_poster)
        .get("/districts/{code}/poster.svg", print::district_poster_svg)
        .get("/districts/{code}/poster", print::district_poster)
        .get("/suggestions", suggestions::page)
        .get("/offline", offline::page)
        .post("/stations/{id}/feedback", feedback::submit)
        // Before `/feedback/{receipt}`, which would take "mine" for a receipt.
        .get("/feedback/mine", feedback::mine)
        .get("/feedback/outbox", offline::outbox)
        .get("/feedback/token", feedback::token)
        .get("/feedback/{receipt}", feedback::show_receipt);
}
