//! Importing and exporting the station ledger, for the command line and the staff
//! pages alike: a file read into rows ([`crate::sheet`]), each row read and checked
//! ([`crate::domain::ledger`], [`StationFields::parse`]), matched with the stations
//! the snapshot holds, and the result shown line by line (a dry run) or written
//! all at once ([`Store::apply_import`]).

use std::collections::HashMap;

use crate::domain::district::District;
use crate::domain::facility::{ALL_FACILITIES, Audience, HostType};
use crate::domain::geo::distance_m;
use crate::domain::ledger::{
    CellProblem, Header, LedgerRow, StatusWord, Vocabulary, find_header, header_row, read_row, station_row, total_row,
};
use crate::domain::station::{Revocation, Station, Status};
use crate::domain::station_fields::StationFields;
use crate::i18n::Lang;
use crate::sheet::Sheet;
use crate::snapshot::Snapshot;
use crate::store::{ImportRecord, Imported, Store, StoreError};

/// What the site calls facilities, audiences and host types in Chinese.
pub fn vocabulary() -> Vocabulary {
    let zh = Lang::Zh;
    Vocabulary {
        facilities: ALL_FACILITIES.iter().map(|f| (zh.label("facility", f.key()).into_owned(), *f)).collect(),
        audiences: Audience::ALL.iter().map(|a| (zh.label("audience", a.key()).into_owned(), *a)).collect(),
        hosts: HostType::ALL.iter().map(|h| (zh.label("host", h.key()).into_owned(), *h)).collect(),
    }
}

/// Within this distance, a station of the same name is probably the same station.
pub const DUPLICATE_METRES: f64 = 100.0;

/// What one data row comes to.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// A new station; with a station of the same name within 100 m, named as a
    /// probable duplicate for the person to decide.
    Added {
        station: Box<Station>,
        duplicate_of: Option<(i64, String)>,
    },
    /// An existing station (matched by its ledger number) and the fields that change.
    Changed {
        before: Box<Station>,
        after: Box<Station>,
        changes: Vec<(&'static str, String, String)>,
    },
    Unchanged {
        id: i64,
    },
    Rejected {
        problems: Vec<CellProblem>,
    },
}

/// A data row and what it comes to; `line` is its row number in the sheet, as an
/// office suite numbers it (1 for the first row).
#[derive(Debug, Clone)]
pub struct PlannedRow {
    pub line: usize,
    pub name: String,
    pub outcome: Outcome,
}

/// Why a row with text is no station.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Above the header: a title ("2026年东城区工会户外劳动者服务站点台账"), a date.
    Title,
    /// A total row ("合计：3个").
    Total,
}

impl Skip {
    /// Its message: `ledger.skip.KEY`.
    pub fn key(self) -> &'static str {
        match self {
            Skip::Title => "title",
            Skip::Total => "total",
        }
    }
}

/// A row left out of the import, named in the dry run; `text` is what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRow {
    pub line: usize,
    pub skip: Skip,
    pub text: String,
}

/// Most characters of a skipped row's text shown.
const SKIPPED_TEXT: usize = 60;

/// A dry run: the header as matched, every data row's outcome, and the rows with text
/// that are no stations (titles above the header, totals), all by their row number.
#[derive(Debug, Clone)]
pub struct Plan {
    pub header: Header,
    /// The header's row number in the sheet.
    pub header_line: usize,
    pub rows: Vec<PlannedRow>,
    pub skipped: Vec<SkippedRow>,
}

/// How many rows of each kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub added: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub rejected: usize,
    pub duplicates: usize,
}

impl Plan {
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for r in &self.rows {
            match &r.outcome {
                Outcome::Added { duplicate_of, .. } => {
                    c.added += 1;
                    c.duplicates += usize::from(duplicate_of.is_some());
                }
                Outcome::Changed { .. } => c.changed += 1,
                Outcome::Unchanged { .. } => c.unchanged += 1,
                Outcome::Rejected { .. } => c.rejected += 1,
            }
        }
        c
    }

    /// The rejected rows of `sheet` (the sheet planned) as they were, each with a last
    /// column saying on which row of the file it was and why, under the file's own
    /// header: to fix and import again.
    pub fn rejected_rows(&self, sheet: &Sheet, lang: Lang) -> Vec<Vec<String>> {
        let row_at = |line: usize| line.checked_sub(sheet.skipped + 1).and_then(|i| sheet.rows.get(i));
        let header = row_at(self.header_line).cloned().unwrap_or_default();
        let mut out = vec![header.iter().cloned().chain([lang.t("ledger.reason_column").into_owned()]).collect()];
        for r in &self.rows {
            if let Outcome::Rejected { problems } = &r.outcome
                && let Some(row) = row_at(r.line)
            {
                let mut line = row.clone();
                line.resize(header.len(), String::new());
                let why = problems.iter().map(|p| problem_text(lang, p)).collect::<Vec<_>>().join("；");
                line.push(lang.tf("ledger.reason_at", &[("n", &r.line.to_string()), ("why", &why)]));
                out.push(line);
            }
        }
        out
    }
}

/// A refused cell in words: "开放时间“看情况”：看不懂的时间，请写成 8:00-18:00".
pub fn problem_text(lang: Lang, p: &CellProblem) -> String {
    let why = lang.t(&format!("ledger.problem.{}", p.problem));
    if p.value.is_empty() { format!("{}：{why}", p.column) } else { format!("{}“{}”：{why}", p.column, p.value) }
}

/// Why a file cannot be imported at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    /// No header row.
    Empty,
    /// Required columns missing (their headers).
    MissingColumns(Vec<&'static str>),
}

/// Who imports and where: `may_use` tells the districts the person may change;
/// `only` is the one district every row must be in (`--district`).
pub struct Scope<'a> {
    pub may_use: &'a dyn Fn(&District) -> bool,
    pub only: Option<&'static District>,
}

/// Reads every row of a sheet under its header row (the first of its first ten rows
/// that has the required columns; rows with text above it are titles) and matches it
/// with the stations of `snapshot`. Total rows are left out. Nothing is written.
pub fn plan(sheet: &Sheet, snapshot: &Snapshot, scope: &Scope<'_>, now: i64) -> Result<Plan, PlanError> {
    if sheet.rows.is_empty() {
        return Err(PlanError::Empty);
    }
    let (at, header) = find_header(&sheet.rows).map_err(|closest| PlanError::MissingColumns(closest.missing))?;
    let line_of = |i: usize| sheet.skipped + i + 1;
    let has_text = |row: &[String]| row.iter().any(|c| !c.trim().is_empty());
    let mut skipped: Vec<SkippedRow> = sheet.rows[..at]
        .iter()
        .enumerate()
        .filter(|(_, row)| has_text(row))
        .map(|(i, row)| {
            let cells: Vec<&str> = row.iter().map(|c| c.trim()).filter(|c| !c.is_empty()).collect();
            SkippedRow { line: line_of(i), skip: Skip::Title, text: shortened(&cells.join(" ")) }
        })
        .collect();
    // The data rows with their row numbers: blank rows and total rows left out.
    let mut data: Vec<(usize, &Vec<String>)> = Vec::new();
    for (i, row) in sheet.rows.iter().enumerate().skip(at + 1) {
        if !has_text(row) {
            continue;
        }
        match total_row(&header, row) {
            Some(text) => skipped.push(SkippedRow { line: line_of(i), skip: Skip::Total, text: shortened(&text) }),
            None => data.push((line_of(i), row)),
        }
    }
    let vocabulary = vocabulary();
    let street_code = |district: u32, raw: &str| -> Option<String> {
        snapshot
            .street(raw)
            .filter(|s| s.district_code == district)
            .map(|s| s.code.clone())
            .or_else(|| snapshot.streets_of(district).find(|s| s.name == raw).map(|s| s.code.clone()))
    };
    // Existing stations by public code, by (district, ledger number), and by name.
    let mut by_code: HashMap<&str, &Station> = HashMap::new();
    let mut known = Known::default();
    for e in snapshot.entries() {
        if let Some(id) = e.station.ledger_id.as_deref() {
            known.by_ledger.insert((e.station.district.code, id), &e.station);
            if id.starts_with('0') && id.bytes().all(|b| b.is_ascii_digit()) {
                // Two numbers that differ only in their zeros ("042", "0042") name neither.
                let key = (e.station.district.code, id.trim_start_matches('0'));
                let ambiguous = known.by_digits.contains_key(&key);
                known.by_digits.insert(key, (!ambiguous).then_some(&e.station));
            }
        }
        known.by_name.entry(e.station.name.as_str()).or_default().push(&e.station);
        by_code.insert(e.station.code.as_str(), &e.station);
    }
    // A ledger number twice in the file: both rows are refused.
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for (_, row) in &data {
        let id = header.cell(row, "ledger_id");
        if !id.is_empty() {
            *seen.entry((header.cell(row, "district").to_string(), id.to_string())).or_default() += 1;
        }
    }
    let planned = data
        .into_iter()
        .map(|(line, row)| {
            let name = header.cell(row, "name").to_string();
            let key = (header.cell(row, "district").to_string(), header.cell(row, "ledger_id").to_string());
            let outcome = if seen.get(&key).copied().unwrap_or(0) > 1 {
                Outcome::Rejected {
                    problems: vec![CellProblem { column: "站点编号", value: key.1, problem: "twice_in_file" }],
                }
            } else {
                let coded = by_code.get(header.cell(row, "code")).copied();
                match read_row(&header, row, &vocabulary, &street_code) {
                    Ok(read) => outcome(read, coded, &known, snapshot, scope, now),
                    Err(problems) => Outcome::Rejected { problems },
                }
            };
            PlannedRow { line, name, outcome }
        })
        .collect();
    Ok(Plan { header, header_line: line_of(at), rows: planned, skipped })
}

/// A row's text cut to [`SKIPPED_TEXT`] characters.
fn shortened(text: &str) -> String {
    match text.char_indices().nth(SKIPPED_TEXT) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// The stations a row may be, by what it says.
#[derive(Default)]
struct Known<'a> {
    /// By district and ledger number.
    by_ledger: HashMap<(u32, &'a str), &'a Station>,
    /// Ledger numbers of digits that start with 0, by district and the digits without
    /// those zeros; `None` when two stations would share one.
    by_digits: HashMap<(u32, &'a str), Option<&'a Station>>,
    by_name: HashMap<&'a str, Vec<&'a Station>>,
}

/// Whether `incoming` is `stored` as a spreadsheet shows a text of digits it took for a
/// number: the same digits without their leading zeros ("0042" → "42", "01064001234"
/// → "1064001234"). Excel and LibreOffice do that to a CSV's cells when they open it,
/// so a ledger exported as CSV, opened and saved again would change every such number.
fn zeros_lost(incoming: &str, stored: &str) -> bool {
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    digits(incoming)
        && !incoming.starts_with('0')
        && digits(stored)
        && stored.starts_with('0')
        && stored.trim_start_matches('0') == incoming
}

/// `coded`: the station the row's public code names (an export of this site).
fn outcome(
    read: LedgerRow,
    coded: Option<&Station>,
    known: &Known<'_>,
    snapshot: &Snapshot,
    scope: &Scope<'_>,
    now: i64,
) -> Outcome {
    let LedgerRow { ledger_id, mut fields, status } = read;
    let district = District::parse(&fields.district);
    if let (Some(only), Some(d)) = (scope.only, district)
        && only.code != d.code
    {
        return reject("所属区", &fields.district, "other_district");
    }
    let existing = coded.or_else(|| match (district, ledger_id.as_deref()) {
        (Some(d), Some(id)) => known
            .by_ledger
            .get(&(d.code, id))
            .copied()
            .or_else(|| known.by_digits.get(&(d.code, id)).copied().flatten()),
        _ => None,
    });
    let base = match existing {
        Some(s) => {
            if !(scope.may_use)(s.district) {
                return reject("所属区", s.district.name_zh, "other_district");
            }
            // A number whose leading zeros a spreadsheet took off is the number stored.
            if zeros_lost(&fields.ledger_id, s.ledger_id.as_deref().unwrap_or_default()) {
                fields.ledger_id = s.ledger_id.clone().unwrap_or_default();
            }
            if zeros_lost(&fields.phone, s.phone.as_ref().map(|p| p.as_str()).unwrap_or_default()) {
                fields.phone = s.phone.as_ref().map(|p| p.as_str().to_string()).unwrap_or_default();
            }
            // What the ledger has no column for stays as it is.
            fields.precision = s.precision.key().into();
            fields.description = s.description.clone();
            fields.unavailable = s.unavailable.iter().map(|f| f.key().to_string()).collect();
            // Empty coordinates keep a known position: a ledger without them never erases it.
            if let (Some(p), true) = (s.position, fields.lat.is_empty() && fields.lon.is_empty()) {
                fields.lat = format!("{:.6}", p.lat);
                fields.lon = format!("{:.6}", p.lon);
                fields.datum = "wgs84".into();
            }
            s.clone()
        }
        None => Station::blank(&crate::domain::district::DISTRICTS[0], now),
    };
    let street_district = |code: &str| snapshot.street(code).map(|s| s.district_code);
    let mut after = match fields_parse(&fields, &base, scope, &street_district) {
        Ok(s) => s,
        Err(problems) => return Outcome::Rejected { problems },
    };
    after.status = match (status, &base.status) {
        (None, current) => current.clone(),
        (Some(StatusWord::Open), _) => Status::Open,
        (Some(StatusWord::TemporarilyClosed), current @ Status::TemporarilyClosed { .. }) => current.clone(),
        (Some(StatusWord::TemporarilyClosed), _) => {
            Status::TemporarilyClosed { reason: Lang::Zh.t("ledger.closed_by_import").into_owned(), until: None }
        }
        (Some(StatusWord::Revoked), _) => Status::Revoked,
    };
    after.revocation = match (&after.status, &base.status) {
        (Status::Revoked, Status::Revoked) => base.revocation.clone(),
        (Status::Revoked, _) => {
            Some(Revocation { reason: Lang::Zh.t("ledger.revoked_by_import").into_owned(), at: now })
        }
        _ => None,
    };
    match existing {
        Some(before) => match before.diff(&after) {
            None => Outcome::Unchanged { id: before.id },
            Some((old, new)) => {
                let changes = before
                    .ledger_fields()
                    .into_iter()
                    .filter_map(|(k, _)| {
                        let b = old.get(k)?.as_str()?.to_string();
                        let a = new.get(k)?.as_str()?.to_string();
                        Some((k, b, a))
                    })
                    .collect();
                Outcome::Changed { before: Box::new(before.clone()), after: Box::new(after), changes }
            }
        },
        None => {
            let duplicate_of = known.by_name.get(after.name.as_str()).and_then(|same| {
                same.iter()
                    .find(|s| match (s.position, after.position) {
                        (Some(a), Some(b)) => distance_m(a, b) <= DUPLICATE_METRES,
                        // Without a position on either side, the same name in the district.
                        _ => s.district.code == after.district.code,
                    })
                    .map(|s| (s.id, s.code.clone()))
            });
            Outcome::Added { station: Box::new(after), duplicate_of }
        }
    }
}

fn reject(column: &'static str, value: &str, problem: &'static str) -> Outcome {
    Outcome::Rejected { problems: vec![CellProblem { column, value: value.to_string(), problem }] }
}

/// [`StationFields::parse`], its field errors named by the ledger's headers.
fn fields_parse(
    fields: &StationFields,
    base: &Station,
    scope: &Scope<'_>,
    street_district: &dyn Fn(&str) -> Option<u32>,
) -> Result<Station, Vec<CellProblem>> {
    fields.parse(base, |d| (scope.may_use)(d), street_district).map_err(|errors| {
        errors
            .into_iter()
            .map(|(field, problem)| {
                let (column, value) = match field {
                    "name" => ("站点名称", fields.name.as_str()),
                    "district" => ("所属区", fields.district.as_str()),
                    "street" => ("街道/乡镇", fields.street.as_str()),
                    "address" => ("详细地址", fields.address.as_str()),
                    "lat" | "lon" => ("经度/纬度", fields.lat.as_str()),
                    "hours" => ("开放时间", fields.hours.as_str()),
                    "contact_name" => ("联系人", fields.contact_name.as_str()),
                    "phone" => ("联系电话", fields.phone.as_str()),
                    "area" => ("面积", fields.area.as_str()),
                    "services" => ("服务项目", fields.services.as_str()),
                    "ledger_id" => ("站点编号", fields.ledger_id.as_str()),
                    _ => ("", ""),
                };
                CellProblem { column, value: value.to_string(), problem: field_problem(problem) }
            })
            .collect()
    })
}

/// The ledger's word (`ledger.problem.KEY`) for a problem the station form reports.
pub fn field_problem(problem: &'static str) -> &'static str {
    match problem {
        "district" => "other_district",
        "outside_beijing" | "coordinates" | "holiday_text_closed" | "holiday_text_open" | "street" | "hours" => problem,
        "too_long" | "control" | "empty" | "phone" | "area" => problem,
        _ => "invalid",
    }
}

/// Writes a plan: all rows or none. Refused when any row was rejected.
pub async fn apply(
    store: &Store,
    plan: &Plan,
    file_name: &str,
    staff_id: Option<i64>,
    now: i64,
) -> Result<Imported, StoreError> {
    let mut added = Vec::new();
    let mut changed = Vec::new();
    for r in &plan.rows {
        match &r.outcome {
            Outcome::Added { station, .. } => added.push((**station).clone()),
            Outcome::Changed { before, after, .. } => changed.push(((**before).clone(), (**after).clone())),
            _ => {}
        }
    }
    let record = ImportRecord { file_name, staff_id, unchanged: plan.counts().unchanged, now };
    store.apply_import(&added, &changed, &record).await
}

/// The ledger of the stations `include` keeps, as rows under the header row, in
/// district then id order.
pub fn export_rows(snapshot: &Snapshot, include: &dyn Fn(&Station) -> bool) -> Vec<Vec<String>> {
    let vocabulary = vocabulary();
    let street_name = |code: &str| snapshot.street(code).map(|s| s.name.clone());
    let mut stations: Vec<&Station> = snapshot.entries().iter().map(|e| &e.station).filter(|s| include(s)).collect();
    stations.sort_by_key(|s| (s.district.code, s.id));
    std::iter::once(header_row())
        .chain(stations.into_iter().map(|s| station_row(s, &vocabulary, &street_name)))
        .collect()
}

/// What the command line's import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandResult {
    DryRun,
    Applied,
    /// Some rows were refused (or a station changed meanwhile): nothing written.
    Refused,
}

/// `yizhan import FILE [--dry-run] [--district CODE] [--encoding utf8|gbk]`: every
/// line's outcome written to `out`, then the import (all rows or none) unless a dry run.
pub async fn import_command(
    store: &Store,
    clock: &crate::clock::Clock,
    path: &std::path::Path,
    dry_run: bool,
    district: Option<&'static District>,
    encoding: Option<crate::sheet::Encoding>,
    out: &mut dyn std::io::Write,
) -> Result<CommandResult, Box<dyn std::error::Error>> {
    let lang = Lang::Zh;
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let (sheet, _) = crate::sheet::read(&bytes, &name, encoding).map_err(|e| format!("{name}: {e}"))?;
    let snapshot = crate::snapshot::load(store, clock).await?;
    let everywhere = |_: &District| true;
    let scope = Scope { may_use: &everywhere, only: district };
    let plan = plan(&sheet, &snapshot, &scope, clock.now()).map_err(|e| match e {
        PlanError::Empty => format!("{name}: no header row"),
        PlanError::MissingColumns(c) => format!("{name}: missing columns {}", c.join(", ")),
    })?;
    if !plan.header.unknown.is_empty() {
        writeln!(out, "unknown columns (ignored): {}", plan.header.unknown.join(", "))?;
    }
    let mut lines: Vec<(usize, String)> = plan
        .skipped
        .iter()
        .map(|s| (s.line, format!("skipped\t{}\t{}", s.text, lang.t(&format!("ledger.skip.{}", s.skip.key())))))
        .collect();
    for r in &plan.rows {
        let line = match &r.outcome {
            Outcome::Added { duplicate_of: Some((id, code)), .. } => {
                format!("added\t{}\tprobable duplicate of {code} (#{id})", r.name)
            }
            Outcome::Added { .. } => format!("added\t{}", r.name),
            Outcome::Changed { before, changes, .. } => {
                let list: Vec<String> = changes.iter().map(|(k, b, a)| format!("{k}: {b} → {a}")).collect();
                format!("changed\t{} (#{})\t{}", r.name, before.id, list.join("; "))
            }
            Outcome::Unchanged { id } => format!("unchanged\t{} (#{id})", r.name),
            Outcome::Rejected { problems } => {
                let list: Vec<String> = problems.iter().map(|p| problem_text(lang, p)).collect();
                format!("rejected\t{}\t{}", r.name, list.join("；"))
            }
        };
        lines.push((r.line, line));
    }
    lines.sort_by_key(|(n, _)| *n);
    for (n, line) in lines {
        writeln!(out, "line {n}\t{line}")?;
    }
    let c = plan.counts();
    writeln!(
        out,
        "{} added, {} changed, {} unchanged, {} rejected, {} probable duplicates",
        c.added, c.changed, c.unchanged, c.rejected, c.duplicates
    )?;
    if dry_run {
        writeln!(out, "dry run: nothing written")?;
        return Ok(CommandResult::DryRun);
    }
    if c.rejected > 0 {
        writeln!(out, "rows were rejected: nothing written")?;
        return Ok(CommandResult::Refused);
    }
    match apply(store, &plan, &name, None, clock.now()).await? {
        Imported::Done { .. } => {
            writeln!(out, "imported; running servers pick it up within their poll interval")?;
            Ok(CommandResult::Applied)
        }
        Imported::Conflict { station_id } => {
            writeln!(out, "station #{station_id} changed meanwhile: nothing written")?;
            Ok(CommandResult::Refused)
        }
    }
}

/// `yizhan export FILE [--district CODE] [--encoding gbk]`: `.xlsx` or `.csv` by the
/// file's extension; the number of stations written.
pub async fn export_command(
    store: &Store,
    clock: &crate::clock::Clock,
    path: &std::path::Path,
    district: Option<&'static District>,
    encoding: Option<crate::sheet::Encoding>,
) -> Result<usize, Box<dyn std::error::Error>> {
    let snapshot = crate::snapshot::load(store, clock).await?;
    let include = |s: &Station| district.is_none_or(|d| d.code == s.district.code);
    let rows = export_rows(&snapshot, &include);
    let bytes = match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("xlsx") => crate::sheet::write_xlsx(&rows, "驿站台账")?,
        Some("csv") => crate::sheet::write_csv(&rows, encoding.unwrap_or(crate::sheet::Encoding::Utf8)),
        _ => return Err(format!("{}: the file name must end in .xlsx or .csv", path.display()).into()),
    };
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(rows.len() - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeros_a_spreadsheet_took_off_are_told_from_other_numbers() {
        assert!(zeros_lost("42", "0042"));
        assert!(zeros_lost("1064001234", "01064001234"));
        for (incoming, stored) in [
            ("42", "42"),
            ("042", "0042"),
            ("43", "0042"),
            ("", "0042"),
            ("42", "A0042"),
            ("4-2", "04-2"),
            ("1064001234", "010-64001234"),
        ] {
            assert!(!zeros_lost(incoming, stored), "{incoming} {stored}");
        }
    }
}
