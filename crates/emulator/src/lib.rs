//! # agora-rtm-rest-emulator
//!
//! A local emulator of Agora's RTM (Signaling) REST API (SPEC sections 1-6),
//! in the spirit of stripe-mock: the SDK's demo runs against it and every
//! language's test suite uses it as its service.
//!
//! It implements the documented behaviour, including the unpleasant parts:
//!
//! - `GET /dev/v2/project/{appid}/rtm/vendor/user_events` and
//!   `.../channel_events` on one listener per region; each app id, region and
//!   feed has a ring of at most [`RING_CAPACITY`] events (the newest replaces
//!   the oldest), and a read removes and returns at most [`PAGE_SIZE`];
//! - sending messages ([`PEER_MESSAGES_ROUTE`], [`CHANNEL_MESSAGES_ROUTE`]):
//!   user id, channel name and payload rules checked (400 naming the field),
//!   `wait_for_ack=true` answering `message_delivered` or `message_offline`
//!   (without `result`) from a presence table that follows every injected or
//!   simulated login and logout (reading a feed does not change it; tests can
//!   also [`Emulator::set_online`]);
//! - message history, per app id and shared by every region: messages sent
//!   with `enable_historical_messaging` (or stored by a test with
//!   [`Emulator::store_history_message`], binary ones included) with strictly
//!   increasing timestamps; the legacy asynchronous API
//!   ([`HISTORY_QUERY_ROUTE`], [`HISTORY_QUERY_RESULT_ROUTE`],
//!   [`HISTORY_COUNT_ROUTE`]: "in progress" once, then the snapshot or count;
//!   404 for unknown handles, 410 once expired) and Signaling 2.x history
//!   ([`HISTORY_V2_ROUTE`]: newest first, `newStart` paging, the `errorCode`
//!   envelope, 403 for app ids where it is disabled);
//! - Basic, `agora token=` (007) and legacy `x-agora-token`/`x-agora-uid` (006)
//!   authentication, tokens verified by the protocol crate when an app
//!   certificate is configured; with a token, a message's sender must be the
//!   token's user (401 `invalid token` otherwise);
//! - the rate limits (per app id, sliding one-second window, all regions):
//!   the event feeds, messages, legacy history and Signaling 2.x history each
//!   have their own budget ([`EmulatorConfig`]);
//! - injected faults ([`Faults`]) on every service route: latency, 408,
//!   500/503, extra 429 and lost responses (the work is done, the connection
//!   broken: a feed page's events are lost, a message is still sent);
//! - a simulated population ([`SimulateConfig`]) producing consistent traffic;
//! - an admin API under `/_emulator/` (loopback peers only): inject events,
//!   set presence (`PUT apps/{appid}/online/{user_id}`), store history
//!   messages (`POST apps/{appid}/history`), expire history queries
//!   (`POST apps/{appid}/history/expire`), `history_query_ttl`, `stats`,
//!   `faults`, `reset`. [`Stats`] reports what the service handed out, so
//!   tests can compare it with what a client delivered.
//!
//! ```no_run
//! # async fn demo() -> Result<(), agora_rtm_rest_emulator::EmulatorError> {
//! use agora_rtm_rest_emulator::{Emulator, EmulatorConfig, UserEvent, UserEventKind};
//! let emulator = Emulator::start(EmulatorConfig::default()).await?;
//! emulator.inject_user_events(
//!     "my-app",
//!     vec![UserEvent { user_id: "u1".into(), kind: UserEventKind::Login, ms: 1 }],
//!     None,
//! );
//! // GET {base_url}/dev/v2/project/my-app/rtm/vendor/user_events now returns it once.
//! let _url = emulator.base_url();
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod admin;
mod archive;
mod auth;
mod config;
mod error;
mod faults;
mod feeds;
mod gate;
mod history;
mod history_v2;
mod limiter;
mod messages;
mod presence;
mod queries;
mod server;
mod simulator;
mod state;
mod stats;
mod store;
mod validation;

pub use agora_rtm_rest_protocol::{ChannelEvent, ChannelEventKind, Feed, UserEvent, UserEventKind};
pub use archive::{
    HISTORY_CAPACITY, HISTORY_MAX_BYTES, HistoryPayload, HistoryRecord, MessageKind,
};
pub use config::{EmulatorConfig, MAX_SIMULATED_POPULATION, MAX_SIMULATED_RATE, SimulateConfig};
pub use error::EmulatorError;
pub use faults::Faults;
pub use feeds::{CHANNEL_EVENTS_ROUTE, USER_EVENTS_ROUTE};
pub use history::{HISTORY_COUNT_ROUTE, HISTORY_QUERY_RESULT_ROUTE, HISTORY_QUERY_ROUTE};
pub use history_v2::HISTORY_V2_ROUTE;
pub use messages::{CHANNEL_MESSAGES_ROUTE, PEER_MESSAGES_ROUTE};
pub use server::Emulator;
pub use stats::{AppStats, FaultStats, FeedStats, RegionStats, Stats};
pub use store::{PAGE_SIZE, RING_CAPACITY};
