//! Input checks shared by the builders and verifiers.

use std::time::Duration;

use super::error::TokenError;

/// The longest lifetime a builder accepts: 24 hours.
pub const MAX_LIFETIME_SECS: u64 = 86_400;

/// Lifetimes at or above this many seconds (about 31.7 years) are taken for an
/// absolute Unix timestamp passed by mistake (Agora's own samples do that).
pub const ABSOLUTE_TIMESTAMP_THRESHOLD_SECS: u64 = 1_000_000_000;

/// The longest user id: 64 bytes.
pub const MAX_USER_ID_BYTES: usize = 64;

/// How far in the future an issue time may lie before a token is "not yet valid".
pub const MAX_CLOCK_SKEW_SECS: u64 = 300;

pub(crate) fn is_hex32(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

pub(crate) fn check_app_id(app_id: &str) -> Result<(), TokenError> {
    if is_hex32(app_id) {
        Ok(())
    } else if app_id.len() != 32 {
        Err(TokenError::InvalidAppId {
            reason: format!(
                "expected 32 hexadecimal characters, got {} bytes",
                app_id.len()
            ),
        })
    } else {
        Err(TokenError::InvalidAppId {
            reason: "expected 32 hexadecimal characters, found a non-hex character".into(),
        })
    }
}

pub(crate) fn check_app_certificate(cert: &str) -> Result<(), TokenError> {
    if is_hex32(cert) {
        Ok(())
    } else {
        Err(TokenError::InvalidAppCertificate)
    }
}

pub(crate) fn check_user_id(user_id: &str) -> Result<(), TokenError> {
    if user_id.is_empty() {
        return Err(TokenError::InvalidUserId {
            reason: "it is empty".into(),
        });
    }
    if user_id.len() > MAX_USER_ID_BYTES {
        return Err(TokenError::InvalidUserId {
            reason: format!(
                "it is {} bytes long, at most {MAX_USER_ID_BYTES} are allowed",
                user_id.len()
            ),
        });
    }
    Ok(())
}

/// Whole seconds of a lifetime, refused when zero, over 24 h, or absolute-looking.
pub(crate) fn check_lifetime(lifetime: Duration) -> Result<u32, TokenError> {
    let secs = lifetime.as_secs();
    if secs >= ABSOLUTE_TIMESTAMP_THRESHOLD_SECS {
        return Err(TokenError::LifetimeLooksAbsolute { secs });
    }
    if secs > MAX_LIFETIME_SECS {
        return Err(TokenError::LifetimeTooLong { secs });
    }
    if secs == 0 {
        return Err(TokenError::ZeroLifetime);
    }
    u32::try_from(secs).map_err(|_| TokenError::LifetimeTooLong { secs })
}
