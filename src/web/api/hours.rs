//! `GET /api/stations/{id}/hours?from=YYYY-MM-DD&days=N`: a station's hours day by
//! day, with what each day is and the rule that decided it.

use crate::web::prelude::*;
use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::calendar::YEARS;
use crate::domain::filter::{ParamError, Problem, parse_pairs};
use crate::domain::hours::{DayPlan, Rule};
use crate::web::id::ApiId;

/// Most days one request may ask for.
pub const MAX_DAYS: u32 = 62;

#[derive(Serialize)]
struct Day {
    date: String,
    /// workday, weekend, holiday, makeup_workday or unknown (the calendar for it is not loaded).
    kind: &'static str,
    /// The festival of a holiday or make-up working day.
    festival: Option<String>,
    /// Whether the hours of the day can be told; `open` is empty when they cannot.
    known: bool,
    /// Open intervals in Beijing time, "HH:MM" to "HH:MM" (an end past midnight is above 24:00).
    open: Vec<[String; 2]>,
    rule: &'static str,
    /// For a make-up day worked as an ordinary one: the weekday whose hours it takes.
    hours_of: Option<String>,
}

#[derive(Serialize)]
struct Body {
    id: i64,
    hours: Option<String>,
    works_makeup_days: bool,
    time_zone: &'static str,
    calendar_years: Vec<i32>,
    days: Vec<Day>,
}

fn hhmm(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

impl Day {
    fn new(plan: DayPlan) -> Day {
        Day {
            date: plan.date.format("%Y-%m-%d").to_string(),
            kind: plan.day.key(),
            festival: plan.day.festival().map(String::from),
            known: plan.known,
            open: plan.ranges.iter().map(|(s, e)| [hhmm(*s), hhmm(*e)]).collect(),
            rule: plan.rule.key(),
            hours_of: match plan.rule {
                Rule::MakeupFollows(d) => Some(d.format("%Y-%m-%d").to_string()),
                _ => None,
            },
        }
    }
}

pub async fn hours(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: ApiId<crate::domain::station::Station>,
) -> Result<HttpResponse, AppError> {
    let id = id.get();
    let pairs = parse_pairs(req.query_string())?;
    let value = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let from = match value("from") {
        None | Some("") => state.clock.today(),
        Some(raw) => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .ok()
            .filter(|d| YEARS.contains(&chrono::Datelike::year(d)))
            .ok_or_else(|| ParamError::new("from", raw, Problem::BadValue))?,
    };
    let days = match value("days") {
        None | Some("") => 7,
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_DAYS).contains(n))
            .ok_or_else(|| ParamError::new("days", raw, Problem::BadValue))?,
    };
    let snapshot = state.snapshot.load();
    let entry = snapshot.get(id).filter(|e| e.station.is_public()).ok_or(AppError::NotFound)?;
    let s = &entry.station;
    let calendar = &snapshot.calendar;
    let plans: Vec<Day> = match &s.hours {
        Some(hours) => (0..days)
            .map(|i| Day::new(hours.plan(calendar, from + chrono::Days::new(u64::from(i)), s.works_makeup_days)))
            .collect(),
        None => Vec::new(),
    };
    let body = Body {
        id,
        hours: s.hours.as_ref().map(|h| h.raw().to_string()),
        works_makeup_days: s.works_makeup_days,
        time_zone: "Asia/Shanghai",
        calendar_years: calendar.years().collect(),
        days: plans,
    };
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-cache")).json(body))
}
