//! Signature verification per DNSSEC algorithm, over `ring`:
//!
//! | alg | name                | key format                         | signature          |
//! |-----|---------------------|------------------------------------|--------------------|
//! | 5   | RSASHA1             | RFC 3110 §2 (exp len, exp, modulus) | RFC 3110 §3        |
//! | 7   | RSASHA1-NSEC3-SHA1  | as 5 (RFC 5155 §2)                 | as 5               |
//! | 8   | RSASHA256           | as 5 (RFC 5702 §2)                 | RFC 5702 §3        |
//! | 10  | RSASHA512           | as 5 (RFC 5702 §2)                 | RFC 5702 §3        |
//! | 13  | ECDSAP256SHA256     | X \|\| Y, 64 octets (RFC 6605 §4)  | r \|\| s, 64 octets |
//! | 14  | ECDSAP384SHA384     | X \|\| Y, 96 octets (RFC 6605 §4)  | r \|\| s, 96 octets |
//! | 15  | ED25519             | 32 octets (RFC 8080 §3)            | 64 octets (§4)     |
//!
//! RSA of 1024 bits and more goes through `ring`'s `*_1024_8192_*_FOR_LEGACY_USE_ONLY`
//! parameters, since DNSSEC still has SHA-1 and 1024-bit zones (RFC 8624 §3.1 keeps
//! RSASHA1 verification "MUST"). RFC 3110 §2 and RFC 5702 §2 allow moduli from 512 bits,
//! which `ring` refuses, so 512-1023-bit keys are verified with the `rsa` crate (already
//! in the tree for key generation). Refusing them would not be safer: a validator that
//! cannot check a zone's only key treats the zone as insecure and accepts anything.
//!
//! # Limitations
//! - RSA moduli below [`MIN_RSA_BITS`] (512) or above [`MAX_RSA_BITS`] (RFC 3110 §2) are
//!   refused with [`VerifyError::RsaKeyTooSmall`] / [`VerifyError::RsaKeyTooLarge`].
//! - Algorithms 1, 3, 6, 12 and 16 (Ed448) are unsupported ([`algorithm_supported`]).

use super::alg;
use ring::signature::{self, RsaParameters, RsaPublicKeyComponents, UnparsedPublicKey};

/// RSA moduli below this many bits are refused (RFC 3110 §2, RFC 5702 §2: keys are
/// 512 to 4096 bits).
pub const MIN_RSA_BITS: usize = 512;
/// Moduli from here up are verified by `ring`; smaller ones by the `rsa` crate.
const RING_MIN_RSA_BITS: usize = 1024;
/// RSA moduli above this many bits are refused (RFC 3110 §2: "limited to 4096 bits").
pub const MAX_RSA_BITS: usize = 4096;

/// Why a signature did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The algorithm is not implemented (see [`algorithm_supported`]).
    #[error("unsupported DNSKEY algorithm {algorithm}")]
    UnsupportedAlgorithm {
        /// The algorithm number.
        algorithm: u8,
    },
    /// The public key is not in the algorithm's DNSKEY format.
    #[error("malformed public key for algorithm {algorithm}")]
    MalformedKey {
        /// The algorithm number.
        algorithm: u8,
    },
    /// The RSA modulus is shorter than [`MIN_RSA_BITS`].
    #[error("RSA key of {bits} bits is below the {min}-bit minimum")]
    RsaKeyTooSmall {
        /// Modulus length in bits.
        bits: usize,
        /// The minimum, [`MIN_RSA_BITS`].
        min: usize,
    },
    /// The RSA modulus is longer than [`MAX_RSA_BITS`].
    #[error("RSA key of {bits} bits is above the {max}-bit maximum")]
    RsaKeyTooLarge {
        /// Modulus length in bits.
        bits: usize,
        /// The maximum, [`MAX_RSA_BITS`].
        max: usize,
    },
    /// The signature has the wrong length for the algorithm or key.
    #[error("signature of {len} octets has the wrong length for algorithm {algorithm}")]
    MalformedSignature {
        /// The algorithm number.
        algorithm: u8,
        /// The signature's length.
        len: usize,
    },
    /// The signature does not match the data and key.
    #[error("signature does not verify")]
    BadSignature,
}

/// True for the algorithms [`verify`] implements: 5, 7, 8, 10, 13, 14, 15.
///
/// RFC 4035 §5.2: a zone whose DS or DNSKEY RRsets name only unsupported algorithms is
/// insecure, not bogus.
pub fn algorithm_supported(algorithm: u8) -> bool {
    matches!(
        algorithm,
        alg::RSASHA1
            | alg::RSASHA1_NSEC3_SHA1
            | alg::RSASHA256
            | alg::RSASHA512
            | alg::ECDSAP256SHA256
            | alg::ECDSAP384SHA384
            | alg::ED25519
    )
}

/// An RSA public key split from its RFC 3110 §2 DNSKEY form, without leading zero octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RsaPublicKey<'a> {
    /// Public exponent, big-endian.
    pub exponent: &'a [u8],
    /// Modulus, big-endian.
    pub modulus: &'a [u8],
}

impl<'a> RsaPublicKey<'a> {
    /// Splits an RFC 3110 §2 public key: a one-octet exponent length (or a zero octet and a
    /// two-octet length), the exponent, then the modulus. `None` if malformed or empty.
    pub fn parse(key: &'a [u8]) -> Option<RsaPublicKey<'a>> {
        let (&first, rest) = key.split_first()?;
        let (exp_len, rest) = if first == 0 {
            let (len, rest) = rest.split_at_checked(2)?;
            (u16::from_be_bytes([len[0], len[1]]) as usize, rest)
        } else {
            (first as usize, rest)
        };
        let (exponent, modulus) = rest.split_at_checked(exp_len)?;
        let (exponent, modulus) = (strip_leading_zeros(exponent), strip_leading_zeros(modulus));
        if exponent.is_empty() || modulus.is_empty() {
            return None;
        }
        Some(RsaPublicKey { exponent, modulus })
    }

    /// The modulus length in bits.
    pub fn bits(&self) -> usize {
        match self.modulus.first() {
            Some(&top) => self.modulus.len() * 8 - top.leading_zeros() as usize,
            None => 0,
        }
    }
}

fn strip_leading_zeros(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[start..]
}

/// Verifies `signature` over `signed_data` (built with [`super::signed_data`]) with a DNSKEY
/// public key (the DNSKEY RDATA after its first four octets) of `algorithm`.
///
/// This checks the mathematics only. The caller must also check, per RFC 4035 §5.3.1, that
/// the RRSIG's validity window contains "now" ([`super::time_in_window`]), that its
/// algorithm and key tag match the DNSKEY, that the signer name is the DNSKEY owner and a
/// zone apex above the RRset, that the DNSKEY has the Zone Key flag and (RFC 5011 §3)
/// not the REVOKE flag, and that the labels field does not exceed the owner's labels.
pub fn verify(algorithm: u8, public_key: &[u8], signed_data: &[u8], signature: &[u8]) -> Result<(), VerifyError> {
    match algorithm {
        alg::RSASHA1 | alg::RSASHA1_NSEC3_SHA1 => {
            verify_rsa(algorithm, &signature::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY, public_key, signed_data, signature)
        }
        alg::RSASHA256 => {
            verify_rsa(algorithm, &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY, public_key, signed_data, signature)
        }
        alg::RSASHA512 => {
            verify_rsa(algorithm, &signature::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY, public_key, signed_data, signature)
        }
        alg::ECDSAP256SHA256 => verify_ecdsa::<65>(algorithm, &signature::ECDSA_P256_SHA256_FIXED, public_key, signed_data, signature),
        alg::ECDSAP384SHA384 => verify_ecdsa::<97>(algorithm, &signature::ECDSA_P384_SHA384_FIXED, public_key, signed_data, signature),
        alg::ED25519 => {
            if public_key.len() != signature::ED25519_PUBLIC_KEY_LEN {
                return Err(VerifyError::MalformedKey { algorithm });
            }
            if signature.len() != 64 {
                return Err(VerifyError::MalformedSignature { algorithm, len: signature.len() });
            }
            UnparsedPublicKey::new(&signature::ED25519, public_key).verify(signed_data, signature).map_err(|_| VerifyError::BadSignature)
        }
        _ => Err(VerifyError::UnsupportedAlgorithm { algorithm }),
    }
}

fn verify_rsa(algorithm: u8, params: &'static RsaParameters, public_key: &[u8], msg: &[u8], sig: &[u8]) -> Result<(), VerifyError> {
    let key = RsaPublicKey::parse(public_key).ok_or(VerifyError::MalformedKey { algorithm })?;
    let bits = key.bits();
    if bits < MIN_RSA_BITS {
        return Err(VerifyError::RsaKeyTooSmall { bits, min: MIN_RSA_BITS });
    }
    if bits > MAX_RSA_BITS {
        return Err(VerifyError::RsaKeyTooLarge { bits, max: MAX_RSA_BITS });
    }
    let n_len = key.modulus.len();
    if sig.len() > n_len || sig.is_empty() {
        return Err(VerifyError::MalformedSignature { algorithm, len: sig.len() });
    }
    if bits < RING_MIN_RSA_BITS {
        return verify_small_rsa(algorithm, &key, msg, sig);
    }
    // `ring` wants the signature exactly as long as the modulus; a shorter one is the same
    // integer without its leading zero octets (RFC 8017 §5.2.2 I2OSP), so pad it back.
    let padded;
    let sig = if sig.len() < n_len {
        let mut v = vec![0u8; n_len - sig.len()];
        v.extend_from_slice(sig);
        padded = v;
        &padded[..]
    } else {
        sig
    };
    RsaPublicKeyComponents { n: key.modulus, e: key.exponent }.verify(params, msg, sig).map_err(|_| VerifyError::BadSignature)
}

/// RSASSA-PKCS1-v1_5 (RFC 8017 §8.2.2) for moduli of 512-1023 bits, which `ring` does
/// not take. The DigestInfo prefixes are those of RFC 8017 §9.2 note 1 (RFC 3110 §3,
/// RFC 5702 §3).
fn verify_small_rsa(algorithm: u8, key: &RsaPublicKey<'_>, msg: &[u8], sig: &[u8]) -> Result<(), VerifyError> {
    const SHA1_PREFIX: &[u8] = &[0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14];
    const SHA256_PREFIX: &[u8] =
        &[0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];
    const SHA512_PREFIX: &[u8] =
        &[0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40];
    let (digest_alg, prefix) = match algorithm {
        alg::RSASHA1 | alg::RSASHA1_NSEC3_SHA1 => (&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, SHA1_PREFIX),
        alg::RSASHA256 => (&ring::digest::SHA256, SHA256_PREFIX),
        _ => (&ring::digest::SHA512, SHA512_PREFIX),
    };
    let hashed = ring::digest::digest(digest_alg, msg);
    let n = rsa::BoxedUint::from_be_slice_vartime(key.modulus);
    let e = rsa::BoxedUint::from_be_slice_vartime(key.exponent);
    let public = rsa::PublicKey::new_with_size_limits(n, e, MIN_RSA_BITS..=RING_MIN_RSA_BITS)
        .map_err(|_| VerifyError::MalformedKey { algorithm })?;
    // I2OSP to the modulus' octet length (RFC 8017 §5.2.2), whatever zero octets either
    // side was written with.
    let size = key.bits().div_ceil(8);
    let sig = strip_leading_zeros(sig);
    if sig.len() > size {
        return Err(VerifyError::BadSignature);
    }
    let mut padded = vec![0u8; size - sig.len()];
    padded.extend_from_slice(sig);
    let scheme = rsa::Pkcs1v15Sign { hash_len: Some(hashed.as_ref().len()), prefix: prefix.into() };
    public.verify(scheme, hashed.as_ref(), &padded).map_err(|_| VerifyError::BadSignature)
}

/// `N` is the uncompressed SEC1 point length: 1 + 2 × coordinate length.
fn verify_ecdsa<const N: usize>(
    algorithm: u8,
    params: &'static signature::EcdsaVerificationAlgorithm,
    public_key: &[u8],
    msg: &[u8],
    sig: &[u8],
) -> Result<(), VerifyError> {
    if public_key.len() != N - 1 {
        return Err(VerifyError::MalformedKey { algorithm });
    }
    if sig.len() != N - 1 {
        return Err(VerifyError::MalformedSignature { algorithm, len: sig.len() });
    }
    // RFC 6605 §4 stores X || Y; `ring` wants the SEC1 uncompressed point 0x04 || X || Y.
    let mut point = [0u8; N];
    point[0] = 0x04;
    point[1..].copy_from_slice(public_key);
    UnparsedPublicKey::new(params, &point[..]).verify(msg, sig).map_err(|_| VerifyError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3110_key_parsing_handles_both_exponent_length_forms() {
        let short = [3u8, 1, 0, 1, 0xc0, 0x01];
        let k = RsaPublicKey::parse(&short).expect("short form");
        assert_eq!((k.exponent, k.modulus), (&[1u8, 0, 1][..], &[0xc0u8, 0x01][..]));
        assert_eq!(k.bits(), 16);
        let long = [0u8, 0, 3, 1, 0, 1, 0x00, 0x7f, 0xff];
        let k = RsaPublicKey::parse(&long).expect("long form");
        assert_eq!((k.exponent, k.modulus), (&[1u8, 0, 1][..], &[0x7fu8, 0xff][..]));
        assert_eq!(k.bits(), 15);
        assert_eq!(RsaPublicKey::parse(&[]), None);
        assert_eq!(RsaPublicKey::parse(&[4, 1, 0, 1]), None);
        assert_eq!(RsaPublicKey::parse(&[0, 0]), None);
        assert_eq!(RsaPublicKey::parse(&[1, 3]), None, "no modulus");
    }

    #[test]
    fn unsupported_and_malformed_inputs_get_typed_errors() {
        assert!(!algorithm_supported(alg::ED448));
        assert!(!algorithm_supported(alg::RSAMD5));
        assert!(!algorithm_supported(alg::DSA));
        for a in [5, 7, 8, 10, 13, 14, 15] {
            assert!(algorithm_supported(a));
        }
        assert_eq!(verify(16, &[0; 57], b"x", &[0; 114]), Err(VerifyError::UnsupportedAlgorithm { algorithm: 16 }));
        assert_eq!(verify(13, &[0; 63], b"x", &[0; 64]), Err(VerifyError::MalformedKey { algorithm: 13 }));
        assert_eq!(verify(14, &[0; 96], b"x", &[0; 64]), Err(VerifyError::MalformedSignature { algorithm: 14, len: 64 }));
        assert_eq!(verify(15, &[0; 31], b"x", &[0; 64]), Err(VerifyError::MalformedKey { algorithm: 15 }));
        assert_eq!(verify(8, &[], b"x", &[0; 64]), Err(VerifyError::MalformedKey { algorithm: 8 }));
        // A point not on the curve is not a panic.
        assert_eq!(verify(13, &[0; 64], b"x", &[1; 64]), Err(VerifyError::BadSignature));
        let mut big = vec![3u8, 1, 0, 1];
        big.extend(std::iter::repeat_n(0xff, 513));
        assert_eq!(verify(8, &big, b"x", &[0; 513]), Err(VerifyError::RsaKeyTooLarge { bits: 4104, max: MAX_RSA_BITS }));
    }
}
