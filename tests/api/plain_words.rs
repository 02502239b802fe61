//! The words people read on their phones: no opening-hours code, no coordinates, no
//! form labels in read-only views, the district said once, the way to the next
//! station a link; and "my feedback" kept on the phone.

use yizhan::domain::coords::LatLon;

use crate::admin::{signed_in_admin, signed_in_fengtai};
use crate::feedback::{feedback, feedback_id, fengtai_station};
use crate::helpers::*;
use crate::supervise::fengtai_supervisor;

#[tokio::test]
async fn the_report_form_gives_the_listed_hours_in_words() {
    let app = spawn_app_at(monday_morning()).await;
    let station = station("丰台全天站", 110106, "24/7; PH off", &["water", "toilet"]);
    let id = app.add(vec![station]).await[0];
    let staff = signed_in_fengtai(&app).await;
    let supervisor = fengtai_supervisor(&app, &staff, "words").await;
    let (status, html) = supervisor.page(&format!("/supervise/stations/{id}/report")).await;
    assert_eq!(status, 200);
    let hours = text(&html, ".listed-hours");
    assert!(!hours.contains("24/7") && !hours.contains("PH"), "{hours}");
    assert!(hours.contains("每天") && hours.contains("法定节假日"), "{hours}");
    assert_eq!(count(&html, ".sv-station-head code"), 0, "no code shown");
}

#[tokio::test]
async fn near_says_my_position_and_the_station_page_says_how_far() {
    let app = spawn_app_at(monday_morning()).await;
    let mut s = station("距离站", 110101, "24/7", &["water"]);
    s.position = Some(LatLon::new(39.9087, 116.4075).unwrap());
    let id = app.add(vec![s]).await[0];
    let (status, html) = app.page("/near?lat=39.908700&lon=116.397500").await;
    assert_eq!(status, 200);
    let from = text(&html, "main > p.muted");
    assert!(from.contains("我的位置") && !from.contains("39.9"), "{from}");
    let link = html
        .select(&sel("a.station-link"))
        .filter_map(|a| a.value().attr("href"))
        .find(|h| h.starts_with(&format!("/stations/{id}?")))
        .expect("the station's card carries the position")
        .to_string();
    let (status, page) = app.page(&link).await;
    assert_eq!(status, 200);
    let distance = text(&page, ".station-distance");
    // 0.01° of longitude at 39.9° N is about 853 m.
    assert!(distance.contains("850 米") && distance.contains("步行约"), "{distance}");
    // Without a position the line is not there; a broken one is refused.
    let (_, plain) = app.page(&format!("/stations/{id}")).await;
    assert_eq!(count(&plain, ".station-distance"), 0);
    assert_eq!(app.get(&format!("/stations/{id}?lat=91&lon=116.4")).await.status().as_u16(), 400);
    assert_eq!(app.get(&format!("/stations/{id}?lat=39.9")).await.status().as_u16(), 400);
}

#[tokio::test]
async fn near_without_a_position_leads_to_the_district_lists() {
    let app = spawn_app().await;
    let (status, html) = app.page("/near").await;
    assert_eq!(status, 200);
    // The one visible button (the locate button needs JavaScript) goes to the lists on this page.
    let to = attr(&html, "main .actions a.button", "href");
    assert_eq!(to, "#pick-district");
    assert_eq!(count(&html, "#pick-district a[href^='/stations?district=']"), 16);
}

#[tokio::test]
async fn a_station_without_hours_or_phone_links_to_open_stations_nearby() {
    let app = spawn_app_at(monday_morning()).await;
    let mut s = station("无电话站", 110102, "", &["water"]);
    s.address = "北京市西城区白纸坊东街1号".into();
    let id = app.add(vec![s]).await[0];
    let (status, html) = app.page(&format!("/stations/{id}")).await;
    assert_eq!(status, 200);
    let href = attr(&html, "a.nearby-open-link", "href");
    assert!(href.starts_with("/near?lat=39.9"), "{href}");
    assert_eq!(text(&html, ".no-phone"), "未登记电话");
    assert!(!html.html().contains("暂无联系电话"));
    // The list says the district once, not "西城区 · 北京市西城区…".
    let (_, list) = app.page("/stations?district=110102").await;
    let place = texts(&list, ".station-addr").into_iter().find(|t| t.contains("白纸坊")).expect("listed");
    assert_eq!(place, "北京市西城区白纸坊东街1号");
}

#[tokio::test]
async fn read_only_views_do_not_reuse_form_labels() {
    let app = spawn_app().await;
    let worker = Browser::new(&app);
    let receipt = feedback(&worker, fengtai_station(&app), &[("reporter", "courier")]).await;
    let id = feedback_id(&app, &receipt).await;
    let admin = signed_in_admin(&app).await;
    let (status, html) = admin.page(&format!("/admin/feedback/{id}")).await;
    assert_eq!(status, 200);
    let labels = texts(&html, "dl.facts dt");
    assert!(labels.iter().any(|l| l == "填写人身份"), "{labels:?}");
    assert!(labels.iter().all(|l| !l.contains("可不填")), "{labels:?}");
}

#[tokio::test]
async fn my_feedback_lists_the_receipts_the_phone_kept() {
    let app = spawn_app().await;
    let worker = Browser::new(&app);
    let station = fengtai_station(&app);
    let first = feedback(&worker, station, &[]).await;
    let second = feedback(&worker, station, &[("body", "厕所没有纸了")]).await;
    // The receipt page hands its receipt to the phone's script, and links here.
    let (_, receipt) = worker.page(&format!("/feedback/{first}")).await;
    assert_eq!(attr(&receipt, "[data-keep-receipt]", "data-keep-receipt"), first);
    assert_eq!(attr(&receipt, "a.mine-link", "href"), "/feedback/mine");

    // What the script asks for: the states of the kept receipts, an unknown one said so.
    let unknown = "FK-2222-2222-2222";
    let (status, html) = worker.page(&format!("/feedback/mine?r={first},{},{unknown}", second.to_lowercase())).await;
    assert_eq!(status, 200);
    let rows: Vec<String> = html
        .select(&sel(".mine-row"))
        .map(|r| r.value().attr("data-receipt").unwrap_or_default().to_string())
        .collect();
    assert_eq!(rows, [first.clone(), second.clone(), unknown.to_string()]);
    assert_eq!(texts(&html, ".mine-row .feedback-state"), ["待审核", "待审核"]);
    assert_eq!(text(&html, ".mine-missing"), format!("{unknown} · 找不到这张回执"));

    // Without JavaScript: how to open a receipt, and a box that opens one by its number.
    let (status, bare) = worker.page("/feedback/mine").await;
    assert_eq!(status, 200);
    assert!(text(&bare, "noscript").contains("回执编号"));
    let res = worker.get(&format!("/feedback/mine?receipt={}", first.to_lowercase())).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), format!("/feedback/{first}"));
    // Bad input is a 400, never a guess.
    assert_eq!(worker.get("/feedback/mine?receipt=FK-1").await.status().as_u16(), 400);
    let many = vec![first.as_str(); 51].join(",");
    assert_eq!(worker.get(&format!("/feedback/mine?r={many}")).await.status().as_u16(), 400);
    // Private, like the receipt itself.
    let res = worker.get(&format!("/feedback/mine?r={first}")).await;
    assert!(res.headers()["cache-control"].to_str().unwrap().contains("no-store"));
}

#[tokio::test]
async fn the_calendar_page_says_where_a_year_came_from_in_words() {
    let app = spawn_app_at(at("2026-12-01 10:00")).await;
    let admin = signed_in_admin(&app).await;
    let (status, html) = admin.page("/admin/calendar").await;
    assert_eq!(status, 200);
    let years = text(&html, ".calendar-years");
    assert!(!years.contains("data/") && !years.contains(".csv"), "{years}");
    assert!(years.contains("程序自带"), "{years}");
    // The warning is one short line; the explanation is folded under it.
    let summary = text(&html, "details.calendar-warning > summary");
    assert!(summary.contains("2027") && summary.chars().count() <= 20, "{summary}");
    assert!(text(&html, "details.calendar-warning > p").contains("状态未知"));
}

#[tokio::test]
async fn the_supervisor_home_puts_the_stations_to_check_before_suggestions() {
    let app = spawn_app().await;
    let staff = signed_in_fengtai(&app).await;
    let supervisor = fengtai_supervisor(&app, &staff, "order").await;
    let (status, html) = supervisor.page("/supervise").await;
    assert_eq!(status, 200);
    let sections: Vec<String> =
        html.select(&sel("main section")).filter_map(|s| s.value().attr("class").map(String::from)).collect();
    let at = |class: &str| sections.iter().position(|c| c == class).unwrap_or_else(|| panic!("{class}: {sections:?}"));
    assert!(at("to-check") < at("my-suggestions") && at("to-check") < at("my-proposals"), "{sections:?}");
}

#[tokio::test]
async fn an_invite_link_has_a_copy_button() {
    let app = spawn_app().await;
    let staff = signed_in_fengtai(&app).await;
    let (_, form) = staff.page("/admin/supervisors").await;
    let csrf = attr(&form, "form.supervisor-invite input[name=csrf]", "value");
    let res = staff.post("/admin/supervisors/invite", &[("csrf", &csrf), ("district", "110106")]).await;
    let (status, html) = html_of(res).await;
    assert_eq!(status, 200);
    assert_eq!(attr(&html, "button.copy-link", "data-copy"), "invite-link");
    assert!(attr(&html, "#invite-link", "value").contains("/supervise/join/"));
}
