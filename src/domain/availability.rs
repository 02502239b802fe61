//! Whether a station is open at a moment: the one place that decides it, from its
//! status and the open periods of its hours ([`Timeline::state`]). The snapshot, the
//! pages and the API ask this; none decides on its own.

use super::hours::{OpenState, Timeline};
use super::station::Status;

/// Seconds before closing from which a station "closes soon".
pub const CLOSING_SOON: i64 = 30 * 60;

/// What a station is doing at a moment, as a page or the API tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    Open {
        closes: Option<i64>,
    },
    Closed {
        opens: Option<i64>,
    },
    /// Temporarily closed or revoked: the status says why.
    OutOfService,
    /// Cannot be told.
    Unknown(Unknown),
}

/// Why a station's state cannot be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unknown {
    /// The ledger has no hours for this station yet.
    NoHours,
    /// Its hours depend on public holidays and the calendar for now is not loaded.
    Calendar,
}

impl Availability {
    /// A station with `status` and opening hours `timeline` (`None`: not known) at
    /// Unix time `ts`.
    pub fn of(status: &Status, timeline: Option<&Timeline>, ts: i64) -> Availability {
        if *status != Status::Open {
            return Availability::OutOfService;
        }
        match timeline {
            None => Availability::Unknown(Unknown::NoHours),
            Some(t) => match t.state(ts) {
                OpenState::Open { closes } => Availability::Open { closes },
                OpenState::Closed { opens } => Availability::Closed { opens },
                OpenState::Unknown => Availability::Unknown(Unknown::Calendar),
            },
        }
    }

    /// Open at `now` and closing within [`CLOSING_SOON`].
    pub fn closing_soon(self, now: i64) -> bool {
        matches!(self, Availability::Open { closes: Some(t) } if t - now <= CLOSING_SOON)
    }

    pub fn is_open(self) -> bool {
        matches!(self, Availability::Open { .. })
    }

    pub fn key(self) -> &'static str {
        match self {
            Availability::Open { .. } => "open",
            Availability::Closed { .. } => "closed",
            Availability::OutOfService => "out_of_service",
            Availability::Unknown(_) => "unknown",
        }
    }

    /// Open (`Some(true)`), closed (`Some(false)`) or not known (`None`).
    pub fn open_now(self) -> Option<bool> {
        match self {
            Availability::Open { .. } => Some(true),
            Availability::Closed { .. } | Availability::OutOfService => Some(false),
            Availability::Unknown(_) => None,
        }
    }
}
