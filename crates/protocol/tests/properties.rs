//! Property tests: the rate limiter never grants more than its limit in any
//! window; the retry schedule is bounded with monotone caps; parsing and the
//! exchange never panic, whatever they are fed.

use std::sync::Arc;
use std::time::Duration;

use agora_rtm_rest_protocol::rng::SplitMix64;
use agora_rtm_rest_protocol::*;
use proptest::prelude::*;

proptest! {
    #[test]
    fn limiter_never_exceeds_limit_in_any_window(
        limit in 1u32..20,
        window_ms in 10u64..2000,
        gaps in proptest::collection::vec(0u64..300, 1..400),
        smooth in any::<bool>(),
    ) {
        let window = Duration::from_millis(window_ms);
        let mut limiter = if smooth { RateLimiter::new(limit, window) } else { RateLimiter::bursty(limit, window) };
        let mut now = 0u64;
        let mut granted: Vec<u64> = Vec::new();
        for gap in gaps {
            now += gap;
            // A caller that is told to wait comes back exactly when told to.
            match limiter.try_acquire(Instant::from_millis(now)) {
                Ok(()) => granted.push(now),
                Err(wait) => {
                    prop_assert!(!wait.is_zero());
                    let retry = now + wait.as_millis() as u64 + u64::from(wait.subsec_nanos() % 1_000_000 != 0);
                    prop_assert!(limiter.try_acquire(Instant::from_millis(retry)).is_ok(), "a wait that elapsed must grant");
                    granted.push(retry);
                    now = retry;
                }
            }
        }
        // Any half-open window [t, t + window) holds at most `limit` grants.
        for (i, &start) in granted.iter().enumerate() {
            let inside = granted[i..].iter().take_while(|&&t| t < start + window_ms).count();
            prop_assert!(inside <= limit as usize, "{} grants in a window starting at {}", inside, start);
        }
    }

    #[test]
    fn backoff_is_bounded_and_caps_are_monotone(
        base_ms in 1u64..5000,
        max_ms in 1u64..60_000,
        seed in any::<u64>(),
    ) {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(base_ms),
            max_delay: Duration::from_millis(max_ms),
            ..RetryPolicy::default()
        };
        let mut rng = SplitMix64::new(seed);
        let mut previous_cap = Duration::ZERO;
        for retry in 0..64 {
            let cap = policy.backoff_cap(retry);
            prop_assert!(cap >= previous_cap, "caps must not shrink");
            prop_assert!(cap <= policy.max_delay);
            let wait = policy.backoff(retry, &mut rng);
            prop_assert!(wait <= cap);
            previous_cap = cap;
        }
    }

    #[test]
    fn parsing_never_panics(status in 100u16..600, body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let r = HttpResponse::new(status, body);
        let _ = parse::parse_user_events(&r);
        let _ = parse::parse_channel_events(&r);
    }

    #[test]
    fn parsing_json_like_bodies_never_panics(body in r#"\{"(result|request_id|events)":(\[|\{|"|[0-9]|null|true)[ -~]{0,120}"#) {
        let r = HttpResponse::new(200, body.into_bytes());
        let _ = parse::parse_user_events(&r);
        let _ = parse::parse_channel_events(&r);
    }

    #[test]
    fn exchange_survives_any_event_sequence(
        events in proptest::collection::vec((0u8..6, 0u16..600, 0u64..5000), 1..40),
        seed in any::<u64>(),
    ) {
        let config = Arc::new(
            Config::new("demo").unwrap()
                .with_endpoints(Endpoints::custom(["http://127.0.0.1:1", "http://127.0.0.1:2"], false).unwrap()),
        );
        let shared = Shared::new(&config);
        let mut ex = Exchange::new(ReadUserEvents, config, shared, Vec::new(), seed);
        let mut now = 0u64;
        let mut step = ex.start(Instant::ZERO);
        for (what, status, gap) in events {
            now += gap;
            let t = Instant::from_millis(now);
            if let Step::Done(_) = step {
                // Calls after the end are refused with an error, never a panic.
                let again = ex.on_wait_elapsed(t);
                let refused = matches!(again, Step::Done(Err(Error::InvalidInput { .. })));
                prop_assert!(refused, "a call after the end must be refused");
                break;
            }
            step = match what {
                0 => ex.on_response(HttpResponse::new(status, "{}"), t),
                1 => ex.on_response(HttpResponse::new(200, r#"{"result":"success","request_id":"1","events":[]}"#), t),
                2 => ex.on_transport_error(TransportError::new(TransportErrorKind::Dns, "x"), t),
                3 => ex.on_transport_error(TransportError::new(TransportErrorKind::Timeout, "x"), t),
                _ => ex.on_wait_elapsed(t),
            };
        }
        prop_assert!(ex.report().attempts <= RetryPolicy::default().max_attempts);
    }
}
