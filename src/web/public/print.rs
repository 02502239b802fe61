//! Things to print: `/print`, A4 lists of stations with a QR code each, and door
//! posters per station (A5) and per district (A4), as print-ready HTML and as SVG.
//! QR codes lead to `YIZHAN_PUBLIC_URL`; every sheet says so when it is not set.

use super::view::Chip;
use crate::domain::district::District;
use crate::domain::facility::{Facility, FacilitySet};
use crate::domain::filter::{ParamError, Problem, StationFilter};
use crate::domain::station::{Station, Status};
use crate::snapshot::{Entry, Snapshot};
use crate::web::context::Page;
use crate::web::icons;
use crate::web::prelude::*;
use crate::web::qr::Qr;
use crate::web::query::parse_filter;

/// Stations on one printed list (one request).
pub const PER_PRINT: usize = 500;

/// Facilities a door poster shows as icons; the rest are counted.
const POSTER_FACILITIES: usize = 8;

/// Font families for SVG posters: the CJK fonts found on common systems, then any sans-serif.
const FONTS: &str = "'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Hiragino Sans GB','Microsoft YaHei','WenQuanYi Micro Hei',sans-serif";

/// The warning every sheet carries while `YIZHAN_PUBLIC_URL` is not set.
fn unset_warning(state: &AppState, lang: Lang) -> Option<String> {
    (!state.public_url_set).then(|| lang.tf("print.url_unset", &[("url", &state.public_url)]))
}

/// A station's public URL, as its printed QR code gives it.
fn station_url(state: &AppState, station: &Station) -> String {
    format!("{}/s/{}", state.public_url, station.code)
}

/// A QR code for `url`; our URLs are short, so a failure is a bug, not bad input.
fn qr(url: &str) -> Result<Qr, AppError> {
    Qr::new(url).ok_or_else(|| AppError::Internal(format!("no QR code fits {url:?}")))
}

/// The icons of the given facilities with their names.
fn chips(set: FacilitySet, lang: Lang) -> Vec<Chip> {
    set.iter().map(|f| Chip::of(f, lang)).collect()
}

/// The week's hours in words, one line per run of days ("周一至周五 08:00–18:00").
fn hours_in_words(entry: &Entry, lang: Lang) -> Vec<String> {
    crate::web::views::hours::week_lines(entry, lang).iter().map(crate::web::views::hours::HoursLine::text).collect()
}

/// "临时关闭" with the date it should reopen, for a temporarily closed station.
fn closed_mark(station: &Station, lang: Lang) -> Option<String> {
    match &station.status {
        Status::TemporarilyClosed { until: Some(d), .. } => {
            Some(lang.tf("print.closed_until", &[("until", &d.format("%Y-%m-%d").to_string())]))
        }
        Status::TemporarilyClosed { until: None, .. } => Some(lang.t("print.closed").into_owned()),
        _ => None,
    }
}

/// What the print layout needs besides the page's own data.
pub struct Sheet {
    pub ctx: PageCtx,
    pub print_css: String,
    /// The warning about `YIZHAN_PUBLIC_URL`, when it is not set.
    pub unset: Option<String>,
    /// The facility icons used on the page, defined once and referenced by rows.
    pub sprite: Vec<(&'static str, &'static str)>,
    /// Presentation attributes of the icons.
    pub stroke: &'static str,
}

impl Sheet {
    fn new(req: &HttpRequest, lang: Lang, state: &AppState, used: FacilitySet) -> Sheet {
        Sheet::with(PageCtx::new(req, lang, state), lang, state, used)
    }

    fn with(ctx: PageCtx, lang: Lang, state: &AppState, used: FacilitySet) -> Sheet {
        Sheet {
            ctx,
            print_css: state.assets.url("print.css").to_string(),
            unset: unset_warning(state, lang),
            sprite: used.iter().map(|f| (f.key(), icons::drawing(f))).collect(),
            stroke: icons::STROKE,
        }
    }
}

/// One station on a printed list.
pub struct PrintRow {
    pub code: String,
    pub name: String,
    pub address: String,
    pub closed: Option<String>,
    pub hours: Vec<String>,
    pub phone: Option<String>,
    pub facilities: Vec<Chip>,
    pub qr: Qr,
}

impl PrintRow {
    fn new(entry: &Entry, lang: Lang, state: &AppState) -> Result<PrintRow, AppError> {
        let s = &entry.station;
        let address = s.place(lang.is_zh());
        Ok(PrintRow {
            code: s.code.clone(),
            name: s.name.clone(),
            address,
            closed: closed_mark(s, lang),
            hours: hours_in_words(entry, lang),
            phone: s.phone.as_ref().map(|p| p.as_str().to_string()),
            facilities: chips(s.working(), lang),
            qr: qr(&station_url(state, s))?,
        })
    }
}

#[derive(Template)]
#[template(path = "public/print.html")]
struct PrintList {
    sheet: Sheet,
    heading: String,
    summary: String,
    printed_on: String,
    rows: Vec<PrintRow>,
    prev_url: Option<String>,
    next_url: Option<String>,
}

fn list_url(filter: &StationFilter, page: u32) -> String {
    format!("/print?{}", filter.to_query(page)).trim_end_matches('?').to_string()
}

/// `GET /print?district=…&street=…&page=…`: public stations (temporarily closed ones
/// marked) on A4 sheets, [`PER_PRINT`] per request. The list's other filters work too.
pub async fn list(Page { req, lang, state, .. }: Page) -> Result<HttpResponse, AppError> {
    let snapshot = state.snapshot.load_full();
    let filter = parse_filter(req.query_string(), &snapshot)?;
    let ctx = PageCtx::new(&req, lang, &state);
    let _turn = state.prints.clone().acquire_owned().await.map_err(|e| AppError::Internal(e.to_string()))?;
    let body = tokio::task::spawn_blocking(move || print_list(ctx, lang, &state, &snapshot, &filter))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body))
}

/// The printed list of `filter`'s stations, rendered.
fn print_list(
    ctx: PageCtx,
    lang: Lang,
    state: &AppState,
    snapshot: &Snapshot,
    filter: &StationFilter,
) -> Result<String, AppError> {
    let now = state.clock.now();
    let result = snapshot.list(filter, now, PER_PRINT);
    if result.page > result.pages {
        return Err(ParamError::new("page", &result.page.to_string(), Problem::BadPage).into());
    }
    let area = match (filter.district, filter.street.as_deref().and_then(|c| snapshot.street(c))) {
        (Some(d), Some(street)) => format!("{} {}", d.name(lang.is_zh()), street.name),
        (None, Some(street)) => street.name.clone(),
        (Some(d), None) => d.name(lang.is_zh()).to_string(),
        (None, None) => lang.t("print.city").into_owned(),
    };
    let rows = result.items.iter().map(|e| PrintRow::new(e, lang, state)).collect::<Result<Vec<_>, _>>()?;
    let used: FacilitySet = result.items.iter().flat_map(|e| e.station.working().iter()).collect();
    let page = PrintList {
        sheet: Sheet::with(ctx, lang, state, used),
        heading: lang.tf("print.heading", &[("area", &area)]),
        summary: lang.tf(
            "print.summary",
            &[
                ("total", &result.total.to_string()),
                ("page", &result.page.to_string()),
                ("pages", &result.pages.to_string()),
            ],
        ),
        printed_on: lang.tf("print.printed_on", &[("date", &state.clock.today().format("%Y-%m-%d").to_string())]),
        rows,
        prev_url: (result.page > 1).then(|| list_url(filter, result.page - 1)),
        next_url: (result.page < result.pages).then(|| list_url(filter, result.page + 1)),
    };
    Ok(page.render()?)
}

/// What a door poster shows, in the reader's language.
struct Door {
    id: i64,
    code: String,
    name: String,
    closed: Option<String>,
    hours: Vec<String>,
    facilities: Vec<Chip>,
    /// Facilities beyond those shown.
    more: usize,
    qr: Qr,
    feedback_url: String,
    feedback_qr: Qr,
}

/// The station's door poster, or the answer its page gives (404, 410 for a revoked one).
fn door(req: &HttpRequest, lang: Lang, state: &AppState, id: i64) -> Result<Door, AppError> {
    let snapshot = state.snapshot.load();
    let entry = super::station::listed(req, lang, state, &snapshot, id)?;
    let s = &entry.station;
    let mut facilities = chips(s.working(), lang);
    let more = facilities.len().saturating_sub(POSTER_FACILITIES);
    facilities.truncate(POSTER_FACILITIES);
    let feedback_url = format!("{}/stations/{}#feedback", state.public_url, s.id);
    Ok(Door {
        id: s.id,
        code: s.code.clone(),
        name: s.name.clone(),
        closed: closed_mark(s, lang),
        hours: hours_in_words(entry, lang),
        facilities,
        more,
        qr: qr(&station_url(state, s))?,
        feedback_qr: qr(&feedback_url)?,
        feedback_url,
    })
}

fn facility_set(chips: &[Chip]) -> FacilitySet {
    chips.iter().map(|c| c.facility).collect()
}

#[derive(Template)]
#[template(path = "public/poster_station.html")]
struct DoorPage {
    sheet: Sheet,
    door: Door,
}

/// `GET /stations/{id}/poster`: the A5 door poster, ready to print.
pub async fn station_poster(
    Page { req, lang, state, .. }: Page,
    id: Id<crate::domain::station::Station>,
) -> Result<HttpResponse, AppError> {
    let door = door(&req, lang, &state, id.get())?;
    let sheet = Sheet::new(&req, lang, &state, facility_set(&door.facilities));
    html_page(StatusCode::OK, &DoorPage { sheet, door })
}

/// A line of text on an SVG sheet (units: tenths of a millimetre).
pub struct Text {
    pub x: u32,
    pub y: u32,
    pub size: u32,
    pub bold: bool,
    /// `start`, `middle` or `end`.
    pub anchor: &'static str,
    pub text: String,
}

/// An icon on an SVG sheet.
pub struct Icon {
    pub x: u32,
    pub y: u32,
    pub size: u32,
    pub drawing: &'static str,
}

/// A QR code on an SVG sheet.
pub struct PlacedQr {
    pub x: u32,
    pub y: u32,
    pub size: u32,
    pub qr: Qr,
}

/// A framed box on an SVG sheet (the unset-URL warning, the station code).
pub struct Frame {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// Size, weight and anchor (`start`, `middle`, `end`) of a paragraph on an SVG sheet.
#[derive(Clone, Copy)]
struct Font(u32, bool, &'static str);

/// A standalone SVG sheet: paper size in millimetres and what is drawn on it.
#[derive(Template)]
#[template(path = "public/poster.svg")]
struct SvgSheet {
    lang: Lang,
    title: String,
    width_mm: u32,
    height_mm: u32,
    fonts: &'static str,
    stroke: &'static str,
    frames: Vec<Frame>,
    texts: Vec<Text>,
    icons: Vec<Icon>,
    qrs: Vec<PlacedQr>,
}

impl SvgSheet {
    fn new(lang: Lang, title: String, width_mm: u32, height_mm: u32) -> SvgSheet {
        SvgSheet {
            lang,
            title,
            width_mm,
            height_mm,
            fonts: FONTS,
            stroke: icons::STROKE,
            frames: Vec::new(),
            texts: Vec::new(),
            icons: Vec::new(),
            qrs: Vec::new(),
        }
    }

    /// Adds `text` wrapped to `width` from the baseline `y`; returns the next free baseline.
    fn paragraph(&mut self, text: &str, x: u32, y: u32, width: u32, font: Font) -> u32 {
        let mut y = y;
        let Font(size, bold, anchor) = font;
        for line in balanced(text, width as f32 / size as f32) {
            self.texts.push(Text { x, y, size, bold, anchor, text: line });
            y += size * 5 / 4;
        }
        y
    }

    /// The unset-URL warning in a frame at the top; returns the next free baseline.
    fn warning(&mut self, warning: Option<String>, margin: u32, y: u32) -> u32 {
        let Some(w) = warning else { return y };
        let width = self.width_mm * 10 - 2 * margin;
        let size = 34;
        let top = y;
        let end = self.paragraph(&w, margin + 30, top + 30 + size, width - 60, Font(size, true, "start"));
        self.frames.push(Frame { x: margin, y: top, width, height: end - top });
        end + 40
    }

    fn respond(&self) -> Result<HttpResponse, AppError> {
        let body = self.render()?;
        Ok(HttpResponse::Ok().content_type("image/svg+xml; charset=utf-8").body(body))
    }
}

/// Width of a character in ems, near enough for line breaking.
fn em(c: char) -> f32 {
    match c {
        ' ' => 0.3,
        c if c.is_ascii() => 0.56,
        _ => 1.0,
    }
}

/// [`wrap`] into as few lines, of about equal length (no last line of one character).
pub fn balanced(text: &str, width_em: f32) -> Vec<String> {
    let lines = wrap(text, width_em);
    if lines.len() < 2 {
        return lines;
    }
    let mut width = text.chars().map(em).sum::<f32>() / lines.len() as f32;
    while width < width_em {
        let even = wrap(text, width);
        if even.len() <= lines.len() {
            return even;
        }
        width += 0.5;
    }
    lines
}

/// Breaks `text` into lines of at most `width_em` (a CJK character is one em, other
/// characters about half); Latin words stay whole unless one alone is too long.
pub fn wrap(text: &str, width_em: f32) -> Vec<String> {
    let mut tokens: Vec<String> = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c.is_ascii() && c != ' ' {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            tokens.push(std::mem::take(&mut word));
        }
        tokens.push(c.to_string());
    }
    if !word.is_empty() {
        tokens.push(word);
    }
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0.0;
    for token in tokens {
        let w: f32 = token.chars().map(em).sum();
        if used + w > width_em && !line.trim().is_empty() {
            lines.push(line.trim_end().to_string());
            line.clear();
            used = 0.0;
            if token == " " {
                continue;
            }
        }
        if w > width_em {
            // A word longer than the line: cut it by characters.
            for c in token.chars() {
                if used + em(c) > width_em && !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    used = 0.0;
                }
                line.push(c);
                used += em(c);
            }
            continue;
        }
        line.push_str(&token);
        used += w;
    }
    if !line.trim().is_empty() {
        lines.push(line.trim_end().to_string());
    }
    lines
}

/// `GET /stations/{id}/poster.svg`: the A5 door poster as one SVG file.
pub async fn station_poster_svg(
    Page { req, lang, state, .. }: Page,
    id: Id<crate::domain::station::Station>,
) -> Result<HttpResponse, AppError> {
    let d = door(&req, lang, &state, id.get())?;
    let (w, margin) = (1480, 90);
    let inner = w - 2 * margin;
    let mut sheet = SvgSheet::new(lang, lang.tf("print.poster_title", &[("name", &d.name)]), 148, 210);
    let mut y = sheet.warning(unset_warning(&state, lang), margin, margin);
    y = sheet.paragraph(&lang.t("print.poster_kicker"), margin, y + 40, inner, Font(40, false, "start"));
    y = sheet.paragraph(&d.name, margin, y + 90, inner, Font(92, true, "start"));
    y = sheet.paragraph(&lang.t("print.poster_welcome"), margin, y + 10, inner, Font(52, false, "start"));
    if let Some(c) = &d.closed {
        y = sheet.paragraph(c, margin, y + 10, inner, Font(52, true, "start"));
    }
    y = sheet.paragraph(&lang.t("print.hours"), margin, y + 50, inner, Font(40, true, "start"));
    let hours = if d.hours.is_empty() { vec![lang.t("print.hours_unknown").into_owned()] } else { d.hours.clone() };
    // Six lines at most. A longer week (five or more runs of days) keeps its first three
    // runs, says that the rest are behind the QR code, and keeps the holiday and make-up
    // lines, which come last: a poster never leaves the holiday closure out.
    let more = lang.t("print.hours_more").into_owned();
    let shown: Vec<&String> = if hours.len() > 6 {
        hours[..3].iter().chain(std::iter::once(&more)).chain(&hours[hours.len() - 2..]).collect()
    } else {
        hours.iter().collect()
    };
    for line in shown {
        y = sheet.paragraph(line, margin, y + 10, inner, Font(56, false, "start"));
    }
    y += 40;
    // Facilities: four to a row, the icon above its name.
    let cell = inner / 4;
    for (i, chip) in d.facilities.iter().enumerate() {
        let (col, row) = ((i % 4) as u32, (i / 4) as u32);
        let x = margin + col * cell;
        let top = y + row * 230;
        let drawing = icons::drawing(chip.facility);
        sheet.icons.push(Icon { x: x + (cell - 130) / 2, y: top, size: 130, drawing });
        sheet.paragraph(&chip.label, x + cell / 2, top + 185, cell, Font(38, false, "middle"));
    }
    let rows = d.facilities.len().div_ceil(4) as u32;
    y += rows * 230;
    if d.more > 0 {
        y = sheet.paragraph(
            &lang.tf("print.poster_more", &[("n", &d.more.to_string())]),
            margin,
            y + 20,
            inner,
            Font(38, false, "start"),
        );
    }
    // The QR codes sit at the foot of the sheet, the station's large, the feedback one small.
    let foot = (y + 40).max(2100 - margin - 560);
    let big = (2100 - margin).saturating_sub(foot).min(560);
    sheet.qrs.push(PlacedQr { x: margin, y: foot, size: big, qr: d.qr.clone() });
    let right = margin + big + 50;
    let right_width = w - margin - right;
    let mut ty = sheet.paragraph(&lang.t("print.poster_scan"), right, foot + 50, right_width, Font(42, true, "start"));
    ty = sheet.paragraph(&lang.t("print.code"), right, ty + 20, right_width, Font(34, false, "start"));
    ty = sheet.paragraph(&d.code, right, ty + 10, right_width, Font(52, true, "start"));
    let small = 200.min((2100 - margin).saturating_sub(ty + 20));
    sheet.qrs.push(PlacedQr { x: right, y: ty + 20, size: small, qr: d.feedback_qr.clone() });
    sheet.paragraph(
        &lang.t("print.poster_feedback"),
        right + small + 20,
        ty + 70,
        right_width.saturating_sub(small + 20),
        Font(30, false, "start"),
    );
    sheet.paragraph(
        &d.feedback_url,
        right + small + 20,
        ty + 120,
        right_width.saturating_sub(small + 20),
        Font(26, false, "start"),
    );
    sheet.respond()
}

/// What a district poster shows.
struct DistrictSheet {
    code: u32,
    name: &'static str,
    stations: usize,
    map_url: String,
    qr: Qr,
}

fn district_sheet(lang: Lang, state: &AppState, snapshot: &Snapshot, raw: &str) -> Result<DistrictSheet, AppError> {
    let district: &'static District = District::parse(raw).ok_or(AppError::NotFound)?;
    let filter = StationFilter { district: Some(district), ..Default::default() };
    let stations = snapshot.filter(&filter, state.clock.now()).count();
    let map_url = format!("{}/map?district={}", state.public_url, district.code);
    Ok(DistrictSheet { code: district.code, name: district.name(lang.is_zh()), stations, qr: qr(&map_url)?, map_url })
}

/// The facilities a worker looks for first, shown on a district poster.
const DISTRICT_ICONS: [Facility; 4] = [Facility::Water, Facility::Microwave, Facility::Charging, Facility::Seats];

#[derive(Template)]
#[template(path = "public/poster_district.html")]
struct DistrictPage {
    sheet: Sheet,
    district: DistrictSheet,
    icons: Vec<Chip>,
}

/// `GET /districts/{code}/poster`: the district's A4 poster with a QR code to its map.
pub async fn district_poster(
    Page { req, lang, state, .. }: Page,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let snapshot = state.snapshot.load();
    let district = district_sheet(lang, &state, &snapshot, &code)?;
    let icons: Vec<Chip> = DISTRICT_ICONS.iter().map(|f| Chip::of(*f, lang)).collect();
    let sheet = Sheet::new(&req, lang, &state, facility_set(&icons));
    html_page(StatusCode::OK, &DistrictPage { sheet, district, icons })
}

/// `GET /districts/{code}/poster.svg`: the same poster as one SVG file (A4).
pub async fn district_poster_svg(
    lang: Lang,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let snapshot = state.snapshot.load();
    let d = district_sheet(lang, &state, &snapshot, &code)?;
    let (w, margin) = (2100, 140);
    let inner = w - 2 * margin;
    let title = lang.tf("print.district_title", &[("district", d.name)]);
    let mut sheet = SvgSheet::new(lang, title.clone(), 210, 297);
    let mut y = sheet.warning(unset_warning(&state, lang), margin, margin);
    y = sheet.paragraph(&lang.t("print.poster_kicker"), w / 2, y + 60, inner, Font(52, false, "middle"));
    y = sheet.paragraph(&title, w / 2, y + 150, inner, Font(140, true, "middle"));
    y = sheet.paragraph(
        &lang.tf("print.district_lead", &[("n", &d.stations.to_string())]),
        w / 2,
        y + 40,
        inner,
        Font(60, false, "middle"),
    );
    y += 60;
    let cell = inner / DISTRICT_ICONS.len() as u32;
    for (i, f) in DISTRICT_ICONS.iter().enumerate() {
        let x = margin + i as u32 * cell;
        sheet.icons.push(Icon { x: x + (cell - 180) / 2, y, size: 180, drawing: icons::drawing(*f) });
        sheet.paragraph(&lang.label("facility", f.key()), x + cell / 2, y + 250, cell, Font(52, false, "middle"));
    }
    y += 340;
    let size = 1100.min(2970 - margin - y - 300);
    sheet.qrs.push(PlacedQr { x: (w - size) / 2, y, size, qr: d.qr.clone() });
    y = sheet.paragraph(&lang.t("print.district_scan"), w / 2, y + size + 90, inner, Font(64, true, "middle"));
    let or = format!("{} {}", lang.t("print.district_or"), d.map_url);
    sheet.paragraph(&or, w / 2, y + 20, inner, Font(44, false, "middle"));
    sheet.respond()
}

#[cfg(test)]
mod tests {
    use super::{balanced, wrap};

    #[test]
    fn lines_break_between_chinese_characters_and_between_words() {
        assert_eq!(wrap("朝阳区望京街道工会驿站", 4.0), vec!["朝阳区望", "京街道工", "会驿站"]);
        assert_eq!(wrap("Union rest station", 4.0), vec!["Union", "rest", "station"]);
        assert_eq!(wrap("Union rest station", 20.0), vec!["Union rest station"]);
        assert_eq!(
            wrap("https://yizhan.example.cn/s/BJ-110115-0001", 10.0).concat(),
            "https://yizhan.example.cn/s/BJ-110115-0001"
        );
        assert!(wrap("", 5.0).is_empty());
        // A name one character too long for a line is split in the middle, not before its last character.
        assert_eq!(wrap("刘村小哥之家户外劳动者暖心驿站", 14.0).last().map(String::as_str), Some("站"));
        assert_eq!(balanced("刘村小哥之家户外劳动者暖心驿站", 14.0), vec!["刘村小哥之家户外", "劳动者暖心驿站"]);
        assert_eq!(balanced("短名", 14.0), vec!["短名"]);
    }
}
