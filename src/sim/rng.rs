//! Seeded random-number streams.
//!
//! A run has one seed. Each purpose (arrivals of a job stream, durations,
//! launch latencies, placement ties, ...) draws from its own stream, derived
//! from the run seed and the stream's name. Changing how often one purpose
//! draws (say, a placement strategy that uses random ties) therefore never
//! shifts the numbers another purpose sees: binpack and spread runs of the
//! same scenario and seed see the same arrivals (common random numbers).
//!
//! The generator is ChaCha8 from `rand_chacha`, whose output is specified and
//! portable across platforms and crate versions (unlike `StdRng`). The stream
//! seed is a 64-bit FNV-1a hash of the name mixed with the run seed through
//! SplitMix64, both fixed here so that seeds stay stable across releases.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The generator every stream uses.
pub type SimRng = ChaCha8Rng;

/// Factory of named streams for one run.
#[derive(Debug, Clone, Copy)]
pub struct RngStreams {
    seed: u64,
}

impl RngStreams {
    /// Streams for the run seed `seed`.
    pub fn new(seed: u64) -> Self {
        RngStreams { seed }
    }

    /// The run seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The stream for `purpose` (e.g. `"arrivals/etl"`). The same seed and
    /// name always give the same sequence.
    pub fn stream(&self, purpose: &str) -> SimRng {
        SimRng::seed_from_u64(derive_seed(self.seed, purpose))
    }
}

/// Mixes a run seed and a stream name into a stream seed.
pub fn derive_seed(seed: u64, purpose: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in purpose.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    splitmix64(seed ^ splitmix64(h))
}

/// One step of SplitMix64, a fixed bijective mixer.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let s = RngStreams::new(42);
        let a1: Vec<u64> = (0..4)
            .map(|_| 0)
            .scan(s.stream("a"), |r, _| Some(r.gen()))
            .collect();
        let a2: Vec<u64> = (0..4)
            .map(|_| 0)
            .scan(s.stream("a"), |r, _| Some(r.gen()))
            .collect();
        let b: Vec<u64> = (0..4)
            .map(|_| 0)
            .scan(s.stream("b"), |r, _| Some(r.gen()))
            .collect();
        assert_eq!(a1, a2);
        assert_ne!(a1, b);
        assert_ne!(derive_seed(1, "a"), derive_seed(2, "a"));
    }

    #[test]
    fn generator_output_is_pinned() {
        // Guards portability: if this changes, every committed result changes.
        let mut r = RngStreams::new(7).stream("pin");
        let x: u64 = r.gen();
        assert_eq!(x, RngStreams::new(7).stream("pin").gen::<u64>());
        assert_eq!(derive_seed(7, "pin"), derive_seed(7, "pin"));
        assert_eq!(splitmix64(0), 0xe220_a839_7b1d_cdaf);
    }
}
