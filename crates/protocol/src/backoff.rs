//! Retry policy: which failures are retried, how many times, and how long to wait.
//!
//! Why not the `backoff` or `backon` crates: both own the clock and the sleep, and
//! this crate must take time as an input. The schedule itself is three lines
//! (exponential caps with full jitter), specified here so vectors can pin it.

use std::time::Duration;

use crate::rng::SplitMix64;

/// How the [`Exchange`](crate::Exchange) retries.
///
/// Defaults: 5 attempts in all, back-off caps of 0.5 s, 1 s, 2 s, 4 s ... up to 10 s
/// with full jitter, at most 30 s from the first attempt to the last retry, and a
/// working fallback host is kept for 5 minutes before the primary is tried again.
///
/// ```
/// use agora_rtm_rest_protocol::RetryPolicy;
/// use std::time::Duration;
/// let p = RetryPolicy::default();
/// assert_eq!(p.backoff_cap(0), Duration::from_millis(500));
/// assert_eq!(p.backoff_cap(3), Duration::from_secs(4));
/// assert_eq!(p.backoff_cap(30), Duration::from_secs(10));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// The cap of the first back-off; each further retry doubles it.
    pub base_delay: Duration,
    /// The largest back-off cap.
    pub max_delay: Duration,
    /// No retry is scheduled that would start later than this after the first attempt.
    pub max_elapsed: Duration,
    /// The longest `Retry-After` honoured; a longer one ends the exchange with
    /// [`Error::RateLimited`](crate::Error::RateLimited).
    pub max_retry_after: Duration,
    /// How long to stay on a fallback host that worked before trying the primary again.
    pub sticky_fallback: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(10),
            max_elapsed: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
            sticky_fallback: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn no_retries() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The upper bound of the wait before retry number `retry` (0-based):
    /// `min(max_delay, base_delay * 2^retry)`. Monotone in `retry`.
    pub fn backoff_cap(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// The wait before retry number `retry`: uniform in `0..=backoff_cap(retry)`
    /// ("full jitter"), drawn from `rng`.
    pub fn backoff(&self, retry: u32, rng: &mut SplitMix64) -> Duration {
        let cap = u64::try_from(self.backoff_cap(retry).as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rng.below(cap))
    }
}
