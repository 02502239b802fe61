//! A volunteer supervisor's inspection report (实地检查): what they found at a station.

use chrono::NaiveDateTime;

use super::facility::{Facility, FacilitySet};
use super::feedback::{FieldError, multi_line};
use super::hours::beijing_ts;
use super::text::TextError;

/// Longest notes accepted, in characters.
pub const MAX_NOTES_CHARS: usize = 1000;
/// How far back a visit may lie, in days.
pub const MAX_AGE_DAYS: i64 = 30;
/// A phone's clock may run a little fast: a visit this many seconds "ahead" is now.
const CLOCK_SLACK: i64 = 5 * 60;

/// Whether the station was open as its listing says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenAsListed {
    Yes,
    No,
    /// Open, but not at the listed hours.
    OtherHours,
}

impl OpenAsListed {
    pub const ALL: [OpenAsListed; 3] = [OpenAsListed::Yes, OpenAsListed::No, OpenAsListed::OtherHours];

    pub fn key(self) -> &'static str {
        match self {
            OpenAsListed::Yes => "yes",
            OpenAsListed::No => "no",
            OpenAsListed::OtherHours => "other_hours",
        }
    }

    pub fn parse(raw: &str) -> Option<OpenAsListed> {
        OpenAsListed::ALL.into_iter().find(|o| o.key() == raw)
    }
}

/// What a supervisor found of one listed facility.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finding {
    Working,
    Missing,
    Broken,
}

impl Finding {
    pub const ALL: [Finding; 3] = [Finding::Working, Finding::Missing, Finding::Broken];

    pub fn key(self) -> &'static str {
        match self {
            Finding::Working => "working",
            Finding::Missing => "missing",
            Finding::Broken => "broken",
        }
    }

    pub fn parse(raw: &str) -> Option<Finding> {
        Finding::ALL.into_iter().find(|f| f.key() == raw)
    }
}

/// Where a report stands with staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportState {
    Pending,
    Accepted,
    /// Sent back with a comment.
    Returned,
}

impl ReportState {
    pub fn key(self) -> &'static str {
        match self {
            ReportState::Pending => "pending",
            ReportState::Accepted => "accepted",
            ReportState::Returned => "returned",
        }
    }

    pub fn parse(raw: &str) -> Option<ReportState> {
        [ReportState::Pending, ReportState::Accepted, ReportState::Returned].into_iter().find(|s| s.key() == raw)
    }
}

/// The report form as sent, every field still text (to refill the form).
#[derive(Debug, Clone, Default)]
pub struct ReportForm {
    /// "2025-11-17T09:30" (a `datetime-local` input), Beijing time.
    pub visited_at: String,
    pub open: String,
    pub sign: String,
    pub staffed: String,
    pub cleanliness: String,
    pub notes: String,
    pub show_name: bool,
    /// Each facility the station lists, with the finding as sent.
    pub findings: Vec<(Facility, String)>,
}

/// A checked report.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReport {
    pub visited_at: i64,
    pub open: OpenAsListed,
    pub sign_visible: bool,
    pub staffed: bool,
    /// The facilities looked at (those the station listed), and what was wrong.
    pub checked: FacilitySet,
    pub missing: FacilitySet,
    pub broken: FacilitySet,
    pub cleanliness: u8,
    pub notes: String,
    pub show_name: bool,
}

fn yes_no(raw: &str) -> Option<bool> {
    match raw {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

/// A `datetime-local` value ("2025-11-17T09:30", seconds allowed) as Beijing local time.
pub fn parse_local(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
        .map(beijing_ts)
}

impl ReportForm {
    /// Checks every field at `now`; all problems at once, so the form can show them together.
    pub fn check(&self, now: i64) -> Result<NewReport, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field, problem| errors.push(FieldError { field, problem });
        let visited_at = match parse_local(&self.visited_at) {
            None if self.visited_at.trim().is_empty() => {
                fail("visited_at", "required");
                None
            }
            None => {
                fail("visited_at", "not_a_time");
                None
            }
            Some(t) if t > now + CLOCK_SLACK => {
                fail("visited_at", "future");
                None
            }
            Some(t) if t < now - MAX_AGE_DAYS * 86_400 => {
                fail("visited_at", "too_old");
                None
            }
            Some(t) => Some(t),
        };
        let open = OpenAsListed::parse(&self.open);
        if open.is_none() {
            fail("open", "choose");
        }
        let sign = yes_no(&self.sign);
        if sign.is_none() {
            fail("sign", "choose");
        }
        let staffed = yes_no(&self.staffed);
        if staffed.is_none() {
            fail("staffed", "choose");
        }
        let cleanliness = self.cleanliness.trim().parse::<u8>().ok().filter(|n| (1..=5).contains(n));
        if cleanliness.is_none() {
            fail("cleanliness", "choose");
        }
        let notes = match multi_line(&self.notes, MAX_NOTES_CHARS) {
            Ok(text) => text,
            Err(TextError::Empty) => String::new(),
            Err(TextError::TooLong(_)) => {
                fail("notes", "too_long");
                String::new()
            }
            Err(_) => {
                fail("notes", "control");
                String::new()
            }
        };
        let (mut checked, mut missing, mut broken) =
            (FacilitySet::default(), FacilitySet::default(), FacilitySet::default());
        let mut unanswered = false;
        for (facility, raw) in &self.findings {
            checked.insert(*facility);
            match Finding::parse(raw) {
                Some(Finding::Working) => {}
                Some(Finding::Missing) => missing.insert(*facility),
                Some(Finding::Broken) => broken.insert(*facility),
                None => unanswered = true,
            }
        }
        if unanswered {
            fail("facilities", "choose");
        }
        match (visited_at, open, sign, staffed, cleanliness) {
            (Some(visited_at), Some(open), Some(sign_visible), Some(staffed), Some(cleanliness))
                if errors.is_empty() =>
            {
                Ok(NewReport {
                    visited_at,
                    open,
                    sign_visible,
                    staffed,
                    checked,
                    missing,
                    broken,
                    cleanliness,
                    notes,
                    show_name: self.show_name,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ReportForm {
        ReportForm {
            visited_at: "2025-11-17T09:30".into(),
            open: "yes".into(),
            sign: "yes".into(),
            staffed: "no".into(),
            cleanliness: "4".into(),
            notes: " 门口\u{202E}有牌子 ".into(),
            show_name: false,
            findings: vec![(Facility::Water, "working".into()), (Facility::Toilet, "missing".into())],
        }
    }

    fn now() -> i64 {
        parse_local("2025-11-17T10:00").unwrap()
    }

    #[test]
    fn a_good_report() {
        let r = form().check(now()).unwrap();
        assert_eq!(r.visited_at, now() - 1800);
        assert_eq!(r.notes, "门口有牌子", "bidi controls dropped, trimmed");
        assert!(r.checked.contains(Facility::Water) && r.checked.contains(Facility::Toilet));
        assert!(r.missing.contains(Facility::Toilet) && !r.missing.contains(Facility::Water));
        assert!(r.broken.is_empty());
        assert!(!r.staffed && r.sign_visible);
    }

    #[test]
    fn every_problem_at_once() {
        let mut f = form();
        f.visited_at = "2025-11-18T09:00".into();
        f.cleanliness = "6".into();
        f.open = "maybe".into();
        f.notes = "字".repeat(MAX_NOTES_CHARS + 1);
        f.findings[1].1 = String::new();
        let problems: Vec<_> = f.check(now()).unwrap_err().into_iter().map(|e| (e.field, e.problem)).collect();
        assert_eq!(
            problems,
            vec![
                ("visited_at", "future"),
                ("open", "choose"),
                ("cleanliness", "choose"),
                ("notes", "too_long"),
                ("facilities", "choose")
            ]
        );
    }

    #[test]
    fn visit_times() {
        let mut f = form();
        f.visited_at = "2025-10-17T09:00".into();
        assert_eq!(f.check(now()).unwrap_err()[0].problem, "too_old");
        f.visited_at = "2025-10-18T10:00".into();
        assert!(f.check(now()).is_ok(), "30 days back is fine");
        f.visited_at = "2025-11-17 10:04".into();
        assert!(f.check(now()).is_ok(), "a fast phone clock is forgiven a few minutes");
        f.visited_at = "17/11/2025".into();
        assert_eq!(f.check(now()).unwrap_err()[0].problem, "not_a_time");
        f.visited_at = " ".into();
        assert_eq!(f.check(now()).unwrap_err()[0].problem, "required");
    }
}
