//! HTTP: the audiences (`public/`, `supervise/`, `admin/`, `api/`) on one shared web
//! layer (state, extractors, errors, rendering, shared views), assembled in `server.rs`.

pub mod admin;
pub mod api;
pub mod assets;
pub mod attempts;
pub mod auth;
pub mod cache;
pub mod context;
pub mod convert;
pub mod deadline;
pub mod error;
pub mod files;
pub mod forms;
pub mod health;
pub mod i18n;
pub mod icons;
pub mod id;
pub mod login;
pub mod methods;
pub mod metrics;
pub mod page;
pub mod panics;
pub mod passwords;
pub mod photos;
pub mod prelude;
pub mod proxy;
pub mod public;
pub mod qr;
pub mod query;
pub mod redirect;
pub mod render;
pub mod request_log;
pub mod routes;
pub mod server;
pub mod state;
pub mod supervise;
pub mod views;

pub use server::{metrics_server, server, table};
pub use state::{AppState, Tiles, WebOptions};
