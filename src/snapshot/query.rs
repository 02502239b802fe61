//! Filtering the snapshot for lists and the API.

use super::{Entry, Snapshot};
use crate::domain::filter::StationFilter;

/// Stations on one page of a list.
pub const PER_PAGE: usize = 20;

/// One page of a filtered list.
pub struct ListPage<'a> {
    pub total: usize,
    pub page: u32,
    pub pages: u32,
    pub items: Vec<&'a Entry>,
}

impl Snapshot {
    /// Whether a public entry passes every filter at Unix time `now`.
    fn matches(entry: &Entry, f: &StationFilter, now: i64) -> bool {
        let s = &entry.station;
        s.is_public()
            && f.street.as_deref().is_none_or(|code| s.street_code.as_deref() == Some(code))
            && s.facilities.contains_all(f.facilities)
            && f.host.is_none_or(|h| s.host == h)
            && (!f.basic || s.meets_basic())
            && (!f.honoured || !s.honours.is_empty())
            && (!f.h24 || entry.h24)
            && (!f.holiday || s.holiday_open)
            && f.q.as_ref().is_none_or(|q| entry.haystack.contains(q.as_str()))
            && (!f.open_now || entry.is_open(now))
    }

    /// Every public entry that passes the filters, in list order.
    pub fn filter<'a, 'f>(&'a self, f: &'f StationFilter, now: i64) -> impl Iterator<Item = &'a Entry> + use<'a, 'f> {
        self.district_slice(f.district).iter().filter(move |e| Snapshot::matches(e, f, now))
    }

    /// The requested page of the filtered list.
    pub fn list(&self, f: &StationFilter, now: i64, per_page: usize) -> ListPage<'_> {
        let skip = (f.page as usize - 1).saturating_mul(per_page);
        let mut total = 0;
        let mut items = Vec::with_capacity(per_page);
        for entry in self.filter(f, now) {
            if total >= skip && items.len() < per_page {
                items.push(entry);
            }
            total += 1;
        }
        let pages = total.div_ceil(per_page).max(1) as u32;
        ListPage { total, page: f.page, pages, items }
    }
}
