"""fork, Ctrl-C and logging."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import agora_rtm_rest as rtm
from conftest import APP_ID, CUSTOMER_ID, CUSTOMER_SECRET, Emulator


def auth() -> rtm.BasicAuth:
    return rtm.BasicAuth(CUSTOMER_ID, CUSTOMER_SECRET)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_child_uses_a_new_client(emulator: Emulator) -> None:
    parent = rtm.Client(APP_ID, auth(), base_url=emulator.url)
    parent.user_events()  # the runtime exists in the parent
    emulator.inject_users([{"user_id": "child", "type": "Login", "ms": 1}])
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            try:
                parent.user_events()
            except rtm.AgoraRtmError:
                pass  # a client of the parent process is refused, not hung
            child = rtm.Client(APP_ID, auth(), base_url=emulator.url)
            names = [e.user_id for e in child.user_events()]
            os.write(w, ",".join(names).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    _, status = os.waitpid(pid, 0)
    data = os.read(r, 100).decode()
    assert os.WEXITSTATUS(status) == 0 and data == "child"
    assert len(parent.user_events()) == 0  # the parent still works


def test_ctrl_c_interrupts_a_blocking_call(emulator: Emulator) -> None:
    emulator.faults(latency_ms=10000)
    script = textwrap.dedent(f"""
        import sys, time, agora_rtm_rest as rtm
        c = rtm.Client({APP_ID!r}, rtm.BasicAuth({CUSTOMER_ID!r}, {CUSTOMER_SECRET!r}), base_url={emulator.url!r})
        print("ready", flush=True)
        t0 = time.monotonic()
        try:
            c.user_events()
        except KeyboardInterrupt:
            print("interrupted", round(time.monotonic() - t0, 2), flush=True)
            sys.exit(0)
        sys.exit(3)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=5)
    assert proc.returncode == 0 and out.startswith("interrupted")
    assert float(out.split()[1]) < 3


def test_tracing_reaches_logging(emulator: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="agora_rtm_rest"):
        rtm.Client(APP_ID, auth(), base_url=emulator.url).user_events()
    records = [r for r in caplog.records if r.name == "agora_rtm_rest"]
    assert records, "no tracing event reached logging"
    assert all(CUSTOMER_SECRET not in r.getMessage() for r in records)
