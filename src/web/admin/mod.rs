//! `/admin`: what union staff use. Every handler takes [`SignedIn`] (or [`Admin`]),
//! every form carries the CSRF token, and a district's staff only ever see their district.
//!
//! [`SignedIn`]: super::auth::SignedIn
//! [`Admin`]: super::auth::Admin

pub mod account;
pub mod attempts;
pub mod audit;
pub mod calendar;
pub mod cards;
pub mod figures;
pub mod followups;
pub mod ledger;
pub mod photos;
pub mod proposals;
pub mod queue;
pub mod reports;
pub mod staff;
pub mod stations;
pub mod suggestions;
pub mod supervisors;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::AppState;
use super::auth::SignedIn;
use super::forms::Csrf;
use super::i18n::Lang;
use crate::domain::filter::{ParamError, Problem, parse_pairs};
use crate::domain::staff::Role;
use crate::web::public::stations::Choice;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(account::login_form)
        .service(account::login)
        .service(account::logout)
        .service(account::password_form)
        .service(account::change_password)
        .service(account::invite_form)
        .service(account::accept_invite)
        .service(queue::home)
        .service(queue::list)
        .service(queue::bulk)
        .service(queue::detail)
        .service(queue::act)
        .service(stations::list)
        .service(stations::new_form)
        .service(stations::create)
        .service(stations::edit_form)
        .service(stations::save)
        .service(stations::set_status)
        .service(stations::honour)
        .service(stations::story)
        .service(ledger::home)
        .service(ledger::dry_run)
        .service(ledger::apply)
        .service(ledger::rejected)
        .service(ledger::export)
        .service(ledger::template)
        .service(proposals::list)
        .service(proposals::reject)
        .service(figures::page)
        .service(figures::csv)
        .service(photos::add)
        .service(photos::remove)
        .service(photos::from_report)
        .service(staff::list)
        .service(staff::invite)
        .service(reports::list)
        .service(reports::detail)
        .service(reports::photo)
        .service(reports::decide)
        .service(cards::list)
        .service(cards::lift)
        .service(followups::list)
        .service(followups::new_form)
        .service(followups::create)
        .service(followups::detail)
        .service(followups::update)
        .service(suggestions::list)
        .service(suggestions::detail)
        .service(suggestions::send_answer)
        .service(supervisors::list)
        .service(supervisors::invite)
        .service(supervisors::set_status)
        .service(audit::page)
        .service(calendar::show)
        .service(calendar::save);
}

/// Messages shown once after a form did its work (`?done=KEY`).
const FLASHES: &[&str] = &[
    "published",
    "rejected",
    "replied",
    "replied_published",
    "outcome",
    "outcome_closed",
    "nothing",
    "saved",
    "created",
    "closed",
    "reopened",
    "revoked",
    "verified",
    "honour",
    "story",
    "password",
    "conflict",
    "calendar",
    "photo_added",
    "photo_already",
    "photo_full",
    "photo_removed",
    "suspended",
    "reinstated",
    "accepted",
    "returned",
    "followup_opened",
    "followup_updated",
    "followup_conflict",
    "answered",
    "card_lifted",
    "imported",
    "proposal_rejected",
];

/// What every staff page shows around its content.
pub struct AdminCtx {
    pub staff_name: String,
    pub role: String,
    pub is_admin: bool,
    pub csrf: String,
    pub flash: Option<String>,
    /// The holiday calendar ends soon: every staff page asks a city administrator to load the next year.
    pub calendar_warning: Option<CalendarWarning>,
}

impl AdminCtx {
    pub fn new(req: &HttpRequest, lang: Lang, state: &AppState, signed: &SignedIn, csrf: &Csrf) -> AdminCtx {
        let flash = query_pairs(req)
            .ok()
            .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "done"))
            .and_then(|(_, v)| FLASHES.iter().find(|f| **f == v))
            .map(|key| lang.t(&format!("admin.flash.{key}")).into_owned());
        AdminCtx {
            staff_name: signed.staff.display_name.clone(),
            role: role_label(lang, signed.staff.role),
            is_admin: signed.staff.role.is_admin(),
            csrf: csrf.token.clone(),
            flash,
            calendar_warning: calendar_warning(lang, state),
        }
    }
}

/// The calendar warning of every staff page: one short line on the first screen,
/// the whole explanation folded under it.
pub struct CalendarWarning {
    pub short: String,
    pub long: String,
}

/// "The holiday calendar is loaded up to …; load the next year", from 1 December of
/// the last loaded year.
pub fn calendar_warning(lang: Lang, state: &AppState) -> Option<CalendarWarning> {
    let snapshot = state.snapshot.load();
    let (last_year, last_day) = snapshot.calendar.ending(state.clock.today())?;
    Some(match (last_year, last_day) {
        (Some(year), Some(day)) => {
            let (year, next) = (year.to_string(), (year + 1).to_string());
            CalendarWarning {
                short: lang.tf("admin.calendar.ending_short", &[("next", &next)]),
                long: lang.tf(
                    "admin.calendar.ending",
                    &[("year", &year), ("day", &day.format("%Y-%m-%d").to_string()), ("next", &next)],
                ),
            }
        }
        _ => CalendarWarning {
            short: lang.t("admin.calendar.none_loaded_short").into_owned(),
            long: lang.t("admin.calendar.none_loaded").into_owned(),
        },
    })
}

/// The request's query as decoded pairs (invalid UTF-8 is a 400).
pub fn query_pairs(req: &HttpRequest) -> Result<Vec<(String, String)>, ParamError> {
    parse_pairs(req.query_string())
}

/// One query value, "" when absent.
pub fn param<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or_default()
}

/// A 1-based page number from the query, as a 0-based index.
pub fn page_param(pairs: &[(String, String)]) -> Result<u32, ParamError> {
    match param(pairs, "page") {
        "" => Ok(0),
        raw => match raw.parse::<u32>() {
            Ok(n @ 1..=100_000) => Ok(n - 1),
            _ => Err(ParamError::new("page", raw, Problem::BadPage)),
        },
    }
}

/// A 303 to `path` after a form did its work.
pub fn see_other(path: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, path.to_string())).finish()
}

/// "市总工会管理员" or "丰台区工会工作人员".
pub fn role_label(lang: Lang, role: Role) -> String {
    match role.district() {
        None => lang.t("admin.role.city_admin").into_owned(),
        Some(d) => lang.tf("admin.role.district_staff", &[("district", d.name(lang.is_zh()))]),
    }
}

/// The districts `role` looks after, as select options.
pub fn district_choices(lang: Lang, role: Role, current: &str) -> Vec<Choice> {
    Choice::districts(lang, current, |d| role.covers(d))
}
