//! The admin API and the simulator.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use agora_rtm_rest_emulator::{Feed, SimulateConfig, Stats};
use common::{events, read, start};
use serde_json::{Value, json};

const APP: &str = "app1";

#[tokio::test]
async fn inject_over_http_in_either_field_generation() {
    let emulator = start(|c| c.regions = vec!["r1".into(), "r2".into()]).await;
    let client = reqwest::Client::new();
    let base = emulator.base_url();
    let url = format!("{base}/_emulator/apps/{APP}/channel_events");
    let body = json!([
        {"group_id": "c1", "user_id": "u1", "type": "Join", "ms": 5},
        {"channel_id": "c1", "user_id": "u1", "type": "Leave", "ts": 6},
        {"group_id": "c2", "user_id": "u2", "type": "Join"}
    ]);
    let response = client
        .post(&url)
        .body(body.to_string())
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(common::json_body(response).await, json!({"injected": 3}));

    let only_r2 = client
        .post(format!(
            "{base}/_emulator/apps/{APP}/user_events?regions=r2"
        ))
        .body(json!([{"user_id": "u9", "type": "Login", "ms": 1}]).to_string())
        .send()
        .await
        .expect("sent");
    assert_eq!(only_r2.status().as_u16(), 200);

    let (_, _, page) = read(&client, &base, APP, Feed::ChannelEvents).await;
    let got = events(&page);
    assert_eq!(
        got[0],
        json!({"group_id": "c1", "user_id": "u1", "type": "Join", "ms": 5})
    );
    assert_eq!(
        got[1],
        json!({"group_id": "c1", "user_id": "u1", "type": "Leave", "ms": 6})
    );
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as u64;
    let stamped = got[2]["ms"].as_u64().expect("ms");
    assert!(now_ms.abs_diff(stamped) < 60_000, "a missing ms means now");

    let stats: Stats = serde_json::from_value(
        common::json_body(
            client
                .get(format!("{base}/_emulator/stats"))
                .send()
                .await
                .expect("sent"),
        )
        .await,
    )
    .expect("stats json");
    assert_eq!(
        stats
            .feed(APP, "r1", Feed::UserEvents)
            .expect("ring")
            .produced,
        0
    );
    assert_eq!(
        stats
            .feed(APP, "r2", Feed::UserEvents)
            .expect("ring")
            .produced,
        1
    );
    assert_eq!(
        stats
            .feed(APP, "r2", Feed::ChannelEvents)
            .expect("ring")
            .pending,
        3
    );
    assert_eq!(stats, emulator.stats());

    // The raw shape, as documented.
    let raw: Value = common::json_body(
        client
            .get(format!("{base}/_emulator/stats"))
            .send()
            .await
            .expect("sent"),
    )
    .await;
    let ring = &raw["apps"][APP]["regions"]["r1"]["channel_events"];
    for field in [
        "produced",
        "delivered",
        "overwritten",
        "lost_in_faults",
        "lost_responses",
        "requests",
        "pending",
    ] {
        assert!(ring[field].is_u64(), "{field} in {ring}");
    }
    for field in ["requests", "rate_limited", "auth_failures"] {
        assert!(raw["apps"][APP][field].is_u64(), "{field}");
    }
}

#[tokio::test]
async fn admin_refuses_bad_input_clearly() {
    let emulator = start(|_| {}).await;
    let client = reqwest::Client::new();
    let base = emulator.base_url();
    for (path, body) in [
        (format!("/_emulator/apps/{APP}/user_events"), "not json"),
        (
            format!("/_emulator/apps/{APP}/user_events"),
            r#"{"user_id":"u"}"#,
        ),
        (
            format!("/_emulator/apps/{APP}/user_events"),
            r#"[{"user_id":"u"}]"#,
        ),
        (
            format!("/_emulator/apps/{APP}/user_events?regions=mars"),
            r#"[]"#,
        ),
        (
            format!("/_emulator/apps/{APP}/channel_events"),
            r#"[{"user_id":"u","type":"Join"}]"#,
        ),
    ] {
        let response = client
            .post(format!("{base}{path}"))
            .body(body)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status().as_u16(), 400, "{path} {body}");
        let message: Value = common::json_body(response).await;
        assert!(
            message["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{message}"
        );
    }
    let bad_faults = client
        .put(format!("{base}/_emulator/faults"))
        .body(r#"{"p_408": 2}"#)
        .send()
        .await
        .expect("sent");
    assert_eq!(bad_faults.status().as_u16(), 400);
    assert!(emulator.stats().apps.is_empty(), "nothing was injected");
}

#[tokio::test]
async fn faults_and_reset_over_http() {
    let emulator = start(|_| {}).await;
    let client = reqwest::Client::new();
    let base = emulator.base_url();
    let put = client
        .put(format!("{base}/_emulator/faults"))
        .body(r#"{"p_408": 0.25, "latency_ms": 3}"#)
        .send()
        .await
        .expect("sent");
    assert_eq!(put.status().as_u16(), 200);
    let faults: Value = common::json_body(
        client
            .get(format!("{base}/_emulator/faults"))
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(
        faults,
        json!({"p_408": 0.25, "p_5xx": 0.0, "p_lost_response": 0.0, "latency_ms": 3, "p_429": 0.0})
    );
    assert_eq!(emulator.faults().p_408, 0.25);

    emulator.inject_user_events(APP, common::logins(3), None);
    assert_eq!(emulator.stats().apps.len(), 1);
    let reset = client
        .post(format!("{base}/_emulator/reset"))
        .send()
        .await
        .expect("sent");
    assert_eq!(reset.status().as_u16(), 200);
    assert!(emulator.stats().apps.is_empty());
    emulator.set_faults(Default::default());
    let (_, _, body) = read(&client, &base, APP, Feed::UserEvents).await;
    assert!(events(&body).is_empty(), "reset emptied the rings");
}

/// Replays one user's events in `ms` order and checks the invariants.
fn check_user(user: &str, mut timeline: Vec<(u64, String, String)>) {
    timeline.sort();
    let mut online = false;
    let mut channels = BTreeSet::new();
    let mut last = 0;
    for (ms, kind, channel) in timeline {
        assert!(ms > last, "{user}: ms must increase ({last} then {ms})");
        last = ms;
        match kind.as_str() {
            "Login" => {
                assert!(!online, "{user}: login twice");
                online = true;
            }
            "Logout" => {
                assert!(
                    online && channels.is_empty(),
                    "{user}: logout while offline or in {channels:?}"
                );
                online = false;
            }
            "Join" => {
                assert!(online, "{user}: join before login");
                assert!(channels.insert(channel), "{user}: join twice");
            }
            "Leave" => {
                assert!(
                    channels.remove(&channel),
                    "{user}: leave a channel it is not in"
                );
            }
            other => panic!("unexpected type {other}"),
        }
    }
}

#[tokio::test]
async fn simulator_traffic_replays_consistently() {
    let emulator = start(|c| {
        c.simulate = Some(SimulateConfig {
            app_id: "sim".into(),
            users: 30,
            channels: 4,
            events_per_sec: 2000.0,
            user_event_share: 0.4,
            duration: None,
        });
    })
    .await;
    let client = reqwest::Client::new();
    let base = emulator.base_url();
    let mut timelines: HashMap<String, Vec<(u64, String, String)>> = HashMap::new();
    let mut counts = [0usize; 2];
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_millis(1500) {
        for (i, feed) in Feed::ALL.into_iter().enumerate() {
            let (status, _, body) = read(&client, &base, "sim", feed).await;
            assert_eq!(status, 200);
            for event in events(&body) {
                counts[i] += 1;
                let user = event["user_id"].as_str().expect("user").to_string();
                let channel = event["group_id"].as_str().unwrap_or_default().to_string();
                let kind = event["type"].as_str().expect("type").to_string();
                let ms = event["ms"].as_u64().expect("ms");
                timelines.entry(user).or_default().push((ms, kind, channel));
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    emulator.shutdown().await;

    let total = counts[0] + counts[1];
    assert!(
        total > 1500,
        "about 3000 events expected in 1.5 s, got {total}"
    );
    let share = counts[0] as f64 / total as f64;
    assert!((share - 0.4).abs() < 0.08, "user event share {share}");
    for (user, timeline) in timelines {
        check_user(&user, timeline);
    }
}

#[tokio::test]
async fn simulator_can_feed_channel_events_only() {
    let emulator = start(|c| {
        c.regions = vec!["r1".into(), "r2".into()];
        c.simulate = Some(SimulateConfig {
            users: 5,
            events_per_sec: 1000.0,
            user_event_share: 0.0,
            ..SimulateConfig::default()
        });
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stats = emulator.stats();
    let app = stats.app("demo").expect("the default simulated app id");
    let users = app.total(Feed::UserEvents).produced / 2;
    let channels = app.total(Feed::ChannelEvents).produced / 2;
    assert!(users <= 5, "only the initial logins: {users}");
    assert!(channels > 100, "{channels}");
    // Both regions got the same events.
    assert_eq!(
        stats
            .feed("demo", "r1", Feed::ChannelEvents)
            .map(|f| f.produced),
        stats
            .feed("demo", "r2", Feed::ChannelEvents)
            .map(|f| f.produced)
    );
}

#[tokio::test]
async fn simulator_sustains_12000_events_per_second() {
    let emulator = start(|c| {
        c.regions = vec!["r1".into(), "r2".into(), "r3".into()];
        c.simulate = Some(SimulateConfig {
            users: 5_000,
            channels: 50,
            events_per_sec: 12_000.0,
            ..SimulateConfig::default()
        });
    })
    .await;
    let started = std::time::Instant::now();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let stats = emulator.stats();
    let elapsed = started.elapsed().as_secs_f64();
    emulator.shutdown().await;
    let app = stats.app("demo").expect("simulated app");
    let region = stats.apps["demo"].regions["r1"];
    let produced = region.user_events.produced + region.channel_events.produced;
    let expected = 12_000.0 * elapsed;
    assert!(
        (produced as f64) > expected * 0.7 && (produced as f64) < expected * 1.1,
        "{produced} events in {elapsed:.2} s"
    );
    // Nobody reads, so the rings overflow: everything is still accounted for.
    for feed in Feed::ALL {
        assert!(app.total(feed).is_balanced());
    }
}

#[test]
fn the_handle_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<agora_rtm_rest_emulator::Emulator>();
}
