//! The chain of trust into a zone: authenticating its DNSKEY RRset from the parent's DS
//! RRset (RFC 4035 §5.2) or from DNSKEY-form trust anchors (RFC 4035 §5, RFC 5011).
//!
//! [`validate_dnskeys_with_ds`]: a DS record is usable when we support both its algorithm
//! and its digest type; if SHA-256 or SHA-384 DS records are usable, SHA-1 ones are
//! ignored (RFC 4509 §3, for the whole DS RRset). With no usable DS the zone is insecure
//! (RFC 4035 §5.2, RFC 6840 §5.2). A DNSKEY matches a usable DS by key tag, algorithm and
//! digest (RFC 4034 §5.1.4); it must have the Zone Key flag (RFC 4034 §5.2), not the REVOKE
//! flag (RFC 5011 §3), protocol 3, and a size we verify; and it must have signed the DNSKEY
//! RRset ([`super::signature::verify_rrset`] with only the matched keys). Any one such
//! path suffices (RFC 6840 §5.11). A usable DS whose only matching keys are RSA keys below
//! 512 bits (RFC 3110 §2) counts as an unsupported algorithm.
//!
//! [`validate_dnskeys_with_anchor_keys`]: the same with trust anchors in DNSKEY form: an
//! anchor key (same protocol, algorithm and public key) must be in the RRset, be a usable
//! zone key there, and have signed it.
//!
//! # Limitations
//! - Class IN only.
//! - No algorithm-downgrade protection beyond RFC 6840 §5.11 (Unbound's
//!   `harden-algo-downgrade` is not implemented): one valid path suffices.
//! - An RFC 5011 revoked anchor key is refused here; the hold-down state machine lives in
//!   `tern-trust-anchors` and uses [`super::signature::verify_revoked_self_signature`].

use super::limits::{Budget, BudgetExceeded, Limit, MAX_KEY_TAG_COLLISIONS};
use super::security::{Bogus, BogusReason, InsecureReason, Security};
use super::signature::{dnskey_supported, verify_rrset, SigFailure, Verified};
use smallvec::SmallVec;
use tern_shared::dnssec::signing::DNSKEY_PROTOCOL;
use tern_shared::dnssec::{algorithm_supported, digest_supported, digest_type, ds_matches, key_tag};
use tern_shared::wire::record::{DnskeyView, DsView, DNSKEY_REVOKE, DNSKEY_ZONE};
use tern_shared::wire::{Class, Name, RType};

/// The outcome of authenticating a zone's DNSKEY RRset.
#[must_use]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOutcome {
    /// The DNSKEY RRset is authenticated; `keys` is the whole validated set (RDATA as
    /// received), to pass as `dnskeys` to [`verify_rrset`] for the zone's data.
    Secure {
        /// The validated DNSKEY RRset.
        keys: Vec<Box<[u8]>>,
        /// The signature that authenticated it: its TTL cap and the key used.
        verified: Verified,
    },
    /// No supported path exists (RFC 4035 §5.2): the zone is insecure.
    Insecure(InsecureReason),
    /// A supported path should exist and does not verify.
    Bogus(Bogus),
    /// The work budget ran out (KeyTrap).
    Indeterminate(BudgetExceeded),
}

impl KeyOutcome {
    /// The security status of the DNSKEY RRset (and so of the zone's chain).
    pub fn security(&self) -> Security {
        match self {
            KeyOutcome::Secure { .. } => Security::Secure,
            KeyOutcome::Insecure(r) => Security::Insecure(*r),
            KeyOutcome::Bogus(b) => Security::Bogus(b.clone()),
            KeyOutcome::Indeterminate(e) => Security::Indeterminate(*e),
        }
    }

    /// The validated keys as slices, ready for [`verify_rrset`]; empty unless Secure.
    pub fn key_refs(&self) -> Vec<&[u8]> {
        match self {
            KeyOutcome::Secure { keys, .. } => keys.iter().map(|k| &k[..]).collect(),
            _ => Vec::new(),
        }
    }
}

fn note(best: &mut Option<BogusReason>, reason: BogusReason) {
    if best.as_ref().is_none_or(|b| reason.priority() > b.priority()) {
        *best = Some(reason);
    }
}

/// Checks the flags a key needs to anchor a chain: protocol 3, Zone Key, not revoked.
fn key_flags_ok(k: &DnskeyView<'_>, tag: u16, best: &mut Option<BogusReason>) -> bool {
    if k.protocol != DNSKEY_PROTOCOL {
        note(best, BogusReason::BadProtocol { key_tag: tag, protocol: k.protocol });
        false
    } else if k.flags & DNSKEY_ZONE == 0 {
        // RFC 4034 §5.2: a DS pointing at a non-zone key MUST NOT be used.
        note(best, BogusReason::NoZoneKeyBit { key_tag: tag });
        false
    } else if k.flags & DNSKEY_REVOKE != 0 {
        // RFC 5011 §3.
        note(best, BogusReason::KeyRevoked { key_tag: tag });
        false
    } else {
        true
    }
}

/// Verifies the DNSKEY RRset of `zone` with the matched candidate keys only.
fn verify_with_candidates(
    zone: &Name,
    dnskey_rdatas: &[&[u8]],
    dnskey_rrsigs: &[&[u8]],
    candidates: &[&[u8]],
    limited: Option<BudgetExceeded>,
    now: u32,
    budget: &mut Budget,
) -> KeyOutcome {
    match verify_rrset(zone, Class::IN, RType::DNSKEY, dnskey_rdatas, dnskey_rrsigs, zone, candidates, now, budget) {
        Ok(verified) => KeyOutcome::Secure { keys: dnskey_rdatas.iter().map(|k| Box::<[u8]>::from(*k)).collect(), verified },
        // Keys skipped for the collision limit might have verified: not bogus.
        Err(failure) => match (failure, limited) {
            (SigFailure::Budget(e), _) | (_, Some(e)) => KeyOutcome::Indeterminate(e),
            (SigFailure::Bogus(b), None) => KeyOutcome::Bogus(b),
            // Candidates are supported keys, so this means no RRSIG by any of them.
            (SigFailure::Unsupported, None) => KeyOutcome::Bogus(Bogus::new(BogusReason::RrsigsMissing).at(zone, RType::DNSKEY)),
        },
    }
}

/// Authenticates the DNSKEY RRset of `zone` with the DS RRset its parent served (already
/// validated by the caller in the parent zone), RFC 4035 §5.2. See the module docs.
///
/// - `dnskey_rdatas`, `dnskey_rrsigs`: the zone's DNSKEY RRset and its RRSIGs.
/// - `ds_rdatas`: the validated DS RRset. An empty set is refused as bogus: the absence
///   of DS is proven with `prove_no_ds`, never assumed.
pub fn validate_dnskeys_with_ds(
    zone: &Name,
    dnskey_rdatas: &[&[u8]],
    dnskey_rrsigs: &[&[u8]],
    ds_rdatas: &[&[u8]],
    now: u32,
    budget: &mut Budget,
) -> KeyOutcome {
    let bogus = |reason: BogusReason| KeyOutcome::Bogus(Bogus::new(reason).at(zone, RType::DNSKEY));
    if ds_rdatas.is_empty() {
        return KeyOutcome::Bogus(Bogus::new(BogusReason::EmptyDsSet).at(zone, RType::DS));
    }
    let parsed: SmallVec<[(&[u8], DsView<'_>); 4]> = ds_rdatas.iter().filter_map(|&r| Some((r, DsView::parse(r)?))).collect();
    if parsed.is_empty() {
        return KeyOutcome::Bogus(Bogus::new(BogusReason::Malformed(RType::DS)).at(zone, RType::DS));
    }
    // RFC 4035 §5.2: only DS records whose algorithm and digest we support can be used.
    let mut usable: SmallVec<[(&[u8], DsView<'_>); 4]> =
        parsed.iter().filter(|(_, d)| algorithm_supported(d.algorithm) && digest_supported(d.digest_type)).cloned().collect();
    // RFC 4509 §3: ignore SHA-1 DS records when SHA-256 (or stronger) ones are present.
    if usable.iter().any(|(_, d)| d.digest_type != digest_type::SHA1) {
        usable.retain(|(_, d)| d.digest_type != digest_type::SHA1);
    }
    if usable.is_empty() {
        let alg_ok = parsed.iter().any(|(_, d)| algorithm_supported(d.algorithm));
        return KeyOutcome::Insecure(if alg_ok { InsecureReason::UnsupportedDigest } else { InsecureReason::UnsupportedAlgorithm });
    }

    let mut best: Option<BogusReason> = None;
    let mut candidates: SmallVec<[&[u8]; 4]> = SmallVec::new();
    let mut supported_path = false;
    let mut limited: Option<BudgetExceeded> = None;
    for (ds_raw, ds) in &usable {
        let mut tried = 0usize;
        let mut matched_unsupported_only = None::<bool>;
        for &key in dnskey_rdatas {
            let Some(k) = DnskeyView::parse(key) else { continue };
            let tag = key_tag(key);
            if k.algorithm != ds.algorithm || tag != ds.key_tag {
                continue;
            }
            if tried >= MAX_KEY_TAG_COLLISIONS {
                limited.get_or_insert_with(|| budget.exceed(Limit::KeyTagCollisions));
                break;
            }
            tried += 1;
            if !ds_matches(zone, ds_raw, key) {
                continue;
            }
            if !dnskey_supported(key) {
                matched_unsupported_only.get_or_insert(true);
                continue;
            }
            matched_unsupported_only = Some(false);
            if key_flags_ok(&k, tag, &mut best) && !candidates.contains(&key) {
                candidates.push(key);
            }
        }
        // A DS whose only matches are keys we cannot verify (RSA < 512 bits) is no path.
        if matched_unsupported_only != Some(true) {
            supported_path = true;
        }
    }
    if candidates.is_empty() {
        if let Some(e) = limited {
            return KeyOutcome::Indeterminate(e);
        }
        if !supported_path {
            return KeyOutcome::Insecure(InsecureReason::UnsupportedAlgorithm);
        }
        return bogus(best.unwrap_or(BogusReason::DsNoMatch));
    }
    verify_with_candidates(zone, dnskey_rdatas, dnskey_rrsigs, &candidates, limited, now, budget)
}

/// Authenticates the DNSKEY RRset of `zone` with trust anchors in DNSKEY form (RDATA):
/// an anchor key must be in the RRset as a usable zone key and have signed it.
/// Anchors of algorithms we do not support make the zone insecure when no other anchor
/// is supported (RFC 4035 §5.2 by analogy with DS, RFC 6840 §5.2).
pub fn validate_dnskeys_with_anchor_keys(
    zone: &Name,
    dnskey_rdatas: &[&[u8]],
    dnskey_rrsigs: &[&[u8]],
    anchor_dnskeys: &[&[u8]],
    now: u32,
    budget: &mut Budget,
) -> KeyOutcome {
    let bogus = |reason: BogusReason| KeyOutcome::Bogus(Bogus::new(reason).at(zone, RType::DNSKEY));
    let anchors: SmallVec<[DnskeyView<'_>; 4]> =
        anchor_dnskeys.iter().filter(|a| dnskey_supported(a)).filter_map(|a| DnskeyView::parse(a)).collect();
    if anchors.is_empty() {
        if anchor_dnskeys.iter().any(|a| DnskeyView::parse(a).is_some()) {
            return KeyOutcome::Insecure(InsecureReason::UnsupportedAlgorithm);
        }
        return bogus(BogusReason::AnchorKeyMissing);
    }
    let mut best: Option<BogusReason> = None;
    let mut candidates: SmallVec<[&[u8]; 4]> = SmallVec::new();
    for &key in dnskey_rdatas {
        let Some(k) = DnskeyView::parse(key) else { continue };
        // The flags may differ from the anchor's (SEP, REVOKE): compare the key itself.
        let is_anchor = anchors.iter().any(|a| a.protocol == k.protocol && a.algorithm == k.algorithm && a.public_key == k.public_key);
        if is_anchor && key_flags_ok(&k, key_tag(key), &mut best) && !candidates.contains(&key) {
            candidates.push(key);
        }
    }
    if candidates.is_empty() {
        return bogus(best.unwrap_or(BogusReason::AnchorKeyMissing));
    }
    verify_with_candidates(zone, dnskey_rdatas, dnskey_rrsigs, &candidates, None, now, budget)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validator::testutil::*;
    use tern_shared::dnssec::ds_rdata;

    /// A zone with a KSK (257) and a ZSK (256), its DNSKEY RRset signed by the KSK.
    struct Zone {
        name: Name,
        ksk: TestKey,
        zsk: TestKey,
        keys: Vec<Vec<u8>>,
        sigs: Vec<Vec<u8>>,
    }

    impl Zone {
        fn new(name: &str, algorithm: u8) -> Zone {
            let ksk = TestKey::new(algorithm, 257);
            let zsk = TestKey::new(algorithm, 256);
            let keys = vec![ksk.rdata.clone(), zsk.rdata.clone()];
            let refs: Vec<&[u8]> = keys.iter().map(|k| k.as_slice()).collect();
            let sigs = vec![ksk.sign(name, name, RType::DNSKEY, &refs, 3600, INCEPTION, EXPIRATION)];
            Zone { name: n(name), ksk, zsk, keys, sigs }
        }

        fn ds(&self, key: &[u8], digest: u8) -> Vec<u8> {
            ds_rdata(&self.name, key, digest).expect("ds")
        }

        fn validate(&self, ds: &[Vec<u8>]) -> KeyOutcome {
            let keys: Vec<&[u8]> = self.keys.iter().map(|k| k.as_slice()).collect();
            let sigs: Vec<&[u8]> = self.sigs.iter().map(|k| k.as_slice()).collect();
            let ds: Vec<&[u8]> = ds.iter().map(|k| k.as_slice()).collect();
            validate_dnskeys_with_ds(&self.name, &keys, &sigs, &ds, NOW, &mut Budget::new())
        }
    }

    fn bogus_reason(o: KeyOutcome) -> BogusReason {
        match o {
            KeyOutcome::Bogus(b) => b.reason,
            other => panic!("expected bogus, got {other:?}"),
        }
    }

    #[test]
    fn ds_matching_the_ksk_authenticates_the_key_set_and_its_data() {
        let z = Zone::new("example.", 13);
        let out = z.validate(&[z.ds(&z.ksk.rdata, 2)]);
        let KeyOutcome::Secure { ref keys, ref verified } = out else { panic!("expected secure, got {out:?}") };
        assert_eq!(keys.len(), 2);
        assert_eq!(verified.key_tag, z.ksk.tag());
        // The validated set then verifies data signed by the ZSK.
        let a = a_rdata([192, 0, 2, 1]);
        let sig = z.zsk.sign("example.", "www.example.", RType::A, &[&a], 3600, INCEPTION, EXPIRATION);
        let v = verify_rrset(&n("www.example."), Class::IN, RType::A, &[&a], &[&sig], &z.name, &out.key_refs(), NOW, &mut Budget::new());
        assert!(v.is_ok());
        // SHA-1 and SHA-384 DS work alone too.
        assert!(matches!(z.validate(&[z.ds(&z.ksk.rdata, 1)]), KeyOutcome::Secure { .. }));
        assert!(matches!(z.validate(&[z.ds(&z.ksk.rdata, 4)]), KeyOutcome::Secure { .. }));
    }

    #[test]
    fn sha1_ds_is_ignored_when_sha256_exists_for_the_same_key() {
        let z = Zone::new("example.", 13);
        let good_sha1 = z.ds(&z.ksk.rdata, 1);
        let mut bad_sha256 = z.ds(&z.ksk.rdata, 2);
        let last = bad_sha256.len() - 1;
        bad_sha256[last] ^= 1;
        // RFC 4509 §3: the SHA-256 DS decides, and it does not match.
        assert_eq!(bogus_reason(z.validate(&[good_sha1.clone(), bad_sha256])), BogusReason::DsNoMatch);
        assert!(matches!(z.validate(&[good_sha1]), KeyOutcome::Secure { .. }));
    }

    #[test]
    fn unsupported_digest_only_is_insecure() {
        let z = Zone::new("example.", 13);
        let mut gost = z.ds(&z.ksk.rdata, 2);
        gost[3] = digest_type::GOST;
        let out = z.validate(&[gost]);
        assert_eq!(out, KeyOutcome::Insecure(InsecureReason::UnsupportedDigest));
        assert_eq!(out.security().ede_code(), Some(2));
    }

    /// The lab's `unknownalg.test.`: DNSKEY and DS of unassigned algorithm 100.
    #[test]
    fn unsupported_algorithm_only_is_insecure() {
        let name = n("unknownalg.test.");
        let key = raw_dnskey(257, 100, &[7; 40]);
        let ds = ds_rdata(&name, &key, 2).expect("ds");
        let sig = fake_rrsig(RType::DNSKEY, 100, 2, key_tag(&key), "unknownalg.test.");
        let out = validate_dnskeys_with_ds(&name, &[&key], &[&sig], &[&ds], NOW, &mut Budget::new());
        assert_eq!(out, KeyOutcome::Insecure(InsecureReason::UnsupportedAlgorithm));
        assert_eq!(out.security().ede_code(), Some(1));
    }

    #[test]
    fn supported_ds_beside_an_unsupported_one_must_still_match() {
        let z = Zone::new("example.", 13);
        let mut alg100 = z.ds(&z.ksk.rdata, 2);
        alg100[2] = 100;
        let other = TestKey::new(13, 257);
        let stray = z.ds(&other.rdata, 2);
        assert_eq!(bogus_reason(z.validate(&[alg100.clone(), stray])), BogusReason::DsNoMatch);
        assert_eq!(z.validate(&[alg100]), KeyOutcome::Insecure(InsecureReason::UnsupportedAlgorithm));
    }

    /// The lab's `wrongds.test.`: the parent's DS is of a key the zone never uses.
    #[test]
    fn ds_present_but_no_dnskey_matches_is_bogus_dnskey_missing() {
        let z = Zone::new("wrongds.test.", 13);
        let other = TestKey::new(13, 257);
        let out = z.validate(&[z.ds(&other.rdata, 2)]);
        assert_eq!(out.security().ede_code(), Some(9));
        assert_eq!(bogus_reason(out), BogusReason::DsNoMatch);
    }

    #[test]
    fn ds_key_must_have_signed_the_key_set() {
        let z = Zone::new("example.", 13);
        // DS of the ZSK, which did not sign the DNSKEY RRset.
        let out = z.validate(&[z.ds(&z.zsk.rdata, 2)]);
        assert!(matches!(bogus_reason(out), BogusReason::DnskeyMissing { .. }));
        // Expired signature over the key set.
        let mut z = Zone::new("example.", 13);
        let refs: Vec<&[u8]> = z.keys.iter().map(|k| k.as_slice()).collect();
        z.sigs = vec![z.ksk.sign("example.", "example.", RType::DNSKEY, &refs, 3600, NOW - 100, NOW - 1)];
        let out = z.validate(&[z.ds(&z.ksk.rdata, 2)]);
        assert_eq!(out.security().ede_code(), Some(7));
    }

    #[test]
    fn ds_key_without_zone_bit_or_revoked_is_refused() {
        let name = n("example.");
        for (flags, want) in [(1u16, 11u16), (257 | DNSKEY_REVOKE, 6)] {
            let k = TestKey::new(13, flags);
            let keys: Vec<&[u8]> = vec![&k.rdata];
            let sig = k.sign("example.", "example.", RType::DNSKEY, &keys, 3600, INCEPTION, EXPIRATION);
            let ds = ds_rdata(&name, &k.rdata, 2).expect("ds");
            let out = validate_dnskeys_with_ds(&name, &keys, &[&sig], &[&ds], NOW, &mut Budget::new());
            assert_eq!(out.security().ede_code(), Some(want), "flags {flags}");
        }
    }

    #[test]
    fn ds_matching_only_an_rsa_key_below_512_bits_is_insecure() {
        let name = n("example.net.");
        let key = rsa_256_bit_dnskey(257);
        let ds = ds_rdata(&name, &key, 2).expect("ds");
        let sig = fake_rrsig(RType::DNSKEY, 8, 2, key_tag(&key), "example.net.");
        let out = validate_dnskeys_with_ds(&name, &[&key], &[&sig], &[&ds], NOW, &mut Budget::new());
        assert_eq!(out, KeyOutcome::Insecure(InsecureReason::UnsupportedAlgorithm));
    }

    #[test]
    fn empty_or_malformed_ds_sets_are_bogus_not_insecure() {
        let z = Zone::new("example.", 13);
        assert_eq!(bogus_reason(z.validate(&[])), BogusReason::EmptyDsSet);
        assert_eq!(bogus_reason(z.validate(&[vec![1, 2]])), BogusReason::Malformed(RType::DS));
    }

    /// KeyTrap against the DS step: many keys share the DS's tag and algorithm.
    #[test]
    fn colliding_keys_behind_one_ds_stop_at_the_collision_limit() {
        let name = n("example.");
        let keys: Vec<Vec<u8>> = (0..10u8).map(|i| colliding_p256_dnskey(i, 777)).collect();
        let refs: Vec<&[u8]> = keys.iter().map(|k| k.as_slice()).collect();
        let mut ds = ds_rdata(&name, &keys[9], 2).expect("ds");
        let last = ds.len() - 1;
        ds[last] ^= 1;
        let mut budget = Budget::new();
        let out = validate_dnskeys_with_ds(&name, &refs, &[], &[&ds], NOW, &mut budget);
        assert_eq!(out, KeyOutcome::Indeterminate(BudgetExceeded { limit: Limit::KeyTagCollisions }));
        assert_eq!(out.security().ede_code(), Some(5));
    }

    #[test]
    fn rsasha256_zone_validates() {
        let z = Zone::new("rsa.test.", 8);
        assert!(matches!(z.validate(&[z.ds(&z.ksk.rdata, 2)]), KeyOutcome::Secure { .. }));
    }

    #[test]
    fn anchor_key_must_be_in_the_set_and_sign_it() {
        let z = Zone::new(".", 13);
        let keys: Vec<&[u8]> = z.keys.iter().map(|k| k.as_slice()).collect();
        let sigs: Vec<&[u8]> = z.sigs.iter().map(|k| k.as_slice()).collect();
        let out = validate_dnskeys_with_anchor_keys(&z.name, &keys, &sigs, &[&z.ksk.rdata], NOW, &mut Budget::new());
        assert!(matches!(out, KeyOutcome::Secure { .. }), "{out:?}");
        // An anchor absent from the set.
        let stranger = TestKey::new(13, 257);
        let out = validate_dnskeys_with_anchor_keys(&z.name, &keys, &sigs, &[&stranger.rdata], NOW, &mut Budget::new());
        assert_eq!(bogus_reason(out), BogusReason::AnchorKeyMissing);
        // The ZSK is in the set but did not sign it.
        let out = validate_dnskeys_with_anchor_keys(&z.name, &keys, &sigs, &[&z.zsk.rdata], NOW, &mut Budget::new());
        assert!(matches!(bogus_reason(out), BogusReason::DnskeyMissing { .. }));
        // Only anchors of unsupported algorithms.
        let alg100 = raw_dnskey(257, 100, &[3; 20]);
        let out = validate_dnskeys_with_anchor_keys(&z.name, &keys, &sigs, &[&alg100], NOW, &mut Budget::new());
        assert_eq!(out, KeyOutcome::Insecure(InsecureReason::UnsupportedAlgorithm));
    }

    #[test]
    fn revoked_anchor_key_is_refused() {
        let name = Name::root();
        let ksk = TestKey::new(13, 257);
        let revoked_rdata = ksk.key.dnskey_rdata(257 | DNSKEY_REVOKE);
        let keys: Vec<&[u8]> = vec![&revoked_rdata];
        let sig = sign_with(&ksk, &revoked_rdata, ".", &keys);
        let out = validate_dnskeys_with_anchor_keys(&name, &keys, &[&sig], &[&ksk.rdata], NOW, &mut Budget::new());
        assert!(matches!(bogus_reason(out), BogusReason::KeyRevoked { .. }));
    }

    fn sign_with(k: &TestKey, rdata: &[u8], zone: &str, keys: &[&[u8]]) -> Vec<u8> {
        tern_shared::dnssec::sign_rrset(&k.key, rdata, &n(zone), &n(zone), Class::IN, RType::DNSKEY, 3600, keys, INCEPTION, EXPIRATION)
            .expect("sign")
    }
}
