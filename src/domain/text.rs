//! Validated text values: bad input never gets past these.

/// Why a text value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("empty")]
    Empty,
    #[error("longer than {0} characters")]
    TooLong(usize),
    #[error("contains control characters")]
    Control,
    #[error("not a phone number")]
    NotPhone,
}

impl TextError {
    /// A short key for the problem (locale keys end with it).
    pub fn key(&self) -> &'static str {
        match self {
            TextError::Empty => "empty",
            TextError::TooLong(_) => "too_long",
            TextError::Control => "control",
            TextError::NotPhone => "not_phone",
        }
    }
}

/// Whether `c` changes the direction of the text around it (Unicode bidi controls:
/// embeddings, overrides, isolates and marks). A right-to-left override makes
/// "exe.txt" read as "txt.exe"; no station name or report needs one.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `raw` without bidi controls (see [`is_bidi_control`]).
pub fn strip_bidi(raw: &str) -> std::borrow::Cow<'_, str> {
    if raw.chars().any(is_bidi_control) {
        std::borrow::Cow::Owned(raw.chars().filter(|c| !is_bidi_control(*c)).collect())
    } else {
        std::borrow::Cow::Borrowed(raw)
    }
}

/// Trims and checks a single-line text: not empty, at most `max` characters, no control
/// characters; bidi controls are dropped.
pub fn single_line(raw: &str, max: usize) -> Result<String, TextError> {
    let stripped = strip_bidi(raw);
    let text = stripped.trim();
    if text.is_empty() {
        return Err(TextError::Empty);
    }
    if text.chars().count() > max {
        return Err(TextError::TooLong(max));
    }
    if text.chars().any(char::is_control) {
        return Err(TextError::Control);
    }
    Ok(text.to_string())
}

/// Longest search text accepted in `q`.
pub const MAX_QUERY_LEN: usize = 100;

/// A search text for station names and addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchText(String);

impl SearchText {
    pub fn parse(raw: &str) -> Result<Option<SearchText>, TextError> {
        match single_line(raw, MAX_QUERY_LEN) {
            // ASCII folding is enough: Chinese has no case, and the haystack is folded the same way.
            Ok(text) => Ok(Some(SearchText(text.to_ascii_lowercase()))),
            Err(TextError::Empty) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A contact phone: a mobile or landline number, digits with optional "+86", spaces or dashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Phone, TextError> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(TextError::Empty);
        }
        let allowed = |c: char| c.is_ascii_digit() || matches!(c, ' ' | '-' | '+' | '(' | ')');
        let digits = text.chars().filter(char::is_ascii_digit).count();
        if !text.chars().all(allowed) || !(7..=15).contains(&digits) || text[1..].contains('+') {
            return Err(TextError::NotPhone);
        }
        Ok(Phone(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number for a `tel:` link: digits and a leading plus only.
    pub fn tel_uri(&self) -> String {
        let digits: String = self.0.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
        format!("tel:{digits}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text() {
        assert_eq!(SearchText::parse("  ").unwrap(), None);
        assert_eq!(SearchText::parse(" 万达 ").unwrap().unwrap().as_str(), "万达");
        assert_eq!(SearchText::parse("ABC").unwrap().unwrap().as_str(), "abc");
        assert_eq!(SearchText::parse(&"驿".repeat(101)), Err(TextError::TooLong(100)));
        assert_eq!(SearchText::parse("a\u{0}b"), Err(TextError::Control));
    }

    #[test]
    fn bidi_controls_are_dropped() {
        assert_eq!(single_line("驿站\u{202E}txt.exe", 100).unwrap(), "驿站txt.exe");
        assert_eq!(single_line("\u{2066}a\u{2069}\u{200F}\u{061C}", 100).unwrap(), "a");
        assert_eq!(single_line("\u{202E}", 100), Err(TextError::Empty));
        assert_eq!(strip_bidi("مرحبا 你好"), "مرحبا 你好");
    }

    #[test]
    fn phones() {
        assert_eq!(Phone::parse("010-6758 1234").unwrap().tel_uri(), "tel:01067581234");
        assert_eq!(Phone::parse("+86 138 0013 8000").unwrap().tel_uri(), "tel:+8613800138000");
        assert_eq!(Phone::parse("12345"), Err(TextError::NotPhone));
        assert_eq!(Phone::parse("call me"), Err(TextError::NotPhone));
        assert_eq!(Phone::parse("138+0013+8000"), Err(TextError::NotPhone));
    }
}
