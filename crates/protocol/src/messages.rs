//! Sending peer and channel messages (SPEC section 4).
//!
//! ```
//! use agora_rtm_rest_protocol::{HttpResponse, MessageOutcome, Operation, SendPeerMessage};
//! let op = SendPeerMessage::new("server", "alice", "hello")?.wait_for_ack(true);
//! assert_eq!(op.path(), "/rtm/users/server/peer_messages?wait_for_ack=true");
//! let receipt = op.parse(&HttpResponse::new(200, r#"{"request_id":"1","code":"message_offline"}"#))?;
//! assert_eq!(receipt.outcome, MessageOutcome::Offline);
//! # Ok::<(), agora_rtm_rest_protocol::Error>(())
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::auth::Credentials;
use crate::config::RateFamily;
use crate::error::Error;
use crate::http::{HttpResponse, Method};
use crate::operation::Operation;
use crate::parse::{self, RequestId, decode_error};
use crate::token;
use crate::validate::{encode_path_segment, validate_id, validate_path_id, validate_payload};

/// What the service says happened to a message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MessageOutcome {
    /// `message_sent`: accepted (no acknowledgement asked for, or a channel message).
    Sent,
    /// `message_delivered`: the receiver acknowledged it (`wait_for_ack=true`).
    Delivered,
    /// `message_offline` (or the legacy `peer_offline`): the receiver is offline.
    Offline,
    /// A code this SDK does not know, kept as sent.
    Other(String),
}

impl MessageOutcome {
    /// The wire code (`message_sent`, `message_delivered`, `message_offline`).
    pub fn as_str(&self) -> &str {
        match self {
            MessageOutcome::Sent => "message_sent",
            MessageOutcome::Delivered => "message_delivered",
            MessageOutcome::Offline => "message_offline",
            MessageOutcome::Other(code) => code,
        }
    }

    /// Reads a wire code; `peer_offline` means `message_offline`.
    pub fn from_code(code: &str) -> Self {
        match code {
            "message_sent" => MessageOutcome::Sent,
            "message_delivered" => MessageOutcome::Delivered,
            "message_offline" | "peer_offline" => MessageOutcome::Offline,
            other => MessageOutcome::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for MessageOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The answer to a sent message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageReceipt {
    /// The service's request id (empty when the body had none).
    pub request_id: String,
    /// What happened to the message.
    pub outcome: MessageOutcome,
}

/// `POST /rtm/users/{from}/peer_messages`: a message from one user to another.
/// The ids and the payload are checked when the operation is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendPeerMessage {
    from: String,
    to: String,
    payload: String,
    wait_for_ack: bool,
    historical: bool,
}

impl SendPeerMessage {
    /// A message from user `from` to user `to`; refused before any request when
    /// an id or the payload breaks a rule (SPEC section 4).
    pub fn new(
        from: impl Into<String>,
        to: impl Into<String>,
        payload: impl Into<String>,
    ) -> Result<Self, Error> {
        let (from, to, payload) = (from.into(), to.into(), payload.into());
        validate_path_id("from", &from)?;
        validate_id("to", &to)?;
        validate_payload(&payload)?;
        Ok(SendPeerMessage {
            from,
            to,
            payload,
            wait_for_ack: false,
            historical: false,
        })
    }

    /// Waits for the receiver's acknowledgement (`message_delivered` or
    /// `message_offline` instead of `message_sent`).
    pub fn wait_for_ack(mut self, wait: bool) -> Self {
        self.wait_for_ack = wait;
        self
    }

    /// Stores the message for the history APIs (`enable_historical_messaging`).
    pub fn store_in_history(mut self, store: bool) -> Self {
        self.historical = store;
        self
    }

    /// The sender.
    pub fn from(&self) -> &str {
        &self.from
    }

    /// The receiver.
    pub fn to(&self) -> &str {
        &self.to
    }
}

#[derive(Serialize)]
struct PeerBody<'a> {
    destination: &'a str,
    payload: &'a str,
    enable_offline_messaging: bool,
    enable_historical_messaging: bool,
}

impl Operation for SendPeerMessage {
    type Output = MessageReceipt;

    fn name(&self) -> &'static str {
        "send_peer_message"
    }
    fn method(&self) -> Method {
        Method::Post
    }
    fn family(&self) -> RateFamily {
        RateFamily::Messages
    }
    fn path(&self) -> String {
        format!(
            "/rtm/users/{}/peer_messages?wait_for_ack={}",
            encode_path_segment(&self.from),
            self.wait_for_ack
        )
    }
    fn body(&self) -> Option<Vec<u8>> {
        serde_json::to_vec(&PeerBody {
            destination: &self.to,
            payload: &self.payload,
            enable_offline_messaging: false,
            enable_historical_messaging: self.historical,
        })
        .ok()
    }
    fn parse(&self, response: &HttpResponse) -> Result<MessageReceipt, Error> {
        parse_receipt(response)
    }
    fn is_idempotent(&self) -> bool {
        false
    }
}

/// `POST /rtm/users/{from}/channel_messages`: a message from a user to a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendChannelMessage {
    from: String,
    channel: String,
    payload: String,
    historical: bool,
}

impl SendChannelMessage {
    /// A message from user `from` to channel `channel`; refused before any
    /// request when an id or the payload breaks a rule.
    pub fn new(
        from: impl Into<String>,
        channel: impl Into<String>,
        payload: impl Into<String>,
    ) -> Result<Self, Error> {
        let (from, channel, payload) = (from.into(), channel.into(), payload.into());
        validate_path_id("from", &from)?;
        validate_id("channel", &channel)?;
        validate_payload(&payload)?;
        Ok(SendChannelMessage {
            from,
            channel,
            payload,
            historical: false,
        })
    }

    /// Stores the message for the history APIs (`enable_historical_messaging`).
    pub fn store_in_history(mut self, store: bool) -> Self {
        self.historical = store;
        self
    }

    /// The sender.
    pub fn from(&self) -> &str {
        &self.from
    }

    /// The channel.
    pub fn channel(&self) -> &str {
        &self.channel
    }
}

#[derive(Serialize)]
struct ChannelBody<'a> {
    channel_name: &'a str,
    payload: &'a str,
    enable_historical_messaging: bool,
}

impl Operation for SendChannelMessage {
    type Output = MessageReceipt;

    fn name(&self) -> &'static str {
        "send_channel_message"
    }
    fn method(&self) -> Method {
        Method::Post
    }
    fn family(&self) -> RateFamily {
        RateFamily::Messages
    }
    fn path(&self) -> String {
        format!(
            "/rtm/users/{}/channel_messages",
            encode_path_segment(&self.from)
        )
    }
    fn body(&self) -> Option<Vec<u8>> {
        serde_json::to_vec(&ChannelBody {
            channel_name: &self.channel,
            payload: &self.payload,
            enable_historical_messaging: self.historical,
        })
        .ok()
    }
    fn parse(&self, response: &HttpResponse) -> Result<MessageReceipt, Error> {
        parse_receipt(response)
    }
    fn is_idempotent(&self) -> bool {
        false
    }
}

#[derive(Deserialize)]
struct WireReceipt {
    result: Option<String>,
    request_id: Option<RequestId>,
    code: Option<String>,
}

/// Reads the answer to a sent message: `result` may be missing (an offline
/// receiver), `code` may be missing (a channel message: `message_sent`).
///
/// ```
/// use agora_rtm_rest_protocol::{HttpResponse, MessageOutcome, messages::parse_receipt};
/// let r = parse_receipt(&HttpResponse::new(200, r#"{"result":"success","request_id":"7"}"#)).unwrap();
/// assert_eq!((r.request_id.as_str(), r.outcome), ("7", MessageOutcome::Sent));
/// let r = parse_receipt(&HttpResponse::new(200, r#"{"result":"success","code":"peer_offline"}"#)).unwrap();
/// assert_eq!(r.outcome, MessageOutcome::Offline);
/// ```
pub fn parse_receipt(response: &HttpResponse) -> Result<MessageReceipt, Error> {
    if !(200..300).contains(&response.status) {
        return Err(parse::error_from_response(response));
    }
    let wire: WireReceipt = parse::json_body(response)?;
    let request_id = wire.request_id.map(RequestId::into_string);
    match wire.result.as_deref() {
        Some("success") | None => {}
        Some(other) => {
            return Err(decode_error(
                response,
                request_id,
                format!("result is {other:?} on a 2xx response"),
            ));
        }
    }
    Ok(MessageReceipt {
        request_id: request_id.unwrap_or_default(),
        outcome: wire
            .code
            .as_deref()
            .map_or(MessageOutcome::Sent, MessageOutcome::from_code),
    })
}

/// The user a token credential acts as, when it can be known: the 006 uid, the
/// minted token's user, or the RTM user inside a 007 token. `None` for Basic
/// (which may act as any user) and for a 007 token without an RTM service.
pub fn token_user(credentials: &Credentials) -> Option<String> {
    match credentials {
        Credentials::Basic { .. } => None,
        Credentials::LegacyToken { uid, .. } => Some(uid.clone()),
        Credentials::Minted(m) => Some(m.user_id().to_owned()),
        Credentials::Token { token } => token::AccessToken2::parse(token.expose())
            .ok()
            .and_then(|t| t.rtm_user_id().map(str::to_owned)),
    }
}

/// With token auth a user id in a message path must be the token's user (the
/// service answers 401 otherwise): refuses before sending.
///
/// ```
/// use agora_rtm_rest_protocol::{Credentials, messages::check_acting_user};
/// let c = Credentials::legacy_token("006abc", "alice").unwrap();
/// assert!(check_acting_user(&c, "from", "alice").is_ok());
/// let e = check_acting_user(&c, "from", "bob").unwrap_err();
/// assert!(e.to_string().contains("token's user"), "{e}");
/// assert!(check_acting_user(&Credentials::basic("id", "s").unwrap(), "from", "bob").is_ok());
/// ```
pub fn check_acting_user(credentials: &Credentials, field: &str, user: &str) -> Result<(), Error> {
    match token_user(credentials) {
        Some(owner) if owner != user => Err(Error::invalid_input(
            field,
            format!(
                "with token auth the service only accepts the token's user ({owner:?}), not {user:?}; \
                 use Basic auth to act as any user"
            ),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_and_paths() {
        let op = SendPeerMessage::new("a b", "c", "hi")
            .unwrap()
            .store_in_history(true);
        assert_eq!(
            op.path(),
            "/rtm/users/a%20b/peer_messages?wait_for_ack=false"
        );
        let body: serde_json::Value = serde_json::from_slice(&op.body().unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"destination":"c","payload":"hi",
                "enable_offline_messaging":false,"enable_historical_messaging":true})
        );
        let op = SendChannelMessage::new("u", "ch#1", "x").unwrap();
        assert_eq!(op.path(), "/rtm/users/u/channel_messages");
        let body: serde_json::Value = serde_json::from_slice(&op.body().unwrap()).unwrap();
        assert_eq!(body["channel_name"], "ch#1");
    }

    #[test]
    fn validation_names_the_field() {
        let e = SendPeerMessage::new("", "b", "x").unwrap_err();
        assert!(matches!(e, Error::InvalidInput { ref field, .. } if field == "from"));
        let e = SendPeerMessage::new("a", "b/c", "x").unwrap_err();
        assert!(matches!(e, Error::InvalidInput { ref field, .. } if field == "to"));
        let e = SendChannelMessage::new("a", "c", "").unwrap_err();
        assert!(matches!(e, Error::InvalidInput { ref field, .. } if field == "payload"));
    }

    #[test]
    fn failures() {
        let r = parse_receipt(&HttpResponse::new(200, r#"{"result":"failed"}"#));
        assert_eq!(r.unwrap_err().kind(), crate::ErrorKind::Decode);
        let r = parse_receipt(&HttpResponse::new(401, r#"{"message":"invalid token"}"#));
        assert_eq!(r.unwrap_err().kind(), crate::ErrorKind::Auth);
        let r = parse_receipt(&HttpResponse::new(200, "<html>"));
        assert_eq!(r.unwrap_err().kind(), crate::ErrorKind::Decode);
        let r = parse_receipt(&HttpResponse::new(200, r#"{"code":"carrier_pigeon"}"#)).unwrap();
        assert_eq!(r.outcome, MessageOutcome::Other("carrier_pigeon".into()));
    }
}
