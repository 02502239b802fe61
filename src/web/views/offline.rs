//! The words `static/offline.js` writes with: the offline page, the outbox, and the
//! "save my district" panel of the home and list pages.

use crate::domain::facility::ALL_FACILITIES;
use crate::snapshot::Snapshot;
use crate::web::i18n::Lang;
use crate::web::views::Choice;

/// The districts to save on the phone, each with how many stations it holds (what a
/// save costs grows with it), `current` (a code) chosen.
pub fn save_choices(lang: Lang, snapshot: &Snapshot, current: &str) -> Vec<Choice> {
    let mut choices = Choice::districts(lang, current, |_| true);
    for choice in &mut choices {
        let n = snapshot
            .district_counts
            .iter()
            .find(|c| c.district.is_some_and(|d| d.code.to_string() == choice.value))
            .map_or(0, |c| c.stations);
        choice.label = lang.tf("offline.district_choice", &[("name", &choice.label), ("n", &n.to_string())]).into();
    }
    choices
}

/// The words `static/offline.js` writes with, in the reader's language.
const WORDS: &[&str] = &[
    "offline.save_button",
    "offline.save_named",
    "offline.saving",
    "offline.saved",
    "offline.save_failed",
    "offline.full",
    "offline.saved_at",
    "offline.stale",
    "offline.ending_n",
    "mine.forget_sure",
    "offline.refresh",
    "offline.delete",
    "offline.none_saved",
    "offline.open_now",
    "offline.open_until",
    "offline.opens_at",
    "offline.closed",
    "offline.unknown",
    "offline.unknown_no_phone",
    "offline.temporarily_closed",
    "offline.past_end",
    "offline.call",
    "offline.code",
    "offline.km",
    "offline.no_street",
    "offline.opened",
    "offline.not_saved_here",
    "offline.locating",
    "offline.no_position",
    "offline.when",
    "offline.stations_n",
    "offline.more",
    "outbox.full",
    "when.tomorrow",
    "outbox.waiting",
    "outbox.refused",
    "outbox.saved_at",
    "outbox.station",
    "outbox.send",
    "outbox.delete",
    "outbox.body",
    "outbox.empty",
    "outbox.sent_n",
    "outbox.pending_n",
];

/// [`WORDS`], the facilities' and the months' names as one JSON object, for the
/// `data-offline-words` attribute of the element the script fills.
pub fn words(lang: Lang) -> String {
    let mut all = serde_json::Map::new();
    for key in WORDS {
        all.insert((*key).to_string(), lang.t(key).into_owned().into());
        // A count's singular form, where the language has one ("1 item").
        if key.ends_with("_n") {
            all.insert(format!("{key}_one"), lang.tf(key, &[("n", "1")]).into());
        }
    }
    for f in ALL_FACILITIES {
        all.insert(format!("facility.{}", f.key()), lang.label("facility", f.key()).into_owned().into());
    }
    let months: Vec<String> = (1..=12).map(|m| lang.label("month", &m.to_string()).into_owned()).collect();
    all.insert("months".into(), months.into());
    serde_json::Value::Object(all).to_string()
}
