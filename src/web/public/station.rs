//! `GET /stations/{id}`: one station, with its state now and its hours.

use crate::web::context::Page;
use crate::web::prelude::*;
use std::borrow::Cow;

use actix_web::http::header;
use chrono::Datelike;

use super::view::Chip;
use crate::domain::calendar::HolidayCalendar;
use crate::domain::coords::{LatLon, Precision};
use crate::domain::facility::{BASIC_NINE, Facility};
use crate::domain::feedback::FeedbackForm;
use crate::domain::geo::NavLinks;
use crate::domain::hours::{DayType, Rule, beijing_local, midnight};
use crate::domain::station::Status;
use crate::snapshot::{Entry, Snapshot};
use crate::store::PhotoKind;
use crate::web::page::{Share, availability_line, distance_text, festival, honour_line, weekday_name, when};
use crate::web::photos::{large_url, thumbnail};
use crate::web::views::feedback::{FeedbackFormView, NoteView};
use crate::web::views::hours::{HoursLine, ranges_text, week_lines};

/// The navigation links of a station page.
pub struct Nav {
    walk: NavLinks,
    ride: NavLinks,
}

#[derive(Template, WebTemplate)]
#[template(path = "public/station.html")]
pub struct StationPage {
    ctx: PageCtx,
    id: i64,
    feedback: FeedbackFormView,
    notes: Vec<NoteView>,
    notes_total: usize,
    closed_warning: Option<String>,
    /// An open warning card: "整改中".
    rectifying: bool,
    /// The public code of printed signs (BJ-110106-0042).
    code: String,
    name: String,
    district: &'static str,
    district_code: u32,
    street: Option<String>,
    address: String,
    closed_banner: Option<String>,
    state_class: &'static str,
    state_text: String,
    week: Vec<HoursLine>,
    days: Vec<HoursLine>,
    hours_raw: Option<String>,
    /// How the station treats 调休 make-up working days, in words.
    makeup_note: String,
    facilities: Vec<Chip>,
    /// Listed facilities not working for now (暂时不可用).
    unavailable: Vec<Chip>,
    basic: bool,
    basic_count: u32,
    services: Vec<String>,
    audiences: Vec<Cow<'static, str>>,
    host: Cow<'static, str>,
    area: Option<String>,
    contact_name: Option<String>,
    phone: Option<String>,
    tel: Option<String>,
    honours: Vec<String>,
    verified_on: Option<String>,
    approximate: bool,
    /// Latitude and longitude as shown; `None` while the position is not known.
    coords: Option<(String, String)>,
    description: String,
    synthetic: bool,
    /// Walking and riding links; none without a position.
    nav: Option<Nav>,
    /// What a worker looks for first, and whether the station has it.
    key_facilities: Vec<(&'static str, Cow<'static, str>, bool)>,
    /// The nine services of the basic standard, and whether the station has each.
    basic_nine: Vec<(&'static str, Cow<'static, str>, bool)>,
    /// Temporarily closed: no navigation, and the nearest open stations instead.
    closed: bool,
    alternatives: Vec<Alternative>,
    /// How far the station is from the phone, when the link carried its position
    /// (`?lat=&lon=`, as /near and the map give it).
    distance: Option<String>,
    /// Where to look for other stations open now: near this one, or in its district.
    nearby_href: String,
    /// The door photo (hash, width, height of the small version): on the first screen.
    door: Option<(String, u32, u32)>,
    /// Inside photos (hash, width, height of the small version), loaded lazily.
    inside: Vec<(String, u32, u32)>,
}

/// An open station near one that is closed.
pub struct Alternative {
    pub id: i64,
    pub name: String,
    pub distance: String,
    pub state_text: String,
}

/// The facilities shown on the station page's first screen.
const FIRST_LOOK: [Facility; 5] =
    [Facility::Water, Facility::Toilet, Facility::Charging, Facility::Microwave, Facility::Seats];

/// How many open stations a closed station's page suggests.
const ALTERNATIVES: usize = 3;

/// The nearest stations open now, other than `except`.
pub fn open_alternatives(snapshot: &Snapshot, lang: Lang, from: LatLon, except: i64, now: i64) -> Vec<Alternative> {
    snapshot
        .nearest_open(from, now, ALTERNATIVES, Some(except))
        .into_iter()
        .map(|(e, m)| Alternative {
            id: e.station.id,
            name: e.station.name.clone(),
            distance: distance_text(lang, m),
            state_text: availability_line(lang, e, &snapshot.calendar, now).1,
        })
        .collect()
}

/// The station `id` while it is listed: unknown → 404; revoked → its 410 page with
/// the open stations nearby.
pub fn listed<'a>(
    req: &HttpRequest,
    lang: Lang,
    state: &AppState,
    snapshot: &'a Snapshot,
    id: i64,
) -> Result<&'a Entry, AppError> {
    let entry = snapshot.get(id).ok_or(AppError::NotFound)?;
    if entry.station.status == Status::Revoked {
        return Err(super::revoked::gone(req, lang, state, snapshot, entry));
    }
    Ok(entry)
}

/// The regular week grouped into runs, and the next seven days with holidays marked,
/// both precomputed in the snapshot.
fn hours_tables(entry: &Entry, lang: Lang, calendar: &HolidayCalendar, now: i64) -> (Vec<HoursLine>, Vec<HoursLine>) {
    let Some(timeline) = &entry.timeline else { return (Vec::new(), Vec::new()) };
    let week = week_lines(entry, lang);
    if week.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let today = beijing_local(now).date();
    let days = (0..7)
        .filter_map(|i| timeline.day(today + chrono::Days::new(i)))
        .enumerate()
        .map(|(i, plan)| {
            let date = plan.date;
            let note = match (&plan.day, plan.rule) {
                (DayType::Holiday(name), _) => lang.tf("hours.holiday", &[("name", &festival(lang, name))]),
                (DayType::Makeup(name), Rule::MakeupKeepsWeek) => {
                    lang.tf("hours.workday_own_week", &[("name", &festival(lang, name))])
                }
                (DayType::Makeup(name), _) => lang.tf("hours.workday", &[("name", &festival(lang, name))]),
                (DayType::Unknown, Rule::NotLoaded) => {
                    let year = calendar.missing_year(date).unwrap_or(date.year()).to_string();
                    lang.tf("hours.not_loaded", &[("year", &year)])
                }
                _ => String::new(),
            };
            let label = format!(
                "{} {}",
                weekday_name(lang, date),
                lang.tf("date.month_day", &[("m", &date.month().to_string()), ("d", &date.day().to_string())])
            );
            let hours = if plan.known {
                ranges_text(lang, &timeline.day_minutes(midnight(date)))
            } else {
                lang.t("hours.unknown_day").into_owned()
            };
            HoursLine { label, hours, note, today: i == 0 }
        })
        .collect();
    (week, days)
}

pub async fn page(
    Page { req, lang, state, .. }: Page,
    id: Id<crate::domain::station::Station>,
) -> Result<impl Responder, AppError> {
    let id = id.get();
    let csrf = Csrf::for_request(&req, &state);
    let form = FeedbackFormView::new(lang, &csrf, FeedbackForm::default(), Vec::new());
    Ok(csrf.apply(html_page(StatusCode::OK, &build(&req, lang, &state, id, form)?)?))
}

/// The station page, with the feedback form as given (empty, or refilled after an error).
pub fn build(
    req: &HttpRequest,
    lang: Lang,
    state: &AppState,
    id: i64,
    feedback: FeedbackFormView,
) -> Result<StationPage, AppError> {
    let snapshot = state.snapshot.load();
    let entry = listed(req, lang, state, &snapshot, id)?;
    let s = &entry.station;
    let now = state.clock.now();
    let (state_class, state_text) = availability_line(lang, entry, &snapshot.calendar, now);
    let closed_banner = match &s.status {
        Status::TemporarilyClosed { reason, until } => {
            let reason = if reason.is_empty() { lang.t("status.no_reason").into_owned() } else { reason.clone() };
            Some(match until {
                Some(d) => {
                    lang.tf("status.closed_until", &[("until", &d.format("%Y-%m-%d").to_string()), ("reason", &reason)])
                }
                None => lang.tf("status.closed", &[("reason", &reason)]),
            })
        }
        _ => None,
    };
    let (week, days) = hours_tables(entry, lang, &snapshot.calendar, now);
    let from = crate::web::query::position_param(&crate::domain::filter::parse_pairs(req.query_string())?)?;
    let distance = from.zip(s.position).map(|(from, to)| {
        let m = crate::domain::geo::distance_m(from, to);
        lang.tf(
            "station.distance",
            &[("distance", &distance_text(lang, m)), ("minutes", &super::near::minutes_text(lang, m))],
        )
    });
    let nearby_href = match s.position {
        Some(p) => format!("/near?lat={:.6}&lon={:.6}", p.lat, p.lon),
        None => format!("/stations?district={}&open_now=1", s.district.code),
    };
    let label = |prefix: &str, key: &str| lang.label(prefix, key);
    let nav = s.position.map(|p| {
        let [walk, ride] = NavLinks::both(p, &s.name);
        Nav { walk, ride }
    });
    let board = state.board.load();
    let station_notes = board.notes(id);
    let closed_warning = station_notes.and_then(|n| n.closed_since(now)).map(|(n, last)| {
        lang.tf("feedback.closed_warning", &[("n", &n.to_string()), ("when", &when(lang, now, last))])
    });
    let built = StationPage {
        ctx: PageCtx::new(req, lang, state).with_share(Share {
            title: s.name.clone(),
            description: lang.tf(
                "station.card",
                &[("district", s.district.name(lang.is_zh())), ("address", &s.address), ("state", &state_text)],
            ),
            url: format!("{}/stations/{}", state.public_url, s.id),
            image: snapshot.door_photo(s.id).map(|p| large_url(state, p)),
        }),
        id,
        feedback,
        notes: station_notes.map(|n| n.published.iter().map(|f| NoteView::new(lang, f)).collect()).unwrap_or_default(),
        notes_total: station_notes.map(|n| n.published_total).unwrap_or_default(),
        closed_warning,
        rectifying: snapshot.is_rectifying(id),
        code: s.code.clone(),
        name: s.name.clone(),
        district: s.district.name(lang.is_zh()),
        district_code: s.district.code,
        street: s.street_code.as_deref().and_then(|c| snapshot.street(c)).map(|st| st.name.clone()),
        address: s.address.clone(),
        closed_banner,
        state_class,
        state_text,
        week,
        days,
        hours_raw: s.hours.as_ref().map(|h| h.raw().to_string()),
        makeup_note: lang.t(if s.works_makeup_days { "hours.follows_makeup" } else { "hours.keeps_week" }).into_owned(),
        facilities: s.working().iter().map(|f| Chip::of(f, lang)).collect(),
        unavailable: s.unavailable.iter().map(|f| Chip::of(f, lang)).collect(),
        basic: s.meets_basic(),
        basic_count: s.working().basic_count(),
        services: s.services.split(['；', ';']).map(str::trim).filter(|x| !x.is_empty()).map(String::from).collect(),
        audiences: s.audiences.iter().map(|a| label("audience", a.key())).collect(),
        host: label("host", s.host.key()),
        area: s.area_m2.map(|a| format!("{a:.0}")),
        contact_name: s.contact_name.clone(),
        phone: s.phone.as_ref().map(|p| p.as_str().to_string()),
        tel: s.phone.as_ref().map(|p| p.tel_uri()),
        honours: s.honours.iter().map(|h| honour_line(lang, h)).collect(),
        verified_on: s.verified_on.map(|d| crate::web::views::verified_line(lang, &s.verified_by, d)),
        approximate: s.precision == Precision::Approximate,
        coords: s.position.map(|p| (format!("{:.5}", p.lat), format!("{:.5}", p.lon))),
        description: s.description.clone(),
        synthetic: s.synthetic,
        nav,
        key_facilities: FIRST_LOOK
            .iter()
            .map(|f| (f.key(), label("facility", f.key()), s.working().contains(*f)))
            .collect(),
        basic_nine: BASIC_NINE
            .iter()
            .map(|f| (f.key(), label("facility", f.key()), s.working().contains(*f)))
            .collect(),
        door: snapshot.door_photo(s.id).map(thumbnail),
        inside: snapshot.photos(s.id).iter().filter(|p| p.kind == PhotoKind::Inside).map(thumbnail).collect(),
        closed: matches!(s.status, Status::TemporarilyClosed { .. }),
        distance,
        nearby_href,
        alternatives: if matches!(s.status, Status::TemporarilyClosed { .. }) {
            s.position.map(|p| open_alternatives(&snapshot, lang, p, s.id, now)).unwrap_or_default()
        } else {
            Vec::new()
        },
    };
    Ok(built)
}

/// The station id inside a public code (BJ-110106-0042 → 42).
fn code_id(code: &str) -> Option<i64> {
    let mut parts = code.split('-');
    let (prefix, district, number) = (parts.next()?, parts.next()?, parts.next()?);
    if prefix != "BJ" || district.len() != 6 || parts.next().is_some() || !district.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    number.parse::<i64>().ok().filter(|id| *id > 0 && number.bytes().all(|b| b.is_ascii_digit()))
}

/// `GET /s/{code}`: the station of a printed sign or QR code. The code never changes,
/// even when the station moves to another district.
pub async fn by_code(state: web::Data<AppState>, code: web::Path<String>) -> Result<HttpResponse, AppError> {
    let id = code_id(&code).ok_or(AppError::NotFound)?;
    let snapshot = state.snapshot.load();
    let entry = snapshot.get(id).filter(|e| e.station.code == *code).ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Found().insert_header((header::LOCATION, format!("/stations/{}", entry.station.id))).finish())
}

#[cfg(test)]
mod code_tests {
    use super::code_id;

    #[test]
    fn codes_name_their_station() {
        assert_eq!(code_id("BJ-110106-0042"), Some(42));
        assert_eq!(code_id("BJ-110106-123456"), Some(123456));
        for bad in ["BJ-110106", "XX-110106-0042", "BJ-11010-0042", "BJ-110106-42-1", "BJ-110106--1", "BJ-110106-+4"] {
            assert_eq!(code_id(bad), None, "{bad}");
        }
    }
}
