//! Python exceptions and the mapping of the Rust errors onto them.

use agora_rtm_rest::protocol::token::TokenError as RustTokenError;
use agora_rtm_rest::sink::SinkError as RustSinkError;
use agora_rtm_rest::{Error, ErrorKind, WatchError};
use pyo3::BoundObject;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

pyo3::create_exception!(
    agora_rtm_rest,
    AgoraRtmError,
    PyException,
    "Base of every error of agora_rtm_rest (attributes: kind, status, request_id, body, retry_after, field)."
);
pyo3::create_exception!(
    agora_rtm_rest,
    ApiError,
    AgoraRtmError,
    "The service answered with an error status (4xx other than 401/403/408/429)."
);
pyo3::create_exception!(
    agora_rtm_rest,
    AuthError,
    ApiError,
    "401 or 403: bad credentials, invalid or expired token, app id not enabled."
);
pyo3::create_exception!(
    agora_rtm_rest,
    RateLimitedError,
    ApiError,
    "429 after every retry; retry_after holds the service's Retry-After (seconds) if any."
);
pyo3::create_exception!(
    agora_rtm_rest,
    ServerTimeoutError,
    ApiError,
    "408 after every retry."
);
pyo3::create_exception!(
    agora_rtm_rest,
    ServerError,
    ApiError,
    "5xx after every retry."
);
pyo3::create_exception!(
    agora_rtm_rest,
    DecodeError,
    AgoraRtmError,
    "The response could not be understood."
);
pyo3::create_exception!(
    agora_rtm_rest,
    TransportError,
    AgoraRtmError,
    "The request did not complete at the network level."
);
pyo3::create_exception!(
    agora_rtm_rest,
    InvalidInputError,
    AgoraRtmError,
    "An argument the API cannot accept; nothing was sent."
);
pyo3::create_exception!(
    agora_rtm_rest,
    TokenError,
    InvalidInputError,
    "A token could not be built, parsed or verified; kind names the reason."
);
pyo3::create_exception!(
    agora_rtm_rest,
    SinkError,
    AgoraRtmError,
    "A watch sink could not be opened or could not persist a batch."
);

fn with_attrs(py: Python<'_>, err: PyErr, attrs: &[(&str, Option<Py<PyAny>>)]) -> PyErr {
    let value = err.value(py);
    for (name, v) in attrs {
        let v = v.as_ref().map_or_else(|| py.None(), |v| v.clone_ref(py));
        // Setting an attribute on a fresh exception instance cannot fail.
        let _ = value.setattr(*name, v);
    }
    err
}

fn obj<'py, T: IntoPyObject<'py>>(py: Python<'py>, v: Option<T>) -> Option<Py<PyAny>> {
    v.and_then(|v| v.into_pyobject(py).ok())
        .map(|b| b.into_any().unbind())
}

/// The Python exception of a client error.
pub(crate) fn to_py(py: Python<'_>, e: &Error) -> PyErr {
    let msg = e.to_string();
    let err = match e.kind() {
        ErrorKind::Api => ApiError::new_err(msg),
        ErrorKind::Auth => AuthError::new_err(msg),
        ErrorKind::RateLimited => RateLimitedError::new_err(msg),
        ErrorKind::ServerTimeout => ServerTimeoutError::new_err(msg),
        ErrorKind::Server => ServerError::new_err(msg),
        ErrorKind::Decode => DecodeError::new_err(msg),
        ErrorKind::Transport => TransportError::new_err(msg),
        ErrorKind::InvalidInput => InvalidInputError::new_err(msg),
    };
    let field = match e {
        Error::InvalidInput { field, .. } => Some(field.as_str()),
        _ => None,
    };
    let transport_kind = match e {
        Error::Transport(t) => Some(t.kind.as_str()),
        _ => None,
    };
    with_attrs(
        py,
        err,
        &[
            ("kind", obj(py, Some(e.kind().as_str()))),
            ("status", obj(py, e.status())),
            ("request_id", obj(py, e.request_id())),
            ("body", obj(py, e.body())),
            (
                "retry_after",
                obj(py, e.retry_after().map(|d| d.as_secs_f64())),
            ),
            ("field", obj(py, field)),
            ("transport_kind", obj(py, transport_kind)),
        ],
    )
}

/// The Python exception of a token error (`TokenError`, a subclass of
/// `InvalidInputError`, with `.kind` set to the Rust error's kind).
pub(crate) fn token_to_py(py: Python<'_>, e: &RustTokenError) -> PyErr {
    let err = TokenError::new_err(e.to_string());
    with_attrs(
        py,
        err,
        &[
            ("kind", obj(py, Some(e.kind()))),
            ("status", None),
            ("request_id", None),
            ("body", None),
            ("retry_after", None),
            ("field", obj(py, Some("token"))),
            ("transport_kind", None),
        ],
    )
}

/// The Python exception of a sink error.
pub(crate) fn sink_to_py(py: Python<'_>, e: &RustSinkError) -> PyErr {
    let err = SinkError::new_err(e.to_string());
    with_attrs(
        py,
        err,
        &[
            ("kind", obj(py, Some("sink"))),
            ("status", None),
            ("request_id", None),
            ("body", None),
            ("retry_after", None),
            ("field", None),
            ("transport_kind", None),
        ],
    )
}

/// The Python exception of a watcher error.
pub(crate) fn watch_to_py(py: Python<'_>, e: &WatchError) -> PyErr {
    match e {
        WatchError::Client(e) => to_py(py, e),
        WatchError::Sink(e) => sink_to_py(py, e),
        other => AgoraRtmError::new_err(other.to_string()),
    }
}

/// An `InvalidInputError` for a binding-level argument check.
pub(crate) fn invalid_input(py: Python<'_>, field: &str, rule: impl Into<String>) -> PyErr {
    to_py(py, &Error::invalid_input(field, rule))
}

/// An `AgoraRtmError` for a failure inside the binding itself (never a panic).
pub(crate) fn internal_error(msg: String) -> PyErr {
    AgoraRtmError::new_err(msg)
}
