//! Presence rebuilt from the event feeds (the API has no presence endpoint).
//!
//! Out-of-order arrival is tolerated: every user's online state and every
//! (channel, user) membership is decided by the event with the largest `ms`
//! (last writer wins); an older event that arrives later changes nothing. A logout
//! also ends the user's memberships that began before it.
//!
//! Memory is proportional to what is present, plus a bounded set of recent
//! "tombstones" (the time of the last logout or leave of an absent user or
//! membership) used to reject stale events: tombstones older than the newest
//! event seen minus [`Presence::TOMBSTONE_WINDOW_MS`] are dropped, and at most
//! [`Presence::TOMBSTONE_CAP`] are kept.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::models::{ChannelEvent, ChannelEventKind, Event, UserEvent, UserEventKind};

/// Who is online and who is in which channel, updated event by event.
///
/// ```
/// use agora_rtm_rest_protocol::presence::Presence;
/// use agora_rtm_rest_protocol::{ChannelEvent, ChannelEventKind, UserEvent, UserEventKind};
/// let mut p = Presence::new();
/// p.apply_user(&UserEvent { user_id: "alice".into(), kind: UserEventKind::Login, ms: 10 });
/// p.apply_channel(&ChannelEvent { channel_id: "lobby".into(), user_id: "alice".into(), kind: ChannelEventKind::Join, ms: 11 });
/// // A stale logout (older than the login) arrives late: ignored.
/// p.apply_user(&UserEvent { user_id: "alice".into(), kind: UserEventKind::Logout, ms: 5 });
/// assert!(p.is_online("alice"));
/// assert_eq!(p.members("lobby"), vec!["alice"]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Presence {
    /// user -> (online since, newest event ms)
    online: HashMap<String, (u64, u64)>,
    offline_since: HashMap<String, u64>,
    /// channel -> user -> (member since, newest event ms)
    members: HashMap<String, HashMap<String, (u64, u64)>>,
    left_at: HashMap<(String, String), u64>,
    user_channels: HashMap<String, BTreeSet<String>>,
    newest_ms: u64,
    applied: u64,
    next_sweep: usize,
}

/// A point-in-time copy of presence, sorted for stable output.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceSnapshot {
    /// Online users and the `ms` they came online.
    pub online: BTreeMap<String, u64>,
    /// Channel to members (user to the `ms` they joined).
    pub channels: BTreeMap<String, BTreeMap<String, u64>>,
}

/// What changed between two snapshots.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceDiff {
    /// Users online now but not before.
    pub came_online: Vec<String>,
    /// Users online before but not now.
    pub went_offline: Vec<String>,
    /// (channel, user) memberships that began.
    pub joined: Vec<(String, String)>,
    /// (channel, user) memberships that ended.
    pub left: Vec<(String, String)>,
}

impl PresenceDiff {
    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        self.came_online.is_empty()
            && self.went_offline.is_empty()
            && self.joined.is_empty()
            && self.left.is_empty()
    }
}

impl PresenceSnapshot {
    /// Online user count.
    pub fn online_count(&self) -> usize {
        self.online.len()
    }

    /// Channels with at least one member.
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// What changed from `earlier` to `self`.
    ///
    /// ```
    /// use agora_rtm_rest_protocol::presence::Presence;
    /// use agora_rtm_rest_protocol::{UserEvent, UserEventKind};
    /// let mut p = Presence::new();
    /// let before = p.snapshot();
    /// p.apply_user(&UserEvent { user_id: "bob".into(), kind: UserEventKind::Login, ms: 1 });
    /// assert_eq!(p.snapshot().diff(&before).came_online, vec!["bob"]);
    /// ```
    pub fn diff(&self, earlier: &PresenceSnapshot) -> PresenceDiff {
        let came_online = self
            .online
            .keys()
            .filter(|u| !earlier.online.contains_key(*u))
            .cloned()
            .collect();
        let went_offline = earlier
            .online
            .keys()
            .filter(|u| !self.online.contains_key(*u))
            .cloned()
            .collect();
        let pairs = |s: &PresenceSnapshot| -> BTreeSet<(String, String)> {
            s.channels
                .iter()
                .flat_map(|(c, m)| m.keys().map(move |u| (c.clone(), u.clone())))
                .collect()
        };
        let (now, before) = (pairs(self), pairs(earlier));
        PresenceDiff {
            came_online,
            went_offline,
            joined: now.difference(&before).cloned().collect(),
            left: before.difference(&now).cloned().collect(),
        }
    }
}

impl Presence {
    /// How far behind the newest event a tombstone is kept (one minute): a stale
    /// event older than that is no longer recognised as stale.
    pub const TOMBSTONE_WINDOW_MS: u64 = 60 * 1000;

    /// At most this many tombstones are kept (about 1.5 MiB); beyond it the oldest
    /// half is dropped even inside the window.
    pub const TOMBSTONE_CAP: usize = 16_384;

    /// Empty presence.
    pub fn new() -> Self {
        Self::default()
    }

    /// Presence restored from a snapshot (for example from a sink's database).
    pub fn from_snapshot(snapshot: &PresenceSnapshot) -> Self {
        let mut p = Presence::new();
        for (user, since) in &snapshot.online {
            p.online.insert(user.clone(), (*since, *since));
            p.newest_ms = p.newest_ms.max(*since);
        }
        for (channel, members) in &snapshot.channels {
            for (user, since) in members {
                p.members
                    .entry(channel.clone())
                    .or_default()
                    .insert(user.clone(), (*since, *since));
                p.user_channels
                    .entry(user.clone())
                    .or_default()
                    .insert(channel.clone());
                p.newest_ms = p.newest_ms.max(*since);
            }
        }
        p
    }

    /// Applies an event of either feed.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::User(e) => self.apply_user(e),
            Event::Channel(e) => self.apply_channel(e),
        }
    }

    /// Applies a login or logout (other types are ignored).
    pub fn apply_user(&mut self, e: &UserEvent) {
        self.applied += 1;
        self.note_time(e.ms);
        let latest = self
            .online
            .get(&e.user_id)
            .map(|(_, last)| *last)
            .or_else(|| self.offline_since.get(&e.user_id).copied());
        if latest.is_some_and(|t| t > e.ms) {
            return; // an older event arriving late
        }
        match e.kind {
            UserEventKind::Login => {
                self.offline_since.remove(&e.user_id);
                // A repeated login keeps the original "since".
                let entry = self.online.entry(e.user_id.clone()).or_insert((e.ms, e.ms));
                entry.1 = e.ms;
            }
            UserEventKind::Logout => {
                self.online.remove(&e.user_id);
                self.offline_since.insert(e.user_id.clone(), e.ms);
                // Logging out ends the memberships that began before the logout.
                let channels: Vec<String> = self
                    .user_channels
                    .get(&e.user_id)
                    .map(|s| s.iter().cloned().collect())
                    .unwrap_or_default();
                for channel in channels {
                    let last = self
                        .members
                        .get(&channel)
                        .and_then(|m| m.get(&e.user_id))
                        .map(|(_, last)| *last);
                    if last.is_some_and(|t| t <= e.ms) {
                        self.remove_member(&channel, &e.user_id, e.ms);
                    }
                }
            }
            UserEventKind::Other(_) => {}
        }
        self.expire_tombstones();
    }

    /// Applies a join or leave (other types are ignored). A join also marks the
    /// user online if no newer user event says otherwise.
    pub fn apply_channel(&mut self, e: &ChannelEvent) {
        self.applied += 1;
        self.note_time(e.ms);
        let key = (e.channel_id.clone(), e.user_id.clone());
        let current = self
            .members
            .get(&e.channel_id)
            .and_then(|m| m.get(&e.user_id))
            .map(|(_, last)| *last);
        let latest = current.or_else(|| self.left_at.get(&key).copied());
        if latest.is_some_and(|t| t > e.ms) {
            return;
        }
        match e.kind {
            ChannelEventKind::Join => {
                if self
                    .offline_since
                    .get(&e.user_id)
                    .is_some_and(|t| *t > e.ms)
                {
                    return; // the user logged out after this join
                }
                self.left_at.remove(&key);
                let entry = self
                    .members
                    .entry(e.channel_id.clone())
                    .or_default()
                    .entry(e.user_id.clone())
                    .or_insert((e.ms, e.ms));
                entry.1 = e.ms;
                self.user_channels
                    .entry(e.user_id.clone())
                    .or_default()
                    .insert(e.channel_id.clone());
            }
            ChannelEventKind::Leave => self.remove_member(&e.channel_id, &e.user_id, e.ms),
            ChannelEventKind::Other(_) => {}
        }
        self.expire_tombstones();
    }

    fn remove_member(&mut self, channel: &str, user: &str, ms: u64) {
        if let Some(m) = self.members.get_mut(channel) {
            m.remove(user);
            if m.is_empty() {
                self.members.remove(channel);
            }
        }
        if let Some(set) = self.user_channels.get_mut(user) {
            set.remove(channel);
            if set.is_empty() {
                self.user_channels.remove(user);
            }
        }
        self.left_at
            .insert((channel.to_owned(), user.to_owned()), ms);
    }

    fn note_time(&mut self, ms: u64) {
        self.newest_ms = self.newest_ms.max(ms);
    }

    fn expire_tombstones(&mut self) {
        // Amortised: sweep only when the tombstones have doubled since the last
        // sweep, so the cost per event stays constant.
        let count = self.offline_since.len() + self.left_at.len();
        if count <= self.next_sweep {
            return;
        }
        let horizon = self.newest_ms.saturating_sub(Self::TOMBSTONE_WINDOW_MS);
        self.offline_since.retain(|_, t| *t >= horizon);
        self.left_at.retain(|_, t| *t >= horizon);
        let count = self.offline_since.len() + self.left_at.len();
        if count > Self::TOMBSTONE_CAP {
            // Too many recent tombstones (a very busy app): keep the newest half.
            let mut times: Vec<u64> = self
                .offline_since
                .values()
                .chain(self.left_at.values())
                .copied()
                .collect();
            let middle = times.len() / 2;
            let (_, cut, _) = times.select_nth_unstable(middle);
            let cut = *cut;
            self.offline_since.retain(|_, t| *t >= cut);
            self.left_at.retain(|_, t| *t >= cut);
        }
        let count = self.offline_since.len() + self.left_at.len();
        self.next_sweep = (2 * count).max(Self::TOMBSTONE_CAP / 16);
    }

    /// True when `user` is online.
    pub fn is_online(&self, user: &str) -> bool {
        self.online.contains_key(user)
    }

    /// When `user` came online (ms), if online.
    pub fn online_since(&self, user: &str) -> Option<u64> {
        self.online.get(user).map(|(since, _)| *since)
    }

    /// Online users, sorted.
    pub fn online_users(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.online.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    /// Members of `channel`, sorted.
    pub fn members(&self, channel: &str) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .members
            .get(channel)
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        v.sort_unstable();
        v
    }

    /// Channels `user` is in, sorted.
    pub fn channels_of(&self, user: &str) -> Vec<&str> {
        self.user_channels
            .get(user)
            .map(|s| s.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// Online user count.
    pub fn online_count(&self) -> usize {
        self.online.len()
    }

    /// Channels with at least one member.
    pub fn channel_count(&self) -> usize {
        self.members.len()
    }

    /// Members of `channel`.
    pub fn member_count(&self, channel: &str) -> usize {
        self.members.get(channel).map_or(0, HashMap::len)
    }

    /// Events applied so far.
    pub fn events_applied(&self) -> u64 {
        self.applied
    }

    /// A sorted copy of the current state.
    pub fn snapshot(&self) -> PresenceSnapshot {
        PresenceSnapshot {
            online: self
                .online
                .iter()
                .map(|(u, (since, _))| (u.clone(), *since))
                .collect(),
            channels: self
                .members
                .iter()
                .map(|(c, m)| {
                    (
                        c.clone(),
                        m.iter()
                            .map(|(u, (since, _))| (u.clone(), *since))
                            .collect(),
                    )
                })
                .collect(),
        }
    }
}
