//! Errors of starting an emulator.

use std::net::SocketAddr;

/// Why an [`Emulator`](crate::Emulator) could not start.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The configuration is inconsistent (the message says which setting).
    #[error("invalid emulator configuration: {0}")]
    InvalidConfig(String),
    /// A region's listener could not bind its address.
    #[error("cannot listen on {addr} for region {region}: {source}")]
    Bind {
        /// The region whose listener failed.
        region: String,
        /// The address it tried to bind.
        addr: SocketAddr,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}
