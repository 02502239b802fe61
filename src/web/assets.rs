//! Static files compiled into the binary, with ETags and cache-busting URLs.

use std::collections::HashMap;

use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Static;

/// The bytes of a file under `static/` (for drawings the server inlines).
pub fn file(path: &str) -> Option<std::borrow::Cow<'static, [u8]>> {
    Static::get(path).map(|f| f.data)
}

/// A file under `static/` with its metadata (type, hash).
pub fn embedded(path: &str) -> Option<rust_embed::EmbeddedFile> {
    Static::get(path)
}

/// A file's content hash, first 16 hex digits.
pub fn short_hash(path: &str) -> Option<String> {
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
