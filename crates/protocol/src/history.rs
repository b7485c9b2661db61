//! Legacy (RTM 1.x) message history (SPEC section 5): an asynchronous query that
//! is created, then polled until the service has the answer, plus a count.
//!
//! The operations are [`CreateHistoryQuery`], [`FetchHistoryQuery`] and
//! [`CountHistory`]; [`HistoryQueryFlow`] and [`HistoryCountFlow`] are the state
//! machines (time as input) that drive them: `in progress` answers wait and ask
//! again, a 410 (the handle expired) creates the query again, and both give up
//! after a bounded time.
//!
//! ```
//! use agora_rtm_rest_protocol::history::*;
//! use agora_rtm_rest_protocol::Operation;
//! let query = HistoryQuery::new(Some("alice"), None, 1_564_622_530, 1_564_623_130)?
//!     .limit(50)?
//!     .order(HistoryOrder::Desc);
//! let body: serde_json::Value = serde_json::from_slice(&CreateHistoryQuery::new(query).body().unwrap()).unwrap();
//! assert_eq!(body["filter"]["start_time"], "2019-08-01T01:22:10Z");
//! assert_eq!(body["limit"], 50);
//! # Ok::<(), agora_rtm_rest_protocol::Error>(())
//! ```

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::RateFamily;
use crate::error::Error;
use crate::http::{HttpResponse, Method};
use crate::operation::Operation;
use crate::parse::{self, RequestId, decode_error};
use crate::time::Instant;
use crate::token::iso8601_utc;
use crate::validate::{encode_path_segment, encode_query_value, validate_id};

/// The page sizes the legacy history API accepts.
pub const HISTORY_LIMITS: [u32; 3] = [20, 50, 100];

/// Sort order of a legacy history query (always sent: the docs disagree on the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum HistoryOrder {
    /// Oldest first.
    #[default]
    Asc,
    /// Newest first.
    Desc,
}

impl HistoryOrder {
    /// `asc` or `desc`.
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryOrder::Asc => "asc",
            HistoryOrder::Desc => "desc",
        }
    }
}

impl std::str::FromStr for HistoryOrder {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "asc" => Ok(HistoryOrder::Asc),
            "desc" => Ok(HistoryOrder::Desc),
            _ => Err(Error::invalid_input("order", "must be \"asc\" or \"desc\"")),
        }
    }
}

/// Which messages: from `source`, to `destination` (a user or a channel), sent
/// between `start_time` and `end_time` (Unix seconds, UTC, both inclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryFilter {
    source: Option<String>,
    destination: Option<String>,
    start_time: u64,
    end_time: u64,
}

impl HistoryFilter {
    /// Checks the rules: at least one of source and destination, valid ids,
    /// `start_time <= end_time`, times within what ISO-8601 years can say.
    pub fn new(
        source: Option<&str>,
        destination: Option<&str>,
        start_time: u64,
        end_time: u64,
    ) -> Result<Self, Error> {
        if source.is_none() && destination.is_none() {
            return Err(Error::invalid_input(
                "source",
                "at least one of source and destination is required",
            ));
        }
        if let Some(s) = source {
            validate_id("source", s)?;
        }
        if let Some(d) = destination {
            validate_id("destination", d)?;
        }
        // 9999-12-31T23:59:59Z: beyond that the four-digit year overflows.
        const MAX_TIME: u64 = 253_402_300_799;
        if end_time > MAX_TIME {
            return Err(Error::invalid_input(
                "end_time",
                "must be a Unix time in seconds before year 10000 (milliseconds given?)",
            ));
        }
        if start_time > end_time {
            return Err(Error::invalid_input(
                "start_time",
                "must not be after end_time",
            ));
        }
        Ok(HistoryFilter {
            source: source.map(str::to_owned),
            destination: destination.map(str::to_owned),
            start_time,
            end_time,
        })
    }

    /// The source user, if any.
    pub fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    /// The destination user or channel, if any.
    pub fn destination(&self) -> Option<&str> {
        self.destination.as_deref()
    }

    /// Start of the range (Unix seconds).
    pub fn start_time(&self) -> u64 {
        self.start_time
    }

    /// End of the range (Unix seconds).
    pub fn end_time(&self) -> u64 {
        self.end_time
    }
}

/// A legacy history query: a filter and one page of it (`offset`, `limit`, `order`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryQuery {
    filter: HistoryFilter,
    offset: u64,
    limit: u32,
    order: HistoryOrder,
}

impl HistoryQuery {
    /// The first page (offset 0, limit 20, ascending) of messages matching a
    /// filter built from these arguments (see [`HistoryFilter::new`]).
    pub fn new(
        source: Option<&str>,
        destination: Option<&str>,
        start_time: u64,
        end_time: u64,
    ) -> Result<Self, Error> {
        Ok(HistoryQuery::from_filter(HistoryFilter::new(
            source,
            destination,
            start_time,
            end_time,
        )?))
    }

    /// The first page of `filter`.
    pub fn from_filter(filter: HistoryFilter) -> Self {
        HistoryQuery {
            filter,
            offset: 0,
            limit: 20,
            order: HistoryOrder::Asc,
        }
    }

    /// The page size: 20, 50 or 100.
    pub fn limit(mut self, limit: u32) -> Result<Self, Error> {
        if !HISTORY_LIMITS.contains(&limit) {
            return Err(Error::invalid_input(
                "limit",
                format!("must be 20, 50 or 100, got {limit}"),
            ));
        }
        self.limit = limit;
        Ok(self)
    }

    /// The order.
    pub fn order(mut self, order: HistoryOrder) -> Self {
        self.order = order;
        self
    }

    /// Skips the first `offset` matching messages.
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = offset;
        self
    }

    /// The filter.
    pub fn filter(&self) -> &HistoryFilter {
        &self.filter
    }

    /// The page size.
    pub fn page_size(&self) -> u32 {
        self.limit
    }

    /// The offset.
    pub fn page_offset(&self) -> u64 {
        self.offset
    }

    /// The order.
    pub fn sort_order(&self) -> HistoryOrder {
        self.order
    }

    /// True when a page of this query that returned `received` messages only
    /// confirms that the previous (full) page was the last: an empty page past the
    /// first is not worth handing to the caller.
    pub fn is_trailing_empty_page(&self, received: usize) -> bool {
        received == 0 && self.offset > 0
    }

    /// The query of the next page after one that returned `received` messages,
    /// or `None` when that page was the last (shorter than the page size).
    ///
    /// ```
    /// use agora_rtm_rest_protocol::history::HistoryQuery;
    /// let q = HistoryQuery::new(None, Some("lobby"), 0, 10).unwrap().limit(100).unwrap();
    /// let next = q.next_page(100).unwrap();
    /// assert_eq!(next.page_offset(), 100);
    /// assert!(next.next_page(50).is_none());
    /// assert!(q.offset(u64::MAX).next_page(100).is_none(), "no offset past u64::MAX");
    /// ```
    pub fn next_page(&self, received: usize) -> Option<HistoryQuery> {
        if received < self.limit as usize {
            return None;
        }
        let offset = self.offset.checked_add(u64::from(self.limit))?;
        Some(HistoryQuery {
            offset,
            ..self.clone()
        })
    }
}

/// The kind of a stored message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HistoryMessageKind {
    /// `peer_message`
    Peer,
    /// `channel_message`
    Channel,
    /// `group_message`
    Group,
    /// A kind this SDK does not know, kept as sent.
    Other(String),
}

impl HistoryMessageKind {
    /// The wire name.
    pub fn as_str(&self) -> &str {
        match self {
            HistoryMessageKind::Peer => "peer_message",
            HistoryMessageKind::Channel => "channel_message",
            HistoryMessageKind::Group => "group_message",
            HistoryMessageKind::Other(s) => s,
        }
    }

    fn from_wire(s: String) -> Self {
        match s.as_str() {
            "peer_message" => HistoryMessageKind::Peer,
            "channel_message" => HistoryMessageKind::Channel,
            "group_message" => HistoryMessageKind::Group,
            _ => HistoryMessageKind::Other(s),
        }
    }
}

impl fmt::Display for HistoryMessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// One stored message, as the legacy history API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HistoryMessage {
    /// The sender.
    pub src: String,
    /// The receiver (a user or a channel).
    pub dst: String,
    /// Peer, channel or group message.
    pub kind: HistoryMessageKind,
    /// The payload.
    pub payload: String,
    /// When it was sent (Unix milliseconds).
    pub ms: u64,
}

/// The service's handle of a created query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryHandle {
    /// The handle (base64-like, may contain `=`).
    pub handle: String,
    /// The service's request id, when it sent one.
    pub request_id: Option<String>,
}

/// What polling a query or a count gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Polled<T> {
    /// `code: "in progress"`: ask again later.
    InProgress,
    /// `code: "ok"`: the answer.
    Ready(T),
}

/// `POST /rtm/message/history/query`: creates a query, answering its handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateHistoryQuery {
    query: HistoryQuery,
}

impl CreateHistoryQuery {
    /// Creates `query`.
    pub fn new(query: HistoryQuery) -> Self {
        CreateHistoryQuery { query }
    }
}

#[derive(Serialize)]
struct WireFilter<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    destination: Option<&'a str>,
    start_time: String,
    end_time: String,
}

#[derive(Serialize)]
struct WireQuery<'a> {
    filter: WireFilter<'a>,
    offset: u64,
    limit: u32,
    order: &'static str,
}

#[derive(Deserialize)]
struct WireCreated {
    result: Option<String>,
    request_id: Option<RequestId>,
    location: Option<String>,
}

/// The prefix of `location` in a created query's answer.
pub const LOCATION_PREFIX: &str = "~/rtm/message/history/query/";

impl Operation for CreateHistoryQuery {
    type Output = HistoryHandle;

    fn name(&self) -> &'static str {
        "create_history_query"
    }
    fn method(&self) -> Method {
        Method::Post
    }
    fn family(&self) -> RateFamily {
        RateFamily::LegacyHistory
    }
    fn path(&self) -> String {
        "/rtm/message/history/query".to_owned()
    }
    fn body(&self) -> Option<Vec<u8>> {
        let f = &self.query.filter;
        serde_json::to_vec(&WireQuery {
            filter: WireFilter {
                source: f.source.as_deref(),
                destination: f.destination.as_deref(),
                start_time: iso8601_utc(f.start_time),
                end_time: iso8601_utc(f.end_time),
            },
            offset: self.query.offset,
            limit: self.query.limit,
            order: self.query.order.as_str(),
        })
        .ok()
    }
    fn parse(&self, response: &HttpResponse) -> Result<HistoryHandle, Error> {
        if !(200..300).contains(&response.status) {
            return Err(parse::error_from_response(response));
        }
        let wire: WireCreated = parse::json_body(response)?;
        let request_id = wire.request_id.map(RequestId::into_string);
        check_result(response, wire.result.as_deref(), &request_id)?;
        let location = wire.location.unwrap_or_default();
        let handle = location
            .strip_prefix(LOCATION_PREFIX)
            .or_else(|| location.rsplit_once("/query/").map(|(_, h)| h))
            .filter(|h| !h.is_empty())
            .ok_or_else(|| {
                decode_error(
                    response,
                    request_id.clone(),
                    format!("no query handle in location {location:?}"),
                )
            })?;
        Ok(HistoryHandle {
            handle: handle.to_owned(),
            request_id,
        })
    }
}

fn check_result(
    response: &HttpResponse,
    result: Option<&str>,
    request_id: &Option<String>,
) -> Result<(), Error> {
    match result {
        Some("success") | None => Ok(()),
        Some(other) => Err(decode_error(
            response,
            request_id.clone(),
            format!("result is {other:?} on a 2xx response"),
        )),
    }
}

/// `GET /rtm/message/history/query/{handle}`: the messages of a created query,
/// or `in progress`. A 410 answer means the handle expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchHistoryQuery {
    handle: String,
}

impl FetchHistoryQuery {
    /// Polls `handle`.
    pub fn new(handle: impl Into<String>) -> Self {
        FetchHistoryQuery {
            handle: handle.into(),
        }
    }
}

#[derive(Deserialize)]
struct WireHistoryMessage {
    src: String,
    dst: String,
    message_type: String,
    #[serde(default)]
    payload: String,
    ms: u64,
}

#[derive(Deserialize)]
struct WireFetched {
    result: Option<String>,
    request_id: Option<RequestId>,
    code: Option<String>,
    messages: Option<Vec<WireHistoryMessage>>,
    count: Option<u64>,
}

fn polled_code(
    response: &HttpResponse,
    wire: &WireFetched,
    request_id: &Option<String>,
) -> Result<bool, Error> {
    check_result(response, wire.result.as_deref(), request_id)?;
    match wire.code.as_deref() {
        Some("ok") => Ok(true),
        Some("in progress") => Ok(false),
        other => Err(decode_error(
            response,
            request_id.clone(),
            format!("unexpected code {other:?} (expected \"ok\" or \"in progress\")"),
        )),
    }
}

impl Operation for FetchHistoryQuery {
    type Output = Polled<Vec<HistoryMessage>>;

    fn name(&self) -> &'static str {
        "fetch_history_query"
    }
    fn method(&self) -> Method {
        Method::Get
    }
    fn family(&self) -> RateFamily {
        RateFamily::LegacyHistory
    }
    fn path(&self) -> String {
        format!(
            "/rtm/message/history/query/{}",
            encode_path_segment(&self.handle)
        )
    }
    fn parse(&self, response: &HttpResponse) -> Result<Self::Output, Error> {
        if !(200..300).contains(&response.status) {
            return Err(parse::error_from_response(response));
        }
        let wire: WireFetched = parse::json_body(response)?;
        let request_id = wire.request_id.as_ref().map(|r| r.to_text());
        if !polled_code(response, &wire, &request_id)? {
            return Ok(Polled::InProgress);
        }
        let messages = wire
            .messages
            .ok_or_else(|| decode_error(response, request_id, "missing field `messages`".into()))?;
        Ok(Polled::Ready(
            messages
                .into_iter()
                .map(|m| HistoryMessage {
                    src: m.src,
                    dst: m.dst,
                    kind: HistoryMessageKind::from_wire(m.message_type),
                    payload: m.payload,
                    ms: m.ms,
                })
                .collect(),
        ))
    }
}

/// `GET /rtm/message/history/count`: how many stored messages match a filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountHistory {
    filter: HistoryFilter,
}

impl CountHistory {
    /// Counts the messages matching `filter`.
    pub fn new(filter: HistoryFilter) -> Self {
        CountHistory { filter }
    }
}

impl Operation for CountHistory {
    type Output = Polled<u64>;

    fn name(&self) -> &'static str {
        "count_history"
    }
    fn method(&self) -> Method {
        Method::Get
    }
    fn family(&self) -> RateFamily {
        RateFamily::LegacyHistory
    }
    fn path(&self) -> String {
        let f = &self.filter;
        let mut query = Vec::with_capacity(4);
        if let Some(s) = &f.source {
            query.push(format!("source={}", encode_query_value(s)));
        }
        if let Some(d) = &f.destination {
            query.push(format!("destination={}", encode_query_value(d)));
        }
        query.push(format!("start_time={}", iso8601_utc(f.start_time)));
        query.push(format!("end_time={}", iso8601_utc(f.end_time)));
        format!("/rtm/message/history/count?{}", query.join("&"))
    }
    fn parse(&self, response: &HttpResponse) -> Result<Self::Output, Error> {
        if !(200..300).contains(&response.status) {
            return Err(parse::error_from_response(response));
        }
        let wire: WireFetched = parse::json_body(response)?;
        let request_id = wire.request_id.as_ref().map(|r| r.to_text());
        if !polled_code(response, &wire, &request_id)? {
            return Ok(Polled::InProgress);
        }
        wire.count
            .map(Polled::Ready)
            .ok_or_else(|| decode_error(response, request_id, "missing field `count`".into()))
    }
}

/// How the history flows poll (SPEC section 5: ask again after about 2 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollPolicy {
    /// Wait between an `in progress` answer and the next poll.
    pub interval: Duration,
    /// Give up (with a server-timeout error) when the answer is not ready this
    /// long after the flow started.
    pub max_wait: Duration,
    /// Queries created again after a 410 before giving up.
    pub max_recreates: u32,
}

impl Default for PollPolicy {
    fn default() -> Self {
        PollPolicy {
            interval: Duration::from_secs(2),
            max_wait: Duration::from_secs(60),
            max_recreates: 3,
        }
    }
}

/// What a history flow asks its driver to do.
#[derive(Debug)]
pub enum FlowStep<T> {
    /// Run this create operation, then call `on_created`.
    Create(CreateHistoryQuery),
    /// Run this fetch operation, then call `on_fetched`.
    Fetch(FetchHistoryQuery),
    /// Run this count operation, then call `on_counted`.
    Count(CountHistory),
    /// Sleep, then call `on_wait_elapsed`.
    Wait(Duration),
    /// The flow is over.
    Done(Result<T, Error>),
}

/// One legacy history page from creation to answer: create, poll while `in
/// progress`, create again after a 410, give up after [`PollPolicy::max_wait`].
///
/// ```
/// use std::time::Duration;
/// use agora_rtm_rest_protocol::history::*;
/// use agora_rtm_rest_protocol::{Error, Instant};
/// let q = HistoryQuery::new(Some("a"), None, 0, 10).unwrap();
/// let mut flow = HistoryQueryFlow::new(q, PollPolicy::default());
/// let t = Instant::ZERO;
/// assert!(matches!(flow.start(t), FlowStep::Create(_)));
/// let h = HistoryHandle { handle: "h1".into(), request_id: None };
/// assert!(matches!(flow.on_created(Ok(h), t), FlowStep::Fetch(_)));
/// assert!(matches!(flow.on_fetched(Ok(Polled::InProgress), t), FlowStep::Wait(d) if d == Duration::from_secs(2)));
/// assert!(matches!(flow.on_wait_elapsed(t + Duration::from_secs(2)), FlowStep::Fetch(_)));
/// let expired = Error::Api { status: 410, request_id: None, message: "gone".into(), body: String::new() };
/// assert!(matches!(flow.on_fetched(Err(expired), t), FlowStep::Create(_)));
/// ```
#[derive(Debug)]
pub struct HistoryQueryFlow {
    query: HistoryQuery,
    policy: PollPolicy,
    started: Instant,
    handle: Option<String>,
    recreates: u32,
    polls: u32,
    done: bool,
}

impl HistoryQueryFlow {
    /// A flow for one page of `query`.
    pub fn new(query: HistoryQuery, policy: PollPolicy) -> Self {
        HistoryQueryFlow {
            query,
            policy,
            started: Instant::ZERO,
            handle: None,
            recreates: 0,
            polls: 0,
            done: false,
        }
    }

    /// The query this flow answers.
    pub fn query(&self) -> &HistoryQuery {
        &self.query
    }

    /// The poll policy.
    pub fn policy(&self) -> PollPolicy {
        self.policy
    }

    /// Polls made so far (including `in progress` ones).
    pub fn polls(&self) -> u32 {
        self.polls
    }

    /// Queries created again after a 410.
    pub fn recreates(&self) -> u32 {
        self.recreates
    }

    /// Starts: create the query.
    pub fn start(&mut self, now: Instant) -> FlowStep<Vec<HistoryMessage>> {
        self.started = now;
        FlowStep::Create(CreateHistoryQuery::new(self.query.clone()))
    }

    /// The create operation finished.
    pub fn on_created(
        &mut self,
        result: Result<HistoryHandle, Error>,
        _now: Instant,
    ) -> FlowStep<Vec<HistoryMessage>> {
        match result {
            Ok(h) => {
                self.handle = Some(h.handle.clone());
                FlowStep::Fetch(FetchHistoryQuery::new(h.handle))
            }
            Err(e) => self.finish(Err(e)),
        }
    }

    /// The fetch operation finished.
    pub fn on_fetched(
        &mut self,
        result: Result<Polled<Vec<HistoryMessage>>, Error>,
        now: Instant,
    ) -> FlowStep<Vec<HistoryMessage>> {
        self.polls += 1;
        match result {
            Ok(Polled::Ready(messages)) => self.finish(Ok(messages)),
            Ok(Polled::InProgress) => self.wait_or_give_up(now),
            Err(e) if e.status() == Some(410) => {
                if self.recreates >= self.policy.max_recreates {
                    return self.finish(Err(e));
                }
                self.recreates += 1;
                self.handle = None;
                FlowStep::Create(CreateHistoryQuery::new(self.query.clone()))
            }
            Err(e) => self.finish(Err(e)),
        }
    }

    /// The wait asked for is over: poll again.
    pub fn on_wait_elapsed(&mut self, _now: Instant) -> FlowStep<Vec<HistoryMessage>> {
        match &self.handle {
            Some(h) if !self.done => FlowStep::Fetch(FetchHistoryQuery::new(h.clone())),
            _ => self.finish(Err(Error::invalid_input(
                "history flow",
                "on_wait_elapsed called while not waiting",
            ))),
        }
    }

    fn wait_or_give_up(&mut self, now: Instant) -> FlowStep<Vec<HistoryMessage>> {
        give_up_or_wait(self.started, now, &self.policy).unwrap_or_else(|e| self.finish(Err(e)))
    }

    fn finish(
        &mut self,
        result: Result<Vec<HistoryMessage>, Error>,
    ) -> FlowStep<Vec<HistoryMessage>> {
        self.done = true;
        FlowStep::Done(result)
    }
}

fn give_up_or_wait<T>(
    started: Instant,
    now: Instant,
    policy: &PollPolicy,
) -> Result<FlowStep<T>, Error> {
    let waited = now.saturating_duration_since(started);
    if waited + policy.interval > policy.max_wait {
        return Err(Error::ServerTimeout {
            request_id: None,
            body: format!(
                "history still \"in progress\" after {} ms (poll policy max_wait {} ms)",
                waited.as_millis(),
                policy.max_wait.as_millis()
            ),
        });
    }
    Ok(FlowStep::Wait(policy.interval))
}

/// A legacy history count: ask, and ask again while `in progress`.
///
/// ```
/// use agora_rtm_rest_protocol::history::*;
/// use agora_rtm_rest_protocol::Instant;
/// let f = HistoryFilter::new(Some("a"), None, 0, 10).unwrap();
/// let mut flow = HistoryCountFlow::new(f, PollPolicy::default());
/// assert!(matches!(flow.start(Instant::ZERO), FlowStep::Count(_)));
/// assert!(matches!(flow.on_counted(Ok(Polled::InProgress), Instant::ZERO), FlowStep::Wait(_)));
/// assert!(matches!(flow.on_wait_elapsed(Instant::ZERO), FlowStep::Count(_)));
/// assert!(matches!(flow.on_counted(Ok(Polled::Ready(7)), Instant::ZERO), FlowStep::Done(Ok(7))));
/// ```
#[derive(Debug)]
pub struct HistoryCountFlow {
    filter: HistoryFilter,
    policy: PollPolicy,
    started: Instant,
    done: bool,
}

impl HistoryCountFlow {
    /// A flow counting the messages matching `filter`.
    pub fn new(filter: HistoryFilter, policy: PollPolicy) -> Self {
        HistoryCountFlow {
            filter,
            policy,
            started: Instant::ZERO,
            done: false,
        }
    }

    /// Starts: ask for the count.
    pub fn start(&mut self, now: Instant) -> FlowStep<u64> {
        self.started = now;
        FlowStep::Count(CountHistory::new(self.filter.clone()))
    }

    /// The count operation finished.
    pub fn on_counted(
        &mut self,
        result: Result<Polled<u64>, Error>,
        now: Instant,
    ) -> FlowStep<u64> {
        match result {
            Ok(Polled::Ready(n)) => self.finish(Ok(n)),
            Ok(Polled::InProgress) => give_up_or_wait(self.started, now, &self.policy)
                .unwrap_or_else(|e| self.finish(Err(e))),
            Err(e) => self.finish(Err(e)),
        }
    }

    /// The wait asked for is over: ask again.
    pub fn on_wait_elapsed(&mut self, _now: Instant) -> FlowStep<u64> {
        if self.done {
            return FlowStep::Done(Err(Error::invalid_input(
                "history flow",
                "on_wait_elapsed called after the flow ended",
            )));
        }
        FlowStep::Count(CountHistory::new(self.filter.clone()))
    }

    fn finish(&mut self, result: Result<u64, Error>) -> FlowStep<u64> {
        self.done = true;
        FlowStep::Done(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter() -> HistoryFilter {
        HistoryFilter::new(Some("a b"), Some("c&d"), 1_564_622_530, 1_564_623_130).unwrap()
    }

    #[test]
    fn rules() {
        assert!(HistoryFilter::new(None, None, 0, 1).is_err());
        let e = HistoryFilter::new(Some("a"), None, 2, 1).unwrap_err();
        assert!(matches!(e, Error::InvalidInput { ref field, .. } if field == "start_time"));
        let e = HistoryFilter::new(Some("a"), None, 0, 1_700_000_000_000).unwrap_err();
        assert!(e.to_string().contains("milliseconds"), "{e}");
        let q = HistoryQuery::from_filter(filter());
        let e = q.limit(30).unwrap_err();
        assert!(matches!(e, Error::InvalidInput { ref field, .. } if field == "limit"));
    }

    #[test]
    fn count_path_encodes_values() {
        let op = CountHistory::new(filter());
        assert_eq!(
            op.path(),
            "/rtm/message/history/count?source=a%20b&destination=c%26d&start_time=2019-08-01T01:22:10Z&end_time=2019-08-01T01:32:10Z"
        );
    }

    #[test]
    fn parses_created_fetched_and_counted() {
        let op = CreateHistoryQuery::new(HistoryQuery::from_filter(filter()));
        let h = op
            .parse(&HttpResponse::new(
                200,
                r#"{"result":"success","offset":0,"limit":20,"order":"asc","location":"~/rtm/message/history/query/ab+c=="}"#,
            ))
            .unwrap();
        assert_eq!(h.handle, "ab+c==");
        assert_eq!(
            FetchHistoryQuery::new(&h.handle).path(),
            "/rtm/message/history/query/ab+c=="
        );
        let e = op
            .parse(&HttpResponse::new(200, r#"{"result":"success"}"#))
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Decode);

        let f = FetchHistoryQuery::new("h");
        let r = f
            .parse(&HttpResponse::new(
                200,
                r#"{"result":"success","code":"ok","messages":[{"src":"a","dst":"b","message_type":"peer_message","payload":"hi","ms":5}]}"#,
            ))
            .unwrap();
        let Polled::Ready(m) = r else { panic!() };
        assert_eq!(m[0].kind, HistoryMessageKind::Peer);
        assert_eq!(
            f.parse(&HttpResponse::new(
                200,
                r#"{"result":"success","code":"in progress"}"#
            ))
            .unwrap(),
            Polled::InProgress
        );
        assert_eq!(
            f.parse(&HttpResponse::new(410, "{}")).unwrap_err().status(),
            Some(410)
        );
        let c = CountHistory::new(filter());
        assert_eq!(
            c.parse(&HttpResponse::new(
                200,
                r#"{"result":"success","code":"ok","count":123}"#
            ))
            .unwrap(),
            Polled::Ready(123)
        );
        assert!(
            c.parse(&HttpResponse::new(
                200,
                r#"{"result":"success","code":"done"}"#
            ))
            .is_err()
        );
    }

    #[test]
    fn flow_gives_up_after_max_wait_and_recreates() {
        let policy = PollPolicy {
            interval: Duration::from_secs(2),
            max_wait: Duration::from_secs(5),
            max_recreates: 1,
        };
        let mut flow = HistoryQueryFlow::new(HistoryQuery::from_filter(filter()), policy);
        let t0 = Instant::ZERO;
        flow.start(t0);
        let h = || HistoryHandle {
            handle: "h".into(),
            request_id: None,
        };
        flow.on_created(Ok(h()), t0);
        assert!(matches!(
            flow.on_fetched(Ok(Polled::InProgress), t0),
            FlowStep::Wait(_)
        ));
        flow.on_wait_elapsed(t0 + Duration::from_secs(2));
        let step = flow.on_fetched(Ok(Polled::InProgress), t0 + Duration::from_secs(4));
        assert!(
            matches!(step, FlowStep::Done(Err(Error::ServerTimeout { .. }))),
            "{step:?}"
        );

        let mut flow = HistoryQueryFlow::new(HistoryQuery::from_filter(filter()), policy);
        flow.start(t0);
        flow.on_created(Ok(h()), t0);
        let gone = || Error::Api {
            status: 410,
            request_id: None,
            message: "expired".into(),
            body: String::new(),
        };
        assert!(matches!(
            flow.on_fetched(Err(gone()), t0),
            FlowStep::Create(_)
        ));
        flow.on_created(Ok(h()), t0);
        assert!(matches!(
            flow.on_fetched(Err(gone()), t0),
            FlowStep::Done(Err(_))
        ));
        assert_eq!(flow.recreates(), 1);
    }
}
