//! Events, pages, gaps, stats and presence snapshots as Python objects.

use agora_rtm_rest::protocol::presence::Presence as RustPresence;
use agora_rtm_rest::{
    ChannelEvent as RustChannelEvent, ChannelEventKind, EventsPage, Gap as RustGap,
    PresenceSnapshot, UserEvent as RustUserEvent, UserEventKind, WatchItem,
    WatchStats as RustStats,
};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyTuple};
use serde_json::Value;

static EPOCH: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static TIMEDELTA: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static USER_KIND: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static CHANNEL_KIND: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// An aware UTC `datetime` for Unix milliseconds (exact: epoch + timedelta).
pub(crate) fn datetime_from_ms(py: Python<'_>, ms: u64) -> PyResult<Bound<'_, PyAny>> {
    let epoch = EPOCH.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        let dt = py.import("datetime")?;
        let utc = dt.getattr("timezone")?.getattr("utc")?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("tzinfo", utc)?;
        Ok(dt
            .getattr("datetime")?
            .call((1970, 1, 1), Some(&kwargs))?
            .unbind())
    })?;
    let timedelta = TIMEDELTA.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py.import("datetime")?.getattr("timedelta")?.unbind())
    })?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("milliseconds", ms)?;
    let delta = timedelta.bind(py).call((), Some(&kwargs))?;
    epoch.bind(py).add(delta)
}

/// The kind as a member of the package's `str` enum, or the raw text when unknown.
pub(crate) fn kind_object<'py>(
    py: Python<'py>,
    cell: &PyOnceLock<Py<PyAny>>,
    enum_name: &str,
    text: &str,
    known: bool,
) -> PyResult<Bound<'py, PyAny>> {
    if !known {
        return Ok(text.into_pyobject(py)?.into_any());
    }
    let cls = cell.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py
            .import("agora_rtm_rest._kinds")?
            .getattr(enum_name)?
            .unbind())
    })?;
    cls.bind(py).call1((text,))
}

/// Converts JSON to Python objects (dict, list, str, int, float, bool, None).
pub(crate) fn json_to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_u64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => s.into_pyobject(py)?.into_any(),
        Value::Array(a) => {
            let items = a
                .iter()
                .map(|x| json_to_py(py, x))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any()
        }
        Value::Object(o) => {
            let d = PyDict::new(py);
            for (k, x) in o {
                d.set_item(k, json_to_py(py, x)?)?;
            }
            d.into_any()
        }
    })
}

/// A login or logout.
#[pyclass(frozen, eq, hash, module = "agora_rtm_rest")]
#[derive(PartialEq, Eq, Hash)]
pub struct UserEvent {
    pub(crate) inner: RustUserEvent,
}

#[pymethods]
impl UserEvent {
    #[new]
    fn new(user_id: String, kind: &str, ms: u64) -> Self {
        UserEvent {
            inner: RustUserEvent {
                user_id,
                kind: UserEventKind::from_wire(kind),
                ms,
            },
        }
    }
    /// The user.
    #[getter]
    fn user_id(&self) -> &str {
        &self.inner.user_id
    }
    /// `UserEventKind.LOGIN` / `LOGOUT`, or the wire text of an unknown kind.
    #[getter]
    fn kind<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let known = !matches!(self.inner.kind, UserEventKind::Other(_));
        kind_object(
            py,
            &USER_KIND,
            "UserEventKind",
            self.inner.kind.as_str(),
            known,
        )
    }
    /// Event time, Unix milliseconds.
    #[getter]
    fn ms(&self) -> u64 {
        self.inner.ms
    }
    /// Event time as an aware UTC datetime.
    #[getter]
    fn time<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        datetime_from_ms(py, self.inner.ms)
    }
    /// `{"user_id", "kind", "ms"}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("user_id", &self.inner.user_id)?;
        d.set_item("kind", self.inner.kind.as_str())?;
        d.set_item("ms", self.inner.ms)?;
        Ok(d)
    }
    fn __repr__(&self) -> String {
        format!(
            "UserEvent(user_id={:?}, kind={:?}, ms={})",
            self.inner.user_id,
            self.inner.kind.as_str(),
            self.inner.ms
        )
    }
}

/// A channel join or leave.
#[pyclass(frozen, eq, hash, module = "agora_rtm_rest")]
#[derive(PartialEq, Eq, Hash)]
pub struct ChannelEvent {
    pub(crate) inner: RustChannelEvent,
}

#[pymethods]
impl ChannelEvent {
    #[new]
    fn new(channel_id: String, user_id: String, kind: &str, ms: u64) -> Self {
        ChannelEvent {
            inner: RustChannelEvent {
                channel_id,
                user_id,
                kind: ChannelEventKind::from_wire(kind),
                ms,
            },
        }
    }
    /// The channel.
    #[getter]
    fn channel_id(&self) -> &str {
        &self.inner.channel_id
    }
    /// The user.
    #[getter]
    fn user_id(&self) -> &str {
        &self.inner.user_id
    }
    /// `ChannelEventKind.JOIN` / `LEAVE`, or the wire text of an unknown kind.
    #[getter]
    fn kind<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let known = !matches!(self.inner.kind, ChannelEventKind::Other(_));
        kind_object(
            py,
            &CHANNEL_KIND,
            "ChannelEventKind",
            self.inner.kind.as_str(),
            known,
        )
    }
    /// Event time, Unix milliseconds.
    #[getter]
    fn ms(&self) -> u64 {
        self.inner.ms
    }
    /// Event time as an aware UTC datetime.
    #[getter]
    fn time<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        datetime_from_ms(py, self.inner.ms)
    }
    /// `{"channel_id", "user_id", "kind", "ms"}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("channel_id", &self.inner.channel_id)?;
        d.set_item("user_id", &self.inner.user_id)?;
        d.set_item("kind", self.inner.kind.as_str())?;
        d.set_item("ms", self.inner.ms)?;
        Ok(d)
    }
    fn __repr__(&self) -> String {
        format!(
            "ChannelEvent(channel_id={:?}, user_id={:?}, kind={:?}, ms={})",
            self.inner.channel_id,
            self.inner.user_id,
            self.inner.kind.as_str(),
            self.inner.ms
        )
    }
}

macro_rules! page_class {
    ($name:ident, $event:ident, $doc:literal) => {
        #[doc = $doc]
        #[pyclass(frozen, module = "agora_rtm_rest")]
        pub struct $name {
            request_id: String,
            events: Py<PyTuple>,
        }

        impl $name {
            pub(crate) fn from_page(
                py: Python<'_>,
                page: EventsPage<<$event as EventType>::Rust>,
            ) -> PyResult<Self> {
                let items = page
                    .events
                    .into_iter()
                    .map(|inner| Py::new(py, $event { inner }))
                    .collect::<PyResult<Vec<_>>>()?;
                Ok($name {
                    request_id: page.request_id,
                    events: PyTuple::new(py, items)?.unbind(),
                })
            }
        }

        #[pymethods]
        impl $name {
            /// The service's request id.
            #[getter]
            fn request_id(&self) -> &str {
                &self.request_id
            }
            /// The events, oldest first.
            #[getter]
            fn events(&self, py: Python<'_>) -> Py<PyTuple> {
                self.events.clone_ref(py)
            }
            /// True when the page holds the service's maximum (1000): more is waiting.
            fn is_full(&self, py: Python<'_>) -> bool {
                self.events.bind(py).len() >= 1000
            }
            fn __len__(&self, py: Python<'_>) -> usize {
                self.events.bind(py).len()
            }
            fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                Ok(self.events.bind(py).try_iter()?.into_any())
            }
            fn __getitem__<'py>(
                &self,
                py: Python<'py>,
                index: &Bound<'py, PyAny>,
            ) -> PyResult<Bound<'py, PyAny>> {
                self.events.bind(py).as_any().get_item(index)
            }
            fn __repr__(&self, py: Python<'_>) -> String {
                format!(
                    "{}(request_id={:?}, events=<{} events>)",
                    stringify!($name),
                    self.request_id,
                    self.events.bind(py).len()
                )
            }
        }
    };
}

/// Maps a Python event class to the Rust event it wraps.
pub(crate) trait EventType {
    /// The Rust event.
    type Rust;
}
impl EventType for UserEvent {
    type Rust = RustUserEvent;
}
impl EventType for ChannelEvent {
    type Rust = RustChannelEvent;
}

page_class!(
    UserEventsPage,
    UserEvent,
    "One read of the user events feed."
);
page_class!(
    ChannelEventsPage,
    ChannelEvent,
    "One read of the channel events feed."
);

/// A stretch of a feed where events may be missing.
#[pyclass(frozen, module = "agora_rtm_rest")]
pub struct Gap {
    inner: RustGap,
}

#[pymethods]
impl Gap {
    /// `"user_events"` or `"channel_events"`.
    #[getter]
    fn feed(&self) -> &'static str {
        self.inner.feed.as_str()
    }
    /// The source (host) read.
    #[getter]
    fn source(&self) -> &str {
        &self.inner.source
    }
    /// `lost_response`, `undecodable`, `overflow` or `unreadable`.
    #[getter]
    fn reason(&self) -> &'static str {
        self.inner.reason.as_str()
    }
    /// Reads whose events were lost.
    #[getter]
    fn lost_reads(&self) -> u32 {
        self.inner.lost_reads
    }
    /// The newest event time delivered before the gap.
    #[getter]
    fn after_ms(&self) -> Option<u64> {
        self.inner.after_ms
    }
    /// The oldest event time delivered after the gap.
    #[getter]
    fn before_ms(&self) -> Option<u64> {
        self.inner.before_ms
    }
    /// Estimated lost events.
    #[getter]
    fn estimated_events(&self) -> Option<u64> {
        self.inner.estimated_events
    }
    /// The gap as the JSON-lines sink writes it.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &WatchItem::Gap(self.inner.clone()).to_json())
    }
    fn __repr__(&self) -> String {
        format!(
            "Gap(feed={:?}, reason={:?}, source={:?}, lost_reads={}, estimated_events={:?})",
            self.inner.feed.as_str(),
            self.inner.reason.as_str(),
            self.inner.source,
            self.inner.lost_reads,
            self.inner.estimated_events
        )
    }
}

/// Periodic counters of a watcher.
#[pyclass(frozen, module = "agora_rtm_rest")]
pub struct WatchStats {
    inner: RustStats,
}

#[pymethods]
impl WatchStats {
    /// Milliseconds since the watcher started.
    #[getter]
    fn elapsed_ms(&self) -> u64 {
        self.inner.elapsed_ms
    }
    /// Per feed (`"user_events"`, `"channel_events"`): a dict of counters
    /// (reads, failed_reads, events, duplicates, gaps, estimated_lost,
    /// server_429s, limiter_waits, full_pages, events_per_sec).
    #[getter]
    fn feeds<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let d = PyDict::new(py);
        for (feed, stats) in &self.inner.feeds {
            let v = serde_json::to_value(stats).unwrap_or_default();
            d.set_item(feed.as_str(), json_to_py(py, &v)?)?;
        }
        Ok(d.into_any())
    }
    /// The stats as the JSON-lines sink writes them.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &WatchItem::Stats(self.inner.clone()).to_json())
    }
    fn __repr__(&self) -> String {
        let events: u64 = self.inner.feeds.values().map(|f| f.events).sum();
        format!(
            "WatchStats(elapsed_ms={}, events={events})",
            self.inner.elapsed_ms
        )
    }
}

/// A watch item as a Python object (event, gap or stats).
pub(crate) fn item_to_py(py: Python<'_>, item: WatchItem) -> PyResult<Py<PyAny>> {
    Ok(match item {
        WatchItem::User(inner) => Py::new(py, UserEvent { inner })?.into_any(),
        WatchItem::Channel(inner) => Py::new(py, ChannelEvent { inner })?.into_any(),
        WatchItem::Gap(inner) => Py::new(py, Gap { inner })?.into_any(),
        WatchItem::Stats(inner) => Py::new(py, WatchStats { inner })?.into_any(),
    })
}

/// A snapshot of presence: who is online, who is in which channel.
#[pyclass(frozen, module = "agora_rtm_rest")]
pub struct Presence {
    snapshot: PresenceSnapshot,
    state: RustPresence,
}

impl Presence {
    pub(crate) fn new(snapshot: PresenceSnapshot) -> Self {
        let state = RustPresence::from_snapshot(&snapshot);
        Presence { snapshot, state }
    }
}

#[pymethods]
impl Presence {
    /// Online users, sorted.
    fn online_users(&self) -> Vec<String> {
        self.state
            .online_users()
            .into_iter()
            .map(str::to_owned)
            .collect()
    }
    /// Whether the user is online.
    fn is_online(&self, user_id: &str) -> bool {
        self.state.is_online(user_id)
    }
    /// When the user came online (Unix ms), if online.
    fn online_since(&self, user_id: &str) -> Option<u64> {
        self.state.online_since(user_id)
    }
    /// Members of a channel, sorted.
    fn members(&self, channel_id: &str) -> Vec<String> {
        self.state
            .members(channel_id)
            .into_iter()
            .map(str::to_owned)
            .collect()
    }
    /// Channels a user is in, sorted.
    fn channels_of(&self, user_id: &str) -> Vec<String> {
        self.state
            .channels_of(user_id)
            .into_iter()
            .map(str::to_owned)
            .collect()
    }
    /// Occupied channels, sorted.
    fn channels(&self) -> Vec<String> {
        self.snapshot.channels.keys().cloned().collect()
    }
    /// Number of online users.
    #[getter]
    fn online_count(&self) -> usize {
        self.snapshot.online_count()
    }
    /// Number of occupied channels.
    #[getter]
    fn channel_count(&self) -> usize {
        self.snapshot.channel_count()
    }
    /// Number of members of a channel.
    fn member_count(&self, channel_id: &str) -> usize {
        self.state.member_count(channel_id)
    }
    /// `{"online": {user: since_ms}, "channels": {channel: {user: since_ms}}}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("online", self.snapshot.online.clone())?;
        d.set_item("channels", self.snapshot.channels.clone())?;
        Ok(d)
    }
    fn __repr__(&self) -> String {
        format!(
            "Presence(online_count={}, channel_count={})",
            self.snapshot.online_count(),
            self.snapshot.channel_count()
        )
    }
}
