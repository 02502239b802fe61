//! `/supervise`: a supervisor's home.

use actix_web::{HttpRequest, Responder, get, web};
use askama::Template;
use askama_web::WebTemplate;

use super::SuperviseCtx;
use crate::web::AppState;
use crate::web::auth::Supervising;
use crate::web::error::AppError;
use crate::web::forms::Csrf;
use crate::web::i18n::Lang;
use crate::web::page::PageCtx;

#[derive(Template, WebTemplate)]
#[template(path = "supervise/home.html")]
struct HomePage {
    ctx: PageCtx,
    me: SuperviseCtx,
}

#[get("/supervise")]
pub async fn page(
    req: HttpRequest,
    lang: Lang,
    state: web::Data<AppState>,
    me: Supervising,
) -> Result<impl Responder, AppError> {
    let csrf = Csrf::for_request(&req, &state);
    let page = HomePage { ctx: PageCtx::new(&req, lang, &state), me: SuperviseCtx::new(&req, lang, &me, &csrf) };
    Ok(csrf.apply(page))
}
