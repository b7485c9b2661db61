//! Sending messages and reading message history: the Rust client's
//! `send_peer_message`, `send_channel_message`, `history_page`, `count_history`,
//! and lazy history cursors (`HistoryPages`, `HistoryV2Pages`) as Python
//! iterators and async iterators. Every rule (ids, payloads, limits, ranges, the
//! token's user) is checked by the Rust types; this module only converts arguments.

use std::collections::VecDeque;
use std::sync::Arc;

use agora_rtm_rest::protocol::messages::check_acting_user;
use agora_rtm_rest::{
    ChannelType, Error, HistoryFilter, HistoryMessage as RustHistoryMessage, HistoryOrder,
    HistoryPages, HistoryQuery, HistoryV2Message as RustHistoryV2Message, HistoryV2Pages,
    HistoryV2Payload, HistoryV2Query, MessageOutcome, MessageReceipt as RustReceipt,
    SendChannelMessage, SendPeerMessage,
};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyDict, PyList};
use tokio::sync::Mutex as AsyncMutex;

use crate::client::{AsyncClient, Client, Core};
use crate::errors::{invalid_input, to_py};
use crate::rt::{self, Convert};
use crate::types::{datetime_from_ms, kind_object};

static OUTCOME: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

// ------------------------------------------------------------------ arguments

/// The unit of an `int` time argument.
#[derive(Clone, Copy)]
enum Unit {
    Seconds,
    Millis,
}

/// Unix time (in `unit`) from a timezone-aware `datetime` or a non-negative `int`
/// (already in `unit`). A naive datetime is refused: its zone is unknown.
fn unix_time(py: Python<'_>, field: &str, v: &Bound<'_, PyAny>, unit: Unit) -> PyResult<u64> {
    let what = match unit {
        Unit::Seconds => "an aware datetime or an int (Unix seconds)",
        Unit::Millis => "an aware datetime or an int (Unix milliseconds)",
    };
    if v.is_instance_of::<PyBool>() {
        return Err(invalid_input(py, field, format!("must be {what}")));
    }
    if let Ok(n) = v.extract::<i128>() {
        return u64::try_from(n)
            .map_err(|_| invalid_input(py, field, "must be a non-negative Unix time"));
    }
    let datetime = py.import("datetime")?.getattr("datetime")?;
    if !v.is_instance(&datetime)? {
        return Err(invalid_input(py, field, format!("must be {what}")));
    }
    if v.call_method0("utcoffset")?.is_none() {
        return Err(invalid_input(
            py,
            field,
            "must be a timezone-aware datetime (a naive one is ambiguous; use tzinfo=datetime.timezone.utc)",
        ));
    }
    let delta = v.sub(datetime_from_ms(py, 0)?)?;
    let days: i64 = delta.getattr("days")?.extract()?;
    let secs: i64 = delta.getattr("seconds")?.extract()?;
    let micros: i64 = delta.getattr("microseconds")?.extract()?;
    let ms = days * 86_400_000 + secs * 1000 + micros / 1000;
    let ms = u64::try_from(ms).map_err(|_| invalid_input(py, field, "must not be before 1970"))?;
    Ok(match unit {
        Unit::Seconds => ms / 1000,
        Unit::Millis => ms,
    })
}

/// A count argument as `u32`; out-of-range values are invalid input (not OverflowError).
fn count_arg(py: Python<'_>, field: &str, n: i64) -> PyResult<u32> {
    u32::try_from(n).map_err(|_| invalid_input(py, field, format!("{n} is out of range")))
}

fn py_err(py: Python<'_>) -> impl Fn(Error) -> PyErr + '_ {
    move |e| to_py(py, &e)
}

/// The legacy filter from the Python arguments.
fn legacy_filter(
    py: Python<'_>,
    source: Option<&str>,
    destination: Option<&str>,
    start_time: &Bound<'_, PyAny>,
    end_time: &Bound<'_, PyAny>,
) -> PyResult<HistoryFilter> {
    let start = unix_time(py, "start_time", start_time, Unit::Seconds)?;
    let end = unix_time(py, "end_time", end_time, Unit::Seconds)?;
    HistoryFilter::new(source, destination, start, end).map_err(py_err(py))
}

/// The legacy query from the Python arguments.
#[allow(clippy::too_many_arguments)]
fn legacy_query(
    py: Python<'_>,
    source: Option<&str>,
    destination: Option<&str>,
    start_time: &Bound<'_, PyAny>,
    end_time: &Bound<'_, PyAny>,
    limit: i64,
    order: &str,
    offset: u64,
) -> PyResult<HistoryQuery> {
    let filter = legacy_filter(py, source, destination, start_time, end_time)?;
    let limit = count_arg(py, "limit", limit)?;
    let order: HistoryOrder = order.parse().map_err(py_err(py))?;
    Ok(HistoryQuery::from_filter(filter)
        .limit(limit)
        .map_err(py_err(py))?
        .order(order)
        .offset(offset))
}

/// The Signaling 2.x query from the Python arguments, checked (range, token's
/// user) now so that a lazy iterator raises at the call, before any request.
/// The Rust rule on `message_count` is reported under the Python name `page_size`.
#[allow(clippy::too_many_arguments)]
fn v2_query(
    py: Python<'_>,
    client: &agora_rtm_rest::Client,
    user_id: String,
    channel: String,
    channel_type: &str,
    start: Option<&Bound<'_, PyAny>>,
    end: Option<&Bound<'_, PyAny>>,
    page_size: i64,
) -> PyResult<HistoryV2Query> {
    let channel_type: ChannelType = channel_type.parse().map_err(py_err(py))?;
    let start = start
        .filter(|v| !v.is_none())
        .map(|v| unix_time(py, "start", v, Unit::Millis))
        .transpose()?;
    let end = end
        .filter(|v| !v.is_none())
        .map(|v| unix_time(py, "end", v, Unit::Millis))
        .transpose()?;
    let count = count_arg(py, "page_size", page_size)?;
    let query = HistoryV2Query::new(user_id, channel_type, channel)
        .map_err(py_err(py))?
        .start(start)
        .end(end)
        .message_count(count)
        .map_err(|e| match e {
            Error::InvalidInput { field, rule } if field == "message_count" => {
                invalid_input(py, "page_size", rule)
            }
            other => to_py(py, &other),
        })?;
    query.validate().map_err(py_err(py))?;
    check_acting_user(client.credentials(), "user_id", query.user_id()).map_err(py_err(py))?;
    Ok(query)
}

// ------------------------------------------------------------------ values

/// What the service said about a sent message.
#[pyclass(frozen, eq, hash, module = "agora_rtm_rest")]
#[derive(PartialEq, Eq, Hash)]
pub struct MessageReceipt {
    request_id: String,
    outcome: MessageOutcome,
}

impl From<RustReceipt> for MessageReceipt {
    fn from(r: RustReceipt) -> Self {
        MessageReceipt {
            request_id: r.request_id,
            outcome: r.outcome,
        }
    }
}

#[pymethods]
impl MessageReceipt {
    /// The service's request id (empty when the answer had none).
    #[getter]
    fn request_id(&self) -> &str {
        &self.request_id
    }
    /// `MessageOutcome.SENT` / `DELIVERED` / `OFFLINE`, or the raw code when unknown.
    #[getter]
    fn outcome<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let known = !matches!(self.outcome, MessageOutcome::Other(_));
        kind_object(py, &OUTCOME, "MessageOutcome", self.outcome.as_str(), known)
    }
    /// `{"request_id", "outcome"}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("request_id", &self.request_id)?;
        d.set_item("outcome", self.outcome.as_str())?;
        Ok(d)
    }
    fn __repr__(&self) -> String {
        format!(
            "MessageReceipt(request_id={:?}, outcome={:?})",
            self.request_id,
            self.outcome.as_str()
        )
    }
}

/// One stored message of the legacy history API.
#[pyclass(frozen, eq, hash, module = "agora_rtm_rest")]
#[derive(PartialEq, Eq, Hash)]
pub struct HistoryMessage {
    inner: RustHistoryMessage,
}

#[pymethods]
impl HistoryMessage {
    /// The sender.
    #[getter]
    fn src(&self) -> &str {
        &self.inner.src
    }
    /// The receiver: a user or a channel.
    #[getter]
    fn dst(&self) -> &str {
        &self.inner.dst
    }
    /// `peer_message`, `channel_message`, `group_message` or the raw wire name.
    #[getter]
    fn message_type(&self) -> &str {
        self.inner.kind.as_str()
    }
    /// The payload.
    #[getter]
    fn payload(&self) -> &str {
        &self.inner.payload
    }
    /// When it was sent, Unix milliseconds.
    #[getter]
    fn ms(&self) -> u64 {
        self.inner.ms
    }
    /// When it was sent, as an aware UTC datetime.
    #[getter]
    fn time<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        datetime_from_ms(py, self.inner.ms)
    }
    /// `{"src", "dst", "message_type", "payload", "ms"}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("src", &self.inner.src)?;
        d.set_item("dst", &self.inner.dst)?;
        d.set_item("message_type", self.inner.kind.as_str())?;
        d.set_item("payload", &self.inner.payload)?;
        d.set_item("ms", self.inner.ms)?;
        Ok(d)
    }
    fn __repr__(&self) -> String {
        format!(
            "HistoryMessage(src={:?}, dst={:?}, message_type={:?}, payload={:?}, ms={})",
            self.inner.src,
            self.inner.dst,
            self.inner.kind.as_str(),
            self.inner.payload,
            self.inner.ms
        )
    }
}

/// One message of the Signaling 2.x history API.
#[pyclass(frozen, eq, hash, module = "agora_rtm_rest")]
#[derive(PartialEq, Eq, Hash)]
pub struct HistoryV2Message {
    inner: RustHistoryV2Message,
}

impl HistoryV2Message {
    fn type_name(&self) -> &'static str {
        match self.inner.payload {
            HistoryV2Payload::Text(_) => "STRING",
            HistoryV2Payload::Binary(_) => "BINARY",
        }
    }
}

#[pymethods]
impl HistoryV2Message {
    /// The sender.
    #[getter]
    fn publisher(&self) -> &str {
        &self.inner.publisher
    }
    /// When it was sent, Unix milliseconds.
    #[getter]
    fn timestamp(&self) -> u64 {
        self.inner.timestamp
    }
    /// When it was sent, as an aware UTC datetime.
    #[getter]
    fn time<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        datetime_from_ms(py, self.inner.timestamp)
    }
    /// The application's custom type, or None.
    #[getter]
    fn custom_type(&self) -> Option<&str> {
        self.inner.custom_type.as_deref()
    }
    /// `"STRING"` or `"BINARY"`.
    #[getter]
    fn message_type(&self) -> &'static str {
        self.type_name()
    }
    /// `str` for a STRING message, `bytes` for a BINARY one.
    #[getter]
    fn payload<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(match &self.inner.payload {
            HistoryV2Payload::Text(s) => s.into_pyobject(py)?.into_any(),
            HistoryV2Payload::Binary(b) => PyBytes::new(py, b).into_any(),
        })
    }
    /// `{"publisher", "timestamp", "custom_type", "message_type", "payload"}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("publisher", &self.inner.publisher)?;
        d.set_item("timestamp", self.inner.timestamp)?;
        d.set_item("custom_type", self.inner.custom_type.as_deref())?;
        d.set_item("message_type", self.type_name())?;
        d.set_item("payload", self.payload(py)?)?;
        Ok(d)
    }
    fn __repr__(&self) -> String {
        let payload = match &self.inner.payload {
            HistoryV2Payload::Text(s) => format!("{s:?}"),
            HistoryV2Payload::Binary(b) => format!("<{} bytes>", b.len()),
        };
        format!(
            "HistoryV2Message(publisher={:?}, timestamp={}, custom_type={:?}, message_type={:?}, payload={payload})",
            self.inner.publisher,
            self.inner.timestamp,
            self.inner.custom_type,
            self.type_name()
        )
    }
}

fn messages_list<'py, T, P>(py: Python<'py>, items: Vec<T>, wrap: fn(T) -> P) -> PyResult<Py<PyAny>>
where
    P: pyo3::PyClass + Into<pyo3::PyClassInitializer<P>>,
{
    let objs = items
        .into_iter()
        .map(|m| Py::new(py, wrap(m)))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(PyList::new(py, objs)?.into_any().unbind())
}

fn legacy_wrap(inner: RustHistoryMessage) -> HistoryMessage {
    HistoryMessage { inner }
}

// ------------------------------------------------------------------ cursors

enum Pages {
    Legacy(HistoryPages),
    V2(HistoryV2Pages),
}

enum Msg {
    Legacy(RustHistoryMessage),
    V2(RustHistoryV2Message),
}

struct CursorState {
    pages: Pages,
    buffered: VecDeque<Msg>,
}

/// A lazy cursor over the messages of a history query: the next page is only
/// requested when the buffered one is used up.
#[derive(Clone)]
struct Cursor(Arc<AsyncMutex<CursorState>>);

impl Cursor {
    fn new(pages: Pages) -> Self {
        Cursor(Arc::new(AsyncMutex::new(CursorState {
            pages,
            buffered: VecDeque::new(),
        })))
    }

    async fn next(self) -> Option<Result<Msg, Error>> {
        let mut st = self.0.lock().await;
        loop {
            if let Some(m) = st.buffered.pop_front() {
                return Some(Ok(m));
            }
            let page: Vec<Msg> = match &mut st.pages {
                Pages::Legacy(p) => match p.next_page().await? {
                    Ok(page) => page.into_iter().map(Msg::Legacy).collect(),
                    Err(e) => return Some(Err(e)),
                },
                Pages::V2(p) => match p.next_page().await? {
                    Ok(page) => page.into_iter().map(Msg::V2).collect(),
                    Err(e) => return Some(Err(e)),
                },
            };
            st.buffered.extend(page);
        }
    }
}

fn msg_to_py(py: Python<'_>, m: Msg) -> PyResult<Py<PyAny>> {
    Ok(match m {
        Msg::Legacy(inner) => Py::new(py, HistoryMessage { inner })?.into_any(),
        Msg::V2(inner) => Py::new(py, HistoryV2Message { inner })?.into_any(),
    })
}

macro_rules! sync_cursor {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        #[pyclass(frozen, module = "agora_rtm_rest")]
        pub struct $name {
            cursor: Cursor,
            /// The blocking client's own runtime, when it has one.
            local: Option<Arc<rt::Local>>,
        }

        #[pymethods]
        impl $name {
            fn __iter__(slf: Py<Self>) -> Py<Self> {
                slf
            }

            fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
                let c = self.cursor.clone();
                let next = match &self.local {
                    Some(local) => local.block_on(py, c.next())?,
                    None => rt::block_on(py, c.next())?,
                };
                match next {
                    None => Ok(None),
                    Some(Ok(m)) => Ok(Some(msg_to_py(py, m)?)),
                    Some(Err(e)) => Err(to_py(py, &e)),
                }
            }

            fn __repr__(&self) -> String {
                concat!(stringify!($name), "(...)").to_owned()
            }
        }
    };
}

macro_rules! async_cursor {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        #[pyclass(frozen, module = "agora_rtm_rest")]
        pub struct $name {
            cursor: Cursor,
        }

        #[pymethods]
        impl $name {
            fn __aiter__(slf: Py<Self>) -> Py<Self> {
                slf
            }

            fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                let c = self.cursor.clone();
                let convert: Convert<_> = Box::new(|py, item| match item {
                    None => Err(pyo3::exceptions::PyStopAsyncIteration::new_err(())),
                    Some(Ok(m)) => msg_to_py(py, m),
                    Some(Err(e)) => Err(to_py(py, &e)),
                });
                rt::into_future(py, c.next(), convert)
            }

            fn __repr__(&self) -> String {
                concat!(stringify!($name), "(...)").to_owned()
            }
        }
    };
}

sync_cursor!(
    HistoryIterator,
    "Legacy history messages, fetched a page at a time as the iteration reaches it."
);
sync_cursor!(
    HistoryV2Iterator,
    "Signaling 2.x history messages (newest first), fetched a page at a time."
);
async_cursor!(
    AsyncHistoryIterator,
    "Legacy history messages for `async for`, fetched a page at a time."
);
async_cursor!(
    AsyncHistoryV2Iterator,
    "Signaling 2.x history messages for `async for` (newest first), fetched a page at a time."
);

// ------------------------------------------------------------------ client methods

fn peer_message(
    py: Python<'_>,
    from_user: String,
    to: String,
    payload: String,
    wait_for_ack: bool,
    store_in_history: bool,
) -> PyResult<SendPeerMessage> {
    Ok(SendPeerMessage::new(from_user, to, payload)
        .map_err(py_err(py))?
        .wait_for_ack(wait_for_ack)
        .store_in_history(store_in_history))
}

fn channel_message(
    py: Python<'_>,
    from_user: String,
    channel: String,
    payload: String,
    store_in_history: bool,
) -> PyResult<SendChannelMessage> {
    Ok(SendChannelMessage::new(from_user, channel, payload)
        .map_err(py_err(py))?
        .store_in_history(store_in_history))
}

fn legacy_cursor(core: &Core, query: HistoryQuery) -> PyResult<Cursor> {
    Ok(Cursor::new(Pages::Legacy(HistoryPages::new(
        core.client()?,
        query,
    ))))
}

fn v2_cursor(client: agora_rtm_rest::Client, query: HistoryV2Query) -> Cursor {
    Cursor::new(Pages::V2(HistoryV2Pages::new(client, query)))
}

#[pymethods]
impl Client {
    /// Sends a message from `from_user` to user `to` (see the README).
    #[pyo3(signature = (from_user, to, payload, *, wait_for_ack=false, store_in_history=false))]
    fn send_peer_message(
        &self,
        py: Python<'_>,
        from_user: String,
        to: String,
        payload: String,
        wait_for_ack: bool,
        store_in_history: bool,
    ) -> PyResult<MessageReceipt> {
        let m = peer_message(py, from_user, to, payload, wait_for_ack, store_in_history)?;
        let r = self
            .core
            .run(py, |c| async move { c.send_peer_message(m).await })?;
        Ok(r.map_err(py_err(py))?.into())
    }

    /// Sends a message from `from_user` to `channel`.
    #[pyo3(signature = (from_user, channel, payload, *, store_in_history=false))]
    fn send_channel_message(
        &self,
        py: Python<'_>,
        from_user: String,
        channel: String,
        payload: String,
        store_in_history: bool,
    ) -> PyResult<MessageReceipt> {
        let m = channel_message(py, from_user, channel, payload, store_in_history)?;
        let r = self
            .core
            .run(py, |c| async move { c.send_channel_message(m).await })?;
        Ok(r.map_err(py_err(py))?.into())
    }

    /// Legacy history: every matching message, fetched lazily page by page.
    #[pyo3(signature = (*, source=None, destination=None, start_time, end_time, limit=20, order="asc"))]
    #[allow(clippy::too_many_arguments)]
    fn history(
        &self,
        py: Python<'_>,
        source: Option<&str>,
        destination: Option<&str>,
        start_time: &Bound<'_, PyAny>,
        end_time: &Bound<'_, PyAny>,
        limit: i64,
        order: &str,
    ) -> PyResult<HistoryIterator> {
        let q = legacy_query(
            py,
            source,
            destination,
            start_time,
            end_time,
            limit,
            order,
            0,
        )?;
        let (client, local) = self.core.cursor_client()?;
        Ok(HistoryIterator {
            cursor: Cursor::new(Pages::Legacy(HistoryPages::new(client, q))),
            local,
        })
    }

    /// Legacy history: one page (`limit` messages from `offset`) as a list.
    #[pyo3(signature = (*, source=None, destination=None, start_time, end_time, limit=20, order="asc", offset=0))]
    #[allow(clippy::too_many_arguments)]
    fn history_page(
        &self,
        py: Python<'_>,
        source: Option<&str>,
        destination: Option<&str>,
        start_time: &Bound<'_, PyAny>,
        end_time: &Bound<'_, PyAny>,
        limit: i64,
        order: &str,
        offset: u64,
    ) -> PyResult<Py<PyAny>> {
        let q = legacy_query(
            py,
            source,
            destination,
            start_time,
            end_time,
            limit,
            order,
            offset,
        )?;
        let r = self
            .core
            .run(py, |c| async move { c.history_page(q).await })?;
        messages_list(py, r.map_err(py_err(py))?, legacy_wrap)
    }

    /// Legacy history: how many stored messages match.
    #[pyo3(signature = (*, source=None, destination=None, start_time, end_time))]
    fn count_history(
        &self,
        py: Python<'_>,
        source: Option<&str>,
        destination: Option<&str>,
        start_time: &Bound<'_, PyAny>,
        end_time: &Bound<'_, PyAny>,
    ) -> PyResult<u64> {
        let f = legacy_filter(py, source, destination, start_time, end_time)?;
        let r = self
            .core
            .run(py, |c| async move { c.count_history(f).await })?;
        r.map_err(py_err(py))
    }

    /// Signaling 2.x history of `channel` read as `user_id`, newest first, fetched lazily.
    #[pyo3(signature = (user_id, channel, *, channel_type="message", start=None, end=None, page_size=100))]
    #[allow(clippy::too_many_arguments)]
    fn history_v2(
        &self,
        py: Python<'_>,
        user_id: String,
        channel: String,
        channel_type: &str,
        start: Option<&Bound<'_, PyAny>>,
        end: Option<&Bound<'_, PyAny>>,
        page_size: i64,
    ) -> PyResult<HistoryV2Iterator> {
        let (client, local) = self.core.cursor_client()?;
        let q = v2_query(
            py,
            &client,
            user_id,
            channel,
            channel_type,
            start,
            end,
            page_size,
        )?;
        Ok(HistoryV2Iterator {
            cursor: v2_cursor(client, q),
            local,
        })
    }
}

#[pymethods]
impl AsyncClient {
    /// Sends a message from `from_user` to user `to` (an awaitable MessageReceipt).
    #[pyo3(signature = (from_user, to, payload, *, wait_for_ack=false, store_in_history=false))]
    fn send_peer_message<'py>(
        &self,
        py: Python<'py>,
        from_user: String,
        to: String,
        payload: String,
        wait_for_ack: bool,
        store_in_history: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let m = peer_message(py, from_user, to, payload, wait_for_ack, store_in_history)?;
        let c = self.core.client()?;
        rt::into_future(
            py,
            async move { c.send_peer_message(m).await },
            receipt_convert(),
        )
    }

    /// Sends a message from `from_user` to `channel` (an awaitable MessageReceipt).
    #[pyo3(signature = (from_user, channel, payload, *, store_in_history=false))]
    fn send_channel_message<'py>(
        &self,
        py: Python<'py>,
        from_user: String,
        channel: String,
        payload: String,
        store_in_history: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let m = channel_message(py, from_user, channel, payload, store_in_history)?;
        let c = self.core.client()?;
        rt::into_future(
            py,
            async move { c.send_channel_message(m).await },
            receipt_convert(),
        )
    }

    /// Legacy history for `async for`: every matching message, fetched lazily.
    #[pyo3(signature = (*, source=None, destination=None, start_time, end_time, limit=20, order="asc"))]
    #[allow(clippy::too_many_arguments)]
    fn history(
        &self,
        py: Python<'_>,
        source: Option<&str>,
        destination: Option<&str>,
        start_time: &Bound<'_, PyAny>,
        end_time: &Bound<'_, PyAny>,
        limit: i64,
        order: &str,
    ) -> PyResult<AsyncHistoryIterator> {
        let q = legacy_query(
            py,
            source,
            destination,
            start_time,
            end_time,
            limit,
            order,
            0,
        )?;
        Ok(AsyncHistoryIterator {
            cursor: legacy_cursor(&self.core, q)?,
        })
    }

    /// Legacy history: one page as an awaitable list.
    #[pyo3(signature = (*, source=None, destination=None, start_time, end_time, limit=20, order="asc", offset=0))]
    #[allow(clippy::too_many_arguments)]
    fn history_page<'py>(
        &self,
        py: Python<'py>,
        source: Option<&str>,
        destination: Option<&str>,
        start_time: &Bound<'py, PyAny>,
        end_time: &Bound<'py, PyAny>,
        limit: i64,
        order: &str,
        offset: u64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let q = legacy_query(
            py,
            source,
            destination,
            start_time,
            end_time,
            limit,
            order,
            offset,
        )?;
        let c = self.core.client()?;
        let convert: Convert<_> = Box::new(|py, r: Result<Vec<RustHistoryMessage>, Error>| {
            messages_list(py, r.map_err(py_err(py))?, legacy_wrap)
        });
        rt::into_future(py, async move { c.history_page(q).await }, convert)
    }

    /// Legacy history: an awaitable count of the matching messages.
    #[pyo3(signature = (*, source=None, destination=None, start_time, end_time))]
    fn count_history<'py>(
        &self,
        py: Python<'py>,
        source: Option<&str>,
        destination: Option<&str>,
        start_time: &Bound<'py, PyAny>,
        end_time: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let f = legacy_filter(py, source, destination, start_time, end_time)?;
        let c = self.core.client()?;
        let convert: Convert<_> = Box::new(|py, r: Result<u64, Error>| {
            Ok(r.map_err(py_err(py))?
                .into_pyobject(py)?
                .into_any()
                .unbind())
        });
        rt::into_future(py, async move { c.count_history(f).await }, convert)
    }

    /// Signaling 2.x history for `async for`, newest first, fetched lazily.
    #[pyo3(signature = (user_id, channel, *, channel_type="message", start=None, end=None, page_size=100))]
    #[allow(clippy::too_many_arguments)]
    fn history_v2(
        &self,
        py: Python<'_>,
        user_id: String,
        channel: String,
        channel_type: &str,
        start: Option<&Bound<'_, PyAny>>,
        end: Option<&Bound<'_, PyAny>>,
        page_size: i64,
    ) -> PyResult<AsyncHistoryV2Iterator> {
        let client = self.core.client()?;
        let q = v2_query(
            py,
            &client,
            user_id,
            channel,
            channel_type,
            start,
            end,
            page_size,
        )?;
        Ok(AsyncHistoryV2Iterator {
            cursor: v2_cursor(client, q),
        })
    }
}

fn receipt_convert() -> Convert<Result<RustReceipt, Error>> {
    Box::new(|py, r| {
        let receipt = MessageReceipt::from(r.map_err(py_err(py))?);
        Ok(Py::new(py, receipt)?.into_any())
    })
}
