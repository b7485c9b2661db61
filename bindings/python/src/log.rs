//! Forwards the Rust crates' `tracing` events to Python's `logging`
//! (logger `agora_rtm_rest`), so applications configure them like any other log.

use std::fmt::Write as _;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt as _};

static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Collects an event's message and fields as `message key=value ...`.
#[derive(Default)]
struct Text(String);

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(
                self.0,
                "{value:?}{}",
                if self.0.is_empty() { "" } else { " " }
            );
        } else {
            if !self.0.is_empty() && !self.0.ends_with(' ') {
                self.0.push(' ');
            }
            let _ = write!(self.0, "{}={value:?}", field.name());
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.insert_str(0, value);
        } else {
            self.record_debug(field, &value);
        }
    }
}

fn python_level(level: &Level) -> i32 {
    match *level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        _ => 5,
    }
}

struct PythonLogging;

impl<S: Subscriber> Layer<S> for PythonLogging {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        if !meta.target().starts_with("agora_rtm") {
            return;
        }
        let level = python_level(meta.level());
        // During interpreter shutdown there is no Python to log to.
        let _ = Python::try_attach(|py| -> PyResult<()> {
            let logger = LOGGER.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
                Ok(py
                    .import("logging")?
                    .call_method1("getLogger", ("agora_rtm_rest",))?
                    .unbind())
            })?;
            let logger = logger.bind(py);
            if !logger.call_method1("isEnabledFor", (level,))?.is_truthy()? {
                return Ok(());
            }
            let mut text = Text::default();
            event.record(&mut text);
            logger.call_method1("log", (level, "%s", text.0.trim_end()))?;
            Ok(())
        });
    }
}

/// Installs the forwarding subscriber as the process default (once; ignored if
/// the host application installed one already).
pub(crate) fn install() {
    let subscriber = tracing_subscriber::registry().with(PythonLogging);
    let _ = tracing::subscriber::set_global_default(subscriber);
}
