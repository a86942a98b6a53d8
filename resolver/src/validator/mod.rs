//! DNSSEC validation (RFC 4035 §5), sans-I/O.
//!
//! The validator is a set of pure functions over records the driver already has. It never
//! fetches anything and never reads a clock: the driver (`resolve/`) asks for the DS and
//! DNSKEY RRsets the chain needs, passes "now" as seconds since the epoch (compared in
//! RFC 1982 serial arithmetic), and gets values back:
//!
//! - [`signature`]: one RRset against the validated DNSKEY set of the zone holding it —
//!   every check of RFC 4035 §5.3.1, wildcard detection (§5.3.4), TTL capping (§5.3.3).
//! - [`chain`]: a zone's DNSKEY RRset from its parent's DS RRset (RFC 4035 §5.2, RFC 4509
//!   §3) or from DNSKEY-form trust anchors.
//! - [`nsec`] and [`nsec3`]: denial-of-existence proofs (RFC 4035 §5.4, RFC 6840 §4,
//!   RFC 5155 §8, RFC 9276 §3.2), each a function named for what it proves.
//! - [`security`]: the outcome ([`Security`]) and the reasons, each with its RFC 8914 EDE
//!   code.
//! - [`limits`]: every work limit as a named constant, and the per-query [`Budget`]
//!   (KeyTrap, CVE-2023-50387 and CVE-2023-50868).
//!
//! How the driver puts them together for one response from zone Z (keys K):
//! 1. Get K: [`chain::validate_dnskeys_with_ds`] with the DS RRset validated in the parent
//!    (or [`chain::validate_dnskeys_with_anchor_keys`] at a trust anchor). `Insecure` ends
//!    validation for Z and below; `Bogus` is SERVFAIL.
//! 2. Verify every answer and authority RRset of Z with [`signature::verify_rrset`] and K.
//! 3. If an answer RRset verified with [`signature::Verified::wildcard`] set, demand
//!    [`nsec::prove_wildcard_answer`] / [`nsec3::prove_wildcard_answer`] with the verified
//!    NSEC/NSEC3 records of the same response.
//! 4. NXDOMAIN: `prove_nxdomain`; NOERROR without data: `prove_nodata_response`; a referral
//!    without DS: `prove_no_ds`, whose [`DsAbsence`] tells an insecure delegation from
//!    "not a zone cut".
//! 5. Combine the parts of a CNAME/DNAME chain with [`Security::combine`].
//!
//! # Limitations
//! - Class IN only for DNSKEY/DS chains ([`chain`]); [`signature::verify_rrset`] takes any class.
//! - Aggressive use of the NSEC/NSEC3 cache (RFC 8198) is the cache's business; the proofs
//!   here work on whatever records they are given.

pub mod chain;
pub mod limits;
pub mod nsec;
pub mod nsec3;
pub mod proof;
pub mod security;
pub mod sentinel;
pub mod signature;

#[cfg(test)]
pub(crate) mod testutil;

pub use chain::{validate_dnskeys_with_anchor_keys, validate_dnskeys_with_ds, KeyOutcome};
pub use limits::{Budget, BudgetExceeded, BudgetLimits, Limit};
pub use proof::{DsAbsence, Proof, ProofFailure, RrRef};
pub use security::{Bogus, BogusReason, InsecureReason, Security};
pub use signature::{verify_revoked_self_signature, verify_rrset, SigFailure, Verified, WildcardExpansion};

#[cfg(test)]
mod tests {
    use super::testutil::*;
    use super::*;
    use tern_shared::dnssec::ds_rdata;
    use tern_shared::wire::{Class, RType};

    /// The whole path for one zone: DS -> DNSKEY -> wildcard answer -> NSEC proof.
    #[test]
    fn wildcard_answer_is_secure_only_with_its_no_closer_match_proof() {
        let zone = n("example.");
        let (ksk, zsk) = (TestKey::new(13, 257), TestKey::new(13, 256));
        let keys: Vec<&[u8]> = vec![&ksk.rdata, &zsk.rdata];
        let key_sig = ksk.sign("example.", "example.", RType::DNSKEY, &keys, 3600, INCEPTION, EXPIRATION);
        let ds = ds_rdata(&zone, &ksk.rdata, 2).expect("ds");
        let mut budget = Budget::new();
        let chain = validate_dnskeys_with_ds(&zone, &keys, &[&key_sig], &[&ds], NOW, &mut budget);
        assert!(chain.security().is_secure());
        let zone_keys = chain.key_refs();

        // `a.z.w.example. MX` synthesised from `*.w.example.`.
        let qname = n("a.z.w.example.");
        let mx = mx_rdata(1, "ai.example.");
        let mx_sig = zsk.sign("example.", "*.w.example.", RType::MX, &[&mx], 3600, INCEPTION, EXPIRATION);
        let answer = verify_rrset(&qname, Class::IN, RType::MX, &[&mx], &[&mx_sig], &zone, &zone_keys, NOW, &mut budget).expect("verifies");
        let wildcard = answer.wildcard.expect("wildcard expansion");

        // The NSEC from the authority section, verified like any RRset.
        let nsec_owner = n("x.y.w.example.");
        let nsec = nsec_rdata("xx.example.", &[RType::MX, RType::RRSIG, RType::NSEC]);
        let nsec_sig = zsk.sign("example.", "x.y.w.example.", RType::NSEC, &[&nsec], 3600, INCEPTION, EXPIRATION);
        let v = verify_rrset(&nsec_owner, Class::IN, RType::NSEC, &[&nsec], &[&nsec_sig], &zone, &zone_keys, NOW, &mut budget);
        assert!(v.is_ok());

        let proof = nsec::prove_wildcard_answer(&qname, &wildcard, &zone, &[RrRef::new(&nsec_owner, &nsec)]);
        assert_eq!(chain.security().combine(proof.security()), Security::Secure);
        // Stripped of its NSEC, the same answer is bogus with EDE 12 (NSEC Missing).
        let stripped = nsec::prove_wildcard_answer(&qname, &wildcard, &zone, &[]);
        assert_eq!(Security::Secure.combine(stripped.security()).ede_code(), Some(12));
        assert_eq!(budget.verifications(), 3);
    }
}
