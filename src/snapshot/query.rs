//! Filtering the snapshot for lists and the API.

use super::{BASIC, Entry, H24, HOLIDAY, HONOURED, IN_SERVICE, MapItem, PUBLIC, Snapshot, Viewport};
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
    /// Whether the entry at `i` is public and passes every filter at Unix time `now`.
    fn matches(&self, i: usize, f: &StationFilter, need: u8, street: u64, now: i64) -> bool {
        let row = &self.scan[i];
        row.flags & need == need
            && (street == 0 || row.street == street)
            && row.facilities.contains_all(f.facilities)
            && f.host.is_none_or(|h| row.host == h)
            && (!f.open_now
                || (row.flags & IN_SERVICE != 0
                    && self.timelines.get(row.timeline as usize).is_some_and(|t| t.is_open(now))))
            && f.q.as_ref().is_none_or(|q| self.entries[i].haystack.contains(q.as_str()))
    }

    /// The flag bits and street number a filter requires.
    fn requirements(f: &StationFilter) -> (u8, u64) {
        let flag = |on: bool, bit: u8| if on { bit } else { 0 };
        let need =
            PUBLIC | flag(f.basic, BASIC) | flag(f.honoured, HONOURED) | flag(f.h24, H24) | flag(f.holiday, HOLIDAY);
        // A street code that does not parse matches nothing.
        let street = f.street.as_deref().map(|c| c.parse().unwrap_or(u64::MAX)).unwrap_or(0);
        (need, street)
    }

    /// Every public entry that passes the filters, in list order.
    pub fn filter<'a, 'f>(&'a self, f: &'f StationFilter, now: i64) -> impl Iterator<Item = &'a Entry> + use<'a, 'f> {
        let (need, street) = Snapshot::requirements(f);
        self.district_range(f.district)
            .filter(move |i| self.matches(*i, f, need, street, now))
            .map(|i| &self.entries[i])
    }

    /// Clusters and stations in a viewport; an empty filter takes the precomputed path.
    pub fn map(&self, view: Viewport, zoom: u32, f: &StationFilter, now: i64) -> Vec<MapItem> {
        if f.is_empty() {
            return self.clusters.query(view, zoom, None);
        }
        let (need, street) = Snapshot::requirements(f);
        let keep = |i: u32| self.matches(i as usize, f, need, street, now);
        self.clusters.query(view, zoom, Some(&keep))
    }

    /// The nearest public stations to `from` that pass the filters, with distances in metres.
    pub fn nearest(&self, from: LatLon, f: &StationFilter, now: i64, limit: usize) -> Vec<(&Entry, f64)> {
        let (need, street) = Snapshot::requirements(f);
        // The tree works in degrees; candidates are re-ranked by true distance.
        let mut found: Vec<(&Entry, f64)> = self
            .tree
            .nearest_neighbor_iter([from.lon, from.lat])
            .filter(|p| self.matches(p.data as usize, f, need, street, now))
            .map(|p| self.entry(p.data))
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
