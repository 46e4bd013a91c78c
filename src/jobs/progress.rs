//! A running job's progress as a front end polls it (every frame, in the window): objects and
//! bytes done of the total, outcomes so far, rate, time left, and whether it is paused.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Instant;

use serde::Serialize;

use super::report::RowStatus;

/// What a job's run is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunState {
    Running,
    /// No new object starts until it is resumed; those in flight finish.
    Paused,
    /// Stopping (cancelled or interrupted): the objects in flight finish.
    Stopping,
    /// The run is over (see the outcome for how).
    Finished,
}

/// Counters shared by a run and whoever watches it. Cheap to clone and to read.
#[derive(Clone, Debug)]
pub struct JobProgress {
    inner: Arc<Counters>,
}

#[derive(Debug)]
struct Counters {
    started: Instant,
    state: AtomicU8,
    /// Every object in the plan, and how many had an outcome before this run.
    total: u64,
    total_bytes: u64,
    before_run: u64,
    bytes_before_run: u64,
    /// Outcomes in this run and before it, by status.
    done: AtomicU64,
    skipped: AtomicU64,
    failed: AtomicU64,
    changed: AtomicU64,
    /// This run alone.
    run_objects: AtomicU64,
    run_bytes: AtomicU64,
    throttled: AtomicU64,
}

/// One reading of a job's progress.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProgressSnapshot {
    pub state: RunState,
    /// Objects with an outcome (skipped ones included), of all in the plan.
    pub objects_done: u64,
    pub objects_total: u64,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub done: u64,
    pub skipped: u64,
    pub failed: u64,
    pub changed: u64,
    /// Over this run so far.
    pub objects_per_second: f64,
    pub bytes_per_second: f64,
    /// At this run's rate; `None` until something finished.
    pub eta_seconds: Option<f64>,
    /// Throttling answers so far (each paused the job and was retried).
    pub throttled: u64,
}

impl JobProgress {
    /// Progress of a job of `total` objects (`total_bytes`), of which `outcomes` already have
    /// one (by status, with their bytes in `bytes_before`).
    pub fn new(
        total: u64,
        total_bytes: u64,
        outcomes: &[(RowStatus, u64)],
        bytes_before: u64,
    ) -> Self {
        let count = |status: RowStatus| {
            outcomes
                .iter()
                .filter(|(s, _)| *s == status)
                .map(|(_, n)| n)
                .sum::<u64>()
        };
        let before_run = outcomes.iter().map(|(_, n)| n).sum();
        Self {
            inner: Arc::new(Counters {
                started: Instant::now(),
                state: AtomicU8::new(0),
                total,
                total_bytes,
                before_run,
                bytes_before_run: bytes_before,
                done: AtomicU64::new(count(RowStatus::Done)),
                skipped: AtomicU64::new(count(RowStatus::Skipped)),
                failed: AtomicU64::new(count(RowStatus::Failed)),
                changed: AtomicU64::new(count(RowStatus::Changed)),
                run_objects: AtomicU64::new(0),
                run_bytes: AtomicU64::new(0),
                throttled: AtomicU64::new(0),
            }),
        }
    }

    /// One more object has an outcome.
    pub fn record(&self, status: RowStatus, bytes: u64) {
        let c = &self.inner;
        let counter = match status {
            RowStatus::Done => &c.done,
            RowStatus::Skipped => &c.skipped,
            RowStatus::Failed => &c.failed,
            RowStatus::Changed => &c.changed,
            RowStatus::Pending => return,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        c.run_objects.fetch_add(1, Ordering::Relaxed);
        c.run_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    pub fn record_throttle(&self) {
        self.inner.throttled.fetch_add(1, Ordering::Relaxed);
    }

    pub fn set_state(&self, state: RunState) {
        let code = match state {
            RunState::Running => 0,
            RunState::Paused => 1,
            RunState::Stopping => 2,
            RunState::Finished => 3,
        };
        self.inner.state.store(code, Ordering::Relaxed);
    }

    pub fn state(&self) -> RunState {
        match self.inner.state.load(Ordering::Relaxed) {
            0 => RunState::Running,
            1 => RunState::Paused,
            2 => RunState::Stopping,
            _ => RunState::Finished,
        }
    }

    /// Reads everything at once.
    pub fn snapshot(&self) -> ProgressSnapshot {
        let c = &self.inner;
        let run_objects = c.run_objects.load(Ordering::Relaxed);
        let run_bytes = c.run_bytes.load(Ordering::Relaxed);
        let seconds = c.started.elapsed().as_secs_f64().max(1e-3);
        let objects_per_second = run_objects as f64 / seconds;
        let objects_done = c.before_run + run_objects;
        let left = c.total.saturating_sub(objects_done);
        ProgressSnapshot {
            state: self.state(),
            objects_done,
            objects_total: c.total,
            bytes_done: c.bytes_before_run + run_bytes,
            bytes_total: c.total_bytes,
            done: c.done.load(Ordering::Relaxed),
            skipped: c.skipped.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
            changed: c.changed.load(Ordering::Relaxed),
            objects_per_second,
            bytes_per_second: run_bytes as f64 / seconds,
            eta_seconds: (run_objects > 0).then(|| left as f64 / objects_per_second),
            throttled: c.throttled.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_before_and_during_the_run() {
        let p = JobProgress::new(
            10,
            1000,
            &[(RowStatus::Skipped, 2), (RowStatus::Done, 3)],
            500,
        );
        p.record(RowStatus::Done, 100);
        p.record(RowStatus::Changed, 50);
        p.record(RowStatus::Pending, 1);
        let s = p.snapshot();
        assert_eq!((s.objects_done, s.objects_total), (7, 10));
        assert_eq!((s.bytes_done, s.bytes_total), (650, 1000));
        assert_eq!((s.done, s.skipped, s.changed, s.failed), (4, 2, 1, 0));
        assert!(s.eta_seconds.is_some());
        p.set_state(RunState::Paused);
        assert_eq!(p.snapshot().state, RunState::Paused);
    }
}
