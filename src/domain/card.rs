//! Warning cards (黄牌 / 红牌): a station that keeps failing is given a deadline to
//! fix, and, if it does not, is proposed for revocation.
//!
//! A yellow card comes from two failed inspections within 90 days (not open as
//! listed, or fewer than 4 of the nine basic services working), or from three
//! "closed when listed open" reports within 30 days that staff confirmed closed. It
//! opens a follow-up due on its deadline. A yellow card still open after its
//! deadline turns red: proposed to a city administrator for revocation. A card
//! closes when its follow-up is verified, when a city administrator lifts it, or
//! when the station is revoked. While a card is open the public page says 整改中.

use chrono::{Days, NaiveDate};

use super::facility::{FacilitySet, keyed_enum};
use super::inspection::OpenAsListed;

/// Failed inspections that give a card, and the window they must fall in.
pub const FAILED_INSPECTIONS: usize = 2;
pub const INSPECTION_WINDOW_DAYS: i64 = 90;
/// Confirmed "closed when listed open" reports that give a card, and their window.
pub const CLOSED_REPORTS: usize = 3;
pub const CLOSED_WINDOW_DAYS: i64 = 30;
/// Days from a yellow card to its deadline.
pub const DEADLINE_DAYS: u64 = 30;

keyed_enum!(
    /// How bad it is: red is a yellow card not fixed by its deadline, proposed for revocation.
    CardLevel {
        Yellow => "yellow",
        Red => "red",
    }
);

keyed_enum!(
    /// What gave the card.
    CardReason {
        FailedInspections => "failed_inspections",
        ClosedReports => "closed_reports",
    }
);

keyed_enum!(
    /// How an open card ended: its follow-up was verified, a city administrator
    /// lifted it (with a reason), or the station was revoked.
    CardEnd {
        Fixed => "fixed",
        Lifted => "lifted",
        Revoked => "revoked",
    }
);

/// Whether an accepted inspection counts as failed: the station was not open as
/// listed, or fewer than 4 of the nine basic services were there and working.
pub fn inspection_failed(open: OpenAsListed, checked: FacilitySet, missing: FacilitySet, broken: FacilitySet) -> bool {
    let working = checked.without(missing).without(broken);
    open != OpenAsListed::Yes || !working.meets_basic()
}

/// The events (ids with their times, any order) that give a card at `now`: the
/// latest `needed` of those within `window_days` before `now`, when there are enough.
pub fn triggering(events: &[(i64, i64)], needed: usize, window_days: i64, now: i64) -> Option<Vec<i64>> {
    let from = now - window_days * 86_400;
    let mut recent: Vec<(i64, i64)> = events.iter().copied().filter(|(_, at)| (from..=now).contains(at)).collect();
    if recent.len() < needed {
        return None;
    }
    recent.sort_by_key(|(id, at)| (std::cmp::Reverse(*at), std::cmp::Reverse(*id)));
    Some(recent.into_iter().take(needed).map(|(id, _)| id).collect())
}

/// The deadline of a yellow card given on `today`.
pub fn deadline(today: NaiveDate) -> NaiveDate {
    today.checked_add_days(Days::new(DEADLINE_DAYS)).unwrap_or(today)
}

/// A yellow card turns red on the first day after its deadline.
pub fn is_past(deadline: NaiveDate, today: NaiveDate) -> bool {
    today > deadline
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::facility::{BASIC_NINE, Facility};

    fn set(fs: &[Facility]) -> FacilitySet {
        let mut s = FacilitySet::default();
        for f in fs {
            s.insert(*f);
        }
        s
    }

    #[test]
    fn an_inspection_fails_when_closed_or_under_four_basic_services() {
        let four = set(&BASIC_NINE[..4]);
        let none = FacilitySet::default();
        assert!(!inspection_failed(OpenAsListed::Yes, four, none, none));
        assert!(inspection_failed(OpenAsListed::No, four, none, none));
        assert!(inspection_failed(OpenAsListed::OtherHours, four, none, none));
        // One of the four missing, or broken: three left.
        assert!(inspection_failed(OpenAsListed::Yes, four, set(&BASIC_NINE[..1]), none));
        assert!(inspection_failed(OpenAsListed::Yes, four, none, set(&BASIC_NINE[3..4])));
        let five = set(&BASIC_NINE[..5]);
        assert!(!inspection_failed(OpenAsListed::Yes, five, none, set(&BASIC_NINE[..1])));
    }

    #[test]
    fn cards_need_enough_events_inside_the_window() {
        let day = 86_400;
        let now = 1_000 * day;
        // Two failed inspections 89 days apart, the older one inside 90 days.
        assert_eq!(triggering(&[(1, now - 89 * day), (2, now)], 2, 90, now), Some(vec![2, 1]));
        // The older one 91 days back: not yet.
        assert_eq!(triggering(&[(1, now - 91 * day), (2, now)], 2, 90, now), None);
        // Three closed reports within 30 days, a fourth older: the latest three.
        let events = [(1, now - 40 * day), (2, now - 20 * day), (3, now - 10 * day), (4, now - day)];
        assert_eq!(triggering(&events, 3, 30, now), Some(vec![4, 3, 2]));
        assert_eq!(triggering(&events[..3], 3, 30, now), None);
        // Events after `now` (a clock behind) do not count.
        assert_eq!(triggering(&[(1, now), (2, now + day)], 2, 90, now), None);
    }

    #[test]
    fn a_card_turns_red_the_day_after_its_deadline() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 5).unwrap();
        let due = deadline(today);
        assert_eq!(due, NaiveDate::from_ymd_opt(2026, 4, 4).unwrap());
        assert!(!is_past(due, due));
        assert!(is_past(due, due.succ_opt().unwrap()));
    }
}
