#!/usr/bin/env python3
"""Watcher benchmarks against the emulator (processes, as a user runs them).

Scenarios (each prints one JSON line; `--markdown` prints a table for bench/README.md):

  ceiling    12,000 events/s produced (both feeds) for --seconds: delivered events/s
             against the service ceiling (10 reads/s x 1000 = 10,000 events/s per app
             id), 429s, watcher CPU and peak RSS, and loss accounting (the gaps'
             estimates against the emulator's `overwritten`).
  steady     9,000 events/s (90% of the ceiling) for --seconds: every produced event
             must be in the SQLite sink exactly once, with no gap.
  latency    all traffic on the user feed at 12,000 events/s, with the emulator's
             added latency at 0 and 150 ms: share of the ceiling reached on that feed,
             and how ordered the delivered events are.

Usage: python3 bench/watch/bench.py [--bin target/.../release/agora-rtm] [--seconds 30]
       [--only ceiling,steady,latency] [--markdown]
Build first: cargo build --release -p agora-rtm-rest-cli
"""
import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

CEILING = 10_000  # events/s per app id: 10 reads/s x 1000 events


def start_emulator(binary, args):
    p = subprocess.Popen([binary, "emulator", "--port", "0", *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    url = p.stdout.readline().strip()
    if not url.startswith("http://"):
        raise SystemExit(f"emulator did not start: {url!r}")
    return p, url


def stats(url):
    with urllib.request.urlopen(url + "/_emulator/stats") as r:
        return json.load(r)


def feed_totals(s, app="demo"):
    out = {}
    for region in s["apps"].get(app, {}).get("regions", {}).values():
        for feed, c in region.items():
            t = out.setdefault(feed, {})
            for k, v in c.items():
                t[k] = t.get(k, 0) + v
    return out


def count(db, feed=None):
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        q = "SELECT COUNT(*) FROM events" + (" WHERE feed = ?" if feed else "")
        n = con.execute(q, (feed,) if feed else ()).fetchone()[0]
        con.close()
        return n
    except sqlite3.Error:
        return 0


def start_watcher(binary, url, db, extra=()):
    env = dict(os.environ, AGORA_APP_ID="demo", AGORA_CUSTOMER_ID="bench", AGORA_CUSTOMER_SECRET="bench", AGORA_RTM_BASE_URL=url)
    return subprocess.Popen([binary, "watch", "--sink", f"sqlite:{db}", "--quiet", *extra], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def stop_watcher(p):
    p.send_signal(signal.SIGINT)
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return usage


def drain(url, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        t = feed_totals(stats(url))
        if sum(f.get("pending", 0) for f in t.values()) == 0:
            return True
        time.sleep(0.5)
    return False


def run(binary, seconds, rate, share, latency_ms=0, feed=None, warmup=5):
    tmp = tempfile.mkdtemp(prefix="agora-bench-")
    db = os.path.join(tmp, "watch.db")
    emu, url = start_emulator(binary, ["--simulate-users", "5000", "--channels", "200", "--events-per-sec", str(rate),
                                       "--user-event-share", str(share), "--simulate-seconds", str(seconds),
                                       "--latency-ms", str(latency_ms)])
    try:
        watcher = start_watcher(binary, url, db)
        t0 = time.time()
        time.sleep(warmup)
        c0, w0 = count(db, feed), time.time()
        # Loss before the watcher was up (the simulator starts with the emulator) is
        # not the watcher's: count what is overwritten after the warm-up.
        overwritten_at_warmup = sum(t["overwritten"] for t in feed_totals(stats(url)).values())
        time.sleep(max(1, seconds - warmup - 0.5))
        c1, w1 = count(db, feed), time.time()
        drained = drain(url)
        time.sleep(1.5)  # let the last reads land
        usage = stop_watcher(watcher)
        wall = time.time() - t0
        s = stats(url)
        totals = feed_totals(s)
        con = sqlite3.connect(db)
        gaps = con.execute("SELECT COUNT(*), COALESCE(SUM(estimated_events), 0), COALESCE(SUM(lost_reads), 0) FROM gaps").fetchone()
        persisted = con.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        # Delivery order against event time: the simulator stamps a user's events
        # strictly increasing but users of one 10 ms tick share a stamp (and a busy
        # user's stamp may run ahead), so some inversions exist at the source. The
        # reorder window is the largest step back in ms from the newest event seen.
        inversions, adjacent, max_back = 0, 0, 0
        for f in (["user_events", "channel_events"] if feed is None else [feed]):
            prev, newest = None, 0
            for (ms,) in con.execute("SELECT ms FROM events WHERE feed = ? ORDER BY id", (f,)):
                if prev is not None:
                    adjacent += 1
                    inversions += ms < prev
                    max_back = max(max_back, newest - ms)
                prev, newest = ms, max(newest, ms)
        con.close()
        produced = sum(t["produced"] for t in totals.values())
        return {
            "rate_produced": rate, "latency_ms": latency_ms, "seconds": seconds,
            "delivered_per_sec": round((c1 - c0) / (w1 - w0)),
            "ceiling_ratio": round((c1 - c0) / (w1 - w0) / CEILING, 4),
            "produced": produced, "persisted": persisted,
            "overwritten": sum(t["overwritten"] for t in totals.values()),
            "overwritten_after_warmup": sum(t["overwritten"] for t in totals.values()) - overwritten_at_warmup,
            "unaccounted": produced - persisted - sum(t["overwritten"] + t["lost_in_faults"] + t["pending"] for t in totals.values()),
            "lost_in_faults": sum(t["lost_in_faults"] for t in totals.values()),
            "gaps": gaps[0], "gap_estimate": gaps[1], "gap_lost_reads": gaps[2],
            "emulator_429s": s["apps"]["demo"]["rate_limited"],
            "requests": s["apps"]["demo"]["requests"],
            "watcher_cpu_s": round(usage.ru_utime + usage.ru_stime, 2), "wall_s": round(wall, 1),
            "watcher_peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "order_inversions": inversions, "adjacent_pairs": adjacent, "max_step_back_ms": max_back, "drained": drained,
            "watcher_exit": watcher.returncode,
            "watcher_stderr": watcher.stderr.read().strip()[-300:],
        }
    finally:
        emu.send_signal(signal.SIGINT)
        emu.wait()


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--bin", default=os.path.join(here, "../../target/x86_64-unknown-linux-gnu/release/agora-rtm"))
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--steady-seconds", type=int, default=60)
    ap.add_argument("--only", default="ceiling,steady,latency")
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()
    only = set(a.only.split(","))
    results = {}
    if "ceiling" in only:
        results["ceiling 12k/s"] = run(a.bin, a.seconds, 12000, 0.5)
    if "steady" in only:
        results["steady 9k/s"] = run(a.bin, a.steady_seconds, 9000, 0.5)
    if "latency" in only:
        results["one feed 12k/s, 0 ms"] = run(a.bin, a.seconds, 12000, 1.0, 0, feed="user_events")
        results["one feed 12k/s, 150 ms"] = run(a.bin, a.seconds, 12000, 1.0, 150, feed="user_events")
    for name, r in results.items():
        print(json.dumps({"scenario": name, **r}))
    if a.markdown:
        print("\n| scenario | delivered/s | of ceiling | produced | persisted | overwritten (after warm-up) | gaps (est. lost) | unaccounted | 429s | CPU s / wall s | peak RSS | reorder window |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for name, r in results.items():
            print(f"| {name} | {r['delivered_per_sec']} | {r['ceiling_ratio']:.1%} | {r['produced']} | {r['persisted']} | "
                  f"{r['overwritten']} ({r['overwritten_after_warmup']}) | {r['gaps']} ({r['gap_estimate']}) | {r['unaccounted']} | {r['emulator_429s']} | "
                  f"{r['watcher_cpu_s']} / {r['wall_s']} | {r['watcher_peak_rss_mb']} MB | {r['max_step_back_ms']} ms |")


if __name__ == "__main__":
    sys.exit(main())
