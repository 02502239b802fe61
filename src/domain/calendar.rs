//! China's public-holiday calendar, with 调休 make-up working days, as data.
//!
//! The State Council publishes each year's schedule (its "notice") in November of
//! the year before. A notice for year Y can reach back into December of Y−1 (the
//! 2019 notice made 30–31 December 2018 holidays and 29 December a working day), so
//! every day belongs to the notice that decides it. The calendar knows which notice
//! years are loaded; a date no loaded notice decides is unknown, never guessed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate, Weekday};
use compact_calendar::CompactCalendar;
use opening_hours::{Context, ContextHolidays};

/// From this day of December on, a date may belong to the next year's notice too.
pub const NEXT_NOTICE_REACH_DAY: u32 = 25;

/// Earliest and latest notice years accepted (the schedule exists since 1999).
pub const YEARS: std::ops::RangeInclusive<i32> = 1999..=2100;

/// What a date is in the official calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayKind {
    /// A statutory day off (放假), named after its festival.
    Holiday(String),
    /// A weekend day that is a working day (调休补班), named after its festival.
    Workday(String),
}

impl DayKind {
    /// The festival's name as the notice gives it (元旦, 春节, …).
    pub fn festival(&self) -> &str {
        match self {
            DayKind::Holiday(n) | DayKind::Workday(n) => n,
        }
    }

    /// The stored key of the kind.
    pub fn key(&self) -> &'static str {
        match self {
            DayKind::Holiday(_) => "holiday",
            DayKind::Workday(_) => "workday",
        }
    }

    /// Builds a kind from its stored key and festival name.
    pub fn from_key(key: &str, festival: String) -> Option<DayKind> {
        match key {
            "holiday" => Some(DayKind::Holiday(festival)),
            "workday" => Some(DayKind::Workday(festival)),
            _ => None,
        }
    }
}

/// One dated entry of a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub kind: DayKind,
    /// The notice year this day belongs to (its own year, or the next for a late-December day).
    pub notice_year: i32,
}

impl CalendarDay {
    /// A day of the notice of `date`'s year, except a New Year (元旦) day in December,
    /// which belongs to the next year's notice.
    pub fn new(date: NaiveDate, kind: DayKind) -> CalendarDay {
        let new_year = matches!(kind.festival(), "元旦" | "New Year's Day" | "New Year");
        let notice_year = if date.month() == 12 && new_year { date.year() + 1 } else { date.year() };
        CalendarDay { date, kind, notice_year }
    }
}

/// The official calendar: holidays and make-up working days by date, and which
/// notice years are loaded.
#[derive(Debug, Clone, Default)]
pub struct HolidayCalendar {
    days: BTreeMap<NaiveDate, CalendarDay>,
    years: BTreeSet<i32>,
    context: Context,
}

impl HolidayCalendar {
    /// Builds the calendar from its days (later entries win on the same date) and the
    /// notice years that are loaded (a year with no special day at all is still loaded).
    pub fn new(days: impl IntoIterator<Item = CalendarDay>, years: impl IntoIterator<Item = i32>) -> Self {
        let mut years: BTreeSet<i32> = years.into_iter().collect();
        let mut map = BTreeMap::new();
        for day in days {
            years.insert(day.notice_year);
            map.insert(day.date, day);
        }
        let mut public = CompactCalendar::default();
        for (date, day) in &map {
            if matches!(day.kind, DayKind::Holiday(_)) {
                public.insert(*date);
            }
        }
        let holidays = ContextHolidays::new(Arc::new(public), Arc::new(CompactCalendar::default()));
        let context = Context::default().with_holidays(holidays);
        HolidayCalendar { days: map, years, context }
    }

    /// The kind of a date, if it is special.
    pub fn kind(&self, date: NaiveDate) -> Option<&DayKind> {
        self.days.get(&date).map(|d| &d.kind)
    }

    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        matches!(self.kind(date), Some(DayKind::Holiday(_)))
    }

    pub fn is_makeup_workday(&self, date: NaiveDate) -> bool {
        matches!(self.kind(date), Some(DayKind::Workday(_)))
    }

    /// The notice years loaded, in order.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    /// Whether the loaded notices decide `date`: its year's notice is loaded and, late
    /// in December, the next year's too.
    pub fn covers(&self, date: NaiveDate) -> bool {
        let year = date.year();
        self.years.contains(&year)
            && (date.month() < 12 || date.day() < NEXT_NOTICE_REACH_DAY || self.years.contains(&(year + 1)))
    }

    /// The notice year that must be loaded for `date` to be decided (`None` if it is).
    pub fn missing_year(&self, date: NaiveDate) -> Option<i32> {
        if self.covers(date) {
            return None;
        }
        Some(if self.years.contains(&date.year()) { date.year() + 1 } else { date.year() })
    }

    /// The last day of the run of decided days that contains `today` (`None` when
    /// `today` itself is not decided).
    pub fn known_until(&self, today: NaiveDate) -> Option<NaiveDate> {
        if !self.covers(today) {
            return None;
        }
        let mut year = today.year();
        while self.years.contains(&(year + 1)) {
            year += 1;
        }
        // The last loaded year is decided up to the day before the next notice may reach.
        NaiveDate::from_ymd_opt(year, 12, NEXT_NOTICE_REACH_DAY - 1)
    }

    /// The calendar is about to end (or has): from 1 December of the last loaded
    /// notice year on, or when none is loaded. The answer is the last loaded year
    /// and the last day the loaded notices decide.
    pub fn ending(&self, today: NaiveDate) -> Option<(Option<i32>, Option<NaiveDate>)> {
        let Some(&last) = self.years.last() else { return Some((None, None)) };
        let warn_from = NaiveDate::from_ymd_opt(last, 12, 1)?;
        (today >= warn_from).then(|| (Some(last), NaiveDate::from_ymd_opt(last, 12, NEXT_NOTICE_REACH_DAY - 1)))
    }

    /// An ordinary working day: Monday to Friday, neither holiday nor make-up day.
    pub fn is_ordinary_weekday(&self, date: NaiveDate) -> bool {
        !is_weekend(date) && !self.days.contains_key(&date)
    }

    /// The evaluation context for `opening_hours`, carrying the public holidays.
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// The date whose hours a make-up working day follows: the nearest ordinary
    /// weekday (the day before wins a tie), so that "Mo-Fr" hours apply on a 调休 Sunday.
    pub fn hours_date(&self, date: NaiveDate) -> NaiveDate {
        if !self.is_makeup_workday(date) {
            return date;
        }
        for offset in 1..=14 {
            for candidate in [date - chrono::Days::new(offset), date + chrono::Days::new(offset)] {
                if self.is_ordinary_weekday(candidate) {
                    return candidate;
                }
            }
        }
        date
    }

    /// The days of one notice year, in date order.
    pub fn notice(&self, year: i32) -> Vec<CalendarDay> {
        self.days.values().filter(|d| d.notice_year == year).cloned().collect()
    }
}

/// The stable key of a festival named in the notices (for its name in other
/// languages), `None` for a name the notices have not used.
pub fn festival_key(name: &str) -> Option<&'static str> {
    Some(match name {
        "元旦" => "new_year",
        "春节" => "spring_festival",
        "清明" | "清明节" => "qingming",
        "劳动节" => "labour_day",
        "端午" | "端午节" => "dragon_boat",
        "中秋" | "中秋节" => "mid_autumn",
        "国庆" | "国庆节" => "national_day",
        _ => return None,
    })
}

/// Saturday or Sunday.
pub fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// A holiday period of a notice: a festival's name and its first and last day off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayPeriod {
    pub name: String,
    pub first: NaiveDate,
    pub last: NaiveDate,
}

/// Why a notice year was refused.
/// Longest festival name, in characters: the State Council's one-off notices name days
/// such as 中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日 (24).
pub const MAX_FESTIVAL_NAME: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoticeError {
    #[error("year {0} is outside 1999–2100")]
    Year(i32),
    #[error("{0}: the festival name is empty or longer than 40 characters")]
    Name(String),
    #[error("{0}: the last day is before the first")]
    Backwards(String),
    #[error("{0}: a holiday period longer than 15 days")]
    TooLong(String),
    #[error("{0} is not in the notice of {1} (December of the year before at the earliest)")]
    OutOfYear(NaiveDate, i32),
    #[error("{0} is given twice")]
    Twice(NaiveDate),
    #[error("{0} is a make-up working day but not a Saturday or Sunday")]
    MakeupOnWeekday(NaiveDate),
    #[error("the notice has no holiday")]
    Empty,
}

/// Checks the days of one notice year: every day within December of the year before
/// to the end of the year, make-up days on weekends, festival names short, at least
/// one holiday.
pub fn check_notice(year: i32, days: &[CalendarDay]) -> Result<(), NoticeError> {
    if !YEARS.contains(&year) {
        return Err(NoticeError::Year(year));
    }
    let first_allowed = NaiveDate::from_ymd_opt(year - 1, 12, 1).ok_or(NoticeError::Year(year))?;
    let last_allowed = NaiveDate::from_ymd_opt(year, 12, 31).ok_or(NoticeError::Year(year))?;
    let mut seen = BTreeSet::new();
    for day in days {
        let name = day.kind.festival();
        if name.trim().is_empty() || name.chars().count() > MAX_FESTIVAL_NAME {
            return Err(NoticeError::Name(name.to_string()));
        }
        if day.date < first_allowed || day.date > last_allowed || day.notice_year != year {
            return Err(NoticeError::OutOfYear(day.date, year));
        }
        if !seen.insert(day.date) {
            return Err(NoticeError::Twice(day.date));
        }
        if matches!(day.kind, DayKind::Workday(_)) && !is_weekend(day.date) {
            return Err(NoticeError::MakeupOnWeekday(day.date));
        }
    }
    if !days.iter().any(|d| matches!(d.kind, DayKind::Holiday(_))) {
        return Err(NoticeError::Empty);
    }
    Ok(())
}

/// A notice year from its holiday periods and make-up working days, checked.
pub fn notice_days(
    year: i32,
    periods: &[HolidayPeriod],
    makeup: &[(NaiveDate, String)],
) -> Result<Vec<CalendarDay>, NoticeError> {
    let mut days = Vec::new();
    for p in periods {
        if p.last < p.first {
            return Err(NoticeError::Backwards(p.name.clone()));
        }
        if (p.last - p.first).num_days() >= 15 {
            return Err(NoticeError::TooLong(p.name.clone()));
        }
        let name = p.name.trim().to_string();
        days.extend(p.first.iter_days().take_while(|d| *d <= p.last).map(|date| CalendarDay {
            date,
            kind: DayKind::Holiday(name.clone()),
            notice_year: year,
        }));
    }
    days.extend(makeup.iter().map(|(date, name)| CalendarDay {
        date: *date,
        kind: DayKind::Workday(name.trim().to_string()),
        notice_year: year,
    }));
    check_notice(year, &days)?;
    days.sort_by_key(|d| d.date);
    Ok(days)
}

/// A notice year's days back as holiday periods (runs of consecutive days off with one
/// name) and make-up days: what the calendar form shows.
pub fn notice_periods(days: &[CalendarDay]) -> (Vec<HolidayPeriod>, Vec<(NaiveDate, String)>) {
    let mut periods: Vec<HolidayPeriod> = Vec::new();
    let mut makeup = Vec::new();
    for day in days {
        match &day.kind {
            DayKind::Holiday(name) => match periods.last_mut() {
                Some(p) if p.name == *name && p.last.succ_opt() == Some(day.date) => p.last = day.date,
                _ => periods.push(HolidayPeriod { name: name.clone(), first: day.date, last: day.date }),
            },
            DayKind::Workday(name) => makeup.push((day.date, name.clone())),
        }
    }
    (periods, makeup)
}

/// Calendars the tests of this and other modules share.
#[cfg(test)]
pub(crate) mod samples {
    use super::*;

    /// 2025 with only its National Day notice entries: 1–8 October off, Sunday
    /// 28 September and Saturday 11 October worked.
    pub(crate) fn national_day_2025() -> HolidayCalendar {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let days = notice_days(
            2025,
            &[HolidayPeriod { name: "国庆节".into(), first: d("2025-10-01"), last: d("2025-10-08") }],
            &[(d("2025-09-28"), "国庆节".into()), (d("2025-10-11"), "国庆节".into())],
        )
        .unwrap();
        HolidayCalendar::new(days, [])
    }
}

#[cfg(test)]
mod tests {
    use super::samples::national_day_2025;
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn makeup_sunday_follows_a_weekday() {
        let cal = national_day_2025();
        assert!(cal.is_makeup_workday(d("2025-09-28")));
        assert_eq!(cal.hours_date(d("2025-09-28")), d("2025-09-29"), "the Monday after is nearest");
        // Saturday 11 October: Friday 10th is one day back and ordinary.
        assert_eq!(cal.hours_date(d("2025-10-11")), d("2025-10-10"));
        assert_eq!(cal.hours_date(d("2025-10-01")), d("2025-10-01"));
        assert!(cal.is_holiday(d("2025-10-03")));
        assert!(!cal.is_ordinary_weekday(d("2025-10-03")));
    }

    #[test]
    fn only_loaded_years_are_covered() {
        let cal = national_day_2025();
        assert!(cal.covers(d("2025-03-01")));
        assert!(!cal.covers(d("2026-03-01")));
        assert!(!cal.covers(d("2024-12-31")));
        // Late December may belong to next year's notice.
        assert!(cal.covers(d("2025-12-24")));
        assert!(!cal.covers(d("2025-12-25")));
        assert_eq!(cal.missing_year(d("2025-12-30")), Some(2026));
        assert_eq!(cal.missing_year(d("2027-01-01")), Some(2027));
        assert_eq!(cal.known_until(d("2025-06-01")), Some(d("2025-12-24")));
        let both = HolidayCalendar::new(cal.notice(2025), [2026]);
        assert!(both.covers(d("2025-12-30")));
        assert_eq!(both.known_until(d("2025-06-01")), Some(d("2026-12-24")));
    }

    #[test]
    fn warns_from_the_first_of_december_of_the_last_year() {
        let cal = HolidayCalendar::new([], [2025, 2026]);
        assert_eq!(cal.ending(d("2026-11-30")), None);
        assert_eq!(cal.ending(d("2026-12-01")), Some((Some(2026), Some(d("2026-12-24")))));
        assert_eq!(cal.ending(d("2027-01-01")), Some((Some(2026), Some(d("2026-12-24")))));
        assert_eq!(HolidayCalendar::default().ending(d("2026-05-01")), Some((None, None)));
    }

    #[test]
    fn december_new_year_days_belong_to_the_next_notice() {
        let day = CalendarDay::new(d("2018-12-30"), DayKind::Holiday("元旦".into()));
        assert_eq!(day.notice_year, 2019);
        let day = CalendarDay::new(d("2018-12-29"), DayKind::Workday("元旦".into()));
        assert_eq!(day.notice_year, 2019);
        assert_eq!(CalendarDay::new(d("2025-10-01"), DayKind::Holiday("国庆节".into())).notice_year, 2025);
    }

    #[test]
    fn notices_are_checked() {
        let p = |n: &str, a: &str, b: &str| HolidayPeriod { name: n.into(), first: d(a), last: d(b) };
        assert_eq!(notice_days(2027, &[], &[]), Err(NoticeError::Empty));
        assert_eq!(
            notice_days(2027, &[p("春节", "2027-02-10", "2027-02-05")], &[]),
            Err(NoticeError::Backwards("春节".into()))
        );
        assert_eq!(
            notice_days(2027, &[p("国庆节", "2028-10-01", "2028-10-07")], &[]),
            Err(NoticeError::OutOfYear(d("2028-10-01"), 2027))
        );
        assert_eq!(
            notice_days(2027, &[p("元旦", "2027-01-01", "2027-01-03")], &[(d("2027-01-05"), "元旦".into())]),
            Err(NoticeError::MakeupOnWeekday(d("2027-01-05")))
        );
        assert_eq!(
            notice_days(2027, &[p("元旦", "2027-01-01", "2027-01-03")], &[(d("2027-01-02"), "元旦".into())]),
            Err(NoticeError::Twice(d("2027-01-02")))
        );
        let days =
            notice_days(2019, &[p("元旦", "2018-12-30", "2019-01-01")], &[(d("2018-12-29"), "元旦".into())]).unwrap();
        assert_eq!(days.len(), 4);
        assert!(days.iter().all(|x| x.notice_year == 2019));
        let (periods, makeup) = notice_periods(&days);
        assert_eq!(periods, vec![p("元旦", "2018-12-30", "2019-01-01")]);
        assert_eq!(makeup, vec![(d("2018-12-29"), "元旦".to_string())]);
    }
}
