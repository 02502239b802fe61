//! A follow-up in words, for staff and for the supervisor it concerns: the view, its
//! history, and a posted change of status or comment.

use super::{FIRST_LINE_CHARS, first_line};
use crate::domain::feedback::multi_line;
use crate::domain::followup::{FollowupStatus, MAX_COMMENT_CHARS, Source, is_overdue, text_problem};
use crate::store::{Followup, FollowupEvent};
use crate::web::forms::FormData;
use crate::web::i18n::Lang;
use crate::web::page::date_time;
use crate::web::state::AppState;

/// A follow-up in words, for staff and for the supervisor it concerns.
pub struct FollowupView {
    pub id: i64,
    pub station_id: i64,
    pub station_name: String,
    pub station_place: String,
    pub problem: String,
    /// The first line of the problem, shortened, for lists.
    pub first_line: String,
    pub assignee: String,
    pub due: String,
    pub overdue: bool,
    pub status_key: &'static str,
    pub status: String,
    /// "检查报告 #12" and where to read it (staff's page or the supervisor's own).
    pub source: String,
    pub source_link: Option<String>,
    pub opened: String,
}

impl FollowupView {
    /// `for_supervisor`: links point to the supervisor's own pages.
    pub fn new(lang: Lang, state: &AppState, f: &Followup, for_supervisor: bool) -> FollowupView {
        let snapshot = state.snapshot.load();
        let station = snapshot.get(f.station_id).map(|e| &e.station);
        let (source, source_link) = match f.source {
            Source::Report(id) => (
                lang.tf("followup.source.report", &[("id", &id.to_string())]),
                Some(if for_supervisor { format!("/supervise/reports/{id}") } else { format!("/admin/reports/{id}") }),
            ),
            Source::Feedback(id) => (
                lang.tf("followup.source.feedback", &[("id", &id.to_string())]),
                (!for_supervisor).then(|| format!("/admin/feedback/{id}")),
            ),
            Source::Suggestion(id) => (
                lang.tf("followup.source.suggestion", &[("id", &id.to_string())]),
                Some(if for_supervisor {
                    format!("/supervise/suggestions/{id}")
                } else {
                    format!("/admin/suggestions/{id}")
                }),
            ),
            Source::Station => (lang.t("followup.source.station").into_owned(), None),
        };
        let overdue = is_overdue(f.status, f.due_on, state.clock.today());
        FollowupView {
            id: f.id,
            station_id: f.station_id,
            station_name: station.map(|s| s.name.clone()).unwrap_or_else(|| format!("#{}", f.station_id)),
            station_place: station.map(|s| s.place(lang.is_zh())).unwrap_or_default(),
            problem: f.problem.clone(),
            first_line: first_line(&f.problem, FIRST_LINE_CHARS),
            assignee: lang.label("followup.assignee", f.assignee.key()).into_owned(),
            due: f.due_on.format("%Y-%m-%d").to_string(),
            overdue,
            status_key: f.status.key(),
            status: lang.label("followup.status", f.status.key()).into_owned(),
            source,
            source_link,
            opened: lang.tf("followup.opened", &[("name", &f.opened_by), ("at", &date_time(f.created_at))]),
        }
    }
}

/// A history line in words: (when, who, what, comment).
pub fn history(lang: Lang, events: &[FollowupEvent]) -> Vec<(String, String, String, String)> {
    events
        .iter()
        .map(|e| {
            let who =
                if e.by_supervisor { lang.tf("followup.by_supervisor", &[("name", &e.who)]) } else { e.who.clone() };
            let what = match e.status {
                Some(s) => lang.tf("followup.set_status", &[("status", &lang.label("followup.status", s.key()))]),
                None => lang.t("followup.commented").into_owned(),
            };
            (date_time(e.at), who, what, e.comment.clone())
        })
        .collect()
}

/// A status and a comment as posted: the new status (when it changes) and the
/// comment, or the locale key of why not.
pub fn change(form: &FormData, current: FollowupStatus) -> Result<(Option<FollowupStatus>, String), &'static str> {
    let status = match form.get("status") {
        "" => None,
        raw => Some(FollowupStatus::parse(raw).ok_or("bad_status")?),
    }
    .filter(|s| *s != current);
    let comment = match multi_line(form.get("comment"), MAX_COMMENT_CHARS) {
        Ok(c) => c,
        Err(crate::domain::text::TextError::Empty) => String::new(),
        Err(e) => return Err(if text_problem(&e) == "too_long" { "comment_long" } else { "control" }),
    };
    if form.bad_utf8 {
        return Err("utf8");
    }
    if status.is_none() && comment.is_empty() {
        return Err("nothing");
    }
    Ok((status, comment))
}
