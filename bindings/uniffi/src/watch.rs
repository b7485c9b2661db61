//! [`Watcher`]: the client's watcher behind `next()` / `stop()` / `presence()`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use agora_rtm_rest as rtm;

use crate::error::AgoraRtmError;
use crate::types::{ChannelEvent, Feed, UserEvent};

/// Settings of [`Client::watch`](crate::Client::watch); unset fields keep the
/// SDK defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct WatchOptions {
    /// The feeds to read (empty: both).
    #[uniffi(default)]
    pub feeds: Vec<Feed>,
    /// Base URLs of several regions read side by side (de-duplicated).
    #[uniffi(default)]
    pub sources: Vec<String>,
    /// Rebuild presence (who is online, who is in which channel).
    #[uniffi(default)]
    pub presence: bool,
    /// How often a `Stats` item is emitted, in milliseconds (0: never; default 5 s).
    #[uniffi(default)]
    pub stats_interval_ms: Option<u64>,
    /// Reads in flight per feed after a full page (default 3).
    #[uniffi(default)]
    pub max_in_flight: Option<u32>,
    /// Longest pause between two reads of a feed, in milliseconds (default 1 s).
    #[uniffi(default)]
    pub max_interval_ms: Option<u64>,
    /// A durable sink: `sqlite:PATH` or `jsonl:PATH` (each batch is persisted
    /// before the feed is read again).
    #[uniffi(default)]
    pub sink: Option<String>,
}

/// Events may have been lost here.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Gap {
    /// The feed.
    pub feed: Feed,
    /// The source (base URL or region label).
    pub source: String,
    /// Why: `lost_response`, `overflow`, ... (the protocol's stable name).
    pub reason: String,
    /// Reads whose events are unknown.
    pub lost_reads: u32,
    /// The newest event delivered before the gap (ms), if known.
    pub after_ms: Option<u64>,
    /// The oldest event delivered after the gap (ms), if known.
    pub before_ms: Option<u64>,
    /// An estimate of the events lost, if one can be made.
    pub estimated_events: Option<u64>,
}

/// Counters of one feed.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FeedStats {
    /// The feed.
    pub feed: Feed,
    /// Reads completed.
    pub reads: u64,
    /// Reads that failed.
    pub failed_reads: u64,
    /// Events delivered.
    pub events: u64,
    /// Duplicates dropped.
    pub duplicates: u64,
    /// Gaps reported.
    pub gaps: u64,
    /// Events estimated lost.
    pub estimated_lost: u64,
    /// Waits imposed by the rate limiter.
    pub limiter_waits: u64,
    /// Full pages read.
    pub full_pages: u64,
    /// Observed event rate.
    pub events_per_sec: f64,
}

/// Periodic counters.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct WatchStats {
    /// Time since the watcher started, in milliseconds.
    pub elapsed_ms: u64,
    /// Per feed.
    pub feeds: Vec<FeedStats>,
}

/// One item of a watcher's stream.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum WatchItem {
    /// A login or logout.
    User {
        /// The event.
        event: UserEvent,
    },
    /// A channel join or leave.
    Channel {
        /// The event.
        event: ChannelEvent,
    },
    /// Events may have been lost.
    Gap {
        /// Where and why.
        gap: Gap,
    },
    /// Periodic counters.
    Stats {
        /// The counters.
        stats: WatchStats,
    },
}

impl From<rtm::WatchItem> for WatchItem {
    fn from(item: rtm::WatchItem) -> Self {
        match item {
            rtm::WatchItem::User(e) => WatchItem::User { event: e.into() },
            rtm::WatchItem::Channel(e) => WatchItem::Channel { event: e.into() },
            rtm::WatchItem::Gap(g) => WatchItem::Gap {
                gap: Gap {
                    feed: g.feed.into(),
                    source: g.source,
                    reason: g.reason.as_str().to_owned(),
                    lost_reads: g.lost_reads,
                    after_ms: g.after_ms,
                    before_ms: g.before_ms,
                    estimated_events: g.estimated_events,
                },
            },
            rtm::WatchItem::Stats(s) => WatchItem::Stats {
                stats: WatchStats {
                    elapsed_ms: s.elapsed_ms,
                    feeds: s
                        .feeds
                        .into_iter()
                        .map(|(feed, f)| FeedStats {
                            feed: feed.into(),
                            reads: f.reads,
                            failed_reads: f.failed_reads,
                            events: f.events,
                            duplicates: f.duplicates,
                            gaps: f.gaps,
                            estimated_lost: f.estimated_lost,
                            limiter_waits: f.limiter_waits,
                            full_pages: f.full_pages,
                            events_per_sec: f.events_per_sec,
                        })
                        .collect(),
                },
            },
        }
    }
}

/// A user who is online, and since when.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OnlinePresence {
    /// The RTM user id.
    pub user_id: String,
    /// When the user came online or joined (ms).
    pub since_ms: u64,
}

/// A channel and its members.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ChannelMembers {
    /// The channel.
    pub channel_id: String,
    /// Its members, sorted by user id.
    pub members: Vec<OnlinePresence>,
}

/// Who is online and who is in which channel, sorted.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PresenceSnapshot {
    /// Online users, sorted by user id.
    pub online: Vec<OnlinePresence>,
    /// Occupied channels, sorted by channel id.
    pub channels: Vec<ChannelMembers>,
}

fn members(map: std::collections::BTreeMap<String, u64>) -> Vec<OnlinePresence> {
    map.into_iter()
        .map(|(user_id, since_ms)| OnlinePresence { user_id, since_ms })
        .collect()
}

impl From<rtm::PresenceSnapshot> for PresenceSnapshot {
    fn from(p: rtm::PresenceSnapshot) -> Self {
        PresenceSnapshot {
            online: members(p.online),
            channels: p
                .channels
                .into_iter()
                .map(|(channel_id, m)| ChannelMembers {
                    channel_id,
                    members: members(m),
                })
                .collect(),
        }
    }
}

/// A running watcher. Read it with `next()` until it returns `null`/`nil`;
/// `stop()` ends it cleanly (reads in flight are still delivered, then a last
/// `Stats` item, then the end). uniffi cannot cancel a Rust future, so always
/// `stop()` a watcher you abandon (the Kotlin `Flow` and Swift `AsyncSequence`
/// wrappers do it for you).
#[derive(uniffi::Object)]
pub struct Watcher {
    inner: tokio::sync::Mutex<rtm::Watcher>,
    stop_tx: tokio::sync::watch::Sender<bool>,
    /// The presence seen after the last item, for calls made while `next()` waits.
    last_presence: Mutex<Option<rtm::PresenceSnapshot>>,
}

impl Watcher {
    pub(crate) fn start(
        client: &rtm::Client,
        o: WatchOptions,
    ) -> Result<Arc<Watcher>, AgoraRtmError> {
        let mut options = rtm::WatchOptions::new().presence(o.presence);
        if !o.feeds.is_empty() {
            options = options.feeds(o.feeds.into_iter().map(rtm::Feed::from));
        }
        if !o.sources.is_empty() {
            options = options.sources(o.sources);
        }
        if let Some(ms) = o.stats_interval_ms {
            options = options.stats_interval((ms > 0).then(|| Duration::from_millis(ms)));
        }
        if let Some(n) = o.max_in_flight {
            options = options.max_in_flight(n);
        }
        if let Some(ms) = o.max_interval_ms {
            options = options.max_interval(Duration::from_millis(ms));
        }
        if let Some(spec) = o.sink {
            options = options.boxed_sink(rtm::sink::open(&spec, &Default::default())?);
        }
        let watcher = {
            let _guard = crate::runtime().enter();
            client.watch(options)
        };
        let (stop_tx, _) = tokio::sync::watch::channel(false);
        Ok(Arc::new(Watcher {
            inner: tokio::sync::Mutex::new(watcher),
            stop_tx,
            last_presence: Mutex::new(None),
        }))
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl Watcher {
    /// The next item, `null`/`nil` once the watcher has ended. A fatal failure
    /// (bad credentials, a sink that cannot persist) is thrown once, then the
    /// stream ends.
    pub async fn next(&self) -> Result<Option<WatchItem>, AgoraRtmError> {
        let mut stop_rx = self.stop_tx.subscribe();
        let mut watcher = self.inner.lock().await;
        let mut stop_sent = false;
        loop {
            if !stop_sent && *stop_rx.borrow_and_update() {
                watcher.stop();
                stop_sent = true;
            }
            tokio::select! {
                item = watcher.next() => {
                    *self.last_presence.lock().unwrap_or_else(|e| e.into_inner()) = watcher.presence();
                    return match item {
                        None => Ok(None),
                        Some(Ok(item)) => Ok(Some(item.into())),
                        Some(Err(e)) => Err(e.into()),
                    };
                }
                changed = stop_rx.changed(), if !stop_sent => {
                    if changed.is_err() {
                        stop_sent = true;
                    }
                }
            }
        }
    }

    /// Asks the watcher to stop; keep calling `next()` to receive what was in
    /// flight until it returns `null`/`nil`. Idempotent.
    pub fn stop(&self) {
        self.stop_tx.send_replace(true);
        if let Ok(w) = self.inner.try_lock() {
            w.stop();
        }
    }

    /// The current presence (`null`/`nil` unless enabled). While `next()` is
    /// waiting this is the presence after the last delivered item.
    pub fn presence(&self) -> Option<PresenceSnapshot> {
        let snapshot = match self.inner.try_lock() {
            Ok(w) => w.presence(),
            Err(_) => self
                .last_presence
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        };
        snapshot.map(Into::into)
    }
}
