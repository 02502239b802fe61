//! Filtering the snapshot for lists and the API.

use super::{Entry, MapItem, Snapshot, Viewport};
use crate::domain::coords::LatLon;
use crate::domain::filter::StationFilter;
use crate::domain::geo::distance_m;

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

    /// Clusters and stations in a viewport; an empty filter takes the precomputed path.
    pub fn map(&self, view: Viewport, zoom: u32, f: &StationFilter, now: i64) -> Vec<MapItem> {
        if f.is_empty() {
            return self.clusters.query(view, zoom, None);
        }
        let keep = |i: u32| Snapshot::matches(self.entry(i), f, now);
        self.clusters.query(view, zoom, Some(&keep))
    }

    /// The nearest public stations to `from` that pass the filters, with distances in metres.
    pub fn nearest(&self, from: LatLon, f: &StationFilter, now: i64, limit: usize) -> Vec<(&Entry, f64)> {
        // The tree works in degrees; candidates are re-ranked by true distance.
        let mut found: Vec<(&Entry, f64)> = self
            .tree
            .nearest_neighbor_iter([from.lon, from.lat])
            .map(|p| self.entry(p.data))
            .filter(|e| Snapshot::matches(e, f, now))
            .take(limit * 3)
            .map(|e| (e, distance_m(from, e.station.position)))
            .collect();
        found.sort_by(|a, b| a.1.total_cmp(&b.1));
        found.truncate(limit);
        found
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
