//! The send routes (SPEC section 4): peer messages, with the receiver's
//! presence deciding `message_delivered` or `message_offline` when the caller
//! waits for the ack, and channel messages. Either may go into the history.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use serde::{Deserialize, Serialize};

use crate::archive::{HistoryPayload, HistoryRecord, MessageKind};
use crate::feeds::{RegionState, broken_response, json, request_id};
use crate::gate::{self, Delivery, Invalid, Refusal, finish};
use crate::limiter::Budget;
use crate::state::{Shared, unix_ms};
use crate::validation::{check_name, check_payload};

/// The peer messages route, relative to a listener's root
/// (`?wait_for_ack=true|false`, default false).
pub const PEER_MESSAGES_ROUTE: &str = "/dev/v2/project/{appid}/rtm/users/{user_id}/peer_messages";
/// The channel messages route, relative to a listener's root.
pub const CHANNEL_MESSAGES_ROUTE: &str =
    "/dev/v2/project/{appid}/rtm/users/{user_id}/channel_messages";

/// The send routes of one region's listener.
pub(crate) fn routes() -> Router<RegionState> {
    Router::new()
        .route(PEER_MESSAGES_ROUTE, post(send_peer))
        .route(CHANNEL_MESSAGES_ROUTE, post(send_channel))
}

/// A peer message request body (`enable_offline_messaging`, deprecated, is
/// ignored like any other unknown field).
#[derive(Debug, Deserialize)]
struct PeerMessage {
    destination: String,
    payload: String,
    #[serde(default)]
    enable_historical_messaging: Option<bool>,
}

/// A channel message request body.
#[derive(Debug, Deserialize)]
struct ChannelMessage {
    channel_name: String,
    payload: String,
    #[serde(default)]
    enable_historical_messaging: Option<bool>,
}

/// A send response; `result` is left out of `message_offline`, as the
/// service sometimes does.
#[derive(Debug, Serialize)]
struct Sent {
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<&'static str>,
    request_id: String,
    code: &'static str,
}

impl Sent {
    fn response(code: &'static str) -> Response {
        let result = (code != "message_offline").then_some("success");
        json(
            StatusCode::OK,
            &Sent {
                result,
                request_id: request_id(&mut rand::rng()),
                code,
            },
        )
    }
}

/// The `{appid}` and `{user_id}` of a send route.
fn path_params(
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<(String, String), Invalid> {
    match path {
        Ok(Path(params)) => Ok(params),
        Err(err) => Err(Invalid::new(
            "user_id",
            format!("the path does not decode: {err}"),
        )),
    }
}

/// Parses a JSON body (malformed JSON, a missing field or a wrong type: 400).
fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, Invalid> {
    serde_json::from_slice(bytes).map_err(|err| Invalid::new("request body", err.to_string()))
}

/// `wait_for_ack`: absent or `false` is false, `true` is true.
fn wait_for_ack(
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<bool, Invalid> {
    let Ok(Query(params)) = query else {
        return Err(Invalid::new(
            "wait_for_ack",
            "the query string does not decode",
        ));
    };
    match params.get("wait_for_ack").map(String::as_str) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(Invalid::new(
            "wait_for_ack",
            format!("{other:?} is neither true nor false"),
        )),
    }
}

/// Checks each (field, check) in order; the first broken rule is the error.
fn check_all(checks: [(&'static str, Result<(), String>); 3]) -> Result<(), Invalid> {
    for (field, check) in checks {
        check.map_err(|why| Invalid::new(field, why))?;
    }
    Ok(())
}

/// Records a sent message: counts it and stores it when historical.
fn record_sent(shared: &Shared, app_id: &str, historical: bool, record: HistoryRecord) {
    shared.store().app(app_id).messages_sent += 1;
    if historical {
        shared.archive().store(app_id, record, unix_ms());
    }
}

/// `POST .../rtm/users/{user_id}/peer_messages`.
async fn send_peer(
    State(state): State<RegionState>,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    finish(send_peer_checked(&state.shared, path, query, &headers, &bytes).await)
}

async fn send_peer_checked(
    shared: &Shared,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: &HeaderMap,
    bytes: &[u8],
) -> Result<Response, Refusal> {
    let (app_id, user_id) = path_params(path)?;
    gate::enter(shared, &app_id, headers, Some(&user_id)).await?;
    let delivery = gate::pass(shared, &app_id, Budget::Messages)?;
    let wait = wait_for_ack(query)?;
    let message: PeerMessage = body(bytes)?;
    check_all([
        ("user_id", check_name(&user_id)),
        ("destination", check_name(&message.destination)),
        ("payload", check_payload(&message.payload)),
    ])?;
    let code = if !wait {
        "message_sent"
    } else if shared.presence().is_online(&app_id, &message.destination) {
        "message_delivered"
    } else {
        "message_offline"
    };
    tracing::debug!(app_id = %app_id, from = %user_id, to = %message.destination, code, "peer message");
    record_sent(
        shared,
        &app_id,
        message.enable_historical_messaging.unwrap_or(false),
        HistoryRecord {
            src: user_id,
            dst: message.destination,
            kind: MessageKind::Peer,
            payload: HistoryPayload::Text(message.payload),
            ms: None,
        },
    );
    Ok(match delivery {
        Delivery::Answer => Sent::response(code),
        Delivery::Lose => broken_response(),
    })
}

/// `POST .../rtm/users/{user_id}/channel_messages`.
async fn send_channel(
    State(state): State<RegionState>,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    finish(send_channel_checked(&state.shared, path, &headers, &bytes).await)
}

async fn send_channel_checked(
    shared: &Shared,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: &HeaderMap,
    bytes: &[u8],
) -> Result<Response, Refusal> {
    let (app_id, user_id) = path_params(path)?;
    gate::enter(shared, &app_id, headers, Some(&user_id)).await?;
    let delivery = gate::pass(shared, &app_id, Budget::Messages)?;
    let message: ChannelMessage = body(bytes)?;
    check_all([
        ("user_id", check_name(&user_id)),
        ("channel_name", check_name(&message.channel_name)),
        ("payload", check_payload(&message.payload)),
    ])?;
    tracing::debug!(app_id = %app_id, from = %user_id, channel = %message.channel_name, "channel message");
    record_sent(
        shared,
        &app_id,
        message.enable_historical_messaging.unwrap_or(false),
        HistoryRecord {
            src: user_id,
            dst: message.channel_name,
            kind: MessageKind::Channel,
            payload: HistoryPayload::Text(message.payload),
            ms: None,
        },
    );
    Ok(match delivery {
        Delivery::Answer => Sent::response("message_sent"),
        Delivery::Lose => broken_response(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_accept_optional_flags() {
        let m: PeerMessage = serde_json::from_str(r#"{"destination":"b","payload":"hi"}"#).unwrap();
        assert_eq!(m.enable_historical_messaging, None);
        let m: PeerMessage = serde_json::from_str(
            r#"{"destination":"b","payload":"hi","enable_offline_messaging":true,"enable_historical_messaging":true,"extra":1}"#,
        )
        .unwrap();
        assert_eq!(m.enable_historical_messaging, Some(true));
        assert!(serde_json::from_str::<PeerMessage>(r#"{"payload":"hi"}"#).is_err());
        assert!(
            serde_json::from_str::<ChannelMessage>(r#"{"channel_name":"c","payload":5}"#).is_err()
        );
    }

    #[test]
    fn offline_answers_leave_out_result() {
        let sent = serde_json::to_value(Sent {
            result: None,
            request_id: "1_2".into(),
            code: "message_offline",
        })
        .unwrap();
        assert_eq!(
            sent,
            serde_json::json!({"request_id": "1_2", "code": "message_offline"})
        );
    }
}
