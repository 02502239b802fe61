//! Printable lists and door posters: what they list, their QR codes (decoded here
//! with a decoder of our own choosing), paging, refusals, and the warning while
//! YIZHAN_PUBLIC_URL is not set.

use image::{GrayImage, Luma};
use scraper::Html;
use yizhan::domain::district::District;
use yizhan::domain::filter::StationFilter;
use yizhan::domain::station::{Revocation, Status};

use crate::helpers::{TestApp, assert_clean_frame, attr, count, spawn_app, spawn_app_with, station, text, texts};

const PUBLIC_URL: &str = "https://yizhan.example.cn";

/// Public stations of a district in the snapshot, counted without the print code.
fn public_in(app: &TestApp, district: u32) -> Vec<(String, String)> {
    let snapshot = app.state.snapshot.load();
    let filter = StationFilter { district: District::by_code(district), ..Default::default() };
    snapshot.filter(&filter, app.state.clock.now()).map(|e| (e.station.code.clone(), e.station.name.clone())).collect()
}

/// The QR codes of an SVG text drawn by the server: each `viewBox` side in modules
/// and its path, as the `qrcode` renderer writes it (one `M l t h w v h H l V t`
/// rectangle per run of dark modules).
fn qr_drawings(svg: &str) -> Vec<(u32, String)> {
    let mut found = Vec::new();
    for piece in svg.split("<svg").skip(1) {
        if !piece.split('>').next().unwrap_or_default().contains("class=\"qr") {
            continue;
        }
        let view = piece.split("viewBox=\"").nth(1).and_then(|v| v.split('"').next()).expect("viewBox");
        let side: u32 = view.split(' ').nth(2).and_then(|n| n.parse().ok()).expect("viewBox side");
        let d = piece.split(" d=\"").nth(1).and_then(|v| v.split('"').next()).expect("path");
        found.push((side, d.to_string()));
    }
    found
}

/// Paints a QR path into a grey image (8 pixels a module, a white border around it)
/// and decodes it with rqrr.
fn decode(side: u32, d: &str) -> String {
    const SCALE: u32 = 8;
    const BORDER: u32 = 4;
    let px = (side + 2 * BORDER) * SCALE;
    let mut img = GrayImage::from_pixel(px, px, Luma([255]));
    let mut numbers = String::new();
    let mut commands: Vec<(char, u32)> = Vec::new();
    let mut command = None;
    for c in d.chars().chain(std::iter::once('M')) {
        if c.is_ascii_alphabetic() {
            if let Some(cmd) = command.take() {
                for n in numbers.split_whitespace() {
                    commands.push((cmd, n.parse().expect("whole number")));
                }
            }
            numbers.clear();
            command = Some(c);
        } else {
            numbers.push(c);
        }
    }
    // Each rectangle: M left top, h width, v height, H left, V top.
    let mut rest = commands.as_slice();
    let mut rects = 0;
    while let [('M', left), ('M', top), ('h', w), ('v', h), ('H', l2), ('V', t2), tail @ ..] = rest {
        assert_eq!((left, top), (l2, t2), "a closed rectangle");
        for y in (top + BORDER) * SCALE..(top + h + BORDER) * SCALE {
            for x in (left + BORDER) * SCALE..(left + w + BORDER) * SCALE {
                img.put_pixel(x, y, Luma([0]));
            }
        }
        rects += 1;
        rest = tail;
    }
    assert!(rest.is_empty(), "path not understood at {:?}", rest.first());
    assert!(rects > 20, "{rects} rectangles");
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code found");
    let (_, content) = grids[0].decode().expect("QR decodes");
    content
}

async fn body(app: &TestApp, path: &str) -> (u16, String, String) {
    let res = app.get(path).await;
    let status = res.status().as_u16();
    let kind =
        res.headers().get("content-type").map(|v| v.to_str().unwrap_or_default().to_string()).unwrap_or_default();
    (status, kind, res.text().await.expect("body"))
}

#[tokio::test]
async fn a_district_list_shows_every_public_station_with_its_qr_code() {
    let app = spawn_app().await;
    let expected = public_in(&app, 110115);
    assert!(!expected.is_empty() && expected.len() <= 500, "{}", expected.len());
    let (status, html) = app.page("/print?district=110115").await;
    assert_eq!(status, 200);
    assert_clean_frame(&html);
    assert_eq!(attr(&html, "html", "lang"), "zh-CN");
    assert_eq!(text(&html, "h1"), "大兴区工会驿站");
    assert_eq!(count(&html, "article.entry"), expected.len());
    assert_eq!(count(&html, "article.entry svg.qr"), expected.len(), "one QR code per station");
    let codes = texts(&html, ".entry .code strong");
    assert_eq!(codes, expected.iter().map(|(c, _)| c.clone()).collect::<Vec<_>>());
    assert!(codes.iter().all(|c| c.starts_with("BJ-110115-")), "{codes:?}");
    assert_eq!(texts(&html, ".entry h2"), expected.iter().map(|(_, n)| n.clone()).collect::<Vec<_>>());
    // Each row's QR code names its own station.
    let label = attr(&html, "article.entry svg.qr", "aria-label");
    assert!(label.ends_with(&format!("/s/{}", codes[0])), "{label}");
    // The print styles only, and the facility icons defined once and used by the rows.
    let css: Vec<String> = html
        .select(&crate::helpers::sel("link[rel=stylesheet]"))
        .filter_map(|l| l.value().attr("href").map(String::from))
        .collect();
    assert_eq!(css.len(), 1);
    assert!(css[0].starts_with("/static/print.css?v="), "{css:?}");
    assert!(count(&html, "symbol[id^=fi-]") > 0);
    assert!(count(&html, ".facilities use") > 0);

    // English: the same stations, the labels in English.
    let (_, html) = app.page_en("/print?district=110115").await;
    assert_eq!(attr(&html, "html", "lang"), "en");
    assert_eq!(text(&html, "h1"), "Union rest stations: Daxing");
    assert_eq!(count(&html, "article.entry svg.qr"), expected.len());
    assert!(texts(&html, ".entry dt").contains(&"Opening hours".to_string()));
    assert!(text(&html, ".unset").contains("YIZHAN_PUBLIC_URL"));

    // The district's list links to its sheets, and a station page to its door poster.
    let (_, html) = app.page("/stations?district=110115").await;
    assert_eq!(attr(&html, ".print-link a", "href"), "/print?district=110115");
    let (_, html) = app.page("/stations").await;
    assert_eq!(count(&html, ".print-link a"), 0, "the city-wide list is too long to offer");
    let id: i64 = codes[0].rsplit('-').next().and_then(|n| n.parse().ok()).expect("id in code");
    let (_, html) = app.page(&format!("/stations/{id}")).await;
    assert_eq!(attr(&html, "a.poster-link", "href"), format!("/stations/{id}/poster"));
}

#[tokio::test]
async fn hours_phone_and_closed_marks_are_printed_and_revoked_stations_left_out() {
    let app = spawn_app().await;
    let mut closed = station("印刷临时关闭驿站", 110105, "Mo-Fr 08:00-18:00; Sa 09:00-12:00", &["water", "toilet"]);
    closed.status =
        Status::TemporarilyClosed { reason: "装修".into(), until: chrono::NaiveDate::from_ymd_opt(2025, 12, 1) };
    closed.phone = Some(yizhan::domain::text::Phone::parse("010-6758 1234").expect("phone"));
    let mut revoked = station("印刷已撤销驿站", 110105, "24/7", &["water"]);
    revoked.status = Status::Revoked;
    revoked.revocation = Some(Revocation { reason: "场地收回".into(), at: app.state.clock.now() });
    let ids = app.add(vec![closed, revoked]).await;
    let (status, html) = app.page("/print?district=110105").await;
    assert_eq!(status, 200);
    let names = texts(&html, ".entry h2");
    assert!(names.contains(&"印刷临时关闭驿站".to_string()));
    assert!(!names.contains(&"印刷已撤销驿站".to_string()), "revoked stations are not printed");
    assert_eq!(names.len(), public_in(&app, 110105).len());
    let closed_rows = texts(&html, ".entry.is-closed .closed");
    assert_eq!(closed_rows, vec!["临时关闭，预计 2025-12-01 恢复"]);
    let row = html
        .select(&crate::helpers::sel("article.entry.is-closed"))
        .next()
        .map(|e| e.text().collect::<String>())
        .expect("closed row");
    let hours = texts(&html, ".entry.is-closed .hours span");
    assert_eq!(
        hours,
        vec![
            "周一至周五 08:00–18:00",
            "周六 09:00–12:00",
            "周日 休息",
            "法定节假日 照常开放",
            "调休上班日 按工作日时间"
        ]
    );
    assert!(row.contains("010-6758 1234"), "{row}");
    assert!(row.contains("饮水") && row.contains("厕所"), "{row}");

    // The revoked station's posters answer like its page: 410.
    for path in [format!("/stations/{}/poster", ids[1]), format!("/stations/{}/poster.svg", ids[1])] {
        let (status, html) = app.page(&path).await;
        assert_eq!(status, 410, "{path}");
        assert_eq!(text(&html, "h1"), "该驿站已撤销");
    }
}

#[tokio::test]
async fn long_lists_are_paged_at_500() {
    let app = spawn_app().await;
    let before = public_in(&app, 110109).len();
    let extra: Vec<_> =
        (0..510).map(|i| station(&format!("门头沟合成驿站{i:03}"), 110109, "24/7", &["water"])).collect();
    app.add(extra).await;
    let total = before + 510;
    assert_eq!(public_in(&app, 110109).len(), total);
    let (status, html) = app.page("/print?district=110109").await;
    assert_eq!(status, 200);
    assert_eq!(count(&html, "article.entry"), 500);
    assert_eq!(count(&html, "article.entry svg.qr"), 500);
    assert!(text(&html, ".list-head p").contains(&format!("共 {total} 个驿站 · 第 1/2 页")));
    assert_eq!(attr(&html, "a[rel=next]", "href"), "/print?district=110109&page=2");
    assert_eq!(count(&html, "a[rel=prev]"), 0);
    let (status, html) = app.page("/print?district=110109&page=2").await;
    assert_eq!(status, 200);
    assert_eq!(count(&html, "article.entry"), total - 500);
    assert_eq!(attr(&html, "a[rel=prev]", "href"), "/print?district=110109");
    assert_eq!(count(&html, "a[rel=next]"), 0);
    // The whole city is paged the same way.
    let (status, html) = app.page("/print").await;
    assert_eq!(status, 200);
    assert_eq!(count(&html, "article.entry"), 500);
    assert_eq!(text(&html, "h1"), "北京市工会驿站");
}

#[tokio::test]
async fn bad_pages_districts_and_streets_are_refused_with_400() {
    let app = spawn_app().await;
    for path in [
        "/print?district=110115&page=0",
        "/print?district=110115&page=-1",
        "/print?district=110115&page=abc",
        "/print?district=110115&page=99999999999",
        "/print?district=110115&page=2",
        "/print?district=999999",
        "/print?district=abc",
        "/print?district=110115&street=110101001",
        "/print?street=999999999",
    ] {
        let (status, html) = app.page(path).await;
        assert_eq!(status, 400, "{path}");
        assert_clean_frame(&html);
    }
    for path in [
        "/stations/999999/poster",
        "/stations/999999/poster.svg",
        "/districts/999999/poster",
        "/districts/abc/poster.svg",
    ] {
        let (status, _) = app.page(path).await;
        assert_eq!(status, 404, "{path}");
    }
    let (status, _) = app.page("/stations/abc/poster").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn door_posters_carry_the_code_and_qr_codes_that_decode_to_the_station() {
    let app = spawn_app_with(|c| c.public_url = Some(PUBLIC_URL.into())).await;
    let ids =
        app.add(vec![station("门贴测试驿站", 110115, "Mo-Su 08:00-20:00", &["water", "microwave", "charging"])]).await;
    let code = app.state.snapshot.load().get(ids[0]).expect("station").station.code.clone();
    let station_url = format!("{PUBLIC_URL}/s/{code}");

    let (status, kind, svg) = body(&app, &format!("/stations/{}/poster.svg", ids[0])).await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("image/svg+xml"), "{kind}");
    assert!(svg.contains("width=\"148mm\" height=\"210mm\""), "A5");
    assert!(svg.contains(&code) && svg.contains("门贴测试驿站"));
    assert!(!svg.contains("YIZHAN_PUBLIC_URL"), "no warning once the address is set");
    let drawings = qr_drawings(&svg);
    assert_eq!(drawings.len(), 2, "the station's code and the feedback form's");
    assert_eq!(decode(drawings[0].0, &drawings[0].1), station_url);
    assert_eq!(decode(drawings[1].0, &drawings[1].1), format!("{PUBLIC_URL}/stations/{}#feedback", ids[0]));

    let (status, html) = app.page(&format!("/stations/{}/poster", ids[0])).await;
    assert_eq!(status, 200);
    assert_clean_frame(&html);
    assert_eq!(text(&html, "h1"), "门贴测试驿站");
    assert_eq!(text(&html, ".door-side .code strong"), code);
    assert_eq!(texts(&html, ".hours li"), vec!["每天 08:00–20:00", "法定节假日 照常开放"]);
    assert_eq!(texts(&html, ".poster-facilities li"), vec!["饮水", "充电", "微波炉"]);
    assert_eq!(count(&html, ".unset"), 0);
    let (_, _, raw) = body(&app, &format!("/stations/{}/poster", ids[0])).await;
    let drawings = qr_drawings(&raw);
    assert_eq!(drawings.len(), 2);
    assert_eq!(decode(drawings[0].0, &drawings[0].1), station_url);

    // In English: the labels change, the station's own texts and code do not.
    let (_, en) = app.page_en(&format!("/stations/{}/poster", ids[0])).await;
    assert_eq!(text(&en, "h1"), "门贴测试驿站");
    assert_eq!(texts(&en, ".hours li"), vec!["Every day 08:00–20:00", "Holidays As usual"]);
    assert_eq!(texts(&en, ".poster-facilities li"), vec!["Drinking water", "Charging", "Microwave"]);
    assert!(text(&en, "main").contains("Scan for opening hours, facilities and directions"));
    let svg = app.get_en(&format!("/stations/{}/poster.svg", ids[0])).await.text().await.expect("body");
    assert!(svg.contains("Come in and take a rest") && svg.contains(&code));

    // The print list's QR code of the same station decodes to the same address.
    let (_, _, raw) = body(&app, "/print?district=110115").await;
    let html = Html::parse_document(&raw);
    let position = texts(&html, ".entry .code strong").iter().position(|c| *c == code).expect("listed");
    let drawings = qr_drawings(&raw);
    assert_eq!(drawings.len(), count(&html, "article.entry"));
    assert_eq!(decode(drawings[position].0, &drawings[position].1), station_url);
    assert_eq!(count(&html, ".unset"), 0);
}

#[tokio::test]
async fn district_posters_lead_to_the_district_map() {
    let app = spawn_app_with(|c| c.public_url = Some(PUBLIC_URL.into())).await;
    let stations = public_in(&app, 110115).len();
    let (status, kind, svg) = body(&app, "/districts/110115/poster.svg").await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("image/svg+xml"), "{kind}");
    assert!(svg.contains("width=\"210mm\" height=\"297mm\""), "A4");
    let drawings = qr_drawings(&svg);
    assert_eq!(drawings.len(), 1);
    assert_eq!(decode(drawings[0].0, &drawings[0].1), format!("{PUBLIC_URL}/map?district=110115"));

    let (status, html) = app.page("/districts/110115/poster").await;
    assert_eq!(status, 200);
    assert_clean_frame(&html);
    assert_eq!(text(&html, "h1"), "大兴区工会驿站");
    assert!(text(&html, ".lead").contains(&format!("本区共有 {stations} 个工会驿站")));
    assert_eq!(count(&html, "svg.qr"), 1);
    let (_, en) = app.page_en("/districts/110115/poster").await;
    assert_eq!(text(&en, "h1"), "Union rest stations in Daxing");
    assert!(text(&en, ".lead").starts_with(&format!("{stations} union rest stations in this district")));
}

#[tokio::test]
async fn every_sheet_warns_while_the_public_url_is_not_set() {
    let app = spawn_app().await;
    let id = public_in(&app, 110115).first().map(|(c, _)| c.clone()).expect("a station");
    let id: i64 = id.rsplit('-').next().and_then(|n| n.parse().ok()).expect("id in code");
    for path in
        ["/print?district=110115".to_string(), format!("/stations/{id}/poster"), "/districts/110115/poster".to_string()]
    {
        let (status, html) = app.page(&path).await;
        assert_eq!(status, 200, "{path}");
        let warning = text(&html, "p.unset");
        assert!(warning.contains("YIZHAN_PUBLIC_URL") && warning.contains(&app.address), "{path}: {warning}");
    }
    for path in [format!("/stations/{id}/poster.svg"), "/districts/110115/poster.svg".to_string()] {
        let (status, _, svg) = body(&app, &path).await;
        assert_eq!(status, 200, "{path}");
        assert!(svg.contains("YIZHAN_PUBLIC_URL"), "{path}");
        // The codes still decode: to the server's own address.
        let drawings = qr_drawings(&svg);
        assert!(decode(drawings[0].0, &drawings[0].1).starts_with(&app.address), "{path}");
    }
}

#[tokio::test]
async fn a_holiday_closure_is_written_wherever_the_hours_are() {
    let app = spawn_app_with(|c| c.public_url = Some(PUBLIC_URL.into())).await;
    let ids = app
        .add(vec![
            station("节假日休息驿站", 110115, "24/7; PH off", &["water"]),
            station("节假日短时驿站", 110115, "Mo-Fr 08:00-18:00; PH 10:00-14:00", &["water"]),
        ])
        .await;
    let (closed, short) = (ids[0], ids[1]);
    // The station page's week.
    let (_, html) = app.page(&format!("/stations/{closed}")).await;
    let rows: Vec<String> = html
        .select(&crate::helpers::sel("table.hours:not(.days) tr"))
        .map(|tr| tr.text().collect::<Vec<_>>().join(" ").split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    assert!(rows.contains(&"法定节假日 休息".to_string()), "{rows:?}");
    // The door poster, as HTML and as SVG, and the print list.
    let (_, html) = app.page(&format!("/stations/{closed}/poster")).await;
    assert_eq!(texts(&html, ".hours li"), vec!["每天 全天", "法定节假日 休息"]);
    let (_, _, svg) = body(&app, &format!("/stations/{closed}/poster.svg")).await;
    assert!(svg.contains("法定节假日 休息"), "the SVG poster says it too");
    let (_, html) = app.page(&format!("/stations/{short}/poster")).await;
    assert_eq!(
        texts(&html, ".hours li"),
        vec!["周一至周五 08:00–18:00", "周六至周日 休息", "法定节假日 10:00–14:00", "调休上班日 按工作日时间"]
    );
    let (_, html) = app.page("/print?district=110115").await;
    let printed = texts(&html, ".entry .hours span");
    assert!(printed.contains(&"法定节假日 休息".to_string()), "{printed:?}");
    assert!(printed.contains(&"法定节假日 10:00–14:00".to_string()), "{printed:?}");
    // And in English.
    let (_, html) = app.page_en(&format!("/stations/{closed}/poster")).await;
    assert!(texts(&html, ".hours li").contains(&"Holidays Closed".to_string()), "{:?}", texts(&html, ".hours li"));
}

#[tokio::test]
async fn a_long_week_on_the_svg_poster_keeps_the_holiday_line() {
    let app = spawn_app_with(|c| c.public_url = Some(PUBLIC_URL.into())).await;
    let hours =
        "Mo 08:00-18:00; Tu 08:00-17:00; We 08:00-16:00; Th 08:00-15:00; Fr 08:00-14:00; Sa 09:00-12:00; PH off";
    let keys: Vec<&str> = yizhan::domain::facility::ALL_FACILITIES.iter().take(8).map(|f| f.key()).collect();
    let ids = app.add(vec![station("长周驿站测试名字比较长的一个驿站", 110115, hours, &keys)]).await;
    let (status, _, svg) = body(&app, &format!("/stations/{}/poster.svg", ids[0])).await;
    assert_eq!(status, 200);
    for line in [
        "周一 08:00–18:00",
        "周三 08:00–16:00",
        "其余日子的时间请扫码查看",
        "法定节假日 休息",
        "调休上班日 按工作日时间",
    ] {
        assert!(svg.contains(line), "{line} on the poster");
    }
    assert!(!svg.contains("周四 08:00–15:00"), "six lines at most");
    // The HTML poster has room for every line.
    let (_, html) = app.page(&format!("/stations/{}/poster", ids[0])).await;
    assert_eq!(texts(&html, ".hours li").len(), 9);
}
