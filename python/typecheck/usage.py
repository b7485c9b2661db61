"""Type-checked with `mypy --strict` against the installed package's stubs."""

from __future__ import annotations

import asyncio
import datetime

import agora_rtm_rest as rtm


def sync_usage(url: str) -> list[str]:
    auth: rtm.BasicAuth = rtm.BasicAuth("id", "secret")
    with rtm.Client("970CA35de60c44645bbae8a215061b33", auth, base_url=url, timeout=5.0, max_retries=2) as client:
        page: rtm.UserEventsPage = client.user_events()
        names = [e.user_id for e in page]
        for ev in client.channel_events():
            when: datetime.datetime = ev.time
            kind: str = ev.kind
            names.append(f"{ev.channel_id} {kind} {when.isoformat()}")
        with client.watch(presence=True, sink="jsonl:/tmp/x.jsonl") as w:
            for item in w:
                if isinstance(item, rtm.Gap):
                    names.append(item.reason)
                break
            p = w.presence
            if p is not None:
                names.extend(p.online_users())
    try:
        rtm.parse_token("x")
    except rtm.TokenError as e:
        names.append(e.kind)
    except rtm.ApiError as e:
        status: int | None = e.status
        names.append(str(status))
    token: str = rtm.build_rtm_token("a" * 32, "b" * 32, "u", datetime.timedelta(hours=1))
    parsed: rtm.ParsedToken = rtm.verify_token(token, "b" * 32, user_id="u")
    names.append(parsed.version)
    return names


async def async_usage(url: str) -> int:
    auth = rtm.MintedTokenAuth("b" * 32, "u", lifetime=datetime.timedelta(minutes=30))
    async with rtm.AsyncClient("970CA35de60c44645bbae8a215061b33", auth, base_url=[url]) as client:
        page = await client.user_events()
        ch = await client.channel_events()
        n = len(page) + len(ch)
        async for item in client.watch(feeds=["user_events"]):
            if isinstance(item, rtm.UserEvent) and item.kind is rtm.UserEventKind.LOGIN:
                n += 1
            break
    return n


def messages_usage(url: str) -> list[str]:
    out: list[str] = []
    with rtm.Client(
        "970CA35de60c44645bbae8a215061b33", rtm.BasicAuth("id", "secret"), base_url=url,
        history_poll_interval=datetime.timedelta(milliseconds=500), history_poll_timeout=30,
        family_rate_limits={"messages": (100, 1.0)},
    ) as client:
        receipt: rtm.MessageReceipt = client.send_peer_message("server", "alice", "hi", wait_for_ack=True)
        if receipt.outcome is rtm.MessageOutcome.OFFLINE:
            out.append(receipt.request_id)
        client.send_channel_message("server", "lobby", "hello", store_in_history=True)
        end = datetime.datetime.now(datetime.timezone.utc)
        start = end - datetime.timedelta(days=1)
        for m in client.history(destination="lobby", start_time=start, end_time=end, limit=100, order="desc"):
            when: datetime.datetime = m.time
            out.append(f"{m.src} {m.dst} {m.message_type} {m.payload} {m.ms} {when.isoformat()}")
        page: list[rtm.HistoryMessage] = client.history_page(source="server", start_time=0, end_time=1_700_000_000, offset=20)
        count: int = client.count_history(destination="lobby", start_time=start, end_time=end)
        out.append(f"{len(page)} {count}")
        for v in client.history_v2("server", "lobby", channel_type="message", start=end, page_size=50):
            payload: str | bytes = v.payload
            custom: str | None = v.custom_type
            out.append(f"{v.publisher} {v.timestamp} {v.message_type} {payload!r} {custom}")
    return out


async def async_messages_usage(url: str) -> int:
    async with rtm.AsyncClient("970CA35de60c44645bbae8a215061b33", rtm.BasicAuth("id", "secret"), base_url=url,
                               history_poll_interval=0.5) as client:
        receipt = await client.send_channel_message("server", "lobby", "hi")
        outcome: rtm.MessageOutcome | str = receipt.outcome
        end = datetime.datetime.now(datetime.timezone.utc)
        n = 1 if outcome == rtm.MessageOutcome.SENT else 0
        async for m in client.history(destination="lobby", start_time=end - datetime.timedelta(hours=1), end_time=end):
            n += m.ms
        page = await client.history_page(destination="lobby", start_time=0, end_time=10)
        n += len(page) + await client.count_history(source="server", start_time=0, end_time=10)
        async for v in client.history_v2("server", "lobby", end=0):
            n += v.timestamp
    return n


if __name__ == "__main__":
    asyncio.run(async_usage("http://127.0.0.1:1"))
