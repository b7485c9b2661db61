//! Sending messages, presence, and both message history APIs.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use agora_rtm_rest_emulator::{
    Emulator, Faults, HistoryPayload, HistoryRecord, MessageKind, UserEvent, UserEventKind,
};
use agora_rtm_rest_protocol::Feed;
use agora_rtm_rest_protocol::token::{self, iso8601_utc};
use common::{basic, read, start};
use serde_json::{Value, json};

const APP: &str = "app1";

/// An emulator without rate limits (the history APIs' default limits are
/// low for a test that makes many calls).
async fn unlimited() -> Emulator {
    start(|c| {
        c.legacy_history_rate_limit_per_sec = 0;
        c.history_v2_rate_limit_per_sec = 0;
    })
    .await
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// Percent-encodes a path segment (everything but unreserved characters).
fn segment(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn project(emulator: &Emulator) -> String {
    format!("{}/dev/v2/project/{APP}", emulator.base_url())
}

fn peer_url(emulator: &Emulator, user: &str) -> String {
    format!(
        "{}/rtm/users/{}/peer_messages",
        project(emulator),
        segment(user)
    )
}

fn channel_url(emulator: &Emulator, user: &str) -> String {
    format!(
        "{}/rtm/users/{}/channel_messages",
        project(emulator),
        segment(user)
    )
}

fn v2_url(emulator: &Emulator, app: &str, user: &str, kind: &str, channel: &str) -> String {
    format!(
        "{}/rtm/v2/history/{app}/userId/{}/channelType/{kind}/channel/{}",
        emulator.base_url(),
        segment(user),
        segment(channel)
    )
}

struct Caller {
    client: reqwest::Client,
    headers: Vec<(String, String)>,
}

impl Caller {
    fn basic() -> Self {
        Caller {
            client: reqwest::Client::new(),
            headers: vec![("Authorization".into(), basic("customer", "secret"))],
        }
    }

    fn with(headers: &[(&str, &str)]) -> Self {
        Caller {
            client: reqwest::Client::new(),
            headers: headers
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        }
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut request = request;
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let response = request.send().await.expect("sent");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, headers, common::json_body(response).await)
    }

    async fn post(&self, url: &str, body: &Value) -> (u16, Value) {
        let (status, headers, body) = self
            .send(
                self.client
                    .post(url)
                    .header("Content-Type", "application/json;charset=utf-8")
                    .body(body.to_string()),
            )
            .await;
        assert_json(&headers);
        (status, body)
    }

    async fn post_raw(&self, url: &str, body: &str) -> (u16, Value) {
        let (status, _, body) = self
            .send(self.client.post(url).body(body.to_string()))
            .await;
        (status, body)
    }

    async fn get(&self, url: &str, query: &[(&str, &str)]) -> (u16, Value) {
        let (status, headers, body) = self.send(self.client.get(url).query(query)).await;
        assert_json(&headers);
        (status, body)
    }
}

fn assert_json(headers: &reqwest::header::HeaderMap) {
    assert_eq!(
        headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default(),
        "application/json"
    );
}

fn assert_request_id(body: &Value) {
    let id = body["request_id"].as_str().expect("request_id string");
    let (a, b) = id.split_once('_').expect("two parts");
    assert!(
        a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit()),
        "{id}"
    );
}

fn peer(destination: &str, payload: &str) -> Value {
    json!({"destination": destination, "payload": payload})
}

/// A filter window of an hour either side of now.
fn window() -> (String, String) {
    let now = now_secs();
    (iso8601_utc(now - 3600), iso8601_utc(now + 3600))
}

/// Creates a legacy query; returns its handle.
async fn create_query(caller: &Caller, emulator: &Emulator, body: Value) -> String {
    let (status, created) = caller
        .post(
            &format!("{}/rtm/message/history/query", project(emulator)),
            &body,
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let location = created["location"].as_str().expect("location");
    let handle = location
        .strip_prefix("~/rtm/message/history/query/")
        .expect("location prefix");
    assert!(!handle.contains('/'), "{handle}");
    assert!(handle.ends_with('='), "{handle}");
    handle.to_string()
}

fn handle_url(emulator: &Emulator, handle: &str) -> String {
    format!(
        "{}/rtm/message/history/query/{}",
        project(emulator),
        segment(handle)
    )
}

/// Polls a handle until it is ready (the first poll must be "in progress").
async fn query_messages(caller: &Caller, emulator: &Emulator, handle: &str) -> Vec<Value> {
    let url = handle_url(emulator, handle);
    let (status, first) = caller.get(&url, &[]).await;
    assert_eq!(
        (status, first),
        (
            200,
            json!({"result": "success", "code": "in progress", "messages": []})
        )
    );
    let (status, ready) = caller.get(&url, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(ready["result"], "success");
    assert_eq!(ready["code"], "ok");
    ready["messages"].as_array().cloned().expect("messages")
}

#[tokio::test]
async fn peer_messages_follow_presence() {
    let emulator = unlimited().await;
    let caller = Caller::basic();
    let url = peer_url(&emulator, "alice");
    let ack = format!("{url}?wait_for_ack=true");

    // Without waiting: sent, whoever the receiver.
    let (status, body) = caller.post(&url, &peer("bob", "hi")).await;
    assert_eq!(status, 200);
    assert_eq!(
        (&body["result"], &body["code"]),
        (&json!("success"), &json!("message_sent"))
    );
    assert_request_id(&body);
    let (_, body) = caller
        .post(&format!("{url}?wait_for_ack=false"), &peer("bob", "hi"))
        .await;
    assert_eq!(body["code"], "message_sent");

    // Offline: no `result` at all.
    let (status, body) = caller.post(&ack, &peer("bob", "hi")).await;
    assert_eq!(status, 200);
    assert_eq!(body["code"], "message_offline");
    assert!(body.get("result").is_none(), "{body}");
    assert_request_id(&body);

    // Online through an injected login; reading the feed does not change it.
    emulator.inject_user_events(
        APP,
        vec![UserEvent {
            user_id: "bob".into(),
            kind: UserEventKind::Login,
            ms: 1,
        }],
        None,
    );
    let (_, _, page) = read(&caller.client, &emulator.base_url(), APP, Feed::UserEvents).await;
    assert_eq!(common::events(&page).len(), 1);
    assert!(emulator.is_online(APP, "bob"));
    let (status, body) = caller.post(&ack, &peer("bob", "hi")).await;
    assert_eq!(status, 200);
    assert_eq!(
        (&body["result"], &body["code"]),
        (&json!("success"), &json!("message_delivered"))
    );
    // Presence is per app id.
    let other = format!(
        "{}/dev/v2/project/other/rtm/users/alice/peer_messages?wait_for_ack=true",
        emulator.base_url()
    );
    assert_eq!(
        caller.post(&other, &peer("bob", "hi")).await.1["code"],
        "message_offline"
    );

    // An injected logout (over the admin API) takes bob offline again.
    let (status, _) = caller
        .post(
            &format!("{}/_emulator/apps/{APP}/user_events", emulator.base_url()),
            &json!([{"user_id": "bob", "type": "Logout"}]),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        caller.post(&ack, &peer("bob", "hi")).await.1["code"],
        "message_offline"
    );

    // set_online and the admin route.
    emulator.set_online(APP, "carol", true);
    assert_eq!(
        caller.post(&ack, &peer("carol", "hi")).await.1["code"],
        "message_delivered"
    );
    emulator.set_online(APP, "carol", false);
    assert_eq!(
        caller.post(&ack, &peer("carol", "hi")).await.1["code"],
        "message_offline"
    );
    let admin = reqwest::Client::new();
    let response = admin
        .put(format!(
            "{}/_emulator/apps/{APP}/online/{}",
            emulator.base_url(),
            segment("d ave")
        ))
        .body(json!({"online": true}).to_string())
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        caller.post(&ack, &peer("d ave", "hi")).await.1["code"],
        "message_delivered"
    );
    let (_, online) = caller
        .get(
            &format!("{}/_emulator/apps/{APP}/online", emulator.base_url()),
            &[],
        )
        .await;
    assert_eq!(online, json!({"online": ["d ave"]}));

    let app = emulator.stats().app(APP).cloned().expect("app");
    assert_eq!(app.messages_sent, 8);
    assert_eq!(app.history_stored, 0);
}

#[tokio::test]
async fn simulated_population_is_online() {
    let emulator = start(|c| {
        c.simulate = Some(agora_rtm_rest_emulator::SimulateConfig {
            app_id: APP.into(),
            users: 3,
            events_per_sec: 1000.0,
            user_event_share: 0.0,
            channels: 2,
            duration: Some(Duration::from_millis(300)),
        })
    })
    .await;
    // At share 0 the population logs in and stays online.
    let mut online = Vec::new();
    for _ in 0..100 {
        online = (0..3)
            .filter(|i| emulator.is_online(APP, &format!("user-{i}")))
            .collect::<Vec<_>>();
        if online.len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(online.len(), 3);
    let caller = Caller::basic();
    let (_, body) = caller
        .post(
            &format!("{}?wait_for_ack=true", peer_url(&emulator, "x")),
            &peer("user-1", "hi"),
        )
        .await;
    assert_eq!(body["code"], "message_delivered");
}

#[tokio::test]
async fn channel_messages() {
    let emulator = unlimited().await;
    let caller = Caller::basic();
    let (status, body) = caller
        .post(
            &channel_url(&emulator, "alice"),
            &json!({"channel_name": "room (1)", "payload": "hello"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (&body["result"], &body["code"]),
        (&json!("success"), &json!("message_sent"))
    );
    assert_request_id(&body);
    assert_eq!(emulator.stats().app(APP).expect("app").messages_sent, 1);
}

#[tokio::test]
async fn every_rule_gives_400_naming_the_field() {
    let emulator = unlimited().await;
    let caller = Caller::basic();
    let long = "x".repeat(65);
    let big = "y".repeat(32 * 1024 + 1);
    let all_allowed = "aZ09 !#$%&()+-:;<=.>?@[]^_{}|~,'";

    // Accepted edge cases first.
    for (user, body) in [
        (all_allowed, peer(all_allowed, "x")),
        ("u", peer(&"x".repeat(64), &"y".repeat(32 * 1024))),
    ] {
        let (status, answer) = caller.post(&peer_url(&emulator, user), &body).await;
        assert_eq!(status, 200, "{user:?}: {answer}");
    }

    let cases: Vec<(String, String, Value, &str)> = vec![
        (
            peer_url(&emulator, " alice"),
            "peer".into(),
            peer("bob", "x"),
            "user_id",
        ),
        (
            peer_url(&emulator, "alice "),
            "peer".into(),
            peer("bob", "x"),
            "user_id",
        ),
        (
            peer_url(&emulator, "a/b"),
            "peer".into(),
            peer("bob", "x"),
            "user_id",
        ),
        (
            peer_url(&emulator, "a*b"),
            "peer".into(),
            peer("bob", "x"),
            "user_id",
        ),
        (
            peer_url(&emulator, &long),
            "peer".into(),
            peer("bob", "x"),
            "user_id",
        ),
        (
            peer_url(&emulator, "alice"),
            "peer".into(),
            peer("", "x"),
            "destination",
        ),
        (
            peer_url(&emulator, "alice"),
            "peer".into(),
            peer("b\"ob", "x"),
            "destination",
        ),
        (
            peer_url(&emulator, "alice"),
            "peer".into(),
            peer(&long, "x"),
            "destination",
        ),
        (
            peer_url(&emulator, "alice"),
            "peer".into(),
            peer("bob", ""),
            "payload",
        ),
        (
            peer_url(&emulator, "alice"),
            "peer".into(),
            peer("bob", &big),
            "payload",
        ),
        (
            channel_url(&emulator, "alice"),
            "channel".into(),
            json!({"channel_name": "", "payload": "x"}),
            "channel_name",
        ),
        (
            channel_url(&emulator, "alice"),
            "channel".into(),
            json!({"channel_name": "a\\b", "payload": "x"}),
            "channel_name",
        ),
        (
            channel_url(&emulator, "alice"),
            "channel".into(),
            json!({"channel_name": "c", "payload": ""}),
            "payload",
        ),
        (
            channel_url(&emulator, "é"),
            "channel".into(),
            json!({"channel_name": "c", "payload": "x"}),
            "user_id",
        ),
    ];
    for (url, kind, body, field) in cases {
        let (status, answer) = caller.post(&url, &body).await;
        assert_eq!(status, 400, "{kind} {url} {body}: {answer}");
        assert_eq!(answer["result"], "failed");
        assert_request_id(&answer);
        let message = answer["message"].as_str().expect("message");
        assert!(
            message.starts_with(&format!("invalid {field}: ")),
            "{kind} {url}: {message}"
        );
    }

    // Malformed JSON, missing fields and wrong types.
    for body in [
        "not json",
        "{}",
        r#"{"destination": "bob"}"#,
        r#"{"destination": "bob", "payload": 5}"#,
    ] {
        let (status, answer) = caller.post_raw(&peer_url(&emulator, "alice"), body).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["result"], "failed");
    }
    let (status, _) = caller
        .post_raw(&channel_url(&emulator, "alice"), r#"{"payload": "x"}"#)
        .await;
    assert_eq!(status, 400);
    let (status, answer) = caller
        .post(
            &format!("{}?wait_for_ack=maybe", peer_url(&emulator, "alice")),
            &peer("bob", "x"),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        answer["message"]
            .as_str()
            .expect("message")
            .starts_with("invalid wait_for_ack")
    );
    assert_eq!(emulator.stats().app(APP).expect("app").messages_sent, 2);
}

#[tokio::test]
async fn tokens_may_only_send_as_their_user() {
    const APP_ID: &str = "970CA35de60c44645bbae8a215061b33";
    const CERT: &str = "5CFd2fd1755d40ecb72977518be15d3b";
    let emulator = start(|c| c.app_certificates = vec![(APP_ID.into(), CERT.into())]).await;
    let now = now_secs() as u32;
    let lifetime = Duration::from_secs(3600);
    let t007 = token::build_rtm_token(APP_ID, CERT, "alice", lifetime, now, 3).expect("007");
    let t006 = token::build_legacy_rtm_token(APP_ID, CERT, "bob", lifetime, now, 4).expect("006");
    let url = |user: &str| {
        format!(
            "{}/dev/v2/project/{APP_ID}/rtm/users/{}/peer_messages",
            emulator.base_url(),
            segment(user)
        )
    };
    let channel = |user: &str| {
        format!(
            "{}/dev/v2/project/{APP_ID}/rtm/users/{user}/channel_messages",
            emulator.base_url()
        )
    };
    let agora = Caller::with(&[("Authorization", &format!("agora token={t007}"))]);
    let legacy = Caller::with(&[("x-agora-token", &t006), ("x-agora-uid", "bob")]);
    let msg = peer("zed", "hi");
    let chan = json!({"channel_name": "c", "payload": "hi"});

    assert_eq!(agora.post(&url("alice"), &msg).await.0, 200);
    assert_eq!(agora.post(&channel("alice"), &chan).await.0, 200);
    assert_eq!(legacy.post(&url("bob"), &msg).await.0, 200);
    assert_eq!(legacy.post(&channel("bob"), &chan).await.0, 200);
    let invalid = json!({"message": "invalid token"});
    assert_eq!(agora.post(&url("bob"), &msg).await, (401, invalid.clone()));
    assert_eq!(
        agora.post(&channel("bob"), &chan).await,
        (401, invalid.clone())
    );
    assert_eq!(
        legacy.post(&url("alice"), &msg).await,
        (401, invalid.clone())
    );
    // Basic may act as anyone.
    assert_eq!(Caller::basic().post(&url("anyone"), &msg).await.0, 200);
    // No credentials at all.
    assert_eq!(Caller::with(&[]).post(&url("alice"), &msg).await.0, 401);

    let app = emulator.stats().app(APP_ID).cloned().expect("app");
    assert_eq!((app.messages_sent, app.auth_failures), (5, 4));
}

#[tokio::test]
async fn historical_messages_reach_both_history_apis() {
    let emulator = unlimited().await;
    let caller = Caller::basic();
    for (user, body) in [
        (
            "alice",
            json!({"destination": "bob", "payload": "one", "enable_historical_messaging": true}),
        ),
        (
            "bob",
            json!({"destination": "alice", "payload": "two", "enable_historical_messaging": true}),
        ),
        (
            "alice",
            json!({"destination": "bob", "payload": "not kept"}),
        ),
        (
            "alice",
            json!({"destination": "bob", "payload": "not kept either", "enable_historical_messaging": false}),
        ),
        (
            "alice",
            json!({"destination": "carol", "payload": "three", "enable_historical_messaging": true, "enable_offline_messaging": true}),
        ),
    ] {
        assert_eq!(caller.post(&peer_url(&emulator, user), &body).await.0, 200);
    }
    for payload in ["c1", "c2"] {
        let body = json!({"channel_name": "room", "payload": payload, "enable_historical_messaging": true});
        assert_eq!(
            caller.post(&channel_url(&emulator, "alice"), &body).await.0,
            200
        );
    }
    assert_eq!(emulator.stats().app(APP).expect("app").history_stored, 5);

    // Legacy: alice's messages, ascending, with unique increasing ms.
    let (start_time, end_time) = window();
    let handle = create_query(
        &caller,
        &emulator,
        json!({"filter": {"source": "alice", "start_time": start_time, "end_time": end_time},
               "offset": 0, "limit": 20, "order": "asc"}),
    )
    .await;
    let messages = query_messages(&caller, &emulator, &handle).await;
    let payloads: Vec<&str> = messages
        .iter()
        .map(|m| m["payload"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(payloads, vec!["one", "three", "c1", "c2"]);
    assert_eq!(messages[0]["src"], "alice");
    assert_eq!(messages[0]["dst"], "bob");
    assert_eq!(messages[0]["message_type"], "peer_message");
    assert_eq!(messages[2]["message_type"], "channel_message");
    assert_eq!(messages[2]["dst"], "room");
    let ms: Vec<u64> = messages
        .iter()
        .map(|m| m["ms"].as_u64().expect("ms"))
        .collect();
    assert!(ms.windows(2).all(|w| w[0] < w[1]), "{ms:?}");
    let now_ms = now_secs() * 1000;
    assert!(ms.iter().all(|m| m.abs_diff(now_ms) < 60_000));

    // Destination only, descending.
    let handle = create_query(
        &caller,
        &emulator,
        json!({"filter": {"destination": "bob", "start_time": start_time, "end_time": end_time},
               "limit": 50, "order": "desc"}),
    )
    .await;
    let messages = query_messages(&caller, &emulator, &handle).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["payload"], "one");

    // Signaling 2.x: the conversation both ways, newest first; the channel.
    let (status, body) = caller
        .get(&v2_url(&emulator, APP, "alice", "user", "bob"), &[])
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["errorCode"], 200);
    assert_eq!(body["error"], false);
    assert_eq!(body["operation"], "getMessage");
    assert_eq!(body["reason"], "");
    assert!(body["requestId"].is_string());
    assert!(
        body["timestamp"]
            .as_u64()
            .expect("timestamp")
            .abs_diff(now_ms)
            < 60_000
    );
    let list = body["data"]["messageList"].as_array().expect("list");
    assert_eq!(body["data"]["count"], 2);
    assert_eq!(body["data"]["newStart"], 0);
    assert_eq!(list[0]["message"], "two");
    assert_eq!(list[0]["publisher"], "bob");
    assert_eq!(list[0]["messageType"], "STRING");
    assert_eq!(list[0]["customType"], "");
    assert_eq!(list[1]["message"], "one");
    assert!(list[0]["timestamp"].as_u64() > list[1]["timestamp"].as_u64());
    let (_, body) = caller
        .get(&v2_url(&emulator, APP, "bob", "message", "room"), &[])
        .await;
    let list: Vec<&str> = body["data"]["messageList"]
        .as_array()
        .expect("list")
        .iter()
        .map(|m| m["message"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(list, vec!["c2", "c1"]);
    // A channel message is not a peer message to a user named like the channel.
    let (_, body) = caller
        .get(&v2_url(&emulator, APP, "alice", "user", "room"), &[])
        .await;
    assert_eq!(body["data"]["count"], 0);
    assert_eq!(emulator.stats().app(APP).expect("app").history_queries, 5);
}

#[tokio::test]
async fn legacy_queries_page_expire_and_count() {
    let emulator = unlimited().await;
    let caller = Caller::basic();
    for i in 0..30 {
        emulator.store_history_message(
            APP,
            HistoryRecord {
                src: "alice".into(),
                dst: "bob".into(),
                kind: MessageKind::Peer,
                payload: HistoryPayload::Text(format!("m{i}")),
                ms: Some(1_564_622_530_000 + i * 1000),
            },
        );
    }
    // 2019-08-01T01:22:10Z is 1_564_622_530.
    let filter = json!({"source": "alice", "destination": "bob",
        "start_time": "2019-08-01T01:22:15Z", "end_time": "2019-08-01T01:22:34.5Z"});
    let handle = create_query(
        &caller,
        &emulator,
        json!({"filter": filter, "offset": 5, "limit": 20, "order": "asc"}),
    )
    .await;
    // Messages stored after the query are not in its snapshot.
    emulator.store_history_message(
        APP,
        HistoryRecord {
            src: "alice".into(),
            dst: "bob".into(),
            kind: MessageKind::Peer,
            payload: HistoryPayload::Text("late".into()),
            ms: Some(1_564_622_550_500),
        },
    );
    let messages = query_messages(&caller, &emulator, &handle).await;
    let payloads: Vec<&str> = messages
        .iter()
        .map(|m| m["payload"].as_str().unwrap_or(""))
        .collect();
    // Seconds 15..=34 select m5..=m24 (20); offset 5 leaves m10..=m24.
    let expected: Vec<String> = (10..=24).map(|i| format!("m{i}")).collect();
    assert_eq!(payloads, expected);
    // Polling again answers the same snapshot.
    let (_, again) = caller.get(&handle_url(&emulator, &handle), &[]).await;
    assert_eq!(again["messages"].as_array().map(Vec::len), Some(15));

    let desc = create_query(
        &caller,
        &emulator,
        json!({"filter": filter, "limit": 20, "order": "desc"}),
    )
    .await;
    let messages = query_messages(&caller, &emulator, &desc).await;
    assert_eq!(messages.len(), 20);
    assert_eq!(messages[0]["payload"], "m24");

    // Unknown handle: 404. Expired: 410 (Rust API), also for never-polled handles.
    let (status, body) = caller
        .get(&handle_url(&emulator, "bm9zdWNoaGFuZGxl=="), &[])
        .await;
    assert_eq!(
        (status, body),
        (
            404,
            json!({"result": "failed", "message": "query not found"})
        )
    );
    let fresh = create_query(&caller, &emulator, json!({"filter": filter, "limit": 100})).await;
    assert_eq!(emulator.expire_history_queries(APP), 3);
    let gone = json!({"result": "failed", "message": "query expired"});
    for h in [&handle, &desc, &fresh] {
        assert_eq!(
            caller.get(&handle_url(&emulator, h), &[]).await,
            (410, gone.clone())
        );
    }
    // The admin route does the same.
    let h = create_query(&caller, &emulator, json!({"filter": filter})).await;
    let (status, body) = caller
        .post(
            &format!(
                "{}/_emulator/apps/{APP}/history/expire",
                emulator.base_url()
            ),
            &json!({}),
        )
        .await;
    assert_eq!((status, body), (200, json!({"expired": 1})));
    assert_eq!(caller.get(&handle_url(&emulator, &h), &[]).await.0, 410);
    // And a short lifetime.
    emulator.set_history_query_ttl(Duration::from_millis(50));
    let h = create_query(&caller, &emulator, json!({"filter": filter})).await;
    tokio::time::sleep(Duration::from_millis(80)).await;
    assert_eq!(caller.get(&handle_url(&emulator, &h), &[]).await.0, 410);
    let admin = reqwest::Client::new();
    let response = admin
        .put(format!(
            "{}/_emulator/history_query_ttl",
            emulator.base_url()
        ))
        .body(json!({"ttl_ms": 60_000}).to_string())
        .send()
        .await
        .expect("sent");
    assert_eq!(common::json_body(response).await, json!({"ttl_ms": 60_000}));
    assert_eq!(emulator.history_query_ttl(), Duration::from_secs(60));

    // Count: in progress, then ok (live), per filter.
    let count_url = format!("{}/rtm/message/history/count", project(&emulator));
    let params = [
        ("source", "alice"),
        ("destination", "bob"),
        ("start_time", "2019-08-01T01:22:15Z"),
        ("end_time", "2019-08-01T01:22:34Z"),
    ];
    let (status, body) = caller.get(&count_url, &params).await;
    assert_eq!(
        (status, body),
        (200, json!({"result": "success", "code": "in progress"}))
    );
    let (status, body) = caller.get(&count_url, &params).await;
    assert_eq!(
        (status, body),
        (200, json!({"result": "success", "code": "ok", "count": 21}))
    );
    let other = [
        ("destination", "bob"),
        ("start_time", "2019-08-01T00:00:00Z"),
        ("end_time", "2019-08-02T00:00:00Z"),
    ];
    assert_eq!(
        caller.get(&count_url, &other).await.1["code"],
        "in progress"
    );
    assert_eq!(caller.get(&count_url, &other).await.1["count"], 31);
    // Empty parameters count as absent.
    let empty_source = [
        ("source", ""),
        ("destination", "bob"),
        ("start_time", "2019-08-01T00:00:00Z"),
        ("end_time", "2019-08-02T00:00:00Z"),
    ];
    assert_eq!(caller.get(&count_url, &empty_source).await.1["count"], 31);
}

#[tokio::test]
async fn legacy_validation() {
    let emulator = unlimited().await;
    let caller = Caller::basic();
    let url = format!("{}/rtm/message/history/query", project(&emulator));
    let t = "2020-01-01T00:00:00Z";
    let cases = [
        (
            json!({"filter": {"start_time": t, "end_time": t}}),
            "filter",
        ),
        (json!({"offset": 0}), "filter"),
        (
            json!({"filter": {"source": "a b ", "start_time": t, "end_time": t}}),
            "source",
        ),
        (
            json!({"filter": {"destination": "x/y", "start_time": t, "end_time": t}}),
            "destination",
        ),
        (
            json!({"filter": {"source": "a", "end_time": t}}),
            "start_time",
        ),
        (
            json!({"filter": {"source": "a", "start_time": "2020-01-01", "end_time": t}}),
            "start_time",
        ),
        (
            json!({"filter": {"source": "a", "start_time": t, "end_time": "2020-01-01T00:00:00+08:00"}}),
            "end_time",
        ),
        (
            json!({"filter": {"source": "a", "start_time": "2020-01-02T00:00:00Z", "end_time": t}}),
            "filter",
        ),
        (
            json!({"filter": {"source": "a", "start_time": t, "end_time": t}, "limit": 30}),
            "limit",
        ),
        (
            json!({"filter": {"source": "a", "start_time": t, "end_time": t}, "order": "up"}),
            "order",
        ),
        (
            json!({"filter": {"source": "a", "start_time": t, "end_time": t}, "offset": -1}),
            "offset",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = caller.post(&url, &body).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["result"], "failed");
        let message = answer["message"].as_str().expect("message");
        assert!(
            message.starts_with(&format!("invalid {field}: ")),
            "{body}: {message}"
        );
    }
    let (status, _) = caller.post_raw(&url, "{").await;
    assert_eq!(status, 400);
    // Defaults: offset 0, limit 20, order asc.
    let (status, created) = caller
        .post(
            &url,
            &json!({"filter": {"source": "a", "start_time": t, "end_time": t}}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            &created["result"],
            &created["offset"],
            &created["limit"],
            &created["order"]
        ),
        (&json!("success"), &json!(0), &json!(20), &json!("asc"))
    );

    let count_url = format!("{}/rtm/message/history/count", project(&emulator));
    let (status, answer) = caller
        .get(&count_url, &[("source", "a"), ("start_time", t)])
        .await;
    assert_eq!(status, 400);
    assert!(
        answer["message"]
            .as_str()
            .expect("message")
            .starts_with("invalid end_time: ")
    );
    let (status, answer) = caller
        .get(&count_url, &[("start_time", t), ("end_time", t)])
        .await;
    assert_eq!(status, 400);
    assert!(
        answer["message"]
            .as_str()
            .expect("message")
            .starts_with("invalid filter: ")
    );
}

#[tokio::test]
async fn v2_pages_250_messages() {
    let emulator = unlimited().await;
    let caller = Caller::basic();
    for i in 0..250 {
        emulator.store_history_message(
            APP,
            HistoryRecord {
                src: format!("u{}", i % 7),
                dst: "room".into(),
                kind: MessageKind::Channel,
                payload: HistoryPayload::Text(format!("m{i}")),
                ms: None,
            },
        );
        // Noise in other conversations.
        emulator.store_history_message(
            APP,
            HistoryRecord {
                src: "u1".into(),
                dst: "room".into(),
                kind: MessageKind::Peer,
                payload: HistoryPayload::Text("peer".into()),
                ms: None,
            },
        );
    }
    let url = v2_url(&emulator, APP, "reader", "message", "room");
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut start = String::new();
    loop {
        let mut query = vec![("messageCount", "100")];
        if !start.is_empty() {
            query.push(("start", start.as_str()));
        }
        let (status, body) = caller.get(&url, &query).await;
        assert_eq!(status, 200, "{body}");
        let list = body["data"]["messageList"]
            .as_array()
            .cloned()
            .expect("list");
        assert_eq!(body["data"]["count"], list.len());
        sizes.push(list.len());
        seen.extend(list.iter().map(|m| {
            (
                m["timestamp"].as_u64().expect("ts"),
                m["message"].as_str().unwrap_or("").to_string(),
            )
        }));
        let new_start = body["data"]["newStart"].as_u64().expect("newStart");
        if new_start == 0 {
            break;
        }
        assert!(sizes.len() < 5, "paging does not end");
        start = new_start.to_string();
    }
    assert_eq!(sizes, vec![100, 100, 50]);
    let expected: Vec<String> = (0..250).rev().map(|i| format!("m{i}")).collect();
    let got: Vec<String> = seen.iter().map(|(_, m)| m.clone()).collect();
    assert_eq!(got, expected, "newest first, none repeated or missing");
    assert!(seen.windows(2).all(|w| w[0].0 > w[1].0));
    let unique: HashSet<u64> = seen.iter().map(|(ts, _)| *ts).collect();
    assert_eq!(unique.len(), 250);

    // `end` alone: the latest down to and including end.
    let end = seen[9].0.to_string();
    let (_, body) = caller.get(&url, &[("end", end.as_str())]).await;
    assert_eq!(body["data"]["count"], 10);
    assert_eq!(body["data"]["newStart"], 0);
    // Both bounds.
    let (start, end) = (seen[20].0.to_string(), seen[29].0.to_string());
    let (_, body) = caller
        .get(
            &url,
            &[
                ("start", start.as_str()),
                ("end", end.as_str()),
                ("messageCount", "4"),
            ],
        )
        .await;
    assert_eq!(body["data"]["count"], 4);
    assert_eq!(body["data"]["messageList"][0]["message"], seen[20].1);
    assert_eq!(body["data"]["newStart"], seen[24].0);
}

#[tokio::test]
async fn v2_errors() {
    let emulator = start(|c| c.history_v2_disabled_apps = vec!["closed".into()]).await;
    let caller = Caller::basic();
    let url = v2_url(&emulator, APP, "alice", "user", "bob");
    for (query, reason) in [
        (vec![("messageCount", "0")], "invalid messageCount"),
        (vec![("messageCount", "101")], "invalid messageCount"),
        (vec![("messageCount", "ten")], "invalid messageCount"),
        (vec![("start", "-1")], "invalid start"),
        (vec![("end", "x")], "invalid end"),
    ] {
        let (status, body) = caller.get(&url, &query).await;
        assert_eq!(status, 400, "{query:?}: {body}");
        assert_eq!(body["data"], Value::Null);
        assert_eq!(body["error"], true);
        assert_eq!(body["errorCode"], 400);
        assert_eq!(body["reason"], reason);
    }
    let (status, body) = caller
        .get(&v2_url(&emulator, APP, "alice", "group", "bob"), &[])
        .await;
    assert_eq!(
        (status, &body["reason"]),
        (400, &json!("invalid channelType"))
    );
    let (status, body) = caller
        .get(&v2_url(&emulator, APP, "al/ice", "user", "bob"), &[])
        .await;
    assert_eq!((status, &body["reason"]), (400, &json!("invalid userId")));

    let (status, body) = caller
        .get(&v2_url(&emulator, "closed", "alice", "user", "bob"), &[])
        .await;
    assert_eq!(status, 403);
    assert_eq!(
        (
            &body["data"],
            &body["error"],
            &body["errorCode"],
            &body["reason"]
        ),
        (
            &Value::Null,
            &json!(true),
            &json!(403),
            &json!("history is not enabled for this app id")
        )
    );
    // Auth as for the feeds.
    let (status, _) = Caller::with(&[]).get(&url, &[]).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn binary_messages_round_trip() {
    let emulator = unlimited().await;
    let caller = Caller::basic();
    let bytes = vec![0u8, 1, 2, 250, 255, b'h', b'i'];
    let b64 = "AAEC+v9oaQ==";
    let ms = emulator.store_history_message(
        APP,
        HistoryRecord {
            src: "alice".into(),
            dst: "bob".into(),
            kind: MessageKind::Peer,
            payload: HistoryPayload::Binary(bytes),
            ms: None,
        },
    );
    // And one over the admin API.
    let (status, stored) = caller
        .post(
            &format!("{}/_emulator/apps/{APP}/history", emulator.base_url()),
            &json!({"src": "bob", "dst": "alice", "message_type": "peer_message",
                    "payload": "/+8=", "binary": true, "ms": ms + 5}),
        )
        .await;
    assert_eq!(
        (status, stored),
        (200, json!({"stored": 1, "ms": [ms + 5]}))
    );
    let (status, _) = caller
        .post(
            &format!("{}/_emulator/apps/{APP}/history", emulator.base_url()),
            &json!({"src": "bob", "dst": "alice", "message_type": "group_message", "payload": "x"}),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = caller
        .post(
            &format!("{}/_emulator/apps/{APP}/history", emulator.base_url()),
            &json!({"src": "bob", "dst": "alice", "message_type": "peer_message", "payload": "***", "binary": true}),
        )
        .await;
    assert_eq!(status, 400);

    let (_, body) = caller
        .get(&v2_url(&emulator, APP, "alice", "user", "bob"), &[])
        .await;
    let list = body["data"]["messageList"]
        .as_array()
        .cloned()
        .expect("list");
    assert_eq!(list.len(), 2);
    assert_eq!(
        list[0],
        json!({"messageType": "BINARY", "message": "/+8=", "customType": "", "publisher": "bob", "timestamp": ms + 5})
    );
    assert_eq!(list[1]["messageType"], "BINARY");
    assert_eq!(list[1]["message"], b64);

    let start_time = iso8601_utc(ms / 1000 - 1);
    let end_time = iso8601_utc(ms / 1000 + 1);
    let handle = create_query(
        &caller,
        &emulator,
        json!({"filter": {"source": "alice", "start_time": start_time, "end_time": end_time}, "limit": 20, "order": "asc"}),
    )
    .await;
    let messages = query_messages(&caller, &emulator, &handle).await;
    assert_eq!(
        messages,
        vec![
            json!({"src": "alice", "dst": "bob", "message_type": "peer_message", "payload": b64, "ms": ms})
        ]
    );
}

#[tokio::test]
async fn legacy_history_is_limited_to_10_per_second() {
    let emulator = start(|c| assert_eq!(c.legacy_history_rate_limit_per_sec, 10)).await;
    let caller = Caller::basic();
    let count_url = format!("{}/rtm/message/history/count", project(&emulator));
    let params = [
        ("source", "a"),
        ("start_time", "2020-01-01T00:00:00Z"),
        ("end_time", "2020-01-01T00:00:00Z"),
    ];
    let mut statuses = Vec::new();
    for i in 0..12 {
        if i % 3 == 0 {
            statuses.push(caller.get(&handle_url(&emulator, "nothing=="), &[]).await.0);
        } else {
            statuses.push(caller.get(&count_url, &params).await.0);
        }
    }
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(limited, 2, "{statuses:?}");
    assert_eq!(&statuses[10..], &[429, 429]);
    let (status, body) = caller.get(&count_url, &params).await;
    assert_eq!(
        (status, body),
        (429, json!({"message": "Too Many Requests"}))
    );
    // Other budgets are separate.
    assert_eq!(
        caller
            .post(&peer_url(&emulator, "a"), &peer("b", "x"))
            .await
            .0,
        200
    );
    assert_eq!(
        caller
            .get(&v2_url(&emulator, APP, "a", "user", "b"), &[])
            .await
            .0,
        200
    );
    let app = emulator.stats().app(APP).cloned().expect("app");
    assert_eq!(app.rate_limited, 3);
}

#[tokio::test]
async fn configured_limits_and_faults_apply() {
    let emulator = start(|c| {
        c.message_rate_limit_per_sec = 2;
        c.history_v2_rate_limit_per_sec = 1;
    })
    .await;
    let caller = Caller::basic();
    let url = peer_url(&emulator, "a");
    let statuses = [
        caller.post(&url, &peer("b", "x")).await.0,
        caller
            .post(
                &channel_url(&emulator, "a"),
                &json!({"channel_name": "c", "payload": "x"}),
            )
            .await
            .0,
        caller.post(&url, &peer("b", "x")).await.0,
    ];
    assert_eq!(statuses, [200, 200, 429]);
    let v2 = v2_url(&emulator, APP, "a", "user", "b");
    assert_eq!(caller.get(&v2, &[]).await.0, 200);
    assert_eq!(caller.get(&v2, &[]).await.0, 429);

    let emulator = unlimited().await;
    emulator.set_faults(Faults {
        p_408: 1.0,
        ..Faults::default()
    });
    let url = peer_url(&emulator, "a");
    let (status, body) = caller.post(&url, &peer("b", "x")).await;
    assert_eq!(
        (status, body),
        (
            408,
            json!({"result": "failed", "message": "request timeout"})
        )
    );
    emulator.set_faults(Faults {
        p_5xx: 1.0,
        ..Faults::default()
    });
    assert_eq!(
        caller
            .get(&v2_url(&emulator, APP, "a", "user", "b"), &[])
            .await
            .0,
        500
    );
    // A lost response: the message is sent, the connection breaks.
    emulator.set_faults(Faults {
        p_lost_response: 1.0,
        ..Faults::default()
    });
    let lost = caller
        .client
        .post(&url)
        .header("Authorization", basic("c", "s"))
        .body(
            json!({"destination": "b", "payload": "x", "enable_historical_messaging": true})
                .to_string(),
        )
        .send()
        .await;
    let broken = match lost {
        Err(_) => true,
        Ok(response) => response.bytes().await.is_err(),
    };
    assert!(broken, "the response should not arrive");
    emulator.set_faults(Faults::default());
    let app = emulator.stats().app(APP).cloned().expect("app");
    assert_eq!((app.messages_sent, app.history_stored), (1, 1));
    assert_eq!(
        (
            app.faults.timeouts,
            app.faults.server_errors,
            app.faults.lost_responses
        ),
        (1, 1, 1)
    );

    // Reset forgets messages, presence and queries.
    emulator.set_online(APP, "b", true);
    let (start_time, end_time) = window();
    let handle = create_query(
        &caller,
        &emulator,
        json!({"filter": {"source": "a", "start_time": start_time, "end_time": end_time}}),
    )
    .await;
    emulator.reset();
    assert!(!emulator.is_online(APP, "b"));
    assert_eq!(
        caller.get(&handle_url(&emulator, &handle), &[]).await.0,
        404
    );
    let (_, body) = caller
        .get(&v2_url(&emulator, APP, "a", "user", "b"), &[])
        .await;
    assert_eq!(body["data"]["count"], 0);
}
