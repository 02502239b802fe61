//! Moderation from a phone (issue 12): one form to reply and publish, outcomes of
//! "reported closed" checks, moderation in the audit log in words, revocation with
//! a reason and its 410 page, and the street list of the station form.

use yizhan::domain::feedback::ClosedOutcome;
use yizhan::domain::staff::Role;

use crate::admin::{edit_form, form_pairs, moderate, post_pairs, set, set_status, signed_in_admin, signed_in_fengtai};
use crate::feedback::{daxing_station, feedback, feedback_id, fengtai_station};
use crate::helpers::*;

/// A worker's "closed when listed open" report on `station`; its feedback id.
pub async fn closed_report(app: &TestApp, station: i64, body: &str) -> i64 {
    let worker = Browser::new(app);
    let receipt = feedback(&worker, station, &[("kind", "closed_when_open"), ("body", body)]).await;
    feedback_id(app, &receipt).await
}

async fn stored(app: &TestApp, id: i64) -> yizhan::store::Feedback {
    app.state.store.feedback_for(id, Role::CityAdmin).await.expect("store").expect("stored")
}

/// The station page warns of reports ("今天已有 N 位劳动者反映…").
async fn warning(app: &TestApp, station: i64) -> Option<String> {
    let (status, html) = app.page(&format!("/stations/{station}")).await;
    assert_eq!(status, 200);
    texts(&html, ".reported-closed").into_iter().next()
}

#[tokio::test]
async fn verified_open_stops_the_banner() {
    let app = spawn_app().await;
    let station = daxing_station(&app);
    let fid = closed_report(&app, station, "10点来的，门锁着").await;
    assert!(warning(&app, station).await.expect("warned").contains("1 位劳动者"));

    let admin = signed_in_admin(&app).await;
    let (_, html) = admin.page(&format!("/admin/feedback/{fid}")).await;
    assert_eq!(text(&html, ".fb-outcome"), "待核实");
    assert_eq!(count(&html, "form.decide input[name=outcome][type=radio]"), 3);
    let res = moderate(&admin, fid, &[("action", "outcome"), ("outcome", "verified_open")]).await;
    assert_eq!(location(&res), format!("/admin/feedback/{fid}?done=outcome"));
    assert_eq!(warning(&app, station).await, None, "a checked report no longer warns");
    assert_eq!(stored(&app, fid).await.outcome, Some(ClosedOutcome::VerifiedOpen));
    assert_eq!(app.state.store.station(station).await.unwrap().unwrap().status.key(), "open");

    let (_, html) = admin.page(&location(&res)).await;
    assert_eq!(text(&html, ".flash"), "处理结果已记录，这条反映不再在驿站页面提示。");
    assert_eq!(text(&html, ".fb-outcome"), "核实正常开放");
    assert!(texts(&html, "table.history td").contains(&"处理结果 · 核实正常开放".to_string()));
    let (_, html) = admin.page("/admin/feedback?kind=closed_when_open").await;
    assert_eq!(text(&html, "tr.fb-row .fb-outcome"), "核实正常开放");

    // Another report after the check warns again; the same outcome twice changes nothing.
    closed_report(&app, station, "下午又关门了").await;
    assert!(warning(&app, station).await.expect("warned").contains("1 位劳动者"));
    let res = moderate(&admin, fid, &[("action", "outcome"), ("outcome", "verified_open")]).await;
    assert_eq!(location(&res), format!("/admin/feedback/{fid}?done=nothing"));
}

#[tokio::test]
async fn closed_temporarily_closes_the_station() {
    let app = spawn_app().await;
    let station = daxing_station(&app);
    let fid = closed_report(&app, station, "门口贴了通知说在装修").await;
    let admin = signed_in_admin(&app).await;

    // No reason: refused, nothing written, the typed reply and date kept.
    let res = moderate(
        &admin,
        fid,
        &[
            ("action", "outcome"),
            ("outcome", "closed_temporarily"),
            ("closed_until", "2025-11-30"),
            ("reply", "已核实"),
        ],
    )
    .await;
    let (status, html) = html_of(res).await;
    assert_eq!(status, 400);
    assert_eq!(text(&html, "fieldset.outcome .field-error"), "设为临时关闭需要填写关闭原因（最多200字）。");
    assert_eq!(text(&html, "textarea#reply"), "已核实");
    assert_eq!(attr(&html, "#o-until", "value"), "2025-11-30");
    assert_eq!(attr(&html, "input[name=outcome][checked]", "value"), "closed_temporarily");
    assert_eq!(stored(&app, fid).await.outcome, None);
    assert_eq!(stored(&app, fid).await.reply, None);
    // A date that is not one: refused too.
    let res = moderate(
        &admin,
        fid,
        &[
            ("action", "outcome"),
            ("outcome", "closed_temporarily"),
            ("closed_reason", "装修"),
            ("closed_until", "30/11"),
        ],
    )
    .await;
    assert_eq!(res.status().as_u16(), 400);

    let res = moderate(
        &admin,
        fid,
        &[
            ("action", "outcome"),
            ("outcome", "closed_temporarily"),
            ("closed_reason", "内部装修"),
            ("closed_until", "2025-11-30"),
        ],
    )
    .await;
    assert_eq!(location(&res), format!("/admin/feedback/{fid}?done=outcome_closed"));
    let now = app.state.store.station(station).await.unwrap().unwrap();
    assert_eq!(now.status.key(), "temporarily_closed");
    let (status, html) = app.page(&format!("/stations/{station}")).await;
    assert_eq!(status, 200);
    let banner = text(&html, ".banner-closed");
    assert!(banner.contains("内部装修") && banner.contains("2025-11-30"), "{banner}");
    assert_eq!(count(&html, ".reported-closed"), 0);
    assert_eq!(stored(&app, fid).await.outcome, Some(ClosedOutcome::ClosedTemporarily));

    // Audited like a station edit, and as the feedback's outcome.
    let (_, html) = admin.page(&format!("/admin/audit?station={station}")).await;
    let actions = texts(&html, ".audit-line p strong");
    assert_eq!(actions, vec!["关门反映处理结果", "临时关闭"], "newest first");
    let after = texts(&html, ".changes td.after");
    for expected in ["确认关门：已设临时关闭", "临时关闭", "内部装修", "2025-11-30"] {
        assert!(after.contains(&expected.to_string()), "{expected} in {after:?}");
    }
}

#[tokio::test]
async fn hours_mismatch_is_stored() {
    let app = spawn_app().await;
    let station = daxing_station(&app);
    let fid = closed_report(&app, station, "说是八点开门，九点半才开").await;
    let admin = signed_in_admin(&app).await;
    let res = moderate(&admin, fid, &[("action", "outcome"), ("outcome", "hours_mismatch")]).await;
    assert_eq!(location(&res), format!("/admin/feedback/{fid}?done=outcome"));
    let f = stored(&app, fid).await;
    assert_eq!(f.outcome, Some(ClosedOutcome::HoursMismatch));
    assert_eq!(f.outcome_at, Some(app.state.clock.now()));
    assert_eq!(app.state.store.station(station).await.unwrap().unwrap().status.key(), "open", "station unchanged");
    assert_eq!(warning(&app, station).await, None);
    let (_, html) = admin.page(&format!("/admin/feedback/{fid}")).await;
    assert_eq!(text(&html, ".fb-outcome"), "确认关门：营业时间与公示不符");

    // Outcomes are for "closed" reports only; unknown ones and no choice are refused.
    let worker = Browser::new(&app);
    let praise = feedback_id(&app, &feedback(&worker, station, &[("body", "很好")]).await).await;
    let res = moderate(&admin, praise, &[("action", "outcome"), ("outcome", "verified_open")]).await;
    assert_eq!(res.status().as_u16(), 400);
    let res = moderate(&admin, fid, &[("action", "outcome"), ("outcome", "maybe")]).await;
    assert_eq!(res.status().as_u16(), 400);
    let (status, html) = html_of(moderate(&admin, fid, &[("action", "outcome")]).await).await;
    assert_eq!(status, 400);
    assert_eq!(text(&html, "fieldset.outcome .field-error"), "请选择一个处理结果。");
    assert_eq!(stored(&app, fid).await.outcome, Some(ClosedOutcome::HoursMismatch));
}

#[tokio::test]
async fn district_staff_cannot_resolve_elsewhere() {
    let app = spawn_app().await;
    let elsewhere = daxing_station(&app);
    let theirs = closed_report(&app, elsewhere, "大兴的关门反映").await;
    let ours = closed_report(&app, fengtai_station(&app), "丰台的关门反映").await;
    let staff = signed_in_fengtai(&app).await;
    for outcome in ["verified_open", "closed_temporarily", "hours_mismatch"] {
        let res = moderate(
            &staff,
            theirs,
            &[("action", "outcome"), ("outcome", outcome), ("closed_reason", "装修"), ("reply", "看不到")],
        )
        .await;
        assert_eq!(res.status().as_u16(), 404, "{outcome}");
    }
    assert_eq!(stored(&app, theirs).await.outcome, None);
    assert_eq!(stored(&app, theirs).await.reply, None);
    assert_eq!(app.state.store.station(elsewhere).await.unwrap().unwrap().status.key(), "open");
    assert!(warning(&app, elsewhere).await.is_some(), "still warns");
    // Their own district: allowed.
    let res = moderate(&staff, ours, &[("action", "outcome"), ("outcome", "verified_open")]).await;
    assert_eq!(location(&res), format!("/admin/feedback/{ours}?done=outcome"));
}

#[tokio::test]
async fn one_form_keeps_the_typed_reply() {
    let app = spawn_app().await;
    let station = daxing_station(&app);
    let worker = Browser::new(&app);
    let fid = feedback_id(&app, &feedback(&worker, station, &[("body", "希望有微波炉")]).await).await;
    let admin = signed_in_admin(&app).await;

    // The page has one form holding the reply box and every button.
    let (_, html) = admin.page(&format!("/admin/feedback/{fid}")).await;
    assert_eq!(count(&html, "form[action^='/admin/feedback/']"), 1);
    let buttons: Vec<String> = html
        .select(&sel("form.decide button[name=action]"))
        .map(|b| b.value().attr("value").unwrap().to_string())
        .collect();
    assert_eq!(buttons, ["reply", "reply_publish", "publish", "reject"]);
    assert_eq!(count(&html, "form.decide textarea#reply"), 1);
    assert_eq!(count(&html, "form.decide fieldset.outcome"), 0, "no outcome for a suggestion");

    // Typed, then 公开 pressed: published and the reply kept.
    let mut form = form_pairs(&html, "form.decide");
    set(&mut form, "reply", "下个月安装。");
    set(&mut form, "action", "publish");
    let res = post_pairs(&admin, &format!("/admin/feedback/{fid}"), &form).await;
    assert_eq!(location(&res), format!("/admin/feedback/{fid}?done=replied_published"));
    let f = stored(&app, fid).await;
    assert_eq!((f.state.key(), f.reply.as_deref()), ("published", Some("下个月安装。")));
    let (_, html) = app.page(&format!("/stations/{station}")).await;
    assert!(text(&html, ".note-item .note-reply").contains("下个月安装。"));

    // Reply and publish with no reply: refused, nothing changed.
    let other = feedback_id(&app, &feedback(&worker, station, &[("body", "第二条")]).await).await;
    let (status, html) = html_of(moderate(&admin, other, &[("action", "reply_publish"), ("reply", "  ")]).await).await;
    assert_eq!(status, 400);
    assert_eq!(text(&html, "#reply-error"), "请先填写回复。");
    assert_eq!(stored(&app, other).await.state.key(), "pending");
    // A reply too long comes back as typed.
    let long = "长".repeat(1001);
    let (status, html) = html_of(moderate(&admin, other, &[("action", "publish"), ("reply", &long)]).await).await;
    assert_eq!(status, 400);
    assert_eq!(text(&html, "textarea#reply"), long);
    assert_eq!(stored(&app, other).await.state.key(), "pending");
    // Typed, then 不公开 pressed: rejected, and the reply is kept for the receipt.
    let res = moderate(&admin, other, &[("action", "reject"), ("reason", "duplicate"), ("reply", "已合并处理")]).await;
    assert_eq!(location(&res), format!("/admin/feedback/{other}?done=rejected"));
    let f = stored(&app, other).await;
    assert_eq!((f.state.key(), f.reply.as_deref()), ("rejected", Some("已合并处理")));
    // Reply and publish.
    let third = feedback_id(&app, &feedback(&worker, station, &[("body", "第三条")]).await).await;
    let res = moderate(&admin, third, &[("action", "reply_publish"), ("reply", "谢谢")]).await;
    assert_eq!(location(&res), format!("/admin/feedback/{third}?done=replied_published"));
    let (_, html) = admin.page(&location(&res)).await;
    assert_eq!(text(&html, ".flash"), "回复已保存并公开。");
    assert_eq!(text(&html, ".fb-state"), "已公开");
}

#[tokio::test]
async fn moderation_is_in_the_audit_log_in_words() {
    let app = spawn_app().await;
    let station = daxing_station(&app);
    let worker = Browser::new(&app);
    let a = feedback_id(&app, &feedback(&worker, station, &[("kind", "other"), ("body", "一")]).await).await;
    let b = feedback_id(&app, &feedback(&worker, station, &[("body", "二")]).await).await;
    let admin = signed_in_admin(&app).await;
    moderate(&admin, a, &[("action", "publish"), ("reply", "收到")]).await;
    let csrf = admin.csrf("/admin/feedback").await;
    let ids = [a.to_string(), b.to_string()];
    let res = admin
        .post(
            "/admin/feedback/bulk",
            &[("csrf", &csrf), ("action", "reject"), ("reason", "duplicate"), ("id", &ids[0]), ("id", &ids[1])],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    // A station edit with codes and flags: district, street, make-up days.
    let mut form = edit_form(&admin, station).await;
    set(&mut form, "district", "110106");
    set(&mut form, "street", "");
    let flipped = if get_value(&form, "works_makeup_days") == "1" { "0" } else { "1" };
    set(&mut form, "works_makeup_days", flipped);
    assert_eq!(post_pairs(&admin, &format!("/admin/stations/{station}"), &form).await.status().as_u16(), 303);

    let (status, html) = admin.page("/admin/audit").await;
    assert_eq!(status, 200);
    let actions = texts(&html, ".audit-line p strong");
    assert_eq!(
        actions,
        ["编辑", "批量不公开反馈", "批量不公开反馈", "公开反馈", "回复反馈"],
        "newest first (the reply is saved before publishing)"
    );
    let heads = texts(&html, ".audit-entry h2");
    assert!(heads[1].starts_with(&format!("反馈 {b}")) && heads[1].contains("表扬"), "{heads:?}");
    assert!(heads[2].starts_with(&format!("反馈 {a}")) && heads[2].contains("其他"), "{heads:?}");
    let rows: Vec<(String, String, String)> = html
        .select(&sel(".changes tbody tr"))
        .map(|tr| {
            let cell = |css: &str| tr.select(&sel(css)).next().unwrap().text().collect::<String>();
            (cell("th"), cell("td.before"), cell("td.after"))
        })
        .collect();
    let has = |field: &str, before: &str, after: &str| {
        assert!(
            rows.contains(&(field.to_string(), before.to_string(), after.to_string())),
            "{field}: {before} → {after} in {rows:?}"
        );
    };
    has("区", "大兴区", "丰台区");
    has("审核状态", "待审核", "已公开");
    has("审核状态", "已公开", "未公开");
    has("不公开原因", "", "重复反馈");
    has("回复", "", "收到");
    let (was, now) = if flipped == "1" { ("否", "是") } else { ("是", "否") };
    has("调休上班日", was, now);
    // No stored code shows through.
    let body: String = html.select(&sel("main")).next().unwrap().text().collect();
    for raw in ["110106", "110115", "pending", "published", "rejected", "duplicate", "true", "false"] {
        assert!(!body.contains(raw), "the audit page shows the code {raw}");
    }
    assert_eq!(attr(&html, ".audit-entry h2 a[href^='/admin/feedback/']", "href"), format!("/admin/feedback/{b}"));
}

fn get_value<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default()
}

#[tokio::test]
async fn revoking_needs_a_reason_and_the_page_says_why() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    let id = daxing_station(&app);
    let name = app.state.store.station(id).await.unwrap().unwrap().name;

    for reason in ["", "   "] {
        let (status, html) =
            html_of(set_status(&admin, id, &[("action", "revoke"), ("revoke_reason", reason)]).await).await;
        assert_eq!(status, 400, "{reason:?}");
        assert_eq!(text(&html, "#r-reason-error"), "撤销驿站必须填写原因。");
        assert_eq!(text(&html, "h1"), name, "the station's own page comes back");
    }
    assert_eq!(app.state.store.station(id).await.unwrap().unwrap().status.key(), "open");
    assert_eq!(app.page(&format!("/stations/{id}")).await.0, 200);

    let res = set_status(&admin, id, &[("action", "revoke"), ("revoke_reason", "场地收回，驿站迁址")]).await;
    assert_eq!(location(&res), format!("/admin/stations/{id}?done=revoked"));
    let (status, html) = app.page(&format!("/stations/{id}")).await;
    assert_eq!(status, 410);
    assert_eq!(text(&html, "h1"), "该驿站已撤销");
    assert!(text(&html, ".revoked-name").contains(&name));
    assert_eq!(text(&html, ".revoked-reason"), "场地收回，驿站迁址");
    assert_eq!(text(&html, ".revoked-at"), "2025-11-17 10:00");
    let nearby: Vec<(String, String)> = html
        .select(&sel(".nearby-open li a"))
        .map(|a| (a.value().attr("href").unwrap().to_string(), a.text().collect()))
        .collect();
    assert!(!nearby.is_empty() && nearby.len() <= 3, "{nearby:?}");
    let snapshot = app.state.snapshot.load();
    let now = app.state.clock.now();
    for (href, _) in &nearby {
        let other: i64 = href.strip_prefix("/stations/").and_then(|n| n.parse().ok()).expect("station link");
        assert_ne!(other, id);
        assert!(snapshot.get(other).unwrap().is_open(now), "{href} is open now");
    }
    let distances = texts(&html, ".nearby-open .distance");
    assert_eq!(distances.len(), nearby.len());
    assert!(distances.iter().all(|d| d.ends_with(" 米") || d.ends_with(" 公里")), "{distances:?}");
    // The same answer as the snapshot's own nearest open stations.
    let me = snapshot.get(id).unwrap().station.position.unwrap();
    let expected: Vec<String> = snapshot
        .nearest_open(me, now, 3, Some(id))
        .iter()
        .map(|(e, _)| format!("/stations/{}", e.station.id))
        .collect();
    assert_eq!(nearby.iter().map(|(h, _)| h.clone()).collect::<Vec<_>>(), expected);

    // In English too; unknown or malformed ids are still 404, never 500.
    let res = app.client.get(format!("{}/stations/{id}", app.address)).header("Accept-Language", "en").send().await;
    let (status, html) = html_of(res.unwrap()).await;
    assert_eq!(status, 410);
    assert_eq!(text(&html, "h1"), "This station was revoked");
    assert_eq!(app.page("/stations/999999").await.0, 404);
    assert_eq!(app.page("/stations/abc").await.0, 404);
    assert_eq!(app.page("/stations/-3").await.0, 404);

    // Audited; the staff page says why; reopening clears it.
    let (_, html) = admin.page(&format!("/admin/stations/{id}")).await;
    assert!(text(&html, ".status-now").contains("场地收回，驿站迁址"));
    assert!(texts(&html, ".changes td.after").contains(&"场地收回，驿站迁址".to_string()));
    set_status(&admin, id, &[("action", "reopen")]).await;
    assert_eq!(app.page(&format!("/stations/{id}")).await.0, 200);
    assert_eq!(app.state.store.station(id).await.unwrap().unwrap().revocation, None);
}

#[tokio::test]
async fn new_station_form_lists_every_street_by_district() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    let (status, html) = admin.page("/admin/new-station").await;
    assert_eq!(status, 200);
    let groups: Vec<String> =
        html.select(&sel("#s-street optgroup")).map(|g| g.value().attr("label").unwrap().to_string()).collect();
    assert!(groups.contains(&"丰台区".to_string()) && groups.contains(&"大兴区".to_string()), "{groups:?}");
    let snapshot = app.state.snapshot.load();
    let fengtai: Vec<String> = snapshot.streets_of(110106).map(|s| s.name.clone()).collect();
    let daxing: Vec<_> = snapshot.streets_of(110115).map(|s| s.code.clone()).collect();
    assert!(!fengtai.is_empty() && !daxing.is_empty());
    assert_eq!(texts(&html, "#s-street optgroup[label=丰台区] option"), fengtai);

    // District staff see their own district's streets only.
    let staff = signed_in_fengtai(&app).await;
    let (_, html) = staff.page("/admin/new-station").await;
    assert_eq!(texts(&html, "#s-street optgroup").len(), 1);
    assert_eq!(attr(&html, "#s-street optgroup", "label"), "丰台区");

    // A street of another district is refused with the form kept.
    let mut form = form_pairs(&html, "form.station-form");
    for (k, v) in [("name", "错街道驿站"), ("address", "丰台区某路"), ("lat", "39.85"), ("lon", "116.29")] {
        set(&mut form, k, v);
    }
    set(&mut form, "street", &daxing[0]);
    let (status, html) = html_of(post_pairs(&staff, "/admin/new-station", &form).await).await;
    assert_eq!(status, 400);
    assert_eq!(texts(&html, ".field-error"), ["这个街道/乡镇不属于所选的区。"]);
    assert_eq!(attr(&html, "#s-name", "value"), "错街道驿站");
    assert!(app.state.store.station_ids_named("错街道驿站").await.unwrap().is_empty());
}

#[tokio::test]
async fn english_counts_are_singular_for_one() {
    let app = spawn_app().await;
    let station = daxing_station(&app);
    closed_report(&app, station, "关着门").await;
    let page = |app: &TestApp| {
        app.client.get(format!("{}/stations/{station}", app.address)).header("Accept-Language", "en").send()
    };
    let (_, html) = html_of(page(&app).await.unwrap()).await;
    let w = text(&html, ".reported-closed");
    assert!(w.starts_with("1 worker reported it closed today"), "{w}");
    closed_report(&app, station, "还是关着").await;
    let (_, html) = html_of(page(&app).await.unwrap()).await;
    assert!(text(&html, ".reported-closed").starts_with("2 workers reported it closed today"));
}
