//! Configuration: `YIZHAN_*` environment variables (or flags) with defaults.

use clap::{Parser, Subcommand};

/// The public directory of Beijing's union rest stations (工会驿站).
#[derive(Debug, Clone, Parser)]
#[command(name = "yizhan", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to do; `serve` when none is given.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Serve the site (migrates and seeds an empty database first).
    Serve,
    /// Apply database migrations and load reference data, then exit.
    Migrate,
    /// Create a city administrator account (the password is read from
    /// YIZHAN_ADMIN_PASSWORD, or from standard input).
    CreateAdmin {
        #[arg(long)]
        username: String,
        /// The name shown in the audit log.
        #[arg(long)]
        name: Option<String>,
    },
    /// The public-holiday calendar (State Council notices): import a year, list what is loaded.
    Holidays {
        #[command(subcommand)]
        action: HolidaysCommand,
    },
    /// Import a station ledger (.xlsx, .xls or .csv): every line's outcome, then all
    /// rows or none.
    Import {
        file: std::path::PathBuf,
        /// Show what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Every row must be in this district (code, e.g. 110106).
        #[arg(long)]
        district: Option<String>,
        /// A CSV's encoding (utf8 or gbk); detected when not given.
        #[arg(long)]
        encoding: Option<String>,
    },
    /// Export the station ledger to FILE (.xlsx or .csv) in the import's columns.
    Export {
        file: std::path::PathBuf,
        /// Only this district (code, e.g. 110106).
        #[arg(long)]
        district: Option<String>,
        /// CSV encoding: utf8 (with BOM, the default) or gbk.
        #[arg(long)]
        encoding: Option<String>,
    },
    /// Write a consistent copy of the SQLite database to FILE while the site may be
    /// serving (on PostgreSQL: print the pg_dump/pg_restore commands and exit non-zero).
    Backup { file: std::path::PathBuf },
    /// Put a backup FILE in place of the SQLite database (refused while a server uses it;
    /// the database replaced is kept beside it).
    Restore { file: std::path::PathBuf },
    /// Add N realistic fake stations (marked synthetic) for benchmarks.
    GenSynthetic {
        #[arg(long)]
        count: usize,
        /// Random seed, for reproducible data sets.
        #[arg(long, default_value_t = 2024)]
        seed: u64,
    },
}

/// Settings shared by every subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(long, env = "YIZHAN_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// sqlite://path (created on first start) or postgres://user@host/db.
    #[arg(long, env = "YIZHAN_DATABASE_URL", default_value = "sqlite://data/yizhan.db")]
    pub database_url: String,
    /// Largest number of database connections.
    #[arg(long, env = "YIZHAN_DB_MAX_CONNECTIONS", default_value_t = 8)]
    pub db_max_connections: u32,
    /// How often to check for ledger changes made by other instances, in seconds.
    #[arg(long, env = "YIZHAN_POLL_SECONDS", default_value_t = 2)]
    pub poll_seconds: u64,
    /// HTTP worker threads (0: one per core).
    #[arg(long, env = "YIZHAN_WORKERS", default_value_t = 0)]
    pub workers: usize,
    /// Map tile URL template ({s}, {z}, {x}, {y}).
    #[arg(long, env = "YIZHAN_TILE_URL", default_value = "https://tile.openstreetmap.org/{z}/{x}/{y}.png")]
    pub tile_url: String,
    /// Attribution shown on the map for the tiles.
    #[arg(long, env = "YIZHAN_TILE_ATTRIBUTION", default_value = "© OpenStreetMap contributors")]
    pub tile_attribution: String,
    /// Coordinate system of the tiles: wgs84 (OpenStreetMap style) or gcj02 (Chinese providers).
    #[arg(long, env = "YIZHAN_TILE_DATUM", default_value = "wgs84")]
    pub tile_datum: String,
    /// Key that signs cookies (64 or more characters). Instances sharing a database
    /// must share it; when unset, one is made once and kept in the database.
    #[arg(long, env = "YIZHAN_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Mark cookies Secure: set when the site is served over HTTPS.
    #[arg(long, env = "YIZHAN_SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,
    /// Trust X-Forwarded-For for the client address (only behind your own proxy).
    #[arg(long, env = "YIZHAN_TRUST_PROXY", default_value_t = false)]
    pub trust_proxy: bool,
    /// Proxies whose X-Forwarded-For is read when YIZHAN_TRUST_PROXY is on
    /// (comma-separated addresses or CIDR ranges).
    #[arg(long, env = "YIZHAN_TRUSTED_PROXIES", default_value = "127.0.0.1/32,::1/128")]
    pub trusted_proxies: String,
    /// The site's address as people reach it (e.g. https://yizhan.example.cn), for the
    /// links the app writes (staff invites). Default: http:// and the bind address.
    #[arg(long, env = "YIZHAN_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Address for the Prometheus metrics listener (GET /metrics), e.g. 127.0.0.1:9464;
    /// off when unset. Keep it private: it is never served on the public address.
    #[arg(long, env = "YIZHAN_METRICS_BIND")]
    pub metrics_bind: Option<String>,
    /// Seconds a client has to send a request head.
    #[arg(long, env = "YIZHAN_HEAD_TIMEOUT_SECONDS", default_value_t = 5)]
    pub head_timeout_seconds: u64,
    /// Seconds a client has to send a request body (a form), counted from its head.
    #[arg(long, env = "YIZHAN_BODY_TIMEOUT_SECONDS", default_value_t = 10)]
    pub body_timeout_seconds: u64,
    /// Login attempts allowed per client address in 15 minutes.
    #[arg(long, env = "YIZHAN_LOGIN_PER_15_MIN", default_value_t = 20)]
    pub login_per_15_min: u32,
    /// Feedback posts allowed per client address and hour.
    #[arg(long, env = "YIZHAN_FEEDBACK_PER_HOUR", default_value_t = 10)]
    pub feedback_per_hour: u32,
    /// Log filter, e.g. "info" or "yizhan=debug,actix_web=info".
    #[arg(long, env = "YIZHAN_LOG", default_value = "info")]
    pub log: String,
    /// Name of this release for the service worker's kept files (phones replace what
    /// they kept when it changes). Default: a hash of the static files, which changes
    /// with any of them; set it to force phones to fetch the shell again.
    #[arg(long, env = "YIZHAN_RELEASE")]
    pub release: Option<String>,
}

/// `yizhan holidays …`
#[derive(Debug, Clone, Subcommand)]
pub enum HolidaysCommand {
    /// Load a calendar file: the CSV of data/holidays.csv (date,kind,name) or the JSON
    /// of the npm package chinese-days. Each notice year in the file replaces that year.
    Import {
        /// The file to read.
        file: std::path::PathBuf,
        /// Check the file and say what would change, without writing.
        #[arg(long)]
        dry_run: bool,
    },
    /// List the notice years loaded.
    List,
}

impl Config {
    /// The defaults, as with no flags and no environment (used by tests).
    pub fn defaults() -> Config {
        Config {
            bind: "127.0.0.1:8080".into(),
            database_url: "sqlite://data/yizhan.db".into(),
            db_max_connections: 8,
            poll_seconds: 2,
            workers: 0,
            tile_url: "https://tile.openstreetmap.org/{z}/{x}/{y}.png".into(),
            tile_attribution: "© OpenStreetMap contributors".into(),
            tile_datum: "wgs84".into(),
            log: "info".into(),
            secret_key: None,
            secure_cookies: false,
            trust_proxy: false,
            feedback_per_hour: 10,
            trusted_proxies: "127.0.0.1/32,::1/128".into(),
            public_url: None,
            metrics_bind: None,
            head_timeout_seconds: 5,
            body_timeout_seconds: 10,
            login_per_15_min: 20,
            release: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use clap::CommandFactory;

    use super::Cli;

    /// Settings read outside the flags: the first administrator's password.
    const OTHER_SETTINGS: [&str; 1] = ["YIZHAN_ADMIN_PASSWORD"];

    #[test]
    fn the_sample_environment_file_lists_every_setting_the_binary_knows() {
        let known: BTreeSet<String> = Cli::command()
            .get_arguments()
            .filter_map(|a| a.get_env())
            .map(|e| e.to_string_lossy().into_owned())
            .chain(OTHER_SETTINGS.iter().map(|s| s.to_string()))
            .collect();
        let sample = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/.env.sample"));
        let listed: BTreeSet<String> = sample
            .lines()
            .filter_map(|l| l.trim_start_matches("# ").split_once('='))
            .map(|(name, _)| name.trim().to_string())
            .filter(|name| name.starts_with("YIZHAN_") && !name.contains(' '))
            .collect();
        assert!(known.len() >= 20, "{known:?}");
        assert_eq!(listed, known, "every setting in .env.sample, and only those");
    }
}
