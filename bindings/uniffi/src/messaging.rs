//! Messages and message history: the records and pagers crossing the FFI. Every
//! rule (ids, payload size, limits, polling, paging) is the Rust client's; this
//! module only converts.

use agora_rtm_rest as rtm;

use crate::error::AgoraRtmError;

/// What the service says happened to a sent message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum MessageOutcome {
    /// `message_sent`: accepted (no acknowledgement asked for, or a channel message).
    Sent,
    /// `message_delivered`: the receiver acknowledged it (`wait_for_ack`).
    Delivered,
    /// `message_offline`: the receiver is offline.
    Offline,
    /// A code this SDK does not know (see [`MessageReceipt::code`]).
    Other,
}

/// The answer to a sent message.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MessageReceipt {
    /// The service's request id (empty when the body had none).
    pub request_id: String,
    /// What happened to the message.
    pub outcome: MessageOutcome,
    /// The wire code (`message_sent`, `message_delivered`, `message_offline`, or
    /// an unknown code verbatim).
    pub code: String,
}

impl From<rtm::MessageReceipt> for MessageReceipt {
    fn from(r: rtm::MessageReceipt) -> Self {
        let code = r.outcome.as_str().to_owned();
        let outcome = match r.outcome {
            rtm::MessageOutcome::Sent => MessageOutcome::Sent,
            rtm::MessageOutcome::Delivered => MessageOutcome::Delivered,
            rtm::MessageOutcome::Offline => MessageOutcome::Offline,
            _ => MessageOutcome::Other,
        };
        MessageReceipt {
            request_id: r.request_id,
            outcome,
            code,
        }
    }
}

/// The order of a legacy history query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, uniffi::Enum)]
pub enum HistoryOrder {
    /// Oldest first (the default).
    #[default]
    Asc,
    /// Newest first.
    Desc,
}

impl From<HistoryOrder> for rtm::HistoryOrder {
    fn from(o: HistoryOrder) -> Self {
        match o {
            HistoryOrder::Asc => rtm::HistoryOrder::Asc,
            HistoryOrder::Desc => rtm::HistoryOrder::Desc,
        }
    }
}

/// A legacy history query (`POST .../rtm/message/history/query`). At least one of
/// `source` and `destination` is required; times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HistoryQuery {
    /// The sender, if filtered on.
    #[uniffi(default)]
    pub source: Option<String>,
    /// The receiver (user or channel), if filtered on.
    #[uniffi(default)]
    pub destination: Option<String>,
    /// Start of the range (Unix seconds).
    pub start_time_secs: u64,
    /// End of the range (Unix seconds).
    pub end_time_secs: u64,
    /// Messages per page: 20, 50 or 100 (default 20).
    #[uniffi(default)]
    pub limit: Option<u32>,
    /// Oldest or newest first (default oldest).
    #[uniffi(default)]
    pub order: Option<HistoryOrder>,
    /// Messages to skip before the first page (default 0).
    #[uniffi(default)]
    pub offset: Option<u64>,
}

impl TryFrom<HistoryQuery> for rtm::HistoryQuery {
    type Error = rtm::Error;
    fn try_from(q: HistoryQuery) -> Result<Self, rtm::Error> {
        let mut out = rtm::HistoryQuery::new(
            q.source.as_deref(),
            q.destination.as_deref(),
            q.start_time_secs,
            q.end_time_secs,
        )?;
        if let Some(limit) = q.limit {
            out = out.limit(limit)?;
        }
        if let Some(order) = q.order {
            out = out.order(order.into());
        }
        if let Some(offset) = q.offset {
            out = out.offset(offset);
        }
        Ok(out)
    }
}

/// One message of legacy history.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HistoryMessage {
    /// The sender.
    pub src: String,
    /// The receiver (user or channel).
    pub dst: String,
    /// `peer_message`, `channel_message`, `group_message`, or an unknown type verbatim.
    pub message_type: String,
    /// The payload.
    pub payload: String,
    /// When it was sent (Unix milliseconds).
    pub ms: u64,
}

impl From<rtm::HistoryMessage> for HistoryMessage {
    fn from(m: rtm::HistoryMessage) -> Self {
        HistoryMessage {
            message_type: m.kind.as_str().to_owned(),
            src: m.src,
            dst: m.dst,
            payload: m.payload,
            ms: m.ms,
        }
    }
}

/// The conversation a Signaling 2.x history query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ChannelType {
    /// A message channel: `channel` is the channel name.
    Message,
    /// The peer conversation: `channel` is the other user's id.
    User,
}

impl From<ChannelType> for rtm::ChannelType {
    fn from(c: ChannelType) -> Self {
        match c {
            ChannelType::Message => rtm::ChannelType::Message,
            ChannelType::User => rtm::ChannelType::User,
        }
    }
}

/// A Signaling 2.x history query (`GET /rtm/v2/history/...`), read backwards from
/// `start_ms` (default: now) to `end_ms`; pages follow `newStart` until it is 0.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HistoryV2Query {
    /// The user the query reads as (with token auth: the token's user).
    pub user_id: String,
    /// Message channel or peer conversation.
    pub channel_type: ChannelType,
    /// The channel name, or the other user's id.
    pub channel: String,
    /// Messages at or before this time (Unix ms).
    #[uniffi(default)]
    pub start_ms: Option<u64>,
    /// Messages at or after this time (Unix ms); must not be after `start_ms`.
    #[uniffi(default)]
    pub end_ms: Option<u64>,
    /// Messages per page, 1 to 100 (default 100).
    #[uniffi(default)]
    pub message_count: Option<u32>,
}

impl TryFrom<HistoryV2Query> for rtm::HistoryV2Query {
    type Error = rtm::Error;
    fn try_from(q: HistoryV2Query) -> Result<Self, rtm::Error> {
        let mut out = rtm::HistoryV2Query::new(q.user_id, q.channel_type.into(), q.channel)?
            .start(q.start_ms)
            .end(q.end_ms);
        if let Some(n) = q.message_count {
            out = out.message_count(n)?;
        }
        out.validate()?;
        Ok(out)
    }
}

/// A Signaling 2.x message payload.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum HistoryV2Payload {
    /// A `STRING` message.
    Text {
        /// The text.
        text: String,
    },
    /// A `BINARY` message (decoded from base64).
    Binary {
        /// The bytes.
        bytes: Vec<u8>,
    },
}

/// One message of Signaling 2.x history.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HistoryV2Message {
    /// The sender.
    pub publisher: String,
    /// When it was sent (Unix ms).
    pub timestamp: u64,
    /// The application's custom type, if any.
    pub custom_type: Option<String>,
    /// The payload.
    pub payload: HistoryV2Payload,
}

impl From<rtm::HistoryV2Message> for HistoryV2Message {
    fn from(m: rtm::HistoryV2Message) -> Self {
        HistoryV2Message {
            publisher: m.publisher,
            timestamp: m.timestamp,
            custom_type: m.custom_type,
            payload: match m.payload {
                rtm::HistoryV2Payload::Text(text) => HistoryV2Payload::Text { text },
                rtm::HistoryV2Payload::Binary(bytes) => HistoryV2Payload::Binary { bytes },
            },
        }
    }
}

fn page<T, U: From<T>>(
    next: Option<Result<Vec<T>, rtm::Error>>,
) -> Result<Option<Vec<U>>, AgoraRtmError> {
    match next {
        None => Ok(None),
        Some(Ok(items)) => Ok(Some(items.into_iter().map(Into::into).collect())),
        Some(Err(e)) => Err(e.into()),
    }
}

/// The pages of a legacy history query, fetched one `next_page()` at a time
/// (each page: create the query, poll it while `in progress`, re-create it after a
/// 410). After an error, or after the last (short) page, `next_page()` returns
/// `null`/`nil`.
#[derive(uniffi::Object)]
pub struct HistoryPager {
    inner: tokio::sync::Mutex<rtm::HistoryPages>,
}

impl HistoryPager {
    pub(crate) fn new(client: &rtm::Client, query: rtm::HistoryQuery) -> Self {
        HistoryPager {
            inner: tokio::sync::Mutex::new(rtm::HistoryPages::new(client.clone(), query)),
        }
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl HistoryPager {
    /// The next page, `null`/`nil` when there is none left.
    pub async fn next_page(&self) -> Result<Option<Vec<HistoryMessage>>, AgoraRtmError> {
        page(self.inner.lock().await.next_page().await)
    }

    /// True when no page is left (false while a `next_page()` is running).
    pub fn is_done(&self) -> bool {
        self.inner.try_lock().is_ok_and(|p| p.is_done())
    }
}

/// The pages of a Signaling 2.x history query (newest first), following
/// `newStart` until it is 0. After an error, or the last page, `next_page()`
/// returns `null`/`nil`.
#[derive(uniffi::Object)]
pub struct HistoryV2Pager {
    inner: tokio::sync::Mutex<rtm::HistoryV2Pages>,
}

impl HistoryV2Pager {
    pub(crate) fn new(client: &rtm::Client, query: rtm::HistoryV2Query) -> Self {
        HistoryV2Pager {
            inner: tokio::sync::Mutex::new(rtm::HistoryV2Pages::new(client.clone(), query)),
        }
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl HistoryV2Pager {
    /// The next page's messages, `null`/`nil` when there is none left.
    pub async fn next_page(&self) -> Result<Option<Vec<HistoryV2Message>>, AgoraRtmError> {
        page(self.inner.lock().await.next_page().await)
    }

    /// True when no page is left (false while a `next_page()` is running).
    pub fn is_done(&self) -> bool {
        self.inner.try_lock().is_ok_and(|p| p.is_done())
    }
}
