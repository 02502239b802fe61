//! `/admin/proposals`: stations proposed by volunteer supervisors, for staff of the
//! district. "Check and add" opens the station form filled in from the proposal
//! (saving it adds the station and closes the proposal); or turn it down with a comment.

use super::AdminCtx;
use crate::domain::feedback::multi_line;
use crate::domain::followup::MAX_COMMENT_CHARS;
use crate::domain::station_fields::StationFields;
use crate::store::Proposal;
use crate::web::context::StaffPage;
use crate::web::prelude::*;

#[derive(Template, WebTemplate)]
#[template(path = "admin/proposals.html")]
struct ListPage {
    ctx: PageCtx,
    admin: AdminCtx,
    rows: Vec<(Proposal, String, String)>,
    error: Option<(i64, String)>,
}

async fn list_page(
    req: &HttpRequest,
    lang: Lang,
    state: &AppState,
    signed: &SignedIn,
    error: Option<(i64, String)>,
) -> Result<ListPage, AppError> {
    let rows = state
        .store
        .pending_proposals(signed.staff.role)
        .await?
        .into_iter()
        .map(|p| {
            let by = lang.tf("admin.proposals.by", &[("name", &p.supervisor_name), ("at", &date_time(p.created_at))]);
            let facilities =
                p.facilities.iter().map(|f| lang.label("facility", f).into_owned()).collect::<Vec<_>>().join("、");
            (p, by, facilities)
        })
        .collect();
    let csrf = Csrf::for_request(req, state);
    Ok(ListPage {
        ctx: PageCtx::new(req, lang, state),
        admin: AdminCtx::new(req, lang, state, signed, &csrf),
        rows,
        error,
    })
}

pub async fn list(StaffPage { req, lang, state, signed, csrf }: StaffPage) -> Result<impl Responder, AppError> {
    Ok(csrf.apply(list_page(&req, lang, &state, &signed, None).await?))
}

/// `POST /admin/proposals/{id}/reject` (`comment`): turned down, the author sees why.
pub async fn reject(
    StaffPage { req, lang, state, signed, .. }: StaffPage,
    id: Id<crate::store::Proposal>,
    form: Posted,
) -> Result<HttpResponse, AppError> {
    let id = id.get();
    let p = state.store.pending_proposal(id, signed.staff.role).await?.ok_or(AppError::NotFound)?;
    let comment = match multi_line(form.get("comment"), MAX_COMMENT_CHARS) {
        Ok(c) => c,
        Err(_) => {
            let message = lang.tf("admin.proposals.comment_needed", &[("max", &MAX_COMMENT_CHARS.to_string())]);
            return html_page(
                StatusCode::BAD_REQUEST,
                &list_page(&req, lang, &state, &signed, Some((id, message))).await?,
            );
        }
    };
    state.store.close_proposal(&p, None, &comment, &signed.staff, state.clock.now()).await?;
    Ok(see_other("/admin/proposals?done=proposal_rejected"))
}

/// The station form's fields from a proposal.
pub fn fields_of(p: &Proposal) -> StationFields {
    StationFields {
        name: p.name.clone(),
        district: p.district_code.clone(),
        address: p.address.clone(),
        lat: p.lat.clone(),
        lon: p.lon.clone(),
        datum: "wgs84".into(),
        precision: "approximate".into(),
        host: "other".into(),
        holiday_open: !p.hours.contains("PH off"),
        hours: p.hours.clone(),
        facilities: p.facilities.clone(),
        description: p.note.clone(),
        ..StationFields::default()
    }
}
