//! The inspection report: the form a supervisor fills in at a station, and the
//! report as its author reads it afterwards (what became of it).

use crate::web::context::SupervisorPage;
use crate::web::prelude::*;
use actix_web::http::header;

use super::SuperviseCtx;
use crate::domain::facility::Facility;
use crate::domain::feedback::FieldError;
use crate::domain::hours::beijing_local;
use crate::domain::inspection::{Finding, MAX_AGE_DAYS, MAX_NOTES_CHARS, OpenAsListed, ReportForm};
use crate::domain::photo::is_hash;
use crate::domain::staff::{is_token, new_token};
use crate::domain::station::Station;
use crate::store::{REPORT_PHOTOS, ReportPhoto};
use crate::web::forms::checked_form;
use crate::web::photos::{is_multipart, photo_size, private_jpeg, read_body, read_upload};
use crate::web::render::unavailable_page;
use crate::web::state::MAX_BODY;
use crate::web::views::report::{ReportView, thumbnails};

/// The station a supervisor may report on: public and in one of their districts;
/// any other is "not found".
fn station_for(state: &AppState, me: &Supervising, id: i64) -> Result<Station, AppError> {
    let snapshot = state.snapshot.load();
    let entry = snapshot.get(id).ok_or(AppError::NotFound)?;
    if !entry.station.is_public() || !me.supervisor.covers(entry.station.district) {
        return Err(AppError::NotFound);
    }
    Ok(entry.station.clone())
}

/// One facility's line of the form: its key, label and the three findings.
pub struct FacilityLine {
    pub key: &'static str,
    pub label: String,
    pub choices: Vec<Choice>,
}

#[derive(Template, WebTemplate)]
#[template(path = "supervise/report_form.html")]
struct FormPage {
    ctx: PageCtx,
    me: SuperviseCtx,
    station_id: i64,
    station_name: String,
    station_place: String,
    hours: String,
    submission: String,
    visited_at: String,
    /// The earliest and latest visit times the form accepts (`datetime-local` bounds).
    min_visit: String,
    max_visit: String,
    open: Vec<Choice>,
    sign: Vec<Choice>,
    staffed: Vec<Choice>,
    cleanliness: Vec<Choice>,
    facilities: Vec<FacilityLine>,
    notes: String,
    show_name: bool,
    max_notes: usize,
    errors: Vec<(&'static str, String)>,
    /// Photos already received under this form's key.
    photos: Vec<(String, u32, u32)>,
    /// How many more it may take.
    photos_left: usize,
}

impl FormPage {
    fn error(&self, field: &str) -> Option<&str> {
        crate::web::views::field_error(&self.errors, field)
    }
}

fn local_input(ts: i64) -> String {
    beijing_local(ts).format("%Y-%m-%dT%H:%M").to_string()
}

fn choices(values: &[(&'static str, String)], current: &str) -> Vec<Choice> {
    values
        .iter()
        .map(|(v, l)| Choice { value: (*v).into(), label: l.clone().into(), selected: *v == current })
        .collect()
}

/// The form's field for a facility's finding.
fn finding_field(f: Facility) -> String {
    format!("f_{}", f.key())
}

/// The form as posted (or a fresh one for `station`).
fn typed(station: &Station, form: Option<&FormData>, now: i64) -> ReportForm {
    match form {
        None => ReportForm { visited_at: local_input(now), ..Default::default() },
        Some(form) => ReportForm {
            visited_at: form.get("visited_at").into(),
            open: form.get("open").into(),
            sign: form.get("sign").into(),
            staffed: form.get("staffed").into(),
            cleanliness: form.get("cleanliness").into(),
            notes: form.get("notes").into(),
            show_name: form.has("show_name"),
            findings: station.facilities.iter().map(|f| (f, form.get(&finding_field(f)).to_string())).collect(),
        },
    }
}

#[allow(clippy::too_many_arguments)]
fn form_page(
    req: &HttpRequest,
    lang: Lang,
    state: &AppState,
    me: &Supervising,
    csrf: &Csrf,
    station: &Station,
    fields: ReportForm,
    submission: String,
    errors: Vec<FieldError>,
    photos: &[ReportPhoto],
) -> FormPage {
    let now = state.clock.now();
    let yes_no = || {
        vec![("yes", lang.t("supervise.report.yes").into_owned()), ("no", lang.t("supervise.report.no").into_owned())]
    };
    let finding = |f: Facility| {
        fields.findings.iter().find(|(g, _)| *g == f).map(|(_, v)| v.as_str()).unwrap_or_default().to_string()
    };
    FormPage {
        ctx: PageCtx::new(req, lang, state),
        me: SuperviseCtx::new(req, lang, me, csrf),
        station_id: station.id,
        station_name: station.name.clone(),
        station_place: station.place(lang.is_zh()),
        hours: station
            .hours
            .as_ref()
            .map(|h| crate::web::views::hours::hours_in_words(h, station.works_makeup_days, lang))
            .unwrap_or_default(),
        submission,
        min_visit: local_input(now - MAX_AGE_DAYS * 86_400),
        max_visit: local_input(now),
        visited_at: fields.visited_at.clone(),
        open: choices(
            &OpenAsListed::ALL.map(|o| (o.key(), lang.label("supervise.report.open_choice", o.key()).into_owned())),
            &fields.open,
        ),
        sign: choices(&yes_no(), &fields.sign),
        staffed: choices(&yes_no(), &fields.staffed),
        cleanliness: (1..=5u8)
            .map(|n| Choice {
                value: n.to_string().into(),
                label: lang.label("supervise.report.clean", &format!("c{n}")),
                selected: fields.cleanliness.trim() == n.to_string(),
            })
            .collect(),
        facilities: station
            .facilities
            .iter()
            .map(|f| FacilityLine {
                key: f.key(),
                label: lang.label("facility", f.key()).into_owned(),
                choices: choices(
                    &Finding::ALL.map(|x| (x.key(), lang.label("supervise.report.finding", x.key()).into_owned())),
                    &finding(f),
                ),
            })
            .collect(),
        notes: fields.notes.clone(),
        show_name: fields.show_name,
        max_notes: MAX_NOTES_CHARS,
        photos: thumbnails(photos),
        photos_left: REPORT_PHOTOS.saturating_sub(photos.len()),
        errors: errors
            .iter()
            .map(|e| {
                let text = lang.tf(
                    &format!("supervise.report.error.{}", e.problem),
                    &[
                        ("max", &MAX_NOTES_CHARS.to_string()),
                        ("days", &MAX_AGE_DAYS.to_string()),
                        ("photos", &REPORT_PHOTOS.to_string()),
                    ],
                );
                (e.field, text)
            })
            .collect(),
    }
}

pub async fn new_form(
    SupervisorPage { req, lang, state, me, .. }: SupervisorPage,
    id: Id<crate::domain::station::Station>,
) -> Result<impl Responder, AppError> {
    let station = station_for(&state, &me, id.get())?;
    let csrf = Csrf::for_request(&req, &state);
    let fields = typed(&station, None, state.clock.now());
    let page = form_page(&req, lang, &state, &me, &csrf, &station, fields, new_token(), Vec::new(), &[]);
    Ok(csrf.apply(page))
}

/// `POST /supervise/stations/{id}/report`: checks, stores once per submission key,
/// and sends to the stored report (303).
pub async fn submit(
    SupervisorPage { req, lang, state, me, .. }: SupervisorPage,
    id: Id<crate::domain::station::Station>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let id = id.get();
    // Scope first: another district's station is "not found" before the body is read.
    let station = station_for(&state, &me, id)?;
    // With photos the form comes as an upload; without JavaScript or photos it may
    // also come as a plain form.
    let (form, photos, _place) = if is_multipart(&req) {
        let place = state.photos.admit()?;
        let upload = read_upload(&req, &state, payload, REPORT_PHOTOS).await?;
        (upload.form, upload.photos, Some(place))
    } else {
        let body = read_body(payload, MAX_BODY).await?;
        (checked_form(&req, &state, &body)?, Vec::new(), None)
    };
    let submission = form.get("submission").to_string();
    let sid = me.supervisor.id;
    // A retry of a form that was stored (its 303 lost on the way) finds its report.
    if is_token(&submission)
        && let Some(report) = state.store.report_for_submission(&submission, sid).await?
    {
        return Ok(to_report(report));
    }
    let now = state.clock.now();
    // Photos are kept under the form's key as they arrive: a form that comes back
    // with an error still has them.
    let mut photo_errors = Vec::new();
    if is_token(&submission) {
        for bytes in photos {
            match state.photos.convert(bytes).await {
                Ok(converted) => match state.store.add_report_photo(&submission, sid, &converted, now).await {
                    Ok(true) => {}
                    Ok(false) => {
                        photo_errors.push(FieldError { field: "photos", problem: "photos_full" });
                        break;
                    }
                    Err(e) if e.is_unavailable() => {
                        photo_errors.push(FieldError { field: "form", problem: "unavailable" });
                        break;
                    }
                    Err(e) => return Err(e.into()),
                },
                Err(AppError::Page(_, problem)) => photo_errors.push(FieldError { field: "photos", problem }),
                Err(e) => return Err(e),
            }
        }
    }
    let fields = typed(&station, Some(&form), now);
    let mut checked = fields.check(now);
    if form.bad_utf8 || !is_token(&submission) {
        let mut errors = checked.err().unwrap_or_default();
        errors.insert(0, FieldError { field: "form", problem: if form.bad_utf8 { "utf8" } else { "reload" } });
        checked = Err(errors);
    }
    if !photo_errors.is_empty() {
        let mut errors = checked.err().unwrap_or_default();
        errors.extend(photo_errors);
        checked = Err(errors);
    }
    let new = match checked {
        Ok(new) => new,
        Err(errors) => {
            // The form comes back filled in, with the reasons, the same submission key
            // and the photos received so far.
            let csrf = Csrf::for_request(&req, &state);
            let submission = if is_token(&submission) { submission } else { new_token() };
            let kept = state.store.form_photos(&submission, sid).await?;
            let page = form_page(&req, lang, &state, &me, &csrf, &station, fields, submission, errors, &kept);
            return html_page(StatusCode::BAD_REQUEST, &page);
        }
    };
    match state.store.submit_report(sid, station.id, &new, &submission, now).await {
        Ok(Some((report, _))) => Ok(to_report(report)),
        // The key is another's: this browser did not make it.
        Ok(None) => Err(AppError::Page(StatusCode::CONFLICT, "submission_taken")),
        Err(e) if e.is_unavailable() => {
            // Nothing was stored: the form comes back as typed, with its key and photos.
            tracing::warn!(error = %e, "report not stored: the database is unavailable");
            let csrf = Csrf::for_request(&req, &state);
            let kept = state.store.form_photos(&submission, sid).await?;
            let errors = vec![FieldError { field: "form", problem: "unavailable" }];
            let fields = typed(&station, Some(&form), now);
            let page = form_page(&req, lang, &state, &me, &csrf, &station, fields, submission, errors, &kept);
            unavailable_page(&page)
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /supervise/photos/{hash}/{file}`: a photo the signed-in supervisor took.
pub async fn photo(
    state: web::Data<AppState>,
    me: Supervising,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (hash, file) = path.into_inner();
    let size = photo_size(&file).ok_or(AppError::NotFound)?;
    if !is_hash(&hash) {
        return Err(AppError::NotFound);
    }
    let bytes = state.store.supervisor_photo(&hash, me.supervisor.id, size).await?.ok_or(AppError::NotFound)?;
    Ok(private_jpeg(bytes))
}

fn to_report(id: i64) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, format!("/supervise/reports/{id}?done=filed"))).finish()
}

#[derive(Template, WebTemplate)]
#[template(path = "supervise/report.html")]
struct ReportPage {
    ctx: PageCtx,
    me: SuperviseCtx,
    report: ReportView,
    filed_now: bool,
}

/// `GET /supervise/reports/{id}`: one of the supervisor's own reports.
pub async fn show(
    SupervisorPage { req, lang, state, me, .. }: SupervisorPage,
    id: Id<crate::store::Report>,
) -> Result<impl Responder, AppError> {
    let id = id.get();
    // Another supervisor's report is "not found": its existence is not leaked.
    let report = state.store.own_report(id, me.supervisor.id).await?.ok_or(AppError::NotFound)?;
    let csrf = Csrf::for_request(&req, &state);
    let filed_now = req.query_string().split('&').any(|p| p == "done=filed");
    let page = ReportPage {
        ctx: PageCtx::new(&req, lang, &state),
        me: SuperviseCtx::new(&req, lang, &me, &csrf),
        report: ReportView::new(lang, &state, &report)
            .with_photos(&state.store.report_photos(report.id).await?, "/supervise/photos/".into()),
        filed_now,
    };
    Ok(csrf.apply(page))
}
