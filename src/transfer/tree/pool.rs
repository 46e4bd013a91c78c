//! One bounded pool for every file of a folder transfer. Its slots stand for requests in flight
//! and for memory: a small file takes one slot; a large one takes several and moves that many
//! parts (or ranges) at once; a file whose bytes are held in memory (a small client-side
//! upload is encrypted whole, a client-side multipart upload keeps encrypted parts queued)
//! takes a slot per [`SLOT_MEMORY`] it holds. Files wait for their slots in order (the
//! semaphore is fair, so a large file is not starved by small ones), and whatever the tree, at
//! most `slots` requests are in flight and about `slots × SLOT_MEMORY` bytes are buffered.

use std::future::Future;
use std::sync::Arc;

use futures::StreamExt as _;
use tokio::sync::Semaphore;

/// Memory one slot stands for.
pub const SLOT_MEMORY: u64 = 4 * 1024 * 1024;

/// Parts (or ranges) in flight for one large file, when the pool has room.
pub const PARTS_PER_FILE: u32 = 8;

/// The slots a file needs, and how many parts it may move at once with them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cost {
    /// Slots held while the file moves.
    pub slots: u32,
    /// Parts or ranges in flight for this file (1 for a single request).
    pub parts: usize,
}

/// A pool of `size` slots.
#[derive(Clone, Debug)]
pub struct Pool {
    slots: Arc<Semaphore>,
    size: u32,
}

impl Pool {
    pub fn new(size: usize) -> Self {
        let size = u32::try_from(size.clamp(1, Semaphore::MAX_PERMITS)).unwrap_or(u32::MAX);
        Self {
            slots: Arc::new(Semaphore::new(size as usize)),
            size,
        }
    }

    /// What a file costs: `large` files move [`PARTS_PER_FILE`] parts at once (fewer in a
    /// small pool); the bytes it keeps in memory while moving that many parts (`held`) take a
    /// slot per [`SLOT_MEMORY`]. Never more than the whole pool, so every file can run.
    pub fn cost(&self, large: bool, held: impl FnOnce(usize) -> u64) -> Cost {
        let parts = if large {
            PARTS_PER_FILE.min(self.size)
        } else {
            1
        };
        let memory = u32::try_from(held(parts as usize).div_ceil(SLOT_MEMORY)).unwrap_or(u32::MAX);
        Cost {
            slots: parts.max(memory).clamp(1, self.size),
            parts: parts as usize,
        }
    }

    /// Runs `work` on every job, each holding its cost's slots while it runs; results come
    /// back in the jobs' order.
    pub async fn run<J, R, F, Fut>(&self, jobs: Vec<(Cost, J)>, work: F) -> Vec<R>
    where
        F: Fn(J, Cost) -> Fut,
        Fut: Future<Output = R>,
    {
        let count = jobs.len();
        let work = &work;
        let mut done: Vec<(usize, R)> = futures::stream::iter(jobs.into_iter().enumerate())
            .map(|(index, (cost, job))| {
                let slots = Arc::clone(&self.slots);
                async move {
                    // The semaphore is never closed, so acquiring only waits.
                    let permit = slots.acquire_many_owned(cost.slots).await.ok();
                    let result = work(job, cost).await;
                    drop(permit);
                    (index, result)
                }
            })
            .buffer_unordered(self.size as usize)
            .collect()
            .await;
        done.sort_by_key(|(index, _)| *index);
        debug_assert_eq!(done.len(), count);
        done.into_iter().map(|(_, result)| result).collect()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[test]
    fn costs_stay_within_the_pool() {
        let pool = Pool::new(16);
        let nothing = |_| 0;
        assert_eq!(pool.cost(false, nothing), Cost { slots: 1, parts: 1 });
        assert_eq!(pool.cost(true, nothing), Cost { slots: 8, parts: 8 });
        assert_eq!(
            pool.cost(false, |_| 10 * 1024 * 1024),
            Cost { slots: 3, parts: 1 }
        );
        assert_eq!(
            pool.cost(true, |_| 1 << 40),
            Cost {
                slots: 16,
                parts: 8
            }
        );
        let tiny = Pool::new(2);
        let per_part = |parts: usize| parts as u64 * SLOT_MEMORY;
        assert_eq!(tiny.cost(true, per_part), Cost { slots: 2, parts: 2 });
        assert_eq!(
            Pool::new(0).cost(true, nothing),
            Cost { slots: 1, parts: 1 }
        );
    }

    #[tokio::test]
    async fn never_more_slots_than_the_pool_and_results_in_order() {
        let pool = Pool::new(10);
        let held = AtomicU32::new(0);
        let peak = AtomicU32::new(0);
        let jobs: Vec<(Cost, usize)> = (0..60)
            .map(|i| {
                let cost = pool.cost(i % 7 == 0, |_| 0);
                (cost, i)
            })
            .collect();
        let results = pool
            .run(jobs, |i, cost| {
                let (held, peak) = (&held, &peak);
                async move {
                    let now = held.fetch_add(cost.slots, Ordering::SeqCst) + cost.slots;
                    peak.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(1 + (i % 3) as u64)).await;
                    held.fetch_sub(cost.slots, Ordering::SeqCst);
                    i * 2
                }
            })
            .await;
        assert_eq!(results, (0..60).map(|i| i * 2).collect::<Vec<_>>());
        let peak = peak.load(Ordering::SeqCst);
        assert!(peak <= 10, "peak {peak}");
        assert!(peak > 1, "files ran one at a time");
    }
}
