//! Messages and message history (issue #8) for JavaScript: options in, plain
//! objects out. Every rule (ids, payload size, limits, ranges, the acting user of
//! a token) is checked by the Rust types; history pages are fetched lazily by
//! [`agora_rtm_rest::HistoryPages`] / [`agora_rtm_rest::HistoryV2Pages`] held in a
//! native object whose `nextPage()` the JavaScript iterator calls.

use std::sync::Arc;

use agora_rtm_rest::{
    ChannelType, Error, HistoryFilter, HistoryMessage, HistoryOrder, HistoryPages, HistoryQuery,
    HistoryV2Message, HistoryV2Pages, HistoryV2Payload, HistoryV2Query, MessageReceipt,
    SendChannelMessage, SendPeerMessage,
};
use napi::bindgen_prelude::{Buffer, Either};
use napi_derive::napi;
use tokio::sync::Mutex;

use crate::cancel::cancellable;
use crate::client::NativeClient;
use crate::errors::client_error;

/// Options of `sendPeerMessage` (normalised by the JavaScript layer).
#[napi(object)]
pub struct PeerMessageOptions {
    /// The sending user.
    pub from: String,
    /// The receiving user.
    pub to: String,
    /// The message text (1 byte to 32 KiB).
    pub payload: String,
    /// Ask whether the receiver is online (`message_delivered` / `message_offline`).
    pub wait_for_ack: Option<bool>,
    /// Keep the message in history.
    pub store_in_history: Option<bool>,
}

/// Options of `sendChannelMessage` (normalised by the JavaScript layer).
#[napi(object)]
pub struct ChannelMessageOptions {
    /// The sending user.
    pub from: String,
    /// The channel.
    pub channel: String,
    /// The message text (1 byte to 32 KiB).
    pub payload: String,
    /// Keep the message in history.
    pub store_in_history: Option<bool>,
}

/// What the service answered to a sent message.
#[napi(object)]
pub struct MessageReceiptJs {
    /// The service's request id.
    pub request_id: String,
    /// `message_sent`, `message_delivered`, `message_offline` or the raw code.
    pub outcome: String,
}

/// A legacy history query (times in Unix seconds, converted by the JavaScript layer).
#[napi(object)]
pub struct HistoryQueryJs {
    /// Messages from this user.
    pub source: Option<String>,
    /// Messages to this user or channel.
    pub destination: Option<String>,
    /// Start of the range, Unix seconds (inclusive).
    pub start_time: i64,
    /// End of the range, Unix seconds (inclusive).
    pub end_time: i64,
    /// Page size: 20, 50 or 100 (default 20; not used by `countHistory`).
    pub limit: Option<i64>,
    /// `asc` (default) or `desc` (not used by `countHistory`).
    pub order: Option<String>,
}

/// A Signaling 2.x history query (times in Unix milliseconds).
#[napi(object)]
pub struct HistoryV2QueryJs {
    /// The user the query reads as.
    pub user_id: String,
    /// The channel name (`message`) or the other user (`user`).
    pub channel: String,
    /// `message` (default) or `user`.
    pub channel_type: Option<String>,
    /// Messages at or before this time (Unix ms), going back.
    pub start: Option<i64>,
    /// Messages at or after this time (Unix ms).
    pub end: Option<i64>,
    /// Messages per page, 1 to 100 (default 100).
    pub page_size: Option<i64>,
}

/// One message of legacy history.
#[napi(object)]
pub struct HistoryMessageJs {
    /// The sender.
    pub src: String,
    /// The receiving user or channel.
    pub dst: String,
    /// `peer_message`, `channel_message`, `group_message` or the raw type.
    pub message_type: String,
    /// The message text.
    pub payload: String,
    /// When it was sent, Unix milliseconds.
    pub ms: i64,
}

/// One message of Signaling 2.x history.
#[napi(object)]
pub struct HistoryV2MessageJs {
    /// The sender.
    pub publisher: String,
    /// When it was sent, Unix milliseconds.
    pub timestamp: i64,
    /// The application's custom type, or null.
    pub custom_type: Option<String>,
    /// `STRING` or `BINARY`.
    pub message_type: String,
    /// A string for `STRING` messages, a Buffer for `BINARY` ones.
    pub payload: Either<String, Buffer>,
}

fn receipt(r: MessageReceipt) -> MessageReceiptJs {
    MessageReceiptJs {
        outcome: r.outcome.as_str().to_owned(),
        request_id: r.request_id,
    }
}

fn history_message(m: HistoryMessage) -> HistoryMessageJs {
    HistoryMessageJs {
        message_type: m.kind.as_str().to_owned(),
        src: m.src,
        dst: m.dst,
        payload: m.payload,
        ms: m.ms as i64,
    }
}

fn v2_message(m: HistoryV2Message) -> HistoryV2MessageJs {
    let (message_type, payload) = match m.payload {
        HistoryV2Payload::Text(t) => ("STRING", Either::A(t)),
        HistoryV2Payload::Binary(b) => ("BINARY", Either::B(Buffer::from(b))),
    };
    HistoryV2MessageJs {
        publisher: m.publisher,
        timestamp: m.timestamp as i64,
        custom_type: m.custom_type,
        message_type: message_type.to_owned(),
        payload,
    }
}

/// A non-negative time or count; negative numbers are the caller's error.
fn non_negative(value: i64, field: &str) -> Result<u64, Error> {
    u64::try_from(value).map_err(|_| Error::invalid_input(field, "must not be negative"))
}

fn filter(q: &HistoryQueryJs) -> Result<HistoryFilter, Error> {
    HistoryFilter::new(
        q.source.as_deref(),
        q.destination.as_deref(),
        non_negative(q.start_time, "start_time")?,
        non_negative(q.end_time, "end_time")?,
    )
}

fn query(q: &HistoryQueryJs) -> Result<HistoryQuery, Error> {
    let mut query = HistoryQuery::from_filter(filter(q)?);
    if let Some(limit) = q.limit {
        let limit = u32::try_from(limit).unwrap_or(u32::MAX);
        query = query.limit(limit)?;
    }
    if let Some(order) = q.order.as_deref() {
        query = query.order(order.parse::<HistoryOrder>()?);
    }
    Ok(query)
}

fn v2_query(q: &HistoryV2QueryJs) -> Result<HistoryV2Query, Error> {
    let channel_type = q
        .channel_type
        .as_deref()
        .unwrap_or("message")
        .parse::<ChannelType>()?;
    let start = q.start.map(|v| non_negative(v, "start")).transpose()?;
    let end = q.end.map(|v| non_negative(v, "end")).transpose()?;
    let mut query = HistoryV2Query::new(q.user_id.as_str(), channel_type, q.channel.as_str())?
        .start(start)
        .end(end);
    if let Some(n) = q.page_size {
        query = query.message_count(u32::try_from(n).unwrap_or(u32::MAX))?;
    }
    query.validate()?;
    Ok(query)
}

fn js(e: Error) -> napi::Error {
    client_error(&e)
}

#[napi]
impl NativeClient {
    /// Sends a peer message (`{requestId, outcome}`). Invalid input rejects
    /// before anything is sent.
    #[napi]
    pub async fn send_peer_message(
        &self,
        options: PeerMessageOptions,
        cancel: Option<u32>,
    ) -> napi::Result<MessageReceiptJs> {
        let message = SendPeerMessage::new(options.from, options.to, options.payload)
            .map_err(js)?
            .wait_for_ack(options.wait_for_ack.unwrap_or(false))
            .store_in_history(options.store_in_history.unwrap_or(false));
        let client = self.inner.clone();
        cancellable(cancel, async move {
            client
                .send_peer_message(message)
                .await
                .map(receipt)
                .map_err(js)
        })
        .await
    }

    /// Sends a channel message (`{requestId, outcome}`).
    #[napi]
    pub async fn send_channel_message(
        &self,
        options: ChannelMessageOptions,
        cancel: Option<u32>,
    ) -> napi::Result<MessageReceiptJs> {
        let message = SendChannelMessage::new(options.from, options.channel, options.payload)
            .map_err(js)?
            .store_in_history(options.store_in_history.unwrap_or(false));
        let client = self.inner.clone();
        cancellable(cancel, async move {
            client
                .send_channel_message(message)
                .await
                .map(receipt)
                .map_err(js)
        })
        .await
    }

    /// One page of legacy history (creates the query and polls it).
    #[napi]
    pub async fn history_page(
        &self,
        query: HistoryQueryJs,
        cancel: Option<u32>,
    ) -> napi::Result<Vec<HistoryMessageJs>> {
        let query = self::query(&query).map_err(js)?;
        let client = self.inner.clone();
        cancellable(cancel, async move {
            let page = client.history_page(query).await.map_err(js)?;
            Ok(page.into_iter().map(history_message).collect())
        })
        .await
    }

    /// How many stored messages match (polling while in progress).
    #[napi]
    pub async fn count_history(
        &self,
        query: HistoryQueryJs,
        cancel: Option<u32>,
    ) -> napi::Result<i64> {
        let filter = filter(&query).map_err(js)?;
        let client = self.inner.clone();
        cancellable(cancel, async move {
            client
                .count_history(filter)
                .await
                .map(|n| n as i64)
                .map_err(js)
        })
        .await
    }

    /// A lazy cursor over the pages of a legacy history query (validated now:
    /// invalid input throws before anything is sent).
    #[napi]
    pub fn history(&self, query: HistoryQueryJs) -> napi::Result<NativeHistoryPages> {
        let query = self::query(&query).map_err(js)?;
        Ok(NativeHistoryPages {
            inner: Arc::new(Mutex::new(HistoryPages::new(self.inner.clone(), query))),
        })
    }

    /// A lazy cursor over the pages of a Signaling 2.x history query (validated now).
    #[napi]
    pub fn history_v2(&self, query: HistoryV2QueryJs) -> napi::Result<NativeHistoryV2Pages> {
        let query = v2_query(&query).map_err(js)?;
        Ok(NativeHistoryV2Pages {
            inner: Arc::new(Mutex::new(HistoryV2Pages::new(self.inner.clone(), query))),
        })
    }
}

/// The pages of a legacy history query, one `nextPage()` at a time.
#[napi]
pub struct NativeHistoryPages {
    inner: Arc<Mutex<HistoryPages>>,
}

#[napi]
impl NativeHistoryPages {
    /// The next page, or `null` once the last (short) page was returned.
    /// Nothing is requested until this is called.
    #[napi]
    pub async fn next_page(
        &self,
        cancel: Option<u32>,
    ) -> napi::Result<Option<Vec<HistoryMessageJs>>> {
        let inner = self.inner.clone();
        cancellable(cancel, async move {
            match inner.lock().await.next_page().await {
                None => Ok(None),
                Some(Ok(page)) => Ok(Some(page.into_iter().map(history_message).collect())),
                Some(Err(e)) => Err(js(e)),
            }
        })
        .await
    }
}

/// The pages of a Signaling 2.x history query, one `nextPage()` at a time.
#[napi]
pub struct NativeHistoryV2Pages {
    inner: Arc<Mutex<HistoryV2Pages>>,
}

#[napi]
impl NativeHistoryV2Pages {
    /// The next page (newest first), or `null` once `newStart` was 0.
    #[napi]
    pub async fn next_page(
        &self,
        cancel: Option<u32>,
    ) -> napi::Result<Option<Vec<HistoryV2MessageJs>>> {
        let inner = self.inner.clone();
        cancellable(cancel, async move {
            match inner.lock().await.next_page().await {
                None => Ok(None),
                Some(Ok(page)) => Ok(Some(page.into_iter().map(v2_message).collect())),
                Some(Err(e)) => Err(js(e)),
            }
        })
        .await
    }
}
