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
    assert_eq!(app.state.store.station_count().await.unwrap(), 16);
    // A restart on the same database does not load the seeds again.
    let again = spawn_on(app.database_url.clone(), monday_morning()).await;
    assert_eq!(again.state.store.station_count().await.unwrap(), 16);
    let snapshot = again.state.snapshot.load();
    assert_eq!(snapshot.public_count(), 16);
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
        let p = e.station.position;
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
