"""Runs every shared vector of tests/vectors (requests, responses, flows, tokens)
through the binding, driving the real Rust code: the protocol's Exchange state
machine for the event-feed operations (string `operation`), the SDK's
protocol::vectors::VectorExchange for the object operations (messages, legacy
history requests and flows, Signaling 2.x history), and the token functions for
tokens. Fails if an id of index.json was not executed and is not on the reviewed
skip list."""

from __future__ import annotations

import json
import typing
from pathlib import Path
from typing import Any

import pytest

import agora_rtm_rest as rtm
from agora_rtm_rest import _native

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors"
GROUPS = ("requests", "responses", "flows", "tokens")
# Reviewed skip list: empty (every vector runs through the binding).
SKIP: frozenset[str] = frozenset()
EXECUTED: set[str] = set()


def load(group: str) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((VECTORS / group).glob("*.json"))]


def ids(cases: list[dict[str, Any]]) -> list[str]:
    return [c["id"] for c in cases]


# ---------------------------------------------------------------- checks

def check_request(ctx: str, step: Any, expect: dict[str, Any]) -> None:
    assert isinstance(step, _native.SendStep), f"{ctx}: expected a request, got {step!r}"
    if "method" in expect:
        assert step.method == expect["method"], ctx
    if "url" in expect:
        assert step.url == expect["url"], ctx
    for name, value in expect.get("headers", {}).items():
        assert step.header(name) == value, f"{ctx}: header {name}"
    for name in expect.get("absent_headers", []):
        assert step.header(name) is None, f"{ctx}: header {name} must be absent"
    if "body" in expect:
        if expect["body"] is None:
            assert step.body is None, ctx
        else:
            assert json.loads(step.body or b"") == expect["body"], ctx


def check_error(ctx: str, err: BaseException, expect: dict[str, Any]) -> None:
    assert isinstance(err, rtm.AgoraRtmError), f"{ctx}: {err!r}"
    assert getattr(err, "kind") == expect["kind"], f"{ctx}: kind of {err!r}"
    if "status" in expect:
        assert getattr(err, "status") == expect["status"], ctx
    if "request_id" in expect:
        assert getattr(err, "request_id") == expect["request_id"], ctx
    if "retry_after_ms" in expect:
        ra = getattr(err, "retry_after")
        got = None if ra is None else round(ra * 1000)
        assert got == expect["retry_after_ms"], ctx
    if "field" in expect:
        assert isinstance(err, rtm.InvalidInputError), ctx
        assert getattr(err, "field") == expect["field"], ctx
    if "message_contains" in expect:
        assert expect["message_contains"] in str(err), f"{ctx}: {err}"
    if "body_contains" in expect:
        assert expect["body_contains"] in (getattr(err, "body") or ""), ctx
    expected_type = {
        "api": rtm.ApiError,
        "auth": rtm.AuthError,
        "rate_limited": rtm.RateLimitedError,
        "server_timeout": rtm.ServerTimeoutError,
        "server": rtm.ServerError,
        "decode": rtm.DecodeError,
        "transport": rtm.TransportError,
        "invalid_input": rtm.InvalidInputError,
    }[expect["kind"]]
    assert isinstance(err, expected_type), f"{ctx}: {type(err)}"


def check_result(ctx: str, result: dict[str, Any], ok: dict[str, Any]) -> None:
    """A VectorExchange success: each key of `ok` against the normalised JSON
    (`event_count` / `message_count` compare the lengths of `events` / `messages`)."""
    for key, want in ok.items():
        if key == "event_count":
            assert len(result["events"]) == want, f"{ctx}: event count"
        elif key == "message_count":
            assert len(result["messages"]) == want, f"{ctx}: message count"
        else:
            assert key in result, f"{ctx}: {key} missing from {result!r}"
            assert result[key] == want, f"{ctx}: {key}: expected {want!r}, got {result[key]!r}"


def check_done(ctx: str, step: Any, expect: dict[str, Any]) -> None:
    assert isinstance(step, _native.DoneStep), f"{ctx}: expected the end, got {step!r}"
    if "ok" in expect and step.result is not None:
        check_result(ctx, step.result, expect["ok"])
    elif "ok" in expect:
        assert step.error is None, f"{ctx}: unexpected error {step.error!r}"
        page = step.page
        ok = expect["ok"]
        if "request_id" in ok:
            assert page.request_id == ok["request_id"], ctx
        if "events" in ok:
            assert [e.to_dict() for e in page] == ok["events"], ctx
        if "event_count" in ok:
            assert len(page) == ok["event_count"], ctx
    else:
        assert step.error is not None, f"{ctx}: expected an error, got {step.page!r}"
        check_error(ctx, step.error, expect["error"])


def response_args(r: dict[str, Any]) -> tuple[int, bytes, dict[str, str]]:
    return r["status"], r.get("body", "").encode(), r.get("headers", {})


AnyExchange = typing.Union[_native.Exchange, _native.VectorExchange]


def exchange(ctx: _native.ExchangeContext, operation: str | dict[str, Any], seed: int) -> AnyExchange:
    """The event-feed operations through `Exchange` (typed pages), every object
    operation through `VectorExchange` (normalised JSON; invalid arguments raise)."""
    if isinstance(operation, str):
        return _native.Exchange(ctx, operation, seed)
    return _native.VectorExchange(ctx, operation, seed)


# ---------------------------------------------------------------- runners

@pytest.mark.parametrize("case", load("requests"), ids=ids(load("requests")))
def test_request_vector(case: dict[str, Any]) -> None:
    cid, expect = case["id"], case["expect"]
    try:
        ctx = _native.ExchangeContext(case["config"], case["auth"])
    except rtm.AgoraRtmError as e:
        assert "error" in expect, f"{cid}: unexpected {e!r}"
        check_error(cid, e, expect["error"])
        EXECUTED.add(cid)
        return
    try:
        ex = exchange(ctx, case["operation"], 1)
    except rtm.AgoraRtmError as e:
        # Invalid operation arguments: refused before any request.
        assert "error" in expect, f"{cid}: unexpected {e!r}"
        check_error(cid, e, expect["error"])
        EXECUTED.add(cid)
        return
    assert "error" not in expect, f"{cid}: expected an error"
    check_request(cid, ex.start(0), expect)
    EXECUTED.add(cid)


@pytest.mark.parametrize("case", load("responses"), ids=ids(load("responses")))
def test_response_vector(case: dict[str, Any]) -> None:
    cid = case["id"]
    config = dict(case.get("config") or {})
    config["base_urls"] = ["http://127.0.0.1:8080"]
    config["retry"] = {"max_attempts": 1}
    ctx = _native.ExchangeContext(config, {"type": "basic", "customer_id": "x", "customer_secret": "y"})
    ex = exchange(ctx, case["operation"], 1)
    assert isinstance(ex.start(0), _native.SendStep), cid
    status, body, headers = response_args(case["response"])
    check_done(cid, ex.on_response(status, body, 10, headers), case["expect"])
    EXECUTED.add(cid)


@pytest.mark.parametrize("case", load("flows"), ids=ids(load("flows")))
def test_flow_vector(case: dict[str, Any]) -> None:
    cid = case["id"]
    ctx = _native.ExchangeContext(case["config"], case["auth"])
    seed = case.get("seed", 1)
    exchanges: dict[int, AnyExchange] = {}
    now = 0
    last_wait = 0
    for n, step in enumerate(case["steps"]):
        k = step.get("exchange", 0)
        if "now_ms" in step:
            now = step["now_ms"]
        elif "after_ms" in step:
            now += step["after_ms"]
        elif step.get("after_wait"):
            now += last_wait
        call = step["call"]
        if call == "start":
            exchanges[k] = exchange(ctx, step["operation"], seed + k)
            got = exchanges[k].start(now)
        elif call == "response":
            status, body, headers = response_args(step["response"])
            got = exchanges[k].on_response(status, body, now, headers)
        elif call == "transport_error":
            got = exchanges[k].on_transport_error(step["kind"], now)
        elif call == "wait_elapsed":
            got = exchanges[k].on_wait_elapsed(now)
        else:
            pytest.fail(f"{cid}: unknown call {call}")
        expect = step["expect"]
        sctx = f"{cid} step {n}"
        if isinstance(got, _native.SendStep):
            assert "send" in expect, f"{sctx}: unexpected send to {got.url}"
            check_request(sctx, got, expect["send"])
        elif isinstance(got, _native.WaitStep):
            assert "wait" in expect, f"{sctx}: unexpected wait {got.ms}"
            lo, hi = expect["wait"]["min_ms"], expect["wait"]["max_ms"]
            assert lo <= got.ms <= hi, f"{sctx}: wait {got.ms} outside {lo}..={hi}"
            last_wait = got.ms
        else:
            assert "done" in expect, f"{sctx}: unexpected end {got.error!r}"
            check_done(sctx, got, expect["done"])
    report = exchanges[0].report()
    for key, value in case.get("expect_report", {}).items():
        assert report[key] == value, f"{cid}: report {key}"
    EXECUTED.add(cid)


# ---------------------------------------------------------------- tokens

def subset(expected: Any, actual: Any, path: str) -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict), path
        for k, v in expected.items():
            if v is not None:
                assert k in actual, f"{path}.{k}: missing"
            subset(v, actual.get(k), f"{path}.{k}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), path
        for i, (e, a) in enumerate(zip(expected, actual)):
            subset(e, a, f"{path}[{i}]")
    else:
        assert expected == actual, f"{path}: expected {expected!r}, got {actual!r}"


def run_token_operation(op: str, i: dict[str, Any]) -> tuple[str | None, rtm.ParsedToken | None, BaseException | None, str | None]:
    token: str | None = None
    cert: str | None = None
    try:
        if op == "build_rtm":
            token = rtm.build_rtm_token(i["app_id"], i["app_certificate"], i["user_id"], i["lifetime_secs"], issue_ts=i["issue_ts"], salt=i["salt"])
        elif op == "build_legacy_rtm" and "lifetime_secs" in i:
            token = rtm.build_legacy_rtm_token(i["app_id"], i["app_certificate"], i["user_id"], i["lifetime_secs"], issue_ts=i["issue_ts"], salt=i["salt"])
        elif op == "build_legacy_rtm":
            token = _native._build_legacy_rtm_token_raw(i["app_id"], i["app_certificate"], i["user_id"], i["salt"], i["ts"], i["privilege_expire_ts"])
        elif op == "build_rtc":
            token = _native._build_rtc_token(i["app_id"], i["app_certificate"], i["channel_name"], i["uid"], i["lifetime_secs"], i["issue_ts"], i["salt"])
        elif op == "parse":
            return None, rtm.parse_token(i["token"]), None, None
        elif op == "verify":
            cert = i["app_certificate"]
            parsed = rtm.verify_token(i["token"], cert, app_id=i.get("app_id"), user_id=i.get("user_id"), now=i["now_unix"])
            return None, parsed, None, cert
        else:
            pytest.fail(f"unknown operation {op}")
    except rtm.TokenError as e:
        return token, None, e, cert
    assert token is not None
    try:
        return token, rtm.parse_token(token), None, cert
    except rtm.TokenError as e:
        return token, None, e, cert


@pytest.mark.parametrize("case", load("tokens"), ids=ids(load("tokens")))
def test_token_vector(case: dict[str, Any]) -> None:
    cid, expect = case["id"], case["expect"]
    known = {"token", "decoded", "signature_hex", "content_hex", "k1_hex", "k2_hex", "error"}
    assert set(expect) <= known, f"{cid}: unknown expect fields {set(expect) - known}"
    token, parsed, err, cert = run_token_operation(case["operation"], case["input"])
    if "error" in expect:
        assert err is not None, f"{cid}: expected error {expect['error']}"
        assert isinstance(err, rtm.InvalidInputError)
        assert getattr(err, "kind") == expect["error"], f"{cid}: {err!r}"
        EXECUTED.add(cid)
        return
    assert err is None, f"{cid}: unexpected {err!r}"
    assert parsed is not None
    if "token" in expect:
        assert token == expect["token"], cid
    if "decoded" in expect:
        subset(expect["decoded"], parsed.to_dict(), "decoded")
    if "signature_hex" in expect:
        assert parsed.signature_hex == expect["signature_hex"], cid
    if "content_hex" in expect:
        assert parsed.content_hex() == expect["content_hex"], cid
    if "k1_hex" in expect or "k2_hex" in expect:
        assert cert is not None
        keys = parsed.signing_keys_hex(cert)
        assert keys is not None
        if "k1_hex" in expect:
            assert keys[0] == expect["k1_hex"], cid
        if "k2_hex" in expect:
            assert keys[1] == expect["k2_hex"], cid
    EXECUTED.add(cid)


def test_zz_every_vector_id_executed() -> None:
    """Runs last in this module (pytest keeps file order): every id of index.json
    of the four groups ran, unless reviewed-skipped."""
    index = json.loads((VECTORS / "index.json").read_text())
    listed = {i for i in index["ids"] if i.split("/")[0] in GROUPS}
    missing = sorted(listed - EXECUTED - SKIP)
    assert not missing, f"vector ids not executed: {missing}"
    unlisted = sorted(EXECUTED - listed)
    assert not unlisted, f"executed ids not in index.json: {unlisted}"
