//! The monthly bulletin (每月通报), city-wide and per district: `/bulletin` lists the
//! months, `/bulletin/{YYYY-MM}` and `/bulletin/{YYYY-MM}/{district}` show one, and
//! the same paths ending in `.csv` give its figures as a spreadsheet. Figures come
//! from the history as it stood at the month's end (`domain::bulletin`); the current
//! month is shown as provisional.

use crate::web::context::Page;
use crate::web::prelude::*;
use std::sync::Arc;

use actix_web::http::header;

use crate::domain::bulletin::{Line, Month, compute};
use crate::domain::district::{DISTRICTS, District};
use crate::web::cache::{Kept, blocking};
use crate::web::page::Share;

/// Months listed on `/bulletin`, newest first.
const LISTED_MONTHS: usize = 12;

/// The figures in groups, for the page: (group key, figure keys).
const GROUPS: [(&str, &[&str]); 5] = [
    ("stations", &["stations", "closed_now", "added", "revoked", "closed", "reopened"]),
    ("inspections", &["inspections", "failed"]),
    ("feedback", &["feedback", "answered", "unanswered"]),
    ("followups", &["followups_opened", "followups_fixed", "followups_verified", "followups_overdue"]),
    ("cards", &["cards_given", "cards_red", "cards_closed", "cards_open"]),
];

/// "2025年10月" / "October 2025".
fn month_name(lang: Lang, m: Month) -> String {
    lang.tf("bulletin.month", &[("y", &m.year.to_string()), ("m", &m.month.to_string())])
}

#[derive(Template, WebTemplate)]
#[template(path = "public/bulletins.html")]
struct MonthsPage {
    ctx: PageCtx,
    /// (key, name), newest first.
    months: Vec<(String, String)>,
}

pub async fn months(Page { req, lang, state, .. }: Page) -> Result<impl Responder, AppError> {
    let mut m = Month::of(state.clock.today());
    let mut months = Vec::new();
    for _ in 0..LISTED_MONTHS {
        months.push((m.key(), month_name(lang, m)));
        m = m.prev();
    }
    Ok(MonthsPage { ctx: PageCtx::new(&req, lang, &state), months })
}

/// One group's figures for every district: narrow enough for A4 paper and a phone.
pub struct DistrictTable {
    pub title: String,
    pub heads: Vec<String>,
    pub rows: Vec<(String, String, Vec<usize>)>,
}

/// A group of figures as shown: its title and (figure key, label, value).
pub struct Group {
    pub key: &'static str,
    pub title: String,
    pub figures: Vec<(&'static str, String, usize)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "public/bulletin.html")]
struct BulletinPage {
    ctx: PageCtx,
    title: String,
    month: String,
    /// The district's code, or "" city-wide.
    district: String,
    provisional: bool,
    groups: Vec<Group>,
    /// City-wide: (code, name) of the districts with figures.
    districts: Vec<(String, String)>,
    /// City-wide, a table per group: (title, heads, rows of (code, name, values)).
    tables: Vec<DistrictTable>,
    prev: String,
    next: Option<String>,
}

/// The month of a path segment, and whether it asks for CSV.
fn month_param(raw: &str) -> Result<(Month, bool), AppError> {
    let (key, csv) = match raw.strip_suffix(".csv") {
        Some(k) => (k, true),
        None => (raw, false),
    };
    let month = Month::parse(key).ok_or_else(|| bad("month", raw))?;
    Ok((month, csv))
}

fn bad(param: &str, raw: &str) -> AppError {
    crate::domain::filter::ParamError::new(param, raw, crate::domain::filter::Problem::BadValue).into()
}

/// A month's lines by district code.
type Lines = std::collections::BTreeMap<String, Line>;

/// Months kept at most; past that, the kept ones are dropped and computed again.
const KEPT_MONTHS: usize = 120;

/// Bulletins computed, one at a time (each reads the whole history) and counted on
/// the blocking pool. A month that has ended never changes, so it is kept; the current
/// month is kept for a minute.
pub struct Cache {
    ended: Kept<Month, Lines>,
    current: Kept<(Month, i64), Lines>,
}

impl Default for Cache {
    fn default() -> Cache {
        Cache { ended: Kept::new(KEPT_MONTHS, 1), current: Kept::new(2, 1) }
    }
}

/// The month's lines and whether the month is still running; 404 for a month that
/// has not begun.
async fn lines_of(state: &AppState, cache: &Cache, month: Month) -> Result<(Arc<Lines>, bool), AppError> {
    let (start, end) = month.span();
    let now = state.clock.now();
    if start > now {
        return Err(AppError::NotFound);
    }
    let running = end > now;
    let work = || async move {
        let facts = state.store.bulletin_facts(end.min(now + 1)).await?;
        blocking(move || Ok(compute(&facts, month))).await
    };
    let lines = if running {
        cache.current.get((month, now.div_euclid(60)), work).await?
    } else {
        cache.ended.get(month, work).await?
    };
    Ok((lines, running))
}

pub async fn city(
    Page { req, lang, state, .. }: Page,
    cache: web::Data<Cache>,
    month: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (month, csv) = month_param(&month)?;
    show(&req, lang, &state, &cache, Asked { month, only: None, csv }).await
}

pub async fn district(
    Page { req, lang, state, .. }: Page,
    cache: web::Data<Cache>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (month, district) = path.into_inner();
    let (month, csv_m) = month_param(&month)?;
    let (code, csv_d) = match district.strip_suffix(".csv") {
        Some(c) => (c, true),
        None => (district.as_str(), false),
    };
    let d = District::parse(code).filter(|d| d.code.to_string() == code).ok_or_else(|| bad("district", &district))?;
    if csv_m {
        return Err(bad("month", &month.key()));
    }
    show(&req, lang, &state, &cache, Asked { month, only: Some(d), csv: csv_d }).await
}

/// What a bulletin request asks for: a month, one district or the city, a page or a spreadsheet.
struct Asked {
    month: Month,
    only: Option<&'static District>,
    csv: bool,
}

async fn show(
    req: &HttpRequest,
    lang: Lang,
    state: &AppState,
    cache: &Cache,
    asked: Asked,
) -> Result<HttpResponse, AppError> {
    let Asked { month, only, csv } = asked;
    let (lines, provisional) = lines_of(state, cache, month).await?;
    let mut total = Line::default();
    let mut districts = Vec::new();
    for d in &DISTRICTS {
        let code = d.code.to_string();
        let line = lines.get(&code).cloned().unwrap_or_default();
        if only.is_none_or(|o| o.code == d.code) {
            total.add(&line);
        }
        if only.is_none() && line != Line::default() {
            districts.push((code, d.name(lang.is_zh()).to_string(), line.figures().iter().map(|f| f.1).collect()));
        }
    }
    let label = |key: &str| lang.t(&format!("bulletin.row.{key}")).into_owned();
    let scope = match only {
        Some(d) => d.name(lang.is_zh()).to_string(),
        None => lang.t("stats.city").into_owned(),
    };
    if csv {
        return Ok(csv_answer(lang, month, only, &scope, &total, &districts, provisional));
    }
    let values: std::collections::HashMap<&str, usize> = total.figures().into_iter().collect();
    let tables = GROUPS
        .iter()
        .map(|(key, figures)| DistrictTable {
            title: lang.t(&format!("bulletin.group.{key}")).into_owned(),
            heads: figures.iter().map(|f| label(f)).collect(),
            rows: districts
                .iter()
                .map(|(code, name, values)| {
                    let of = |f: &&str| Line::KEYS.iter().position(|k| k == f).map_or(0, |i| values[i]);
                    (code.clone(), name.clone(), figures.iter().map(of).collect())
                })
                .collect(),
        })
        .collect();
    let groups = GROUPS
        .iter()
        .map(|(key, figures)| Group {
            key,
            title: lang.t(&format!("bulletin.group.{key}")).into_owned(),
            figures: figures.iter().map(|f| (*f, label(f), values.get(f).copied().unwrap_or(0))).collect(),
        })
        .collect();
    let title = lang.tf("bulletin.title", &[("month", &month_name(lang, month)), ("scope", &scope)]);
    let suffix = only.map(|d| format!("/{}", d.code)).unwrap_or_default();
    let now_month = Month::of(state.clock.today());
    let share = Share {
        title: title.clone(),
        description: lang
            .tf("bulletin.card", &[("stations", &total.stations.to_string()), ("added", &total.added.to_string())]),
        url: format!("{}/bulletin/{}{suffix}", state.public_url, month.key()),
        image: None,
    };
    let page = BulletinPage {
        ctx: PageCtx::new(req, lang, state).with_share(share),
        title,
        month: month.key(),
        district: only.map(|d| d.code.to_string()).unwrap_or_default(),
        provisional,
        groups,
        districts: districts.iter().map(|(code, name, _)| (code.clone(), name.clone())).collect(),
        tables,
        prev: format!("/bulletin/{}{suffix}", month.prev().key()),
        next: (month < now_month).then(|| format!("/bulletin/{}{suffix}", month.next().key())),
    };
    crate::web::render::html_page(actix_web::http::StatusCode::OK, &page)
}

/// The bulletin as CSV (UTF-8 with a BOM, for Excel): one row per district and the total.
fn csv_answer(
    lang: Lang,
    month: Month,
    only: Option<&'static District>,
    scope: &str,
    total: &Line,
    districts: &[(String, String, Vec<usize>)],
    provisional: bool,
) -> HttpResponse {
    let mut head = vec![lang.t("bulletin.csv.month").into_owned(), lang.t("bulletin.csv.scope").into_owned()];
    head.extend(total.figures().iter().map(|(k, _)| lang.t(&format!("bulletin.row.{k}")).into_owned()));
    head.push(lang.t("bulletin.csv.provisional").into_owned());
    let flag = lang.t(if provisional { "export.yes" } else { "export.no" }).into_owned();
    let row = |name: &str, values: &[usize]| {
        let mut r = vec![month.key(), name.to_string()];
        r.extend(values.iter().map(|v| v.to_string()));
        r.push(flag.clone());
        r
    };
    let totals: Vec<usize> = total.figures().iter().map(|f| f.1).collect();
    let rows: Vec<Vec<String>> = std::iter::once(head)
        .chain(districts.iter().map(|(_, name, values)| row(name, values)))
        .chain(std::iter::once(row(scope, &totals)))
        .collect();
    let body = crate::sheet::write_csv(&rows, crate::sheet::Encoding::Utf8);
    let file = match only {
        Some(d) => format!("bulletin-{}-{}.csv", month.key(), d.code),
        None => format!("bulletin-{}.csv", month.key()),
    };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\"")))
        .body(body)
}
