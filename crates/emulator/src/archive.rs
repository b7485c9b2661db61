//! The message history of every app id: messages sent with
//! `enable_historical_messaging` (or stored by a test), as both history APIs
//! read them.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The most messages one app id's history keeps; beyond it (or beyond
/// [`HISTORY_MAX_BYTES`] of payload) the oldest messages are dropped.
pub const HISTORY_CAPACITY: usize = 20_000;

/// The most payload bytes one app id's history keeps.
pub const HISTORY_MAX_BYTES: usize = 64 * 1024 * 1024;

/// Whether a history message was sent to a user or to a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// A peer message: `dst` is a user id (`"peer_message"`).
    Peer,
    /// A channel message: `dst` is a channel name (`"channel_message"`).
    Channel,
}

impl MessageKind {
    /// The legacy history API's `message_type`: `"peer_message"` or
    /// `"channel_message"`.
    pub fn message_type(self) -> &'static str {
        match self {
            MessageKind::Peer => "peer_message",
            MessageKind::Channel => "channel_message",
        }
    }

    /// The kind named by a legacy `message_type`, if it is one of the two.
    pub fn from_message_type(text: &str) -> Option<MessageKind> {
        match text {
            "peer_message" => Some(MessageKind::Peer),
            "channel_message" => Some(MessageKind::Channel),
            _ => None,
        }
    }
}

/// A history message's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryPayload {
    /// Text, as the send endpoints store it (Signaling 2.x `"STRING"`).
    Text(String),
    /// Bytes (Signaling 2.x `"BINARY"`); both history APIs show them as
    /// standard padded base64.
    Binary(Vec<u8>),
}

impl HistoryPayload {
    /// The payload as the APIs show it: the text, or the bytes in base64.
    pub fn to_wire_text(&self) -> String {
        match self {
            HistoryPayload::Text(text) => text.clone(),
            HistoryPayload::Binary(bytes) => STANDARD.encode(bytes),
        }
    }

    /// Signaling 2.x `messageType`: `"STRING"` or `"BINARY"`.
    pub fn v2_type(&self) -> &'static str {
        match self {
            HistoryPayload::Text(_) => "STRING",
            HistoryPayload::Binary(_) => "BINARY",
        }
    }

    fn len(&self) -> usize {
        match self {
            HistoryPayload::Text(text) => text.len(),
            HistoryPayload::Binary(bytes) => bytes.len(),
        }
    }
}

/// A message to put into an app id's history with
/// [`Emulator::store_history_message`](crate::Emulator::store_history_message).
///
/// ```
/// use agora_rtm_rest_emulator::{HistoryPayload, HistoryRecord, MessageKind};
/// let record = HistoryRecord {
///     src: "alice".into(),
///     dst: "bob".into(),
///     kind: MessageKind::Peer,
///     payload: HistoryPayload::Binary(vec![0, 159, 255]),
///     ms: None, // stamped like a sent message
/// };
/// assert_eq!(record.payload.to_wire_text(), "AJ//");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRecord {
    /// The sender's user id.
    pub src: String,
    /// The receiving user id (peer) or channel name (channel).
    pub dst: String,
    /// Peer or channel message.
    pub kind: MessageKind,
    /// Text or bytes.
    pub payload: HistoryPayload,
    /// The Unix ms timestamp, kept as given; `None` stamps it as a sent
    /// message would be (now, strictly after every message of the app id).
    pub ms: Option<u64>,
}

/// A message in the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredMessage {
    pub(crate) src: String,
    pub(crate) dst: String,
    pub(crate) kind: MessageKind,
    pub(crate) payload: HistoryPayload,
    pub(crate) ms: u64,
}

/// What the legacy history API selects: sender and/or destination, and an
/// inclusive range of Unix ms (may be negative before 1970).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct LegacyFilter {
    pub(crate) source: Option<String>,
    pub(crate) destination: Option<String>,
    pub(crate) from_ms: i64,
    pub(crate) to_ms: i64,
}

impl LegacyFilter {
    fn matches(&self, m: &StoredMessage) -> bool {
        self.source.as_deref().is_none_or(|s| s == m.src)
            && self.destination.as_deref().is_none_or(|d| d == m.dst)
    }

    /// The ms range as map bounds (None when it is empty).
    fn bounds(&self) -> Option<KeyRange> {
        if self.to_ms < 0 || self.from_ms > self.to_ms {
            return None;
        }
        let from = u64::try_from(self.from_ms.max(0)).unwrap_or(0);
        let to = u64::try_from(self.to_ms).unwrap_or(0);
        Some((Bound::Included((from, 0)), Bound::Included((to, u64::MAX))))
    }
}

/// A range of history keys (ms, arrival).
type KeyRange = (Bound<(u64, u64)>, Bound<(u64, u64)>);

/// What a Signaling 2.x history request selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Conversation<'a> {
    /// Channel messages sent to this channel.
    Channel(&'a str),
    /// Peer messages between these two users, either way.
    Peers(&'a str, &'a str),
}

impl Conversation<'_> {
    fn matches(&self, m: &StoredMessage) -> bool {
        match *self {
            Conversation::Channel(channel) => m.kind == MessageKind::Channel && m.dst == channel,
            Conversation::Peers(a, b) => {
                m.kind == MessageKind::Peer
                    && ((m.src == a && m.dst == b) || (m.src == b && m.dst == a))
            }
        }
    }
}

/// One app id's history, ordered by (ms, arrival).
#[derive(Debug, Default)]
struct AppHistory {
    messages: BTreeMap<(u64, u64), StoredMessage>,
    next_seq: u64,
    /// The newest ms stored or stamped.
    last_ms: u64,
    bytes: usize,
}

impl AppHistory {
    fn insert(&mut self, message: StoredMessage) {
        self.last_ms = self.last_ms.max(message.ms);
        self.bytes += message.payload.len();
        self.messages.insert((message.ms, self.next_seq), message);
        self.next_seq += 1;
        while self.messages.len() > HISTORY_CAPACITY || self.bytes > HISTORY_MAX_BYTES {
            match self.messages.pop_first() {
                Some((_, dropped)) => {
                    self.bytes = self.bytes.saturating_sub(dropped.payload.len());
                }
                None => break,
            }
        }
    }
}

/// Every app id's history.
#[derive(Debug, Default)]
pub(crate) struct Archive {
    apps: HashMap<String, AppHistory>,
}

impl Archive {
    /// The timestamp of a message sent now: `now_ms`, or one more than the
    /// app id's newest message when the clock has not moved past it, so
    /// stamped messages have unique, increasing timestamps.
    fn stamp(history: &AppHistory, now_ms: u64) -> u64 {
        if now_ms <= history.last_ms {
            history.last_ms.saturating_add(1)
        } else {
            now_ms
        }
    }

    /// Stores a message (stamping it when `record.ms` is `None`); returns its ms.
    pub(crate) fn store(&mut self, app_id: &str, record: HistoryRecord, now_ms: u64) -> u64 {
        let history = self.apps.entry(app_id.to_owned()).or_default();
        let ms = record.ms.unwrap_or_else(|| Self::stamp(history, now_ms));
        history.insert(StoredMessage {
            src: record.src,
            dst: record.dst,
            kind: record.kind,
            payload: record.payload,
            ms,
        });
        ms
    }

    /// The messages the legacy filter selects, oldest first.
    pub(crate) fn select_legacy(&self, app_id: &str, filter: &LegacyFilter) -> Vec<StoredMessage> {
        let (Some(history), Some(bounds)) = (self.apps.get(app_id), filter.bounds()) else {
            return Vec::new();
        };
        history
            .messages
            .range(bounds)
            .map(|(_, m)| m)
            .filter(|m| filter.matches(m))
            .cloned()
            .collect()
    }

    /// How many messages the legacy filter selects.
    pub(crate) fn count_legacy(&self, app_id: &str, filter: &LegacyFilter) -> u64 {
        let (Some(history), Some(bounds)) = (self.apps.get(app_id), filter.bounds()) else {
            return 0;
        };
        history
            .messages
            .range(bounds)
            .filter(|(_, m)| filter.matches(m))
            .count() as u64
    }

    /// Signaling 2.x selection: the conversation's messages with
    /// `end <= ms <= start` (each bound when given), newest first, at most
    /// `count` (fewer, or more, rather than split messages of one ms between
    /// pages); with the ms of the next older match (0 when none is left).
    pub(crate) fn select_v2(
        &self,
        app_id: &str,
        conversation: &Conversation<'_>,
        start: Option<u64>,
        end: Option<u64>,
        count: usize,
    ) -> (Vec<StoredMessage>, u64) {
        let Some(history) = self.apps.get(app_id) else {
            return (Vec::new(), 0);
        };
        let upper = start.unwrap_or(u64::MAX);
        let lower = end.unwrap_or(0);
        if lower > upper {
            return (Vec::new(), 0);
        }
        let mut matches = history
            .messages
            .range((lower, 0)..=(upper, u64::MAX))
            .rev()
            .map(|(_, m)| m)
            .filter(|m| conversation.matches(m))
            .peekable();
        let mut page: Vec<&StoredMessage> = matches.by_ref().take(count).collect();
        // The next request starts at `newStart` inclusive, so a page must not
        // end inside a group of messages with the same ms: the group's newer
        // half would be sent twice (and a group larger than a page would
        // never be left). End the page before the group, or, when the group
        // is the whole page, make the page the whole group.
        let mut new_start = matches.peek().map_or(0, |m| m.ms);
        if let (Some(last), Some(next)) = (page.last(), matches.peek())
            && last.ms == next.ms
        {
            let split = last.ms;
            match page.iter().rposition(|m| m.ms != split) {
                Some(i) => {
                    page.truncate(i + 1);
                    new_start = split;
                }
                None => {
                    while let Some(m) = matches.next_if(|m| m.ms == split) {
                        page.push(m);
                    }
                    new_start = matches.peek().map_or(0, |m| m.ms);
                }
            }
        }
        (page.into_iter().cloned().collect(), new_start)
    }

    /// How many messages an app id's history holds.
    pub(crate) fn len(&self, app_id: &str) -> u64 {
        self.apps
            .get(app_id)
            .map_or(0, |history| history.messages.len() as u64)
    }

    /// Forgets every message.
    pub(crate) fn clear(&mut self) {
        self.apps.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(src: &str, dst: &str, ms: Option<u64>) -> HistoryRecord {
        HistoryRecord {
            src: src.into(),
            dst: dst.into(),
            kind: MessageKind::Peer,
            payload: HistoryPayload::Text("hi".into()),
            ms,
        }
    }

    #[test]
    fn stamps_are_strictly_increasing() {
        let mut archive = Archive::default();
        let a = archive.store("app", peer("a", "b", None), 1000);
        let b = archive.store("app", peer("a", "b", None), 1000);
        let c = archive.store("app", peer("a", "b", None), 999);
        let d = archive.store("app", peer("a", "b", None), 2000);
        assert_eq!((a, b, c, d), (1000, 1001, 1002, 2000));
        // An explicit ms is kept, and later stamps go past it.
        assert_eq!(archive.store("app", peer("a", "b", Some(5000)), 2001), 5000);
        assert_eq!(archive.store("app", peer("a", "b", None), 2002), 5001);
        // Another app id has its own clock.
        assert_eq!(archive.store("other", peer("a", "b", None), 10), 10);
        assert_eq!(archive.len("app"), 6);
    }

    #[test]
    fn legacy_filter_and_range() {
        let mut archive = Archive::default();
        for (i, (src, dst)) in [("a", "b"), ("b", "a"), ("a", "c"), ("a", "b")]
            .into_iter()
            .enumerate()
        {
            archive.store("app", peer(src, dst, Some(1000 * (i as u64 + 1))), 0);
        }
        let filter = LegacyFilter {
            source: Some("a".into()),
            destination: None,
            from_ms: 0,
            to_ms: 3999,
        };
        let got: Vec<u64> = archive
            .select_legacy("app", &filter)
            .iter()
            .map(|m| m.ms)
            .collect();
        assert_eq!(got, vec![1000, 3000]);
        assert_eq!(archive.count_legacy("app", &filter), 2);
        let both = LegacyFilter {
            source: Some("a".into()),
            destination: Some("b".into()),
            from_ms: -5000,
            to_ms: 4000,
        };
        assert_eq!(archive.count_legacy("app", &both), 2);
        let empty = LegacyFilter { to_ms: -1, ..both };
        assert_eq!(archive.count_legacy("app", &empty), 0);
        assert_eq!(archive.count_legacy("nobody", &filter), 0);
    }

    #[test]
    fn v2_pages_newest_first() {
        let mut archive = Archive::default();
        for ms in 1..=5 {
            archive.store("app", peer("a", "b", Some(ms)), 0);
            archive.store("app", peer("a", "z", Some(ms)), 0);
        }
        archive.store("app", peer("b", "a", Some(6)), 0);
        let conv = Conversation::Peers("a", "b");
        let ms = |v: &[StoredMessage]| v.iter().map(|m| m.ms).collect::<Vec<_>>();
        let (page, next) = archive.select_v2("app", &conv, None, None, 4);
        assert_eq!((ms(&page), next), (vec![6, 5, 4, 3], 2));
        let (page, next) = archive.select_v2("app", &conv, Some(next), None, 4);
        assert_eq!((ms(&page), next), (vec![2, 1], 0));
        let (page, next) = archive.select_v2("app", &conv, None, Some(4), 100);
        assert_eq!((ms(&page), next), (vec![6, 5, 4], 0));
        let (page, _) = archive.select_v2("app", &conv, Some(1), Some(2), 100);
        assert!(page.is_empty());
        let (page, _) = archive.select_v2("app", &Conversation::Channel("b"), None, None, 100);
        assert!(page.is_empty());
    }

    /// Follows `newStart` from the newest message to the end, page by page.
    fn v2_walk(archive: &Archive, conv: &Conversation<'_>, count: usize) -> Vec<u64> {
        let (mut seen, mut start) = (Vec::new(), None);
        for _ in 0..100 {
            let (page, next) = archive.select_v2("app", conv, start, None, count);
            seen.extend(page.iter().map(|m| m.ms));
            if next == 0 {
                return seen;
            }
            start = Some(next);
        }
        panic!("newStart never reached 0: {seen:?}");
    }

    #[test]
    fn v2_pages_never_split_messages_of_one_timestamp() {
        // start = newStart is inclusive: a page boundary between two messages
        // of the same ms would repeat the newer ones (or, with more of them
        // than a page holds, never make progress).
        let mut archive = Archive::default();
        for ms in [9, 7, 7, 7, 5, 5, 3] {
            archive.store("app", peer("a", "b", Some(ms)), 0);
        }
        let conv = Conversation::Peers("a", "b");
        for count in 1..=8 {
            assert_eq!(
                v2_walk(&archive, &conv, count),
                vec![9, 7, 7, 7, 5, 5, 3],
                "messageCount {count}"
            );
        }
        // A page ends before a timestamp group it cannot hold whole...
        let (page, next) = archive.select_v2("app", &conv, None, None, 3);
        assert_eq!((page.len(), next), (1, 7));
        // ...unless the group is all it has: then the whole group is the page.
        let (page, next) = archive.select_v2("app", &conv, Some(7), None, 2);
        assert_eq!((page.len(), next), (3, 5));
    }

    #[test]
    fn capacity_drops_the_oldest() {
        let mut archive = Archive::default();
        for ms in 0..(HISTORY_CAPACITY as u64 + 3) {
            archive.store("app", peer("a", "b", Some(ms)), 0);
        }
        assert_eq!(archive.len("app"), HISTORY_CAPACITY as u64);
        let (page, _) = archive.select_v2("app", &Conversation::Peers("a", "b"), Some(3), None, 10);
        assert_eq!(page.len(), 1);
        archive.clear();
        assert_eq!(archive.len("app"), 0);
    }
}
