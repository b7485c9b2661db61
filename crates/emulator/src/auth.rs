//! Authentication of service requests (SPEC section 2): Basic customer
//! credentials, `Authorization: agora token=<007...>`, and the legacy
//! `x-agora-token` + `x-agora-uid` headers for 006 tokens.

use std::collections::HashMap;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::tokens::{self, TokenVersion};

/// Legacy token header.
pub(crate) const X_AGORA_TOKEN: &str = "x-agora-token";
/// Legacy user id header, sent with [`X_AGORA_TOKEN`].
pub(crate) const X_AGORA_UID: &str = "x-agora-uid";

/// Who may call the service.
#[derive(Debug, Clone, Default)]
pub(crate) struct AuthConfig {
    /// Accepted Basic pairs; empty accepts any well-formed pair.
    pub(crate) customers: Vec<(String, String)>,
    /// App certificates by app id: tokens for these apps are verified.
    pub(crate) certificates: HashMap<String, String>,
}

/// Why a request was refused (both answer 401).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthError {
    /// A token was presented but is unusable: `{"message": "invalid token"}`.
    InvalidToken(String),
    /// Basic credentials are wrong, malformed or absent:
    /// `{"message": "Invalid authentication credentials"}`.
    InvalidCredentials(String),
}

impl AuthError {
    /// The `message` of the 401 body.
    pub(crate) fn message(&self) -> &'static str {
        match self {
            AuthError::InvalidToken(_) => "invalid token",
            AuthError::InvalidCredentials(_) => "Invalid authentication credentials",
        }
    }

    /// Why, for the log.
    pub(crate) fn reason(&self) -> &str {
        match self {
            AuthError::InvalidToken(r) | AuthError::InvalidCredentials(r) => r,
        }
    }
}

fn bad_token(reason: impl Into<String>) -> AuthError {
    AuthError::InvalidToken(reason.into())
}

fn bad_credentials(reason: impl Into<String>) -> AuthError {
    AuthError::InvalidCredentials(reason.into())
}

impl AuthConfig {
    /// Checks a request for `app_id` at Unix time `now_unix` (seconds).
    ///
    /// `Authorization` wins over the legacy headers when both are present.
    pub(crate) fn authenticate(
        &self,
        headers: &HeaderMap,
        app_id: &str,
        now_unix: u64,
    ) -> Result<(), AuthError> {
        if let Some(value) = headers.get(AUTHORIZATION) {
            let value = value
                .to_str()
                .map_err(|_| bad_credentials("Authorization header is not visible ASCII"))?
                .trim();
            let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
            let rest = rest.trim();
            if scheme.eq_ignore_ascii_case("basic") {
                return self.check_basic(rest);
            }
            if scheme.eq_ignore_ascii_case("agora") {
                let token = rest
                    .strip_prefix("token=")
                    .ok_or_else(|| bad_token("agora scheme without token="))?
                    .trim();
                return self.check_token(token, TokenVersion::V007, app_id, None, now_unix);
            }
            return Err(bad_credentials(format!("unsupported Authorization scheme {scheme:?}")));
        }
        if let Some(token) = headers.get(X_AGORA_TOKEN) {
            let token = token
                .to_str()
                .map_err(|_| bad_token("x-agora-token is not visible ASCII"))?
                .trim();
            let uid = headers
                .get(X_AGORA_UID)
                .ok_or_else(|| bad_token("x-agora-token without x-agora-uid"))?
                .to_str()
                .map_err(|_| bad_token("x-agora-uid is not visible ASCII"))?;
            if uid.is_empty() {
                return Err(bad_token("empty x-agora-uid"));
            }
            return self.check_token(token, TokenVersion::V006, app_id, Some(uid), now_unix);
        }
        Err(bad_credentials("no credentials"))
    }

    fn check_basic(&self, encoded: &str) -> Result<(), AuthError> {
        let decoded = STANDARD
            .decode(encoded)
            .map_err(|_| bad_credentials("Basic credentials are not base64"))?;
        let decoded =
            String::from_utf8(decoded).map_err(|_| bad_credentials("Basic credentials are not UTF-8"))?;
        let (id, secret) = decoded
            .split_once(':')
            .ok_or_else(|| bad_credentials("Basic credentials without ':'"))?;
        if id.is_empty() {
            return Err(bad_credentials("empty customer id"));
        }
        if self.customers.is_empty()
            || self.customers.iter().any(|(i, s)| i == id && s == secret)
        {
            Ok(())
        } else {
            Err(bad_credentials(format!("unknown customer id or wrong secret for {id:?}")))
        }
    }

    /// A token must be of the version its header carries (007 in
    /// `Authorization`, 006 in `x-agora-token`). For an app id with a
    /// certificate it must verify, name this app id and carry an RTM user;
    /// otherwise it only has to parse. A 006 token's user must equal `x-agora-uid`.
    fn check_token(
        &self,
        token: &str,
        expected: TokenVersion,
        app_id: &str,
        uid: Option<&str>,
        now_unix: u64,
    ) -> Result<(), AuthError> {
        if token.is_empty() {
            return Err(bad_token("empty token"));
        }
        let certificate = self.certificates.get(app_id);
        let parsed = match certificate {
            Some(cert) => tokens::verify(token, cert, now_unix),
            None => tokens::parse(token),
        }
        .map_err(bad_token)?;
        if parsed.version != expected {
            return Err(bad_token(format!(
                "a {} token is not accepted in this header",
                parsed.version.as_str()
            )));
        }
        if certificate.is_some() {
            if parsed.app_id.as_deref() != Some(app_id) {
                return Err(bad_token("token was issued for another app id"));
            }
            if parsed.rtm_user_id.is_none() {
                return Err(bad_token("token carries no RTM privilege"));
            }
        }
        if let (Some(uid), Some(user)) = (uid, parsed.rtm_user_id.as_deref()) {
            if uid != user {
                return Err(bad_token("x-agora-uid differs from the token's user"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn basic(id: &str, secret: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let v = format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")));
        h.insert(AUTHORIZATION, HeaderValue::from_str(&v).unwrap());
        h
    }

    #[test]
    fn basic_any_pair_when_none_configured() {
        let auth = AuthConfig::default();
        assert_eq!(auth.authenticate(&basic("id", "secret"), "app", 0), Ok(()));
        assert_eq!(auth.authenticate(&basic("id", ""), "app", 0), Ok(()));
        assert!(matches!(
            auth.authenticate(&basic("", "x"), "app", 0),
            Err(AuthError::InvalidCredentials(_))
        ));
        let mut garbage = HeaderMap::new();
        garbage.insert(AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        assert!(matches!(auth.authenticate(&garbage, "app", 0), Err(AuthError::InvalidCredentials(_))));
        assert!(matches!(
            auth.authenticate(&HeaderMap::new(), "app", 0),
            Err(AuthError::InvalidCredentials(_))
        ));
    }

    #[test]
    fn basic_checks_configured_pairs() {
        let auth = AuthConfig {
            customers: vec![("id".into(), "secret".into())],
            ..AuthConfig::default()
        };
        assert_eq!(auth.authenticate(&basic("id", "secret"), "app", 0), Ok(()));
        let wrong = auth.authenticate(&basic("id", "nope"), "app", 0).unwrap_err();
        assert_eq!(wrong.message(), "Invalid authentication credentials");
    }

    #[test]
    fn token_headers_are_checked() {
        let auth = AuthConfig::default();
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_static("agora token="));
        assert_eq!(auth.authenticate(&h, "app", 0).unwrap_err().message(), "invalid token");
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_static("agora token=garbage"));
        assert_eq!(auth.authenticate(&h, "app", 0).unwrap_err().message(), "invalid token");
        let mut h = HeaderMap::new();
        h.insert(X_AGORA_TOKEN, HeaderValue::from_static("006garbage"));
        // No uid header.
        assert_eq!(auth.authenticate(&h, "app", 0).unwrap_err().message(), "invalid token");
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert_eq!(
            auth.authenticate(&h, "app", 0).unwrap_err().message(),
            "Invalid authentication credentials"
        );
    }
}
