//! The application's clock: the system's, or a fixed moment for tests.

use chrono::NaiveDate;

use crate::domain::hours::beijing_local;

/// Where "now" comes from.
#[derive(Debug, Clone, Copy, Default)]
pub enum Clock {
    #[default]
    System,
    /// Always this Unix time.
    Fixed(i64),
}

impl Clock {
    /// Unix seconds.
    pub fn now(&self) -> i64 {
        match self {
            Clock::System => chrono::Utc::now().timestamp(),
            Clock::Fixed(ts) => *ts,
        }
    }

    /// Today's date in Beijing.
    pub fn today(&self) -> NaiveDate {
        beijing_local(self.now()).date()
    }
}
