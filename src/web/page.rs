//! What every page shares: language, asset URLs, and the phrases for times.

use std::borrow::Cow;

use actix_web::HttpRequest;
use chrono::{Datelike, NaiveDate};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::i18n::Lang;
use super::state::AppState;
use crate::domain::availability::{Availability, Unknown};
use crate::domain::calendar::{HolidayCalendar, festival_key};
use crate::domain::hours::{Rule, beijing_local};
use crate::snapshot::Entry;

/// The part of every page's template data that the layout needs.
pub struct PageCtx {
    pub lang: Lang,
    pub css: String,
    pub favicon: String,
    /// The "near me" script, for pages with `data-locate` links.
    pub locate_js: String,
    /// Shrinks photos in the browser before an upload.
    pub shrink_js: String,
    /// The copy button of an invite link.
    pub copy_js: String,
    /// The web app manifest (installing the site on a phone).
    pub manifest: String,
    /// Installs the service worker.
    pub sw_js: String,
    /// Keeps this phone's feedback receipts ("my feedback").
    pub receipts_js: String,
    /// Saves districts on the phone and draws the pages kept for offline use.
    pub offline_js: String,
    /// Link that switches language and comes back here.
    pub switch_lang: String,
    /// What a link to this page shows when shared (Open Graph and Twitter card tags);
    /// `None`: the site's tagline as the description, no card.
    pub share: Option<Share>,
}

/// A shared page's card: absolute URLs, from `YIZHAN_PUBLIC_URL`.
pub struct Share {
    pub title: String,
    pub description: String,
    pub url: String,
    /// A photo (the door photo, large), if there is one.
    pub image: Option<String>,
}

/// At most `max` characters of `text`, with "…" when cut (for a card's description).
pub fn excerpt(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

impl PageCtx {
    pub fn new(req: &HttpRequest, lang: Lang, state: &AppState) -> PageCtx {
        let here = here(req);
        PageCtx {
            lang,
            css: state.assets.url("app.css").to_string(),
            favicon: state.assets.url("favicon.svg").to_string(),
            locate_js: state.assets.url("locate.js").to_string(),
            shrink_js: state.assets.url("shrink.js").to_string(),
            copy_js: state.assets.url("copy.js").to_string(),
            manifest: state.assets.url("manifest.webmanifest").to_string(),
            sw_js: state.assets.url("sw-register.js").to_string(),
            receipts_js: state.assets.url("receipts.js").to_string(),
            offline_js: state.assets.url("offline.js").to_string(),
            switch_lang: format!("/lang/{}?next={}", lang.other().code(), utf8_percent_encode(&here, NON_ALPHANUMERIC)),
            share: None,
        }
    }

    /// This page as a card when shared.
    pub fn with_share(mut self, share: Share) -> PageCtx {
        self.share = Some(share);
        self
    }

    pub fn t(&self, key: &str) -> Cow<'static, str> {
        self.lang.t(key)
    }

    /// The months' names, comma-separated, for the line a kept page shows offline.
    pub fn months(&self) -> String {
        (1..=12).map(|m| self.lang.label("month", &m.to_string())).collect::<Vec<_>>().join(",")
    }

    /// The words of `static/offline.js` as JSON (see `views::offline::words`).
    pub fn offline_words(&self) -> String {
        super::views::offline::words(self.lang)
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

/// "18:00", "明天 08:00", or with its date further away: "10月8日（周四）08:00".
pub fn when(lang: Lang, now: i64, at: i64) -> String {
    let (now_local, at_local) = (beijing_local(now), beijing_local(at));
    let time = at_local.format("%H:%M").to_string();
    let days = (at_local.date() - now_local.date()).num_days();
    match days {
        0 => time,
        // A closing at the end of today reads as today's, not as tomorrow's 00:00.
        1 if time == "00:00" => lang.t("when.midnight").into_owned(),
        1 => lang.tf("when.tomorrow", &[("time", &time)]),
        _ => {
            let date = at_local.date();
            lang.tf(
                "when.date",
                &[
                    ("m", &date.month().to_string()),
                    ("d", &date.day().to_string()),
                    ("month", &lang.label("month", MONTH_KEYS[date.month0() as usize])),
                    ("wd", &weekday_name(lang, date)),
                    ("time", &time),
                ],
            )
        }
    }
}

/// A straight-line distance in words: "350 米" (to 10 m), "2.4 公里" from 1 km.
pub fn distance_text(lang: Lang, metres: f64) -> String {
    if metres < 1000.0 {
        lang.tf("near.metres", &[("n", &format!("{:.0}", (metres / 10.0).round() * 10.0))])
    } else {
        lang.tf("near.km", &[("n", &format!("{:.1}", metres / 1000.0))])
    }
}

/// The locale keys of the months under `month.`, January first.
const MONTH_KEYS: [&str; 12] = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"];

/// A festival's name in the reader's language (元旦 → New Year's Day); a name the
/// locale files do not know is shown as the calendar gives it.
pub fn festival(lang: Lang, name: &str) -> String {
    match festival_key(name) {
        Some(key) => lang.label("festival", key).into_owned(),
        None => name.to_string(),
    }
}

/// A CSS class and a sentence for a station's state at `now`: open (24 hours when
/// today's hours are), closed with when it opens (and which holiday closes it), out of
/// service, or unknown and why.
pub fn availability_line(lang: Lang, entry: &Entry, calendar: &HolidayCalendar, now: i64) -> (&'static str, String) {
    let today = beijing_local(now).date();
    let missing_year = |date: chrono::NaiveDate| calendar.missing_year(date).unwrap_or(date.year()).to_string();
    let availability = entry.availability(now);
    match availability {
        Availability::Open { closes } if entry.h24 && closes.is_none_or(|t| t - now >= 86_400) => {
            ("open", lang.t("state.open_24h").into_owned())
        }
        Availability::Open { closes: Some(t) } if availability.closing_soon(now) => {
            ("open", lang.tf("state.closing_soon", &[("when", &when(lang, now, t))]))
        }
        Availability::Open { closes: Some(t) } => {
            ("open", lang.tf("state.open_closes", &[("when", &when(lang, now, t))]))
        }
        Availability::Open { closes: None } => ("open", lang.t("state.open").into_owned()),
        Availability::Closed { opens } => {
            let timeline = entry.timeline.as_deref();
            let holiday = timeline
                .and_then(|t| t.day(today))
                .filter(|d| d.rule == Rule::PublicHoliday)
                .and_then(|d| d.day.festival())
                .map(|name| festival(lang, name));
            let text = match (opens, holiday) {
                (Some(t), Some(name)) => {
                    lang.tf("state.closed_holiday_opens", &[("name", &name), ("when", &when(lang, now, t))])
                }
                (Some(t), None) => lang.tf("state.closed_opens", &[("when", &when(lang, now, t))]),
                (None, holiday) => {
                    let later = match timeline.and_then(|t| t.unknown_from(now)) {
                        Some(from) => lang.tf(
                            "state.then_unknown",
                            &[("year", &missing_year(crate::domain::hours::beijing_local(from).date()))],
                        ),
                        None => lang.t("state.not_soon").into_owned(),
                    };
                    match holiday {
                        Some(name) => lang.tf("state.closed_holiday_then", &[("name", &name), ("then", &later)]),
                        None => lang.tf("state.closed_then", &[("then", &later)]),
                    }
                }
            };
            ("closed", text)
        }
        Availability::OutOfService => ("closed", lang.t("state.out_of_service").into_owned()),
        Availability::Unknown(Unknown::NoHours) => ("unknown", lang.t("state.unknown").into_owned()),
        Availability::Unknown(Unknown::Calendar) => {
            ("unknown", lang.tf("state.calendar_unknown", &[("year", &missing_year(today))]))
        }
    }
}
