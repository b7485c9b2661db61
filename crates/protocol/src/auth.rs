//! Credentials and the headers they produce (SPEC section 2).

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;

use crate::error::Error;
use crate::token;

/// A secret string (customer secret, token, app certificate). `Debug` and
/// `Display` print `[redacted]`; [`Secret::expose`] is the only way to read it.
///
/// ```
/// use agora_rtm_rest_protocol::Secret;
/// let s = Secret::new("hunter2");
/// assert_eq!(format!("{s} {s:?}"), "[redacted] [redacted]");
/// assert_eq!(s.expose(), "hunter2");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Secret(secret.into())
    }

    /// The secret itself. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret::new(s)
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret::new(s)
    }
}

/// How a token travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TokenScheme {
    /// AccessToken2 (007) in `Authorization: agora token=...` (current docs).
    #[default]
    AgoraToken,
    /// Legacy AccessToken (006) in `x-agora-token` + `x-agora-uid` (the seed document).
    LegacyHeaders,
}

/// An RTM token minted by the SDK itself from the app certificate, cached and
/// re-minted ahead of expiry.
pub struct MintedToken {
    app_id: String,
    app_certificate: Secret,
    user_id: String,
    lifetime: Duration,
    refresh_margin: Duration,
    scheme: TokenScheme,
    cache: Mutex<Option<CachedToken>>,
}

#[derive(Clone)]
struct CachedToken {
    token: Secret,
    issued_at: u64,
    expires_at: u64,
}

impl MintedToken {
    /// The longest lifetime Agora accepts (24 h).
    pub const MAX_LIFETIME: Duration = Duration::from_secs(86_400);

    /// Mints 007 tokens (`agora token=` scheme) for `user_id` valid for `lifetime`.
    /// The app id and certificate must be 32 hex characters each; the lifetime is a
    /// duration of at most 24 h. The default refresh margin is a quarter of the
    /// lifetime, at most 5 minutes.
    pub fn new(
        app_id: impl Into<String>,
        app_certificate: impl Into<Secret>,
        user_id: impl Into<String>,
        lifetime: Duration,
    ) -> Result<Self, Error> {
        let minted = MintedToken {
            app_id: app_id.into(),
            app_certificate: app_certificate.into(),
            user_id: user_id.into(),
            lifetime,
            refresh_margin: (lifetime / 4).min(Duration::from_secs(300)),
            scheme: TokenScheme::AgoraToken,
            cache: Mutex::new(None),
        };
        // Validate everything once, up front, with a throw-away mint.
        minted.mint(1_700_000_000, 1)?;
        Ok(minted)
    }

    /// Uses legacy 006 tokens in the x-agora headers instead.
    pub fn legacy(mut self) -> Self {
        self.scheme = TokenScheme::LegacyHeaders;
        self
    }

    /// Re-mints when less than `margin` of the lifetime is left (capped below the lifetime).
    pub fn with_refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin.min(self.lifetime.saturating_sub(Duration::from_secs(1)));
        self
    }

    /// The app id the tokens are for.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The user the tokens are for.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The header scheme.
    pub fn scheme(&self) -> TokenScheme {
        self.scheme
    }

    fn mint(&self, now_unix: u64, salt: u32) -> Result<CachedToken, Error> {
        let issue_ts = u32::try_from(now_unix).map_err(|_| {
            Error::invalid_input("now", "Unix time does not fit the token format (u32)")
        })?;
        // Agora's salts are 1..=99_999_999; map anything else into that range.
        let salt = if (1..=99_999_999).contains(&salt) {
            salt
        } else {
            salt % 99_999_999 + 1
        };
        let build = match self.scheme {
            TokenScheme::AgoraToken => token::build_rtm_token,
            TokenScheme::LegacyHeaders => token::build_legacy_rtm_token,
        };
        let token = build(
            &self.app_id,
            self.app_certificate.expose(),
            &self.user_id,
            self.lifetime,
            issue_ts,
            salt,
        )
        .map_err(|e| Error::invalid_input("minted_token", e.to_string()))?;
        Ok(CachedToken {
            token: Secret::new(token),
            issued_at: now_unix,
            expires_at: now_unix + self.lifetime.as_secs(),
        })
    }

    /// The token to send at `now_unix`: the cached one while more than the refresh
    /// margin is left, else a new one minted with `salt`.
    pub fn current(&self, now_unix: u64, salt: u32) -> Result<Secret, Error> {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = cache.as_ref() {
            let fresh =
                now_unix >= c.issued_at && now_unix + self.refresh_margin.as_secs() < c.expires_at;
            if fresh {
                return Ok(c.token.clone());
            }
        }
        let minted = self.mint(now_unix, salt)?;
        let token = minted.token.clone();
        *cache = Some(minted);
        Ok(token)
    }
}

impl Clone for MintedToken {
    /// A copy with the same settings; the copy mints its own tokens (the cache is
    /// not shared).
    fn clone(&self) -> Self {
        MintedToken {
            app_id: self.app_id.clone(),
            app_certificate: self.app_certificate.clone(),
            user_id: self.user_id.clone(),
            lifetime: self.lifetime,
            refresh_margin: self.refresh_margin,
            scheme: self.scheme,
            cache: Mutex::new(None),
        }
    }
}

impl fmt::Debug for MintedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MintedToken")
            .field("app_id", &self.app_id)
            .field("app_certificate", &self.app_certificate)
            .field("user_id", &self.user_id)
            .field("lifetime", &self.lifetime)
            .field("refresh_margin", &self.refresh_margin)
            .field("scheme", &self.scheme)
            .finish_non_exhaustive()
    }
}

/// The three auth modes of the API, plus tokens the SDK mints itself.
///
/// ```
/// use agora_rtm_rest_protocol::Credentials;
/// let c = Credentials::basic("customer", "s3cret").unwrap();
/// let headers = c.headers(0, 0).unwrap();
/// assert_eq!(headers[0].0, "authorization");
/// assert_eq!(headers[0].1, "Basic Y3VzdG9tZXI6czNjcmV0");
/// assert!(!format!("{c:?}").contains("s3cret"));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Credentials {
    /// `Authorization: Basic base64(customer_id:customer_secret)`.
    Basic {
        /// Customer id (RESTful API page of Agora Console).
        customer_id: String,
        /// Customer secret.
        customer_secret: Secret,
    },
    /// An AccessToken2 (007) RTM token in `Authorization: agora token=...`.
    Token {
        /// The token.
        token: Secret,
    },
    /// A legacy (006) RTM token in `x-agora-token`, with the user id it was built
    /// for in `x-agora-uid`.
    LegacyToken {
        /// The token.
        token: Secret,
        /// The user id the token was built for.
        uid: String,
    },
    /// Tokens minted, cached and refreshed by the SDK.
    Minted(MintedToken),
}

impl Credentials {
    /// Basic credentials; the customer id must be non-empty without `:`.
    pub fn basic(
        customer_id: impl Into<String>,
        customer_secret: impl Into<Secret>,
    ) -> Result<Self, Error> {
        let customer_id = customer_id.into();
        let customer_secret = customer_secret.into();
        if customer_id.is_empty() || customer_id.contains(':') {
            return Err(Error::invalid_input(
                "customer_id",
                "must be non-empty and must not contain ':'",
            ));
        }
        if customer_secret.expose().is_empty() {
            return Err(Error::invalid_input("customer_secret", "must not be empty"));
        }
        Ok(Credentials::Basic {
            customer_id,
            customer_secret,
        })
    }

    /// A 007 token sent as `agora token=`.
    pub fn token(token: impl Into<Secret>) -> Result<Self, Error> {
        let token = token.into();
        check_token_text(&token)?;
        Ok(Credentials::Token { token })
    }

    /// A legacy token with the uid it was built for.
    pub fn legacy_token(token: impl Into<Secret>, uid: impl Into<String>) -> Result<Self, Error> {
        let token = token.into();
        let uid = uid.into();
        check_token_text(&token)?;
        if uid.is_empty() || !is_header_safe(&uid) {
            return Err(Error::invalid_input(
                "uid",
                "must be non-empty printable ASCII",
            ));
        }
        Ok(Credentials::LegacyToken { token, uid })
    }

    /// The user the credentials act as, when they are bound to one (token modes).
    pub fn user_id(&self) -> Option<&str> {
        match self {
            Credentials::Basic { .. } | Credentials::Token { .. } => None,
            Credentials::LegacyToken { uid, .. } => Some(uid),
            Credentials::Minted(m) => Some(m.user_id()),
        }
    }

    /// The auth headers for a request at `now_unix` (wall clock, Unix seconds).
    /// `salt` is only used when a token has to be minted.
    pub fn headers(&self, now_unix: u64, salt: u32) -> Result<Vec<(String, String)>, Error> {
        Ok(match self {
            Credentials::Basic {
                customer_id,
                customer_secret,
            } => {
                let raw = format!("{customer_id}:{}", customer_secret.expose());
                let encoded = base64::engine::general_purpose::STANDARD.encode(raw);
                vec![("authorization".into(), format!("Basic {encoded}"))]
            }
            Credentials::Token { token } => token_headers(TokenScheme::AgoraToken, token, None),
            Credentials::LegacyToken { token, uid } => {
                token_headers(TokenScheme::LegacyHeaders, token, Some(uid))
            }
            Credentials::Minted(m) => {
                let token = m.current(now_unix, salt)?;
                token_headers(m.scheme(), &token, Some(m.user_id()))
            }
        })
    }
}

fn token_headers(scheme: TokenScheme, token: &Secret, uid: Option<&str>) -> Vec<(String, String)> {
    match scheme {
        TokenScheme::AgoraToken => vec![(
            "authorization".into(),
            format!("agora token={}", token.expose()),
        )],
        TokenScheme::LegacyHeaders => vec![
            ("x-agora-token".into(), token.expose().to_owned()),
            ("x-agora-uid".into(), uid.unwrap_or_default().to_owned()),
        ],
    }
}

fn is_header_safe(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7f).contains(&b))
}

fn check_token_text(token: &Secret) -> Result<(), Error> {
    let t = token.expose();
    if t.is_empty() || !is_header_safe(t) || t.contains(' ') {
        return Err(Error::invalid_input(
            "token",
            "must be a non-empty token without spaces or control characters",
        ));
    }
    Ok(())
}
