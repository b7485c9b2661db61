//! [`TokenError`]: everything that can go wrong building, parsing or verifying a token.

/// Why a token could not be built, parsed or verified.
///
/// Messages never contain an app certificate or a whole token. [`TokenError::kind`]
/// gives a stable snake_case name for each variant (used by the CLI, the test
/// vectors and the language bindings).
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// The token does not start with `007` or `006`.
    #[error(
        "unsupported token prefix {found:?}: expected \"007\" (AccessToken2) or \"006\" (legacy AccessToken)"
    )]
    BadPrefix {
        /// The first (at most three) characters of the token.
        found: String,
    },
    /// The token is not valid base64, not a valid zlib stream, truncated, or too large.
    #[error("malformed token: {reason}")]
    BadEncoding {
        /// What was wrong.
        reason: String,
    },
    /// The token was built for another app id than the one expected.
    #[error("token was issued for app id {found}, expected {expected}")]
    WrongAppId {
        /// The app id the caller expected.
        expected: String,
        /// The app id the token carries.
        found: String,
    },
    /// The token was built for another user than the one expected.
    #[error("token was issued for another user than {expected:?}")]
    WrongUserId {
        /// The user id the caller expected.
        expected: String,
    },
    /// The signature does not match (wrong app certificate, or the token was altered).
    #[error("token signature does not match (wrong app certificate or altered token)")]
    BadSignature,
    /// The token's lifetime is over.
    #[error("token expired at {expired_at} (now {now})")]
    Expired {
        /// Absolute expiry, Unix seconds.
        expired_at: u64,
        /// The `now` the check used, Unix seconds.
        now: u64,
    },
    /// The token's issue time lies more than the allowed clock skew in the future.
    #[error("token is not valid yet: issued at {issued_at}, now {now}")]
    NotYetValid {
        /// The issue time, Unix seconds.
        issued_at: u64,
        /// The `now` the check used, Unix seconds.
        now: u64,
    },
    /// A legacy (006) token only carries a CRC of its user account, so its
    /// signature can be checked only when the caller supplies the account.
    #[error("a legacy 006 token can only be verified together with its user account")]
    UserAccountRequired,
    /// The app id is not exactly 32 hexadecimal characters.
    #[error("invalid app id: {reason}")]
    InvalidAppId {
        /// What was wrong (never the value's content beyond its length).
        reason: String,
    },
    /// The app certificate is not exactly 32 hexadecimal characters.
    #[error("invalid app certificate: it must be exactly 32 hexadecimal characters")]
    InvalidAppCertificate,
    /// The user id is empty or longer than 64 bytes.
    #[error("invalid user id: {reason}")]
    InvalidUserId {
        /// What was wrong.
        reason: String,
    },
    /// The lifetime exceeds 24 hours.
    #[error("lifetime of {secs} s exceeds the 24 h (86400 s) maximum")]
    LifetimeTooLong {
        /// The lifetime asked for, in seconds.
        secs: u64,
    },
    /// The lifetime is so large it must be an absolute Unix timestamp.
    #[error(
        "lifetime of {secs} s looks like an absolute Unix timestamp: pass a duration, not an absolute timestamp"
    )]
    LifetimeLooksAbsolute {
        /// The lifetime asked for, in seconds.
        secs: u64,
    },
    /// The lifetime is zero (or under one second).
    #[error("lifetime must be at least one second")]
    ZeroLifetime,
    /// Issue time plus lifetime does not fit in the token's 32-bit fields.
    #[error("issue time plus lifetime overflows a 32-bit Unix timestamp")]
    TimestampOverflow,
    /// A token must carry at least one service.
    #[error("an AccessToken2 needs at least one service")]
    NoService,
    /// A string or list is longer than the wire format's 16-bit length allows.
    #[error("{field} is too long for the token format (65535 bytes or items at most)")]
    FieldTooLong {
        /// Which field.
        field: &'static str,
    },
}

impl TokenError {
    /// A stable snake_case name for the error, e.g. `"bad_signature"`.
    ///
    /// ```
    /// use agora_rtm_rest_protocol::token::parse_token;
    /// assert_eq!(parse_token("008abc").unwrap_err().kind(), "bad_prefix");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            TokenError::BadPrefix { .. } => "bad_prefix",
            TokenError::BadEncoding { .. } => "bad_encoding",
            TokenError::WrongAppId { .. } => "wrong_app_id",
            TokenError::WrongUserId { .. } => "wrong_user_id",
            TokenError::BadSignature => "bad_signature",
            TokenError::Expired { .. } => "expired",
            TokenError::NotYetValid { .. } => "not_yet_valid",
            TokenError::UserAccountRequired => "user_account_required",
            TokenError::InvalidAppId { .. } => "invalid_app_id",
            TokenError::InvalidAppCertificate => "invalid_app_certificate",
            TokenError::InvalidUserId { .. } => "invalid_user_id",
            TokenError::LifetimeTooLong { .. } => "lifetime_too_long",
            TokenError::LifetimeLooksAbsolute { .. } => "lifetime_looks_absolute",
            TokenError::ZeroLifetime => "zero_lifetime",
            TokenError::TimestampOverflow => "timestamp_overflow",
            TokenError::NoService => "no_service",
            TokenError::FieldTooLong { .. } => "field_too_long",
        }
    }

    /// Every kind name [`TokenError::kind`] can return.
    pub const KINDS: &'static [&'static str] = &[
        "bad_prefix",
        "bad_encoding",
        "wrong_app_id",
        "wrong_user_id",
        "bad_signature",
        "expired",
        "not_yet_valid",
        "user_account_required",
        "invalid_app_id",
        "invalid_app_certificate",
        "invalid_user_id",
        "lifetime_too_long",
        "lifetime_looks_absolute",
        "zero_lifetime",
        "timestamp_overflow",
        "no_service",
        "field_too_long",
    ];

    pub(crate) fn bad_encoding(reason: impl Into<String>) -> Self {
        TokenError::BadEncoding {
            reason: reason.into(),
        }
    }
}
