//! What only PostgreSQL can show: the migrations of `migrations/postgres`, a COMMIT
//! that PostgreSQL refuses, two instances writing to one database at once, and the
//! backup commands that leave PostgreSQL to its own tools.
//!
//! A test binary with its own harness (`harness = false`, libtest-mimic; see
//! `tests/common/trials.rs`). The checks run when `YIZHAN_TEST_DATABASE_URL` names a
//! PostgreSQL database (`postgres://postgres@127.0.0.1:5432/test`); each creates a
//! database of its own beside it and drops it at the end. Without the variable every
//! check is counted as ignored and the reason is printed once; `--include-ignored`
//! makes them fail instead. Each is listed as `[postgres] name`, so a run can leave
//! them out with `--skip '[postgres]'`.

#[path = "../common/trials.rs"]
mod trials;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use sqlx::{Connection, Row};
use yizhan::clock::Clock;
use yizhan::config::Config;
use yizhan::domain::hours::beijing_ts;
use yizhan::startup::{Application, prepare_database};
use yizhan::store::{Change, FailureKind, Store, StoreError};
use yizhan::web::AppState;

const DATABASE_ENV: &str = "YIZHAN_TEST_DATABASE_URL";
const BIN: &str = env!("CARGO_BIN_EXE_yizhan");

/// A check's body, given the URL of its own fresh, empty database.
type Body = fn(String) -> Pin<Box<dyn Future<Output = ()>>>;

macro_rules! checks {
    ($($name:ident),* $(,)?) => {
        [$((stringify!($name), (|url| Box::pin($name(url))) as Body)),*]
    };
}

fn main() -> ExitCode {
    let checks = checks![
        migrations_apply_on_a_fresh_database_match_sqlite_and_a_second_start_changes_nothing,
        a_commit_postgresql_refuses_is_an_error_and_its_connection_is_not_reused,
        a_serialization_failure_at_commit_is_busy_and_the_next_write_commits,
        two_instances_editing_at_once_lose_no_version_and_both_show_every_edit,
        backup_and_restore_print_the_postgresql_commands_and_exit_1,
    ];
    let base = std::env::var(DATABASE_ENV).ok().filter(|u| !u.trim().is_empty());
    let missing = base.is_none().then(|| format!("{DATABASE_ENV} unset"));
    let tests = checks
        .into_iter()
        .map(|(name, body)| {
            let base = base.clone();
            let run = move || {
                let base = base.expect("main runs a check only when the variable is set");
                let runtime =
                    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
                runtime.block_on(on_fresh_database(&base, body));
            };
            (name, Box::new(run) as Box<dyn FnOnce() + Send>)
        })
        .collect();
    trials::Suite { what: "PostgreSQL checks", kind: Some("postgres"), missing, threads: None }.run(tests)
}

// ---------------------------------------------------------------------------
// Databases and instances

/// Runs `body` on a new database beside `base`, and drops the database whether the body
/// passed or failed.
async fn on_fresh_database(base: &str, body: Body) {
    assert!(
        base.starts_with("postgres://") || base.starts_with("postgresql://"),
        "{DATABASE_ENV} must be a postgres:// URL, not {base:?}"
    );
    sqlx::any::install_default_drivers();
    let name = format!("yizhan_test_pg_{}_{}", std::process::id(), rand::random::<u32>());
    let mut admin = sqlx::AnyConnection::connect(base).await.unwrap_or_else(|e| panic!("connect to {base}: {e}"));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create the check's database");
    let (head, _) = base.rsplit_once('/').expect("the database URL has a path");
    let outcome = AssertUnwindSafe(body(format!("{head}/{name}"))).catch_unwind().await;
    // FORCE: instances the body left running still hold connections.
    let dropped = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
        .execute(&mut admin)
        .await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    dropped.expect("drop the check's database");
}

/// Monday 17 November 2025, 10:00 in Beijing.
fn monday_morning() -> i64 {
    beijing_ts(chrono::NaiveDateTime::parse_from_str("2025-11-17 10:00", "%Y-%m-%d %H:%M").expect("time"))
}

fn config(url: &str) -> Config {
    Config {
        bind: "127.0.0.1:0".into(),
        database_url: url.to_string(),
        db_max_connections: 4,
        poll_seconds: 1,
        workers: 1,
        ..Config::defaults()
    }
}

/// An instance of the application on `url`, serving on a free port.
async fn instance(url: &str) -> AppState {
    let app = Application::build(config(url), Clock::Fixed(monday_morning())).await.expect("the application starts");
    let state = app.state.clone();
    tokio::spawn(app.run());
    state
}

/// A store on `url` with at most `connections` connections, migrated.
async fn store(url: &str, connections: u32) -> Store {
    let store = Store::connect(url, connections).await.expect("connect");
    store.migrate().await.expect("migrate");
    store
}

/// Runs SQL outside the application's store (tables only these checks use).
async fn setup(url: &str, sql: &str) {
    let mut conn = sqlx::AnyConnection::connect(url).await.expect("connect");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut conn).await.expect("set up");
}

/// The one value a query gives.
async fn scalar(url: &str, sql: &str) -> i64 {
    let mut conn = sqlx::AnyConnection::connect(url).await.expect("connect");
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(&mut conn).await.expect(sql).get(0)
}

/// The server process behind a transaction's connection.
async fn backend_pid(conn: &mut sqlx::AnyConnection) -> i64 {
    sqlx::query("SELECT pg_backend_pid()::BIGINT").fetch_one(conn).await.expect("pg_backend_pid").get(0)
}

/// The database's SQLSTATE of a store error.
fn sqlstate(err: &StoreError) -> String {
    match err {
        StoreError::Db(sqlx::Error::Database(db)) => db.code().unwrap_or_default().to_string(),
        other => panic!("not an error of the database server: {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Migrations

type Columns = BTreeMap<String, BTreeSet<String>>;

/// Tables and their columns, bookkeeping of the migrations left out.
async fn columns(store_url: &str, sql: &str) -> Columns {
    let mut conn = sqlx::AnyConnection::connect(store_url).await.expect("connect");
    let mut tables = Columns::new();
    for row in sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).fetch_all(&mut conn).await.expect(sql) {
        let table: String = row.get(0);
        if table != "_sqlx_migrations" {
            tables.entry(table).or_default().insert(row.get(1));
        }
    }
    tables
}

/// (version, success, checksum, installed_on) of every applied migration.
async fn applied(url: &str) -> Vec<(i64, bool, String, String)> {
    let mut conn = sqlx::AnyConnection::connect(url).await.expect("connect");
    sqlx::query(
        "SELECT version, success, encode(checksum, 'hex'), installed_on::TEXT FROM _sqlx_migrations ORDER BY version",
    )
    .fetch_all(&mut conn)
    .await
    .expect("_sqlx_migrations")
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
    .collect()
}

/// The version of every file in a migrations folder.
fn migration_files(backend: &str) -> Vec<i64> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
    let mut versions: Vec<i64> = std::fs::read_dir(&dir)
        .expect("migrations folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .filter(|name| name.ends_with(".sql"))
        .map(|name| name.split('_').next().and_then(|v| v.parse().ok()).expect("a numbered migration"))
        .collect();
    versions.sort_unstable();
    versions
}

async fn migrations_apply_on_a_fresh_database_match_sqlite_and_a_second_start_changes_nothing(url: String) {
    let clock = Clock::Fixed(monday_morning());
    let first = prepare_database(&config(&url), &clock).await.expect("first start on an empty database");
    let migrations = applied(&url).await;
    let versions: Vec<i64> = migrations.iter().map(|m| m.0).collect();
    assert_eq!(versions, migration_files("postgres"), "every file of migrations/postgres applied, and nothing else");
    assert!(migrations.iter().all(|m| m.1), "a migration is marked failed: {migrations:?}");
    assert_eq!(versions, migration_files("sqlite"), "the two folders are kept in step");
    let rows = first.table_counts().await.expect("counts");
    let version = first.data_version().await.expect("version");
    assert_eq!(first.station_count().await.expect("stations"), 18, "the seed stations loaded");
    first.close().await;

    // The same tables and columns as a fresh SQLite database, and the same rows after
    // the first start (reference data and seeds).
    let dir = std::env::temp_dir().join(format!("yizhan-pg-check-{}-{}", std::process::id(), rand::random::<u32>()));
    let sqlite_url = format!("sqlite://{}", dir.join("yizhan.db").display());
    let sqlite = prepare_database(&config(&sqlite_url), &clock).await.expect("SQLite start");
    let sqlite_rows = sqlite.table_counts().await.expect("counts");
    sqlite.close().await;
    let on_sqlite = columns(
        &sqlite_url,
        "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
    )
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    let on_postgres = columns(
        &url,
        "SELECT table_name::TEXT, column_name::TEXT FROM information_schema.columns WHERE table_schema = 'public'",
    )
    .await;
    for table in on_sqlite.keys().chain(on_postgres.keys()).collect::<BTreeSet<_>>() {
        assert_eq!(on_postgres.get(table), on_sqlite.get(table), "table {table}: PostgreSQL's columns, then SQLite's");
    }
    let without_migrations = |rows: &[(String, i64)]| -> Vec<(String, i64)> {
        rows.iter().filter(|(t, _)| t != "_sqlx_migrations").cloned().collect()
    };
    assert_eq!(without_migrations(&rows), without_migrations(&sqlite_rows), "rows per table after a first start");

    // A second start applies nothing and writes nothing.
    let second = prepare_database(&config(&url), &clock).await.expect("second start");
    assert_eq!(applied(&url).await, migrations, "the second start ran or re-recorded a migration");
    assert_eq!(second.table_counts().await.expect("counts"), rows, "the second start wrote rows");
    assert_eq!(second.data_version().await.expect("version"), version, "the second start moved the data version");
    second.close().await;
}

// ---------------------------------------------------------------------------
// The write path

async fn a_commit_postgresql_refuses_is_an_error_and_its_connection_is_not_reused(url: String) {
    // One connection: whatever the next write gets is what the pool kept.
    let one = Config { db_max_connections: 1, ..config(&url) };
    let store = prepare_database(&one, &Clock::Fixed(monday_morning())).await.expect("start");
    // Checked at COMMIT, not at the INSERT: the statement succeeds and COMMIT fails.
    setup(
        &url,
        "CREATE TABLE commit_probe (station_id BIGINT NOT NULL REFERENCES stations (id) DEFERRABLE INITIALLY DEFERRED)",
    )
    .await;
    let station: i64 = scalar(&url, "SELECT MIN(id) FROM stations").await;
    let before = store.data_version().await.expect("version");
    // What the first start wrote (the seeds) is not this check's.
    store.take_changes();

    let mut tx = store.write().await.expect("begin");
    let refused_on = backend_pid(&mut tx).await;
    tx.bump(Change::Everything).await.expect("bump");
    sqlx::query("INSERT INTO commit_probe (station_id) VALUES ($1)")
        .bind(-1_i64)
        .execute(&mut *tx)
        .await
        .expect("a deferred check lets the statement through");
    let err = tx.commit().await.expect_err("COMMIT refuses a reference to no station");
    assert_eq!(sqlstate(&err), "23503", "{err}");
    assert_eq!(err.failure_kind(), FailureKind::Other, "{err}");
    assert!(!err.is_unavailable(), "a refused write is not worth retrying: {err}");
    assert_eq!(
        store.last_write_failure().map(|f| f.kind),
        Some(FailureKind::Other),
        "the failure is kept for /healthz"
    );
    assert_eq!(store.write_failures(), 1);
    assert_eq!(store.data_version().await.expect("version"), before, "the bump went with the refused transaction");
    assert!(store.take_changes().is_empty(), "a refused write is not noted for the snapshot");
    assert_eq!(scalar(&url, "SELECT COUNT(*) FROM commit_probe").await, 0);

    let mut tx = store.write().await.expect("the next write begins");
    assert_ne!(backend_pid(&mut tx).await, refused_on, "the connection whose COMMIT failed went back to the pool");
    tx.bump(Change::Everything).await.expect("bump");
    sqlx::query("INSERT INTO commit_probe (station_id) VALUES ($1)")
        .bind(station)
        .execute(&mut *tx)
        .await
        .expect("insert");
    tx.commit().await.expect("the next write commits");
    assert_eq!(store.data_version().await.expect("version"), before + 1);
    assert_eq!(store.last_write_failure(), None, "a commit clears the failure");
    assert_eq!(store.take_changes(), vec![(before + 1, Change::Everything)]);
    assert_eq!(scalar(&url, "SELECT COUNT(*) FROM commit_probe").await, 1);
    store.close().await;
}

async fn a_serialization_failure_at_commit_is_busy_and_the_next_write_commits(url: String) {
    let store = store(&url, 3).await;
    setup(&url, "CREATE TABLE serial_probe (k TEXT NOT NULL)").await;
    // Write skew: each reads what the other writes. The first to commit wins; the
    // second is cancelled at its COMMIT.
    let mut first = store.write().await.expect("begin");
    let mut second = store.write().await.expect("begin");
    for tx in [&mut first, &mut second] {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE").execute(&mut **tx).await.expect("serializable");
    }
    let read = "SELECT COUNT(*) FROM serial_probe WHERE k = $1";
    let write = "INSERT INTO serial_probe (k) VALUES ($1)";
    sqlx::query(read).bind("a").fetch_one(&mut *first).await.expect("read");
    sqlx::query(read).bind("b").fetch_one(&mut *second).await.expect("read");
    sqlx::query(write).bind("b").execute(&mut *first).await.expect("write");
    sqlx::query(write).bind("a").execute(&mut *second).await.expect("write");
    first.commit().await.expect("the first commit wins");
    let err = second.commit().await.expect_err("the second is cancelled at COMMIT");
    assert_eq!(sqlstate(&err), "40001", "{err}");
    assert_eq!(err.failure_kind(), FailureKind::Busy, "{err}");
    assert!(err.is_unavailable(), "a serialization failure is worth retrying (503), not a bad request: {err}");
    assert_eq!(store.last_write_failure().map(|f| f.kind), Some(FailureKind::Busy));

    let mut tx = store.write().await.expect("the next write begins");
    sqlx::query(write).bind("c").execute(&mut *tx).await.expect("write");
    tx.commit().await.expect("the next write commits");
    assert_eq!(store.last_write_failure(), None);
    let mut conn = sqlx::AnyConnection::connect(&url).await.expect("connect");
    let kept: Vec<String> = sqlx::query("SELECT k FROM serial_probe ORDER BY k")
        .fetch_all(&mut conn)
        .await
        .expect("rows")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(kept, ["b", "c"], "the cancelled transaction left nothing");
    store.close().await;
}

// ---------------------------------------------------------------------------
// Two instances

/// Renames each station (` ·MARK` and the round) through this instance's store.
async fn rename(state: &AppState, ids: &[i64], mark: &str, round: usize) {
    for id in ids {
        let before = state.store.station(*id).await.expect("read").expect("station");
        let mut after = before.clone();
        let base = before.name.split(" ·").next().unwrap_or_default().to_string();
        after.name = format!("{base} ·{mark}{round}");
        let saved = state.store.save_station(&before, &after, "edit", None, state.clock.now()).await.expect("save");
        assert!(saved, "station {id} was changed by someone else meanwhile");
    }
}

async fn two_instances_editing_at_once_lose_no_version_and_both_show_every_edit(url: String) {
    const ROUNDS: usize = 3;
    let (a, b) = (instance(&url).await, instance(&url).await);
    let mut ids: Vec<i64> = a.snapshot.load().entries().iter().map(|e| e.station.id).collect();
    ids.sort_unstable();
    assert_eq!(ids.len(), 18, "the seed stations");
    // Every other station each.
    let for_a: Vec<i64> = ids.iter().copied().step_by(2).collect();
    let for_b: Vec<i64> = ids.iter().copied().skip(1).step_by(2).collect();
    let before = a.store.data_version().await.expect("version");

    // Each instance edits its half, round after round, while the other edits too; each
    // edit is its own transaction and bumps the data version once.
    for round in 0..ROUNDS {
        tokio::join!(rename(&a, &for_a, "甲", round), rename(&b, &for_b, "乙", round));
    }
    let last = before + (ROUNDS * ids.len()) as i64;
    assert_eq!(a.store.data_version().await.expect("version"), last, "a concurrent edit's version bump was lost");

    let expected: BTreeMap<i64, String> = ids
        .iter()
        .map(|id| {
            let mark = if for_a.contains(id) { "甲" } else { "乙" };
            (*id, format!(" ·{mark}{}", ROUNDS - 1))
        })
        .collect();
    for (instance, state) in [("first", &a), ("second", &b)] {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let snapshot = state.snapshot.load_full();
            let stale: Vec<(i64, String)> = snapshot
                .entries()
                .iter()
                .filter(|e| expected.get(&e.station.id).is_some_and(|end| !e.station.name.ends_with(end.as_str())))
                .map(|e| (e.station.id, e.station.name.clone()))
                .collect();
            if snapshot.version == last && stale.is_empty() && snapshot.entries().len() == ids.len() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the {instance} instance's snapshot is at version {} of {last}, with stale names {stale:?}",
                snapshot.version
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

// ---------------------------------------------------------------------------
// Backups

fn yizhan(url: &str, args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).env("YIZHAN_DATABASE_URL", url).env("YIZHAN_LOG", "warn").output().expect("run yizhan")
}

async fn backup_and_restore_print_the_postgresql_commands_and_exit_1(url: String) {
    let store = prepare_database(&config(&url), &Clock::Fixed(monday_morning())).await.expect("start");
    let rows = store.table_counts().await.expect("counts");
    let version = store.data_version().await.expect("version");
    let dir = std::env::temp_dir().join(format!("yizhan-pg-backup-{}-{}", std::process::id(), rand::random::<u32>()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("yizhan.dump");
    let file_arg = file.display().to_string();

    let out = yizhan(&url, &["backup", &file_arg]);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "backup: {stdout}{stderr}");
    let dump = format!("pg_dump --format=custom --no-owner --file='{file_arg}' '{url}'");
    assert!(stdout.lines().any(|l| l == dump), "no line {dump:?} in {stdout}");
    assert!(stderr.contains("yizhan backup copies SQLite databases only"), "{stderr}");
    assert!(!file.exists(), "backup wrote {file_arg} on PostgreSQL");

    // A restore refuses too, even of a file that exists, and leaves the database alone.
    std::fs::write(&file, b"not a backup").expect("a file");
    let out = yizhan(&url, &["restore", &file_arg]);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "restore: {stdout}{stderr}");
    let restore = format!("pg_restore --no-owner --exit-on-error --dbname='NEW_DATABASE_URL' '{file_arg}'");
    assert!(stdout.lines().any(|l| l == restore), "no line {restore:?} in {stdout}");
    assert!(stderr.contains("yizhan restore restores SQLite databases only"), "{stderr}");
    assert_eq!(store.table_counts().await.expect("counts"), rows, "restore changed the database");
    assert_eq!(store.data_version().await.expect("version"), version);
    assert_eq!(std::fs::read(&file).expect("the file"), b"not a backup", "restore touched the file");
    let _ = std::fs::remove_dir_all(&dir);
    store.close().await;
}
