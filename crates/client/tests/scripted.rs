//! The driver loop over a scripted transport, with tokio's paused clock: waits
//! happen in virtual time, so back-off and rate limits are exercised exactly.

use std::time::Duration;

use agora_rtm_rest::testing::ScriptedTransport;
use agora_rtm_rest::{
    Client, Credentials, ErrorKind, HttpResponse, RetryPolicy, TransportError, TransportErrorKind,
};

const OK: &str =
    r#"{"result":"success","request_id":"r1","events":[{"user_id":"u1","type":"Login","ms":1}]}"#;

fn client(app: &str, transport: &ScriptedTransport) -> Client {
    Client::builder(app)
        .credentials(Credentials::basic("id", "secret").unwrap())
        .base_url("http://127.0.0.1:9")
        .transport(transport.clone())
        .build()
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn retries_a_408_then_succeeds() {
    let t = ScriptedTransport::new();
    t.push_response(HttpResponse::new(408, r#"{"result":"failed"}"#));
    t.push_response(HttpResponse::new(200, OK));
    let page = client("s408", &t).user_events().await.unwrap();
    assert_eq!(page.events.len(), 1);
    let requests = t.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|r| {
        r.url
            .ends_with("/dev/v2/project/s408/rtm/vendor/user_events")
    }));
}

#[tokio::test(start_paused = true)]
async fn honours_retry_after_in_virtual_time() {
    let t = ScriptedTransport::new();
    t.push_response(HttpResponse::new(429, "").with_header("Retry-After", "7"));
    t.push_response(HttpResponse::new(200, OK));
    let c = client("s429", &t);
    let start = tokio::time::Instant::now();
    c.channel_events().await.unwrap_err(); // OK has no group_id: decode error, but only after the wait
    assert!(
        start.elapsed() >= Duration::from_secs(7),
        "waited {:?}",
        start.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn rate_limit_spreads_requests_over_time() {
    let t = ScriptedTransport::new();
    for _ in 0..25 {
        t.push_response(HttpResponse::new(200, OK));
    }
    let c = Client::builder("spread")
        .credentials(Credentials::basic("id", "secret").unwrap())
        .base_url("http://127.0.0.1:9")
        .transport(t.clone())
        .rate_limit(10, Duration::from_secs(1))
        .build()
        .unwrap();
    let start = tokio::time::Instant::now();
    for _ in 0..25 {
        c.user_events().await.unwrap();
    }
    // 25 requests at 10 per second: the 21st cannot go before t = 2 s.
    assert!(
        start.elapsed() >= Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn transport_errors_exhaust_attempts() {
    let t = ScriptedTransport::new();
    for _ in 0..3 {
        t.push_error(TransportError::new(TransportErrorKind::Connect, "refused"));
    }
    let c = Client::builder("exhaust")
        .credentials(Credentials::basic("id", "secret").unwrap())
        .base_url("http://127.0.0.1:9")
        .transport(t.clone())
        .retry_policy(RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    let (result, report) = c.execute(agora_rtm_rest::protocol::ReadUserEvents).await;
    assert_eq!(result.unwrap_err().kind(), ErrorKind::Transport);
    assert_eq!(report.attempts, 3);
    assert_eq!(report.possibly_lost, 0);
    assert_eq!(t.remaining(), 0);
}

#[test]
fn debug_output_never_contains_secrets() {
    let t = ScriptedTransport::new();
    let c = Client::builder("dbg")
        .credentials(Credentials::basic("id", "TOPSECRET").unwrap())
        .base_url("http://127.0.0.1:9")
        .transport(t)
        .build()
        .unwrap();
    let text = format!("{c:?}");
    assert!(!text.contains("TOPSECRET"), "{text}");
    let token = Credentials::token("007SECRETTOKEN").unwrap();
    assert!(!format!("{token:?}").contains("SECRETTOKEN"));
    let headers = token.headers(0, 0).unwrap();
    let req = agora_rtm_rest::HttpRequest {
        method: agora_rtm_rest::protocol::Method::Get,
        url: "https://api.agora.io/x".into(),
        headers,
        body: None,
    };
    assert!(!format!("{req:?}").contains("SECRETTOKEN"));
}

#[test]
fn from_lookup_picks_the_auth_mode() {
    use agora_rtm_rest::ClientBuilder;
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    };
    assert!(ClientBuilder::from_lookup(env(&[])).is_err());
    let e =
        ClientBuilder::from_lookup(env(&[("AGORA_APP_ID", "a"), ("AGORA_RTM_TOKEN", "006abc")]))
            .err()
            .unwrap();
    assert!(e.to_string().contains("AGORA_RTM_UID"), "{e}");
    let b = ClientBuilder::from_lookup(env(&[
        ("AGORA_APP_ID", "a"),
        ("AGORA_CUSTOMER_ID", "c"),
        ("AGORA_CUSTOMER_SECRET", "s"),
        (
            "AGORA_RTM_BASE_URL",
            "http://127.0.0.1:1, http://127.0.0.1:2",
        ),
    ]))
    .unwrap()
    .build()
    .unwrap();
    assert_eq!(b.config().endpoints.len(), 2);
}
