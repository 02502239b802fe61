//! The in-memory read snapshot at 200,000 synthetic stations: building it, listing
//! from it (filtered and not) and looking a station up by id.
//!
//! Run with `cargo bench --bench snapshot`. Everything is built in memory; no
//! database, no network.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use criterion::{BatchSize, Criterion, SamplingMode, criterion_group, criterion_main};

use yizhan::domain::calendar::HolidayCalendar;
use yizhan::domain::district::Street;
use yizhan::domain::filter::StationFilter;
use yizhan::domain::hours::beijing_ts;
use yizhan::domain::station::Station;
use yizhan::snapshot::{PER_PAGE, Snapshot};

/// Stations in the benchmark's ledger.
const STATIONS: usize = 200_000;
/// The filtered list of the load test (`bench/run.sh`).
const FILTERED: &str = "district=110105&facility=water&open_now=1";

/// A fixed moment, so runs compare: Wednesday 11 June 2025, 10:00 in Beijing
/// (an ordinary working day, inside the bundled holiday calendar).
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 11).unwrap()
}

fn now() -> i64 {
    beijing_ts(today().and_hms_opt(10, 0, 0).unwrap())
}

struct Inputs {
    stations: Vec<Station>,
    streets: Vec<Street>,
    calendar: HolidayCalendar,
}

fn inputs() -> Inputs {
    let streets = yizhan::seed::streets().expect("bundled streets");
    let calendar =
        HolidayCalendar::new(yizhan::seed::holidays().expect("bundled holidays").into_values().flatten(), []);
    let mut stations = yizhan::synthetic::generate(STATIONS, 1, &streets, 0).expect("synthetic stations");
    // The database numbers stations from 1; the generator leaves ids at 0.
    for (i, s) in stations.iter_mut().enumerate() {
        s.id = i as i64 + 1;
    }
    Inputs { stations, streets, calendar }
}

fn build(i: &Inputs) -> Snapshot {
    Snapshot::build(1, today(), i.stations.clone(), i.streets.clone(), i.calendar.clone())
}

fn benches(c: &mut Criterion) {
    let started = Instant::now();
    let inputs = inputs();
    eprintln!("generated {STATIONS} synthetic stations in {:.2} s", started.elapsed().as_secs_f64());

    let mut group = c.benchmark_group("snapshot_build");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_secs(2)).measurement_time(Duration::from_secs(30));
    group.bench_function("build_200k", |b| {
        b.iter_batched(
            || (inputs.stations.clone(), inputs.streets.clone(), inputs.calendar.clone()),
            |(stations, streets, calendar)| Snapshot::build(1, today(), stations, streets, calendar),
            BatchSize::PerIteration,
        )
    });
    group.finish();

    let snapshot = build(&inputs);
    let now = now();
    let filtered = StationFilter::from_query(FILTERED).expect("filter parses");
    let unfiltered = StationFilter::from_query("").expect("empty filter parses");
    let page = snapshot.list(&filtered, now, PER_PAGE);
    eprintln!("list `{FILTERED}`: {} matches, {} on page 1", page.total, page.items.len());
    let page = snapshot.list(&unfiltered, now, PER_PAGE);
    eprintln!("list (no filter): {} matches, {} on page 1", page.total, page.items.len());
    let id = inputs.stations[STATIONS / 2].id;
    assert!(snapshot.get(id).is_some(), "station {id} is in the snapshot");

    let mut group = c.benchmark_group("snapshot_read");
    group.warm_up_time(Duration::from_secs(2)).measurement_time(Duration::from_secs(5));
    group.bench_function("list_filtered_page1", |b| {
        b.iter(|| black_box(snapshot.list(black_box(&filtered), now, PER_PAGE).total))
    });
    group.bench_function("list_unfiltered_page1", |b| {
        b.iter(|| black_box(snapshot.list(black_box(&unfiltered), now, PER_PAGE).total))
    });
    group.bench_function("get_by_id", |b| b.iter(|| black_box(snapshot.get(black_box(id)).map(|e| e.station.id))));
    group.finish();
}

criterion_group!(snapshot_benches, benches);
criterion_main!(snapshot_benches);
