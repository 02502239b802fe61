//! `/api/stations`: the list's filters as JSON.

use crate::helpers::*;

#[tokio::test]
async fn list_as_json() {
    let app = spawn_app().await;
    let (status, body) = app.json("/api/stations?district=110113").await;
    assert_eq!(status, 200);
    assert_eq!(body["total"], 2);
    assert_eq!(body["page"], 1);
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let item = &items[0];
    for key in [
        "id",
        "name",
        "district_code",
        "street_code",
        "address",
        "lat",
        "lon",
        "open_now",
        "h24",
        "facilities",
        "basic",
        "status",
    ] {
        assert!(item.get(key).is_some(), "item has {key}");
    }
    assert_eq!(item["district_code"], "110113");
    assert_eq!(item["open_now"], true);
    assert_eq!(item["h24"], true);
    assert_eq!(item["status"], "open");
    assert!(item["facilities"].as_array().unwrap().iter().any(|f| f == "water"));
}

#[tokio::test]
async fn filters_and_pages() {
    let app = spawn_app().await;
    let (_, body) = app.json("/api/stations?facility=water&facility=toilet").await;
    let names: Vec<&str> = body["items"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(body["total"], names.len());
    assert!(names.contains(&"刘村小哥之家户外劳动者暖心驿站"));
    assert!(!names.contains(&"鸿坤广场驿站"), "no toilet there");
    let (_, body) = app.json("/api/stations?per_page=5&page=4").await;
    assert_eq!(body["total"], 18);
    assert_eq!(body["items"].as_array().unwrap().len(), 3);
    let (_, body) = app.json("/api/stations?open_now=1&basic=1").await;
    assert!(body["items"].as_array().unwrap().iter().all(|i| i["open_now"] == true && i["basic"] == true));
}
