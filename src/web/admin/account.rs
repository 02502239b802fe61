//! Signing in and out, changing one's password, and accepting an invite.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Responder, get, post, web};
use askama::Template;
use askama_web::WebTemplate;

use super::attempts::Attempt;
use super::{AdminCtx, param, query_pairs, role_label, see_other};
use crate::domain::hours::beijing_local;
use crate::domain::staff::{SESSION_SECONDS, Staff, check_password, check_username, is_token, new_token};
use crate::store::LoginCheck;
use crate::web::AppState;
use crate::web::auth::{SignedIn, clear_session_cookie, session_cookie};
use crate::web::error::AppError;
use crate::web::forms::{Csrf, FormData, Posted, client_ip};
use crate::web::i18n::Lang;
use crate::web::page::{PageCtx, html_page};
use crate::web::passwords::Busy;
use crate::web::redirect::local_target;

impl From<Busy> for AppError {
    fn from(_: Busy) -> AppError {
        AppError::Page(StatusCode::TOO_MANY_REQUESTS, "busy")
    }
}

/// A new hash for `password`, on the hashing threads (429 when they are busy).
pub async fn hash(state: &AppState, password: String) -> Result<String, AppError> {
    state.hasher.hash(password).await?.map_err(AppError::Internal)
}

/// Longest username kept in the memory of failed attempts.
const NAME_KEY_CHARS: usize = 64;

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
    form: Posted,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(form.get("next"));
    let username = form.get("username").trim().to_ascii_lowercase();
    let password = form.get("password").to_string();
    let now = state.clock.now();
    let refuse = |status: StatusCode, message: String| -> Result<HttpResponse, AppError> {
        let csrf = Csrf::for_request(&req, &state);
        let page = login_page(&req, lang, &state, &csrf, next.clone(), username.clone(), Some(message));
        html_page(status, &page)
    };
    limit_login(&req, &state)?;
    let attempt = state.store.login_attempt(&username, now).await?;
    match verify_login(&state, lang, &username, password, attempt).await? {
        Ok(staff) => start_session(&state, &staff, &next).await,
        Err((status, message)) => refuse(status, message),
    }
}

/// Counts a login attempt against the limit of the client's address (429 when used up).
pub fn limit_login(req: &HttpRequest, state: &AppState) -> Result<(), AppError> {
    if let Some(ip) = client_ip(req, state) {
        if state.login_limiter.check_key(&ip).is_err() {
            state.metrics.rate_limited("login");
            return Err(AppError::Page(StatusCode::TOO_MANY_REQUESTS, "login_rate"));
        }
        if state.login_limiter.len() > 100_000 {
            state.login_limiter.retain_recent();
        }
    }
    Ok(())
}

/// Checks a claimed login attempt (staff or supervisor): the account when the password
/// matches; otherwise the status and message to show.
pub async fn verify_login<A>(
    state: &AppState,
    lang: Lang,
    username: &str,
    password: String,
    attempt: LoginCheck<A>,
) -> Result<Result<A, (StatusCode, String)>, AppError> {
    let now = state.clock.now();
    let locked =
        |until: i64| lang.tf("admin.login.locked", &[("until", &beijing_local(until).format("%H:%M").to_string())]);
    // Every attempt is counted before the hash, and a name that does not exist is
    // counted and locked the same way: the answers do not tell them apart.
    let (account, hash, locks, until) = match attempt {
        LoginCheck::Locked { until } => return Ok(Err((StatusCode::TOO_MANY_REQUESTS, locked(until)))),
        LoginCheck::Account { account, password_hash, locks, until } => {
            (Some(account), Some(password_hash), locks, until)
        }
        LoginCheck::NoSuchUser => {
            let key: String = username.chars().take(NAME_KEY_CHARS).collect();
            match state.unknown_logins.attempt(&key, now) {
                Attempt::Locked { until } => return Ok(Err((StatusCode::TOO_MANY_REQUESTS, locked(until)))),
                Attempt::Counted { locks, until } => (None, None, locks, until),
            }
        }
    };
    let matches = state.hasher.verify(password, hash).await?;
    if let (true, Some(account)) = (matches, account) {
        return Ok(Ok(account));
    }
    if locks {
        tracing::warn!(username, "login locked after repeated failures");
        return Ok(Err((StatusCode::TOO_MANY_REQUESTS, locked(until))));
    }
    Ok(Err((StatusCode::UNAUTHORIZED, lang.t("admin.login.wrong").into_owned())))
}

#[post("/admin/logout")]
pub async fn logout(state: web::Data<AppState>, signed: SignedIn, _form: Posted) -> Result<HttpResponse, AppError> {
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

/// A password change form (`current`, `new`, `again`) checked against the stored
/// hash: the new password's hash, or the locale key (`staff.…`) of the problem.
pub async fn new_password(
    state: &AppState,
    form: &FormData,
    stored: Option<String>,
) -> Result<Result<String, &'static str>, AppError> {
    let (current, new, again) = (form.get("current"), form.get("new"), form.get("again"));
    let problem = if !state.hasher.verify(current.to_string(), stored).await? {
        Some("current_wrong")
    } else if new != again {
        Some("mismatch")
    } else {
        check_password(new).err()
    };
    Ok(match problem {
        Some(key) => Err(key),
        None => Ok(hash(state, new.to_string()).await?),
    })
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
        admin: AdminCtx::new(&req, lang, &state, &signed, &csrf),
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
    form: Posted,
) -> Result<HttpResponse, AppError> {
    let stored = state.store.password_hash(signed.staff.id).await?;
    let hashed = match new_password(&state, &form, stored).await? {
        Ok(hashed) => hashed,
        Err(key) => {
            let csrf = Csrf::for_request(&req, &state);
            let page = PasswordPage {
                ctx: PageCtx::new(&req, lang, &state),
                admin: AdminCtx::new(&req, lang, &state, &signed, &csrf),
                error: Some(lang.t(&format!("staff.{key}")).into_owned()),
            };
            return html_page(StatusCode::BAD_REQUEST, &page);
        }
    };
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
    form: Posted,
) -> Result<HttpResponse, AppError> {
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
            let hashed = hash(&state, form.get("password").to_string()).await?;
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
