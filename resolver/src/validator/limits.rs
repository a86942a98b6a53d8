//! Work limits of the validator and the per-query [`Budget`] that enforces them.
//!
//! DNSSEC validation does work chosen by whoever writes the zone: how many keys share a key
//! tag, how many RRSIGs an RRset carries, how many NSEC3 iterations each hash takes. KeyTrap
//! (CVE-2023-50387) showed that a zone with many colliding keys and many failing signatures
//! stalls a validator that tries every combination, as RFC 4035 §5.3.1 literally asks;
//! CVE-2023-50868 did the same with NSEC3 closest-encloser proofs over long names. Every
//! limit below is a named constant with its source, and one [`Budget`] per client query
//! counts the work across every RRset, key set and proof validated for that query.
//!
//! Running out is its own outcome ([`BudgetExceeded`], surfaced as
//! [`super::Security::Indeterminate`]), never a silent Bogus: the caller counts it in a
//! metric and answers SERVFAIL with EDE 5 (DNSSEC Indeterminate).
//!
//! # Limitations
//! - The limits are compile-time defaults; a configuration layer may build a [`Budget`] with
//!   other values through [`BudgetLimits`], and must refuse (not clamp) values out of range.
//! - DS digest computations are bounded only through [`MAX_KEY_TAG_COLLISIONS`] per DS
//!   record (a digest is computed only for keys whose tag and algorithm already match).

use std::fmt;

/// RFC 9276 §3.2: NSEC3 records with more additional iterations than this make an answer
/// insecure (EDE 27, "Unsupported NSEC3 Iterations Value"). 150 is the value BIND 9 and
/// Unbound adopted after RFC 9276 and CVE-2023-50868.
pub const NSEC3_MAX_ITERATIONS: u16 = 150;

/// KeyTrap (CVE-2023-50387): most signature verifications tried for one RRset, successful
/// or not. Unbound 1.19.1 `MAX_VALIDATE_RRSIGS` (8), dnsjava `max_validate_rrsigs` (8).
pub const MAX_VERIFICATIONS_PER_RRSET: u32 = 8;

/// KeyTrap (CVE-2023-50387): most DNSKEYs sharing one key tag and algorithm that are tried
/// for one RRSIG, or matched against one DS. Key tags are hints (RFC 4034 §5.3.1 and
/// Appendix B) and genuine collisions inside one zone's key set are rare and avoidable by
/// the signer; half of [`MAX_VERIFICATIONS_PER_RRSET`] leaves room for a second RRSIG.
pub const MAX_KEY_TAG_COLLISIONS: usize = 4;

/// KeyTrap (CVE-2023-50387): most signature verifications for one client query across the
/// whole chain (DNSKEY sets, DS sets, answer, CNAME targets, denial records). Unbound 1.19.1
/// allows `MAX_VALIDATE_AT_ONCE` (8) per step and `MAX_VALIDATION_SUSPENDS` (16) steps: 128.
pub const MAX_VERIFICATIONS_PER_QUERY: u32 = 128;

/// KeyTrap (CVE-2023-50387): most failed signature verifications for one client query.
/// BIND 9.20 stops after `max-validations-per-fetch` 16 per fetch; a query whose
/// signatures fail this often is under attack or broken beyond repair.
pub const MAX_FAILED_VERIFICATIONS_PER_QUERY: u32 = 16;

/// CVE-2023-50868: most NSEC3 owner-name hashes (RFC 5155 §5) computed for one client
/// query. With [`NSEC3_MAX_ITERATIONS`] this bounds the work at 100 × 151 SHA-1 runs.
/// A closest-encloser proof (RFC 5155 §8.3) hashes one name per label between QNAME and
/// its closest encloser, plus the wildcard.
pub const MAX_NSEC3_HASHES_PER_QUERY: u32 = 100;

/// Which limit ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// [`MAX_VERIFICATIONS_PER_RRSET`].
    VerificationsPerRrset,
    /// [`MAX_KEY_TAG_COLLISIONS`].
    KeyTagCollisions,
    /// [`MAX_VERIFICATIONS_PER_QUERY`] (or the configured value).
    VerificationsPerQuery,
    /// [`MAX_FAILED_VERIFICATIONS_PER_QUERY`] (or the configured value).
    FailedVerificationsPerQuery,
    /// [`MAX_NSEC3_HASHES_PER_QUERY`] (or the configured value).
    Nsec3HashesPerQuery,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::VerificationsPerRrset => "signature verifications per RRset",
            Limit::KeyTagCollisions => "keys sharing one key tag",
            Limit::VerificationsPerQuery => "signature verifications per query",
            Limit::FailedVerificationsPerQuery => "failed signature verifications per query",
            Limit::Nsec3HashesPerQuery => "NSEC3 hashes per query",
        })
    }
}

/// The validation work budget ran out before a result was reached. Not Bogus: the data may
/// be fine, we declined to find out (KeyTrap, CVE-2023-50387 / CVE-2023-50868).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("validation work limit reached: {limit}")]
pub struct BudgetExceeded {
    /// The limit that ran out.
    pub limit: Limit,
}

/// Per-query limits a [`Budget`] starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetLimits {
    /// Signature verifications, successful or not.
    pub verifications: u32,
    /// Failed signature verifications.
    pub failed_verifications: u32,
    /// NSEC3 hash computations.
    pub nsec3_hashes: u32,
}

impl Default for BudgetLimits {
    fn default() -> BudgetLimits {
        BudgetLimits {
            verifications: MAX_VERIFICATIONS_PER_QUERY,
            failed_verifications: MAX_FAILED_VERIFICATIONS_PER_QUERY,
            nsec3_hashes: MAX_NSEC3_HASHES_PER_QUERY,
        }
    }
}

/// Counts validation work for one client query. Create one per query, pass it `&mut` to
/// every validator call for that query, and read the counters for metrics at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    limits: BudgetLimits,
    verifications: u32,
    failed: u32,
    nsec3_hashes: u32,
    exceeded: Option<Limit>,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget::new()
    }
}

impl Budget {
    /// A budget with the default limits ([`BudgetLimits::default`]).
    pub fn new() -> Budget {
        Budget::with_limits(BudgetLimits::default())
    }

    /// A budget with explicit limits.
    pub fn with_limits(limits: BudgetLimits) -> Budget {
        Budget { limits, verifications: 0, failed: 0, nsec3_hashes: 0, exceeded: None }
    }

    /// Signature verifications performed so far.
    pub fn verifications(&self) -> u32 {
        self.verifications
    }

    /// Failed signature verifications so far.
    pub fn failed_verifications(&self) -> u32 {
        self.failed
    }

    /// NSEC3 hashes computed so far.
    pub fn nsec3_hashes(&self) -> u32 {
        self.nsec3_hashes
    }

    /// The first limit that ran out during this query, if any (for metrics).
    pub fn exceeded(&self) -> Option<Limit> {
        self.exceeded
    }

    /// Records that `limit` ran out and returns the matching error.
    pub(crate) fn exceed(&mut self, limit: Limit) -> BudgetExceeded {
        self.exceeded.get_or_insert(limit);
        BudgetExceeded { limit }
    }

    /// Takes one signature verification from the budget.
    pub(crate) fn take_verification(&mut self) -> Result<(), BudgetExceeded> {
        if self.failed >= self.limits.failed_verifications {
            return Err(self.exceed(Limit::FailedVerificationsPerQuery));
        }
        if self.verifications >= self.limits.verifications {
            return Err(self.exceed(Limit::VerificationsPerQuery));
        }
        self.verifications += 1;
        Ok(())
    }

    /// Records that a verification taken with [`Budget::take_verification`] failed.
    pub(crate) fn record_failure(&mut self) {
        self.failed = self.failed.saturating_add(1);
    }

    /// Takes one NSEC3 hash computation from the budget.
    pub(crate) fn take_nsec3_hash(&mut self) -> Result<(), BudgetExceeded> {
        if self.nsec3_hashes >= self.limits.nsec3_hashes {
            return Err(self.exceed(Limit::Nsec3HashesPerQuery));
        }
        self.nsec3_hashes += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_counts_and_stops_at_each_limit() {
        let mut b = Budget::with_limits(BudgetLimits { verifications: 3, failed_verifications: 2, nsec3_hashes: 1 });
        assert!(b.take_verification().is_ok());
        b.record_failure();
        assert!(b.take_verification().is_ok());
        assert!(b.take_verification().is_ok());
        assert_eq!(b.take_verification(), Err(BudgetExceeded { limit: Limit::VerificationsPerQuery }));
        assert_eq!(b.verifications(), 3);
        assert!(b.take_nsec3_hash().is_ok());
        assert_eq!(b.take_nsec3_hash(), Err(BudgetExceeded { limit: Limit::Nsec3HashesPerQuery }));
        assert_eq!(b.exceeded(), Some(Limit::VerificationsPerQuery), "the first limit hit is kept");

        let mut b = Budget::with_limits(BudgetLimits { verifications: 10, failed_verifications: 1, nsec3_hashes: 1 });
        assert!(b.take_verification().is_ok());
        b.record_failure();
        assert_eq!(b.take_verification(), Err(BudgetExceeded { limit: Limit::FailedVerificationsPerQuery }));
        assert_eq!(b.failed_verifications(), 1);
    }

    #[test]
    fn default_limits_are_the_named_constants() {
        let l = BudgetLimits::default();
        assert_eq!((l.verifications, l.failed_verifications, l.nsec3_hashes), (128, 16, 100));
        assert_eq!(NSEC3_MAX_ITERATIONS, 150);
    }
}
