//! Password hashing on a few threads of its own.
//!
//! argon2 is slow and takes 19 MiB per hash on purpose. Run on the general blocking
//! pool, a burst of logins hashed on hundreds of threads at once: gigabytes of
//! memory that the allocator kept afterwards, and a site that stopped answering.
//! Here at most one hash runs per thread (one thread per core), a short queue
//! waits, and whatever does not fit in the queue is refused at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, LazyLock, Mutex};

use tokio::sync::oneshot;

use crate::domain::staff::{hash_password, verify_password};

/// Checked when the username does not exist, so that a wrong name costs what a wrong
/// password costs.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_password("not a real password").unwrap_or_default());

/// Jobs that may wait per hashing thread before new ones are refused.
const QUEUE_PER_THREAD: usize = 4;

enum Job {
    Verify { password: String, hash: Option<String>, reply: oneshot::Sender<bool> },
    Hash { password: String, reply: oneshot::Sender<Result<String, String>> },
}

/// Too many hashes are waiting: try again shortly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("password hashing is busy")]
pub struct Busy;

/// The hashing threads and their queue.
pub struct Hasher {
    queue: SyncSender<Job>,
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

impl Hasher {
    /// `threads` hashing threads (0: one per core).
    pub fn new(threads: usize) -> Hasher {
        let threads = match threads {
            0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
            n => n,
        };
        let (queue, jobs) = sync_channel(threads * QUEUE_PER_THREAD);
        let jobs = Arc::new(Mutex::new(jobs));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        for i in 0..threads {
            let (jobs, running, peak) = (jobs.clone(), running.clone(), peak.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("yizhan-hash-{i}"))
                .spawn(move || work(&jobs, &running, &peak));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        Hasher { queue, running, peak }
    }

    fn send(&self, job: Job) -> Result<(), Busy> {
        match self.queue.try_send(job) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => Err(Busy),
        }
    }

    /// Whether `password` matches the stored `hash`; `None` checks against a dummy
    /// hash (an unknown username) and is always false.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, Busy> {
        let (reply, answer) = oneshot::channel();
        self.send(Job::Verify { password, hash, reply })?;
        answer.await.map_err(|_| Busy)
    }

    /// A new argon2id hash of `password`.
    pub async fn hash(&self, password: String) -> Result<Result<String, String>, Busy> {
        let (reply, answer) = oneshot::channel();
        self.send(Job::Hash { password, reply })?;
        answer.await.map_err(|_| Busy)
    }

    /// Most hashes that ran at the same time since the start.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    /// Hashes running now.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::Relaxed)
    }
}

fn work(jobs: &Mutex<Receiver<Job>>, running: &AtomicUsize, peak: &AtomicUsize) {
    loop {
        // The lock is held only while waiting for the next job.
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let now = running.fetch_add(1, Ordering::Relaxed) + 1;
        peak.fetch_max(now, Ordering::Relaxed);
        // The count goes down before the answer goes out: whoever reads it after an
        // answer sees this hash finished.
        let done = || running.fetch_sub(1, Ordering::Relaxed);
        match job {
            // Whoever asked has gone (the client hung up): nothing to answer.
            Job::Verify { reply, .. } if reply.is_closed() => {
                done();
            }
            Job::Hash { reply, .. } if reply.is_closed() => {
                done();
            }
            Job::Verify { password, hash, reply } => {
                let ok = match hash {
                    Some(hash) => verify_password(&password, &hash),
                    None => {
                        // The same work as a real check, and never a match.
                        let _ = verify_password(&password, &DUMMY_HASH);
                        false
                    }
                };
                done();
                let _ = reply.send(ok);
            }
            Job::Hash { password, reply } => {
                let hashed = hash_password(&password);
                done();
                let _ = reply.send(hashed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn at_most_one_hash_per_thread_and_the_rest_refused() {
        let hasher = Arc::new(Hasher::new(2));
        let stored = hasher.hash("correct horse battery".into()).await.unwrap().unwrap();
        assert!(hasher.verify("correct horse battery".into(), Some(stored.clone())).await.unwrap());
        assert!(!hasher.verify("wrong".into(), Some(stored.clone())).await.unwrap());
        assert!(!hasher.verify("correct horse battery".into(), None).await.unwrap());
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let (hasher, stored) = (hasher.clone(), stored.clone());
                tokio::spawn(async move { hasher.verify("guess".into(), Some(stored)).await })
            })
            .collect();
        let mut refused = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(ok) => assert!(!ok),
                Err(Busy) => refused += 1,
            }
        }
        assert!(refused > 0, "40 at once do not all fit in a queue of 8");
        assert!(hasher.peak() <= 2, "peak {}", hasher.peak());
        assert_eq!(hasher.running(), 0);
    }
}
