//! Feeds arbitrary bytes (and a status derived from them) to every response
//! parser (event feeds, messages, both history APIs) and through an exchange:
//! nothing may panic.
#![no_main]

use std::sync::Arc;

use agora_rtm_rest_protocol::history::{CountHistory, CreateHistoryQuery, FetchHistoryQuery};
use agora_rtm_rest_protocol::history_v2::GetHistoryV2;
use agora_rtm_rest_protocol::{
    ChannelType, HistoryFilter, HistoryQuery, HistoryV2Query, Operation,
};
use agora_rtm_rest_protocol::{
    Config, Endpoints, Exchange, HttpResponse, Instant, ReadChannelEvents, ReadUserEvents, Shared,
    parse,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let status = match data.first() {
        Some(b) if b % 4 == 0 => 200,
        Some(b) => 100 + u16::from(*b) * 2,
        None => 200,
    };
    let response = HttpResponse::new(status, data.get(1..).unwrap_or_default().to_vec())
        .with_header(
            "retry-after",
            String::from_utf8_lossy(data.get(1..4).unwrap_or_default()),
        );
    let _ = parse::parse_user_events(&response);
    let _ = parse::parse_channel_events(&response);
    let _ = parse::error_from_response(&response);
    let _ = agora_rtm_rest_protocol::messages::parse_receipt(&response);
    let query = HistoryQuery::new(Some("a"), None, 0, 1).unwrap();
    let _ = CreateHistoryQuery::new(query).parse(&response);
    let _ = FetchHistoryQuery::new("h").parse(&response);
    let filter = HistoryFilter::new(Some("a"), None, 0, 1).unwrap();
    let _ = CountHistory::new(filter).parse(&response);
    let v2 = HistoryV2Query::new("a", ChannelType::User, "b").unwrap();
    let _ = GetHistoryV2::new(v2).parse(&response);
    let config = Arc::new(
        Config::new("fuzz")
            .unwrap()
            .with_endpoints(Endpoints::custom(["http://127.0.0.1:1"], false).unwrap()),
    );
    let mut ex = Exchange::new(
        ReadChannelEvents,
        config.clone(),
        Shared::new(&config),
        Vec::new(),
        1,
    );
    let _ = ex.start(Instant::ZERO);
    let _ = ex.on_response(response.clone(), Instant::from_millis(1));
    let mut ex = Exchange::new(
        ReadUserEvents,
        config.clone(),
        Shared::new(&config),
        Vec::new(),
        1,
    );
    let _ = ex.start(Instant::ZERO);
    let _ = ex.on_response(response, Instant::from_millis(1));
});
