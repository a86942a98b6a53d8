//! Key tags (RFC 4034 Appendix B) and DS digests: SHA-1 (RFC 4034 §5.1.4), SHA-256
//! (RFC 4509 §2.1) and SHA-384 (RFC 6605 §2). The DS digest is
//! `digest(canonical owner name | DNSKEY RDATA)` (RFC 4034 §5.1.4).
//!
//! # Limitations
//! - Digest type 3 (GOST R 34.11-94, RFC 5933) is not supported: [`digest_supported`] says
//!   no, and RFC 4035 §5.2 / RFC 6840 §5.2 make a DS set of only unsupported digests insecure.
//! - A key tag is a hint, not an identity (RFC 4034 §5.1.1): several keys may share one.

use super::digest_type;
use crate::wire::record::DsView;
use crate::wire::Name;
use ring::digest;

/// The key tag of a DNSKEY (RFC 4034 Appendix B): the ones'-complement-style sum of the
/// RDATA taken as big-endian 16-bit words, folded to 16 bits.
///
/// For algorithm 1 (RSA/MD5) the tag is instead the most significant 16 bits of the least
/// significant 24 bits of the modulus (RFC 4034 Appendix B.1), i.e. the third- and
/// second-to-last octets of the RDATA. RDATA shorter than 4 octets has no algorithm field
/// and gets the plain sum.
pub fn key_tag(dnskey_rdata: &[u8]) -> u16 {
    if dnskey_rdata.len() >= 7 && dnskey_rdata[3] == super::alg::RSAMD5 {
        let n = dnskey_rdata.len();
        return u16::from_be_bytes([dnskey_rdata[n - 3], dnskey_rdata[n - 2]]);
    }
    let mut ac: u32 = 0;
    for (i, &b) in dnskey_rdata.iter().enumerate() {
        // Wrapping only matters for input longer than any RDATA (65535 octets).
        ac = ac.wrapping_add(if i & 1 == 1 { b as u32 } else { (b as u32) << 8 });
    }
    ac = ac.wrapping_add((ac >> 16) & 0xffff);
    (ac & 0xffff) as u16
}

/// True for the DS digest types this module computes: 1 (SHA-1), 2 (SHA-256), 4 (SHA-384).
pub fn digest_supported(digest_type: u8) -> bool {
    digest_algorithm(digest_type).is_some()
}

fn digest_algorithm(digest_type: u8) -> Option<&'static digest::Algorithm> {
    match digest_type {
        digest_type::SHA1 => Some(&digest::SHA1_FOR_LEGACY_USE_ONLY),
        digest_type::SHA256 => Some(&digest::SHA256),
        digest_type::SHA384 => Some(&digest::SHA384),
        _ => None,
    }
}

/// The DS digest of a DNSKEY (RFC 4034 §5.1.4): `digest(lowercased owner | DNSKEY RDATA)`.
/// `None` for an unsupported digest type.
pub fn ds_digest(owner: &Name, dnskey_rdata: &[u8], digest_type: u8) -> Option<Vec<u8>> {
    let alg = digest_algorithm(digest_type)?;
    let mut ctx = digest::Context::new(alg);
    ctx.update(owner.to_lowercase().wire());
    ctx.update(dnskey_rdata);
    Some(ctx.finish().as_ref().to_vec())
}

/// Complete DS RDATA (RFC 4034 §5.1: key tag, algorithm, digest type, digest) for the DNSKEY
/// at `owner`. `None` for an unsupported digest type or RDATA too short to be a DNSKEY.
pub fn ds_rdata(owner: &Name, dnskey_rdata: &[u8], digest_type: u8) -> Option<Vec<u8>> {
    if dnskey_rdata.len() < 4 {
        return None;
    }
    let digest = ds_digest(owner, dnskey_rdata, digest_type)?;
    let mut out = Vec::with_capacity(4 + digest.len());
    out.extend_from_slice(&key_tag(dnskey_rdata).to_be_bytes());
    out.push(dnskey_rdata[3]);
    out.push(digest_type);
    out.extend_from_slice(&digest);
    Some(out)
}

/// True if the DS RDATA refers to this DNSKEY: key tag, algorithm and digest all match
/// (RFC 4035 §5.2). False for an unsupported digest type or malformed RDATA; the caller
/// tells "unsupported" apart with [`digest_supported`].
///
/// Flags are not checked here: that the key has the Zone Key bit (RFC 4034 §5.2) and no
/// REVOKE bit is the validator's job.
pub fn ds_matches(owner: &Name, ds_rdata: &[u8], dnskey_rdata: &[u8]) -> bool {
    let Some(ds) = DsView::parse(ds_rdata) else { return false };
    if dnskey_rdata.len() < 4 || ds.algorithm != dnskey_rdata[3] || ds.key_tag != key_tag(dnskey_rdata) {
        return false;
    }
    match ds_digest(owner, dnskey_rdata, ds.digest_type) {
        Some(d) => d == ds.digest,
        None => false,
    }
}
