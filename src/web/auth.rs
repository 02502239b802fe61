//! Sign-in of staff and of volunteer supervisors: a signed, HttpOnly session cookie
//! whose token is looked up in the database, so any instance sharing the database and
//! key knows the session. The two kinds of account have their own cookies and tables:
//! a supervisor's session never opens a staff page.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use super::error::AppError;
use super::forms::{make_signed_cookie, signed_cookie};
use crate::domain::staff::{Staff, is_token};
use crate::domain::supervisor::Supervisor;
use crate::web::state::AppState;

pub const SESSION_COOKIE: &str = "yz_staff";
/// The session cookie of a volunteer supervisor.
pub const SUPERVISOR_COOKIE: &str = "yz_supervisor";

/// The signed-in staff member; handlers that take it are for staff only.
#[derive(Clone)]
pub struct SignedIn {
    pub staff: Staff,
    pub token: String,
}

/// The session cookie for a new session token.
pub fn session_cookie(state: &AppState, token: String) -> Cookie<'static> {
    make_signed_cookie(state, SESSION_COOKIE, token, SameSite::Strict)
}

/// A cookie that removes the session cookie.
pub fn clear_session_cookie(state: &AppState) -> Cookie<'static> {
    let mut c = session_cookie(state, String::new());
    c.make_removal();
    c
}

/// Where to send someone who is not signed in: the login page, then back here.
fn login_redirect(req: &HttpRequest) -> AppError {
    AppError::LoginRequired(super::page::here(req))
}

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<SignedIn, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Checked once by the route table's guard, which keeps it for the handler.
        if let Some(signed) = req.extensions().get::<SignedIn>().cloned() {
            return Box::pin(async move { Ok(signed) });
        }
        let req = req.clone();
        Box::pin(async move {
            let state = req.app_data::<web::Data<AppState>>().ok_or(AppError::Internal("no state".into()))?;
            let Some(token) = signed_cookie(&req, state, SESSION_COOKIE).filter(|t| is_token(t)) else {
                return Err(staff_or_refuse(&req, state).await);
            };
            match state.store.session_staff(&token, state.clock.now()).await? {
                Some(staff) => Ok(SignedIn { staff, token }),
                None => Err(staff_or_refuse(&req, state).await),
            }
        })
    }
}

/// Refuses a signed-in supervisor on a staff page (403 with a link to their own
/// pages) rather than offering them the staff login.
async fn staff_or_refuse(req: &HttpRequest, state: &AppState) -> AppError {
    let supervisor = match signed_cookie(req, state, SUPERVISOR_COOKIE).filter(|t| is_token(t)) {
        Some(token) => state.store.session_supervisor(&token, state.clock.now()).await.ok().flatten(),
        None => None,
    };
    match supervisor {
        Some(_) => AppError::Page(actix_web::http::StatusCode::FORBIDDEN, "staff_only"),
        None => login_redirect(req),
    }
}

/// The signed-in volunteer supervisor; handlers that take it are for supervisors only.
/// A suspended account has no session: its next request is signed out.
#[derive(Clone)]
pub struct Supervising {
    pub supervisor: Supervisor,
    pub token: String,
}

/// The session cookie of a supervisor's new session token.
pub fn supervisor_cookie(state: &AppState, token: String) -> Cookie<'static> {
    make_signed_cookie(state, SUPERVISOR_COOKIE, token, SameSite::Strict)
}

/// A cookie that removes the supervisor's session cookie.
pub fn clear_supervisor_cookie(state: &AppState) -> Cookie<'static> {
    let mut c = supervisor_cookie(state, String::new());
    c.make_removal();
    c
}

impl FromRequest for Supervising {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Supervising, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(me) = req.extensions().get::<Supervising>().cloned() {
            return Box::pin(async move { Ok(me) });
        }
        let req = req.clone();
        Box::pin(async move {
            let state = req.app_data::<web::Data<AppState>>().ok_or(AppError::Internal("no state".into()))?;
            let Some(token) = signed_cookie(&req, state, SUPERVISOR_COOKIE).filter(|t| is_token(t)) else {
                return Err(login_redirect(&req));
            };
            match state.store.session_supervisor(&token, state.clock.now()).await? {
                Some(supervisor) => Ok(Supervising { supervisor, token }),
                None => Err(login_redirect(&req)),
            }
        })
    }
}

/// A signed-in city administrator; district staff get "not found" (nothing leaks).
pub struct Admin(pub SignedIn);

impl FromRequest for Admin {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Admin, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let signed_in = SignedIn::from_request(req, payload);
        Box::pin(async move {
            let s = signed_in.await?;
            if s.staff.role.is_admin() { Ok(Admin(s)) } else { Err(AppError::NotFound) }
        })
    }
}
