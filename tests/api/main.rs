//! HTTP tests: each test spawns the real application on port 0 with a fresh
//! database (SQLite by default; PostgreSQL when YIZHAN_TEST_DATABASE_URL is set).

mod admin;
mod api;
mod backup;
mod bad_input;
mod bulletin;
mod cards;
mod durable;
mod feedback;
mod first_minute;
mod followups;
mod hardening;
mod helpers;
mod holidays;
mod hostile;
mod ledger;
mod map;
mod metrics;
mod moderation;
mod office;
mod pages;
mod photos;
mod plain_words;
mod print;
mod pwa;
mod seed;
mod showcase;
mod snapshot;
mod supervise;
