//! The running emulator: one HTTP listener per region, the optional simulator,
//! and the [`Emulator`] handle that controls them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use agora_rtm_rest_protocol::{ChannelEvent, UserEvent};
use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::archive::HistoryRecord;
use crate::config::EmulatorConfig;
use crate::error::EmulatorError;
use crate::faults::Faults;
use crate::feeds::{self, RegionState, message};
use crate::state::Shared;
use crate::stats::Stats;
use crate::{admin, history, history_v2, messages, simulator};

/// How long [`Emulator::shutdown`] waits for in-flight requests.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A running emulator. Dropping it, or calling [`Emulator::shutdown`], stops
/// every listener and the simulator.
///
/// ```no_run
/// # async fn demo() -> Result<(), agora_rtm_rest_emulator::EmulatorError> {
/// use agora_rtm_rest_emulator::{Emulator, EmulatorConfig};
/// let emulator = Emulator::start(EmulatorConfig::default()).await?;
/// println!("service at {}", emulator.base_url()); // e.g. http://127.0.0.1:41234
/// emulator.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Emulator {
    shared: Arc<Shared>,
    urls: Vec<(String, String)>,
    stop: watch::Sender<bool>,
    servers: Vec<JoinHandle<()>>,
    simulator: Option<JoinHandle<()>>,
}

/// The full router of one region's listener.
fn router(state: RegionState) -> Router {
    feeds::routes()
        .merge(messages::routes())
        .merge(history::routes())
        .merge(history_v2::routes())
        .merge(admin::routes())
        .fallback(not_found)
        .with_state(state)
}

async fn not_found() -> Response {
    message(StatusCode::NOT_FOUND, "not found")
}

/// The URL clients use for a listener (a wildcard bind is reached over loopback).
fn url_for(local: SocketAddr) -> String {
    let ip = match local.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, local.port()))
}

impl Emulator {
    /// Validates the configuration, binds one listener per region (all or
    /// none) and starts serving, plus the simulator when configured. Must be
    /// called inside a tokio runtime.
    pub async fn start(config: EmulatorConfig) -> Result<Emulator, EmulatorError> {
        config.validate()?;
        let shared = Arc::new(Shared::new(&config));
        let (stop, _) = watch::channel(false);

        let mut listeners = Vec::with_capacity(config.regions.len());
        for (index, region) in config.regions.iter().enumerate() {
            let addr = SocketAddr::new(config.bind, config.port_for(index));
            let bind_error = |source| EmulatorError::Bind {
                region: region.clone(),
                addr,
                source,
            };
            let listener = TcpListener::bind(addr).await.map_err(bind_error)?;
            let local = listener.local_addr().map_err(bind_error)?;
            listeners.push((region.clone(), listener, local));
        }

        let mut urls = Vec::with_capacity(listeners.len());
        let mut servers = Vec::with_capacity(listeners.len());
        for (index, (region, listener, local)) in listeners.into_iter().enumerate() {
            let app = router(RegionState {
                shared: Arc::clone(&shared),
                region: index,
            });
            let mut stopped = stop.subscribe();
            let name = region.clone();
            servers.push(tokio::spawn(async move {
                let service = app.into_make_service_with_connect_info::<SocketAddr>();
                let served = axum::serve(listener, service)
                    .with_graceful_shutdown(async move {
                        // Also ends when the handle (the sender) is dropped.
                        let _ = stopped.wait_for(|stop| *stop).await;
                    })
                    .await;
                if let Err(err) = served {
                    tracing::error!(region = %name, %err, "emulator listener failed");
                }
            }));
            let url = url_for(local);
            tracing::info!(region = %region, url = %url, "emulator listening");
            urls.push((region, url));
        }

        let simulator = config
            .simulate
            .clone()
            .map(|sim| tokio::spawn(simulator::run(Arc::clone(&shared), sim, stop.subscribe())));
        Ok(Emulator {
            shared,
            urls,
            stop,
            servers,
            simulator,
        })
    }

    /// Every region with the root URL of its listener (`http://127.0.0.1:PORT`),
    /// in configuration order. Clients append `/dev/v2/project/{appid}/...`.
    pub fn base_urls(&self) -> Vec<(String, String)> {
        self.urls.clone()
    }

    /// The first region's root URL.
    pub fn base_url(&self) -> String {
        self.urls
            .first()
            .map(|(_, url)| url.clone())
            .unwrap_or_default()
    }

    /// The root URL of a region's listener, if the region exists.
    pub fn region_url(&self, region: &str) -> Option<String> {
        self.urls
            .iter()
            .find(|(name, _)| name == region)
            .map(|(_, url)| url.clone())
    }

    /// A snapshot of the counters (the same data as `GET /_emulator/stats`).
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// Appends user events to the rings of `app_id` in the given regions (all
    /// when `None`; unknown names are ignored).
    pub fn inject_user_events(
        &self,
        app_id: &str,
        events: Vec<UserEvent>,
        regions: Option<&[String]>,
    ) {
        self.shared
            .push(app_id, &self.known_regions(regions), &events);
    }

    /// Appends channel events to the rings of `app_id` in the given regions
    /// (all when `None`; unknown names are ignored).
    pub fn inject_channel_events(
        &self,
        app_id: &str,
        events: Vec<ChannelEvent>,
        regions: Option<&[String]>,
    ) {
        self.shared
            .push(app_id, &self.known_regions(regions), &events);
    }

    /// Replaces the injected faults (probabilities are clamped into `0..=1`).
    pub fn set_faults(&self, faults: Faults) {
        self.shared.set_faults(faults);
    }

    /// The injected faults in force.
    pub fn faults(&self) -> Faults {
        self.shared.faults()
    }

    /// Marks a user of `app_id` online or offline (as
    /// `PUT /_emulator/apps/{appid}/online/{user_id}`), until the next login
    /// or logout of that user is injected or simulated. Peer messages sent
    /// with `wait_for_ack=true` to an online user answer `message_delivered`,
    /// otherwise `message_offline`.
    pub fn set_online(&self, app_id: &str, user_id: &str, online: bool) {
        self.shared.presence().set(app_id, user_id, online);
    }

    /// True when the user's latest login or logout (injected, simulated or
    /// set with [`Emulator::set_online`]) is a login.
    pub fn is_online(&self, app_id: &str, user_id: &str) -> bool {
        self.shared.presence().is_online(app_id, user_id)
    }

    /// Puts a message into the history of `app_id` (as
    /// `POST /_emulator/apps/{appid}/history`), e.g. a binary one, which the
    /// send endpoints cannot produce. Returns its timestamp (Unix ms): the
    /// record's own, or one stamped as a sent message's would be.
    pub fn store_history_message(&self, app_id: &str, record: HistoryRecord) -> u64 {
        self.shared.store_history(app_id, record)
    }

    /// Changes how long legacy history query handles live, existing ones
    /// included (as `PUT /_emulator/history_query_ttl`).
    pub fn set_history_query_ttl(&self, ttl: Duration) {
        self.shared.set_history_query_ttl(ttl);
    }

    /// How long legacy history query handles live.
    pub fn history_query_ttl(&self) -> Duration {
        self.shared.history_query_ttl()
    }

    /// Expires every legacy history query handle of `app_id`: each answers 410
    /// from now on; count requests start over with "in progress" (as
    /// `POST /_emulator/apps/{appid}/history/expire`). Returns how many handles
    /// were live.
    pub fn expire_history_queries(&self, app_id: &str) -> usize {
        self.shared.queries().expire_all(app_id)
    }

    /// Empties every ring, the message history, the presence table and the
    /// history queries, zeroes every counter and forgets the rate-limit
    /// windows (as `POST /_emulator/reset`). Faults and the history query
    /// lifetime stay.
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Stops accepting connections, lets in-flight requests finish (up to a
    /// few seconds) and stops the simulator.
    pub async fn shutdown(mut self) {
        self.stop.send_replace(true);
        if let Some(sim) = self.simulator.take() {
            sim.abort();
            let _ = sim.await;
        }
        for mut server in std::mem::take(&mut self.servers) {
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut server)
                .await
                .is_err()
            {
                server.abort();
            }
        }
    }

    fn known_regions(&self, names: Option<&[String]>) -> Vec<usize> {
        let regions = self.shared.regions();
        match names {
            None => (0..regions.len()).collect(),
            Some(names) => names
                .iter()
                .filter_map(|name| {
                    let found = regions.iter().position(|r| r == name);
                    if found.is_none() {
                        tracing::warn!(region = %name, "injection into an unknown region ignored");
                    }
                    found
                })
                .collect(),
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop.send_replace(true);
        if let Some(sim) = self.simulator.take() {
            sim.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_reach_wildcard_binds_over_loopback() {
        assert_eq!(
            url_for("0.0.0.0:80".parse().unwrap()),
            "http://127.0.0.1:80"
        );
        assert_eq!(url_for("[::]:81".parse().unwrap()), "http://[::1]:81");
        assert_eq!(
            url_for("10.1.2.3:82".parse().unwrap()),
            "http://10.1.2.3:82"
        );
    }
}
