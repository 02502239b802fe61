//! `yizhan backup` while the site serves and takes writes, and `yizhan restore` into an
//! empty folder (SQLite); on PostgreSQL the commands it prints, run as printed.

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use yizhan::domain::photo::samples;

use crate::admin::signed_in_admin;
use crate::feedback::send_feedback;
use crate::helpers::*;
use crate::photos::{BOUNDARY, multipart_with};

const BIN: &str = env!("CARGO_BIN_EXE_yizhan");

fn yizhan(url: &str, args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).env("YIZHAN_DATABASE_URL", url).env("YIZHAN_LOG", "warn").output().expect("run yizhan")
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("yizhan-{name}-{}-{}", std::process::id(), rand::random::<u32>()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The restored copy holds at least what was acknowledged before the backup began, and
/// serves a station page and a photo.
async fn check_restored(url: String, before: &[(String, i64)], station: i64, photo: &str) {
    let restored = spawn_on(url, monday_morning()).await;
    assert_eq!(restored.state.store.integrity().await.expect("integrity"), "ok");
    let after = restored.state.store.table_counts().await.expect("counts");
    for (table, rows) in before {
        let now = after.iter().find(|(t, _)| t == table).map(|(_, n)| *n);
        assert!(now.is_some_and(|n| n >= *rows), "{table}: {rows} acknowledged before the backup, {now:?} restored");
    }
    assert_eq!(restored.get(&format!("/stations/{station}")).await.status().as_u16(), 200);
    let res = restored.get(photo).await;
    assert_eq!(res.status().as_u16(), 200, "{photo}");
    assert_eq!(res.headers()["content-type"], "image/jpeg");
}

#[tokio::test]
async fn a_backup_taken_under_write_load_restores_whole() {
    let app = spawn_app_with(|c| c.feedback_per_hour = 100_000).await;
    let station = seed_id(&app, "刘村");
    // A photo on the station, uploaded as staff do.
    let admin = signed_in_admin(&app).await;
    let csrf = admin.csrf(&format!("/admin/stations/{station}")).await;
    let body = multipart_with(&[("csrf", &csrf), ("kind", "door")], &[("door.jpg", &samples::jpeg(1200, 900))]);
    let res = admin
        .client
        .post(format!("{}/admin/stations/{station}/photos", admin.base))
        .header("Content-Type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(body)
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status().as_u16(), 303);
    let (_, html) = app.page(&format!("/stations/{station}")).await;
    let photo = attr(&html, ".door-photo img", "src");

    // Writers go on during the backup.
    let stop = AtomicBool::new(false);
    let acknowledged = AtomicUsize::new(0);
    let browsers: Vec<Browser> = (0..3).map(|_| Browser::new(&app)).collect();
    let writers = futures_util::future::join_all(browsers.iter().map(|worker| async {
        while !stop.load(Ordering::Relaxed) {
            let (res, _) = send_feedback(worker, station, &[("body", "备份时写入")]).await;
            assert_eq!(res.status().as_u16(), 303, "feedback during the backup");
            assert!(location(&res).starts_with("/feedback/"));
            acknowledged.fetch_add(1, Ordering::Relaxed);
        }
    }));
    let dir = temp_dir("backup");
    let file = dir.join("backup.db");
    let backup = async {
        while acknowledged.load(Ordering::Relaxed) < 5 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let before = app.state.store.table_counts().await.expect("counts");
        let (url, file_arg) = (app.database_url.clone(), file.display().to_string());
        let out = tokio::task::spawn_blocking(move || yizhan(&url, &["backup", &file_arg])).await.expect("backup");
        // Some writes land after it too.
        let after = acknowledged.load(Ordering::Relaxed) + 5;
        while acknowledged.load(Ordering::Relaxed) < after {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        stop.store(true, Ordering::Relaxed);
        (before, out)
    };
    let (_, (before, out)) = tokio::join!(writers, backup);
    let printed = String::from_utf8_lossy(&out.stdout).to_string();

    if app.database_url.starts_with("sqlite") {
        assert!(out.status.success(), "backup: {printed}{}", String::from_utf8_lossy(&out.stderr));
        assert!(printed.contains("integrity ok") && printed.contains("feedback:"), "{printed}");
        // A server uses the database: restoring over it is refused, and it is untouched.
        let out = yizhan(&app.database_url, &["restore", &file.display().to_string()]);
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("stop it first"), "{out:?}");
        assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
        // Restored into an empty folder.
        let target = temp_dir("restore").join("data").join("yizhan.db");
        let restored_url = format!("sqlite://{}", target.display());
        let out = yizhan(&restored_url, &["restore", &file.display().to_string()]);
        assert!(out.status.success(), "restore: {}", String::from_utf8_lossy(&out.stderr));
        check_restored(restored_url, &before, station, &photo).await;
    } else {
        // PostgreSQL: the commands printed, run as printed.
        assert!(!out.status.success(), "backup on PostgreSQL exits non-zero after printing the commands");
        let dump = printed.lines().find(|l| l.starts_with("pg_dump ")).expect("a pg_dump line");
        let restore = printed.lines().find(|l| l.starts_with("pg_restore ")).expect("a pg_restore line");
        let ran = Command::new("bash").args(["-c", dump]).output().expect("pg_dump");
        assert!(ran.status.success(), "{dump}: {}", String::from_utf8_lossy(&ran.stderr));
        let fresh = fresh_database().await;
        let ran = Command::new("bash")
            .args(["-c", &restore.replace("NEW_DATABASE_URL", &fresh)])
            .output()
            .expect("pg_restore");
        assert!(ran.status.success(), "{restore}: {}", String::from_utf8_lossy(&ran.stderr));
        check_restored(fresh, &before, station, &photo).await;
    }
}
