//! Sending messages and reading message history: thin drivers over the
//! protocol's operations and history flows.

use agora_rtm_rest_protocol::history::{FlowStep, HistoryCountFlow, HistoryQueryFlow};
use agora_rtm_rest_protocol::messages::check_acting_user;
use agora_rtm_rest_protocol::{
    Error, HistoryFilter, HistoryMessage, HistoryQuery, HistoryV2Message, HistoryV2Page,
    HistoryV2Query, MessageReceipt, SendChannelMessage, SendPeerMessage,
};
use futures_util::Stream;

use crate::client::Client;
use crate::clock;

impl Client {
    /// Sends a message from one user to another.
    ///
    /// With token auth the sender must be the token's user (the service would
    /// answer 401): that is refused here, before any request, as invalid input.
    ///
    /// ```no_run
    /// # async fn demo(client: agora_rtm_rest::Client) -> Result<(), agora_rtm_rest::Error> {
    /// use agora_rtm_rest::{MessageOutcome, SendPeerMessage};
    /// let receipt = client
    ///     .send_peer_message(SendPeerMessage::new("server", "alice", "hello")?.wait_for_ack(true))
    ///     .await?;
    /// if receipt.outcome == MessageOutcome::Offline {
    ///     println!("alice is offline");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn send_peer_message(
        &self,
        message: SendPeerMessage,
    ) -> Result<MessageReceipt, Error> {
        check_acting_user(self.credentials(), "from", message.from())?;
        self.execute(message).await.0
    }

    /// Sends a message from a user to a channel (same sender rule as
    /// [`send_peer_message`](Self::send_peer_message)).
    pub async fn send_channel_message(
        &self,
        message: SendChannelMessage,
    ) -> Result<MessageReceipt, Error> {
        check_acting_user(self.credentials(), "from", message.from())?;
        self.execute(message).await.0
    }

    /// One page of legacy history: creates the query, polls it while the
    /// service answers `in progress`, creates it again if its handle expired
    /// (410), and gives up after the client's [`PollPolicy`](agora_rtm_rest_protocol::PollPolicy).
    pub async fn history_page(&self, query: HistoryQuery) -> Result<Vec<HistoryMessage>, Error> {
        let mut flow = HistoryQueryFlow::new(query, self.poll_policy());
        let mut step = flow.start(clock::now());
        loop {
            step = match step {
                FlowStep::Create(op) => {
                    let result = self.execute(op).await.0;
                    flow.on_created(result, clock::now())
                }
                FlowStep::Fetch(op) => {
                    let result = self.execute(op).await.0;
                    flow.on_fetched(result, clock::now())
                }
                FlowStep::Wait(d) => {
                    tokio::time::sleep(d).await;
                    flow.on_wait_elapsed(clock::now())
                }
                FlowStep::Count(_) => {
                    return Err(Error::invalid_input(
                        "history flow",
                        "unexpected count step",
                    ));
                }
                FlowStep::Done(result) => return result,
            };
        }
    }

    /// Every page of legacy history from `query` on, fetched lazily: the next
    /// page is only requested when the stream is polled past the current one.
    ///
    /// ```no_run
    /// # async fn demo(client: agora_rtm_rest::Client) -> Result<(), agora_rtm_rest::Error> {
    /// use agora_rtm_rest::HistoryQuery;
    /// use futures_util::TryStreamExt;
    /// let query = HistoryQuery::new(None, Some("lobby"), 1_700_000_000, 1_700_086_400)?.limit(100)?;
    /// let mut pages = std::pin::pin!(client.history(query));
    /// while let Some(page) = pages.try_next().await? {
    ///     for m in page { println!("{} -> {}: {}", m.src, m.dst, m.payload); }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn history(
        &self,
        query: HistoryQuery,
    ) -> impl Stream<Item = Result<Vec<HistoryMessage>, Error>> + Send + 'static {
        let pages = HistoryPages::new(self.clone(), query);
        futures_util::stream::unfold(pages, |mut pages| async move {
            pages.next_page().await.map(|page| (page, pages))
        })
    }

    /// How many stored messages match `filter` (polling while `in progress`).
    pub async fn count_history(&self, filter: HistoryFilter) -> Result<u64, Error> {
        let mut flow = HistoryCountFlow::new(filter, self.poll_policy());
        let mut step = flow.start(clock::now());
        loop {
            step = match step {
                FlowStep::Count(op) => {
                    let result = self.execute(op).await.0;
                    flow.on_counted(result, clock::now())
                }
                FlowStep::Wait(d) => {
                    tokio::time::sleep(d).await;
                    flow.on_wait_elapsed(clock::now())
                }
                FlowStep::Create(_) | FlowStep::Fetch(_) => {
                    return Err(Error::invalid_input(
                        "history flow",
                        "unexpected query step",
                    ));
                }
                FlowStep::Done(result) => return result,
            };
        }
    }

    /// One page of Signaling 2.x history (newest first). With token auth the
    /// query's user must be the token's user.
    pub async fn history_v2_page(&self, query: HistoryV2Query) -> Result<HistoryV2Page, Error> {
        query.validate()?;
        check_acting_user(self.credentials(), "user_id", query.user_id())?;
        self.execute(agora_rtm_rest_protocol::history_v2::GetHistoryV2::new(
            query,
        ))
        .await
        .0
    }

    /// Every page of Signaling 2.x history from `query` on, following `newStart`
    /// until the service answers 0; fetched lazily.
    pub fn history_v2(
        &self,
        query: HistoryV2Query,
    ) -> impl Stream<Item = Result<Vec<HistoryV2Message>, Error>> + Send + 'static {
        let pages = HistoryV2Pages::new(self.clone(), query);
        futures_util::stream::unfold(pages, |mut pages| async move {
            pages.next_page().await.map(|page| (page, pages))
        })
    }
}

/// A cursor over the pages of a legacy history query (what [`Client::history`]
/// streams; bindings hold one to page lazily). After an error it ends.
#[derive(Debug)]
pub struct HistoryPages {
    client: Client,
    next: Option<HistoryQuery>,
}

impl HistoryPages {
    /// A cursor starting at `query`.
    pub fn new(client: Client, query: HistoryQuery) -> Self {
        HistoryPages {
            client,
            next: Some(query),
        }
    }

    /// The next page, or `None` once the last (short) page was returned.
    pub async fn next_page(&mut self) -> Option<Result<Vec<HistoryMessage>, Error>> {
        let query = self.next.take()?;
        match self.client.history_page(query.clone()).await {
            // A full page was the last one: the history simply ends.
            Ok(page) if query.is_trailing_empty_page(page.len()) => None,
            Ok(page) => {
                self.next = query.next_page(page.len());
                Some(Ok(page))
            }
            Err(e) => Some(Err(e)),
        }
    }

    /// True when no page is left.
    pub fn is_done(&self) -> bool {
        self.next.is_none()
    }
}

/// A cursor over the pages of a Signaling 2.x history query. After an error it ends.
#[derive(Debug)]
pub struct HistoryV2Pages {
    client: Client,
    next: Option<HistoryV2Query>,
}

impl HistoryV2Pages {
    /// A cursor starting at `query`.
    pub fn new(client: Client, query: HistoryV2Query) -> Self {
        HistoryV2Pages {
            client,
            next: Some(query),
        }
    }

    /// The next page's messages, or `None` once `newStart` was 0.
    pub async fn next_page(&mut self) -> Option<Result<Vec<HistoryV2Message>, Error>> {
        let query = self.next.take()?;
        match self.client.history_v2_page(query.clone()).await {
            Ok(page) => {
                self.next = query.next_page(&page);
                Some(Ok(page.messages))
            }
            Err(e) => Some(Err(e)),
        }
    }

    /// True when no page is left.
    pub fn is_done(&self) -> bool {
        self.next.is_none()
    }
}
