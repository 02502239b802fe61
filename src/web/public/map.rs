//! `GET /map`: the full-screen map. The same filters as the list, kept in the URL.

use super::stations::FilterForm;
use crate::domain::district::DISTRICTS;
use crate::domain::facility::ALL_FACILITIES;
use crate::web::context::Page;
use crate::web::prelude::*;
use crate::web::query::parse_filter;

/// A district's name where the map draws it.
pub struct DistrictLabel {
    pub code: u32,
    pub name: &'static str,
    pub lat: f64,
    pub lon: f64,
}

#[derive(Template, WebTemplate)]
#[template(path = "public/map.html")]
struct MapPage {
    ctx: PageCtx,
    form: FilterForm,
    /// The filters as a query string, for the map script and the list link.
    query: String,
    tile_url: String,
    tile_attribution: String,
    leaflet_js: String,
    leaflet_css: String,
    map_js: String,
    /// Facility labels as JSON, for popups.
    labels: String,
    districts: Vec<DistrictLabel>,
    /// Where the map opens when the URL gives no view: "zoom/lat/lon" of the
    /// district filtered on, empty for the whole city.
    start: String,
}

/// Zoom at which one district fills a phone screen.
const DISTRICT_ZOOM: u32 = 11;

pub async fn page(Page { req, lang, state, .. }: Page) -> Result<impl Responder, AppError> {
    let snapshot = state.snapshot.load();
    let filter = parse_filter(req.query_string(), &snapshot)?;
    let labels: serde_json::Map<String, serde_json::Value> = ALL_FACILITIES
        .iter()
        .map(|f| (f.key().to_string(), lang.label("facility", f.key()).into_owned().into()))
        .collect();
    Ok(MapPage {
        ctx: PageCtx::new(&req, lang, &state),
        form: FilterForm::new(&filter, &snapshot, lang),
        query: filter.to_query(1),
        tile_url: state.tiles.url.clone(),
        tile_attribution: state.tiles.attribution.clone(),
        leaflet_js: state.assets.url("vendor/leaflet/leaflet.js").to_string(),
        leaflet_css: state.assets.url("vendor/leaflet/leaflet.css").to_string(),
        map_js: state.assets.url("map.js").to_string(),
        labels: serde_json::Value::Object(labels).to_string(),
        start: filter
            .district
            .map(|d| format!("{DISTRICT_ZOOM}/{}/{}", d.label_at.0, d.label_at.1))
            .unwrap_or_default(),
        districts: DISTRICTS
            .iter()
            .map(|d| DistrictLabel { code: d.code, name: d.name(lang.is_zh()), lat: d.label_at.0, lon: d.label_at.1 })
            .collect(),
    })
}
