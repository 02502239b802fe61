//! Browser tests: the real application driven through headless Chromium (360×740,
//! like a phone) with chromedriver.
//!
//! A test binary with its own harness (`harness = false`, libtest-mimic; see
//! `tests/common/trials.rs`): `main` lists every test, and each runs on a tokio
//! runtime of its own, one test at a time. chromedriver and Chromium are found as
//! [`harness::tools`] says (`YIZHAN_TEST_CHROMEDRIVER`, else the PATH, else
//! `/usr/bin/chromedriver` from Debian's chromium-driver; `YIZHAN_TEST_CHROMIUM`, else
//! the PATH, else `/usr/bin/chromium`). Without them every test is counted as ignored
//! and the reason is printed once; `--include-ignored` makes them fail instead.
//! Map tiles come from the internet and fail to load here: the map shows its
//! markers over a plain background, and tile failures are not errors.

mod harness;
#[path = "../common/trials.rs"]
mod trials;

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;

use fantoccini::{Client, Locator};
use harness::*;
use serde_json::Value;

/// A test's body, given the tools it drives.
type Body = fn(Tools) -> Pin<Box<dyn Future<Output = ()>>>;

/// Every browser test, by the name of its function (a function left out of the list
/// is dead code, which the lints refuse).
macro_rules! browser_tests {
    ($($name:ident),* $(,)?) => {
        [$((stringify!($name), (|tools| Box::pin($name(tools))) as Body)),*]
    };
}

fn main() -> ExitCode {
    let tests = browser_tests![
        map_shows_clusters_and_zooms,
        station_popup_opens_station_page,
        filter_changes_markers,
        no_console_errors_or_csp_violations,
        pages_work_without_javascript,
        accessibility_scan,
        browser_is_phone_sized,
        worker_report_is_published_with_reply,
        home_to_the_nearest_open_station_with_a_toilet_in_two_taps,
        the_map_keeps_the_district_filter,
        clusters_do_not_overlap_and_labels_do_not_cover_them,
        a_refused_position_says_so_and_offers_a_retry_and_the_districts,
        moderation_queue_fits_a_phone,
        a_supervisor_inspects_a_station_from_invite_to_public_page,
        warning_cards_fit_a_phone,
        a_ledger_comes_in_on_a_phone_and_on_a_desk,
        figure_pages_fit_a_phone_at_twice_the_text_size,
        a_supervisors_report_fits_a_phone,
        the_popups_navigate_link_lands_below_the_header,
        the_map_without_javascript_shows_the_list_first,
        a_staff_page_shows_its_own_content_on_the_first_screen,
        an_empty_feedback_form_shows_its_field_below_the_header,
        the_site_installs_with_its_manifest_and_keeps_its_shell,
        without_a_signal_kept_pages_saved_districts_and_feedback_still_work,
        a_new_release_replaces_the_kept_shell,
        saved_hours_warn_before_they_run_out_and_are_never_guessed_past_their_end,
        only_the_last_20_pages_are_kept_and_never_a_position,
        kept_feedback_refused_shows_its_reason_and_a_busy_server_keeps_it_waiting,
        a_network_too_slow_gets_the_kept_page_with_its_line,
    ];
    let found = harness::tools();
    let tests = tests
        .into_iter()
        .map(|(name, body)| {
            let tools = found.clone().ok();
            let run = move || {
                let tools = tools.expect("main runs a browser test only when the tools were found");
                let runtime =
                    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
                runtime.block_on(body(tools));
            };
            (name, Box::new(run) as Box<dyn FnOnce() + Send>)
        })
        .collect();
    // One at a time: two cores are enough for one Chromium and the app (`Bench` also
    // waits for its turn, whatever `--test-threads` says).
    trials::Suite { what: "browser tests", kind: None, missing: found.err(), threads: Some(1) }.run(tests)
}

/// Where most extra stations go: around 东城区 (39.93, 116.40).
const CENTRE: (f64, f64) = (39.93, 116.40);

/// Lower-case `facility=shower`: no seed station has a shower.
const SHOWER: &str = "shower";

async fn map_shows_clusters_and_zooms(tools: Tools) {
    let bench = Bench::start(&tools).await;
    // 300 stations within 0.02° of the centre: one cluster at zoom 10 for certain.
    bench.app.add(crowd("东城测试驿站", 300, CENTRE.0, CENTRE.1, 0.02, &["water"])).await;
    let url = bench.app.url("/map#10/39.93/116.40");
    with_session(&bench.driver, true, move |c| async move {
        goto(&c, &url).await;
        let before = map_idle(&c).await;
        wait_for(&c, ".leaflet-marker-icon").await;
        assert_eq!(before.zoom, Some(10), "the map opens at the zoom of the URL hash");
        assert!(before.features > 0, "no features at zoom 10: {before:?}");
        let biggest = *before.clusters.iter().max().unwrap_or_else(|| panic!("no cluster at zoom 10: {before:?}"));
        assert!(biggest >= 300, "the 300 stations around the centre should be one cluster: {before:?}");

        // Click the biggest cluster: the map zooms to where it splits.
        let mut target = None;
        for m in find_all(&c, ".leaflet-marker-icon.cluster").await {
            let count = m.find(Locator::Css(".cluster-count")).await.expect("count");
            let n = count.prop("textContent").await.expect("text").unwrap_or_default();
            if n.trim().parse::<usize>().ok() == Some(biggest) {
                target = Some(m);
            }
        }
        target.expect("the biggest cluster's marker").click().await.expect("click the cluster");
        let zoom = poll("the URL hash zoom to grow after clicking a cluster", || async {
            let hash = c.execute("return location.hash", vec![]).await.expect("hash");
            let z = hash.as_str()?.trim_start_matches('#').split('/').next()?.parse::<u32>().ok()?;
            (z > 10).then_some(z)
        })
        .await;
        let after = map_idle(&c).await;
        assert_eq!(after.zoom, Some(zoom));
        assert!(after.features > 0, "nothing drawn after zooming in to {zoom}: {after:?}");
        assert!(
            after.clusters.iter().all(|n| *n < biggest),
            "the cluster of {biggest} should have split at zoom {zoom}: {after:?}"
        );
    })
    .await;
}

async fn station_popup_opens_station_page(tools: Tools) {
    let bench = Bench::start(&tools).await;
    let (id, name, lat, lon) = bench.app.seed("刘村小哥之家");
    let url = bench.app.url(&format!("/map#17/{lat}/{lon}"));
    let base = bench.app.base.clone();
    with_session(&bench.driver, true, move |c| async move {
        goto(&c, &url).await;
        map_idle(&c).await;
        // Its marker: a pin titled with the station's name.
        let pin = pin_titled(&c, &name).await;
        let class = pin.attr("class").await.expect("class").unwrap_or_default();
        // 08:00–18:00 every day, and it is Monday 10:00.
        assert!(class.split(' ').any(|c| c == "pin-open"), "{name} is open now, its pin says {class:?}");
        pin.click().await.expect("click the pin");

        // The popup fades in: its text reads as empty until it is visible.
        let popup_name = wait_for(&c, ".leaflet-popup .popup-name").await;
        let shown = poll("the popup to show the station's name", || async {
            let t = popup_name.text().await.ok()?;
            (!t.trim().is_empty()).then(|| t.trim().to_string())
        })
        .await;
        assert_eq!(shown, name);
        let nav = find(&c, ".leaflet-popup a.popup-nav").await;
        assert_eq!(nav.attr("href").await.expect("href").as_deref(), Some(format!("/stations/{id}#nav-apps").as_str()));
        // The popup stays open once the map has settled (it may pan to fit the popup,
        // and the markers are reloaded after the pan), and two seconds later.
        map_idle(&c).await;
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        assert_eq!(find_all(&c, ".leaflet-popup .popup-name").await.len(), 1, "the popup closed by itself");
        let details = find(&c, ".leaflet-popup a.popup-details").await;
        details.click().await.expect("click the details link");

        let expected = format!("{base}/stations/{id}");
        poll("the station page to open", || async {
            let u = c.current_url().await.ok()?;
            (u.as_str() == expected).then_some(())
        })
        .await;
        let h1 = wait_for(&c, "h1").await;
        assert_eq!(h1.text().await.expect("h1").trim(), name);
        wait_for(&c, ".state-big").await;
        let amap = find(&c, "#nav a.nav-amap").await.attr("href").await.expect("href").unwrap_or_default();
        assert!(amap.contains("amap.com") || amap.starts_with("amapuri:"), "navigation link: {amap}");
    })
    .await;
}

async fn filter_changes_markers(tools: Tools) {
    let bench = Bench::start(&tools).await;
    // Many stations without a shower, a few with one, all near the centre.
    let mut extra = crowd("东城普通驿站", 120, CENTRE.0, CENTRE.1, 0.03, &["water"]);
    let showers: Vec<_> = [(39.95, 116.36), (39.91, 116.44), (39.94, 116.45)]
        .iter()
        .enumerate()
        .map(|(i, (lat, lon))| station(&format!("淋浴驿站{i}"), 110101, *lat, *lon, &[SHOWER, "water"]))
        .collect();
    let shower_count = showers.len();
    extra.extend(showers);
    bench.app.add(extra).await;
    let app_all = bench.app.public_in(-90.0, -180.0, 90.0, 180.0, None);
    let app_showers = bench.app.public_in(-90.0, -180.0, 90.0, 180.0, Some(SHOWER));
    assert_eq!(app_showers, shower_count, "only the added stations have a shower");
    assert!(app_all > 120 + shower_count);

    let plain = bench.app.url("/map#9/39.9/116.4");
    let filtered = bench.app.url(&format!("/map?facility={SHOWER}#9/39.9/116.4"));
    let form_page = bench.app.url("/map#10/39.93/116.40");
    with_session(&bench.driver, true, move |c| async move {
        goto(&c, &plain).await;
        let all = map_idle(&c).await;
        goto(&c, &filtered).await;
        let some = map_idle(&c).await;
        assert_eq!(some.zoom, Some(9));
        assert_ne!(all.features, some.features, "the shower filter should change the markers: {all:?} vs {some:?}");
        assert!(all.stations() > 120, "without a filter the map shows the added stations: {all:?}");
        assert_eq!(some.stations(), shower_count, "with facility=shower only the shower stations: {some:?}");

        // The same through the filter form: open the panel, tick 淋浴 under
        // "more facilities", submit.
        goto(&c, &form_page).await;
        let unfiltered = map_idle(&c).await;
        find(&c, "details.filters > summary").await.click().await.expect("open the filters");
        find(&c, "details.filters details.more > summary").await.click().await.expect("open more facilities");
        let shower_box = find(&c, &format!("input[name=facility][value={SHOWER}]")).await;
        shower_box.click().await.expect("tick shower");
        assert!(shower_box.is_selected().await.expect("selected"));
        find(&c, "form.filter-form button[type=submit]").await.click().await.expect("submit the filters");
        poll("the filtered map page", || async {
            let u = c.current_url().await.ok()?;
            (u.path() == "/map" && u.query_pairs().any(|(k, v)| k == "facility" && v == SHOWER)).then_some(())
        })
        .await;
        let via_form = map_idle(&c).await;
        assert_eq!(via_form.stations(), shower_count, "after the form: only the shower stations: {via_form:?}");
        assert_ne!(unfiltered.features, via_form.features, "{unfiltered:?} vs {via_form:?}");
        let ticked = find(&c, &format!("input[name=facility][value={SHOWER}]")).await;
        assert!(ticked.is_selected().await.expect("selected"), "the filter form remembers the ticked facility");
        // The list link keeps the filter.
        let list =
            find(&c, ".map-bar a[href^='/stations']").await.attr("href").await.expect("href").unwrap_or_default();
        assert!(list.contains(&format!("facility={SHOWER}")), "list link {list}");
    })
    .await;
}

/// Errors recorded by listeners added after the page loaded (the console log
/// covers the load itself).
const LISTEN_JS: &str = r#"
if (!window.__yzErrors) {
  window.__yzErrors = [];
  document.addEventListener('securitypolicyviolation', function (e) {
    window.__yzErrors.push('CSP ' + e.violatedDirective + ' blocked ' + e.blockedURI + ' at ' + e.sourceFile + ':' + e.lineNumber);
  });
  window.addEventListener('error', function (e) {
    if (e instanceof ErrorEvent) { window.__yzErrors.push('error ' + e.message + ' at ' + e.filename + ':' + e.lineno); }
  });
  window.addEventListener('unhandledrejection', function (e) {
    window.__yzErrors.push('unhandled rejection ' + String(e.reason));
  });
}
return true;
"#;

/// Makes one error and one CSP violation on purpose.
const SELF_TEST_JS: &str = r#"
setTimeout(function () { throw new Error('yizhan self-test'); }, 0);
var img = new Image();
img.alt = '';
img.src = 'https://self-test.invalid/blocked.png';
document.body.appendChild(img);
return true;
"#;

/// Console entries that are problems: every error and every CSP report, except
/// failed loads from other hosts (the map tiles: there is no internet here).
fn problems(base: &str, log: &[LogEntry]) -> Vec<String> {
    log.iter()
        .filter(|e| e.level == "SEVERE" || e.source == "security")
        .filter(|e| e.source != "network" || e.message.starts_with(&format!("{base}/")))
        .map(|e| format!("[{} {}] {}", e.level, e.source, e.message))
        .collect()
}

async fn listened(c: &Client) -> Vec<String> {
    let v = c.execute("return window.__yzErrors || ['listeners were not installed']", vec![]).await.expect("errors");
    v.as_array().map(|a| a.iter().map(|e| e.as_str().unwrap_or_default().to_string()).collect()).unwrap_or_default()
}

async fn no_console_errors_or_csp_violations(tools: Tools) {
    let bench = Bench::start(&tools).await;
    bench.app.add(crowd("东城测试驿站", 60, CENTRE.0, CENTRE.1, 0.02, &["water"])).await;
    let (id, _, lat, lon) = bench.app.seed("刘村小哥之家");
    let pages = [
        "/map#10/39.93/116.40".to_string(),
        "/stations".to_string(),
        format!("/stations/{id}"),
        "/".to_string(),
        format!("/map#17/{lat}/{lon}"),
        "/offline".to_string(),
        "/feedback/outbox".to_string(),
    ];

    // Every page carries a strict Content-Security-Policy.
    let http = reqwest::Client::new();
    for page in &pages {
        let path = page.split('#').next().unwrap_or_default();
        let res = http.get(bench.app.url(path)).send().await.expect("request");
        assert_eq!(res.status().as_u16(), 200, "{path}");
        let csp = res
            .headers()
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("no Content-Security-Policy on {path}"))
            .to_str()
            .expect("header text")
            .to_string();
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{path}: {csp}");
    }

    let base = bench.app.base.clone();
    with_session(&bench.driver, true, move |c| async move {
        let mut found = Vec::new();
        for page in &pages {
            let url = format!("{base}{page}");
            goto(&c, &url).await;
            c.execute(LISTEN_JS, vec![]).await.expect("install listeners");
            if page.starts_with("/map") {
                // Load, zoom in and out with the controls, open a popup or a cluster.
                map_idle(&c).await;
                for control in [".leaflet-control-zoom-in", ".leaflet-control-zoom-out"] {
                    let before = c.execute("return location.hash", vec![]).await.expect("hash");
                    find(&c, control).await.click().await.expect("zoom control");
                    poll("the map to move", || async {
                        let now = c.execute("return location.hash", vec![]).await.ok()?;
                        (now != before).then_some(())
                    })
                    .await;
                    map_idle(&c).await;
                }
                if let Some(m) = find_all(&c, ".leaflet-marker-icon.pin, .leaflet-marker-icon.cluster").await.first() {
                    m.click().await.expect("click a marker");
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                    map_idle(&c).await;
                }
            } else {
                // Fold and unfold whatever folds.
                for s in find_all(&c, "details > summary").await {
                    if s.is_displayed().await.unwrap_or(false) {
                        let _ = s.click().await;
                    }
                }
            }
            for e in listened(&c).await {
                found.push(format!("{page}: {e}"));
            }
            let log = browser_log(&c).await;
            let bad = problems(&base, &log);
            println!("{page}: {} console entries, {} ignored (tile loads)", log.len(), log.len() - bad.len());
            for e in bad {
                found.push(format!("{page}: {e}"));
            }
        }
        assert!(found.is_empty(), "errors or CSP violations in the browser:\n{}", found.join("\n"));

        // The detectors themselves work: a thrown error and an image from a host
        // the policy does not allow are both seen, by the listeners and in the log.
        goto(&c, &format!("{base}/")).await;
        c.execute(LISTEN_JS, vec![]).await.expect("install listeners");
        c.execute(SELF_TEST_JS, vec![]).await.expect("self-test");
        let heard = poll("the listeners to hear the self-test error and CSP violation", || async {
            let e = listened(&c).await;
            // A script injected by WebDriver has no origin, so its error is muted
            // ("Script error."); the console log below has the message.
            (e.iter().any(|m| m.starts_with("error ")) && e.iter().any(|m| m.starts_with("CSP img-src"))).then_some(e)
        })
        .await;
        let log = problems(&base, &browser_log(&c).await);
        assert!(
            log.iter().any(|m| m.contains("javascript") && m.contains("yizhan self-test")),
            "the console log missed the self-test error: {log:?} (listeners: {heard:?})"
        );
        assert!(
            log.iter().any(|m| m.contains("security") && m.contains("self-test.invalid")),
            "the console log missed the self-test CSP violation: {log:?}"
        );
    })
    .await;
}

async fn pages_work_without_javascript(tools: Tools) {
    let bench = Bench::start(&tools).await;
    let base = bench.app.base.clone();
    with_session(&bench.driver, false, move |c| async move {
        goto(&c, &format!("{base}/stations?district=110115")).await;
        let rows = find_all(&c, ".station").await;
        assert!(!rows.is_empty(), "no .station rows for 大兴区");
        let first_name = text(&c, ".station .station-name").await;
        // chromedriver cannot click with scripts off (it waits on a page timer that
        // never fires), so follow the link as a keyboard user does: focus and Enter.
        press_enter(&find(&c, ".station a.station-link").await).await;
        poll("a station page", || async {
            let u = c.current_url().await.ok()?;
            u.path().starts_with("/stations/").then_some(())
        })
        .await;
        assert_eq!(text(&c, "h1").await, first_name);
        assert!(!text(&c, ".state-big").await.is_empty());

        goto(&c, &format!("{base}/map")).await;
        // No script ran: the map never loaded features.
        let map = find(&c, "#map").await;
        assert_eq!(map.attr("data-features").await.expect("attr"), None, "scripts should be off in this session");
        assert!(find_all(&c, ".leaflet-container").await.is_empty(), "Leaflet should not have run");
        // The way to the list: the <noscript> link and the district links.
        let mut links: BTreeSet<String> = BTreeSet::new();
        for a in find_all(&c, "noscript a, #district-labels a").await {
            if a.is_displayed().await.unwrap_or(false) {
                links.insert(a.attr("href").await.expect("href").unwrap_or_default());
            }
        }
        assert!(links.iter().any(|h| h == "/stations"), "no visible link to the list on /map without JS: {links:?}");
        let daxing = "/stations?district=110115";
        assert!(links.contains(daxing), "no visible 大兴区 link on /map without JS: {links:?}");
        press_enter(&find(&c, &format!("#district-labels a[href='{daxing}']")).await).await;
        poll("the district list", || async { (path_and_query(&c).await == daxing).then_some(()) }).await;
        assert!(!find_all(&c, ".station").await.is_empty(), "the district link leads to a list with stations");
    })
    .await;
}

async fn press_enter(link: &fantoccini::elements::Element) {
    link.send_keys(&fantoccini::key::Key::Enter.to_string()).await.expect("press Enter on a link");
}

async fn accessibility_scan(tools: Tools) {
    let bench = Bench::start(&tools).await;
    bench.app.add(crowd("东城测试驿站", 60, CENTRE.0, CENTRE.1, 0.02, &["water"])).await;
    let (id, _, _, _) = bench.app.seed("刘村小哥之家");
    let mut gone = station("已撤销的测试驿站", 110101, CENTRE.0, CENTRE.1, &["water"]);
    gone.status = yizhan::domain::station::Status::Revoked;
    gone.revocation =
        Some(yizhan::domain::station::Revocation { reason: "场地收回".into(), at: monday_morning() - 86_400 });
    let gone = bench.app.add(vec![gone]).await[0];
    // A model station with a story, for its showcase page.
    let (model, _, _, _) = bench.app.seed("南苑街道");
    let store = &bench.app.state.store;
    let before = store.station(model).await.expect("read").expect("seed station");
    let mut after = before.clone();
    after.story = "驿站设在街道政务服务中心一层。\n\n冬天有热水，夏天有空调，快递小哥常来歇脚。".into();
    assert!(store.save_station(&before, &after, "story", None, monday_morning()).await.expect("save"));
    bench.app.state.catch_up().await.expect("reload");
    let pages = [
        "/showcase".to_string(),
        format!("/showcase/{model}"),
        "/stats".to_string(),
        "/bulletin".to_string(),
        "/bulletin/2025-11".to_string(),
        "/bulletin/2025-11/110106".to_string(),
        "/".to_string(),
        "/stations".to_string(),
        format!("/stations/{id}"),
        "/map".to_string(),
        "/near?lat=39.806&lon=116.382&facility=toilet".to_string(),
        "/near".to_string(),
        "/stations/999999".to_string(),
        format!("/stations/{gone}"),
        "/offline".to_string(),
        "/feedback/outbox".to_string(),
    ];
    let base = bench.app.base.clone();
    with_session(&bench.driver, true, move |c| async move {
        let axe = include_str!("assets/axe.min.js");
        let mut blocking = Vec::new();
        let mut report = Vec::new();
        for page in &pages {
            goto(&c, &format!("{base}{page}")).await;
            if page == "/map" {
                map_idle(&c).await;
            }
            c.execute(axe, vec![]).await.expect("load axe");
            let v = c.execute_async(AXE_RUN_JS, vec![]).await.expect("run axe");
            assert!(v.get("error").is_none(), "axe failed on {page}: {v}");
            let passed = v["passes"].as_u64().unwrap_or(0);
            assert!(passed >= 10, "axe checked almost nothing on {page} ({passed} rules passed): {v}");
            report.push(format!("{page}: {passed} rules passed"));
            for violation in v["violations"].as_array().expect("violations") {
                let field = |k: &str| violation[k].as_str().unwrap_or_default().to_string();
                let nodes = violation["nodes"].as_array().cloned().unwrap_or_default();
                report.push(format!(
                    "{page}: {} ({}), {} node(s): {}",
                    field("id"),
                    field("impact"),
                    nodes.len(),
                    field("help")
                ));
                if matches!(field("impact").as_str(), "serious" | "critical") {
                    for n in &nodes {
                        let nf = |k: &str| n[k].as_str().unwrap_or_default().replace('\n', " ");
                        blocking.push(format!(
                            "{page}: {} ({}) at `{}`: {}",
                            field("id"),
                            field("impact"),
                            nf("target"),
                            nf("summary")
                        ));
                    }
                }
            }
        }
        println!("axe-core results (violations of every impact are listed):\n{}", report.join("\n"));
        assert!(blocking.is_empty(), "serious or critical accessibility violations:\n{}", blocking.join("\n"));
    })
    .await;
}

/// The session is really the size of a phone.
async fn browser_is_phone_sized(tools: Tools) {
    let bench = Bench::start(&tools).await;
    let url = bench.app.url("/");
    with_session(&bench.driver, true, move |c| async move {
        goto(&c, &url).await;
        let v: Value = c.execute("return [window.innerWidth, window.innerHeight]", vec![]).await.expect("size");
        assert_eq!(v[0].as_u64(), Some(360), "viewport {v}");
        assert!(v[1].as_u64().unwrap_or(0) > 600, "viewport {v}");
        // Nothing overflows sideways on a narrow screen.
        let wide = c
            .execute("return document.documentElement.scrollWidth <= window.innerWidth", vec![])
            .await
            .expect("scroll width");
        assert_eq!(wide, Value::Bool(true), "the home page scrolls sideways at 360 px");
    })
    .await;
}

/// A worker reports from the phone form and gets a receipt; a staff member publishes
/// it with a reply; the station page and the receipt show both.
async fn worker_report_is_published_with_reply(tools: Tools) {
    let bench = Bench::start(&tools).await;
    let (id, _, _, _) = bench.app.seed("刘村小哥之家");
    let hash = yizhan::domain::staff::hash_password("staff-password-1").expect("hash");
    let role = yizhan::domain::staff::Role::CityAdmin;
    let now = bench.app.state.clock.now();
    bench.app.state.store.create_staff("wang", "王丽", &hash, role, now).await.expect("staff").expect("new account");
    let base = bench.app.base.clone();
    with_session(&bench.driver, true, move |c| async move {
        // The worker: station page, the form at the bottom, send.
        goto(&c, &format!("{base}/stations/{id}")).await;
        find(&c, "input[name=kind][value=closed_when_open]").await.click().await.expect("choose the kind");
        find(&c, "#fb-body").await.send_keys("下午两点到这里，门锁着，没人。").await.expect("type the text");
        find(&c, "input[name=rating][value='2']").await.click().await.expect("rate");
        find(&c, ".feedback-form button[type=submit]").await.click().await.expect("send");
        let receipt_path = poll("the receipt page after sending", || async {
            let path = path_and_query(&c).await;
            path.starts_with("/feedback/FK-").then_some(path)
        })
        .await;
        let receipt = text(&c, ".receipt-code").await;
        assert!(receipt_path.ends_with(&receipt), "{receipt_path} shows {receipt}");
        wait_for(&c, ".feedback-state.state-pending").await;

        // Before moderation the station page warns, without the text.
        goto(&c, &format!("{base}/stations/{id}")).await;
        assert!(text(&c, ".reported-closed").await.contains('1'), "the closed report is counted");
        assert!(find_all(&c, ".note-item").await.is_empty(), "nothing is published before moderation");

        // The staff member: sign in, open the report from the queue, reply, publish.
        goto(&c, &format!("{base}/admin/feedback")).await;
        assert!(path_and_query(&c).await.starts_with("/admin/login"), "the queue needs a login");
        find(&c, "#l-user").await.send_keys("wang").await.expect("username");
        find(&c, "#l-pass").await.send_keys("staff-password-1").await.expect("password");
        find(&c, "form[action='/admin/login'] button").await.click().await.expect("sign in");
        wait_for(&c, "tr.fb-row").await;
        find(&c, "tr.fb-row .fb-text a").await.click().await.expect("open the report");
        wait_for(&c, "#reply").await.send_keys("已联系驿站，明天起按时开门。").await.expect("reply");
        find(&c, "button[name=action][value=reply]").await.click().await.expect("save the reply");
        wait_for(&c, ".flash").await;
        find(&c, "button[name=action][value=publish]").await.click().await.expect("publish");
        wait_for(&c, ".fb-state.fb-published").await;

        // The public sees it.
        goto(&c, &format!("{base}/stations/{id}")).await;
        assert_eq!(text(&c, ".note-item .note-body").await, "下午两点到这里，门锁着，没人。");
        assert!(text(&c, ".note-item .note-reply").await.contains("已联系驿站，明天起按时开门。"));
        goto(&c, &format!("{base}{receipt_path}")).await;
        wait_for(&c, ".feedback-state.state-published").await;
        assert!(text(&c, ".staff-reply").await.contains("明天起按时开门"));
    })
    .await;
}

async fn home_to_the_nearest_open_station_with_a_toilet_in_two_taps(tools: Tools) {
    let bench = Bench::start(&tools).await;
    // Beside the 槐房路 petrol station in 丰台 (open 24 hours).
    let (lat, lon) = (39.806, 116.382);
    let mut near = station("隔壁没有厕所的驿站", 110106, lat + 0.0002, lon, &["water"]);
    near.hours = Some(yizhan::domain::hours::Hours::parse("24/7").expect("hours"));
    let mut toilet = station("再远一点有厕所的驿站", 110106, lat + 0.002, lon, &["toilet"]);
    toilet.hours = Some(yizhan::domain::hours::Hours::parse("24/7").expect("hours"));
    let ids = bench.app.add(vec![near, toilet]).await;
    let home = bench.app.url("/");
    let base = bench.app.base.clone();
    with_session(&bench.driver, true, move |c| async move {
        give_position(&c, lat, lon).await;
        goto(&c, &home).await;
        // Tap 1: the quick link "open now + toilet".
        let quick = wait_for(&c, ".quick a[data-locate='open_now=1&facility=toilet']").await;
        quick.click().await.expect("tap the quick link");
        poll("/near with the position and the filters", || async {
            let u = c.current_url().await.ok()?;
            (u.path() == "/near" && u.query().is_some_and(|q| q.contains("lat=") && q.contains("facility=toilet")))
                .then_some(())
        })
        .await;
        let first = wait_for(&c, ".near li:first-child a.station-link").await;
        let name = first.find(Locator::Css(".station-name")).await.expect("name").text().await.expect("text");
        // The nearest station has no toilet: the first card is another one.
        assert_ne!(name, "隔壁没有厕所的驿站");
        // Tap 2: the station.
        first.click().await.expect("tap the first card");
        let opened = poll("a station page", || async {
            let u = c.current_url().await.ok()?;
            u.path().starts_with("/stations/").then(|| u.as_str().to_string())
        })
        .await;
        assert!(opened.starts_with(&base));
        assert_ne!(opened, format!("{base}/stations/{}", ids[0]), "the station without a toilet");
        assert_eq!(find_all(&c, ".state-big.state-open").await.len(), 1, "the station is open now");
        assert_eq!(find_all(&c, ".key-facilities li.kf-toilet.has").await.len(), 1, "it has a toilet");
    })
    .await;
}

async fn the_map_keeps_the_district_filter(tools: Tools) {
    let bench = Bench::start(&tools).await;
    // 400 stations in 朝阳 around the centre, 40 in 丰台 near its label.
    let mut many = crowd("朝阳测试驿站", 400, CENTRE.0, CENTRE.1 + 0.08, 0.05, &["water"]);
    for s in &mut many {
        s.district = yizhan::domain::district::District::by_code(110105).expect("朝阳");
    }
    let mut fengtai = crowd("丰台测试驿站", 40, 39.84, 116.28, 0.03, &["water"]);
    for s in &mut fengtai {
        s.district = yizhan::domain::district::District::by_code(110106).expect("丰台");
    }
    many.extend(fengtai);
    bench.app.add(many).await;
    let (status, list) = {
        let r = reqwest::get(bench.app.url("/api/stations?district=110106")).await.expect("list");
        (r.status().as_u16(), r.json::<Value>().await.expect("json"))
    };
    assert_eq!(status, 200);
    let total = list["total"].as_u64().expect("total") as usize;
    let url = bench.app.url("/map?district=110106");
    with_session(&bench.driver, true, move |c| async move {
        goto(&c, &url).await;
        let state = map_idle(&c).await;
        // Opened on 丰台, with only 丰台's stations: the clusters add up to the list.
        assert_eq!(state.zoom, Some(11), "{state:?}");
        assert_eq!(state.stations(), total, "{state:?}");
        // The controls above the map leave the screen to the map.
        let top = c
            .execute("return document.getElementById('map').getBoundingClientRect().top", vec![])
            .await
            .expect("map top");
        assert!(top.as_f64().unwrap_or(999.0) <= 120.0, "controls take {top} px");
    })
    .await;
}

async fn clusters_do_not_overlap_and_labels_do_not_cover_them(tools: Tools) {
    let bench = Bench::start(&tools).await;
    bench.app.add(crowd("密集测试驿站", 3000, CENTRE.0, CENTRE.1, 0.25, &["water"])).await;
    let url = bench.app.url("/map#12/39.93/116.40");
    with_session(&bench.driver, true, move |c| async move {
        goto(&c, &url).await;
        map_idle(&c).await;
        let worst = c
            .execute(
                r#"
const boxes = Array.from(document.querySelectorAll('.leaflet-marker-icon.cluster'), e => e.getBoundingClientRect());
let worst = 0;
for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
  const a = boxes[i], b = boxes[j];
  const d = Math.hypot((a.left + a.width / 2) - (b.left + b.width / 2), (a.top + a.height / 2) - (b.top + b.height / 2));
  const overlap = (a.width / 2 + b.width / 2) - d;
  worst = Math.max(worst, overlap / Math.min(a.width, b.width));
}
const labels = Array.from(document.querySelectorAll('.district-name'))
  .filter(l => getComputedStyle(l.parentElement).visibility !== 'hidden')
  .map(l => l.getBoundingClientRect());
let covered = 0;
for (const l of labels) for (const b of boxes)
  if (!(b.right < l.left || b.left > l.right || b.bottom < l.top || b.top > l.bottom)) covered++;
return { worst, covered, clusters: boxes.length };
"#,
                vec![],
            )
            .await
            .expect("measure");
        assert!(worst["clusters"].as_u64().unwrap_or(0) > 1, "{worst}");
        assert!(worst["worst"].as_f64().unwrap_or(9.0) <= 0.25, "clusters overlap: {worst}");
        assert_eq!(worst["covered"], 0, "a district name over a cluster: {worst}");
    })
    .await;
}

async fn a_refused_position_says_so_and_offers_a_retry_and_the_districts(tools: Tools) {
    let bench = Bench::start(&tools).await;
    let home = bench.app.url("/");
    with_session(&bench.driver, true, move |c| async move {
        refuse_position(&c).await;
        goto(&c, &home).await;
        wait_for(&c, "a.near-me").await.click().await.expect("tap near me");
        let status = wait_for(&c, "#locate-status.failed").await;
        assert!(status.is_displayed().await.expect("displayed"), "the failure is shown");
        assert_eq!(path_and_query(&c).await, "/", "still on the home page");
        let retry = find_all(&c, "#locate-status button").await;
        assert_eq!(retry.len(), 1, "a retry button");
        let fallback = find(&c, "#locate-status a.button").await;
        assert_eq!(fallback.attr("href").await.expect("href").as_deref(), Some("/near"));
        fallback.click().await.expect("tap the district choice");
        poll("/near", || async { (path_and_query(&c).await == "/near").then_some(()) }).await;
        assert_eq!(find_all(&c, ".districts a").await.len(), 16);
    })
    .await;
}

/// Saves a screenshot of the page when `YIZHAN_TEST_SCREENSHOTS` names a folder (to look at).
async fn keep_screenshot(c: &Client, name: &str) {
    let Ok(dir) = std::env::var("YIZHAN_TEST_SCREENSHOTS") else { return };
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).expect("write screenshot");
}

/// Nothing on the page is wider than the phone, and every control of `scope` is at
/// least 24×24 CSS pixels: the list of offenders.
const NARROW_CHECK_JS: &str = r#"
const scope = arguments[0];
const out = { scroll: document.scrollingElement.scrollWidth, small: [], statuses: [] };
for (const el of document.querySelectorAll(scope)) {
  const r = el.getBoundingClientRect();
  if (r.width > 0 && (r.width < 24 || r.height < 24)) {
    out.small.push(el.tagName + '.' + el.className + ' ' + (el.textContent || el.name || '').trim().slice(0, 20) + ' ' + r.width + 'x' + r.height);
  }
}
for (const el of document.querySelectorAll('.fb-row .fb-status .fb-badge')) {
  const r = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  out.statuses.push({ text: el.textContent.trim(), visible: r.width > 0 && r.height > 0 && style.visibility !== 'hidden' && r.left >= 0 && r.right <= window.innerWidth });
}
return out;
"#;

/// A moderator on a 360 px phone: the queue is a list of cards with no sideways
/// scrolling, every card's state in view, every control big enough to tap; the
/// detail page fits too.
async fn moderation_queue_fits_a_phone(tools: Tools) {
    let bench = Bench::start(&tools).await;
    let (id, _, _, _) = bench.app.seed("刘村小哥之家");
    let state = bench.app.state.clone();
    let now = state.clock.now();
    let hash = yizhan::domain::staff::hash_password("staff-password-1").expect("hash");
    state
        .store
        .create_staff("wang", "王丽", &hash, yizhan::domain::staff::Role::CityAdmin, now)
        .await
        .expect("staff")
        .expect("new account");
    use yizhan::domain::feedback::{FeedbackKind, NewFeedback};
    let long = "下午两点到这里门锁着没人接电话，等了二十分钟，外面很热，希望能按公示时间开门。".repeat(3);
    let reports = [
        (FeedbackKind::ClosedWhenOpen, long.as_str()),
        (FeedbackKind::Praise, "热水很方便"),
        (FeedbackKind::Suggestion, "ThisIsAVeryLongWordWithoutAnySpacesThatCouldPushTheLayoutSideways1234567890"),
    ];
    let mut first = 0;
    for (i, (kind, body)) in reports.iter().enumerate() {
        let new = NewFeedback { kind: *kind, rating: Some(3), body: body.to_string(), reporter: None, phone: None };
        let (receipt, _) =
            state.store.submit_feedback(id, "110115", &new, &format!("{i:032}"), false, now).await.expect("feedback");
        if i == 0 {
            first = state.store.feedback_by_receipt(&receipt).await.expect("read").expect("stored").id;
        }
    }
    let base = bench.app.base.clone();
    with_session(&bench.driver, true, move |c| async move {
        goto(&c, &format!("{base}/admin/login")).await;
        keep_screenshot(&c, "login").await;
        // The button stands clear of the password field.
        let gap: Value = c
            .execute(
                "return document.querySelector('form[action=\"/admin/login\"] button').getBoundingClientRect().top \
                 - document.querySelector('#l-pass').getBoundingClientRect().bottom",
                vec![],
            )
            .await
            .expect("measure");
        assert!(gap.as_f64().unwrap_or(0.0) >= 8.0, "login button {gap} px below the password field");
        find(&c, "#l-user").await.send_keys("wang").await.expect("username");
        find(&c, "#l-pass").await.send_keys("staff-password-1").await.expect("password");
        find(&c, "form[action='/admin/login'] button").await.click().await.expect("sign in");
        wait_for(&c, "tr.fb-row").await;
        keep_screenshot(&c, "queue").await;
        c.execute("document.querySelector('.bulk-actions').scrollIntoView()", vec![]).await.expect("scroll");
        keep_screenshot(&c, "queue-cards").await;
        let v = c.execute(NARROW_CHECK_JS, vec![".queue a, .queue input, .bulk button, .bulk select, .admin-filters select, .admin-filters input, .admin-filters button, .admin-bar a, .admin-bar button".into()]).await.expect("measure");
        assert!(v["scroll"].as_u64().unwrap_or(9999) <= 360, "the queue scrolls sideways: {v}");
        assert_eq!(v["small"].as_array().map(Vec::len), Some(0), "controls smaller than 24×24: {v}");
        let statuses = v["statuses"].as_array().expect("statuses");
        assert_eq!(statuses.len(), 3, "{v}");
        for s in statuses {
            assert_eq!(s["visible"], Value::Bool(true), "a state is out of view: {v}");
            assert!(!s["text"].as_str().unwrap_or_default().is_empty(), "{v}");
        }

        goto(&c, &format!("{base}/admin/feedback/{first}")).await;
        wait_for(&c, "form.decide").await;
        keep_screenshot(&c, "detail").await;
        c.execute("document.querySelector('form.decide').scrollIntoView()", vec![]).await.expect("scroll");
        keep_screenshot(&c, "detail-form").await;
        c.execute("document.querySelector('fieldset.outcome').scrollIntoView()", vec![]).await.expect("scroll");
        keep_screenshot(&c, "detail-outcome").await;
        let v = c.execute(NARROW_CHECK_JS, vec!["form.decide button, form.decide input, form.decide select, form.decide textarea".into()]).await.expect("measure");
        assert!(v["scroll"].as_u64().unwrap_or(9999) <= 360, "the detail page scrolls sideways: {v}");
        assert_eq!(v["small"].as_array().map(Vec::len), Some(0), "controls smaller than 24×24: {v}");
    })
    .await;
}

/// A volunteer supervisor on a phone: from the invite link a district's staff made,
/// through an inspection report, to staff accepting it and the station page saying
/// who checked it and when.
async fn a_supervisor_inspects_a_station_from_invite_to_public_page(tools: Tools) {
    let bench = Bench::start(&tools).await;
    let station =
        bench.app.add(vec![station("丰台巡查驿站", 110106, 39.85, 116.29, &["water", "toilet", "charging"])]).await[0];
    let state = bench.app.state.clone();
    let hash = yizhan::domain::staff::hash_password("staff-password-1").expect("hash");
    let fengtai =
        yizhan::domain::staff::Role::DistrictStaff(yizhan::domain::district::District::parse("110106").expect("丰台"));
    state.store.create_staff("wang", "王丽", &hash, fengtai, state.clock.now()).await.expect("staff").expect("new");
    let base = bench.app.base.clone();
    let photo_file = std::env::temp_dir().join(format!("yizhan-door-{}.jpg", std::process::id()));
    std::fs::write(&photo_file, yizhan::domain::photo::samples::jpeg(3000, 2250)).expect("photo file");
    let photo_path = photo_file.display().to_string();
    with_session(&bench.driver, true, move |c| async move {
        goto(&c, &format!("{base}/lang/zh-CN?next=%2F")).await;
        // Staff make the link.
        sign_in_as(&c, &base, "/admin/login", "wang").await;
        goto(&c, &format!("{base}/admin/supervisors")).await;
        find(&c, "form.supervisor-invite button").await.click().await.expect("make link");
        let link = wait_for(&c, "input.invite-link").await.prop("value").await.expect("link").expect("a link");
        let path = &link[link.find("/supervise/join/").expect("join path")..];

        // The supervisor joins.
        goto(&c, &format!("{base}{path}")).await;
        find(&c, "#j-name").await.send_keys("张三").await.expect("name");
        find(&c, "#j-phone").await.send_keys("13800138000").await.expect("phone");
        find(&c, "input[name=occupation][value=rider]").await.click().await.expect("occupation");
        find(&c, "#j-user").await.send_keys("zhangsan").await.expect("username");
        find(&c, "#j-pass").await.send_keys("supervisor-pass-1").await.expect("password");
        find(&c, "#j-again").await.send_keys("supervisor-pass-1").await.expect("again");
        find(&c, "form.join-form button[type=submit]").await.click().await.expect("join");
        wait_for(&c, "li.sv-station").await;
        assert_eq!(path_and_query(&c).await, "/supervise?done=welcome");
        keep_screenshot(&c, "supervise-home").await;
        let v = c
            .execute(NARROW_CHECK_JS, vec![".sv-stations a, .supervise-bar a, .supervise-bar button, .pager a".into()])
            .await
            .expect("measure");
        assert!(v["scroll"].as_u64().unwrap_or(9999) <= 360, "the home scrolls sideways: {v}");
        assert_eq!(v["small"].as_array().map(Vec::len), Some(0), "controls smaller than 24×24: {v}");

        // The report.
        find(&c, &format!("a[href='/supervise/stations/{station}/report']")).await.click().await.expect("open form");
        wait_for(&c, "form.report-form").await;
        for (name, value) in [
            ("open", "yes"),
            ("sign", "yes"),
            ("staffed", "yes"),
            ("f_water", "working"),
            ("f_toilet", "missing"),
            ("f_charging", "working"),
            ("cleanliness", "4"),
        ] {
            let radio = find(&c, &format!("input[name={name}][value='{value}']")).await;
            c.execute(
                "arguments[0].scrollIntoView({block: 'center'})",
                vec![serde_json::to_value(&radio).expect("element")],
            )
            .await
            .expect("scroll");
            // Tapped on its label, as a thumb would.
            find(&c, &format!("label.check:has(input[name={name}][value='{value}'])")).await.click().await.expect(name);
            assert!(radio.is_selected().await.expect("state"), "{name} chosen");
        }
        find(&c, "#r-notes").await.send_keys("厕所已改成仓库").await.expect("notes");
        find(&c, "label.sv-show-name").await.click().await.expect("show my name");
        keep_screenshot(&c, "report-form").await;
        let v = c
            .execute(
                NARROW_CHECK_JS,
                vec![
                    "form.report-form label.check, form.report-form button, form.report-form textarea, #r-visited"
                        .into(),
                ],
            )
            .await
            .expect("measure");
        assert!(v["scroll"].as_u64().unwrap_or(9999) <= 360, "the report form scrolls sideways: {v}");
        assert_eq!(v["small"].as_array().map(Vec::len), Some(0), "controls smaller than 24×24: {v}");
        // A photo as a phone takes it, 3000 px wide: shrunk to 2000 px before it is sent.
        find(&c, "#r-photo").await.send_keys(&photo_path).await.expect("photo");
        c.execute(
            "var send = HTMLFormElement.prototype.submit;\
             HTMLFormElement.prototype.submit = function () {\
               var form = this, f = form.querySelector('#r-photo').files[0];\
               createImageBitmap(f).then(function (b) {\
                 sessionStorage.setItem('sent', f.type + ' ' + b.width + 'x' + b.height);\
                 send.call(form);\
               });\
             };",
            vec![],
        )
        .await
        .expect("watch the upload");
        find(&c, "form.report-form button[type=submit]").await.click().await.expect("send");
        wait_for(&c, ".report-facts").await;
        assert_eq!(text(&c, ".report-state").await, "待审核");
        let sent = c.execute("return sessionStorage.getItem('sent')", vec![]).await.expect("sent");
        assert_eq!(sent.as_str(), Some("image/jpeg 2000x1500"), "the photo went shrunk");
        assert_eq!(c.find_all(Locator::Css(".report-photos img")).await.expect("photos").len(), 1);
        let report = path_and_query(&c).await;
        let id = report.trim_start_matches("/supervise/reports/").trim_end_matches("?done=filed").to_string();

        // Staff accept it, taking the missing toilet off the station.
        goto(&c, &format!("{base}/admin/reports/{id}")).await;
        wait_for(&c, "form.review-form").await;
        keep_screenshot(&c, "report-review").await;
        find(&c, "label.apply-findings").await.click().await.expect("apply findings");
        find(&c, "form.review-form button[value=accept]").await.click().await.expect("accept");
        wait_for(&c, ".flash").await;
        assert_eq!(text(&c, ".report-state").await, "已采纳");

        // Its photo becomes the station's door photo.
        find(&c, "section.use-photos button[value=door]").await.click().await.expect("use as door photo");
        // The accept's flash is on the page already: wait for the answer's address.
        let done = format!("/admin/reports/{id}?done=photo_added");
        let mut waited = 0;
        while path_and_query(&c).await != done {
            assert!(waited < 100, "no answer to the photo form: {}", path_and_query(&c).await);
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            waited += 1;
        }

        // The public page says who checked it, and when, under the door photo.
        goto(&c, &format!("{base}/stations/{station}")).await;
        assert_eq!(text(&c, "dd.verified").await, "义务监督员张三 11月17日 实地查看");
        let door = find(&c, "a.door-photo img").await;
        let loaded = c
            .execute(
                "return arguments[0].complete && arguments[0].naturalWidth",
                vec![serde_json::to_value(&door).expect("img")],
            )
            .await
            .expect("loaded");
        assert_eq!(loaded.as_u64(), Some(320), "the 320-px door photo is shown");
        keep_screenshot(&c, "station-checked").await;
        goto(&c, &format!("{base}/supervise")).await;
        assert_eq!(text(&c, "li.sv-report .report-state").await, "已采纳");
    })
    .await;
}

/// A city administrator on a 360 px phone: the warning cards fit, the red card's
/// revocation link and the lift form are reachable; the public page says 整改中.
async fn warning_cards_fit_a_phone(tools: Tools) {
    use yizhan::domain::facility::{Facility, FacilitySet};
    use yizhan::domain::inspection::{NewReport, OpenAsListed};
    use yizhan::store::{CardProblem, Review};
    let bench = Bench::start(&tools).await;
    let station =
        bench.app.add(vec![station("丰台一直关门的驿站", 110106, 39.85, 116.29, &["water", "seats"])]).await[0];
    let state = bench.app.state.clone();
    let now = state.clock.now();
    let (admin, supervisor) = bench.app.admin_and_supervisor().await;
    let mut checked = FacilitySet::default();
    checked.insert(Facility::Water);
    checked.insert(Facility::Seats);
    for (i, days) in [5, 2].into_iter().enumerate() {
        let report = NewReport {
            visited_at: now - days * 86_400,
            open: OpenAsListed::No,
            sign_visible: true,
            staffed: false,
            checked,
            missing: FacilitySet::default(),
            broken: FacilitySet::default(),
            cleanliness: 3,
            notes: "门锁着".into(),
            show_name: false,
        };
        let (id, _) = state
            .store
            .submit_report(supervisor.id, station, &report, &format!("cards-{i}"), now)
            .await
            .expect("report")
            .expect("stored");
        state.store.review_report(id, &Review::Accept, None, &admin, now).await.expect("accepted");
    }
    let problem = CardProblem { failed_inspections: "黄牌：两次检查不合格", closed_reports: "黄牌" };
    let today = state.clock.today();
    state.store.raise_card_if_due(station, &problem, &admin, today, now).await.expect("card").expect("raised");
    // A month and a day later it is red.
    let later = today + chrono::Days::new(31);
    state.store.escalate_cards(later, now + 31 * 86_400).await.expect("escalate");
    state.catch_up().await.expect("reload");
    let base = bench.app.base.clone();
    with_session(&bench.driver, true, move |c| async move {
        goto(&c, &format!("{base}/lang/zh-CN?next=%2F")).await;
        goto(&c, &format!("{base}/stations/{station}")).await;
        assert_eq!(text(&c, ".rectifying").await, "整改中");
        sign_in_as(&c, &base, "/admin/login", "wang").await;
        goto(&c, &format!("{base}/admin/cards")).await;
        wait_for(&c, "li.card").await;
        assert_eq!(text(&c, "li.card .card-badge").await, "红牌");
        find(&c, "details.lift summary").await.click().await.expect("open the lift form");
        keep_screenshot(&c, "warning-cards").await;
        let v = c
            .execute(NARROW_CHECK_JS, vec!["li.card a, li.card summary, li.card button, li.card textarea".into()])
            .await
            .expect("measure");
        assert!(v["scroll"].as_u64().unwrap_or(9999) <= 360, "the cards page scrolls sideways: {v}");
        assert_eq!(v["small"].as_array().map(Vec::len), Some(0), "controls smaller than 24×24: {v}");
    })
    .await;
}

/// A district's staff member imports a GBK CSV on a phone (360×740) and on a desk
/// (1280×800): choose the file, read the dry run, import.
async fn a_ledger_comes_in_on_a_phone_and_on_a_desk(tools: Tools) {
    let bench = Bench::start(&tools).await;
    let state = bench.app.state.clone();
    let hash = yizhan::domain::staff::hash_password("staff-password-1").expect("hash");
    let fengtai =
        yizhan::domain::staff::Role::DistrictStaff(yizhan::domain::district::District::parse("110106").expect("丰台"));
    state.store.create_staff("wang", "王丽", &hash, fengtai, state.clock.now()).await.expect("staff").expect("new");
    let dir = std::env::temp_dir().join(format!("yizhan-ledger-browser-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let header = "站点编号,站点名称,所属区,详细地址,经度,纬度,坐标系,开放时间,节假日开放,设施";
    let files: Vec<String> = [("phone", "手机导入驿站", "39.83"), ("desk", "电脑导入驿站", "39.84")]
        .iter()
        .map(|(tag, name, lat)| {
            let text = format!("{header}\r\nB-{tag},{name},丰台区,丰台区某路1号,116.30,{lat},高德,周一至周五 8:00-18:00,否,饮水、厕所\r\n");
            let path = dir.join(format!("{tag}.csv"));
            std::fs::write(&path, encoding_rs::GBK.encode(&text).0).expect("file");
            path.display().to_string()
        })
        .collect();
    let base = bench.app.base.clone();
    with_session(&bench.driver, true, move |c| async move {
        goto(&c, &format!("{base}/lang/zh-CN?next=%2F")).await;
        sign_in_as(&c, &base, "/admin/login", "wang").await;
        for (i, (file, name)) in files.iter().zip(["手机导入驿站", "电脑导入驿站"]).enumerate() {
            if i == 1 {
                c.set_window_size(1280, 800).await.expect("desk size");
            }
            goto(&c, &format!("{base}/admin/ledger")).await;
            find(&c, "#lg-file").await.send_keys(file).await.expect("file");
            find(&c, "form.ledger-form button[type=submit]").await.click().await.expect("dry run");
            wait_for(&c, ".ledger-counts").await;
            assert_eq!(text(&c, ".count-added").await, "新增 1 个");
            assert_eq!(text(&c, ".line-added strong").await, name);
            keep_screenshot(&c, if i == 0 { "ledger-dry-run-phone" } else { "ledger-dry-run-desk" }).await;
            let v = c
                .execute(NARROW_CHECK_JS, vec!["form.ledger-apply button, .ledger-line a, .admin-bar a".into()])
                .await
                .expect("measure");
            let width = if i == 0 { 360 } else { 1280 };
            assert!(v["scroll"].as_u64().unwrap_or(9999) <= width, "the dry run scrolls sideways: {v}");
            find(&c, "form.ledger-apply button").await.click().await.expect("import");
            wait_for(&c, ".flash").await;
            assert_eq!(text(&c, ".flash").await, "台账已导入。");
        }
    })
    .await;
    assert_eq!(state.store.station_ids_named("手机导入驿站").await.expect("stored").len(), 1);
    assert_eq!(state.store.station_ids_named("电脑导入驿站").await.expect("stored").len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The pages for the public and the press at 360 px with the text at twice its size
/// (WCAG 1.4.4): nothing makes the page scroll sideways (wide tables scroll inside
/// their own box).
async fn figure_pages_fit_a_phone_at_twice_the_text_size(tools: Tools) {
    let bench = Bench::start(&tools).await;
    let (model, _, _, _) = bench.app.seed("南苑街道");
    let pages = [
        "/showcase".to_string(),
        format!("/showcase/{model}"),
        "/stats".to_string(),
        "/bulletin/2025-11".to_string(),
        "/bulletin/2025-11/110106".to_string(),
    ];
    let base = bench.app.base.clone();
    with_session(&bench.driver, true, move |c| async move {
        for page in &pages {
            goto(&c, &format!("{base}{page}")).await;
            let widths: Value = c
                .execute(
                    "const before = document.documentElement.getBoundingClientRect().height;\
                     const phone = window.innerWidth;\
                     document.documentElement.style.fontSize = '200%';\
                     const out = [...document.querySelectorAll('a, button, select, input, h1, h2')]\
                       .filter(e => !e.closest('.table-wrap, .showcase-photos, .skip'))\
                       .filter(e => { const r = e.getBoundingClientRect();\
                                      return r.width > 0 && (r.left < -1 || r.right > phone + 1); })\
                       .map(e => e.tagName + ' ' + e.textContent.trim().slice(0, 20) + ' ' + Math.round(e.getBoundingClientRect().right));\
                     return [document.scrollingElement.scrollWidth, phone, before,\
                             document.documentElement.getBoundingClientRect().height, out];",
                    vec![],
                )
                .await
                .expect("measure");
            let (scroll, inner) = (widths[0].as_u64().unwrap_or(u64::MAX), widths[1].as_u64().unwrap_or(0));
            assert!(scroll <= inner, "{page} scrolls sideways at 200% text: {widths}");
            assert_eq!(widths[4], Value::Array(vec![]), "{page}: cut off at the side at 200% text");
            // The text really grew: the page is taller.
            assert!(widths[3].as_f64() > widths[2].as_f64(), "{page}: text did not grow: {widths}");
            keep_screenshot(&c, &format!("text200{}", page.replace('/', "_"))).await;
        }
    })
    .await;
}

/// The map's pin titled with a station's name (the map at a zoom where it stands alone).
async fn pin_titled(c: &Client, name: &str) -> fantoccini::elements::Element {
    for m in find_all(c, ".leaflet-marker-icon.pin").await {
        if m.attr("title").await.expect("title").as_deref() == Some(name) {
            return m;
        }
    }
    panic!("no pin titled {name}")
}

/// Signs in at `/supervise/login` or `/admin/login` with the test password.
async fn sign_in_as(c: &Client, base: &str, login: &str, username: &str) {
    goto(c, &format!("{base}/lang/zh-CN?next=%2F")).await;
    goto(c, &format!("{base}{login}")).await;
    find(c, "form input[name=username]").await.send_keys(username).await.expect("username");
    find(c, "form input[name=password]").await.send_keys("staff-password-1").await.expect("password");
    find(c, &format!("form[action='{login}'] button")).await.click().await.expect("sign in");
    poll("signed in", || async { (!path_and_query(c).await.starts_with(login)).then_some(()) }).await;
}

/// A supervisor's own report on a 360 px phone, for a station with every facility and
/// a long note: nothing scrolls sideways, and the answers have room to be read.
async fn a_supervisors_report_fits_a_phone(tools: Tools) {
    use yizhan::domain::facility::{ALL_FACILITIES, FacilitySet};
    use yizhan::domain::inspection::{NewReport, OpenAsListed};
    let bench = Bench::start(&tools).await;
    let keys: Vec<&str> = ALL_FACILITIES.iter().map(|f| f.key()).collect();
    let station = bench.app.add(vec![station("丰台设施齐全的驿站", 110106, 39.85, 116.29, &keys)]).await[0];
    let state = bench.app.state.clone();
    let now = state.clock.now();
    let (_, supervisor) = bench.app.admin_and_supervisor().await;
    let all = FacilitySet::from_keys(keys.iter().copied()).expect("facilities");
    let report = NewReport {
        visited_at: now - 3600,
        open: OpenAsListed::Yes,
        sign_visible: true,
        staffed: true,
        checked: all,
        missing: FacilitySet::default(),
        broken: FacilitySet::from_keys(["microwave"]).expect("broken"),
        cleanliness: 4,
        notes: "门口的标识牌被树挡住了，从路口看不到，建议在路口加一块指示牌。微波炉不能加热。".repeat(3),
        show_name: true,
    };
    let (id, _) = state
        .store
        .submit_report(supervisor.id, station, &report, "view-1", now)
        .await
        .expect("report")
        .expect("stored");
    let base = bench.app.base.clone();
    with_session(&bench.driver, true, move |c| async move {
        sign_in_as(&c, &base, "/supervise/login", "zhangsan").await;
        goto(&c, &format!("{base}/supervise/reports/{id}")).await;
        wait_for(&c, ".report-facts").await;
        keep_screenshot(&c, "supervise-report-view").await;
        let v: Value = c
            .execute(
                "const dds = [...document.querySelectorAll('.report-facts dl.facts dd')];\
                 return { scroll: document.scrollingElement.scrollWidth, phone: window.innerWidth,\
                          narrowest: Math.min(...dds.map(d => d.getBoundingClientRect().width)) };",
                vec![],
            )
            .await
            .expect("measure");
        let phone = v["phone"].as_f64().expect("width");
        assert!(v["scroll"].as_f64().unwrap_or(f64::MAX) <= phone, "the report scrolls sideways: {v}");
        assert!(v["narrowest"].as_f64().unwrap_or(0.0) >= 0.4 * phone, "an answer is squeezed: {v}");
    })
    .await;
}

/// 导航 in a map popup opens the station page at its navigation apps, below the
/// sticky header, not under it.
async fn the_popups_navigate_link_lands_below_the_header(tools: Tools) {
    let bench = Bench::start(&tools).await;
    let (id, name, lat, lon) = bench.app.seed("刘村小哥之家");
    let url = bench.app.url(&format!("/map#17/{lat}/{lon}"));
    with_session(&bench.driver, true, move |c| async move {
        goto(&c, &url).await;
        map_idle(&c).await;
        pin_titled(&c, &name).await.click().await.expect("click the pin");
        wait_for(&c, ".leaflet-popup a.popup-nav").await;
        // The whole popup is inside the map, below the zoom buttons and the message line, and on the screen.
        let v: Value = c
            .execute(
                "const p = document.querySelector('.leaflet-popup-content-wrapper').getBoundingClientRect();\
                 const z = document.querySelector('.leaflet-control-zoom').getBoundingClientRect();\
                 return { top: p.top, right: p.right, zoom: z.bottom, phone: window.innerWidth };",
                vec![],
            )
            .await
            .expect("measure");
        map_idle(&c).await;
        assert!(
            v["right"].as_f64().unwrap_or(f64::MAX) <= v["phone"].as_f64().unwrap_or(0.0),
            "popup past the edge: {v}"
        );
        // Found again: a reload of the markers may have drawn the popup anew.
        let nav = wait_for(&c, ".leaflet-popup a.popup-nav").await;
        nav.click().await.expect("click 导航");
        poll("the station page", || async {
            let u = c.current_url().await.ok()?;
            (u.path() == format!("/stations/{id}")).then_some(())
        })
        .await;
        let amap = wait_for(&c, "#nav-apps a.nav-amap").await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        keep_screenshot(&c, "popup-navigate").await;
        let v: Value = c
            .execute(
                "const header = document.querySelector('header.top').getBoundingClientRect();\
                 const a = arguments[0].getBoundingClientRect();\
                 return { header: header.bottom, top: a.top, bottom: a.bottom, height: window.innerHeight };",
                vec![serde_json::to_value(&amap).expect("element")],
            )
            .await
            .expect("measure");
        let (header, top) = (v["header"].as_f64().expect("header"), v["top"].as_f64().expect("top"));
        assert!(top >= header, "高德地图 is under the sticky header: {v}");
        assert!(v["bottom"].as_f64().unwrap_or(f64::MAX) <= v["height"].as_f64().unwrap_or(0.0), "off screen: {v}");
    })
    .await;
}

/// /map without JavaScript: the first screen holds the way to the list, not an empty box.
async fn the_map_without_javascript_shows_the_list_first(tools: Tools) {
    let bench = Bench::start(&tools).await;
    let base = bench.app.base.clone();
    with_session(&bench.driver, false, move |c| async move {
        goto(&c, &format!("{base}/map")).await;
        keep_screenshot(&c, "map-noscript").await;
        let link = find(&c, ".map-noscript a[href='/stations']").await;
        let v: Value = c
            .execute(
                "const r = arguments[0].getBoundingClientRect();\
                 const m = document.getElementById('map').getBoundingClientRect();\
                 return { top: r.top, bottom: r.bottom, height: window.innerHeight, map: m.height };",
                vec![serde_json::to_value(&link).expect("element")],
            )
            .await
            .expect("measure");
        assert!(v["top"].as_f64().unwrap_or(-1.0) >= 0.0, "{v}");
        assert!(v["bottom"].as_f64().unwrap_or(f64::MAX) <= v["height"].as_f64().unwrap_or(0.0), "below the fold: {v}");
        assert_eq!(v["map"].as_f64(), Some(0.0), "an empty map box takes room: {v}");
    })
    .await;
}

/// A staff page on a phone, on a December day when next year's holidays are not loaded:
/// the warning is one line, the menu wraps instead of hiding sections off the side,
/// and the page's own heading and content start on the first screen.
async fn a_staff_page_shows_its_own_content_on_the_first_screen(tools: Tools) {
    use yizhan::domain::staff::Role;
    let bench = Bench::start_at(&tools, december()).await;
    let state = bench.app.state.clone();
    let hash = yizhan::domain::staff::hash_password("staff-password-1").expect("hash");
    state
        .store
        .create_staff("wang", "王丽", &hash, Role::CityAdmin, state.clock.now())
        .await
        .expect("staff")
        .expect("new");
    let base = bench.app.base.clone();
    with_session(&bench.driver, true, move |c| async move {
        sign_in_as(&c, &base, "/admin/login", "wang").await;
        for page in ["/admin/stations", "/admin/feedback", "/admin/calendar"] {
            goto(&c, &format!("{base}{page}")).await;
            wait_for(&c, ".calendar-warning").await;
            keep_screenshot(&c, &format!("staff-first-screen{}", page.replace('/', "_"))).await;
            let v: Value = c
                .execute(
                    "const h1 = document.querySelector('main h1');\
                     let next = h1.nextElementSibling;\
                     while (next && next.getBoundingClientRect().height === 0) { next = next.nextElementSibling; }\
                     const links = document.querySelector('.admin-links');\
                     return { h1: h1.getBoundingClientRect().bottom, content: next ? next.getBoundingClientRect().top : 9999,\
                              height: window.innerHeight, scroll: document.scrollingElement.scrollWidth,\
                              links: links.scrollWidth - links.clientWidth,\
                              warning: document.querySelector('.calendar-warning').getBoundingClientRect().height };",
                    vec![],
                )
                .await
                .expect("measure");
            let height = v["height"].as_f64().expect("height");
            assert!(v["content"].as_f64().unwrap_or(f64::MAX) < 0.75 * height, "{page}: own content starts below the first screen: {v}");
            assert!(v["warning"].as_f64().unwrap_or(f64::MAX) <= 60.0, "{page}: the warning takes {v}");
            assert_eq!(v["links"].as_f64(), Some(0.0), "{page}: the menu hides sections off the side: {v}");
            assert!(v["scroll"].as_f64().unwrap_or(f64::MAX) <= 360.0, "{page} scrolls sideways: {v}");
        }
        // The ledger's table: each station a card whose cells have room to be read.
        goto(&c, &format!("{base}/admin/stations")).await;
        let narrowest: Value = c
            .execute(
                "return Math.min(...[...document.querySelectorAll('.admin-table td[data-label]')]\
                   .map(td => td.getBoundingClientRect().width)) / window.innerWidth",
                vec![],
            )
            .await
            .expect("measure");
        assert!(narrowest.as_f64().unwrap_or(0.0) >= 0.6, "a cell of the stations table is squeezed: {narrowest}");
    })
    .await;
}

/// An empty feedback form sent on a phone: the browser brings the first field to fill
/// into view below the sticky header, not under it.
async fn an_empty_feedback_form_shows_its_field_below_the_header(tools: Tools) {
    let bench = Bench::start(&tools).await;
    let (id, _, _, _) = bench.app.seed("刘村小哥之家");
    let url = bench.app.url(&format!("/stations/{id}"));
    with_session(&bench.driver, true, move |c| async move {
        goto(&c, &url).await;
        let send = find(&c, "form.feedback-form button[type=submit]").await;
        c.execute("arguments[0].scrollIntoView({block: 'end'})", vec![serde_json::to_value(&send).expect("button")])
            .await
            .expect("scroll to the button");
        send.click().await.expect("send the empty form");
        let v = poll("a field of the form to take the focus", || async {
            let v: Value = c
                .execute(
                    "const f = document.activeElement;\
                     if (!f || !f.closest('form.feedback-form') || f.type === 'submit') { return null; }\
                     return { name: f.name, top: f.getBoundingClientRect().top,\
                              header: document.querySelector('header.top').getBoundingClientRect().bottom };",
                    vec![],
                )
                .await
                .ok()?;
            (!v.is_null()).then_some(v)
        })
        .await;
        keep_screenshot(&c, "feedback-empty").await;
        let (top, header) = (v["top"].as_f64().expect("top"), v["header"].as_f64().expect("header"));
        assert!(top >= header, "the field to fill is under the sticky header: {v}");
    })
    .await;
}

/// The site is installable: Chromium reads the manifest without errors, finds nothing
/// wrong with its icons or service worker, and the worker keeps this release's shell.
async fn the_site_installs_with_its_manifest_and_keeps_its_shell(tools: Tools) {
    let bench = Bench::start(&tools).await;
    let url = bench.app.url("/");
    let release = bench.app.state.assets.release().to_string();
    with_session(&bench.driver, true, move |c| async move {
        goto(&c, &url).await;
        // The worker is installed and has kept the shell under this release's name.
        let kept: Value = c
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 navigator.serviceWorker.ready\
                   .then(() => caches.keys())\
                   .then(keys => Promise.all(keys.map(k => caches.open(k).then(c => c.keys()).then(r => [k, r.length]))))\
                   .then(done, e => done(String(e)));",
                vec![],
            )
            .await
            .expect("service worker ready");
        let caches = kept.as_array().unwrap_or_else(|| panic!("no caches: {kept}"));
        assert_eq!(caches.len(), 1, "{kept}");
        assert_eq!(caches[0][0], format!("yizhan-shell-{release}"));
        assert!(caches[0][1].as_u64().unwrap_or(0) >= 10, "{kept}");
        let manifest = cdp(&c, "Page.getAppManifest", serde_json::json!({})).await;
        assert_eq!(manifest["errors"].as_array().map(Vec::len), Some(0), "{manifest}");
        assert!(manifest["url"].as_str().unwrap_or_default().contains("/static/manifest.webmanifest"), "{manifest}");
        // Headless Chromium reports reasons of its own; none may be about the manifest,
        // the icons or the service worker.
        let installable = cdp(&c, "Page.getInstallabilityErrors", serde_json::json!({})).await;
        let ours: Vec<&Value> = installable["installabilityErrors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter(|e| {
                        let id = e["errorId"].as_str().unwrap_or_default();
                        ["manifest", "icon", "service-worker", "start-url", "display", "name"].iter().any(|w| id.contains(w))
                    })
                    .collect()
            })
            .unwrap_or_default();
        assert!(ours.is_empty(), "{installable}");
    })
    .await;
}

/// Fixes the page's clock (not the worker's) at `ts` (Unix seconds): the offline page
/// says what is open by the phone's clock.
async fn fix_page_clock(c: &Client, ts: i64) {
    let source = format!(
        "(() => {{ const R = Date, off = {} - R.now(); \
         class F extends R {{ constructor(...a) {{ if (a.length) {{ super(...a); }} else {{ super(R.now() + off); }} }} \
         static now() {{ return R.now() + off; }} }} window.Date = F; }})();",
        ts * 1000
    );
    cdp(c, "Page.addScriptToEvaluateOnNewDocument", serde_json::json!({ "source": source })).await;
}

/// No sideways scroll at 360 px and every control at least 24×24 CSS pixels (links
/// inside a sentence aside, as WCAG 2.5.8 allows); the figures are printed, and the screenshot kept when
/// `YIZHAN_TEST_SCREENSHOTS` names a folder.
async fn fits_a_phone(c: &Client, name: &str) {
    // A radio button's target is its label; the honeypot is off the screen for people.
    let scope = "main button, main a.button, main select, main textarea, main label.check, .offline-list a, \
                 main input:not([type=hidden]):not([type=radio]):not([type=checkbox]):not([name=website])";
    let out = c.execute(NARROW_CHECK_JS, vec![Value::from(scope)]).await.expect("measure");
    let controls: Value = c
        .execute(
            "return [...document.querySelectorAll(arguments[0])].map(e => e.getBoundingClientRect())\
               .filter(r => r.width > 0).map(r => Math.min(r.width, r.height));",
            vec![Value::from(scope)],
        )
        .await
        .expect("controls");
    let smallest = controls.as_array().into_iter().flatten().filter_map(Value::as_f64).fold(f64::MAX, f64::min);
    eprintln!(
        "{name}: scroll width {}, {} controls, smallest side {smallest} px",
        out["scroll"],
        controls.as_array().map_or(0, Vec::len)
    );
    assert!(out["scroll"].as_f64().unwrap_or(f64::MAX) <= 360.0, "{name}: {out}");
    assert_eq!(out["small"].as_array().map(Vec::len), Some(0), "{name}: {out}");
    keep_screenshot(c, name).await;
}

/// Waits until the service worker controls the page.
async fn controlled(c: &Client) {
    poll("the service worker to control the page", || async {
        c.execute("return !!navigator.serviceWorker.controller;", vec![]).await.ok().filter(|v| v == &Value::Bool(true))
    })
    .await;
}

/// The names of the caches this origin keeps, with how many entries each holds.
async fn kept_caches(c: &Client) -> Value {
    c.execute_async(
        "const done = arguments[arguments.length - 1];\
         caches.keys()\
           .then(keys => Promise.all(keys.map(k => caches.open(k).then(c => c.keys()).then(r => [k, r.map(q => new URL(q.url).pathname + new URL(q.url).search)]))))\
           .then(list => done(Object.fromEntries(list)), e => done(String(e)));",
        vec![],
    )
    .await
    .expect("caches")
}

/// Waits until the worker has kept the page at `path`; the pages it keeps then, oldest
/// first.
async fn kept_pages(c: &Client, path: &str) -> Vec<String> {
    poll(&format!("{path} to be kept"), || async {
        let all = kept_caches(c).await;
        let pages: Vec<String> =
            all["yizhan-pages"].as_array()?.iter().filter_map(|v| v.as_str().map(str::to_string)).collect();
        pages.iter().any(|p| p == path).then_some(pages)
    })
    .await
}

/// Sends the station page's feedback form with `body` (the page is kept: offline, the
/// service worker keeps the form and shows the outbox).
async fn send_feedback_form(c: &Client, body: &str) {
    find(c, "form.feedback-form input[name=kind][value=praise]").await.click().await.expect("kind");
    find(c, "form.feedback-form textarea[name=body]").await.send_keys(body).await.expect("body");
    find(c, "form.feedback-form button[type=submit]").await.click().await.expect("send");
}

async fn without_a_signal_kept_pages_saved_districts_and_feedback_still_work(tools: Tools) {
    use yizhan::domain::text::Phone;
    let bench = Bench::start(&tools).await;
    let mut weekday = station("离线测试工作日驿站", 110106, 39.86, 116.28, &["water", "toilet"]);
    weekday.hours = yizhan::domain::hours::Hours::parse("Mo-Fr 08:00-18:00; PH off").ok();
    weekday.phone = Phone::parse("13800000001").ok();
    let mut closed = station("离线测试暂停驿站", 110106, 39.861, 116.281, &["water"]);
    closed.status = yizhan::domain::station::Status::TemporarilyClosed { reason: "装修".into(), until: None };
    let unknown = station("离线测试时间未知驿站", 110106, 39.862, 116.282, &["water"]);
    let ids = bench.app.add(vec![weekday, closed, unknown]).await;
    let (weekday, closed, unknown) = (ids[0], ids[1], ids[2]);
    let code = bench.app.state.snapshot.load().get(weekday).expect("added").station.code.clone();
    let (kept, kept_name) = {
        let snapshot = bench.app.state.snapshot.load();
        let e = snapshot
            .entries()
            .iter()
            .find(|e| e.station.district.code == 110106 && e.station.is_public() && !ids.contains(&e.station.id))
            .expect("a seed station in 丰台");
        (e.station.id, e.station.name.clone())
    };
    let relay = Relay::start(&bench.app.base);
    let state = bench.app.state.clone();
    let now = bench.app.state.clock.now();
    let relay = Arc::new(relay);
    let net = relay.clone();
    with_session(&bench.driver, true, move |c| async move {
        fix_page_clock(&c, now).await;
        goto(&c, &net.url("/lang/zh-CN?next=%2F")).await;
        controlled(&c).await;
        goto(&c, &net.url(&format!("/stations/{kept}"))).await;
        kept_pages(&c, &format!("/stations/{kept}")).await;
        // Save 丰台 from the home page.
        goto(&c, &net.url("/")).await;
        let panel = wait_for(&c, "#offline-save:not([hidden])").await;
        panel.find(Locator::Css("option[value='110106']")).await.expect("丰台").click().await.expect("choose");
        find(&c, "[data-save-district]").await.click().await.expect("save");
        poll("the district to be saved", || async {
            let said = text(&c, "#offline-save .save-status").await;
            said.starts_with("已保存").then_some(said)
        })
        .await;
        assert!(text(&c, "#offline-save .saved-districts").await.contains("丰台区"), "listed as saved");

        // The signal goes, for the page and its worker alike.
        net.offline();
        let seen = net.to_app();
        goto(&c, &net.url(&format!("/stations/{kept}"))).await;
        let line = text(&c, "body > p.offline-line").await;
        assert!(line.starts_with("离线显示 · ") && line.ends_with(" 的信息") && !line.contains("%{"), "{line}");
        assert_eq!(text(&c, "h1").await, kept_name, "the kept page itself");
        let top =
            c.execute("return document.querySelector('p.offline-line').getBoundingClientRect().bottom;", vec![]).await;
        let top = top.expect("position").as_f64().unwrap_or(f64::MAX);
        eprintln!("the offline line ends {top} px from the top of a 740 px screen");
        assert!(top < 740.0, "the line is on the first screen");
        fits_a_phone(&c, "offline-kept-station").await;

        // A station never opened: the offline page, from the saved district, at the
        // page's clock (Monday 10:00).
        goto(&c, &net.url(&format!("/stations/{weekday}"))).await;
        wait_for(&c, "#offline .offline-wanted").await;
        assert_eq!(text(&c, ".offline-opened").await, "你要打开的驿站（离线，来自保存的区）：");
        assert_eq!(text(&c, ".offline-wanted h2").await, "离线测试工作日驿站");
        assert_eq!(text(&c, ".offline-wanted .offline-state").await, "开放中 · 18:00 关门");
        let call = find(&c, ".offline-wanted a.call").await;
        assert_eq!(call.attr("href").await.expect("href").as_deref(), Some("tel:13800000001"));
        assert!(text(&c, ".offline-wanted").await.contains(&code), "the station's code");
        let closed_state = text(&c, &format!("#station-{closed} .offline-state")).await;
        assert_eq!(closed_state, "暂停服务", "never open while closed");
        // No hours and no phone: not told to call.
        assert_eq!(text(&c, &format!("#station-{unknown} .offline-state")).await, "开门时间不确定");
        assert!(text(&c, "#offline").await.contains("离线时看不了地图"), "says what it cannot do");
        fits_a_phone(&c, "offline-page").await;

        // Two feedback items from the same kept page (one fixed key in its form).
        for body in ["地下车库里写的第一条", "地下车库里写的第二条"] {
            goto(&c, &net.url(&format!("/stations/{kept}"))).await;
            send_feedback_form(&c, body).await;
            wait_for(&c, "#outbox p.outbox-saved:not([hidden])").await;
            assert_eq!(text(&c, "p.outbox-saved").await, "已保存，有信号后自动发送。");
        }
        poll("two items waiting", || async {
            (find_all(&c, ".outbox-item.outbox-waiting").await.len() == 2).then_some(())
        })
        .await;
        fits_a_phone(&c, "offline-outbox").await;
        assert_eq!(net.to_app(), seen, "the server saw nothing while offline");
        assert!(net.refused() > 0, "the phone did try the network");

        // The signal returns: both are sent and their receipts join "my feedback".
        net.online();
        goto(&c, &net.url("/feedback/mine")).await;
        let receipts = poll("both receipts", || async {
            let rows = find_all(&c, ".mine-row[data-receipt]").await;
            let mut found = Vec::new();
            for r in rows {
                found.push(r.attr("data-receipt").await.ok().flatten().unwrap_or_default());
            }
            (found.len() == 2).then_some(found)
        })
        .await;
        let stored = state.store.feedback_by_receipts(&[&receipts[0], &receipts[1]]).await.expect("store");
        let mut bodies: Vec<&str> = stored.iter().map(|f| f.body.as_str()).collect();
        bodies.sort();
        assert_eq!(bodies, ["地下车库里写的第一条", "地下车库里写的第二条"]);
        let filter = yizhan::store::QueueFilter { station_id: Some(kept), ..Default::default() };
        let (_, queue) =
            state.store.feedback_queue(&filter, yizhan::domain::staff::Role::CityAdmin).await.expect("queue");
        for body in bodies {
            assert_eq!(queue.iter().filter(|f| f.body == body).count(), 1, "{body} once in the queue");
        }
        let left = kept_caches(&c).await;
        assert_eq!(left["yizhan-outbox"].as_array().map(Vec::len), Some(0), "nothing left to send: {left}");
    })
    .await;
}

async fn a_new_release_replaces_the_kept_shell(tools: Tools) {
    let bench = Bench::start(&tools).await;
    let relay = Arc::new(Relay::start(&bench.app.base));
    let old = bench.app.state.assets.release().to_string();
    let newer = App::spawn_named(monday_morning(), Some("next-release")).await;
    let net = relay.clone();
    let next = newer.base.clone();
    with_session(&bench.driver, true, move |c| async move {
        goto(&c, &net.url("/")).await;
        controlled(&c).await;
        let before = kept_caches(&c).await;
        assert!(before.get(format!("yizhan-shell-{old}")).is_some(), "{before}");
        net.switch_to(&next);
        goto(&c, &net.url("/stations")).await;
        let after = poll("the new release's shell alone", || async {
            let _ = c
                .execute_async(
                    "const done = arguments[arguments.length - 1];\
                     navigator.serviceWorker.getRegistration().then(r => r && r.update()).then(() => done(true), () => done(false));",
                    vec![],
                )
                .await;
            let all = kept_caches(&c).await;
            let shells: Vec<String> =
                all.as_object()?.keys().filter(|k| k.starts_with("yizhan-shell-")).cloned().collect();
            (shells == ["yizhan-shell-next-release"]).then_some(all)
        })
        .await;
        let shell = after["yizhan-shell-next-release"].as_array().expect("entries");
        assert!(shell.iter().any(|u| u == "/offline"), "{after}");
        assert!(after.get("yizhan-pages").is_some(), "kept pages stay across releases: {after}");
    })
    .await;
    drop(newer);
}

async fn saved_hours_warn_before_they_run_out_and_are_never_guessed_past_their_end(tools: Tools) {
    let bench = Bench::start(&tools).await;
    let mut all_day = station("离线测试全天驿站", 110106, 39.86, 116.28, &["water"]);
    all_day.hours = yizhan::domain::hours::Hours::parse("24/7").ok();
    let id = bench.app.add(vec![all_day]).await[0];
    let base = bench.app.base.clone();
    let now = bench.app.state.clock.now();
    with_session(&bench.driver, true, move |c| async move {
        fix_page_clock(&c, now).await;
        goto(&c, &format!("{base}/lang/zh-CN?next=%2F")).await;
        controlled(&c).await;
        wait_for(&c, "#offline-save:not([hidden])").await;
        find(&c, "#save-district option[value='110106']").await.click().await.expect("丰台");
        find(&c, "[data-save-district]").await.click().await.expect("save");
        poll("the district to be saved", || async {
            text(&c, "#offline-save .save-status").await.starts_with("已保存").then_some(())
        })
        .await;
        let state = |c: Client| async move { text(&c, &format!("#station-{id} .offline-state")).await };
        // Saved on Monday 17 November at 10:00: the hours cover up to 1 December 00:00.
        goto(&c, &format!("{base}/offline")).await;
        wait_for(&c, &format!("#station-{id}")).await;
        assert_eq!(state(c.clone()).await, "开放中");
        assert_eq!(find_all(&c, ".saved-stale").await.len(), 0, "nothing to warn of yet");
        // Sunday 29 November 22:00: 26 hours left, said before they run out.
        fix_page_clock(&c, now + 12 * 86_400 + 12 * 3600).await;
        goto(&c, &format!("{base}/offline")).await;
        wait_for(&c, &format!("#station-{id}")).await;
        assert_eq!(text(&c, ".saved-stale").await, "保存的开门时间还剩2天，请有信号时更新。");
        assert_eq!(state(c.clone()).await, "开放中");
        // Wednesday 2 December: past the saved span, a 24/7 station is not guessed open.
        fix_page_clock(&c, now + 15 * 86_400).await;
        goto(&c, &format!("{base}/offline")).await;
        wait_for(&c, &format!("#station-{id}")).await;
        assert_eq!(text(&c, ".saved-stale").await, "已超过14天，开门时间可能已经变了，请更新。");
        assert_eq!(state(c.clone()).await, "保存的开门时间已用完，请有信号时更新");
        assert_eq!(text(&c, ".saved-district button").await, "更新", "a refresh is offered");
        find(&c, ".saved-district button").await.click().await.expect("refresh");
        poll("the refresh to say how it went", || async {
            text(&c, ".saved-panel .save-status").await.starts_with("已保存丰台区").then_some(())
        })
        .await;
    })
    .await;
}

async fn only_the_last_20_pages_are_kept_and_never_a_position(tools: Tools) {
    let bench = Bench::start(&tools).await;
    let ids = bench.app.add(crowd("离线测试页", 21, CENTRE.0, CENTRE.1, 0.01, &["water"])).await;
    let base = bench.app.base.clone();
    with_session(&bench.driver, true, move |c| async move {
        goto(&c, &format!("{base}/")).await;
        controlled(&c).await;
        goto(&c, &format!("{base}/near?lat=39.93&lon=116.40")).await;
        for id in &ids {
            goto(&c, &format!("{base}/stations/{id}")).await;
        }
        let last = format!("/stations/{}", ids[20]);
        let kept = kept_pages(&c, &last).await;
        assert_eq!(kept.len(), 20, "{kept:?}");
        assert_eq!(kept[0], format!("/stations/{}", ids[1]), "the oldest went first: {kept:?}");
        assert!(!kept.iter().any(|p| p.starts_with("/near") || p == "/"), "{kept:?}");
    })
    .await;
}

async fn kept_feedback_refused_shows_its_reason_and_a_busy_server_keeps_it_waiting(tools: Tools) {
    let bench = Bench::start(&tools).await;
    let ids = bench.app.add(crowd("离线测试撤销", 2, CENTRE.0, CENTRE.1, 0.01, &["water"])).await;
    let (doomed, busy) = (ids[0], ids[1]);
    let relay = Arc::new(Relay::start(&bench.app.base));
    let net = relay.clone();
    let state = bench.app.state.clone();
    with_session(&bench.driver, true, move |c| async move {
        goto(&c, &net.url("/lang/zh-CN?next=%2F")).await;
        controlled(&c).await;
        for id in [doomed, busy] {
            goto(&c, &net.url(&format!("/stations/{id}"))).await;
        }
        for id in [doomed, busy] {
            kept_pages(&c, &format!("/stations/{id}")).await;
        }
        net.offline();
        for (id, body) in [(doomed, "给将被撤销的驿站的反馈"), (busy, "服务器忙时的反馈")] {
            goto(&c, &net.url(&format!("/stations/{id}"))).await;
            send_feedback_form(&c, body).await;
            wait_for(&c, "#outbox p.outbox-saved:not([hidden])").await;
        }
        // Meanwhile the first station is revoked, and this address has used up its posts.
        let before = state.snapshot.load().get(doomed).expect("station").station.clone();
        let mut after = before.clone();
        after.status = yizhan::domain::station::Status::Revoked;
        after.revocation =
            Some(yizhan::domain::station::Revocation { reason: "已拆除".into(), at: state.clock.now() });
        assert!(state.store.save_station(&before, &after, "revoke", None, state.clock.now()).await.expect("revoke"));
        let fresh = yizhan::snapshot::load(&state.store, &state.clock).await.expect("snapshot");
        state.snapshot.store(Arc::new(fresh));
        let here: std::net::IpAddr = "127.0.0.1".parse().expect("ip");
        while state.feedback_limiter.check_key(&here).is_ok() {}

        net.online();
        goto(&c, &net.url("/feedback/outbox")).await;
        let reason = poll("the refusal", || async {
            let shown = c.find(Locator::Css(".outbox-refused .outbox-state")).await.ok()?;
            shown.text().await.ok()
        })
        .await;
        assert!(
            reason.starts_with("没有被接收：") && reason.chars().count() > "没有被接收：".chars().count() + 2,
            "{reason}"
        );
        assert_eq!(find_all(&c, ".outbox-item.outbox-waiting").await.len(), 1, "429: it waits for later");
        let waiting = c.execute("return document.querySelector('.outbox-waiting textarea').value;", vec![]).await;
        assert_eq!(waiting.expect("text"), Value::from("服务器忙时的反馈"), "kept as written, to send later");
        // The refused one can be deleted; the waiting one stays.
        find(&c, ".outbox-refused .outbox-actions button.secondary").await.click().await.expect("delete");
        poll("the refused item gone", || async { find_all(&c, ".outbox-refused").await.is_empty().then_some(()) })
            .await;
        assert_eq!(find_all(&c, ".outbox-item.outbox-waiting").await.len(), 1);
        let filter = yizhan::store::QueueFilter::default();
        let (_, queue) =
            state.store.feedback_queue(&filter, yizhan::domain::staff::Role::CityAdmin).await.expect("queue");
        assert!(!queue.iter().any(|f| f.station_id == doomed || f.station_id == busy), "nothing stored");
    })
    .await;
}

async fn a_network_too_slow_gets_the_kept_page_with_its_line(tools: Tools) {
    let bench = Bench::start(&tools).await;
    let (id, name, _, _) = bench.app.seed("刘村小哥之家");
    let relay = Arc::new(Relay::start(&bench.app.base));
    let net = relay.clone();
    with_session(&bench.driver, true, move |c| async move {
        goto(&c, &net.url("/lang/zh-CN?next=%2F")).await;
        controlled(&c).await;
        goto(&c, &net.url(&format!("/stations/{id}"))).await;
        kept_pages(&c, &format!("/stations/{id}")).await;
        // A garage with one bar: the network answers after 25 s; the kept copy, with
        // its line, answers first (after the worker's 8 s).
        net.slow(std::time::Duration::from_secs(25));
        goto(&c, &net.url(&format!("/stations/{id}"))).await;
        let line = text(&c, "body > p.offline-line").await;
        assert!(line.starts_with("离线显示 · "), "{line}");
        assert_eq!(text(&c, "h1").await, name);
    })
    .await;
}
