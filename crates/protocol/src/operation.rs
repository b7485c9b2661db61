//! Operations: what to send and how to read the answer. One type per API call.

use crate::config::{Config, Endpoint, RateFamily};
use crate::error::Error;
use crate::http::{HttpResponse, Method};
use crate::models::{ChannelEvent, EventsPage, Feed, UserEvent};
use crate::parse;

/// One API call: its request (path below `/dev/v2/project/{appid}`, method, body)
/// and the parser of its response. The [`Exchange`](crate::Exchange) adds the host,
/// auth, retries and rate limiting.
pub trait Operation {
    /// What a successful call yields.
    type Output;

    /// A short name for logs and spans (`user_events`).
    fn name(&self) -> &'static str;

    /// The HTTP method.
    fn method(&self) -> Method;

    /// The path below the project base URL, starting with `/` (query included).
    fn path(&self) -> String;

    /// The JSON body, if any.
    fn body(&self) -> Option<Vec<u8>> {
        None
    }

    /// The family whose rate limit the call counts against (default: the event feeds).
    fn family(&self) -> RateFamily {
        RateFamily::Events
    }

    /// The absolute URL on `endpoint`; by default the project base URL
    /// (`{root}/dev/v2/project/{appid}`) followed by [`path`](Self::path).
    fn url(&self, config: &Config, endpoint: &Endpoint) -> String {
        config.url(endpoint, &self.path())
    }

    /// Reads the response (any status).
    fn parse(&self, response: &HttpResponse) -> Result<Self::Output, Error>;

    /// True when the call removes data on the server (the event feeds), so a lost
    /// response means lost data.
    fn is_destructive(&self) -> bool {
        false
    }

    /// False when doing the call twice has a visible effect (sending a message):
    /// such a call is not retried after a failure that may have come after the
    /// service acted on it (a timeout or broken connection after sending, a 500,
    /// 502 or 504). Failures that prove it was not acted on (DNS, connect, 408,
    /// 429, 503) are still retried.
    fn is_idempotent(&self) -> bool {
        true
    }
}

/// Reads (and removes) up to 1000 events of the user events feed.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadUserEvents;

/// Reads (and removes) up to 1000 events of the channel events feed.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadChannelEvents;

impl Operation for ReadUserEvents {
    type Output = EventsPage<UserEvent>;

    fn name(&self) -> &'static str {
        Feed::UserEvents.as_str()
    }
    fn method(&self) -> Method {
        Method::Get
    }
    fn path(&self) -> String {
        Feed::UserEvents.path().to_owned()
    }
    fn parse(&self, response: &HttpResponse) -> Result<Self::Output, Error> {
        parse::parse_user_events(response)
    }
    fn is_destructive(&self) -> bool {
        true
    }
}

impl Operation for ReadChannelEvents {
    type Output = EventsPage<ChannelEvent>;

    fn name(&self) -> &'static str {
        Feed::ChannelEvents.as_str()
    }
    fn method(&self) -> Method {
        Method::Get
    }
    fn path(&self) -> String {
        Feed::ChannelEvents.path().to_owned()
    }
    fn parse(&self, response: &HttpResponse) -> Result<Self::Output, Error> {
        parse::parse_channel_events(response)
    }
    fn is_destructive(&self) -> bool {
        true
    }
}
