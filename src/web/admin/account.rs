//! Signing in and out, changing one's password, and accepting an invite.

use super::{AdminCtx, role_label};
use crate::domain::staff::{check_password, check_username, is_token};
use crate::web::context::{Page, StaffPage};
use crate::web::login::{
    Account, end_session, hash, limit_login, new_password, start_session, usable_invite, verify_login,
};
use crate::web::prelude::*;
use crate::web::redirect::local_target;

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

pub async fn login_form(Page { req, lang, state, .. }: Page) -> Result<impl Responder, AppError> {
    let pairs = query_pairs(&req)?;
    let csrf = Csrf::for_request(&req, &state);
    let page = login_page(&req, lang, &state, &csrf, safe_next(param(&pairs, "next")), String::new(), None);
    Ok(csrf.apply(page))
}

pub async fn login(Page { req, lang, state, .. }: Page, form: Posted) -> Result<HttpResponse, AppError> {
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
        Ok(staff) => start_session(&state, Account::Staff, staff.id, &next).await,
        Err((status, message)) => refuse(status, message),
    }
}

pub async fn logout(state: web::Data<AppState>, signed: SignedIn, _form: Posted) -> Result<HttpResponse, AppError> {
    end_session(&state, Account::Staff, &signed.token).await
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/password.html")]
struct PasswordPage {
    ctx: PageCtx,
    admin: AdminCtx,
    error: Option<String>,
}

pub async fn password_form(
    StaffPage { req, lang, state, signed, csrf }: StaffPage,
) -> Result<impl Responder, AppError> {
    let page = PasswordPage {
        ctx: PageCtx::new(&req, lang, &state),
        admin: AdminCtx::new(&req, lang, &state, &signed, &csrf),
        error: None,
    };
    Ok(csrf.apply(page))
}

pub async fn change_password(
    StaffPage { req, lang, state, signed, .. }: StaffPage,
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
    let found = if is_token(token) { state.store.invite(token).await? } else { None };
    usable_invite(found, |i| (i.used_at, i.expires_at), state.clock.now())
}

pub async fn invite_form(
    Page { req, lang, state, .. }: Page,
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

pub async fn accept_invite(
    Page { req, lang, state, .. }: Page,
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
        Some(staff) => start_session(&state, Account::Staff, staff.id, "/admin").await,
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
