//! Helpers shared by the emulator's integration tests.
#![allow(dead_code)]

use agora_rtm_rest_emulator::{
    ChannelEvent, ChannelEventKind, Emulator, EmulatorConfig, Feed, UserEvent, UserEventKind,
};
use base64::Engine as _;
use serde_json::Value;

/// Starts an emulator on ephemeral ports with no rate limit unless the
/// closure sets one.
pub async fn start(configure: impl FnOnce(&mut EmulatorConfig)) -> Emulator {
    let mut config = EmulatorConfig {
        rate_limit_per_sec: 0,
        ..EmulatorConfig::default()
    };
    configure(&mut config);
    Emulator::start(config).await.expect("emulator starts")
}

/// A `Basic` header value.
pub fn basic(id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

/// The feed URL of an app id under a listener root.
pub fn feed_url(base: &str, app_id: &str, feed: Feed) -> String {
    format!("{base}/dev/v2/project/{app_id}{}", feed.path())
}

/// One GET of a feed with Basic auth: status, headers and body as JSON (or
/// the raw text as a JSON string when it is not JSON).
pub async fn read(
    client: &reqwest::Client,
    base: &str,
    app_id: &str,
    feed: Feed,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = client
        .get(feed_url(base, app_id, feed))
        .header("Authorization", basic("customer", "secret"))
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body read");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, body)
}

/// The events of a 200 body.
pub fn events(body: &Value) -> Vec<Value> {
    body["events"].as_array().cloned().unwrap_or_default()
}

/// `n` distinct logins.
pub fn logins(n: usize) -> Vec<UserEvent> {
    (0..n)
        .map(|i| UserEvent {
            user_id: format!("u{i}"),
            kind: UserEventKind::Login,
            ms: 1_000 + i as u64,
        })
        .collect()
}

/// `n` distinct joins.
pub fn joins(n: usize) -> Vec<ChannelEvent> {
    (0..n)
        .map(|i| ChannelEvent {
            channel_id: format!("ch{}", i % 3),
            user_id: format!("u{i}"),
            kind: ChannelEventKind::Join,
            ms: 2_000 + i as u64,
        })
        .collect()
}

/// A response body as JSON (the raw text as a JSON string when it is not JSON).
pub async fn json_body(response: reqwest::Response) -> Value {
    let text = response.text().await.expect("body read");
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}
