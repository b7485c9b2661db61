//! Event models of the two feeds, normalised across the field names that different
//! generations of Agora's documents use (SPEC section 3).

use serde::{Deserialize, Serialize};

/// Which of the two destructive event feeds an operation reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feed {
    /// `GET /rtm/vendor/user_events`: logins and logouts.
    UserEvents,
    /// `GET /rtm/vendor/channel_events`: channel joins and leaves.
    ChannelEvents,
}

impl Feed {
    /// Both feeds, user events first.
    pub const ALL: [Feed; 2] = [Feed::UserEvents, Feed::ChannelEvents];

    /// The path of the feed below the project base URL.
    ///
    /// ```
    /// use agora_rtm_rest_protocol::Feed;
    /// assert_eq!(Feed::UserEvents.path(), "/rtm/vendor/user_events");
    /// ```
    pub fn path(self) -> &'static str {
        match self {
            Feed::UserEvents => "/rtm/vendor/user_events",
            Feed::ChannelEvents => "/rtm/vendor/channel_events",
        }
    }

    /// The snake_case name used in JSON output, stats and vectors
    /// (`user_events` / `channel_events`).
    pub fn as_str(self) -> &'static str {
        match self {
            Feed::UserEvents => "user_events",
            Feed::ChannelEvents => "channel_events",
        }
    }
}

impl std::fmt::Display for Feed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// What happened to a user: the `type` field of a user event.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UserEventKind {
    /// `"Login"`.
    Login,
    /// `"Logout"`.
    Logout,
    /// Any other value, kept verbatim so that new event types never break parsing.
    Other(String),
}

/// What happened in a channel: the `type` field of a channel event.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChannelEventKind {
    /// `"Join"`.
    Join,
    /// `"Leave"`.
    Leave,
    /// Any other value, kept verbatim so that new event types never break parsing.
    Other(String),
}

macro_rules! kind_strings {
    ($ty:ident { $($variant:ident => $text:literal),* }) => {
        impl $ty {
            /// The wire text of this kind (`"Login"`, `"Join"`, or the unknown text).
            pub fn as_str(&self) -> &str {
                match self {
                    $($ty::$variant => $text,)*
                    $ty::Other(s) => s,
                }
            }

            /// Maps the wire text to a kind; unknown texts become `Other`.
            pub fn from_wire(text: &str) -> Self {
                match text {
                    $($text => $ty::$variant,)*
                    other => $ty::Other(other.to_owned()),
                }
            }
        }

        impl Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Ok($ty::from_wire(&text))
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }
    };
}

kind_strings!(UserEventKind { Login => "Login", Logout => "Logout" });
kind_strings!(ChannelEventKind { Join => "Join", Leave => "Leave" });

/// A login or logout, as read from the user events feed.
///
/// Serialises to the service's current wire form:
/// ```
/// use agora_rtm_rest_protocol::{UserEvent, UserEventKind};
/// let e = UserEvent { user_id: "u1".into(), kind: UserEventKind::Login, ms: 1578027420761 };
/// assert_eq!(serde_json::to_string(&e).unwrap(),
///            r#"{"user_id":"u1","type":"Login","ms":1578027420761}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct UserEvent {
    /// The RTM user id.
    pub user_id: String,
    /// Login, logout or an unknown type.
    #[serde(rename = "type")]
    pub kind: UserEventKind,
    /// Event time, Unix milliseconds (wire field `ms`, or `ts` in older documents).
    pub ms: u64,
}

/// A channel join or leave, as read from the channel events feed.
///
/// Serialises to the service's current wire form (`group_id`):
/// ```
/// use agora_rtm_rest_protocol::{ChannelEvent, ChannelEventKind};
/// let e = ChannelEvent { channel_id: "ch1".into(), user_id: "u1".into(),
///                        kind: ChannelEventKind::Join, ms: 5 };
/// assert_eq!(serde_json::to_string(&e).unwrap(),
///            r#"{"group_id":"ch1","user_id":"u1","type":"Join","ms":5}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ChannelEvent {
    /// The channel name (wire field `group_id`, or `channel_id` in older documents).
    #[serde(rename = "group_id")]
    pub channel_id: String,
    /// The RTM user id.
    pub user_id: String,
    /// Join, leave or an unknown type.
    #[serde(rename = "type")]
    pub kind: ChannelEventKind,
    /// Event time, Unix milliseconds.
    pub ms: u64,
}

/// The fields that make two events "the same event" (SPEC section 3): used to
/// de-duplicate events read from more than one region.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventKey {
    /// Which feed the event came from.
    pub feed: Feed,
    /// The user id.
    pub user_id: String,
    /// The channel (empty for user events).
    pub channel_id: String,
    /// The event type text.
    pub kind: String,
    /// The event time in ms.
    pub ms: u64,
}

/// An event of either feed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Event {
    /// From the user events feed.
    User(UserEvent),
    /// From the channel events feed.
    Channel(ChannelEvent),
}

impl UserEvent {
    /// The de-duplication key of this event.
    pub fn key(&self) -> EventKey {
        EventKey {
            feed: Feed::UserEvents,
            user_id: self.user_id.clone(),
            channel_id: String::new(),
            kind: self.kind.as_str().to_owned(),
            ms: self.ms,
        }
    }

    /// Serialises in the legacy wire form (`ts` instead of `ms`) that 2020-21
    /// documents describe.
    pub fn to_legacy_json(&self) -> serde_json::Value {
        serde_json::json!({"user_id": self.user_id, "type": self.kind.as_str(), "ts": self.ms})
    }
}

impl ChannelEvent {
    /// The de-duplication key of this event.
    pub fn key(&self) -> EventKey {
        EventKey {
            feed: Feed::ChannelEvents,
            user_id: self.user_id.clone(),
            channel_id: self.channel_id.clone(),
            kind: self.kind.as_str().to_owned(),
            ms: self.ms,
        }
    }

    /// Serialises in the legacy wire form (`channel_id`, `ts`).
    pub fn to_legacy_json(&self) -> serde_json::Value {
        serde_json::json!({"channel_id": self.channel_id, "user_id": self.user_id,
                           "type": self.kind.as_str(), "ts": self.ms})
    }
}

impl Event {
    /// The feed this event belongs to.
    pub fn feed(&self) -> Feed {
        match self {
            Event::User(_) => Feed::UserEvents,
            Event::Channel(_) => Feed::ChannelEvents,
        }
    }

    /// The event time in Unix milliseconds.
    pub fn ms(&self) -> u64 {
        match self {
            Event::User(e) => e.ms,
            Event::Channel(e) => e.ms,
        }
    }

    /// The de-duplication key of this event.
    pub fn key(&self) -> EventKey {
        match self {
            Event::User(e) => e.key(),
            Event::Channel(e) => e.key(),
        }
    }
}

/// One response of a feed: the request id and the events it carried, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventsPage<T> {
    /// The service's request id (a string: real ones overflow 64 bits).
    pub request_id: String,
    /// The events, in the order the service returned them.
    pub events: Vec<T>,
}

impl<T> EventsPage<T> {
    /// The most events one response can carry (SPEC section 3). A page this full
    /// means more may be waiting.
    pub const MAX_EVENTS: usize = 1000;

    /// True when the page is full, so the feed should be read again at once.
    pub fn is_full(&self) -> bool {
        self.events.len() >= Self::MAX_EVENTS
    }
}
