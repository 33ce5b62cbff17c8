//! A fast hasher for the cluster's maps keyed by small integer ids.
//!
//! The standard SipHash guards against keys chosen by an attacker; the
//! cluster's keys are its own dense ids (groups, instances, attributes), and
//! hashing them was a tenth of the cost of placing and releasing a task.
//! This is the multiply-rotate hash of the Rust compiler's `FxHasher`, with
//! no random seed, so a map's iteration order depends only on its contents
//! and history (still never let it reach a decision or an output).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` hashed with [`IdHasher`].
pub type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// Multiply-rotate hasher for integer keys.
#[derive(Debug, Clone, Copy, Default)]
pub struct IdHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl IdHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_small_keys_hash_apart() {
        let mut seen = std::collections::BTreeSet::new();
        for g in 0..20u32 {
            for i in 0..500u32 {
                let mut h = IdHasher::default();
                h.write_u32(g);
                h.write_u32(i);
                seen.insert(h.finish());
            }
        }
        assert_eq!(seen.len(), 20 * 500);
    }

    #[test]
    fn map_works_as_a_map() {
        let mut m: IdMap<(u32, u32), u32> = IdMap::default();
        for i in 0..1000 {
            *m.entry((i % 7, i)).or_default() += i;
        }
        assert_eq!(m.len(), 1000);
        assert_eq!(m[&(3, 10)], 10);
    }
}
