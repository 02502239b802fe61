//! `GET /lang/{code}?next=/path`: remember the reader's language and go back.

use crate::web::prelude::*;
use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::http::header;

use crate::domain::filter::parse_pairs;
use crate::web::i18n::LANG_COOKIE;
use crate::web::redirect::local_target;

pub async fn switch(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::parse(&code).ok_or(AppError::NotFound)?;
    let pairs = parse_pairs(req.query_string())?;
    let next = pairs.iter().find(|(k, _)| k == "next").map(|(_, v)| v.as_str()).unwrap_or_default();
    let next = local_target(next, "/", "/");
    let cookie = Cookie::build(LANG_COOKIE, lang.code())
        .path("/")
        .max_age(Duration::days(365))
        .same_site(SameSite::Lax)
        .http_only(true)
        .secure(state.secure_cookies)
        .finish();
    Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, next)).cookie(cookie).finish())
}
