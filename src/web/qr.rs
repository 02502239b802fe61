//! QR codes drawn on the server as SVG, for print lists and posters.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// A QR code ready to place in a page or a poster.
#[derive(Debug, Clone)]
pub struct Qr {
    /// The text it encodes (a URL).
    pub text: String,
    /// Width and height in modules, the quiet zone included (the `viewBox` side).
    pub size: u32,
    /// The drawing without its `<svg>` element: a white square and one black path,
    /// one unit per module.
    pub body: String,
}

impl Qr {
    /// The code of `text` at level M (a door sign gets scratched and rained on).
    /// `None` when the text is too long for any QR version.
    pub fn new(text: &str) -> Option<Qr> {
        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
        let drawn = code.render::<svg::Color>().quiet_zone(true).module_dimensions(1, 1).build();
        let size = code.width() as u32 + 2 * QUIET_ZONE;
        // The renderer's own root element is dropped: pages and posters give the code
        // their own box and size.
        let start = drawn.find("<rect")?;
        let end = drawn.rfind("</svg>")?;
        Some(Qr { text: text.to_string(), size, body: drawn[start..end].to_string() })
    }
}

/// Modules of white around a code, as the renderer draws it (the standard's minimum).
const QUIET_ZONE: u32 = 4;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_becomes_one_square_path_with_its_quiet_zone() {
        let qr = Qr::new("https://yizhan.example.cn/s/BJ-110115-0001").expect("fits");
        // 43 characters at level M need version 3: 29 modules and 4 on each side.
        assert_eq!(qr.size, 29 + 8);
        assert!(qr.body.starts_with("<rect"), "{}", qr.body);
        assert_eq!(qr.body.matches("<path").count(), 1);
        assert!(qr.body.contains(r##"fill="#000""##));
        assert!(Qr::new(&"x".repeat(5000)).is_none());
    }
}
