//! `/supervise`: a supervisor's home on a phone: the stations of their districts,
//! the one checked longest ago first (never checked before all).

use crate::web::context::SupervisorPage;
use crate::web::prelude::*;
use chrono::NaiveDate;

use super::SuperviseCtx;
use crate::domain::geo::distance_m;
use crate::domain::supervisor::Supervisor;
use crate::snapshot::{Entry, Snapshot};
use crate::web::page::distance_text;
use crate::web::query::position_param;
use crate::web::views::followup::FollowupView;
use crate::web::views::report::ReportView;
use crate::web::views::suggestion::SuggestionView;

/// Stations per page of the home list.
pub const STATIONS_PAGE: usize = 20;

/// A station as a row of the supervisor's list.
pub struct StationRow {
    pub id: i64,
    pub name: String,
    pub place: String,
    /// "从未核实" or "上次核实 2025-10-01（47天前）".
    pub checked: String,
    pub never: bool,
    /// "1.2 公里" from the phone's position, when it gave one.
    pub distance: Option<String>,
}

/// The public stations `supervisor` checks, longest since last checked first
/// (never checked first of all), then by id.
pub fn stations_to_check<'a>(snapshot: &'a Snapshot, supervisor: &Supervisor) -> Vec<&'a Entry> {
    let scope = supervisor.scope();
    let mut list: Vec<&Entry> = snapshot.entries_in(&scope).filter(|e| e.station.is_public()).collect();
    list.sort_by_key(|e| (e.station.verified_on.unwrap_or(NaiveDate::MIN), e.station.id));
    list
}

fn checked_text(lang: Lang, today: NaiveDate, on: Option<NaiveDate>) -> String {
    match on {
        None => lang.t("supervise.home.never").into_owned(),
        Some(d) => lang.tf(
            "supervise.home.checked",
            &[("date", &d.format("%Y-%m-%d").to_string()), ("days", &(today - d).num_days().max(0).to_string())],
        ),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "supervise/home.html")]
struct HomePage {
    ctx: PageCtx,
    me: SuperviseCtx,
    stations: Vec<StationRow>,
    /// The phone gave its position: distances are shown.
    located: bool,
    total: usize,
    page: usize,
    pages: usize,
    prev: Option<String>,
    next: Option<String>,
    /// What they filed, newest first, and what became of it.
    reports: Vec<ReportView>,
    /// The follow-ups born of their reports.
    followups: Vec<FollowupView>,
    suggestions: Vec<SuggestionView>,
    /// Their proposed stations: (name, state in words, staff's comment, the station when added).
    proposals: Vec<(String, String, String, Option<i64>)>,
}

pub async fn page(SupervisorPage { req, lang, state, me, csrf }: SupervisorPage) -> Result<impl Responder, AppError> {
    let pairs = query_pairs(&req)?;
    let page = page_param(&pairs)? as usize;
    let position = position_param(&pairs)?;
    let today = state.clock.today();
    let snapshot = state.snapshot.load();
    let all = stations_to_check(&snapshot, &me.supervisor);
    let total = all.len();
    let pages = total.div_ceil(STATIONS_PAGE).max(1);
    let stations = all
        .iter()
        .skip(page * STATIONS_PAGE)
        .take(STATIONS_PAGE)
        .map(|e| {
            let s = &e.station;
            StationRow {
                id: s.id,
                name: s.name.clone(),
                place: s.place(lang.is_zh()),
                checked: checked_text(lang, today, s.verified_on),
                never: s.verified_on.is_none(),
                distance: position.zip(s.position).map(|(p, at)| distance_text(lang, distance_m(p, at))),
            }
        })
        .collect();
    let reports =
        state.store.own_reports(me.supervisor.id).await?.iter().map(|r| ReportView::new(lang, &state, r)).collect();
    let followups = state
        .store
        .own_followups(me.supervisor.id)
        .await?
        .iter()
        .map(|f| FollowupView::new(lang, &state, f, true))
        .collect();
    let suggestions = state
        .store
        .own_suggestions(me.supervisor.id)
        .await?
        .iter()
        .map(|g| SuggestionView::new(lang, &state, g))
        .collect();
    // Pages keep the position, so distances stay on the next page.
    let at = position.map(|p| format!("&lat={:.6}&lon={:.6}", p.lat, p.lon)).unwrap_or_default();
    let proposals = state
        .store
        .own_proposals(me.supervisor.id)
        .await?
        .into_iter()
        .map(|p| (p.name, lang.label("supervise.propose.state", &p.state).into_owned(), p.comment, p.station_id))
        .collect();
    let link = |p: usize| format!("/supervise?page={}{at}", p + 1);
    let page = HomePage {
        ctx: PageCtx::new(&req, lang, &state),
        me: SuperviseCtx::new(&req, lang, &me, &csrf),
        stations,
        located: position.is_some(),
        total,
        page: page + 1,
        pages,
        prev: (page > 0).then(|| link(page - 1)),
        next: (page + 1 < pages).then(|| link(page + 1)),
        reports,
        followups,
        suggestions,
        proposals,
    };
    Ok(csrf.apply(page))
}
