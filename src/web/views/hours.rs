//! Opening hours in words: the week in runs of days, then public holidays and make-up
//! working days, as the station page, posters, print lists and the ledger preview say them.

use crate::domain::hours::{HolidayRule, Hours, WEEKDAYS, WeekRun, format_range, group_week};
use crate::snapshot::Entry;
use crate::web::i18n::Lang;
use crate::web::page::WEEKDAY_KEYS;

/// One line of the hours table.
pub struct HoursLine {
    pub label: String,
    pub hours: String,
    pub note: String,
    pub today: bool,
}

impl HoursLine {
    /// The line as one piece of text ("周一至周五 08:00–18:00"), where there is no table.
    pub fn text(&self) -> String {
        format!("{} {}", self.label, self.hours)
    }
}

pub fn ranges_text(lang: Lang, ranges: &[(u32, u32)]) -> String {
    if ranges.is_empty() {
        return lang.t("hours.closed_day").into_owned();
    }
    if ranges == [(0, 1440)] {
        return lang.t("hours.all_day").into_owned();
    }
    ranges.iter().map(|r| format_range(*r)).collect::<Vec<_>>().join(", ")
}

/// The regular week grouped into runs of days, in words ("周一至周五 08:00–18:00"),
/// as precomputed in the snapshot; empty when the hours are not known.
pub fn week_lines(entry: &Entry, lang: Lang) -> Vec<HoursLine> {
    let (Some(runs), Some(_), Some(hours)) = (&entry.week, &entry.timeline, &entry.station.hours) else {
        return Vec::new();
    };
    hours_lines(hours, runs, entry.station.works_makeup_days, lang)
}

/// The week of `hours` in runs of days (`runs`, from [`group_week`]), then what the
/// station does on public holidays and make-up working days: the lines of the station
/// page, posters and print lists.
pub fn hours_lines(hours: &Hours, runs: &[WeekRun], works_makeup_days: bool, lang: Lang) -> Vec<HoursLine> {
    let day = |w: chrono::Weekday| lang.label("weekday", WEEKDAY_KEYS[w.num_days_from_monday() as usize]).into_owned();
    runs.iter()
        .map(|run| {
            let label = if run.first == run.last {
                day(run.first)
            } else if run.first == WEEKDAYS[0] && run.last == WEEKDAYS[6] {
                lang.t("hours.every_day").into_owned()
            } else {
                lang.tf("hours.range", &[("from", &day(run.first)), ("to", &day(run.last))])
            };
            HoursLine { label, hours: ranges_text(lang, &run.ranges), note: String::new(), today: false }
        })
        .chain(holiday_lines(hours, works_makeup_days, lang, runs.len() > 1))
        .collect()
}

/// Hours in words on one line, the lines of [`hours_lines`] one after the other
/// ("周一至周五 09:00–17:30；周六至周日 休息；法定节假日 休息；…"): where a table has no room,
/// as in a ledger import's list of changes.
pub fn hours_in_words(hours: &Hours, works_makeup_days: bool, lang: Lang) -> String {
    let runs = group_week(&hours.regular_week());
    hours_lines(hours, &runs, works_makeup_days, lang)
        .iter()
        .map(HoursLine::text)
        .collect::<Vec<_>>()
        .join(&lang.t("hours.line_separator"))
}

/// What the station does on public holidays and, when its week is not the same every
/// day, on make-up working days (调休上班日): lines that follow the week wherever the
/// week is written, so that a poster never leaves the holiday closure out.
fn holiday_lines(hours: &Hours, works_makeup_days: bool, lang: Lang, week_varies: bool) -> Vec<HoursLine> {
    let line = |label: &str, hours: String| HoursLine {
        label: lang.t(label).into_owned(),
        hours,
        note: String::new(),
        today: false,
    };
    let mut lines = vec![line(
        "hours.ph_label",
        match hours.holiday_rule() {
            HolidayRule::Closed => lang.t("hours.ph_closed").into_owned(),
            HolidayRule::Hours(ranges) => ranges_text(lang, &ranges),
            HolidayRule::AsUsual => lang.t("hours.ph_as_usual").into_owned(),
        },
    )];
    if week_varies {
        let key = if works_makeup_days { "hours.makeup_as_workday" } else { "hours.makeup_own_week" };
        lines.push(line("hours.makeup_label", lang.t(key).into_owned()));
    }
    lines
}
