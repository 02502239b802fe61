//! `/admin/ledger`: the station ledger in and out of spreadsheets. A file (xlsx,
//! xls or CSV in UTF-8 or GBK) is read and shown line by line first (a dry run);
//! it is imported all at once only after that, and only when no row was refused.
//! Exports and the template use the same columns. City administrators import any
//! district, district staff their own.

use crate::web::context::StaffPage;
use crate::web::prelude::*;
use actix_web::http::header;
use serde_json::Value;

use super::audit::audit_value;
use super::{AdminCtx, district_choices};
use crate::domain::district::District;
use crate::domain::ledger::header_row;
use crate::domain::staff::{is_token, new_token};
use crate::ledger::{Outcome, Plan, PlanError, Scope, SkippedRow, export_rows, plan, problem_text};
use crate::sheet::{self, Encoding, Sheet, SheetError};
use crate::snapshot::Snapshot;
use crate::store::{Imported, KeptUpload};
use crate::web::photos::{FileRule, read_files};

/// Lines of a dry run shown on the page (all of them count, and all rejected ones
/// are in the download).
const SHOWN_LINES: usize = 500;

fn busy() -> AppError {
    AppError::Page(StatusCode::TOO_MANY_REQUESTS, "ledger_busy")
}

fn refused(e: &SheetError) -> AppError {
    let status = match e {
        SheetError::TooLarge { .. }
        | SheetError::TooManyRows { .. }
        | SheetError::TooManyCells { .. }
        | SheetError::Bomb => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::BAD_REQUEST,
    };
    AppError::Page(status, sheet_key(e))
}

fn sheet_key(e: &SheetError) -> &'static str {
    match e.key() {
        "too_large" => "ledger_too_large",
        "too_many_rows" => "ledger_too_many_rows",
        "encoding" => "ledger_encoding",
        "empty" => "ledger_empty",
        "too_many_cells" => "ledger_too_many_cells",
        "bomb" => "ledger_bomb",
        "encrypted" => "ledger_encrypted",
        _ => "ledger_not_a_sheet",
    }
}

fn encoding_param(raw: &str) -> Result<Option<Encoding>, AppError> {
    match raw {
        "" | "auto" => Ok(None),
        "utf8" => Ok(Some(Encoding::Utf8)),
        "gbk" => Ok(Some(Encoding::Gbk)),
        other => {
            Err(crate::domain::filter::ParamError::new("encoding", other, crate::domain::filter::Problem::BadValue)
                .into())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/ledger.html")]
struct LedgerPage {
    ctx: PageCtx,
    admin: AdminCtx,
    districts: Vec<Choice>,
    max_mb: usize,
    max_rows: usize,
}

pub async fn home(StaffPage { req, lang, state, signed, csrf }: StaffPage) -> Result<impl Responder, AppError> {
    let page = LedgerPage {
        ctx: PageCtx::new(&req, lang, &state),
        admin: AdminCtx::new(&req, lang, &state, &signed, &csrf),
        districts: district_choices(lang, signed.staff.role, ""),
        max_mb: sheet::MAX_BYTES / (1024 * 1024),
        max_rows: sheet::MAX_ROWS,
    };
    Ok(csrf.apply(page))
}

/// A row of the dry run in words.
pub struct LineView {
    pub line: usize,
    pub name: String,
    pub kind: &'static str,
    pub label: String,
    /// Field changes (before → after), reasons, or the probable duplicate.
    pub details: Vec<String>,
    pub link: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/ledger_plan.html")]
struct PlanPage {
    ctx: PageCtx,
    admin: AdminCtx,
    file_name: String,
    encoding: String,
    token: String,
    added: usize,
    changed: usize,
    unchanged: usize,
    rejected: usize,
    duplicates: usize,
    /// Title and total rows left out.
    skipped: usize,
    unknown: Vec<String>,
    lines: Vec<LineView>,
    more: usize,
}

fn line_view(lang: Lang, snapshot: &Snapshot, r: &crate::ledger::PlannedRow) -> LineView {
    let (kind, details, link) = match &r.outcome {
        Outcome::Added { duplicate_of, .. } => (
            "added",
            duplicate_of
                .iter()
                .map(|(id, code)| lang.tf("ledger.duplicate", &[("code", code), ("id", &id.to_string())]))
                .collect(),
            duplicate_of.as_ref().map(|(id, _)| format!("/admin/stations/{id}")),
        ),
        Outcome::Changed { before, after, changes } => (
            "changed",
            changes
                .iter()
                .map(|(field, b, a)| {
                    // Hours in words, as the station page has them, not in their code;
                    // every other key, flag and code in words, as the audit log has them.
                    let (label, b, a) = if *field == "hours" {
                        (lang.t("hours.title"), hours_words(lang, before), hours_words(lang, after))
                    } else {
                        let words = |v: &str| show(lang, &audit_value(lang, snapshot, field, &Value::String(v.into())));
                        (lang.label("admin.field", field), words(b), words(a))
                    };
                    lang.tf("ledger.change", &[("field", &label), ("before", &b), ("after", &a)])
                })
                .collect(),
            Some(format!("/admin/stations/{}", before.id)),
        ),
        Outcome::Unchanged { id } => ("unchanged", Vec::new(), Some(format!("/admin/stations/{id}"))),
        Outcome::Rejected { problems } => ("rejected", problems.iter().map(|p| problem_text(lang, p)).collect(), None),
    };
    LineView {
        line: r.line,
        name: r.name.clone(),
        kind,
        label: lang.label("ledger.kind", kind).into_owned(),
        details,
        link,
    }
}

/// A skipped row (a title, a total) as a line of the dry run.
fn skipped_view(lang: Lang, s: &SkippedRow) -> LineView {
    LineView {
        line: s.line,
        name: s.text.clone(),
        kind: "skipped",
        label: lang.label("ledger.kind", "skipped").into_owned(),
        details: vec![lang.t(&format!("ledger.skip.{}", s.skip.key())).into_owned()],
        link: None,
    }
}

/// A station's hours in words, as its page writes them, rather than their code.
fn hours_words(lang: Lang, station: &crate::domain::station::Station) -> String {
    match &station.hours {
        Some(hours) => crate::web::views::hours::hours_in_words(hours, station.works_makeup_days, lang),
        None => show(lang, ""),
    }
}

fn show(lang: Lang, value: &str) -> String {
    if value.is_empty() { lang.t("ledger.empty_value").into_owned() } else { value.to_string() }
}

/// Reads and plans a kept file for `signed`: the plan with the sheet, and the encoding used.
async fn plan_file(
    state: &AppState,
    signed: &SignedIn,
    kept: &KeptUpload,
) -> Result<(Plan, Sheet, Option<Encoding>), AppError> {
    let encoding = encoding_param(&kept.encoding)?;
    let only = match kept.district.as_str() {
        "" => None,
        raw => Some(District::parse(raw).filter(|d| signed.staff.role.covers(d)).ok_or(AppError::NotFound)?),
    };
    let (bytes, name) = (kept.bytes.clone(), kept.file_name.clone());
    let snapshot = state.snapshot.load_full();
    let role = signed.staff.role;
    let now = state.clock.now();
    tokio::task::spawn_blocking(move || {
        let (sheet, found) = sheet::read(&bytes, &name, encoding).map_err(|e| refused(&e))?;
        let may_use = |d: &District| role.covers(d);
        let scope = Scope { may_use: &may_use, only: only.or_else(|| role.district()) };
        let plan = plan(&sheet, &snapshot, &scope, now).map_err(|e| match e {
            PlanError::Empty => AppError::Page(StatusCode::BAD_REQUEST, "ledger_empty"),
            PlanError::MissingColumns(_) => AppError::Page(StatusCode::BAD_REQUEST, "ledger_columns"),
        })?;
        Ok::<_, AppError>((plan, sheet, found))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
}

/// `POST /admin/ledger/import` (multipart: `file`, `encoding`, `district`): the dry run.
pub async fn dry_run(
    StaffPage { req, lang, state, signed, .. }: StaffPage,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    // A place to receive the file in; the import slot is taken once it has arrived, so
    // slow senders hold receiving places, never the slots of imports and exports.
    let receiving = state.ledger_bodies.clone().try_acquire_owned().map_err(|_| busy())?;
    let rule = FileRule {
        field: "file",
        max_files: 1,
        max_bytes: sheet::MAX_BYTES,
        too_large: || AppError::Page(StatusCode::PAYLOAD_TOO_LARGE, "ledger_too_large"),
    };
    let upload = read_files(&req, &state, payload, &rule).await?;
    let _permit = state.ledger.clone().try_acquire_owned().map_err(|_| busy())?;
    drop(receiving);
    let bytes = upload.photos.into_iter().next().ok_or(AppError::Page(StatusCode::BAD_REQUEST, "ledger_no_file"))?;
    let kept = KeptUpload {
        file_name: upload.file_names.into_iter().next().unwrap_or_default(),
        encoding: upload.form.get("encoding").to_string(),
        district: upload.form.get("district").to_string(),
        bytes,
    };
    let (plan, _, found) = plan_file(&state, &signed, &kept).await?;
    let token = new_token();
    state.store.keep_upload(&token, signed.staff.id, &kept, state.clock.now()).await?;
    let counts = plan.counts();
    let csrf = Csrf::for_request(&req, &state);
    let plan_page = PlanPage {
        ctx: PageCtx::new(&req, lang, &state),
        admin: AdminCtx::new(&req, lang, &state, &signed, &csrf),
        file_name: kept.file_name.clone(),
        encoding: match found {
            Some(Encoding::Gbk) => "GBK".into(),
            Some(Encoding::Utf8) => "UTF-8".into(),
            None => String::new(),
        },
        token,
        added: counts.added,
        changed: counts.changed,
        unchanged: counts.unchanged,
        rejected: counts.rejected,
        duplicates: counts.duplicates,
        skipped: plan.skipped.len(),
        unknown: plan.header.unknown.clone(),
        lines: lines(lang, &state.snapshot.load(), &plan),
        more: (plan.rows.len() + plan.skipped.len()).saturating_sub(SHOWN_LINES),
    };
    html_page(StatusCode::OK, &plan_page)
}

/// The first [`SHOWN_LINES`] lines of a dry run, stations and skipped rows, in the
/// order of the sheet.
fn lines(lang: Lang, snapshot: &Snapshot, plan: &Plan) -> Vec<LineView> {
    let mut all: Vec<(usize, Result<&crate::ledger::PlannedRow, &SkippedRow>)> =
        plan.rows.iter().map(|r| (r.line, Ok(r))).chain(plan.skipped.iter().map(|s| (s.line, Err(s)))).collect();
    all.sort_by_key(|(line, _)| *line);
    all.into_iter()
        .take(SHOWN_LINES)
        .map(|(_, row)| match row {
            Ok(r) => line_view(lang, snapshot, r),
            Err(s) => skipped_view(lang, s),
        })
        .collect()
}

/// `POST /admin/ledger/apply` (`token`): imports the file of a dry run, all rows or none.
pub async fn apply(state: web::Data<AppState>, signed: SignedIn, form: Posted) -> Result<HttpResponse, AppError> {
    let _permit = state.ledger.clone().try_acquire_owned().map_err(|_| busy())?;
    let token = form.get("token");
    if !is_token(token) {
        return Err(AppError::Page(StatusCode::NOT_FOUND, "ledger_gone"));
    }
    let now = state.clock.now();
    let kept = state
        .store
        .kept_upload(token, signed.staff.id, now)
        .await?
        .ok_or(AppError::Page(StatusCode::NOT_FOUND, "ledger_gone"))?;
    // Planned again on the ledger as it is now.
    let (plan, _, _) = plan_file(&state, &signed, &kept).await?;
    if plan.counts().rejected > 0 {
        return Err(AppError::Page(StatusCode::CONFLICT, "ledger_rejected"));
    }
    match crate::ledger::apply(&state.store, &plan, &kept.file_name, Some(signed.staff.id), now).await? {
        Imported::Done { .. } => {
            state.store.drop_upload(token).await?;
            state.show_writes().await;
            let c = plan.counts();
            Ok(see_other(&format!(
                "/admin/ledger?done=imported&added={}&changed={}&unchanged={}",
                c.added, c.changed, c.unchanged
            )))
        }
        Imported::Conflict { .. } => Err(AppError::Page(StatusCode::CONFLICT, "ledger_conflict")),
    }
}

fn csv_response(body: Vec<u8>, file_name: &str, gbk: bool) -> HttpResponse {
    let charset = if gbk { "gbk" } else { "utf-8" };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, format!("text/csv; charset={charset}")))
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

fn xlsx_response(body: Vec<u8>, file_name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// `GET /admin/ledger/rejected?token=…`: the refused rows with a reason column (CSV,
/// UTF-8 with BOM), to fix and import again.
pub async fn rejected(StaffPage { req, lang, state, signed, .. }: StaffPage) -> Result<HttpResponse, AppError> {
    let _permit = state.ledger.clone().try_acquire_owned().map_err(|_| busy())?;
    let pairs = query_pairs(&req)?;
    let token = param(&pairs, "token");
    if !is_token(token) {
        return Err(AppError::Page(StatusCode::NOT_FOUND, "ledger_gone"));
    }
    let kept = state
        .store
        .kept_upload(token, signed.staff.id, state.clock.now())
        .await?
        .ok_or(AppError::Page(StatusCode::NOT_FOUND, "ledger_gone"))?;
    let (plan, sheet, _) = plan_file(&state, &signed, &kept).await?;
    let out = plan.rejected_rows(&sheet, lang);
    Ok(csv_response(sheet::write_csv(&out, Encoding::Utf8), "rejected-rows.csv", false))
}

/// `GET /admin/ledger/export?format=xlsx|csv&district=…&encoding=gbk`: the ledger of
/// a district (or, for a city administrator, the city) in the import's columns.
pub async fn export(req: HttpRequest, state: web::Data<AppState>, signed: SignedIn) -> Result<HttpResponse, AppError> {
    let pairs = query_pairs(&req)?;
    let district = match param(&pairs, "district") {
        "" => None,
        raw => Some(District::parse(raw).filter(|d| signed.staff.role.covers(d)).ok_or(AppError::NotFound)?),
    };
    let role = signed.staff.role;
    let only = district.or_else(|| role.district());
    let format = param(&pairs, "format").to_string();
    let gbk = encoding_param(param(&pairs, "encoding"))? == Some(Encoding::Gbk);
    if !matches!(format.as_str(), "xlsx" | "csv") {
        return Err(crate::domain::filter::ParamError::new(
            "format",
            &format,
            crate::domain::filter::Problem::BadValue,
        )
        .into());
    }
    let _permit = state.ledger.clone().try_acquire_owned().map_err(|_| busy())?;
    let snapshot = state.snapshot.load_full();
    let name = format!("yizhan-ledger-{}.{format}", only.map(|d| d.code.to_string()).unwrap_or_else(|| "city".into()));
    let body = tokio::task::spawn_blocking(move || {
        let include = |s: &crate::domain::station::Station| {
            only.is_none_or(|d| d.code == s.district.code) && role.covers(s.district)
        };
        let rows = export_rows(&snapshot, &include);
        if format == "xlsx" {
            sheet::write_xlsx(&rows, "驿站台账").map_err(|e| AppError::Internal(e.to_string()))
        } else {
            Ok(sheet::write_csv(&rows, if gbk { Encoding::Gbk } else { Encoding::Utf8 }))
        }
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))??;
    Ok(if name.ends_with(".xlsx") { xlsx_response(body, &name) } else { csv_response(body, &name, gbk) })
}

/// `GET /admin/ledger/template?format=xlsx|csv`: the columns, with one example row.
pub async fn template(req: HttpRequest, lang: Lang, _signed: SignedIn) -> Result<HttpResponse, AppError> {
    let pairs = query_pairs(&req)?;
    let example: Vec<String> = lang.t("ledger.template_example").split('|').map(str::to_string).collect();
    let rows = vec![header_row(), example];
    match param(&pairs, "format") {
        "xlsx" => Ok(xlsx_response(
            sheet::write_xlsx(&rows, "驿站台账").map_err(|e| AppError::Internal(e.to_string()))?,
            "yizhan-ledger-template.xlsx",
        )),
        "csv" => Ok(csv_response(sheet::write_csv(&rows, Encoding::Utf8), "yizhan-ledger-template.csv", false)),
        other => {
            Err(crate::domain::filter::ParamError::new("format", other, crate::domain::filter::Problem::BadValue)
                .into())
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::ResponseError;

    use super::*;

    #[test]
    fn each_refused_file_is_told_its_own_cause_in_both_languages() {
        let refusals = [
            SheetError::TooLarge { max_bytes: sheet::MAX_BYTES },
            SheetError::TooManyRows { max: sheet::MAX_ROWS },
            SheetError::TooManyCells { max: sheet::MAX_CELLS },
            SheetError::Bomb,
            SheetError::NotASpreadsheet,
            SheetError::Encrypted,
            SheetError::Encoding,
            SheetError::Empty,
        ];
        let keys: std::collections::HashSet<&str> = refusals.iter().map(sheet_key).collect();
        assert_eq!(keys.len(), refusals.len(), "no two causes share a page: {keys:?}");
        for key in keys {
            for lang in [Lang::Zh, Lang::En] {
                for k in [format!("error.{key}"), format!("error.{key}_detail")] {
                    assert_ne!(lang.t(&k), k, "{k} has a text in {lang:?}");
                }
            }
        }
        assert_eq!(refused(&SheetError::Bomb).status_code(), StatusCode::PAYLOAD_TOO_LARGE);
    }
}
