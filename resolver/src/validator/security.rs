//! The security status of validated data (RFC 4035 §4.3) and why it is what it is.
//!
//! - [`Security::Secure`]: an unbroken chain of signed DNSKEY and DS records from a trust
//!   anchor reaches the data (or its denial).
//! - [`Security::Insecure`]: there is proof that no such chain exists (a proven unsigned
//!   delegation, an opt-out span, only unsupported algorithms or digests, an NSEC3
//!   iteration count above [`super::limits::NSEC3_MAX_ITERATIONS`]), with an
//!   [`InsecureReason`] that may carry an EDE code.
//! - [`Security::Bogus`]: a chain should exist and does not verify. Every [`BogusReason`]
//!   maps to an RFC 8914 Extended DNS Error code for the SERVFAIL it turns into.
//! - [`Security::Indeterminate`]: the work budget ran out before we knew (KeyTrap limits);
//!   RFC 4035 §4.3 "Indeterminate", answered with SERVFAIL and EDE 5.
//!
//! An answer that crosses zones (a CNAME chain, a DNAME) is only as strong as its weakest
//! part: [`Security::combine`].
//!
//! # Limitations
//! - Negative trust anchors (RFC 7646) and "outside every trust anchor" are the driver's
//!   decisions; it reports them with [`InsecureReason::NoTrustAnchor`].

use super::limits::BudgetExceeded;
use super::proof::ProofFailure;
use std::fmt;
use tern_shared::wire::{ede, Name, RType};

/// The outcome of validating an answer, an RRset or a proof.
#[must_use]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Security {
    /// Validated from a trust anchor: the AD bit may be set.
    Secure,
    /// Provably unsigned: served without AD.
    Insecure(InsecureReason),
    /// Should validate and does not: SERVFAIL with the reason's EDE code.
    Bogus(Bogus),
    /// The work budget ran out first: SERVFAIL with EDE 5, counted in a metric.
    Indeterminate(BudgetExceeded),
}

impl Security {
    /// Rank for [`Security::combine`]: lower is weaker.
    fn strength(&self) -> u8 {
        match self {
            Security::Bogus(_) => 0,
            Security::Indeterminate(_) => 1,
            Security::Insecure(_) => 2,
            Security::Secure => 3,
        }
    }

    /// The weaker of two outcomes, for an answer assembled from several RRsets or zones
    /// (Bogus < Indeterminate < Insecure < Secure); on a tie the first is kept.
    pub fn combine(self, other: Security) -> Security {
        if other.strength() < self.strength() {
            other
        } else {
            self
        }
    }

    /// True only for [`Security::Secure`].
    pub fn is_secure(&self) -> bool {
        matches!(self, Security::Secure)
    }

    /// True for [`Security::Bogus`].
    pub fn is_bogus(&self) -> bool {
        matches!(self, Security::Bogus(_))
    }

    /// The RFC 8914 EDE code to attach, if any: the bogus reason's code, 5 (DNSSEC
    /// Indeterminate) for an exhausted budget, the insecure reason's code if it has one.
    pub fn ede_code(&self) -> Option<u16> {
        match self {
            Security::Secure => None,
            Security::Insecure(r) => r.ede_code(),
            Security::Bogus(b) => Some(b.ede_code()),
            Security::Indeterminate(_) => Some(ede::DNSSEC_INDETERMINATE),
        }
    }
}

impl fmt::Display for Security {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Security::Secure => f.write_str("secure"),
            Security::Insecure(r) => write!(f, "insecure: {r}"),
            Security::Bogus(b) => write!(f, "bogus: {b}"),
            Security::Indeterminate(e) => write!(f, "indeterminate: {e}"),
        }
    }
}

/// Why data is insecure rather than secure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum InsecureReason {
    /// The parent proved there is no DS for the zone (RFC 4035 §5.2).
    #[error("unsigned delegation")]
    UnsignedDelegation,
    /// An opt-out NSEC3 covers the name: an unsigned delegation may exist (RFC 5155 §6, §9.2).
    #[error("covered by an NSEC3 opt-out span")]
    OptOut,
    /// No DS or trust anchor of an algorithm we can verify (RFC 4035 §5.2, RFC 6840 §5.2);
    /// includes RSA keys outside the 512-4096-bit range of RFC 3110 §2.
    #[error("no supported DNSKEY algorithm")]
    UnsupportedAlgorithm,
    /// Only DS digest types we cannot compute (RFC 4035 §5.2, RFC 6840 §5.2).
    #[error("no supported DS digest type")]
    UnsupportedDigest,
    /// NSEC3 iterations above [`super::limits::NSEC3_MAX_ITERATIONS`] (RFC 9276 §3.2).
    #[error("NSEC3 iterations {iterations} above the supported maximum")]
    Nsec3Iterations {
        /// The iteration count found.
        iterations: u16,
    },
    /// The name is outside every trust anchor, or under a negative trust anchor (RFC 7646).
    #[error("no trust anchor")]
    NoTrustAnchor,
    /// The answer is RRSIG records (a query for type RRSIG): they are not themselves
    /// signed (RFC 4035 §2.2, §5.3), so there is nothing to validate them with.
    #[error("RRSIG records are not signed")]
    RrsigRecords,
    /// AAAA records synthesised by DNS64 (RFC 6147 §5.5): in no signed zone.
    #[error("synthesised by DNS64")]
    Synthesized,
}

impl InsecureReason {
    /// The RFC 8914 EDE code, for the reasons that have one.
    pub fn ede_code(&self) -> Option<u16> {
        match self {
            InsecureReason::UnsupportedAlgorithm => Some(ede::UNSUPPORTED_DNSKEY_ALGORITHM),
            InsecureReason::UnsupportedDigest => Some(ede::UNSUPPORTED_DS_DIGEST),
            InsecureReason::Nsec3Iterations { .. } => Some(ede::UNSUPPORTED_NSEC3_ITERATIONS),
            InsecureReason::UnsignedDelegation
            | InsecureReason::OptOut
            | InsecureReason::NoTrustAnchor
            | InsecureReason::RrsigRecords
            | InsecureReason::Synthesized => None,
        }
    }
}

/// Why data failed validation. Each variant maps to an RFC 8914 EDE code
/// ([`BogusReason::ede_code`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BogusReason {
    /// Every usable RRSIG has expired (RFC 4035 §5.3.1). EDE 7.
    #[error("signature expired at {expiration}")]
    SignatureExpired {
        /// The RRSIG expiration (seconds since the epoch, modulo 2^32).
        expiration: u32,
    },
    /// Every usable RRSIG is not yet valid (RFC 4035 §5.3.1). EDE 8.
    #[error("signature not valid before {inception}")]
    SignatureNotYetValid {
        /// The RRSIG inception.
        inception: u32,
    },
    /// No DNSKEY with the RRSIG's key tag and algorithm (RFC 4035 §5.3.1). EDE 9.
    #[error("no DNSKEY with key tag {key_tag} and algorithm {algorithm}")]
    DnskeyMissing {
        /// The RRSIG's key tag.
        key_tag: u16,
        /// The RRSIG's algorithm.
        algorithm: u8,
    },
    /// No DNSKEY matches any usable DS record (RFC 4035 §5.2). EDE 9.
    #[error("no DNSKEY matches the DS RRset")]
    DsNoMatch,
    /// No trust-anchor key is in the DNSKEY RRset (RFC 4035 §5, RFC 5011). EDE 9.
    #[error("no trust-anchor key in the DNSKEY RRset")]
    AnchorKeyMissing,
    /// An empty DS RRset was given: absence of DS must be proven, not assumed. EDE 6.
    #[error("empty DS RRset")]
    EmptyDsSet,
    /// No RRSIG covers the RRset (RFC 4035 §5.3.1). EDE 10.
    #[error("no RRSIG covers the RRset")]
    RrsigsMissing,
    /// The matching DNSKEY lacks the Zone Key flag (RFC 4034 §2.1.1, §5.2). EDE 11.
    #[error("DNSKEY {key_tag} has no Zone Key flag")]
    NoZoneKeyBit {
        /// The key's tag.
        key_tag: u16,
    },
    /// The matching DNSKEY has the REVOKE flag (RFC 5011 §3). EDE 6.
    #[error("DNSKEY {key_tag} is revoked")]
    KeyRevoked {
        /// The key's tag (with the REVOKE flag counted).
        key_tag: u16,
    },
    /// The matching DNSKEY's protocol field is not 3 (RFC 4034 §2.1.2). EDE 6.
    #[error("DNSKEY {key_tag} has protocol {protocol}, not 3")]
    BadProtocol {
        /// The key's tag.
        key_tag: u16,
        /// Its protocol field.
        protocol: u8,
    },
    /// The RRSIG's signer is not the zone holding the RRset (RFC 4035 §5.3.1). EDE 6.
    #[error("RRSIG signer {signer} is not the zone {zone}")]
    SignerMismatch {
        /// The signer's name.
        signer: Name,
        /// The zone the caller says holds the RRset.
        zone: Name,
    },
    /// The RRset's owner is not in the zone (RFC 4035 §5.3.1). EDE 6.
    #[error("owner {owner} is outside the zone {zone}")]
    OwnerOutsideZone {
        /// The owner.
        owner: Name,
        /// The zone.
        zone: Name,
    },
    /// The RRSIG Labels field exceeds the owner's labels (RFC 4035 §5.3.1). EDE 6.
    #[error("RRSIG labels {labels} exceed the owner's {owner_labels}")]
    LabelsExceedOwner {
        /// The Labels field.
        labels: u8,
        /// Labels in the owner.
        owner_labels: usize,
    },
    /// The RRSIG Labels field would put the wildcard above the zone apex (RFC 4035 §5.3.2).
    /// EDE 6.
    #[error("RRSIG labels {labels} put the wildcard above the zone")]
    WildcardAboveZone {
        /// The Labels field.
        labels: u8,
    },
    /// A signature did not verify (RFC 4035 §5.3.3). EDE 6.
    #[error("signature by key {key_tag} does not verify")]
    SignatureInvalid {
        /// The key's tag.
        key_tag: u16,
    },
    /// An RRSIG, DNSKEY or DS record could not be parsed. EDE 6.
    #[error("malformed {0} record")]
    Malformed(RType),
    /// The DNSKEY (or DS) RRset of a zone on the chain could not be obtained (RFC 4035
    /// §5: without keys nothing below can be validated). EDE 9.
    #[error("no DNSKEY RRset could be obtained for {zone}")]
    KeysUnavailable {
        /// The zone.
        zone: Name,
    },
    /// The denial of existence (NSEC, NSEC3) does not prove what the response claims
    /// (RFC 4035 §5.4, RFC 5155 §8). EDE 12.
    #[error("denial of existence not proven: {0}")]
    DenialNotProven(ProofFailure),
    /// A configured trust anchor names only algorithms (or digests) this validator cannot
    /// verify, such as DSA, which RFC 8624 §3.1 forbids validating. The operator declared
    /// the zone signed, so its data fails closed rather than passing unchecked. EDE 1
    /// (or 2 for a digest).
    #[error("trust anchor for {zone} has no algorithm or digest this validator supports")]
    AnchorUnsupported {
        /// The anchored zone.
        zone: Name,
        /// True when the algorithms are fine and only the DS digest types are unsupported.
        digest: bool,
    },
}

impl BogusReason {
    /// The RFC 8914 EDE info code.
    pub fn ede_code(&self) -> u16 {
        match self {
            BogusReason::SignatureExpired { .. } => ede::SIGNATURE_EXPIRED,
            BogusReason::SignatureNotYetValid { .. } => ede::SIGNATURE_NOT_YET_VALID,
            BogusReason::DnskeyMissing { .. }
            | BogusReason::DsNoMatch
            | BogusReason::AnchorKeyMissing
            | BogusReason::KeysUnavailable { .. } => ede::DNSKEY_MISSING,
            BogusReason::RrsigsMissing => ede::RRSIGS_MISSING,
            BogusReason::NoZoneKeyBit { .. } => ede::NO_ZONE_KEY_BIT,
            BogusReason::DenialNotProven(_) => ede::NSEC_MISSING,
            BogusReason::AnchorUnsupported { digest: false, .. } => ede::UNSUPPORTED_DNSKEY_ALGORITHM,
            BogusReason::AnchorUnsupported { digest: true, .. } => ede::UNSUPPORTED_DS_DIGEST,
            BogusReason::EmptyDsSet
            | BogusReason::KeyRevoked { .. }
            | BogusReason::BadProtocol { .. }
            | BogusReason::SignerMismatch { .. }
            | BogusReason::OwnerOutsideZone { .. }
            | BogusReason::LabelsExceedOwner { .. }
            | BogusReason::WildcardAboveZone { .. }
            | BogusReason::SignatureInvalid { .. }
            | BogusReason::Malformed(_) => ede::DNSSEC_BOGUS,
        }
    }

    /// How telling a reason is when several RRSIGs fail differently: the most telling one
    /// is reported (a bad signature says more than a missing key, which says more than a
    /// misplaced RRSIG).
    pub(crate) fn priority(&self) -> u8 {
        match self {
            BogusReason::SignatureExpired { .. } | BogusReason::SignatureNotYetValid { .. } => 9,
            BogusReason::SignatureInvalid { .. } => 8,
            BogusReason::KeyRevoked { .. } => 7,
            BogusReason::NoZoneKeyBit { .. } => 6,
            BogusReason::BadProtocol { .. } => 5,
            BogusReason::DnskeyMissing { .. } | BogusReason::DsNoMatch | BogusReason::AnchorKeyMissing => 4,
            BogusReason::WildcardAboveZone { .. } | BogusReason::LabelsExceedOwner { .. } => 3,
            BogusReason::SignerMismatch { .. } | BogusReason::OwnerOutsideZone { .. } => 2,
            BogusReason::Malformed(_) => 1,
            BogusReason::RrsigsMissing
            | BogusReason::EmptyDsSet
            | BogusReason::DenialNotProven(_)
            | BogusReason::KeysUnavailable { .. }
            | BogusReason::AnchorUnsupported { .. } => 0,
        }
    }
}

/// A bogus result: the reason, and the RRset it concerns when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bogus {
    /// Why.
    pub reason: BogusReason,
    /// Owner of the RRset that failed, if known.
    pub owner: Option<Name>,
    /// Type of the RRset that failed, if known.
    pub rtype: Option<RType>,
}

impl Bogus {
    /// A bogus result without RRset context.
    pub fn new(reason: BogusReason) -> Bogus {
        Bogus { reason, owner: None, rtype: None }
    }

    /// The same result naming the RRset it concerns.
    pub fn at(mut self, owner: &Name, rtype: RType) -> Bogus {
        self.owner = Some(owner.clone());
        self.rtype = Some(rtype);
        self
    }

    /// The RFC 8914 EDE info code for this result.
    pub fn ede_code(&self) -> u16 {
        self.reason.ede_code()
    }
}

impl From<BogusReason> for Bogus {
    fn from(reason: BogusReason) -> Bogus {
        Bogus::new(reason)
    }
}

/// Short human text, suitable as EDE EXTRA-TEXT: the reason, then the RRset if known.
impl fmt::Display for Bogus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.reason)?;
        match (&self.owner, self.rtype) {
            (Some(o), Some(t)) => write!(f, " ({o} {t})"),
            (Some(o), None) => write!(f, " ({o})"),
            _ => Ok(()),
        }
    }
}

impl std::error::Error for Bogus {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validator::limits::Limit;

    #[test]
    fn combine_keeps_the_weakest_part_of_a_cross_zone_answer() {
        let bogus = Security::Bogus(Bogus::new(BogusReason::RrsigsMissing));
        let indet = Security::Indeterminate(BudgetExceeded { limit: Limit::Nsec3HashesPerQuery });
        let insecure = Security::Insecure(InsecureReason::OptOut);
        assert_eq!(Security::Secure.combine(Security::Secure), Security::Secure);
        assert_eq!(Security::Secure.combine(insecure.clone()), insecure);
        assert_eq!(insecure.clone().combine(Security::Secure), insecure);
        assert_eq!(insecure.clone().combine(indet.clone()), indet);
        assert_eq!(indet.clone().combine(bogus.clone()), bogus);
        assert_eq!(bogus.clone().combine(Security::Secure), bogus);
        let other_bogus = Security::Bogus(Bogus::new(BogusReason::DsNoMatch));
        assert_eq!(bogus.clone().combine(other_bogus), bogus, "first bogus reason kept");
    }

    #[test]
    fn every_bogus_reason_maps_to_its_rfc8914_code() {
        let n: Name = "example.".parse().expect("name");
        let cases: Vec<(BogusReason, u16)> = vec![
            (BogusReason::SignatureExpired { expiration: 1 }, 7),
            (BogusReason::SignatureNotYetValid { inception: 1 }, 8),
            (BogusReason::DnskeyMissing { key_tag: 1, algorithm: 13 }, 9),
            (BogusReason::DsNoMatch, 9),
            (BogusReason::AnchorKeyMissing, 9),
            (BogusReason::RrsigsMissing, 10),
            (BogusReason::NoZoneKeyBit { key_tag: 1 }, 11),
            (BogusReason::DenialNotProven(ProofFailure::NameNotCovered), 12),
            (BogusReason::KeyRevoked { key_tag: 1 }, 6),
            (BogusReason::SignerMismatch { signer: n.clone(), zone: n.clone() }, 6),
            (BogusReason::SignatureInvalid { key_tag: 1 }, 6),
            (BogusReason::Malformed(RType::RRSIG), 6),
        ];
        for (reason, code) in cases {
            assert_eq!(reason.ede_code(), code, "{reason}");
        }
        assert_eq!(Security::Indeterminate(BudgetExceeded { limit: Limit::VerificationsPerRrset }).ede_code(), Some(5));
        assert_eq!(Security::Insecure(InsecureReason::Nsec3Iterations { iterations: 500 }).ede_code(), Some(27));
        assert_eq!(Security::Insecure(InsecureReason::UnsupportedAlgorithm).ede_code(), Some(1));
        assert_eq!(Security::Insecure(InsecureReason::UnsupportedDigest).ede_code(), Some(2));
        assert_eq!(Security::Insecure(InsecureReason::OptOut).ede_code(), None);
        assert_eq!(Security::Secure.ede_code(), None);
    }

    #[test]
    fn bogus_text_names_the_rrset() {
        let b = Bogus::new(BogusReason::SignatureExpired { expiration: 5 }).at(&"www.example.".parse().expect("name"), RType::A);
        assert_eq!(b.to_string(), "signature expired at 5 (www.example. A)");
        assert_eq!(b.ede_code(), 7);
    }
}
