//! Work that falls due with time rather than with a request: stations closed until
//! a day reopen on that day, warning cards past their deadline turn red. Every
//! instance runs it; each step is one conditional update, so several instances do
//! it once.

use std::time::Duration;

use crate::clock::Clock;
use crate::store::Store;

/// Runs the chores every `interval` until the runtime stops; errors are logged and
/// retried on the next tick.
pub fn spawn(
    store: Store,
    clock: Clock,
    interval: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.changed() => return,
            }
            match store.reopen_due(clock.today(), clock.now()).await {
                Ok(reopened) if !reopened.is_empty() => tracing::info!(?reopened, "stations reopened on their date"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "stations not reopened"),
            }
            match store.escalate_cards(clock.today(), clock.now()).await {
                Ok(turned) if !turned.is_empty() => tracing::info!(?turned, "warning cards turned red"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "warning cards not escalated"),
            }
        }
    })
}
