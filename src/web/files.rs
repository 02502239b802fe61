//! Files served as they are: the app's own static files (CSS, scripts, icons) and the
//! photos public station pages show.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

use super::assets::{embedded, short_hash};
use super::cache::not_modified;
use super::error::AppError;
use super::photos::photo_size;
use super::state::AppState;
use crate::domain::photo::is_hash;

/// `GET /static/{path}`: the file, 304 when unchanged, cached for a year when
/// asked for by its versioned URL.
pub async fn asset(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let path = path.into_inner();
    let file = embedded(&path).ok_or(AppError::NotFound)?;
    let hash = short_hash(&path).unwrap_or_default();
    let etag = format!("\"{hash}\"");
    let versioned = req.query_string() == format!("v={hash}");
    let cache = if versioned { "public, max-age=31536000, immutable" } else { "public, max-age=300" };
    let fresh = not_modified(&req, &etag);
    let mut res = if fresh { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    res.insert_header((header::ETAG, etag.clone())).insert_header((header::CACHE_CONTROL, cache));
    if fresh {
        return Ok(res.finish());
    }
    let mime = file.metadata.mimetype();
    let content_type = if mime.starts_with("text/") || mime.ends_with("javascript") || mime.ends_with("svg+xml") {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    };
    res.insert_header((
        header::CONTENT_TYPE,
        HeaderValue::from_str(&content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    ));
    Ok(res.body(file.data.into_owned()))
}

/// The files every page may use, kept by the service worker for its release.
pub const SHELL: [&str; 12] = [
    "app.css",
    "favicon.svg",
    "sw-register.js",
    "offline.js",
    "locate.js",
    "receipts.js",
    "copy.js",
    "shrink.js",
    "manifest.webmanifest",
    "icons/icon-192.png",
    "icons/icon-512.png",
    "icons/icon-maskable-512.png",
];

/// `GET /sw.js`: the service worker, from the site's root so that it may serve every
/// page, named for this release with its shell's versioned URLs. `no-cache`: the
/// browser asks again at each visit, so a new release replaces the old shell.
pub async fn service_worker(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let source = embedded("sw.js").ok_or(AppError::NotFound)?;
    let shell: Vec<&str> = SHELL.iter().map(|p| state.assets.url(p)).collect();
    let shell = serde_json::to_string(&shell).map_err(|e| AppError::Internal(e.to_string()))?;
    let body = String::from_utf8_lossy(&source.data)
        .replace("__RELEASE__", state.assets.release())
        .replace("__SHELL_FILES__", &shell);
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/javascript; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body))
}

/// `GET /photos/{hash}/{size}.jpg`: a picture shown on a public station page,
/// cached for good (its name is its content).
pub async fn photo(state: web::Data<AppState>, path: web::Path<(String, String)>) -> Result<HttpResponse, AppError> {
    let (hash, file) = path.into_inner();
    let size = photo_size(&file).ok_or(AppError::NotFound)?;
    if !is_hash(&hash) {
        return Err(AppError::NotFound);
    }
    let bytes = state.store.public_photo(&hash, size).await?.ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "image/jpeg"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::ETAG, format!("\"{hash}-{file}\"")))
        .body(bytes))
}
