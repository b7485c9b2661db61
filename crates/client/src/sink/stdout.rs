//! JSON lines on standard output (the `-` sink): the same lines as the
//! JSON-lines file sink ([`WatchItem::to_json`](agora_rtm_rest_protocol::watch::WatchItem::to_json)
//! plus `"source"`), flushed after every batch. Standard output cannot be
//! synced: a pipe's reader decides what is durable.

use std::io::Write;

use super::jsonl::{batch_lines, run_blocking};
use super::{Batch, Sink, SinkError};
use crate::transport::BoxFuture;

/// Writes batches to standard output as JSON lines.
#[derive(Debug, Default)]
pub struct StdoutSink {
    _private: (),
}

impl StdoutSink {
    /// A sink writing to this process's standard output.
    pub fn new() -> Self {
        StdoutSink::default()
    }
}

impl Sink for StdoutSink {
    fn write<'a>(&'a mut self, batch: &'a Batch) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            if batch.items.is_empty() {
                return Ok(());
            }
            let text = batch_lines(batch);
            // A slow pipe blocks the writer: keep that off the async workers.
            run_blocking(move || {
                let mut out = std::io::stdout().lock();
                out.write_all(text.as_bytes())?;
                out.flush()?;
                Ok(())
            })
            .await
        })
    }

    fn close(&mut self) -> BoxFuture<'_, Result<(), SinkError>> {
        Box::pin(run_blocking(|| {
            std::io::stdout().lock().flush().map_err(SinkError::from)
        }))
    }
}
