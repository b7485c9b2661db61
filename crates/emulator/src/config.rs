//! Configuration of an emulator instance: listeners, regions, auth, limits,
//! faults and the optional traffic simulator.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use crate::error::EmulatorError;
use crate::faults::Faults;

/// The most users or channels the simulator accepts (its state is in memory).
pub const MAX_SIMULATED_POPULATION: u32 = 1_000_000;

/// The highest simulated event rate accepted, in events per second.
pub const MAX_SIMULATED_RATE: f64 = 1_000_000.0;

/// How an [`Emulator`](crate::Emulator) listens and behaves.
///
/// ```
/// use agora_rtm_rest_emulator::EmulatorConfig;
/// let config = EmulatorConfig { port: 0, ..EmulatorConfig::default() };
/// assert_eq!(config.regions, vec!["us-west-1".to_string()]);
/// assert_eq!(config.rate_limit_per_sec, 10);
/// assert_eq!(config.message_rate_limit_per_sec, 500);
/// assert_eq!(config.history_query_ttl.as_secs(), 60);
/// ```
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// The address every listener binds (default `127.0.0.1`).
    pub bind: IpAddr,
    /// The first listener's port. `0` gives every region an ephemeral port; `P`
    /// gives the regions `P`, `P + 1`, ... in order.
    pub port: u16,
    /// The regions, one listener each (default `["us-west-1"]`). Names must be
    /// unique and non-empty.
    pub regions: Vec<String>,
    /// Serve the legacy field names (`channel_id`, `ts`) instead of the current
    /// ones (`group_id`, `ms`).
    pub legacy_fields: bool,
    /// Basic auth pairs (customer id, customer secret). Empty: any well-formed
    /// Basic credentials are accepted.
    pub customers: Vec<(String, String)>,
    /// (app id, app certificate) pairs: tokens presented for these app ids are
    /// verified against the certificate. Tokens for other app ids only need to parse.
    pub app_certificates: Vec<(String, String)>,
    /// Requests allowed per app id in any sliding one-second window, across both
    /// feeds and all regions (default 10). `0` disables the limit.
    pub rate_limit_per_sec: u32,
    /// Message sends (peer and channel together) allowed per app id in any
    /// sliding second (default 500). `0` disables the limit.
    pub message_rate_limit_per_sec: u32,
    /// Legacy history requests (query, poll and count together) allowed per
    /// app id in any sliding second (default 10). `0` disables the limit.
    pub legacy_history_rate_limit_per_sec: u32,
    /// Signaling 2.x history requests allowed per app id in any sliding
    /// second (default 60). `0` disables the limit.
    pub history_v2_rate_limit_per_sec: u32,
    /// How long a legacy history query handle lives; afterwards it answers
    /// 410 (default 60 s; changeable later).
    pub history_query_ttl: Duration,
    /// App ids for which Signaling 2.x history is not enabled: it answers 403.
    pub history_v2_disabled_apps: Vec<String>,
    /// Faults injected from the start (changeable later).
    pub faults: Faults,
    /// Generate traffic for a simulated population of users.
    pub simulate: Option<SimulateConfig>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            regions: vec!["us-west-1".to_owned()],
            legacy_fields: false,
            customers: Vec::new(),
            app_certificates: Vec::new(),
            rate_limit_per_sec: 10,
            message_rate_limit_per_sec: 500,
            legacy_history_rate_limit_per_sec: 10,
            history_v2_rate_limit_per_sec: 60,
            history_query_ttl: Duration::from_secs(60),
            history_v2_disabled_apps: Vec::new(),
            faults: Faults::default(),
            simulate: None,
        }
    }
}

/// A simulated population that logs in, joins and leaves channels and logs out,
/// always in a consistent order, feeding every region's rings.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulateConfig {
    /// The app id whose feeds receive the events (default `"demo"`).
    pub app_id: String,
    /// The number of users (default 100; 1 to [`MAX_SIMULATED_POPULATION`]).
    pub users: u32,
    /// Events per second, both feeds together (default 10).
    pub events_per_sec: f64,
    /// The fraction (0 to 1) of events that are user events (default 0.5).
    /// At 0 the population logs in once and then only joins and leaves
    /// channels; at 1 nobody joins a channel.
    pub user_event_share: f64,
    /// The number of channels users join (default 10; 1 to
    /// [`MAX_SIMULATED_POPULATION`]).
    pub channels: u32,
    /// Stop producing after this long (default: never). Lets a benchmark drain the
    /// feeds afterwards and compare what was produced with what was delivered.
    pub duration: Option<std::time::Duration>,
}

impl Default for SimulateConfig {
    fn default() -> Self {
        SimulateConfig {
            app_id: "demo".to_owned(),
            users: 100,
            events_per_sec: 10.0,
            user_event_share: 0.5,
            channels: 10,
            duration: None,
        }
    }
}

impl SimulateConfig {
    /// Checks the ranges documented on each field.
    pub fn validate(&self) -> Result<(), EmulatorError> {
        let invalid = |msg: String| Err(EmulatorError::InvalidConfig(msg));
        if self.app_id.is_empty() {
            return invalid("simulate.app_id must not be empty".into());
        }
        if self.users == 0 || self.users > MAX_SIMULATED_POPULATION {
            return invalid(format!(
                "simulate.users must be between 1 and {MAX_SIMULATED_POPULATION}, got {}",
                self.users
            ));
        }
        if self.channels == 0 || self.channels > MAX_SIMULATED_POPULATION {
            return invalid(format!(
                "simulate.channels must be between 1 and {MAX_SIMULATED_POPULATION}, got {}",
                self.channels
            ));
        }
        if !self.events_per_sec.is_finite()
            || self.events_per_sec < 0.0
            || self.events_per_sec > MAX_SIMULATED_RATE
        {
            return invalid(format!(
                "simulate.events_per_sec must be between 0 and {MAX_SIMULATED_RATE}, got {}",
                self.events_per_sec
            ));
        }
        if !(0.0..=1.0).contains(&self.user_event_share) {
            return invalid(format!(
                "simulate.user_event_share must be between 0 and 1, got {}",
                self.user_event_share
            ));
        }
        Ok(())
    }
}

impl EmulatorConfig {
    /// Checks regions, the port range, faults and the simulator settings.
    pub fn validate(&self) -> Result<(), EmulatorError> {
        let invalid = |msg: String| Err(EmulatorError::InvalidConfig(msg));
        if self.regions.is_empty() {
            return invalid("at least one region is required".into());
        }
        let mut seen = HashSet::new();
        for region in &self.regions {
            if region.is_empty() || region.contains([',', '/']) || region.trim() != region {
                return invalid(format!("invalid region name {region:?}"));
            }
            if !seen.insert(region.as_str()) {
                return invalid(format!("region {region:?} is listed twice"));
            }
        }
        if self.port != 0 {
            let last = u32::from(self.port) + (self.regions.len() as u32).saturating_sub(1);
            if last > u32::from(u16::MAX) {
                return invalid(format!(
                    "{} regions starting at port {} run past port 65535",
                    self.regions.len(),
                    self.port
                ));
            }
        }
        for (app_id, certificate) in &self.app_certificates {
            if certificate.len() != 32 || !certificate.bytes().all(|b| b.is_ascii_hexdigit()) {
                return invalid(format!(
                    "the app certificate for {app_id:?} must be 32 hexadecimal characters"
                ));
            }
        }
        if let Err(msg) = self.faults.validate() {
            return invalid(msg);
        }
        if let Some(sim) = &self.simulate {
            sim.validate()?;
        }
        Ok(())
    }

    /// The port of the `index`-th region's listener (0 stays 0: ephemeral).
    pub(crate) fn port_for(&self, index: usize) -> u16 {
        if self.port == 0 {
            return 0;
        }
        u16::try_from(usize::from(self.port).saturating_add(index)).unwrap_or(u16::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert!(EmulatorConfig::default().validate().is_ok());
        let with_sim = EmulatorConfig {
            simulate: Some(SimulateConfig::default()),
            ..EmulatorConfig::default()
        };
        assert!(with_sim.validate().is_ok());
    }

    #[test]
    fn rejects_bad_regions_and_ports() {
        let dup = EmulatorConfig {
            regions: vec!["a".into(), "a".into()],
            ..EmulatorConfig::default()
        };
        assert!(dup.validate().is_err());
        let none = EmulatorConfig {
            regions: vec![],
            ..EmulatorConfig::default()
        };
        assert!(none.validate().is_err());
        let overflow = EmulatorConfig {
            port: 65535,
            regions: vec!["a".into(), "b".into()],
            ..EmulatorConfig::default()
        };
        assert!(overflow.validate().is_err());
        let fits = EmulatorConfig {
            port: 65534,
            regions: vec!["a".into(), "b".into()],
            ..EmulatorConfig::default()
        };
        assert!(fits.validate().is_ok());
        assert_eq!(fits.port_for(1), 65535);
    }

    #[test]
    fn rejects_malformed_certificates() {
        let bad = EmulatorConfig {
            app_certificates: vec![("app".into(), "not-hex".into())],
            ..EmulatorConfig::default()
        };
        assert!(bad.validate().is_err());
        let good = EmulatorConfig {
            app_certificates: vec![("app".into(), "5CFd2fd1755d40ecb72977518be15d3b".into())],
            ..EmulatorConfig::default()
        };
        assert!(good.validate().is_ok());
    }

    #[test]
    fn rejects_bad_simulation() {
        for sim in [
            SimulateConfig {
                users: 0,
                ..SimulateConfig::default()
            },
            SimulateConfig {
                channels: 0,
                ..SimulateConfig::default()
            },
            SimulateConfig {
                events_per_sec: f64::NAN,
                ..SimulateConfig::default()
            },
            SimulateConfig {
                events_per_sec: -1.0,
                ..SimulateConfig::default()
            },
            SimulateConfig {
                user_event_share: 1.5,
                ..SimulateConfig::default()
            },
            SimulateConfig {
                user_event_share: f64::NAN,
                ..SimulateConfig::default()
            },
        ] {
            assert!(sim.validate().is_err(), "{sim:?}");
        }
    }
}
