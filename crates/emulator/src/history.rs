//! The legacy (RTM 1.x) message history routes (SPEC section 5): create a
//! query, poll its handle ("in progress" once, then the snapshot, 410 once it
//! expires) and count messages ("in progress" once per filter, then the count).

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::archive::{LegacyFilter, StoredMessage};
use crate::feeds::{RegionState, broken_response, head_not_allowed, json};
use crate::gate::{self, Delivery, Invalid, Refusal, finish};
use crate::limiter::Budget;
use crate::queries::Poll;
use crate::state::Shared;
use crate::validation::{check_name, parse_utc_seconds};

/// The route that creates a legacy history query, relative to a listener's root.
pub const HISTORY_QUERY_ROUTE: &str = "/dev/v2/project/{appid}/rtm/message/history/query";
/// The route that polls a legacy history query's handle.
pub const HISTORY_QUERY_RESULT_ROUTE: &str =
    "/dev/v2/project/{appid}/rtm/message/history/query/{handle}";
/// The legacy history count route (`?source=&destination=&start_time=&end_time=`).
pub const HISTORY_COUNT_ROUTE: &str = "/dev/v2/project/{appid}/rtm/message/history/count";

/// The `limit`s a query accepts.
const LIMITS: [i64; 3] = [20, 50, 100];

/// The legacy history routes of one region's listener. Polls and counts
/// change state (the first answer is "in progress"), so HEAD is refused.
pub(crate) fn routes() -> Router<RegionState> {
    Router::new()
        .route(HISTORY_QUERY_ROUTE, post(create_query))
        .route(
            HISTORY_QUERY_RESULT_ROUTE,
            get(poll_query).head(head_not_allowed),
        )
        .route(HISTORY_COUNT_ROUTE, get(count).head(head_not_allowed))
}

/// A query's filter as sent (every field optional here so that the 400 can
/// name what is missing).
#[derive(Debug, Default, Deserialize)]
struct FilterBody {
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    destination: Option<String>,
    #[serde(default)]
    start_time: Option<String>,
    #[serde(default)]
    end_time: Option<String>,
}

/// A query request body.
#[derive(Debug, Deserialize)]
struct QueryBody {
    filter: Option<FilterBody>,
    #[serde(default)]
    offset: Option<i64>,
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default)]
    order: Option<String>,
}

/// The answer to a new query.
#[derive(Debug, Serialize)]
struct Created {
    result: &'static str,
    offset: i64,
    limit: i64,
    order: &'static str,
    location: String,
}

/// A message as the legacy API shows it.
#[derive(Debug, Serialize)]
struct LegacyMessage<'a> {
    src: &'a str,
    dst: &'a str,
    message_type: &'static str,
    payload: String,
    ms: u64,
}

impl<'a> From<&'a StoredMessage> for LegacyMessage<'a> {
    fn from(m: &'a StoredMessage) -> Self {
        LegacyMessage {
            src: &m.src,
            dst: &m.dst,
            message_type: m.kind.message_type(),
            payload: m.payload.to_wire_text(),
            ms: m.ms,
        }
    }
}

/// An empty string counts as absent (a query string's `source=`).
fn given(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

/// Checks a filter and turns it into the ms range the archive selects by.
fn legacy_filter(filter: FilterBody) -> Result<LegacyFilter, Invalid> {
    let source = given(filter.source);
    let destination = given(filter.destination);
    if source.is_none() && destination.is_none() {
        return Err(Invalid::new(
            "filter",
            "at least one of source and destination is required",
        ));
    }
    for (field, name) in [("source", &source), ("destination", &destination)] {
        if let Some(name) = name {
            check_name(name).map_err(|why| Invalid::new(field, why))?;
        }
    }
    let time = |field: &'static str, value: Option<String>| -> Result<i64, Invalid> {
        let value = given(value).ok_or_else(|| Invalid::new(field, "required"))?;
        parse_utc_seconds(&value).map_err(|why| Invalid::new(field, why))
    };
    let start = time("start_time", filter.start_time)?;
    let end = time("end_time", filter.end_time)?;
    if start > end {
        return Err(Invalid::new("filter", "start_time is after end_time"));
    }
    Ok(LegacyFilter {
        source,
        destination,
        from_ms: start.saturating_mul(1000),
        to_ms: end.saturating_mul(1000).saturating_add(999),
    })
}

/// A checked query request: the filter, paging and order.
#[derive(Debug)]
struct CheckedQuery {
    filter: LegacyFilter,
    offset: i64,
    limit: i64,
    descending: bool,
}

fn check_query(bytes: &[u8]) -> Result<CheckedQuery, Invalid> {
    let request: QueryBody = serde_json::from_slice(bytes)
        .map_err(|err| Invalid::new("request body", err.to_string()))?;
    let filter = legacy_filter(
        request
            .filter
            .ok_or_else(|| Invalid::new("filter", "required"))?,
    )?;
    let offset = request.offset.unwrap_or(0);
    if offset < 0 {
        return Err(Invalid::new("offset", format!("{offset} is negative")));
    }
    let limit = request.limit.unwrap_or(LIMITS[0]);
    if !LIMITS.contains(&limit) {
        return Err(Invalid::new(
            "limit",
            format!("{limit} is not 20, 50 or 100"),
        ));
    }
    let descending = match request.order.as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            return Err(Invalid::new(
                "order",
                format!("{other:?} is neither asc nor desc"),
            ));
        }
    };
    Ok(CheckedQuery {
        filter,
        offset,
        limit,
        descending,
    })
}

/// `POST .../rtm/message/history/query`: checks the request, takes the
/// snapshot and answers its handle.
async fn create_query(
    State(state): State<RegionState>,
    Path(app_id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    finish(create_query_checked(&state.shared, &app_id, &headers, &bytes).await)
}

async fn create_query_checked(
    shared: &Shared,
    app_id: &str,
    headers: &HeaderMap,
    bytes: &[u8],
) -> Result<Response, Refusal> {
    gate::enter(shared, app_id, headers, None).await?;
    let delivery = gate::pass(shared, app_id, Budget::LegacyHistory)?;
    let query = check_query(bytes)?;
    let mut selected = shared.archive().select_legacy(app_id, &query.filter);
    if query.descending {
        selected.reverse();
    }
    let skip = usize::try_from(query.offset).unwrap_or(usize::MAX);
    let take = usize::try_from(query.limit).unwrap_or(0);
    let snapshot: Vec<StoredMessage> = selected.into_iter().skip(skip).take(take).collect();
    let handle = shared.queries().create(
        app_id,
        snapshot,
        Instant::now(),
        shared.history_query_ttl(),
        &mut rand::rng(),
    );
    shared.store().app(app_id).history_queries += 1;
    tracing::debug!(app_id = %app_id, handle = %handle, "history query created");
    Ok(match delivery {
        Delivery::Answer => json(
            StatusCode::OK,
            &Created {
                result: "success",
                offset: query.offset,
                limit: query.limit,
                order: if query.descending { "desc" } else { "asc" },
                location: format!("~/rtm/message/history/query/{handle}"),
            },
        ),
        Delivery::Lose => broken_response(),
    })
}

/// `GET .../rtm/message/history/query/{handle}`.
async fn poll_query(
    State(state): State<RegionState>,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let Ok(Path((app_id, handle))) = path else {
        return not_found();
    };
    finish(poll_query_checked(&state.shared, &app_id, &handle, &headers).await)
}

async fn poll_query_checked(
    shared: &Shared,
    app_id: &str,
    handle: &str,
    headers: &HeaderMap,
) -> Result<Response, Refusal> {
    gate::enter(shared, app_id, headers, None).await?;
    let delivery = gate::pass(shared, app_id, Budget::LegacyHistory)?;
    let poll = shared
        .queries()
        .poll(app_id, handle, Instant::now(), shared.history_query_ttl());
    let response = match poll {
        Poll::NotFound => not_found(),
        Poll::Expired => json(
            StatusCode::GONE,
            &serde_json::json!({"result": "failed", "message": "query expired"}),
        ),
        Poll::InProgress => json(
            StatusCode::OK,
            &serde_json::json!({"result": "success", "code": "in progress", "messages": []}),
        ),
        Poll::Ready(messages) => {
            let messages: Vec<LegacyMessage<'_>> = messages.iter().map(Into::into).collect();
            json(
                StatusCode::OK,
                &serde_json::json!({"result": "success", "code": "ok", "messages": messages}),
            )
        }
    };
    Ok(match delivery {
        Delivery::Answer => response,
        Delivery::Lose => broken_response(),
    })
}

fn not_found() -> Response {
    json(
        StatusCode::NOT_FOUND,
        &serde_json::json!({"result": "failed", "message": "query not found"}),
    )
}

/// `GET .../rtm/message/history/count?source=&destination=&start_time=&end_time=`.
async fn count(
    State(state): State<RegionState>,
    Path(app_id): Path<String>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    finish(count_checked(&state.shared, &app_id, query, &headers).await)
}

async fn count_checked(
    shared: &Shared,
    app_id: &str,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: &HeaderMap,
) -> Result<Response, Refusal> {
    gate::enter(shared, app_id, headers, None).await?;
    let delivery = gate::pass(shared, app_id, Budget::LegacyHistory)?;
    let Ok(Query(mut params)) = query else {
        return Err(Invalid::new("filter", "the query string does not decode").into());
    };
    let filter = legacy_filter(FilterBody {
        source: params.remove("source"),
        destination: params.remove("destination"),
        start_time: params.remove("start_time"),
        end_time: params.remove("end_time"),
    })?;
    let ready =
        shared
            .queries()
            .count_ready(app_id, &filter, Instant::now(), shared.history_query_ttl());
    shared.store().app(app_id).history_queries += 1;
    let response = if ready {
        let n = shared.archive().count_legacy(app_id, &filter);
        json(
            StatusCode::OK,
            &serde_json::json!({"result": "success", "code": "ok", "count": n}),
        )
    } else {
        json(
            StatusCode::OK,
            &serde_json::json!({"result": "success", "code": "in progress"}),
        )
    };
    Ok(match delivery {
        Delivery::Answer => response,
        Delivery::Lose => broken_response(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(
        source: Option<&str>,
        destination: Option<&str>,
        start: &str,
        end: &str,
    ) -> FilterBody {
        FilterBody {
            source: source.map(Into::into),
            destination: destination.map(Into::into),
            start_time: Some(start.into()),
            end_time: Some(end.into()),
        }
    }

    #[test]
    fn filters_cover_whole_seconds() {
        let f = legacy_filter(filter(
            Some("a"),
            Some(""),
            "1970-01-01T00:00:01Z",
            "1970-01-01T00:00:02.5Z",
        ))
        .unwrap();
        assert_eq!(f.destination, None);
        assert_eq!((f.from_ms, f.to_ms), (1000, 2999));
    }

    #[test]
    fn bad_filters_are_refused() {
        let t = "2020-01-01T00:00:00Z";
        assert!(legacy_filter(filter(None, None, t, t)).is_err());
        assert!(legacy_filter(filter(Some(""), None, t, t)).is_err());
        assert!(legacy_filter(filter(Some("a/b"), None, t, t)).is_err());
        assert!(legacy_filter(filter(None, Some(" c"), t, t)).is_err());
        assert!(legacy_filter(filter(Some("a"), None, "2020-01-01", t)).is_err());
        assert!(legacy_filter(filter(Some("a"), None, "2020-01-02T00:00:00Z", t)).is_err());
        assert!(
            legacy_filter(FilterBody {
                source: Some("a".into()),
                ..FilterBody::default()
            })
            .is_err()
        );
        assert!(legacy_filter(filter(Some("a"), Some("c"), t, t)).is_ok());
    }
}
