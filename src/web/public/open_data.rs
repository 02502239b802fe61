//! `GET /open-data`: what the open data is, its fields and its licence.

use actix_web::{HttpRequest, Responder, get, web};
use askama::Template;
use askama_web::WebTemplate;

use crate::web::AppState;
use crate::web::i18n::Lang;
use crate::web::page::PageCtx;

#[derive(Template, WebTemplate)]
#[template(path = "public/open_data.html")]
struct OpenDataPage {
    ctx: PageCtx,
    stations: usize,
    version: i64,
}

#[get("/open-data")]
pub async fn page(req: HttpRequest, lang: Lang, state: web::Data<AppState>) -> impl Responder {
    let snapshot = state.snapshot.load();
    OpenDataPage { ctx: PageCtx::new(&req, lang, &state), stations: snapshot.public_count(), version: snapshot.version }
}
