//! Opening hours in OSM `opening_hours` syntax, evaluated in Beijing time with
//! the China holiday calendar.

use std::sync::Arc;

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeZone, Weekday};
use chrono_tz::Asia::Shanghai;
use compact_calendar::CompactCalendar;
use opening_hours::OpeningHours as Oh;
use opening_hours::{Context, ContextHolidays, RuleKind};

use super::calendar::{DayKind, HolidayCalendar, is_weekend};

/// Longest opening-hours text we accept.
pub const MAX_HOURS_LEN: usize = 255;

/// Why an opening-hours text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HoursError {
    #[error("opening hours are empty")]
    Empty,
    #[error("opening hours are longer than {MAX_HOURS_LEN} characters")]
    TooLong,
    #[error("opening hours are not valid OSM syntax: {0}")]
    Syntax(String),
}

/// A validated opening-hours expression.
#[derive(Debug, Clone)]
pub struct Hours {
    raw: String,
    parsed: Oh,
}

/// Why the hours text and the "open on public holidays" choice were refused together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HolidayConflict {
    /// The text closes on public holidays (`PH off`) but the choice says open.
    #[error("the hours close on public holidays, but the station is said to open on them")]
    TextSaysClosed,
    /// The text has public-holiday hours but the choice says closed.
    #[error("the hours open on public holidays, but the station is said to close on them")]
    TextSaysOpen,
}

/// What kind of day a date is, as the loaded calendar says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayType {
    Workday,
    Weekend,
    /// A statutory day off, with its festival.
    Holiday(String),
    /// A make-up working day (调休), with its festival.
    Makeup(String),
    /// The notice for this date is not loaded.
    Unknown,
}

impl DayType {
    /// The stable key of the API.
    pub fn key(&self) -> &'static str {
        match self {
            DayType::Workday => "workday",
            DayType::Weekend => "weekend",
            DayType::Holiday(_) => "holiday",
            DayType::Makeup(_) => "makeup_workday",
            DayType::Unknown => "unknown",
        }
    }

    /// The festival of a holiday or make-up day.
    pub fn festival(&self) -> Option<&str> {
        match self {
            DayType::Holiday(n) | DayType::Makeup(n) => Some(n),
            _ => None,
        }
    }
}

/// Which rule decided a day's hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The weekly hours of the text.
    Weekly,
    /// A public holiday, decided by the text's `PH` rule.
    PublicHoliday,
    /// A public holiday; the text has no `PH` rule, so the weekly hours apply.
    HolidayKeepsWeekly,
    /// A make-up working day, with the hours of this ordinary weekday (the host follows 调休).
    MakeupFollows(NaiveDate),
    /// A make-up working day; the host keeps its own week.
    MakeupKeepsWeek,
    /// The notice for this date is not loaded and the station's hours depend on it.
    NotLoaded,
}

impl Rule {
    /// The stable key of the API.
    pub fn key(self) -> &'static str {
        match self {
            Rule::Weekly => "weekly_hours",
            Rule::PublicHoliday => "public_holiday_rule",
            Rule::HolidayKeepsWeekly => "holiday_no_ph_rule",
            Rule::MakeupFollows(_) => "makeup_follows_weekday",
            Rule::MakeupKeepsWeek => "makeup_keeps_own_week",
            Rule::NotLoaded => "calendar_not_loaded",
        }
    }
}

/// One day of a station's hours: what the day is, when it opens and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayPlan {
    pub date: NaiveDate,
    pub day: DayType,
    /// Open periods in minutes from the day's midnight (an end above 1440 runs past midnight).
    /// Empty when closed or unknown.
    pub ranges: Vec<(u32, u32)>,
    /// False when the hours of this day cannot be told (calendar not loaded).
    pub known: bool,
    pub rule: Rule,
}

/// 3–9 March 2025: a week without holidays or make-up days, Monday first.
fn plain_week() -> impl Iterator<Item = NaiveDate> {
    let monday = NaiveDate::from_ymd_opt(2025, 3, 3).unwrap_or_default();
    (0..7).map(move |i| monday + chrono::Days::new(i))
}

/// A context in which exactly `dates` are public holidays.
fn holidays_on(dates: impl IntoIterator<Item = NaiveDate>) -> Context {
    let mut public = CompactCalendar::default();
    for date in dates {
        public.insert(date);
    }
    Context::default().with_holidays(ContextHolidays::new(Arc::new(public), Arc::new(CompactCalendar::default())))
}

impl Hours {
    /// Parses OSM syntax ("24/7", "Mo-Fr 09:00-17:30; PH off").
    pub fn parse(raw: &str) -> Result<Hours, HoursError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(HoursError::Empty);
        }
        if raw.chars().count() > MAX_HOURS_LEN {
            return Err(HoursError::TooLong);
        }
        let parsed = raw.parse::<Oh>().map_err(|e| HoursError::Syntax(e.to_string()))?;
        Ok(Hours { raw: raw.to_string(), parsed })
    }

    /// The text as entered.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// Whether a rule of the text selects public holidays (`PH`).
    pub fn has_ph_rule(&self) -> bool {
        self.raw.split(|c: char| !c.is_ascii_alphanumeric()).any(|token| token == "PH")
    }

    /// Whether the station opens on public holidays: on some day of the week, a
    /// holiday has open hours. The text is the one truth; there is no separate flag.
    pub fn opens_on_holidays(&self) -> bool {
        let ctx = holidays_on(plain_week());
        plain_week().any(|date| !self.eval(&ctx, date).is_empty())
    }

    /// What the text says about public holidays, for the words people read (the station
    /// page, posters, print lists). Each day of a plain week is tried as a holiday: the
    /// same hours on each as the week gives means no rule of their own.
    pub fn holiday_rule(&self) -> HolidayRule {
        if !self.has_ph_rule() {
            return HolidayRule::AsUsual;
        }
        let ctx = holidays_on(plain_week());
        let on_holidays: Vec<Vec<(u32, u32)>> = plain_week().map(|date| self.eval(&ctx, date)).collect();
        if on_holidays.iter().all(Vec::is_empty) {
            return HolidayRule::Closed;
        }
        if on_holidays.iter().all(|d| *d == on_holidays[0]) {
            return HolidayRule::Hours(on_holidays[0].clone());
        }
        HolidayRule::AsUsual
    }

    /// The text without its `PH off` rules: what the edit form shows beside the
    /// "open on public holidays" box, which writes the rule back.
    pub fn without_ph_off(&self) -> String {
        let kept: Vec<&str> = self.raw.split(';').map(str::trim).filter(|rule| !is_ph_off(rule)).collect();
        match kept.join("; ") {
            text if text.is_empty() => self.raw.clone(),
            text => text,
        }
    }

    /// These hours with the station's choice about public holidays written in:
    /// closed adds `PH off` unless the text already closes; a text that says the
    /// opposite of the choice is refused.
    pub fn with_holidays(&self, open: bool) -> Result<Hours, HolidayConflict> {
        match (open, self.has_ph_rule(), self.opens_on_holidays()) {
            (true, true, false) => Err(HolidayConflict::TextSaysClosed),
            (false, true, true) => Err(HolidayConflict::TextSaysOpen),
            (false, false, _) => {
                Hours::parse(&format!("{}; PH off", self.raw)).map_err(|_| HolidayConflict::TextSaysOpen)
            }
            _ => Ok(self.clone()),
        }
    }

    /// Open periods of `date` in a context, in minutes from its midnight.
    fn eval(&self, ctx: &Context, date: NaiveDate) -> Vec<(u32, u32)> {
        let oh = self.parsed.clone().with_context(ctx.clone());
        oh.schedule_at(date)
            .into_iter()
            .filter(|r| r.kind == RuleKind::Open)
            .map(|r| (u32::from(r.range.start.mins_from_midnight()), u32::from(r.range.end.mins_from_midnight())))
            .filter(|(s, e)| e > s)
            .collect()
    }

    /// One day of these hours under the calendar. `follows_makeup`: the host works
    /// 调休 make-up days (a make-up Sunday takes the hours of the nearest ordinary
    /// weekday); otherwise it keeps its own week on them. A date whose notice is not
    /// loaded is unknown when the answer would depend on it.
    pub fn plan(&self, calendar: &HolidayCalendar, date: NaiveDate, follows_makeup: bool) -> DayPlan {
        let ctx = calendar.context();
        if !calendar.covers(date) {
            let ordinary = self.eval(ctx, date);
            let as_holiday = self.eval(&holidays_on([date]), date);
            let as_makeup = || {
                let weekday = match date.weekday() {
                    Weekday::Sat => date.pred_opt(),
                    Weekday::Sun => date.succ_opt(),
                    _ => None,
                };
                weekday.map(|w| self.eval(ctx, w)).unwrap_or_else(|| ordinary.clone())
            };
            let depends = as_holiday != ordinary || (follows_makeup && as_makeup() != ordinary);
            return if depends {
                DayPlan { date, day: DayType::Unknown, ranges: Vec::new(), known: false, rule: Rule::NotLoaded }
            } else {
                DayPlan { date, day: DayType::Unknown, ranges: ordinary, known: true, rule: Rule::Weekly }
            };
        }
        let (day, ranges, rule) = match calendar.kind(date) {
            Some(DayKind::Holiday(name)) => {
                let rule = if self.has_ph_rule() { Rule::PublicHoliday } else { Rule::HolidayKeepsWeekly };
                (DayType::Holiday(name.clone()), self.eval(ctx, date), rule)
            }
            Some(DayKind::Workday(name)) if follows_makeup => {
                let source = calendar.hours_date(date);
                (DayType::Makeup(name.clone()), self.eval(ctx, source), Rule::MakeupFollows(source))
            }
            Some(DayKind::Workday(name)) => {
                (DayType::Makeup(name.clone()), self.eval(ctx, date), Rule::MakeupKeepsWeek)
            }
            None if is_weekend(date) => (DayType::Weekend, self.eval(ctx, date), Rule::Weekly),
            None => (DayType::Workday, self.eval(ctx, date), Rule::Weekly),
        };
        DayPlan { date, day, ranges, known: true, rule }
    }

    /// The hours of an ordinary week (no holidays), Monday first.
    pub fn regular_week(&self) -> [Vec<(u32, u32)>; 7] {
        let ctx = Context::default();
        let mut days = plain_week();
        std::array::from_fn(|_| days.next().map(|date| self.eval(&ctx, date)).unwrap_or_default())
    }
}

/// What a station does on public holidays, in the terms people read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HolidayRule {
    /// Closed (`PH off`).
    Closed,
    /// The same hours on every holiday (`PH 10:00-14:00`), in minutes from midnight.
    Hours(Vec<(u32, u32)>),
    /// The weekly hours apply, whichever day of the week the holiday falls on.
    AsUsual,
}

/// A rule that closes on public holidays: `PH off` or `PH closed`.
fn is_ph_off(rule: &str) -> bool {
    let words: Vec<&str> = rule.split_whitespace().collect();
    matches!(words.as_slice(), ["PH", "off" | "closed"])
}

/// What a station's hours say about a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenState {
    /// Open; closes at the given Unix time, or not within what is known.
    Open { closes: Option<i64> },
    /// Closed; opens at the given Unix time, or not within what is known.
    Closed { opens: Option<i64> },
    /// The calendar that decides this moment is not loaded.
    Unknown,
}

impl OpenState {
    pub fn is_open(self) -> bool {
        matches!(self, OpenState::Open { .. })
    }
}

/// Open periods over a span of days as Unix seconds: what the read snapshot
/// keeps per distinct hours text so that "open now" is a binary search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    pub start: i64,
    pub end: i64,
    /// Sorted, disjoint, merged periods clipped to `start..end`.
    pub open: Vec<(i64, i64)>,
    /// Sorted, disjoint whole days whose hours cannot be told (calendar not loaded).
    pub unknown: Vec<(i64, i64)>,
    /// The plan of each day of the window, the first day first.
    pub days: Vec<DayPlan>,
}

/// Unix time of a Beijing local date-time.
pub fn beijing_ts(local: NaiveDateTime) -> i64 {
    Shanghai
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.timestamp())
        .unwrap_or_else(|| local.and_utc().timestamp() - 8 * 3600)
}

/// Beijing local date-time of a Unix time.
pub fn beijing_local(ts: i64) -> NaiveDateTime {
    Shanghai.timestamp_opt(ts, 0).single().map(|t| t.naive_local()).unwrap_or_default()
}

/// Unix time of a Beijing date's midnight.
pub fn midnight(date: NaiveDate) -> i64 {
    beijing_ts(date.and_time(chrono::NaiveTime::MIN))
}

/// Merges periods into sorted disjoint ones.
fn merge(mut periods: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    periods.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::with_capacity(periods.len());
    for (s, e) in periods {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

impl Timeline {
    /// Evaluates `days` days from `first` (a day before is included so that
    /// periods running past midnight are seen).
    pub fn build(
        hours: &Hours,
        calendar: &HolidayCalendar,
        follows_makeup: bool,
        first: NaiveDate,
        days: u32,
    ) -> Timeline {
        let before = first.pred_opt().unwrap_or(first);
        let plans: Vec<DayPlan> = (0..=days)
            .map(|i| hours.plan(calendar, before + chrono::Days::new(u64::from(i)), follows_makeup))
            .collect();
        let mut open = Vec::new();
        let mut unknown = Vec::new();
        for plan in &plans {
            let start = midnight(plan.date);
            if !plan.known {
                unknown.push((start, start + 86_400));
            }
            open.extend(plan.ranges.iter().map(|(s, e)| (start + i64::from(*s) * 60, start + i64::from(*e) * 60)));
        }
        let (start, end) = (midnight(first), midnight(before) + plans.len() as i64 * 86_400);
        let clip = |periods: Vec<(i64, i64)>| -> Vec<(i64, i64)> {
            merge(periods)
                .into_iter()
                .filter(|(s, e)| *e > start && *s < end)
                .map(|(s, e)| (s.max(start), e.min(end)))
                .collect()
        };
        let days = plans.into_iter().skip(1).collect();
        Timeline { start, end, open: clip(open), unknown: clip(unknown), days }
    }

    /// Open periods within the day starting at `midnight`, in minutes from it.
    pub fn day_minutes(&self, midnight: i64) -> Vec<(u32, u32)> {
        let end = midnight + 86_400;
        self.open
            .iter()
            .filter(|(s, e)| *e > midnight && *s < end)
            .map(|(s, e)| (((s.max(&midnight) - midnight) / 60) as u32, ((e.min(&end) - midnight) / 60) as u32))
            .collect()
    }

    /// The plan of a date inside the window.
    pub fn day(&self, date: NaiveDate) -> Option<&DayPlan> {
        let first = self.days.first()?.date;
        let i = usize::try_from((date - first).num_days()).ok()?;
        self.days.get(i)
    }

    fn unknown_at(&self, ts: i64) -> bool {
        let i = self.unknown.partition_point(|(s, _)| *s <= ts);
        i > 0 && self.unknown[i - 1].1 > ts
    }

    /// The start of the first unknown day after `ts`, if the window has one.
    pub fn unknown_from(&self, ts: i64) -> Option<i64> {
        self.unknown.iter().map(|(s, _)| *s).find(|s| *s > ts)
    }

    /// Open at `ts`? False when unknown.
    pub fn is_open(&self, ts: i64) -> bool {
        self.state(ts).is_open()
    }

    /// The state at `ts` with the next change, if it is known.
    pub fn state(&self, ts: i64) -> OpenState {
        if self.unknown_at(ts) {
            return OpenState::Unknown;
        }
        let unknown_next = self.unknown_from(ts).unwrap_or(i64::MAX);
        let i = self.open.partition_point(|(s, _)| *s <= ts);
        if i > 0 && self.open[i - 1].1 > ts {
            let closes = self.open[i - 1].1;
            // An end at the window's edge or where the unknown begins is not a known closing.
            OpenState::Open { closes: (closes < self.end && closes < unknown_next).then_some(closes) }
        } else {
            OpenState::Closed { opens: self.open.get(i).map(|p| p.0).filter(|s| *s < unknown_next) }
        }
    }
}

/// Days of the week, Monday first, as the regular-week arrays are indexed.
pub const WEEKDAYS: [Weekday; 7] =
    [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];

/// Consecutive weekdays that keep the same hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekRun {
    pub first: Weekday,
    pub last: Weekday,
    pub ranges: Vec<(u32, u32)>,
}

/// Groups a regular week (Monday first) into runs of days with the same hours.
pub fn group_week(week: &[Vec<(u32, u32)>; 7]) -> Vec<WeekRun> {
    let mut runs: Vec<WeekRun> = Vec::new();
    for (day, ranges) in WEEKDAYS.iter().zip(week) {
        match runs.last_mut() {
            Some(run) if run.ranges == *ranges => run.last = *day,
            _ => runs.push(WeekRun { first: *day, last: *day, ranges: ranges.clone() }),
        }
    }
    runs
}

/// "09:00–17:30"; an end past midnight reads "次日" style as 26:00 → "02:00+1".
pub fn format_range((start, end): (u32, u32)) -> String {
    let fmt = |m: u32| {
        if m > 1440 {
            format!("{:02}:{:02}⁺¹", (m - 1440) / 60, m % 60)
        } else {
            format!("{:02}:{:02}", m / 60, m % 60)
        }
    };
    format!("{}–{}", fmt(start), fmt(end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::samples::national_day_2025;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn at(s: &str) -> i64 {
        beijing_ts(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap())
    }

    /// Only 2025 loaded, with no special day: an ordinary year.
    fn plain_2025() -> HolidayCalendar {
        HolidayCalendar::new([], [2025])
    }

    #[test]
    fn rejects_bad_syntax() {
        assert_eq!(Hours::parse("  ").unwrap_err(), HoursError::Empty);
        assert!(matches!(Hours::parse("Mo-Fr 25:99-99:00"), Err(HoursError::Syntax(_))));
        assert!(matches!(Hours::parse("whenever"), Err(HoursError::Syntax(_))));
        assert_eq!(Hours::parse(&"Mo ".repeat(100)).unwrap_err(), HoursError::TooLong);
    }

    #[test]
    fn always_open() {
        let h = Hours::parse("24/7").unwrap();
        let t = Timeline::build(&h, &national_day_2025(), true, d("2025-09-30"), 7);
        assert!(t.is_open(at("2025-10-01 03:00")));
        assert_eq!(t.state(at("2025-10-01 03:00")), OpenState::Open { closes: None });
        assert!(h.opens_on_holidays());
    }

    #[test]
    fn weekday_hours_and_next_change() {
        let h = Hours::parse("Mo-Fr 09:00-17:30").unwrap();
        // Monday 17 November 2025.
        let t = Timeline::build(&h, &plain_2025(), true, d("2025-11-17"), 8);
        assert_eq!(t.state(at("2025-11-17 10:00")), OpenState::Open { closes: Some(at("2025-11-17 17:30")) });
        assert_eq!(t.state(at("2025-11-17 17:30")), OpenState::Closed { opens: Some(at("2025-11-18 09:00")) });
        // Friday evening: the next opening is Monday.
        assert_eq!(t.state(at("2025-11-21 18:00")), OpenState::Closed { opens: Some(at("2025-11-24 09:00")) });
        assert!(!t.is_open(at("2025-11-22 10:00")), "Saturday");
    }

    #[test]
    fn public_holiday_off() {
        let cal = national_day_2025();
        let h = Hours::parse("Mo-Fr 09:00-17:30; PH off").unwrap();
        assert!(!h.opens_on_holidays());
        let t = Timeline::build(&h, &cal, true, d("2025-09-29"), 14);
        assert!(t.is_open(at("2025-09-30 10:00")), "Tuesday before the holiday");
        assert!(!t.is_open(at("2025-10-01 10:00")), "Wednesday, National Day");
        assert!(!t.is_open(at("2025-10-08 10:00")), "last day of the holiday");
        assert!(t.is_open(at("2025-10-09 10:00")));
        assert_eq!(t.day(d("2025-10-02")).unwrap().rule, Rule::PublicHoliday);
        // Without a PH rule the weekly hours apply on holidays.
        let plain = Hours::parse("Mo-Fr 09:00-17:30").unwrap();
        let t = Timeline::build(&plain, &cal, true, d("2025-09-29"), 7);
        assert!(t.is_open(at("2025-10-02 10:00")));
        assert_eq!(t.day(d("2025-10-02")).unwrap().rule, Rule::HolidayKeepsWeekly);
    }

    #[test]
    fn the_holiday_choice_is_written_into_the_text() {
        let plain = Hours::parse("Mo-Fr 09:00-17:30").unwrap();
        assert_eq!(plain.with_holidays(false).unwrap().raw(), "Mo-Fr 09:00-17:30; PH off");
        assert_eq!(plain.with_holidays(true).unwrap().raw(), "Mo-Fr 09:00-17:30");
        let off = Hours::parse("Mo-Fr 09:00-17:30; PH off").unwrap();
        assert_eq!(off.with_holidays(false).unwrap().raw(), "Mo-Fr 09:00-17:30; PH off");
        assert_eq!(off.with_holidays(true).unwrap_err(), HolidayConflict::TextSaysClosed);
        assert_eq!(off.without_ph_off(), "Mo-Fr 09:00-17:30");
        let ph_hours = Hours::parse("Mo-Fr 09:00-17:30; PH 10:00-14:00").unwrap();
        assert!(ph_hours.opens_on_holidays());
        assert_eq!(ph_hours.with_holidays(false).unwrap_err(), HolidayConflict::TextSaysOpen);
        assert_eq!(ph_hours.without_ph_off(), "Mo-Fr 09:00-17:30; PH 10:00-14:00");
        assert!(!Hours::parse("24/7; PH closed").unwrap().opens_on_holidays());
        // What people read about holidays.
        assert_eq!(Hours::parse("24/7; PH off").unwrap().holiday_rule(), HolidayRule::Closed);
        assert_eq!(off.holiday_rule(), HolidayRule::Closed);
        assert_eq!(ph_hours.holiday_rule(), HolidayRule::Hours(vec![(600, 840)]));
        assert_eq!(plain.holiday_rule(), HolidayRule::AsUsual);
        assert_eq!(
            Hours::parse("Mo-Su 08:00-18:00; PH 08:00-18:00").unwrap().holiday_rule(),
            HolidayRule::Hours(vec![(480, 1080)])
        );
        assert!(!Hours::parse("Mo-Su 08:00-18:00 \"PHONE first\"").unwrap().has_ph_rule());
    }

    #[test]
    fn makeup_working_sunday_follows_weekday_hours() {
        let cal = national_day_2025();
        let h = Hours::parse("Mo-Fr 09:00-17:30; PH off").unwrap();
        let t = Timeline::build(&h, &cal, true, d("2025-09-27"), 20);
        assert!(t.is_open(at("2025-09-28 10:00")), "Sunday 28 September is a working day");
        assert!(!t.is_open(at("2025-09-27 10:00")), "Saturday 27 September is not");
        assert!(t.is_open(at("2025-10-11 10:00")), "Saturday 11 October is a working day");
        assert!(!t.is_open(at("2025-10-12 10:00")));
        assert_eq!(t.day(d("2025-09-28")).unwrap().rule, Rule::MakeupFollows(d("2025-09-29")));
    }

    #[test]
    fn a_host_that_keeps_its_week_ignores_makeup_days() {
        let cal = national_day_2025();
        let h = Hours::parse("Mo-Sa 09:00-17:00; Su off").unwrap();
        let t = Timeline::build(&h, &cal, false, d("2025-09-27"), 3);
        assert!(!t.is_open(at("2025-09-28 10:00")), "a restaurant keeps Sunday off on a make-up Sunday");
        assert_eq!(t.day(d("2025-09-28")).unwrap().rule, Rule::MakeupKeepsWeek);
        let t = Timeline::build(&h, &cal, true, d("2025-09-27"), 3);
        assert!(t.is_open(at("2025-09-28 10:00")), "a government hall works it");
    }

    #[test]
    fn next_change_across_midnight() {
        let h = Hours::parse("Mo-Su 18:00-02:00").unwrap();
        let t = Timeline::build(&h, &plain_2025(), true, d("2025-11-17"), 7);
        assert_eq!(t.state(at("2025-11-17 23:00")), OpenState::Open { closes: Some(at("2025-11-18 02:00")) });
        assert!(t.is_open(at("2025-11-18 01:30")));
        assert_eq!(t.state(at("2025-11-18 02:00")), OpenState::Closed { opens: Some(at("2025-11-18 18:00")) });
        // The first day of the window still sees the previous evening's period.
        assert!(t.is_open(at("2025-11-17 01:00")));
    }

    #[test]
    fn hours_past_midnight_on_a_holiday_eve() {
        // 30 September 2025 is the eve of National Day. As in the OSM specification,
        // `PH off` rules the whole holiday, the hours after midnight of the eve's
        // evening included: the evening closes at midnight and says so.
        let h = Hours::parse("Mo-Su 18:00-02:00; PH off").unwrap();
        let t = Timeline::build(&h, &national_day_2025(), true, d("2025-09-29"), 4);
        assert_eq!(t.state(at("2025-09-29 23:00")), OpenState::Open { closes: Some(at("2025-09-30 02:00")) });
        assert_eq!(t.state(at("2025-09-30 23:00")), OpenState::Open { closes: Some(at("2025-10-01 00:00")) });
        assert!(!t.is_open(at("2025-10-01 01:00")), "the holiday begins at midnight");
        assert!(!t.is_open(at("2025-10-01 19:00")), "the holiday's own evening is off");
        assert_eq!(t.state(at("2025-10-01 01:00")), OpenState::Closed { opens: None }, "not within the window");
        // A 24/7 station closed on holidays closes at the eve's midnight.
        let h = Hours::parse("24/7; PH off").unwrap();
        let t = Timeline::build(&h, &national_day_2025(), true, d("2025-09-30"), 12);
        assert_eq!(t.state(at("2025-09-30 10:00")), OpenState::Open { closes: Some(at("2025-10-01 00:00")) });
        assert_eq!(t.state(at("2025-10-01 10:00")), OpenState::Closed { opens: Some(at("2025-10-09 00:00")) });
    }

    #[test]
    fn a_year_not_loaded_is_unknown_where_it_matters() {
        let cal = plain_2025();
        let closed_on_holidays = Hours::parse("Mo-Fr 08:00-18:00; PH off").unwrap();
        // Friday 1 January 2027, with only 2025 loaded.
        let t = Timeline::build(&closed_on_holidays, &cal, true, d("2027-01-01"), 3);
        assert_eq!(t.state(at("2027-01-01 10:00")), OpenState::Unknown);
        assert!(!t.is_open(at("2027-01-01 10:00")));
        assert_eq!(t.day(d("2027-01-01")).unwrap().day, DayType::Unknown);
        assert!(!t.day(d("2027-01-01")).unwrap().known);
        for unaffected in ["24/7", "Mo-Su 10:00-22:00"] {
            let h = Hours::parse(unaffected).unwrap();
            let t = Timeline::build(&h, &cal, true, d("2027-01-01"), 3);
            assert!(t.is_open(at("2027-01-01 12:00")), "{unaffected}");
        }
        // The next change is not named when it falls where the calendar ends.
        let t = Timeline::build(&closed_on_holidays, &cal, true, d("2025-12-19"), 14);
        assert_eq!(t.state(at("2025-12-19 20:00")), OpenState::Closed { opens: Some(at("2025-12-22 08:00")) });
        assert_eq!(t.state(at("2025-12-24 20:00")), OpenState::Closed { opens: None });
        assert_eq!(t.unknown_from(at("2025-12-24 20:00")), Some(at("2025-12-25 00:00")));
        let always = Hours::parse("24/7; PH off").unwrap();
        let t = Timeline::build(&always, &cal, true, d("2025-12-24"), 3);
        assert_eq!(t.state(at("2025-12-24 10:00")), OpenState::Open { closes: None });
    }

    #[test]
    fn week_groups_read_as_runs() {
        let h = Hours::parse("Mo-Fr 09:00-17:30; Sa 10:00-12:00").unwrap();
        let groups = group_week(&h.regular_week());
        assert_eq!(groups.len(), 3);
        assert_eq!((groups[0].first, groups[0].last), (Weekday::Mon, Weekday::Fri));
        assert_eq!(groups[0].ranges, vec![(540, 1050)]);
        assert_eq!(groups[2].ranges, Vec::<(u32, u32)>::new());
        assert_eq!(format_range((540, 1050)), "09:00–17:30");
        assert_eq!(format_range((1080, 1560)), "18:00–02:00⁺¹");
    }
}
