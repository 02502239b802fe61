//! Acknowledged means durable: the real binary, as a subprocess, under a file-size
//! limit (so that SQLite's writes fail with EFBIG at COMMIT, as on a full disk),
//! takes feedback and photos until the limit is hit, and is restarted without it.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sqlx::Connection;
use yizhan::domain::photo::samples;

use crate::helpers::*;
use crate::photos::{BOUNDARY, multipart_with};

const BIN: &str = env!("CARGO_BIN_EXE_yizhan");
const PASSWORD: &str = "correct horse battery";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// Runs a subcommand to its end on `url`.
fn run(url: &str, args: &[&str]) {
    let out = Command::new(BIN)
        .args(args)
        .env("YIZHAN_DATABASE_URL", url)
        .env("YIZHAN_ADMIN_PASSWORD", PASSWORD)
        .env("YIZHAN_LOG", "warn")
        .output()
        .expect("run yizhan");
    assert!(out.status.success(), "yizhan {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// `yizhan serve` on `url` and `port`, under a file-size limit when given (SIGXFSZ
/// ignored, so a write past it fails with EFBIG instead of killing the process).
async fn serve(url: &str, port: u16, fsize: Option<u64>) -> Server {
    let script = match fsize {
        Some(limit) => format!("trap '' XFSZ; exec prlimit --fsize={limit} -- \"$YIZHAN_BIN\" serve"),
        None => "trap '' XFSZ; exec \"$YIZHAN_BIN\" serve".to_string(),
    };
    let child = Command::new("bash")
        .args(["-c", &script])
        .env("YIZHAN_BIN", BIN)
        .env("YIZHAN_DATABASE_URL", url)
        .env("YIZHAN_BIND", format!("127.0.0.1:{port}"))
        .env("YIZHAN_FEEDBACK_PER_HOUR", "100000")
        .env("YIZHAN_LOGIN_PER_15_MIN", "1000")
        .env("YIZHAN_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start yizhan serve");
    let child = Server(child);
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(res) = client.get(format!("http://127.0.0.1:{port}/healthz")).send().await
            && res.status().is_success()
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("yizhan serve did not start");
}

/// A server process, stopped with SIGTERM when done (or killed if a test fails first).
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn stop(mut server: Server) {
    let _ = Command::new("kill").args(["-TERM", &server.0.id().to_string()]).status();
    let _ = server.0.wait();
}

/// A new HTTP client with `browser`'s cookies and no connections yet.
fn fresh_client(browser: &Browser) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_provider(browser.jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn browser(port: u16) -> Browser {
    Browser::at(format!("http://127.0.0.1:{port}"))
}

/// Posts one feedback with `body`: the status, and the receipt when acknowledged.
async fn post_feedback(worker: &Browser, station: i64, body: &str) -> (u16, Option<String>, String) {
    let (status, html) = worker.page(&format!("/stations/{station}")).await;
    assert_eq!(status, 200);
    let csrf = attr(&html, "form.feedback-form input[name=csrf]", "value");
    let submission = attr(&html, "form.feedback-form input[name=submission]", "value");
    let pairs = [
        ("csrf", csrf.as_str()),
        ("submission", submission.as_str()),
        ("kind", "praise"),
        ("rating", "5"),
        ("body", body),
        ("reporter", "courier"),
        ("phone", ""),
        ("website", ""),
    ];
    let res = worker.post(&format!("/stations/{station}/feedback"), &pairs).await;
    let status = res.status().as_u16();
    let receipt = location(&res).strip_prefix("/feedback/").map(str::to_string);
    let retry_after = res.headers().get("retry-after").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let page = res.text().await.unwrap_or_default();
    if status == 503 {
        assert!(!retry_after.is_empty(), "a 503 says when to try again");
        assert!(page.contains("暂时无法保存"), "the page says it could not save");
        assert!(page.contains(body), "what was typed is kept in the form");
    }
    (status, receipt, page)
}

/// The status of a photo upload, 0 when the connection broke before an answer (the
/// server may answer a refusal before it has read the whole body): never acknowledged.
async fn upload_photo(staff: &Browser, station: i64, n: u32) -> u16 {
    let csrf = staff.csrf(&format!("/admin/stations/{station}")).await;
    let bytes = samples::jpeg(1200 + n, 900);
    staff
        .client
        .post(format!("{}/admin/stations/{station}/photos", staff.base))
        .header("Content-Type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(multipart_with(&[("csrf", &csrf), ("kind", "inside")], &[("photo.jpg", &bytes)]))
        .send()
        .await
        .map(|res| res.status().as_u16())
        .unwrap_or(0)
}

async fn sign_in(port: u16) -> Browser {
    let staff = browser(port);
    let csrf = staff.csrf("/admin/login").await;
    let res = staff
        .post("/admin/login", &[("csrf", &csrf), ("username", "admin"), ("password", PASSWORD), ("next", "")])
        .await;
    assert_eq!(res.status().as_u16(), 303, "the administrator signs in");
    staff
}

/// The one number `sql` gives with `value` bound (a count, an id).
async fn scalar(url: &str, sql: &str, value: &str) -> i64 {
    let mut conn = sqlx::AnyConnection::connect(url).await.expect("open the database");
    let n: i64 = sqlx::Row::get(
        &sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).bind(value).fetch_one(&mut conn).await.expect("a number"),
        0,
    );
    conn.close().await.expect("close");
    n
}

#[tokio::test]
async fn a_full_disk_refuses_writes_loses_nothing_acknowledged_and_writes_resume() {
    sqlx::any::install_default_drivers();
    let dir = std::env::temp_dir().join(format!("yizhan-durable-{}-{}", std::process::id(), rand::random::<u32>()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db = dir.join("yizhan.db");
    let url = format!("sqlite://{}", db.display());
    run(&url, &["migrate"]);
    run(&url, &["create-admin", "--username", "admin"]);
    // Room for a few hundred kilobytes of WAL past the file's size: some writes succeed,
    // then every commit meets the limit.
    let limit = std::fs::metadata(&db).expect("db").len() + 384 * 1024;
    let port = free_port();
    let server = serve(&url, port, Some(limit)).await;
    let staff = sign_in(port).await;
    let worker = browser(port);
    let station = 1;
    // A volunteer supervisor of 丰台 joins while there is room.
    let path = crate::supervise::invite(&staff, &[crate::supervise::FENGTAI]).await;
    let supervisor = crate::supervise::join_with(browser(port), &path, "zhangsan").await;
    let checked = scalar(&url, "SELECT id FROM stations WHERE name LIKE $1", "槐房万达%").await;

    let mut acknowledged = Vec::new();
    let mut refused = Vec::new();
    let mut photos_added = 0;
    let mut photos_refused = 0;
    for n in 0..600u32 {
        let body = format!("满盘测试 #{n}");
        let (status, receipt, _) = post_feedback(&worker, station, &body).await;
        match (status, receipt) {
            (303, Some(receipt)) => acknowledged.push(receipt),
            (503, _) => refused.push(body),
            (other, _) => panic!("feedback #{n}: {other}, not an acknowledgement or a 503"),
        }
        if n % 10 == 5 {
            match upload_photo(&staff, station, n).await {
                303 => photos_added += 1,
                503 | 0 => photos_refused += 1,
                other => panic!("photo at #{n}: {other}"),
            }
        }
        if refused.len() >= 30 {
            break;
        }
    }
    assert!(!acknowledged.is_empty(), "some feedback was stored before the limit");
    assert!(refused.len() >= 30, "the limit was hit: {} refused of {}", refused.len(), acknowledged.len());
    assert!(photos_refused > 0, "photos were refused too ({photos_added} added)");
    // A ledger import while the disk is full: its dry run keeps the file (a write), its
    // import writes the station; whatever is refused leaves nothing behind.
    let file = crate::ledger::gbk_csv(&[
        "DF-0001,满盘导入驿站,丰台区,丰台区满盘路1号,116.30,39.83,高德,24小时,是,饮水,快递员,加油站,",
    ]);
    let (status, page) = crate::ledger::dry_run(&staff, "台账.csv", &file, &[("encoding", "auto")]).await;
    // An inspection report while the disk is full: refused with the form kept, or stored.
    let mut pairs = crate::supervise::report_form(&supervisor, checked).await;
    let note = "满盘时提交的检查报告";
    // Every listed facility is answered "working".
    let (_, form) = supervisor.page(&format!("/supervise/stations/{checked}/report")).await;
    let facilities: std::collections::BTreeSet<String> = form
        .select(&sel("form.report-form input[name^=f_]"))
        .filter_map(|i| i.value().attr("name").map(str::to_string))
        .collect();
    assert!(facilities.len() >= 8, "a well-equipped station: {facilities:?}");
    for name in &facilities {
        crate::admin::set(&mut pairs, name, "working");
    }
    for (k, v) in [("open", "yes"), ("sign", "yes"), ("staffed", "no"), ("cleanliness", "4"), ("notes", note)] {
        crate::admin::set(&mut pairs, k, v);
    }
    crate::admin::set(
        &mut pairs,
        "visited_at",
        &chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).format("%Y-%m-%dT%H:%M").to_string(),
    );
    let res = crate::admin::post_pairs(&supervisor, &format!("/supervise/stations/{checked}/report"), &pairs).await;
    let reported = match res.status().as_u16() {
        303 => true,
        503 => {
            assert!(res.headers().contains_key("retry-after"));
            let page = res.text().await.expect("page");
            assert!(page.contains("暂时无法保存") && page.contains(note), "the report form comes back as typed");
            false
        }
        other => {
            let html = scraper::Html::parse_document(&res.text().await.unwrap_or_default());
            panic!("report while full: {other}: {:?} {pairs:?}", texts(&html, ".field-error, .form-error, .banner"))
        }
    };
    let imported = match status {
        503 => false,
        200 => match crate::ledger::apply(&staff, &page).await.status().as_u16() {
            303 => true,
            503 => false,
            other => panic!("ledger import while full: {other}"),
        },
        other => panic!("ledger dry run while full: {other}"),
    };
    let (_, health) = {
        let res = worker.get("/healthz").await;
        (res.status().as_u16(), res.json::<serde_json::Value>().await.expect("json"))
    };
    assert_eq!(health["writes"]["status"], "failing", "{health}");
    assert!(
        ["disk_full", "io"].contains(&health["writes"]["last_failure_kind"].as_str().unwrap_or_default()),
        "{health}"
    );
    // Every acknowledged item can be read back while the disk is still full.
    for receipt in &acknowledged {
        assert_eq!(worker.get(&format!("/feedback/{receipt}")).await.status().as_u16(), 200, "{receipt}");
    }
    stop(server);

    // Restarted with room: everything acknowledged is there, nothing refused is.
    let server = serve(&url, port, None).await;
    for receipt in &acknowledged {
        assert_eq!(worker.get(&format!("/feedback/{receipt}")).await.status().as_u16(), 200, "{receipt} survives");
        assert_eq!(scalar(&url, "SELECT COUNT(*) FROM feedback WHERE receipt = $1", receipt).await, 1);
    }
    for body in &refused {
        assert_eq!(scalar(&url, "SELECT COUNT(*) FROM feedback WHERE body = $1", body).await, 0, "{body} was refused");
    }
    let stored = scalar(&url, "SELECT COUNT(*) FROM inspection_reports WHERE notes = $1", note).await;
    assert_eq!(stored, i64::from(reported), "the report is stored if and only if it was acknowledged");
    let stored = scalar(&url, "SELECT COUNT(*) FROM stations WHERE name = $1", "满盘导入驿站").await;
    assert_eq!(stored, i64::from(imported), "the import is stored if and only if it was acknowledged");
    let photos = scalar(&url, "SELECT COUNT(*) FROM station_photos WHERE station_id > $1", "0").await;
    assert!(photos >= i64::from(photos_added.min(5)), "{photos} photos stored, {photos_added} acknowledged");
    // And writes go on.
    let (status, receipt, _) = post_feedback(&worker, station, "有空间了").await;
    assert_eq!((status, receipt.is_some()), (303, true));
    let staff = sign_in(port).await;
    assert_eq!(upload_photo(&staff, station, 7).await, 303);
    let (_, health) = {
        let res = worker.get("/healthz").await;
        (res.status().as_u16(), res.json::<serde_json::Value>().await.expect("json"))
    };
    assert_eq!(health["writes"], "ok", "{health}");
    stop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn writes_succeed_again_once_space_is_back_without_a_restart() {
    sqlx::any::install_default_drivers();
    let dir = std::env::temp_dir().join(format!("yizhan-resume-{}-{}", std::process::id(), rand::random::<u32>()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db = dir.join("yizhan.db");
    let url = format!("sqlite://{}", db.display());
    run(&url, &["migrate"]);
    let port = free_port();
    let server = serve(&url, port, None).await;
    // The disk fills while the server runs: a file-size limit set on the running process,
    // a little past the largest of its files.
    let size = |suffix: &str| std::fs::metadata(format!("{}{suffix}", db.display())).map(|m| m.len()).unwrap_or(0);
    let limit = size("").max(size("-wal")) + 128 * 1024;
    let set = |value: String| {
        let done = Command::new("prlimit")
            .args(["--pid", &server.0.id().to_string(), &format!("--fsize={value}:unlimited")])
            .status()
            .expect("prlimit");
        assert!(done.success(), "prlimit --fsize={value}");
    };
    set(limit.to_string());
    let worker = browser(port);
    let mut acknowledged = Vec::new();
    let mut refused = 0;
    for n in 0..400u32 {
        let (status, receipt, _) = post_feedback(&worker, 2, &format!("恢复测试 #{n}")).await;
        match (status, receipt) {
            (303, Some(r)) => acknowledged.push(r),
            (503, _) => refused += 1,
            (other, _) => panic!("#{n}: {other}"),
        }
        if refused >= 10 {
            break;
        }
    }
    assert!(refused >= 10, "the limit was hit");
    // Space comes back: the limit is lifted on the running process.
    set("unlimited".to_string());
    for n in 0..20u32 {
        let (status, receipt, _) = post_feedback(&worker, 2, &format!("恢复后 #{n}")).await;
        assert_eq!(status, 303, "post #{n} after space came back");
        acknowledged.push(receipt.expect("receipt"));
    }
    stop(server);
    let server = serve(&url, port, None).await;
    for receipt in &acknowledged {
        assert_eq!(worker.get(&format!("/feedback/{receipt}")).await.status().as_u16(), 200, "{receipt} survives");
    }
    stop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn sigterm_during_a_slow_upload_answers_it_before_stopping() {
    sqlx::any::install_default_drivers();
    let dir = std::env::temp_dir().join(format!("yizhan-sigterm-{}-{}", std::process::id(), rand::random::<u32>()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}", dir.join("yizhan.db").display());
    run(&url, &["migrate"]);
    run(&url, &["create-admin", "--username", "admin"]);
    let port = free_port();
    let mut server = serve(&url, port, None).await;
    let staff = sign_in(port).await;
    let csrf = staff.csrf("/admin/stations/1").await;
    let base = staff.base.parse().expect("url");
    let cookie = reqwest::cookie::CookieStore::cookies(&*staff.jar, &base).expect("cookies");
    let cookie = cookie.to_str().expect("cookie").to_string();
    let body = multipart_with(&[("csrf", &csrf), ("kind", "door")], &[("door.jpg", &samples::jpeg(1600, 1200))]);
    let pid = server.0.id().to_string();
    let answer = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let head = format!(
            "POST /admin/stations/1/photos HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n\
             Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).expect("head");
        let half = body.len() / 2;
        stream.write_all(&body[..half]).expect("first half");
        std::thread::sleep(Duration::from_millis(300));
        // The server is told to stop while the body is still coming.
        assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
        std::thread::sleep(Duration::from_millis(1500));
        stream.write_all(&body[half..]).expect("the rest of the body");
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    })
    .await
    .expect("upload");
    assert!(
        answer.starts_with("HTTP/1.1 303"),
        "the upload in flight is answered: {}",
        &answer[..answer.len().min(200)]
    );
    assert!(answer.contains("done=photo_added"), "{}", &answer[..answer.len().min(400)]);
    // Then the server stops by itself, cleanly.
    let mut stopped = None;
    for _ in 0..100 {
        if let Some(status) = server.0.try_wait().expect("wait") {
            stopped = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(stopped.is_some_and(|s| s.success()), "the server stopped by itself: {stopped:?}");
    // And the photo it acknowledged is there after a restart.
    let server = serve(&url, port, None).await;
    assert_eq!(scalar(&url, "SELECT COUNT(*) FROM station_photos WHERE station_id = $1", "1").await, 1);
    stop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn fifty_feedback_posts_and_twenty_photo_uploads_at_once_get_no_server_error() {
    let app = spawn_app_with(|c| c.feedback_per_hour = 100_000).await;
    let admin = crate::admin::signed_in_admin(&app).await;
    let ids: Vec<i64> = app.state.snapshot.load().entries().iter().map(|e| e.station.id).take(18).collect();
    let workers: Vec<Browser> = (0..50).map(|_| Browser::new(&app)).collect();
    // Every form is fetched first, then all are sent at once.
    let mut forms = Vec::new();
    for (n, worker) in workers.iter().enumerate() {
        let station = ids[n % ids.len()];
        let (_, html) = worker.page(&format!("/stations/{station}")).await;
        let csrf = attr(&html, "form.feedback-form input[name=csrf]", "value");
        let submission = attr(&html, "form.feedback-form input[name=submission]", "value");
        forms.push((worker, station, csrf, submission, format!("并发测试 #{n}")));
    }
    let mut uploads = Vec::new();
    for n in 0..20 {
        let station = ids[n % ids.len()];
        let csrf = admin.csrf(&format!("/admin/stations/{station}")).await;
        let body =
            multipart_with(&[("csrf", &csrf), ("kind", "inside")], &[("p.jpg", &samples::jpeg(1000 + n as u32, 800))]);
        uploads.push((station, body));
    }
    let posts = futures_util::future::join_all(forms.iter().map(|(worker, station, csrf, submission, body)| {
        let pairs = [
            ("csrf", csrf.as_str()),
            ("submission", submission.as_str()),
            ("kind", "praise"),
            ("rating", "4"),
            ("body", body.as_str()),
            ("reporter", "courier"),
            ("phone", ""),
            ("website", ""),
        ];
        let form = crate::helpers::encode(&pairs);
        // A connection of its own, opened now: one kept from fetching the form may have
        // been closed as idle by the server while the other forms were fetched.
        let fresh = Browser { base: worker.base.clone(), client: fresh_client(worker), jar: worker.jar.clone() };
        async move { fresh.post_raw(&format!("/stations/{station}/feedback"), form).await }
    }));
    let uploader = fresh_client(&admin);
    let photos = futures_util::future::join_all(uploads.into_iter().map(|(station, body)| {
        uploader
            .post(format!("{}/admin/stations/{station}/photos", admin.base))
            .header("Content-Type", format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(body)
            .send()
    }));
    let (posts, photos) = tokio::join!(posts, photos);
    let mut answers = std::collections::BTreeMap::new();
    let mut busy = 0;
    for res in posts.iter().chain(photos.iter().map(|r| r.as_ref().expect("upload"))) {
        let status = res.status().as_u16();
        *answers.entry(status).or_insert(0) += 1;
        if status == 429 || status == 503 {
            assert!(res.headers().contains_key("retry-after") || status == 429, "a busy 503 says when");
            busy += 1;
        }
    }
    eprintln!("70 writes at once: answers {answers:?}, busy {busy}");
    assert!(answers.keys().all(|s| *s < 500 || *s == 503), "no server error: {answers:?}");
    assert!(answers.get(&303).copied().unwrap_or(0) >= 60, "most are stored: {answers:?}");
    // Every acknowledged feedback is stored, once.
    for res in &posts {
        if res.status().as_u16() == 303 {
            let receipt = location(res).trim_start_matches("/feedback/").to_string();
            assert_eq!(app.get(&format!("/feedback/{receipt}")).await.status().as_u16(), 200);
        }
    }
}
