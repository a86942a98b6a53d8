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
use tern_shared::wire::Name;

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
    soa: (RRset, u64),
    /// NSEC RRsets (with RRSIGs) by owner, each with its expiry.
    nsecs: BTreeMap<Canonical, (RRset, u64)>,
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
    /// Its SOA RRset.
    pub soa: RRset,
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
        let total: usize = zones.values().map(|z| z.nsecs.len()).sum();
        if total + nsecs.len() > self.max_records {
            // Bounded memory: drop what has expired, and if that is not enough, start over.
            for z in zones.values_mut() {
                z.nsecs.retain(|_, (_, exp)| *exp > now);
            }
            zones.retain(|_, z| z.soa.1 > now && !z.nsecs.is_empty());
            if zones.values().map(|z| z.nsecs.len()).sum::<usize>() + nsecs.len() > self.max_records {
                zones.clear();
            }
        }
        let soa_exp = now + u64::from(soa.ttl.min(max_ttl));
        let entry = zones.entry(zone).or_insert_with(|| ZoneRecords { soa: (soa.clone(), soa_exp), nsecs: BTreeMap::new() });
        entry.soa = (soa.clone(), soa_exp);
        for n in nsecs {
            entry.nsecs.insert(Canonical(n.owner.to_lowercase()), (n.clone(), now + u64::from(n.ttl.min(max_ttl))));
        }
    }

    /// The records that might deny `qname`, from the deepest zone holding any, or `None`.
    pub fn candidates(&self, qname: &Name, now: u64) -> Option<Candidates> {
        let zones = self.zones.read().unwrap_or_else(|p| p.into_inner());
        let lower = qname.to_lowercase();
        let mut cur = Some(lower.clone());
        let (zone, recs) = loop {
            let z = cur?;
            if let Some(r) = zones.get(&z).filter(|r| r.soa.1 > now) {
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
        Some(Candidates { zone, soa: aged(&recs.soa.0, recs.soa.1, now), matching, before_name, before_wildcards })
    }

    /// Forgets the zones at or below `name` (operator flush).
    pub fn flush_subtree(&self, name: &Name) {
        let apex = name.to_lowercase();
        self.zones.write().unwrap_or_else(|p| p.into_inner()).retain(|z, _| !z.is_subdomain_of(&apex));
    }

    /// Number of NSEC RRsets held.
    pub fn len(&self) -> usize {
        self.zones.read().unwrap_or_else(|p| p.into_inner()).values().map(|z| z.nsecs.len()).sum()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tern_shared::wire::RType;

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

    #[test]
    fn total_records_stay_bounded() {
        let c = NsecCache::new(16);
        for i in 0..40 {
            c.insert(&n("example."), &soa(), &[nsec(&format!("n{i:03}.example."), &format!("n{i:03}a.example."))], 1000, 86400);
        }
        assert!(c.len() <= 16, "{}", c.len());
    }
}
