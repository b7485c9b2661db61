//! The legacy history API's asynchronous state: query handles (each a
//! snapshot taken when it was created) and the count requests seen, per app
//! id. Both answer "in progress" once, then their result, until they expire.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;
use rand::Rng;
use tokio::time::Instant;

use crate::archive::{LegacyFilter, StoredMessage};

/// The most query handles (and, separately, count requests) kept per app id;
/// beyond it expired ones, then the oldest, are forgotten.
pub(crate) const MAX_QUERIES_PER_APP: usize = 10_000;

/// Random bytes in a handle: 10 bytes give 16 base64 characters ending in `==`.
const HANDLE_BYTES: usize = 10;

#[derive(Debug)]
struct Query {
    created: Instant,
    polled: bool,
    expired: bool,
    messages: Vec<StoredMessage>,
}

impl Query {
    fn is_expired(&self, now: Instant, ttl: Duration) -> bool {
        self.expired || now.saturating_duration_since(self.created) >= ttl
    }
}

/// What polling a handle gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Poll {
    /// The first poll of a live handle.
    InProgress,
    /// Later polls: the snapshot.
    Ready(Vec<StoredMessage>),
    /// No such handle (404).
    NotFound,
    /// The handle expired (410).
    Expired,
}

#[derive(Debug, Default)]
struct AppQueries {
    handles: HashMap<String, Query>,
    /// Count requests by filter, with when each was first seen.
    counts: HashMap<LegacyFilter, Instant>,
}

/// Every app id's queries.
#[derive(Debug, Default)]
pub(crate) struct Queries {
    apps: HashMap<String, AppQueries>,
}

/// A new handle: URL-safe base64 (no `/`), padded with `=`.
fn new_handle(rng: &mut impl Rng) -> String {
    let mut bytes = [0u8; HANDLE_BYTES];
    rng.fill(&mut bytes);
    URL_SAFE.encode(bytes)
}

impl Queries {
    /// Records a query whose result is `messages`; returns its handle.
    pub(crate) fn create(
        &mut self,
        app_id: &str,
        messages: Vec<StoredMessage>,
        now: Instant,
        ttl: Duration,
        rng: &mut impl Rng,
    ) -> String {
        let app = self.apps.entry(app_id.to_owned()).or_default();
        if app.handles.len() >= MAX_QUERIES_PER_APP {
            app.handles.retain(|_, q| !q.is_expired(now, ttl));
        }
        if app.handles.len() >= MAX_QUERIES_PER_APP
            && let Some(oldest) = app
                .handles
                .iter()
                .min_by_key(|(_, q)| q.created)
                .map(|(h, _)| h.clone())
        {
            app.handles.remove(&oldest);
        }
        let mut handle = new_handle(rng);
        while app.handles.contains_key(&handle) {
            handle = new_handle(rng);
        }
        app.handles.insert(
            handle.clone(),
            Query {
                created: now,
                polled: false,
                expired: false,
                messages,
            },
        );
        handle
    }

    /// Polls a handle: in progress the first time, then the snapshot, until
    /// it expires.
    pub(crate) fn poll(&mut self, app_id: &str, handle: &str, now: Instant, ttl: Duration) -> Poll {
        let Some(query) = self
            .apps
            .get_mut(app_id)
            .and_then(|app| app.handles.get_mut(handle))
        else {
            return Poll::NotFound;
        };
        if query.is_expired(now, ttl) {
            query.expired = true;
            query.messages = Vec::new();
            return Poll::Expired;
        }
        if !query.polled {
            query.polled = true;
            return Poll::InProgress;
        }
        Poll::Ready(query.messages.clone())
    }

    /// Records a count request: false the first time a filter is seen (and
    /// again once that sighting is older than `ttl`), true afterwards.
    pub(crate) fn count_ready(
        &mut self,
        app_id: &str,
        filter: &LegacyFilter,
        now: Instant,
        ttl: Duration,
    ) -> bool {
        let app = self.apps.entry(app_id.to_owned()).or_default();
        if let Some(&first) = app.counts.get(filter) {
            if now.saturating_duration_since(first) < ttl {
                return true;
            }
            app.counts.remove(filter);
        }
        if app.counts.len() >= MAX_QUERIES_PER_APP {
            app.counts
                .retain(|_, first| now.saturating_duration_since(*first) < ttl);
        }
        if app.counts.len() >= MAX_QUERIES_PER_APP
            && let Some(oldest) = app
                .counts
                .iter()
                .min_by_key(|(_, first)| **first)
                .map(|(f, _)| f.clone())
        {
            app.counts.remove(&oldest);
        }
        app.counts.insert(filter.clone(), now);
        false
    }

    /// Expires every handle of an app id (they answer 410) and forgets its
    /// count requests (they start over with "in progress").
    pub(crate) fn expire_all(&mut self, app_id: &str) -> usize {
        let Some(app) = self.apps.get_mut(app_id) else {
            return 0;
        };
        app.counts.clear();
        let mut expired = 0;
        for query in app.handles.values_mut() {
            if !query.expired {
                expired += 1;
            }
            query.expired = true;
            query.messages = Vec::new();
        }
        expired
    }

    /// Forgets every handle and count request.
    pub(crate) fn clear(&mut self) {
        self.apps.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    const TTL: Duration = Duration::from_secs(60);

    #[test]
    fn handles_look_like_the_service() {
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..200 {
            let h = new_handle(&mut rng);
            assert_eq!(h.len(), 16);
            assert!(h.ends_with("=="));
            assert!(!h.contains('/'));
        }
    }

    #[test]
    fn in_progress_then_ready_then_expired() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut q = Queries::default();
        let t0 = Instant::now();
        let h = q.create("app", Vec::new(), t0, TTL, &mut rng);
        assert_eq!(q.poll("app", &h, t0, TTL), Poll::InProgress);
        assert_eq!(q.poll("app", &h, t0, TTL), Poll::Ready(Vec::new()));
        assert_eq!(q.poll("other", &h, t0, TTL), Poll::NotFound);
        assert_eq!(q.poll("app", "nope", t0, TTL), Poll::NotFound);
        assert_eq!(q.poll("app", &h, t0 + TTL, TTL), Poll::Expired);
        let h2 = q.create("app", Vec::new(), t0, TTL, &mut rng);
        assert_eq!(q.expire_all("app"), 1);
        assert_eq!(q.poll("app", &h2, t0, TTL), Poll::Expired);
        q.clear();
        assert_eq!(q.poll("app", &h2, t0, TTL), Poll::NotFound);
    }

    #[test]
    fn counts_ready_after_first_sight() {
        let mut q = Queries::default();
        let t0 = Instant::now();
        let f = LegacyFilter {
            source: Some("a".into()),
            destination: None,
            from_ms: 0,
            to_ms: 10,
        };
        assert!(!q.count_ready("app", &f, t0, TTL));
        assert!(q.count_ready("app", &f, t0, TTL));
        assert!(!q.count_ready("other", &f, t0, TTL));
        assert!(!q.count_ready("app", &f, t0 + TTL, TTL));
        assert!(q.count_ready("app", &f, t0 + TTL, TTL));
        q.expire_all("app");
        assert!(!q.count_ready("app", &f, t0 + TTL, TTL));
    }

    #[test]
    fn handle_table_is_bounded() {
        let mut rng = StdRng::seed_from_u64(2);
        let mut q = Queries::default();
        let t0 = Instant::now();
        let first = q.create("app", Vec::new(), t0, TTL, &mut rng);
        for i in 1..=MAX_QUERIES_PER_APP as u64 {
            q.create(
                "app",
                Vec::new(),
                t0 + Duration::from_millis(i),
                TTL,
                &mut rng,
            );
        }
        assert_eq!(q.apps["app"].handles.len(), MAX_QUERIES_PER_APP);
        assert_eq!(q.poll("app", &first, t0, TTL), Poll::NotFound);
    }
}
