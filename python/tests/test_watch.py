"""The blocking watcher: iteration, presence, sinks, stop."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

import agora_rtm_rest as rtm
from conftest import APP_ID, CUSTOMER_ID, CUSTOMER_SECRET, Emulator


def client(emulator: Emulator) -> rtm.Client:
    return rtm.Client(APP_ID, rtm.BasicAuth(CUSTOMER_ID, CUSTOMER_SECRET), base_url=emulator.url)


def test_watch_presence_and_jsonl_sink(emulator: Emulator, tmp_path: Path) -> None:
    emulator.inject_users([{"user_id": "alice", "type": "Login", "ms": 100},
                           {"user_id": "bob", "type": "Login", "ms": 101}])
    emulator.inject_channels([{"group_id": "lobby", "user_id": "alice", "type": "Join", "ms": 102},
                              {"group_id": "lobby", "user_id": "bob", "type": "Join", "ms": 103}])
    out = tmp_path / "events.jsonl"
    events: list[object] = []
    with client(emulator).watch(presence=True, sink=f"jsonl:{out}", stats_interval=0.2) as w:
        for item in w:
            if isinstance(item, (rtm.UserEvent, rtm.ChannelEvent)):
                events.append(item)
            if len(events) == 4:
                break
        p = w.presence
        assert p is not None
        assert p.online_users() == ["alice", "bob"]
        assert p.members("lobby") == ["alice", "bob"] and p.channels_of("bob") == ["lobby"]
        assert p.is_online("alice") and not p.is_online("carol")
        assert set(p.to_dict()) == {"online", "channels"}
        w.stop()
        tail = list(w)
    assert any(isinstance(i, rtm.WatchStats) for i in tail)
    stats = [i for i in tail if isinstance(i, rtm.WatchStats)][-1]
    assert stats.feeds["user_events"]["events"] == 2
    assert stats.to_dict()["item"] == "stats"
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert {line["item"] for line in lines} >= {"user_event", "channel_event"}


def test_watch_one_feed_without_presence(emulator: Emulator) -> None:
    emulator.inject_channels([{"group_id": "c", "user_id": "u", "type": "Join", "ms": 1}])
    w = client(emulator).watch(feeds=["channel_events"], stats_interval=None)
    first = next(iter(w))
    assert isinstance(first, rtm.ChannelEvent) and first.channel_id == "c"
    assert w.presence is None
    w.stop()


def test_watch_bad_sink_and_feed(emulator: Emulator) -> None:
    with pytest.raises(rtm.SinkError):
        client(emulator).watch(sink="bogus:x")
    with pytest.raises(rtm.InvalidInputError):
        client(emulator).watch(feeds=["nope"])


def test_watch_auth_failure_ends_with_exception(emulator: Emulator) -> None:
    c = rtm.Client(APP_ID, rtm.BasicAuth(CUSTOMER_ID, "bad"), base_url=emulator.url)
    with pytest.raises(rtm.AuthError):
        for _ in c.watch(stats_interval=None):
            pass


def test_watch_lost_responses_are_gaps(emulator: Emulator) -> None:
    emulator.inject_users([{"user_id": f"u{i}", "type": "Login", "ms": i} for i in range(10)])
    emulator.faults(p_lost_response=1.0)

    def recover() -> None:
        emulator.faults()
        emulator.inject_users([{"user_id": "late", "type": "Login", "ms": 10_000}])

    timer = threading.Timer(1.5, recover)
    timer.start()
    w = client(emulator).watch(feeds=["user_events"], stats_interval=None)
    gap = next(i for i in w if isinstance(i, rtm.Gap))
    timer.join()
    assert gap.reason == "lost_response" and gap.feed == "user_events"
    assert gap.to_dict()["item"] == "gap"
    w.stop()
