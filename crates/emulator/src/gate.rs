//! What every message and history request goes through before its handler
//! acts, as the event feeds do: counting, injected latency, authentication
//! (with the token-user rule of SPEC section 2), the route family's rate limit
//! and the injected faults.

use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tokio::time::Instant;

use crate::auth::Caller;
use crate::faults::Outcome;
use crate::feeds::{json, message, server_error};
use crate::limiter::Budget;
use crate::state::{Shared, unix_ms};

/// A finished error response a handler returns early (boxed: a `Response`
/// is large). Handlers run as `Result<Response, Refusal>` and `?` their checks.
#[derive(Debug)]
pub(crate) struct Refusal(Box<Response>);

impl From<Response> for Refusal {
    fn from(response: Response) -> Self {
        Refusal(Box::new(response))
    }
}

impl From<Invalid> for Refusal {
    fn from(invalid: Invalid) -> Self {
        invalid.into_response().into()
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// The response of a handler body that may refuse early.
pub(crate) fn finish(result: Result<Response, Refusal>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}

/// How the handler must answer a request that passed the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// Act and answer.
    Answer,
    /// Act, then break the connection instead of answering (an injected lost
    /// response: the action happened, the caller cannot know).
    Lose,
}

/// Counts the request, waits the injected latency and authenticates it. With
/// `acting_as`, a token must belong to that user (Basic may act as anyone).
///
/// Errors are the finished 401 responses (`{"message": "invalid token"}` or
/// `{"message": "Invalid authentication credentials"}`), counted as auth failures.
pub(crate) async fn enter(
    shared: &Shared,
    app_id: &str,
    headers: &HeaderMap,
    acting_as: Option<&str>,
) -> Result<Caller, Refusal> {
    shared.store().app(app_id).requests += 1;
    let latency_ms = shared.faults().latency_ms;
    if latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(latency_ms)).await;
    }
    let refused = |reason: &str, text: &str| {
        tracing::debug!(app_id = %app_id, reason, "401");
        shared.store().app(app_id).auth_failures += 1;
        Refusal::from(message(StatusCode::UNAUTHORIZED, text))
    };
    let caller = match shared.auth.authenticate(headers, app_id, unix_ms() / 1000) {
        Ok(caller) => caller,
        Err(err) => return Err(refused(err.reason(), err.message())),
    };
    if let Some(user) = acting_as
        && !caller.may_act_as(user)
    {
        return Err(refused(
            "the path's user is not the token's",
            "invalid token",
        ));
    }
    Ok(caller)
}

/// Applies the rate limit of `budget` and draws the injected faults. Errors
/// are the finished 429, 408, 500 or 503 responses, shaped as the feeds' ones.
pub(crate) fn pass(shared: &Shared, app_id: &str, budget: Budget) -> Result<Delivery, Refusal> {
    if !shared
        .limiter_for(budget)
        .try_acquire(app_id, Instant::now())
    {
        tracing::debug!(app_id = %app_id, ?budget, "429 rate limited");
        shared.store().app(app_id).rate_limited += 1;
        return Err(message(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests").into());
    }
    let outcome = shared.faults().draw(&mut rand::rng());
    let mut store = shared.store();
    let app = store.app(app_id);
    match outcome {
        Outcome::Normal => Ok(Delivery::Answer),
        Outcome::LostResponse => {
            app.faults.lost_responses += 1;
            Ok(Delivery::Lose)
        }
        Outcome::Timeout => {
            app.faults.timeouts += 1;
            drop(store);
            Err(json(
                StatusCode::REQUEST_TIMEOUT,
                &serde_json::json!({"result": "failed", "message": "request timeout"}),
            )
            .into())
        }
        Outcome::ServerError => {
            app.faults.server_errors += 1;
            drop(store);
            Err(server_error(shared).into())
        }
        Outcome::Throttle => {
            app.faults.throttles += 1;
            app.rate_limited += 1;
            drop(store);
            Err(message(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests").into())
        }
    }
}

/// The legacy APIs' failure body: `{"result": "failed", "request_id": ..., "message": ...}`.
#[derive(Debug, Serialize)]
pub(crate) struct Failed<'a> {
    result: &'static str,
    request_id: String,
    message: &'a str,
}

/// A `{"result": "failed", "request_id": ..., "message": ...}` response.
pub(crate) fn failed(status: StatusCode, text: &str) -> Response {
    json(
        status,
        &Failed {
            result: "failed",
            request_id: crate::feeds::request_id(&mut rand::rng()),
            message: text,
        },
    )
}

/// A 400 naming the field: `"invalid <field>: <why>"`.
pub(crate) fn invalid(field: &str, why: &str) -> Response {
    failed(StatusCode::BAD_REQUEST, &format!("invalid {field}: {why}"))
}

/// A broken rule: the field and why, answered as [`invalid`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid {
    /// The field named in the message.
    pub(crate) field: &'static str,
    /// Why it is refused.
    pub(crate) why: String,
}

impl Invalid {
    /// The rule broken by `field`.
    pub(crate) fn new(field: &'static str, why: impl Into<String>) -> Self {
        Invalid {
            field,
            why: why.into(),
        }
    }
}

impl IntoResponse for Invalid {
    fn into_response(self) -> Response {
        invalid(self.field, &self.why)
    }
}
