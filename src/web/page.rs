//! What every page shares: language, asset URLs, and the phrases for times.

use std::borrow::Cow;

use actix_web::HttpRequest;
use chrono::{Datelike, NaiveDate};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::AppState;
use super::error::AppError;
use super::i18n::Lang;
use crate::domain::hours::beijing_local;
use crate::snapshot::Availability;

/// The part of every page's template data that the layout needs.
pub struct PageCtx {
    pub lang: Lang,
    pub css: String,
    pub favicon: String,
    /// Link that switches language and comes back here.
    pub switch_lang: String,
}

impl PageCtx {
    pub fn new(req: &HttpRequest, lang: Lang, state: &AppState) -> PageCtx {
        let here = here(req);
        PageCtx {
            lang,
            css: state.assets.url("app.css").to_string(),
            favicon: state.assets.url("favicon.svg").to_string(),
            switch_lang: format!("/lang/{}?next={}", lang.other().code(), utf8_percent_encode(&here, NON_ALPHANUMERIC)),
        }
    }

    pub fn t(&self, key: &str) -> Cow<'static, str> {
        self.lang.t(key)
    }

    pub fn tf(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.lang.tf(key, args)
    }

    /// The text for `key` with one placeholder filled in (for templates).
    pub fn t1(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        self.lang.tf(key, &[(name, &value.to_string())])
    }

    /// The text for `key` with two placeholders filled in (for templates).
    pub fn t2(&self, key: &str, a: &str, va: impl std::fmt::Display, b: &str, vb: impl std::fmt::Display) -> String {
        self.lang.tf(key, &[(a, &va.to_string()), (b, &vb.to_string())])
    }
}

/// This request's path with its query string, to come back to.
pub fn here(req: &HttpRequest) -> String {
    match req.query_string() {
        "" => req.path().to_string(),
        q => format!("{}?{q}", req.path()),
    }
}

/// Beijing time of a Unix timestamp: "2025-11-17 10:00".
pub fn date_time(ts: i64) -> String {
    beijing_local(ts).format("%Y-%m-%d %H:%M").to_string()
}

/// "2024 · 市级 · 最美驿站": an honour in one line.
pub fn honour_line(lang: Lang, h: &crate::domain::station::Honour) -> String {
    format!("{} · {} · {}", h.year, lang.label("honour", h.level.key()), h.title)
}

/// The locale keys of the weekdays under `weekday.`, Monday first.
pub const WEEKDAY_KEYS: [&str; 7] = ["0", "1", "2", "3", "4", "5", "6"];

/// "周三" / "Wed" for a date.
pub fn weekday_name(lang: Lang, date: NaiveDate) -> Cow<'static, str> {
    lang.label("weekday", WEEKDAY_KEYS[date.weekday().num_days_from_monday() as usize])
}

/// "18:00", "明天 08:00" or "周三 08:00", relative to `now`.
pub fn when(lang: Lang, now: i64, at: i64) -> String {
    let (now_local, at_local) = (beijing_local(now), beijing_local(at));
    let time = at_local.format("%H:%M").to_string();
    let days = (at_local.date() - now_local.date()).num_days();
    match days {
        0 => time,
        1 => lang.tf("when.tomorrow", &[("time", &time)]),
        _ => format!("{} {time}", weekday_name(lang, at_local.date())),
    }
}

/// A CSS class and a sentence for a station's state at `now`.
pub fn availability_line(lang: Lang, a: Availability, now: i64, h24: bool) -> (&'static str, String) {
    match a {
        Availability::Open { .. } if h24 => ("open", lang.t("state.open_24h").into_owned()),
        Availability::Open { closes: Some(t) } => {
            ("open", lang.tf("state.open_closes", &[("when", &when(lang, now, t))]))
        }
        Availability::Open { closes: None } => ("open", lang.t("state.open").into_owned()),
        Availability::Closed { opens: Some(t) } => {
            ("closed", lang.tf("state.closed_opens", &[("when", &when(lang, now, t))]))
        }
        Availability::Closed { opens: None } => ("closed", lang.t("state.closed_week").into_owned()),
        Availability::OutOfService => ("closed", lang.t("state.out_of_service").into_owned()),
        Availability::Unknown => ("unknown", lang.t("state.unknown").into_owned()),
    }
}

/// Bytes a page buffer starts with: a 20-station list is about 23 KB, and growing
/// a buffer from askama's estimate copies it several times over.
const PAGE_BUFFER: usize = 32 * 1024;

/// A rendered page with a status (a list, or a form sent back with its errors, a refusal).
pub fn html_page<T: askama::Template>(
    status: actix_web::http::StatusCode,
    page: &T,
) -> Result<actix_web::HttpResponse, AppError> {
    let mut body = String::with_capacity(PAGE_BUFFER.max(T::SIZE_HINT));
    page.render_into(&mut body)?;
    Ok(actix_web::HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body))
}
