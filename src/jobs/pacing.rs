//! Keeping a job within the account's KMS budget and backing off when S3 or KMS throttle: a
//! token bucket of KMS requests per second (`--kms-rate`), and one shared pause for every
//! worker after a throttling answer (growing while the throttling lasts), with the rate halved
//! and then won back as requests succeed again.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::progress::CancellationToken;

/// How long to pause after throttling answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The first pause; each further throttling answer in a row doubles it.
    pub base: Duration,
    pub max: Duration,
}

impl Backoff {
    /// Half a second, doubling up to 20 s.
    pub const DEFAULT: Self = Self {
        base: Duration::from_millis(500),
        max: Duration::from_secs(20),
    };
}

impl Default for Backoff {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Shared by every worker of a job.
#[derive(Debug)]
pub struct Pacer {
    state: Mutex<State>,
    /// The budget asked for, KMS requests per second.
    budget: Option<f64>,
    backoff: Backoff,
}

#[derive(Debug)]
struct State {
    tokens: f64,
    last: Instant,
    /// The rate now: the budget, halved on throttling and won back on success.
    rate: Option<f64>,
    not_before: Instant,
    in_a_row: u32,
    throttled: u64,
}

/// The job was stopped while waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stopped;

impl Pacer {
    pub fn new(kms_rate: Option<u32>, backoff: Backoff) -> Self {
        let budget = kms_rate.filter(|r| *r > 0).map(f64::from);
        let now = Instant::now();
        Self {
            state: Mutex::new(State {
                tokens: budget.unwrap_or(0.0),
                last: now,
                rate: budget,
                not_before: now,
                in_a_row: 0,
                throttled: 0,
            }),
            budget,
            backoff,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits until the shared pause is over and `kms_calls` fit the budget, then takes them.
    /// An object that costs more than a second's budget waits for a full bucket and takes it
    /// (the bucket goes negative, so the next ones wait the rest).
    pub async fn admit(&self, kms_calls: u64, stop: &CancellationToken) -> Result<(), Stopped> {
        loop {
            let wait = {
                let mut s = self.lock();
                let now = Instant::now();
                if let Some(rate) = s.rate {
                    let capacity = rate.max(1.0);
                    let elapsed = now.saturating_duration_since(s.last).as_secs_f64();
                    s.tokens = (s.tokens + elapsed * rate).min(capacity);
                    s.last = now;
                }
                let paused = s.not_before.saturating_duration_since(now);
                let budget_wait = match s.rate {
                    Some(rate) if kms_calls > 0 => {
                        let need = (kms_calls as f64).min(rate.max(1.0));
                        if s.tokens >= need {
                            Duration::ZERO
                        } else {
                            Duration::from_secs_f64((need - s.tokens) / rate)
                        }
                    }
                    _ => Duration::ZERO,
                };
                if paused.is_zero() && budget_wait.is_zero() {
                    if s.rate.is_some() {
                        s.tokens -= kms_calls as f64;
                    }
                    return Ok(());
                }
                paused.max(budget_wait)
            };
            tokio::select! {
                biased;
                () = stop.cancelled() => return Err(Stopped),
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// A throttling answer: everyone pauses (longer each time in a row) and the rate halves.
    /// Returns the pause.
    pub fn throttled(&self) -> Duration {
        let mut s = self.lock();
        s.throttled += 1;
        s.in_a_row = s.in_a_row.saturating_add(1);
        let doublings = s.in_a_row.saturating_sub(1).min(16);
        let full = self
            .backoff
            .base
            .saturating_mul(1u32 << doublings)
            .min(self.backoff.max);
        // Half fixed, half random, so workers that were told at once do not return at once.
        let pause = full / 2 + full.mul_f64(jitter() / 2.0);
        let until = Instant::now() + pause;
        if until > s.not_before {
            s.not_before = until;
        }
        if let Some(rate) = s.rate.as_mut() {
            *rate = (*rate / 2.0).max(1.0);
        }
        pause
    }

    /// A request went through: the pause stops growing and the rate creeps back up.
    pub fn succeeded(&self) {
        let mut s = self.lock();
        s.in_a_row = 0;
        if let (Some(rate), Some(budget)) = (s.rate.as_mut(), self.budget) {
            *rate = (*rate + budget / 20.0).min(budget);
        }
    }

    /// Throttling answers so far.
    pub fn throttled_count(&self) -> u64 {
        self.lock().throttled
    }

    /// The KMS rate now (requests per second), when there is a budget.
    pub fn rate(&self) -> Option<f64> {
        self.lock().rate
    }
}

/// A number in [0, 1).
fn jitter() -> f64 {
    let mut b = [0u8; 4];
    match getrandom::fill(&mut b) {
        Ok(()) => f64::from(u32::from_le_bytes(b)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Time is paused in these tests: `sleep` advances the clock at once, so they measure
    // virtual time, deterministically.

    #[tokio::test(start_paused = true)]
    async fn the_budget_spaces_kms_calls() {
        let pacer = Pacer::new(Some(10), Backoff::default());
        let stop = CancellationToken::new();
        let start = Instant::now();
        // A full bucket (10) goes at once; the next 20 calls take 2 more seconds.
        for _ in 0..30 {
            pacer.admit(1, &stop).await.unwrap();
        }
        let took = start.elapsed().as_secs_f64();
        assert!((took - 2.0).abs() < 0.05, "{took}");
        // Objects that cause no KMS call are not held back.
        let before = Instant::now();
        pacer.admit(0, &stop).await.unwrap();
        assert_eq!(before.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_pauses_everyone_and_halves_the_rate() {
        let backoff = Backoff {
            base: Duration::from_millis(400),
            max: Duration::from_secs(2),
        };
        let pacer = Pacer::new(Some(8), backoff);
        let stop = CancellationToken::new();
        let first = pacer.throttled();
        assert!(first >= Duration::from_millis(200) && first <= Duration::from_millis(400));
        assert_eq!(pacer.rate(), Some(4.0));
        let start = Instant::now();
        pacer.admit(0, &stop).await.unwrap();
        assert!(start.elapsed() >= first, "{:?}", start.elapsed());
        // In a row, the pause grows to the cap.
        for _ in 0..6 {
            pacer.throttled();
        }
        let capped = pacer.throttled();
        assert!(capped <= Duration::from_secs(2) && capped >= Duration::from_secs(1));
        assert_eq!(pacer.throttled_count(), 8);
        assert_eq!(pacer.rate(), Some(1.0));
        for _ in 0..100 {
            pacer.succeeded();
        }
        assert_eq!(pacer.rate(), Some(8.0));
    }

    #[tokio::test(start_paused = true)]
    async fn stopping_ends_the_wait() {
        let pacer = Pacer::new(Some(1), Backoff::default());
        let stop = CancellationToken::new();
        pacer.admit(1, &stop).await.unwrap();
        stop.cancel();
        assert_eq!(pacer.admit(1, &stop).await, Err(Stopped));
    }
}
