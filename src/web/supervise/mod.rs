//! `/supervise`: what volunteer supervisors (义务监督员) use, on a phone. Every
//! handler takes [`Supervising`]; a supervisor sees the stations of their districts
//! and their own reports only (anything else is "not found").
//!
//! [`Supervising`]: super::auth::Supervising

pub mod account;
pub mod followup;
pub mod home;
pub mod proposal;
pub mod report;
pub mod suggestion;

use super::auth::Supervising;
use super::forms::Csrf;
use super::i18n::Lang;
use super::routes::Table;
use crate::web::prelude::*;
use crate::web::views::district_names;

pub fn routes(t: &mut Table) {
    t.open().get("/supervise/login", account::login_form).post("/supervise/login", account::login);
    t.supervisor()
        .post("/logout", account::logout)
        .get("/password", account::password_form)
        .post("/password", account::change_password);
    t.open().get("/supervise/join/{token}", account::join_form).post("/supervise/join/{token}", account::join);
    t.supervisor()
        .get("", home::page)
        .get("/stations/{id}/report", report::new_form)
        .upload("/stations/{id}/report", report::submit)
        .get("/reports/{id}", report::show)
        .get("/photos/{hash}/{file}", report::photo)
        .get("/propose", proposal::new_form)
        .post("/propose", proposal::submit)
        .get("/suggestions/new", suggestion::new_form)
        .post("/suggestions/new", suggestion::submit)
        .get("/suggestions/{id}", suggestion::show)
        .get("/followups/{id}", followup::show)
        .post("/followups/{id}", followup::add_note);
}

/// Messages shown once after a form did its work (`?done=KEY`).
const FLASHES: &[&str] = &["welcome", "followup_updated", "followup_conflict", "suggested", "password", "proposed"];

/// What every supervisor page shows around its content.
pub struct SuperviseCtx {
    pub name: String,
    /// "丰台区、大兴区".
    pub districts: String,
    pub csrf: String,
    pub flash: Option<String>,
}

impl SuperviseCtx {
    pub fn new(req: &HttpRequest, lang: Lang, me: &Supervising, csrf: &Csrf) -> SuperviseCtx {
        let flash = query_pairs(req)
            .ok()
            .map(|pairs| param(&pairs, "done").to_string())
            .and_then(|v| FLASHES.iter().find(|f| **f == v))
            .map(|key| lang.t(&format!("supervise.flash.{key}")).into_owned());
        SuperviseCtx {
            name: me.supervisor.display_name.clone(),
            districts: district_names(lang, &me.supervisor.districts),
            csrf: csrf.token.clone(),
            flash,
        }
    }
}
