//! A scripted in-memory transport for tests: answers from a queue and records
//! every request it was given.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use agora_rtm_rest_protocol::{HttpRequest, HttpResponse, TransportError, TransportErrorKind};

use crate::transport::{BoxFuture, Transport};

/// Answers requests from a script, in order; an exhausted script answers with a
/// transport error.
///
/// ```
/// use agora_rtm_rest::testing::ScriptedTransport;
/// use agora_rtm_rest::HttpResponse;
/// let t = ScriptedTransport::new();
/// t.push_response(HttpResponse::new(408, ""));
/// t.push_response(HttpResponse::new(200, r#"{"result":"success","request_id":"1","events":[]}"#));
/// assert_eq!(t.remaining(), 2);
/// ```
#[derive(Clone, Default)]
pub struct ScriptedTransport {
    script: Arc<Mutex<VecDeque<Result<HttpResponse, TransportError>>>>,
    requests: Arc<Mutex<Vec<HttpRequest>>>,
}

impl ScriptedTransport {
    /// An empty script.
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues a response.
    pub fn push_response(&self, response: HttpResponse) {
        self.script
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back(Ok(response));
    }

    /// Queues a transport failure.
    pub fn push_error(&self, error: TransportError) {
        self.script
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back(Err(error));
    }

    /// Answers not yet used.
    pub fn remaining(&self) -> usize {
        self.script.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<HttpRequest> {
        self.requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Transport for ScriptedTransport {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        self.requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(request);
        let next = self
            .script
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front();
        Box::pin(async move {
            next.unwrap_or_else(|| {
                Err(TransportError::new(
                    TransportErrorKind::Other,
                    "script exhausted",
                ))
            })
        })
    }
}
