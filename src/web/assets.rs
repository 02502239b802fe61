//! Static files compiled into the binary, with ETags and cache-busting URLs.

use std::collections::HashMap;

use rust_embed::RustEmbed;
use sha2::Digest;

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
    /// This release's static files in one name (see [`AssetUrls::release`]).
    release: String,
}

impl AssetUrls {
    pub fn new() -> AssetUrls {
        let urls = Static::iter()
            .filter_map(|path| short_hash(&path).map(|h| (path.to_string(), format!("/static/{path}?v={h}"))))
            .collect::<HashMap<String, String>>();
        let mut named: Vec<&String> = urls.values().collect();
        named.sort();
        let digest = sha2::Sha256::digest(named.iter().map(|u| u.as_str()).collect::<Vec<_>>().join("\n").as_bytes());
        let release = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        AssetUrls { urls, release }
    }

    /// The same files under a release name of the operator's (letters, digits, `.`,
    /// `-` and `_`, at most 40), instead of their hash; anything else keeps the hash.
    pub fn named(mut self, release: Option<&str>) -> AssetUrls {
        if let Some(name) = release.map(str::trim).filter(|n| {
            !n.is_empty() && n.len() <= 40 && n.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        }) {
            self.release = name.to_string();
        }
        self
    }

    /// A name for this release's static files, which changes with any of them: the
    /// service worker keeps them under it.
    pub fn release(&self) -> &str {
        &self.release
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
