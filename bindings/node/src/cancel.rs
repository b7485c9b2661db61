//! Cancellation of in-flight calls (the JavaScript `AbortSignal`).
//!
//! The JavaScript layer allocates a token id before a call, cancels it when the
//! signal aborts and releases it when the call settles. The Rust future selects on
//! the token and is dropped on cancellation (which is how the Rust client is
//! cancelled).

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

use napi_derive::napi;
use tokio::sync::watch;

use crate::errors;

type Registry = Mutex<HashMap<u32, watch::Sender<bool>>>;

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

static NEXT_ID: AtomicU32 = AtomicU32::new(1);

/// Allocates a cancellation token and returns its id.
#[napi]
pub fn cancel_token_new() -> u32 {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let (tx, _rx) = watch::channel(false);
    registry()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id, tx);
    id
}

/// Cancels the calls using token `id` (unknown ids are ignored).
#[napi]
pub fn cancel_token_cancel(id: u32) {
    if let Some(tx) = registry()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&id)
    {
        tx.send_replace(true);
    }
}

/// Forgets token `id`.
#[napi]
pub fn cancel_token_release(id: u32) {
    registry()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&id);
}

/// Runs `fut` unless token `id` is (or becomes) cancelled; then the future is
/// dropped and the call rejects with an `aborted` error.
pub(crate) async fn cancellable<T>(
    id: Option<u32>,
    fut: impl Future<Output = napi::Result<T>>,
) -> napi::Result<T> {
    let rx = id.and_then(|id| {
        registry()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
            .map(watch::Sender::subscribe)
    });
    let Some(mut rx) = rx else {
        return fut.await;
    };
    if *rx.borrow() {
        return Err(errors::aborted());
    }
    let cancelled = async move {
        if rx.wait_for(|c| *c).await.is_err() {
            // Released without a cancel: never fires.
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        r = fut => r,
        () = cancelled => Err(errors::aborted()),
    }
}
