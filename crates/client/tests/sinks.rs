//! The watcher's sinks: JSON lines (sync, rotation), SQLite (de-duplication,
//! gaps, presence, restore, concurrent readers), webhook (signature,
//! back-pressure, giving up) and `sink::open`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agora_rtm_rest::protocol::EventKey;
use agora_rtm_rest::protocol::presence::{Presence, PresenceSnapshot};
use agora_rtm_rest::protocol::watch::{Gap, GapReason, WatchItem};
use agora_rtm_rest::sink::webhook::{BATCH_HEADER, SIGNATURE_HEADER, verify_signature};
use agora_rtm_rest::sink::{
    Batch, JsonlSink, Sink, SinkError, SinkOptions, SqliteSink, StdoutSink, WebhookSink, open,
    sqlite,
};
use agora_rtm_rest::{ChannelEvent, ChannelEventKind, Feed, Secret, UserEvent, UserEventKind};

// ---------------------------------------------------------------- helpers

fn temp_dir(name: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!(
        "agora-rtm-sinks-{name}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn login(user: &str, ms: u64) -> WatchItem {
    WatchItem::User(UserEvent {
        user_id: user.into(),
        kind: UserEventKind::Login,
        ms,
    })
}

fn logout(user: &str, ms: u64) -> WatchItem {
    WatchItem::User(UserEvent {
        user_id: user.into(),
        kind: UserEventKind::Logout,
        ms,
    })
}

fn join(channel: &str, user: &str, ms: u64) -> WatchItem {
    WatchItem::Channel(ChannelEvent {
        channel_id: channel.into(),
        user_id: user.into(),
        kind: ChannelEventKind::Join,
        ms,
    })
}

fn leave(channel: &str, user: &str, ms: u64) -> WatchItem {
    WatchItem::Channel(ChannelEvent {
        channel_id: channel.into(),
        user_id: user.into(),
        kind: ChannelEventKind::Leave,
        ms,
    })
}

fn gap(feed: Feed, reason: GapReason) -> WatchItem {
    WatchItem::Gap(Gap {
        feed,
        source: "api.agora.io".into(),
        reason,
        lost_reads: 1,
        after_ms: Some(10),
        before_ms: None,
        estimated_events: Some(42),
    })
}

fn batch(feed: Feed, items: Vec<WatchItem>) -> Batch {
    Batch {
        feed,
        source: "api.agora.io".into(),
        items,
    }
}

fn read_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn expected_line(item: &WatchItem, source: &str) -> serde_json::Value {
    let mut v = item.to_json();
    v.as_object_mut()
        .unwrap()
        .entry("source")
        .or_insert(source.into());
    v
}

/// An in-memory presence fed every event once (what the sink should store).
#[derive(Default)]
struct Oracle {
    presence: Presence,
    seen: HashSet<EventKey>,
}

impl Oracle {
    fn apply_all(&mut self, items: &[WatchItem]) {
        for item in items {
            match item {
                WatchItem::User(e) if self.seen.insert(e.key()) => self.presence.apply_user(e),
                WatchItem::Channel(e) if self.seen.insert(e.key()) => {
                    self.presence.apply_channel(e)
                }
                _ => {}
            }
        }
    }

    fn snapshot(&self) -> PresenceSnapshot {
        self.presence.snapshot()
    }
}

// ---------------------------------------------------------------- JSON lines

#[tokio::test]
async fn jsonl_lines_match_items_and_are_readable_when_write_returns() {
    let dir = temp_dir("jsonl");
    let path = dir.join("events.jsonl");
    let mut sink = JsonlSink::open(&path).unwrap();
    let first = batch(
        Feed::UserEvents,
        vec![
            login("alice", 1),
            logout("alice", 2),
            gap(Feed::UserEvents, GapReason::Overflow),
        ],
    );
    sink.write(&first).await.unwrap();
    // Readable (through another handle) as soon as write() returned.
    let lines = read_lines(&path);
    assert_eq!(lines.len(), 3);
    for (line, item) in lines.iter().zip(&first.items) {
        assert_eq!(line, &expected_line(item, "api.agora.io"));
    }
    assert_eq!(lines[0]["item"], "user_event");
    assert_eq!(lines[0]["source"], "api.agora.io");
    assert_eq!(lines[2]["item"], "gap");

    let mut second = batch(Feed::ChannelEvents, vec![join("lobby", "bob", 3)]);
    second.source = "api.sd-rtn.com".into();
    sink.write(&second).await.unwrap();
    sink.close().await.unwrap();
    let lines = read_lines(&path);
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[3], expected_line(&second.items[0], "api.sd-rtn.com"));

    // Reopening appends.
    let mut sink = JsonlSink::open(&path).unwrap();
    sink.write(&second).await.unwrap();
    assert_eq!(read_lines(&path).len(), 5);
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn jsonl_rotates_by_size_and_keeps_n_files() {
    let dir = temp_dir("rotate");
    let path = dir.join("events.jsonl");
    let rotated = |n: u32| dir.join(format!("events.jsonl.{n}"));
    // Each batch is about 2 x 80 bytes: every second batch crosses 250 bytes.
    let mut sink = JsonlSink::open_with(&path, 250, 2).unwrap();
    let mut written = Vec::new();
    let mut ms = 0;
    let mut next_batch = |written: &mut Vec<u64>| {
        let items = (0..2)
            .map(|_| {
                ms += 1;
                written.push(ms);
                login("user", ms)
            })
            .collect();
        batch(Feed::UserEvents, items)
    };

    sink.write(&next_batch(&mut written)).await.unwrap();
    assert!(!rotated(1).exists(), "under the limit: no rotation");
    sink.write(&next_batch(&mut written)).await.unwrap();
    assert!(rotated(1).exists(), "over the limit after a batch: rotated");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "a fresh file");
    assert_eq!(read_lines(&rotated(1)).len(), 4, "a batch is never split");

    for _ in 0..6 {
        sink.write(&next_batch(&mut written)).await.unwrap();
    }
    sink.write(&next_batch(&mut written)).await.unwrap();
    assert!(rotated(2).exists());
    assert!(!rotated(3).exists(), "keeps 2 rotated files");
    // Oldest to newest: .2, .1, the current file, each in order and contiguous.
    let ms_of = |p: &Path| -> Vec<u64> {
        read_lines(p)
            .iter()
            .map(|v| v["ms"].as_u64().unwrap())
            .collect()
    };
    let all: Vec<u64> = [rotated(2), rotated(1), path.clone()]
        .iter()
        .flat_map(|p| ms_of(p))
        .collect();
    assert_eq!(all.as_slice(), &written[written.len() - all.len()..]);
    assert_eq!(ms_of(&path).len(), 2);
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn jsonl_requires_an_existing_directory() {
    let dir = temp_dir("nodir");
    let err = JsonlSink::open(dir.join("missing").join("events.jsonl")).unwrap_err();
    assert!(
        matches!(err, SinkError::Config(ref m) if m.contains("does not exist")),
        "{err}"
    );
    assert!(matches!(
        JsonlSink::open_with(dir.join("x"), 0, 1),
        Err(SinkError::Config(_))
    ));
    assert!(matches!(
        JsonlSink::open_with(dir.join("x"), 1, 0),
        Err(SinkError::Config(_))
    ));
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn stdout_sink_writes() {
    let mut sink = StdoutSink::new();
    sink.write(&batch(Feed::UserEvents, vec![login("stdout-test", 1)]))
        .await
        .unwrap();
    sink.close().await.unwrap();
}

// ---------------------------------------------------------------- SQLite

#[tokio::test]
async fn sqlite_inserts_events_once_across_batches_and_reopens() {
    let dir = temp_dir("sqlite-dedupe");
    let db = dir.join("events.db");
    let mut sink = SqliteSink::open(&db).unwrap();
    sink.write(&batch(
        Feed::UserEvents,
        vec![login("a", 1), login("b", 2), logout("a", 3)],
    ))
    .await
    .unwrap();
    assert_eq!(sqlite::count_events(&db).unwrap(), 3);
    // The same events again (another region), plus one new one.
    sink.write(&batch(
        Feed::UserEvents,
        vec![login("b", 2), logout("a", 3), login("c", 4)],
    ))
    .await
    .unwrap();
    assert_eq!(sqlite::count_events(&db).unwrap(), 4);
    // A channel event with the same user, type text and ms is a different key.
    sink.write(&batch(
        Feed::ChannelEvents,
        vec![join("lobby", "a", 1), join("lobby", "a", 1)],
    ))
    .await
    .unwrap();
    assert_eq!(sqlite::count_events(&db).unwrap(), 5);
    sink.close().await.unwrap();

    let mut sink = SqliteSink::open(&db).unwrap();
    sink.write(&batch(Feed::UserEvents, vec![login("a", 1), login("c", 4)]))
        .await
        .unwrap();
    assert_eq!(
        sqlite::count_events(&db).unwrap(),
        5,
        "still once after a reopen"
    );
    sink.close().await.unwrap();

    let conn = rusqlite::Connection::open(&db).unwrap();
    let rows: Vec<(String, String, String, String, i64, String)> = conn
        .prepare("SELECT feed, user_id, channel_id, type, ms, source FROM events ORDER BY id")
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        rows[0],
        (
            "user_events".into(),
            "a".into(),
            "".into(),
            "Login".into(),
            1,
            "api.agora.io".into()
        )
    );
    assert_eq!(
        rows[4],
        (
            "channel_events".into(),
            "a".into(),
            "lobby".into(),
            "Join".into(),
            1,
            "api.agora.io".into()
        )
    );
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let version: String = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(version, sqlite::SCHEMA_VERSION.to_string());
    drop(conn);
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn sqlite_stores_gaps() {
    let dir = temp_dir("sqlite-gaps");
    let db = dir.join("events.db");
    let mut sink = SqliteSink::open(&db).unwrap();
    sink.write(&batch(
        Feed::ChannelEvents,
        vec![
            join("c", "u", 5),
            gap(Feed::ChannelEvents, GapReason::LostResponse),
            join("c", "v", 50),
        ],
    ))
    .await
    .unwrap();
    sink.write(&batch(
        Feed::UserEvents,
        vec![gap(Feed::UserEvents, GapReason::Unreadable)],
    ))
    .await
    .unwrap();
    sink.close().await.unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    type Row = (
        String,
        String,
        String,
        i64,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        i64,
    );
    let rows: Vec<Row> = conn
        .prepare(
            "SELECT feed, source, reason, lost_reads, after_ms, before_ms, estimated_events, recorded_at_ms
             FROM gaps ORDER BY id",
        )
        .unwrap()
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].0, "channel_events");
    assert_eq!(rows[0].1, "api.agora.io");
    assert_eq!(rows[0].2, "lost_response");
    assert_eq!(
        (rows[0].3, rows[0].4, rows[0].5, rows[0].6),
        (1, Some(10), None, Some(42))
    );
    assert!(
        rows[0].7 > 1_600_000_000_000,
        "recorded_at_ms is a Unix time in ms"
    );
    assert_eq!(rows[1].2, "unreadable");
    assert_eq!(sqlite::count_events(&db).unwrap(), 2);
    drop(conn);
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn sqlite_presence_tables_follow_the_events() {
    let dir = temp_dir("sqlite-presence");
    let db = dir.join("events.db");
    let mut sink = SqliteSink::open(&db).unwrap();
    let mut oracle = Oracle::default();
    let batches = vec![
        batch(
            Feed::UserEvents,
            vec![login("alice", 10), login("bob", 11), login("carol", 12)],
        ),
        batch(
            Feed::ChannelEvents,
            vec![
                join("lobby", "alice", 13),
                join("lobby", "bob", 14),
                join("game", "bob", 15),
                join("game", "carol", 16),
            ],
        ),
        // Out of order: a stale logout of alice (older than her login) changes nothing.
        batch(
            Feed::UserEvents,
            vec![logout("alice", 5), logout("bob", 20)],
        ),
        // carol leaves, then a stale join (older than the leave) arrives late.
        batch(
            Feed::ChannelEvents,
            vec![leave("game", "carol", 30), join("game", "carol", 25)],
        ),
        // bob logs in again and rejoins (a new "since"); dave leaves before joining (reordered).
        batch(Feed::UserEvents, vec![login("bob", 40), login("dave", 41)]),
        batch(
            Feed::ChannelEvents,
            vec![
                join("lobby", "bob", 42),
                leave("lobby", "dave", 45),
                join("lobby", "dave", 44),
            ],
        ),
    ];
    for b in &batches {
        sink.write(b).await.unwrap();
        oracle.apply_all(&b.items);
        assert_eq!(sqlite::read_presence(&db).unwrap(), oracle.snapshot());
    }
    let snapshot = sqlite::read_presence(&db).unwrap();
    assert_eq!(
        snapshot
            .online
            .iter()
            .map(|(u, s)| (u.as_str(), *s))
            .collect::<Vec<_>>(),
        vec![("alice", 10), ("bob", 40), ("carol", 12), ("dave", 41)]
    );
    assert_eq!(
        snapshot.channels["lobby"]
            .iter()
            .map(|(u, s)| (u.as_str(), *s))
            .collect::<Vec<_>>(),
        vec![("alice", 13), ("bob", 42)]
    );
    assert!(
        !snapshot.channels.contains_key("game"),
        "bob logged out, carol left"
    );

    // Duplicates never change presence, even stale-looking ones.
    sink.write(&batches[0]).await.unwrap();
    sink.write(&batches[2]).await.unwrap();
    assert_eq!(sqlite::read_presence(&db).unwrap(), snapshot);
    sink.close().await.unwrap();
    std::fs::remove_dir_all(dir).ok();
}

/// Deterministic pseudo-random traffic: the tables always equal an in-memory
/// presence fed the same events (checks the incremental table updates).
#[tokio::test]
async fn sqlite_presence_matches_in_memory_presence_under_random_traffic() {
    let dir = temp_dir("sqlite-random");
    let db = dir.join("events.db");
    let mut sink = SqliteSink::open(&db).unwrap();
    let mut oracle = Oracle::default();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut ms = 1_000u64;
    for round in 0..40 {
        let mut items = Vec::new();
        for _ in 0..50 {
            ms += 1;
            // Occasionally an event from the past (reordering across regions).
            let t = if next(10) == 0 { ms - next(30) } else { ms };
            let user = format!("u{}", next(12));
            let channel = format!("c{}", next(4));
            items.push(match next(4) {
                0 => login(&user, t),
                1 => logout(&user, t),
                2 => join(&channel, &user, t),
                _ => leave(&channel, &user, t),
            });
        }
        let feed = if round % 2 == 0 {
            Feed::UserEvents
        } else {
            Feed::ChannelEvents
        };
        let b = batch(feed, items);
        sink.write(&b).await.unwrap();
        // Duplicates are dropped by the sink; the oracle skips them too.
        oracle.apply_all(&b.items);
        assert_eq!(
            sqlite::read_presence(&db).unwrap(),
            oracle.snapshot(),
            "round {round}"
        );
    }
    let end = oracle.snapshot();
    assert!(
        !end.online.is_empty() && !end.channels.is_empty(),
        "{end:?}"
    );
    assert!(
        sqlite::count_events(&db).unwrap() < 2000,
        "some duplicates were generated"
    );
    sink.close().await.unwrap();
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn sqlite_restore_after_reopen_returns_presence_and_recent_keys() {
    let dir = temp_dir("sqlite-restore");
    let db = dir.join("events.db");
    let mut sink = SqliteSink::open(&db).unwrap();
    let fresh = sink.restore().await.unwrap().unwrap();
    assert!(fresh.recent_keys.is_empty());
    assert_eq!(fresh.presence, Default::default());

    let b1 = batch(Feed::UserEvents, vec![login("a", 1), login("b", 2)]);
    let b2 = batch(
        Feed::ChannelEvents,
        vec![join("x", "a", 3), join("x", "b", 4), leave("x", "b", 5)],
    );
    sink.write(&b1).await.unwrap();
    sink.write(&b2).await.unwrap();
    let before = sqlite::read_presence(&db).unwrap();
    sink.close().await.unwrap();
    drop(sink);

    let mut sink = SqliteSink::open(&db).unwrap();
    let restored = sink.restore().await.unwrap().unwrap();
    assert_eq!(restored.presence, before);
    let keys: Vec<EventKey> = b1
        .items
        .iter()
        .chain(&b2.items)
        .map(|i| match i {
            WatchItem::User(e) => e.key(),
            WatchItem::Channel(e) => e.key(),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(restored.recent_keys, keys, "oldest first, newest last");

    // The restored sink carries on from the restored presence.
    sink.write(&batch(Feed::UserEvents, vec![logout("a", 10)]))
        .await
        .unwrap();
    let mut oracle = Presence::from_snapshot(&before);
    oracle.apply_user(&UserEvent {
        user_id: "a".into(),
        kind: UserEventKind::Logout,
        ms: 10,
    });
    assert_eq!(sqlite::read_presence(&db).unwrap(), oracle.snapshot());
    assert!(sqlite::read_presence(&db).unwrap().channels.is_empty());
    // A sink that writes before restoring also starts from the stored presence.
    sink.close().await.unwrap();
    let mut sink = SqliteSink::open(&db).unwrap();
    sink.write(&batch(Feed::UserEvents, vec![login("c", 11)]))
        .await
        .unwrap();
    oracle.apply_user(&UserEvent {
        user_id: "c".into(),
        kind: UserEventKind::Login,
        ms: 11,
    });
    assert_eq!(sqlite::read_presence(&db).unwrap(), oracle.snapshot());
    let restored = sink.restore().await.unwrap().unwrap();
    assert_eq!(restored.presence, oracle.snapshot());
    assert_eq!(restored.recent_keys.len(), 7);
    sink.close().await.unwrap();
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn sqlite_read_presence_while_the_writer_and_a_reader_are_open() {
    let dir = temp_dir("sqlite-wal");
    let db = dir.join("events.db");
    let mut sink = SqliteSink::open(&db).unwrap();
    sink.write(&batch(Feed::UserEvents, vec![login("a", 1)]))
        .await
        .unwrap();
    // Another connection holds a read transaction open.
    let other = rusqlite::Connection::open(&db).unwrap();
    other
        .execute_batch("BEGIN; SELECT COUNT(*) FROM events;")
        .unwrap();
    // The writer is not blocked by the reader (WAL) ...
    sink.write(&batch(Feed::UserEvents, vec![login("b", 2)]))
        .await
        .unwrap();
    // ... and a read-only reader sees the latest commit.
    let snapshot = sqlite::read_presence(&db).unwrap();
    assert_eq!(snapshot.online.keys().collect::<Vec<_>>(), vec!["a", "b"]);
    assert_eq!(sqlite::count_events(&db).unwrap(), 2);
    other.execute_batch("COMMIT").unwrap();
    drop(other);
    sink.close().await.unwrap();
    // The sink is closed: a write fails instead of being dropped silently.
    assert!(
        sink.write(&batch(Feed::UserEvents, vec![login("c", 3)]))
            .await
            .is_err()
    );
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn sqlite_rejects_foreign_databases_and_missing_files() {
    let dir = temp_dir("sqlite-foreign");
    let foreign = dir.join("other.db");
    let conn = rusqlite::Connection::open(&foreign).unwrap();
    conn.execute_batch("CREATE TABLE events (x INTEGER)")
        .unwrap();
    drop(conn);
    assert!(matches!(
        SqliteSink::open(&foreign),
        Err(SinkError::Config(_))
    ));
    assert!(matches!(
        sqlite::read_presence(&foreign),
        Err(SinkError::Config(_))
    ));
    assert!(matches!(
        sqlite::read_presence(dir.join("none.db")),
        Err(SinkError::Config(_))
    ));
    assert!(matches!(
        SqliteSink::open(dir.join("no").join("x.db")),
        Err(SinkError::Config(_))
    ));
    std::fs::remove_dir_all(dir).ok();
}

// ---------------------------------------------------------------- webhook

#[derive(Debug, Clone)]
struct Received {
    signature: String,
    batch: String,
    body: Vec<u8>,
    status: u16,
}

#[derive(Default)]
struct Hook {
    /// Answer 500 to this many requests first (u32::MAX: always).
    fail_first: u32,
    requests: Mutex<Vec<Received>>,
}

async fn hook_server(fail_first: u32) -> (String, Arc<Hook>) {
    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode};

    async fn handle(
        State(hook): State<Arc<Hook>>,
        headers: HeaderMap,
        body: axum::body::Bytes,
    ) -> StatusCode {
        let mut requests = hook.requests.lock().unwrap();
        let status = if (requests.len() as u32) < hook.fail_first {
            500
        } else {
            204
        };
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        requests.push(Received {
            signature: header(SIGNATURE_HEADER),
            batch: header(BATCH_HEADER),
            body: body.to_vec(),
            status,
        });
        StatusCode::from_u16(status).unwrap()
    }

    let hook = Arc::new(Hook {
        fail_first,
        ..Hook::default()
    });
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(handle))
        .with_state(Arc::clone(&hook));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook?token=in-the-url"), hook)
}

fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn webhook_posts_signed_batches() {
    let (url, hook) = hook_server(0).await;
    let mut sink = WebhookSink::new(&url, "whsec-test")
        .unwrap()
        .first_batch_number(7);
    let b = batch(
        Feed::UserEvents,
        vec![login("a", 1), gap(Feed::UserEvents, GapReason::Overflow)],
    );
    sink.write(&b).await.unwrap();
    sink.write(&batch(Feed::ChannelEvents, vec![join("x", "a", 2)]))
        .await
        .unwrap();
    sink.write(&batch(Feed::ChannelEvents, vec![]))
        .await
        .unwrap(); // nothing to send
    let requests = hook.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 2);
    let r = &requests[0];
    assert!(
        verify_signature(b"whsec-test", &r.signature, &r.body, now_unix(), 300),
        "{}",
        r.signature
    );
    assert!(!verify_signature(
        b"wrong",
        &r.signature,
        &r.body,
        now_unix(),
        300
    ));
    assert!(!verify_signature(
        b"whsec-test",
        &r.signature,
        b"{}",
        now_unix(),
        300
    ));
    assert!(!verify_signature(
        b"whsec-test",
        &r.signature,
        &r.body,
        now_unix() + 3600,
        300
    ));
    assert!(r.signature.starts_with("t="));
    assert_eq!(r.batch, "7");
    let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(body["batch"], 7);
    assert_eq!(body["feed"], "user_events");
    assert_eq!(body["source"], "api.agora.io");
    let items: Vec<serde_json::Value> = b.items.iter().map(WatchItem::to_json).collect();
    assert_eq!(body["items"], serde_json::Value::from(items));
    assert_eq!(requests[1].batch, "8");
    assert_eq!(sink.next_batch_number(), 9);

    // The secret and the URL's query never show in Debug.
    let debug = format!("{sink:?}");
    assert!(
        !debug.contains("whsec-test") && !debug.contains("in-the-url"),
        "{debug}"
    );
}

#[tokio::test]
async fn webhook_retries_until_delivered_in_order_without_dropping() {
    let (url, hook) = hook_server(3).await;
    let mut sink = WebhookSink::new(&url, "s")
        .unwrap()
        .backoff(Duration::from_millis(1), Duration::from_millis(20));
    let batches: Vec<Batch> = (0..3)
        .map(|i| batch(Feed::UserEvents, vec![login(&format!("u{i}"), i)]))
        .collect();
    for b in &batches {
        sink.write(b).await.unwrap();
    }
    let requests = hook.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 6, "3 failures then 3 deliveries");
    assert!(
        requests[..4].iter().all(|r| r.batch == requests[0].batch),
        "the first batch is retried"
    );
    let delivered: Vec<&Received> = requests.iter().filter(|r| r.status == 204).collect();
    assert_eq!(delivered.len(), 3, "every batch exactly once");
    for (i, r) in delivered.iter().enumerate() {
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["items"][0]["user_id"], format!("u{i}"), "in order");
        assert!(verify_signature(
            b"s",
            &r.signature,
            &r.body,
            now_unix(),
            300
        ));
    }
    let numbers: Vec<u64> = delivered.iter().map(|r| r.batch.parse().unwrap()).collect();
    assert!(numbers.windows(2).all(|w| w[1] == w[0] + 1), "{numbers:?}");
}

#[tokio::test]
async fn webhook_gives_up_after_max_attempts() {
    let (url, hook) = hook_server(u32::MAX).await;
    let mut sink = WebhookSink::new(&url, "s")
        .unwrap()
        .max_attempts(Some(2))
        .unwrap()
        .backoff(Duration::from_millis(1), Duration::from_millis(5));
    let err = sink
        .write(&batch(Feed::UserEvents, vec![login("a", 1)]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, SinkError::Webhook(ref m) if m.contains("2 attempts") && m.contains("500")),
        "{err}"
    );
    assert!(!err.to_string().contains("in-the-url"), "{err}");
    assert_eq!(hook.requests.lock().unwrap().len(), 2);

    // An unreachable endpoint fails the same way (network errors are retried too).
    let mut sink = WebhookSink::new("http://127.0.0.1:9/hook", "s")
        .unwrap()
        .max_attempts(Some(2))
        .unwrap()
        .backoff(Duration::from_millis(1), Duration::from_millis(5));
    let err = sink
        .write(&batch(Feed::UserEvents, vec![login("a", 1)]))
        .await
        .unwrap_err();
    assert!(matches!(err, SinkError::Webhook(_)), "{err}");
}

#[tokio::test]
async fn webhook_back_pressure_keeps_write_pending() {
    let (url, hook) = hook_server(u32::MAX).await;
    let mut sink = WebhookSink::new(&url, "s")
        .unwrap()
        .backoff(Duration::from_millis(1), Duration::from_millis(5));
    let b = batch(Feed::UserEvents, vec![login("a", 1)]);
    let pending = tokio::time::timeout(Duration::from_millis(300), sink.write(&b)).await;
    assert!(
        pending.is_err(),
        "write does not return while the endpoint fails"
    );
    assert!(
        hook.requests.lock().unwrap().len() >= 3,
        "and keeps retrying"
    );
}

#[test]
fn verify_signature_rejects_malformed_headers() {
    let header = agora_rtm_rest::sink::webhook::signature_header(b"k", 100, b"body");
    assert!(verify_signature(b"k", &header, b"body", 100, 0));
    // Several v1 values (secret rotation): any match passes.
    let rotated = format!("{header},v1=00ff");
    assert!(verify_signature(b"k", &rotated, b"body", 100, 0));
    for bad in [
        "",
        "t=100",
        "v1=abcd",
        "t=x,v1=00",
        "t=100,v1=zz",
        "garbage",
        "t=100,t=100,v1=00",
    ] {
        assert!(!verify_signature(b"k", bad, b"body", 100, 0), "{bad}");
    }
    let upper = header
        .to_uppercase()
        .replace("T=", "t=")
        .replace("V1=", "v1=");
    assert!(
        verify_signature(b"k", &upper, b"body", 100, 0),
        "hex case is not significant"
    );
}

// ---------------------------------------------------------------- open()

#[tokio::test]
async fn open_parses_every_form_and_rejects_bad_ones() {
    let dir = temp_dir("open");
    let options = SinkOptions::default();
    assert_eq!(options.jsonl_max_bytes, 64 * 1024 * 1024);
    assert_eq!(options.jsonl_keep, 5);
    assert_eq!(options.webhook_max_attempts, None);

    open("-", &options).unwrap();
    let jsonl = dir.join("e.jsonl");
    let mut sink = open(&format!("jsonl:{}", jsonl.display()), &options).unwrap();
    sink.write(&batch(Feed::UserEvents, vec![login("a", 1)]))
        .await
        .unwrap();
    sink.close().await.unwrap();
    assert_eq!(read_lines(&jsonl).len(), 1);

    let db = dir.join("e.db");
    let mut sink = open(&format!("sqlite:{}", db.display()), &options).unwrap();
    sink.write(&batch(Feed::UserEvents, vec![login("a", 1)]))
        .await
        .unwrap();
    assert!(sink.restore().await.unwrap().is_some());
    sink.close().await.unwrap();
    assert_eq!(sqlite::count_events(&db).unwrap(), 1);

    let with_secret = SinkOptions {
        webhook_secret: Some(Secret::new("s")),
        ..SinkOptions::default()
    };
    open("webhook:https://example.com/hook", &with_secret).unwrap();
    open("webhook:http://127.0.0.1:8080/hook", &with_secret).unwrap();
    let bounded = SinkOptions {
        webhook_max_attempts: Some(3),
        ..with_secret.clone()
    };
    open("webhook:https://example.com/hook", &bounded).unwrap();
    let zero = SinkOptions {
        webhook_max_attempts: Some(0),
        ..with_secret.clone()
    };
    assert!(matches!(
        open("webhook:https://example.com/hook", &zero),
        Err(SinkError::Config(_))
    ));

    let missing_secret = open("webhook:https://example.com/hook", &options)
        .err()
        .unwrap();
    assert!(
        matches!(missing_secret, SinkError::Config(ref m) if m.contains("secret")),
        "{missing_secret}"
    );
    for bad in [
        "",
        "events.jsonl",
        "jsonl:",
        "sqlite:",
        "webhook:",
        "csv:out.csv",
        "JSONL:x",
        "webhook:ftp://example.com/x",
        "webhook:not a url",
        "webhook:mailto:a@example.com",
    ] {
        let err = open(bad, &with_secret)
            .err()
            .unwrap_or_else(|| panic!("{bad:?} accepted"));
        assert!(matches!(err, SinkError::Config(_)), "{bad:?}: {err}");
    }
    let err = open("csv:out.csv", &options).err().unwrap().to_string();
    for form in ["jsonl:PATH", "sqlite:PATH", "webhook:URL", "`-`"] {
        assert!(err.contains(form), "{err}");
    }
    let err = open(
        &format!("jsonl:{}", dir.join("missing/e.jsonl").display()),
        &options,
    )
    .err()
    .unwrap();
    assert!(matches!(err, SinkError::Config(_)), "{err}");
    std::fs::remove_dir_all(dir).ok();
}
