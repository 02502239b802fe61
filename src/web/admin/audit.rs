//! The audit log as staff read it: every change with who, when, and each field
//! before and after, in words (district names, labels, 是/否) rather than stored codes.

use crate::web::context::Page;
use crate::web::prelude::*;
use serde_json::Value;

use super::AdminCtx;
use crate::domain::district::District;
use crate::domain::filter::{ParamError, Problem};
use crate::snapshot::Snapshot;
use crate::store::{AUDIT_PAGE, AuditEntry};

/// One audit entry: what was done, by whom and when, and the changed fields
/// as (field, before, after) in words.
pub struct AuditLine {
    pub at: String,
    pub who: String,
    pub action: String,
    pub changes: Vec<(String, String, String)>,
}

/// The entries in words.
pub fn audit_lines(lang: Lang, snapshot: &Snapshot, entries: Vec<AuditEntry>) -> Vec<AuditLine> {
    entries
        .into_iter()
        .map(|e| {
            let after = e.after.as_object().cloned().unwrap_or_default();
            let changes = after
                .iter()
                .map(|(k, v)| {
                    let before = e.before.get(k).map(|b| audit_value(lang, snapshot, k, b)).unwrap_or_default();
                    (lang.t(&format!("admin.field.{k}")).into_owned(), before, audit_value(lang, snapshot, k, v))
                })
                .collect();
            AuditLine {
                at: date_time(e.at),
                who: e.staff_name.unwrap_or_else(|| lang.t("admin.system").into_owned()),
                action: lang.t(&format!("admin.audit_action.{}", e.action)).into_owned(),
                changes,
            }
        })
        .collect()
}

/// Where the labels of a field's stored keys live in the locale files.
fn label_group(field: &str) -> Option<&'static str> {
    Some(match field {
        "host" => "host",
        "facilities" | "unavailable" => "facility",
        "audiences" => "audience",
        "status" => "admin.status",
        "state" => "feedback.state",
        "kind" => "feedback.kind",
        "reject_reason" => "feedback.reason",
        "outcome" => "feedback.outcome",
        "verified_by" => "admin.verified_by",
        "report_state" => "supervise.report.state",
        "assignee" => "followup.assignee",
        "followup_status" => "followup.status",
        "followup_source" => "followup.source_kind",
        _ => return None,
    })
}

/// One stored value of `field` in words: codes and keys become names and labels,
/// flags 是/否; free text stays as it was typed.
pub fn audit_value(lang: Lang, snapshot: &Snapshot, field: &str, v: &Value) -> String {
    let yes_no = |b: bool| lang.t(if b { "export.yes" } else { "export.no" }).into_owned();
    let s = match v {
        Value::Bool(b) => return yes_no(*b),
        Value::String(s) => s.as_str(),
        Value::Array(items) => {
            return items.iter().map(|item| calendar_day(lang, item)).collect::<Vec<_>>().join("\n");
        }
        Value::Null => return String::new(),
        other => return other.to_string(),
    };
    if s.is_empty() {
        return String::new();
    }
    match field {
        "district" => District::parse(s).map(|d| d.name(lang.is_zh()).to_string()).unwrap_or_else(|| s.into()),
        "street" => snapshot.street(s).map(|st| st.name.clone()).unwrap_or_else(|| s.into()),
        "precision" => lang.label("export", &format!("precision_{s}")).into_owned(),
        "photo_kind" => lang.label("admin.station", &format!("photo_label_{s}")).into_owned(),
        "honours" => s
            .split("; ")
            .map(|h| match h.splitn(3, ' ').collect::<Vec<_>>()[..] {
                [year, level, title] => format!("{year} · {} · {title}", lang.label("honour", level)),
                _ => h.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        _ if s == "true" || s == "false" => yes_no(s == "true"),
        _ => match label_group(field) {
            Some(group) => {
                let sep = if lang.is_zh() { "、" } else { ", " };
                s.split(',').map(|k| lang.label(group, k.trim()).into_owned()).collect::<Vec<_>>().join(sep)
            }
            None => s.to_string(),
        },
    }
}

/// A day of a holiday calendar ("2027-02-06 workday 春节") in words.
fn calendar_day(lang: Lang, item: &Value) -> String {
    match (item.get("date"), item.get("kind"), item.get("name")) {
        (Some(d), Some(k), Some(n)) => {
            let kind = match k.as_str().unwrap_or_default() {
                "holiday" => lang.t("admin.calendar.key_holiday").into_owned(),
                "workday" => lang.t("admin.calendar.key_makeup").into_owned(),
                other => other.to_string(),
            };
            let name = crate::web::page::festival(lang, n.as_str().unwrap_or_default());
            format!("{} {kind} {name}", d.as_str().unwrap_or_default())
        }
        _ => item.to_string(),
    }
}

/// What an entry is about: a link to it and its title, and a line under the title.
pub struct AuditHead {
    pub link: Option<String>,
    pub title: String,
    pub note: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    ctx: PageCtx,
    admin: AdminCtx,
    lines: Vec<(AuditHead, AuditLine)>,
    total: i64,
    page: u32,
    pages: u32,
    station: String,
}

pub async fn page(Page { req, lang, state, .. }: Page, admin: Admin) -> Result<impl Responder, AppError> {
    let pairs = query_pairs(&req)?;
    let page = page_param(&pairs)?;
    let station_raw = param(&pairs, "station");
    let station = match station_raw {
        "" => None,
        raw => Some(raw.parse::<i64>().map_err(|_| ParamError::new("station", raw, Problem::BadValue))?),
    };
    let (total, entries) = state.store.audit_log(station, page).await?;
    let feedback_ids: Vec<i64> =
        entries.iter().filter(|e| e.entity == "feedback").filter_map(|e| e.entity_key.parse().ok()).collect();
    let kinds = state.store.feedback_kinds(&feedback_ids).await?;
    // A station's entries link to it, a feedback's to the feedback (with its kind and
    // station); others (a calendar year, a migration) are named.
    let heads: Vec<AuditHead> = entries
        .iter()
        .map(|e| {
            let station = e.station_name.clone().unwrap_or_default();
            match (e.entity.as_str(), e.station_id) {
                ("feedback", _) => {
                    let kind = kinds
                        .iter()
                        .find(|(id, _)| id.to_string() == e.entity_key)
                        .map(|(_, k)| lang.label("feedback.kind", k.key()).into_owned());
                    AuditHead {
                        link: Some(format!("/admin/feedback/{}", e.entity_key)),
                        title: lang.tf("admin.entity.feedback", &[("key", &e.entity_key)]),
                        note: [kind.unwrap_or_default(), station]
                            .into_iter()
                            .filter(|s| !s.is_empty())
                            .collect::<Vec<_>>()
                            .join(" · "),
                    }
                }
                (_, Some(id)) if e.station_name.is_some() => {
                    AuditHead { link: Some(format!("/admin/stations/{id}")), title: station, note: format!("#{id}") }
                }
                _ => AuditHead {
                    link: None,
                    title: lang.tf(&format!("admin.entity.{}", e.entity), &[("key", &e.entity_key)]),
                    note: String::new(),
                },
            }
        })
        .collect();
    let snapshot = state.snapshot.load();
    let lines = heads.into_iter().zip(audit_lines(lang, &snapshot, entries)).collect();
    let csrf = Csrf::for_request(&req, &state);
    let page = AuditPage {
        ctx: PageCtx::new(&req, lang, &state),
        admin: AdminCtx::new(&req, lang, &state, &admin.0, &csrf),
        lines,
        total,
        page: page + 1,
        pages: ((total.max(0) as u64).div_ceil(u64::from(AUDIT_PAGE))).max(1) as u32,
        station: station_raw.to_string(),
    };
    Ok(csrf.apply(page))
}
