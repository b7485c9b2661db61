//! The state every listener, the admin API and the simulator share.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::auth::AuthConfig;
use crate::config::EmulatorConfig;
use crate::faults::Faults;
use crate::limiter::SlidingWindowLimiter;
use crate::stats::Stats;
use crate::store::{FeedEvent, Store};

/// One emulator's state (behind an `Arc`).
#[derive(Debug)]
pub(crate) struct Shared {
    regions: Vec<String>,
    pub(crate) legacy_fields: bool,
    pub(crate) auth: AuthConfig,
    store: Mutex<Store>,
    limiter: Mutex<SlidingWindowLimiter>,
    faults: RwLock<Faults>,
    server_errors: AtomicU64,
}

/// Locks a mutex, carrying on after a panic elsewhere poisoned it (the data are
/// counters and queues, always left consistent between statements).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    pub(crate) fn new(config: &EmulatorConfig) -> Self {
        Shared {
            regions: config.regions.clone(),
            legacy_fields: config.legacy_fields,
            auth: AuthConfig {
                customers: config.customers.clone(),
                certificates: config.app_certificates.iter().cloned().collect(),
            },
            store: Mutex::new(Store::new(config.regions.clone())),
            limiter: Mutex::new(SlidingWindowLimiter::new(config.rate_limit_per_sec)),
            faults: RwLock::new(config.faults.clone().clamped()),
            server_errors: AtomicU64::new(0),
        }
    }

    /// The configured region names, in order.
    pub(crate) fn regions(&self) -> &[String] {
        &self.regions
    }

    /// Indexes of the named regions; `None` selects all. Errors name the first
    /// unknown region.
    pub(crate) fn region_indexes(&self, names: Option<&[String]>) -> Result<Vec<usize>, String> {
        match names {
            None => Ok((0..self.regions.len()).collect()),
            Some(names) => names
                .iter()
                .map(|name| {
                    self.regions
                        .iter()
                        .position(|r| r == name)
                        .ok_or_else(|| format!("unknown region {name:?}"))
                })
                .collect(),
        }
    }

    /// The rings and counters.
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    /// The rate limiter.
    pub(crate) fn limiter(&self) -> MutexGuard<'_, SlidingWindowLimiter> {
        lock(&self.limiter)
    }

    /// The current faults.
    pub(crate) fn faults(&self) -> Faults {
        self.faults
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Replaces the faults (probabilities clamped into 0..=1).
    pub(crate) fn set_faults(&self, faults: Faults) {
        *self.faults.write().unwrap_or_else(|p| p.into_inner()) = faults.clamped();
    }

    /// True for every other server error: they alternate 500 and 503.
    pub(crate) fn next_server_error_is_503(&self) -> bool {
        self.server_errors.fetch_add(1, Ordering::Relaxed) % 2 == 1
    }

    /// Appends events to the rings of the given regions.
    pub(crate) fn push<T: FeedEvent>(&self, app_id: &str, regions: &[usize], events: &[T]) {
        if !events.is_empty() {
            self.store().push(app_id, regions, events);
        }
    }

    /// A snapshot of the counters.
    pub(crate) fn stats(&self) -> Stats {
        self.store().stats()
    }

    /// Empties every ring, zeroes every counter and forgets the rate-limit windows.
    pub(crate) fn reset(&self) {
        self.store().clear();
        self.limiter().clear();
    }
}

/// Now as Unix milliseconds (0 if the clock is before 1970).
pub(crate) fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
