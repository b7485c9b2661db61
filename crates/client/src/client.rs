//! The async client: a short driver loop over the protocol's [`Exchange`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use agora_rtm_rest_protocol::{
    Area, ChannelEvent, Config, Credentials, Endpoints, Error, EventsPage, Exchange,
    ExchangeReport, Limiters, MintedToken, Operation, PollPolicy, RateFamily, RateLimiter,
    ReadChannelEvents, ReadUserEvents, Region, RetryPolicy, Secret, Shared, Step, UserEvent,
};
use tracing::Instrument as _;

use crate::clock;
use crate::transport::{ReqwestTransport, Transport, TransportOptions};

/// A client of one app id. Cheap to clone; clones share the transport, the rate
/// limiter and the failover memory.
///
/// ```no_run
/// # async fn demo() -> Result<(), agora_rtm_rest::Error> {
/// use agora_rtm_rest::{Client, Credentials};
/// let client = Client::builder("demo")
///     .credentials(Credentials::basic("customer-id", "customer-secret")?)
///     .base_url("http://127.0.0.1:8080")
///     .build()?;
/// let page = client.user_events().await?;
/// for event in &page.events {
///     println!("{} {} at {}", event.user_id, event.kind, event.ms);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    config: Arc<Config>,
    credentials: Arc<Credentials>,
    shared: Shared,
    transport: Arc<dyn Transport>,
    /// The options of the default transport (`None` with a custom one).
    transport_options: Option<TransportOptions>,
    poll_policy: PollPolicy,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("app_id", &self.inner.config.app_id())
            .field("endpoints", &self.inner.config.endpoints)
            .field("credentials", &self.inner.credentials)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts building a client for `app_id`.
    pub fn builder(app_id: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(app_id)
    }

    /// A client configured from the environment (see [`ClientBuilder::from_env`]).
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::from_env()?.build()
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// A client of the same app id, credentials, transport and rate limiter that
    /// sends to `endpoints` (used to read several regions side by side).
    pub fn with_endpoints(&self, endpoints: Endpoints) -> Client {
        let mut config = (*self.inner.config).clone();
        config.endpoints = endpoints;
        Client {
            inner: Arc::new(Inner {
                config: Arc::new(config),
                credentials: self.inner.credentials.clone(),
                shared: Shared::with_limiters(self.inner.shared.limiters()),
                transport: self.inner.transport.clone(),
                transport_options: self.inner.transport_options.clone(),
                poll_policy: self.inner.poll_policy,
            }),
        }
    }

    /// A client sharing everything with this one (configuration, credentials,
    /// rate limiters, failover memory) except the connection pool: the default
    /// transport is built anew (a custom transport is shared as it is).
    ///
    /// A pooled connection is served by a task of the runtime it was opened on;
    /// code that drives this client from a different runtime (for example a
    /// current-thread runtime per blocking caller) needs connections of its own.
    pub fn with_own_connections(&self) -> Result<Client, Error> {
        let transport: Arc<dyn Transport> = match &self.inner.transport_options {
            Some(options) => Arc::new(ReqwestTransport::new(options)?),
            None => self.inner.transport.clone(),
        };
        Ok(Client {
            inner: Arc::new(Inner {
                config: self.inner.config.clone(),
                credentials: self.inner.credentials.clone(),
                shared: self.inner.shared.clone(),
                transport,
                transport_options: self.inner.transport_options.clone(),
                poll_policy: self.inner.poll_policy,
            }),
        })
    }

    /// The event-feed rate limiter this client uses (shared with its clones).
    pub fn rate_limiter(&self) -> Arc<Mutex<RateLimiter>> {
        self.inner.shared.limiter()
    }

    /// The rate limiter of a family of operations (shared with its clones).
    pub fn family_rate_limiter(&self, family: RateFamily) -> Arc<Mutex<RateLimiter>> {
        self.inner.shared.limiters().get(family).clone()
    }

    /// The credentials in use.
    pub fn credentials(&self) -> &Credentials {
        &self.inner.credentials
    }

    /// How the legacy history calls poll `in progress` answers.
    pub fn poll_policy(&self) -> PollPolicy {
        self.inner.poll_policy
    }

    /// Reads (and removes) up to 1000 user events. A full page means more may be
    /// waiting: read again at once.
    pub async fn user_events(&self) -> Result<EventsPage<UserEvent>, Error> {
        self.execute(ReadUserEvents).await.0
    }

    /// Reads (and removes) up to 1000 channel events.
    pub async fn channel_events(&self) -> Result<EventsPage<ChannelEvent>, Error> {
        self.execute(ReadChannelEvents).await.0
    }

    /// Runs any operation through retries, failover and the rate limiter, and
    /// reports what happened (attempts, hosts, responses possibly lost).
    pub async fn execute<O: Operation>(&self, op: O) -> (Result<O::Output, Error>, ExchangeReport) {
        let span = tracing::info_span!(
            "agora_rtm.request",
            op = op.name(),
            app_id = self.inner.config.app_id(),
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
        );
        self.drive(op).instrument(span).await
    }

    async fn drive<O: Operation>(&self, op: O) -> (Result<O::Output, Error>, ExchangeReport) {
        let inner = &self.inner;
        let salt = clock::random_u64() as u32;
        let headers = match inner.credentials.headers(clock::unix_now(), salt) {
            Ok(h) => h,
            Err(e) => return (Err(e), ExchangeReport::default()),
        };
        let mut exchange = Exchange::new(
            op,
            inner.config.clone(),
            inner.shared.clone(),
            headers,
            clock::random_u64(),
        );
        let mut step = exchange.start(clock::now());
        loop {
            step = match step {
                Step::Send(request) => {
                    let attempt = exchange.report().attempts;
                    tracing::debug!(
                        method = %request.method,
                        path = request.path(),
                        host = exchange.current_host(),
                        attempt,
                        "sending"
                    );
                    match inner.transport.send(request).await {
                        Ok(response) => {
                            tracing::debug!(status = response.status, attempt, "response");
                            tracing::Span::current().record("status", response.status);
                            exchange.on_response(response, clock::now())
                        }
                        Err(error) => {
                            tracing::debug!(error = %error, attempt, "transport error");
                            exchange.on_transport_error(error, clock::now())
                        }
                    }
                }
                Step::Wait(duration) => {
                    tracing::trace!(wait_ms = duration.as_millis() as u64, "waiting");
                    tokio::time::sleep(duration).await;
                    exchange.on_wait_elapsed(clock::now())
                }
                Step::Done(result) => {
                    let report = exchange.report().clone();
                    tracing::Span::current().record("attempts", report.attempts);
                    if let Err(e) = &result {
                        tracing::debug!(error = %e, "request failed");
                    }
                    return (result, report);
                }
            };
        }
    }
}

/// Builds a [`Client`].
///
/// ```
/// use agora_rtm_rest::{Client, Credentials};
/// let client = Client::builder("demo")
///     .credentials(Credentials::basic("id", "secret").unwrap())
///     .base_urls(["http://127.0.0.1:9001", "http://127.0.0.1:9002"])
///     .max_attempts(3)
///     .build()
///     .unwrap();
/// assert_eq!(client.config().endpoints.len(), 2);
/// ```
pub struct ClientBuilder {
    app_id: String,
    credentials: Option<Credentials>,
    base_urls: Vec<String>,
    area: Area,
    regions: Vec<Region>,
    allow_insecure_http: bool,
    retry: RetryPolicy,
    rate_limit: Option<(u32, Duration)>,
    family_limits: Vec<(RateFamily, u32, Duration)>,
    poll_policy: PollPolicy,
    share_limiter: bool,
    limiter: Option<Arc<Mutex<RateLimiter>>>,
    transport: Option<Arc<dyn Transport>>,
    transport_options: TransportOptions,
}

impl ClientBuilder {
    /// A builder with defaults: Agora's global hosts, 5 attempts, 10 requests/s
    /// shared with every other client of the same app id in this process.
    pub fn new(app_id: impl Into<String>) -> Self {
        ClientBuilder {
            app_id: app_id.into(),
            credentials: None,
            base_urls: Vec::new(),
            area: Area::Global,
            regions: Vec::new(),
            allow_insecure_http: false,
            retry: RetryPolicy::default(),
            rate_limit: None,
            family_limits: Vec::new(),
            poll_policy: PollPolicy::default(),
            share_limiter: true,
            limiter: None,
            transport: None,
            transport_options: TransportOptions::default(),
        }
    }

    /// A builder from the environment: `AGORA_APP_ID`; credentials from
    /// `AGORA_CUSTOMER_ID` + `AGORA_CUSTOMER_SECRET` (Basic), or `AGORA_RTM_TOKEN`
    /// (a 007 token, or a 006 token with `AGORA_RTM_UID`), or `AGORA_APP_CERTIFICATE`
    /// with `AGORA_RTM_UID` (tokens minted here); `AGORA_RTM_BASE_URL`
    /// (comma-separated for failover) overrides Agora's hosts.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Like [`from_env`](Self::from_env) with a custom variable lookup.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let app_id = lookup("AGORA_APP_ID")
            .ok_or_else(|| Error::invalid_input("AGORA_APP_ID", "is not set"))?;
        let credentials = credentials_from_lookup(&app_id, &lookup)?;
        let mut builder = ClientBuilder::new(app_id).credentials(credentials);
        if let Some(urls) = lookup("AGORA_RTM_BASE_URL") {
            builder = builder.base_urls(urls.split(',').map(str::trim).filter(|s| !s.is_empty()));
        }
        Ok(builder)
    }

    /// The credentials (required).
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Sends to this base URL (an emulator, a proxy) instead of Agora's hosts.
    pub fn base_url(self, url: impl Into<String>) -> Self {
        self.base_urls([url.into()])
    }

    /// Sends to these base URLs, failing over in order.
    pub fn base_urls<I, S>(mut self, urls: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.base_urls = urls.into_iter().map(Into::into).collect();
        self
    }

    /// Which domain family is primary (ignored with custom base URLs).
    pub fn area(mut self, area: Area) -> Self {
        self.area = area;
        self
    }

    /// Regional hosts to fail over to, in order (ignored with custom base URLs).
    pub fn regions(mut self, regions: impl IntoIterator<Item = Region>) -> Self {
        self.regions = regions.into_iter().collect();
        self
    }

    /// Allows plain `http` to non-loopback hosts (a proxy inside a trusted network).
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// The whole retry policy.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Attempts in all (1 = no retries).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.retry.max_attempts = attempts.max(1);
        self
    }

    /// Client-side rate limit: at most `limit` requests per `window` (default 10 per
    /// second plus a 5 ms guard). Lower it when other processes use the same app id.
    pub fn rate_limit(mut self, limit: u32, window: Duration) -> Self {
        self.rate_limit = Some((limit, window));
        self
    }

    /// Client-side limit of one family of operations (defaults: events 10,
    /// messages 500, legacy history 10, Signaling 2.x history 60, per second plus
    /// a 5 ms guard). `RateFamily::Events` is the same as [`rate_limit`](Self::rate_limit).
    pub fn family_rate_limit(mut self, family: RateFamily, limit: u32, window: Duration) -> Self {
        if family == RateFamily::Events {
            self.rate_limit = Some((limit, window));
        } else {
            self.family_limits.push((family, limit, window));
        }
        self
    }

    /// How legacy history calls poll `in progress` answers (default: every 2 s,
    /// for at most 60 s, creating an expired query again up to 3 times).
    pub fn history_poll_policy(mut self, policy: PollPolicy) -> Self {
        self.poll_policy = policy;
        self
    }

    /// Whether to share the rate limiter with every other client of the same app id
    /// in this process (default true: the service counts per app id).
    pub fn share_rate_limit_in_process(mut self, share: bool) -> Self {
        self.share_limiter = share;
        self
    }

    /// Uses this limiter (for example one taken from another client).
    pub fn rate_limiter(mut self, limiter: Arc<Mutex<RateLimiter>>) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// Replaces the HTTP stack.
    pub fn transport(mut self, transport: impl Transport) -> Self {
        self.transport = Some(Arc::new(transport));
        self
    }

    /// Replaces the HTTP stack with a shared one.
    pub fn transport_arc(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Connect timeout of the default transport.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.transport_options.connect_timeout = timeout;
        self
    }

    /// Largest response body accepted (default 8 MiB); larger ones are refused
    /// while streaming, as a decode error.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.transport_options.max_body_bytes = bytes.max(1);
        self
    }

    /// Whole-request timeout of the default transport.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.transport_options.request_timeout = timeout;
        self
    }

    /// Validates everything and builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let credentials = self
            .credentials
            .ok_or_else(|| Error::invalid_input("credentials", "no credentials configured"))?;
        let mut config = Config::new(self.app_id)?.with_retry(self.retry);
        if let Credentials::Minted(m) = &credentials
            && m.app_id() != config.app_id()
        {
            return Err(Error::invalid_input(
                "credentials",
                "the minted token's app id differs from the client's",
            ));
        }
        config.endpoints = if self.base_urls.is_empty() {
            Endpoints::agora(self.area, &self.regions)
        } else {
            Endpoints::custom(&self.base_urls, self.allow_insecure_http)?
        };
        if let Some((limit, window)) = self.rate_limit {
            if limit == 0 || window.is_zero() {
                return Err(Error::invalid_input(
                    "rate_limit",
                    "limit and window must be positive",
                ));
            }
            config.rate_limit = limit;
            config.rate_window = window;
        }
        for (family, limit, window) in self.family_limits {
            if limit == 0 || window.is_zero() {
                return Err(Error::invalid_input(
                    "rate_limit",
                    format!("limit and window of {} must be positive", family.as_str()),
                ));
            }
            config.set_limit_of(family, limit, window);
        }
        if self.poll_policy.interval.is_zero() && self.poll_policy.max_wait.is_zero() {
            return Err(Error::invalid_input(
                "history_poll_policy",
                "interval and max_wait must not both be zero",
            ));
        }
        config.max_body_bytes = self.transport_options.max_body_bytes;
        let family_limiter = |family| {
            if self.share_limiter {
                process_limiter(&config, family)
            } else {
                let (limit, window) = config.limit_of(family);
                Arc::new(Mutex::new(RateLimiter::new(limit, window)))
            }
        };
        let limiters = Limiters {
            events: self
                .limiter
                .clone()
                .unwrap_or_else(|| family_limiter(RateFamily::Events)),
            messages: family_limiter(RateFamily::Messages),
            legacy_history: family_limiter(RateFamily::LegacyHistory),
            history_v2: family_limiter(RateFamily::HistoryV2),
        };
        let (transport, transport_options): (Arc<dyn Transport>, _) = match self.transport {
            Some(t) => (t, None),
            None => (
                Arc::new(ReqwestTransport::new(&self.transport_options)?),
                Some(self.transport_options.clone()),
            ),
        };
        Ok(Client {
            inner: Arc::new(Inner {
                config: Arc::new(config),
                credentials: Arc::new(credentials),
                shared: Shared::with_limiters(limiters),
                transport,
                transport_options,
                poll_policy: self.poll_policy,
            }),
        })
    }
}

/// The process-wide limiter of an app id and family (with the given limit),
/// created on first use and dropped when no client holds it.
fn process_limiter(config: &Config, family: RateFamily) -> Arc<Mutex<RateLimiter>> {
    type Key = (String, RateFamily, u32, Duration);
    type Registry = Mutex<HashMap<Key, Weak<Mutex<RateLimiter>>>>;
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    let mut map = REGISTRY
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    map.retain(|_, weak| weak.strong_count() > 0);
    let (limit, window) = config.limit_of(family);
    let key = (config.app_id().to_owned(), family, limit, window);
    if let Some(existing) = map.get(&key).and_then(Weak::upgrade) {
        return existing;
    }
    let limiter = Arc::new(Mutex::new(RateLimiter::new(limit, window)));
    map.insert(key, Arc::downgrade(&limiter));
    limiter
}

fn credentials_from_lookup(
    app_id: &str,
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<Credentials, Error> {
    if let (Some(id), Some(secret)) = (lookup("AGORA_CUSTOMER_ID"), lookup("AGORA_CUSTOMER_SECRET"))
    {
        return Credentials::basic(id, Secret::new(secret));
    }
    if let Some(token) = lookup("AGORA_RTM_TOKEN") {
        return if token.starts_with("006") {
            let uid = lookup("AGORA_RTM_UID").ok_or_else(|| {
                Error::invalid_input(
                    "AGORA_RTM_UID",
                    "a 006 token needs the user id it was built for",
                )
            })?;
            Credentials::legacy_token(Secret::new(token), uid)
        } else {
            Credentials::token(Secret::new(token))
        };
    }
    if let (Some(cert), Some(uid)) = (lookup("AGORA_APP_CERTIFICATE"), lookup("AGORA_RTM_UID")) {
        let lifetime = Duration::from_secs(3600);
        return Ok(Credentials::Minted(MintedToken::new(
            app_id,
            Secret::new(cert),
            uid,
            lifetime,
        )?));
    }
    Err(Error::invalid_input(
        "credentials",
        "set AGORA_CUSTOMER_ID and AGORA_CUSTOMER_SECRET, or AGORA_RTM_TOKEN (with AGORA_RTM_UID for a 006 token), \
         or AGORA_APP_CERTIFICATE and AGORA_RTM_UID",
    ))
}
