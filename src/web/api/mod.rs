//! JSON API.

pub mod stations;
