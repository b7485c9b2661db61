//! Parsing a full 1000-event page of each feed, beside a `serde_json::Value`
//! baseline (parse to a generic tree, then walk it) measured in the same run.

use agora_rtm_rest_bench::{channel_events_page, user_events_page};
use agora_rtm_rest_protocol::{HttpResponse, parse};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn baseline_value(body: &[u8]) -> usize {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap();
    v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ms"].as_u64().is_some() && e["user_id"].is_string())
        .count()
}

fn bench(c: &mut Criterion) {
    for (name, body) in [
        ("user_events", user_events_page()),
        ("channel_events", channel_events_page()),
    ] {
        let response = HttpResponse::new(200, body.clone());
        let mut group = c.benchmark_group(format!("parse_1000_{name}"));
        group.throughput(Throughput::Elements(1000));
        group.bench_function("serde_json_value_baseline", |b| {
            b.iter(|| baseline_value(black_box(&body)))
        });
        group.bench_function("agora_rtm_rest", |b| {
            b.iter(|| match name {
                "user_events" => parse::parse_user_events(black_box(&response))
                    .unwrap()
                    .events
                    .len(),
                _ => parse::parse_channel_events(black_box(&response))
                    .unwrap()
                    .events
                    .len(),
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
