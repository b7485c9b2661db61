#!/usr/bin/env python3
"""Writes the requests/, responses/ and flows/ cases (expectations are written by hand
here, from SPEC.md, not computed by the SDK), then refreshes index.json.
Token cases live as hand-checked files in tokens/."""
import json, os, base64
import pathlib
root = str(pathlib.Path(__file__).resolve().parent)
cases = []
def case(group, name, desc, **kw):
    d = {"id": f"{group}/{name}", "description": desc}
    d.update(kw)
    os.makedirs(f"{root}/{group}", exist_ok=True)
    with open(f"{root}/{group}/{name}.json", "w") as f:
        json.dump(d, f, indent=2, ensure_ascii=False); f.write("\n")
    cases.append(d["id"])

B = lambda s: "Basic " + base64.b64encode(s.encode()).decode()
LOCAL = {"app_id": "demo", "base_urls": ["http://127.0.0.1:8080"]}
BASIC = {"type": "basic", "customer_id": "customer", "customer_secret": "s3cret"}
T007 = "007eJxTYOCdJftjyTM2zxW6Xhm/5T0j5LdcUt/xYVt48fb5Mp3PX9coMFiaGzg7GpumpJoZJJuYmJmYJiUlplokGhmaGpgZJhkbu38RYIhgYmBgZABhJiBmBPM5GUpSi0viS4tTiwBZVh6A"
T006 = "006970CA35de60c44645bbae8a215061b33IAAsR0qgiCxv0vrpRcpkz5BrbfEWCBZ6kvR6t7qG/wJIQob86ogAAAAAEAABAAAAR/QQAAEA6AOvKDdW"
U = "http://127.0.0.1:8080/dev/v2/project/demo/rtm/vendor/user_events"
C = "http://127.0.0.1:8080/dev/v2/project/demo/rtm/vendor/channel_events"

# ---------------- requests ----------------
case("requests", "user_events_basic", "GET user_events with Basic auth against a custom base URL",
     config=LOCAL, auth=BASIC, operation="user_events",
     expect={"method": "GET", "url": U, "headers": {"Authorization": B("customer:s3cret"), "Accept": "application/json"},
             "absent_headers": ["x-agora-token", "x-agora-uid", "content-type"], "body": None})
case("requests", "channel_events_basic", "GET channel_events with Basic auth",
     config=LOCAL, auth=BASIC, operation="channel_events",
     expect={"method": "GET", "url": C, "headers": {"authorization": B("customer:s3cret")}, "body": None})
case("requests", "user_events_token_007", "AccessToken2 travels as 'Authorization: agora token=...'",
     config=LOCAL, auth={"type": "token", "token": T007}, operation="user_events",
     expect={"method": "GET", "url": U, "headers": {"authorization": "agora token=" + T007}, "absent_headers": ["x-agora-token", "x-agora-uid"]})
case("requests", "channel_events_legacy_token", "A 006 token travels in x-agora-token with x-agora-uid",
     config=LOCAL, auth={"type": "legacy_token", "token": T006, "uid": "test_user"}, operation="channel_events",
     expect={"method": "GET", "url": C, "headers": {"x-agora-token": T006, "x-agora-uid": "test_user"}, "absent_headers": ["authorization"]})
case("requests", "minted_token_007", "A minted 007 token for the given issue time and salt is the published SPEC token",
     config={"app_id": "970CA35de60c44645bbae8a215061b33", "base_urls": ["https://api.agora.io"]},
     auth={"type": "minted", "app_certificate": "5CFd2fd1755d40ecb72977518be15d3b", "user_id": "test_user", "lifetime_secs": 600, "legacy": False, "now_unix": 1111111, "salt": 1},
     operation="user_events",
     expect={"method": "GET", "url": "https://api.agora.io/dev/v2/project/970CA35de60c44645bbae8a215061b33/rtm/vendor/user_events",
             "headers": {"authorization": "agora token=" + T007}})
case("requests", "agora_default_hosts", "Without a base URL the first host is api.agora.io",
     config={"app_id": "970CA35de60c44645bbae8a215061b33"}, auth=BASIC, operation="channel_events",
     expect={"method": "GET", "url": "https://api.agora.io/dev/v2/project/970CA35de60c44645bbae8a215061b33/rtm/vendor/channel_events"})
case("requests", "mainland_china_hosts", "In mainland China the first host is api.sd-rtn.com",
     config={"app_id": "demo", "area": "mainland_china"}, auth=BASIC, operation="user_events",
     expect={"method": "GET", "url": "https://api.sd-rtn.com/dev/v2/project/demo/rtm/vendor/user_events"})
case("requests", "base_url_with_prefix", "A proxy base URL keeps its path prefix; a trailing slash is dropped",
     config={"app_id": "demo", "base_urls": ["https://proxy.example.com/agora/"]}, auth=BASIC, operation="user_events",
     expect={"method": "GET", "url": "https://proxy.example.com/agora/dev/v2/project/demo/rtm/vendor/user_events"})
case("requests", "refuse_plain_http_remote", "Plain http to a non-loopback host is refused before anything is sent",
     config={"app_id": "demo", "base_urls": ["http://api.example.com"]}, auth=BASIC, operation="user_events",
     expect={"error": {"kind": "invalid_input", "field": "base_url"}})
case("requests", "allow_plain_http_opt_in", "Plain http to a non-loopback host works when explicitly allowed",
     config={"app_id": "demo", "base_urls": ["http://proxy.internal:8080"], "allow_insecure_http": True}, auth=BASIC, operation="user_events",
     expect={"method": "GET", "url": "http://proxy.internal:8080/dev/v2/project/demo/rtm/vendor/user_events"})
case("requests", "refuse_bad_app_id", "An app id with spaces or slashes is refused",
     config={"app_id": "bad/app id", "base_urls": ["http://127.0.0.1:8080"]}, auth=BASIC, operation="user_events",
     expect={"error": {"kind": "invalid_input", "field": "app_id"}})
case("requests", "refuse_empty_secret", "Basic auth needs a non-empty secret",
     config=LOCAL, auth={"type": "basic", "customer_id": "customer", "customer_secret": ""}, operation="user_events",
     expect={"error": {"kind": "invalid_input", "field": "customer_secret"}})
case("requests", "refuse_colon_customer_id", "A customer id cannot contain ':' (it would break Basic auth)",
     config=LOCAL, auth={"type": "basic", "customer_id": "a:b", "customer_secret": "x"}, operation="user_events",
     expect={"error": {"kind": "invalid_input", "field": "customer_id"}})

# ---------------- responses ----------------
def resp(status, body, headers=None):
    r = {"status": status, "body": body if isinstance(body, str) else json.dumps(body)}
    if headers: r["headers"] = headers
    return r
ue = lambda u, t, ms: {"user_id": u, "kind": t, "ms": ms}
ce = lambda c, u, t, ms: {"channel_id": c, "user_id": u, "kind": t, "ms": ms}
case("responses", "user_events_current", "Current field names (ms)",
     operation="user_events", response=resp(200, {"result": "success", "request_id": "10116762670167749259", "events": [{"user_id": "u1", "type": "Login", "ms": 1578027420761}, {"user_id": "u1", "type": "Logout", "ms": 1578027420800}]}),
     expect={"ok": {"request_id": "10116762670167749259", "events": [ue("u1", "Login", 1578027420761), ue("u1", "Logout", 1578027420800)]}})
case("responses", "user_events_legacy_ts", "The seed's field name ts",
     operation="user_events", response=resp(200, {"result": "success", "request_id": "1", "events": [{"user_id": "u1", "type": "Login", "ts": 1578027420761}]}),
     expect={"ok": {"request_id": "1", "events": [ue("u1", "Login", 1578027420761)]}})
case("responses", "channel_events_current", "Current field names (group_id, ms) and a request id that overflows 64 bits",
     operation="channel_events", response=resp(200, {"result": "success", "request_id": "165454_13306870108610070770", "events": [{"group_id": "ch1", "user_id": "u1", "type": "Join", "ms": 1578027418981}]}),
     expect={"ok": {"request_id": "165454_13306870108610070770", "events": [ce("ch1", "u1", "Join", 1578027418981)]}})
case("responses", "channel_events_legacy", "The seed's field names channel_id and ts",
     operation="channel_events", response=resp(200, {"result": "success", "request_id": "2", "events": [{"channel_id": "example_channel_id", "user_id": "u2", "type": "Leave", "ts": 1578027418981}]}),
     expect={"ok": {"request_id": "2", "events": [ce("example_channel_id", "u2", "Leave", 1578027418981)]}})
case("responses", "unknown_event_type", "Unknown event types are kept verbatim, unknown fields ignored",
     operation="channel_events", response=resp(200, {"result": "success", "request_id": "3", "extra": {"x": 1}, "events": [{"group_id": "c", "user_id": "u", "type": "Kicked", "ms": 5, "reason": "admin"}]}),
     expect={"ok": {"request_id": "3", "events": [ce("c", "u", "Kicked", 5)]}})
case("responses", "unknown_user_event_type", "Unknown user event types are kept as other",
     operation="user_events", response=resp(200, {"result": "success", "request_id": "3", "events": [{"user_id": "u", "type": "Reconnect", "ms": 5}]}),
     expect={"ok": {"request_id": "3", "events": [ue("u", "Reconnect", 5)]}})
case("responses", "empty_page", "No events",
     operation="user_events", response=resp(200, {"result": "success", "request_id": "4", "events": []}),
     expect={"ok": {"request_id": "4", "events": []}})
case("responses", "numeric_request_id", "A numeric request id is accepted and kept as text",
     operation="user_events", response=resp(200, '{"result":"success","request_id":12345,"events":[]}'),
     expect={"ok": {"request_id": "12345", "events": []}})
case("responses", "result_failed_on_200", "result: failed on a 200 is a decode error",
     operation="user_events", response=resp(200, {"result": "failed", "request_id": "5"}),
     expect={"error": {"kind": "decode", "status": 200, "request_id": "5"}})
case("responses", "non_json_gateway_page", "An HTML page on a 200 is a decode error",
     operation="user_events", response=resp(200, "<html><body>Bad Gateway</body></html>"),
     expect={"error": {"kind": "decode", "status": 200, "message_contains": "not JSON"}})
case("responses", "truncated_json", "A truncated body is a decode error",
     operation="channel_events", response=resp(200, '{"result":"success","request_id":"6","events":[{"group_id":"c","user_id":"u","type":"Jo'),
     expect={"error": {"kind": "decode", "status": 200}})
case("responses", "wrong_type_ms", "ms as a string is a decode error",
     operation="user_events", response=resp(200, '{"result":"success","request_id":"7","events":[{"user_id":"u","type":"Login","ms":"1"}]}'),
     expect={"error": {"kind": "decode", "status": 200}})
case("responses", "wrong_type_events", "events that is not an array is a decode error",
     operation="user_events", response=resp(200, '{"result":"success","request_id":"7","events":{"user_id":"u"}}'),
     expect={"error": {"kind": "decode", "status": 200}})
case("responses", "missing_events", "A success without events is a decode error",
     operation="user_events", response=resp(200, '{"result":"success","request_id":"8"}'),
     expect={"error": {"kind": "decode", "status": 200, "request_id": "8"}})
case("responses", "missing_time", "An event with neither ms nor ts is a decode error",
     operation="channel_events", response=resp(200, '{"result":"success","request_id":"9","events":[{"group_id":"c","user_id":"u","type":"Join"}]}'),
     expect={"error": {"kind": "decode", "status": 200, "request_id": "9"}})
case("responses", "oversized_body", "A body over the configured cap is refused",
     config={"max_body_bytes": 64}, operation="user_events",
     response=resp(200, json.dumps({"result": "success", "request_id": "10", "events": [{"user_id": "u%03d" % i, "type": "Login", "ms": i} for i in range(10)]})),
     expect={"error": {"kind": "decode", "status": 200, "message_contains": "exceeds"}})
case("responses", "error_400", "400 is an API error",
     operation="user_events", response=resp(400, {"message": "bad request"}),
     expect={"error": {"kind": "api", "status": 400, "message_contains": "bad request"}})
case("responses", "error_404", "404 is an API error",
     operation="user_events", response=resp(404, "Not Found"),
     expect={"error": {"kind": "api", "status": 404}})
case("responses", "error_401_invalid_token", "401 with {message: invalid token} is an auth error naming the cause",
     operation="user_events", response=resp(401, {"message": "invalid token"}),
     expect={"error": {"kind": "auth", "status": 401, "message_contains": "invalid token"}})
case("responses", "error_403_result_failed", "403 with a result: failed body is an auth error",
     operation="channel_events", response=resp(403, {"result": "failed", "request_id": "11", "message": "app id invalid"}),
     expect={"error": {"kind": "auth", "status": 403, "request_id": "11", "message_contains": "app id invalid"}})
case("responses", "error_408", "408 is a server timeout",
     operation="user_events", response=resp(408, {"result": "failed", "request_id": "12"}),
     expect={"error": {"kind": "server_timeout", "status": 408, "request_id": "12"}})
case("responses", "error_429_retry_after", "429 with Retry-After carries the delay",
     operation="user_events", response=resp(429, {"message": "Too Many Requests"}, {"Retry-After": "3"}),
     expect={"error": {"kind": "rate_limited", "status": 429, "retry_after_ms": 3000}})
case("responses", "error_429_plain", "429 without Retry-After",
     operation="user_events", response=resp(429, "Too Many Requests"),
     expect={"error": {"kind": "rate_limited", "status": 429, "retry_after_ms": None}})
case("responses", "error_500_errorcode", "500 with {errorCode, reason}",
     operation="user_events", response=resp(500, {"errorCode": 500, "reason": "Sync Server Error"}),
     expect={"error": {"kind": "server", "status": 500, "message_contains": "Sync Server Error"}})
case("responses", "error_503_html", "503 with a gateway HTML page",
     operation="channel_events", response=resp(503, "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"),
     expect={"error": {"kind": "server", "status": 503, "body_contains": "503 Service Temporarily Unavailable"}})
case("responses", "error_camel_request_id", "requestId (camelCase) is read as the request id",
     operation="user_events", response=resp(500, {"errorCode": 500, "requestId": "1121_1234231", "reason": "x"}),
     expect={"error": {"kind": "server", "status": 500, "request_id": "1121_1234231"}})

# ---------------- flows ----------------
ok_body = lambda rid, n=0: json.dumps({"result": "success", "request_id": rid, "events": [{"user_id": f"u{i}", "type": "Login", "ms": 1000 + i} for i in range(n)]})
NORETRY_JITTER = {"max_attempts": 5, "base_delay_ms": 500, "max_delay_ms": 10000, "max_elapsed_ms": 30000, "max_retry_after_ms": 60000, "sticky_fallback_ms": 300000}
FAST = {"limit": 1000, "window_ms": 1000}  # fast enough that the limiter never shows in retry flows
def flow(name, desc, config, steps, report=None, seed=1, auth=BASIC):
    kw = {"config": config, "auth": auth, "seed": seed, "steps": steps}
    if report: kw["expect_report"] = report
    case("flows", name, desc, **kw)
cfg = dict(LOCAL, retry=NORETRY_JITTER, rate_limit=FAST)
flow("retry_408_then_success", "A 408 is retried on the same host after a jittered back-off within the first cap (500 ms)", cfg, [
    {"call": "start", "operation": "user_events", "now_ms": 0, "expect": {"send": {"url": U}}},
    {"call": "response", "now_ms": 20, "response": resp(408, ""), "expect": {"wait": {"min_ms": 0, "max_ms": 500}}},
    {"call": "wait_elapsed", "after_wait": True, "expect": {"send": {"url": U}}},
    {"call": "response", "after_ms": 20, "response": resp(200, ok_body("r2", 2)), "expect": {"done": {"ok": {"request_id": "r2", "event_count": 2}}}},
], report={"attempts": 2, "possibly_lost": 0})
flow("retry_429_retry_after", "A 429 with Retry-After: 2 waits at least 2 s (the limiter is paused for everyone) and then succeeds", cfg, [
    {"call": "start", "operation": "channel_events", "now_ms": 0, "expect": {"send": {"url": C}}},
    {"call": "response", "now_ms": 10, "response": resp(429, {"message": "Too Many Requests"}, {"Retry-After": "2"}), "expect": {"wait": {"min_ms": 2000, "max_ms": 2000}}},
    {"call": "wait_elapsed", "after_wait": True, "expect": {"send": {"url": C}}},
    {"call": "response", "after_ms": 10, "response": resp(200, json.dumps({"result": "success", "request_id": "r", "events": []})), "expect": {"done": {"ok": {"request_id": "r", "event_count": 0}}}},
], report={"attempts": 2, "server_rate_limited": 1})
flow("no_retry_on_401", "A 401 ends the exchange at once", cfg, [
    {"call": "start", "operation": "user_events", "now_ms": 0, "expect": {"send": {"url": U}}},
    {"call": "response", "now_ms": 10, "response": resp(401, {"message": "invalid token"}), "expect": {"done": {"error": {"kind": "auth", "status": 401}}}},
], report={"attempts": 1})
flow("no_retry_on_400", "A 400 ends the exchange at once", cfg, [
    {"call": "start", "operation": "user_events", "now_ms": 0, "expect": {"send": {"url": U}}},
    {"call": "response", "now_ms": 10, "response": resp(400, {"message": "bad"}), "expect": {"done": {"error": {"kind": "api", "status": 400}}}},
], report={"attempts": 1})
flow("no_retry_on_decode_error", "A 200 that cannot be decoded is not retried and is flagged (its events are gone)", cfg, [
    {"call": "start", "operation": "user_events", "now_ms": 0, "expect": {"send": {"url": U}}},
    {"call": "response", "now_ms": 10, "response": resp(200, "<html>oops</html>"), "expect": {"done": {"error": {"kind": "decode"}}}},
], report={"attempts": 1, "undecodable_success": True})
flow("give_up_after_max_attempts", "Five 503s in a row end with the server error", dict(cfg, retry=dict(NORETRY_JITTER, base_delay_ms=1, max_delay_ms=1)), [
    {"call": "start", "operation": "user_events", "now_ms": 0, "expect": {"send": {"url": U}}},
    {"call": "response", "now_ms": 10, "response": resp(503, "x"), "expect": {"wait": {"min_ms": 0, "max_ms": 1}}},
    {"call": "wait_elapsed", "after_wait": True, "expect": {"send": {"url": U}}},
    {"call": "response", "after_ms": 10, "response": resp(503, "x"), "expect": {"wait": {"min_ms": 0, "max_ms": 1}}},
    {"call": "wait_elapsed", "after_wait": True, "expect": {"send": {"url": U}}},
    {"call": "response", "after_ms": 10, "response": resp(503, "x"), "expect": {"wait": {"min_ms": 0, "max_ms": 1}}},
    {"call": "wait_elapsed", "after_wait": True, "expect": {"send": {"url": U}}},
    {"call": "response", "after_ms": 10, "response": resp(503, "x"), "expect": {"wait": {"min_ms": 0, "max_ms": 1}}},
    {"call": "wait_elapsed", "after_wait": True, "expect": {"send": {"url": U}}},
    {"call": "response", "after_ms": 10, "response": resp(503, "x"), "expect": {"done": {"error": {"kind": "server", "status": 503}}}},
], report={"attempts": 5})
flow("retry_after_too_long", "A Retry-After longer than the policy allows ends the exchange with rate_limited", cfg, [
    {"call": "start", "operation": "user_events", "now_ms": 0, "expect": {"send": {"url": U}}},
    {"call": "response", "now_ms": 10, "response": resp(429, "", {"Retry-After": "3600"}), "expect": {"done": {"error": {"kind": "rate_limited", "retry_after_ms": 3600000}}}},
])
P = "https://api.agora.io/dev/v2/project/demo/rtm/vendor/user_events"
A = "https://api.sd-rtn.com/dev/v2/project/demo/rtm/vendor/user_events"
R1 = "https://api-eu-west-1.agora.io/dev/v2/project/demo/rtm/vendor/user_events"
R2 = "https://api-us-west-1.agora.io/dev/v2/project/demo/rtm/vendor/user_events"
fo = {"app_id": "demo", "area": "global", "regions": ["eu-west-1", "us-west-1"], "retry": dict(NORETRY_JITTER, base_delay_ms=1, max_delay_ms=1), "rate_limit": FAST}
flow("failover_dns", "DNS failures walk Agora's order: same host, other suffix, then regional hosts", fo, [
    {"call": "start", "operation": "user_events", "now_ms": 0, "expect": {"send": {"url": P}}},
    {"call": "transport_error", "kind": "dns", "now_ms": 5, "expect": {"wait": {"min_ms": 0, "max_ms": 1}}},
    {"call": "wait_elapsed", "after_wait": True, "expect": {"send": {"url": P}}},
    {"call": "transport_error", "kind": "dns", "after_ms": 5, "expect": {"wait": {"min_ms": 0, "max_ms": 1}}},
    {"call": "wait_elapsed", "after_wait": True, "expect": {"send": {"url": A}}},
    {"call": "transport_error", "kind": "dns", "after_ms": 5, "expect": {"wait": {"min_ms": 0, "max_ms": 1}}},
    {"call": "wait_elapsed", "after_wait": True, "expect": {"send": {"url": R1}}},
    {"call": "response", "after_ms": 5, "response": resp(200, ok_body("r", 1)), "expect": {"done": {"ok": {"request_id": "r", "event_count": 1}}}},
], report={"attempts": 4, "possibly_lost": 0})
flow("failover_network_skips_suffix", "After a connect (non-DNS) error the alternate suffix is skipped", fo, [
    {"call": "start", "operation": "user_events", "now_ms": 0, "expect": {"send": {"url": P}}},
    {"call": "transport_error", "kind": "connect", "now_ms": 5, "expect": {"wait": {"min_ms": 0, "max_ms": 1}}},
    {"call": "wait_elapsed", "after_wait": True, "expect": {"send": {"url": P}}},
    {"call": "transport_error", "kind": "connect", "after_ms": 5, "expect": {"wait": {"min_ms": 0, "max_ms": 1}}},
    {"call": "wait_elapsed", "after_wait": True, "expect": {"send": {"url": R1}}},
    {"call": "response", "after_ms": 5, "response": resp(200, ok_body("r", 0)), "expect": {"done": {"ok": {"event_count": 0}}}},
], report={"attempts": 3, "possibly_lost": 0})
flow("sticky_fallback", "After a fallback host worked, the next exchange starts there until the sticky period ends",
     dict(fo, retry=dict(fo["retry"], sticky_fallback_ms=60000)), [
    {"exchange": 0, "call": "start", "operation": "user_events", "now_ms": 0, "expect": {"send": {"url": P}}},
    {"exchange": 0, "call": "transport_error", "kind": "dns", "now_ms": 5, "expect": {"wait": {"min_ms": 0, "max_ms": 1}}},
    {"exchange": 0, "call": "wait_elapsed", "after_wait": True, "expect": {"send": {"url": P}}},
    {"exchange": 0, "call": "transport_error", "kind": "dns", "after_ms": 5, "expect": {"wait": {"min_ms": 0, "max_ms": 1}}},
    {"exchange": 0, "call": "wait_elapsed", "after_wait": True, "expect": {"send": {"url": A}}},
    {"exchange": 0, "call": "response", "now_ms": 100, "response": resp(200, ok_body("a", 0)), "expect": {"done": {"ok": {"event_count": 0}}}},
    {"exchange": 1, "call": "start", "operation": "user_events", "now_ms": 2000, "expect": {"send": {"url": A}}},
    {"exchange": 1, "call": "response", "now_ms": 2010, "response": resp(200, ok_body("b", 0)), "expect": {"done": {"ok": {"event_count": 0}}}},
    {"exchange": 2, "call": "start", "operation": "user_events", "now_ms": 61000, "expect": {"send": {"url": P}}},
    {"exchange": 2, "call": "response", "now_ms": 61010, "response": resp(200, ok_body("c", 0)), "expect": {"done": {"ok": {"event_count": 0}}}},
])
flow("custom_hosts_failover", "With two custom base URLs (two emulator regions): same host once, then the second", dict(cfg, base_urls=["http://127.0.0.1:8080", "http://127.0.0.1:8081"], retry=dict(NORETRY_JITTER, base_delay_ms=1, max_delay_ms=1)), [
    {"call": "start", "operation": "channel_events", "now_ms": 0, "expect": {"send": {"url": C}}},
    {"call": "response", "now_ms": 5, "response": resp(500, "x"), "expect": {"wait": {"min_ms": 0, "max_ms": 1}}},
    {"call": "wait_elapsed", "after_wait": True, "expect": {"send": {"url": C}}},
    {"call": "response", "after_ms": 5, "response": resp(502, "x"), "expect": {"wait": {"min_ms": 0, "max_ms": 1}}},
    {"call": "wait_elapsed", "after_wait": True, "expect": {"send": {"url": C.replace("8080", "8081")}}},
    {"call": "response", "after_ms": 5, "response": resp(200, json.dumps({"result": "success", "request_id": "x", "events": []})), "expect": {"done": {"ok": {"event_count": 0}}}},
], report={"attempts": 3})
flow("lost_response_counted", "A timeout after sending a destructive read is retried and counted as possibly lost", dict(cfg, retry=dict(NORETRY_JITTER, base_delay_ms=1, max_delay_ms=1)), [
    {"call": "start", "operation": "user_events", "now_ms": 0, "expect": {"send": {"url": U}}},
    {"call": "transport_error", "kind": "interrupted", "now_ms": 5, "expect": {"wait": {"min_ms": 0, "max_ms": 1}}},
    {"call": "wait_elapsed", "after_wait": True, "expect": {"send": {"url": U}}},
    {"call": "transport_error", "kind": "timeout", "after_ms": 5, "expect": {"wait": {"min_ms": 0, "max_ms": 1}}},
    {"call": "wait_elapsed", "after_wait": True, "expect": {"send": {"url": U}}},
    {"call": "response", "after_ms": 5, "response": resp(200, ok_body("r", 3)), "expect": {"done": {"ok": {"event_count": 3}}}},
], report={"attempts": 3, "possibly_lost": 2})
# rate limiter: 3 per second, spread evenly (one every 333.3 ms), shared by both feeds
rl = dict(LOCAL, retry=NORETRY_JITTER, rate_limit={"limit": 3, "window_ms": 1000})
steps = [
    {"exchange": 0, "call": "start", "operation": "user_events", "now_ms": 0, "expect": {"send": {"url": U}}},
    {"exchange": 1, "call": "start", "operation": "channel_events", "now_ms": 0, "expect": {"wait": {"min_ms": 332, "max_ms": 333}}},
    {"exchange": 1, "call": "wait_elapsed", "now_ms": 334, "expect": {"send": {"url": C}}},
    {"exchange": 2, "call": "start", "operation": "user_events", "now_ms": 500, "expect": {"wait": {"min_ms": 165, "max_ms": 167}}},
    {"exchange": 2, "call": "wait_elapsed", "now_ms": 668, "expect": {"send": {"url": U}}},
    {"exchange": 3, "call": "start", "operation": "channel_events", "now_ms": 700, "expect": {"wait": {"min_ms": 299, "max_ms": 301}}},
    {"exchange": 3, "call": "wait_elapsed", "now_ms": 1002, "expect": {"send": {"url": C}}},
]
for i in range(4):
    steps.append({"exchange": i, "call": "response", "now_ms": 1100, "response": resp(200, ok_body(f"r{i}", 0)), "expect": {"done": {"ok": {"event_count": 0}}}})
flow("rate_limit_wait", "The client-side limiter (here 3/s, shared by both feeds) spreads requests one third of a second apart instead of drawing a 429", rl, steps)
steps = [
    {"exchange": 0, "call": "start", "operation": "user_events", "now_ms": 0, "expect": {"send": {"url": U}}},
    {"exchange": 0, "call": "response", "now_ms": 10, "response": resp(429, "", {"Retry-After": "1"}), "expect": {"wait": {"min_ms": 1000, "max_ms": 1000}}},
    {"exchange": 1, "call": "start", "operation": "channel_events", "now_ms": 20, "expect": {"wait": {"min_ms": 990, "max_ms": 990}}},
    {"exchange": 1, "call": "wait_elapsed", "now_ms": 1010, "expect": {"send": {"url": C}}},
    {"exchange": 1, "call": "response", "now_ms": 1020, "response": resp(200, ok_body("c", 0)), "expect": {"done": {"ok": {"event_count": 0}}}},
]
flow("server_429_pauses_everyone", "A 429 pauses the shared limiter, so another feed's request waits too", cfg, steps)

# ---------------- messages and history (SPEC sections 4-6) ----------------
PROJ = "http://127.0.0.1:8080/dev/v2/project/demo"
CT = {"content-type": "application/json;charset=utf-8"}
def peer(**kw): return dict({"name": "send_peer_message", "from": "server", "to": "alice", "payload": "hello"}, **kw)
def chan(**kw): return dict({"name": "send_channel_message", "from": "server", "channel": "lobby", "payload": "hello"}, **kw)
T0, T1 = 1564622530, 1564623130  # 2019-08-01T01:22:10Z .. 2019-08-01T01:32:10Z
def hq(name="create_history_query", **kw): return dict({"name": name, "source": "alice", "destination": "bob", "start_time": T0, "end_time": T1}, **kw)
def v2(name="history_v2", **kw): return dict({"name": name, "user_id": "server", "channel_type": "message", "channel": "lobby"}, **kw)
V2URL = "http://127.0.0.1:8080/rtm/v2/history/demo/userId/server/channelType/message/channel/lobby"

case("requests", "send_peer_message", "A peer message is a POST with wait_for_ack in the query and the documented body",
     config=LOCAL, auth=BASIC, operation=peer(wait_for_ack=True, store_in_history=True),
     expect={"method": "POST", "url": PROJ + "/rtm/users/server/peer_messages?wait_for_ack=true", "headers": dict(CT, authorization=B("customer:s3cret")),
             "body": {"destination": "alice", "payload": "hello", "enable_offline_messaging": False, "enable_historical_messaging": True}})
case("requests", "send_peer_message_encodes_user", "User ids with spaces and '#' or '?' are percent-encoded in the path",
     config=LOCAL, auth=BASIC, operation=peer(**{"from": "a b#c?d"}),
     expect={"method": "POST", "url": PROJ + "/rtm/users/a%20b%23c%3Fd/peer_messages?wait_for_ack=false"})
case("requests", "send_channel_message", "A channel message is a POST with channel_name in the body",
     config=LOCAL, auth={"type": "token", "token": T007}, operation=chan(),
     expect={"method": "POST", "url": PROJ + "/rtm/users/server/channel_messages", "headers": dict(CT, authorization="agora token=" + T007),
             "body": {"channel_name": "lobby", "payload": "hello", "enable_historical_messaging": False}})
case("requests", "create_history_query", "A legacy history query sends UTC ISO-8601 times and always sends order",
     config=LOCAL, auth=BASIC, operation=hq(limit=50, order="desc", offset=100),
     expect={"method": "POST", "url": PROJ + "/rtm/message/history/query", "headers": CT,
             "body": {"filter": {"source": "alice", "destination": "bob", "start_time": "2019-08-01T01:22:10Z", "end_time": "2019-08-01T01:32:10Z"},
                      "offset": 100, "limit": 50, "order": "desc"}})
case("requests", "create_history_query_destination_only", "A channel is only ever a destination; the absent source is not sent",
     config=LOCAL, auth=BASIC, operation={"name": "create_history_query", "destination": "lobby", "start_time": T0, "end_time": T1},
     expect={"method": "POST", "url": PROJ + "/rtm/message/history/query",
             "body": {"filter": {"destination": "lobby", "start_time": "2019-08-01T01:22:10Z", "end_time": "2019-08-01T01:32:10Z"}, "offset": 0, "limit": 20, "order": "asc"}})
case("requests", "fetch_history_query", "A handle with '+' and '=' is kept in the path",
     config=LOCAL, auth=BASIC, operation={"name": "fetch_history_query", "handle": "aGVsbG8+d29ybGQ="},
     expect={"method": "GET", "url": PROJ + "/rtm/message/history/query/aGVsbG8+d29ybGQ=", "body": None})
case("requests", "count_history", "The count sends the filter as percent-encoded query parameters",
     config=LOCAL, auth=BASIC, operation=hq("count_history_once", source="a&b"),
     expect={"method": "GET", "url": PROJ + "/rtm/message/history/count?source=a%26b&destination=bob&start_time=2019-08-01T01:22:10Z&end_time=2019-08-01T01:32:10Z"})
case("requests", "history_v2", "Signaling 2.x history is below the host root, not the project base URL",
     config=LOCAL, auth={"type": "token", "token": T007}, operation=v2(start=1700000000500, end=1700000000000, message_count=20),
     expect={"method": "GET", "url": V2URL + "?start=1700000000500&end=1700000000000&messageCount=20", "headers": {"authorization": "agora token=" + T007}, "body": None})
case("requests", "history_v2_peer", "channelType user reads the peer conversation with another user",
     config={"app_id": "demo", "area": "mainland_china"}, auth=BASIC, operation=v2(channel_type="user", channel="alice"),
     expect={"method": "GET", "url": "https://api.sd-rtn.com/rtm/v2/history/demo/userId/server/channelType/user/channel/alice?messageCount=100"})
case("requests", "history_v2_documented_host", "With Agora's global hosts, Signaling 2.x history goes to the documented api.sd-rtn.com first",
     config={"app_id": "demo"}, auth=BASIC, operation=v2(),
     expect={"method": "GET", "url": "https://api.sd-rtn.com/rtm/v2/history/demo/userId/server/channelType/message/channel/lobby?messageCount=100"})
flow("history_v2_fails_over_to_agora_io", "Signaling 2.x history fails over from api.sd-rtn.com to api.agora.io (the suffixes swapped), then regional hosts",
     {"app_id": "demo", "regions": ["eu-west-1"], "retry": dict(NORETRY_JITTER, base_delay_ms=1, max_delay_ms=1), "family_limits": {"history_v2": FAST}}, [
    {"call": "start", "operation": v2(), "now_ms": 0, "expect": {"send": {"url": "https://api.sd-rtn.com/rtm/v2/history/demo/userId/server/channelType/message/channel/lobby?messageCount=100"}}},
    {"call": "transport_error", "kind": "dns", "now_ms": 5, "expect": {"wait": {"min_ms": 0, "max_ms": 1}}},
    {"call": "wait_elapsed", "after_wait": True, "expect": {"send": {"url": "https://api.sd-rtn.com/rtm/v2/history/demo/userId/server/channelType/message/channel/lobby?messageCount=100"}}},
    {"call": "transport_error", "kind": "dns", "after_ms": 5, "expect": {"wait": {"min_ms": 0, "max_ms": 1}}},
    {"call": "wait_elapsed", "after_wait": True, "expect": {"send": {"url": "https://api.agora.io/rtm/v2/history/demo/userId/server/channelType/message/channel/lobby?messageCount=100"}}},
    {"call": "transport_error", "kind": "dns", "after_ms": 5, "expect": {"wait": {"min_ms": 0, "max_ms": 1}}},
    {"call": "wait_elapsed", "after_wait": True, "expect": {"send": {"url": "https://api-eu-west-1.agora.io/rtm/v2/history/demo/userId/server/channelType/message/channel/lobby?messageCount=100"}}},
])
# every validation rule, refused before any request
refusals = [
    ("refuse_empty_sender", "An empty sender", peer(**{"from": ""}), "from"),
    ("refuse_long_receiver", "A receiver of 65 characters", peer(to="a" * 65), "to"),
    ("refuse_bad_character", "A character outside the allowed set ('/')", chan(channel="a/b"), "channel"),
    ("refuse_non_ascii", "A non-ASCII character", peer(to="zoë"), "to"),
    ("refuse_leading_space", "A leading space", peer(to=" alice"), "to"),
    ("refuse_trailing_space", "A trailing space", chan(channel="lobby "), "channel"),
    ("refuse_empty_payload", "An empty payload", peer(payload=""), "payload"),
    ("refuse_oversized_payload", "A payload over 32 KB", chan(payload="x" * (32 * 1024 + 1)), "payload"),
    ("refuse_history_no_party", "A history query with neither source nor destination", {"name": "create_history_query", "start_time": T0, "end_time": T1}, "source"),
    ("refuse_history_bad_source", "A history source breaking the id rules", hq(source="bad/id"), "source"),
    ("refuse_history_start_after_end", "start_time after end_time", hq(start_time=T1, end_time=T0), "start_time"),
    ("refuse_history_milliseconds", "Times given in milliseconds (year > 9999)", hq(start_time=T0 * 1000, end_time=T1 * 1000), "end_time"),
    ("refuse_history_limit", "A limit other than 20, 50 or 100", hq(limit=30), "limit"),
    ("refuse_history_order", "An order other than asc or desc", hq(order="newest"), "order"),
    ("refuse_v2_message_count_zero", "messageCount 0", v2(message_count=0), "message_count"),
    ("refuse_v2_message_count_101", "messageCount over 100", v2(message_count=101), "message_count"),
    ("refuse_v2_end_after_start", "end after start (history is read backwards)", v2(start=10, end=20), "end"),
    ("refuse_v2_channel_type", "A channel type other than message or user", v2(channel_type="group"), "channel_type"),
    ("refuse_v2_bad_user", "A v2 user id breaking the id rules", v2(user_id=""), "user_id"),
]
for name, desc, op, field in refusals:
    case("requests", name, desc + " is refused before anything is sent, naming the field",
         config=LOCAL, auth=BASIC, operation=op, expect={"error": {"kind": "invalid_input", "field": field}})

ok = lambda **kw: json.dumps(dict({"result": "success"}, **kw))
case("responses", "peer_delivered", "wait_for_ack to an online user: message_delivered",
     operation=peer(wait_for_ack=True), response=resp(200, ok(request_id="r1", code="message_delivered")),
     expect={"ok": {"request_id": "r1", "outcome": "message_delivered"}})
case("responses", "peer_offline_without_result", "An offline receiver may come back without result",
     operation=peer(wait_for_ack=True), response=resp(200, json.dumps({"request_id": "r2", "code": "message_offline"})),
     expect={"ok": {"request_id": "r2", "outcome": "message_offline"}})
case("responses", "peer_offline_legacy_code", "The older peer_offline code means message_offline",
     operation=peer(wait_for_ack=True), response=resp(200, ok(request_id="r3", code="peer_offline")),
     expect={"ok": {"outcome": "message_offline"}})
case("responses", "channel_sent_without_code", "A channel message answer may lack code: message_sent",
     operation=chan(), response=resp(200, ok(request_id="r4")),
     expect={"ok": {"request_id": "r4", "outcome": "message_sent"}})
case("responses", "message_result_failed", "result failed on a 200 is a decode error",
     operation=chan(), response=resp(200, json.dumps({"result": "failed", "request_id": "r5"})),
     expect={"error": {"kind": "decode", "status": 200, "request_id": "r5"}})
case("responses", "message_401_wrong_user", "A 401 for a token of another user is an auth error",
     operation=peer(), response=resp(401, json.dumps({"message": "invalid token"})),
     expect={"error": {"kind": "auth", "status": 401, "message_contains": "invalid token"}})
case("responses", "history_created", "The handle is taken from location",
     operation=hq(), response=resp(200, ok(offset=0, limit=20, order="asc", location="~/rtm/message/history/query/YWJj+ZA==")),
     expect={"ok": {"handle": "YWJj+ZA=="}})
case("responses", "history_created_without_location", "A created query without location is a decode error",
     operation=hq(), response=resp(200, ok(offset=0)),
     expect={"error": {"kind": "decode", "message_contains": "handle"}})
M = [{"src": "alice", "dst": "bob", "message_type": "peer_message", "payload": "hi", "ms": 1564622531000},
     {"src": "alice", "dst": "lobby", "message_type": "channel_message", "payload": "all", "ms": 1564622532000}]
case("responses", "history_in_progress", "code in progress: not ready yet",
     operation={"name": "fetch_history_query", "handle": "h"}, response=resp(200, ok(code="in progress", messages=[])),
     expect={"ok": {"code": "in progress"}})
case("responses", "history_ok", "code ok: the messages, with their kinds",
     operation={"name": "fetch_history_query", "handle": "h"}, response=resp(200, ok(code="ok", messages=M)),
     expect={"ok": {"code": "ok", "messages": M}})
case("responses", "history_expired_410", "410: the handle expired (an API error with status 410)",
     operation={"name": "fetch_history_query", "handle": "h"}, response=resp(410, json.dumps({"result": "failed", "message": "query expired"})),
     expect={"error": {"kind": "api", "status": 410, "message_contains": "expired"}})
case("responses", "history_unknown_code", "An unknown code is a decode error",
     operation={"name": "fetch_history_query", "handle": "h"}, response=resp(200, ok(code="queued")),
     expect={"error": {"kind": "decode"}})
case("responses", "count_in_progress", "A count may be in progress",
     operation=hq("count_history_once"), response=resp(200, ok(code="in progress")),
     expect={"ok": {"code": "in progress"}})
case("responses", "count_ok", "A count",
     operation=hq("count_history_once"), response=resp(200, ok(code="ok", count=123)),
     expect={"ok": {"code": "ok", "count": 123}})
V2M = [{"messageType": "STRING", "message": "Hello", "customType": "text", "publisher": "Tony", "timestamp": 1234567890},
       {"messageType": "BINARY", "message": "AAH/", "customType": "", "publisher": "Ann", "timestamp": 1234567880}]
v2env = lambda data, **kw: json.dumps(dict({"errorCode": 200, "error": False, "requestId": "1121_1234231", "operation": "getMessage", "reason": "", "timestamp": 1234567, "data": data}, **kw))
case("responses", "history_v2_page", "STRING and BINARY messages; BINARY is base64 (kept normalised as base64 here); newStart continues",
     operation=v2(), response=resp(200, v2env({"messageList": V2M, "count": 2, "newStart": 1234567870})),
     expect={"ok": {"request_id": "1121_1234231", "new_start": 1234567870, "messages": [
         {"publisher": "Tony", "timestamp": 1234567890, "custom_type": "text", "message_type": "STRING", "message": "Hello"},
         {"publisher": "Ann", "timestamp": 1234567880, "custom_type": None, "message_type": "BINARY", "message": "AAH/"}]}})
case("responses", "history_v2_last_page", "newStart 0 means there is no further page",
     operation=v2(), response=resp(200, v2env({"messageList": [], "count": 0, "newStart": 0})),
     expect={"ok": {"new_start": None, "messages": []}})
case("responses", "history_v2_error_on_200", "An error envelope on a 200 is classified by its errorCode",
     operation=v2(), response=resp(200, json.dumps({"data": None, "error": True, "errorCode": 500, "reason": "Sync Server Error", "requestId": "x1"})),
     expect={"error": {"kind": "server", "status": 500, "request_id": "x1", "message_contains": "Sync Server Error"}})
case("responses", "history_v2_not_enabled", "403: history not enabled for the app id",
     operation=v2(), response=resp(403, json.dumps({"data": None, "error": True, "errorCode": 403, "reason": "history is not enabled"})),
     expect={"error": {"kind": "auth", "status": 403, "message_contains": "not enabled"}})
case("responses", "history_v2_bad_base64", "A BINARY message that is not base64 is a decode error",
     operation=v2(), response=resp(200, v2env({"messageList": [{"messageType": "BINARY", "message": "%%", "publisher": "p", "timestamp": 1}], "newStart": 0})),
     expect={"error": {"kind": "decode", "message_contains": "base64"}})

HQ = PROJ + "/rtm/message/history/query"
hcfg = dict(cfg, family_limits={"legacy_history": FAST, "history_v2": FAST})
created = lambda h: resp(200, ok(offset=0, limit=20, order="asc", location="~/rtm/message/history/query/" + h))
flow("history_in_progress_then_ok", "Legacy history: create, 'in progress' waits 2 s, then the messages", hcfg, [
    {"call": "start", "operation": hq("history_page"), "now_ms": 0, "expect": {"send": {"method": "POST", "url": HQ}}},
    {"call": "response", "now_ms": 10, "response": created("h1=="), "expect": {"send": {"method": "GET", "url": HQ + "/h1=="}}},
    {"call": "response", "now_ms": 20, "response": resp(200, ok(code="in progress", messages=[])), "expect": {"wait": {"min_ms": 2000, "max_ms": 2000}}},
    {"call": "wait_elapsed", "after_wait": True, "expect": {"send": {"method": "GET", "url": HQ + "/h1=="}}},
    {"call": "response", "after_ms": 10, "response": resp(200, ok(code="ok", messages=M)), "expect": {"done": {"ok": {"pages": 1, "messages": M}}}},
])
flow("history_410_recreates", "Legacy history: a 410 (expired handle) creates the query again", hcfg, [
    {"call": "start", "operation": hq("history_page"), "now_ms": 0, "expect": {"send": {"method": "POST", "url": HQ}}},
    {"call": "response", "now_ms": 10, "response": created("old"), "expect": {"send": {"url": HQ + "/old"}}},
    {"call": "response", "now_ms": 20, "response": resp(410, json.dumps({"result": "failed", "message": "query expired"})), "expect": {"send": {"method": "POST", "url": HQ}}},
    {"call": "response", "now_ms": 30, "response": created("new"), "expect": {"send": {"url": HQ + "/new"}}},
    {"call": "response", "now_ms": 40, "response": resp(200, ok(code="ok", messages=M[:1])), "expect": {"done": {"ok": {"message_count": 1}}}},
])
flow("history_gives_up_in_progress", "Legacy history: still 'in progress' past the policy's max wait is a server timeout", hcfg, [
    {"call": "start", "operation": hq("history_page", poll_interval_ms=2000, poll_max_wait_ms=3000), "now_ms": 0, "expect": {"send": {"method": "POST"}}},
    {"call": "response", "now_ms": 10, "response": created("h"), "expect": {"send": {"url": HQ + "/h"}}},
    {"call": "response", "now_ms": 20, "response": resp(200, ok(code="in progress")), "expect": {"wait": {"min_ms": 2000, "max_ms": 2000}}},
    {"call": "wait_elapsed", "after_wait": True, "expect": {"send": {"url": HQ + "/h"}}},
    {"call": "response", "after_ms": 10, "response": resp(200, ok(code="in progress")), "expect": {"done": {"error": {"kind": "server_timeout", "body_contains": "in progress"}}}},
])
page20 = [dict(M[0], ms=1564622531000 + i) for i in range(20)]
flow("history_all_pages", "Legacy history paging: a full page asks for the next offset, a short page ends", hcfg, [
    {"call": "start", "operation": hq("history_all", limit=20), "now_ms": 0, "expect": {"send": {"method": "POST", "body": {"filter": {"source": "alice", "destination": "bob", "start_time": "2019-08-01T01:22:10Z", "end_time": "2019-08-01T01:32:10Z"}, "offset": 0, "limit": 20, "order": "asc"}}}},
    {"call": "response", "now_ms": 10, "response": created("p1"), "expect": {"send": {"url": HQ + "/p1"}}},
    {"call": "response", "now_ms": 20, "response": resp(200, ok(code="ok", messages=page20)), "expect": {"send": {"method": "POST", "body": {"filter": {"source": "alice", "destination": "bob", "start_time": "2019-08-01T01:22:10Z", "end_time": "2019-08-01T01:32:10Z"}, "offset": 20, "limit": 20, "order": "asc"}}}},
    {"call": "response", "now_ms": 30, "response": created("p2"), "expect": {"send": {"url": HQ + "/p2"}}},
    {"call": "response", "now_ms": 40, "response": resp(200, ok(code="ok", messages=M)), "expect": {"done": {"ok": {"pages": 2, "message_count": 22}}}},
])
CQ = PROJ + "/rtm/message/history/count?source=alice&destination=bob&start_time=2019-08-01T01:22:10Z&end_time=2019-08-01T01:32:10Z"
flow("history_count_in_progress_then_ok", "Legacy count: 'in progress' waits and asks again", hcfg, [
    {"call": "start", "operation": hq("count_history"), "now_ms": 0, "expect": {"send": {"method": "GET", "url": CQ}}},
    {"call": "response", "now_ms": 10, "response": resp(200, ok(code="in progress")), "expect": {"wait": {"min_ms": 2000, "max_ms": 2000}}},
    {"call": "wait_elapsed", "after_wait": True, "expect": {"send": {"url": CQ}}},
    {"call": "response", "after_ms": 10, "response": resp(200, ok(code="ok", count=250)), "expect": {"done": {"ok": {"count": 250}}}},
])
v2msg = lambda ts: {"messageType": "STRING", "message": f"m{ts}", "customType": "", "publisher": "p", "timestamp": ts}
flow("history_v2_pages_to_zero", "Signaling 2.x paging: repeat with start = newStart until newStart is 0", hcfg, [
    {"call": "start", "operation": v2("history_v2_all", message_count=2), "now_ms": 0, "expect": {"send": {"url": V2URL + "?messageCount=2"}}},
    {"call": "response", "now_ms": 10, "response": resp(200, v2env({"messageList": [v2msg(50), v2msg(40)], "count": 2, "newStart": 30})), "expect": {"send": {"url": V2URL + "?start=30&messageCount=2"}}},
    {"call": "response", "now_ms": 20, "response": resp(200, v2env({"messageList": [v2msg(30), v2msg(20)], "count": 2, "newStart": 10})), "expect": {"send": {"url": V2URL + "?start=10&messageCount=2"}}},
    {"call": "response", "now_ms": 30, "response": resp(200, v2env({"messageList": [v2msg(10)], "count": 1, "newStart": 0})), "expect": {"done": {"ok": {"pages": 3, "message_count": 5}}}},
])
fam = dict(LOCAL, retry=NORETRY_JITTER, rate_limit={"limit": 1, "window_ms": 1000}, family_limits={"messages": {"limit": 2, "window_ms": 1000}})
flow("rate_limit_per_family", "Each family has its own limiter: messages (here 2/s) do not wait for the event feeds' slot (here 1/s)", fam, [
    {"exchange": 0, "call": "start", "operation": "user_events", "now_ms": 0, "expect": {"send": {"url": U}}},
    {"exchange": 1, "call": "start", "operation": peer(), "now_ms": 0, "expect": {"send": {"method": "POST"}}},
    {"exchange": 2, "call": "start", "operation": chan(), "now_ms": 0, "expect": {"wait": {"min_ms": 499, "max_ms": 500}}},
    {"exchange": 3, "call": "start", "operation": "channel_events", "now_ms": 0, "expect": {"wait": {"min_ms": 999, "max_ms": 1000}}},
])

# Messages are not idempotent: never resent when the service may have acted on them.
mcfg = dict(cfg, retry=dict(NORETRY_JITTER, base_delay_ms=1, max_delay_ms=1), family_limits={"messages": FAST, "history_v2": FAST, "legacy_history": FAST})
PM = PROJ + "/rtm/users/server/peer_messages?wait_for_ack=false"
flow("message_not_resent_after_timeout", "A message whose request timed out after sending may have been delivered: it is not sent again", mcfg, [
    {"call": "start", "operation": peer(), "now_ms": 0, "expect": {"send": {"method": "POST", "url": PM}}},
    {"call": "transport_error", "kind": "timeout", "now_ms": 5, "expect": {"done": {"error": {"kind": "transport"}}}},
], report={"attempts": 1})
flow("message_not_resent_after_500", "A 500 may come after the service acted: the message is not sent again", mcfg, [
    {"call": "start", "operation": chan(), "now_ms": 0, "expect": {"send": {"method": "POST"}}},
    {"call": "response", "now_ms": 5, "response": resp(500, json.dumps({"message": "internal error"})), "expect": {"done": {"error": {"kind": "server", "status": 500}}}},
], report={"attempts": 1})
flow("message_resent_after_connect_error_and_503", "A connection that was never made, a 503 or a 429 prove nothing was delivered: those are retried", mcfg, [
    {"call": "start", "operation": peer(), "now_ms": 0, "expect": {"send": {"method": "POST", "url": PM}}},
    {"call": "transport_error", "kind": "connect", "now_ms": 5, "expect": {"wait": {"min_ms": 0, "max_ms": 1}}},
    {"call": "wait_elapsed", "after_wait": True, "expect": {"send": {"url": PM}}},
    {"call": "response", "after_ms": 5, "response": resp(503, "<html>busy</html>"), "expect": {"wait": {"min_ms": 0, "max_ms": 1}}},
    {"call": "wait_elapsed", "after_wait": True, "expect": {"send": {"url": PM}}},
    {"call": "response", "after_ms": 5, "response": resp(200, ok(request_id="r9", code="message_sent")), "expect": {"done": {"ok": {"request_id": "r9", "outcome": "message_sent"}}}},
], report={"attempts": 3})
flow("history_v2_error_envelope_retried", "A Signaling 2.x error envelope with errorCode 500 on an HTTP 200 is retried like an HTTP 500", mcfg, [
    {"call": "start", "operation": v2(), "now_ms": 0, "expect": {"send": {"url": V2URL + "?messageCount=100"}}},
    {"call": "response", "now_ms": 5, "response": resp(200, json.dumps({"data": None, "error": True, "errorCode": 500, "reason": "Sync Server Error"})), "expect": {"wait": {"min_ms": 0, "max_ms": 1}}},
    {"call": "wait_elapsed", "after_wait": True, "expect": {"send": {"url": V2URL + "?messageCount=100"}}},
    {"call": "response", "after_ms": 5, "response": resp(200, v2env({"messageList": [v2msg(5)], "count": 1, "newStart": 0})), "expect": {"done": {"ok": {"message_count": 1}}}},
], report={"attempts": 2})
flow("history_all_full_last_page", "Legacy paging: when the last page is full, the next (empty) page ends the history and is not counted as a page", hcfg, [
    {"call": "start", "operation": hq("history_all", limit=20), "now_ms": 0, "expect": {"send": {"method": "POST"}}},
    {"call": "response", "now_ms": 10, "response": created("f1"), "expect": {"send": {"url": HQ + "/f1"}}},
    {"call": "response", "now_ms": 20, "response": resp(200, ok(code="ok", messages=page20)), "expect": {"send": {"method": "POST", "body": {"filter": {"source": "alice", "destination": "bob", "start_time": "2019-08-01T01:22:10Z", "end_time": "2019-08-01T01:32:10Z"}, "offset": 20, "limit": 20, "order": "asc"}}}},
    {"call": "response", "now_ms": 30, "response": created("f2"), "expect": {"send": {"url": HQ + "/f2"}}},
    {"call": "response", "now_ms": 40, "response": resp(200, ok(code="ok", messages=[])), "expect": {"done": {"ok": {"pages": 1, "message_count": 20}}}},
])

# index
os.makedirs(root, exist_ok=True)
allids = []
for group in ["requests", "responses", "flows", "tokens"]:
    d = f"{root}/{group}"
    if os.path.isdir(d):
        for fn in sorted(os.listdir(d)):
            if fn.endswith(".json"):
                allids.append(json.load(open(f"{d}/{fn}"))["id"])
json.dump({"ids": allids}, open(f"{root}/index.json", "w"), indent=1); open(f"{root}/index.json", "a").write("\n")
print(len(cases), "cases;", len(allids), "ids in index")
