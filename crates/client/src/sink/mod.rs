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

pub mod jsonl;
pub mod sqlite;
pub mod stdout;
pub mod webhook;

pub use jsonl::JsonlSink;
pub use sqlite::SqliteSink;
pub use stdout::StdoutSink;
pub use webhook::WebhookSink;

use agora_rtm_rest_protocol::Secret;

/// Settings of the sinks that [`open`] builds. Each applies to one kind of sink
/// and is ignored by the others.
#[derive(Debug, Clone)]
pub struct SinkOptions {
    /// The HMAC key of `webhook:` sinks (required by them). Never printed.
    pub webhook_secret: Option<Secret>,
    /// `jsonl:` sinks rotate the file once a batch leaves it larger than this
    /// (default 64 MiB).
    pub jsonl_max_bytes: u64,
    /// How many rotated files (`PATH.1` ... `PATH.N`) a `jsonl:` sink keeps (default 5).
    pub jsonl_keep: u32,
    /// Delivery attempts per batch of a `webhook:` sink before it fails with
    /// [`SinkError::Webhook`]; `None` (the default) retries forever, which makes
    /// the watcher wait (back-pressure) instead of dropping anything.
    pub webhook_max_attempts: Option<u32>,
}

impl Default for SinkOptions {
    fn default() -> Self {
        SinkOptions {
            webhook_secret: None,
            jsonl_max_bytes: jsonl::DEFAULT_MAX_BYTES,
            jsonl_keep: jsonl::DEFAULT_KEEP,
            webhook_max_attempts: None,
        }
    }
}

/// The accepted forms of a sink specification, for error messages and help texts.
pub const SINK_SPEC_FORMS: &str = "`jsonl:PATH` (JSON lines file), `sqlite:PATH` (SQLite database), `webhook:URL` (http or https) or `-` (stdout)";

/// Opens the sink a specification names: `jsonl:PATH`, `sqlite:PATH`,
/// `webhook:URL` (http or https; needs [`SinkOptions::webhook_secret`]) or `-`
/// (JSON lines on stdout).
///
/// Files are opened (and a database's schema created) before this returns, so
/// a bad path fails here rather than at the first batch.
///
/// ```no_run
/// use agora_rtm_rest::sink::{open, SinkOptions};
/// let sink = open("sqlite:events.db", &SinkOptions::default())?;
/// # Ok::<(), agora_rtm_rest::sink::SinkError>(())
/// ```
pub fn open(spec: &str, options: &SinkOptions) -> Result<Box<dyn Sink>, SinkError> {
    if spec == "-" {
        return Ok(Box::new(StdoutSink::new()));
    }
    let Some((kind, rest)) = spec.split_once(':') else {
        return Err(bad_spec(spec, "missing `KIND:`"));
    };
    if rest.is_empty() {
        return Err(bad_spec(spec, "nothing after the colon"));
    }
    match kind {
        "jsonl" => Ok(Box::new(JsonlSink::open_with(
            rest,
            options.jsonl_max_bytes,
            options.jsonl_keep,
        )?)),
        "sqlite" => Ok(Box::new(SqliteSink::open(rest)?)),
        "webhook" => {
            let Some(secret) = options.webhook_secret.clone() else {
                return Err(SinkError::Config(
                    "a webhook sink needs a signing secret (SinkOptions::webhook_secret)".into(),
                ));
            };
            let sink =
                WebhookSink::new(rest, secret)?.max_attempts(options.webhook_max_attempts)?;
            Ok(Box::new(sink))
        }
        _ => Err(bad_spec(spec, "unknown sink kind")),
    }
}

fn bad_spec(spec: &str, why: &str) -> SinkError {
    SinkError::Config(format!(
        "bad sink `{spec}` ({why}): expected {SINK_SPEC_FORMS}"
    ))
}
