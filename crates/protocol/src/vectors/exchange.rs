//! Any operation of a vector case (an event feed, a message, a history call or a
//! whole history flow) driven through the real [`Exchange`] and flows, with time
//! as input and the result reduced to the vectors' normalised JSON.

use super::ms;
use crate::config::Config;
use crate::error::Error;
use crate::error::TransportError;
use crate::exchange::{Exchange, ExchangeReport, Shared, Step};
use crate::history::{
    CountHistory, CreateHistoryQuery, FetchHistoryQuery, FlowStep, HistoryCountFlow, HistoryFilter,
    HistoryHandle, HistoryMessage, HistoryQuery, HistoryQueryFlow, PollPolicy, Polled,
};
use crate::history_v2::{
    ChannelType, GetHistoryV2, HistoryV2Page, HistoryV2Payload, HistoryV2Query,
};
use crate::http::HttpResponse;
use crate::messages::{MessageReceipt, SendChannelMessage, SendPeerMessage};
use crate::models::{ChannelEvent, EventsPage, UserEvent};
use crate::operation::{Operation, ReadChannelEvents, ReadUserEvents};
use crate::time::Instant;
use base64::Engine as _;
use serde_json::Value;
use serde_json::json;
use std::sync::Arc;

/// What one inner exchange produced, typed enough for the flows to use.
enum Out {
    Json(Value),
    Handle(HistoryHandle),
    Fetched(Polled<Vec<HistoryMessage>>),
    Counted(Polled<u64>),
    V2(HistoryV2Page),
}

trait Erased: Send {
    fn start(&mut self, now: Instant) -> Step<Out>;
    fn on_response(&mut self, r: HttpResponse, now: Instant) -> Step<Out>;
    fn on_transport_error(&mut self, e: TransportError, now: Instant) -> Step<Out>;
    fn on_wait_elapsed(&mut self, now: Instant) -> Step<Out>;
    fn report(&self) -> &ExchangeReport;
}

struct Typed<O: Operation> {
    ex: Exchange<O>,
    conv: fn(O::Output) -> Out,
}

fn map_step<T>(step: Step<T>, conv: fn(T) -> Out) -> Step<Out> {
    match step {
        Step::Send(r) => Step::Send(r),
        Step::Wait(d) => Step::Wait(d),
        Step::Done(r) => Step::Done(r.map(conv)),
    }
}

impl<O: Operation + Send> Erased for Typed<O> {
    fn start(&mut self, now: Instant) -> Step<Out> {
        map_step(self.ex.start(now), self.conv)
    }
    fn on_response(&mut self, r: HttpResponse, now: Instant) -> Step<Out> {
        map_step(self.ex.on_response(r, now), self.conv)
    }
    fn on_transport_error(&mut self, e: TransportError, now: Instant) -> Step<Out> {
        map_step(self.ex.on_transport_error(e, now), self.conv)
    }
    fn on_wait_elapsed(&mut self, now: Instant) -> Step<Out> {
        map_step(self.ex.on_wait_elapsed(now), self.conv)
    }
    fn report(&self) -> &ExchangeReport {
        self.ex.report()
    }
}

/// The normalised JSON of an events page, as the vectors write it.
fn events_json<E>(page: EventsPage<E>, event: fn(&E) -> Value) -> Value {
    json!({"request_id": page.request_id, "events": page.events.iter().map(event).collect::<Vec<_>>()})
}

fn user_event_json(e: &UserEvent) -> Value {
    json!({"user_id": e.user_id, "kind": e.kind.as_str(), "ms": e.ms})
}

fn channel_event_json(e: &ChannelEvent) -> Value {
    json!({"channel_id": e.channel_id, "user_id": e.user_id, "kind": e.kind.as_str(), "ms": e.ms})
}

fn receipt_json(r: MessageReceipt) -> Out {
    Out::Json(json!({"request_id": r.request_id, "outcome": r.outcome.as_str()}))
}

/// The normalised JSON of a legacy history message.
fn history_message_json(m: &HistoryMessage) -> Value {
    json!({"src": m.src, "dst": m.dst, "message_type": m.kind.as_str(), "payload": m.payload, "ms": m.ms})
}

/// The normalised JSON of a Signaling 2.x message (BINARY payloads as base64).
fn v2_message_json(m: &crate::history_v2::HistoryV2Message) -> Value {
    let (kind, message) = match &m.payload {
        HistoryV2Payload::Text(t) => ("STRING", t.clone()),
        HistoryV2Payload::Binary(b) => (
            "BINARY",
            base64::engine::general_purpose::STANDARD.encode(b),
        ),
    };
    json!({"publisher": m.publisher, "timestamp": m.timestamp, "custom_type": m.custom_type,
           "message_type": kind, "message": message})
}

fn polled_json<T>(p: &Polled<T>, ready: impl FnOnce(&T) -> (&'static str, Value)) -> Value {
    match p {
        Polled::InProgress => json!({"code": "in progress"}),
        Polled::Ready(v) => {
            let (key, value) = ready(v);
            json!({"code": "ok", key: value})
        }
    }
}

fn out_json(out: Out) -> Value {
    match out {
        Out::Json(v) => v,
        Out::Handle(h) => json!({"handle": h.handle, "request_id": h.request_id}),
        Out::Fetched(p) => polled_json(&p, |m| {
            ("messages", m.iter().map(history_message_json).collect())
        }),
        Out::Counted(p) => polled_json(&p, |n| ("count", json!(n))),
        Out::V2(page) => json!({
            "request_id": page.request_id,
            "messages": page.messages.iter().map(v2_message_json).collect::<Vec<_>>(),
            "new_start": page.new_start,
        }),
    }
}

/// A vector's `operation`: the name of an event feed, or an object with `name`
/// and the operation's arguments (see `tests/vectors/README.md`).
#[derive(Debug, Clone)]
enum VectorOp {
    UserEvents,
    ChannelEvents,
    Peer(SendPeerMessage),
    Channel(SendChannelMessage),
    Create(HistoryQuery),
    Fetch(String),
    CountOnce(HistoryFilter),
    V2(HistoryV2Query),
    HistoryPage(HistoryQuery, PollPolicy),
    HistoryAll(HistoryQuery, PollPolicy),
    HistoryCount(HistoryFilter, PollPolicy),
    V2All(HistoryV2Query),
}

fn text<'a>(o: &'a Value, key: &str) -> Option<&'a str> {
    o.get(key).and_then(Value::as_str)
}

fn required<'a>(o: &'a Value, key: &str) -> Result<&'a str, Error> {
    text(o, key).ok_or_else(|| Error::invalid_input(key, "is required"))
}

fn u64_of(o: &Value, key: &str) -> Result<Option<u64>, Error> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| Error::invalid_input(key, "must be a non-negative integer")),
    }
}

fn filter_of(o: &Value) -> Result<HistoryFilter, Error> {
    HistoryFilter::new(
        text(o, "source"),
        text(o, "destination"),
        u64_of(o, "start_time")?.unwrap_or(0),
        u64_of(o, "end_time")?.unwrap_or(0),
    )
}

fn query_of(o: &Value) -> Result<HistoryQuery, Error> {
    let mut q = HistoryQuery::from_filter(filter_of(o)?);
    if let Some(limit) = u64_of(o, "limit")? {
        q = q.limit(u32::try_from(limit).unwrap_or(u32::MAX))?;
    }
    if let Some(order) = text(o, "order") {
        q = q.order(order.parse()?);
    }
    if let Some(offset) = u64_of(o, "offset")? {
        q = q.offset(offset);
    }
    Ok(q)
}

fn v2_query_of(o: &Value) -> Result<HistoryV2Query, Error> {
    let mut q = HistoryV2Query::new(
        required(o, "user_id")?,
        required(o, "channel_type")?.parse::<ChannelType>()?,
        required(o, "channel")?,
    )?
    .start(u64_of(o, "start")?)
    .end(u64_of(o, "end")?);
    if let Some(n) = u64_of(o, "message_count")? {
        q = q.message_count(u32::try_from(n).unwrap_or(u32::MAX))?;
    }
    q.validate()?;
    Ok(q)
}

fn policy_of(o: &Value) -> PollPolicy {
    let d = PollPolicy::default();
    PollPolicy {
        interval: ms(o, "poll_interval_ms").unwrap_or(d.interval),
        max_wait: ms(o, "poll_max_wait_ms").unwrap_or(d.max_wait),
        max_recreates: o
            .get("max_recreates")
            .and_then(Value::as_u64)
            .map_or(d.max_recreates, |n| u32::try_from(n).unwrap_or(u32::MAX)),
    }
}

fn op_from_json(op: &Value) -> Result<VectorOp, Error> {
    let name = match op {
        Value::String(s) => s.as_str(),
        _ => required(op, "name")?,
    };
    let flag = |key: &str| op.get(key).and_then(Value::as_bool).unwrap_or(false);
    Ok(match name {
        "user_events" => VectorOp::UserEvents,
        "channel_events" => VectorOp::ChannelEvents,
        "send_peer_message" => VectorOp::Peer(
            SendPeerMessage::new(
                text(op, "from").unwrap_or_default(),
                text(op, "to").unwrap_or_default(),
                text(op, "payload").unwrap_or_default(),
            )?
            .wait_for_ack(flag("wait_for_ack"))
            .store_in_history(flag("store_in_history")),
        ),
        "send_channel_message" => VectorOp::Channel(
            SendChannelMessage::new(
                text(op, "from").unwrap_or_default(),
                text(op, "channel").unwrap_or_default(),
                text(op, "payload").unwrap_or_default(),
            )?
            .store_in_history(flag("store_in_history")),
        ),
        "create_history_query" => VectorOp::Create(query_of(op)?),
        "fetch_history_query" => VectorOp::Fetch(required(op, "handle")?.to_owned()),
        "count_history_once" => VectorOp::CountOnce(filter_of(op)?),
        "history_v2" => VectorOp::V2(v2_query_of(op)?),
        "history_page" => VectorOp::HistoryPage(query_of(op)?, policy_of(op)),
        "history_all" => VectorOp::HistoryAll(query_of(op)?, policy_of(op)),
        "count_history" => VectorOp::HistoryCount(filter_of(op)?, policy_of(op)),
        "history_v2_all" => VectorOp::V2All(v2_query_of(op)?),
        other => {
            return Err(Error::invalid_input(
                "operation",
                format!("unknown vector operation {other:?}"),
            ));
        }
    })
}

/// Where a multi-request operation is.
enum Program {
    /// One request.
    Single,
    /// One legacy history page (or every page: `all` collects them).
    Query {
        flow: HistoryQueryFlow,
        all: bool,
        collected: Vec<Value>,
        pages: u32,
    },
    /// A legacy count.
    Count(HistoryCountFlow),
    /// Every Signaling 2.x page.
    V2All {
        query: HistoryV2Query,
        collected: Vec<Value>,
        pages: u32,
    },
}

/// Any operation of a vector case driven through the real [`Exchange`] (and, for
/// the history flows, the real [`HistoryQueryFlow`] / [`HistoryCountFlow`]), with
/// time as input and the result reduced to the normalised JSON the vectors expect.
/// It presents the exchange's own interface, so one runner loop drives every case.
///
/// ```
/// use std::sync::Arc;
/// use agora_rtm_rest_protocol::{vectors::VectorExchange, Config, Endpoints, HttpResponse, Instant, Shared, Step};
/// let config = Arc::new(Config::new("demo").unwrap()
///     .with_endpoints(Endpoints::custom(["http://127.0.0.1:1"], false).unwrap()));
/// let op = serde_json::json!({"name": "send_channel_message", "from": "u", "channel": "c", "payload": "hi"});
/// let mut ex = VectorExchange::new(&op, config.clone(), Shared::new(&config), vec![], 1).unwrap();
/// let Step::Send(req) = ex.start(Instant::ZERO) else { panic!() };
/// assert_eq!(req.url, "http://127.0.0.1:1/dev/v2/project/demo/rtm/users/u/channel_messages");
/// let Step::Done(Ok(v)) = ex.on_response(HttpResponse::new(200, r#"{"result":"success","request_id":"9"}"#), Instant::ZERO)
///     else { panic!() };
/// assert_eq!(v["outcome"], "message_sent");
/// ```
pub struct VectorExchange {
    config: Arc<Config>,
    shared: Shared,
    headers: Vec<(String, String)>,
    seed: u64,
    inner: Option<Box<dyn Erased>>,
    program: Program,
    /// True while a Wait step came from a flow (not from the inner exchange).
    flow_waiting: bool,
    call: Call,
    last_report: ExchangeReport,
}

impl std::fmt::Debug for VectorExchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VectorExchange").finish_non_exhaustive()
    }
}

impl VectorExchange {
    /// Prepares the case's `operation` (invalid arguments are the
    /// [`Error::InvalidInput`] the SDK gives before sending anything).
    pub fn new(
        operation: &Value,
        config: Arc<Config>,
        shared: Shared,
        headers: Vec<(String, String)>,
        seed: u64,
    ) -> Result<Self, Error> {
        let op = op_from_json(operation)?;
        let mut ex = VectorExchange {
            config,
            shared,
            headers,
            seed,
            inner: None,
            program: Program::Single,
            flow_waiting: false,
            call: Call::Other,
            last_report: ExchangeReport::default(),
        };
        match op {
            VectorOp::UserEvents => {
                ex.inner = Some(ex.typed(ReadUserEvents, |p| {
                    Out::Json(events_json(p, user_event_json))
                }));
            }
            VectorOp::ChannelEvents => {
                ex.inner = Some(ex.typed(ReadChannelEvents, |p| {
                    Out::Json(events_json(p, channel_event_json))
                }));
            }
            VectorOp::Peer(op) => ex.inner = Some(ex.typed(op, receipt_json)),
            VectorOp::Channel(op) => ex.inner = Some(ex.typed(op, receipt_json)),
            VectorOp::Create(q) => {
                ex.inner = Some(ex.typed(CreateHistoryQuery::new(q), Out::Handle))
            }
            VectorOp::Fetch(h) => {
                ex.inner = Some(ex.typed(FetchHistoryQuery::new(h), Out::Fetched))
            }
            VectorOp::CountOnce(f) => ex.inner = Some(ex.typed(CountHistory::new(f), Out::Counted)),
            VectorOp::V2(q) => ex.inner = Some(ex.typed(GetHistoryV2::new(q), Out::V2)),
            VectorOp::HistoryPage(q, p) => {
                ex.program = Program::Query {
                    flow: HistoryQueryFlow::new(q, p),
                    all: false,
                    collected: Vec::new(),
                    pages: 0,
                };
            }
            VectorOp::HistoryAll(q, p) => {
                ex.program = Program::Query {
                    flow: HistoryQueryFlow::new(q, p),
                    all: true,
                    collected: Vec::new(),
                    pages: 0,
                };
            }
            VectorOp::HistoryCount(f, p) => {
                ex.program = Program::Count(HistoryCountFlow::new(f, p))
            }
            VectorOp::V2All(q) => {
                ex.program = Program::V2All {
                    query: q,
                    collected: Vec::new(),
                    pages: 0,
                };
            }
        }
        Ok(ex)
    }

    fn typed<O: Operation + Send + 'static>(
        &self,
        op: O,
        conv: fn(O::Output) -> Out,
    ) -> Box<dyn Erased> {
        Box::new(Typed {
            ex: Exchange::new(
                op,
                self.config.clone(),
                self.shared.clone(),
                self.headers.clone(),
                self.seed,
            ),
            conv,
        })
    }

    /// The report of the current (or last) request's exchange.
    pub fn report(&self) -> &ExchangeReport {
        self.inner
            .as_ref()
            .map_or(&self.last_report, |i| i.report())
    }

    /// Starts the operation.
    pub fn start(&mut self, now: Instant) -> Step<Value> {
        let first = match &mut self.program {
            Program::Single => None,
            Program::Query { flow, .. } => Some(Next::from(flow.start(now))),
            Program::Count(flow) => Some(Next::from(flow.start(now))),
            Program::V2All { query, .. } => {
                let q = query.clone();
                self.inner = Some(self.typed(GetHistoryV2::new(q), Out::V2));
                None
            }
        };
        match first {
            Some(next) => self.follow(next, now),
            None => self.inner_step(|i| i.start(now), now),
        }
    }

    /// The response to the last `Send` arrived.
    pub fn on_response(&mut self, r: HttpResponse, now: Instant) -> Step<Value> {
        self.inner_step(|i| i.on_response(r, now), now)
    }

    /// The last `Send` failed at the network level.
    pub fn on_transport_error(&mut self, e: TransportError, now: Instant) -> Step<Value> {
        self.inner_step(|i| i.on_transport_error(e, now), now)
    }

    /// The wait of the last `Wait` step is over.
    pub fn on_wait_elapsed(&mut self, now: Instant) -> Step<Value> {
        if self.flow_waiting {
            self.flow_waiting = false;
            let next = match &mut self.program {
                Program::Query { flow, .. } => Next::from(flow.on_wait_elapsed(now)),
                Program::Count(flow) => Next::from(flow.on_wait_elapsed(now)),
                _ => Next::Done(Err(Error::invalid_input("vector", "not waiting"))),
            };
            return self.follow(next, now);
        }
        self.inner_step(|i| i.on_wait_elapsed(now), now)
    }

    fn inner_step(
        &mut self,
        f: impl FnOnce(&mut dyn Erased) -> Step<Out>,
        now: Instant,
    ) -> Step<Value> {
        let Some(inner) = self.inner.as_mut() else {
            return Step::Done(Err(Error::invalid_input("vector", "no request in flight")));
        };
        match f(inner.as_mut()) {
            Step::Send(r) => Step::Send(r),
            Step::Wait(d) => Step::Wait(d),
            Step::Done(result) => {
                self.last_report = inner.report().clone();
                self.inner = None;
                self.inner_done(result, now)
            }
        }
    }

    /// An inner exchange ended: hand its result to the program.
    fn inner_done(&mut self, result: Result<Out, Error>, now: Instant) -> Step<Value> {
        let unexpected = || Next::Done(Err(Error::invalid_input("vector", "unexpected output")));
        let next = match &mut self.program {
            Program::Single => return Step::Done(result.map(out_json)),
            Program::Query { flow, .. } => match (self.call, result) {
                (Call::Create, Ok(Out::Handle(h))) => Next::from(flow.on_created(Ok(h), now)),
                (Call::Create, Err(e)) => Next::from(flow.on_created(Err(e), now)),
                (Call::Fetch, Ok(Out::Fetched(p))) => Next::from(flow.on_fetched(Ok(p), now)),
                (Call::Fetch, Err(e)) => Next::from(flow.on_fetched(Err(e), now)),
                _ => unexpected(),
            },
            Program::Count(flow) => match result {
                Ok(Out::Counted(p)) => Next::from(flow.on_counted(Ok(p), now)),
                Ok(_) => unexpected(),
                Err(e) => Next::from(flow.on_counted(Err(e), now)),
            },
            Program::V2All {
                query,
                collected,
                pages,
            } => {
                let page = match result {
                    Ok(Out::V2(page)) => page,
                    Ok(_) => {
                        return Step::Done(Err(Error::invalid_input(
                            "vector",
                            "unexpected output",
                        )));
                    }
                    Err(e) => return Step::Done(Err(e)),
                };
                *pages += 1;
                collected.extend(page.messages.iter().map(v2_message_json));
                let Some(next) = query.next_page(&page) else {
                    let done = json!({"pages": *pages, "messages": std::mem::take(collected)});
                    return Step::Done(Ok(done));
                };
                *query = next.clone();
                self.inner = Some(self.typed(GetHistoryV2::new(next), Out::V2));
                return self.inner_step(|i| i.start(now), now);
            }
        };
        self.follow(next, now)
    }

    /// Carries out what a flow asked for.
    fn follow(&mut self, next: Next, now: Instant) -> Step<Value> {
        match next {
            Next::Create(op) => {
                self.call = Call::Create;
                self.inner = Some(self.typed(op, Out::Handle));
                self.inner_step(|i| i.start(now), now)
            }
            Next::Fetch(op) => {
                self.call = Call::Fetch;
                self.inner = Some(self.typed(op, Out::Fetched));
                self.inner_step(|i| i.start(now), now)
            }
            Next::Count(op) => {
                self.call = Call::Count;
                self.inner = Some(self.typed(op, Out::Counted));
                self.inner_step(|i| i.start(now), now)
            }
            Next::Wait(d) => {
                self.flow_waiting = true;
                Step::Wait(d)
            }
            Next::Done(result) => Step::Done(result),
            Next::Messages(messages) => {
                let Program::Query {
                    flow,
                    all,
                    collected,
                    pages,
                } = &mut self.program
                else {
                    return Step::Done(Err(Error::invalid_input("vector", "unexpected messages")));
                };
                let received = messages.len();
                if !flow.query().is_trailing_empty_page(received) {
                    *pages += 1;
                }
                collected.extend(messages.iter().map(history_message_json));
                let next_query = flow.query().next_page(received);
                match next_query {
                    Some(q) if *all => {
                        let policy = flow.policy();
                        *flow = HistoryQueryFlow::new(q, policy);
                        let first = Next::from(flow.start(now));
                        self.follow(first, now)
                    }
                    _ => Step::Done(Ok(
                        json!({"pages": *pages, "messages": std::mem::take(collected)}),
                    )),
                }
            }
        }
    }
}

/// Which kind of request the inner exchange is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    Other,
    Create,
    Fetch,
    Count,
}

/// A flow's next step, with its typed result unified.
enum Next {
    Create(CreateHistoryQuery),
    Fetch(FetchHistoryQuery),
    Count(CountHistory),
    Wait(std::time::Duration),
    Done(Result<Value, Error>),
    Messages(Vec<HistoryMessage>),
}

impl From<FlowStep<Vec<HistoryMessage>>> for Next {
    fn from(step: FlowStep<Vec<HistoryMessage>>) -> Self {
        match step {
            FlowStep::Create(op) => Next::Create(op),
            FlowStep::Fetch(op) => Next::Fetch(op),
            FlowStep::Count(op) => Next::Count(op),
            FlowStep::Wait(d) => Next::Wait(d),
            FlowStep::Done(Ok(m)) => Next::Messages(m),
            FlowStep::Done(Err(e)) => Next::Done(Err(e)),
        }
    }
}

impl From<FlowStep<u64>> for Next {
    fn from(step: FlowStep<u64>) -> Self {
        match step {
            FlowStep::Create(op) => Next::Create(op),
            FlowStep::Fetch(op) => Next::Fetch(op),
            FlowStep::Count(op) => Next::Count(op),
            FlowStep::Wait(d) => Next::Wait(d),
            FlowStep::Done(r) => Next::Done(r.map(|n| json!({"count": n}))),
        }
    }
}
