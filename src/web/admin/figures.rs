//! `/admin/figures`: the supervision work per district over the last 90 days
//! (inspections, stations checked, follow-ups open and overdue), and the same as CSV.

use crate::web::context::StaffPage;
use crate::web::prelude::*;
use actix_web::http::header;

use super::AdminCtx;
use crate::domain::district::DISTRICTS;
use crate::domain::filter::StationFilter;
use crate::sheet::Encoding;

/// The window the figures look back over, in days.
pub const WINDOW_DAYS: i64 = 90;

/// One district's line.
pub struct Line {
    pub district: &'static str,
    pub stations: usize,
    pub inspections: i64,
    pub checked: usize,
    /// Stations checked in the window, in per cent of the stations (0 with no station).
    pub checked_pct: u32,
    pub open_followups: i64,
    pub overdue_followups: i64,
    pub open_cards: i64,
    pub red_cards: i64,
}

/// The lines of the districts `signed` looks after.
async fn lines(lang: Lang, state: &AppState, signed: &SignedIn) -> Result<Vec<Line>, AppError> {
    let now = state.clock.now();
    let today = state.clock.today();
    let since_day = today - chrono::Days::new(WINDOW_DAYS as u64);
    let work = state.store.district_work(now - WINDOW_DAYS * 86_400, &today.format("%Y-%m-%d").to_string()).await?;
    let snapshot = state.snapshot.load();
    Ok(DISTRICTS
        .iter()
        .filter(|d| signed.staff.role.covers(d))
        .map(|d| {
            let filter = StationFilter { district: Some(d), page: 1, ..StationFilter::default() };
            let (mut stations, mut checked) = (0, 0);
            for e in snapshot.filter(&filter, now) {
                stations += 1;
                if e.station.verified_on.is_some_and(|v| v >= since_day) {
                    checked += 1;
                }
            }
            let w = work.get(&d.code.to_string()).cloned().unwrap_or_default();
            Line {
                district: d.name(lang.is_zh()),
                stations,
                inspections: w.inspections,
                checked,
                checked_pct: (checked * 100).checked_div(stations).unwrap_or(0) as u32,
                open_followups: w.open_followups,
                overdue_followups: w.overdue_followups,
                open_cards: w.open_cards,
                red_cards: w.red_cards,
            }
        })
        .collect())
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/figures.html")]
struct FiguresPage {
    ctx: PageCtx,
    admin: AdminCtx,
    lines: Vec<Line>,
    days: i64,
}

pub async fn page(StaffPage { req, lang, state, signed, csrf }: StaffPage) -> Result<impl Responder, AppError> {
    super::cards::escalate(&state).await?;
    let lines = lines(lang, &state, &signed).await?;
    let page = FiguresPage {
        ctx: PageCtx::new(&req, lang, &state),
        admin: AdminCtx::new(&req, lang, &state, &signed, &csrf),
        lines,
        days: WINDOW_DAYS,
    };
    Ok(csrf.apply(page))
}

/// `GET /admin/figures.csv`: the same lines, UTF-8 with a BOM (Excel), headers in the
/// reader's language.
pub async fn csv(lang: Lang, state: web::Data<AppState>, signed: SignedIn) -> Result<HttpResponse, AppError> {
    super::cards::escalate(&state).await?;
    let lines = lines(lang, &state, &signed).await?;
    let head: Vec<String> =
        ["district", "stations", "inspections", "checked", "checked_pct", "open", "overdue", "cards", "red_cards"]
            .iter()
            .map(|k| lang.tf(&format!("admin.figures.col.{k}"), &[("days", &WINDOW_DAYS.to_string())]))
            .collect();
    let rows = lines.iter().map(|l| {
        vec![
            l.district.to_string(),
            l.stations.to_string(),
            l.inspections.to_string(),
            l.checked.to_string(),
            l.checked_pct.to_string(),
            l.open_followups.to_string(),
            l.overdue_followups.to_string(),
            l.open_cards.to_string(),
            l.red_cards.to_string(),
        ]
    });
    let body = crate::sheet::write_csv(&std::iter::once(head).chain(rows).collect::<Vec<_>>(), Encoding::Utf8);
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"yizhan-figures.csv\""))
        .body(body))
}
