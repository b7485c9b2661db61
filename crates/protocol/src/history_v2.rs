//! Signaling 2.x message history (SPEC section 6): one `GET` per page, newest
//! first, paged by `newStart` until it is 0.
//!
//! The path is not below the project base URL:
//! `{host}/rtm/v2/history/{appid}/userId/{user}/channelType/{message|user}/channel/{channel}`.
//!
//! ```
//! use agora_rtm_rest_protocol::history_v2::*;
//! use agora_rtm_rest_protocol::{Config, Endpoints, HttpResponse, Operation};
//! let q = HistoryV2Query::new("server", ChannelType::Message, "lobby")?.message_count(2)?;
//! let op = GetHistoryV2::new(q.clone());
//! let config = Config::new("app1")?.with_endpoints(Endpoints::custom(["http://127.0.0.1:1"], false)?);
//! let url = op.url(&config, config.endpoints.get(0).unwrap());
//! assert_eq!(url, "http://127.0.0.1:1/rtm/v2/history/app1/userId/server/channelType/message/channel/lobby?messageCount=2");
//! let page = op.parse(&HttpResponse::new(200, r#"{"errorCode":200,"error":false,"requestId":"r1",
//!   "data":{"messageList":[{"messageType":"BINARY","message":"AAE=","publisher":"tony","timestamp":9}],
//!           "count":1,"newStart":7}}"#))?;
//! assert_eq!(page.messages[0].payload, HistoryV2Payload::Binary(vec![0, 1]));
//! assert_eq!(q.next_page(&page).unwrap().start_ms(), Some(7));
//! # Ok::<(), agora_rtm_rest_protocol::Error>(())
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

use crate::config::{Config, Endpoint, EndpointRole, RateFamily};
use crate::error::Error;
use crate::http::{HttpResponse, Method};
use crate::operation::Operation;
use crate::parse::{self, RequestId, decode_error};
use crate::validate::{encode_path_segment, validate_path_id};

const AGORA_GLOBAL: &str = "https://api.agora.io";
const SD_RTN: &str = "https://api.sd-rtn.com";

/// Largest `messageCount`.
pub const MAX_MESSAGE_COUNT: u32 = 100;

/// Which conversation: a message channel, or the peer conversation with a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelType {
    /// `message`: a message channel; `channel` is the channel name.
    Message,
    /// `user`: the peer conversation; `channel` is the other user's id.
    User,
}

impl ChannelType {
    /// `message` or `user`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelType::Message => "message",
            ChannelType::User => "user",
        }
    }
}

impl std::str::FromStr for ChannelType {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "message" => Ok(ChannelType::Message),
            "user" => Ok(ChannelType::User),
            _ => Err(Error::invalid_input(
                "channel_type",
                "must be \"message\" or \"user\"",
            )),
        }
    }
}

/// One page request of Signaling 2.x history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryV2Query {
    user_id: String,
    channel_type: ChannelType,
    channel: String,
    start: Option<u64>,
    end: Option<u64>,
    message_count: u32,
}

impl HistoryV2Query {
    /// The latest messages (up to 100) of `channel`, read as `user_id`.
    pub fn new(
        user_id: impl Into<String>,
        channel_type: ChannelType,
        channel: impl Into<String>,
    ) -> Result<Self, Error> {
        let (user_id, channel) = (user_id.into(), channel.into());
        validate_path_id("user_id", &user_id)?;
        validate_path_id("channel", &channel)?;
        Ok(HistoryV2Query {
            user_id,
            channel_type,
            channel,
            start: None,
            end: None,
            message_count: MAX_MESSAGE_COUNT,
        })
    }

    /// Messages at or before `start` (Unix ms), going back.
    pub fn start(mut self, start_ms: Option<u64>) -> Self {
        self.start = start_ms;
        self
    }

    /// Messages at or after `end` (Unix ms).
    pub fn end(mut self, end_ms: Option<u64>) -> Self {
        self.end = end_ms;
        self
    }

    /// Messages per page, 1 to 100.
    pub fn message_count(mut self, count: u32) -> Result<Self, Error> {
        if !(1..=MAX_MESSAGE_COUNT).contains(&count) {
            return Err(Error::invalid_input(
                "message_count",
                format!("must be between 1 and {MAX_MESSAGE_COUNT}, got {count}"),
            ));
        }
        self.message_count = count;
        Ok(self)
    }

    /// The user the query reads as.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The start (Unix ms), if any.
    pub fn start_ms(&self) -> Option<u64> {
        self.start
    }

    /// The end (Unix ms), if any.
    pub fn end_ms(&self) -> Option<u64> {
        self.end
    }

    /// Checks the range: `end <= start` when both are given (the range goes back
    /// from `start` to `end`).
    pub fn validate(&self) -> Result<(), Error> {
        if let (Some(start), Some(end)) = (self.start, self.end)
            && end > start
        {
            return Err(Error::invalid_input(
                "end",
                "must not be after start (history is read backwards from start to end)",
            ));
        }
        Ok(())
    }

    /// The query of the page after `page`, or `None` when `newStart` was 0.
    pub fn next_page(&self, page: &HistoryV2Page) -> Option<HistoryV2Query> {
        page.new_start.map(|start| HistoryV2Query {
            start: Some(start),
            ..self.clone()
        })
    }
}

/// A message payload: text (`STRING`) or bytes (`BINARY`, sent as base64).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HistoryV2Payload {
    /// A `STRING` message.
    Text(String),
    /// A `BINARY` message, decoded from base64.
    Binary(Vec<u8>),
}

/// One message of Signaling 2.x history.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HistoryV2Message {
    /// The sender.
    pub publisher: String,
    /// When it was sent (Unix ms).
    pub timestamp: u64,
    /// The application's custom type, if any (empty strings become `None`).
    pub custom_type: Option<String>,
    /// The payload.
    pub payload: HistoryV2Payload,
}

/// One page of Signaling 2.x history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryV2Page {
    /// The service's request id.
    pub request_id: String,
    /// The messages, in the service's order (newest first).
    pub messages: Vec<HistoryV2Message>,
    /// Where the next page starts, `None` when there is none (`newStart` 0).
    pub new_start: Option<u64>,
}

/// `GET /rtm/v2/history/...`: one page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetHistoryV2 {
    query: HistoryV2Query,
}

impl GetHistoryV2 {
    /// Reads one page of `query`.
    pub fn new(query: HistoryV2Query) -> Self {
        GetHistoryV2 { query }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireEnvelope {
    error_code: Option<i64>,
    error: Option<bool>,
    request_id: Option<RequestId>,
    data: Option<WireData>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireData {
    message_list: Vec<WireMessage>,
    new_start: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireMessage {
    message_type: String,
    message: String,
    custom_type: Option<String>,
    publisher: String,
    timestamp: u64,
}

impl Operation for GetHistoryV2 {
    type Output = HistoryV2Page;

    fn name(&self) -> &'static str {
        "history_v2"
    }
    fn method(&self) -> Method {
        Method::Get
    }
    fn family(&self) -> RateFamily {
        RateFamily::HistoryV2
    }
    fn path(&self) -> String {
        let q = &self.query;
        let mut params = Vec::with_capacity(3);
        if let Some(s) = q.start {
            params.push(format!("start={s}"));
        }
        if let Some(e) = q.end {
            params.push(format!("end={e}"));
        }
        params.push(format!("messageCount={}", q.message_count));
        format!(
            "/userId/{}/channelType/{}/channel/{}?{}",
            encode_path_segment(&q.user_id),
            q.channel_type.as_str(),
            encode_path_segment(&q.channel),
            params.join("&")
        )
    }
    fn url(&self, config: &Config, endpoint: &Endpoint) -> String {
        // SPEC section 6 documents this API on `api.sd-rtn.com`: with Agora's
        // global host list (api.agora.io first), the two suffixes swap places so
        // the documented host is tried first and the other one is the fallback.
        // Custom base URLs and regional hosts are used as configured.
        let root = match (endpoint.role, endpoint.root.as_str()) {
            (EndpointRole::Primary, AGORA_GLOBAL) => SD_RTN,
            (EndpointRole::AlternateSuffix, SD_RTN) => AGORA_GLOBAL,
            (_, root) => root,
        };
        format!("{root}/rtm/v2/history/{}{}", config.app_id(), self.path())
    }
    fn parse(&self, response: &HttpResponse) -> Result<HistoryV2Page, Error> {
        if !(200..300).contains(&response.status) {
            return Err(parse::error_from_response(response));
        }
        let wire: WireEnvelope = parse::json_body(response)?;
        let request_id = wire.request_id.map(RequestId::into_string);
        let code = wire.error_code.unwrap_or(200);
        if wire.error == Some(true) || code != 200 {
            // The envelope carries the real status; classify it like an HTTP one
            // (a vendor code outside 400..600 counts as a server error).
            let status = u16::try_from(code)
                .ok()
                .filter(|c| (400..600).contains(c))
                .unwrap_or(500);
            let mut classified = response.clone();
            classified.status = status;
            return Err(parse::error_from_response(&classified));
        }
        let data = wire.data.ok_or_else(|| {
            decode_error(response, request_id.clone(), "missing field `data`".into())
        })?;
        let mut messages = Vec::with_capacity(data.message_list.len());
        for m in data.message_list {
            let payload = match m.message_type.as_str() {
                "BINARY" => {
                    HistoryV2Payload::Binary(STANDARD.decode(m.message.trim()).map_err(|e| {
                        decode_error(
                            response,
                            request_id.clone(),
                            format!("a BINARY message is not valid base64: {e}"),
                        )
                    })?)
                }
                _ => HistoryV2Payload::Text(m.message),
            };
            messages.push(HistoryV2Message {
                publisher: m.publisher,
                timestamp: m.timestamp,
                custom_type: m.custom_type.filter(|c| !c.is_empty()),
                payload,
            });
        }
        let new_start = data.new_start.filter(|s| *s != 0);
        if let (Some(next), Some(start)) = (new_start, self.query.start)
            && next >= start
        {
            // The next request would be this one again (or go forward):
            // following newStart would never end.
            return Err(decode_error(
                response,
                request_id,
                format!("newStart {next} is not before start {start}: paging would not progress"),
            ));
        }
        Ok(HistoryV2Page {
            request_id: request_id.unwrap_or_default(),
            messages,
            new_start,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_in_the_envelope() {
        let op = GetHistoryV2::new(HistoryV2Query::new("u", ChannelType::User, "v").unwrap());
        let e = op
            .parse(&HttpResponse::new(
                200,
                r#"{"data":null,"error":true,"errorCode":500,"reason":"Sync Server Error","requestId":"x"}"#,
            ))
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Server);
        assert_eq!(e.request_id(), Some("x"));
        assert!(e.to_string().contains("Sync Server Error"), "{e}");
        let e = op
            .parse(&HttpResponse::new(
                403,
                r#"{"data":null,"error":true,"errorCode":403,"reason":"not enabled"}"#,
            ))
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Auth);
        let e = op
            .parse(&HttpResponse::new(
                200,
                r#"{"errorCode":200,"error":false,"data":{"messageList":[{"messageType":"BINARY","message":"%%","publisher":"p","timestamp":1}],"newStart":0}}"#,
            ))
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Decode);
    }

    #[test]
    fn a_new_start_that_does_not_move_back_is_refused() {
        let body = |new_start: u64| {
            HttpResponse::new(
                200,
                format!(
                    r#"{{"errorCode":200,"error":false,"data":{{"messageList":[{{"messageType":"STRING","message":"m","publisher":"p","timestamp":50}}],"newStart":{new_start}}}}}"#
                ),
            )
        };
        let q = HistoryV2Query::new("u", ChannelType::User, "v").unwrap();
        // The first page (no start) may point anywhere.
        let page = GetHistoryV2::new(q.clone()).parse(&body(50)).unwrap();
        let next = q.next_page(&page).unwrap();
        assert_eq!(next.start_ms(), Some(50));
        // From start 50, newStart 50 (or later) would ask for the same page forever.
        for stuck in [50, 60] {
            let e = GetHistoryV2::new(next.clone())
                .parse(&body(stuck))
                .unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Decode);
            assert!(e.to_string().contains("not before start"), "{e}");
        }
        let page = GetHistoryV2::new(next.clone()).parse(&body(49)).unwrap();
        assert_eq!(page.new_start, Some(49));
        assert_eq!(
            GetHistoryV2::new(next).parse(&body(0)).unwrap().new_start,
            None
        );
    }

    #[test]
    fn rules_and_paging() {
        let q = HistoryV2Query::new("u", ChannelType::Message, "c").unwrap();
        assert!(q.clone().message_count(0).is_err());
        assert!(q.clone().message_count(101).is_err());
        assert!(q.clone().start(Some(1)).end(Some(2)).validate().is_err());
        assert!(HistoryV2Query::new("", ChannelType::Message, "c").is_err());
        assert!(HistoryV2Query::new("u", ChannelType::Message, "..").is_err());
        assert!(HistoryV2Query::new(".", ChannelType::User, "c").is_err());
        let page = HistoryV2Page {
            request_id: String::new(),
            messages: vec![],
            new_start: None,
        };
        assert!(q.next_page(&page).is_none());
        let op = GetHistoryV2::new(q.start(Some(10)).end(Some(5)));
        assert_eq!(
            op.path(),
            "/userId/u/channelType/message/channel/c?start=10&end=5&messageCount=100"
        );
    }
}
