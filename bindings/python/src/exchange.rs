//! The protocol's sans-IO `Exchange` state machine as Python classes, so that
//! the shared vectors drive the real Rust code from Python (no re-implementation:
//! every decision is `agora_rtm_rest::protocol::Exchange`'s).

use std::sync::{Arc, Mutex};

use agora_rtm_rest::protocol::vectors::{
    VectorExchange as RustVectorExchange, auth_headers_from_json as auth_headers,
    config_from_json as build_config, transport_error_kind,
};
use agora_rtm_rest::protocol::{
    Config, EventsPage, Exchange as RustExchange, ExchangeReport, HttpRequest, HttpResponse,
    Instant, ReadChannelEvents, ReadUserEvents, Shared, Step, TransportError,
};
use agora_rtm_rest::{ChannelEvent as RustChannelEvent, UserEvent as RustUserEvent};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use serde_json::Value;

use crate::errors::{invalid_input, to_py};
use crate::types::{ChannelEventsPage, UserEventsPage, json_to_py};

fn to_json(py: Python<'_>, v: &Bound<'_, PyAny>) -> PyResult<Value> {
    json_arg(py, "config", v)
}

fn json_arg(py: Python<'_>, field: &str, v: &Bound<'_, PyAny>) -> PyResult<Value> {
    let text: String = py.import("json")?.call_method1("dumps", (v,))?.extract()?;
    serde_json::from_str(&text).map_err(|e| invalid_input(py, field, e.to_string()))
}

/// A client's shared exchange state (rate limiter, failover memory) with its
/// config and auth headers, built from the vectors' `config` and `auth` dicts.
#[pyclass(frozen, module = "agora_rtm_rest._native")]
pub struct ExchangeContext {
    config: Arc<Config>,
    shared: Shared,
    headers: Vec<(String, String)>,
}

#[pymethods]
impl ExchangeContext {
    #[new]
    fn new(py: Python<'_>, config: &Bound<'_, PyAny>, auth: &Bound<'_, PyAny>) -> PyResult<Self> {
        let c = to_json(py, config)?;
        let a = to_json(py, auth)?;
        let config = build_config(&c).map_err(|e| to_py(py, &e))?;
        let headers = auth_headers(config.app_id(), &a).map_err(|e| to_py(py, &e))?;
        let config = Arc::new(config);
        let shared = Shared::new(&config);
        Ok(ExchangeContext {
            config,
            shared,
            headers,
        })
    }
}

/// Send this request, then call `on_response` or `on_transport_error`.
#[pyclass(frozen, module = "agora_rtm_rest._native")]
pub struct SendStep {
    request: HttpRequest,
}

#[pymethods]
impl SendStep {
    /// `"GET"`, `"POST"`, ...
    #[getter]
    fn method(&self) -> &'static str {
        self.request.method.as_str()
    }
    /// The full URL.
    #[getter]
    fn url(&self) -> &str {
        &self.request.url
    }
    /// Headers as (name, value) pairs.
    #[getter]
    fn headers(&self) -> Vec<(String, String)> {
        self.request.headers.clone()
    }
    /// The body, or None.
    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        self.request.body.as_deref().map(|b| PyBytes::new(py, b))
    }
    /// A header by name (case-insensitive).
    fn header(&self, name: &str) -> Option<String> {
        self.request.header(name).map(str::to_owned)
    }
    fn __repr__(&self) -> String {
        format!(
            "SendStep({} {})",
            self.request.method.as_str(),
            self.request.url
        )
    }
}

/// Sleep `ms` milliseconds, then call `on_wait_elapsed`.
#[pyclass(frozen, module = "agora_rtm_rest._native")]
pub struct WaitStep {
    ms: u64,
}

#[pymethods]
impl WaitStep {
    /// The wait in milliseconds.
    #[getter]
    fn ms(&self) -> u64 {
        self.ms
    }
    fn __repr__(&self) -> String {
        format!("WaitStep(ms={})", self.ms)
    }
}

/// The exchange is over: `error` is set, or the result (`page` for `Exchange`,
/// `result`, the normalised JSON as a dict, for `VectorExchange`).
#[pyclass(frozen, module = "agora_rtm_rest._native")]
pub struct DoneStep {
    page: Option<Py<PyAny>>,
    result: Option<Py<PyAny>>,
    error: Option<Py<PyAny>>,
}

#[pymethods]
impl DoneStep {
    /// The page read (UserEventsPage or ChannelEventsPage), or None.
    #[getter]
    fn page(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.page.as_ref().map(|p| p.clone_ref(py))
    }
    /// The normalised result (a dict) of a `VectorExchange`, or None.
    #[getter]
    fn result(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.result.as_ref().map(|p| p.clone_ref(py))
    }
    /// The error (an AgoraRtmError instance), or None.
    #[getter]
    fn error(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.error.as_ref().map(|p| p.clone_ref(py))
    }
    fn __repr__(&self) -> String {
        format!("DoneStep(ok={})", self.error.is_none())
    }
}

enum AnyStep {
    User(Step<EventsPage<RustUserEvent>>),
    Channel(Step<EventsPage<RustChannelEvent>>),
}

enum AnyExchange {
    User(RustExchange<ReadUserEvents>),
    Channel(RustExchange<ReadChannelEvents>),
}

fn step_py<T>(
    py: Python<'_>,
    step: Step<EventsPage<T>>,
    page: fn(Python<'_>, EventsPage<T>) -> PyResult<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    Ok(match step {
        Step::Send(request) => Py::new(py, SendStep { request })?.into_any(),
        Step::Wait(d) => Py::new(
            py,
            WaitStep {
                ms: u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
            },
        )?
        .into_any(),
        Step::Done(Ok(p)) => Py::new(
            py,
            DoneStep {
                page: Some(page(py, p)?),
                result: None,
                error: None,
            },
        )?
        .into_any(),
        Step::Done(Err(e)) => Py::new(
            py,
            DoneStep {
                page: None,
                result: None,
                error: Some(to_py(py, &e).into_value(py).into_any()),
            },
        )?
        .into_any(),
    })
}

fn user_page(py: Python<'_>, p: EventsPage<RustUserEvent>) -> PyResult<Py<PyAny>> {
    Ok(Py::new(py, UserEventsPage::from_page(py, p)?)?.into_any())
}

fn channel_page(py: Python<'_>, p: EventsPage<RustChannelEvent>) -> PyResult<Py<PyAny>> {
    Ok(Py::new(py, ChannelEventsPage::from_page(py, p)?)?.into_any())
}

/// One API call through retries, failover and the rate limiter, with time (`now_ms`)
/// passed in: the protocol crate's `Exchange`.
#[pyclass(module = "agora_rtm_rest._native")]
pub struct Exchange {
    inner: Mutex<AnyExchange>,
}

impl Exchange {
    fn drive(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut AnyExchange) -> AnyStep,
    ) -> PyResult<Py<PyAny>> {
        let step = {
            let mut ex = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut ex)
        };
        match step {
            AnyStep::User(s) => step_py(py, s, user_page),
            AnyStep::Channel(s) => step_py(py, s, channel_page),
        }
    }
}

#[pymethods]
impl Exchange {
    #[new]
    fn new(
        py: Python<'_>,
        context: &ExchangeContext,
        operation: &str,
        seed: u64,
    ) -> PyResult<Self> {
        let (config, shared, headers) = (
            context.config.clone(),
            context.shared.clone(),
            context.headers.clone(),
        );
        let inner = match operation {
            "user_events" => AnyExchange::User(RustExchange::new(
                ReadUserEvents,
                config,
                shared,
                headers,
                seed,
            )),
            "channel_events" => AnyExchange::Channel(RustExchange::new(
                ReadChannelEvents,
                config,
                shared,
                headers,
                seed,
            )),
            _ => {
                return Err(invalid_input(
                    py,
                    "operation",
                    "must be \"user_events\" or \"channel_events\"",
                ));
            }
        };
        Ok(Exchange {
            inner: Mutex::new(inner),
        })
    }

    /// Starts the exchange at `now_ms`.
    fn start(&self, py: Python<'_>, now_ms: u64) -> PyResult<Py<PyAny>> {
        let now = Instant::from_millis(now_ms);
        self.drive(py, |ex| match ex {
            AnyExchange::User(e) => AnyStep::User(e.start(now)),
            AnyExchange::Channel(e) => AnyStep::Channel(e.start(now)),
        })
    }

    /// A response arrived at `now_ms`.
    #[pyo3(signature = (status, body, now_ms, headers=None))]
    fn on_response(
        &self,
        py: Python<'_>,
        status: u16,
        body: Vec<u8>,
        now_ms: u64,
        headers: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        let mut r = HttpResponse::new(status, body);
        if let Some(h) = headers {
            for (k, v) in h.iter() {
                r = r.with_header(k.extract::<String>()?, v.extract::<String>()?);
            }
        }
        let now = Instant::from_millis(now_ms);
        self.drive(py, move |ex| match ex {
            AnyExchange::User(e) => AnyStep::User(e.on_response(r, now)),
            AnyExchange::Channel(e) => AnyStep::Channel(e.on_response(r, now)),
        })
    }

    /// The request failed at the network level (`kind`: dns, connect, timeout,
    /// interrupted, body_too_large, other) at `now_ms`.
    fn on_transport_error(&self, py: Python<'_>, kind: &str, now_ms: u64) -> PyResult<Py<PyAny>> {
        let kind = transport_error_kind(kind);
        let err = TransportError::new(kind, "scripted");
        let now = Instant::from_millis(now_ms);
        self.drive(py, move |ex| match ex {
            AnyExchange::User(e) => AnyStep::User(e.on_transport_error(err, now)),
            AnyExchange::Channel(e) => AnyStep::Channel(e.on_transport_error(err, now)),
        })
    }

    /// The wait of the previous step elapsed at `now_ms`.
    fn on_wait_elapsed(&self, py: Python<'_>, now_ms: u64) -> PyResult<Py<PyAny>> {
        let now = Instant::from_millis(now_ms);
        self.drive(py, |ex| match ex {
            AnyExchange::User(e) => AnyStep::User(e.on_wait_elapsed(now)),
            AnyExchange::Channel(e) => AnyStep::Channel(e.on_wait_elapsed(now)),
        })
    }

    /// The exchange report: attempts, hosts, possibly_lost, undecodable_success,
    /// server_rate_limited, limiter_waits, waited_ms.
    fn report<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let ex = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let r = match &*ex {
            AnyExchange::User(e) => e.report().clone(),
            AnyExchange::Channel(e) => e.report().clone(),
        };
        report_dict(py, &r)
    }
}

fn report_dict<'py>(py: Python<'py>, r: &ExchangeReport) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("attempts", r.attempts)?;
    d.set_item("hosts", r.hosts.clone())?;
    d.set_item("possibly_lost", r.possibly_lost)?;
    d.set_item("undecodable_success", r.undecodable_success)?;
    d.set_item("server_rate_limited", r.server_rate_limited)?;
    d.set_item("limiter_waits", r.limiter_waits)?;
    d.set_item(
        "waited_ms",
        u64::try_from(r.waited.as_millis()).unwrap_or(u64::MAX),
    )?;
    Ok(d)
}

/// Any operation of a vector case (the string operations and the object ones:
/// messages, legacy history requests and flows, Signaling 2.x history) driven
/// through `agora_rtm_rest::protocol::vectors::VectorExchange`; a success ends
/// with `DoneStep.result`, the normalised JSON as a dict.
#[pyclass(module = "agora_rtm_rest._native")]
pub struct VectorExchange {
    inner: Mutex<RustVectorExchange>,
}

impl VectorExchange {
    fn drive(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut RustVectorExchange) -> Step<Value>,
    ) -> PyResult<Py<PyAny>> {
        let step = {
            let mut ex = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut ex)
        };
        Ok(match step {
            Step::Send(request) => Py::new(py, SendStep { request })?.into_any(),
            Step::Wait(d) => Py::new(
                py,
                WaitStep {
                    ms: u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
                },
            )?
            .into_any(),
            Step::Done(Ok(v)) => Py::new(
                py,
                DoneStep {
                    page: None,
                    result: Some(json_to_py(py, &v)?.unbind()),
                    error: None,
                },
            )?
            .into_any(),
            Step::Done(Err(e)) => Py::new(
                py,
                DoneStep {
                    page: None,
                    result: None,
                    error: Some(to_py(py, &e).into_value(py).into_any()),
                },
            )?
            .into_any(),
        })
    }
}

#[pymethods]
impl VectorExchange {
    /// `operation` is the case's operation: a string or a dict. Invalid arguments
    /// raise the SDK's InvalidInputError here, before any request.
    #[new]
    fn new(
        py: Python<'_>,
        context: &ExchangeContext,
        operation: &Bound<'_, PyAny>,
        seed: u64,
    ) -> PyResult<Self> {
        let op = json_arg(py, "operation", operation)?;
        let inner = RustVectorExchange::new(
            &op,
            context.config.clone(),
            context.shared.clone(),
            context.headers.clone(),
            seed,
        )
        .map_err(|e| to_py(py, &e))?;
        Ok(VectorExchange {
            inner: Mutex::new(inner),
        })
    }

    /// Starts the operation at `now_ms`.
    fn start(&self, py: Python<'_>, now_ms: u64) -> PyResult<Py<PyAny>> {
        let now = Instant::from_millis(now_ms);
        self.drive(py, |ex| ex.start(now))
    }

    /// A response arrived at `now_ms`.
    #[pyo3(signature = (status, body, now_ms, headers=None))]
    fn on_response(
        &self,
        py: Python<'_>,
        status: u16,
        body: Vec<u8>,
        now_ms: u64,
        headers: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        let mut r = HttpResponse::new(status, body);
        if let Some(h) = headers {
            for (k, v) in h.iter() {
                r = r.with_header(k.extract::<String>()?, v.extract::<String>()?);
            }
        }
        let now = Instant::from_millis(now_ms);
        self.drive(py, move |ex| ex.on_response(r, now))
    }

    /// The request failed at the network level (`kind` as for `Exchange`).
    fn on_transport_error(&self, py: Python<'_>, kind: &str, now_ms: u64) -> PyResult<Py<PyAny>> {
        let err = TransportError::new(transport_error_kind(kind), "scripted");
        let now = Instant::from_millis(now_ms);
        self.drive(py, move |ex| ex.on_transport_error(err, now))
    }

    /// The wait of the previous step elapsed at `now_ms`.
    fn on_wait_elapsed(&self, py: Python<'_>, now_ms: u64) -> PyResult<Py<PyAny>> {
        let now = Instant::from_millis(now_ms);
        self.drive(py, |ex| ex.on_wait_elapsed(now))
    }

    /// The report of the current (or last) request's exchange (as `Exchange.report`).
    fn report<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let ex = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let r = ex.report().clone();
        report_dict(py, &r)
    }
}
