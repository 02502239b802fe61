//! Static files compiled into the binary, with ETags and cache-busting URLs.

use std::collections::HashMap;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, get, web};
use rust_embed::RustEmbed;

use super::error::AppError;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Static;

/// The bytes of a file under `static/` (for drawings the server inlines).
pub fn file(path: &str) -> Option<std::borrow::Cow<'static, [u8]>> {
    Static::get(path).map(|f| f.data)
}

/// A file's content hash, first 16 hex digits.
fn short_hash(path: &str) -> Option<String> {
    let file = Static::get(path)?;
    Some(file.metadata.sha256_hash().iter().take(8).map(|b| format!("{b:02x}")).collect())
}

/// Versioned URLs of the static files, computed once at start.
#[derive(Debug)]
pub struct AssetUrls {
    urls: HashMap<String, String>,
}

impl AssetUrls {
    pub fn new() -> AssetUrls {
        let urls = Static::iter()
            .filter_map(|path| short_hash(&path).map(|h| (path.to_string(), format!("/static/{path}?v={h}"))))
            .collect();
        AssetUrls { urls }
    }

    /// The URL to use in pages for a file under `static/`.
    pub fn url(&self, path: &str) -> &str {
        self.urls.get(path).map(String::as_str).unwrap_or("/static/missing")
    }
}

impl Default for AssetUrls {
    fn default() -> Self {
        AssetUrls::new()
    }
}

/// `GET /static/{path}`: the file, 304 when unchanged, cached for a year when
/// asked for by its versioned URL.
#[get("/static/{path:.*}")]
pub async fn serve(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let path = path.into_inner();
    let file = Static::get(&path).ok_or(AppError::NotFound)?;
    let hash = short_hash(&path).unwrap_or_default();
    let etag = format!("\"{hash}\"");
    let versioned = req.query_string() == format!("v={hash}");
    let cache = if versioned { "public, max-age=31536000, immutable" } else { "public, max-age=300" };
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
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
