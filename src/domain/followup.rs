//! Follow-ups to a fix (督导整改): a problem found at a station, who must fix it, by
//! when, and how far it got (open → in progress → fixed → verified).

use chrono::NaiveDate;

use super::feedback::{FieldError, multi_line};
use super::text::TextError;

/// Longest problem description and comment, in characters.
pub const MAX_PROBLEM_CHARS: usize = 1000;
pub const MAX_COMMENT_CHARS: usize = 500;
/// How far ahead a due date may lie, in days.
pub const MAX_DUE_DAYS: i64 = 366;

/// Where a follow-up stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowupStatus {
    Open,
    InProgress,
    Fixed,
    /// Seen fixed by staff (or a later inspection staff accepted): only staff set it.
    Verified,
}

impl FollowupStatus {
    pub const ALL: [FollowupStatus; 4] =
        [FollowupStatus::Open, FollowupStatus::InProgress, FollowupStatus::Fixed, FollowupStatus::Verified];

    pub fn key(self) -> &'static str {
        match self {
            FollowupStatus::Open => "open",
            FollowupStatus::InProgress => "in_progress",
            FollowupStatus::Fixed => "fixed",
            FollowupStatus::Verified => "verified",
        }
    }

    pub fn parse(raw: &str) -> Option<FollowupStatus> {
        FollowupStatus::ALL.into_iter().find(|s| s.key() == raw)
    }

    /// Still to be fixed: counts as overdue once the due date has passed.
    pub fn is_active(self) -> bool {
        matches!(self, FollowupStatus::Open | FollowupStatus::InProgress)
    }
}

/// Who must fix the problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignee {
    /// The host unit (the mall, the petrol station, the community centre …).
    Host,
    DistrictUnion,
}

impl Assignee {
    pub const ALL: [Assignee; 2] = [Assignee::Host, Assignee::DistrictUnion];

    pub fn key(self) -> &'static str {
        match self {
            Assignee::Host => "host",
            Assignee::DistrictUnion => "district_union",
        }
    }

    pub fn parse(raw: &str) -> Option<Assignee> {
        Assignee::ALL.into_iter().find(|a| a.key() == raw)
    }
}

/// What a follow-up was opened from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Report(i64),
    Feedback(i64),
    Suggestion(i64),
    /// Staff saw it themselves at the station.
    Station,
}

impl Source {
    /// The stored kind.
    pub fn kind(self) -> &'static str {
        match self {
            Source::Report(_) => "report",
            Source::Feedback(_) => "feedback",
            Source::Suggestion(_) => "suggestion",
            Source::Station => "station",
        }
    }

    pub fn id(self) -> Option<i64> {
        match self {
            Source::Report(id) | Source::Feedback(id) | Source::Suggestion(id) => Some(id),
            Source::Station => None,
        }
    }

    /// From the stored kind and id.
    pub fn from_parts(kind: &str, id: Option<i64>) -> Option<Source> {
        match (kind, id) {
            ("report", Some(id)) => Some(Source::Report(id)),
            ("feedback", Some(id)) => Some(Source::Feedback(id)),
            ("suggestion", Some(id)) => Some(Source::Suggestion(id)),
            ("station", _) => Some(Source::Station),
            _ => None,
        }
    }
}

/// The "open a follow-up" form as sent, every field still text.
#[derive(Debug, Clone, Default)]
pub struct FollowupForm {
    pub problem: String,
    pub assignee: String,
    /// "2025-12-01" (a `date` input).
    pub due_on: String,
}

/// A checked new follow-up (its station and source come from the page it was opened on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFollowup {
    pub problem: String,
    pub assignee: Assignee,
    pub due_on: NaiveDate,
}

impl FollowupForm {
    /// Checks every field on `today` (Beijing); all problems at once.
    pub fn check(&self, today: NaiveDate) -> Result<NewFollowup, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field, problem| errors.push(FieldError { field, problem });
        let problem = match multi_line(&self.problem, MAX_PROBLEM_CHARS) {
            Ok(p) => Some(p),
            Err(e) => {
                fail("problem", text_problem(&e));
                None
            }
        };
        let assignee = Assignee::parse(&self.assignee);
        if assignee.is_none() {
            fail("assignee", "choose");
        }
        let due_on = match NaiveDate::parse_from_str(self.due_on.trim(), "%Y-%m-%d") {
            Ok(d) if d < today => {
                fail("due_on", "past");
                None
            }
            Ok(d) if (d - today).num_days() > MAX_DUE_DAYS => {
                fail("due_on", "too_far");
                None
            }
            Ok(d) => Some(d),
            Err(_) if self.due_on.trim().is_empty() => {
                fail("due_on", "required");
                None
            }
            Err(_) => {
                fail("due_on", "not_a_date");
                None
            }
        };
        match (problem, assignee, due_on) {
            (Some(problem), Some(assignee), Some(due_on)) if errors.is_empty() => {
                Ok(NewFollowup { problem, assignee, due_on })
            }
            _ => Err(errors),
        }
    }
}

/// The locale key ending of a refused text.
pub fn text_problem(e: &TextError) -> &'static str {
    match e {
        TextError::Empty => "required",
        TextError::TooLong(_) => "too_long",
        _ => "control",
    }
}

/// Whether a follow-up due on `due_on` in `status` is overdue on `today`.
pub fn is_overdue(status: FollowupStatus, due_on: NaiveDate, today: NaiveDate) -> bool {
    status.is_active() && due_on < today
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn keys_round_trip() {
        for s in FollowupStatus::ALL {
            assert_eq!(FollowupStatus::parse(s.key()), Some(s));
        }
        for a in Assignee::ALL {
            assert_eq!(Assignee::parse(a.key()), Some(a));
        }
        assert_eq!(FollowupStatus::parse("done"), None);
        assert_eq!(Source::from_parts("report", Some(3)), Some(Source::Report(3)));
        assert_eq!(Source::from_parts("report", None), None);
        assert_eq!(Source::from_parts("station", None), Some(Source::Station));
    }

    #[test]
    fn the_form_wants_a_problem_an_assignee_and_a_date_not_past() {
        let today = day("2025-11-17");
        let ok =
            FollowupForm {
                problem: " 厕所\u{202E}坏了 ".into(), assignee: "host".into(), due_on: "2025-11-17".into()
            };
        let new = ok.check(today).unwrap();
        assert_eq!(new.problem, "厕所坏了");
        assert_eq!(new.due_on, today);
        let past = FollowupForm { due_on: "2025-11-16".into(), ..ok.clone() };
        assert_eq!(past.check(today).unwrap_err()[0].problem, "past");
        let far = FollowupForm { due_on: "2027-01-01".into(), ..ok.clone() };
        assert_eq!(far.check(today).unwrap_err()[0].problem, "too_far");
        let bad = FollowupForm { problem: String::new(), assignee: "mayor".into(), due_on: "soon".into() };
        let fields: Vec<_> = bad.check(today).unwrap_err().iter().map(|e| (e.field, e.problem)).collect();
        assert_eq!(fields, [("problem", "required"), ("assignee", "choose"), ("due_on", "not_a_date")]);
    }

    #[test]
    fn overdue_is_past_due_and_not_fixed() {
        let today = day("2025-11-17");
        assert!(is_overdue(FollowupStatus::Open, day("2025-11-16"), today));
        assert!(is_overdue(FollowupStatus::InProgress, day("2025-11-16"), today));
        assert!(!is_overdue(FollowupStatus::Open, today, today));
        assert!(!is_overdue(FollowupStatus::Fixed, day("2025-11-01"), today));
        assert!(!is_overdue(FollowupStatus::Verified, day("2025-11-01"), today));
    }
}
