//! Runs the language-neutral vectors of `tests/vectors/{requests,responses,flows}`
//! against the real protocol code, and fails if any id in `index.json` of those
//! groups was not executed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use agora_rtm_rest_protocol::*;
use serde_json::{Value, json};

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
}

fn load_group(group: &str) -> Vec<Value> {
    let dir = vectors_dir().join(group);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            serde_json::from_str(&std::fs::read_to_string(&p).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        })
        .collect()
}

// The case's config and auth objects are read by the SDK's own `vectors` module
// (the same code every binding's runner calls).
use agora_rtm_rest_protocol::vectors::{
    VectorExchange, auth_headers_from_json as auth_headers, config_from_json as build_config,
};

/// Every case's operation runs through the SDK's `VectorExchange`: the real
/// `Exchange` (and history flows) with the result reduced to normalised JSON.
struct AnyExchange(VectorExchange);

enum JsonStep {
    Send(HttpRequest),
    Wait(Duration),
    Done(Result<Value, Error>),
}

fn conv(step: Step<Value>) -> JsonStep {
    match step {
        Step::Send(r) => JsonStep::Send(r),
        Step::Wait(d) => JsonStep::Wait(d),
        Step::Done(r) => JsonStep::Done(r),
    }
}

impl AnyExchange {
    fn new(
        op: &Value,
        config: Arc<Config>,
        shared: Shared,
        headers: Vec<(String, String)>,
        seed: u64,
    ) -> Result<Self, Error> {
        VectorExchange::new(op, config, shared, headers, seed).map(AnyExchange)
    }
    fn start(&mut self, now: Instant) -> JsonStep {
        conv(self.0.start(now))
    }
    fn response(&mut self, r: HttpResponse, now: Instant) -> JsonStep {
        conv(self.0.on_response(r, now))
    }
    fn transport_error(&mut self, err: TransportError, now: Instant) -> JsonStep {
        conv(self.0.on_transport_error(err, now))
    }
    fn wait_elapsed(&mut self, now: Instant) -> JsonStep {
        conv(self.0.on_wait_elapsed(now))
    }
    fn report(&self) -> &ExchangeReport {
        self.0.report()
    }
}

fn http_response(v: &Value) -> HttpResponse {
    let mut r = HttpResponse::new(
        v["status"].as_u64().unwrap() as u16,
        v["body"].as_str().unwrap_or_default(),
    );
    if let Some(h) = v.get("headers").and_then(Value::as_object) {
        for (k, val) in h {
            r = r.with_header(k.clone(), val.as_str().unwrap());
        }
    }
    r
}

fn check_request(id: &str, req: &HttpRequest, expect: &Value) {
    if let Some(m) = expect.get("method").and_then(Value::as_str) {
        assert_eq!(req.method.as_str(), m, "{id}: method");
    }
    if let Some(u) = expect.get("url").and_then(Value::as_str) {
        assert_eq!(req.url, u, "{id}: url");
    }
    if let Some(h) = expect.get("headers").and_then(Value::as_object) {
        for (name, value) in h {
            assert_eq!(req.header(name), value.as_str(), "{id}: header {name}");
        }
    }
    if let Some(absent) = expect.get("absent_headers").and_then(Value::as_array) {
        for name in absent {
            assert!(
                req.header(name.as_str().unwrap()).is_none(),
                "{id}: header {name} must be absent"
            );
        }
    }
    if let Some(body) = expect.get("body") {
        if body.is_null() {
            assert!(req.body.is_none(), "{id}: no body expected");
        } else {
            let got: Value =
                serde_json::from_slice(req.body.as_deref().unwrap_or_default()).unwrap();
            assert_eq!(&got, body, "{id}: body");
        }
    }
}

fn check_error(id: &str, err: &Error, expect: &Value) {
    assert_eq!(
        err.kind().as_str(),
        expect["kind"].as_str().unwrap(),
        "{id}: error kind ({err})"
    );
    if let Some(status) = expect.get("status").and_then(Value::as_u64) {
        assert_eq!(err.status(), Some(status as u16), "{id}: status");
    }
    if let Some(rid) = expect.get("request_id") {
        assert_eq!(err.request_id(), rid.as_str(), "{id}: request id");
    }
    if let Some(ra) = expect.get("retry_after_ms") {
        assert_eq!(
            err.retry_after().map(|d| d.as_millis() as u64),
            ra.as_u64(),
            "{id}: retry_after"
        );
    }
    if let Some(field) = expect.get("field").and_then(Value::as_str) {
        match err {
            Error::InvalidInput { field: f, .. } => assert_eq!(f, field, "{id}: invalid field"),
            other => panic!("{id}: expected invalid input, got {other}"),
        }
    }
    if let Some(text) = expect.get("message_contains").and_then(Value::as_str) {
        assert!(
            err.to_string().contains(text),
            "{id}: message {err:?} lacks {text:?}"
        );
    }
    if let Some(text) = expect.get("body_contains").and_then(Value::as_str) {
        assert!(
            err.body().unwrap_or_default().contains(text),
            "{id}: body lacks {text:?}"
        );
    }
}

fn check_done(id: &str, result: &Result<Value, Error>, expect: &Value) {
    match (result, expect.get("ok"), expect.get("error")) {
        (Ok(page), Some(ok), None) => {
            for (key, want) in ok.as_object().unwrap() {
                match key.as_str() {
                    "event_count" => assert_eq!(
                        page["events"].as_array().unwrap().len() as u64,
                        want.as_u64().unwrap(),
                        "{id}: event count"
                    ),
                    "message_count" => assert_eq!(
                        page["messages"].as_array().unwrap().len() as u64,
                        want.as_u64().unwrap(),
                        "{id}: message count"
                    ),
                    _ => assert_eq!(&page[key], want, "{id}: {key}"),
                }
            }
        }
        (Err(e), None, Some(err)) => check_error(id, e, err),
        (Ok(page), _, _) => panic!("{id}: expected an error, got {page}"),
        (Err(e), _, _) => panic!("{id}: expected success, got {e}"),
    }
}

fn run_request(case: &Value) {
    let id = case["id"].as_str().unwrap();
    let expect = &case["expect"];
    let built = build_config(&case["config"]).and_then(|c| {
        let headers = auth_headers(c.app_id(), &case["auth"])?;
        Ok((c, headers))
    });
    let (config, headers) = match built {
        Ok(v) => v,
        Err(e) => return check_error(id, &e, &expect["error"]),
    };
    let config = Arc::new(config);
    let shared = Shared::new(&config);
    let mut ex = match AnyExchange::new(&case["operation"], config, shared, headers, 1) {
        Ok(ex) => ex,
        Err(e) => return check_error(id, &e, &expect["error"]),
    };
    assert!(expect.get("error").is_none(), "{id}: expected an error");
    match ex.start(Instant::ZERO) {
        JsonStep::Send(req) => check_request(id, &req, expect),
        _ => panic!("{id}: expected a request"),
    }
}

fn run_response(case: &Value) {
    let id = case["id"].as_str().unwrap();
    let mut c = case.get("config").cloned().unwrap_or_else(|| json!({}));
    c["base_urls"] = json!(["http://127.0.0.1:8080"]);
    c["retry"] = json!({"max_attempts": 1});
    let config = Arc::new(build_config(&c).unwrap());
    let shared = Shared::new(&config);
    let headers = vec![("authorization".to_owned(), "Basic eDp5".to_owned())];
    let mut ex = AnyExchange::new(&case["operation"], config, shared, headers, 1).unwrap();
    assert!(matches!(ex.start(Instant::ZERO), JsonStep::Send(_)), "{id}");
    match ex.response(http_response(&case["response"]), Instant::from_millis(10)) {
        JsonStep::Done(result) => check_done(id, &result, &case["expect"]),
        _ => panic!("{id}: expected the exchange to end (no retries configured)"),
    }
}

fn run_flow(case: &Value) {
    let id = case["id"].as_str().unwrap();
    let config = Arc::new(build_config(&case["config"]).unwrap());
    let headers = auth_headers(config.app_id(), &case["auth"]).unwrap();
    let shared = Shared::new(&config);
    let seed = case["seed"].as_u64().unwrap_or(1);
    let mut exchanges: Vec<Option<AnyExchange>> = Vec::new();
    let mut now = Instant::ZERO;
    let mut last_wait = Duration::ZERO;
    for (n, step) in case["steps"].as_array().unwrap().iter().enumerate() {
        let k = step.get("exchange").and_then(Value::as_u64).unwrap_or(0) as usize;
        if let Some(t) = step.get("now_ms").and_then(Value::as_u64) {
            now = Instant::from_millis(t);
        } else if let Some(d) = step.get("after_ms").and_then(Value::as_u64) {
            now += Duration::from_millis(d);
        } else if step.get("after_wait").and_then(Value::as_bool) == Some(true) {
            now += last_wait;
        }
        let call = step["call"].as_str().unwrap();
        if exchanges.len() <= k {
            exchanges.resize_with(k + 1, || None);
        }
        let got = if call == "start" {
            let mut ex = AnyExchange::new(
                &step["operation"],
                config.clone(),
                shared.clone(),
                headers.clone(),
                seed + k as u64,
            )
            .unwrap_or_else(|e| panic!("{id}: {e}"));
            let s = ex.start(now);
            exchanges[k] = Some(ex);
            s
        } else {
            let ex = exchanges[k]
                .as_mut()
                .unwrap_or_else(|| panic!("{id} step {n}: exchange {k} not started"));
            match call {
                "response" => ex.response(http_response(&step["response"]), now),
                "transport_error" => {
                    let kind = agora_rtm_rest_protocol::vectors::transport_error_kind(
                        step["kind"].as_str().unwrap(),
                    );
                    ex.transport_error(TransportError::new(kind, "scripted"), now)
                }
                "wait_elapsed" => ex.wait_elapsed(now),
                other => panic!("{id}: unknown call {other}"),
            }
        };
        let expect = &step["expect"];
        let ctx = format!("{id} step {n}");
        match got {
            JsonStep::Send(req) => {
                let e = expect
                    .get("send")
                    .unwrap_or_else(|| panic!("{ctx}: unexpected send to {}", req.url));
                check_request(&ctx, &req, e);
            }
            JsonStep::Wait(d) => {
                let e = expect
                    .get("wait")
                    .unwrap_or_else(|| panic!("{ctx}: unexpected wait {d:?}"));
                let (lo, hi) = (e["min_ms"].as_u64().unwrap(), e["max_ms"].as_u64().unwrap());
                let got = d.as_millis() as u64;
                assert!(
                    lo <= got && got <= hi,
                    "{ctx}: wait {got} ms outside {lo}..={hi}"
                );
                last_wait = d;
            }
            JsonStep::Done(result) => {
                let e = expect
                    .get("done")
                    .unwrap_or_else(|| panic!("{ctx}: unexpected end {:?}", result.as_ref().err()));
                check_done(&ctx, &result, e);
            }
        }
    }
    if let Some(report) = case.get("expect_report").and_then(Value::as_object) {
        let r = exchanges[0].as_ref().unwrap().report();
        for (key, value) in report {
            let got = match key.as_str() {
                "attempts" => json!(r.attempts),
                "possibly_lost" => json!(r.possibly_lost),
                "server_rate_limited" => json!(r.server_rate_limited),
                "undecodable_success" => json!(r.undecodable_success),
                other => panic!("{id}: unknown report field {other}"),
            };
            assert_eq!(&got, value, "{id}: report {key}");
        }
    }
}

#[test]
fn every_vector_runs_and_passes() {
    let mut executed = BTreeSet::new();
    for (group, run) in [
        ("requests", run_request as fn(&Value)),
        ("responses", run_response as fn(&Value)),
        ("flows", run_flow as fn(&Value)),
    ] {
        for case in load_group(group) {
            let id = case["id"].as_str().unwrap().to_owned();
            assert!(
                id.starts_with(&format!("{group}/")),
                "{id} is not in {group}/"
            );
            run(&case);
            assert!(executed.insert(id.clone()), "duplicate id {id}");
        }
    }
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(vectors_dir().join("index.json")).unwrap())
            .unwrap();
    // This runner's reviewed skip list is empty: token vectors run in tests/token_vectors.rs.
    let expected: BTreeSet<String> = index["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .filter(|id| !id.starts_with("tokens/"))
        .collect();
    let missing: Vec<_> = expected.difference(&executed).collect();
    assert!(
        missing.is_empty(),
        "ids in index.json not executed: {missing:?}"
    );
    let unlisted: Vec<_> = executed.difference(&expected).collect();
    assert!(
        unlisted.is_empty(),
        "ids executed but not in index.json: {unlisted:?}"
    );
    println!("vectors: {} passed, 0 failed", executed.len());
}
