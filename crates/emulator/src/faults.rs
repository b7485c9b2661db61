//! Injected faults: timeouts, server errors, extra throttling, lost responses and
//! latency, changeable while the emulator runs.

use rand::Rng;
use serde::{Deserialize, Serialize};

/// Faults applied to every service request (not to the admin API).
///
/// Probabilities are in `0..=1`; missing JSON fields default to 0. For each
/// request that passed auth and the rate limit, the faults are drawn in the
/// order 408, 5xx, 429, lost response, each with its own probability (so
/// `p_408` is exact and later ones apply to what is left).
///
/// ```
/// use agora_rtm_rest_emulator::Faults;
/// let f: Faults = serde_json::from_str(r#"{"p_408": 0.5}"#).unwrap();
/// assert_eq!(f.p_408, 0.5);
/// assert_eq!(f.latency_ms, 0);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Probability of answering 408 `{"result":"failed","message":"request timeout"}`
    /// without touching the ring.
    pub p_408: f64,
    /// Probability of a server error, alternately 500 (JSON) and 503 (gateway HTML),
    /// without touching the ring.
    pub p_5xx: f64,
    /// Probability of dequeuing a page as usual and then breaking the connection
    /// instead of delivering it (the events are lost).
    pub p_lost_response: f64,
    /// Delay before every service response, in milliseconds.
    pub latency_ms: u64,
    /// Probability of an extra 429, beyond the real rate limit.
    pub p_429: f64,
}

impl Faults {
    /// Checks that every probability is a finite number in `0..=1`.
    pub fn validate(&self) -> Result<(), String> {
        for (name, p) in self.probabilities() {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!(
                    "fault probability {name} must be between 0 and 1, got {p}"
                ));
            }
        }
        Ok(())
    }

    /// The same faults with every probability clamped into `0..=1` (NaN becomes 0).
    pub fn clamped(mut self) -> Faults {
        for p in [
            &mut self.p_408,
            &mut self.p_5xx,
            &mut self.p_lost_response,
            &mut self.p_429,
        ] {
            *p = if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) };
        }
        self
    }

    fn probabilities(&self) -> [(&'static str, f64); 4] {
        [
            ("p_408", self.p_408),
            ("p_5xx", self.p_5xx),
            ("p_lost_response", self.p_lost_response),
            ("p_429", self.p_429),
        ]
    }

    /// Draws the fault (if any) for one request.
    pub(crate) fn draw(&self, rng: &mut impl Rng) -> Outcome {
        if hit(rng, self.p_408) {
            Outcome::Timeout
        } else if hit(rng, self.p_5xx) {
            Outcome::ServerError
        } else if hit(rng, self.p_429) {
            Outcome::Throttle
        } else if hit(rng, self.p_lost_response) {
            Outcome::LostResponse
        } else {
            Outcome::Normal
        }
    }
}

fn hit(rng: &mut impl Rng, p: f64) -> bool {
    p > 0.0 && (p >= 1.0 || rng.random::<f64>() < p)
}

/// What a service request turns into after the fault draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Serve the request normally.
    Normal,
    /// 408 without touching the ring.
    Timeout,
    /// 500 or 503 without touching the ring.
    ServerError,
    /// An extra 429.
    Throttle,
    /// Dequeue, then break the connection.
    LostResponse,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn validation_and_clamping() {
        assert!(Faults::default().validate().is_ok());
        let bad = Faults {
            p_5xx: 1.5,
            ..Faults::default()
        };
        assert!(bad.validate().is_err());
        let nan = Faults {
            p_429: f64::NAN,
            ..Faults::default()
        };
        assert!(nan.validate().is_err());
        let clamped = Faults {
            p_5xx: 1.5,
            p_429: f64::NAN,
            p_408: -1.0,
            ..Faults::default()
        }
        .clamped();
        assert_eq!(
            (clamped.p_5xx, clamped.p_429, clamped.p_408),
            (1.0, 0.0, 0.0)
        );
    }

    #[test]
    fn draw_respects_certainties() {
        let mut rng = StdRng::seed_from_u64(7);
        assert_eq!(Faults::default().draw(&mut rng), Outcome::Normal);
        let all = Faults {
            p_408: 1.0,
            p_5xx: 1.0,
            p_429: 1.0,
            p_lost_response: 1.0,
            latency_ms: 0,
        };
        assert_eq!(all.draw(&mut rng), Outcome::Timeout);
        let lost = Faults {
            p_lost_response: 1.0,
            ..Faults::default()
        };
        assert_eq!(lost.draw(&mut rng), Outcome::LostResponse);
        let half = Faults {
            p_408: 0.5,
            ..Faults::default()
        };
        let timeouts = (0..10_000)
            .filter(|_| half.draw(&mut rng) == Outcome::Timeout)
            .count();
        assert!((4_500..5_500).contains(&timeouts), "{timeouts}");
    }

    #[test]
    fn missing_fields_default_to_zero() {
        let f: Faults = serde_json::from_str("{}").unwrap();
        assert_eq!(f, Faults::default());
    }
}
