//! The page of a revoked station (410 Gone): which station it was, when and why it
//! was revoked, and the three nearest stations open now, so a worker holding an old
//! link or QR code still finds somewhere to go.

use crate::snapshot::{Entry, Snapshot};
use crate::web::page::distance_text;
use crate::web::prelude::*;

/// Open stations offered instead.
const ALTERNATIVES: usize = 3;

/// An open station near the revoked one.
pub struct Nearby {
    pub id: i64,
    pub name: String,
    pub distance: String,
    pub address: String,
}

#[derive(Template)]
#[template(path = "public/revoked.html")]
struct RevokedPage {
    ctx: PageCtx,
    name: String,
    district: &'static str,
    address: String,
    /// When it was revoked ("2025-11-17 10:00"), if recorded.
    revoked_at: Option<String>,
    reason: Option<String>,
    nearby: Vec<Nearby>,
    /// Where it was, for "more stations near here"; `None` if that was never known.
    coords: Option<(String, String)>,
}

/// The 410 answer for the revoked station `entry`: its page, ready to send.
pub fn gone(req: &HttpRequest, lang: Lang, state: &AppState, snapshot: &Snapshot, entry: &Entry) -> AppError {
    let s = &entry.station;
    let nearby = s
        .position
        .map(|p| snapshot.nearest_open(p, state.clock.now(), ALTERNATIVES, Some(s.id)))
        .unwrap_or_default()
        .into_iter()
        .map(|(e, metres)| Nearby {
            id: e.station.id,
            name: e.station.name.clone(),
            distance: distance_text(lang, metres),
            address: e.station.address.clone(),
        })
        .collect();
    let page = RevokedPage {
        ctx: PageCtx::new(req, lang, state),
        name: s.name.clone(),
        district: s.district.name(lang.is_zh()),
        address: s.address.clone(),
        revoked_at: s.revocation.as_ref().map(|r| date_time(r.at)),
        reason: s.revocation.as_ref().map(|r| r.reason.clone()).filter(|r| !r.is_empty()),
        nearby,
        coords: s.position.map(|p| (format!("{:.5}", p.lat), format!("{:.5}", p.lon))),
    };
    match page.render() {
        Ok(html) => AppError::Rendered(StatusCode::GONE, html),
        Err(e) => e.into(),
    }
}
