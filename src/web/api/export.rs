//! Open data: `/api/stations.geojson` and `/api/stations.csv`, with the list's
//! filters, an ETag and 304.
//!
//! The whole data set is written once per data version, on a blocking thread,
//! straight into gzip, and kept: every request for it shares those bytes. A
//! filtered export is written a few hundred rows at a time into the response, and
//! only a few run at once. Neither holds a document tree of every station, and
//! neither carries live state ("open now"): a file is true for its data version.

use crate::web::prelude::*;
use std::io::{Read, Write};
use std::sync::Arc;

use actix_web::http::header;
use actix_web::web::Bytes;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use futures_util::{StreamExt, stream};
use serde_json::json;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::domain::filter::StationFilter;
use crate::snapshot::{Entry, Snapshot};
use crate::web::cache::{Kept, blocking, not_modified};
use crate::web::query::parse_filter;

/// Filtered exports that may run at once; more get a 429 page.
pub const FILTERED_AT_ONCE: usize = 3;
/// Rows written per piece of a filtered export.
const ROWS_PER_PIECE: usize = 256;
/// Bytes per piece when the kept gzip is unpacked for a client that cannot take gzip.
const UNPACKED_PIECE: usize = 64 * 1024;

/// The two formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    GeoJson,
    Csv,
}

impl Format {
    fn key(self) -> &'static str {
        match self {
            Format::GeoJson => "geojson",
            Format::Csv => "csv",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::GeoJson => "application/geo+json",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }

    /// What comes before the first row.
    fn head(self, version: i64) -> Result<Vec<u8>, AppError> {
        match self {
            Format::GeoJson => {
                Ok(format!(r#"{{"type":"FeatureCollection","data_version":{version},"features":["#).into_bytes())
            }
            Format::Csv => {
                let mut out = Vec::from("\u{feff}".as_bytes());
                let mut w = ::csv::Writer::from_writer(&mut out);
                let lang = Lang::Zh;
                let header_row: Vec<String> =
                    CSV_COLUMNS.iter().map(|h| lang.t(&format!("export.{h}")).into_owned()).collect();
                w.write_record(&header_row).map_err(internal)?;
                w.flush().map_err(internal)?;
                drop(w);
                Ok(out)
            }
        }
    }

    /// What comes after the last row.
    fn tail(self) -> &'static [u8] {
        match self {
            Format::GeoJson => b"]}",
            Format::Csv => b"",
        }
    }

    /// Writes `entries` to `out`; `first` says whether nothing was written before them.
    fn rows<'a, W: Write>(
        self,
        out: &mut W,
        snapshot: &Snapshot,
        entries: impl Iterator<Item = &'a Entry>,
        mut first: bool,
    ) -> Result<(), AppError> {
        match self {
            Format::GeoJson => {
                for e in entries {
                    if !first {
                        out.write_all(b",").map_err(internal)?;
                    }
                    first = false;
                    serde_json::to_writer(&mut *out, &feature(e)).map_err(internal)?;
                }
                Ok(())
            }
            Format::Csv => {
                let mut w = ::csv::Writer::from_writer(&mut *out);
                for e in entries {
                    w.write_record(csv_record(snapshot, e)).map_err(internal)?;
                }
                w.flush().map_err(internal)
            }
        }
    }
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

/// One station as a GeoJSON feature.
fn feature(e: &Entry) -> serde_json::Value {
    let s = &e.station;
    json!({
        "type": "Feature",
        "geometry": s.position.map(|p| json!({"type": "Point", "coordinates": [p.lon, p.lat]})),
        "properties": {
            "id": s.id,
            "name": s.name,
            "district_code": s.district.code.to_string(),
            "street_code": s.street_code,
            "address": s.address,
            "location_precision": s.position.map(|_| s.precision.key()).unwrap_or("unknown"),
            "host_type": s.host.key(),
            "opening_hours": s.hours.as_ref().map(|h| h.raw()),
            "holiday_open": s.opens_on_holidays(),
            "h24": e.h24,
            "facilities": s.working().iter().map(|f| f.key()).collect::<Vec<_>>(),
            "basic": s.meets_basic(),
            "status": s.status.key(),
            "phone": s.phone.as_ref().map(|p| p.as_str()),
            "verified_on": s.verified_on.map(|d| d.to_string()),
            "synthetic": s.synthetic,
        }
    })
}

/// The CSV columns (their headers are `export.KEY` in the locale files).
const CSV_COLUMNS: [&str; 16] = [
    "id",
    "name",
    "district",
    "street",
    "address",
    "lat",
    "lon",
    "precision",
    "host",
    "hours",
    "holiday_open",
    "facilities",
    "basic",
    "status",
    "phone",
    "verified_on",
];

/// A text cell guarded against being read as a formula (see [`sheet::formula_guarded`]).
fn csv_cell(text: &str) -> String {
    crate::sheet::formula_guarded(text).into_owned()
}

/// One station as a CSV row. Column headers and values are for people: Chinese.
fn csv_record(snapshot: &Snapshot, e: &Entry) -> [String; 16] {
    let lang = Lang::Zh;
    let s = &e.station;
    let yes_no = |b: bool| lang.t(if b { "export.yes" } else { "export.no" }).into_owned();
    let street = s.street_code.as_deref().and_then(|c| snapshot.street(c)).map(|st| st.name.as_str());
    let facilities: Vec<String> = s.working().iter().map(|f| lang.label("facility", f.key()).into_owned()).collect();
    [
        s.id.to_string(),
        csv_cell(&s.name),
        s.district.name_zh.to_string(),
        csv_cell(street.unwrap_or_default()),
        csv_cell(&s.address),
        s.position.map(|p| format!("{:.6}", p.lat)).unwrap_or_default(),
        s.position.map(|p| format!("{:.6}", p.lon)).unwrap_or_default(),
        lang.t(&format!("export.precision_{}", s.position.map(|_| s.precision.key()).unwrap_or("unknown")))
            .into_owned(),
        lang.label("host", s.host.key()).into_owned(),
        csv_cell(s.hours.as_ref().map(|h| h.raw()).unwrap_or_default()),
        yes_no(s.opens_on_holidays()),
        facilities.join("、"),
        yes_no(s.meets_basic()),
        lang.t(&format!("export.status_{}", s.status.key())).into_owned(),
        csv_cell(s.phone.as_ref().map(|p| p.as_str()).unwrap_or_default()),
        s.verified_on.map(|d| d.to_string()).unwrap_or_default(),
    ]
}

/// A whole export of one data version, gzipped.
pub struct Whole {
    version: i64,
    gzip: Bytes,
}

/// The kept whole exports (the newest data versions, built once each on the blocking
/// pool and shared), and the permits of the filtered ones.
pub struct Exports {
    whole: Kept<(Format, i64), Whole>,
    filtered: Arc<Semaphore>,
}

impl Default for Exports {
    fn default() -> Exports {
        Exports { whole: Kept::new(2, 2), filtered: Arc::new(Semaphore::new(FILTERED_AT_ONCE)) }
    }
}

impl Exports {
    /// The whole export of `snapshot`, built once and shared.
    async fn whole(&self, format: Format, snapshot: Arc<Snapshot>) -> Result<Arc<Whole>, AppError> {
        self.whole.get((format, snapshot.version), || blocking(move || build_whole(format, &snapshot))).await
    }
}

/// Every public station of the snapshot, written through gzip.
fn build_whole(format: Format, snapshot: &Snapshot) -> Result<Whole, AppError> {
    let started = std::time::Instant::now();
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(&format.head(snapshot.version)?).map_err(internal)?;
    let all = StationFilter { page: 1, ..StationFilter::default() };
    // No "open now" in the filter: the time does not matter.
    format.rows(&mut gz, snapshot, snapshot.filter(&all, 0), true)?;
    gz.write_all(format.tail()).map_err(internal)?;
    let gzip = Bytes::from(gz.finish().map_err(internal)?);
    tracing::info!(
        format = format.key(),
        version = snapshot.version,
        bytes = gzip.len(),
        ms = started.elapsed().as_millis() as u64,
        "whole export built"
    );
    Ok(Whole { version: snapshot.version, gzip })
}

/// A body kept gzipped: as it is for a client that takes gzip, else unpacked a piece
/// at a time, never whole.
pub(super) fn kept_gzip(mut res: actix_web::HttpResponseBuilder, gzip: Bytes, takes_gzip: bool) -> HttpResponse {
    res.insert_header((header::VARY, "Accept-Encoding"));
    if takes_gzip {
        return res.insert_header((header::CONTENT_ENCODING, "gzip")).body(gzip);
    }
    let reader = GzDecoder::new(std::io::Cursor::new(gzip));
    let pieces = stream::unfold(Some(reader), |reader| async move {
        let mut reader = reader?;
        // A fast client would otherwise keep this worker unpacking piece after
        // piece; other requests get their turn between pieces.
        tokio::task::yield_now().await;
        let mut piece = vec![0; UNPACKED_PIECE];
        match reader.read(&mut piece) {
            Ok(0) => None,
            Ok(n) => {
                piece.truncate(n);
                Some((Ok::<_, actix_web::Error>(Bytes::from(piece)), Some(reader)))
            }
            Err(e) => Some((Err(actix_web::error::ErrorInternalServerError(e)), None)),
        }
    });
    res.streaming(pieces)
}

/// Whether the client takes gzip (`Accept-Encoding: gzip`, not with `q=0`).
pub(super) fn takes_gzip(req: &HttpRequest) -> bool {
    req.headers().get_all(header::ACCEPT_ENCODING).filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
        |item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or_default();
            let refused = parts.any(|p| p.replace(' ', "").eq_ignore_ascii_case("q=0") || p == "q=0.0");
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        },
    )
}

/// The ETag of a filtered export: data version, format, filter and, for "open now", the minute.
fn filtered_etag(version: i64, format: Format, filter: &StationFilter, now: i64) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (filter.to_query(1), filter.open_now.then(|| now.div_euclid(60))).hash(&mut h);
    format!("\"{}-v{version}-{:016x}\"", format.key(), h.finish())
}

fn headers(format: Format, tag: &str) -> actix_web::HttpResponseBuilder {
    let mut res = HttpResponse::Ok();
    res.insert_header((header::ETAG, tag.to_string()))
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .insert_header((header::CONTENT_TYPE, format.content_type()))
        .insert_header((header::CONTENT_DISPOSITION, format!("inline; filename=\"yizhan-stations.{}\"", format.key())));
    res
}

/// Answers an export request in `format`.
async fn export(
    req: HttpRequest,
    state: &AppState,
    exports: &Exports,
    format: Format,
) -> Result<HttpResponse, AppError> {
    let snapshot = state.snapshot.load_full();
    let mut filter = parse_filter(req.query_string(), &snapshot)?;
    filter.page = 1;
    if filter.is_empty() {
        // The gzip and the plain answer are different bytes: different tags.
        let gzip = takes_gzip(&req);
        let tag = format!("\"{}-v{}{}\"", format.key(), snapshot.version, if gzip { "-gz" } else { "" });
        if not_modified(&req, &tag) {
            return Ok(HttpResponse::NotModified().insert_header((header::ETAG, tag)).finish());
        }
        let whole = exports.whole(format, snapshot).await?;
        let mut res = headers(format, &tag);
        res.insert_header(("X-Data-Version", whole.version.to_string()));
        return Ok(kept_gzip(res, whole.gzip.clone(), gzip));
    }
    let now = state.clock.now();
    let tag = filtered_etag(snapshot.version, format, &filter, now);
    if not_modified(&req, &tag) {
        return Ok(HttpResponse::NotModified().insert_header((header::ETAG, tag)).finish());
    }
    let Ok(permit) = exports.filtered.clone().try_acquire_owned() else {
        return Err(AppError::Page(StatusCode::TOO_MANY_REQUESTS, "export_busy"));
    };
    let ids: Vec<i64> = snapshot.filter(&filter, now).map(|e| e.station.id).collect();
    let head = Bytes::from(format.head(snapshot.version)?);
    let pieces = Pieces { format, snapshot, ids, next: 0, _permit: permit };
    let body = stream::once(async move { Ok::<_, actix_web::Error>(head) }).chain(stream::unfold(
        Some(pieces),
        |pieces| async move {
            let mut pieces = pieces?;
            tokio::task::yield_now().await;
            match pieces.next_piece() {
                Ok(Some(bytes)) => Some((Ok(bytes), Some(pieces))),
                Ok(None) => None,
                Err(e) => Some((Err(actix_web::error::ErrorInternalServerError(e)), None)),
            }
        },
    ));
    Ok(headers(format, &tag).streaming(body))
}

/// A filtered export being written: the snapshot it reads, the stations it lists,
/// and its permit (given back when the response ends or the client goes away).
struct Pieces {
    format: Format,
    snapshot: Arc<Snapshot>,
    ids: Vec<i64>,
    next: usize,
    _permit: OwnedSemaphorePermit,
}

impl Pieces {
    /// The next few hundred rows; the tail after the last; `None` at the end.
    fn next_piece(&mut self) -> Result<Option<Bytes>, AppError> {
        if self.next > self.ids.len() {
            return Ok(None);
        }
        let end = (self.next + ROWS_PER_PIECE).min(self.ids.len());
        let mut out = Vec::with_capacity(ROWS_PER_PIECE * 600);
        let snapshot = &self.snapshot;
        let entries = self.ids[self.next..end].iter().filter_map(|id| snapshot.get(*id));
        self.format.rows(&mut out, snapshot, entries, self.next == 0)?;
        if end == self.ids.len() {
            out.extend_from_slice(self.format.tail());
            self.next = end + 1;
        } else {
            self.next = end;
        }
        Ok(Some(Bytes::from(out)))
    }
}

pub async fn geojson(
    req: HttpRequest,
    state: web::Data<AppState>,
    exports: web::Data<Exports>,
) -> Result<HttpResponse, AppError> {
    export(req, &state, &exports, Format::GeoJson).await
}

pub async fn csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    exports: web::Data<Exports>,
) -> Result<HttpResponse, AppError> {
    export(req, &state, &exports, Format::Csv).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_quoted() {
        let link = r#"=HYPERLINK("http://evil.example","点我")"#;
        assert_eq!(csv_cell(link), format!("'{link}"));
        for risky in ["+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(csv_cell(risky), format!("'{risky}"));
        }
        assert_eq!(csv_cell("丰台驿站 = 好"), "丰台驿站 = 好");
        assert_eq!(csv_cell(""), "");
    }

    #[test]
    fn gzip_is_taken_unless_refused() {
        let req =
            |v: &str| actix_web::test::TestRequest::default().insert_header(("Accept-Encoding", v)).to_http_request();
        assert!(takes_gzip(&req("gzip, deflate, br")));
        assert!(takes_gzip(&req("br;q=1.0, gzip;q=0.8")));
        assert!(takes_gzip(&req("*")));
        assert!(!takes_gzip(&req("gzip;q=0")));
        assert!(!takes_gzip(&req("br")));
        assert!(!takes_gzip(&actix_web::test::TestRequest::default().to_http_request()));
    }
}
