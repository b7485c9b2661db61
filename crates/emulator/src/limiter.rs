//! The service-side rate limits: at most N requests per app id in any sliding
//! one-second window, across every region. Each family of routes has its own
//! budget ([`Budget`]).

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

/// The window the limit applies to.
pub(crate) const WINDOW: Duration = Duration::from_secs(1);

/// The separate rate-limit budgets of an app id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Budget {
    /// Both event feeds.
    Feeds,
    /// Both send endpoints (peer and channel messages).
    Messages,
    /// The legacy history API: query, poll and count together.
    LegacyHistory,
    /// Signaling 2.x history.
    HistoryV2,
}

/// Sliding-window log of accepted requests per app id. Refused requests do not
/// enter the log, so a client that backs off recovers one second after its
/// last accepted request.
#[derive(Debug)]
pub(crate) struct SlidingWindowLimiter {
    limit: u32,
    accepted: HashMap<String, VecDeque<Instant>>,
}

impl SlidingWindowLimiter {
    /// A limiter allowing `limit` requests per window (`0` = unlimited).
    pub(crate) fn new(limit: u32) -> Self {
        SlidingWindowLimiter {
            limit,
            accepted: HashMap::new(),
        }
    }

    /// Records a request at `now` if the app id is under its limit; false when
    /// it must be refused.
    pub(crate) fn try_acquire(&mut self, app_id: &str, now: Instant) -> bool {
        if self.limit == 0 {
            return true;
        }
        let log = self.accepted.entry(app_id.to_owned()).or_default();
        while let Some(&oldest) = log.front() {
            if now.saturating_duration_since(oldest) >= WINDOW {
                log.pop_front();
            } else {
                break;
            }
        }
        if log.len() >= self.limit as usize {
            return false;
        }
        log.push_back(now);
        true
    }

    /// Forgets every recorded request.
    pub(crate) fn clear(&mut self) {
        self.accepted.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_limit_per_sliding_second() {
        let t0 = Instant::now();
        let mut limiter = SlidingWindowLimiter::new(10);
        for i in 0..10 {
            assert!(
                limiter.try_acquire("a", t0 + Duration::from_millis(i * 50)),
                "{i}"
            );
        }
        assert!(!limiter.try_acquire("a", t0 + Duration::from_millis(600)));
        // Another app id has its own budget.
        assert!(limiter.try_acquire("b", t0 + Duration::from_millis(600)));
        // The first request leaves the window at t0 + 1 s, the second at + 1.05 s.
        assert!(!limiter.try_acquire("a", t0 + Duration::from_millis(999)));
        assert!(limiter.try_acquire("a", t0 + Duration::from_millis(1000)));
        assert!(!limiter.try_acquire("a", t0 + Duration::from_millis(1040)));
        assert!(limiter.try_acquire("a", t0 + Duration::from_millis(1050)));
        limiter.clear();
        assert!(limiter.try_acquire("a", t0 + Duration::from_millis(1051)));
    }

    #[test]
    fn zero_means_unlimited() {
        let t0 = Instant::now();
        let mut limiter = SlidingWindowLimiter::new(0);
        assert!((0..1000).all(|_| limiter.try_acquire("a", t0)));
    }
}
