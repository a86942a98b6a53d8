//! The resolution driver: for one client question, find the data (cache, forwarder or
//! iteration from the root), follow CNAME/DNAME chains, validate the result, cache it,
//! and hand back a complete [`Answer`]. Identical questions in flight are joined
//! (one resolution, many waiters).
//!
//! The driver owns all I/O and the clock, both injected ([`Transport`], [`Clock`]), so
//! scripted upstreams and a fake clock can drive it in tests. Iterator and validator
//! are sans-I/O; the driver asks them what to do and fetches what they need.
//!
//! Every question has a work budget ([`Ctx`]): upstream queries, referral steps,
//! glueless-NS depth (NXNS, CVE-2020-12662), chain length and a deadline; running out
//! fails that question only, with SERVFAIL.
//!
//! [`rollover`] keeps RFC 5011 managed trust anchors current with fresh DNSKEY probes
//! through the same iteration. Answers made insecure by a negative trust anchor (RFC 7646)
//! are cached no longer than the NTA lasts.

mod aggressive;
mod iterate;
pub mod rollover;
mod validate;
pub use validate::anchor_unusable;

use crate::cache::packet::PacketCache;
use crate::cache::servers::Servers;
use crate::cache::{Answer, AnswerCache, AnswerKind, KeyCache, RRsetCache, TtlPolicy};
use crate::config::{Config, ForwardZone};
use crate::iterator::hints::Hint;
use crate::rrset::RRset;
use crate::upstream::Transport;
use crate::validator::{Budget, Security};
use ipnet::IpNet;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tern_shared::wire::{ede, rcode, Name, RType};
use tern_trust_anchors::{NtaSet, TrustAnchors};
use tokio::sync::watch;

/// RFC 1034 §3.6.2 / Unbound `max-query-restarts`-like bound on CNAME/DNAME chains.
pub const MAX_CHAIN: usize = 12;
/// Upstream queries one client question may cause (Unbound's `MAX_SENT_COUNT` is 32
/// per fetch; this counts the whole question including DS/DNSKEY fetches).
pub const MAX_QUERIES_PER_QUESTION: u32 = 150;
/// Referrals followed for one name.
pub const MAX_REFERRALS: usize = 30;
/// Nesting of lookups started to find NS addresses or keys (NXNS, CVE-2020-12662).
pub const MAX_DEPTH: u8 = 6;
/// NS names without glue resolved per delegation (NXNS mitigation, as Unbound's
/// `target-fetch-policy` bounds it).
pub const MAX_GLUELESS_PER_DELEGATION: usize = 4;

/// Time source, injected so tests can fake it.
pub trait Clock: Send + Sync {
    /// Milliseconds since the epoch.
    fn now_ms(&self) -> u64;
    /// Seconds since the epoch.
    fn now(&self) -> u64 {
        self.now_ms() / 1000
    }
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
    }
}

/// How often [`OffsetFileClock`] reads its file again, at most (milliseconds).
pub const OFFSET_CLOCK_REREAD_MS: u64 = 100;

/// **For tests only** (`--test-clock-file`): the system clock plus an offset in seconds
/// read from a file, so whole-binary tests can move the resolver's time forward (RFC 5011
/// hold-downs, signature windows, cache and NTA expiry) without waiting. The file holds
/// one integer (negative allowed); it is read again at most every
/// [`OFFSET_CLOCK_REREAD_MS`]. A missing or unreadable file keeps the last offset read
/// (0 at first).
#[derive(Debug)]
pub struct OffsetFileClock {
    path: std::path::PathBuf,
    offset_ms: std::sync::atomic::AtomicI64,
    read_at_ms: std::sync::atomic::AtomicU64,
}

impl OffsetFileClock {
    /// A clock reading its offset from `path`.
    pub fn new(path: impl Into<std::path::PathBuf>) -> OffsetFileClock {
        let c = OffsetFileClock {
            path: path.into(),
            offset_ms: std::sync::atomic::AtomicI64::new(0),
            read_at_ms: std::sync::atomic::AtomicU64::new(0),
        };
        c.reread();
        c
    }

    /// The offset now in force, in seconds.
    pub fn offset_secs(&self) -> i64 {
        self.offset_ms.load(std::sync::atomic::Ordering::Relaxed) / 1000
    }

    fn reread(&self) {
        let parsed = std::fs::read_to_string(&self.path).ok().and_then(|t| t.trim().parse::<i64>().ok());
        if let Some(secs) = parsed {
            self.offset_ms.store(secs.saturating_mul(1000), std::sync::atomic::Ordering::Relaxed);
        }
    }
}

impl Clock for OffsetFileClock {
    fn now_ms(&self) -> u64 {
        use std::sync::atomic::Ordering::Relaxed;
        let sys = SystemClock.now_ms();
        let last = self.read_at_ms.load(Relaxed);
        // One caller re-reads the file when it is due; the others use the last offset.
        if sys.saturating_sub(last) >= OFFSET_CLOCK_REREAD_MS && self.read_at_ms.compare_exchange(last, sys, Relaxed, Relaxed).is_ok() {
            self.reread();
        }
        sys.saturating_add_signed(self.offset_ms.load(Relaxed))
    }
}

/// Settings the driver needs from the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Validate answers.
    pub validate: bool,
    /// Synthesise NXDOMAIN/NODATA from validated NSEC records in cache (RFC 8198).
    pub aggressive_nsec: bool,
    /// QNAME minimisation.
    pub qname_minimisation: bool,
    /// Only in-zone glue (RFC 2181 §5.4.1); off: out-of-zone glue reaches the delegated
    /// zone too, never cached.
    pub harden_glue: bool,
    /// Minimal responses; off: the zone's NS RRset beside the SOA in negative answers.
    pub minimal_responses: bool,
    /// Query authoritative servers over IPv6 too (forward targets are always used).
    pub upstream_ipv6: bool,
    /// Upstream query timeout (upper bound; SRTT lowers it).
    pub query_timeout: Duration,
    /// Per-question deadline.
    pub resolution_timeout: Duration,
    /// Upstream addresses never queried.
    pub do_not_query: Vec<IpNet>,
    /// Forward zones (DNSSEC mode resolved: never `Auto` here).
    pub forward_zones: Vec<ForwardZone>,
    /// Port of authoritative servers found by iteration.
    pub upstream_port: u16,
    /// TTL policy.
    pub ttl: TtlPolicy,
    /// Our EDNS payload size upstream.
    pub udp_payload: u16,
    /// Serve-stale (RFC 8767), when on.
    pub serve_stale: Option<crate::cache::StalePolicy>,
    /// Refresh answers asked for in the last tenth of their TTL, in the background.
    pub prefetch: bool,
}

impl Settings {
    /// Decides the DNSSEC mode of forward zones left on `Auto`: validate when a trust
    /// anchor is configured at or below the zone's name, insecure otherwise (logged
    /// once), so an internal zone the public root denies is answered, not SERVFAILed.
    pub fn settle_forward_modes(&mut self, anchors: &TrustAnchors) {
        for f in &mut self.forward_zones {
            if f.dnssec == crate::config::ForwardDnssec::Auto {
                if anchors.zones().any(|z| z.is_subdomain_of(&f.name)) {
                    f.dnssec = crate::config::ForwardDnssec::Validate;
                } else {
                    f.dnssec = crate::config::ForwardDnssec::Insecure;
                    tracing::warn!(zone = %f.name, "forward zone has no trust anchor at or below it: its answers are not validated (insecure); give it the DS from `tern-auth zone ds` to validate");
                }
            }
        }
    }

    /// From the validated config.
    pub fn from_config(c: &Config) -> Settings {
        Settings {
            validate: c.validate,
            aggressive_nsec: c.aggressive_nsec,
            qname_minimisation: c.qname_minimisation,
            harden_glue: c.harden_glue,
            minimal_responses: c.minimal_responses,
            upstream_ipv6: c.upstream_ipv6,
            query_timeout: c.query_timeout,
            resolution_timeout: c.resolution_timeout,
            do_not_query: c.do_not_query.clone(),
            forward_zones: c.forward_zones.clone(),
            upstream_port: c.upstream_port,
            ttl: TtlPolicy { min: c.min_ttl, max: c.max_ttl, max_negative: c.max_negative_ttl, bogus: c.bogus_ttl },
            udp_payload: c.udp_payload,
            serve_stale: c.serve_stale,
            prefetch: c.prefetch,
        }
    }
}

/// Counters the driver keeps (read by metrics).
#[derive(Debug, Default)]
pub struct Counters {
    /// Upstream queries sent.
    pub upstream_queries: std::sync::atomic::AtomicU64,
    /// Upstream timeouts.
    pub upstream_timeouts: std::sync::atomic::AtomicU64,
    /// Questions that ran out of budget.
    pub budget_exhausted: std::sync::atomic::AtomicU64,
    /// Validation budget (KeyTrap / NSEC3) exhausted.
    pub validation_budget_exhausted: std::sync::atomic::AtomicU64,
    /// Bogus answers that validated when asked again of other servers.
    pub bogus_retried_ok: std::sync::atomic::AtomicU64,
    /// Negative answers synthesised from cached NSEC records (RFC 8198).
    pub nsec_synthesised: std::sync::atomic::AtomicU64,
    /// Stale answers served (RFC 8767): after a failed resolution, or while one is slow.
    pub stale_served: std::sync::atomic::AtomicU64,
    /// Answers refreshed before they expired (prefetch).
    pub prefetches: std::sync::atomic::AtomicU64,
}

/// The resolver: caches, trust anchors and the means to ask upstream.
pub struct Resolver {
    /// Settings.
    pub settings: Settings,
    /// RRset cache (delegations, glue, keys, data).
    pub rrsets: RRsetCache,
    /// Outcomes of single-name lookups (unvalidated), positive and negative.
    outcomes: moka::sync::Cache<crate::cache::Key, Arc<Outcome>>,
    /// Proofs that a child has no DS, taken from its parent's referral (RFC 4035
    /// §3.1.4.1), for the validator only (unvalidated until it checks them).
    ds_denials: moka::sync::Cache<crate::cache::Key, Arc<Outcome>>,
    /// Parent-side glue addresses of NS names, kept apart from the child's own
    /// (higher-ranked) address records: tried when the child-side addresses fail, as
    /// Unbound's parent-side fallback does. Value: addresses and expiry (seconds).
    parent_glue: moka::sync::Cache<crate::cache::Key, Arc<(Vec<std::net::IpAddr>, u64)>>,
    /// Validated client answers.
    pub answers: AnswerCache,
    /// Zone key states.
    pub keys: KeyCache,
    /// Upstream server stats.
    pub servers: Servers,
    /// Response images for the hit path.
    pub packets: PacketCache,
    /// Validated NSEC records by zone, for RFC 8198 synthesis.
    pub nsecs: crate::cache::nsec::NsecCache,
    /// Trust anchors.
    pub anchors: RwLock<TrustAnchors>,
    /// Forward zones in use (configured, and learned from tern-auth); modes settled.
    pub forwards: RwLock<Vec<ForwardZone>>,
    /// The configured part of [`Resolver::forwards`] (replaced on reload).
    configured_forwards: RwLock<Vec<ForwardZone>>,
    /// The part learned from tern-auth (configured names win).
    learned_forwards: RwLock<Vec<ForwardZone>>,
    /// Negative trust anchors.
    pub ntas: RwLock<NtaSet>,
    /// Counters.
    pub counters: Counters,
    /// Set once the root has been reached (and its keys validated, when validating).
    pub ready: std::sync::atomic::AtomicBool,
    transport: Arc<dyn Transport>,
    clock: Arc<dyn Clock>,
    hints: Vec<Hint>,
    inflight: Mutex<HashMap<QuestionKey, Pending>>,
}

/// A resolution in flight: its answer arrives here once, when it ends. Everyone asking
/// the same question meanwhile (clients, a prefetch) waits on the same one.
type Pending = watch::Receiver<Option<Arc<Answer>>>;

/// A question as the caches key it (see [`crate::cache::key`]).
type QuestionKey = (Box<[u8]>, u16);

/// Takes a finished (or panicked) resolution's entry out of the in-flight map.
struct InflightEntry {
    resolver: Arc<Resolver>,
    key: QuestionKey,
    rx: Pending,
}

impl Drop for InflightEntry {
    fn drop(&mut self) {
        let mut m = self.resolver.inflight.lock().unwrap_or_else(|p| p.into_inner());
        if m.get(&self.key).is_some_and(|r| r.same_channel(&self.rx)) {
            m.remove(&self.key);
        }
    }
}

/// The answer of a resolution in flight, when it ends.
async fn wait(mut pending: Pending) -> Arc<Answer> {
    // An error means the resolution's task ended without an answer (it panicked).
    let answer = pending.wait_for(Option::is_some).await.ok().and_then(|a| a.clone());
    answer.unwrap_or_else(|| Arc::new(failure(0, (ede::OTHER, "internal error".into()))))
}

/// The result of resolving one name (no chain following across responses), before
/// validation.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Answer RRsets: the chain from the name asked, as far as this response went.
    pub answer: Vec<RRset>,
    /// Authority RRsets (SOA, NSEC/NSEC3).
    pub authority: Vec<RRset>,
    /// NXDOMAIN (for the chain's last name) / NODATA / positive.
    pub kind: AnswerKind,
    /// When stored (for TTL aging).
    pub stored: u64,
    /// When it expires.
    pub expires: u64,
}

impl crate::cache::Expires for Arc<Outcome> {
    fn lifetime(&self) -> u64 {
        self.expires.saturating_sub(self.stored).max(1)
    }
}

/// Why resolution failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// No server of the zone answered usefully.
    #[error("no reachable authority for {0}")]
    NoReachableAuthority(Name),
    /// The work budget for the question ran out.
    #[error("resolution budget exhausted")]
    Budget,
    /// A CNAME/DNAME chain was too long.
    #[error("CNAME chain too long")]
    ChainTooLong,
    /// A CNAME/DNAME chain came back to a name already on it; carries the chain as far
    /// as it went, loop included, which the SERVFAIL shows the client (RFC 1034 §3.6.2:
    /// loops are signalled as an error; the records say where it loops).
    #[error("CNAME/DNAME loop")]
    Loop(Vec<RRset>),
    /// Referrals looped or went too deep.
    #[error("referral loop or too many referrals at {0}")]
    Referrals(Name),
    /// The deadline passed.
    #[error("resolution timed out")]
    Timeout,
}

impl ResolveError {
    /// The EDE to attach to the SERVFAIL (RFC 8914 §4).
    pub fn ede(&self) -> (u16, String) {
        match self {
            ResolveError::NoReachableAuthority(_) => (ede::NO_REACHABLE_AUTHORITY, self.to_string()),
            ResolveError::Timeout => (ede::NO_REACHABLE_AUTHORITY, self.to_string()),
            _ => (ede::OTHER, self.to_string()),
        }
    }
}

/// Per-question working state and budget.
pub struct Ctx {
    /// Upstream queries still allowed.
    pub queries_left: u32,
    /// Deadline (ms since the epoch).
    pub deadline_ms: u64,
    /// Current nesting depth.
    pub depth: u8,
    /// A second attempt after a validation failure: cached outcomes, key states and
    /// referral DS/denials are not trusted, and the servers in `avoid` are asked last.
    pub retry: bool,
    /// Servers that answered during the first attempt (asked last on the retry).
    pub avoid: Vec<std::net::IpAddr>,
    /// Servers that answered so far.
    pub used: Vec<std::net::IpAddr>,
    /// Validation budget (KeyTrap / NSEC3 limits).
    pub budget: Budget,
}

impl Resolver {
    /// Builds a resolver.
    pub fn new(
        settings: Settings,
        cache_max: u64,
        hints: Vec<Hint>,
        anchors: TrustAnchors,
        ntas: NtaSet,
        transport: Arc<dyn Transport>,
        clock: Arc<dyn Clock>,
    ) -> Resolver {
        Resolver {
            rrsets: RRsetCache::new(cache_max, settings.ttl),
            outcomes: moka::sync::Cache::builder()
                .max_capacity(cache_max)
                .expire_after(OutcomeExpiry)
                .support_invalidation_closures()
                .build(),
            ds_denials: moka::sync::Cache::builder()
                .max_capacity(cache_max / 8 + 100)
                .expire_after(OutcomeExpiry)
                .support_invalidation_closures()
                .build(),
            parent_glue: moka::sync::Cache::builder()
                .max_capacity(cache_max / 8 + 100)
                .time_to_live(Duration::from_secs(86_400))
                .support_invalidation_closures()
                .build(),
            answers: AnswerCache::new(cache_max / 2 + 1, settings.serve_stale.map_or(0, |s| s.max)),
            keys: KeyCache::new(cache_max / 8 + 100),
            servers: Servers::new(),
            packets: PacketCache::new((cache_max / 2) as usize + 64),
            nsecs: crate::cache::nsec::NsecCache::new((cache_max / 4) as usize),
            anchors: RwLock::new(anchors),
            forwards: RwLock::new(settings.forward_zones.clone()),
            configured_forwards: RwLock::new(settings.forward_zones.clone()),
            learned_forwards: RwLock::new(Vec::new()),
            ntas: RwLock::new(ntas),
            counters: Counters::default(),
            ready: std::sync::atomic::AtomicBool::new(false),
            settings,
            transport,
            clock,
            hints,
            inflight: Mutex::new(HashMap::new()),
        }
    }

    /// True if `name` is under a forward zone answered without validation.
    pub fn insecure_forward(&self, name: &Name) -> bool {
        let forwards = self.forwards.read().unwrap_or_else(|p| p.into_inner());
        forwards
            .iter()
            .filter(|f| name.is_subdomain_of(&f.name))
            .max_by_key(|f| f.name.label_count())
            .is_some_and(|f| f.dnssec == crate::config::ForwardDnssec::Insecure)
    }

    /// Replaces the configured forward zones (on reload; modes settled by the caller).
    pub fn set_configured_forwards(&self, list: Vec<ForwardZone>) {
        *self.configured_forwards.write().unwrap_or_else(|p| p.into_inner()) = list;
        self.recompute_forwards();
    }

    /// Replaces the forward zones learned from tern-auth.
    pub fn set_learned_forwards(&self, list: Vec<ForwardZone>) {
        *self.learned_forwards.write().unwrap_or_else(|p| p.into_inner()) = list;
        self.recompute_forwards();
    }

    /// True if `name` is a configured forward zone (learned ones never replace it).
    pub fn is_configured_forward(&self, name: &Name) -> bool {
        self.configured_forwards.read().unwrap_or_else(|p| p.into_inner()).iter().any(|f| f.name == *name)
    }

    fn recompute_forwards(&self) {
        let mut all = self.configured_forwards.read().unwrap_or_else(|p| p.into_inner()).clone();
        for f in self.learned_forwards.read().unwrap_or_else(|p| p.into_inner()).iter() {
            if !all.iter().any(|c| c.name == f.name) {
                all.push(f.clone());
            }
        }
        self.set_forwards(all);
    }

    /// Replaces the forward zones in use (modes settled by the caller) and forgets what
    /// was cached under the zones that changed.
    fn set_forwards(&self, list: Vec<ForwardZone>) {
        let changed: Vec<Name> = {
            let mut cur = self.forwards.write().unwrap_or_else(|p| p.into_inner());
            let mut changed: Vec<Name> = cur.iter().filter(|f| !list.contains(f)).map(|f| f.name.clone()).collect();
            changed.extend(list.iter().filter(|f| !cur.contains(f)).map(|f| f.name.clone()));
            *cur = list;
            changed
        };
        for n in changed {
            self.flush(&n);
        }
    }

    /// The injected clock's "now" in seconds.
    pub fn now(&self) -> u64 {
        self.clock.now()
    }

    /// The injected clock's "now" in milliseconds.
    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    fn new_ctx(&self) -> Ctx {
        Ctx {
            queries_left: MAX_QUERIES_PER_QUESTION,
            deadline_ms: self.now_ms() + self.settings.resolution_timeout.as_millis() as u64,
            depth: 0,
            budget: Budget::new(),
            retry: false,
            avoid: Vec::new(),
            used: Vec::new(),
        }
    }

    /// Answers one client question: from the answer cache, by joining an identical
    /// resolution in flight, or by resolving it now.
    pub async fn resolve(self: &Arc<Self>, qname: &Name, qtype: RType) -> Arc<Answer> {
        let now = self.now();
        if let Some(a) = self.answers.get(qname, qtype, now) {
            if self.settings.prefetch && crate::cache::prefetch_due(a.stored, a.expires, now) {
                self.prefetch(qname, qtype);
            }
            return a;
        }
        let (pending, _) = self.pending(qname, qtype);
        // RFC 8767 §5 client response timer: with stale data at hand, a client waits only
        // so long for the fresh answer; the resolution goes on and refreshes the cache,
        // and clients asking meanwhile join it rather than start another.
        let stale = self
            .settings
            .serve_stale
            .filter(|p| !p.client_timeout.is_zero())
            .and_then(|p| self.answers.get_stale(qname, qtype, now).map(|a| (p, a)));
        match stale {
            Some((p, old)) => match tokio::time::timeout(p.client_timeout, wait(pending)).await {
                Ok(a) => a,
                Err(_) => self.stale_copy(&old, p, now),
            },
            None => wait(pending).await,
        }
    }

    /// The resolution of `qname`/`qtype` in flight, started now (on its own task, so a
    /// client that goes away or stops waiting does not cancel it) when there is none;
    /// `true` when this call started it.
    fn pending(self: &Arc<Self>, qname: &Name, qtype: RType) -> (Pending, bool) {
        let key = crate::cache::key(qname, qtype);
        let mut m = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(rx) = m.get(&key) {
            return (rx.clone(), false);
        }
        let (tx, rx) = watch::channel(None);
        m.insert(key.clone(), rx.clone());
        drop(m);
        let entry = InflightEntry { resolver: self.clone(), key, rx: rx.clone() };
        // Upstream queries carry the name lowercased, whatever case the client used: the
        // case is not data (RFC 4343 §3), and the client's spelling must neither leak to
        // authorities nor decide which spelling gets cached.
        let q = qname.to_lowercase();
        tokio::spawn(async move {
            let a = entry.resolver.resolve_uncached(&q, qtype).await;
            // The entry goes before the answer is sent: a waiter that goes on to ask
            // again must not find this finished resolution and be handed its answer (the
            // answer is in the cache by now). A panic above drops the sender and the
            // entry, and the waiters see a failure.
            drop(entry);
            let _ = tx.send(Some(a));
        });
        (rx, true)
    }

    async fn resolve_uncached(&self, qname: &Name, qtype: RType) -> Arc<Answer> {
        let mut ctx = self.new_ctx();
        let now = self.now();
        if self.settings.validate && self.settings.aggressive_nsec {
            if let Some(a) = self.answer_from_nsec_cache(qname, qtype, now) {
                self.answers.put(qname, qtype, a.clone());
                return a;
            }
        }
        if self.settings.validate {
            if let Some(b) = self.unusable_anchor(qname) {
                let mut a = failure(now, (b.ede_code(), b.to_string()));
                a.security = Security::Bogus(b);
                a.expires = now + u64::from(self.settings.ttl.bogus);
                let a = Arc::new(a);
                self.answers.put(qname, qtype, a.clone());
                return a;
            }
        }
        let chain = match self.chase(qname, qtype, &mut ctx).await {
            Ok(c) => c,
            Err(e) => {
                if e == ResolveError::Budget {
                    self.counters.budget_exhausted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                tracing::debug!(%qname, %qtype, error = %e, "resolution failed");
                if let Some(p) = self.settings.serve_stale {
                    if let Some(old) = self.answers.get_stale(qname, qtype, now) {
                        // RFC 8767 §4: the authorities failed; what was cached is better
                        // than nothing. Stored, so the question is not retried upstream
                        // before the stale TTL runs out (§5 failure recheck timer).
                        let a = self.stale_copy(&old, p, now);
                        self.answers.put(qname, qtype, a.clone());
                        return a;
                    }
                }
                let mut a = failure(now, e.ede());
                if let ResolveError::Loop(records) = e {
                    a.answer = records;
                }
                let a = Arc::new(a);
                // A failed refresh (prefetch) leaves the live answer it meant to replace.
                if self.answers.get(qname, qtype, now).is_some() {
                    return a;
                }
                // Remember failures briefly (RFC 9520 §3), so a dead zone is not hammered.
                let mut cached = (*a).clone();
                cached.expires = now + 5;
                self.answers.put(qname, qtype, Arc::new(cached));
                return a;
            }
        };
        let mut chain = chain;
        let mut security = if self.settings.validate {
            self.validate_chain(&chain, qname, qtype, &mut ctx).await
        } else {
            Security::Insecure(crate::validator::InsecureReason::NoTrustAnchor)
        };
        if security.is_bogus() && !ctx.used.is_empty() {
            // One server's bad data (an expired or broken signature, a stale key set)
            // should not fail a zone that other servers serve correctly: ask again once,
            // trusting nothing cached from the first attempt and asking the servers that
            // answered it last (as Unbound does with its server blacklist).
            let mut again = self.new_ctx();
            again.retry = true;
            again.avoid = std::mem::take(&mut ctx.used);
            if let Ok(c) = self.chase(qname, qtype, &mut again).await {
                let s = self.validate_chain(&c, qname, qtype, &mut again).await;
                if !s.is_bogus() {
                    self.counters.bogus_retried_ok.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    chain = c;
                    security = s;
                }
            }
        }
        if let Security::Indeterminate(_) = security {
            self.counters.validation_budget_exhausted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        // The configured floor and caps apply to the answer as to every cached RRset.
        let mut ttl = match chain.kind {
            AnswerKind::Positive | AnswerKind::YxDomain => self.settings.ttl.positive(chain_ttl(&chain)),
            _ => self.settings.ttl.negative(chain_ttl(&chain)),
        };
        if let Some(at) = self.nta_expiry(&chain, qname, now) {
            // RFC 7646 §2: an answer left unvalidated by an NTA must not outlive the NTA.
            ttl = ttl.min(u32::try_from(at.saturating_sub(now)).unwrap_or(u32::MAX));
        }
        let (ttl, ede) = match &security {
            Security::Bogus(b) => (ttl.min(self.settings.ttl.bogus), Some((b.ede_code(), b.to_string()))),
            Security::Indeterminate(_) => {
                (ttl.min(self.settings.ttl.bogus), Some((ede::DNSSEC_INDETERMINATE, "validation budget exhausted".to_string())))
            }
            Security::Insecure(r) => (ttl, r.ede_code().map(|c| (c, r.to_string()))),
            Security::Secure => (ttl, None),
        };
        let rc = match chain.kind {
            AnswerKind::NxDomain => rcode::NXDOMAIN,
            AnswerKind::YxDomain => rcode::YXDOMAIN,
            _ => rcode::NOERROR,
        };
        // A positive answer's authority section carries only what proves it: the
        // NSEC/NSEC3 showing no closer match for a wildcard expansion (RFC 4035
        // §3.1.3.3). A SOA or NS the upstream added is not passed on.
        let authority = match chain.kind {
            AnswerKind::Positive if chain.answer.iter().any(wildcard_expanded) => {
                chain.authority.into_iter().filter(|s| matches!(s.rtype, RType::NSEC | RType::NSEC3)).collect()
            }
            AnswerKind::Positive | AnswerKind::YxDomain => Vec::new(),
            _ => chain.authority,
        };
        if security.is_secure() && chain.answer.is_empty() && matches!(chain.kind, AnswerKind::NxDomain | AnswerKind::NoData) {
            self.remember_nsec_denial(&authority, now);
        }
        if security.is_secure() && self.settings.aggressive_nsec && chain.answer.len() > 1 {
            // The members of a validated chain, so a chain reached again through another
            // name (a wildcard CNAME synthesised from the cache, RFC 8198 §5.3) continues
            // from the cache too. Single-RRset answers stay in the answer cache only.
            for set in chain.answer.iter().filter(|s| !s.sigs.is_empty() && !wildcard_expanded(s)) {
                self.rrsets.put(set.clone(), crate::cache::Rank::AnswerAuth, crate::cache::Trust::Secure, now);
            }
        }
        let a = Arc::new(Answer {
            kind: chain.kind,
            rcode: rc,
            answer: RRset::compact(chain.answer),
            authority: RRset::compact(authority),
            security,
            ede,
            stored: now,
            expires: now + ttl as u64,
            stale_until: 0,
        });
        self.answers.put(qname, qtype, a.clone());
        a
    }

    /// Questions being resolved right now (client resolutions and prefetches).
    pub fn inflight_len(&self) -> usize {
        self.inflight.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Refreshes the answer to `qname`/`qtype` in the background before it expires,
    /// unless a resolution of it is already under way; the fresh answer replaces the
    /// cached one. Needs a Tokio runtime (does nothing outside one).
    pub fn prefetch(self: &Arc<Self>, qname: &Name, qtype: RType) {
        if tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        if let (_, true) = self.pending(qname, qtype) {
            self.counters.prefetches.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// `old`, expired, served stale (RFC 8767 §4): its records with the stale TTL and the
    /// Extended DNS Error "Stale Answer" (RFC 8914 §4.4).
    fn stale_copy(&self, old: &Answer, p: crate::cache::StalePolicy, now: u64) -> Arc<Answer> {
        self.counters.stale_served.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let until = if old.is_stale() { old.stale_until } else { old.expires + u64::from(p.max) };
        Arc::new(Answer {
            ede: Some((ede::STALE_ANSWER, "stale answer: the authorities did not answer".into())),
            stored: now,
            expires: now + u64::from(p.answer_ttl),
            stale_until: until,
            ..old.clone()
        })
    }

    /// The earliest expiry of the negative trust anchors (RFC 7646) covering the question
    /// or any name of its chain, if one does.
    fn nta_expiry(&self, chain: &Chain, qname: &Name, now: u64) -> Option<u64> {
        let ntas = self.ntas.read().unwrap_or_else(|p| p.into_inner());
        if ntas.is_empty() {
            return None;
        }
        let names = [qname, &chain.last].into_iter().chain(chain.answer.iter().chain(&chain.authority).map(|s| &s.owner));
        names.filter_map(|n| ntas.covering(n, now).map(|(_, at)| at)).min()
    }

    /// Priming (RFC 9609): asks for the root DNSKEY RRset until it comes back (validated
    /// as secure when validating), then marks the resolver ready. Bounded per attempt by
    /// the resolution timeout; retried every few seconds until it succeeds.
    pub async fn prime(self: &Arc<Self>) {
        loop {
            let a = self.resolve(&Name::root(), RType::DNSKEY).await;
            let ok = a.kind == AnswerKind::Positive
                && (!self.settings.validate || a.security.is_secure() || self.insecure_forward(&Name::root()));
            if ok {
                self.ready.store(true, std::sync::atomic::Ordering::Relaxed);
                tracing::info!("root primed: ready");
                return;
            }
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    }

    /// Forgets everything at or below `name` (operator flush), or everything for the root.
    pub fn flush(&self, name: &Name) {
        if name.is_root() {
            self.rrsets.clear();
            self.outcomes.invalidate_all();
            self.ds_denials.invalidate_all();
            self.parent_glue.invalidate_all();
            self.nsecs.flush_subtree(&Name::root());
            self.answers.clear();
            self.keys.clear();
        } else {
            self.rrsets.flush_subtree(name);
            let apex = name.to_lowercase();
            let under = apex.clone();
            let _ = self.outcomes.invalidate_entries_if(move |k, _| Name::from_wire(&k.0).is_ok_and(|n| n.is_subdomain_of(&under)));
            let under_glue = apex.clone();
            let _ = self.parent_glue.invalidate_entries_if(move |k, _| Name::from_wire(&k.0).is_ok_and(|n| n.is_subdomain_of(&under_glue)));
            let _ = self.ds_denials.invalidate_entries_if(move |k, _| Name::from_wire(&k.0).is_ok_and(|n| n.is_subdomain_of(&apex)));
            self.answers.flush_subtree(name);
            self.nsecs.flush_subtree(name);
            self.keys.flush_subtree(name);
        }
        self.packets.clear();
    }
}

struct OutcomeExpiry;

impl moka::Expiry<crate::cache::Key, Arc<Outcome>> for OutcomeExpiry {
    fn expire_after_create(&self, _k: &crate::cache::Key, v: &Arc<Outcome>, _now: std::time::Instant) -> Option<Duration> {
        Some(Duration::from_secs(crate::cache::Expires::lifetime(v)))
    }
}

/// A SERVFAIL answer.
pub fn failure(now: u64, ede: (u16, String)) -> Answer {
    Answer {
        kind: AnswerKind::Failure,
        rcode: rcode::SERVFAIL,
        answer: Vec::new(),
        authority: Vec::new(),
        security: Security::Insecure(crate::validator::InsecureReason::NoTrustAnchor),
        ede: Some(ede),
        stored: now,
        expires: now,
        stale_until: 0,
    }
}

/// A resolved chain: every RRset from the question to the final data or denial.
#[derive(Debug, Clone)]
pub struct Chain {
    /// Answer RRsets in chain order.
    pub answer: Vec<RRset>,
    /// Authority RRsets of the final step (SOA/proofs) and wildcard proofs.
    pub authority: Vec<RRset>,
    /// The final kind.
    pub kind: AnswerKind,
    /// The last name of the chain.
    pub last: Name,
}

/// The TTL a chain may be cached for: the lowest TTL in it (RFC 2308 §5 for the SOA of
/// negative answers: min(SOA TTL, SOA minimum)).
fn chain_ttl(c: &Chain) -> u32 {
    let mut ttl = c.answer.iter().map(|s| s.ttl).min().unwrap_or(u32::MAX);
    if !matches!(c.kind, AnswerKind::Positive | AnswerKind::YxDomain) {
        let soa = c.authority.iter().find(|s| s.rtype == RType::SOA);
        let neg = soa.map(|s| s.ttl.min(tern_shared::wire::record::soa_minimum(&s.rdatas[0]).unwrap_or(0))).unwrap_or(0);
        ttl = ttl.min(neg);
    }
    if ttl == u32::MAX {
        0
    } else {
        ttl
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_file_clock_adds_the_file_offset_and_rereads_it() {
        let path = std::env::temp_dir().join(format!("tern-clock-{}", std::process::id()));
        std::fs::write(&path, "86400\n").unwrap();
        let c = OffsetFileClock::new(&path);
        let sys = SystemClock.now();
        assert!((sys + 86_400..=sys + 86_401).contains(&c.now()), "{} vs {sys}", c.now());
        std::fs::write(&path, "-60").unwrap();
        std::thread::sleep(Duration::from_millis(OFFSET_CLOCK_REREAD_MS + 50));
        let _ = c.now_ms();
        assert_eq!(c.offset_secs(), -60);
        // Garbage or a missing file keeps the last offset.
        std::fs::write(&path, "soon").unwrap();
        std::thread::sleep(Duration::from_millis(OFFSET_CLOCK_REREAD_MS + 50));
        let _ = c.now_ms();
        assert_eq!(c.offset_secs(), -60);
        std::fs::remove_file(&path).unwrap();
        std::thread::sleep(Duration::from_millis(OFFSET_CLOCK_REREAD_MS + 50));
        let _ = c.now_ms();
        assert_eq!(c.offset_secs(), -60);
    }
}

/// True if an RRSIG over `set` says it was synthesised from a wildcard: its labels
/// field is smaller than the owner's label count (RFC 4035 §5.3.4).
fn wildcard_expanded(set: &RRset) -> bool {
    let owner_labels = tern_shared::dnssec::rrsig_labels(&set.owner);
    set.sigs.iter().filter_map(|s| tern_shared::wire::record::RrsigView::parse(s)).any(|v| v.labels < owner_labels)
}
