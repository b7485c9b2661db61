//! Client-side rate limiting.
//!
//! Why not `governor`: governor implements GCRA, which with a burst of N admits up
//! to 2N-1 calls in some one-second window, while the service counts calls per
//! second ("10 requests per second per app id") and answers 429 beyond. Exactly
//! "never more than N in any window" needs a log of the last N grant times, which
//! is a `VecDeque` of N instants and takes `now` as an argument (governor reads its
//! clock through a trait object, which would need a shared mutable fake clock here).

use std::collections::VecDeque;
use std::time::Duration;

use crate::time::Instant;

/// How early an evenly spaced grant may come (absorbs timer rounding).
const SLOT_TOLERANCE: Duration = Duration::from_millis(1);

/// A sliding-window limiter: at most `limit` grants in any half-open window of
/// length `window`, plus an optional pause (after the server said 429).
///
/// By default grants are also spread evenly, at least `window / limit` apart. This
/// matters for the destructive feeds: ten reads fired in one burst would find the
/// first one taking everything and the other nine nearly empty, followed by a
/// second of silence; spaced reads each find a share of the traffic.
/// [`RateLimiter::bursty`] drops the spacing (only the window count applies).
///
/// ```
/// use agora_rtm_rest_protocol::{Instant, RateLimiter};
/// use std::time::Duration;
/// let mut smooth = RateLimiter::new(2, Duration::from_secs(1));
/// assert!(smooth.try_acquire(Instant::ZERO).is_ok());
/// // The next slot is 500 ms later (1 ms early is tolerated, for timer rounding).
/// assert_eq!(smooth.try_acquire(Instant::ZERO), Err(Duration::from_millis(499)));
///
/// let mut l = RateLimiter::bursty(2, Duration::from_secs(1));
/// let t0 = Instant::ZERO;
/// assert!(l.try_acquire(t0).is_ok());
/// assert!(l.try_acquire(t0).is_ok());
/// assert_eq!(l.try_acquire(t0), Err(Duration::from_secs(1)));
/// assert!(l.try_acquire(Instant::from_millis(1000)).is_ok());
/// ```
#[derive(Debug, Clone)]
pub struct RateLimiter {
    limit: usize,
    window: Duration,
    spacing: Duration,
    /// The theoretical time of the next evenly spaced slot. Measuring from it
    /// (rather than from the last actual grant) keeps a caller that wakes a little
    /// late (timers round up to the millisecond) from pushing every later slot back.
    next_slot: Instant,
    grants: VecDeque<Instant>,
    paused_until: Instant,
}

impl RateLimiter {
    /// At most `limit` (at least 1) grants in any `window`, spaced at least
    /// `window / limit` apart.
    pub fn new(limit: u32, window: Duration) -> Self {
        let limit = limit.max(1);
        let mut l = Self::bursty(limit, window);
        l.spacing = window / limit;
        l
    }

    /// At most `limit` grants in any `window`, in bursts when callers ask at once.
    pub fn bursty(limit: u32, window: Duration) -> Self {
        let limit = limit.max(1) as usize;
        RateLimiter {
            limit,
            window,
            spacing: Duration::ZERO,
            next_slot: Instant::ZERO,
            grants: VecDeque::with_capacity(limit + 1),
            paused_until: Instant::ZERO,
        }
    }

    /// The minimum time between two grants.
    pub fn spacing(&self) -> Duration {
        self.spacing
    }

    /// The service's event-feed limit: 10 per second, with a 5 ms guard so that
    /// network jitter between grants does not push the server's count over.
    pub fn agora_default() -> Self {
        RateLimiter::new(10, Duration::from_millis(1005))
    }

    /// The configured limit per window.
    pub fn limit(&self) -> u32 {
        self.limit as u32
    }

    /// The configured window.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// How long until a grant would succeed (zero when one is available now).
    pub fn time_until_ready(&self, now: Instant) -> Duration {
        let pause = self.paused_until.saturating_duration_since(now);
        let spacing = if self.grants.is_empty() {
            Duration::ZERO
        } else {
            self.next_slot
                .saturating_duration_since(now + SLOT_TOLERANCE)
        };
        let window = if self.grants.len() < self.limit {
            Duration::ZERO
        } else {
            // The grant `limit` places back must be at least one window old.
            let oldest = self.grants[self.grants.len() - self.limit];
            (oldest + self.window).saturating_duration_since(now)
        };
        pause.max(window).max(spacing)
    }

    /// Takes a slot at `now`, or says how long to wait for one.
    pub fn try_acquire(&mut self, now: Instant) -> Result<(), Duration> {
        let wait = self.time_until_ready(now);
        if !wait.is_zero() {
            return Err(wait);
        }
        // Callers sharing one limiter may read their clocks in a slightly different
        // order than they take the lock: keep the log monotone.
        let now = self.grants.back().map_or(now, |last| now.max(*last));
        let base = if self.grants.is_empty() {
            now
        } else {
            self.next_slot.max(now.saturating_sub(SLOT_TOLERANCE))
        };
        self.next_slot = base + self.spacing;
        self.grants.push_back(now);
        while self.grants.len() > self.limit {
            self.grants.pop_front();
        }
        Ok(())
    }

    /// Pauses every grant until `until` (used after the server answered 429, so
    /// that all callers sharing this limiter back off together).
    pub fn pause_until(&mut self, until: Instant) {
        self.paused_until = self.paused_until.max(until);
    }
}
