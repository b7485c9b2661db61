//! The watcher against the in-process emulator: drains both feeds, keeps order,
//! de-duplicates regions, reports lost responses as gaps, keeps presence, stops
//! cleanly, and stops with an error on bad credentials.

use std::collections::HashSet;
use std::time::Duration;

use agora_rtm_rest::protocol::EventKey;
use agora_rtm_rest::{
    ChannelEvent, ChannelEventKind, Client, Credentials, Feed, UserEvent, UserEventKind,
    WatchError, WatchItem, WatchOptions, Watcher,
};
use agora_rtm_rest_emulator::{Emulator, EmulatorConfig, Faults};

fn users(from: u64, n: u64) -> Vec<UserEvent> {
    (from..from + n)
        .map(|i| UserEvent {
            user_id: format!("u{i}"),
            kind: UserEventKind::Login,
            ms: 1_700_000_000_000 + i,
        })
        .collect()
}

fn joins(from: u64, n: u64) -> Vec<ChannelEvent> {
    (from..from + n)
        .map(|i| ChannelEvent {
            channel_id: format!("c{}", i % 5),
            user_id: format!("u{i}"),
            kind: ChannelEventKind::Join,
            ms: 1_700_000_000_000 + i,
        })
        .collect()
}

fn client(app: &str, emu: &Emulator) -> Client {
    Client::builder(app)
        .credentials(Credentials::basic("id", "secret").unwrap())
        .base_url(emu.base_url())
        .build()
        .unwrap()
}

#[derive(Default, Debug)]
struct Collected {
    users: Vec<UserEvent>,
    channels: Vec<ChannelEvent>,
    gaps: Vec<agora_rtm_rest::Gap>,
    stats: Vec<agora_rtm_rest::WatchStats>,
    errors: Vec<String>,
}

impl Collected {
    fn events(&self) -> usize {
        self.users.len() + self.channels.len()
    }
}

/// Reads until `enough` says so (or a timeout), then stops and drains the watcher.
async fn collect(
    mut w: Watcher,
    enough: impl Fn(&Collected) -> bool,
    timeout: Duration,
) -> Collected {
    let mut c = Collected::default();
    let deadline = tokio::time::Instant::now() + timeout;
    let mut stopped = false;
    loop {
        if !stopped && (enough(&c) || tokio::time::Instant::now() > deadline) {
            w.stop();
            stopped = true;
        }
        let next = tokio::time::timeout(Duration::from_millis(200), w.next()).await;
        match next {
            Err(_) => continue,
            Ok(None) => break,
            Ok(Some(Ok(WatchItem::User(e)))) => c.users.push(e),
            Ok(Some(Ok(WatchItem::Channel(e)))) => c.channels.push(e),
            Ok(Some(Ok(WatchItem::Gap(g)))) => c.gaps.push(g),
            Ok(Some(Ok(WatchItem::Stats(s)))) => c.stats.push(s),
            Ok(Some(Err(e))) => c.errors.push(e.to_string()),
        }
    }
    c
}

#[tokio::test]
async fn drains_both_feeds_in_order_and_stops_cleanly() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    emu.inject_user_events("drain", users(0, 1500), None);
    emu.inject_channel_events("drain", joins(0, 700), None);
    let w = client("drain", &emu).watch(WatchOptions::new());
    let c = collect(w, |c| c.events() >= 2200, Duration::from_secs(20)).await;
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    assert_eq!(c.users, users(0, 1500), "every user event once, in order");
    assert_eq!(c.channels, joins(0, 700));
    assert!(c.gaps.is_empty(), "{:?}", c.gaps);
    let last = c.stats.last().expect("a final stats item");
    assert_eq!(last.feeds[&Feed::UserEvents].events, 1500);
    assert_eq!(last.feeds[&Feed::UserEvents].full_pages, 1);
    let stats = emu.stats();
    assert_eq!(stats.apps["drain"].total(Feed::UserEvents).pending, 0);
}

#[tokio::test]
async fn two_regions_are_read_and_de_duplicated() {
    let emu = Emulator::start(EmulatorConfig {
        regions: vec!["us-west-1".into(), "eu-west-1".into()],
        ..Default::default()
    })
    .await
    .unwrap();
    emu.inject_user_events("dedupe", users(0, 300), None);
    let urls: Vec<String> = emu.base_urls().into_iter().map(|(_, u)| u).collect();
    let w = client("dedupe", &emu).watch(WatchOptions::new().sources(urls));
    let c = collect(
        w,
        |c| {
            c.events() >= 300
                && c.stats
                    .iter()
                    .any(|s| s.feeds[&Feed::UserEvents].duplicates >= 300)
        },
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(
        c.users.len(),
        300,
        "each event once although both regions returned it"
    );
    let last = c.stats.last().unwrap();
    assert_eq!(last.feeds[&Feed::UserEvents].duplicates, 300);
    assert_eq!(
        emu.stats().apps["dedupe"].total(Feed::UserEvents).delivered,
        600
    );
}

#[tokio::test]
async fn lost_responses_are_reported_as_gaps_and_nothing_is_duplicated() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    emu.set_faults(Faults {
        p_lost_response: 0.3,
        ..Faults::default()
    });
    let w = client("lossy", &emu).watch(
        WatchOptions::new()
            .feeds([Feed::UserEvents])
            .stats_interval(None)
            .max_interval(Duration::from_millis(50)),
    );
    // About 25 reads while the fault is on.
    for batch in 0..40 {
        emu.inject_user_events("lossy", users(batch * 25, 25), None);
        tokio::time::sleep(Duration::from_millis(60)).await;
        // 30% is a probability: past half-way, force the fault until it has fired
        // once, so that no run passes without exercising it.
        let lost = emu.stats().apps["lossy"]
            .total(Feed::UserEvents)
            .lost_responses;
        let p = if batch >= 20 && lost == 0 { 1.0 } else { 0.3 };
        emu.set_faults(Faults {
            p_lost_response: p,
            ..Faults::default()
        });
    }
    emu.set_faults(Faults::default());
    let emu_ref = &emu;
    let c = collect(
        w,
        move |_| {
            emu_ref.stats().apps["lossy"]
                .total(Feed::UserEvents)
                .pending
                == 0
        },
        Duration::from_secs(20),
    )
    .await;
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    let feed = emu.stats().apps["lossy"].total(Feed::UserEvents);
    let keys: HashSet<EventKey> = c.users.iter().map(UserEvent::key).collect();
    assert_eq!(keys.len(), c.users.len(), "no duplicates");
    assert_eq!(
        c.users.len() as u64 + feed.lost_in_faults,
        1000,
        "every event delivered or lost in a fault"
    );
    let lost_reads: u64 = c.gaps.iter().map(|g| u64::from(g.lost_reads)).sum();
    assert_eq!(
        lost_reads, feed.lost_responses,
        "every lost response is a gap: {:?}",
        c.gaps
    );
    assert!(
        feed.lost_responses > 0,
        "the fault should have fired at 30%: {feed:?}"
    );
}

#[tokio::test]
async fn presence_is_rebuilt_from_both_feeds() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let t = 1_700_000_000_000;
    let ue = |u: &str, k, ms| UserEvent {
        user_id: u.into(),
        kind: k,
        ms,
    };
    let ce = |c: &str, u: &str, k, ms| ChannelEvent {
        channel_id: c.into(),
        user_id: u.into(),
        kind: k,
        ms,
    };
    emu.inject_user_events(
        "presence",
        vec![
            ue("a", UserEventKind::Login, t),
            ue("b", UserEventKind::Login, t + 1),
            ue("b", UserEventKind::Logout, t + 9),
        ],
        None,
    );
    emu.inject_channel_events(
        "presence",
        vec![
            ce("lobby", "a", ChannelEventKind::Join, t + 2),
            ce("lobby", "b", ChannelEventKind::Join, t + 3),
            ce("game", "a", ChannelEventKind::Join, t + 4),
        ],
        None,
    );
    let mut w = client("presence", &emu).watch(WatchOptions::new().presence(true));
    let mut seen = 0;
    while seen < 6 {
        if let Some(Ok(WatchItem::User(_) | WatchItem::Channel(_))) = w.next().await {
            seen += 1;
        }
    }
    let p = w.presence().unwrap();
    let handle = w.handle();
    assert_eq!(
        handle.presence().as_ref(),
        Some(&p),
        "the handle sees the same presence"
    );
    assert_eq!(p.online.keys().collect::<Vec<_>>(), ["a"]);
    assert_eq!(
        p.channels["lobby"].keys().collect::<Vec<_>>(),
        ["a"],
        "b logged out after joining"
    );
    assert_eq!(p.channels["game"].keys().collect::<Vec<_>>(), ["a"]);
    // Stopping through the handle ends the stream.
    handle.stop();
    while let Some(item) = tokio::time::timeout(Duration::from_secs(10), w.next())
        .await
        .expect("ends")
    {
        assert!(item.is_ok());
    }
}

#[tokio::test]
async fn bad_credentials_end_the_stream_with_an_auth_error() {
    let emu = Emulator::start(EmulatorConfig {
        customers: vec![("c".into(), "right".into())],
        ..Default::default()
    })
    .await
    .unwrap();
    let c = Client::builder("auth")
        .credentials(Credentials::basic("c", "wrong").unwrap())
        .base_url(emu.base_url())
        .build()
        .unwrap();
    let mut w = c.watch(WatchOptions::new().stats_interval(None));
    let mut errors = Vec::new();
    while let Some(item) = tokio::time::timeout(Duration::from_secs(10), w.next())
        .await
        .expect("the stream ends")
    {
        if let Err(e) = item {
            errors.push(e);
        }
    }
    assert!(!errors.is_empty());
    assert!(
        matches!(&errors[0], WatchError::Client(e) if e.status() == Some(401)),
        "{errors:?}"
    );
}

#[tokio::test]
async fn dropping_the_watcher_stops_its_task() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let w = client("drop", &emu).watch(WatchOptions::new());
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(w);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before = emu.stats().apps.get("drop").map_or(0, |a| a.requests);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let after = emu.stats().apps.get("drop").map_or(0, |a| a.requests);
    assert_eq!(before, after, "no reads after the watcher was dropped");
}
