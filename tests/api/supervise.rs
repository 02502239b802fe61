//! Volunteer supervisors (issue 13): accounts from invite links, their home, inspection
//! reports, and staff review, with the ways a supervisor could step outside their lane.

use yizhan::domain::district::District;
use yizhan::domain::staff::Role;

use crate::admin::{
    PASSWORD, create_staff, form_pairs, get, post_pairs, set, sign_in, signed_in_admin, signed_in_fengtai,
};

use crate::helpers::*;

pub const FENGTAI: &str = "110106";
pub const DAXING: &str = "110115";

/// A member of staff of 大兴 (赵大兴), signed in.
pub async fn signed_in_daxing(app: &TestApp) -> Browser {
    let daxing = Role::DistrictStaff(District::parse(DAXING).expect("大兴"));
    create_staff(app, "daxing", "赵大兴", daxing).await;
    sign_in(app, "daxing").await
}

/// Makes an invite link for a supervisor of `districts`; its path (`/supervise/join/…`).
pub async fn invite(staff: &Browser, districts: &[&str]) -> String {
    let (status, html) = staff.page("/admin/supervisors").await;
    assert_eq!(status, 200);
    let csrf = attr(&html, "form.supervisor-invite input[name=csrf]", "value");
    let mut pairs = vec![("csrf", csrf.as_str())];
    pairs.extend(districts.iter().map(|d| ("district", *d)));
    let (status, html) = html_of(staff.post("/admin/supervisors/invite", &pairs).await).await;
    assert_eq!(status, 200);
    let link = attr(&html, "input.invite-link", "value");
    let at = link.find("/supervise/join/").expect("an invite path");
    link[at..].to_string()
}

/// The join form of `path` filled in for `username` (张三, a rider).
async fn join_form(browser: &Browser, path: &str, username: &str) -> Vec<(String, String)> {
    let (status, html) = browser.page(path).await;
    assert_eq!(status, 200, "{path}");
    let mut pairs = form_pairs(&html, "form.join-form");
    set(&mut pairs, "display_name", "张三");
    set(&mut pairs, "phone", "138 0013 8000");
    set(&mut pairs, "occupation", "rider");
    set(&mut pairs, "username", username);
    set(&mut pairs, "password", PASSWORD);
    set(&mut pairs, "again", PASSWORD);
    pairs
}

/// A new browser that joined from `path` as `username`, signed in.
pub async fn join(app: &TestApp, path: &str, username: &str) -> Browser {
    join_with(Browser::new(app), path, username).await
}

/// `browser` joins from `path` as `username`, signed in.
pub async fn join_with(browser: Browser, path: &str, username: &str) -> Browser {
    let pairs = join_form(&browser, path, username).await;
    let res = post_pairs(&browser, path, &pairs).await;
    assert_eq!(res.status().as_u16(), 303, "{username} joins");
    assert_eq!(location(&res), "/supervise?done=welcome");
    assert!(browser.cookie("yz_supervisor").is_some());
    browser
}

/// A supervisor of 丰台 invited by `staff`, signed in.
pub async fn fengtai_supervisor(app: &TestApp, staff: &Browser, username: &str) -> Browser {
    let path = invite(staff, &[FENGTAI]).await;
    join(app, &path, username).await
}

async fn supervisor_login(browser: &Browser, username: &str, password: &str) -> reqwest::Response {
    let csrf = browser.csrf("/supervise/login").await;
    browser.post("/supervise/login", &[("csrf", &csrf), ("username", username), ("password", password)]).await
}

#[tokio::test]
async fn a_supervisor_joins_from_a_one_time_link() {
    let app = spawn_app().await;
    let staff = signed_in_fengtai(&app).await;
    let (_, html) = staff.page("/admin/supervisors").await;
    // District staff invite for their own district only, ticked already.
    assert_eq!(texts(&html, "form.supervisor-invite label.check"), vec!["丰台区"]);
    assert_eq!(count(&html, "form.supervisor-invite input[name=district][checked]"), 1);
    assert_eq!(text(&html, ".panel .muted"), "还没有义务监督员。");
    let path = invite(&staff, &[FENGTAI]).await;

    let browser = Browser::new(&app);
    let (status, html) = browser.page(&path).await;
    assert_eq!(status, 200);
    assert!(text(&html, "main p").contains("丰台区"));
    assert_eq!(count(&html, "input[name=occupation][type=radio]"), 6);
    // Mistakes: the form comes back filled in, with the reasons, and nothing is stored.
    let mut pairs = join_form(&browser, &path, "zhang.san").await;
    set(&mut pairs, "phone", "call me");
    pairs.retain(|(k, _)| k != "occupation");
    let (status, html) = html_of(post_pairs(&browser, &path, &pairs).await).await;
    assert_eq!(status, 400);
    assert_eq!(text(&html, "#j-phone-error"), "请填写手机或座机号码。");
    assert_eq!(text(&html, "fieldset.choices .field-error"), "请选择你的职业。");
    assert_eq!(attr(&html, "#j-name", "value"), "张三");
    assert_eq!(attr(&html, "#j-user", "value"), "zhang.san");
    assert_eq!(attr(&html, "#j-phone", "value"), "call me");
    assert!(app.state.store.supervisors_for(Role::CityAdmin).await.unwrap().is_empty());

    let supervisor = join(&app, &path, "zhang.san").await;
    let (status, html) = supervisor.page("/supervise?done=welcome").await;
    assert_eq!(status, 200);
    assert_eq!(text(&html, ".admin-who"), "张三 · 丰台区");
    assert_eq!(text(&html, ".flash"), "账号已创建，欢迎加入义务监督员队伍。");
    let res = supervisor.get("/supervise").await;
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");

    // The link works once.
    let (status, _) = Browser::new(&app).page(&path).await;
    assert_eq!(status, 410);

    // Staff of the district list them; another district's staff do not see them.
    let (_, html) = staff.page("/admin/supervisors").await;
    assert_eq!(texts(&html, "tr.supervisor-row .sv-name"), vec!["张三"]);
    assert_eq!(text(&html, "tr.supervisor-row td:nth-child(3)"), "外卖骑手");
    assert_eq!(text(&html, "tr.supervisor-row .sv-state"), "正常");
    let daxing = signed_in_daxing(&app).await;
    let (_, html) = daxing.page("/admin/supervisors").await;
    assert_eq!(count(&html, "tr.supervisor-row"), 0);
    let admin = signed_in_admin(&app).await;
    let (_, html) = admin.page(&format!("/admin/supervisors?district={DAXING}")).await;
    assert_eq!(count(&html, "tr.supervisor-row"), 0);
    let (_, html) = admin.page(&format!("/admin/supervisors?district={FENGTAI}")).await;
    assert_eq!(texts(&html, "tr.supervisor-row .sv-name"), vec!["张三"]);

    // Signing out and in again, on the supervisors' own login page.
    let csrf =
        attr(&supervisor.page("/supervise").await.1, "form[action='/supervise/logout'] input[name=csrf]", "value");
    let res = supervisor.post("/supervise/logout", &[("csrf", &csrf)]).await;
    assert_eq!(location(&res), "/supervise/login");
    assert_eq!(location(&supervisor.get("/supervise").await), "/supervise/login?next=%2Fsupervise");
    let (status, html) = html_of(supervisor_login(&supervisor, "zhang.san", "wrong password!").await).await;
    assert_eq!(status, 401);
    assert_eq!(text(&html, ".form-error"), "用户名或密码不正确。");
    let res = supervisor_login(&supervisor, "Zhang.San", PASSWORD).await;
    assert_eq!(location(&res), "/supervise");
    // A supervisor is not staff: the staff login does not know them.
    let (status, _) = html_of(crate::admin::login(&Browser::new(&app), "zhang.san", PASSWORD, "").await).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_supervisor_may_cover_several_districts_named_by_a_city_admin() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    let (_, html) = admin.page("/admin/supervisors").await;
    assert_eq!(count(&html, "form.supervisor-invite input[name=district]"), 16);
    assert_eq!(count(&html, "form.supervisor-invite input[name=district][checked]"), 0);
    // No district: refused, nothing made.
    let csrf = attr(&html, "form.supervisor-invite input[name=csrf]", "value");
    let (status, html) = html_of(admin.post("/admin/supervisors/invite", &[("csrf", &csrf)]).await).await;
    assert_eq!(status, 400);
    assert_eq!(text(&html, ".form-error"), "请至少选择一个区。");
    assert_eq!(count(&html, "input.invite-link"), 0);

    let path = invite(&admin, &[FENGTAI, DAXING]).await;
    let supervisor = join(&app, &path, "li.si").await;
    let (_, html) = supervisor.page("/supervise").await;
    assert_eq!(text(&html, ".admin-who"), "张三 · 丰台区、大兴区");
    for staff in [signed_in_fengtai(&app).await, signed_in_daxing(&app).await] {
        let (_, html) = staff.page("/admin/supervisors").await;
        assert_eq!(text(&html, ".sv-districts"), "丰台区、大兴区");
    }
}

#[tokio::test]
async fn district_staff_invite_for_their_district_only() {
    let app = spawn_app().await;
    let staff = signed_in_fengtai(&app).await;
    let csrf = staff.csrf("/admin/supervisors").await;
    let res = staff.post("/admin/supervisors/invite", &[("csrf", &csrf), ("district", DAXING)]).await;
    assert_eq!(res.status().as_u16(), 404);
    let res = staff.post("/admin/supervisors/invite", &[("csrf", &csrf), ("district", "999999")]).await;
    assert_eq!(res.status().as_u16(), 400);
    // Without the form's token nothing is made.
    let res = staff.post("/admin/supervisors/invite", &[("district", FENGTAI)]).await;
    assert_eq!(res.status().as_u16(), 403);
}

#[tokio::test]
async fn a_supervisor_never_opens_staff_pages() {
    let app = spawn_app().await;
    let staff = signed_in_fengtai(&app).await;
    let supervisor = fengtai_supervisor(&app, &staff, "zhang.san").await;
    for path in ["/admin", "/admin/feedback", "/admin/stations", "/admin/supervisors", "/admin/reports"] {
        let (status, html) = supervisor.page(path).await;
        assert_eq!(status, 403, "{path}");
        assert_eq!(text(&html, "h1"), "仅供工会工作人员使用");
    }
    let csrf = supervisor.csrf("/supervise").await;
    let res = supervisor.post("/admin/supervisors/invite", &[("csrf", &csrf), ("district", FENGTAI)]).await;
    assert_eq!(res.status().as_u16(), 403);
    // Staff pages do not open supervisor pages either.
    assert_eq!(location(&staff.get("/supervise").await), "/supervise/login?next=%2Fsupervise");
}

#[tokio::test]
async fn a_suspended_supervisor_is_signed_out_at_once() {
    let app = spawn_app().await;
    let staff = signed_in_fengtai(&app).await;
    let supervisor = fengtai_supervisor(&app, &staff, "zhang.san").await;
    let id = app.state.store.supervisors_for(Role::CityAdmin).await.unwrap()[0].id;
    let csrf = staff.csrf("/admin/supervisors").await;

    // Another district's staff cannot touch them.
    let daxing = signed_in_daxing(&app).await;
    let daxing_csrf = daxing.csrf("/admin/supervisors").await;
    let res =
        daxing.post(&format!("/admin/supervisors/{id}/status"), &[("csrf", &daxing_csrf), ("action", "suspend")]).await;
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(supervisor.page("/supervise").await.0, 200);

    let res = staff.post(&format!("/admin/supervisors/{id}/status"), &[("action", "suspend")]).await;
    assert_eq!(res.status().as_u16(), 403, "no CSRF token, no change");
    let res = staff.post(&format!("/admin/supervisors/{id}/status"), &[("csrf", &csrf), ("action", "suspend")]).await;
    assert_eq!(location(&res), "/admin/supervisors?done=suspended");
    let (_, html) = staff.page(&location(&res)).await;
    assert_eq!(text(&html, ".flash"), "已暂停，对方已被退出登录。");
    assert_eq!(text(&html, ".sv-state"), "已暂停");

    // The next request is signed out, and signing in again is refused with the reason.
    assert_eq!(location(&supervisor.get("/supervise").await), "/supervise/login?next=%2Fsupervise");
    let (status, html) = html_of(supervisor_login(&supervisor, "zhang.san", PASSWORD).await).await;
    assert_eq!(status, 403);
    assert_eq!(text(&html, ".form-error"), "这个账号已被区工会暂停，请联系区工会。");
    assert_eq!(location(&supervisor.get("/supervise").await), "/supervise/login?next=%2Fsupervise");

    // In the audit log; lifted, they sign in again.
    let admin = signed_in_admin(&app).await;
    let (_, html) = admin.page("/admin/audit").await;
    assert!(texts(&html, ".audit-line p strong").contains(&"暂停义务监督员".to_string()));
    let res = staff.post(&format!("/admin/supervisors/{id}/status"), &[("csrf", &csrf), ("action", "reinstate")]).await;
    assert_eq!(location(&res), "/admin/supervisors?done=reinstated");
    assert_eq!(location(&supervisor_login(&supervisor, "zhang.san", PASSWORD).await), "/supervise");
    assert_eq!(supervisor.page("/supervise").await.0, 200);
}

/// A 丰台 station added for a test, checked on `verified` ("" for never).
pub fn fengtai_station_checked(name: &str, verified: &str) -> yizhan::domain::station::Station {
    let mut s = station(name, 110106, "Mo-Su 08:00-20:00", &["water", "toilet", "charging"]);
    s.verified_on = (!verified.is_empty()).then(|| verified.parse().expect("date"));
    s
}

#[tokio::test]
async fn the_home_lists_the_stations_checked_longest_ago_first() {
    let app = spawn_app().await;
    let mut added = Vec::new();
    for i in 0..22 {
        added.push(fengtai_station_checked(&format!("丰台未核实{i:02}"), ""));
    }
    added.push(fengtai_station_checked("丰台十一月核实", "2025-11-01"));
    added.push(fengtai_station_checked("丰台六月核实", "2025-06-01"));
    let mut revoked = fengtai_station_checked("丰台已撤销", "");
    revoked.status = yizhan::domain::station::Status::Revoked;
    added.push(revoked);
    added.push(station("大兴的驿站", 110115, "24/7", &[]));
    app.add(added).await;
    let expected = app
        .state
        .snapshot
        .load()
        .entries()
        .iter()
        .filter(|e| e.station.district.code == 110106 && e.station.is_public())
        .count();
    assert!(expected > 24);

    let staff = signed_in_fengtai(&app).await;
    let supervisor = fengtai_supervisor(&app, &staff, "zhang.san").await;
    let mut names = Vec::new();
    let mut checked = Vec::new();
    let mut path = "/supervise".to_string();
    loop {
        let (status, html) = supervisor.page(&path).await;
        assert_eq!(status, 200);
        assert!(count(&html, "li.sv-station") <= 20);
        names.extend(texts(&html, "li.sv-station .station-name"));
        checked.extend(texts(&html, "li.sv-station .sv-checked"));
        match html.select(&sel("a[rel=next]")).next() {
            Some(a) => path = a.value().attr("href").expect("href").to_string(),
            None => break,
        }
    }
    assert_eq!(names.len(), expected, "every public 丰台 station, once");
    assert!(!names.iter().any(|n| n == "丰台已撤销" || n == "大兴的驿站"), "{names:?}");
    // Never checked first, then the oldest check.
    let first_checked = checked.iter().position(|c| c != "从未核实").expect("some were checked");
    assert!(checked[first_checked..].iter().all(|c| c != "从未核实"));
    let june = names.iter().position(|n| n == "丰台六月核实").expect("listed");
    let november = names.iter().position(|n| n == "丰台十一月核实").expect("listed");
    assert!(first_checked <= june && june < november, "{names:?}");
    assert_eq!(checked[november], "上次核实 2025-11-01（16天前）");
    let (status, _) = supervisor.page("/supervise?page=abc").await;
    assert_eq!(status, 400);
}

/// A 丰台 station with water, toilet and charging; its id.
pub async fn station_to_check(app: &TestApp) -> i64 {
    app.add(vec![fengtai_station_checked("丰台检查站", "")]).await[0]
}

/// The id of the supervisor signed in as `username`.
pub async fn supervisor_id(app: &TestApp, username: &str) -> i64 {
    let all = app.state.store.supervisors_for(Role::CityAdmin).await.unwrap();
    all.iter().find(|s| s.username == username).expect("supervisor").id
}

/// The report form of `station` filled in as a visit at 09:30 today: open, sign seen,
/// nobody there, water working, toilet missing, charging broken, clean (4).
pub async fn report_form(supervisor: &Browser, station: i64) -> Vec<(String, String)> {
    let (status, html) = supervisor.page(&format!("/supervise/stations/{station}/report")).await;
    assert_eq!(status, 200);
    assert_clean_frame(&html);
    let mut pairs = form_pairs(&html, "form.report-form");
    for (k, v) in [
        ("visited_at", "2025-11-17T09:30"),
        ("open", "yes"),
        ("sign", "yes"),
        ("staffed", "no"),
        ("f_water", "working"),
        ("f_toilet", "missing"),
        ("f_charging", "broken"),
        ("cleanliness", "4"),
        ("notes", "门口\u{202E}标识牌被树挡住了"),
    ] {
        set(&mut pairs, k, v);
    }
    pairs
}

/// Files a report; the id it was stored under.
pub async fn file_report(supervisor: &Browser, station: i64, pairs: &[(String, String)]) -> i64 {
    let res = post_pairs(supervisor, &format!("/supervise/stations/{station}/report"), pairs).await;
    if res.status().as_u16() != 303 {
        let (status, html) = html_of(res).await;
        panic!("report refused ({status}): {:?}", texts(&html, ".field-error, .form-error"));
    }
    let to = location(&res);
    let id = to.trim_start_matches("/supervise/reports/").trim_end_matches("?done=filed");
    id.parse().unwrap_or_else(|_| panic!("report path {to}"))
}

#[tokio::test]
async fn a_supervisor_files_an_inspection_report() {
    let app = spawn_app().await;
    let station = station_to_check(&app).await;
    let staff = signed_in_fengtai(&app).await;
    let supervisor = fengtai_supervisor(&app, &staff, "zhang.san").await;

    let (_, html) = supervisor.page("/supervise").await;
    let link = format!("/supervise/stations/{station}/report");
    assert!(html.select(&sel(&format!("a[href='{link}']"))).next().is_some(), "the home links to the form");
    let (status, html) = supervisor.page(&link).await;
    assert_eq!(status, 200);
    assert_eq!(supervisor.get(&link).await.headers().get("cache-control").unwrap(), "no-store");
    // One line per listed facility, three findings each; the name is not shown unless ticked.
    assert_eq!(texts(&html, "fieldset.sv-facility legend"), vec!["饮水", "厕所", "充电"]);
    assert_eq!(count(&html, "fieldset.sv-facility input[type=radio]"), 9);
    assert_eq!(count(&html, "input[name=show_name][checked]"), 0);
    assert_eq!(attr(&html, "#r-visited", "value"), "2025-11-17T10:00");
    assert_eq!(attr(&html, "#r-visited", "max"), "2025-11-17T10:00");
    assert_eq!(attr(&html, "#r-visited", "min"), "2025-10-18T10:00");

    let pairs = report_form(&supervisor, station).await;
    let id = file_report(&supervisor, station, &pairs).await;
    let (status, html) = supervisor.page(&format!("/supervise/reports/{id}?done=filed")).await;
    assert_eq!(status, 200);
    assert_eq!(text(&html, ".flash"), "检查报告已提交，区工会审核后会在这里显示结果。");
    assert_eq!(text(&html, ".report-state"), "待审核");
    assert_eq!(text(&html, ".report-visited"), "2025-11-17 09:30");
    assert_eq!(texts(&html, ".report-findings li"), vec!["饮水 · 有，能用", "厕所 · 没有", "充电 · 有，坏了"]);
    assert_eq!(text(&html, ".report-notes"), "门口标识牌被树挡住了", "bidi controls are dropped");
    let stored = app.state.store.own_report(id, supervisor_id(&app, "zhang.san").await).await.unwrap().unwrap();
    assert_eq!((stored.cleanliness, stored.staffed, stored.sign_visible, stored.show_name), (4, false, true, false));

    // The home says what they filed and where it stands.
    let (_, html) = supervisor.page("/supervise").await;
    assert_eq!(texts(&html, "li.sv-report .sv-report-station"), vec!["丰台检查站"]);
    assert_eq!(text(&html, "li.sv-report .report-state"), "待审核");
}

#[tokio::test]
async fn a_report_posted_twice_is_stored_once() {
    let app = spawn_app().await;
    let station = station_to_check(&app).await;
    let staff = signed_in_fengtai(&app).await;
    let supervisor = fengtai_supervisor(&app, &staff, "zhang.san").await;
    let pairs = report_form(&supervisor, station).await;
    let first = file_report(&supervisor, station, &pairs).await;
    let again = file_report(&supervisor, station, &pairs).await;
    assert_eq!(first, again, "the retry finds the stored report");
    let sid = supervisor_id(&app, "zhang.san").await;
    assert_eq!(app.state.store.own_reports(sid).await.unwrap().len(), 1);
    // A new form has a new key: a second visit is a second report.
    let second = file_report(&supervisor, station, &report_form(&supervisor, station).await).await;
    assert_ne!(second, first);
    assert_eq!(app.state.store.own_reports(sid).await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_visit_in_the_future_comes_back_filled_in() {
    let app = spawn_app().await;
    let station = station_to_check(&app).await;
    let staff = signed_in_fengtai(&app).await;
    let supervisor = fengtai_supervisor(&app, &staff, "zhang.san").await;
    let mut pairs = report_form(&supervisor, station).await;
    set(&mut pairs, "visited_at", "2025-11-18T09:30");
    set(&mut pairs, "show_name", "1");
    let path = format!("/supervise/stations/{station}/report");
    let (status, html) = html_of(post_pairs(&supervisor, &path, &pairs).await).await;
    assert_eq!(status, 400);
    assert_eq!(text(&html, "#r-visited-error"), "检查时间不能晚于现在。");
    // Every field is filled in again, with the same submission key.
    let back = form_pairs(&html, "form.report-form");
    for field in
        ["visited_at", "open", "sign", "staffed", "f_water", "f_toilet", "f_charging", "cleanliness", "submission"]
    {
        assert_eq!(get(&back, field), get(&pairs, field), "{field}");
    }
    assert_eq!(get(&back, "notes"), get(&pairs, "notes"), "as typed");
    assert_eq!(count(&html, "input[name=show_name][checked]"), 1);
    let sid = supervisor_id(&app, "zhang.san").await;
    assert!(app.state.store.own_reports(sid).await.unwrap().is_empty(), "nothing stored");

    // Too old, unanswered, too long: all said at once; then fixed, the same form is stored.
    let mut bad = back.clone();
    set(&mut bad, "visited_at", "2025-10-01T09:30");
    bad.retain(|(k, _)| k != "f_toilet" && k != "cleanliness");
    set(&mut bad, "notes", &"字".repeat(1001));
    let (status, html) = html_of(post_pairs(&supervisor, &path, &bad).await).await;
    assert_eq!(status, 400);
    assert_eq!(text(&html, "#r-visited-error"), "只能提交30天以内的检查。");
    assert_eq!(text(&html, ".sv-facilities > .field-error"), "请选择一项。");
    assert_eq!(text(&html, ".sv-clean .field-error"), "请选择一项。");
    assert_eq!(text(&html, "#r-notes-error"), "最多1000字。");
    set(&mut bad, "visited_at", "2025-11-17T08:00");
    set(&mut bad, "f_toilet", "working");
    set(&mut bad, "cleanliness", "5");
    set(&mut bad, "notes", "");
    let id = file_report(&supervisor, station, &bad).await;
    let stored = app.state.store.own_report(id, sid).await.unwrap().unwrap();
    assert!(stored.show_name && stored.notes.is_empty() && stored.missing.is_empty());
    assert_eq!(get(&bad, "submission"), get(&pairs, "submission"));
}

#[tokio::test]
async fn supervisors_stay_inside_their_districts_and_reports() {
    let app = spawn_app().await;
    let station = station_to_check(&app).await;
    let daxing_station = app.add(vec![crate::helpers::station("大兴的驿站", 110115, "24/7", &["water"])]).await[0];
    let staff = signed_in_fengtai(&app).await;
    let supervisor = fengtai_supervisor(&app, &staff, "zhang.san").await;
    let other = fengtai_supervisor(&app, &staff, "li.si").await;

    // Another district's station: not found, to read or to file.
    let path = format!("/supervise/stations/{daxing_station}/report");
    assert_eq!(supervisor.page(&path).await.0, 404);
    let mut pairs = report_form(&supervisor, station).await;
    pairs.retain(|(k, _)| !k.starts_with("f_"));
    set(&mut pairs, "f_water", "working");
    let res = post_pairs(&supervisor, &path, &pairs).await;
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(supervisor.page("/supervise/stations/999999/report").await.0, 404);
    assert_eq!(supervisor.page("/supervise/stations/abc/report").await.0, 404);

    // Another supervisor's report: not found.
    let id = file_report(&supervisor, station, &report_form(&supervisor, station).await).await;
    assert_eq!(other.page(&format!("/supervise/reports/{id}")).await.0, 404);
    assert_eq!(supervisor.page(&format!("/supervise/reports/{id}")).await.0, 200);
    assert_eq!(supervisor.page("/supervise/reports/x").await.0, 404);
    let (_, html) = other.page("/supervise").await;
    assert_eq!(count(&html, "li.sv-report"), 0);

    // Without the form's token: refused, nothing stored.
    let mut no_csrf = report_form(&other, station).await;
    no_csrf.retain(|(k, _)| k != "csrf");
    let res = post_pairs(&other, &format!("/supervise/stations/{station}/report"), &no_csrf).await;
    assert_eq!(res.status().as_u16(), 403);
    assert!(app.state.store.own_reports(supervisor_id(&app, "li.si").await).await.unwrap().is_empty());
    // Signed out: to the supervisors' login.
    let res = Browser::new(&app).post(&format!("/supervise/stations/{station}/report"), &[("csrf", "x")]).await;
    assert!(location(&res).starts_with("/supervise/login?next="));
    let res = Browser::new(&app).get(&format!("/supervise/reports/{id}")).await;
    assert_eq!(location(&res), format!("/supervise/login?next=%2Fsupervise%2Freports%2F{id}"));
}

#[tokio::test]
async fn a_suspended_supervisor_cannot_file() {
    let app = spawn_app().await;
    let station = station_to_check(&app).await;
    let staff = signed_in_fengtai(&app).await;
    let supervisor = fengtai_supervisor(&app, &staff, "zhang.san").await;
    let pairs = report_form(&supervisor, station).await;
    let sid = supervisor_id(&app, "zhang.san").await;
    let csrf = staff.csrf("/admin/supervisors").await;
    let res = staff.post(&format!("/admin/supervisors/{sid}/status"), &[("csrf", &csrf), ("action", "suspend")]).await;
    assert_eq!(res.status().as_u16(), 303);
    let res = post_pairs(&supervisor, &format!("/supervise/stations/{station}/report"), &pairs).await;
    assert_eq!(res.status().as_u16(), 303);
    assert!(location(&res).starts_with("/supervise/login?next="), "signed out");
    assert!(app.state.store.own_reports(sid).await.unwrap().is_empty());
}

/// A staff decision on report `id` (`action`, `comment`, `apply`).
pub async fn decide(staff: &Browser, id: i64, pairs: &[(&str, &str)]) -> reqwest::Response {
    let csrf = staff.csrf("/admin/reports").await;
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(pairs);
    staff.post(&format!("/admin/reports/{id}"), &all).await
}

/// The "last checked" line of a station's public page.
pub async fn public_checked(app: &TestApp, station: i64) -> String {
    let (status, html) = app.page(&format!("/stations/{station}")).await;
    assert_eq!(status, 200);
    text(&html, "dd.verified")
}

#[tokio::test]
async fn accepting_a_report_marks_the_station_checked() {
    let app = spawn_app().await;
    let station = station_to_check(&app).await;
    let staff = signed_in_fengtai(&app).await;
    let supervisor = fengtai_supervisor(&app, &staff, "zhang.san").await;
    let mut pairs = report_form(&supervisor, station).await;
    set(&mut pairs, "show_name", "1");
    let id = file_report(&supervisor, station, &pairs).await;
    assert_eq!(public_checked(&app, station).await, "尚未经工会工作人员现场核实");

    // The district's staff see it waiting, with what stands out; another district's do not.
    let (_, html) = staff.page("/admin/reports").await;
    assert_eq!(texts(&html, "li.sv-report .sv-report-station"), vec!["丰台检查站"]);
    assert_eq!(text(&html, "li.sv-report .report-problems"), "1项设施缺失 · 1项设施损坏");
    let daxing = signed_in_daxing(&app).await;
    let (_, html) = daxing.page("/admin/reports").await;
    assert_eq!(count(&html, "li.sv-report"), 0);
    assert_eq!(daxing.page(&format!("/admin/reports/{id}")).await.0, 404);
    assert_eq!(decide(&daxing, id, &[("action", "accept")]).await.status().as_u16(), 404);

    let (status, html) = staff.page(&format!("/admin/reports/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(text(&html, ".report-author"), "义务监督员：张三 · 同意在驿站页面公开姓名");
    assert_eq!(text(&html, ".public-line"), "义务监督员张三 11月17日 实地查看");
    assert_eq!(
        text(&html, "label.apply-findings"),
        "同时从驿站设施中去掉报告为“没有”的：厕所 把报告为“坏了”的标为暂时不可用：充电"
    );
    // Without the form's token nothing happens.
    let res = staff.post(&format!("/admin/reports/{id}"), &[("action", "accept")]).await;
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(public_checked(&app, station).await, "尚未经工会工作人员现场核实");

    let res = decide(&staff, id, &[("action", "accept"), ("apply", "1")]).await;
    assert_eq!(location(&res), format!("/admin/reports/{id}?done=accepted"));
    let (_, html) = staff.page(&location(&res)).await;
    assert_eq!(text(&html, ".flash"), "已采纳，驿站页面已更新。");
    assert_eq!(text(&html, ".report-state"), "已采纳");
    assert_eq!(count(&html, "form.review-form"), 0, "decided: no more buttons");

    // The station: checked on the visit date by a supervisor; the missing toilet is gone,
    // the broken charger stays listed but "not working for now".
    let s = app.state.store.station(station).await.unwrap().unwrap();
    assert_eq!(s.verified_on.map(|d| d.to_string()).as_deref(), Some("2025-11-17"));
    assert_eq!(s.verified_by.name(), Some("张三"));
    let keys: Vec<&str> = s.facilities.iter().map(|f| f.key()).collect();
    assert_eq!(keys, vec!["water", "charging"]);
    let out: Vec<&str> = s.unavailable.iter().map(|f| f.key()).collect();
    assert_eq!(out, vec!["charging"]);
    assert_eq!(public_checked(&app, station).await, "义务监督员张三 11月17日 实地查看");
    let (_, html) = app.page(&format!("/stations/{station}")).await;
    assert!(!texts(&html, ".facilities .chip").contains(&"厕所".to_string()));
    assert!(!texts(&html, ".facilities .chip").contains(&"充电".to_string()));
    assert_eq!(texts(&html, ".chip-unavailable"), vec!["充电"]);
    assert_eq!(count(&html, ".key-facilities li.kf-charging.lacks"), 1);
    // Facility filters find only what works now.
    let charging_ids = |body: serde_json::Value| -> Vec<i64> {
        body["items"].as_array().unwrap().iter().filter_map(|i| i["id"].as_i64()).collect()
    };
    let (_, list) = app.json("/api/stations?district=110106&facility=charging&per_page=100").await;
    assert!(!charging_ids(list).contains(&station), "a broken charger is not found by the filter");
    // Fixed: staff untick it on the edit form, and it counts again.
    let mut pairs = crate::admin::edit_form(&staff, station).await;
    assert_eq!(get(&pairs, "unavailable"), "charging");
    pairs.retain(|(k, _)| k != "unavailable");
    let res = post_pairs(&staff, &format!("/admin/stations/{station}"), &pairs).await;
    assert_eq!(res.status().as_u16(), 303, "saved");
    let (_, list) = app.json("/api/stations?district=110106&facility=charging&per_page=100").await;
    assert!(charging_ids(list).contains(&station), "fixed: found again");

    // The supervisor sees it accepted; deciding again changes nothing.
    let (_, html) = supervisor.page("/supervise").await;
    assert_eq!(text(&html, "li.sv-report .report-state"), "已采纳");
    let res = decide(&staff, id, &[("action", "return"), ("comment", "再看看")]).await;
    assert_eq!(location(&res), format!("/admin/reports/{id}?done=nothing"));

    // Audited: the decision and the station edit, in words.
    let admin = signed_in_admin(&app).await;
    let (_, html) = admin.page(&format!("/admin/audit?station={station}")).await;
    let actions = texts(&html, ".audit-line p strong");
    assert_eq!(
        actions[..3],
        ["编辑".to_string(), "采纳检查报告".to_string(), "按检查报告更新".to_string()],
        "newest first: the fix, the decision, the station updated by it"
    );
    let after = texts(&html, ".changes td.after");
    for expected in ["已采纳", "饮水、充电", "2025-11-17", "义务监督员实地查看", "张三"] {
        assert!(after.contains(&expected.to_string()), "{expected} in {after:?}");
    }
    // A later staff check says so again.
    let res = crate::admin::set_status(&staff, station, &[("action", "verify")]).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(public_checked(&app, station).await, "2025-11-17");
    assert_eq!(app.state.store.station(station).await.unwrap().unwrap().verified_by.name(), None);
}

#[tokio::test]
async fn a_returned_report_shows_the_comment_to_its_author() {
    let app = spawn_app().await;
    let station = station_to_check(&app).await;
    let staff = signed_in_fengtai(&app).await;
    let supervisor = fengtai_supervisor(&app, &staff, "zhang.san").await;
    let id = file_report(&supervisor, station, &report_form(&supervisor, station).await).await;

    let (status, html) = html_of(decide(&staff, id, &[("action", "return"), ("comment", "  ")]).await).await;
    assert_eq!(status, 400);
    assert_eq!(text(&html, ".form-error"), "退回检查报告需要填写意见。");
    let long = "字".repeat(501);
    let (status, html) = html_of(decide(&staff, id, &[("action", "return"), ("comment", &long)]).await).await;
    assert_eq!(status, 400);
    assert_eq!(text(&html, "textarea#comment"), long, "the comment is kept");
    let (status, _) = html_of(decide(&staff, id, &[("action", "maybe")]).await).await;
    assert_eq!(status, 400);

    let res = decide(&staff, id, &[("action", "return"), ("comment", "请补充厕所的具体情况")]).await;
    assert_eq!(location(&res), format!("/admin/reports/{id}?done=returned"));
    let (_, html) = supervisor.page("/supervise").await;
    assert_eq!(text(&html, "li.sv-report .report-state"), "已退回");
    assert_eq!(text(&html, "li.sv-report .report-comment"), "工作人员意见：请补充厕所的具体情况");
    let (_, html) = supervisor.page(&format!("/supervise/reports/{id}")).await;
    assert_eq!(text(&html, "dd.report-comment"), "请补充厕所的具体情况");
    assert_eq!(public_checked(&app, station).await, "尚未经工会工作人员现场核实", "the station is unchanged");

    // A second report, name not ticked and findings not applied: the station keeps its
    // facilities and the page names no one.
    let id = file_report(&supervisor, station, &report_form(&supervisor, station).await).await;
    let (_, html) = staff.page(&format!("/admin/reports/{id}")).await;
    assert_eq!(text(&html, ".report-author"), "义务监督员：张三 · 不公开姓名");
    let res = decide(&staff, id, &[("action", "accept")]).await;
    assert_eq!(location(&res), format!("/admin/reports/{id}?done=accepted"));
    assert_eq!(public_checked(&app, station).await, "义务监督员 11月17日 实地查看");
    let s = app.state.store.station(station).await.unwrap().unwrap();
    assert_eq!(s.facilities.iter().count(), 3);
    let (_, html) = staff.page("/admin/reports").await;
    assert_eq!(count(&html, "li.sv-report"), 0, "nothing waiting");
    let (_, html) = staff.page("/admin/reports?state=all").await;
    assert_eq!(count(&html, "li.sv-report"), 2);
    assert_eq!(staff.page("/admin/reports?state=bogus").await.0, 400);
}

/// Posts the report form as an upload with `photos`.
async fn upload_report(
    supervisor: &Browser,
    station: i64,
    pairs: &[(String, String)],
    photos: &[(&str, &[u8])],
) -> reqwest::Response {
    let fields: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    supervisor
        .client
        .post(format!("{}/supervise/stations/{station}/report", supervisor.base))
        .header("Content-Type", format!("multipart/form-data; boundary={}", crate::photos::BOUNDARY))
        .body(crate::photos::multipart_with(&fields, photos))
        .send()
        .await
        .expect("upload")
}

fn has(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn report_photos_survive_a_refused_form_and_stay_private() {
    use yizhan::domain::photo::samples;
    let app = spawn_app().await;
    let staff = signed_in_fengtai(&app).await;
    let supervisor = fengtai_supervisor(&app, &staff, "zhao").await;
    let station = station_to_check(&app).await;
    let mut pairs = report_form(&supervisor, station).await;
    set(&mut pairs, "visited_at", "2099-01-01T09:00");
    let door = samples::jpeg_with_exif(1200, 900, 1);
    let inside = samples::png(640, 480);
    let whole = samples::jpeg(300, 200);
    let broken = &whole[..whole.len() / 2];
    // A visit in the future and one broken photo: the form comes back with both
    // reasons, and the two good photos kept under its key.
    let res =
        upload_report(&supervisor, station, &pairs, &[("a.jpg", &door), ("b.png", &inside), ("c.jpg", broken)]).await;
    assert_eq!(res.status().as_u16(), 400);
    let html = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(html.select(&sel(".report-photos img")).count(), 2);
    assert!(text(&html, "#r-photos-error").contains("不完整"), "{}", text(&html, "#r-photos-error"));
    let kept = form_pairs(&html, "form.report-form");
    assert_eq!(get(&kept, "submission"), get(&pairs, "submission"));
    // Fixed and sent again without choosing the photos again: stored with them.
    let mut fixed = kept.clone();
    set(&mut fixed, "visited_at", "2025-11-17T09:30");
    let res = upload_report(&supervisor, station, &fixed, &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    let report = location(&res);
    let id: i64 = report.trim_start_matches("/supervise/reports/").trim_end_matches("?done=filed").parse().unwrap();
    let (_, page) = supervisor.page(&report).await;
    let srcs: Vec<String> =
        page.select(&sel(".report-photos img")).filter_map(|i| i.value().attr("src").map(String::from)).collect();
    assert_eq!(srcs.len(), 2, "{srcs:?}");
    // The author sees them, private and without the GPS block.
    for src in &srcs {
        let res = supervisor.get(src).await;
        assert_eq!(res.status().as_u16(), 200, "{src}");
        assert_eq!(res.headers()["cache-control"], "no-store");
        let bytes = res.bytes().await.unwrap();
        assert!(!has(&bytes, b"GPS-SECRET") && !has(&bytes, b"Exif"));
    }
    let hash = srcs[0].split('/').nth(3).unwrap().to_string();
    // Nobody else: not the public, not another supervisor.
    assert_eq!(app.get(&format!("/photos/{hash}/small.jpg")).await.status().as_u16(), 404);
    let other = fengtai_supervisor(&app, &staff, "qian").await;
    assert_eq!(other.get(&srcs[0]).await.status().as_u16(), 404);
    // Staff of the district see them on the report; staff of another district do not.
    let (_, review) = staff.page(&format!("/admin/reports/{id}")).await;
    let staff_src = attr(&review, ".report-photos img", "src");
    assert_eq!(staff_src, format!("/admin/reports/{id}/photos/{hash}/small.jpg"));
    let res = staff.get(&staff_src).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let daxing = signed_in_daxing(&app).await;
    assert_eq!(daxing.get(&staff_src).await.status().as_u16(), 404);
    // A photo that is not this report's is "not found" on its page.
    let res = staff.get(&format!("/admin/reports/{id}/photos/0123456789abcdef0123456789abcdef/small.jpg")).await;
    assert_eq!(res.status().as_u16(), 404);
}

#[tokio::test]
async fn a_report_takes_four_photos_at_most() {
    use yizhan::domain::photo::samples;
    let app = spawn_app().await;
    let staff = signed_in_fengtai(&app).await;
    let supervisor = fengtai_supervisor(&app, &staff, "sun").await;
    let station = station_to_check(&app).await;
    let pairs = report_form(&supervisor, station).await;
    let photos: Vec<Vec<u8>> = (0..5).map(|i| samples::jpeg(200 + i, 100)).collect();
    // Five in one form: refused whole, nothing stored.
    let five: Vec<(&str, &[u8])> = photos.iter().map(|p| ("p.jpg", p.as_slice())).collect();
    let res = upload_report(&supervisor, station, &pairs, &five).await;
    assert_eq!(res.status().as_u16(), 400);
    // Four, then a fifth on a form that came back: "at most 4".
    let mut bad = pairs.clone();
    set(&mut bad, "open", "");
    let res = upload_report(&supervisor, station, &bad, &five[..4]).await;
    assert_eq!(res.status().as_u16(), 400);
    let html = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(html.select(&sel(".report-photos img")).count(), 4);
    assert_eq!(count(&html, "input[type=file]"), 0, "no room for more");
    let res = upload_report(&supervisor, station, &pairs, &five[4..]).await;
    assert_eq!(res.status().as_u16(), 400);
    let html = scraper::Html::parse_document(&res.text().await.unwrap());
    assert!(text(&html, "#r-photos-error").contains('4'), "{}", text(&html, "#r-photos-error"));
    let res = upload_report(&supervisor, station, &pairs, &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    let id: i64 =
        location(&res).trim_start_matches("/supervise/reports/").trim_end_matches("?done=filed").parse().unwrap();
    assert_eq!(app.state.store.report_photos(id).await.unwrap().len(), 4);
}

#[tokio::test]
async fn figures_count_inspections_and_checked_stations_per_district() {
    let app = spawn_app().await;
    let staff = signed_in_fengtai(&app).await;
    let supervisor = fengtai_supervisor(&app, &staff, "wuqiang").await;
    let station = station_to_check(&app).await;
    let (_, before) = staff.page("/admin/figures").await;
    assert_eq!(texts(&before, ".figure-line h2"), vec!["丰台区"], "one's own district only");
    assert_eq!(text(&before, ".fig-inspections"), "0");
    let stations: usize = text(&before, ".fig-stations").parse().unwrap();
    assert!(stations >= 1);
    let pairs = report_form(&supervisor, station).await;
    let id = file_report(&supervisor, station, &pairs).await;
    assert_eq!(decide(&staff, id, &[("action", "accept")]).await.status().as_u16(), 303);
    let (_, after) = staff.page("/admin/figures").await;
    assert_eq!(text(&after, ".fig-inspections"), "1");
    assert!(text(&after, ".fig-checked").starts_with('1'), "{}", text(&after, ".fig-checked"));
    assert_eq!(text(&after, ".fig-overdue"), "0");
    // The same as CSV, for Excel: a BOM, Chinese headers, one line per district.
    let res = staff.get("/admin/figures.csv").await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body = res.bytes().await.unwrap();
    assert!(body.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(body[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("区,驿站数,90天内检查次数"), "{}", lines[0]);
    assert!(lines[1].starts_with("丰台区,"), "{}", lines[1]);
    // A city administrator sees every district; the public does not see it at all.
    let admin = signed_in_admin(&app).await;
    let (_, all) = admin.page("/admin/figures").await;
    assert_eq!(all.select(&sel(".figure-line")).count(), 16);
    assert_eq!(app.get("/admin/figures").await.status().as_u16(), 303);
}

#[tokio::test]
async fn a_supervisor_account_locks_after_five_wrong_passwords() {
    let app = spawn_app().await;
    let staff = signed_in_fengtai(&app).await;
    fengtai_supervisor(&app, &staff, "zhoulin").await;
    let browser = Browser::new(&app);
    for attempt in 1..=4 {
        let res = supervisor_login(&browser, "zhoulin", "wrong password!").await;
        assert_eq!(res.status().as_u16(), 401, "attempt {attempt}");
    }
    let res = supervisor_login(&browser, "zhoulin", "wrong password!").await;
    assert_eq!(res.status().as_u16(), 429, "the fifth wrong password locks");
    let res = supervisor_login(&browser, "zhoulin", PASSWORD).await;
    assert_eq!(res.status().as_u16(), 429, "the right password does not open a locked account");
    assert!(browser.cookie("yz_supervisor").is_none(), "no session");
    // After 15 minutes the right password opens a session, and signing out ends it.
    let later = spawn_on(app.database_url.clone(), monday_morning() + 16 * 60).await;
    let browser = Browser::new(&later);
    let res = supervisor_login(&browser, "zhoulin", PASSWORD).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(browser.page("/supervise").await.0, 200);
    let csrf = browser.csrf("/supervise").await;
    assert_eq!(browser.post("/supervise/logout", &[("csrf", &csrf)]).await.status().as_u16(), 303);
    assert_eq!(browser.page("/supervise").await.0, 303, "signed out");
}

#[tokio::test]
async fn a_supervisor_changes_their_password_and_other_phones_are_signed_out() {
    let app = spawn_app().await;
    let staff = signed_in_fengtai(&app).await;
    let supervisor = fengtai_supervisor(&app, &staff, "zhang.san").await;
    let other_phone = Browser::new(&app);
    assert_eq!(location(&supervisor_login(&other_phone, "zhang.san", PASSWORD).await), "/supervise");

    let (status, html) = supervisor.page("/supervise/password").await;
    assert_eq!(status, 200);
    assert_clean_frame(&html);
    assert_eq!(attr(&html, ".supervise-bar a[href='/supervise/password']", "href"), "/supervise/password");
    let csrf = attr(&html, "form.stack input[name=csrf]", "value");
    let post = |current: &'static str, new: &'static str, again: &'static str| {
        let (supervisor, csrf) = (&supervisor, csrf.clone());
        async move {
            supervisor
                .post(
                    "/supervise/password",
                    &[("csrf", csrf.as_str()), ("current", current), ("new", new), ("again", again)],
                )
                .await
        }
    };
    let (status, html) = html_of(post("wrong-password", "a-new-long-password", "a-new-long-password").await).await;
    assert_eq!(status, 400);
    assert_eq!(text(&html, ".form-error"), "当前密码不正确。");
    let (status, _) = html_of(post(PASSWORD, "a-new-long-password", "another-long-password").await).await;
    assert_eq!(status, 400);
    let (status, _) = html_of(post(PASSWORD, "short", "short").await).await;
    assert_eq!(status, 400);
    let res = post(PASSWORD, "a-new-long-password", "a-new-long-password").await;
    assert_eq!(location(&res), "/supervise/password?done=password");
    let (_, html) = supervisor.page("/supervise/password?done=password").await;
    assert_eq!(text(&html, ".flash"), "密码已修改，其他设备上的登录已退出。");
    // This phone stays signed in; the other one is signed out; the new password works.
    assert_eq!(supervisor.page("/supervise").await.0, 200);
    let res = other_phone.get("/supervise").await;
    assert_eq!(res.status().as_u16(), 303);
    assert!(location(&res).starts_with("/supervise/login"), "{}", location(&res));
    assert_eq!(
        supervisor_login(&Browser::new(&app), "zhang.san", PASSWORD).await.status().as_u16(),
        401,
        "old password"
    );
    let again = Browser::new(&app);
    assert_eq!(location(&supervisor_login(&again, "zhang.san", "a-new-long-password").await), "/supervise");
    // Without a session the page is not shown; without the token nothing changes.
    assert_eq!(Browser::new(&app).get("/supervise/password").await.status().as_u16(), 303);
    let res = supervisor
        .post("/supervise/password", &[("current", "a-new-long-password"), ("new", "x"), ("again", "x")])
        .await;
    assert_eq!(res.status().as_u16(), 403);
}

#[tokio::test]
async fn the_home_shows_distances_when_the_phone_gives_a_position() {
    let app = spawn_app().await;
    let near = station_to_check(&app).await;
    let staff = signed_in_fengtai(&app).await;
    let supervisor = fengtai_supervisor(&app, &staff, "zhang.san").await;
    let (_, html) = supervisor.page("/supervise").await;
    assert_clean_frame(&html);
    assert_eq!(count(&html, ".sv-distance"), 0);
    assert_eq!(attr(&html, "a.show-distance", "data-locate-to"), "/supervise");
    let position = app.state.snapshot.load().get(near).unwrap().station.position.unwrap();
    // 0.01° of latitude north of the station: about 1.1 km.
    let path = format!("/supervise?lat={:.6}&lon={:.6}", position.lat + 0.01, position.lon);
    let (status, html) = supervisor.page(&path).await;
    assert_eq!(status, 200);
    let row = html
        .select(&sel("li.sv-station"))
        .find(|li| li.value().attr("data-id") == Some(near.to_string().as_str()))
        .expect("listed");
    let distance = row.select(&sel(".sv-distance")).next().expect("distance").text().collect::<String>();
    assert_eq!(distance, "距你 1.1 公里");
    assert_eq!(count(&html, "a.show-distance"), 0);
    for bad in ["/supervise?lat=200&lon=116", "/supervise?lat=39.9", "/supervise?lat=abc&lon=116"] {
        assert_eq!(supervisor.page(bad).await.0, 400, "{bad}");
    }
}

#[tokio::test]
async fn a_photo_of_an_accepted_report_becomes_the_door_photo() {
    use yizhan::domain::photo::samples;
    let app = spawn_app().await;
    let staff = signed_in_fengtai(&app).await;
    let supervisor = fengtai_supervisor(&app, &staff, "zhao").await;
    let station = station_to_check(&app).await;
    let pairs = report_form(&supervisor, station).await;
    let door = samples::jpeg_with_exif(1200, 900, 1);
    let res = upload_report(&supervisor, station, &pairs, &[("door.jpg", &door)]).await;
    assert_eq!(res.status().as_u16(), 303);
    let id: i64 =
        location(&res).trim_start_matches("/supervise/reports/").trim_end_matches("?done=filed").parse().unwrap();
    let (_, review) = staff.page(&format!("/admin/reports/{id}")).await;
    assert_eq!(count(&review, "section.use-photos"), 0, "not before it is accepted");
    let hash = attr(&review, ".report-photos img", "src").split('/').nth(5).unwrap().to_string();
    let use_path = format!("/admin/reports/{id}/photos/{hash}/use");
    let csrf = staff.csrf("/admin/reports").await;
    let res = staff.post(&use_path, &[("csrf", csrf.as_str()), ("kind", "door")]).await;
    assert_eq!(res.status().as_u16(), 409);

    assert_eq!(decide(&staff, id, &[("action", "accept")]).await.status().as_u16(), 303);
    let (_, review) = staff.page(&format!("/admin/reports/{id}")).await;
    assert_clean_frame(&review);
    assert_eq!(attr(&review, "section.use-photos form", "action"), use_path);
    // Bad kind, another district's staff, a photo not of this report: refused.
    assert_eq!(staff.post(&use_path, &[("csrf", csrf.as_str()), ("kind", "roof")]).await.status().as_u16(), 400);
    let daxing = signed_in_daxing(&app).await;
    let daxing_csrf = daxing.csrf("/admin/reports").await;
    assert_eq!(
        daxing.post(&use_path, &[("csrf", daxing_csrf.as_str()), ("kind", "door")]).await.status().as_u16(),
        404
    );
    let other = format!("/admin/reports/{id}/photos/0123456789abcdef0123456789abcdef/use");
    assert_eq!(staff.post(&other, &[("csrf", csrf.as_str()), ("kind", "door")]).await.status().as_u16(), 404);
    assert_eq!(app.get(&format!("/photos/{hash}/small.jpg")).await.status().as_u16(), 404, "still private");

    let res = staff.post(&use_path, &[("csrf", csrf.as_str()), ("kind", "door")]).await;
    assert_eq!(location(&res), format!("/admin/reports/{id}?done=photo_added"));
    // The public station page shows it at once as its door photo, public and cached.
    let (_, page) = app.page(&format!("/stations/{station}")).await;
    let src = attr(&page, "a.door-photo img", "src");
    assert_eq!(src, format!("/photos/{hash}/small.jpg"));
    let res = app.get(&src).await;
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    let res = staff.post(&use_path, &[("csrf", csrf.as_str()), ("kind", "door")]).await;
    assert_eq!(location(&res), format!("/admin/reports/{id}?done=photo_already"));
}

#[tokio::test]
async fn a_proposed_station_is_added_by_district_staff_or_turned_down() {
    let app = spawn_app().await;
    let staff = signed_in_fengtai(&app).await;
    let supervisor = fengtai_supervisor(&app, &staff, "zhang.san").await;
    let (status, html) = supervisor.page("/supervise/propose").await;
    assert_eq!(status, 200);
    assert_clean_frame(&html);
    let mut pairs = form_pairs(&html, "form.propose-form");
    for (k, v) in [
        ("name", "花乡新驿站"),
        ("address", "丰台区花乡路9号"),
        ("lat", "200"),
        ("lon", "116.30"),
        ("hours", "周一至周五 9:00-17:30"),
        ("note", "在加油站便利店里面"),
    ] {
        set(&mut pairs, k, v);
    }
    pairs.push(("facility".into(), "water".into()));
    pairs.push(("facility".into(), "toilet".into()));
    // A bad position: the form comes back filled in, nothing stored.
    let (status, back) = html_of(post_pairs(&supervisor, "/supervise/propose", &pairs).await).await;
    assert_eq!(status, 400);
    assert_eq!(attr(&back, "#pp-name", "value"), "花乡新驿站");
    assert_eq!(count(&back, "input[name=facility][checked]"), 2);
    assert!(app.state.store.pending_proposals(Role::CityAdmin).await.unwrap().is_empty());
    set(&mut pairs, "lat", "39.83");
    let res = post_pairs(&supervisor, "/supervise/propose", &pairs).await;
    assert_eq!(location(&res), "/supervise?done=proposed");
    // Sent twice (the answer lost): stored once.
    assert_eq!(location(&post_pairs(&supervisor, "/supervise/propose", &pairs).await), "/supervise?done=proposed");
    let pending = app.state.store.pending_proposals(Role::CityAdmin).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].hours, "Mo-Fr 09:00-17:30");
    let id = pending[0].id;
    let (_, home) = supervisor.page("/supervise?done=proposed").await;
    assert_eq!(texts(&home, ".proposal-list .proposal-state"), vec!["待核实"]);

    // Another district's staff neither see nor open it.
    let daxing = signed_in_daxing(&app).await;
    let (_, list) = daxing.page("/admin/proposals").await;
    assert_eq!(count(&list, "li.proposal"), 0);
    assert_eq!(daxing.page(&format!("/admin/new-station?proposal={id}")).await.0, 404);
    // The district's staff open the station form from it, filled in, and save it.
    let (_, list) = staff.page("/admin/proposals").await;
    assert_eq!(attr(&list, "a.add-proposal", "href"), format!("/admin/new-station?proposal={id}"));
    let (status, form) = staff.page(&format!("/admin/new-station?proposal={id}")).await;
    assert_eq!(status, 200);
    assert_eq!(attr(&form, "#s-name", "value"), "花乡新驿站");
    assert_eq!(text(&form, ".from-proposal"), "来自义务监督员的提议：张三");
    let saved = post_pairs(&staff, "/admin/new-station", &form_pairs(&form, "form.station-form")).await;
    assert_eq!(saved.status().as_u16(), 303, "{}", location(&saved));
    let station = app.state.store.station_ids_named("花乡新驿站").await.unwrap();
    assert_eq!(station.len(), 1);
    assert!(app.state.store.pending_proposals(Role::CityAdmin).await.unwrap().is_empty());
    let (_, home) = supervisor.page("/supervise").await;
    assert_eq!(texts(&home, ".proposal-list .proposal-state"), vec!["已加入目录"]);
    assert_eq!(attr(&home, ".proposal-list a", "href"), format!("/stations/{}", station[0]));

    // A second one, turned down: a comment is needed, and the author sees it.
    let (_, html) = supervisor.page("/supervise/propose").await;
    let mut again = form_pairs(&html, "form.propose-form");
    for (k, v) in [("name", "重复的驿站"), ("address", "丰台区某路"), ("lat", "39.84"), ("lon", "116.31")] {
        set(&mut again, k, v);
    }
    assert_eq!(post_pairs(&supervisor, "/supervise/propose", &again).await.status().as_u16(), 303);
    let second = app.state.store.pending_proposals(Role::CityAdmin).await.unwrap()[0].id;
    let csrf = staff.csrf("/admin/proposals").await;
    let path = format!("/admin/proposals/{second}/reject");
    assert_eq!(staff.post(&path, &[("csrf", csrf.as_str()), ("comment", " ")]).await.status().as_u16(), 400);
    let res = staff.post(&path, &[("csrf", csrf.as_str()), ("comment", "与槐房万达驿站是同一处")]).await;
    assert_eq!(location(&res), "/admin/proposals?done=proposal_rejected");
    assert_eq!(staff.post(&path, &[("csrf", csrf.as_str()), ("comment", "再次")]).await.status().as_u16(), 404);
    let (_, home) = supervisor.page("/supervise").await;
    assert_eq!(texts(&home, ".proposal-list .proposal-state"), vec!["未采纳", "已加入目录"]);
    assert_eq!(text(&home, ".proposal-list .report-comment"), "与槐房万达驿站是同一处");
}

#[tokio::test]
async fn a_report_on_a_station_with_every_facility_takes_four_photos_and_the_name() {
    use yizhan::domain::facility::ALL_FACILITIES;
    use yizhan::domain::photo::samples;
    let app = spawn_app().await;
    let staff = signed_in_fengtai(&app).await;
    let supervisor = fengtai_supervisor(&app, &staff, "qian").await;
    let keys: Vec<&str> = ALL_FACILITIES.iter().map(|f| f.key()).collect();
    let station = app.add(vec![station("丰台全设施驿站", 110106, "24/7", &keys)]).await[0];
    let (status, html) = supervisor.page(&format!("/supervise/stations/{station}/report")).await;
    assert_eq!(status, 200);
    let mut pairs = form_pairs(&html, "form.report-form");
    let answers: std::collections::BTreeSet<String> = html
        .select(&sel("form.report-form input[name^=f_]"))
        .filter_map(|i| i.value().attr("name").map(str::to_string))
        .collect();
    assert_eq!(answers.len(), ALL_FACILITIES.len(), "one answer per facility");
    for name in &answers {
        set(&mut pairs, name, "working");
    }
    for (k, v) in [("visited_at", "2025-11-17T09:30"), ("open", "yes"), ("sign", "yes"), ("staffed", "yes")] {
        set(&mut pairs, k, v);
    }
    set(&mut pairs, "cleanliness", "5");
    set(&mut pairs, "notes", "设施齐全");
    set(&mut pairs, "show_name", "1");
    pairs.retain(|(k, _)| k != "photo");
    let photos: Vec<Vec<u8>> = (0..4).map(|i| samples::jpeg(300 + i, 200)).collect();
    let four: Vec<(&str, &[u8])> = photos.iter().map(|p| ("p.jpg", p.as_slice())).collect();
    let res = upload_report(&supervisor, station, &pairs, &four).await;
    if res.status().as_u16() != 303 {
        let (status, html) = html_of(res).await;
        panic!("refused ({status}): {:?}", texts(&html, ".field-error, .form-error, h1"));
    }
    let id: i64 =
        location(&res).trim_start_matches("/supervise/reports/").trim_end_matches("?done=filed").parse().unwrap();
    assert_eq!(app.state.store.report_photos(id).await.unwrap().len(), 4);
}
