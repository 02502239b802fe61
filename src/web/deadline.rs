//! A request body must arrive within a deadline: a client that sends a byte a second,
//! or stops short of its Content-Length, gets a 400 and its connection closed
//! instead of holding it open for ever. (The request head has its own timeout in
//! the server settings.)

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage, web};
use futures_util::Stream;
use tokio::time::Sleep;

/// How long a body may take, from the end of the request head (app data of the server).
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline(pub Duration);

/// A payload that fails once its deadline has passed.
struct Deadline<S> {
    inner: S,
    sleep: Pin<Box<Sleep>>,
    expired: bool,
}

impl<S: Stream<Item = Result<Bytes, PayloadError>> + Unpin> Stream for Deadline<S> {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.expired {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            self.expired = true;
            let timed_out = std::io::Error::new(std::io::ErrorKind::TimedOut, "request body too slow");
            return Poll::Ready(Some(Err(PayloadError::Io(timed_out))));
        }
        Poll::Pending
    }
}

/// Whether the request announces a body.
fn has_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.trim() != "0")
}

/// Middleware: puts the deadline on the request's body.
pub async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if has_body(&req) {
        let limit = if super::photos::is_upload(req.path()) {
            super::photos::UPLOAD_TIMEOUT
        } else {
            req.app_data::<web::Data<BodyDeadline>>().map(|d| d.0).unwrap_or(Duration::from_secs(10))
        };
        let inner = req.take_payload();
        let stream = Deadline { inner, sleep: Box::pin(tokio::time::sleep(limit)), expired: false };
        req.set_payload(Payload::Stream { payload: Box::pin(stream) });
    }
    next.call(req).await
}
