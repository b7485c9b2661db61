//! The protocol's request state machine ([`agora_rtm_rest::protocol::Exchange`])
//! as objects, so the Kotlin and Swift runners of `tests/vectors/` drive the real
//! Rust code step by step (start, response, transport error, wait elapsed) with
//! injected times, as `crates/protocol/tests/vectors.rs` does. [`VectorExchange`]
//! wraps `protocol::vectors::VectorExchange`, which runs any vector operation
//! (events, messages, both history APIs and their flows) and reduces its result to
//! the vectors' normalised JSON.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use agora_rtm_rest as rtm;
use agora_rtm_rest::protocol::{
    Config, Endpoints, Instant, ReadChannelEvents, ReadUserEvents, Shared, Step,
};

use crate::client::{Credentials, RateLimit, RetryPolicy, parse_regions};
use crate::error::{AgoraRtmError, ErrorInfo, TransportErrorKind};
use crate::transport::{HttpHeader, HttpRequest, HttpResponse};
use crate::types::{Area, ChannelEventsPage, ExchangeReport, Feed, UserEventsPage};

/// The protocol configuration of an [`ExchangeContext`] (the settings a vector's
/// `config` names; unset fields keep the SDK defaults).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ProtocolConfig {
    /// The app id.
    pub app_id: String,
    /// Custom base URLs (first is primary); empty: Agora's hosts for `area`.
    #[uniffi(default)]
    pub base_urls: Vec<String>,
    /// Allow `http://` base URLs that are not loopback.
    #[uniffi(default)]
    pub allow_insecure_http: bool,
    /// Agora's host set (default global).
    #[uniffi(default)]
    pub area: Option<Area>,
    /// Regional hosts to fail over to.
    #[uniffi(default)]
    pub regions: Vec<String>,
    /// Retry settings.
    #[uniffi(default)]
    pub retry: Option<RetryPolicy>,
    /// Client-side rate limit.
    #[uniffi(default)]
    pub rate_limit: Option<RateLimit>,
    /// The response body cap, in bytes.
    #[uniffi(default)]
    pub max_body_bytes: Option<u64>,
}

/// One configuration and the state its exchanges share (rate limiter, failover
/// memory), like one client.
#[derive(uniffi::Object)]
pub struct ExchangeContext {
    config: Arc<Config>,
    shared: Shared,
}

#[uniffi::export]
impl ExchangeContext {
    /// Validates `config` (errors as the client reports them).
    #[uniffi::constructor]
    pub fn new(config: ProtocolConfig) -> Result<Arc<Self>, AgoraRtmError> {
        let mut c = Config::new(config.app_id)?;
        c.endpoints = if config.base_urls.is_empty() {
            Endpoints::agora(
                config.area.unwrap_or(Area::Global).into(),
                &parse_regions(&config.regions)?,
            )
        } else {
            Endpoints::custom(&config.base_urls, config.allow_insecure_http)?
        };
        if let Some(retry) = &config.retry {
            c.retry = retry.into();
        }
        if let Some(r) = config.rate_limit {
            c.rate_limit = r.limit;
            c.rate_window = Duration::from_millis(r.window_ms);
        }
        if let Some(cap) = config.max_body_bytes {
            c.max_body_bytes = cap as usize;
        }
        let shared = Shared::new(&c);
        Ok(Arc::new(ExchangeContext {
            config: Arc::new(c),
            shared,
        }))
    }

    /// A context from a vector case's `config` object as JSON text (read by
    /// `protocol::vectors::config_from_json`, so settings such as
    /// `family_limits` are understood exactly as by the Rust runner).
    #[uniffi::constructor]
    pub fn from_vector_config(config_json: String) -> Result<Arc<Self>, AgoraRtmError> {
        let value: serde_json::Value =
            serde_json::from_str(&config_json).map_err(|e| AgoraRtmError::InvalidInput {
                field: "config".into(),
                rule: format!("must be JSON: {e}"),
            })?;
        let c = rtm::protocol::vectors::config_from_json(&value)?;
        let shared = Shared::new(&c);
        Ok(Arc::new(ExchangeContext {
            config: Arc::new(c),
            shared,
        }))
    }

    /// A new exchange of any vector `operation` (JSON text: `"user_events"`,
    /// `"channel_events"` or an operation object) with the given auth headers and
    /// jitter seed. Invalid arguments are thrown as `InvalidInput`, as the SDK
    /// refuses them before any request.
    pub fn vector_exchange(
        &self,
        operation_json: String,
        headers: Vec<HttpHeader>,
        seed: u64,
    ) -> Result<Arc<VectorExchange>, AgoraRtmError> {
        let op: serde_json::Value =
            serde_json::from_str(&operation_json).map_err(|e| AgoraRtmError::InvalidInput {
                field: "operation".into(),
                rule: format!("must be JSON: {e}"),
            })?;
        let headers = headers.into_iter().map(|h| (h.name, h.value)).collect();
        let inner = rtm::protocol::vectors::VectorExchange::new(
            &op,
            self.config.clone(),
            self.shared.clone(),
            headers,
            seed,
        )?;
        Ok(Arc::new(VectorExchange {
            inner: Mutex::new(inner),
        }))
    }

    /// The auth headers `credentials` produce at `now_unix` with `salt` (minted
    /// tokens use both; other modes ignore them).
    pub fn auth_headers(
        &self,
        credentials: Arc<Credentials>,
        now_unix: u64,
        salt: u32,
    ) -> Result<Vec<HttpHeader>, AgoraRtmError> {
        Ok(credentials
            .build()?
            .headers(now_unix, salt)?
            .into_iter()
            .map(|(name, value)| HttpHeader { name, value })
            .collect())
    }

    /// A new exchange reading `feed` with the given auth headers and jitter seed.
    pub fn exchange(&self, feed: Feed, headers: Vec<HttpHeader>, seed: u64) -> Arc<Exchange> {
        let headers: Vec<(String, String)> =
            headers.into_iter().map(|h| (h.name, h.value)).collect();
        let (config, shared) = (self.config.clone(), self.shared.clone());
        let inner = match feed {
            Feed::UserEvents => Any::User(rtm::protocol::Exchange::new(
                ReadUserEvents,
                config,
                shared,
                headers,
                seed,
            )),
            Feed::ChannelEvents => Any::Channel(rtm::protocol::Exchange::new(
                ReadChannelEvents,
                config,
                shared,
                headers,
                seed,
            )),
        };
        Arc::new(Exchange {
            inner: Mutex::new(inner),
        })
    }
}

/// How an exchange ended.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ExchangeOutcome {
    /// A user-feed page.
    UserPage {
        /// The page.
        page: UserEventsPage,
    },
    /// A channel-feed page.
    ChannelPage {
        /// The page.
        page: ChannelEventsPage,
    },
    /// An error.
    Failed {
        /// The error.
        error: ErrorInfo,
    },
}

/// What the driver must do next.
#[derive(uniffi::Enum)]
pub enum ExchangeStep {
    /// Send this request, then call `on_response` or `on_transport_error`.
    Send {
        /// The request.
        request: Arc<HttpRequest>,
    },
    /// Sleep this long, then call `on_wait_elapsed`.
    Wait {
        /// The wait, in milliseconds.
        ms: u64,
    },
    /// The exchange is over.
    Done {
        /// Its result.
        outcome: ExchangeOutcome,
    },
}

fn step<T>(s: Step<T>, done: impl FnOnce(T) -> ExchangeOutcome) -> ExchangeStep {
    match s {
        Step::Send(r) => ExchangeStep::Send {
            request: Arc::new(HttpRequest { inner: r }),
        },
        Step::Wait(d) => ExchangeStep::Wait {
            ms: d.as_millis() as u64,
        },
        Step::Done(Ok(v)) => ExchangeStep::Done { outcome: done(v) },
        Step::Done(Err(e)) => ExchangeStep::Done {
            outcome: ExchangeOutcome::Failed { error: e.into() },
        },
    }
}

enum Any {
    User(rtm::protocol::Exchange<ReadUserEvents>),
    Channel(rtm::protocol::Exchange<ReadChannelEvents>),
}

impl Any {
    fn drive(
        &mut self,
        u: impl FnOnce(
            &mut rtm::protocol::Exchange<ReadUserEvents>,
        ) -> Step<rtm::EventsPage<rtm::UserEvent>>,
        c: impl FnOnce(
            &mut rtm::protocol::Exchange<ReadChannelEvents>,
        ) -> Step<rtm::EventsPage<rtm::ChannelEvent>>,
    ) -> ExchangeStep {
        match self {
            Any::User(e) => step(u(e), |p| ExchangeOutcome::UserPage { page: p.into() }),
            Any::Channel(e) => step(c(e), |p| ExchangeOutcome::ChannelPage { page: p.into() }),
        }
    }
}

/// One read with its retries, failover and rate-limit waits, as a state
/// machine; times are milliseconds on the caller's clock.
#[derive(uniffi::Object)]
pub struct Exchange {
    inner: Mutex<Any>,
}

impl Exchange {
    fn with<R>(&self, f: impl FnOnce(&mut Any) -> R) -> R {
        f(&mut self.inner.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

#[uniffi::export]
impl Exchange {
    /// Starts the exchange.
    pub fn start(&self, now_ms: u64) -> ExchangeStep {
        let now = Instant::from_millis(now_ms);
        self.with(|a| a.drive(|e| e.start(now), |e| e.start(now)))
    }

    /// The response to the last request.
    pub fn on_response(&self, response: HttpResponse, now_ms: u64) -> ExchangeStep {
        let now = Instant::from_millis(now_ms);
        let r: rtm::HttpResponse = response.into();
        let r2 = r.clone();
        self.with(|a| a.drive(|e| e.on_response(r, now), |e| e.on_response(r2, now)))
    }

    /// The last request failed at the network level.
    pub fn on_transport_error(
        &self,
        kind: TransportErrorKind,
        message: String,
        now_ms: u64,
    ) -> ExchangeStep {
        let now = Instant::from_millis(now_ms);
        let err = rtm::TransportError::new(kind.into(), message);
        let err2 = err.clone();
        self.with(|a| {
            a.drive(
                |e| e.on_transport_error(err, now),
                |e| e.on_transport_error(err2, now),
            )
        })
    }

    /// The wait the last step asked for has elapsed.
    pub fn on_wait_elapsed(&self, now_ms: u64) -> ExchangeStep {
        let now = Instant::from_millis(now_ms);
        self.with(|a| a.drive(|e| e.on_wait_elapsed(now), |e| e.on_wait_elapsed(now)))
    }

    /// What the exchange did so far.
    pub fn report(&self) -> ExchangeReport {
        self.with(|a| match a {
            Any::User(e) => e.report().into(),
            Any::Channel(e) => e.report().into(),
        })
    }
}

/// What a [`VectorExchange`] asks next.
#[derive(uniffi::Enum)]
pub enum VectorStep {
    /// Send this request, then call `on_response` or `on_transport_error`.
    Send {
        /// The request.
        request: Arc<HttpRequest>,
    },
    /// Sleep this long, then call `on_wait_elapsed`.
    Wait {
        /// The wait, in milliseconds.
        ms: u64,
    },
    /// The operation is over: `ok_json` (the normalised result as JSON text) or
    /// `error` is set.
    Done {
        /// The result as the vectors' normalised JSON text.
        ok_json: Option<String>,
        /// The error.
        error: Option<ErrorInfo>,
    },
}

fn vector_step(s: Step<serde_json::Value>) -> VectorStep {
    match s {
        Step::Send(r) => VectorStep::Send {
            request: Arc::new(HttpRequest { inner: r }),
        },
        Step::Wait(d) => VectorStep::Wait {
            ms: d.as_millis() as u64,
        },
        Step::Done(Ok(v)) => VectorStep::Done {
            ok_json: Some(v.to_string()),
            error: None,
        },
        Step::Done(Err(e)) => VectorStep::Done {
            ok_json: None,
            error: Some(e.into()),
        },
    }
}

/// Any vector operation (one request or a history flow) as a state machine with
/// the exchange's interface; times are milliseconds on the caller's clock.
#[derive(uniffi::Object)]
pub struct VectorExchange {
    inner: Mutex<rtm::protocol::vectors::VectorExchange>,
}

impl VectorExchange {
    fn with<R>(&self, f: impl FnOnce(&mut rtm::protocol::vectors::VectorExchange) -> R) -> R {
        f(&mut self.inner.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

#[uniffi::export]
impl VectorExchange {
    /// Starts the operation.
    pub fn start(&self, now_ms: u64) -> VectorStep {
        let now = Instant::from_millis(now_ms);
        vector_step(self.with(|e| e.start(now)))
    }

    /// The response to the last request.
    pub fn on_response(&self, response: HttpResponse, now_ms: u64) -> VectorStep {
        let now = Instant::from_millis(now_ms);
        vector_step(self.with(|e| e.on_response(response.into(), now)))
    }

    /// The last request failed at the network level.
    pub fn on_transport_error(
        &self,
        kind: TransportErrorKind,
        message: String,
        now_ms: u64,
    ) -> VectorStep {
        let now = Instant::from_millis(now_ms);
        let err = rtm::TransportError::new(kind.into(), message);
        vector_step(self.with(|e| e.on_transport_error(err, now)))
    }

    /// The wait the last step asked for has elapsed.
    pub fn on_wait_elapsed(&self, now_ms: u64) -> VectorStep {
        let now = Instant::from_millis(now_ms);
        vector_step(self.with(|e| e.on_wait_elapsed(now)))
    }

    /// The report of the current (or last) request's exchange.
    pub fn report(&self) -> ExchangeReport {
        self.with(|e| e.report().into())
    }
}
