//! `NativeWatcher`: [`agora_rtm_rest::Watcher`] for JavaScript.
//!
//! The Rust watcher is owned by a small task that forwards its items to the
//! JavaScript side one at a time (back-pressure is kept: nothing is read ahead
//! beyond the watcher's own buffer) and answers `presence()` and `stop()` while
//! an item waits to be taken.

use std::sync::Arc;
use std::time::Duration;

use agora_rtm_rest::sink::{self, SinkOptions};
use agora_rtm_rest::watch::FeedWatchStats;
use agora_rtm_rest::{
    Area, Feed, PresenceSnapshot, Secret, WatchError, WatchItem, WatchOptions, Watcher,
};
use napi_derive::napi;
use serde_json::{Value, json};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::cancel::cancellable;
use crate::client::{NativeClient, channel_event, regions, user_event};
use crate::errors::{self, watch_error};

/// Options of `client.watch(...)`.
#[napi(object)]
pub struct WatchOptionsJs {
    /// A sink specification: `jsonl:PATH`, `sqlite:PATH`, `webhook:URL` or `-`.
    pub sink: Option<String>,
    /// The HMAC secret of a `webhook:` sink.
    pub webhook_secret: Option<String>,
    /// Agora regions to read side by side (`us-west-1`, ...); de-duplicated.
    pub regions: Option<Vec<String>>,
    /// Base URLs to read side by side (for example the emulator's regions).
    pub sources: Option<Vec<String>>,
    /// Keep presence up to date.
    pub presence: Option<bool>,
    /// `users` and/or `channels` (default both).
    pub feeds: Option<Vec<String>>,
    /// How often to emit a stats item, in milliseconds (0 = never; default 5000).
    pub stats_interval_ms: Option<u32>,
    /// Reads in flight per feed and source while pages come back full.
    pub max_in_flight: Option<u32>,
}

enum Cmd {
    Presence(oneshot::Sender<Option<PresenceSnapshot>>),
    Stop,
}

type Item = Result<WatchItem, WatchError>;

/// A running watcher.
#[napi]
pub struct NativeWatcher {
    items: Arc<Mutex<mpsc::Receiver<Item>>>,
    cmds: mpsc::UnboundedSender<Cmd>,
}

fn options(o: WatchOptionsJs) -> napi::Result<WatchOptions> {
    let mut w = WatchOptions::new().presence(o.presence.unwrap_or(false));
    let mut sources = o.sources.unwrap_or_default();
    for r in regions(&o.regions.unwrap_or_default())? {
        let roots = agora_rtm_rest::protocol::Endpoints::agora(Area::Global, &[r]);
        if let Some(e) = roots.iter().last() {
            sources.push(e.root.clone());
        }
    }
    w = w.sources(sources);
    if let Some(feeds) = o.feeds {
        let mut list = Vec::new();
        for f in feeds {
            list.push(match f.as_str() {
                "users" | "user_events" => Feed::UserEvents,
                "channels" | "channel_events" => Feed::ChannelEvents,
                _ => return Err(errors::invalid("feeds", "must be users and/or channels")),
            });
        }
        w = w.feeds(list);
    }
    if let Some(ms) = o.stats_interval_ms {
        w = w.stats_interval((ms > 0).then(|| Duration::from_millis(u64::from(ms))));
    }
    if let Some(n) = o.max_in_flight {
        w = w.max_in_flight(n);
    }
    if let Some(spec) = o.sink {
        let sink_options = SinkOptions {
            webhook_secret: o.webhook_secret.map(Secret::new),
            ..SinkOptions::default()
        };
        let s = sink::open(&spec, &sink_options).map_err(|e| {
            napi::Error::from_reason(format!(
                "{}{}",
                errors::PREFIX,
                json!({"kind": "invalid_input", "field": "sink", "message": e.to_string()})
            ))
        })?;
        w = w.boxed_sink(s);
    }
    Ok(w)
}

async fn run(
    mut watcher: Watcher,
    items: mpsc::Sender<Item>,
    mut cmds: mpsc::UnboundedReceiver<Cmd>,
) {
    let mut pending: Option<Item> = None;
    let mut cmds_open = true;
    let handle = |cmd: Option<Cmd>, watcher: &Watcher, open: &mut bool| match cmd {
        Some(Cmd::Presence(tx)) => {
            let _ = tx.send(watcher.presence());
        }
        Some(Cmd::Stop) => watcher.stop(),
        None => {
            *open = false;
            watcher.stop();
        }
    };
    loop {
        if let Some(item) = pending.take() {
            tokio::select! {
                permit = items.reserve() => match permit {
                    Ok(p) => p.send(item),
                    Err(_) => break,
                },
                cmd = cmds.recv(), if cmds_open => {
                    handle(cmd, &watcher, &mut cmds_open);
                    pending = Some(item);
                }
            }
        } else {
            tokio::select! {
                item = watcher.next() => match item {
                    Some(i) => pending = Some(i),
                    None => break,
                },
                cmd = cmds.recv(), if cmds_open => handle(cmd, &watcher, &mut cmds_open),
            }
        }
    }
}

fn opt_u64(v: Option<u64>) -> Value {
    v.map_or(Value::Null, Value::from)
}

fn feed_name(f: Feed) -> &'static str {
    match f {
        Feed::UserEvents => "users",
        Feed::ChannelEvents => "channels",
    }
}

fn feed_stats(s: &FeedWatchStats) -> Value {
    json!({
        "reads": s.reads, "failedReads": s.failed_reads, "events": s.events,
        "duplicates": s.duplicates, "gaps": s.gaps, "estimatedLost": s.estimated_lost,
        "server429s": s.server_429s, "limiterWaits": s.limiter_waits,
        "fullPages": s.full_pages, "eventsPerSec": s.events_per_sec,
    })
}

pub(crate) fn item_json(item: WatchItem) -> Value {
    match item {
        WatchItem::User(e) => {
            let e = user_event(e);
            json!({"type": "user", "userId": e.user_id, "kind": e.kind, "ms": e.ms})
        }
        WatchItem::Channel(e) => {
            let e = channel_event(e);
            json!({"type": "channel", "channelId": e.channel_id, "userId": e.user_id, "kind": e.kind, "ms": e.ms})
        }
        WatchItem::Gap(g) => json!({
            "type": "gap", "feed": feed_name(g.feed), "source": g.source,
            "reason": g.reason.as_str(), "lostReads": g.lost_reads,
            "afterMs": opt_u64(g.after_ms), "beforeMs": opt_u64(g.before_ms),
            "estimatedEvents": opt_u64(g.estimated_events),
        }),
        WatchItem::Stats(s) => {
            let feeds: serde_json::Map<String, Value> = s
                .feeds
                .iter()
                .map(|(f, st)| (feed_name(*f).to_owned(), feed_stats(st)))
                .collect();
            json!({"type": "stats", "elapsedMs": s.elapsed_ms, "feeds": feeds})
        }
    }
}

pub(crate) fn presence_json(p: &PresenceSnapshot) -> Value {
    json!({"online": p.online, "channels": p.channels})
}

#[napi]
impl NativeClient {
    /// Starts a watcher (see `agora_rtm_rest::Client::watch`).
    #[napi]
    pub async fn watch(&self, options: WatchOptionsJs) -> napi::Result<NativeWatcher> {
        let options = options_checked(options)?;
        let watcher = self.inner.watch(options);
        let (item_tx, item_rx) = mpsc::channel(1);
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        tokio::spawn(run(watcher, item_tx, cmd_rx));
        Ok(NativeWatcher {
            items: Arc::new(Mutex::new(item_rx)),
            cmds: cmd_tx,
        })
    }
}

fn options_checked(o: WatchOptionsJs) -> napi::Result<WatchOptions> {
    options(o)
}

#[napi]
impl NativeWatcher {
    /// The next item (`{type: "user" | "channel" | "gap" | "stats", ...}`), or
    /// `null` once the watcher has stopped. Rejects when the watcher ends with an
    /// error (bad credentials, a sink that cannot persist).
    #[napi]
    pub async fn next(&self, cancel: Option<u32>) -> napi::Result<Option<Value>> {
        let items = self.items.clone();
        cancellable(cancel, async move {
            match items.lock().await.recv().await {
                None => Ok(None),
                Some(Ok(item)) => Ok(Some(item_json(item))),
                Some(Err(e)) => Err(watch_error(&e)),
            }
        })
        .await
    }

    /// Asks the watcher to stop; keep calling `next()` until it returns `null`
    /// to receive what was in flight.
    #[napi]
    pub fn stop(&self) {
        let _ = self.cmds.send(Cmd::Stop);
    }

    /// The current presence (`{online, channels}`), or `null` when presence is off
    /// or the watcher has ended.
    #[napi]
    pub async fn presence(&self) -> napi::Result<Option<Value>> {
        let (tx, rx) = oneshot::channel();
        if self.cmds.send(Cmd::Presence(tx)).is_err() {
            return Ok(None);
        }
        Ok(rx.await.ok().flatten().as_ref().map(presence_json))
    }
}
