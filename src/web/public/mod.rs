//! Public pages: home, station list, station page, language switch.

pub mod bulletin;
pub mod home;
pub mod lang;
pub mod map;
pub mod near;
pub mod open_data;
pub mod print;
pub mod revoked;
pub mod showcase;
pub mod station;
pub mod stations;
pub mod stats;
pub mod suggestions;
pub mod view;
