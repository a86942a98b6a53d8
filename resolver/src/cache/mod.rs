//! The resolver's caches, each sized and expired on its own:
//! - [`RRsetCache`]: RRsets with their trust rank (RFC 2181 §5.4.1) and validation state,
//!   what the iterator builds delegations from (NS, glue, DS, DNSKEY) — `moka`.
//! - [`AnswerCache`]: complete client answers (CNAME chain, negative answers with their
//!   proofs, RFC 2308) with their security and EDE, bogus ones kept briefly; with
//!   serve-stale on, kept past expiry for RFC 8767 ([`StalePolicy`]) — `moka`.
//! - [`KeyCache`]: each zone's validated DNSKEY state (secure keys, insecure, bogus) — `moka`.
//! - [`servers::Servers`]: per-server smoothed RTT and behaviour.
//! - [`packet::PacketCache`]: wire images of answers for the allocation-free hit path.
//!
//! TTLs are clamped to the configured floor and cap when stored; entries are checked
//! against the injected clock when read, so a fake clock drives expiry in tests.
//!
//! Answers asked for near their end can be refreshed early ([`prefetch_due`]).
//! Aggressive use of NSEC/NSEC3 (RFC 8198) lives in [`nsec`] and the resolver.

pub mod nsec;
pub mod packet;
pub mod servers;

use crate::rrset::RRset;
use crate::validator::Security;
use moka::sync::Cache;
use std::sync::Arc;
use std::time::Duration;
use tern_shared::wire::{Name, RType};

/// RFC 2181 §5.4.1 trust ranking, lowest first. Data replaces cached data only with an
/// equal or higher rank (unless the cached data has expired).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rank {
    /// Additional section of a non-authoritative answer (glue).
    Additional,
    /// Authority section of a referral (delegation NS, non-authoritative).
    Referral,
    /// Answer section of a non-authoritative answer (e.g. from a forwarder).
    AnswerNonAuth,
    /// Authority section of an authoritative answer.
    AuthorityAuth,
    /// Answer section of an authoritative answer.
    AnswerAuth,
}

/// Validation state of a cached RRset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// Not validated (yet).
    Unchecked,
    /// Validated secure.
    Secure,
    /// Provably insecure.
    Insecure,
    /// Failed validation: never served as valid, never used for iteration.
    Bogus,
}

/// Cache key: lowercased owner wire name and type.
pub type Key = (Box<[u8]>, u16);

/// The cache key of a name and type.
pub fn key(name: &Name, rtype: RType) -> Key {
    let mut w: Box<[u8]> = name.wire().into();
    w.make_ascii_lowercase();
    (w, rtype.0)
}

/// One cached RRset.
#[derive(Debug, Clone)]
pub struct CachedRRset {
    /// The data (TTL as received, clamped).
    pub rrset: RRset,
    /// Trust rank.
    pub rank: Rank,
    /// Validation state.
    pub trust: Trust,
    /// Seconds since the epoch when it was stored.
    pub stored: u64,
    /// Seconds since the epoch when it expires.
    pub expires: u64,
}

impl CachedRRset {
    /// The RRset with TTLs decreased by the time spent in cache (RFC 1035 §3.2.1).
    pub fn aged(&self, now: u64) -> Option<RRset> {
        if now >= self.expires {
            return None;
        }
        let mut r = self.rrset.clone();
        r.ttl = (self.expires - now) as u32;
        Some(r)
    }
}

/// TTL policy: floor and caps (seconds).
#[derive(Debug, Clone, Copy)]
pub struct TtlPolicy {
    /// Floor for positive data.
    pub min: u32,
    /// Cap for positive data.
    pub max: u32,
    /// Cap for negative answers.
    pub max_negative: u32,
    /// How long a bogus answer is kept.
    pub bogus: u32,
}

impl TtlPolicy {
    /// Clamps a positive TTL.
    pub fn positive(&self, ttl: u32) -> u32 {
        ttl.clamp(self.min, self.max.max(self.min))
    }
    /// Clamps a negative TTL: the floor applies as to positive data, then the RFC 2308
    /// §5 cap (which wins if the two conflict).
    pub fn negative(&self, ttl: u32) -> u32 {
        ttl.max(self.min).min(self.max_negative)
    }
}

/// Serve-stale (RFC 8767): how long expired answers stay usable and how they are served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StalePolicy {
    /// Seconds past expiry an answer may still be served (RFC 8767 §5 maximum stale timer).
    pub max: u32,
    /// TTL of a stale answer, and how long before the authorities are tried again
    /// (RFC 8767 §4; §5 failure recheck timer).
    pub answer_ttl: u32,
    /// How long a client waits for a fresh answer before getting the stale one (RFC 8767
    /// §5 client response timer); zero: only after the resolution failed.
    pub client_timeout: Duration,
}

/// Answers living less than this many seconds are not prefetched: they would be
/// refreshed almost as often as asked.
pub const PREFETCH_MIN_TTL: u64 = 10;

/// True when `now` is within the last tenth of a life from `stored` to `expires` (as
/// Unbound's `prefetch`), for lives of at least [`PREFETCH_MIN_TTL`].
#[inline]
pub fn prefetch_due(stored: u64, expires: u64, now: u64) -> bool {
    let life = expires.saturating_sub(stored);
    life >= PREFETCH_MIN_TTL && now < expires && (expires - now) * 10 <= life
}

struct ExpireAt;

impl<K, V: Expires> moka::Expiry<K, V> for ExpireAt {
    fn expire_after_create(&self, _k: &K, v: &V, _now: std::time::Instant) -> Option<Duration> {
        Some(Duration::from_secs(v.lifetime()))
    }
}

/// Entries that know how long they live (for moka's per-entry expiry).
pub trait Expires {
    /// Seconds from creation to expiry.
    fn lifetime(&self) -> u64;
}

impl Expires for Arc<CachedRRset> {
    fn lifetime(&self) -> u64 {
        self.expires.saturating_sub(self.stored).max(1)
    }
}

/// RRsets by (name, type).
pub struct RRsetCache {
    inner: Cache<Key, Arc<CachedRRset>>,
    ttl: TtlPolicy,
    stats: Arc<CacheStats>,
}

/// Eviction and memory accounting of a cache.
#[derive(Debug, Default)]
pub struct CacheStats {
    /// Entries evicted for space.
    pub evictions: std::sync::atomic::AtomicU64,
    /// Estimated bytes held.
    pub bytes: std::sync::atomic::AtomicI64,
}

/// Estimated heap size of a cached RRset (key, entry, RDATA and signatures).
fn rrset_bytes(k: &Key, e: &CachedRRset) -> i64 {
    let data: usize = e.rrset.rdatas.iter().chain(e.rrset.sigs.iter()).map(|r| r.len() + 16).sum();
    (k.0.len() + e.rrset.owner.wire_len() + data + std::mem::size_of::<CachedRRset>() + 64) as i64
}

impl RRsetCache {
    /// A cache of at most `max` RRsets.
    pub fn new(max: u64, ttl: TtlPolicy) -> RRsetCache {
        let stats = Arc::new(CacheStats::default());
        let listener_stats = stats.clone();
        let inner = Cache::builder()
            .max_capacity(max)
            .expire_after(ExpireAt)
            .support_invalidation_closures()
            .eviction_listener(move |k: Arc<Key>, v: Arc<CachedRRset>, cause| {
                use std::sync::atomic::Ordering::Relaxed;
                listener_stats.bytes.fetch_sub(rrset_bytes(&k, &v), Relaxed);
                if cause == moka::notification::RemovalCause::Size {
                    listener_stats.evictions.fetch_add(1, Relaxed);
                }
            })
            .build();
        RRsetCache { inner, ttl, stats }
    }

    /// Entries evicted for space so far.
    pub fn evictions(&self) -> u64 {
        self.stats.evictions.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Estimated bytes held.
    pub fn memory_bytes(&self) -> u64 {
        self.stats.bytes.load(std::sync::atomic::Ordering::Relaxed).max(0) as u64
    }

    /// The live entry for (name, type).
    pub fn get(&self, name: &Name, rtype: RType, now: u64) -> Option<Arc<CachedRRset>> {
        self.inner.get(&key(name, rtype)).filter(|e| e.expires > now)
    }

    /// Stores an RRset unless a live entry of higher rank is there (RFC 2181 §5.4.1).
    /// Returns true if stored.
    pub fn put(&self, mut rrset: RRset, rank: Rank, trust: Trust, now: u64) -> bool {
        let k = key(&rrset.owner, rrset.rtype);
        if let Some(old) = self.inner.get(&k) {
            let better_trust = old.trust == Trust::Unchecked && trust == Trust::Secure;
            if old.expires > now && old.rank > rank && !better_trust {
                return false;
            }
        }
        let ttl = if trust == Trust::Bogus { self.ttl.bogus.min(rrset.ttl) } else { self.ttl.positive(rrset.ttl) } as u64;
        rrset.shrink_to_fit();
        let entry = CachedRRset { rrset, rank, trust, stored: now, expires: now + ttl };
        self.stats.bytes.fetch_add(rrset_bytes(&k, &entry), std::sync::atomic::Ordering::Relaxed);
        self.inner.insert(k, Arc::new(entry));
        true
    }

    /// Forgets one RRset (data found bad, so it is fetched again next time).
    pub fn remove(&self, name: &Name, rtype: RType) {
        self.inner.invalidate(&key(name, rtype));
    }

    /// Removes everything at or below `name` (operator flush).
    pub fn flush_subtree(&self, name: &Name) {
        let apex = name.to_lowercase();
        let _ = self.inner.invalidate_entries_if(move |k, _| Name::from_wire(&k.0).is_ok_and(|n| n.is_subdomain_of(&apex)));
    }

    /// Removes everything.
    pub fn clear(&self) {
        self.inner.invalidate_all();
    }

    /// Number of entries (after applying pending inserts and evictions).
    pub fn len(&self) -> u64 {
        self.inner.run_pending_tasks();
        self.inner.entry_count()
    }

    /// True if empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What kind of answer a client got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerKind {
    /// Data (possibly after a CNAME chain).
    Positive,
    /// The (last) name does not exist.
    NxDomain,
    /// The name exists without data of that type.
    NoData,
    /// Resolution failed (SERVFAIL).
    Failure,
    /// A DNAME applies to the name but substituting it makes a name longer than 255
    /// octets (RFC 6672 §2.2): YXDOMAIN, with the DNAME as the answer.
    YxDomain,
}

/// A complete answer to one question.
#[derive(Debug, Clone)]
pub struct Answer {
    /// What it is.
    pub kind: AnswerKind,
    /// The rcode to send.
    pub rcode: u16,
    /// Answer section RRsets (with RRSIGs).
    pub answer: Vec<RRset>,
    /// Authority section RRsets (SOA, NSEC/NSEC3 proofs).
    pub authority: Vec<RRset>,
    /// Validation outcome.
    pub security: Security,
    /// Extended DNS Error to attach (RFC 8914).
    pub ede: Option<(u16, String)>,
    /// When stored.
    pub stored: u64,
    /// When it expires.
    pub expires: u64,
    /// For a stale answer (RFC 8767): when the data it was copied from may no longer be
    /// served stale. Zero for fresh answers.
    pub stale_until: u64,
}

impl Answer {
    /// True for a copy of expired data served under RFC 8767.
    pub fn is_stale(&self) -> bool {
        self.stale_until != 0
    }

    /// Whether it may be served stale once expired: data or a denial, not a failure, and
    /// not bogus (RFC 8767 §4 serves what was cached, not what failed).
    fn servable_stale(&self) -> bool {
        !matches!(self.kind, AnswerKind::Failure) && !self.security.is_bogus() && !matches!(self.security, Security::Indeterminate(_))
    }
}

/// Answers are kept past their expiry for [`StalePolicy::max`] when serving stale.
struct AnswerExpiry {
    stale_max: u64,
}

impl moka::Expiry<Key, Arc<Answer>> for AnswerExpiry {
    fn expire_after_create(&self, _k: &Key, a: &Arc<Answer>, _now: std::time::Instant) -> Option<Duration> {
        let fresh = a.expires.saturating_sub(a.stored).max(1);
        let keep = match (a.is_stale(), self.stale_max > 0 && a.servable_stale()) {
            (true, _) => a.stale_until.saturating_sub(a.stored).max(fresh),
            (false, true) => fresh + self.stale_max,
            (false, false) => fresh,
        };
        Some(Duration::from_secs(keep))
    }
}

/// Complete answers by (qname, qtype).
pub struct AnswerCache {
    inner: Cache<Key, Arc<Answer>>,
    stale_max: u64,
}

impl AnswerCache {
    /// A cache of at most `max` answers, keeping expired ones `stale_max` seconds more
    /// for serve-stale (zero: not kept).
    pub fn new(max: u64, stale_max: u32) -> AnswerCache {
        let stale_max = u64::from(stale_max);
        let inner = Cache::builder().max_capacity(max).expire_after(AnswerExpiry { stale_max }).support_invalidation_closures().build();
        AnswerCache { inner, stale_max }
    }

    /// The live answer.
    pub fn get(&self, name: &Name, rtype: RType, now: u64) -> Option<Arc<Answer>> {
        self.inner.get(&key(name, rtype)).filter(|a| a.expires > now)
    }

    /// An expired answer that may still be served stale at `now` (RFC 8767 §4): within
    /// the maximum stale time of its expiry (for a stale copy, of the original's).
    pub fn get_stale(&self, name: &Name, rtype: RType, now: u64) -> Option<Arc<Answer>> {
        if self.stale_max == 0 {
            return None;
        }
        let a = self.inner.get(&key(name, rtype))?;
        let until = if a.is_stale() { a.stale_until } else { a.expires + self.stale_max };
        (a.expires <= now && now < until && a.servable_stale()).then_some(a)
    }

    /// Stores an answer.
    pub fn put(&self, name: &Name, rtype: RType, a: Arc<Answer>) {
        if a.expires > a.stored {
            self.inner.insert(key(name, rtype), a);
        }
    }

    /// Removes everything at or below `name`.
    pub fn flush_subtree(&self, name: &Name) {
        let apex = name.to_lowercase();
        let _ = self.inner.invalidate_entries_if(move |k, _| Name::from_wire(&k.0).is_ok_and(|n| n.is_subdomain_of(&apex)));
    }

    /// Removes everything.
    pub fn clear(&self) {
        self.inner.invalidate_all();
    }

    /// Number of entries (after applying pending inserts and evictions).
    pub fn len(&self) -> u64 {
        self.inner.run_pending_tasks();
        self.inner.entry_count()
    }

    /// True if empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The DNSSEC state of a zone's keys.
#[derive(Debug, Clone)]
pub enum ZoneKeys {
    /// Validated DNSKEY RDATA.
    Secure(Vec<Box<[u8]>>),
    /// Provably unsigned (or unsupported algorithms, or an NTA).
    Insecure(crate::validator::InsecureReason),
    /// The chain is broken.
    Bogus(crate::validator::Bogus),
}

/// One cached key state.
#[derive(Debug, Clone)]
pub struct KeyEntry {
    /// The state.
    pub keys: ZoneKeys,
    /// When stored.
    pub stored: u64,
    /// When it expires.
    pub expires: u64,
}

impl Expires for Arc<KeyEntry> {
    fn lifetime(&self) -> u64 {
        self.expires.saturating_sub(self.stored).max(1)
    }
}

/// Zone key states by zone name.
pub struct KeyCache {
    inner: Cache<Box<[u8]>, Arc<KeyEntry>>,
}

impl KeyCache {
    /// A cache of at most `max` zones.
    pub fn new(max: u64) -> KeyCache {
        KeyCache { inner: Cache::builder().max_capacity(max).expire_after(ExpireAt).support_invalidation_closures().build() }
    }

    /// The live state of `zone`.
    pub fn get(&self, zone: &Name, now: u64) -> Option<Arc<KeyEntry>> {
        self.inner.get(&key(zone, RType::DNSKEY).0).filter(|e| e.expires > now)
    }

    /// Stores a state for `ttl` seconds.
    pub fn put(&self, zone: &Name, keys: ZoneKeys, now: u64, ttl: u32) {
        self.inner.insert(key(zone, RType::DNSKEY).0, Arc::new(KeyEntry { keys, stored: now, expires: now + ttl.max(1) as u64 }));
    }

    /// Removes everything at or below `name`.
    pub fn flush_subtree(&self, name: &Name) {
        let apex = name.to_lowercase();
        let _ = self.inner.invalidate_entries_if(move |k, _| Name::from_wire(k).is_ok_and(|n| n.is_subdomain_of(&apex)));
    }

    /// Removes everything.
    pub fn clear(&self) {
        self.inner.invalidate_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rr(ttl: u32) -> RRset {
        RRset::new("www.example.".parse().unwrap(), RType::A, ttl, vec![vec![192, 0, 2, 1].into()])
    }

    const POLICY: TtlPolicy = TtlPolicy { min: 0, max: 86400, max_negative: 3600, bogus: 60 };

    #[test]
    fn lower_rank_does_not_replace_higher() {
        let c = RRsetCache::new(1000, POLICY);
        assert!(c.put(rr(300), Rank::AnswerAuth, Trust::Unchecked, 1000));
        assert!(!c.put(rr(300), Rank::Additional, Trust::Unchecked, 1001), "glue must not overwrite an authoritative answer");
        assert_eq!(c.get(&"WWW.example.".parse().unwrap(), RType::A, 1002).unwrap().rank, Rank::AnswerAuth);
        assert!(c.put(rr(300), Rank::AnswerAuth, Trust::Secure, 1003));
    }

    #[test]
    fn entries_expire_by_the_injected_clock_and_age() {
        let c = RRsetCache::new(1000, POLICY);
        c.put(rr(300), Rank::AnswerAuth, Trust::Unchecked, 1000);
        let e = c.get(&"www.example.".parse().unwrap(), RType::A, 1100).unwrap();
        assert_eq!(e.aged(1100).unwrap().ttl, 200);
        assert!(c.get(&"www.example.".parse().unwrap(), RType::A, 1300).is_none());
    }

    #[test]
    fn ttl_caps_apply() {
        let c = RRsetCache::new(1000, TtlPolicy { min: 60, max: 100, max_negative: 10, bogus: 5 });
        c.put(rr(10), Rank::AnswerAuth, Trust::Unchecked, 0);
        assert_eq!(c.get(&"www.example.".parse().unwrap(), RType::A, 0).unwrap().expires, 60);
        c.put(rr(1000), Rank::AnswerAuth, Trust::Unchecked, 0);
        assert_eq!(c.get(&"www.example.".parse().unwrap(), RType::A, 0).unwrap().expires, 100);
        c.put(rr(1000), Rank::AnswerAuth, Trust::Bogus, 0);
        assert_eq!(c.get(&"www.example.".parse().unwrap(), RType::A, 0).unwrap().expires, 5);
    }
}
