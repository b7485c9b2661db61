//! The state every listener, the admin API and the simulator share.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::archive::{Archive, HistoryRecord};
use crate::auth::AuthConfig;
use crate::config::EmulatorConfig;
use crate::faults::Faults;
use crate::limiter::{Budget, SlidingWindowLimiter};
use crate::presence::Presence;
use crate::queries::Queries;
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
    message_limiter: Mutex<SlidingWindowLimiter>,
    legacy_history_limiter: Mutex<SlidingWindowLimiter>,
    history_v2_limiter: Mutex<SlidingWindowLimiter>,
    faults: RwLock<Faults>,
    server_errors: AtomicU64,
    archive: Mutex<Archive>,
    presence: Mutex<Presence>,
    queries: Mutex<Queries>,
    /// The legacy history handles' lifetime, in milliseconds.
    history_query_ttl_ms: AtomicU64,
    /// App ids whose Signaling 2.x history answers 403.
    history_v2_disabled: HashSet<String>,
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
            message_limiter: Mutex::new(SlidingWindowLimiter::new(
                config.message_rate_limit_per_sec,
            )),
            legacy_history_limiter: Mutex::new(SlidingWindowLimiter::new(
                config.legacy_history_rate_limit_per_sec,
            )),
            history_v2_limiter: Mutex::new(SlidingWindowLimiter::new(
                config.history_v2_rate_limit_per_sec,
            )),
            faults: RwLock::new(config.faults.clone().clamped()),
            server_errors: AtomicU64::new(0),
            archive: Mutex::new(Archive::default()),
            presence: Mutex::new(Presence::default()),
            queries: Mutex::new(Queries::default()),
            history_query_ttl_ms: AtomicU64::new(duration_ms(config.history_query_ttl)),
            history_v2_disabled: config.history_v2_disabled_apps.iter().cloned().collect(),
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

    /// The event feeds' rate limiter.
    pub(crate) fn limiter(&self) -> MutexGuard<'_, SlidingWindowLimiter> {
        lock(&self.limiter)
    }

    /// The rate limiter of a budget.
    pub(crate) fn limiter_for(&self, budget: Budget) -> MutexGuard<'_, SlidingWindowLimiter> {
        match budget {
            Budget::Feeds => lock(&self.limiter),
            Budget::Messages => lock(&self.message_limiter),
            Budget::LegacyHistory => lock(&self.legacy_history_limiter),
            Budget::HistoryV2 => lock(&self.history_v2_limiter),
        }
    }

    /// The stored messages.
    pub(crate) fn archive(&self) -> MutexGuard<'_, Archive> {
        lock(&self.archive)
    }

    /// Who is online.
    pub(crate) fn presence(&self) -> MutexGuard<'_, Presence> {
        lock(&self.presence)
    }

    /// The legacy history API's handles and count requests.
    pub(crate) fn queries(&self) -> MutexGuard<'_, Queries> {
        lock(&self.queries)
    }

    /// How long a legacy history handle lives.
    pub(crate) fn history_query_ttl(&self) -> Duration {
        Duration::from_millis(self.history_query_ttl_ms.load(Ordering::Relaxed))
    }

    /// Changes how long legacy history handles live (existing ones included).
    pub(crate) fn set_history_query_ttl(&self, ttl: Duration) {
        self.history_query_ttl_ms
            .store(duration_ms(ttl), Ordering::Relaxed);
    }

    /// Stores a history message (stamped when it has no `ms`) and makes sure
    /// the app id appears in the stats; returns its ms.
    pub(crate) fn store_history(&self, app_id: &str, record: HistoryRecord) -> u64 {
        self.store().app(app_id);
        self.archive().store(app_id, record, unix_ms())
    }

    /// True when Signaling 2.x history is disabled for the app id.
    pub(crate) fn history_v2_disabled(&self, app_id: &str) -> bool {
        self.history_v2_disabled.contains(app_id)
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

    /// Appends events to the rings of the given regions, and follows the
    /// logins and logouts among them in the presence table (whatever the regions).
    pub(crate) fn push<T: FeedEvent>(&self, app_id: &str, regions: &[usize], events: &[T]) {
        if !events.is_empty() {
            self.store().push(app_id, regions, events);
            T::track_presence(events, app_id, &mut self.presence());
        }
    }

    /// A snapshot of the counters.
    pub(crate) fn stats(&self) -> Stats {
        let mut stats = self.store().stats();
        let archive = self.archive();
        for (app_id, app) in &mut stats.apps {
            app.history_stored = archive.len(app_id);
        }
        stats
    }

    /// Empties every ring, the message history, the presence table and the
    /// history queries, zeroes every counter and forgets the rate-limit windows.
    pub(crate) fn reset(&self) {
        self.store().clear();
        self.archive().clear();
        self.presence().clear();
        self.queries().clear();
        for budget in [
            Budget::Feeds,
            Budget::Messages,
            Budget::LegacyHistory,
            Budget::HistoryV2,
        ] {
            self.limiter_for(budget).clear();
        }
    }
}

/// A duration in whole milliseconds (saturating).
fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Now as Unix milliseconds (0 if the clock is before 1970).
pub(crate) fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
