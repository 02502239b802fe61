//! The pages a phone keeps to answer without a signal: `/offline`, the stations of
//! the districts saved on the phone, and `/feedback/outbox`, feedback written without
//! a signal and waiting to be sent. The service worker (`static/sw.js`) keeps both
//! with the release's shell; `static/offline.js` fills them from what the phone
//! kept. The server sends only their words, so they read the same offline.

use crate::web::context::Page;
use crate::web::prelude::*;
use crate::web::views::offline::words;

#[derive(Template, WebTemplate)]
#[template(path = "public/offline.html")]
struct OfflinePage {
    ctx: PageCtx,
    words: String,
}

/// `GET /offline`: the saved districts' stations, what is open by their saved hours.
pub async fn page(Page { req, lang, state, .. }: Page) -> impl Responder {
    OfflinePage { ctx: PageCtx::new(&req, lang, &state), words: words(lang) }
}

#[derive(Template, WebTemplate)]
#[template(path = "feedback/outbox.html")]
struct OutboxPage {
    ctx: PageCtx,
    words: String,
    /// Come from a form just kept (`?saved=1`): say so first.
    saved: bool,
}

/// `GET /feedback/outbox`: the feedback kept on this phone, waiting for a signal or
/// refused with its reason, to send, change or delete.
pub async fn outbox(Page { req, lang, state, .. }: Page) -> impl Responder {
    let saved = req.query_string().split('&').any(|p| p == "saved=1");
    OutboxPage { ctx: PageCtx::new(&req, lang, &state), words: words(lang), saved }
}
