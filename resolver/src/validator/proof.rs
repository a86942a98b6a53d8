//! Outcomes shared by the NSEC ([`super::nsec`]) and NSEC3 ([`super::nsec3`]) denial-of-
//! existence proofs (RFC 4035 §5.4, RFC 5155 §8), and the borrowed record form they take.
//!
//! A proof function is pure: it gets records whose signatures the caller has already
//! verified with [`super::signature::verify_rrset`] against the keys of `zone`, and says
//! what they prove. It never returns "Secure" by default: every path that does not
//! complete a proof returns [`Proof::NotProven`] with the missing piece.
//!
//! # Limitations
//! - The records' signatures are not checked here; passing unverified records makes any
//!   outcome meaningless.

use super::limits::BudgetExceeded;
use super::security::{Bogus, BogusReason, InsecureReason, Security};
use tern_shared::wire::{Name, RType, Record};

/// One NSEC or NSEC3 record, borrowed: owner and uncompressed RDATA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RrRef<'a> {
    /// Owner name.
    pub owner: &'a Name,
    /// Uncompressed RDATA.
    pub rdata: &'a [u8],
}

impl<'a> RrRef<'a> {
    /// A record reference from its parts.
    pub fn new(owner: &'a Name, rdata: &'a [u8]) -> RrRef<'a> {
        RrRef { owner, rdata }
    }
}

impl<'a> From<&'a Record> for RrRef<'a> {
    fn from(r: &'a Record) -> RrRef<'a> {
        RrRef { owner: &r.owner, rdata: &r.rdata }
    }
}

/// What is missing or wrong in a denial of existence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum ProofFailure {
    /// No usable NSEC/NSEC3 record of the zone in the response.
    #[error("no usable denial records for the zone")]
    NoRecords,
    /// The name is not in the zone whose records were given.
    #[error("name outside the zone")]
    OutOfZone,
    /// A record matches the name: it exists, so it cannot be denied.
    #[error("the name exists")]
    NameExists,
    /// No record covers the name (or, for NSEC3, the next closer name).
    #[error("no record covers the name")]
    NameNotCovered,
    /// The only covering record is at an ancestor delegation point or DNAME, which cannot
    /// deny names below it (RFC 6840 §4.1, RFC 5155 §8.3).
    #[error("covering record is from an ancestor delegation or DNAME")]
    AncestorDelegation,
    /// No record matches the name for a NODATA proof.
    #[error("no record matches the name")]
    NoMatch,
    /// The matching record lists the queried type.
    #[error("the type exists")]
    TypeExists,
    /// The matching record lists CNAME (RFC 6840 §4.3): the answer should have been a CNAME.
    #[error("a CNAME exists at the name")]
    CnameExists,
    /// The matching record is a delegation point (NS without SOA): this is a referral, and
    /// the parent is not authoritative for other types there (RFC 4035 §5.4, RFC 6840 §4.1).
    #[error("the record is from a delegation point")]
    Referral,
    /// A DS denial from the child's apex (SOA set) instead of the parent (RFC 5155 §8.9,
    /// RFC 4035 §5.2).
    #[error("DS denial from the child side of the zone cut")]
    ChildSide,
    /// The DS type bit is set: a DS RRset exists.
    #[error("a DS RRset exists")]
    DsExists,
    /// No record covers the wildcard at the closest encloser (RFC 4035 §5.4, RFC 5155 §8.4).
    #[error("the wildcard at the closest encloser is not denied")]
    WildcardNotDenied,
    /// No record matches the wildcard at the closest encloser (RFC 5155 §8.7).
    #[error("no record matches the wildcard")]
    WildcardNotFound,
    /// The closest encloser the denial implies is not the one the RRSIG Labels field
    /// implies (RFC 4035 §5.3.4).
    #[error("wildcard does not match the closest encloser")]
    WildcardMismatch,
    /// No closest encloser proof (RFC 5155 §8.3).
    #[error("no closest encloser proof")]
    NoClosestEncloser,
    /// The next closer name is covered by a record without the Opt-Out flag where only
    /// opt-out could excuse the missing match (RFC 5155 §8.6, §8.9).
    #[error("next closer name not covered by an opt-out NSEC3")]
    NotOptOut,
}

impl From<ProofFailure> for Bogus {
    fn from(f: ProofFailure) -> Bogus {
        Bogus::new(BogusReason::DenialNotProven(f))
    }
}

/// The outcome of a denial-of-existence proof.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// Proven: the denial is secure.
    Proven,
    /// Proven only as far as an opt-out span or an NSEC3 iteration limit allows: the
    /// answer is insecure (RFC 5155 §9.2, RFC 9276 §3.2). Never produced by NSEC proofs.
    Insecure(InsecureReason),
    /// Not proven: the answer is bogus (EDE 12).
    NotProven(ProofFailure),
    /// The NSEC3 hash budget ran out (CVE-2023-50868): indeterminate, not bogus.
    BudgetExceeded(BudgetExceeded),
}

impl Proof {
    /// True for [`Proof::Proven`].
    pub fn is_proven(&self) -> bool {
        matches!(self, Proof::Proven)
    }

    /// The security status this proof gives the negative answer.
    pub fn security(&self) -> Security {
        match *self {
            Proof::Proven => Security::Secure,
            Proof::Insecure(r) => Security::Insecure(r),
            Proof::NotProven(f) => Security::Bogus(f.into()),
            Proof::BudgetExceeded(e) => Security::Indeterminate(e),
        }
    }

    /// `self` if it settles the question (anything but NotProven), else `other()`; for a
    /// response that may be either of two kinds (NODATA or wildcard NODATA). A second
    /// failure is reported as the first one.
    pub(crate) fn or_else(self, other: impl FnOnce() -> Proof) -> Proof {
        match self {
            Proof::NotProven(first) => match other() {
                Proof::NotProven(_) => Proof::NotProven(first),
                settled => settled,
            },
            settled => settled,
        }
    }
}

/// What a denial of DS at a name establishes (RFC 4035 §5.2, RFC 5155 §8.6 and §8.9). The
/// driver walking the chain of trust downwards needs more than "no DS": whether the name is
/// a zone cut at all. Treating "not a cut" as "insecure child" would let an attacker replay
/// a genuine DS denial to strip signatures from data the parent zone itself signs.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DsAbsence {
    /// A delegation point (NS set, SOA clear) without DS, securely proven: the child zone
    /// is insecure (RFC 4035 §5.2, RFC 6840 §4.4).
    InsecureDelegation,
    /// The name exists and is not a zone cut (NS clear, or an empty non-terminal): there is
    /// no DS and no child zone here; validation continues with the parent's keys.
    NotACut,
    /// Only an opt-out span (or an NSEC3 iteration count above the limit) excuses the
    /// missing DS: any delegation here is insecure and so is the DS denial itself
    /// (RFC 5155 §8.6, §8.9, §9.2; RFC 9276 §3.2).
    Insecure(InsecureReason),
    /// Not proven: bogus (EDE 12).
    NotProven(ProofFailure),
    /// The NSEC3 hash budget ran out: indeterminate.
    BudgetExceeded(BudgetExceeded),
}

impl DsAbsence {
    /// The security of the DS NODATA answer itself (AD on the reply to a DS query).
    pub fn security(&self) -> Security {
        match *self {
            DsAbsence::InsecureDelegation | DsAbsence::NotACut => Security::Secure,
            DsAbsence::Insecure(r) => Security::Insecure(r),
            DsAbsence::NotProven(f) => Security::Bogus(f.into()),
            DsAbsence::BudgetExceeded(e) => Security::Indeterminate(e),
        }
    }

    /// True when the zone below the name (if any) must be treated as insecure.
    pub fn child_is_insecure(&self) -> bool {
        matches!(self, DsAbsence::InsecureDelegation | DsAbsence::Insecure(_))
    }
}

/// RFC 6840 §4.1, RFC 5155 §8.3: a record at a delegation point (NS without SOA) or with a
/// DNAME cannot deny anything below its owner.
pub(crate) fn blocks_descendants(has: impl Fn(RType) -> bool) -> bool {
    has(RType::DNAME) || (has(RType::NS) && !has(RType::SOA))
}

/// A record at a delegation point in the parent zone: NS set, SOA clear.
pub(crate) fn is_delegation(has: impl Fn(RType) -> bool) -> bool {
    has(RType::NS) && !has(RType::SOA)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validator::limits::Limit;

    #[test]
    fn proof_outcomes_map_to_security() {
        assert_eq!(Proof::Proven.security(), Security::Secure);
        assert_eq!(Proof::Insecure(InsecureReason::OptOut).security(), Security::Insecure(InsecureReason::OptOut));
        assert_eq!(Proof::NotProven(ProofFailure::NoMatch).security().ede_code(), Some(12));
        let e = BudgetExceeded { limit: Limit::Nsec3HashesPerQuery };
        assert_eq!(Proof::BudgetExceeded(e).security(), Security::Indeterminate(e));
        assert!(DsAbsence::InsecureDelegation.child_is_insecure());
        assert!(!DsAbsence::NotACut.child_is_insecure());
        assert_eq!(DsAbsence::NotACut.security(), Security::Secure);
        assert_eq!(DsAbsence::Insecure(InsecureReason::OptOut).security(), Security::Insecure(InsecureReason::OptOut));
    }

    #[test]
    fn or_else_keeps_the_first_failure_and_takes_a_settled_second() {
        let p = Proof::NotProven(ProofFailure::NoMatch).or_else(|| Proof::NotProven(ProofFailure::WildcardNotFound));
        assert_eq!(p, Proof::NotProven(ProofFailure::NoMatch));
        assert_eq!(Proof::NotProven(ProofFailure::NoMatch).or_else(|| Proof::Proven), Proof::Proven);
        assert_eq!(Proof::Proven.or_else(|| Proof::NotProven(ProofFailure::NoMatch)), Proof::Proven);
    }
}
