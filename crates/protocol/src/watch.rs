//! What a watcher delivers: events, gaps (possible loss, as data) and stats.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::models::{ChannelEvent, Feed, UserEvent};

/// Why events may have been lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GapReason {
    /// A read reached the service (which removed its events) but its response was lost.
    LostResponse,
    /// A 2xx arrived but could not be decoded: its events were removed and are unreadable.
    Undecodable,
    /// The server-side buffer (2000 events) overflowed: a full page began well after
    /// the previous page ended, so the oldest events were overwritten.
    Overflow,
    /// The feed could not be read for a period (errors after all retries).
    Unreadable,
}

impl GapReason {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            GapReason::LostResponse => "lost_response",
            GapReason::Undecodable => "undecodable",
            GapReason::Overflow => "overflow",
            GapReason::Unreadable => "unreadable",
        }
    }
}

/// A stretch of a feed where events may be missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// The feed.
    pub feed: Feed,
    /// The source (host) read.
    pub source: String,
    /// Why.
    pub reason: GapReason,
    /// Reads whose events were lost (lost responses, undecodable pages).
    pub lost_reads: u32,
    /// The newest event time delivered before the gap, if any.
    pub after_ms: Option<u64>,
    /// The oldest event time delivered after the gap, if known yet.
    pub before_ms: Option<u64>,
    /// The best estimate of the events lost (from the observed event rate or the
    /// jump in event times), when one can be made.
    pub estimated_events: Option<u64>,
}

/// Counters of one feed since the watcher started.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeedWatchStats {
    /// Completed reads (successful or not).
    pub reads: u64,
    /// Reads that failed after all retries.
    pub failed_reads: u64,
    /// Events delivered (after de-duplication).
    pub events: u64,
    /// Events dropped as duplicates (read from more than one region).
    pub duplicates: u64,
    /// Gaps reported.
    pub gaps: u64,
    /// Sum of the gaps' estimates.
    pub estimated_lost: u64,
    /// 429 answers received.
    pub server_429s: u64,
    /// Times the client-side limiter made a read wait.
    pub limiter_waits: u64,
    /// Full pages (1000 events) read.
    pub full_pages: u64,
    /// Events per second delivered over the last stats interval.
    pub events_per_sec: f64,
}

/// A periodic report of the watcher.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WatchStats {
    /// Milliseconds since the watcher started.
    pub elapsed_ms: u64,
    /// Per feed.
    pub feeds: BTreeMap<Feed, FeedWatchStats>,
}

/// One item of a watcher's stream.
#[derive(Debug, Clone, PartialEq)]
pub enum WatchItem {
    /// A login or logout.
    User(UserEvent),
    /// A channel join or leave.
    Channel(ChannelEvent),
    /// Events may have been lost here.
    Gap(Gap),
    /// Periodic counters.
    Stats(WatchStats),
}

impl WatchItem {
    /// The item as one JSON object (`{"item": "user_event", ...}`), the format of
    /// the CLI's JSON lines and of the JSON-lines sink.
    ///
    /// ```
    /// use agora_rtm_rest_protocol::watch::WatchItem;
    /// use agora_rtm_rest_protocol::{UserEvent, UserEventKind};
    /// let item = WatchItem::User(UserEvent { user_id: "u".into(), kind: UserEventKind::Login, ms: 1 });
    /// assert_eq!(item.to_json().to_string(), r#"{"item":"user_event","ms":1,"type":"Login","user_id":"u"}"#);
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        let (kind, value) = match self {
            WatchItem::User(e) => ("user_event", serde_json::to_value(e)),
            WatchItem::Channel(e) => ("channel_event", serde_json::to_value(e)),
            WatchItem::Gap(g) => ("gap", serde_json::to_value(g)),
            WatchItem::Stats(s) => ("stats", serde_json::to_value(s)),
        };
        let mut value = value.unwrap_or_default();
        if let Some(map) = value.as_object_mut() {
            map.insert("item".into(), kind.into());
        }
        value
    }
}
