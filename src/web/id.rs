//! Ids in paths, read one way: `{id}` is a positive integer. On a page anything else
//! names nothing, so it is "not found" (404) like an id that does not exist; in the
//! JSON API a malformed id is a bad request (400 JSON) and an unknown one 404 JSON.

use std::future::{Ready, ready};
use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use super::error::AppError;

/// A positive integer, or nothing.
fn positive(raw: &str) -> Option<i64> {
    raw.parse::<i64>().ok().filter(|id| *id > 0)
}

/// The `{id}` of a page's path, naming a `T` (a station, a report, …): 404 when it is
/// not a positive integer. Whether a `T` has it is the handler's question (also 404).
pub struct Id<T> {
    value: i64,
    of: PhantomData<fn() -> T>,
}

impl<T> Id<T> {
    pub fn get(&self) -> i64 {
        self.value
    }
}

impl<T> FromRequest for Id<T> {
    type Error = AppError;
    type Future = Ready<Result<Id<T>, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let value = req.match_info().get("id").and_then(positive).ok_or(AppError::NotFound);
        ready(value.map(|value| Id { value, of: PhantomData }))
    }
}

/// The `{id}` of a JSON API path: 400 (with the value) when it is not a positive integer.
pub struct ApiId<T> {
    value: i64,
    of: PhantomData<fn() -> T>,
}

impl<T> ApiId<T> {
    pub fn get(&self) -> i64 {
        self.value
    }
}

impl<T> FromRequest for ApiId<T> {
    type Error = AppError;
    type Future = Ready<Result<ApiId<T>, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let raw = req.match_info().get("id").unwrap_or_default();
        let value = positive(raw).ok_or_else(|| AppError::BadId(raw.to_string()));
        ready(value.map(|value| ApiId { value, of: PhantomData }))
    }
}

/// An id typed in a form or a query (a station to filter by, a row of a bulk action):
/// `None` when it is not a positive integer, for the caller to refuse in its own words.
pub fn form_id(raw: &str) -> Option<i64> {
    positive(raw.trim())
}
