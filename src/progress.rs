//! Progress counters and cancellation shared between long work (a transfer, an audit, a job)
//! and whoever watches it. Below `s3` and `transfer`, so both can report progress.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub use tokio_util::sync::CancellationToken;

/// Bytes done out of bytes total, updated by the transfer and read by a progress bar or the
/// GUI at any time. Cheap to clone (shared).
#[derive(Clone, Debug, Default)]
pub struct Progress {
    inner: Arc<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    total: AtomicU64,
    done: AtomicU64,
}

impl Progress {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the total once it is known.
    pub fn set_total(&self, total: u64) {
        self.inner.total.store(total, Ordering::Relaxed);
    }

    /// Adds finished bytes.
    pub fn add(&self, bytes: u64) {
        self.inner.done.fetch_add(bytes, Ordering::Relaxed);
    }

    /// `(done, total)`.
    pub fn snapshot(&self) -> (u64, u64) {
        (
            self.inner.done.load(Ordering::Relaxed),
            self.inner.total.load(Ordering::Relaxed),
        )
    }
}

/// Runs `work` until it finishes or `cancel` fires, whichever is first.
pub async fn or_cancelled<T>(
    cancel: &CancellationToken,
    work: impl std::future::Future<Output = crate::Result<T>>,
) -> crate::Result<T> {
    tokio::select! {
        biased;
        () = cancel.cancelled() => Err(crate::Error::Cancelled),
        result = work => result,
    }
}
