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

/// One station of the ledger.
#[derive(Debug, Clone)]
pub struct Station {
    pub id: i64,
    pub name: String,
    pub district: &'static District,
    pub street_code: Option<String>,
    pub address: String,
    pub position: LatLon,
    pub precision: Precision,
    pub host: HostType,
    /// `None` when the stored text does not parse: the page says hours are unknown.
    pub hours: Option<Hours>,
    pub holiday_open: bool,
    pub contact_name: Option<String>,
    pub phone: Option<Phone>,
    pub area_m2: Option<f64>,
    pub facilities: FacilitySet,
    pub audiences: Vec<Audience>,
    pub services: String,
    pub status: Status,
    pub description: String,
    pub verified_on: Option<NaiveDate>,
    pub synthetic: bool,
    pub honours: Vec<Honour>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Station {
    /// Meets the "4 of 9" basic-service standard.
    pub fn meets_basic(&self) -> bool {
        self.facilities.meets_basic()
    }

    /// Listed publicly (revoked stations are not).
    pub fn is_public(&self) -> bool {
        self.status != Status::Revoked
    }
}
