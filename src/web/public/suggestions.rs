//! `GET /suggestions`: volunteer supervisors' suggestions (建言献策) that staff answered
//! and whose authors allowed publishing; named only if the author chose so.

use crate::store::PUBLIC_SUGGESTION_PAGE;
use crate::web::context::Page;
use crate::web::prelude::*;

/// A published suggestion as the public reads it.
pub struct PublicSuggestion {
    pub author: String,
    pub station: Option<(i64, String)>,
    pub body: String,
    pub answer: String,
    pub date: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "public/suggestions.html")]
struct SuggestionsPage {
    ctx: PageCtx,
    items: Vec<PublicSuggestion>,
    total: i64,
    page: u32,
    pages: u32,
    prev: Option<String>,
    next: Option<String>,
}

pub async fn page(Page { req, lang, state, .. }: Page) -> Result<impl Responder, AppError> {
    let pairs = query_pairs(&req)?;
    let page = page_param(&pairs)?;
    let (total, list) = state.store.public_suggestions(page).await?;
    let pages = ((total.max(0) as u64).div_ceil(u64::from(PUBLIC_SUGGESTION_PAGE))).max(1) as u32;
    if page >= pages {
        return Err(AppError::NotFound);
    }
    let snapshot = state.snapshot.load();
    let items = list
        .iter()
        .map(|g| PublicSuggestion {
            author: if g.show_name {
                lang.tf("suggestion.public_named", &[("name", &g.supervisor_name)])
            } else {
                lang.t("suggestion.public_anonymous").into_owned()
            },
            // Only a station the public can see is named.
            station: g
                .station_id
                .and_then(|id| snapshot.get(id))
                .filter(|e| e.station.is_public())
                .map(|e| (e.station.id, e.station.name.clone())),
            body: g.body.clone(),
            answer: g.answer.clone().unwrap_or_default(),
            date: crate::domain::hours::beijing_local(g.created_at).format("%Y-%m-%d").to_string(),
        })
        .collect();
    let link = |p: u32| if p == 0 { "/suggestions".to_string() } else { format!("/suggestions?page={}", p + 1) };
    Ok(SuggestionsPage {
        ctx: PageCtx::new(&req, lang, &state),
        items,
        total,
        page: page + 1,
        pages,
        prev: (page > 0).then(|| link(page - 1)),
        next: (page + 1 < pages).then(|| link(page + 1)),
    })
}
