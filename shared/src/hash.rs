//! FNV-1a-style hashing (word-wise, with a final mix) for the hot paths' hash maps: a few nanoseconds for a short DNS name
//! where SipHash takes tens. Used where the keys are not the clients' choice (the
//! authoritative server's zone indexes); the resolver's packet cache, keyed by client
//! questions, uses a randomly keyed hash instead.

use std::hash::{BuildHasher, Hasher};

/// FNV-1a: cheap, stable hashing for shard choice and the maps (keys are not
/// attacker-chosen collisions of concern: each shard map is bounded).
#[derive(Default, Clone, Copy)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        // Words are folded in below, and a product's low bits depend only on the low bits
        // of what was multiplied: mix (MurmurHash3's fmix64) so every input bit reaches
        // the low bits the table indexes with.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
    fn write(&mut self, bytes: &[u8]) {
        // FNV-1a over 8-octet words (then the tail octet by octet): a quarter of the
        // multiplications of the octet-wise form for a typical name.
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            h ^= u64::from_le_bytes(w.try_into().expect("8"));
            h = h.rotate_left(29).wrapping_mul(0x100_0000_01b3);
        }
        for &b in words.remainder() {
            h ^= b as u64;
            h = h.wrapping_mul(0x100_0000_01b3);
        }
        self.0 = h;
    }
}

/// Builds [`Fnv`] hashers.
#[derive(Default, Clone, Copy)]
pub struct FnvBuild;

impl BuildHasher for FnvBuild {
    type Hasher = Fnv;
    fn build_hasher(&self) -> Fnv {
        Fnv::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names that differ only inside one 8-octet word still spread over the low bits a
    /// table or shard index uses.
    #[test]
    fn similar_names_spread_over_low_bits() {
        let mut buckets = [0u32; 16];
        for i in 0..10_000 {
            let name = format!("\x07h{i:06}\x08bench100\x00");
            let mut h = Fnv::default();
            h.write(name.as_bytes());
            buckets[(h.finish() & 15) as usize] += 1;
        }
        // 625 expected per bucket.
        assert!(buckets.iter().all(|&b| (500..=750).contains(&b)), "{buckets:?}");
    }
}
