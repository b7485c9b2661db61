//! Presence rebuilt from events, in and out of order.

use agora_rtm_rest_protocol::presence::Presence;
use agora_rtm_rest_protocol::*;
use proptest::prelude::*;

fn user(u: &str, kind: UserEventKind, ms: u64) -> Event {
    Event::User(UserEvent {
        user_id: u.into(),
        kind,
        ms,
    })
}

fn chan(c: &str, u: &str, kind: ChannelEventKind, ms: u64) -> Event {
    Event::Channel(ChannelEvent {
        channel_id: c.into(),
        user_id: u.into(),
        kind,
        ms,
    })
}

#[test]
fn login_join_leave_logout() {
    let mut p = Presence::new();
    for e in [
        user("a", UserEventKind::Login, 1),
        user("b", UserEventKind::Login, 2),
        chan("c1", "a", ChannelEventKind::Join, 3),
        chan("c1", "b", ChannelEventKind::Join, 4),
        chan("c2", "a", ChannelEventKind::Join, 5),
        chan("c1", "b", ChannelEventKind::Leave, 6),
    ] {
        p.apply(&e);
    }
    assert_eq!(p.online_users(), ["a", "b"]);
    assert_eq!(p.online_since("a"), Some(1));
    assert_eq!(p.members("c1"), ["a"]);
    assert_eq!(p.channels_of("a"), ["c1", "c2"]);
    assert_eq!(
        (p.online_count(), p.channel_count(), p.member_count("c2")),
        (2, 2, 1)
    );
    p.apply(&user("a", UserEventKind::Logout, 7));
    assert!(!p.is_online("a"));
    assert!(
        p.members("c1").is_empty() && p.channel_count() == 0,
        "logout ends memberships"
    );
}

#[test]
fn last_writer_wins_by_ms() {
    let mut p = Presence::new();
    p.apply(&user("a", UserEventKind::Login, 10));
    p.apply(&user("a", UserEventKind::Login, 30)); // reconnect
    p.apply(&user("a", UserEventKind::Logout, 20)); // stale
    assert!(p.is_online("a"));
    assert_eq!(p.online_since("a"), Some(10));
    p.apply(&chan("c", "a", ChannelEventKind::Leave, 50));
    p.apply(&chan("c", "a", ChannelEventKind::Join, 40)); // stale join after a leave
    assert!(p.members("c").is_empty());
}

#[test]
fn snapshot_diff_and_restore() {
    let mut p = Presence::new();
    p.apply(&user("a", UserEventKind::Login, 1));
    p.apply(&chan("c", "a", ChannelEventKind::Join, 2));
    let s1 = p.snapshot();
    p.apply(&user("b", UserEventKind::Login, 3));
    p.apply(&chan("c", "a", ChannelEventKind::Leave, 4));
    let s2 = p.snapshot();
    let d = s2.diff(&s1);
    assert_eq!(d.came_online, ["b"]);
    assert_eq!(d.left, [("c".to_string(), "a".to_string())]);
    assert!(s2.diff(&s2).is_empty());
    let restored = Presence::from_snapshot(&s2);
    assert_eq!(restored.snapshot(), s2);
}

/// A consistent history of one user: login, some joins/leaves, logout.
fn history(user: &str, base: u64) -> Vec<Event> {
    vec![
        Event::User(UserEvent {
            user_id: user.into(),
            kind: UserEventKind::Login,
            ms: base,
        }),
        Event::Channel(ChannelEvent {
            channel_id: "x".into(),
            user_id: user.into(),
            kind: ChannelEventKind::Join,
            ms: base + 1,
        }),
        Event::Channel(ChannelEvent {
            channel_id: "y".into(),
            user_id: user.into(),
            kind: ChannelEventKind::Join,
            ms: base + 2,
        }),
        Event::Channel(ChannelEvent {
            channel_id: "x".into(),
            user_id: user.into(),
            kind: ChannelEventKind::Leave,
            ms: base + 3,
        }),
    ]
}

proptest! {
    /// Any arrival order gives the same presence as the ms order.
    #[test]
    fn order_of_arrival_does_not_matter(perm in Just((0..12usize).collect::<Vec<_>>()).prop_shuffle(), logout in any::<bool>()) {
        let mut all: Vec<Event> = ["a", "b", "c"].iter().enumerate().flat_map(|(i, u)| history(u, 100 * i as u64)).collect();
        if logout {
            all.push(Event::User(UserEvent { user_id: "b".into(), kind: UserEventKind::Logout, ms: 150 }));
        }
        let mut ordered = Presence::new();
        let mut by_ms = all.clone();
        by_ms.sort_by_key(Event::ms);
        for e in &by_ms { ordered.apply(e); }
        let mut shuffled = Presence::new();
        for &i in &perm { shuffled.apply(&all[i]); }
        for e in all.iter().skip(12) { shuffled.apply(e); }
        prop_assert_eq!(ordered.snapshot(), shuffled.snapshot());
    }
}
