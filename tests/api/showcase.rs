//! The showcase of model stations (issue 15): the list by level and year, filters,
//! one station's page with its story, share cards, and staff writing the story.

use yizhan::domain::station::{Honour, HonourLevel, Status};

use crate::admin::{signed_in_admin, signed_in_fengtai};

use crate::helpers::*;

fn honour(level: HonourLevel, year: i32) -> Honour {
    Honour { level, year, title: "最美工会户外劳动者服务站点".into() }
}

/// Four stations in 延庆 (no seed station there): national 2023, municipal 2025 and
/// 2022, and one without honours.
async fn yanqing(app: &TestApp) -> Vec<i64> {
    let mut national = station("延庆国家级驿站", 110119, "24/7", &["water", "toilet"]);
    national.honours = vec![honour(HonourLevel::Municipal, 2021), honour(HonourLevel::National, 2023)];
    national.services = "免费饮水；手机充电".into();
    let mut newer = station("延庆市级新驿站", 110119, "24/7", &["water"]);
    newer.honours = vec![honour(HonourLevel::Municipal, 2025)];
    let mut older = station("延庆市级老驿站", 110119, "24/7", &["water"]);
    older.honours = vec![honour(HonourLevel::Municipal, 2022)];
    let plain = station("延庆普通驿站", 110119, "24/7", &["water"]);
    app.add(vec![national, newer, older, plain]).await
}

#[tokio::test]
async fn honoured_stations_are_shown_by_level_then_year_and_filtered() {
    let app = spawn_app().await;
    let ids = yanqing(&app).await;
    let (status, html) = app.page("/showcase?district=110119").await;
    assert_eq!(status, 200);
    assert_clean_frame(&html);
    assert_eq!(texts(&html, ".showcase-group h2"), vec!["全国", "北京市"]);
    assert_eq!(texts(&html, ".showcase-name"), vec!["延庆国家级驿站", "延庆市级新驿站", "延庆市级老驿站"]);
    assert_eq!(text(&html, "#count"), "共 3 个驿站");
    // Honours of one station, highest level first.
    let first = html.select(&sel(".showcase-card")).next().unwrap();
    let lines: Vec<String> = first.select(&sel(".honours li")).map(|li| li.text().collect()).collect();
    assert_eq!(lines[0], "2023 · 全国 · 最美工会户外劳动者服务站点", "{lines:?}");
    assert_eq!(attr(&html, ".showcase-card a", "href"), format!("/showcase/{}", ids[0]));
    // Municipal level: the national station is listed there too, by its municipal honour.
    let (_, html) = app.page("/showcase?district=110119&level=municipal").await;
    assert_eq!(texts(&html, ".showcase-group h2"), vec!["北京市"]);
    assert_eq!(texts(&html, ".showcase-name"), vec!["延庆市级新驿站", "延庆市级老驿站", "延庆国家级驿站"]);
    // The city-wide list holds the seed's honoured stations too; none without honours.
    let (_, html) = app.page("/showcase").await;
    let honoured = app.state.snapshot.load().entries().iter().filter(|e| !e.station.honours.is_empty()).count();
    assert_eq!(count(&html, ".showcase-card"), honoured);
    assert!(!texts(&html, ".showcase-name").contains(&"延庆普通驿站".to_string()));
    // A card for sharing, with an absolute address.
    assert_eq!(attr(&html, "meta[property='og:title']", "content"), "最美驿站");
    assert!(attr(&html, "meta[property='og:url']", "content").ends_with("/showcase"));
    assert!(attr(&html, "meta[property='og:url']", "content").starts_with("http"));
    // Nothing matches: an empty state; bad filters: 400.
    let (status, html) = app.page("/showcase?district=110119&level=district").await;
    assert_eq!(status, 200);
    assert_eq!(count(&html, ".empty"), 1);
    for bad in ["/showcase?district=999", "/showcase?level=galactic", "/showcase?page=0", "/showcase?page=x"] {
        assert_eq!(app.page(bad).await.0, 400, "{bad}");
    }
    // English.
    let (_, en) = app.page_en("/showcase?district=110119").await;
    assert_eq!(text(&en, "h1"), "Model stations");
    assert_eq!(texts(&en, ".showcase-group h2"), vec!["National", "Beijing"]);
}

#[tokio::test]
async fn a_station_s_story_is_written_by_staff_and_shown_as_plain_paragraphs() {
    let app = spawn_app().await;
    let ids = yanqing(&app).await;
    let (status, html) = app.page(&format!("/showcase/{}", ids[0])).await;
    assert_eq!(status, 200);
    assert_clean_frame(&html);
    assert_eq!(text(&html, "h1"), "延庆国家级驿站");
    assert_eq!(count(&html, ".story"), 0, "no story yet");
    assert_eq!(texts(&html, "[data-facility]").len(), 2);
    assert_eq!(texts(&html, ".showcase-station ul:not(.honours):not(.chips) li"), vec!["免费饮水", "手机充电"]);
    assert_eq!(attr(&html, "meta[name='twitter:card']", "content"), "summary", "no photo, a small card");

    // Staff write it: paragraphs, markup kept as text.
    let admin = signed_in_admin(&app).await;
    let path = format!("/admin/stations/{}", ids[0]);
    let csrf = admin.csrf(&path).await;
    let story = "驿站建在加油站旁边，\n热水一直不断。\n\n<script>alert(1)</script>骑手说：“这里像家。”";
    let res = admin.post(&format!("{path}/story"), &[("csrf", csrf.as_str()), ("story", story)]).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), format!("{path}?done=story"));
    let (_, html) = app.page(&format!("/showcase/{}", ids[0])).await;
    let paragraphs = texts(&html, ".story p");
    assert_eq!(paragraphs.len(), 2, "{paragraphs:?}");
    assert!(paragraphs[1].starts_with("<script>alert(1)</script>"), "shown as text: {paragraphs:?}");
    assert_eq!(count(&html, ".story script"), 0);
    assert!(attr(&html, "meta[name=description]", "content").starts_with("驿站建在加油站旁边"));
    assert_eq!(attr(&html, "meta[property='og:title']", "content"), "延庆国家级驿站 · 最美驿站");
    assert!(attr(&html, "meta[property='og:url']", "content").ends_with(&format!("/showcase/{}", ids[0])));
    // Audited, with the field named.
    let (_, audit) = admin.page("/admin/audit").await;
    assert!(texts(&audit, ".audit-line p strong").iter().any(|a| a == "编辑展示故事"));
    // The same text again changes nothing; too long is refused; no token is refused;
    // another district's staff cannot reach it.
    let csrf = admin.csrf(&path).await;
    let res = admin.post(&format!("{path}/story"), &[("csrf", csrf.as_str()), ("story", story)]).await;
    assert_eq!(location(&res), format!("{path}?done=nothing"));
    let long = "长".repeat(5_001);
    let res = admin.post(&format!("{path}/story"), &[("csrf", csrf.as_str()), ("story", long.as_str())]).await;
    assert_eq!(res.status().as_u16(), 400);
    let res = admin.post(&format!("{path}/story"), &[("story", "x")]).await;
    assert_eq!(res.status().as_u16(), 403);
    let fengtai = signed_in_fengtai(&app).await;
    let csrf = fengtai.csrf("/admin/stations").await;
    let res = fengtai.post(&format!("{path}/story"), &[("csrf", csrf.as_str()), ("story", "x")]).await;
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(app.state.store.station(ids[0]).await.unwrap().unwrap().story, story.replace("\r\n", "\n"));

    // A station with neither honours nor story has no showcase page; unknown ids are
    // not found; a revoked station is gone.
    assert_eq!(app.page(&format!("/showcase/{}", ids[3])).await.0, 404);
    assert_eq!(app.page("/showcase/999999").await.0, 404);
    assert_eq!(app.page("/showcase/abc").await.0, 404);
    let mut revoked = app.state.store.station(ids[1]).await.unwrap().unwrap();
    let before = revoked.clone();
    revoked.status = Status::Revoked;
    app.state.store.save_station(&before, &revoked, "revoke", None, app.state.clock.now()).await.unwrap();
    app.state.catch_up().await.unwrap();
    assert_eq!(app.page(&format!("/showcase/{}", ids[1])).await.0, 410);
    let (_, html) = app.page("/showcase?district=110119").await;
    assert!(!texts(&html, ".showcase-name").contains(&"延庆市级新驿站".to_string()));
}
