//! `agora-rtm events users|channels`: one destructive read.

use std::io::{IsTerminal as _, Write as _};

use agora_rtm_rest::{ChannelEvent, Client, EventsPage};

use crate::connection::ConnectionArgs;
use crate::exit;

/// Which feed to read.
#[derive(clap::Subcommand, Debug)]
pub enum EventsCommand {
    /// Read (and remove) up to 1000 login/logout events.
    Users(ReadArgs),
    /// Read (and remove) up to 1000 channel join/leave events.
    Channels(ReadArgs),
}

/// Options of one read.
#[derive(clap::Args, Debug)]
pub struct ReadArgs {
    #[command(flatten)]
    connection: ConnectionArgs,
    /// One JSON object per line (the default when stdout is not a terminal).
    #[arg(long, conflicts_with = "table")]
    json: bool,
    /// A table (the default on a terminal).
    #[arg(long)]
    table: bool,
}

impl ReadArgs {
    fn json_output(&self) -> bool {
        self.json || (!self.table && !std::io::stdout().is_terminal())
    }
}

/// Runs the command; returns the exit code.
pub async fn run(cmd: EventsCommand) -> i32 {
    let (args, users) = match &cmd {
        EventsCommand::Users(a) => (a, true),
        EventsCommand::Channels(a) => (a, false),
    };
    let client = match args.connection.builder().and_then(|b| b.build()) {
        Ok(c) => c,
        Err(e) => return exit::report(&e),
    };
    let result = if users {
        read_users(&client, args.json_output()).await
    } else {
        read_channels(&client, args.json_output()).await
    };
    match result {
        Ok(()) => exit::OK,
        Err(e) => exit::report(&e),
    }
}

async fn read_users(client: &Client, json: bool) -> Result<(), agora_rtm_rest::Error> {
    let page = client.user_events().await?;
    print_page(
        &page,
        json,
        |e| vec![e.user_id.clone(), e.kind.to_string(), e.ms.to_string()],
        &["USER", "TYPE", "MS"],
    );
    Ok(())
}

async fn read_channels(client: &Client, json: bool) -> Result<(), agora_rtm_rest::Error> {
    let page = client.channel_events().await?;
    print_page(
        &page,
        json,
        |e: &ChannelEvent| {
            vec![
                e.channel_id.clone(),
                e.user_id.clone(),
                e.kind.to_string(),
                e.ms.to_string(),
            ]
        },
        &["CHANNEL", "USER", "TYPE", "MS"],
    );
    Ok(())
}

fn print_page<T: serde::Serialize>(
    page: &EventsPage<T>,
    json: bool,
    row: impl Fn(&T) -> Vec<String>,
    header: &[&str],
) {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if json {
        for e in &page.events {
            // Writing to a closed pipe (`| head`) is not an error worth a message.
            if writeln!(out, "{}", serde_json::to_string(e).unwrap_or_default()).is_err() {
                return;
            }
        }
        return;
    }
    let rows: Vec<Vec<String>> = page.events.iter().map(row).collect();
    crate::table::print(&mut out, header, &rows);
    let _ = writeln!(
        out,
        "{} event(s), request id {}",
        page.events.len(),
        page.request_id
    );
}
