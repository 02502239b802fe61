//! The public pages, checked through the real app with CSS selectors.

use yizhan::domain::station::{Honour, HonourLevel, Status};
use yizhan::domain::text::Phone;

use crate::helpers::*;

#[tokio::test]
async fn home_shows_all_districts_with_counts() {
    let app = spawn_app().await;
    let (status, html) = app.page("/").await;
    assert_eq!(status, 200);
    let districts = texts(&html, ".districts li a");
    assert_eq!(districts.len(), 16);
    let fengtai = districts.iter().find(|d| d.contains("丰台区")).expect("丰台 listed");
    assert!(fengtai.contains('3'), "three seed stations in 丰台: {fengtai}");
    assert_eq!(attr(&html, ".districts a[href='/stations?district=110115']", "href"), "/stations?district=110115");
    assert_eq!(count(&html, "form[action='/stations'] input[name=q]"), 1);
    assert_eq!(count(&html, ".quick a[href='/stations?open_now=1']"), 1);
    assert_eq!(attr(&html, "html", "lang"), "zh-CN");
}

#[tokio::test]
async fn list_filters_by_district_and_facility() {
    let app = spawn_app().await;
    let (status, html) = app.page("/stations?district=110115&facility=water").await;
    assert_eq!(status, 200);
    let names = texts(&html, ".station-name");
    assert_eq!(names, vec!["霍氏集团卡车司机暖心驿站", "刘村小哥之家户外劳动者暖心驿站"]);
    assert_eq!(text(&html, "#count"), "共 2 个驿站");
    // The form keeps the filters, so the view can be changed and shared.
    assert_eq!(attr(&html, "#f-district option[selected]", "value"), "110115");
    assert_eq!(count(&html, "input[name=facility][value=water][checked]"), 1);
    assert!(count(&html, "#f-street option") > 10, "streets of 大兴 offered");
}

#[tokio::test]
async fn open_now_follows_the_clock_and_hours() {
    // Monday 10:00: 24/7 stations, 刘村 (08–18) and 东花市 (09:00–17:30) are open;
    // stations with unverified hours are never listed as open.
    let app = spawn_app().await;
    let (_, html) = app.page("/stations?open_now=1").await;
    let mut names = texts(&html, ".station-name");
    names.sort();
    let mut expected = vec![
        "刘村小哥之家户外劳动者暖心驿站",
        "槐房路壳牌加油站工会驿站",
        "空港祥云工会驿站",
        "顺鑫石门市场果市管理部24小时货车司机工会驿站",
    ];
    expected.sort();
    assert_eq!(names, expected);
    let late = spawn_app_at(at("2025-11-17 20:00")).await;
    let (_, html) = late.page("/stations?open_now=1").await;
    assert_eq!(texts(&html, ".station-name").len(), 3, "only the 24-hour stations at 20:00");
    let (_, html) = late.page("/stations?h24=1").await;
    assert_eq!(texts(&html, ".station-name").len(), 3);
    assert!(texts(&html, ".state-open").iter().all(|t| t.contains("24")));
}

#[tokio::test]
async fn other_filters_narrow_the_list() {
    let app = spawn_app().await;
    let (_, html) = app.page("/stations?honoured=1").await;
    assert_eq!(texts(&html, ".station-name").len(), 3, "three seed stations have awards");
    let (_, html) = app.page("/stations?host=petrol_station").await;
    assert_eq!(texts(&html, ".station-name"), vec!["槐房路壳牌加油站工会驿站"]);
    let (_, html) = app.page("/stations?q=%E4%B8%87%E8%BE%BE").await;
    assert_eq!(texts(&html, ".station-name"), vec!["槐房万达广场工会驿站"], "q=万达 matches the name");
    let (_, html) = app.page("/stations?q=%E5%88%98%E4%B8%80%E6%9D%91").await;
    assert_eq!(texts(&html, ".station-name").len(), 1, "q=刘一村 matches the address");
    let (_, html) = app.page("/stations?basic=1&district=110118").await;
    let names = texts(&html, ".station-name");
    assert!(names.contains(&"吉永达阳光家园店暖心驿站".to_string()));
    assert!(!names.contains(&"明鑫社区服务中心职工之家".to_string()));
    let street =
        app.state.snapshot.load().entries().iter().find_map(|e| e.station.street_code.clone()).expect("a seed street");
    let (status, html) = app.page(&format!("/stations?street={street}")).await;
    assert_eq!(status, 200);
    assert!(!texts(&html, ".station-name").is_empty());
}

#[tokio::test]
async fn empty_result_suggests_dropping_a_filter() {
    let app = spawn_app().await;
    let (status, html) = app.page("/stations?district=110115&facility=shower").await;
    assert_eq!(status, 200);
    assert_eq!(count(&html, ".station"), 0);
    assert_eq!(text(&html, ".empty h2"), "没有符合条件的驿站");
    let links: Vec<String> =
        html.select(&sel(".relax a")).filter_map(|a| a.value().attr("href").map(String::from)).collect();
    assert!(links.contains(&"/stations?district=110115".to_string()), "drop the facility: {links:?}");
    assert!(links.contains(&"/stations?facility=shower".to_string()), "drop the district: {links:?}");
}

#[tokio::test]
async fn long_lists_are_paginated() {
    let app = spawn_app().await;
    let many = (0..45).map(|i| station(&format!("延庆测试驿站{i:02}"), 110119, "24/7", &["water"])).collect();
    app.add(many).await;
    let (_, html) = app.page("/stations?district=110119").await;
    assert_eq!(count(&html, ".station"), 20);
    assert_eq!(text(&html, "#count"), "共 45 个驿站");
    assert_eq!(attr(&html, "a[rel=next]", "href"), "/stations?district=110119&page=2");
    assert_eq!(count(&html, "a[rel=prev]"), 0);
    let (_, html) = app.page("/stations?district=110119&page=3").await;
    assert_eq!(count(&html, ".station"), 5);
    assert_eq!(count(&html, "a[rel=next]"), 0);
    assert_eq!(attr(&html, "a[rel=prev]", "href"), "/stations?district=110119&page=2");
    let (status, html) = app.page("/stations?district=110119&page=9").await;
    assert_eq!(status, 200, "past the end is an empty page, not an error");
    assert_eq!(count(&html, ".station"), 0);
    assert_eq!(attr(&html, ".empty a.button", "href"), "/stations?district=110119&page=3");
}

#[tokio::test]
async fn station_page_shows_the_ledger() {
    let app = spawn_app().await;
    let id = seed_id(&app, "南苑街道");
    let (status, html) = app.page(&format!("/stations/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(text(&html, "h1"), "南苑街道政务服务中心工会驿站");
    assert!(text(&html, ".precision-approximate").contains("大致位置"));
    assert!(text(&html, ".honours").contains("2024"));
    assert!(texts(&html, ".facilities .chip").contains(&"母婴室".to_string()));
    assert!(
        text(&html, ".basic").contains("4"),
        "seats, water dispenser, medicines and umbrellas: 4 of the basic nine"
    );
    assert!(!text(&html, ".basic").contains("未达到"));
    assert_eq!(text(&html, ".state-big"), "营业时间待核实");
    assert!(text(&html, ".banner-warn").contains("尚未核实"));
    assert!(text(&html, ".crumbs").contains("南苑街道"));

    let id = seed_id(&app, "刘村");
    let (_, html) = app.page(&format!("/stations/{id}")).await;
    assert_eq!(text(&html, ".state-big"), "营业中 · 18:00 关门");
    assert_eq!(texts(&html, "table.hours:not(.days) th"), vec!["每天", "法定节假日"]);
    assert_eq!(count(&html, "table.days tr"), 7);
    assert!(text(&html, "dl.facts").contains("300 平方米"));
}

#[tokio::test]
async fn hours_follow_the_holiday_calendar() {
    // Sunday 28 September 2025 is a make-up working day; 1–8 October are National Day.
    let app = spawn_app_at(at("2025-09-28 10:00")).await;
    let ids = app.add(vec![station("调休测试驿站", 110101, "Mo-Fr 09:00-17:30; PH off", &["water"])]).await;
    let (_, html) = app.page(&format!("/stations/{}", ids[0])).await;
    assert_eq!(text(&html, ".state-big"), "营业中 · 17:30 关门", "a 调休 Sunday follows weekday hours");
    assert!(texts(&html, "table.days .note").iter().any(|n| n.contains("国庆节放假")));

    let holiday = spawn_on(app.database_url.clone(), at("2025-10-01 10:00")).await;
    let (_, html) = holiday.page(&format!("/stations/{}", ids[0])).await;
    assert_eq!(
        text(&html, ".state-big"),
        "已关门 · 国庆节放假 · 10月9日（周四）09:00 开门",
        "closed for the whole holiday, with the day it reopens"
    );
    let saturday = spawn_on(app.database_url.clone(), at("2025-10-10 18:00")).await;
    let (_, html) = saturday.page(&format!("/stations/{}", ids[0])).await;
    assert_eq!(text(&html, ".state-big"), "已关门 · 明天 09:00 开门", "Saturday 11 October is worked too");
}

#[tokio::test]
async fn closed_revoked_and_contact() {
    let app = spawn_app().await;
    let mut closed = station("临时关闭驿站", 110105, "24/7", &["water"]);
    closed.status =
        Status::TemporarilyClosed { reason: "装修".into(), until: chrono::NaiveDate::from_ymd_opt(2025, 12, 1) };
    let mut revoked = station("已撤销驿站", 110105, "24/7", &["water"]);
    revoked.status = Status::Revoked;
    let mut called = station("有电话驿站", 110105, "24/7", &["water"]);
    called.phone = Some(Phone::parse("010-6758 1234").expect("phone"));
    called.contact_name = Some("王师傅".into());
    called.honours = vec![Honour { level: HonourLevel::National, year: 2023, title: "全国最美".into() }];
    let ids = app.add(vec![closed, revoked, called]).await;

    let (_, html) = app.page(&format!("/stations/{}", ids[0])).await;
    let banner = text(&html, ".banner-closed");
    assert!(banner.contains("装修") && banner.contains("2025-12-01"), "{banner}");
    assert_eq!(text(&html, ".state-big"), "暂停服务");

    let (status, html) = app.page(&format!("/stations/{}", ids[1])).await;
    assert_eq!(status, 410);
    assert_eq!(text(&html, "h1"), "该驿站已撤销");
    let (_, html) = app.page("/stations?district=110105").await;
    let names = texts(&html, ".station-name");
    assert!(!names.contains(&"已撤销驿站".to_string()));
    assert!(names.contains(&"临时关闭驿站".to_string()));
    let (_, html) = app.page("/stations?district=110105&open_now=1").await;
    assert_eq!(texts(&html, ".station-name"), vec!["有电话驿站"], "temporarily closed is not open now");

    let (_, html) = app.page(&format!("/stations/{}", ids[2])).await;
    assert_eq!(attr(&html, "a.call", "href"), "tel:01067581234");
    assert!(text(&html, "dl.facts").contains("王师傅"));
    assert!(text(&html, ".honours").contains("全国"));
}

#[tokio::test]
async fn the_kept_filter_panel_follows_filter_and_language() {
    let app = spawn_app().await;
    for _ in 0..2 {
        for (district, water) in [("110115", true), ("110105", false), ("110115", false)] {
            let path = format!("/stations?district={district}{}", if water { "&facility=water" } else { "" });
            let (_, html) = app.page(&path).await;
            assert_eq!(attr(&html, "#f-district option[selected]", "value"), district, "{path}");
            assert_eq!(count(&html, "input[name=facility][value=water][checked]"), usize::from(water), "{path}");
        }
    }
    let (_, zh) = app.page("/stations?district=110115&q=%3Cscript%3E").await;
    let (_, en) = app.page_en("/stations?district=110115&q=%3Cscript%3E").await;
    assert_ne!(text(&zh, "label[for=f-district]"), text(&en, "label[for=f-district]"));
    assert_eq!(attr(&en, "#f-q", "value"), "<script>");
    assert_eq!(count(&en, "script:not([src])"), 0, "the query stays text");
}

#[tokio::test]
async fn english_on_request() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(format!("{}/stations", app.address))
        .header("Accept-Language", "en-GB,en;q=0.8")
        .send()
        .await
        .unwrap();
    let html = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(attr(&html, "html", "lang"), "en");
    assert_eq!(text(&html, "#count"), "18 stations");
    // The switch link sets a cookie and returns to the page.
    let res = app.get("/lang/en?next=%2Fstations%3Fh24%3D1").await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(res.headers()["location"], "/stations?h24=1");
    assert!(res.headers()["set-cookie"].to_str().unwrap().starts_with("lang=en"));
    let res = app.get("/lang/en?next=%2F%2Fevil.example").await;
    assert_eq!(res.headers()["location"], "/", "never redirects off the site");
    let res = app.client.get(format!("{}/", app.address)).header("Cookie", "lang=en").send().await.unwrap();
    let html = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(text(&html, "h1"), "Beijing union rest stations");
}

#[tokio::test]
async fn security_headers_and_static_files() {
    let app = spawn_app().await;
    let res = app.get("/").await;
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("default-src 'self'") && csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    let html = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(count(&html, "script:not([src])"), 0, "no inline script");
    assert_eq!(count(&html, "[style]"), 0, "no inline style");
    let css = attr(&html, "link[rel=stylesheet]", "href");
    assert!(css.starts_with("/static/app.css?v="));
    let res = app.get(&css).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], "text/css; charset=utf-8");
    assert!(res.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    let res = app.client.get(format!("{}{css}", app.address)).header("If-None-Match", &etag).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 304);
    let res = app.get("/static/app.css").await;
    assert_eq!(res.headers()["cache-control"], "public, max-age=300", "unversioned URL is cached briefly");
    let (status, html) = app.page("/static/nope.js").await;
    assert_eq!(status, 404);
    assert_eq!(count(&html, "header.top"), 1, "errors render inside the layout");
}

#[tokio::test]
async fn health_and_compression() {
    let app = spawn_app().await;
    let (status, body) = app.json("/healthz").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["stations"], 18);
    let res =
        app.client.get(format!("{}/stations", app.address)).header("Accept-Encoding", "gzip").send().await.unwrap();
    assert_eq!(res.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn stats_equal_the_figures_of_a_known_set_of_stations() {
    let app = spawn_app().await;
    // 延庆 has no seed station: four stations, three meeting the basic standard.
    let basic = ["seats", "water", "microwave", "charging"];
    let mut added = vec![
        station("延庆一", 110119, "24/7", &basic),
        station("延庆二", 110119, "Mo-Su 08:00-20:00", &basic),
        station("延庆三", 110119, "Mo-Fr 09:00-17:00; PH off", &basic),
        station("延庆四", 110119, "Mo-Su 08:00-20:00", &["water"]),
    ];
    added[0].verified_on = Some("2025-11-01".parse().unwrap());
    added[3].verified_on = Some("2025-01-01".parse().unwrap());
    let ids = app.add(added).await;
    // Feedback in 延庆: three answered after 1 h, 3 h and 2 days (median 3 h), one not
    // yet, one older than 90 days, one caught by the spam trap; one open follow-up.
    {
        use yizhan::domain::feedback::{FeedbackKind, NewFeedback};
        use yizhan::store::Moderation;
        let store = &app.state.store;
        crate::admin::signed_in_admin(&app).await;
        let admin = store.all_staff().await.unwrap().into_iter().next().expect("the administrator");
        let now = app.state.clock.now();
        let new = NewFeedback {
            kind: FeedbackKind::Suggestion,
            rating: None,
            body: "好".into(),
            reporter: None,
            phone: None,
        };
        for (ago, wait, trapped) in [
            (10 * 86_400, Some(3_600), false),
            (9 * 86_400, Some(3 * 3_600), false),
            (8 * 86_400, Some(2 * 86_400), false),
            (3_600, None, false),
            (100 * 86_400, Some(60), false),
            (5 * 86_400, None, true),
        ] {
            store
                .submit_feedback(ids[0], "110119", &new, &yizhan::domain::staff::new_token(), trapped, now - ago)
                .await
                .unwrap();
            let queue = store.feedback_queue(&Default::default(), admin.role).await.unwrap().1;
            if let Some(wait) = wait {
                let id = queue.iter().map(|f| f.id).max().unwrap();
                store.moderate(&[id], &[Moderation::Publish], &admin, now - ago + wait, false).await.unwrap();
            }
        }
        let followup = yizhan::domain::followup::NewFollowup {
            problem: "缺少饮水机".into(),
            assignee: yizhan::domain::followup::Assignee::Host,
            due_on: app.state.clock.today(),
        };
        store.open_followup(ids[1], yizhan::domain::followup::Source::Station, &followup, &admin, now).await.unwrap();
    }
    let (status, html) = app.page("/stats").await;
    assert_eq!(status, 200);
    assert_clean_frame(&html);
    assert_eq!(attr(&html, "meta[property='og:title']", "content"), "驿站数据");
    assert!(attr(&html, "meta[name=description]", "content").starts_with("北京工会驿站 "));
    let row = |css: &str| {
        html.select(&sel("tr[data-district='110119'] td")).map(|td| td.text().collect::<String>()).collect::<Vec<_>>()
            [match css {
                "stations" => 0,
                "open" => 1,
                "h24" => 2,
                "holiday" => 3,
                "basic" => 4,
                "share" => 5,
                _ => 6,
            }]
        .clone()
    };
    // Monday 10:00: all four are open; one 24 hours; three open on holidays.
    assert_eq!(row("stations"), "4");
    assert_eq!(row("open"), "4");
    assert_eq!(row("h24"), "1");
    assert_eq!(row("holiday"), "3");
    assert_eq!(row("basic"), "3");
    assert_eq!(row("share"), "75.0%");
    assert_eq!(row("checked"), "1", "checked within 90 days");
    let cell = |css: &str| text(&html, &format!("tr[data-district='110119'] td.{css}"));
    assert_eq!(cell("feedback"), "4", "the trapped one and the one of 100 days ago left out");
    assert_eq!(cell("wait"), "3.0 小时");
    assert_eq!(cell("followups"), "1");
    // The chart says the same in words, and the city line adds up every district.
    assert!(text(&html, "svg desc").contains("延庆区 75.0% (3/4)"), "{}", text(&html, "svg desc"));
    let total: usize = app.state.snapshot.load().entries().iter().filter(|e| e.station.is_public()).count();
    assert_eq!(text(&html, ".city-stations"), total.to_string());
    // Facility coverage, city-wide, counted here independently.
    let snapshot = app.state.snapshot.load();
    let with_water = snapshot
        .entries()
        .iter()
        .filter(|e| e.station.is_public() && e.station.working().contains(yizhan::domain::facility::Facility::Water))
        .count();
    assert_eq!(text(&html, "li[data-facility=water] .coverage-n"), with_water.to_string());
    assert_eq!(count(&html, "li[data-facility]"), yizhan::domain::facility::ALL_FACILITIES.len());
    // As reported, beside the ledger, with the article it came from.
    let said = texts(&html, "li.reported");
    assert!(said.iter().any(|t| t.contains("报道 1056（74.4%）") && t.contains("三融合")), "{said:?}");
    assert!(said.iter().any(|t| t.contains("报道 1360") && t.contains("东城区总工会")), "{said:?}");
    let (status, en) = app.page_en("/stats").await;
    assert_eq!(status, 200);
    assert_eq!(text(&en, "h1"), "Station figures");
    assert!(text(&en, "svg desc").contains("Yanqing 75.0% (3/4)"), "{}", text(&en, "svg desc"));
}

#[test]
fn a_share_is_rounded_half_up_to_a_tenth_of_a_per_cent() {
    use yizhan::web::public::stats::Figures;
    let share = |basic, stations| Figures { basic, stations, ..Figures::default() }.basic_share();
    assert_eq!(share(3, 4), "75.0%");
    assert_eq!(share(2, 3), "66.7%");
    assert_eq!(share(1, 7), "14.3%");
    assert_eq!(share(1056, 1419), "74.4%");
    assert_eq!(share(0, 0), "0.0%");
}

#[test]
fn a_median_wait_is_told_in_minutes_hours_or_days() {
    use yizhan::web::i18n::Lang;
    use yizhan::web::public::stats::{median, wait_text};
    assert_eq!(median(&mut []), None);
    assert_eq!(median(&mut [7_200, 60, 172_800]), Some(7_200));
    assert_eq!(median(&mut [3, 1, 4, 2]), Some(2), "the mean of the middle two, rounded down");
    assert_eq!(wait_text(Lang::Zh, 0), "1 分钟");
    assert_eq!(wait_text(Lang::Zh, 59 * 60), "59 分钟");
    assert_eq!(wait_text(Lang::Zh, 3 * 3_600 + 180), "3.1 小时");
    assert_eq!(wait_text(Lang::Zh, 2 * 86_400), "2.0 天");
    assert_eq!(wait_text(Lang::En, 90 * 60), "1.5 h");
}
