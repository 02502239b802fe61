//! View models shared by the public pages.

use crate::web::prelude::*;
use std::borrow::Cow;

use crate::domain::calendar::HolidayCalendar;
use crate::domain::facility::{ALL_FACILITIES, Facility, FacilitySet, KEY_FACILITIES};
use crate::snapshot::Entry;
use crate::web::page::availability_line;

/// A facility as a page shows it.
pub struct Chip {
    pub facility: Facility,
    pub label: Cow<'static, str>,
}

impl Chip {
    /// `facility` with its name in `lang`.
    pub fn of(facility: Facility, lang: Lang) -> Chip {
        Chip { facility, label: lang.label("facility", facility.key()) }
    }

    /// The facility's key (class names, icon references).
    pub fn key(&self) -> &'static str {
        self.facility.key()
    }

    /// The facility's icon drawing (24×24, `currentColor`), for an inline `<svg>`.
    pub fn icon(&self) -> &'static str {
        crate::web::icons::drawing(self.facility)
    }
}

/// One station in a list.
pub struct StationRow {
    pub id: i64,
    pub name: String,
    /// The district and the address, the district said once.
    pub place: String,
    pub state_class: &'static str,
    pub state_text: String,
    pub chips: Vec<Chip>,
    /// Facilities beyond the chips shown.
    pub more: usize,
    pub basic: bool,
    pub synthetic: bool,
    /// Every facility of the station.
    facilities: FacilitySet,
    lang: Lang,
}

/// Chips a card shows when no filter asks for more.
const CHIPS_SHOWN: usize = 4;

/// The chips of a card: the facilities asked for first, then the key ones, at
/// least one when the station has any facility, and how many are left over.
fn chips(facilities: FacilitySet, matched: FacilitySet, lang: Lang) -> (Vec<Chip>, usize) {
    let asked = ALL_FACILITIES.iter().copied().filter(|f| matched.contains(*f) && facilities.contains(*f));
    let key = KEY_FACILITIES.iter().copied().filter(|f| !matched.contains(*f) && facilities.contains(*f));
    let mut shown: Vec<Facility> = asked.collect();
    let room = CHIPS_SHOWN.saturating_sub(shown.len());
    shown.extend(key.take(room));
    if shown.is_empty() {
        shown.extend(ALL_FACILITIES.iter().copied().find(|f| facilities.contains(*f)));
    }
    let total = facilities.iter().count();
    let more = total.saturating_sub(shown.len());
    (shown.into_iter().map(|f| Chip::of(f, lang)).collect(), more)
}

impl StationRow {
    pub fn new(entry: &Entry, lang: Lang, calendar: &HolidayCalendar, now: i64) -> StationRow {
        let s = &entry.station;
        let (state_class, state_text) = availability_line(lang, entry, calendar, now);
        let (chips, more) = chips(s.working(), FacilitySet::default(), lang);
        StationRow {
            id: s.id,
            name: s.name.clone(),
            place: s.place(lang.is_zh()),
            state_class,
            state_text,
            more,
            chips,
            basic: s.meets_basic(),
            synthetic: s.synthetic,
            facilities: s.working(),
            lang,
        }
    }

    /// The same card with the facilities a filter asks for shown first.
    pub fn with_matched_first(mut self, matched: FacilitySet) -> StationRow {
        if !matched.is_empty() {
            (self.chips, self.more) = chips(self.facilities, matched, self.lang);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(set: &[Facility], matched: &[Facility]) -> (Vec<&'static str>, usize) {
        let (chips, more) = chips(set.iter().copied().collect(), matched.iter().copied().collect(), Lang::Zh);
        (chips.iter().map(Chip::key).collect(), more)
    }

    #[test]
    fn asked_facilities_come_first_and_a_card_is_never_without_a_chip() {
        use Facility::*;
        // No filter: the key facilities the station has, in their order.
        assert_eq!(keys(&[Microwave, Water, Shower], &[]), (vec!["water", "microwave"], 1));
        // A filter for a facility outside the key four shows it first.
        assert_eq!(keys(&[Microwave, Water, Shower], &[Shower]), (vec!["shower", "water", "microwave"], 0));
        // Asked-for key facilities move to the front.
        assert_eq!(keys(&[Water, Toilet, Charging, Microwave, Shower], &[Microwave]).0[0], "microwave");
        // None of the key four: still one chip, and the rest counted.
        let (shown, more) = keys(&[Shower, Seats, FirstAid], &[]);
        assert_eq!(shown.len(), 1);
        assert_eq!(more, 2);
        // No facility at all: no chip and nothing more.
        assert_eq!(keys(&[], &[]), (vec![], 0));
    }
}
