//! One way to answer with a page or an error: a page rendered into a buffer sized for
//! a page, with its status (a form that could not be stored comes back as typed with a
//! 503); every error response drawn once, in the layout or as JSON under `/api/`.

use actix_web::dev::ServiceResponse;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::error::{AppError, RETRY_AFTER_SECONDS};
use super::i18n::Lang;
use super::page::PageCtx;
use super::state::AppState;

/// Bytes a page buffer starts with: a 20-station list is about 23 KB, and growing
/// a buffer from askama's estimate copies it several times over.
const PAGE_BUFFER: usize = 32 * 1024;

/// A page answered 503 with `Retry-After`: a form that could not be stored because the
/// database is unavailable, drawn again as typed.
pub fn unavailable_page<T: askama::Template>(page: &T) -> Result<actix_web::HttpResponse, AppError> {
    let mut response = html_page(actix_web::http::StatusCode::SERVICE_UNAVAILABLE, page)?;
    response
        .headers_mut()
        .insert(actix_web::http::header::RETRY_AFTER, actix_web::http::header::HeaderValue::from(RETRY_AFTER_SECONDS));
    Ok(response)
}

/// A rendered page with a status (a list, or a form sent back with its errors, a refusal).
pub fn html_page<T: askama::Template>(
    status: actix_web::http::StatusCode,
    page: &T,
) -> Result<actix_web::HttpResponse, AppError> {
    let mut body = String::with_capacity(PAGE_BUFFER.max(T::SIZE_HINT));
    page.render_into(&mut body)?;
    Ok(actix_web::HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body))
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
pub fn error_page<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
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
    let response = if req.path().starts_with("/api/") || wants_json(&req) {
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

/// Whether the client asked for JSON first (`Accept: application/json`): a phone's
/// kept form sending itself, which reads the answer rather than showing it.
pub fn wants_json(req: &actix_web::HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|first| first.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json")))
}
