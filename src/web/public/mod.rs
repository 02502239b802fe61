//! Public pages: home, station list, station page, language switch.

pub mod home;
pub mod lang;
pub mod station;
pub mod stations;
pub mod view;
