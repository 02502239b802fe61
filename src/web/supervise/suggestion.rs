//! Suggestions (建言献策): a supervisor writes one, about a station of their districts
//! or about the service in general, and reads the answer of the district's staff.

use super::SuperviseCtx;
use crate::domain::feedback::FieldError;
use crate::domain::staff::{is_token, new_token};
use crate::domain::suggestion::{MAX_SUGGESTION_CHARS, SuggestionForm};
use crate::web::context::SupervisorPage;
use crate::web::prelude::*;
use crate::web::views::suggestion::SuggestionView;

#[derive(Template, WebTemplate)]
#[template(path = "supervise/suggestion_form.html")]
struct FormPage {
    ctx: PageCtx,
    me: SuperviseCtx,
    submission: String,
    station: String,
    station_name: Option<String>,
    body: String,
    may_publish: bool,
    show_name: bool,
    max_chars: usize,
    errors: Vec<(&'static str, String)>,
}

impl FormPage {
    fn error(&self, field: &str) -> Option<&str> {
        crate::web::views::field_error(&self.errors, field)
    }
}

/// The station a suggestion may be about: public and in one of the supervisor's
/// districts; any other is "not found".
fn station_name(state: &AppState, me: &Supervising, id: Option<i64>) -> Result<Option<String>, AppError> {
    let Some(id) = id else { return Ok(None) };
    let snapshot = state.snapshot.load();
    let entry = snapshot.get(id).ok_or(AppError::NotFound)?;
    if !entry.station.is_public() || !me.supervisor.covers(entry.station.district) {
        return Err(AppError::NotFound);
    }
    Ok(Some(entry.station.name.clone()))
}

#[allow(clippy::too_many_arguments)]
fn form_page(
    req: &HttpRequest,
    lang: Lang,
    state: &AppState,
    me: &Supervising,
    csrf: &Csrf,
    fields: &SuggestionForm,
    station_name: Option<String>,
    submission: String,
    errors: Vec<FieldError>,
) -> FormPage {
    FormPage {
        ctx: PageCtx::new(req, lang, state),
        me: SuperviseCtx::new(req, lang, me, csrf),
        submission,
        station: fields.station.clone(),
        station_name,
        body: fields.body.clone(),
        may_publish: fields.may_publish,
        show_name: fields.show_name,
        max_chars: MAX_SUGGESTION_CHARS,
        errors: errors
            .iter()
            .map(|e| {
                let text =
                    lang.tf(&format!("suggestion.error.{}", e.problem), &[("max", &MAX_SUGGESTION_CHARS.to_string())]);
                (e.field, text)
            })
            .collect(),
    }
}

/// `GET /supervise/suggestions/new` (`?station=ID` for one about a station).
pub async fn new_form(
    SupervisorPage { req, lang, state, me, csrf }: SupervisorPage,
) -> Result<impl Responder, AppError> {
    let pairs = query_pairs(&req)?;
    let raw = param(&pairs, "station");
    let station = match raw {
        "" => None,
        raw => Some(raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or(AppError::NotFound)?),
    };
    let name = station_name(&state, &me, station)?;
    let fields = SuggestionForm { station: station.map(|s| s.to_string()).unwrap_or_default(), ..Default::default() };
    let page = form_page(&req, lang, &state, &me, &csrf, &fields, name, new_token(), Vec::new());
    Ok(csrf.apply(page))
}

/// `POST /supervise/suggestions/new`: checks, stores once per submission key, and sends
/// to the stored suggestion (303).
pub async fn submit(
    SupervisorPage { req, lang, state, me, .. }: SupervisorPage,
    form: Posted,
) -> Result<HttpResponse, AppError> {
    let submission = form.get("submission").to_string();
    let sid = me.supervisor.id;
    // A retry of a form that was stored (its 303 lost on the way) finds its suggestion.
    if is_token(&submission)
        && let Some(id) = state.store.suggestion_for_submission(&submission, sid).await?
    {
        return Ok(to_suggestion(id));
    }
    let fields = SuggestionForm {
        body: form.get("body").into(),
        station: form.get("station").into(),
        may_publish: form.has("may_publish"),
        show_name: form.has("show_name"),
    };
    // Another district's station (or none such) is "not found", as everywhere.
    let name = match fields.station.trim().parse::<i64>() {
        Ok(id) => station_name(&state, &me, Some(id))?,
        Err(_) => None,
    };
    let mut checked = fields.check();
    if form.bad_utf8 || !is_token(&submission) {
        let mut errors = checked.err().unwrap_or_default();
        errors.insert(0, FieldError { field: "form", problem: if form.bad_utf8 { "utf8" } else { "reload" } });
        checked = Err(errors);
    }
    match checked {
        Ok(new) => match state.store.submit_suggestion(sid, &new, &submission, state.clock.now()).await? {
            Some(id) => Ok(to_suggestion(id)),
            None => Err(AppError::Page(StatusCode::CONFLICT, "submission_taken")),
        },
        Err(errors) => {
            let csrf = Csrf::for_request(&req, &state);
            let submission = if is_token(&submission) { submission } else { new_token() };
            let page = form_page(&req, lang, &state, &me, &csrf, &fields, name, submission, errors);
            html_page(StatusCode::BAD_REQUEST, &page)
        }
    }
}

fn to_suggestion(id: i64) -> HttpResponse {
    see_other(&format!("/supervise/suggestions/{id}?done=suggested"))
}

#[derive(Template, WebTemplate)]
#[template(path = "supervise/suggestion.html")]
struct ShowPage {
    ctx: PageCtx,
    me: SuperviseCtx,
    s: SuggestionView,
}

/// `GET /supervise/suggestions/{id}`: one of the supervisor's own suggestions.
pub async fn show(
    SupervisorPage { req, lang, state, me, .. }: SupervisorPage,
    id: Id<crate::store::Suggestion>,
) -> Result<impl Responder, AppError> {
    let id = id.get();
    // Another supervisor's suggestion is "not found": its existence is not leaked.
    let g = state.store.own_suggestion(id, me.supervisor.id).await?.ok_or(AppError::NotFound)?;
    let csrf = Csrf::for_request(&req, &state);
    let page = ShowPage {
        ctx: PageCtx::new(&req, lang, &state),
        me: SuperviseCtx::new(&req, lang, &me, &csrf),
        s: SuggestionView::new(lang, &state, &g),
    };
    Ok(csrf.apply(page))
}
