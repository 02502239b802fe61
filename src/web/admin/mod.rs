//! `/admin`: what union staff use. Every handler takes [`SignedIn`] (or [`Admin`]),
//! every form carries the CSRF token, and a district's staff only ever see their district.
//!
//! [`SignedIn`]: super::auth::SignedIn
//! [`Admin`]: super::auth::Admin

pub mod account;
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

use super::auth::SignedIn;
use super::forms::Csrf;
use super::i18n::Lang;
use super::routes::Table;
use crate::domain::staff::Role;
use crate::web::prelude::*;

pub fn routes(t: &mut Table) {
    t.open().get("/admin/login", account::login_form).post("/admin/login", account::login);
    t.staff()
        .post("/logout", account::logout)
        .get("/password", account::password_form)
        .post("/password", account::change_password);
    t.open().get("/invite/{token}", account::invite_form).post("/invite/{token}", account::accept_invite);
    t.staff()
        .get("", queue::home)
        .get("/feedback", queue::list)
        .post("/feedback/bulk", queue::bulk)
        .get("/feedback/{id}", queue::detail)
        .post("/feedback/{id}", queue::act)
        .get("/stations", stations::list)
        .get("/new-station", stations::new_form)
        .post("/new-station", stations::create)
        .get("/stations/{id}", stations::edit_form)
        .post("/stations/{id}", stations::save)
        .post("/stations/{id}/status", stations::set_status)
        .post("/stations/{id}/honours", stations::honour)
        .post("/stations/{id}/story", stations::story)
        .get("/ledger", ledger::home)
        .upload("/ledger/import", ledger::dry_run)
        .post("/ledger/apply", ledger::apply)
        .get("/ledger/rejected", ledger::rejected)
        .get("/ledger/export", ledger::export)
        .get("/ledger/template", ledger::template)
        .get("/proposals", proposals::list)
        .post("/proposals/{id}/reject", proposals::reject)
        .get("/figures", figures::page)
        .get("/figures.csv", figures::csv)
        .upload("/stations/{id}/photos", photos::add)
        .post("/stations/{id}/photos/{hash}/remove", photos::remove)
        .post("/reports/{id}/photos/{hash}/use", photos::from_report)
        .get("/staff", staff::list)
        .post("/invites", staff::invite)
        .get("/reports", reports::list)
        .get("/reports/{id}", reports::detail)
        .get("/reports/{id}/photos/{hash}/{file}", reports::photo)
        .post("/reports/{id}", reports::decide)
        .get("/cards", cards::list)
        .post("/cards/{id}/lift", cards::lift)
        .get("/followups", followups::list)
        .get("/followups/new", followups::new_form)
        .post("/followups/new", followups::create)
        .get("/followups/{id}", followups::detail)
        .post("/followups/{id}", followups::update)
        .get("/suggestions", suggestions::list)
        .get("/suggestions/{id}", suggestions::detail)
        .post("/suggestions/{id}", suggestions::send_answer)
        .get("/supervisors", supervisors::list)
        .post("/supervisors/invite", supervisors::invite)
        .post("/supervisors/{id}/status", supervisors::set_status)
        .get("/audit", audit::page)
        .get("/calendar", calendar::show)
        .post("/calendar", calendar::save);
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
