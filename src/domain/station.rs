//! A station as the ledger knows it.

use chrono::NaiveDate;

use super::coords::{LatLon, Precision};
use super::district::District;
use super::facility::{Audience, FacilitySet, HostType};
use super::hours::Hours;
use super::text::Phone;

/// Whether a station is serving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Open,
    /// Temporarily closed (临时关闭), with a reason and perhaps a date it reopens.
    TemporarilyClosed {
        reason: String,
        until: Option<NaiveDate>,
    },
    /// Revoked (撤销): kept in the ledger, gone from the public directory.
    Revoked,
}

impl Status {
    pub fn key(&self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::TemporarilyClosed { .. } => "temporarily_closed",
            Status::Revoked => "revoked",
        }
    }
}

/// Who last checked a station on site (what its "verified on" date stands for).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Verifier {
    /// Union staff (also every date set before supervisors existed).
    #[default]
    Staff,
    /// A volunteer supervisor's inspection, accepted by staff; the supervisor's
    /// name only when they chose to show it.
    Supervisor { name: Option<String> },
}

impl Verifier {
    pub fn key(&self) -> &'static str {
        match self {
            Verifier::Staff => "staff",
            Verifier::Supervisor { .. } => "supervisor",
        }
    }

    /// From the stored key and name (an unknown key reads as staff).
    pub fn from_parts(key: &str, name: Option<String>) -> Verifier {
        match key {
            "supervisor" => Verifier::Supervisor { name: name.filter(|n| !n.is_empty()) },
            _ => Verifier::Staff,
        }
    }

    /// The public name, if any.
    pub fn name(&self) -> Option<&str> {
        match self {
            Verifier::Supervisor { name } => name.as_deref(),
            Verifier::Staff => None,
        }
    }
}

/// Why and when a station was revoked (撤销), as staff recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    pub reason: String,
    /// Unix seconds.
    pub at: i64,
}

/// The level of an award (最美工会户外劳动者服务站点).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HonourLevel {
    National,
    Municipal,
    District,
}

impl HonourLevel {
    pub fn key(self) -> &'static str {
        match self {
            HonourLevel::National => "national",
            HonourLevel::Municipal => "municipal",
            HonourLevel::District => "district",
        }
    }

    pub fn parse(raw: &str) -> Option<HonourLevel> {
        [HonourLevel::National, HonourLevel::Municipal, HonourLevel::District].into_iter().find(|l| l.key() == raw)
    }
}

/// An award a station received in a given year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Honour {
    pub level: HonourLevel,
    pub year: i32,
    pub title: String,
}

/// Days after its last check that a station is flagged to staff as not verified.
pub const STALE_DAYS: i64 = 180;

/// One station of the ledger.
#[derive(Debug, Clone)]
pub struct Station {
    pub id: i64,
    /// The public code (BJ-110106-0042), given once when the station is stored and
    /// never changed, even if the station moves to another district; "" before.
    pub code: String,
    /// The union's own number for the station in its ledger (站点编号), if it has one.
    pub ledger_id: Option<String>,
    pub name: String,
    pub district: &'static District,
    pub street_code: Option<String>,
    pub address: String,
    /// `None` while the position is not known ("location unknown", e.g. a ledger row
    /// without coordinates): listed, but not on the map, in "nearest" or in navigation.
    pub position: Option<LatLon>,
    /// How sure the position is (meaningless without one).
    pub precision: Precision,
    pub host: HostType,
    /// `None` when the stored text does not parse: the page says hours are unknown.
    /// The one truth about public holidays too: `PH` rules of the text.
    pub hours: Option<Hours>,
    /// Works 调休 make-up days (跟随调休上班); defaults by host type.
    pub works_makeup_days: bool,
    pub contact_name: Option<String>,
    pub phone: Option<Phone>,
    pub area_m2: Option<f64>,
    pub facilities: FacilitySet,
    /// Listed facilities that do not work for now (暂时不可用): they count neither
    /// toward the basic standard nor in facility filters until staff mark them fixed.
    pub unavailable: FacilitySet,
    pub audiences: Vec<Audience>,
    pub services: String,
    pub status: Status,
    /// Set while the station is revoked; `None` for stations revoked before reasons were kept.
    pub revocation: Option<Revocation>,
    pub description: String,
    /// The story of a model station for its showcase page, written by staff: plain
    /// text, paragraphs separated by blank lines; "" for none.
    pub story: String,
    pub verified_on: Option<NaiveDate>,
    /// Who checked it on `verified_on`.
    pub verified_by: Verifier,
    pub synthetic: bool,
    pub honours: Vec<Honour>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Station {
    /// A station of no one yet, in `district`, for a form, a ledger row or a proposal
    /// to fill in (their fields are checked onto it by `StationFields::parse`).
    pub fn blank(district: &'static District, now: i64) -> Station {
        Station {
            id: 0,
            code: String::new(),
            ledger_id: None,
            name: String::new(),
            district,
            street_code: None,
            address: String::new(),
            position: None,
            precision: Precision::Approximate,
            host: HostType::Other,
            hours: None,
            works_makeup_days: HostType::Other.follows_makeup_by_default(),
            contact_name: None,
            phone: None,
            area_m2: None,
            facilities: FacilitySet::default(),
            unavailable: FacilitySet::default(),
            audiences: Vec::new(),
            services: String::new(),
            status: Status::Open,
            revocation: None,
            description: String::new(),
            story: String::new(),
            verified_on: None,
            verified_by: Verifier::default(),
            synthetic: false,
            honours: Vec::new(),
            created_at: now,
            updated_at: now,
        }
    }

    /// The district and the address in one line ("西城区 · 白纸坊街道…"), the district
    /// said once: an address that already names it ("北京市西城区白纸坊…") stands alone.
    pub fn place(&self, zh: bool) -> String {
        if self.address.contains(self.district.name_zh) {
            self.address.clone()
        } else {
            format!("{} · {}", self.district.name(zh), self.address)
        }
    }

    /// Meets the "4 of 9" basic-service standard.
    pub fn meets_basic(&self) -> bool {
        self.working().meets_basic()
    }

    /// The facilities a worker can use now: those listed, less those not working.
    pub fn working(&self) -> FacilitySet {
        self.facilities.without(self.unavailable)
    }

    /// Opens on public holidays, as its hours text says (unknown hours: no).
    pub fn opens_on_holidays(&self) -> bool {
        self.hours.as_ref().is_some_and(Hours::opens_on_holidays)
    }

    /// Listed publicly (revoked stations are not).
    pub fn is_public(&self) -> bool {
        self.status != Status::Revoked
    }

    /// A public station nobody has checked for [`STALE_DAYS`] (or ever): flagged to staff.
    pub fn is_stale(&self, today: NaiveDate) -> bool {
        self.is_public() && self.verified_on.is_none_or(|d| (today - d).num_days() > STALE_DAYS)
    }
}

impl Station {
    /// The story's paragraphs (split at blank lines).
    pub fn story_paragraphs(&self) -> Vec<&str> {
        self.story.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).collect()
    }

    /// Every field staff can edit, as (key, text) pairs: what the audit log compares.
    pub fn ledger_fields(&self) -> Vec<(&'static str, String)> {
        let date = |d: Option<NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default();
        let (reason, until) = match &self.status {
            Status::TemporarilyClosed { reason, until } => (reason.clone(), date(*until)),
            _ => (String::new(), String::new()),
        };
        vec![
            ("ledger_id", self.ledger_id.clone().unwrap_or_default()),
            ("name", self.name.clone()),
            ("district", self.district.code.to_string()),
            ("street", self.street_code.clone().unwrap_or_default()),
            ("address", self.address.clone()),
            ("lat", self.position.map(|p| format!("{:.6}", p.lat)).unwrap_or_default()),
            ("lon", self.position.map(|p| format!("{:.6}", p.lon)).unwrap_or_default()),
            ("precision", self.precision.key().into()),
            ("host", self.host.key().into()),
            ("hours", self.hours.as_ref().map(|h| h.raw().to_string()).unwrap_or_default()),
            ("works_makeup_days", self.works_makeup_days.to_string()),
            ("contact_name", self.contact_name.clone().unwrap_or_default()),
            ("phone", self.phone.as_ref().map(|p| p.as_str().to_string()).unwrap_or_default()),
            ("area_m2", self.area_m2.map(|a| format!("{a}")).unwrap_or_default()),
            ("facilities", self.facilities.iter().map(|f| f.key()).collect::<Vec<_>>().join(",")),
            ("unavailable", self.unavailable.iter().map(|f| f.key()).collect::<Vec<_>>().join(",")),
            ("audiences", self.audiences.iter().map(|a| a.key()).collect::<Vec<_>>().join(",")),
            ("services", self.services.clone()),
            ("status", self.status.key().into()),
            ("closed_reason", reason),
            ("closed_until", until),
            ("revoked_reason", self.revocation.as_ref().map(|r| r.reason.clone()).unwrap_or_default()),
            (
                "revoked_at",
                self.revocation
                    .as_ref()
                    .map(|r| super::hours::beijing_local(r.at).format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default(),
            ),
            ("description", self.description.clone()),
            ("story", self.story.clone()),
            ("verified_on", date(self.verified_on)),
            ("verified_by", self.verified_by.key().into()),
            ("verified_name", self.verified_by.name().unwrap_or_default().to_string()),
            (
                "honours",
                self.honours
                    .iter()
                    .map(|h| format!("{} {} {}", h.year, h.level.key(), h.title))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        ]
    }

    /// The fields that differ between `self` (before) and `after`: two JSON objects.
    pub fn diff(&self, after: &Station) -> Option<(serde_json::Value, serde_json::Value)> {
        let mut before_map = serde_json::Map::new();
        let mut after_map = serde_json::Map::new();
        for ((key, b), (_, a)) in self.ledger_fields().into_iter().zip(after.ledger_fields()) {
            if a != b {
                before_map.insert(key.into(), b.into());
                after_map.insert(key.into(), a.into());
            }
        }
        (!after_map.is_empty()).then(|| (before_map.into(), after_map.into()))
    }
}
