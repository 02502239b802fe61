//! Signing in and out, changing one's password, and accepting an invite.

use std::sync::LazyLock;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Responder, get, post, web};
use askama::Template;
use askama_web::WebTemplate;

use super::{AdminCtx, param, query_pairs, role_label, see_other};
use crate::domain::hours::beijing_local;
use crate::domain::staff::{
    SESSION_SECONDS, Staff, check_password, check_username, hash_password, is_token, new_token, verify_password,
};
use crate::store::LoginCheck;
use crate::web::AppState;
use crate::web::auth::{SignedIn, clear_session_cookie, session_cookie};
use crate::web::error::AppError;
use crate::web::forms::{Csrf, checked_form};
use crate::web::i18n::Lang;
use crate::web::page::{PageCtx, html_page};
use crate::web::redirect::local_target;

/// Checked against when the username does not exist, so that a wrong name takes as
/// long as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_password("not a real password").unwrap_or_default());

/// argon2 is slow on purpose: run it off the request threads.
async fn verify(password: String, hash: String) -> bool {
    web::block(move || verify_password(&password, &hash)).await.unwrap_or(false)
}

async fn hash(password: String) -> Result<String, AppError> {
    web::block(move || hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(AppError::Internal)
}

/// Only our own staff pages are places to return to after login.
fn safe_next(raw: &str) -> String {
    local_target(raw, "/admin", "/admin")
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/login.html")]
struct LoginPage {
    ctx: PageCtx,
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
}

fn login_page(
    req: &HttpRequest,
    lang: Lang,
    state: &AppState,
    csrf: &Csrf,
    next: String,
    username: String,
    error: Option<String>,
) -> LoginPage {
    LoginPage { ctx: PageCtx::new(req, lang, state), csrf: csrf.token.clone(), next, username, error }
}

#[get("/admin/login")]
pub async fn login_form(req: HttpRequest, lang: Lang, state: web::Data<AppState>) -> Result<impl Responder, AppError> {
    let pairs = query_pairs(&req)?;
    let csrf = Csrf::for_request(&req, &state);
    let page = login_page(&req, lang, &state, &csrf, safe_next(param(&pairs, "next")), String::new(), None);
    Ok(csrf.apply(page))
}

/// Starts a session for `staff`: a new session id every time (never one the browser brought).
async fn start_session(state: &AppState, staff: &Staff, to: &str) -> Result<HttpResponse, AppError> {
    let token = new_token();
    state.store.open_session(staff.id, &token, state.clock.now(), SESSION_SECONDS).await?;
    let mut res = see_other(to);
    res.add_cookie(&session_cookie(state, token)).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(res)
}

#[post("/admin/login")]
pub async fn login(
    req: HttpRequest,
    lang: Lang,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = checked_form(&req, &state, &body)?;
    let next = safe_next(form.get("next"));
    let username = form.get("username").trim().to_ascii_lowercase();
    let password = form.get("password").to_string();
    let now = state.clock.now();
    let refuse = |status: StatusCode, message: String| -> Result<HttpResponse, AppError> {
        let csrf = Csrf::for_request(&req, &state);
        let page = login_page(&req, lang, &state, &csrf, next.clone(), username.clone(), Some(message));
        html_page(status, &page)
    };
    let locked =
        |until: i64| lang.tf("admin.login.locked", &[("until", &beijing_local(until).format("%H:%M").to_string())]);
    match state.store.login_check(&username, now).await? {
        LoginCheck::Locked { until } => refuse(StatusCode::TOO_MANY_REQUESTS, locked(until)),
        LoginCheck::NoSuchUser => {
            verify(password, DUMMY_HASH.clone()).await;
            refuse(StatusCode::UNAUTHORIZED, lang.t("admin.login.wrong").into_owned())
        }
        LoginCheck::Account { staff, password_hash } => {
            if verify(password, password_hash).await {
                return start_session(&state, &staff, &next).await;
            }
            if state.store.login_failed(staff.id, now).await? {
                tracing::warn!(username, "account locked after repeated failed logins");
                let until = now + crate::domain::staff::LOCK_SECONDS;
                return refuse(StatusCode::TOO_MANY_REQUESTS, locked(until));
            }
            refuse(StatusCode::UNAUTHORIZED, lang.t("admin.login.wrong").into_owned())
        }
    }
}

#[post("/admin/logout")]
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed: SignedIn,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    checked_form(&req, &state, &body)?;
    state.store.close_session(&signed.token).await?;
    let mut res = see_other("/admin/login");
    res.add_cookie(&clear_session_cookie(&state)).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(res)
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/password.html")]
struct PasswordPage {
    ctx: PageCtx,
    admin: AdminCtx,
    error: Option<String>,
}

#[get("/admin/password")]
pub async fn password_form(
    req: HttpRequest,
    lang: Lang,
    state: web::Data<AppState>,
    signed: SignedIn,
) -> Result<impl Responder, AppError> {
    let csrf = Csrf::for_request(&req, &state);
    let page = PasswordPage {
        ctx: PageCtx::new(&req, lang, &state),
        admin: AdminCtx::new(&req, lang, &signed, &csrf),
        error: None,
    };
    Ok(csrf.apply(page))
}

#[post("/admin/password")]
pub async fn change_password(
    req: HttpRequest,
    lang: Lang,
    state: web::Data<AppState>,
    signed: SignedIn,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = checked_form(&req, &state, &body)?;
    let (current, new, again) = (form.get("current"), form.get("new"), form.get("again"));
    let stored = state.store.password_hash(signed.staff.id).await?.unwrap_or_default();
    let problem = if !verify(current.to_string(), stored).await {
        Some("current_wrong")
    } else if new != again {
        Some("mismatch")
    } else {
        check_password(new).err()
    };
    if let Some(key) = problem {
        let csrf = Csrf::for_request(&req, &state);
        let page = PasswordPage {
            ctx: PageCtx::new(&req, lang, &state),
            admin: AdminCtx::new(&req, lang, &signed, &csrf),
            error: Some(lang.t(&format!("staff.{key}")).into_owned()),
        };
        return html_page(StatusCode::BAD_REQUEST, &page);
    }
    let hashed = hash(new.to_string()).await?;
    state.store.set_password(signed.staff.id, &hashed, &signed.token).await?;
    Ok(see_other("/admin/password?done=password"))
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/invite.html")]
struct InvitePage {
    ctx: PageCtx,
    csrf: String,
    token: String,
    role: String,
    username: String,
    display_name: String,
    error: Option<String>,
}

/// The invite behind a link, or the page that says why it cannot be used.
async fn live_invite(state: &AppState, token: &str) -> Result<crate::store::Invite, AppError> {
    if !is_token(token) {
        return Err(AppError::Page(StatusCode::NOT_FOUND, "invite_unknown"));
    }
    let invite = state.store.invite(token).await?.ok_or(AppError::Page(StatusCode::NOT_FOUND, "invite_unknown"))?;
    if invite.used_at.is_some() {
        return Err(AppError::Page(StatusCode::GONE, "invite_used"));
    }
    if invite.expires_at <= state.clock.now() {
        return Err(AppError::Page(StatusCode::GONE, "invite_expired"));
    }
    Ok(invite)
}

#[get("/invite/{token}")]
pub async fn invite_form(
    req: HttpRequest,
    lang: Lang,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<impl Responder, AppError> {
    let invite = live_invite(&state, &token).await?;
    let csrf = Csrf::for_request(&req, &state);
    let page = InvitePage {
        ctx: PageCtx::new(&req, lang, &state),
        csrf: csrf.token.clone(),
        token: token.into_inner(),
        role: role_label(lang, invite.role),
        username: String::new(),
        display_name: String::new(),
        error: None,
    };
    Ok(csrf.apply(page))
}

#[post("/invite/{token}")]
pub async fn accept_invite(
    req: HttpRequest,
    lang: Lang,
    state: web::Data<AppState>,
    token: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = checked_form(&req, &state, &body)?;
    let invite = live_invite(&state, &token).await?;
    let display_name = crate::domain::text::single_line(form.get("display_name"), 40);
    let username = check_username(form.get("username"));
    let problem = match (&username, &display_name) {
        (Err(e), _) => Some(*e),
        (_, Err(_)) => Some("display_name"),
        (Ok(u), _) if state.store.username_taken(u).await? => Some("username_taken"),
        _ if form.get("password") != form.get("again") => Some("mismatch"),
        _ => check_password(form.get("password")).err(),
    };
    let accepted = match (problem, username.as_ref(), display_name.as_ref()) {
        (None, Ok(u), Ok(d)) => {
            let hashed = hash(form.get("password").to_string()).await?;
            state.store.accept_invite(&token, u, d, &hashed, state.clock.now()).await?
        }
        _ => None,
    };
    match accepted {
        Some(staff) => start_session(&state, &staff, "/admin").await,
        None => {
            // Used in the meantime: say so. Otherwise the form comes back filled in.
            let problem = problem.unwrap_or("username_taken");
            live_invite(&state, &token).await?;
            let csrf = Csrf::for_request(&req, &state);
            let page = InvitePage {
                ctx: PageCtx::new(&req, lang, &state),
                csrf: csrf.token.clone(),
                token: token.into_inner(),
                role: role_label(lang, invite.role),
                username: form.get("username").to_string(),
                display_name: form.get("display_name").to_string(),
                error: Some(lang.t(&format!("staff.{problem}")).into_owned()),
            };
            html_page(StatusCode::BAD_REQUEST, &page)
        }
    }
}
