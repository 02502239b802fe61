//! The seed stations against the five articles (shared/seeds/000–004), and the
//! correction of databases seeded with the first seed file.

use yizhan::domain::facility::{Facility, FacilitySet, HostType};
use yizhan::domain::station::Station;

use crate::helpers::*;

fn seeded(app: &TestApp, name: &str) -> Station {
    let snapshot = app.state.snapshot.load();
    snapshot
        .entries()
        .iter()
        .find(|e| e.station.name == name)
        .map(|e| e.station.clone())
        .unwrap_or_else(|| panic!("no seed station {name}"))
}

fn has(s: &Station, keys: &[&str]) -> bool {
    keys.iter().all(|k| s.facilities.contains(Facility::parse(k).expect("facility key")))
}

#[tokio::test]
async fn nanyuan_government_hall_meets_the_basic_standard_article_000() {
    // 000: "统一配备了婴儿操作台、饮水机、消毒柜、洗手台、休息座椅" and "常用药、老花镜、爱心专座、雨伞".
    let app = spawn_app().await;
    let s = seeded(&app, "南苑街道政务服务中心工会驿站");
    assert!(has(&s, &["seats", "water", "first_aid", "rain_gear"]), "{:?}", s.facilities);
    assert!(s.meets_basic(), "4 of the 9 basic services");
    assert_eq!(s.facilities.basic_count(), 4);
}

#[tokio::test]
async fn huoshi_has_a_toilet_and_hot_water_article_003() {
    // 003: "不仅可以取暖纳凉、休息如厕、接热水、热饭".
    let app = spawn_app().await;
    assert!(has(&seeded(&app, "霍氏集团卡车司机暖心驿站"), &["toilet", "hot_water"]));
}

#[tokio::test]
async fn huaifang_wanda_and_the_petrol_station_are_in_nanyuan_article_000() {
    // 000: "南苑街道槐房万达广场工会驿站" and "丰台南苑槐房路东侧的壳牌加油站".
    let app = spawn_app().await;
    let snapshot = app.state.snapshot.load();
    for name in ["槐房万达广场工会驿站", "槐房路壳牌加油站工会驿站"] {
        let s = seeded(&app, name);
        let street = s.street_code.as_deref().and_then(|c| snapshot.street(c)).map(|st| st.name.clone());
        assert_eq!(street.as_deref(), Some("南苑街道"), "{name}");
    }
}

#[tokio::test]
async fn the_restaurant_stations_yangyang_and_xiabu_are_listed_article_003() {
    // 003: "阳阳、呷哺驿站依托餐饮门店建立".
    let app = spawn_app().await;
    for name in ["阳阳驿站", "呷哺驿站"] {
        let s = seeded(&app, name);
        assert_eq!(s.host, HostType::Restaurant, "{name}");
        assert_eq!(s.district.code, 110115, "{name} is in 大兴");
        assert!(s.hours.is_none(), "no hours are invented for {name}");
        assert!(!s.works_makeup_days, "a restaurant keeps its own week");
    }
}

#[tokio::test]
async fn donghuashi_hours_are_planned_not_verified_article_004() {
    // 004: "“暖心驿站”原定开放时间是早9点至下午5点30分" — no days given.
    let app = spawn_app().await;
    let s = seeded(&app, "东花市街道暖心驿站");
    assert!(s.hours.is_none(), "the planned time is not stated as verified hours");
    assert!(s.description.contains("原定"));
    let (_, page) = app.page(&format!("/stations/{}", s.id)).await;
    assert_eq!(text(&page, ".state"), "营业时间待核实");
}

#[tokio::test]
async fn liucun_lies_east_against_the_airport_expressway_article_003() {
    // 003: "黄村镇刘一村、刘二村东靠大兴机场高速，南靠南六环".
    let app = spawn_app().await;
    let s = seeded(&app, "刘村小哥之家户外劳动者暖心驿站");
    assert!((s.position.unwrap().lat - 39.700).abs() < 0.001 && (s.position.unwrap().lon - 116.360).abs() < 0.001, "{:?}", s.position);
    assert_eq!(s.hours.as_ref().map(|h| h.raw()), Some("Mo-Su 08:00-18:00"), "003: 每天8:00-18:00");
}

#[tokio::test]
async fn audiences_are_only_those_an_article_names() {
    // 000 names 外卖配送员 at 槐房万达 and 快递员、外卖配送员和网约车司机 at the petrol station.
    let app = spawn_app().await;
    let keys = |name: &str| seeded(&app, name).audiences.iter().map(|a| a.key()).collect::<Vec<_>>();
    assert_eq!(keys("槐房万达广场工会驿站"), vec!["rider"]);
    assert_eq!(keys("槐房路壳牌加油站工会驿站"), vec!["courier", "rider", "ride_hail"]);
    assert!(keys("龙潭街道“漪家园”").is_empty(), "004 names no audience for 漪家园");
}

#[tokio::test]
async fn a_database_seeded_with_the_first_file_gets_the_corrections_and_keeps_staff_edits() {
    let app = spawn_app().await;
    let store = &app.state.store;
    let now = app.state.clock.now();
    // Put two stations back to the first file's facilities; one has a staff edit besides.
    let first_nanyuan =
        ["mother_baby", "reading", "barrier_free", "wheelchair", "first_aid", "reading_glasses", "rain_gear"];
    let first_huoshi = [
        "water",
        "microwave",
        "fridge",
        "seats",
        "tv",
        "air_conditioning",
        "reading",
        "board_games",
        "wifi",
        "charging",
        "first_aid",
        "rain_gear",
    ];
    let nanyuan = seeded(&app, "南苑街道政务服务中心工会驿站");
    let mut old = nanyuan.clone();
    old.facilities = FacilitySet::from_keys(first_nanyuan).expect("keys");
    assert!(store.save_station(&nanyuan, &old, "edit", None, now).await.expect("save"));
    let huoshi = seeded(&app, "霍氏集团卡车司机暖心驿站");
    let mut edited = huoshi.clone();
    edited.facilities = FacilitySet::from_keys(first_huoshi).expect("keys");
    edited.facilities.insert(Facility::parse("kitchen").expect("kitchen"));
    assert!(store.save_station(&huoshi, &edited, "edit", None, now).await.expect("save"));
    // A station the first file did not have is missing from this database.
    let yangyang = seeded(&app, "阳阳驿站");
    let mut renamed = yangyang.clone();
    renamed.name = "阳阳驿站（旧名）".into();
    assert!(store.save_station(&yangyang, &renamed, "edit", None, now).await.expect("save"));

    let streets = yizhan::seed::streets().expect("streets");
    let changed = yizhan::seed::correct_seed(store, &streets, now).await.expect("corrections");
    assert!(changed >= 2, "{changed}");
    let reread = |id: i64| async move { store.station(id).await.expect("store").expect("station") };
    assert!(has(&reread(nanyuan.id).await, &["seats", "water"]), "the first file's value is corrected");
    let huoshi_now = reread(huoshi.id).await;
    assert!(!has(&huoshi_now, &["toilet"]), "a staff edit of the field is kept");
    assert!(has(&huoshi_now, &["kitchen"]));
    assert_eq!(store.station_ids_named("阳阳驿站").await.expect("ids").len(), 1, "the missing station is added");
    let (_, entries) = store.audit_log(Some(nanyuan.id), 0).await.expect("audit");
    assert!(entries.iter().any(|e| e.action == "seed_correction" && e.staff_name.is_none()));
}

#[tokio::test]
async fn an_area_can_be_cleared_and_set_again() {
    // A statement first run with no area, then with one, on the same connection.
    let app = spawn_app_with(|c| c.db_max_connections = 1).await;
    let store = &app.state.store;
    let now = app.state.clock.now();
    let s = seeded(&app, "南苑街道政务服务中心工会驿站");
    let mut cleared = s.clone();
    cleared.area_m2 = None;
    assert!(store.save_station(&s, &cleared, "edit", None, now).await.expect("clear"));
    let stored = store.station(s.id).await.expect("store").expect("station");
    let mut set_again = stored.clone();
    set_again.area_m2 = Some(52.5);
    assert!(store.save_station(&stored, &set_again, "edit", None, now).await.expect("set"));
    let stored = store.station(s.id).await.expect("store").expect("station");
    assert_eq!(stored.area_m2, Some(52.5));
}
