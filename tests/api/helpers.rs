//! `spawn_app`, the HTTP client of one person (`Browser`) and the small tools every
//! test uses.

use std::sync::Arc;

use chrono::NaiveDateTime;
use reqwest::cookie::{CookieStore, Jar};
use scraper::{Html, Selector};
use sqlx::Connection;
use yizhan::clock::Clock;
use yizhan::config::Config;
use yizhan::domain::hours::beijing_ts;
use yizhan::domain::station::Station;
use yizhan::startup::Application;
use yizhan::web::AppState;

/// Beijing local time as Unix seconds ("2025-11-17 10:00").
pub fn at(local: &str) -> i64 {
    beijing_ts(NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M").expect("test time"))
}

/// Monday 17 November 2025, 10:00 in Beijing: an ordinary working morning.
pub fn monday_morning() -> i64 {
    at("2025-11-17 10:00")
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub database_url: String,
    /// The metrics listener's address, when `metrics_bind` was set.
    pub metrics: Option<String>,
    /// The SQLite file this instance made for its test, removed when it is dropped
    /// (another instance on the same database owns nothing).
    owned_file: Option<String>,
}

fn unique(prefix: &str) -> String {
    format!("{prefix}_{}_{}", std::process::id(), rand::random::<u32>())
}

/// A fresh, empty database URL for one test.
pub async fn fresh_database() -> String {
    match std::env::var("YIZHAN_TEST_DATABASE_URL") {
        Ok(base) if !base.is_empty() => {
            let name = unique("yizhan_test");
            sqlx::any::install_default_drivers();
            let mut conn = sqlx::AnyConnection::connect(&base).await.expect("connect to YIZHAN_TEST_DATABASE_URL");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let (head, _) = base.rsplit_once('/').expect("database URL has a path");
            format!("{head}/{name}")
        }
        _ => {
            static NOTICE: std::sync::Once = std::sync::Once::new();
            NOTICE.call_once(|| {
                // Written to the real stderr: the test harness would swallow eprintln!.
                let _ = std::io::Write::write_all(
                    &mut std::io::stderr(),
                    b"\nNOTICE: YIZHAN_TEST_DATABASE_URL is not set: these HTTP tests run on SQLite (set it to run them on PostgreSQL as well)\n",
                );
            });
            let dir = std::env::temp_dir().join("yizhan-tests");
            std::fs::create_dir_all(&dir).expect("temp dir");
            format!("sqlite://{}", dir.join(format!("{}.db", unique("t"))).display())
        }
    }
}

/// The application on a free port, with a fresh seeded database and a fixed clock.
pub async fn spawn_app_at(now: i64) -> TestApp {
    spawn_on(fresh_database().await, now).await.owning_its_file()
}

pub async fn spawn_app() -> TestApp {
    spawn_app_at(monday_morning()).await
}

/// The application with some settings changed (e.g. `feedback_per_hour`).
pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    spawn_on_with(fresh_database().await, monday_morning(), configure).await.owning_its_file()
}

/// Another instance on an existing database (for multi-instance tests).
pub async fn spawn_on(database_url: String, now: i64) -> TestApp {
    spawn_on_with(database_url, now, |_| {}).await
}

async fn spawn_on_with(database_url: String, now: i64, configure: impl FnOnce(&mut Config)) -> TestApp {
    let mut config = Config {
        bind: "127.0.0.1:0".into(),
        database_url: database_url.clone(),
        db_max_connections: 4,
        poll_seconds: 1,
        workers: 1,
        ..Config::defaults()
    };
    configure(&mut config);
    let app = Application::build(config, Clock::Fixed(now)).await.expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics = app.metrics_port().map(|port| format!("http://127.0.0.1:{port}"));
    let state = app.state.clone();
    tokio::spawn(app.run());
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    TestApp { address, client, state, database_url, metrics, owned_file: None }
}

/// Every HTTP test fails when one of its requests panicked (the server answers 500
/// and counts it; see `yizhan::web::panics`).
impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(file) = self.owned_file.take() {
            // The database, SQLite's own files beside it, and the lock a serving instance holds.
            for suffix in ["", "-wal", "-shm", "-journal", ".lock"] {
                let _ = std::fs::remove_file(format!("{file}{suffix}"));
            }
        }
        if !std::thread::panicking() {
            assert_eq!(self.state.panics.count(), 0, "a request panicked in this test (see the log above)");
        }
    }
}

impl TestApp {
    /// This instance made its database for its test alone: its SQLite file goes with it.
    fn owning_its_file(mut self) -> TestApp {
        self.owned_file = self.database_url.strip_prefix("sqlite://").map(String::from);
        self
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.address)).send().await.expect("request")
    }

    /// GET as a reader who chose English (the language cookie).
    pub async fn get_en(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.address)).header("Cookie", "lang=en").send().await.expect("request")
    }

    /// GET a page in English: status and parsed HTML.
    pub async fn page_en(&self, path: &str) -> (u16, Html) {
        let res = self.get_en(path).await;
        let status = res.status().as_u16();
        (status, Html::parse_document(&res.text().await.expect("body")))
    }

    /// GET a page: status and parsed HTML.
    pub async fn page(&self, path: &str) -> (u16, Html) {
        let res = self.get(path).await;
        let status = res.status().as_u16();
        (status, Html::parse_document(&res.text().await.expect("body")))
    }

    pub async fn json(&self, path: &str) -> (u16, serde_json::Value) {
        let res = self.get(path).await;
        let status = res.status().as_u16();
        (status, res.json().await.expect("JSON body"))
    }

    /// Adds stations and rebuilds the snapshot now; returns their ids.
    pub async fn add(&self, stations: Vec<Station>) -> Vec<i64> {
        let ids = self.state.store.insert_stations(&stations, self.state.clock.now()).await.expect("insert");
        self.reload().await;
        ids
    }

    pub async fn reload(&self) {
        let fresh = yizhan::snapshot::load(&self.state.store, &self.state.clock).await.expect("snapshot");
        self.state.snapshot.store(Arc::new(fresh));
    }
}

#[path = "../common/station.rs"]
mod common_station;
pub use common_station::station;

pub fn sel(css: &str) -> Selector {
    Selector::parse(css).expect("selector")
}

/// Trimmed texts of every element matching `css`.
pub fn texts(html: &Html, css: &str) -> Vec<String> {
    html.select(&sel(css)).map(|e| e.text().collect::<String>().trim().to_string()).collect()
}

pub fn text(html: &Html, css: &str) -> String {
    texts(html, css).into_iter().next().unwrap_or_else(|| panic!("no element matches {css}"))
}

pub fn count(html: &Html, css: &str) -> usize {
    html.select(&sel(css)).count()
}

pub fn attr(html: &Html, css: &str, name: &str) -> String {
    html.select(&sel(css))
        .next()
        .and_then(|e| e.value().attr(name))
        .unwrap_or_else(|| panic!("no {name} on {css}"))
        .to_string()
}

/// The id of a seed station by the start of its name.
pub fn seed_id(app: &TestApp, prefix: &str) -> i64 {
    let snapshot = app.state.snapshot.load();
    snapshot
        .entries()
        .iter()
        .find(|e| e.station.name.starts_with(prefix))
        .map(|e| e.station.id)
        .unwrap_or_else(|| panic!("no seed station {prefix}"))
}

/// No markup spilled into the page's frame: the title is text and the body's class
/// is a list of class names (a template block closed in the wrong place shows here).
pub fn assert_clean_frame(html: &Html) {
    let title = text(html, "title");
    assert!(!title.contains('<') && !title.contains('>'), "title: {title}");
    let class = attr(html, "body", "class");
    assert!(class.chars().all(|c| c.is_ascii_alphanumeric() || " -_".contains(c)), "body class: {class}");
}

/// One person's browser: its own cookies, never following redirects.
pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
    pub jar: Arc<Jar>,
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Browser::at(app.address.clone())
    }

    /// A new browser (its own cookies) talking to the site at `base`.
    pub fn at(base: String) -> Browser {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Browser { base, client, jar }
    }

    /// The same browser (same cookies) talking to another instance.
    pub fn on(&self, app: &TestApp) -> Browser {
        Browser { base: app.address.clone(), client: self.client.clone(), jar: self.jar.clone() }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.base)).send().await.expect("request")
    }

    pub async fn page(&self, path: &str) -> (u16, Html) {
        let res = self.get(path).await;
        let status = res.status().as_u16();
        (status, Html::parse_document(&res.text().await.expect("body")))
    }

    /// POSTs a form-urlencoded body as given (may hold bytes that are not UTF-8).
    pub async fn post_raw(&self, path: &str, body: String) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn post(&self, path: &str, pairs: &[(&str, &str)]) -> reqwest::Response {
        self.post_raw(path, encode(pairs)).await
    }

    /// The value of one of this browser's cookies (as sent: signed).
    pub fn cookie(&self, name: &str) -> Option<String> {
        let url = self.base.parse().expect("url");
        let header = self.jar.cookies(&url)?;
        header.to_str().ok()?.split("; ").find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == name).then(|| v.to_string())
        })
    }

    /// The CSRF token that the forms of `path` carry (sets the cookie when new).
    pub async fn csrf(&self, path: &str) -> String {
        let (status, html) = self.page(path).await;
        assert_eq!(status, 200, "{path}");
        attr(&html, "input[name=csrf]", "value")
    }
}

pub fn encode(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers().get("location").map(|l| l.to_str().expect("location").to_string()).unwrap_or_default()
}

pub async fn html_of(res: reqwest::Response) -> (u16, Html) {
    let status = res.status().as_u16();
    (status, Html::parse_document(&res.text().await.expect("body")))
}
