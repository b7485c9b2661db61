//! A blocking client for programs without an async runtime.

use agora_rtm_rest_protocol::{
    ChannelEvent, Error, EventsPage, ExchangeReport, HistoryFilter, HistoryMessage, HistoryQuery,
    HistoryV2Message, HistoryV2Page, HistoryV2Query, MessageReceipt, Operation, SendChannelMessage,
    SendPeerMessage, UserEvent,
};

use crate::messaging::{HistoryPages, HistoryV2Pages};

use crate::client::{Client as AsyncClient, ClientBuilder};

/// The blocking twin of [`crate::Client`]: the same methods, run on a private
/// single-threaded tokio runtime. Do not use it from inside an async runtime (it
/// returns an error instead of deadlocking).
///
/// ```no_run
/// use agora_rtm_rest::{blocking, ClientBuilder, Credentials};
/// let client = blocking::Client::new(
///     ClientBuilder::new("demo")
///         .credentials(Credentials::basic("id", "secret").unwrap())
///         .base_url("http://127.0.0.1:8080"),
/// ).unwrap();
/// let page = client.user_events().unwrap();
/// println!("{} events", page.events.len());
/// ```
pub struct Client {
    inner: AsyncClient,
    runtime: tokio::runtime::Runtime,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("blocking::Client")
            .field("inner", &self.inner)
            .finish()
    }
}

impl Client {
    /// Builds the async client and a runtime for it.
    pub fn new(builder: ClientBuilder) -> Result<Self, Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                Error::invalid_input("runtime", format!("cannot start a tokio runtime: {e}"))
            })?;
        // reqwest's client must be built inside a runtime context.
        let inner = {
            let _guard = runtime.enter();
            builder.build()?
        };
        Ok(Client { inner, runtime })
    }

    /// A client configured from the environment.
    pub fn from_env() -> Result<Self, Error> {
        Self::new(ClientBuilder::from_env()?)
    }

    /// The async client underneath (shares limiter and transport).
    pub fn as_async(&self) -> &AsyncClient {
        &self.inner
    }

    /// See [`crate::Client::user_events`].
    pub fn user_events(&self) -> Result<EventsPage<UserEvent>, Error> {
        self.block_on(self.inner.user_events())
    }

    /// See [`crate::Client::channel_events`].
    pub fn channel_events(&self) -> Result<EventsPage<ChannelEvent>, Error> {
        self.block_on(self.inner.channel_events())
    }

    /// See [`AsyncClient::send_peer_message`].
    pub fn send_peer_message(&self, message: SendPeerMessage) -> Result<MessageReceipt, Error> {
        self.block_on(self.inner.send_peer_message(message))
    }

    /// See [`AsyncClient::send_channel_message`].
    pub fn send_channel_message(
        &self,
        message: SendChannelMessage,
    ) -> Result<MessageReceipt, Error> {
        self.block_on(self.inner.send_channel_message(message))
    }

    /// See [`AsyncClient::history_page`].
    pub fn history_page(&self, query: HistoryQuery) -> Result<Vec<HistoryMessage>, Error> {
        self.block_on(self.inner.history_page(query))
    }

    /// The pages of a legacy history query, fetched lazily as the iterator advances.
    pub fn history(
        &self,
        query: HistoryQuery,
    ) -> impl Iterator<Item = Result<Vec<HistoryMessage>, Error>> + '_ {
        let mut pages = HistoryPages::new(self.inner.clone(), query);
        std::iter::from_fn(move || self.block_on_opt(pages.next_page()))
    }

    /// See [`AsyncClient::count_history`].
    pub fn count_history(&self, filter: HistoryFilter) -> Result<u64, Error> {
        self.block_on(self.inner.count_history(filter))
    }

    /// See [`AsyncClient::history_v2_page`].
    pub fn history_v2_page(&self, query: HistoryV2Query) -> Result<HistoryV2Page, Error> {
        self.block_on(self.inner.history_v2_page(query))
    }

    /// The pages of a Signaling 2.x history query, fetched lazily.
    pub fn history_v2(
        &self,
        query: HistoryV2Query,
    ) -> impl Iterator<Item = Result<Vec<HistoryV2Message>, Error>> + '_ {
        let mut pages = HistoryV2Pages::new(self.inner.clone(), query);
        std::iter::from_fn(move || self.block_on_opt(pages.next_page()))
    }

    /// See [`crate::Client::execute`].
    pub fn execute<O: Operation>(&self, op: O) -> (Result<O::Output, Error>, ExchangeReport) {
        if tokio::runtime::Handle::try_current().is_ok() {
            return (Err(in_runtime()), ExchangeReport::default());
        }
        self.runtime.block_on(self.inner.execute(op))
    }

    fn block_on<T>(
        &self,
        fut: impl std::future::Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(in_runtime());
        }
        self.runtime.block_on(fut)
    }
}

impl Client {
    fn block_on_opt<T>(
        &self,
        fut: impl std::future::Future<Output = Option<Result<T, Error>>>,
    ) -> Option<Result<T, Error>> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Some(Err(in_runtime()));
        }
        self.runtime.block_on(fut)
    }
}

fn in_runtime() -> Error {
    Error::invalid_input(
        "blocking::Client",
        "called from inside an async runtime; use agora_rtm_rest::Client",
    )
}
