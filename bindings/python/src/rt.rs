//! The tokio runtime of this process and the two ways Python waits on it: blocking
//! (GIL released, Ctrl-C checked every 100 ms) and asyncio (an `asyncio.Future`
//! resolved from the runtime, cancelled with the task).

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyTuple};
use tokio::runtime::Runtime;

use crate::errors::internal_error;

/// The runtime and the process it was created in: after `os.fork()` the child
/// has none of the parent's worker threads, so it gets a runtime of its own.
static RUNTIME: Mutex<Option<(u32, Arc<Runtime>)>> = Mutex::new(None);

/// How often a blocking wait wakes up to let Python handle signals (Ctrl-C).
const SIGNAL_POLL: Duration = Duration::from_millis(100);

/// The runtime of the current process, created on first use.
pub(crate) fn runtime() -> PyResult<Arc<Runtime>> {
    let pid = std::process::id();
    let mut slot = RUNTIME.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((owner, rt)) = slot.as_ref()
        && *owner == pid
    {
        return Ok(rt.clone());
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("agora-rtm-rest")
        .enable_all()
        .build()
        .map_err(|e| internal_error(format!("cannot start the tokio runtime: {e}")))?;
    let rt = Arc::new(rt);
    if let Some((_, inherited)) = slot.replace((pid, rt.clone())) {
        // Inherited through fork: its threads do not exist in this process, so
        // dropping it would wait for them forever. Leak it instead.
        std::mem::forget(inherited);
    }
    Ok(rt)
}

/// Runs `fut` on the runtime and waits for it with the GIL released, checking
/// for signals every 100 ms: a `KeyboardInterrupt` cancels the future.
pub(crate) fn block_on<F, T>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let rt = runtime()?;
    let mut handle = rt.spawn(fut);
    loop {
        let waited = py
            .detach(|| rt.block_on(async { tokio::time::timeout(SIGNAL_POLL, &mut handle).await }));
        match waited {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(e)) => return Err(internal_error(format!("the operation failed: {e}"))),
            Err(_) => {
                if let Err(e) = py.check_signals() {
                    handle.abort();
                    return Err(e);
                }
            }
        }
    }
}

/// A current-thread runtime that the calling thread drives itself: what the
/// blocking `Client` runs on. Handing each call to the process runtime's worker
/// threads and waiting for the answer cost about 150 µs per call in thread
/// wake-ups (an empty page took 0.15 ms); driven on the caller's thread a call is
/// a few tens of µs. Several Python threads may share one: tokio lets them take
/// turns driving it.
pub(crate) struct Local {
    rt: Option<Runtime>,
    pid: u32,
}

impl Local {
    /// A new current-thread runtime (timers and I/O enabled).
    pub(crate) fn new() -> PyResult<Arc<Local>> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| internal_error(format!("cannot start the tokio runtime: {e}")))?;
        Ok(Arc::new(Local {
            rt: Some(rt),
            pid: std::process::id(),
        }))
    }

    fn runtime(&self) -> PyResult<&Runtime> {
        match &self.rt {
            Some(rt) if self.pid == std::process::id() => Ok(rt),
            _ => Err(crate::errors::AgoraRtmError::new_err(
                "this client was created in another process (before fork); create a new client in this one",
            )),
        }
    }

    /// Enters the runtime's context (to build what must be built inside it).
    pub(crate) fn enter(&self) -> PyResult<tokio::runtime::EnterGuard<'_>> {
        Ok(self.runtime()?.enter())
    }

    /// Runs `fut` on this thread with the GIL released, checking for signals
    /// every 100 ms: a `KeyboardInterrupt` drops (cancels) the future.
    pub(crate) fn block_on<F>(&self, py: Python<'_>, fut: F) -> PyResult<F::Output>
    where
        F: Future + Send,
        F::Output: Send,
    {
        let rt = self.runtime()?;
        let mut fut = std::pin::pin!(fut);
        loop {
            // The timeout is created inside `block_on`: its timer needs the
            // runtime's context.
            let waited = py.detach(|| {
                rt.block_on(async { tokio::time::timeout(SIGNAL_POLL, fut.as_mut()).await })
            });
            match waited {
                Ok(value) => return Ok(value),
                Err(_) => py.check_signals()?,
            }
        }
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        // Inherited through fork: its blocking-pool threads do not exist in this
        // process, so shutting it down could wait for them forever. Leak it.
        if self.pid != std::process::id()
            && let Some(rt) = self.rt.take()
        {
            std::mem::forget(rt);
        }
    }
}

/// Resolves an asyncio future unless it is already done (cancelled).
#[pyfunction]
pub(crate) fn _resolve_future(
    future: &Bound<'_, PyAny>,
    ok: bool,
    value: &Bound<'_, PyAny>,
) -> PyResult<()> {
    if future.call_method0("done")?.is_truthy()? {
        return Ok(());
    }
    if ok {
        future.call_method1("set_result", (value,))?;
    } else {
        future.call_method1("set_exception", (value,))?;
    }
    Ok(())
}

/// The conversion of a finished future's output to a Python value (with the GIL).
pub(crate) type Convert<X> = Box<dyn FnOnce(Python<'_>, X) -> PyResult<Py<PyAny>> + Send>;

/// Runs `fut` on the runtime and returns an `asyncio.Future` of the running loop
/// that receives `convert(output)`; cancelling the asyncio future aborts the task.
pub(crate) fn into_future<'py, F, X>(
    py: Python<'py>,
    fut: F,
    convert: Convert<X>,
) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = X> + Send + 'static,
    X: Send + 'static,
{
    let event_loop = py.import("asyncio")?.call_method0("get_running_loop")?;
    let future = event_loop.call_method0("create_future")?;
    let resolver = wrap_pyfunction!(_resolve_future, py)?.unbind();
    let (loop_ref, future_ref) = (event_loop.clone().unbind(), future.clone().unbind());
    let rt = runtime()?;
    let handle = rt.spawn(async move {
        let output = fut.await;
        Python::try_attach(|py| {
            let (ok, value) = match convert(py, output) {
                Ok(v) => (true, v),
                Err(e) => (false, e.into_value(py).into_any()),
            };
            // The loop may be closed already; nothing is waiting then.
            let _ = loop_ref.bind(py).call_method1(
                "call_soon_threadsafe",
                (resolver.bind(py), future_ref.bind(py), ok, value),
            );
        });
    });
    let abort = handle.abort_handle();
    let on_done = PyCFunction::new_closure(
        py,
        None,
        None,
        move |args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>| -> PyResult<()> {
            if args.get_item(0)?.call_method0("cancelled")?.is_truthy()? {
                abort.abort();
            }
            Ok(())
        },
    )?;
    future.call_method1("add_done_callback", (on_done,))?;
    Ok(future)
}

/// An already-resolved `asyncio.Future` (for `__aenter__` / `__aexit__`).
pub(crate) fn ready_future<'py>(
    py: Python<'py>,
    value: Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let event_loop = py.import("asyncio")?.call_method0("get_running_loop")?;
    let future = event_loop.call_method0("create_future")?;
    future.call_method1("set_result", (value,))?;
    Ok(future)
}
