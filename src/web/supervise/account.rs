//! A supervisor joins from an invite link, signs in and out, changes their password.

use crate::domain::staff::{check_password, check_username, is_token};
use crate::domain::supervisor::Occupation;
use crate::domain::text::{Phone, single_line};
use crate::store::{NewSupervisor, SupervisorInvite};
use crate::web::context::{Page, SupervisorPage};
use crate::web::login::{
    Account, end_session, hash, limit_login, new_password, start_session, usable_invite, verify_login,
};
use crate::web::prelude::*;
use crate::web::redirect::local_target;
use crate::web::views::district_names;

/// Only supervisor pages are places to return to after login.
fn safe_next(raw: &str) -> String {
    local_target(raw, "/supervise", "/supervise")
}

#[derive(Template, WebTemplate)]
#[template(path = "supervise/login.html")]
struct LoginPage {
    ctx: PageCtx,
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
}

pub async fn login_form(Page { req, lang, state, .. }: Page) -> Result<impl Responder, AppError> {
    let pairs = query_pairs(&req)?;
    let csrf = Csrf::for_request(&req, &state);
    let page = LoginPage {
        ctx: PageCtx::new(&req, lang, &state),
        csrf: csrf.token.clone(),
        next: safe_next(param(&pairs, "next")),
        username: String::new(),
        error: None,
    };
    Ok(csrf.apply(page))
}

pub async fn login(Page { req, lang, state, .. }: Page, form: Posted) -> Result<HttpResponse, AppError> {
    let next = safe_next(form.get("next"));
    let username = form.get("username").trim().to_ascii_lowercase();
    let refuse = |status: StatusCode, message: String| -> Result<HttpResponse, AppError> {
        let csrf = Csrf::for_request(&req, &state);
        let page = LoginPage {
            ctx: PageCtx::new(&req, lang, &state),
            csrf: csrf.token.clone(),
            next: next.clone(),
            username: username.clone(),
            error: Some(message),
        };
        html_page(status, &page)
    };
    limit_login(&req, &state)?;
    let attempt = state.store.supervisor_login_attempt(&username, state.clock.now()).await?;
    match verify_login(&state, lang, &username, form.get("password").to_string(), attempt).await? {
        // Said only to someone who knows the password.
        Ok(s) if s.suspended => refuse(StatusCode::FORBIDDEN, lang.t("supervise.login.suspended").into_owned()),
        Ok(s) => start_session(&state, Account::Supervisor, s.id, &next).await,
        Err((status, message)) => refuse(status, message),
    }
}

pub async fn logout(state: web::Data<AppState>, me: Supervising, _form: Posted) -> Result<HttpResponse, AppError> {
    end_session(&state, Account::Supervisor, &me.token).await
}

#[derive(Template, WebTemplate)]
#[template(path = "supervise/join.html")]
struct JoinPage {
    ctx: PageCtx,
    csrf: String,
    token: String,
    districts: String,
    username: String,
    display_name: String,
    phone: String,
    occupations: Vec<Choice>,
    /// (field, message) for each refused field.
    errors: Vec<(&'static str, String)>,
}

impl JoinPage {
    fn error(&self, field: &str) -> Option<&str> {
        crate::web::views::field_error(&self.errors, field)
    }
}

/// The invite behind a link, or the page that says why it cannot be used.
async fn live_invite(state: &AppState, token: &str) -> Result<SupervisorInvite, AppError> {
    let found = if is_token(token) { state.store.supervisor_invite(token).await? } else { None };
    usable_invite(found, |i| (i.used_at, i.expires_at), state.clock.now())
}

fn join_page(
    req: &HttpRequest,
    lang: Lang,
    state: &AppState,
    token: String,
    invite: &SupervisorInvite,
    typed: Option<&FormData>,
    errors: Vec<(&'static str, String)>,
) -> (Csrf, JoinPage) {
    let csrf = Csrf::for_request(req, state);
    let field = |k: &str| typed.map(|f| f.get(k).to_string()).unwrap_or_default();
    let occupation = field("occupation");
    let page = JoinPage {
        ctx: PageCtx::new(req, lang, state),
        csrf: csrf.token.clone(),
        token,
        districts: district_names(lang, &invite.districts),
        username: field("username"),
        display_name: field("display_name"),
        phone: field("phone"),
        occupations: Occupation::ALL
            .iter()
            .map(|o| Choice {
                value: o.key().into(),
                label: lang.label("supervise.occupation", o.key()),
                selected: o.key() == occupation,
            })
            .collect(),
        errors,
    };
    (csrf, page)
}

pub async fn join_form(
    Page { req, lang, state, .. }: Page,
    token: web::Path<String>,
) -> Result<impl Responder, AppError> {
    let invite = live_invite(&state, &token).await?;
    let (csrf, page) = join_page(&req, lang, &state, token.into_inner(), &invite, None, Vec::new());
    Ok(csrf.apply(page))
}

pub async fn join(
    Page { req, lang, state, .. }: Page,
    token: web::Path<String>,
    form: Posted,
) -> Result<HttpResponse, AppError> {
    let invite = live_invite(&state, &token).await?;
    let mut errors: Vec<(&'static str, &'static str)> = Vec::new();
    let username = check_username(form.get("username")).map_err(|e| errors.push(("username", e))).ok();
    if let Some(u) = &username
        && state.store.supervisor_username_taken(u).await?
    {
        errors.push(("username", "username_taken"));
    }
    let display_name =
        single_line(form.get("display_name"), 40).map_err(|_| errors.push(("display_name", "display_name"))).ok();
    let phone = Phone::parse(form.get("phone")).map_err(|_| errors.push(("phone", "phone"))).ok();
    let occupation = Occupation::parse(form.get("occupation"));
    if occupation.is_none() {
        errors.push(("occupation", "occupation"));
    }
    if form.get("password") != form.get("again") {
        errors.push(("password", "mismatch"));
    } else if let Err(e) = check_password(form.get("password")) {
        errors.push(("password", e));
    }
    let accepted = match (errors.is_empty(), username, display_name, phone, occupation) {
        (true, Some(username), Some(display_name), Some(phone), Some(occupation)) => {
            let new = NewSupervisor {
                username,
                display_name,
                password_hash: hash(&state, form.get("password").to_string()).await?,
                phone: phone.as_str().to_string(),
                occupation,
            };
            state.store.accept_supervisor_invite(&token, &new, state.clock.now()).await?
        }
        _ => None,
    };
    if let Some(supervisor) = accepted {
        return start_session(&state, Account::Supervisor, supervisor.id, "/supervise?done=welcome").await;
    }
    // Used in the meantime: say so. Otherwise the form comes back filled in.
    live_invite(&state, &token).await?;
    if errors.is_empty() {
        errors.push(("username", "username_taken"));
    }
    let messages = errors.into_iter().map(|(f, key)| (f, lang.t(&format!("staff.{key}")).into_owned())).collect();
    let (_, page) = join_page(&req, lang, &state, token.into_inner(), &invite, Some(&form), messages);
    html_page(StatusCode::BAD_REQUEST, &page)
}

#[derive(Template, WebTemplate)]
#[template(path = "supervise/password.html")]
struct PasswordPage {
    ctx: PageCtx,
    me: super::SuperviseCtx,
    error: Option<String>,
}

pub async fn password_form(
    SupervisorPage { req, lang, state, me, csrf }: SupervisorPage,
) -> Result<impl Responder, AppError> {
    let page = PasswordPage {
        ctx: PageCtx::new(&req, lang, &state),
        me: super::SuperviseCtx::new(&req, lang, &me, &csrf),
        error: None,
    };
    Ok(csrf.apply(page))
}

/// A new password; the supervisor's other sessions end (a lost phone is signed out).
pub async fn change_password(
    SupervisorPage { req, lang, state, me, .. }: SupervisorPage,
    form: Posted,
) -> Result<HttpResponse, AppError> {
    let stored = state.store.supervisor_password(me.supervisor.id).await?;
    let hashed = match new_password(&state, &form, stored).await? {
        Ok(hashed) => hashed,
        Err(key) => {
            let csrf = Csrf::for_request(&req, &state);
            let page = PasswordPage {
                ctx: PageCtx::new(&req, lang, &state),
                me: super::SuperviseCtx::new(&req, lang, &me, &csrf),
                error: Some(lang.t(&format!("staff.{key}")).into_owned()),
            };
            return html_page(StatusCode::BAD_REQUEST, &page);
        }
    };
    state.store.set_supervisor_password(me.supervisor.id, &hashed, &me.token).await?;
    Ok(see_other("/supervise/password?done=password"))
}
