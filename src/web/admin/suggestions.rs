//! Staff answer supervisors' suggestions (建言献策): those about a station of their
//! district, and those about no station from a supervisor who covers it.

use super::AdminCtx;
use crate::domain::feedback::multi_line;
use crate::domain::filter::{ParamError, Problem};
use crate::domain::followup::text_problem;
use crate::domain::suggestion::MAX_ANSWER_CHARS;
use crate::store::{Answered, Suggestion};
use crate::web::context::StaffPage;
use crate::web::prelude::*;
use crate::web::views::suggestion::SuggestionView;

#[derive(Template, WebTemplate)]
#[template(path = "admin/suggestions.html")]
struct ListPage {
    ctx: PageCtx,
    admin: AdminCtx,
    states: Vec<Choice>,
    rows: Vec<SuggestionView>,
}

pub async fn list(StaffPage { req, lang, state, signed, csrf }: StaffPage) -> Result<impl Responder, AppError> {
    let pairs = query_pairs(&req)?;
    let raw = match param(&pairs, "state") {
        "" => "waiting",
        s => s,
    };
    let answered = match raw {
        "waiting" => Some(false),
        "answered" => Some(true),
        "all" => None,
        s => return Err(ParamError::new("state", s, Problem::BadValue).into()),
    };
    let rows = state
        .store
        .suggestions_for(signed.staff.role, answered)
        .await?
        .iter()
        .map(|g| SuggestionView::new(lang, &state, g))
        .collect();
    let page = ListPage {
        ctx: PageCtx::new(&req, lang, &state),
        admin: AdminCtx::new(&req, lang, &state, &signed, &csrf),
        states: ["waiting", "answered", "all"]
            .iter()
            .map(|s| Choice {
                value: (*s).into(),
                label: lang.label("admin.suggestions.state", s),
                selected: *s == raw,
            })
            .collect(),
        rows,
    };
    Ok(csrf.apply(page))
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/suggestion.html")]
struct DetailPage {
    ctx: PageCtx,
    admin: AdminCtx,
    s: SuggestionView,
    answer: String,
    max_answer: usize,
    error: Option<String>,
}

#[allow(clippy::too_many_arguments)]
fn detail_page(
    req: &HttpRequest,
    lang: Lang,
    state: &AppState,
    signed: &SignedIn,
    csrf: &Csrf,
    g: &Suggestion,
    answer: String,
    error: Option<String>,
) -> DetailPage {
    DetailPage {
        ctx: PageCtx::new(req, lang, state),
        admin: AdminCtx::new(req, lang, state, signed, csrf),
        s: SuggestionView::new(lang, state, g),
        answer,
        max_answer: MAX_ANSWER_CHARS,
        error,
    }
}

pub async fn detail(
    StaffPage { req, lang, state, signed, .. }: StaffPage,
    id: Id<crate::store::Suggestion>,
) -> Result<impl Responder, AppError> {
    let id = id.get();
    let g = state.store.suggestion_for(id, signed.staff.role).await?.ok_or(AppError::NotFound)?;
    let csrf = Csrf::for_request(&req, &state);
    let answer = g.answer.clone().unwrap_or_default();
    let page = detail_page(&req, lang, &state, &signed, &csrf, &g, answer, None);
    Ok(csrf.apply(page))
}

/// Answers (or corrects the answer).
pub async fn send_answer(
    StaffPage { req, lang, state, signed, .. }: StaffPage,
    id: Id<crate::store::Suggestion>,
    form: Posted,
) -> Result<HttpResponse, AppError> {
    let id = id.get();
    let g = state.store.suggestion_for(id, signed.staff.role).await?.ok_or(AppError::NotFound)?;
    let text = match multi_line(form.get("answer"), MAX_ANSWER_CHARS) {
        Ok(t) if !form.bad_utf8 => t,
        other => {
            let key = match other {
                Err(e) => text_problem(&e),
                Ok(_) => "utf8",
            };
            let message = lang.tf(&format!("suggestion.error.{key}"), &[("max", &MAX_ANSWER_CHARS.to_string())]);
            let csrf = Csrf::for_request(&req, &state);
            let typed = form.get("answer").to_string();
            let page = detail_page(&req, lang, &state, &signed, &csrf, &g, typed, Some(message));
            return html_page(StatusCode::BAD_REQUEST, &page);
        }
    };
    match state.store.answer_suggestion(id, &text, &signed.staff, state.clock.now()).await? {
        Answered::Done => Ok(see_other(&format!("/admin/suggestions/{id}?done=answered"))),
        Answered::NotFound => Err(AppError::NotFound),
    }
}
