//! A tiny deterministic generator for retry jitter.
//!
//! Why not the `rand` crate: the protocol crate takes randomness as an input (a
//! seed) so that retry schedules replay exactly from JSON vectors in every language.
//! SplitMix64 is ten lines, fully specified, and good enough for jitter; it is not
//! used for anything secret (token salts come from the caller).

/// SplitMix64 (Steele, Lea, Flood 2014), seeded by the caller.
///
/// ```
/// use agora_rtm_rest_protocol::rng::SplitMix64;
/// let mut a = SplitMix64::new(7);
/// let mut b = SplitMix64::new(7);
/// assert_eq!(a.next_u64(), b.next_u64());
/// assert!(a.below(10) < 10);
/// ```
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose whole sequence is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value uniform in `0..=bound` (bound inclusive; multiply-shift, bias below 2^-32
    /// for the bounds used here).
    pub fn below(&mut self, bound: u64) -> u64 {
        if bound == u64::MAX {
            return self.next_u64();
        }
        ((u128::from(self.next_u64()) * (u128::from(bound) + 1)) >> 64) as u64
    }
}
