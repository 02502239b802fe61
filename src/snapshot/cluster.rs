//! Server-side clustering for the map.
//!
//! Public stations are sorted once by the Morton (Z-order) code of their Web
//! Mercator position at a fine grid. A grid cell at any coarser level is then
//! a contiguous range of that order, so a viewport is answered by a few binary
//! searches per visible cell, and centroids of unfiltered cells come from
//! prefix sums in O(1).

use crate::domain::coords::LatLon;
use crate::domain::geo::mercator;

/// Bits per axis of the finest grid (2^24 cells around the world, ~2.4 m).
const FINE_BITS: u32 = 24;
/// Grid cells per tile side: 256 px tiles, 64 px cells.
const CELL_BITS_PER_TILE: u32 = 2;
/// Most cells (and so features) one answer walks.
pub const MAX_CELLS: u64 = 300;
/// Up to this level (zoom 14), the non-empty cells of each level are listed once.
const TABLE_LEVELS: u32 = 16;
/// From this zoom on, stations are shown one by one.
pub const POINT_ZOOM: u32 = 17;
/// Highest zoom the map offers.
pub const MAX_ZOOM: u32 = 19;

/// Interleaves the bits of x and y (x in the even bits).
fn morton(x: u32, y: u32) -> u64 {
    fn spread(v: u32) -> u64 {
        let mut v = u64::from(v);
        v = (v | (v << 16)) & 0x0000_FFFF_0000_FFFF;
        v = (v | (v << 8)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v << 2)) & 0x3333_3333_3333_3333;
        v = (v | (v << 1)) & 0x5555_5555_5555_5555;
        v
    }
    spread(x) | (spread(y) << 1)
}

fn fine_cell(p: LatLon) -> (u32, u32, f64, f64) {
    let (x, y) = mercator(p);
    let n = f64::from(1u32 << FINE_BITS);
    ((x * n) as u32, (y * n) as u32, x, y)
}

/// Mercator x/y back to a position.
fn unmercator(x: f64, y: f64) -> LatLon {
    let lon = x * 360.0 - 180.0;
    let lat = (std::f64::consts::PI * (1.0 - 2.0 * y)).sinh().atan().to_degrees();
    LatLon { lat, lon }
}

/// A viewport in Web Mercator units.
#[derive(Debug, Clone, Copy)]
pub struct Viewport {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Viewport {
    /// From a WGS-84 bounding box (west, south, east, north). The corners are put in
    /// order: a box converted from another datum may come out with its sides swapped,
    /// and NaN becomes the world's edge (both checked here, not trusted from callers).
    pub fn from_bbox(west: f64, south: f64, east: f64, north: f64) -> Viewport {
        let (xa, ya) = mercator(LatLon { lat: south, lon: west });
        let (xb, yb) = mercator(LatLon { lat: north, lon: east });
        let unit = |v: f64| if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0 - f64::EPSILON) };
        let (xa, xb, ya, yb) = (unit(xa), unit(xb), unit(ya), unit(yb));
        Viewport { x0: xa.min(xb), y0: ya.min(yb), x1: xa.max(xb), y1: ya.max(yb) }
    }
}

/// One feature of a map answer, positions in WGS-84.
#[derive(Debug, Clone, PartialEq)]
pub enum MapItem {
    Cluster { position: LatLon, count: usize, expansion_zoom: u32 },
    Station { index: u32 },
}

/// The non-empty cells of one level, in Morton order.
#[derive(Debug, Default, Clone)]
struct LevelTable {
    codes: Vec<u64>,
    /// First sorted position of each cell, and the number of positions at the end.
    starts: Vec<u32>,
}

/// The first index at or after `from` whose key is `>= key`: a galloping search,
/// cheap when the answer is near `from`.
fn seek(keys: &[u64], from: usize, key: u64) -> usize {
    let keys = &keys[from.min(keys.len())..];
    let mut bound = 1;
    while bound < keys.len() && keys[bound - 1] < key {
        bound *= 2;
    }
    let (lo, hi) = (bound / 2, bound.min(keys.len()));
    from + lo + keys[lo..hi].partition_point(|k| *k < key)
}

/// The clustering index over the public stations of a snapshot.
#[derive(Debug, Default, Clone)]
pub struct ClusterIndex {
    /// How long `build` took, in milliseconds (reported in the log).
    pub build_ms: u64,
    /// Per level up to `TABLE_LEVELS`: a city or district view looks its few hundred
    /// cells up here instead of searching the keys of every station.
    levels: Vec<LevelTable>,
    keys: Vec<u64>,
    /// Entry index (into the snapshot's entries) per sorted position.
    order: Vec<u32>,
    /// Prefix sums of Mercator x and y in sorted order (len = n + 1).
    sum_x: Vec<f64>,
    sum_y: Vec<f64>,
}

impl ClusterIndex {
    /// Builds the index from (entry index, position) pairs.
    pub fn build(points: impl IntoIterator<Item = (u32, LatLon)>) -> ClusterIndex {
        let started = std::time::Instant::now();
        let mut rows: Vec<(u64, u32, f64, f64)> = points
            .into_iter()
            .map(|(i, p)| {
                let (cx, cy, x, y) = fine_cell(p);
                (morton(cx, cy), i, x, y)
            })
            .collect();
        rows.sort_unstable_by_key(|r| (r.0, r.1));
        let mut index = ClusterIndex {
            build_ms: 0,
            levels: Vec::new(),
            keys: Vec::with_capacity(rows.len()),
            order: Vec::with_capacity(rows.len()),
            sum_x: Vec::with_capacity(rows.len() + 1),
            sum_y: Vec::with_capacity(rows.len() + 1),
        };
        let (mut sx, mut sy) = (0.0, 0.0);
        index.sum_x.push(0.0);
        index.sum_y.push(0.0);
        for (key, i, x, y) in rows {
            index.keys.push(key);
            index.order.push(i);
            sx += x;
            sy += y;
            index.sum_x.push(sx);
            index.sum_y.push(sy);
        }
        index.levels = (0..=TABLE_LEVELS)
            .map(|level| {
                let shift = 2 * (FINE_BITS - level);
                let mut table = LevelTable::default();
                for (pos, key) in index.keys.iter().enumerate() {
                    let code = key >> shift;
                    if table.codes.last() != Some(&code) {
                        table.codes.push(code);
                        table.starts.push(pos as u32);
                    }
                }
                table.starts.push(index.keys.len() as u32);
                table
            })
            .collect();
        index.build_ms = started.elapsed().as_millis() as u64;
        index
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Sorted positions of the stations in `cell` of `level`. Cells must be asked
    /// in Morton order, with the same `cursor`, which each call moves forward.
    fn cell_positions(&self, level: u32, cell: u64, cursor: &mut usize) -> (usize, usize) {
        match self.levels.get(level as usize) {
            Some(table) => {
                let i = seek(&table.codes, *cursor, cell);
                *cursor = i;
                match table.codes.get(i) {
                    Some(code) if *code == cell => (table.starts[i] as usize, table.starts[i + 1] as usize),
                    _ => (0, 0),
                }
            }
            None => {
                let shift = 2 * (FINE_BITS - level);
                let lo = seek(&self.keys, *cursor, cell << shift);
                let hi = seek(&self.keys, lo, (cell + 1) << shift);
                *cursor = hi;
                (lo, hi)
            }
        }
    }

    /// The zoom at which stations with keys `first` and `last` (same cell) separate.
    fn expansion_zoom(first: u64, last: u64, zoom: u32) -> u32 {
        if first == last {
            return MAX_ZOOM;
        }
        let common_bits = (first ^ last).leading_zeros() - (64 - 2 * FINE_BITS);
        let split_level = common_bits / 2 + 1;
        // At the highest zoom there is nothing deeper to expand to.
        split_level.saturating_sub(CELL_BITS_PER_TILE).clamp(zoom.saturating_add(1).min(MAX_ZOOM), MAX_ZOOM)
    }

    /// Clusters and single stations for a viewport at a zoom. `keep` filters
    /// entries; `None` means every public station (the fast path).
    pub fn query(&self, view: Viewport, zoom: u32, keep: Option<&dyn Fn(u32) -> bool>) -> Vec<MapItem> {
        let mut level = (zoom.min(MAX_ZOOM) + CELL_BITS_PER_TILE).min(FINE_BITS);
        let cells_at = |level: u32| {
            let n = f64::from(1u32 << level);
            let (cx0, cx1) = ((view.x0 * n) as u64, (view.x1 * n) as u64);
            let (cy0, cy1) = ((view.y0 * n) as u64, (view.y1 * n) as u64);
            let (cx0, cx1, cy0, cy1) = (cx0.min(cx1), cx0.max(cx1), cy0.min(cy1), cy0.max(cy1));
            let cells = (cx1 - cx0).saturating_add(1).saturating_mul((cy1 - cy0).saturating_add(1));
            (cx0, cx1, cy0, cy1, cells)
        };
        // A viewport too large for its zoom (the whole world at street zoom) is
        // answered at a coarser level, so it stays fast and small.
        while level > 0 && cells_at(level).4 > MAX_CELLS {
            level -= 1;
        }
        let (cx0, cx1, cy0, cy1, _) = cells_at(level);
        let effective_zoom = level.saturating_sub(CELL_BITS_PER_TILE);
        let points_only = effective_zoom >= POINT_ZOOM;
        // A click on a cluster must zoom in from where the reader is, even when a
        // large viewport was answered at a coarser level.
        let base_zoom = effective_zoom.max(zoom.min(MAX_ZOOM));
        // The visible cells in Morton order: each cell is a contiguous run of the
        // sorted keys, and the runs come in order, so one forward pass finds them all.
        let mut cells: Vec<u64> =
            (cy0..=cy1).flat_map(|cy| (cx0..=cx1).map(move |cx| morton(cx as u32, cy as u32))).collect();
        cells.sort_unstable();
        let mut out = Vec::new();
        let mut cursor = 0;
        for cell in cells {
            let (lo, hi) = self.cell_positions(level, cell, &mut cursor);
            if lo == hi {
                continue;
            }
            match keep {
                None => {
                    if points_only || hi - lo == 1 {
                        out.extend(self.order[lo..hi].iter().map(|i| MapItem::Station { index: *i }));
                    } else {
                        let n = (hi - lo) as f64;
                        let position =
                            unmercator((self.sum_x[hi] - self.sum_x[lo]) / n, (self.sum_y[hi] - self.sum_y[lo]) / n);
                        let expansion_zoom = Self::expansion_zoom(self.keys[lo], self.keys[hi - 1], base_zoom);
                        out.push(MapItem::Cluster { position, count: hi - lo, expansion_zoom });
                    }
                }
                Some(keep) => {
                    let (mut count, mut sx, mut sy) = (0usize, 0.0, 0.0);
                    let (mut first, mut last, mut only) = (0u64, 0u64, 0u32);
                    for pos in lo..hi {
                        let i = self.order[pos];
                        if !keep(i) {
                            continue;
                        }
                        if points_only {
                            out.push(MapItem::Station { index: i });
                            continue;
                        }
                        if count == 0 {
                            first = self.keys[pos];
                            only = i;
                        }
                        last = self.keys[pos];
                        count += 1;
                        sx += self.sum_x[pos + 1] - self.sum_x[pos];
                        sy += self.sum_y[pos + 1] - self.sum_y[pos];
                    }
                    match count {
                        0 => {}
                        1 => out.push(MapItem::Station { index: only }),
                        n => out.push(MapItem::Cluster {
                            position: unmercator(sx / n as f64, sy / n as f64),
                            count: n,
                            expansion_zoom: Self::expansion_zoom(first, last, base_zoom),
                        }),
                    }
                }
            }
            if out.len() >= MAX_CELLS as usize {
                return out;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(lat: f64, lon: f64) -> LatLon {
        LatLon { lat, lon }
    }

    fn beijing_grid() -> ClusterIndex {
        // 400 stations on a 20 × 20 grid across central Beijing, 0.01° apart.
        ClusterIndex::build(
            (0..400u32).map(|i| (i, p(39.8 + f64::from(i / 20) * 0.01, 116.3 + f64::from(i % 20) * 0.01))),
        )
    }

    fn total(items: &[MapItem]) -> usize {
        items
            .iter()
            .map(|i| match i {
                MapItem::Cluster { count, .. } => *count,
                MapItem::Station { .. } => 1,
            })
            .sum()
    }

    #[test]
    fn city_view_clusters_everything() {
        let index = beijing_grid();
        let view = Viewport::from_bbox(116.0, 39.6, 116.8, 40.2);
        let items = index.query(view, 10, None);
        assert!(items.len() < 20, "{} features", items.len());
        assert_eq!(total(&items), 400);
        assert!(items.iter().all(|i| matches!(i, MapItem::Cluster { expansion_zoom, .. } if *expansion_zoom > 10)));
    }

    #[test]
    fn street_view_shows_single_stations() {
        let index = beijing_grid();
        let view = Viewport::from_bbox(116.295, 39.795, 116.325, 39.815);
        let items = index.query(view, 17, None);
        assert!(items.iter().all(|i| matches!(i, MapItem::Station { .. })));
        assert_eq!(items.len(), 6, "3 × 2 grid points inside the box");
    }

    #[test]
    fn clusters_always_expand_beyond_the_requested_zoom() {
        let index = beijing_grid();
        // A wide desktop viewport at zoom 14 is answered at a coarser level.
        let view = Viewport::from_bbox(116.2, 39.75, 116.6, 40.05);
        let items = index.query(view, 14, None);
        assert!(items.iter().all(|i| match i {
            MapItem::Cluster { expansion_zoom, .. } => *expansion_zoom > 14,
            MapItem::Station { .. } => true,
        }));
    }

    #[test]
    fn level_tables_answer_as_the_keys_do() {
        let index = ClusterIndex::build((0..5000u32).map(|i| {
            let (a, b) = (f64::from(i.wrapping_mul(7919) % 1000), f64::from(i.wrapping_mul(104729) % 997));
            (i, p(39.6 + a * 0.0007, 116.0 + b * 0.0009))
        }));
        let mut plain = index.clone();
        plain.levels.clear();
        let odd = |i: u32| i % 2 == 1;
        for zoom in [0, 5, 9, 11, 12, 13, 14, 15] {
            for (w, s, e, n) in [(115.9, 39.5, 117.0, 40.4), (116.2, 39.7, 116.4, 39.9), (116.31, 39.81, 116.33, 39.83)]
            {
                let view = Viewport::from_bbox(w, s, e, n);
                assert_eq!(index.query(view, zoom, None), plain.query(view, zoom, None), "zoom {zoom}");
                assert_eq!(index.query(view, zoom, Some(&odd)), plain.query(view, zoom, Some(&odd)), "zoom {zoom}");
            }
        }
    }

    #[test]
    fn whole_world_at_street_zoom_is_small() {
        let index = beijing_grid();
        let view = Viewport::from_bbox(-180.0, -85.0, 180.0, 85.0);
        let items = index.query(view, 18, None);
        assert!(items.len() <= MAX_CELLS as usize);
        assert_eq!(total(&items), 400);
    }

    #[test]
    fn any_zoom_and_box_answers_without_panic() {
        let index = beijing_grid();
        let boxes = [
            (115.0, 39.0, 118.0, 41.0),
            (116.3, 39.8, 116.3, 39.8),
            (118.0, 41.0, 115.0, 39.0),
            (-180.0, -90.0, 180.0, 90.0),
            (f64::NAN, 39.0, 118.0, f64::NAN),
        ];
        for (w, s, e, n) in boxes {
            for zoom in 0..=40 {
                let view = Viewport::from_bbox(w, s, e, n);
                assert!(view.x0 <= view.x1 && view.y0 <= view.y1);
                let items = index.query(view, zoom, None);
                assert!(items.len() <= MAX_CELLS as usize);
                let odd = |i: u32| i % 2 == 1;
                index.query(view, zoom, Some(&odd));
                for item in items {
                    if let MapItem::Cluster { expansion_zoom, .. } = item {
                        assert!(expansion_zoom <= MAX_ZOOM);
                    }
                }
            }
        }
    }

    #[test]
    fn filtered_counts_and_cluster_expansion() {
        let index = beijing_grid();
        let view = Viewport::from_bbox(116.0, 39.6, 116.8, 40.2);
        let even = |i: u32| i.is_multiple_of(2);
        let items = index.query(view, 10, Some(&even));
        assert_eq!(total(&items), 200);
        // Zooming to a cluster's expansion zoom splits it.
        if let Some(MapItem::Cluster { position, expansion_zoom, count }) = items.first() {
            let d = 0.02;
            let near = Viewport::from_bbox(position.lon - d, position.lat - d, position.lon + d, position.lat + d);
            let deeper = index.query(near, *expansion_zoom, Some(&even));
            assert!(deeper.len() > 1 || *count == 1, "cluster of {count} split at zoom {expansion_zoom}");
        } else {
            panic!("expected a cluster");
        }
    }
}
