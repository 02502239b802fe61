//! How a request chooses its language: the `lang` cookie, then Accept-Language. The
//! language itself and its texts live below the web layer, in `crate::i18n`.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, http::header};

pub use crate::i18n::Lang;

/// Name of the cookie that keeps the chosen language.
pub const LANG_COOKIE: &str = "lang";

/// The language of a request: the cookie, then Accept-Language; Chinese when neither
/// says otherwise.
pub fn lang_of(req: &HttpRequest) -> Lang {
    if let Some(lang) = req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value())) {
        return lang;
    }
    let accept = req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let first = accept.split(',').next().unwrap_or_default().trim().to_ascii_lowercase();
    if first.starts_with("en") { Lang::En } else { Lang::Zh }
}

impl FromRequest for Lang {
    type Error = actix_web::Error;
    type Future = Ready<Result<Lang, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(lang_of(req)))
    }
}
