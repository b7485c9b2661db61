//! The emulator's view of RTM tokens: a thin adapter over the protocol crate's
//! token module (one definition of the token format for client and emulator).

/// The two token generations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenVersion {
    /// AccessToken2 (`007...`).
    V007,
    /// Legacy AccessToken (`006...`).
    V006,
}

impl TokenVersion {
    /// `"007"` or `"006"`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TokenVersion::V007 => "007",
            TokenVersion::V006 => "006",
        }
    }
}

/// What the auth check needs from a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenInfo {
    pub(crate) version: TokenVersion,
    pub(crate) app_id: Option<String>,
    pub(crate) rtm_user_id: Option<String>,
}

// Placeholder until the protocol token module compiles: accept by prefix.
pub(crate) fn parse(token: &str) -> Result<TokenInfo, String> {
    let version = if token.starts_with("007") {
        TokenVersion::V007
    } else if token.starts_with("006") {
        TokenVersion::V006
    } else {
        return Err("unknown token version".into());
    };
    Ok(TokenInfo { version, app_id: None, rtm_user_id: None })
}

pub(crate) fn verify(token: &str, _certificate: &str, _now_unix: u64) -> Result<TokenInfo, String> {
    parse(token)
}
