//! `/admin/calendar`, for city administrators: the public-holiday schedule of a year
//! (its holiday periods and make-up working days), previewed as a month grid and saved.

use crate::web::context::Page;
use crate::web::prelude::*;
use chrono::{Datelike, NaiveDate};

use super::AdminCtx;
use crate::domain::calendar::{
    CalendarDay, DayKind, HolidayPeriod, NoticeError, YEARS, is_weekend, notice_days, notice_periods,
};
use crate::domain::filter::{ParamError, Problem};
use crate::store::HolidayYear;
use crate::web::page::WEEKDAY_KEYS;

/// Rows of holiday periods and of make-up days the form offers.
const PERIOD_ROWS: usize = 9;
const MAKEUP_ROWS: usize = 8;

/// The festivals a notice names, in its order: the form starts with these names.
const FESTIVALS: [&str; 7] = ["元旦", "春节", "清明", "劳动节", "端午", "中秋", "国庆节"];

/// One row of the form as text.
#[derive(Default, Clone)]
pub struct Row {
    pub name: String,
    pub first: String,
    pub last: String,
}

/// A day of the month grid.
pub struct Cell {
    pub day: u32,
    /// holiday, makeup, weekend or "".
    pub class: &'static str,
    pub title: String,
}

/// A month of the preview.
pub struct Month {
    pub title: String,
    pub weeks: Vec<[Option<Cell>; 7]>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/calendar.html")]
struct CalendarPage {
    ctx: PageCtx,
    admin: AdminCtx,
    years: Vec<(i32, i64, String, String)>,
    year: i32,
    loaded: bool,
    periods: Vec<Row>,
    makeup: Vec<Row>,
    error: Option<String>,
    preview: Vec<Month>,
    weekdays: Vec<String>,
}

fn pad<T: Default + Clone>(mut rows: Vec<T>, n: usize) -> Vec<T> {
    if rows.len() < n {
        rows.resize(n, T::default());
    }
    rows
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The form's rows for a year as the calendar holds it (festival names only when empty).
fn rows_of(days: &[CalendarDay]) -> (Vec<Row>, Vec<Row>) {
    let (periods, makeup) = notice_periods(days);
    let periods = if periods.is_empty() {
        FESTIVALS.iter().map(|n| Row { name: n.to_string(), ..Row::default() }).collect()
    } else {
        periods.into_iter().map(|p| Row { name: p.name, first: date(p.first), last: date(p.last) }).collect()
    };
    let makeup = makeup.into_iter().map(|(d, n)| Row { name: n, first: date(d), last: String::new() }).collect();
    (pad(periods, PERIOD_ROWS), pad(makeup, MAKEUP_ROWS))
}

/// Why the form was refused, in words.
fn notice_error(lang: Lang, e: &NoticeError) -> String {
    let (key, value) = match e {
        NoticeError::Year(y) => ("year", y.to_string()),
        NoticeError::Name(n) => ("name", n.clone()),
        NoticeError::Backwards(n) => ("backwards", n.clone()),
        NoticeError::TooLong(n) => ("too_long", n.clone()),
        NoticeError::OutOfYear(d, _) => ("out_of_year", date(*d)),
        NoticeError::Twice(d) => ("twice", date(*d)),
        NoticeError::MakeupOnWeekday(d) => ("makeup_weekday", date(*d)),
        NoticeError::Empty => ("empty", String::new()),
    };
    lang.tf(&format!("admin.calendar.error.{key}"), &[("value", &value)])
}

/// The month grid of a year's days (December of the year before when the notice reaches it).
fn preview(lang: Lang, year: i32, days: &[CalendarDay]) -> Vec<Month> {
    let first_month = match days.first() {
        Some(d) if d.date.year() < year => NaiveDate::from_ymd_opt(year - 1, 12, 1),
        _ => NaiveDate::from_ymd_opt(year, 1, 1),
    };
    let Some(mut month) = first_month else { return Vec::new() };
    let mut months = Vec::new();
    while month.year() <= year {
        let mut weeks: Vec<[Option<Cell>; 7]> = Vec::new();
        let mut week: [Option<Cell>; 7] = Default::default();
        for day in month.iter_days().take_while(|d| d.month() == month.month()) {
            let col = day.weekday().num_days_from_monday() as usize;
            let found = days.iter().find(|d| d.date == day);
            let (class, title) = match found.map(|d| &d.kind) {
                Some(DayKind::Holiday(n)) => ("holiday", lang.tf("hours.holiday", &[("name", n)])),
                Some(DayKind::Workday(n)) => ("makeup", lang.tf("hours.workday", &[("name", n)])),
                None if is_weekend(day) => ("weekend", String::new()),
                None => ("", String::new()),
            };
            week[col] = Some(Cell { day: day.day(), class, title });
            if col == 6 {
                weeks.push(std::mem::take(&mut week));
            }
        }
        if week.iter().any(Option::is_some) {
            weeks.push(week);
        }
        let title =
            lang.tf("admin.calendar.month", &[("y", &month.year().to_string()), ("m", &month.month().to_string())]);
        months.push(Month { title, weeks });
        let Some(next) = month.checked_add_months(chrono::Months::new(1)) else { break };
        month = next;
    }
    months
}

/// The form as read: its rows as text (to refill it) and the dates they give.
struct Filled {
    period_rows: Vec<Row>,
    makeup_rows: Vec<Row>,
    periods: Vec<HolidayPeriod>,
    makeup: Vec<(NaiveDate, String)>,
}

/// Reads the form: holiday periods and make-up days, each row either empty (or only a
/// festival name) or complete. A date that does not parse is the error.
fn read_form(form: &FormData) -> Result<Filled, String> {
    let parse = |raw: &str| NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| raw.trim().to_string());
    let mut rows = Vec::new();
    let mut periods = Vec::new();
    for i in 0..PERIOD_ROWS {
        let row = Row {
            name: form.get(&format!("p{i}_name")).trim().to_string(),
            first: form.get(&format!("p{i}_first")).trim().to_string(),
            last: form.get(&format!("p{i}_last")).trim().to_string(),
        };
        if !row.first.is_empty() || !row.last.is_empty() {
            let first = parse(&row.first)?;
            let last = if row.last.is_empty() { first } else { parse(&row.last)? };
            periods.push(HolidayPeriod { name: row.name.clone(), first, last });
        }
        rows.push(row);
    }
    let mut makeup_rows = Vec::new();
    let mut makeup = Vec::new();
    for i in 0..MAKEUP_ROWS {
        let row = Row {
            name: form.get(&format!("m{i}_name")).trim().to_string(),
            first: form.get(&format!("m{i}_date")).trim().to_string(),
            last: String::new(),
        };
        if !row.first.is_empty() {
            makeup.push((parse(&row.first)?, row.name.clone()));
        }
        makeup_rows.push(row);
    }
    Ok(Filled { period_rows: rows, makeup_rows, periods, makeup })
}

async fn loaded_years(lang: Lang, state: &AppState) -> Result<Vec<(i32, i64, String, String)>, AppError> {
    let years: Vec<HolidayYear> = state.store.holiday_years().await?;
    Ok(years
        .into_iter()
        .map(|y| {
            let when =
                if y.loaded_at > 0 { date_time(y.loaded_at) } else { lang.t("admin.calendar.at_install").into_owned() };
            (y.year, y.days, source_words(lang, &y.source), when)
        })
        .collect())
}

/// Where a year's schedule came from, in words instead of the stored path or command.
fn source_words(lang: Lang, source: &str) -> String {
    if source == crate::seed::BUNDLED_CALENDAR {
        return lang.t("admin.calendar.source_bundled").into_owned();
    }
    if let Some(who) = source.strip_prefix(crate::holidays_file::FROM_PAGE).and_then(|s| s.strip_suffix(')')) {
        return lang.tf("admin.calendar.source_web", &[("who", who)]);
    }
    if let Some(path) = source.strip_prefix(crate::holidays_file::FROM_FILE) {
        let file = path.rsplit('/').next().unwrap_or(path);
        return lang.tf("admin.calendar.source_file", &[("file", file)]);
    }
    source.to_string()
}

fn weekdays(lang: Lang) -> Vec<String> {
    WEEKDAY_KEYS.iter().map(|k| lang.label("weekday", k).into_owned()).collect()
}

pub async fn show(Page { req, lang, state, .. }: Page, admin: Admin) -> Result<impl Responder, AppError> {
    let pairs = query_pairs(&req)?;
    let years = loaded_years(lang, &state).await?;
    let year = match param(&pairs, "year") {
        // The year after the last loaded one is the one to load next.
        "" => years.last().map(|y| y.0 + 1).unwrap_or_else(|| state.clock.today().year()),
        raw => raw
            .parse::<i32>()
            .ok()
            .filter(|y| YEARS.contains(y))
            .ok_or_else(|| ParamError::new("year", raw, Problem::BadValue))?,
    };
    let calendar = state.snapshot.load().calendar.clone();
    let days = calendar.notice(year);
    let (periods, makeup) = rows_of(&days);
    let csrf = Csrf::for_request(&req, &state);
    let page = CalendarPage {
        ctx: PageCtx::new(&req, lang, &state),
        admin: AdminCtx::new(&req, lang, &state, &admin.0, &csrf),
        loaded: years.iter().any(|y| y.0 == year),
        years,
        year,
        periods,
        makeup,
        error: None,
        preview: if days.is_empty() { Vec::new() } else { preview(lang, year, &days) },
        weekdays: weekdays(lang),
    };
    Ok(csrf.apply(page).customize().insert_header(("Cache-Control", "no-store")))
}

/// Previews (`action=preview`) or saves (`action=save`) a year. A saved year replaces
/// what was loaded for it, is written to the audit log, and every instance picks it up.
pub async fn save(Page { req, lang, state, .. }: Page, admin: Admin, form: Posted) -> Result<HttpResponse, AppError> {
    let year_raw = form.get("year");
    let year = year_raw
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| YEARS.contains(y))
        .ok_or_else(|| ParamError::new("year", year_raw, Problem::BadValue))?;
    let years = loaded_years(lang, &state).await?;
    let csrf = Csrf::for_request(&req, &state);
    let mut page = CalendarPage {
        ctx: PageCtx::new(&req, lang, &state),
        admin: AdminCtx::new(&req, lang, &state, &admin.0, &csrf),
        loaded: years.iter().any(|y| y.0 == year),
        years,
        year,
        periods: pad(Vec::new(), PERIOD_ROWS),
        makeup: pad(Vec::new(), MAKEUP_ROWS),
        error: None,
        preview: Vec::new(),
        weekdays: weekdays(lang),
    };
    let checked = match read_form(&form) {
        Ok(filled) => {
            page.periods = filled.period_rows;
            page.makeup = filled.makeup_rows;
            notice_days(year, &filled.periods, &filled.makeup).map_err(|e| notice_error(lang, &e))
        }
        Err(bad) => Err(lang.tf("admin.calendar.error.date", &[("value", &bad)])),
    };
    let days = match checked {
        Ok(days) => days,
        Err(message) => {
            page.error = Some(message);
            return html_page(StatusCode::BAD_REQUEST, &page);
        }
    };
    if form.get("action") != "save" {
        page.preview = preview(lang, year, &days);
        return html_page(StatusCode::OK, &page);
    }
    let source = crate::holidays_file::page_source(&admin.0.staff.username);
    state.store.replace_notice_year(year, &days, &source, Some(admin.0.staff.id), true, state.clock.now()).await?;
    state.show_writes().await;
    Ok(see_other(&format!("/admin/calendar?year={year}&done=calendar")))
}
