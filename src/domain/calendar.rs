//! China's public-holiday calendar, with 调休 make-up working days.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate, Weekday};
use compact_calendar::CompactCalendar;
use opening_hours::{Context, ContextHolidays};

/// What a date is in the official calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayKind {
    /// A statutory day off (放假), named after its festival.
    Holiday(String),
    /// A weekend day that is a working day (调休补班), named after its festival.
    Workday(String),
}

/// The official calendar: holidays and make-up working days, by date.
#[derive(Debug, Clone, Default)]
pub struct HolidayCalendar {
    days: BTreeMap<NaiveDate, DayKind>,
    context: Context,
}

impl HolidayCalendar {
    /// Builds the calendar from its entries (later entries win on the same date).
    pub fn new(entries: impl IntoIterator<Item = (NaiveDate, DayKind)>) -> Self {
        let days: BTreeMap<NaiveDate, DayKind> = entries.into_iter().collect();
        let mut public = CompactCalendar::default();
        for (date, kind) in &days {
            if matches!(kind, DayKind::Holiday(_)) {
                public.insert(*date);
            }
        }
        let holidays = ContextHolidays::new(Arc::new(public), Arc::new(CompactCalendar::default()));
        let context = Context::default().with_holidays(holidays);
        HolidayCalendar { days, context }
    }

    /// The kind of a date, if it is special.
    pub fn kind(&self, date: NaiveDate) -> Option<&DayKind> {
        self.days.get(&date)
    }

    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        matches!(self.days.get(&date), Some(DayKind::Holiday(_)))
    }

    pub fn is_makeup_workday(&self, date: NaiveDate) -> bool {
        matches!(self.days.get(&date), Some(DayKind::Workday(_)))
    }

    /// An ordinary working day: Monday to Friday, neither holiday nor make-up day.
    pub fn is_ordinary_weekday(&self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !self.days.contains_key(&date)
    }

    /// The evaluation context for `opening_hours`, carrying the public holidays.
    pub fn context(&self) -> Context {
        self.context.clone()
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn makeup_sunday_follows_a_weekday() {
        // 2025: 国庆 1–8 October off; Sunday 28 September and Saturday 11 October worked.
        let cal = HolidayCalendar::new(
            (1..=8)
                .map(|day| (NaiveDate::from_ymd_opt(2025, 10, day).unwrap(), DayKind::Holiday("国庆节".into())))
                .chain([
                    (d("2025-09-28"), DayKind::Workday("国庆节".into())),
                    (d("2025-10-11"), DayKind::Workday("国庆节".into())),
                ]),
        );
        assert!(cal.is_makeup_workday(d("2025-09-28")));
        assert_eq!(cal.hours_date(d("2025-09-28")), d("2025-09-29"), "the Monday after is nearest");
        // Saturday 11 October: Friday 10th is one day back and ordinary.
        assert_eq!(cal.hours_date(d("2025-10-11")), d("2025-10-10"));
        assert_eq!(cal.hours_date(d("2025-10-01")), d("2025-10-01"));
        assert!(cal.is_holiday(d("2025-10-03")));
        assert!(!cal.is_ordinary_weekday(d("2025-10-03")));
    }
}
