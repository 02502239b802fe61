//! The reader's language: zh-CN first, English second. Texts live in `locales/`.
//! Below the web layer: the ledger, the CLI and the pages all say things through it
//! (how a request chooses its language is `web::i18n`).

use std::borrow::Cow;
use std::sync::LazyLock;

use rustc_hash::FxHashMap;

/// Every text of both languages (`[zh-CN, en]`), read once from the bundled locale
/// files: a list page looks up over a hundred texts, and a lookup here is one hash
/// probe that allocates nothing.
static TEXTS: LazyLock<[FxHashMap<&'static str, &'static str>; 2]> = LazyLock::new(|| {
    let backend = crate::_rust_i18n_backend();
    [Lang::Zh, Lang::En].map(|lang| {
        backend
            .messages_for_locale(lang.code())
            .unwrap_or_default()
            .into_iter()
            .map(|(key, text)| match (key, text) {
                (Cow::Borrowed(key), Cow::Borrowed(text)) => (key, text),
                // Owned copies are made once per text for the life of the process.
                (key, text) => (&*key.into_owned().leak(), &*text.into_owned().leak()),
            })
            .collect()
    })
});

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
        match TEXTS[self as usize].get(key) {
            Some(text) => Cow::Borrowed(text),
            None => {
                tracing::warn!(key, lang = self.code(), "missing translation");
                Cow::Owned(key.to_string())
            }
        }
    }

    /// The text for `prefix.key` (a facility, a host type, a weekday…), looked up
    /// without building the key on the heap.
    pub fn label(self, prefix: &str, key: &str) -> Cow<'static, str> {
        let mut buf = [0u8; 64];
        let len = prefix.len() + 1 + key.len();
        if len > buf.len() {
            return self.t(&format!("{prefix}.{key}"));
        }
        buf[..prefix.len()].copy_from_slice(prefix.as_bytes());
        buf[prefix.len()] = b'.';
        buf[prefix.len() + 1..len].copy_from_slice(key.as_bytes());
        // Two strings joined by an ASCII dot are UTF-8.
        self.t(std::str::from_utf8(&buf[..len]).unwrap_or_default())
    }

    /// The text for `key` with `%{name}` placeholders filled in. A count `n` of 1 takes
    /// the key's `_one` form when the locale has one ("1 station", not "1 stations").
    pub fn tf(self, key: &str, args: &[(&str, &str)]) -> String {
        let singular = args.iter().any(|(name, value)| *name == "n" && *value == "1");
        let one = singular.then(|| TEXTS[self as usize].get(format!("{key}_one").as_str()).copied()).flatten();
        let template = one.map(Cow::Borrowed).unwrap_or_else(|| self.t(key));
        let mut text = String::with_capacity(template.len() + args.iter().map(|(_, v)| v.len()).sum::<usize>());
        let mut rest = &*template;
        while let Some(start) = rest.find("%{") {
            let (before, after) = rest.split_at(start);
            text.push_str(before);
            let value = after[2..]
                .split_once('}')
                .and_then(|(name, tail)| args.iter().find(|(n, _)| *n == name).map(|(_, value)| (*value, tail)));
            match value {
                Some((value, tail)) => {
                    text.push_str(value);
                    rest = tail;
                }
                // Not a placeholder we were given: kept as written.
                None => {
                    text.push_str("%{");
                    rest = &after[2..];
                }
            }
        }
        text.push_str(rest);
        text
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

    #[test]
    fn the_table_says_what_the_locale_files_say() {
        let backend = crate::_rust_i18n_backend();
        for lang in [Lang::Zh, Lang::En] {
            for (key, text) in backend.messages_for_locale(lang.code()).unwrap_or_default() {
                assert_eq!(lang.t(&key), text, "{key} in {}", lang.code());
            }
        }
        assert_eq!(Lang::Zh.t("no.such.key"), "no.such.key");
        assert_eq!(Lang::En.label("facility", "water"), Lang::En.t("facility.water"));
        assert_eq!(Lang::Zh.label("weekday", "0"), Lang::Zh.t("weekday.0"));
        let long = "x".repeat(80);
        assert_eq!(Lang::Zh.label("facility", &long), format!("facility.{long}"));
    }

    #[test]
    fn placeholders_are_filled_and_others_kept() {
        assert_eq!(Lang::En.tf("list.page", &[("page", "2"), ("pages", "9")]), "Page 2 of 9");
        assert_eq!(Lang::En.tf("list.count", &[("x", "3")]), "%{n} stations");
        assert_eq!(Lang::En.tf("list.count", &[("n", "%{n}")]), "%{n} stations");
    }

    #[test]
    fn a_count_of_one_is_singular() {
        let when = ("when", "10:00");
        assert_eq!(
            Lang::En.tf("feedback.closed_warning", &[("n", "1"), when]),
            "1 worker reported it closed today (latest 10:00); staff are checking."
        );
        assert_eq!(
            Lang::En.tf("feedback.closed_warning", &[("n", "2"), when]),
            "2 workers reported it closed today (latest 10:00); staff are checking."
        );
        assert_eq!(Lang::En.tf("list.count", &[("n", "1")]), "1 station");
        assert_eq!(Lang::En.tf("list.count", &[("n", "11")]), "11 stations");
        assert_eq!(Lang::En.tf("admin.audit.count", &[("n", "1")]), "1 entry");
        assert_eq!(Lang::Zh.tf("list.count", &[("n", "1")]), "共 1 个驿站");
        assert!(Lang::Zh.tf("feedback.closed_warning", &[("n", "1"), when]).contains("1 位劳动者"));
        // A key without a singular form is used as it is.
        assert_eq!(Lang::En.tf("near.metres", &[("n", "1")]), "1 m");
    }
}
