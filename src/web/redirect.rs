//! The one place that decides where a redirect may go: the language switch's `next`,
//! the login's `next` and the moderation forms' `back` all come from the request.

use actix_web::HttpResponse;
use actix_web::http::header;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// Bytes written percent-encoded in a `Location`: controls (refused before this
/// anyway), space, and everything outside ASCII, so the header is always valid.
const LOCATION: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'<').add(b'>').add(b'`');

/// A 303 to `path` after a form did its work.
pub fn see_other(path: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, path.to_string())).finish()
}

/// A path on this site to send the browser to: `raw` when it is a local path under
/// `within` (a single leading `/`, no `//` or `/\`, no backslash or control character
/// anywhere, since browsers drop tabs and line breaks and read `\` as `/`), else `fallback`.
/// The answer is ready for a `Location` header.
pub fn local_target(raw: &str, within: &str, fallback: &str) -> String {
    let local = raw.starts_with('/')
        && !raw.starts_with("//")
        && !raw.contains('\\')
        && !raw.chars().any(|c| c.is_control() || is_invisible(c))
        && under(raw, within);
    if local { utf8_percent_encode(raw, LOCATION).to_string() } else { fallback.to_string() }
}

/// Whether `path` is `within` itself or below it ("/admin" covers "/admin/x" and
/// "/admin?y", not "/administrator").
fn under(path: &str, within: &str) -> bool {
    match path.strip_prefix(within) {
        Some(rest) => within.ends_with('/') || rest.is_empty() || rest.starts_with(['/', '?', '#']),
        None => false,
    }
}

/// Characters a browser may drop from a URL without showing them.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_pass() {
        let t = |raw: &str| local_target(raw, "/", "/");
        assert_eq!(t("/stations?district=110106"), "/stations?district=110106");
        assert_eq!(t("/stations/3#feedback"), "/stations/3#feedback");
        assert_eq!(t("/stations?q=万达 店"), "/stations?q=%E4%B8%87%E8%BE%BE%20%E5%BA%97");
        for bad in [
            "",
            "stations",
            "//evil.com",
            "/\\evil.com",
            "/\t/evil.com",
            "/\r\n/evil.com",
            "/\n/evil.com",
            "/\0",
            "/x\r\nSet-Cookie: a=b",
            "\\\\evil.com",
            "https://evil.com",
            "/%09/ok\u{7f}",
            "/\u{202E}moc.live",
            "/\u{85}",
        ] {
            assert_eq!(t(bad), "/", "{bad:?}");
        }
        // Percent signs stay as they are: the browser decodes them inside the path only.
        assert_eq!(t("/%2F%2Fevil.com"), "/%2F%2Fevil.com");
    }

    #[test]
    fn within_a_section() {
        let t = |raw: &str| local_target(raw, "/admin", "/admin");
        assert_eq!(t("/admin/feedback?state=all"), "/admin/feedback?state=all");
        assert_eq!(t("/admin?x=1"), "/admin?x=1");
        assert_eq!(t("/administrator"), "/admin");
        assert_eq!(t("/stations"), "/admin");
        assert_eq!(t("/admin/\t/x"), "/admin");
        assert_eq!(local_target("/admin/feedbackx", "/admin/feedback", "/admin/feedback"), "/admin/feedback");
    }
}
