//! Open data: `/api/stations.geojson` and `/api/stations.csv`, with the list's
//! filters, an ETag and 304.

use std::hash::{Hash, Hasher};

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde_json::json;

use crate::domain::filter::StationFilter;
use crate::snapshot::{Entry, Snapshot};
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::i18n::Lang;
use crate::web::public::stations::parse_filter;

/// The ETag of an export: data version, query and, for "open now", the minute.
fn etag(snapshot: &Snapshot, query: &str, filter: &StationFilter, now: i64, kind: &str) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (snapshot.version, query, kind, if filter.open_now { now / 60 } else { 0 }).hash(&mut h);
    format!("\"{:016x}\"", h.finish())
}

fn not_modified(req: &HttpRequest, tag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag))
}

/// Runs an export: parse filters, answer 304 when the client has it, else build the body.
fn export(
    req: &HttpRequest,
    state: &AppState,
    kind: &str,
    content_type: &str,
    body: impl FnOnce(&Snapshot, Vec<&Entry>, i64) -> Result<Vec<u8>, AppError>,
) -> Result<HttpResponse, AppError> {
    let snapshot = state.snapshot.load();
    let mut filter = parse_filter(req.query_string(), &snapshot)?;
    filter.page = 1;
    let now = state.clock.now();
    let tag = etag(&snapshot, req.query_string(), &filter, now, kind);
    if not_modified(req, &tag) {
        return Ok(HttpResponse::NotModified().insert_header((header::ETAG, tag)).finish());
    }
    let entries: Vec<&Entry> = snapshot.filter(&filter, now).collect();
    let bytes = body(&snapshot, entries, now)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CONTENT_DISPOSITION, format!("inline; filename=\"yizhan-stations.{kind}\"")))
        .body(bytes))
}

#[get("/api/stations.geojson")]
pub async fn geojson(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    export(&req, &state, "geojson", "application/geo+json", |snapshot, entries, now| {
        let features: Vec<_> = entries
            .iter()
            .map(|e| {
                let s = &e.station;
                json!({
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [s.position.lon, s.position.lat]},
                    "properties": {
                        "id": s.id,
                        "name": s.name,
                        "district_code": s.district.code.to_string(),
                        "street_code": s.street_code,
                        "address": s.address,
                        "location_precision": s.precision.key(),
                        "host_type": s.host.key(),
                        "opening_hours": s.hours.as_ref().map(|h| h.raw()),
                        "holiday_open": s.holiday_open,
                        "open_now": e.is_open(now),
                        "h24": e.h24,
                        "facilities": s.facilities.iter().map(|f| f.key()).collect::<Vec<_>>(),
                        "basic": s.meets_basic(),
                        "status": s.status.key(),
                        "phone": s.phone.as_ref().map(|p| p.as_str()),
                        "verified_on": s.verified_on.map(|d| d.to_string()),
                        "synthetic": s.synthetic,
                    }
                })
            })
            .collect();
        let doc = json!({"type": "FeatureCollection", "data_version": snapshot.version, "features": features});
        serde_json::to_vec(&doc).map_err(|e| AppError::Internal(e.to_string()))
    })
}

/// A text cell that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab or
/// carriage return first) gets a leading `'`, as OWASP's CSV injection guidance says.
fn csv_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_string() }
}

#[get("/api/stations.csv")]
pub async fn csv(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    // Column headers are for people: Chinese, from the locale file.
    let lang = Lang::Zh;
    export(&req, &state, "csv", "text/csv; charset=utf-8", |snapshot, entries, now| {
        let mut out = Vec::from("\u{feff}".as_bytes());
        {
            let mut w = ::csv::Writer::from_writer(&mut out);
            let headers = [
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
                "open_now",
                "facilities",
                "basic",
                "status",
                "phone",
                "verified_on",
            ];
            let header_row: Vec<String> = headers.iter().map(|h| lang.t(&format!("export.{h}")).into_owned()).collect();
            w.write_record(&header_row).map_err(|e| AppError::Internal(e.to_string()))?;
            let yes_no = |b: bool| lang.t(if b { "export.yes" } else { "export.no" }).into_owned();
            for e in entries {
                let s = &e.station;
                let street = s.street_code.as_deref().and_then(|c| snapshot.street(c)).map(|st| st.name.clone());
                let facilities: Vec<String> =
                    s.facilities.iter().map(|f| lang.label("facility", f.key()).into_owned()).collect();
                w.write_record([
                    s.id.to_string(),
                    csv_cell(&s.name),
                    s.district.name_zh.to_string(),
                    csv_cell(&street.unwrap_or_default()),
                    csv_cell(&s.address),
                    format!("{:.6}", s.position.lat),
                    format!("{:.6}", s.position.lon),
                    lang.t(&format!("export.precision_{}", s.precision.key())).into_owned(),
                    lang.label("host", s.host.key()).into_owned(),
                    csv_cell(s.hours.as_ref().map(|h| h.raw()).unwrap_or_default()),
                    yes_no(s.holiday_open),
                    yes_no(e.is_open(now)),
                    facilities.join("、"),
                    yes_no(s.meets_basic()),
                    lang.t(&format!("export.status_{}", s.status.key())).into_owned(),
                    csv_cell(s.phone.as_ref().map(|p| p.as_str()).unwrap_or_default()),
                    s.verified_on.map(|d| d.to_string()).unwrap_or_default(),
                ])
                .map_err(|e| AppError::Internal(e.to_string()))?;
            }
            w.flush().map_err(|e| AppError::Internal(e.to_string()))?;
        }
        Ok(out)
    })
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
}
