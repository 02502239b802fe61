//! The site as an installable web app: its manifest, icons and service worker.

use crate::helpers::*;

/// `href` resolved against `base` (a path on the site).
fn resolve(base: &str, href: &str) -> String {
    if href.starts_with('/') { href.to_string() } else { format!("{}{href}", &base[..=base.rfind('/').unwrap_or(0)]) }
}

#[tokio::test]
async fn every_page_links_a_manifest_that_installs_the_site_with_its_icons() {
    let app = spawn_app().await;
    for path in ["/", "/stations", "/map", "/admin/login"] {
        let (status, html) = app.page(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(attr(&html, "link[rel=manifest]", "href").starts_with("/static/manifest.webmanifest?v="), "{path}");
        assert!(attr(&html, "script[src^='/static/sw-register.js']", "src").contains("?v="), "{path}");
    }
    let (_, html) = app.page("/").await;
    let href = attr(&html, "link[rel=manifest]", "href");
    let res = app.get(&href).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], "application/manifest+json");
    let manifest: serde_json::Value = res.json().await.expect("manifest is JSON");
    assert_eq!(manifest["name"], "北京工会户外劳动者驿站");
    assert_eq!(manifest["short_name"], "驿站");
    assert_eq!(manifest["start_url"], "/");
    assert_eq!(manifest["scope"], "/");
    assert_eq!(manifest["display"], "standalone");
    assert_eq!(manifest["theme_color"], "#b3261e");
    let icons = manifest["icons"].as_array().expect("icons");
    let has = |size: &str, purpose: &str| icons.iter().any(|i| i["sizes"] == size && i["purpose"] == purpose);
    assert!(has("192x192", "any") && has("512x512", "any") && has("512x512", "maskable"), "{icons:?}");
    let path = href.split('?').next().unwrap_or_default().to_string();
    for icon in icons {
        let url = resolve(&path, icon["src"].as_str().expect("src"));
        let res = app.get(&url).await;
        assert_eq!(res.status().as_u16(), 200, "{url}");
        assert_eq!(res.headers()["content-type"], "image/png", "{url}");
        let bytes = res.bytes().await.expect("icon");
        let size: u32 =
            icon["sizes"].as_str().and_then(|s| s.split('x').next()).and_then(|w| w.parse().ok()).expect("size");
        // A PNG's width is the big-endian number at bytes 16..20 (its IHDR chunk).
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{url}");
        assert_eq!(u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]), size, "{url}");
    }
}

#[tokio::test]
async fn the_service_worker_is_served_from_the_root_never_cached_and_named_for_the_release() {
    let app = spawn_app().await;
    let res = app.get("/sw.js").await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["cache-control"], "no-cache");
    assert_eq!(res.headers()["content-type"], "text/javascript; charset=utf-8");
    assert!(res.headers().get("service-worker-allowed").is_none(), "not needed at the root");
    let body = res.text().await.expect("body");
    assert!(!body.contains("__RELEASE__") && !body.contains("__SHELL_FILES__"), "filled in: {body}");
    let release = body.split("var RELEASE = '").nth(1).and_then(|r| r.split('\'').next()).expect("release");
    assert_eq!(release, app.state.assets.release());
    assert_eq!(release.len(), 16);
    // Every file of the shell it keeps is there, by its versioned URL.
    let shell = body.split("var SHELL_FILES = ").nth(1).and_then(|r| r.split(';').next()).expect("shell");
    let shell: Vec<String> = serde_json::from_str(shell).expect("shell is a JSON list");
    assert!(shell.len() >= 10, "{shell:?}");
    for url in &shell {
        assert!(url.starts_with("/static/") && url.contains("?v="), "{url}");
        assert_eq!(app.get(url).await.status().as_u16(), 200, "{url}");
    }
    assert!(shell.iter().any(|u| u.starts_with("/static/app.css?v=")), "{shell:?}");
    // HEAD answers as GET does.
    let head = app.client.head(format!("{}/sw.js", app.address)).send().await.expect("head");
    assert_eq!(head.status().as_u16(), 200);
}
