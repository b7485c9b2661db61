//! Flags and environment variables that say which app and credentials to use.

use agora_rtm_rest::{ClientBuilder, Credentials, Error, MintedToken, Secret};
use std::time::Duration;

/// How to reach the API (flags override the environment).
#[derive(clap::Args, Debug, Clone)]
pub struct ConnectionArgs {
    /// App id.
    #[arg(long, env = "AGORA_APP_ID")]
    pub app_id: Option<String>,
    /// Customer id for Basic auth.
    #[arg(long, env = "AGORA_CUSTOMER_ID")]
    pub customer_id: Option<String>,
    /// Customer secret for Basic auth (prefer the environment variable).
    #[arg(long, env = "AGORA_CUSTOMER_SECRET", hide_env_values = true)]
    pub customer_secret: Option<String>,
    /// An RTM token (007 is sent as `agora token=`, 006 in x-agora headers with --uid).
    #[arg(long, env = "AGORA_RTM_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The user id the token was built for (or to mint tokens for, with --app-certificate).
    #[arg(long, env = "AGORA_RTM_UID")]
    pub uid: Option<String>,
    /// App certificate: mint tokens for --uid here instead of passing one.
    #[arg(long, env = "AGORA_APP_CERTIFICATE", hide_env_values = true)]
    pub app_certificate: Option<String>,
    /// Base URL(s) instead of Agora's hosts (comma-separated for failover), e.g. the emulator's.
    #[arg(long, env = "AGORA_RTM_BASE_URL", value_delimiter = ',')]
    pub base_url: Vec<String>,
    /// Attempts per request, the first included.
    #[arg(long, default_value_t = 5)]
    pub max_attempts: u32,
    /// Requests per second this process may send for the app id (the service allows
    /// 10 for all processes together: give each process its share).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub rate_limit: u32,
}

impl ConnectionArgs {
    /// The client builder these flags describe.
    pub fn builder(&self) -> Result<ClientBuilder, Error> {
        let app_id = self
            .app_id
            .clone()
            .ok_or_else(|| Error::invalid_input("app id", "pass --app-id or set AGORA_APP_ID"))?;
        let credentials = match (
            &self.customer_id,
            &self.customer_secret,
            &self.token,
            &self.app_certificate,
        ) {
            (Some(id), Some(secret), _, _) => {
                Credentials::basic(id.clone(), Secret::new(secret.clone()))?
            }
            (_, _, Some(token), _) if token.starts_with("006") => {
                let uid = self.uid.clone().ok_or_else(|| {
                    Error::invalid_input("uid", "a 006 token needs --uid (AGORA_RTM_UID)")
                })?;
                Credentials::legacy_token(Secret::new(token.clone()), uid)?
            }
            (_, _, Some(token), _) => Credentials::token(Secret::new(token.clone()))?,
            (_, _, None, Some(cert)) => {
                let uid = self.uid.clone().ok_or_else(|| {
                    Error::invalid_input("uid", "minting tokens needs --uid (AGORA_RTM_UID)")
                })?;
                Credentials::Minted(MintedToken::new(
                    app_id.clone(),
                    Secret::new(cert.clone()),
                    uid,
                    Duration::from_secs(3600),
                )?)
            }
            _ => {
                return Err(Error::invalid_input(
                    "credentials",
                    "pass --customer-id and --customer-secret (AGORA_CUSTOMER_ID/AGORA_CUSTOMER_SECRET), \
                     --token (AGORA_RTM_TOKEN), or --app-certificate with --uid",
                ));
            }
        };
        let mut builder = ClientBuilder::new(app_id)
            .credentials(credentials)
            .max_attempts(self.max_attempts);
        if !self.base_url.is_empty() {
            builder = builder.base_urls(self.base_url.iter().map(|s| s.trim().to_owned()));
        }
        Ok(builder)
    }
}
