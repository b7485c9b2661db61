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
import statistics
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


def timed_interleaved(readers: dict, pages: int, url: str) -> dict:  # type: ignore[type-arg]
    """Reads `pages` pages with each reader, the readers taking turns (in a rotating
    order) so that drift in the machine's speed affects them alike; returns the
    median seconds per page of each."""
    times: dict[str, list[float]] = {name: [] for name in readers}
    names = list(readers)
    for round_ in range(pages + 5):
        order = names[round_ % len(names):] + names[:round_ % len(names)]
        for name in order:
            fill(url)
            t0 = time.perf_counter()
            n = readers[name]()
            dt = time.perf_counter() - t0
            assert n == PAGE, (name, n)
            if round_ >= 5:  # warm-up rounds
                times[name].append(dt)
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    for name, m in medians.items():
        print(f"{name:<38} {m * 1000:8.3f} ms/page (median of {pages})  {PAGE / m:10.0f} events/s")
    return medians


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
        aclient = rtm.AsyncClient(APP_ID, auth, base_url=url, rate_limit=(100000, 1.0), share_rate_limit=False)
        loop = asyncio.new_event_loop()

        async def aread() -> int:
            return len(await aclient.user_events())

        header = "Basic " + base64.b64encode(b"id:secret").decode()
        hc = httpx.Client(headers={"authorization": header})
        feed = f"{url}/dev/v2/project/{APP_ID}/rtm/vendor/user_events"

        def httpx_read() -> int:
            r = hc.get(feed)
            r.raise_for_status()
            data = json.loads(r.content)
            events = [Event(e["user_id"], e["type"], e.get("ms", e.get("ts"))) for e in data["events"]]
            return len(events)

        ahc = httpx.AsyncClient(headers={"authorization": header})

        async def ahttpx() -> int:
            r = await ahc.get(feed)
            r.raise_for_status()
            data = json.loads(r.content)
            return len([Event(e["user_id"], e["type"], e.get("ms", e.get("ts"))) for e in data["events"]])

        m = timed_interleaved({
            "agora_rtm_rest Client (sync)": lambda: len(client.user_events()),
            "agora_rtm_rest AsyncClient": lambda: loop.run_until_complete(aread()),
            "httpx + json + dataclass (sync)": httpx_read,
            "httpx.AsyncClient + json + dataclass": lambda: loop.run_until_complete(ahttpx()),
        }, args.pages, url)
        sdk, asdk = m["agora_rtm_rest Client (sync)"], m["agora_rtm_rest AsyncClient"]
        base, abase = m["httpx + json + dataclass (sync)"], m["httpx.AsyncClient + json + dataclass"]
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
