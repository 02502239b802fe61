//! One request context for pages, instead of long argument lists: the request, its
//! language, the state and the CSRF token its forms carry (`csrf.apply` sets the
//! cookie on the answer when it is new), and for signed-in pages who is signed in.
//! A handler takes one of these, destructured in its signature.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};

use super::auth::{SignedIn, Supervising};
use super::error::AppError;
use super::forms::Csrf;
use super::i18n::{Lang, lang_of};
use super::state::AppState;

/// A public page's request.
pub struct Page {
    pub req: HttpRequest,
    pub lang: Lang,
    pub state: web::Data<AppState>,
    pub csrf: Csrf,
}

impl Page {
    fn of(req: &HttpRequest) -> Result<Page, AppError> {
        let state =
            req.app_data::<web::Data<AppState>>().cloned().ok_or_else(|| AppError::Internal("no state".into()))?;
        let csrf = Csrf::for_request(req, &state);
        Ok(Page { req: req.clone(), lang: lang_of(req), state, csrf })
    }
}

impl FromRequest for Page {
    type Error = AppError;
    type Future = std::future::Ready<Result<Page, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Page::of(req))
    }
}

/// A staff page's request: a [`Page`] and the signed-in staff member.
pub struct StaffPage {
    pub req: HttpRequest,
    pub lang: Lang,
    pub state: web::Data<AppState>,
    pub signed: SignedIn,
    pub csrf: Csrf,
}

impl FromRequest for StaffPage {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<StaffPage, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let page = Page::of(req);
        let signed = SignedIn::from_request(req, payload);
        Box::pin(async move {
            let signed = signed.await?;
            let Page { req, lang, state, csrf } = page?;
            Ok(StaffPage { req, lang, state, signed, csrf })
        })
    }
}

/// A supervisor page's request: a [`Page`] and the signed-in supervisor.
pub struct SupervisorPage {
    pub req: HttpRequest,
    pub lang: Lang,
    pub state: web::Data<AppState>,
    pub me: Supervising,
    pub csrf: Csrf,
}

impl FromRequest for SupervisorPage {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<SupervisorPage, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let page = Page::of(req);
        let me = Supervising::from_request(req, payload);
        Box::pin(async move {
            let me = me.await?;
            let Page { req, lang, state, csrf } = page?;
            Ok(SupervisorPage { req, lang, state, me, csrf })
        })
    }
}
