//! `GET /lang/{code}?next=/path`: remember the reader's language and go back.

use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};

use crate::domain::filter::parse_pairs;
use crate::web::error::AppError;
use crate::web::i18n::{LANG_COOKIE, Lang};

#[get("/lang/{code}")]
pub async fn switch(req: HttpRequest, code: web::Path<String>) -> Result<HttpResponse, AppError> {
    let lang = Lang::parse(&code).ok_or(AppError::NotFound)?;
    let pairs = parse_pairs(req.query_string())?;
    // Only a path on this site: never "//host" or "https://…".
    let next = pairs
        .iter()
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.as_str())
        .filter(|v| v.starts_with('/') && !v.starts_with("//") && !v.contains('\\'))
        .unwrap_or("/");
    let cookie = Cookie::build(LANG_COOKIE, lang.code())
        .path("/")
        .max_age(Duration::days(365))
        .same_site(SameSite::Lax)
        .http_only(true)
        .finish();
    Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, next.to_string())).cookie(cookie).finish())
}
