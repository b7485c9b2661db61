"""The blocking Client against the emulator: reads, drain semantics, auth modes
and failures, 429 handling, failover, typed exceptions, secrets never shown."""

from __future__ import annotations

import datetime
import os
import threading
import time

import pytest

import agora_rtm_rest as rtm
from conftest import APP_CERT, APP_ID, CUSTOMER_ID, CUSTOMER_SECRET, Emulator


def basic() -> rtm.BasicAuth:
    return rtm.BasicAuth(CUSTOMER_ID, CUSTOMER_SECRET)


def test_installed_wheel_not_source_tree() -> None:
    assert "site-packages" in rtm.__file__, rtm.__file__


def test_user_and_channel_reads(emulator: Emulator) -> None:
    emulator.inject_users([{"user_id": "alice", "type": "Login", "ms": 1767225600123},
                           {"user_id": "bob", "type": "Logout", "ms": 1767225600200},
                           {"user_id": "eve", "type": "Teleport", "ms": 1767225600300}])
    emulator.inject_channels([{"group_id": "lobby", "user_id": "alice", "type": "Join", "ms": 5}])
    with rtm.Client(APP_ID, basic(), base_url=emulator.url) as client:
        page = client.user_events()
        assert isinstance(page, rtm.UserEventsPage)
        assert len(page) == 3 and page.request_id
        a, b, e = page
        assert a.user_id == "alice" and a.kind is rtm.UserEventKind.LOGIN and a.kind == "Login"
        assert a.time == datetime.datetime(2026, 1, 1, 0, 0, 0, 123000, tzinfo=datetime.timezone.utc)
        assert b.kind == rtm.UserEventKind.LOGOUT
        assert e.kind == "Teleport" and not isinstance(e.kind, rtm.UserEventKind)
        assert a == rtm.UserEvent("alice", "Login", 1767225600123)
        assert len({a, rtm.UserEvent("alice", "Login", 1767225600123)}) == 1
        assert a.to_dict() == {"user_id": "alice", "kind": "Login", "ms": 1767225600123}
        assert "alice" in repr(a) and page[0] == a and list(page.events) == [a, b, e]
        assert not page.is_full()
        ch = client.channel_events()
        assert [c.to_dict() for c in ch] == [{"channel_id": "lobby", "user_id": "alice", "kind": "Join", "ms": 5}]
        assert ch[0].kind is rtm.ChannelEventKind.JOIN
        # Reads are destructive: the feeds are drained now.
        assert len(client.user_events()) == 0
        assert len(client.channel_events()) == 0
    with pytest.raises(rtm.AgoraRtmError, match="closed"):
        client.user_events()


def test_full_pages_drain(emulator: Emulator) -> None:
    emulator.inject_users([{"user_id": f"u{i}", "type": "Login", "ms": 1000 + i} for i in range(1500)])
    client = rtm.Client(APP_ID, basic(), base_url=emulator.url)
    first = client.user_events()
    assert len(first) == 1000 and first.is_full()
    second = client.user_events()
    assert len(second) == 500 and not second.is_full()
    assert [e.ms for e in first][:2] == [1000, 1001]


def test_token_auth_modes(emulator: Emulator) -> None:
    emulator.inject_users([{"user_id": "x", "type": "Login", "ms": 1}])
    token = rtm.build_rtm_token(APP_ID, APP_CERT, "reader", datetime.timedelta(minutes=10))
    assert len(rtm.Client(APP_ID, rtm.TokenAuth(token), base_url=emulator.url).user_events()) == 1
    legacy = rtm.build_legacy_rtm_token(APP_ID, APP_CERT, "reader", 600)
    rtm.Client(APP_ID, rtm.LegacyTokenAuth(legacy, "reader"), base_url=emulator.url).user_events()
    minted = rtm.MintedTokenAuth(APP_CERT, "reader", lifetime=datetime.timedelta(hours=1))
    rtm.Client(APP_ID, minted, base_url=emulator.url).channel_events()
    rtm.Client(APP_ID, rtm.MintedTokenAuth(APP_CERT, "reader", legacy=True), base_url=emulator.url).user_events()


def test_auth_failures_are_typed(emulator: Emulator) -> None:
    client = rtm.Client(APP_ID, rtm.BasicAuth(CUSTOMER_ID, "wrong-secret"), base_url=emulator.url)
    with pytest.raises(rtm.AuthError) as info:
        client.user_events()
    err = info.value
    assert isinstance(err, rtm.ApiError) and err.status == 401 and err.kind == "auth"
    assert "wrong-secret" not in str(err) and "wrong-secret" not in repr(err)
    bad_cert = "0" * 32
    token = rtm.build_rtm_token(APP_ID, bad_cert, "reader", 600)
    with pytest.raises(rtm.AuthError):
        rtm.Client(APP_ID, rtm.TokenAuth(token), base_url=emulator.url).user_events()


def test_invalid_input_is_typed() -> None:
    with pytest.raises(rtm.InvalidInputError) as info:
        rtm.BasicAuth("a:b", "secret")
    assert info.value.field == "customer_id" and info.value.kind == "invalid_input"
    with pytest.raises(rtm.InvalidInputError):
        rtm.Client("not an app id", rtm.BasicAuth("id", "s"))
    with pytest.raises(rtm.InvalidInputError):
        rtm.Client(APP_ID, rtm.BasicAuth("id", "s"), base_url="http://example.com")
    with pytest.raises(rtm.InvalidInputError):
        rtm.Client(APP_ID, rtm.BasicAuth("id", "s"), regions=["mars-1"])
    with pytest.raises(rtm.InvalidInputError):
        rtm.Client(APP_ID, "not auth")  # type: ignore[arg-type]
    with pytest.raises(rtm.InvalidInputError):
        rtm.Client(APP_ID, rtm.MintedTokenAuth("short", "u"))


def test_secrets_never_shown() -> None:
    secret, cert, token = "s3cr3t-value", APP_CERT, rtm.build_rtm_token(APP_ID, APP_CERT, "u", 600)
    texts = [repr(rtm.BasicAuth("id", secret)), str(rtm.BasicAuth("id", secret)),
             repr(rtm.TokenAuth(token)), repr(rtm.LegacyTokenAuth(rtm.build_legacy_rtm_token(APP_ID, cert, "u", 60), "u")),
             repr(rtm.MintedTokenAuth(cert, "u")),
             repr(rtm.Client(APP_ID, rtm.BasicAuth("id", secret), base_url="http://127.0.0.1:1"))]
    for t in texts:
        assert secret not in t and cert not in t and token not in t, t


def test_server_429_retried_then_typed(emulator: Emulator) -> None:
    emulator.faults(p_429=1.0)
    client = rtm.Client(APP_ID, basic(), base_url=emulator.url, max_retries=1)
    t0 = time.monotonic()
    with pytest.raises(rtm.RateLimitedError) as info:
        client.user_events()
    assert info.value.status is None or info.value.status == 429
    assert info.value.kind == "rate_limited"
    assert time.monotonic() - t0 < 30


def test_429_then_success_waits(emulator: Emulator) -> None:
    emulator.inject_users([{"user_id": "x", "type": "Login", "ms": 1}])
    emulator.faults(p_429=1.0)
    timer = threading.Timer(0.6, emulator.faults)  # the service recovers
    timer.start()
    client = rtm.Client(APP_ID, basic(), base_url=emulator.url, max_retries=10)
    t0 = time.monotonic()
    assert len(client.user_events()) == 1  # 429s were waited out and retried
    assert time.monotonic() - t0 >= 0.5
    timer.join()


def test_server_errors_typed(emulator: Emulator) -> None:
    emulator.faults(p_5xx=1.0)
    with pytest.raises(rtm.ServerError) as info:
        rtm.Client(APP_ID, basic(), base_url=emulator.url, max_retries=0).user_events()
    assert info.value.status in (500, 503)
    emulator.faults(p_408=1.0)
    with pytest.raises(rtm.ServerTimeoutError):
        rtm.Client(APP_ID, basic(), base_url=emulator.url, max_retries=0).user_events()


def test_transport_error_typed() -> None:
    client = rtm.Client(APP_ID, basic(), base_url="http://127.0.0.1:9", max_retries=0)
    with pytest.raises(rtm.TransportError) as info:
        client.user_events()
    assert info.value.kind == "transport"


def test_failover_between_regions(emulator: Emulator) -> None:
    # Events are stored per region: the first region's host sees none of the
    # second's. With the first host unreachable the client fails over to the
    # second region's host.
    emulator.admin("POST", f"/_emulator/apps/{APP_ID}/user_events?regions=eu-west-1",
                   [{"user_id": "r2", "type": "Login", "ms": 7}])
    assert len(rtm.Client(APP_ID, basic(), base_url=emulator.urls[0]).user_events()) == 0
    client = rtm.Client(APP_ID, basic(), base_url=["http://127.0.0.1:9", emulator.urls[1]], max_retries=3)
    page = client.user_events()
    assert [e.user_id for e in page] == ["r2"]


def test_from_env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    for k in list(os.environ):
        if k.startswith("AGORA_") and k not in ("AGORA_RTM_BIN", "AGORA_RTM_EMULATOR"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("AGORA_APP_ID", APP_ID)
    monkeypatch.setenv("AGORA_CUSTOMER_ID", CUSTOMER_ID)
    monkeypatch.setenv("AGORA_CUSTOMER_SECRET", CUSTOMER_SECRET)
    monkeypatch.setenv("AGORA_RTM_BASE_URL", emulator.url)
    emulator.inject_users([{"user_id": "env", "type": "Login", "ms": 1}])
    client = rtm.Client.from_env()
    assert client.app_id == APP_ID
    assert [e.user_id for e in client.user_events()] == ["env"]
    monkeypatch.delenv("AGORA_APP_ID")
    with pytest.raises(rtm.InvalidInputError):
        rtm.Client.from_env()


def test_threads_share_one_client(emulator: Emulator) -> None:
    emulator.inject_users([{"user_id": f"u{i}", "type": "Login", "ms": i} for i in range(40)])
    client = rtm.Client(APP_ID, basic(), base_url=emulator.url)
    seen: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(3):
            page = client.user_events()
            with lock:
                seen.extend(e.user_id for e in page)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == sorted(f"u{i}" for i in range(40))
