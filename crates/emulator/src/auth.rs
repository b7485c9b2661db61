//! Authentication of service requests (SPEC section 2): Basic customer
//! credentials, `Authorization: agora token=<007...>`, and the legacy
//! `x-agora-token` + `x-agora-uid` headers for 006 tokens.

use std::collections::HashMap;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use agora_rtm_rest_protocol::token::{self, Expected, ParsedToken};

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

/// Who an accepted request authenticated as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Caller {
    /// Basic customer credentials: may act as any user.
    Customer,
    /// An RTM token: may act only as the token's users (the RTM and RTM2
    /// services' user ids of a 007 token, an empty one matching anyone; the
    /// `x-agora-uid` of a 006 token).
    Token {
        /// The users the token was built for.
        users: Vec<String>,
    },
}

impl Caller {
    /// True when this caller may send as (or act for) `user_id`.
    pub(crate) fn may_act_as(&self, user_id: &str) -> bool {
        match self {
            Caller::Customer => true,
            Caller::Token { users } => users.iter().any(|u| u.is_empty() || u == user_id),
        }
    }
}

/// The RTM users a parsed token names (`uid` for a 006 token).
fn token_users(parsed: &ParsedToken, uid: Option<&str>) -> Vec<String> {
    match parsed {
        ParsedToken::AccessToken2(t) => t
            .services
            .iter()
            .filter_map(|s| s.rtm_user_id())
            .map(str::to_owned)
            .collect(),
        ParsedToken::Legacy(_) => uid.map(str::to_owned).into_iter().collect(),
    }
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
    ) -> Result<Caller, AuthError> {
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
                return self.check_token(token, token::VERSION_007, app_id, None, now_unix);
            }
            return Err(bad_credentials(format!(
                "unsupported Authorization scheme {scheme:?}"
            )));
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
            return self.check_token(token, token::VERSION_006, app_id, Some(uid), now_unix);
        }
        Err(bad_credentials("no credentials"))
    }

    fn check_basic(&self, encoded: &str) -> Result<Caller, AuthError> {
        let decoded = STANDARD
            .decode(encoded)
            .map_err(|_| bad_credentials("Basic credentials are not base64"))?;
        let decoded = String::from_utf8(decoded)
            .map_err(|_| bad_credentials("Basic credentials are not UTF-8"))?;
        let (id, secret) = decoded
            .split_once(':')
            .ok_or_else(|| bad_credentials("Basic credentials without ':'"))?;
        if id.is_empty() {
            return Err(bad_credentials("empty customer id"));
        }
        if self.customers.is_empty() || self.customers.iter().any(|(i, s)| i == id && s == secret) {
            Ok(Caller::Customer)
        } else {
            Err(bad_credentials(format!(
                "unknown customer id or wrong secret for {id:?}"
            )))
        }
    }

    /// A token must be of the version its header carries (007 in
    /// `Authorization`, 006 in `x-agora-token`; the other is refused, as the
    /// service refuses a 007 token in the x-agora headers). For an app id with
    /// a certificate it must verify (signature, validity window), name this
    /// app id, carry an RTM user and, for 006, be built for `x-agora-uid`.
    /// Otherwise it only has to parse, and a 006 token's user CRC must still
    /// match `x-agora-uid`.
    fn check_token(
        &self,
        token: &str,
        expected_version: &str,
        app_id: &str,
        uid: Option<&str>,
        now_unix: u64,
    ) -> Result<Caller, AuthError> {
        if token.is_empty() {
            return Err(bad_token("empty token"));
        }
        if !token.starts_with(expected_version) {
            return Err(bad_token(format!(
                "a token that does not start with {expected_version} in this header"
            )));
        }
        let parsed = match self.certificates.get(app_id) {
            Some(cert) => {
                let expected = Expected {
                    app_id: Some(app_id),
                    user_id: uid,
                };
                let parsed = token::verify_token_with(token, expected, cert, now_unix)
                    .map_err(|e| bad_token(e.kind()))?;
                if parsed.rtm_user_id().is_none() {
                    return Err(bad_token("token carries no RTM service"));
                }
                parsed
            }
            None => {
                let parsed = token::parse_token(token).map_err(|e| bad_token(e.kind()))?;
                if let (Some(uid), Some(legacy)) = (uid, parsed.as_legacy())
                    && !legacy.matches_user(uid)
                {
                    return Err(bad_token("x-agora-uid is not the token's user"));
                }
                parsed
            }
        };
        Ok(Caller::Token {
            users: token_users(&parsed, uid),
        })
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
        assert_eq!(
            auth.authenticate(&basic("id", "secret"), "app", 0),
            Ok(Caller::Customer)
        );
        assert_eq!(
            auth.authenticate(&basic("id", ""), "app", 0),
            Ok(Caller::Customer)
        );
        assert!(matches!(
            auth.authenticate(&basic("", "x"), "app", 0),
            Err(AuthError::InvalidCredentials(_))
        ));
        let mut garbage = HeaderMap::new();
        garbage.insert(AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        assert!(matches!(
            auth.authenticate(&garbage, "app", 0),
            Err(AuthError::InvalidCredentials(_))
        ));
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
        assert_eq!(
            auth.authenticate(&basic("id", "secret"), "app", 0),
            Ok(Caller::Customer)
        );
        let wrong = auth
            .authenticate(&basic("id", "nope"), "app", 0)
            .unwrap_err();
        assert_eq!(wrong.message(), "Invalid authentication credentials");
    }

    const APP: &str = "970CA35de60c44645bbae8a215061b33";
    const CERT: &str = "5CFd2fd1755d40ecb72977518be15d3b";
    const NOW: u32 = 1_767_225_600;

    fn agora(token: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("agora token={token}")).unwrap(),
        );
        h
    }

    fn legacy(token: &str, uid: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(X_AGORA_TOKEN, HeaderValue::from_str(token).unwrap());
        h.insert(X_AGORA_UID, HeaderValue::from_str(uid).unwrap());
        h
    }

    fn with_cert() -> AuthConfig {
        AuthConfig {
            certificates: [(APP.to_string(), CERT.to_string())].into_iter().collect(),
            ..AuthConfig::default()
        }
    }

    fn token_007(user: &str) -> String {
        token::build_rtm_token(
            APP,
            CERT,
            user,
            std::time::Duration::from_secs(3600),
            NOW,
            7,
        )
        .unwrap()
    }

    fn token_006(user: &str) -> String {
        token::build_legacy_rtm_token(
            APP,
            CERT,
            user,
            std::time::Duration::from_secs(3600),
            NOW,
            7,
        )
        .unwrap()
    }

    fn token_of(user: &str) -> Caller {
        Caller::Token {
            users: vec![user.to_owned()],
        }
    }

    #[test]
    fn callers_act_as_their_users() {
        assert!(Caller::Customer.may_act_as("anyone"));
        let alice = token_of("alice");
        assert!(alice.may_act_as("alice"));
        assert!(!alice.may_act_as("bob"));
        assert!(!alice.may_act_as(""));
        assert!(token_of("").may_act_as("bob"));
        assert!(!Caller::Token { users: vec![] }.may_act_as("bob"));
    }

    #[test]
    fn verified_tokens() {
        let auth = with_cert();
        let now = u64::from(NOW) + 10;
        assert_eq!(
            auth.authenticate(&agora(&token_007("alice")), APP, now),
            Ok(token_of("alice"))
        );
        assert_eq!(
            auth.authenticate(&legacy(&token_006("bob"), "bob"), APP, now),
            Ok(token_of("bob"))
        );
        // Expired.
        let late = u64::from(NOW) + 7200;
        assert!(
            auth.authenticate(&agora(&token_007("alice")), APP, late)
                .is_err()
        );
        // Another app id in the path (with its own certificate).
        let other = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        let mut two = with_cert();
        two.certificates.insert(other.into(), CERT.into());
        assert!(
            two.authenticate(&agora(&token_007("alice")), other, now)
                .is_err()
        );
        // Wrong certificate.
        let mut wrong = AuthConfig::default();
        wrong
            .certificates
            .insert(APP.into(), "00000000000000000000000000000000".into());
        assert!(
            wrong
                .authenticate(&agora(&token_007("alice")), APP, now)
                .is_err()
        );
        // A 006 token for another user than x-agora-uid.
        assert!(
            auth.authenticate(&legacy(&token_006("bob"), "eve"), APP, now)
                .is_err()
        );
        // Each generation only in its own header.
        let e = auth
            .authenticate(&legacy(&token_007("bob"), "bob"), APP, now)
            .unwrap_err();
        assert_eq!(e.message(), "invalid token");
        assert!(
            auth.authenticate(&agora(&token_006("bob")), APP, now)
                .is_err()
        );
    }

    #[test]
    fn unverified_tokens_only_need_to_parse() {
        let auth = AuthConfig::default();
        let now = u64::from(NOW) + 10;
        assert_eq!(
            auth.authenticate(&agora(&token_007("alice")), "demo", now),
            Ok(token_of("alice"))
        );
        assert_eq!(
            auth.authenticate(&legacy(&token_006("bob"), "bob"), "demo", now),
            Ok(token_of("bob"))
        );
        assert!(
            auth.authenticate(&legacy(&token_006("bob"), "eve"), "demo", now)
                .is_err()
        );
        assert!(
            auth.authenticate(&agora("007garbage"), "demo", now)
                .is_err()
        );
    }

    #[test]
    fn token_headers_are_checked() {
        let auth = AuthConfig::default();
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_static("agora token="));
        assert_eq!(
            auth.authenticate(&h, "app", 0).unwrap_err().message(),
            "invalid token"
        );
        let mut h = HeaderMap::new();
        h.insert(
            AUTHORIZATION,
            HeaderValue::from_static("agora token=garbage"),
        );
        assert_eq!(
            auth.authenticate(&h, "app", 0).unwrap_err().message(),
            "invalid token"
        );
        let mut h = HeaderMap::new();
        h.insert(X_AGORA_TOKEN, HeaderValue::from_static("006garbage"));
        // No uid header.
        assert_eq!(
            auth.authenticate(&h, "app", 0).unwrap_err().message(),
            "invalid token"
        );
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert_eq!(
            auth.authenticate(&h, "app", 0).unwrap_err().message(),
            "Invalid authentication credentials"
        );
    }
}
