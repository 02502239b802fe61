//! Posted forms: parsed by hand so that bad bytes never lose what the person typed,
//! the CSRF token that every form carries, and who is posting.

use std::net::IpAddr;

use actix_web::cookie::{Cookie, CookieJar, SameSite};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, Responder, web};
use futures_util::future::LocalBoxFuture;
use percent_encoding::percent_decode;

use super::error::AppError;
use crate::domain::staff::{is_token, new_token};
use crate::web::state::AppState;

/// An `application/x-www-form-urlencoded` body.
#[derive(Debug, Default)]
pub struct FormData {
    pairs: Vec<(String, String)>,
    /// Some value was not valid UTF-8 (it is kept, with replacement characters).
    pub bad_utf8: bool,
}

impl FormData {
    pub fn parse(body: &[u8]) -> FormData {
        let mut form = FormData::default();
        for part in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
            let (k, v) = match part.iter().position(|b| *b == b'=') {
                Some(i) => (&part[..i], &part[i + 1..]),
                None => (part, &[][..]),
            };
            let mut decode = |raw: &[u8]| {
                let plus: Vec<u8> = raw.iter().map(|b| if *b == b'+' { b' ' } else { *b }).collect();
                let bytes: Vec<u8> = percent_decode(&plus).collect();
                match String::from_utf8(bytes) {
                    Ok(s) => s,
                    Err(e) => {
                        form.bad_utf8 = true;
                        String::from_utf8_lossy(e.as_bytes()).into_owned()
                    }
                }
            };
            let (key, value) = (decode(k), decode(v));
            form.pairs.push((key, value));
        }
        form
    }

    /// A form from fields already read (the text fields of an upload).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> FormData {
        FormData { pairs, bad_utf8: false }
    }

    /// The first value of `key`, or "".
    pub fn get(&self, key: &str) -> &str {
        self.pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or_default()
    }

    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs.iter().filter(move |(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub fn has(&self, key: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == key)
    }
}

/// Cookie that holds the CSRF token (signed); forms echo its value in [`CSRF_FIELD`].
pub const CSRF_COOKIE: &str = "yz_csrf";
pub const CSRF_FIELD: &str = "csrf";

/// The CSRF token of this browser, made on its first form.
pub struct Csrf {
    pub token: String,
    new_cookie: Option<Cookie<'static>>,
}

/// Reads a signed cookie; `None` when absent or tampered with.
pub fn signed_cookie(req: &HttpRequest, state: &AppState, name: &str) -> Option<String> {
    let cookie = req.cookie(name)?;
    let mut jar = CookieJar::new();
    jar.add_original(cookie);
    jar.signed(&state.key).get(name).map(|c| c.value().to_string())
}

/// A signed cookie for `value`, HttpOnly, Secure when configured.
pub fn make_signed_cookie(state: &AppState, name: &'static str, value: String, same_site: SameSite) -> Cookie<'static> {
    let mut jar = CookieJar::new();
    let mut cookie = Cookie::new(name, value);
    cookie.set_path("/");
    cookie.set_http_only(true);
    cookie.set_same_site(same_site);
    cookie.set_secure(state.secure_cookies);
    jar.signed_mut(&state.key).add(cookie);
    jar.get(name).cloned().unwrap_or_else(|| Cookie::new(name, ""))
}

impl Csrf {
    pub fn for_request(req: &HttpRequest, state: &AppState) -> Csrf {
        match signed_cookie(req, state, CSRF_COOKIE).filter(|t| is_token(t)) {
            Some(token) => Csrf { token, new_cookie: None },
            None => {
                let token = new_token();
                let cookie = make_signed_cookie(state, CSRF_COOKIE, token.clone(), SameSite::Lax);
                Csrf { token, new_cookie: Some(cookie) }
            }
        }
    }

    /// The response, with the cookie when it is new.
    pub fn apply<R: Responder>(&self, responder: R) -> actix_web::CustomizeResponder<R> {
        let mut r = responder.customize();
        if let Some(c) = &self.new_cookie {
            r = r.add_cookie(c);
        }
        r
    }

    /// A posted form must echo this browser's token.
    pub fn verify(req: &HttpRequest, state: &AppState, form: &FormData) -> Result<(), AppError> {
        let sent = form.get(CSRF_FIELD);
        match signed_cookie(req, state, CSRF_COOKIE) {
            Some(token) if is_token(&token) && constant_time_eq(token.as_bytes(), sent.as_bytes()) => Ok(()),
            _ => Err(AppError::Page(actix_web::http::StatusCode::FORBIDDEN, "csrf")),
        }
    }
}

/// Whether the request says its body is a URL-encoded form (the only kind our forms send).
fn is_urlencoded(req: &HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
}

/// A posted form whose CSRF token matched: the only way a handler reads a
/// URL-encoded body (at most the app's `PayloadConfig` limit). actix-web runs a
/// handler's extractors side by side, so a request that fails both its role guard
/// and its token may be refused for either.
pub struct Posted(pub FormData);

impl std::ops::Deref for Posted {
    type Target = FormData;

    fn deref(&self) -> &FormData {
        &self.0
    }
}

impl FromRequest for Posted {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        // The body limit is the app's `PayloadConfig` (413 past it).
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let body = body.await?;
            let state =
                req.app_data::<web::Data<AppState>>().ok_or_else(|| AppError::Internal("no app state".into()))?;
            Ok(Posted(checked_form(&req, state, &body)?))
        })
    }
}

/// Parses a posted form and checks its CSRF token (403 when it does not match);
/// a body of another type (`text/plain` can be sent across sites without a
/// preflight) is refused with 415. Handlers take [`Posted`]; this is for a body
/// read another way (a report that may come as an upload or as a plain form).
pub(super) fn checked_form(req: &HttpRequest, state: &AppState, body: &[u8]) -> Result<FormData, AppError> {
    if !is_urlencoded(req) {
        return Err(AppError::Page(actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE, "media_type"));
    }
    let form = FormData::parse(body);
    Csrf::verify(req, state, &form)?;
    Ok(form)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The address a request came from: with `trust_proxy`, the rightmost `X-Forwarded-For`
/// address that is not a trusted proxy (see [`super::proxy`]); otherwise the peer.
pub fn client_ip(req: &HttpRequest, state: &AppState) -> Option<IpAddr> {
    client_from(req.peer_addr().map(|a| a.ip()), req.headers(), state)
}

/// [`client_ip`] from the parts of a request.
pub fn client_from(
    peer: Option<IpAddr>,
    headers: &actix_web::http::header::HeaderMap,
    state: &AppState,
) -> Option<IpAddr> {
    if !state.trust_proxy {
        return peer;
    }
    let forwarded = headers.get_all("x-forwarded-for").filter_map(|v| v.to_str().ok());
    super::proxy::client_address(peer, forwarded, &state.trusted_proxies)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_keep_text_through_bad_bytes() {
        let f = FormData::parse(b"body=%E4%BD%A0%E5%A5%BD+a&kind=praise&f=1&f=2&x");
        assert_eq!(f.get("body"), "你好 a");
        assert_eq!(f.all("f").collect::<Vec<_>>(), ["1", "2"]);
        assert!(f.has("x") && !f.bad_utf8);
        let bad = FormData::parse(b"body=ok%FF%FE&kind=praise");
        assert!(bad.bad_utf8);
        assert_eq!(bad.get("body"), "ok\u{FFFD}\u{FFFD}");
        assert_eq!(bad.get("kind"), "praise");
        assert!(FormData::parse(b"\xff\xfe=1").bad_utf8);
    }
}
