"""Shared fixtures: the emulator binary (env AGORA_RTM_EMULATOR or AGORA_RTM_BIN)
started on free ports with two regions, and helpers for its admin API."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

APP_ID = "970CA35de60c44645bbae8a215061b33"
APP_CERT = "5CFd2fd1755d40ecb72977518be15d3b"
CUSTOMER_ID = "test-customer"
CUSTOMER_SECRET = "test-secret-value"
REPO = Path(__file__).resolve().parents[2]


def emulator_binary() -> str:
    path = os.environ.get("AGORA_RTM_EMULATOR") or os.environ.get("AGORA_RTM_BIN")
    if not path:
        pytest.fail("set AGORA_RTM_EMULATOR or AGORA_RTM_BIN to the agora-rtm binary")
    return path


class Emulator:
    def __init__(self, urls: list[str], proc: subprocess.Popen[str]) -> None:
        self.urls = urls
        self.url = urls[0]
        self.proc = proc

    def admin(self, method: str, path: str, body: Any = None, url: str | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request((url or self.url) + path, data=data, method=method)
        req.add_header("content-type", "application/json")
        with urllib.request.urlopen(req, timeout=10) as resp:
            text = resp.read().decode()
        return json.loads(text) if text else None

    def inject_users(self, events: list[dict[str, Any]], app_id: str = APP_ID, url: str | None = None) -> None:
        self.admin("POST", f"/_emulator/apps/{app_id}/user_events", events, url)

    def inject_channels(self, events: list[dict[str, Any]], app_id: str = APP_ID, url: str | None = None) -> None:
        self.admin("POST", f"/_emulator/apps/{app_id}/channel_events", events, url)

    def faults(self, **faults: float) -> None:
        for url in self.urls:
            self.admin("PUT", "/_emulator/faults", faults, url)

    def reset(self) -> None:
        for url in self.urls:
            self.admin("PUT", "/_emulator/faults", {}, url)
            self.admin("POST", "/_emulator/reset", None, url)

    def stats(self) -> Any:
        return self.admin("GET", "/_emulator/stats")


@pytest.fixture(scope="session")
def emulator_session() -> Iterator[Emulator]:
    proc = subprocess.Popen(
        [
            emulator_binary(),
            "emulator",
            "--port",
            "0",
            "--regions",
            "us-west-1,eu-west-1",
            "--customer-id",
            CUSTOMER_ID,
            "--customer-secret",
            CUSTOMER_SECRET,
            "--app-certificate",
            f"{APP_ID}:{APP_CERT}",
            "--rate-limit",
            "1000",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    urls = [proc.stdout.readline().strip() for _ in range(2)]
    assert all(u.startswith("http://") for u in urls), urls
    yield Emulator(urls, proc)
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def emulator(emulator_session: Emulator) -> Emulator:
    emulator_session.reset()
    return emulator_session
