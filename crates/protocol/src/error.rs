//! The one error taxonomy shared by every language binding (see
//! `shared/design/ARCHITECTURE.md`): API, auth, rate limited, server timeout,
//! server error, decode, transport, invalid input.

use std::fmt;
use std::time::Duration;

/// How many bytes of a response body an error keeps (lossy UTF-8).
pub const BODY_EXCERPT_LIMIT: usize = 1024;

/// What the service or the network did, as the whole SDK classifies it.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A 4xx other than 401/403/408/429 (bad request, not found, ...).
    #[error("API error: HTTP {status}{}: {message}", fmt_request_id(.request_id))]
    Api {
        /// HTTP status.
        status: u16,
        /// The service's request id, when the body carried one.
        request_id: Option<String>,
        /// A short explanation taken from the body or the status.
        message: String,
        /// An excerpt of the raw body (at most [`BODY_EXCERPT_LIMIT`] bytes).
        body: String,
    },
    /// 401 (bad credentials, invalid or expired token) or 403 (app id invalid or
    /// the feature is not enabled).
    #[error("authentication failed: HTTP {status}{}: {message}", fmt_request_id(.request_id))]
    Auth {
        /// HTTP status (401 or 403).
        status: u16,
        /// The service's request id, when the body carried one.
        request_id: Option<String>,
        /// The cause as the service gave it (for example `invalid token`).
        message: String,
        /// An excerpt of the raw body.
        body: String,
    },
    /// 429: over the service's rate limit, and retries did not get through.
    #[error("rate limited: HTTP 429{}{}", fmt_retry_after(.retry_after), fmt_request_id(.request_id))]
    RateLimited {
        /// The `Retry-After` the service sent, if any.
        retry_after: Option<Duration>,
        /// The service's request id, when the body carried one.
        request_id: Option<String>,
        /// An excerpt of the raw body.
        body: String,
    },
    /// 408: the service timed out; try again later.
    #[error("server timeout: HTTP 408{}", fmt_request_id(.request_id))]
    ServerTimeout {
        /// The service's request id, when the body carried one.
        request_id: Option<String>,
        /// An excerpt of the raw body.
        body: String,
    },
    /// 5xx.
    #[error("server error: HTTP {status}{}: {message}", fmt_request_id(.request_id))]
    Server {
        /// HTTP status.
        status: u16,
        /// The service's request id, when the body carried one.
        request_id: Option<String>,
        /// A short explanation taken from the body or the status.
        message: String,
        /// An excerpt of the raw body.
        body: String,
    },
    /// The response could not be understood: malformed or truncated JSON, wrong
    /// types, `result: "failed"` on a 2xx, a non-JSON gateway page, an oversized body.
    #[error("could not decode the response{}: {reason}", fmt_status(.status))]
    Decode {
        /// HTTP status, when a response arrived.
        status: Option<u16>,
        /// The service's request id, when it could be read.
        request_id: Option<String>,
        /// What was wrong.
        reason: String,
        /// An excerpt of the raw body.
        body: String,
    },
    /// The request did not complete at the network level.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The caller passed something the API cannot accept; nothing was sent.
    #[error("invalid {field}: {rule}")]
    InvalidInput {
        /// The argument or field at fault.
        field: String,
        /// The rule it broke.
        rule: String,
    },
}

fn fmt_request_id(id: &Option<String>) -> String {
    id.as_ref()
        .map(|id| format!(" (request id {id})"))
        .unwrap_or_default()
}

fn fmt_status(status: &Option<u16>) -> String {
    status.map(|s| format!(" (HTTP {s})")).unwrap_or_default()
}

fn fmt_retry_after(retry_after: &Option<Duration>) -> String {
    retry_after
        .map(|d| format!(", retry after {} ms", d.as_millis()))
        .unwrap_or_default()
}

/// The error categories as stable snake_case names (used by vectors and bindings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// [`Error::Api`]
    Api,
    /// [`Error::Auth`]
    Auth,
    /// [`Error::RateLimited`]
    RateLimited,
    /// [`Error::ServerTimeout`]
    ServerTimeout,
    /// [`Error::Server`]
    Server,
    /// [`Error::Decode`]
    Decode,
    /// [`Error::Transport`]
    Transport,
    /// [`Error::InvalidInput`]
    InvalidInput,
}

impl ErrorKind {
    /// The stable name (`api`, `auth`, `rate_limited`, `server_timeout`, `server`,
    /// `decode`, `transport`, `invalid_input`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Api => "api",
            ErrorKind::Auth => "auth",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::ServerTimeout => "server_timeout",
            ErrorKind::Server => "server",
            ErrorKind::Decode => "decode",
            ErrorKind::Transport => "transport",
            ErrorKind::InvalidInput => "invalid_input",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl Error {
    /// The category of this error.
    ///
    /// ```
    /// use agora_rtm_rest_protocol::{Error, ErrorKind};
    /// let e = Error::invalid_input("app_id", "must not be empty");
    /// assert_eq!(e.kind(), ErrorKind::InvalidInput);
    /// assert_eq!(e.to_string(), "invalid app_id: must not be empty");
    /// ```
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Api { .. } => ErrorKind::Api,
            Error::Auth { .. } => ErrorKind::Auth,
            Error::RateLimited { .. } => ErrorKind::RateLimited,
            Error::ServerTimeout { .. } => ErrorKind::ServerTimeout,
            Error::Server { .. } => ErrorKind::Server,
            Error::Decode { .. } => ErrorKind::Decode,
            Error::Transport(_) => ErrorKind::Transport,
            Error::InvalidInput { .. } => ErrorKind::InvalidInput,
        }
    }

    /// Shorthand for [`Error::InvalidInput`].
    pub fn invalid_input(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Error::InvalidInput {
            field: field.into(),
            rule: rule.into(),
        }
    }

    /// The HTTP status, when a response arrived.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. }
            | Error::Auth { status, .. }
            | Error::Server { status, .. } => Some(*status),
            Error::RateLimited { .. } => Some(429),
            Error::ServerTimeout { .. } => Some(408),
            Error::Decode { status, .. } => *status,
            Error::Transport(_) | Error::InvalidInput { .. } => None,
        }
    }

    /// The service's request id, when the response carried one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api { request_id, .. }
            | Error::Auth { request_id, .. }
            | Error::RateLimited { request_id, .. }
            | Error::ServerTimeout { request_id, .. }
            | Error::Server { request_id, .. }
            | Error::Decode { request_id, .. } => request_id.as_deref(),
            Error::Transport(_) | Error::InvalidInput { .. } => None,
        }
    }

    /// The excerpt of the raw response body, when a response arrived.
    pub fn body(&self) -> Option<&str> {
        match self {
            Error::Api { body, .. }
            | Error::Auth { body, .. }
            | Error::RateLimited { body, .. }
            | Error::ServerTimeout { body, .. }
            | Error::Server { body, .. }
            | Error::Decode { body, .. } => Some(body),
            Error::Transport(_) | Error::InvalidInput { .. } => None,
        }
    }

    /// The `Retry-After` of a 429, when the service sent one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// Keeps at most [`BODY_EXCERPT_LIMIT`] bytes of a body as (lossy) UTF-8, cut on a
/// character boundary.
///
/// ```
/// use agora_rtm_rest_protocol::error::body_excerpt;
/// assert_eq!(body_excerpt(b"<html>bad gateway</html>"), "<html>bad gateway</html>");
/// assert!(body_excerpt(&vec![b'x'; 5000]).len() <= 1024 + 3);
/// ```
pub fn body_excerpt(body: &[u8]) -> String {
    let slice = &body[..body.len().min(BODY_EXCERPT_LIMIT)];
    let mut text = String::from_utf8_lossy(slice).into_owned();
    if body.len() > BODY_EXCERPT_LIMIT {
        // Drop a possibly broken last character, then mark the cut.
        while !text.is_empty() && text.ends_with('\u{FFFD}') {
            text.pop();
        }
        text.push_str("...");
    }
    text
}

/// What kind of network failure a transport reports. The kind decides failover
/// (SPEC section 1: a network error that is not a DNS failure skips the alternate
/// domain suffix) and whether a destructive read may have lost events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportErrorKind {
    /// The host name did not resolve.
    Dns,
    /// The connection could not be made (refused, unreachable, TLS handshake).
    Connect,
    /// The request timed out after it may have reached the server.
    Timeout,
    /// The connection broke after the request was sent (reset, truncated body).
    Interrupted,
    /// The response body was larger than the configured cap and was refused.
    BodyTooLarge,
    /// Anything else.
    Other,
}

impl TransportErrorKind {
    /// True when the server may have processed the request. For the destructive
    /// event feeds this means the events it dequeued may be lost.
    pub fn request_may_have_been_processed(self) -> bool {
        !matches!(self, TransportErrorKind::Dns | TransportErrorKind::Connect)
    }

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            TransportErrorKind::Dns => "dns",
            TransportErrorKind::Connect => "connect",
            TransportErrorKind::Timeout => "timeout",
            TransportErrorKind::Interrupted => "interrupted",
            TransportErrorKind::BodyTooLarge => "body_too_large",
            TransportErrorKind::Other => "other",
        }
    }
}

/// A network-level failure reported by a transport.
///
/// ```
/// use agora_rtm_rest_protocol::{TransportError, TransportErrorKind};
/// let e = TransportError::new(TransportErrorKind::Connect, "connection refused");
/// assert_eq!(e.to_string(), "transport error (connect): connection refused");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("transport error ({}): {message}", .kind.as_str())]
pub struct TransportError {
    /// The kind of failure.
    pub kind: TransportErrorKind,
    /// A human-readable description (never contains secrets).
    pub message: String,
}

impl TransportError {
    /// Makes a transport error.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        TransportError {
            kind,
            message: message.into(),
        }
    }
}
