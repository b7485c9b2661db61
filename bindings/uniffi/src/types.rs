//! Plain data crossing the FFI: events, pages, feeds, areas, reports.

use agora_rtm_rest as rtm;

/// Which of Agora's host sets to use when no base URL is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Area {
    /// `api.agora.io` (and `api.sd-rtn.com` as the alternate suffix).
    Global,
    /// The mainland China hosts.
    MainlandChina,
}

impl From<Area> for rtm::Area {
    fn from(a: Area) -> Self {
        match a {
            Area::Global => rtm::Area::Global,
            Area::MainlandChina => rtm::Area::MainlandChina,
        }
    }
}

/// One of the two destructive event feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Feed {
    /// Logins and logouts.
    UserEvents,
    /// Channel joins and leaves.
    ChannelEvents,
}

impl From<Feed> for rtm::Feed {
    fn from(f: Feed) -> Self {
        match f {
            Feed::UserEvents => rtm::Feed::UserEvents,
            Feed::ChannelEvents => rtm::Feed::ChannelEvents,
        }
    }
}

impl From<rtm::Feed> for Feed {
    fn from(f: rtm::Feed) -> Self {
        match f {
            rtm::Feed::UserEvents => Feed::UserEvents,
            rtm::Feed::ChannelEvents => Feed::ChannelEvents,
        }
    }
}

/// The type of a user event.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum UserEventKind {
    /// The user logged in.
    Login,
    /// The user logged out.
    Logout,
    /// A type this SDK does not know, kept verbatim.
    Other {
        /// The wire text.
        value: String,
    },
}

/// The type of a channel event.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ChannelEventKind {
    /// The user joined the channel.
    Join,
    /// The user left the channel.
    Leave,
    /// A type this SDK does not know, kept verbatim.
    Other {
        /// The wire text.
        value: String,
    },
}

/// A login or logout.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct UserEvent {
    /// The RTM user id.
    pub user_id: String,
    /// Login, logout or an unknown type.
    pub kind: UserEventKind,
    /// The wire text of the type (`Login`, `Logout`, or an unknown type verbatim).
    pub kind_text: String,
    /// When it happened (Unix milliseconds).
    pub ms: u64,
}

impl From<rtm::UserEvent> for UserEvent {
    fn from(e: rtm::UserEvent) -> Self {
        let kind_text = e.kind.as_str().to_owned();
        let kind = match e.kind {
            rtm::UserEventKind::Login => UserEventKind::Login,
            rtm::UserEventKind::Logout => UserEventKind::Logout,
            other => UserEventKind::Other {
                value: other.as_str().to_owned(),
            },
        };
        UserEvent {
            user_id: e.user_id,
            kind,
            kind_text,
            ms: e.ms,
        }
    }
}

/// A channel join or leave.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ChannelEvent {
    /// The channel.
    pub channel_id: String,
    /// The RTM user id.
    pub user_id: String,
    /// Join, leave or an unknown type.
    pub kind: ChannelEventKind,
    /// The wire text of the type (`Join`, `Leave`, or an unknown type verbatim).
    pub kind_text: String,
    /// When it happened (Unix milliseconds).
    pub ms: u64,
}

impl From<rtm::ChannelEvent> for ChannelEvent {
    fn from(e: rtm::ChannelEvent) -> Self {
        let kind_text = e.kind.as_str().to_owned();
        let kind = match e.kind {
            rtm::ChannelEventKind::Join => ChannelEventKind::Join,
            rtm::ChannelEventKind::Leave => ChannelEventKind::Leave,
            other => ChannelEventKind::Other {
                value: other.as_str().to_owned(),
            },
        };
        ChannelEvent {
            channel_id: e.channel_id,
            user_id: e.user_id,
            kind,
            kind_text,
            ms: e.ms,
        }
    }
}

/// One read of the user feed.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct UserEventsPage {
    /// The service's request id.
    pub request_id: String,
    /// The events, oldest first.
    pub events: Vec<UserEvent>,
    /// True when the page is full (1000 events): more are waiting.
    pub is_full: bool,
}

impl From<rtm::EventsPage<rtm::UserEvent>> for UserEventsPage {
    fn from(p: rtm::EventsPage<rtm::UserEvent>) -> Self {
        UserEventsPage {
            is_full: p.is_full(),
            request_id: p.request_id,
            events: p.events.into_iter().map(Into::into).collect(),
        }
    }
}

/// One read of the channel feed.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ChannelEventsPage {
    /// The service's request id.
    pub request_id: String,
    /// The events, oldest first.
    pub events: Vec<ChannelEvent>,
    /// True when the page is full (1000 events): more are waiting.
    pub is_full: bool,
}

impl From<rtm::EventsPage<rtm::ChannelEvent>> for ChannelEventsPage {
    fn from(p: rtm::EventsPage<rtm::ChannelEvent>) -> Self {
        ChannelEventsPage {
            is_full: p.is_full(),
            request_id: p.request_id,
            events: p.events.into_iter().map(Into::into).collect(),
        }
    }
}

/// What one exchange (a read with its retries) did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ExchangeReport {
    /// Requests sent.
    pub attempts: u32,
    /// Hosts tried, in order.
    pub hosts: Vec<String>,
    /// Reads whose response was lost after the server may have removed events.
    pub possibly_lost: u32,
    /// True when a 2xx could not be decoded.
    pub undecodable_success: bool,
    /// 429 responses seen.
    pub server_rate_limited: u32,
    /// Times the rate limiter made the exchange wait.
    pub limiter_waits: u32,
    /// Total time waited, in milliseconds.
    pub waited_ms: u64,
}

impl From<&rtm::ExchangeReport> for ExchangeReport {
    fn from(r: &rtm::ExchangeReport) -> Self {
        ExchangeReport {
            attempts: r.attempts,
            hosts: r.hosts.clone(),
            possibly_lost: r.possibly_lost,
            undecodable_success: r.undecodable_success,
            server_rate_limited: r.server_rate_limited,
            limiter_waits: r.limiter_waits,
            waited_ms: r.waited.as_millis() as u64,
        }
    }
}
