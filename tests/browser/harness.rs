//! The browser harness: the application on a free port with a fresh SQLite file,
//! chromedriver on another free port, and a headless Chromium the size of a phone.
//!
//! [`tools`] finds chromedriver and Chromium; `main` marks every test ignored when
//! either is missing (see `tests/common/trials.rs`).

use std::future::Future;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use fantoccini::wd::{Capabilities, TimeoutConfiguration, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tokio::sync::{Mutex, MutexGuard};
use yizhan::clock::Clock;
use yizhan::config::Config;
use yizhan::domain::coords::LatLon;
use yizhan::domain::facility::FacilitySet;
use yizhan::domain::hours::beijing_ts;
use yizhan::domain::station::Station;
use yizhan::startup::Application;
use yizhan::web::AppState;

pub const DRIVER_ENV: &str = "YIZHAN_TEST_CHROMEDRIVER";
pub const CHROMIUM_ENV: &str = "YIZHAN_TEST_CHROMIUM";

/// How long any wait in a browser test may take.
pub const WAIT: Duration = Duration::from_secs(15);

/// The longest one test's browser steps may take.
pub const BODY_LIMIT: Duration = Duration::from_secs(60);

/// One browser test at a time: two cores are enough for one Chromium and the app.
static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

/// What the browser tests drive.
#[derive(Debug, Clone)]
pub struct Tools {
    pub chromedriver: PathBuf,
    pub chromium: PathBuf,
}

/// chromedriver: `YIZHAN_TEST_CHROMEDRIVER` when set (`none`: pretend there is none),
/// else `chromedriver` on the PATH, else `/usr/bin/chromedriver`. Chromium likewise:
/// `YIZHAN_TEST_CHROMIUM`, else `chromium` on the PATH, else `/usr/bin/chromium`.
/// `Err`: why the browser tests cannot run here. A path named by a variable is taken
/// as it is: if it is wrong, the tests fail when they start it.
pub fn tools() -> Result<Tools, String> {
    let chromedriver = match set(DRIVER_ENV) {
        Some(none) if none == "none" => return Err(format!("{DRIVER_ENV}=none (pretend there is no chromedriver)")),
        Some(path) => PathBuf::from(path),
        None => program("chromedriver").ok_or_else(|| {
            format!("no chromedriver on the PATH or at /usr/bin/chromedriver, and {DRIVER_ENV} unset")
        })?,
    };
    let chromium = match set(CHROMIUM_ENV) {
        Some(path) => PathBuf::from(path),
        None => program("chromium")
            .ok_or_else(|| format!("no chromium on the PATH or at /usr/bin/chromium, and {CHROMIUM_ENV} unset"))?,
    };
    Ok(Tools { chromedriver, chromium })
}

/// A variable's value, unless it is unset or blank.
fn set(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// An executable file `name` in a folder of the PATH, else in /usr/bin.
fn program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .map(|dir| dir.join(name))
        .find(|file| file.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

/// Everything one browser test needs; dropping it stops chromedriver and Chromium.
pub struct Bench {
    pub app: App,
    pub driver: Driver,
    _turn: MutexGuard<'static, ()>,
}

impl Bench {
    /// Waits for its turn, then starts the application and chromedriver.
    pub async fn start(tools: &Tools) -> Bench {
        Bench::start_at(tools, monday_morning()).await
    }

    /// The same with the application's clock fixed at `now`.
    pub async fn start_at(tools: &Tools, now: i64) -> Bench {
        let turn = ONE_AT_A_TIME.lock().await;
        let app = App::spawn(now).await;
        let driver = Driver::start(tools).await;
        Bench { app, driver, _turn: turn }
    }
}

/// Runs a test body with a browser session, and always ends the session (so Chromium
/// exits) before a failure of the body is passed on.
pub async fn with_session<F, Fut>(driver: &Driver, javascript: bool, body: F)
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let client = driver.session(javascript).await;
    // A WebDriver command that never answers must fail the test, not hang the run;
    // chromedriver and Chromium are then stopped by `Driver`'s drop.
    let task = tokio::spawn(body(client.clone()));
    let abort = task.abort_handle();
    let Ok(outcome) = tokio::time::timeout(BODY_LIMIT, task).await else {
        abort.abort();
        panic!("browser test body did not finish within {BODY_LIMIT:?}");
    };
    let _ = client.close().await;
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("browser test body did not finish: {e}"),
        }
    }
}

// ---------------------------------------------------------------------------
// The application

/// Monday 17 November 2025, 10:00 in Beijing.
pub fn monday_morning() -> i64 {
    beijing_ts(NaiveDateTime::parse_from_str("2025-11-17 10:00", "%Y-%m-%d %H:%M").expect("test time"))
}

/// Tuesday 1 December 2026, 10:00 in Beijing: the holiday calendar ends with 2026 and
/// every staff page warns that 2027 is not loaded.
pub fn december() -> i64 {
    beijing_ts(NaiveDateTime::parse_from_str("2026-12-01 10:00", "%Y-%m-%d %H:%M").expect("test time"))
}

pub struct App {
    /// "http://127.0.0.1:PORT", no trailing slash.
    pub base: String,
    pub state: AppState,
    db_file: PathBuf,
}

impl App {
    /// The application on a free port with a fresh SQLite file (seeded on first start)
    /// and a fixed clock. Browser tests always use SQLite, whatever the HTTP tests use.
    async fn spawn(now: i64) -> App {
        App::spawn_named(now, None).await
    }

    /// The same, its release named `release` (the service worker's shell is kept under
    /// the name), so that a test can make a new release without changing a file.
    pub async fn spawn_named(now: i64, release: Option<&str>) -> App {
        let dir = std::env::temp_dir().join("yizhan-browser-tests");
        std::fs::create_dir_all(&dir).expect("temp dir");
        let db_file = dir.join(format!("b_{}_{}.db", std::process::id(), rand::random::<u32>()));
        let config = Config {
            bind: "127.0.0.1:0".into(),
            database_url: format!("sqlite://{}", db_file.display()),
            db_max_connections: 4,
            poll_seconds: 1,
            workers: 1,
            release: release.map(str::to_string),
            ..Config::defaults()
        };
        let app = Application::build(config, Clock::Fixed(now)).await.expect("application builds");
        let base = format!("http://127.0.0.1:{}", app.port());
        let state = app.state.clone();
        tokio::spawn(app.run());
        App { base, state, db_file }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Adds stations and rebuilds the snapshot now; returns their ids.
    pub async fn add(&self, stations: Vec<Station>) -> Vec<i64> {
        let ids = self.state.store.insert_stations(&stations, self.state.clock.now()).await.expect("insert");
        let fresh = yizhan::snapshot::load(&self.state.store, &self.state.clock).await.expect("snapshot");
        self.state.snapshot.store(Arc::new(fresh));
        ids
    }

    /// A city administrator 王丽 (`wang`) and a 丰台 volunteer supervisor 张三
    /// (`zhangsan`) who joined through her invite, both with the password
    /// `staff-password-1`.
    pub async fn admin_and_supervisor(&self) -> (yizhan::domain::staff::Staff, yizhan::domain::supervisor::Supervisor) {
        use yizhan::domain::staff::{Role, hash_password};
        let (store, now) = (&self.state.store, self.state.clock.now());
        let hash = hash_password("staff-password-1").expect("hash");
        store.create_staff("wang", "王丽", &hash, Role::CityAdmin, now).await.expect("staff").expect("new");
        let admin = store.all_staff().await.expect("staff").remove(0);
        let fengtai = yizhan::domain::district::District::parse("110106").expect("丰台");
        store.create_supervisor_invite("t-invite", &[fengtai], admin.id, now, 3600).await.expect("invite");
        let new = yizhan::store::NewSupervisor {
            username: "zhangsan".into(),
            display_name: "张三".into(),
            password_hash: hash,
            phone: "13800138000".into(),
            occupation: yizhan::domain::supervisor::Occupation::Rider,
        };
        let supervisor = store.accept_supervisor_invite("t-invite", &new, now).await.expect("join").expect("joined");
        (admin, supervisor)
    }

    /// A seed station by the start of its name: id, full name, latitude, longitude.
    pub fn seed(&self, prefix: &str) -> (i64, String, f64, f64) {
        let snapshot = self.state.snapshot.load();
        let e = snapshot
            .entries()
            .iter()
            .find(|e| e.station.name.starts_with(prefix))
            .unwrap_or_else(|| panic!("no seed station {prefix}"));
        let s = &e.station;
        let p = s.position.expect("seed stations have a position");
        (s.id, s.name.clone(), p.lat, p.lon)
    }

    /// Public stations whose position lies in a box.
    pub fn public_in(&self, south: f64, west: f64, north: f64, east: f64, facility: Option<&str>) -> usize {
        let wanted = facility.map(|f| FacilitySet::from_keys([f]).expect("facility"));
        let snapshot = self.state.snapshot.load();
        snapshot
            .entries()
            .iter()
            .map(|e| &e.station)
            .filter(|s| s.is_public())
            .filter(|s| s.position.is_some_and(|p| (south..=north).contains(&p.lat) && (west..=east).contains(&p.lon)))
            .filter(|s| wanted.is_none_or(|w| s.facilities.contains_all(w)))
            .count()
    }
}

impl Drop for App {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal", ".lock"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.db_file.display()));
        }
    }
}

#[path = "../common/station.rs"]
mod common_station;

/// A plain open station at a position, in a district, with the given facilities.
pub fn station(name: &str, district: u32, lat: f64, lon: f64, facilities: &[&str]) -> Station {
    let mut s = common_station::station(name, district, "", facilities);
    s.position = Some(LatLon::new(lat, lon).expect("position"));
    s
}

/// `n` stations on a grid within `spread` degrees of a point, all filed under 东城区.
pub fn crowd(prefix: &str, n: usize, lat: f64, lon: f64, spread: f64, facilities: &[&str]) -> Vec<Station> {
    let side = (n as f64).sqrt().ceil() as usize;
    let step = 2.0 * spread / side as f64;
    (0..n)
        .map(|i| {
            let (row, col) = (i / side, i % side);
            let la = lat - spread + step * (row as f64 + 0.5);
            let lo = lon - spread + step * (col as f64 + 0.5);
            station(&format!("{prefix}{i:03}"), 110101, la, lo, facilities)
        })
        .collect()
}

// ---------------------------------------------------------------------------
// chromedriver and Chromium

pub struct Driver {
    child: Child,
    /// "http://127.0.0.1:PORT/"
    url: String,
    scratch: PathBuf,
    sessions: std::sync::atomic::AtomicUsize,
    /// The browser binary sessions start.
    chromium: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port()
}

impl Driver {
    /// Starts chromedriver on a free port in a process group of its own (so that
    /// Chromium, its child, can be stopped with it) and waits until it is ready.
    async fn start(tools: &Tools) -> Driver {
        let path = tools.chromedriver.display();
        let scratch = std::env::temp_dir().join("yizhan-browser-tests").join(format!(
            "chrome_{}_{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&scratch).expect("scratch dir");
        let port = free_port();
        let child = Command::new(&tools.chromedriver)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", scratch.join("chromedriver.log").display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start chromedriver {path}: {e}"));
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}/"),
            scratch,
            sessions: Default::default(),
            chromium: tools.chromium.clone(),
        };
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(r) = http.get(format!("{}status", driver.url)).send().await
                && let Ok(v) = r.json::<Value>().await
                && v["value"]["ready"] == json!(true)
            {
                break;
            }
            assert!(started.elapsed() < WAIT, "chromedriver {path} did not become ready on port {port}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        driver
    }

    /// A new headless Chromium session, 360×740 like a phone, with a fresh profile;
    /// `javascript: false` turns scripting off for the whole session.
    pub async fn session(&self, javascript: bool) -> Client {
        let n = self.sessions.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let profile = self.scratch.join(format!("profile{n}"));
        let binary = self.chromium.display().to_string();
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=360,740",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        if !javascript {
            args.push("--blink-settings=scriptEnabled=false".into());
        }
        let mut caps = Capabilities::new();
        caps.insert("browserName".into(), json!("chrome"));
        // The browser's console (JavaScript errors, CSP violations, failed loads),
        // read back with chromedriver's log command.
        caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        // A phone: 360×740 CSS pixels, touch, the mobile viewport rules (a bare
        // --window-size is not enough: headless windows are at least 500 px wide).
        let phone =
            json!({ "deviceMetrics": { "width": 360, "height": 740, "pixelRatio": 2, "mobile": true, "touch": true } });
        caps.insert("goog:chromeOptions".into(), json!({ "binary": binary, "args": args, "mobileEmulation": phone }));
        let client = ClientBuilder::rustls()
            .expect("rustls connector")
            .capabilities(caps)
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("cannot start a Chromium session ({binary}): {e}"));
        let limits = TimeoutConfiguration::new(Some(WAIT * 2), Some(WAIT * 2), Some(Duration::ZERO));
        client.update_timeouts(limits).await.expect("set WebDriver timeouts");
        client
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: chromedriver and any Chromium a failed test left behind.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).stderr(Stdio::null()).status();
        std::thread::sleep(Duration::from_millis(200));
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

// ---------------------------------------------------------------------------
// Small browser tools

/// chromedriver's log command: the browser console since the last read.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/se/log", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.to_string()))
    }
}

/// A Chrome DevTools Protocol command through chromedriver (`goog/cdp/execute`).
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/goog/cdp/execute", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({ "cmd": self.cmd, "params": self.params }).to_string()))
    }
}

/// A DevTools command's answer.
pub async fn cdp(client: &Client, cmd: &'static str, params: Value) -> Value {
    client.issue_cmd(Cdp { cmd, params }).await.unwrap_or_else(|e| panic!("{cmd}: {e}"))
}

/// Gives the browser a position, as a phone's GPS would, and lets pages have it.
pub async fn give_position(client: &Client, lat: f64, lon: f64) {
    client
        .issue_cmd(Cdp { cmd: "Browser.grantPermissions", params: json!({ "permissions": ["geolocation"] }) })
        .await
        .expect("grant geolocation");
    client
        .issue_cmd(Cdp {
            cmd: "Emulation.setGeolocationOverride",
            params: json!({ "latitude": lat, "longitude": lon, "accuracy": 20 }),
        })
        .await
        .expect("set the position");
}

/// Refuses the position to pages, as a person tapping "Block" would.
pub async fn refuse_position(client: &Client) {
    client
        .issue_cmd(Cdp {
            cmd: "Browser.setPermission",
            params: json!({ "permission": { "name": "geolocation" }, "setting": "denied" }),
        })
        .await
        .expect("refuse geolocation");
}

/// One console entry: level ("SEVERE", "WARNING", …), source ("javascript",
/// "security", "network", "console-api", …) and message.
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub level: String,
    pub source: String,
    pub message: String,
}

/// The console entries since the last call.
pub async fn browser_log(client: &Client) -> Vec<LogEntry> {
    let v = client.issue_cmd(BrowserLog).await.expect("read the browser log");
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|e| LogEntry {
                    level: e["level"].as_str().unwrap_or_default().to_string(),
                    source: e["source"].as_str().unwrap_or_default().to_string(),
                    message: e["message"].as_str().unwrap_or_default().to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Polls `probe` until it gives a value, or fails the test after [`WAIT`].
pub async fn poll<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(started.elapsed() < WAIT, "timed out after {WAIT:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn find(client: &Client, css: &str) -> fantoccini::elements::Element {
    client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no element {css}: {e}"))
}

pub async fn find_all(client: &Client, css: &str) -> Vec<fantoccini::elements::Element> {
    client.find_all(Locator::Css(css)).await.unwrap_or_else(|e| panic!("finding {css}: {e}"))
}

pub async fn wait_for(client: &Client, css: &str) -> fantoccini::elements::Element {
    client.wait().at_most(WAIT).for_element(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no {css}: {e}"))
}

pub async fn text(client: &Client, css: &str) -> String {
    find(client, css).await.text().await.expect("text").trim().to_string()
}

pub async fn goto(client: &Client, url: &str) {
    client.goto(url).await.unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
}

pub async fn path_and_query(client: &Client) -> String {
    let u = client.current_url().await.expect("current url");
    match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_string(),
    }
}

/// What the map shows once it is idle.
#[derive(Debug, Clone)]
pub struct MapState {
    /// `data-features` of `#map`: clusters plus single stations.
    pub features: usize,
    /// The count of each cluster marker.
    pub clusters: Vec<usize>,
    /// Single station markers.
    pub pins: usize,
    /// The zoom in the URL hash (#zoom/lat/lon).
    pub zoom: Option<u32>,
}

impl MapState {
    /// Stations shown: the counts of the clusters plus the single pins.
    pub fn stations(&self) -> usize {
        self.clusters.iter().sum::<usize>() + self.pins
    }
}

const MAP_STATE_JS: &str = r#"
const el = document.getElementById('map');
if (!el) { return null; }
const m = /^#(\d+)\//.exec(location.hash);
return {
  features: el.dataset.features === undefined ? null : Number(el.dataset.features),
  loading: el.dataset.loading === undefined ? null : el.dataset.loading,
  zoom: m ? Number(m[1]) : null,
  clusters: Array.from(document.querySelectorAll('.leaflet-marker-icon.cluster .cluster-count'), n => Number(n.textContent)),
  pins: document.querySelectorAll('.leaflet-marker-icon.pin').length,
};
"#;

/// The map's state now, idle or not: (state, loading).
async fn map_now(client: &Client) -> Option<(MapState, bool)> {
    let v = client.execute(MAP_STATE_JS, vec![]).await.expect("read the map");
    let features = v["features"].as_u64()? as usize;
    let loading = v["loading"].as_str() != Some("");
    let clusters = v["clusters"].as_array()?.iter().map(|c| c.as_u64().unwrap_or(0) as usize).collect();
    let state = MapState {
        features,
        clusters,
        pins: v["pins"].as_u64().unwrap_or(0) as usize,
        zoom: v["zoom"].as_u64().map(|z| z as u32),
    };
    Some((state, loading))
}

/// Waits until the map has loaded its features and is idle (`data-features` set,
/// `data-loading` empty) and the markers drawn agree with `data-features`.
pub async fn map_idle(client: &Client) -> MapState {
    poll("#map[data-features] with data-loading=\"\"", || async {
        let (state, loading) = map_now(client).await?;
        (!loading && state.clusters.len() + state.pins == state.features).then_some(state)
    })
    .await
}

/// Runs axe-core (already injected) on the page: how many rules passed, and each
/// violation with its impact, CSS selectors and messages.
pub const AXE_RUN_JS: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ['violations'] })
  .then(r => done({
    passes: r.passes.length,
    violations: r.violations.map(v => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map(n => ({ target: n.target.join(' '), summary: n.failureSummary || '' })),
    })),
  }))
  .catch(e => done({ error: String(e) }));
"#;

// ---------------------------------------------------------------------------
// A network that can be cut

/// A TCP relay between Chromium and the application that a test can cut: offline, it
/// closes every open connection and drops each new one at once, so the page and its
/// service worker both see a failed network (DevTools' network emulation reaches the
/// page but not the worker). It counts the bytes it passed to the application, so a
/// test can hold that the server saw nothing while the phone was offline.
pub struct Relay {
    pub port: u16,
    inner: Arc<RelayInner>,
}

struct RelayInner {
    backend: std::sync::Mutex<String>,
    online: std::sync::atomic::AtomicBool,
    open: std::sync::Mutex<Vec<std::net::TcpStream>>,
    to_app: std::sync::atomic::AtomicU64,
    refused: std::sync::atomic::AtomicU64,
    /// Milliseconds each new connection waits before it reaches the application.
    delay_ms: std::sync::atomic::AtomicU64,
}

impl Relay {
    /// A relay on a free port to `backend` ("http://127.0.0.1:PORT").
    pub fn start(backend: &str) -> Relay {
        use std::sync::atomic::Ordering::SeqCst;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("relay port");
        let port = listener.local_addr().expect("addr").port();
        let inner = Arc::new(RelayInner {
            backend: std::sync::Mutex::new(backend.trim_start_matches("http://").to_string()),
            online: true.into(),
            open: Default::default(),
            to_app: 0.into(),
            refused: 0.into(),
            delay_ms: 0.into(),
        });
        let shared = inner.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !shared.online.load(SeqCst) {
                    shared.refused.fetch_add(1, SeqCst);
                    let _ = client.shutdown(std::net::Shutdown::Both);
                    continue;
                }
                let backend = shared.backend.lock().expect("backend").clone();
                let delay = shared.delay_ms.load(SeqCst);
                if delay > 0 {
                    let slow = shared.clone();
                    std::thread::spawn(move || {
                        std::thread::sleep(Duration::from_millis(delay));
                        if let Ok(app) = std::net::TcpStream::connect(&backend) {
                            Relay::join(&slow, client, app);
                        }
                    });
                    continue;
                }
                let Ok(app) = std::net::TcpStream::connect(&backend) else { continue };
                Relay::join(&shared, client, app);
            }
        });
        Relay { port, inner }
    }

    /// Pipes bytes both ways between a client and the application, counting those
    /// that reach the application; the connection can be cut (see [`Relay::offline`]).
    fn join(shared: &Arc<RelayInner>, client: std::net::TcpStream, app: std::net::TcpStream) {
        use std::sync::atomic::Ordering::SeqCst;
        if let (Ok(c), Ok(a)) = (client.try_clone(), app.try_clone()) {
            shared.open.lock().expect("open").extend([c, a]);
        }
        let pipe = |mut from: std::net::TcpStream, mut to: std::net::TcpStream, count: Option<Arc<RelayInner>>| {
            std::thread::spawn(move || {
                let mut buf = [0u8; 16 * 1024];
                while let Ok(n) = std::io::Read::read(&mut from, &mut buf) {
                    if n == 0 || std::io::Write::write_all(&mut to, &buf[..n]).is_err() {
                        break;
                    }
                    if let Some(c) = &count {
                        c.to_app.fetch_add(n as u64, SeqCst);
                    }
                }
                let _ = to.shutdown(std::net::Shutdown::Both);
                let _ = from.shutdown(std::net::Shutdown::Both);
            });
        };
        if let (Ok(c), Ok(a)) = (client.try_clone(), app.try_clone()) {
            pipe(c, a, Some(shared.clone()));
            pipe(app, client, None);
        }
    }

    /// A slow network: each new connection waits `delay` before it reaches the
    /// application (open ones are closed, so the next request waits too).
    pub fn slow(&self, delay: Duration) {
        self.inner.delay_ms.store(delay.as_millis() as u64, std::sync::atomic::Ordering::SeqCst);
        self.cut();
    }

    /// A URL on the site through the relay.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn cut(&self) {
        for s in self.inner.open.lock().expect("open").drain(..) {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    }

    /// No network: open connections are closed and new ones dropped.
    pub fn offline(&self) {
        self.inner.online.store(false, std::sync::atomic::Ordering::SeqCst);
        self.cut();
    }

    pub fn online(&self) {
        self.inner.online.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// From now on to another application (a new release), open connections closed.
    pub fn switch_to(&self, backend: &str) {
        *self.inner.backend.lock().expect("backend") = backend.trim_start_matches("http://").to_string();
        self.cut();
    }

    /// Bytes passed to the application so far.
    pub fn to_app(&self) -> u64 {
        self.inner.to_app.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Connections dropped while offline.
    pub fn refused(&self) -> u64 {
        self.inner.refused.load(std::sync::atomic::Ordering::SeqCst)
    }
}
