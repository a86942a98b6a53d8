//! Driving the validator (RFC 4035 §5): builds the chain of trust from the closest
//! trust anchor down to each zone that signed part of an answer, fetching DS and DNSKEY
//! RRsets through the same lookup machinery (DS from the parent side), and caches each
//! zone's key state. Then checks every RRset of the answer and the denial proofs.
//!
//! Unsigned data is checked against the chain too: walking from the anchor down to the
//! owner name finds either a proven insecure delegation above it (insecure) or a signed
//! zone that should have signed it (bogus, RRSIGs missing).

use super::{Chain, Ctx, Resolver};
use crate::cache::{AnswerKind, Trust, ZoneKeys};
use crate::rrset::RRset;
use crate::validator::{self, Bogus, BogusReason, DsAbsence, InsecureReason, KeyOutcome, Proof, RrRef, Security, SigFailure};
use std::future::Future;
use std::pin::Pin;
use tern_shared::wire::record::RrsigView;
use tern_shared::wire::{Class, Name, RType};

type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Lifetime of a cached insecure or bogus key state when nothing better is known.
const KEY_STATE_TTL: u32 = 3600;

impl Resolver {
    /// Validates a whole chain: every answer RRset and the final denial, combined.
    pub(super) async fn validate_chain(&self, chain: &Chain, qname: &Name, qtype: RType, ctx: &mut Ctx) -> Security {
        let mut sec = Security::Secure;
        let mut validated_dnames: Vec<&RRset> = Vec::new();
        for set in &chain.answer {
            if set.rtype == RType::RRSIG {
                // Answers to an RRSIG query: returned as data, never with AD.
                sec = sec.combine(Security::Insecure(InsecureReason::RrsigRecords));
                continue;
            }
            // A CNAME synthesized from a validated DNAME needs no signature (RFC 6672 §5.3.1).
            if set.rtype == RType::CNAME && set.sigs.is_empty() {
                if synthesized_by(set, &validated_dnames) {
                    continue;
                }
                // Below a validated DNAME nothing exists but what it synthesises (RFC 6672
                // §2.3): another unsigned CNAME there is forged, with no walk needed.
                if validated_dnames.iter().any(|d| set.owner.is_subdomain_of(&d.owner) && set.owner != d.owner) {
                    return Security::Bogus(Bogus::new(BogusReason::RrsigsMissing).at(&set.owner, set.rtype));
                }
            }
            let s = self.validate_rrset(set, chain, ctx).await;
            if set.rtype == RType::DNAME && s.is_secure() {
                validated_dnames.push(set);
            }
            sec = sec.combine(s);
            if sec.is_bogus() {
                return sec;
            }
        }
        match chain.kind {
            AnswerKind::NxDomain | AnswerKind::NoData => {
                let s = self.validate_denial(&chain.last, qtype, chain, ctx).await;
                sec = sec.combine(s);
            }
            _ => {}
        }
        let _ = qname;
        sec
    }

    /// One RRset: find its signer's keys via the chain of trust, verify, and for a
    /// wildcard expansion demand the no-closer-match proof (RFC 4035 §5.3.4).
    async fn validate_rrset(&self, set: &RRset, chain: &Chain, ctx: &mut Ctx) -> Security {
        if set.sigs.is_empty() {
            // Unsigned: fine only below a proven insecure delegation. A DS RRset belongs
            // to the parent side of the cut (RFC 4035 §2.4), so the parent's state decides.
            let owner_side = if set.rtype == RType::DS { set.owner.parent().unwrap_or_else(Name::root) } else { set.owner.clone() };
            return match self.keys_for_name(&owner_side, ctx).await {
                ZoneKeys::Insecure(r) => Security::Insecure(r),
                ZoneKeys::Bogus(b) => Security::Bogus(b),
                ZoneKeys::Secure(_) => Security::Bogus(Bogus::new(BogusReason::RrsigsMissing).at(&set.owner, set.rtype)),
            };
        }
        // The signer is the zone holding the RRset (RFC 4035 §5.3.1): for a DS, a zone
        // strictly above its owner (the parent side of the cut).
        let signer = set
            .sigs
            .iter()
            .filter_map(|s| RrsigView::parse(s))
            .map(|v| v.signer_name())
            .find(|z| set.owner.is_subdomain_of(z) && !(set.rtype == RType::DS && *z == set.owner));
        let Some(zone) = signer else {
            return Security::Bogus(Bogus::new(BogusReason::RrsigsMissing).at(&set.owner, set.rtype));
        };
        let keys = match self.zone_keys(&zone, ctx).await {
            ZoneKeys::Secure(k) => k,
            ZoneKeys::Insecure(r) => return Security::Insecure(r),
            ZoneKeys::Bogus(b) => return Security::Bogus(b),
        };
        let key_refs: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
        let now = self.now() as u32;
        match validator::verify_rrset(
            &set.owner,
            Class::IN,
            set.rtype,
            &set.rdata_refs(),
            &set.sig_refs(),
            &zone,
            &key_refs,
            now,
            &mut ctx.budget,
        ) {
            Ok(v) => {
                self.mark_trust(set, Trust::Secure);
                if set.rtype == RType::DNAME && v.wildcard.is_none() {
                    // Kept, validated, so later names below it are redirected from the
                    // cache (RFC 6672 §3.4) rather than asked of the zone again.
                    self.rrsets.put(set.clone(), crate::cache::Rank::AnswerAuth, Trust::Secure, now as u64);
                }
                match &v.wildcard {
                    None => Security::Secure,
                    Some(w) => {
                        // The proof records must themselves verify in the same zone.
                        let proofs = self.verified_denial_records(&zone, &key_refs, chain, ctx);
                        let refs: Vec<RrRef<'_>> = proofs.iter().map(|(o, r)| RrRef::new(o, r)).collect();
                        let proof = if proofs_are_nsec3(chain) {
                            validator::nsec3::prove_wildcard_answer(&set.owner, w, &zone, &refs, &mut ctx.budget)
                        } else {
                            validator::nsec::prove_wildcard_answer(&set.owner, w, &zone, &refs)
                        };
                        if matches!(proof, Proof::Proven) && self.settings.aggressive_nsec {
                            // RFC 8198 §5.3: keep the wildcard (as its own owner, `*.ce`)
                            // and the records that proved it, so other names it covers
                            // are answered from the cache.
                            let mut source = set.clone();
                            source.owner = w.source.clone();
                            self.rrsets.put(source, crate::cache::Rank::AnswerAuth, Trust::Secure, now as u64);
                            let proof_sets: Vec<RRset> = chain
                                .authority
                                .iter()
                                .filter(|s| matches!(s.rtype, RType::NSEC | RType::NSEC3) && proofs.iter().any(|(o, _)| *o == s.owner))
                                .cloned()
                                .collect();
                            self.nsecs.add_proofs(&zone, &proof_sets, now as u64, self.settings.ttl.max_negative);
                        }
                        proof.security()
                    }
                }
            }
            Err(SigFailure::Unsupported) => Security::Insecure(InsecureReason::UnsupportedAlgorithm),
            Err(e) => {
                self.mark_trust(set, Trust::Bogus);
                e.security()
            }
        }
    }

    fn mark_trust(&self, set: &RRset, trust: Trust) {
        if let Some(e) = self.rrsets.get(&set.owner, set.rtype, self.now()) {
            if e.trust != trust && e.rrset.rdatas == set.rdatas {
                self.rrsets.put(set.clone(), e.rank, trust, self.now());
            }
        }
    }

    /// The NSEC/NSEC3 records of the chain's authority section that verify with `keys`
    /// of `zone`, as (owner, RDATA) pairs.
    fn verified_denial_records(&self, zone: &Name, keys: &[&[u8]], chain: &Chain, ctx: &mut Ctx) -> Vec<(Name, Box<[u8]>)> {
        let now = self.now() as u32;
        let mut out = Vec::new();
        for s in chain.authority.iter().filter(|s| matches!(s.rtype, RType::NSEC | RType::NSEC3) && s.owner.is_subdomain_of(zone)) {
            if validator::verify_rrset(&s.owner, Class::IN, s.rtype, &s.rdata_refs(), &s.sig_refs(), zone, keys, now, &mut ctx.budget)
                .is_ok()
            {
                for rd in &s.rdatas {
                    out.push((s.owner.clone(), rd.clone()));
                }
            }
        }
        out
    }

    /// NXDOMAIN / NODATA for `name`: the SOA and the NSEC/NSEC3 proof must verify in
    /// the zone that answered, and prove the denial (RFC 4035 §5.4, RFC 5155 §8).
    async fn validate_denial(&self, name: &Name, qtype: RType, chain: &Chain, ctx: &mut Ctx) -> Security {
        let soa = chain.authority.iter().find(|s| s.rtype == RType::SOA && name.is_subdomain_of(&s.owner));
        let signer = soa
            .into_iter()
            .chain(chain.authority.iter().filter(|s| matches!(s.rtype, RType::NSEC | RType::NSEC3)))
            .flat_map(|s| s.sigs.iter())
            .filter_map(|s| RrsigView::parse(s))
            .map(|v| v.signer_name())
            .find(|z| name.is_subdomain_of(z));
        let Some(zone) = signer else {
            // No signatures at all: insecure if the name is below an unsigned delegation
            // (for a DS, the parent side of the cut decides, RFC 4035 §2.4).
            let name_side = if qtype == RType::DS { name.parent().unwrap_or_else(Name::root) } else { name.clone() };
            return match self.keys_for_name(&name_side, ctx).await {
                ZoneKeys::Insecure(r) => Security::Insecure(r),
                ZoneKeys::Bogus(b) => Security::Bogus(b),
                ZoneKeys::Secure(_) => Security::Bogus(Bogus::new(BogusReason::RrsigsMissing).at(name, qtype)),
            };
        };
        let keys = match self.zone_keys(&zone, ctx).await {
            ZoneKeys::Secure(k) => k,
            ZoneKeys::Insecure(r) => return Security::Insecure(r),
            ZoneKeys::Bogus(b) => return Security::Bogus(b),
        };
        let key_refs: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
        let now = self.now() as u32;
        if let Some(soa) = soa {
            if let Err(e) = validator::verify_rrset(
                &soa.owner,
                Class::IN,
                RType::SOA,
                &soa.rdata_refs(),
                &soa.sig_refs(),
                &zone,
                &key_refs,
                now,
                &mut ctx.budget,
            ) {
                return e.security();
            }
        }
        let recs = self.verified_denial_records(&zone, &key_refs, chain, ctx);
        let refs: Vec<RrRef<'_>> = recs.iter().map(|(o, r)| RrRef::new(o, r)).collect();
        let nsec3 = proofs_are_nsec3(chain);
        let proof: Proof = match (chain.kind, nsec3) {
            (AnswerKind::NxDomain, false) => validator::nsec::prove_nxdomain(name, &zone, &refs),
            (AnswerKind::NxDomain, true) => validator::nsec3::prove_nxdomain(name, &zone, &refs, &mut ctx.budget),
            (_, false) => validator::nsec::prove_nodata_response(name, qtype, &zone, &refs),
            (_, true) => validator::nsec3::prove_nodata_response(name, qtype, &zone, &refs, &mut ctx.budget),
        };
        if qtype == RType::DS && chain.kind == AnswerKind::NoData {
            // A DS denial: the same records decide the DS answer's own security.
            let abs = if nsec3 {
                validator::nsec3::prove_no_ds(name, &zone, &refs, &mut ctx.budget)
            } else {
                validator::nsec::prove_no_ds(name, &zone, &refs)
            };
            return abs.security();
        }
        proof.security()
    }

    /// The key state of the zone whose apex is `zone`.
    pub(super) fn zone_keys<'a>(&'a self, zone: &'a Name, ctx: &'a mut Ctx) -> BoxFut<'a, ZoneKeys> {
        Box::pin(async move { self.walk(zone, true, ctx).await })
    }

    /// The key state that applies to data at `name`: of the deepest zone at or above it
    /// on the chain of trust (insecure if a proven unsigned delegation is passed).
    pub(super) fn keys_for_name<'a>(&'a self, name: &'a Name, ctx: &'a mut Ctx) -> BoxFut<'a, ZoneKeys> {
        Box::pin(async move { self.walk(name, false, ctx).await })
    }

    /// The failure every answer at or below `name` gets when the closest configured trust
    /// anchor above it can never be used: none of its DS or DNSKEY records has an
    /// algorithm (and digest) this validator verifies. Known from the configuration
    /// alone, so the resolver answers without asking upstream for data it would reject.
    /// `None` under a negative trust anchor or an insecure forward zone.
    pub(super) fn unusable_anchor(&self, name: &Name) -> Option<Bogus> {
        let now = self.now();
        if self.ntas.read().map(|n| n.covers(name, now)).unwrap_or(false) || self.insecure_forward(name) {
            return None;
        }
        let a = self.anchors.read().unwrap_or_else(|p| p.into_inner());
        let (zone, list) = a.for_zone(name)?;
        Some(anchor_bogus(zone, anchor_unusable(list)?))
    }

    /// Walks from the closest trust anchor down to `target`, one label at a time,
    /// asking the parent for DS at each step (RFC 4035 §5.2).
    async fn walk(&self, target: &Name, target_is_zone: bool, ctx: &mut Ctx) -> ZoneKeys {
        let now = self.now();
        if self.ntas.read().map(|n| n.covers(target, now)).unwrap_or(false) || self.insecure_forward(target) {
            return ZoneKeys::Insecure(InsecureReason::NoTrustAnchor);
        }
        let anchor = {
            let a = self.anchors.read().unwrap_or_else(|p| p.into_inner());
            a.for_zone(target).map(|(n, list)| (n.clone(), list.to_vec()))
        };
        let Some((anchor_name, anchors)) = anchor else {
            return ZoneKeys::Insecure(InsecureReason::NoTrustAnchor);
        };
        let mut zone = anchor_name.clone();
        let mut keys = self.keys_at_anchor(&anchor_name, &anchors, ctx).await;
        let total = target.label_count();
        for k in (anchor_name.label_count() + 1)..=total {
            let ZoneKeys::Secure(parent_keys) = &keys else { return keys };
            let n = target.suffix(k);
            if let Some(e) = self.keys.get(&n, self.now()).filter(|_| !ctx.retry) {
                keys = e.keys.clone();
                zone = n;
                continue;
            }
            let _ = target_is_zone;
            let parent_keys = parent_keys.clone();
            match self.step_down(&zone, &parent_keys, &n, ctx).await {
                Step::Child(state) => {
                    keys = state;
                    zone = n;
                }
                Step::NotACut => {}
                Step::Stop(state) => return state,
            }
        }
        keys
    }

    /// One step of the walk: is `child` a signed zone under `parent` (keys
    /// `parent_keys`), an unsigned one, or not a zone cut at all?
    async fn step_down(&self, parent: &Name, parent_keys: &[Box<[u8]>], child: &Name, ctx: &mut Ctx) -> Step {
        let now = self.now();
        let key_refs: Vec<&[u8]> = parent_keys.iter().map(|k| &k[..]).collect();
        // RFC 4035 §3.1.4: a signed parent puts the signed DS RRset in its referral; use
        // that rather than asking again (it is verified with the parent's keys below).
        let from_referral = self
            .rrsets
            .get(child, RType::DS, now)
            .filter(|e| e.trust != Trust::Bogus && !e.rrset.sigs.is_empty())
            .and_then(|e| e.aged(now))
            .map(|ds| {
                let expires = now + ds.ttl as u64;
                std::sync::Arc::new(super::Outcome {
                    answer: vec![ds],
                    authority: Vec::new(),
                    kind: AnswerKind::Positive,
                    stored: now,
                    expires,
                })
            })
            .or_else(|| self.ds_denials.get(&crate::cache::key(child, RType::DS)).filter(|o| o.expires > now));
        let verify = |ds: &RRset, budget: &mut validator::Budget| {
            // The DS RRset must verify with the parent's keys (signer = parent).
            validator::verify_rrset(child, Class::IN, RType::DS, &ds.rdata_refs(), &ds.sig_refs(), parent, &key_refs, now as u32, budget)
        };
        let mut referral = from_referral;
        let (out, verified) = loop {
            let from_cache = referral.is_some();
            let looked_up = match referral.take() {
                Some(o) => Ok(o),
                None => self.lookup(child, RType::DS, ctx).await,
            };
            let out = match looked_up {
                Ok(o) => o,
                Err(e) => {
                    tracing::debug!(%child, error = %e, "DS lookup failed");
                    return Step::Stop(ZoneKeys::Bogus(
                        Bogus::new(BogusReason::KeysUnavailable { zone: child.clone() }).at(child, RType::DS),
                    ));
                }
            };
            let ds = out.answer.iter().find(|s| s.rtype == RType::DS && s.owner == *child);
            match ds.map(|ds| verify(ds, &mut ctx.budget)) {
                Some(Err(_)) if from_cache => {
                    // A DS from one server's referral that does not verify: ask the
                    // parent's servers for it before judging the child (the server that
                    // sent the referral may be the only broken one).
                    self.rrsets.remove(child, RType::DS);
                    continue;
                }
                v => break (out, v),
            }
        };
        if let Some(ds) = out.answer.iter().find(|s| s.rtype == RType::DS && s.owner == *child) {
            if let Some(Err(e)) = verified {
                let state = match e.security() {
                    Security::Insecure(r) => ZoneKeys::Insecure(r),
                    Security::Bogus(b) => ZoneKeys::Bogus(b),
                    _ => ZoneKeys::Bogus(Bogus::new(BogusReason::KeysUnavailable { zone: child.clone() })),
                };
                if matches!(state, ZoneKeys::Bogus(_)) {
                    // A DS that does not verify (perhaps from one server's referral) is
                    // not used again: a retry asks the parent's servers afresh.
                    self.rrsets.remove(child, RType::DS);
                }
                self.keys.put(child, state.clone(), now, self.settings.ttl.bogus);
                return Step::Stop(state);
            }
            let state = self.child_keys(child, ds, ctx).await;
            let ttl = match &state {
                ZoneKeys::Bogus(_) => self.settings.ttl.bogus,
                _ => ds.ttl.min(KEY_STATE_TTL.max(ds.ttl)),
            };
            self.keys.put(child, state.clone(), now, ttl);
            return Step::Child(state);
        }
        if out.answer.iter().any(|s| s.rtype == RType::CNAME && s.owner == *child) {
            // A CNAME cannot coexist with NS: not a cut (RFC 2181 §10.1).
            return Step::NotACut;
        }
        match out.kind {
            AnswerKind::NoData | AnswerKind::NxDomain => {
                let chain = Chain { answer: Vec::new(), authority: out.authority.clone(), kind: out.kind, last: child.clone() };
                let recs = self.verified_denial_records(parent, &key_refs, &chain, ctx);
                let refs: Vec<RrRef<'_>> = recs.iter().map(|(o, r)| RrRef::new(o, r)).collect();
                if out.kind == AnswerKind::NxDomain {
                    // The name does not exist, so neither does anything below it: the
                    // parent zone's keys apply to its denial.
                    return Step::NotACut;
                }
                let abs = if proofs_are_nsec3(&chain) {
                    validator::nsec3::prove_no_ds(child, parent, &refs, &mut ctx.budget)
                } else {
                    validator::nsec::prove_no_ds(child, parent, &refs)
                };
                match abs {
                    DsAbsence::NotACut => Step::NotACut,
                    DsAbsence::InsecureDelegation => {
                        let state = ZoneKeys::Insecure(InsecureReason::UnsignedDelegation);
                        self.keys.put(child, state.clone(), now, KEY_STATE_TTL);
                        Step::Stop(state)
                    }
                    DsAbsence::Insecure(r) => {
                        let state = ZoneKeys::Insecure(r);
                        self.keys.put(child, state.clone(), now, KEY_STATE_TTL);
                        Step::Stop(state)
                    }
                    DsAbsence::NotProven(f) => {
                        // An unsigned NODATA from a secure parent, or a broken proof.
                        let state = ZoneKeys::Bogus(Bogus::new(BogusReason::DenialNotProven(f)).at(child, RType::DS));
                        self.keys.put(child, state.clone(), now, self.settings.ttl.bogus);
                        Step::Stop(state)
                    }
                    DsAbsence::BudgetExceeded(_) => {
                        Step::Stop(ZoneKeys::Bogus(Bogus::new(BogusReason::KeysUnavailable { zone: child.clone() })))
                    }
                }
            }
            _ => Step::Stop(ZoneKeys::Bogus(Bogus::new(BogusReason::KeysUnavailable { zone: child.clone() }).at(child, RType::DS))),
        }
    }

    /// The DNSKEY RRset of `zone`, authenticated by its (validated) DS RRset.
    async fn child_keys(&self, zone: &Name, ds: &RRset, ctx: &mut Ctx) -> ZoneKeys {
        let now = self.now() as u32;
        let out = match self.lookup(zone, RType::DNSKEY, ctx).await {
            Ok(o) => o,
            Err(_) => return ZoneKeys::Bogus(Bogus::new(BogusReason::KeysUnavailable { zone: zone.clone() }).at(zone, RType::DNSKEY)),
        };
        let Some(dnskey) = out.answer.iter().find(|s| s.rtype == RType::DNSKEY && s.owner == *zone) else {
            return ZoneKeys::Bogus(Bogus::new(BogusReason::KeysUnavailable { zone: zone.clone() }).at(zone, RType::DNSKEY));
        };
        key_state(validator::validate_dnskeys_with_ds(
            zone,
            &dnskey.rdata_refs(),
            &dnskey.sig_refs(),
            &ds.rdata_refs(),
            now,
            &mut ctx.budget,
        ))
    }

    /// The keys at a trust point, authenticated by its anchors (DS or DNSKEY form).
    async fn keys_at_anchor(&self, zone: &Name, anchors: &[tern_trust_anchors::Anchor], ctx: &mut Ctx) -> ZoneKeys {
        let now = self.now();
        if let Some(e) = self.keys.get(zone, now).filter(|_| !ctx.retry) {
            return e.keys.clone();
        }
        let out = match self.lookup(zone, RType::DNSKEY, ctx).await {
            Ok(o) => o,
            Err(_) => return ZoneKeys::Bogus(Bogus::new(BogusReason::KeysUnavailable { zone: zone.clone() }).at(zone, RType::DNSKEY)),
        };
        let Some(dnskey) = out.answer.iter().find(|s| s.rtype == RType::DNSKEY && s.owner == *zone) else {
            let state = ZoneKeys::Bogus(Bogus::new(BogusReason::KeysUnavailable { zone: zone.clone() }).at(zone, RType::DNSKEY));
            self.keys.put(zone, state.clone(), now, self.settings.ttl.bogus);
            return state;
        };
        let ds: Vec<&[u8]> = anchors
            .iter()
            .filter_map(|a| match &a.kind {
                tern_trust_anchors::AnchorKind::Ds(rd) => Some(&rd[..]),
                _ => None,
            })
            .collect();
        let keys: Vec<&[u8]> = anchors
            .iter()
            .filter_map(|a| match &a.kind {
                tern_trust_anchors::AnchorKind::Dnskey(rd) => Some(&rd[..]),
                _ => None,
            })
            .collect();
        let outcome = if !keys.is_empty() {
            validator::validate_dnskeys_with_anchor_keys(zone, &dnskey.rdata_refs(), &dnskey.sig_refs(), &keys, now as u32, &mut ctx.budget)
        } else {
            validator::validate_dnskeys_with_ds(zone, &dnskey.rdata_refs(), &dnskey.sig_refs(), &ds, now as u32, &mut ctx.budget)
        };
        let state = match key_state(outcome) {
            // RFC 4035 §5.2 makes a zone insecure when its parent's signed DS names only
            // algorithms the validator lacks. A configured anchor is different: the
            // operator declared the zone signed, and passing its data unchecked would
            // undo that silently, so it fails closed (as Knot Resolver does; Unbound
            // ignores such an anchor). The daemon warns about such anchors at start.
            ZoneKeys::Insecure(r @ (InsecureReason::UnsupportedAlgorithm | InsecureReason::UnsupportedDigest)) => {
                ZoneKeys::Bogus(anchor_bogus(zone, r))
            }
            other => other,
        };
        let ttl = match &state {
            ZoneKeys::Bogus(_) => self.settings.ttl.bogus,
            _ => dnskey.ttl.max(60),
        };
        self.keys.put(zone, state.clone(), now, ttl);
        state
    }
}

enum Step {
    /// `child` is a zone; this is its key state.
    Child(ZoneKeys),
    /// `child` is not a zone cut: keep the parent's keys.
    NotACut,
    /// The walk ends here with this state (insecure or bogus).
    Stop(ZoneKeys),
}

/// Why a trust point's anchors can never authenticate its keys, if they cannot: every
/// anchor is a DS or DNSKEY of an algorithm [`validator::signature::dnskey_supported`] refuses, or a
/// DS of an unsupported digest type (RFC 4035 §5.2 names both).
pub fn anchor_unusable(list: &[tern_trust_anchors::Anchor]) -> Option<InsecureReason> {
    use tern_shared::dnssec::{algorithm_supported, digest_supported};
    use tern_shared::wire::record::DsView;
    let mut alg_ok = false;
    for a in list {
        match &a.kind {
            tern_trust_anchors::AnchorKind::Dnskey(rd) if validator::signature::dnskey_supported(rd) => return None,
            tern_trust_anchors::AnchorKind::Dnskey(_) => {}
            tern_trust_anchors::AnchorKind::Ds(rd) => {
                let Some(ds) = DsView::parse(rd) else { continue };
                if algorithm_supported(ds.algorithm) {
                    if digest_supported(ds.digest_type) {
                        return None;
                    }
                    alg_ok = true;
                }
            }
        }
    }
    if list.is_empty() {
        return None;
    }
    Some(if alg_ok { InsecureReason::UnsupportedDigest } else { InsecureReason::UnsupportedAlgorithm })
}

/// The bogus result for data under `zone`'s unusable anchor, `why` it is unusable.
fn anchor_bogus(zone: &Name, why: InsecureReason) -> Bogus {
    Bogus::new(BogusReason::AnchorUnsupported { zone: zone.clone(), digest: why == InsecureReason::UnsupportedDigest })
        .at(zone, RType::DNSKEY)
}

fn key_state(o: KeyOutcome) -> ZoneKeys {
    match o {
        KeyOutcome::Secure { keys, .. } => ZoneKeys::Secure(keys),
        KeyOutcome::Insecure(r) => ZoneKeys::Insecure(r),
        KeyOutcome::Bogus(b) => ZoneKeys::Bogus(b),
        KeyOutcome::Indeterminate(_) => ZoneKeys::Bogus(Bogus::new(BogusReason::KeysUnavailable { zone: Name::root() })),
    }
}

fn proofs_are_nsec3(chain: &Chain) -> bool {
    chain.authority.iter().any(|s| s.rtype == RType::NSEC3) && !chain.authority.iter().any(|s| s.rtype == RType::NSEC)
}

/// True if `cname` is what one of the validated DNAMEs synthesizes (RFC 6672 §2.2).
fn synthesized_by(cname: &RRset, dnames: &[&RRset]) -> bool {
    dnames.iter().any(|d| {
        cname.owner.is_subdomain_of(&d.owner)
            && cname.owner != d.owner
            && Name::from_wire(&d.rdatas[0])
                .ok()
                .and_then(|t| cname.owner.replace_suffix(&d.owner, &t).ok())
                .is_some_and(|expect| cname.rdatas.len() == 1 && Name::from_wire(&cname.rdatas[0]).is_ok_and(|got| got == expect))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tern_trust_anchors::{Anchor, AnchorSource};

    fn ds(alg: u8, digest_type: u8, digest_len: usize) -> Anchor {
        let mut rd = vec![0x0b, 0x26, alg, digest_type];
        rd.extend(std::iter::repeat_n(0xab, digest_len));
        Anchor::ds(Name::root(), &rd, false, AnchorSource::BuiltIn).unwrap()
    }

    #[test]
    fn anchor_with_only_dsa_or_unknown_digests_is_unusable() {
        // Deckard's val_* scenarios anchor example.com with "DS 2854 3 1 ..." (DSA).
        assert_eq!(anchor_unusable(&[ds(3, 1, 20)]), Some(InsecureReason::UnsupportedAlgorithm));
        assert_eq!(anchor_unusable(&[ds(8, 200, 32)]), Some(InsecureReason::UnsupportedDigest));
        // One usable anchor beside it is enough (RFC 4035 §5.1: any anchor may validate).
        assert_eq!(anchor_unusable(&[ds(3, 1, 20), ds(8, 2, 32)]), None);
        assert_eq!(anchor_unusable(&[ds(13, 2, 32)]), None);
    }
}
