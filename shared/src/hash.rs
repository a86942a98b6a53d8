//! FNV-1a hashing for the hot paths' hash maps: a few nanoseconds for a short DNS name
//! where SipHash takes tens. Used where the keys are bounded or not attacker-chosen
//! (zone indexes, the per-shard-bounded packet cache).

use std::hash::{BuildHasher, Hasher};

/// FNV-1a: cheap, stable hashing for shard choice and the maps (keys are not
/// attacker-chosen collisions of concern: each shard map is bounded).
#[derive(Default, Clone, Copy)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for &b in bytes {
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
