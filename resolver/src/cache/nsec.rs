//! Aggressive use of the DNSSEC-validated cache (RFC 8198), NSEC part: the NSEC records
//! and SOA of validated negative answers are kept per zone in canonical order (RFC 4034
//! §6.1), so a later question they already deny is answered NXDOMAIN or NODATA without
//! asking the zone again — which also blunts random-subdomain floods against the zone.
//!
//! Only records that validated as secure go in, and a synthesised answer is re-proven
//! with the validator's own NSEC proofs (`validator::nsec`) before use; this module only
//! finds the candidate records. NSEC3 (RFC 8198 §5.1 allows it too) is not kept yet.

use crate::rrset::RRset;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::sync::RwLock;
use tern_shared::wire::name::canonical_cmp;
use tern_shared::wire::{Name, RType};

/// A name ordered canonically (RFC 4034 §6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Canonical(Name);

impl Ord for Canonical {
    fn cmp(&self, other: &Self) -> Ordering {
        canonical_cmp(self.0.wire(), other.0.wire())
    }
}

impl PartialOrd for Canonical {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// One zone's validated negative-answer material.
#[derive(Debug)]
struct ZoneRecords {
    /// The zone's SOA (with its RRSIGs) and when it expires.
    soa: Option<(RRset, u64)>,
    /// NSEC RRsets (with RRSIGs) by owner, each with its expiry.
    nsecs: BTreeMap<Canonical, (RRset, u64)>,
    /// NSEC3 RRsets (with RRSIGs) by raw owner hash, each with its expiry.
    nsec3s: BTreeMap<Vec<u8>, (RRset, u64)>,
}

impl ZoneRecords {
    fn len(&self) -> usize {
        self.nsecs.len() + self.nsec3s.len()
    }

    /// False once the SOA held has expired (a zone known only from wildcard proofs has
    /// none and lives as long as its records).
    fn live(&self, now: u64) -> bool {
        self.soa.as_ref().is_none_or(|s| s.1 > now)
    }

    fn aged_soa(&self, now: u64) -> Option<RRset> {
        self.soa.as_ref().map(|(s, exp)| aged(s, *exp, now))
    }
}

/// NSEC3 records that might deny a name (see [`NsecCache::nsec3_candidates`]).
#[derive(Debug, Clone)]
pub struct Nsec3Candidates {
    /// The zone apex.
    pub zone: Name,
    /// Its SOA RRset, when held (negative answers need it; wildcard proofs do not).
    pub soa: Option<RRset>,
    /// The record whose owner hash is the name's, if cached.
    pub matching: Option<RRset>,
    /// Records matching or covering the hashes of the name, its ancestors in the zone and
    /// their wildcards (deduplicated): the material of a closest encloser proof.
    pub records: Vec<RRset>,
}

/// Ancestors of a name hashed when looking for NSEC3 candidates: bounds the SHA-1 work of
/// one lookup (RFC 9276 §3.2 spirit; deeper names fall back to asking).
const MAX_NSEC3_ANCESTORS: usize = 8;

/// The raw hash an NSEC3 owner name encodes in its first label (RFC 5155 §3), if it is
/// one base32hex label directly under `zone`.
fn owner_hash(owner: &Name, zone: &Name) -> Option<Vec<u8>> {
    if owner.label_count() != zone.label_count() + 1 || !owner.is_subdomain_of(zone) {
        return None;
    }
    let label = owner.labels().next()?;
    data_encoding::BASE32HEX_NOPAD.decode(&label.to_ascii_uppercase()).ok().filter(|h| h.len() == 20)
}

/// Validated NSEC records and SOAs by zone, bounded in total records.
#[derive(Debug)]
pub struct NsecCache {
    zones: RwLock<HashMap<Name, ZoneRecords>>,
    max_records: usize,
}

/// What a question may be answered from: the zone, its SOA and NSEC RRsets (TTLs aged).
#[derive(Debug, Clone)]
pub struct Candidates {
    /// The zone apex.
    pub zone: Name,
    /// Its SOA RRset, when held (negative answers need it; wildcard proofs do not).
    pub soa: Option<RRset>,
    /// The NSEC RRset whose owner is the question name, if cached.
    pub matching: Option<RRset>,
    /// The NSEC RRset before the question name in canonical order (may cover it).
    pub before_name: Option<RRset>,
    /// For each ancestor of the name inside the zone (nearest first): the NSEC RRset at
    /// or before `*.ancestor` (may cover the wildcard or match it).
    pub before_wildcards: Vec<(Name, RRset)>,
}

fn aged(set: &RRset, expires: u64, now: u64) -> RRset {
    let mut s = set.clone();
    s.ttl = u32::try_from(expires.saturating_sub(now)).unwrap_or(u32::MAX);
    s
}

impl NsecCache {
    /// A cache holding at most `max_records` NSEC RRsets (all zones together).
    pub fn new(max_records: usize) -> NsecCache {
        NsecCache { zones: RwLock::new(HashMap::new()), max_records: max_records.max(16) }
    }

    /// Keeps a validated negative answer's SOA and NSEC RRsets for `zone`, each until
    /// its TTL (capped by `max_ttl`) runs out.
    pub fn insert(&self, zone: &Name, soa: &RRset, nsecs: &[RRset], now: u64, max_ttl: u32) {
        let zone = zone.to_lowercase();
        let mut zones = self.zones.write().unwrap_or_else(|p| p.into_inner());
        Self::make_room(&mut zones, nsecs.len(), now, self.max_records);
        let soa_exp = now + u64::from(soa.ttl.min(max_ttl));
        let entry = zones.entry(zone).or_insert_with(|| ZoneRecords {
            soa: Some((soa.clone(), soa_exp)),
            nsecs: BTreeMap::new(),
            nsec3s: BTreeMap::new(),
        });
        entry.soa = Some((soa.clone(), soa_exp));
        for n in nsecs {
            entry.nsecs.insert(Canonical(n.owner.to_lowercase()), (n.clone(), now + u64::from(n.ttl.min(max_ttl))));
        }
    }

    /// Bounded memory: before adding `adding` records, drop what has expired, and if that
    /// is not enough, start over.
    fn make_room(zones: &mut HashMap<Name, ZoneRecords>, adding: usize, now: u64, max: usize) {
        if zones.values().map(ZoneRecords::len).sum::<usize>() + adding <= max {
            return;
        }
        for z in zones.values_mut() {
            z.nsecs.retain(|_, (_, exp)| *exp > now);
            z.nsec3s.retain(|_, (_, exp)| *exp > now);
        }
        zones.retain(|_, z| z.live(now) && z.len() > 0);
        if zones.values().map(ZoneRecords::len).sum::<usize>() + adding > max {
            zones.clear();
        }
    }

    /// Keeps a validated negative answer's SOA and NSEC3 RRsets for `zone` (records whose
    /// owner is not a hash label directly under the zone are skipped).
    pub fn insert_nsec3(&self, zone: &Name, soa: &RRset, nsec3s: &[RRset], now: u64, max_ttl: u32) {
        let zone = zone.to_lowercase();
        let mut zones = self.zones.write().unwrap_or_else(|p| p.into_inner());
        Self::make_room(&mut zones, nsec3s.len(), now, self.max_records);
        let soa_exp = now + u64::from(soa.ttl.min(max_ttl));
        let entry = zones.entry(zone.clone()).or_insert_with(|| ZoneRecords {
            soa: Some((soa.clone(), soa_exp)),
            nsecs: BTreeMap::new(),
            nsec3s: BTreeMap::new(),
        });
        entry.soa = Some((soa.clone(), soa_exp));
        for n in nsec3s {
            if let Some(h) = owner_hash(&n.owner, &zone) {
                entry.nsec3s.insert(h, (n.clone(), now + u64::from(n.ttl.min(max_ttl))));
            }
        }
    }

    /// Adds verified NSEC or NSEC3 RRsets of `zone` that proved a wildcard answer (RFC 8198
    /// §5.3). Without a SOA held for the zone they serve wildcard synthesis only.
    pub fn add_proofs(&self, zone: &Name, sets: &[RRset], now: u64, max_ttl: u32) {
        let zone = zone.to_lowercase();
        let mut zones = self.zones.write().unwrap_or_else(|p| p.into_inner());
        Self::make_room(&mut zones, sets.len(), now, self.max_records);
        let entry = zones.entry(zone.clone()).or_insert_with(|| ZoneRecords { soa: None, nsecs: BTreeMap::new(), nsec3s: BTreeMap::new() });
        for s in sets {
            let exp = now + u64::from(s.ttl.min(max_ttl));
            match s.rtype {
                RType::NSEC => {
                    entry.nsecs.insert(Canonical(s.owner.to_lowercase()), (s.clone(), exp));
                }
                RType::NSEC3 => {
                    if let Some(h) = owner_hash(&s.owner, &zone) {
                        entry.nsec3s.insert(h, (s.clone(), exp));
                    }
                }
                _ => {}
            }
        }
    }

    /// The NSEC3 records that might deny `qname`, from the deepest zone holding any, or
    /// `None`. Hashes with the parameters of the zone's records, skipping zones whose
    /// iteration count is above `max_iterations`.
    pub fn nsec3_candidates(&self, qname: &Name, now: u64, max_iterations: u16) -> Option<Nsec3Candidates> {
        let zones = self.zones.read().unwrap_or_else(|p| p.into_inner());
        let lower = qname.to_lowercase();
        let mut cur = Some(lower.clone());
        let (zone, recs) = loop {
            let z = cur?;
            if let Some(r) = zones.get(&z).filter(|r| r.live(now) && !r.nsec3s.is_empty()) {
                break (z, r);
            }
            cur = z.parent();
        };
        let live = |e: &(RRset, u64)| (e.1 > now).then(|| aged(&e.0, e.1, now));
        let first = recs.nsec3s.values().find(|e| e.1 > now)?;
        let params = tern_shared::wire::record::Nsec3View::parse(first.0.rdatas.first()?)?;
        if params.hash_alg != 1 || params.iterations > max_iterations {
            return None;
        }
        let (salt, iterations) = (params.salt.to_vec(), params.iterations);
        let hash = |n: &Name| tern_shared::dnssec::nsec3_hash_wire(n.wire(), &salt, iterations).to_vec();
        let mut records: Vec<RRset> = Vec::new();
        let add = |h: &Vec<u8>, records: &mut Vec<RRset>| {
            // The record matching h, or else the one covering it (the last owner below h,
            // wrapping to the last of the chain).
            let e = recs
                .nsec3s
                .get(h)
                .or_else(|| recs.nsec3s.range(..h.clone()).next_back().map(|(_, e)| e))
                .or_else(|| recs.nsec3s.values().next_back());
            if let Some(s) = e.and_then(live) {
                if !records.iter().any(|r| r.owner == s.owner) {
                    records.push(s);
                }
            }
        };
        let qh = hash(&lower);
        let matching = recs.nsec3s.get(&qh).and_then(live);
        let mut name = Some(lower.clone());
        for _ in 0..MAX_NSEC3_ANCESTORS {
            let Some(n) = name.filter(|n| n.is_subdomain_of(&zone)) else { break };
            add(&if n == lower { qh.clone() } else { hash(&n) }, &mut records);
            // A wildcard matters at the closest encloser, a proper ancestor.
            if n != lower {
                if let Ok(w) = n.wildcard_child() {
                    add(&hash(&w), &mut records);
                }
            }
            name = n.parent();
        }
        Some(Nsec3Candidates { zone, soa: recs.aged_soa(now), matching, records })
    }

    /// The records that might deny `qname`, from the deepest zone holding any, or `None`.
    pub fn candidates(&self, qname: &Name, now: u64) -> Option<Candidates> {
        let zones = self.zones.read().unwrap_or_else(|p| p.into_inner());
        let lower = qname.to_lowercase();
        let mut cur = Some(lower.clone());
        let (zone, recs) = loop {
            let z = cur?;
            if let Some(r) = zones.get(&z).filter(|r| r.live(now)) {
                break (z, r);
            }
            cur = z.parent();
        };
        let live = |e: &(RRset, u64)| (e.1 > now).then(|| aged(&e.0, e.1, now));
        let before = |n: &Name| recs.nsecs.range(..=Canonical(n.clone())).next_back().and_then(|(_, e)| live(e));
        let matching = recs.nsecs.get(&Canonical(lower.clone())).and_then(live);
        let before_name = before(&lower);
        let mut before_wildcards = Vec::new();
        let mut anc = lower.parent();
        while let Some(a) = anc {
            if !a.is_subdomain_of(&zone) {
                break;
            }
            if let Ok(w) = a.wildcard_child() {
                if let Some(s) = before(&w) {
                    before_wildcards.push((a.clone(), s));
                }
            }
            anc = a.parent();
        }
        Some(Candidates { zone, soa: recs.aged_soa(now), matching, before_name, before_wildcards })
    }

    /// Forgets the zones at or below `name` (operator flush).
    pub fn flush_subtree(&self, name: &Name) {
        let apex = name.to_lowercase();
        self.zones.write().unwrap_or_else(|p| p.into_inner()).retain(|z, _| !z.is_subdomain_of(&apex));
    }

    /// Number of NSEC and NSEC3 RRsets held.
    pub fn len(&self) -> usize {
        self.zones.read().unwrap_or_else(|p| p.into_inner()).values().map(ZoneRecords::len).sum()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Name {
        s.parse().unwrap()
    }

    fn nsec(owner: &str, next: &str) -> RRset {
        let mut rd = n(next).wire().to_vec();
        rd.extend_from_slice(&tern_shared::wire::rdata::make_bitmap([RType::A, RType::RRSIG, RType::NSEC]));
        RRset {
            owner: n(owner),
            rtype: RType::NSEC,
            class: tern_shared::wire::Class::IN,
            ttl: 300,
            rdatas: vec![rd.into()],
            sigs: Vec::new(),
        }
    }

    fn soa() -> RRset {
        RRset {
            owner: n("example."),
            rtype: RType::SOA,
            class: tern_shared::wire::Class::IN,
            ttl: 3600,
            rdatas: vec![vec![0u8; 22].into()],
            sigs: Vec::new(),
        }
    }

    #[test]
    fn candidates_come_from_the_deepest_zone_in_canonical_order() {
        let c = NsecCache::new(100);
        c.insert(
            &n("example."),
            &soa(),
            &[nsec("example.", "b.example."), nsec("b.example.", "d.example."), nsec("d.example.", "example.")],
            1000,
            86400,
        );
        let got = c.candidates(&n("C.example."), 1000).expect("zone held");
        assert_eq!(got.zone, n("example."));
        assert_eq!(got.before_name.map(|s| s.owner), Some(n("b.example.")));
        assert!(got.matching.is_none());
        // *.example. sorts right after example.
        assert_eq!(got.before_wildcards.first().map(|(a, s)| (a.clone(), s.owner.clone())), Some((n("example."), n("example."))));
        assert_eq!(c.candidates(&n("d.example."), 1000).unwrap().matching.map(|s| s.owner), Some(n("d.example.")));
        assert!(c.candidates(&n("www.other."), 1000).is_none(), "no zone holds it");
    }

    #[test]
    fn records_expire_with_their_ttl_and_ttls_age() {
        let c = NsecCache::new(100);
        c.insert(&n("example."), &soa(), &[nsec("b.example.", "d.example.")], 1000, 86400);
        assert_eq!(c.candidates(&n("c.example."), 1100).unwrap().before_name.map(|s| s.ttl), Some(200));
        assert!(c.candidates(&n("c.example."), 1300).unwrap().before_name.is_none());
        assert!(c.candidates(&n("c.example."), 4600).is_none(), "the SOA expired too");
    }

    /// An NSEC3 chain (SHA-1, salt AABBCCDD, 12 iterations as in RFC 5155 Appendix A)
    /// over `names` of `zone`, each with an A record (the apex also SOA/NS).
    fn nsec3_chain(zone: &Name, names: &[&str]) -> Vec<RRset> {
        let salt = [0xaa, 0xbb, 0xcc, 0xdd];
        let mut hashed: Vec<([u8; 20], bool)> =
            names.iter().map(|x| (tern_shared::dnssec::nsec3_hash_wire(n(x).wire(), &salt, 12), n(x) == *zone)).collect();
        hashed.sort();
        (0..hashed.len())
            .map(|i| {
                let (h, apex) = hashed[i];
                let next = hashed[(i + 1) % hashed.len()].0;
                let mut rd = vec![1u8, 0, 0, 12, 4];
                rd.extend_from_slice(&salt);
                rd.push(20);
                rd.extend_from_slice(&next);
                let types: Vec<RType> = if apex { vec![RType::SOA, RType::NS, RType::RRSIG] } else { vec![RType::A, RType::RRSIG] };
                rd.extend_from_slice(&tern_shared::wire::rdata::make_bitmap(types));
                let label = data_encoding::BASE32HEX_NOPAD.encode(&h).to_ascii_lowercase();
                RRset {
                    owner: zone.prepend_label(label.as_bytes()).unwrap(),
                    rtype: RType::NSEC3,
                    class: tern_shared::wire::Class::IN,
                    ttl: 300,
                    rdatas: vec![rd.into()],
                    sigs: Vec::new(),
                }
            })
            .collect()
    }

    #[test]
    fn nsec3_candidates_prove_nxdomain_and_nodata_with_the_validator() {
        use crate::validator::{nsec3, Budget, Proof, RrRef};
        let zone = n("example.");
        let c = NsecCache::new(100);
        c.insert_nsec3(&zone, &soa(), &nsec3_chain(&zone, &["example.", "a.example.", "x.w.example.", "w.example."]), 1000, 86400);
        let prove = |q: &str, qtype: Option<RType>| {
            let got = c.nsec3_candidates(&n(q), 1000, 150).expect("zone held");
            let sets = match (&got.matching, qtype) {
                (Some(m), Some(_)) => vec![m.clone()],
                _ => got.records.clone(),
            };
            let refs: Vec<RrRef<'_>> = sets.iter().flat_map(|s| s.rdatas.iter().map(move |rd| RrRef::new(&s.owner, rd))).collect();
            let mut budget = Budget::new();
            match qtype {
                Some(t) => nsec3::prove_nodata(&n(q), t, &zone, &refs, &mut budget),
                None => nsec3::prove_nxdomain(&n(q), &zone, &refs, &mut budget),
            }
        };
        assert_eq!(prove("nope.example.", None), Proof::Proven);
        assert_eq!(prove("a.c.x.w.example.", None), Proof::Proven, "closest encloser x.w.example, deeper name");
        assert_eq!(prove("a.example.", Some(RType::MX)), Proof::Proven, "NODATA from the matching record");
        assert!(!matches!(prove("a.example.", Some(RType::A)), Proof::Proven), "the type exists");
        assert!(c.nsec3_candidates(&n("a.example."), 1000, 10).is_none(), "iterations above the cap");
        assert!(c.nsec3_candidates(&n("a.example."), 1400, 150).is_none(), "expired");
    }

    #[test]
    fn wildcard_proofs_are_kept_even_without_a_soa() {
        let zone = n("example.");
        let c = NsecCache::new(100);
        c.add_proofs(&zone, &nsec3_chain(&zone, &["example.", "a.example."]), 1000, 86400);
        let got = c.nsec3_candidates(&n("b.example."), 1000, 150).expect("records held");
        assert!(got.soa.is_none() && !got.records.is_empty());
        c.add_proofs(&zone, &[nsec("a.example.", "c.example.")], 1000, 86400);
        assert!(c.candidates(&n("b.example."), 1000).is_some_and(|c| c.soa.is_none() && c.before_name.is_some()));
    }

    #[test]
    fn total_records_stay_bounded() {
        let c = NsecCache::new(16);
        for i in 0..40 {
            c.insert(&n("example."), &soa(), &[nsec(&format!("n{i:03}.example."), &format!("n{i:03}a.example."))], 1000, 86400);
        }
        assert!(c.len() <= 16, "{}", c.len());
    }
}
