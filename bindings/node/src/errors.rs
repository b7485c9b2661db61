//! Rust errors to JavaScript: a rejected promise whose message carries a JSON code.

use agora_rtm_rest::protocol::token::TokenError;
use agora_rtm_rest::{Error, WatchError};
use serde_json::{Value, json};

/// The prefix of every error message the JavaScript layer decodes.
pub(crate) const PREFIX: &str = "AGORA_RTM_ERROR:";

/// The JSON description of a client error (never contains a secret: the Rust
/// errors hold no credentials, and bodies are the service's answers).
pub(crate) fn error_json(e: &Error) -> Value {
    let field = match e {
        Error::InvalidInput { field, .. } => Some(field.as_str()),
        _ => None,
    };
    let transport_kind = match e {
        Error::Transport(t) => Some(t.kind.as_str()),
        _ => None,
    };
    json!({
        "kind": e.kind().as_str(),
        "message": e.to_string(),
        "status": e.status(),
        "requestId": e.request_id(),
        "body": e.body(),
        "retryAfterMs": e.retry_after().map(|d| d.as_millis() as u64),
        "field": field,
        "transportKind": transport_kind,
    })
}

fn encoded(value: Value) -> napi::Error {
    napi::Error::from_reason(format!("{PREFIX}{value}"))
}

/// A client error as a JavaScript error.
pub(crate) fn client_error(e: &Error) -> napi::Error {
    encoded(error_json(e))
}

/// A token error as a JavaScript error (`kind: "token"`, `tokenError`: its stable name).
pub(crate) fn token_error(e: &TokenError) -> napi::Error {
    encoded(json!({"kind": "token", "tokenError": e.kind(), "message": e.to_string()}))
}

/// A watcher error: a client error, or a sink that could not persist.
pub(crate) fn watch_error(e: &WatchError) -> napi::Error {
    match e {
        WatchError::Client(c) => client_error(c),
        other => encoded(json!({"kind": "sink", "message": other.to_string()})),
    }
}

/// The operation was cancelled through its `AbortSignal`.
pub(crate) fn aborted() -> napi::Error {
    encoded(json!({"kind": "aborted", "message": "the operation was aborted"}))
}

/// Invalid input detected while translating options.
pub(crate) fn invalid(field: &str, rule: &str) -> napi::Error {
    client_error(&Error::invalid_input(field, rule))
}
