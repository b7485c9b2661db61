//! `NativeClient`: [`agora_rtm_rest::Client`] for JavaScript.

use std::time::Duration;

use agora_rtm_rest::{
    ChannelEvent, Client, ClientBuilder, Credentials, EventsPage, MintedToken, Region, Secret,
    UserEvent,
};
use napi::bindgen_prelude::{Float64Array, Uint8Array, Uint32Array};
use napi_derive::napi;

use crate::cancel::cancellable;
use crate::errors::{self, client_error};

/// How the client authenticates (`type`: `basic`, `token`, `legacyToken`, `mintedToken`).
#[napi(object)]
pub struct AuthOptions {
    /// `basic`, `token`, `legacyToken` or `mintedToken`.
    #[napi(js_name = "type")]
    pub kind: String,
    /// Basic: the customer id.
    pub customer_id: Option<String>,
    /// Basic: the customer secret.
    pub customer_secret: Option<String>,
    /// Token modes: the token.
    pub token: Option<String>,
    /// Legacy token: the user id the token was built for.
    pub uid: Option<String>,
    /// Minted: the app certificate.
    pub app_certificate: Option<String>,
    /// Minted: the user id to mint for.
    pub user_id: Option<String>,
    /// Minted: the token lifetime in seconds (default 3600).
    pub lifetime_seconds: Option<u32>,
    /// Minted: build 006 tokens instead of 007.
    pub legacy: Option<bool>,
}

/// Options of `new Client(...)` (already normalised by the JavaScript layer).
#[napi(object)]
pub struct ClientOptions {
    /// The app id.
    pub app_id: String,
    /// The credentials.
    pub auth: AuthOptions,
    /// Base URLs (failover in order) instead of Agora's hosts.
    pub base_urls: Option<Vec<String>>,
    /// Agora regions to fail over to (`us-west-1`, ...).
    pub regions: Option<Vec<String>>,
    /// `global` (default) or `mainland_china`.
    pub area: Option<String>,
    /// Whole-request timeout in milliseconds.
    pub timeout_ms: Option<u32>,
    /// Retries after the first attempt.
    pub max_retries: Option<u32>,
    /// Client-side rate limit: requests per `rateWindowMs`.
    pub rate_limit: Option<u32>,
    /// Client-side rate limit window in milliseconds (default 1005).
    pub rate_window_ms: Option<u32>,
    /// Legacy history: wait between `in progress` polls, in milliseconds (default 2000).
    pub history_poll_interval_ms: Option<u32>,
    /// Legacy history: give up polling after this many milliseconds (default 60000).
    pub history_poll_timeout_ms: Option<u32>,
}

fn required(value: Option<String>, field: &str) -> napi::Result<String> {
    value.ok_or_else(|| errors::invalid(field, "is required for this auth type"))
}

pub(crate) fn credentials(app_id: &str, auth: AuthOptions) -> napi::Result<Credentials> {
    let r = match auth.kind.as_str() {
        "basic" => Credentials::basic(
            required(auth.customer_id, "auth.customerId")?,
            Secret::new(required(auth.customer_secret, "auth.customerSecret")?),
        ),
        "token" => Credentials::token(Secret::new(required(auth.token, "auth.token")?)),
        "legacyToken" => Credentials::legacy_token(
            Secret::new(required(auth.token, "auth.token")?),
            required(auth.uid, "auth.uid")?,
        ),
        "mintedToken" => MintedToken::new(
            app_id,
            Secret::new(required(auth.app_certificate, "auth.appCertificate")?),
            required(auth.user_id, "auth.userId")?,
            Duration::from_secs(u64::from(auth.lifetime_seconds.unwrap_or(3600))),
        )
        .map(|m| {
            Credentials::Minted(if auth.legacy.unwrap_or(false) {
                m.legacy()
            } else {
                m
            })
        }),
        _ => {
            return Err(errors::invalid(
                "auth.type",
                "must be basic, token, legacyToken or mintedToken",
            ));
        }
    };
    r.map_err(|e| client_error(&e))
}

pub(crate) fn regions(names: &[String]) -> napi::Result<Vec<Region>> {
    names
        .iter()
        .map(|n| n.parse::<Region>().map_err(|e| client_error(&e)))
        .collect()
}

/// One user event (`kind`: `Login`, `Logout` or the unknown wire text).
#[napi(object)]
pub struct UserEventJs {
    /// The user.
    pub user_id: String,
    /// The wire text of the event type.
    pub kind: String,
    /// Event time, Unix milliseconds.
    pub ms: i64,
}

/// One channel event (`kind`: `Join`, `Leave` or the unknown wire text).
#[napi(object)]
pub struct ChannelEventJs {
    /// The channel.
    pub channel_id: String,
    /// The user.
    pub user_id: String,
    /// The wire text of the event type.
    pub kind: String,
    /// Event time, Unix milliseconds.
    pub ms: i64,
}

/// A page of user events.
#[napi(object)]
pub struct UserEventsPage {
    /// The service's request id.
    pub request_id: String,
    /// Oldest first.
    pub events: Vec<UserEventJs>,
}

/// A page of channel events.
#[napi(object)]
pub struct ChannelEventsPage {
    /// The service's request id.
    pub request_id: String,
    /// Oldest first.
    pub events: Vec<ChannelEventJs>,
}

pub(crate) fn user_event(e: UserEvent) -> UserEventJs {
    UserEventJs {
        kind: e.kind.as_str().to_owned(),
        user_id: e.user_id,
        ms: e.ms as i64,
    }
}

pub(crate) fn channel_event(e: ChannelEvent) -> ChannelEventJs {
    ChannelEventJs {
        kind: e.kind.as_str().to_owned(),
        channel_id: e.channel_id,
        user_id: e.user_id,
        ms: e.ms as i64,
    }
}

pub(crate) fn user_page(p: EventsPage<UserEvent>) -> UserEventsPage {
    UserEventsPage {
        request_id: p.request_id,
        events: p.events.into_iter().map(user_event).collect(),
    }
}

pub(crate) fn channel_page(p: EventsPage<ChannelEvent>) -> ChannelEventsPage {
    ChannelEventsPage {
        request_id: p.request_id,
        events: p.events.into_iter().map(channel_event).collect(),
    }
}

/// The Rust client. Clones share the transport, the rate limiter and failover memory.
#[napi]
pub struct NativeClient {
    pub(crate) inner: Client,
}

#[napi]
impl NativeClient {
    /// Builds a client; rejects invalid options with an `invalid_input` error.
    #[napi(constructor)]
    pub fn new(options: ClientOptions) -> napi::Result<Self> {
        let creds = credentials(&options.app_id, options.auth)?;
        let mut b = ClientBuilder::new(options.app_id).credentials(creds);
        if let Some(urls) = options.base_urls.filter(|u| !u.is_empty()) {
            b = b.base_urls(urls);
        }
        if let Some(names) = options.regions {
            b = b.regions(regions(&names)?);
        }
        match options.area.as_deref() {
            None | Some("global") => {}
            Some("mainland_china") | Some("mainlandChina") => {
                b = b.area(agora_rtm_rest::Area::MainlandChina)
            }
            Some(_) => return Err(errors::invalid("area", "must be global or mainland_china")),
        }
        if let Some(ms) = options.timeout_ms {
            b = b.request_timeout(Duration::from_millis(u64::from(ms)));
        }
        if let Some(n) = options.max_retries {
            b = b.max_attempts(n.saturating_add(1));
        }
        if let Some(limit) = options.rate_limit {
            let window = options.rate_window_ms.unwrap_or(1005);
            b = b.rate_limit(limit, Duration::from_millis(u64::from(window)));
        }
        if options.history_poll_interval_ms.is_some() || options.history_poll_timeout_ms.is_some() {
            let d = agora_rtm_rest::PollPolicy::default();
            b = b.history_poll_policy(agora_rtm_rest::PollPolicy {
                interval: options
                    .history_poll_interval_ms
                    .map_or(d.interval, |ms| Duration::from_millis(u64::from(ms))),
                max_wait: options
                    .history_poll_timeout_ms
                    .map_or(d.max_wait, |ms| Duration::from_millis(u64::from(ms))),
                max_recreates: d.max_recreates,
            });
        }
        Ok(NativeClient {
            inner: b.build().map_err(|e| client_error(&e))?,
        })
    }

    /// A client configured from the environment (`ClientBuilder::from_env`).
    #[napi(factory)]
    pub fn from_env() -> napi::Result<Self> {
        Ok(NativeClient {
            inner: Client::from_env().map_err(|e| client_error(&e))?,
        })
    }

    /// The app id.
    #[napi(getter)]
    pub fn app_id(&self) -> String {
        self.inner.config().app_id().to_owned()
    }

    /// The base URLs the client sends to, in failover order.
    #[napi(getter)]
    pub fn endpoints(&self) -> Vec<String> {
        self.inner
            .config()
            .endpoints
            .iter()
            .map(|e| e.root.clone())
            .collect()
    }

    /// Reads (and removes) up to 1000 user events.
    #[napi]
    pub async fn user_events(&self, cancel: Option<u32>) -> napi::Result<UserEventsPage> {
        let client = self.inner.clone();
        cancellable(cancel, async move {
            client
                .user_events()
                .await
                .map(user_page)
                .map_err(|e| client_error(&e))
        })
        .await
    }

    /// Reads (and removes) up to 1000 channel events.
    #[napi]
    pub async fn channel_events(&self, cancel: Option<u32>) -> napi::Result<ChannelEventsPage> {
        let client = self.inner.clone();
        cancellable(cancel, async move {
            client
                .channel_events()
                .await
                .map(channel_page)
                .map_err(|e| client_error(&e))
        })
        .await
    }

    /// Reads (and removes) up to 1000 user events, as columns (what `userEvents()`
    /// in JavaScript turns into objects).
    #[napi]
    pub async fn user_events_columns(&self, cancel: Option<u32>) -> napi::Result<EventColumns> {
        let client = self.inner.clone();
        cancellable(cancel, async move {
            client
                .user_events()
                .await
                .map(user_columns)
                .map_err(|e| client_error(&e))
        })
        .await
    }

    /// Reads (and removes) up to 1000 channel events, as columns.
    #[napi]
    pub async fn channel_events_columns(&self, cancel: Option<u32>) -> napi::Result<EventColumns> {
        let client = self.inner.clone();
        cancellable(cancel, async move {
            client
                .channel_events()
                .await
                .map(channel_columns)
                .map_err(|e| client_error(&e))
        })
        .await
    }

    /// Reads (and removes) up to 1000 user events and returns the page as a JSON
    /// string of the same camelCase shape (`JSON.parse` builds the objects faster
    /// than the Node-API can for large pages).
    #[napi]
    pub async fn user_events_json(&self, cancel: Option<u32>) -> napi::Result<String> {
        let client = self.inner.clone();
        cancellable(cancel, async move {
            let page = client.user_events().await.map_err(|e| client_error(&e))?;
            Ok(page_json(
                &page.request_id,
                page.events.iter().map(user_json),
            ))
        })
        .await
    }

    /// Like `userEventsJson`, for channel events.
    #[napi]
    pub async fn channel_events_json(&self, cancel: Option<u32>) -> napi::Result<String> {
        let client = self.inner.clone();
        cancellable(cancel, async move {
            let page = client
                .channel_events()
                .await
                .map_err(|e| client_error(&e))?;
            Ok(page_json(
                &page.request_id,
                page.events.iter().map(channel_json),
            ))
        })
        .await
    }
}

/// A page of events as columns, for the JavaScript layer to turn into objects:
/// building 1000 objects property by property through Node-API costs more than
/// the whole HTTP read, while V8 builds them from these columns in microseconds.
#[napi(object)]
pub struct EventColumns {
    /// The service's request id.
    pub request_id: String,
    /// Every id of the page, concatenated (channel id then user id for channel
    /// events, the user id for user events).
    pub text: String,
    /// End offset in `text` (UTF-16 code units) of each id, in order.
    pub ends: Uint32Array,
    /// The distinct event kinds of the page (wire text).
    pub kinds: Vec<String>,
    /// Per event, its index in `kinds`.
    pub kind_index: Uint8Array,
    /// Per event, its time in Unix milliseconds.
    pub ms: Float64Array,
}

/// Accumulates [`EventColumns`].
struct ColumnsBuilder {
    text: String,
    utf16_len: u32,
    ends: Vec<u32>,
    kinds: Vec<String>,
    kind_index: Vec<u8>,
    ms: Vec<f64>,
}

impl ColumnsBuilder {
    fn new(events: usize, ids_per_event: usize) -> Self {
        ColumnsBuilder {
            text: String::with_capacity(events * 12 * ids_per_event),
            utf16_len: 0,
            ends: Vec::with_capacity(events * ids_per_event),
            kinds: Vec::new(),
            kind_index: Vec::with_capacity(events),
            ms: Vec::with_capacity(events),
        }
    }

    fn id(&mut self, id: &str) {
        self.text.push_str(id);
        let units = if id.is_ascii() {
            id.len()
        } else {
            id.encode_utf16().count()
        };
        self.utf16_len = self
            .utf16_len
            .saturating_add(u32::try_from(units).unwrap_or(u32::MAX));
        self.ends.push(self.utf16_len);
    }

    fn event(&mut self, kind: &str, ms: u64) {
        let index = match self.kinds.iter().position(|k| k == kind) {
            Some(i) => i,
            None => {
                self.kinds.push(kind.to_owned());
                self.kinds.len() - 1
            }
        };
        // A page has at most a handful of distinct kinds; 255 would need 255 unknown ones.
        self.kind_index.push(u8::try_from(index).unwrap_or(u8::MAX));
        self.ms.push(ms as f64);
    }

    fn finish(self, request_id: String) -> EventColumns {
        EventColumns {
            request_id,
            text: self.text,
            ends: Uint32Array::new(self.ends),
            kinds: self.kinds,
            kind_index: Uint8Array::new(self.kind_index),
            ms: Float64Array::new(self.ms),
        }
    }
}

fn user_columns(page: EventsPage<UserEvent>) -> EventColumns {
    let mut b = ColumnsBuilder::new(page.events.len(), 1);
    for e in &page.events {
        b.id(&e.user_id);
        b.event(e.kind.as_str(), e.ms);
    }
    b.finish(page.request_id)
}

fn channel_columns(page: EventsPage<ChannelEvent>) -> EventColumns {
    let mut b = ColumnsBuilder::new(page.events.len(), 2);
    for e in &page.events {
        b.id(&e.channel_id);
        b.id(&e.user_id);
        b.event(e.kind.as_str(), e.ms);
    }
    b.finish(page.request_id)
}

fn user_json(e: &UserEvent) -> serde_json::Value {
    serde_json::json!({"userId": e.user_id, "kind": e.kind.as_str(), "ms": e.ms})
}

fn channel_json(e: &ChannelEvent) -> serde_json::Value {
    serde_json::json!({"channelId": e.channel_id, "userId": e.user_id, "kind": e.kind.as_str(), "ms": e.ms})
}

fn page_json(request_id: &str, events: impl Iterator<Item = serde_json::Value>) -> String {
    serde_json::json!({"requestId": request_id, "events": events.collect::<Vec<_>>()}).to_string()
}
