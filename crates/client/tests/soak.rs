//! Fault soak: the watcher under 20% 408s, 5% lost responses and bursts of 429s
//! never stops, never delivers a duplicate, delivers every event the service
//! handed out, and reports as gaps every read the emulator lost.
//!
//! Runs for `AGORA_SOAK_SECONDS` seconds of traffic (default 20; `make test` keeps
//! it under a minute, the benchmark mode runs longer).

use std::collections::HashSet;
use std::time::Duration;

use agora_rtm_rest::{Client, Credentials, Feed, WatchItem, WatchOptions};
use agora_rtm_rest_emulator::{
    ChannelEvent, ChannelEventKind, Emulator, EmulatorConfig, Faults, UserEvent, UserEventKind,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watcher_survives_faults_without_duplicates_or_unreported_loss() {
    let seconds: u64 = std::env::var("AGORA_SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let faults = Faults {
        p_408: 0.2,
        p_lost_response: 0.05,
        ..Faults::default()
    };
    emu.set_faults(faults.clone());
    let client = Client::builder("soak")
        .credentials(Credentials::basic("id", "secret").unwrap())
        .base_url(emu.base_url())
        .build()
        .unwrap();
    let mut watcher =
        client.watch(WatchOptions::new().stats_interval(Some(Duration::from_secs(5))));

    // Producer: 250 events/s per feed (the 2000-event buffer lasts 8 s), with a 429 burst every 5 s.
    let producer = {
        let emu_faults = faults.clone();
        let emu = &emu;
        async move {
            let start = tokio::time::Instant::now();
            let mut n: u64 = 0;
            let mut tick = tokio::time::interval(Duration::from_millis(20));
            while start.elapsed() < Duration::from_secs(seconds) {
                tick.tick().await;
                let ms = 1_700_000_000_000 + n;
                emu.inject_user_events(
                    "soak",
                    (0..5)
                        .map(|i| UserEvent {
                            user_id: format!("u{}", n + i),
                            kind: UserEventKind::Login,
                            ms: ms + i,
                        })
                        .collect(),
                    None,
                );
                emu.inject_channel_events(
                    "soak",
                    (0..5)
                        .map(|i| ChannelEvent {
                            channel_id: format!("c{}", i % 3),
                            user_id: format!("u{}", n + i),
                            kind: ChannelEventKind::Join,
                            ms: ms + i,
                        })
                        .collect(),
                    None,
                );
                n += 5;
                let second = start.elapsed().as_secs();
                let burst = second % 5 == 4;
                // The fault rates are probabilities and a short run makes only a few dozen
                // reads, so a run could by chance see no lost response at all. Once two
                // seconds have passed, every fault kind not yet seen is forced until the
                // emulator has produced it once, so every run exercises all of them.
                let stats = emu.stats();
                let app = &stats.apps["soak"];
                let lost = Feed::ALL
                    .iter()
                    .map(|f| app.total(*f).lost_responses)
                    .sum::<u64>();
                let force = start.elapsed() > Duration::from_secs(2);
                let force_lost = force && lost == 0;
                let force_408 = force && !force_lost && app.faults.timeouts == 0;
                let force_429 = force && !force_lost && !force_408 && app.rate_limited == 0;
                emu.set_faults(Faults {
                    p_429: if burst || force_429 { 0.8 } else { 0.0 },
                    p_408: if force_lost {
                        0.0
                    } else if force_408 {
                        1.0
                    } else {
                        emu_faults.p_408
                    },
                    p_lost_response: if force_lost {
                        1.0
                    } else {
                        emu_faults.p_lost_response
                    },
                    ..emu_faults.clone()
                });
            }
            emu.set_faults(Faults::default());
            n
        }
    };

    let consumer = async {
        let mut keys = HashSet::new();
        let mut duplicates = 0u64;
        let mut lost_reads = 0u64;
        let mut errors = Vec::new();
        let mut events = 0u64;
        let mut stopping = false;
        loop {
            // Once the producer is done and the emulator is empty, stop and drain.
            if !stopping && emu.faults() == Faults::default() {
                let stats = emu.stats();
                let pending: u64 = Feed::ALL
                    .iter()
                    .map(|f| stats.apps["soak"].total(*f).pending)
                    .sum();
                if pending == 0 {
                    watcher.stop();
                    stopping = true;
                }
            }
            match tokio::time::timeout(Duration::from_millis(250), watcher.next()).await {
                Err(_) => continue,
                Ok(None) => break,
                Ok(Some(Ok(item))) => match item {
                    WatchItem::User(e) => {
                        events += 1;
                        duplicates += u64::from(!keys.insert(e.key()));
                    }
                    WatchItem::Channel(e) => {
                        events += 1;
                        duplicates += u64::from(!keys.insert(e.key()));
                    }
                    WatchItem::Gap(g) => lost_reads += u64::from(g.lost_reads),
                    WatchItem::Stats(_) => {}
                },
                Ok(Some(Err(e))) => errors.push(e.to_string()),
            }
        }
        (events, duplicates, lost_reads, errors)
    };
    let (produced_per_feed, (events, duplicates, lost_reads, errors)) =
        tokio::join!(producer, consumer);
    let stats = emu.stats();
    let app = &stats.apps["soak"];
    let (users, channels) = (app.total(Feed::UserEvents), app.total(Feed::ChannelEvents));
    eprintln!(
        "soak {seconds}s: produced {}, delivered {events}, lost in faults {}, lost responses {}, gaps' lost reads {lost_reads}, \
         408s {}, 429s {}",
        2 * produced_per_feed,
        users.lost_in_faults + channels.lost_in_faults,
        users.lost_responses + channels.lost_responses,
        app.faults.timeouts,
        app.rate_limited,
    );
    assert!(errors.is_empty(), "the watcher must not stop: {errors:?}");
    assert_eq!(duplicates, 0);
    assert_eq!(
        users.overwritten + channels.overwritten,
        0,
        "this load must not overflow the buffer"
    );
    assert_eq!(
        events + users.lost_in_faults + channels.lost_in_faults,
        2 * produced_per_feed,
        "every event is delivered or lost in a reported fault"
    );
    assert_eq!(
        lost_reads,
        users.lost_responses + channels.lost_responses,
        "every lost response is reported as a gap"
    );
    assert!(
        app.faults.timeouts > 0
            && users.lost_responses + channels.lost_responses > 0
            && app.rate_limited > 0
    );
}
