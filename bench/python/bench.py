"""Python benchmarks of agora_rtm_rest (run by hand; they measure, they do not check).

1. Fetch + decode 1000-event pages from the emulator: this package (sync and
   asyncio) vs httpx + json + one dataclass per event, same emulator, same run.
2. Token minting: build_rtm_token vs agoraiotools' AccessToken2 builder.

    AGORA_RTM_EMULATOR=target/x86_64-unknown-linux-gnu/release/agora-rtm \
        python bench/python/bench.py [--pages 60] [--mint 20000]

Needs: the installed agora_rtm_rest wheel (release build), httpx, agoraiotools==0.3.4.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import subprocess
import time
import urllib.request
from dataclasses import dataclass

import agora_rtm_rest as rtm

APP_ID = "970CA35de60c44645bbae8a215061b33"
CERT = "5CFd2fd1755d40ecb72977518be15d3b"
PAGE = 1000


@dataclass(frozen=True)
class Event:
    user_id: str
    kind: str
    ms: int


def admin(url: str, path: str, body: object) -> None:
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST")
    req.add_header("content-type", "application/json")
    urllib.request.urlopen(req, timeout=30).read()


def fill(url: str) -> None:
    admin(url, f"/_emulator/apps/{APP_ID}/user_events",
          [{"user_id": f"user-{i}", "type": "Login" if i % 2 else "Logout", "ms": 1767225600000 + i} for i in range(PAGE)])


def timed(label: str, pages: int, url: str, read) -> float:  # type: ignore[no-untyped-def]
    total = 0.0
    for _ in range(pages):
        fill(url)
        t0 = time.perf_counter()
        n = read()
        total += time.perf_counter() - t0
        assert n == PAGE, (label, n)
    per_page = total / pages
    print(f"{label:<34} {per_page * 1000:8.2f} ms/page  {PAGE / per_page:10.0f} events/s")
    return per_page


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=60)
    ap.add_argument("--mint", type=int, default=20000)
    args = ap.parse_args()
    binary = os.environ.get("AGORA_RTM_EMULATOR") or os.environ["AGORA_RTM_BIN"]
    proc = subprocess.Popen([binary, "emulator", "--port", "0", "--rate-limit", "100000"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    try:
        import httpx

        auth = rtm.BasicAuth("id", "secret")
        # The SDK's client-side limiter (10 req/s, the service's limit) is lifted
        # here so that both sides measure fetch + decode only.
        client = rtm.Client(APP_ID, auth, base_url=url, rate_limit=(100000, 1.0), share_rate_limit=False)
        sdk = timed("agora_rtm_rest Client (sync)", args.pages, url, lambda: len(client.user_events()))

        aclient = rtm.AsyncClient(APP_ID, auth, base_url=url, rate_limit=(100000, 1.0), share_rate_limit=False)
        loop = asyncio.new_event_loop()

        async def aread() -> int:
            return len(await aclient.user_events())

        asdk = timed("agora_rtm_rest AsyncClient", args.pages, url, lambda: loop.run_until_complete(aread()))

        header = "Basic " + base64.b64encode(b"id:secret").decode()
        hc = httpx.Client(headers={"authorization": header})
        feed = f"{url}/dev/v2/project/{APP_ID}/rtm/vendor/user_events"

        def httpx_read() -> int:
            r = hc.get(feed)
            r.raise_for_status()
            data = json.loads(r.content)
            events = [Event(e["user_id"], e["type"], e.get("ms", e.get("ts"))) for e in data["events"]]
            return len(events)

        base = timed("httpx + json + dataclass (sync)", args.pages, url, httpx_read)

        ahc = httpx.AsyncClient(headers={"authorization": header})

        async def ahttpx() -> int:
            r = await ahc.get(feed)
            r.raise_for_status()
            data = json.loads(r.content)
            return len([Event(e["user_id"], e["type"], e.get("ms", e.get("ts"))) for e in data["events"]])

        abase = timed("httpx.AsyncClient + json + dataclass", args.pages, url, lambda: loop.run_until_complete(ahttpx()))
        print(f"fetch+decode speed-up: sync {base / sdk:.2f}x, asyncio {abase / asdk:.2f}x")
    finally:
        proc.terminate()
        proc.wait()

    from agoraiotools.RtmTokenBuilder2 import RtmTokenBuilder

    n = args.mint
    t0 = time.perf_counter()
    for i in range(n):
        rtm.build_rtm_token(APP_ID, CERT, f"user-{i}", 3600)
    ours = (time.perf_counter() - t0) / n
    t0 = time.perf_counter()
    for i in range(n):
        RtmTokenBuilder.build_token(APP_ID, CERT, f"user-{i}", 3600)
    theirs = (time.perf_counter() - t0) / n
    print(f"{'build_rtm_token (agora_rtm_rest)':<34} {ours * 1e6:8.2f} us/token")
    print(f"{'RtmTokenBuilder2 (agoraiotools)':<34} {theirs * 1e6:8.2f} us/token")
    print(f"minting speed-up: {theirs / ours:.1f}x")


if __name__ == "__main__":
    main()
