//! The admin API under `/_emulator/`: inject events, set presence, store
//! history messages, expire history queries, read stats, change faults and
//! the history query lifetime, reset. No auth, but only loopback peers are
//! served (others get 403).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use agora_rtm_rest_protocol::{ChannelEvent, ChannelEventKind, UserEvent, UserEventKind};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post, put};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::archive::{HistoryPayload, HistoryRecord, MessageKind};
use crate::faults::Faults;
use crate::feeds::{RegionState, json, message};
use crate::state::{Shared, unix_ms};
use crate::store::FeedEvent;

/// The largest admin request body accepted (an injection of many events).
const MAX_ADMIN_BODY: usize = 64 * 1024 * 1024;

/// The admin routes, guarded by the loopback check.
pub(crate) fn routes() -> Router<RegionState> {
    Router::new()
        .route(
            "/_emulator/apps/{appid}/user_events",
            post(inject::<InjectedUserEvent>),
        )
        .route(
            "/_emulator/apps/{appid}/channel_events",
            post(inject::<InjectedChannelEvent>),
        )
        .route("/_emulator/apps/{appid}/online", get(get_online))
        .route("/_emulator/apps/{appid}/online/{user_id}", put(put_online))
        .route("/_emulator/apps/{appid}/history", post(store_history))
        .route(
            "/_emulator/apps/{appid}/history/expire",
            post(expire_history),
        )
        .route(
            "/_emulator/history_query_ttl",
            get(get_history_ttl).put(put_history_ttl),
        )
        .route("/_emulator/stats", get(stats))
        .route("/_emulator/faults", get(get_faults).put(put_faults))
        .route("/_emulator/reset", post(reset))
        .layer(DefaultBodyLimit::max(MAX_ADMIN_BODY))
        .layer(middleware::from_fn(loopback_only))
}

/// True for loopback addresses, including IPv4-mapped ones (`::ffff:127.0.0.1`).
pub(crate) fn is_loopback(ip: IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}

async fn loopback_only(
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    if is_loopback(peer.ip()) {
        next.run(req).await
    } else {
        tracing::debug!(%peer, "admin request from a non-loopback peer refused");
        message(
            StatusCode::FORBIDDEN,
            "the emulator's admin API only answers loopback clients",
        )
    }
}

/// An injected user event: the service's shape, `ms` (or legacy `ts`) optional.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InjectedUserEvent {
    user_id: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default, alias = "ts")]
    ms: Option<u64>,
}

/// An injected channel event: `group_id` (or legacy `channel_id`), `ms` (or `ts`) optional.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InjectedChannelEvent {
    #[serde(alias = "channel_id")]
    group_id: String,
    user_id: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default, alias = "ts")]
    ms: Option<u64>,
}

/// Turns an injected event into the model, with `now` for a missing time.
trait Injected: DeserializeOwned + Send + 'static {
    type Event: FeedEvent;
    fn into_event(self, now_ms: u64) -> Self::Event;
}

impl Injected for InjectedUserEvent {
    type Event = UserEvent;
    fn into_event(self, now_ms: u64) -> UserEvent {
        UserEvent {
            user_id: self.user_id,
            kind: UserEventKind::from_wire(&self.kind),
            ms: self.ms.unwrap_or(now_ms),
        }
    }
}

impl Injected for InjectedChannelEvent {
    type Event = ChannelEvent;
    fn into_event(self, now_ms: u64) -> ChannelEvent {
        ChannelEvent {
            channel_id: self.group_id,
            user_id: self.user_id,
            kind: ChannelEventKind::from_wire(&self.kind),
            ms: self.ms.unwrap_or(now_ms),
        }
    }
}

#[derive(Debug, Deserialize)]
struct InjectQuery {
    regions: Option<String>,
}

/// Parses `?regions=a,b` into region indexes (all regions when absent).
fn parse_regions(shared: &Shared, regions: Option<&str>) -> Result<Vec<usize>, String> {
    match regions {
        None => shared.region_indexes(None),
        Some(list) => {
            let names: Vec<String> = list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            if names.is_empty() {
                return Err("regions= names no region".into());
            }
            shared.region_indexes(Some(&names))
        }
    }
}

async fn inject<I: Injected>(
    State(state): State<RegionState>,
    Path(app_id): Path<String>,
    Query(query): Query<InjectQuery>,
    body: Bytes,
) -> Response {
    let regions = match parse_regions(&state.shared, query.regions.as_deref()) {
        Ok(regions) => regions,
        Err(msg) => return message(StatusCode::BAD_REQUEST, &msg),
    };
    let injected: Vec<I> = match serde_json::from_slice(&body) {
        Ok(events) => events,
        Err(err) => {
            let msg = format!(
                "the body must be a JSON array of {} in the service's shape: {err}",
                <I::Event as FeedEvent>::FEED
            );
            return message(StatusCode::BAD_REQUEST, &msg);
        }
    };
    let now = unix_ms();
    let events: Vec<I::Event> = injected.into_iter().map(|e| e.into_event(now)).collect();
    state.shared.push(&app_id, &regions, &events);
    json(
        StatusCode::OK,
        &serde_json::json!({ "injected": events.len() }),
    )
}

/// `PUT .../online/{user_id}` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OnlineBody {
    online: bool,
}

async fn put_online(
    State(state): State<RegionState>,
    Path((app_id, user_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let body: OnlineBody = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(err) => {
            return message(
                StatusCode::BAD_REQUEST,
                &format!("the body must be {{\"online\": true|false}}: {err}"),
            );
        }
    };
    state.shared.presence().set(&app_id, &user_id, body.online);
    json(
        StatusCode::OK,
        &serde_json::json!({"app_id": app_id, "user_id": user_id, "online": body.online}),
    )
}

async fn get_online(State(state): State<RegionState>, Path(app_id): Path<String>) -> Response {
    let online = state.shared.presence().online_users(&app_id);
    json(StatusCode::OK, &serde_json::json!({ "online": online }))
}

/// A history message to store: the legacy API's shape, `payload` base64 when
/// `binary`, `ms` optional (stamped like a sent message).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredBody {
    src: String,
    dst: String,
    message_type: String,
    payload: String,
    #[serde(default)]
    binary: bool,
    #[serde(default)]
    ms: Option<u64>,
}

impl StoredBody {
    fn into_record(self) -> Result<HistoryRecord, String> {
        let kind = MessageKind::from_message_type(&self.message_type).ok_or_else(|| {
            format!(
                "message_type must be peer_message or channel_message, got {:?}",
                self.message_type
            )
        })?;
        let payload = if self.binary {
            let bytes = STANDARD
                .decode(&self.payload)
                .map_err(|err| format!("a binary payload must be standard base64: {err}"))?;
            HistoryPayload::Binary(bytes)
        } else {
            HistoryPayload::Text(self.payload)
        };
        Ok(HistoryRecord {
            src: self.src,
            dst: self.dst,
            kind,
            payload,
            ms: self.ms,
        })
    }
}

/// One message or an array of them.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum StoredBodies {
    One(StoredBody),
    Many(Vec<StoredBody>),
}

async fn store_history(
    State(state): State<RegionState>,
    Path(app_id): Path<String>,
    body: Bytes,
) -> Response {
    let bodies = match serde_json::from_slice(&body) {
        Ok(StoredBodies::One(one)) => vec![one],
        Ok(StoredBodies::Many(many)) => many,
        Err(err) => {
            return message(
                StatusCode::BAD_REQUEST,
                &format!(
                    "the body must be a history message {{src, dst, message_type, payload, binary?, ms?}} or an array of them: {err}"
                ),
            );
        }
    };
    let records: Result<Vec<HistoryRecord>, String> =
        bodies.into_iter().map(StoredBody::into_record).collect();
    let records = match records {
        Ok(records) => records,
        Err(msg) => return message(StatusCode::BAD_REQUEST, &msg),
    };
    let stamps: Vec<u64> = records
        .into_iter()
        .map(|record| state.shared.store_history(&app_id, record))
        .collect();
    json(
        StatusCode::OK,
        &serde_json::json!({"stored": stamps.len(), "ms": stamps}),
    )
}

async fn expire_history(State(state): State<RegionState>, Path(app_id): Path<String>) -> Response {
    let expired = state.shared.queries().expire_all(&app_id);
    json(StatusCode::OK, &serde_json::json!({ "expired": expired }))
}

/// `PUT /_emulator/history_query_ttl` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TtlBody {
    ttl_ms: u64,
}

fn ttl_body(ttl: Duration) -> Response {
    let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
    json(StatusCode::OK, &serde_json::json!({ "ttl_ms": ttl_ms }))
}

async fn get_history_ttl(State(state): State<RegionState>) -> Response {
    ttl_body(state.shared.history_query_ttl())
}

async fn put_history_ttl(State(state): State<RegionState>, body: Bytes) -> Response {
    let body: TtlBody = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(err) => {
            return message(
                StatusCode::BAD_REQUEST,
                &format!("the body must be {{\"ttl_ms\": milliseconds}}: {err}"),
            );
        }
    };
    state
        .shared
        .set_history_query_ttl(Duration::from_millis(body.ttl_ms));
    ttl_body(state.shared.history_query_ttl())
}

async fn stats(State(state): State<RegionState>) -> Response {
    json(StatusCode::OK, &state.shared.stats())
}

async fn get_faults(State(state): State<RegionState>) -> Response {
    json(StatusCode::OK, &state.shared.faults())
}

async fn put_faults(State(state): State<RegionState>, body: Bytes) -> Response {
    let faults: Faults = match serde_json::from_slice(&body) {
        Ok(faults) => faults,
        Err(err) => {
            return message(
                StatusCode::BAD_REQUEST,
                &format!("the body must be a JSON faults object: {err}"),
            );
        }
    };
    if let Err(msg) = faults.validate() {
        return message(StatusCode::BAD_REQUEST, &msg);
    }
    state.shared.set_faults(faults);
    json(StatusCode::OK, &state.shared.faults())
}

async fn reset(State(state): State<RegionState>) -> Response {
    state.shared.reset();
    json(StatusCode::OK, &serde_json::json!({ "reset": true }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_predicate() {
        for ip in ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"] {
            assert!(is_loopback(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "10.0.0.1",
            "192.168.1.1",
            "0.0.0.0",
            "::",
            "::ffff:10.0.0.1",
            "fe80::1",
        ] {
            assert!(!is_loopback(ip.parse().unwrap()), "{ip}");
        }
    }

    /// Serves the admin routes with a faked peer address and asks for stats.
    async fn stats_status_from(peer: &str) -> u16 {
        use axum::extract::connect_info::MockConnectInfo;
        use std::sync::Arc;

        let shared = Arc::new(Shared::new(&crate::EmulatorConfig::default()));
        let app = routes()
            .layer(MockConnectInfo(peer.parse::<SocketAddr>().unwrap()))
            .with_state(RegionState { shared, region: 0 });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let response = reqwest::get(format!("http://{addr}/_emulator/stats"))
            .await
            .unwrap();
        server.abort();
        response.status().as_u16()
    }

    #[tokio::test]
    async fn admin_refuses_non_loopback_peers() {
        assert_eq!(stats_status_from("127.0.0.1:5000").await, 200);
        assert_eq!(stats_status_from("[::1]:5000").await, 200);
        assert_eq!(stats_status_from("192.168.1.20:5000").await, 403);
        assert_eq!(stats_status_from("[2001:db8::1]:5000").await, 403);
    }

    #[test]
    fn injected_events_accept_both_field_generations() {
        let current: Vec<InjectedChannelEvent> =
            serde_json::from_str(r#"[{"group_id":"c","user_id":"u","type":"Join","ms":5}]"#)
                .unwrap();
        let legacy: Vec<InjectedChannelEvent> =
            serde_json::from_str(r#"[{"channel_id":"c","user_id":"u","type":"Join","ts":5}]"#)
                .unwrap();
        let a = current.into_iter().next().unwrap().into_event(0);
        let b = legacy.into_iter().next().unwrap().into_event(0);
        assert_eq!(a, b);
        let no_time: Vec<InjectedUserEvent> =
            serde_json::from_str(r#"[{"user_id":"u","type":"Logout"}]"#).unwrap();
        assert_eq!(no_time.into_iter().next().unwrap().into_event(42).ms, 42);
        assert!(
            serde_json::from_str::<Vec<InjectedUserEvent>>(
                r#"[{"user_id":"u","type":"Login","group_id":"x"}]"#
            )
            .is_err()
        );
    }
}
