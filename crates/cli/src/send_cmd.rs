//! `agora-rtm send peer|channel`: send one message.

use std::io::{IsTerminal as _, Write as _};

use agora_rtm_rest::{Error, MessageReceipt, SendChannelMessage, SendPeerMessage};

use crate::connection::ConnectionArgs;
use crate::exit;

/// What to send.
#[derive(clap::Subcommand, Debug)]
pub enum SendCommand {
    /// Send a peer message from one user to another.
    Peer(PeerArgs),
    /// Send a channel message from a user to a channel.
    Channel(ChannelArgs),
}

/// `send peer`.
#[derive(clap::Args, Debug)]
pub struct PeerArgs {
    #[command(flatten)]
    connection: ConnectionArgs,
    /// The sending user (with token auth: the token's user).
    #[arg(long)]
    from: String,
    /// The receiving user.
    #[arg(long)]
    to: String,
    /// The message (at most 32 KB).
    payload: String,
    /// Wait for the receiver's acknowledgement: the outcome is then
    /// `message_delivered` or `message_offline`.
    #[arg(long)]
    wait_for_ack: bool,
    /// Store the message for the history APIs.
    #[arg(long)]
    history: bool,
    /// Print the receipt as JSON (the default when stdout is not a terminal).
    #[arg(long)]
    json: bool,
}

/// `send channel`.
#[derive(clap::Args, Debug)]
pub struct ChannelArgs {
    #[command(flatten)]
    connection: ConnectionArgs,
    /// The sending user (with token auth: the token's user).
    #[arg(long)]
    from: String,
    /// The channel.
    #[arg(long)]
    channel: String,
    /// The message (at most 32 KB).
    payload: String,
    /// Store the message for the history APIs.
    #[arg(long)]
    history: bool,
    /// Print the receipt as JSON (the default when stdout is not a terminal).
    #[arg(long)]
    json: bool,
}

/// Runs the command; returns the exit code.
pub async fn run(cmd: SendCommand) -> i32 {
    let result = match cmd {
        SendCommand::Peer(a) => send_peer(&a).await.map(|r| (r, a.json)),
        SendCommand::Channel(a) => send_channel(&a).await.map(|r| (r, a.json)),
    };
    match result {
        Ok((receipt, json)) => {
            print_receipt(&receipt, json || !std::io::stdout().is_terminal());
            exit::OK
        }
        Err(e) => exit::report(&e),
    }
}

async fn send_peer(a: &PeerArgs) -> Result<MessageReceipt, Error> {
    let message = SendPeerMessage::new(&a.from, &a.to, &a.payload)?
        .wait_for_ack(a.wait_for_ack)
        .store_in_history(a.history);
    let client = a.connection.builder()?.build()?;
    client.send_peer_message(message).await
}

async fn send_channel(a: &ChannelArgs) -> Result<MessageReceipt, Error> {
    let message =
        SendChannelMessage::new(&a.from, &a.channel, &a.payload)?.store_in_history(a.history);
    let client = a.connection.builder()?.build()?;
    client.send_channel_message(message).await
}

fn print_receipt(receipt: &MessageReceipt, json: bool) {
    let mut out = std::io::stdout().lock();
    let _ = if json {
        writeln!(
            out,
            "{}",
            serde_json::json!({"outcome": receipt.outcome.as_str(), "request_id": receipt.request_id})
        )
    } else {
        writeln!(
            out,
            "{} (request id {})",
            receipt.outcome, receipt.request_id
        )
    };
}
