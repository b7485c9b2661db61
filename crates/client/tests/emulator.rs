//! The client against the in-process emulator: drain semantics, the 2000 cap,
//! paging, rate limiting without surfacing 429s, failover, auth failures, faults.

use std::time::Duration;

use agora_rtm_rest::{
    ChannelEvent, ChannelEventKind, Client, Credentials, Error, ErrorKind, UserEvent,
    UserEventKind, blocking,
};
use agora_rtm_rest_emulator::{Emulator, EmulatorConfig, Faults};
use agora_rtm_rest_protocol::{Feed, ReadUserEvents};

fn users(n: usize) -> Vec<UserEvent> {
    (0..n)
        .map(|i| UserEvent {
            user_id: format!("u{i}"),
            kind: UserEventKind::Login,
            ms: 1_700_000_000_000 + i as u64,
        })
        .collect()
}

fn channel_events(n: usize) -> Vec<ChannelEvent> {
    (0..n)
        .map(|i| ChannelEvent {
            channel_id: format!("c{}", i % 7),
            user_id: format!("u{i}"),
            kind: if i % 2 == 0 {
                ChannelEventKind::Join
            } else {
                ChannelEventKind::Leave
            },
            ms: 1_700_000_000_000 + i as u64,
        })
        .collect()
}

async fn emulator(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).await.expect("emulator starts")
}

/// A client of its own app id, so parallel tests do not share a rate limiter.
fn client(app_id: &str, urls: &[String]) -> Client {
    Client::builder(app_id)
        .credentials(Credentials::basic("id", "secret").unwrap())
        .base_urls(urls.iter().cloned())
        .build()
        .unwrap()
}

#[tokio::test]
async fn injected_events_are_read_once() {
    let emu = emulator(EmulatorConfig::default()).await;
    emu.inject_user_events("once", users(3), None);
    let c = client("once", &[emu.base_url()]);
    let first = c.user_events().await.unwrap();
    assert_eq!(first.events, users(3));
    assert!(!first.request_id.is_empty());
    let second = c.user_events().await.unwrap();
    assert!(second.events.is_empty(), "a read is destructive");
}

#[tokio::test]
async fn overflow_keeps_the_newest_2000() {
    let emu = emulator(EmulatorConfig::default()).await;
    emu.inject_user_events("cap", users(2500), None);
    let c = client("cap", &[emu.base_url()]);
    let a = c.user_events().await.unwrap();
    let b = c.user_events().await.unwrap();
    let empty = c.user_events().await.unwrap();
    assert_eq!(
        (a.events.len(), b.events.len(), empty.events.len()),
        (1000, 1000, 0)
    );
    assert!(a.is_full());
    // Oldest first, and the 500 oldest were overwritten.
    assert_eq!(a.events[0].user_id, "u500");
    assert_eq!(b.events[999].user_id, "u2499");
    let stats = emu.stats();
    let feed = stats.apps["cap"].total(Feed::UserEvents);
    assert_eq!(feed.overwritten, 500);
    assert_eq!(feed.delivered, 2000);
}

#[tokio::test]
async fn pages_of_1000_then_500() {
    let emu = emulator(EmulatorConfig::default()).await;
    emu.inject_channel_events("paging", channel_events(1500), None);
    let c = client("paging", &[emu.base_url()]);
    let a = c.channel_events().await.unwrap();
    let b = c.channel_events().await.unwrap();
    assert_eq!((a.events.len(), b.events.len()), (1000, 500));
    let mut all = a.events;
    all.extend(b.events);
    assert_eq!(all, channel_events(1500));
}

#[tokio::test]
async fn legacy_field_names_parse_the_same() {
    let emu = emulator(EmulatorConfig {
        legacy_fields: true,
        ..EmulatorConfig::default()
    })
    .await;
    emu.inject_channel_events("legacy", channel_events(4), None);
    let c = client("legacy", &[emu.base_url()]);
    assert_eq!(c.channel_events().await.unwrap().events, channel_events(4));
}

#[tokio::test]
async fn tight_loop_never_surfaces_429() {
    let emu = emulator(EmulatorConfig::default()).await;
    let c = client("tight", &[emu.base_url()]);
    let mut server_429s = 0;
    for i in 0..25 {
        let (result, report) = if i % 2 == 0 {
            let (r, rep) = c.execute(ReadUserEvents).await;
            (r.map(|_| ()), rep)
        } else {
            let (r, rep) = c.execute(agora_rtm_rest_protocol::ReadChannelEvents).await;
            (r.map(|_| ()), rep)
        };
        result.expect("the client waits instead of failing with 429");
        server_429s += report.server_rate_limited;
    }
    let app = emu.stats().apps["tight"].clone();
    assert_eq!(app.requests, 25 + u64::from(server_429s));
    // The client's own limiter keeps the service's count within its limit.
    assert_eq!(app.rate_limited, u64::from(server_429s));
    assert_eq!(
        server_429s, 0,
        "the client-side limiter should have kept the emulator below 10/s"
    );
}

#[tokio::test]
async fn fails_over_to_the_second_host() {
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let emu = emulator(EmulatorConfig::default()).await;
    emu.inject_user_events("failover", users(2), None);
    let c = Client::builder("failover")
        .credentials(Credentials::basic("id", "secret").unwrap())
        .base_urls([dead.clone(), emu.base_url()])
        .retry_policy(agora_rtm_rest::RetryPolicy {
            base_delay: Duration::from_millis(10),
            ..Default::default()
        })
        .build()
        .unwrap();
    let (result, report) = c.execute(ReadUserEvents).await;
    assert_eq!(result.unwrap().events.len(), 2);
    assert_eq!(report.hosts, vec![dead.clone(), dead, emu.base_url()]);
    assert_eq!(
        report.possibly_lost, 0,
        "refused connections cannot have lost events"
    );
}

#[tokio::test]
async fn two_regions_each_hand_out_the_events() {
    let emu = emulator(EmulatorConfig {
        regions: vec!["us-west-1".into(), "eu-west-1".into()],
        ..Default::default()
    })
    .await;
    emu.inject_user_events("regions", users(5), None);
    let urls: Vec<String> = emu.base_urls().into_iter().map(|(_, u)| u).collect();
    let west = client("regions", &urls[..1]);
    assert_eq!(west.user_events().await.unwrap().events.len(), 5);
    assert!(west.user_events().await.unwrap().events.is_empty());
    // The other region still has them (the service's cross-region duplicates).
    let eu = client("regions", &urls[1..]);
    assert_eq!(eu.user_events().await.unwrap().events, users(5));
}

#[tokio::test]
async fn wrong_secret_is_an_auth_error_naming_the_cause() {
    let emu = emulator(EmulatorConfig {
        customers: vec![("cust".into(), "right".into())],
        ..EmulatorConfig::default()
    })
    .await;
    let c = Client::builder("auth")
        .credentials(Credentials::basic("cust", "wrong").unwrap())
        .base_url(emu.base_url())
        .build()
        .unwrap();
    let (result, report) = c.execute(ReadUserEvents).await;
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(err.status(), Some(401));
    assert!(
        err.to_string()
            .contains("Invalid authentication credentials"),
        "{err}"
    );
    assert!(
        !err.to_string().contains("wrong"),
        "the secret must not leak into errors"
    );
    assert_eq!(report.attempts, 1, "401 is never retried");
    let ok = Client::builder("auth")
        .credentials(Credentials::basic("cust", "right").unwrap())
        .base_url(emu.base_url())
        .build()
        .unwrap();
    assert!(ok.user_events().await.is_ok());
}

#[tokio::test]
async fn lost_responses_are_retried_and_counted() {
    let emu = emulator(EmulatorConfig::default()).await;
    emu.inject_user_events("lost", users(10), None);
    emu.set_faults(Faults {
        p_lost_response: 1.0,
        ..Faults::default()
    });
    let c = Client::builder("lost")
        .credentials(Credentials::basic("id", "secret").unwrap())
        .base_url(emu.base_url())
        .retry_policy(agora_rtm_rest::RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(5),
            ..Default::default()
        })
        .build()
        .unwrap();
    let (result, report) = c.execute(ReadUserEvents).await;
    match result {
        Err(Error::Transport(t)) => assert!(t.kind.request_may_have_been_processed(), "{t:?}"),
        other => panic!("expected a transport error, got {other:?}"),
    }
    assert_eq!(report.attempts, 2);
    assert_eq!(report.possibly_lost, 2);
    let feed = emu.stats().apps["lost"].total(Feed::UserEvents);
    assert_eq!(feed.lost_responses, 2);
    assert_eq!(feed.lost_in_faults, 10);
}

#[tokio::test]
async fn server_timeouts_are_retried_until_success() {
    let emu = emulator(EmulatorConfig::default()).await;
    emu.inject_user_events("timeouts", users(1), None);
    emu.set_faults(Faults {
        p_408: 1.0,
        ..Faults::default()
    });
    let c = Client::builder("timeouts")
        .credentials(Credentials::basic("id", "secret").unwrap())
        .base_url(emu.base_url())
        .retry_policy(agora_rtm_rest::RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(5),
            ..Default::default()
        })
        .build()
        .unwrap();
    let (result, report) = c.execute(ReadUserEvents).await;
    assert_eq!(result.unwrap_err().kind(), ErrorKind::ServerTimeout);
    assert_eq!(report.attempts, 3);
    emu.set_faults(Faults::default());
    assert_eq!(
        c.user_events().await.unwrap().events.len(),
        1,
        "408s do not touch the ring"
    );
}

#[test]
fn blocking_client_reads_too() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let emu = rt.block_on(emulator(EmulatorConfig::default()));
    emu.inject_user_events("blocking", users(2), None);
    let c = blocking::Client::new(
        Client::builder("blocking")
            .credentials(Credentials::basic("id", "secret").unwrap())
            .base_url(emu.base_url()),
    )
    .unwrap();
    assert_eq!(c.user_events().unwrap().events.len(), 2);
    assert!(c.channel_events().unwrap().events.is_empty());
    // Used from inside a runtime it refuses instead of deadlocking.
    let err = rt.block_on(async { c.user_events() }).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[test]
fn own_connections_work_from_another_runtime_and_share_the_limiters() {
    // The emulator and the first client live on a multi-thread runtime; the second
    // client, with connections of its own, is driven by a current-thread runtime,
    // as the Python blocking client does.
    let main = tokio::runtime::Runtime::new().unwrap();
    let emu = main.block_on(emulator(EmulatorConfig::default()));
    let c = {
        let _g = main.enter();
        client("own", &[emu.base_url()])
    };
    main.block_on(c.user_events()).unwrap();
    let local = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let own = {
        let _g = local.enter();
        c.with_own_connections().unwrap()
    };
    emu.inject_user_events("own", users(3), None);
    assert_eq!(local.block_on(own.user_events()).unwrap().events.len(), 3);
    // A connection of the first client is still served while `local` is idle.
    emu.inject_user_events("own", users(2), None);
    assert_eq!(main.block_on(c.user_events()).unwrap().events.len(), 2);
    assert!(std::sync::Arc::ptr_eq(
        &c.rate_limiter(),
        &own.rate_limiter()
    ));
    assert_eq!(emu.stats().apps["own"].requests, 3);
    main.block_on(emu.shutdown());
}
