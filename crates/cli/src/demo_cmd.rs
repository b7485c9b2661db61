//! `agora-rtm demo`: the emulator with simulated traffic, watched with presence
//! for a few seconds, ending with a presence summary. Needs no account.

use std::time::Duration;

use agora_rtm_rest::{Client, Credentials, Feed, WatchItem, WatchOptions};
use agora_rtm_rest_emulator::{Emulator, EmulatorConfig, SimulateConfig};

use crate::exit;

/// Options of the demo.
#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// How long to watch, in seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Simulated users.
    #[arg(long, default_value_t = 40)]
    users: u32,
    /// Simulated events per second.
    #[arg(long, default_value_t = 50.0)]
    events_per_sec: f64,
    /// Events printed one by one before only the status is shown.
    #[arg(long, default_value_t = 15)]
    show_events: usize,
}

/// Runs the demo.
pub async fn run(args: DemoArgs) -> i32 {
    let config = EmulatorConfig {
        simulate: Some(SimulateConfig {
            app_id: "demo".into(),
            users: args.users,
            events_per_sec: args.events_per_sec,
            user_event_share: 0.4,
            channels: 6,
            duration: None,
        }),
        ..EmulatorConfig::default()
    };
    let emulator = match Emulator::start(config).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("agora-rtm: error: cannot start the emulator: {e}");
            return exit::OTHER;
        }
    };
    println!(
        "Emulator at {} simulating {} users at {} events/s (app id `demo`); watching for {} s...\n",
        emulator.base_url(),
        args.users,
        args.events_per_sec,
        args.seconds
    );
    let client = match Credentials::basic("demo", "demo").and_then(|c| {
        Client::builder("demo")
            .credentials(c)
            .base_url(emulator.base_url())
            .build()
    }) {
        Ok(c) => c,
        Err(e) => return exit::report(&e),
    };
    let mut watcher = client.watch(
        WatchOptions::new()
            .presence(true)
            .stats_interval(Some(Duration::from_secs(2))),
    );
    let deadline = tokio::time::sleep(Duration::from_secs(args.seconds));
    tokio::pin!(deadline);
    let (mut shown, mut events, mut gaps) = (0usize, 0u64, 0u64);
    let mut stopping = false;
    loop {
        let item = tokio::select! {
            item = watcher.next() => item,
            () = &mut deadline, if !stopping => { watcher.stop(); stopping = true; continue; }
        };
        let Some(item) = item else { break };
        match item {
            Ok(WatchItem::User(e)) => {
                events += 1;
                if shown < args.show_events {
                    shown += 1;
                    println!("  user     {:<10} {:<8} ms={}", e.user_id, e.kind, e.ms);
                }
            }
            Ok(WatchItem::Channel(e)) => {
                events += 1;
                if shown < args.show_events {
                    shown += 1;
                    println!(
                        "  channel  {:<10} {:<10} {:<6} ms={}",
                        e.channel_id, e.user_id, e.kind, e.ms
                    );
                }
            }
            Ok(WatchItem::Gap(g)) => {
                gaps += 1;
                println!(
                    "  gap      {:?} on {} (~{} events)",
                    g.reason,
                    g.feed,
                    g.estimated_events.unwrap_or(0)
                );
            }
            Ok(WatchItem::Stats(s)) => {
                let (online, channels) = watcher.presence_counts().unwrap_or_default();
                let rate: f64 = s.feeds.values().map(|f| f.events_per_sec).sum();
                let reads: u64 = s.feeds.values().map(|f| f.reads).sum();
                println!(
                    "  [{:>4.1} s] {rate:.0} events/s, {reads} reads, {online} online, {channels} channels occupied",
                    s.elapsed_ms as f64 / 1000.0
                );
            }
            Err(e) => {
                eprintln!("agora-rtm: error: {e}");
                return exit::OTHER;
            }
        }
    }
    let stats = emulator.stats();
    let total = |pick: fn(&agora_rtm_rest_emulator::FeedStats) -> u64| -> u64 {
        Feed::ALL
            .iter()
            .map(|f| stats.apps.get("demo").map_or(0, |a| pick(&a.total(*f))))
            .sum()
    };
    let (produced, delivered, pending) = (
        total(|f| f.produced),
        total(|f| f.delivered),
        total(|f| f.pending),
    );
    println!(
        "\nWatcher delivered {events} events ({gaps} gaps); the emulator handed out {delivered} of {produced} \
         produced ({pending} produced after the last read are still waiting on the server)."
    );
    if let Some(snapshot) = watcher.presence() {
        println!("\nPresence now:");
        crate::watch_cmd::print_presence(&snapshot);
    }
    emulator.shutdown().await;
    exit::OK
}
