//! yizhan (驿站): the public directory and map of Beijing's union rest stations
//! for outdoor workers.
//!
//! Layers, innermost first: `domain` (pure rules) ← `store` (SQL) ←
//! `snapshot` (in-memory reads) ← `web` (HTTP). `startup` wires them.

rust_i18n::i18n!("locales", fallback = "zh-CN");

pub mod backup;
pub mod chores;
pub mod clock;
pub mod config;
pub mod domain;
pub mod holidays_file;
pub mod i18n;
pub mod ledger;
pub mod seed;
pub mod sheet;
pub mod snapshot;
pub mod startup;
pub mod store;
pub mod synthetic;
pub mod web;
