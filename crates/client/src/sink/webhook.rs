//! An HTTP endpoint: every batch is POSTed as one JSON document, signed, and
//! retried until the endpoint accepts it.
//!
//! # Request
//!
//! ```text
//! POST <url>
//! Content-Type: application/json
//! X-Agora-Rtm-Signature: t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd
//! X-Agora-Rtm-Batch: 1700000000000001
//!
//! {"batch":1700000000000001,"feed":"user_events","source":"api.agora.io","items":[{"item":"user_event",...},...]}
//! ```
//!
//! `items` holds [`WatchItem::to_json`] of every item, in delivery order.
//!
//! **Signature** (the scheme Stripe uses): `t` is the Unix time in seconds when
//! the attempt was sent, and `v1` the lowercase hex HMAC-SHA256, keyed with the
//! shared secret, of the bytes `"<t>.<body>"` (the decimal `t`, a full stop,
//! then the raw request body). A receiver recomputes it over the body exactly as
//! received, compares in constant time and rejects a `t` too far from its own
//! clock (a replay); [`verify_signature`] does all three. The header may carry
//! several `v1=` values (for secret rotation): any match is accepted.
//!
//! **Batch number**: `X-Agora-Rtm-Batch` (also `"batch"` in the signed body)
//! identifies the batch for idempotency: every retry of a batch carries the same
//! number, so a receiver that stores the numbers it has processed can ignore a
//! repeat (sent again because its 2xx was lost). Numbers start at the Unix time
//! in microseconds when the sink was created and grow by one per batch, so they
//! keep increasing across restarts of the watcher too.
//!
//! # Delivery
//!
//! Any 2xx answer means delivered; redirects are not followed (a 3xx is a
//! failure). Failures (other statuses, network errors, timeouts) are retried
//! with exponential back-off: 100 ms doubling up to 30 s, each delay drawn
//! between half and all of that cap. By default a batch is retried *forever*:
//! [`Sink::write`] does not return until the batch is delivered, so the watcher
//! stops reading instead of dropping events (back-pressure). With
//! [`WebhookSink::max_attempts`] the sink gives up after that many attempts
//! with [`SinkError::Webhook`]. Batches are delivered one at a time, in order.
//!
//! The secret never appears in `Debug` output or logs, and logs name only the
//! endpoint's origin (scheme, host, port).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agora_rtm_rest_protocol::Secret;
use agora_rtm_rest_protocol::watch::WatchItem;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{Batch, Sink, SinkError};
use crate::transport::BoxFuture;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "X-Agora-Rtm-Signature";

/// The batch-number header.
pub const BATCH_HEADER: &str = "X-Agora-Rtm-Batch";

type HmacSha256 = Hmac<Sha256>;

/// POSTs batches to an HTTP endpoint (see the [module docs](self)).
///
/// ```no_run
/// use agora_rtm_rest::sink::WebhookSink;
/// let sink = WebhookSink::new("https://example.com/agora-rtm", "shared secret")?
///     .max_attempts(Some(10))?;
/// # Ok::<(), agora_rtm_rest::sink::SinkError>(())
/// ```
pub struct WebhookSink {
    url: reqwest::Url,
    secret: Secret,
    client: reqwest::Client,
    max_attempts: Option<u32>,
    next_batch: u64,
    initial_delay: Duration,
    max_delay: Duration,
}

impl std::fmt::Debug for WebhookSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSink")
            .field("endpoint", &origin(&self.url))
            .field("secret", &self.secret)
            .field("max_attempts", &self.max_attempts)
            .field("next_batch", &self.next_batch)
            .finish_non_exhaustive()
    }
}

impl WebhookSink {
    /// Connect timeout of the default HTTP client.
    pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
    /// Whole-request timeout of the default HTTP client.
    pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
    /// First retry delay cap.
    pub const INITIAL_DELAY: Duration = Duration::from_millis(100);
    /// Largest retry delay.
    pub const MAX_DELAY: Duration = Duration::from_secs(30);

    /// A sink POSTing to `url` (http or https), signing with `secret`; retries
    /// forever by default.
    pub fn new(url: &str, secret: impl Into<Secret>) -> Result<Self, SinkError> {
        let secret = secret.into();
        let url = reqwest::Url::parse(url)
            .map_err(|e| SinkError::Config(format!("bad webhook URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
            return Err(SinkError::Config(format!(
                "a webhook URL must be http:// or https:// with a host (got a `{}:` URL)",
                url.scheme()
            )));
        }
        if secret.expose().is_empty() {
            return Err(SinkError::Config(
                "the webhook signing secret is empty".into(),
            ));
        }
        let client = build_client(Self::REQUEST_TIMEOUT)?;
        Ok(WebhookSink {
            url,
            secret,
            client,
            max_attempts: None,
            next_batch: unix_micros(),
            initial_delay: Self::INITIAL_DELAY,
            max_delay: Self::MAX_DELAY,
        })
    }

    /// Gives up on a batch after `attempts` attempts (`None`: never, the default).
    /// `Some(0)` is rejected.
    pub fn max_attempts(mut self, attempts: Option<u32>) -> Result<Self, SinkError> {
        if attempts == Some(0) {
            return Err(SinkError::Config(
                "webhook max attempts must be at least 1".into(),
            ));
        }
        self.max_attempts = attempts;
        Ok(self)
    }

    /// Sets the timeout of one request (connect timeout stays 10 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Result<Self, SinkError> {
        self.client = build_client(timeout)?;
        Ok(self)
    }

    /// Sets the retry delays: the first cap and the largest (defaults 100 ms and 30 s).
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_delay = initial;
        self.max_delay = max.max(initial);
        self
    }

    /// Sets the number of the next batch (by default the Unix time in
    /// microseconds when the sink was created).
    pub fn first_batch_number(mut self, number: u64) -> Self {
        self.next_batch = number;
        self
    }

    /// The number the next batch will carry.
    pub fn next_batch_number(&self) -> u64 {
        self.next_batch
    }

    /// The request body of `batch` numbered `number`.
    fn body(batch: &Batch, number: u64) -> Bytes {
        let items: Vec<serde_json::Value> = batch.items.iter().map(WatchItem::to_json).collect();
        let body = serde_json::json!({
            "batch": number,
            "feed": batch.feed.as_str(),
            "source": batch.source,
            "items": items,
        });
        Bytes::from(body.to_string())
    }

    async fn attempt(&self, body: &Bytes, number: u64) -> Result<(), String> {
        let signature = signature_header(self.secret.expose().as_bytes(), unix_secs(), body);
        let response = self
            .client
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .header(BATCH_HEADER, number.to_string())
            .body(body.clone())
            .send()
            .await
            .map_err(|e| e.without_url().to_string())?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("HTTP {status}"))
        }
    }

    fn delay(&self, failures: u32) -> Duration {
        let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(31));
        let cap = self
            .initial_delay
            .saturating_mul(factor)
            .min(self.max_delay);
        cap.mul_f64(0.5 + rand::random::<f64>() * 0.5)
    }
}

impl Sink for WebhookSink {
    fn write<'a>(&'a mut self, batch: &'a Batch) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            if batch.items.is_empty() {
                return Ok(());
            }
            let number = self.next_batch;
            self.next_batch += 1;
            let body = Self::body(batch, number);
            let mut attempts = 0u32;
            loop {
                attempts = attempts.saturating_add(1);
                let error = match self.attempt(&body, number).await {
                    Ok(()) => return Ok(()),
                    Err(error) => error,
                };
                if self.max_attempts.is_some_and(|max| attempts >= max) {
                    return Err(SinkError::Webhook(format!(
                        "batch {number} not delivered to {} after {attempts} attempts: {error}",
                        origin(&self.url)
                    )));
                }
                let delay = self.delay(attempts);
                tracing::warn!(
                    endpoint = %origin(&self.url),
                    batch = number,
                    attempt = attempts,
                    retry_in_ms = delay.as_millis() as u64,
                    %error,
                    "webhook delivery failed; retrying"
                );
                tokio::time::sleep(delay).await;
            }
        })
    }
}

/// The `X-Agora-Rtm-Signature` value for `body` sent at Unix time `t` (seconds):
/// `t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
///
/// ```
/// use agora_rtm_rest::sink::webhook::{signature_header, verify_signature};
/// let header = signature_header(b"secret", 1_700_000_000, b"{}");
/// assert!(header.starts_with("t=1700000000,v1="));
/// assert!(verify_signature(b"secret", &header, b"{}", 1_700_000_010, 300));
/// ```
pub fn signature_header(secret: &[u8], t: u64, body: &[u8]) -> String {
    let mac = mac(secret, t, body).finalize().into_bytes();
    format!("t={t},v1={}", hex(&mac))
}

/// Checks an `X-Agora-Rtm-Signature` header against the body received: true
/// when a `v1` signature matches (compared in constant time) and `t` is within
/// `tolerance_secs` of `now_unix` (either side). A malformed header is false.
///
/// ```
/// use agora_rtm_rest::sink::webhook::{signature_header, verify_signature};
/// let header = signature_header(b"secret", 1_000, b"body");
/// assert!(verify_signature(b"secret", &header, b"body", 1_000, 300));
/// assert!(!verify_signature(b"secret", &header, b"tampered", 1_000, 300));
/// assert!(!verify_signature(b"other", &header, b"body", 1_000, 300));
/// assert!(!verify_signature(b"secret", &header, b"body", 1_000 + 301, 300)); // a replay
/// ```
pub fn verify_signature(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now_unix: u64,
    tolerance_secs: u64,
) -> bool {
    let mut t = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let Some((key, value)) = part.trim().split_once('=') else {
            return false;
        };
        match key {
            "t" => match value.parse::<u64>() {
                Ok(v) if t.is_none() => t = Some(v),
                _ => return false,
            },
            "v1" => signatures.push(value),
            _ => {} // other schemes: ignored
        }
    }
    let Some(t) = t else { return false };
    if t.abs_diff(now_unix) > tolerance_secs {
        return false;
    }
    signatures
        .into_iter()
        .filter_map(unhex)
        .any(|sig| mac(secret, t, body).verify_slice(&sig).is_ok())
}

fn mac(secret: &[u8], t: u64, body: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

fn build_client(timeout: Duration) -> Result<reqwest::Client, SinkError> {
    reqwest::Client::builder()
        .connect_timeout(WebhookSink::CONNECT_TIMEOUT.min(timeout))
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| SinkError::Config(format!("cannot build the webhook HTTP client: {e}")))
}

/// Scheme, host and port only: paths and queries may carry credentials.
fn origin(url: &reqwest::Url) -> String {
    url.origin().ascii_serialization()
}

fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn unix_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}
