//! Station photos: staff upload a door or inside photo; the public sees them without
//! their metadata; bad uploads get clear answers and store nothing.

use yizhan::domain::photo::samples;

use crate::admin::{create_staff, sign_in, signed_in_admin, signed_in_fengtai};
use crate::feedback::{daxing_station, fengtai_station};
use crate::helpers::*;

pub const BOUNDARY: &str = "----yizhan-test-boundary-7f3a";

/// A `multipart/form-data` body with text fields and, optionally, a `photo` file.
fn multipart(fields: &[(&str, &str)], photo: Option<(&str, &[u8])>) -> Vec<u8> {
    multipart_with(fields, photo.as_slice())
}

/// A `multipart/form-data` body with text fields and any number of `photo` files.
pub fn multipart_with(fields: &[(&str, &str)], photos: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    for (filename, bytes) in photos {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"{filename}\"\r\n\
                 Content-Type: image/jpeg\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Uploads `bytes` as a `kind` photo of station `id`, with this browser's CSRF token.
async fn upload(staff: &Browser, id: i64, kind: &str, bytes: &[u8]) -> reqwest::Response {
    let csrf = staff.csrf(&format!("/admin/stations/{id}")).await;
    upload_with(staff, id, &[("csrf", &csrf), ("kind", kind)], Some(("photo.jpg", bytes))).await
}

async fn upload_with(
    staff: &Browser,
    id: i64,
    fields: &[(&str, &str)],
    photo: Option<(&str, &[u8])>,
) -> reqwest::Response {
    staff
        .client
        .post(format!("{}/admin/stations/{id}/photos", staff.base))
        .header("Content-Type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(multipart(fields, photo))
        .send()
        .await
        .expect("upload")
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn a_door_photo_shows_on_the_station_page_without_its_metadata() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    let id = daxing_station(&app);
    let phone_photo = samples::jpeg_with_exif(2400, 1800, 1);
    let res = upload(&admin, id, "door", &phone_photo).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), format!("/admin/stations/{id}?done=photo_added#photos"));
    let (status, html) = app.page(&format!("/stations/{id}")).await;
    assert_eq!(status, 200);
    let src = attr(&html, ".door-photo img", "src");
    assert!(src.starts_with("/photos/") && src.ends_with("/small.jpg"), "{src}");
    assert_eq!(attr(&html, ".door-photo img", "width"), "320");
    assert_eq!(attr(&html, ".door-photo img", "height"), "240");
    for path in [src.clone(), src.replace("small.jpg", "large.jpg")] {
        let res = app.get(&path).await;
        assert_eq!(res.status().as_u16(), 200, "{path}");
        assert_eq!(res.headers()["content-type"], "image/jpeg");
        assert!(res.headers()["cache-control"].to_str().unwrap().contains("immutable"));
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
        let bytes = res.bytes().await.unwrap();
        assert!(!contains(&bytes, b"GPS-SECRET") && !contains(&bytes, b"Exif"), "metadata left in {path}");
    }
    // The map popup has it too.
    let hash = src.split('/').nth(2).unwrap().to_string();
    let (_, map) = app.json("/api/map?bbox=116.2,39.6,116.5,39.9&zoom=17").await;
    let photos: Vec<&str> =
        map["features"].as_array().unwrap().iter().filter_map(|f| f["properties"]["photo"].as_str()).collect();
    assert!(photos.contains(&hash.as_str()), "{photos:?}");
    // A new door photo replaces the old one; the old one is no longer served.
    let res = upload(&admin, id, "door", &samples::png(800, 600)).await;
    assert_eq!(location(&res), format!("/admin/stations/{id}?done=photo_added#photos"));
    let (_, html) = app.page(&format!("/stations/{id}")).await;
    assert_eq!(count(&html, ".door-photo img"), 1);
    assert_ne!(attr(&html, ".door-photo img", "src"), src);
    assert_eq!(app.get(&src).await.status().as_u16(), 404);
    // Every step is in the station's history.
    let (_, audit) = admin.page(&format!("/admin/audit?station={id}")).await;
    let text = audit.root_element().text().collect::<String>();
    assert_eq!(text.matches("添加照片").count(), 2, "both uploads audited, in words");
    assert!(text.contains("门头"), "the kind in words");
    assert!(!text.contains("photo_add"), "no raw action codes");
}

#[tokio::test]
async fn inside_photos_are_capped_and_removable() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    let id = daxing_station(&app);
    for i in 0..5 {
        let res = upload(&admin, id, "inside", &samples::jpeg(300 + i, 200)).await;
        assert_eq!(location(&res), format!("/admin/stations/{id}?done=photo_added#photos"), "photo {i}");
    }
    let res = upload(&admin, id, "inside", &samples::jpeg(500, 200)).await;
    assert_eq!(location(&res), format!("/admin/stations/{id}?done=photo_full#photos"));
    let res = upload(&admin, id, "inside", &samples::jpeg(300, 200)).await;
    assert_eq!(location(&res), format!("/admin/stations/{id}?done=photo_already#photos"));
    let (_, html) = app.page(&format!("/stations/{id}")).await;
    let inside = html.select(&sel(".inside-photos img")).count();
    assert_eq!(inside, 5);
    assert!(html.select(&sel(".inside-photos img")).all(|i| i.value().attr("loading") == Some("lazy")));
    // Remove one from the staff page.
    let (_, page) = admin.page(&format!("/admin/stations/{id}")).await;
    let action = attr(&page, ".admin-photos form", "action");
    let csrf = admin.csrf(&format!("/admin/stations/{id}")).await;
    let res = admin.post(&action, &[("csrf", &csrf)]).await;
    assert_eq!(location(&res), format!("/admin/stations/{id}?done=photo_removed#photos"));
    let (_, html) = app.page(&format!("/stations/{id}")).await;
    assert_eq!(html.select(&sel(".inside-photos img")).count(), 4);
    // Twice: it is no longer there.
    let res = admin.post(&action, &[("csrf", &csrf)]).await;
    assert_eq!(res.status().as_u16(), 404);
}

#[tokio::test]
async fn bad_uploads_get_clear_answers_and_store_nothing() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    let id = daxing_station(&app);
    let whole = samples::jpeg(600, 400);
    let pdf = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n".to_vec();
    let nine_mb = {
        let mut v = samples::jpeg(64, 64);
        v.resize(9 * 1024 * 1024, 0);
        v
    };
    for (what, bytes, status) in [
        ("a PDF named .jpg", pdf.clone(), 415),
        ("a truncated JPEG", whole[..whole.len() / 2].to_vec(), 400),
        ("an image bomb", samples::png_claiming(20_000, 20_000), 400),
        ("9 MB", nine_mb, 413),
        ("nothing", Vec::new(), 400),
    ] {
        let res = upload(&admin, id, "door", &bytes).await;
        assert_eq!(res.status().as_u16(), status, "{what}");
        let (_, html) = html_of_response(res).await;
        assert_eq!(count(&html, "header.top"), 1, "{what}: a page in the layout");
    }
    // No kind, no CSRF token, a plain form instead of an upload.
    let csrf = admin.csrf(&format!("/admin/stations/{id}")).await;
    let res = upload_with(&admin, id, &[("csrf", &csrf)], Some(("a.jpg", &whole))).await;
    assert_eq!(res.status().as_u16(), 400, "no kind");
    let res = upload_with(&admin, id, &[("kind", "door")], Some(("a.jpg", &whole))).await;
    assert_eq!(res.status().as_u16(), 403, "no CSRF token");
    let res = admin.post(&format!("/admin/stations/{id}/photos"), &[("csrf", &csrf), ("kind", "door")]).await;
    assert_eq!(res.status().as_u16(), 415, "not multipart");
    // Unknown station, not signed in.
    let res = upload_with(&admin, 999_999, &[("csrf", &csrf), ("kind", "door")], Some(("a.jpg", &whole))).await;
    assert_eq!(res.status().as_u16(), 404);
    let anonymous = Browser::new(&app);
    let res = upload_with(&anonymous, id, &[("kind", "door")], Some(("a.jpg", &whole))).await;
    assert_eq!(res.status().as_u16(), 303, "to the login page");
    // Nothing was stored by any of them.
    let (_, html) = app.page(&format!("/stations/{id}")).await;
    assert_eq!(count(&html, ".door-photo, .inside-photos"), 0);
    assert_eq!(app.state.store.all_station_photos().await.unwrap().len(), 0);
}

#[tokio::test]
async fn district_staff_add_photos_to_their_own_district_only() {
    let app = spawn_app().await;
    let fengtai = signed_in_fengtai(&app).await;
    let own = fengtai_station(&app);
    let other = daxing_station(&app);
    let res = upload(&fengtai, own, "door", &samples::jpeg(400, 300)).await;
    assert_eq!(location(&res), format!("/admin/stations/{own}?done=photo_added#photos"));
    let csrf = fengtai.csrf(&format!("/admin/stations/{own}")).await;
    let res =
        upload_with(&fengtai, other, &[("csrf", &csrf), ("kind", "door")], Some(("a.jpg", &samples::jpeg(40, 30))))
            .await;
    assert_eq!(res.status().as_u16(), 404, "another district's station");
    // A revoked station's photos are no longer served.
    create_staff(&app, "boss", "市总", yizhan::domain::staff::Role::CityAdmin).await;
    let _boss = sign_in(&app, "boss").await;
    let (_, html) = app.page(&format!("/stations/{own}")).await;
    let src = attr(&html, ".door-photo img", "src");
    assert_eq!(app.get(&src).await.status().as_u16(), 200);
    let mut station = app.state.store.station(own).await.unwrap().unwrap();
    let before = station.clone();
    station.status = yizhan::domain::station::Status::Revoked;
    station.revocation =
        Some(yizhan::domain::station::Revocation { reason: "撤销".into(), at: app.state.clock.now() });
    assert!(app.state.store.save_station(&before, &station, "revoke", None, app.state.clock.now()).await.unwrap());
    assert_eq!(app.get(&src).await.status().as_u16(), 404);
    // Bad names are 404, never a 500.
    for path in ["/photos/xyz/small.jpg", "/photos/0123456789abcdef0123456789abcdef/huge.jpg", "/photos/%00/small.jpg"]
    {
        assert_eq!(app.get(path).await.status().as_u16(), 404, "{path}");
    }
}

async fn html_of_response(res: reqwest::Response) -> (u16, scraper::Html) {
    let status = res.status().as_u16();
    (status, scraper::Html::parse_document(&res.text().await.unwrap()))
}
