//! Worker feedback from a station page: the form, posting it, and the receipt page.

use crate::web::context::Page;
use crate::web::prelude::*;
use actix_web::http::header;

use crate::domain::feedback::{FeedbackForm, FeedbackKind, FeedbackState, FieldError, is_receipt};
use crate::domain::filter::{ParamError, Problem, parse_pairs};
use crate::domain::staff::{is_token, new_token};
use crate::domain::station::Status;
use crate::store::Feedback;
use crate::web::forms::client_ip;
use crate::web::public::station::build as station_page;
use crate::web::render::{unavailable_page, wants_json};
use crate::web::views::feedback::FeedbackFormView;

/// The answer to a stored feedback: the receipt page (303), or for a phone's kept
/// form sending itself (`Accept: application/json`, `static/sw.js`) the receipt as JSON.
fn stored(json: bool, receipt: &str, fresh: bool) -> HttpResponse {
    if json {
        let status = if fresh { StatusCode::CREATED } else { StatusCode::OK };
        return HttpResponse::build(status)
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(serde_json::json!({ "receipt": receipt }));
    }
    HttpResponse::SeeOther().insert_header((header::LOCATION, format!("/feedback/{receipt}"))).finish()
}

/// `GET /feedback/token`: this browser's CSRF token as JSON (the cookie made when it
/// has none), for a form kept on the phone to send itself when the signal returns.
pub async fn token(Page { csrf, .. }: Page) -> impl Responder {
    let body = serde_json::json!({ "csrf": csrf.token });
    csrf.apply(web::Json(body)).insert_header((header::CACHE_CONTROL, "no-store"))
}

/// `POST /stations/{id}/feedback`: checks, stores once, and sends to the receipt (303).
/// Asked for JSON, it answers 201 with the receipt, or the error as JSON.
pub async fn submit(
    Page { req, lang, state, .. }: Page,
    id: Id<crate::domain::station::Station>,
    form: Posted,
) -> Result<HttpResponse, AppError> {
    let id = id.get();
    let json = wants_json(&req);
    let (district, public) = {
        let snapshot = state.snapshot.load();
        let entry = snapshot.get(id).ok_or(AppError::NotFound)?;
        (entry.station.district.code.to_string(), entry.station.status != Status::Revoked)
    };
    if !public {
        return Err(AppError::Gone);
    }
    // A retry of a form that was stored (its 303 lost on the way) gets its receipt back,
    // even when the address has used up its posts meanwhile.
    let submission = form.get("submission").to_string();
    if is_token(&submission)
        && let Some(receipt) = state.store.receipt_for_submission(&submission).await?
    {
        return Ok(stored(json, &receipt, false));
    }
    if let Some(ip) = client_ip(&req, &state) {
        if state.feedback_limiter.check_key(&ip).is_err() {
            state.metrics.rate_limited("feedback");
            return Err(AppError::Page(StatusCode::TOO_MANY_REQUESTS, "rate"));
        }
        if state.feedback_limiter.len() > 100_000 {
            state.feedback_limiter.retain_recent();
        }
    }
    let fields = FeedbackForm {
        kind: form.get("kind").into(),
        rating: form.get("rating").into(),
        body: form.get("body").into(),
        reporter: form.get("reporter").into(),
        phone: form.get("phone").into(),
    };
    let mut checked = fields.check();
    if form.bad_utf8 {
        let mut errors = checked.err().unwrap_or_default();
        errors.insert(0, FieldError { field: "form", problem: "utf8" });
        checked = Err(errors);
    }
    if !is_token(&submission) {
        let mut errors = checked.err().unwrap_or_default();
        errors.insert(0, FieldError { field: "form", problem: "reload" });
        checked = Err(errors);
    }
    let new = match checked {
        Ok(new) => new,
        Err(errors) if json => {
            let view = FeedbackFormView::new(lang, &Csrf::for_request(&req, &state), fields, errors);
            let message = view.errors.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join(" ");
            let fields: Vec<_> =
                view.errors.iter().map(|(f, m)| serde_json::json!({"field": f, "message": m})).collect();
            return Ok(HttpResponse::BadRequest().json(serde_json::json!({
                "error": {"status": 400, "code": "invalid", "message": message, "fields": fields}
            })));
        }
        Err(errors) => {
            // The form comes back filled in, with the reasons, and the same submission key.
            let csrf = Csrf::for_request(&req, &state);
            let submission = if is_token(&submission) { submission } else { new_token() };
            let view = FeedbackFormView::with_submission(lang, &csrf, fields, errors, submission);
            let page = station_page(&req, lang, &state, id, view)?;
            return html_page(StatusCode::BAD_REQUEST, &page);
        }
    };
    // The honeypot: people never see this field; a bot that fills it gets the same answer.
    let trapped = !form.get("website").is_empty();
    let now = state.clock.now();
    let (receipt, fresh) = match state.store.submit_feedback(id, &district, &new, &submission, trapped, now).await {
        Ok(stored) => stored,
        Err(e) if e.is_unavailable() && json => return Err(e.into()),
        Err(e) if e.is_unavailable() => {
            // Nothing was stored: the form comes back as typed, with the same submission key,
            // so sending it again later stores it once.
            tracing::warn!(error = %e, "feedback not stored: the database is unavailable");
            let csrf = Csrf::for_request(&req, &state);
            let errors = vec![FieldError { field: "form", problem: "unavailable" }];
            let view = FeedbackFormView::with_submission(lang, &csrf, fields, errors, submission);
            let page = station_page(&req, lang, &state, id, view)?;
            return unavailable_page(&page);
        }
        Err(e) => return Err(e.into()),
    };
    if fresh && !trapped && new.kind == FeedbackKind::ClosedWhenOpen {
        state.show_board().await;
    }
    Ok(stored(json, &receipt, fresh))
}

#[derive(Template, WebTemplate)]
#[template(path = "feedback/receipt.html")]
struct ReceiptPage {
    ctx: PageCtx,
    receipt: String,
    station_id: i64,
    station_name: String,
    kind: String,
    submitted: String,
    body: String,
    state_key: &'static str,
    state_text: String,
    reason: Option<String>,
    reply: Option<String>,
    reply_date: Option<String>,
}

/// The state a receipt shows: a honeypot catch looks like any other report waiting
/// for review, so the bot learns nothing.
fn shown_state(f: &Feedback) -> FeedbackState {
    if f.trapped { FeedbackState::Pending } else { f.state }
}

/// How many receipts one phone keeps and `/feedback/mine` shows at once (the same
/// bound as in `static/receipts.js`).
pub const MINE_MAX: usize = 50;

/// One kept receipt on `/feedback/mine`: what became of it, or that it is not found.
pub struct MineRow {
    pub receipt: String,
    pub found: bool,
    pub station_name: String,
    pub submitted: String,
    pub state_key: &'static str,
    pub state_text: String,
    pub replied: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "feedback/mine.html")]
pub struct MinePage {
    ctx: PageCtx,
    rows: Vec<MineRow>,
    /// Whether the page was asked with receipts (`?r=`), as the phone's script does.
    asked: bool,
}

/// `GET /feedback/mine?r=FK-…,FK-…`: the feedback this phone sent, with what became
/// of each. The receipts live in the phone's browser (`static/receipts.js`, no
/// account); the script asks for them here. Without JavaScript the page offers a box
/// to open one receipt by its number (`?receipt=`).
pub async fn mine(Page { req, lang, state, .. }: Page) -> Result<HttpResponse, AppError> {
    let pairs = parse_pairs(req.query_string())?;
    let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.trim());
    if let Some(one) = get("receipt").filter(|r| !r.is_empty()) {
        let one = one.to_ascii_uppercase();
        if !is_receipt(&one) {
            return Err(ParamError::new("receipt", &one, Problem::BadValue).into());
        }
        return Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, format!("/feedback/{one}"))).finish());
    }
    let asked = get("r").unwrap_or_default();
    let receipts: Vec<String> =
        asked.split(',').map(|r| r.trim().to_ascii_uppercase()).filter(|r| !r.is_empty()).collect();
    if receipts.len() > MINE_MAX {
        return Err(ParamError::new("r", asked, Problem::TooLong).into());
    }
    let snapshot = state.snapshot.load();
    let valid: Vec<&str> = receipts.iter().map(String::as_str).filter(|r| is_receipt(r)).collect();
    let stored = state.store.feedback_by_receipts(&valid).await?;
    let mut rows = Vec::with_capacity(receipts.len());
    for receipt in receipts {
        let found = stored.iter().find(|f| f.receipt == receipt).cloned();
        rows.push(match found {
            Some(f) => {
                let shown = shown_state(&f);
                MineRow {
                    station_name: snapshot.get(f.station_id).map(|e| e.station.name.clone()).unwrap_or_default(),
                    submitted: date_time(f.created_at),
                    state_key: shown.key(),
                    state_text: lang.t(&format!("feedback.state.{}", shown.key())).into_owned(),
                    replied: f.reply.is_some(),
                    found: true,
                    receipt: f.receipt,
                }
            }
            None => MineRow {
                receipt,
                found: false,
                station_name: String::new(),
                submitted: String::new(),
                state_key: "missing",
                state_text: lang.t("mine.not_found").into_owned(),
                replied: false,
            },
        });
    }
    let page = MinePage { ctx: PageCtx::new(&req, lang, &state), rows, asked: !asked.is_empty() };
    html_page(StatusCode::OK, &page)
}

/// `GET /feedback/{receipt}`: what became of a feedback.
pub async fn show_receipt(
    Page { req, lang, state, .. }: Page,
    receipt: web::Path<String>,
) -> Result<impl Responder, AppError> {
    let receipt = receipt.into_inner().to_ascii_uppercase();
    if !is_receipt(&receipt) {
        return Err(AppError::NotFound);
    }
    let f = state.store.feedback_by_receipt(&receipt).await?.ok_or(AppError::NotFound)?;
    let station_name = state.snapshot.load().get(f.station_id).map(|e| e.station.name.clone()).unwrap_or_default();
    let shown = shown_state(&f);
    let reason = f.reject_reason.map(|r| lang.t(&format!("feedback.reason.{}", r.key())).into_owned());
    Ok(ReceiptPage {
        ctx: PageCtx::new(&req, lang, &state),
        station_id: f.station_id,
        station_name,
        kind: lang.t(&format!("feedback.kind.{}", f.kind.key())).into_owned(),
        submitted: date_time(f.created_at),
        body: f.body.clone(),
        state_key: shown.key(),
        state_text: lang.t(&format!("feedback.state.{}", shown.key())).into_owned(),
        reason: if shown == FeedbackState::Rejected { reason } else { None },
        reply: f.reply.clone(),
        reply_date: f.reply_at.map(date_time),
        receipt: f.receipt,
    })
}
