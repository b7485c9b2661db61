//! A SQLite database (WAL journal, `synchronous=FULL`): every batch is one
//! transaction, durable when [`Sink::write`] returns, and the database keeps the
//! presence the events imply, so a restarted watcher (or `agora-rtm presence
//! --sink sqlite:PATH`) knows who is online without replaying anything.
//!
//! # Schema (version 1)
//!
//! ```sql
//! CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
//!     -- ('schema_version', '1')
//! CREATE TABLE events (
//!     id             INTEGER PRIMARY KEY,      -- insertion order
//!     feed           TEXT NOT NULL,            -- 'user_events' | 'channel_events'
//!     user_id        TEXT NOT NULL,
//!     channel_id     TEXT NOT NULL,            -- '' for user events
//!     type           TEXT NOT NULL,            -- 'Login' 'Logout' 'Join' 'Leave' or as received
//!     ms             INTEGER NOT NULL,         -- event time, Unix ms
//!     source         TEXT NOT NULL,            -- the host read
//!     received_at_ms INTEGER NOT NULL,         -- when the batch was written, Unix ms
//!     UNIQUE (feed, user_id, channel_id, type, ms));
//! CREATE TABLE gaps (
//!     id               INTEGER PRIMARY KEY,
//!     feed             TEXT NOT NULL,
//!     source           TEXT NOT NULL,
//!     reason           TEXT NOT NULL,          -- 'lost_response' 'undecodable' 'overflow' 'unreadable'
//!     lost_reads       INTEGER NOT NULL,
//!     after_ms         INTEGER,                -- NULL when unknown
//!     before_ms        INTEGER,
//!     estimated_events INTEGER,
//!     recorded_at_ms   INTEGER NOT NULL);
//! CREATE TABLE presence_online (
//!     user_id  TEXT PRIMARY KEY,
//!     since_ms INTEGER NOT NULL) WITHOUT ROWID;
//! CREATE TABLE presence_members (
//!     channel_id TEXT NOT NULL,
//!     user_id    TEXT NOT NULL,
//!     since_ms   INTEGER NOT NULL,
//!     PRIMARY KEY (channel_id, user_id)) WITHOUT ROWID;
//! ```
//!
//! Events are inserted with `INSERT OR IGNORE`: an event already stored (same
//! feed, user, channel, type and ms: the de-duplication key of SPEC section 3) is
//! never stored twice, even when a restarted watcher re-reads it from another
//! region. Only newly inserted events change presence: the sink keeps an
//! in-memory [`Presence`] (loaded from the presence tables), applies the new
//! events to it and writes the rows that changed, in the same transaction as
//! the events and gaps.
//!
//! All SQLite calls run on a dedicated thread (one per sink), never on the async
//! runtime's workers.
//!
//! One sink (one watcher) writes a database at a time: the in-memory presence
//! assumes nobody else changes the presence tables. Any number of readers
//! ([`read_presence`], [`count_events`], the `sqlite3` shell) may read it
//! meanwhile; a writer waits up to 5 s for a lock before failing.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{SystemTime, UNIX_EPOCH};

use agora_rtm_rest_protocol::presence::{Presence, PresenceSnapshot};
use agora_rtm_rest_protocol::watch::{Gap, WatchItem};
use agora_rtm_rest_protocol::{
    ChannelEvent, ChannelEventKind, Event, EventKey, Feed, UserEvent, UserEventKind,
};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use tokio::sync::oneshot;

use super::jsonl::check_parent;
use super::{Batch, Restored, Sink, SinkError};
use crate::transport::BoxFuture;

/// The schema version this module writes (the `schema_version` row of `meta`).
pub const SCHEMA_VERSION: u32 = 1;

/// How many of the newest events' keys [`Sink::restore`] returns.
pub const RECENT_KEYS: usize = 65_536;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    feed TEXT NOT NULL,
    user_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    type TEXT NOT NULL,
    ms INTEGER NOT NULL,
    source TEXT NOT NULL,
    received_at_ms INTEGER NOT NULL,
    UNIQUE (feed, user_id, channel_id, type, ms));
CREATE TABLE IF NOT EXISTS gaps (
    id INTEGER PRIMARY KEY,
    feed TEXT NOT NULL,
    source TEXT NOT NULL,
    reason TEXT NOT NULL,
    lost_reads INTEGER NOT NULL,
    after_ms INTEGER,
    before_ms INTEGER,
    estimated_events INTEGER,
    recorded_at_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS presence_online (
    user_id TEXT PRIMARY KEY,
    since_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS presence_members (
    channel_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    since_ms INTEGER NOT NULL,
    PRIMARY KEY (channel_id, user_id)) WITHOUT ROWID;
";

/// Persists batches to a SQLite database (see the [module docs](self) for the schema).
///
/// ```no_run
/// # async fn demo() -> Result<(), agora_rtm_rest::sink::SinkError> {
/// use agora_rtm_rest::sink::{Sink, SqliteSink};
/// let mut sink = SqliteSink::open("events.db")?;
/// let restored = sink.restore().await?;   // presence and recent keys of an earlier run
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct SqliteSink {
    path: PathBuf,
    commands: Option<mpsc::Sender<Command>>,
}

enum Command {
    Write(Batch, oneshot::Sender<Result<(), SinkError>>),
    Restore(oneshot::Sender<Result<Restored, SinkError>>),
    Close(oneshot::Sender<Result<(), SinkError>>),
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Command::Write(..) => "Write",
            Command::Restore(_) => "Restore",
            Command::Close(_) => "Close",
        })
    }
}

impl SqliteSink {
    /// Opens (or creates) the database at `path`, switches it to WAL with
    /// `synchronous=FULL` and creates the schema. The directory must exist.
    ///
    /// Fails with [`SinkError::Config`] when the file is a database of something
    /// else or of a newer schema version.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, SinkError> {
        let path = path.as_ref().to_path_buf();
        check_parent(&path)?;
        let conn = Connection::open(&path).map_err(|e| cannot_open(&path, &e))?;
        prepare(&conn, &path)?;
        let (commands, receiver) = mpsc::channel();
        std::thread::Builder::new()
            .name("agora-rtm-sqlite".into())
            .spawn(move || {
                Worker {
                    conn: Some(conn),
                    presence: None,
                }
                .run(receiver)
            })?;
        Ok(SqliteSink {
            path,
            commands: Some(commands),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn send(&self, command: Command) -> Result<(), SinkError> {
        match &self.commands {
            Some(commands) => commands.send(command).map_err(|_| worker_stopped()),
            None => Err(SinkError::Sqlite(format!(
                "the sqlite sink {} is closed",
                self.path.display()
            ))),
        }
    }
}

impl Sink for SqliteSink {
    fn write<'a>(&'a mut self, batch: &'a Batch) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            if batch.items.is_empty() {
                return Ok(());
            }
            let (reply, answer) = oneshot::channel();
            self.send(Command::Write(batch.clone(), reply))?;
            answer.await.map_err(|_| worker_stopped())?
        })
    }

    fn restore(&mut self) -> BoxFuture<'_, Result<Option<Restored>, SinkError>> {
        Box::pin(async move {
            let (reply, answer) = oneshot::channel();
            self.send(Command::Restore(reply))?;
            answer.await.map_err(|_| worker_stopped())?.map(Some)
        })
    }

    fn close(&mut self) -> BoxFuture<'_, Result<(), SinkError>> {
        Box::pin(async move {
            if self.commands.is_none() {
                return Ok(());
            }
            let (reply, answer) = oneshot::channel();
            self.send(Command::Close(reply))?;
            self.commands = None;
            answer.await.map_err(|_| worker_stopped())?
        })
    }
}

/// Presence as stored in the database at `path`, read through a read-only
/// connection (a watcher may be writing the database at the same time: WAL lets
/// readers and the writer proceed together).
pub fn read_presence(path: impl AsRef<Path>) -> Result<PresenceSnapshot, SinkError> {
    let conn = open_read_only(path.as_ref())?;
    load_snapshot(&conn)
}

/// The number of events stored in the database at `path` (read-only).
pub fn count_events(path: impl AsRef<Path>) -> Result<u64, SinkError> {
    let conn = open_read_only(path.as_ref())?;
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
        .map_err(sql)?;
    Ok(from_int(n))
}

/// Every persisted event, in the order it was persisted (opens read-only). For
/// tools, tests and benchmarks that compare a sink with what the service handed out.
pub fn read_events(path: impl AsRef<Path>) -> Result<Vec<Event>, SinkError> {
    let conn = open_read_only(path.as_ref())?;
    let mut stmt = conn
        .prepare("SELECT feed, user_id, channel_id, type, ms FROM events ORDER BY id")
        .map_err(sql)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })
        .map_err(sql)?;
    let mut events = Vec::new();
    for row in rows {
        let (feed, user_id, channel_id, kind, ms) = row.map_err(sql)?;
        let ms = from_int(ms);
        events.push(if feed == Feed::UserEvents.as_str() {
            Event::User(UserEvent {
                user_id,
                kind: UserEventKind::from_wire(&kind),
                ms,
            })
        } else {
            Event::Channel(ChannelEvent {
                channel_id,
                user_id,
                kind: ChannelEventKind::from_wire(&kind),
                ms,
            })
        });
    }
    Ok(events)
}

fn open_read_only(path: &Path) -> Result<Connection, SinkError> {
    if !path.is_file() {
        return Err(SinkError::Config(format!(
            "no sqlite sink database at {}",
            path.display()
        )));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| cannot_open(path, &e))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(sql)?;
    match schema_version(&conn)? {
        Some(v) if v == SCHEMA_VERSION.to_string() => Ok(conn),
        Some(v) => Err(SinkError::Config(format!(
            "{} has sink schema version {v}, this build reads version {SCHEMA_VERSION}",
            path.display()
        ))),
        None => Err(SinkError::Config(format!(
            "{} is not a sink database (no schema version)",
            path.display()
        ))),
    }
}

/// Pragmas and schema of a read-write connection.
fn prepare(conn: &Connection, path: &Path) -> Result<(), SinkError> {
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(sql)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .map_err(sql)?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(path = %path.display(), mode, "sqlite sink: WAL journal not available");
    }
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(sql)?;
    let tables: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'",
            [],
            |r| r.get(0),
        )
        .map_err(sql)?;
    let version = if tables > 0 {
        schema_version(conn)?
    } else {
        None
    };
    match version {
        Some(v) if v == SCHEMA_VERSION.to_string() => Ok(()),
        Some(v) => Err(SinkError::Config(format!(
            "{} has sink schema version {v}, this build writes version {SCHEMA_VERSION}",
            path.display()
        ))),
        None if tables > 0 => Err(SinkError::Config(format!(
            "{} is a database of something else (it has tables but no sink schema version)",
            path.display()
        ))),
        None => {
            conn.execute_batch(&format!(
                "BEGIN IMMEDIATE; {SCHEMA} INSERT INTO meta (key, value) VALUES ('schema_version', '{SCHEMA_VERSION}'); COMMIT;"
            ))
            .map_err(sql)?;
            Ok(())
        }
    }
}

fn schema_version(conn: &Connection) -> Result<Option<String>, SinkError> {
    let has_meta: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
            [],
            |r| r.get(0),
        )
        .map_err(sql)?;
    if has_meta == 0 {
        return Ok(None);
    }
    conn.query_row(
        "SELECT value FROM meta WHERE key = 'schema_version'",
        [],
        |r| r.get(0),
    )
    .optional()
    .map_err(sql)
}

fn load_snapshot(conn: &Connection) -> Result<PresenceSnapshot, SinkError> {
    let mut snapshot = PresenceSnapshot::default();
    let mut stmt = conn
        .prepare("SELECT user_id, since_ms FROM presence_online")
        .map_err(sql)?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .map_err(sql)?;
    for row in rows {
        let (user, since) = row.map_err(sql)?;
        snapshot.online.insert(user, from_int(since));
    }
    let mut stmt = conn
        .prepare("SELECT channel_id, user_id, since_ms FROM presence_members")
        .map_err(sql)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .map_err(sql)?;
    for row in rows {
        let (channel, user, since) = row.map_err(sql)?;
        snapshot
            .channels
            .entry(channel)
            .or_default()
            .insert(user, from_int(since));
    }
    Ok(snapshot)
}

fn recent_keys(conn: &Connection, limit: usize) -> Result<Vec<EventKey>, SinkError> {
    let mut stmt = conn
        .prepare("SELECT feed, user_id, channel_id, type, ms FROM events ORDER BY id DESC LIMIT ?1")
        .map_err(sql)?;
    let rows = stmt
        .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })
        .map_err(sql)?;
    let mut keys = Vec::new();
    for row in rows {
        let (feed, user_id, channel_id, kind, ms) = row.map_err(sql)?;
        let feed = match feed.as_str() {
            "user_events" => Feed::UserEvents,
            "channel_events" => Feed::ChannelEvents,
            other => {
                return Err(SinkError::Sqlite(format!(
                    "unknown feed {other:?} in the events table"
                )));
            }
        };
        keys.push(EventKey {
            feed,
            user_id,
            channel_id,
            kind,
            ms: from_int(ms),
        });
    }
    keys.reverse(); // newest last
    Ok(keys)
}

/// The thread that owns the read-write connection.
struct Worker {
    conn: Option<Connection>,
    /// Presence as committed; `None` until first needed (or after a failed
    /// transaction), then loaded from the presence tables.
    presence: Option<Presence>,
}

impl Worker {
    fn run(mut self, commands: mpsc::Receiver<Command>) {
        while let Ok(command) = commands.recv() {
            match command {
                Command::Write(batch, reply) => {
                    let result = self.write(&batch);
                    if result.is_err() {
                        self.presence = None; // rolled back: reload from the database
                    }
                    let _ = reply.send(result);
                }
                Command::Restore(reply) => {
                    let _ = reply.send(self.restore());
                }
                Command::Close(reply) => {
                    let result = match self.conn.take() {
                        Some(conn) => conn.close().map_err(|(_, e)| sql(e)),
                        None => Ok(()),
                    };
                    let _ = reply.send(result);
                    return;
                }
            }
        }
    }

    fn conn(&mut self) -> Result<&mut Connection, SinkError> {
        self.conn.as_mut().ok_or_else(worker_stopped)
    }

    fn restore(&mut self) -> Result<Restored, SinkError> {
        let conn = self.conn()?;
        let presence = load_snapshot(conn)?;
        let recent_keys = recent_keys(conn, RECENT_KEYS)?;
        if self.presence.is_none() {
            self.presence = Some(Presence::from_snapshot(&presence));
        }
        Ok(Restored {
            presence,
            recent_keys,
        })
    }

    fn write(&mut self, batch: &Batch) -> Result<(), SinkError> {
        if self.presence.is_none() {
            let snapshot = load_snapshot(self.conn()?)?;
            self.presence = Some(Presence::from_snapshot(&snapshot));
        }
        let (Some(conn), Some(presence)) = (self.conn.as_mut(), self.presence.as_mut()) else {
            return Err(worker_stopped());
        };
        let now = to_int(unix_ms());
        let source = batch.source.as_str();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql)?;
        let mut changes = Changes::default();
        {
            let mut insert_event = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO events (feed, user_id, channel_id, type, ms, source, received_at_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(sql)?;
            let mut insert_gap = tx
                .prepare_cached(
                    "INSERT INTO gaps (feed, source, reason, lost_reads, after_ms, before_ms, estimated_events, recorded_at_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(sql)?;
            for item in &batch.items {
                match item {
                    WatchItem::User(e) => {
                        let inserted = insert_event
                            .execute(params![
                                Feed::UserEvents.as_str(),
                                e.user_id,
                                "",
                                e.kind.as_str(),
                                to_int(e.ms),
                                source,
                                now
                            ])
                            .map_err(sql)?;
                        if inserted > 0 {
                            changes.apply_user(presence, e);
                        }
                    }
                    WatchItem::Channel(e) => {
                        let inserted = insert_event
                            .execute(params![
                                Feed::ChannelEvents.as_str(),
                                e.user_id,
                                e.channel_id,
                                e.kind.as_str(),
                                to_int(e.ms),
                                source,
                                now
                            ])
                            .map_err(sql)?;
                        if inserted > 0 {
                            changes.apply_channel(presence, e);
                        }
                    }
                    WatchItem::Gap(g) => {
                        insert_gap_row(&mut insert_gap, g, now)?;
                    }
                    WatchItem::Stats(_) => {}
                }
            }
            let mut upsert_online = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO presence_online (user_id, since_ms) VALUES (?1, ?2)",
                )
                .map_err(sql)?;
            let mut delete_online = tx
                .prepare_cached("DELETE FROM presence_online WHERE user_id = ?1")
                .map_err(sql)?;
            for user in &changes.users {
                match presence.online_since(user) {
                    Some(since) => upsert_online
                        .execute(params![user, to_int(since)])
                        .map_err(sql)?,
                    None => delete_online.execute([user]).map_err(sql)?,
                };
            }
            let mut upsert_member = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO presence_members (channel_id, user_id, since_ms) VALUES (?1, ?2, ?3)",
                )
                .map_err(sql)?;
            let mut delete_member = tx
                .prepare_cached(
                    "DELETE FROM presence_members WHERE channel_id = ?1 AND user_id = ?2",
                )
                .map_err(sql)?;
            for ((channel, user), since) in &changes.members {
                match since {
                    Some(since) => upsert_member
                        .execute(params![channel, user, to_int(*since)])
                        .map_err(sql)?,
                    None => delete_member.execute([channel, user]).map_err(sql)?,
                };
            }
        }
        tx.commit().map_err(sql)
    }
}

fn insert_gap_row(
    stmt: &mut rusqlite::CachedStatement<'_>,
    g: &Gap,
    now: i64,
) -> Result<(), SinkError> {
    stmt.execute(params![
        g.feed.as_str(),
        g.source,
        g.reason.as_str(),
        i64::from(g.lost_reads),
        g.after_ms.map(to_int),
        g.before_ms.map(to_int),
        g.estimated_events.map(to_int),
        now
    ])
    .map_err(sql)?;
    Ok(())
}

/// The presence rows one batch changes: users whose online state changed and
/// memberships that began (`Some(since)`) or ended (`None`).
#[derive(Default)]
struct Changes {
    users: HashSet<String>,
    members: HashMap<(String, String), Option<u64>>,
}

impl Changes {
    fn apply_user(&mut self, presence: &mut Presence, e: &UserEvent) {
        let online_before = presence.online_since(&e.user_id);
        let channels_before: Vec<String> = presence
            .channels_of(&e.user_id)
            .into_iter()
            .map(str::to_owned)
            .collect();
        presence.apply_user(e);
        if presence.online_since(&e.user_id) != online_before {
            self.users.insert(e.user_id.clone());
        }
        if !channels_before.is_empty() {
            let after = presence.channels_of(&e.user_id);
            for channel in channels_before {
                if !after.contains(&channel.as_str()) {
                    self.members.insert((channel, e.user_id.clone()), None);
                }
            }
        }
    }

    fn apply_channel(&mut self, presence: &mut Presence, e: &ChannelEvent) {
        let online_before = presence.online_since(&e.user_id);
        let was_member = presence
            .channels_of(&e.user_id)
            .contains(&e.channel_id.as_str());
        presence.apply_channel(e);
        if presence.online_since(&e.user_id) != online_before {
            self.users.insert(e.user_id.clone());
        }
        let is_member = presence
            .channels_of(&e.user_id)
            .contains(&e.channel_id.as_str());
        match (was_member, is_member) {
            // A membership begins with the event that creates it.
            (false, true) => {
                self.members
                    .insert((e.channel_id.clone(), e.user_id.clone()), Some(e.ms));
            }
            (true, false) => {
                self.members
                    .insert((e.channel_id.clone(), e.user_id.clone()), None);
            }
            _ => {}
        }
    }
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn to_int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn from_int(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn sql(e: rusqlite::Error) -> SinkError {
    SinkError::Sqlite(e.to_string())
}

fn cannot_open(path: &Path, e: &rusqlite::Error) -> SinkError {
    SinkError::Sqlite(format!("cannot open {}: {e}", path.display()))
}

fn worker_stopped() -> SinkError {
    SinkError::Sqlite("the sqlite sink's worker thread stopped".into())
}
