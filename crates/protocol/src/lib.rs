//! # agora-rtm-rest-protocol
//!
//! The sans-IO core of `agora-rtm-rest`, an SDK for Agora's RTM (Signaling) server
//! REST API. This crate holds every decision the SDK makes and none of its I/O:
//!
//! - wire models of the two destructive event feeds ([`UserEvent`], [`ChannelEvent`]),
//!   tolerant of both generations of field names;
//! - configuration ([`Config`], [`Endpoints`]) and credentials ([`Credentials`]);
//! - request building and response parsing ([`Operation`]);
//! - the request lifecycle as a state machine ([`Exchange`]) that owns retries,
//!   host failover and client-side rate limiting, with time passed in as `now`;
//! - sending messages ([`SendPeerMessage`], [`SendChannelMessage`]) and both
//!   message-history APIs ([`history`], [`history_v2`]), with input validation
//!   ([`validate`]) and one rate limiter per [`RateFamily`];
//! - AccessToken2 (007) and legacy (006) RTM tokens ([`token`]).
//!
//! It opens no sockets, reads no clock, no environment and no random source: the
//! `agora-rtm-rest` crate (and every language binding on top of it) drives it.
#![forbid(unsafe_code)]

pub mod auth;
pub mod backoff;
pub mod config;
pub mod dedupe;
pub mod error;
pub mod exchange;
pub mod history;
pub mod history_v2;
pub mod http;
pub mod limiter;
pub mod messages;
pub mod models;
pub mod operation;
pub mod parse;
pub mod poller;
pub mod presence;
pub mod rng;
pub mod time;
pub mod token;
pub mod validate;
pub mod vectors;
pub mod watch;

pub use auth::{Credentials, MintedToken, Secret, TokenScheme};
pub use backoff::RetryPolicy;
pub use config::{
    Area, Config, Endpoint, EndpointRole, Endpoints, FamilyLimits, RateFamily, Region,
};
pub use error::{Error, ErrorKind, TransportError, TransportErrorKind};
pub use exchange::{Exchange, ExchangeReport, Limiters, Shared, Step};
pub use history::{
    HistoryFilter, HistoryMessage, HistoryMessageKind, HistoryOrder, HistoryQuery, PollPolicy,
};
pub use history_v2::{
    ChannelType, HistoryV2Message, HistoryV2Page, HistoryV2Payload, HistoryV2Query,
};
pub use http::{HttpRequest, HttpResponse, Method};
pub use limiter::RateLimiter;
pub use messages::{MessageOutcome, MessageReceipt, SendChannelMessage, SendPeerMessage};
pub use models::{
    ChannelEvent, ChannelEventKind, Event, EventKey, EventsPage, Feed, UserEvent, UserEventKind,
};
pub use operation::{Operation, ReadChannelEvents, ReadUserEvents};
pub use time::Instant;
