//! Token building, parsing and verification (the protocol crate's `token` module);
//! the issue time and salt come from the clock and RNG here unless given.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agora_rtm_rest::protocol::token::{
    self, AccessToken2, Expected, LEGACY_TS_OFFSET_SECS, LegacyToken, PRIVILEGE_RTM_LOGIN_LEGACY,
    ParsedToken as RustParsed, Service,
};
use pyo3::prelude::*;

use crate::errors::{invalid_input, token_to_py};
use crate::types::json_to_py;

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Seconds from an `int`, a `float` or a `datetime.timedelta`.
pub(crate) fn duration_arg(py: Python<'_>, name: &str, v: &Bound<'_, PyAny>) -> PyResult<Duration> {
    let secs: f64 = if let Ok(s) = v.extract::<f64>() {
        s
    } else if let Ok(total) = v.call_method0("total_seconds") {
        total.extract()?
    } else {
        return Err(invalid_input(py, name, "must be seconds or a timedelta"));
    };
    if !secs.is_finite() || secs < 0.0 {
        return Err(invalid_input(py, name, "must be a non-negative duration"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn issue_and_salt(issue_ts: Option<u32>, salt: Option<u32>) -> (u32, u32) {
    let issue = issue_ts.unwrap_or_else(|| u32::try_from(now_unix()).unwrap_or(u32::MAX));
    let salt = salt.unwrap_or_else(|| rand::random_range(1..=99_999_999));
    (issue, salt)
}

/// Builds an AccessToken2 (`007...`) RTM token valid for `lifetime`.
#[pyfunction]
#[pyo3(signature = (app_id, app_certificate, user_id, lifetime, *, issue_ts=None, salt=None))]
pub(crate) fn build_rtm_token(
    py: Python<'_>,
    app_id: &str,
    app_certificate: &str,
    user_id: &str,
    lifetime: &Bound<'_, PyAny>,
    issue_ts: Option<u32>,
    salt: Option<u32>,
) -> PyResult<String> {
    let lifetime = duration_arg(py, "lifetime", lifetime)?;
    let (issue, salt) = issue_and_salt(issue_ts, salt);
    token::build_rtm_token(app_id, app_certificate, user_id, lifetime, issue, salt)
        .map_err(|e| token_to_py(py, &e))
}

/// Builds a legacy AccessToken (`006...`) RTM token valid for `lifetime`.
#[pyfunction]
#[pyo3(signature = (app_id, app_certificate, user_id, lifetime, *, issue_ts=None, salt=None))]
pub(crate) fn build_legacy_rtm_token(
    py: Python<'_>,
    app_id: &str,
    app_certificate: &str,
    user_id: &str,
    lifetime: &Bound<'_, PyAny>,
    issue_ts: Option<u32>,
    salt: Option<u32>,
) -> PyResult<String> {
    let lifetime = duration_arg(py, "lifetime", lifetime)?;
    let (issue, salt) = issue_and_salt(issue_ts, salt);
    token::build_legacy_rtm_token(app_id, app_certificate, user_id, lifetime, issue, salt)
        .map_err(|e| token_to_py(py, &e))
}

/// A legacy RTM token from Agora's raw inputs (`ts`, absolute privilege expiry):
/// `LegacyToken::new_rtm` + privilege 1000, for the shared vectors.
#[pyfunction]
pub(crate) fn _build_legacy_rtm_token_raw(
    py: Python<'_>,
    app_id: &str,
    app_certificate: &str,
    user_id: &str,
    salt: u32,
    ts: u32,
    privilege_expire_ts: u32,
) -> PyResult<String> {
    let _ = LEGACY_TS_OFFSET_SECS;
    LegacyToken::new_rtm(app_id, user_id, salt, ts)
        .add_privilege(PRIVILEGE_RTM_LOGIN_LEGACY, privilege_expire_ts)
        .build(app_certificate)
        .map_err(|e| token_to_py(py, &e))
}

/// An RTC AccessToken2 (`AccessToken2` + `Service::rtc`), for the shared vectors.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub(crate) fn _build_rtc_token(
    py: Python<'_>,
    app_id: &str,
    app_certificate: &str,
    channel_name: &str,
    uid: u32,
    lifetime_secs: u32,
    issue_ts: u32,
    salt: u32,
) -> PyResult<String> {
    AccessToken2::new(app_id, issue_ts, lifetime_secs, salt)
        .add_service(Service::rtc(channel_name, uid, lifetime_secs))
        .build(app_certificate)
        .map_err(|e| token_to_py(py, &e))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A decoded token (007 or 006).
#[pyclass(frozen, module = "agora_rtm_rest")]
pub struct ParsedToken {
    inner: RustParsed,
}

#[pymethods]
impl ParsedToken {
    /// `"007"` or `"006"`.
    #[getter]
    fn version(&self) -> &'static str {
        self.inner.version()
    }
    /// The app id the token was issued for.
    #[getter]
    fn app_id(&self) -> &str {
        self.inner.app_id()
    }
    /// The RTM user (007; 006 only once verified for a user).
    #[getter]
    fn user_id(&self) -> Option<&str> {
        self.inner.rtm_user_id()
    }
    /// Issue time, Unix seconds (007 only).
    #[getter]
    fn issued_at(&self) -> Option<u64> {
        self.inner.issued_at()
    }
    /// Expiry, Unix seconds.
    #[getter]
    fn expires_at(&self) -> Option<u64> {
        self.inner.expires_at()
    }
    /// Salt.
    #[getter]
    fn salt(&self) -> u32 {
        match &self.inner {
            RustParsed::AccessToken2(t) => t.salt,
            RustParsed::Legacy(t) => t.salt,
        }
    }
    /// The 32-byte signature, lower-case hex.
    #[getter]
    fn signature_hex(&self) -> String {
        match &self.inner {
            RustParsed::AccessToken2(t) => hex(&t.signature),
            RustParsed::Legacy(t) => hex(&t.signature),
        }
    }
    /// 007 only: the decompressed content, lower-case hex (None for 006).
    fn content_hex(&self, py: Python<'_>) -> PyResult<Option<String>> {
        match self.inner.as_access_token2() {
            Some(t) => Ok(Some(hex(&t
                .content_bytes()
                .map_err(|e| token_to_py(py, &e))?))),
            None => Ok(None),
        }
    }
    /// 007 only: the intermediate signing keys (k1, k2) for a certificate, hex.
    fn signing_keys_hex(&self, app_certificate: &str) -> Option<(String, String)> {
        self.inner.as_access_token2().map(|t| {
            let (k1, k2) = t.signing_keys(app_certificate);
            (hex(&k1), hex(&k2))
        })
    }
    /// The inspection JSON (as `agora-rtm token inspect` prints it) as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner.to_json())
    }
    fn __repr__(&self) -> String {
        let user = self
            .inner
            .rtm_user_id()
            .map_or_else(|| "None".to_owned(), |u| format!("{u:?}"));
        let expires = self
            .inner
            .expires_at()
            .map_or_else(|| "None".to_owned(), |t| t.to_string());
        format!(
            "ParsedToken(version={:?}, app_id={:?}, user_id={user}, expires_at={expires})",
            self.inner.version(),
            self.inner.app_id(),
        )
    }
}

/// Decodes a token without checking its signature.
#[pyfunction]
pub(crate) fn parse_token(py: Python<'_>, token: &str) -> PyResult<ParsedToken> {
    token::parse_token(token)
        .map(|inner| ParsedToken { inner })
        .map_err(|e| token_to_py(py, &e))
}

/// Verifies a token's signature and validity window (at `now`, Unix seconds,
/// default: the clock), optionally for an app id and a user (required for 006).
#[pyfunction]
#[pyo3(signature = (token, app_certificate, *, app_id=None, user_id=None, now=None))]
pub(crate) fn verify_token(
    py: Python<'_>,
    token: &str,
    app_certificate: &str,
    app_id: Option<&str>,
    user_id: Option<&str>,
    now: Option<u64>,
) -> PyResult<ParsedToken> {
    let expected = Expected { app_id, user_id };
    token::verify_token_with(
        token,
        expected,
        app_certificate,
        now.unwrap_or_else(now_unix),
    )
    .map(|inner| ParsedToken { inner })
    .map_err(|e| token_to_py(py, &e))
}
