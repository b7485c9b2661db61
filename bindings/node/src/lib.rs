//! Node.js bindings (napi-rs) of agora-rtm-rest.
//!
//! This crate only translates: options into [`agora_rtm_rest::ClientBuilder`] calls,
//! Rust results into plain JavaScript objects, and [`agora_rtm_rest::Error`] into a
//! rejected promise whose message is `AGORA_RTM_ERROR:` followed by a JSON object
//! (`kind`, `message`, `status`, `requestId`, `body`, `retryAfterMs`, `field`,
//! `transportKind`) that the JavaScript layer (`node/lib/`) turns into the matching
//! `AgoraRtmError` subclass. Every decision (retries, parsing, polling) is the Rust
//! client's. No function here panics on caller input; a panic would be caught by
//! napi-rs and reported as a JavaScript error rather than abort the process.

mod cancel;
mod client;
mod errors;
mod exchange;
mod messages;
mod tokens;
mod watcher;

pub use cancel::{cancel_token_cancel, cancel_token_new, cancel_token_release};
pub use client::{ChannelEventJs, ChannelEventsPage, NativeClient, UserEventJs, UserEventsPage};
pub use exchange::{NativeExchange, NativeExchangeContext, NativeVectorExchange};
pub use messages::{
    ChannelMessageOptions, HistoryMessageJs, HistoryQueryJs, HistoryV2MessageJs, HistoryV2QueryJs,
    MessageReceiptJs, NativeHistoryPages, NativeHistoryV2Pages, PeerMessageOptions,
};
pub use tokens::{
    ParsedTokenJs, SigningKeysJs, build_legacy_rtm_token, build_legacy_rtm_token_raw,
    build_rtc_token, build_rtm_token, parse_token, token_signing_keys, verify_token,
};
pub use watcher::{NativeWatcher, WatchOptionsJs};
