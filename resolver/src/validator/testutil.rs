//! Test helpers: names, keys, signed RRsets and denial records built by hand.

use data_encoding::{BASE32HEX_NOPAD, BASE64};
use tern_shared::dnssec::{key_tag, sign_rrset, SigningKey};
use tern_shared::wire::rdata::make_bitmap;
use tern_shared::wire::{Class, Name, RType};

/// "Now" in the tests: 2023-11-14.
pub(crate) const NOW: u32 = 1_700_000_000;
/// A valid inception a day before [`NOW`].
pub(crate) const INCEPTION: u32 = NOW - 86_400;
/// A valid expiration thirty days after [`NOW`].
pub(crate) const EXPIRATION: u32 = NOW + 30 * 86_400;

pub(crate) fn n(s: &str) -> Name {
    s.parse().expect("test name")
}

/// A generated signing key with its DNSKEY RDATA.
pub(crate) struct TestKey {
    pub key: SigningKey,
    pub rdata: Vec<u8>,
}

impl TestKey {
    pub fn new(algorithm: u8, flags: u16) -> TestKey {
        let key = SigningKey::generate(algorithm).expect("key generation");
        let rdata = key.dnskey_rdata(flags);
        TestKey { key, rdata }
    }

    pub fn tag(&self) -> u16 {
        key_tag(&self.rdata)
    }

    #[allow(clippy::too_many_arguments)]
    pub fn sign(&self, signer: &str, owner: &str, rtype: RType, rdatas: &[&[u8]], ttl: u32, inception: u32, expiration: u32) -> Vec<u8> {
        sign_rrset(&self.key, &self.rdata, &n(signer), &n(owner), Class::IN, rtype, ttl, rdatas, inception, expiration).expect("signing")
    }
}

pub(crate) fn a_rdata(ip: [u8; 4]) -> Vec<u8> {
    ip.to_vec()
}

pub(crate) fn mx_rdata(pref: u16, host: &str) -> Vec<u8> {
    let mut v = pref.to_be_bytes().to_vec();
    v.extend_from_slice(n(host).wire());
    v
}

/// DNSKEY RDATA from parts.
pub(crate) fn raw_dnskey(flags: u16, algorithm: u8, public_key: &[u8]) -> Vec<u8> {
    let mut v = flags.to_be_bytes().to_vec();
    v.push(3);
    v.push(algorithm);
    v.extend_from_slice(public_key);
    v
}

/// An RRSIG with a valid window and a signature that verifies under no key.
pub(crate) fn fake_rrsig(covered: RType, algorithm: u8, labels: u8, tag: u16, signer: &str) -> Vec<u8> {
    let mut v = covered.0.to_be_bytes().to_vec();
    v.push(algorithm);
    v.push(labels);
    v.extend_from_slice(&3600u32.to_be_bytes());
    v.extend_from_slice(&EXPIRATION.to_be_bytes());
    v.extend_from_slice(&INCEPTION.to_be_bytes());
    v.extend_from_slice(&tag.to_be_bytes());
    v.extend_from_slice(n(signer).wire());
    v.extend_from_slice(&[0x5a; 64]);
    v
}

/// An algorithm-13 zone-key DNSKEY with made-up key material whose key tag is `tag`
/// (KeyTrap-style collisions): the last two octets are chosen to fix the checksum.
pub(crate) fn colliding_p256_dnskey(seed: u8, tag: u16) -> Vec<u8> {
    let mut key: Vec<u8> = (0..64u8).map(|i| i.wrapping_mul(31).wrapping_add(seed.wrapping_mul(17)).wrapping_add(1)).collect();
    key[62] = 0;
    key[63] = 0;
    let mut rdata = raw_dnskey(256, 13, &key);
    let len = rdata.len();
    for x in 0..=u16::MAX {
        rdata[len - 2..].copy_from_slice(&x.to_be_bytes());
        if key_tag(&rdata) == tag {
            return rdata;
        }
    }
    panic!("no collision found");
}

/// RFC 5702 §6.1: the 512-bit RSASHA256 DNSKEY (256 3 8, tag 9033) of example.net.
/// An RSASHA256 DNSKEY with a 256-bit modulus (exponent 3): below RFC 3110 §2's floor.
pub(crate) fn rsa_256_bit_dnskey(flags: u16) -> Vec<u8> {
    let mut key = vec![1u8, 3];
    key.extend_from_slice(&[0xc5; 32]);
    raw_dnskey(flags, 8, &key)
}

pub(crate) fn rfc5702_512_bit_dnskey() -> Vec<u8> {
    let key = BASE64.decode(b"AwEAAcFcGsaxxdgiuuGmCkVImy4h99CqT7jwY3pexPGcnUFtR2Fh36BponcwtkZ4cAgtvd4Qs8PkxUdp6p/DlUmObdk=").expect("b64");
    raw_dnskey(256, 8, &key)
}

/// RFC 5702 §6.1: its RRSIG over `www.example.net. A 192.0.2.91`.
pub(crate) fn rfc5702_512_bit_rrsig() -> Vec<u8> {
    let sig = BASE64.decode(b"kRCOH6u7l0QGy9qpC9l1sLncJcOKFLJ7GhiUOibu4teYp5VE9RncriShZNz85mwlMgNEacFYK/lPtPiVYP4bwg==").expect("b64");
    let mut v = RType::A.0.to_be_bytes().to_vec();
    v.extend_from_slice(&[8, 3]);
    v.extend_from_slice(&3600u32.to_be_bytes());
    v.extend_from_slice(&1_893_456_000u32.to_be_bytes()); // 20300101000000
    v.extend_from_slice(&946_684_800u32.to_be_bytes()); // 20000101000000
    v.extend_from_slice(&9033u16.to_be_bytes());
    v.extend_from_slice(n("example.net.").wire());
    v.extend_from_slice(&sig);
    v
}

/// NSEC RDATA: next owner name and type bitmap (RFC 4034 §4.1).
pub(crate) fn nsec_rdata(next: &str, types: &[RType]) -> Vec<u8> {
    let mut v = n(next).wire().to_vec();
    v.extend(make_bitmap(types.iter().copied()));
    v
}

/// Decodes a base32hex NSEC3 hash label (any case).
pub(crate) fn b32(label: &str) -> Vec<u8> {
    BASE32HEX_NOPAD.decode(label.to_ascii_uppercase().as_bytes()).expect("base32hex")
}

pub(crate) fn hex(s: &str) -> Vec<u8> {
    data_encoding::HEXLOWER_PERMISSIVE.decode(s.as_bytes()).expect("hex")
}

/// NSEC3 RDATA (RFC 5155 §3.2): hash algorithm 1.
pub(crate) fn nsec3_rdata(flags: u8, iterations: u16, salt: &[u8], next_hash: &[u8], types: &[RType]) -> Vec<u8> {
    let mut v = vec![1, flags];
    v.extend_from_slice(&iterations.to_be_bytes());
    v.push(salt.len() as u8);
    v.extend_from_slice(salt);
    v.push(next_hash.len() as u8);
    v.extend_from_slice(next_hash);
    v.extend(make_bitmap(types.iter().copied()));
    v
}
