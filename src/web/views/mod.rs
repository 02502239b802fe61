//! Views shared by the audiences: what one page shows of a thing that staff,
//! supervisors and the public all see (a report, a suggestion, a follow-up, hours in
//! words), and the options of a form. Each audience folder uses these and never
//! another audience's.

pub mod feedback;
pub mod followup;
pub mod hours;
pub mod offline;
pub mod report;
pub mod suggestion;

use std::borrow::Cow;

use crate::domain::district::{DISTRICTS, District};
use crate::domain::station::Verifier;
use crate::web::i18n::Lang;

/// An option of a select or a checkbox in the filter form.
pub struct Choice {
    pub value: Cow<'static, str>,
    pub label: Cow<'static, str>,
    pub selected: bool,
}

impl Choice {
    /// The districts `keep` lets through, in code order, `current` (a code) selected.
    pub fn districts(lang: Lang, current: &str, keep: impl Fn(&District) -> bool) -> Vec<Choice> {
        DISTRICTS
            .iter()
            .filter(|d| keep(d))
            .map(|d| Choice {
                value: d.code.to_string().into(),
                label: d.name(lang.is_zh()).into(),
                selected: d.code.to_string() == current,
            })
            .collect()
    }
}

/// "丰台区、大兴区".
pub fn district_names(lang: Lang, districts: &[&District]) -> String {
    let sep = if lang.is_zh() { "、" } else { ", " };
    districts.iter().map(|d| d.name(lang.is_zh())).collect::<Vec<_>>().join(sep)
}

/// The station page's "checked" line for a verifier and date.
pub fn verified_line(lang: Lang, by: &Verifier, on: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    let (m, d) = (on.month().to_string(), on.day().to_string());
    let month = lang.label("month", &m).into_owned();
    match by {
        Verifier::Staff => on.format("%Y-%m-%d").to_string(),
        Verifier::Supervisor { name: None } => {
            lang.tf("station.verified_supervisor", &[("m", &m), ("d", &d), ("month", &month)])
        }
        Verifier::Supervisor { name: Some(name) } => {
            lang.tf("station.verified_supervisor_named", &[("m", &m), ("d", &d), ("month", &month), ("name", name)])
        }
    }
}

/// Characters of a follow-up's or suggestion's first line shown in lists.
pub const FIRST_LINE_CHARS: usize = 60;

/// The first non-empty line of `text`, at most `max` characters, with "…" when there is more.
pub fn first_line(text: &str, max: usize) -> String {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
    let mut short: String = line.chars().take(max).collect();
    if line.chars().count() > max || text.trim().lines().count() > 1 {
        short.push('…');
    }
    short
}

/// The message of a refused field among a form's (field, message) pairs.
pub fn field_error<'a>(errors: &'a [(&'static str, String)], field: &str) -> Option<&'a str> {
    errors.iter().find(|(f, _)| *f == field).map(|(_, m)| m.as_str())
}
