//! Auth objects, `Client`, `AsyncClient` and the watchers: each call builds the
//! Rust client's input, runs it on the process runtime and maps the result.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use agora_rtm_rest::sink::{self, SinkOptions};
use agora_rtm_rest::{
    Area, ClientBuilder, Credentials, Feed, MintedToken, PollPolicy, RateFamily, Region, Secret,
    WatchOptions,
};
use pyo3::prelude::*;
use pyo3::types::PyType;
use tokio::sync::Mutex as AsyncMutex;

use crate::errors::{AgoraRtmError, invalid_input, sink_to_py, to_py, watch_to_py};
use crate::rt::{self, Convert};
use crate::tokens::duration_arg;
use crate::types::{ChannelEventsPage, Presence, UserEventsPage, item_to_py};

/// Basic HTTP auth with the customer id and secret of Agora Console.
#[pyclass(frozen, module = "agora_rtm_rest")]
pub struct BasicAuth {
    customer_id: String,
    customer_secret: Secret,
}

#[pymethods]
impl BasicAuth {
    #[new]
    fn new(py: Python<'_>, customer_id: String, customer_secret: String) -> PyResult<Self> {
        let secret = Secret::new(customer_secret);
        Credentials::basic(customer_id.clone(), secret.clone()).map_err(|e| to_py(py, &e))?;
        Ok(BasicAuth {
            customer_id,
            customer_secret: secret,
        })
    }
    /// The customer id (not secret).
    #[getter]
    fn customer_id(&self) -> &str {
        &self.customer_id
    }
    fn __repr__(&self) -> String {
        format!(
            "BasicAuth(customer_id={:?}, customer_secret=<redacted>)",
            self.customer_id
        )
    }
}

/// An AccessToken2 (007) RTM token.
#[pyclass(frozen, module = "agora_rtm_rest")]
pub struct TokenAuth {
    token: Secret,
}

#[pymethods]
impl TokenAuth {
    #[new]
    fn new(py: Python<'_>, token: String) -> PyResult<Self> {
        let token = Secret::new(token);
        Credentials::token(token.clone()).map_err(|e| to_py(py, &e))?;
        Ok(TokenAuth { token })
    }
    fn __repr__(&self) -> String {
        "TokenAuth(token=<redacted>)".to_owned()
    }
}

/// A legacy (006) RTM token and the user id it was built for.
#[pyclass(frozen, module = "agora_rtm_rest")]
pub struct LegacyTokenAuth {
    token: Secret,
    uid: String,
}

#[pymethods]
impl LegacyTokenAuth {
    #[new]
    fn new(py: Python<'_>, token: String, uid: String) -> PyResult<Self> {
        let token = Secret::new(token);
        Credentials::legacy_token(token.clone(), uid.clone()).map_err(|e| to_py(py, &e))?;
        Ok(LegacyTokenAuth { token, uid })
    }
    /// The user id.
    #[getter]
    fn uid(&self) -> &str {
        &self.uid
    }
    fn __repr__(&self) -> String {
        format!("LegacyTokenAuth(token=<redacted>, uid={:?})", self.uid)
    }
}

/// Tokens minted (and refreshed) by the SDK from the app certificate.
#[pyclass(frozen, module = "agora_rtm_rest")]
pub struct MintedTokenAuth {
    app_certificate: Secret,
    user_id: String,
    lifetime: Duration,
    legacy: bool,
}

#[pymethods]
impl MintedTokenAuth {
    #[new]
    #[pyo3(signature = (app_certificate, user_id, lifetime=None, *, legacy=false))]
    fn new(
        py: Python<'_>,
        app_certificate: String,
        user_id: String,
        lifetime: Option<&Bound<'_, PyAny>>,
        legacy: bool,
    ) -> PyResult<Self> {
        let lifetime = match lifetime {
            Some(v) => duration_arg(py, "lifetime", v)?,
            None => Duration::from_secs(3600),
        };
        Ok(MintedTokenAuth {
            app_certificate: Secret::new(app_certificate),
            user_id,
            lifetime,
            legacy,
        })
    }
    /// The RTM user the tokens are minted for.
    #[getter]
    fn user_id(&self) -> &str {
        &self.user_id
    }
    /// Token lifetime in seconds.
    #[getter]
    fn lifetime(&self) -> f64 {
        self.lifetime.as_secs_f64()
    }
    fn __repr__(&self) -> String {
        format!(
            "MintedTokenAuth(app_certificate=<redacted>, user_id={:?}, lifetime={}, legacy={})",
            self.user_id,
            self.lifetime.as_secs(),
            if self.legacy { "True" } else { "False" }
        )
    }
}

/// The credentials an auth object stands for.
fn credentials(py: Python<'_>, app_id: &str, auth: &Bound<'_, PyAny>) -> PyResult<Credentials> {
    let r = if let Ok(a) = auth.extract::<PyRef<'_, BasicAuth>>() {
        Credentials::basic(a.customer_id.clone(), a.customer_secret.clone())
    } else if let Ok(a) = auth.extract::<PyRef<'_, TokenAuth>>() {
        Credentials::token(a.token.clone())
    } else if let Ok(a) = auth.extract::<PyRef<'_, LegacyTokenAuth>>() {
        Credentials::legacy_token(a.token.clone(), a.uid.clone())
    } else if let Ok(a) = auth.extract::<PyRef<'_, MintedTokenAuth>>() {
        MintedToken::new(
            app_id,
            a.app_certificate.clone(),
            a.user_id.clone(),
            a.lifetime,
        )
        .map(|m| Credentials::Minted(if a.legacy { m.legacy() } else { m }))
    } else {
        return Err(invalid_input(
            py,
            "auth",
            "must be BasicAuth, TokenAuth, LegacyTokenAuth or MintedTokenAuth",
        ));
    };
    r.map_err(|e| to_py(py, &e))
}

/// The Rust client with the process it was built in.
pub(crate) struct Core {
    pub(crate) inner: agora_rtm_rest::Client,
    pid: u32,
    closed: AtomicBool,
    /// For the blocking client: its own current-thread runtime and a client with
    /// connections of its own (a pooled connection is served by the runtime it was
    /// opened on). Watchers still run on the process runtime with `inner`.
    blocking: Option<(Arc<rt::Local>, agora_rtm_rest::Client)>,
}

impl Core {
    fn build(py: Python<'_>, builder: ClientBuilder) -> PyResult<Self> {
        let rt = rt::runtime()?;
        // reqwest's client must be built inside the runtime.
        let _guard = rt.enter();
        let inner = builder.build().map_err(|e| to_py(py, &e))?;
        Ok(Core {
            inner,
            pid: std::process::id(),
            closed: AtomicBool::new(false),
            blocking: None,
        })
    }

    /// A core whose calls run on a current-thread runtime driven by the caller.
    fn build_blocking(py: Python<'_>, builder: ClientBuilder) -> PyResult<Self> {
        let mut core = Core::build(py, builder)?;
        let local = rt::Local::new()?;
        let own = {
            let _guard = local.enter()?;
            core.inner
                .with_own_connections()
                .map_err(|e| to_py(py, &e))?
        };
        core.blocking = Some((local, own));
        Ok(core)
    }

    /// Runs a call of the Rust client and waits for it with the GIL released: on
    /// the caller's own runtime for the blocking client, else on the process runtime.
    pub(crate) fn run<T, Fut>(
        &self,
        py: Python<'_>,
        call: impl FnOnce(agora_rtm_rest::Client) -> Fut,
    ) -> PyResult<T>
    where
        Fut: std::future::Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let client = self.client()?;
        match &self.blocking {
            Some((local, own)) => local.block_on(py, call(own.clone())),
            None => rt::block_on(py, call(client)),
        }
    }

    /// The client and runtime a lazily paged iterator of this core should use.
    pub(crate) fn cursor_client(
        &self,
    ) -> PyResult<(agora_rtm_rest::Client, Option<Arc<rt::Local>>)> {
        let client = self.client()?;
        Ok(match &self.blocking {
            Some((local, own)) => (own.clone(), Some(local.clone())),
            None => (client, None),
        })
    }

    pub(crate) fn client(&self) -> PyResult<agora_rtm_rest::Client> {
        if self.closed.load(Ordering::Relaxed) {
            return Err(AgoraRtmError::new_err("the client is closed"));
        }
        if self.pid != std::process::id() {
            return Err(AgoraRtmError::new_err(
                "this client was created in another process (before fork); create a new client in this one",
            ));
        }
        Ok(self.inner.clone())
    }
}

#[allow(clippy::too_many_arguments)]
fn builder(
    py: Python<'_>,
    app_id: String,
    auth: &Bound<'_, PyAny>,
    base_url: Option<&Bound<'_, PyAny>>,
    regions: Option<Vec<String>>,
    area: Option<&str>,
    timeout: Option<&Bound<'_, PyAny>>,
    connect_timeout: Option<&Bound<'_, PyAny>>,
    max_retries: Option<u32>,
    rate_limit: Option<(u32, f64)>,
    share_rate_limit: bool,
    allow_insecure_http: bool,
    history: HistoryOptions<'_, '_>,
) -> PyResult<ClientBuilder> {
    let creds = credentials(py, &app_id, auth)?;
    let mut b = ClientBuilder::new(app_id)
        .credentials(creds)
        .share_rate_limit_in_process(share_rate_limit)
        .allow_insecure_http(allow_insecure_http);
    if let Some(url) = base_url {
        if let Ok(one) = url.extract::<String>() {
            b = b.base_url(one);
        } else {
            b = b.base_urls(url.extract::<Vec<String>>()?);
        }
    }
    match area {
        None | Some("global") => {}
        Some("mainland_china") => b = b.area(Area::MainlandChina),
        Some(_) => {
            return Err(invalid_input(
                py,
                "area",
                "must be \"global\" or \"mainland_china\"",
            ));
        }
    }
    if let Some(names) = regions {
        let regions = names
            .iter()
            .map(|n| n.parse::<Region>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| to_py(py, &e))?;
        b = b.regions(regions);
    }
    if let Some(t) = timeout {
        b = b.request_timeout(duration_arg(py, "timeout", t)?);
    }
    if let Some(t) = connect_timeout {
        b = b.connect_timeout(duration_arg(py, "connect_timeout", t)?);
    }
    if let Some(n) = max_retries {
        b = b.max_attempts(n.saturating_add(1));
    }
    if let Some((limit, window)) = rate_limit {
        if !(window.is_finite() && window > 0.0) {
            return Err(invalid_input(py, "rate_limit", "window must be positive"));
        }
        b = b.rate_limit(limit, Duration::from_secs_f64(window));
    }
    history.apply(py, b)
}

/// The client options of the messaging and history families.
pub(crate) struct HistoryOptions<'a, 'py> {
    poll_interval: Option<&'a Bound<'py, PyAny>>,
    poll_timeout: Option<&'a Bound<'py, PyAny>>,
    family_rate_limits: Option<HashMap<String, (u32, f64)>>,
}

impl HistoryOptions<'_, '_> {
    fn apply(self, py: Python<'_>, mut b: ClientBuilder) -> PyResult<ClientBuilder> {
        if self.poll_interval.is_some() || self.poll_timeout.is_some() {
            let mut policy = PollPolicy::default();
            if let Some(v) = self.poll_interval {
                policy.interval = duration_arg(py, "history_poll_interval", v)?;
            }
            if let Some(v) = self.poll_timeout {
                policy.max_wait = duration_arg(py, "history_poll_timeout", v)?;
            }
            b = b.history_poll_policy(policy);
        }
        if let Some(limits) = self.family_rate_limits {
            for (name, (limit, window)) in limits {
                let family: RateFamily = name.parse().map_err(|e: agora_rtm_rest::Error| {
                    invalid_input(py, "family_rate_limits", e.to_string())
                })?;
                if !(window.is_finite() && window > 0.0) {
                    return Err(invalid_input(
                        py,
                        "family_rate_limits",
                        "window must be positive",
                    ));
                }
                b = b.family_rate_limit(family, limit, Duration::from_secs_f64(window));
            }
        }
        Ok(b)
    }
}

#[allow(clippy::too_many_arguments)]
fn watch_options(
    py: Python<'_>,
    feeds: Option<Vec<String>>,
    sources: Option<Vec<String>>,
    presence: bool,
    sink: Option<&str>,
    webhook_secret: Option<String>,
    stats_interval: Option<&Bound<'_, PyAny>>,
    max_in_flight: Option<u32>,
) -> PyResult<WatchOptions> {
    let mut o = WatchOptions::new().presence(presence);
    if let Some(names) = feeds {
        let mut fs = Vec::new();
        for n in names {
            fs.push(match n.as_str() {
                "user_events" => Feed::UserEvents,
                "channel_events" => Feed::ChannelEvents,
                _ => {
                    return Err(invalid_input(
                        py,
                        "feeds",
                        "items must be \"user_events\" or \"channel_events\"",
                    ));
                }
            });
        }
        o = o.feeds(fs);
    }
    if let Some(s) = sources {
        o = o.sources(s);
    }
    if let Some(v) = stats_interval {
        o = o.stats_interval(if v.is_none() {
            None
        } else {
            Some(duration_arg(py, "stats_interval", v)?)
        });
    }
    if let Some(n) = max_in_flight {
        o = o.max_in_flight(n);
    }
    if let Some(spec) = sink {
        let options = SinkOptions {
            webhook_secret: webhook_secret.map(Secret::new),
            ..SinkOptions::default()
        };
        let opened = sink::open(spec, &options).map_err(|e| sink_to_py(py, &e))?;
        o = o.boxed_sink(opened);
    }
    Ok(o)
}

/// A watcher shared by the Python wrapper: `next()` takes the lock while it waits;
/// `stop()` and `presence` go through the cloneable handle, so they never wait for
/// a pending `next()` (and never block an asyncio loop).
#[derive(Clone)]
struct SharedWatcher {
    watcher: Arc<AsyncMutex<agora_rtm_rest::Watcher>>,
    handle: agora_rtm_rest::WatcherHandle,
}

impl SharedWatcher {
    async fn lock(&self) -> tokio::sync::MutexGuard<'_, agora_rtm_rest::Watcher> {
        self.watcher.lock().await
    }
}

fn start_watch(core: &Core, options: WatchOptions) -> PyResult<SharedWatcher> {
    let client = core.client()?;
    let rt = rt::runtime()?;
    let _guard = rt.enter();
    let watcher = client.watch(options);
    let handle = watcher.handle();
    Ok(SharedWatcher {
        watcher: Arc::new(AsyncMutex::new(watcher)),
        handle,
    })
}

fn presence_of(_py: Python<'_>, w: &SharedWatcher) -> Option<Presence> {
    w.handle.presence().map(Presence::new)
}

fn stop_watcher(_py: Python<'_>, w: &SharedWatcher) {
    w.handle.stop();
}

macro_rules! common_client_methods {
    ($name:ident, $build:ident) => {
        #[pymethods]
        impl $name {
            #[new]
            #[pyo3(signature = (app_id, auth, *, base_url=None, regions=None, area=None, timeout=None, connect_timeout=None, max_retries=None, rate_limit=None, share_rate_limit=true, allow_insecure_http=false, history_poll_interval=None, history_poll_timeout=None, family_rate_limits=None))]
            #[allow(clippy::too_many_arguments)]
            fn new(
                py: Python<'_>,
                app_id: String,
                auth: &Bound<'_, PyAny>,
                base_url: Option<&Bound<'_, PyAny>>,
                regions: Option<Vec<String>>,
                area: Option<&str>,
                timeout: Option<&Bound<'_, PyAny>>,
                connect_timeout: Option<&Bound<'_, PyAny>>,
                max_retries: Option<u32>,
                rate_limit: Option<(u32, f64)>,
                share_rate_limit: bool,
                allow_insecure_http: bool,
                history_poll_interval: Option<&Bound<'_, PyAny>>,
                history_poll_timeout: Option<&Bound<'_, PyAny>>,
                family_rate_limits: Option<HashMap<String, (u32, f64)>>,
            ) -> PyResult<Self> {
                let b = builder(
                    py,
                    app_id,
                    auth,
                    base_url,
                    regions,
                    area,
                    timeout,
                    connect_timeout,
                    max_retries,
                    rate_limit,
                    share_rate_limit,
                    allow_insecure_http,
                    HistoryOptions {
                        poll_interval: history_poll_interval,
                        poll_timeout: history_poll_timeout,
                        family_rate_limits,
                    },
                )?;
                Ok($name {
                    core: Core::$build(py, b)?,
                })
            }

            /// A client configured from the environment, like the CLI: AGORA_APP_ID,
            /// AGORA_CUSTOMER_ID + AGORA_CUSTOMER_SECRET, or AGORA_RTM_TOKEN
            /// (+ AGORA_RTM_UID for 006), or AGORA_APP_CERTIFICATE + AGORA_RTM_UID;
            /// AGORA_RTM_BASE_URL (comma-separated).
            #[classmethod]
            fn from_env(_cls: &Bound<'_, PyType>, py: Python<'_>) -> PyResult<Self> {
                let b = ClientBuilder::from_env().map_err(|e| to_py(py, &e))?;
                Ok($name {
                    core: Core::$build(py, b)?,
                })
            }

            /// The app id.
            #[getter]
            fn app_id(&self) -> String {
                self.core.inner.config().app_id().to_owned()
            }

            /// Marks the client closed; later calls raise.
            fn close(&self) {
                self.core.closed.store(true, Ordering::Relaxed);
            }

            /// Whether `close()` was called.
            #[getter]
            fn closed(&self) -> bool {
                self.core.closed.load(Ordering::Relaxed)
            }

            fn __repr__(&self) -> String {
                format!(
                    "{}(app_id={:?})",
                    stringify!($name),
                    self.core.inner.config().app_id()
                )
            }
        }
    };
}

/// The blocking client: methods run on a shared tokio runtime with the GIL
/// released; Ctrl-C interrupts a waiting call.
#[pyclass(frozen, module = "agora_rtm_rest")]
pub struct Client {
    pub(crate) core: Core,
}

common_client_methods!(Client, build_blocking);

#[pymethods]
impl Client {
    /// Reads (and removes) up to 1000 user events.
    fn user_events(&self, py: Python<'_>) -> PyResult<UserEventsPage> {
        let r = self
            .core
            .run(py, |c| async move { c.user_events().await })?;
        let page = r.map_err(|e| to_py(py, &e))?;
        UserEventsPage::from_page(py, page)
    }

    /// Reads (and removes) up to 1000 channel events.
    fn channel_events(&self, py: Python<'_>) -> PyResult<ChannelEventsPage> {
        let r = self
            .core
            .run(py, |c| async move { c.channel_events().await })?;
        let page = r.map_err(|e| to_py(py, &e))?;
        ChannelEventsPage::from_page(py, page)
    }

    /// Starts a watcher (an iterator of events, gaps and stats).
    #[pyo3(signature = (*, feeds=None, sources=None, presence=false, sink=None, webhook_secret=None, stats_interval=None, max_in_flight=None))]
    #[allow(clippy::too_many_arguments)]
    fn watch(
        &self,
        py: Python<'_>,
        feeds: Option<Vec<String>>,
        sources: Option<Vec<String>>,
        presence: bool,
        sink: Option<&str>,
        webhook_secret: Option<String>,
        stats_interval: Option<&Bound<'_, PyAny>>,
        max_in_flight: Option<u32>,
    ) -> PyResult<Watcher> {
        let o = watch_options(
            py,
            feeds,
            sources,
            presence,
            sink,
            webhook_secret,
            stats_interval,
            max_in_flight,
        )?;
        Ok(Watcher {
            inner: start_watch(&self.core, o)?,
        })
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close();
        false
    }
}

/// The asyncio client: the same methods as `Client`, as coroutines-like awaitables
/// (asyncio futures) resolved from the tokio runtime.
#[pyclass(frozen, module = "agora_rtm_rest")]
pub struct AsyncClient {
    pub(crate) core: Core,
}

common_client_methods!(AsyncClient, build);

#[pymethods]
impl AsyncClient {
    /// Reads (and removes) up to 1000 user events.
    fn user_events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = self.core.client()?;
        let convert: Convert<_> = Box::new(|py, r: Result<_, agora_rtm_rest::Error>| {
            let page = r.map_err(|e| to_py(py, &e))?;
            Ok(Py::new(py, UserEventsPage::from_page(py, page)?)?.into_any())
        });
        rt::into_future(py, async move { c.user_events().await }, convert)
    }

    /// Reads (and removes) up to 1000 channel events.
    fn channel_events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = self.core.client()?;
        let convert: Convert<_> = Box::new(|py, r: Result<_, agora_rtm_rest::Error>| {
            let page = r.map_err(|e| to_py(py, &e))?;
            Ok(Py::new(py, ChannelEventsPage::from_page(py, page)?)?.into_any())
        });
        rt::into_future(py, async move { c.channel_events().await }, convert)
    }

    /// Starts a watcher (an async iterator of events, gaps and stats).
    #[pyo3(signature = (*, feeds=None, sources=None, presence=false, sink=None, webhook_secret=None, stats_interval=None, max_in_flight=None))]
    #[allow(clippy::too_many_arguments)]
    fn watch(
        &self,
        py: Python<'_>,
        feeds: Option<Vec<String>>,
        sources: Option<Vec<String>>,
        presence: bool,
        sink: Option<&str>,
        webhook_secret: Option<String>,
        stats_interval: Option<&Bound<'_, PyAny>>,
        max_in_flight: Option<u32>,
    ) -> PyResult<AsyncWatcher> {
        let o = watch_options(
            py,
            feeds,
            sources,
            presence,
            sink,
            webhook_secret,
            stats_interval,
            max_in_flight,
        )?;
        Ok(AsyncWatcher {
            inner: start_watch(&self.core, o)?,
        })
    }

    fn __aenter__<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        rt::ready_future(py, slf.into_any())
    }

    #[pyo3(signature = (*_args))]
    fn __aexit__<'py>(
        &self,
        py: Python<'py>,
        _args: &Bound<'py, pyo3::types::PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.close();
        rt::ready_future(py, false.into_pyobject(py)?.to_owned().into_any())
    }
}

/// A running watcher, iterated synchronously (each `next()` waits with the GIL
/// released; Ctrl-C interrupts it).
#[pyclass(frozen, module = "agora_rtm_rest")]
pub struct Watcher {
    inner: SharedWatcher,
}

#[pymethods]
impl Watcher {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let w = self.inner.clone();
        let item = rt::block_on(py, async move { w.lock().await.next().await })?;
        match item {
            None => Ok(None),
            Some(Ok(item)) => Ok(Some(item_to_py(py, item)?)),
            Some(Err(e)) => Err(watch_to_py(py, &e)),
        }
    }

    /// Asks the watcher to stop: reads in flight, pending gaps and a last stats
    /// item are still delivered, then iteration ends.
    fn stop(&self, py: Python<'_>) {
        stop_watcher(py, &self.inner);
    }

    /// The current presence snapshot (None unless started with `presence=True`).
    #[getter]
    fn presence(&self, py: Python<'_>) -> Option<Presence> {
        presence_of(py, &self.inner)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.stop(py);
        false
    }
}

/// A running watcher, iterated with `async for`.
#[pyclass(frozen, module = "agora_rtm_rest")]
pub struct AsyncWatcher {
    inner: SharedWatcher,
}

#[pymethods]
impl AsyncWatcher {
    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let w = self.inner.clone();
        let convert: Convert<_> = Box::new(|py, item| match item {
            None => Err(pyo3::exceptions::PyStopAsyncIteration::new_err(())),
            Some(Ok(item)) => item_to_py(py, item),
            Some(Err(e)) => Err(watch_to_py(py, &e)),
        });
        rt::into_future(py, async move { w.lock().await.next().await }, convert)
    }

    /// Asks the watcher to stop (see `Watcher.stop`).
    fn stop(&self, py: Python<'_>) {
        stop_watcher(py, &self.inner);
    }

    /// The current presence snapshot (None unless started with `presence=True`).
    #[getter]
    fn presence(&self, py: Python<'_>) -> Option<Presence> {
        presence_of(py, &self.inner)
    }

    fn __aenter__<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        rt::ready_future(py, slf.into_any())
    }

    #[pyo3(signature = (*_args))]
    fn __aexit__<'py>(
        &self,
        py: Python<'py>,
        _args: &Bound<'py, pyo3::types::PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.stop(py);
        rt::ready_future(py, false.into_pyobject(py)?.to_owned().into_any())
    }
}
