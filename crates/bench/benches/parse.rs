//! Parsing a full 1000-event page of each feed into typed events, beside a
//! `serde_json::Value` baseline (parse to a generic tree, then build the same typed
//! events from it) measured in the same run.

use agora_rtm_rest_bench::{channel_events_page, user_events_page};
use agora_rtm_rest_protocol::{
    ChannelEvent, ChannelEventKind, HttpResponse, UserEvent, UserEventKind, parse,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn baseline_users(body: &[u8]) -> Vec<UserEvent> {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap();
    v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| UserEvent {
            user_id: e["user_id"].as_str().unwrap().to_owned(),
            kind: UserEventKind::from_wire(e["type"].as_str().unwrap()),
            ms: e["ms"].as_u64().or_else(|| e["ts"].as_u64()).unwrap(),
        })
        .collect()
}

fn baseline_channels(body: &[u8]) -> Vec<ChannelEvent> {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap();
    v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| ChannelEvent {
            channel_id: e["group_id"]
                .as_str()
                .or_else(|| e["channel_id"].as_str())
                .unwrap()
                .to_owned(),
            user_id: e["user_id"].as_str().unwrap().to_owned(),
            kind: ChannelEventKind::from_wire(e["type"].as_str().unwrap()),
            ms: e["ms"].as_u64().or_else(|| e["ts"].as_u64()).unwrap(),
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let users = user_events_page();
    let response = HttpResponse::new(200, users.clone());
    let mut group = c.benchmark_group("parse_1000_user_events");
    group.throughput(Throughput::Elements(1000));
    group.bench_function("serde_json_value_baseline", |b| {
        b.iter(|| baseline_users(black_box(&users)).len())
    });
    group.bench_function("agora_rtm_rest", |b| {
        b.iter(|| {
            parse::parse_user_events(black_box(&response))
                .unwrap()
                .events
                .len()
        })
    });
    group.finish();

    let channels = channel_events_page();
    let response = HttpResponse::new(200, channels.clone());
    let mut group = c.benchmark_group("parse_1000_channel_events");
    group.throughput(Throughput::Elements(1000));
    group.bench_function("serde_json_value_baseline", |b| {
        b.iter(|| baseline_channels(black_box(&channels)).len())
    });
    group.bench_function("agora_rtm_rest", |b| {
        b.iter(|| {
            parse::parse_channel_events(black_box(&response))
                .unwrap()
                .events
                .len()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
