//! Worker feedback as pages show it: the form on a station page (drawn again with its
//! errors after a refused post) and a published item with staff's reply.

use crate::domain::feedback::{FeedbackForm, FeedbackKind, FieldError, MAX_BODY_CHARS, Reporter};
use crate::domain::staff::new_token;
use crate::store::Feedback;
use crate::web::forms::Csrf;
use crate::web::i18n::Lang;
use crate::web::page::date_time;
use crate::web::views::Choice;

/// The feedback form as the template draws it.
pub struct FeedbackFormView {
    pub csrf: String,
    /// Names this one form: posting it twice stores it once.
    pub submission: String,
    pub body: String,
    pub phone: String,
    pub kinds: Vec<Choice>,
    pub ratings: Vec<Choice>,
    pub reporters: Vec<Choice>,
    /// (field, message) for each refused field.
    pub errors: Vec<(&'static str, String)>,
    pub max_body: usize,
}

/// A rating with its meaning: "4 · 好".
pub fn rating_text(lang: Lang, n: u8) -> String {
    lang.tf(
        "feedback.rating_choice",
        &[("n", &n.to_string()), ("word", &lang.label("feedback.rating_word", &format!("r{n}")))],
    )
}

impl FeedbackFormView {
    pub fn new(lang: Lang, csrf: &Csrf, form: FeedbackForm, errors: Vec<FieldError>) -> FeedbackFormView {
        Self::with_submission(lang, csrf, form, errors, new_token())
    }

    pub fn with_submission(
        lang: Lang,
        csrf: &Csrf,
        form: FeedbackForm,
        errors: Vec<FieldError>,
        submission: String,
    ) -> FeedbackFormView {
        let choice = |value: &str, label: String, current: &str| Choice {
            value: value.to_string().into(),
            label: label.into(),
            selected: value == current,
        };
        FeedbackFormView {
            csrf: csrf.token.clone(),
            submission,
            kinds: FeedbackKind::ALL
                .iter()
                .map(|k| choice(k.key(), lang.t(&format!("feedback.kind.{}", k.key())).into_owned(), &form.kind))
                .collect(),
            ratings: (1..=5u8).map(|n| choice(&n.to_string(), rating_text(lang, n), form.rating.trim())).collect(),
            reporters: Reporter::ALL
                .iter()
                .map(|r| {
                    choice(r.key(), lang.t(&format!("feedback.reporter.{}", r.key())).into_owned(), &form.reporter)
                })
                .collect(),
            errors: errors
                .iter()
                .map(|e| {
                    (
                        e.field,
                        lang.tf(&format!("feedback.error.{}", e.problem), &[("max", &MAX_BODY_CHARS.to_string())]),
                    )
                })
                .collect(),
            body: form.body,
            phone: form.phone,
            max_body: MAX_BODY_CHARS,
        }
    }

    /// The message for a field, if it was refused.
    pub fn error(&self, field: &str) -> Option<&str> {
        crate::web::views::field_error(&self.errors, field)
    }
}

/// A published feedback as the station page shows it.
pub struct NoteView {
    pub kind: String,
    pub rating: Option<u8>,
    /// The rating's meaning ("好").
    pub rating_word: String,
    pub body: String,
    pub reporter: Option<String>,
    pub date: String,
    pub reply: Option<String>,
    pub reply_date: Option<String>,
}

impl NoteView {
    pub fn new(lang: Lang, f: &Feedback) -> NoteView {
        NoteView {
            kind: lang.t(&format!("feedback.kind.{}", f.kind.key())).into_owned(),
            rating: f.rating,
            rating_word: f
                .rating
                .map(|n| lang.label("feedback.rating_word", &format!("r{n}")).into_owned())
                .unwrap_or_default(),
            body: f.body.clone(),
            reporter: f.reporter.map(|r| lang.t(&format!("feedback.reporter.{}", r.key())).into_owned()),
            date: date_time(f.created_at),
            reply: f.reply.clone(),
            reply_date: f.reply_at.map(date_time),
        }
    }
}
