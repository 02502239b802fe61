//! The in-memory read snapshot: every public read is served from here, never
//! from the database. Built from the ledger, swapped in atomically.

pub mod board;
mod cluster;
mod nearby;
mod query;
mod refresh;

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use rstar::RTree;
use rstar::primitives::GeomWithData;

use crate::domain::calendar::HolidayCalendar;
use crate::domain::coords::LatLon;
use crate::domain::district::{DISTRICTS, District, Street};
use crate::domain::facility::{FacilitySet, HostType};
use crate::domain::hours::{Timeline, WeekRun, group_week, midnight};
use crate::domain::staff::StaffScope;
use crate::domain::station::{Station, Status};
use crate::store::{PhotoKind, StationPhoto};

pub use crate::domain::availability::{Availability, Unknown};
pub use board::{Board, StationNotes, load_board};
pub use cluster::{ClusterIndex, MAX_CELLS, MapItem, Viewport};
pub use query::{ListPage, PER_PAGE};
pub use refresh::{Refresher, Updater, load};

/// Days of opening hours evaluated ahead (today included): the next opening is named
/// however far it lies within this (a 9-day Spring Festival and then some), and
/// `/api/stations/{id}/hours` answers from it for these days.
pub const WINDOW_DAYS: u32 = 62;

/// Page fragments remembered per snapshot before the cache starts afresh.
const FRAGMENT_CACHE_SIZE: usize = 1024;

/// Results remembered for the life of a snapshot; when `cap` keys are held, all are
/// forgotten at once and it starts afresh.
#[derive(Debug)]
struct Memo<K, V> {
    map: Mutex<HashMap<K, V>>,
    cap: usize,
}

impl<K: Eq + std::hash::Hash, V: Clone> Memo<K, V> {
    fn new(cap: usize) -> Memo<K, V> {
        Memo { map: Mutex::new(HashMap::new()), cap }
    }

    fn get<Q: Eq + std::hash::Hash + ?Sized>(&self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
    {
        self.map.lock().ok().and_then(|m| m.get(key).cloned())
    }

    fn insert(&self, key: K, value: V) {
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= self.cap {
                map.clear();
            }
            map.insert(key, value);
        }
    }
}

/// A station with everything a read needs precomputed.
#[derive(Debug)]
pub struct Entry {
    pub station: Station,
    /// Open periods over the window; `None` when the hours are unknown.
    pub timeline: Option<Arc<Timeline>>,
    /// Open around the clock today, by today's effective hours (a 24/7 station closed
    /// on holidays is not, on a holiday).
    pub h24: bool,
    /// The ordinary week in runs of days, shared by stations with the same hours.
    pub week: Option<Arc<Vec<WeekRun>>>,
    /// Lower-cased name and address, for the text search.
    haystack: String,
}

/// What a list scan reads of a station, packed so that scanning a district
/// touches 32 bytes per station instead of the whole record.
#[derive(Debug, Clone, Copy)]
struct ScanRow {
    facilities: FacilitySet,
    /// The street code as a number, 0 when unknown.
    street: u64,
    /// Index into `Snapshot::timelines`, `u32::MAX` when the hours are unknown.
    timeline: u32,
    host: HostType,
    flags: u8,
}

const PUBLIC: u8 = 1;
const IN_SERVICE: u8 = 2;
const BASIC: u8 = 4;
const HONOURED: u8 = 8;
const H24: u8 = 16;
const HOLIDAY: u8 = 32;

impl Entry {
    /// Open, closed or unknown at Unix time `ts`.
    pub fn availability(&self, ts: i64) -> Availability {
        Availability::of(&self.station.status, self.timeline.as_deref(), ts)
    }

    pub fn is_open(&self, ts: i64) -> bool {
        self.availability(ts).is_open()
    }
}

/// Counts per district, for the home page.
#[derive(Debug, Clone, Copy, Default)]
pub struct DistrictCount {
    pub district: Option<&'static District>,
    pub stations: usize,
}

/// What a snapshot knows of the ledger's stations: built in one go, shared between
/// snapshots that differ only in photos or warning cards.
#[derive(Debug)]
pub struct Core {
    /// The Beijing date the opening-hours window starts on.
    pub today: NaiveDate,
    pub calendar: Arc<HolidayCalendar>,
    /// Sorted by district, then id.
    entries: Vec<Entry>,
    /// Parallel to `entries`: the fields filters test.
    scan: Vec<ScanRow>,
    /// Open periods per distinct opening-hours text.
    timelines: Vec<Arc<Timeline>>,
    by_id: HashMap<i64, u32>,
    district_ranges: Vec<Range<usize>>,
    /// Public stations per district, in `DISTRICTS` order.
    pub district_counts: Vec<DistrictCount>,
    /// Positions of public stations, for nearest and viewport queries.
    pub tree: RTree<GeomWithData<[f64; 2], u32>>,
    /// Map clusters of public stations.
    pub clusters: ClusterIndex,
    streets: HashMap<String, Street>,
    streets_by_district: HashMap<u32, Vec<String>>,
}

/// An immutable view of the whole ledger.
#[derive(Debug)]
pub struct Snapshot {
    core: Arc<Core>,
    /// The data version this snapshot shows everything up to.
    pub version: i64,
    /// Data versions past `version` that this instance's own writes already patched in
    /// (see [`Snapshot::patched`]); `version` moves on when they join up with it.
    ahead: Vec<i64>,
    /// Match counts of recent list filters (see `Snapshot::list`).
    counts: Memo<(String, i64), usize>,
    /// Page fragments that depend on this snapshot and their key only (see `Snapshot::fragment`).
    fragments: Memo<String, Arc<str>>,
    /// Public photos by station: door first, then inside, in the order added.
    photos: Arc<HashMap<i64, Vec<StationPhoto>>>,
    /// Stations with an open warning card: their public page says 整改中.
    rectifying: Arc<HashSet<i64>>,
    /// When this snapshot was built or patched.
    born: std::time::Instant,
}

impl std::ops::Deref for Snapshot {
    type Target = Core;

    fn deref(&self) -> &Core {
        &self.core
    }
}

/// What this instance's own writes changed, read back from the database after they
/// committed, to be patched into the snapshot (see [`Snapshot::patched`]).
#[derive(Debug, Default)]
pub struct Patch {
    /// The data versions the writes made.
    pub versions: Vec<i64>,
    /// Stations as they are now.
    pub stations: Vec<Station>,
    /// Stations' public photos as they are now (empty: none).
    pub photos: Vec<(i64, Vec<StationPhoto>)>,
    /// Whether stations have an open warning card now.
    pub cards: Vec<(i64, bool)>,
}

/// `version` moved on over the versions patched in that join up with it.
fn advance(mut version: i64, ahead: &[i64], new: &[i64]) -> (i64, Vec<i64>) {
    let mut ahead: Vec<i64> = ahead.iter().chain(new).copied().filter(|v| *v > version).collect();
    ahead.sort_unstable();
    ahead.dedup();
    let joined = ahead.iter().take_while(|v| {
        let next = **v == version + 1;
        if next {
            version += 1;
        }
        next
    });
    let joined = joined.count();
    ahead.drain(..joined);
    (version, ahead)
}

impl Snapshot {
    /// This snapshot with one station added or replaced, at `version`: after a staff
    /// edit, without reading the whole ledger again. CPU only, no I/O.
    pub fn with_station(&self, version: i64, station: Station) -> Snapshot {
        self.patched(Patch { versions: vec![version], stations: vec![station], ..Patch::default() })
    }

    /// This snapshot with what this instance's own writes changed: CPU only, no I/O.
    /// Photos and warning cards cost a copy of their small maps and share the stations;
    /// changed stations rebuild the entries and indexes from the ones in memory.
    /// The version moves on to the highest one that leaves no other write between.
    pub fn patched(&self, patch: Patch) -> Snapshot {
        let core = if patch.stations.is_empty() {
            self.core.clone()
        } else {
            let changed: HashSet<i64> = patch.stations.iter().map(|s| s.id).collect();
            let mut stations: Vec<Station> =
                self.entries.iter().filter(|e| !changed.contains(&e.station.id)).map(|e| e.station.clone()).collect();
            stations.extend(patch.stations);
            let streets = self.streets.values().cloned().collect();
            Snapshot::build(self.version, self.today, stations, streets, (*self.calendar).clone()).core
        };
        let photos = if patch.photos.is_empty() {
            self.photos.clone()
        } else {
            let mut photos = (*self.photos).clone();
            for (id, shown) in patch.photos {
                if shown.is_empty() {
                    photos.remove(&id);
                } else {
                    photos.insert(id, shown);
                }
            }
            Arc::new(photos)
        };
        let rectifying = if patch.cards.is_empty() {
            self.rectifying.clone()
        } else {
            let mut rectifying = (*self.rectifying).clone();
            for (id, open) in patch.cards {
                if open {
                    rectifying.insert(id);
                } else {
                    rectifying.remove(&id);
                }
            }
            Arc::new(rectifying)
        };
        let (version, ahead) = advance(self.version, &self.ahead, &patch.versions);
        Snapshot::assemble(core, version, ahead, photos, rectifying)
    }

    /// A snapshot of its parts, with empty caches.
    fn assemble(
        core: Arc<Core>,
        version: i64,
        ahead: Vec<i64>,
        photos: Arc<HashMap<i64, Vec<StationPhoto>>>,
        rectifying: Arc<HashSet<i64>>,
    ) -> Snapshot {
        Snapshot {
            core,
            version,
            ahead,
            counts: Memo::new(query::COUNT_CACHE_SIZE),
            fragments: Memo::new(FRAGMENT_CACHE_SIZE),
            photos,
            rectifying,
            born: std::time::Instant::now(),
        }
    }

    /// How long ago this snapshot was built or patched.
    pub fn age(&self) -> std::time::Duration {
        self.born.elapsed()
    }

    /// This snapshot with the station photos given (from [`Store::all_station_photos`]).
    pub fn with_photos(self, photos: Vec<StationPhoto>) -> Snapshot {
        let mut by_station: HashMap<i64, Vec<StationPhoto>> = HashMap::new();
        for p in photos {
            by_station.entry(p.station_id).or_default().push(p);
        }
        Snapshot { photos: Arc::new(by_station), ..self }
    }

    /// This snapshot with the stations that have an open warning card.
    pub fn with_rectifying(self, stations: Vec<i64>) -> Snapshot {
        Snapshot { rectifying: Arc::new(stations.into_iter().collect()), ..self }
    }

    /// The station has an open warning card (整改中).
    pub fn is_rectifying(&self, station_id: i64) -> bool {
        self.rectifying.contains(&station_id)
    }

    /// The photos of a station: door first, then inside.
    pub fn photos(&self, station_id: i64) -> &[StationPhoto] {
        self.photos.get(&station_id).map(Vec::as_slice).unwrap_or_default()
    }

    /// The photo of a station's door, if it has one.
    pub fn door_photo(&self, station_id: i64) -> Option<&StationPhoto> {
        self.photos(station_id).iter().find(|p| p.kind == PhotoKind::Door)
    }

    /// Builds the snapshot; CPU only, no I/O.
    pub fn build(
        version: i64,
        today: NaiveDate,
        mut stations: Vec<Station>,
        streets: Vec<Street>,
        calendar: HolidayCalendar,
    ) -> Snapshot {
        // DISTRICTS is in code order, so sorting by code groups districts in that order.
        stations.sort_unstable_by_key(|s| (s.district.code, s.id));
        // Entries keep this order, so a station's index here is its entry index. The
        // spatial indexes need only positions: they are built on a second thread
        // while this one builds the entries.
        // A station whose position is not known is listed but has no place on the map.
        let public: Vec<(u32, LatLon)> = stations
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_public())
            .filter_map(|(i, s)| Some((i as u32, s.position?)))
            .collect();
        std::thread::scope(|scope| {
            let spatial = scope.spawn(|| {
                let points = public.iter().map(|(i, p)| GeomWithData::new([p.lon, p.lat], *i)).collect();
                (RTree::bulk_load(points), ClusterIndex::build(public.iter().copied()))
            });
            let core = Snapshot::build_entries(today, stations, streets, calendar);
            // A panic on the spatial thread is a bug; it surfaces here as one.
            let (tree, clusters) = spatial.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            let core = Arc::new(Core { tree, clusters, ..core });
            Snapshot::assemble(core, version, Vec::new(), Arc::default(), Arc::default())
        })
    }

    /// Everything of [`Snapshot::build`] but the spatial indexes (left empty).
    fn build_entries(
        today: NaiveDate,
        stations: Vec<Station>,
        streets: Vec<Street>,
        calendar: HolidayCalendar,
    ) -> Core {
        // Opening hours are evaluated once per distinct text: most stations share a few dozen.
        // Keyed by text, one map per "works make-up days" flag; looked up by &str, no allocation.
        let mut distinct: [HashMap<String, u32>; 2] = [HashMap::new(), HashMap::new()];
        let mut timelines: Vec<Arc<Timeline>> = Vec::new();
        // Per timeline: open all day today, opens on holidays, the regular week.
        let mut weeks: Vec<(bool, bool, Arc<Vec<WeekRun>>)> = Vec::new();
        let mut entries = Vec::with_capacity(stations.len());
        let mut scan = Vec::with_capacity(stations.len());
        for station in stations {
            let slot = station.hours.as_ref().map(|hours| {
                let known = &mut distinct[usize::from(station.works_makeup_days)];
                if let Some(slot) = known.get(hours.raw()) {
                    return *slot;
                }
                let timeline = Timeline::build(hours, &calendar, station.works_makeup_days, today, WINDOW_DAYS);
                let all_day = timeline.day(today).is_some_and(|d| d.known)
                    && timeline.day_minutes(midnight(today)) == [(0, 1440)];
                timelines.push(Arc::new(timeline));
                weeks.push((all_day, hours.opens_on_holidays(), Arc::new(group_week(&hours.regular_week()))));
                let slot = (timelines.len() - 1) as u32;
                known.insert(hours.raw().to_string(), slot);
                slot
            });
            let (h24, holiday, week) = match slot {
                Some(i) => {
                    let (all_day, holiday, week) = &weeks[i as usize];
                    (*all_day, *holiday, Some(week.clone()))
                }
                None => (false, false, None),
            };
            let flag = |on: bool, bit: u8| if on { bit } else { 0 };
            scan.push(ScanRow {
                // Filters find what works now.
                facilities: station.working(),
                street: station.street_code.as_deref().and_then(|c| c.parse().ok()).unwrap_or(0),
                timeline: slot.unwrap_or(u32::MAX),
                host: station.host,
                flags: flag(station.is_public(), PUBLIC)
                    | flag(station.status == Status::Open, IN_SERVICE)
                    | flag(station.meets_basic(), BASIC)
                    | flag(!station.honours.is_empty(), HONOURED)
                    | flag(h24, H24)
                    | flag(holiday, HOLIDAY),
            });
            let haystack = format!("{}\n{}", station.name, station.address).to_ascii_lowercase();
            let timeline = slot.map(|i| timelines[i as usize].clone());
            entries.push(Entry { station, timeline, h24, week, haystack });
        }
        let by_id = entries.iter().enumerate().map(|(i, e)| (e.station.id, i as u32)).collect();
        let mut district_ranges = Vec::with_capacity(DISTRICTS.len());
        let mut district_counts = Vec::with_capacity(DISTRICTS.len());
        let mut start = 0;
        for d in &DISTRICTS {
            let end = start + entries[start..].partition_point(|e| e.station.district.code == d.code);
            district_counts.push(DistrictCount {
                district: Some(d),
                stations: entries[start..end].iter().filter(|e| e.station.is_public()).count(),
            });
            district_ranges.push(start..end);
            start = end;
        }
        let mut streets_by_district: HashMap<u32, Vec<String>> = HashMap::new();
        for s in &streets {
            streets_by_district.entry(s.district_code).or_default().push(s.code.clone());
        }
        Core {
            today,
            calendar: Arc::new(calendar),
            entries,
            scan,
            timelines,
            by_id,
            district_ranges,
            district_counts,
            tree: RTree::new(),
            clusters: ClusterIndex::default(),
            streets: streets.into_iter().map(|s| (s.code.clone(), s)).collect(),
            streets_by_district,
        }
    }

    /// A piece of page that is a function of this snapshot and `key` alone, made once
    /// and kept for the life of the snapshot (up to `FRAGMENT_CACHE_SIZE` keys, then
    /// afresh): the filter panel of a list, for one language and filter.
    pub fn fragment<E>(&self, key: &str, make: impl FnOnce() -> Result<String, E>) -> Result<Arc<str>, E> {
        if let Some(known) = self.fragments.get(key) {
            return Ok(known);
        }
        let made: Arc<str> = make()?.into();
        self.fragments.insert(key.to_string(), made.clone());
        Ok(made)
    }

    /// A station by id, revoked ones included (their page says they are gone).
    pub fn get(&self, id: i64) -> Option<&Entry> {
        self.by_id.get(&id).map(|i| &self.entries[*i as usize])
    }

    /// Every station of the snapshot, revoked included.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The stations (revoked included) of `scope`'s districts: their slices of
    /// [`Snapshot::entries`], not a scan of the city.
    pub fn entries_in<'a>(&'a self, scope: &StaffScope) -> impl Iterator<Item = &'a Entry> + use<'a> {
        let ranges: Vec<Range<usize>> = match scope {
            StaffScope::City => vec![self.district_range(None)],
            StaffScope::Districts(ds) => ds.iter().map(|d| self.district_range(Some(d))).collect(),
        };
        ranges.into_iter().flat_map(move |r| self.entries[r].iter())
    }

    /// The entry at an index of [`Snapshot::entries`] (as stored in the tree).
    pub fn entry(&self, index: u32) -> &Entry {
        &self.entries[index as usize]
    }

    /// Public stations in the whole city.
    pub fn public_count(&self) -> usize {
        self.district_counts.iter().map(|c| c.stations).sum()
    }

    pub fn street(&self, code: &str) -> Option<&Street> {
        self.streets.get(code)
    }

    /// Streets of a district, ordered by code.
    pub fn streets_of(&self, district: u32) -> impl Iterator<Item = &Street> {
        self.streets_by_district.get(&district).into_iter().flatten().filter_map(|code| self.streets.get(code))
    }

    /// Indices of the entries of a district, or of all.
    fn district_range(&self, district: Option<&District>) -> Range<usize> {
        match district {
            Some(d) => self.district_ranges[d.index()].clone(),
            None => 0..self.entries.len(),
        }
    }
}
