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

use actix_web::{HttpRequest, web};

use super::admin::supervisors::district_names;
use super::admin::{param, query_pairs};
use super::auth::Supervising;
use super::forms::Csrf;
use super::i18n::Lang;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(account::login_form)
        .service(account::login)
        .service(account::logout)
        .service(account::password_form)
        .service(account::change_password)
        .service(account::join_form)
        .service(account::join)
        .service(home::page)
        .service(report::new_form)
        .service(report::submit)
        .service(report::show)
        .service(report::photo)
        .service(proposal::new_form)
        .service(proposal::submit)
        .service(suggestion::new_form)
        .service(suggestion::submit)
        .service(suggestion::show)
        .service(followup::show)
        .service(followup::add_note);
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
