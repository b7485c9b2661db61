//! `agora-rtm`: the command line of agora-rtm-rest.
#![forbid(unsafe_code)]

mod connection;
mod demo_cmd;
mod emulator_cmd;
mod events_cmd;
mod exit;
mod history_cmd;
mod send_cmd;
mod table;
mod token_cmd;
mod watch_cmd;

use clap::Parser;

/// Command line for Agora's RTM (Signaling) REST API and its local emulator.
///
/// Exit codes: 0 ok, 1 other error, 2 usage, 3 auth, 4 rate limited or server busy,
/// 5 network, 6 token verification failed.
#[derive(Parser, Debug)]
#[command(name = "agora-rtm", version, about, long_about = None)]
struct Cli {
    /// Log the SDK's requests on stderr (repeat for more detail).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Read an event feed once (destructive: the events are removed from the service).
    #[command(subcommand)]
    Events(events_cmd::EventsCommand),
    /// Run the local emulator of the service.
    Emulator(emulator_cmd::EmulatorArgs),
    /// Show the SDK against the emulator with simulated traffic (no account needed).
    Demo(demo_cmd::DemoArgs),
    /// Drain both feeds continuously, with presence, sinks and gap reports.
    Watch(watch_cmd::WatchArgs),
    /// Show the presence a watcher persisted (`--sink sqlite:PATH`).
    Presence(watch_cmd::PresenceArgs),
    /// Send a peer or channel message.
    #[command(subcommand)]
    Send(send_cmd::SendCommand),
    /// Query message history (legacy RTM 1.x; `history v2` for Signaling 2.x).
    History(Box<history_cmd::HistoryArgs>),
    /// Mint, inspect and verify RTM tokens.
    #[command(subcommand)]
    Token(token_cmd::TokenCommand),
}

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    if cli.verbose > 0 {
        let level = if cli.verbose > 1 {
            "agora_rtm_rest=trace"
        } else {
            "agora_rtm_rest=debug"
        };
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(level))
            .with_writer(std::io::stderr)
            .init();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("agora-rtm: error: cannot start the async runtime: {e}");
            std::process::exit(exit::OTHER);
        }
    };
    let code = runtime.block_on(async move {
        match cli.command {
            Command::Events(cmd) => events_cmd::run(cmd).await,
            Command::Emulator(args) => emulator_cmd::run(args).await,
            Command::Demo(args) => demo_cmd::run(args).await,
            Command::Watch(args) => watch_cmd::run(args).await,
            Command::Presence(args) => watch_cmd::run_presence(args),
            Command::Send(cmd) => send_cmd::run(cmd).await,
            Command::History(args) => history_cmd::run(*args).await,
            Command::Token(cmd) => {
                let now_unix = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                // Agora's salts are 1..=99_999_999.
                let salt = rand::random_range(1..=99_999_999u32);
                token_cmd::run(cmd, now_unix, salt)
            }
        }
    });
    std::process::exit(code);
}
