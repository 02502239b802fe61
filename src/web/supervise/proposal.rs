//! `/supervise/propose`: a supervisor proposes a station the directory lacks. The
//! fields are checked like the staff form's ([`StationFields::parse`]); staff of the
//! district then add it through the station form, or turn it down with a comment.

use super::SuperviseCtx;
use crate::domain::district::DISTRICTS;
use crate::domain::facility::ALL_FACILITIES;
use crate::domain::feedback::multi_line;
use crate::domain::hours::Hours;
use crate::domain::hours_zh::parse_zh_hours;
use crate::domain::staff::{is_token, new_token};
use crate::domain::station::Station;
use crate::domain::station_fields::StationFields;
use crate::domain::text::TextError;
use crate::ledger::field_problem;
use crate::store::NewProposal;
use crate::web::context::SupervisorPage;
use crate::web::prelude::*;

/// Longest note with a proposal, in characters.
const MAX_NOTE_CHARS: usize = 500;

#[derive(Template, WebTemplate)]
#[template(path = "supervise/propose.html")]
struct ProposePage {
    ctx: PageCtx,
    me: SuperviseCtx,
    submission: String,
    districts: Vec<Choice>,
    facilities: Vec<Choice>,
    name: String,
    address: String,
    lat: String,
    lon: String,
    hours: String,
    note: String,
    errors: Vec<(&'static str, String)>,
}

impl ProposePage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| *f == field).map(|(_, e)| e.as_str())
    }
}

fn form_page(
    req: &HttpRequest,
    lang: Lang,
    state: &AppState,
    me: &Supervising,
    csrf: &Csrf,
    form: &FormData,
) -> ProposePage {
    let district = form.get("district");
    let ticked: Vec<&str> = form.all("facility").collect();
    ProposePage {
        ctx: PageCtx::new(req, lang, state),
        me: SuperviseCtx::new(req, lang, me, csrf),
        submission: match form.get("submission") {
            s if is_token(s) => s.to_string(),
            _ => new_token(),
        },
        districts: Choice::districts(lang, district, |d| me.supervisor.covers(d)),
        facilities: ALL_FACILITIES
            .iter()
            .map(|f| Choice {
                value: f.key().into(),
                label: lang.label("facility", f.key()),
                selected: ticked.contains(&f.key()),
            })
            .collect(),
        name: form.get("name").into(),
        address: form.get("address").into(),
        lat: form.get("lat").into(),
        lon: form.get("lon").into(),
        hours: form.get("hours").into(),
        note: form.get("note").into(),
        errors: Vec::new(),
    }
}

pub async fn new_form(
    SupervisorPage { req, lang, state, me, csrf }: SupervisorPage,
) -> Result<impl Responder, AppError> {
    let page = form_page(&req, lang, &state, &me, &csrf, &FormData::default());
    Ok(csrf.apply(page))
}

/// The hours as OSM syntax: as typed when they parse, else read from Chinese; `Err` when neither.
fn osm_hours(raw: &str) -> Result<String, ()> {
    let raw = raw.trim();
    if raw.is_empty() || Hours::parse(raw).is_ok() {
        return Ok(raw.to_string());
    }
    parse_zh_hours(raw).map(|zh| zh.opening_hours).map_err(|_| ())
}

/// `POST /supervise/propose`: checked like the staff form, stored once per submission key.
pub async fn submit(
    SupervisorPage { req, lang, state, me, .. }: SupervisorPage,
    form: Posted,
) -> Result<HttpResponse, AppError> {
    let mut errors: Vec<(&'static str, String)> = Vec::new();
    let submission = form.get("submission");
    if !is_token(submission) {
        errors.push(("form", lang.t("suggestion.error.reload").into_owned()));
    }
    let hours = osm_hours(form.get("hours")).unwrap_or_else(|()| {
        errors.push(("hours", lang.t("ledger.problem.hours").into_owned()));
        String::new()
    });
    let note = match multi_line(form.get("note"), MAX_NOTE_CHARS) {
        Ok(n) => n,
        Err(TextError::Empty) => String::new(),
        Err(_) => {
            errors.push(("note", lang.tf("supervise.propose.note_long", &[("max", &MAX_NOTE_CHARS.to_string())])));
            String::new()
        }
    };
    let facilities: Vec<String> = form.all("facility").map(str::to_string).collect();
    let fields = StationFields {
        name: form.get("name").into(),
        district: form.get("district").into(),
        address: form.get("address").into(),
        lat: form.get("lat").into(),
        lon: form.get("lon").into(),
        datum: "wgs84".into(),
        precision: "approximate".into(),
        host: "other".into(),
        holiday_open: !hours.contains("PH off"),
        hours: hours.clone(),
        facilities: facilities.clone(),
        ..StationFields::default()
    };
    let blank = Station::blank(&DISTRICTS[0], state.clock.now());
    let snapshot = state.snapshot.load();
    if let Err(problems) =
        fields.parse(&blank, |d| me.supervisor.covers(d), |code| snapshot.street(code).map(|s| s.district_code))
    {
        for (field, problem) in problems {
            errors.push((field, lang.t(&format!("ledger.problem.{}", field_problem(problem))).into_owned()));
        }
    }
    if !errors.is_empty() {
        let csrf = Csrf::for_request(&req, &state);
        let mut p = form_page(&req, lang, &state, &me, &csrf, &form);
        p.errors = errors;
        return html_page(StatusCode::BAD_REQUEST, &p);
    }
    let new = NewProposal {
        district_code: form.get("district"),
        name: form.get("name").trim(),
        address: form.get("address").trim(),
        lat: form.get("lat").trim(),
        lon: form.get("lon").trim(),
        hours: &hours,
        facilities: &facilities,
        note: &note,
    };
    state.store.propose_station(me.supervisor.id, submission, &new, state.clock.now()).await?;
    Ok(see_other("/supervise?done=proposed"))
}
