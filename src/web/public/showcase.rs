//! `/showcase`: model stations (最美驿站) by the level and year of their honours,
//! filterable by district and level, each with its door photo; and `/showcase/{id}`,
//! one station's story (written by staff), photos, honours, facilities and services.
//! Both carry a card for when they are shared (Open Graph, Twitter).

use crate::domain::district::District;
use crate::domain::filter::{ParamError, Problem};
use crate::domain::station::{HonourLevel, Status};
use crate::snapshot::Entry;
use crate::web::context::Page;
use crate::web::page::{Share, excerpt, honour_line};
use crate::web::photos::{large_url, thumbnail};
use crate::web::prelude::*;

/// Stations per showcase page.
pub const SHOWCASE_PAGE: usize = 30;

/// Characters of the story a shared card shows.
const CARD_TEXT: usize = 110;

/// One honoured station in the list.
pub struct Card {
    pub id: i64,
    pub name: String,
    pub district: String,
    /// Its honours, highest level first, newest first.
    pub honours: Vec<String>,
    /// The door photo: (hash, width, height) of its small size.
    pub door: Option<(String, u32, u32)>,
    pub has_story: bool,
}

/// A group of the list: one level of honour.
pub struct Group {
    pub level: &'static str,
    pub title: String,
    pub cards: Vec<Card>,
}

#[derive(Template, WebTemplate)]
#[template(path = "public/showcase.html")]
struct ShowcasePage {
    ctx: PageCtx,
    groups: Vec<Group>,
    total: usize,
    districts: Vec<Choice>,
    levels: Vec<Choice>,
    page: usize,
    pages: usize,
    /// The query of this list without its page, for the paging links.
    query: String,
}

/// The level a station is listed under (`only`, or its best honour's) and its newest
/// year at that level; `None` without an honour there.
fn rank(e: &Entry, only: Option<HonourLevel>) -> Option<(HonourLevel, i32)> {
    let level = only.or_else(|| e.station.honours.iter().map(|h| h.level).min())?;
    let year = e.station.honours.iter().filter(|h| h.level == level).map(|h| h.year).max()?;
    Some((level, year))
}

/// A station's honours in one line each, highest level first, newest first.
fn honour_lines(lang: Lang, e: &Entry) -> Vec<String> {
    let mut honours = e.station.honours.clone();
    honours.sort_by(|a, b| a.level.cmp(&b.level).then(b.year.cmp(&a.year)));
    honours.iter().map(|h| honour_line(lang, h)).collect()
}

pub async fn list(Page { req, lang, state, .. }: Page) -> Result<impl Responder, AppError> {
    let pairs = query_pairs(&req)?;
    let district = match param(&pairs, "district") {
        "" => None,
        raw => Some(District::parse(raw).ok_or_else(|| ParamError::new("district", raw, Problem::UnknownDistrict))?),
    };
    let level = match param(&pairs, "level") {
        "" => None,
        raw => Some(HonourLevel::parse(raw).ok_or_else(|| ParamError::new("level", raw, Problem::BadValue))?),
    };
    let page = page_param(&pairs)? as usize;
    let snapshot = state.snapshot.load();
    // Honoured public stations at the level asked for, best level first, then newest
    // honour, then name.
    let mut ranked: Vec<(HonourLevel, i32, &Entry)> = snapshot
        .entries()
        .iter()
        .filter(|e| e.station.is_public())
        .filter(|e| district.is_none_or(|d| e.station.district.code == d.code))
        .filter_map(|e| rank(e, level).map(|(l, y)| (l, y, e)))
        .collect();
    ranked.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.station.name.cmp(&b.2.station.name)));
    let total = ranked.len();
    let pages = total.div_ceil(SHOWCASE_PAGE).max(1);
    let mut groups: Vec<Group> = Vec::new();
    for (l, _, e) in ranked.into_iter().skip(page * SHOWCASE_PAGE).take(SHOWCASE_PAGE) {
        let card = Card {
            id: e.station.id,
            name: e.station.name.clone(),
            district: e.station.district.name(lang.is_zh()).to_string(),
            honours: honour_lines(lang, e),
            door: snapshot.door_photo(e.station.id).map(thumbnail),
            has_story: !e.station.story.trim().is_empty(),
        };
        match groups.last_mut() {
            Some(g) if g.level == l.key() => g.cards.push(card),
            _ => groups.push(Group {
                level: l.key(),
                title: lang.label("honour", l.key()).into_owned(),
                cards: vec![card],
            }),
        }
    }
    let code = district.map(|d| d.code.to_string()).unwrap_or_default();
    let districts = Choice::districts(lang, &code, |_| true);
    let levels = [HonourLevel::National, HonourLevel::Municipal, HonourLevel::District]
        .iter()
        .map(|l| Choice { value: l.key().into(), label: lang.label("honour", l.key()), selected: level == Some(*l) })
        .collect();
    let mut query: Vec<String> = Vec::new();
    if let Some(d) = district {
        query.push(format!("district={}", d.code));
    }
    if let Some(l) = level {
        query.push(format!("level={}", l.key()));
    }
    let title = lang.t("showcase.title").into_owned();
    let share = Share {
        description: lang.tf("showcase.card", &[("n", &total.to_string())]),
        url: format!("{}/showcase", state.public_url),
        image: None,
        title,
    };
    Ok(ShowcasePage {
        ctx: PageCtx::new(&req, lang, &state).with_share(share),
        groups,
        total,
        districts,
        levels,
        page: page + 1,
        pages,
        query: query.join("&"),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "public/showcase_station.html")]
struct StationShowcase {
    ctx: PageCtx,
    id: i64,
    name: String,
    district: String,
    address: String,
    honours: Vec<String>,
    paragraphs: Vec<String>,
    /// Door photo first, then the inside ones: (hash, width, height).
    photos: Vec<(String, u32, u32)>,
    facilities: Vec<(&'static str, String)>,
    services: Vec<String>,
    closed: bool,
}

pub async fn station(
    Page { req, lang, state, .. }: Page,
    id: Id<crate::domain::station::Station>,
) -> Result<impl Responder, AppError> {
    let id = id.get();
    let snapshot = state.snapshot.load();
    let entry = super::station::listed(&req, lang, &state, &snapshot, id)?;
    let s = &entry.station;
    // A station with neither honours nor a story has nothing to show here.
    let paragraphs: Vec<String> = s.story_paragraphs().into_iter().map(String::from).collect();
    if s.honours.is_empty() && paragraphs.is_empty() {
        return Err(AppError::NotFound);
    }
    // The snapshot keeps a station's photos door first.
    let photos: Vec<(String, u32, u32)> = snapshot.photos(id).iter().map(thumbnail).collect();
    let honours = honour_lines(lang, entry);
    let description = match paragraphs.first() {
        Some(p) => excerpt(p, CARD_TEXT),
        None => honours.join("；"),
    };
    let share = Share {
        title: lang.tf("showcase.station_title", &[("name", &s.name)]),
        description,
        url: format!("{}/showcase/{id}", state.public_url),
        image: snapshot.door_photo(id).map(|p| large_url(&state, p)),
    };
    Ok(StationShowcase {
        ctx: PageCtx::new(&req, lang, &state).with_share(share),
        id,
        name: s.name.clone(),
        district: s.district.name(lang.is_zh()).to_string(),
        address: s.address.clone(),
        honours,
        paragraphs,
        photos,
        facilities: s.working().iter().map(|f| (f.key(), lang.label("facility", f.key()).into_owned())).collect(),
        services: s.services.split(['；', ';']).map(str::trim).filter(|x| !x.is_empty()).map(String::from).collect(),
        closed: matches!(s.status, Status::TemporarilyClosed { .. }),
    })
}
