//! Every character of the id alphabet survives the trip through paths and query
//! strings: the emulator reads back exactly the ids the client sent.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agora_rtm_rest::{
    ChannelType, Client, Credentials, ErrorKind, HistoryFilter, HistoryQuery, HistoryV2Query,
    PollPolicy, RateFamily, SendChannelMessage, SendPeerMessage,
};
use agora_rtm_rest_emulator::{Emulator, EmulatorConfig};
use futures_util::TryStreamExt;

const APP: &str = "ids";
const PUNCTUATION: &str = " !#$%&()+-:;<=.>?@[]^_{}|~,'";

fn client(emu: &Emulator) -> Client {
    // Hundreds of legacy history calls: lift the 10/s limit on both sides.
    Client::builder(APP)
        .family_rate_limit(RateFamily::LegacyHistory, 1000, Duration::from_secs(1))
        .credentials(Credentials::basic("id", "secret").unwrap())
        .base_url(emu.base_url())
        .history_poll_policy(PollPolicy {
            interval: Duration::from_millis(10),
            max_wait: Duration::from_secs(10),
            max_recreates: 3,
        })
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

/// Ids made of one punctuation character between letters, the whole set, and
/// percent-escape look-alikes.
fn ids() -> Vec<String> {
    let mut ids: Vec<String> = PUNCTUATION.chars().map(|c| format!("a{c}b")).collect();
    ids.push(format!("x{PUNCTUATION}y"));
    ids.extend(["%20", "%2F", "%2e", "a+b=c&d", "a%2Bb", "+", "=", "%"].map(String::from));
    ids
}

#[tokio::test]
async fn every_allowed_character_round_trips_in_paths_and_queries() {
    let emu = Emulator::start(EmulatorConfig {
        legacy_history_rate_limit_per_sec: 1000,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let c = client(&emu);
    let start = now_secs() - 5;
    for id in ids() {
        c.send_peer_message(
            SendPeerMessage::new(id.as_str(), format!("to{id}"), "p")
                .unwrap()
                .store_in_history(true),
        )
        .await
        .unwrap_or_else(|e| panic!("peer from {id:?}: {e}"));
        c.send_channel_message(
            SendChannelMessage::new(id.as_str(), format!("ch{id}"), "c")
                .unwrap()
                .store_in_history(true),
        )
        .await
        .unwrap_or_else(|e| panic!("channel from {id:?}: {e}"));
    }
    let end = now_secs() + 5;
    for id in ids() {
        // Query string (count) and body (query) carry the id.
        let n = c
            .count_history(HistoryFilter::new(Some(&id), None, start, end).unwrap())
            .await
            .unwrap_or_else(|e| panic!("count {id:?}: {e}"));
        assert_eq!(n, 2, "count of {id:?}");
        let n = c
            .count_history(HistoryFilter::new(None, Some(&format!("ch{id}")), start, end).unwrap())
            .await
            .unwrap();
        assert_eq!(n, 1, "count to ch{id:?}");
        let pages: Vec<_> = c
            .history(HistoryQuery::new(Some(&id), None, start, end).unwrap())
            .try_collect()
            .await
            .unwrap();
        let srcs: Vec<_> = pages.concat().into_iter().map(|m| m.src).collect();
        assert_eq!(
            srcs,
            vec![id.clone(), id.clone()],
            "legacy history of {id:?}"
        );
        // Paths carry the ids (Signaling 2.x).
        let page = c
            .history_v2_page(
                HistoryV2Query::new(id.as_str(), ChannelType::User, format!("to{id}")).unwrap(),
            )
            .await
            .unwrap_or_else(|e| panic!("v2 user {id:?}: {e}"));
        assert_eq!(page.messages.len(), 1, "v2 peer conversation of {id:?}");
        assert_eq!(page.messages[0].publisher, id);
        let page = c
            .history_v2_page(
                HistoryV2Query::new("reader", ChannelType::Message, format!("ch{id}")).unwrap(),
            )
            .await
            .unwrap_or_else(|e| panic!("v2 channel {id:?}: {e}"));
        assert_eq!(page.messages.len(), 1, "v2 channel ch{id:?}");
    }
    emu.shutdown().await;
}

#[test]
fn dot_segments_are_refused_before_any_request() {
    // A URL parser removes `.` and `..` path segments (even as `%2e`): the
    // request would go to another resource (the emulator answered 404).
    for id in [".", ".."] {
        let e = SendPeerMessage::new(id, "bob", "p").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{id:?}: {e}");
        let e = SendChannelMessage::new(id, "lobby", "p").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{id:?}: {e}");
        let e = HistoryV2Query::new("u", ChannelType::Message, id).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{id:?}: {e}");
        // In a body or a query string they are fine.
        SendPeerMessage::new("a", id, "p").unwrap();
        HistoryFilter::new(Some(id), None, 0, 1).unwrap();
    }
}
