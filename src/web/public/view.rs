//! View models shared by the public pages.

use std::borrow::Cow;

use crate::domain::calendar::HolidayCalendar;
use crate::domain::facility::{ALL_FACILITIES, KEY_FACILITIES};
use crate::snapshot::Entry;
use crate::web::i18n::Lang;
use crate::web::page::availability_line;

/// A facility as a page shows it.
pub struct Chip {
    pub key: &'static str,
    pub label: Cow<'static, str>,
}

/// One station in a list.
pub struct StationRow {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub district: &'static str,
    pub state_class: &'static str,
    pub state_text: String,
    pub chips: Vec<Chip>,
    /// Facilities beyond the chips shown.
    pub more: usize,
    pub basic: bool,
    pub synthetic: bool,
}

impl StationRow {
    pub fn new(entry: &Entry, lang: Lang, calendar: &HolidayCalendar, now: i64) -> StationRow {
        let s = &entry.station;
        let (state_class, state_text) = availability_line(lang, entry, calendar, now);
        let chips: Vec<Chip> = KEY_FACILITIES
            .iter()
            .filter(|f| s.facilities.contains(**f))
            .map(|f| Chip { key: f.key(), label: lang.label("facility", f.key()) })
            .collect();
        let total = ALL_FACILITIES.iter().filter(|f| s.facilities.contains(**f)).count();
        StationRow {
            id: s.id,
            name: s.name.clone(),
            // "大兴区 · 大兴区黄村镇…" reads twice; the district is shown once.
            address: s.address.strip_prefix(s.district.name_zh).unwrap_or(&s.address).to_string(),
            district: s.district.name(lang.is_zh()),
            state_class,
            state_text,
            more: total - chips.len(),
            chips,
            basic: s.meets_basic(),
            synthetic: s.synthetic,
        }
    }
}
