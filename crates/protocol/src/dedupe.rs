//! A bounded window of recently seen event keys, to drop the duplicates that
//! reading more than one region produces (SPEC section 3: key = feed, user,
//! channel, type, ms).
//!
//! Memory: each key is kept as a 64-bit hash (SipHash with fixed keys) in a set
//! and a FIFO, about 24 bytes per key; the default 65,536 keys take about 1.5 MiB.
//! The false-positive chance (two different events with one hash) is about
//! n^2 / 2^65, i.e. below 1e-10 for a full window.

use std::collections::{HashSet, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};

use crate::models::EventKey;

/// Remembers the last `capacity` keys.
///
/// ```
/// use agora_rtm_rest_protocol::dedupe::DedupeWindow;
/// use agora_rtm_rest_protocol::{UserEvent, UserEventKind};
/// let mut w = DedupeWindow::new(2);
/// let e = UserEvent { user_id: "u".into(), kind: UserEventKind::Login, ms: 1 };
/// assert!(w.insert(&e.key()));
/// assert!(!w.insert(&e.key()), "second sighting is a duplicate");
/// ```
#[derive(Debug, Clone)]
pub struct DedupeWindow {
    capacity: usize,
    set: HashSet<u64>,
    order: VecDeque<u64>,
}

impl DedupeWindow {
    /// The default window: 65,536 keys (more than 16 full server buffers).
    pub const DEFAULT_CAPACITY: usize = 65_536;

    /// A window of `capacity` keys (at least 1).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        DedupeWindow {
            capacity,
            set: HashSet::with_capacity(capacity),
            order: VecDeque::with_capacity(capacity),
        }
    }

    fn hash(key: &EventKey) -> u64 {
        // DefaultHasher::new() is SipHash-1-3 with fixed zero keys: stable within a
        // process and across runs of the same build.
        let mut h = DefaultHasher::new();
        key.hash(&mut h);
        h.finish()
    }

    /// Records `key`; false when it was already in the window (a duplicate).
    pub fn insert(&mut self, key: &EventKey) -> bool {
        let h = Self::hash(key);
        if !self.set.insert(h) {
            return false;
        }
        self.order.push_back(h);
        if self.order.len() > self.capacity
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        true
    }

    /// True when `key` is in the window.
    pub fn contains(&self, key: &EventKey) -> bool {
        self.set.contains(&Self::hash(key))
    }

    /// Keys currently remembered.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}
