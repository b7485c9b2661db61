"""Messages and history (issue #8) against the emulator, blocking and asyncio:
ack outcomes for online and offline users, a stored channel message found by both
history APIs, paging of 250 stored messages, every invalid input refused before a
request (with the field named), and the token's-user rule."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import pytest

import agora_rtm_rest as rtm
from conftest import APP_CERT, APP_ID, CUSTOMER_ID, CUSTOMER_SECRET, Emulator

UTC = datetime.timezone.utc
POLL = 0.05  # history poll interval of the tests' clients, seconds
UNREACHABLE = "http://127.0.0.1:1"


def basic() -> rtm.BasicAuth:
    return rtm.BasicAuth(CUSTOMER_ID, CUSTOMER_SECRET)


def client(url: str, auth: Any = None) -> rtm.Client:
    return rtm.Client(APP_ID, auth or basic(), base_url=url, history_poll_interval=POLL,
                      history_poll_timeout=datetime.timedelta(seconds=30))


def aclient(url: str, auth: Any = None) -> rtm.AsyncClient:
    return rtm.AsyncClient(APP_ID, auth or basic(), base_url=url, history_poll_interval=POLL)


def set_online(emulator: Emulator, user: str, online: bool = True) -> None:
    emulator.admin("PUT", f"/_emulator/apps/{APP_ID}/online/{user}", {"online": online})


def window() -> dict[str, datetime.datetime]:
    now = datetime.datetime.now(UTC)
    return {"start_time": now - datetime.timedelta(hours=1), "end_time": now + datetime.timedelta(hours=1)}


def requests_seen(emulator: Emulator) -> int:
    apps = emulator.stats().get("apps", {})
    return sum(a.get("requests", 0) for a in apps.values())


# ---------------------------------------------------------------- blocking

def test_peer_message_outcomes(emulator: Emulator) -> None:
    c = client(emulator.url)
    set_online(emulator, "bob")
    r = c.send_peer_message("server", "bob", "hello", wait_for_ack=True)
    assert isinstance(r, rtm.MessageReceipt) and r.request_id
    assert r.outcome is rtm.MessageOutcome.DELIVERED and r.outcome == "message_delivered"
    r = c.send_peer_message("server", "nobody", "hello", wait_for_ack=True)
    assert r.outcome is rtm.MessageOutcome.OFFLINE
    assert c.send_peer_message("server", "nobody", "hello").outcome is rtm.MessageOutcome.SENT
    # Online through an injected Login user event, offline again after a Logout.
    emulator.inject_users([{"user_id": "carol", "type": "Login"}])
    assert c.send_peer_message("server", "carol", "hi", wait_for_ack=True).outcome is rtm.MessageOutcome.DELIVERED
    emulator.inject_users([{"user_id": "carol", "type": "Logout"}])
    assert c.send_peer_message("server", "carol", "hi", wait_for_ack=True).outcome is rtm.MessageOutcome.OFFLINE
    assert r.to_dict() == {"request_id": r.request_id, "outcome": "message_offline"}
    assert "message_offline" in repr(r)


def test_channel_message_found_by_both_histories(emulator: Emulator) -> None:
    c = client(emulator.url)
    r = c.send_channel_message("alice", "lobby", "hello lobby", store_in_history=True)
    assert r.outcome is rtm.MessageOutcome.SENT
    c.send_channel_message("alice", "lobby", "not stored")
    found = list(c.history(destination="lobby", **window()))
    assert len(found) == 1
    m = found[0]
    assert isinstance(m, rtm.HistoryMessage)
    assert (m.src, m.dst, m.message_type, m.payload) == ("alice", "lobby", "channel_message", "hello lobby")
    assert m.time.tzinfo is not None and m.time == datetime.datetime.fromtimestamp(m.ms / 1000, UTC)
    assert m.to_dict() == {"src": "alice", "dst": "lobby", "message_type": "channel_message",
                           "payload": "hello lobby", "ms": m.ms}
    assert "hello lobby" in repr(m)
    # Immutable, equal and hashable by value.
    with pytest.raises(AttributeError):
        m.payload = "x"  # type: ignore[misc]
    again = c.history_page(source="alice", **window())
    assert again == [m] and hash(again[0]) == hash(m) and len({m, again[0]}) == 1
    assert c.count_history(destination="lobby", **window()) == 1
    # Unix seconds are accepted too.
    w = window()
    assert c.history_page(destination="lobby", start_time=int(w["start_time"].timestamp()),
                          end_time=int(w["end_time"].timestamp())) == [m]

    v2 = list(c.history_v2("alice", "lobby"))
    assert len(v2) == 1
    n = v2[0]
    assert isinstance(n, rtm.HistoryV2Message)
    assert (n.publisher, n.payload, n.message_type, n.custom_type) == ("alice", "hello lobby", "STRING", None)
    assert n.timestamp == m.ms and n.time == m.time and n.time.tzinfo is not None
    assert n.to_dict()["payload"] == "hello lobby"
    assert n == list(c.history_v2("alice", "lobby", start=n.time, end=n.timestamp))[0]


def test_binary_v2_payload_is_bytes(emulator: Emulator) -> None:
    emulator.admin("POST", f"/_emulator/apps/{APP_ID}/history",
                   {"src": "alice", "dst": "bin", "message_type": "channel_message",
                    "payload": "AAEC/w==", "binary": True})
    (m,) = list(client(emulator.url).history_v2("alice", "bin"))
    assert m.message_type == "BINARY" and m.payload == b"\x00\x01\x02\xff"


def test_250_messages_page_correctly(emulator: Emulator) -> None:
    c = client(emulator.url)
    sent = [f"m{i:03d}" for i in range(250)]
    for p in sent:
        c.send_channel_message("alice", "big", p, store_in_history=True)
    w = window()
    # Legacy: pages of 100, 100, 50.
    pages = [c.history_page(destination="big", limit=100, offset=o, **w) for o in (0, 100, 200)]
    assert [len(p) for p in pages] == [100, 100, 50]
    # The lazy iterator: one page fetched before the first item, the rest on demand.
    before = emulator.stats()["apps"][APP_ID]["history_queries"]
    it = c.history(destination="big", limit=100, **w)
    first = next(it)
    after_first = emulator.stats()["apps"][APP_ID]["history_queries"]
    assert after_first == before + 1, "the first item needs exactly one page"
    rest = list(it)
    assert emulator.stats()["apps"][APP_ID]["history_queries"] == before + 3
    legacy = [first, *rest]
    assert [m.payload for m in legacy] == sent, "all 250, oldest first, none repeated"
    assert [m.payload for p in pages for m in p] == sent
    assert [m.payload for m in c.history(destination="big", limit=100, order="desc", **w)] == sent[::-1]
    assert c.count_history(destination="big", **w) == 250
    # Signaling 2.x: pages of 100 following newStart to the end, newest first.
    v2 = list(c.history_v2("alice", "big", page_size=100))
    assert len(v2) == 250
    stamps = [m.timestamp for m in v2]
    assert stamps == sorted(stamps, reverse=True) and len(set(stamps)) == 250
    assert [m.payload for m in v2] == sent[::-1]


def test_history_v2_is_lazy(emulator: Emulator) -> None:
    c = client(emulator.url)
    for i in range(5):
        c.send_channel_message("alice", "lazy", f"p{i}", store_in_history=True)
    before = requests_seen(emulator)
    it = c.history_v2("alice", "lazy", page_size=2)
    assert requests_seen(emulator) == before, "nothing is fetched before iterating"
    assert next(it).payload == "p4"
    assert requests_seen(emulator) == before + 1
    assert [m.payload for m in it] == ["p3", "p2", "p1", "p0"]


# ---------------------------------------------------------------- invalid input

NAIVE = datetime.datetime(2026, 1, 1)
AWARE = datetime.datetime(2026, 1, 1, tzinfo=UTC)
LATER = datetime.datetime(2026, 1, 2, tzinfo=UTC)
T = {"start_time": AWARE, "end_time": LATER}

# (method, args, kwargs, field): each is refused before any request.
INVALID: list[tuple[str, tuple[Any, ...], dict[str, Any], str]] = [
    ("send_peer_message", ("", "bob", "x"), {}, "from"),
    ("send_peer_message", ("a" * 65, "bob", "x"), {}, "from"),
    ("send_peer_message", ("alice", "bo/b", "x"), {}, "to"),
    ("send_peer_message", (" alice", "bob", "x"), {}, "from"),
    ("send_peer_message", ("alice", "bob ", "x"), {}, "to"),
    ("send_peer_message", ("alice", "bob", ""), {}, "payload"),
    ("send_peer_message", ("alice", "bob", "x" * (32 * 1024 + 1)), {"wait_for_ack": True}, "payload"),
    ("send_channel_message", ("alice", "", "x"), {}, "channel"),
    ("send_channel_message", ("alice", "lob*by", "x"), {}, "channel"),
    ("send_channel_message", ("alice", "lobby", "x" * (32 * 1024 + 1)), {}, "payload"),
    ("history", (), {"destination": "lobby", **T, "limit": 30}, "limit"),
    ("history", (), {"destination": "lobby", **T, "limit": -1}, "limit"),
    ("history", (), {"destination": "lobby", **T, "order": "up"}, "order"),
    ("history", (), {"destination": "lobby", "start_time": NAIVE, "end_time": LATER}, "start_time"),
    ("history", (), {"destination": "lobby", "start_time": AWARE, "end_time": NAIVE}, "end_time"),
    ("history", (), {"destination": "lobby", "start_time": LATER, "end_time": AWARE}, "start_time"),
    ("history", (), {"destination": "lobby", "start_time": -5, "end_time": 10}, "start_time"),
    ("history", (), {"destination": "lobby", "start_time": "yesterday", "end_time": 10}, "start_time"),
    ("history", (), {**T}, "source"),
    ("history", (), {"source": "", **T}, "source"),
    ("history", (), {"destination": "a" * 65, **T}, "destination"),
    ("history_page", (), {"destination": "lobby", **T, "limit": 0}, "limit"),
    ("history_page", (), {"destination": "lobby", "start_time": NAIVE, "end_time": LATER}, "start_time"),
    ("count_history", (), {"destination": "lobby", "start_time": AWARE, "end_time": NAIVE}, "end_time"),
    ("count_history", (), {"source": " alice", **T}, "source"),
    ("history_v2", ("alice", "lobby"), {"channel_type": "group"}, "channel_type"),
    ("history_v2", ("alice", "lobby"), {"page_size": 0}, "page_size"),
    ("history_v2", ("alice", "lobby"), {"page_size": 101}, "page_size"),
    ("history_v2", ("alice", "lobby"), {"start": NAIVE}, "start"),
    ("history_v2", ("alice", "lobby"), {"end": NAIVE}, "end"),
    ("history_v2", ("alice", "lobby"), {"start": AWARE, "end": LATER}, "end"),
    ("history_v2", ("", "lobby"), {}, "user_id"),
    ("history_v2", ("alice", " lobby"), {}, "channel"),
    ("history_v2", ("alice", "bob"), {"channel_type": "user", "page_size": 101}, "page_size"),
]


def invalid_ids() -> list[str]:
    return [f"{m}-{f}-{i}" for i, (m, _, _, f) in enumerate(INVALID)]


@pytest.mark.parametrize(("method", "args", "kwargs", "field"), INVALID, ids=invalid_ids())
def test_invalid_input_refused_before_any_request(
    emulator: Emulator, method: str, args: tuple[Any, ...], kwargs: dict[str, Any], field: str
) -> None:
    # Against the emulator: its request counter does not move.
    before = requests_seen(emulator)
    with pytest.raises(rtm.InvalidInputError) as info:
        result = getattr(client(emulator.url), method)(*args, **kwargs)
        next(iter(result))  # iterators too: they raise at the call, not later
    assert info.value.field == field, str(info.value)
    assert info.value.kind == "invalid_input"
    assert requests_seen(emulator) == before
    # Against an unreachable host: invalid input, not a transport error.
    with pytest.raises(rtm.InvalidInputError) as info:
        getattr(client(UNREACHABLE), method)(*args, **kwargs)
    assert info.value.field == field


@pytest.mark.parametrize(("method", "args", "kwargs", "field"), INVALID, ids=invalid_ids())
async def test_async_invalid_input_refused_before_any_request(
    method: str, args: tuple[Any, ...], kwargs: dict[str, Any], field: str
) -> None:
    c = aclient(UNREACHABLE)
    with pytest.raises(rtm.InvalidInputError) as info:
        result = getattr(c, method)(*args, **kwargs)
        if hasattr(result, "__anext__"):
            await result.__anext__()
        else:
            await result
    assert info.value.field == field, str(info.value)


def test_token_auth_sender_must_be_the_tokens_user(emulator: Emulator) -> None:
    token = rtm.build_rtm_token(APP_ID, APP_CERT, "alice", datetime.timedelta(minutes=10))
    before = requests_seen(emulator)
    for auth in (rtm.TokenAuth(token), rtm.MintedTokenAuth(APP_CERT, "alice"),
                 rtm.LegacyTokenAuth(rtm.build_legacy_rtm_token(APP_ID, APP_CERT, "alice", 600), "alice")):
        c = client(emulator.url, auth)
        with pytest.raises(rtm.InvalidInputError) as info:
            c.send_peer_message("bob", "carol", "hi")
        assert info.value.field == "from"
        with pytest.raises(rtm.InvalidInputError) as info:
            c.send_channel_message("bob", "lobby", "hi")
        assert info.value.field == "from"
        with pytest.raises(rtm.InvalidInputError) as info:
            c.history_v2("bob", "lobby")
        assert info.value.field == "user_id"
    assert requests_seen(emulator) == before
    # As the token's user it is sent.
    c = client(emulator.url, rtm.TokenAuth(token))
    assert c.send_peer_message("alice", "carol", "hi").outcome is rtm.MessageOutcome.SENT


async def test_async_token_auth_sender(emulator: Emulator) -> None:
    token = rtm.build_rtm_token(APP_ID, APP_CERT, "alice", datetime.timedelta(minutes=10))
    c = aclient(emulator.url, rtm.TokenAuth(token))
    with pytest.raises(rtm.InvalidInputError) as info:
        await c.send_peer_message("bob", "carol", "hi")
    assert info.value.field == "from"
    assert (await c.send_channel_message("alice", "lobby", "hi")).outcome is rtm.MessageOutcome.SENT


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"history_poll_interval": -1}, "history_poll_interval"),
    ({"history_poll_timeout": "soon"}, "history_poll_timeout"),
    ({"family_rate_limits": {"gossip": (1, 1.0)}}, "family_rate_limits"),
    ({"family_rate_limits": {"messages": (1, 0.0)}}, "family_rate_limits"),
])
def test_client_option_errors(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(rtm.InvalidInputError) as info:
        rtm.Client(APP_ID, basic(), base_url=UNREACHABLE, **kwargs)
    assert info.value.field == field


def test_client_options_accepted(emulator: Emulator) -> None:
    c = rtm.Client(APP_ID, basic(), base_url=emulator.url,
                   history_poll_interval=datetime.timedelta(milliseconds=50), history_poll_timeout=20,
                   family_rate_limits={"messages": (100, 1.0), "legacy_history": (10, 1.0), "history_v2": (20, 1.0)})
    c.send_channel_message("alice", "opts", "x", store_in_history=True)
    assert c.count_history(destination="opts", **window()) == 1


def test_closed_client_refuses(emulator: Emulator) -> None:
    c = client(emulator.url)
    c.close()
    with pytest.raises(rtm.AgoraRtmError, match="closed"):
        c.send_peer_message("a", "b", "x")
    with pytest.raises(rtm.AgoraRtmError, match="closed"):
        c.history_v2("a", "b")


# ---------------------------------------------------------------- asyncio

async def test_async_peer_message_outcomes(emulator: Emulator) -> None:
    c = aclient(emulator.url)
    set_online(emulator, "dave")
    online, offline = await asyncio.gather(
        c.send_peer_message("server", "dave", "hi", wait_for_ack=True),
        c.send_peer_message("server", "erin", "hi", wait_for_ack=True),
    )
    assert online.outcome is rtm.MessageOutcome.DELIVERED
    assert offline.outcome is rtm.MessageOutcome.OFFLINE
    set_online(emulator, "dave", False)
    assert (await c.send_peer_message("server", "dave", "hi", wait_for_ack=True)).outcome is rtm.MessageOutcome.OFFLINE


async def test_async_channel_message_found_by_both_histories(emulator: Emulator) -> None:
    async with aclient(emulator.url) as c:
        await c.send_channel_message("alice", "alobby", "hello", store_in_history=True)
        legacy = [m async for m in c.history(destination="alobby", **window())]
        assert [(m.src, m.payload) for m in legacy] == [("alice", "hello")]
        assert await c.history_page(destination="alobby", **window()) == legacy
        assert await c.count_history(destination="alobby", **window()) == 1
        v2 = [m async for m in c.history_v2("alice", "alobby")]
        assert [(m.publisher, m.payload, m.timestamp) for m in v2] == [("alice", "hello", legacy[0].ms)]


async def test_async_250_messages_page_correctly(emulator: Emulator) -> None:
    c = aclient(emulator.url)
    sent = [f"a{i:03d}" for i in range(250)]
    for p in sent:  # in order, so the stored order is known
        await c.send_channel_message("alice", "abig", p, store_in_history=True)
    w = window()
    pages = await asyncio.gather(*(c.history_page(destination="abig", limit=100, offset=o, **w) for o in (0, 100, 200)))
    assert [len(p) for p in pages] == [100, 100, 50]
    legacy = [m.payload async for m in c.history(destination="abig", limit=100, **w)]
    assert legacy == sent
    v2 = [m async for m in c.history_v2("alice", "abig", page_size=100)]
    assert [m.payload for m in v2] == sent[::-1]
    assert len({m.timestamp for m in v2}) == 250


async def test_async_iteration_does_not_block_the_loop(emulator: Emulator) -> None:
    c = aclient(emulator.url)
    await c.send_channel_message("alice", "tick", "x", store_in_history=True)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    t = asyncio.ensure_future(ticker())
    # The legacy flow waits at least one poll interval ("in progress" first).
    got = [m async for m in c.history(destination="tick", **window())]
    t.cancel()
    assert len(got) == 1 and ticks >= 2
