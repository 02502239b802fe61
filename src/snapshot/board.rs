//! The public side of worker feedback, kept in memory like the ledger: published
//! feedback with staff replies, and recent "closed when listed open" reports.

use std::collections::HashMap;

use crate::store::{Feedback, Store, StoreError};

/// Published feedback kept per station (the newest).
pub const PUBLISHED_PER_STATION: usize = 20;

/// How far back "reported closed" reports count, in seconds.
pub const CLOSED_WINDOW: i64 = 24 * 3600;

/// What one station's page shows of its feedback.
#[derive(Debug, Default)]
pub struct StationNotes {
    /// Newest first, at most [`PUBLISHED_PER_STATION`].
    pub published: Vec<Feedback>,
    pub published_total: usize,
    /// Times of "closed when listed open" reports, oldest first (pending ones too: count only).
    pub closed_reports: Vec<i64>,
}

impl StationNotes {
    /// Reports of "closed" within the 24 hours before `now`: how many, and the latest time.
    pub fn closed_since(&self, now: i64) -> Option<(usize, i64)> {
        let recent: Vec<i64> =
            self.closed_reports.iter().copied().filter(|t| *t > now - CLOSED_WINDOW && *t <= now).collect();
        recent.last().map(|last| (recent.len(), *last))
    }
}

/// Feedback of every station at one feedback version.
#[derive(Debug, Default)]
pub struct Board {
    pub version: i64,
    pub loaded_at: i64,
    by_station: HashMap<i64, StationNotes>,
}

impl Board {
    pub fn notes(&self, station_id: i64) -> Option<&StationNotes> {
        self.by_station.get(&station_id)
    }

    pub fn build(version: i64, loaded_at: i64, published: Vec<Feedback>, closed: Vec<(i64, i64)>) -> Board {
        let mut by_station: HashMap<i64, StationNotes> = HashMap::new();
        for f in published {
            let notes = by_station.entry(f.station_id).or_default();
            notes.published_total += 1;
            if notes.published.len() < PUBLISHED_PER_STATION {
                // Only what the public may see travels on: never the contact phone.
                notes.published.push(Feedback { contact_phone: None, ..f });
            }
        }
        for (station, at) in closed {
            by_station.entry(station).or_default().closed_reports.push(at);
        }
        Board { version, loaded_at, by_station }
    }
}

/// Reads the public feedback; reports older than the window around `now` are left out.
pub async fn load_board(store: &Store, now: i64) -> Result<Board, StoreError> {
    let version = store.feedback_version().await?;
    let (published, closed) = store.public_feedback(now - CLOSED_WINDOW).await?;
    Ok(Board::build(version, now, published, closed))
}
