//! Staff review of supervisors' inspection reports (district-scoped like moderation):
//! accept (the station counts as checked on the visit date, and missing facilities
//! may be taken off it in the same step) or return with a comment.

use super::AdminCtx;
use crate::domain::card::inspection_failed;
use crate::domain::facility::FacilitySet;
use crate::domain::feedback::multi_line;
use crate::domain::filter::{ParamError, Problem};
use crate::domain::hours::beijing_local;
use crate::domain::inspection::{OpenAsListed, ReportState};
use crate::domain::photo::is_hash;
use crate::domain::station::{Station, Verifier};
use crate::domain::text::TextError;
use crate::store::{Acceptance, CardProblem, Report, Review, Reviewed};
use crate::web::context::StaffPage;
use crate::web::photos::{photo_size, private_jpeg};
use crate::web::prelude::*;
use crate::web::views::report::ReportView;
use crate::web::views::verified_line;

/// Longest staff comment on a returned report.
pub const MAX_COMMENT_CHARS: usize = 500;

/// A report as a row of the list, with what stands out.
pub struct Row {
    pub view: ReportView,
    /// "没有开门 · 2项缺失" in words; empty when all was well.
    pub problems: String,
}

/// What stands out in a report, in words ("没有开门 · 2项设施缺失").
pub fn problems(lang: Lang, r: &Report) -> String {
    let mut out = Vec::new();
    if r.open != OpenAsListed::Yes {
        out.push(lang.label("supervise.report.open_choice", r.open.key()).into_owned());
    }
    let missing = r.missing.iter().count();
    if missing > 0 {
        out.push(lang.tf("admin.reports.missing_n", &[("n", &missing.to_string())]));
    }
    let broken = r.broken.iter().count();
    if broken > 0 {
        out.push(lang.tf("admin.reports.broken_n", &[("n", &broken.to_string())]));
    }
    out.join(" · ")
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/reports.html")]
struct ListPage {
    ctx: PageCtx,
    admin: AdminCtx,
    states: Vec<Choice>,
    rows: Vec<Row>,
}

pub async fn list(StaffPage { req, lang, state, signed, csrf }: StaffPage) -> Result<impl Responder, AppError> {
    let pairs = query_pairs(&req)?;
    let raw = match param(&pairs, "state") {
        "" => "pending",
        s => s,
    };
    let filter = match raw {
        "all" => None,
        s => Some(ReportState::parse(s).ok_or_else(|| ParamError::new("state", s, Problem::BadValue))?),
    };
    let reports = state.store.reports_for(signed.staff.role, filter).await?;
    let rows =
        reports.iter().map(|r| Row { view: ReportView::new(lang, &state, r), problems: problems(lang, r) }).collect();
    let page = ListPage {
        ctx: PageCtx::new(&req, lang, &state),
        admin: AdminCtx::new(&req, lang, &state, &signed, &csrf),
        states: ["pending", "accepted", "returned", "all"]
            .iter()
            .map(|s| Choice { value: (*s).into(), label: lang.label("admin.reports.state", s), selected: *s == raw })
            .collect(),
        rows,
    };
    Ok(csrf.apply(page))
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/report.html")]
struct DetailPage {
    ctx: PageCtx,
    admin: AdminCtx,
    report: ReportView,
    pending: bool,
    /// Accepted: its photos may be shown on the station.
    accepted: bool,
    /// The facilities that accepting can take off the station (reported missing and
    /// still listed).
    removable: Vec<String>,
    /// The facilities that accepting can mark "not working for now" (reported broken
    /// and still listed).
    out_of_order: Vec<String>,
    /// What the station page will say once accepted.
    public_line: String,
    comment: String,
    error: Option<String>,
}

/// The station as accepting `r` leaves it: checked on the visit date (unless it was
/// checked later already), and with `apply` the missing facilities taken off and the
/// broken ones marked "not working for now".
fn accepted_station(before: &Station, r: &Report, apply: bool) -> Station {
    let mut after = before.clone();
    let visit = beijing_local(r.visited_at).date();
    if before.verified_on.is_none_or(|d| d <= visit) {
        after.verified_on = Some(visit);
        after.verified_by = Verifier::Supervisor { name: r.show_name.then(|| r.supervisor_name.clone()) };
    }
    if apply {
        after.facilities = before.facilities.without(r.missing);
        let broken = FacilitySet::from_bits(r.broken.bits() & after.facilities.bits());
        after.unavailable =
            FacilitySet::from_bits((before.unavailable.bits() | broken.bits()) & after.facilities.bits());
    }
    after
}

#[allow(clippy::too_many_arguments)]
async fn detail_page(
    req: &HttpRequest,
    lang: Lang,
    state: &AppState,
    signed: &SignedIn,
    csrf: &Csrf,
    r: &Report,
    comment: String,
    error: Option<String>,
) -> Result<DetailPage, AppError> {
    let snapshot = state.snapshot.load();
    let listed = snapshot.get(r.station_id).map(|e| e.station.facilities).unwrap_or_default();
    let verifier = Verifier::Supervisor { name: r.show_name.then(|| r.supervisor_name.clone()) };
    Ok(DetailPage {
        ctx: PageCtx::new(req, lang, state),
        admin: AdminCtx::new(req, lang, state, signed, csrf),
        report: ReportView::new(lang, state, r)
            .with_photos(&state.store.report_photos(r.id).await?, format!("/admin/reports/{}/photos/", r.id)),
        pending: r.state == ReportState::Pending,
        accepted: r.state == ReportState::Accepted,
        removable: r
            .missing
            .iter()
            .filter(|f| listed.contains(*f))
            .map(|f| lang.label("facility", f.key()).into_owned())
            .collect(),
        out_of_order: r
            .broken
            .iter()
            .filter(|f| listed.contains(*f))
            .map(|f| lang.label("facility", f.key()).into_owned())
            .collect(),
        public_line: verified_line(lang, &verifier, beijing_local(r.visited_at).date()),
        comment,
        error,
    })
}

pub async fn detail(
    StaffPage { req, lang, state, signed, .. }: StaffPage,
    id: Id<crate::store::Report>,
) -> Result<impl Responder, AppError> {
    let id = id.get();
    // Another district's report is "not found": its existence is not leaked.
    let r = state.store.report_for(id, signed.staff.role).await?.ok_or(AppError::NotFound)?;
    let csrf = Csrf::for_request(&req, &state);
    let page = detail_page(&req, lang, &state, &signed, &csrf, &r, String::new(), None).await?;
    Ok(csrf.apply(page))
}

/// Accept (optionally applying the facility findings) or return with a comment.
pub async fn decide(
    StaffPage { req, lang, state, signed, .. }: StaffPage,
    id: Id<crate::store::Report>,
    form: Posted,
) -> Result<HttpResponse, AppError> {
    let id = id.get();
    let r = state.store.report_for(id, signed.staff.role).await?.ok_or(AppError::NotFound)?;
    let (review, station) = match form.get("action") {
        "accept" => {
            let before = state.store.station(r.station_id).await?.ok_or(AppError::NotFound)?;
            let after = accepted_station(&before, &r, form.has("apply"));
            (Review::Accept, Some((before, after)))
        }
        "return" => match multi_line(form.get("comment"), MAX_COMMENT_CHARS) {
            Ok(c) => (Review::Return(c), None),
            Err(e) => {
                let key = match e {
                    TextError::Empty => "admin.reports.comment_needed",
                    TextError::TooLong(_) => "admin.reports.comment_long",
                    _ => "supervise.report.error.control",
                };
                let message = lang.tf(key, &[("max", &MAX_COMMENT_CHARS.to_string())]);
                let csrf = Csrf::for_request(&req, &state);
                let comment = form.get("comment").to_string();
                let page = detail_page(&req, lang, &state, &signed, &csrf, &r, comment, Some(message)).await?;
                return html_page(StatusCode::BAD_REQUEST, &page);
            }
        },
        other => return Err(ParamError::new("action", other, Problem::BadValue).into()),
    };
    let pair = station.as_ref().map(|(b, a)| (b, a));
    // Accepting verifies the follow-ups marked fixed when the inspection passed, and may
    // raise a card: in the review's own transaction.
    let verified = Lang::Zh.tf("followup.verified_by_report", &[("id", &r.id.to_string())]);
    let [failed, closed] = super::cards::problem_texts();
    let card = CardProblem { failed_inspections: &failed, closed_reports: &closed };
    let acceptance = (review == Review::Accept).then(|| Acceptance {
        verify_fixed: (!inspection_failed(r.open, r.checked, r.missing, r.broken)).then_some(verified.as_str()),
        card: &card,
    });
    let done =
        match state.store.review_report_then(id, &review, pair, &signed.staff, state.clock.now(), acceptance).await? {
            Reviewed::Done => {
                // The station, a card closed with a verified follow-up or a card raised:
                // 整改中 and the page follow at once.
                if station.is_some() || review == Review::Accept {
                    state.show_writes().await;
                }
                if review == Review::Accept { "accepted" } else { "returned" }
            }
            Reviewed::AlreadyReviewed => "nothing",
            Reviewed::Conflict => "conflict",
            Reviewed::NotFound => return Err(AppError::NotFound),
        };
    Ok(see_other(&format!("/admin/reports/{id}?done={done}")))
}

/// `GET /admin/reports/{id}/photos/{hash}/{file}`: a photo of a report this person may see.
pub async fn photo(
    state: web::Data<AppState>,
    signed: SignedIn,
    id: Id<crate::store::Report>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, AppError> {
    let (_, hash, file) = path.into_inner();
    let id = id.get();
    let size = photo_size(&file).ok_or(AppError::NotFound)?;
    if !is_hash(&hash) {
        return Err(AppError::NotFound);
    }
    // Another district's report is "not found", and so are its photos.
    state.store.report_for(id, signed.staff.role).await?.ok_or(AppError::NotFound)?;
    let bytes = state.store.report_photo_bytes(id, &hash, size).await?.ok_or(AppError::NotFound)?;
    Ok(private_jpeg(bytes))
}
