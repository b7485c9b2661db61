//! Where requests go: the app id and the ordered list of hosts (SPEC section 1).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use url::{Host, Url};

use crate::backoff::RetryPolicy;
use crate::error::Error;

/// The largest response body the SDK accepts by default (8 MiB). A full page of
/// 1000 events is about 80 KiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Which of Agora's two domain families is primary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Area {
    /// Outside mainland China: `api.agora.io` first.
    #[default]
    Global,
    /// Inside mainland China: `api.sd-rtn.com` first.
    MainlandChina,
}

/// Agora's regional REST hosts (`api-{region}.agora.io` / `.sd-rtn.com`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Region {
    UsWest1,
    UsEast1,
    ApSoutheast1,
    ApNortheast1,
    EuWest1,
    EuCentral1,
    CnEast1,
    CnNorth1,
}

impl Region {
    /// Every region, in Agora's listing order.
    pub const ALL: [Region; 8] = [
        Region::UsWest1,
        Region::UsEast1,
        Region::ApSoutheast1,
        Region::ApNortheast1,
        Region::EuWest1,
        Region::EuCentral1,
        Region::CnEast1,
        Region::CnNorth1,
    ];

    /// The region's name as in host names (`us-west-1`).
    pub fn as_str(self) -> &'static str {
        match self {
            Region::UsWest1 => "us-west-1",
            Region::UsEast1 => "us-east-1",
            Region::ApSoutheast1 => "ap-southeast-1",
            Region::ApNortheast1 => "ap-northeast-1",
            Region::EuWest1 => "eu-west-1",
            Region::EuCentral1 => "eu-central-1",
            Region::CnEast1 => "cn-east-1",
            Region::CnNorth1 => "cn-north-1",
        }
    }

    /// True for the two mainland China regions.
    pub fn is_mainland_china(self) -> bool {
        matches!(self, Region::CnEast1 | Region::CnNorth1)
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Region {
    type Err = Error;

    /// Parses `us-west-1` (also `api-us-west-1`).
    fn from_str(s: &str) -> Result<Self, Error> {
        let name = s.trim().trim_start_matches("api-");
        Region::ALL
            .into_iter()
            .find(|r| r.as_str() == name)
            .ok_or_else(|| {
                Error::invalid_input(
                    "region",
                    format!(
                        "unknown region {s:?}; expected one of {}",
                        Region::ALL.map(Region::as_str).join(", ")
                    ),
                )
            })
    }
}

/// The part a host plays in failover (SPEC section 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndpointRole {
    /// The first host tried.
    Primary,
    /// The same service under the other domain suffix; skipped when the failure
    /// was a network error other than DNS.
    AlternateSuffix,
    /// A regional host (or any further host of a custom list).
    Regional,
}

/// One host the client may send to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Scheme, host, port and optional path prefix, without a trailing `/`. The
    /// request path `/dev/v2/project/{appid}/...` is appended to it.
    pub root: String,
    /// Its failover role.
    pub role: EndpointRole,
}

/// The ordered host list the exchange fails over along.
///
/// ```
/// use agora_rtm_rest_protocol::{Area, Endpoints, EndpointRole, Region};
/// let e = Endpoints::agora(Area::Global, &[Region::EuWest1]);
/// let roots: Vec<_> = e.iter().map(|e| e.root.as_str()).collect();
/// assert_eq!(roots, ["https://api.agora.io", "https://api.sd-rtn.com", "https://api-eu-west-1.agora.io"]);
///
/// let local = Endpoints::custom(["http://127.0.0.1:8080/"], false).unwrap();
/// assert_eq!(local.iter().next().unwrap().root, "http://127.0.0.1:8080");
/// assert!(Endpoints::custom(["http://example.com"], false).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints(Vec<Endpoint>);

impl Endpoints {
    /// Agora's hosts: the area's primary, the other suffix, then the given regional
    /// hosts in order (when `regions` is empty, the area's usual neighbours).
    pub fn agora(area: Area, regions: &[Region]) -> Self {
        let (primary, alternate) = match area {
            Area::Global => ("agora.io", "sd-rtn.com"),
            Area::MainlandChina => ("sd-rtn.com", "agora.io"),
        };
        let default_regions: &[Region] = match area {
            Area::Global => &[
                Region::UsWest1,
                Region::UsEast1,
                Region::EuWest1,
                Region::ApSoutheast1,
            ],
            Area::MainlandChina => &[Region::CnEast1, Region::CnNorth1],
        };
        let regions = if regions.is_empty() {
            default_regions
        } else {
            regions
        };
        let mut list = vec![
            Endpoint {
                root: format!("https://api.{primary}"),
                role: EndpointRole::Primary,
            },
            Endpoint {
                root: format!("https://api.{alternate}"),
                role: EndpointRole::AlternateSuffix,
            },
        ];
        list.extend(regions.iter().map(|r| Endpoint {
            root: format!(
                "https://api-{}.{}",
                r.as_str(),
                if r.is_mainland_china() {
                    "sd-rtn.com"
                } else {
                    primary
                }
            ),
            role: EndpointRole::Regional,
        }));
        Endpoints(list)
    }

    /// Any base URLs (an emulator, a proxy): the first is primary, the rest are
    /// tried in order on failure. Only `https`, unless the host is loopback or
    /// `allow_insecure_http` is set.
    pub fn custom<I, S>(urls: I, allow_insecure_http: bool) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut list = Vec::new();
        for (i, raw) in urls.into_iter().enumerate() {
            let root = validate_base_url(raw.as_ref(), allow_insecure_http)?;
            let role = if i == 0 {
                EndpointRole::Primary
            } else {
                EndpointRole::Regional
            };
            list.push(Endpoint { root, role });
        }
        if list.is_empty() {
            return Err(Error::invalid_input(
                "base_url",
                "at least one base URL is needed",
            ));
        }
        Ok(Endpoints(list))
    }

    /// The hosts in failover order.
    pub fn iter(&self) -> std::slice::Iter<'_, Endpoint> {
        self.0.iter()
    }

    /// How many hosts.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Never true for a constructed list (kept for clippy's sake).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The host at `index`, if any.
    pub fn get(&self, index: usize) -> Option<&Endpoint> {
        self.0.get(index)
    }
}

fn validate_base_url(raw: &str, allow_insecure_http: bool) -> Result<String, Error> {
    let url = Url::parse(raw.trim())
        .map_err(|e| Error::invalid_input("base_url", format!("{raw:?} is not a URL: {e}")))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid_input(
            "base_url",
            "must not have a query or fragment",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid_input(
            "base_url",
            "must not contain credentials",
        ));
    }
    let loopback = match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => return Err(Error::invalid_input("base_url", "must have a host")),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback || allow_insecure_http => {}
        "http" => {
            return Err(Error::invalid_input(
                "base_url",
                "plain http is only allowed for loopback hosts unless insecure http is explicitly allowed",
            ));
        }
        other => {
            return Err(Error::invalid_input(
                "base_url",
                format!("unsupported scheme {other:?}"),
            ));
        }
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Checks an app id: 1-64 characters from `A-Z a-z 0-9 _ -` (real ones are 32 hex
/// characters; the emulator accepts names such as `demo`).
pub fn validate_app_id(app_id: &str) -> Result<(), Error> {
    if app_id.is_empty() || app_id.len() > 64 {
        return Err(Error::invalid_input("app_id", "must be 1-64 characters"));
    }
    if !app_id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(Error::invalid_input(
            "app_id",
            "may only contain A-Z, a-z, 0-9, '_' and '-'",
        ));
    }
    Ok(())
}

/// Everything an exchange needs to know besides credentials.
///
/// ```
/// use agora_rtm_rest_protocol::{Config, Endpoints};
/// let c = Config::new("demo").unwrap()
///     .with_endpoints(Endpoints::custom(["http://127.0.0.1:9000"], false).unwrap());
/// assert_eq!(c.app_id(), "demo");
/// assert!(Config::new("bad id").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    app_id: String,
    /// Hosts in failover order.
    pub endpoints: Endpoints,
    /// Retry and failover policy.
    pub retry: RetryPolicy,
    /// Client-side limit: at most this many requests per `rate_window` for this app id.
    pub rate_limit: u32,
    /// The window of `rate_limit` (default 1.005 s: one second plus a guard).
    pub rate_window: Duration,
    /// Largest response body accepted.
    pub max_body_bytes: usize,
    /// Client-side limits of the other operation families (messages, history).
    pub family_limits: FamilyLimits,
}

/// The service's rate limits are per app id and per family of operations
/// (SPEC sections 3-6); each family has its own client-side limiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateFamily {
    /// The two event feeds together (10 per second).
    Events,
    /// Peer and channel messages together (500 per second).
    Messages,
    /// The legacy (RTM 1.x) history endpoints (10 per second).
    LegacyHistory,
    /// Signaling 2.x history (60 per second).
    HistoryV2,
}

impl RateFamily {
    /// Every family.
    pub const ALL: [RateFamily; 4] = [
        RateFamily::Events,
        RateFamily::Messages,
        RateFamily::LegacyHistory,
        RateFamily::HistoryV2,
    ];

    /// The stable snake_case name (`events`, `messages`, `legacy_history`, `history_v2`).
    pub fn as_str(self) -> &'static str {
        match self {
            RateFamily::Events => "events",
            RateFamily::Messages => "messages",
            RateFamily::LegacyHistory => "legacy_history",
            RateFamily::HistoryV2 => "history_v2",
        }
    }
}

impl std::str::FromStr for RateFamily {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        RateFamily::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| {
                Error::invalid_input(
                    "rate family",
                    format!("{s:?} is not one of events, messages, legacy_history, history_v2"),
                )
            })
    }
}

/// Limits (requests per window) of the families other than the event feeds,
/// whose limit is [`Config::rate_limit`] per [`Config::rate_window`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FamilyLimits {
    /// Peer and channel messages (default 500 per 1.005 s).
    pub messages: (u32, Duration),
    /// Legacy history (default 10 per 1.005 s).
    pub legacy_history: (u32, Duration),
    /// Signaling 2.x history (default 60 per 1.005 s).
    pub history_v2: (u32, Duration),
}

impl Default for FamilyLimits {
    fn default() -> Self {
        let window = Duration::from_millis(1005);
        FamilyLimits {
            messages: (500, window),
            legacy_history: (10, window),
            history_v2: (60, window),
        }
    }
}

impl Config {
    /// A configuration for `app_id` against Agora's global hosts with default policies.
    pub fn new(app_id: impl Into<String>) -> Result<Self, Error> {
        let app_id = app_id.into();
        validate_app_id(&app_id)?;
        Ok(Config {
            app_id,
            endpoints: Endpoints::agora(Area::Global, &[]),
            retry: RetryPolicy::default(),
            rate_limit: 10,
            rate_window: Duration::from_millis(1005),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            family_limits: FamilyLimits::default(),
        })
    }

    /// The app id.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// Replaces the host list.
    pub fn with_endpoints(mut self, endpoints: Endpoints) -> Self {
        self.endpoints = endpoints;
        self
    }

    /// Replaces the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The limit and window of a family of operations.
    ///
    /// ```
    /// use agora_rtm_rest_protocol::{Config, RateFamily};
    /// let c = Config::new("demo").unwrap();
    /// assert_eq!(c.limit_of(RateFamily::Events).0, 10);
    /// assert_eq!(c.limit_of(RateFamily::Messages).0, 500);
    /// ```
    pub fn limit_of(&self, family: RateFamily) -> (u32, Duration) {
        match family {
            RateFamily::Events => (self.rate_limit, self.rate_window),
            RateFamily::Messages => self.family_limits.messages,
            RateFamily::LegacyHistory => self.family_limits.legacy_history,
            RateFamily::HistoryV2 => self.family_limits.history_v2,
        }
    }

    /// Sets the limit and window of a family of operations.
    pub fn set_limit_of(&mut self, family: RateFamily, limit: u32, window: Duration) {
        match family {
            RateFamily::Events => {
                self.rate_limit = limit;
                self.rate_window = window;
            }
            RateFamily::Messages => self.family_limits.messages = (limit, window),
            RateFamily::LegacyHistory => self.family_limits.legacy_history = (limit, window),
            RateFamily::HistoryV2 => self.family_limits.history_v2 = (limit, window),
        }
    }

    /// The URL of `path` (which starts with `/`) on `endpoint`.
    pub fn url(&self, endpoint: &Endpoint, path: &str) -> String {
        format!("{}/dev/v2/project/{}{}", endpoint.root, self.app_id, path)
    }
}
