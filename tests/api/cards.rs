//! Warning cards (黄牌 / 红牌, issue 13 step 9): two failed inspections within 90 days
//! or three confirmed "closed" reports within 30 days give a yellow card with a
//! follow-up; past its deadline it turns red (proposed for revocation); it closes
//! with its verified follow-up, when lifted, or when the station is revoked.

use yizhan::domain::staff::Role;
use yizhan::store::FollowupFilter;

use crate::admin::{set, set_status, sign_in, signed_in_admin, signed_in_fengtai};

use crate::helpers::*;
use crate::moderation::closed_report;
use crate::supervise::{decide, fengtai_supervisor, file_report, report_form};

/// The facilities of [`good_station`]: five of the nine basic services.
const GOOD_FACILITIES: [&str; 5] = ["seats", "water", "microwave", "charging", "wifi"];

/// A 丰台 station with five of the nine basic services.
async fn good_station(app: &TestApp) -> i64 {
    let s = station("丰台好站", 110106, "Mo-Su 08:00-20:00", &GOOD_FACILITIES);
    app.add(vec![s]).await[0]
}

/// A report on `station` at `visited` saying it was `open` ("yes" / "no"), every
/// listed facility working; accepted by `staff`. Its id.
async fn accepted_report(staff: &Browser, supervisor: &Browser, station: i64, visited: &str, open: &str) -> i64 {
    let mut pairs = report_form(supervisor, station).await;
    for f in GOOD_FACILITIES {
        set(&mut pairs, &format!("f_{f}"), "working");
    }
    set(&mut pairs, "visited_at", visited);
    set(&mut pairs, "open", open);
    let id = file_report(supervisor, station, &pairs).await;
    assert_eq!(decide(staff, id, &[("action", "accept")]).await.status().as_u16(), 303);
    id
}

async fn public_rectifying(app: &TestApp, station: i64) -> String {
    let (status, html) = app.page(&format!("/stations/{station}")).await;
    assert_eq!(status, 200);
    texts(&html, ".rectifying").join("")
}

#[tokio::test]
async fn two_failed_inspections_give_a_yellow_card_that_turns_red_after_its_deadline() {
    let app = spawn_app().await;
    let station = good_station(&app).await;
    let staff = signed_in_fengtai(&app).await;
    let supervisor = fengtai_supervisor(&app, &staff, "zhang.san").await;

    // A passed inspection and one failed one: no card yet.
    accepted_report(&staff, &supervisor, station, "2025-11-10T09:00", "yes").await;
    let first = accepted_report(&staff, &supervisor, station, "2025-11-12T09:00", "no").await;
    let (_, html) = staff.page("/admin/cards").await;
    assert_eq!(count(&html, "li.card"), 0);
    assert_eq!(text(&html, ".empty-cards"), "没有未结的黄牌或红牌。");
    assert_eq!(public_rectifying(&app, station).await, "");

    // The second failed one (fewer than 4 basic services working) gives the card.
    let mut pairs = report_form(&supervisor, station).await;
    for f in ["f_seats", "f_water", "f_microwave"] {
        set(&mut pairs, f, "working");
    }
    set(&mut pairs, "f_charging", "broken");
    set(&mut pairs, "f_wifi", "missing");
    set(&mut pairs, "visited_at", "2025-11-16T09:00");
    let second = file_report(&supervisor, station, &pairs).await;
    assert_eq!(decide(&staff, second, &[("action", "accept")]).await.status().as_u16(), 303);

    let (_, html) = staff.page("/admin/cards").await;
    assert_clean_frame(&html);
    assert_eq!(count(&html, "li.card"), 1);
    assert_eq!(text(&html, "li.card .card-badge"), "黄牌");
    assert_eq!(text(&html, "li.card a strong"), "丰台好站");
    let evidence: Vec<String> = {
        let sel = sel("li.card p a[href^='/admin/reports/']");
        html.select(&sel).map(|a| a.value().attr("href").unwrap_or_default().to_string()).collect()
    };
    assert_eq!(evidence, vec![format!("/admin/reports/{second}"), format!("/admin/reports/{first}")]);
    assert!(text(&html, "li.card").contains("2025-12-17"), "deadline 30 days on: {}", text(&html, "li.card"));
    assert_eq!(count(&html, "li.card details.lift"), 0, "district staff cannot lift a card");
    assert_eq!(public_rectifying(&app, station).await, "整改中");
    let (_, home) = staff.page("/admin/feedback").await;
    assert_eq!(text(&home, ".cards-count"), "未结黄牌红牌 1 张，其中红牌 0 张");

    // Its follow-up opened by itself: the host must fix it by the deadline.
    let followups = app.state.store.followups_for(Role::CityAdmin, FollowupFilter::All).await.unwrap();
    assert_eq!(followups.len(), 1);
    let f = &followups[0];
    assert_eq!((f.station_id, f.assignee.key(), f.status.key()), (station, "host", "open"));
    assert_eq!(f.due_on.to_string(), "2025-12-17");
    assert!(f.problem.starts_with("黄牌："), "{}", f.problem);
    assert_eq!(attr(&html, "li.card a[href^='/admin/followups/']", "href"), format!("/admin/followups/{}", f.id));

    // A third failed inspection does not give a second card.
    accepted_report(&staff, &supervisor, station, "2025-11-17T09:00", "no").await;
    let (_, html) = staff.page("/admin/cards").await;
    assert_eq!(count(&html, "li.card"), 1);

    // Figures count it.
    let (_, html) = staff.page("/admin/figures").await;
    assert_eq!(text(&html, ".fig-cards"), "1");

    // A day after the deadline, on another instance: red, proposed for revocation.
    let later = spawn_on(app.database_url.clone(), at("2025-12-18 09:00")).await;
    let staff_later = sign_in(&later, "fengtai").await;
    let (_, html) = staff_later.page("/admin/cards").await;
    assert_eq!(text(&html, "li.card .card-badge"), "红牌");
    assert_eq!(text(&html, ".proposed-revocation"), "已过整改期限，提请撤销此驿站。");
    assert_eq!(count(&html, ".proposed-revocation a"), 0, "only a city administrator revokes");
    let (_, html) = staff_later.page("/admin/figures").await;
    assert_eq!(text(&html, ".fig-cards"), "1 (红牌 1)");
    // Turned once, by the system, however many instances look.
    assert!(
        later.state.store.escalate_cards(later.state.clock.today(), later.state.clock.now()).await.unwrap().is_empty()
    );
    let admin = signed_in_admin(&later).await;
    let (_, html) = admin.page("/admin/audit").await;
    let actions = texts(&html, ".audit-line p strong");
    assert!(actions.contains(&"转为红牌（系统）".to_string()), "{actions:?}");
    assert!(actions.contains(&"给予黄牌".to_string()), "{actions:?}");

    // A city administrator lifts it: a reason is needed.
    let (_, html) = admin.page("/admin/cards").await;
    assert_eq!(attr(&html, ".proposed-revocation a", "href"), format!("/admin/stations/{station}#status"));
    let path = attr(&html, "li.card details.lift form", "action");
    let csrf = attr(&html, "li.card details.lift input[name=csrf]", "value");
    let (status, back) = html_of(admin.post(&path, &[("csrf", csrf.as_str()), ("note", " ")]).await).await;
    assert_eq!(status, 400);
    assert_eq!(text(&back, "details.lift[open] .form-error"), "请写明撤销理由（最多500字）。");
    let res = admin.post(&path, &[("csrf", csrf.as_str()), ("note", "已约谈主办单位，限期整改另行跟踪")]).await;
    assert_eq!(location(&res), "/admin/cards?done=card_lifted");
    let (_, html) = admin.page("/admin/cards").await;
    assert_eq!(count(&html, "li.card"), 0);
    let (_, html) = admin.page("/admin/cards?show=closed").await;
    assert!(text(&html, "li.card").contains("管理员撤牌"), "{}", text(&html, "li.card"));
    assert!(text(&html, "li.card").contains("已约谈主办单位"));
    assert_eq!(public_rectifying(&later, station).await, "");
    // Lifting again changes nothing; another district's staff do not see it; a bad filter is refused.
    let res = admin.post(&path, &[("csrf", csrf.as_str()), ("note", "再次")]).await;
    assert_eq!(location(&res), "/admin/cards?done=nothing");
    let district_csrf = staff_later.csrf("/admin/cards").await;
    let res = staff_later.post(&path, &[("csrf", district_csrf.as_str()), ("note", "x")]).await;
    assert_eq!(res.status().as_u16(), 404, "lifting is for city administrators");
    assert_eq!(admin.page("/admin/cards?show=all").await.0, 400);
    assert_eq!(
        admin.post("/admin/cards/99999/lift", &[("csrf", csrf.as_str()), ("note", "x")]).await.status().as_u16(),
        404
    );
    assert_eq!(admin.post(&path, &[("note", "x")]).await.status().as_u16(), 403, "no CSRF token");
}

#[tokio::test]
async fn a_passed_inspection_verifies_the_fix_and_closes_the_card() {
    let app = spawn_app().await;
    let station = good_station(&app).await;
    let staff = signed_in_fengtai(&app).await;
    let supervisor = fengtai_supervisor(&app, &staff, "zhang.san").await;
    accepted_report(&staff, &supervisor, station, "2025-11-10T09:00", "no").await;
    accepted_report(&staff, &supervisor, station, "2025-11-11T09:00", "no").await;
    let f = app.state.store.followups_for(Role::CityAdmin, FollowupFilter::All).await.unwrap().remove(0);
    assert_eq!(public_rectifying(&app, station).await, "整改中");

    // The host says it is fixed; a later inspection that passes verifies it.
    let (_, html) = staff.page(&format!("/admin/followups/{}", f.id)).await;
    let csrf = attr(&html, "form input[name=csrf]", "value");
    let res = staff.post(&format!("/admin/followups/{}", f.id), &[("csrf", csrf.as_str()), ("status", "fixed")]).await;
    assert_eq!(res.status().as_u16(), 303);
    let passed = accepted_report(&staff, &supervisor, station, "2025-11-17T09:00", "yes").await;
    let f = app.state.store.followup_for(f.id, Role::CityAdmin).await.unwrap().unwrap();
    assert_eq!(f.status.key(), "verified");
    let events = app.state.store.followup_events(f.id).await.unwrap();
    assert_eq!(events.last().unwrap().comment, format!("检查报告 #{passed} 实地查看合格，已核实。"));
    let (_, html) = staff.page("/admin/cards?show=closed").await;
    assert!(text(&html, "li.card").contains("整改已核实"), "{}", text(&html, "li.card"));
    assert_eq!(public_rectifying(&app, station).await, "");
}

#[tokio::test]
async fn three_confirmed_closed_reports_in_30_days_give_a_card_and_revocation_closes_it() {
    let app = spawn_app().await;
    let station = crate::feedback::fengtai_station(&app);
    let staff = signed_in_fengtai(&app).await;
    let mut ids = Vec::new();
    for body in ["中午去门锁着", "下午两点也关着", "晚上七点没人"] {
        ids.push(closed_report(&app, station, body).await);
    }
    // Checked open once: only two confirmed closed, no card.
    let outcome = |id: i64, outcome: &'static str| {
        let staff = &staff;
        async move {
            let res = crate::admin::moderate(staff, id, &[("action", "outcome"), ("outcome", outcome)]).await;
            assert_eq!(res.status().as_u16(), 303);
        }
    };
    outcome(ids[0], "hours_mismatch").await;
    outcome(ids[1], "verified_open").await;
    outcome(ids[2], "hours_mismatch").await;
    let (_, html) = staff.page("/admin/cards").await;
    assert_eq!(count(&html, "li.card"), 0);
    // The second one was closed after all: three confirmed.
    outcome(ids[1], "hours_mismatch").await;
    let (_, html) = staff.page("/admin/cards").await;
    assert_eq!(count(&html, "li.card"), 1);
    assert!(text(&html, "li.card").contains("30天内三次核实"), "{}", text(&html, "li.card"));
    assert_eq!(count(&html, "li.card p a[href^='/admin/feedback/']"), 3);
    assert_eq!(public_rectifying(&app, station).await, "整改中");

    // Revoking the station closes the card.
    let admin = signed_in_admin(&app).await;
    let res = set_status(&admin, station, &[("action", "revoke"), ("revoke_reason", "长期不开放")]).await;
    assert_eq!(res.status().as_u16(), 303);
    let (_, html) = admin.page("/admin/cards?show=closed").await;
    assert!(text(&html, "li.card").contains("驿站已撤销"), "{}", text(&html, "li.card"));
    let (_, html) = admin.page("/admin/cards").await;
    assert_eq!(count(&html, "li.card"), 0);
}
