//! `agora-rtm history`: legacy (RTM 1.x) message history, its count, and
//! `history v2` for Signaling 2.x.

use std::io::{IsTerminal as _, Write as _};

use agora_rtm_rest::protocol::token::{iso8601_utc, parse_iso8601_utc};
use agora_rtm_rest::{
    ChannelType, Client, Error, HistoryFilter, HistoryOrder, HistoryQuery, HistoryV2Payload,
    HistoryV2Query,
};
use base64::Engine as _;
use futures_util::TryStreamExt as _;

use crate::connection::ConnectionArgs;
use crate::exit;

/// `history`: the legacy API by default, `history v2` for Signaling 2.x.
#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct HistoryArgs {
    #[command(subcommand)]
    v2: Option<HistorySub>,
    #[command(flatten)]
    legacy: LegacyArgs,
}

/// Subcommands of `history`.
#[derive(clap::Subcommand, Debug)]
pub enum HistorySub {
    /// Signaling 2.x history (newest first, paged by `newStart`).
    V2(V2Args),
}

/// Legacy history options.
#[derive(clap::Args, Debug)]
pub struct LegacyArgs {
    #[command(flatten)]
    connection: ConnectionArgs,
    /// Messages sent by this user.
    #[arg(long)]
    source: Option<String>,
    /// Messages sent to this user or channel.
    #[arg(long)]
    destination: Option<String>,
    /// Start of the range: `2026-01-01T00:00:00Z` or Unix seconds (UTC). Required.
    #[arg(long, value_parser = parse_time)]
    from_time: Option<u64>,
    /// End of the range: `2026-01-02T00:00:00Z` or Unix seconds (UTC). Required.
    #[arg(long, value_parser = parse_time)]
    to_time: Option<u64>,
    /// Page size: 20, 50 or 100.
    #[arg(long, default_value_t = 100)]
    limit: u32,
    /// `asc` (oldest first) or `desc`.
    #[arg(long, default_value = "asc")]
    order: String,
    /// Stop after this many pages (default: all).
    #[arg(long)]
    max_pages: Option<usize>,
    /// Print only the number of matching messages (the count endpoint).
    #[arg(long)]
    count: bool,
    /// One JSON object per line (the default when stdout is not a terminal).
    #[arg(long)]
    json: bool,
}

/// Signaling 2.x history options.
#[derive(clap::Args, Debug)]
pub struct V2Args {
    #[command(flatten)]
    connection: ConnectionArgs,
    /// The user reading (with token auth: the token's user).
    #[arg(long)]
    user: String,
    /// `message` (a message channel) or `user` (the peer conversation with --channel).
    #[arg(long, default_value = "message")]
    channel_type: String,
    /// The channel name, or the other user's id with `--channel-type user`.
    #[arg(long)]
    channel: String,
    /// Messages at or before this Unix time in milliseconds.
    #[arg(long)]
    start: Option<u64>,
    /// Messages at or after this Unix time in milliseconds.
    #[arg(long)]
    end: Option<u64>,
    /// Messages per page (1-100).
    #[arg(long, default_value_t = 100)]
    page_size: u32,
    /// Stop after this many pages (default: all).
    #[arg(long)]
    max_pages: Option<usize>,
    /// One JSON object per line (the default when stdout is not a terminal).
    #[arg(long)]
    json: bool,
}

fn parse_time(text: &str) -> Result<u64, String> {
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(secs);
    }
    parse_iso8601_utc(text)
        .ok_or_else(|| format!("{text:?} is neither Unix seconds nor YYYY-MM-DDTHH:MM:SSZ (UTC)"))
}

/// Runs the command; returns the exit code.
pub async fn run(args: HistoryArgs) -> i32 {
    let result = match args.v2 {
        Some(HistorySub::V2(v2)) => run_v2(v2).await,
        None => run_legacy(args.legacy).await,
    };
    match result {
        Ok(()) => exit::OK,
        Err(e) => exit::report(&e),
    }
}

async fn run_legacy(a: LegacyArgs) -> Result<(), Error> {
    let (Some(from_time), Some(to_time)) = (a.from_time, a.to_time) else {
        return Err(Error::invalid_input(
            "history",
            "pass --from-time and --to-time (legacy history), or use `history v2`",
        ));
    };
    let filter = HistoryFilter::new(
        a.source.as_deref(),
        a.destination.as_deref(),
        from_time,
        to_time,
    )?;
    let client: Client = a.connection.builder()?.build()?;
    let json = a.json || !std::io::stdout().is_terminal();
    let mut out = std::io::stdout().lock();
    if a.count {
        let n = client.count_history(filter).await?;
        let _ = if json {
            writeln!(out, "{}", serde_json::json!({ "count": n }))
        } else {
            writeln!(out, "{n}")
        };
        return Ok(());
    }
    let query = HistoryQuery::from_filter(filter)
        .limit(a.limit)?
        .order(a.order.parse::<HistoryOrder>()?);
    let mut pages = std::pin::pin!(client.history(query));
    let (mut n_pages, mut n_messages) = (0usize, 0usize);
    while a.max_pages.is_none_or(|max| n_pages < max) {
        let Some(page) = pages.try_next().await? else {
            break;
        };
        n_pages += 1;
        for m in page {
            n_messages += 1;
            let line = if json {
                serde_json::json!({"src": m.src, "dst": m.dst, "message_type": m.kind.as_str(),
                    "payload": m.payload, "ms": m.ms})
                .to_string()
            } else {
                format!(
                    "{}  {} -> {}  {}  {}",
                    iso8601_utc(m.ms / 1000),
                    m.src,
                    m.dst,
                    m.kind,
                    m.payload
                )
            };
            if writeln!(out, "{line}").is_err() {
                return Ok(());
            }
        }
    }
    if !json {
        let _ = writeln!(out, "{n_messages} message(s) in {n_pages} page(s)");
    }
    Ok(())
}

async fn run_v2(a: V2Args) -> Result<(), Error> {
    let query = HistoryV2Query::new(&a.user, a.channel_type.parse::<ChannelType>()?, &a.channel)?
        .start(a.start)
        .end(a.end)
        .message_count(a.page_size)?;
    query.validate()?;
    let client: Client = a.connection.builder()?.build()?;
    let json = a.json || !std::io::stdout().is_terminal();
    let mut out = std::io::stdout().lock();
    let mut pages = std::pin::pin!(client.history_v2(query));
    let (mut n_pages, mut n_messages) = (0usize, 0usize);
    while a.max_pages.is_none_or(|max| n_pages < max) {
        let Some(page) = pages.try_next().await? else {
            break;
        };
        n_pages += 1;
        for m in page {
            n_messages += 1;
            let (kind, text) = match &m.payload {
                HistoryV2Payload::Text(t) => ("STRING", t.clone()),
                HistoryV2Payload::Binary(b) => (
                    "BINARY",
                    base64::engine::general_purpose::STANDARD.encode(b),
                ),
            };
            let line = if json {
                serde_json::json!({"publisher": m.publisher, "timestamp": m.timestamp,
                    "message_type": kind, "message": text, "custom_type": m.custom_type})
                .to_string()
            } else {
                format!(
                    "{}  {}  {}  {}",
                    iso8601_utc(m.timestamp / 1000),
                    m.publisher,
                    kind,
                    text
                )
            };
            if writeln!(out, "{line}").is_err() {
                return Ok(());
            }
        }
    }
    if !json {
        let _ = writeln!(out, "{n_messages} message(s) in {n_pages} page(s)");
    }
    Ok(())
}
