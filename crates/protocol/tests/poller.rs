//! The poller driven by scripted pages and times.

use std::time::Duration;

use agora_rtm_rest_protocol::poller::{PollStep, Poller, PollerConfig, ReadOutcome, ReadTicket};
use agora_rtm_rest_protocol::watch::{GapReason, WatchItem};
use agora_rtm_rest_protocol::*;

fn users(range: std::ops::Range<u64>, ms: impl Fn(u64) -> u64) -> EventsPage<UserEvent> {
    EventsPage {
        request_id: "r".into(),
        events: range
            .map(|i| UserEvent {
                user_id: format!("u{i}"),
                kind: UserEventKind::Login,
                ms: ms(i),
            })
            .collect(),
    }
}

fn one_feed(sources: usize) -> Poller {
    let mut c = PollerConfig::new((0..sources).map(|i| format!("s{i}")).collect());
    c.feeds = vec![Feed::UserEvents];
    Poller::new(c, Instant::ZERO)
}

fn read(p: &mut Poller, now: u64) -> ReadTicket {
    match p.poll(Instant::from_millis(now)) {
        PollStep::Read(t) => t,
        other => panic!("expected a read at {now}, got {other:?}"),
    }
}

fn events(items: &[WatchItem]) -> usize {
    items
        .iter()
        .filter(|i| matches!(i, WatchItem::User(_) | WatchItem::Channel(_)))
        .count()
}

#[test]
fn full_pages_are_read_again_at_once_with_reads_in_flight() {
    let mut p = one_feed(1);
    let t0 = read(&mut p, 0);
    assert_eq!(
        p.poll(Instant::from_millis(0)),
        PollStep::AwaitCompletion,
        "one read at a time while quiet"
    );
    let items = p.on_complete(
        t0,
        ReadOutcome::Users(users(0..1000, |i| i)),
        ExchangeReport::default(),
        Instant::from_millis(100),
    );
    assert_eq!(events(&items), 1000);
    // Busy: up to three reads in flight at once.
    let a = read(&mut p, 100);
    let b = read(&mut p, 100);
    let c = read(&mut p, 100);
    assert_eq!(p.poll(Instant::from_millis(100)), PollStep::AwaitCompletion);
    // Completions out of order are delivered in issue order.
    let late = p.on_complete(
        c,
        ReadOutcome::Users(users(2000..2100, |i| i)),
        ExchangeReport::default(),
        Instant::from_millis(150),
    );
    assert!(late.is_empty(), "held until the earlier reads complete");
    let mid = p.on_complete(
        b,
        ReadOutcome::Users(users(1500..2000, |i| i)),
        ExchangeReport::default(),
        Instant::from_millis(160),
    );
    assert!(mid.is_empty());
    let all = p.on_complete(
        a,
        ReadOutcome::Users(users(1000..1500, |i| i)),
        ExchangeReport::default(),
        Instant::from_millis(170),
    );
    let ms: Vec<u64> = all
        .iter()
        .filter_map(|i| {
            if let WatchItem::User(e) = i {
                Some(e.ms)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(ms.len(), 1100);
    assert!(ms.windows(2).all(|w| w[0] < w[1]), "delivered in ms order");
}

#[test]
fn quiet_lanes_are_read_at_most_every_max_interval() {
    let mut p = one_feed(1);
    let t = read(&mut p, 0);
    p.on_complete(
        t,
        ReadOutcome::Users(users(0..0, |i| i)),
        ExchangeReport::default(),
        Instant::from_millis(10),
    );
    assert_eq!(
        p.poll(Instant::from_millis(10)),
        PollStep::WaitUntil(Instant::from_millis(1010))
    );
    // A busy feed (about 2000 events/s here) is read again after about
    // target_backlog / rate = 0.25 s, well before the 1 s maximum.
    let t = read(&mut p, 1010);
    p.on_complete(
        t,
        ReadOutcome::Users(users(0..1000, |i| i)),
        ExchangeReport::default(),
        Instant::from_millis(1010),
    );
    let t = read(&mut p, 1010);
    p.on_complete(
        t,
        ReadOutcome::Users(users(1000..1500, |i| i)),
        ExchangeReport::default(),
        Instant::from_millis(1110),
    );
    match p.poll(Instant::from_millis(1110)) {
        PollStep::WaitUntil(at) => {
            let wait = at.saturating_duration_since(Instant::from_millis(1110));
            assert!(wait < Duration::from_millis(300), "{wait:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_overflow_is_reported_with_an_estimate() {
    let mut p = one_feed(1);
    let t = read(&mut p, 0);
    p.on_complete(
        t,
        ReadOutcome::Users(users(0..1000, |i| i * 2)),
        ExchangeReport::default(),
        Instant::from_millis(10),
    );
    let t = read(&mut p, 10);
    // The next full page starts 500 events (1000 ms at 2 ms each) after the last one.
    let items = p.on_complete(
        t,
        ReadOutcome::Users(users(1500..2500, |i| i * 2)),
        ExchangeReport::default(),
        Instant::from_millis(20),
    );
    let gap = items
        .iter()
        .find_map(|i| {
            if let WatchItem::Gap(g) = i {
                Some(g.clone())
            } else {
                None
            }
        })
        .expect("a gap");
    assert_eq!(gap.reason, GapReason::Overflow);
    assert_eq!((gap.after_ms, gap.before_ms), (Some(1998), Some(3000)));
    assert_eq!(gap.estimated_events, Some(500));
    // A contiguous full page is not a gap.
    let t = read(&mut p, 20);
    let items = p.on_complete(
        t,
        ReadOutcome::Users(users(2500..3500, |i| i * 2)),
        ExchangeReport::default(),
        Instant::from_millis(30),
    );
    assert!(!items.iter().any(|i| matches!(i, WatchItem::Gap(_))));
}

#[test]
fn lost_responses_become_gaps_estimated_from_the_hole() {
    let mut p = one_feed(1);
    let t = read(&mut p, 0);
    p.on_complete(
        t,
        ReadOutcome::Users(users(0..100, |i| i)),
        ExchangeReport::default(),
        Instant::from_millis(10),
    );
    let t = read(&mut p, 1010);
    // The exchange retried after a lost response; the retry brought later events.
    let report = ExchangeReport {
        attempts: 2,
        possibly_lost: 1,
        ..ExchangeReport::default()
    };
    let items = p.on_complete(
        t,
        ReadOutcome::Users(users(400..450, |i| i)),
        report,
        Instant::from_millis(1100),
    );
    let gap = items
        .iter()
        .find_map(|i| {
            if let WatchItem::Gap(g) = i {
                Some(g.clone())
            } else {
                None
            }
        })
        .unwrap();
    assert_eq!(gap.reason, GapReason::LostResponse);
    assert_eq!(gap.lost_reads, 1);
    assert_eq!(gap.estimated_events, Some(300));
    assert_eq!(events(&items), 50);
}

#[test]
fn failures_then_a_full_page_report_an_unreadable_period() {
    let mut p = one_feed(1);
    let t = read(&mut p, 0);
    p.on_complete(
        t,
        ReadOutcome::Users(users(0..10, |i| i)),
        ExchangeReport::default(),
        Instant::from_millis(10),
    );
    let t = read(&mut p, 1010);
    let failed = ReadOutcome::Failed(Error::Server {
        status: 503,
        request_id: None,
        message: "x".into(),
        body: String::new(),
    });
    assert!(
        p.on_complete(
            t,
            failed,
            ExchangeReport::default(),
            Instant::from_millis(1100)
        )
        .is_empty()
    );
    assert!(
        matches!(p.poll(Instant::from_millis(1100)), PollStep::WaitUntil(_)),
        "pauses after a failure"
    );
    let t = read(&mut p, 2100);
    let items = p.on_complete(
        t,
        ReadOutcome::Users(users(5000..6000, |i| i)),
        ExchangeReport::default(),
        Instant::from_millis(2200),
    );
    let gap = items
        .iter()
        .find_map(|i| {
            if let WatchItem::Gap(g) = i {
                Some(g.clone())
            } else {
                None
            }
        })
        .unwrap();
    assert_eq!(gap.reason, GapReason::Unreadable);
    assert_eq!(gap.estimated_events, Some(4990));
}

#[test]
fn duplicates_across_sources_are_dropped() {
    let mut p = one_feed(2);
    let a = read(&mut p, 0);
    let b = read(&mut p, 0);
    assert_ne!(a.source, b.source);
    let first = p.on_complete(
        a,
        ReadOutcome::Users(users(0..10, |i| i)),
        ExchangeReport::default(),
        Instant::from_millis(5),
    );
    let second = p.on_complete(
        b,
        ReadOutcome::Users(users(5..15, |i| i)),
        ExchangeReport::default(),
        Instant::from_millis(6),
    );
    assert_eq!((events(&first), events(&second)), (10, 5));
    let stats = p.stats(Instant::from_millis(10));
    assert_eq!(stats.feeds[&Feed::UserEvents].duplicates, 5);
    assert_eq!(stats.feeds[&Feed::UserEvents].events, 15);
}

#[test]
fn pending_lost_reads_are_flushed_on_stop() {
    let mut p = one_feed(1);
    let t = read(&mut p, 0);
    let report = ExchangeReport {
        attempts: 5,
        possibly_lost: 5,
        ..ExchangeReport::default()
    };
    let err = ReadOutcome::Failed(Error::Transport(TransportError::new(
        TransportErrorKind::Interrupted,
        "reset",
    )));
    assert!(
        p.on_complete(t, err, report, Instant::from_millis(10))
            .is_empty()
    );
    let flushed = p.flush_gaps();
    assert_eq!(flushed.len(), 1);
    assert!(
        matches!(&flushed[0], WatchItem::Gap(g) if g.lost_reads == 5 && g.reason == GapReason::LostResponse)
    );
}
