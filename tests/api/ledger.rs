//! The ledger in and out of spreadsheets (issue 14): a GBK CSV and an xlsx written
//! here, a dry run line by line, all rows or none, export → import with zero
//! changes, bad files and bad rows, the public code and `/s/{code}`, and the command line.

use crate::admin::{signed_in_admin, signed_in_fengtai};

use crate::helpers::*;
use crate::photos::BOUNDARY;

const HEADER: &str =
    "站点编号,站点名称,所属区,详细地址,经度,纬度,坐标系,开放时间,节假日开放,设施,服务对象,承建单位类型,联系电话";

/// A ledger of `rows` (CSV lines after [`HEADER`]) in GBK, as Excel in China saves it.
pub fn gbk_csv(rows: &[&str]) -> Vec<u8> {
    let text = std::iter::once(HEADER).chain(rows.iter().copied()).collect::<Vec<_>>().join("\r\n");
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    bytes.into_owned()
}

fn multipart(fields: &[(&str, &str)], file: (&str, &[u8])) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n",
            file.0
        )
        .as_bytes(),
    );
    body.extend_from_slice(file.1);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Uploads a ledger file for a dry run; the status and the page.
pub async fn dry_run(staff: &Browser, name: &str, bytes: &[u8], fields: &[(&str, &str)]) -> (u16, scraper::Html) {
    let csrf = staff.csrf("/admin/ledger").await;
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    let res = staff
        .client
        .post(format!("{}/admin/ledger/import", staff.base))
        .header("Content-Type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(multipart(&all, (name, bytes)))
        .send()
        .await
        .expect("upload");
    let status = res.status().as_u16();
    (status, scraper::Html::parse_document(&res.text().await.expect("body")))
}

/// Applies the dry run shown on `page`.
pub async fn apply(staff: &Browser, page: &scraper::Html) -> reqwest::Response {
    let token = attr(page, "form.ledger-apply input[name=token]", "value");
    let csrf = attr(page, "form.ledger-apply input[name=csrf]", "value");
    staff.post("/admin/ledger/apply", &[("csrf", csrf.as_str()), ("token", token.as_str())]).await
}

fn counts(page: &scraper::Html) -> Vec<String> {
    texts(page, ".ledger-counts li")
}

async fn station_named(app: &TestApp, name: &str) -> yizhan::domain::station::Station {
    let ids = app.state.store.station_ids_named(name).await.unwrap();
    assert_eq!(ids.len(), 1, "{name}: {ids:?}");
    app.state.store.station(ids[0]).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_gbk_csv_comes_in_after_a_dry_run_and_again_changes_nothing() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    let before = app.state.snapshot.load().entries().len();
    let file = gbk_csv(&[
        "FT-0001,花乡加油站暖心驿站,丰台区,丰台区花乡路1号,116.30,39.83,高德,８：００－１８：００,是,饮水、厕所、充电、微波炉,快递员、外卖骑手,加油站,010-63700000",
        "FT-0002,卢沟桥社区驿站,丰台,丰台区卢沟桥路2号,116.22,39.85,WGS-84,周一至周五 9:00-17:30,否,饮水、座椅,,社区服务中心,",
        ",大兴物流园驿站,110115,大兴区物流园3号,116.35,39.72,,24小时,是,饮水,货车司机,物流园区,",
    ]);
    let (status, page) = dry_run(&admin, "台账.csv", &file, &[("encoding", "auto")]).await;
    assert_eq!(status, 200, "{}", texts(&page, "h1, .banner").join(" | "));
    assert_clean_frame(&page);
    assert_eq!(text(&page, ".ledger-file"), "台账.csv · GBK");
    assert_eq!(counts(&page), vec!["新增 3 个", "修改 0 个", "没有变化 0 个", "不能导入 0 行"]);
    assert_eq!(texts(&page, ".ledger-line .line-no"), vec!["第 2 行", "第 3 行", "第 4 行"]);
    // A dry run writes nothing.
    assert_eq!(app.state.snapshot.load().entries().len(), before);
    assert_eq!(app.state.store.station_ids_named("卢沟桥社区驿站").await.unwrap().len(), 0);

    let res = apply(&admin, &page).await;
    assert_eq!(res.status().as_u16(), 303);
    assert!(location(&res).starts_with("/admin/ledger?done=imported"), "{}", location(&res));
    assert_eq!(app.state.snapshot.load().entries().len(), before + 3);
    let huaxiang = station_named(&app, "花乡加油站暖心驿站").await;
    assert_eq!(huaxiang.ledger_id.as_deref(), Some("FT-0001"));
    assert_eq!(huaxiang.hours.as_ref().unwrap().raw(), "Mo-Su 08:00-18:00");
    assert!(huaxiang.opens_on_holidays());
    assert_eq!(huaxiang.host.key(), "petrol_station");
    assert!((huaxiang.position.unwrap().lon - 116.30).abs() > 1e-4, "GCJ-02 was turned into WGS-84");
    assert_eq!(huaxiang.code, format!("BJ-110106-{:04}", huaxiang.id));
    let lugou = station_named(&app, "卢沟桥社区驿站").await;
    assert_eq!(lugou.hours.as_ref().unwrap().raw(), "Mo-Fr 09:00-17:30; PH off");
    let daxing = station_named(&app, "大兴物流园驿站").await;
    assert_eq!((daxing.district.code, daxing.hours.as_ref().unwrap().raw()), (110115, "24/7"));
    // Audited: one row per station and one for the import.
    let (_, audit) = admin.page("/admin/audit").await;
    let actions = texts(&audit, ".audit-line p strong");
    assert_eq!(actions.iter().filter(|a| a.as_str() == "台账导入新增").count(), 3, "{actions:?}");
    assert_eq!(actions.iter().filter(|a| a.as_str() == "导入台账").count(), 1, "{actions:?}");
    // The applied file is gone: applying again finds nothing.
    assert_eq!(apply(&admin, &page).await.status().as_u16(), 404);

    // The same file again: nothing changes.
    let (_, page) = dry_run(&admin, "台账.csv", &file, &[]).await;
    assert_eq!(counts(&page), vec!["新增 1 个", "修改 0 个", "没有变化 2 个", "不能导入 0 行"]);
    // The row without a ledger number is new again, named as a probable duplicate.
    assert!(text(&page, ".duplicates").contains("可能是重复的"));
    assert!(text(&page, ".line-added .line-details").contains(&daxing.code));

    // The public code leads to the station; a wrong one is not found.
    let res = app.get(&format!("/s/{}", huaxiang.code)).await;
    assert_eq!(res.status().as_u16(), 302);
    assert_eq!(location(&res), format!("/stations/{}", huaxiang.id));
    let (_, station_page) = app.page(&format!("/stations/{}", huaxiang.id)).await;
    assert_eq!(text(&station_page, ".station-code"), huaxiang.code);
    assert_eq!(app.get(&format!("/s/BJ-110115-{:04}", huaxiang.id)).await.status().as_u16(), 404);
    assert_eq!(app.get("/s/nothing").await.status().as_u16(), 404);
}

#[tokio::test]
async fn an_export_imported_again_changes_nothing_and_an_edit_shows_field_by_field() {
    let app = spawn_app().await;
    let staff = signed_in_fengtai(&app).await;
    let res = staff.get("/admin/ledger/export?format=xlsx&district=110106").await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let xlsx = res.bytes().await.unwrap().to_vec();
    let fengtai = app.state.snapshot.load().entries().iter().filter(|e| e.station.district.code == 110106).count();
    assert!(fengtai > 0);
    let (status, page) = dry_run(&staff, "丰台.xlsx", &xlsx, &[]).await;
    assert_eq!(status, 200, "{}", texts(&page, "h1, .banner").join(" | "));
    assert_eq!(
        text(&page, ".count-unchanged"),
        format!("没有变化 {fengtai} 个"),
        "{:?}",
        texts(&page, ".line-details li")
    );
    assert_eq!(text(&page, ".count-changed"), "修改 0 个");
    assert_eq!(text(&page, ".count-added"), "新增 0 个");
    // The same in CSV, GBK and UTF-8.
    for encoding in ["gbk", "utf8"] {
        let res = staff.get(&format!("/admin/ledger/export?format=csv&district=110106&encoding={encoding}")).await;
        let csv = res.bytes().await.unwrap().to_vec();
        assert_eq!(csv.starts_with(b"\xEF\xBB\xBF"), encoding == "utf8");
        let (_, page) = dry_run(&staff, "丰台.csv", &csv, &[]).await;
        assert_eq!(text(&page, ".count-unchanged"), format!("没有变化 {fengtai} 个"), "{encoding}");
    }
    // Another district's export is not theirs.
    assert_eq!(staff.get("/admin/ledger/export?format=xlsx&district=110115").await.status().as_u16(), 404);

    // A row edited in the spreadsheet shows field by field, and comes in.
    let (sheet, _) = yizhan::sheet::read(&xlsx, "x.xlsx", None).unwrap();
    let mut rows = sheet.rows.clone();
    let name_col = rows[0].iter().position(|h| h == "站点名称").unwrap();
    let phone_col = rows[0].iter().position(|h| h == "联系电话").unwrap();
    let old_name = rows[1][name_col].clone();
    rows[1][phone_col] = "13912345678".into();
    let edited = yizhan::sheet::write_xlsx(&rows, "台账").unwrap();
    let (_, page) = dry_run(&staff, "改过.xlsx", &edited, &[]).await;
    assert_eq!(text(&page, ".count-changed"), "修改 1 个");
    assert!(text(&page, ".line-changed .line-details").contains("→ 13912345678"), "{}", text(&page, ".line-changed"));
    assert_eq!(apply(&staff, &page).await.status().as_u16(), 303);
    assert_eq!(station_named(&app, &old_name).await.phone.unwrap().as_str(), "13912345678");
}

#[tokio::test]
async fn a_row_without_coordinates_is_listed_but_not_on_the_map_and_never_erases_a_position() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    let file = gbk_csv(&[
        "YQ-1,无坐标驿站,延庆区,延庆区某路1号,,,,8:00-18:00,是,饮水、厕所,,,",
        "YQ-2,有坐标驿站,延庆区,延庆区某路2号,115.97,40.46,,8:00-18:00,是,饮水,,,",
        "YQ-3,半个坐标驿站,延庆区,延庆区某路3号,115.97,,,8:00-18:00,是,饮水,,,",
    ]);
    let (_, page) = dry_run(&admin, "延庆.csv", &file, &[]).await;
    assert_eq!(text(&page, ".count-rejected"), "不能导入 1 行");
    assert!(text(&page, ".line-rejected .line-details").contains("纬度"), "{}", text(&page, ".line-rejected"));
    // The half pair out, the rest in.
    let file = gbk_csv(&[
        "YQ-1,无坐标驿站,延庆区,延庆区某路1号,,,,8:00-18:00,是,饮水、厕所,,,",
        "YQ-2,有坐标驿站,延庆区,延庆区某路2号,115.97,40.46,,8:00-18:00,是,饮水,,,",
    ]);
    let (_, page) = dry_run(&admin, "延庆.csv", &file, &[]).await;
    assert_eq!(counts(&page), vec!["新增 2 个", "修改 0 个", "没有变化 0 个", "不能导入 0 行"]);
    assert_eq!(apply(&admin, &page).await.status().as_u16(), 303);
    let unknown = station_named(&app, "无坐标驿站").await;
    assert_eq!(unknown.position, None);
    let known = station_named(&app, "有坐标驿站").await;
    assert!(known.position.is_some());

    // Listed, with its page saying so and no navigation.
    let (_, list) = app.page("/stations?district=110119").await;
    assert!(texts(&list, ".station-name").contains(&"无坐标驿站".to_string()));
    let (status, station) = app.page(&format!("/stations/{}", unknown.id)).await;
    assert_eq!(status, 200);
    assert_clean_frame(&station);
    assert!(text(&station, ".precision-unknown").starts_with("位置待核实"));
    assert_eq!(count(&station, "#nav"), 0);
    assert_eq!(count(&station, ".location-unknown-note"), 1);
    // Shared, the page's card names the station and where it is.
    assert_eq!(attr(&station, "meta[property='og:title']", "content"), "无坐标驿站");
    assert!(attr(&station, "meta[property='og:description']", "content").starts_with("延庆区 · 延庆区某路1号 · "));
    assert!(attr(&station, "meta[property='og:url']", "content").ends_with(&format!("/stations/{}", unknown.id)));
    let (_, english) = app.page_en(&format!("/stations/{}", unknown.id)).await;
    assert!(text(&english, ".precision-unknown").starts_with("Position not known yet"));
    // Not on the map, not near anything; in the open data without a geometry.
    let (_, map) = app.json("/api/map?bbox=115.4,39.4,117.6,41.1&zoom=18&district=110119").await;
    let on_map: Vec<i64> =
        map["features"].as_array().unwrap().iter().filter_map(|f| f["properties"]["id"].as_i64()).collect();
    assert!(on_map.contains(&known.id) && !on_map.contains(&unknown.id), "{on_map:?}");
    let (_, near) = app.page("/near?lat=40.46&lon=115.97").await;
    let near_names = texts(&near, ".station-name");
    assert!(near_names.contains(&"有坐标驿站".to_string()), "{near_names:?}");
    assert!(!near_names.contains(&"无坐标驿站".to_string()), "{near_names:?}");
    let (_, api) = app.json("/api/stations?district=110119").await;
    let row = api["items"].as_array().unwrap().iter().find(|i| i["id"] == unknown.id).expect("listed in the API");
    assert!(row["lat"].is_null() && row["lon"].is_null(), "{row}");
    let (_, geojson) = app.json("/api/stations.geojson").await;
    let feature = geojson["features"].as_array().unwrap().iter().find(|f| f["properties"]["id"] == unknown.id).unwrap();
    assert!(feature["geometry"].is_null());
    assert_eq!(feature["properties"]["location_precision"], "unknown");

    // A ledger without coordinates does not erase a known position: unchanged.
    let file = gbk_csv(&["YQ-2,有坐标驿站,延庆区,延庆区某路2号,,,,8:00-18:00,是,饮水,,,"]);
    let (_, page) = dry_run(&admin, "延庆.csv", &file, &[]).await;
    assert_eq!(counts(&page), vec!["新增 0 个", "修改 0 个", "没有变化 1 个", "不能导入 0 行"]);
    // Coordinates given later put the station on the map.
    let file = gbk_csv(&["YQ-1,无坐标驿站,延庆区,延庆区某路1号,115.98,40.47,,8:00-18:00,是,饮水、厕所,,,"]);
    let (_, page) = dry_run(&admin, "延庆.csv", &file, &[]).await;
    assert_eq!(counts(&page), vec!["新增 0 个", "修改 1 个", "没有变化 0 个", "不能导入 0 行"]);
    assert_eq!(apply(&admin, &page).await.status().as_u16(), 303);
    let located = station_named(&app, "无坐标驿站").await;
    assert_eq!(located.position.map(|p| (p.lat, p.lon)), Some((40.47, 115.98)));
    let (_, near) = app.page("/near?lat=40.46&lon=115.97").await;
    assert!(texts(&near, ".station-name").contains(&"无坐标驿站".to_string()));
}

#[tokio::test]
async fn bad_rows_are_named_and_nothing_is_half_applied() {
    let app = spawn_app().await;
    let staff = signed_in_fengtai(&app).await;
    let before = app.state.snapshot.load().entries().len();
    let file = gbk_csv(&[
        "A1,好驿站,丰台区,丰台区某路1号,116.30,200,,8:00-18:00,是,饮水,,,",
        "A2,看情况驿站,丰台区,丰台区某路2号,116.30,39.83,,看情况,是,饮水、按摩椅,,,",
        "A3,重复一,丰台区,丰台区某路3号,116.30,39.83,,8:00-18:00,是,饮水,,,",
        "A3,重复二,丰台区,丰台区某路4号,116.31,39.83,,8:00-18:00,是,饮水,,,",
        "A5,大兴的驿站,大兴区,大兴区某路5号,116.35,39.72,,8:00-18:00,是,饮水,,,",
        "A6,正常驿站,丰台区,丰台区某路6号,116.30,39.84,,8:00-18:00,是,饮水,,,=HYPERLINK(\"x\")",
        "A7,上海的驿站,丰台区,丰台区某路7号,121.47,31.23,,8:00-18:00,是,饮水,,,",
    ]);
    let (status, page) = dry_run(&staff, "有错.csv", &file, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(text(&page, ".count-rejected"), "不能导入 7 行", "{:?}", texts(&page, ".line-details li"));
    let details = texts(&page, ".line-rejected .line-details li");
    for expected in [
        "经度/纬度“200”：经纬度不是数字，或超出了范围",
        "开放时间“看情况”",
        "设施“按摩椅”",
        "站点编号“A3”",
        "不是你可以导入的区",
        "联系电话“=HYPERLINK",
        "坐标不在北京市范围内",
    ] {
        assert!(details.iter().any(|d| d.contains(expected)), "{expected} in {details:?}");
    }
    // No import button; the refused rows come back with a reason column.
    assert_eq!(count(&page, "form.ledger-apply"), 0);
    let link = attr(&page, "a.rejected-download", "href");
    let res = staff.get(&link).await;
    assert_eq!(res.status().as_u16(), 200);
    let body = res.text().await.unwrap();
    assert!(body.starts_with('\u{feff}'));
    assert!(body.lines().next().unwrap().ends_with("未导入原因"), "{body}");
    assert_eq!(body.lines().count(), 8, "{body}");
    // Another staff member cannot use the file; nothing was written.
    let admin = signed_in_admin(&app).await;
    assert_eq!(admin.get(&link).await.status().as_u16(), 404);
    assert_eq!(app.state.snapshot.load().entries().len(), before);

    // Files that cannot be read at all.
    let (status, page) = dry_run(&staff, "x.csv", "名称,地址\n甲,乙".as_bytes(), &[]).await;
    assert_eq!((status, text(&page, "h1")), (400, "缺少必填的列".to_string()));
    let (status, _) = dry_run(&staff, "x.xlsx", b"PK\x03\x04 not really a workbook", &[]).await;
    assert_eq!(status, 400);
    let (status, page) = dry_run(&staff, "x.csv", &file, &[("encoding", "utf8")]).await;
    assert_eq!((status, text(&page, "h1")), (400, "看不懂文件的编码".to_string()));
    let big = vec![b'a'; 21 * 1024 * 1024];
    let (status, _) = dry_run(&staff, "big.csv", &big, &[]).await;
    assert_eq!(status, 413);
    // No CSRF token: refused; a stranger: to the login page.
    let res = staff
        .client
        .post(format!("{}/admin/ledger/import", staff.base))
        .header("Content-Type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(multipart(&[], ("x.csv", HEADER.as_bytes())))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(Browser::new(&app).get("/admin/ledger").await.status().as_u16(), 303);
}

#[tokio::test]
async fn a_file_of_more_than_100000_rows_is_refused_whole() {
    let app = spawn_app().await;
    let staff = signed_in_fengtai(&app).await;
    let before = app.state.snapshot.load().entries().len();
    // 100,001 rows of 丰台 stations (3 MB: under the size limit, over the row limit).
    let rows: Vec<String> =
        (0..100_001).map(|i| format!("B{i},驿站{i},丰台区,丰台区某路{i}号,116.30,39.83,,24小时,是,饮水,,,")).collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let file = gbk_csv(&rows);
    assert!(file.len() < 20 * 1024 * 1024);
    let (status, page) = dry_run(&staff, "十万行.csv", &file, &[]).await;
    assert_eq!((status, text(&page, "h1")), (413, "行数太多".to_string()));
    assert!(text(&page, "main").contains("100000"), "{}", text(&page, "main"));
    assert_eq!(app.state.snapshot.load().entries().len(), before);
}

#[tokio::test]
async fn the_command_line_imports_and_exports() {
    let app = spawn_app().await;
    let dir = std::env::temp_dir().join(format!("yizhan-ledger-{}-{}", std::process::id(), rand::random::<u32>()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("台账.csv");
    std::fs::write(&file, gbk_csv(&["CL-1,命令行驿站,丰台区,丰台区某路9号,116.30,39.83,,8:00-18:00,是,饮水,,,"]))
        .unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_yizhan"))
            .args(args)
            .env("YIZHAN_DATABASE_URL", &app.database_url)
            .env("YIZHAN_LOG", "warn")
            .output()
            .expect("run yizhan")
    };
    let out = run(&["import", file.to_str().unwrap(), "--dry-run"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text} {}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("line 2\tadded\t命令行驿站"), "{text}");
    assert!(text.contains("dry run: nothing written"));
    assert_eq!(app.state.store.station_ids_named("命令行驿站").await.unwrap().len(), 0);
    let out = run(&["import", file.to_str().unwrap(), "--district", "110115"]);
    assert!(!out.status.success(), "a 丰台 row under --district 110115 is refused");
    assert_eq!(app.state.store.station_ids_named("命令行驿站").await.unwrap().len(), 0);
    let out = run(&["import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(app.state.store.station_ids_named("命令行驿站").await.unwrap().len(), 1);

    let exported = dir.join("丰台.xlsx");
    let out = run(&["export", exported.to_str().unwrap(), "--district", "110106"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(&["import", exported.to_str().unwrap(), "--dry-run"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\n0 added, 0 changed,"), "{text}");
    assert!(!text.contains("rejected\t"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_station_closed_until_a_day_reopens_by_itself_on_that_day_once() {
    use yizhan::domain::station::Status;
    let app = spawn_app().await;
    let id = crate::feedback::fengtai_station(&app);
    let before = app.state.store.station(id).await.unwrap().unwrap();
    let mut closed = before.clone();
    let until = chrono::NaiveDate::from_ymd_opt(2025, 11, 20).unwrap();
    closed.status = Status::TemporarilyClosed { reason: "内部装修".into(), until: Some(until) };
    assert!(app.state.store.save_station(&before, &closed, "close", None, app.state.clock.now()).await.unwrap());
    // The day before: still closed, however often the chore runs.
    assert!(app.state.store.reopen_due(until.pred_opt().unwrap(), app.state.clock.now()).await.unwrap().is_empty());
    // Two instances on the day: the station reopens once.
    let first = spawn_on(app.database_url.clone(), at("2025-11-20 08:00")).await;
    let second = spawn_on(app.database_url.clone(), at("2025-11-20 08:00")).await;
    let mut waited = 0;
    while !matches!(app.state.store.station(id).await.unwrap().unwrap().status, Status::Open) {
        assert!(waited < 50, "not reopened");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        waited += 1;
    }
    assert!(second.state.store.reopen_due(until, second.state.clock.now()).await.unwrap().is_empty());
    let (_, log) = app.state.store.audit_log(Some(id), 0).await.unwrap();
    assert_eq!(log.iter().filter(|e| e.action == "reopen_due").count(), 1);
    // The public page follows.
    first.reload().await;
    let (_, page) = first.page(&format!("/stations/{id}")).await;
    assert_eq!(count(&page, ".banner-closed"), 0);
}

#[tokio::test]
async fn stations_not_checked_for_180_days_are_flagged_to_staff() {
    let app = spawn_app().await;
    let mut fresh = station("丰台新核实", 110106, "24/7", &[]);
    fresh.verified_on = Some("2025-11-01".parse().unwrap());
    let mut old = station("丰台久未核实", 110106, "24/7", &[]);
    old.verified_on = Some("2025-05-01".parse().unwrap());
    app.add(vec![fresh, old]).await;
    let staff = signed_in_fengtai(&app).await;
    let today = app.state.clock.today();
    let expected = app
        .state
        .snapshot
        .load()
        .entries()
        .iter()
        .filter(|e| e.station.district.code == 110106 && e.station.is_stale(today))
        .count();
    let (_, home) = staff.page("/admin/feedback").await;
    assert_eq!(
        text(&home, ".stale-count"),
        format!("{expected} 个驿站超过180天没有核实（或从未核实），请安排实地查看。")
    );
    let (_, list) = staff.page("/admin/stations?stale=1").await;
    let names = texts(&list, "table td a, .station-row a");
    assert!(names.iter().any(|n| n == "丰台久未核实"), "{names:?}");
    assert!(!names.iter().any(|n| n == "丰台新核实"), "{names:?}");
    assert_eq!(staff.page("/admin/stations?stale=yes").await.0, 400);
}

/// Starts a ledger upload that sends its head and the start of its body, then waits.
fn slow_upload(app: &TestApp, cookie: &str, csrf: &str) -> std::net::TcpStream {
    use std::io::Write;
    let address = app.address.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    let start = format!(
        "--B\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--B\r\n\
         Content-Disposition: form-data; name=\"file\"; filename=\"slow.csv\"\r\n\r\n站点名称,所属区,详细地址\r\n"
    );
    let head = format!(
        "POST /admin/ledger/import HTTP/1.1\r\nHost: {address}\r\nCookie: {cookie}\r\n\
         Content-Type: multipart/form-data; boundary=B\r\nContent-Length: 1000000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).expect("head");
    stream.write_all(start.as_bytes()).expect("start of the body");
    stream
}

#[tokio::test]
async fn slow_ledger_uploads_hold_receiving_places_not_the_import_and_export_slots() {
    let app = spawn_app().await;
    let staff = signed_in_admin(&app).await;
    let csrf = staff.csrf("/admin/ledger").await;
    let url = app.address.parse().expect("url");
    let cookie = reqwest::cookie::CookieStore::cookies(&*staff.jar, &url).expect("cookies");
    let cookie = cookie.to_str().expect("cookie header").to_string();
    let mut slow = vec![slow_upload(&app, &cookie, &csrf), slow_upload(&app, &cookie, &csrf)];
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // Two files arriving slowly (as many as there are import slots): exports go on.
    for _ in 0..3 {
        let res = staff.get("/admin/ledger/export?format=csv&district=110106").await;
        assert_eq!(res.status().as_u16(), 200, "an export while two uploads crawl in");
    }
    // Bodies in flight are bounded on their own: the fifth one is "busy" at once.
    slow.push(slow_upload(&app, &cookie, &csrf));
    slow.push(slow_upload(&app, &cookie, &csrf));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let body = multipart(&[("csrf", &csrf)], ("a.csv", "站点名称,所属区,详细地址\r\n".as_bytes()));
    let res = staff
        .client
        .post(format!("{}/admin/ledger/import", staff.base))
        .header("Content-Type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(body)
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status().as_u16(), 429, "a fifth file while four are received");
    drop(slow);
}

#[tokio::test]
async fn staff_csv_exports_never_start_a_cell_with_a_formula() {
    let app = spawn_app().await;
    let staff = signed_in_admin(&app).await;
    let mut evil = station("=HYPERLINK(\"http://evil.example\",\"点我\")", 110106, "24/7", &["water"]);
    evil.address = "@SUM(1+1)丰台区某路".into();
    evil.services = "=cmd|' /C calc'!A0".into();
    app.add(vec![evil]).await;
    let res = staff.get("/admin/ledger/export?format=csv&district=110106").await;
    assert_eq!(res.status().as_u16(), 200);
    let bytes = res.bytes().await.expect("body");
    let text = String::from_utf8(bytes[3..].to_vec()).expect("UTF-8 after the BOM");
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let cells: Vec<String> =
        reader.records().flat_map(|r| r.expect("a CSV row").iter().map(str::to_string).collect::<Vec<_>>()).collect();
    assert!(cells.iter().any(|c| c.starts_with("'=HYPERLINK")), "the name is there, guarded");
    assert!(cells.iter().any(|c| c.starts_with("'@SUM")), "the address is there, guarded");
    for cell in &cells {
        assert!(!cell.starts_with(['=', '+', '-', '@']), "a cell a spreadsheet would run: {cell}");
    }
}

#[tokio::test]
async fn coordinates_in_degrees_minutes_and_seconds_come_in() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    let rows = [
        r#"DC-1,北新桥驿站,东城区,东城区北新桥1号,"116°25'30""","39°56′30″",,8:00-18:00,是,饮水,,,"#,
        "DC-2,交道口驿站,东城区,东城区交道口2号,东经116度24分30.5秒,北纬39度56分,,8:00-18:00,是,饮水,,,",
        r#"DC-3,分秒错驿站,东城区,东城区某路3号,"116°61'00""",39.93,,8:00-18:00,是,饮水,,,"#,
    ];
    let (_, page) = dry_run(&admin, "东城.csv", &gbk_csv(&rows), &[]).await;
    assert_eq!(counts(&page), vec!["新增 2 个", "修改 0 个", "没有变化 0 个", "不能导入 1 行"]);
    assert_eq!(texts(&page, ".line-rejected .line-details li"), vec!["经度“116°61'00\"”：度分秒里的分和秒都要小于 60"]);
    let (_, page) = dry_run(&admin, "东城.csv", &gbk_csv(&rows[..2]), &[]).await;
    assert_eq!(apply(&admin, &page).await.status().as_u16(), 303);
    let p = station_named(&app, "北新桥驿站").await.position.unwrap();
    assert!((p.lon - 116.425).abs() < 1e-6 && (p.lat - (39.0 + 56.5 / 60.0)).abs() < 1e-6, "{p:?}");
    let p = station_named(&app, "交道口驿站").await.position.unwrap();
    let lon = 116.0 + 24.0 / 60.0 + 30.5 / 3600.0;
    assert!((p.lon - lon).abs() < 1e-6 && (p.lat - (39.0 + 56.0 / 60.0)).abs() < 1e-6, "{p:?}");
}

/// An .xlsx of `rows` from row 1 (column A first; "" leaves a cell out) with merged
/// regions (first row, first column, last row, last column, 0-based, and the text).
fn xlsx_with_merges(rows: &[Vec<&str>], merged: &[(u32, u16, u32, u16, &str)]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate().filter(|(_, cell)| !cell.is_empty()) {
            sheet.write_string(r as u32, c as u16, *cell).unwrap();
        }
    }
    let plain = rust_xlsxwriter::Format::new();
    for (top, left, bottom, right, text) in merged {
        sheet.merge_range(*top, *left, *bottom, *right, text, &plain).unwrap();
    }
    book.save_to_buffer().unwrap()
}

/// Runs `yizhan` on the test's database: whether it succeeded, and what it printed.
fn yizhan(app: &TestApp, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_yizhan"))
        .args(args)
        .env("YIZHAN_DATABASE_URL", &app.database_url)
        .env("YIZHAN_LOG", "warn")
        .output()
        .expect("run yizhan");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.success(), format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)))
}

/// `bytes` in a file of a fresh temporary folder, for the command line.
fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("yizhan-ledger-{}-{}", std::process::id(), rand::random::<u32>()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[tokio::test]
async fn a_merged_title_above_the_header_is_skipped_and_named_in_the_dry_run() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    let title = "2026年东城区工会户外劳动者服务站点台账";
    let rows = vec![
        vec![],
        HEADER.split(',').collect(),
        "DC-1,北新桥驿站,东城区,东城区北新桥1号,116.41,39.94,,8:00-18:00,是,饮水,,,".split(',').collect(),
        "DC-2,交道口驿站,东城区,东城区交道口2号,116.40,39.93,,8:00-18:00,是,饮水,,,".split(',').collect(),
    ];
    // The title on row 1, merged across the 13 columns, as union offices head their ledgers.
    let xlsx = xlsx_with_merges(&rows, &[(0, 0, 0, 12, title)]);
    let (status, page) = dry_run(&admin, "东城.xlsx", &xlsx, &[]).await;
    assert_eq!(status, 200, "{}", texts(&page, "h1, .banner, main p").join(" | "));
    assert_eq!(
        counts(&page),
        vec!["新增 2 个", "修改 0 个", "没有变化 0 个", "不能导入 0 行", "跳过 1 行（标题、合计）"]
    );
    assert_eq!(texts(&page, ".ledger-line .line-no"), vec!["第 1 行", "第 3 行", "第 4 行"]);
    assert_eq!(text(&page, ".line-skipped .line-kind"), "已跳过");
    assert_eq!(text(&page, ".line-skipped strong"), title);
    assert_eq!(text(&page, ".line-skipped .line-details"), "表头上方的标题行，已跳过");
    assert_eq!(apply(&admin, &page).await.status().as_u16(), 303);
    assert_eq!(station_named(&app, "交道口驿站").await.ledger_id.as_deref(), Some("DC-2"));
    // The command line names the title row too, and counts lines the same way.
    let file = temp_file("东城.xlsx", &xlsx);
    let (ok, out) = yizhan(&app, &["import", file.to_str().unwrap(), "--dry-run"]);
    assert!(ok, "{out}");
    assert!(out.contains(&format!("line 1\tskipped\t{title}\t表头上方的标题行，已跳过\n")), "{out}");
    assert!(out.contains("line 3\tunchanged\t北新桥驿站"), "{out}");
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
}

#[tokio::test]
async fn a_total_row_is_skipped_and_named_not_rejected() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    let file = gbk_csv(&[
        "DC-1,北新桥驿站,东城区,东城区北新桥1号,116.41,39.94,,8:00-18:00,是,饮水,,,",
        "DC-2,交道口驿站,东城区,东城区交道口2号,116.40,39.93,,8:00-18:00,是,饮水,,,",
        "DC-3,景山驿站,东城区,东城区景山3号,116.39,39.92,,8:00-18:00,是,饮水,,,",
        ",合计：3个,,,,,,,,,,,",
    ]);
    let (status, page) = dry_run(&admin, "东城.csv", &file, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(
        counts(&page),
        vec!["新增 3 个", "修改 0 个", "没有变化 0 个", "不能导入 0 行", "跳过 1 行（标题、合计）"],
        "{:?}",
        texts(&page, ".line-details li")
    );
    assert_eq!(text(&page, ".line-skipped .line-no"), "第 5 行");
    assert_eq!(text(&page, ".line-skipped strong"), "合计：3个");
    assert_eq!(text(&page, ".line-skipped .line-details"), "合计行，已跳过");
    assert_eq!(apply(&admin, &page).await.status().as_u16(), 303);
    assert_eq!(app.state.store.station_ids_named("合计：3个").await.unwrap().len(), 0);
    assert_eq!(app.state.store.station_ids_named("景山驿站").await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_district_merged_down_over_several_rows_names_each_of_them() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    let rows = vec![
        vec!["站点编号", "站点名称", "所属区", "街道/乡镇", "详细地址", "开放时间"],
        vec!["DC-1", "甲驿站", "", "", "东城区甲路1号", "8:00-18:00"],
        vec!["DC-2", "乙驿站", "", "", "东城区乙路2号", "8:00-18:00"],
        vec!["DC-3", "丙驿站", "", "", "东城区丙路3号", "8:00-18:00"],
    ];
    // 所属区 merged down over the three stations, 街道 over the first two.
    let xlsx = xlsx_with_merges(&rows, &[(1, 2, 3, 2, "东城区"), (1, 3, 2, 3, "东华门街道")]);
    let (_, page) = dry_run(&admin, "东城.xlsx", &xlsx, &[]).await;
    assert_eq!(
        counts(&page),
        vec!["新增 3 个", "修改 0 个", "没有变化 0 个", "不能导入 0 行"],
        "{:?}",
        texts(&page, ".line-details li")
    );
    assert_eq!(apply(&admin, &page).await.status().as_u16(), 303);
    for (name, street) in [("甲驿站", Some("110101001")), ("乙驿站", Some("110101001")), ("丙驿站", None)] {
        let s = station_named(&app, name).await;
        assert_eq!((s.district.code, s.street_code.as_deref()), (110101, street), "{name}");
    }
}

#[tokio::test]
async fn line_numbers_are_the_rows_of_the_sheet_as_an_office_suite_numbers_them() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    // Row 1 empty, the header on row 2, a blank row 4 between the two stations.
    let csv = "\u{feff}\r\n站点名称,所属区,详细地址,开放时间\r\n甲驿站,东城区,东城区甲路1号,8:00-18:00\r\n\r\n\
               乙驿站,东城区,东城区乙路2号,看情况\r\n";
    let (_, page) = dry_run(&admin, "东城.csv", csv.as_bytes(), &[]).await;
    assert_eq!(texts(&page, ".ledger-line .line-no"), vec!["第 3 行", "第 5 行"]);
    assert_eq!(text(&page, ".line-rejected .line-no"), "第 5 行");
    // The refused rows' file says where each one was.
    let body = admin.get(&attr(&page, "a.rejected-download", "href")).await.text().await.unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 2, "{body}");
    assert!(lines[1].starts_with("乙驿站,东城区,东城区乙路2号,看情况,第 5 行：开放时间“看情况”："), "{body}");
    // And the command line.
    let file = temp_file("东城.csv", csv.as_bytes());
    let (_, out) = yizhan(&app, &["import", file.to_str().unwrap(), "--dry-run"]);
    assert!(out.contains("line 3\tadded\t甲驿站\n") && out.contains("line 5\trejected\t乙驿站\t"), "{out}");
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
}

#[tokio::test]
async fn an_hours_change_reads_in_words_on_the_preview() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    let mut before = station("东城时间驿站", 110101, "Mo-Su 08:00-18:00", &["water"]);
    before.ledger_id = Some("DC-9".into());
    app.add(vec![before]).await;
    let file = gbk_csv(&["DC-9,东城时间驿站,东城区,东城时间驿站地址,116.4,39.9,,周一至周五 9:00-17:30,否,饮水,,,"]);
    let (_, page) = dry_run(&admin, "东城.csv", &file, &[]).await;
    assert_eq!(text(&page, ".count-changed"), "修改 1 个");
    let details = texts(&page, ".line-changed .line-details li");
    let hours = details.iter().find(|d| d.starts_with("营业时间：")).unwrap_or_else(|| panic!("{details:?}"));
    assert!(
        hours.starts_with(
            "营业时间：每天 08:00–18:00；法定节假日 照常开放 → \
             周一至周五 09:00–17:30；周六至周日 休息；法定节假日 休息；调休上班日 "
        ),
        "{hours}"
    );
    assert!(!hours.contains("Mo-") && !hours.contains("PH"), "no opening_hours code: {hours}");
}

#[tokio::test]
async fn other_changes_read_in_words_on_the_preview_not_as_keys() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    let mut before = station("东城词语驿站", 110101, "24/7", &["water"]);
    before.ledger_id = Some("DC-8".into());
    app.add(vec![before]).await;
    let file = gbk_csv(&["DC-8,东城词语驿站,东城区,东城词语驿站地址,116.4,39.9,,24/7,,饮水、厕所,,加油站,"]);
    let (_, page) = dry_run(&admin, "东城.csv", &file, &[]).await;
    assert_eq!(text(&page, ".count-changed"), "修改 1 个");
    let details = texts(&page, ".line-changed .line-details li");
    let line = |label: &str| {
        details.iter().find(|d| d.starts_with(label)).unwrap_or_else(|| panic!("no {label} in {details:?}")).clone()
    };
    assert_eq!(line("设施"), "设施：饮水 → 饮水、厕所");
    assert_eq!(line("场所类型"), "场所类型：临街店铺 → 加油站");
    for d in &details {
        assert!(!d.contains("street_shop") && !d.contains("petrol") && !d.contains("toilet"), "a key shown: {d}");
    }
}

#[tokio::test]
async fn numbers_whose_leading_zeros_a_spreadsheet_took_off_are_the_numbers_stored() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    let mut zeros = station("东城零号驿站", 110101, "24/7", &["water"]);
    zeros.ledger_id = Some("0042".into());
    zeros.phone = Some(yizhan::domain::text::Phone::parse("01064001234").unwrap());
    zeros.works_makeup_days = false;
    app.add(vec![zeros]).await;
    // As Excel or LibreOffice save a CSV they opened: 0042 → 42, 01064001234 → 1064001234.
    let row = |id: &str, phone: &str| {
        format!("{id},东城零号驿站,东城区,东城零号驿站地址,116.4,39.9,,24小时,是,饮水,,临街店铺,{phone}")
    };
    let (_, page) = dry_run(&admin, "东城.csv", &gbk_csv(&[&row("42", "1064001234")]), &[]).await;
    assert_eq!(
        counts(&page),
        vec!["新增 0 个", "修改 0 个", "没有变化 1 个", "不能导入 0 行"],
        "{:?}",
        texts(&page, ".line-details li")
    );
    // A number really changed is a change.
    let (_, page) = dry_run(&admin, "东城.csv", &gbk_csv(&[&row("0042", "1064001235")]), &[]).await;
    assert_eq!(text(&page, ".line-changed .line-details"), "联系电话：01064001234 → 1064001235");
}
