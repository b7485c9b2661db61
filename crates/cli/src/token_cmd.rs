//! `agora-rtm token`: build and inspect RTM tokens (SPEC section 2).
//!
//! - `agora-rtm token rtm --user U [--expire 1h] [--legacy]` prints a token built
//!   from `--app-id`/`AGORA_APP_ID` and `--app-certificate`/`AGORA_APP_CERTIFICATE`.
//! - `agora-rtm token inspect TOKEN [--app-certificate C]` prints the decoded
//!   token as JSON and, with a certificate, whether it verifies.
//!
//! The certificate is never printed (not in `--help`, not in `Debug`, not in
//! errors); tokens are printed only where the user asked for one.

use std::fmt;
use std::io::Read as _;
use std::time::Duration;

use agora_rtm_rest_protocol::token::{
    Expected, ParsedToken, TokenError, build_legacy_rtm_token, build_rtm_token, parse_token,
    verify_token_with,
};

use crate::exit::{OK, OTHER, TOKEN_INVALID, USAGE};

/// Build or inspect RTM tokens.
#[derive(clap::Subcommand, Debug)]
pub enum TokenCommand {
    /// Build an RTM token: AccessToken2 ("007...", sent as `Authorization: agora token=...`)
    /// or, with --legacy, a legacy AccessToken ("006...", sent as x-agora-token + x-agora-uid).
    Rtm(RtmArgs),
    /// Decode a token and print it as JSON; with --app-certificate also verify it
    /// (exit code 6 when verification fails).
    Inspect(InspectArgs),
}

/// Arguments of `agora-rtm token rtm`.
#[derive(clap::Args)]
pub struct RtmArgs {
    /// The RTM user id the token is for (1 to 64 bytes).
    #[arg(long, allow_hyphen_values = true)]
    pub user: String,
    /// How long the token lasts: 90s, 15m, 1h, 1d or plain seconds (at most 24h).
    #[arg(long, default_value = "1h", value_parser = parse_lifetime)]
    pub expire: Duration,
    /// Build a legacy "006" token instead of an AccessToken2 ("007").
    #[arg(long)]
    pub legacy: bool,
    /// The app id (32 hex characters).
    #[arg(long, env = "AGORA_APP_ID")]
    pub app_id: Option<String>,
    /// The app certificate (32 hex characters); prefer the environment variable.
    #[arg(long, env = "AGORA_APP_CERTIFICATE", hide_env_values = true)]
    pub app_certificate: Option<String>,
    /// Issue time in Unix seconds instead of now (for reproducible output).
    #[arg(long, hide = true)]
    pub issued_at: Option<u32>,
    /// Salt instead of a random one (for reproducible output).
    #[arg(long, hide = true)]
    pub salt: Option<u32>,
}

impl fmt::Debug for RtmArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RtmArgs")
            .field("user", &self.user)
            .field("expire", &self.expire)
            .field("legacy", &self.legacy)
            .field("app_id", &self.app_id)
            .field(
                "app_certificate",
                &self.app_certificate.as_ref().map(|_| "<redacted>"),
            )
            .field("issued_at", &self.issued_at)
            .field("salt", &self.salt)
            .finish()
    }
}

/// Arguments of `agora-rtm token inspect`.
#[derive(clap::Args)]
pub struct InspectArgs {
    /// The token ("007..." or "006..."); "-" reads it from standard input.
    pub token: String,
    /// Verify the token with this app certificate (signature, expiry, not-yet-valid).
    #[arg(long)]
    pub app_certificate: Option<String>,
    /// When verifying, also require this user; needed for a "006" token, which
    /// carries only a checksum of its user account.
    #[arg(long, allow_hyphen_values = true)]
    pub user: Option<String>,
    /// When verifying, also require this app id.
    #[arg(long)]
    pub app_id: Option<String>,
    /// The time to verify at, Unix seconds, instead of now.
    #[arg(long, hide = true)]
    pub now: Option<u64>,
}

impl fmt::Debug for InspectArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InspectArgs")
            .field("token", &"<redacted>")
            .field(
                "app_certificate",
                &self.app_certificate.as_ref().map(|_| "<redacted>"),
            )
            .field("user", &self.user)
            .field("app_id", &self.app_id)
            .field("now", &self.now)
            .finish()
    }
}

/// Parses a lifetime: `90s`, `15m`, `1h`, `1d`, or plain seconds (`86400`).
///
/// Range checks (at most 24 h, not an absolute timestamp, not zero) are the
/// token builder's, so their messages are the same everywhere.
pub fn parse_lifetime(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => (&t[..i], &t[i..]),
        None => (t, ""),
    };
    let bad = || format!("invalid duration {text:?}: use e.g. 90s, 15m, 1h, 1d or plain seconds");
    if digits.is_empty() {
        return Err(bad());
    }
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    n.checked_mul(scale)
        .map(Duration::from_secs)
        .ok_or_else(bad)
}

/// What a command printed and how it ended (kept apart from the printing so it can be tested).
#[derive(Debug, Default)]
struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Output {
    fn error(code: i32, message: impl fmt::Display) -> Self {
        Output {
            code,
            stdout: String::new(),
            stderr: format!("agora-rtm: error: {message}\n"),
        }
    }
}

/// Runs a `token` subcommand and returns the process exit code.
///
/// `now_unix` is the current time and `salt` a random number in 1..=99_999_999,
/// both supplied by the caller (the hidden `--issued-at`, `--salt` and `--now`
/// flags override them).
pub fn run(cmd: TokenCommand, now_unix: u64, salt: u32) -> i32 {
    let cmd = match cmd {
        TokenCommand::Inspect(mut args) if args.token == "-" => {
            let mut text = String::new();
            if let Err(e) = std::io::stdin().read_to_string(&mut text) {
                eprintln!("agora-rtm: error: cannot read the token from standard input: {e}");
                return OTHER;
            }
            args.token = text.trim().to_string();
            TokenCommand::Inspect(args)
        }
        cmd => cmd,
    };
    let out = execute(cmd, now_unix, salt);
    print!("{}", out.stdout);
    eprint!("{}", out.stderr);
    out.code
}

fn execute(cmd: TokenCommand, now_unix: u64, salt: u32) -> Output {
    match cmd {
        TokenCommand::Rtm(args) => rtm(args, now_unix, salt),
        TokenCommand::Inspect(args) => inspect(args, now_unix),
    }
}

fn rtm(args: RtmArgs, now_unix: u64, salt: u32) -> Output {
    let Some(app_id) = args.app_id.as_deref().filter(|s| !s.is_empty()) else {
        return Output::error(USAGE, "missing app id: pass --app-id or set AGORA_APP_ID");
    };
    let Some(cert) = args.app_certificate.as_deref().filter(|s| !s.is_empty()) else {
        return Output::error(
            USAGE,
            "missing app certificate: set AGORA_APP_CERTIFICATE or pass --app-certificate",
        );
    };
    let issue_ts = match args.issued_at {
        Some(t) => t,
        None => match u32::try_from(now_unix) {
            Ok(t) => t,
            Err(_) => {
                return Output::error(
                    OTHER,
                    "the current time does not fit in a token (after 2106)",
                );
            }
        },
    };
    let salt = args.salt.unwrap_or(salt);
    let built = if args.legacy {
        build_legacy_rtm_token(app_id, cert, &args.user, args.expire, issue_ts, salt)
    } else {
        build_rtm_token(app_id, cert, &args.user, args.expire, issue_ts, salt)
    };
    match built {
        Ok(token) => Output {
            code: OK,
            stdout: format!("{token}\n"),
            stderr: String::new(),
        },
        Err(e) => Output::error(USAGE, e),
    }
}

fn inspect(args: InspectArgs, now_unix: u64) -> Output {
    let token = args.token.trim();
    let parsed = match parse_token(token) {
        Ok(p) => p,
        Err(e) => {
            return Output::error(
                OTHER,
                format_args!("cannot parse the token: {e} ({})", e.kind()),
            );
        }
    };
    let Some(cert) = args.app_certificate.as_deref() else {
        return print_json(parsed.to_json(), OK);
    };
    let expected = Expected {
        app_id: args.app_id.as_deref(),
        user_id: args.user.as_deref(),
    };
    let now = args.now.unwrap_or(now_unix);
    match verify_token_with(token, expected, cert, now) {
        Ok(verified) => {
            let mut json = verified.to_json();
            json["verified"] = true.into();
            print_json(json, OK)
        }
        Err(TokenError::InvalidAppCertificate) => Output::error(
            USAGE,
            "invalid --app-certificate: it must be exactly 32 hexadecimal characters",
        ),
        Err(e) => {
            let mut out = print_json(with_failure(&parsed, &e), TOKEN_INVALID);
            out.stderr = format!("agora-rtm: token verification failed: {e}\n");
            out
        }
    }
}

fn with_failure(parsed: &ParsedToken, e: &TokenError) -> serde_json::Value {
    let mut json = parsed.to_json();
    json["verified"] = false.into();
    json["verification_error"] = e.kind().into();
    json["verification_message"] = e.to_string().into();
    json
}

fn print_json(json: serde_json::Value, code: i32) -> Output {
    match serde_json::to_string_pretty(&json) {
        Ok(text) => Output {
            code,
            stdout: format!("{text}\n"),
            stderr: String::new(),
        },
        Err(e) => Output::error(OTHER, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    const APP_ID: &str = "970CA35de60c44645bbae8a215061b33";
    const CERT: &str = "5CFd2fd1755d40ecb72977518be15d3b";
    const SPEC_007_RTM: &str = "007eJxTYOCdJftjyTM2zxW6Xhm/5T0j5LdcUt/xYVt48fb5Mp3PX9coMFiaGzg7GpumpJoZJJuYmJmYJiUlplokGhmaGpgZJhkbu38RYIhgYmBgZABhJiBmBPM5GUpSi0viS4tTiwBZVh6A";

    #[derive(Parser, Debug)]
    struct TestCli {
        #[command(subcommand)]
        cmd: TokenCommand,
    }

    fn exec(args: &[&str]) -> Output {
        let cli = TestCli::try_parse_from(std::iter::once("token").chain(args.iter().copied()))
            .expect("arguments parse");
        execute(cli.cmd, 1_111_111, 1)
    }

    #[test]
    fn lifetimes() {
        assert_eq!(parse_lifetime("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_lifetime("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_lifetime("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_lifetime("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_lifetime("86400"), Ok(Duration::from_secs(86_400)));
        for bad in [
            "",
            "h",
            "1x",
            "-5",
            "1.5h",
            "1h30m",
            "99999999999999999999",
            "18446744073709551615d",
        ] {
            assert!(parse_lifetime(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn rtm_reproduces_the_spec_vector() {
        let out = exec(&[
            "rtm",
            "--user",
            "test_user",
            "--expire",
            "600",
            "--app-id",
            APP_ID,
            "--app-certificate",
            CERT,
        ]);
        assert_eq!(out.code, OK, "{}", out.stderr);
        assert_eq!(out.stdout, format!("{SPEC_007_RTM}\n"));
        let out = exec(&[
            "rtm",
            "--user",
            "test_user",
            "--expire",
            "10m",
            "--app-id",
            APP_ID,
            "--app-certificate",
            CERT,
            "--issued-at",
            "1111111",
            "--salt",
            "1",
        ]);
        assert_eq!(out.stdout, format!("{SPEC_007_RTM}\n"));
    }

    #[test]
    fn rtm_refusals_are_usage_errors_without_the_certificate() {
        let out = exec(&[
            "rtm",
            "--user",
            "u",
            "--expire",
            "1767225600",
            "--app-id",
            APP_ID,
            "--app-certificate",
            CERT,
        ]);
        assert_eq!(out.code, USAGE);
        assert!(
            out.stderr
                .contains("pass a duration, not an absolute timestamp"),
            "{}",
            out.stderr
        );
        let out = exec(&[
            "rtm",
            "--user",
            "u",
            "--app-id",
            APP_ID,
            "--app-certificate",
            "secretsecret",
        ]);
        assert_eq!(out.code, USAGE);
        assert!(!out.stderr.contains("secretsecret"));
        let out = exec(&["rtm", "--user", "u", "--legacy", "--app-id", APP_ID]);
        if std::env::var_os("AGORA_APP_CERTIFICATE").is_none() {
            assert_eq!(out.code, USAGE);
        }
    }

    #[test]
    fn inspect_and_verify() {
        let out = exec(&["inspect", SPEC_007_RTM]);
        assert_eq!(out.code, OK);
        let j: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(j["services"][0]["user_id"], "test_user");
        assert!(j.get("verified").is_none());

        let out = exec(&["inspect", SPEC_007_RTM, "--app-certificate", CERT]);
        assert_eq!(out.code, OK);
        let j: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(j["verified"], true);
        assert!(!out.stdout.contains(CERT));

        let out = exec(&[
            "inspect",
            SPEC_007_RTM,
            "--app-certificate",
            CERT,
            "--now",
            "1111711",
        ]);
        assert_eq!(out.code, TOKEN_INVALID);
        let j: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(j["verified"], false);
        assert_eq!(j["verification_error"], "expired");

        let out = exec(&["inspect", "garbage"]);
        assert_eq!(out.code, OTHER);
        assert!(out.stdout.is_empty());

        let out = exec(&["inspect", SPEC_007_RTM, "--app-certificate", "nope"]);
        assert_eq!(out.code, USAGE);
    }

    #[test]
    fn legacy_round_trip_through_the_cli() {
        let out = exec(&[
            "rtm",
            "--user",
            "bob",
            "--legacy",
            "--expire",
            "90s",
            "--app-id",
            APP_ID,
            "--app-certificate",
            CERT,
        ]);
        assert_eq!(out.code, OK, "{}", out.stderr);
        let token = out.stdout.trim().to_string();
        assert!(token.starts_with("006"));
        let out = exec(&["inspect", &token, "--app-certificate", CERT]);
        assert_eq!(out.code, TOKEN_INVALID);
        assert!(out.stdout.contains("user_account_required"));
        let out = exec(&[
            "inspect",
            &token,
            "--app-certificate",
            CERT,
            "--user",
            "bob",
        ]);
        assert_eq!(out.code, OK, "{}", out.stdout);
        let j: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(j["user_account"], "bob");
        assert_eq!(j["expires_at"], 1_111_111 + 90);
    }

    #[test]
    fn user_ids_may_start_with_a_hyphen() {
        let out = exec(&[
            "rtm",
            "--user",
            "-bob",
            "--app-id",
            APP_ID,
            "--app-certificate",
            CERT,
        ]);
        assert_eq!(out.code, OK, "{}", out.stderr);
        let token = out.stdout.trim().to_string();
        let out = exec(&[
            "inspect",
            &token,
            "--user",
            "-bob",
            "--app-certificate",
            CERT,
        ]);
        assert_eq!(out.code, OK, "{}", out.stdout);
    }

    #[test]
    fn debug_redacts_secrets() {
        let cli = TestCli::try_parse_from([
            "token",
            "rtm",
            "--user",
            "u",
            "--app-id",
            APP_ID,
            "--app-certificate",
            CERT,
        ])
        .unwrap();
        assert!(!format!("{cli:?}").contains(CERT));
        let cli =
            TestCli::try_parse_from(["token", "inspect", SPEC_007_RTM, "--app-certificate", CERT])
                .unwrap();
        let d = format!("{cli:?}");
        assert!(!d.contains(CERT) && !d.contains(SPEC_007_RTM), "{d}");
    }
}
