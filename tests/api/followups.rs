//! Follow-ups to a fix (督导整改, issue 13 step 6): opened by staff from a report or a
//! worker's feedback, followed to "verified", seen by the supervisor whose report it
//! came from; and the ways to step outside one's district or role.

use crate::admin::{form_pairs, get, post_pairs, set, sign_in, signed_in_admin, signed_in_fengtai};
use crate::feedback::{daxing_station, feedback, feedback_id, fengtai_station};
use crate::helpers::*;
use crate::supervise::{fengtai_supervisor, file_report, report_form, signed_in_daxing, station_to_check};
use yizhan::domain::staff::Role;
use yizhan::store::FollowupFilter;

/// The "open a follow-up" form reached from `from` (a path with `?report=…` etc.).
async fn followup_form(staff: &Browser, from: &str) -> Vec<(String, String)> {
    let (status, html) = staff.page(from).await;
    assert_eq!(status, 200, "{from}");
    form_pairs(&html, "form.followup-form")
}

/// Opens a follow-up from `pairs`; its id.
async fn open(staff: &Browser, pairs: &[(String, String)]) -> i64 {
    let res = post_pairs(staff, "/admin/followups/new", pairs).await;
    assert_eq!(res.status().as_u16(), 303, "follow-up opened");
    let to = location(&res);
    let id = to.trim_start_matches("/admin/followups/").trim_end_matches("?done=followup_opened");
    id.parse().unwrap_or_else(|_| panic!("follow-up path {to}"))
}

/// Posts a status and/or comment on a follow-up page (`base` is `/admin` or `/supervise`).
async fn update(who: &Browser, base: &str, id: i64, pairs: &[(&str, &str)]) -> reqwest::Response {
    let path = format!("{base}/followups/{id}");
    let (status, html) = who.page(&path).await;
    assert_eq!(status, 200, "{path}");
    let csrf = attr(&html, "form input[name=csrf]", "value");
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(pairs);
    who.post(&path, &all).await
}

async fn all_followups(app: &TestApp) -> usize {
    app.state.store.followups_for(Role::CityAdmin, FollowupFilter::All).await.unwrap().len()
}

#[tokio::test]
async fn a_report_leads_to_a_followup_that_staff_see_to_verified() {
    let app = spawn_app().await;
    let station = station_to_check(&app).await;
    let staff = signed_in_fengtai(&app).await;
    let supervisor = fengtai_supervisor(&app, &staff, "zhang.san").await;
    let report = file_report(&supervisor, station, &report_form(&supervisor, station).await).await;

    // The report page offers a follow-up, prefilled with the station and what stands out.
    let (_, html) = staff.page(&format!("/admin/reports/{report}")).await;
    let link = attr(&html, "a.open-followup", "href");
    assert_eq!(link, format!("/admin/followups/new?report={report}"));
    let (status, html) = staff.page(&link).await;
    assert_eq!(status, 200);
    assert_eq!(text(&html, ".followup-station strong"), "丰台检查站");
    assert!(text(&html, "#fu-problem").contains("1项设施缺失"), "{}", text(&html, "#fu-problem"));
    assert_eq!(attr(&html, "#fu-due", "min"), "2025-11-17");
    assert_eq!(staff.get(&link).await.headers().get("cache-control").unwrap(), "no-store");

    // A due date in the past: the form comes back as typed, nothing stored.
    let mut pairs = form_pairs(&html, "form.followup-form");
    set(&mut pairs, "problem", "厕所没有了，充电\u{202E}桩坏了");
    set(&mut pairs, "due_on", "2025-11-16");
    let (status, back) = html_of(post_pairs(&staff, "/admin/followups/new", &pairs).await).await;
    assert_eq!(status, 400);
    assert_eq!(text(&back, "#fu-due-error"), "整改期限不能早于今天。");
    assert_eq!(text(&back, "#fu-problem"), "厕所没有了，充电\u{202E}桩坏了");
    assert_eq!(all_followups(&app).await, 0);
    // No choice of who fixes it, an empty problem, not a date: all said at once.
    let mut bad = pairs.clone();
    bad.retain(|(k, _)| k != "assignee");
    set(&mut bad, "problem", " ");
    set(&mut bad, "due_on", "next week");
    let (status, back) = html_of(post_pairs(&staff, "/admin/followups/new", &bad).await).await;
    assert_eq!(status, 400);
    assert_eq!(text(&back, "#fu-problem-error"), "请填写这一项。");
    assert_eq!(text(&back, ".fu-assignee .field-error"), "请选择一项。");
    assert_eq!(text(&back, "#fu-due-error"), "日期格式不对，应为 2025-12-01 这样的日期。");
    assert_eq!(all_followups(&app).await, 0);

    set(&mut pairs, "due_on", "2025-11-20");
    set(&mut pairs, "assignee", "district_union");
    let id = open(&staff, &pairs).await;
    let (_, html) = staff.page(&format!("/admin/followups/{id}?done=followup_opened")).await;
    assert_eq!(text(&html, ".flash"), "整改事项已创建。");
    assert_eq!(text(&html, "dd.followup-problem"), "厕所没有了，充电桩坏了", "bidi controls are dropped");
    assert_eq!(text(&html, "dd.followup-assignee"), "区总工会");
    assert_eq!(text(&html, "dd.followup-due"), "2025-11-20");
    assert_eq!(text(&html, "dd.followup-state"), "待整改");
    assert_eq!(attr(&html, "dd.followup-source a", "href"), format!("/admin/reports/{report}"));
    assert_eq!(texts(&html, ".history-line .history-what"), vec!["状态改为“待整改”"]);

    // In the district's list; the supervisor sees it on their home, read-only.
    let (_, html) = staff.page("/admin/followups").await;
    assert_eq!(texts(&html, "li.followup .sv-report-station"), vec!["丰台检查站"]);
    assert_eq!(text(&html, "li.followup .followup-state"), "待整改");
    let (_, html) = supervisor.page("/supervise").await;
    assert_eq!(texts(&html, ".my-followups li.followup .followup-state"), vec!["待整改"]);
    assert_eq!(attr(&html, ".my-followups li.followup a", "href"), format!("/supervise/followups/{id}"));
    let (status, html) = supervisor.page(&format!("/supervise/followups/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(attr(&html, "dd.followup-source a", "href"), format!("/supervise/reports/{report}"));
    assert_eq!(count(&html, "select[name=status]"), 0, "no status choice for supervisors");

    // A supervisor cannot say "verified": refused, nothing changes.
    let res = update(&supervisor, "/supervise", id, &[("status", "verified"), ("comment", "好了")]).await;
    assert_eq!(res.status().as_u16(), 403);
    let (_, html) = html_of(res).await;
    assert_eq!(text(&html, "h1"), "只有工会工作人员能确认“已核实”");
    let res = update(&supervisor, "/supervise", id, &[("status", "in_progress")]).await;
    assert_eq!(res.status().as_u16(), 400);
    let (status, html) = html_of(update(&supervisor, "/supervise", id, &[("comment", "")]).await).await;
    assert_eq!(status, 400);
    assert_eq!(text(&html, ".form-error"), "请改变状态或填写备注。");
    assert_eq!(app.state.store.followup_events(id).await.unwrap().len(), 1);

    // Staff move it along; the supervisor says it is fixed; staff verify it.
    let res = update(&staff, "/admin", id, &[("status", "in_progress"), ("comment", "已通知商场物业")]).await;
    assert_eq!(location(&res), format!("/admin/followups/{id}?done=followup_updated"));
    let res =
        update(&supervisor, "/supervise", id, &[("status", "fixed"), ("comment", "今天去看了，厕所恢复了")]).await;
    assert_eq!(location(&res), format!("/supervise/followups/{id}?done=followup_updated"));
    let (_, html) = supervisor.page(&location(&res)).await;
    assert_eq!(text(&html, ".flash"), "已提交，区工会会看到你补充的情况。");
    assert_eq!(text(&html, "dd.followup-state"), "已整改");
    let res = update(&staff, "/admin", id, &[("status", "verified")]).await;
    assert_eq!(res.status().as_u16(), 303);
    let (_, html) = staff.page(&format!("/admin/followups/{id}")).await;
    assert_eq!(text(&html, "dd.followup-state"), "已核实");
    assert_eq!(
        texts(&html, ".history-line .history-who"),
        vec!["李丰台", "李丰台", "义务监督员张三", "李丰台"],
        "who, oldest first"
    );
    assert_eq!(texts(&html, ".history-comment"), vec!["已通知商场物业", "今天去看了，厕所恢复了"]);
    // A comment alone is a history line too; a bad status is refused.
    let res = update(&staff, "/admin", id, &[("status", "verified"), ("comment", "结案")]).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(update(&staff, "/admin", id, &[("status", "done")]).await.status().as_u16(), 400);
    assert_eq!(app.state.store.followup_events(id).await.unwrap().len(), 5);
    // A verified follow-up is no longer in the default list.
    let (_, html) = staff.page("/admin/followups").await;
    assert_eq!(count(&html, "li.followup"), 0);
    let (_, html) = staff.page("/admin/followups?status=verified").await;
    assert_eq!(count(&html, "li.followup"), 1);
    assert_eq!(staff.page("/admin/followups?status=bogus").await.0, 400);

    // Audited, in words.
    let admin = signed_in_admin(&app).await;
    let (_, html) = admin.page(&format!("/admin/audit?station={station}")).await;
    let actions = texts(&html, ".audit-line p strong");
    for expected in ["发起督导整改", "更新整改状态", "整改事项备注"] {
        assert!(actions.contains(&expected.to_string()), "{expected} in {actions:?}");
    }
    let after = texts(&html, ".changes td.after");
    for expected in ["区总工会", "2025-11-20", "已核实", "检查报告"] {
        assert!(after.contains(&expected.to_string()), "{expected} in {after:?}");
    }
    let fields = texts(&html, ".changes th");
    assert!(fields.contains(&"整改期限".to_string()), "{fields:?}");
}

#[tokio::test]
async fn a_workers_feedback_can_start_a_followup() {
    let app = spawn_app().await;
    let station = fengtai_station(&app);
    let receipt =
        feedback(&Browser::new(&app), station, &[("kind", "facility_missing"), ("body", "饮水机坏了好几天")]).await;
    let fid = feedback_id(&app, &receipt).await;
    let staff = signed_in_fengtai(&app).await;
    let (_, html) = staff.page(&format!("/admin/feedback/{fid}")).await;
    let link = attr(&html, "a.open-followup", "href");
    assert_eq!(link, format!("/admin/followups/new?feedback={fid}"));
    let pairs = followup_form(&staff, &link).await;
    assert_eq!(get(&pairs, "problem"), "饮水机坏了好几天");
    assert_eq!(get(&pairs, "due_on"), "2025-12-01", "two weeks by default");
    let id = open(&staff, &pairs).await;
    let (_, html) = staff.page(&format!("/admin/followups/{id}")).await;
    assert_eq!(attr(&html, "dd.followup-source a", "href"), format!("/admin/feedback/{fid}"));
    assert_eq!(text(&html, "dd.followup-assignee"), "驿站所在单位");
    // Staff can also open one for a station they saw themselves.
    let pairs = followup_form(&staff, &format!("/admin/followups/new?station={station}")).await;
    assert_eq!(get(&pairs, "problem"), "");
    assert_eq!(staff.page("/admin/followups/new").await.0, 400);
    assert_eq!(staff.page("/admin/followups/new?report=abc").await.0, 404);
    assert_eq!(staff.page("/admin/followups/new?report=99999").await.0, 404);
}

#[tokio::test]
async fn followups_stay_inside_their_district_and_their_supervisor() {
    let app = spawn_app().await;
    let station = station_to_check(&app).await;
    let staff = signed_in_fengtai(&app).await;
    let supervisor = fengtai_supervisor(&app, &staff, "zhang.san").await;
    let other = fengtai_supervisor(&app, &staff, "li.si").await;
    let report = file_report(&supervisor, station, &report_form(&supervisor, station).await).await;
    let receipt = feedback(&Browser::new(&app), daxing_station(&app), &[]).await;
    let daxing_feedback = feedback_id(&app, &receipt).await;

    // Another district's station, report or feedback: not found, to read or to post.
    let daxing = signed_in_daxing(&app).await;
    for path in [format!("/admin/followups/new?station={station}"), format!("/admin/followups/new?report={report}")] {
        assert_eq!(daxing.page(&path).await.0, 404, "{path}");
    }
    let csrf = daxing.csrf("/admin/followups").await;
    let post = |from: &'static str, id: String| {
        let csrf = csrf.clone();
        let daxing = &daxing;
        async move {
            let pairs = [
                ("csrf", csrf.as_str()),
                ("from", from),
                ("id", id.as_str()),
                ("problem", "x"),
                ("assignee", "host"),
                ("due_on", "2025-11-30"),
            ];
            daxing.post("/admin/followups/new", &pairs).await.status().as_u16()
        }
    };
    assert_eq!(post("station", station.to_string()).await, 404);
    assert_eq!(post("report", report.to_string()).await, 404);
    assert_eq!(staff.page(&format!("/admin/followups/new?feedback={daxing_feedback}")).await.0, 404);
    assert_eq!(post("nowhere", "1".into()).await, 400);
    assert_eq!(all_followups(&app).await, 0);

    let pairs = followup_form(&staff, &format!("/admin/followups/new?report={report}")).await;
    let id = open(&staff, &pairs).await;
    assert_eq!(daxing.page(&format!("/admin/followups/{id}")).await.0, 404);
    let res = daxing.post(&format!("/admin/followups/{id}"), &[("csrf", &csrf), ("status", "verified")]).await;
    assert_eq!(res.status().as_u16(), 404);
    let (_, html) = daxing.page("/admin/followups?status=all").await;
    assert_eq!(count(&html, "li.followup"), 0);
    let admin = signed_in_admin(&app).await;
    let (_, html) = admin.page("/admin/followups").await;
    assert_eq!(count(&html, "li.followup"), 1, "city admins see every district");

    // Another supervisor: not found, to read or to post; not on their home.
    assert_eq!(other.page(&format!("/supervise/followups/{id}")).await.0, 404);
    let csrf = other.csrf("/supervise").await;
    let res = other.post(&format!("/supervise/followups/{id}"), &[("csrf", &csrf), ("comment", "hi")]).await;
    assert_eq!(res.status().as_u16(), 404);
    let (_, html) = other.page("/supervise").await;
    assert_eq!(count(&html, ".my-followups"), 0);
    assert_eq!(supervisor.page("/supervise/followups/abc").await.0, 404);
    // A supervisor never opens the staff pages of follow-ups; without the token, nothing.
    assert_eq!(supervisor.page("/admin/followups").await.0, 403);
    let res = staff.post(&format!("/admin/followups/{id}"), &[("status", "fixed")]).await;
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(app.state.store.followup_events(id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn overdue_followups_are_counted_on_the_staff_home() {
    let app = spawn_app().await;
    let station = fengtai_station(&app);
    let staff = signed_in_fengtai(&app).await;
    let mut pairs = followup_form(&staff, &format!("/admin/followups/new?station={station}")).await;
    set(&mut pairs, "problem", "门口标识牌看不见");
    set(&mut pairs, "due_on", "2025-11-17");
    let due_today = open(&staff, &pairs).await;
    set(&mut pairs, "due_on", "2025-11-18");
    let fixed = open(&staff, &pairs).await;
    set(&mut pairs, "due_on", "2025-12-30");
    open(&staff, &pairs).await;
    let res = update(&staff, "/admin", fixed, &[("status", "fixed")]).await;
    assert_eq!(res.status().as_u16(), 303);
    // Due today is not overdue yet.
    let (_, html) = staff.page("/admin/feedback").await;
    assert_eq!(count(&html, ".overdue-count"), 0);

    // Three weeks later, on another instance of the same database.
    let later = spawn_on(app.database_url.clone(), at("2025-12-08 10:00")).await;
    let staff = sign_in(&later, "fengtai").await;
    let res = staff.get("/admin").await;
    assert_eq!(location(&res), "/admin/feedback");
    let (_, html) = staff.page("/admin/feedback").await;
    assert_eq!(text(&html, ".overdue-count a"), "1 项督导整改已超过期限，请查看");
    assert_eq!(attr(&html, ".overdue-count a", "href"), "/admin/followups?status=overdue");
    let (status, html) = staff.page("/admin/followups?status=overdue").await;
    assert_eq!(status, 200);
    let ids: Vec<String> =
        html.select(&sel("li.followup")).filter_map(|e| e.value().attr("data-id").map(String::from)).collect();
    assert_eq!(ids, vec![due_today.to_string()], "past due and not fixed");
    assert_eq!(text(&html, "li.followup .overdue-tag"), "已逾期");
    // Another district's staff have nothing overdue.
    let daxing = signed_in_daxing(&later).await;
    let (_, html) = daxing.page("/admin/feedback").await;
    assert_eq!(count(&html, ".overdue-count"), 0);
}

/// The suggestion form (`?station=…` or general) filled in with `body`.
async fn suggestion_form(supervisor: &Browser, query: &str, body: &str) -> Vec<(String, String)> {
    let (status, html) = supervisor.page(&format!("/supervise/suggestions/new{query}")).await;
    assert_eq!(status, 200, "{query}");
    let mut pairs = form_pairs(&html, "form.suggestion-form");
    set(&mut pairs, "body", body);
    pairs
}

/// Sends a suggestion; its id.
async fn suggest(supervisor: &Browser, pairs: &[(String, String)]) -> i64 {
    let res = post_pairs(supervisor, "/supervise/suggestions/new", pairs).await;
    assert_eq!(res.status().as_u16(), 303, "suggestion stored");
    let to = location(&res);
    let id = to.trim_start_matches("/supervise/suggestions/").trim_end_matches("?done=suggested");
    id.parse().unwrap_or_else(|_| panic!("suggestion path {to}"))
}

/// Staff answer suggestion `id`.
async fn answer(staff: &Browser, id: i64, text: &str) -> reqwest::Response {
    let csrf = staff.csrf("/admin/suggestions").await;
    staff.post(&format!("/admin/suggestions/{id}"), &[("csrf", &csrf), ("answer", text)]).await
}

async fn own_suggestions(app: &TestApp, username: &str) -> usize {
    let sid = crate::supervise::supervisor_id(app, username).await;
    app.state.store.own_suggestions(sid).await.unwrap().len()
}

#[tokio::test]
async fn a_suggestion_is_answered_and_published_only_if_allowed() {
    let app = spawn_app().await;
    let station = station_to_check(&app).await;
    let staff = signed_in_fengtai(&app).await;
    let supervisor = fengtai_supervisor(&app, &staff, "zhang.san").await;

    // From the station's report form; "may be published" is off by default.
    let (_, html) = supervisor.page(&format!("/supervise/stations/{station}/report")).await;
    let link = attr(&html, "a.suggest-for-station", "href");
    assert_eq!(link, format!("/supervise/suggestions/new?station={station}"));
    let (_, html) = supervisor.page(&link).await;
    assert_eq!(text(&html, ".suggestion-about strong"), "丰台检查站");
    assert_eq!(count(&html, "input[name=may_publish][checked]"), 0);
    assert_eq!(supervisor.get(&link).await.headers().get("cache-control").unwrap(), "no-store");

    // Too long: back as typed, nothing stored.
    let long = "建".repeat(1001);
    let pairs = suggestion_form(&supervisor, &format!("?station={station}"), &long).await;
    let (status, back) = html_of(post_pairs(&supervisor, "/supervise/suggestions/new", &pairs).await).await;
    assert_eq!(status, 400);
    assert_eq!(text(&back, "#g-body-error"), "最多1000字。");
    assert_eq!(text(&back, "#g-body"), long);
    assert_eq!(own_suggestions(&app, "zhang.san").await, 0);

    // Private, about the station; posted twice, stored once.
    let private = suggestion_form(&supervisor, &format!("?station={station}"), "建议\u{202E}延长开放时间").await;
    let first = suggest(&supervisor, &private).await;
    assert_eq!(suggest(&supervisor, &private).await, first, "the retry finds the stored suggestion");
    assert_eq!(own_suggestions(&app, "zhang.san").await, 1);
    // Published with the name, about no station.
    let mut named = suggestion_form(&supervisor, "", "希望驿站都挂统一标识").await;
    set(&mut named, "may_publish", "1");
    set(&mut named, "show_name", "1");
    let general = suggest(&supervisor, &named).await;
    // Published without the name.
    let mut anonymous = suggestion_form(&supervisor, &format!("?station={station}"), "微波炉旁边加个插座").await;
    set(&mut anonymous, "may_publish", "1");
    let unnamed = suggest(&supervisor, &anonymous).await;
    // Published but never answered.
    let mut waiting = suggestion_form(&supervisor, "", "还没答复的建议").await;
    set(&mut waiting, "may_publish", "1");
    suggest(&supervisor, &waiting).await;

    let (status, html) = supervisor.page(&format!("/supervise/suggestions/{first}?done=suggested")).await;
    assert_eq!(status, 200);
    assert_eq!(text(&html, ".flash"), "建议已提交，区工会答复后会在这里显示。");
    assert_eq!(text(&html, "dd.suggestion-body"), "建议延长开放时间", "bidi controls are dropped");
    assert_eq!(text(&html, "dd.suggestion-station"), "丰台检查站");
    assert_eq!(text(&html, "dd.suggestion-publish"), "不公开");
    assert_eq!(text(&html, "dd.suggestion-answer"), "待答复");

    // The district's staff see all four (the general one: the supervisor covers 丰台).
    let (_, html) = staff.page("/admin/suggestions").await;
    assert_eq!(count(&html, "li.suggestion"), 4);
    let (_, html) = staff.page(&format!("/admin/suggestions/{first}")).await;
    assert_eq!(attr(&html, "a.open-followup", "href"), format!("/admin/followups/new?suggestion={first}"));
    let (_, html) = staff.page(&format!("/admin/suggestions/{general}")).await;
    assert_eq!(count(&html, "a.open-followup"), 0, "about no station: nothing to follow up at a station");
    assert_eq!(staff.page(&format!("/admin/followups/new?suggestion={general}")).await.0, 400);
    let (status, html) = html_of(answer(&staff, first, "  ").await).await;
    assert_eq!(status, 400);
    assert_eq!(text(&html, ".form-error"), "请填写内容。");

    for (id, text) in [(first, "已与物业商量延长到晚上8点"), (general, "明年统一更换"), (unnamed, "已加装")]
    {
        let res = answer(&staff, id, text).await;
        assert_eq!(location(&res), format!("/admin/suggestions/{id}?done=answered"));
    }
    let (_, html) = staff.page("/admin/suggestions").await;
    assert_eq!(count(&html, "li.suggestion"), 1, "one still waiting");

    // The supervisor sees the answers on their home.
    let (_, html) = supervisor.page("/supervise").await;
    let answers = texts(&html, ".my-suggestions .suggestion-answer");
    assert!(answers.contains(&"工会答复：已与物业商量延长到晚上8点".to_string()), "{answers:?}");

    // The public page: answered and allowed only; named only when ticked.
    let (status, html) = app.page("/suggestions").await;
    assert_eq!(status, 200);
    let bodies = texts(&html, ".public-suggestion .suggestion-body");
    assert_eq!(bodies.len(), 2, "{bodies:?}");
    assert!(bodies.contains(&"希望驿站都挂统一标识".to_string()) && bodies.contains(&"微波炉旁边加个插座".to_string()));
    assert!(!bodies.iter().any(|b| b.contains("延长开放时间") || b.contains("还没答复")), "{bodies:?}");
    let mut authors = texts(&html, ".suggestion-author");
    authors.sort();
    assert_eq!(authors, vec!["义务监督员", "义务监督员张三"]);
    assert_eq!(text(&html, ".suggestion-count"), "共 2 条。");
    assert_eq!(attr(&html, "footer a[href='/suggestions']", "href"), "/suggestions");
    assert_eq!(app.page("/suggestions?page=2").await.0, 404);
    assert_eq!(app.page("/suggestions?page=x").await.0, 400);

    // A follow-up from a suggestion shows on its author's home.
    let pairs = followup_form(&staff, &format!("/admin/followups/new?suggestion={unnamed}")).await;
    assert_eq!(get(&pairs, "problem"), "微波炉旁边加个插座");
    let fid = open(&staff, &pairs).await;
    let (_, html) = supervisor.page("/supervise").await;
    assert_eq!(attr(&html, ".my-followups li.followup a", "href"), format!("/supervise/followups/{fid}"));

    // Audited.
    let admin = signed_in_admin(&app).await;
    let (_, html) = admin.page("/admin/audit").await;
    assert!(texts(&html, ".audit-line p strong").contains(&"答复建言献策".to_string()));
}

#[tokio::test]
async fn suggestions_stay_with_their_author_and_district() {
    let app = spawn_app().await;
    let station = station_to_check(&app).await;
    let daxing_station = daxing_station(&app);
    let staff = signed_in_fengtai(&app).await;
    let supervisor = fengtai_supervisor(&app, &staff, "zhang.san").await;
    let other = fengtai_supervisor(&app, &staff, "li.si").await;

    // A station outside their districts: not found, for the form and the post.
    assert_eq!(supervisor.page(&format!("/supervise/suggestions/new?station={daxing_station}")).await.0, 404);
    let mut pairs = suggestion_form(&supervisor, "", "大兴的驿站没开门").await;
    set(&mut pairs, "station", &daxing_station.to_string());
    let res = post_pairs(&supervisor, "/supervise/suggestions/new", &pairs).await;
    assert_eq!(res.status().as_u16(), 404);
    set(&mut pairs, "station", "abc");
    let (status, html) = html_of(post_pairs(&supervisor, "/supervise/suggestions/new", &pairs).await).await;
    assert_eq!(status, 400);
    assert_eq!(text(&html, ".form-error, .field-error"), "驿站编号不对。");
    assert_eq!(own_suggestions(&app, "zhang.san").await, 0);

    let id =
        suggest(&supervisor, &suggestion_form(&supervisor, &format!("?station={station}"), "加个雨棚").await).await;
    let general = suggest(&supervisor, &suggestion_form(&supervisor, "", "统一标识").await).await;
    // Another supervisor: not found, not listed.
    assert_eq!(other.page(&format!("/supervise/suggestions/{id}")).await.0, 404);
    assert_eq!(supervisor.page(&format!("/supervise/suggestions/{id}")).await.0, 200);
    let (_, html) = other.page("/supervise").await;
    assert_eq!(count(&html, ".my-suggestions li.suggestion"), 0);
    // Another district's staff: neither the station's nor the general one (the
    // supervisor does not cover 大兴); a city admin sees both.
    let daxing = signed_in_daxing(&app).await;
    let (_, html) = daxing.page("/admin/suggestions?state=all").await;
    assert_eq!(count(&html, "li.suggestion"), 0);
    for g in [id, general] {
        assert_eq!(daxing.page(&format!("/admin/suggestions/{g}")).await.0, 404);
        assert_eq!(answer(&daxing, g, "好").await.status().as_u16(), 404);
    }
    let admin = signed_in_admin(&app).await;
    let (_, html) = admin.page("/admin/suggestions").await;
    assert_eq!(count(&html, "li.suggestion"), 2);
    assert_eq!(admin.page("/admin/suggestions?state=bogus").await.0, 400);
    // Without the token, nothing is stored or answered.
    let mut no_csrf = suggestion_form(&supervisor, "", "第三条").await;
    no_csrf.retain(|(k, _)| k != "csrf");
    assert_eq!(post_pairs(&supervisor, "/supervise/suggestions/new", &no_csrf).await.status().as_u16(), 403);
    assert_eq!(own_suggestions(&app, "zhang.san").await, 2);
    assert_eq!(staff.post(&format!("/admin/suggestions/{id}"), &[("answer", "好")]).await.status().as_u16(), 403);
    let (_, html) = app.page("/suggestions").await;
    assert_eq!(count(&html, ".public-suggestion"), 0);
    assert_eq!(text(&html, ".empty-suggestions"), "还没有公开的建议。");
}
