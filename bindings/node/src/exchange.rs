//! The protocol's [`Exchange`] state machine, exposed so the JavaScript vector
//! runner drives the real Rust code the way `crates/protocol/tests/vectors.rs` does.
//!
//! Configuration and auth are given in the shared vectors' JSON shape
//! (`tests/vectors/README.md`); steps come back as plain objects.

use std::sync::Arc;

use agora_rtm_rest::protocol::vectors::{
    VectorExchange, auth_headers_from_json as headers_from_json, config_from_json,
    transport_error_kind as transport_kind,
};
use agora_rtm_rest::protocol::{
    Config, EventsPage, Exchange, ExchangeReport, HttpRequest, HttpResponse, Instant,
    ReadChannelEvents, ReadUserEvents, Shared, Step, TransportError,
};
use napi_derive::napi;
use serde_json::{Value, json};

use crate::client::{channel_event, user_event};
use crate::errors::{client_error, error_json, invalid};

/// Shared state of several exchanges (one client: rate limiter and failover
/// memory), built from a vector's `config` and `auth` objects.
#[napi]
pub struct NativeExchangeContext {
    config: Arc<Config>,
    shared: Shared,
    headers: Vec<(String, String)>,
}

#[napi]
impl NativeExchangeContext {
    /// Builds the configuration and the auth headers; invalid ones throw the
    /// error the SDK reports for them.
    #[napi(constructor)]
    pub fn new(config: Value, auth: Value) -> napi::Result<Self> {
        let config = config_from_json(&config).map_err(|e| client_error(&e))?;
        let headers = headers_from_json(config.app_id(), &auth).map_err(|e| client_error(&e))?;
        let shared = Shared::new(&config);
        Ok(NativeExchangeContext {
            config: Arc::new(config),
            shared,
            headers,
        })
    }

    /// A new exchange of `operation` (`user_events` | `channel_events`) with jitter seed `seed`.
    #[napi]
    pub fn exchange(&self, operation: String, seed: i64) -> napi::Result<NativeExchange> {
        let (c, s, h, seed) = (
            self.config.clone(),
            self.shared.clone(),
            self.headers.clone(),
            seed as u64,
        );
        let inner = match operation.as_str() {
            "user_events" => Any::User(Exchange::new(ReadUserEvents, c, s, h, seed)),
            "channel_events" => Any::Channel(Exchange::new(ReadChannelEvents, c, s, h, seed)),
            _ => {
                return Err(invalid(
                    "operation",
                    "must be user_events or channel_events",
                ));
            }
        };
        Ok(NativeExchange { inner })
    }

    /// A new exchange of any vector operation (`operationJson`: the case's
    /// `operation`, a string or an object, as JSON) through the protocol's
    /// `VectorExchange`. Invalid arguments throw the error the SDK gives before
    /// sending anything. Its `done` steps carry the normalised result (`ok`, the
    /// vectors' snake_case JSON) or the error.
    #[napi]
    pub fn vector_exchange(
        &self,
        operation_json: String,
        seed: i64,
    ) -> napi::Result<NativeVectorExchange> {
        let op: Value = serde_json::from_str(&operation_json)
            .map_err(|e| invalid("operation", &format!("is not JSON: {e}")))?;
        let inner = VectorExchange::new(
            &op,
            self.config.clone(),
            self.shared.clone(),
            self.headers.clone(),
            seed as u64,
        )
        .map_err(|e| client_error(&e))?;
        Ok(NativeVectorExchange { inner })
    }
}

enum Any {
    User(Exchange<ReadUserEvents>),
    Channel(Exchange<ReadChannelEvents>),
}

fn request_json(r: &HttpRequest) -> Value {
    json!({
        "type": "send",
        "method": r.method.as_str(),
        "url": r.url,
        "headers": r.headers.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
        "body": r.body.as_ref().map(|b| String::from_utf8_lossy(b).into_owned()),
    })
}

fn step_json<T>(step: Step<EventsPage<T>>, event: impl Fn(T) -> Value) -> Value {
    match step {
        Step::Send(r) => request_json(&r),
        Step::Wait(d) => json!({"type": "wait", "ms": d.as_millis() as u64}),
        Step::Done(Ok(page)) => json!({"type": "done", "ok": {
            "requestId": page.request_id,
            "events": page.events.into_iter().map(event).collect::<Vec<_>>(),
        }}),
        Step::Done(Err(e)) => json!({"type": "done", "error": error_json(&e)}),
    }
}

fn user_value(e: agora_rtm_rest::UserEvent) -> Value {
    let e = user_event(e);
    json!({"userId": e.user_id, "kind": e.kind, "ms": e.ms})
}

fn channel_value(e: agora_rtm_rest::ChannelEvent) -> Value {
    let e = channel_event(e);
    json!({"channelId": e.channel_id, "userId": e.user_id, "kind": e.kind, "ms": e.ms})
}

fn instant(now_ms: i64) -> Instant {
    Instant::from_millis(u64::try_from(now_ms).unwrap_or(0))
}

/// One exchange: feed it events, get the next step
/// (`{type: "send" | "wait" | "done", ...}`).
#[napi]
pub struct NativeExchange {
    inner: Any,
}

macro_rules! on_both {
    ($self:ident, $e:ident => $call:expr) => {
        match &mut $self.inner {
            Any::User($e) => step_json($call, user_value),
            Any::Channel($e) => step_json($call, channel_value),
        }
    };
}

#[napi]
impl NativeExchange {
    /// Starts the exchange at `nowMs`.
    #[napi]
    pub fn start(&mut self, now_ms: i64) -> Value {
        on_both!(self, e => e.start(instant(now_ms)))
    }

    /// A response arrived (`{status, headers?, body}`; the body is sent byte for byte).
    #[napi]
    pub fn on_response(&mut self, response: Value, now_ms: i64) -> Value {
        let status = response.get("status").and_then(Value::as_u64).unwrap_or(0) as u16;
        let body = response
            .get("body")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let mut r = HttpResponse::new(status, body);
        if let Some(h) = response.get("headers").and_then(Value::as_object) {
            for (k, v) in h {
                r = r.with_header(k.clone(), v.as_str().unwrap_or_default());
            }
        }
        on_both!(self, e => e.on_response(r.clone(), instant(now_ms)))
    }

    /// The transport failed (`kind`: dns, connect, timeout, interrupted, body_too_large, other).
    #[napi]
    pub fn on_transport_error(&mut self, kind: String, now_ms: i64) -> Value {
        let err = TransportError::new(transport_kind(&kind), "scripted");
        on_both!(self, e => e.on_transport_error(err.clone(), instant(now_ms)))
    }

    /// The wait the previous step asked for has elapsed.
    #[napi]
    pub fn on_wait_elapsed(&mut self, now_ms: i64) -> Value {
        on_both!(self, e => e.on_wait_elapsed(instant(now_ms)))
    }

    /// What happened so far (`attempts`, `possiblyLost`, `serverRateLimited`, `undecodableSuccess`).
    #[napi]
    pub fn report(&self) -> Value {
        let r: &ExchangeReport = match &self.inner {
            Any::User(e) => e.report(),
            Any::Channel(e) => e.report(),
        };
        json!({
            "attempts": r.attempts,
            "possiblyLost": r.possibly_lost,
            "serverRateLimited": r.server_rate_limited,
            "undecodableSuccess": r.undecodable_success,
        })
    }
}

/// Any vector operation driven through [`VectorExchange`]: the same steps as
/// [`NativeExchange`], with `done.ok` the normalised JSON result.
#[napi]
pub struct NativeVectorExchange {
    inner: VectorExchange,
}

fn vector_step(step: Step<Value>) -> Value {
    match step {
        Step::Send(r) => request_json(&r),
        Step::Wait(d) => json!({"type": "wait", "ms": d.as_millis() as u64}),
        Step::Done(Ok(v)) => json!({"type": "done", "ok": v}),
        Step::Done(Err(e)) => json!({"type": "done", "error": error_json(&e)}),
    }
}

fn http_response(response: &Value) -> HttpResponse {
    let status = response.get("status").and_then(Value::as_u64).unwrap_or(0) as u16;
    let body = response
        .get("body")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut r = HttpResponse::new(status, body);
    if let Some(h) = response.get("headers").and_then(Value::as_object) {
        for (k, v) in h {
            r = r.with_header(k.clone(), v.as_str().unwrap_or_default());
        }
    }
    r
}

#[napi]
impl NativeVectorExchange {
    /// Starts the operation at `nowMs`.
    #[napi]
    pub fn start(&mut self, now_ms: i64) -> Value {
        vector_step(self.inner.start(instant(now_ms)))
    }

    /// A response arrived (`{status, headers?, body}`).
    #[napi]
    pub fn on_response(&mut self, response: Value, now_ms: i64) -> Value {
        vector_step(
            self.inner
                .on_response(http_response(&response), instant(now_ms)),
        )
    }

    /// The transport failed (`kind`: dns, connect, timeout, interrupted, body_too_large, other).
    #[napi]
    pub fn on_transport_error(&mut self, kind: String, now_ms: i64) -> Value {
        let err = TransportError::new(transport_kind(&kind), "scripted");
        vector_step(self.inner.on_transport_error(err, instant(now_ms)))
    }

    /// The wait the previous step asked for has elapsed.
    #[napi]
    pub fn on_wait_elapsed(&mut self, now_ms: i64) -> Value {
        vector_step(self.inner.on_wait_elapsed(instant(now_ms)))
    }

    /// The report of the current (or last) request's exchange.
    #[napi]
    pub fn report(&self) -> Value {
        report_json(self.inner.report())
    }
}

fn report_json(r: &ExchangeReport) -> Value {
    json!({
        "attempts": r.attempts,
        "possiblyLost": r.possibly_lost,
        "serverRateLimited": r.server_rate_limited,
        "undecodableSuccess": r.undecodable_success,
    })
}
