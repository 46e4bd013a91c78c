//! How many requests a bulk operation keeps in flight: as many as the link rewards. A window
//! starts at [`START`] requests. Its first round (as many finished requests as the window holds,
//! and at least [`SHORTEST_ROUND`]) also paid for opening the connections, so only the second
//! sets the rate to beat; then the window doubles, and again each round in which finished
//! requests per second grew,
//! stops growing after two rounds in a row in which they did not (one may be slow only because
//! new connections were being opened), and halves — at most once a round — when S3 says to
//! slow down (a 503 SlowDown or a 429, counted by [`Throttles`] on every attempt); after a
//! halving it grows by an eighth a round. A person's `--concurrency N` fixes it at N instead.
//!
//! On loopback the rate stops growing within a round or two (the processor is the limit), so the
//! window stays small; at 40 ms it grows to hundreds, which is what a far Region needs: the time
//! is objects × round trips ÷ requests in flight.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Requests in flight before anything is measured (what s3seal used, fixed, before).
pub const START: usize = 32;
/// The most requests an adaptive window keeps in flight. Each costs about 160 KiB (its
/// connection's TLS and HTTP buffers, the SDK's request; measured for small downloads, see
/// `transfer::tree::pool`), so where requests carry bodies a window is capped lower
/// ([`InFlight::capped`]); at a 100 ms round trip 256 move 2,500 small objects a second.
pub const MAX: usize = 256;
/// The fewest it falls back to when throttled.
pub const MIN: usize = 8;
/// A round lasts at least this long (more requests than the window holds, on a fast link), so
/// that its rate says more about the link than about which requests happened to end in it.
const SHORTEST_ROUND: Duration = Duration::from_millis(50);
/// Growth counts only when the rate grew by more than this share.
const GAIN: f64 = 1.1;
/// Rounds in a row without growth after which the window stops growing.
const PATIENCE: u32 = 2;
/// Rounds before the rate is compared: the first opens connections, the second sets the rate.
const WARM_UP_ROUNDS: u32 = 2;

/// Requests in flight: found from what the link gives, or fixed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Concurrency {
    #[default]
    Adaptive,
    /// Exactly this many (at least one).
    Fixed(usize),
}

impl Concurrency {
    /// `None` (no `--concurrency` given) is adaptive.
    pub fn fixed_or_adaptive(n: Option<usize>) -> Self {
        n.map_or(Self::Adaptive, |n| Self::Fixed(n.max(1)))
    }
}

/// Responses that asked the client to slow down (HTTP 503 or 429), counted by the connection on
/// every attempt, retried or not.
#[derive(Clone, Debug, Default)]
pub struct Throttles(Arc<AtomicU64>);

impl Throttles {
    pub fn record(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A window of requests in flight, shared by every task of one operation.
#[derive(Debug)]
pub struct InFlight {
    permits: Arc<Semaphore>,
    state: Mutex<State>,
    throttles: Throttles,
    adaptive: bool,
    /// The most an adaptive window grows to ([`MAX`], or less where each request holds more).
    ceiling: usize,
}

#[derive(Debug)]
struct State {
    limit: usize,
    /// Permits to take out of circulation as they come back (the window shrank).
    debt: usize,
    round_started: Instant,
    finished_in_round: usize,
    best_rate: f64,
    throttles_seen: u64,
    /// Halved at least once: grow slowly from now on.
    backed_off: bool,
    /// Halved in this round: the other answers of the requests already in flight are not
    /// news, so at most one halving a round.
    cut_this_round: bool,
    /// Rounds in a row in which the rate did not grow.
    flat_rounds: u32,
    /// Rounds measured since the window was made.
    rounds: u32,
}

/// A place in the window, given back when dropped.
#[must_use]
#[derive(Debug)]
pub struct Ticket {
    permit: Option<OwnedSemaphorePermit>,
    window: Arc<InFlight>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let Some(permit) = self.permit.take() {
            self.window.finished(permit);
        }
    }
}

impl InFlight {
    pub fn new(concurrency: Concurrency, throttles: Throttles) -> Arc<Self> {
        Self::capped(concurrency, throttles, MAX)
    }

    /// A window that, adaptive, grows to `ceiling` at most (a fixed one is what it was asked).
    pub fn capped(concurrency: Concurrency, throttles: Throttles, ceiling: usize) -> Arc<Self> {
        let ceiling = ceiling.clamp(MIN, MAX);
        let (limit, adaptive) = match concurrency {
            Concurrency::Adaptive => (START.min(ceiling), true),
            Concurrency::Fixed(n) => (n.clamp(1, Semaphore::MAX_PERMITS), false),
        };
        Arc::new(Self {
            permits: Arc::new(Semaphore::new(limit)),
            state: Mutex::new(State {
                limit,
                debt: 0,
                round_started: Instant::now(),
                finished_in_round: 0,
                best_rate: 0.0,
                throttles_seen: throttles.count(),
                backed_off: false,
                cut_this_round: false,
                flat_rounds: 0,
                rounds: 0,
            }),
            throttles,
            adaptive,
            ceiling,
        })
    }

    /// The most requests this window may ever hold: how many tasks are worth queueing at it.
    pub fn max(&self) -> usize {
        if self.adaptive {
            self.ceiling
        } else {
            self.limit()
        }
    }

    /// Requests it lets through now.
    pub fn limit(&self) -> usize {
        self.lock().limit
    }

    /// Waits for `n` places (at most the window's floor, so that a task needing more than the
    /// window can hold still runs).
    pub async fn acquire(self: &Arc<Self>, n: usize) -> Ticket {
        let floor = if self.adaptive { MIN } else { self.limit() };
        let n = u32::try_from(n.clamp(1, floor)).unwrap_or(1);
        // The semaphore is never closed, so acquiring only waits.
        let permit = Arc::clone(&self.permits).acquire_many_owned(n).await.ok();
        Ticket {
            permit,
            window: Arc::clone(self),
        }
    }

    /// Runs `work` holding one place.
    pub async fn run<F: Future>(self: &Arc<Self>, work: F) -> F::Output {
        let _ticket = self.acquire(1).await;
        work.await
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A request finished: its places go back (or out, if the window shrank), and the window
    /// is adjusted at the end of a round.
    fn finished(&self, mut permit: OwnedSemaphorePermit) {
        let mut state = self.lock();
        if state.debt > 0 {
            let taken = (permit.num_permits()).min(state.debt);
            if let Some(out) = permit.split(taken) {
                out.forget();
                state.debt -= taken;
            }
        }
        drop(permit);
        if !self.adaptive {
            return;
        }
        state.finished_in_round += 1;
        let throttles = self.throttles.count();
        if throttles > state.throttles_seen {
            state.throttles_seen = throttles;
            if !state.cut_this_round {
                let smaller = (state.limit / 2).max(MIN);
                let cut = state.limit - smaller;
                self.shrink(&mut state, cut);
                tracing::debug!(limit = state.limit, "throttled: fewer requests in flight");
            }
            return;
        }
        let elapsed = state.round_started.elapsed();
        if state.finished_in_round < state.limit || elapsed < SHORTEST_ROUND {
            return;
        }
        let rate = state.finished_in_round as f64 / elapsed.as_secs_f64();
        state.rounds += 1;
        // The first round paid for opening connections: the second, at the same window, sets
        // the rate to beat, and the window doubles after it.
        let warming = state.rounds < WARM_UP_ROUNDS;
        let grew = match state.rounds.cmp(&WARM_UP_ROUNDS) {
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => true,
            std::cmp::Ordering::Greater => rate > state.best_rate * GAIN,
        };
        state.best_rate = if state.rounds == WARM_UP_ROUNDS {
            rate
        } else {
            state.best_rate.max(rate)
        };
        state.round_started = Instant::now();
        state.finished_in_round = 0;
        state.cut_this_round = false;
        if warming || state.flat_rounds >= PATIENCE || state.limit >= self.ceiling {
            return;
        }
        if !grew {
            state.flat_rounds += 1;
            return;
        }
        state.flat_rounds = 0;
        let step = if state.backed_off {
            (state.limit / 8).max(1)
        } else {
            state.limit
        };
        let larger = (state.limit + step).min(self.ceiling);
        self.permits.add_permits(larger - state.limit);
        state.limit = larger;
        tracing::debug!(limit = larger, rate, "more requests in flight");
    }

    /// Takes `cut` places out: those free now at once, the rest as they come back.
    fn shrink(&self, state: &mut State, cut: usize) {
        state.limit -= cut;
        let now = self.permits.forget_permits(cut);
        state.debt += cut - now;
        state.backed_off = true;
        state.cut_this_round = true;
        state.flat_rounds = 0;
        state.best_rate = 0.0;
        state.round_started = Instant::now();
        state.finished_in_round = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_fixed_window_lets_exactly_its_size_through() {
        let window = InFlight::new(Concurrency::Fixed(3), Throttles::default());
        let held: Vec<Ticket> = futures::future::join_all((0..3).map(|_| window.acquire(1))).await;
        assert_eq!(window.permits.available_permits(), 0);
        let waiting = tokio::time::timeout(Duration::from_millis(20), window.acquire(1)).await;
        assert!(
            waiting.is_err(),
            "a fourth request went through a window of three"
        );
        drop(held);
        assert_eq!(window.permits.available_permits(), 3);
        assert_eq!((window.limit(), window.max()), (3, 3));
    }

    #[tokio::test(start_paused = true)]
    async fn it_doubles_each_round_while_the_rate_doubles() {
        // Each request takes 8 ms however many run: like a far link, more in flight is faster.
        let window = InFlight::new(Concurrency::Adaptive, Throttles::default());
        let run = |n: usize| {
            let window = Arc::clone(&window);
            async move {
                let tasks = (0..n).map(|_| {
                    let window = Arc::clone(&window);
                    async move {
                        // (A sleep made outside the window would count from its making.)
                        window
                            .run(async { tokio::time::sleep(Duration::from_millis(8)).await })
                            .await;
                    }
                });
                futures::future::join_all(tasks).await;
            }
        };
        run(2_000).await;
        // 32 twice (opening connections, then the rate to beat), 64, 128, each round twice the
        // rate of the one before, then the most.
        assert_eq!(window.limit(), MAX);
    }

    #[tokio::test(start_paused = true)]
    async fn a_capped_window_stops_at_its_ceiling() {
        // The same far link: the window would double from 128 to MAX, but its requests' memory
        // allows 192 (not a step of the doubling, so only the cap can stop it there).
        let window = InFlight::capped(Concurrency::Adaptive, Throttles::default(), 192);
        assert_eq!(window.max(), 192);
        let tasks = (0..4_000).map(|_| {
            let window = Arc::clone(&window);
            async move {
                window
                    .run(async { tokio::time::sleep(Duration::from_millis(8)).await })
                    .await;
            }
        });
        futures::future::join_all(tasks).await;
        assert_eq!(window.limit(), 192);
        // A fixed window is what it was asked, whatever the ceiling.
        let fixed = InFlight::capped(Concurrency::Fixed(300), Throttles::default(), 192);
        assert_eq!((fixed.limit(), fixed.max()), (300, 300));
    }

    #[tokio::test(start_paused = true)]
    async fn a_bound_link_settles_the_window() {
        // One request at a time gets through, however many wait: more in flight gains nothing.
        let window = InFlight::new(Concurrency::Adaptive, Throttles::default());
        let server = Arc::new(tokio::sync::Mutex::new(()));
        let tasks = (0..600).map(|_| {
            let (window, server) = (Arc::clone(&window), Arc::clone(&server));
            async move {
                window
                    .run(async {
                        let _busy = server.lock().await;
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    })
                    .await;
            }
        });
        futures::future::join_all(tasks).await;
        // The second round sets the rate and doubles the window; the next two gain nothing and
        // settle it.
        assert_eq!(window.limit(), 2 * START);
        assert!(window.lock().flat_rounds >= PATIENCE);
    }

    #[tokio::test]
    async fn a_throttle_halves_the_window_even_with_requests_in_flight() {
        let throttles = Throttles::default();
        let window = InFlight::new(Concurrency::Adaptive, throttles.clone());
        let held: Vec<Ticket> =
            futures::future::join_all((0..START).map(|_| window.acquire(1))).await;
        throttles.record();
        let mut held = held.into_iter();
        drop(held.next());
        assert_eq!(window.limit(), START / 2);
        // More refusals of requests sent before the cut: not news, no second halving.
        throttles.record();
        drop(held.next());
        assert_eq!(window.limit(), START / 2);
        drop(held);
        // Half of the places went out of circulation as they came back.
        assert_eq!(window.permits.available_permits(), START / 2);
        // A task wanting more than the floor still runs.
        let big = window.acquire(100).await;
        assert_eq!(big.permit.as_ref().map(|p| p.num_permits()), Some(MIN));
    }
}
