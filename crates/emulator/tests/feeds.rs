//! The service routes: destructive reads, ring overflow, paging, regions,
//! field names.

mod common;

use agora_rtm_rest_emulator::{Feed, PAGE_SIZE, RING_CAPACITY};
use common::{events, joins, logins, read, start};

const APP: &str = "app1";

#[tokio::test]
async fn injected_events_are_read_once() {
    let emulator = start(|_| {}).await;
    let client = reqwest::Client::new();
    let base = emulator.base_url();
    emulator.inject_user_events(APP, logins(3), None);
    emulator.inject_channel_events(APP, joins(2), None);

    let (status, headers, body) = read(&client, &base, APP, Feed::UserEvents).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(body["result"], "success");
    let request_id = body["request_id"].as_str().expect("request_id is a string");
    let (a, b) = request_id.split_once('_').expect("digits_digits");
    assert!(
        a.chars().chain(b.chars()).all(|c| c.is_ascii_digit()),
        "{request_id}"
    );
    let got = events(&body);
    assert_eq!(got.len(), 3);
    assert_eq!(
        got[0],
        serde_json::json!({"user_id": "u0", "type": "Login", "ms": 1000})
    );
    assert_eq!(got[2]["user_id"], "u2");

    let (_, _, again) = read(&client, &base, APP, Feed::UserEvents).await;
    assert_eq!(events(&again).len(), 0);
    assert_eq!(again["result"], "success");

    let (_, _, channel) = read(&client, &base, APP, Feed::ChannelEvents).await;
    assert_eq!(
        events(&channel)[0],
        serde_json::json!({"group_id": "ch0", "user_id": "u0", "type": "Join", "ms": 2000})
    );

    let stats = emulator.stats();
    let app = stats.app(APP).expect("app in stats");
    assert_eq!(app.requests, 3);
    let user = app.total(Feed::UserEvents);
    assert_eq!(
        (user.produced, user.delivered, user.pending, user.requests),
        (3, 3, 0, 2)
    );
    assert!(user.is_balanced());
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_full_ring_overwrites_the_oldest() {
    let emulator = start(|_| {}).await;
    let client = reqwest::Client::new();
    let base = emulator.base_url();
    emulator.inject_user_events(APP, logins(2500), None);

    let before = emulator
        .stats()
        .feed(APP, "us-west-1", Feed::UserEvents)
        .copied()
        .expect("ring");
    assert_eq!(
        (before.produced, before.overwritten, before.pending),
        (2500, 500, RING_CAPACITY as u64)
    );

    let (_, _, first) = read(&client, &base, APP, Feed::UserEvents).await;
    let first = events(&first);
    assert_eq!(first.len(), PAGE_SIZE);
    assert_eq!(
        first[0]["user_id"], "u500",
        "the 500 oldest were overwritten"
    );
    let (_, _, second) = read(&client, &base, APP, Feed::UserEvents).await;
    let second = events(&second);
    assert_eq!(second.len(), 1000);
    assert_eq!(second[999]["user_id"], "u2499");
    let (_, _, third) = read(&client, &base, APP, Feed::UserEvents).await;
    assert!(events(&third).is_empty());

    let after = emulator
        .stats()
        .feed(APP, "us-west-1", Feed::UserEvents)
        .copied()
        .expect("ring");
    assert_eq!(
        (after.delivered, after.overwritten, after.pending),
        (2000, 500, 0)
    );
    assert!(after.is_balanced());
}

#[tokio::test]
async fn pages_hold_at_most_1000() {
    let emulator = start(|_| {}).await;
    let client = reqwest::Client::new();
    let base = emulator.base_url();
    emulator.inject_channel_events(APP, joins(1500), None);
    let (_, _, first) = read(&client, &base, APP, Feed::ChannelEvents).await;
    let (_, _, second) = read(&client, &base, APP, Feed::ChannelEvents).await;
    assert_eq!(events(&first).len(), 1000);
    assert_eq!(events(&second).len(), 500);
    assert_eq!(events(&second)[0]["user_id"], "u1000");
}

#[tokio::test]
async fn every_region_hands_out_the_same_events() {
    let regions = ["us-west-1", "eu-west-1", "ap-southeast-1"];
    let emulator = start(|c| c.regions = regions.iter().map(|r| r.to_string()).collect()).await;
    let urls = emulator.base_urls();
    assert_eq!(urls.len(), 3);
    assert_eq!(
        urls.iter().map(|(r, _)| r.as_str()).collect::<Vec<_>>(),
        regions
    );
    let ports: std::collections::HashSet<_> = urls.iter().map(|(_, u)| u.clone()).collect();
    assert_eq!(ports.len(), 3, "one listener per region");

    emulator.inject_user_events(APP, logins(5), None);
    // Only the second region gets this one.
    emulator.inject_user_events(APP, logins(1), Some(&["eu-west-1".to_string()]));
    let client = reqwest::Client::new();
    let mut pages = Vec::new();
    for (_, url) in &urls {
        let (status, _, body) = read(&client, url, APP, Feed::UserEvents).await;
        assert_eq!(status, 200);
        pages.push(events(&body));
    }
    assert_eq!(pages[0].len(), 5);
    assert_eq!(pages[1].len(), 6);
    assert_eq!(pages[0], pages[2]);
    assert_eq!(pages[0][..], pages[1][..5]);

    let stats = emulator.stats();
    for region in regions {
        let ring = stats.feed(APP, region, Feed::UserEvents).expect("ring");
        assert_eq!(ring.requests, 1, "{region}");
        assert_eq!(ring.pending, 0);
    }
    assert_eq!(
        stats
            .app(APP)
            .expect("app")
            .total(Feed::UserEvents)
            .produced,
        16
    );
}

#[tokio::test]
async fn legacy_field_names_on_request() {
    let emulator = start(|c| c.legacy_fields = true).await;
    let client = reqwest::Client::new();
    let base = emulator.base_url();
    emulator.inject_channel_events(APP, joins(1), None);
    emulator.inject_user_events(APP, logins(1), None);
    let (_, _, channel) = read(&client, &base, APP, Feed::ChannelEvents).await;
    assert_eq!(
        events(&channel)[0],
        serde_json::json!({"channel_id": "ch0", "user_id": "u0", "type": "Join", "ts": 2000})
    );
    let (_, _, user) = read(&client, &base, APP, Feed::UserEvents).await;
    assert_eq!(
        events(&user)[0],
        serde_json::json!({"user_id": "u0", "type": "Login", "ts": 1000})
    );
}

#[tokio::test]
async fn head_does_not_consume_and_unknown_paths_are_404() {
    let emulator = start(|_| {}).await;
    let client = reqwest::Client::new();
    let base = emulator.base_url();
    emulator.inject_user_events(APP, logins(2), None);
    let head = client
        .head(common::feed_url(&base, APP, Feed::UserEvents))
        .header("Authorization", common::basic("a", "b"))
        .send()
        .await
        .expect("sent");
    assert_eq!(head.status().as_u16(), 405);
    let (_, _, body) = read(&client, &base, APP, Feed::UserEvents).await;
    assert_eq!(events(&body).len(), 2);

    let missing = client
        .get(format!("{base}/dev/v2/project/{APP}/rtm/vendor/nope"))
        .send()
        .await
        .expect("sent");
    assert_eq!(missing.status().as_u16(), 404);
}

#[tokio::test]
async fn shutdown_closes_the_listeners() {
    let emulator = start(|_| {}).await;
    let base = emulator.base_url();
    let client = reqwest::Client::new();
    let (status, _, _) = read(&client, &base, APP, Feed::UserEvents).await;
    assert_eq!(status, 200);
    emulator.shutdown().await;
    let fresh = reqwest::Client::new();
    assert!(
        fresh
            .get(common::feed_url(&base, APP, Feed::UserEvents))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn consecutive_ports_from_a_fixed_start() {
    // Find two free consecutive ports (best effort; skip if none is found).
    for _ in 0..20 {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe");
        let port = probe.local_addr().expect("addr").port();
        drop(probe);
        if port == u16::MAX || std::net::TcpListener::bind(("127.0.0.1", port + 1)).is_err() {
            continue;
        }
        let config = agora_rtm_rest_emulator::EmulatorConfig {
            port,
            regions: vec!["a".into(), "b".into()],
            ..Default::default()
        };
        let Ok(emulator) = agora_rtm_rest_emulator::Emulator::start(config).await else {
            continue;
        };
        let urls = emulator.base_urls();
        assert_eq!(urls[0].1, format!("http://127.0.0.1:{port}"));
        assert_eq!(urls[1].1, format!("http://127.0.0.1:{}", port + 1));
        return;
    }
    eprintln!("no two consecutive free ports found; skipped");
}
