//! The monthly bulletin (每月通报): what happened in a month, per district, computed
//! from the history as it stood at the month's end, so that a bulletin of a past month
//! never changes.
//!
//! A station's district and status at a moment come from the audit log: the latest
//! change at or before it that names the field, else the earliest later change's
//! "before" value, else the station as it is now (a station with no history counts
//! as it is, from its creation).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use super::hours::midnight;

/// A calendar month (Beijing time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    /// "2025-10" (years 2000–2100).
    pub fn parse(raw: &str) -> Option<Month> {
        let (y, m) = raw.split_once('-')?;
        if y.len() != 4 || m.len() != 2 || !(y.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (year, month) = (y.parse().ok()?, m.parse().ok()?);
        ((2000..=2100).contains(&year) && (1..=12).contains(&month)).then_some(Month { year, month })
    }

    pub fn of(date: NaiveDate) -> Month {
        Month { year: date.year(), month: date.month() }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or_default()
    }

    pub fn next(self) -> Month {
        if self.month == 12 { Month { year: self.year + 1, month: 1 } } else { Month { month: self.month + 1, ..self } }
    }

    pub fn prev(self) -> Month {
        if self.month == 1 { Month { year: self.year - 1, month: 12 } } else { Month { month: self.month - 1, ..self } }
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or_default()
    }

    /// Its first moment and the next month's (Unix seconds, Beijing midnights).
    pub fn span(self) -> (i64, i64) {
        (midnight(self.first_day()), midnight(self.next().first_day()))
    }

    pub fn key(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

/// A change of a station's district or status, from the audit log (`None`: the
/// change did not name that field).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    pub at: i64,
    pub before_district: Option<String>,
    pub before_status: Option<String>,
    pub after_district: Option<String>,
    pub after_status: Option<String>,
}

/// A station with its history of district and status (changes in time order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StationHistory {
    pub id: i64,
    pub created_at: i64,
    pub district: String,
    pub status: String,
    pub changes: Vec<Change>,
}

impl StationHistory {
    /// (district code, status key) at `t`.
    pub fn at(&self, t: i64) -> (String, String) {
        let field = |after: fn(&Change) -> &Option<String>, before: fn(&Change) -> &Option<String>, now: &str| {
            self.changes
                .iter()
                .rev()
                .filter(|c| c.at <= t)
                .find_map(|c| after(c).clone())
                .or_else(|| self.changes.iter().filter(|c| c.at > t).find_map(|c| before(c).clone()))
                .unwrap_or_else(|| now.to_string())
        };
        (
            field(|c| &c.after_district, |c| &c.before_district, &self.district),
            field(|c| &c.after_status, |c| &c.before_status, &self.status),
        )
    }
}

/// A follow-up: its station, when it was opened, its due date, and its status
/// changes (time, new status) in time order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowupFacts {
    pub station_id: i64,
    pub created_at: i64,
    pub due_on: NaiveDate,
    pub statuses: Vec<(i64, String)>,
}

/// A warning card's station and moments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardFacts {
    pub station_id: i64,
    pub opened_at: i64,
    pub red_at: Option<i64>,
    pub closed_at: Option<i64>,
}

/// Everything a bulletin is computed from.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub stations: Vec<StationHistory>,
    /// (station id, visited at, failed).
    pub inspections: Vec<(i64, i64, bool)>,
    /// (district code when sent, sent at, staff's first step at).
    pub feedback: Vec<(String, i64, Option<i64>)>,
    pub followups: Vec<FollowupFacts>,
    pub cards: Vec<CardFacts>,
}

/// One district's month.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Line {
    /// In the directory at the month's end (not revoked), and of those temporarily closed.
    pub stations: usize,
    pub closed_now: usize,
    /// Added, revoked, temporarily closed and reopened during the month.
    pub added: usize,
    pub revoked: usize,
    pub closed: usize,
    pub reopened: usize,
    /// Inspections visited during the month, and of them the failed ones.
    pub inspections: usize,
    pub failed: usize,
    /// Feedback sent during the month; feedback staff first answered during the month;
    /// feedback not answered at the month's end (whenever it was sent).
    pub feedback: usize,
    pub answered: usize,
    pub unanswered: usize,
    /// Follow-ups opened, marked fixed and verified during the month; overdue at its end.
    pub followups_opened: usize,
    pub followups_fixed: usize,
    pub followups_verified: usize,
    pub followups_overdue: usize,
    /// Warning cards given, turned red and closed during the month; open at its end.
    pub cards_given: usize,
    pub cards_red: usize,
    pub cards_closed: usize,
    pub cards_open: usize,
}

impl Line {
    pub fn add(&mut self, o: &Line) {
        self.stations += o.stations;
        self.closed_now += o.closed_now;
        self.added += o.added;
        self.revoked += o.revoked;
        self.closed += o.closed;
        self.reopened += o.reopened;
        self.inspections += o.inspections;
        self.failed += o.failed;
        self.feedback += o.feedback;
        self.answered += o.answered;
        self.unanswered += o.unanswered;
        self.followups_opened += o.followups_opened;
        self.followups_fixed += o.followups_fixed;
        self.followups_verified += o.followups_verified;
        self.followups_overdue += o.followups_overdue;
        self.cards_given += o.cards_given;
        self.cards_red += o.cards_red;
        self.cards_closed += o.cards_closed;
        self.cards_open += o.cards_open;
    }

    /// The keys of [`Line::figures`], in its order.
    pub const KEYS: [&'static str; 19] = [
        "stations",
        "closed_now",
        "added",
        "revoked",
        "closed",
        "reopened",
        "inspections",
        "failed",
        "feedback",
        "answered",
        "unanswered",
        "followups_opened",
        "followups_fixed",
        "followups_verified",
        "followups_overdue",
        "cards_given",
        "cards_red",
        "cards_closed",
        "cards_open",
    ];

    /// Each figure with its locale key (under `bulletin.row.`), in the order shown.
    pub fn figures(&self) -> [(&'static str, usize); 19] {
        let values = [
            self.stations,
            self.closed_now,
            self.added,
            self.revoked,
            self.closed,
            self.reopened,
            self.inspections,
            self.failed,
            self.feedback,
            self.answered,
            self.unanswered,
            self.followups_opened,
            self.followups_fixed,
            self.followups_verified,
            self.followups_overdue,
            self.cards_given,
            self.cards_red,
            self.cards_closed,
            self.cards_open,
        ];
        std::array::from_fn(|i| (Line::KEYS[i], values[i]))
    }
}

/// The month's lines by district code (districts with nothing at all left out), from
/// facts that may run past the month (what happened later is not counted).
pub fn compute(facts: &Facts, month: Month) -> BTreeMap<String, Line> {
    let (start, end) = month.span();
    let during = |t: i64| (start..end).contains(&t);
    let mut lines: BTreeMap<String, Line> = BTreeMap::new();
    // Each station's district at the month's end: where its events are counted.
    let mut district_of: std::collections::HashMap<i64, String> = std::collections::HashMap::new();
    for s in &facts.stations {
        if s.created_at >= end {
            continue;
        }
        let (district, status) = s.at(end - 1);
        let line = lines.entry(district.clone()).or_default();
        if status != "revoked" {
            line.stations += 1;
            line.closed_now += usize::from(status == "temporarily_closed");
        }
        line.added += usize::from(during(s.created_at));
        for c in s.changes.iter().filter(|c| during(c.at)) {
            match (c.before_status.as_deref(), c.after_status.as_deref()) {
                (_, Some("revoked")) => line.revoked += 1,
                (_, Some("temporarily_closed")) => line.closed += 1,
                (Some("temporarily_closed"), Some("open")) => line.reopened += 1,
                _ => {}
            }
        }
        district_of.insert(s.id, district);
    }
    fn at_station<'a>(
        lines: &'a mut BTreeMap<String, Line>,
        district_of: &std::collections::HashMap<i64, String>,
        id: i64,
    ) -> Option<&'a mut Line> {
        district_of.get(&id).map(|d| lines.entry(d.clone()).or_default())
    }
    for (id, visited, failed) in &facts.inspections {
        if let (true, Some(line)) = (during(*visited), at_station(&mut lines, &district_of, *id)) {
            line.inspections += 1;
            line.failed += usize::from(*failed);
        }
    }
    let last_day = month.last_day();
    for f in &facts.followups {
        if f.created_at >= end {
            continue;
        }
        let Some(line) = at_station(&mut lines, &district_of, f.station_id) else { continue };
        line.followups_opened += usize::from(during(f.created_at));
        for (_, status) in f.statuses.iter().filter(|(at, _)| during(*at)) {
            line.followups_fixed += usize::from(status == "fixed");
            line.followups_verified += usize::from(status == "verified");
        }
        let status_at_end =
            f.statuses.iter().rev().find(|(at, _)| *at < end).map(|(_, s)| s.as_str()).unwrap_or("open");
        line.followups_overdue += usize::from(matches!(status_at_end, "open" | "in_progress") && f.due_on < last_day);
    }
    for c in &facts.cards {
        if c.opened_at >= end {
            continue;
        }
        let Some(line) = at_station(&mut lines, &district_of, c.station_id) else { continue };
        line.cards_given += usize::from(during(c.opened_at));
        line.cards_red += usize::from(c.red_at.is_some_and(during));
        line.cards_closed += usize::from(c.closed_at.is_some_and(during));
        line.cards_open += usize::from(c.closed_at.is_none_or(|t| t >= end));
    }
    for (district, sent, first) in &facts.feedback {
        if *sent >= end {
            continue;
        }
        let line = lines.entry(district.clone()).or_default();
        line.feedback += usize::from(during(*sent));
        line.answered += usize::from(first.is_some_and(during));
        line.unanswered += usize::from(first.is_none_or(|t| t >= end));
    }
    lines.retain(|_, l| *l != Line::default());
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::hours::beijing_ts;

    fn at(raw: &str) -> i64 {
        beijing_ts(chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M").unwrap())
    }

    fn change(t: &str, district: Option<(&str, &str)>, status: Option<(&str, &str)>) -> Change {
        Change {
            at: at(t),
            before_district: district.map(|d| d.0.into()),
            after_district: district.map(|d| d.1.into()),
            before_status: status.map(|s| s.0.into()),
            after_status: status.map(|s| s.1.into()),
        }
    }

    #[test]
    fn months_parse_and_span_beijing_days() {
        let m = Month::parse("2025-10").unwrap();
        assert_eq!((m.key(), m.last_day().to_string()), ("2025-10".into(), "2025-10-31".into()));
        assert_eq!(m.span(), (at("2025-10-01 00:00"), at("2025-11-01 00:00")));
        assert_eq!(Month::parse("2025-12").unwrap().next().key(), "2026-01");
        assert_eq!(Month::parse("2026-01").unwrap().prev().key(), "2025-12");
        for bad in ["2025-13", "2025-00", "25-10", "2025-1", "2025-10-01", "２０２５-10", "1999-12", ""] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_station_is_where_and_as_it_was_then() {
        let s = StationHistory {
            id: 1,
            created_at: at("2025-09-01 10:00"),
            district: "110106".into(),
            status: "open".into(),
            changes: vec![
                change("2025-10-10 10:00", None, Some(("open", "temporarily_closed"))),
                change("2025-11-05 10:00", Some(("110119", "110106")), Some(("temporarily_closed", "open"))),
            ],
        };
        assert_eq!(s.at(at("2025-09-15 10:00")), ("110119".into(), "open".into()), "the first change's before");
        assert_eq!(s.at(at("2025-10-31 23:59")), ("110119".into(), "temporarily_closed".into()));
        assert_eq!(s.at(at("2025-11-20 10:00")), ("110106".into(), "open".into()));
    }

    #[test]
    fn a_month_counts_what_happened_in_it_and_nothing_later() {
        let october = Month::parse("2025-10").unwrap();
        let facts = Facts {
            stations: vec![
                StationHistory {
                    id: 1,
                    created_at: at("2025-10-03 09:00"),
                    district: "110119".into(),
                    status: "open".into(),
                    changes: vec![change("2025-10-20 09:00", None, Some(("open", "revoked")))]
                        .into_iter()
                        .chain([change("2025-11-02 09:00", None, Some(("revoked", "open")))])
                        .collect(),
                },
                StationHistory {
                    id: 2,
                    created_at: at("2025-01-01 09:00"),
                    district: "110119".into(),
                    status: "open".into(),
                    changes: vec![change("2025-10-25 09:00", None, Some(("open", "temporarily_closed")))],
                },
                StationHistory {
                    id: 3,
                    created_at: at("2025-11-02 09:00"),
                    district: "110119".into(),
                    status: "open".into(),
                    changes: vec![],
                },
            ],
            inspections: vec![(2, at("2025-10-05 10:00"), true), (2, at("2025-11-05 10:00"), false)],
            feedback: vec![
                ("110119".into(), at("2025-10-01 08:00"), Some(at("2025-10-01 09:00"))),
                ("110119".into(), at("2025-10-30 08:00"), Some(at("2025-11-01 09:00"))),
                ("110119".into(), at("2025-09-30 08:00"), None),
                ("110119".into(), at("2025-11-01 08:00"), None),
            ],
            followups: vec![
                FollowupFacts {
                    station_id: 2,
                    created_at: at("2025-10-06 10:00"),
                    due_on: "2025-10-20".parse().unwrap(),
                    statuses: vec![(at("2025-11-03 10:00"), "fixed".into())],
                },
                FollowupFacts {
                    station_id: 2,
                    created_at: at("2025-10-07 10:00"),
                    due_on: "2025-10-15".parse().unwrap(),
                    statuses: vec![
                        (at("2025-10-14 10:00"), "fixed".into()),
                        (at("2025-10-16 10:00"), "verified".into()),
                    ],
                },
            ],
            cards: vec![CardFacts {
                station_id: 2,
                opened_at: at("2025-10-06 10:00"),
                red_at: Some(at("2025-11-06 10:00")),
                closed_at: None,
            }],
        };
        let lines = compute(&facts, october);
        let l = &lines["110119"];
        assert_eq!((l.stations, l.closed_now), (1, 1), "1 revoked then, 3 not there yet");
        assert_eq!((l.added, l.revoked, l.closed, l.reopened), (1, 1, 1, 0));
        assert_eq!((l.inspections, l.failed), (1, 1));
        assert_eq!((l.feedback, l.answered, l.unanswered), (2, 1, 2));
        assert_eq!((l.followups_opened, l.followups_fixed, l.followups_verified, l.followups_overdue), (2, 1, 1, 1));
        assert_eq!((l.cards_given, l.cards_red, l.cards_closed, l.cards_open), (1, 0, 0, 1));
        let november = compute(&facts, october.next());
        let n = &november["110119"];
        assert_eq!(
            (n.stations, n.added, n.reopened, n.revoked),
            (3, 1, 0, 0),
            "reopened from revoked is not a reopening"
        );
        assert_eq!((n.cards_red, n.followups_fixed, n.answered), (1, 1, 1));
    }
}
