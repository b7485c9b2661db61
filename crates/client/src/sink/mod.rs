//! Where a watcher persists what it reads. Every batch (the events and gaps of one
//! read, in delivery order) is written, durably, before the watcher issues the
//! next read of that feed: a crash can lose at most the reads in flight.

use agora_rtm_rest_protocol::presence::PresenceSnapshot;
use agora_rtm_rest_protocol::watch::WatchItem;
use agora_rtm_rest_protocol::{EventKey, Feed};

use crate::transport::BoxFuture;

/// The events and gaps of one read, in delivery order (no `Stats` items).
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// The feed read.
    pub feed: Feed,
    /// The source (host) read.
    pub source: String,
    /// Events (`WatchItem::User` / `WatchItem::Channel`) and gaps (`WatchItem::Gap`).
    pub items: Vec<WatchItem>,
}

/// What a sink remembers from an earlier run: presence, and the keys of recently
/// persisted events (so that a re-read from another region is not delivered twice).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Restored {
    /// Presence as of the last persisted batch.
    pub presence: PresenceSnapshot,
    /// Keys of the most recent events persisted (newest last).
    pub recent_keys: Vec<EventKey>,
}

/// A failure of a sink. The watcher stops on it (it never drops a batch silently).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SinkError {
    /// A file could not be written or synced.
    #[error("sink I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The SQLite database failed.
    #[error("sqlite sink error: {0}")]
    Sqlite(String),
    /// The webhook endpoint failed and the sink gave up (only when configured to).
    #[error("webhook sink error: {0}")]
    Webhook(String),
    /// The sink specification or its settings are invalid.
    #[error("invalid sink configuration: {0}")]
    Config(String),
}

/// A destination for watched events.
pub trait Sink: Send + 'static {
    /// Persists `batch`; returns only when it is durable (or failed).
    fn write<'a>(&'a mut self, batch: &'a Batch) -> BoxFuture<'a, Result<(), SinkError>>;

    /// State from an earlier run, if the sink keeps any (SQLite does).
    fn restore(&mut self) -> BoxFuture<'_, Result<Option<Restored>, SinkError>> {
        Box::pin(async { Ok(None) })
    }

    /// Flushes and releases resources (called once when the watcher stops).
    fn close(&mut self) -> BoxFuture<'_, Result<(), SinkError>> {
        Box::pin(async { Ok(()) })
    }
}
