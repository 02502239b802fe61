//! Signing in, shared by staff and supervisors: the limit per client address, the
//! check of a claimed password (unknown names counted like real ones), and new
//! password hashes on the hashing threads.

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};

use super::attempts::Attempt;
use super::auth::{clear_session_cookie, clear_supervisor_cookie, session_cookie, supervisor_cookie};
use super::error::AppError;
use super::forms::{FormData, client_ip};
use super::i18n::Lang;
use super::passwords::Busy;
use super::redirect::see_other;
use super::state::AppState;
use crate::domain::hours::beijing_local;
use crate::domain::staff::{SESSION_SECONDS, check_password, new_token};
use crate::store::LoginCheck;

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

/// The two kinds of account that sign in, each with its own sessions and cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Account {
    Staff,
    Supervisor,
}

impl Account {
    fn cookie(self, state: &AppState, token: String) -> Cookie<'static> {
        match self {
            Account::Staff => session_cookie(state, token),
            Account::Supervisor => supervisor_cookie(state, token),
        }
    }

    fn removal(self, state: &AppState) -> Cookie<'static> {
        match self {
            Account::Staff => clear_session_cookie(state),
            Account::Supervisor => clear_supervisor_cookie(state),
        }
    }

    fn login_page(self) -> &'static str {
        match self {
            Account::Staff => "/admin/login",
            Account::Supervisor => "/supervise/login",
        }
    }
}

/// Starts a session for account `id` and goes to `to`: a new session id every time
/// (never one the browser brought).
pub async fn start_session(state: &AppState, account: Account, id: i64, to: &str) -> Result<HttpResponse, AppError> {
    let token = new_token();
    let now = state.clock.now();
    match account {
        Account::Staff => state.store.open_session(id, &token, now, SESSION_SECONDS).await?,
        Account::Supervisor => state.store.open_supervisor_session(id, &token, now, SESSION_SECONDS).await?,
    }
    with_cookie(see_other(to), account.cookie(state, token))
}

/// Ends the session `token` and goes to the login page.
pub async fn end_session(state: &AppState, account: Account, token: &str) -> Result<HttpResponse, AppError> {
    match account {
        Account::Staff => state.store.close_session(token).await?,
        Account::Supervisor => state.store.close_supervisor_session(token).await?,
    }
    with_cookie(see_other(account.login_page()), account.removal(state))
}

fn with_cookie(mut res: HttpResponse, cookie: Cookie<'static>) -> Result<HttpResponse, AppError> {
    res.add_cookie(&cookie).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(res)
}

/// Whether an invite link can be used: `found` is the invite its token names (when the
/// token is one), with when it was used and when it expires; unknown is 404, used or
/// expired is 410 with its own page.
pub fn usable_invite<I>(
    found: Option<I>,
    used_and_expiry: impl Fn(&I) -> (Option<i64>, i64),
    now: i64,
) -> Result<I, AppError> {
    let invite = found.ok_or(AppError::Page(StatusCode::NOT_FOUND, "invite_unknown"))?;
    let (used_at, expires_at) = used_and_expiry(&invite);
    if used_at.is_some() {
        return Err(AppError::Page(StatusCode::GONE, "invite_used"));
    }
    if expires_at <= now {
        return Err(AppError::Page(StatusCode::GONE, "invite_expired"));
    }
    Ok(invite)
}
