//! Tokens: [`agora_rtm_rest::protocol::token`] for JavaScript.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agora_rtm_rest::protocol::token::{
    self, AccessToken2, Expected, LegacyToken, PRIVILEGE_RTM_LOGIN_LEGACY, ParsedToken, Service,
};
use napi_derive::napi;

use crate::errors::{self, token_error};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A random salt in 1..=99_999_999 (what Agora's builders use).
fn random_salt() -> u32 {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(unix_now());
    (h.finish() % 99_999_999) as u32 + 1
}

fn issue_ts(given: Option<u32>) -> u32 {
    given.unwrap_or_else(|| u32::try_from(unix_now()).unwrap_or(u32::MAX))
}

fn lifetime(secs: i64) -> napi::Result<Duration> {
    u64::try_from(secs)
        .map(Duration::from_secs)
        .map_err(|_| errors::invalid("lifetimeSeconds", "must not be negative"))
}

fn u32_arg(v: i64, field: &str) -> napi::Result<u32> {
    u32::try_from(v).map_err(|_| errors::invalid(field, "must fit in 32 bits"))
}

/// Builds an AccessToken2 (`007...`) RTM token. `issueTs` defaults to now and
/// `salt` to a random number.
#[napi]
pub fn build_rtm_token(
    app_id: String,
    app_certificate: String,
    user_id: String,
    lifetime_seconds: i64,
    issue_ts_unix: Option<u32>,
    salt: Option<u32>,
) -> napi::Result<String> {
    token::build_rtm_token(
        &app_id,
        &app_certificate,
        &user_id,
        lifetime(lifetime_seconds)?,
        issue_ts(issue_ts_unix),
        salt.unwrap_or_else(random_salt),
    )
    .map_err(|e| token_error(&e))
}

/// Builds a legacy AccessToken (`006...`) RTM token.
#[napi]
pub fn build_legacy_rtm_token(
    app_id: String,
    app_certificate: String,
    user_id: String,
    lifetime_seconds: i64,
    issue_ts_unix: Option<u32>,
    salt: Option<u32>,
) -> napi::Result<String> {
    token::build_legacy_rtm_token(
        &app_id,
        &app_certificate,
        &user_id,
        lifetime(lifetime_seconds)?,
        issue_ts(issue_ts_unix),
        salt.unwrap_or_else(random_salt),
    )
    .map_err(|e| token_error(&e))
}

/// Builds a 006 RTM token from Agora's raw inputs (`ts` and the absolute
/// privilege expiry), as Agora's own builders take them.
#[napi]
pub fn build_legacy_rtm_token_raw(
    app_id: String,
    app_certificate: String,
    user_id: String,
    salt: i64,
    ts: i64,
    privilege_expire_ts: i64,
) -> napi::Result<String> {
    let mut t = LegacyToken::new_rtm(app_id, user_id, u32_arg(salt, "salt")?, u32_arg(ts, "ts")?);
    t.add_privilege(
        PRIVILEGE_RTM_LOGIN_LEGACY,
        u32_arg(privilege_expire_ts, "privilegeExpireTs")?,
    );
    t.build(&app_certificate).map_err(|e| token_error(&e))
}

/// Builds a 007 RTC token (join-channel privilege) for `channelName` and `uid` (0 = any).
#[napi]
pub fn build_rtc_token(
    app_id: String,
    app_certificate: String,
    channel_name: String,
    uid: u32,
    lifetime_seconds: i64,
    issue_ts_unix: Option<u32>,
    salt: Option<u32>,
) -> napi::Result<String> {
    let secs = u32_arg(lifetime_seconds, "lifetimeSeconds")?;
    AccessToken2::new(
        app_id,
        issue_ts(issue_ts_unix),
        secs,
        salt.unwrap_or_else(random_salt),
    )
    .add_service(Service::rtc(channel_name, uid, secs))
    .build(&app_certificate)
    .map_err(|e| token_error(&e))
}

/// A decoded token.
#[napi(object)]
pub struct ParsedTokenJs {
    /// `007` or `006`.
    pub version: String,
    /// The app id it was built for.
    pub app_id: String,
    /// The RTM user id (007; 006 only when verified for a user).
    pub user_id: Option<String>,
    /// Issue time, Unix seconds (007).
    pub issued_at: Option<i64>,
    /// Expiry, Unix seconds.
    pub expires_at: Option<i64>,
    /// The signature, lower-case hex.
    pub signature_hex: String,
    /// (007) the decompressed content, lower-case hex.
    pub content_hex: Option<String>,
    /// The inspection JSON (the language-neutral format of `agora-rtm token inspect`).
    pub json: String,
}

fn parsed_js(p: ParsedToken) -> napi::Result<ParsedTokenJs> {
    let (signature, content) = match &p {
        ParsedToken::AccessToken2(t) => (
            hex(&t.signature),
            Some(hex(&t.content_bytes().map_err(|e| token_error(&e))?)),
        ),
        ParsedToken::Legacy(t) => (hex(&t.signature), None),
    };
    Ok(ParsedTokenJs {
        version: p.version().to_owned(),
        app_id: p.app_id().to_owned(),
        user_id: p.rtm_user_id().map(str::to_owned),
        issued_at: p.issued_at().map(|v| v as i64),
        expires_at: p.expires_at().map(|v| v as i64),
        signature_hex: signature,
        content_hex: content,
        json: p.to_json().to_string(),
    })
}

/// Decodes a 007 or 006 token without checking its signature.
#[napi]
pub fn parse_token(token: String) -> napi::Result<ParsedTokenJs> {
    token::parse_token(&token)
        .map_err(|e| token_error(&e))
        .and_then(parsed_js)
}

/// Verifies a token's signature and validity window (and, when given, its app id
/// and user); `nowUnix` defaults to the current time.
#[napi]
pub fn verify_token(
    token: String,
    app_certificate: String,
    app_id: Option<String>,
    user_id: Option<String>,
    now_unix: Option<i64>,
) -> napi::Result<ParsedTokenJs> {
    let now = match now_unix {
        Some(n) => {
            u64::try_from(n).map_err(|_| errors::invalid("nowUnix", "must not be negative"))?
        }
        None => unix_now(),
    };
    let expected = Expected {
        app_id: app_id.as_deref(),
        user_id: user_id.as_deref(),
    };
    token::verify_token_with(&token, expected, &app_certificate, now)
        .map_err(|e| token_error(&e))
        .and_then(parsed_js)
}

/// The intermediate signing keys of a 007 token (`k1`, `k2`), lower-case hex.
#[napi(object)]
pub struct SigningKeysJs {
    /// `HMAC_SHA256(u32le(issue_ts), certificate)`.
    pub k1_hex: String,
    /// `HMAC_SHA256(u32le(salt), k1)`.
    pub k2_hex: String,
}

/// The signing keys of a 007 token for `appCertificate` (test and interop use).
#[napi]
pub fn token_signing_keys(token: String, app_certificate: String) -> napi::Result<SigningKeysJs> {
    let t = AccessToken2::parse(&token).map_err(|e| token_error(&e))?;
    let (k1, k2) = t.signing_keys(&app_certificate);
    Ok(SigningKeysJs {
        k1_hex: hex(&k1),
        k2_hex: hex(&k2),
    })
}
