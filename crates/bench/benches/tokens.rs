//! Minting and verifying RTM tokens (007 and 006). Binding benchmarks under
//! `bench/` compare these paths against Agora's own builders.

use std::hint::black_box;
use std::time::Duration;

use agora_rtm_rest_protocol::token;
use criterion::{Criterion, criterion_group, criterion_main};

const APP_ID: &str = "970CA35de60c44645bbae8a215061b33";
const CERT: &str = "5CFd2fd1755d40ecb72977518be15d3b";

fn bench(c: &mut Criterion) {
    let lifetime = Duration::from_secs(600);
    let mut group = c.benchmark_group("tokens");
    group.bench_function("mint_007_rtm", |b| {
        b.iter(|| {
            token::build_rtm_token(APP_ID, CERT, black_box("test_user"), lifetime, 1_111_111, 1)
                .unwrap()
        })
    });
    group.bench_function("mint_006_rtm", |b| {
        b.iter(|| {
            token::build_legacy_rtm_token(
                APP_ID,
                CERT,
                black_box("test_user"),
                lifetime,
                1_111_111,
                1,
            )
            .unwrap()
        })
    });
    let t007 = token::build_rtm_token(APP_ID, CERT, "test_user", lifetime, 1_111_111, 1).unwrap();
    let t006 =
        token::build_legacy_rtm_token(APP_ID, CERT, "test_user", lifetime, 1_111_111, 1).unwrap();
    group.bench_function("verify_007_rtm", |b| {
        b.iter(|| token::verify_token(black_box(&t007), CERT, 1_111_200).unwrap())
    });
    // A 006 token only carries a checksum of its user: verify it for that user.
    // A 006 token only carries a checksum of its user: verify it for that user.
    group.bench_function("verify_006_rtm", |b| {
        b.iter(|| {
            token::verify_token_for_user(black_box(&t006), "test_user", CERT, 1_111_200).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
