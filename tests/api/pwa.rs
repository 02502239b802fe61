//! The site as an installable web app: its manifest, icons and service worker.

use crate::helpers::*;
use scraper::Html;

/// `href` resolved against `base` (a path on the site).
fn resolve(base: &str, href: &str) -> String {
    if href.starts_with('/') { href.to_string() } else { format!("{}{href}", &base[..=base.rfind('/').unwrap_or(0)]) }
}

#[tokio::test]
async fn every_page_links_a_manifest_that_installs_the_site_with_its_icons() {
    let app = spawn_app().await;
    for path in ["/", "/stations", "/map", "/admin/login"] {
        let (status, html) = app.page(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(attr(&html, "link[rel=manifest]", "href").starts_with("/static/manifest.webmanifest?v="), "{path}");
        assert!(attr(&html, "script[src^='/static/sw-register.js']", "src").contains("?v="), "{path}");
    }
    let (_, html) = app.page("/").await;
    let href = attr(&html, "link[rel=manifest]", "href");
    let res = app.get(&href).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], "application/manifest+json");
    let manifest: serde_json::Value = res.json().await.expect("manifest is JSON");
    assert_eq!(manifest["name"], "北京工会户外劳动者驿站");
    assert_eq!(manifest["short_name"], "驿站");
    assert_eq!(manifest["start_url"], "/");
    assert_eq!(manifest["scope"], "/");
    assert_eq!(manifest["display"], "standalone");
    assert_eq!(manifest["theme_color"], "#b3261e");
    let icons = manifest["icons"].as_array().expect("icons");
    let has = |size: &str, purpose: &str| icons.iter().any(|i| i["sizes"] == size && i["purpose"] == purpose);
    assert!(has("192x192", "any") && has("512x512", "any") && has("512x512", "maskable"), "{icons:?}");
    let path = href.split('?').next().unwrap_or_default().to_string();
    for icon in icons {
        let url = resolve(&path, icon["src"].as_str().expect("src"));
        let res = app.get(&url).await;
        assert_eq!(res.status().as_u16(), 200, "{url}");
        assert_eq!(res.headers()["content-type"], "image/png", "{url}");
        let bytes = res.bytes().await.expect("icon");
        let size: u32 =
            icon["sizes"].as_str().and_then(|s| s.split('x').next()).and_then(|w| w.parse().ok()).expect("size");
        // A PNG's width is the big-endian number at bytes 16..20 (its IHDR chunk).
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{url}");
        assert_eq!(u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]), size, "{url}");
    }
}

#[tokio::test]
async fn the_service_worker_is_served_from_the_root_never_cached_and_named_for_the_release() {
    let app = spawn_app().await;
    let res = app.get("/sw.js").await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["cache-control"], "no-cache");
    assert_eq!(res.headers()["content-type"], "text/javascript; charset=utf-8");
    assert!(res.headers().get("service-worker-allowed").is_none(), "not needed at the root");
    let body = res.text().await.expect("body");
    assert!(!body.contains("__RELEASE__") && !body.contains("__SHELL_FILES__"), "filled in: {body}");
    let release = body.split("var RELEASE = '").nth(1).and_then(|r| r.split('\'').next()).expect("release");
    assert_eq!(release, app.state.assets.release());
    assert_eq!(release.len(), 16);
    // Every file of the shell it keeps is there, by its versioned URL.
    let shell = body.split("var SHELL_FILES = ").nth(1).and_then(|r| r.split(';').next()).expect("shell");
    let shell: Vec<String> = serde_json::from_str(shell).expect("shell is a JSON list");
    assert!(shell.len() >= 10, "{shell:?}");
    for url in &shell {
        assert!(url.starts_with("/static/") && url.contains("?v="), "{url}");
        assert_eq!(app.get(url).await.status().as_u16(), 200, "{url}");
    }
    assert!(shell.iter().any(|u| u.starts_with("/static/app.css?v=")), "{shell:?}");
    // HEAD answers as GET does.
    let head = app.client.head(format!("{}/sw.js", app.address)).send().await.expect("head");
    assert_eq!(head.status().as_u16(), 200);
}

/// Stations as long as real ones: a name of 12 characters, a street address of about
/// 25, a mobile number, several facilities and one of a few opening hours.
fn realistic(i: usize) -> yizhan::domain::station::Station {
    let hours = ["Mo-Fr 08:00-18:00; PH off", "24/7", "Mo-Su 07:30-20:30", "Mo-Sa 09:00-17:30; Su off; PH off"];
    let facilities: &[&str] = match i % 3 {
        0 => &["water", "toilet", "charging", "microwave", "seats"],
        1 => &["water", "charging", "seats", "first_aid"],
        _ => &["water", "toilet", "seats"],
    };
    let mut s = station(&format!("丰台区卢沟桥街道第{i:04}号暖心驿站"), 110106, hours[i % hours.len()], facilities);
    s.address = format!("北京市丰台区卢沟桥街道小屯路{}号院{}号楼一层东侧", 100 + i, i % 30 + 1);
    s.phone =
        Some(yizhan::domain::text::Phone::parse(&format!("1{:010}", 3_800_000_000u64 + i as u64)).expect("phone"));
    s.position =
        yizhan::domain::coords::LatLon::new(39.80 + (i % 100) as f64 * 0.001, 116.20 + (i / 100) as f64 * 0.001).ok();
    s
}

#[tokio::test]
async fn a_saved_district_holds_14_days_of_hours_and_1500_stations_fit_in_200_kb() {
    let app = spawn_app_at(at("2026-12-07 14:05")).await;
    let mut stations: Vec<_> = (0..1500).map(realistic).collect();
    let mut closed = station("临时闭站的驿站", 110106, "24/7", &["water"]);
    closed.status = yizhan::domain::station::Status::TemporarilyClosed { reason: "装修".into(), until: None };
    let mut revoked = station("已撤销的驿站", 110106, "24/7", &["water"]);
    revoked.status = yizhan::domain::station::Status::Revoked;
    stations.push(closed);
    stations.push(revoked);
    app.add(stations).await;

    let res = app.get("/api/districts/110106/offline").await;
    assert_eq!(res.status().as_u16(), 200);
    let tag = res.headers()["etag"].to_str().expect("etag").to_string();
    let raw = res.bytes().await.expect("body");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &raw).expect("gzip");
    let gzipped = gz.finish().expect("gzip").len();
    println!("1,500 stations: {} bytes as JSON, {gzipped} gzipped", raw.len());
    assert!(gzipped <= 200 * 1024, "{gzipped} bytes gzipped");

    let file: serde_json::Value = serde_json::from_slice(&raw).expect("JSON");
    let from = at("2026-12-07 00:00");
    assert_eq!((file["from"].as_i64(), file["until"].as_i64()), (Some(from), Some(from + 14 * 86_400)));
    assert_eq!(file["name"], "丰台区");
    let list = file["stations"].as_array().expect("stations");
    let named = |name: &str| list.iter().find(|s| s["name"] == name);
    assert!(named("已撤销的驿站").is_none(), "a revoked station is not kept");
    let closed = named("临时闭站的驿站").expect("kept, as out of service");
    assert_eq!(closed["status"], "temporarily_closed");
    assert!(closed.get("h").is_none(), "never open while closed, whatever its hours: {closed}");
    // A 24/7 station is open the whole 14 days; a weekday station on weekdays only,
    // from the server's hours (Monday 7 December 2026, 08:00–18:00 = minutes 480–1080).
    let hours = file["hours"].as_array().expect("hours");
    let of = |name: &str| &hours[named(name).expect(name)["h"].as_u64().expect("h") as usize];
    assert_eq!(of("丰台区卢沟桥街道第0001号暖心驿站")["open"], serde_json::json!([[0, 14 * 1440]]));
    let weekday = &of("丰台区卢沟桥街道第0000号暖心驿站")["open"];
    assert_eq!(weekday[0], serde_json::json!([480, 1080]));
    assert_eq!(weekday.as_array().map(Vec::len), Some(10), "two working weeks: {weekday}");
    let used: std::collections::BTreeSet<u64> = list
        .iter()
        .filter(|s| s["name"].as_str().is_some_and(|n| n.starts_with("丰台区卢沟桥街道第")))
        .filter_map(|s| s["h"].as_u64())
        .collect();
    assert_eq!(used.len(), 4, "1,500 stations with 4 kinds of hours share 4 entries");
    let first = named("丰台区卢沟桥街道第0000号暖心驿站").expect("kept");
    let facilities = file["facilities"].as_array().expect("facilities");
    let keys: Vec<&str> = first["f"]
        .as_array()
        .expect("f")
        .iter()
        .map(|i| facilities[i.as_u64().unwrap() as usize].as_str().unwrap())
        .collect();
    assert!(keys.contains(&"water") && keys.contains(&"seats"), "{keys:?}");
    assert!(first["phone"].as_str().is_some_and(|p| p.len() == 11), "{first}");

    // Unchanged data: 304 to the same tag.
    let again = app
        .client
        .get(format!("{}/api/districts/110106/offline", app.address))
        .header("If-None-Match", &tag)
        .send()
        .await;
    assert_eq!(again.expect("answer").status().as_u16(), 304);
    // A district code that is not one: 400 JSON.
    let (status, body) = app.json("/api/districts/999999/offline").await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("bad_param")));
}

/// A form kept on the phone sends itself: it asks for a fresh CSRF token, posts with
/// `Accept: application/json` and reads the answer (201 with the receipt; the same
/// submission key again, 200 with the same receipt; a refusal as JSON with its reason).
#[tokio::test]
async fn a_kept_form_sends_itself_with_a_fresh_token_and_reads_json_answers() {
    let app = spawn_app().await;
    let id = seed_id(&app, "");
    let mut revoked = station("已撤销的驿站", 110106, "24/7", &["water"]);
    revoked.status = yizhan::domain::station::Status::Revoked;
    let gone = app.add(vec![revoked]).await[0];
    let phone = Browser::new(&app);
    // The token: JSON, never cached, with the cookie it belongs to.
    let res = phone.get("/feedback/token").await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let token: serde_json::Value = res.json().await.expect("JSON");
    let csrf = token["csrf"].as_str().expect("csrf").to_string();
    assert!(phone.cookie("yz_csrf").is_some(), "the cookie the token belongs to");
    assert_eq!(phone.get("/feedback/token").await.json::<serde_json::Value>().await.expect("JSON")["csrf"], csrf);

    let key = "0123456789abcdef0123456789abcdef";
    let send = |station: i64, key: &'static str, body: &'static str, csrf: String| {
        let phone = &phone;
        async move {
            let mut pairs = vec![("csrf", csrf.as_str()), ("submission", key)];
            pairs.extend(crate::feedback::fields(&[("body", body)]));
            let form = encode(&pairs);
            let res = phone
                .client
                .post(format!("{}/stations/{station}/feedback", phone.base))
                .header("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
                .header("Accept", "application/json")
                .body(form)
                .send()
                .await
                .expect("post");
            let status = res.status().as_u16();
            (status, res.json::<serde_json::Value>().await.expect("a JSON answer"))
        }
    };
    let (status, first) = send(id, key, "地下车库没信号时写的", csrf.clone()).await;
    assert_eq!(status, 201, "{first}");
    let receipt = first["receipt"].as_str().expect("receipt").to_string();
    assert!(app.state.store.feedback_by_receipt(&receipt).await.expect("store").is_some());
    let (status, again) = send(id, key, "地下车库没信号时写的", csrf.clone()).await;
    assert_eq!((status, again["receipt"].as_str()), (200, Some(receipt.as_str())), "stored once");
    // Another key from the same page is another feedback.
    let (status, other) = send(id, "fedcba9876543210fedcba9876543210", "第二条", csrf.clone()).await;
    assert_eq!(status, 201);
    assert_ne!(other["receipt"], first["receipt"]);

    let (status, refused) = send(id, "1111111111111111aaaaaaaaaaaaaaaa", "", csrf.clone()).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (400, Some("invalid")), "{refused}");
    assert!(!refused["error"]["message"].as_str().unwrap_or_default().is_empty(), "a reason to show: {refused}");
    assert_eq!(refused["error"]["fields"][0]["field"], "body", "{refused}");
    let (status, forbidden) = send(id, "2222222222222222aaaaaaaaaaaaaaaa", "有内容", "0".repeat(32)).await;
    assert_eq!(status, 403, "{forbidden}");
    assert!(!forbidden["error"]["message"].as_str().unwrap_or_default().is_empty(), "{forbidden}");
    let (status, ended) = send(gone, "3333333333333333aaaaaaaaaaaaaaaa", "有内容", csrf.clone()).await;
    assert_eq!(status, 410, "{ended}");
    assert!(!ended["error"]["message"].as_str().unwrap_or_default().is_empty(), "{ended}");
}

/// The offline page, the outbox and the "save my district" panel carry the words their
/// script writes with, in the reader's language; every page carries the hidden line a
/// kept page shows offline.
#[tokio::test]
async fn offline_pages_carry_their_words_and_every_page_its_offline_line() {
    let app = spawn_app().await;
    for (path, zh, en) in
        [("/offline", "离线查看", "Offline"), ("/feedback/outbox", "待发送的反馈", "Feedback waiting to be sent")]
    {
        let (status, html) = app.page(path).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(text(&html, "h1"), zh);
        let words: serde_json::Value =
            serde_json::from_str(&attr(&html, "#offline, #outbox", "data-offline-words")).expect("words JSON");
        assert_eq!(words["offline.open_until"], "开放中 · %{when} 关门", "{path}");
        assert_eq!(words["facility.toilet"], "厕所");
        assert_eq!(words["months"][11], "12月");
        assert!(attr(&html, "script[src^='/static/offline.js']", "src").contains("?v="), "{path}");
        let res = app.get_en(path).await;
        let html = Html::parse_document(&res.text().await.expect("body"));
        assert_eq!(text(&html, "h1"), en);
        let words: serde_json::Value =
            serde_json::from_str(&attr(&html, "#offline, #outbox", "data-offline-words")).expect("words JSON");
        assert_eq!(words["outbox.pending_n_one"], "1 feedback item is waiting for a signal", "{path}");
        assert_eq!(words["months"][11], "Dec");
    }
    let (_, html) = app.page("/feedback/outbox?saved=1").await;
    assert!(html.select(&sel("p.outbox-saved:not([hidden])")).next().is_some(), "said when just kept");
    // The panel is hidden until the script shows it (no service worker, no JavaScript:
    // nothing to press); the list's panel has the list's district chosen.
    let (_, home) = app.page("/").await;
    assert_eq!(count(&home, "section#offline-save[hidden] select#save-district option"), 16);
    // Each with how many stations a save holds.
    let fengtai = app
        .state
        .snapshot
        .load()
        .entries()
        .iter()
        .filter(|e| e.station.district.code == 110106 && e.station.is_public())
        .count();
    assert_eq!(text(&home, "#save-district option[value='110106']"), format!("丰台区（{fengtai}个驿站）"));
    let (_, list) = app.page("/stations?district=110106").await;
    assert_eq!(attr(&list, "#save-district option[selected]", "value"), "110106");
    for path in ["/", "/stations", "/feedback/mine", "/offline"] {
        let (_, html) = app.page(path).await;
        assert_eq!(attr(&html, "body > p.offline-line[hidden]", "data-when"), "%{mon}%{d}日 %{time}", "{path}");
        assert!(text(&html, "p.offline-line").contains("离线显示 · %{when} 的信息"), "{path}");
    }
    // The shell the worker keeps holds both pages and the script that draws them.
    let sw = app.get("/sw.js").await.text().await.expect("body");
    assert!(sw.contains("var SHELL_PAGES = ['/offline', '/feedback/outbox'];"), "{sw}");
    assert!(sw.contains(app.state.assets.url("offline.js")), "offline.js kept");
}

/// The release's name can be set, so that phones fetch the shell again (and a test can
/// make a new release without changing a file).
#[tokio::test]
async fn a_release_name_set_by_the_operator_names_the_kept_shell() {
    let app = spawn_app_with(|c| c.release = Some("2026-12-07.2".into())).await;
    assert_eq!(app.state.assets.release(), "2026-12-07.2");
    let sw = app.get("/sw.js").await.text().await.expect("body");
    assert!(sw.contains("var RELEASE = '2026-12-07.2';"));
    // A name that does not fit a cache name keeps the hash.
    let app = spawn_app_with(|c| c.release = Some("<script>".into())).await;
    assert_eq!(app.state.assets.release().len(), 16);
}

/// A saved district names each station's street, to sort by without a position.
#[tokio::test]
async fn a_saved_district_names_each_station_s_street() {
    let app = spawn_app().await;
    let snapshot = app.state.snapshot.load();
    let (district, street) = snapshot
        .entries()
        .iter()
        .filter(|e| e.station.is_public())
        .find_map(|e| {
            e.station
                .street_code
                .as_deref()
                .and_then(|c| snapshot.street(c))
                .map(|s| (e.station.district.code, s.name.clone()))
        })
        .expect("a seed station with a street");
    let (status, file) = app.json(&format!("/api/districts/{district}/offline")).await;
    assert_eq!(status, 200);
    let streets: Vec<&str> =
        file["stations"].as_array().expect("stations").iter().filter_map(|s| s["st"].as_str()).collect();
    assert!(streets.contains(&street.as_str()), "{streets:?}");
}

/// A district's file is kept per data version and day, gzipped: a client that takes
/// gzip gets the kept bytes, another the same JSON unpacked, and a change to the data
/// is in the next answer.
#[tokio::test]
async fn a_kept_district_file_follows_the_data_packed_or_not() {
    let app = spawn_app_at(at("2026-12-07 14:05")).await;
    let (status, first) = app.json("/api/districts/110106/offline").await;
    assert_eq!(status, 200);
    assert_eq!(first["made_at"].as_i64(), Some(at("2026-12-07 14:05")));
    let packed = app
        .client
        .get(format!("{}/api/districts/110106/offline", app.address))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .expect("answer");
    assert_eq!(packed.headers()["content-encoding"], "gzip");
    assert_eq!(packed.headers()["vary"], "Accept-Encoding");
    let packed_tag = packed.headers()["etag"].to_str().expect("tag").to_string();
    let bytes = packed.bytes().await.expect("body");
    let mut plain = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut plain).expect("gzip");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&plain).expect("JSON"), first, "the same file");
    let (_, again) = app.json("/api/districts/110106/offline").await;
    assert_eq!(again, first, "the same data and day: the same file");
    let unpacked_tag =
        app.get("/api/districts/110106/offline").await.headers()["etag"].to_str().expect("tag").to_string();
    assert_ne!(packed_tag, unpacked_tag, "different bytes, different tags");
    app.add(vec![station("离线缓存后新加的驿站", 110106, "24/7", &["water"])]).await;
    let (_, after) = app.json("/api/districts/110106/offline").await;
    let names: Vec<&str> =
        after["stations"].as_array().expect("stations").iter().filter_map(|s| s["name"].as_str()).collect();
    assert!(names.contains(&"离线缓存后新加的驿站"), "{names:?}");
    assert_eq!(after["stations"].as_array().map(Vec::len), first["stations"].as_array().map(|s| s.len() + 1));
}
