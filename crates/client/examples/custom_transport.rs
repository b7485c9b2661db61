//! Plugging another HTTP stack into the client.
//!
//! The transport below is a deliberately tiny HTTP/1.1 client over a tokio
//! `TcpStream` (plain http only, one connection per request): enough to talk to
//! the local emulator, and short enough to show everything a `Transport` must do,
//! including classifying failures. In an application you would wrap hyper, isahc,
//! or your company's HTTP client the same way.
//!
//! Run: `cargo run -p agora-rtm-rest --example custom_transport`

use agora_rtm_rest::transport::{BoxFuture, Transport};
use agora_rtm_rest::{
    Client, Credentials, HttpRequest, HttpResponse, TransportError, TransportErrorKind,
};
use agora_rtm_rest_emulator::{Emulator, EmulatorConfig, UserEvent, UserEventKind};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

struct TinyHttp;

impl Transport for TinyHttp {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(async move {
            let rest = request.url.strip_prefix("http://").ok_or_else(|| {
                TransportError::new(TransportErrorKind::Other, "TinyHttp speaks plain http only")
            })?;
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let mut stream = tokio::net::TcpStream::connect(authority)
                .await
                .map_err(|e| TransportError::new(TransportErrorKind::Connect, e.to_string()))?;
            let mut head = format!(
                "{} {} HTTP/1.1\r\nhost: {authority}\r\nconnection: close\r\n",
                request.method, path
            );
            for (name, value) in &request.headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            let body = request.body.unwrap_or_default();
            head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
            let interrupted = |e: std::io::Error| {
                TransportError::new(TransportErrorKind::Interrupted, e.to_string())
            };
            stream
                .write_all(head.as_bytes())
                .await
                .map_err(interrupted)?;
            stream.write_all(&body).await.map_err(interrupted)?;
            let mut raw = Vec::new();
            stream.read_to_end(&mut raw).await.map_err(interrupted)?;
            parse_response(&raw).ok_or_else(|| {
                TransportError::new(TransportErrorKind::Interrupted, "malformed response")
            })
        })
    }
}

/// Parses a `connection: close` HTTP/1.1 response with a content-length body.
fn parse_response(raw: &[u8]) -> Option<HttpResponse> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Some(HttpResponse {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::start(EmulatorConfig::default()).await?;
    emulator.inject_user_events(
        "demo",
        vec![UserEvent {
            user_id: "alice".into(),
            kind: UserEventKind::Login,
            ms: 1_700_000_000_000,
        }],
        None,
    );
    let client = Client::builder("demo")
        .credentials(Credentials::basic("id", "secret")?)
        .base_url(emulator.base_url())
        .transport(TinyHttp)
        .build()?;
    let page = client.user_events().await?;
    for event in &page.events {
        println!("{} {} at {}", event.user_id, event.kind, event.ms);
    }
    assert_eq!(page.events.len(), 1);
    emulator.shutdown().await;
    Ok(())
}
