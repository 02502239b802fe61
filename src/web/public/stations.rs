//! `GET /stations`: the filtered list. Every view is a shareable link.

use crate::web::context::Page;
use crate::web::prelude::*;
use std::borrow::Cow;

use super::view::StationRow;
use crate::domain::district::DISTRICTS;
use crate::domain::facility::{ALL_FACILITIES, Facility, HostType, KEY_FACILITIES};
use crate::domain::filter::StationFilter;
use crate::snapshot::{PER_PAGE, Snapshot};
use crate::web::query::parse_filter;

/// A link that drops one filter, with how many stations it would show.
pub struct Relax {
    pub label: String,
    pub url: String,
    pub count: usize,
}

/// The filter form's fields, shared by the list and the map.
pub struct FilterForm {
    pub q: String,
    pub districts: Vec<Choice>,
    pub streets: Vec<Choice>,
    pub key_facilities: Vec<Choice>,
    pub other_facilities: Vec<Choice>,
    pub other_open: bool,
    pub hosts: Vec<Choice>,
    pub flags: Vec<Choice>,
    pub filtered: bool,
    /// The active filters in words, for the folded filter panel.
    pub active: String,
}

impl FilterForm {
    pub fn new(filter: &StationFilter, snapshot: &Snapshot, lang: Lang) -> FilterForm {
        let choice =
            |value: Cow<'static, str>, label: Cow<'static, str>, selected: bool| Choice { value, label, selected };
        let facility_choice =
            |f: Facility| choice(f.key().into(), lang.label("facility", f.key()), filter.facilities.contains(f));
        let other_facilities: Vec<Choice> =
            ALL_FACILITIES.iter().filter(|f| !KEY_FACILITIES.contains(f)).map(|f| facility_choice(*f)).collect();
        FilterForm {
            q: filter.q_raw.clone(),
            districts: DISTRICTS
                .iter()
                .map(|d| choice(d.code.to_string().into(), d.name(lang.is_zh()).into(), filter.district == Some(d)))
                .collect(),
            streets: filter
                .district
                .map(|d| {
                    snapshot
                        .streets_of(d.code)
                        .map(|s| {
                            let selected = filter.street.as_deref() == Some(s.code.as_str());
                            choice(s.code.clone().into(), s.name.clone().into(), selected)
                        })
                        .collect()
                })
                .unwrap_or_default(),
            key_facilities: KEY_FACILITIES.iter().map(|f| facility_choice(*f)).collect(),
            other_open: other_facilities.iter().any(|c| c.selected),
            other_facilities,
            hosts: HostType::ALL
                .iter()
                .map(|h| choice(h.key().into(), lang.label("host", h.key()), filter.host == Some(*h)))
                .collect(),
            flags: [
                ("open_now", filter.open_now),
                ("h24", filter.h24),
                ("holiday", filter.holiday),
                ("basic", filter.basic),
                ("honoured", filter.honoured),
            ]
            .into_iter()
            .map(|(k, on)| choice(k.into(), lang.label("filter", k), on))
            .collect(),
            filtered: !filter.is_empty(),
            active: relaxations(filter, lang).iter().map(|(label, _)| label.as_str()).collect::<Vec<_>>().join(" · "),
        }
    }
}

/// The list's filter panel, rendered on its own so that it can be kept (see `list`).
#[derive(Template)]
#[template(
    source = r#"{% import "macros.html" as m %}{% call m::filter_form(ctx, form, "/stations", !form.filtered) %}{% endcall %}"#,
    ext = "html"
)]
struct FilterPanel<'a> {
    ctx: &'a PageCtx,
    form: &'a FilterForm,
}

#[derive(Template, WebTemplate)]
#[template(path = "public/stations.html")]
struct StationsPage {
    ctx: PageCtx,
    heading: String,
    /// The filter panel's HTML.
    filters: std::sync::Arc<str>,
    /// The same view on the map.
    map_url: String,
    total: usize,
    /// With "open now": stations left out because their state cannot be told.
    left_out: usize,
    page: u32,
    pages: u32,
    rows: Vec<StationRow>,
    prev_url: Option<String>,
    next_url: Option<String>,
    relax: Vec<Relax>,
    /// The same stations as sheets to print, for a district's list.
    print_url: Option<String>,
    /// The districts to save on the phone for offline use, this list's selected.
    save_choices: Vec<Choice>,
}

/// Each active filter, with the filter that results from dropping it.
pub(crate) fn relaxations(f: &StationFilter, lang: Lang) -> Vec<(String, StationFilter)> {
    let base = StationFilter { page: 1, ..f.clone() };
    let mut out = Vec::new();
    if let Some(d) = f.district {
        out.push((d.name(lang.is_zh()).to_string(), StationFilter { district: None, street: None, ..base.clone() }));
    }
    if f.street.is_some() && f.district.is_none() {
        out.push((lang.t("filter.street").into_owned(), StationFilter { street: None, ..base.clone() }));
    }
    if f.q.is_some() {
        out.push((format!("“{}”", f.q_raw), StationFilter { q: None, q_raw: String::new(), ..base.clone() }));
    }
    for facility in f.facilities.iter() {
        let mut without = base.clone();
        without.facilities = f.facilities.iter().filter(|x| *x != facility).collect();
        out.push((lang.label("facility", facility.key()).into_owned(), without));
    }
    if let Some(h) = f.host {
        out.push((lang.label("host", h.key()).into_owned(), StationFilter { host: None, ..base.clone() }));
    }
    type Clear = fn(&mut StationFilter);
    let flags: [(bool, &str, Clear); 5] = [
        (f.open_now, "filter.open_now", |x| x.open_now = false),
        (f.h24, "filter.h24", |x| x.h24 = false),
        (f.holiday, "filter.holiday", |x| x.holiday = false),
        (f.basic, "filter.basic", |x| x.basic = false),
        (f.honoured, "filter.honoured", |x| x.honoured = false),
    ];
    for (on, key, clear) in flags {
        if on {
            let mut without = base.clone();
            clear(&mut without);
            out.push((lang.t(key).into_owned(), without));
        }
    }
    out
}

fn url(f: &StationFilter, page: u32) -> String {
    match f.to_query(page) {
        q if q.is_empty() => "/stations".to_string(),
        q => format!("/stations?{q}"),
    }
}

pub async fn list(Page { req, lang, state, .. }: Page) -> Result<HttpResponse, AppError> {
    let snapshot = state.snapshot.load();
    let filter = parse_filter(req.query_string(), &snapshot)?;
    let now = state.clock.now();
    let result = snapshot.list(&filter, now, PER_PAGE);
    let rows = result
        .items
        .iter()
        .map(|e| StationRow::new(e, lang, &snapshot.calendar, now).with_matched_first(filter.facilities))
        .collect();
    let relax = if result.total == 0 {
        relaxations(&filter, lang)
            .into_iter()
            .map(|(label, f)| Relax { label, url: url(&f, 1), count: snapshot.filter(&f, now).count() })
            .collect()
    } else {
        Vec::new()
    };
    let heading = match (filter.district, filter.street.as_deref().and_then(|c| snapshot.street(c))) {
        (_, Some(street)) => street.name.clone(),
        (Some(d), None) => d.name(lang.is_zh()).to_string(),
        (None, None) => lang.t("list.all").into_owned(),
    };
    let map_url = match filter.to_query(1) {
        q if q.is_empty() => "/map".to_string(),
        q => format!("/map?{q}"),
    };
    let ctx = PageCtx::new(&req, lang, &state);
    // The panel depends on the language, the filter and the snapshot's streets only,
    // and a list of 20 stations spent about a fifth of its time building it.
    let filters = snapshot.fragment(&format!("stations-filters {} {}", lang.code(), filter.to_query(1)), || {
        let form = FilterForm::new(&filter, &snapshot, lang);
        FilterPanel { ctx: &ctx, form: &form }.render()
    })?;
    let page = StationsPage {
        ctx,
        heading,
        filters,
        map_url,
        total: result.total,
        left_out: snapshot.left_out_unknown(&filter, now),
        page: result.page,
        pages: result.pages,
        rows,
        prev_url: (result.page > 1).then(|| url(&filter, result.page.min(result.pages + 1) - 1)),
        next_url: (result.page < result.pages).then(|| url(&filter, result.page + 1)),
        relax,
        print_url: filter.district.map(|_| format!("/print?{}", filter.to_query(1))),
        save_choices: crate::web::views::offline::save_choices(
            lang,
            &snapshot,
            &filter.district.map(|d| d.code.to_string()).unwrap_or_default(),
        ),
    };
    html_page(StatusCode::OK, &page)
}
