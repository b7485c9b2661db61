//! The service routes: the two destructive event feeds (SPEC section 3).

use std::sync::Arc;
use std::time::Duration;

use agora_rtm_rest_protocol::{ChannelEvent, UserEvent};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::header::{ALLOW, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rand::Rng;
use serde::Serialize;
use tokio::time::Instant;

use crate::faults::Outcome;
use crate::state::{Shared, unix_ms};
use crate::store::FeedEvent;

/// The user events route, relative to a listener's root.
pub const USER_EVENTS_ROUTE: &str = "/dev/v2/project/{appid}/rtm/vendor/user_events";
/// The channel events route, relative to a listener's root.
pub const CHANNEL_EVENTS_ROUTE: &str = "/dev/v2/project/{appid}/rtm/vendor/channel_events";

/// What a listener's handlers see: the shared state and the listener's region.
#[derive(Debug, Clone)]
pub(crate) struct RegionState {
    pub(crate) shared: Arc<Shared>,
    pub(crate) region: usize,
}

/// The feed routes of one region's listener.
pub(crate) fn routes() -> Router<RegionState> {
    // Explicit HEAD handlers: axum would otherwise run the (destructive) GET
    // handler for HEAD and drop the body, losing the events.
    Router::new()
        .route(
            USER_EVENTS_ROUTE,
            get(read_feed::<UserEvent>).head(head_not_allowed),
        )
        .route(
            CHANNEL_EVENTS_ROUTE,
            get(read_feed::<ChannelEvent>).head(head_not_allowed),
        )
}

/// 405 for HEAD on a GET route whose handler changes state (axum would
/// otherwise run the GET handler and drop the body).
pub(crate) async fn head_not_allowed() -> Response {
    (StatusCode::METHOD_NOT_ALLOWED, [(ALLOW, "GET")]).into_response()
}

/// A JSON error body `{"message": ...}`.
pub(crate) fn message(status: StatusCode, text: &str) -> Response {
    json(status, &serde_json::json!({ "message": text }))
}

/// A JSON response.
pub(crate) fn json(status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (status, [(CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// A request id shaped like the service's (`"165454_13306870108610070770"`).
pub(crate) fn request_id(rng: &mut impl Rng) -> String {
    format!(
        "{}_{}",
        rng.random_range(100_000..1_000_000u32),
        rng.random::<u64>()
    )
}

#[derive(Serialize)]
struct Page<'a, E> {
    result: &'static str,
    request_id: &'a str,
    events: E,
}

fn page_body<T: FeedEvent>(events: &[T], legacy: bool, request_id: &str) -> Response {
    if legacy {
        let events: Vec<serde_json::Value> = events.iter().map(FeedEvent::legacy_json).collect();
        json(
            StatusCode::OK,
            &Page {
                result: "success",
                request_id,
                events,
            },
        )
    } else {
        json(
            StatusCode::OK,
            &Page {
                result: "success",
                request_id,
                events,
            },
        )
    }
}

/// A 200 whose body fails at once, so the server aborts the connection and the
/// client never receives the page.
pub(crate) fn broken_response() -> Response {
    let failure = std::io::Error::new(
        std::io::ErrorKind::ConnectionAborted,
        "emulated lost response",
    );
    let stream = futures_util::stream::iter([Err::<Bytes, std::io::Error>(failure)]);
    (
        StatusCode::OK,
        [(CONTENT_TYPE, "application/json")],
        Body::from_stream(stream),
    )
        .into_response()
}

/// An injected server error: alternately 500 (JSON) and 503 (gateway HTML).
pub(crate) fn server_error(shared: &Shared) -> Response {
    if shared.next_server_error_is_503() {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(CONTENT_TYPE, "text/html")],
            "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
        )
            .into_response()
    } else {
        json(
            StatusCode::INTERNAL_SERVER_ERROR,
            &serde_json::json!({"errorCode": 500, "reason": "Internal Server Error"}),
        )
    }
}

/// `GET .../rtm/vendor/{user_events|channel_events}`: count, delay, authenticate,
/// rate-limit, inject a fault or dequeue a page.
async fn read_feed<T: FeedEvent>(
    State(state): State<RegionState>,
    Path(app_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let RegionState { shared, region } = state;
    {
        let mut store = shared.store();
        let app = store.app(&app_id);
        app.requests += 1;
        if let Some(ring) = app.ring::<T>(region) {
            ring.counters_mut().requests += 1;
        }
    }
    let faults = shared.faults();
    if faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
    }

    if let Err(err) = shared
        .auth
        .authenticate(&headers, &app_id, unix_ms() / 1000)
    {
        tracing::debug!(app_id = %app_id, feed = %T::FEED, reason = err.reason(), "401");
        shared.store().app(&app_id).auth_failures += 1;
        return message(StatusCode::UNAUTHORIZED, err.message());
    }
    if !shared.limiter().try_acquire(&app_id, Instant::now()) {
        tracing::debug!(app_id = %app_id, feed = %T::FEED, "429 rate limited");
        shared.store().app(&app_id).rate_limited += 1;
        return message(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests");
    }

    // Everything from here to the response is synchronous: a page that is
    // dequeued is always either answered or counted as lost.
    let outcome = faults.draw(&mut rand::rng());
    let mut store = shared.store();
    let app = store.app(&app_id);
    match outcome {
        Outcome::Timeout => {
            app.faults.timeouts += 1;
            drop(store);
            json(
                StatusCode::REQUEST_TIMEOUT,
                &serde_json::json!({"result": "failed", "message": "request timeout"}),
            )
        }
        Outcome::ServerError => {
            app.faults.server_errors += 1;
            drop(store);
            server_error(&shared)
        }
        Outcome::Throttle => {
            app.faults.throttles += 1;
            app.rate_limited += 1;
            drop(store);
            message(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests")
        }
        Outcome::LostResponse => {
            app.faults.lost_responses += 1;
            if let Some(ring) = app.ring::<T>(region) {
                let lost = ring.take_page().len() as u64;
                let counters = ring.counters_mut();
                counters.lost_in_faults += lost;
                counters.lost_responses += 1;
                tracing::debug!(app_id = %app_id, feed = %T::FEED, lost, "lost response");
            }
            drop(store);
            broken_response()
        }
        Outcome::Normal => {
            let page = match app.ring::<T>(region) {
                Some(ring) => {
                    let page = ring.take_page();
                    ring.counters_mut().delivered += page.len() as u64;
                    page
                }
                None => Vec::new(),
            };
            drop(store);
            let request_id = request_id(&mut rand::rng());
            tracing::debug!(app_id = %app_id, feed = %T::FEED, events = page.len(), request_id = %request_id, "200");
            page_body(&page, shared.legacy_fields, &request_id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn request_ids_look_like_the_service() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        for _ in 0..100 {
            let id = request_id(&mut rng);
            let (a, b) = id.split_once('_').unwrap();
            assert_eq!(a.len(), 6);
            assert!(a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit()));
        }
    }
}
