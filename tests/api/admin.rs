//! Staff pages through the real app: signing in and out, roles and districts,
//! moderation, invites, and editing the ledger with its audit log.

use scraper::Html;
use yizhan::domain::district::District;
use yizhan::domain::staff::{Role, hash_password, new_token};

use crate::feedback::{daxing_station, feedback, feedback_id, fengtai_station};
use crate::helpers::*;

pub const PASSWORD: &str = "correct horse battery";

fn fengtai() -> Role {
    Role::DistrictStaff(District::parse("110106").expect("丰台"))
}

/// Adds an account with [`PASSWORD`]; returns its id.
pub async fn create_staff(app: &TestApp, username: &str, display_name: &str, role: Role) -> i64 {
    let hash = hash_password(PASSWORD).expect("hash");
    app.state
        .store
        .create_staff(username, display_name, &hash, role, app.state.clock.now())
        .await
        .expect("store")
        .expect("username free")
}

/// Sends the login form from `browser`.
pub async fn login(browser: &Browser, username: &str, password: &str, next: &str) -> reqwest::Response {
    let csrf = browser.csrf("/admin/login").await;
    browser
        .post("/admin/login", &[("csrf", &csrf), ("username", username), ("password", password), ("next", next)])
        .await
}

/// A new browser signed in as `username`.
pub async fn sign_in(app: &TestApp, username: &str) -> Browser {
    let browser = Browser::new(app);
    let res = login(&browser, username, PASSWORD, "").await;
    assert_eq!(res.status().as_u16(), 303, "{username} signs in");
    assert_eq!(location(&res), "/admin");
    assert!(browser.cookie("yz_staff").is_some());
    browser
}

/// A city administrator (王主任), signed in.
pub async fn signed_in_admin(app: &TestApp) -> Browser {
    create_staff(app, "admin", "王主任", Role::CityAdmin).await;
    sign_in(app, "admin").await
}

/// A member of staff of 丰台 (李丰台), signed in.
pub async fn signed_in_fengtai(app: &TestApp) -> Browser {
    create_staff(app, "fengtai", "李丰台", fengtai()).await;
    sign_in(app, "fengtai").await
}

/// A moderation step on one feedback (`action`, `reason`, `reply`).
pub async fn moderate(staff: &Browser, id: i64, pairs: &[(&str, &str)]) -> reqwest::Response {
    let csrf = staff.csrf("/admin/feedback").await;
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(pairs);
    staff.post(&format!("/admin/feedback/{id}"), &all).await
}

/// What a browser would send for the form matching `css`, as it stands.
pub fn form_pairs(html: &Html, css: &str) -> Vec<(String, String)> {
    let form = html.select(&sel(css)).next().unwrap_or_else(|| panic!("no form {css}"));
    let mut pairs = Vec::new();
    for el in form.select(&sel("input[name], select[name], textarea[name]")) {
        let v = el.value();
        let name = v.attr("name").unwrap_or_default().to_string();
        let value = match v.name() {
            "input" => {
                let kind = v.attr("type").unwrap_or("text");
                if matches!(kind, "submit" | "button" | "reset") {
                    continue;
                }
                if matches!(kind, "checkbox" | "radio") && v.attr("checked").is_none() {
                    continue;
                }
                v.attr("value").unwrap_or(if kind == "checkbox" { "on" } else { "" }).to_string()
            }
            "select" => {
                let option = el.select(&sel("option[selected]")).next().or_else(|| el.select(&sel("option")).next());
                option
                    .map(|o| o.value().attr("value").map(String::from).unwrap_or_else(|| o.text().collect()))
                    .unwrap_or_default()
            }
            _ => el.text().collect(),
        };
        pairs.push((name, value));
    }
    pairs
}

pub fn set(pairs: &mut Vec<(String, String)>, name: &str, value: &str) {
    match pairs.iter_mut().find(|(k, _)| k == name) {
        Some(pair) => pair.1 = value.to_string(),
        None => pairs.push((name.to_string(), value.to_string())),
    }
}

pub fn get<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_else(|| panic!("no field {name}"))
}

/// The station edit form as the page fills it in.
pub async fn edit_form(staff: &Browser, id: i64) -> Vec<(String, String)> {
    let (status, html) = staff.page(&format!("/admin/stations/{id}")).await;
    assert_eq!(status, 200);
    form_pairs(&html, "form.station-form")
}

pub async fn post_pairs(staff: &Browser, path: &str, pairs: &[(String, String)]) -> reqwest::Response {
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    staff.post(path, &refs).await
}

/// A status step (`close`, `reopen`, `revoke`, `verify`) on a station.
pub async fn set_status(staff: &Browser, id: i64, pairs: &[(&str, &str)]) -> reqwest::Response {
    let csrf = staff.csrf("/admin/stations").await;
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(pairs);
    staff.post(&format!("/admin/stations/{id}/status"), &all).await
}

#[tokio::test]
async fn staff_pages_need_a_session() {
    let app = spawn_app().await;
    for path in
        ["/admin", "/admin/feedback?state=all", "/admin/stations", "/admin/staff", "/admin/audit", "/admin/feedback/1"]
    {
        let res = app.get(path).await;
        assert_eq!(res.status().as_u16(), 303, "{path}");
        let to = location(&res);
        assert!(to.starts_with("/admin/login?next="), "{path} → {to}");
    }
    assert_eq!(
        location(&app.get("/admin/feedback?state=all").await),
        "/admin/login?next=%2Fadmin%2Ffeedback%3Fstate%3Dall"
    );
    let res = app.client.post(format!("{}/admin/feedback/1", app.address)).body("action=publish").send().await.unwrap();
    assert_eq!(res.status().as_u16(), 303, "a POST without a session changes nothing");
    // A forged (unsigned) session cookie is no session.
    let res = app
        .client
        .get(format!("{}/admin/feedback", app.address))
        .header("Cookie", format!("yz_staff={}", new_token()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);

    // After signing in, back to where one was going (our own pages only).
    create_staff(&app, "admin", "王主任", Role::CityAdmin).await;
    let browser = Browser::new(&app);
    let (status, html) = browser.page("/admin/login?next=%2Fadmin%2Ffeedback%3Fstate%3Dall").await;
    assert_eq!(status, 200);
    assert_eq!(attr(&html, "input[name=next]", "value"), "/admin/feedback?state=all");
    let res = login(&browser, "Admin", PASSWORD, "/admin/feedback?state=all").await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/admin/feedback?state=all");
    let res = login(&browser, "admin", PASSWORD, "//evil.example/admin").await;
    assert_eq!(location(&res), "/admin");
    let (status, html) = browser.page("/admin/feedback").await;
    assert_eq!(status, 200);
    assert_eq!(text(&html, ".admin-who"), "王主任 · 市总工会管理员");
}

/// The role as the admin bar shows it (after the name).
fn role_text(html: &Html) -> String {
    text(html, ".admin-who").split(" · ").nth(1).unwrap_or_default().to_string()
}

#[tokio::test]
async fn login_locks_after_five_wrong_passwords() {
    let app = spawn_app().await;
    create_staff(&app, "admin", "王主任", Role::CityAdmin).await;
    let browser = Browser::new(&app);
    let (status, html) = html_of(login(&browser, "nobody", PASSWORD, "").await).await;
    assert_eq!(status, 401);
    assert_eq!(text(&html, ".form-error"), "用户名或密码不正确。", "an unknown name reads the same");
    for attempt in 1..=4 {
        let (status, html) = html_of(login(&browser, "admin", "wrong password!", "").await).await;
        assert_eq!(status, 401, "attempt {attempt}");
        assert_eq!(text(&html, ".form-error"), "用户名或密码不正确。");
        assert_eq!(attr(&html, "#l-user", "value"), "admin", "the name is kept");
    }
    let (status, html) = html_of(login(&browser, "admin", "wrong password!", "").await).await;
    assert_eq!(status, 429, "the fifth wrong password locks");
    assert_eq!(text(&html, ".form-error"), "登录失败次数过多，账号已锁定到 10:15，请稍后再试。");
    let (status, html) = html_of(login(&browser, "admin", PASSWORD, "").await).await;
    assert_eq!(status, 429, "the right password does not open a locked account");
    assert!(text(&html, ".form-error").contains("锁定"));
    assert!(browser.cookie("yz_staff").is_none(), "no session");
    let (status, _) = browser.page("/admin/feedback").await;
    assert_eq!(status, 303);

    // Another instance on the same database sees the lock; after 15 minutes it is gone.
    let later = spawn_on(app.database_url.clone(), monday_morning() + 14 * 60).await;
    let res = login(&Browser::new(&later), "admin", PASSWORD, "").await;
    assert_eq!(res.status().as_u16(), 429);
    let later = spawn_on(app.database_url.clone(), monday_morning() + 16 * 60).await;
    let res = login(&Browser::new(&later), "admin", PASSWORD, "").await;
    assert_eq!(res.status().as_u16(), 303);
}

#[tokio::test]
async fn each_login_gets_a_new_session_id() {
    let app = spawn_app().await;
    create_staff(&app, "admin", "王主任", Role::CityAdmin).await;
    let browser = Browser::new(&app);
    assert_eq!(login(&browser, "admin", PASSWORD, "").await.status().as_u16(), 303);
    let first = browser.cookie("yz_staff").expect("session cookie");
    let res = login(&browser, "admin", PASSWORD, "").await;
    assert_eq!(res.status().as_u16(), 303);
    let set_cookie: Vec<String> =
        res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect();
    let session = set_cookie.iter().find(|c| c.starts_with("yz_staff=")).expect("a session cookie at login");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Strict"), "{session}");
    let second = browser.cookie("yz_staff").expect("session cookie");
    assert_ne!(first, second, "a new session id at every login, never the one brought along");
    let other = sign_in(&app, "admin").await;
    assert_ne!(other.cookie("yz_staff").unwrap(), second);
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    let old = admin.cookie("yz_staff").expect("session cookie");
    let with_old_cookie =
        || app.client.get(format!("{}/admin/feedback", app.address)).header("Cookie", format!("yz_staff={old}")).send();
    assert_eq!(with_old_cookie().await.unwrap().status().as_u16(), 200, "the cookie alone is the session");

    // Logging out needs the CSRF token too.
    let res = admin.post("/admin/logout", &[]).await;
    assert_eq!(res.status().as_u16(), 403);
    let (status, _) = admin.page("/admin/feedback").await;
    assert_eq!(status, 200, "still signed in");

    let csrf = admin.csrf("/admin/feedback").await;
    let res = admin.post("/admin/logout", &[("csrf", &csrf)]).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/admin/login");
    assert!(admin.cookie("yz_staff").is_none(), "the cookie is removed");
    let (status, _) = admin.page("/admin/feedback").await;
    assert_eq!(status, 303);
    let res = with_old_cookie().await.unwrap();
    assert_eq!(res.status().as_u16(), 303, "the old cookie no longer works");
    assert!(location(&res).starts_with("/admin/login"));
}

#[tokio::test]
async fn password_change_ends_other_sessions() {
    let app = spawn_app().await;
    create_staff(&app, "admin", "王主任", Role::CityAdmin).await;
    let desk = sign_in(&app, "admin").await;
    let phone = sign_in(&app, "admin").await;
    let csrf = desk.csrf("/admin/password").await;
    let new = "a much better passphrase";
    for (current, fresh, again, message) in [
        ("wrong one here", new, new, "当前密码不正确"),
        (PASSWORD, new, "a much better passphrasf", "两次"),
        (PASSWORD, "short", "short", "至少需要10个字符"),
    ] {
        let res = desk
            .post("/admin/password", &[("csrf", &csrf), ("current", current), ("new", fresh), ("again", again)])
            .await;
        let (status, html) = html_of(res).await;
        assert_eq!(status, 400, "{message}");
        let error = text(&html, ".form-error");
        assert!(error.contains(message), "{error:?} should say {message:?}");
    }
    assert_eq!(phone.page("/admin/feedback").await.0, 200, "refused changes end nothing");

    let res =
        desk.post("/admin/password", &[("csrf", &csrf), ("current", PASSWORD), ("new", new), ("again", new)]).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/admin/password?done=password");
    let (status, html) = desk.page("/admin/password?done=password").await;
    assert_eq!(status, 200, "this session goes on");
    assert_eq!(text(&html, ".flash"), "密码已修改，其他设备上的登录已退出。");
    assert_eq!(phone.page("/admin/feedback").await.0, 303, "the other session ended");

    assert_eq!(login(&Browser::new(&app), "admin", PASSWORD, "").await.status().as_u16(), 401);
    assert_eq!(login(&Browser::new(&app), "admin", new, "").await.status().as_u16(), 303);
}

/// Makes an invite link as `admin`; returns its token.
async fn invite(admin: &Browser, role: &str, district: &str) -> String {
    let csrf = admin.csrf("/admin/staff").await;
    let res = admin.post("/admin/invites", &[("csrf", &csrf), ("role", role), ("district", district)]).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let (_, html) = html_of(res).await;
    let link = attr(&html, ".invite-made input.invite-link", "value");
    assert!(link.starts_with(&admin.base), "{link}");
    let token = link.rsplit('/').next().unwrap().to_string();
    assert_eq!(link, format!("{}/invite/{token}", admin.base));
    token
}

/// Accepts an invite in a new browser.
async fn accept(app: &TestApp, token: &str, username: &str, display_name: &str) -> (Browser, reqwest::Response) {
    let browser = Browser::new(app);
    // The token from any page: the invite page itself may be gone.
    let csrf = browser.csrf("/admin/login").await;
    let res = browser
        .post(
            &format!("/invite/{token}"),
            &[
                ("csrf", &csrf),
                ("username", username),
                ("display_name", display_name),
                ("password", PASSWORD),
                ("again", PASSWORD),
            ],
        )
        .await;
    (browser, res)
}

#[tokio::test]
async fn invite_link_works_once() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    let token = invite(&admin, "district_staff", "110106").await;
    let newcomer = Browser::new(&app);
    let (status, html) = newcomer.page(&format!("/invite/{token}")).await;
    assert_eq!(status, 200);
    assert!(text(&html, ".panel p").contains("丰台区工会工作人员"), "the page says which role");

    // A bad form comes back filled in, and the link still works.
    let csrf = attr(&html, "input[name=csrf]", "value");
    let res = newcomer
        .post(
            &format!("/invite/{token}"),
            &[
                ("csrf", &csrf),
                ("username", "zhang.san"),
                ("display_name", "张三"),
                ("password", PASSWORD),
                ("again", "other"),
            ],
        )
        .await;
    let (status, html) = html_of(res).await;
    assert_eq!(status, 400);
    assert_eq!(attr(&html, "#i-user", "value"), "zhang.san");
    assert_eq!(attr(&html, "#i-name", "value"), "张三");
    assert!(text(&html, ".form-error").contains("两次"));

    let (browser, res) = accept(&app, &token, "Zhang.San", "张三").await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/admin");
    assert!(browser.cookie("yz_staff").is_some(), "signed in at once");
    let (status, _) = browser.page("/admin/feedback").await;
    assert_eq!(status, 200);

    // Second use: gone, whoever tries.
    let (status, html) = Browser::new(&app).page(&format!("/invite/{token}")).await;
    assert_eq!(status, 410);
    assert_eq!(text(&html, "h1"), "邀请链接已经用过了");
    let (_, res) = accept(&app, &token, "li.si", "李四").await;
    assert_eq!(res.status().as_u16(), 410);
    let csrf = newcomer.csrf("/admin/login").await;
    let res = newcomer
        .post(
            &format!("/invite/{token}"),
            &[
                ("csrf", &csrf),
                ("username", "li.si"),
                ("display_name", "李四"),
                ("password", PASSWORD),
                ("again", PASSWORD),
            ],
        )
        .await;
    let (status, html) = html_of(res).await;
    assert_eq!(status, 410);
    assert_eq!(text(&html, "h1"), "邀请链接已经用过了");
    let (_, html) = admin.page("/admin/staff").await;
    let names: Vec<String> = texts(&html, ".admin-table tbody tr td:first-child");
    assert_eq!(names, vec!["admin", "zhang.san"], "one account made");
    // A token that was never made.
    let (status, _) = app.page(&format!("/invite/{}", new_token())).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn expired_invite_is_gone() {
    let app = spawn_app().await;
    let by = create_staff(&app, "admin", "王主任", Role::CityAdmin).await;
    let token = new_token();
    let now = app.state.clock.now();
    app.state.store.create_invite(&token, fengtai(), by, now - 73 * 3600, 72 * 3600).await.unwrap();
    let (status, html) = app.page(&format!("/invite/{token}")).await;
    assert_eq!(status, 410);
    assert_eq!(text(&html, "h1"), "邀请链接已过期");
    let (_, res) = accept(&app, &token, "late.comer", "迟到").await;
    assert_eq!(res.status().as_u16(), 410);
    assert!(!app.state.store.username_taken("late.comer").await.unwrap());
}

#[tokio::test]
async fn expired_invite_cannot_be_accepted() {
    // The form was opened while the link was valid, and sent after it expired.
    let app = spawn_app().await;
    let by = create_staff(&app, "admin", "王主任", Role::CityAdmin).await;
    let token = new_token();
    app.state.store.create_invite(&token, fengtai(), by, monday_morning() - 72 * 3600 + 60, 72 * 3600).await.unwrap();
    let browser = Browser::new(&app);
    let csrf = browser.csrf(&format!("/invite/{token}")).await;
    let later = spawn_on(app.database_url.clone(), monday_morning() + 120).await;
    let res = browser
        .on(&later)
        .post(
            &format!("/invite/{token}"),
            &[
                ("csrf", &csrf),
                ("username", "late.comer"),
                ("display_name", "迟到"),
                ("password", PASSWORD),
                ("again", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 410);
    assert!(!app.state.store.username_taken("late.comer").await.unwrap());
}

#[tokio::test]
async fn invited_accounts_get_their_role() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    let district = invite(&admin, "district_staff", "110106").await;
    let city = invite(&admin, "city_admin", "110106").await;

    let (zhang, res) = accept(&app, &district, "zhang.san", "张三").await;
    assert_eq!(res.status().as_u16(), 303);
    let (status, html) = zhang.page("/admin/stations").await;
    assert_eq!(status, 200);
    assert_eq!(role_text(&html), "丰台区工会工作人员");
    assert_eq!(count(&html, ".admin-bar a[href='/admin/staff']"), 0);
    let districts: Vec<String> = texts(&html, "select[name=district] option");
    assert_eq!(districts.len(), 2, "any, and 丰台 only: {districts:?}");
    assert_eq!(texts(&html, ".admin-table tbody tr").len(), 3, "the three 丰台 stations");
    assert_eq!(zhang.page("/admin/staff").await.0, 404);

    let (wang, res) = accept(&app, &city, "wang.wu", "王五").await;
    assert_eq!(res.status().as_u16(), 303);
    let (status, html) = wang.page("/admin/staff").await;
    assert_eq!(status, 200);
    assert_eq!(role_text(&html), "市总工会管理员");
    assert_eq!(count(&html, ".admin-bar a[href='/admin/staff']"), 1);
    let rows = texts(&html, ".admin-table tbody tr");
    assert_eq!(rows.len(), 3);
    assert!(rows[1].contains("zhang.san") && rows[1].contains("张三") && rows[1].contains("丰台区工会工作人员"));
    assert!(rows[2].contains("wang.wu") && !rows[2].contains("丰台"));
    let (_, html) = wang.page("/admin/stations").await;
    assert_eq!(texts(&html, ".admin-table tbody tr").len(), 18, "every district's seed stations");
    // Invites only from city administrators.
    let csrf = zhang.csrf("/admin/feedback").await;
    let res = zhang.post("/admin/invites", &[("csrf", &csrf), ("role", "city_admin"), ("district", "")]).await;
    assert_eq!(res.status().as_u16(), 404);
}

#[tokio::test]
async fn district_staff_only_reach_their_district() {
    let app = spawn_app().await;
    let worker = Browser::new(&app);
    let inside = fengtai_station(&app);
    let outside = daxing_station(&app);
    let ours = feedback(&worker, inside, &[("body", "丰台的反馈")]).await;
    let theirs = feedback(&worker, outside, &[("body", "大兴的反馈")]).await;
    let (ours, theirs) = (feedback_id(&app, &ours).await, feedback_id(&app, &theirs).await);
    let staff = signed_in_fengtai(&app).await;
    let csrf = staff.csrf("/admin/feedback").await;

    // Their own: allowed.
    assert_eq!(staff.page(&format!("/admin/feedback/{ours}")).await.0, 200);
    assert_eq!(staff.page(&format!("/admin/stations/{inside}")).await.0, 200);

    // Another district's: "not found", like something that does not exist.
    let (status, html) = staff.page(&format!("/admin/feedback/{theirs}")).await;
    assert_eq!(status, 404);
    assert_eq!(text(&html, "h1"), "找不到这个页面");
    assert_eq!(staff.page("/admin/feedback/999999").await.0, 404);
    let res = staff.post(&format!("/admin/feedback/{theirs}"), &[("csrf", &csrf), ("action", "publish")]).await;
    assert_eq!(res.status().as_u16(), 404);
    let res = staff
        .post(&format!("/admin/feedback/{theirs}"), &[("csrf", &csrf), ("action", "reject"), ("reason", "spam")])
        .await;
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(staff.page(&format!("/admin/stations/{outside}")).await.0, 404);
    let mut edit = edit_form(&signed_in_admin(&app).await, outside).await;
    set(&mut edit, "csrf", &csrf);
    set(&mut edit, "name", "被改掉的名字");
    assert_eq!(post_pairs(&staff, &format!("/admin/stations/{outside}"), &edit).await.status().as_u16(), 404);
    let res = staff.post(&format!("/admin/stations/{outside}/status"), &[("csrf", &csrf), ("action", "revoke")]).await;
    assert_eq!(res.status().as_u16(), 404);
    let res = staff
        .post(
            &format!("/admin/stations/{outside}/honours"),
            &[("csrf", &csrf), ("level", "national"), ("year", "2024"), ("title", "假的")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(staff.page("/admin/staff").await.0, 404);
    assert_eq!(staff.page("/admin/audit").await.0, 404);

    // Bulk moderation skips what is not theirs.
    let ids = [ours.to_string(), theirs.to_string()];
    let res = staff
        .post(
            "/admin/feedback/bulk",
            &[("csrf", &csrf), ("action", "publish"), ("id", &ids[0]), ("id", &ids[1]), ("back", "/admin/feedback")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);

    // Nothing of the other district changed.
    let stored = app.state.store.feedback_for(theirs, Role::CityAdmin).await.unwrap().unwrap();
    assert_eq!(stored.state.key(), "pending");
    assert_eq!(app.state.store.feedback_for(ours, Role::CityAdmin).await.unwrap().unwrap().state.key(), "published");
    let station = app.state.store.station(outside).await.unwrap().unwrap();
    assert!(station.name.starts_with("刘村"));
    assert_eq!(station.status.key(), "open");
    assert!(station.honours.is_empty() || station.honours.iter().all(|h| h.title != "假的"));
    assert_eq!(app.page(&format!("/stations/{outside}")).await.0, 200);
}

#[tokio::test]
async fn district_queue_lists_its_district_only() {
    let app = spawn_app().await;
    let worker = Browser::new(&app);
    let inside = fengtai_station(&app);
    let outside = daxing_station(&app);
    let a = feedback(&worker, inside, &[("body", "丰台一")]).await;
    feedback(&worker, outside, &[("body", "大兴一")]).await;
    let b = feedback(&worker, inside, &[("kind", "closed_when_open"), ("body", "丰台二")]).await;
    let (a, b) = (feedback_id(&app, &a).await, feedback_id(&app, &b).await);

    let staff = signed_in_fengtai(&app).await;
    let (status, html) = staff.page("/admin/feedback").await;
    assert_eq!(status, 200);
    let ids: Vec<String> =
        html.select(&sel("tr.fb-row")).map(|r| r.value().attr("data-id").unwrap().to_string()).collect();
    assert_eq!(ids, vec![b.to_string(), a.to_string()], "newest first, 丰台 only");
    assert_eq!(texts(&html, "tr.fb-row .fb-text a"), vec!["丰台二", "丰台一"]);
    assert_eq!(count(&html, "select[name=district]"), 0, "no district choice for district staff");
    let (_, html) = staff.page("/admin/feedback?district=110115&state=all").await;
    assert_eq!(count(&html, "tr.fb-row"), 0, "asking for another district shows nothing");
    let (_, html) = staff.page(&format!("/admin/feedback?station={outside}")).await;
    assert_eq!(count(&html, "tr.fb-row"), 0);
    let (_, html) = staff.page("/admin/feedback?kind=closed_when_open").await;
    assert_eq!(count(&html, "tr.fb-row"), 1);

    let admin = signed_in_admin(&app).await;
    let (_, html) = admin.page("/admin/feedback").await;
    assert_eq!(count(&html, "tr.fb-row"), 3, "the city sees every district");
    let (_, html) = admin.page("/admin/feedback?district=110115").await;
    assert_eq!(texts(&html, "tr.fb-row .fb-text a"), vec!["大兴一"]);
    let (status, _) = admin.page("/admin/feedback?state=maybe").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn bulk_publish() {
    let app = spawn_app().await;
    let worker = Browser::new(&app);
    let id = daxing_station(&app);
    let mut ids = Vec::new();
    for body in ["第一条", "第二条", "第三条"] {
        let receipt = feedback(&worker, id, &[("body", body)]).await;
        ids.push(feedback_id(&app, &receipt).await.to_string());
    }
    let admin = signed_in_admin(&app).await;
    let (_, html) = admin.page("/admin/feedback?kind=praise").await;
    assert_eq!(count(&html, "tr.fb-row"), 3);
    let csrf = attr(&html, "form.bulk input[name=csrf]", "value");
    let back = attr(&html, "form.bulk input[name=back]", "value");
    assert_eq!(back, "/admin/feedback?kind=praise");
    let res = admin
        .post(
            "/admin/feedback/bulk",
            &[
                ("csrf", &csrf),
                ("back", &back),
                ("action", "publish"),
                ("reason", "spam"),
                ("id", &ids[0]),
                ("id", &ids[2]),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/admin/feedback?kind=praise&done=published");
    let (_, html) = admin.page(&location(&res)).await;
    assert_eq!(text(&html, ".flash"), "已公开。");
    let left: Vec<String> =
        html.select(&sel("tr.fb-row")).map(|r| r.value().attr("data-id").unwrap().to_string()).collect();
    assert_eq!(left, vec![ids[1].clone()], "one still pending");
    let (_, html) = admin.page("/admin/feedback?state=published").await;
    assert_eq!(count(&html, "tr.fb-row.fb-published"), 2);

    let (_, html) = worker.page(&format!("/stations/{id}")).await;
    assert_eq!(texts(&html, ".note-list .note-item .note-body"), vec!["第三条", "第一条"]);

    // Publishing them again changes nothing; a bad id is a 400; so is no CSRF token.
    let res = admin.post("/admin/feedback/bulk", &[("csrf", &csrf), ("action", "publish"), ("id", &ids[0])]).await;
    assert_eq!(location(&res), "/admin/feedback?done=nothing");
    let res = admin.post("/admin/feedback/bulk", &[("csrf", &csrf), ("action", "publish"), ("id", "x")]).await;
    assert_eq!(res.status().as_u16(), 400);
    let res = admin.post("/admin/feedback/bulk", &[("action", "publish"), ("id", &ids[1])]).await;
    assert_eq!(res.status().as_u16(), 403);
    // Bulk reject with a reason.
    let res = admin
        .post(
            "/admin/feedback/bulk",
            &[("csrf", &csrf), ("action", "reject"), ("reason", "off_topic"), ("id", &ids[1])],
        )
        .await;
    assert_eq!(location(&res), "/admin/feedback?done=rejected");
    let (_, html) = admin.page("/admin/feedback").await;
    assert_eq!(count(&html, "tr.fb-row"), 0, "nothing left to moderate");
}

#[tokio::test]
async fn moderation_history_is_kept() {
    let app = spawn_app().await;
    let worker = Browser::new(&app);
    let receipt = feedback(&worker, fengtai_station(&app), &[("body", "厕所坏了"), ("reporter", "rider")]).await;
    let fid = feedback_id(&app, &receipt).await;
    let admin = signed_in_admin(&app).await;
    let (status, html) = admin.page(&format!("/admin/feedback/{fid}")).await;
    assert_eq!(status, 200);
    assert_eq!(text(&html, "h1 .receipt-code"), receipt);
    assert_eq!(text(&html, ".fb-body"), "厕所坏了");
    assert_eq!(count(&html, "table.history"), 0);

    moderate(&admin, fid, &[("action", "publish")]).await;
    let staff = signed_in_fengtai(&app).await;
    moderate(&staff, fid, &[("action", "reply"), ("reply", "已报修")]).await;
    moderate(&admin, fid, &[("action", "reject"), ("reason", "personal_data")]).await;

    let (_, html) = admin.page(&format!("/admin/feedback/{fid}")).await;
    let rows: Vec<Vec<String>> = html
        .select(&sel("table.history tbody tr"))
        .map(|tr| tr.select(&sel("td")).map(|td| td.text().collect::<String>().trim().to_string()).collect())
        .collect();
    assert_eq!(
        rows,
        vec![
            vec!["2025-11-17 10:00".to_string(), "王主任".into(), "公开".into()],
            vec!["2025-11-17 10:00".to_string(), "李丰台".into(), "回复 · 已报修".into()],
            vec!["2025-11-17 10:00".to_string(), "王主任".into(), "不公开 · 含个人信息".into()],
        ]
    );
    assert_eq!(text(&html, ".fb-state"), "未公开 · 含个人信息");
    assert_eq!(text(&html, "dd.note-reply"), "已报修");
    assert_eq!(text(&html, "textarea#reply"), "已报修", "the reply can be edited");
}

#[tokio::test]
async fn station_edit_shows_at_once_and_is_audited() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    let id = daxing_station(&app);
    let old_name = "刘村小哥之家户外劳动者暖心驿站";
    let mut form = edit_form(&admin, id).await;
    assert_eq!(get(&form, "name"), old_name);
    assert_eq!(get(&form, "hours"), "Mo-Su 08:00-18:00");
    set(&mut form, "name", "刘村小哥之家（新址）");
    let res = post_pairs(&admin, &format!("/admin/stations/{id}"), &form).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), format!("/admin/stations/{id}?done=saved"));
    let (_, html) = admin.page(&location(&res)).await;
    assert_eq!(text(&html, ".flash"), "已保存，公开页面已更新。");

    let (status, html) = app.page(&format!("/stations/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(text(&html, "h1"), "刘村小哥之家（新址）", "the public page at once");
    let (_, html) = app.page("/stations?district=110115").await;
    assert!(texts(&html, ".station-name").contains(&"刘村小哥之家（新址）".to_string()));

    let (status, html) = admin.page("/admin/audit").await;
    assert_eq!(status, 200);
    assert_eq!(count(&html, ".audit-line"), 1);
    let line = text(&html, ".audit-line p");
    assert!(line.contains("王主任") && line.contains("2025-11-17 10:00"), "{line}");
    let changes: Vec<(String, String, String)> = html
        .select(&sel(".changes tbody tr"))
        .map(|tr| {
            let cell = |css: &str| tr.select(&sel(css)).next().unwrap().text().collect::<String>();
            (cell("th"), cell("td.before"), cell("td.after"))
        })
        .collect();
    assert_eq!(
        changes,
        vec![("名称".to_string(), old_name.to_string(), "刘村小哥之家（新址）".to_string())],
        "only what changed"
    );
    assert_eq!(attr(&html, ".panel h2 a", "href"), format!("/admin/stations/{id}"));
    // The station's own page shows its history too.
    let (_, html) = admin.page(&format!("/admin/stations/{id}")).await;
    assert_eq!(texts(&html, ".changes td.after"), vec!["刘村小哥之家（新址）"]);
    // Saving the form unchanged writes nothing.
    let form = edit_form(&admin, id).await;
    let res = post_pairs(&admin, &format!("/admin/stations/{id}"), &form).await;
    assert_eq!(res.status().as_u16(), 303);
    let (_, html) = admin.page("/admin/audit").await;
    assert_eq!(count(&html, ".audit-line"), 1, "no change, no audit line");
}

#[tokio::test]
async fn every_seed_station_saves_unchanged() {
    // The edit form round-trips: saving what it shows changes nothing.
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    let ids: Vec<i64> = app.state.snapshot.load().entries().iter().map(|e| e.station.id).collect();
    for id in ids {
        let form = edit_form(&admin, id).await;
        let res = post_pairs(&admin, &format!("/admin/stations/{id}"), &form).await;
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        let errors = texts(&Html::parse_document(&body), ".field-error");
        assert_eq!(status, 303, "station {id} ({}): {errors:?}", get(&form, "name"));
    }
    let (_, html) = admin.page("/admin/audit").await;
    let changes: Vec<String> = texts(&html, ".changes tbody tr");
    assert!(changes.is_empty(), "nothing changed: {changes:?}");
}

#[tokio::test]
async fn closing_shows_the_banner() {
    let app = spawn_app().await;
    let staff = signed_in_fengtai(&app).await;
    let id = fengtai_station(&app);
    let res = set_status(&staff, id, &[("action", "close"), ("reason", "内部装修"), ("until", "2025-12-01")]).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), format!("/admin/stations/{id}?done=closed"));
    let (_, html) = app.page(&format!("/stations/{id}")).await;
    let banner = text(&html, ".banner-closed");
    assert!(banner.contains("内部装修") && banner.contains("2025-12-01"), "{banner}");
    assert_eq!(text(&html, ".state-big"), "暂停服务");
    let (_, html) = staff.page(&format!("/admin/stations/{id}")).await;
    let now = text(&html, ".status-now");
    assert!(now.contains("内部装修") && now.contains("2025-12-01"), "{now}");
    assert!(texts(&html, ".changes td.after").contains(&"内部装修".to_string()));

    // A bad date is refused; reopening removes the banner.
    let res = set_status(&staff, id, &[("action", "close"), ("reason", "装修"), ("until", "12/01/2025")]).await;
    assert_eq!(res.status().as_u16(), 400);
    let res = set_status(&staff, id, &[("action", "reopen")]).await;
    assert_eq!(location(&res), format!("/admin/stations/{id}?done=reopened"));
    let (_, html) = app.page(&format!("/stations/{id}")).await;
    assert_eq!(count(&html, ".banner-closed"), 0);
    // Verify stamps today's date.
    set_status(&staff, id, &[("action", "verify")]).await;
    let (_, html) = app.page(&format!("/stations/{id}")).await;
    assert!(text(&html, "dl.facts").contains("2025-11-17"));
}

#[tokio::test]
async fn revoking_removes_the_public_page() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    let id = daxing_station(&app);
    let worker = Browser::new(&app);
    let csrf = worker.csrf(&format!("/stations/{id}")).await;
    let res = set_status(&admin, id, &[("action", "revoke"), ("revoke_reason", "场地收回")]).await;
    assert_eq!(location(&res), format!("/admin/stations/{id}?done=revoked"));
    let (status, html) = app.page(&format!("/stations/{id}")).await;
    assert_eq!(status, 410);
    assert_eq!(text(&html, "h1"), "该驿站已撤销");
    let (_, html) = app.page("/stations?district=110115").await;
    assert!(!texts(&html, ".station-name").iter().any(|n| n.starts_with("刘村")));
    // Feedback for it is refused too.
    let res = worker
        .post(
            &format!("/stations/{id}/feedback"),
            &[("csrf", &csrf), ("submission", &new_token()), ("kind", "praise"), ("body", "好")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 410);
    // Staff still reach it, and can bring it back.
    assert_eq!(admin.page(&format!("/admin/stations/{id}")).await.0, 200);
    set_status(&admin, id, &[("action", "reopen")]).await;
    assert_eq!(app.page(&format!("/stations/{id}")).await.0, 200);
}

#[tokio::test]
async fn bad_edit_input_changes_nothing() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    let id = daxing_station(&app);
    let before = app.state.store.station(id).await.unwrap().unwrap();
    let mut form = edit_form(&admin, id).await;
    let long_name = "站".repeat(101);
    set(&mut form, "name", &long_name);
    set(&mut form, "lat", "999");
    set(&mut form, "hours", "nonsense");
    set(&mut form, "phone", "abc");
    let res = post_pairs(&admin, &format!("/admin/stations/{id}"), &form).await;
    let (status, html) = html_of(res).await;
    assert_eq!(status, 400);
    assert_eq!(count(&html, ".form-error"), 1);
    assert_eq!(count(&html, ".field-error"), 4, "{:?}", texts(&html, ".field-error"));
    for field in ["s-name", "s-lat", "s-hours", "s-phone"] {
        let css = format!("div:has(> #{field}) > .field-error");
        assert_eq!(count(&html, &css), 1, "an error next to #{field}");
    }
    // The form comes back as typed.
    assert_eq!(attr(&html, "#s-name", "value"), long_name);
    assert_eq!(attr(&html, "#s-lat", "value"), "999");
    assert_eq!(attr(&html, "#s-hours", "value"), "nonsense");
    assert_eq!(attr(&html, "#s-phone", "value"), "abc");

    let after = app.state.store.station(id).await.unwrap().unwrap();
    assert_eq!(after.name, before.name);
    assert_eq!(after.updated_at, before.updated_at, "nothing written");
    assert_eq!(after.hours.map(|h| h.raw().to_string()), before.hours.map(|h| h.raw().to_string()));
    let (_, html) = app.page(&format!("/stations/{id}")).await;
    assert_eq!(text(&html, "h1"), before.name);
    let (_, html) = admin.page("/admin/audit").await;
    assert_eq!(count(&html, ".audit-line"), 0);

    // A station outside Beijing is refused too.
    let mut form = edit_form(&admin, id).await;
    set(&mut form, "lat", "31.23");
    set(&mut form, "lon", "121.47");
    let (status, html) = html_of(post_pairs(&admin, &format!("/admin/stations/{id}"), &form).await).await;
    assert_eq!(status, 400);
    assert_eq!(count(&html, ".field-error"), 1);
}

#[tokio::test]
async fn stale_save_is_refused() {
    let app = spawn_app().await;
    let first = signed_in_admin(&app).await;
    create_staff(&app, "second", "赵编辑", Role::CityAdmin).await;
    let second = sign_in(&app, "second").await;
    let id = daxing_station(&app);
    // Both open the form; the first saves.
    let mut a = edit_form(&first, id).await;
    let mut b = edit_form(&second, id).await;
    assert_eq!(get(&a, "updated_at"), get(&b, "updated_at"));
    set(&mut a, "address", "大兴区黄村镇刘一村西口100号");
    assert_eq!(
        location(&post_pairs(&first, &format!("/admin/stations/{id}"), &a).await),
        format!("/admin/stations/{id}?done=saved")
    );
    // The second save was made on the old version: refused, nothing overwritten.
    set(&mut b, "description", "第二个人的修改");
    let res = post_pairs(&second, &format!("/admin/stations/{id}"), &b).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), format!("/admin/stations/{id}?done=conflict"));
    let (_, html) = second.page(&location(&res)).await;
    assert_eq!(text(&html, ".flash"), "保存前有人修改了这个驿站，请查看最新内容后重新修改。");
    let stored = app.state.store.station(id).await.unwrap().unwrap();
    assert_eq!(stored.address, "大兴区黄村镇刘一村西口100号");
    assert_ne!(stored.description, "第二个人的修改", "the stale save wrote nothing");
    // Reloaded, it saves (same second: the version still moves on).
    let mut b = edit_form(&second, id).await;
    assert_eq!(get(&b, "address"), "大兴区黄村镇刘一村西口100号");
    set(&mut b, "description", "第二个人的修改");
    assert_eq!(
        location(&post_pairs(&second, &format!("/admin/stations/{id}"), &b).await),
        format!("/admin/stations/{id}?done=saved")
    );
    // The first editor's old form is now stale as well.
    set(&mut a, "address", "又一个地址");
    assert_eq!(
        location(&post_pairs(&first, &format!("/admin/stations/{id}"), &a).await),
        format!("/admin/stations/{id}?done=conflict")
    );
    let (_, html) = first.page("/admin/audit").await;
    assert_eq!(count(&html, ".audit-line"), 2);
}

#[tokio::test]
async fn sessions_work_on_a_second_instance() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    let worker = Browser::new(&app);
    let id = daxing_station(&app);
    let receipt = feedback(&worker, id, &[("body", "两台服务器")]).await;
    let fid = feedback_id(&app, &receipt).await;

    let other = spawn_on(app.database_url.clone(), monday_morning()).await;
    let there = admin.on(&other);
    let (status, html) = there.page("/admin/feedback").await;
    assert_eq!(status, 200, "the session cookie is known on the other instance");
    assert!(text(&html, ".admin-who").starts_with("王主任"));
    assert_eq!(count(&html, "tr.fb-row"), 1);
    // Its forms work there too (the CSRF cookie is signed with the shared key).
    let res = moderate(&there, fid, &[("action", "publish")]).await;
    assert_eq!(location(&res), format!("/admin/feedback/{fid}?done=published"));
    let (_, html) = other.page(&format!("/stations/{id}")).await;
    assert_eq!(texts(&html, ".note-body"), vec!["两台服务器"]);
    // The first instance follows within its poll interval.
    let mut seen = false;
    for _ in 0..50 {
        let (_, html) = app.page(&format!("/stations/{id}")).await;
        if count(&html, ".note-item") == 1 {
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(seen, "the first instance shows the published feedback");
    // Logging out on one instance ends the session on both.
    let csrf = there.csrf("/admin/feedback").await;
    assert_eq!(there.post("/admin/logout", &[("csrf", &csrf)]).await.status().as_u16(), 303);
    assert_eq!(admin.page("/admin/feedback").await.0, 303);
}

#[tokio::test]
async fn sessions_end_after_twelve_hours() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    let evening = spawn_on(app.database_url.clone(), monday_morning() + 12 * 3600 - 60).await;
    assert_eq!(admin.on(&evening).page("/admin/feedback").await.0, 200);
    let night = spawn_on(app.database_url.clone(), monday_morning() + 12 * 3600 + 60).await;
    let res = admin.on(&night).get("/admin/feedback").await;
    assert_eq!(res.status().as_u16(), 303);
    assert!(location(&res).starts_with("/admin/login"));
}

#[tokio::test]
async fn new_station_appears_and_is_audited() {
    let app = spawn_app().await;
    let staff = signed_in_fengtai(&app).await;
    let (status, html) = staff.page("/admin/new-station").await;
    assert_eq!(status, 200);
    assert_eq!(attr(&html, "#s-district option[selected]", "value"), "110106", "their district is chosen");
    let mut form = form_pairs(&html, "form.station-form");
    for (k, v) in [
        ("name", "丰台科技园测试驿站"),
        ("address", "丰台区科技园汽车博物馆东路"),
        ("lat", "39.825"),
        ("lon", "116.292"),
        ("hours", "Mo-Fr 09:00-18:00"),
        ("phone", "010-6370 1234"),
    ] {
        set(&mut form, k, v);
    }
    form.push(("facility".into(), "water".into()));
    form.push(("facility".into(), "toilet".into()));
    // Another district is refused for district staff.
    let mut elsewhere = form.clone();
    set(&mut elsewhere, "district", "110115");
    let (status, html) = html_of(post_pairs(&staff, "/admin/new-station", &elsewhere).await).await;
    assert_eq!(status, 400);
    assert_eq!(texts(&html, ".field-error"), vec!["请选择你负责的区。"]);

    // Half a position is refused; none at all is a station whose position is not known yet.
    let mut half = form.clone();
    set(&mut half, "lon", "");
    assert_eq!(post_pairs(&staff, "/admin/new-station", &half).await.status().as_u16(), 400);
    let mut unplaced = form.clone();
    set(&mut unplaced, "name", "丰台位置待核实驿站");
    set(&mut unplaced, "lat", "");
    set(&mut unplaced, "lon", "");
    let res = post_pairs(&staff, "/admin/new-station", &unplaced).await;
    assert_eq!(res.status().as_u16(), 303);
    let ids = app.state.store.station_ids_named("丰台位置待核实驿站").await.unwrap();
    assert_eq!(app.state.store.station(ids[0]).await.unwrap().unwrap().position, None);

    let res = post_pairs(&staff, "/admin/new-station", &form).await;
    assert_eq!(
        res.status().as_u16(),
        303,
        "{:?}",
        texts(&Html::parse_document(&res.text().await.unwrap()), ".field-error")
    );
    let to = location(&res);
    let id: i64 = to
        .strip_prefix("/admin/stations/")
        .and_then(|rest| rest.strip_suffix("?done=created"))
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("sent to the new station: {to}"));
    let (status, html) = app.page(&format!("/stations/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(text(&html, "h1"), "丰台科技园测试驿站");
    assert_eq!(attr(&html, "a.call", "href"), "tel:01063701234");
    let (_, html) = app.page("/stations?district=110106").await;
    assert!(texts(&html, ".station-name").contains(&"丰台科技园测试驿站".to_string()));
    let admin = signed_in_admin(&app).await;
    let (_, html) = admin.page(&format!("/admin/audit?station={id}")).await;
    assert_eq!(count(&html, ".audit-line"), 1);
    assert!(text(&html, ".audit-line p").contains("李丰台"));
    let changes = texts(&html, ".changes td.after");
    assert!(changes.contains(&"丰台科技园测试驿站".to_string()), "{changes:?}");
}

#[tokio::test]
async fn honours_show_on_the_public_page() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    let id = daxing_station(&app);
    let csrf = admin.csrf(&format!("/admin/stations/{id}")).await;
    let path = format!("/admin/stations/{id}/honours");
    let res =
        admin.post(&path, &[("csrf", &csrf), ("level", "municipal"), ("year", "2025"), ("title", "最美驿站")]).await;
    assert_eq!(location(&res), format!("/admin/stations/{id}?done=honour"));
    let (_, html) = app.page(&format!("/stations/{id}")).await;
    let honours = text(&html, ".honours");
    assert!(honours.contains("2025") && honours.contains("最美驿站"), "{honours}");
    for (level, year, title) in [("cosmic", "2025", "x"), ("district", "1999", "x"), ("district", "2025", " ")] {
        let res = admin.post(&path, &[("csrf", &csrf), ("level", level), ("year", year), ("title", title)]).await;
        assert_eq!(res.status().as_u16(), 400, "{level} {year} {title:?}");
    }
    let station = app.state.store.station(id).await.unwrap().unwrap();
    assert_eq!(station.honours.len(), 1);
}

#[tokio::test]
async fn queue_is_paginated() {
    use yizhan::domain::feedback::{FeedbackKind, NewFeedback};
    let app = spawn_app().await;
    let id = daxing_station(&app);
    let now = app.state.clock.now();
    for i in 0..51 {
        let new = NewFeedback {
            kind: FeedbackKind::Suggestion,
            rating: None,
            body: format!("建议{i:02}"),
            reporter: None,
            phone: None,
        };
        app.state.store.submit_feedback(id, "110115", &new, &new_token(), false, now + i).await.unwrap();
    }
    let admin = signed_in_admin(&app).await;
    let (_, html) = admin.page("/admin/feedback?kind=suggestion").await;
    assert_eq!(count(&html, "tr.fb-row"), 50);
    assert_eq!(text(&html, "tr.fb-row .fb-text a"), "建议50", "newest first");
    let next = attr(&html, "a[rel=next]", "href");
    assert_eq!(next, "/admin/feedback?kind=suggestion&page=2");
    let (_, html) = admin.page(&next).await;
    assert_eq!(texts(&html, "tr.fb-row .fb-text a"), vec!["建议00"]);
    assert_eq!(attr(&html, "a[rel=prev]", "href"), "/admin/feedback?kind=suggestion&page=1");
    assert_eq!(attr(&html, "form.bulk input[name=back]", "value"), "/admin/feedback?kind=suggestion&page=2");
    let (status, _) = admin.page("/admin/feedback?page=0").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn simultaneous_saves_one_wins() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    let id = daxing_station(&app);
    let form = edit_form(&admin, id).await;
    let path = format!("/admin/stations/{id}");
    let bodies: Vec<Vec<(String, String)>> = (0..4)
        .map(|i| {
            let mut f = form.clone();
            set(&mut f, "description", &format!("第{i}个版本"));
            f
        })
        .collect();
    let answers = futures_util::future::join_all(bodies.iter().map(|b| post_pairs(&admin, &path, b))).await;
    let mut places: Vec<String> = answers
        .iter()
        .map(|res| {
            assert_eq!(res.status().as_u16(), 303);
            location(res)
        })
        .collect();
    places.sort();
    let saved = places.iter().filter(|p| p.ends_with("done=saved")).count();
    let conflicts = places.iter().filter(|p| p.ends_with("done=conflict")).count();
    assert_eq!((saved, conflicts), (1, 3), "{places:?}");
    let (_, html) = admin.page("/admin/audit").await;
    assert_eq!(count(&html, ".audit-line"), 1);
}

#[tokio::test]
async fn an_invite_is_accepted_once_even_at_the_same_time() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    let token = invite(&admin, "district_staff", "110106").await;
    let people: Vec<(&str, &str)> = vec![("zhao.yi", "赵一"), ("qian.er", "钱二"), ("sun.san", "孙三")];
    let answers = futures_util::future::join_all(people.iter().map(|(u, n)| accept(&app, &token, u, n))).await;
    let statuses: Vec<u16> = answers.iter().map(|(_, res)| res.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 303).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| [303, 410].contains(s)), "{statuses:?}");
    let (_, html) = admin.page("/admin/staff").await;
    assert_eq!(count(&html, ".admin-table tbody tr"), 2, "one account made");
}

/// Locale keys that leaked into a page instead of their text (a missing translation).
fn raw_keys(html: &Html) -> Vec<String> {
    const PREFIXES: &[&str] = &[
        "admin.",
        "feedback.",
        "receipt.",
        "staff.",
        "error.",
        "station.",
        "status.",
        "honour.",
        "host.",
        "facility.",
        "audience.",
        "state.",
        "list.",
        "filter.",
        "nav.",
        "hours.",
        "when.",
    ];
    let body = html.select(&sel("body")).next().expect("body");
    let mut words: Vec<String> = body
        .text()
        .collect::<Vec<_>>()
        .join(" ")
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
        .map(String::from)
        .collect();
    for el in body.select(&sel("[aria-label], [placeholder], [title]")) {
        for name in ["aria-label", "placeholder", "title"] {
            if let Some(v) = el.value().attr(name) {
                words.push(v.to_string());
            }
        }
    }
    words.retain(|w| PREFIXES.iter().any(|p| w.starts_with(p)) && w.len() > 6);
    words.sort();
    words.dedup();
    words
}

#[tokio::test]
async fn staff_pages_are_translated() {
    let leak =
        Html::parse_document("<body><p>状态：admin.flash.bogus。</p><a aria-label='feedback.kind.x'>x</a></body>");
    assert_eq!(raw_keys(&leak), vec!["admin.flash.bogus", "feedback.kind.x"], "the check itself works");
    let app = spawn_app().await;
    let admin_id = create_staff(&app, "admin", "王主任", Role::CityAdmin).await;
    let worker = Browser::new(&app);
    let id = daxing_station(&app);
    // Something of everything: feedback in every state, a honeypot catch, every station action.
    let published =
        feedback(&worker, id, &[("kind", "closed_when_open"), ("body", "关门了"), ("phone", "13800138000")]).await;
    let rejected = feedback(&worker, id, &[("kind", "other"), ("body", "垃圾")]).await;
    let trapped = feedback(&worker, id, &[("body", "bot"), ("website", "x")]).await;
    let (published, rejected, trapped) =
        (feedback_id(&app, &published).await, feedback_id(&app, &rejected).await, feedback_id(&app, &trapped).await);
    let token = new_token();
    app.state.store.create_invite(&token, fengtai(), admin_id, monday_morning(), 3600).await.unwrap();

    for lang in ["zh-CN", "en"] {
        let admin = sign_in(&app, "admin").await;
        admin.jar.add_cookie_str(&format!("lang={lang}; Path=/"), &admin.base.parse().unwrap());
        if lang == "zh-CN" {
            moderate(&admin, published, &[("action", "publish")]).await;
            moderate(&admin, published, &[("action", "reply"), ("reply", "已核实")]).await;
            moderate(&admin, rejected, &[("action", "reject"), ("reason", "off_topic")]).await;
            let mut form = edit_form(&admin, id).await;
            set(&mut form, "name", "刘村驿站");
            post_pairs(&admin, &format!("/admin/stations/{id}"), &form).await;
            set_status(&admin, id, &[("action", "close"), ("reason", "装修"), ("until", "2025-12-01")]).await;
            set_status(&admin, id, &[("action", "reopen")]).await;
            set_status(&admin, id, &[("action", "verify")]).await;
            let csrf = admin.csrf("/admin/stations").await;
            admin
                .post(
                    &format!("/admin/stations/{id}/honours"),
                    &[("csrf", &csrf), ("level", "district"), ("year", "2025"), ("title", "优秀驿站")],
                )
                .await;
        }
        let mut paths = vec![
            "/admin/feedback".to_string(),
            "/admin/feedback?state=all".into(),
            format!("/admin/feedback/{published}"),
            format!("/admin/feedback/{rejected}"),
            format!("/admin/feedback/{trapped}"),
            "/admin/stations".into(),
            format!("/admin/stations/{id}"),
            "/admin/new-station".into(),
            "/admin/staff".into(),
            "/admin/audit".into(),
            "/admin/password".into(),
            "/admin/login".into(),
            format!("/invite/{token}"),
            format!("/stations/{id}"),
            format!(
                "/feedback/{}",
                app.state.store.feedback_for(rejected, Role::CityAdmin).await.unwrap().unwrap().receipt
            ),
            format!(
                "/feedback/{}",
                app.state.store.feedback_for(published, Role::CityAdmin).await.unwrap().unwrap().receipt
            ),
        ];
        for done in [
            "published",
            "rejected",
            "replied",
            "nothing",
            "saved",
            "created",
            "closed",
            "reopened",
            "revoked",
            "verified",
            "honour",
            "password",
            "conflict",
        ] {
            paths.push(format!("/admin/stations/{id}?done={done}"));
        }
        for path in paths {
            let (status, html) = admin.page(&path).await;
            assert_eq!(status, 200, "{lang} {path}");
            assert_eq!(attr(&html, "html", "lang"), lang, "{path}");
            assert_eq!(raw_keys(&html), Vec::<String>::new(), "{lang} {path}: untranslated keys");
            if path.contains("done=") {
                assert_eq!(count(&html, ".flash"), 1, "{lang} {path}");
            }
        }
        // Error pages of the new features.
        let res = admin.post("/admin/logout", &[]).await;
        let (status, html) = html_of(res).await;
        assert_eq!(status, 403);
        assert_eq!(raw_keys(&html), Vec::<String>::new(), "{lang} 403");
        let (status, html) = admin.page("/invite/0123456789abcdef0123456789abcdef").await;
        assert_eq!(status, 404);
        assert_eq!(raw_keys(&html), Vec::<String>::new(), "{lang} invite 404");
    }
}
