//! `agora-rtm emulator`: the local service, for demos and tests.

use std::io::Write as _;

use agora_rtm_rest_emulator::{Emulator, EmulatorConfig, Faults, SimulateConfig};

use crate::exit;

/// Options of the emulator.
#[derive(clap::Args, Debug)]
pub struct EmulatorArgs {
    /// Port of the first region (0 = any free port; further regions take the next ports).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    bind: std::net::IpAddr,
    /// Regions to serve, one listener each (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "us-west-1")]
    regions: Vec<String>,
    /// App id of the simulated traffic.
    #[arg(long, default_value = "demo")]
    app_id: String,
    /// Simulate this many users logging in, joining and leaving channels.
    #[arg(long, default_value_t = 0)]
    simulate_users: u32,
    /// Simulated events per second (all feeds).
    #[arg(long, default_value_t = 10.0)]
    events_per_sec: f64,
    /// Fraction of simulated events that are user (login/logout) events.
    #[arg(long, default_value_t = 0.5)]
    user_event_share: f64,
    /// Channels of the simulated population.
    #[arg(long, default_value_t = 10)]
    channels: u32,
    /// Stop simulating after this many seconds (default: never).
    #[arg(long)]
    simulate_seconds: Option<f64>,
    /// Serve the legacy field names (channel_id, ts).
    #[arg(long)]
    legacy_fields: bool,
    /// Require this customer id for Basic auth (with --customer-secret).
    #[arg(long, requires = "customer_secret")]
    customer_id: Option<String>,
    /// Require this customer secret for Basic auth.
    #[arg(long, requires = "customer_id", hide_env_values = true)]
    customer_secret: Option<String>,
    /// Verify tokens of APPID with CERT (repeatable), as APPID:CERT.
    #[arg(long = "app-certificate", value_name = "APPID:CERT")]
    app_certificates: Vec<String>,
    /// Requests per second allowed per app id before 429.
    #[arg(long, default_value_t = 10)]
    rate_limit: u32,
    /// Peer and channel messages per second allowed per app id before 429.
    #[arg(long, default_value_t = 500)]
    message_rate_limit: u32,
    /// Legacy history calls per second allowed per app id before 429.
    #[arg(long, default_value_t = 10)]
    legacy_history_rate_limit: u32,
    /// Signaling 2.x history calls per second allowed per app id before 429.
    #[arg(long, default_value_t = 60)]
    history_v2_rate_limit: u32,
    /// Seconds a legacy history query handle stays valid (then 410).
    #[arg(long, default_value_t = 60)]
    history_query_ttl_secs: u64,
    /// App ids for which Signaling 2.x history is not enabled (403), repeatable.
    #[arg(long = "disable-history-v2", value_name = "APPID")]
    history_v2_disabled_apps: Vec<String>,
    /// Probability of answering 408 (0..1).
    #[arg(long, default_value_t = 0.0)]
    fault_408: f64,
    /// Probability of answering 500/503 (0..1).
    #[arg(long, default_value_t = 0.0)]
    fault_5xx: f64,
    /// Probability of dropping the connection after dequeuing events (0..1).
    #[arg(long, default_value_t = 0.0)]
    fault_lost_response: f64,
    /// Probability of an extra 429 (0..1).
    #[arg(long, default_value_t = 0.0)]
    fault_429: f64,
    /// Latency added to every answer, in ms.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
}

impl EmulatorArgs {
    fn config(&self) -> Result<EmulatorConfig, String> {
        let mut app_certificates = Vec::new();
        for pair in &self.app_certificates {
            let (app, cert) = pair
                .split_once(':')
                .ok_or_else(|| format!("--app-certificate {pair:?}: expected APPID:CERT"))?;
            app_certificates.push((app.to_owned(), cert.to_owned()));
        }
        let customers = match (&self.customer_id, &self.customer_secret) {
            (Some(id), Some(secret)) => vec![(id.clone(), secret.clone())],
            _ => Vec::new(),
        };
        let duration = match self.simulate_seconds {
            None => None,
            Some(secs) => Some(std::time::Duration::try_from_secs_f64(secs).map_err(|_| {
                format!("--simulate-seconds {secs}: expected a non-negative number of seconds")
            })?),
        };
        let simulate = (self.simulate_users > 0).then(|| SimulateConfig {
            app_id: self.app_id.clone(),
            users: self.simulate_users,
            events_per_sec: self.events_per_sec,
            user_event_share: self.user_event_share,
            channels: self.channels,
            duration,
        });
        Ok(EmulatorConfig {
            bind: self.bind,
            port: self.port,
            regions: self.regions.clone(),
            legacy_fields: self.legacy_fields,
            customers,
            app_certificates,
            rate_limit_per_sec: self.rate_limit,
            message_rate_limit_per_sec: self.message_rate_limit,
            legacy_history_rate_limit_per_sec: self.legacy_history_rate_limit,
            history_v2_rate_limit_per_sec: self.history_v2_rate_limit,
            history_query_ttl: std::time::Duration::from_secs(self.history_query_ttl_secs),
            history_v2_disabled_apps: self.history_v2_disabled_apps.clone(),
            faults: Faults {
                p_408: self.fault_408,
                p_5xx: self.fault_5xx,
                p_lost_response: self.fault_lost_response,
                p_429: self.fault_429,
                latency_ms: self.latency_ms,
            },
            simulate,
        })
    }
}

/// Starts the emulator, prints one base URL per region on stdout, serves until Ctrl-C.
pub async fn run(args: EmulatorArgs) -> i32 {
    let config = match args.config() {
        Ok(c) => c,
        Err(message) => {
            eprintln!("agora-rtm: error: {message}");
            return exit::USAGE;
        }
    };
    let emulator = match Emulator::start(config).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("agora-rtm: error: cannot start the emulator: {e}");
            return exit::OTHER;
        }
    };
    {
        let mut out = std::io::stdout().lock();
        for (_, url) in emulator.base_urls() {
            let _ = writeln!(out, "{url}");
        }
        let _ = out.flush();
    }
    for (region, url) in emulator.base_urls() {
        eprintln!(
            "agora-rtm emulator: region {region} at {url} (admin API under {url}/_emulator/)"
        );
    }
    let _ = tokio::signal::ctrl_c().await;
    emulator.shutdown().await;
    exit::OK
}
