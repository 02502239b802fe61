//! A request that panics gets a 500 answer instead of a dropped connection, and is
//! counted: `/healthz` shows the count, and the HTTP tests fail when it is not zero.
//!
//! The answer is a short text in both languages, not the error page: the page needs
//! the request, and a copy of the request kept across routing would stop the router
//! from filling in the path's parameters.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, ResponseError, web};
use futures_util::FutureExt;

use super::i18n::Lang;

/// Requests that panicked since the start.
#[derive(Debug, Default)]
pub struct Panics(AtomicU64);

impl Panics {
    pub fn count(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A request that panicked.
#[derive(Debug, thiserror::Error)]
#[error("request panicked")]
struct Panicked;

impl ResponseError for Panicked {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> HttpResponse {
        let text = format!("{}\n{}\n", Lang::Zh.t("error.internal_detail"), Lang::En.t("error.internal_detail"));
        HttpResponse::InternalServerError()
            .content_type("text/plain; charset=utf-8")
            .insert_header(("Cache-Control", "no-store"))
            .body(text)
    }
}

/// Middleware: runs the rest of the chain and turns a panic into a counted 500.
pub async fn catch(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let path = req.path().to_string();
    let panics = req.app_data::<web::Data<Panics>>().cloned();
    match AssertUnwindSafe(next.call(req)).catch_unwind().await {
        Ok(res) => res.map(ServiceResponse::map_into_boxed_body),
        Err(_) => {
            if let Some(p) = panics {
                p.0.fetch_add(1, Ordering::Relaxed);
            }
            tracing::error!(path, "request panicked");
            Err(Panicked.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::middleware::from_fn;
    use actix_web::{App, HttpResponse, test};

    #[actix_web::test]
    async fn a_panic_is_a_counted_500() {
        let panics = web::Data::new(Panics::default());
        let app = test::init_service(
            App::new()
                .app_data(panics.clone())
                .wrap(from_fn(catch))
                .route("/ok/{id}", web::get().to(|| async { HttpResponse::Ok().finish() }))
                .route(
                    "/boom",
                    web::get().to(|| async {
                        let v: Vec<u32> = Vec::new();
                        HttpResponse::Ok().body(v[usize::from(v.is_empty())].to_string())
                    }),
                ),
        )
        .await;
        let res = test::call_service(&app, test::TestRequest::get().uri("/ok/1").to_request()).await;
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(panics.count(), 0);
        let res = test::try_call_service(&app, test::TestRequest::get().uri("/boom").to_request()).await;
        let Err(err) = res else { panic!("a panic is an error") };
        assert_eq!(err.as_response_error().status_code().as_u16(), 500);
        assert_eq!(panics.count(), 1);
    }
}
