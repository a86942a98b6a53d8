//! The IANA root-zone trust anchors, built into the binary.
//!
//! `root-anchors.xml` beside this crate's `Cargo.toml` is IANA's file
//! (<https://data.iana.org/root-anchors/root-anchors.xml>, RFC 7958 format with the
//! RFC 9718 `PublicKey`/`Flags` additions) byte for byte: 1861 octets, SHA-256
//! `3ccaab38830025ee0a0f6c1f25769427544f81ea2865aa860468f3ef5278b908`, the digest IANA
//! publishes in `checksums-sha256.txt`; a test pins both. It holds KSK-2010 (key tag
//! 19036, `validUntil` 2019-01-11), KSK-2017 (20326) and KSK-2024 (38696). It is read
//! with the same parser as operators' XML files ([`crate::xml`]), and only digests valid
//! at the caller's `now` are returned (RFC 7958 §3).
//!
//! The built-in anchors are marked `managed`: the root KSK rolls by RFC 5011 (as BIND's
//! `bind.keys` `initial-key` and Unbound's `auto-trust-anchor-file` treat it).
//!
//! # Limitations
//! - Nothing is fetched at build or run time. A binary older than a future root KSK
//!   rollover relies on RFC 5011 ([`crate::rollover`]) having followed it, or on the
//!   operator's own anchor file.
//! - If the clock is before 2017-02-02 (or past every `validUntil`), no anchor is valid
//!   and [`builtin_root_anchors`] returns none: the resolver must refuse to validate
//!   rather than run without a root anchor.

use crate::anchor::{Anchor, AnchorSource};

/// IANA's `root-anchors.xml`, as published.
pub const ROOT_ANCHORS_XML: &str = include_str!("../root-anchors.xml");

/// The built-in root anchors valid at `now` (seconds since the epoch), as DS anchors
/// for `.`, `managed`, source `built-in`. Two at any time since 2024-07-18:
/// KSK-2017 (20326) and KSK-2024 (38696).
pub fn builtin_root_anchors(now: u64) -> Vec<Anchor> {
    match crate::xml::parse(ROOT_ANCHORS_XML) {
        Ok(doc) => doc.anchors_at(now, true, |_| AnchorSource::BuiltIn),
        // Unreachable: the tests parse this very file.
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anchor::AnchorKind;
    use crate::time::parse_datetime;
    use data_encoding::{BASE64, HEXUPPER};
    use tern_shared::dnssec::{ds_matches, key_tag};
    use tern_shared::wire::Name;

    /// Root KSK-2017 public key (RFC 4034 §2.2 base64), key tag 20326.
    const KSK_2017: &str = "AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHwVN8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOLYA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU=";
    /// Root KSK-2024 public key, key tag 38696.
    const KSK_2024: &str = "AwEAAa96jeuknZlaeSrvyAJj6ZHv28hhOKkx3rLGXVaC6rXTsDc449/cidltpkyGwCJNnOAlFNKF2jBosZBU5eeHspaQWOmOElZsjICMQMC3aeHbGiShvZsx4wMYSjH8e7Vrhbu6irwCzVBApESjbUdpWWmEnhathWu1jo+siFUiRAAxm9qyJNg/wOZqqzL/dL/q8PkcRU5oUKEpUge71M3ej2/7CPqpdVwuMoTvoB+ZOT4YeGyxMvHmbrxlFzGOHOijtzN+u1TQNatX2XBuzZNQ1K+s2CXkPIZo7s6JgZyvaBevYtxPvYLw4z9mR7K2vaF18UYH9Z9GNUUeayffKC73PYc=";

    fn dnskey(b64: &str) -> Vec<u8> {
        let mut r = vec![0x01, 0x01, 3, 8];
        r.extend_from_slice(&BASE64.decode(b64.as_bytes()).unwrap());
        r
    }

    fn at(date: &str) -> u64 {
        parse_datetime(date).unwrap() as u64
    }

    #[test]
    fn builtin_file_is_ianas_byte_for_byte() {
        assert_eq!(ROOT_ANCHORS_XML.len(), 1861);
        let sum = ring::digest::digest(&ring::digest::SHA256, ROOT_ANCHORS_XML.as_bytes());
        assert_eq!(HEXUPPER.encode(sum.as_ref()), "3CCAAB38830025EE0A0F6C1F25769427544F81EA2865AA860468F3EF5278B908");
    }

    #[test]
    fn builtin_file_parses_with_three_digests() {
        let doc = crate::xml::parse(ROOT_ANCHORS_XML).unwrap();
        assert_eq!(doc.zone, Name::root());
        assert_eq!(doc.id.as_deref(), Some("0C05FDD6-422C-4910-8ED6-430ED15E11C2"));
        assert_eq!(doc.source.as_deref(), Some("http://data.iana.org/root-anchors/root-anchors.xml"));
        let tags: Vec<u16> = doc.digests.iter().map(|d| d.key_tag).collect();
        assert_eq!(tags, vec![19036, 20326, 38696]);
        assert_eq!(doc.digests[0].valid_until, Some(at("2019-01-11T00:00:00+00:00") as i64));
        assert_eq!(doc.digests[1].valid_from, at("2017-02-02T00:00:00+00:00") as i64);
        assert_eq!(doc.digests[2].valid_from, at("2024-07-18T00:00:00+00:00") as i64);
        assert_eq!(doc.digests[1].public_key.as_deref(), Some(&dnskey(KSK_2017)[4..]));
        assert_eq!(doc.digests[2].flags, Some(257));
    }

    #[test]
    fn two_root_anchors_in_2025() {
        let anchors = builtin_root_anchors(at("2025-06-01T00:00:00Z"));
        assert_eq!(anchors.len(), 2);
        let want = [
            (20326, "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D"),
            (38696, "683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16"),
        ];
        for (a, (tag, digest)) in anchors.iter().zip(want) {
            assert_eq!(a.owner, Name::root());
            assert_eq!(a.key_tag, tag);
            assert_eq!(a.algorithm(), 8);
            assert!(a.managed);
            assert_eq!(a.source, AnchorSource::BuiltIn);
            let AnchorKind::Ds(ds) = &a.kind else { panic!("DS expected") };
            assert_eq!(ds[3], 2, "SHA-256");
            assert_eq!(HEXUPPER.encode(&ds[4..]), digest);
        }
    }

    #[test]
    fn validity_follows_the_clock() {
        let tags = |date| builtin_root_anchors(at(date)).iter().map(|a| a.key_tag).collect::<Vec<_>>();
        assert_eq!(tags("2016-01-01T00:00:00Z"), vec![19036]);
        assert_eq!(tags("2018-01-01T00:00:00Z"), vec![19036, 20326]);
        assert_eq!(tags("2019-01-11T00:00:00Z"), vec![20326], "validUntil is exclusive");
        assert_eq!(tags("2024-07-17T23:59:59Z"), vec![20326]);
        assert_eq!(tags("2024-07-18T00:00:00Z"), vec![20326, 38696]);
        assert!(builtin_root_anchors(0).is_empty());
    }

    #[test]
    fn ds_digests_match_the_root_ksks() {
        let anchors = builtin_root_anchors(at("2025-06-01T00:00:00Z"));
        let (k2017, k2024) = (dnskey(KSK_2017), dnskey(KSK_2024));
        assert_eq!(key_tag(&k2017), 20326);
        assert_eq!(key_tag(&k2024), 38696);
        assert!(ds_matches(&Name::root(), anchors[0].kind.rdata(), &k2017));
        assert!(ds_matches(&Name::root(), anchors[1].kind.rdata(), &k2024));
        assert!(!ds_matches(&Name::root(), anchors[0].kind.rdata(), &k2024));
        assert!(anchors[0].matches_dnskey(&k2017) && anchors[1].matches_dnskey(&k2024));
        // The revoked form of a key (flags 385) is a different key to a DS.
        let mut revoked = k2017.clone();
        revoked[1] |= 0x80;
        assert!(!anchors[0].matches_dnskey(&revoked));
    }
}
