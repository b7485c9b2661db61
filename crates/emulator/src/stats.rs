//! What the emulator did, as served by `GET /_emulator/stats` and
//! [`Emulator::stats`](crate::Emulator::stats).
//!
//! Per region and feed, every event that entered a ring ends up in exactly one
//! of four places, so `produced == delivered + overwritten + lost_in_faults + pending`
//! holds until a reset.

use std::collections::BTreeMap;

use agora_rtm_rest_protocol::Feed;
use serde::{Deserialize, Serialize};

/// A snapshot of the emulator's counters, by app id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Every app id the emulator has seen (in a request or an injection).
    pub apps: BTreeMap<String, AppStats>,
}

/// Counters of one app id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppStats {
    /// Service requests received (every one, whatever its answer).
    pub requests: u64,
    /// Requests answered 429, by the rate limit or by an injected fault.
    pub rate_limited: u64,
    /// Requests answered 401.
    pub auth_failures: u64,
    /// Injected faults, by kind.
    #[serde(default)]
    pub faults: FaultStats,
    /// Peer and channel messages the service accepted (including those whose
    /// response was then lost to an injected fault).
    #[serde(default)]
    pub messages_sent: u64,
    /// History requests served: legacy queries created, legacy counts answered
    /// (in progress or ok) and Signaling 2.x reads answered 200.
    #[serde(default)]
    pub history_queries: u64,
    /// Messages in the app id's history now.
    #[serde(default)]
    pub history_stored: u64,
    /// Ring counters by region name (every configured region is listed).
    pub regions: BTreeMap<String, RegionStats>,
}

/// How many requests each kind of injected fault hit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultStats {
    /// Answered 408.
    pub timeouts: u64,
    /// Answered 500 or 503.
    pub server_errors: u64,
    /// Answered an injected 429 (also counted in `rate_limited`).
    pub throttles: u64,
    /// Connections broken after dequeuing (also counted per feed in `lost_responses`).
    pub lost_responses: u64,
}

/// The two feeds of one region.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionStats {
    /// The user events ring.
    pub user_events: FeedStats,
    /// The channel events ring.
    pub channel_events: FeedStats,
}

impl RegionStats {
    /// The counters of one feed.
    pub fn feed(&self, feed: Feed) -> &FeedStats {
        match feed {
            Feed::UserEvents => &self.user_events,
            Feed::ChannelEvents => &self.channel_events,
        }
    }
}

/// Counters of one ring (one app id, one region, one feed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedStats {
    /// Events that entered the ring (injected or simulated).
    pub produced: u64,
    /// Events returned in a 200 response that was sent.
    pub delivered: u64,
    /// Events pushed out of a full ring by newer ones.
    pub overwritten: u64,
    /// Events dequeued by a read whose response was then lost.
    pub lost_in_faults: u64,
    /// Reads whose response was lost after dequeuing.
    pub lost_responses: u64,
    /// Requests to this feed in this region (every one, whatever its answer).
    pub requests: u64,
    /// Events in the ring now.
    pub pending: u64,
}

impl FeedStats {
    /// Adds another ring's counters to these (for totals across regions).
    pub fn add(&mut self, other: &FeedStats) {
        self.produced += other.produced;
        self.delivered += other.delivered;
        self.overwritten += other.overwritten;
        self.lost_in_faults += other.lost_in_faults;
        self.lost_responses += other.lost_responses;
        self.requests += other.requests;
        self.pending += other.pending;
    }

    /// True when every produced event is accounted for
    /// (`produced == delivered + overwritten + lost_in_faults + pending`).
    pub fn is_balanced(&self) -> bool {
        self.produced == self.delivered + self.overwritten + self.lost_in_faults + self.pending
    }
}

impl Stats {
    /// The counters of one app id, if it has been seen.
    pub fn app(&self, app_id: &str) -> Option<&AppStats> {
        self.apps.get(app_id)
    }

    /// The counters of one ring, if the app id and region exist.
    pub fn feed(&self, app_id: &str, region: &str, feed: Feed) -> Option<&FeedStats> {
        Some(self.apps.get(app_id)?.regions.get(region)?.feed(feed))
    }
}

impl AppStats {
    /// One feed's counters summed over every region.
    pub fn total(&self, feed: Feed) -> FeedStats {
        let mut sum = FeedStats::default();
        for region in self.regions.values() {
            sum.add(region.feed(feed));
        }
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_to_the_documented_shape() {
        let mut app = AppStats {
            requests: 3,
            ..AppStats::default()
        };
        let mut region = RegionStats::default();
        region.user_events.produced = 5;
        region.user_events.pending = 5;
        app.regions.insert("us-west-1".into(), region);
        let mut stats = Stats::default();
        stats.apps.insert("app".into(), app);
        let json = serde_json::to_value(&stats).unwrap();
        assert_eq!(json["apps"]["app"]["requests"], 3);
        assert_eq!(
            json["apps"]["app"]["regions"]["us-west-1"]["user_events"]["produced"],
            5
        );
        assert_eq!(
            json["apps"]["app"]["regions"]["us-west-1"]["channel_events"]["pending"],
            0
        );
        let back: Stats = serde_json::from_value(json).unwrap();
        assert_eq!(back, stats);
        let app = back.app("app").unwrap();
        assert!(app.total(Feed::UserEvents).is_balanced());
        assert_eq!(
            back.feed("app", "us-west-1", Feed::UserEvents)
                .unwrap()
                .pending,
            5
        );
    }
}
