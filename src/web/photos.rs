//! Photos on the web: uploads read from `multipart/form-data` under a size cap,
//! converted on a few threads at once (like password hashing), and the public
//! pictures served under their content hash.

use std::time::Duration;

use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;

pub use super::convert::refused;
use super::error::AppError;
use super::forms::{Csrf, FormData};
use crate::domain::photo::{MAX_UPLOAD, PhotoError};
use crate::store::{PhotoSize, StationPhoto};
use crate::web::state::AppState;

/// Bytes a text field of an upload form may have.
const MAX_FIELD: usize = 4 * 1024;
/// Fixed fields of the largest upload form, the inspection report: csrf, submission,
/// visited_at, open, sign, staffed, cleanliness, notes.
const REPORT_FIXED_FIELDS: usize = 8;
/// Parts an upload form may have, from the largest one, the inspection report: its fixed
/// fields, one answer per facility (a station may list every one), its photos and the
/// "show my name" box.
const MAX_FIELDS: usize =
    REPORT_FIXED_FIELDS + crate::domain::facility::ALL_FACILITIES.len() + crate::store::REPORT_PHOTOS + 1;
/// The largest upload body: one photo and its few text fields.
pub const MAX_UPLOAD_BODY: usize = MAX_UPLOAD + 64 * 1024;
/// How long an upload body may take to arrive (a form has `YIZHAN_BODY_TIMEOUT_SECONDS`):
/// 8 MB over a weak mobile connection.
pub const UPLOAD_TIMEOUT: Duration = Duration::from_secs(120);

/// Paths that take uploads: their bodies may be larger and slower than a form's.
pub fn is_upload(path: &str) -> bool {
    (path.starts_with("/admin/stations/") && path.ends_with("/photos"))
        || (path.starts_with("/supervise/stations/") && path.ends_with("/report"))
        || path == "/admin/ledger/import"
}

/// Whether the request's body is `multipart/form-data`.
pub fn is_multipart(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"))
}

/// A station photo as pages show it: its hash and the size of its small version.
pub fn thumbnail(p: &StationPhoto) -> (String, u32, u32) {
    let (w, h) = small_size(p.width, p.height);
    (p.hash.clone(), w, h)
}

/// The address of a station photo's large version, for a share card.
pub fn large_url(state: &AppState, p: &StationPhoto) -> String {
    format!("{}/photos/{}/large.jpg", state.public_url, p.hash)
}

/// The width and height of the small version of a `width`×`height` large one.
pub fn small_size(width: u32, height: u32) -> (u32, u32) {
    let side = crate::domain::photo::SMALL;
    let longer = width.max(height).max(1);
    if longer <= side {
        return (width, height);
    }
    // As `thumbnail` rounds: the longer side becomes `side`, the other in proportion.
    let scale = |v: u32| ((u64::from(v) * u64::from(side) + u64::from(longer) / 2) / u64::from(longer)).max(1) as u32;
    (scale(width), scale(height))
}

/// An upload form: its text fields and each chosen file's bytes and name (none
/// when no file was chosen). The CSRF token is checked before a file is looked at.
pub struct Upload {
    pub form: FormData,
    pub photos: Vec<Vec<u8>>,
    pub file_names: Vec<String>,
}

/// The file field an upload form may carry: its name, how many files and how large.
pub struct FileRule {
    pub field: &'static str,
    pub max_files: usize,
    pub max_bytes: usize,
    /// The error for a file over `max_bytes` (also for a body announced larger than all of them).
    pub too_large: fn() -> AppError,
}

/// Reads a `multipart/form-data` body: text fields up to 4 KB, up to `max_photos`
/// file fields `photo` of up to [`MAX_UPLOAD`] each; anything bigger is refused
/// while it arrives.
pub async fn read_upload(
    req: &HttpRequest,
    state: &AppState,
    payload: web::Payload,
    max_photos: usize,
) -> Result<Upload, AppError> {
    let rule = FileRule {
        field: "photo",
        max_files: max_photos,
        max_bytes: MAX_UPLOAD,
        too_large: || refused(PhotoError::TooLarge),
    };
    read_files(req, state, payload, &rule).await
}

/// Reads a `multipart/form-data` body with text fields up to 4 KB and the files of
/// `rule`; anything bigger is refused while it arrives.
pub async fn read_files(
    req: &HttpRequest,
    state: &AppState,
    payload: web::Payload,
    rule: &FileRule,
) -> Result<Upload, AppError> {
    if !is_multipart(req) {
        return Err(AppError::Page(StatusCode::UNSUPPORTED_MEDIA_TYPE, "media_type"));
    }
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    let room = rule.max_bytes.saturating_add(MAX_UPLOAD_BODY - MAX_UPLOAD).saturating_mul(rule.max_files.max(1));
    if announced.is_some_and(|n| n > room) {
        return Err((rule.too_large)());
    }
    let bad = || AppError::Page(StatusCode::BAD_REQUEST, "photo_form");
    let mut parts = Multipart::new(req.headers(), payload);
    let mut pairs = Vec::new();
    let (mut files, mut file_names) = (Vec::new(), Vec::new());
    let mut fields = 0;
    while let Some(field) = parts.next().await {
        let mut field = field.map_err(|_| bad())?;
        fields += 1;
        if fields > MAX_FIELDS {
            return Err(bad());
        }
        let name = field.name().unwrap_or_default().to_string();
        let is_file = name == rule.field;
        let file_name = field.content_disposition().and_then(|d| d.get_filename()).unwrap_or_default().to_string();
        let cap = if is_file { rule.max_bytes } else { MAX_FIELD };
        let mut value = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| bad())?;
            if value.len() + chunk.len() > cap {
                return Err(if is_file { (rule.too_large)() } else { bad() });
            }
            value.extend_from_slice(&chunk);
        }
        if is_file {
            // A file input left empty sends a part with no bytes.
            if value.is_empty() {
                continue;
            }
            if files.len() >= rule.max_files {
                return Err(AppError::Page(StatusCode::BAD_REQUEST, "photo_too_many"));
            }
            files.push(value);
            file_names.push(file_name);
        } else {
            pairs.push((name, String::from_utf8_lossy(&value).into_owned()));
        }
    }
    let form = FormData::from_pairs(pairs);
    Csrf::verify(req, state, &form)?;
    Ok(Upload { form, photos: files, file_names })
}

/// Reads a body that is not an upload (a plain form) of at most `limit` bytes.
pub async fn read_body(mut payload: web::Payload, limit: usize) -> Result<web::Bytes, AppError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| AppError::Page(StatusCode::BAD_REQUEST, "photo_form"))?;
        if body.len() + chunk.len() > limit {
            return Err(AppError::Page(StatusCode::PAYLOAD_TOO_LARGE, "too_large"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// A private photo answer: never stored by a browser or a cache.
pub fn private_jpeg(bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "image/jpeg"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bytes)
}

/// The size named by a photo's file name (`large.jpg` or `small.jpg`).
pub fn photo_size(file: &str) -> Option<PhotoSize> {
    match file {
        "large.jpg" => Some(PhotoSize::Large),
        "small.jpg" => Some(PhotoSize::Small),
        _ => None,
    }
}
