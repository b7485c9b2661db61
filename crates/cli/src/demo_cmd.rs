//! `agora-rtm demo`: the emulator with simulated traffic, read for a few seconds.
//! Needs no account.

use std::collections::BTreeSet;
use std::time::Duration;

use agora_rtm_rest::{ChannelEventKind, Client, Credentials, UserEventKind};
use agora_rtm_rest_emulator::{Emulator, EmulatorConfig, SimulateConfig};

use crate::exit;

/// Options of the demo.
#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// How long to read, in seconds.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Simulated users.
    #[arg(long, default_value_t = 20)]
    users: u32,
    /// Simulated events per second.
    #[arg(long, default_value_t = 20.0)]
    events_per_sec: f64,
}

/// Runs the demo.
pub async fn run(args: DemoArgs) -> i32 {
    let config = EmulatorConfig {
        simulate: Some(SimulateConfig {
            app_id: "demo".into(),
            users: args.users,
            events_per_sec: args.events_per_sec,
            user_event_share: 0.4,
            channels: 5,
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
        "Emulator at {} (app id `demo`), reading both feeds for {} s...",
        emulator.base_url(),
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
    let deadline = tokio::time::Instant::now() + Duration::from_secs(args.seconds);
    let (mut logins, mut logouts, mut joins, mut leaves, mut reads) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut online = BTreeSet::new();
    while tokio::time::Instant::now() < deadline {
        let users = match client.user_events().await {
            Ok(p) => p,
            Err(e) => return exit::report(&e),
        };
        let channels = match client.channel_events().await {
            Ok(p) => p,
            Err(e) => return exit::report(&e),
        };
        reads += 2;
        for e in &users.events {
            println!("  user     {:<10} {:<7} ms={}", e.user_id, e.kind, e.ms);
            match e.kind {
                UserEventKind::Login => {
                    logins += 1;
                    online.insert(e.user_id.clone());
                }
                UserEventKind::Logout => {
                    logouts += 1;
                    online.remove(&e.user_id);
                }
                _ => {}
            }
        }
        for e in &channels.events {
            println!(
                "  channel  {:<10} {:<10} {:<6} ms={}",
                e.channel_id, e.user_id, e.kind, e.ms
            );
            match e.kind {
                ChannelEventKind::Join => joins += 1,
                ChannelEventKind::Leave => leaves += 1,
                _ => {}
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let stats = serde_json::to_value(emulator.stats()).unwrap_or_default();
    println!();
    println!(
        "Summary: {reads} reads, {logins} logins, {logouts} logouts, {joins} joins, {leaves} leaves;"
    );
    println!(
        "         {} user(s) seen online at the end of the demo.",
        online.len()
    );
    println!(
        "Emulator stats: {}",
        serde_json::to_string(&stats["apps"]["demo"]).unwrap_or_default()
    );
    emulator.shutdown().await;
    exit::OK
}
