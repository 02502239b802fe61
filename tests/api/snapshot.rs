//! Reads come from memory; writes reach every instance through the data version.

use std::time::{Duration, Instant};

use crate::helpers::*;

async fn wait_for_total(app: &TestApp, path: &str, expected: u64) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let (_, body) = app.json(path).await;
        if body["total"] == expected {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

#[tokio::test]
async fn another_instance_sees_a_write() {
    let first = spawn_app().await;
    let second = spawn_on(first.database_url.clone(), monday_morning()).await;
    let before = first.state.store.data_version().await.unwrap();
    // Written through the first instance's store only: the second learns of it by polling.
    first.state.store.insert_stations(&[station("新驿站", 110117, "24/7", &["water"])], 0).await.unwrap();
    assert!(first.state.store.data_version().await.unwrap() > before, "a write bumps the version");
    assert!(wait_for_total(&second, "/api/stations?district=110117", 1).await, "second instance rebuilt its snapshot");
    assert!(wait_for_total(&first, "/api/stations?district=110117", 1).await, "and so did the first");
}

#[tokio::test]
async fn seeds_load_once() {
    let app = spawn_app().await;
    assert_eq!(app.state.store.station_count().await.unwrap(), 18);
    // A restart on the same database does not load the seeds again.
    let again = spawn_on(app.database_url.clone(), monday_morning()).await;
    assert_eq!(again.state.store.station_count().await.unwrap(), 18);
    let snapshot = again.state.snapshot.load();
    assert_eq!(snapshot.public_count(), 18);
    assert!(snapshot.calendar.is_makeup_workday(chrono::NaiveDate::from_ymd_opt(2025, 9, 28).unwrap()));
}

#[tokio::test]
async fn synthetic_stations_spread_over_beijing() {
    let app = spawn_app().await;
    let streets = app.state.store.streets().await.unwrap();
    let stations = yizhan::synthetic::generate(400, 7, &streets, 0).unwrap();
    assert!(stations.iter().all(|s| s.synthetic && s.name.contains("合成")));
    app.add(stations).await;
    let snapshot = app.state.snapshot.load();
    assert!(snapshot.district_counts.iter().all(|c| c.stations > 0), "every district gets some");
    assert!(snapshot.entries().iter().filter(|e| e.station.synthetic).all(|e| {
        let p = e.station.position.unwrap();
        (39.3..41.1).contains(&p.lat) && (115.4..117.6).contains(&p.lon)
    }));
    let id = snapshot.entries().iter().find(|e| e.station.synthetic && e.station.is_public()).unwrap().station.id;
    let (_, html) = app.page(&format!("/stations/{id}")).await;
    assert!(text(&html, ".banner-info").contains("合成数据"));
}

#[tokio::test]
async fn one_station_patch_matches_a_full_reload() {
    let app = spawn_app().await;
    let id = seed_id(&app, "刘村小哥之家");
    let current = app.state.snapshot.load_full();
    let mut edited = current.get(id).unwrap().station.clone();
    edited.name = "刘村小哥之家（已改名）".into();
    edited.hours = Some(yizhan::domain::hours::Hours::parse("24/7").unwrap());
    let patched = current.with_station(current.version + 1, edited.clone());
    assert_eq!(patched.version, current.version + 1);
    assert_eq!(patched.public_count(), current.public_count(), "replaced, not added");
    let entry = patched.get(id).unwrap();
    assert_eq!(entry.station.name, "刘村小哥之家（已改名）");
    assert!(entry.h24, "the new hours are evaluated");
    // A station the snapshot did not have is added.
    let mut added = edited;
    added.id = 9_999_999;
    assert_eq!(current.with_station(current.version + 1, added).public_count(), current.public_count() + 1);
}

#[tokio::test]
// Literals with more digits than an f64 keeps: they are what a coordinate converter hands over.
#[allow(clippy::excessive_precision)]
async fn the_ledger_reads_back_exactly() {
    let app = spawn_app().await;
    let store = &app.state.store;
    // Positions and areas whose decimal forms need all 17 digits, and the extremes of Beijing.
    let values = [
        (39.904211234567891, 116.40739876543211, Some(0.1 + 0.2)),
        (40.0000000000000071, 116.99999999999999, None),
        (39.4416, 115.4234, Some(1e-7)),
        (41.0608, 117.5146, Some(12345.678901234567)),
    ];
    let stations: Vec<_> = values
        .iter()
        .map(|(lat, lon, area)| {
            let mut s = station("精确驿站", 110105, "Mo-Fr 08:00-18:00", &["water"]);
            s.position = Some(yizhan::domain::coords::LatLon::new(*lat, *lon).unwrap());
            s.area_m2 = *area;
            s.description = "含 \"引号\"、\\ 反斜杠、<b>、换行\n和 emoji 🚲".to_string();
            s
        })
        .collect();
    let ids = store.insert_stations(&stations, 0).await.unwrap();
    let all = store.all_stations().await.unwrap();
    for (id, wrote) in ids.iter().zip(&stations) {
        let one = store.station(*id).await.unwrap().expect("stored");
        let listed = all.iter().find(|s| s.id == *id).expect("in the full read");
        for read in [&one, listed] {
            assert_eq!(read.position.unwrap().lat.to_bits(), wrote.position.unwrap().lat.to_bits(), "lat of {id}");
            assert_eq!(read.position.unwrap().lon.to_bits(), wrote.position.unwrap().lon.to_bits(), "lon of {id}");
            assert_eq!(read.area_m2.map(f64::to_bits), wrote.area_m2.map(f64::to_bits), "area of {id}");
            assert_eq!(read.description, wrote.description);
            assert_eq!(read.name, wrote.name);
        }
    }
}
