//! AccessToken2 (007) and legacy (006) RTM tokens: build, parse, verify.

use std::time::Duration;

use agora_rtm_rest::protocol::token as tok;

use crate::error::TokenError;

/// A decoded token.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ParsedToken {
    /// `"007"` or `"006"`.
    pub version: String,
    /// The app id it was issued for.
    pub app_id: String,
    /// The RTM user id, when the token carries it.
    pub user_id: Option<String>,
    /// Issue time (Unix seconds), when the token carries it.
    pub issued_at: Option<u64>,
    /// Expiry (Unix seconds), when the token has one.
    pub expires_at: Option<u64>,
    /// The inspection JSON (`agora-rtm token inspect`): services, privileges,
    /// salt, signature (hex), ISO times.
    pub json: String,
}

impl From<tok::ParsedToken> for ParsedToken {
    fn from(t: tok::ParsedToken) -> Self {
        ParsedToken {
            version: t.version().to_owned(),
            app_id: t.app_id().to_owned(),
            user_id: t.rtm_user_id().map(str::to_owned),
            issued_at: t.issued_at(),
            expires_at: t.expires_at(),
            json: t.to_json().to_string(),
        }
    }
}

/// Builds a 007 RTM token valid `lifetime_secs` (1 s..=24 h) from `issue_ts`
/// (Unix seconds) with the given `salt` (1..=99,999,999).
#[uniffi::export]
pub fn build_rtm_token(
    app_id: String,
    app_certificate: String,
    user_id: String,
    lifetime_secs: u64,
    issue_ts: u32,
    salt: u32,
) -> Result<String, TokenError> {
    Ok(tok::build_rtm_token(
        &app_id,
        &app_certificate,
        &user_id,
        Duration::from_secs(lifetime_secs),
        issue_ts,
        salt,
    )?)
}

/// Builds a legacy 006 RTM token (privilege 1000 expires at
/// `issue_ts + lifetime_secs`).
#[uniffi::export]
pub fn build_legacy_rtm_token(
    app_id: String,
    app_certificate: String,
    user_id: String,
    lifetime_secs: u64,
    issue_ts: u32,
    salt: u32,
) -> Result<String, TokenError> {
    Ok(tok::build_legacy_rtm_token(
        &app_id,
        &app_certificate,
        &user_id,
        Duration::from_secs(lifetime_secs),
        issue_ts,
        salt,
    )?)
}

/// Decodes a 007 or 006 token without verifying it.
#[uniffi::export]
pub fn parse_token(token: String) -> Result<ParsedToken, TokenError> {
    Ok(tok::parse_token(&token)?.into())
}

/// Parses and verifies a token: signature (constant time), validity at
/// `now_unix`, and optionally the app id and the user (required for 006).
#[uniffi::export(default(app_id = None, user_id = None))]
pub fn verify_token(
    token: String,
    app_certificate: String,
    now_unix: u64,
    app_id: Option<String>,
    user_id: Option<String>,
) -> Result<ParsedToken, TokenError> {
    let expected = tok::Expected {
        app_id: app_id.as_deref(),
        user_id: user_id.as_deref(),
    };
    Ok(tok::verify_token_with(&token, expected, &app_certificate, now_unix)?.into())
}
