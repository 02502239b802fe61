//! JSON API.

pub mod export;
pub mod hours;
pub mod map;
pub mod stations;
