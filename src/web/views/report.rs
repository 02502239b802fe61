//! A supervisor's inspection report in words, for its author and for staff.

use crate::domain::facility::Facility;
use crate::domain::inspection::{Finding, ReportState};
use crate::store::{Report, ReportPhoto};
use crate::web::i18n::Lang;
use crate::web::page::date_time;
use crate::web::photos::small_size;
use crate::web::state::AppState;

/// A report in words, for its author and for staff.
pub struct ReportView {
    pub id: i64,
    pub station_id: i64,
    pub station_name: String,
    pub station_place: String,
    pub author: String,
    pub show_name: bool,
    pub visited: String,
    pub filed: String,
    pub state_key: &'static str,
    pub state: String,
    pub comment: Option<String>,
    /// (label, answer) of the checklist.
    pub answers: Vec<(String, String)>,
    /// (facility key, label, finding key, finding in words).
    pub findings: Vec<(&'static str, String, &'static str, String)>,
    pub notes: String,
    /// Photos: name and the small version's width and height.
    pub photos: Vec<(String, u32, u32)>,
    /// Where this reader fetches the photos from (ends with `/`).
    pub photo_base: String,
}

/// Photos as thumbnails: name and the small version's size.
pub fn thumbnails(photos: &[ReportPhoto]) -> Vec<(String, u32, u32)> {
    photos
        .iter()
        .map(|p| {
            let (w, h) = small_size(p.width, p.height);
            (p.hash.clone(), w, h)
        })
        .collect()
}

impl ReportView {
    pub fn new(lang: Lang, state: &AppState, r: &Report) -> ReportView {
        let snapshot = state.snapshot.load();
        let station = snapshot.get(r.station_id).map(|e| &e.station);
        let yes_no = |b: bool| lang.t(if b { "supervise.report.yes" } else { "supervise.report.no" }).into_owned();
        let finding = |f: Facility| {
            if r.missing.contains(f) {
                Finding::Missing
            } else if r.broken.contains(f) {
                Finding::Broken
            } else {
                Finding::Working
            }
        };
        ReportView {
            id: r.id,
            station_id: r.station_id,
            station_name: station.map(|s| s.name.clone()).unwrap_or_else(|| format!("#{}", r.station_id)),
            station_place: station.map(|s| s.place(lang.is_zh())).unwrap_or_default(),
            author: r.supervisor_name.clone(),
            show_name: r.show_name,
            visited: date_time(r.visited_at),
            filed: date_time(r.created_at),
            state_key: r.state.key(),
            state: lang.label("supervise.report.state", r.state.key()).into_owned(),
            comment: r.staff_comment.clone().filter(|_| r.state == ReportState::Returned),
            answers: vec![
                (
                    lang.t("supervise.report.open").into_owned(),
                    lang.label("supervise.report.open_choice", r.open.key()).into_owned(),
                ),
                (lang.t("supervise.report.sign").into_owned(), yes_no(r.sign_visible)),
                (lang.t("supervise.report.staffed").into_owned(), yes_no(r.staffed)),
                (
                    lang.t("supervise.report.cleanliness").into_owned(),
                    lang.label("supervise.report.clean", &format!("c{}", r.cleanliness)).into_owned(),
                ),
            ],
            findings: r
                .checked
                .iter()
                .map(|f| {
                    let x = finding(f);
                    (
                        f.key(),
                        lang.label("facility", f.key()).into_owned(),
                        x.key(),
                        lang.label("supervise.report.finding", x.key()).into_owned(),
                    )
                })
                .collect(),
            notes: r.notes.clone(),
            photos: Vec::new(),
            photo_base: String::new(),
        }
    }

    /// The same, with its photos, fetched from `photo_base`.
    pub fn with_photos(self, photos: &[ReportPhoto], photo_base: String) -> ReportView {
        ReportView { photos: thumbnails(photos), photo_base, ..self }
    }
}
