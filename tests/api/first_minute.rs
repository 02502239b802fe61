//! A worker's first minute: the home page's one-tap links, /near with the list's
//! filters, and the station page's first screen.

use yizhan::domain::coords::LatLon;
use yizhan::domain::station::Status;
use yizhan::domain::text::Phone;

use crate::helpers::*;

#[tokio::test]
async fn home_leads_to_the_nearest_open_station_with_one_tap() {
    let app = spawn_app().await;
    let (status, html) = app.page("/").await;
    assert_eq!(status, 200);
    // One primary action: without JavaScript it goes to the district choice on /near.
    assert_eq!(count(&html, ".hero a.button.primary"), 1);
    assert_eq!(attr(&html, ".hero a.button.primary", "href"), "/near");
    assert_eq!(attr(&html, ".hero a.button.primary", "data-locate"), "open_now=1");
    // The combinations are one tap each: the filtered list, or /near with a position.
    assert_eq!(
        attr(&html, ".quick a[data-locate='open_now=1&facility=toilet']", "href"),
        "/stations?open_now=1&facility=toilet"
    );
    for facility in ["toilet", "water", "charging", "microwave"] {
        let href = attr(&html, &format!(".quick a[data-locate='open_now=1&facility={facility}']"), "href");
        let (status, list) = app.page(&href).await;
        assert_eq!(status, 200, "{href}");
        assert!(texts(&list, ".stations .state").iter().all(|s| s.starts_with("营业中")), "{href}");
    }
    // The script that asks for the position, and the texts for when it cannot.
    let script = attr(&html, "script[src*='locate.js']", "src");
    assert_eq!(app.get(&script).await.status(), 200);
    assert!(!attr(&html, "#locate-status", "data-denied").is_empty());
    assert!(!attr(&html, "#locate-status", "data-unavailable").is_empty());
    assert!(!attr(&html, "#locate-status", "data-timeout").is_empty());
}

#[tokio::test]
async fn near_takes_the_list_filters() {
    let app = spawn_app().await;
    let mut with_toilet = station("有厕所的驿站", 110106, "24/7", &["toilet", "shower"]);
    with_toilet.position = Some(LatLon::new(39.8065, 116.3825).unwrap());
    let mut without = station("没有厕所的驿站", 110106, "24/7", &["water"]);
    without.position = Some(LatLon::new(39.8061, 116.3821).unwrap());
    app.add(vec![with_toilet, without]).await;
    let (status, html) = app.page("/near?lat=39.806&lon=116.382&facility=toilet").await;
    assert_eq!(status, 200);
    let names = texts(&html, ".near .station-name");
    assert_eq!(names.first().map(String::as_str), Some("有厕所的驿站"), "{names:?}");
    assert!(!names.iter().any(|n| n == "没有厕所的驿站"));
    // The facility asked for comes first on each card.
    let first_chips = texts(&html, ".near li:first-child .chip");
    assert_eq!(first_chips.first().map(String::as_str), Some("厕所"), "{first_chips:?}");
    // The filter is shown, and can be dropped.
    let drop = attr(&html, ".active-chips a.chip-remove", "href");
    assert!(!drop.contains("facility"), "{drop}");
    let (_, html) = app.page(&drop).await;
    assert!(texts(&html, ".near .station-name").iter().any(|n| n == "没有厕所的驿站"));
    // "Show closed ones too" keeps the filter.
    let (_, html) = app.page("/near?lat=39.806&lon=116.382&facility=toilet").await;
    assert!(attr(&html, "a.inline-action", "href").contains("facility=toilet"));
    // Navigation sits inside each card.
    assert_eq!(count(&html, ".near li.near-card"), count(&html, ".near li.near-card .nav-row a.nav-amap"));
    // A bad filter is a 400, as on the list.
    let (status, _) = app.page("/near?lat=39.806&lon=116.382&facility=teleporter").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn near_says_when_the_position_is_outside_beijing() {
    let app = spawn_app().await;
    // People's Square, Shanghai.
    let (status, html) = app.page("/near?lat=31.2304&lon=121.4737").await;
    assert_eq!(status, 200);
    let notice = text(&html, ".notice");
    assert!(notice.contains("不在北京"), "{notice}");
    assert!(notice.contains("公里"), "{notice}");
    let (_, html) = app.page("/near?lat=39.806&lon=116.382").await;
    assert_eq!(count(&html, ".notice"), 0, "no notice inside Beijing");
    // Without a position: a locate button (shown by the script) and the district list.
    let (_, html) = app.page("/near").await;
    assert_eq!(count(&html, "button[data-locate][hidden]"), 1);
    assert_eq!(count(&html, ".districts a"), 16);
}

#[tokio::test]
async fn station_first_screen_has_what_a_worker_looks_for() {
    let app = spawn_app().await;
    let mut s = station("第一屏驿站", 110106, "Mo-Fr 08:00-18:00; PH off", &["water", "toilet", "seats"]);
    s.phone = Some(Phone::parse("010-6758 1234").expect("phone"));
    let quiet = station("无电话驿站", 110106, "", &["water"]);
    let ids = app.add(vec![s, quiet]).await;
    let (status, html) = app.page(&format!("/stations/{}", ids[0])).await;
    assert_eq!(status, 200);
    let has = texts(&html, ".key-facilities li.has");
    let lacks = texts(&html, ".key-facilities li.lacks");
    assert_eq!(has.len(), 3, "{has:?}");
    assert_eq!(lacks.len(), 2, "{lacks:?}");
    assert!(has.iter().any(|h| h.contains("厕所")));
    // One navigation control holding the map apps; the phone beside it.
    assert_eq!(count(&html, "details.nav-choice"), 1);
    assert_eq!(count(&html, "details.nav-choice a.button"), 6);
    assert_eq!(count(&html, ".actions a.call[href^='tel:']"), 1);
    // The nine of the basic standard, named.
    assert_eq!(count(&html, ".basic-nine li"), 9);
    // The raw hours text only inside a details element.
    assert_eq!(count(&html, "details.raw-hours code"), 1);
    // No raw '|' in any link (Baidu's destination is encoded).
    let hrefs: Vec<String> =
        html.select(&sel("a[href]")).filter_map(|a| a.value().attr("href").map(String::from)).collect();
    assert!(hrefs.iter().all(|h| !h.contains('|')), "{:?}", hrefs.iter().find(|h| h.contains('|')));
    // Ratings carry their meaning.
    let ratings = texts(&html, ".ratings label");
    assert!(
        ratings.first().is_some_and(|r| r.contains('差')) && ratings.last().is_some_and(|r| r.contains("很好")),
        "{ratings:?}"
    );
    // No call-first advice where there is no phone.
    let (_, html) = app.page(&format!("/stations/{}", ids[1])).await;
    assert!(!html.html().contains("请先电话确认"));
    assert_eq!(count(&html, ".actions a.call"), 0);
}

#[tokio::test]
async fn a_temporarily_closed_station_suggests_open_ones_instead_of_navigation() {
    let app = spawn_app().await;
    let mut closed = station("装修中的驿站", 110106, "24/7", &["water"]);
    closed.position = Some(LatLon::new(39.8063, 116.3823).unwrap());
    closed.status =
        Status::TemporarilyClosed { reason: "装修".into(), until: chrono::NaiveDate::from_ymd_opt(2030, 1, 1) };
    let mut open = station("隔壁营业的驿站", 110106, "24/7", &["water"]);
    open.position = Some(LatLon::new(39.8066, 116.3826).unwrap());
    let ids = app.add(vec![closed, open]).await;
    let (status, html) = app.page(&format!("/stations/{}", ids[0])).await;
    assert_eq!(status, 200);
    assert!(text(&html, ".banner-closed").contains("装修"));
    let alternatives = texts(&html, ".alternatives li .station-name");
    assert_eq!(alternatives.len(), 3, "{alternatives:?}");
    assert_eq!(alternatives[0], "隔壁营业的驿站");
    assert!(!alternatives.iter().any(|a| a == "装修中的驿站"));
    assert_eq!(count(&html, "details.nav-choice"), 0, "no navigation to a closed station");
}
