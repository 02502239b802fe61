//! Volunteer supervisors as staff look after them: the list of a district's
//! supervisors, one-time invite links naming their districts, and suspension.

use super::{AdminCtx, district_choices};
use crate::domain::district::District;
use crate::domain::filter::{ParamError, Problem};
use crate::domain::staff::{INVITE_SECONDS, new_token};
use crate::domain::supervisor::Supervisor;
use crate::web::context::StaffPage;
use crate::web::prelude::*;
use crate::web::views::district_names;

/// A supervisor as a row of the list.
pub struct Row {
    pub id: i64,
    pub name: String,
    pub username: String,
    pub occupation: String,
    pub phone: String,
    pub districts: String,
    pub suspended: bool,
}

fn row(lang: Lang, s: &Supervisor) -> Row {
    Row {
        id: s.id,
        name: s.display_name.clone(),
        username: s.username.clone(),
        occupation: lang.label("supervise.occupation", s.occupation.key()).into_owned(),
        phone: s.phone.clone(),
        districts: district_names(lang, &s.districts),
        suspended: s.suspended,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/supervisors.html")]
struct SupervisorsPage {
    ctx: PageCtx,
    admin: AdminCtx,
    rows: Vec<Row>,
    /// The district filter (city administrators only).
    filter: Vec<Choice>,
    /// The districts an invite may name, checked as typed.
    districts: Vec<Choice>,
    invite_link: Option<String>,
    error: Option<String>,
}

async fn supervisors_page(
    req: &HttpRequest,
    lang: Lang,
    state: &AppState,
    signed: &SignedIn,
    csrf: &Csrf,
    checked: &[&str],
) -> Result<SupervisorsPage, AppError> {
    let pairs = query_pairs(req)?;
    let role = signed.staff.role;
    let district_raw = param(&pairs, "district");
    let only = match district_raw {
        "" => None,
        raw => Some(District::parse(raw).ok_or_else(|| ParamError::new("district", raw, Problem::UnknownDistrict))?),
    };
    let rows = state
        .store
        .supervisors_for(role)
        .await?
        .iter()
        .filter(|s| only.is_none_or(|d| s.covers(d)))
        .map(|s| row(lang, s))
        .collect();
    let mut districts = district_choices(lang, role, "");
    // District staff invite for their own district: it is ticked already.
    for c in &mut districts {
        c.selected = checked.contains(&c.value.as_ref()) || !role.is_admin();
    }
    Ok(SupervisorsPage {
        ctx: PageCtx::new(req, lang, state),
        admin: AdminCtx::new(req, lang, state, signed, csrf),
        rows,
        filter: if role.is_admin() { district_choices(lang, role, district_raw) } else { Vec::new() },
        districts,
        invite_link: None,
        error: None,
    })
}

pub async fn list(StaffPage { req, lang, state, signed, csrf }: StaffPage) -> Result<impl Responder, AppError> {
    let page = supervisors_page(&req, lang, &state, &signed, &csrf, &[]).await?;
    Ok(csrf.apply(page))
}

/// Makes a one-time invite link (valid 72 hours) for a supervisor of the ticked
/// districts (those the staff member looks after) and shows it once.
pub async fn invite(
    StaffPage { req, lang, state, signed, .. }: StaffPage,
    form: Posted,
) -> Result<HttpResponse, AppError> {
    let role = signed.staff.role;
    let mut districts = Vec::new();
    for raw in form.all("district") {
        let d = District::parse(raw).ok_or_else(|| ParamError::new("district", raw, Problem::UnknownDistrict))?;
        // Another district's supervisors are not this staff member's to appoint.
        if !role.covers(d) {
            return Err(AppError::NotFound);
        }
        districts.push(d);
    }
    let csrf = Csrf::for_request(&req, &state);
    let checked: Vec<&str> = form.all("district").collect();
    let mut page = supervisors_page(&req, lang, &state, &signed, &csrf, &checked).await?;
    if districts.is_empty() {
        page.error = Some(lang.t("admin.supervisors.choose_district").into_owned());
        return html_page(StatusCode::BAD_REQUEST, &page);
    }
    let token = new_token();
    state
        .store
        .create_supervisor_invite(&token, &districts, signed.staff.id, state.clock.now(), INVITE_SECONDS)
        .await?;
    // Never from the request's Host or forwarded headers: the client writes those.
    page.invite_link = Some(format!("{}/supervise/join/{token}", state.public_url));
    html_page(StatusCode::OK, &page)
}

/// Suspends a supervisor (their sessions end at once) or lifts the suspension.
pub async fn set_status(
    state: web::Data<AppState>,
    signed: SignedIn,
    id: Id<crate::domain::supervisor::Supervisor>,
    form: Posted,
) -> Result<HttpResponse, AppError> {
    let id = id.get();
    let supervisor = state.store.supervisor(id).await?.ok_or(AppError::NotFound)?;
    if !supervisor.managed_by(signed.staff.role) {
        return Err(AppError::NotFound);
    }
    let suspend = match form.get("action") {
        "suspend" => true,
        "reinstate" => false,
        other => return Err(ParamError::new("action", other, Problem::BadValue).into()),
    };
    let changed = state.store.set_supervisor_suspended(id, suspend, signed.staff.id, state.clock.now()).await?;
    let done = match (changed, suspend) {
        (false, _) => "nothing",
        (true, true) => "suspended",
        (true, false) => "reinstated",
    };
    Ok(see_other(&format!("/admin/supervisors?done={done}")))
}
