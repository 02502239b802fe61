//! One error type for the web layer, rendered once: `error.html` inside the
//! layout for pages, a JSON object under `/api/`.

use actix_web::dev::ServiceResponse;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError, web};
use askama::Template;

use super::AppState;
use super::i18n::Lang;
use super::page::PageCtx;
use crate::domain::filter::ParamError;
use crate::store::StoreError;

/// What went wrong while answering a request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    BadParam(#[from] ParamError),
    #[error("not a station id: {0}")]
    BadId(String),
    #[error("not found")]
    NotFound,
    #[error("gone")]
    Gone,
    /// The path exists, but not for this method; the value is the `Allow` header.
    #[error("method not allowed")]
    MethodNotAllowed(&'static str),
    /// A page of its own: the status and the locale key of its title (`error.KEY`) and text (`error.KEY_detail`).
    #[error("{1}")]
    Page(StatusCode, &'static str),
    /// A page of its own already drawn (e.g. a revoked station's): its status and HTML.
    #[error("{0}")]
    Rendered(StatusCode, String),
    /// Signed-in pages: go to the login page (staff's, or supervisors' for `/supervise`
    /// paths), then back to this path.
    #[error("login required")]
    LoginRequired(String),
    /// The database cannot take or give data now (disk full, failing, away, busy past
    /// its wait): 503 with `Retry-After`; nothing was stored.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// Seconds a client is asked to wait after a 503 for an unavailable database.
pub const RETRY_AFTER_SECONDS: u32 = 30;

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() { AppError::Unavailable(e.to_string()) } else { AppError::Internal(e.to_string()) }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(e.to_string())
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadParam(_) | AppError::BadId(_) => StatusCode::BAD_REQUEST,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Gone => StatusCode::GONE,
            AppError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Page(status, _) | AppError::Rendered(status, _) => *status,
            AppError::LoginRequired(_) => StatusCode::SEE_OTHER,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A bare status; [`render`] fills in the body in the reader's language.
    fn error_response(&self) -> HttpResponse {
        if let AppError::LoginRequired(next) = self {
            let login = if next.starts_with("/supervise") { "/supervise/login" } else { "/admin/login" };
            let next = percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC);
            return HttpResponse::SeeOther().insert_header((header::LOCATION, format!("{login}?next={next}"))).finish();
        }
        if let AppError::Rendered(status, html) = self {
            return HttpResponse::build(*status).content_type("text/html; charset=utf-8").body(html.clone());
        }
        if let AppError::MethodNotAllowed(allow) = self {
            return HttpResponse::MethodNotAllowed().insert_header((header::ALLOW, *allow)).finish();
        }
        if let AppError::Unavailable(_) = self {
            return HttpResponse::ServiceUnavailable()
                .insert_header((header::RETRY_AFTER, RETRY_AFTER_SECONDS.to_string()))
                .finish();
        }
        HttpResponse::new(self.status_code())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    ctx: PageCtx,
    status: u16,
    title: String,
    message: String,
}

/// A short machine code, a title and a message for an error.
fn describe(err: Option<&AppError>, status: StatusCode, lang: Lang, write: bool) -> (&'static str, String, String) {
    match err {
        Some(AppError::Unavailable(_)) => {
            let key = if write { "unavailable_write" } else { "unavailable" };
            (key, lang.t(&format!("error.{key}")).into_owned(), lang.t(&format!("error.{key}_detail")).into_owned())
        }
        Some(AppError::BadParam(p)) => (
            "bad_param",
            lang.t("error.bad_request").into_owned(),
            lang.tf(&format!("error.param.{}", p.problem.key()), &[("param", &p.param), ("value", &p.value)]),
        ),
        Some(AppError::BadId(id)) => {
            let id: String = id.chars().take(40).collect();
            ("bad_id", lang.t("error.bad_request").into_owned(), lang.tf("error.bad_id", &[("value", &id)]))
        }
        Some(AppError::Gone) => ("gone", lang.t("error.gone").into_owned(), lang.t("error.gone_detail").into_owned()),
        Some(AppError::Page(_, key)) => {
            (key, lang.t(&format!("error.{key}")).into_owned(), lang.t(&format!("error.{key}_detail")).into_owned())
        }
        _ => match status {
            StatusCode::NOT_FOUND => {
                ("not_found", lang.t("error.not_found").into_owned(), lang.t("error.not_found_detail").into_owned())
            }
            StatusCode::PAYLOAD_TOO_LARGE => {
                ("too_large", lang.t("error.too_large").into_owned(), lang.t("error.too_large_detail").into_owned())
            }
            StatusCode::METHOD_NOT_ALLOWED => {
                ("method", lang.t("error.bad_request").into_owned(), lang.t("error.method").into_owned())
            }
            s if s.is_client_error() => (
                "bad_request",
                lang.t("error.bad_request").into_owned(),
                lang.t("error.bad_request_detail").into_owned(),
            ),
            _ => ("internal", lang.t("error.internal").into_owned(), lang.t("error.internal_detail").into_owned()),
        },
    }
}

/// Renders every error response (ours and the framework's) in the reader's language.
pub fn render<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let Some(error) = res.response().error() else {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    };
    let status = res.status();
    let ours = error.as_error::<AppError>();
    if let Some(AppError::Rendered(..)) = ours {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    if status.is_server_error() {
        tracing::error!(error = %error, path = res.request().path(), "request failed");
    }
    let req = res.request().clone();
    let lang = super::i18n::lang_of(&req);
    let write = !matches!(*req.method(), actix_web::http::Method::GET | actix_web::http::Method::HEAD);
    let (code, title, message) = describe(ours, status, lang, write);
    let response = if req.path().starts_with("/api/") {
        let mut body = serde_json::json!({"error": {"status": status.as_u16(), "code": code, "message": message}});
        if let Some(AppError::BadParam(p)) = ours {
            body["error"]["param"] = p.param.clone().into();
            body["error"]["value"] = p.value.clone().into();
        }
        HttpResponse::build(status).json(body)
    } else {
        let html = match req.app_data::<web::Data<AppState>>() {
            Some(state) => ErrorPage { ctx: PageCtx::new(&req, lang, state), status: status.as_u16(), title, message }
                .render()
                .unwrap_or_default(),
            None => String::new(),
        };
        HttpResponse::build(status).insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8")).body(html)
    };
    let mut response = response;
    // What the original answer told the client to do next stays.
    for name in [header::ALLOW, header::RETRY_AFTER, header::CACHE_CONTROL] {
        if let Some(value) = res.response().headers().get(&name) {
            response.headers_mut().insert(name, value.clone());
        }
    }
    Ok(ErrorHandlerResponse::Response(res.into_response(response).map_into_right_body()))
}
