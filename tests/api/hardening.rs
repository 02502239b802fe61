//! One test per finding of the outside probe (issue 11), each through the real app.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use yizhan::domain::district::District;
use yizhan::domain::filter::StationFilter;
use yizhan::domain::staff::Role;

use crate::admin::{PASSWORD, create_staff, login, sign_in, signed_in_admin, signed_in_fengtai};
use crate::feedback::{feedback, feedback_id, fengtai_station};
use crate::helpers::*;

// 1. Panics.

#[tokio::test]
async fn map_at_the_highest_zooms_answers() {
    for datum in ["wgs84", "gcj02"] {
        let app = spawn_app_with(|c| c.tile_datum = datum.into()).await;
        for zoom in 17..=22 {
            for bbox in ["115,39,118,41", "116.3,39.8,116.3,39.8", "116.39,39.9,116.4,39.91"] {
                let (status, body) = app.json(&format!("/api/map?bbox={bbox}&zoom={zoom}")).await;
                assert_eq!(status, 200, "{datum} {bbox} zoom {zoom}");
                let features = body["features"].as_array().map(Vec::len).unwrap_or_default();
                assert!(features > 0 || bbox != "115,39,118,41", "{datum} {bbox} zoom {zoom}: the whole city");
            }
        }
        for zoom in ["23", "-1", "1e3", "NaN"] {
            assert_eq!(app.json(&format!("/api/map?bbox=115,39,118,41&zoom={zoom}")).await.0, 400);
        }
        let (status, health) = app.json("/healthz").await;
        assert_eq!(status, 200);
        assert_eq!(health["panics"], 0);
    }
}

#[tokio::test]
async fn a_default_filter_lists_the_first_page() {
    let app = spawn_app().await;
    let snapshot = app.state.snapshot.load();
    let default = StationFilter::default();
    assert_eq!(default.page, 0);
    let page = snapshot.list(&default, app.state.clock.now(), 20);
    assert_eq!(page.page, 1);
    assert_eq!(page.items.len(), page.total.min(20));
    assert!(page.total > 0);
}

// 2. Redirects stay on the site.

#[tokio::test]
async fn redirect_targets_stay_on_the_site() {
    let app = spawn_app().await;
    for (next, to) in [
        ("%2F%09%2Fevil.com", "/"),
        ("/%0d%0aSet-Cookie:%20x=y", "/"),
        ("/%00", "/"),
        ("//evil.com", "/"),
        ("/%5C/evil.com", "/"),
        ("https://evil.com", "/"),
        ("/stations%3Fdistrict%3D110106", "/stations?district=110106"),
        ("/stations?q=%E4%B8%87", "/stations?q=%E4%B8%87"),
    ] {
        let res = app.get(&format!("/lang/en?next={next}")).await;
        assert_eq!(res.status().as_u16(), 303, "next={next}");
        assert_eq!(location(&res), to, "next={next}");
    }

    create_staff(&app, "admin", "王主任", Role::CityAdmin).await;
    for next in ["/admin%0d%0aSet-Cookie:%20x=y", "/admin/%00", "/admin/\t/evil.com", "//evil.com/admin"] {
        let browser = Browser::new(&app);
        let (status, _) = browser.page(&format!("/admin/login?next={}", next.replace('\t', "%09"))).await;
        assert_eq!(status, 200, "{next}");
        let res = login(&browser, "admin", PASSWORD, &next.replace("%0d%0a", "\r\n").replace("%00", "\0")).await;
        assert_eq!(res.status().as_u16(), 303, "{next:?}");
        assert_eq!(location(&res), "/admin", "{next:?}");
    }

    let admin = sign_in(&app, "admin").await;
    let csrf = admin.csrf("/admin/feedback").await;
    for back in ["/admin/feedback\r\n/x", "/admin/feedback\0", "//evil.com/admin/feedback", "/admin/feedback/\t/x"] {
        let res = admin.post("/admin/feedback/bulk", &[("csrf", &csrf), ("action", "publish"), ("back", back)]).await;
        assert_eq!(res.status().as_u16(), 303, "{back:?}");
        assert_eq!(location(&res), "/admin/feedback?done=nothing", "{back:?}");
    }
}

// 3. and 4. Logins: counted before the hash, bounded, limited per address.

#[tokio::test]
async fn parallel_wrong_logins_are_counted_before_the_hash() {
    let app = spawn_app_with(|c| c.login_per_15_min = 1000).await;
    create_staff(&app, "admin", "王主任", Role::CityAdmin).await;
    let browser = Browser::new(&app);
    let csrf = browser.csrf("/admin/login").await;
    let attempt = |password: &'static str| {
        let (client, base, csrf) = (browser.client.clone(), browser.base.clone(), csrf.clone());
        tokio::spawn(async move {
            let body = crate::helpers::encode(&[("csrf", &csrf), ("username", "admin"), ("password", password)]);
            let res = client
                .post(format!("{base}/admin/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .expect("answer");
            res.status().as_u16()
        })
    };
    let mut tasks: Vec<_> = (0..40).map(|_| attempt("wrong password 1")).collect();
    // The right password in the middle of the burst does not get in either.
    tasks.insert(29, attempt(PASSWORD));
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("task"));
    }
    let wrong = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    let in_ = statuses.iter().filter(|s| **s == 303).count();
    assert!(wrong <= 4, "at most 4 wrong answers before the lock: {statuses:?}");
    assert!(in_ <= 1 && wrong + in_ <= 5, "at most 5 attempts were checked: {statuses:?}");
    assert_eq!(wrong + refused + in_, 41, "{statuses:?}");
    if in_ == 0 {
        // Locked now: the right password waits for the lock too.
        assert_eq!(login(&Browser::new(&app), "admin", PASSWORD, "").await.status().as_u16(), 429);
    }
    assert!(app.state.hasher.peak() <= std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2));
}

#[tokio::test]
async fn a_burst_of_logins_is_bounded_and_the_site_answers() {
    let app = spawn_app_with(|c| c.login_per_15_min = 1000).await;
    let browser = Browser::new(&app);
    let csrf = browser.csrf("/admin/login").await;
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let (client, base, csrf) = (browser.client.clone(), browser.base.clone(), csrf.clone());
            tokio::spawn(async move {
                let name = format!("nobody{i}");
                let body = crate::helpers::encode(&[("csrf", &csrf), ("username", &name), ("password", "guess")]);
                client
                    .post(format!("{base}/admin/login"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(body)
                    .send()
                    .await
                    .expect("answer")
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let started = Instant::now();
    let (status, _) = app.json("/healthz").await;
    assert_eq!(status, 200);
    assert!(started.elapsed() < Duration::from_secs(2), "health answers during the burst");
    for t in tasks {
        let status = t.await.expect("task");
        assert!(status == 401 || status == 429, "{status}");
    }
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    assert!(app.state.hasher.peak() <= cores, "peak {} hashes at once", app.state.hasher.peak());
}

#[tokio::test]
async fn logins_are_limited_per_address() {
    let app = spawn_app_with(|c| c.login_per_15_min = 3).await;
    let browser = Browser::new(&app);
    for _ in 0..3 {
        assert_eq!(login(&browser, "nobody", "guess", "").await.status().as_u16(), 401);
    }
    let (status, html) = html_of(login(&browser, "someone-else", "guess", "").await).await;
    assert_eq!(status, 429);
    assert_eq!(text(&html, "h1"), "登录尝试太频繁");
}

// 12 (first part). Unknown and real accounts answer alike.

#[tokio::test]
async fn unknown_and_real_accounts_answer_alike() {
    let app = spawn_app_with(|c| c.login_per_15_min = 1000).await;
    create_staff(&app, "admin", "王主任", Role::CityAdmin).await;
    let mut answers = Vec::new();
    for name in ["admin", "ghost"] {
        let mut seen = Vec::new();
        for _ in 0..7 {
            let (status, html) = html_of(login(&Browser::new(&app), name, "wrong password", "").await).await;
            seen.push((status, text(&html, ".form-error")));
        }
        answers.push(seen);
    }
    assert_eq!(answers[0], answers[1]);
    let statuses: Vec<u16> = answers[0].iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses, [401, 401, 401, 401, 429, 429, 429]);
}

// 5. Exports.

#[tokio::test]
async fn whole_exports_are_built_once_and_shared() {
    let app = spawn_app().await;
    let get = |encoding: &'static str, path: &'static str| {
        let (client, base) = (app.client.clone(), app.address.clone());
        async move {
            let mut req = client.get(format!("{base}{path}"));
            if !encoding.is_empty() {
                req = req.header("Accept-Encoding", encoding);
            }
            req.send().await.expect("answer")
        }
    };
    // reqwest here has no gzip support: the raw bytes are what was kept.
    let answers = futures_util::future::join_all((0..4).map(|_| get("gzip", "/api/stations.geojson"))).await;
    let mut kept = Vec::new();
    for res in answers {
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(res.headers()["content-encoding"], "gzip");
        assert_eq!(res.headers()["vary"], "Accept-Encoding");
        kept.push((res.headers()["etag"].to_str().unwrap().to_string(), res.bytes().await.unwrap()));
    }
    assert!(kept.windows(2).all(|w| w[0] == w[1]), "every request got the same bytes");
    let mut plain = String::new();
    flate2::read::GzDecoder::new(&kept[0].1[..]).read_to_string(&mut plain).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&plain).unwrap();
    let features = doc["features"].as_array().unwrap();
    assert_eq!(features.len(), app.state.snapshot.load().public_count());
    assert!(features.iter().all(|f| f["properties"].get("open_now").is_none()), "no live state in the file");

    // Without gzip: the same document, unpacked on the way.
    let res = get("", "/api/stations.geojson").await;
    assert!(res.headers().get("content-encoding").is_none());
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    assert_ne!(etag, kept[0].0, "another representation, another tag");
    assert_eq!(res.text().await.unwrap(), plain);
    let res = app.client.get(format!("{}/api/stations.geojson", app.address)).header("If-None-Match", &etag);
    assert_eq!(res.send().await.unwrap().status().as_u16(), 304);

    // A write makes a new version.
    app.add(vec![station("新驿站", 110115, "24/7", &["water"])]).await;
    let res = get("", "/api/stations.csv").await;
    let text = res.text().await.unwrap();
    assert!(text.contains("新驿站"));
    assert!(!text.lines().next().unwrap().contains("现在营业"));
    let res = get("", "/api/stations.geojson").await;
    assert_ne!(res.headers()["etag"].to_str().unwrap(), etag);
}

#[tokio::test]
async fn filtered_exports_are_streamed_whole() {
    let app = spawn_app().await;
    let many: Vec<_> = (0..700).map(|i| station(&format!("批量驿站{i}"), 110115, "24/7", &["water"])).collect();
    app.add(many).await;
    let (status, body) = app.json("/api/stations.geojson?district=110115").await;
    assert_eq!(status, 200);
    assert_eq!(
        body["features"].as_array().unwrap().len(),
        707,
        "several pieces, one valid document (700 and 大兴's seven seed stations)"
    );
    let res = app.get("/api/stations.csv?district=110115").await;
    let bytes = res.bytes().await.unwrap();
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    assert_eq!(reader.records().count(), 707);
}

// 6. Stalled bodies.

/// Sends `head` (and `body`) on a raw connection; returns what came back and how long
/// the server took to close it.
fn stall(address: &str, head: &str, body: &[u8]) -> (String, Duration) {
    let host = address.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(15))).expect("timeout");
    let started = Instant::now();
    stream.write_all(head.as_bytes()).expect("head");
    stream.write_all(body).expect("body");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    (String::from_utf8_lossy(&answer).into_owned(), started.elapsed())
}

#[tokio::test]
async fn stalled_bodies_and_heads_are_closed() {
    let app = spawn_app_with(|c| {
        c.body_timeout_seconds = 1;
        c.head_timeout_seconds = 1;
    })
    .await;
    let address = app.address.clone();
    let station = fengtai_station(&app);
    let (answer, took) = tokio::task::spawn_blocking(move || {
        let head = format!(
            "POST /stations/{station}/feedback HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
        );
        stall(&address, &head, b"kind=praise")
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(took < Duration::from_secs(5), "closed after {took:?}");

    let address = app.address.clone();
    let (answer, took) =
        tokio::task::spawn_blocking(move || stall(&address, "GET / HTTP/1.1\r\nHost: x\r\n", b"")).await.unwrap();
    assert!(took < Duration::from_secs(5), "closed after {took:?}: {answer}");
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
}

// 7. HEAD and methods.

#[tokio::test]
async fn head_answers_and_other_methods_get_405() {
    let app = spawn_app().await;
    let id = seed_id(&app, "刘村");
    let station = format!("/stations/{id}");
    let hours = format!("/api/stations/{id}/hours");
    let api_station = format!("/api/stations/{id}");
    // Every GET route, and a few answers that are not 200: HEAD answers as GET does, without a body.
    for path in [
        "/",
        "/stations",
        "/stations?district=110106&open_now=1",
        station.as_str(),
        "/stations/999999",
        "/stations/abc",
        "/map",
        "/near",
        "/near?lat=39.806&lon=116.382",
        "/near?lat=91&lon=0",
        "/open-data",
        "/api/stations",
        api_station.as_str(),
        hours.as_str(),
        "/api/map?bbox=115.4,39.4,117.6,41.1&zoom=9",
        "/api/map?zoom=9",
        "/api/stations.csv",
        "/api/stations.geojson",
        "/static/app.css",
        "/static/nothing.css",
        "/healthz",
        "/admin/login",
        "/admin",
        "/lang/en?next=/",
        "/feedback/FK-AAAA-BBBB-CCCC",
    ] {
        let res = app.client.head(format!("{}{path}", app.address)).send().await.unwrap();
        let get = app.get(path).await;
        assert_eq!(res.status(), get.status(), "HEAD {path}");
        assert_eq!(res.headers().get("content-type"), get.headers().get("content-type"), "{path}");
        assert_eq!(res.headers().get("location"), get.headers().get("location"), "{path}");
        assert!(res.bytes().await.unwrap().is_empty(), "HEAD {path} has no body");
    }
    for (method, path, allow) in [
        ("PUT", "/", "GET, HEAD"),
        ("DELETE", "/stations", "GET, HEAD"),
        ("PATCH", "/admin/login", "GET, HEAD, POST"),
        ("OPTIONS", "/api/map", "GET, HEAD"),
        ("GET", "/admin/logout", "POST"),
    ] {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let res = app.client.request(m, format!("{}{path}", app.address)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 405, "{method} {path}");
        assert_eq!(res.headers()["allow"], allow, "{method} {path}");
        if !path.starts_with("/api/") {
            let (_, html) = html_of(res).await;
            assert_eq!(count(&html, "header.top"), 1, "in the layout");
        }
    }
    let res = app.client.delete(format!("{}/no/such/page", app.address)).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 404);
}

// 8. Transport and caching.

#[tokio::test]
async fn secure_sites_send_hsts_and_secure_cookies() {
    let app = spawn_app_with(|c| c.secure_cookies = true).await;
    let res = app.get("/").await;
    let hsts = res.headers()["strict-transport-security"].to_str().unwrap().to_string();
    let age: u64 = hsts.trim_start_matches("max-age=").split(';').next().unwrap().parse().unwrap();
    assert!(age >= 365 * 24 * 3600, "{hsts}");
    let station = fengtai_station(&app);
    for path in ["/lang/en?next=/".to_string(), format!("/stations/{station}"), "/admin/login".to_string()] {
        let res = app.get(&path).await;
        let cookies: Vec<_> =
            res.headers().get_all("set-cookie").iter().map(|c| c.to_str().unwrap().to_string()).collect();
        assert!(!cookies.is_empty(), "{path} sets a cookie");
        assert!(cookies.iter().all(|c| c.contains("; Secure")), "{path}: {cookies:?}");
    }
    let plain = spawn_app().await;
    assert!(plain.get("/").await.headers().get("strict-transport-security").is_none());
}

#[tokio::test]
async fn private_pages_are_not_stored() {
    let app = spawn_app().await;
    let worker = Browser::new(&app);
    let receipt = feedback(&worker, fengtai_station(&app), &[("phone", "13800138000")]).await;
    let id = feedback_id(&app, &receipt).await;
    let admin = signed_in_admin(&app).await;
    for path in [
        "/admin/login".to_string(),
        "/admin/feedback".to_string(),
        format!("/admin/feedback/{id}"),
        "/admin/stations".to_string(),
        "/admin/staff".to_string(),
        "/invite/0123456789abcdef0123456789abcdef".to_string(),
        format!("/feedback/{receipt}"),
    ] {
        let res = admin.get(&path).await;
        assert!(res.status().as_u16() < 500);
        assert_eq!(res.headers()["cache-control"], "no-store", "{path}");
    }
    assert_eq!(Browser::new(&app).get("/admin/feedback").await.headers()["cache-control"], "no-store");
    assert_ne!(
        app.get("/stations").await.headers().get("cache-control").map(|v| v.to_str().unwrap()),
        Some("no-store")
    );
}

// 9. Proxies.

async fn post_feedback_via(app: &TestApp, forwarded_for: &str) -> u16 {
    let worker = Browser::new(app);
    let station = fengtai_station(app);
    let (_, html) = worker.page(&format!("/stations/{station}")).await;
    let csrf = attr(&html, "form.feedback-form input[name=csrf]", "value");
    let submission = attr(&html, "form.feedback-form input[name=submission]", "value");
    let body = crate::helpers::encode(&[
        ("csrf", &csrf),
        ("submission", &submission),
        ("kind", "praise"),
        ("body", "很好"),
        ("website", ""),
    ]);
    worker
        .client
        .post(format!("{}/stations/{station}/feedback", app.address))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("X-Forwarded-For", forwarded_for)
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_client_is_the_rightmost_untrusted_address() {
    let app = spawn_app_with(|c| {
        c.trust_proxy = true;
        c.feedback_per_hour = 2;
    })
    .await;
    // The client writes the left part; our proxy (127.0.0.1, trusted) appends what it saw.
    assert_eq!(post_feedback_via(&app, "1.1.1.1, 203.0.113.7").await, 303);
    assert_eq!(post_feedback_via(&app, "2.2.2.2, 203.0.113.7").await, 303);
    assert_eq!(post_feedback_via(&app, "3.3.3.3, 203.0.113.7").await, 429, "a new left part is not a new client");
    assert_eq!(post_feedback_via(&app, "203.0.113.8").await, 303, "another client");
}

#[tokio::test]
async fn invite_links_never_take_the_host_from_the_request() {
    for public_url in [None, Some("https://yizhan.example.cn/")] {
        let app = spawn_app_with(|c| c.public_url = public_url.map(String::from)).await;
        let admin = signed_in_admin(&app).await;
        let csrf = admin.csrf("/admin/staff").await;
        let body = crate::helpers::encode(&[("csrf", &csrf), ("role", "district_staff"), ("district", "110106")]);
        let res = admin
            .client
            .post(format!("{}/admin/invites", app.address))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Host", "evil.example")
            .header("X-Forwarded-Host", "evil.example")
            .header("Forwarded", "host=evil.example;proto=https")
            .body(body)
            .send()
            .await
            .unwrap();
        let (status, html) = html_of(res).await;
        assert_eq!(status, 200);
        let link = attr(&html, ".invite-made input.invite-link", "value");
        let expected = public_url.map(|u| u.trim_end_matches('/').to_string()).unwrap_or_else(|| app.address.clone());
        assert!(link.starts_with(&format!("{expected}/invite/")), "{link}");
    }
}

// 10. Feedback follows its station.

async fn move_station(admin: &Browser, id: i64, district: &str) {
    let (status, html) = admin.page(&format!("/admin/stations/{id}")).await;
    assert_eq!(status, 200);
    let form = html.select(&sel("form.station-form")).next().expect("form");
    let mut pairs: Vec<(String, String)> = Vec::new();
    for el in form.select(&sel("input[name], select[name], textarea[name]")) {
        let v = el.value();
        let name = v.attr("name").unwrap_or_default().to_string();
        let value = match v.name() {
            "input" if matches!(v.attr("type"), Some("checkbox" | "radio")) && v.attr("checked").is_none() => continue,
            "input" if matches!(v.attr("type"), Some("submit" | "button")) => continue,
            "input" => v.attr("value").unwrap_or("on").to_string(),
            "select" => el
                .select(&sel("option[selected]"))
                .next()
                .and_then(|o| o.value().attr("value"))
                .unwrap_or_default()
                .to_string(),
            _ => el.text().collect(),
        };
        pairs.push((name, value));
    }
    for (k, v) in pairs.iter_mut() {
        if k == "district" {
            *v = district.into();
        }
        if k == "street" {
            v.clear();
        }
    }
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let res = admin.post(&format!("/admin/stations/{id}"), &refs).await;
    assert_eq!(res.status().as_u16(), 303, "moved to {district}");
    assert_eq!(admin.page(&format!("/admin/stations/{id}")).await.0, 200);
}

#[tokio::test]
async fn feedback_follows_its_station_when_it_moves() {
    let app = spawn_app().await;
    let station = fengtai_station(&app);
    let receipt = feedback(&Browser::new(&app), station, &[("phone", "13800138000")]).await;
    let id = feedback_id(&app, &receipt).await;
    let admin = signed_in_admin(&app).await;
    let fengtai = signed_in_fengtai(&app).await;
    let shunyi_role = Role::DistrictStaff(District::parse("110113").expect("顺义"));
    create_staff(&app, "shunyi", "赵顺义", shunyi_role).await;
    let shunyi = sign_in(&app, "shunyi").await;
    let sees = |who: &Browser| {
        let path = format!("/admin/feedback/{id}");
        let queue = "/admin/feedback?state=all".to_string();
        let who = Browser { base: who.base.clone(), client: who.client.clone(), jar: who.jar.clone() };
        async move {
            let (status, html) = who.page(&path).await;
            let (_, queue) = who.page(&queue).await;
            (status, status == 200 && text(&html, "main").contains("13800138000"), count(&queue, "tbody tr") > 0)
        }
    };
    assert_eq!(sees(&fengtai).await, (200, true, true));
    assert_eq!(sees(&shunyi).await.0, 404);

    move_station(&admin, station, "110113").await;
    assert_eq!(sees(&fengtai).await, (404, false, false), "丰台 no longer sees it");
    assert_eq!(sees(&shunyi).await, (200, true, true), "顺义 does");
    let csrf = fengtai.csrf("/admin/feedback").await;
    let res = fengtai.post(&format!("/admin/feedback/{id}"), &[("csrf", &csrf), ("action", "publish")]).await;
    assert_eq!(res.status().as_u16(), 404);
    let res =
        fengtai.post("/admin/feedback/bulk", &[("csrf", &csrf), ("action", "publish"), ("id", &id.to_string())]).await;
    assert_eq!(location(&res), "/admin/feedback?done=nothing");
    assert_eq!(app.state.store.feedback_for(id, Role::CityAdmin).await.unwrap().unwrap().state.key(), "pending");

    // And back again.
    move_station(&admin, station, "110106").await;
    assert_eq!(sees(&fengtai).await, (200, true, true));
    assert_eq!(sees(&shunyi).await.0, 404);
}

// 11. CSV formulas.

#[tokio::test]
async fn csv_cells_never_start_a_formula() {
    let app = spawn_app().await;
    let name = r#"=HYPERLINK("http://evil.example","点我")"#;
    app.add(vec![station(name, 110115, "24/7", &["water"])]).await;
    for path in ["/api/stations.csv", "/api/stations.csv?district=110115"] {
        let bytes = app.get(path).await.bytes().await.unwrap();
        let mut reader = csv::Reader::from_reader(&bytes[3..]);
        let names: Vec<String> = reader.records().map(|r| r.unwrap()[1].to_string()).collect();
        assert!(names.contains(&format!("'{name}")), "{path}");
        assert!(names.iter().all(|n| !n.starts_with(['=', '+', '-', '@'])), "{path}");
    }
}

// 12 (rest). Form types and bidi controls.

#[tokio::test]
async fn forms_must_be_urlencoded() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    let csrf = browser.csrf("/admin/login").await;
    let body = format!("csrf={csrf}&username=admin&password=x");
    for kind in ["text/plain", "multipart/form-data; boundary=x", "application/json"] {
        let res = browser
            .client
            .post(format!("{}/admin/login", app.address))
            .header("Content-Type", kind)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let (status, html) = html_of(res).await;
        assert_eq!(status, 415, "{kind}");
        assert_eq!(text(&html, "h1"), "表单格式不对");
    }
    let res = browser.client.post(format!("{}/admin/login", app.address)).body(body).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 415, "no type at all");
}

#[tokio::test]
async fn bidi_controls_are_not_stored() {
    let app = spawn_app().await;
    let receipt =
        feedback(&Browser::new(&app), fengtai_station(&app), &[("body", "门\u{202E}关着\u{2066}呢\u{2069}")]).await;
    let stored = app.state.store.feedback_by_receipt(&receipt).await.unwrap().unwrap();
    assert_eq!(stored.body, "门关着呢");
}
