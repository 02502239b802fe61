//! JSON API.

pub mod export;
pub mod map;
pub mod stations;
