//! `GET /api/districts/{code}/offline`: one district's stations as one compact file for
//! a phone to keep, so that it can say what is open without a signal. Each station's
//! open intervals for the next 14 days come from the hours the server already computes
//! (the snapshot's timelines); days whose state cannot be told are marked unknown, and
//! a station out of service has no open interval at all. The phone computes nothing
//! of opening hours itself.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

use actix_web::web::Bytes;

use super::export::{kept_gzip, takes_gzip};
use crate::domain::district::{DISTRICTS, District};
use crate::domain::facility::ALL_FACILITIES;
use crate::domain::hours::{Timeline, midnight};
use crate::domain::station::Status;
use crate::snapshot::Snapshot;
use crate::web::cache::{Kept, blocking, not_modified};
use crate::web::prelude::*;

/// Days a kept district covers, from the start of today.
pub const OFFLINE_DAYS: i64 = 14;

#[derive(Serialize)]
struct Offline<'a> {
    district: String,
    name: &'a str,
    /// When the file was made, and the span it covers (Unix seconds, Beijing days).
    made_at: i64,
    from: i64,
    until: i64,
    /// The facility keys; a station's `f` lists indices into this.
    facilities: Vec<&'static str>,
    /// Distinct hours over the span, shared by the stations that have them: open and
    /// unknown intervals in minutes from `from`.
    hours: Vec<Span>,
    stations: Vec<KeptStation<'a>>,
}

#[derive(Serialize)]
struct Span {
    open: Vec<[i64; 2]>,
    unknown: Vec<[i64; 2]>,
}

#[derive(Serialize)]
struct KeptStation<'a> {
    id: i64,
    code: &'a str,
    name: &'a str,
    address: &'a str,
    /// The street (街道/乡镇) by name, to sort by without a position.
    #[serde(skip_serializing_if = "Option::is_none")]
    st: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lat: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lon: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<&'a str>,
    f: Vec<usize>,
    /// `open`, or why it is out of service (`temporarily_closed`).
    status: &'static str,
    /// Index into `hours`; absent when the hours are not known or the station is out of
    /// service (never open, whatever its hours say).
    #[serde(skip_serializing_if = "Option::is_none")]
    h: Option<usize>,
}

/// A timeline's intervals within `from..until`, in minutes from `from`; the time past
/// the timeline's own end is unknown.
fn span(t: &Timeline, from: i64, until: i64) -> Span {
    let clip = |list: &[(i64, i64)]| -> Vec<[i64; 2]> {
        list.iter()
            .filter(|(s, e)| *e > from && *s < until)
            .map(|(s, e)| [((*s).max(from) - from) / 60, ((*e).min(until) - from) / 60])
            .collect()
    };
    let mut unknown = clip(&t.unknown);
    if t.end < until {
        unknown.push([(t.end.max(from) - from) / 60, (until - from) / 60]);
    }
    Span { open: clip(&t.open), unknown }
}

/// Five decimals: about a metre.
fn round(v: f64) -> f64 {
    (v * 100_000.0).round() / 100_000.0
}

/// The files of the districts asked for lately, by district, data version and day:
/// each built once on the blocking pool (two at a time at most), kept gzipped and
/// shared. At 200,000 stations the largest district's file is 1.8 MB gzipped (7.3 MB
/// as JSON): what is kept stays in tens of megabytes, and no answer is packed again.
pub struct Files(Kept<(u32, i64, i64), Bytes>);

impl Default for Files {
    fn default() -> Files {
        // Every district of the day's data version, and a few more.
        Files(Kept::new(DISTRICTS.len() + 4, 2))
    }
}

/// `GET /api/districts/{code}/offline`: the district's file; 304 to the ETag of the
/// same data version and day.
pub async fn district(
    state: web::Data<AppState>,
    files: web::Data<Files>,
    req: HttpRequest,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let district: &'static District =
        District::parse(&code).filter(|d| d.code.to_string() == *code).ok_or_else(|| {
            crate::domain::filter::ParamError::new("district", &code, crate::domain::filter::Problem::BadValue)
        })?;
    let snapshot = state.snapshot.load_full();
    let now = state.clock.now();
    let from = midnight(state.clock.today());
    // The gzip and the plain answer are different bytes: different tags.
    let gzip = takes_gzip(&req);
    let tag = format!("\"offline-{}-v{}-{from}{}\"", district.code, snapshot.version, if gzip { "-gz" } else { "" });
    if not_modified(&req, &tag) {
        return Ok(HttpResponse::NotModified().insert_header((actix_web::http::header::ETAG, tag)).finish());
    }
    let key = (district.code, snapshot.version, from);
    let file = files.0.get(key, || blocking(move || build(district, &snapshot, from, now))).await?;
    let mut res = HttpResponse::Ok();
    res.insert_header((actix_web::http::header::ETAG, tag))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "public, max-age=300"))
        .content_type("application/json");
    Ok(kept_gzip(res, Bytes::clone(&file), gzip))
}

/// A district's file for the day starting at `from`, as gzipped JSON.
fn build(district: &'static District, snapshot: &Snapshot, from: i64, now: i64) -> Result<Bytes, AppError> {
    let until = from + OFFLINE_DAYS * 86_400;
    let mut shared: HashMap<*const Timeline, usize> = HashMap::new();
    let mut hours = Vec::new();
    let mut stations = Vec::new();
    let scope = crate::domain::staff::StaffScope::Districts(vec![district]);
    for e in snapshot.entries_in(&scope).filter(|e| e.station.is_public()) {
        let s = &e.station;
        let in_service = s.status == Status::Open;
        let h = match (&e.timeline, in_service) {
            (Some(t), true) => Some(*shared.entry(Arc::as_ptr(t)).or_insert_with(|| {
                hours.push(span(t, from, until));
                hours.len() - 1
            })),
            _ => None,
        };
        let working = s.working();
        stations.push(KeptStation {
            id: s.id,
            code: &s.code,
            name: &s.name,
            address: &s.address,
            st: s.street_code.as_deref().and_then(|c| snapshot.street(c)).map(|st| st.name.as_str()),
            lat: s.position.map(|p| round(p.lat)),
            lon: s.position.map(|p| round(p.lon)),
            phone: s.phone.as_ref().map(|p| p.as_str()),
            f: ALL_FACILITIES.iter().enumerate().filter(|(_, f)| working.contains(**f)).map(|(i, _)| i).collect(),
            status: s.status.key(),
            h,
        });
    }
    let body = Offline {
        district: district.code.to_string(),
        name: district.name(true),
        made_at: now,
        from,
        until,
        facilities: ALL_FACILITIES.iter().map(|f| f.key()).collect(),
        hours,
        stations,
    };
    let internal = |e: std::io::Error| AppError::Internal(e.to_string());
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    serde_json::to_writer(&mut gz, &body).map_err(|e| AppError::Internal(e.to_string()))?;
    gz.finish().map(Bytes::from).map_err(internal)
}
