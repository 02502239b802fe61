//! A real office suite between the ledger's export and its import: LibreOffice
//! (`soffice`, headless) opens what the staff pages export and saves it again as an
//! .xlsx, an .xls and a GBK CSV, as a union office would, and the import must find every
//! station unchanged; and it builds a ledger the way offices head theirs (a merged
//! title, a district merged down, a total row, degrees-minutes-seconds) for the import.
//!
//! They need `soffice` on the PATH (.ci/run installs libreoffice-calc-nogui), so they are
//! ignored by default: `cargo test --test api office -- --include-ignored`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::admin::signed_in_admin;
use crate::helpers::*;
use crate::ledger::{apply, dry_run};
use yizhan::domain::coords::LatLon;
use yizhan::domain::facility::{ALL_FACILITIES, Audience, FacilitySet, HostType};
use yizhan::domain::text::Phone;

/// A folder of its own for one test: LibreOffice's profile (so that tests running at
/// once do not share one) and the files it converts.
struct Office {
    dir: PathBuf,
}

impl Office {
    fn new() -> Office {
        let dir = std::env::temp_dir().join(format!("yizhan-office-{}-{}", std::process::id(), rand::random::<u32>()));
        std::fs::create_dir_all(dir.join("out")).expect("a folder for LibreOffice");
        Office { dir }
    }

    /// `bytes` saved as `name`, opened by LibreOffice (with the import filter `filter`
    /// when given) and converted (`--convert-to to`); the bytes of the file it writes,
    /// named like `name` with the extension `ext`. On a thread of its own, so that the
    /// test's server goes on meanwhile (closing idle connections as it should).
    async fn convert(&self, name: &str, bytes: &[u8], filter: Option<&str>, to: &str, ext: &str) -> Vec<u8> {
        let (dir, name, bytes) = (self.dir.clone(), name.to_string(), bytes.to_vec());
        let (filter, to, ext) = (filter.map(str::to_string), to.to_string(), ext.to_string());
        tokio::task::spawn_blocking(move || convert(&dir, &name, &bytes, filter.as_deref(), &to, &ext))
            .await
            .expect("soffice ran")
    }

    /// The three files an office saves a ledger as: an .xlsx, an .xls and a CSV in GBK
    /// (as Excel on Chinese Windows writes it), each with its file name.
    async fn save_as_all(&self, name: &str, bytes: &[u8], filter: Option<&str>) -> Vec<(String, Vec<u8>)> {
        let stem = Path::new(name).file_stem().expect("a file name").to_string_lossy().into_owned();
        let xlsx = self.convert(name, bytes, filter, "xlsx", "xlsx").await;
        let xls = self.convert(name, bytes, filter, "xls", "xls").await;
        // Comma, double quote, character set 67 (RTL_TEXTENCODING_GBK).
        let gbk = self.convert(name, bytes, filter, "csv:Text - txt - csv (StarCalc):44,34,67", "csv").await;
        assert!(xlsx.starts_with(b"PK\x03\x04") && xls.starts_with(b"\xD0\xCF\x11\xE0"), "{name}");
        assert!(std::str::from_utf8(&gbk).is_err(), "LibreOffice wrote UTF-8, not GBK");
        let (text, malformed) = encoding_rs::GBK.decode_without_bom_handling(&gbk);
        assert!(!malformed && text.contains("站点名称"), "LibreOffice's CSV is no GBK: {text}");
        vec![(format!("{stem}.xlsx"), xlsx), (format!("{stem}.xls"), xls), (format!("{stem}.csv"), gbk)]
    }
}

impl Drop for Office {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// [`Office::convert`] in the folder `dir`.
fn convert(dir: &Path, name: &str, bytes: &[u8], filter: Option<&str>, to: &str, ext: &str) -> Vec<u8> {
    let input = dir.join(name);
    std::fs::write(&input, bytes).expect("write the file for LibreOffice");
    let out = dir.join("out");
    let mut soffice = Command::new("soffice");
    soffice.arg(format!("-env:UserInstallation=file://{}", dir.join("profile").display())).arg("--headless");
    if let Some(filter) = filter {
        soffice.arg(format!("--infilter={filter}"));
    }
    let run = soffice.arg("--convert-to").arg(to).arg("--outdir").arg(&out).arg(&input).output().expect("soffice");
    let stem = Path::new(name).file_stem().expect("a file name").to_string_lossy().into_owned();
    let written = out.join(format!("{stem}.{ext}"));
    let converted = std::fs::read(&written).unwrap_or_else(|e| {
        panic!(
            "soffice wrote no {}: {e}\n{}\n{}",
            written.display(),
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        )
    });
    let _ = std::fs::remove_file(&written);
    converted
}

fn counts(page: &scraper::Html) -> Vec<String> {
    texts(page, ".ledger-counts li")
}

/// A station with every facility, audience and field the ledger has, hours with a
/// holiday rule, a ledger number and a phone that start with 0, and a service text a
/// spreadsheet would take for a formula.
fn everything() -> yizhan::domain::station::Station {
    let mut s = station("东华门全设施驿站", 110101, "Mo-Fr 08:00-18:00; Sa 09:00-12:00; PH off", &[]);
    s.ledger_id = Some("0042".into());
    s.street_code = Some("110101001".into());
    s.address = "东城区东华门大街1号".into();
    s.position = Some(LatLon::new(39.914_567, 116.402_345).unwrap());
    s.host = HostType::StreetOffice;
    s.works_makeup_days = false;
    s.contact_name = Some("王师傅".into());
    s.phone = Some(Phone::parse("01064001234").unwrap());
    s.area_m2 = Some(25.5);
    s.facilities = FacilitySet::from_keys(ALL_FACILITIES.iter().map(|f| f.key())).unwrap();
    s.audiences = Audience::ALL.to_vec();
    s.services = "=热水、充电，-20℃ 也开".into();
    s
}

#[tokio::test]
#[ignore = "needs LibreOffice's soffice on the PATH (.ci/run installs libreoffice-calc-nogui)"]
async fn the_staff_export_saved_again_by_libreoffice_comes_back_unchanged() {
    let app = spawn_app().await;
    app.add(vec![everything()]).await;
    let admin = signed_in_admin(&app).await;
    let office = Office::new();
    for (format, filter) in [("xlsx", None), ("csv", Some("CSV:44,34,76,1"))] {
        let res = admin.get(&format!("/admin/ledger/export?format={format}")).await;
        assert_eq!(res.status().as_u16(), 200);
        let exported = res.bytes().await.unwrap().to_vec();
        let (sheet, _) = yizhan::sheet::read(&exported, &format!("x.{format}"), None).unwrap();
        let stations = sheet.rows.len() - 1;
        assert!(stations > 1 && sheet.rows.iter().any(|r| r.contains(&"0042".to_string())));
        for (name, bytes) in office.save_as_all(&format!("台账-{format}.{format}"), &exported, filter).await {
            let (status, page) = dry_run(&admin, &name, &bytes, &[]).await;
            assert_eq!(status, 200, "{name}: {}", texts(&page, "h1, .banner").join(" | "));
            assert_eq!(
                counts(&page),
                vec![
                    "新增 0 个".to_string(),
                    "修改 0 个".into(),
                    format!("没有变化 {stations} 个"),
                    "不能导入 0 行".into()
                ],
                "{name}: {:?}",
                texts(&page, ".line-added, .line-changed, .line-rejected")
            );
            if name.ends_with(".csv") {
                assert_eq!(text(&page, ".ledger-file"), format!("{name} · GBK"));
            }
        }
    }
}

/// A ledger as an office heads it, written as an HTML table for LibreOffice to open:
/// a title merged across the columns, the header on row 2, 所属区 merged down over the
/// three stations, a coordinate in degrees, minutes and seconds, and a total row.
const OFFICE_LEDGER: &str = r#"<!DOCTYPE html>
<html><head><meta charset="utf-8"></head><body><table>
<tr><td colspan="8">2026年东城区工会户外劳动者服务站点台账</td></tr>
<tr><td>站点编号</td><td>站点名称</td><td>所属区</td><td>详细地址</td><td>经度</td><td>纬度</td><td>开放时间</td><td>联系电话</td></tr>
<tr><td>DC-01</td><td>北新桥驿站</td><td rowspan="3">东城区</td><td>东城区北新桥三条1号</td><td>116°25'30&quot;</td><td>39度56分30.5秒</td><td>8:00-18:00</td><td>010-64001234</td></tr>
<tr><td>DC-02</td><td>交道口驿站</td><td>东城区交道口南大街2号</td><td>116.403</td><td>39.934</td><td>周一至周五 9:00-17:30</td><td></td></tr>
<tr><td>DC-03</td><td>景山驿站</td><td>东城区景山前街3号</td><td>116.397</td><td>39.925</td><td>24小时</td><td></td></tr>
<tr><td>合计：3个</td><td></td><td></td><td></td><td></td><td></td><td></td><td></td></tr>
</table></body></html>
"#;

#[tokio::test]
#[ignore = "needs LibreOffice's soffice on the PATH (.ci/run installs libreoffice-calc-nogui)"]
async fn a_ledger_built_in_libreoffice_with_a_title_a_merged_district_and_a_total_comes_in() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    let office = Office::new();
    let html = OFFICE_LEDGER.as_bytes();
    let books = [
        ("东城.xlsx", office.convert("东城.html", html, Some("HTML (StarCalc)"), "xlsx", "xlsx").await),
        ("东城.xls", office.convert("东城.html", html, Some("HTML (StarCalc)"), "xls", "xls").await),
    ];
    for (i, (name, bytes)) in books.iter().enumerate() {
        let (status, page) = dry_run(&admin, name, bytes, &[]).await;
        assert_eq!(status, 200, "{name}: {}", texts(&page, "h1, .banner").join(" | "));
        // The first file adds the three stations; the second, read after, finds them unchanged.
        let want = if i == 0 {
            ["新增 3 个", "修改 0 个", "没有变化 0 个", "不能导入 0 行", "跳过 2 行（标题、合计）"]
        } else {
            ["新增 0 个", "修改 0 个", "没有变化 3 个", "不能导入 0 行", "跳过 2 行（标题、合计）"]
        };
        assert_eq!(counts(&page), want, "{name}: {:?}", texts(&page, ".line-details li"));
        assert_eq!(
            texts(&page, ".ledger-line .line-no"),
            vec!["第 1 行", "第 3 行", "第 4 行", "第 5 行", "第 6 行"],
            "{name}"
        );
        let skipped: Vec<String> =
            texts(&page, ".line-skipped").iter().map(|t| t.split_whitespace().collect()).collect();
        assert_eq!(
            skipped,
            vec![
                "第1行已跳过2026年东城区工会户外劳动者服务站点台账表头上方的标题行，已跳过",
                "第6行已跳过合计：3个合计行，已跳过"
            ],
            "{name}"
        );
        if i == 0 {
            assert_eq!(apply(&admin, &page).await.status().as_u16(), 303);
        }
    }
    let snapshot = app.state.snapshot.load();
    let named = |name: &str| {
        snapshot.entries().iter().map(|e| &e.station).find(|s| s.name == name).unwrap_or_else(|| panic!("{name}"))
    };
    for name in ["北新桥驿站", "交道口驿站", "景山驿站"] {
        assert_eq!(named(name).district.code, 110101, "{name}: the merged 所属区 names it");
    }
    let p = named("北新桥驿站").position.unwrap();
    let lat = 39.0 + 56.0 / 60.0 + 30.5 / 3600.0;
    assert!((p.lon - 116.425).abs() < 1e-6 && (p.lat - lat).abs() < 1e-6, "{p:?}");
    assert_eq!(named("北新桥驿站").phone.as_ref().map(|p| p.as_str()), Some("010-64001234"));
    assert_eq!(named("景山驿站").hours.as_ref().map(|h| h.raw()), Some("24/7"));
}
