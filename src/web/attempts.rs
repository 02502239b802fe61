//! Failed logins for usernames that do not exist, counted like real accounts' (which
//! the database counts): after the same number of failures, the same "locked until"
//! answer. Otherwise a name that answers 429 on its fifth failure is a real one.
//! Kept in this instance's memory only.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::domain::staff::{LOCK_AFTER_FAILURES, LOCK_SECONDS};

/// Names remembered at most; beyond that, stale ones are dropped first.
const MAX_NAMES: usize = 10_000;

/// What an attempt on an unknown name may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Counted; `locks`: this was the last try before the lock that ends at `until`.
    Counted {
        locks: bool,
        until: i64,
    },
    Locked {
        until: i64,
    },
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: i64,
    locked_until: i64,
    last: i64,
}

/// Failure counts per unknown username.
#[derive(Debug, Default)]
pub struct UnknownNames(Mutex<HashMap<String, Entry>>);

impl UnknownNames {
    /// Counts one attempt at `now`, as `Store::login_attempt` does for a real account.
    pub fn attempt(&self, username: &str, now: i64) -> Attempt {
        let Ok(mut names) = self.0.lock() else {
            return Attempt::Counted { locks: false, until: now + LOCK_SECONDS };
        };
        if names.len() >= MAX_NAMES && !names.contains_key(username) {
            names.retain(|_, e| e.locked_until > now || e.last > now - LOCK_SECONDS);
            if names.len() >= MAX_NAMES {
                names.clear();
            }
        }
        let e = names.entry(username.to_string()).or_insert(Entry { failures: 0, locked_until: 0, last: now });
        if e.locked_until > now {
            return Attempt::Locked { until: e.locked_until };
        }
        e.failures = if e.failures >= LOCK_AFTER_FAILURES { 1 } else { e.failures + 1 };
        e.last = now;
        let locks = e.failures >= LOCK_AFTER_FAILURES;
        if locks {
            e.locked_until = now + LOCK_SECONDS;
        }
        Attempt::Counted { locks, until: now + LOCK_SECONDS }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_like_an_account() {
        let names = UnknownNames::default();
        let now = 1_000_000;
        for _ in 1..LOCK_AFTER_FAILURES {
            assert_eq!(names.attempt("ghost", now), Attempt::Counted { locks: false, until: now + LOCK_SECONDS });
        }
        assert_eq!(names.attempt("ghost", now), Attempt::Counted { locks: true, until: now + LOCK_SECONDS });
        assert_eq!(names.attempt("ghost", now + 60), Attempt::Locked { until: now + LOCK_SECONDS });
        // After the lock, counting starts again.
        let later = now + LOCK_SECONDS;
        assert_eq!(names.attempt("ghost", later), Attempt::Counted { locks: false, until: later + LOCK_SECONDS });
        assert!(matches!(names.attempt("other", now), Attempt::Counted { locks: false, .. }));
    }
}
