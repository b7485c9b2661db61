//! The watcher: drains both event feeds at the service's limit, forever, and
//! delivers events, gaps and stats as a [`Stream`]. The decisions (cadence, order,
//! de-duplication, gap accounting) are the protocol crate's
//! `Poller` (`agora_rtm_rest_protocol::poller::Poller`); this module does the I/O.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use agora_rtm_rest_protocol::poller::{PollStep, Poller, PollerConfig, ReadOutcome, ReadTicket};
use agora_rtm_rest_protocol::presence::{Presence, PresenceSnapshot};
pub use agora_rtm_rest_protocol::watch::{FeedWatchStats, Gap, GapReason, WatchItem, WatchStats};
use agora_rtm_rest_protocol::{
    Endpoints, Error, ErrorKind, ExchangeReport, Feed, ReadChannelEvents, ReadUserEvents,
};
use futures_util::stream::{FuturesUnordered, Stream, StreamExt as _};
use tokio::sync::{mpsc, watch};

use crate::client::Client;
use crate::clock;
use crate::sink::{Batch, Sink, SinkError};

/// Why a watcher stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WatchError {
    /// A read failed in a way retrying cannot fix (bad credentials, invalid input).
    #[error(transparent)]
    Client(#[from] Error),
    /// The sink could not persist a batch: the watcher stops rather than drop it.
    #[error(transparent)]
    Sink(#[from] SinkError),
}

/// Settings of [`Client::watch`].
///
/// ```
/// use agora_rtm_rest::watch::WatchOptions;
/// use agora_rtm_rest::Feed;
/// use std::time::Duration;
/// let options = WatchOptions::new()
///     .feeds([Feed::ChannelEvents])
///     .presence(true)
///     .stats_interval(Some(Duration::from_secs(10)));
/// ```
pub struct WatchOptions {
    feeds: Vec<Feed>,
    sources: Vec<String>,
    presence: bool,
    stats_interval: Option<Duration>,
    max_in_flight: u32,
    max_interval: Duration,
    buffer: usize,
    sink: Option<Box<dyn Sink>>,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            feeds: Feed::ALL.to_vec(),
            sources: Vec::new(),
            presence: false,
            stats_interval: Some(Duration::from_secs(5)),
            max_in_flight: 3,
            max_interval: Duration::from_secs(1),
            buffer: 1024,
            sink: None,
        }
    }
}

impl std::fmt::Debug for WatchOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchOptions")
            .field("feeds", &self.feeds)
            .field("sources", &self.sources)
            .field("presence", &self.presence)
            .field("stats_interval", &self.stats_interval)
            .field("sink", &self.sink.is_some())
            .finish_non_exhaustive()
    }
}

impl WatchOptions {
    /// Both feeds, the client's own host list, stats every 5 s, no presence, no sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// Which feeds to read.
    pub fn feeds(mut self, feeds: impl IntoIterator<Item = Feed>) -> Self {
        self.feeds = feeds.into_iter().collect();
        self
    }

    /// Base URLs to read side by side (one per region, for coverage); events read
    /// from more than one are de-duplicated. Default: the client's own hosts, with
    /// failover.
    pub fn sources<I, S>(mut self, urls: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.sources = urls.into_iter().map(Into::into).collect();
        self
    }

    /// Keeps presence (who is online, who is in which channel) up to date;
    /// read it with [`Watcher::presence`].
    pub fn presence(mut self, on: bool) -> Self {
        self.presence = on;
        self
    }

    /// How often to emit a `Stats` item (`None`: never).
    pub fn stats_interval(mut self, every: Option<Duration>) -> Self {
        self.stats_interval = every;
        self
    }

    /// Reads outstanding per feed and source while pages come back full (default 3).
    pub fn max_in_flight(mut self, n: u32) -> Self {
        self.max_in_flight = n.max(1);
        self
    }

    /// Longest pause between reads of a quiet feed (default 1 s).
    pub fn max_interval(mut self, every: Duration) -> Self {
        self.max_interval = every;
        self
    }

    /// Items buffered for a slow consumer before the watcher stops reading (default 1024).
    pub fn buffer(mut self, items: usize) -> Self {
        self.buffer = items.max(1);
        self
    }

    /// Persists every batch before the next read of its feed.
    pub fn sink(mut self, sink: impl Sink) -> Self {
        self.sink = Some(Box::new(sink));
        self
    }

    /// Like [`sink`](Self::sink), for an already boxed sink.
    pub fn boxed_sink(mut self, sink: Box<dyn Sink>) -> Self {
        self.sink = Some(sink);
        self
    }
}

/// A running watcher: a [`Stream`] of `Result<WatchItem, WatchError>`.
///
/// Call [`stop`](Self::stop) to end it cleanly: no new read is started, reads in
/// flight (whose events the service already removed) are delivered, pending gaps
/// and a last `Stats` item are emitted, the sink is closed, then the stream ends.
/// Dropping the watcher stops it too.
///
/// ```no_run
/// # async fn demo(client: agora_rtm_rest::Client) {
/// use agora_rtm_rest::watch::{WatchItem, WatchOptions};
/// let mut watcher = client.watch(WatchOptions::new().presence(true));
/// while let Some(item) = watcher.next().await {
///     match item {
///         Ok(WatchItem::User(e)) => println!("{} {}", e.user_id, e.kind),
///         Ok(WatchItem::Gap(g)) => eprintln!("possible loss: {g:?}"),
///         Ok(_) => {}
///         Err(e) => { eprintln!("watcher stopped: {e}"); break }
///     }
/// }
/// # }
/// ```
pub struct Watcher {
    rx: mpsc::Receiver<Result<WatchItem, WatchError>>,
    stop: Arc<watch::Sender<bool>>,
    presence: Option<Arc<Mutex<Presence>>>,
}

/// A cloneable handle to stop a [`Watcher`] and read its presence from anywhere
/// (for example while another task waits in [`Watcher::next`]).
#[derive(Clone, Debug)]
pub struct WatcherHandle {
    stop: Arc<watch::Sender<bool>>,
    presence: Option<Arc<Mutex<Presence>>>,
}

impl WatcherHandle {
    /// Asks the watcher to stop (see [`Watcher::stop`]).
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }

    /// A copy of the current presence (when enabled).
    pub fn presence(&self) -> Option<PresenceSnapshot> {
        self.presence
            .as_ref()
            .map(|p| p.lock().unwrap_or_else(|e| e.into_inner()).snapshot())
    }
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher")
            .field("presence", &self.presence.is_some())
            .finish_non_exhaustive()
    }
}

impl Watcher {
    /// The next item, or `None` when the watcher has stopped.
    pub async fn next(&mut self) -> Option<Result<WatchItem, WatchError>> {
        self.rx.recv().await
    }

    /// A cloneable handle for stopping the watcher and reading presence.
    pub fn handle(&self) -> WatcherHandle {
        WatcherHandle {
            stop: self.stop.clone(),
            presence: self.presence.clone(),
        }
    }

    /// Asks the watcher to stop; keep reading the stream until it ends to receive
    /// what was in flight.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }

    /// A copy of the current presence (when enabled).
    pub fn presence(&self) -> Option<PresenceSnapshot> {
        self.presence
            .as_ref()
            .map(|p| p.lock().unwrap_or_else(|e| e.into_inner()).snapshot())
    }

    /// Online users and occupied channels right now (when presence is enabled).
    pub fn presence_counts(&self) -> Option<(usize, usize)> {
        self.presence.as_ref().map(|p| {
            let p = p.lock().unwrap_or_else(|e| e.into_inner());
            (p.online_count(), p.channel_count())
        })
    }
}

impl Stream for Watcher {
    type Item = Result<WatchItem, WatchError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx)
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

impl Client {
    /// Starts a watcher on the current tokio runtime. See [`Watcher`].
    pub fn watch(&self, options: WatchOptions) -> Watcher {
        let (tx, rx) = mpsc::channel(options.buffer);
        let (stop, stop_rx) = watch::channel(false);
        let presence = options
            .presence
            .then(|| Arc::new(Mutex::new(Presence::new())));
        let (clients, labels) = if options.sources.is_empty() {
            let label = self
                .config()
                .endpoints
                .get(0)
                .map(|e| e.root.clone())
                .unwrap_or_default();
            (Ok(vec![self.clone()]), vec![label])
        } else {
            let labels = options.sources.clone();
            let clients = options
                .sources
                .iter()
                .map(|url| Endpoints::custom([url], false).map(|e| self.with_endpoints(e)))
                .collect::<Result<Vec<_>, _>>();
            (clients, labels)
        };
        let mut config = PollerConfig::new(labels);
        config.feeds = options.feeds.clone();
        config.max_in_flight = options.max_in_flight;
        config.max_interval = options.max_interval;
        let task = WatchTask {
            poller: Poller::new(config, clock::now()),
            tx,
            stop: stop_rx,
            presence: presence.clone(),
            sink: options.sink,
            stats_interval: options.stats_interval,
        };
        tokio::spawn(async move {
            match clients {
                Ok(clients) => task.run(clients).await,
                Err(e) => {
                    let _ = task.tx.send(Err(WatchError::Client(e))).await;
                }
            }
        });
        Watcher {
            rx,
            stop: Arc::new(stop),
            presence,
        }
    }
}

struct WatchTask {
    poller: Poller,
    tx: mpsc::Sender<Result<WatchItem, WatchError>>,
    stop: watch::Receiver<bool>,
    presence: Option<Arc<Mutex<Presence>>>,
    sink: Option<Box<dyn Sink>>,
    stats_interval: Option<Duration>,
}

type ReadResult = (ReadTicket, ReadOutcome, ExchangeReport);

async fn read(client: Client, ticket: ReadTicket) -> ReadResult {
    match ticket.feed {
        Feed::UserEvents => {
            let (r, report) = client.execute(ReadUserEvents).await;
            (
                ticket,
                r.map_or_else(ReadOutcome::Failed, ReadOutcome::Users),
                report,
            )
        }
        Feed::ChannelEvents => {
            let (r, report) = client.execute(ReadChannelEvents).await;
            (
                ticket,
                r.map_or_else(ReadOutcome::Failed, ReadOutcome::Channels),
                report,
            )
        }
    }
}

/// Errors no retry can fix: the watcher stops on them.
fn is_fatal(error: &Error) -> bool {
    matches!(error.kind(), ErrorKind::Auth | ErrorKind::InvalidInput)
        || matches!(
            error,
            Error::Api {
                status: 400 | 404,
                ..
            }
        )
}

impl WatchTask {
    async fn run(mut self, clients: Vec<Client>) {
        if let Err(e) = self.restore().await {
            let _ = self.tx.send(Err(e)).await;
            return;
        }
        let mut in_flight = FuturesUnordered::new();
        let mut stopping = false;
        let limiter = clients[0].rate_limiter();
        let mut next_stats = self.stats_interval.map(|d| tokio::time::Instant::now() + d);
        loop {
            let mut wake = None;
            if !stopping {
                // Choose the lane at the moment a request slot is free, not earlier:
                // reads queued in the limiter would be assigned to lanes too soon (a
                // feed could get two slots in a row while the other starves).
                let now = clock::now();
                let slot_in = limiter
                    .lock()
                    .map_or(Duration::ZERO, |l| l.time_until_ready(now));
                if slot_in.is_zero() {
                    match self.poller.poll(now) {
                        PollStep::Read(ticket) => {
                            let client = clients[ticket.source.min(clients.len() - 1)].clone();
                            in_flight.push(read(client, ticket));
                            // Let the new read take its slot before choosing again.
                            wake = Some(tokio::time::Instant::now());
                        }
                        PollStep::WaitUntil(at) => {
                            let delay = at.saturating_duration_since(now);
                            wake = Some(tokio::time::Instant::now() + delay);
                        }
                        PollStep::AwaitCompletion => {}
                    }
                } else if let Some(at) = self.poller.next_due() {
                    wake = Some(
                        tokio::time::Instant::now()
                            + at.saturating_duration_since(now).max(slot_in),
                    );
                }
            } else if in_flight.is_empty() {
                break;
            }
            tokio::select! {
                // Biased: a read pushed just now is polled (and takes its slot) first.
                biased;
                Some((ticket, outcome, report)) = in_flight.next(), if !in_flight.is_empty() => {
                    if let ReadOutcome::Failed(e) = &outcome
                        && is_fatal(e)
                    {
                        let _ = self.tx.send(Err(WatchError::Client(e.clone()))).await;
                        stopping = true;
                        let _ = self.poller.on_complete(ticket, outcome, report, clock::now());
                        continue;
                    }
                    let items = self.poller.on_complete(ticket, outcome, report, clock::now());
                    if !self.deliver(ticket.feed, ticket.source, items).await {
                        return;
                    }
                }
                () = sleep_until(wake), if wake.is_some() => {}
                () = sleep_until(next_stats), if next_stats.is_some() && !stopping => {
                    let stats = self.poller.stats(clock::now());
                    if self.tx.send(Ok(WatchItem::Stats(stats))).await.is_err() {
                        return;
                    }
                    next_stats = self.stats_interval.map(|d| tokio::time::Instant::now() + d);
                }
                changed = self.stop.changed(), if !stopping => {
                    // A closed channel means the Watcher was dropped: stop as well.
                    if changed.is_err() || *self.stop.borrow() {
                        stopping = true;
                    }
                }
            }
        }
        let gaps = self.poller.flush_gaps();
        for gap in gaps {
            let WatchItem::Gap(g) = &gap else { continue };
            let (feed, source) = (
                g.feed,
                self.poller
                    .config()
                    .sources
                    .iter()
                    .position(|s| *s == g.source),
            );
            if !self.deliver(feed, source.unwrap_or(0), vec![gap]).await {
                return;
            }
        }
        let stats = self.poller.stats(clock::now());
        let _ = self.tx.send(Ok(WatchItem::Stats(stats))).await;
        if let Some(sink) = self.sink.as_mut()
            && let Err(e) = sink.close().await
        {
            let _ = self.tx.send(Err(WatchError::Sink(e))).await;
        }
    }

    async fn restore(&mut self) -> Result<(), WatchError> {
        let Some(sink) = self.sink.as_mut() else {
            return Ok(());
        };
        if let Some(restored) = sink.restore().await? {
            self.poller.remember(restored.recent_keys.iter());
            if let Some(p) = &self.presence {
                *p.lock().unwrap_or_else(|e| e.into_inner()) =
                    Presence::from_snapshot(&restored.presence);
            }
        }
        Ok(())
    }

    /// Persists, applies to presence, then hands items to the consumer. False when
    /// the watcher must end (consumer gone or sink failed).
    async fn deliver(&mut self, feed: Feed, source: usize, items: Vec<WatchItem>) -> bool {
        if items.is_empty() {
            return true;
        }
        if let Some(sink) = self.sink.as_mut() {
            let label = self
                .poller
                .config()
                .sources
                .get(source)
                .cloned()
                .unwrap_or_default();
            let batch = Batch {
                feed,
                source: label,
                items,
            };
            if let Err(e) = sink.write(&batch).await {
                let _ = self.tx.send(Err(WatchError::Sink(e))).await;
                return false;
            }
            return self.hand_over(batch.items).await;
        }
        self.hand_over(items).await
    }

    async fn hand_over(&mut self, items: Vec<WatchItem>) -> bool {
        if let Some(p) = &self.presence {
            let mut p = p.lock().unwrap_or_else(|e| e.into_inner());
            for item in &items {
                match item {
                    WatchItem::User(e) => p.apply_user(e),
                    WatchItem::Channel(e) => p.apply_channel(e),
                    _ => {}
                }
            }
        }
        for item in items {
            if self.tx.send(Ok(item)).await.is_err() {
                return false;
            }
        }
        true
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
