//! `/metrics` on its own address: the names an operator scrapes, and requests counted
//! by route pattern, never by raw path.

use crate::feedback::send_feedback;
use crate::helpers::*;

#[tokio::test]
async fn metrics_are_scraped_on_their_own_address_by_route_pattern() {
    let app = spawn_app_with(|c| {
        c.metrics_bind = Some("127.0.0.1:0".into());
        c.feedback_per_hour = 1;
    })
    .await;
    let metrics = app.metrics.clone().expect("a metrics listener");
    // Not on the public address.
    assert_eq!(app.get("/metrics").await.status().as_u16(), 404);
    // 100 different station ids, known or not.
    let known = seed_id(&app, "刘村");
    for id in (known..).take(100) {
        let status = app.get(&format!("/stations/{id}")).await.status().as_u16();
        assert!(status == 200 || status == 404, "{id}: {status}");
    }
    // A per-address limit refuses the second feedback.
    let worker = Browser::new(&app);
    assert_eq!(send_feedback(&worker, known, &[]).await.0.status().as_u16(), 303);
    assert_eq!(send_feedback(&worker, known, &[]).await.0.status().as_u16(), 429);

    let res = app.client.get(format!("{metrics}/metrics")).send().await.expect("scrape");
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let text = res.text().await.expect("body");
    for name in [
        "yizhan_http_requests_total",
        "yizhan_http_request_duration_seconds_bucket",
        "yizhan_snapshot_stations",
        "yizhan_snapshot_data_version",
        "yizhan_snapshot_age_seconds",
        "yizhan_snapshot_full_reloads",
        "yizhan_data_version_poll_age_seconds",
        "yizhan_db_connections_in_use",
        "yizhan_db_connections_open",
        "yizhan_write_failures",
        "yizhan_busy_answers_total",
        "yizhan_rate_limited_total{limit=\"feedback\"} 1",
        "yizhan_upload_slots_in_use",
        "yizhan_ledger_slots_in_use",
        "yizhan_moderation_backlog{kind=\"feedback\"} 1",
        "yizhan_panics",
    ] {
        assert!(text.contains(name), "{name} missing from:\n{text}");
    }
    // One route label for the 100 ids: the pattern, never a raw path.
    assert!(!text.lines().any(|l| l.contains("route=\"/stations/") && !l.contains("route=\"/stations/{id}")), "{text}");
    let station_gets: u64 = text
        .lines()
        .filter(|l| l.starts_with("yizhan_http_requests_total{") && l.contains("route=\"/stations/{id}\""))
        .filter(|l| l.contains("method=\"GET\""))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(station_gets, 100 + 2, "100 station pages and the two feedback forms' pages");
    let stations = text.lines().find(|l| l.starts_with("yizhan_snapshot_stations ")).unwrap();
    assert_eq!(stations, format!("yizhan_snapshot_stations {}", app.state.snapshot.load().public_count()));
    assert!(text.contains("yizhan_busy_answers_total 1"), "the 429 counted as busy");
}

#[tokio::test]
async fn readyz_says_ready_and_why_not_when_the_database_is_gone() {
    let app = spawn_app().await;
    let (status, body) = app.json("/readyz").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ready");
    assert_eq!(body["writes"], "ok");
    assert!(body["last_poll_seconds_ago"].as_f64().is_some_and(|s| s < 3.0), "{body}");
    let (_, health) = app.json("/healthz").await;
    assert_eq!(health["writes"], "ok");
    // The database goes away: not ready, with the reason; the snapshot still serves pages.
    app.state.store.close().await;
    let res = app.get("/readyz").await;
    assert_eq!(res.status().as_u16(), 503);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["status"], "not_ready");
    let reasons = body["reasons"].as_array().expect("reasons");
    assert!(reasons.iter().any(|r| r.as_str().unwrap_or_default().contains("database")), "{body}");
    assert_eq!(app.get("/stations").await.status().as_u16(), 200, "reads go on from the snapshot");
}
