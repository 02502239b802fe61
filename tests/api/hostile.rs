//! Hostile requests from a table: every route with every method, broken and extreme
//! parameters, bodies of the wrong kind, anonymous and signed in. None may answer
//! 5xx or panic. And a property test of `/api/map` over any box, zoom and datum.

use yizhan::web::routes::Method;
use yizhan::web::table as route_table;

use crate::admin::signed_in_admin;
use crate::feedback::fengtai_station;
use crate::helpers::*;

const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];

/// A concrete path for each route pattern.
fn example(pattern: &str, station: i64) -> String {
    pattern
        .replace("{id}", &station.to_string())
        .replace("{receipt}", "FK-AAAA-BBBB-CCCC")
        .replace("{code}", "en")
        .replace("{token}", "0123456789abcdef0123456789abcdef")
        .replace("{path:.*}", "app.css")
}

/// Query strings that have hurt or could hurt: huge, negative, NaN, bad bytes, markup.
const QUERIES: &[&str] = &[
    "page=0",
    "page=-1",
    "page=4294967296",
    "page=99999999999999999999",
    "per_page=0",
    "per_page=1000000",
    "bbox=NaN,NaN,NaN,NaN&zoom=19",
    "bbox=115,39,118,41&zoom=22",
    "bbox=115,39,118,41&zoom=-1",
    "bbox=-180,-90,180,90&zoom=4294967295",
    "bbox=1e308,1e308,1e308,1e308&zoom=5",
    "lat=NaN&lon=inf",
    "lat=1e400&lon=-1e400",
    "q=%FF%FE",
    "q=%00%0d%0a",
    "q=%E2%80%AEevil",
    "next=%2F%09%2Fevil.com",
    "next=/%0d%0aSet-Cookie:%20a=b",
    "next=/%00",
    "next=//evil.com",
    "next=/%5Cevil.com",
    "state=%FF&kind=<x>&district=-1&station=1e9",
    "district=110106&street=110101001",
    "facility=water&facility=water&facility=nope",
    "%FF=%FF&&&=&==",
    "datum=bd09&lat=39.9&lon=116.4",
];

/// Bodies of the wrong kind or shape.
fn bodies() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("application/x-www-form-urlencoded", b"csrf=x&next=%2F%09%2Fevil.com&back=/%0d%0a".to_vec()),
        ("application/x-www-form-urlencoded", b"\xff\xfe=\xff&id=-1&id=99999999999999999999&action=publish".to_vec()),
        ("text/plain", b"username=admin&password=x".to_vec()),
        ("application/json", b"{\"username\":\"admin\"}".to_vec()),
        ("application/x-www-form-urlencoded", vec![b'a'; 70 * 1024]),
    ]
}

/// Sends one request; returns its status, checking it is not a server error.
async fn send(
    client: &reqwest::Client,
    base: &str,
    method: &str,
    path: &str,
    body: Option<(&str, Vec<u8>)>,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = client.request(m, format!("{base}{path}"));
    if let Some((kind, bytes)) = body {
        req = req.header("Content-Type", kind).body(bytes);
    }
    let res = req.send().await.unwrap_or_else(|e| panic!("{method} {path}: no answer: {e}"));
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = res.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
    assert!(status < 500, "{method} {path} answered {status}");
    (status, headers, body)
}

async fn table(app: &TestApp, client: &reqwest::Client, base: &str) -> usize {
    let station = fengtai_station(app);
    let routes = route_table();
    let allowed = routes.allowed();
    // Each path pattern once, with whether it takes GET and POST.
    let mut patterns: Vec<(&str, bool, bool)> = Vec::new();
    for l in routes.listed() {
        let (get, post) = (l.method == Method::Get, l.method != Method::Get);
        match patterns.iter_mut().find(|(p, _, _)| *p == l.path) {
            Some(seen) => (seen.1, seen.2) = (seen.1 || get, seen.2 || post),
            None => patterns.push((l.path.as_str(), get, post)),
        }
    }
    let mut sent = 0;
    for (pattern, get, post) in patterns {
        let path = example(pattern, station);
        for method in METHODS {
            let (status, headers, body) = send(client, base, method, &path, None).await;
            sent += 1;
            // Another pattern may take the path too ("/admin/feedback/bulk" is also
            // "/admin/feedback/{id}"): the Allow of the path is what counts.
            let allow_list = allowed.of(&path).unwrap_or_else(|| panic!("{path} is a route"));
            if allow_list.split(", ").any(|m| m == method) {
                assert_ne!(status, 405, "{method} {path}");
            } else {
                assert_eq!(status, 405, "{method} {path}");
                let allow = headers.get("allow").map(|v| v.to_str().unwrap_or_default()).unwrap_or_default();
                assert_eq!(allow, allow_list, "{method} {path}");
            }
            if method == "HEAD" {
                assert!(body.is_empty(), "HEAD {path} has no body");
            }
        }
        if get {
            for q in QUERIES {
                send(client, base, "GET", &format!("{path}?{q}"), None).await;
                sent += 1;
            }
        }
        if post {
            for (kind, bytes) in bodies() {
                let (status, _, _) = send(client, base, "POST", &path, Some((kind, bytes.clone()))).await;
                sent += 1;
                if kind != "application/x-www-form-urlencoded" {
                    assert!(matches!(status, 303 | 400 | 403 | 404 | 413 | 415), "POST {kind} to {path}: {status}");
                }
            }
        }
    }
    sent
}

#[tokio::test]
async fn hostile_requests_never_fail() {
    let app = spawn_app().await;
    let anonymous = app.client.clone();
    let mut sent = table(&app, &anonymous, &app.address).await;
    let admin = signed_in_admin(&app).await;
    sent += table(&app, &admin.client, &admin.base).await;
    assert!(sent >= 300, "{sent} requests");
    let (status, health) = app.json("/healthz").await;
    assert_eq!(status, 200);
    assert_eq!(health["panics"], 0, "no request panicked");
}

/// A deterministic pseudo-random sequence (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A float in [lo, hi), now and then one of the edges or just past them.
    fn float(&mut self, lo: f64, hi: f64) -> f64 {
        match self.next() % 16 {
            0 => lo,
            1 => hi,
            2 => lo - 1e-9,
            3 => hi + 1e-9,
            4 => 0.0,
            _ => lo + (hi - lo) * ((self.next() >> 11) as f64 / (1u64 << 53) as f64),
        }
    }
}

async fn map_property(datum: &str, seed: u64) {
    let app = spawn_app_with(|c| c.tile_datum = datum.into()).await;
    let mut rng = Rng(seed);
    for _ in 0..250 {
        // Mostly Beijing-sized boxes, sometimes the world, sometimes a point.
        let (w, s, e, n) = match rng.next() % 4 {
            0 => {
                (rng.float(-200.0, 200.0), rng.float(-100.0, 100.0), rng.float(-200.0, 200.0), rng.float(-100.0, 100.0))
            }
            1 => {
                let (lon, lat) = (rng.float(115.0, 118.0), rng.float(39.0, 41.5));
                (lon, lat, lon, lat)
            }
            _ => {
                let (lon, lat) = (rng.float(115.0, 118.0), rng.float(39.0, 41.5));
                let (dx, dy) = (rng.float(0.0, 2.0), rng.float(0.0, 1.5));
                (lon, lat, lon + dx, lat + dy)
            }
        };
        let zoom = (rng.next() % 46) as i64 - 5;
        let path = format!("/api/map?bbox={w},{s},{e},{n}&zoom={zoom}");
        let res = app.get(&path).await;
        let status = res.status().as_u16();
        assert!(status == 200 || status == 400, "{path}: {status}");
        let body: serde_json::Value = res.json().await.expect("JSON");
        if status == 200 {
            assert!(body["features"].as_array().is_some_and(|f| f.len() <= 300), "{path}");
        }
    }
    assert_eq!(app.state.panics.count(), 0);
}

#[tokio::test]
async fn map_answers_any_box_and_zoom_in_wgs84() {
    map_property("wgs84", 0x9E37_79B9_7F4A_7C15).await;
}

#[tokio::test]
async fn map_answers_any_box_and_zoom_in_gcj02() {
    map_property("gcj02", 0xD1B5_4A32_D192_ED03).await;
}
