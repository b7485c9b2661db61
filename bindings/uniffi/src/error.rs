//! Error types crossing the FFI: the client's taxonomy, token errors and the
//! errors a foreign transport reports.

use agora_rtm_rest::protocol::token::TokenError as RustTokenError;
use agora_rtm_rest::{Error, TransportError, WatchError};

/// What kind of network failure a transport reports (it decides failover and
/// whether a destructive read may have lost events).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TransportErrorKind {
    /// The host name did not resolve.
    Dns,
    /// The connection could not be made (refused, unreachable, TLS handshake).
    Connect,
    /// The request timed out after it may have reached the server.
    Timeout,
    /// The connection broke after the request was sent.
    Interrupted,
    /// The response body was larger than the configured cap.
    BodyTooLarge,
    /// Anything else.
    Other,
}

impl From<agora_rtm_rest::TransportErrorKind> for TransportErrorKind {
    fn from(k: agora_rtm_rest::TransportErrorKind) -> Self {
        use agora_rtm_rest::TransportErrorKind as K;
        match k {
            K::Dns => Self::Dns,
            K::Connect => Self::Connect,
            K::Timeout => Self::Timeout,
            K::Interrupted => Self::Interrupted,
            K::BodyTooLarge => Self::BodyTooLarge,
            K::Other => Self::Other,
        }
    }
}

impl From<TransportErrorKind> for agora_rtm_rest::TransportErrorKind {
    fn from(k: TransportErrorKind) -> Self {
        use agora_rtm_rest::TransportErrorKind as K;
        match k {
            TransportErrorKind::Dns => K::Dns,
            TransportErrorKind::Connect => K::Connect,
            TransportErrorKind::Timeout => K::Timeout,
            TransportErrorKind::Interrupted => K::Interrupted,
            TransportErrorKind::BodyTooLarge => K::BodyTooLarge,
            TransportErrorKind::Other => K::Other,
        }
    }
}

/// The SDK's error taxonomy (the same cases in every language). Kotlin:
/// `AgoraRtmException.Api`, `.Auth`, ...; Swift: `AgoraRtmError.api(...)`, ...
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum AgoraRtmError {
    /// A 4xx other than 401/403/408/429.
    #[error("API error: HTTP {status}: {reason}")]
    Api {
        /// HTTP status.
        status: u16,
        /// The service's request id, when the body carried one.
        request_id: Option<String>,
        /// A short explanation taken from the body or the status.
        reason: String,
        /// An excerpt of the raw body.
        body: String,
    },
    /// 401 or 403: bad credentials, invalid or expired token, app id invalid.
    #[error("authentication failed: HTTP {status}: {reason}")]
    Auth {
        /// HTTP status (401 or 403).
        status: u16,
        /// The service's request id, when the body carried one.
        request_id: Option<String>,
        /// The cause as the service gave it.
        reason: String,
        /// An excerpt of the raw body.
        body: String,
    },
    /// 429 after the retries ran out.
    #[error("rate limited: HTTP 429")]
    RateLimited {
        /// The `Retry-After` the service sent, in milliseconds.
        retry_after_ms: Option<u64>,
        /// The service's request id, when the body carried one.
        request_id: Option<String>,
        /// An excerpt of the raw body.
        body: String,
    },
    /// 408: the service timed out.
    #[error("server timeout: HTTP 408")]
    ServerTimeout {
        /// The service's request id, when the body carried one.
        request_id: Option<String>,
        /// An excerpt of the raw body.
        body: String,
    },
    /// 5xx.
    #[error("server error: HTTP {status}: {reason}")]
    Server {
        /// HTTP status.
        status: u16,
        /// The service's request id, when the body carried one.
        request_id: Option<String>,
        /// A short explanation taken from the body or the status.
        reason: String,
        /// An excerpt of the raw body.
        body: String,
    },
    /// The response could not be understood.
    #[error("could not decode the response: {reason}")]
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
    #[error("transport error: {reason}")]
    Transport {
        /// The kind of network failure.
        kind: TransportErrorKind,
        /// What happened.
        reason: String,
    },
    /// The caller passed something the API cannot accept; nothing was sent.
    #[error("invalid {field}: {rule}")]
    InvalidInput {
        /// The argument or field at fault.
        field: String,
        /// The rule it broke.
        rule: String,
    },
    /// A watcher's sink could not persist a batch (the watcher stops rather than drop it).
    #[error("sink error: {reason}")]
    Sink {
        /// What failed.
        reason: String,
    },
}

impl From<Error> for AgoraRtmError {
    fn from(e: Error) -> Self {
        let request_id = e.request_id().map(str::to_owned);
        let body = e.body().unwrap_or_default().to_owned();
        match e {
            Error::Api {
                status, message, ..
            } => Self::Api {
                status,
                request_id,
                reason: message,
                body,
            },
            Error::Auth {
                status, message, ..
            } => Self::Auth {
                status,
                request_id,
                reason: message,
                body,
            },
            Error::RateLimited { retry_after, .. } => Self::RateLimited {
                retry_after_ms: retry_after.map(|d| d.as_millis() as u64),
                request_id,
                body,
            },
            Error::ServerTimeout { .. } => Self::ServerTimeout { request_id, body },
            Error::Server {
                status, message, ..
            } => Self::Server {
                status,
                request_id,
                reason: message,
                body,
            },
            Error::Decode { status, reason, .. } => Self::Decode {
                status,
                request_id,
                reason,
                body,
            },
            Error::Transport(t) => t.into(),
            Error::InvalidInput { field, rule } => Self::InvalidInput { field, rule },
            other => Self::Decode {
                status: other.status(),
                request_id,
                reason: other.to_string(),
                body,
            },
        }
    }
}

impl From<TransportError> for AgoraRtmError {
    fn from(t: TransportError) -> Self {
        Self::Transport {
            kind: t.kind.into(),
            reason: t.to_string(),
        }
    }
}

impl From<WatchError> for AgoraRtmError {
    fn from(e: WatchError) -> Self {
        match e {
            WatchError::Client(c) => c.into(),
            other => Self::Sink {
                reason: other.to_string(),
            },
        }
    }
}

impl From<agora_rtm_rest::sink::SinkError> for AgoraRtmError {
    fn from(e: agora_rtm_rest::sink::SinkError) -> Self {
        Self::Sink {
            reason: e.to_string(),
        }
    }
}

/// An error as plain data, as the [`Exchange`](crate::Exchange) state machine
/// reports it (the accessors of the Rust error, unchanged).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ErrorInfo {
    /// `api`, `auth`, `rate_limited`, `server_timeout`, `server`, `decode`,
    /// `transport` or `invalid_input`.
    pub kind: String,
    /// HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// The service's request id, when known.
    pub request_id: Option<String>,
    /// The `Retry-After` of a 429, in milliseconds.
    pub retry_after_ms: Option<u64>,
    /// The field at fault (invalid input only).
    pub field: Option<String>,
    /// The kept body excerpt.
    pub body: Option<String>,
    /// The full message of the Rust error.
    pub message: String,
}

impl From<Error> for ErrorInfo {
    fn from(e: Error) -> Self {
        ErrorInfo {
            kind: e.kind().as_str().to_owned(),
            status: e.status(),
            request_id: e.request_id().map(str::to_owned),
            retry_after_ms: e.retry_after().map(|d| d.as_millis() as u64),
            field: match &e {
                Error::InvalidInput { field, .. } => Some(field.clone()),
                _ => None,
            },
            body: e.body().map(str::to_owned),
            message: e.to_string(),
        }
    }
}

/// A token could not be built, parsed or verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum TokenError {
    /// The token operation failed.
    #[error("{reason}")]
    Invalid {
        /// The stable name of the failure (`bad_prefix`, `bad_signature`,
        /// `expired`, `invalid_app_id`, `lifetime_looks_absolute`, ...).
        kind: String,
        /// A human-readable explanation (never contains the certificate).
        reason: String,
    },
}

impl From<RustTokenError> for TokenError {
    fn from(e: RustTokenError) -> Self {
        TokenError::Invalid {
            kind: e.kind().to_owned(),
            reason: e.to_string(),
        }
    }
}

/// The error a foreign [`HttpTransport`](crate::HttpTransport) reports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum HttpTransportError {
    /// The request did not complete.
    #[error("{reason}")]
    Failed {
        /// The kind of failure: it decides failover and possible loss.
        kind: TransportErrorKind,
        /// What happened (must not contain secrets).
        reason: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for HttpTransportError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        HttpTransportError::Failed {
            kind: TransportErrorKind::Other,
            reason: e.reason,
        }
    }
}

impl From<HttpTransportError> for TransportError {
    fn from(e: HttpTransportError) -> Self {
        match e {
            HttpTransportError::Failed { kind, reason } => TransportError::new(kind.into(), reason),
        }
    }
}
