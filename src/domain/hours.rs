//! Opening hours in OSM `opening_hours` syntax, evaluated in Beijing time with
//! the China holiday calendar.

use chrono::{NaiveDate, NaiveDateTime, TimeZone, Weekday};
use chrono_tz::Asia::Shanghai;
use opening_hours::OpeningHours as Oh;
use opening_hours::RuleKind;

use super::calendar::HolidayCalendar;

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

    /// Whether the expression says anything about public holidays.
    pub fn mentions_holidays(&self) -> bool {
        self.raw.contains("PH")
    }

    /// The hours a station really keeps: a station that does not open on public
    /// holidays and whose hours do not say so gets "PH off" appended.
    pub fn effective(&self, holiday_open: bool) -> Hours {
        if holiday_open || self.mentions_holidays() {
            return self.clone();
        }
        let raw = format!("{}; PH off", self.raw);
        match raw.parse::<Oh>() {
            Ok(parsed) => Hours { raw, parsed },
            Err(_) => self.clone(),
        }
    }

    /// Open periods of one calendar day, in minutes from that day's midnight.
    /// An end above 1440 runs past midnight. A 调休 working day takes the hours
    /// of the nearest ordinary weekday.
    pub fn day_ranges(&self, calendar: &HolidayCalendar, date: NaiveDate) -> Vec<(u32, u32)> {
        let source = calendar.hours_date(date);
        let oh = self.parsed.clone().with_context(calendar.context());
        oh.schedule_at(source)
            .into_iter()
            .filter(|r| r.kind == RuleKind::Open)
            .map(|r| (u32::from(r.range.start.mins_from_midnight()), u32::from(r.range.end.mins_from_midnight())))
            .filter(|(s, e)| e > s)
            .collect()
    }

    /// The hours of an ordinary week (no holidays), Monday first.
    pub fn regular_week(&self) -> [Vec<(u32, u32)>; 7] {
        let plain = HolidayCalendar::default();
        // 3–9 March 2025: a week without holidays or make-up days.
        let monday = NaiveDate::from_ymd_opt(2025, 3, 3).unwrap_or_default();
        std::array::from_fn(|i| self.day_ranges(&plain, monday + chrono::Days::new(i as u64)))
    }

    /// Open around the clock every day of an ordinary week.
    pub fn is_24_7(&self) -> bool {
        let week = self.regular_week();
        let timeline = Timeline::from_days(NaiveDate::from_ymd_opt(2025, 3, 3).unwrap_or_default(), week.to_vec());
        timeline.open.len() == 1 && timeline.open[0] == (timeline.start, timeline.end)
    }
}

/// What a station's hours say about a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenState {
    /// Open; closes at the given Unix time, or not within the window.
    Open { closes: Option<i64> },
    /// Closed; opens at the given Unix time, or not within the window.
    Closed { opens: Option<i64> },
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

impl Timeline {
    /// Evaluates `days` days from `first` (a day before is included so that
    /// periods running past midnight are seen).
    pub fn build(hours: &Hours, calendar: &HolidayCalendar, first: NaiveDate, days: u32) -> Timeline {
        let before = first.pred_opt().unwrap_or(first);
        let per_day =
            (0..=days).map(|i| hours.day_ranges(calendar, before + chrono::Days::new(u64::from(i)))).collect();
        let mut timeline = Timeline::from_days(before, per_day);
        timeline.start = beijing_ts(first.and_time(chrono::NaiveTime::MIN));
        timeline.clip();
        timeline
    }

    fn from_days(first: NaiveDate, per_day: Vec<Vec<(u32, u32)>>) -> Timeline {
        let start = beijing_ts(first.and_time(chrono::NaiveTime::MIN));
        let end = start + per_day.len() as i64 * 86_400;
        let mut periods: Vec<(i64, i64)> = per_day
            .iter()
            .enumerate()
            .flat_map(|(i, ranges)| {
                let midnight = start + i as i64 * 86_400;
                ranges.iter().map(move |(s, e)| (midnight + i64::from(*s) * 60, midnight + i64::from(*e) * 60))
            })
            .collect();
        periods.sort_unstable();
        let mut open: Vec<(i64, i64)> = Vec::with_capacity(periods.len());
        for (s, e) in periods {
            match open.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => open.push((s, e)),
            }
        }
        let mut timeline = Timeline { start, end, open };
        timeline.clip();
        timeline
    }

    fn clip(&mut self) {
        let (start, end) = (self.start, self.end);
        self.open.retain(|(s, e)| *e > start && *s < end);
        for period in &mut self.open {
            period.0 = period.0.max(start);
            period.1 = period.1.min(end);
        }
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

    /// Open at `ts`?
    pub fn is_open(&self, ts: i64) -> bool {
        let i = self.open.partition_point(|(s, _)| *s <= ts);
        i > 0 && self.open[i - 1].1 > ts
    }

    /// The state at `ts` with the next change, if it is inside the window.
    pub fn state(&self, ts: i64) -> OpenState {
        let i = self.open.partition_point(|(s, _)| *s <= ts);
        if i > 0 && self.open[i - 1].1 > ts {
            let closes = self.open[i - 1].1;
            OpenState::Open { closes: (closes < self.end).then_some(closes) }
        } else {
            OpenState::Closed { opens: self.open.get(i).map(|p| p.0) }
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
    use crate::domain::calendar::DayKind;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn at(s: &str) -> i64 {
        beijing_ts(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap())
    }

    fn national_day_2025() -> HolidayCalendar {
        HolidayCalendar::new(
            (1..=8)
                .map(|day| (NaiveDate::from_ymd_opt(2025, 10, day).unwrap(), DayKind::Holiday("国庆节".into())))
                .chain([
                    (d("2025-09-28"), DayKind::Workday("国庆节".into())),
                    (d("2025-10-11"), DayKind::Workday("国庆节".into())),
                ]),
        )
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
        assert!(h.is_24_7());
        let cal = national_day_2025();
        let t = Timeline::build(&h, &cal, d("2025-09-30"), 7);
        assert!(t.is_open(at("2025-10-01 03:00")));
        assert_eq!(t.state(at("2025-10-01 03:00")), OpenState::Open { closes: None });
        assert!(!Hours::parse("Mo-Su 08:00-18:00").unwrap().is_24_7());
    }

    #[test]
    fn weekday_hours_and_next_change() {
        let h = Hours::parse("Mo-Fr 09:00-17:30").unwrap();
        let cal = HolidayCalendar::default();
        // Monday 17 November 2025.
        let t = Timeline::build(&h, &cal, d("2025-11-17"), 8);
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
        let t = Timeline::build(&h, &cal, d("2025-09-29"), 14);
        assert!(t.is_open(at("2025-09-30 10:00")), "Tuesday before the holiday");
        assert!(!t.is_open(at("2025-10-01 10:00")), "Wednesday, National Day");
        assert!(!t.is_open(at("2025-10-08 10:00")), "last day of the holiday");
        assert!(t.is_open(at("2025-10-09 10:00")));
        // Without "PH off" but not open on holidays, the flag closes it too.
        let plain = Hours::parse("Mo-Fr 09:00-17:30").unwrap();
        let eff = plain.effective(false);
        assert_eq!(eff.raw(), "Mo-Fr 09:00-17:30; PH off");
        assert!(!Timeline::build(&eff, &cal, d("2025-09-29"), 7).is_open(at("2025-10-02 10:00")));
        assert!(Timeline::build(&plain.effective(true), &cal, d("2025-09-29"), 7).is_open(at("2025-10-02 10:00")));
    }

    #[test]
    fn makeup_working_sunday_follows_weekday_hours() {
        let cal = national_day_2025();
        let h = Hours::parse("Mo-Fr 09:00-17:30; PH off").unwrap();
        let t = Timeline::build(&h, &cal, d("2025-09-27"), 20);
        assert!(t.is_open(at("2025-09-28 10:00")), "Sunday 28 September is a working day");
        assert!(!t.is_open(at("2025-09-27 10:00")), "Saturday 27 September is not");
        assert!(t.is_open(at("2025-10-11 10:00")), "Saturday 11 October is a working day");
        assert!(!t.is_open(at("2025-10-12 10:00")));
    }

    #[test]
    fn next_change_across_midnight() {
        let h = Hours::parse("Mo-Su 18:00-02:00").unwrap();
        let cal = HolidayCalendar::default();
        let t = Timeline::build(&h, &cal, d("2025-11-17"), 7);
        assert_eq!(t.state(at("2025-11-17 23:00")), OpenState::Open { closes: Some(at("2025-11-18 02:00")) });
        assert!(t.is_open(at("2025-11-18 01:30")));
        assert_eq!(t.state(at("2025-11-18 02:00")), OpenState::Closed { opens: Some(at("2025-11-18 18:00")) });
        // The first day of the window still sees the previous evening's period.
        assert!(t.is_open(at("2025-11-17 01:00")));
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
