//! Worker feedback through the real app: the form on a station page, the receipt,
//! and what the public pages show after moderation.

use scraper::Html;
use yizhan::domain::staff::new_token;

use crate::admin::{moderate, signed_in_admin};
use crate::helpers::*;

/// A seed station, checked to be (or not be) in 丰台 (110106).
pub fn seed_in(app: &TestApp, prefix: &str, fengtai: bool) -> i64 {
    let id = seed_id(app, prefix);
    let code = app.state.snapshot.load().get(id).expect("station").station.district.code;
    assert_eq!(code == 110106, fengtai, "{prefix} is in district {code}");
    id
}

/// A plain 丰台 station and one elsewhere (大兴).
pub fn fengtai_station(app: &TestApp) -> i64 {
    seed_in(app, "槐房万达", true)
}

pub fn daxing_station(app: &TestApp) -> i64 {
    seed_in(app, "刘村", false)
}

/// The fields of a reasonable feedback, with `overrides` replacing or adding fields.
pub fn fields<'a>(overrides: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut pairs: Vec<(&str, &str)> = vec![
        ("kind", "praise"),
        ("rating", "5"),
        ("body", "热水很方便，谢谢！"),
        ("reporter", "courier"),
        ("phone", ""),
        ("website", ""),
    ];
    for (k, v) in overrides {
        match pairs.iter_mut().find(|(key, _)| key == k) {
            Some(pair) => pair.1 = v,
            None => pairs.push((k, v)),
        }
    }
    pairs
}

/// Opens the station page and sends its feedback form; returns the response and the
/// form's submission key.
pub async fn send_feedback(worker: &Browser, station: i64, overrides: &[(&str, &str)]) -> (reqwest::Response, String) {
    let (status, html) = worker.page(&format!("/stations/{station}")).await;
    assert_eq!(status, 200);
    let csrf = attr(&html, "form.feedback-form input[name=csrf]", "value");
    let submission = attr(&html, "form.feedback-form input[name=submission]", "value");
    assert!(submission.len() == 32 && submission.bytes().all(|b| b.is_ascii_hexdigit()), "{submission}");
    let mut pairs = vec![("csrf", csrf.as_str()), ("submission", submission.as_str())];
    pairs.extend(fields(overrides));
    let res = worker.post(&format!("/stations/{station}/feedback"), &pairs).await;
    (res, submission)
}

/// Sends a feedback that must be accepted; returns its receipt number.
pub async fn feedback(worker: &Browser, station: i64, overrides: &[(&str, &str)]) -> String {
    let (res, _) = send_feedback(worker, station, overrides).await;
    assert_eq!(res.status().as_u16(), 303, "feedback accepted");
    let to = location(&res);
    to.strip_prefix("/feedback/").unwrap_or_else(|| panic!("sent to a receipt: {to}")).to_string()
}

/// The database id of a feedback, by its receipt.
pub async fn feedback_id(app: &TestApp, receipt: &str) -> i64 {
    app.state.store.feedback_by_receipt(receipt).await.expect("store").expect("stored").id
}

/// Every stored feedback row, trapped ones included.
pub async fn stored_feedback(app: &TestApp) -> i64 {
    use sqlx::{Connection, Row};
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&app.database_url).await.expect("connect");
    let row = sqlx::query("SELECT COUNT(*) FROM feedback").fetch_one(&mut conn).await.expect("count");
    let n: i64 = row.try_get(0).expect("count");
    conn.close().await.expect("close");
    n
}

fn is_receipt_shape(code: &str) -> bool {
    let parts: Vec<&str> = code.split('-').collect();
    parts.len() == 4 && parts[0] == "FK" && parts[1..].iter().all(|p| p.len() == 4)
}

#[tokio::test]
async fn feedback_goes_to_a_pending_receipt() {
    let app = spawn_app().await;
    let worker = Browser::new(&app);
    let id = daxing_station(&app);
    let (res, _) = send_feedback(&worker, id, &[("kind", "hours_wrong"), ("body", "周日下午没开门")]).await;
    assert_eq!(res.status().as_u16(), 303);
    let to = location(&res);
    let receipt = to.strip_prefix("/feedback/").expect("receipt path").to_string();
    assert!(is_receipt_shape(&receipt), "{receipt}");

    let (status, html) = worker.page(&to).await;
    assert_eq!(status, 200);
    assert_eq!(text(&html, ".receipt-code"), receipt);
    assert_eq!(count(&html, ".feedback-state.state-pending"), 1);
    assert_eq!(text(&html, ".feedback-state"), "待审核");
    assert_eq!(text(&html, "dd.note-body"), "周日下午没开门");
    assert_eq!(attr(&html, ".receipt-page dd a", "href"), format!("/stations/{id}"));
    assert_eq!(count(&html, ".staff-reply"), 0);
    // The receipt is typed in by hand: lower case works too.
    let (status, html) = worker.page(&to.to_ascii_lowercase()).await;
    assert_eq!(status, 200);
    assert_eq!(text(&html, ".receipt-code"), receipt);
    // Not published yet.
    let (_, html) = worker.page(&format!("/stations/{id}")).await;
    assert_eq!(count(&html, ".note-item"), 0);
}

#[tokio::test]
async fn unknown_and_malformed_receipts_are_not_found() {
    let app = spawn_app().await;
    for path in ["/feedback/FK-0000-0000-0000", "/feedback/FK-0000-0000", "/feedback/1%3B%20DROP%20TABLE%20feedback"] {
        let (status, html) = app.page(path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(text(&html, "h1"), "找不到这个页面");
    }
}

#[tokio::test]
async fn a_retried_form_is_stored_once() {
    let app = spawn_app().await;
    let worker = Browser::new(&app);
    let id = daxing_station(&app);
    let (res, submission) = send_feedback(&worker, id, &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    let first = location(&res);
    // The same form sent again (a double click, a retry after a timeout).
    let csrf = worker.csrf(&format!("/stations/{id}")).await;
    let mut pairs = vec![("csrf", csrf.as_str()), ("submission", submission.as_str())];
    pairs.extend(fields(&[]));
    for _ in 0..2 {
        let res = worker.post(&format!("/stations/{id}/feedback"), &pairs).await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), first, "the same receipt again");
    }
    assert_eq!(stored_feedback(&app).await, 1);
    // A new form on the page is a new feedback.
    let second = feedback(&worker, id, &[]).await;
    assert_ne!(format!("/feedback/{second}"), first);
    assert_eq!(stored_feedback(&app).await, 2);
}

#[tokio::test]
async fn missing_csrf_is_forbidden() {
    let app = spawn_app().await;
    let worker = Browser::new(&app);
    let id = daxing_station(&app);
    let (_, html) = worker.page(&format!("/stations/{id}")).await;
    assert!(worker.cookie("yz_csrf").is_some(), "the station page sets the CSRF cookie");
    let submission = attr(&html, "input[name=submission]", "value");
    let mut pairs = vec![("submission", submission.as_str())];
    pairs.extend(fields(&[]));
    let (status, html) = html_of(worker.post(&format!("/stations/{id}/feedback"), &pairs).await).await;
    assert_eq!(status, 403);
    assert_eq!(text(&html, "h1"), "表单已失效");
    // A stranger's client: no cookie, no field.
    let res = app
        .client
        .post(format!("{}/stations/{id}/feedback", app.address))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(encode(&pairs))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(stored_feedback(&app).await, 0, "nothing stored");
}

#[tokio::test]
async fn wrong_csrf_is_forbidden() {
    let app = spawn_app().await;
    let worker = Browser::new(&app);
    let id = daxing_station(&app);
    let (_, html) = worker.page(&format!("/stations/{id}")).await;
    let real = attr(&html, "input[name=csrf]", "value");
    let submission = attr(&html, "input[name=submission]", "value");
    let other = new_token();
    assert_ne!(other, real);
    // Another browser's token (its own valid cookie) does not fit this browser.
    let someone = Browser::new(&app);
    let theirs = someone.csrf(&format!("/stations/{id}")).await;
    for token in [other.as_str(), theirs.as_str(), &real[..31], "' OR 1=1 --"] {
        let mut pairs = vec![("csrf", token), ("submission", submission.as_str())];
        pairs.extend(fields(&[]));
        let res = worker.post(&format!("/stations/{id}/feedback"), &pairs).await;
        assert_eq!(res.status().as_u16(), 403, "csrf={token}");
    }
    // The right token with a forged cookie fails too.
    let mut pairs = vec![("csrf", real.as_str()), ("submission", submission.as_str())];
    pairs.extend(fields(&[]));
    let res = app
        .client
        .post(format!("{}/stations/{id}/feedback", app.address))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Cookie", format!("yz_csrf={real}"))
        .body(encode(&pairs))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403, "an unsigned cookie is not accepted");
    assert_eq!(stored_feedback(&app).await, 0, "nothing stored");
}

#[tokio::test]
async fn markup_is_shown_as_text() {
    let app = spawn_app().await;
    let worker = Browser::new(&app);
    let id = daxing_station(&app);
    let markup = "<script>alert(1)</script><b>粗</b> & \"引号\"";
    let receipt = feedback(&worker, id, &[("body", markup)]).await;
    let res = worker.get(&format!("/feedback/{receipt}")).await;
    let raw = res.text().await.unwrap();
    assert!(!raw.contains("<script>alert(1)"), "escaped on the receipt");
    let html = Html::parse_document(&raw);
    assert_eq!(text(&html, "dd.note-body"), markup);
    assert_eq!(count(&html, "script:not([src])"), 0);
    assert_eq!(count(&html, ".note-body b"), 0);

    let admin = signed_in_admin(&app).await;
    let res = moderate(&admin, feedback_id(&app, &receipt).await, &[("action", "publish")]).await;
    assert_eq!(res.status().as_u16(), 303);
    let raw = worker.get(&format!("/stations/{id}")).await.text().await.unwrap();
    assert!(!raw.contains("<script>alert(1)"), "escaped on the station page");
    let html = Html::parse_document(&raw);
    assert_eq!(texts(&html, ".note-list .note-item .note-body"), vec![markup]);
    assert_eq!(count(&html, "script:not([src])"), 0);
    assert_eq!(count(&html, ".note-body b"), 0);
    // Staff pages escape it as well.
    for path in
        ["/admin/feedback?state=all".to_string(), format!("/admin/feedback/{}", feedback_id(&app, &receipt).await)]
    {
        let raw = admin.get(&path).await.text().await.unwrap();
        assert!(!raw.contains("<script>alert(1)"), "escaped on {path}");
        let html = Html::parse_document(&raw);
        assert_eq!(count(&html, "script:not([src])"), 0, "{path}");
    }
    let (_, html) = admin.page("/admin/feedback?state=all").await;
    assert_eq!(text(&html, "tr.fb-row .fb-text a"), markup);
}

/// Posts a bad form and checks the 400 page: the station page with the form filled in.
async fn refused(worker: &Browser, id: i64, overrides: &[(&str, &str)]) -> Html {
    let (res, submission) = send_feedback(worker, id, overrides).await;
    let (status, html) = html_of(res).await;
    assert_eq!(status, 400);
    assert_eq!(count(&html, "form.feedback-form"), 1, "the station page again");
    assert_eq!(attr(&html, "input[name=submission]", "value"), submission, "the same submission key");
    html
}

#[tokio::test]
async fn too_long_text_is_refused_and_kept() {
    let app = spawn_app().await;
    let worker = Browser::new(&app);
    let id = daxing_station(&app);
    let long = "长".repeat(501);
    let html = refused(&worker, id, &[("kind", "suggestion"), ("body", &long), ("phone", "138 0013 8000")]).await;
    assert_eq!(html.select(&sel("textarea#fb-body")).next().unwrap().text().collect::<String>(), long);
    assert_eq!(attr(&html, "input#fb-phone", "value"), "138 0013 8000");
    assert_eq!(attr(&html, "input[name=kind][checked]", "value"), "suggestion");
    assert_eq!(attr(&html, "input[name=rating][checked]", "value"), "5");
    assert_eq!(attr(&html, "#fb-reporter option[selected]", "value"), "courier");
    assert_eq!(texts(&html, ".field-error"), vec!["内容太长了，最多500个字。"]);
    assert_eq!(attr(&html, "#fb-body", "aria-invalid"), "true");
    assert_eq!(stored_feedback(&app).await, 0);
    // 500 characters are fine.
    feedback(&worker, id, &[("body", &"长".repeat(500))]).await;
    assert_eq!(stored_feedback(&app).await, 1);
}

#[tokio::test]
async fn empty_text_is_refused_and_kept() {
    let app = spawn_app().await;
    let worker = Browser::new(&app);
    let id = daxing_station(&app);
    let html =
        refused(&worker, id, &[("kind", "facility_missing"), ("body", "  \r\n "), ("phone", "13800138000")]).await;
    assert_eq!(text(&html, "#err-body"), "请写下具体情况。");
    assert_eq!(attr(&html, "input#fb-phone", "value"), "13800138000");
    assert_eq!(attr(&html, "input[name=kind][checked]", "value"), "facility_missing");
    assert_eq!(stored_feedback(&app).await, 0);
}

#[tokio::test]
async fn invalid_utf8_is_refused_and_kept() {
    let app = spawn_app().await;
    let worker = Browser::new(&app);
    let id = daxing_station(&app);
    let (_, html) = worker.page(&format!("/stations/{id}")).await;
    let csrf = attr(&html, "input[name=csrf]", "value");
    let submission = attr(&html, "input[name=submission]", "value");
    let body = format!(
        "{}&body=%E9%97%A8%E5%85%B3%E7%9D%80%FF%FE",
        encode(&[
            ("csrf", &csrf),
            ("submission", &submission),
            ("kind", "closed_when_open"),
            ("phone", "010-6758 1234")
        ])
    );
    let (status, html) = html_of(worker.post_raw(&format!("/stations/{id}/feedback"), body).await).await;
    assert_eq!(status, 400);
    assert!(text(&html, ".form-error").contains("无法识别的字符"));
    let kept = html.select(&sel("textarea#fb-body")).next().unwrap().text().collect::<String>();
    assert!(kept.starts_with("门关着"), "what could be read is kept: {kept:?}");
    assert!(kept.contains('\u{FFFD}'), "bad bytes shown as replacement characters: {kept:?}");
    assert_eq!(attr(&html, "input#fb-phone", "value"), "010-6758 1234");
    assert_eq!(attr(&html, "input[name=kind][checked]", "value"), "closed_when_open");
    assert_eq!(attr(&html, "input[name=submission]", "value"), submission);
    assert_eq!(stored_feedback(&app).await, 0);
    assert_eq!(count(&html, ".reported-closed"), 0, "a refused report warns nobody");
}

#[tokio::test]
async fn bad_phone_is_refused_and_kept() {
    let app = spawn_app().await;
    let worker = Browser::new(&app);
    let id = daxing_station(&app);
    let html =
        refused(&worker, id, &[("kind", "location_wrong"), ("body", "定位偏了200米"), ("phone", "call me")]).await;
    assert_eq!(text(&html, "#err-phone"), "这不是有效的电话号码（7到15位数字）。");
    assert_eq!(attr(&html, "input#fb-phone", "value"), "call me");
    assert_eq!(attr(&html, "input#fb-phone", "aria-invalid"), "true");
    assert_eq!(text(&html, "textarea#fb-body"), "定位偏了200米");
    assert_eq!(attr(&html, "input[name=kind][checked]", "value"), "location_wrong");
    assert_eq!(count(&html, ".field-error"), 1);
    // Every bad field at once.
    let html = refused(&worker, id, &[("kind", "nope"), ("rating", "9"), ("reporter", "boss"), ("phone", "123")]).await;
    assert_eq!(count(&html, ".field-error"), 4);
    assert_eq!(count(&html, "input[name=kind][checked]"), 0);
    assert_eq!(stored_feedback(&app).await, 0);
}

#[tokio::test]
async fn honeypot_is_answered_but_never_queued_or_published() {
    let app = spawn_app().await;
    let bot = Browser::new(&app);
    let id = daxing_station(&app);
    let receipt = feedback(
        &bot,
        id,
        &[("kind", "closed_when_open"), ("body", "cheap watches"), ("website", "http://spam.example")],
    )
    .await;
    assert_eq!(stored_feedback(&app).await, 1, "kept, for the record");
    let stored = app.state.store.feedback_by_receipt(&receipt).await.unwrap().expect("stored");
    assert!(stored.trapped);
    assert_eq!(stored.state.key(), "rejected");
    assert_eq!(stored.reject_reason.map(|r| r.key()), Some("spam"));
    // The bot learns nothing: its receipt looks like any report waiting for review.
    let (status, html) = bot.page(&format!("/feedback/{receipt}")).await;
    assert_eq!(status, 200);
    assert_eq!(count(&html, ".feedback-state.state-pending"), 1);

    let admin = signed_in_admin(&app).await;
    for state in ["pending", "all", "rejected"] {
        let (status, html) = admin.page(&format!("/admin/feedback?state={state}")).await;
        assert_eq!(status, 200);
        assert_eq!(count(&html, "tr.fb-row"), 0, "state={state}: nobody has to read it");
    }
    // Even a publish attempt by id does nothing.
    let fid = feedback_id(&app, &receipt).await;
    let res = moderate(&admin, fid, &[("action", "publish")]).await;
    assert_eq!(location(&res), format!("/admin/feedback/{fid}?done=nothing"));
    let (_, html) = bot.page(&format!("/stations/{id}")).await;
    assert_eq!(count(&html, ".note-item"), 0, "never published");
    assert_eq!(count(&html, ".reported-closed"), 0, "a bot's report warns nobody");
    let (_, html) = bot.page(&format!("/feedback/{receipt}")).await;
    assert_eq!(count(&html, ".feedback-state.state-pending"), 1);
    let stored = app.state.store.feedback_by_receipt(&receipt).await.unwrap().expect("stored");
    assert_eq!(stored.state.key(), "rejected", "still rejected");
}

#[tokio::test]
async fn too_many_posts_are_refused() {
    let app = spawn_app_with(|config| config.feedback_per_hour = 3).await;
    let worker = Browser::new(&app);
    let id = daxing_station(&app);
    let (first, first_submission) = send_feedback(&worker, id, &[]).await;
    assert_eq!(first.status().as_u16(), 303);
    let first_receipt = location(&first);
    for _ in 0..2 {
        feedback(&worker, id, &[]).await;
    }
    let (res, _) = send_feedback(&worker, id, &[]).await;
    let (status, html) = html_of(res).await;
    assert_eq!(status, 429);
    assert_eq!(text(&html, "h1"), "提交太频繁了");
    // A retry of a form that was stored (its 303 lost) still gets its receipt, limit or not.
    let csrf = worker.csrf(&format!("/stations/{id}")).await;
    let mut pairs = vec![("csrf", csrf.as_str()), ("submission", first_submission.as_str())];
    pairs.extend(fields(&[]));
    let retry = worker.post(&format!("/stations/{id}/feedback"), &pairs).await;
    assert_eq!(retry.status().as_u16(), 303, "a stored form's retry is not rate limited");
    assert_eq!(location(&retry), first_receipt);
    // Per address, not per browser.
    let other = Browser::new(&app);
    let (res, _) = send_feedback(&other, fengtai_station(&app), &[]).await;
    assert_eq!(res.status().as_u16(), 429);
    // A client cannot pick its own address (the proxy header is not trusted by default).
    let csrf = worker.csrf(&format!("/stations/{id}")).await;
    let mut pairs = vec![("csrf", csrf.as_str())];
    let submission = new_token();
    pairs.push(("submission", &submission));
    pairs.extend(fields(&[]));
    let res = worker
        .client
        .post(format!("{}/stations/{id}/feedback", app.address))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("X-Forwarded-For", "203.0.113.7")
        .header("Forwarded", "for=203.0.113.7")
        .body(encode(&pairs))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 429);
    assert_eq!(stored_feedback(&app).await, 3);
    // The default is 10 an hour.
    let app = spawn_app().await;
    let worker = Browser::new(&app);
    for _ in 0..10 {
        feedback(&worker, id, &[]).await;
    }
    let (res, _) = send_feedback(&worker, id, &[]).await;
    assert_eq!(res.status().as_u16(), 429);
}

#[tokio::test]
async fn closed_report_warns_until_rejected() {
    let app = spawn_app().await;
    let worker = Browser::new(&app);
    let id = daxing_station(&app);
    let (_, html) = worker.page(&format!("/stations/{id}")).await;
    assert_eq!(count(&html, ".reported-closed"), 0);
    let receipt = feedback(&worker, id, &[("kind", "closed_when_open"), ("body", "10点来的，门锁着")]).await;
    let (_, html) = worker.page(&format!("/stations/{id}")).await;
    let warning = text(&html, ".reported-closed");
    assert!(warning.contains("1 位劳动者"), "shown before moderation: {warning}");
    assert_eq!(attr(&html, ".reported-closed a", "href"), "#feedback");
    assert_eq!(count(&html, ".note-item"), 0, "the report itself is not published yet");
    let other = daxing_other(&app, id);
    let (_, html) = worker.page(&format!("/stations/{other}")).await;
    assert_eq!(count(&html, ".reported-closed"), 0, "only on the station concerned");

    let admin = signed_in_admin(&app).await;
    let res =
        moderate(&admin, feedback_id(&app, &receipt).await, &[("action", "reject"), ("reason", "duplicate")]).await;
    assert_eq!(res.status().as_u16(), 303);
    let (_, html) = worker.page(&format!("/stations/{id}")).await;
    assert_eq!(count(&html, ".reported-closed"), 0, "a rejected report no longer warns");

    // A published one keeps warning; the window is 24 hours.
    let receipt = feedback(&worker, id, &[("kind", "closed_when_open"), ("body", "又关门了")]).await;
    moderate(&admin, feedback_id(&app, &receipt).await, &[("action", "publish")]).await;
    let (_, html) = worker.page(&format!("/stations/{id}")).await;
    assert!(text(&html, ".reported-closed").contains("1 位劳动者"));
    let tomorrow = spawn_on(app.database_url.clone(), monday_morning() + 25 * 3600).await;
    let (_, html) = tomorrow.page(&format!("/stations/{id}")).await;
    assert_eq!(count(&html, ".reported-closed"), 0, "older than 24 hours");
    assert_eq!(count(&html, ".note-item"), 1);
}

/// Another seed station of 大兴 than `id`.
fn daxing_other(app: &TestApp, id: i64) -> i64 {
    let other = seed_in(app, "霍氏", false);
    assert_ne!(other, id);
    other
}

#[tokio::test]
async fn published_reply_shows_on_station_and_receipt() {
    let app = spawn_app().await;
    let worker = Browser::new(&app);
    let id = daxing_station(&app);
    let receipt = feedback(&worker, id, &[("kind", "suggestion"), ("rating", "4"), ("body", "希望加一个充电柜")]).await;
    let admin = signed_in_admin(&app).await;
    let fid = feedback_id(&app, &receipt).await;
    let res = moderate(&admin, fid, &[("action", "publish")]).await;
    assert_eq!(location(&res), format!("/admin/feedback/{fid}?done=published"));
    let res = moderate(&admin, fid, &[("action", "reply"), ("reply", "  已安排，下周安装。  ")]).await;
    assert_eq!(location(&res), format!("/admin/feedback/{fid}?done=replied"));
    let (_, html) = admin.page(&location(&res)).await;
    assert_eq!(text(&html, ".flash"), "回复已保存。");

    let (_, html) = worker.page(&format!("/stations/{id}")).await;
    assert_eq!(count(&html, ".note-list .note-item"), 1);
    assert_eq!(text(&html, ".note-item .note-body"), "希望加一个充电柜");
    let head = text(&html, ".note-item .note-head");
    assert!(head.contains("建议") && head.contains("快递员") && head.contains("2025-11-17"), "{head}");
    let reply = text(&html, ".note-item .note-reply");
    assert!(reply.contains("已安排，下周安装。"), "{reply}");
    assert!(reply.contains("2025-11-17 10:00"), "reply date: {reply}");

    let (_, html) = worker.page(&format!("/feedback/{receipt}")).await;
    assert_eq!(count(&html, ".feedback-state.state-published"), 1);
    assert_eq!(text(&html, ".feedback-state"), "已公开");
    assert!(text(&html, ".staff-reply").contains("已安排，下周安装。"));
}

#[tokio::test]
async fn rejection_reason_shows_on_receipt() {
    let app = spawn_app().await;
    let worker = Browser::new(&app);
    let id = daxing_station(&app);
    let receipt = feedback(&worker, id, &[("body", "你们都是骗子")]).await;
    let admin = signed_in_admin(&app).await;
    let fid = feedback_id(&app, &receipt).await;
    let res = moderate(&admin, fid, &[("action", "reject"), ("reason", "abuse")]).await;
    assert_eq!(location(&res), format!("/admin/feedback/{fid}?done=rejected"));
    let (_, html) = worker.page(&format!("/feedback/{receipt}")).await;
    assert_eq!(count(&html, ".feedback-state.state-rejected"), 1);
    assert_eq!(text(&html, ".feedback-state"), "未公开 · 原因：辱骂或攻击");
    let (_, html) = worker.page(&format!("/stations/{id}")).await;
    assert_eq!(count(&html, ".note-item"), 0);
    // An unknown reason or action is a 400 and changes nothing.
    for pairs in [[("action", "reject"), ("reason", "ugly")], [("action", "delete"), ("reason", "spam")]] {
        let res = moderate(&admin, fid, &pairs).await;
        assert_eq!(res.status().as_u16(), 400);
    }
    let (_, html) = worker.page(&format!("/feedback/{receipt}")).await;
    assert_eq!(text(&html, ".feedback-state"), "未公开 · 原因：辱骂或攻击");
}

#[tokio::test]
async fn contact_phone_is_for_staff_only() {
    let app = spawn_app().await;
    let worker = Browser::new(&app);
    let id = daxing_station(&app);
    let receipt = feedback(&worker, id, &[("body", "工作人员很热情"), ("phone", "139-1234-5678")]).await;
    let admin = signed_in_admin(&app).await;
    let fid = feedback_id(&app, &receipt).await;
    moderate(&admin, fid, &[("action", "publish")]).await;
    moderate(&admin, fid, &[("action", "reply"), ("reply", "谢谢！")]).await;

    let (_, html) = admin.page(&format!("/admin/feedback/{fid}")).await;
    let facts = text(&html, "dl.facts");
    assert!(facts.contains("139-1234-5678"), "staff see the phone: {facts}");
    assert!(facts.contains("仅工作人员可见"));

    let digits = ["139-1234-5678", "13912345678", "1234-5678"];
    for path in [
        format!("/stations/{id}"),
        format!("/feedback/{receipt}"),
        "/stations?district=110115".to_string(),
        "/api/stations?district=110115".to_string(),
        "/api/stations.csv".to_string(),
        "/api/stations.geojson".to_string(),
    ] {
        let res = worker.get(&path).await;
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        for d in digits {
            assert!(!body.contains(d), "{path} ({status}) shows the phone {d}");
        }
    }
    let (_, html) = worker.page(&format!("/stations/{id}")).await;
    assert_eq!(texts(&html, ".note-item .note-body"), vec!["工作人员很热情"], "the feedback itself is public");
}

#[tokio::test]
async fn simultaneous_retries_are_stored_once() {
    let app = spawn_app().await;
    let worker = Browser::new(&app);
    let id = daxing_station(&app);
    let csrf = worker.csrf(&format!("/stations/{id}")).await;
    let submission = new_token();
    let mut pairs = vec![("csrf", csrf.as_str()), ("submission", submission.as_str())];
    pairs.extend(fields(&[("body", "同时点了好几次")]));
    let body = encode(&pairs);
    let path = format!("/stations/{id}/feedback");
    let sends = (0..6).map(|_| worker.post_raw(&path, body.clone()));
    let answers = futures_util::future::join_all(sends).await;
    let mut places = Vec::new();
    for res in &answers {
        assert_eq!(res.status().as_u16(), 303);
        places.push(location(res));
    }
    places.dedup();
    assert_eq!(places.len(), 1, "one receipt for all: {places:?}");
    assert_eq!(stored_feedback(&app).await, 1);
}
