//! The follow-ups born of a supervisor's own reports: read-only status on their home,
//! a page for each (their own only), where they may add what they saw or say it is
//! fixed. Only staff say "verified".

use super::SuperviseCtx;
use crate::domain::followup::{FollowupStatus, MAX_COMMENT_CHARS};
use crate::store::{Actor, Followup, FollowupUpdated};
use crate::web::context::SupervisorPage;
use crate::web::prelude::*;
use crate::web::views::followup::{FollowupView, change, history};

#[derive(Template, WebTemplate)]
#[template(path = "supervise/followup.html")]
struct FollowupPage {
    ctx: PageCtx,
    me: SuperviseCtx,
    f: FollowupView,
    history: Vec<(String, String, String, String)>,
    /// The supervisor may say it is fixed while it is open or in progress.
    can_fix: bool,
    fixed_ticked: bool,
    comment: String,
    max_comment: usize,
    error: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn page(
    req: &HttpRequest,
    lang: Lang,
    state: &AppState,
    me: &Supervising,
    csrf: &Csrf,
    f: &Followup,
    typed: Option<&FormData>,
    error: Option<String>,
) -> Result<FollowupPage, AppError> {
    let events = state.store.followup_events(f.id).await?;
    Ok(FollowupPage {
        ctx: PageCtx::new(req, lang, state),
        me: SuperviseCtx::new(req, lang, me, csrf),
        f: FollowupView::new(lang, state, f, true),
        history: history(lang, &events),
        can_fix: f.status.is_active(),
        fixed_ticked: typed.is_some_and(|t| t.get("status") == "fixed"),
        comment: typed.map(|t| t.get("comment").to_string()).unwrap_or_default(),
        max_comment: MAX_COMMENT_CHARS,
        error,
    })
}

/// `GET /supervise/followups/{id}`: one follow-up of the supervisor's own reports.
pub async fn show(
    SupervisorPage { req, lang, state, me, .. }: SupervisorPage,
    id: Id<crate::store::Followup>,
) -> Result<impl Responder, AppError> {
    let id = id.get();
    // Another supervisor's follow-up is "not found": its existence is not leaked.
    let f = state.store.own_followup(id, me.supervisor.id).await?.ok_or(AppError::NotFound)?;
    let csrf = Csrf::for_request(&req, &state);
    let page = page(&req, lang, &state, &me, &csrf, &f, None, None).await?;
    Ok(csrf.apply(page))
}

/// A comment, and optionally "fixed" (seen at the station); "verified" is refused (403).
pub async fn add_note(
    SupervisorPage { req, lang, state, me, .. }: SupervisorPage,
    id: Id<crate::store::Followup>,
    form: Posted,
) -> Result<HttpResponse, AppError> {
    let id = id.get();
    let f = state.store.own_followup(id, me.supervisor.id).await?.ok_or(AppError::NotFound)?;
    match form.get("status") {
        "" | "fixed" => {}
        "verified" => return Err(AppError::Page(StatusCode::FORBIDDEN, "verify_staff_only")),
        _ => return Err(AppError::Page(StatusCode::BAD_REQUEST, "followup_status")),
    }
    let checked = match change(&form, f.status) {
        Ok((Some(FollowupStatus::Fixed), _)) if !f.status.is_active() => Err("not_active"),
        other => other,
    };
    let (status, comment) = match checked {
        Ok(c) => c,
        Err(key) => {
            let message = lang.tf(&format!("followup.error.{key}"), &[("max", &MAX_COMMENT_CHARS.to_string())]);
            let csrf = Csrf::for_request(&req, &state);
            let page = page(&req, lang, &state, &me, &csrf, &f, Some(&form), Some(message)).await?;
            return html_page(StatusCode::BAD_REQUEST, &page);
        }
    };
    let actor = Actor::Supervisor(me.supervisor.id);
    let done = match state.store.update_followup(&f, status, &comment, actor, state.clock.now()).await? {
        FollowupUpdated::Done => "followup_updated",
        FollowupUpdated::Conflict => "followup_conflict",
    };
    Ok(crate::web::redirect::see_other(&format!("/supervise/followups/{id}?done={done}")))
}
