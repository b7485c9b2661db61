//! `agora-rtm watch`: drain both feeds forever (or for `--duration`), with sinks,
//! presence and a live status line; and `agora-rtm presence`: read the presence a
//! watcher persisted in SQLite.

use std::io::{IsTerminal as _, Write as _};
use std::time::Duration;

use agora_rtm_rest::protocol::{Endpoint, Region};
use agora_rtm_rest::sink::{self, SinkOptions};
use agora_rtm_rest::{Feed, PresenceSnapshot, WatchError, WatchItem, WatchOptions, Watcher};

use crate::connection::ConnectionArgs;
use crate::exit;

/// Options of `watch`.
#[derive(clap::Args, Debug)]
pub struct WatchArgs {
    #[command(flatten)]
    connection: ConnectionArgs,
    /// Where to persist: `jsonl:PATH`, `sqlite:PATH`, `webhook:URL` (secret in
    /// AGORA_RTM_WEBHOOK_SECRET) or `-` (JSON lines on stdout).
    #[arg(long)]
    sink: Option<String>,
    /// Read these Agora regions side by side (e.g. us-west-1,eu-west-1); events are de-duplicated.
    #[arg(long, value_delimiter = ',', conflicts_with = "sources")]
    regions: Vec<String>,
    /// Read these base URLs side by side (e.g. the emulator's regions); events are de-duplicated.
    #[arg(long, value_delimiter = ',')]
    sources: Vec<String>,
    /// Keep presence (who is online, who is in which channel) and print it at the end.
    #[arg(long)]
    presence: bool,
    /// Feeds to read.
    #[arg(long, value_delimiter = ',', default_value = "users,channels")]
    feeds: Vec<String>,
    /// Seconds between stats items.
    #[arg(long, default_value_t = 5)]
    stats_every: u64,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    duration: Option<u64>,
    /// JSON lines on stdout even on a terminal.
    #[arg(long, conflicts_with = "quiet")]
    json: bool,
    /// No item output (errors only); with a sink, for benchmarks and services.
    #[arg(long)]
    quiet: bool,
    /// Reads outstanding per feed while pages come back full.
    #[arg(long, default_value_t = 3)]
    max_in_flight: u32,
    /// Secret for the webhook sink's HMAC signature.
    #[arg(long, env = "AGORA_RTM_WEBHOOK_SECRET", hide_env_values = true)]
    webhook_secret: Option<String>,
}

/// Options of `presence`.
#[derive(clap::Args, Debug)]
pub struct PresenceArgs {
    /// The watcher's SQLite sink: `sqlite:PATH`.
    #[arg(long)]
    sink: String,
    /// JSON instead of a table.
    #[arg(long)]
    json: bool,
}

fn parse_feeds(names: &[String]) -> Result<Vec<Feed>, String> {
    names
        .iter()
        .map(|n| match n.trim() {
            "users" | "user_events" => Ok(Feed::UserEvents),
            "channels" | "channel_events" => Ok(Feed::ChannelEvents),
            other => Err(format!(
                "unknown feed {other:?}: expected users or channels"
            )),
        })
        .collect()
}

/// Runs `watch`.
pub async fn run(args: WatchArgs) -> i32 {
    let feeds = match parse_feeds(&args.feeds) {
        Ok(f) => f,
        Err(m) => {
            eprintln!("agora-rtm: error: {m}");
            return exit::USAGE;
        }
    };
    let client = match args.connection.builder().and_then(|b| b.build()) {
        Ok(c) => c,
        Err(e) => return exit::report(&e),
    };
    let mut sources = args.sources.clone();
    for name in &args.regions {
        match name.parse::<Region>() {
            Ok(r) => sources.push(
                agora_rtm_rest::protocol::Endpoints::agora(agora_rtm_rest::Area::Global, &[r])
                    .iter()
                    .last()
                    .map(|e: &Endpoint| e.root.clone())
                    .unwrap_or_default(),
            ),
            Err(e) => return exit::report(&e),
        }
    }
    let mut options = WatchOptions::new()
        .feeds(feeds)
        .sources(sources)
        .presence(args.presence)
        .max_in_flight(args.max_in_flight)
        .stats_interval(Some(Duration::from_secs(args.stats_every.max(1))));
    let stdout_sink = args.sink.as_deref() == Some("-");
    if let Some(spec) = &args.sink {
        let sink_options = SinkOptions {
            webhook_secret: args.webhook_secret.clone().map(agora_rtm_rest::Secret::new),
            ..SinkOptions::default()
        };
        match sink::open(spec, &sink_options) {
            Ok(s) => options = options.boxed_sink(s),
            Err(e) => {
                eprintln!("agora-rtm: error: {e}");
                return exit::USAGE;
            }
        }
    }
    let interactive = std::io::stdout().is_terminal() && !args.json && !args.quiet;
    let print_json = !stdout_sink && !interactive && !args.quiet;
    let watcher = client.watch(options);
    drive(
        watcher,
        interactive,
        print_json,
        args.duration,
        args.presence,
    )
    .await
}

async fn drive(
    mut watcher: Watcher,
    interactive: bool,
    print_json: bool,
    duration: Option<u64>,
    presence: bool,
) -> i32 {
    let deadline = duration.map(|s| tokio::time::Instant::now() + Duration::from_secs(s));
    let mut code = exit::OK;
    let mut stopping = false;
    let mut status = Status::default();
    let stdout = std::io::stdout();
    loop {
        let item = tokio::select! {
            item = watcher.next() => item,
            _ = tokio::signal::ctrl_c(), if !stopping => { watcher.stop(); stopping = true; continue; }
            _ = sleep_until(deadline), if !stopping && deadline.is_some() => { watcher.stop(); stopping = true; continue; }
        };
        let Some(item) = item else { break };
        match item {
            Ok(item) => {
                status.count(&item);
                if print_json {
                    let mut out = stdout.lock();
                    if writeln!(out, "{}", item.to_json()).is_err() {
                        watcher.stop();
                        stopping = true;
                    }
                }
                if interactive && matches!(item, WatchItem::Stats(_) | WatchItem::Gap(_)) {
                    status.print(watcher.presence_counts());
                }
            }
            Err(WatchError::Client(e)) => code = exit::report(&e),
            Err(e) => {
                eprintln!("agora-rtm: error: {e}");
                code = exit::OTHER;
            }
        }
    }
    if interactive {
        eprintln!();
    }
    if presence && let Some(snapshot) = watcher.presence() {
        if print_json {
            println!(
                "{}",
                serde_json::json!({"item": "presence", "presence": snapshot})
            );
        } else {
            print_presence(&snapshot);
        }
    }
    code
}

#[derive(Default)]
struct Status {
    events: u64,
    gaps: u64,
    estimated_lost: u64,
    server_429s: u64,
    events_per_sec: f64,
}

impl Status {
    fn count(&mut self, item: &WatchItem) {
        match item {
            WatchItem::User(_) | WatchItem::Channel(_) => self.events += 1,
            WatchItem::Gap(g) => {
                self.gaps += 1;
                self.estimated_lost += g.estimated_events.unwrap_or(0);
            }
            WatchItem::Stats(s) => {
                self.events_per_sec = s.feeds.values().map(|f| f.events_per_sec).sum();
                self.server_429s = s.feeds.values().map(|f| f.server_429s).sum();
            }
        }
    }

    fn print(&self, presence: Option<(usize, usize)>) {
        let presence = presence.map_or(String::new(), |(u, c)| {
            format!(" | online {u} | channels {c}")
        });
        eprint!(
            "\r\x1b[2K{:.0} events/s | {} events{} | gaps {} (~{} lost) | 429s {}",
            self.events_per_sec,
            self.events,
            presence,
            self.gaps,
            self.estimated_lost,
            self.server_429s
        );
    }
}

/// Prints presence as two small tables.
pub fn print_presence(snapshot: &PresenceSnapshot) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{} user(s) online, {} channel(s) occupied",
        snapshot.online.len(),
        snapshot.channels.len()
    );
    let rows: Vec<Vec<String>> = snapshot
        .channels
        .iter()
        .map(|(c, m)| {
            vec![
                c.clone(),
                m.len().to_string(),
                m.keys().cloned().collect::<Vec<_>>().join(","),
            ]
        })
        .collect();
    if !rows.is_empty() {
        crate::table::print(&mut out, &["CHANNEL", "MEMBERS", "USERS"], &rows);
    }
    let online: Vec<&str> = snapshot.online.keys().map(String::as_str).collect();
    if !online.is_empty() {
        let _ = writeln!(out, "online: {}", online.join(", "));
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Runs `presence`.
pub fn run_presence(args: PresenceArgs) -> i32 {
    let Some(path) = args.sink.strip_prefix("sqlite:") else {
        eprintln!("agora-rtm: error: --sink must be sqlite:PATH (the watcher's SQLite sink)");
        return exit::USAGE;
    };
    match sink::sqlite::read_presence(std::path::Path::new(path)) {
        Ok(snapshot) if args.json => {
            println!(
                "{}",
                serde_json::to_string_pretty(&snapshot).unwrap_or_default()
            );
            exit::OK
        }
        Ok(snapshot) => {
            print_presence(&snapshot);
            exit::OK
        }
        Err(e) => {
            eprintln!("agora-rtm: error: {e}");
            exit::OTHER
        }
    }
}
