//! The request lifecycle as a state machine with time as input (in the style of
//! quinn-proto): the caller feeds events, the exchange answers with the next
//! [`Step`]. It owns retries, host failover and client-side rate limiting.
//!
//! ```text
//!   start(now) ──► Send(req) ──► on_response / on_transport_error ──► Done(result)
//!       │                                  │
//!       └──► Wait(d) ◄─────────────────────┘  (rate limit slot, back-off)
//!              │
//!              └── on_wait_elapsed(now) ──► Send(req) ...
//! ```
//!
//! **The hazard the service imposes.** The event feeds are destructive: the server
//! removes events as it answers. When a response is lost after the request reached
//! the server (timeout, reset connection, truncated body), retrying cannot bring
//! those events back; the retry reads the *next* events. The exchange still retries
//! (the feed must keep being drained) but counts such attempts in
//! [`ExchangeReport::possibly_lost`] so that the watcher can report a gap.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::config::{Config, EndpointRole, FamilyLimits, RateFamily};
use crate::error::{Error, ErrorKind, TransportError, TransportErrorKind, body_excerpt};
use crate::http::{HttpRequest, HttpResponse};
use crate::limiter::RateLimiter;
use crate::operation::Operation;
use crate::rng::SplitMix64;
use crate::time::Instant;

/// What the driver must do next.
#[derive(Debug)]
pub enum Step<T> {
    /// Send this request, then call [`Exchange::on_response`] or
    /// [`Exchange::on_transport_error`].
    Send(HttpRequest),
    /// Sleep this long, then call [`Exchange::on_wait_elapsed`].
    Wait(Duration),
    /// The exchange is over.
    Done(Result<T, Error>),
}

/// One client-side limiter per [`RateFamily`]. Cheap to clone (the limiters are
/// shared).
#[derive(Debug, Clone)]
pub struct Limiters {
    /// The event feeds.
    pub events: Arc<Mutex<RateLimiter>>,
    /// Peer and channel messages.
    pub messages: Arc<Mutex<RateLimiter>>,
    /// Legacy history.
    pub legacy_history: Arc<Mutex<RateLimiter>>,
    /// Signaling 2.x history.
    pub history_v2: Arc<Mutex<RateLimiter>>,
}

impl Limiters {
    /// Fresh limiters with the limits of `config`.
    pub fn new(config: &Config) -> Self {
        let make = |family| {
            let (limit, window) = config.limit_of(family);
            Arc::new(Mutex::new(RateLimiter::new(limit, window)))
        };
        Limiters {
            events: make(RateFamily::Events),
            messages: make(RateFamily::Messages),
            legacy_history: make(RateFamily::LegacyHistory),
            history_v2: make(RateFamily::HistoryV2),
        }
    }

    /// The given event-feed limiter and fresh limiters with `limits` for the
    /// other families.
    pub fn around(events: Arc<Mutex<RateLimiter>>, limits: &FamilyLimits) -> Self {
        let make = |(limit, window): (u32, Duration)| {
            Arc::new(Mutex::new(RateLimiter::new(limit, window)))
        };
        Limiters {
            events,
            messages: make(limits.messages),
            legacy_history: make(limits.legacy_history),
            history_v2: make(limits.history_v2),
        }
    }

    /// The limiter of `family`.
    pub fn get(&self, family: RateFamily) -> &Arc<Mutex<RateLimiter>> {
        match family {
            RateFamily::Events => &self.events,
            RateFamily::Messages => &self.messages,
            RateFamily::LegacyHistory => &self.legacy_history,
            RateFamily::HistoryV2 => &self.history_v2,
        }
    }
}

/// State shared by every exchange of one client (and its clones): the rate
/// limiters and the failover memory. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Shared {
    limiters: Limiters,
    failover: Arc<Mutex<FailoverState>>,
}

#[derive(Debug, Default)]
struct FailoverState {
    /// A fallback host that worked, and until when to keep using it.
    sticky: Option<(usize, Instant)>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding these locks cannot leave them inconsistent (every
    // update is a single assignment), so a poisoned lock is still usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    /// Shared state with limiters built from `config` (one per [`RateFamily`]).
    pub fn new(config: &Config) -> Self {
        Shared::with_limiters(Limiters::new(config))
    }

    /// Shared state around an existing event-feed limiter (to share one limit
    /// between clients of the same app id); the other families get fresh
    /// limiters with the default limits.
    pub fn with_limiter(limiter: Arc<Mutex<RateLimiter>>) -> Self {
        Shared::with_limiters(Limiters::around(limiter, &FamilyLimits::default()))
    }

    /// Shared state around existing limiters.
    pub fn with_limiters(limiters: Limiters) -> Self {
        Shared {
            limiters,
            failover: Arc::default(),
        }
    }

    /// The event-feed limiter, to share it further.
    pub fn limiter(&self) -> Arc<Mutex<RateLimiter>> {
        self.limiters.events.clone()
    }

    /// Every limiter, to share them further.
    pub fn limiters(&self) -> Limiters {
        self.limiters.clone()
    }

    /// The host index new exchanges start on at `now`.
    pub fn preferred_endpoint(&self, now: Instant) -> usize {
        let mut state = lock(&self.failover);
        match state.sticky {
            Some((index, until)) if now < until => index,
            Some(_) => {
                state.sticky = None;
                0
            }
            None => 0,
        }
    }

    fn on_success(&self, index: usize, now: Instant, period: Duration) {
        let mut state = lock(&self.failover);
        if index == 0 {
            state.sticky = None;
        } else if state.sticky.map(|(i, _)| i) != Some(index) {
            state.sticky = Some((index, now + period));
        }
    }
}

/// What happened during one exchange, for logs, stats and gap accounting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExchangeReport {
    /// Requests handed to the transport.
    pub attempts: u32,
    /// The host root of each attempt, in order.
    pub hosts: Vec<String>,
    /// Attempts of a destructive operation whose request may have been processed
    /// while its response was lost (the events it dequeued are gone).
    pub possibly_lost: u32,
    /// True when a destructive read got a 2xx that could not be decoded (its events
    /// were removed from the server but could not be read).
    pub undecodable_success: bool,
    /// 429 answers received from the server.
    pub server_rate_limited: u32,
    /// Times the client-side limiter made the exchange wait.
    pub limiter_waits: u32,
    /// Total time spent in `Wait` steps (limiter and back-off).
    pub waited: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    New,
    AwaitingSlot,
    InFlight,
    BackingOff,
    Done,
}

/// One API call through retries, failover and the rate limiter.
///
/// ```
/// use agora_rtm_rest_protocol::*;
/// let config = std::sync::Arc::new(Config::new("demo").unwrap()
///     .with_endpoints(Endpoints::custom(["http://127.0.0.1:1"], false).unwrap()));
/// let shared = Shared::new(&config);
/// let auth = Credentials::basic("id", "secret").unwrap().headers(0, 0).unwrap();
/// let mut ex = Exchange::new(ReadUserEvents, config, shared, auth, 42);
/// let Step::Send(req) = ex.start(Instant::ZERO) else { panic!() };
/// assert_eq!(req.url, "http://127.0.0.1:1/dev/v2/project/demo/rtm/vendor/user_events");
/// let ok = HttpResponse::new(200, r#"{"result":"success","request_id":"1","events":[]}"#);
/// let Step::Done(Ok(page)) = ex.on_response(ok, Instant::from_millis(20)) else { panic!() };
/// assert!(page.events.is_empty());
/// ```
#[derive(Debug)]
pub struct Exchange<O: Operation> {
    op: O,
    config: Arc<Config>,
    shared: Shared,
    auth_headers: Vec<(String, String)>,
    rng: SplitMix64,
    state: State,
    started: Instant,
    wait_started: Instant,
    failures: u32,
    start_endpoint: usize,
    endpoint: usize,
    report: ExchangeReport,
}

/// The user agent every request carries.
pub const USER_AGENT: &str = concat!("agora-rtm-rest/", env!("CARGO_PKG_VERSION"));

impl<O: Operation> Exchange<O> {
    /// Prepares `op` with the given auth headers (from
    /// [`Credentials::headers`](crate::Credentials::headers)); `seed` drives the
    /// back-off jitter.
    pub fn new(
        op: O,
        config: Arc<Config>,
        shared: Shared,
        auth_headers: Vec<(String, String)>,
        seed: u64,
    ) -> Self {
        Exchange {
            op,
            config,
            shared,
            auth_headers,
            rng: SplitMix64::new(seed),
            state: State::New,
            started: Instant::ZERO,
            wait_started: Instant::ZERO,
            failures: 0,
            start_endpoint: 0,
            endpoint: 0,
            report: ExchangeReport::default(),
        }
    }

    /// What has happened so far.
    pub fn report(&self) -> &ExchangeReport {
        &self.report
    }

    /// The operation.
    pub fn operation(&self) -> &O {
        &self.op
    }

    /// The root of the host the current (or last) attempt goes to.
    pub fn current_host(&self) -> &str {
        self.config
            .endpoints
            .get(self.endpoint)
            .map_or("", |e| e.root.as_str())
    }

    /// Starts the exchange.
    pub fn start(&mut self, now: Instant) -> Step<O::Output> {
        if self.state != State::New {
            return self.misuse("start called twice");
        }
        self.started = now;
        self.start_endpoint = self
            .shared
            .preferred_endpoint(now)
            .min(self.config.endpoints.len().saturating_sub(1));
        self.endpoint = self.start_endpoint;
        self.try_send(now)
    }

    /// The wait asked for by the last `Wait` step is over.
    pub fn on_wait_elapsed(&mut self, now: Instant) -> Step<O::Output> {
        match self.state {
            State::AwaitingSlot | State::BackingOff => {
                self.report.waited += now.saturating_duration_since(self.wait_started);
                self.try_send(now)
            }
            _ => self.misuse("on_wait_elapsed called while not waiting"),
        }
    }

    /// The response to the last `Send` arrived.
    pub fn on_response(&mut self, response: HttpResponse, now: Instant) -> Step<O::Output> {
        if self.state != State::InFlight {
            return self.misuse("on_response called with no request in flight");
        }
        if response.body.len() > self.config.max_body_bytes {
            self.report.undecodable_success =
                self.op.is_destructive() && (200..300).contains(&response.status);
            return self.finish(Err(Error::Decode {
                status: Some(response.status),
                request_id: None,
                reason: format!(
                    "body of {} bytes exceeds the {} byte cap",
                    response.body.len(),
                    self.config.max_body_bytes
                ),
                body: body_excerpt(&response.body),
            }));
        }
        match self.op.parse(&response) {
            Ok(output) => {
                self.shared
                    .on_success(self.endpoint, now, self.config.retry.sticky_fallback);
                self.finish(Ok(output))
            }
            Err(error) => {
                // A 2xx that could not be read ends the exchange; an error the
                // body itself declares on a 2xx (the Signaling 2.x envelope's
                // `errorCode`) is handled like the same HTTP status.
                if (200..300).contains(&response.status) && error.kind() == ErrorKind::Decode {
                    self.report.undecodable_success = self.op.is_destructive();
                    return self.finish(Err(error));
                }
                if !self.op.is_idempotent()
                    && matches!(
                        error,
                        Error::Server {
                            status: 500 | 502 | 504,
                            ..
                        }
                    )
                {
                    // The service may have acted before failing: sending again
                    // could deliver the message twice.
                    return self.finish(Err(error));
                }
                if let Error::RateLimited { retry_after, .. } = &error {
                    self.report.server_rate_limited += 1;
                    // Everyone sharing the limiter backs off together.
                    let pause = retry_after.unwrap_or(self.config.limit_of(self.op.family()).1);
                    lock(self.shared.limiters.get(self.op.family()))
                        .pause_until(now + pause.min(self.config.retry.max_retry_after));
                }
                self.on_failure(error, false, now)
            }
        }
    }

    /// The last `Send` failed at the network level.
    pub fn on_transport_error(&mut self, error: TransportError, now: Instant) -> Step<O::Output> {
        if self.state != State::InFlight {
            return self.misuse("on_transport_error called with no request in flight");
        }
        if self.op.is_destructive() && error.kind.request_may_have_been_processed() {
            self.report.possibly_lost += 1;
        }
        if error.kind == TransportErrorKind::BodyTooLarge {
            return self.finish(Err(Error::Decode {
                status: None,
                request_id: None,
                reason: error.message,
                body: String::new(),
            }));
        }
        if !self.op.is_idempotent() && error.kind.request_may_have_been_processed() {
            // The request may have been acted on (a message delivered): not
            // sent again, the caller decides.
            return self.finish(Err(Error::Transport(error)));
        }
        let network_non_dns = error.kind != TransportErrorKind::Dns;
        self.on_failure(Error::Transport(error), network_non_dns, now)
    }

    fn is_retryable(error: &Error) -> bool {
        match error {
            Error::ServerTimeout { .. } | Error::RateLimited { .. } | Error::Transport(_) => true,
            Error::Server { status, .. } => matches!(status, 500 | 502 | 503 | 504),
            _ => false,
        }
    }

    fn on_failure(&mut self, error: Error, network_non_dns: bool, now: Instant) -> Step<O::Output> {
        if !Self::is_retryable(&error) || self.report.attempts >= self.config.retry.max_attempts {
            return self.finish(Err(error));
        }
        let retry_after = error.retry_after();
        if retry_after.is_some_and(|d| d > self.config.retry.max_retry_after) {
            return self.finish(Err(error));
        }
        let backoff = self.config.retry.backoff(self.failures, &mut self.rng);
        self.failures += 1;
        let wait = retry_after.map_or(backoff, |ra| ra.max(backoff));
        let elapsed = (now + wait).saturating_duration_since(self.started);
        if elapsed > self.config.retry.max_elapsed {
            return self.finish(Err(error));
        }
        self.endpoint = self.next_endpoint(network_non_dns);
        // Always a Wait step, even of zero, so that every retry has the same shape.
        self.state = State::BackingOff;
        self.wait_started = now;
        Step::Wait(wait)
    }

    /// Agora's documented order: (1) the same host, (2) the other domain suffix
    /// (skipped after a network error that was not DNS), (3) further hosts.
    /// After the list is exhausted it starts over from the start host.
    fn next_endpoint(&self, network_non_dns: bool) -> usize {
        let n = self.config.endpoints.len();
        if self.failures <= 1 || n <= 1 {
            return self.start_endpoint;
        }
        let first = (self.failures - 1) as usize;
        for step in first..first + n {
            let candidate = (self.start_endpoint + step) % n;
            let skip = network_non_dns
                && self
                    .config
                    .endpoints
                    .get(candidate)
                    .is_some_and(|e| e.role == EndpointRole::AlternateSuffix);
            if !skip {
                return candidate;
            }
        }
        self.start_endpoint
    }

    fn try_send(&mut self, now: Instant) -> Step<O::Output> {
        let acquired = lock(self.shared.limiters.get(self.op.family())).try_acquire(now);
        if let Err(wait) = acquired {
            self.report.limiter_waits += 1;
            self.state = State::AwaitingSlot;
            self.wait_started = now;
            return Step::Wait(wait);
        }
        let Some(endpoint) = self.config.endpoints.get(self.endpoint) else {
            return self.finish(Err(Error::invalid_input("endpoints", "no host configured")));
        };
        let mut headers = Vec::with_capacity(self.auth_headers.len() + 3);
        headers.extend(self.auth_headers.iter().cloned());
        headers.push(("accept".into(), "application/json".into()));
        headers.push(("user-agent".into(), USER_AGENT.into()));
        let body = self.op.body();
        if body.is_some() {
            headers.push((
                "content-type".into(),
                "application/json;charset=utf-8".into(),
            ));
        }
        let request = HttpRequest {
            method: self.op.method(),
            url: self.op.url(&self.config, endpoint),
            headers,
            body,
        };
        self.report.attempts += 1;
        self.report.hosts.push(endpoint.root.clone());
        self.state = State::InFlight;
        Step::Send(request)
    }

    fn finish(&mut self, result: Result<O::Output, Error>) -> Step<O::Output> {
        self.state = State::Done;
        Step::Done(result)
    }

    fn misuse(&mut self, what: &str) -> Step<O::Output> {
        if self.state == State::Done {
            return Step::Done(Err(Error::invalid_input(
                "exchange",
                format!("already finished ({what})"),
            )));
        }
        self.finish(Err(Error::invalid_input("exchange", what.to_owned())))
    }
}
