//! The reader's language: zh-CN first, English second. Texts live in `locales/`.

use std::borrow::Cow;
use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, http::header};

/// Name of the cookie that keeps the chosen language.
pub const LANG_COOKIE: &str = "lang";

/// A supported language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// The locale code, as in `locales/` and `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(raw: &str) -> Option<Lang> {
        match raw {
            "zh-CN" | "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other language, for the switch link.
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    pub fn is_zh(self) -> bool {
        self == Lang::Zh
    }

    /// The text for `key`.
    pub fn t(self, key: &str) -> Cow<'static, str> {
        match crate::_rust_i18n_try_translate(self.code(), key) {
            Some(text) => Cow::Owned(text.into_owned()),
            None => {
                tracing::warn!(key, lang = self.code(), "missing translation");
                Cow::Owned(key.to_string())
            }
        }
    }

    /// The text for `key` with `%{name}` placeholders filled in.
    pub fn tf(self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.t(key).into_owned();
        for (name, value) in args {
            text = text.replace(&format!("%{{{name}}}"), value);
        }
        text
    }

    /// The cookie, then Accept-Language; Chinese when neither says otherwise.
    pub fn from_request(req: &HttpRequest) -> Lang {
        if let Some(lang) = req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value())) {
            return lang;
        }
        let accept = req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let first = accept.split(',').next().unwrap_or_default().trim().to_ascii_lowercase();
        if first.starts_with("en") { Lang::En } else { Lang::Zh }
    }
}

impl FromRequest for Lang {
    type Error = actix_web::Error;
    type Future = Ready<Result<Lang, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Lang::from_request(req)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_locales_have_the_same_keys() {
        let backend = crate::_rust_i18n_backend();
        let keys = |locale: &str| -> std::collections::BTreeSet<String> {
            let messages = backend.messages_for_locale(locale).unwrap_or_default();
            messages.into_iter().map(|(k, _)| k.into_owned()).collect()
        };
        assert!(keys("zh-CN").len() > 50);
        assert_eq!(keys("zh-CN"), keys("en"), "every text exists in both languages");
        assert_eq!(Lang::Zh.t("site.name"), "驿站");
        assert_eq!(Lang::En.tf("list.count", &[("n", "3")]), "3 stations");
    }
}
