//! A foreign-implementable HTTP stack ([`HttpTransport`]) and its adapter to the
//! client's [`agora_rtm_rest::Transport`] trait.

use std::sync::Arc;

use agora_rtm_rest as rtm;
use agora_rtm_rest::transport::BoxFuture;

use crate::error::HttpTransportError;

/// One HTTP header.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpHeader {
    /// The name.
    pub name: String,
    /// The value.
    pub value: String,
}

fn headers(list: &[(String, String)]) -> Vec<HttpHeader> {
    list.iter()
        .map(|(name, value)| HttpHeader {
            name: name.clone(),
            value: value.clone(),
        })
        .collect()
}

/// A request to send. It carries credentials in its headers, so its
/// `toString()` / `description` redact them.
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct HttpRequest {
    pub(crate) inner: rtm::HttpRequest,
}

impl std::fmt::Display for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The Rust `Debug` of a request redacts secret headers.
        write!(f, "{:?}", self.inner)
    }
}

#[uniffi::export]
impl HttpRequest {
    /// `GET`, `POST`, ...
    pub fn method(&self) -> String {
        self.inner.method.as_str().to_owned()
    }

    /// The absolute URL.
    pub fn url(&self) -> String {
        self.inner.url.clone()
    }

    /// Every header, credentials included (send them; do not log them).
    pub fn headers(&self) -> Vec<HttpHeader> {
        headers(&self.inner.headers)
    }

    /// A header's value (name compared case-insensitively).
    pub fn header(&self, name: String) -> Option<String> {
        self.inner.header(&name).map(str::to_owned)
    }

    /// The body, if any.
    pub fn body(&self) -> Option<Vec<u8>> {
        self.inner.body.clone()
    }
}

/// A whole response.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpResponse {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    #[uniffi(default)]
    pub headers: Vec<HttpHeader>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl From<HttpResponse> for rtm::HttpResponse {
    fn from(r: HttpResponse) -> Self {
        let mut out = rtm::HttpResponse::new(r.status, r.body);
        for h in r.headers {
            out = out.with_header(h.name, h.value);
        }
        out
    }
}

/// An HTTP stack implemented in Kotlin (OkHttp, ...) or Swift (URLSession, ...).
/// It must not retry (the SDK decides that) and must classify failures with the
/// right [`TransportErrorKind`](crate::TransportErrorKind).
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait HttpTransport: Send + Sync {
    /// Sends `request` and returns the whole response.
    async fn send(&self, request: Arc<HttpRequest>) -> Result<HttpResponse, HttpTransportError>;
}

/// Adapts a foreign [`HttpTransport`] to the client's [`rtm::Transport`].
pub(crate) struct ForeignTransport(pub(crate) Arc<dyn HttpTransport>);

impl rtm::Transport for ForeignTransport {
    fn send(
        &self,
        request: rtm::HttpRequest,
    ) -> BoxFuture<'_, Result<rtm::HttpResponse, rtm::TransportError>> {
        let transport = self.0.clone();
        Box::pin(async move {
            transport
                .send(Arc::new(HttpRequest { inner: request }))
                .await
                .map(Into::into)
                .map_err(Into::into)
        })
    }
}
