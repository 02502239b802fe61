//! Photos: an upload checked by its content, decoded under limits, turned upright
//! and re-encoded as two JPEGs (1600 px and 320 px) that carry no metadata at all
//! (no EXIF with GPS, no XMP, no ICC comments).

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};

/// Largest upload accepted, in bytes.
pub const MAX_UPLOAD: usize = 8 * 1024 * 1024;
/// Largest width or height decoded; a bigger image is refused from its header,
/// before any pixel memory is taken.
pub const MAX_SIDE: u32 = 12_000;
/// Most memory one decode may take (a 48-megapixel RGB photo fits).
pub const MAX_ALLOC: u64 = 200 * 1024 * 1024;
/// The longer side of the large version.
pub const LARGE: u32 = 1600;
/// The longer side of the small version (cards, first screen, popups).
pub const SMALL: u32 = 320;
/// JPEG quality of both versions.
const QUALITY: u8 = 82;

/// Why an upload is refused; each has a message in the locale files (`photo.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    #[error("empty")]
    Empty,
    #[error("too_large")]
    TooLarge,
    /// Not a JPEG, PNG or WebP by its content, whatever its name says.
    #[error("not_an_image")]
    NotAnImage,
    /// Wider or taller than [`MAX_SIDE`].
    #[error("too_wide")]
    TooWide,
    /// Within [`MAX_SIDE`], but its pixels need more memory than one conversion may
    /// take ([`MAX_ALLOC`] for the picture, [`MAX_CONVERSION`] in all).
    #[error("too_many_pixels")]
    TooManyPixels,
    /// Truncated or corrupt.
    #[error("broken")]
    Broken,
}

impl PhotoError {
    /// The key of its message under `photo.`.
    pub fn key(self) -> &'static str {
        match self {
            PhotoError::Empty => "empty",
            PhotoError::TooLarge => "too_large",
            PhotoError::NotAnImage => "not_an_image",
            PhotoError::TooWide => "too_wide",
            PhotoError::TooManyPixels => "too_many_pixels",
            PhotoError::Broken => "broken",
        }
    }
}

/// A photo ready to store: both versions as JPEG, and the name they go by.
#[derive(Debug, Clone)]
pub struct Processed {
    /// The first 32 hex digits of the SHA-256 of the large JPEG.
    pub hash: String,
    pub large: Vec<u8>,
    pub small: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    limits
}

fn decode_error(e: image::ImageError) -> PhotoError {
    match e {
        image::ImageError::Limits(_) => PhotoError::TooManyPixels,
        image::ImageError::Unsupported(_) => PhotoError::NotAnImage,
        _ => PhotoError::Broken,
    }
}

/// A version no larger than `side` on its longer side, as JPEG.
fn jpeg(img: &DynamicImage, side: u32) -> Result<(Vec<u8>, u32, u32), PhotoError> {
    // `thumbnail` averages whole source pixels with integer sums: a 12-megapixel photo
    // shrinks without the float buffers of a filtered resize.
    let scaled = if img.width() > side || img.height() > side { img.thumbnail(side, side) } else { img.clone() };
    let rgb = scaled.to_rgb8();
    let mut out = Vec::with_capacity(rgb.len() / 8);
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, QUALITY);
    rgb.write_with_encoder(encoder).map_err(|_| PhotoError::Broken)?;
    Ok((out, rgb.width(), rgb.height()))
}

/// Most memory one conversion may need, by [`memory_needed`]: the budget of all
/// conversions in flight must be at least this.
pub const MAX_CONVERSION: u64 = 480 * 1024 * 1024;

/// The memory [`process`] needs for an upload, from its header alone (no pixel is
/// decoded): the decoded picture ([`ImageDecoder::total_bytes`]), what its decoder
/// holds beside it (WebP keeps the whole picture as 32-bit ARGB while it decodes; PNG
/// its rows and inflate state; JPEG its component planes), the large version and the
/// upload itself. A picture too wide or needing more than [`MAX_CONVERSION`] is refused.
pub fn memory_needed(bytes: &[u8]) -> Result<u64, PhotoError> {
    let (format, mut decoder) = open(bytes)?;
    let (w, h) = decoder.dimensions();
    let picture = decoder.total_bytes();
    let beside = match format {
        ImageFormat::WebP => u64::from(w) * u64::from(h) * 4,
        ImageFormat::Png => picture / 4,
        _ => picture / 2,
    };
    let _ = decoder.set_limits(limits());
    let large = u64::from(LARGE) * u64::from(LARGE) * 4;
    let needed = picture + beside + large + bytes.len() as u64;
    if picture > MAX_ALLOC || needed > MAX_CONVERSION {
        return Err(PhotoError::TooManyPixels);
    }
    Ok(needed)
}

/// The upload's format and decoder, checked: a known format, whole, within the sides.
fn open(bytes: &[u8]) -> Result<(ImageFormat, Box<dyn ImageDecoder + '_>), PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    if bytes.len() > MAX_UPLOAD {
        return Err(PhotoError::TooLarge);
    }
    let format = image::guess_format(bytes).map_err(|_| PhotoError::NotAnImage)?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP) {
        return Err(PhotoError::NotAnImage);
    }
    // The JPEG decoder fills a cut-off picture with grey rather than fail.
    if format == ImageFormat::Jpeg && !jpeg_complete(bytes) {
        return Err(PhotoError::Broken);
    }
    // The sides first, with no limit on them, so that "too wide" is told as such.
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.no_limits();
    let decoder = reader.into_decoder().map_err(decode_error)?;
    let (w, h) = decoder.dimensions();
    if w > MAX_SIDE || h > MAX_SIDE {
        return Err(PhotoError::TooWide);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits());
    let decoder = reader.into_decoder().map_err(decode_error)?;
    Ok((format, Box::new(decoder)))
}

/// Checks and converts an upload. CPU-heavy: run it off the request threads, within
/// the memory [`memory_needed`] says.
pub fn process(bytes: &[u8]) -> Result<Processed, PhotoError> {
    let (_, mut decoder) = open(bytes)?;
    // The pixels must fit in the memory allowed, before any is decoded.
    if decoder.total_bytes() > MAX_ALLOC {
        return Err(PhotoError::TooManyPixels);
    }
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let img = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    // Shrunk first, then turned upright: turning the full picture would copy it whole
    // (the bound is square, so the order gives the same size).
    let mut scaled = if img.width() > LARGE || img.height() > LARGE { img.thumbnail(LARGE, LARGE) } else { img };
    scaled.apply_orientation(orientation);
    let (large, width, height) = jpeg(&scaled, LARGE)?;
    drop(scaled);
    let small_source = image::load_from_memory_with_format(&large, ImageFormat::Jpeg).map_err(decode_error)?;
    let (small, _, _) = jpeg(&small_source, SMALL)?;
    let digest = Sha256::digest(&large);
    let hash = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    Ok(Processed { hash, large, small, width, height })
}

/// Whether a JPEG arrived whole: its end-of-image marker follows the last
/// start-of-scan marker. (Inside the compressed data a 0xFF byte is always followed
/// by 0x00 or a restart marker, so the end marker cannot appear there by chance; a
/// thumbnail inside the EXIF block comes before the main picture's scan.)
fn jpeg_complete(bytes: &[u8]) -> bool {
    let last_scan = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]);
    last_scan.is_some_and(|at| bytes[at..].windows(2).any(|w| w == [0xFF, 0xD9]))
}

/// Whether `s` is a photo name as [`process`] makes them.
pub fn is_hash(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[doc(hidden)]
pub mod samples {
    //! Images made in memory, for the tests of this crate and of the HTTP layer.
    use image::{ImageBuffer, Rgb};

    /// A JPEG of `w`×`h` with a gradient (so it compresses like a photo, a little).
    pub fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = ImageBuffer::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8]));
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&img).unwrap();
        out
    }

    /// A PNG of `w`×`h`.
    pub fn png(w: u32, h: u32) -> Vec<u8> {
        let img = ImageBuffer::from_fn(w, h, |x, _| Rgb([(x % 256) as u8, 0, 0]));
        let mut out = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
        out
    }

    /// `jpeg` with an EXIF block holding an orientation and a GPS position
    /// (39.9° N, 116.4° E) right after the start marker.
    pub fn jpeg_with_exif(w: u32, h: u32, orientation: u16) -> Vec<u8> {
        let plain = jpeg(w, h);
        // TIFF, little-endian: IFD0 with Orientation (0x0112) and a GPS IFD pointer
        // (0x8825); the GPS IFD with GPSLatitudeRef "N" and GPSLongitudeRef "E" and
        // the text "GPS-SECRET" as an ASCII tag so a test can look for it.
        let mut tiff: Vec<u8> = b"II*\0".to_vec();
        tiff.extend_from_slice(&8u32.to_le_bytes());
        // IFD0: 2 entries.
        tiff.extend_from_slice(&2u16.to_le_bytes());
        tiff.extend_from_slice(&0x0112u16.to_le_bytes());
        tiff.extend_from_slice(&3u16.to_le_bytes());
        tiff.extend_from_slice(&1u32.to_le_bytes());
        tiff.extend_from_slice(&(orientation as u32).to_le_bytes());
        let gps_at = 8 + 2 + 2 * 12 + 4;
        tiff.extend_from_slice(&0x8825u16.to_le_bytes());
        tiff.extend_from_slice(&4u16.to_le_bytes());
        tiff.extend_from_slice(&1u32.to_le_bytes());
        tiff.extend_from_slice(&(gps_at as u32).to_le_bytes());
        tiff.extend_from_slice(&0u32.to_le_bytes());
        // GPS IFD: 3 entries.
        let text_at = gps_at + 2 + 3 * 12 + 4;
        tiff.extend_from_slice(&3u16.to_le_bytes());
        for (tag, value) in [(0x0001u16, *b"N\0\0\0"), (0x0003u16, *b"E\0\0\0")] {
            tiff.extend_from_slice(&tag.to_le_bytes());
            tiff.extend_from_slice(&2u16.to_le_bytes());
            tiff.extend_from_slice(&2u32.to_le_bytes());
            tiff.extend_from_slice(&value);
        }
        let secret = b"GPS-SECRET\0";
        tiff.extend_from_slice(&0x001bu16.to_le_bytes());
        tiff.extend_from_slice(&2u16.to_le_bytes());
        tiff.extend_from_slice(&(secret.len() as u32).to_le_bytes());
        tiff.extend_from_slice(&(text_at as u32).to_le_bytes());
        tiff.extend_from_slice(&0u32.to_le_bytes());
        tiff.extend_from_slice(secret);
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let mut out = plain[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&plain[2..]);
        out
    }

    /// A PNG whose header claims `w`×`h` (an image bomb when large), with a valid CRC.
    pub fn png_claiming(w: u32, h: u32) -> Vec<u8> {
        let mut bytes = png(8, 8);
        // Signature (8) + length (4) + "IHDR" (4): width and height follow.
        bytes[16..20].copy_from_slice(&w.to_be_bytes());
        bytes[20..24].copy_from_slice(&h.to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.sum().to_be_bytes());
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memory_a_conversion_needs_is_told_from_the_header() {
        // A 12-megapixel phone photo: its RGB picture, half again for the JPEG decoder,
        // the large version and the upload.
        let phone = samples::jpeg(4000, 3000);
        let picture = 4000 * 3000 * 3;
        let expected = picture + picture / 2 + 1600 * 1600 * 4 + phone.len() as u64;
        assert_eq!(memory_needed(&phone), Ok(expected));
        // A PNG of 8000 x 8000 (192 MB of pixels) fits in one conversion's share.
        let big = memory_needed(&samples::png_claiming(8000, 8000)).expect("accepted");
        assert!(big > 8000 * 8000 * 3 && big <= MAX_CONVERSION, "{big}");
        // Wider than allowed, or more pixels than the memory allows: each said as such.
        assert_eq!(memory_needed(&samples::png_claiming(12_001, 100)), Err(PhotoError::TooWide));
        assert_eq!(memory_needed(&samples::png_claiming(9000, 9000)), Err(PhotoError::TooManyPixels));
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn a_phone_photo_becomes_two_jpegs_without_its_metadata() {
        let upload = samples::jpeg_with_exif(4000, 3000, 1);
        assert!(contains(&upload, b"GPS-SECRET") && contains(&upload, b"Exif"));
        let p = process(&upload).expect("processed");
        assert_eq!((p.width, p.height), (1600, 1200));
        for out in [&p.large, &p.small] {
            assert!(!contains(out, b"Exif"), "EXIF left in");
            assert!(!contains(out, b"GPS-SECRET"), "GPS left in");
            assert_eq!(image::guess_format(out).unwrap(), ImageFormat::Jpeg);
        }
        let small = image::load_from_memory(&p.small).unwrap();
        assert_eq!((small.width(), small.height()), (320, 240));
        assert!(is_hash(&p.hash));
        // The same upload gives the same name.
        assert_eq!(process(&upload).unwrap().hash, p.hash);
    }

    #[test]
    fn orientation_is_applied() {
        // Orientation 6: the camera was turned; the picture is shown rotated 90°.
        let p = process(&samples::jpeg_with_exif(400, 200, 6)).expect("processed");
        assert_eq!((p.width, p.height), (200, 400));
        let small = process(&samples::jpeg(100, 50)).unwrap();
        assert_eq!((small.width, small.height), (100, 50), "small pictures are not enlarged");
    }

    #[test]
    fn png_is_accepted_and_other_content_refused_whatever_its_name() {
        assert!(process(&samples::png(50, 40)).is_ok());
        assert_eq!(process(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n").unwrap_err(), PhotoError::NotAnImage);
        assert_eq!(process(b"GIF89a\x01\x00\x01\x00").unwrap_err(), PhotoError::NotAnImage);
        assert_eq!(process(b"").unwrap_err(), PhotoError::Empty);
        assert_eq!(process(&vec![0xFF; MAX_UPLOAD + 1]).unwrap_err(), PhotoError::TooLarge);
    }

    #[test]
    fn truncated_and_bomb_images_are_refused() {
        let whole = samples::jpeg(300, 200);
        assert_eq!(process(&whole[..whole.len() / 3]).unwrap_err(), PhotoError::Broken);
        assert_eq!(process(&whole[..whole.len() - 2]).unwrap_err(), PhotoError::Broken);
        // Some phones write data after the end marker: still whole.
        let mut trailer = whole.clone();
        trailer.extend_from_slice(b"SEFT trailer");
        assert!(process(&trailer).is_ok());
        let png = samples::png(300, 200);
        assert!(process(&png[..png.len() / 2]).is_err());
        // 20,000 × 20,000: refused from the header, before any pixel memory.
        assert_eq!(process(&samples::png_claiming(20_000, 20_000)).unwrap_err(), PhotoError::TooWide);
        // Within the side limit but over the memory limit.
        assert_eq!(process(&samples::png_claiming(11_000, 11_000)).unwrap_err(), PhotoError::TooManyPixels);
    }
}
