//! Pure domain code: no I/O, no database, no HTTP.

pub mod availability;
pub mod bulletin;
pub mod calendar;
pub mod card;
pub mod coords;
pub mod district;
pub mod facility;
pub mod feedback;
pub mod filter;
pub mod followup;
pub mod geo;
pub mod hours;
pub mod hours_zh;
pub mod inspection;
pub mod ledger;
pub mod photo;
pub mod staff;
pub mod station;
pub mod station_fields;
pub mod suggestion;
pub mod supervisor;
pub mod text;
