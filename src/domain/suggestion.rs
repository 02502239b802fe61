//! Suggestions of volunteer supervisors (建言献策): about one station or the service as
//! a whole; staff answer; published only if the author allowed it.

use super::feedback::{FieldError, multi_line};
use super::followup::text_problem;

/// Longest suggestion and answer, in characters.
pub const MAX_SUGGESTION_CHARS: usize = 1000;
pub const MAX_ANSWER_CHARS: usize = 1000;

/// The suggestion form as sent, every field still text.
#[derive(Debug, Clone, Default)]
pub struct SuggestionForm {
    pub body: String,
    /// A station id, or "" for a suggestion about no station in particular.
    pub station: String,
    pub may_publish: bool,
    pub show_name: bool,
}

/// A checked suggestion (whether its station is the supervisor's is checked by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSuggestion {
    pub body: String,
    pub station_id: Option<i64>,
    pub may_publish: bool,
    /// Only meaningful when published.
    pub show_name: bool,
}

impl SuggestionForm {
    /// Checks every field; all problems at once.
    pub fn check(&self) -> Result<NewSuggestion, Vec<FieldError>> {
        let mut errors = Vec::new();
        let body = match multi_line(&self.body, MAX_SUGGESTION_CHARS) {
            Ok(b) => Some(b),
            Err(e) => {
                errors.push(FieldError { field: "body", problem: text_problem(&e) });
                None
            }
        };
        let station_id = match self.station.trim() {
            "" => Some(None),
            raw => match raw.parse::<i64>() {
                Ok(id) if id > 0 => Some(Some(id)),
                _ => {
                    errors.push(FieldError { field: "station", problem: "station" });
                    None
                }
            },
        };
        match (body, station_id) {
            (Some(body), Some(station_id)) => Ok(NewSuggestion {
                body,
                station_id,
                may_publish: self.may_publish,
                show_name: self.may_publish && self.show_name,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suggestion_is_checked() {
        let ok = SuggestionForm {
            body: " 建议\u{202E}增加充电宝 ".into(),
            station: "12".into(),
            may_publish: false,
            show_name: true,
        };
        let new = ok.check().unwrap();
        assert_eq!((new.body.as_str(), new.station_id, new.show_name), ("建议增加充电宝", Some(12), false));
        let general = SuggestionForm { station: String::new(), may_publish: true, ..ok.clone() };
        assert_eq!(general.check().unwrap().station_id, None);
        let bad = SuggestionForm { body: "字".repeat(1001), station: "x".into(), ..Default::default() };
        let problems: Vec<_> = bad.check().unwrap_err().iter().map(|e| (e.field, e.problem)).collect();
        assert_eq!(problems, [("body", "too_long"), ("station", "station")]);
    }
}
