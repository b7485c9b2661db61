//! Signaling 2.x message history (SPEC section 6): one synchronous route,
//! outside `/dev/v2/project`, answering newest first with a `newStart` cursor
//! in Agora's `errorCode` envelope.

use std::collections::HashMap;

use axum::Router;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde::{Deserialize, Serialize};

use crate::archive::{Conversation, StoredMessage};
use crate::feeds::{RegionState, broken_response, json, request_id};
use crate::gate::{self, Delivery, Refusal, finish};
use crate::limiter::Budget;
use crate::state::{Shared, unix_ms};
use crate::validation::check_name;

/// The Signaling 2.x history route, relative to a listener's root
/// (`?start=&end=&messageCount=`).
pub const HISTORY_V2_ROUTE: &str =
    "/rtm/v2/history/{appid}/userId/{user}/channelType/{channel_type}/channel/{channel}";

/// The most messages one request returns (and the default `messageCount`).
pub(crate) const MAX_MESSAGE_COUNT: usize = 100;

/// The Signaling 2.x routes of one region's listener.
pub(crate) fn routes() -> Router<RegionState> {
    Router::new().route(HISTORY_V2_ROUTE, get(read_history))
}

#[derive(Debug, Deserialize)]
struct V2Path {
    appid: String,
    user: String,
    channel_type: String,
    channel: String,
}

/// Agora's Signaling envelope; `data` is null on errors.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a, D> {
    error_code: u16,
    error: bool,
    request_id: String,
    operation: &'static str,
    reason: &'a str,
    timestamp: u64,
    data: Option<D>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Page<'a> {
    message_list: Vec<V2Message<'a>>,
    count: usize,
    new_start: u64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct V2Message<'a> {
    message_type: &'static str,
    message: String,
    custom_type: &'static str,
    publisher: &'a str,
    timestamp: u64,
}

impl<'a> From<&'a StoredMessage> for V2Message<'a> {
    fn from(m: &'a StoredMessage) -> Self {
        V2Message {
            message_type: m.payload.v2_type(),
            message: m.payload.to_wire_text(),
            custom_type: "",
            publisher: &m.src,
            timestamp: m.ms,
        }
    }
}

fn envelope<D: Serialize>(status: StatusCode, reason: &str, data: Option<D>) -> Response {
    json(
        status,
        &Envelope {
            error_code: status.as_u16(),
            error: !status.is_success(),
            request_id: request_id(&mut rand::rng()),
            operation: "getMessage",
            reason,
            timestamp: unix_ms(),
            data,
        },
    )
}

/// An error in the envelope: `{"data": null, "error": true, "errorCode": ..., "reason": ...}`.
fn refuse(status: StatusCode, reason: &str) -> Response {
    envelope::<()>(status, reason, None)
}

/// A 400 envelope for an invalid parameter.
fn invalid(parameter: &str) -> Response {
    refuse(StatusCode::BAD_REQUEST, &format!("invalid {parameter}"))
}

/// The request's selection, checked.
#[derive(Debug, PartialEq, Eq)]
struct Selection {
    start: Option<u64>,
    end: Option<u64>,
    count: usize,
}

/// A Unix ms bound: absent, empty and 0 mean no bound. The error is the
/// parameter's name.
fn bound(
    params: &HashMap<String, String>,
    name: &'static str,
) -> Result<Option<u64>, &'static str> {
    match params.get(name).map(String::as_str) {
        None | Some("") => Ok(None),
        Some(text) => match text.parse::<u64>() {
            Ok(0) => Ok(None),
            Ok(ms) => Ok(Some(ms)),
            Err(_) => Err(name),
        },
    }
}

/// Checks `messageCount`, `start` and `end`; the error names the parameter.
fn selection(params: &HashMap<String, String>) -> Result<Selection, &'static str> {
    let count = match params.get("messageCount").map(String::as_str) {
        None | Some("") => MAX_MESSAGE_COUNT,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=MAX_MESSAGE_COUNT).contains(&n) => n,
            _ => return Err("messageCount"),
        },
    };
    Ok(Selection {
        start: bound(params, "start")?,
        end: bound(params, "end")?,
        count,
    })
}

/// `GET /rtm/v2/history/{appid}/userId/{user}/channelType/{message|user}/channel/{channel}`.
async fn read_history(
    State(state): State<RegionState>,
    path: Result<Path<V2Path>, PathRejection>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let Ok(Path(path)) = path else {
        return invalid("path");
    };
    finish(read_history_checked(&state.shared, &path, query, &headers).await)
}

async fn read_history_checked(
    shared: &Shared,
    path: &V2Path,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: &HeaderMap,
) -> Result<Response, Refusal> {
    let app_id = path.appid.as_str();
    gate::enter(shared, app_id, headers, None).await?;
    if shared.history_v2_disabled(app_id) {
        tracing::debug!(app_id = %app_id, "403 history not enabled");
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "history is not enabled for this app id",
        )
        .into());
    }
    let delivery = gate::pass(shared, app_id, Budget::HistoryV2)?;
    let Ok(Query(params)) = query else {
        return Err(invalid("query string").into());
    };
    if check_name(&path.user).is_err() {
        return Err(invalid("userId").into());
    }
    if check_name(&path.channel).is_err() {
        return Err(invalid("channel").into());
    }
    let conversation = match path.channel_type.as_str() {
        "message" => Conversation::Channel(&path.channel),
        "user" => Conversation::Peers(&path.user, &path.channel),
        _ => return Err(invalid("channelType").into()),
    };
    let selection = selection(&params).map_err(invalid)?;
    let (messages, new_start) = shared.archive().select_v2(
        app_id,
        &conversation,
        selection.start,
        selection.end,
        selection.count,
    );
    shared.store().app(app_id).history_queries += 1;
    tracing::debug!(app_id = %app_id, count = messages.len(), new_start, "history v2");
    Ok(match delivery {
        Delivery::Answer => envelope(
            StatusCode::OK,
            "",
            Some(Page {
                count: messages.len(),
                message_list: messages.iter().map(Into::into).collect(),
                new_start,
            }),
        ),
        Delivery::Lose => broken_response(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn selection_defaults_and_bounds() {
        assert_eq!(
            selection(&params(&[])).unwrap(),
            Selection {
                start: None,
                end: None,
                count: 100
            }
        );
        assert_eq!(
            selection(&params(&[
                ("start", "5"),
                ("end", "0"),
                ("messageCount", "1")
            ]))
            .unwrap(),
            Selection {
                start: Some(5),
                end: None,
                count: 1
            }
        );
        for bad in [
            &[("messageCount", "0")][..],
            &[("messageCount", "101")],
            &[("messageCount", "-1")],
            &[("messageCount", "x")],
            &[("start", "-5")],
            &[("end", "1.5")],
        ] {
            assert!(selection(&params(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn envelope_shape() {
        let e = Envelope::<()> {
            error_code: 403,
            error: true,
            request_id: "1_2".into(),
            operation: "getMessage",
            reason: "no",
            timestamp: 9,
            data: None,
        };
        assert_eq!(
            serde_json::to_value(e).unwrap(),
            serde_json::json!({"errorCode": 403, "error": true, "requestId": "1_2",
                "operation": "getMessage", "reason": "no", "timestamp": 9, "data": null})
        );
    }
}
