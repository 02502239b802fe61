//! `/stats`: the network's figures from the ledger, city-wide and per district —
//! stations, open now, 24 hours, open on public holidays, meeting the basic standard
//! (at least 4 of the nine services) with its share, and checked in the last 90 days —
//! with a chart drawn on the server (SVG, no JavaScript) and the table beside it.

use crate::web::context::Page;
use crate::web::prelude::*;
use std::sync::Arc;

use crate::domain::district::DISTRICTS;
use crate::domain::filter::StationFilter;
use crate::snapshot::Snapshot;
use crate::web::cache::{Kept, blocking};

/// Days within which a check counts as recent.
pub const CHECKED_DAYS: u64 = 90;

/// `part` of `whole` in tenths of a per cent, rounded half up (3 of 4 = 750; 2 of 3 = 667; 0 of 0 = 0).
pub fn permille(part: usize, whole: usize) -> usize {
    (part * 1000 + whole / 2).checked_div(whole).unwrap_or(0)
}

/// The median of `values` (the mean of the middle two for an even count, rounded
/// down); `None` for none.
pub fn median(values: &mut [i64]) -> Option<i64> {
    values.sort_unstable();
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]).div_euclid(2)),
    }
}

/// A wait in words: minutes under an hour, hours to a tenth under two days, else days.
pub fn wait_text(lang: Lang, seconds: i64) -> String {
    let tenths = |unit: i64| {
        let t = (seconds * 10 + unit / 2) / unit;
        format!("{}.{}", t / 10, t % 10)
    };
    match seconds {
        s if s < 3_600 => lang.tf("stats.wait.minutes", &[("n", &(s / 60).max(1).to_string())]),
        s if s < 48 * 3_600 => lang.tf("stats.wait.hours", &[("n", &tenths(3_600))]),
        _ => lang.tf("stats.wait.days", &[("n", &tenths(86_400))]),
    }
}

/// `part` of `whole` as "75.0%".
pub fn share(part: usize, whole: usize) -> String {
    let p = permille(part, whole);
    format!("{}.{}%", p / 10, p % 10)
}

/// One line of figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub name: String,
    pub code: String,
    pub stations: usize,
    pub open_now: usize,
    pub h24: usize,
    pub holiday: usize,
    pub basic: usize,
    pub checked: usize,
    /// Workers' feedback received in the last [`CHECKED_DAYS`] days, and of it the
    /// feedback staff answered.
    pub feedback: usize,
    pub answered: usize,
    /// The median wait for staff's first answer, in seconds (none answered: `None`).
    pub median_wait: Option<i64>,
    /// Follow-ups not fixed yet (open or in progress).
    pub open_followups: usize,
}

impl Figures {
    /// The share meeting the basic standard, in tenths of a per cent (see [`permille`]).
    pub fn basic_permille(&self) -> usize {
        permille(self.basic, self.stations)
    }

    pub fn basic_share(&self) -> String {
        share(self.basic, self.stations)
    }

    /// The median wait in words, or "—".
    pub fn wait(&self, lang: &Lang) -> String {
        self.median_wait.map(|w| wait_text(*lang, w)).unwrap_or_else(|| "—".into())
    }

    fn add(&mut self, other: &Figures) {
        self.stations += other.stations;
        self.open_now += other.open_now;
        self.h24 += other.h24;
        self.holiday += other.holiday;
        self.basic += other.basic;
        self.checked += other.checked;
    }
}

/// Each district's figures (districts without a station left out) and the city's, at `now`.
pub fn figures(snapshot: &Snapshot, lang: Lang, now: i64, today: chrono::NaiveDate) -> (Vec<Figures>, Figures) {
    let since = today.checked_sub_days(chrono::Days::new(CHECKED_DAYS)).unwrap_or(today);
    let mut city = Figures { name: lang.t("stats.city").into_owned(), ..Figures::default() };
    let mut lines = Vec::new();
    for d in &DISTRICTS {
        let count = |f: StationFilter| snapshot.filter(&StationFilter { district: Some(d), page: 1, ..f }, now).count();
        let base = StationFilter::default();
        let stations = count(base.clone());
        if stations == 0 {
            continue;
        }
        let checked = snapshot
            .filter(&StationFilter { district: Some(d), page: 1, ..StationFilter::default() }, now)
            .filter(|e| e.station.verified_on.is_some_and(|v| v >= since))
            .count();
        let line = Figures {
            name: d.name(lang.is_zh()).to_string(),
            code: d.code.to_string(),
            stations,
            open_now: count(StationFilter { open_now: true, ..base.clone() }),
            h24: count(StationFilter { h24: true, ..base.clone() }),
            holiday: count(StationFilter { holiday: true, ..base.clone() }),
            basic: count(StationFilter { basic: true, ..base.clone() }),
            checked,
            ..Figures::default()
        };
        city.add(&line);
        lines.push(line);
    }
    (lines, city)
}

/// A bar of the chart: its label, length in the chart's units, and the text at its end.
pub struct Bar {
    pub label: String,
    pub y: usize,
    pub width: usize,
    pub text: String,
}

/// Chart geometry: the label column and the bars' full length, in SVG units.
const LABEL_WIDTH: usize = 70;
const BAR_SPAN: usize = 160;
const ROW: usize = 26;

#[derive(Template, WebTemplate)]
#[template(path = "public/stats.html")]
struct StatsPage {
    ctx: PageCtx,
    lines: Vec<Figures>,
    city: Figures,
    bars: Vec<Bar>,
    chart_height: usize,
    label_width: usize,
    bar_span: usize,
    days: u64,
    /// (district, what, as reported, as the ledger says now, source title).
    reported: Vec<(String, String, String, String, String)>,
    /// City-wide, each facility: (key, name, stations where it works, share).
    coverage: Vec<(&'static str, String, usize, String)>,
}

/// How many public stations have each facility working, city-wide.
pub fn coverage(snapshot: &Snapshot) -> Vec<(crate::domain::facility::Facility, usize)> {
    let public: Vec<_> = snapshot.entries().iter().filter(|e| e.station.is_public()).collect();
    crate::domain::facility::ALL_FACILITIES
        .iter()
        .map(|f| (*f, public.iter().filter(|e| e.station.working().contains(*f)).count()))
        .collect()
}

/// The page's figures: each district's, the city's, and each facility's coverage.
pub struct Computed {
    pub lines: Vec<Figures>,
    pub city: Figures,
    pub coverage: Vec<(crate::domain::facility::Facility, usize)>,
}

/// The figures, kept per language for the snapshot version and minute they were
/// computed at ("open now" changes on whole minutes): counting the whole ledger runs
/// on the blocking pool, one computation at a time.
pub type Cache = Kept<(Lang, i64, i64), Computed>;

/// An empty cache for both languages.
pub fn cache() -> Cache {
    Kept::new(4, 1)
}

/// The figures now, from the cache or computed.
async fn computed(state: &AppState, cache: &Cache, lang: Lang) -> Result<Arc<Computed>, AppError> {
    let snapshot = state.snapshot.load_full();
    let (now, today) = (state.clock.now(), state.clock.today());
    cache
        .get((lang, snapshot.version, now.div_euclid(60)), || async move {
            let ((mut lines, mut city), coverage) =
                blocking(move || Ok((figures(&snapshot, lang, now, today), coverage(&snapshot)))).await?;
            let since = now - CHECKED_DAYS as i64 * 86_400;
            // Per district: feedback received, and the waits for staff's first step.
            let mut waits: std::collections::HashMap<String, (usize, Vec<i64>)> = std::collections::HashMap::new();
            for (district, sent, first) in state.store.feedback_answers(since, i64::MAX).await? {
                let line = waits.entry(district).or_default();
                line.0 += 1;
                line.1.extend(first.map(|f| (f - sent).max(0)));
            }
            let work = state.store.district_work(since, &today.format("%Y-%m-%d").to_string()).await?;
            let mut all_waits = Vec::new();
            for l in &mut lines {
                let (received, mut w) = waits.remove(&l.code).unwrap_or_default();
                l.feedback = received;
                l.answered = w.len();
                l.median_wait = median(&mut w);
                l.open_followups = work.get(&l.code).map_or(0, |w| w.open_followups.max(0) as usize);
                all_waits.extend(w);
                city.feedback += l.feedback;
                city.answered += l.answered;
                city.open_followups += l.open_followups;
            }
            city.median_wait = median(&mut all_waits);
            Ok(Computed { lines, city, coverage })
        })
        .await
}

pub async fn page(Page { req, lang, state, .. }: Page, cache: web::Data<Cache>) -> Result<impl Responder, AppError> {
    let figures = computed(&state, &cache, lang).await?;
    let (lines, city) = (figures.lines.clone(), figures.city.clone());
    let bars = lines
        .iter()
        .enumerate()
        .map(|(i, l)| Bar {
            label: l.name.clone(),
            y: i * ROW,
            width: l.basic_permille() * BAR_SPAN / 1000,
            text: format!("{} ({}/{})", l.basic_share(), l.basic, l.stations),
        })
        .collect();
    let as_reported = reported();
    let reported = as_reported
        .iter()
        .filter_map(|r| {
            let d = crate::domain::district::District::by_code(r.district_code)?;
            let ours = lines.iter().find(|l| l.code == d.code.to_string()).cloned().unwrap_or_default();
            let now = match r.figure.as_str() {
                "stations" => ours.stations.to_string(),
                "basic" => format!("{}（{}）", ours.basic, ours.basic_share()),
                "holiday" => ours.holiday.to_string(),
                _ => return None,
            };
            let said = match r.figure.as_str() {
                "basic" => {
                    let stations = as_reported
                        .iter()
                        .find(|o| o.district_code == r.district_code && o.figure == "stations")
                        .map_or(0, |o| o.value);
                    format!("{}（{}）", r.value, share(r.value, stations))
                }
                _ => r.value.to_string(),
            };
            Some((
                d.name(lang.is_zh()).to_string(),
                lang.label("stats.figure", &r.figure).into_owned(),
                said,
                now,
                r.title.clone(),
            ))
        })
        .collect();
    let coverage = figures
        .coverage
        .iter()
        .map(|(f, n)| (f.key(), lang.label("facility", f.key()).into_owned(), *n, share(*n, city.stations)))
        .collect();
    Ok(StatsPage {
        coverage,
        reported,
        ctx: PageCtx::new(&req, lang, &state).with_share(crate::web::page::Share {
            title: lang.t("stats.title").into_owned(),
            description: lang
                .tf("stats.card", &[("stations", &city.stations.to_string()), ("share", &city.basic_share())]),
            url: format!("{}/stats", state.public_url),
            image: None,
        }),
        chart_height: lines.len() * ROW,
        lines,
        city,
        bars,
        label_width: LABEL_WIDTH,
        bar_span: BAR_SPAN,
        days: CHECKED_DAYS,
    })
}

/// A figure an article reported for a district.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reported {
    pub district_code: u32,
    /// `stations`, `basic` or `holiday`.
    pub figure: String,
    pub value: usize,
    pub title: String,
}

/// The figures of `data/reported.csv` (bundled); a malformed line is left out.
pub fn reported() -> Vec<Reported> {
    include_str!("../../../data/reported.csv")
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut cells = line.splitn(5, ',');
            let (code, figure, value, _source, title) =
                (cells.next()?, cells.next()?, cells.next()?, cells.next()?, cells.next()?);
            Some(Reported {
                district_code: code.parse().ok()?,
                figure: figure.to_string(),
                value: value.parse().ok()?,
                title: title.to_string(),
            })
        })
        .collect()
}
