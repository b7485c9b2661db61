//! Support for the shared test vectors (`tests/vectors/`): a case's JSON `config`
//! and `auth` objects turned into the SDK's own types. One implementation, used by
//! the Rust runner and passed through by every binding's runner, so no language
//! re-implements it (the format is described in `tests/vectors/README.md`).

mod exchange;

pub use exchange::VectorExchange;

use std::time::Duration;

use serde_json::Value;

use crate::auth::{Credentials, MintedToken};
use crate::backoff::RetryPolicy;
use crate::config::{Area, Config, Endpoints, Region};
use crate::error::{Error, TransportErrorKind};

fn ms(v: &Value, key: &str) -> Option<Duration> {
    v.get(key)
        .and_then(Value::as_u64)
        .map(Duration::from_millis)
}

/// A vector's `config` object as a [`Config`] (unlisted settings keep the SDK's defaults).
///
/// ```
/// use agora_rtm_rest_protocol::vectors::config_from_json;
/// let c = config_from_json(&serde_json::json!({"app_id": "demo", "base_urls": ["http://127.0.0.1:1"],
///                                               "rate_limit": {"limit": 3, "window_ms": 1000}})).unwrap();
/// assert_eq!((c.app_id(), c.rate_limit), ("demo", 3));
/// ```
pub fn config_from_json(c: &Value) -> Result<Config, Error> {
    let app_id = c.get("app_id").and_then(Value::as_str).unwrap_or("demo");
    let mut config = Config::new(app_id)?;
    if let Some(urls) = c.get("base_urls").and_then(Value::as_array) {
        let urls: Vec<&str> = urls.iter().filter_map(Value::as_str).collect();
        let insecure = c
            .get("allow_insecure_http")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        config.endpoints = Endpoints::custom(urls, insecure)?;
    } else {
        let area = match c.get("area").and_then(Value::as_str) {
            Some("mainland_china") => Area::MainlandChina,
            _ => Area::Global,
        };
        let mut regions = Vec::new();
        for r in c
            .get("regions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            regions.push(r.as_str().unwrap_or_default().parse::<Region>()?);
        }
        config.endpoints = Endpoints::agora(area, &regions);
    }
    if let Some(r) = c.get("retry") {
        let d = RetryPolicy::default();
        config.retry = RetryPolicy {
            max_attempts: r
                .get("max_attempts")
                .and_then(Value::as_u64)
                .map_or(d.max_attempts, |v| u32::try_from(v).unwrap_or(u32::MAX)),
            base_delay: ms(r, "base_delay_ms").unwrap_or(d.base_delay),
            max_delay: ms(r, "max_delay_ms").unwrap_or(d.max_delay),
            max_elapsed: ms(r, "max_elapsed_ms").unwrap_or(d.max_elapsed),
            max_retry_after: ms(r, "max_retry_after_ms").unwrap_or(d.max_retry_after),
            sticky_fallback: ms(r, "sticky_fallback_ms").unwrap_or(d.sticky_fallback),
        };
    }
    if let Some(r) = c.get("rate_limit") {
        if let Some(limit) = r.get("limit").and_then(Value::as_u64) {
            config.rate_limit = u32::try_from(limit).unwrap_or(u32::MAX);
        }
        if let Some(window) = ms(r, "window_ms") {
            config.rate_window = window;
        }
    }
    if let Some(families) = c.get("family_limits").and_then(Value::as_object) {
        for (name, r) in families {
            let family: crate::config::RateFamily = name.parse()?;
            let (mut limit, mut window) = config.limit_of(family);
            if let Some(l) = r.get("limit").and_then(Value::as_u64) {
                limit = u32::try_from(l).unwrap_or(u32::MAX);
            }
            if let Some(w) = ms(r, "window_ms") {
                window = w;
            }
            config.set_limit_of(family, limit, window);
        }
    }
    if let Some(cap) = c.get("max_body_bytes").and_then(Value::as_u64) {
        config.max_body_bytes = usize::try_from(cap).unwrap_or(usize::MAX);
    }
    Ok(config)
}

/// A vector's `auth` object as the headers the SDK sends (a `minted` auth mints at
/// the case's `now_unix` with its `salt`).
///
/// ```
/// use agora_rtm_rest_protocol::vectors::auth_headers_from_json;
/// let h = auth_headers_from_json("demo", &serde_json::json!({"type": "token", "token": "007abc"})).unwrap();
/// assert_eq!(h[0], ("authorization".to_string(), "agora token=007abc".to_string()));
/// ```
pub fn auth_headers_from_json(app_id: &str, a: &Value) -> Result<Vec<(String, String)>, Error> {
    let s = |k: &str| {
        a.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let n = |k: &str| a.get(k).and_then(Value::as_u64).unwrap_or_default();
    let (creds, now, salt) = match a.get("type").and_then(Value::as_str).unwrap_or_default() {
        "basic" => (
            Credentials::basic(s("customer_id"), s("customer_secret"))?,
            0,
            0,
        ),
        "token" => (Credentials::token(s("token"))?, 0, 0),
        "legacy_token" => (Credentials::legacy_token(s("token"), s("uid"))?, 0, 0),
        "minted" => {
            let mut m = MintedToken::new(
                app_id,
                s("app_certificate"),
                s("user_id"),
                Duration::from_secs(n("lifetime_secs")),
            )?;
            if a.get("legacy").and_then(Value::as_bool).unwrap_or(false) {
                m = m.legacy();
            }
            (
                Credentials::Minted(m),
                n("now_unix"),
                u32::try_from(n("salt")).unwrap_or(u32::MAX),
            )
        }
        _ => {
            return Err(Error::invalid_input(
                "auth.type",
                "must be basic, token, legacy_token or minted",
            ));
        }
    };
    creds.headers(now, salt)
}

/// A flow step's transport error `kind` (`dns`, `connect`, `timeout`,
/// `interrupted`, `body_too_large`; anything else is `Other`).
pub fn transport_error_kind(name: &str) -> TransportErrorKind {
    match name {
        "dns" => TransportErrorKind::Dns,
        "connect" => TransportErrorKind::Connect,
        "timeout" => TransportErrorKind::Timeout,
        "interrupted" => TransportErrorKind::Interrupted,
        "body_too_large" => TransportErrorKind::BodyTooLarge,
        _ => TransportErrorKind::Other,
    }
}
