//! One bounded pool for every file of a folder transfer, bounded twice: by requests in flight (a
//! window, [`InFlight`], that grows while the link rewards more up to what [`REQUESTS_BUDGET`]
//! allows, or fixed by `--concurrency`)
//! and by memory (a budget of [`MEMORY_BUDGET`] bytes). A small file takes one request and the
//! few bytes it holds; a large one takes several requests and moves that many parts (or ranges)
//! at once, and the memory they hold (a small client-side upload is encrypted whole, a
//! client-side multipart upload keeps encrypted parts queued). Files wait in order (both
//! semaphores are fair, so a large file is not starved by small ones), and whatever the tree,
//! requests stay within the window and buffers within the budget.

use std::future::Future;
use std::sync::Arc;

use futures::StreamExt as _;
use tokio::sync::Semaphore;

use crate::s3::in_flight::{Concurrency, InFlight, Throttles};

/// The memory a folder transfer may hold in buffers, across all its files.
pub const MEMORY_BUDGET: u64 = 128 * 1024 * 1024;

/// Memory a request in flight holds beyond its own buffers (its connection's TLS and HTTP
/// buffers, the SDK's): about 160 KiB, from the peak RSS of 2,000 small downloads through a
/// 40 ms link at 128 and at 256 in flight (45 and 66 MiB; `scripts/bench`, distance).
pub const REQUEST_MEMORY: u64 = 160 * 1024;

/// What a folder transfer's requests may hold together, which caps its window at 192 requests.
/// 2,000 small downloads through the delay proxy (best of 3): at 40 ms 1.10 s and 58 MiB peak
/// (256 in flight: 1.05 s, 66 MiB; 128: 1.03-1.21 s, 45-49 MiB), at 100 ms 2.16 s and 59 MiB
/// (128: 2.61 s; 256: 2.07 s, 74 MiB).
pub const REQUESTS_BUDGET: u64 = 30 * 1024 * 1024;

/// The budget's unit.
const UNIT: u64 = 64 * 1024;

/// Parts (or ranges) in flight for one large file, when the window has room.
pub const PARTS_PER_FILE: usize = 8;

/// What a file takes from the pool while it moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cost {
    /// Parts or ranges in flight for this file (1 for a single request): its requests.
    pub parts: usize,
    /// Bytes it holds at most.
    pub memory: u64,
}

/// A pool: a window of requests, a budget of memory.
#[derive(Clone, Debug)]
pub struct Pool {
    window: Arc<InFlight>,
    memory: Arc<Semaphore>,
}

impl Pool {
    pub fn new(concurrency: Concurrency, throttles: Throttles) -> Self {
        Self {
            window: InFlight::capped(
                concurrency,
                throttles,
                usize::try_from(REQUESTS_BUDGET / REQUEST_MEMORY).unwrap_or(usize::MAX),
            ),
            memory: Arc::new(Semaphore::new(units(MEMORY_BUDGET))),
        }
    }

    /// What a file costs: `large` files move [`PARTS_PER_FILE`] parts at once (fewer in a
    /// small fixed window), each holding [`REQUEST_MEMORY`] beside what `held` says the file
    /// keeps in memory with that many parts moving.
    pub fn cost(&self, large: bool, held: impl FnOnce(usize) -> u64) -> Cost {
        let parts = if large {
            PARTS_PER_FILE.min(self.window.max())
        } else {
            1
        };
        Cost {
            parts,
            memory: held(parts).saturating_add(parts as u64 * REQUEST_MEMORY),
        }
    }

    /// Runs `work` on every job, each holding its cost while it runs; results come back in the
    /// jobs' order.
    pub async fn run<J, R, F, Fut>(&self, jobs: Vec<(Cost, J)>, work: F) -> Vec<R>
    where
        F: Fn(J, Cost) -> Fut,
        Fut: Future<Output = R>,
    {
        let count = jobs.len();
        let work = &work;
        let mut done: Vec<(usize, R)> = futures::stream::iter(jobs.into_iter().enumerate())
            .map(|(index, (cost, job))| {
                let memory = Arc::clone(&self.memory);
                let window = &self.window;
                async move {
                    // Never more than the whole budget, so every file can run. The semaphore
                    // is never closed, so acquiring only waits.
                    let want = units(cost.memory).min(units(MEMORY_BUDGET)).max(1);
                    let held = memory.acquire_many_owned(want as u32).await.ok();
                    let ticket = window.acquire(cost.parts).await;
                    let result = work(job, cost).await;
                    drop((ticket, held));
                    (index, result)
                }
            })
            .buffer_unordered(self.window.max())
            .collect()
            .await;
        done.sort_by_key(|(index, _)| *index);
        debug_assert_eq!(done.len(), count);
        done.into_iter().map(|(_, result)| result).collect()
    }
}

/// Budget units for `bytes`, rounded up.
fn units(bytes: u64) -> usize {
    usize::try_from(bytes.div_ceil(UNIT)).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn costs_count_requests_and_memory() {
        let pool = Pool::new(Concurrency::Fixed(16), Throttles::default());
        let nothing = |_| 0;
        let small = pool.cost(false, nothing);
        assert_eq!((small.parts, small.memory), (1, REQUEST_MEMORY));
        let large = pool.cost(true, |parts| parts as u64 * 1024);
        assert_eq!(large.parts, 8);
        assert_eq!(large.memory, 8 * 1024 + 8 * REQUEST_MEMORY);
        let tiny = Pool::new(Concurrency::Fixed(2), Throttles::default());
        assert_eq!(tiny.cost(true, nothing).parts, 2);
        assert_eq!(
            Pool::new(Concurrency::Fixed(0), Throttles::default())
                .cost(true, nothing)
                .parts,
            1
        );
        let adaptive = Pool::new(Concurrency::Adaptive, Throttles::default());
        assert_eq!(adaptive.cost(true, nothing).parts, PARTS_PER_FILE);
        assert_eq!(pool.cost(false, |_| u64::MAX).memory, u64::MAX);
    }

    #[tokio::test]
    async fn never_more_requests_than_the_window_nor_memory_than_the_budget() {
        let pool = Pool::new(Concurrency::Fixed(10), Throttles::default());
        let (requests, peak_requests) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let (memory, peak_memory) = (AtomicU64::new(0), AtomicU64::new(0));
        // Every seventh file is large and holds a third of the budget.
        let jobs: Vec<(Cost, usize)> = (0..60)
            .map(|i| {
                let cost = pool.cost(
                    i % 7 == 0,
                    |_| if i % 7 == 0 { MEMORY_BUDGET / 3 } else { 0 },
                );
                (cost, i)
            })
            .collect();
        let results = pool
            .run(jobs, |i, cost| {
                let (requests, peak_requests) = (&requests, &peak_requests);
                let (memory, peak_memory) = (&memory, &peak_memory);
                async move {
                    let now = requests.fetch_add(cost.parts, Ordering::SeqCst) + cost.parts;
                    peak_requests.fetch_max(now, Ordering::SeqCst);
                    let held = memory.fetch_add(cost.memory, Ordering::SeqCst) + cost.memory;
                    peak_memory.fetch_max(held, Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(1 + (i % 3) as u64)).await;
                    requests.fetch_sub(cost.parts, Ordering::SeqCst);
                    memory.fetch_sub(cost.memory, Ordering::SeqCst);
                    i * 2
                }
            })
            .await;
        assert_eq!(results, (0..60).map(|i| i * 2).collect::<Vec<_>>());
        let peak = peak_requests.load(Ordering::SeqCst);
        assert!(peak <= 10, "peak {peak} requests");
        assert!(peak > 1, "files ran one at a time");
        let peak = peak_memory.load(Ordering::SeqCst);
        assert!(peak <= MEMORY_BUDGET, "peak {peak} bytes");
    }

    #[tokio::test]
    async fn a_file_larger_than_the_budget_still_runs() {
        let pool = Pool::new(Concurrency::Adaptive, Throttles::default());
        let jobs = vec![
            (pool.cost(true, |_| 10 * MEMORY_BUDGET), 1),
            (pool.cost(false, |_| 0), 2),
        ];
        assert_eq!(pool.run(jobs, |i, _| async move { i }).await, [1, 2]);
    }
}
