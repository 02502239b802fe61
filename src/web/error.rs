//! One error type for the web layer; `render.rs` draws it once: `error.html` inside
//! the layout for pages, a JSON object under `/api/`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};

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
