//! The monthly bulletin (issue 15): a past month's figures from the history as it
//! stood at the month's end, unchanged by later edits; the current month provisional;
//! CSV; bad months and districts.

use yizhan::domain::feedback::{FeedbackKind, NewFeedback};
use yizhan::domain::followup::{Assignee, NewFollowup, Source};
use yizhan::domain::station::{Station, Status};
use yizhan::store::Moderation;

use crate::admin::signed_in_admin;
use crate::helpers::*;

async fn change(app: &TestApp, id: i64, when: &str, edit: impl FnOnce(&mut Station)) {
    let before = app.state.store.station(id).await.unwrap().unwrap();
    let mut after = before.clone();
    edit(&mut after);
    assert!(app.state.store.save_station(&before, &after, "edit", None, at(when)).await.unwrap());
}

/// The figures of a bulletin page, by their keys.
fn figures(html: &scraper::Html) -> Vec<(String, String)> {
    html.select(&sel(".bulletin .facts dd"))
        .map(|dd| (dd.value().attr("class").unwrap_or_default().to_string(), dd.text().collect()))
        .collect()
}

fn figure(html: &scraper::Html, key: &str) -> String {
    text(html, &format!(".bulletin dd.fig-{key}"))
}

#[tokio::test]
async fn a_past_month_is_counted_as_it_stood_and_never_changes() {
    let app = spawn_app().await;
    let store = &app.state.store;
    // October 2025 in 延庆 (no seed stations there): three stations added on the 5th,
    // one closed on the 10th, one revoked on the 20th.
    let ids = store
        .insert_stations(
            &[
                station("延庆甲", 110119, "24/7", &["water"]),
                station("延庆乙", 110119, "24/7", &["water"]),
                station("延庆丙", 110119, "24/7", &["water"]),
            ],
            at("2025-10-05 10:00"),
        )
        .await
        .unwrap();
    change(&app, ids[0], "2025-10-10 10:00", |s| {
        s.status = Status::TemporarilyClosed { reason: "装修".into(), until: None }
    })
    .await;
    change(&app, ids[1], "2025-10-20 10:00", |s| s.status = Status::Revoked).await;
    // Feedback: one answered two hours later, one never in October.
    signed_in_admin(&app).await;
    let admin = store.all_staff().await.unwrap().into_iter().next().unwrap();
    let new =
        NewFeedback { kind: FeedbackKind::Suggestion, rating: None, body: "好".into(), reporter: None, phone: None };
    for when in ["2025-10-12 10:00", "2025-10-30 10:00"] {
        store
            .submit_feedback(ids[2], "110119", &new, &yizhan::domain::staff::new_token(), false, at(when))
            .await
            .unwrap();
    }
    let queue = store.feedback_queue(&Default::default(), admin.role).await.unwrap().1;
    let mut fb: Vec<i64> = queue.iter().filter(|f| f.station_id == ids[2]).map(|f| f.id).collect();
    fb.sort();
    store.moderate(&[fb[0]], &[Moderation::Publish], &admin, at("2025-10-12 12:00"), false).await.unwrap();
    // A follow-up opened on the 15th, due on the 20th: overdue at the month's end.
    let followup =
        NewFollowup { problem: "没有饮水".into(), assignee: Assignee::Host, due_on: "2025-10-20".parse().unwrap() };
    store.open_followup(ids[2], Source::Station, &followup, &admin, at("2025-10-15 10:00")).await.unwrap();

    let (status, october) = app.page("/bulletin/2025-10/110119").await;
    assert_eq!(status, 200);
    assert_clean_frame(&october);
    assert_eq!(text(&october, "h1"), "2025年10月 延庆区每月通报");
    assert_eq!(count(&october, ".provisional"), 0, "October is over");
    for (key, value) in [
        ("stations", "2"),
        ("closed_now", "1"),
        ("added", "3"),
        ("revoked", "1"),
        ("closed", "1"),
        ("reopened", "0"),
        ("feedback", "2"),
        ("answered", "1"),
        ("unanswered", "1"),
        ("followups_opened", "1"),
        ("followups_overdue", "1"),
        ("inspections", "0"),
        ("cards_given", "0"),
    ] {
        assert_eq!(figure(&october, key), value, "{key}");
    }
    let before = figures(&october);

    // November: the closed station reopens, the open one moves to 丰台, the old
    // feedback is answered. October stays as it was.
    change(&app, ids[0], "2025-11-17 09:00", |s| s.status = Status::Open).await;
    change(&app, ids[2], "2025-11-17 09:30", |s| {
        s.district = yizhan::domain::district::District::by_code(110106).unwrap()
    })
    .await;
    store.moderate(&[fb[1]], &[Moderation::Publish], &admin, at("2025-11-17 09:45"), false).await.unwrap();
    // Computed afresh (another instance, nothing kept) from the history as it is now.
    let fresh = spawn_on(app.database_url.clone(), app.state.clock.now()).await;
    let (_, again) = fresh.page("/bulletin/2025-10/110119").await;
    assert_eq!(figures(&again), before, "a past month does not change");
    // The current month is provisional and counts the changes.
    let (status, november) = app.page("/bulletin/2025-11/110119").await;
    assert_eq!(status, 200);
    assert_eq!(count(&november, ".provisional"), 1);
    assert_eq!(figure(&november, "reopened"), "1");
    assert_eq!(figure(&november, "stations"), "1", "丙 is in 丰台 now");
    assert_eq!(figure(&november, "answered"), "1", "feedback counts where it was sent from (延庆)");
    let (_, city) = app.page("/bulletin/2025-11").await;
    assert_eq!(figure(&city, "answered"), "1");
    assert_eq!(count(&city, "tr[data-district='110106']"), 5, "a row in each group's table");
    assert_eq!(attr(&city, "a[rel=prev]", "href"), "/bulletin/2025-10");
    assert_eq!(count(&city, "a[rel=next]"), 0, "no month after the current one");

    // CSV, with a BOM, the district's line.
    let res = app.get("/bulletin/2025-10/110119.csv").await;
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let body = res.text().await.unwrap();
    let lines: Vec<&str> = body.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 2, "{body}");
    assert!(lines[0].starts_with("月份,范围,月末在册驿站"), "{}", lines[0]);
    assert!(lines[1].starts_with("2025-10,延庆区,2,1,3,1,1,0,"), "{}", lines[1]);
    assert!(lines[1].ends_with(",否"));
    // English; the months list; bad months and districts.
    let (_, en) = app.page_en("/bulletin/2025-10/110119").await;
    assert_eq!(text(&en, "h1"), "Yanqing monthly bulletin, 2025-10");
    let (status, months) = app.page("/bulletin").await;
    assert_eq!(status, 200);
    assert_eq!(attr(&months, ".bulletin-months a", "href"), "/bulletin/2025-11");
    for (path, code) in [
        ("/bulletin/2025-13", 400),
        ("/bulletin/25-10", 400),
        ("/bulletin/2025-10/999999", 400),
        ("/bulletin/2025-10/丰台", 400),
        ("/bulletin/2025-10.csv/110119", 400),
        ("/bulletin/2026-01", 404),
    ] {
        assert_eq!(app.page(path).await.0, code, "{path}");
    }
}
