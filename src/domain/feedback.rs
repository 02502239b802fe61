//! Worker feedback: what a worker may say about a station, and how staff moderate it.

use super::facility::keyed_enum;
use super::text::{Phone, TextError};

keyed_enum!(
    /// What the feedback is about.
    FeedbackKind {
        ClosedWhenOpen => "closed_when_open",
        FacilityMissing => "facility_missing",
        HoursWrong => "hours_wrong",
        LocationWrong => "location_wrong",
        Praise => "praise",
        Suggestion => "suggestion",
        Other => "other",
    }
);

keyed_enum!(
    /// Who the worker says they are ("I am a …").
    Reporter {
        Courier => "courier",
        Rider => "rider",
        Driver => "driver",
        Sanitation => "sanitation",
        Other => "other",
    }
);

keyed_enum!(
    /// Why staff did not publish a feedback: a fixed list.
    RejectReason {
        Spam => "spam",
        Abuse => "abuse",
        PersonalData => "personal_data",
        OffTopic => "off_topic",
        Duplicate => "duplicate",
    }
);

keyed_enum!(
    /// Where a feedback is in moderation.
    FeedbackState {
        Pending => "pending",
        Published => "published",
        Rejected => "rejected",
    }
);

keyed_enum!(
    /// How staff resolved a "closed when listed open" report after checking.
    ClosedOutcome {
        VerifiedOpen => "verified_open",
        ClosedTemporarily => "closed_temporarily",
        HoursMismatch => "hours_mismatch",
    }
);

impl ClosedOutcome {
    /// Staff found the station closed (temporarily, or at hours other than posted):
    /// the report counts toward a warning card.
    pub fn confirms_closed(self) -> bool {
        matches!(self, ClosedOutcome::ClosedTemporarily | ClosedOutcome::HoursMismatch)
    }
}

/// Longest feedback text, in characters.
pub const MAX_BODY_CHARS: usize = 500;
/// Longest staff reply, in characters.
pub const MAX_REPLY_CHARS: usize = 1000;

/// A field of the feedback form that was refused, and why (a locale key suffix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub problem: &'static str,
}

/// The feedback form as sent, every field still text (to refill the form).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedbackForm {
    pub kind: String,
    pub rating: String,
    pub body: String,
    pub reporter: String,
    pub phone: String,
}

/// A checked feedback, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFeedback {
    pub kind: FeedbackKind,
    pub rating: Option<u8>,
    pub body: String,
    pub reporter: Option<Reporter>,
    pub phone: Option<Phone>,
}

/// Checks a multi-line text: trimmed, not empty, at most `max` characters,
/// no control characters other than line breaks and tabs; bidi controls are dropped.
pub fn multi_line(raw: &str, max: usize) -> Result<String, TextError> {
    let text = super::text::strip_bidi(raw).trim().replace("\r\n", "\n");
    if text.is_empty() {
        return Err(TextError::Empty);
    }
    if text.chars().count() > max {
        return Err(TextError::TooLong(max));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(TextError::Control);
    }
    Ok(text)
}

impl FeedbackForm {
    /// Checks every field; all problems at once, so the form can show them together.
    pub fn check(&self) -> Result<NewFeedback, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field, problem| errors.push(FieldError { field, problem });
        let kind = FeedbackKind::parse(&self.kind);
        if kind.is_none() {
            fail("kind", "choose");
        }
        let rating = match self.rating.trim() {
            "" => None,
            r => match r.parse::<u8>() {
                Ok(n @ 1..=5) => Some(n),
                _ => {
                    fail("rating", "rating");
                    None
                }
            },
        };
        let body = multi_line(&self.body, MAX_BODY_CHARS).map_err(|e| fail("body", e.key())).ok();
        let reporter = match self.reporter.as_str() {
            "" => None,
            r => {
                let parsed = Reporter::parse(r);
                if parsed.is_none() {
                    fail("reporter", "choose");
                }
                parsed
            }
        };
        let phone = match self.phone.trim() {
            "" => None,
            p => Phone::parse(p).map_err(|e| fail("phone", e.key())).ok(),
        };
        match (kind, body) {
            (Some(kind), Some(body)) if errors.is_empty() => Ok(NewFeedback { kind, rating, body, reporter, phone }),
            _ => Err(errors),
        }
    }
}

/// Letters of a receipt number: Crockford's base 32, no I, L, O or U to misread.
const RECEIPT_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A receipt number a worker can read out on the phone: "FK" and 12 letters in
/// groups of four (60 random bits: not guessable).
pub fn new_receipt() -> String {
    let bits: u64 = rand::random();
    let letters: String = (0..12).map(|i| RECEIPT_ALPHABET[((bits >> (i * 5)) & 31) as usize] as char).collect();
    format!("FK-{}-{}-{}", &letters[0..4], &letters[4..8], &letters[8..12])
}

/// Whether a text has the shape of a receipt number (checked before touching the database).
pub fn is_receipt(raw: &str) -> bool {
    let parts: Vec<&str> = raw.split('-').collect();
    parts.len() == 4
        && parts[0] == "FK"
        && parts[1..].iter().all(|p| p.len() == 4 && p.bytes().all(|b| RECEIPT_ALPHABET.contains(&b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(kind: &str, body: &str) -> FeedbackForm {
        FeedbackForm { kind: kind.into(), body: body.into(), ..Default::default() }
    }

    #[test]
    fn a_good_report_passes() {
        let f = FeedbackForm {
            rating: "4".into(),
            reporter: "rider".into(),
            phone: "138 0013 8000".into(),
            ..form("praise", " 很好 ")
        };
        let ok = f.check().unwrap();
        assert_eq!(ok.kind, FeedbackKind::Praise);
        assert_eq!(ok.rating, Some(4));
        assert_eq!(ok.body, "很好");
        assert_eq!(ok.reporter, Some(Reporter::Rider));
        assert!(ok.phone.is_some());
    }

    #[test]
    fn every_problem_is_reported() {
        let f =
            FeedbackForm { rating: "6".into(), reporter: "boss".into(), phone: "call me".into(), ..form("nope", "") };
        let fields: Vec<&str> = f.check().unwrap_err().iter().map(|e| e.field).collect();
        assert_eq!(fields, ["kind", "rating", "body", "reporter", "phone"]);
        let long = form("other", &"字".repeat(MAX_BODY_CHARS + 1));
        assert_eq!(long.check().unwrap_err(), [FieldError { field: "body", problem: "too_long" }]);
        assert!(form("other", &"字".repeat(MAX_BODY_CHARS)).check().is_ok());
        assert_eq!(form("other", "a\u{7}b").check().unwrap_err()[0].problem, "control");
    }

    #[test]
    fn receipts() {
        let r = new_receipt();
        assert!(is_receipt(&r), "{r}");
        assert_ne!(r, new_receipt());
        assert!(!is_receipt("FK-0000-0000-000I"));
        assert!(!is_receipt("FK-0000-0000"));
        assert!(!is_receipt("1; DROP TABLE feedback"));
    }
}
