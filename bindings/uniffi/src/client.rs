//! [`Client`], its options and [`Credentials`].

use std::sync::Arc;
use std::time::Duration;

use agora_rtm_rest as rtm;

use crate::error::AgoraRtmError;
use crate::messaging::{
    HistoryPager, HistoryQuery, HistoryV2Pager, HistoryV2Query, MessageReceipt,
};
use crate::transport::{ForeignTransport, HttpTransport};
use crate::types::{Area, ChannelEventsPage, UserEventsPage};
use crate::watch::{WatchOptions, Watcher};

/// How the client authenticates. Secrets are never printed: `toString()` /
/// `description` show the mode and the ids only.
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct Credentials {
    recipe: Recipe,
}

/// The validated inputs of a [`Credentials`] (the Rust credentials are rebuilt
/// from them for each client, as they are not `Clone`).
#[derive(Clone)]
enum Recipe {
    Basic(String, rtm::Secret),
    Token(rtm::Secret),
    Legacy(rtm::Secret, String),
    Minted {
        app_id: String,
        app_certificate: rtm::Secret,
        user_id: String,
        lifetime: Duration,
        legacy: bool,
    },
}

impl Credentials {
    /// The Rust credentials.
    pub(crate) fn build(&self) -> Result<rtm::Credentials, rtm::Error> {
        match self.recipe.clone() {
            Recipe::Basic(id, secret) => rtm::Credentials::basic(id, secret),
            Recipe::Token(t) => rtm::Credentials::token(t),
            Recipe::Legacy(t, uid) => rtm::Credentials::legacy_token(t, uid),
            Recipe::Minted {
                app_id,
                app_certificate,
                user_id,
                lifetime,
                legacy,
            } => {
                let m = rtm::MintedToken::new(app_id, app_certificate, user_id, lifetime)?;
                Ok(rtm::Credentials::Minted(if legacy {
                    m.legacy()
                } else {
                    m
                }))
            }
        }
    }

    fn checked(recipe: Recipe) -> Result<Arc<Self>, AgoraRtmError> {
        let c = Credentials { recipe };
        c.build()?;
        Ok(Arc::new(c))
    }
}

impl std::fmt::Display for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The Rust `Debug` of credentials redacts every secret.
        match self.build() {
            Ok(c) => write!(f, "{c:?}"),
            Err(_) => f.write_str("Credentials(invalid)"),
        }
    }
}

#[uniffi::export]
impl Credentials {
    /// HTTP Basic auth with a RESTful API customer id and secret.
    #[uniffi::constructor]
    pub fn basic(customer_id: String, customer_secret: String) -> Result<Arc<Self>, AgoraRtmError> {
        Self::checked(Recipe::Basic(
            customer_id,
            rtm::Secret::new(customer_secret),
        ))
    }

    /// A 007 RTM token (`Authorization: agora token=...`).
    #[uniffi::constructor]
    pub fn token(token: String) -> Result<Arc<Self>, AgoraRtmError> {
        Self::checked(Recipe::Token(rtm::Secret::new(token)))
    }

    /// A legacy 006 token with the RTM user id it was issued for.
    #[uniffi::constructor]
    pub fn legacy_token(token: String, uid: String) -> Result<Arc<Self>, AgoraRtmError> {
        Self::checked(Recipe::Legacy(rtm::Secret::new(token), uid))
    }

    /// Tokens minted (and refreshed) by the SDK from the app certificate;
    /// `legacy` mints 006 tokens instead of 007.
    #[uniffi::constructor]
    pub fn minted(
        app_id: String,
        app_certificate: String,
        user_id: String,
        lifetime_secs: u64,
        legacy: bool,
    ) -> Result<Arc<Self>, AgoraRtmError> {
        Self::checked(Recipe::Minted {
            app_id,
            app_certificate: rtm::Secret::new(app_certificate),
            user_id,
            lifetime: Duration::from_secs(lifetime_secs),
            legacy,
        })
    }

    /// The RTM user id the credentials act as (token modes), if any.
    pub fn user_id(&self) -> Option<String> {
        self.build()
            .ok()
            .and_then(|c| c.user_id().map(str::to_owned))
    }
}

/// Retry settings; unset fields keep the SDK defaults (5 attempts, 0.5 s base
/// delay, 10 s cap, 30 s in all, `Retry-After` honoured up to 60 s).
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct RetryPolicy {
    /// Attempts in all (1 = no retry).
    #[uniffi(default)]
    pub max_attempts: Option<u32>,
    /// First back-off cap, in milliseconds.
    #[uniffi(default)]
    pub base_delay_ms: Option<u64>,
    /// Largest back-off cap, in milliseconds.
    #[uniffi(default)]
    pub max_delay_ms: Option<u64>,
    /// Time budget of one exchange, in milliseconds.
    #[uniffi(default)]
    pub max_elapsed_ms: Option<u64>,
    /// Longest `Retry-After` honoured, in milliseconds.
    #[uniffi(default)]
    pub max_retry_after_ms: Option<u64>,
    /// How long a fallback host that worked is kept, in milliseconds.
    #[uniffi(default)]
    pub sticky_fallback_ms: Option<u64>,
}

impl From<&RetryPolicy> for rtm::RetryPolicy {
    fn from(r: &RetryPolicy) -> Self {
        let d = rtm::RetryPolicy::default();
        let ms = |v: Option<u64>, dflt: Duration| v.map_or(dflt, Duration::from_millis);
        rtm::RetryPolicy {
            max_attempts: r.max_attempts.unwrap_or(d.max_attempts),
            base_delay: ms(r.base_delay_ms, d.base_delay),
            max_delay: ms(r.max_delay_ms, d.max_delay),
            max_elapsed: ms(r.max_elapsed_ms, d.max_elapsed),
            max_retry_after: ms(r.max_retry_after_ms, d.max_retry_after),
            sticky_fallback: ms(r.sticky_fallback_ms, d.sticky_fallback),
        }
    }
}

/// A client-side rate limit: `limit` requests per `window_ms`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RateLimit {
    /// Requests per window.
    pub limit: u32,
    /// The window, in milliseconds.
    pub window_ms: u64,
}

/// Everything a [`Client`] is built from. Only `app_id` and `credentials` are
/// required.
#[derive(uniffi::Record)]
pub struct ClientOptions {
    /// The Agora app id.
    pub app_id: String,
    /// How to authenticate.
    pub credentials: Arc<Credentials>,
    /// Base URLs to use instead of Agora's hosts (the emulator, a proxy); several
    /// fail over in order.
    #[uniffi(default)]
    pub base_urls: Vec<String>,
    /// Allow `http://` base URLs that are not loopback.
    #[uniffi(default)]
    pub allow_insecure_http: bool,
    /// Agora's host set (default global).
    #[uniffi(default)]
    pub area: Option<Area>,
    /// Regional hosts to fail over to (`us-west-1`, `eu-west-1`, ...).
    #[uniffi(default)]
    pub regions: Vec<String>,
    /// Attempts per request (overrides `retry.max_attempts`).
    #[uniffi(default)]
    pub max_attempts: Option<u32>,
    /// Retry settings.
    #[uniffi(default)]
    pub retry: Option<RetryPolicy>,
    /// Client-side rate limit (default 10 requests per 1.005 s).
    #[uniffi(default)]
    pub rate_limit: Option<RateLimit>,
    /// Share one limiter with every client of this app id in the process.
    #[uniffi(default = true)]
    pub share_rate_limit_in_process: bool,
    /// Connection timeout of the built-in transport, in milliseconds.
    #[uniffi(default)]
    pub connect_timeout_ms: Option<u64>,
    /// Whole-request timeout of the built-in transport, in milliseconds.
    #[uniffi(default)]
    pub request_timeout_ms: Option<u64>,
    /// An HTTP stack written in Kotlin or Swift; `null`/`nil` keeps the built-in one.
    #[uniffi(default)]
    pub transport: Option<Arc<dyn HttpTransport>>,
    /// Legacy history: wait between an `in progress` answer and the next poll, in
    /// milliseconds (default 2000).
    #[uniffi(default)]
    pub history_poll_interval_ms: Option<u64>,
    /// Legacy history: give up (server timeout) when a result is not ready this long
    /// after the call started, in milliseconds (default 60000).
    #[uniffi(default)]
    pub history_poll_timeout_ms: Option<u64>,
    /// Legacy history: queries created again after their handle expired (410)
    /// before giving up (default 3).
    #[uniffi(default)]
    pub history_max_recreates: Option<u32>,
    /// Client-side limit of message sends (default 500 per second).
    #[uniffi(default)]
    pub message_rate_limit: Option<RateLimit>,
    /// Client-side limit of legacy history calls (default 10 per second).
    #[uniffi(default)]
    pub legacy_history_rate_limit: Option<RateLimit>,
    /// Client-side limit of Signaling 2.x history calls (default 60 per second).
    #[uniffi(default)]
    pub history_v2_rate_limit: Option<RateLimit>,
}

pub(crate) fn parse_regions(regions: &[String]) -> Result<Vec<rtm::Region>, AgoraRtmError> {
    Ok(regions
        .iter()
        .map(|r| r.parse::<rtm::Region>())
        .collect::<Result<Vec<_>, _>>()?)
}

/// A client of the RTM REST API: rate limited, retried, with host failover.
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct Client {
    pub(crate) inner: rtm::Client,
}

impl std::fmt::Display for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The Rust `Debug` of a client redacts its credentials.
        write!(f, "{:?}", self.inner)
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl Client {
    /// Validates the options and builds a client (no request is sent).
    #[uniffi::constructor]
    pub fn new(options: ClientOptions) -> Result<Arc<Self>, AgoraRtmError> {
        let mut b = rtm::Client::builder(options.app_id)
            .credentials(options.credentials.build()?)
            .allow_insecure_http(options.allow_insecure_http)
            .share_rate_limit_in_process(options.share_rate_limit_in_process);
        if !options.base_urls.is_empty() {
            b = b.base_urls(options.base_urls);
        }
        if let Some(area) = options.area {
            b = b.area(area.into());
        }
        if !options.regions.is_empty() {
            b = b.regions(parse_regions(&options.regions)?);
        }
        if let Some(retry) = &options.retry {
            b = b.retry_policy(retry.into());
        }
        if let Some(n) = options.max_attempts {
            b = b.max_attempts(n);
        }
        if let Some(r) = options.rate_limit {
            b = b.rate_limit(r.limit, Duration::from_millis(r.window_ms));
        }
        if let Some(ms) = options.connect_timeout_ms {
            b = b.connect_timeout(Duration::from_millis(ms));
        }
        if let Some(ms) = options.request_timeout_ms {
            b = b.request_timeout(Duration::from_millis(ms));
        }
        if let Some(t) = options.transport {
            b = b.transport(ForeignTransport(t));
        }
        if options.history_poll_interval_ms.is_some()
            || options.history_poll_timeout_ms.is_some()
            || options.history_max_recreates.is_some()
        {
            let d = rtm::PollPolicy::default();
            b = b.history_poll_policy(rtm::PollPolicy {
                interval: options
                    .history_poll_interval_ms
                    .map_or(d.interval, Duration::from_millis),
                max_wait: options
                    .history_poll_timeout_ms
                    .map_or(d.max_wait, Duration::from_millis),
                max_recreates: options.history_max_recreates.unwrap_or(d.max_recreates),
            });
        }
        for (family, limit) in [
            (rtm::RateFamily::Messages, options.message_rate_limit),
            (
                rtm::RateFamily::LegacyHistory,
                options.legacy_history_rate_limit,
            ),
            (rtm::RateFamily::HistoryV2, options.history_v2_rate_limit),
        ] {
            if let Some(r) = limit {
                b = b.family_rate_limit(family, r.limit, Duration::from_millis(r.window_ms));
            }
        }
        Ok(Arc::new(Client { inner: b.build()? }))
    }

    /// The app id.
    pub fn app_id(&self) -> String {
        self.inner.config().app_id().to_owned()
    }

    /// Reads (and so removes) up to 1000 user events. Waits for the rate limiter,
    /// retries 408/429/5xx and network errors.
    pub async fn user_events(&self) -> Result<UserEventsPage, AgoraRtmError> {
        Ok(self.inner.user_events().await?.into())
    }

    /// Reads (and so removes) up to 1000 channel events.
    pub async fn channel_events(&self) -> Result<ChannelEventsPage, AgoraRtmError> {
        Ok(self.inner.channel_events().await?.into())
    }

    /// Starts a watcher: both feeds drained at the service's limit, gaps reported
    /// as items, presence rebuilt when enabled. Stop it with [`Watcher::stop`].
    pub fn watch(&self, options: WatchOptions) -> Result<Arc<Watcher>, AgoraRtmError> {
        Watcher::start(&self.inner, options)
    }

    /// Sends a message from user `from` to user `to`. With `wait_for_ack` the
    /// outcome says whether it was delivered or the receiver is offline;
    /// `store_in_history` keeps it for the history APIs. Invalid ids or payloads
    /// (and, with token auth, a sender other than the token's user) are refused
    /// before any request as `InvalidInput` naming the field.
    #[uniffi::method(default(wait_for_ack = false, store_in_history = false))]
    pub async fn send_peer_message(
        &self,
        from: String,
        to: String,
        payload: String,
        wait_for_ack: bool,
        store_in_history: bool,
    ) -> Result<MessageReceipt, AgoraRtmError> {
        let message = rtm::SendPeerMessage::new(from, to, payload)?
            .wait_for_ack(wait_for_ack)
            .store_in_history(store_in_history);
        Ok(self.inner.send_peer_message(message).await?.into())
    }

    /// Sends a message from user `from` to `channel` (same rules as
    /// `send_peer_message`).
    #[uniffi::method(default(store_in_history = false))]
    pub async fn send_channel_message(
        &self,
        from: String,
        channel: String,
        payload: String,
        store_in_history: bool,
    ) -> Result<MessageReceipt, AgoraRtmError> {
        let message = rtm::SendChannelMessage::new(from, channel, payload)?
            .store_in_history(store_in_history);
        Ok(self.inner.send_channel_message(message).await?.into())
    }

    /// How many stored messages match (legacy history count; polls while `in
    /// progress`). At least one of `source` and `destination`; times in Unix seconds.
    pub async fn count_history(
        &self,
        source: Option<String>,
        destination: Option<String>,
        start_time_secs: u64,
        end_time_secs: u64,
    ) -> Result<u64, AgoraRtmError> {
        let filter = rtm::HistoryFilter::new(
            source.as_deref(),
            destination.as_deref(),
            start_time_secs,
            end_time_secs,
        )?;
        Ok(self.inner.count_history(filter).await?)
    }

    /// The pages of a legacy history query, fetched lazily by
    /// `HistoryPager.next_page()`. The query is checked now (nothing is sent yet).
    pub fn history_pages(&self, query: HistoryQuery) -> Result<Arc<HistoryPager>, AgoraRtmError> {
        Ok(Arc::new(HistoryPager::new(&self.inner, query.try_into()?)))
    }

    /// The pages of a Signaling 2.x history query (newest first), fetched lazily by
    /// `HistoryV2Pager.next_page()`. The query is checked now (nothing is sent yet).
    pub fn history_v2_pages(
        &self,
        query: HistoryV2Query,
    ) -> Result<Arc<HistoryV2Pager>, AgoraRtmError> {
        Ok(Arc::new(HistoryV2Pager::new(
            &self.inner,
            query.try_into()?,
        )))
    }
}
