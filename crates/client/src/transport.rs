//! The HTTP stack behind the client, as a trait (in the style of oauth2-rs): the
//! default is reqwest with rustls; anything that can move an [`HttpRequest`] and
//! bring back an [`HttpResponse`] can replace it.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use agora_rtm_rest_protocol::config::DEFAULT_MAX_BODY_BYTES;
use agora_rtm_rest_protocol::{
    HttpRequest, HttpResponse, Method, TransportError, TransportErrorKind,
};
use futures_util::StreamExt as _;

/// A boxed, sendable future (what [`Transport::send`] returns).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Sends one request. Implementations must not retry (the protocol's exchange
/// decides that) and must classify failures with the right
/// [`TransportErrorKind`]: it decides failover and whether events may have been lost.
///
/// ```
/// use agora_rtm_rest::transport::{BoxFuture, Transport};
/// use agora_rtm_rest::{HttpRequest, HttpResponse, TransportError};
///
/// /// Answers every request with an empty page.
/// struct Canned;
/// impl Transport for Canned {
///     fn send(&self, _req: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
///         Box::pin(async { Ok(HttpResponse::new(200, r#"{"result":"success","request_id":"1","events":[]}"#)) })
///     }
/// }
/// ```
pub trait Transport: Send + Sync + 'static {
    /// Sends `request` and returns the whole response.
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>>;
}

/// Timeouts and limits of the default transport.
#[derive(Debug, Clone)]
pub struct TransportOptions {
    /// Time to establish a connection (default 5 s).
    pub connect_timeout: Duration,
    /// Time for a whole request, body included (default 15 s).
    pub request_timeout: Duration,
    /// Largest body read; a longer one is refused while streaming (default 8 MiB).
    pub max_body_bytes: usize,
}

impl Default for TransportOptions {
    fn default() -> Self {
        TransportOptions {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(15),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

/// The default transport: reqwest with rustls (no OpenSSL), pooled connections.
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
    max_body_bytes: usize,
}

impl ReqwestTransport {
    /// A transport with the given options.
    pub fn new(options: &TransportOptions) -> Result<Self, TransportError> {
        let client = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| {
                TransportError::new(
                    TransportErrorKind::Other,
                    format!("cannot build HTTP client: {e}"),
                )
            })?;
        Ok(ReqwestTransport {
            client,
            max_body_bytes: options.max_body_bytes,
        })
    }

    /// Wraps an existing reqwest client (its own timeouts apply).
    pub fn from_client(client: reqwest::Client, max_body_bytes: usize) -> Self {
        ReqwestTransport {
            client,
            max_body_bytes,
        }
    }
}

impl Transport for ReqwestTransport {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(async move {
            let method = match request.method {
                Method::Get => reqwest::Method::GET,
                Method::Post => reqwest::Method::POST,
                Method::Put => reqwest::Method::PUT,
                Method::Delete => reqwest::Method::DELETE,
            };
            let mut builder = self.client.request(method, &request.url);
            for (name, value) in &request.headers {
                builder = builder.header(name, value);
            }
            if let Some(body) = request.body {
                builder = builder.body(body);
            }
            let response = builder.send().await.map_err(classify)?;
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
                .collect();
            if response
                .content_length()
                .is_some_and(|len| len > self.max_body_bytes as u64)
            {
                return Err(too_large(self.max_body_bytes));
            }
            let mut body = Vec::new();
            let mut stream = response.bytes_stream();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(classify)?;
                if body.len() + chunk.len() > self.max_body_bytes {
                    return Err(too_large(self.max_body_bytes));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(HttpResponse {
                status,
                headers,
                body,
            })
        })
    }
}

fn too_large(cap: usize) -> TransportError {
    TransportError::new(
        TransportErrorKind::BodyTooLarge,
        format!("response body exceeds the {cap} byte cap"),
    )
}

/// Maps a reqwest error to the protocol's kinds. reqwest does not expose DNS
/// failures as a kind, so the source chain's text is inspected for hyper-util's
/// "dns error" (the failover rule depends on it).
fn classify(error: reqwest::Error) -> TransportError {
    let mut chain = String::new();
    let mut source: Option<&dyn std::error::Error> = Some(&error);
    while let Some(e) = source {
        if !chain.is_empty() {
            chain.push_str(": ");
        }
        chain.push_str(&e.to_string());
        source = e.source();
    }
    // reqwest's messages include the URL; strip the query just in case.
    let message = error
        .url()
        .map_or(chain.clone(), |u| chain.replace(u.as_str(), u.path()));
    let kind = if chain.contains("dns error") || chain.contains("failed to lookup address") {
        TransportErrorKind::Dns
    } else if error.is_timeout() {
        TransportErrorKind::Timeout
    } else if error.is_connect() {
        TransportErrorKind::Connect
    } else if error.is_body() || error.is_decode() || error.is_request() {
        TransportErrorKind::Interrupted
    } else {
        TransportErrorKind::Other
    };
    TransportError::new(kind, message)
}
