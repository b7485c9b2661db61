//! A JSON-lines file: one JSON object per item ([`WatchItem::to_json`] plus a
//! `"source"` field naming the host read), appended and synced (`fsync` of the
//! data) after every batch, before [`Sink::write`] returns.
//!
//! Size-based rotation: when a batch leaves the file larger than `max_bytes`
//! (default 64 MiB), `PATH.N-1` becomes `PATH.N`, ..., `PATH.1` becomes
//! `PATH.2`, `PATH` becomes `PATH.1` and a new, empty `PATH` is opened; at most
//! `keep` (default 5) rotated files are kept (the oldest is deleted). A batch is
//! never split across two files.
//!
//! The directory must exist: it is not created (a typo in a path should fail,
//! not scatter files).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use agora_rtm_rest_protocol::watch::WatchItem;

use super::{Batch, Sink, SinkError};
use crate::transport::BoxFuture;

/// Default rotation threshold: 64 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Default number of rotated files kept.
pub const DEFAULT_KEEP: u32 = 5;

/// Appends batches to a JSON-lines file, with size-based rotation.
///
/// ```no_run
/// use agora_rtm_rest::sink::JsonlSink;
/// let sink = JsonlSink::open("events.jsonl")?;
/// # Ok::<(), agora_rtm_rest::sink::SinkError>(())
/// ```
#[derive(Debug)]
pub struct JsonlSink {
    // Shared with the blocking task that does the I/O, so that a write whose
    // future is dropped still finishes before the next one starts.
    state: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    path: PathBuf,
    max_bytes: u64,
    keep: u32,
    file: Option<File>,
    size: u64,
}

impl JsonlSink {
    /// Opens (creating or appending to) `path` with the default rotation
    /// settings ([`DEFAULT_MAX_BYTES`], [`DEFAULT_KEEP`]).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, SinkError> {
        Self::open_with(path, DEFAULT_MAX_BYTES, DEFAULT_KEEP)
    }

    /// Opens `path`, rotating once a batch leaves it larger than `max_bytes` and
    /// keeping `keep` rotated files. Both must be at least 1.
    pub fn open_with(path: impl AsRef<Path>, max_bytes: u64, keep: u32) -> Result<Self, SinkError> {
        let path = path.as_ref().to_path_buf();
        if max_bytes == 0 {
            return Err(SinkError::Config(
                "the JSON-lines rotation size must be at least 1 byte".into(),
            ));
        }
        if keep == 0 {
            return Err(SinkError::Config(
                "a JSON-lines sink must keep at least 1 rotated file".into(),
            ));
        }
        check_parent(&path)?;
        if path.is_dir() {
            return Err(SinkError::Config(format!(
                "{} is a directory, not a file",
                path.display()
            )));
        }
        let (file, size) = open_append(&path)?;
        Ok(JsonlSink {
            state: Arc::new(Mutex::new(State {
                path,
                max_bytes,
                keep,
                file: Some(file),
                size,
            })),
        })
    }

    /// The path written to.
    pub fn path(&self) -> PathBuf {
        lock(&self.state).path.clone()
    }
}

impl Sink for JsonlSink {
    fn write<'a>(&'a mut self, batch: &'a Batch) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            if batch.items.is_empty() {
                return Ok(());
            }
            let text = batch_lines(batch);
            let state = Arc::clone(&self.state);
            run_blocking(move || lock(&state).append(text.as_bytes())).await
        })
    }

    fn close(&mut self) -> BoxFuture<'_, Result<(), SinkError>> {
        let state = Arc::clone(&self.state);
        Box::pin(async move {
            run_blocking(move || {
                let mut state = lock(&state);
                match state.file.take() {
                    Some(file) => file.sync_all().map_err(SinkError::from),
                    None => Ok(()),
                }
            })
            .await
        })
    }
}

impl State {
    fn append(&mut self, bytes: &[u8]) -> Result<(), SinkError> {
        let Some(file) = self.file.as_mut() else {
            return Err(SinkError::Config(format!(
                "the JSON-lines sink {} is closed",
                self.path.display()
            )));
        };
        file.write_all(bytes)?;
        file.sync_data()?;
        self.size += bytes.len() as u64;
        if self.size > self.max_bytes {
            // The batch is durable already: a failed rotation is reported and
            // retried after the next batch, the file keeps growing meanwhile.
            if let Err(e) = self.rotate() {
                tracing::warn!(path = %self.path.display(), error = %e, "JSON-lines sink: rotation failed");
                if self.file.is_none() {
                    let (file, size) = open_append(&self.path)?;
                    self.file = Some(file);
                    self.size = size;
                }
            }
        }
        Ok(())
    }

    fn rotate(&mut self) -> Result<(), SinkError> {
        // The current file is synced already; close it before renaming.
        self.file = None;
        let rotated = |n: u32| -> PathBuf {
            let mut name = self.path.clone().into_os_string();
            name.push(format!(".{n}"));
            PathBuf::from(name)
        };
        remove_if_exists(&rotated(self.keep))?;
        for n in (1..self.keep).rev() {
            rename_if_exists(&rotated(n), &rotated(n + 1))?;
        }
        std::fs::rename(&self.path, rotated(1))?;
        let (file, size) = open_append(&self.path)?;
        self.file = Some(file);
        self.size = size;
        Ok(())
    }
}

/// The lines of a batch: one JSON object per item with the batch's `source`.
pub(crate) fn batch_lines(batch: &Batch) -> String {
    let mut text = String::new();
    for item in &batch.items {
        text.push_str(&item_json(item, &batch.source).to_string());
        text.push('\n');
    }
    text
}

/// One item as JSON, with `"source"` added (a gap carries its own).
pub(crate) fn item_json(item: &WatchItem, source: &str) -> serde_json::Value {
    let mut value = item.to_json();
    if let Some(map) = value.as_object_mut() {
        map.entry("source").or_insert_with(|| source.into());
    }
    value
}

pub(crate) fn check_parent(path: &Path) -> Result<(), SinkError> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => {
            Err(SinkError::Config(format!(
                "cannot open {}: the directory {} does not exist",
                path.display(),
                dir.display()
            )))
        }
        _ => Ok(()),
    }
}

fn open_append(path: &Path) -> Result<(File, u64), SinkError> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| {
            SinkError::Io(std::io::Error::new(
                e.kind(),
                format!("cannot open {}: {e}", path.display()),
            ))
        })?;
    let size = file.metadata()?.len();
    sync_dir(path);
    Ok((file, size))
}

/// Makes a created or renamed directory entry durable (best effort; Unix only).
fn sync_dir(path: &Path) {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn remove_if_exists(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

fn rename_if_exists(from: &Path, to: &Path) -> std::io::Result<()> {
    match std::fs::rename(from, to) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    // A panic while holding the lock leaves the file usable: keep going.
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(crate) async fn run_blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SinkError> + Send + 'static,
) -> Result<T, SinkError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SinkError::Io(std::io::Error::other(format!("sink task failed: {e}"))))?
}
