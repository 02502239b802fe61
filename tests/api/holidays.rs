//! Open-now that stays true: the holiday calendar as data, 调休 by host, the next
//! opening with its date, a year that is not loaded, and the calendar's end.

use yizhan::domain::facility::HostType;
use yizhan::domain::station::Station;

use crate::admin::{edit_form, get, post_pairs, set, signed_in_admin};

use crate::helpers::*;

/// Every holiday period of 2024–2026 (first day off, last day off, festival), written
/// from the State Council notices (国办发明电〔2023〕7号, 〔2024〕12号, 〔2025〕7号),
/// not read from the app's data file.
const PERIODS: &[(&str, &str, &str)] = &[
    ("2024-01-01", "2024-01-01", "元旦"),
    ("2024-02-10", "2024-02-17", "春节"),
    ("2024-04-04", "2024-04-06", "清明"),
    ("2024-05-01", "2024-05-05", "劳动节"),
    ("2024-06-08", "2024-06-10", "端午"),
    ("2024-09-15", "2024-09-17", "中秋"),
    ("2024-10-01", "2024-10-07", "国庆节"),
    ("2025-01-01", "2025-01-01", "元旦"),
    ("2025-01-28", "2025-02-04", "春节"),
    ("2025-04-04", "2025-04-06", "清明"),
    ("2025-05-01", "2025-05-05", "劳动节"),
    ("2025-05-31", "2025-06-02", "端午"),
    ("2025-10-01", "2025-10-08", "国庆节"),
    ("2026-01-01", "2026-01-03", "元旦"),
    ("2026-02-15", "2026-02-23", "春节"),
    ("2026-04-04", "2026-04-06", "清明"),
    ("2026-05-01", "2026-05-05", "劳动节"),
    ("2026-06-19", "2026-06-21", "端午"),
    ("2026-09-25", "2026-09-27", "中秋"),
    ("2026-10-01", "2026-10-07", "国庆节"),
];

/// Every make-up working day (调休上班) of 2024–2026, from the same notices.
const MAKEUP_DAYS: &[&str] = &[
    "2024-02-04",
    "2024-02-18",
    "2024-04-07",
    "2024-04-28",
    "2024-05-11",
    "2024-09-14",
    "2024-09-29",
    "2024-10-12",
    "2025-01-26",
    "2025-02-08",
    "2025-04-27",
    "2025-09-28",
    "2025-10-11",
    "2026-01-04",
    "2026-02-14",
    "2026-02-28",
    "2026-05-09",
    "2026-09-20",
    "2026-10-10",
];

fn date(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

/// A station of 丰台 with a host type and its default for make-up days.
fn hosted(name: &str, hours: &str, host: HostType) -> Station {
    let mut s = station(name, 110106, hours, &["water"]);
    s.host = host;
    s.works_makeup_days = host.follows_makeup_by_default();
    s
}

/// A government hall closed on holidays, a restaurant that keeps its own week, a
/// 24/7 station closed on holidays and a restaurant open every day.
async fn four_stations(app: &TestApp) -> [i64; 4] {
    let ids = app
        .add(vec![
            hosted("政务大厅驿站", "Mo-Fr 08:00-18:00; PH off", HostType::GovernmentHall),
            hosted("餐馆驿站", "Mo-Sa 09:00-17:00; Su off", HostType::Restaurant),
            hosted("全天驿站", "24/7; PH off", HostType::GovernmentHall),
            hosted("天天驿站", "Mo-Su 10:00-22:00", HostType::Restaurant),
        ])
        .await;
    [ids[0], ids[1], ids[2], ids[3]]
}

/// One day of `/api/stations/{id}/hours`.
async fn day(app: &TestApp, id: i64, day: &str) -> serde_json::Value {
    let (status, body) = app.json(&format!("/api/stations/{id}/hours?from={day}&days=1")).await;
    assert_eq!(status, 200, "{body}");
    body["days"][0].clone()
}

fn open(day: &serde_json::Value) -> Vec<(String, String)> {
    day["open"]
        .as_array()
        .expect("open intervals")
        .iter()
        .map(|p| (p[0].as_str().unwrap_or_default().to_string(), p[1].as_str().unwrap_or_default().to_string()))
        .collect()
}

fn hours(from: &str, to: &str) -> Vec<(String, String)> {
    vec![(from.to_string(), to.to_string())]
}

#[tokio::test]
async fn every_holiday_and_makeup_day_of_2024_to_2026_follows_the_notices() {
    let app = spawn_app().await;
    let [hall, restaurant, ..] = four_stations(&app).await;
    for (first, last, festival) in PERIODS {
        let (first, last) = (date(first), date(last));
        let weekday = first
            .iter_days()
            .take_while(|d| *d <= last)
            .find(|d| !yizhan::domain::calendar::is_weekend(*d))
            .expect("every holiday period has a weekday");
        let d = day(&app, hall, &weekday.to_string()).await;
        assert_eq!(d["kind"], "holiday", "{weekday} ({festival}) is a holiday: {d}");
        assert_eq!(d["festival"], *festival, "{weekday}");
        assert_eq!(open(&d), Vec::new(), "the hall is closed on {weekday}");
        assert_eq!(d["rule"], "public_holiday_rule");
    }
    for makeup in MAKEUP_DAYS {
        let d = day(&app, hall, makeup).await;
        assert_eq!(d["kind"], "makeup_workday", "{makeup}: {d}");
        assert_eq!(open(&d), hours("08:00", "18:00"), "the hall works the make-up day {makeup}");
        assert_eq!(d["rule"], "makeup_follows_weekday");
        let r = day(&app, restaurant, makeup).await;
        let sunday = chrono::Datelike::weekday(&date(makeup)) == chrono::Weekday::Sun;
        let expected = if sunday { Vec::new() } else { hours("09:00", "17:00") };
        assert_eq!(open(&r), expected, "the restaurant keeps its own week on {makeup}");
        assert_eq!(r["rule"], "makeup_keeps_own_week");
    }
    let sundays = MAKEUP_DAYS.iter().filter(|d| chrono::Datelike::weekday(&date(d)) == chrono::Weekday::Sun).count();
    assert_eq!(sundays, 10, "the ten make-up working Sundays of 2024–2026");
}

#[tokio::test]
async fn a_government_hall_works_a_makeup_sunday_and_a_restaurant_does_not() {
    // Sunday 28 September 2025, a make-up working day before National Day.
    let app = spawn_app_at(at("2025-09-28 10:00")).await;
    let [hall, restaurant, ..] = four_stations(&app).await;
    let (_, page) = app.page(&format!("/stations/{hall}")).await;
    assert!(text(&page, ".state").starts_with("营业中"), "{}", text(&page, ".state"));
    let (_, page) = app.page(&format!("/stations/{restaurant}")).await;
    assert!(text(&page, ".state").starts_with("已关门"), "{}", text(&page, ".state"));
    assert!(text(&page, ".hours.days").contains("调休日，本站按自己的每周安排营业"));
}

#[tokio::test]
async fn national_day_closure_names_the_holiday_and_the_date() {
    // Thursday 1 October 2026: closed until Thursday 8 October.
    let app = spawn_app_at(at("2026-10-01 10:00")).await;
    let [hall, ..] = four_stations(&app).await;
    let (_, page) = app.page(&format!("/stations/{hall}")).await;
    assert_eq!(text(&page, ".state"), "已关门 · 国庆节放假 · 10月8日（周四）08:00 开门");
    let (_, page) = app.page_en(&format!("/stations/{hall}")).await;
    assert_eq!(text(&page, ".state"), "Closed · National Day holiday · opens Thu 8 Oct 08:00");
}

#[tokio::test]
async fn the_reopening_after_the_2026_spring_festival_is_named() {
    // Monday 16 February 2026, day 2 of a 9-day Spring Festival (15–23 February).
    let app = spawn_app_at(at("2026-02-16 10:00")).await;
    let [hall, ..] = four_stations(&app).await;
    let (_, page) = app.page(&format!("/stations/{hall}")).await;
    assert_eq!(text(&page, ".state"), "已关门 · 春节放假 · 2月24日（周二）08:00 开门");
}

#[tokio::test]
async fn a_24_hour_station_closed_on_holidays_is_not_24_hours_on_the_holiday() {
    let app = spawn_app_at(at("2025-09-30 10:00")).await;
    let [_, _, always, _] = four_stations(&app).await;
    // The eve: open now, closing at midnight, and soon before it.
    let (_, page) = app.page(&format!("/stations/{always}")).await;
    assert_eq!(text(&page, ".state"), "营业中 · 今天 24:00 关门");
    let late = spawn_on(app.database_url.clone(), at("2025-09-30 23:40")).await;
    let (_, page) = late.page(&format!("/stations/{always}")).await;
    assert_eq!(text(&page, ".state"), "营业中 · 即将关门（今天 24:00）");
    let (_, body) = app.json("/api/stations?district=110106&h24=1").await;
    assert!(body["items"].as_array().expect("items").iter().any(|i| i["id"] == always), "24 hours on an ordinary day");

    let app = spawn_app_at(at("2025-10-02 10:00")).await;
    let [_, _, always, every_day] = four_stations(&app).await;
    let (_, body) = app.json("/api/stations?district=110106&h24=1").await;
    assert!(!body["items"].as_array().expect("items").iter().any(|i| i["id"] == always), "not on the holiday: {body}");
    let (_, body) = app.json("/api/stations?district=110106&per_page=100").await;
    let item = body["items"].as_array().expect("items").iter().find(|i| i["id"] == always).expect("listed").clone();
    assert_eq!(item["h24"], false);
    assert_eq!(item["open_now"], false);
    assert_eq!(item["holiday_open"], false);
    let item = body["items"].as_array().expect("items").iter().find(|i| i["id"] == every_day).expect("listed").clone();
    assert_eq!(item["holiday_open"], true, "no PH rule: open on holidays");
    let (_, body) = app.json("/api/stations?district=110106&holiday=1&per_page=100").await;
    let ids: Vec<&serde_json::Value> = body["items"].as_array().expect("items").iter().map(|i| &i["id"]).collect();
    assert!(ids.contains(&&serde_json::json!(every_day)) && !ids.contains(&&serde_json::json!(always)), "{ids:?}");
}

#[tokio::test]
async fn a_year_not_loaded_is_unknown_then_answered_by_the_imported_file() {
    // Friday 1 January 2027 (元旦), with only 2024–2026 loaded.
    let app = spawn_app_at(at("2027-01-01 10:00")).await;
    let [hall, _, _, every_day] = four_stations(&app).await;
    let (_, page) = app.page(&format!("/stations/{hall}")).await;
    let state = text(&page, ".state");
    assert!(!state.contains("营业中"), "never says open: {state}");
    assert!(state.contains("2027年法定节假日安排尚未载入"), "{state}");
    let (_, body) = app.json("/api/stations?district=110106&per_page=100").await;
    let items = body["items"].as_array().expect("items");
    let item = |id: i64| items.iter().find(|i| i["id"] == id).expect("listed").clone();
    assert!(item(hall)["open_now"].is_null(), "{}", item(hall));
    assert_eq!(item(hall)["state"], "unknown");
    assert_eq!(item(every_day)["open_now"], true, "a station open every day is unaffected");
    let (_, body) = app.json("/api/stations?district=110106&open_now=1&per_page=100").await;
    assert!(!body["items"].as_array().expect("items").iter().any(|i| i["id"] == hall));
    // The hall and the 24/7 station closed on holidays, and the seed stations of 丰台 without hours.
    let left_out = body["left_out_unknown"].as_u64().expect("left_out_unknown");
    assert!(left_out >= 2, "{body}");
    let (_, list) = app.page("/stations?district=110106&open_now=1").await;
    assert!(text(&list, ".left-out").contains(&left_out.to_string()), "the list says how many were left out");
    let d = day(&app, hall, "2027-01-04").await;
    assert_eq!(
        (d["kind"].as_str(), d["known"].as_bool(), d["rule"].as_str()),
        (Some("unknown"), Some(false), Some("calendar_not_loaded"))
    );

    // `yizhan holidays import` on the same database; the running server follows on its poll.
    let file = std::env::temp_dir().join(format!("yizhan-2027-{}.csv", std::process::id()));
    std::fs::write(&file, "date,kind,name\n2027-01-01,holiday,元旦\n2027-01-02,holiday,元旦\n2027-01-03,holiday,元旦\n2027-02-06,holiday,春节\n")
        .expect("write file");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_yizhan"))
        .args(["holidays", "import"])
        .arg(&file)
        .env("YIZHAN_DATABASE_URL", &app.database_url)
        .env("YIZHAN_LOG", "warn")
        .output()
        .expect("run yizhan holidays import");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2027: add"), "{}", String::from_utf8_lossy(&out.stdout));
    let mut state = String::new();
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let (_, page) = app.page(&format!("/stations/{hall}")).await;
        state = text(&page, ".state");
        if state.starts_with("已关门") {
            break;
        }
    }
    assert_eq!(state, "已关门 · 元旦放假 · 1月4日（周一）08:00 开门");
    let d = day(&app, hall, "2027-01-04").await;
    assert_eq!((d["kind"].as_str(), d["known"].as_bool()), (Some("workday"), Some(true)));
    let _ = std::fs::remove_file(file);
}

#[tokio::test]
async fn a_station_without_hours_is_unknown_every_day() {
    let app = spawn_app().await;
    let ids = app.add(vec![station("无时间驿站", 110106, "", &["water"])]).await;
    let (_, body) = app.json("/api/stations?district=110106&per_page=100").await;
    let item = body["items"].as_array().expect("items").iter().find(|i| i["id"] == ids[0]).expect("listed").clone();
    assert!(item["open_now"].is_null(), "{item}");
}

#[tokio::test]
async fn a_corrected_year_replaces_the_loaded_one() {
    let app = spawn_app().await;
    let store = &app.state.store;
    let mut days = app.state.snapshot.load().calendar.notice(2026);
    assert!(days.iter().any(|d| d.date == date("2026-10-07")), "the bundled 2026 has 7 October off");
    // A correction: 7 October becomes a working day and 8 October a holiday instead.
    days.retain(|d| d.date != date("2026-10-07"));
    days.push(yizhan::domain::calendar::CalendarDay::new(
        date("2026-10-08"),
        yizhan::domain::calendar::DayKind::Holiday("国庆节".into()),
    ));
    let change =
        store.replace_notice_year(2026, &days, "test", None, true, app.state.clock.now()).await.expect("replace");
    assert_eq!(change, yizhan::store::CalendarChange::Replaced);
    app.reload().await;
    let calendar = app.state.snapshot.load().calendar.clone();
    assert!(!calendar.is_holiday(date("2026-10-07")), "the removed day is gone");
    assert!(calendar.is_holiday(date("2026-10-08")));
    let again =
        store.replace_notice_year(2026, &days, "test", None, true, app.state.clock.now()).await.expect("replace");
    assert_eq!(again, yizhan::store::CalendarChange::Unchanged);
    // Restarting does not bring the bundled year back over the correction.
    let other = spawn_on(app.database_url.clone(), app.state.clock.now()).await;
    assert!(other.state.snapshot.load().calendar.is_holiday(date("2026-10-08")));
    let (total, entries) = store.audit_log(None, 0).await.expect("audit");
    assert!(total >= 1);
    assert!(entries.iter().any(|e| e.entity == "calendar" && e.entity_key == "2026" && e.action == "calendar_replace"));
}

#[tokio::test]
async fn the_calendar_end_is_announced_from_the_first_of_december() {
    let app = spawn_app_at(at("2026-11-30 10:00")).await;
    let (_, body) = app.json("/healthz").await;
    assert!(body.get("warnings").is_none(), "{body}");
    assert_eq!(body["holiday_years"], serde_json::json!([2024, 2025, 2026]));

    let app = spawn_app_at(at("2026-12-01 10:00")).await;
    let (_, body) = app.json("/healthz").await;
    assert_eq!(body["warnings"][0]["code"], "holiday_calendar_ending", "{body}");
    assert_eq!(body["warnings"][0]["last_known_day"], "2026-12-24");
    let admin = signed_in_admin(&app).await;
    for path in ["/admin/feedback", "/admin/stations", "/admin/calendar"] {
        let (status, page) = admin.page(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(text(&page, ".calendar-warning").contains("2027"), "{path}");
    }
}

#[tokio::test]
async fn the_hours_api_refuses_bad_requests() {
    let app = spawn_app().await;
    let [hall, ..] = four_stations(&app).await;
    for query in ["from=2026-02-30", "from=yesterday", "from=3000-01-01", "days=0", "days=63", "days=-1", "days=1e3"] {
        let (status, body) = app.json(&format!("/api/stations/{hall}/hours?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["code"], "bad_param");
    }
    let (status, body) = app.json("/api/stations/999999/hours").await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));
    let (status, _) = app.json("/api/stations/abc/hours").await;
    assert_eq!(status, 400);
    let (status, body) = app.json(&format!("/api/stations/{hall}/hours?from=2025-09-27&days=62")).await;
    assert_eq!(status, 200);
    assert_eq!(body["days"].as_array().expect("days").len(), 62);
    assert_eq!(body["days"][1]["hours_of"], "2025-09-29", "a make-up Sunday takes Monday's hours");
}

#[tokio::test]
async fn the_edit_form_writes_the_holiday_choice_into_the_hours() {
    let app = spawn_app().await;
    let [hall, ..] = four_stations(&app).await;
    let admin = signed_in_admin(&app).await;
    let mut form = edit_form(&admin, hall).await;
    assert_eq!(get(&form, "hours"), "Mo-Fr 08:00-18:00", "the form shows the text without PH off");
    assert!(!form.iter().any(|(k, _)| k == "holiday_open"), "the box is unticked");
    // Ticking the box removes PH off.
    form.push(("holiday_open".into(), "1".into()));
    let res = post_pairs(&admin, &format!("/admin/stations/{hall}"), &form).await;
    assert_eq!(res.status().as_u16(), 303);
    app.reload().await;
    let stored = app.state.store.station(hall).await.expect("store").expect("station");
    assert_eq!(stored.hours.as_ref().map(|h| h.raw().to_string()).as_deref(), Some("Mo-Fr 08:00-18:00"));
    assert!(stored.opens_on_holidays());
    // A text that says both ways is refused, and nothing is lost.
    let mut form = edit_form(&admin, hall).await;
    set(&mut form, "hours", "Mo-Fr 08:00-18:00; PH off");
    let res = post_pairs(&admin, &format!("/admin/stations/{hall}"), &form).await;
    assert_eq!(res.status().as_u16(), 400);
    let (_, page) = html_of(res).await;
    assert!(text(&page, ".field-error").contains("PH off"), "{}", text(&page, ".field-error"));
    let unchanged = app.state.store.station(hall).await.expect("store").expect("station");
    assert_eq!(
        unchanged.hours.as_ref().map(|h| h.raw().to_string()),
        stored.hours.as_ref().map(|h| h.raw().to_string())
    );
    // Unticked again: PH off is written.
    let mut form = edit_form(&admin, hall).await;
    form.retain(|(k, _)| k != "holiday_open");
    set(&mut form, "works_makeup_days", "0");
    let res = post_pairs(&admin, &format!("/admin/stations/{hall}"), &form).await;
    assert_eq!(res.status().as_u16(), 303, "{:?}", location(&res));
    let stored = app.state.store.station(hall).await.expect("store").expect("station");
    assert_eq!(stored.hours.as_ref().map(|h| h.raw().to_string()).as_deref(), Some("Mo-Fr 08:00-18:00; PH off"));
    assert!(!stored.works_makeup_days);
}

#[tokio::test]
async fn an_administrator_loads_a_year_on_the_calendar_page() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    let (status, page) = admin.page("/admin/calendar").await;
    assert_eq!(status, 200);
    assert_eq!(attr(&page, "#c-year", "value"), "2027", "the next year is offered");
    let csrf = admin.csrf("/admin/calendar").await;
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("year", "2027"),
        ("p0_name", "元旦"),
        ("p0_first", "2027-01-01"),
        ("p0_last", "2027-01-03"),
        ("p1_name", "春节"),
        ("p1_first", "2027-02-05"),
        ("p1_last", "2027-02-11"),
        ("m0_date", "2027-02-13"),
        ("m0_name", "春节"),
        ("action", "preview"),
    ];
    let res = admin.post("/admin/calendar", &fields).await;
    assert_eq!(res.status().as_u16(), 200);
    let (_, page) = html_of(res).await;
    assert_eq!(count(&page, ".calendar-preview td.holiday"), 10);
    assert_eq!(count(&page, ".calendar-preview td.makeup"), 1);
    assert!(!app.state.snapshot.load().calendar.years().any(|y| y == 2027), "a preview writes nothing");
    // A make-up day on a Tuesday is refused with the reason, the form kept.
    let bad: Vec<(&str, &str)> =
        fields.iter().map(|(k, v)| if *k == "m0_date" { (*k, "2027-02-16") } else { (*k, *v) }).collect();
    let res = admin.post("/admin/calendar", &bad).await;
    assert_eq!(res.status().as_u16(), 400);
    let (_, page) = html_of(res).await;
    assert!(text(&page, ".form-error").contains("2027-02-16"));
    assert_eq!(attr(&page, "input[name=p1_first]", "value"), "2027-02-05");
    fields.retain(|(k, _)| *k != "action");
    fields.push(("action", "save"));
    let res = admin.post("/admin/calendar", &fields).await;
    assert_eq!(res.status().as_u16(), 303);
    let calendar = app.state.snapshot.load().calendar.clone();
    assert!(calendar.is_holiday(date("2027-02-08")), "初三 of 2027 is a holiday once loaded");
    assert!(calendar.is_makeup_workday(date("2027-02-13")));
    // District staff cannot reach the page.
    let fengtai = crate::admin::signed_in_fengtai(&app).await;
    assert_eq!(fengtai.get("/admin/calendar").await.status().as_u16(), 404);
}

#[tokio::test]
async fn holiday_flags_of_old_rows_move_into_the_hours_text() {
    let app = spawn_app().await;
    let [hall, _, _, every_day] = four_stations(&app).await;
    // Rows as the first schema left them: a flag beside a text that says nothing of holidays.
    let mut conn = {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        sqlx::AnyConnection::connect(&app.database_url).await.expect("connect")
    };
    for (id, hours, flag) in [(hall, "Mo-Fr 08:00-18:00", 0i64), (every_day, "Mo-Su 10:00-22:00; PH off", 1)] {
        sqlx::query("UPDATE stations SET opening_hours = $1, holiday_open = $2 WHERE id = $3")
            .bind(hours)
            .bind(flag)
            .bind(id)
            .execute(&mut conn)
            .await
            .expect("update");
    }
    sqlx::query("DELETE FROM meta WHERE key = 'holiday_flag_in_hours'").execute(&mut conn).await.expect("meta");
    app.state.store.migrate_holiday_flags(app.state.clock.now()).await.expect("migrate");
    let raw = |s: Option<Station>| s.and_then(|s| s.hours).map(|h| h.raw().to_string()).unwrap_or_default();
    assert_eq!(raw(app.state.store.station(hall).await.expect("store")), "Mo-Fr 08:00-18:00; PH off");
    assert_eq!(
        raw(app.state.store.station(every_day).await.expect("store")),
        "Mo-Su 10:00-22:00; PH off",
        "a contradiction keeps its text"
    );
    let (_, entries) = app.state.store.audit_log(None, 0).await.expect("audit");
    assert!(entries.iter().any(|e| e.action == "holiday_flag_conflict"), "the contradiction is listed");
    assert!(entries.iter().any(|e| e.action == "migrate_holiday_flag" && e.staff_name.is_none()));
}
