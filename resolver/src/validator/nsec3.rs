//! Denial of existence with NSEC3 (RFC 5155 §8, RFC 9276 §3.2, RFC 6840 §4.1), each
//! function proving one thing from the verified NSEC3 records of a response.
//!
//! - Records are ignored when their hash algorithm is unknown (§8.1), their flags have
//!   bits other than Opt-Out (§8.2), their owner is not one base32hex label directly under
//!   `zone`, or their parameters differ from the first usable record's (all NSEC3 used in
//!   one proof share the zone's hash parameters, §8.2 lets us be strict).
//! - Iterations above [`NSEC3_MAX_ITERATIONS`] make the answer insecure before any hash is
//!   computed (RFC 9276 §3.2, EDE 27). The caller must still have verified the records'
//!   signatures, so that the iteration count is the zone's (RFC 9276 §3.2, RFC 5155 §10.3).
//! - Every hash counts against the query's [`Budget`] (CVE-2023-50868); hashes are
//!   memoised within one proof.
//! - A record *matches* a name when its owner hash is the name's hash, and *covers* it when
//!   the hash sorts strictly between the owner hash and the next hash, wrapping at the end
//!   of the chain.
//! - The closest encloser proof (§8.3) finds the longest ancestor of QNAME with a matching
//!   record whose child on the way to QNAME (the next closer name) is covered; the record
//!   matching the closest encloser must not be a delegation (NS without SOA) or a DNAME.
//! - Opt-out (RFC 5155 §6, §9.2): when only an Opt-Out record covers the next closer name,
//!   an unsigned delegation may exist there, so the proof yields [`Proof::Insecure`] —
//!   NXDOMAIN, wildcard answers and wildcard NODATA included, as Unbound and the Deckard
//!   `val_nsec3_b*` scenarios expect.
//!
//! # Limitations
//! - Only the first parameter set seen is used; records of a second NSEC3 chain (during
//!   a re-salt) are ignored, which can turn a valid response into NotProven.

use super::limits::{Budget, BudgetExceeded, NSEC3_MAX_ITERATIONS};
use super::proof::{blocks_descendants, is_delegation, DsAbsence, Proof, ProofFailure, RrRef};
use super::security::InsecureReason;
use super::signature::WildcardExpansion;
use data_encoding::BASE32HEX_NOPAD;
use smallvec::SmallVec;
use std::cmp::Ordering;
use tern_shared::dnssec::nsec3::NSEC3_HASH_SHA1;
use tern_shared::dnssec::nsec3_hash;
use tern_shared::wire::rdata::bitmap_has;
use tern_shared::wire::record::Nsec3View;
use tern_shared::wire::{Name, RType};

/// SHA-1 output length: the only NSEC3 hash (RFC 5155 §3.1.1).
const HASH_LEN: usize = 20;

type Hash = [u8; HASH_LEN];

/// One usable NSEC3 record.
struct Nsec3<'a> {
    hash: Hash,
    next: &'a [u8],
    bitmap: &'a [u8],
    opt_out: bool,
}

impl Nsec3<'_> {
    fn has(&self, t: RType) -> bool {
        bitmap_has(self.bitmap, t)
    }

    /// RFC 5155 §8.3 "covers": owner hash < h < next hash, or past the end of the chain.
    fn covers(&self, h: &Hash) -> bool {
        let (owner, next) = (&self.hash[..], self.next);
        match owner.cmp(next) {
            Ordering::Less => owner < &h[..] && &h[..] < next,
            // The last record wraps to the first; a lone record covers all but itself.
            _ => &h[..] > owner || &h[..] < next,
        }
    }
}

/// The usable records of one zone with their shared parameters.
struct Set<'a> {
    salt: &'a [u8],
    iterations: u16,
    records: Vec<Nsec3<'a>>,
}

/// Decodes the base32hex first label of an NSEC3 owner into a hash.
fn owner_hash(owner: &Name) -> Option<Hash> {
    let label = owner.labels().next()?;
    let mut upper = [0u8; 63];
    let buf = upper.get_mut(..label.len())?;
    buf.copy_from_slice(label);
    buf.make_ascii_uppercase();
    let decoded = BASE32HEX_NOPAD.decode(buf).ok()?;
    decoded.try_into().ok()
}

impl<'a> Set<'a> {
    fn select(zone: &Name, records: &[RrRef<'a>]) -> Option<Set<'a>> {
        let mut set: Option<Set<'a>> = None;
        for r in records {
            if r.owner.parent().as_ref() != Some(zone) {
                continue;
            }
            let Some(v) = Nsec3View::parse(r.rdata) else { continue };
            // RFC 5155 §8.1, §8.2.
            if v.hash_alg != NSEC3_HASH_SHA1 || v.flags & !1 != 0 || v.next_hash.len() != HASH_LEN {
                continue;
            }
            let Some(hash) = owner_hash(r.owner) else { continue };
            let rec = Nsec3 { hash, next: v.next_hash, bitmap: v.bitmap, opt_out: v.opt_out() };
            match &mut set {
                None => set = Some(Set { salt: v.salt, iterations: v.iterations, records: vec![rec] }),
                Some(s) if s.salt == v.salt && s.iterations == v.iterations => s.records.push(rec),
                Some(_) => {}
            }
        }
        set
    }

    fn matching(&self, h: &Hash) -> Option<&Nsec3<'a>> {
        self.records.iter().find(|r| &r.hash == h)
    }

    fn covering(&self, h: &Hash) -> Option<&Nsec3<'a>> {
        self.records.iter().find(|r| r.covers(h))
    }
}

/// Why a proof stopped early.
enum Stop {
    Fail(ProofFailure),
    Budget(BudgetExceeded),
}

impl From<ProofFailure> for Stop {
    fn from(f: ProofFailure) -> Stop {
        Stop::Fail(f)
    }
}

impl From<BudgetExceeded> for Stop {
    fn from(e: BudgetExceeded) -> Stop {
        Stop::Budget(e)
    }
}

/// Memoised, budgeted hashing with the zone's parameters.
struct Hasher<'s, 'b> {
    salt: &'s [u8],
    iterations: u16,
    budget: &'b mut Budget,
    memo: SmallVec<[(Name, Hash); 8]>,
}

impl Hasher<'_, '_> {
    fn hash(&mut self, name: &Name) -> Result<Hash, BudgetExceeded> {
        if let Some((_, h)) = self.memo.iter().find(|(n, _)| n == name) {
            return Ok(*h);
        }
        self.budget.take_nsec3_hash()?;
        let h = nsec3_hash(name, self.salt, self.iterations);
        self.memo.push((name.clone(), h));
        Ok(h)
    }
}

/// The result of a closest (provable) encloser proof, RFC 5155 §8.3.
struct ClosestEncloser {
    name: Name,
    /// Whether the record covering the next closer name has the Opt-Out flag.
    opt_out: bool,
}

/// RFC 5155 §8.3.
fn closest_encloser(set: &Set<'_>, qname: &Name, zone: &Name, hasher: &mut Hasher<'_, '_>) -> Result<ClosestEncloser, Stop> {
    // The opt-out flag of the record covering the previous (one label longer) name.
    let mut covered_child: Option<bool> = None;
    let mut sname = qname.clone();
    loop {
        let h = hasher.hash(&sname)?;
        if let Some(m) = set.matching(&h) {
            let Some(opt_out) = covered_child else {
                return Err(if sname == *qname { ProofFailure::NameExists } else { ProofFailure::NameNotCovered }.into());
            };
            // §8.3: the closest encloser's record must be from this zone's side of any cut.
            if blocks_descendants(|t| m.has(t)) {
                return Err(ProofFailure::AncestorDelegation.into());
            }
            return Ok(ClosestEncloser { name: sname, opt_out });
        }
        covered_child = set.covering(&h).map(|c| c.opt_out);
        if sname == *zone {
            break;
        }
        match sname.parent() {
            Some(p) => sname = p,
            None => break,
        }
    }
    Err(ProofFailure::NoClosestEncloser.into())
}

/// Common entry: the name is in the zone, records exist, iterations are acceptable.
fn setup<'a>(name: &Name, zone: &Name, records: &[RrRef<'a>]) -> Result<Set<'a>, Proof> {
    if !name.is_subdomain_of(zone) {
        return Err(Proof::NotProven(ProofFailure::OutOfZone));
    }
    let set = Set::select(zone, records).ok_or(Proof::NotProven(ProofFailure::NoRecords))?;
    // RFC 9276 §3.2.
    if set.iterations > NSEC3_MAX_ITERATIONS {
        return Err(Proof::Insecure(InsecureReason::Nsec3Iterations { iterations: set.iterations }));
    }
    Ok(set)
}

/// Runs a proof body with a fresh hasher and turns early stops into outcomes.
fn run<'a>(
    name: &Name,
    zone: &Name,
    records: &[RrRef<'a>],
    budget: &mut Budget,
    body: impl FnOnce(&Set<'a>, &mut Hasher<'_, '_>) -> Result<Proof, Stop>,
) -> Proof {
    let set = match setup(name, zone, records) {
        Ok(s) => s,
        Err(p) => return p,
    };
    let mut hasher = Hasher { salt: set.salt, iterations: set.iterations, budget, memo: SmallVec::new() };
    match body(&set, &mut hasher) {
        Ok(p) => p,
        Err(Stop::Fail(f)) => Proof::NotProven(f),
        Err(Stop::Budget(e)) => Proof::BudgetExceeded(e),
    }
}

fn opt_out_or_proven(opt_out: bool) -> Proof {
    if opt_out {
        Proof::Insecure(InsecureReason::OptOut)
    } else {
        Proof::Proven
    }
}

/// RFC 5155 §8.4 (name error): a closest encloser proof for `qname` and a record covering
/// the wildcard at the closest encloser. Insecure if the next closer name is covered only
/// by an Opt-Out record (§9.2).
pub fn prove_nxdomain(qname: &Name, zone: &Name, nsec3s: &[RrRef<'_>], budget: &mut Budget) -> Proof {
    run(qname, zone, nsec3s, budget, |set, h| {
        let ce = closest_encloser(set, qname, zone, h)?;
        let wildcard = ce.name.wildcard_child().map_err(|_| ProofFailure::WildcardNotDenied)?;
        let wh = h.hash(&wildcard)?;
        if set.covering(&wh).is_none() {
            return Err(ProofFailure::WildcardNotDenied.into());
        }
        Ok(opt_out_or_proven(ce.opt_out))
    })
}

/// RFC 5155 §8.5 and §8.6 (no data): a record matching `qname` without `qtype` or CNAME
/// (an empty bitmap covers empty non-terminals).
///
/// Without a matching record only opt-out can excuse the response: a closest provable
/// encloser proof whose next closer name is covered by an Opt-Out record gives Insecure
/// (§8.6 for DS; RFC 5155 erratum 3441 for other types, an empty non-terminal leading to
/// an unsigned delegation). For DS the matching record must be the parent's (SOA clear,
/// `qname` not the apex of `zone`, Appendix B.6); for other types a delegation's record
/// (NS set, SOA clear) is a referral, not NODATA.
pub fn prove_nodata(qname: &Name, qtype: RType, zone: &Name, nsec3s: &[RrRef<'_>], budget: &mut Budget) -> Proof {
    if qtype == RType::DS && qname == zone && !qname.is_root() && qname.is_subdomain_of(zone) {
        return Proof::NotProven(ProofFailure::ChildSide);
    }
    run(qname, zone, nsec3s, budget, |set, h| {
        let qh = h.hash(qname)?;
        if let Some(m) = set.matching(&qh) {
            if m.has(qtype) {
                return Err(ProofFailure::TypeExists.into());
            }
            if m.has(RType::CNAME) {
                return Err(ProofFailure::CnameExists.into());
            }
            if qtype == RType::DS {
                if m.has(RType::SOA) && !qname.is_root() {
                    return Err(ProofFailure::ChildSide.into());
                }
            } else if is_delegation(|t| m.has(t)) {
                return Err(ProofFailure::Referral.into());
            }
            return Ok(Proof::Proven);
        }
        let ce = closest_encloser(set, qname, zone, h)?;
        if ce.opt_out {
            Ok(Proof::Insecure(InsecureReason::OptOut))
        } else if qtype == RType::DS {
            Err(ProofFailure::NotOptOut.into())
        } else {
            Err(ProofFailure::NoMatch.into())
        }
    })
}

/// RFC 5155 §8.7 (wildcard no data): a closest encloser proof for `qname` and a record
/// matching the wildcard at the closest encloser without `qtype` or CNAME. Insecure if the
/// next closer name is covered only by an Opt-Out record.
pub fn prove_wildcard_nodata(qname: &Name, qtype: RType, zone: &Name, nsec3s: &[RrRef<'_>], budget: &mut Budget) -> Proof {
    run(qname, zone, nsec3s, budget, |set, h| {
        let ce = closest_encloser(set, qname, zone, h)?;
        let wildcard = ce.name.wildcard_child().map_err(|_| ProofFailure::WildcardNotFound)?;
        let wh = h.hash(&wildcard)?;
        let w = set.matching(&wh).ok_or(ProofFailure::WildcardNotFound)?;
        if w.has(qtype) {
            return Err(ProofFailure::TypeExists.into());
        }
        if w.has(RType::CNAME) {
            return Err(ProofFailure::CnameExists.into());
        }
        if qtype != RType::DS && is_delegation(|t| w.has(t)) {
            return Err(ProofFailure::Referral.into());
        }
        Ok(opt_out_or_proven(ce.opt_out))
    })
}

/// A NOERROR response without the data: [`prove_nodata`] or else
/// [`prove_wildcard_nodata`]. The first failure is reported if neither holds.
pub fn prove_nodata_response(qname: &Name, qtype: RType, zone: &Name, nsec3s: &[RrRef<'_>], budget: &mut Budget) -> Proof {
    match prove_nodata(qname, qtype, zone, nsec3s, budget) {
        Proof::NotProven(first) => match prove_wildcard_nodata(qname, qtype, zone, nsec3s, budget) {
            Proof::NotProven(_) => Proof::NotProven(first),
            settled => settled,
        },
        settled => settled,
    }
}

/// RFC 5155 §8.8: a verified wildcard answer for `qname` (see
/// [`super::signature::Verified::wildcard`]) needs a record covering the next closer name
/// (the closest encloser comes from the RRSIG Labels field). Insecure if that record has
/// the Opt-Out flag.
pub fn prove_wildcard_answer(qname: &Name, wildcard: &WildcardExpansion, zone: &Name, nsec3s: &[RrRef<'_>], budget: &mut Budget) -> Proof {
    let ce = &wildcard.closest_encloser;
    let nc = &wildcard.next_closer;
    if qname == ce || !qname.is_subdomain_of(nc) || nc.parent().as_ref() != Some(ce) || !ce.is_subdomain_of(zone) {
        return Proof::NotProven(ProofFailure::WildcardMismatch);
    }
    run(qname, zone, nsec3s, budget, |set, h| {
        let nh = h.hash(nc)?;
        match set.covering(&nh) {
            Some(c) => Ok(opt_out_or_proven(c.opt_out)),
            None => Err(ProofFailure::NameNotCovered.into()),
        }
    })
}

/// RFC 5155 §8.9 and §8.6: what the NSEC3 records of `zone` (the parent) say about a DS
/// RRset at `name`. A matching record with DS and SOA clear proves no DS: with NS set an
/// insecure delegation, without it no zone cut. Without a matching record, a closest
/// provable encloser proof with an Opt-Out record covering the next closer name makes any
/// delegation there insecure ([`DsAbsence::Insecure`]).
pub fn prove_no_ds(name: &Name, zone: &Name, nsec3s: &[RrRef<'_>], budget: &mut Budget) -> DsAbsence {
    if name == zone && !name.is_root() {
        return DsAbsence::NotProven(ProofFailure::ChildSide);
    }
    let mut cut = None;
    let proof = run(name, zone, nsec3s, budget, |set, h| {
        let nh = h.hash(name)?;
        if let Some(m) = set.matching(&nh) {
            if m.has(RType::DS) {
                return Err(ProofFailure::DsExists.into());
            }
            if m.has(RType::SOA) && !name.is_root() {
                return Err(ProofFailure::ChildSide.into());
            }
            cut = Some(m.has(RType::NS));
            return Ok(Proof::Proven);
        }
        let ce = closest_encloser(set, name, zone, h)?;
        if ce.opt_out {
            Ok(Proof::Insecure(InsecureReason::OptOut))
        } else {
            Err(ProofFailure::NotOptOut.into())
        }
    });
    match proof {
        Proof::Proven if cut == Some(true) => DsAbsence::InsecureDelegation,
        Proof::Proven => DsAbsence::NotACut,
        Proof::Insecure(r) => DsAbsence::Insecure(r),
        Proof::NotProven(f) => DsAbsence::NotProven(f),
        Proof::BudgetExceeded(e) => DsAbsence::BudgetExceeded(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validator::limits::{BudgetLimits, Limit};
    use crate::validator::testutil::*;

    /// The NSEC3 chain of the RFC 5155 Appendix A zone `example.` (hash 1, flags 1 =
    /// opt-out, 12 iterations, salt aabbccdd); the comments name the hashed owner.
    fn appendix_a() -> Vec<(Name, Vec<u8>)> {
        use RType as T;
        let chain: [(&str, &str, &[RType]); 12] = [
            (
                "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom",
                "2t7b4g4vsa5smi47k61mv5bv1a22bojr",
                &[T::MX, T::DNSKEY, T::NS, T::SOA, T::NSEC3PARAM, T::RRSIG],
            ), // example
            ("2t7b4g4vsa5smi47k61mv5bv1a22bojr", "2vptu5timamqttgl4luu9kg21e0aor3s", &[T::A, T::RRSIG]), // ns1
            ("2vptu5timamqttgl4luu9kg21e0aor3s", "35mthgpgcu1qg68fab165klnsnk3dpvl", &[T::MX, T::RRSIG]), // x.y.w
            ("35mthgpgcu1qg68fab165klnsnk3dpvl", "b4um86eghhds6nea196smvmlo4ors995", &[T::NS, T::DS, T::RRSIG]), // a
            ("b4um86eghhds6nea196smvmlo4ors995", "gjeqe526plbf1g8mklp59enfd789njgi", &[T::MX, T::RRSIG]), // x.w
            ("gjeqe526plbf1g8mklp59enfd789njgi", "ji6neoaepv8b5o6k4ev33abha8ht9fgc", &[T::HINFO, T::A, T::AAAA, T::RRSIG]), // ai
            ("ji6neoaepv8b5o6k4ev33abha8ht9fgc", "k8udemvp1j2f7eg6jebps17vp3n8i58h", &[]),               // y.w (ENT)
            ("k8udemvp1j2f7eg6jebps17vp3n8i58h", "kohar7mbb8dc2ce8a9qvl8hon4k53uhi", &[]),               // w (ENT)
            ("kohar7mbb8dc2ce8a9qvl8hon4k53uhi", "q04jkcevqvmu85r014c7dkba38o0ji5r", &[T::A, T::RRSIG]), // 2t7b4g4vsa5smi47k61mv5bv1a22bojr.example
            ("q04jkcevqvmu85r014c7dkba38o0ji5r", "r53bq7cc2uvmubfu5ocmm6pers9tk9en", &[T::A, T::RRSIG]), // ns2
            ("r53bq7cc2uvmubfu5ocmm6pers9tk9en", "t644ebqk9bibcna874givr6joj62mlhv", &[T::MX, T::RRSIG]), // *.w
            ("t644ebqk9bibcna874givr6joj62mlhv", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom", &[T::HINFO, T::A, T::AAAA, T::RRSIG]), // xx
        ];
        chain
            .iter()
            .map(|(owner, next, types)| (n(&format!("{owner}.example.")), nsec3_rdata(1, 12, &hex("aabbccdd"), &b32(next), types)))
            .collect()
    }

    /// The same chain without the Opt-Out flag.
    fn appendix_a_without_opt_out() -> Vec<(Name, Vec<u8>)> {
        appendix_a()
            .into_iter()
            .map(|(o, mut r)| {
                (o, {
                    r[1] = 0;
                    r
                })
            })
            .collect()
    }

    fn pick<'a>(zone: &'a [(Name, Vec<u8>)], hashes: &[&str]) -> Vec<RrRef<'a>> {
        hashes
            .iter()
            .map(|h| {
                let want = n(&format!("{h}.example."));
                let (o, r) = zone.iter().find(|(o, _)| *o == want).expect("record in chain");
                RrRef::new(o, r)
            })
            .collect()
    }

    const B1: [&str; 3] = ["0p9mhaveqvm6t7vbl5lop2u3t2rp3tom", "b4um86eghhds6nea196smvmlo4ors995", "35mthgpgcu1qg68fab165klnsnk3dpvl"];
    const B5: [&str; 3] = ["k8udemvp1j2f7eg6jebps17vp3n8i58h", "q04jkcevqvmu85r014c7dkba38o0ji5r", "r53bq7cc2uvmubfu5ocmm6pers9tk9en"];

    fn ex() -> Name {
        n("example.")
    }

    #[test]
    fn appendix_a_hashes_match_our_hash() {
        let salt = hex("aabbccdd");
        for (name, label) in [
            ("example.", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"),
            ("c.x.w.example.", "0va5bpr2ou0vk0lbqeeljri88laipsfh"),
            ("*.x.w.example.", "92pqneegtaue7pjatc3l3qnk738c6v5m"),
            ("c.example.", "4g6p9u5gvfshp30pqecj98b3maqbn1ck"),
        ] {
            assert_eq!(nsec3_hash(&n(name), &salt, 12).to_vec(), b32(label), "{name}");
        }
    }

    /// RFC 5155 Appendix B.1 (`a.c.x.w.example. A`): the zone uses opt-out, so the
    /// NXDOMAIN is insecure (RFC 5155 §9.2; Deckard `val_nsec3_b1_nameerror`: no AD).
    #[test]
    fn b1_name_error_under_opt_out_is_insecure() {
        let z = appendix_a();
        let mut budget = Budget::new();
        let p = prove_nxdomain(&n("a.c.x.w.example."), &ex(), &pick(&z, &B1), &mut budget);
        assert_eq!(p, Proof::Insecure(InsecureReason::OptOut));
        assert_eq!(budget.nsec3_hashes(), 4, "qname, next closer, closest encloser, wildcard");
    }

    #[test]
    fn b1_name_error_without_opt_out_is_secure() {
        let z = appendix_a_without_opt_out();
        assert_eq!(prove_nxdomain(&n("a.c.x.w.example."), &ex(), &pick(&z, &B1), &mut Budget::new()), Proof::Proven);
    }

    /// Deckard `val_nsec3_b1_nameerror_nowc`, `_noce`, `_nonc`: each missing piece is bogus.
    #[test]
    fn nxdomain_proof_needs_all_three_records() {
        let z = appendix_a();
        let q = n("a.c.x.w.example.");
        let p = |hashes: &[&str]| prove_nxdomain(&q, &ex(), &pick(&z, hashes), &mut Budget::new());
        assert_eq!(p(&[B1[0], B1[1]]), Proof::NotProven(ProofFailure::WildcardNotDenied));
        assert_eq!(p(&[B1[0], B1[2]]), Proof::NotProven(ProofFailure::NameNotCovered), "no closest encloser match");
        assert_eq!(p(&[B1[1], B1[2]]), Proof::NotProven(ProofFailure::NameNotCovered));
        assert_eq!(p(&[]), Proof::NotProven(ProofFailure::NoRecords));
    }

    #[test]
    fn nxdomain_refused_for_a_name_that_exists() {
        let z = appendix_a();
        let p = prove_nxdomain(&n("ns1.example."), &ex(), &pick(&z, &["2t7b4g4vsa5smi47k61mv5bv1a22bojr"]), &mut Budget::new());
        assert_eq!(p, Proof::NotProven(ProofFailure::NameExists));
    }

    /// RFC 5155 Appendix B.2 (`ns1.example. MX`).
    #[test]
    fn b2_nodata_is_secure_even_in_an_opt_out_zone() {
        let z = appendix_a();
        let recs = pick(&z, &["2t7b4g4vsa5smi47k61mv5bv1a22bojr"]);
        assert_eq!(prove_nodata(&n("ns1.example."), RType::MX, &ex(), &recs, &mut Budget::new()), Proof::Proven);
        assert_eq!(
            prove_nodata(&n("ns1.example."), RType::A, &ex(), &recs, &mut Budget::new()),
            Proof::NotProven(ProofFailure::TypeExists)
        );
    }

    /// RFC 5155 Appendix B.2.1 (`y.w.example. A`): the ENT has an empty bitmap.
    #[test]
    fn b21_empty_non_terminal_nodata_is_secure() {
        let z = appendix_a();
        let recs = pick(&z, &["ji6neoaepv8b5o6k4ev33abha8ht9fgc"]);
        assert_eq!(prove_nodata_response(&n("y.w.example."), RType::A, &ex(), &recs, &mut Budget::new()), Proof::Proven);
    }

    /// RFC 5155 Appendix B.3 (referral to `c.example.`, unsigned, covered by opt-out).
    #[test]
    fn b3_referral_to_opt_out_unsigned_zone_is_insecure() {
        let z = appendix_a();
        let recs = pick(&z, &["35mthgpgcu1qg68fab165klnsnk3dpvl", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"]);
        let out = prove_no_ds(&n("c.example."), &ex(), &recs, &mut Budget::new());
        assert_eq!(out, DsAbsence::Insecure(InsecureReason::OptOut));
        assert!(out.child_is_insecure());
        // Without opt-out the same records prove nothing about a delegation.
        let z = appendix_a_without_opt_out();
        let recs = pick(&z, &["35mthgpgcu1qg68fab165klnsnk3dpvl", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"]);
        assert_eq!(prove_no_ds(&n("c.example."), &ex(), &recs, &mut Budget::new()), DsAbsence::NotProven(ProofFailure::NotOptOut));
    }

    /// RFC 5155 Appendix B.4 (`a.z.w.example. MX` from `*.w.example.`): no AD because the
    /// covering record is opt-out (Deckard `val_nsec3_b4_wild`).
    #[test]
    fn b4_wildcard_answer_needs_the_next_closer_covered() {
        let z = appendix_a();
        let q = n("a.z.w.example.");
        let wc = WildcardExpansion::from_labels(&q, 2).expect("expansion");
        let recs = pick(&z, &["q04jkcevqvmu85r014c7dkba38o0ji5r"]);
        assert_eq!(prove_wildcard_answer(&q, &wc, &ex(), &recs, &mut Budget::new()), Proof::Insecure(InsecureReason::OptOut));
        let z2 = appendix_a_without_opt_out();
        let recs2 = pick(&z2, &["q04jkcevqvmu85r014c7dkba38o0ji5r"]);
        assert_eq!(prove_wildcard_answer(&q, &wc, &ex(), &recs2, &mut Budget::new()), Proof::Proven);
        assert_eq!(
            prove_wildcard_answer(&q, &wc, &ex(), &pick(&z, &[B1[0]]), &mut Budget::new()),
            Proof::NotProven(ProofFailure::NameNotCovered)
        );
    }

    /// RFC 5155 Appendix B.5 (`a.z.w.example. AAAA`).
    #[test]
    fn b5_wildcard_nodata() {
        let q = n("a.z.w.example.");
        let z = appendix_a();
        assert_eq!(
            prove_wildcard_nodata(&q, RType::AAAA, &ex(), &pick(&z, &B5), &mut Budget::new()),
            Proof::Insecure(InsecureReason::OptOut)
        );
        let z2 = appendix_a_without_opt_out();
        assert_eq!(prove_nodata_response(&q, RType::AAAA, &ex(), &pick(&z2, &B5), &mut Budget::new()), Proof::Proven);
        assert_eq!(
            prove_wildcard_nodata(&q, RType::MX, &ex(), &pick(&z2, &B5), &mut Budget::new()),
            Proof::NotProven(ProofFailure::TypeExists)
        );
        // Deckard `val_nsec3_b5_wcnodata_nowc`: without the wildcard record, opt-out still
        // makes the response insecure rather than bogus; without opt-out it is bogus.
        assert_eq!(
            prove_nodata_response(&q, RType::AAAA, &ex(), &pick(&z, &B5[..2]), &mut Budget::new()),
            Proof::Insecure(InsecureReason::OptOut)
        );
        assert_eq!(
            prove_nodata_response(&q, RType::AAAA, &ex(), &pick(&z2, &B5[..2]), &mut Budget::new()),
            Proof::NotProven(ProofFailure::NoMatch)
        );
        // `_noce` / `_nonc`.
        assert!(matches!(
            prove_nodata_response(&q, RType::AAAA, &ex(), &pick(&z, &[B5[1], B5[2]]), &mut Budget::new()),
            Proof::NotProven(_)
        ));
        assert!(matches!(
            prove_nodata_response(&q, RType::AAAA, &ex(), &pick(&z, &[B5[0], B5[2]]), &mut Budget::new()),
            Proof::NotProven(_)
        ));
    }

    /// RFC 5155 Appendix B.6 (`example. DS` answered by the child): refused.
    #[test]
    fn b6_ds_nodata_from_the_child_apex_is_refused() {
        let z = appendix_a();
        let recs = pick(&z, &[B1[0]]);
        assert_eq!(prove_nodata(&ex(), RType::DS, &ex(), &recs, &mut Budget::new()), Proof::NotProven(ProofFailure::ChildSide));
        assert_eq!(prove_no_ds(&ex(), &ex(), &recs, &mut Budget::new()), DsAbsence::NotProven(ProofFailure::ChildSide));
    }

    #[test]
    fn no_ds_at_a_signed_delegation_is_refused_and_a_plain_name_is_no_cut() {
        let z = appendix_a();
        let recs = pick(&z, &["35mthgpgcu1qg68fab165klnsnk3dpvl", "2t7b4g4vsa5smi47k61mv5bv1a22bojr"]);
        assert_eq!(prove_no_ds(&n("a.example."), &ex(), &recs, &mut Budget::new()), DsAbsence::NotProven(ProofFailure::DsExists));
        assert_eq!(prove_no_ds(&n("ns1.example."), &ex(), &recs, &mut Budget::new()), DsAbsence::NotACut);
        // A matching record with NS and without DS: an insecure delegation, securely proven.
        let zone = n("example.");
        let child = n("unsigned.example.");
        let h = nsec3_hash(&child, &[], 0);
        let mut next = h;
        next[19] = next[19].wrapping_add(1);
        let owner = zone.prepend_label(BASE32HEX_NOPAD.encode(&h).to_ascii_lowercase().as_bytes()).expect("owner");
        let rdata = nsec3_rdata(0, 0, &[], &next, &[RType::NS]);
        let recs = [RrRef::new(&owner, &rdata)];
        let out = prove_no_ds(&child, &zone, &recs, &mut Budget::new());
        assert_eq!(out, DsAbsence::InsecureDelegation);
        assert!(out.security().is_secure());
        assert_eq!(prove_nodata(&child, RType::DS, &zone, &recs, &mut Budget::new()), Proof::Proven);
        assert_eq!(prove_nodata(&child, RType::A, &zone, &recs, &mut Budget::new()), Proof::NotProven(ProofFailure::Referral));
    }

    /// The lab's `optout.example.`: `nope.optout.example. A` (NXDOMAIN, AD clear) and
    /// `island.optout.example. DS` (NOERROR, AD clear), on a zone built here with the lab's
    /// RFC 9276 parameters (SHA-1, no salt, 0 iterations) and the Opt-Out flag.
    #[test]
    fn nsec3_optout_nxdomain_and_no_ds_are_insecure() {
        let zone = n("optout.example.");
        let chain = build_chain(&zone, &["optout.example.", "www.optout.example."], 1, 0);
        let recs: Vec<RrRef<'_>> = chain.iter().map(|(o, r)| RrRef::new(o, r)).collect();
        let nope = prove_nxdomain(&n("nope.optout.example."), &zone, &recs, &mut Budget::new());
        assert_eq!(nope, Proof::Insecure(InsecureReason::OptOut));
        assert!(!nope.security().is_secure());
        let island = n("island.optout.example.");
        assert_eq!(prove_nodata(&island, RType::DS, &zone, &recs, &mut Budget::new()), Proof::Insecure(InsecureReason::OptOut));
        assert_eq!(prove_no_ds(&island, &zone, &recs, &mut Budget::new()), DsAbsence::Insecure(InsecureReason::OptOut));
        // A signed name in the same zone still gets a secure NODATA.
        assert_eq!(prove_nodata(&n("www.optout.example."), RType::TXT, &zone, &recs, &mut Budget::new()), Proof::Proven);
        // With a wildcard in the zone, an NXDOMAIN claim is refused outright.
        let chain = build_chain(&zone, &["optout.example.", "www.optout.example.", "*.optout.example."], 1, 0);
        let recs: Vec<RrRef<'_>> = chain.iter().map(|(o, r)| RrRef::new(o, r)).collect();
        let nope = prove_nxdomain(&n("nope.optout.example."), &zone, &recs, &mut Budget::new());
        assert_eq!(nope, Proof::NotProven(ProofFailure::WildcardNotDenied));
    }

    /// A full NSEC3 chain over `names` (the apex first) with the given flags/iterations.
    fn build_chain(zone: &Name, names: &[&str], flags: u8, iterations: u16) -> Vec<(Name, Vec<u8>)> {
        let mut hashes: Vec<(Hash, &str)> = names.iter().map(|s| (nsec3_hash(&n(s), &[], iterations), *s)).collect();
        hashes.sort();
        hashes
            .iter()
            .enumerate()
            .map(|(i, (h, s))| {
                let next = hashes[(i + 1) % hashes.len()].0;
                let types: &[RType] = if n(s) == *zone { &[RType::SOA, RType::NS, RType::DNSKEY, RType::NSEC3PARAM] } else { &[RType::A] };
                let owner = zone.prepend_label(BASE32HEX_NOPAD.encode(h).to_ascii_lowercase().as_bytes()).expect("owner");
                (owner, nsec3_rdata(flags, iterations, &[], &next, types))
            })
            .collect()
    }

    #[test]
    fn n3_zone_without_opt_out_proves_nxdomain_securely() {
        let zone = n("n3.example.");
        let chain = build_chain(&zone, &["n3.example.", "www.n3.example.", "ent.n3.example.", "a.ent.n3.example."], 0, 0);
        let recs: Vec<RrRef<'_>> = chain.iter().map(|(o, r)| RrRef::new(o, r)).collect();
        assert_eq!(prove_nxdomain(&n("nope.n3.example."), &zone, &recs, &mut Budget::new()), Proof::Proven);
        assert_eq!(prove_nxdomain(&n("x.y.nope.n3.example."), &zone, &recs, &mut Budget::new()), Proof::Proven);
        assert_eq!(prove_nodata(&n("www.n3.example."), RType::TXT, &zone, &recs, &mut Budget::new()), Proof::Proven);
        assert_eq!(
            prove_nodata(&n("nope.n3.example."), RType::TXT, &zone, &recs, &mut Budget::new()),
            Proof::NotProven(ProofFailure::NoMatch)
        );
    }

    /// RFC 9276 §3.2: above the limit the answer is insecure (EDE 27), and nothing is hashed.
    #[test]
    fn iterations_above_the_limit_are_insecure_without_hashing() {
        let zone = n("n3.example.");
        let chain = build_chain(&zone, &["n3.example.", "www.n3.example."], 0, NSEC3_MAX_ITERATIONS + 1);
        let recs: Vec<RrRef<'_>> = chain.iter().map(|(o, r)| RrRef::new(o, r)).collect();
        let mut budget = Budget::new();
        let p = prove_nxdomain(&n("nope.n3.example."), &zone, &recs, &mut budget);
        assert_eq!(p, Proof::Insecure(InsecureReason::Nsec3Iterations { iterations: 151 }));
        assert_eq!(p.security().ede_code(), Some(27));
        assert_eq!(budget.nsec3_hashes(), 0);
        assert_eq!(
            prove_no_ds(&n("x.n3.example."), &zone, &recs, &mut budget),
            DsAbsence::Insecure(InsecureReason::Nsec3Iterations { iterations: 151 })
        );
        // At the limit it is still computed.
        let chain = build_chain(&zone, &["n3.example.", "www.n3.example."], 0, NSEC3_MAX_ITERATIONS);
        let recs: Vec<RrRef<'_>> = chain.iter().map(|(o, r)| RrRef::new(o, r)).collect();
        assert_eq!(prove_nxdomain(&n("nope.n3.example."), &zone, &recs, &mut Budget::new()), Proof::Proven);
    }

    /// CVE-2023-50868: a long QNAME costs one hash per label; the budget stops it.
    #[test]
    fn nsec3_hash_budget_is_its_own_outcome() {
        let z = appendix_a();
        let mut budget = Budget::with_limits(BudgetLimits { nsec3_hashes: 3, ..BudgetLimits::default() });
        let p = prove_nxdomain(&n("a.c.x.w.example."), &ex(), &pick(&z, &B1), &mut budget);
        assert_eq!(p, Proof::BudgetExceeded(BudgetExceeded { limit: Limit::Nsec3HashesPerQuery }));
        assert!(matches!(p.security(), crate::validator::Security::Indeterminate(_)));
        let deep = format!("{}example.", "a.".repeat(120));
        let mut budget = Budget::new();
        let p = prove_nxdomain(&n(&deep), &ex(), &pick(&z, &B1), &mut budget);
        assert_eq!(p, Proof::BudgetExceeded(BudgetExceeded { limit: Limit::Nsec3HashesPerQuery }));
        assert_eq!(budget.nsec3_hashes(), BudgetLimits::default().nsec3_hashes);
    }

    #[test]
    fn unknown_hash_algorithm_flags_and_foreign_parameters_are_ignored() {
        let z = appendix_a_without_opt_out();
        let mut recs: Vec<(Name, Vec<u8>)> = pick(&z, &B1).iter().map(|r| (r.owner.clone(), r.rdata.to_vec())).collect();
        // Unknown hash algorithm on every record: nothing usable (RFC 5155 §8.1).
        let mut alg2 = recs.clone();
        alg2.iter_mut().for_each(|(_, r)| r[0] = 2);
        let refs: Vec<RrRef<'_>> = alg2.iter().map(|(o, r)| RrRef::new(o, r)).collect();
        assert_eq!(prove_nxdomain(&n("a.c.x.w.example."), &ex(), &refs, &mut Budget::new()), Proof::NotProven(ProofFailure::NoRecords));
        // Unknown flags on the wildcard-covering record: ignored (§8.2).
        recs[2].1[1] = 0x80;
        let refs: Vec<RrRef<'_>> = recs.iter().map(|(o, r)| RrRef::new(o, r)).collect();
        assert_eq!(
            prove_nxdomain(&n("a.c.x.w.example."), &ex(), &refs, &mut Budget::new()),
            Proof::NotProven(ProofFailure::WildcardNotDenied)
        );
        // A different iteration count on it: ignored too.
        recs[2].1[1] = 0;
        recs[2].1[3] = 13;
        let refs: Vec<RrRef<'_>> = recs.iter().map(|(o, r)| RrRef::new(o, r)).collect();
        assert_eq!(
            prove_nxdomain(&n("a.c.x.w.example."), &ex(), &refs, &mut Budget::new()),
            Proof::NotProven(ProofFailure::WildcardNotDenied)
        );
        // Records of another zone are not used.
        assert_eq!(prove_nxdomain(&n("a.c.x.w.example."), &ex(), &[], &mut Budget::new()), Proof::NotProven(ProofFailure::NoRecords));
        assert_eq!(prove_nxdomain(&n("www.other."), &ex(), &refs, &mut Budget::new()), Proof::NotProven(ProofFailure::OutOfZone));
    }

    /// RFC 5155 §8.3: the closest encloser's record may not be a delegation or DNAME.
    #[test]
    fn closest_encloser_at_a_delegation_is_refused() {
        let zone = n("example.");
        let deleg = n("d.example.");
        let mut chain = build_chain(&zone, &["example.", "d.example.", "www.example."], 0, 0);
        let dh = owner_hash_of(&zone, &deleg);
        for (o, r) in chain.iter_mut() {
            if *o == dh {
                let next = Nsec3View::parse(r).expect("nsec3").next_hash.to_vec();
                *r = nsec3_rdata(0, 0, &[], &next, &[RType::NS]);
            }
        }
        let recs: Vec<RrRef<'_>> = chain.iter().map(|(o, r)| RrRef::new(o, r)).collect();
        assert_eq!(
            prove_nxdomain(&n("x.d.example."), &zone, &recs, &mut Budget::new()),
            Proof::NotProven(ProofFailure::AncestorDelegation)
        );
    }

    fn owner_hash_of(zone: &Name, name: &Name) -> Name {
        zone.prepend_label(BASE32HEX_NOPAD.encode(&nsec3_hash(name, &[], 0)).to_ascii_lowercase().as_bytes()).expect("owner")
    }
}
