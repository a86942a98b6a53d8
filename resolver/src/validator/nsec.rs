//! Denial of existence with NSEC (RFC 4035 §5.4, RFC 4034 §4, RFC 6840 §4.1, §4.3,
//! §4.4): each function proves one thing from the verified NSEC records of a response.
//!
//! - An NSEC *matches* a name when its owner is that name; it then lists the name's types.
//! - An NSEC *covers* a name when the name sorts strictly between the owner and the next
//!   name in RFC 4034 §6.1 canonical order; for the last NSEC of the zone, whose next name
//!   is the apex, everything in the zone after the owner is covered.
//! - An NSEC whose owner is a delegation point (NS set, SOA clear) or has DNAME cannot
//!   cover names below its owner: the zone is not authoritative there (RFC 6840 §4.1).
//! - The closest encloser of a covered name is the longer of its common ancestors with the
//!   covering NSEC's owner and next name; the wildcard that could have matched is `*.` +
//!   the closest encloser (RFC 4035 §5.4, RFC 4592).
//!
//! Callers pass the records of one zone (`zone`, the signer of their RRSIGs), already
//! verified. Records whose owner is outside `zone` or whose RDATA is malformed are ignored.
//!
//! # Limitations
//! - NSEC records are scanned linearly: responses carry a handful.
//! - The type bitmaps are trusted as signed; RFC 6840 §4.5 (bitmap errors) needs no
//!   special handling because a malformed bitmap simply lacks the bits.

use super::proof::{blocks_descendants, is_delegation, DsAbsence, Proof, ProofFailure, RrRef};
use super::signature::WildcardExpansion;
use tern_shared::wire::rdata::bitmap_has;
use tern_shared::wire::record::nsec_parts;
use tern_shared::wire::{Name, RType};

/// One parsed NSEC record.
struct Nsec<'a> {
    owner: &'a Name,
    next: Name,
    bitmap: &'a [u8],
}

impl Nsec<'_> {
    fn has(&self, t: RType) -> bool {
        bitmap_has(self.bitmap, t)
    }

    /// RFC 4034 §4.1.1 / §6.1: `name` sorts strictly between owner and next; for the last
    /// NSEC (next name is the apex, or a one-name zone) everything after the owner.
    fn covers(&self, name: &Name, zone: &Name) -> bool {
        if self.owner >= name {
            return false;
        }
        if self.owner < &self.next {
            name < &self.next
        } else {
            self.next == *zone
        }
    }

    /// RFC 6840 §4.1: an NSEC at a delegation point or DNAME says nothing below its owner.
    fn usable_below(&self, name: &Name) -> bool {
        !(name != self.owner && name.is_subdomain_of(self.owner) && blocks_descendants(|t| self.has(t)))
    }

    /// The closest encloser of a name this NSEC covers: the longer of its common ancestors
    /// with the owner and the next name (RFC 4035 §5.4).
    fn closest_encloser(&self, name: &Name) -> Name {
        let labels = name.common_labels(self.owner).max(name.common_labels(&self.next));
        name.suffix(labels)
    }
}

/// The usable NSEC records of `zone`.
fn parse<'a>(zone: &Name, records: &[RrRef<'a>]) -> Vec<Nsec<'a>> {
    records
        .iter()
        .filter(|r| r.owner.is_subdomain_of(zone))
        .filter_map(|r| {
            let (next, bitmap) = nsec_parts(r.rdata)?;
            Some(Nsec { owner: r.owner, next, bitmap })
        })
        .collect()
}

fn matching<'s, 'a>(nsecs: &'s [Nsec<'a>], name: &Name) -> Option<&'s Nsec<'a>> {
    nsecs.iter().find(|n| n.owner == name)
}

/// The NSEC that covers `name` and may speak for it.
fn covering<'s, 'a>(nsecs: &'s [Nsec<'a>], name: &Name, zone: &Name) -> Result<&'s Nsec<'a>, ProofFailure> {
    let mut failure = ProofFailure::NameNotCovered;
    for n in nsecs.iter().filter(|n| n.covers(name, zone)) {
        if n.usable_below(name) {
            return Ok(n);
        }
        failure = ProofFailure::AncestorDelegation;
    }
    Err(failure)
}

/// RFC 4035 §3.1.3.2: `name` is an empty non-terminal when an NSEC covers it whose next
/// name is a descendant of it (the name exists because a name below it does).
fn is_empty_non_terminal(nsecs: &[Nsec<'_>], name: &Name, zone: &Name) -> bool {
    nsecs.iter().any(|n| n.covers(name, zone) && n.usable_below(name) && n.next != *name && n.next.is_subdomain_of(name))
}

/// Common entry checks: the name is in the zone and there is something to work with.
fn prepare<'a>(name: &Name, zone: &Name, records: &[RrRef<'a>]) -> Result<Vec<Nsec<'a>>, ProofFailure> {
    if !name.is_subdomain_of(zone) {
        return Err(ProofFailure::OutOfZone);
    }
    let nsecs = parse(zone, records);
    if nsecs.is_empty() {
        return Err(ProofFailure::NoRecords);
    }
    Ok(nsecs)
}

macro_rules! try_proof {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(f) => return Proof::NotProven(f),
        }
    };
}

/// RFC 4035 §5.4 (name error): an NSEC covers `qname` (so it does not exist) and an NSEC
/// covers the wildcard at its closest encloser (so no wildcard could have answered).
pub fn prove_nxdomain(qname: &Name, zone: &Name, nsecs: &[RrRef<'_>]) -> Proof {
    let nsecs = try_proof!(prepare(qname, zone, nsecs));
    if matching(&nsecs, qname).is_some() {
        return Proof::NotProven(ProofFailure::NameExists);
    }
    let cover = try_proof!(covering(&nsecs, qname, zone));
    let ce = cover.closest_encloser(qname);
    if !ce.is_subdomain_of(zone) {
        return Proof::NotProven(ProofFailure::NameNotCovered);
    }
    let Ok(wildcard) = ce.wildcard_child() else { return Proof::NotProven(ProofFailure::WildcardNotDenied) };
    if matching(&nsecs, &wildcard).is_some() {
        return Proof::NotProven(ProofFailure::WildcardNotDenied);
    }
    match covering(&nsecs, &wildcard, zone) {
        Ok(_) => Proof::Proven,
        Err(_) => Proof::NotProven(ProofFailure::WildcardNotDenied),
    }
}

/// RFC 4035 §5.4 (no data): an NSEC matches `qname` without `qtype` or CNAME in its
/// bitmap (RFC 6840 §4.3); or `qname` is an empty non-terminal: an NSEC covers it whose
/// next name is a descendant of `qname` (RFC 4035 §3.1.3.2).
///
/// For DS the matching NSEC must come from the parent side: SOA clear unless `qname` is
/// the root, and `qname` is not the apex of `zone` (RFC 4035 §5.2). For other types an
/// NSEC at a delegation point (NS set, SOA clear) proves nothing: that is a referral
/// (RFC 6840 §4.1).
pub fn prove_nodata(qname: &Name, qtype: RType, zone: &Name, nsecs: &[RrRef<'_>]) -> Proof {
    let nsecs = try_proof!(prepare(qname, zone, nsecs));
    if qtype == RType::DS && qname == zone && !qname.is_root() {
        return Proof::NotProven(ProofFailure::ChildSide);
    }
    if let Some(m) = matching(&nsecs, qname) {
        if m.has(qtype) {
            return Proof::NotProven(ProofFailure::TypeExists);
        }
        if m.has(RType::CNAME) {
            return Proof::NotProven(ProofFailure::CnameExists);
        }
        if qtype == RType::DS {
            if m.has(RType::SOA) && !qname.is_root() {
                return Proof::NotProven(ProofFailure::ChildSide);
            }
        } else if is_delegation(|t| m.has(t)) {
            return Proof::NotProven(ProofFailure::Referral);
        }
        return Proof::Proven;
    }
    if is_empty_non_terminal(&nsecs, qname, zone) {
        Proof::Proven
    } else {
        Proof::NotProven(ProofFailure::NoMatch)
    }
}

/// RFC 4035 §5.4 (wildcard no data): an NSEC covers `qname` and an NSEC matches the
/// wildcard at its closest encloser without `qtype` or CNAME.
pub fn prove_wildcard_nodata(qname: &Name, qtype: RType, zone: &Name, nsecs: &[RrRef<'_>]) -> Proof {
    let nsecs = try_proof!(prepare(qname, zone, nsecs));
    if matching(&nsecs, qname).is_some() {
        return Proof::NotProven(ProofFailure::NameExists);
    }
    let cover = try_proof!(covering(&nsecs, qname, zone));
    let ce = cover.closest_encloser(qname);
    let Ok(wildcard) = ce.wildcard_child() else { return Proof::NotProven(ProofFailure::WildcardNotFound) };
    let Some(w) = matching(&nsecs, &wildcard) else { return Proof::NotProven(ProofFailure::WildcardNotFound) };
    if w.has(qtype) {
        return Proof::NotProven(ProofFailure::TypeExists);
    }
    if w.has(RType::CNAME) {
        return Proof::NotProven(ProofFailure::CnameExists);
    }
    if qtype != RType::DS && is_delegation(|t| w.has(t)) {
        return Proof::NotProven(ProofFailure::Referral);
    }
    Proof::Proven
}

/// A NOERROR response without the data: either [`prove_nodata`] or
/// [`prove_wildcard_nodata`] must hold. The first failure is reported if neither does.
pub fn prove_nodata_response(qname: &Name, qtype: RType, zone: &Name, nsecs: &[RrRef<'_>]) -> Proof {
    prove_nodata(qname, qtype, zone, nsecs).or_else(|| prove_wildcard_nodata(qname, qtype, zone, nsecs))
}

/// RFC 4035 §5.3.4: a verified wildcard answer for `qname` (see
/// [`super::signature::Verified::wildcard`]) is secure only if an NSEC covers `qname` and
/// its closest encloser is the one the RRSIG Labels field gives — so no closer name exists
/// that should have answered instead.
pub fn prove_wildcard_answer(qname: &Name, wildcard: &WildcardExpansion, zone: &Name, nsecs: &[RrRef<'_>]) -> Proof {
    let nsecs = try_proof!(prepare(qname, zone, nsecs));
    let ce = &wildcard.closest_encloser;
    if qname == ce || !qname.is_subdomain_of(ce) || !ce.is_subdomain_of(zone) {
        return Proof::NotProven(ProofFailure::WildcardMismatch);
    }
    if matching(&nsecs, qname).is_some() {
        return Proof::NotProven(ProofFailure::NameExists);
    }
    let mut failure = ProofFailure::NameNotCovered;
    for n in nsecs.iter().filter(|n| n.covers(qname, zone)) {
        if !n.usable_below(qname) {
            failure = ProofFailure::AncestorDelegation;
        } else if n.closest_encloser(qname) == *ce {
            return Proof::Proven;
        } else {
            failure = ProofFailure::WildcardMismatch;
        }
    }
    Proof::NotProven(failure)
}

/// RFC 4035 §5.2, RFC 6840 §4.4: what the NSEC records of `zone` (the parent) say about a
/// DS RRset at `name`: an NSEC matching `name` with DS clear and SOA clear proves there is
/// no DS; with NS set that is an insecure delegation, without NS (or for an empty
/// non-terminal) `name` is no zone cut at all.
pub fn prove_no_ds(name: &Name, zone: &Name, nsecs: &[RrRef<'_>]) -> DsAbsence {
    let nsecs = match prepare(name, zone, nsecs) {
        Ok(n) => n,
        Err(f) => return DsAbsence::NotProven(f),
    };
    if name == zone && !name.is_root() {
        return DsAbsence::NotProven(ProofFailure::ChildSide);
    }
    if let Some(m) = matching(&nsecs, name) {
        if m.has(RType::DS) {
            return DsAbsence::NotProven(ProofFailure::DsExists);
        }
        if m.has(RType::SOA) && !name.is_root() {
            return DsAbsence::NotProven(ProofFailure::ChildSide);
        }
        return if m.has(RType::NS) { DsAbsence::InsecureDelegation } else { DsAbsence::NotACut };
    }
    if is_empty_non_terminal(&nsecs, name, zone) {
        DsAbsence::NotACut
    } else {
        DsAbsence::NotProven(ProofFailure::NoMatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validator::security::InsecureReason;
    use crate::validator::testutil::*;

    /// The NSEC chain of the RFC 4035 Appendix A zone `example.`.
    fn rfc4035_zone() -> Vec<(Name, Vec<u8>)> {
        use RType as T;
        let chain: [(&str, &str, &[RType]); 10] = [
            ("example.", "a.example.", &[T::NS, T::SOA, T::MX, T::RRSIG, T::NSEC, T::DNSKEY]),
            ("a.example.", "ai.example.", &[T::NS, T::DS, T::RRSIG, T::NSEC]),
            ("ai.example.", "b.example.", &[T::A, T::HINFO, T::AAAA, T::RRSIG, T::NSEC]),
            ("b.example.", "ns1.example.", &[T::NS, T::RRSIG, T::NSEC]),
            ("ns1.example.", "ns2.example.", &[T::A, T::RRSIG, T::NSEC]),
            ("ns2.example.", "*.w.example.", &[T::A, T::RRSIG, T::NSEC]),
            ("*.w.example.", "x.w.example.", &[T::MX, T::RRSIG, T::NSEC]),
            ("x.w.example.", "x.y.w.example.", &[T::MX, T::RRSIG, T::NSEC]),
            ("x.y.w.example.", "xx.example.", &[T::MX, T::RRSIG, T::NSEC]),
            ("xx.example.", "example.", &[T::A, T::HINFO, T::AAAA, T::RRSIG, T::NSEC]),
        ];
        chain.iter().map(|(o, next, types)| (n(o), nsec_rdata(next, types))).collect()
    }

    /// The records of the zone with the given owners, as a response would carry them.
    fn pick<'a>(zone: &'a [(Name, Vec<u8>)], owners: &[&str]) -> Vec<RrRef<'a>> {
        owners
            .iter()
            .map(|o| {
                let (name, rdata) = zone.iter().find(|(name, _)| *name == n(o)).expect("owner in zone");
                RrRef::new(name, rdata)
            })
            .collect()
    }

    fn ex() -> Name {
        n("example.")
    }

    /// RFC 4035 Appendix B.2: `ml.example. A`.
    #[test]
    fn nxdomain_proof_with_wildcard_coverage_is_proven() {
        let z = rfc4035_zone();
        let recs = pick(&z, &["b.example.", "example."]);
        assert_eq!(prove_nxdomain(&n("ml.example."), &ex(), &recs), Proof::Proven);
    }

    #[test]
    fn nxdomain_proof_needs_wildcard_coverage() {
        let z = rfc4035_zone();
        let recs = pick(&z, &["b.example."]);
        assert_eq!(prove_nxdomain(&n("ml.example."), &ex(), &recs), Proof::NotProven(ProofFailure::WildcardNotDenied));
        // The qname itself must be covered.
        let recs = pick(&z, &["example."]);
        assert_eq!(prove_nxdomain(&n("ml.example."), &ex(), &recs), Proof::NotProven(ProofFailure::NameNotCovered));
    }

    #[test]
    fn nxdomain_refused_when_the_name_or_its_wildcard_exists() {
        let z = rfc4035_zone();
        let recs = pick(&z, &["ns1.example.", "example."]);
        assert_eq!(prove_nxdomain(&n("ns1.example."), &ex(), &recs), Proof::NotProven(ProofFailure::NameExists));
        // a.w.example. would have been synthesised from *.w.example.
        let recs = pick(&z, &["*.w.example."]);
        assert_eq!(prove_nxdomain(&n("a.w.example."), &ex(), &recs), Proof::NotProven(ProofFailure::WildcardNotDenied));
        assert_eq!(prove_nxdomain(&n("www.other."), &ex(), &recs), Proof::NotProven(ProofFailure::OutOfZone));
        assert_eq!(prove_nxdomain(&n("ml.example."), &ex(), &[]), Proof::NotProven(ProofFailure::NoRecords));
    }

    #[test]
    fn nxdomain_covering_wraps_around_at_the_last_nsec() {
        let z = rfc4035_zone();
        let recs = pick(&z, &["xx.example.", "example."]);
        assert_eq!(prove_nxdomain(&n("zzz.example."), &ex(), &recs), Proof::Proven);
        assert_eq!(prove_nxdomain(&n("a.zzz.example."), &ex(), &recs), Proof::Proven);
        // A one-NSEC zone: the apex NSEC points at itself and covers everything else.
        let only = (n("solo."), nsec_rdata("solo.", &[RType::SOA, RType::NS, RType::NSEC]));
        let recs = [RrRef::new(&only.0, &only.1)];
        assert_eq!(prove_nxdomain(&n("x.solo."), &n("solo."), &recs), Proof::Proven);
    }

    /// RFC 6840 §4.1: `b.example.` is an unsigned delegation; its NSEC cannot deny names
    /// below it, though canonically it "covers" them.
    #[test]
    fn ancestor_delegation_nsec_is_refused() {
        let z = rfc4035_zone();
        let recs = pick(&z, &["b.example.", "example."]);
        assert_eq!(prove_nxdomain(&n("foo.b.example."), &ex(), &recs), Proof::NotProven(ProofFailure::AncestorDelegation));
        assert_eq!(prove_nodata(&n("foo.b.example."), RType::A, &ex(), &recs), Proof::NotProven(ProofFailure::NoMatch));
        // Same for a DNAME owner.
        let dn = [
            (n("d.test."), nsec_rdata("z.test.", &[RType::DNAME, RType::RRSIG, RType::NSEC])),
            (n("test."), nsec_rdata("d.test.", &[RType::SOA, RType::NS])),
        ];
        let recs: Vec<RrRef<'_>> = dn.iter().map(|(o, r)| RrRef::new(o, r)).collect();
        assert_eq!(prove_nxdomain(&n("x.d.test."), &n("test."), &recs), Proof::NotProven(ProofFailure::AncestorDelegation));
    }

    /// RFC 4035 Appendix B.3: `ns1.example. MX`.
    #[test]
    fn nodata_proof_needs_the_type_and_cname_bits_clear() {
        let z = rfc4035_zone();
        let recs = pick(&z, &["ns1.example."]);
        assert_eq!(prove_nodata(&n("ns1.example."), RType::MX, &ex(), &recs), Proof::Proven);
        assert_eq!(prove_nodata(&n("ns1.example."), RType::A, &ex(), &recs), Proof::NotProven(ProofFailure::TypeExists));
        assert_eq!(prove_nodata(&n("ns2.example."), RType::MX, &ex(), &recs), Proof::NotProven(ProofFailure::NoMatch));
        let cname = (n("c.example."), nsec_rdata("d.example.", &[RType::CNAME, RType::RRSIG, RType::NSEC]));
        let recs = [RrRef::new(&cname.0, &cname.1)];
        assert_eq!(prove_nodata(&n("c.example."), RType::A, &ex(), &recs), Proof::NotProven(ProofFailure::CnameExists));
    }

    /// `y.w.example.` exists only because `x.y.w.example.` does.
    #[test]
    fn empty_non_terminal_nodata_is_proven() {
        let z = rfc4035_zone();
        let recs = pick(&z, &["x.w.example."]);
        assert_eq!(prove_nodata(&n("y.w.example."), RType::A, &ex(), &recs), Proof::Proven);
        assert_eq!(prove_nodata_response(&n("y.w.example."), RType::A, &ex(), &recs), Proof::Proven);
        // Covering alone, with a next name that is not a descendant, is an NXDOMAIN proof.
        let recs = pick(&z, &["b.example."]);
        assert_eq!(prove_nodata(&n("ml.example."), RType::A, &ex(), &recs), Proof::NotProven(ProofFailure::NoMatch));
    }

    #[test]
    fn delegation_nsec_is_a_referral_not_nodata() {
        let z = rfc4035_zone();
        let recs = pick(&z, &["b.example."]);
        assert_eq!(prove_nodata(&n("b.example."), RType::A, &ex(), &recs), Proof::NotProven(ProofFailure::Referral));
        // For DS it is exactly the proof wanted (RFC 4035 Appendix B.5).
        assert_eq!(prove_nodata(&n("b.example."), RType::DS, &ex(), &recs), Proof::Proven);
    }

    /// RFC 4035 Appendix B.8: `example. DS` answered by the child zone.
    #[test]
    fn ds_nodata_from_the_child_apex_is_refused() {
        let z = rfc4035_zone();
        let recs = pick(&z, &["example."]);
        assert_eq!(prove_nodata(&ex(), RType::DS, &ex(), &recs), Proof::NotProven(ProofFailure::ChildSide));
        assert_eq!(prove_no_ds(&ex(), &ex(), &recs), DsAbsence::NotProven(ProofFailure::ChildSide));
        // The root has no parent: its apex NSEC may deny a DS.
        let root = (Name::root(), nsec_rdata("a.", &[RType::SOA, RType::NS, RType::NSEC]));
        let recs = [RrRef::new(&root.0, &root.1)];
        assert_eq!(prove_nodata(&Name::root(), RType::DS, &Name::root(), &recs), Proof::Proven);
    }

    /// RFC 4035 Appendix B.5 and §5.2: `b.example.` has NS and no DS.
    #[test]
    fn no_ds_at_a_delegation_is_an_insecure_delegation() {
        let z = rfc4035_zone();
        let recs = pick(&z, &["b.example.", "ns1.example.", "x.w.example.", "a.example."]);
        let out = prove_no_ds(&n("b.example."), &ex(), &recs);
        assert_eq!(out, DsAbsence::InsecureDelegation);
        assert!(out.child_is_insecure());
        assert!(out.security().is_secure(), "the DS denial itself is secure");
        // A name without NS, or an empty non-terminal, is no zone cut.
        assert_eq!(prove_no_ds(&n("ns1.example."), &ex(), &recs), DsAbsence::NotACut);
        assert_eq!(prove_no_ds(&n("y.w.example."), &ex(), &recs), DsAbsence::NotACut);
        assert_eq!(prove_no_ds(&n("a.example."), &ex(), &recs), DsAbsence::NotProven(ProofFailure::DsExists));
        assert_eq!(prove_no_ds(&n("ml.example."), &ex(), &recs), DsAbsence::NotProven(ProofFailure::NoMatch));
        assert!(!matches!(prove_no_ds(&n("b.example."), &ex(), &recs), DsAbsence::Insecure(InsecureReason::OptOut)));
    }

    /// RFC 4035 Appendix B.6: `a.z.w.example. MX` synthesised from `*.w.example.`.
    #[test]
    fn wildcard_answer_needs_no_closer_match() {
        let z = rfc4035_zone();
        let wc = WildcardExpansion::from_labels(&n("a.z.w.example."), 2).expect("expansion");
        let recs = pick(&z, &["x.y.w.example."]);
        assert_eq!(prove_wildcard_answer(&n("a.z.w.example."), &wc, &ex(), &recs), Proof::Proven);
        assert_eq!(prove_wildcard_answer(&n("a.z.w.example."), &wc, &ex(), &[]), Proof::NotProven(ProofFailure::NoRecords));
        // Claimed from `*.example.` instead: the NSEC shows `w.example.` exists.
        let wrong = WildcardExpansion::from_labels(&n("a.z.w.example."), 1).expect("expansion");
        assert_eq!(prove_wildcard_answer(&n("a.z.w.example."), &wrong, &ex(), &recs), Proof::NotProven(ProofFailure::WildcardMismatch));
        // Replaying wildcard data for a name that exists.
        let wc = WildcardExpansion::from_labels(&n("x.w.example."), 2).expect("expansion");
        let recs = pick(&z, &["x.w.example.", "*.w.example."]);
        assert_eq!(prove_wildcard_answer(&n("x.w.example."), &wc, &ex(), &recs), Proof::NotProven(ProofFailure::NameExists));
    }

    /// RFC 4035 Appendix B.7: `a.z.w.example. AAAA`.
    #[test]
    fn wildcard_nodata_needs_the_wildcard_without_the_type() {
        let z = rfc4035_zone();
        let recs = pick(&z, &["x.y.w.example.", "*.w.example."]);
        assert_eq!(prove_wildcard_nodata(&n("a.z.w.example."), RType::AAAA, &ex(), &recs), Proof::Proven);
        assert_eq!(prove_nodata_response(&n("a.z.w.example."), RType::AAAA, &ex(), &recs), Proof::Proven);
        assert_eq!(prove_wildcard_nodata(&n("a.z.w.example."), RType::MX, &ex(), &recs), Proof::NotProven(ProofFailure::TypeExists));
        let recs = pick(&z, &["x.y.w.example."]);
        assert_eq!(
            prove_wildcard_nodata(&n("a.z.w.example."), RType::AAAA, &ex(), &recs),
            Proof::NotProven(ProofFailure::WildcardNotFound)
        );
        assert_eq!(prove_nodata_response(&n("a.z.w.example."), RType::AAAA, &ex(), &recs), Proof::NotProven(ProofFailure::NoMatch));
    }

    #[test]
    fn malformed_or_foreign_records_are_ignored() {
        let junk = [(n("example."), vec![0xff, 0x00]), (n("a.other."), nsec_rdata("z.other.", &[RType::A]))];
        let recs: Vec<RrRef<'_>> = junk.iter().map(|(o, r)| RrRef::new(o, r)).collect();
        assert_eq!(prove_nxdomain(&n("m.example."), &ex(), &recs), Proof::NotProven(ProofFailure::NoRecords));
    }
}
