//! The moderation queue: filter, read, publish or reject (one or many), reply.

use actix_web::{HttpRequest, HttpResponse, Responder, get, post, web};
use askama::Template;
use askama_web::WebTemplate;

use super::{AdminCtx, district_choices, page_param, param, query_pairs, see_other};
use crate::domain::district::District;
use crate::domain::feedback::{FeedbackKind, FeedbackState, MAX_REPLY_CHARS, RejectReason, multi_line};
use crate::domain::filter::{ParamError, Problem};
use crate::store::{Feedback, Moderation, QUEUE_PAGE, QueueFilter};
use crate::web::AppState;
use crate::web::auth::SignedIn;
use crate::web::error::AppError;
use crate::web::forms::{Csrf, FormData, checked_form};
use crate::web::i18n::Lang;
use crate::web::page::{PageCtx, date_time, here};
use crate::web::public::stations::Choice;
use crate::web::redirect::local_target;

#[get("/admin")]
pub async fn home(_signed: SignedIn) -> HttpResponse {
    see_other("/admin/feedback")
}

/// A feedback as a row of the queue.
pub struct Row {
    pub id: i64,
    pub receipt: String,
    pub station_id: i64,
    pub station: String,
    pub district: &'static str,
    pub kind: String,
    pub rating: Option<u8>,
    pub body: String,
    pub reporter: Option<String>,
    pub phone: Option<String>,
    pub state_key: &'static str,
    pub state: String,
    pub reason: Option<String>,
    pub reply: Option<String>,
    pub at: String,
}

fn row(lang: Lang, state: &AppState, f: &Feedback) -> Row {
    let snapshot = state.snapshot.load();
    Row {
        id: f.id,
        receipt: f.receipt.clone(),
        station_id: f.station_id,
        station: snapshot
            .get(f.station_id)
            .map(|e| e.station.name.clone())
            .unwrap_or_else(|| format!("#{}", f.station_id)),
        // Where the station is now (it may have moved since the feedback was sent).
        district: snapshot
            .get(f.station_id)
            .map(|e| e.station.district)
            .or_else(|| District::parse(&f.district_code))
            .map(|d| d.name(lang.is_zh()))
            .unwrap_or_default(),
        kind: lang.t(&format!("feedback.kind.{}", f.kind.key())).into_owned(),
        rating: f.rating,
        body: f.body.clone(),
        reporter: f.reporter.map(|r| lang.t(&format!("feedback.reporter.{}", r.key())).into_owned()),
        phone: f.contact_phone.clone(),
        state_key: f.state.key(),
        state: lang.t(&format!("feedback.state.{}", f.state.key())).into_owned(),
        reason: f.reject_reason.map(|r| lang.t(&format!("feedback.reason.{}", r.key())).into_owned()),
        reply: f.reply.clone(),
        at: date_time(f.created_at),
    }
}

fn choices<T: Copy>(
    all: &[T],
    key: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> String,
    current: &str,
) -> Vec<Choice> {
    all.iter()
        .map(|v| Choice { value: key(*v).into(), label: label(*v).into(), selected: key(*v) == current })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/queue.html")]
struct QueuePage {
    ctx: PageCtx,
    admin: AdminCtx,
    states: Vec<Choice>,
    kinds: Vec<Choice>,
    districts: Vec<Choice>,
    reasons: Vec<Choice>,
    station: String,
    rows: Vec<Row>,
    total: i64,
    page: u32,
    pages: u32,
    prev: Option<String>,
    next: Option<String>,
    back: String,
}

#[get("/admin/feedback")]
pub async fn list(
    req: HttpRequest,
    lang: Lang,
    state: web::Data<AppState>,
    signed: SignedIn,
) -> Result<impl Responder, AppError> {
    let pairs = query_pairs(&req)?;
    let state_raw = match param(&pairs, "state") {
        "" => "pending",
        s => s,
    };
    let mut filter = QueueFilter { page: page_param(&pairs)?, ..Default::default() };
    if state_raw != "all" {
        filter.state = Some(
            FeedbackState::parse(state_raw).ok_or_else(|| ParamError::new("state", state_raw, Problem::BadValue))?,
        );
    }
    let kind_raw = param(&pairs, "kind");
    if !kind_raw.is_empty() {
        filter.kind =
            Some(FeedbackKind::parse(kind_raw).ok_or_else(|| ParamError::new("kind", kind_raw, Problem::BadValue))?);
    }
    let district_raw = param(&pairs, "district");
    if !district_raw.is_empty() {
        let d = District::parse(district_raw)
            .ok_or_else(|| ParamError::new("district", district_raw, Problem::UnknownDistrict))?;
        filter.district = Some(d.code.to_string());
    }
    let station_raw = param(&pairs, "station");
    if !station_raw.is_empty() {
        filter.station_id =
            Some(station_raw.parse::<i64>().map_err(|_| ParamError::new("station", station_raw, Problem::BadValue))?);
    }
    let (total, items) = state.store.feedback_queue(&filter, signed.staff.role).await?;
    let rows: Vec<Row> = items.iter().map(|f| row(lang, &state, f)).collect();
    let pages = ((total.max(0) as u64).div_ceil(u64::from(QUEUE_PAGE))).max(1) as u32;
    let link = |page: u32| {
        let mut q: Vec<String> = pairs
            .iter()
            .filter(|(k, _)| k != "page" && k != "done")
            .map(|(k, v)| {
                let enc =
                    |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
                format!("{}={}", enc(k), enc(v))
            })
            .collect();
        q.push(format!("page={}", page + 1));
        format!("/admin/feedback?{}", q.join("&"))
    };
    let csrf = Csrf::for_request(&req, &state);
    // District staff have one district: no choice to offer.
    let districts =
        if signed.staff.role.is_admin() { district_choices(lang, signed.staff.role, district_raw) } else { Vec::new() };
    let page = QueuePage {
        ctx: PageCtx::new(&req, lang, &state),
        admin: AdminCtx::new(&req, lang, &state, &signed, &csrf),
        states: ["pending", "published", "rejected", "all"]
            .iter()
            .map(|s| Choice {
                value: (*s).into(),
                label: lang.t(&format!("admin.queue.state_{s}")),
                selected: *s == state_raw,
            })
            .collect(),
        kinds: choices(
            FeedbackKind::ALL,
            FeedbackKind::key,
            |k| lang.t(&format!("feedback.kind.{}", k.key())).into_owned(),
            kind_raw,
        ),
        districts,
        reasons: choices(
            RejectReason::ALL,
            RejectReason::key,
            |r| lang.t(&format!("feedback.reason.{}", r.key())).into_owned(),
            "",
        ),
        station: station_raw.to_string(),
        rows,
        total,
        page: filter.page + 1,
        pages,
        prev: (filter.page > 0).then(|| link(filter.page - 1)),
        next: (filter.page + 1 < pages).then(|| link(filter.page + 1)),
        back: strip_done(&here(&req)),
    };
    Ok(csrf.apply(page))
}

/// A path without its `done=` flash, to come back to after an action.
fn strip_done(path: &str) -> String {
    let (base, query) = path.split_once('?').unwrap_or((path, ""));
    let kept: Vec<&str> = query.split('&').filter(|p| !p.is_empty() && !p.starts_with("done=")).collect();
    if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) }
}

/// Where to go after an action: back to the queue view it came from (our pages only).
fn back_to(form: &FormData, done: &str) -> String {
    let back = strip_done(&local_target(form.get("back"), "/admin/feedback", "/admin/feedback"));
    let sep = if back.contains('?') { '&' } else { '?' };
    format!("{back}{sep}done={done}")
}

/// The moderation step a form asks for.
fn step(form: &FormData) -> Result<Moderation, AppError> {
    match form.get("action") {
        "publish" => Ok(Moderation::Publish),
        "reject" => RejectReason::parse(form.get("reason"))
            .map(Moderation::Reject)
            .ok_or_else(|| ParamError::new("reason", form.get("reason"), Problem::BadValue).into()),
        "reply" => multi_line(form.get("reply"), MAX_REPLY_CHARS).map(Moderation::Reply).map_err(|_| {
            ParamError::new("reply", &form.get("reply").chars().take(40).collect::<String>(), Problem::BadText).into()
        }),
        other => Err(ParamError::new("action", other, Problem::BadValue).into()),
    }
}

fn done_key(step: &Moderation, changed: u64) -> &'static str {
    match (step, changed) {
        (_, 0) => "nothing",
        (Moderation::Publish, _) => "published",
        (Moderation::Reject(_), _) => "rejected",
        (Moderation::Reply(_), _) => "replied",
    }
}

#[post("/admin/feedback/bulk")]
pub async fn bulk(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed: SignedIn,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = checked_form(&req, &state, &body)?;
    let step = step(&form)?;
    let ids: Vec<i64> = form
        .all("id")
        .map(|raw| raw.parse::<i64>().map_err(|_| AppError::from(ParamError::new("id", raw, Problem::BadValue))))
        .collect::<Result<_, _>>()?;
    let changed = state.store.moderate(&ids, &step, &signed.staff, state.clock.now()).await?;
    if changed > 0 {
        state.reload_board().await?;
    }
    Ok(see_other(&back_to(&form, done_key(&step, changed))))
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/feedback.html")]
struct DetailPage {
    ctx: PageCtx,
    admin: AdminCtx,
    row: Row,
    reasons: Vec<Choice>,
    history: Vec<(String, String, String)>,
}

fn feedback_id(raw: &str) -> Result<i64, AppError> {
    raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or(AppError::NotFound)
}

#[get("/admin/feedback/{id}")]
pub async fn detail(
    req: HttpRequest,
    lang: Lang,
    state: web::Data<AppState>,
    signed: SignedIn,
    id: web::Path<String>,
) -> Result<impl Responder, AppError> {
    let id = feedback_id(&id)?;
    // Another district's feedback is "not found": its existence is not leaked.
    let f = state.store.feedback_for(id, signed.staff.role).await?.ok_or(AppError::NotFound)?;
    let history = state
        .store
        .feedback_events(id)
        .await?
        .into_iter()
        .map(|e| {
            let who = e.staff_name.unwrap_or_else(|| lang.t("admin.system").into_owned());
            let mut what = lang.t(&format!("admin.action.{}", e.action)).into_owned();
            if let Some(r) = e.reason {
                what = format!("{what} · {}", lang.t(&format!("feedback.reason.{r}")));
            }
            if let Some(n) = e.note {
                what = format!("{what} · {n}");
            }
            (date_time(e.at), who, what)
        })
        .collect();
    let csrf = Csrf::for_request(&req, &state);
    let page = DetailPage {
        ctx: PageCtx::new(&req, lang, &state),
        admin: AdminCtx::new(&req, lang, &state, &signed, &csrf),
        row: row(lang, &state, &f),
        reasons: choices(
            RejectReason::ALL,
            RejectReason::key,
            |r| lang.t(&format!("feedback.reason.{}", r.key())).into_owned(),
            "",
        ),
        history,
    };
    Ok(csrf.apply(page))
}

#[post("/admin/feedback/{id}")]
pub async fn act(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed: SignedIn,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = feedback_id(&id)?;
    let form = checked_form(&req, &state, &body)?;
    state.store.feedback_for(id, signed.staff.role).await?.ok_or(AppError::NotFound)?;
    let step = step(&form)?;
    let changed = state.store.moderate(&[id], &step, &signed.staff, state.clock.now()).await?;
    if changed > 0 {
        state.reload_board().await?;
    }
    Ok(see_other(&format!("/admin/feedback/{id}?done={}", done_key(&step, changed))))
}
