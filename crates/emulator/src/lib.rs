//! # agora-rtm-rest-emulator
//!
//! A local emulator of Agora's RTM (Signaling) REST event feeds (SPEC sections
//! 1-3), in the spirit of stripe-mock: the SDK's demo runs against it and every
//! language's test suite uses it as its service.
//!
//! It implements the documented behaviour, including the unpleasant parts:
//!
//! - `GET /dev/v2/project/{appid}/rtm/vendor/user_events` and
//!   `.../channel_events` on one listener per region; each app id, region and
//!   feed has a ring of at most [`RING_CAPACITY`] events (the newest replaces
//!   the oldest), and a read removes and returns at most [`PAGE_SIZE`];
//! - Basic, `agora token=` (007) and legacy `x-agora-token`/`x-agora-uid` (006)
//!   authentication, tokens verified by the protocol crate when an app
//!   certificate is configured;
//! - the rate limit (per app id, sliding one-second window, all feeds and regions);
//! - injected faults ([`Faults`]): latency, 408, 500/503, extra 429 and lost
//!   responses (events dequeued, connection broken);
//! - a simulated population ([`SimulateConfig`]) producing consistent traffic;
//! - an admin API under `/_emulator/` (loopback peers only): inject events,
//!   `stats`, `faults`, `reset`. [`Stats`] reports what the service handed out,
//!   so tests can compare it with what a client delivered.
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
