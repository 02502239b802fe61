//! Values worked out from the data as it stood at one moment (a snapshot version and
//! minute, a month), kept and shared: the first request for a key computes it while
//! the others wait for that one, a few keys are computed at once at most, and the
//! oldest key goes first when too many are kept. Used by `/stats`, the bulletins, the
//! whole exports and the saved districts, each as `web::Data` of its own; and whether
//! a client's copy is still the one to use (`not_modified`).

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OnceCell, Semaphore};

use super::error::AppError;

type Slot<V> = Arc<OnceCell<Arc<V>>>;

/// Values by key, computed once each.
pub struct Kept<K, V> {
    slots: Mutex<VecDeque<(K, Slot<V>)>>,
    keep: usize,
    turns: Semaphore,
}

impl<K: PartialEq, V> Kept<K, V> {
    /// Keeps the newest `keep` keys; computes at most `at_once` at a time.
    pub fn new(keep: usize, at_once: usize) -> Kept<K, V> {
        Kept { slots: Mutex::new(VecDeque::new()), keep: keep.max(1), turns: Semaphore::new(at_once.max(1)) }
    }

    /// The slot of `key`: the same one for every request while it is kept.
    fn slot(&self, key: K) -> Slot<V> {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, slot)) = slots.iter().find(|(k, _)| *k == key) {
            return slot.clone();
        }
        let slot = Slot::default();
        slots.push_back((key, slot.clone()));
        while slots.len() > self.keep {
            slots.pop_front();
        }
        slot
    }

    /// The value of `key`, kept or computed now by `compute` (a failure is not kept:
    /// the next request tries again).
    pub async fn get<F, Fut>(&self, key: K, compute: F) -> Result<Arc<V>, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, AppError>>,
    {
        let slot = self.slot(key);
        let value = slot
            .get_or_try_init(|| async {
                let _turn = self.turns.acquire().await.map_err(|e| AppError::Internal(e.to_string()))?;
                compute().await.map(Arc::new)
            })
            .await?;
        Ok(value.clone())
    }

    /// How many keys are kept now.
    pub fn len(&self) -> usize {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Whether the client already has the answer tagged `tag` (`If-None-Match` lists it,
/// or `*`): it gets a 304.
pub fn not_modified(req: &actix_web::HttpRequest, tag: &str) -> bool {
    req.headers()
        .get(actix_web::http::header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"))
}

/// CPU work on the blocking pool, off the request threads.
pub async fn blocking<T, F>(work: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, AppError> + Send + 'static,
{
    tokio::task::spawn_blocking(work).await.map_err(|e| AppError::Internal(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_key_is_computed_once_and_the_oldest_goes_first() {
        let kept: Kept<u32, String> = Kept::new(2, 1);
        let runs = AtomicUsize::new(0);
        let get = |k: u32| {
            let runs = &runs;
            let kept = &kept;
            async move {
                kept.get(k, || async move {
                    runs.fetch_add(1, Ordering::SeqCst);
                    Ok(format!("v{k}"))
                })
                .await
            }
        };
        let (a, b) = tokio::join!(get(1), get(1));
        assert_eq!((a.unwrap().as_str(), b.unwrap().as_str()), ("v1", "v1"));
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        get(2).await.unwrap();
        get(3).await.unwrap();
        assert_eq!(kept.len(), 2);
        get(1).await.unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 4, "key 1 was dropped as the oldest and computed again");
    }

    #[tokio::test]
    async fn a_failure_is_not_kept() {
        let kept: Kept<u32, u32> = Kept::new(4, 1);
        assert!(kept.get(7, || async { Err(AppError::NotFound) }).await.is_err());
        assert_eq!(*kept.get(7, || async { Ok(42) }).await.unwrap(), 42);
    }
}
