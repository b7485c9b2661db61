//! Messages and history end to end against the emulator: acknowledged and
//! offline peer messages, a stored channel message found by both history APIs,
//! 250 messages paged by both, validation before any request, the token-user
//! rule, in-progress polling and 410 re-creation, and the blocking client.

use std::collections::HashSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agora_rtm_rest::{
    ChannelType, Client, Credentials, ErrorKind, HistoryFilter, HistoryMessageKind, HistoryQuery,
    HistoryV2Payload, HistoryV2Query, MessageOutcome, MintedToken, PollPolicy, SendChannelMessage,
    SendPeerMessage,
};
use agora_rtm_rest_emulator::{
    Emulator, EmulatorConfig, HistoryPayload, HistoryRecord, MessageKind,
};
use futures_util::TryStreamExt;

const APP: &str = "msgs";

fn fast_poll() -> PollPolicy {
    PollPolicy {
        interval: Duration::from_millis(20),
        max_wait: Duration::from_secs(10),
        max_recreates: 3,
    }
}

fn client(emu: &Emulator) -> Client {
    Client::builder(APP)
        .credentials(Credentials::basic("id", "secret").unwrap())
        .base_url(emu.base_url())
        .history_poll_policy(fast_poll())
        .share_rate_limit_in_process(false)
        .build()
        .unwrap()
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn requests(emu: &Emulator) -> u64 {
    emu.stats().apps.get(APP).map_or(0, |a| a.requests)
}

#[tokio::test]
async fn peer_message_outcomes_follow_presence() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let c = client(&emu);
    emu.set_online(APP, "alice", true);
    let r = c
        .send_peer_message(
            SendPeerMessage::new("server", "alice", "hi")
                .unwrap()
                .wait_for_ack(true),
        )
        .await
        .unwrap();
    assert_eq!(r.outcome, MessageOutcome::Delivered);
    assert!(!r.request_id.is_empty());
    let r = c
        .send_peer_message(
            SendPeerMessage::new("server", "bob", "hi")
                .unwrap()
                .wait_for_ack(true),
        )
        .await
        .unwrap();
    assert_eq!(r.outcome, MessageOutcome::Offline);
    let r = c
        .send_peer_message(SendPeerMessage::new("server", "bob", "hi").unwrap())
        .await
        .unwrap();
    assert_eq!(r.outcome, MessageOutcome::Sent);
    // A login event makes a user online; a logout makes them offline again.
    emu.inject_user_events(
        APP,
        vec![agora_rtm_rest_emulator::UserEvent {
            user_id: "bob".into(),
            kind: agora_rtm_rest_emulator::UserEventKind::Login,
            ms: 1,
        }],
        None,
    );
    let r = c
        .send_peer_message(
            SendPeerMessage::new("server", "bob", "hi")
                .unwrap()
                .wait_for_ack(true),
        )
        .await
        .unwrap();
    assert_eq!(r.outcome, MessageOutcome::Delivered);
    emu.shutdown().await;
}

#[tokio::test]
async fn stored_channel_message_is_found_by_both_history_apis() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let c = client(&emu);
    let start = now_secs() - 5;
    c.send_channel_message(
        SendChannelMessage::new("server", "lobby", "kept")
            .unwrap()
            .store_in_history(true),
    )
    .await
    .unwrap();
    c.send_channel_message(SendChannelMessage::new("server", "lobby", "not kept").unwrap())
        .await
        .unwrap();
    let end = now_secs() + 5;

    let q = HistoryQuery::new(None, Some("lobby"), start, end).unwrap();
    let page = c.history_page(q).await.unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(
        (
            page[0].src.as_str(),
            page[0].dst.as_str(),
            &page[0].kind,
            page[0].payload.as_str()
        ),
        ("server", "lobby", &HistoryMessageKind::Channel, "kept")
    );
    let n = c
        .count_history(HistoryFilter::new(Some("server"), None, start, end).unwrap())
        .await
        .unwrap();
    assert_eq!(n, 1);

    let v2 = c
        .history_v2_page(HistoryV2Query::new("server", ChannelType::Message, "lobby").unwrap())
        .await
        .unwrap();
    assert_eq!(v2.messages.len(), 1);
    assert_eq!(
        v2.messages[0].payload,
        HistoryV2Payload::Text("kept".into())
    );
    assert_eq!(v2.messages[0].publisher, "server");
    assert_eq!(v2.messages[0].timestamp, page[0].ms);
    assert_eq!(v2.new_start, None);
    emu.shutdown().await;
}

#[tokio::test]
async fn two_hundred_fifty_messages_page_correctly_with_both_apis() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let c = client(&emu);
    let start = now_secs() - 5;
    for i in 0..250 {
        c.send_channel_message(
            SendChannelMessage::new("server", "big", format!("m{i}"))
                .unwrap()
                .store_in_history(true),
        )
        .await
        .unwrap();
    }
    let end = now_secs() + 5;

    let q = HistoryQuery::new(None, Some("big"), start, end)
        .unwrap()
        .limit(100)
        .unwrap();
    let pages: Vec<Vec<_>> = c.history(q).try_collect().await.unwrap();
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        [100, 100, 50]
    );
    let payloads: Vec<String> = pages.into_iter().flatten().map(|m| m.payload).collect();
    let expected: Vec<String> = (0..250).map(|i| format!("m{i}")).collect();
    assert_eq!(payloads, expected, "ascending, none missing, none repeated");

    let q = HistoryV2Query::new("server", ChannelType::Message, "big")
        .unwrap()
        .message_count(100)
        .unwrap();
    let pages: Vec<Vec<_>> = c.history_v2(q).try_collect().await.unwrap();
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        [100, 100, 50]
    );
    let all: Vec<_> = pages.into_iter().flatten().collect();
    let distinct: HashSet<u64> = all.iter().map(|m| m.timestamp).collect();
    assert_eq!(distinct.len(), 250);
    assert!(
        all.windows(2).all(|w| w[0].timestamp > w[1].timestamp),
        "newest first"
    );
    assert_eq!(all[0].payload, HistoryV2Payload::Text("m249".into()));
    assert_eq!(all[249].payload, HistoryV2Payload::Text("m0".into()));
    emu.shutdown().await;
}

#[tokio::test]
async fn binary_messages_and_peer_conversations_in_v2() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let c = client(&emu);
    emu.store_history_message(
        APP,
        HistoryRecord {
            src: "alice".into(),
            dst: "server".into(),
            kind: MessageKind::Peer,
            payload: HistoryPayload::Binary(vec![0, 1, 255]),
            ms: None,
        },
    );
    let page = c
        .history_v2_page(HistoryV2Query::new("server", ChannelType::User, "alice").unwrap())
        .await
        .unwrap();
    assert_eq!(page.messages.len(), 1);
    assert_eq!(
        page.messages[0].payload,
        HistoryV2Payload::Binary(vec![0, 1, 255])
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn expired_handles_are_created_again() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    // Every handle expires at once: the flow re-creates up to max_recreates, then gives up with the 410.
    emu.set_history_query_ttl(Duration::ZERO);
    let c = client(&emu);
    let q = HistoryQuery::new(Some("server"), None, 0, now_secs()).unwrap();
    let err = c.history_page(q).await.unwrap_err();
    assert_eq!(err.status(), Some(410), "{err}");
    let stats = emu.stats();
    assert_eq!(
        stats.apps[APP].history_queries, 4,
        "the first query and 3 re-creations"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn invalid_input_is_refused_before_any_request() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let c = client(&emu);
    let field = |e: agora_rtm_rest::Error| match e {
        agora_rtm_rest::Error::InvalidInput { field, .. } => field,
        other => panic!("expected invalid input, got {other}"),
    };
    assert_eq!(
        field(SendPeerMessage::new("", "b", "x").unwrap_err()),
        "from"
    );
    assert_eq!(
        field(SendPeerMessage::new("a", "b".repeat(65), "x").unwrap_err()),
        "to"
    );
    assert_eq!(
        field(SendPeerMessage::new("a", " b", "x").unwrap_err()),
        "to"
    );
    assert_eq!(
        field(SendChannelMessage::new("a", "c/d", "x").unwrap_err()),
        "channel"
    );
    assert_eq!(
        field(SendChannelMessage::new("a", "c", "").unwrap_err()),
        "payload"
    );
    assert_eq!(
        field(SendChannelMessage::new("a", "c", "x".repeat(32 * 1024 + 1)).unwrap_err()),
        "payload"
    );
    assert_eq!(
        field(HistoryQuery::new(None, None, 0, 1).unwrap_err()),
        "source"
    );
    assert_eq!(
        field(HistoryQuery::new(Some("a"), None, 2, 1).unwrap_err()),
        "start_time"
    );
    let q = HistoryQuery::new(Some("a"), None, 0, 1).unwrap();
    assert_eq!(field(q.limit(25).unwrap_err()), "limit");
    let q = HistoryV2Query::new("a", ChannelType::Message, "c").unwrap();
    assert_eq!(
        field(q.clone().message_count(0).unwrap_err()),
        "message_count"
    );
    let bad_range = q.start(Some(1)).end(Some(2));
    assert_eq!(
        field(c.history_v2_page(bad_range).await.unwrap_err()),
        "end"
    );
    assert_eq!(requests(&emu), 0, "nothing was sent");
    emu.shutdown().await;
}

#[tokio::test]
async fn token_auth_refuses_another_sender_before_sending() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let minted = MintedToken::new(
        "970CA35de60c44645bbae8a215061b33",
        "5CFd2fd1755d40ecb72977518be15d3b",
        "server",
        Duration::from_secs(600),
    )
    .unwrap();
    let c = Client::builder("970CA35de60c44645bbae8a215061b33")
        .credentials(Credentials::Minted(minted))
        .base_url(emu.base_url())
        .build()
        .unwrap();
    let err = c
        .send_peer_message(SendPeerMessage::new("mallory", "alice", "hi").unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("token's user"), "{err}");
    let ok = c
        .send_peer_message(SendPeerMessage::new("server", "alice", "hi").unwrap())
        .await
        .unwrap();
    assert_eq!(ok.outcome, MessageOutcome::Sent);
    emu.shutdown().await;
}

#[test]
fn blocking_client_sends_and_pages() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let emu = rt
        .block_on(Emulator::start(EmulatorConfig::default()))
        .unwrap();
    let c = agora_rtm_rest::blocking::Client::new(
        Client::builder(APP)
            .credentials(Credentials::basic("id", "secret").unwrap())
            .base_url(emu.base_url())
            .history_poll_policy(fast_poll()),
    )
    .unwrap();
    let start = now_secs() - 5;
    for i in 0..25 {
        c.send_channel_message(
            SendChannelMessage::new("server", "room", format!("{i}"))
                .unwrap()
                .store_in_history(true),
        )
        .unwrap();
    }
    let q = HistoryQuery::new(None, Some("room"), start, now_secs() + 5).unwrap();
    let sizes: Vec<usize> = c.history(q).map(|p| p.unwrap().len()).collect();
    assert_eq!(sizes, [20, 5]);
    let q = HistoryV2Query::new("server", ChannelType::Message, "room")
        .unwrap()
        .message_count(10)
        .unwrap();
    let sizes: Vec<usize> = c.history_v2(q).map(|p| p.unwrap().len()).collect();
    assert_eq!(sizes, [10, 10, 5]);
    rt.block_on(emu.shutdown());
}

#[tokio::test]
async fn a_message_whose_answer_was_lost_is_not_sent_twice() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    emu.set_faults(agora_rtm_rest_emulator::Faults {
        p_lost_response: 1.0,
        ..Default::default()
    });
    let c = client(&emu);
    let err = c
        .send_channel_message(
            SendChannelMessage::new("server", "lobby", "once")
                .unwrap()
                .store_in_history(true),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    emu.set_faults(agora_rtm_rest_emulator::Faults::default());
    assert_eq!(
        emu.stats().apps[APP].messages_sent,
        1,
        "sent once, not retried"
    );
    let v2 = c
        .history_v2_page(HistoryV2Query::new("server", ChannelType::Message, "lobby").unwrap())
        .await
        .unwrap();
    assert_eq!(v2.messages.len(), 1);

    emu.shutdown().await;
}
