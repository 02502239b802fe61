//! What nearly every handler of an audience names, in one import: the request and its
//! answers, the state, the error, the language and the page frame, forms and their
//! token, ids, query values, redirects, rendering and the sign-in guards.

pub use actix_web::http::StatusCode;
pub use actix_web::{HttpRequest, HttpResponse, Responder, web};
pub use askama::Template;
pub use askama_web::WebTemplate;

pub use super::auth::{Admin, SignedIn, Supervising};
pub use super::error::AppError;
pub use super::forms::{Csrf, FormData, Posted};
pub use super::i18n::Lang;
pub use super::id::Id;
pub use super::page::{PageCtx, date_time};
pub use super::query::{page_param, param, query_pairs};
pub use super::redirect::see_other;
pub use super::render::html_page;
pub use super::state::AppState;
pub use super::views::Choice;
