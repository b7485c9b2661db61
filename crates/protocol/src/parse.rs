//! Response parsing: success bodies into typed pages, everything else into [`Error`].
//!
//! Success bodies are decoded straight into small wire structs (no intermediate
//! `serde_json::Value`); both generations of field names are accepted
//! (`group_id`/`channel_id`, `ms`/`ts`), unknown fields are ignored and unknown
//! event types are kept as `Other`.

use std::time::Duration;

use serde::Deserialize;

use crate::error::{Error, body_excerpt};
use crate::http::HttpResponse;
use crate::models::{ChannelEvent, ChannelEventKind, EventsPage, UserEvent, UserEventKind};

/// A request id as the service sends it: text or a number.
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum RequestId {
    Text(String),
    Number(u64),
}

impl RequestId {
    pub(crate) fn to_text(&self) -> String {
        match self {
            RequestId::Text(s) => s.clone(),
            RequestId::Number(n) => n.to_string(),
        }
    }

    pub(crate) fn into_string(self) -> String {
        match self {
            RequestId::Text(s) => s,
            RequestId::Number(n) => n.to_string(),
        }
    }
}

#[derive(Deserialize)]
struct WirePage<E> {
    result: Option<String>,
    request_id: Option<RequestId>,
    events: Option<Vec<E>>,
}

// Events are decoded straight into the public types (`try_from` a wire struct that
// accepts both field-name generations), so a page is one pass and one Vec.
#[derive(Deserialize)]
struct WireUserEvent {
    user_id: String,
    #[serde(rename = "type")]
    kind: UserEventKind,
    ms: Option<u64>,
    ts: Option<u64>,
}

#[derive(Deserialize)]
#[serde(try_from = "WireUserEvent")]
struct UserEventDe(UserEvent);

impl TryFrom<WireUserEvent> for UserEventDe {
    type Error = &'static str;
    fn try_from(e: WireUserEvent) -> Result<Self, Self::Error> {
        let ms = e.ms.or(e.ts).ok_or("an event has neither ms nor ts")?;
        Ok(UserEventDe(UserEvent {
            user_id: e.user_id,
            kind: e.kind,
            ms,
        }))
    }
}

#[derive(Deserialize)]
struct WireChannelEvent {
    group_id: Option<String>,
    channel_id: Option<String>,
    user_id: String,
    #[serde(rename = "type")]
    kind: ChannelEventKind,
    ms: Option<u64>,
    ts: Option<u64>,
}

#[derive(Deserialize)]
#[serde(try_from = "WireChannelEvent")]
struct ChannelEventDe(ChannelEvent);

impl TryFrom<WireChannelEvent> for ChannelEventDe {
    type Error = &'static str;
    fn try_from(e: WireChannelEvent) -> Result<Self, Self::Error> {
        let ms = e.ms.or(e.ts).ok_or("an event has neither ms nor ts")?;
        let channel_id = e
            .group_id
            .or(e.channel_id)
            .ok_or("an event has neither group_id nor channel_id")?;
        Ok(ChannelEventDe(ChannelEvent {
            channel_id,
            user_id: e.user_id,
            kind: e.kind,
            ms,
        }))
    }
}

/// Parses a user events response (any status).
///
/// ```
/// use agora_rtm_rest_protocol::{HttpResponse, UserEventKind, parse::parse_user_events};
/// let r = HttpResponse::new(200, r#"{"result":"success","request_id":"1",
///     "events":[{"user_id":"u1","type":"Login","ts":1578027420761}]}"#);
/// let page = parse_user_events(&r).unwrap();
/// assert_eq!(page.events[0].kind, UserEventKind::Login);
/// assert_eq!(page.events[0].ms, 1578027420761);
/// ```
pub fn parse_user_events(response: &HttpResponse) -> Result<EventsPage<UserEvent>, Error> {
    let (request_id, events) = parse_page::<UserEventDe>(response)?;
    // Same size and layout: this collect reuses the allocation.
    Ok(EventsPage {
        request_id,
        events: events.into_iter().map(|e| e.0).collect(),
    })
}

/// Parses a channel events response (any status).
///
/// ```
/// use agora_rtm_rest_protocol::{HttpResponse, parse::parse_channel_events};
/// let r = HttpResponse::new(200, r#"{"result":"success","request_id":"165454_13306870108610070770",
///     "events":[{"group_id":"ch1","user_id":"u1","type":"Join","ms":1}]}"#);
/// let page = parse_channel_events(&r).unwrap();
/// assert_eq!(page.request_id, "165454_13306870108610070770");
/// assert_eq!(page.events[0].channel_id, "ch1");
/// ```
pub fn parse_channel_events(response: &HttpResponse) -> Result<EventsPage<ChannelEvent>, Error> {
    let (request_id, events) = parse_page::<ChannelEventDe>(response)?;
    Ok(EventsPage {
        request_id,
        events: events.into_iter().map(|e| e.0).collect(),
    })
}

fn parse_page<E: for<'de> Deserialize<'de>>(
    response: &HttpResponse,
) -> Result<(String, Vec<E>), Error> {
    if !(200..300).contains(&response.status) {
        return Err(error_from_response(response));
    }
    let page: WirePage<E> = serde_json::from_slice(&response.body).map_err(|e| {
        let reason = if looks_like_json(&response.body) {
            format!("malformed JSON: {e}")
        } else {
            "the body is not JSON (a gateway or proxy page?)".to_owned()
        };
        decode(response, salvage_request_id(&response.body), reason)
    })?;
    let request_id = page.request_id.map(RequestId::into_string);
    match page.result.as_deref() {
        Some("success") | None => {}
        Some("failed") => {
            return Err(decode(
                response,
                request_id,
                "result is \"failed\" on a 2xx response".to_owned(),
            ));
        }
        Some(other) => {
            return Err(decode(
                response,
                request_id,
                format!("unexpected result {other:?}"),
            ));
        }
    }
    let Some(events) = page.events else {
        return Err(decode(
            response,
            request_id,
            "missing field `events`".to_owned(),
        ));
    };
    Ok((request_id.unwrap_or_default(), events))
}

/// Decodes a 2xx JSON body into `T`, or a decode error that says whether the body
/// was malformed JSON or not JSON at all.
pub(crate) fn json_body<T: for<'de> Deserialize<'de>>(response: &HttpResponse) -> Result<T, Error> {
    serde_json::from_slice(&response.body).map_err(|e| {
        let reason = if looks_like_json(&response.body) {
            format!("malformed JSON: {e}")
        } else {
            "the body is not JSON (a gateway or proxy page?)".to_owned()
        };
        decode(response, salvage_request_id(&response.body), reason)
    })
}

/// A decode error for `response`.
pub(crate) fn decode_error(
    response: &HttpResponse,
    request_id: Option<String>,
    reason: String,
) -> Error {
    decode(response, request_id, reason)
}

fn looks_like_json(body: &[u8]) -> bool {
    matches!(
        body.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    )
}

fn decode(response: &HttpResponse, request_id: Option<String>, reason: String) -> Error {
    Error::Decode {
        status: Some(response.status),
        request_id,
        reason,
        body: body_excerpt(&response.body),
    }
}

/// What an error body may say about itself (every shape SPEC section 3 lists).
#[derive(Deserialize, Default)]
struct ErrorBody {
    message: Option<serde_json::Value>,
    reason: Option<serde_json::Value>,
    error_message: Option<serde_json::Value>,
    request_id: Option<serde_json::Value>,
    #[serde(rename = "requestId")]
    request_id_camel: Option<serde_json::Value>,
}

fn value_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn salvage_request_id(body: &[u8]) -> Option<String> {
    let parsed: ErrorBody = serde_json::from_slice(body).ok()?;
    parsed
        .request_id
        .as_ref()
        .or(parsed.request_id_camel.as_ref())
        .and_then(value_text)
}

/// Classifies a non-2xx response: 401/403 auth, 408 server timeout, 429 rate
/// limited (with `Retry-After` in seconds), 5xx server error, any other status an
/// API error. The message comes from `message`, `reason` or `error_message` when
/// the body is JSON, else from the status.
///
/// ```
/// use agora_rtm_rest_protocol::{HttpResponse, ErrorKind, parse::error_from_response};
/// let e = error_from_response(&HttpResponse::new(401, r#"{"message": "invalid token"}"#));
/// assert_eq!(e.kind(), ErrorKind::Auth);
/// assert_eq!(e.to_string(), "authentication failed: HTTP 401: invalid token");
/// let e = error_from_response(&HttpResponse::new(429, "").with_header("Retry-After", "2"));
/// assert_eq!(e.retry_after(), Some(std::time::Duration::from_secs(2)));
/// ```
pub fn error_from_response(response: &HttpResponse) -> Error {
    let status = response.status;
    let parsed: ErrorBody = serde_json::from_slice(&response.body).unwrap_or_default();
    let request_id = parsed
        .request_id
        .as_ref()
        .or(parsed.request_id_camel.as_ref())
        .and_then(value_text);
    let message = parsed
        .message
        .as_ref()
        .or(parsed.reason.as_ref())
        .or(parsed.error_message.as_ref())
        .and_then(value_text)
        .unwrap_or_else(|| default_message(status).to_owned());
    let body = body_excerpt(&response.body);
    match status {
        401 | 403 => Error::Auth {
            status,
            request_id,
            message,
            body,
        },
        408 => Error::ServerTimeout { request_id, body },
        429 => Error::RateLimited {
            retry_after: retry_after(response),
            request_id,
            body,
        },
        500..=599 => Error::Server {
            status,
            request_id,
            message,
            body,
        },
        200..=299 => Error::Decode {
            status: Some(status),
            request_id,
            reason: "unexpected success response".into(),
            body,
        },
        _ => Error::Api {
            status,
            request_id,
            message,
            body,
        },
    }
}

/// The `Retry-After` header as a duration (delta-seconds only: an HTTP date
/// would need a wall clock, which this crate does not read).
pub fn retry_after(response: &HttpResponse) -> Option<Duration> {
    let value = response.header("retry-after")?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    value
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0 && *s < 1e9)
        .map(Duration::from_secs_f64)
}

fn default_message(status: u16) -> &'static str {
    match status {
        400 => "bad request",
        401 => "unauthorized (bad credentials)",
        403 => "forbidden (app id invalid or feature not enabled)",
        404 => "not found",
        408 => "server timeout",
        429 => "too many requests",
        500 => "internal server error",
        502 => "bad gateway",
        503 => "service unavailable",
        504 => "gateway timeout",
        _ => "unexpected status",
    }
}
