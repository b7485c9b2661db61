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


if __name__ == "__main__":
    asyncio.run(async_usage("http://127.0.0.1:1"))
