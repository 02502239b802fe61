//! The moderation queue: filter, read, publish or reject (one or many), reply.

use crate::store::CardProblem;
use crate::web::context::StaffPage;
use crate::web::prelude::*;
use chrono::NaiveDate;

use super::{AdminCtx, district_choices};
use crate::domain::district::District;
use crate::domain::feedback::{ClosedOutcome, FeedbackKind, FeedbackState, MAX_REPLY_CHARS, RejectReason, multi_line};
use crate::domain::filter::{ParamError, Problem};
use crate::domain::station::Status;
use crate::domain::text::{TextError, single_line};
use crate::store::{Feedback, Moderation, QUEUE_PAGE, QueueFilter, Resolved};
use crate::web::page::here;
use crate::web::redirect::local_target;

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
    /// The first line of the text, shortened: what the queue shows.
    pub first_line: String,
    pub reporter: Option<String>,
    pub phone: Option<String>,
    pub state_key: &'static str,
    pub state: String,
    pub reason: Option<String>,
    pub reply: Option<String>,
    pub at: String,
    /// A "closed when listed open" report: it can be given an outcome.
    pub closed_report: bool,
    /// The outcome staff recorded, in words.
    pub outcome: Option<String>,
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
        first_line: first_line(&f.body),
        reporter: f.reporter.map(|r| lang.t(&format!("feedback.reporter.{}", r.key())).into_owned()),
        phone: f.contact_phone.clone(),
        state_key: f.state.key(),
        state: lang.t(&format!("feedback.state.{}", f.state.key())).into_owned(),
        reason: f.reject_reason.map(|r| lang.t(&format!("feedback.reason.{}", r.key())).into_owned()),
        reply: f.reply.clone(),
        at: date_time(f.created_at),
        closed_report: f.kind == FeedbackKind::ClosedWhenOpen,
        outcome: f.outcome.map(|o| lang.t(&format!("feedback.outcome.{}", o.key())).into_owned()),
    }
}

/// Characters of a feedback's first line shown in the queue.
const FIRST_LINE_CHARS: usize = 80;

/// The first non-empty line of a text, cut at [`FIRST_LINE_CHARS`] with "…".
fn first_line(text: &str) -> String {
    crate::web::views::first_line(text, FIRST_LINE_CHARS)
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
    /// "3 follow-ups overdue", when any are.
    overdue: Option<String>,
    /// "2 warning cards open, 1 red", when any are.
    cards: Option<String>,
    /// "12 stations not checked for 180 days", when any are.
    stale: Option<String>,
}

pub async fn list(StaffPage { req, lang, state, signed, csrf }: StaffPage) -> Result<impl Responder, AppError> {
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
        overdue: super::followups::overdue_line(&state, lang, signed.staff.role, state.clock.today()).await?,
        cards: super::cards::open_line(&state, lang, signed.staff.role).await?,
        stale: super::stations::stale_line(&state, lang, signed.staff.role),
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

pub async fn bulk(state: web::Data<AppState>, signed: SignedIn, form: Posted) -> Result<HttpResponse, AppError> {
    let step = step(&form)?;
    let ids: Vec<i64> = form
        .all("id")
        .map(|raw| raw.parse::<i64>().map_err(|_| AppError::from(ParamError::new("id", raw, Problem::BadValue))))
        .collect::<Result<_, _>>()?;
    let changed =
        state.store.moderate(&ids, std::slice::from_ref(&step), &signed.staff, state.clock.now(), true).await?;
    if changed > 0 {
        state.show_board().await;
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
    outcomes: Vec<Choice>,
    history: Vec<(String, String, String)>,
    /// The reply box as typed (or as stored).
    reply: String,
    /// The outcome form as typed.
    closed_reason: String,
    closed_until: String,
    /// A refused field (`reply`, `outcome`) and why, in words.
    error: Option<(&'static str, String)>,
}

impl DetailPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.error.as_ref().filter(|(f, _)| *f == field).map(|(_, m)| m.as_str())
    }
}

/// The detail page of `f`, with the decision form as given.
#[allow(clippy::too_many_arguments)]
async fn detail_page(
    req: &HttpRequest,
    lang: Lang,
    state: &AppState,
    signed: &SignedIn,
    csrf: &Csrf,
    f: &Feedback,
    typed: Option<&FormData>,
    error: Option<(&'static str, String)>,
) -> Result<DetailPage, AppError> {
    let history = state
        .store
        .feedback_events(f.id)
        .await?
        .into_iter()
        .map(|e| {
            let who = e.staff_name.unwrap_or_else(|| lang.t("admin.system").into_owned());
            let mut what = lang.t(&format!("admin.action.{}", e.action)).into_owned();
            if let Some(r) = e.reason {
                let group = if e.action == "outcome" { "feedback.outcome" } else { "feedback.reason" };
                what = format!("{what} · {}", lang.t(&format!("{group}.{r}")));
            }
            if let Some(n) = e.note {
                what = format!("{what} · {n}");
            }
            (date_time(e.at), who, what)
        })
        .collect();
    let field = |k: &str| typed.map(|t| t.get(k).to_string());
    let current_outcome =
        field("outcome").unwrap_or_else(|| f.outcome.map(|o| o.key().to_string()).unwrap_or_default());
    Ok(DetailPage {
        ctx: PageCtx::new(req, lang, state),
        admin: AdminCtx::new(req, lang, state, signed, csrf),
        row: row(lang, state, f),
        reasons: choices(
            RejectReason::ALL,
            RejectReason::key,
            |r| lang.t(&format!("feedback.reason.{}", r.key())).into_owned(),
            &field("reason").unwrap_or_default(),
        ),
        outcomes: choices(
            ClosedOutcome::ALL,
            ClosedOutcome::key,
            |o| lang.t(&format!("feedback.outcome.{}", o.key())).into_owned(),
            &current_outcome,
        ),
        history,
        reply: field("reply").unwrap_or_else(|| f.reply.clone().unwrap_or_default()),
        closed_reason: field("closed_reason").unwrap_or_default(),
        closed_until: field("closed_until").unwrap_or_default(),
        error,
    })
}

pub async fn detail(
    StaffPage { req, lang, state, signed, .. }: StaffPage,
    id: Id<crate::store::Feedback>,
) -> Result<impl Responder, AppError> {
    let id = id.get();
    // Another district's feedback is "not found": its existence is not leaked.
    let f = state.store.feedback_for(id, signed.staff.role).await?.ok_or(AppError::NotFound)?;
    let csrf = Csrf::for_request(&req, &state);
    let page = detail_page(&req, lang, &state, &signed, &csrf, &f, None, None).await?;
    Ok(csrf.apply(page))
}

/// A decision form field that was refused: which one, and the locale key and value of why.
struct Refused {
    field: &'static str,
    key: &'static str,
    max: usize,
}

impl Refused {
    fn text(&self, lang: Lang) -> String {
        lang.tf(self.key, &[("max", &self.max.to_string())])
    }
}

/// The typed reply: `None` when the box is empty.
fn typed_reply(form: &FormData) -> Result<Option<String>, Refused> {
    match multi_line(form.get("reply"), MAX_REPLY_CHARS) {
        Ok(text) => Ok(Some(text)),
        Err(TextError::Empty) => Ok(None),
        Err(e) => Err(Refused { field: "reply", key: reply_problem(&e), max: MAX_REPLY_CHARS }),
    }
}

fn reply_problem(e: &TextError) -> &'static str {
    match e {
        TextError::Empty => "admin.detail.reply_empty",
        TextError::TooLong(_) => "feedback.error.too_long",
        _ => "feedback.error.control",
    }
}

/// A temporary closing as the outcome form gives it: the reason and the date it may reopen.
type Closing = (String, Option<NaiveDate>);

/// What the decision form asks for: the moderation steps (a typed reply first, so it
/// is kept whichever button was pressed), an outcome, and the flash key.
struct Decision {
    steps: Vec<Moderation>,
    outcome: Option<(ClosedOutcome, Option<Closing>)>,
    done: &'static str,
}

fn decision(form: &FormData, f: &Feedback) -> Result<Result<Decision, Refused>, AppError> {
    let reply = match typed_reply(form) {
        Ok(r) => r,
        Err(refused) => return Ok(Err(refused)),
    };
    let mut steps: Vec<Moderation> = reply.clone().map(Moderation::Reply).into_iter().collect();
    let needs_reply = || Refused { field: "reply", key: "admin.detail.reply_empty", max: MAX_REPLY_CHARS };
    let replied = reply.is_some();
    let mut outcome = None;
    let done = match form.get("action") {
        "reply" if !replied => return Ok(Err(needs_reply())),
        "reply" => "replied",
        "reply_publish" if !replied => return Ok(Err(needs_reply())),
        "reply_publish" | "publish" => {
            steps.push(Moderation::Publish);
            if replied { "replied_published" } else { "published" }
        }
        "reject" => {
            let reason = RejectReason::parse(form.get("reason"))
                .ok_or_else(|| ParamError::new("reason", form.get("reason"), Problem::BadValue))?;
            steps.push(Moderation::Reject(reason));
            "rejected"
        }
        "outcome" => {
            if f.kind != FeedbackKind::ClosedWhenOpen {
                return Err(ParamError::new("action", "outcome", Problem::BadValue).into());
            }
            let raw = form.get("outcome");
            let chosen = match ClosedOutcome::parse(raw) {
                Some(o) => o,
                None if raw.is_empty() => {
                    return Ok(Err(Refused { field: "outcome", key: "admin.detail.outcome_choose", max: 0 }));
                }
                None => return Err(ParamError::new("outcome", raw, Problem::BadValue).into()),
            };
            let close = if chosen == ClosedOutcome::ClosedTemporarily {
                let reason = match single_line(form.get("closed_reason"), 200) {
                    Ok(r) => r,
                    Err(_) => {
                        return Ok(Err(Refused { field: "outcome", key: "admin.detail.outcome_reason", max: 200 }));
                    }
                };
                let until = match form.get("closed_until").trim() {
                    "" => None,
                    raw => match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
                        Ok(d) => Some(d),
                        Err(_) => {
                            return Ok(Err(Refused { field: "outcome", key: "admin.detail.outcome_date", max: 0 }));
                        }
                    },
                };
                Some((reason, until))
            } else {
                None
            };
            outcome = Some((chosen, close));
            if chosen == ClosedOutcome::ClosedTemporarily { "outcome_closed" } else { "outcome" }
        }
        other => return Err(ParamError::new("action", other, Problem::BadValue).into()),
    };
    Ok(Ok(Decision { steps, outcome, done }))
}

/// One form on the detail page: reply, publish, do not publish, or record the outcome
/// of a "closed" report. A typed reply is saved with whichever button was pressed.
pub async fn act(
    StaffPage { req, lang, state, signed, .. }: StaffPage,
    id: Id<crate::store::Feedback>,
    form: Posted,
) -> Result<HttpResponse, AppError> {
    let id = id.get();
    let f = state.store.feedback_for(id, signed.staff.role).await?.ok_or(AppError::NotFound)?;
    let decision = match decision(&form, &f)? {
        Ok(d) => d,
        Err(refused) => {
            let csrf = Csrf::for_request(&req, &state);
            let error = Some((refused.field, refused.text(lang)));
            let page = detail_page(&req, lang, &state, &signed, &csrf, &f, Some(&form), error).await?;
            return html_page(StatusCode::BAD_REQUEST, &page);
        }
    };
    // The station as it is now, checked before anything is written.
    let close = match &decision.outcome {
        Some((_, Some((reason, until)))) => {
            let before = state.store.station(f.station_id).await?.ok_or(AppError::NotFound)?;
            if before.status == Status::Revoked {
                let csrf = Csrf::for_request(&req, &state);
                let error = Some(("outcome", lang.t("admin.detail.outcome_revoked").into_owned()));
                let page = detail_page(&req, lang, &state, &signed, &csrf, &f, Some(&form), error).await?;
                return html_page(StatusCode::CONFLICT, &page);
            }
            let mut after = before.clone();
            after.status = Status::TemporarilyClosed { reason: reason.clone(), until: *until };
            Some((before, after))
        }
        _ => None,
    };
    let now = state.clock.now();
    let pair = close.as_ref().map(|(b, a)| (b, a));
    let outcome = decision.outcome.map(|(chosen, _)| (chosen, pair));
    let [failed, closed] = super::cards::problem_texts();
    let card = CardProblem { failed_inspections: &failed, closed_reports: &closed };
    let acted = state.store.act_on_feedback(id, &decision.steps, outcome, &card, &signed.staff, now).await?;
    let mut done = decision.done;
    match acted.resolved {
        Some(Resolved::Conflict) => done = "conflict",
        Some(Resolved::NotFound) => return Err(AppError::NotFound),
        Some(Resolved::Done) if close.is_some() || acted.card.is_some() => state.show_writes().await,
        _ => {}
    }
    let changed = acted.changed;
    if changed > 0 {
        state.show_board().await;
    } else if done != "conflict" {
        done = "nothing";
    }
    Ok(see_other(&format!("/admin/feedback/{id}?done={done}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_is_short() {
        assert_eq!(first_line("门锁着"), "门锁着");
        assert_eq!(first_line("\n  第一行 \n第二行"), "第一行…");
        assert_eq!(first_line(&"字".repeat(81)), format!("{}…", "字".repeat(80)));
        assert_eq!(first_line(&"字".repeat(80)), "字".repeat(80));
    }
}
