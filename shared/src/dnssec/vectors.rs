//! RFC test vectors for the DNSSEC primitives (texts in `shared/conformance/rfc/`), and
//! sign/verify round trips for every signing algorithm.
//!
//! RDATA is built by hand here: the zone-file parser lives elsewhere.
//!
//! # Limitations
//! - All RFC signatures have long expired; only the mathematics is checked, and validity
//!   windows are tested separately in `time.rs` with these RRSIGs' dates.

use super::*;
use crate::wire::rdata::days_from_civil;
use crate::wire::record::RrsigView;
use crate::wire::{Class, Name, RType};
use data_encoding::{BASE32HEX_NOPAD, BASE64, HEXLOWER_PERMISSIVE};

fn n(s: &str) -> Name {
    s.parse().expect("test name")
}

fn b64(s: &str) -> Vec<u8> {
    let clean: String = s.split_whitespace().collect();
    BASE64.decode(clean.as_bytes()).expect("test base64")
}

fn hex(s: &str) -> Vec<u8> {
    let clean: String = s.split_whitespace().collect();
    HEXLOWER_PERMISSIVE.decode(clean.as_bytes()).expect("test hex")
}

fn dnskey(flags: u16, algorithm: u8, key_b64: &str) -> Vec<u8> {
    let mut v = flags.to_be_bytes().to_vec();
    v.push(3);
    v.push(algorithm);
    v.extend_from_slice(&b64(key_b64));
    v
}

fn ds(tag: u16, algorithm: u8, digest_type: u8, digest_hex: &str) -> Vec<u8> {
    let mut v = tag.to_be_bytes().to_vec();
    v.push(algorithm);
    v.push(digest_type);
    v.extend_from_slice(&hex(digest_hex));
    v
}

/// `YYYYMMDDHHmmSS` (RFC 4034 §3.2) as seconds since the epoch.
fn t(s: &str) -> u32 {
    let p = |a: usize, b: usize| s[a..b].parse::<u32>().expect("test time");
    let days = days_from_civil(p(0, 4) as i64, p(4, 6), p(6, 8));
    (days * 86_400 + (p(8, 10) * 3600 + p(10, 12) * 60 + p(12, 14)) as i64) as u32
}

#[allow(clippy::too_many_arguments)]
fn rrsig(covered: RType, algorithm: u8, labels: u8, ttl: u32, exp: u32, inc: u32, tag: u16, signer: &str, sig: &[u8]) -> Vec<u8> {
    let mut v = covered.0.to_be_bytes().to_vec();
    v.push(algorithm);
    v.push(labels);
    v.extend_from_slice(&ttl.to_be_bytes());
    v.extend_from_slice(&exp.to_be_bytes());
    v.extend_from_slice(&inc.to_be_bytes());
    v.extend_from_slice(&tag.to_be_bytes());
    v.extend_from_slice(n(signer).wire());
    v.extend_from_slice(sig);
    v
}

/// Verifies a whole RRSIG RDATA over an RRset with a DNSKEY RDATA, as a validator would
/// (minus the policy checks).
fn verify_rrsig(rrsig_rdata: &[u8], owner: &Name, rdatas: &[&[u8]], dnskey_rdata: &[u8]) -> Result<(), VerifyError> {
    let sig = RrsigView::parse(rrsig_rdata).expect("RRSIG parses");
    let data = rrsig_signed_data(rrsig_rdata, owner, Class::IN, rdatas).expect("signing input");
    verify(sig.algorithm, &dnskey_rdata[4..], &data, sig.signature)
}

fn mx(pref: u16, host: &str) -> Vec<u8> {
    let mut v = pref.to_be_bytes().to_vec();
    v.extend_from_slice(n(host).wire());
    v
}

// ---------------------------------------------------------------- RFC 4034 §5.4

#[test]
fn rfc4034_5_4_key_tag_and_sha1_ds() {
    let key = dnskey(
        256,
        5,
        "AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZ
         DRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9Xzc
         nOf+EPbtG9DMBmADjFDc2w/rljwvFw==",
    );
    let owner = n("dskey.example.com.");
    assert_eq!(key_tag(&key), 60485);
    let want = ds(60485, 5, 1, "2BB183AF5F22588179A53B0A98631FAD1A292118");
    assert_eq!(ds_rdata(&owner, &key, 1), Some(want.clone()));
    assert!(ds_matches(&owner, &want, &key));
    // The owner is lowercased before hashing (RFC 4034 §5.1.4).
    assert!(ds_matches(&n("DSKEY.Example.COM."), &want, &key));
    assert!(!ds_matches(&n("other.example.com."), &want, &key));
    let mut wrong = want.clone();
    let last = wrong.len() - 1;
    wrong[last] ^= 1;
    assert!(!ds_matches(&owner, &wrong, &key));
}

#[test]
fn digest_types_supported_are_1_2_4() {
    assert!(digest_supported(1) && digest_supported(2) && digest_supported(4));
    assert!(!digest_supported(0) && !digest_supported(3) && !digest_supported(5));
    let key = dnskey(257, 15, "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=");
    assert_eq!(ds_rdata(&n("example.com."), &key, 3), None);
    assert_eq!(ds_rdata(&n("example.com."), &[1, 2], 2), None);
    assert_eq!(ds_rdata(&n("example.com."), &key, 1).map(|d| d.len()), Some(4 + 20));
    assert_eq!(ds_rdata(&n("example.com."), &key, 4).map(|d| d.len()), Some(4 + 48));
    // A DS with an unsupported digest type never matches.
    let mut gost = ds(3613, 15, 3, "00");
    gost.extend_from_slice(&[0; 31]);
    assert!(!ds_matches(&n("example.com."), &gost, &key));
}

/// RFC 4034 Appendix B.1: algorithm 1 uses the low bits of the modulus.
#[test]
fn rfc4034_appendix_b1_rsamd5_key_tag() {
    let key = [1u8, 0, 3, 1, 3, 1, 0, 1, 0xaa, 0xbb, 0xcc, 0xdd, 0xee];
    assert_eq!(key_tag(&key), 0xccdd);
}

// ---------------------------------------------------------------- RFC 5155 Appendix A

#[test]
fn rfc5155_appendix_a_nsec3_hashes() {
    let salt = hex("aabbccdd");
    let cases = [
        ("example.", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"),
        ("a.example.", "35mthgpgcu1qg68fab165klnsnk3dpvl"),
        ("ai.example.", "gjeqe526plbf1g8mklp59enfd789njgi"),
        ("ns1.example.", "2t7b4g4vsa5smi47k61mv5bv1a22bojr"),
        ("ns2.example.", "q04jkcevqvmu85r014c7dkba38o0ji5r"),
        ("w.example.", "k8udemvp1j2f7eg6jebps17vp3n8i58h"),
        ("*.w.example.", "r53bq7cc2uvmubfu5ocmm6pers9tk9en"),
        ("x.w.example.", "b4um86eghhds6nea196smvmlo4ors995"),
        ("y.w.example.", "ji6neoaepv8b5o6k4ev33abha8ht9fgc"),
        ("x.y.w.example.", "2vptu5timamqttgl4luu9kg21e0aor3s"),
        ("xx.example.", "t644ebqk9bibcna874givr6joj62mlhv"),
        ("2t7b4g4vsa5smi47k61mv5bv1a22bojr.example.", "kohar7mbb8dc2ce8a9qvl8hon4k53uhi"),
        // Appendix B.
        ("c.x.w.example.", "0va5bpr2ou0vk0lbqeeljri88laipsfh"),
        ("*.x.w.example.", "92pqneegtaue7pjatc3l3qnk738c6v5m"),
        ("c.example.", "4g6p9u5gvfshp30pqecj98b3maqbn1ck"),
        ("z.w.example.", "qlu7gtfaeh0ek0c05ksfhdpbcgglbe03"),
    ];
    for (name, want) in cases {
        let got = BASE32HEX_NOPAD.encode(&nsec3_hash(&n(name), &salt, 12)).to_ascii_lowercase();
        assert_eq!(got, want, "H({name})");
    }
    // The hash is of the canonical (lowercase) name.
    assert_eq!(nsec3_hash(&n("A.EXAMPLE."), &salt, 12), nsec3_hash(&n("a.example."), &salt, 12));
    assert_ne!(nsec3_hash(&n("a.example."), &salt, 11), nsec3_hash(&n("a.example."), &salt, 12));
}

/// RFC 5155 Appendix A's zone keys (algorithm 7, 512 bits): key tags compute and the
/// example's signatures verify (RFC 3110 §2 allows 512-bit moduli).
#[test]
fn rfc5155_appendix_a_key_tags_and_512_bit_signatures_verify() {
    let zsk = dnskey(256, 7, "AwEAAaetidLzsKWUt4swWR8yu0wPHPiUi8LUsAD0QPWU+wzt89epO6tHzkMBVDkC7qphQO2hTY4hHn9npWFRw5BYubE=");
    let ksk = dnskey(257, 7, "AwEAAcUlFV1vhmqx6NSOUOq2R/dsR7Xm3upJj7IommWSpJABVfW8Q0rOvXdM6kzt+TAu92L9AbsUdblMFin8CVF3n4s=");
    assert_eq!(key_tag(&zsk), 40430);
    assert_eq!(key_tag(&ksk), 12708);
    // example. MX 1 xx.example., RRSIG MX 7 1 3600 20150420235959 20051021000000 40430.
    let sig = b64("GgQ1A9xs47k42VPvpL/a1BWUz/6XsnHkjotw9So8MQtZtl2wJBsnOQsaoHrRCrRbyriEl/GZn9Mto/Kx+wBo+w==");
    let r = rrsig(RType::MX, 7, 1, 3600, t("20150420235959"), t("20051021000000"), 40430, "example.", &sig);
    let m = mx(1, "xx.example.");
    assert_eq!(verify_rrsig(&r, &n("example."), &[&m], &zsk), Ok(()));
    // One flipped bit in the signed data and it no longer verifies.
    let other = mx(2, "xx.example.");
    assert_eq!(verify_rrsig(&r, &n("example."), &[&other], &zsk), Err(VerifyError::BadSignature));
}

// ---------------------------------------------------------------- RFC 5702 §6

const RFC5702_KEY_8: &str = "AwEAAcFcGsaxxdgiuuGmCkVImy4h99CqT7jwY3pexPGcnUFtR2Fh36BponcwtkZ4cAgtvd4Qs8PkxUdp6p/DlUmObdk=";
const RFC5702_KEY_10: &str = "AwEAAdHoNTOW+et86KuJOWRDp1pndvwb6Y83nSVXXyLA3DLroROUkN6X0O6pnWnjJQujX/AyhqFD
    xj13tOnD9u/1kTg7cV6rklMrZDtJCQ5PCl/D7QNPsgVsMu1J2Q8gpMpztNFLpPBz1bWXjDtaR7ZQBlZ3PFY12ZTSncorffcGmhOL";

/// RFC 5702 §6.1: the 512-bit RSASHA256 example verifies (RFC 5702 §2 allows 512 bits),
/// and a key below 512 bits is refused with a typed error.
#[test]
fn rfc5702_6_1_rsasha256_512_bit_signature_verifies() {
    let key = dnskey(256, 8, RFC5702_KEY_8);
    assert_eq!(key_tag(&key), 9033);
    let sig = b64("kRCOH6u7l0QGy9qpC9l1sLncJcOKFLJ7GhiUOibu4teYp5VE9RncriShZNz85mwlMgNEacFYK/lPtPiVYP4bwg==");
    let r = rrsig(RType::A, 8, 3, 3600, t("20300101000000"), t("20000101000000"), 9033, "example.net.", &sig);
    let a = [192u8, 0, 2, 91];
    assert_eq!(verify_rrsig(&r, &n("www.example.net."), &[&a], &key), Ok(()));
    assert_eq!(verify_rrsig(&r, &n("www.example.net."), &[&[192u8, 0, 2, 92]], &key), Err(VerifyError::BadSignature));
    // A 256-bit modulus (exponent 3): below RFC 3110's floor.
    let mut small = vec![1u8, 3];
    small.extend_from_slice(&[0xc5; 32]);
    let err = verify::verify(8, &small, b"data", &[1; 32]);
    assert_eq!(err, Err(VerifyError::RsaKeyTooSmall { bits: 256, min: verify::MIN_RSA_BITS }));
    assert_eq!(err.map_err(|e| e.to_string()), Err("RSA key of 256 bits is below the 512-bit minimum".to_string()));
}

/// RFC 5702 §6.2: RSASHA512 with a 1024-bit key verifies through the legacy parameters.
#[test]
fn rfc5702_6_2_rsasha512_1024_bit_signature_verifies() {
    let key = dnskey(256, 10, RFC5702_KEY_10);
    assert_eq!(key_tag(&key), 3740);
    let sig = b64("tsb4wnjRUDnB1BUi+t6TMTXThjVnG+eCkWqjvvjhzQL1d0YRoOe0CbxrVDYd0xDtsuJRa
         eUw1ep94PzEWzr0iGYgZBWm/zpq+9fOuagYJRfDqfReKBzMweOLDiNa8iP5g9vMhpuv6OPlvpXwm9Sa9ZXIbNl1MBGk0fthPgxdDLw=");
    let r = rrsig(RType::A, 10, 3, 3600, t("20300101000000"), t("20000101000000"), 3740, "example.net.", &sig);
    let a = [192u8, 0, 2, 91];
    assert_eq!(verify_rrsig(&r, &n("www.example.net."), &[&a], &key), Ok(()));
    assert_eq!(verify_rrsig(&r, &n("WWW.Example.NET."), &[&a], &key), Ok(()), "owner case does not matter");
    let other = [192u8, 0, 2, 92];
    assert_eq!(verify_rrsig(&r, &n("www.example.net."), &[&other], &key), Err(VerifyError::BadSignature));
}

// ---------------------------------------------------------------- RFC 6605 §6

struct EcdsaVector {
    algorithm: u8,
    key: &'static str,
    tag: u16,
    digest_type: u8,
    digest: &'static str,
    exp: &'static str,
    inc: &'static str,
    sig: &'static str,
}

const RFC6605: [EcdsaVector; 2] = [
    EcdsaVector {
        algorithm: 13,
        key: "GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==",
        tag: 55648,
        digest_type: 2,
        digest: "b4c8c1fe2e7477127b27115656ad6256f424625bf5c1e2770ce6d6e37df61d17",
        exp: "20100909100439",
        inc: "20100812100439",
        sig: "qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXAyGmt+3SNruPFKG7tZoLBLlUzGGus7ZwmwWep666VCw==",
    },
    EcdsaVector {
        algorithm: 14,
        key: "xKYaNhWdGOfJ+nPrL8/arkwf2EY3MDJ+SErKivBVSum1w/egsXvSADtNJhyem5RCOpgQ6K8X1DRSEkrbYQ+OB+v8/uX45NBwY8rp65F6Glur8I/mlVNgF6W/qTI37m40",
        tag: 10771,
        digest_type: 4,
        digest: "72d7b62976ce06438e9c0bf319013cf801f09ecc84b8d7e9495f27e305c6a9b0563a9b5f4d288405c3008a946df983d6",
        exp: "20100909102025",
        inc: "20100812102025",
        sig: "/L5hDKIvGDyI1fcARX3z65qrmPsVz73QD1Mr5CEqOiLP95hxQouuroGCeZOvzFaxsT8Glr74hbavRKayJNuydCuzWTSSPdz7wnqXL5bdcJzusdnI0RSMROxxwGipWcJm",
    },
];

#[test]
fn rfc6605_6_ecdsa_key_tags_ds_and_rrsigs() {
    let owner = n("example.net.");
    let a = [192u8, 0, 2, 1];
    for v in &RFC6605 {
        let key = dnskey(257, v.algorithm, v.key);
        assert_eq!(key_tag(&key), v.tag, "alg {}", v.algorithm);
        let want = ds(v.tag, v.algorithm, v.digest_type, v.digest);
        assert_eq!(ds_rdata(&owner, &key, v.digest_type), Some(want.clone()));
        assert!(ds_matches(&owner, &want, &key));

        let r = rrsig(RType::A, v.algorithm, 3, 3600, t(v.exp), t(v.inc), v.tag, "example.net.", &b64(v.sig));
        assert_eq!(verify_rrsig(&r, &n("www.example.net."), &[&a], &key), Ok(()), "alg {}", v.algorithm);
        // Any change to the data, signature or key fails.
        let b = [192u8, 0, 2, 2];
        assert_eq!(verify_rrsig(&r, &n("www.example.net."), &[&b], &key), Err(VerifyError::BadSignature));
        let mut bad_sig = r.clone();
        let last = bad_sig.len() - 1;
        bad_sig[last] ^= 0x01;
        assert_eq!(verify_rrsig(&bad_sig, &n("www.example.net."), &[&a], &key), Err(VerifyError::BadSignature));
        let mut bad_ttl = r.clone();
        bad_ttl[7] ^= 0x01;
        assert_eq!(verify_rrsig(&bad_ttl, &n("www.example.net."), &[&a], &key), Err(VerifyError::BadSignature));
        // And the validity window holds the inception and not a day after expiration.
        assert!(time_in_window(t(v.inc), t(v.inc), t(v.exp)));
        assert!(!time_in_window(t(v.exp) + 86_400, t(v.inc), t(v.exp)));
    }
}

// ---------------------------------------------------------------- RFC 8080 §6 + erratum 4935

struct EddsaVector {
    seed: &'static str,
    key: &'static str,
    tag: u16,
    digest: &'static str,
    /// The signature as corrected by RFC erratum 4935 (`MX 15 2 3600 ...`).
    sig: &'static str,
    /// The signature as printed in the RFC (computed over a wrong RRSIG).
    printed_sig: &'static str,
}

const RFC8080_ED25519: [EddsaVector; 2] = [
    EddsaVector {
        seed: "ODIyNjAzODQ2MjgwODAxMjI2NDUxOTAyMDQxNDIyNjI=",
        key: "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=",
        tag: 3613,
        digest: "3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79a304b",
        sig: "oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3fx8A4M3e23mRZ9VrbpMngwcrqNAg==",
        printed_sig: "Edk+IB9KNNWg0HAjm7FazXyrd5m3Rk8zNZbvNpAcM+eysqcUOMIjWoevFkjH5GaMWeG96GUVZu6ECKOQmemHDg==",
    },
    EddsaVector {
        seed: "DSSF3o0s0f+ElWzj9E/Osxw8hLpk55chkmx0LYN5WiY=",
        key: "zPnZ/QwEe7S8C5SPz2OfS5RR40ATk2/rYnE9xHIEijs=",
        tag: 35217,
        digest: "401781b934e392de492ec77ae2e15d70f6575a1c0bc59c5275c04ebe80c6614c",
        sig: "zXQ0bkYgQTEFyfLyi9QoiY6D8ZdYo4wyUhVioYZXFdT410QPRITQSqJSnzQoSm5poJ7gD7AQR0O7KuI5k2pcBg==",
        printed_sig: "5LL2obmzdqjWI+Xto5eP5adXt/T5tMhasWvwcyW4L3SzfcRawOle9bodhC+oip9ayUGjY9T/rL4rN3bOuESGDA==",
    },
];

/// PKCS#8 v1 (RFC 8410 §7) wrapping of a raw Ed25519 seed.
fn ed25519_pkcs8_v1(seed: &[u8]) -> Vec<u8> {
    let mut v = vec![0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
    v.extend_from_slice(seed);
    v
}

#[test]
fn rfc8080_6_1_ed25519_key_tags_ds_and_corrected_rrsigs() {
    let owner = n("example.com.");
    let m = mx(10, "mail.example.com.");
    for v in &RFC8080_ED25519 {
        let key = dnskey(257, 15, v.key);
        assert_eq!(key_tag(&key), v.tag);
        let want = ds(v.tag, 15, 2, v.digest);
        assert_eq!(ds_rdata(&owner, &key, 2), Some(want.clone()));
        assert!(ds_matches(&owner, &want, &key));

        // Erratum 4935: MX 15 2 3600 1440021600 1438207200 <tag> example.com. <sig>.
        let r = rrsig(RType::MX, 15, 2, 3600, 1_440_021_600, 1_438_207_200, v.tag, "example.com.", &b64(v.sig));
        assert_eq!(verify_rrsig(&r, &owner, &[&m], &key), Ok(()), "tag {}", v.tag);
        let printed = rrsig(RType::MX, 15, 2, 3600, 1_440_021_600, 1_438_207_200, v.tag, "example.com.", &b64(v.printed_sig));
        assert_eq!(verify_rrsig(&printed, &owner, &[&m], &key), Err(VerifyError::BadSignature), "the RFC as printed is wrong");

        // Ed25519 is deterministic: the RFC's private key reproduces the corrected RRSIG.
        let sk = SigningKey::from_pkcs8(15, &ed25519_pkcs8_v1(&b64(v.seed))).expect("RFC 8080 private key");
        assert_eq!(sk.dnskey_rdata(257), key);
        let made = sign_rrset(&sk, &key, &owner, &owner, Class::IN, RType::MX, 3600, &[&m], 1_438_207_200, 1_440_021_600).expect("sign");
        assert_eq!(made, r);
    }
}

/// RFC 8080 §6.2: Ed448 key tags and DS digests compute (they do not depend on the
/// algorithm), but Ed448 signatures are unsupported.
#[test]
fn rfc8080_6_2_ed448_tags_and_ds_compute_but_verification_is_unsupported() {
    let owner = n("example.com.");
    let cases = [
        (
            "3kgROaDjrh0H2iuixWBrc8g2EpBBLCdGzHmn+G2MpTPhpj/OiBVHHSfPodx1FYYUcJKm1MDpJtIA",
            9713,
            "6ccf18d5bc5d7fc2fceb1d59d17321402f2aa8d368048db93dd811f5cb2b19c7",
        ),
        (
            "kkreGWoccSDmUBGAe7+zsbG6ZAFQp+syPmYUurBRQc3tDjeMCJcVMRDmgcNLp5HlHAMy12VoISsA",
            38353,
            "645ff078b3568f5852b70cb60e8e696cc77b75bfaaffc118cf79cbda1ba28af4",
        ),
    ];
    for (k, tag, digest) in cases {
        let key = dnskey(257, 16, k);
        assert_eq!(key_tag(&key), tag);
        assert_eq!(ds_rdata(&owner, &key, 2), Some(ds(tag, 16, 2, digest)));
        assert_eq!(verify(16, &key[4..], b"data", &[0; 114]), Err(VerifyError::UnsupportedAlgorithm { algorithm: 16 }));
    }
    assert!(!algorithm_supported(16));
}

// ---------------------------------------------------------------- generated keys

/// Generate, sign with `sign_rrset`, verify; tamper, fail; PKCS#8 round trip; Debug is
/// free of key material. RSA generation is the slow part (about a second).
fn round_trip(algorithm: u8) {
    let key = SigningKey::generate(algorithm).expect("generate");
    assert_eq!(key.algorithm(), algorithm);
    let dnskey = key.dnskey_rdata(256);
    assert_eq!(key_tag(&dnskey), key.key_tag(256));

    let zone = n("Example.ORG.");
    let owner = n("WWW.example.org.");
    let (a1, a2, a3) = ([192u8, 0, 2, 1], [192u8, 0, 2, 2], [198u8, 51, 100, 7]);
    let (inc, exp) = (1_700_000_000, 1_700_000_000 + 30 * 86_400);
    let r = sign_rrset(&key, &dnskey, &zone, &owner, Class::IN, RType::A, 300, &[&a3, &a1, &a2, &a1], inc, exp).expect("sign");

    let view = RrsigView::parse(&r).expect("RRSIG parses");
    assert_eq!((view.covered, view.algorithm, view.labels, view.original_ttl), (RType::A, algorithm, 3, 300));
    assert_eq!((view.inception, view.expiration, view.key_tag), (inc, exp, key.key_tag(256)));
    assert_eq!(view.signer, n("example.org.").wire(), "signer written lowercase");

    // Verifies over the same RRset in another order and case of owner.
    assert_eq!(verify_rrsig(&r, &n("www.EXAMPLE.org."), &[&a1, &a2, &a3], &dnskey), Ok(()), "alg {algorithm}");
    // Tampering with the data, the RRSIG fields or the signature fails.
    assert_eq!(verify_rrsig(&r, &owner, &[&a1, &a2], &dnskey), Err(VerifyError::BadSignature));
    let mut bad = r.clone();
    bad[15] ^= 1; // inception
    assert_eq!(verify_rrsig(&bad, &owner, &[&a1, &a2, &a3], &dnskey), Err(VerifyError::BadSignature));
    let mut bad = r.clone();
    let mid = view.prefix.len() + 5;
    bad[mid] ^= 0x40;
    assert_eq!(verify_rrsig(&bad, &owner, &[&a1, &a2, &a3], &dnskey), Err(VerifyError::BadSignature));

    // PKCS#8 round trip: same public key, and its signatures verify against the old DNSKEY.
    let again = SigningKey::from_pkcs8(algorithm, &key.to_pkcs8()).expect("reload");
    assert_eq!(again.public_key(), key.public_key());
    let r2 = sign_rrset(&again, &dnskey, &zone, &owner, Class::IN, RType::A, 300, &[&a1], inc, exp).expect("sign");
    assert_eq!(verify_rrsig(&r2, &owner, &[&a1], &dnskey), Ok(()));

    // A DNSKEY of another key (or flags/algorithm/protocol mismatch) is refused.
    let other = SigningKey::generate(alg::ED25519).expect("generate");
    let res = sign_rrset(&key, &other.dnskey_rdata(256), &zone, &owner, Class::IN, RType::A, 300, &[&a1], inc, exp);
    assert!(matches!(res, Err(KeyError::KeyMismatch)));

    // Debug shows the algorithm and tags, and nothing of the private key.
    let dbg = format!("{key:?}");
    assert!(dbg.starts_with("SigningKey { algorithm: "), "{dbg}");
    assert!(dbg.contains(&format!("key_tag_256: {}", key.key_tag(256))), "{dbg}");
    assert!(dbg.len() < 100, "{dbg}");
}

#[test]
fn round_trip_rsasha256() {
    round_trip(alg::RSASHA256);
    let key = SigningKey::generate(alg::RSASHA256).expect("generate");
    let pk = verify::RsaPublicKey::parse(key.public_key()).expect("RFC 3110 key");
    assert_eq!(pk.bits(), signing::RSA_DEFAULT_BITS);
    assert_eq!(pk.exponent, &[1, 0, 1]);
}

#[test]
fn round_trip_ecdsap256sha256() {
    round_trip(alg::ECDSAP256SHA256);
    assert_eq!(SigningKey::generate(alg::ECDSAP256SHA256).expect("generate").public_key().len(), 64);
}

#[test]
fn round_trip_ecdsap384sha384() {
    round_trip(alg::ECDSAP384SHA384);
    assert_eq!(SigningKey::generate(alg::ECDSAP384SHA384).expect("generate").public_key().len(), 96);
}

#[test]
fn round_trip_ed25519() {
    round_trip(alg::ED25519);
}

#[test]
fn unsupported_signing_algorithms_and_bad_pkcs8_are_typed_errors() {
    for a in [5, 7, 10, 16, 0] {
        assert!(matches!(SigningKey::generate(a), Err(KeyError::UnsupportedAlgorithm { algorithm }) if algorithm == a));
        assert!(!SigningKey::algorithm_supported(a));
    }
    assert!(matches!(SigningKey::from_pkcs8(13, b"not DER"), Err(KeyError::Rejected { algorithm: 13, .. })));
    // A P-256 key is not a P-384 key nor an Ed25519 key.
    let p256 = SigningKey::generate(13).expect("generate").to_pkcs8();
    assert!(matches!(SigningKey::from_pkcs8(14, &p256), Err(KeyError::Rejected { algorithm: 14, .. })));
    assert!(matches!(SigningKey::from_pkcs8(15, &p256), Err(KeyError::Rejected { algorithm: 15, .. })));
    assert!(matches!(SigningKey::from_pkcs8(8, &p256), Err(KeyError::Rejected { algorithm: 8, .. })));
}

/// A wildcard RRset signed at `*.example.` verifies for any name it expands to
/// (RFC 4035 §5.3.2), with the labels field counting the wildcard's parent only.
#[test]
fn rfc4035_5_3_2_wildcard_signature_verifies_for_expansions() {
    let key = SigningKey::generate(alg::ECDSAP256SHA256).expect("generate");
    let dnskey = key.dnskey_rdata(256);
    let txt = b"\x03foo".to_vec();
    let zone = n("example.");
    let r = sign_rrset(&key, &dnskey, &zone, &n("*.example."), Class::IN, RType::TXT, 60, &[&txt], 0, 100).expect("sign");
    assert_eq!(r[3], 1, "labels");
    for q in ["a.example.", "a.b.c.example.", "*.example."] {
        assert_eq!(verify_rrsig(&r, &n(q), &[&txt], &dnskey), Ok(()), "{q}");
    }
    // A name outside the wildcard's parent does not verify.
    assert_eq!(verify_rrsig(&r, &n("a.other."), &[&txt], &dnskey), Err(VerifyError::BadSignature));
}
