//! The map API, "near me", navigation links and the open-data exports.

use crate::helpers::*;

fn features(body: &serde_json::Value) -> &Vec<serde_json::Value> {
    body["features"].as_array().expect("features")
}

fn total_count(body: &serde_json::Value) -> u64 {
    features(body)
        .iter()
        .map(|f| if f["properties"]["cluster"] == true { f["properties"]["count"].as_u64().unwrap() } else { 1 })
        .sum()
}

#[tokio::test]
async fn map_clusters_the_city_and_splits_at_street_zoom() {
    let app = spawn_app().await;
    let (status, body) = app.json("/api/map?bbox=115.4,39.4,117.6,41.1&zoom=9").await;
    assert_eq!(status, 200);
    assert_eq!(body["type"], "FeatureCollection");
    assert_eq!(total_count(&body), 18, "every public seed station is counted once");
    let cluster = features(&body).iter().find(|f| f["properties"]["cluster"] == true).expect("a cluster at zoom 9");
    let ez = cluster["properties"]["expansion_zoom"].as_u64().unwrap();
    assert!(ez > 9, "expansion zoom {ez}");
    // Zoomed in on the three 丰台 seed stations, they are single stations with names.
    let (_, body) = app.json("/api/map?bbox=116.36,39.79,116.40,39.82&zoom=17").await;
    let names: Vec<&str> = features(&body).iter().filter_map(|f| f["properties"]["name"].as_str()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    let station = &features(&body)[0]["properties"];
    assert!(station["id"].as_i64().is_some() && station["state"].is_string() && station["state_text"].is_string());
}

#[tokio::test]
async fn map_filters_and_caps_features() {
    let app = spawn_app().await;
    let many: Vec<_> = (0..2000)
        .map(|i| {
            let mut s =
                station(&format!("密集驿站{i}"), 110105, "24/7", if i % 10 == 0 { &["shower"] } else { &["water"] });
            s.position = Some(
                yizhan::domain::coords::LatLon::new(
                    39.85 + f64::from(i / 50) * 0.004,
                    116.35 + f64::from(i % 50) * 0.004,
                )
                .unwrap(),
            );
            s
        })
        .collect();
    app.add(many).await;
    let (_, body) = app.json("/api/map?bbox=116.2,39.8,116.6,40.1&zoom=13").await;
    assert!(features(&body).len() <= 300, "{} features", features(&body).len());
    assert!(total_count(&body) >= 2000);
    let (_, body) = app.json("/api/map?bbox=116.2,39.8,116.6,40.1&zoom=13&facility=shower").await;
    assert_eq!(total_count(&body), 200, "only the shower stations");
    // The whole world at street zoom still answers with clusters, small and fast.
    let (status, body) = app.json("/api/map?bbox=-180,-85,180,85&zoom=18").await;
    assert_eq!(status, 200);
    assert!(features(&body).len() <= 300);
    assert_eq!(total_count(&body), 2018);
}

#[tokio::test]
async fn map_refuses_bad_viewports() {
    let app = spawn_app().await;
    for (query, param) in [
        ("bbox=117,39,116,40&zoom=10", "bbox"),
        ("bbox=116,40,117,39&zoom=10", "bbox"),
        ("bbox=116,39,117&zoom=10", "bbox"),
        ("bbox=-200,39,117,40&zoom=10", "bbox"),
        ("bbox=NaN,39,117,40&zoom=10", "bbox"),
        ("bbox=116,39,inf,40&zoom=10", "bbox"),
        ("bbox=116,39,117,40&zoom=23", "zoom"),
        ("bbox=116,39,117,40&zoom=-1", "zoom"),
        ("bbox=116,39,117,40&zoom=NaN", "zoom"),
        ("zoom=10", "bbox"),
        ("bbox=116,39,117,40", "zoom"),
        ("bbox=116,39,117,40&zoom=10&facility=jacuzzi", "facility"),
    ] {
        let (status, body) = app.json(&format!("/api/map?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["error"]["param"], param, "{query}: {body}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn map_page_keeps_filters_and_degrades_to_the_list() {
    let app = spawn_app().await;
    let (status, html) = app.page("/map?facility=water&open_now=1").await;
    assert_eq!(status, 200);
    assert_eq!(attr(&html, "#map", "data-query"), "facility=water&open_now=1");
    assert!(attr(&html, "#map", "data-tile-url").contains("{z}"));
    assert!(attr(&html, "script[src*='leaflet.js']", "src").starts_with("/static/vendor/leaflet/leaflet.js?v="));
    assert!(attr(&html, "script[src*='map.js']", "src").starts_with("/static/map.js?v="));
    assert_eq!(count(&html, "script:not([src])"), 0);
    assert_eq!(count(&html, "#district-labels a"), 16, "district links work without JavaScript");
    assert_eq!(count(&html, "input[name=facility][value=water][checked]"), 1);
    let res = app.get("/map").await;
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("img-src 'self' data: blob: https://tile.openstreetmap.org"), "{csp}");
    let res = app.get(&attr(&html, "script[src*='leaflet.js']", "src")).await;
    assert!(res.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    assert!(res.headers()["content-type"].to_str().unwrap().contains("javascript"));
}

#[tokio::test]
async fn near_lists_the_closest_open_stations() {
    let app = spawn_app().await;
    // Beside the 槐房路 petrol station (24 hours) in 丰台.
    let (status, html) = app.page("/near?lat=39.806&lon=116.382").await;
    assert_eq!(status, 200);
    let names = texts(&html, ".near .station-name");
    assert_eq!(names.first().map(String::as_str), Some("槐房路壳牌加油站工会驿站"));
    assert!(texts(&html, ".near .state").iter().all(|s| s.starts_with("营业中")), "open now by default");
    assert!(text(&html, ".near .distance").contains('米'));
    assert!(text(&html, ".near .distance").contains("步行约"));
    assert!(attr(&html, ".near a.nav-amap", "href").starts_with("https://uri.amap.com/navigation?to=116.38"));
    let (_, html) = app.page("/near?lat=39.806&lon=116.382&all=1").await;
    assert!(texts(&html, ".near .station-name").len() > names.len(), "all=1 adds closed and unverified ones");
    // Without a position: a district picker, no JavaScript needed.
    let (status, html) = app.page("/near").await;
    assert_eq!(status, 200);
    assert_eq!(count(&html, ".districts a[href*='open_now=1']"), 16);
    for bad in [
        "/near?lat=91&lon=116",
        "/near?lat=39&lon=abc",
        "/near?lat=39",
        "/near?lat=NaN&lon=116",
        "/near?lat=39&lon=116&datum=mars",
    ] {
        let (status, _) = app.page(bad).await;
        assert_eq!(status, 400, "{bad}");
    }
}

#[tokio::test]
async fn station_page_offers_navigation_in_each_datum() {
    let app = spawn_app().await;
    let id = seed_id(&app, "刘村");
    let (_, html) = app.page(&format!("/stations/{id}")).await;
    let amap = attr(&html, "#nav a.nav-amap", "href");
    // 刘村 is stored at WGS-84 39.700, 116.360; Amap gets GCJ-02, a few hundred metres off.
    assert!(amap.contains("mode=ride") && !amap.contains("to=116.360000,39.700000"), "{amap}");
    let baidu = attr(&html, "#nav a.nav-baidu", "href");
    assert!(baidu.contains("latlng:39.700000,116.360000") && baidu.contains("coord_type=wgs84"), "{baidu}");
    assert!(attr(&html, "#nav a.nav-geo", "href").starts_with("geo:39.700000,116.360000"));
    assert!(attr(&html, "#nav a.nav-apple", "href").contains("daddr=39.700000,116.360000"));
    assert!(text(&html, "#nav").contains("大致位置"), "approximate positions warn before navigating");
}

#[tokio::test]
async fn open_data_exports_with_etag() {
    let app = spawn_app().await;
    let res = app.get("/api/stations.csv?district=110115").await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "UTF-8 BOM for Excel");
    let csv_text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    assert_eq!(&reader.headers().unwrap()[1], "名称");
    assert_eq!(reader.records().count(), 7, "大兴 has seven seed stations");
    let res = app
        .client
        .get(format!("{}/api/stations.csv?district=110115", app.address))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 304);
    // A write changes the data version, and so the ETag.
    app.add(vec![station("新大兴驿站", 110115, "24/7", &["water"])]).await;
    let res = app
        .client
        .get(format!("{}/api/stations.csv?district=110115", app.address))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);

    let (status, body) = app.json("/api/stations.geojson?facility=toilet").await;
    assert_eq!(status, 200);
    assert_eq!(body["type"], "FeatureCollection");
    let features = body["features"].as_array().unwrap();
    assert!(!features.is_empty());
    assert!(features.iter().all(|f| f["properties"]["facilities"].as_array().unwrap().iter().any(|k| k == "toilet")));
    assert_eq!(features[0]["geometry"]["type"], "Point");
    let (status, _) = app.json("/api/stations.geojson?facility=nope").await;
    assert_eq!(status, 400);
    let (status, html) = app.page("/open-data").await;
    assert_eq!(status, 200);
    assert!(text(&html, "main").contains("CC BY 4.0"));
    assert_eq!(count(&html, "a[href='/api/stations.csv']"), 1);
}

#[tokio::test]
async fn every_list_filter_applies_to_the_map_and_cluster_counts_sum_to_the_list_total() {
    let app = spawn_app().await;
    let districts = [110101, 110105, 110106, 110108, 110115];
    let hours = ["24/7", "Mo-Fr 08:00-18:00; PH off", "Mo-Su 09:00-12:00", ""];
    let kits: [&[&str]; 4] = [&["water", "toilet"], &["microwave"], &["charging", "water", "shower"], &[]];
    let many: Vec<_> = (0..300u32)
        .map(|i| {
            let mut s = station(
                &format!("筛选驿站{i}"),
                districts[(i % 5) as usize],
                hours[(i % 4) as usize],
                kits[(i / 4 % 4) as usize],
            );
            s.position = Some(
                yizhan::domain::coords::LatLon::new(
                    39.80 + f64::from(i / 20) * 0.01,
                    116.25 + f64::from(i % 20) * 0.01,
                )
                .unwrap(),
            );
            if i % 7 == 0 {
                s.host = yizhan::domain::facility::HostType::Mall;
            }
            s
        })
        .collect();
    app.add(many).await;
    let filters = [
        "district=110106",
        "district=110105",
        "district=110105&h24=1",
        "facility=toilet",
        "facility=water&facility=charging",
        "open_now=1",
        "open_now=1&facility=microwave",
        "h24=1",
        "holiday=1",
        "basic=1",
        "honoured=1",
        "host=mall",
        "q=%E7%AD%9B%E9%80%89%E9%A9%BF%E7%AB%991",
        "district=110108&open_now=1&facility=water",
    ];
    for filter in filters {
        let (status, list) = app.json(&format!("/api/stations?{filter}")).await;
        assert_eq!(status, 200, "{filter}");
        let total = list["total"].as_u64().expect("total");
        for zoom in [9, 12, 16] {
            let (status, map) = app.json(&format!("/api/map?bbox=115.4,39.4,117.6,41.1&zoom={zoom}&{filter}")).await;
            assert_eq!(status, 200, "{filter} at zoom {zoom}");
            assert_eq!(total_count(&map), total, "{filter} at zoom {zoom}: the map counts what the list counts");
        }
    }
    // The filters above narrow: a district is not the whole city.
    let (_, all) = app.json("/api/stations").await;
    let (_, fengtai) = app.json("/api/stations?district=110106").await;
    let (all, fengtai) = (all["total"].as_u64().unwrap(), fengtai["total"].as_u64().unwrap());
    assert!((60..all).contains(&fengtai), "丰台 {fengtai} of {all}");
}
