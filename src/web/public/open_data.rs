//! `GET /open-data`: what the open data is, its fields and its licence.

use crate::web::context::Page;
use crate::web::prelude::*;

#[derive(Template, WebTemplate)]
#[template(path = "public/open_data.html")]
struct OpenDataPage {
    ctx: PageCtx,
    stations: usize,
    version: i64,
}

pub async fn page(Page { req, lang, state, .. }: Page) -> impl Responder {
    let snapshot = state.snapshot.load();
    OpenDataPage { ctx: PageCtx::new(&req, lang, &state), stations: snapshot.public_count(), version: snapshot.version }
}
