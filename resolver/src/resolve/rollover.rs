//! RFC 5011 automated updates of DNSSEC trust anchors, run by the resolver: the I/O half
//! of [`tern_trust_anchors::rollover`], which is sans-I/O.
//!
//! Every trust point with managed anchors (the built-in IANA root anchors, BIND
//! `initial-key`/`initial-ds` entries, the files of `dnssec.managed_trust_anchor_files`)
//! has an RFC 5011 state in a [`RolloverState`], kept by a [`TrustMaintainer`]. Its probe
//! loop ([`TrustMaintainer::run`]) looks at the resolver's clock every [`PROBE_TICK`]
//! and, for each trust point whose probe is due (RFC 5011 §2.3, as scheduled by
//! [`ManagedZone::next_probe_at`] after a success and [`ManagedZone::retry_at`] after a
//! failure):
//! 1. fetches the trust point's DNSKEY RRset **fresh**, by iteration from the cached
//!    delegation, never from the answer or outcome caches
//!    ([`Resolver::fetch_dnskeys_fresh`]);
//! 2. authenticates it with a key the trust point trusts now (RFC 5011 §2.2, §2.4.1): a
//!    Valid or Missing key ([`validator::validate_dnskeys_with_anchor_keys`]) or a
//!    configured DS not yet matched to a key ([`validator::validate_dnskeys_with_ds`]),
//!    within the RRSIG validity window of the resolver's clock; and collects the keys with
//!    the REVOKE bit that sign the set themselves
//!    ([`validator::verify_revoked_self_signature`], RFC 5011 §2.1). A set signed only by
//!    the revoked form of a trusted key is authentic too: only the holder of that trusted
//!    private key could have made the signature, and it is the revocation itself;
//! 3. feeds the set to [`ManagedZone::observe`], applies the state to
//!    `Resolver::anchors` ([`RolloverState::apply_to`]) and, when the anchors of the trust
//!    point changed, forgets the cached key states at and below it, so the next validation
//!    starts from the new anchors;
//! 4. saves the state atomically ([`RolloverState::save`]: write, fsync, rename) as
//!    [`STATE_FILE`] in the data directory. A write that fails is logged and the state in
//!    memory, the last good one, stays in use; every later probe tries to save again.
//!
//! At start ([`TrustMaintainer::start`]) the state file is read if there is one, brought
//! in line with the configured anchors ([`RolloverState::sync_with`]: for a trust point in
//! both, the state wins) and applied to the resolver's anchors, so a restart in the middle
//! of a hold-down loses nothing.
//!
//! # Limitations
//! - Without a data directory the state lives in memory only: a restart begins again
//!   from the configured anchors (a warning says so at start).
//! - Trust points are probed one after the other, each bounded by the resolution timeout.
//! - The loop wakes every [`PROBE_TICK`]: a probe may start up to that much late.
//! - When a trusted key is revoked, everything cached at and below the trust point is
//!   dropped (for the root: the whole cache) and validated again as it is asked for.

use super::{ResolveError, Resolver};
use crate::rrset::RRset;
use crate::validator::{self, Budget, KeyOutcome};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tern_shared::dnssec::ds_matches;
use tern_shared::wire::record::{DnskeyView, RrsigView, DNSKEY_REVOKE};
use tern_shared::wire::{Name, RType};
use tern_trust_anchors::time::fmt_utc;
use tern_trust_anchors::{anchor_rows, fmt_table, ManagedZone, RolloverEvent, RolloverState, StateError, SyncReport, TrustAnchors};

/// Name of the RFC 5011 state file in the data directory.
pub const STATE_FILE: &str = "managed-keys.toml";
/// How often (real time) the probe loop checks whether a probe is due. RFC 5011 §2.3
/// intervals are an hour or more, so this only bounds how late a probe starts.
pub const PROBE_TICK: Duration = Duration::from_secs(1);

/// Why a probe did not yield an authenticated DNSKEY RRset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// Iteration failed.
    #[error("cannot fetch the DNSKEY RRset of {zone}: {error}")]
    Fetch {
        /// The trust point.
        zone: Name,
        /// Why.
        error: ResolveError,
    },
    /// The answer held no DNSKEY RRset at the trust point.
    #[error("the answer for {zone} DNSKEY holds no DNSKEY RRset")]
    NoDnskeys {
        /// The trust point.
        zone: Name,
    },
    /// No key trusted now signed the set (RFC 5011 §2.2).
    #[error("the DNSKEY RRset of {zone} is not signed by a trusted key: {reason}")]
    NotAuthenticated {
        /// The trust point.
        zone: Name,
        /// What validation said.
        reason: String,
    },
}

/// What one probe of one trust point did.
#[derive(Debug)]
pub struct ProbeReport {
    /// The trust point.
    pub zone: Name,
    /// The RFC 5011 events of the observation, or why there was none.
    pub result: Result<Vec<RolloverEvent>, ProbeError>,
    /// When the next probe is due (seconds since the epoch, resolver clock).
    pub next_probe: u64,
    /// True if the trust anchors of the trust point changed.
    pub anchors_changed: bool,
    /// The outcome of saving the state; `None` without a data directory.
    pub saved: Option<Result<(), StateError>>,
}

/// Keeps the RFC 5011 state of the managed trust points and probes them (see the module
/// documentation).
#[derive(Debug)]
pub struct TrustMaintainer {
    state: Mutex<RolloverState>,
    path: Option<PathBuf>,
}

impl TrustMaintainer {
    /// Loads the state from `data_dir` (if given and present), syncs it with the resolver's
    /// configured anchors, applies it to them and saves it. Fails only if a state file
    /// exists and cannot be read: starting over from the configured anchors would throw
    /// away a rollover in progress, so the operator decides (remove the file).
    pub fn start(resolver: &Resolver, data_dir: Option<&Path>) -> Result<(TrustMaintainer, SyncReport), StateError> {
        let now = resolver.now();
        let path = data_dir.map(|d| d.join(STATE_FILE));
        let mut state = match &path {
            Some(p) => RolloverState::load_if_exists(p)?.unwrap_or_default(),
            None => RolloverState::new(),
        };
        let report = {
            let mut anchors = resolver.anchors.write().unwrap_or_else(|p| p.into_inner());
            let report = state.sync_with(&anchors, now);
            state.apply_to(&mut anchors);
            report
        };
        if let Some(dir) = data_dir {
            if let Err(e) = std::fs::create_dir_all(dir) {
                tracing::warn!(dir = %dir.display(), error = %e, "cannot create the data directory");
            }
        }
        let m = TrustMaintainer { state: Mutex::new(state), path };
        if let Some(Err(e)) = m.save(&m.lock()) {
            tracing::error!(error = %e, "RFC 5011 state not saved; using it from memory");
        }
        Ok((m, report))
    }

    /// Where the state is saved, if anywhere.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// A copy of the state now.
    pub fn state(&self) -> RolloverState {
        self.lock().clone()
    }

    /// True if there is at least one trust point left to probe.
    pub fn has_work(&self) -> bool {
        self.lock().next_probe().is_some()
    }

    fn lock(&self) -> MutexGuard<'_, RolloverState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn save(&self, state: &RolloverState) -> Option<Result<(), StateError>> {
        self.path.as_deref().map(|p| state.save(p))
    }

    /// The listing for `GET /anchors`: [`listing`] of the resolver's anchors now.
    pub fn listing(&self, resolver: &Resolver) -> String {
        let state = self.lock();
        let anchors = resolver.anchors.read().unwrap_or_else(|p| p.into_inner());
        listing(&anchors, Some(&state), resolver.now())
    }

    /// The probe loop: forever, every [`PROBE_TICK`], probes the trust points that are due
    /// by the resolver's clock. Spawn it on the runtime.
    pub async fn run(self: Arc<Self>, resolver: Arc<Resolver>) {
        loop {
            self.probe_due(&resolver).await;
            tokio::time::sleep(PROBE_TICK).await;
        }
    }

    /// Probes every trust point due now, one after the other.
    pub async fn probe_due(&self, resolver: &Resolver) -> Vec<ProbeReport> {
        let now = resolver.now();
        let due: Vec<Name> = self.lock().zones().filter(|z| z.probe_due(now)).map(|z| z.owner().clone()).collect();
        let mut reports = Vec::with_capacity(due.len());
        for zone in due {
            if let Some(r) = self.probe(resolver, &zone).await {
                reports.push(r);
            }
        }
        reports
    }

    /// Probes one trust point now (steps 1-4 of the module documentation); `None` if
    /// there is no such trust point.
    pub async fn probe(&self, resolver: &Resolver, zone: &Name) -> Option<ProbeReport> {
        let mut tp = self.lock().zone(zone)?.clone();
        let fetched = resolver.fetch_dnskeys_fresh(zone).await;
        let now = resolver.now();
        let result = fetched.and_then(|set| {
            let revoked = authenticate(&tp, &set, now)?;
            let revoked_refs: Vec<&[u8]> = revoked.iter().map(|r| &r[..]).collect();
            let events = tp.observe(now, &set.rdata_refs(), &revoked_refs);
            let (ttl, expirations) = probe_timing(&set);
            tp.next_probe_at(now, ttl, &expirations);
            Ok(events)
        });
        if result.is_err() {
            tp.retry_at(now);
        }
        let next_probe = tp.next_probe().unwrap_or(now);
        let (anchors_changed, saved) = {
            let mut state = self.lock();
            state.insert(tp);
            let changed = {
                let mut anchors = resolver.anchors.write().unwrap_or_else(|p| p.into_inner());
                let before = anchors.zone(zone).map(<[_]>::to_vec);
                state.apply_to(&mut anchors);
                before.as_deref() != anchors.zone(zone)
            };
            (changed, self.save(&state))
        };
        let revoked = matches!(&result, Ok(events) if events.iter().any(|e| matches!(e, RolloverEvent::Transition { to: tern_trust_anchors::KeyState::Revoked, .. })));
        if revoked {
            // RFC 5011 §2.1: a revoked key must not be used any more, and its holder may
            // have revoked it because it leaked: nothing validated through it is kept.
            resolver.flush(zone);
        } else if anchors_changed {
            // Key states below the trust point were derived from the old anchors.
            if zone.is_root() {
                resolver.keys.clear();
            } else {
                resolver.keys.flush_subtree(zone);
            }
        }
        match &result {
            Ok(events) => {
                for e in events {
                    tracing::info!(%zone, event = %e, "RFC 5011 trust anchor update");
                }
                tracing::debug!(%zone, next_probe = %fmt_utc(next_probe), "RFC 5011 probe done");
            }
            Err(e) => tracing::warn!(%zone, error = %e, retry = %fmt_utc(next_probe), "RFC 5011 probe failed"),
        }
        if let Some(Err(e)) = &saved {
            tracing::error!(error = %e, "RFC 5011 state not saved; validation keeps using the last good state in memory");
        }
        Some(ProbeReport { zone: zone.clone(), result, next_probe, anchors_changed, saved })
    }
}

impl Resolver {
    /// The DNSKEY RRset of `zone`, asked now of its servers (RFC 5011 §2.3 probes): the
    /// answer and outcome caches are bypassed; the delegation and server addresses may
    /// come from the cache. Bounded by the per-question budget and deadline.
    pub async fn fetch_dnskeys_fresh(&self, zone: &Name) -> Result<RRset, ProbeError> {
        let mut ctx = self.new_ctx();
        let out = self.iterate(zone, RType::DNSKEY, &mut ctx).await.map_err(|error| ProbeError::Fetch { zone: zone.clone(), error })?;
        out.answer
            .into_iter()
            .find(|s| s.rtype == RType::DNSKEY && s.owner == *zone)
            .ok_or_else(|| ProbeError::NoDnskeys { zone: zone.clone() })
    }
}

/// True if DNSKEY RDATA has the REVOKE flag.
fn is_revoked(rdata: &[u8]) -> bool {
    DnskeyView::parse(rdata).is_some_and(|k| k.flags & DNSKEY_REVOKE != 0)
}

/// Is `revoked` (a key with the REVOKE bit) the revoked form of a key `tp` trusts now:
/// a Valid or Missing key, or one a pending configured DS names?
fn revokes_trusted(tp: &ManagedZone, revoked: &[u8]) -> bool {
    if tp.key_state(revoked).is_trusted() {
        return true;
    }
    let mut plain = revoked.to_vec();
    if let Some(flags_low) = plain.get_mut(1) {
        *flags_low &= !(DNSKEY_REVOKE as u8);
    }
    tp.initial_ds().iter().any(|d| ds_matches(tp.owner(), &d.rdata, &plain))
}

/// Step 2 of the module documentation: is `set` signed by a key `tp` trusts now (or by
/// the revoked form of one)? Returns the revoked keys of the set that sign it themselves.
fn authenticate(tp: &ManagedZone, set: &RRset, now: u64) -> Result<Vec<Box<[u8]>>, ProbeError> {
    let zone = tp.owner();
    let rdatas = set.rdata_refs();
    let sigs = set.sig_refs();
    // RFC 4034 §3.1.5: signature times are 32-bit serial numbers.
    let now32 = now as u32;
    let mut budget = Budget::new();
    let revoked: Vec<Box<[u8]>> = rdatas
        .iter()
        .copied()
        .filter(|r| is_revoked(r))
        .filter(|r| validator::verify_revoked_self_signature(zone, &rdatas, &sigs, r, now32, &mut budget).is_ok())
        .map(Box::from)
        .collect();
    let mut reasons = Vec::new();
    let trusted = tp.trusted_keys();
    if !trusted.is_empty() {
        match validator::validate_dnskeys_with_anchor_keys(zone, &rdatas, &sigs, &trusted, now32, &mut budget) {
            KeyOutcome::Secure { .. } => return Ok(revoked),
            other => reasons.push(other.security().to_string()),
        }
    }
    let ds: Vec<&[u8]> = tp.initial_ds().iter().map(|d| &d.rdata[..]).collect();
    if !ds.is_empty() {
        match validator::validate_dnskeys_with_ds(zone, &rdatas, &sigs, &ds, now32, &mut budget) {
            KeyOutcome::Secure { .. } => return Ok(revoked),
            other => reasons.push(other.security().to_string()),
        }
    }
    if revoked.iter().any(|r| revokes_trusted(tp, r)) {
        return Ok(revoked);
    }
    if reasons.is_empty() {
        reasons.push("no key is trusted".into());
    }
    Err(ProbeError::NotAuthenticated { zone: zone.clone(), reason: reasons.join("; ") })
}

/// The original TTL of the DNSKEY RRset (from its RRSIGs, else as received) and the
/// expirations of its RRSIGs: the inputs of RFC 5011 §2.3's query interval.
fn probe_timing(set: &RRset) -> (u32, Vec<u32>) {
    let sigs: Vec<RrsigView<'_>> = set.sigs.iter().filter_map(|s| RrsigView::parse(s)).filter(|v| v.covered == RType::DNSKEY).collect();
    let ttl = sigs.iter().map(|v| v.original_ttl).max().unwrap_or(set.ttl);
    (ttl, sigs.iter().map(|v| v.expiration).collect())
}

/// The text of `tern-resolver anchors` and `GET /anchors`: every anchor with its type, key
/// tag, algorithm, state and source ([`anchor_rows`], [`fmt_table`]), then one line per
/// managed trust point with its last successful and next probe.
pub fn listing(anchors: &TrustAnchors, state: Option<&RolloverState>, now: u64) -> String {
    let mut out = fmt_table(&anchor_rows(anchors, state), now);
    for z in state.into_iter().flat_map(RolloverState::zones) {
        let last = z.last_success().map_or_else(|| "never".to_string(), fmt_utc);
        if z.is_deleted() {
            out.push_str(&format!("trust point {}: deleted, every anchor revoked (RFC 5011 §5); last probe {last}\n", z.owner()));
            continue;
        }
        let next = match z.next_probe() {
            Some(at) if at > now => fmt_utc(at),
            _ => "due".to_string(),
        };
        out.push_str(&format!("trust point {}: managed (RFC 5011), last probe {last}, next probe {next}\n", z.owner()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::{TtlPolicy, ZoneKeys};
    use crate::iterator::hints::Hint;
    use crate::resolve::{Clock, Settings};
    use crate::upstream::{Exchange, Transport, TransportError};
    use crate::validator::testutil::TestKey;
    use std::net::SocketAddr;
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    use tern_shared::dnssec::sign_rrset;
    use tern_shared::wire::query::QueryView;
    use tern_shared::wire::writer::{MessageWriter, Section};
    use tern_shared::wire::{flags, Class, Header};
    use tern_trust_anchors::{Anchor, AnchorSource, KeyState, NtaSet, ADD_HOLD_DOWN};

    const HOUR: u64 = 3600;
    const DAY: u64 = 86_400;
    /// Simulated start: 2026-01-01.
    const T0: u64 = 1_767_225_600;
    /// DNSKEY TTL served: RFC 5011 §2.3 gives MAX(1h, MIN(15d, TTL/2, ...)) = 1h.
    const DNSKEY_TTL: u32 = 7200;

    struct FakeClock(AtomicU64);

    impl FakeClock {
        fn advance(&self, secs: u64) {
            self.0.fetch_add(secs * 1000, Ordering::Relaxed);
        }
    }

    impl Clock for FakeClock {
        fn now_ms(&self) -> u64 {
            self.0.load(Ordering::Relaxed)
        }
    }

    /// The root's DNSKEY RRset as served now: keys, and the keys that sign it (index of
    /// the private key, DNSKEY RDATA as published, REVOKE bit included).
    #[derive(Default)]
    struct Published {
        keys: Vec<Vec<u8>>,
        signers: Vec<(usize, Vec<u8>)>,
    }

    /// A root server that answers `. DNSKEY` with the published set, signed with a validity
    /// window around the fake clock, and counts the queries.
    struct ScriptedRoot {
        keys: Vec<TestKey>,
        published: Mutex<Published>,
        clock: Arc<FakeClock>,
        queries: AtomicUsize,
        down: std::sync::atomic::AtomicBool,
    }

    impl ScriptedRoot {
        fn publish(&self, keys: Vec<Vec<u8>>, signers: Vec<(usize, Vec<u8>)>) {
            *self.published.lock().unwrap() = Published { keys, signers };
        }

        fn answer(&self, query: &[u8]) -> Result<Vec<u8>, TransportError> {
            let q = QueryView::parse(query).map_err(|e| TransportError::Malformed(format!("{e:?}")))?;
            let mut buf = Vec::new();
            let mut w = MessageWriter::new(&mut buf, 65535, Header { id: q.header.id, flags: flags::QR | flags::AA, ..Default::default() });
            w.question(q.qname, q.qtype, Class::IN).map_err(|_| TransportError::Malformed("full".into()))?;
            if q.qtype == RType::DNSKEY && q.qname == Name::root().wire() {
                let p = self.published.lock().unwrap();
                let refs: Vec<&[u8]> = p.keys.iter().map(Vec::as_slice).collect();
                let now = (self.clock.now()) as u32;
                for k in &p.keys {
                    w.record_raw(Section::Answer, Name::root().wire(), RType::DNSKEY, Class::IN, DNSKEY_TTL, k).unwrap();
                }
                for (i, rdata) in &p.signers {
                    let root = Name::root();
                    let (inception, expiration) = (now - 3600, now + 20 * DAY as u32);
                    let sig = sign_rrset(
                        &self.keys[*i].key,
                        rdata,
                        &root,
                        &root,
                        Class::IN,
                        RType::DNSKEY,
                        DNSKEY_TTL,
                        &refs,
                        inception,
                        expiration,
                    )
                    .unwrap();
                    w.record_raw(Section::Answer, Name::root().wire(), RType::RRSIG, Class::IN, DNSKEY_TTL, &sig).unwrap();
                }
            }
            w.finish();
            Ok(buf)
        }
    }

    struct RootTransport(Arc<ScriptedRoot>);

    impl Transport for RootTransport {
        fn exchange(&self, _server: SocketAddr, query: Vec<u8>, _tcp: bool, _timeout: Duration) -> Exchange {
            let root = self.0.clone();
            Box::pin(async move {
                root.queries.fetch_add(1, Ordering::Relaxed);
                if root.down.load(Ordering::Relaxed) {
                    return Err(TransportError::Timeout);
                }
                root.answer(&query)
            })
        }
    }

    struct Lab {
        root: Arc<ScriptedRoot>,
        clock: Arc<FakeClock>,
        resolver: Resolver,
    }

    /// Key 0: KSK-A (the managed anchor), 1: KSK-B, 2: the ZSK.
    fn lab() -> Lab {
        let clock = Arc::new(FakeClock(AtomicU64::new(T0 * 1000)));
        let keys = vec![TestKey::new(13, 257), TestKey::new(13, 257), TestKey::new(13, 256)];
        let root = Arc::new(ScriptedRoot {
            keys,
            published: Mutex::new(Published::default()),
            clock: clock.clone(),
            queries: AtomicUsize::new(0),
            down: Default::default(),
        });
        root.publish(vec![root.keys[0].rdata.clone(), root.keys[2].rdata.clone()], vec![(0, root.keys[0].rdata.clone())]);
        let mut anchors = TrustAnchors::new();
        anchors.add(Anchor::dnskey(Name::root(), &root.keys[0].rdata, true, AnchorSource::BuiltIn).unwrap());
        let settings = Settings {
            validate: true,
            aggressive_nsec: true,
            qname_minimisation: true,
            harden_glue: true,
            minimal_responses: true,
            upstream_ipv6: true,
            query_timeout: Duration::from_millis(200),
            resolution_timeout: Duration::from_secs(2),
            do_not_query: Vec::new(),
            forward_zones: Vec::new(),
            upstream_port: 53,
            ttl: TtlPolicy { min: 0, max: 86_400, max_negative: 3600, bogus: 60 },
            udp_payload: 1232,
            serve_stale: None,
            prefetch: false,
        };
        let hints = vec![Hint { name: "ns.root.".parse().unwrap(), addrs: vec!["192.0.2.1".parse().unwrap()] }];
        let resolver = Resolver::new(
            settings,
            1000,
            hints,
            anchors,
            NtaSet::new(),
            Arc::new(RootTransport(root.clone())),
            clock.clone() as Arc<dyn Clock>,
        );
        Lab { root, clock, resolver }
    }

    impl Lab {
        fn key(&self, i: usize) -> Vec<u8> {
            self.root.keys[i].rdata.clone()
        }

        fn revoked(&self, i: usize) -> Vec<u8> {
            let mut r = self.key(i);
            r[1] |= DNSKEY_REVOKE as u8;
            r
        }

        fn trusted(&self) -> Vec<Vec<u8>> {
            let a = self.resolver.anchors.read().unwrap();
            a.zone(&Name::root()).unwrap_or_default().iter().map(|x| x.kind.rdata().to_vec()).collect()
        }
    }

    fn temp_dir(tag: &str) -> PathBuf {
        static N: AtomicUsize = AtomicUsize::new(0);
        let d = std::env::temp_dir().join(format!("tern-rollover-{tag}-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[tokio::test]
    async fn probes_run_at_rfc5011_intervals_of_the_injected_clock() {
        let lab = lab();
        let (m, report) = TrustMaintainer::start(&lab.resolver, None).unwrap();
        assert_eq!(report.added, vec![Name::root()]);
        // Never probed: due at once.
        let r = m.probe_due(&lab.resolver).await;
        assert_eq!(r.len(), 1);
        assert!(r[0].result.is_ok(), "{:?}", r[0].result);
        assert_eq!(r[0].next_probe, T0 + HOUR, "TTL 7200: MAX(1h, MIN(15d, 1h, 10d)) = 1h");
        assert!(r[0].saved.is_none(), "no data directory, nothing saved");
        let sent = lab.root.queries.load(Ordering::Relaxed);
        assert!(sent >= 1);
        // Not due a second early, whatever the real time does.
        lab.clock.advance(HOUR - 1);
        assert!(m.probe_due(&lab.resolver).await.is_empty());
        assert_eq!(lab.root.queries.load(Ordering::Relaxed), sent, "no query before the probe is due");
        lab.clock.advance(1);
        let r = m.probe_due(&lab.resolver).await;
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].next_probe, T0 + 2 * HOUR);
        // Fresh every time: the answer cache and outcome cache are not used.
        assert!(lab.root.queries.load(Ordering::Relaxed) > sent);
        // A failed probe is retried per §2.3: MAX(1h, MIN(1d, TTL/10, exp/10)) = 1h.
        lab.root.down.store(true, Ordering::Relaxed);
        lab.clock.advance(HOUR);
        let r = m.probe_due(&lab.resolver).await;
        assert!(matches!(r[0].result, Err(ProbeError::Fetch { .. })), "{:?}", r[0].result);
        assert_eq!(r[0].next_probe, T0 + 3 * HOUR);
        assert_eq!(lab.trusted(), vec![lab.key(0)], "a failed probe changes no anchor");
    }

    #[tokio::test]
    async fn new_key_is_trusted_after_the_hold_down_and_the_revoked_one_is_dropped() {
        let lab = lab();
        let (m, _) = TrustMaintainer::start(&lab.resolver, None).unwrap();
        m.probe_due(&lab.resolver).await;
        // Publish B, signed by A and B.
        lab.root.publish(vec![lab.key(0), lab.key(1), lab.key(2)], vec![(0, lab.key(0)), (1, lab.key(1))]);
        lab.clock.advance(HOUR);
        m.probe_due(&lab.resolver).await;
        assert_eq!(m.state().zone(&Name::root()).unwrap().key_state(&lab.key(1)), KeyState::AddPend);
        // Stale key state in the cache, to see it go when the anchors change.
        lab.resolver.keys.put(&Name::root(), ZoneKeys::Secure(vec![lab.key(0).into()]), lab.clock.now(), 86_400);
        let mut hours = 1;
        while hours * HOUR < ADD_HOLD_DOWN {
            lab.clock.advance(HOUR);
            hours += 1;
            let r = m.probe_due(&lab.resolver).await;
            assert_eq!(r.len(), 1, "one probe per hour of simulated time");
            assert_eq!(lab.trusted(), vec![lab.key(0)], "B not trusted before 30 days ({hours} h)");
            assert!(!r[0].anchors_changed);
        }
        lab.clock.advance(HOUR);
        let r = m.probe_due(&lab.resolver).await;
        assert!(r[0].anchors_changed);
        assert_eq!(lab.trusted(), vec![lab.key(0), lab.key(1)]);
        assert!(lab.resolver.keys.get(&Name::root(), lab.clock.now()).is_none(), "key cache flushed");
        // Revoke A: the set is signed by revoked A and by B.
        lab.root.publish(vec![lab.revoked(0), lab.key(1), lab.key(2)], vec![(0, lab.revoked(0)), (1, lab.key(1))]);
        lab.clock.advance(HOUR);
        let cached: Name = "cached.example.".parse().unwrap();
        let mut answer = crate::resolve::failure(lab.clock.now(), (0, String::new()));
        answer.expires += 86_400;
        lab.resolver.answers.put(&cached, RType::A, Arc::new(answer));
        assert!(lab.resolver.answers.get(&cached, RType::A, lab.clock.now()).is_some());
        let r = m.probe_due(&lab.resolver).await;
        let events = r[0].result.as_ref().unwrap();
        assert!(events.iter().any(|e| matches!(e, RolloverEvent::Transition { to: KeyState::Revoked, .. })), "{events:?}");
        assert_eq!(lab.trusted(), vec![lab.key(1)]);
        assert!(lab.resolver.answers.get(&cached, RType::A, lab.clock.now()).is_none(), "answers cached before the revocation are dropped");
    }

    #[tokio::test]
    async fn a_set_signed_only_by_an_untrusted_key_is_not_observed() {
        let lab = lab();
        let (m, _) = TrustMaintainer::start(&lab.resolver, None).unwrap();
        m.probe_due(&lab.resolver).await;
        // B appears and signs alone; A is gone: nothing trusted signed the set.
        lab.root.publish(vec![lab.key(1), lab.key(2)], vec![(1, lab.key(1))]);
        lab.clock.advance(HOUR);
        let r = m.probe_due(&lab.resolver).await;
        assert!(matches!(r[0].result, Err(ProbeError::NotAuthenticated { .. })), "{:?}", r[0].result);
        let z = m.state();
        let z = z.zone(&Name::root()).unwrap();
        assert_eq!(z.key_state(&lab.key(1)), KeyState::Start, "not even pending");
        assert_eq!(z.key_state(&lab.key(0)), KeyState::Valid, "not made Missing by an unauthenticated set");
    }

    #[tokio::test]
    async fn state_survives_a_restart_and_a_failed_write_keeps_the_last_good_state() {
        let dir = temp_dir("restart");
        let lab = lab();
        let (m, _) = TrustMaintainer::start(&lab.resolver, Some(&dir)).unwrap();
        assert!(dir.join(STATE_FILE).exists(), "saved at start");
        m.probe_due(&lab.resolver).await;
        lab.root.publish(vec![lab.key(0), lab.key(1), lab.key(2)], vec![(0, lab.key(0)), (1, lab.key(1))]);
        lab.clock.advance(HOUR);
        let r = m.probe_due(&lab.resolver).await;
        assert!(matches!(r[0].saved, Some(Ok(()))));
        let saved = std::fs::read_to_string(dir.join(STATE_FILE)).unwrap();
        assert!(saved.contains("add-pending"), "{saved}");

        // Restart 10 days later: the pending key keeps its first sighting.
        lab.clock.advance(10 * DAY);
        let again = Resolver::new(
            lab.resolver.settings.clone(),
            1000,
            vec![Hint { name: "ns.root.".parse().unwrap(), addrs: vec!["192.0.2.1".parse().unwrap()] }],
            {
                let mut a = TrustAnchors::new();
                a.add(Anchor::dnskey(Name::root(), &lab.key(0), true, AnchorSource::BuiltIn).unwrap());
                a
            },
            NtaSet::new(),
            Arc::new(RootTransport(lab.root.clone())),
            lab.clock.clone() as Arc<dyn Clock>,
        );
        let (m2, report) = TrustMaintainer::start(&again, Some(&dir)).unwrap();
        assert_eq!(report.kept, vec![Name::root()]);
        let tp = m2.state();
        let key = tp.zone(&Name::root()).unwrap().keys().iter().find(|k| k.rdata() == lab.key(1).as_slice()).unwrap().clone();
        assert_eq!((key.state(), key.since()), (KeyState::AddPend, T0 + HOUR));

        // The data directory turns into something that cannot hold the file: the probe
        // still updates memory and the anchors, reports the failure and keeps going.
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::write(&dir, b"not a directory").unwrap();
        lab.clock.advance(ADD_HOLD_DOWN);
        let r = m2.probe_due(&again).await;
        assert!(matches!(r[0].saved, Some(Err(StateError::Write { .. }))), "{:?}", r[0].saved);
        assert!(r[0].anchors_changed);
        let trusted: Vec<Vec<u8>> =
            again.anchors.read().unwrap().zone(&Name::root()).unwrap().iter().map(|a| a.kind.rdata().to_vec()).collect();
        assert_eq!(trusted, vec![lab.key(0), lab.key(1)], "B trusted from memory");
        assert_eq!(m2.state().zone(&Name::root()).unwrap().key_state(&lab.key(1)), KeyState::Valid);
        // Later probes keep working (and keep trying to save).
        lab.clock.advance(HOUR);
        let r = m2.probe_due(&again).await;
        assert!(r[0].result.is_ok() && matches!(r[0].saved, Some(Err(_))));
        let _ = std::fs::remove_file(&dir);
    }

    #[tokio::test]
    async fn a_corrupt_state_file_stops_start_up_with_its_name() {
        let dir = temp_dir("corrupt");
        std::fs::write(dir.join(STATE_FILE), "version = 1\n[[zone]]\nname = 7\n").unwrap();
        let lab = lab();
        let e = TrustMaintainer::start(&lab.resolver, Some(&dir)).unwrap_err();
        assert!(e.to_string().contains(STATE_FILE), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn listing_shows_states_tags_and_probe_times() {
        let lab = lab();
        let (m, _) = TrustMaintainer::start(&lab.resolver, None).unwrap();
        let before = m.listing(&lab.resolver);
        assert!(before.contains("next probe due"), "{before}");
        m.probe_due(&lab.resolver).await;
        lab.root.publish(vec![lab.key(0), lab.key(1), lab.key(2)], vec![(0, lab.key(0)), (1, lab.key(1))]);
        lab.clock.advance(HOUR);
        m.probe_due(&lab.resolver).await;
        let text = m.listing(&lab.resolver);
        let tag_b = tern_shared::dnssec::key_tag(&lab.key(1)).to_string();
        let row_b = text.lines().find(|l| l.split_whitespace().nth(2) == Some(tag_b.as_str())).unwrap_or_else(|| panic!("{text}"));
        assert!(row_b.contains("add-pending") && row_b.contains("rfc5011"), "{text}");
        assert!(text.contains("trust point .: managed (RFC 5011), last probe "), "{text}");
    }
}
