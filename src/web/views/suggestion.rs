//! A supervisor's suggestion in words, for its author and for staff.

use super::{FIRST_LINE_CHARS, first_line};
use crate::store::Suggestion;
use crate::web::i18n::Lang;
use crate::web::page::date_time;
use crate::web::state::AppState;

/// A suggestion in words, for its author and for staff.
pub struct SuggestionView {
    pub id: i64,
    pub author: String,
    pub station_id: Option<i64>,
    /// The station's name, or "不针对具体驿站".
    pub about: String,
    pub body: String,
    /// The first line, shortened, for lists.
    pub first_line: String,
    pub filed: String,
    pub answer: Option<String>,
    pub answered: String,
    /// "同意公开（署名）" / "同意公开（不署名）" / "不公开".
    pub publish: String,
}

impl SuggestionView {
    pub fn new(lang: Lang, state: &AppState, g: &Suggestion) -> SuggestionView {
        let snapshot = state.snapshot.load();
        let about = match g.station_id {
            None => lang.t("suggestion.no_station").into_owned(),
            Some(id) => snapshot.get(id).map(|e| e.station.name.clone()).unwrap_or_else(|| format!("#{id}")),
        };
        let first_line = first_line(&g.body, FIRST_LINE_CHARS);
        let publish = match (g.may_publish, g.show_name) {
            (false, _) => "private",
            (true, false) => "anonymous",
            (true, true) => "named",
        };
        SuggestionView {
            id: g.id,
            author: g.supervisor_name.clone(),
            station_id: g.station_id,
            about,
            body: g.body.clone(),
            first_line,
            filed: date_time(g.created_at),
            answer: g.answer.clone(),
            answered: lang
                .label("suggestion.state", if g.answer.is_some() { "answered" } else { "waiting" })
                .into_owned(),
            publish: lang.label("suggestion.publish", publish).into_owned(),
        }
    }
}
