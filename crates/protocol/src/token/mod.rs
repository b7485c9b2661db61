//! AccessToken2 (007) and legacy AccessToken (006) RTM tokens (SPEC section 2).
//!
//! Build, parse and verify the tokens Agora's RTM REST API accepts:
//!
//! - [`build_rtm_token`]: an AccessToken2 (`"007..."`) with one RTM service and
//!   its login privilege, sent as `Authorization: agora token=...`;
//! - [`build_legacy_rtm_token`]: a legacy AccessToken (`"006..."`), sent as
//!   `x-agora-token` with `x-agora-uid`;
//! - [`parse_token`] decodes either without a certificate; [`verify_token`],
//!   [`verify_token_for_app`] and [`verify_token_for_user`] also check the
//!   signature (in constant time) and the validity window.
//!
//! Everything here is pure: issue time, salt and `now` are arguments, never
//! read from a clock or a random source. Inputs are checked: app id and
//! certificate must be 32 hex characters, user ids 1..=64 bytes, lifetimes
//! 1 s..=24 h (and a lifetime that looks like an absolute Unix timestamp is
//! refused). Parsing never panics, whatever the input.
//!
//! Tokens and certificates are secrets: no type here prints a token through
//! `Display`, and `Debug` output never shows signature bytes or certificates.
//!
//! ```
//! use std::time::Duration;
//! use agora_rtm_rest_protocol::token::{build_rtm_token, verify_token};
//!
//! let app_id = "970CA35de60c44645bbae8a215061b33";
//! let cert = "5CFd2fd1755d40ecb72977518be15d3b";
//! let token = build_rtm_token(app_id, cert, "alice", Duration::from_secs(3600), 1_767_225_600, 42).unwrap();
//! let parsed = verify_token(&token, cert, 1_767_225_700).unwrap();
//! assert_eq!(parsed.rtm_user_id(), Some("alice"));
//! assert_eq!(parsed.expires_at(), Some(1_767_229_200));
//! ```

use std::time::Duration;

mod access_token2;
mod bytes;
mod civil;
mod error;
mod legacy;
mod rtm2;
mod validate;

pub use access_token2::{
    AccessToken2, MAX_CONTENT_BYTES, PRIVILEGE_RTC_JOIN_CHANNEL, PRIVILEGE_RTC_PUBLISH_AUDIO,
    PRIVILEGE_RTC_PUBLISH_DATA, PRIVILEGE_RTC_PUBLISH_VIDEO, PRIVILEGE_RTM_LOGIN, SERVICE_RTC,
    SERVICE_RTM, SERVICE_RTM2, Service, VERSION_007, privilege_name,
};
pub use civil::{iso8601_utc, parse_iso8601_utc};
pub use error::TokenError;
pub use legacy::{
    LEGACY_TS_OFFSET_SECS, LegacyToken, PRIVILEGE_RTM_LOGIN_LEGACY, VERSION_006,
    legacy_privilege_name,
};
pub use rtm2::{Permission, ResourceType, Rtm2Permissions};
pub use validate::{
    ABSOLUTE_TIMESTAMP_THRESHOLD_SECS, MAX_CLOCK_SKEW_SECS, MAX_LIFETIME_SECS, MAX_USER_ID_BYTES,
};

use validate::{check_app_certificate, check_app_id, check_lifetime, check_user_id};

/// Builds an AccessToken2 (`"007..."`) for RTM: one RTM service (type 2) whose
/// login privilege (1) lasts `lifetime`, and a token `expire` of `lifetime` too.
///
/// `lifetime` is a duration (1 s..=24 h, whole seconds), not an absolute time;
/// `issue_ts` is the current Unix time and `salt` a random number in
/// 1..=99_999_999, both chosen by the caller.
///
/// ```
/// use std::time::Duration;
/// use agora_rtm_rest_protocol::token::build_rtm_token;
///
/// // SPEC 2.3: Agora's published vector
/// let token = build_rtm_token(
///     "970CA35de60c44645bbae8a215061b33",
///     "5CFd2fd1755d40ecb72977518be15d3b",
///     "test_user",
///     Duration::from_secs(600),
///     1111111,
///     1,
/// ).unwrap();
/// assert_eq!(token, "007eJxTYOCdJftjyTM2zxW6Xhm/5T0j5LdcUt/xYVt48fb5Mp3PX9coMFiaGzg7GpumpJoZJJuYmJmYJiUlplokGhmaGpgZJhkbu38RYIhgYmBgZABhJiBmBPM5GUpSi0viS4tTiwBZVh6A");
///
/// // a lifetime that is really an absolute timestamp is refused
/// let err = build_rtm_token(
///     "970CA35de60c44645bbae8a215061b33", "5CFd2fd1755d40ecb72977518be15d3b",
///     "test_user", Duration::from_secs(1_767_225_600), 1_767_222_000, 1,
/// ).unwrap_err();
/// assert_eq!(err.kind(), "lifetime_looks_absolute");
/// ```
pub fn build_rtm_token(
    app_id: &str,
    app_certificate: &str,
    user_id: &str,
    lifetime: Duration,
    issue_ts: u32,
    salt: u32,
) -> Result<String, TokenError> {
    check_app_id(app_id)?;
    check_app_certificate(app_certificate)?;
    check_user_id(user_id)?;
    let secs = check_lifetime(lifetime)?;
    AccessToken2::new(app_id, issue_ts, secs, salt)
        .add_service(Service::rtm(user_id, secs))
        .build(app_certificate)
}

/// Builds a legacy AccessToken (`"006..."`) for RTM.
///
/// Privilege 1000 (RTM login) holds the absolute expiry `issue_ts + lifetime`;
/// the token's `ts` is `issue_ts + 24 h`, as Agora's builders default it. The
/// same input checks as [`build_rtm_token`] apply.
///
/// ```
/// use std::time::Duration;
/// use agora_rtm_rest_protocol::token::{build_legacy_rtm_token, verify_token_for_user};
///
/// let cert = "5CFd2fd1755d40ecb72977518be15d3b";
/// let token = build_legacy_rtm_token(
///     "970CA35de60c44645bbae8a215061b33", cert, "bob",
///     Duration::from_secs(600), 1_767_225_600, 7,
/// ).unwrap();
/// assert!(token.starts_with("006970CA35de60c44645bbae8a215061b33"));
/// let parsed = verify_token_for_user(&token, "bob", cert, 1_767_225_601).unwrap();
/// assert_eq!(parsed.expires_at(), Some(1_767_226_200));
/// ```
pub fn build_legacy_rtm_token(
    app_id: &str,
    app_certificate: &str,
    user_id: &str,
    lifetime: Duration,
    issue_ts: u32,
    salt: u32,
) -> Result<String, TokenError> {
    check_app_id(app_id)?;
    check_app_certificate(app_certificate)?;
    check_user_id(user_id)?;
    let secs = check_lifetime(lifetime)?;
    let expire_ts = issue_ts
        .checked_add(secs)
        .ok_or(TokenError::TimestampOverflow)?;
    let ts = issue_ts
        .checked_add(LEGACY_TS_OFFSET_SECS)
        .ok_or(TokenError::TimestampOverflow)?;
    LegacyToken::new_rtm(app_id, user_id, salt, ts)
        .add_privilege(PRIVILEGE_RTM_LOGIN_LEGACY, expire_ts)
        .build(app_certificate)
}

/// A decoded token of either generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParsedToken {
    /// An AccessToken2 (`"007..."`).
    AccessToken2(AccessToken2),
    /// A legacy AccessToken (`"006..."`).
    Legacy(LegacyToken),
}

impl ParsedToken {
    /// `"007"` or `"006"`.
    pub fn version(&self) -> &'static str {
        match self {
            ParsedToken::AccessToken2(_) => VERSION_007,
            ParsedToken::Legacy(_) => VERSION_006,
        }
    }

    /// The app id the token was issued for.
    pub fn app_id(&self) -> &str {
        match self {
            ParsedToken::AccessToken2(t) => &t.app_id,
            ParsedToken::Legacy(t) => &t.app_id,
        }
    }

    /// The RTM user: of the first RTM (type 2) or RTM2 (type 8) service of a
    /// 007 token; for a 006 token the user account once known (a 006 token
    /// only carries its CRC: see [`verify_token_for_user`]).
    pub fn rtm_user_id(&self) -> Option<&str> {
        match self {
            ParsedToken::AccessToken2(t) => t.rtm_user_id(),
            ParsedToken::Legacy(t) => t.user_account.as_deref(),
        }
    }

    /// Issue time, Unix seconds (a 006 token does not record one: `None`).
    pub fn issued_at(&self) -> Option<u64> {
        match self {
            ParsedToken::AccessToken2(t) => Some(u64::from(t.issue_ts)),
            ParsedToken::Legacy(_) => None,
        }
    }

    /// Absolute expiry, Unix seconds: `issue_ts + expire` for 007; the RTM
    /// login privilege (else `ts`) for 006.
    pub fn expires_at(&self) -> Option<u64> {
        match self {
            ParsedToken::AccessToken2(t) => Some(t.expires_at()),
            ParsedToken::Legacy(t) => Some(t.expires_at()),
        }
    }

    /// The decoded token as JSON, for `agora-rtm token inspect`.
    ///
    /// 007: `version`, `app_id`, `issue_ts`, `issued_at_iso`, `expire`,
    /// `expires_at`, `expires_at_iso`, `salt`, `services` (each with `type`,
    /// `name`, `privileges` [`privilege`, `name`, `expire`, `expires_at`,
    /// `expires_at_iso`] and its own fields: `user_id`, `channel_name`/`uid`,
    /// `permissions`), `signature` (hex) and, when parsing stopped early,
    /// `unknown_service_type`.
    ///
    /// 006: `version`, `app_id`, `user_account` (or null), `salt`, `ts`,
    /// `ts_iso`, `expires_at`, `expires_at_iso`, `privileges` [`privilege`,
    /// `name`, `expires_at`, `expires_at_iso`], `crc_user_account`, `crc_uid`
    /// and `signature` (hex).
    ///
    /// ISO times are UTC, like `"2026-01-01T00:00:00Z"`.
    ///
    /// ```
    /// use agora_rtm_rest_protocol::token::parse_token;
    /// let t = parse_token("007eJxTYOCdJftjyTM2zxW6Xhm/5T0j5LdcUt/xYVt48fb5Mp3PX9coMFiaGzg7GpumpJoZJJuYmJmYJiUlplokGhmaGpgZJhkbu38RYIhgYmBgZABhJiBmBPM5GUpSi0viS4tTiwBZVh6A").unwrap();
    /// let j = t.to_json();
    /// assert_eq!(j["issue_ts"], 1111111);
    /// assert_eq!(j["services"][0]["user_id"], "test_user");
    /// assert_eq!(j["services"][0]["privileges"][0]["name"], "login");
    /// assert_eq!(j["expires_at_iso"], "1970-01-13T20:48:31Z");
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            ParsedToken::AccessToken2(t) => t.to_json(),
            ParsedToken::Legacy(t) => t.to_json(),
        }
    }

    /// The AccessToken2, if this is one.
    pub fn as_access_token2(&self) -> Option<&AccessToken2> {
        match self {
            ParsedToken::AccessToken2(t) => Some(t),
            ParsedToken::Legacy(_) => None,
        }
    }

    /// The legacy token, if this is one.
    pub fn as_legacy(&self) -> Option<&LegacyToken> {
        match self {
            ParsedToken::Legacy(t) => Some(t),
            ParsedToken::AccessToken2(_) => None,
        }
    }
}

/// Decodes a `"007..."` or `"006..."` token without verifying it.
///
/// Errors: [`TokenError::BadPrefix`] for any other prefix,
/// [`TokenError::BadEncoding`] for any base64, zlib or truncation problem. It
/// never panics.
///
/// ```
/// use agora_rtm_rest_protocol::token::parse_token;
/// let t = parse_token("006970CA35de60c44645bbae8a215061b33IAAsR0qgiCxv0vrpRcpkz5BrbfEWCBZ6kvR6t7qG/wJIQob86ogAAAAAEAABAAAAR/QQAAEA6AOvKDdW").unwrap();
/// assert_eq!(t.version(), "006");
/// assert_eq!(t.expires_at(), Some(1446455471));
/// assert_eq!(parse_token("not a token").unwrap_err().kind(), "bad_prefix");
/// ```
pub fn parse_token(token: &str) -> Result<ParsedToken, TokenError> {
    if token.starts_with(VERSION_007) {
        AccessToken2::parse(token).map(ParsedToken::AccessToken2)
    } else if token.starts_with(VERSION_006) {
        LegacyToken::parse(token).map(ParsedToken::Legacy)
    } else {
        Err(TokenError::BadPrefix {
            found: token.chars().take(3).collect(),
        })
    }
}

/// What [`verify_token_with`] must also check besides signature and time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expected<'a> {
    /// The app id the token must be issued for.
    pub app_id: Option<&'a str>,
    /// The RTM user the token must be issued for (required for a 006 token,
    /// whose signature covers the account but which carries only its CRC).
    pub user_id: Option<&'a str>,
}

/// Parses and verifies a token: the signature is recomputed with
/// `app_certificate` and compared in constant time, then the validity window
/// is checked at `now_unix`.
///
/// - [`TokenError::BadSignature`]: wrong certificate or altered token;
/// - [`TokenError::Expired`]: `now >= issue_ts + expire` (007) or `now >=`
///   the RTM login privilege's expiry (006);
/// - [`TokenError::NotYetValid`]: the issue time is more than
///   [`MAX_CLOCK_SKEW_SECS`] (5 minutes) after `now` (007 only: a 006 token
///   has no issue time);
/// - [`TokenError::UserAccountRequired`] for a 006 token: use
///   [`verify_token_for_user`].
///
/// ```
/// use agora_rtm_rest_protocol::token::verify_token;
/// let token = "007eJxTYOCdJftjyTM2zxW6Xhm/5T0j5LdcUt/xYVt48fb5Mp3PX9coMFiaGzg7GpumpJoZJJuYmJmYJiUlplokGhmaGpgZJhkbu38RYIhgYmBgZABhJiBmBPM5GUpSi0viS4tTiwBZVh6A";
/// let cert = "5CFd2fd1755d40ecb72977518be15d3b";
/// assert!(verify_token(token, cert, 1111111).is_ok());
/// assert_eq!(verify_token(token, cert, 1111711).unwrap_err().kind(), "expired");
/// assert_eq!(verify_token(token, "00000000000000000000000000000000", 1111111).unwrap_err().kind(), "bad_signature");
/// ```
pub fn verify_token(
    token: &str,
    app_certificate: &str,
    now_unix: u64,
) -> Result<ParsedToken, TokenError> {
    verify_token_with(token, Expected::default(), app_certificate, now_unix)
}

/// [`verify_token`], and the token must be issued for `app_id`
/// ([`TokenError::WrongAppId`] otherwise; compared exactly, case included).
///
/// ```
/// use agora_rtm_rest_protocol::token::verify_token_for_app;
/// let token = "007eJxTYOCdJftjyTM2zxW6Xhm/5T0j5LdcUt/xYVt48fb5Mp3PX9coMFiaGzg7GpumpJoZJJuYmJmYJiUlplokGhmaGpgZJhkbu38RYIhgYmBgZABhJiBmBPM5GUpSi0viS4tTiwBZVh6A";
/// let cert = "5CFd2fd1755d40ecb72977518be15d3b";
/// assert!(verify_token_for_app(token, "970CA35de60c44645bbae8a215061b33", cert, 1111111).is_ok());
/// let err = verify_token_for_app(token, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", cert, 1111111).unwrap_err();
/// assert_eq!(err.kind(), "wrong_app_id");
/// ```
pub fn verify_token_for_app(
    token: &str,
    app_id: &str,
    app_certificate: &str,
    now_unix: u64,
) -> Result<ParsedToken, TokenError> {
    verify_token_with(
        token,
        Expected {
            app_id: Some(app_id),
            user_id: None,
        },
        app_certificate,
        now_unix,
    )
}

/// [`verify_token`] for a request made as `user_id` (SPEC 2: "with token auth,
/// a user id in a message path must be the token's user"). Works for both
/// generations: for 007 an RTM or RTM2 service must name `user_id` (an empty
/// user id in the token, RTM2's wildcard, matches anyone); for 006 the
/// account is what the signature is checked against.
///
/// ```
/// use agora_rtm_rest_protocol::token::verify_token_for_user;
/// let token = "006970CA35de60c44645bbae8a215061b33IAAsR0qgiCxv0vrpRcpkz5BrbfEWCBZ6kvR6t7qG/wJIQob86ogAAAAAEAABAAAAR/QQAAEA6AOvKDdW";
/// let cert = "5CFd2fd1755d40ecb72977518be15d3b";
/// let parsed = verify_token_for_user(token, "test_user", cert, 1_446_455_000).unwrap();
/// assert_eq!(parsed.rtm_user_id(), Some("test_user"));
/// assert_eq!(verify_token_for_user(token, "mallory", cert, 1_446_455_000).unwrap_err().kind(), "wrong_user_id");
/// ```
pub fn verify_token_for_user(
    token: &str,
    user_id: &str,
    app_certificate: &str,
    now_unix: u64,
) -> Result<ParsedToken, TokenError> {
    verify_token_with(
        token,
        Expected {
            app_id: None,
            user_id: Some(user_id),
        },
        app_certificate,
        now_unix,
    )
}

/// The general form of [`verify_token`]: also checks what `expected` names.
///
/// Order of checks: parse, certificate format, app id, user, signature, not
/// yet valid, expired.
pub fn verify_token_with(
    token: &str,
    expected: Expected<'_>,
    app_certificate: &str,
    now_unix: u64,
) -> Result<ParsedToken, TokenError> {
    let mut parsed = parse_token(token)?;
    check_app_certificate(app_certificate)?;
    if let Some(app_id) = expected.app_id
        && parsed.app_id() != app_id
    {
        return Err(TokenError::WrongAppId {
            expected: app_id.to_string(),
            found: parsed.app_id().to_string(),
        });
    }
    match &mut parsed {
        ParsedToken::AccessToken2(t) => {
            if let Some(user) = expected.user_id {
                let matches = t
                    .services
                    .iter()
                    .filter_map(Service::rtm_user_id)
                    .any(|u| u == user || u.is_empty());
                if !matches {
                    return Err(TokenError::WrongUserId {
                        expected: user.to_string(),
                    });
                }
            }
            t.verify_signature(app_certificate)?;
            let issued_at = u64::from(t.issue_ts);
            if issued_at > now_unix.saturating_add(MAX_CLOCK_SKEW_SECS) {
                return Err(TokenError::NotYetValid {
                    issued_at,
                    now: now_unix,
                });
            }
        }
        ParsedToken::Legacy(t) => {
            let user = expected.user_id.ok_or(TokenError::UserAccountRequired)?;
            t.verify_signature(user, app_certificate)?;
        }
    }
    let expired_at = parsed.expires_at().unwrap_or(0);
    if now_unix >= expired_at {
        return Err(TokenError::Expired {
            expired_at,
            now: now_unix,
        });
    }
    Ok(parsed)
}
