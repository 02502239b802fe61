//! Photo conversion, bounded: a few at a time on the blocking pool, within a memory
//! budget, and a bounded number of uploads held at once.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::StatusCode;
use tokio::sync::Semaphore;

use super::error::AppError;
use crate::domain::photo::{PhotoError, Processed, process};

/// How long an upload may wait for a free converter before "busy".
const QUEUE_WAIT: Duration = Duration::from_secs(20);

/// The page for a refused photo.
pub fn refused(e: PhotoError) -> AppError {
    let (status, key) = match e {
        PhotoError::Empty => (StatusCode::BAD_REQUEST, "photo_empty"),
        PhotoError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "photo_too_large"),
        PhotoError::NotAnImage => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "photo_not_an_image"),
        PhotoError::TooWide => (StatusCode::BAD_REQUEST, "photo_too_wide"),
        PhotoError::TooManyPixels => (StatusCode::BAD_REQUEST, "photo_too_many_pixels"),
        PhotoError::Broken => (StatusCode::BAD_REQUEST, "photo_broken"),
    };
    AppError::Page(status, key)
}

/// Converts photos, at most one per core at a time; the rest wait their turn for a
/// while, then get a "busy" page. Decoding a phone photo takes tens of megabytes
/// for a moment: this is what bounds the memory of a burst of uploads.
pub struct Converter {
    permits: Arc<Semaphore>,
    /// Megabytes of the conversions in flight (see [`MEMORY_BUDGET_MB`]).
    budget: Arc<Semaphore>,
    /// Megabytes held by conversions running now (the semaphore also counts what a
    /// waiting conversion has been handed so far).
    running_mb: Arc<std::sync::atomic::AtomicU32>,
    /// Uploads being received or converted: each holds up to 8 MB of body.
    admitted: Arc<Semaphore>,
}

/// Megabytes that all photo conversions in flight may take together, whatever the
/// format and the number of cores: a conversion waits until its share
/// ([`crate::domain::photo::memory_needed`]) is free. At least one conversion of the
/// largest picture accepted fits.
pub const MEMORY_BUDGET_MB: u32 = (crate::domain::photo::MAX_CONVERSION / (1024 * 1024)) as u32;

impl Converter {
    /// Megabytes of the conversions in flight now.
    pub fn memory_in_use_mb(&self) -> u32 {
        self.running_mb.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Uploads received or converted at once; more get "busy" before their body is read
/// (so a burst holds at most this many bodies in memory).
pub const UPLOADS_AT_ONCE: usize = 24;

/// A place among the uploads in progress, given back when dropped.
pub struct Admitted(#[allow(dead_code)] tokio::sync::OwnedSemaphorePermit);

impl Converter {
    /// `threads` conversions at once (0: one per core).
    pub fn new(threads: usize) -> Converter {
        let threads = match threads {
            0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
            n => n,
        };
        Converter {
            permits: Arc::new(Semaphore::new(threads)),
            budget: Arc::new(Semaphore::new(MEMORY_BUDGET_MB as usize)),
            running_mb: Arc::default(),
            admitted: Arc::new(Semaphore::new(UPLOADS_AT_ONCE)),
        }
    }

    /// Uploads being received or converted now.
    pub fn in_use(&self) -> usize {
        UPLOADS_AT_ONCE.saturating_sub(self.admitted.available_permits())
    }

    /// A place for one more upload, or "busy" at once.
    pub fn admit(&self) -> Result<Admitted, AppError> {
        self.admitted
            .clone()
            .try_acquire_owned()
            .map(Admitted)
            .map_err(|_| AppError::Page(StatusCode::TOO_MANY_REQUESTS, "photo_busy"))
    }

    /// Checks and converts `bytes` off the request threads.
    pub async fn convert(&self, bytes: Vec<u8>) -> Result<Processed, AppError> {
        let busy = || AppError::Page(StatusCode::TOO_MANY_REQUESTS, "photo_busy");
        let needed = crate::domain::photo::memory_needed(&bytes).map_err(refused)?;
        let megabytes = u32::try_from(needed.div_ceil(1024 * 1024)).unwrap_or(u32::MAX).min(MEMORY_BUDGET_MB);
        let waited = tokio::time::timeout(QUEUE_WAIT, async {
            let memory = self.budget.clone().acquire_many_owned(megabytes).await;
            let thread = self.permits.clone().acquire_owned().await;
            (memory, thread)
        })
        .await
        .map_err(|_| busy())?;
        let (Ok(memory), Ok(thread)) = waited else { return Err(busy()) };
        let running = self.running_mb.clone();
        running.fetch_add(megabytes, std::sync::atomic::Ordering::Relaxed);
        let done = tokio::task::spawn_blocking(move || {
            let out = process(&bytes);
            running.fetch_sub(megabytes, std::sync::atomic::Ordering::Relaxed);
            drop((thread, memory));
            out
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
        done.map_err(refused)
    }
}

impl Default for Converter {
    fn default() -> Self {
        Converter::new(0)
    }
}
