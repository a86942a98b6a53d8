//! RRset signature checks: every condition of RFC 4035 §5.3.1, the signature itself
//! (§5.3.2, §5.3.3), wildcard-expansion detection (§5.3.4 via the Labels field) and the
//! TTL a verified RRset may be cached for (§5.3.3).
//!
//! For each RRSIG whose Type Covered is the RRset's type, [`verify_rrset`] checks, before
//! any cryptography: the algorithm is one we verify; the Signer's Name is the zone holding
//! the RRset and the owner is at or below it; the Labels field is at most the owner's label
//! count and not above the zone apex; inception <= now <= expiration in RFC 1982 serial
//! arithmetic. Then for each DNSKEY with the RRSIG's key tag and algorithm: protocol 3,
//! Zone Key flag set (RFC 4034 §2.1.1), REVOKE flag clear (RFC 5011 §3), a key size we
//! verify; and only then the signature. The first signature that verifies wins: any single
//! valid supported signature suffices (RFC 6840 §5.11, RFC 4035 §5.3.3).
//!
//! All tries count against the query's [`Budget`], capped per RRset
//! ([`MAX_VERIFICATIONS_PER_RRSET`]) and per key tag ([`MAX_KEY_TAG_COLLISIONS`]) against
//! KeyTrap (CVE-2023-50387). Expired and misplaced RRSIGs cost no verification.
//!
//! # Limitations
//! - No clock-skew allowance: widen `now` or the window in the caller if one is wanted.
//! - The TTL returned does not include the TTLs of the received records: the caller takes
//!   the minimum with them ([`Verified::cap_ttl`]).
//! - When several RRSIGs fail for different reasons, one reason is reported (the most
//!   telling, see [`BogusReason`]); the rest are dropped.

use super::limits::{Budget, BudgetExceeded, Limit, MAX_KEY_TAG_COLLISIONS, MAX_VERIFICATIONS_PER_RRSET};
use super::security::{Bogus, BogusReason, InsecureReason, Security};
use smallvec::SmallVec;
use std::cmp::Ordering;
use tern_shared::dnssec::signing::DNSKEY_PROTOCOL;
use tern_shared::dnssec::verify::{RsaPublicKey, MAX_RSA_BITS, MIN_RSA_BITS};
use tern_shared::dnssec::{
    alg, algorithm_supported, key_tag, rrsig_labels, rrsig_signed_data, serial_cmp, time_in_window, verify, VerifyError,
};
use tern_shared::wire::record::{DnskeyView, RrsigView, DNSKEY_REVOKE, DNSKEY_ZONE};
use tern_shared::wire::{Class, Name, RType};

/// Where a wildcard-synthesised RRset came from (RFC 4592, RFC 4035 §5.3.2): the RRSIG
/// Labels field is smaller than the owner's label count.
///
/// A verified wildcard answer is Secure only together with a proof that no closer match
/// exists — that [`WildcardExpansion::next_closer`] does not exist (RFC 4035 §5.3.4,
/// RFC 5155 §8.8): [`super::nsec::prove_wildcard_answer`] or
/// [`super::nsec3::prove_wildcard_answer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WildcardExpansion {
    /// The closest encloser: the owner's rightmost `labels` labels.
    pub closest_encloser: Name,
    /// The wildcard the RRset was synthesised from: `*.` + the closest encloser (the
    /// "source of synthesis", RFC 4592 §3.3.1).
    pub source: Name,
    /// The closest encloser plus the next label of the owner (RFC 5155 §1.3 "next closer
    /// name"): what the denial must show does not exist.
    pub next_closer: Name,
}

impl WildcardExpansion {
    /// The expansion implied by RRSIG Labels `labels` on `owner`, or `None` when `labels`
    /// is the owner's own count (no expansion) or more.
    pub fn from_labels(owner: &Name, labels: u8) -> Option<WildcardExpansion> {
        let labels = usize::from(labels);
        if labels >= usize::from(rrsig_labels(owner)) {
            return None;
        }
        let closest_encloser = owner.suffix(labels);
        let next_closer = owner.suffix(labels + 1);
        // `*.` (2 octets) replaces at least one label of the owner, so this fits.
        let source = closest_encloser.wildcard_child().ok()?;
        Some(WildcardExpansion { closest_encloser, source, next_closer })
    }
}

/// An RRset whose signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The longest the RRset may be cached (RFC 4035 §5.3.3): the smaller of the RRSIG's
    /// Original TTL and the seconds left until its expiration. Take the minimum with the
    /// received TTLs too ([`Verified::cap_ttl`]).
    pub ttl: u32,
    /// The RRSIG's expiration, for caches that re-check.
    pub expiration: u32,
    /// Key tag of the DNSKEY that verified it.
    pub key_tag: u16,
    /// Algorithm of that DNSKEY.
    pub algorithm: u8,
    /// `Some` if the RRset was synthesised from a wildcard: the caller must pair it with a
    /// no-closer-match proof before calling it Secure.
    pub wildcard: Option<WildcardExpansion>,
}

impl Verified {
    /// RFC 4035 §5.3.3: the TTL to cache with, given the TTL received on the RRset (and its
    /// RRSIG): the minimum of all of them.
    pub fn cap_ttl(&self, received_ttl: u32) -> u32 {
        self.ttl.min(received_ttl)
    }
}

/// Why an RRset did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigFailure {
    /// It should have verified and did not.
    #[error("{0}")]
    Bogus(Bogus),
    /// Nothing we can verify: every RRSIG or every usable key is of an algorithm (or RSA
    /// size) we do not support, and the key set holds no key we could use. Only returned
    /// when the key set itself has no supported key, so a zone secured through a supported
    /// algorithm never lands here (RFC 4035 §5.2, RFC 6840 §5.2).
    #[error("no RRSIG or DNSKEY of a supported algorithm")]
    Unsupported,
    /// The work budget ran out before an answer (KeyTrap): indeterminate, not bogus.
    #[error("{0}")]
    Budget(BudgetExceeded),
}

impl SigFailure {
    /// The security this failure gives the RRset: Bogus, Insecure (unsupported
    /// algorithm, EDE 1) or Indeterminate.
    pub fn security(&self) -> Security {
        match self {
            SigFailure::Bogus(b) => Security::Bogus(b.clone()),
            SigFailure::Unsupported => Security::Insecure(InsecureReason::UnsupportedAlgorithm),
            SigFailure::Budget(e) => Security::Indeterminate(*e),
        }
    }
}

/// True if we can verify signatures made with this DNSKEY: a supported algorithm and, for
/// RSA, a modulus of 512 to 4096 bits (RFC 3110 §2, [`MIN_RSA_BITS`]). A key outside
/// that range is treated like an unsupported algorithm (RFC 4035 §5.2), not as bogus.
/// Malformed keys of supported algorithms count as supported: they fail as bogus.
pub fn dnskey_supported(dnskey_rdata: &[u8]) -> bool {
    DnskeyView::parse(dnskey_rdata).is_some_and(|k| key_supported(&k))
}

fn key_supported(k: &DnskeyView<'_>) -> bool {
    if !algorithm_supported(k.algorithm) {
        return false;
    }
    match k.algorithm {
        alg::RSASHA1 | alg::RSASHA1_NSEC3_SHA1 | alg::RSASHA256 | alg::RSASHA512 => match RsaPublicKey::parse(k.public_key) {
            Some(rsa) => (MIN_RSA_BITS..=MAX_RSA_BITS).contains(&rsa.bits()),
            None => true,
        },
        _ => true,
    }
}

/// A key that may validate data: protocol 3, Zone Key flag, REVOKE clear (unless
/// `allow_revoked`), supported algorithm and size.
fn key_usable(k: &DnskeyView<'_>, allow_revoked: bool) -> bool {
    k.protocol == DNSKEY_PROTOCOL && k.flags & DNSKEY_ZONE != 0 && (allow_revoked || k.flags & DNSKEY_REVOKE == 0) && key_supported(k)
}

/// Verifies an RRset against the validated DNSKEY RRset of the zone that holds it,
/// implementing every check of RFC 4035 §5.3.1 (see the module documentation).
///
/// - `owner`, `class`, `rtype`, `rdatas`: the RRset as received (any case and order).
/// - `rrsigs`: RDATA of the RRSIGs received with it (others are ignored by Type Covered).
/// - `zone`: the zone that holds the RRset — the RRSIG signer must be exactly this name.
/// - `dnskeys`: RDATA of that zone's DNSKEY RRset, already validated (or the candidate
///   keys when validating the DNSKEY RRset itself, see [`super::chain`]).
///
/// A wildcard-synthesised RRset verifies with [`Verified::wildcard`] set; the caller must
/// then prove no closer match. Revoked keys never validate here (RFC 5011 §3); use
/// [`verify_revoked_self_signature`] for the one place RFC 5011 needs them.
#[allow(clippy::too_many_arguments)]
pub fn verify_rrset(
    owner: &Name,
    class: Class,
    rtype: RType,
    rdatas: &[&[u8]],
    rrsigs: &[&[u8]],
    zone: &Name,
    dnskeys: &[&[u8]],
    now: u32,
    budget: &mut Budget,
) -> Result<Verified, SigFailure> {
    verify_with(owner, class, rtype, rdatas, rrsigs, zone, dnskeys, false, now, budget)
}

/// RFC 5011 §2.1, §3: checks that the DNSKEY RRset of `zone` is signed by `revoked_key`,
/// a key of that set with the REVOKE and Zone Key flags set. Trust-anchor maintenance uses
/// this to accept a revocation; the result says nothing about the data's security (a
/// revoked key validates nothing else, [`verify_rrset`] refuses it).
pub fn verify_revoked_self_signature(
    zone: &Name,
    dnskey_rdatas: &[&[u8]],
    rrsigs: &[&[u8]],
    revoked_key: &[u8],
    now: u32,
    budget: &mut Budget,
) -> Result<Verified, SigFailure> {
    let Some(k) = DnskeyView::parse(revoked_key) else {
        return Err(SigFailure::Bogus(Bogus::new(BogusReason::Malformed(RType::DNSKEY)).at(zone, RType::DNSKEY)));
    };
    let tag = key_tag(revoked_key);
    if k.flags & DNSKEY_REVOKE == 0 || !dnskey_rdatas.contains(&revoked_key) {
        return Err(SigFailure::Bogus(
            Bogus::new(BogusReason::DnskeyMissing { key_tag: tag, algorithm: k.algorithm }).at(zone, RType::DNSKEY),
        ));
    }
    verify_with(zone, Class::IN, RType::DNSKEY, dnskey_rdatas, rrsigs, zone, &[revoked_key], true, now, budget)
}

/// Keeps the most telling of the reasons seen so far.
fn note(best: &mut Option<BogusReason>, reason: BogusReason) {
    if best.as_ref().is_none_or(|b| reason.priority() > b.priority()) {
        *best = Some(reason);
    }
}

#[allow(clippy::too_many_arguments)]
fn verify_with(
    owner: &Name,
    class: Class,
    rtype: RType,
    rdatas: &[&[u8]],
    rrsigs: &[&[u8]],
    zone: &Name,
    dnskeys: &[&[u8]],
    allow_revoked: bool,
    now: u32,
    budget: &mut Budget,
) -> Result<Verified, SigFailure> {
    let bogus = |reason: BogusReason| SigFailure::Bogus(Bogus::new(reason).at(owner, rtype));
    let owner_labels = owner.label_count();
    let zone_labels = zone.label_count();
    let owner_in_zone = owner.is_subdomain_of(zone);
    let tags: SmallVec<[u16; 8]> = dnskeys.iter().map(|k| key_tag(k)).collect();

    let mut best: Option<BogusReason> = None;
    let mut covering = false;
    let mut unsupported_sig = false;
    let mut attempts: u32 = 0;
    let mut limited: Option<BudgetExceeded> = None;

    for &raw in rrsigs {
        let Some(sig) = RrsigView::parse(raw) else {
            note(&mut best, BogusReason::Malformed(RType::RRSIG));
            continue;
        };
        if sig.covered != rtype {
            continue;
        }
        covering = true;
        // RFC 4035 §5.2 / RFC 6840 §5.2: unsupported algorithms are skipped, not bogus.
        if !algorithm_supported(sig.algorithm) {
            unsupported_sig = true;
            continue;
        }
        let Ok(signer) = Name::from_wire(sig.signer) else {
            note(&mut best, BogusReason::Malformed(RType::RRSIG));
            continue;
        };
        // RFC 4035 §5.3.1: the signer is the zone that contains the RRset ...
        if signer != *zone {
            note(&mut best, BogusReason::SignerMismatch { signer, zone: zone.clone() });
            continue;
        }
        // ... and the owner is in that zone.
        if !owner_in_zone {
            note(&mut best, BogusReason::OwnerOutsideZone { owner: owner.clone(), zone: zone.clone() });
            continue;
        }
        // RFC 4035 §5.3.1: owner labels >= RRSIG Labels.
        let labels = usize::from(sig.labels);
        if labels > owner_labels {
            note(&mut best, BogusReason::LabelsExceedOwner { labels: sig.labels, owner_labels });
            continue;
        }
        // RFC 4035 §5.3.2: the wildcard `*.` + rightmost `labels` labels must be in the zone.
        if labels < zone_labels {
            note(&mut best, BogusReason::WildcardAboveZone { labels: sig.labels });
            continue;
        }
        // RFC 4035 §5.3.1: inception <= now <= expiration (RFC 1982 arithmetic).
        if !time_in_window(now, sig.inception, sig.expiration) {
            if serial_cmp(now, sig.inception) == Some(Ordering::Less) {
                note(&mut best, BogusReason::SignatureNotYetValid { inception: sig.inception });
            } else {
                note(&mut best, BogusReason::SignatureExpired { expiration: sig.expiration });
            }
            continue;
        }
        let wildcard = WildcardExpansion::from_labels(owner, sig.labels);
        if labels < usize::from(rrsig_labels(owner)) && wildcard.is_none() {
            note(&mut best, BogusReason::Malformed(RType::RRSIG));
            continue;
        }

        let mut data: Option<Vec<u8>> = None;
        let mut tried = 0usize;
        let mut key_found = false;
        for (i, &key) in dnskeys.iter().enumerate() {
            // RFC 4035 §5.3.1: key tag and algorithm match (the DNSKEY owner is the zone:
            // `dnskeys` is the zone's set).
            if tags.get(i) != Some(&sig.key_tag) {
                continue;
            }
            let Some(k) = DnskeyView::parse(key) else { continue };
            if k.algorithm != sig.algorithm {
                continue;
            }
            key_found = true;
            let tag = sig.key_tag;
            if k.protocol != DNSKEY_PROTOCOL {
                note(&mut best, BogusReason::BadProtocol { key_tag: tag, protocol: k.protocol });
                continue;
            }
            // RFC 4035 §5.3.1, RFC 4034 §2.1.1: only zone keys sign zone data.
            if k.flags & DNSKEY_ZONE == 0 {
                note(&mut best, BogusReason::NoZoneKeyBit { key_tag: tag });
                continue;
            }
            // RFC 5011 §3: a revoked key MUST NOT be used to validate any RRset.
            if k.flags & DNSKEY_REVOKE != 0 && !allow_revoked {
                note(&mut best, BogusReason::KeyRevoked { key_tag: tag });
                continue;
            }
            if !key_supported(&k) {
                continue;
            }
            if tried >= MAX_KEY_TAG_COLLISIONS {
                limited.get_or_insert_with(|| budget.exceed(Limit::KeyTagCollisions));
                break;
            }
            if attempts >= MAX_VERIFICATIONS_PER_RRSET {
                return Err(SigFailure::Budget(budget.exceed(Limit::VerificationsPerRrset)));
            }
            if data.is_none() {
                match rrsig_signed_data(raw, owner, class, rdatas) {
                    Ok(d) => data = Some(d),
                    Err(_) => {
                        note(&mut best, BogusReason::Malformed(RType::RRSIG));
                        break;
                    }
                }
            }
            let Some(signed) = data.as_deref() else { break };
            budget.take_verification().map_err(SigFailure::Budget)?;
            tried += 1;
            attempts += 1;
            match verify(k.algorithm, k.public_key, signed, sig.signature) {
                Ok(()) => {
                    // RFC 4035 §5.3.3: never cache beyond the Original TTL or the expiration.
                    let left = sig.expiration.wrapping_sub(now);
                    return Ok(Verified {
                        ttl: sig.original_ttl.min(left),
                        expiration: sig.expiration,
                        key_tag: tag,
                        algorithm: sig.algorithm,
                        wildcard,
                    });
                }
                Err(VerifyError::UnsupportedAlgorithm { .. } | VerifyError::RsaKeyTooSmall { .. } | VerifyError::RsaKeyTooLarge { .. }) => {
                    // Checked by `key_supported`; a miss here is still "cannot verify".
                }
                Err(_) => {
                    budget.record_failure();
                    note(&mut best, BogusReason::SignatureInvalid { key_tag: tag });
                }
            }
        }
        if !key_found {
            note(&mut best, BogusReason::DnskeyMissing { key_tag: sig.key_tag, algorithm: sig.algorithm });
        }
    }

    if let Some(e) = limited {
        return Err(SigFailure::Budget(e));
    }
    // Unsupported only when nothing here could ever verify and something unsupported was
    // seen; an empty or unusable key set alone is bogus (DNSKEY missing).
    let keys = || dnskeys.iter().filter_map(|k| DnskeyView::parse(k));
    let usable = keys().any(|k| key_usable(&k, allow_revoked));
    let unsupported_key = keys().any(|k| k.protocol == DNSKEY_PROTOCOL && k.flags & DNSKEY_ZONE != 0 && !key_supported(&k));
    if !usable && (unsupported_key || unsupported_sig) {
        return Err(SigFailure::Unsupported);
    }
    if !covering {
        return Err(bogus(BogusReason::RrsigsMissing));
    }
    Err(bogus(best.unwrap_or(BogusReason::RrsigsMissing)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validator::limits::BudgetLimits;
    use crate::validator::testutil::*;
    use std::time::{Duration, Instant};

    fn check(owner: &str, rtype: RType, rdatas: &[&[u8]], rrsigs: &[&[u8]], zone: &str, keys: &[&[u8]]) -> Result<Verified, SigFailure> {
        verify_rrset(&n(owner), Class::IN, rtype, rdatas, rrsigs, &n(zone), keys, NOW, &mut Budget::new())
    }

    fn reason(r: Result<Verified, SigFailure>) -> BogusReason {
        match r {
            Err(SigFailure::Bogus(b)) => b.reason,
            other => panic!("expected bogus, got {other:?}"),
        }
    }

    #[test]
    fn valid_signature_verifies_with_ttl_capped_by_expiration() {
        let zsk = TestKey::new(13, 256);
        let a = a_rdata([192, 0, 2, 1]);
        let sig = zsk.sign("example.", "www.example.", RType::A, &[&a], 3600, NOW - 10, NOW + 100);
        let v = check("www.example.", RType::A, &[&a], &[&sig], "example.", &[&zsk.rdata]).expect("verifies");
        assert_eq!(v.ttl, 100, "RFC 4035 §5.3.3: no caching past the expiration");
        assert_eq!(v.cap_ttl(60), 60);
        assert_eq!(v.key_tag, zsk.tag());
        assert_eq!(v.wildcard, None);
        // Case-insensitive owner and signer, other algorithms.
        let ed = TestKey::new(15, 256);
        let sig = ed.sign("EXAMPLE.", "www.example.", RType::A, &[&a], 300, INCEPTION, EXPIRATION);
        let v = check("WWW.Example.", RType::A, &[&a], &[&sig], "example.", &[&ed.rdata]).expect("verifies");
        assert_eq!(v.ttl, 300);
    }

    #[test]
    fn expired_signature_is_bogus_with_ede_7() {
        let k = TestKey::new(13, 256);
        let a = a_rdata([192, 0, 2, 1]);
        let sig = k.sign("example.", "www.example.", RType::A, &[&a], 3600, NOW - 1000, NOW - 1);
        let r = check("www.example.", RType::A, &[&a], &[&sig], "example.", &[&k.rdata]);
        assert_eq!(reason(r.clone()), BogusReason::SignatureExpired { expiration: NOW - 1 });
        assert_eq!(r.err().map(|e| e.security().ede_code()), Some(Some(7)));
    }

    #[test]
    fn not_yet_valid_signature_is_bogus_with_ede_8() {
        let k = TestKey::new(13, 256);
        let a = a_rdata([192, 0, 2, 1]);
        let sig = k.sign("example.", "www.example.", RType::A, &[&a], 3600, NOW + 1, NOW + 1000);
        let r = check("www.example.", RType::A, &[&a], &[&sig], "example.", &[&k.rdata]);
        assert_eq!(reason(r), BogusReason::SignatureNotYetValid { inception: NOW + 1 });
    }

    #[test]
    fn signer_must_be_the_zone_holding_the_rrset() {
        let k = TestKey::new(13, 256);
        let a = a_rdata([192, 0, 2, 1]);
        // Signed by the parent for data the caller says is in the child zone.
        let sig = k.sign("example.", "www.sub.example.", RType::A, &[&a], 3600, INCEPTION, EXPIRATION);
        let r = check("www.sub.example.", RType::A, &[&a], &[&sig], "sub.example.", &[&k.rdata]);
        assert!(matches!(reason(r), BogusReason::SignerMismatch { .. }));
        // Owner outside the zone.
        let sig = k.sign("example.", "www.other.", RType::A, &[&a], 3600, INCEPTION, EXPIRATION);
        let r = check("www.other.", RType::A, &[&a], &[&sig], "example.", &[&k.rdata]);
        assert!(matches!(reason(r), BogusReason::OwnerOutsideZone { .. }));
    }

    #[test]
    fn labels_above_owner_labels_are_bogus() {
        let k = TestKey::new(13, 256);
        let a = a_rdata([192, 0, 2, 1]);
        let mut sig = k.sign("example.", "www.example.", RType::A, &[&a], 3600, INCEPTION, EXPIRATION);
        sig[3] = 3;
        let r = check("www.example.", RType::A, &[&a], &[&sig], "example.", &[&k.rdata]);
        assert_eq!(reason(r), BogusReason::LabelsExceedOwner { labels: 3, owner_labels: 2 });
    }

    #[test]
    fn key_tag_mismatch_means_dnskey_missing() {
        let k = TestKey::new(13, 256);
        let a = a_rdata([192, 0, 2, 1]);
        let mut sig = k.sign("example.", "www.example.", RType::A, &[&a], 3600, INCEPTION, EXPIRATION);
        let wrong = k.tag().wrapping_add(1);
        sig[16..18].copy_from_slice(&wrong.to_be_bytes());
        let r = check("www.example.", RType::A, &[&a], &[&sig], "example.", &[&k.rdata]);
        assert_eq!(reason(r.clone()), BogusReason::DnskeyMissing { key_tag: wrong, algorithm: 13 });
        assert_eq!(r.err().map(|e| e.security().ede_code()), Some(Some(9)));
    }

    #[test]
    fn key_without_zone_bit_never_validates() {
        let k = TestKey::new(13, 0);
        let a = a_rdata([192, 0, 2, 1]);
        let sig = k.sign("example.", "www.example.", RType::A, &[&a], 3600, INCEPTION, EXPIRATION);
        let r = check("www.example.", RType::A, &[&a], &[&sig], "example.", &[&k.rdata]);
        assert_eq!(reason(r.clone()), BogusReason::NoZoneKeyBit { key_tag: k.tag() });
        assert_eq!(r.err().map(|e| e.security().ede_code()), Some(Some(11)));
    }

    #[test]
    fn revoked_key_never_validates_data() {
        let revoked = TestKey::new(13, 257 | DNSKEY_REVOKE);
        let good = TestKey::new(13, 256);
        let a = a_rdata([192, 0, 2, 1]);
        let sig = revoked.sign("example.", "www.example.", RType::A, &[&a], 3600, INCEPTION, EXPIRATION);
        let r = check("www.example.", RType::A, &[&a], &[&sig], "example.", &[&revoked.rdata, &good.rdata]);
        assert_eq!(reason(r), BogusReason::KeyRevoked { key_tag: revoked.tag() });

        // RFC 5011 §2.1: the revoked key's self-signature over the DNSKEY RRset is what
        // trust-anchor maintenance checks, through the separate entry point.
        let keys: Vec<&[u8]> = vec![&revoked.rdata, &good.rdata];
        let self_sig = revoked.sign("example.", "example.", RType::DNSKEY, &keys, 3600, INCEPTION, EXPIRATION);
        let r = check("example.", RType::DNSKEY, &keys, &[&self_sig], "example.", &keys);
        assert_eq!(reason(r), BogusReason::KeyRevoked { key_tag: revoked.tag() });
        let v = verify_revoked_self_signature(&n("example."), &keys, &[&self_sig], &revoked.rdata, NOW, &mut Budget::new());
        assert_eq!(v.map(|v| v.key_tag), Ok(revoked.tag()));
        // A key without the REVOKE flag is not accepted there.
        let plain_sig = good.sign("example.", "example.", RType::DNSKEY, &keys, 3600, INCEPTION, EXPIRATION);
        let v = verify_revoked_self_signature(&n("example."), &keys, &[&plain_sig], &good.rdata, NOW, &mut Budget::new());
        assert!(matches!(v, Err(SigFailure::Bogus(_))));
    }

    #[test]
    fn key_with_protocol_other_than_3_never_validates() {
        let k = TestKey::new(13, 256);
        let mut key = k.rdata.clone();
        key[2] = 2;
        let a = a_rdata([192, 0, 2, 1]);
        let sig = fake_rrsig(RType::A, 13, 2, key_tag(&key), "example.");
        let r = check("www.example.", RType::A, &[&a], &[&sig], "example.", &[&key]);
        assert_eq!(reason(r), BogusReason::BadProtocol { key_tag: key_tag(&key), protocol: 2 });
    }

    #[test]
    fn type_covered_must_be_the_rrset_type() {
        let k = TestKey::new(13, 256);
        let a = a_rdata([192, 0, 2, 1]);
        let sig = k.sign("example.", "www.example.", RType::A, &[&a], 3600, INCEPTION, EXPIRATION);
        let r = check("www.example.", RType::AAAA, &[&a], &[&sig], "example.", &[&k.rdata]);
        assert_eq!(reason(r.clone()), BogusReason::RrsigsMissing);
        assert_eq!(r.err().map(|e| e.security().ede_code()), Some(Some(10)));
        let r = check("www.example.", RType::A, &[&a], &[], "example.", &[&k.rdata]);
        assert_eq!(reason(r), BogusReason::RrsigsMissing);
    }

    #[test]
    fn tampered_data_fails_the_signature() {
        let k = TestKey::new(13, 256);
        let a = a_rdata([192, 0, 2, 1]);
        let forged = a_rdata([192, 0, 2, 66]);
        let sig = k.sign("example.", "www.example.", RType::A, &[&a], 3600, INCEPTION, EXPIRATION);
        let mut budget = Budget::new();
        let r = verify_rrset(&n("www.example."), Class::IN, RType::A, &[&forged], &[&sig], &n("example."), &[&k.rdata], NOW, &mut budget);
        assert_eq!(reason(r), BogusReason::SignatureInvalid { key_tag: k.tag() });
        assert_eq!((budget.verifications(), budget.failed_verifications()), (1, 1));
        // An added record breaks it too.
        let r = check("www.example.", RType::A, &[&a, &forged], &[&sig], "example.", &[&k.rdata]);
        assert_eq!(reason(r), BogusReason::SignatureInvalid { key_tag: k.tag() });
    }

    #[test]
    fn wildcard_expansion_is_reported_with_its_closest_encloser() {
        let k = TestKey::new(13, 256);
        let mx = mx_rdata(1, "ai.example.");
        // Signed at the wildcard `*.w.example.` (labels 2), received as `a.z.w.example.`.
        let sig = k.sign("example.", "*.w.example.", RType::MX, &[&mx], 3600, INCEPTION, EXPIRATION);
        let v = check("a.z.w.example.", RType::MX, &[&mx], &[&sig], "example.", &[&k.rdata]).expect("verifies");
        let w = v.wildcard.expect("expansion detected");
        assert_eq!(w.closest_encloser, n("w.example."));
        assert_eq!(w.source, n("*.w.example."));
        assert_eq!(w.next_closer, n("z.w.example."));
        // A query for the wildcard name itself is no expansion.
        let v = check("*.w.example.", RType::MX, &[&mx], &[&sig], "example.", &[&k.rdata]).expect("verifies");
        assert_eq!(v.wildcard, None);
        // The wildcard may not sit above the zone apex.
        let sub = k.sign("sub.example.", "*.example.", RType::MX, &[&mx], 3600, INCEPTION, EXPIRATION);
        let r = check("x.sub.example.", RType::MX, &[&mx], &[&sub], "sub.example.", &[&k.rdata]);
        assert_eq!(reason(r), BogusReason::WildcardAboveZone { labels: 1 });
    }

    #[test]
    fn any_single_valid_supported_signature_suffices() {
        let bad = TestKey::new(13, 256);
        let good = TestKey::new(15, 256);
        let a = a_rdata([192, 0, 2, 1]);
        let mut broken = bad.sign("example.", "www.example.", RType::A, &[&a], 3600, INCEPTION, EXPIRATION);
        let last = broken.len() - 1;
        broken[last] ^= 0xff;
        let ok = good.sign("example.", "www.example.", RType::A, &[&a], 3600, INCEPTION, EXPIRATION);
        let unknown = fake_rrsig(RType::A, 100, 2, 1234, "example.");
        let v = check("www.example.", RType::A, &[&a], &[&unknown, &broken, &ok], "example.", &[&bad.rdata, &good.rdata]);
        assert_eq!(v.map(|v| v.algorithm), Ok(15));
    }

    #[test]
    fn only_unsupported_algorithms_is_not_bogus() {
        let a = a_rdata([192, 0, 2, 1]);
        let key100 = raw_dnskey(257, 100, &[1; 32]);
        let sig = fake_rrsig(RType::A, 100, 2, key_tag(&key100), "example.");
        let r = check("www.example.", RType::A, &[&a], &[&sig], "example.", &[&key100]);
        assert_eq!(r, Err(SigFailure::Unsupported));
        assert_eq!(SigFailure::Unsupported.security(), Security::Insecure(InsecureReason::UnsupportedAlgorithm));
        // With a usable key of a supported algorithm in the set, a missing signature by it
        // is bogus: the zone must sign with every algorithm it publishes (RFC 4035 §2.2).
        let k = TestKey::new(13, 256);
        let r = check("www.example.", RType::A, &[&a], &[&sig], "example.", &[&key100, &k.rdata]);
        assert_eq!(reason(r), BogusReason::RrsigsMissing);
    }

    /// RFC 5702 §6.1: the 512-bit RSASHA256 example validates (RFC 5702 §2 allows 512
    /// bits); a key below 512 bits is unsupported, not bogus.
    #[test]
    fn rsa_key_of_512_bits_validates_and_a_smaller_one_is_unsupported() {
        let key = rfc5702_512_bit_dnskey();
        assert!(dnskey_supported(&key));
        let a = a_rdata([192, 0, 2, 91]);
        let sig = rfc5702_512_bit_rrsig();
        let now = 1_262_304_000 + 86_400; // 2010-01-02, inside 2000..2030.
        let r =
            verify_rrset(&n("www.example.net."), Class::IN, RType::A, &[&a], &[&sig], &n("example.net."), &[&key], now, &mut Budget::new());
        assert!(r.is_ok(), "{r:?}");
        let small = rsa_256_bit_dnskey(256);
        assert!(!dnskey_supported(&small));
        let sig = fake_rrsig(RType::A, 8, 3, key_tag(&small), "example.net.");
        let r = verify_rrset(
            &n("www.example.net."),
            Class::IN,
            RType::A,
            &[&a],
            &[&sig],
            &n("example.net."),
            &[&small],
            now,
            &mut Budget::new(),
        );
        assert_eq!(r, Err(SigFailure::Unsupported));
    }

    /// KeyTrap (CVE-2023-50387): many keys sharing one key tag, many RRSIGs that all fail.
    #[test]
    fn keytrap_colliding_keys_stop_at_the_budget_quickly() {
        const TAG: u16 = 4242;
        let keys: Vec<Vec<u8>> = (0..64u8).map(|i| colliding_p256_dnskey(i, TAG)).collect();
        assert!(keys.iter().all(|k| key_tag(k) == TAG));
        let key_refs: Vec<&[u8]> = keys.iter().map(|k| k.as_slice()).collect();
        let sigs: Vec<Vec<u8>> = (0..64).map(|_| fake_rrsig(RType::A, 13, 2, TAG, "example.")).collect();
        let sig_refs: Vec<&[u8]> = sigs.iter().map(|s| s.as_slice()).collect();
        let a = a_rdata([192, 0, 2, 1]);
        let mut budget = Budget::new();
        let start = Instant::now();
        let r = verify_rrset(&n("www.example."), Class::IN, RType::A, &[&a], &sig_refs, &n("example."), &key_refs, NOW, &mut budget);
        assert!(matches!(r, Err(SigFailure::Budget(BudgetExceeded { limit: Limit::VerificationsPerRrset }))), "{r:?}");
        assert_eq!(budget.verifications(), MAX_VERIFICATIONS_PER_RRSET);
        assert!(start.elapsed() < Duration::from_secs(2), "bounded work");
        assert!(matches!(r.map_err(|e| e.security()), Err(Security::Indeterminate(_))));

        // Repeated across RRsets of one query, the query-wide failure limit stops it.
        let mut calls = 0;
        loop {
            calls += 1;
            let r = verify_rrset(&n("www.example."), Class::IN, RType::A, &[&a], &sig_refs, &n("example."), &key_refs, NOW, &mut budget);
            if let Err(SigFailure::Budget(BudgetExceeded { limit: Limit::FailedVerificationsPerQuery })) = r {
                break;
            }
            assert!(calls < 10, "query budget must stop repeated KeyTrap RRsets");
        }
        assert!(budget.failed_verifications() <= BudgetLimits::default().failed_verifications);

        // One RRSIG with many colliding keys stops at the per-tag limit.
        let mut budget = Budget::new();
        let r = verify_rrset(&n("www.example."), Class::IN, RType::A, &[&a], &sig_refs[..1], &n("example."), &key_refs, NOW, &mut budget);
        assert_eq!(r, Err(SigFailure::Budget(BudgetExceeded { limit: Limit::KeyTagCollisions })));
        assert_eq!(budget.verifications(), MAX_KEY_TAG_COLLISIONS as u32);
    }

    #[test]
    fn malformed_inputs_never_panic() {
        let k = TestKey::new(13, 256);
        let a = a_rdata([192, 0, 2, 1]);
        let junk: Vec<&[u8]> = vec![&[], &[0, 1], &[0, 1, 13, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 63]];
        let r = check("www.example.", RType::A, &[&a], &junk, "example.", &[&k.rdata, &[1, 2]]);
        assert!(matches!(r, Err(SigFailure::Bogus(_))));
        let r = check(".", RType::A, &[&a], &junk, ".", &[]);
        assert!(matches!(r, Err(SigFailure::Bogus(_))), "an empty key set is bogus, not unsupported");
    }
}
