//! # agora-rtm-rest
//!
//! A client for Agora's RTM (Signaling) server REST API.
//!
//! The API's heart is two *destructive* event feeds (user login/logout, channel
//! join/leave): every read removes what it returns, the server keeps at most 2000
//! events, returns at most 1000 per call and allows 10 calls per second per app id.
//! This crate reads them with client-side rate limiting (a wait, never a 429),
//! retries with jittered back-off and Agora's documented host failover, and typed
//! events tolerant of both generations of field names. All of the decisions live in
//! the sans-IO [`agora_rtm_rest_protocol`] crate; this one does the I/O.
//!
//! ```no_run
//! # #[tokio::main] async fn main() -> Result<(), agora_rtm_rest::Error> {
//! use agora_rtm_rest::{Client, Credentials};
//! let client = Client::builder("your-app-id")
//!     .credentials(Credentials::basic("customer-id", "customer-secret")?)
//!     .build()?;
//! let page = client.channel_events().await?;
//! for e in page.events {
//!     println!("{} {} {}", e.channel_id, e.user_id, e.kind);
//! }
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub mod blocking;
mod client;
mod clock;
mod messaging;
pub mod sink;
pub mod testing;
pub mod transport;
pub mod watch;

pub use agora_rtm_rest_protocol as protocol;
pub use agora_rtm_rest_protocol::presence::{Presence, PresenceDiff, PresenceSnapshot};
pub use agora_rtm_rest_protocol::watch::{Gap, GapReason, WatchItem, WatchStats};
pub use agora_rtm_rest_protocol::{
    Area, ChannelEvent, ChannelEventKind, ChannelType, Credentials, Error, ErrorKind, Event,
    EventsPage, ExchangeReport, Feed, HistoryFilter, HistoryMessage, HistoryMessageKind,
    HistoryOrder, HistoryQuery, HistoryV2Message, HistoryV2Page, HistoryV2Payload, HistoryV2Query,
    HttpRequest, HttpResponse, MessageOutcome, MessageReceipt, MintedToken, PollPolicy, RateFamily,
    Region, RetryPolicy, Secret, SendChannelMessage, SendPeerMessage, TransportError,
    TransportErrorKind, UserEvent, UserEventKind,
};
pub use client::{Client, ClientBuilder};
pub use messaging::{HistoryPages, HistoryV2Pages};
pub use transport::{ReqwestTransport, Transport, TransportOptions};
pub use watch::{WatchError, WatchOptions, Watcher, WatcherHandle};
