//! The per-app, per-region, per-feed event rings and their counters.

use std::collections::{HashMap, VecDeque};

use agora_rtm_rest_protocol::{ChannelEvent, Feed, UserEvent};
use serde::Serialize;

use crate::presence::Presence;
use crate::stats::{AppStats, FaultStats, FeedStats, RegionStats, Stats};

/// The most events one ring keeps; when full, the newest replaces the oldest.
pub const RING_CAPACITY: usize = 2000;

/// The most events one read returns.
pub const PAGE_SIZE: usize = 1000;

/// An event type that lives in a ring: ties the model to its feed.
pub(crate) trait FeedEvent: Clone + Serialize + Send + Sync + 'static {
    /// The feed this event type belongs to.
    const FEED: Feed;

    /// The legacy wire form (`channel_id`, `ts`).
    fn legacy_json(&self) -> serde_json::Value;

    /// This type's ring in a region.
    fn ring_mut(rings: &mut RegionRings) -> &mut Ring<Self>;

    /// Follows the logins and logouts among `events` (user events only).
    fn track_presence(_events: &[Self], _app_id: &str, _presence: &mut Presence) {}
}

impl FeedEvent for UserEvent {
    const FEED: Feed = Feed::UserEvents;

    fn legacy_json(&self) -> serde_json::Value {
        self.to_legacy_json()
    }

    fn ring_mut(rings: &mut RegionRings) -> &mut Ring<Self> {
        &mut rings.user
    }

    fn track_presence(events: &[Self], app_id: &str, presence: &mut Presence) {
        presence.apply(app_id, events);
    }
}

impl FeedEvent for ChannelEvent {
    const FEED: Feed = Feed::ChannelEvents;

    fn legacy_json(&self) -> serde_json::Value {
        self.to_legacy_json()
    }

    fn ring_mut(rings: &mut RegionRings) -> &mut Ring<Self> {
        &mut rings.channel
    }
}

/// A bounded FIFO of events with its counters.
#[derive(Debug)]
pub(crate) struct Ring<T> {
    events: VecDeque<T>,
    stats: FeedStats,
}

impl<T> Default for Ring<T> {
    fn default() -> Self {
        Ring {
            events: VecDeque::new(),
            stats: FeedStats::default(),
        }
    }
}

impl<T> Ring<T> {
    /// Appends an event, pushing out the oldest one when the ring is full.
    pub(crate) fn push(&mut self, event: T) {
        if self.events.len() >= RING_CAPACITY {
            self.events.pop_front();
            self.stats.overwritten += 1;
        }
        self.events.push_back(event);
        self.stats.produced += 1;
    }

    /// Removes and returns up to [`PAGE_SIZE`] events, oldest first.
    pub(crate) fn take_page(&mut self) -> Vec<T> {
        let n = self.events.len().min(PAGE_SIZE);
        self.events.drain(..n).collect()
    }

    /// The counters, with `pending` filled in.
    pub(crate) fn stats(&self) -> FeedStats {
        FeedStats {
            pending: self.events.len() as u64,
            ..self.stats
        }
    }

    /// The counters, for updating.
    pub(crate) fn counters_mut(&mut self) -> &mut FeedStats {
        &mut self.stats
    }
}

/// Both rings of one region.
#[derive(Debug, Default)]
pub(crate) struct RegionRings {
    user: Ring<UserEvent>,
    channel: Ring<ChannelEvent>,
}

/// Everything the emulator keeps about one app id.
#[derive(Debug)]
pub(crate) struct AppEntry {
    pub(crate) requests: u64,
    pub(crate) rate_limited: u64,
    pub(crate) auth_failures: u64,
    pub(crate) faults: FaultStats,
    /// Peer and channel messages sent.
    pub(crate) messages_sent: u64,
    /// History requests answered with a handle or data.
    pub(crate) history_queries: u64,
    regions: Vec<RegionRings>,
}

impl AppEntry {
    fn new(region_count: usize) -> Self {
        AppEntry {
            requests: 0,
            rate_limited: 0,
            auth_failures: 0,
            faults: FaultStats::default(),
            messages_sent: 0,
            history_queries: 0,
            regions: (0..region_count).map(|_| RegionRings::default()).collect(),
        }
    }

    /// The ring of feed `T` in region `region` (None for an unknown index).
    pub(crate) fn ring<T: FeedEvent>(&mut self, region: usize) -> Option<&mut Ring<T>> {
        self.regions.get_mut(region).map(T::ring_mut)
    }
}

/// All rings and counters, keyed by app id. Region indexes follow the
/// configuration's region order.
#[derive(Debug)]
pub(crate) struct Store {
    region_names: Vec<String>,
    apps: HashMap<String, AppEntry>,
}

impl Store {
    pub(crate) fn new(region_names: Vec<String>) -> Self {
        Store {
            region_names,
            apps: HashMap::new(),
        }
    }

    /// The entry of an app id, created on first use.
    pub(crate) fn app(&mut self, app_id: &str) -> &mut AppEntry {
        let regions = self.region_names.len();
        self.apps
            .entry(app_id.to_owned())
            .or_insert_with(|| AppEntry::new(regions))
    }

    /// Appends events to the rings of the given regions (indexes; unknown ones
    /// are skipped).
    pub(crate) fn push<T: FeedEvent>(&mut self, app_id: &str, regions: &[usize], events: &[T]) {
        let entry = self.app(app_id);
        for &region in regions {
            if let Some(ring) = entry.ring::<T>(region) {
                for event in events {
                    ring.push(event.clone());
                }
            }
        }
    }

    /// Empties every ring and zeroes every counter.
    pub(crate) fn clear(&mut self) {
        self.apps.clear();
    }

    /// A snapshot of every counter.
    pub(crate) fn stats(&self) -> Stats {
        let mut stats = Stats::default();
        for (app_id, entry) in &self.apps {
            let mut app = AppStats {
                requests: entry.requests,
                rate_limited: entry.rate_limited,
                auth_failures: entry.auth_failures,
                faults: entry.faults,
                messages_sent: entry.messages_sent,
                history_queries: entry.history_queries,
                history_stored: 0,
                regions: Default::default(),
            };
            for (name, rings) in self.region_names.iter().zip(&entry.regions) {
                app.regions.insert(
                    name.clone(),
                    RegionStats {
                        user_events: rings.user.stats(),
                        channel_events: rings.channel.stats(),
                    },
                );
            }
            stats.apps.insert(app_id.clone(), app);
        }
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agora_rtm_rest_protocol::UserEventKind;

    fn login(i: u64) -> UserEvent {
        UserEvent {
            user_id: format!("u{i}"),
            kind: UserEventKind::Login,
            ms: i,
        }
    }

    #[test]
    fn ring_overwrites_oldest_and_pages() {
        let mut ring = Ring::default();
        for i in 0..2500 {
            ring.push(login(i));
        }
        let s = ring.stats();
        assert_eq!((s.produced, s.overwritten, s.pending), (2500, 500, 2000));
        let first = ring.take_page();
        assert_eq!(first.len(), 1000);
        assert_eq!(first[0].ms, 500);
        let second = ring.take_page();
        assert_eq!(second.len(), 1000);
        assert_eq!(second[999].ms, 2499);
        assert!(ring.take_page().is_empty());
    }

    #[test]
    fn store_pushes_to_selected_regions() {
        let mut store = Store::new(vec!["a".into(), "b".into()]);
        store.push("app", &[1, 7], &[login(1)]);
        let stats = store.stats();
        assert_eq!(stats.feed("app", "a", Feed::UserEvents).unwrap().pending, 0);
        assert_eq!(stats.feed("app", "b", Feed::UserEvents).unwrap().pending, 1);
        store.clear();
        assert!(store.stats().apps.is_empty());
    }
}
