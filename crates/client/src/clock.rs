//! The clock and random source the protocol's state machines take as inputs.

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use agora_rtm_rest_protocol::Instant;

/// One origin for the whole process, so limiters shared between clients agree.
fn origin() -> tokio::time::Instant {
    static ORIGIN: OnceLock<tokio::time::Instant> = OnceLock::new();
    *ORIGIN.get_or_init(tokio::time::Instant::now)
}

/// Monotonic now (tokio's clock, so paused-time tests work).
pub(crate) fn now() -> Instant {
    Instant::from_duration(tokio::time::Instant::now().saturating_duration_since(origin()))
}

/// Wall-clock Unix seconds (for token issue times).
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Fresh randomness for jitter seeds and token salts.
pub(crate) fn random_u64() -> u64 {
    rand::random()
}
