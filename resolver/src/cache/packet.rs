//! The packet cache: finished response images for repeated questions, so a cache hit
//! costs a hash lookup and a memcpy — no resolution task, no heap allocation.
//!
//! Key: lowercased QNAME, QTYPE, QCLASS and the request bits that change the response
//! (EDNS present, DO, CD, AD wanted). A hit copies the image into the worker's reused
//! buffer, writes the client's ID, RD bit and QNAME spelling (0x20 case and RFC 4343
//! §4.1 case preservation: owner names compressed to the question follow it), and
//! lowers every TTL by the time spent in cache (RFC 1035 §3.2.1).
//!
//! # Limitations
//! Shards evict crudely (expired entries first, then half the shard) when full.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Arc, RwLock};
use tern_shared::wire::query::QueryView;
use tern_shared::wire::{flags, RType};

/// Number of shards (a power of two).
const SHARDS: usize = 64;
const _: () = assert!(SHARDS.is_power_of_two());
/// Longest key: 255-octet name + type + class + flags.
pub const MAX_KEY: usize = 255 + 5;

/// Request bits that select a cached variant.
pub mod variant {
    /// The query had an OPT record.
    pub const EDNS: u8 = 1;
    /// DO was set.
    pub const DO: u8 = 2;
    /// CD was set.
    pub const CD: u8 = 4;
    /// AD may be returned (DO or AD set, RFC 6840 §5.7).
    pub const AD: u8 = 8;
    /// The client is outside `dns64.clients` (set by the server, for AAAA and PTR).
    pub const NO_DNS64: u8 = 16;
}

/// A cached response image.
#[derive(Debug)]
pub struct Packet {
    /// The response as sent (ID and question spelling are overwritten on each hit).
    pub image: Box<[u8]>,
    /// Offsets of every record TTL in the image (OPT excluded).
    pub ttl_offsets: Box<[u16]>,
    /// Seconds since the epoch when built.
    pub stored: u64,
    /// When it stops being served.
    pub expires: u64,
    /// Set by the first hit that starts a prefetch, so one image starts one refresh.
    pub prefetch_claimed: std::sync::atomic::AtomicBool,
}

impl Packet {
    /// An image built at `stored`, served until `expires`.
    pub fn new(image: Box<[u8]>, ttl_offsets: Box<[u16]>, stored: u64, expires: u64) -> Packet {
        Packet { image, ttl_offsets, stored, expires, prefetch_claimed: Default::default() }
    }

    /// True the first time it is asked within the last tenth of the image's life (and
    /// never for lives under [`crate::cache::PREFETCH_MIN_TTL`]): the caller refreshes
    /// the answer behind it.
    #[inline]
    pub fn claim_prefetch(&self, now: u64) -> bool {
        crate::cache::prefetch_due(self.stored, self.expires, now)
            && !self.prefetch_claimed.swap(true, std::sync::atomic::Ordering::Relaxed)
    }
}

/// The keys are the clients' questions, so the hash is keyed with a per-process random
/// secret (foldhash, already in the tree through hashbrown): a client cannot choose
/// names that pile into one bucket or one shard (HashDoS).
type Keyed = foldhash::quality::RandomState;

type Shard = RwLock<HashMap<Box<[u8]>, Arc<Packet>, Keyed>>;

/// The sharded packet cache.
pub struct PacketCache {
    shards: Box<[Shard]>,
    per_shard: usize,
    hasher: Keyed,
}

/// Builds the lookup key into `buf`; returns its length. Never allocates.
pub fn make_key(buf: &mut [u8; MAX_KEY], q: &QueryView<'_>) -> usize {
    let n = q.qname.len().min(255);
    buf[..n].copy_from_slice(&q.qname[..n]);
    buf[..n].make_ascii_lowercase();
    buf[n..n + 2].copy_from_slice(&q.qtype.0.to_be_bytes());
    buf[n + 2..n + 4].copy_from_slice(&q.qclass.0.to_be_bytes());
    buf[n + 4] = request_variant(q);
    n + 5
}

/// The variant bits of a query.
pub fn request_variant(q: &QueryView<'_>) -> u8 {
    let mut v = 0;
    if let Some(e) = q.edns {
        v |= variant::EDNS;
        if e.dnssec_ok() {
            v |= variant::DO | variant::AD;
        }
    }
    if q.header.has(flags::CD) {
        v |= variant::CD;
    }
    if q.header.has(flags::AD) {
        v |= variant::AD;
    }
    v
}

impl PacketCache {
    /// A cache holding about `max` images.
    pub fn new(max: usize) -> PacketCache {
        let hasher = Keyed::default();
        let shards = (0..SHARDS).map(|_| RwLock::new(HashMap::with_hasher(hasher.clone()))).collect();
        PacketCache { shards, per_shard: (max / SHARDS).max(16), hasher }
    }

    /// The shard for `key`: the hash's top bits, since each shard's map indexes its
    /// buckets with the low bits of the same hash.
    #[inline]
    fn shard_of(&self, key: &[u8]) -> usize {
        (self.hasher.hash_one(key) >> (64 - SHARDS.trailing_zeros())) as usize
    }

    /// Runs `f` on the live image under `key` (built by [`make_key`]) in place, under the
    /// shard's read lock: the hit path copies the image out without touching the image's
    /// reference count (two atomic operations on a line other workers share).
    #[inline]
    pub fn with<R>(&self, key: &[u8], now: u64, f: impl FnOnce(&Packet) -> R) -> Option<R> {
        let shard = self.shards[self.shard_of(key)].read().unwrap_or_else(|p| p.into_inner());
        shard.get(key).filter(|p| p.expires > now).map(|p| f(p))
    }

    /// Stores an image.
    pub fn insert(&self, key: &[u8], p: Packet) {
        let mut shard = self.shards[self.shard_of(key)].write().unwrap_or_else(|p| p.into_inner());
        if shard.len() >= self.per_shard {
            let now = p.stored;
            shard.retain(|_, v| v.expires > now);
            if shard.len() >= self.per_shard {
                let drop: Vec<Box<[u8]>> = shard.keys().take(self.per_shard / 2).cloned().collect();
                for k in drop {
                    shard.remove(&k);
                }
            }
        }
        shard.insert(key.into(), Arc::new(p));
    }

    /// Removes everything.
    pub fn clear(&self) {
        for s in self.shards.iter() {
            s.write().unwrap_or_else(|p| p.into_inner()).clear();
        }
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.read().map(|m| m.len()).unwrap_or(0)).sum()
    }

    /// True if empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Writes a cache hit for `q` into `out`: the image with the client's ID, RD bit and
/// question spelling, TTLs aged to `now`. Allocation-free when `out` has capacity.
#[inline]
pub fn write_hit(p: &Packet, q: &QueryView<'_>, now: u64, out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&p.image);
    out[0..2].copy_from_slice(&q.header.id.to_be_bytes());
    if q.header.has(flags::RD) {
        out[2] |= (flags::RD >> 8) as u8;
    } else {
        out[2] &= !((flags::RD >> 8) as u8);
    }
    let n = q.qname.len();
    if out.len() >= 12 + n {
        out[12..12 + n].copy_from_slice(q.qname);
    }
    let age = now.saturating_sub(p.stored) as u32;
    if age > 0 {
        for &off in p.ttl_offsets.iter() {
            let o = off as usize;
            let ttl = u32::from_be_bytes([out[o], out[o + 1], out[o + 2], out[o + 3]]);
            out[o..o + 4].copy_from_slice(&ttl.saturating_sub(age).to_be_bytes());
        }
    }
}

/// The offsets of every record's TTL in a well-formed message, skipping OPT.
pub fn ttl_offsets(msg: &[u8]) -> Option<Vec<u16>> {
    let h = tern_shared::wire::Header::parse(msg)?;
    let mut pos = 12;
    for _ in 0..h.qdcount {
        pos = skip_name(msg, pos)? + 4;
    }
    let mut out = Vec::new();
    for _ in 0..(h.ancount as usize + h.nscount as usize + h.arcount as usize) {
        pos = skip_name(msg, pos)?;
        let t = RType(u16::from_be_bytes([*msg.get(pos)?, *msg.get(pos + 1)?]));
        if t != RType::OPT {
            out.push(u16::try_from(pos + 4).ok()?);
        }
        let rdlen = u16::from_be_bytes([*msg.get(pos + 8)?, *msg.get(pos + 9)?]) as usize;
        pos += 10 + rdlen;
    }
    (pos == msg.len()).then_some(out)
}

fn skip_name(msg: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let l = *msg.get(pos)?;
        if l == 0 {
            return Some(pos + 1);
        }
        if l & 0xc0 == 0xc0 {
            return Some(pos + 2);
        }
        pos += 1 + l as usize;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Similar questions spread over the shards (the shard comes from the hash's top
    /// bits, the buckets inside a shard from its low bits).
    #[test]
    fn similar_keys_spread_over_shards() {
        let cache = PacketCache::new(1 << 20);
        let mut per_shard = [0u32; SHARDS];
        for i in 0..6400 {
            per_shard[cache.shard_of(format!("\x07h{i:06}\x04test\x00\x00\x01\x00\x01\x01").as_bytes())] += 1;
        }
        // 100 expected per shard.
        assert!(per_shard.iter().all(|&n| (50..=160).contains(&n)), "{per_shard:?}");
    }
}
