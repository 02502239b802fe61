//! Filtering the snapshot for lists and the API.

use super::{BASIC, Entry, H24, HOLIDAY, HONOURED, IN_SERVICE, MapItem, PUBLIC, Snapshot, Viewport};
use crate::domain::coords::LatLon;
use crate::domain::facility::{FacilitySet, HostType};
use crate::domain::filter::StationFilter;
use crate::domain::geo::distance_m;
use crate::domain::hours::OpenState;

/// A filter prepared for scanning.
struct Compiled<'f> {
    need: u8,
    street: u64,
    facilities: FacilitySet,
    host: Option<HostType>,
    /// Per timeline, whether it passes the state test at the query's moment ("open
    /// now", or "unknown now" to count what "open now" leaves out), and the answer for
    /// a station without hours; `None` when no state is asked.
    open: Option<(Vec<bool>, bool)>,
    text: Option<&'f str>,
}

/// Filter counts remembered per snapshot before the cache starts afresh.
pub(super) const COUNT_CACHE_SIZE: usize = 4096;

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
    /// Whether the entry at `i` is public and passes every test of `q`.
    fn matches(&self, i: usize, q: &Compiled<'_>) -> bool {
        let row = &self.scan[i];
        row.flags & q.need == q.need
            && (q.street == 0 || row.street == q.street)
            && row.facilities.contains_all(q.facilities)
            && q.host.is_none_or(|h| row.host == h)
            // "Open now" is decided once per distinct timeline, not once per station.
            && q.open.as_ref().is_none_or(|(open, no_hours)| open.get(row.timeline as usize).copied().unwrap_or(*no_hours))
            && q.text.is_none_or(|text| self.entries[i].haystack.contains(text))
    }

    /// A filter turned into the cheapest tests for a scan at Unix time `now`.
    fn compile<'f>(&self, f: &'f StationFilter, now: i64) -> Compiled<'f> {
        let open = f.open_now.then(|| (self.timelines.iter().map(|t| t.is_open(now)).collect(), false));
        self.compile_with(f, open)
    }

    /// A filter with the given state test (see [`Compiled::open`]).
    fn compile_with<'f>(&self, f: &'f StationFilter, open: Option<(Vec<bool>, bool)>) -> Compiled<'f> {
        let flag = |on: bool, bit: u8| if on { bit } else { 0 };
        Compiled {
            need: PUBLIC
                | flag(f.basic, BASIC)
                | flag(f.honoured, HONOURED)
                | flag(f.h24, H24)
                | flag(f.holiday, HOLIDAY)
                | flag(f.open_now, IN_SERVICE),
            // A street code that does not parse matches nothing.
            street: f.street.as_deref().map(|c| c.parse().unwrap_or(u64::MAX)).unwrap_or(0),
            facilities: f.facilities,
            host: f.host,
            open,
            text: f.q.as_ref().map(|q| q.as_str()),
        }
    }

    /// Every public entry that passes the filters, in list order.
    pub fn filter<'a, 'f>(&'a self, f: &'f StationFilter, now: i64) -> impl Iterator<Item = &'a Entry> + use<'a, 'f> {
        let q = self.compile(f, now);
        self.district_range(f.district).filter(move |i| self.matches(*i, &q)).map(|i| &self.entries[i])
    }

    /// How many stations "open now" leaves out of `f` because their state cannot be
    /// told (no hours, or hours that depend on a holiday calendar not loaded).
    pub fn left_out_unknown(&self, f: &StationFilter, now: i64) -> usize {
        if !f.open_now {
            return 0;
        }
        let key = (format!("unknown:{}", f.to_query(1)), now.div_euclid(60));
        if let Some(n) = self.counts.get(&key) {
            return n;
        }
        let unknown = self.timelines.iter().map(|t| t.state(now) == OpenState::Unknown).collect();
        let q = self.compile_with(f, Some((unknown, true)));
        let n = self.district_range(f.district).filter(|i| self.matches(*i, &q)).count();
        self.counts.insert(key, n);
        n
    }

    /// Clusters and stations in a viewport; an empty filter takes the precomputed path.
    pub fn map(&self, view: Viewport, zoom: u32, f: &StationFilter, now: i64) -> Vec<MapItem> {
        if f.is_empty() {
            return self.clusters.query(view, zoom, None);
        }
        let q = self.compile(f, now);
        // The district is a range of entries in a list scan; here it is a test.
        let district = self.district_range(f.district);
        let keep = |i: u32| district.contains(&(i as usize)) && self.matches(i as usize, &q);
        self.clusters.query(view, zoom, Some(&keep))
    }

    /// The nearest public stations to `from` that pass the filters, with distances in metres.
    pub fn nearest(&self, from: LatLon, f: &StationFilter, now: i64, limit: usize) -> Vec<(&Entry, f64)> {
        let q = self.compile(f, now);
        let district = self.district_range(f.district);
        // The tree works in degrees; candidates are re-ranked by true distance.
        let mut found: Vec<(&Entry, f64)> = self
            .tree
            .nearest_neighbor_iter([from.lon, from.lat])
            .filter(|p| district.contains(&(p.data as usize)) && self.matches(p.data as usize, &q))
            .map(|p| self.entry(p.data))
            .take(limit * 3)
            // Only stations with a position are in the tree.
            .filter_map(|e| Some((e, distance_m(from, e.station.position?))))
            .collect();
        found.sort_by(|a, b| a.1.total_cmp(&b.1));
        found.truncate(limit);
        found
    }

    /// The requested page of the filtered list.
    pub fn list(&self, f: &StationFilter, now: i64, per_page: usize) -> ListPage<'_> {
        // A default filter has page 0; it means the first page.
        let skip = (f.page as usize).saturating_sub(1).saturating_mul(per_page);
        // Counting every match is the costly part of a list over a big district;
        // the count of the same filter is remembered for this snapshot (and, for
        // "open now", this minute: opening hours change on whole minutes).
        let key = (f.to_query(1), if f.open_now { now.div_euclid(60) } else { 0 });
        let known = self.counts.get(&key);
        let (total, items) = match known {
            Some(total) => (total, self.filter(f, now).skip(skip).take(per_page).collect()),
            None => {
                let mut total = 0;
                let mut items = Vec::with_capacity(per_page);
                for entry in self.filter(f, now) {
                    if total >= skip && items.len() < per_page {
                        items.push(entry);
                    }
                    total += 1;
                }
                self.counts.insert(key, total);
                (total, items)
            }
        };
        let pages = total.div_ceil(per_page).max(1) as u32;
        ListPage { total, page: f.page.max(1), pages, items }
    }
}
