//! Legacy AccessToken ("006...") for RTM (SPEC 2.2).
//!
//! ```text
//! m         = u32(salt) + u32(ts) + map(privileges)          # {1000: absolute expiry}
//! signature = HMAC_SHA256(key = app_certificate, msg = app_id + user_account + "" + m)
//! content   = str(signature) + u32(crc32(user_account)) + u32(crc32("")) + str(m)
//! token     = "006" + app_id + base64(content)               # no zlib
//! ```
//!
//! The token carries only a CRC of the user account, so verifying one needs
//! the account from elsewhere (the `x-agora-uid` header).

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::access_token2::{MAX_CONTENT_BYTES, hex};
use super::bytes::{Packer, Reader};
use super::civil::iso8601_utc;
use super::error::TokenError;
use super::validate::{check_app_certificate, check_app_id};

/// The version prefix of a legacy AccessToken.
pub const VERSION_006: &str = "006";

/// Legacy privilege 1000: RTM login; its value is an absolute Unix expiry.
pub const PRIVILEGE_RTM_LOGIN_LEGACY: u16 = 1000;

/// How long after its issue a legacy token's `ts` lies by default (24 h).
pub const LEGACY_TS_OFFSET_SECS: u32 = 86_400;

const APP_ID_CHARS: usize = 32;

/// A legacy AccessToken ("006"): a builder for RTM, and the result of parsing one.
///
/// `Debug` shows the decoded fields but not the signature bytes.
///
/// ```
/// use agora_rtm_rest_protocol::token::LegacyToken;
/// let mut t = LegacyToken::new_rtm("970CA35de60c44645bbae8a215061b33", "test_user", 1, 1111111);
/// t.add_privilege(1000, 1446455471);
/// let s = t.build("5CFd2fd1755d40ecb72977518be15d3b").unwrap();
/// assert_eq!(s, "006970CA35de60c44645bbae8a215061b33IAAsR0qgiCxv0vrpRcpkz5BrbfEWCBZ6kvR6t7qG/wJIQob86ogAAAAAEAABAAAAR/QQAAEA6AOvKDdW");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct LegacyToken {
    /// The app id (the 32 characters after the prefix).
    pub app_id: String,
    /// The user account, when known (building, or verified against one); a
    /// parsed token only carries its CRC.
    pub user_account: Option<String>,
    /// Random salt.
    pub salt: u32,
    /// The token's `ts` (by default issue time + 24 h), Unix seconds.
    pub ts: u32,
    /// Privilege id -> absolute expiry, Unix seconds (1000 = RTM login).
    pub privileges: BTreeMap<u16, u32>,
    /// CRC-32 of the "channel name" slot, i.e. of the user account for RTM.
    pub crc_channel_name: u32,
    /// CRC-32 of the uid slot (`crc32("") == 0` for RTM).
    pub crc_uid: u32,
    /// The HMAC-SHA256 signature (empty until built or parsed).
    pub signature: Vec<u8>,
    /// The packed `m` as received (parsing) or produced (building).
    message: Vec<u8>,
}

impl fmt::Debug for LegacyToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LegacyToken")
            .field("app_id", &self.app_id)
            .field("user_account", &self.user_account)
            .field("salt", &self.salt)
            .field("ts", &self.ts)
            .field("privileges", &self.privileges)
            .field(
                "crc_channel_name",
                &format_args!("{:#010x}", self.crc_channel_name),
            )
            .field("crc_uid", &format_args!("{:#010x}", self.crc_uid))
            .field(
                "signature",
                &format_args!("<{} bytes, not shown>", self.signature.len()),
            )
            .finish()
    }
}

impl LegacyToken {
    /// An unsigned RTM token for `user_account` with no privileges yet.
    pub fn new_rtm(
        app_id: impl Into<String>,
        user_account: impl Into<String>,
        salt: u32,
        ts: u32,
    ) -> Self {
        let user_account = user_account.into();
        Self {
            app_id: app_id.into(),
            crc_channel_name: crc32fast::hash(user_account.as_bytes()),
            crc_uid: crc32fast::hash(b""),
            user_account: Some(user_account),
            salt,
            ts,
            privileges: BTreeMap::new(),
            signature: Vec::new(),
            message: Vec::new(),
        }
    }

    /// Adds or replaces a privilege; the value is an absolute Unix time.
    pub fn add_privilege(&mut self, privilege: u16, expire_ts: u32) -> &mut Self {
        self.privileges.insert(privilege, expire_ts);
        self
    }

    fn pack_message(&self) -> Result<Vec<u8>, TokenError> {
        let mut p = Packer::new();
        p.u32(self.salt).u32(self.ts);
        p.map_u32(&self.privileges, "privileges")?;
        Ok(p.into_vec())
    }

    fn message(&self) -> Result<Vec<u8>, TokenError> {
        if self.message.is_empty() {
            self.pack_message()
        } else {
            Ok(self.message.clone())
        }
    }

    /// Signs and encodes the token: `"006" + app_id + base64(content)`.
    pub fn build(&self, app_certificate: &str) -> Result<String, TokenError> {
        check_app_id(&self.app_id)?;
        check_app_certificate(app_certificate)?;
        let account = self.user_account.as_deref().unwrap_or_default();
        let m = self.pack_message()?;
        let signature = signature(app_certificate, &self.app_id, account, &m);
        let mut p = Packer::new();
        p.bytes(&signature, "signature")?;
        p.u32(crc32fast::hash(account.as_bytes()));
        p.u32(crc32fast::hash(b""));
        p.bytes(&m, "message")?;
        Ok(format!(
            "{VERSION_006}{}{}",
            self.app_id,
            STANDARD.encode(p.into_vec())
        ))
    }

    /// Parses a `"006..."` string without verifying it (the user account stays unknown).
    pub fn parse(token: &str) -> Result<Self, TokenError> {
        let rest = token
            .strip_prefix(VERSION_006)
            .ok_or_else(|| TokenError::BadPrefix {
                found: token.chars().take(3).collect(),
            })?;
        let app_id = rest
            .get(..APP_ID_CHARS)
            .ok_or_else(|| TokenError::bad_encoding("too short to hold an app id"))?;
        let body = rest.get(APP_ID_CHARS..).unwrap_or_default();
        if body.len() > MAX_CONTENT_BYTES * 2 {
            return Err(TokenError::bad_encoding("token is too long"));
        }
        let content = STANDARD
            .decode(body)
            .map_err(|e| TokenError::bad_encoding(format!("invalid base64: {e}")))?;
        let mut r = Reader::new(&content);
        let signature = r.bytes("signature")?.to_vec();
        let crc_channel_name = r.u32("crc of the user account")?;
        let crc_uid = r.u32("crc of the uid")?;
        let message = r.bytes("message")?.to_vec();
        let mut m = Reader::new(&message);
        let salt = m.u32("salt")?;
        let ts = m.u32("ts")?;
        let privileges = m.map_u32("privileges")?;
        Ok(Self {
            app_id: app_id.to_string(),
            user_account: None,
            salt,
            ts,
            privileges,
            crc_channel_name,
            crc_uid,
            signature,
            message,
        })
    }

    /// True when `user_account` has the CRC this token carries.
    pub fn matches_user(&self, user_account: &str) -> bool {
        crc32fast::hash(user_account.as_bytes()) == self.crc_channel_name
    }

    /// Checks the signature in constant time for `user_account` (no time checks),
    /// and on success records the account in [`LegacyToken::user_account`].
    pub fn verify_signature(
        &mut self,
        user_account: &str,
        app_certificate: &str,
    ) -> Result<(), TokenError> {
        check_app_certificate(app_certificate)?;
        if !self.matches_user(user_account) {
            return Err(TokenError::WrongUserId {
                expected: user_account.to_string(),
            });
        }
        // The CRCs are not signed: the uid slot is empty for RTM, so its CRC
        // must be crc32(""), or the token was altered (or is not an RTM token).
        if self.crc_uid != crc32fast::hash(b"") {
            return Err(TokenError::BadSignature);
        }
        let expected = signature(
            app_certificate,
            &self.app_id,
            user_account,
            &self.message()?,
        );
        if bool::from(expected.as_slice().ct_eq(self.signature.as_slice())) {
            self.user_account = Some(user_account.to_string());
            Ok(())
        } else {
            Err(TokenError::BadSignature)
        }
    }

    /// Absolute expiry, Unix seconds: the RTM login privilege (1000) when
    /// present and non-zero, else `ts`.
    pub fn expires_at(&self) -> u64 {
        match self.privileges.get(&PRIVILEGE_RTM_LOGIN_LEGACY) {
            Some(at) if *at != 0 => u64::from(*at),
            _ => u64::from(self.ts),
        }
    }

    /// The decoded token as JSON (see [`crate::token::ParsedToken::to_json`]).
    pub fn to_json(&self) -> serde_json::Value {
        let privileges: Vec<serde_json::Value> = self
            .privileges
            .iter()
            .map(|(id, at)| {
                serde_json::json!({
                    "privilege": id,
                    "name": legacy_privilege_name(*id),
                    "expires_at": at,
                    "expires_at_iso": iso8601_utc(u64::from(*at)),
                })
            })
            .collect();
        serde_json::json!({
            "version": VERSION_006,
            "app_id": self.app_id,
            "user_account": self.user_account,
            "salt": self.salt,
            "ts": self.ts,
            "ts_iso": iso8601_utc(u64::from(self.ts)),
            "expires_at": self.expires_at(),
            "expires_at_iso": iso8601_utc(self.expires_at()),
            "privileges": privileges,
            "crc_user_account": format!("{:08x}", self.crc_channel_name),
            "crc_uid": format!("{:08x}", self.crc_uid),
            "signature": hex(&self.signature),
        })
    }
}

/// The name of a legacy (006) privilege, e.g. `1000` -> `"rtm_login"`.
pub fn legacy_privilege_name(privilege: u16) -> Option<&'static str> {
    match privilege {
        1 => Some("join_channel"),
        2 => Some("publish_audio_stream"),
        3 => Some("publish_video_stream"),
        4 => Some("publish_data_stream"),
        PRIVILEGE_RTM_LOGIN_LEGACY => Some("rtm_login"),
        _ => None,
    }
}

fn signature(app_certificate: &str, app_id: &str, user_account: &str, m: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(app_certificate.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(app_id.as_bytes());
    mac.update(user_account.as_bytes());
    mac.update(b""); // the empty uid slot
    mac.update(m);
    mac.finalize().into_bytes().into()
}
