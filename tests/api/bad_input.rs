//! Bad input gets a clear 4xx in the layout (or JSON under /api), never a 500,
//! and the server keeps serving with nothing lost.

use crate::helpers::*;

async fn expect_400(app: &TestApp, path: &str, needle: &str) {
    let (status, html) = app.page(path).await;
    assert_eq!(status, 400, "{path}");
    assert_eq!(count(&html, "header.top"), 1, "{path}: error inside the layout");
    let message = text(&html, ".error-message");
    assert!(message.contains(needle), "{path}: {message:?} should mention {needle:?}");
}

#[tokio::test]
async fn bad_station_ids() {
    let app = spawn_app().await;
    // A path that names no station is "not found", like an id no station has.
    for path in
        ["/stations/abc", "/stations/99999999999999999999999", "/stations/0", "/stations/-3", "/stations/987654"]
    {
        let (status, html) = app.page(path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(count(&html, "header.top"), 1, "{path}: error inside the layout");
        assert_eq!(text(&html, "h1"), "找不到这个页面", "{path}");
    }
    let (status, _) = app.page("/no/such/page").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn bad_list_parameters() {
    let app = spawn_app().await;
    expect_400(&app, "/stations?page=-1", "-1").await;
    expect_400(&app, "/stations?page=99999999999", "99999999999").await;
    expect_400(&app, "/stations?page=two", "two").await;
    expect_400(&app, "/stations?facility=jacuzzi", "jacuzzi").await;
    expect_400(&app, "/stations?district=999999", "999999").await;
    expect_400(&app, "/stations?district=110106&street=110101003", "110101003").await;
    expect_400(&app, "/stations?street=110106999", "110106999").await;
    expect_400(&app, "/stations?host=castle", "castle").await;
    expect_400(&app, "/stations?open_now=maybe", "maybe").await;
    expect_400(&app, &format!("/stations?q={}", "a".repeat(10_000)), "100").await;
    expect_400(&app, &format!("/stations?q={}", "%E9%A9%BF".repeat(3_000)), "100").await;
    expect_400(&app, "/stations?q=%FF%FE%FD", "UTF-8").await;
    expect_400(&app, "/stations?%FF=1", "UTF-8").await;
    // The value in an error message is escaped like everything else.
    let res = app.get("/stations?facility=%3Cscript%3Ealert(1)%3C/script%3E").await;
    assert_eq!(res.status().as_u16(), 400);
    let raw = res.text().await.unwrap();
    assert!(!raw.contains("<script>alert(1)"), "reflected markup is escaped");
    let html = scraper::Html::parse_document(&raw);
    assert!(text(&html, ".error-message").contains("<script>alert(1)"), "shown as text");
    assert_eq!(count(&html, "script"), 0);
}

#[tokio::test]
async fn markup_and_sql_in_search_are_just_text() {
    let app = spawn_app().await;
    let res = app.get("/stations?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E").await;
    assert_eq!(res.status().as_u16(), 200);
    let raw = res.text().await.unwrap();
    assert!(!raw.contains("<script>alert(1)"));
    let html = scraper::Html::parse_document(&raw);
    assert_eq!(attr(&html, "#f-q", "value"), "<script>alert(1)</script>", "kept in the search box, escaped");
    assert_eq!(count(&html, ".station"), 0);

    for q in ["'%20OR%201=1%20--", "%22%3B%20DROP%20TABLE%20stations%3B%20--", "%25", "_", "%5C"] {
        let (status, html) = app.page(&format!("/stations?q={q}")).await;
        assert_eq!(status, 200, "q={q}");
        assert_eq!(count(&html, ".station"), 0, "q={q} matches nothing");
    }
    assert_eq!(app.state.store.station_count().await.unwrap(), 18, "nothing lost");
    let (_, body) = app.json("/healthz").await;
    assert_eq!(body["stations"], 18);
}

#[tokio::test]
async fn api_errors_are_json() {
    let app = spawn_app().await;
    let (status, body) = app.json("/api/stations?facility=jacuzzi").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["param"], "facility");
    assert_eq!(body["error"]["value"], "jacuzzi");
    assert_eq!(body["error"]["code"], "bad_param");
    assert!(body["error"]["message"].as_str().unwrap().contains("jacuzzi"));
    for path in
        ["/api/stations?page=0", "/api/stations?per_page=1000", "/api/stations?q=%FF", "/api/stations?district=1"]
    {
        let (status, body) = app.json(path).await;
        assert_eq!(status, 400, "{path}");
        assert_eq!(body["error"]["status"], 400, "{path}");
    }
    let (status, body) = app.json("/api/nothing-here").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn oversized_body_and_wrong_method() {
    let app = spawn_app().await;
    let res = app.client.post(format!("{}/stations", app.address)).body(vec![b'a'; 200_000]).send().await.unwrap();
    let status = res.status().as_u16();
    assert!((400..500).contains(&status), "POST with a large body: {status}");
    let (status, _) = app.page("/healthz").await;
    assert_eq!(status, 200, "still serving");
}
