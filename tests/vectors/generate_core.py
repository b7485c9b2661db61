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
