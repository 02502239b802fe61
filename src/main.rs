use clap::Parser;
use tracing_subscriber::EnvFilter;

use yizhan::clock::Clock;
use yizhan::config::{Cli, Command, HolidaysCommand};
use yizhan::domain::district::District;
use yizhan::sheet::Encoding;
use yizhan::startup::{Application, prepare_database};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    return_large_blocks();
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_new(&cli.config.log).unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("yizhan: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Large blocks go back to the system when freed.
///
/// Each password hash takes a 19 MiB block. glibc maps the first such block and
/// unmaps it when freed, but then raises its threshold for mapping to that size,
/// so later blocks come from its arenas and stay there: a burst of logins left
/// tens of megabytes behind for good. A fixed threshold keeps every block of
/// 1 MiB or more mapped, and returned as soon as it is freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_blocks() {
    // SAFETY: mallopt only changes a setting of the allocator; it is called before
    // this program allocates anything large.
    let set = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20) };
    if set == 0 {
        eprintln!("yizhan: could not set the allocator's mapping threshold");
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_blocks() {}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let clock = Clock::System;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let started = std::time::Instant::now();
            let app = Application::build(cli.config.clone(), clock).await?;
            let host = cli.config.bind.rsplit_once(':').map(|(h, _)| h).unwrap_or("127.0.0.1");
            let host = if host == "0.0.0.0" { "127.0.0.1" } else { host };
            tracing::info!(ready_ms = started.elapsed().as_millis() as u64, "ready");
            println!("yizhan is serving on http://{host}:{}/", app.port());
            app.run().await?;
        }
        Command::Migrate => {
            let store = prepare_database(&cli.config, &clock).await?;
            println!("database migrated: {} stations", store.station_count().await?);
            store.close().await;
        }
        Command::CreateAdmin { username, name } => {
            let username = yizhan::domain::staff::check_username(&username)
                .map_err(|e| format!("username: {}", yizhan::i18n::Lang::En.t(&format!("staff.{e}"))))?;
            let password = match std::env::var("YIZHAN_ADMIN_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    eprintln!("Password for {username} (10 characters or more), then Enter:");
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            yizhan::domain::staff::check_password(&password)
                .map_err(|e| format!("password: {}", yizhan::i18n::Lang::En.t(&format!("staff.{e}"))))?;
            let store = prepare_database(&cli.config, &clock).await?;
            let hash = yizhan::domain::staff::hash_password(&password)?;
            let shown = name.unwrap_or_else(|| username.clone());
            let role = yizhan::domain::staff::Role::CityAdmin;
            match store.create_staff(&username, &shown, &hash, role, clock.now()).await? {
                Some(id) => println!("city administrator {username} created (id {id}); sign in at /admin/login"),
                None => return Err(format!("the username {username} is taken").into()),
            }
        }
        Command::Holidays { action } => {
            let store = prepare_database(&cli.config, &clock).await?;
            match action {
                HolidaysCommand::Import { file, dry_run } => {
                    let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
                    let years = yizhan::holidays_file::parse(&text).map_err(|e| format!("{}: {e}", file.display()))?;
                    let source = yizhan::holidays_file::file_source(&file);
                    let loaded = store.calendar().await?;
                    for (year, days) in &years {
                        let before = loaded.notice(*year);
                        let verb = if before.is_empty() && !loaded.years().any(|y| y == *year) {
                            "add"
                        } else if before == *days {
                            "unchanged"
                        } else {
                            "replace"
                        };
                        let holidays = days.iter().filter(|d| d.kind.key() == "holiday").count();
                        println!(
                            "{year}: {verb} ({holidays} holidays, {} make-up working days)",
                            days.len() - holidays
                        );
                        if !dry_run {
                            store.replace_notice_year(*year, days, &source, None, true, clock.now()).await?;
                        }
                    }
                    if dry_run {
                        println!("dry run: nothing written");
                    } else {
                        println!("loaded; running servers pick it up within their poll interval");
                    }
                }
                HolidaysCommand::List => {
                    for y in store.holiday_years().await? {
                        println!("{}\t{} days\t{}", y.year, y.days, y.source);
                    }
                }
            }
        }
        Command::Import { file, dry_run, district, encoding } => {
            let store = prepare_database(&cli.config, &clock).await?;
            let district = district_arg(district.as_deref())?;
            let encoding = encoding_arg(encoding.as_deref())?;
            let mut out = std::io::stdout();
            let done =
                yizhan::ledger::import_command(&store, &clock, &file, dry_run, district, encoding, &mut out).await?;
            if done == yizhan::ledger::CommandResult::Refused {
                return Err("nothing imported".into());
            }
        }
        Command::Export { file, district, encoding } => {
            let store = prepare_database(&cli.config, &clock).await?;
            let district = district_arg(district.as_deref())?;
            let encoding = encoding_arg(encoding.as_deref())?;
            let n = yizhan::ledger::export_command(&store, &clock, &file, district, encoding).await?;
            println!("{n} stations written to {}", file.display());
        }
        Command::Backup { file } => match yizhan::backup::backup(&cli.config.database_url, &file).await {
            Ok(copied) => print!("backup written: {copied}"),
            Err(yizhan::backup::BackupError::Postgres(commands)) => {
                print!("{commands}");
                return Err("yizhan backup copies SQLite databases only; use the commands above".into());
            }
            Err(e) => return Err(e.into()),
        },
        Command::Restore { file } => {
            match yizhan::backup::restore(&cli.config.database_url, &file, clock.now()).await {
                Ok(restored) => print!("restored: {restored}"),
                Err(yizhan::backup::BackupError::Postgres(commands)) => {
                    print!("{commands}");
                    return Err("yizhan restore restores SQLite databases only; use the commands above".into());
                }
                Err(e) => return Err(e.into()),
            }
        }
        Command::GenSynthetic { count, seed } => {
            let store = prepare_database(&cli.config, &clock).await?;
            let streets = store.streets().await?;
            let started = std::time::Instant::now();
            let stations = yizhan::synthetic::generate(count, seed, &streets, clock.now())?;
            store.insert_stations(&stations, clock.now()).await?;
            println!("added {count} synthetic stations in {:.1} s", started.elapsed().as_secs_f64());
        }
    }
    Ok(())
}

fn district_arg(raw: Option<&str>) -> Result<Option<&'static District>, Box<dyn std::error::Error>> {
    raw.map(|r| District::parse(r).ok_or_else(|| format!("--district {r}: not a Beijing district code").into()))
        .transpose()
}

fn encoding_arg(raw: Option<&str>) -> Result<Option<Encoding>, Box<dyn std::error::Error>> {
    match raw {
        None => Ok(None),
        Some("utf8" | "utf-8" | "UTF-8") => Ok(Some(Encoding::Utf8)),
        Some("gbk" | "GBK" | "gb18030" | "GB18030") => Ok(Some(Encoding::Gbk)),
        Some(other) => Err(format!("--encoding {other}: utf8 or gbk").into()),
    }
}
