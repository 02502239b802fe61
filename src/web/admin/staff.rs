//! For city administrators: staff accounts and invite links.

use super::{AdminCtx, district_choices, role_label};
use crate::domain::district::District;
use crate::domain::filter::{ParamError, Problem};
use crate::domain::staff::{INVITE_SECONDS, Role, new_token};
use crate::web::context::Page;
use crate::web::prelude::*;

#[derive(Template, WebTemplate)]
#[template(path = "admin/staff.html")]
struct StaffPage {
    ctx: PageCtx,
    admin: AdminCtx,
    people: Vec<(String, String, String)>,
    districts: Vec<Choice>,
    invite_link: Option<String>,
}

async fn staff_page(
    req: &HttpRequest,
    lang: Lang,
    state: &AppState,
    admin: &Admin,
    invite_link: Option<String>,
) -> Result<StaffPage, AppError> {
    let people = state
        .store
        .all_staff()
        .await?
        .into_iter()
        .map(|s| (s.username, s.display_name, role_label(lang, s.role)))
        .collect();
    let csrf = Csrf::for_request(req, state);
    Ok(StaffPage {
        ctx: PageCtx::new(req, lang, state),
        admin: AdminCtx::new(req, lang, state, &admin.0, &csrf),
        people,
        districts: district_choices(lang, Role::CityAdmin, ""),
        invite_link,
    })
}

pub async fn list(Page { req, lang, state, csrf }: Page, admin: Admin) -> Result<impl Responder, AppError> {
    Ok(csrf.apply(staff_page(&req, lang, &state, &admin, None).await?))
}

/// Makes a one-time invite link (valid 72 hours) and shows it once.
pub async fn invite(Page { req, lang, state, .. }: Page, admin: Admin, form: Posted) -> Result<HttpResponse, AppError> {
    let role = match form.get("role") {
        "city_admin" => Role::CityAdmin,
        "district_staff" => Role::DistrictStaff(
            District::parse(form.get("district"))
                .ok_or_else(|| ParamError::new("district", form.get("district"), Problem::UnknownDistrict))?,
        ),
        other => return Err(ParamError::new("role", other, Problem::BadValue).into()),
    };
    let token = new_token();
    state.store.create_invite(&token, role, admin.0.staff.id, state.clock.now(), INVITE_SECONDS).await?;
    // Never from the request's Host or forwarded headers: the client writes those.
    let link = format!("{}/invite/{token}", state.public_url);
    let page = staff_page(&req, lang, &state, &admin, Some(link)).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(page.render()?))
}
