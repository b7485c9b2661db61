//! A simulated population producing consistent traffic: a user logs in before
//! joining channels, only leaves channels it is in, and leaves every channel
//! before logging out. Each user's events carry strictly increasing `ms`, so
//! `(user, type, ms)` never repeats and sorting by `ms` restores each user's order.

use std::sync::Arc;
use std::time::Duration;

use agora_rtm_rest_protocol::{ChannelEvent, ChannelEventKind, Event, UserEvent, UserEventKind};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};

use crate::config::SimulateConfig;
use crate::state::{Shared, unix_ms};

/// The simulator's tick.
const TICK: Duration = Duration::from_millis(10);

/// Budgets never exceed this many seconds of traffic (after a stall the
/// simulator catches up by at most this much instead of bursting).
const MAX_CATCH_UP_SECS: f64 = 1.0;

#[derive(Debug, Clone, Default)]
struct SimUser {
    online: bool,
    /// Channel indexes the user is in (small; unsorted).
    channels: Vec<u32>,
    /// The `ms` of the user's last event.
    last_ms: u64,
}

/// The population's state and the event budget.
#[derive(Debug)]
pub(crate) struct Population {
    users: Vec<SimUser>,
    /// Indexes of online users, for uniform picks.
    online: Vec<u32>,
    /// Position of each user in `online` (`usize::MAX` when offline).
    online_pos: Vec<usize>,
    channels: u32,
    rate: f64,
    share: f64,
    /// Events due and not yet produced (may dip below 0 after a step with extras).
    budget: f64,
    /// Error-diffusion credit of user events owed.
    user_credit: f64,
}

impl Population {
    pub(crate) fn new(config: &SimulateConfig) -> Self {
        let n = config.users as usize;
        Population {
            users: vec![SimUser::default(); n],
            online: Vec::with_capacity(n),
            online_pos: vec![usize::MAX; n],
            channels: config.channels.max(1),
            rate: config.events_per_sec.max(0.0),
            share: config.user_event_share.clamp(0.0, 1.0),
            budget: 0.0,
            user_credit: 0.0,
        }
    }

    /// Produces the events due after `elapsed` more time, appended to `out`
    /// in the order they happen.
    ///
    /// A single budget carries the fractional remainder of the total rate from
    /// tick to tick; an error-diffusing credit decides which kind of step comes
    /// next so the share of user events converges on `user_event_share`. Events
    /// a step needs beyond its own (leaving channels before a logout, a login
    /// before the first join) are charged to the same budget and credit.
    pub(crate) fn advance(
        &mut self,
        elapsed: Duration,
        now_ms: u64,
        rng: &mut impl Rng,
        out: &mut Vec<Event>,
    ) {
        if self.users.is_empty() {
            return;
        }
        let cap = (self.rate * MAX_CATCH_UP_SECS).max(1.0);
        self.budget = (self.budget + self.rate * elapsed.as_secs_f64()).min(cap);
        while self.budget >= 1.0 {
            let before = out.len();
            if self.user_credit + self.share >= 1.0 {
                self.user_step(now_ms, rng, out);
            } else {
                self.channel_step(now_ms, rng, out);
            }
            let emitted = out.get(before..).unwrap_or_default();
            if emitted.is_empty() {
                // Nothing could happen (cannot occur with users and channels);
                // drop the budget rather than spin.
                self.budget = 0.0;
                break;
            }
            for event in emitted {
                self.budget -= 1.0;
                self.user_credit += self.share;
                if matches!(event, Event::User(_)) {
                    self.user_credit -= 1.0;
                }
            }
            // Keep the credit bounded when a kind is impossible (share 0 logins).
            self.user_credit = self
                .user_credit
                .clamp(-(self.users.len() as f64) - 1.0, 2.0);
        }
    }

    fn stamp(&mut self, user: u32, now_ms: u64) -> u64 {
        match self.users.get_mut(user as usize) {
            Some(u) => {
                let ms = now_ms.max(u.last_ms.saturating_add(1));
                u.last_ms = ms;
                ms
            }
            None => now_ms,
        }
    }

    fn user_name(user: u32) -> String {
        format!("user-{user}")
    }

    fn channel_name(channel: u32) -> String {
        format!("channel-{channel}")
    }

    fn login(&mut self, user: u32, now_ms: u64, out: &mut Vec<Event>) {
        let ms = self.stamp(user, now_ms);
        if let Some(u) = self.users.get_mut(user as usize) {
            u.online = true;
        }
        if let Some(pos) = self.online_pos.get_mut(user as usize) {
            *pos = self.online.len();
            self.online.push(user);
        }
        out.push(Event::User(UserEvent {
            user_id: Self::user_name(user),
            kind: UserEventKind::Login,
            ms,
        }));
    }

    fn logout(&mut self, user: u32, now_ms: u64, out: &mut Vec<Event>) {
        let ms = self.stamp(user, now_ms);
        if let Some(u) = self.users.get_mut(user as usize) {
            u.online = false;
        }
        let pos = self
            .online_pos
            .get(user as usize)
            .copied()
            .unwrap_or(usize::MAX);
        if pos < self.online.len() {
            self.online.swap_remove(pos);
            if let Some(&moved) = self.online.get(pos)
                && let Some(p) = self.online_pos.get_mut(moved as usize)
            {
                *p = pos;
            }
        }
        if let Some(p) = self.online_pos.get_mut(user as usize) {
            *p = usize::MAX;
        }
        out.push(Event::User(UserEvent {
            user_id: Self::user_name(user),
            kind: UserEventKind::Logout,
            ms,
        }));
    }

    fn channel_event(
        &mut self,
        user: u32,
        channel: u32,
        kind: ChannelEventKind,
        now_ms: u64,
        out: &mut Vec<Event>,
    ) {
        let ms = self.stamp(user, now_ms);
        out.push(Event::Channel(ChannelEvent {
            channel_id: Self::channel_name(channel),
            user_id: Self::user_name(user),
            kind,
            ms,
        }));
    }

    /// One user event: a random user logs in, or (after leaving its channels) out.
    fn user_step(&mut self, now_ms: u64, rng: &mut impl Rng, out: &mut Vec<Event>) {
        let user = rng.random_range(0..self.users.len() as u32);
        let (online, channels) = match self.users.get_mut(user as usize) {
            Some(u) => (u.online, std::mem::take(&mut u.channels)),
            None => return,
        };
        if !online {
            self.login(user, now_ms, out);
            return;
        }
        for channel in channels {
            self.channel_event(user, channel, ChannelEventKind::Leave, now_ms, out);
        }
        self.logout(user, now_ms, out);
    }

    /// One channel event: a random online user joins or leaves a channel
    /// (logging someone in first when nobody is online).
    fn channel_step(&mut self, now_ms: u64, rng: &mut impl Rng, out: &mut Vec<Event>) {
        let user = if self.online.is_empty()
            || (self.share <= 0.0 && self.online.len() < self.users.len() && rng.random_bool(0.5))
        {
            // Bring an offline user online first: at share 0 this logs the
            // population in over time, otherwise only when nobody is online.
            let offline = self.pick_offline(rng);
            let Some(user) = offline else { return };
            self.login(user, now_ms, out);
            user
        } else {
            match self.online.get(rng.random_range(0..self.online.len())) {
                Some(&u) => u,
                None => return,
            }
        };
        let channels_total = self.channels;
        let Some(u) = self.users.get_mut(user as usize) else {
            return;
        };
        let in_count = u.channels.len();
        let join = if in_count == 0 {
            true
        } else if in_count >= channels_total as usize {
            false
        } else {
            rng.random_bool(0.5)
        };
        if join {
            let channel = pick_not_in(&u.channels, channels_total, rng);
            u.channels.push(channel);
            self.channel_event(user, channel, ChannelEventKind::Join, now_ms, out);
        } else {
            let i = rng.random_range(0..in_count);
            let channel = u.channels.swap_remove(i);
            self.channel_event(user, channel, ChannelEventKind::Leave, now_ms, out);
        }
    }

    fn pick_offline(&self, rng: &mut impl Rng) -> Option<u32> {
        let n = self.users.len() as u32;
        if self.online.len() >= self.users.len() {
            return None;
        }
        // Rejection sampling with a linear fallback.
        for _ in 0..32 {
            let user = rng.random_range(0..n);
            if self.users.get(user as usize).is_some_and(|u| !u.online) {
                return Some(user);
            }
        }
        let start = rng.random_range(0..n);
        (0..n)
            .map(|i| (start + i) % n)
            .find(|&u| self.users.get(u as usize).is_some_and(|x| !x.online))
    }
}

/// A uniformly random channel in `0..total` that is not in `taken`
/// (`taken` is smaller than `total`).
fn pick_not_in(taken: &[u32], total: u32, rng: &mut impl Rng) -> u32 {
    for _ in 0..32 {
        let c = rng.random_range(0..total);
        if !taken.contains(&c) {
            return c;
        }
    }
    let free: Vec<u32> = (0..total).filter(|c| !taken.contains(c)).collect();
    if free.is_empty() {
        0
    } else {
        free[rng.random_range(0..free.len())]
    }
}

/// Runs the simulator until `stop` turns true: every tick, the due events go
/// to every region's rings of the simulated app id.
pub(crate) async fn run(
    shared: Arc<Shared>,
    config: SimulateConfig,
    mut stop: watch::Receiver<bool>,
) {
    let mut population = Population::new(&config);
    let mut rng = StdRng::from_rng(&mut rand::rng());
    let regions: Vec<usize> = (0..shared.regions().len()).collect();
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last = Instant::now();
    let started = last;
    let mut events = Vec::new();
    let mut users = Vec::new();
    let mut channels = Vec::new();
    tracing::info!(app_id = %config.app_id, users = config.users, events_per_sec = config.events_per_sec, "simulator started");
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.wait_for(|stopped| *stopped) => break,
        }
        let now = Instant::now();
        if config
            .duration
            .is_some_and(|d| now.saturating_duration_since(started) >= d)
        {
            tracing::info!(app_id = %config.app_id, "simulator finished its configured duration");
            break;
        }
        population.advance(
            now.saturating_duration_since(last),
            unix_ms(),
            &mut rng,
            &mut events,
        );
        last = now;
        for event in events.drain(..) {
            match event {
                Event::User(e) => users.push(e),
                Event::Channel(e) => channels.push(e),
            }
        }
        shared.push(&config.app_id, &regions, &users);
        shared.push(&config.app_id, &regions, &channels);
        users.clear();
        channels.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeSet, HashMap};

    /// Replays events in emission order and checks every invariant.
    fn replay(events: &[Event]) {
        #[derive(Default)]
        struct State {
            online: bool,
            channels: BTreeSet<String>,
            last_ms: u64,
        }
        let mut users: HashMap<String, State> = HashMap::new();
        for event in events {
            match event {
                Event::User(e) => {
                    let s = users.entry(e.user_id.clone()).or_default();
                    assert!(e.ms > s.last_ms, "{e:?}");
                    s.last_ms = e.ms;
                    match e.kind {
                        UserEventKind::Login => {
                            assert!(!s.online, "double login {e:?}");
                            s.online = true;
                        }
                        UserEventKind::Logout => {
                            assert!(s.online, "logout while offline {e:?}");
                            assert!(s.channels.is_empty(), "logout while in channels {e:?}");
                            s.online = false;
                        }
                        UserEventKind::Other(_) => panic!("unexpected {e:?}"),
                    }
                }
                Event::Channel(e) => {
                    let s = users.entry(e.user_id.clone()).or_default();
                    assert!(e.ms > s.last_ms, "{e:?}");
                    s.last_ms = e.ms;
                    assert!(s.online, "channel event while offline {e:?}");
                    match e.kind {
                        ChannelEventKind::Join => {
                            assert!(s.channels.insert(e.channel_id.clone()), "{e:?}")
                        }
                        ChannelEventKind::Leave => {
                            assert!(s.channels.remove(&e.channel_id), "{e:?}")
                        }
                        ChannelEventKind::Other(_) => panic!("unexpected {e:?}"),
                    }
                }
            }
        }
    }

    fn simulate(config: SimulateConfig, seconds: u32, seed: u64) -> Vec<Event> {
        let mut population = Population::new(&config);
        let mut rng = StdRng::seed_from_u64(seed);
        let mut out = Vec::new();
        let mut now_ms = 1_700_000_000_000;
        for _ in 0..seconds * 100 {
            now_ms += 10;
            population.advance(TICK, now_ms, &mut rng, &mut out);
        }
        out
    }

    fn share_of_user_events(events: &[Event]) -> f64 {
        let users = events
            .iter()
            .filter(|e| matches!(e, Event::User(_)))
            .count();
        users as f64 / events.len() as f64
    }

    #[test]
    fn consistent_order_at_every_share() {
        for (i, share) in [0.0, 0.1, 0.5, 0.9, 1.0].into_iter().enumerate() {
            for users in [1, 3, 50] {
                let config = SimulateConfig {
                    users,
                    channels: 4,
                    events_per_sec: 500.0,
                    user_event_share: share,
                    ..SimulateConfig::default()
                };
                let events = simulate(config, 10, i as u64 + u64::from(users));
                replay(&events);
                let n = events.len() as f64;
                assert!(
                    (n - 5000.0).abs() <= 5000.0 * 0.02 + f64::from(users),
                    "share {share}: {n} events"
                );
                let got = share_of_user_events(&events);
                let tolerance = if share == 0.0 {
                    f64::from(users) / n + 1e-9
                } else {
                    0.03
                };
                assert!(
                    (got - share).abs() <= tolerance,
                    "share {share} users {users}: got {got}"
                );
            }
        }
    }

    #[test]
    fn share_zero_logs_in_once_then_only_channel_events() {
        let config = SimulateConfig {
            users: 20,
            channels: 5,
            events_per_sec: 1000.0,
            user_event_share: 0.0,
            ..SimulateConfig::default()
        };
        let events = simulate(config, 5, 3);
        replay(&events);
        let logins = events
            .iter()
            .filter(|e| matches!(e, Event::User(_)))
            .count();
        assert!(logins <= 20, "{logins}");
        assert!(events.len() >= 4900);
    }

    #[test]
    fn high_rate_is_cheap() {
        let config = SimulateConfig {
            users: 10_000,
            channels: 100,
            events_per_sec: 12_000.0,
            ..SimulateConfig::default()
        };
        let events = simulate(config, 2, 9);
        assert!(
            (23_900..=24_100).contains(&events.len()),
            "{}",
            events.len()
        );
        replay(&events);
    }

    #[test]
    fn fractional_rates_carry_over() {
        let config = SimulateConfig {
            users: 5,
            events_per_sec: 0.5,
            ..SimulateConfig::default()
        };
        let events = simulate(config, 10, 1);
        assert!((4..=5).contains(&events.len()), "{}", events.len());
    }
}
