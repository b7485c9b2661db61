//! The watcher's brain: when to read each feed of each source, in what order to
//! deliver, what to drop as a duplicate and where events may have been lost. A
//! state machine with time as input; the client's watch loop does the I/O.
//!
//! **Cadence.** Each (feed, source) pair is a *lane*. After a full page (1000
//! events) the lane is read again at once, with up to `max_in_flight` reads
//! outstanding (so a far-away service is still read at the rate limit); otherwise
//! the next read is timed from the observed event rate so that about
//! `target_backlog` events wait on the server (well below its 2000 cap), and at
//! least every `max_interval`. The shared rate limiter (inside each
//! [`Exchange`](crate::Exchange)) spaces the actual requests.
//!
//! **Order.** Results of one lane are delivered in the order the reads were
//! issued; the service hands out events oldest first, so each lane's events come
//! out in `ms` order even with several reads in flight.
//!
//! **Gaps.** A gap is reported when a read's response was lost after the service
//! removed its events, when a 2xx could not be decoded, when the lane could not be
//! read for a while and the next page is full, and when a full page starts well
//! after the previous page of the lane ended (the 2000-event buffer overflowed). The
//! estimate of lost events is the hole in event time between the pages around the
//! gap multiplied by the local event density (events per ms inside the page after
//! it), capped at 1000 per lost read; without a following page, the lane's observed
//! rate times the time since its previous read.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use crate::dedupe::DedupeWindow;
use crate::error::Error;
use crate::exchange::ExchangeReport;
use crate::models::{ChannelEvent, Event, EventsPage, Feed, UserEvent};
use crate::time::Instant;
use crate::watch::{FeedWatchStats, Gap, GapReason, WatchItem, WatchStats};

/// The events a full page carries.
const PAGE: u64 = 1000;

/// Settings of a [`Poller`].
#[derive(Debug, Clone, PartialEq)]
pub struct PollerConfig {
    /// Feeds to read (default both).
    pub feeds: Vec<Feed>,
    /// Sources (host roots or region names) to read; one lane per feed and source.
    pub sources: Vec<String>,
    /// Reads outstanding per lane while pages come back full (default 3).
    pub max_in_flight: u32,
    /// Longest pause between reads of a quiet lane (default 1 s).
    pub max_interval: Duration,
    /// Longest pause of a quiet lane while another lane is busy (default 5 s), so
    /// that the busy feed gets nearly all of the rate limit.
    pub contended_max_interval: Duration,
    /// Events the poller lets wait on the server before reading (default 500).
    pub target_backlog: u32,
    /// Pause after a read that failed after all retries (default 1 s).
    pub failure_pause: Duration,
    /// Keys remembered for de-duplication (default 65,536).
    pub dedupe_capacity: usize,
}

impl PollerConfig {
    /// Both feeds of the given sources with default settings.
    pub fn new(sources: Vec<String>) -> Self {
        PollerConfig {
            feeds: Feed::ALL.to_vec(),
            sources,
            max_in_flight: 3,
            max_interval: Duration::from_secs(1),
            contended_max_interval: Duration::from_secs(5),
            target_backlog: 500,
            failure_pause: Duration::from_secs(1),
            dedupe_capacity: DedupeWindow::DEFAULT_CAPACITY,
        }
    }
}

/// A read the driver must perform: `feed` from source number `source`, then report
/// it back with [`Poller::on_complete`] quoting the ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReadTicket {
    /// The lane (feed and source).
    pub lane: usize,
    /// Per-lane sequence number (issue order).
    pub seq: u64,
    /// The feed to read.
    pub feed: Feed,
    /// Index into [`PollerConfig::sources`].
    pub source: usize,
}

/// What the driver should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollStep {
    /// Start this read now (more may be due: call [`Poller::poll`] again).
    Read(ReadTicket),
    /// Nothing is due before this instant (reads may be outstanding).
    WaitUntil(Instant),
    /// Nothing can start until an outstanding read completes.
    AwaitCompletion,
}

/// The result of one read.
#[derive(Debug)]
pub enum ReadOutcome {
    /// A user events page.
    Users(EventsPage<UserEvent>),
    /// A channel events page.
    Channels(EventsPage<ChannelEvent>),
    /// The read failed after all retries.
    Failed(Error),
}

#[derive(Debug)]
struct Done {
    outcome: ReadOutcome,
    report: ExchangeReport,
    completed: Instant,
}

#[derive(Debug)]
struct PendingGap {
    reason: GapReason,
    lost_reads: u32,
    after_ms: Option<u64>,
    since: Instant,
}

#[derive(Debug)]
struct Lane {
    feed: Feed,
    source: usize,
    next_due: Instant,
    in_flight: u32,
    next_seq: u64,
    deliver_seq: u64,
    done: BTreeMap<u64, Done>,
    busy: bool,
    /// Events per second, smoothed.
    rate: f64,
    last_completion: Option<Instant>,
    last_ms: Option<u64>,
    pending_gap: Option<PendingGap>,
}

/// The watcher's state machine. See the module documentation.
///
/// ```
/// use agora_rtm_rest_protocol::poller::{Poller, PollerConfig, PollStep, ReadOutcome};
/// use agora_rtm_rest_protocol::{EventsPage, ExchangeReport, Instant, UserEvent, UserEventKind};
/// let mut p = Poller::new(PollerConfig::new(vec!["http://127.0.0.1:1".into()]), Instant::ZERO);
/// let PollStep::Read(ticket) = p.poll(Instant::ZERO) else { panic!() };
/// let page = EventsPage { request_id: "1".into(),
///     events: vec![UserEvent { user_id: "u".into(), kind: UserEventKind::Login, ms: 5 }] };
/// let items = p.on_complete(ticket, ReadOutcome::Users(page), ExchangeReport::default(), Instant::from_millis(30));
/// assert_eq!(items.len(), 1);
/// ```
#[derive(Debug)]
pub struct Poller {
    config: PollerConfig,
    lanes: Vec<Lane>,
    dedupe: DedupeWindow,
    stats: BTreeMap<Feed, FeedWatchStats>,
    started: Instant,
    last_stats: Instant,
    events_at_last_stats: HashMap<Feed, u64>,
}

impl Poller {
    /// A poller started at `now`; every lane is due at once.
    pub fn new(config: PollerConfig, now: Instant) -> Self {
        let mut lanes = Vec::new();
        for &feed in &config.feeds {
            for source in 0..config.sources.len() {
                lanes.push(Lane {
                    feed,
                    source,
                    next_due: now,
                    in_flight: 0,
                    next_seq: 0,
                    deliver_seq: 0,
                    done: BTreeMap::new(),
                    busy: false,
                    rate: 0.0,
                    last_completion: None,
                    last_ms: None,
                    pending_gap: None,
                });
            }
        }
        let stats = config
            .feeds
            .iter()
            .map(|f| (*f, FeedWatchStats::default()))
            .collect();
        Poller {
            dedupe: DedupeWindow::new(config.dedupe_capacity),
            config,
            lanes,
            stats,
            started: now,
            last_stats: now,
            events_at_last_stats: HashMap::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &PollerConfig {
        &self.config
    }

    /// Marks events as already seen (for example the keys a sink persisted before
    /// a restart), so that re-reads from another region are not delivered again.
    pub fn remember<'a>(&mut self, keys: impl IntoIterator<Item = &'a crate::models::EventKey>) {
        for key in keys {
            self.dedupe.insert(key);
        }
    }

    /// Reads outstanding across all lanes.
    pub fn in_flight(&self) -> u32 {
        self.lanes.iter().map(|l| l.in_flight).sum()
    }

    /// When the next read will be due (`None`: only after an outstanding read
    /// completes).
    pub fn next_due(&self) -> Option<Instant> {
        let max_in_flight = self.config.max_in_flight.max(1);
        self.lanes
            .iter()
            .filter(|l| l.in_flight < if l.busy { max_in_flight } else { 1 })
            .map(|l| l.next_due)
            .filter(|t| *t != Instant::from_nanos(u64::MAX))
            .min()
    }

    /// The next thing to do at `now`.
    pub fn poll(&mut self, now: Instant) -> PollStep {
        let max_in_flight = self.config.max_in_flight.max(1);
        let allowed = |l: &Lane| if l.busy { max_in_flight } else { 1 };
        let due = self
            .lanes
            .iter()
            .enumerate()
            .filter(|(_, l)| l.in_flight < allowed(l) && l.next_due <= now)
            .min_by_key(|(_, l)| (l.next_due, l.in_flight))
            .map(|(i, _)| i);
        if let Some(i) = due {
            let lane = &mut self.lanes[i];
            let ticket = ReadTicket {
                lane: i,
                seq: lane.next_seq,
                feed: lane.feed,
                source: lane.source,
            };
            lane.next_seq += 1;
            lane.in_flight += 1;
            lane.next_due = if lane.busy {
                // Stay due, behind other busy lanes that have waited longer
                // (round robin between busy feeds).
                now
            } else {
                // The next read is scheduled when this one completes.
                Instant::from_nanos(u64::MAX)
            };
            return PollStep::Read(ticket);
        }
        match self
            .lanes
            .iter()
            .filter(|l| l.in_flight < allowed(l))
            .map(|l| l.next_due)
            .min()
        {
            Some(t) if t != Instant::from_nanos(u64::MAX) => PollStep::WaitUntil(t),
            _ => PollStep::AwaitCompletion,
        }
    }

    /// Reports a completed read; returns what can now be delivered, in order
    /// (events of this lane in issue order, gaps where events may be missing).
    pub fn on_complete(
        &mut self,
        ticket: ReadTicket,
        outcome: ReadOutcome,
        report: ExchangeReport,
        now: Instant,
    ) -> Vec<WatchItem> {
        if ticket.lane >= self.lanes.len() {
            return Vec::new();
        }
        // Schedule from what this read saw (issue order does not matter here).
        let contended = self
            .lanes
            .iter()
            .enumerate()
            .any(|(i, l)| i != ticket.lane && l.busy);
        let lane = &mut self.lanes[ticket.lane];
        lane.in_flight = lane.in_flight.saturating_sub(1);
        match &outcome {
            ReadOutcome::Users(p) => {
                schedule(lane, &self.config, p.events.len() as u64, now, contended)
            }
            ReadOutcome::Channels(p) => {
                schedule(lane, &self.config, p.events.len() as u64, now, contended)
            }
            ReadOutcome::Failed(_) => {
                lane.busy = false;
                lane.next_due = now + self.config.failure_pause;
            }
        }
        lane.done.insert(
            ticket.seq,
            Done {
                outcome,
                report,
                completed: now,
            },
        );
        let mut items = Vec::new();
        let i = ticket.lane;
        loop {
            let seq = self.lanes[i].deliver_seq;
            let Some(done) = self.lanes[i].done.remove(&seq) else {
                break;
            };
            self.lanes[i].deliver_seq += 1;
            self.deliver(i, done, &mut items);
        }
        items
    }

    fn deliver(&mut self, i: usize, done: Done, items: &mut Vec<WatchItem>) {
        let feed = self.lanes[i].feed;
        let source = self
            .config
            .sources
            .get(self.lanes[i].source)
            .cloned()
            .unwrap_or_default();
        let stats = self.stats.entry(feed).or_default();
        stats.reads += 1;
        stats.server_429s += u64::from(done.report.server_rate_limited);
        stats.limiter_waits += u64::from(done.report.limiter_waits);
        let lane = &mut self.lanes[i];
        // Losses seen by this read's exchange are pending until a page follows.
        let lost = done.report.possibly_lost + u32::from(done.report.undecodable_success);
        if lost > 0 {
            let reason = if done.report.possibly_lost > 0 {
                GapReason::LostResponse
            } else {
                GapReason::Undecodable
            };
            let pending = lane.pending_gap.get_or_insert(PendingGap {
                reason,
                lost_reads: 0,
                after_ms: lane.last_ms,
                since: lane.last_completion.unwrap_or(done.completed),
            });
            pending.lost_reads += lost;
        }
        let events: Vec<Event> = match done.outcome {
            ReadOutcome::Users(p) => p.events.into_iter().map(Event::User).collect(),
            ReadOutcome::Channels(p) => p.events.into_iter().map(Event::Channel).collect(),
            ReadOutcome::Failed(_) => {
                stats.failed_reads += 1;
                if lane.pending_gap.is_none() {
                    lane.pending_gap = Some(PendingGap {
                        reason: GapReason::Unreadable,
                        lost_reads: 0,
                        after_ms: lane.last_ms,
                        since: lane.last_completion.unwrap_or(done.completed),
                    });
                }
                lane.last_completion = Some(done.completed);
                return;
            }
        };
        let full = events.len() as u64 >= PAGE;
        if full {
            stats.full_pages += 1;
        }
        let first_ms = events.first().map(Event::ms);
        let density =
            page_density(&events).or_else(|| (lane.rate > 0.0).then_some(lane.rate / 1000.0));
        let hole_estimate = |after: Option<u64>| -> Option<u64> {
            let (after, first, density) = (after?, first_ms?, density?);
            Some(
                ((first.saturating_sub(after)) as f64 * density - 1.0)
                    .max(0.0)
                    .round() as u64,
            )
        };
        if let Some(pending) = lane.pending_gap.take() {
            let report_it = pending.lost_reads > 0 || full;
            if report_it {
                let cap = PAGE * u64::from(pending.lost_reads.max(1));
                let elapsed = done
                    .completed
                    .saturating_duration_since(pending.since)
                    .as_secs_f64();
                let estimate = hole_estimate(pending.after_ms)
                    .or_else(|| (lane.rate > 0.0).then(|| (lane.rate * elapsed).round() as u64))
                    .map(|e| {
                        if pending.reason == GapReason::Unreadable {
                            e
                        } else {
                            e.min(cap)
                        }
                    });
                items.push(WatchItem::Gap(Gap {
                    feed,
                    source: source.clone(),
                    reason: pending.reason,
                    lost_reads: pending.lost_reads,
                    after_ms: pending.after_ms,
                    before_ms: first_ms,
                    estimated_events: estimate,
                }));
                stats.gaps += 1;
                stats.estimated_lost += estimate.unwrap_or(0);
            }
        } else if full
            && let Some(estimate) = hole_estimate(lane.last_ms)
            && estimate >= 1
        {
            items.push(WatchItem::Gap(Gap {
                feed,
                source,
                reason: GapReason::Overflow,
                lost_reads: 0,
                after_ms: lane.last_ms,
                before_ms: first_ms,
                estimated_events: Some(estimate),
            }));
            stats.gaps += 1;
            stats.estimated_lost += estimate;
        }
        lane.last_completion = Some(done.completed);
        if let Some(last) = events.iter().map(Event::ms).max() {
            lane.last_ms = Some(lane.last_ms.map_or(last, |m| m.max(last)));
        }
        for event in events {
            if self.dedupe.insert(&event.key()) {
                stats.events += 1;
                items.push(match event {
                    Event::User(e) => WatchItem::User(e),
                    Event::Channel(e) => WatchItem::Channel(e),
                });
            } else {
                stats.duplicates += 1;
            }
        }
    }

    /// Gaps still waiting for a following page (call when stopping, so that no
    /// lost read goes unreported).
    pub fn flush_gaps(&mut self) -> Vec<WatchItem> {
        let mut items = Vec::new();
        for lane in &mut self.lanes {
            if let Some(p) = lane.pending_gap.take()
                && p.lost_reads > 0
            {
                let source = self
                    .config
                    .sources
                    .get(lane.source)
                    .cloned()
                    .unwrap_or_default();
                let estimate = (lane.rate > 0.0).then(|| (lane.rate * 0.1).round() as u64);
                items.push(WatchItem::Gap(Gap {
                    feed: lane.feed,
                    source,
                    reason: p.reason,
                    lost_reads: p.lost_reads,
                    after_ms: p.after_ms,
                    before_ms: None,
                    estimated_events: estimate.map(|e| e.min(PAGE * u64::from(p.lost_reads))),
                }));
                let stats = self.stats.entry(lane.feed).or_default();
                stats.gaps += 1;
                stats.estimated_lost += estimate.unwrap_or(0);
            }
        }
        items
    }

    /// Counters since the start, with events per second since the previous call.
    pub fn stats(&mut self, now: Instant) -> WatchStats {
        let secs = now.saturating_duration_since(self.last_stats).as_secs_f64();
        for (feed, s) in &mut self.stats {
            let before = self
                .events_at_last_stats
                .insert(*feed, s.events)
                .unwrap_or(0);
            s.events_per_sec = if secs > 0.0 {
                (s.events - before) as f64 / secs
            } else {
                0.0
            };
        }
        self.last_stats = now;
        WatchStats {
            elapsed_ms: now.saturating_duration_since(self.started).as_millis() as u64,
            feeds: self.stats.clone(),
        }
    }
}

/// Events per ms inside a page (from its first to its last event time).
fn page_density(events: &[Event]) -> Option<f64> {
    let (first, last) = (events.first()?.ms(), events.last()?.ms());
    (last > first && events.len() > 1).then(|| (events.len() - 1) as f64 / (last - first) as f64)
}

fn schedule(lane: &mut Lane, config: &PollerConfig, events: u64, now: Instant, contended: bool) {
    if let Some(prev) = lane.last_completion {
        let dt = now.saturating_duration_since(prev).as_secs_f64().max(0.05);
        let sample = events as f64 / dt;
        lane.rate = if lane.rate == 0.0 {
            sample
        } else {
            0.7 * lane.rate + 0.3 * sample
        };
    } else if events > 0 {
        lane.rate = events as f64;
    }
    lane.busy = events >= PAGE;
    // While another lane is busy, request slots are scarce: a quiet lane waits up to
    // `contended_max_interval`, still bounded by the time its own backlog needs.
    let cap = if contended {
        config.contended_max_interval
    } else {
        config.max_interval
    };
    lane.next_due = if lane.busy {
        now
    } else {
        let wait = if lane.rate > 0.0 {
            Duration::from_secs_f64(
                (f64::from(config.target_backlog) / lane.rate).min(cap.as_secs_f64()),
            )
        } else {
            cap
        };
        now + wait
    };
}
