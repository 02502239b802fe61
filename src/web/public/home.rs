//! `GET /`: what the site is, a search box, districts with counts, quick links.

use crate::web::context::Page;
use crate::web::prelude::*;

/// A district and how many stations it has.
pub struct DistrictLink {
    pub code: u32,
    pub name: &'static str,
    pub count: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "public/home.html")]
struct HomePage {
    ctx: PageCtx,
    total: usize,
    districts: Vec<DistrictLink>,
    quick: &'static [(&'static str, &'static str)],
    /// The districts to save on the phone for offline use.
    save_choices: Vec<Choice>,
}

/// The common combinations, one tap each: the list's filters, and the label's key.
/// With a position they open `/near` with the same filters.
pub const QUICK: &[(&str, &str)] = &[
    ("open_now=1&facility=toilet", "home.quick_open_toilet"),
    ("open_now=1&facility=water", "home.quick_open_water"),
    ("open_now=1&facility=charging", "home.quick_open_charging"),
    ("open_now=1&facility=microwave", "home.quick_open_microwave"),
    ("h24=1", "home.quick_h24"),
    ("open_now=1", "home.quick_open_now"),
];

pub async fn page(Page { req, lang, state, .. }: Page) -> impl Responder {
    let snapshot = state.snapshot.load();
    let districts = snapshot
        .district_counts
        .iter()
        .filter_map(|c| {
            c.district.map(|d| DistrictLink { code: d.code, name: d.name(lang.is_zh()), count: c.stations })
        })
        .collect();
    HomePage {
        ctx: PageCtx::new(&req, lang, &state),
        total: snapshot.public_count(),
        districts,
        quick: QUICK,
        save_choices: crate::web::views::offline::save_choices(lang, &snapshot, ""),
    }
}
