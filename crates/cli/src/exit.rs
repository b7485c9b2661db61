//! Exit codes: distinct per failure class so scripts can react.

use agora_rtm_rest::{Error, ErrorKind};

/// Success.
pub const OK: i32 = 0;
/// Anything not listed below (including decode errors).
pub const OTHER: i32 = 1;
/// Bad usage: unknown flag, missing configuration, invalid input.
pub const USAGE: i32 = 2;
/// Authentication or authorisation failed (HTTP 401/403).
pub const AUTH: i32 = 3;
/// The service is rate limiting or busy (429, 408, 5xx) after all retries.
pub const BUSY: i32 = 4;
/// The network failed (DNS, connect, timeout, reset) after all retries.
pub const NETWORK: i32 = 5;
/// A token failed verification (`token inspect --app-certificate`).
pub const TOKEN_INVALID: i32 = 6;

/// The exit code for an SDK error.
pub fn for_error(error: &Error) -> i32 {
    match error.kind() {
        ErrorKind::Auth => AUTH,
        ErrorKind::RateLimited | ErrorKind::ServerTimeout | ErrorKind::Server => BUSY,
        ErrorKind::Transport => NETWORK,
        ErrorKind::InvalidInput => USAGE,
        ErrorKind::Api | ErrorKind::Decode => OTHER,
    }
}

/// Prints one line on stderr and returns the exit code for `error`.
pub fn report(error: &Error) -> i32 {
    eprintln!("agora-rtm: error: {error}");
    for_error(error)
}
