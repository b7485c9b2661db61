//! AccessToken2 ("007...") tokens: layout, builder, parser and signature (SPEC 2.1).

use std::collections::BTreeMap;
use std::fmt;
use std::io::{Read, Write};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use std::cell::RefCell;

use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use flate2::{Compress, Compression, FlushCompress, Status};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::bytes::{Packer, Reader};
use super::civil::iso8601_utc;
use super::error::TokenError;
use super::rtm2::Rtm2Permissions;
use super::validate::{check_app_certificate, check_app_id};

/// The version prefix of an AccessToken2.
pub const VERSION_007: &str = "007";

/// Service type number of RTC.
pub const SERVICE_RTC: u16 = 1;
/// Service type number of RTM (Signaling 1.x and 2.x login).
pub const SERVICE_RTM: u16 = 2;
/// Service type number of RTM2 (RTM with resource-level permissions).
pub const SERVICE_RTM2: u16 = 8;

/// RTM / RTM2 privilege 1: login.
pub const PRIVILEGE_RTM_LOGIN: u16 = 1;
/// RTC privilege 1: join channel.
pub const PRIVILEGE_RTC_JOIN_CHANNEL: u16 = 1;
/// RTC privilege 2: publish audio stream.
pub const PRIVILEGE_RTC_PUBLISH_AUDIO: u16 = 2;
/// RTC privilege 3: publish video stream.
pub const PRIVILEGE_RTC_PUBLISH_VIDEO: u16 = 3;
/// RTC privilege 4: publish data stream.
pub const PRIVILEGE_RTC_PUBLISH_DATA: u16 = 4;

/// Decompressed token content larger than this is refused (a zlib bomb guard;
/// real tokens are a few hundred bytes).
pub const MAX_CONTENT_BYTES: usize = 64 * 1024;

/// Token strings longer than this are refused before decoding.
const MAX_TOKEN_CHARS: usize = 4 * MAX_CONTENT_BYTES;

type HmacSha256 = Hmac<Sha256>;

/// One service of an AccessToken2, with its privileges.
///
/// Privilege values are lifetimes in seconds relative to the token's `issue_ts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Service {
    /// RTC (type 1).
    Rtc {
        /// Privilege id -> lifetime in seconds (1 join, 2 publish audio, 3 publish video, 4 publish data).
        privileges: BTreeMap<u16, u32>,
        /// The RTC channel.
        channel_name: String,
        /// The uid in decimal, or a user account; `""` means any uid (uid 0).
        uid: String,
    },
    /// RTM (type 2).
    Rtm {
        /// Privilege id -> lifetime in seconds (1 login).
        privileges: BTreeMap<u16, u32>,
        /// The RTM user id.
        user_id: String,
    },
    /// RTM2 (type 8): RTM with resource-level permissions.
    Rtm2 {
        /// Privilege id -> lifetime in seconds (1 login).
        privileges: BTreeMap<u16, u32>,
        /// The RTM user id (`""` for any user).
        user_id: String,
        /// Resource-level permissions.
        permissions: Rtm2Permissions,
    },
}

impl Service {
    /// An RTM service for `user_id` with the login privilege lasting `login_secs`.
    ///
    /// ```
    /// use agora_rtm_rest_protocol::token::Service;
    /// let s = Service::rtm("alice", 600);
    /// assert_eq!(s.service_type(), 2);
    /// assert_eq!(s.privileges().get(&1), Some(&600));
    /// ```
    pub fn rtm(user_id: impl Into<String>, login_secs: u32) -> Self {
        Service::Rtm {
            privileges: BTreeMap::from([(PRIVILEGE_RTM_LOGIN, login_secs)]),
            user_id: user_id.into(),
        }
    }

    /// An RTC service for `channel_name` and `uid` (0 = any uid) with the
    /// join-channel privilege lasting `join_secs`.
    pub fn rtc(channel_name: impl Into<String>, uid: u32, join_secs: u32) -> Self {
        Service::Rtc {
            privileges: BTreeMap::from([(PRIVILEGE_RTC_JOIN_CHANNEL, join_secs)]),
            channel_name: channel_name.into(),
            uid: if uid == 0 {
                String::new()
            } else {
                uid.to_string()
            },
        }
    }

    /// An RTM2 service for `user_id` with the login privilege lasting
    /// `login_secs` and the given permissions.
    pub fn rtm2(user_id: impl Into<String>, login_secs: u32, permissions: Rtm2Permissions) -> Self {
        Service::Rtm2 {
            privileges: BTreeMap::from([(PRIVILEGE_RTM_LOGIN, login_secs)]),
            user_id: user_id.into(),
            permissions,
        }
    }

    /// The wire type number (1, 2 or 8).
    pub fn service_type(&self) -> u16 {
        match self {
            Service::Rtc { .. } => SERVICE_RTC,
            Service::Rtm { .. } => SERVICE_RTM,
            Service::Rtm2 { .. } => SERVICE_RTM2,
        }
    }

    /// `"rtc"`, `"rtm"` or `"rtm2"`.
    pub fn name(&self) -> &'static str {
        match self {
            Service::Rtc { .. } => "rtc",
            Service::Rtm { .. } => "rtm",
            Service::Rtm2 { .. } => "rtm2",
        }
    }

    /// Privilege id -> lifetime in seconds.
    pub fn privileges(&self) -> &BTreeMap<u16, u32> {
        match self {
            Service::Rtc { privileges, .. }
            | Service::Rtm { privileges, .. }
            | Service::Rtm2 { privileges, .. } => privileges,
        }
    }

    /// Adds or replaces a privilege (a lifetime in seconds relative to the issue time).
    pub fn add_privilege(&mut self, privilege: u16, secs: u32) -> &mut Self {
        match self {
            Service::Rtc { privileges, .. }
            | Service::Rtm { privileges, .. }
            | Service::Rtm2 { privileges, .. } => {
                privileges.insert(privilege, secs);
            }
        }
        self
    }

    /// The RTM user id of an RTM or RTM2 service.
    pub fn rtm_user_id(&self) -> Option<&str> {
        match self {
            Service::Rtm { user_id, .. } | Service::Rtm2 { user_id, .. } => Some(user_id),
            Service::Rtc { .. } => None,
        }
    }

    fn pack(&self, p: &mut Packer) -> Result<(), TokenError> {
        p.u16(self.service_type());
        p.map_u32(self.privileges(), "privileges")?;
        match self {
            Service::Rtc {
                channel_name, uid, ..
            } => {
                p.str(channel_name, "channel_name")?;
                p.str(uid, "uid")?;
            }
            Service::Rtm { user_id, .. } => {
                p.str(user_id, "user_id")?;
            }
            Service::Rtm2 {
                user_id,
                permissions,
                ..
            } => {
                p.str(user_id, "user_id")?;
                permissions.pack(p)?;
            }
        }
        Ok(())
    }

    /// Reads one service whose type number was already read; `Ok(None)` for a
    /// type this crate does not know (the caller stops there).
    fn unpack(service_type: u16, r: &mut Reader<'_>) -> Result<Option<Self>, TokenError> {
        let known = matches!(service_type, SERVICE_RTC | SERVICE_RTM | SERVICE_RTM2);
        if !known {
            return Ok(None);
        }
        let privileges = r.map_u32("service privileges")?;
        Ok(Some(match service_type {
            SERVICE_RTC => Service::Rtc {
                privileges,
                channel_name: r.string("rtc channel name")?,
                uid: r.string("rtc uid")?,
            },
            SERVICE_RTM => Service::Rtm {
                privileges,
                user_id: r.string("rtm user id")?,
            },
            _ => Service::Rtm2 {
                privileges,
                user_id: r.string("rtm2 user id")?,
                permissions: Rtm2Permissions::unpack(r)?,
            },
        }))
    }

    fn to_json(&self, issue_ts: u32) -> serde_json::Value {
        let privileges: Vec<serde_json::Value> = self
            .privileges()
            .iter()
            .map(|(id, secs)| {
                let at = u64::from(issue_ts) + u64::from(*secs);
                serde_json::json!({
                    "privilege": id,
                    "name": privilege_name(self.service_type(), *id),
                    "expire": secs,
                    "expires_at": at,
                    "expires_at_iso": iso8601_utc(at),
                })
            })
            .collect();
        let mut v = serde_json::json!({
            "type": self.service_type(),
            "name": self.name(),
            "privileges": privileges,
        });
        match self {
            Service::Rtc {
                channel_name, uid, ..
            } => {
                v["channel_name"] = channel_name.as_str().into();
                v["uid"] = uid.as_str().into();
            }
            Service::Rtm { user_id, .. } => {
                v["user_id"] = user_id.as_str().into();
            }
            Service::Rtm2 {
                user_id,
                permissions,
                ..
            } => {
                v["user_id"] = user_id.as_str().into();
                v["permissions"] = permissions.to_json();
            }
        }
        v
    }
}

/// The name of a privilege of a service type, e.g. `(2, 1)` -> `"login"`.
pub fn privilege_name(service_type: u16, privilege: u16) -> Option<&'static str> {
    match (service_type, privilege) {
        (SERVICE_RTM | SERVICE_RTM2, PRIVILEGE_RTM_LOGIN) => Some("login"),
        (SERVICE_RTC, PRIVILEGE_RTC_JOIN_CHANNEL) => Some("join_channel"),
        (SERVICE_RTC, PRIVILEGE_RTC_PUBLISH_AUDIO) => Some("publish_audio_stream"),
        (SERVICE_RTC, PRIVILEGE_RTC_PUBLISH_VIDEO) => Some("publish_video_stream"),
        (SERVICE_RTC, PRIVILEGE_RTC_PUBLISH_DATA) => Some("publish_data_stream"),
        _ => None,
    }
}

/// An AccessToken2 ("007"): a builder, and the result of parsing one.
///
/// `expire` and the privilege values are lifetimes in seconds relative to
/// `issue_ts`. Build one with [`AccessToken2::new`], [`AccessToken2::add_service`]
/// and [`AccessToken2::build`]; parse one with [`AccessToken2::parse`].
///
/// `Debug` shows the decoded fields but not the signature bytes.
///
/// ```
/// use agora_rtm_rest_protocol::token::{AccessToken2, Service};
/// let token = AccessToken2::new("970CA35de60c44645bbae8a215061b33", 1111111, 600, 1)
///     .add_service(Service::rtm("test_user", 600))
///     .build("5CFd2fd1755d40ecb72977518be15d3b")
///     .unwrap();
/// assert!(token.starts_with("007eJxTYOCdJftjyTM2zxW6"));
/// let parsed = AccessToken2::parse(&token).unwrap();
/// assert_eq!(parsed.services[0].rtm_user_id(), Some("test_user"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken2 {
    /// The app id (32 hex characters).
    pub app_id: String,
    /// Issue time, Unix seconds.
    pub issue_ts: u32,
    /// Token lifetime in seconds from `issue_ts`.
    pub expire: u32,
    /// Random salt (Agora uses 1..=99_999_999).
    pub salt: u32,
    /// The services, sorted by type when built.
    pub services: Vec<Service>,
    /// The HMAC-SHA256 signature (empty until built or parsed).
    pub signature: Vec<u8>,
    /// When parsing stopped at a service type this crate does not know, that type.
    pub unknown_service_type: Option<u16>,
    /// The signed bytes as received (parsing) or produced (building).
    signing_info: Vec<u8>,
}

impl fmt::Debug for AccessToken2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken2")
            .field("app_id", &self.app_id)
            .field("issue_ts", &self.issue_ts)
            .field("expire", &self.expire)
            .field("salt", &self.salt)
            .field("services", &self.services)
            .field(
                "signature",
                &format_args!("<{} bytes, not shown>", self.signature.len()),
            )
            .field("unknown_service_type", &self.unknown_service_type)
            .finish()
    }
}

impl AccessToken2 {
    /// An unsigned token with no services yet.
    pub fn new(app_id: impl Into<String>, issue_ts: u32, expire: u32, salt: u32) -> Self {
        Self {
            app_id: app_id.into(),
            issue_ts,
            expire,
            salt,
            services: Vec::new(),
            signature: Vec::new(),
            unknown_service_type: None,
            signing_info: Vec::new(),
        }
    }

    /// Adds a service (services of the same type keep their insertion order).
    pub fn add_service(&mut self, service: Service) -> &mut Self {
        self.services.push(service);
        self
    }

    /// Signs and encodes the token: `"007" + base64(zlib(content))`.
    ///
    /// Refuses an app id or certificate that is not 32 hex characters and a
    /// token without services. Lifetimes are not checked here: the
    /// `build_*_token` functions of [`crate::token`] do that. Building a parsed
    /// token signs its fields afresh (a service after an unknown service type
    /// was not parsed and is not included).
    pub fn build(&self, app_certificate: &str) -> Result<String, TokenError> {
        check_app_id(&self.app_id)?;
        check_app_certificate(app_certificate)?;
        if self.services.is_empty() {
            return Err(TokenError::NoService);
        }
        let signing_info = self.pack_signing_info()?;
        let signature = self.signature_over(app_certificate, &signing_info);
        let mut content = Packer::new();
        content.bytes(&signature, "signature")?;
        content.raw(&signing_info);
        Ok(format!(
            "{VERSION_007}{}",
            STANDARD.encode(zlib_compress(&content.into_vec()))
        ))
    }

    fn pack_signing_info(&self) -> Result<Vec<u8>, TokenError> {
        let mut p = Packer::new();
        p.str(&self.app_id, "app_id")?;
        p.u32(self.issue_ts).u32(self.expire).u32(self.salt);
        p.count(self.services.len(), "services")?;
        let mut sorted: Vec<&Service> = self.services.iter().collect();
        sorted.sort_by_key(|s| s.service_type()); // stable: keeps insertion order within a type
        for s in sorted {
            s.pack(&mut p)?;
        }
        Ok(p.into_vec())
    }

    /// Parses a `"007..."` string without verifying it.
    ///
    /// Any base64, zlib or truncation problem is [`TokenError::BadEncoding`];
    /// parsing stops at an unknown service type, keeping the services before it
    /// (see [`AccessToken2::unknown_service_type`]).
    pub fn parse(token: &str) -> Result<Self, TokenError> {
        let body = token
            .strip_prefix(VERSION_007)
            .ok_or_else(|| TokenError::BadPrefix {
                found: token.chars().take(3).collect(),
            })?;
        if body.len() > MAX_TOKEN_CHARS {
            return Err(TokenError::bad_encoding("token is too long"));
        }
        let compressed = STANDARD
            .decode(body)
            .map_err(|e| TokenError::bad_encoding(format!("invalid base64: {e}")))?;
        let content = zlib_decompress(&compressed)?;
        Self::from_content(&content)
    }

    /// Parses decompressed content: `str(signature) + signing_info`.
    pub fn from_content(content: &[u8]) -> Result<Self, TokenError> {
        let mut r = Reader::new(content);
        let signature = r.bytes("signature")?.to_vec();
        let signing_info = r.rest().to_vec();
        let app_id = r.string("app id")?;
        let issue_ts = r.u32("issue_ts")?;
        let expire = r.u32("expire")?;
        let salt = r.u32("salt")?;
        let count = r.u16("service count")?;
        let mut token = Self {
            app_id,
            issue_ts,
            expire,
            salt,
            services: Vec::new(),
            signature,
            unknown_service_type: None,
            signing_info,
        };
        for _ in 0..count {
            let ty = r.u16("service type")?;
            match Service::unpack(ty, &mut r)? {
                Some(s) => token.services.push(s),
                None => {
                    token.unknown_service_type = Some(ty);
                    break;
                }
            }
        }
        Ok(token)
    }

    /// The signed bytes: as received when parsed, else packed from the fields.
    pub fn signing_info(&self) -> Result<Vec<u8>, TokenError> {
        if self.signing_info.is_empty() {
            self.pack_signing_info()
        } else {
            Ok(self.signing_info.clone())
        }
    }

    /// The decompressed content: `str(signature) + signing_info`.
    pub fn content_bytes(&self) -> Result<Vec<u8>, TokenError> {
        let mut p = Packer::new();
        p.bytes(&self.signature, "signature")?;
        p.raw(&self.signing_info()?);
        Ok(p.into_vec())
    }

    /// The intermediate keys `(k1, k2)` of SPEC 2.1 for this token's issue time
    /// and salt. These are secrets derived from the certificate: for tests and
    /// debugging only.
    pub fn signing_keys(&self, app_certificate: &str) -> ([u8; 32], [u8; 32]) {
        let k1 = hmac(&self.issue_ts.to_le_bytes(), app_certificate.as_bytes());
        let k2 = hmac(&self.salt.to_le_bytes(), &k1);
        (k1, k2)
    }

    fn signature_over(&self, app_certificate: &str, signing_info: &[u8]) -> [u8; 32] {
        let (_, k2) = self.signing_keys(app_certificate);
        hmac(&k2, signing_info)
    }

    /// The signature this token should carry under `app_certificate`.
    pub fn compute_signature(&self, app_certificate: &str) -> Result<[u8; 32], TokenError> {
        Ok(self.signature_over(app_certificate, &self.signing_info()?))
    }

    /// Checks the signature in constant time (no time checks).
    pub fn verify_signature(&self, app_certificate: &str) -> Result<(), TokenError> {
        check_app_certificate(app_certificate)?;
        let expected = self.compute_signature(app_certificate)?;
        if bool::from(expected.as_slice().ct_eq(self.signature.as_slice())) {
            Ok(())
        } else {
            Err(TokenError::BadSignature)
        }
    }

    /// Absolute expiry: `issue_ts + expire`, Unix seconds.
    pub fn expires_at(&self) -> u64 {
        u64::from(self.issue_ts) + u64::from(self.expire)
    }

    /// The user id of the first RTM or RTM2 service.
    pub fn rtm_user_id(&self) -> Option<&str> {
        self.services.iter().find_map(Service::rtm_user_id)
    }

    /// The decoded token as JSON (see [`crate::token::ParsedToken::to_json`]).
    pub fn to_json(&self) -> serde_json::Value {
        let services: Vec<serde_json::Value> = self
            .services
            .iter()
            .map(|s| s.to_json(self.issue_ts))
            .collect();
        let mut v = serde_json::json!({
            "version": VERSION_007,
            "app_id": self.app_id,
            "issue_ts": self.issue_ts,
            "issued_at_iso": iso8601_utc(u64::from(self.issue_ts)),
            "expire": self.expire,
            "expires_at": self.expires_at(),
            "expires_at_iso": iso8601_utc(self.expires_at()),
            "salt": self.salt,
            "services": services,
            "signature": hex(&self.signature),
        });
        if let Some(t) = self.unknown_service_type {
            v["unknown_service_type"] = t.into();
        }
        v
    }
}

fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// zlib at the default level with the C zlib backend: this reproduces the token
/// strings of Agora's own builders (which use C zlib too) byte for byte.
fn zlib_compress(data: &[u8]) -> Vec<u8> {
    thread_local! {
        // One deflate state per thread, reset between tokens. A fresh state is
        // about 270 KB of allocations; in a long-running process (Node, Python)
        // glibc may hand those out as fresh pages every time, and the page faults
        // made a mint cost 50 µs instead of 5.
        static DEFLATE: RefCell<Compress> = RefCell::new(Compress::new(Compression::default(), true));
    }
    DEFLATE
        .try_with(|cell| {
            let mut z = cell.try_borrow_mut().ok()?;
            z.reset();
            // Deflate's worst case: the input plus 5 bytes per 16 KB block, plus the
            // zlib header and trailer.
            let mut out = Vec::with_capacity(data.len() + data.len() / 16_384 * 5 + 64);
            match z.compress_vec(data, &mut out, FlushCompress::Finish) {
                Ok(Status::StreamEnd) => Some(out),
                _ => None,
            }
        })
        .ok()
        .flatten()
        .unwrap_or_else(|| {
            let mut enc = ZlibEncoder::new(Vec::new(), Compression::default());
            // Writing into a Vec cannot fail.
            enc.write_all(data).expect("writing to a Vec");
            enc.finish().expect("writing to a Vec")
        })
}

/// Inflates any valid zlib stream, refusing output over [`MAX_CONTENT_BYTES`].
fn zlib_decompress(data: &[u8]) -> Result<Vec<u8>, TokenError> {
    let cap = u64::try_from(MAX_CONTENT_BYTES).unwrap_or(u64::MAX);
    let mut out = Vec::new();
    ZlibDecoder::new(data)
        .take(cap + 1)
        .read_to_end(&mut out)
        .map_err(|e| TokenError::bad_encoding(format!("invalid zlib stream: {e}")))?;
    if out.len() > MAX_CONTENT_BYTES {
        return Err(TokenError::bad_encoding(format!(
            "decompressed content exceeds {MAX_CONTENT_BYTES} bytes"
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zlib_bomb_is_refused() {
        let big = vec![0u8; 10 * MAX_CONTENT_BYTES];
        let z = zlib_compress(&big);
        let token = format!("007{}", STANDARD.encode(z));
        let err = AccessToken2::parse(&token).unwrap_err();
        assert_eq!(err.kind(), "bad_encoding");
        assert!(err.to_string().contains("exceeds"));
    }

    #[test]
    fn truncated_zlib_is_bad_encoding() {
        let z = zlib_compress(b"0123456789abcdef0123456789abcdef");
        let token = format!("007{}", STANDARD.encode(&z[..z.len() - 5]));
        assert_eq!(
            AccessToken2::parse(&token).unwrap_err().kind(),
            "bad_encoding"
        );
    }

    #[test]
    fn debug_hides_signature() {
        let mut t = AccessToken2::new("970CA35de60c44645bbae8a215061b33", 1, 2, 3);
        t.signature = vec![0xab; 32];
        let d = format!("{t:?}");
        assert!(!d.contains("ab, ") && !d.contains("171"), "{d}");
        assert!(d.contains("<32 bytes, not shown>"));
    }

    #[test]
    fn unknown_service_stops_parsing() {
        let mut t = AccessToken2::new("970CA35de60c44645bbae8a215061b33", 1, 2, 3);
        t.add_service(Service::rtm("u", 2));
        let mut info = t.pack_signing_info().unwrap();
        // bump the service count to 2 and append an unknown service type 99
        let count_pos = 2 + 32 + 12;
        info[count_pos] = 2;
        info.extend_from_slice(&99u16.to_le_bytes());
        info.extend_from_slice(&[0, 0]);
        let mut content = Packer::new();
        content.bytes(&[0u8; 32], "s").unwrap();
        content.raw(&info);
        let parsed = AccessToken2::from_content(&content.into_vec()).unwrap();
        assert_eq!(parsed.services.len(), 1);
        assert_eq!(parsed.unknown_service_type, Some(99));
        assert_eq!(parsed.rtm_user_id(), Some("u"));
    }
}
