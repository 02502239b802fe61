//! Follow-ups to a fix (督导整改) as staff keep them: opened from an inspection report,
//! a worker's feedback or a suggestion, listed per district (with the overdue ones
//! apart), moved along open → in progress → fixed → verified, with comments.

use crate::web::context::StaffPage;
use crate::web::prelude::*;
use chrono::NaiveDate;

use super::AdminCtx;
use crate::domain::feedback::FieldError;
use crate::domain::filter::{ParamError, Problem};
use crate::domain::followup::{Assignee, FollowupForm, FollowupStatus, MAX_COMMENT_CHARS, MAX_PROBLEM_CHARS, Source};
use crate::domain::staff::Role;
use crate::store::{Actor, Followup, FollowupFilter, FollowupUpdated};
use crate::web::id::form_id;
use crate::web::views::followup::{FollowupView, change, history};

const FILTERS: [&str; 7] = ["active", "overdue", "open", "in_progress", "fixed", "verified", "all"];

#[derive(Template, WebTemplate)]
#[template(path = "admin/followups.html")]
struct ListPage {
    ctx: PageCtx,
    admin: AdminCtx,
    filters: Vec<Choice>,
    rows: Vec<FollowupView>,
    overdue: i64,
}

pub async fn list(StaffPage { req, lang, state, signed, csrf }: StaffPage) -> Result<impl Responder, AppError> {
    let pairs = query_pairs(&req)?;
    let raw = match param(&pairs, "status") {
        "" => "active",
        s => s,
    };
    let today = state.clock.today();
    let filter = match raw {
        "active" => FollowupFilter::Active,
        "overdue" => FollowupFilter::Overdue(today),
        "all" => FollowupFilter::All,
        s => FollowupFilter::Status(
            FollowupStatus::parse(s).ok_or_else(|| ParamError::new("status", s, Problem::BadValue))?,
        ),
    };
    let role = signed.staff.role;
    let rows = state
        .store
        .followups_for(role, filter)
        .await?
        .iter()
        .map(|f| FollowupView::new(lang, &state, f, false))
        .collect();
    let overdue = state.store.overdue_followups(role, today).await?;
    let page = ListPage {
        ctx: PageCtx::new(&req, lang, &state),
        admin: AdminCtx::new(&req, lang, &state, &signed, &csrf),
        filters: FILTERS
            .iter()
            .map(|s| Choice { value: (*s).into(), label: lang.label("admin.followups.filter", s), selected: *s == raw })
            .collect(),
        rows,
        overdue,
    };
    Ok(csrf.apply(page))
}

/// Where a new follow-up comes from: its source, station and a first draft of the problem.
struct Origin {
    source: Source,
    from: &'static str,
    from_id: String,
    station_id: i64,
    draft: String,
}

/// Reads `from` (report, feedback, suggestion, station) and `id`; anything outside
/// `role`'s districts is "not found".
async fn origin(state: &AppState, lang: Lang, role: Role, from: &str, raw_id: &str) -> Result<Origin, AppError> {
    if !["report", "feedback", "suggestion", "station"].contains(&from) {
        return Err(ParamError::new("from", from, Problem::BadValue).into());
    }
    let id = form_id(raw_id).ok_or(AppError::NotFound)?;
    let (source, from, station_id, draft) = match from {
        "report" => {
            let r = state.store.report_for(id, role).await?.ok_or(AppError::NotFound)?;
            let mut draft = super::reports::problems(lang, &r);
            if !r.notes.is_empty() {
                draft = [draft, r.notes.clone()].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join("\n");
            }
            (Source::Report(id), "report", r.station_id, draft)
        }
        "feedback" => {
            let f = state.store.feedback_for(id, role).await?.ok_or(AppError::NotFound)?;
            (Source::Feedback(id), "feedback", f.station_id, f.body.clone())
        }
        "suggestion" => {
            let g = state.store.suggestion_for(id, role).await?.ok_or(AppError::NotFound)?;
            // A suggestion about no station in particular has nothing to fix at a station.
            let station = g.station_id.ok_or(AppError::Page(StatusCode::BAD_REQUEST, "followup_no_station"))?;
            (Source::Suggestion(id), "suggestion", station, g.body.clone())
        }
        "station" => {
            let snapshot = state.snapshot.load();
            let entry = snapshot.get(id).ok_or(AppError::NotFound)?;
            if !role.covers(entry.station.district) {
                return Err(AppError::NotFound);
            }
            (Source::Station, "station", id, String::new())
        }
        other => return Err(ParamError::new("from", other, Problem::BadValue).into()),
    };
    Ok(Origin { source, from, from_id: id.to_string(), station_id, draft })
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/followup_new.html")]
struct NewPage {
    ctx: PageCtx,
    admin: AdminCtx,
    from: &'static str,
    from_id: String,
    station_id: i64,
    station_name: String,
    station_place: String,
    problem: String,
    assignees: Vec<Choice>,
    due_on: String,
    min_due: String,
    max_problem: usize,
    errors: Vec<(&'static str, String)>,
}

impl NewPage {
    fn error(&self, field: &str) -> Option<&str> {
        crate::web::views::field_error(&self.errors, field)
    }
}

#[allow(clippy::too_many_arguments)]
fn new_page(
    req: &HttpRequest,
    lang: Lang,
    state: &AppState,
    signed: &SignedIn,
    csrf: &Csrf,
    o: &Origin,
    fields: &FollowupForm,
    errors: Vec<FieldError>,
) -> NewPage {
    let snapshot = state.snapshot.load();
    let station = snapshot.get(o.station_id).map(|e| &e.station);
    NewPage {
        ctx: PageCtx::new(req, lang, state),
        admin: AdminCtx::new(req, lang, state, signed, csrf),
        from: o.from,
        from_id: o.from_id.clone(),
        station_id: o.station_id,
        station_name: station.map(|s| s.name.clone()).unwrap_or_else(|| format!("#{}", o.station_id)),
        station_place: station.map(|s| s.place(lang.is_zh())).unwrap_or_default(),
        problem: fields.problem.clone(),
        assignees: Assignee::ALL
            .iter()
            .map(|a| Choice {
                value: a.key().into(),
                label: lang.label("followup.assignee", a.key()),
                selected: a.key() == fields.assignee,
            })
            .collect(),
        due_on: fields.due_on.clone(),
        min_due: state.clock.today().format("%Y-%m-%d").to_string(),
        max_problem: MAX_PROBLEM_CHARS,
        errors: errors
            .iter()
            .map(|e| {
                let text = lang
                    .tf(&format!("admin.followups.error.{}", e.problem), &[("max", &MAX_PROBLEM_CHARS.to_string())]);
                (e.field, text)
            })
            .collect(),
    }
}

/// The first `from`/`id` pair of a query or form that names a source.
fn source_pair(get: impl Fn(&str) -> String) -> (String, String) {
    match get("from").as_str() {
        "" => {
            for from in ["report", "feedback", "suggestion", "station"] {
                let id = get(from);
                if !id.is_empty() {
                    return (from.to_string(), id);
                }
            }
            (String::new(), String::new())
        }
        from => (from.to_string(), get("id")),
    }
}

/// `GET /admin/followups/new?report=12` (or `feedback=`, `suggestion=`, `station=`):
/// the form, with the station and a draft of the problem filled in.
pub async fn new_form(StaffPage { req, lang, state, signed, csrf }: StaffPage) -> Result<impl Responder, AppError> {
    let pairs = query_pairs(&req)?;
    let (from, id) = source_pair(|k| param(&pairs, k).to_string());
    let o = origin(&state, lang, signed.staff.role, &from, &id).await?;
    let default_due = state.clock.today() + chrono::Days::new(14);
    let fields = FollowupForm {
        problem: o.draft.clone(),
        assignee: Assignee::Host.key().into(),
        due_on: default_due.format("%Y-%m-%d").to_string(),
    };
    let page = new_page(&req, lang, &state, &signed, &csrf, &o, &fields, Vec::new());
    Ok(csrf.apply(page))
}

pub async fn create(
    StaffPage { req, lang, state, signed, .. }: StaffPage,
    form: Posted,
) -> Result<HttpResponse, AppError> {
    let (from, id) = source_pair(|k| form.get(k).to_string());
    let o = origin(&state, lang, signed.staff.role, &from, &id).await?;
    let fields = FollowupForm {
        problem: form.get("problem").into(),
        assignee: form.get("assignee").into(),
        due_on: form.get("due_on").into(),
    };
    let mut checked = fields.check(state.clock.today());
    if form.bad_utf8 {
        let mut errors = checked.err().unwrap_or_default();
        errors.insert(0, FieldError { field: "form", problem: "utf8" });
        checked = Err(errors);
    }
    match checked {
        Ok(new) => {
            let id = state.store.open_followup(o.station_id, o.source, &new, &signed.staff, state.clock.now()).await?;
            Ok(see_other(&format!("/admin/followups/{id}?done=followup_opened")))
        }
        Err(errors) => {
            let csrf = Csrf::for_request(&req, &state);
            let page = new_page(&req, lang, &state, &signed, &csrf, &o, &fields, errors);
            html_page(StatusCode::BAD_REQUEST, &page)
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/followup.html")]
struct DetailPage {
    ctx: PageCtx,
    admin: AdminCtx,
    f: FollowupView,
    history: Vec<(String, String, String, String)>,
    statuses: Vec<Choice>,
    comment: String,
    max_comment: usize,
    error: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn detail_page(
    req: &HttpRequest,
    lang: Lang,
    state: &AppState,
    signed: &SignedIn,
    csrf: &Csrf,
    f: &Followup,
    typed: Option<&FormData>,
    error: Option<String>,
) -> Result<DetailPage, AppError> {
    let events = state.store.followup_events(f.id).await?;
    let current = typed.map(|t| t.get("status").to_string()).unwrap_or_else(|| f.status.key().to_string());
    Ok(DetailPage {
        ctx: PageCtx::new(req, lang, state),
        admin: AdminCtx::new(req, lang, state, signed, csrf),
        f: FollowupView::new(lang, state, f, false),
        history: history(lang, &events),
        statuses: FollowupStatus::ALL
            .iter()
            .map(|s| Choice {
                value: s.key().into(),
                label: lang.label("followup.status", s.key()),
                selected: s.key() == current,
            })
            .collect(),
        comment: typed.map(|t| t.get("comment").to_string()).unwrap_or_default(),
        max_comment: MAX_COMMENT_CHARS,
        error,
    })
}

pub async fn detail(
    StaffPage { req, lang, state, signed, .. }: StaffPage,
    id: Id<crate::store::Followup>,
) -> Result<impl Responder, AppError> {
    let id = id.get();
    let f = state.store.followup_for(id, signed.staff.role).await?.ok_or(AppError::NotFound)?;
    let csrf = Csrf::for_request(&req, &state);
    let page = detail_page(&req, lang, &state, &signed, &csrf, &f, None, None).await?;
    Ok(csrf.apply(page))
}

/// A new status and/or a comment.
pub async fn update(
    StaffPage { req, lang, state, signed, .. }: StaffPage,
    id: Id<crate::store::Followup>,
    form: Posted,
) -> Result<HttpResponse, AppError> {
    let id = id.get();
    let f = state.store.followup_for(id, signed.staff.role).await?.ok_or(AppError::NotFound)?;
    let (status, comment) = match change(&form, f.status) {
        Ok(c) => c,
        Err(key) => {
            let message = lang.tf(&format!("followup.error.{key}"), &[("max", &MAX_COMMENT_CHARS.to_string())]);
            let csrf = Csrf::for_request(&req, &state);
            let page = detail_page(&req, lang, &state, &signed, &csrf, &f, Some(&form), Some(message)).await?;
            return html_page(StatusCode::BAD_REQUEST, &page);
        }
    };
    let done = match state
        .store
        .update_followup(&f, status, &comment, Actor::Staff(&signed.staff), state.clock.now())
        .await?
    {
        FollowupUpdated::Done => {
            if status == Some(FollowupStatus::Verified) {
                // A card the follow-up carried is closed: 整改中 goes at once.
                state.show_writes().await;
            }
            "followup_updated"
        }
        FollowupUpdated::Conflict => "followup_conflict",
    };
    Ok(see_other(&format!("/admin/followups/{id}?done={done}")))
}

/// The "overdue" line of the staff home: how many, in words, when there are any.
pub async fn overdue_line(
    state: &AppState,
    lang: Lang,
    role: Role,
    today: NaiveDate,
) -> Result<Option<String>, AppError> {
    let n = state.store.overdue_followups(role, today).await?;
    Ok((n > 0).then(|| lang.tf("admin.followups.overdue_banner", &[("n", &n.to_string())])))
}
