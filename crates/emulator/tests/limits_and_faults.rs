//! Auth, the rate limit and injected faults.

mod common;

use std::time::Duration;

use agora_rtm_rest_emulator::{Faults, Feed};
use agora_rtm_rest_protocol::token;
use common::{basic, events, feed_url, logins, read, start};
use serde_json::json;

const APP: &str = "app1";

async fn get_with(
    client: &reqwest::Client,
    url: &str,
    headers: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let mut request = client.get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("sent");
    let status = response.status().as_u16();
    let body = common::json_body(response).await;
    (status, body)
}

#[tokio::test]
async fn basic_auth_right_and_wrong() {
    let emulator = start(|c| c.customers = vec![("cid".into(), "secret".into())]).await;
    let client = reqwest::Client::new();
    let url = feed_url(&emulator.base_url(), APP, Feed::UserEvents);
    emulator.inject_user_events(APP, logins(1), None);

    let (status, body) =
        get_with(&client, &url, &[("Authorization", &basic("cid", "wrong"))]).await;
    assert_eq!(
        (status, body),
        (
            401,
            json!({"message": "Invalid authentication credentials"})
        )
    );
    let (status, _) = get_with(&client, &url, &[]).await;
    assert_eq!(status, 401);
    let (status, _) = get_with(&client, &url, &[("Authorization", "Basic %%%")]).await;
    assert_eq!(status, 401);
    // Nothing was consumed by the refused requests.
    let (status, body) =
        get_with(&client, &url, &[("Authorization", &basic("cid", "secret"))]).await;
    assert_eq!(status, 200);
    assert_eq!(events(&body).len(), 1);

    let app = emulator.stats().app(APP).cloned().expect("app");
    assert_eq!((app.requests, app.auth_failures), (4, 3));
}

#[tokio::test]
async fn tokens_are_verified_with_a_configured_certificate() {
    const APP_ID: &str = "970CA35de60c44645bbae8a215061b33";
    const CERT: &str = "5CFd2fd1755d40ecb72977518be15d3b";
    let emulator = start(|c| c.app_certificates = vec![(APP_ID.into(), CERT.into())]).await;
    let client = reqwest::Client::new();
    let url = feed_url(&emulator.base_url(), APP_ID, Feed::UserEvents);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as u32;
    let lifetime = Duration::from_secs(3600);
    let t007 = token::build_rtm_token(APP_ID, CERT, "alice", lifetime, now, 11).expect("007");
    let t006 = token::build_legacy_rtm_token(APP_ID, CERT, "bob", lifetime, now, 12).expect("006");
    let bad = token::build_rtm_token(
        APP_ID,
        "00000000000000000000000000000000",
        "alice",
        lifetime,
        now,
        1,
    )
    .expect("007 with another certificate");

    let ok = |status: u16| assert_eq!(status, 200);
    ok(get_with(
        &client,
        &url,
        &[("Authorization", &format!("agora token={t007}"))],
    )
    .await
    .0);
    ok(get_with(
        &client,
        &url,
        &[("x-agora-token", &t006), ("x-agora-uid", "bob")],
    )
    .await
    .0);

    let invalid = json!({"message": "invalid token"});
    for headers in [
        vec![("Authorization".to_string(), format!("agora token={bad}"))],
        vec![
            ("x-agora-token".to_string(), t007.clone()),
            ("x-agora-uid".to_string(), "alice".to_string()),
        ],
        vec![
            ("x-agora-token".to_string(), t006.clone()),
            ("x-agora-uid".to_string(), "eve".to_string()),
        ],
        vec![(
            "Authorization".to_string(),
            "agora token=007AAAA".to_string(),
        )],
    ] {
        let refs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        assert_eq!(
            get_with(&client, &url, &refs).await,
            (401, invalid.clone()),
            "{headers:?}"
        );
    }
    // The token of another app id is refused even with the right certificate.
    let other_url = feed_url(
        &emulator.base_url(),
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        Feed::UserEvents,
    );
    let (status, _) = get_with(
        &client,
        &other_url,
        &[("Authorization", &format!("agora token={t007}"))],
    )
    .await;
    assert_eq!(
        status, 200,
        "no certificate for that app id: a token that parses is enough"
    );
    assert_eq!(emulator.stats().app(APP_ID).expect("app").auth_failures, 4);
}

#[tokio::test]
async fn rate_limit_answers_429_past_10_per_second() {
    let emulator = start(|c| c.rate_limit_per_sec = 10).await;
    let client = reqwest::Client::new();
    let base = emulator.base_url();
    emulator.inject_user_events(APP, logins(3), None);
    let mut statuses = Vec::new();
    let mut limited_body = None;
    for i in 0..15 {
        let feed = if i % 2 == 0 {
            Feed::UserEvents
        } else {
            Feed::ChannelEvents
        };
        let (status, headers, body) = read(&client, &base, APP, feed).await;
        if status == 429 {
            assert!(headers.get("retry-after").is_none());
            limited_body = Some(body);
        }
        statuses.push(status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(limited_body, Some(json!({"message": "Too Many Requests"})));
    // Another app id has its own budget.
    assert_eq!(read(&client, &base, "other", Feed::UserEvents).await.0, 200);

    let app = emulator.stats().app(APP).cloned().expect("app");
    assert_eq!((app.requests, app.rate_limited), (15, 5));
    // The refused requests did not touch the rings.
    assert_eq!(app.total(Feed::UserEvents).delivered, 3);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(read(&client, &base, APP, Feed::UserEvents).await.0, 200);
}

#[tokio::test]
async fn rate_limit_is_shared_by_regions() {
    let emulator = start(|c| {
        c.rate_limit_per_sec = 4;
        c.regions = vec!["r1".into(), "r2".into()];
    })
    .await;
    let client = reqwest::Client::new();
    let urls = emulator.base_urls();
    let mut statuses = Vec::new();
    for i in 0..6 {
        statuses.push(read(&client, &urls[i % 2].1, APP, Feed::UserEvents).await.0);
    }
    assert_eq!(statuses, [200, 200, 200, 200, 429, 429]);
}

#[tokio::test]
async fn timeouts_leave_the_ring_alone() {
    let emulator = start(|c| {
        c.faults = Faults {
            p_408: 1.0,
            ..Faults::default()
        }
    })
    .await;
    let client = reqwest::Client::new();
    let base = emulator.base_url();
    emulator.inject_user_events(APP, logins(4), None);
    let (status, _, body) = read(&client, &base, APP, Feed::UserEvents).await;
    assert_eq!(
        (status, body),
        (
            408,
            json!({"result": "failed", "message": "request timeout"})
        )
    );
    let stats = emulator.stats();
    let app = stats.app(APP).expect("app");
    assert_eq!(app.faults.timeouts, 1);
    assert_eq!(app.total(Feed::UserEvents).pending, 4);

    emulator.set_faults(Faults::default());
    let (status, _, body) = read(&client, &base, APP, Feed::UserEvents).await;
    assert_eq!(status, 200);
    assert_eq!(events(&body).len(), 4);
}

#[tokio::test]
async fn server_errors_alternate_500_and_503() {
    let emulator = start(|c| {
        c.faults = Faults {
            p_5xx: 1.0,
            ..Faults::default()
        }
    })
    .await;
    let client = reqwest::Client::new();
    let base = emulator.base_url();
    let (first, _, body) = read(&client, &base, APP, Feed::UserEvents).await;
    assert_eq!(
        (first, body),
        (
            500,
            json!({"errorCode": 500, "reason": "Internal Server Error"})
        )
    );
    let (second, headers, body) = read(&client, &base, APP, Feed::UserEvents).await;
    assert_eq!(second, 503);
    assert_eq!(headers["content-type"], "text/html");
    assert_eq!(
        body,
        json!("<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>")
    );
    assert_eq!(
        emulator.stats().app(APP).expect("app").faults.server_errors,
        2
    );
}

#[tokio::test]
async fn injected_429s_count_as_rate_limited() {
    let emulator = start(|c| {
        c.faults = Faults {
            p_429: 1.0,
            ..Faults::default()
        }
    })
    .await;
    let client = reqwest::Client::new();
    let (status, _, body) = read(&client, &emulator.base_url(), APP, Feed::ChannelEvents).await;
    assert_eq!(
        (status, body),
        (429, json!({"message": "Too Many Requests"}))
    );
    let app = emulator.stats().app(APP).cloned().expect("app");
    assert_eq!((app.rate_limited, app.faults.throttles), (1, 1));
}

#[tokio::test]
async fn lost_responses_lose_the_dequeued_events() {
    let emulator = start(|c| {
        c.faults = Faults {
            p_lost_response: 1.0,
            ..Faults::default()
        }
    })
    .await;
    let client = reqwest::Client::new();
    let url = feed_url(&emulator.base_url(), APP, Feed::UserEvents);
    emulator.inject_user_events(APP, logins(5), None);

    // The client sees an error: either before the response head or while reading the body.
    let outcome = match client
        .get(&url)
        .header("Authorization", basic("a", "b"))
        .send()
        .await
    {
        Err(err) => Err(err),
        Ok(response) => response.bytes().await.map(|_| ()),
    };
    assert!(
        outcome.is_err(),
        "a lost response must fail on the client side"
    );

    let stats = emulator.stats();
    let ring = stats
        .feed(APP, "us-west-1", Feed::UserEvents)
        .copied()
        .expect("ring");
    assert_eq!(
        (
            ring.lost_in_faults,
            ring.lost_responses,
            ring.delivered,
            ring.pending
        ),
        (5, 1, 0, 0)
    );
    assert!(ring.is_balanced());
    assert_eq!(stats.app(APP).expect("app").faults.lost_responses, 1);

    emulator.set_faults(Faults::default());
    let (status, _, body) = read(&client, &emulator.base_url(), APP, Feed::UserEvents).await;
    assert_eq!(status, 200);
    assert!(events(&body).is_empty(), "the lost events are gone");
}

#[tokio::test]
async fn lost_responses_break_the_raw_connection() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let emulator = start(|c| {
        c.faults = Faults {
            p_lost_response: 1.0,
            ..Faults::default()
        }
    })
    .await;
    emulator.inject_user_events(APP, logins(2), None);
    let addr = emulator
        .base_url()
        .trim_start_matches("http://")
        .to_string();
    let mut stream = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let request = format!(
        "GET /dev/v2/project/{APP}/rtm/vendor/user_events HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {}\r\n\r\n",
        basic("a", "b")
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut received = Vec::new();
    let read =
        tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut received)).await;
    assert!(read.is_ok(), "the server must close the connection");
    let text = String::from_utf8_lossy(&received);
    assert!(
        !text.contains("u0"),
        "no event may reach the client: {text:?}"
    );
    // Whatever was sent is not a complete HTTP response.
    assert!(!text.contains("\r\n0\r\n\r\n"), "{text:?}");
}

#[tokio::test]
async fn latency_delays_answers() {
    let emulator = start(|c| {
        c.faults = Faults {
            latency_ms: 150,
            ..Faults::default()
        }
    })
    .await;
    let client = reqwest::Client::new();
    let started = std::time::Instant::now();
    let (status, _, _) = read(&client, &emulator.base_url(), APP, Feed::UserEvents).await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
}
