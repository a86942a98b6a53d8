//! RFC 8198 §5: answering NXDOMAIN and NODATA from validated NSEC and NSEC3 records
//! already cached ([`crate::cache::nsec`]) instead of asking the zone. The records are picked
//! here and the denial re-proven with the validator's NSEC proofs before use; anything
//! unusual (a delegation or DNAME in the way, DS NODATA, which only the parent can give)
//! falls back to normal resolution.

use super::Resolver;
use crate::cache::nsec::Candidates;
use crate::cache::{Answer, AnswerKind};
use crate::rrset::RRset;
use crate::validator::{self, Proof, RrRef, Security};
use std::sync::Arc;
use tern_shared::wire::rdata::bitmap_has;
use tern_shared::wire::{rcode, Name, RType};

/// An NSEC RDATA's next owner name and type bitmap.
fn split_nsec(rdata: &[u8]) -> Option<(Name, &[u8])> {
    let len = tern_shared::wire::name::wire_name_len(rdata)?;
    Some((Name::from_wire(&rdata[..len]).ok()?, &rdata[len..]))
}

impl Resolver {
    /// A secure NXDOMAIN or NODATA for the question from cached NSEC records, if they
    /// prove one.
    pub(super) fn answer_from_nsec_cache(&self, qname: &Name, qtype: RType, now: u64) -> Option<Arc<Answer>> {
        // Meta and DNSSEC types are left to the normal path.
        if matches!(qtype, RType::ANY | RType::RRSIG | RType::NSEC | RType::NSEC3) {
            return None;
        }
        if self.ntas.read().map(|n| n.covers(qname, now)).unwrap_or(true) {
            return None;
        }
        // A forward zone answers for its names, whatever a cached NSEC of an enclosing
        // zone (say, the public root denying an internal TLD) would say.
        if self.forwards.read().map(|f| f.iter().any(|z| qname.is_subdomain_of(&z.name))).unwrap_or(true) {
            return None;
        }
        let Some(c) = self.nsecs.candidates(qname, now) else {
            return self.answer_from_nsec3_cache(qname, qtype, now);
        };
        if c.matching.is_none() && c.before_name.is_none() {
            // The zone holds NSEC3 records, not NSEC.
            return self.answer_from_nsec3_cache(qname, qtype, now);
        }
        let (kind, sets) = if let Some(m) = &c.matching {
            let (_, bitmap) = split_nsec(m.rdatas.first()?)?;
            if qtype == RType::DS {
                // DS NODATA is the parent's to give: only the parent-side NSEC of a
                // delegation (NS without SOA) can say there is no DS (RFC 4035 §5.2),
                // never the child's apex NSEC.
                let refs: Vec<RrRef<'_>> = m.rdatas.iter().map(|rd| RrRef::new(&m.owner, rd)).collect();
                if !matches!(validator::nsec::prove_no_ds(qname, &c.zone, &refs), validator::DsAbsence::InsecureDelegation) {
                    return None;
                }
                return self.synthesised(AnswerKind::NoData, c.soa.as_ref()?, vec![m.clone()], now);
            }
            // At a delegation the parent's NSEC says nothing about the child's data, and
            // a CNAME or DNAME changes the question: resolve normally.
            let delegation = bitmap_has(bitmap, RType::NS) && !bitmap_has(bitmap, RType::SOA);
            if delegation || bitmap_has(bitmap, RType::CNAME) || bitmap_has(bitmap, RType::DNAME) {
                return None;
            }
            (AnswerKind::NoData, vec![m.clone()])
        } else {
            let cover = c.before_name.as_ref()?;
            let (next, bitmap) = split_nsec(cover.rdatas.first()?)?;
            // Names below a delegation or a DNAME are not this zone's to deny.
            let cut = (bitmap_has(bitmap, RType::NS) && !bitmap_has(bitmap, RType::SOA)) || bitmap_has(bitmap, RType::DNAME);
            if cut && qname.is_subdomain_of(&cover.owner) {
                return None;
            }
            // RFC 4035 §5.4: the closest encloser is the longest ancestor shared with
            // the covering NSEC's owner or next name; its wildcard must be denied too.
            let ce_labels = qname.common_labels(&cover.owner).max(qname.common_labels(&next));
            let ce = qname.suffix(ce_labels);
            if !ce.is_subdomain_of(&c.zone) {
                return None;
            }
            let wild = c.before_wildcards.iter().find(|(a, _)| *a == ce).map(|(_, s)| s.clone())?;
            let mut sets = vec![cover.clone()];
            if wild.owner != cover.owner {
                sets.push(wild);
            }
            (AnswerKind::NxDomain, sets)
        };
        let refs: Vec<RrRef<'_>> = sets.iter().flat_map(|s| s.rdatas.iter().map(move |rd| RrRef::new(&s.owner, rd))).collect();
        let proof = match kind {
            AnswerKind::NxDomain => validator::nsec::prove_nxdomain(qname, &c.zone, &refs),
            _ => validator::nsec::prove_nodata_response(qname, qtype, &c.zone, &refs),
        };
        if !matches!(proof, Proof::Proven) {
            return None;
        }
        self.synthesised(kind, c.soa.as_ref()?, sets, now)
    }

    /// RFC 8198 §5.1 with NSEC3: NXDOMAIN from a closest encloser proof (RFC 5155 §8.4)
    /// or NODATA from a matching record (§8.5) built from cached, validated NSEC3 records
    /// and re-proven by the validator. DS questions (the parent's to answer) and anything
    /// Opt-Out leaves open (RFC 5155 §9.2: insecure, not provable) go upstream.
    fn answer_from_nsec3_cache(&self, qname: &Name, qtype: RType, now: u64) -> Option<Arc<Answer>> {
        if qtype == RType::DS {
            return None;
        }
        let c = self.nsecs.nsec3_candidates(qname, now, validator::limits::NSEC3_MAX_ITERATIONS)?;
        let mut budget = validator::Budget::new();
        let refs_of = |sets: &[RRset]| -> Vec<(Name, Box<[u8]>)> {
            sets.iter().flat_map(|s| s.rdatas.iter().map(move |rd| (s.owner.clone(), rd.clone()))).collect()
        };
        if let Some(m) = &c.matching {
            let owned = refs_of(std::slice::from_ref(m));
            let refs: Vec<RrRef<'_>> = owned.iter().map(|(o, r)| RrRef::new(o, r)).collect();
            return match validator::nsec3::prove_nodata(qname, qtype, &c.zone, &refs, &mut budget) {
                Proof::Proven => self.synthesised(AnswerKind::NoData, c.soa.as_ref()?, vec![m.clone()], now),
                _ => None,
            };
        }
        let owned = refs_of(&c.records);
        let refs: Vec<RrRef<'_>> = owned.iter().map(|(o, r)| RrRef::new(o, r)).collect();
        match validator::nsec3::prove_nxdomain(qname, &c.zone, &refs, &mut budget) {
            Proof::Proven => self.synthesised(AnswerKind::NxDomain, c.soa.as_ref()?, c.records, now),
            _ => None,
        }
    }

    /// RFC 8198 §5.3: an RRset for `qname` synthesised from a cached, validated wildcard
    /// `*.ce` (nearest ancestor first, at most 8 up), with the cached NSEC or NSEC3
    /// records that prove `qname` does not exist and `ce` is its closest encloser; the
    /// proof is checked here, so a synthesis that would not validate is never offered.
    pub(super) fn wildcard_from_cache(&self, qname: &Name, qtype: RType, now: u64) -> Option<(RRset, Vec<RRset>)> {
        if self.ntas.read().map(|n| n.covers(qname, now)).unwrap_or(true) {
            return None;
        }
        let mut anc = qname.parent();
        let mut found = None;
        for _ in 0..8 {
            let Some(a) = anc else { break };
            let w = a.wildcard_child().ok()?;
            let hit = [qtype, RType::CNAME]
                .into_iter()
                .find_map(|t| self.rrsets.get(&w, t, now).filter(|e| e.trust == crate::cache::Trust::Secure).and_then(|e| e.aged(now)));
            if let Some(set) = hit {
                found = Some(set);
                break;
            }
            anc = a.parent();
        }
        let source = found?;
        let labels = source.sigs.iter().filter_map(|s| tern_shared::wire::record::RrsigView::parse(s)).map(|v| v.labels).min()?;
        let w = validator::WildcardExpansion::from_labels(qname, labels)?;
        if w.source != source.owner {
            return None;
        }
        let mut budget = validator::Budget::new();
        let proofs = match self.nsecs.candidates(qname, now) {
            Some(c) if c.matching.is_some() => return None,
            Some(Candidates { zone, before_name: Some(cover), .. }) => {
                let refs: Vec<RrRef<'_>> = cover.rdatas.iter().map(|rd| RrRef::new(&cover.owner, rd)).collect();
                if !matches!(validator::nsec::prove_wildcard_answer(qname, &w, &zone, &refs), Proof::Proven) {
                    return None;
                }
                vec![cover]
            }
            _ => {
                let c = self.nsecs.nsec3_candidates(qname, now, validator::limits::NSEC3_MAX_ITERATIONS)?;
                if c.matching.is_some() {
                    return None;
                }
                let refs: Vec<RrRef<'_>> = c.records.iter().flat_map(|s| s.rdatas.iter().map(move |rd| RrRef::new(&s.owner, rd))).collect();
                if !matches!(validator::nsec3::prove_wildcard_answer(qname, &w, &c.zone, &refs, &mut budget), Proof::Proven) {
                    return None;
                }
                c.records
            }
        };
        let mut set = source;
        set.owner = qname.clone();
        self.counters.nsec_synthesised.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Some((set, proofs))
    }

    /// The answer for a proven denial: SOA and NSEC RRsets in the authority section.
    fn synthesised(&self, kind: AnswerKind, soa: &RRset, sets: Vec<RRset>, now: u64) -> Option<Arc<Answer>> {
        // RFC 8198 §5.4: no longer than the SOA's negative TTL and the NSEC TTLs.
        let soa_min = tern_shared::wire::record::soa_minimum(soa.rdatas.first()?).unwrap_or(0);
        let ttl = sets.iter().map(|s| s.ttl).chain([soa.ttl, soa_min]).min().unwrap_or(0);
        let ttl = self.settings.ttl.negative(ttl);
        if ttl == 0 {
            return None;
        }
        let mut authority: Vec<RRset> = vec![soa.clone()];
        authority.extend(sets);
        self.counters.nsec_synthesised.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Some(Arc::new(Answer {
            kind,
            rcode: if kind == AnswerKind::NxDomain { rcode::NXDOMAIN } else { rcode::NOERROR },
            answer: Vec::new(),
            authority,
            security: Security::Secure,
            ede: None,
            stored: now,
            expires: now + u64::from(ttl),
            stale_until: 0,
        }))
    }

    /// Keeps the SOA and NSEC records of a secure negative answer for later synthesis:
    /// only those that verify with the zone's validated keys (a response may carry
    /// extra records its proof did not need, and those were never checked).
    pub(super) fn remember_nsec_denial(&self, authority: &[RRset], now: u64) {
        let Some(soa) = authority.iter().find(|s| s.rtype == RType::SOA) else { return };
        let zone = &soa.owner;
        let Some(entry) = self.keys.get(zone, now) else { return };
        let crate::cache::ZoneKeys::Secure(keys) = &entry.keys else { return };
        let key_refs: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
        let mut budget = validator::Budget::new();
        let mut verifies = |s: &RRset| {
            validator::verify_rrset(&s.owner, s.class, s.rtype, &s.rdata_refs(), &s.sig_refs(), zone, &key_refs, now as u32, &mut budget)
                .is_ok()
        };
        if !verifies(soa) {
            return;
        }
        let nsecs: Vec<RRset> =
            authority.iter().filter(|s| s.rtype == RType::NSEC && s.owner.is_subdomain_of(zone)).filter(|s| verifies(s)).cloned().collect();
        if !nsecs.is_empty() && !authority.iter().any(|s| s.rtype == RType::NSEC3) {
            self.nsecs.insert(&soa.owner, soa, &nsecs, now, self.settings.ttl.max_negative);
        }
        let nsec3s: Vec<RRset> = authority
            .iter()
            .filter(|s| s.rtype == RType::NSEC3 && s.owner.is_subdomain_of(zone))
            .filter(|s| verifies(s))
            .cloned()
            .collect();
        if !nsec3s.is_empty() && nsecs.is_empty() {
            self.nsecs.insert_nsec3(&soa.owner, soa, &nsec3s, now, self.settings.ttl.max_negative);
        }
    }
}
