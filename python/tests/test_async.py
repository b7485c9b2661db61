"""AsyncClient and AsyncWatcher against the emulator."""

from __future__ import annotations

import asyncio
import time

import pytest

import agora_rtm_rest as rtm
from conftest import APP_ID, CUSTOMER_ID, CUSTOMER_SECRET, Emulator


def client(emulator: Emulator, **kw: object) -> rtm.AsyncClient:
    return rtm.AsyncClient(APP_ID, rtm.BasicAuth(CUSTOMER_ID, CUSTOMER_SECRET), base_url=emulator.url, **kw)  # type: ignore[arg-type]


async def test_async_reads(emulator: Emulator) -> None:
    emulator.inject_users([{"user_id": "a", "type": "Login", "ms": 1}])
    emulator.inject_channels([{"group_id": "c", "user_id": "a", "type": "Join", "ms": 2}])
    async with client(emulator) as c:
        users, channels = await asyncio.gather(c.user_events(), c.channel_events())
        assert [e.user_id for e in users] == ["a"]
        assert [e.channel_id for e in channels] == ["c"]


async def test_async_errors_typed(emulator: Emulator) -> None:
    c = rtm.AsyncClient(APP_ID, rtm.BasicAuth(CUSTOMER_ID, "nope"), base_url=emulator.url)
    with pytest.raises(rtm.AuthError):
        await c.user_events()


async def test_async_cancellation(emulator: Emulator) -> None:
    # Every answer is delayed 3 s: cancelling the task must not wait for it.
    emulator.faults(latency_ms=3000)
    c = client(emulator)
    task = asyncio.ensure_future(c.user_events())
    await asyncio.sleep(0.2)
    task.cancel()
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert loop.time() - t0 < 1.0
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(c.user_events(), 0.2)


def test_async_needs_running_loop(emulator: Emulator) -> None:
    with pytest.raises(RuntimeError):
        client(emulator).user_events()


async def test_async_watch_with_presence(emulator: Emulator) -> None:
    emulator.inject_users([{"user_id": "alice", "type": "Login", "ms": 100}])
    emulator.inject_channels([{"group_id": "lobby", "user_id": "alice", "type": "Join", "ms": 101}])
    c = client(emulator)
    got: list[object] = []
    async with c.watch(presence=True, stats_interval=0.2) as w:
        async for item in w:
            got.append(item)
            if any(isinstance(i, rtm.ChannelEvent) for i in got) and any(isinstance(i, rtm.UserEvent) for i in got):
                break
        p = w.presence
        assert p is not None
        assert p.online_users() == ["alice"] and p.members("lobby") == ["alice"]
        assert p.online_count == 1 and p.channel_count == 1 and p.member_count("lobby") == 1
        w.stop()
        rest = [i async for i in w]
    assert any(isinstance(i, rtm.WatchStats) for i in rest)


async def test_async_stop_and_presence_do_not_wait_for_a_pending_next(emulator: Emulator) -> None:
    # Nothing to read and no stats: `__anext__` stays pending until the watcher stops.
    w = client(emulator).watch(presence=True, stats_interval=None)
    pending = asyncio.ensure_future(w.__anext__())
    await asyncio.sleep(0.3)
    assert not pending.done()
    started = time.monotonic()
    assert w.presence is not None
    w.stop()
    assert time.monotonic() - started < 0.5, "stop() and presence must not wait for the pending next()"
    # The stream then ends (after the last stats item, if any).
    rest = []
    try:
        rest.append(await asyncio.wait_for(pending, 10))
        async for item in w:
            rest.append(item)
    except StopAsyncIteration:
        pass
    assert all(isinstance(i, rtm.WatchStats) for i in rest)
