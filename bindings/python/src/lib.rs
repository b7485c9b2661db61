//! Python bindings of agora-rtm-rest: the extension module
//! `agora_rtm_rest._native`. It translates only: every decision (requests,
//! retries, parsing, polling, tokens) is the Rust crates'.
//!
//! `#![forbid(unsafe_code)]` is not possible here: pyo3's macros expand to
//! `unsafe` blocks (FFI glue), and a `forbid` cannot be relaxed by the `allow`s
//! they carry. The crate denies `unsafe_code` in its own source instead
//! (Cargo.toml `[lints]`); it contains none.

mod client;
mod errors;
mod exchange;
mod log;
mod messages;
mod rt;
mod tokens;
mod types;

use pyo3::prelude::*;

/// The extension module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    log::install();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("AgoraRtmError", py.get_type::<errors::AgoraRtmError>())?;
    m.add("ApiError", py.get_type::<errors::ApiError>())?;
    m.add("AuthError", py.get_type::<errors::AuthError>())?;
    m.add(
        "RateLimitedError",
        py.get_type::<errors::RateLimitedError>(),
    )?;
    m.add(
        "ServerTimeoutError",
        py.get_type::<errors::ServerTimeoutError>(),
    )?;
    m.add("ServerError", py.get_type::<errors::ServerError>())?;
    m.add("DecodeError", py.get_type::<errors::DecodeError>())?;
    m.add("TransportError", py.get_type::<errors::TransportError>())?;
    m.add(
        "InvalidInputError",
        py.get_type::<errors::InvalidInputError>(),
    )?;
    m.add("TokenError", py.get_type::<errors::TokenError>())?;
    m.add("SinkError", py.get_type::<errors::SinkError>())?;

    m.add_class::<types::UserEvent>()?;
    m.add_class::<types::ChannelEvent>()?;
    m.add_class::<types::UserEventsPage>()?;
    m.add_class::<types::ChannelEventsPage>()?;
    m.add_class::<types::Gap>()?;
    m.add_class::<types::WatchStats>()?;
    m.add_class::<types::Presence>()?;

    m.add_class::<client::BasicAuth>()?;
    m.add_class::<client::TokenAuth>()?;
    m.add_class::<client::LegacyTokenAuth>()?;
    m.add_class::<client::MintedTokenAuth>()?;
    m.add_class::<client::Client>()?;
    m.add_class::<client::AsyncClient>()?;
    m.add_class::<client::Watcher>()?;
    m.add_class::<client::AsyncWatcher>()?;

    m.add_class::<messages::MessageReceipt>()?;
    m.add_class::<messages::HistoryMessage>()?;
    m.add_class::<messages::HistoryV2Message>()?;
    m.add_class::<messages::HistoryIterator>()?;
    m.add_class::<messages::AsyncHistoryIterator>()?;
    m.add_class::<messages::HistoryV2Iterator>()?;
    m.add_class::<messages::AsyncHistoryV2Iterator>()?;

    m.add_class::<tokens::ParsedToken>()?;
    m.add_function(wrap_pyfunction!(tokens::build_rtm_token, m)?)?;
    m.add_function(wrap_pyfunction!(tokens::build_legacy_rtm_token, m)?)?;
    m.add_function(wrap_pyfunction!(tokens::parse_token, m)?)?;
    m.add_function(wrap_pyfunction!(tokens::verify_token, m)?)?;
    m.add_function(wrap_pyfunction!(tokens::_build_legacy_rtm_token_raw, m)?)?;
    m.add_function(wrap_pyfunction!(tokens::_build_rtc_token, m)?)?;

    m.add_class::<exchange::ExchangeContext>()?;
    m.add_class::<exchange::Exchange>()?;
    m.add_class::<exchange::SendStep>()?;
    m.add_class::<exchange::WaitStep>()?;
    m.add_class::<exchange::DoneStep>()?;
    m.add_class::<exchange::VectorExchange>()?;
    m.add_function(wrap_pyfunction!(rt::_resolve_future, m)?)?;
    Ok(())
}
