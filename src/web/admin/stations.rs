//! Keeping the ledger true: find a station, edit every field, close, reopen, revoke,
//! mark verified, add honours, add a station. Every change is audited.

use crate::web::context::StaffPage;
use crate::web::prelude::*;
use chrono::NaiveDate;

use super::audit::{AuditLine, audit_lines};
use super::{AdminCtx, district_choices};
use crate::domain::district::{DISTRICTS, District};
use crate::domain::facility::{ALL_FACILITIES, Audience, HostType};
use crate::domain::staff::{Role, Staff};
use crate::domain::station::{Honour, HonourLevel, Revocation, Station, Status};
use crate::domain::station_fields::{FieldProblem, StationFields};
use crate::domain::text::{SearchText, TextError, single_line};
use crate::web::page::honour_line;
use crate::web::photos::small_size;

/// Rows of the staff station search.
const SEARCH_LIMIT: usize = 100;

pub struct StationRow {
    pub id: i64,
    pub name: String,
    pub district: &'static str,
    pub address: String,
    pub status: String,
    pub verified: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/stations.html")]
struct ListPage {
    ctx: PageCtx,
    admin: AdminCtx,
    q: String,
    /// Only stations not checked for 180 days.
    stale: bool,
    districts: Vec<Choice>,
    rows: Vec<StationRow>,
    total: usize,
    limit: usize,
}

/// "12 个驿站超过180天没有核实", when any are: for the staff home.
pub fn stale_line(state: &AppState, lang: Lang, role: Role) -> Option<String> {
    let today = state.clock.today();
    let snapshot = state.snapshot.load();
    let scope = role.scope();
    let n = snapshot.entries_in(&scope).filter(|e| e.station.is_stale(today)).count();
    (n > 0).then(|| lang.tf("admin.stations.stale_banner", &[("n", &n.to_string())]))
}

pub async fn list(StaffPage { req, lang, state, signed, csrf }: StaffPage) -> Result<impl Responder, AppError> {
    let pairs = query_pairs(&req)?;
    let q_raw = param(&pairs, "q");
    let q = SearchText::parse(q_raw)
        .map_err(|_| crate::domain::filter::ParamError::new("q", q_raw, crate::domain::filter::Problem::TooLong))?;
    let district_raw = param(&pairs, "district");
    let district = match district_raw {
        "" => None,
        raw => Some(District::parse(raw).ok_or_else(|| {
            crate::domain::filter::ParamError::new("district", raw, crate::domain::filter::Problem::UnknownDistrict)
        })?),
    };
    let stale = match param(&pairs, "stale") {
        "" => false,
        "1" => true,
        other => {
            return Err(crate::domain::filter::ParamError::new(
                "stale",
                other,
                crate::domain::filter::Problem::BadValue,
            )
            .into());
        }
    };
    let today = state.clock.today();
    let role = signed.staff.role;
    let scope = role.scope();
    let snapshot = state.snapshot.load();
    let matches: Vec<_> = snapshot
        .entries_in(&scope)
        .filter(|e| !stale || e.station.is_stale(today))
        .filter(|e| district.is_none_or(|d| d.code == e.station.district.code))
        .filter(|e| {
            q.as_ref().is_none_or(|q| {
                e.station.id.to_string() == q.as_str()
                    || e.station.name.to_ascii_lowercase().contains(q.as_str())
                    || e.station.address.to_ascii_lowercase().contains(q.as_str())
            })
        })
        .collect();
    let rows = matches
        .iter()
        .take(SEARCH_LIMIT)
        .map(|e| StationRow {
            id: e.station.id,
            name: e.station.name.clone(),
            district: e.station.district.name(lang.is_zh()),
            address: e.station.address.clone(),
            status: lang.t(&format!("admin.status.{}", e.station.status.key())).into_owned(),
            verified: e.station.verified_on.map(|d| d.to_string()).unwrap_or_default(),
        })
        .collect();
    let page = ListPage {
        ctx: PageCtx::new(&req, lang, &state),
        admin: AdminCtx::new(&req, lang, &state, &signed, &csrf),
        q: q_raw.to_string(),
        stale,
        districts: district_choices(lang, role, district_raw),
        rows,
        total: matches.len(),
        limit: SEARCH_LIMIT,
    };
    Ok(csrf.apply(page))
}

/// The edit form's fields as sent.
fn fields_from_form(f: &FormData) -> StationFields {
    let text = |k: &str| f.get(k).to_string();
    StationFields {
        ledger_id: text("ledger_id"),
        name: text("name"),
        district: text("district"),
        street: text("street"),
        address: text("address"),
        lat: text("lat"),
        lon: text("lon"),
        datum: text("datum"),
        precision: text("precision"),
        host: text("host"),
        hours: text("hours"),
        holiday_open: f.get("holiday_open") == "1",
        works_makeup_days: text("works_makeup_days"),
        contact_name: text("contact_name"),
        phone: text("phone"),
        area: text("area"),
        facilities: f.all("facility").map(String::from).collect(),
        unavailable: f.all("unavailable").map(String::from).collect(),
        audiences: f.all("audience").map(String::from).collect(),
        services: text("services"),
        description: text("description"),
        updated_at: text("updated_at"),
    }
}

/// The station the fields describe on top of `base`, for a staff member of `role`.
fn parse_fields(
    fields: &StationFields,
    base: &Station,
    role: Role,
    snapshot: &crate::snapshot::Snapshot,
) -> Result<Station, Vec<FieldProblem>> {
    fields.parse(base, |d| role.covers(d), |code| snapshot.street(code).map(|s| s.district_code))
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/station.html")]
struct EditPage {
    ctx: PageCtx,
    admin: AdminCtx,
    /// `None`: a new station.
    id: Option<i64>,
    /// A new station from a supervisor's proposal: its id and "proposed by …".
    proposal: Option<(i64, String)>,
    title: String,
    form: StationFields,
    errors: Vec<(&'static str, String)>,
    districts: Vec<Choice>,
    /// (district name, district code, its streets).
    street_groups: Vec<(&'static str, u32, Vec<Choice>)>,
    hosts: Vec<Choice>,
    facilities: Vec<Choice>,
    /// The listed facilities, ticked when not working.
    unavailable: Vec<Choice>,
    audiences: Vec<Choice>,
    status_key: &'static str,
    status_text: String,
    closed_reason: String,
    closed_until: String,
    verified_on: String,
    /// Why and when it was revoked, in words (a revoked station only).
    revoked: Option<(String, String)>,
    /// The revoke form's reason as typed (after a refusal).
    revoke_reason: String,
    honours: Vec<String>,
    /// The showcase story as stored, for its form.
    story: String,
    levels: Vec<Choice>,
    history: Vec<AuditLine>,
    /// Photos shown: hash, label, and the small version's width and height.
    photos: Vec<(String, String, u32, u32)>,
}

impl EditPage {
    fn error(&self, field: &str) -> Option<&str> {
        crate::web::views::field_error(&self.errors, field)
    }
}

#[allow(clippy::too_many_arguments)]
async fn edit_page(
    req: &HttpRequest,
    lang: Lang,
    state: &AppState,
    signed: &SignedIn,
    csrf: &Csrf,
    station: Option<&Station>,
    form: StationFields,
    errors: Vec<(&'static str, &'static str)>,
) -> Result<EditPage, AppError> {
    let snapshot = state.snapshot.load();
    let role = signed.staff.role;
    let pick = |all: &[String], key: &str| all.iter().any(|k| k == key);
    let history = match station {
        Some(s) => audit_lines(lang, &snapshot, state.store.audit_log(Some(s.id), 0).await?.1),
        None => Vec::new(),
    };
    let (closed_reason, closed_until) = match station.map(|s| &s.status) {
        Some(Status::TemporarilyClosed { reason, until }) => {
            (reason.clone(), until.map(|d| d.to_string()).unwrap_or_default())
        }
        _ => (String::new(), String::new()),
    };
    Ok(EditPage {
        ctx: PageCtx::new(req, lang, state),
        admin: AdminCtx::new(req, lang, state, signed, csrf),
        id: station.map(|s| s.id),
        proposal: None,
        title: station.map(|s| s.name.clone()).unwrap_or_else(|| lang.t("admin.station.new").into_owned()),
        errors: errors.iter().map(|(f, p)| (*f, lang.t(&format!("admin.error.{p}")).into_owned())).collect(),
        districts: district_choices(lang, role, &form.district),
        // Every street of the districts this person looks after, grouped by district:
        // the form works without JavaScript, and the server checks the pair.
        street_groups: DISTRICTS
            .iter()
            .filter(|d| role.covers(d))
            .map(|d| {
                let streets = snapshot
                    .streets_of(d.code)
                    .map(|st| Choice {
                        value: st.code.clone().into(),
                        label: st.name.clone().into(),
                        selected: st.code == form.street,
                    })
                    .collect();
                (d.name(lang.is_zh()), d.code, streets)
            })
            .filter(|(_, _, streets): &(&str, u32, Vec<Choice>)| !streets.is_empty())
            .collect(),
        hosts: HostType::ALL
            .iter()
            .map(|h| Choice {
                value: h.key().into(),
                label: lang.label("host", h.key()),
                selected: h.key() == form.host,
            })
            .collect(),
        facilities: ALL_FACILITIES
            .iter()
            .map(|f| Choice {
                value: f.key().into(),
                label: lang.label("facility", f.key()),
                selected: pick(&form.facilities, f.key()),
            })
            .collect(),
        unavailable: ALL_FACILITIES
            .iter()
            .filter(|f| pick(&form.facilities, f.key()))
            .map(|f| Choice {
                value: f.key().into(),
                label: lang.label("facility", f.key()),
                selected: pick(&form.unavailable, f.key()),
            })
            .collect(),
        audiences: Audience::ALL
            .iter()
            .map(|a| Choice {
                value: a.key().into(),
                label: lang.label("audience", a.key()),
                selected: pick(&form.audiences, a.key()),
            })
            .collect(),
        status_key: station.map(|s| s.status.key()).unwrap_or("open"),
        status_text: lang
            .t(&format!("admin.status.{}", station.map(|s| s.status.key()).unwrap_or("open")))
            .into_owned(),
        closed_reason,
        closed_until,
        verified_on: station.and_then(|s| s.verified_on).map(|d| d.to_string()).unwrap_or_default(),
        revoked: station.and_then(|s| s.revocation.as_ref()).map(|r| (r.reason.clone(), date_time(r.at))),
        revoke_reason: String::new(),
        honours: station.map(|s| s.honours.iter().map(|h| honour_line(lang, h)).collect()).unwrap_or_default(),
        story: station.map(|s| s.story.clone()).unwrap_or_default(),
        levels: [HonourLevel::National, HonourLevel::Municipal, HonourLevel::District]
            .iter()
            .map(|l| Choice { value: l.key().into(), label: lang.label("honour", l.key()), selected: false })
            .collect(),
        history,
        photos: station
            .map(|s| {
                snapshot
                    .photos(s.id)
                    .iter()
                    .map(|p| {
                        let label = lang.label("admin.station", &format!("photo_label_{}", p.kind.key())).into_owned();
                        let (w, h) = small_size(p.width, p.height);
                        (p.hash.clone(), label, w, h)
                    })
                    .collect()
            })
            .unwrap_or_default(),
        form,
    })
}

/// The station as stored, if `staff` may touch it (another district's is "not found").
pub(super) async fn station_for(state: &AppState, staff: &Staff, id: i64) -> Result<Station, AppError> {
    let station = state.store.station(id).await?.ok_or(AppError::NotFound)?;
    if !staff.role.covers(station.district) {
        return Err(AppError::NotFound);
    }
    Ok(station)
}

pub async fn edit_form(
    StaffPage { req, lang, state, signed, .. }: StaffPage,
    id: Id<crate::domain::station::Station>,
) -> Result<HttpResponse, AppError> {
    let station = station_for(&state, &signed.staff, id.get()).await?;
    let csrf = Csrf::for_request(&req, &state);
    let page = edit_page(
        &req,
        lang,
        &state,
        &signed,
        &csrf,
        Some(&station),
        StationFields::from_station(&station),
        Vec::new(),
    )
    .await?;
    Ok(csrf.apply(page).respond_to(&req).map_into_boxed_body())
}

async fn new_page(
    req: &HttpRequest,
    lang: Lang,
    state: &AppState,
    signed: &SignedIn,
) -> Result<HttpResponse, AppError> {
    let csrf = Csrf::for_request(req, state);
    let pairs = query_pairs(req)?;
    // From a supervisor's proposal: its fields, and the proposal closed on save.
    let proposal = match param(&pairs, "proposal") {
        "" => None,
        raw => {
            let id = raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or(AppError::NotFound)?;
            Some(state.store.pending_proposal(id, signed.staff.role).await?.ok_or(AppError::NotFound)?)
        }
    };
    let form = match &proposal {
        Some(p) => super::proposals::fields_of(p),
        None => StationFields {
            district: signed.staff.role.district().map(|d| d.code.to_string()).unwrap_or_default(),
            precision: "approximate".into(),
            host: "other".into(),
            datum: "wgs84".into(),
            ..Default::default()
        },
    };
    let mut page = edit_page(req, lang, state, signed, &csrf, None, form, Vec::new()).await?;
    if let Some(p) = proposal {
        page.proposal = Some((p.id, lang.tf("admin.proposals.from", &[("name", &p.supervisor_name)])));
    }
    Ok(csrf.apply(page).respond_to(req).map_into_boxed_body())
}

pub async fn new_form(StaffPage { req, lang, state, signed, .. }: StaffPage) -> Result<HttpResponse, AppError> {
    new_page(&req, lang, &state, &signed).await
}

pub async fn create(
    StaffPage { req, lang, state, signed, .. }: StaffPage,
    form: Posted,
) -> Result<HttpResponse, AppError> {
    let fields = fields_from_form(&form);
    let now = state.clock.now();
    let proposal = match form.get("proposal") {
        "" => None,
        raw => {
            let id = raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or(AppError::NotFound)?;
            Some(state.store.pending_proposal(id, signed.staff.role).await?.ok_or(AppError::NotFound)?)
        }
    };
    let blank = Station::blank(signed.staff.role.district().unwrap_or(&DISTRICTS[0]), now);
    let checked = {
        let snapshot = state.snapshot.load();
        parse_fields(&fields, &blank, signed.staff.role, &snapshot)
    };
    match checked {
        Ok(station) => {
            let id = state.store.create_station(&station, Some(signed.staff.id), now).await?;
            if let Some(p) = &proposal {
                state.store.close_proposal(p, Some(id), "", &signed.staff, now).await?;
            }
            state.show_writes().await;
            Ok(see_other(&format!("/admin/stations/{id}?done=created")))
        }
        Err(errors) => {
            let csrf = Csrf::for_request(&req, &state);
            let mut page = edit_page(&req, lang, &state, &signed, &csrf, None, fields, errors).await?;
            if let Some(p) = proposal {
                page.proposal = Some((p.id, lang.tf("admin.proposals.from", &[("name", &p.supervisor_name)])));
            }
            html_page(StatusCode::BAD_REQUEST, &page)
        }
    }
}

/// A form value that is not one of the allowed ones: a 400 naming it.
fn bad(param: &str, value: &str) -> AppError {
    crate::domain::filter::ParamError::new(param, value, crate::domain::filter::Problem::BadValue).into()
}

/// Writes a change; a conflict (someone saved first) sends back with a message.
async fn commit(
    state: &AppState,
    staff: &Staff,
    before: &Station,
    after: &Station,
    action: &str,
    done: &str,
) -> Result<HttpResponse, AppError> {
    let saved = state.store.save_station(before, after, action, Some(staff.id), state.clock.now()).await?;
    if !saved {
        return Ok(see_other(&format!("/admin/stations/{}?done=conflict", before.id)));
    }
    state.show_writes().await;
    Ok(see_other(&format!("/admin/stations/{}?done={done}", before.id)))
}

pub async fn save(
    StaffPage { req, lang, state, signed, .. }: StaffPage,
    id: Id<crate::domain::station::Station>,
    form: Posted,
) -> Result<HttpResponse, AppError> {
    let before = station_for(&state, &signed.staff, id.get()).await?;
    let fields = fields_from_form(&form);
    if fields.updated_at != before.updated_at.to_string() {
        return Ok(see_other(&format!("/admin/stations/{}?done=conflict", before.id)));
    }
    let checked = {
        let snapshot = state.snapshot.load();
        parse_fields(&fields, &before, signed.staff.role, &snapshot)
    };
    match checked {
        Ok(after) => commit(&state, &signed.staff, &before, &after, "edit", "saved").await,
        Err(errors) => {
            let csrf = Csrf::for_request(&req, &state);
            html_page(
                StatusCode::BAD_REQUEST,
                &edit_page(&req, lang, &state, &signed, &csrf, Some(&before), fields, errors).await?,
            )
        }
    }
}

pub async fn set_status(
    state: web::Data<AppState>,
    req: HttpRequest,
    lang: Lang,
    signed: SignedIn,
    id: Id<crate::domain::station::Station>,
    form: Posted,
) -> Result<HttpResponse, AppError> {
    let before = station_for(&state, &signed.staff, id.get()).await?;
    let mut after = before.clone();
    // Only a revoked station keeps why and when.
    after.revocation = None;
    let (action, done) = match form.get("action") {
        "close" => {
            let reason = single_line(form.get("reason"), 200).map_err(|_| bad("reason", form.get("reason")))?;
            let until = match form.get("until").trim() {
                "" => None,
                raw => Some(NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| bad("until", raw))?),
            };
            after.status = Status::TemporarilyClosed { reason, until };
            ("close", "closed")
        }
        "reopen" => {
            after.status = Status::Open;
            ("reopen", "reopened")
        }
        "revoke" => {
            // Revoking takes a station off the public directory: the reason is shown to
            // workers who still hold its link, so it is required.
            let reason = match single_line(form.get("revoke_reason"), 200) {
                Ok(r) => r,
                Err(e) => {
                    let problem = if e == TextError::Empty { "revoke_reason" } else { e.key() };
                    let csrf = Csrf::for_request(&req, &state);
                    let fields = StationFields::from_station(&before);
                    let mut page = edit_page(
                        &req,
                        lang,
                        &state,
                        &signed,
                        &csrf,
                        Some(&before),
                        fields,
                        vec![("revoke_reason", problem)],
                    )
                    .await?;
                    page.revoke_reason = form.get("revoke_reason").to_string();
                    return html_page(StatusCode::BAD_REQUEST, &page);
                }
            };
            after.status = Status::Revoked;
            after.revocation = Some(Revocation { reason, at: state.clock.now() });
            ("revoke", "revoked")
        }
        "verify" => {
            after.verified_on = Some(state.clock.today());
            after.verified_by = crate::domain::station::Verifier::Staff;
            after.revocation = before.revocation.clone();
            ("verify", "verified")
        }
        other => return Err(bad("action", other)),
    };
    commit(&state, &signed.staff, &before, &after, action, done).await
}

/// Longest showcase story, in characters.
pub const STORY_MAX: usize = 5_000;

pub async fn story(
    state: web::Data<AppState>,
    signed: SignedIn,
    id: Id<crate::domain::station::Station>,
    form: Posted,
) -> Result<HttpResponse, AppError> {
    let before = station_for(&state, &signed.staff, id.get()).await?;
    let raw = form.get("story");
    // Empty clears the story; otherwise plain text checked like feedback (no control
    // characters, trimmed); markup stays text and is escaped wherever it is shown.
    let text = match raw.trim() {
        "" => String::new(),
        _ => crate::domain::feedback::multi_line(raw, STORY_MAX).map_err(|_| bad("story", raw))?,
    };
    if text == before.story {
        return Ok(see_other(&format!("/admin/stations/{}?done=nothing", before.id)));
    }
    let mut after = before.clone();
    after.story = text;
    commit(&state, &signed.staff, &before, &after, "story", "story").await
}

pub async fn honour(
    state: web::Data<AppState>,
    signed: SignedIn,
    id: Id<crate::domain::station::Station>,
    form: Posted,
) -> Result<HttpResponse, AppError> {
    let before = station_for(&state, &signed.staff, id.get()).await?;
    let level = HonourLevel::parse(form.get("level")).ok_or_else(|| bad("level", form.get("level")))?;
    let year = form
        .get("year")
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or_else(|| bad("year", form.get("year")))?;
    let title = single_line(form.get("title"), 100).map_err(|_| bad("title", form.get("title")))?;
    let mut after = before.clone();
    after.honours.push(Honour { level, year, title });
    commit(&state, &signed.staff, &before, &after, "honour", "honour").await
}
