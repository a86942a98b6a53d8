//! Signing keys and RRSIG construction for the authoritative signer.
//!
//! A [`SigningKey`] is a private key of algorithm 8 (RSASHA256, RFC 5702), 13 or 14
//! (ECDSA P-256/P-384, RFC 6605) or 15 (Ed25519, RFC 8080). It is stored as PKCS#8 DER
//! (RFC 5958) — what `ring` reads and writes — and gives its public half in DNSKEY form
//! (RFC 3110 §2 for RSA, RFC 6605 §4 X || Y for ECDSA, RFC 8080 §3 for Ed25519) and
//! signatures in DNSSEC form (RFC 6605 §4: raw r || s for ECDSA, not ASN.1).
//!
//! `ring` generates EC and Ed25519 keys but not RSA keys: those come from the `rsa` crate
//! (used for generation only, fed by `ring`'s system RNG), exported as PKCS#8 and from then
//! on handled by `ring` like any imported key.
//!
//! [`sign_rrset`] builds a complete RRSIG RDATA (RFC 4034 §3.1) over the canonical
//! signing input of [`super::canonical`].
//!
//! # Limitations
//! - Algorithms 5, 7 and 10 can be verified but not signed with; Ed448 not at all.
//! - RSA private keys must be 2048 to 4096 bits (`ring`'s range for signing keys), so a
//!   1024-bit ZSK cannot be imported.
//! - The PKCS#8 copy kept for [`SigningKey::to_pkcs8`] is a plain `Vec` and is not zeroed
//!   on drop; `Debug` never prints it.
//! - ECDSA signatures are randomised (`ring` uses RFC 6979-style nonces hedged with
//!   randomness), so the same input gives different valid signatures.

use super::canonical::{rrsig_labels, signed_data, SignedDataError};
use super::{alg, digest::key_tag};
use crate::wire::record::DnskeyView;
use crate::wire::{Class, Name, RType};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use std::fmt;

/// Modulus size of generated RSA keys: 2048 bits, the size of the root zone's ZSK and the
/// common choice discussed in RFC 6781 §3.4.2; `ring` signs with 2048 to 4096 bits.
pub const RSA_DEFAULT_BITS: usize = 2048;

/// The DNSKEY protocol field, always 3 (RFC 4034 §2.1.2).
pub const DNSKEY_PROTOCOL: u8 = 3;

/// Why a key could not be generated, loaded or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// No signing support for this algorithm (only 8, 13, 14, 15).
    #[error("no signing support for DNSSEC algorithm {algorithm}")]
    UnsupportedAlgorithm {
        /// The algorithm number.
        algorithm: u8,
    },
    /// The PKCS#8 document is not a valid key of the algorithm.
    #[error("PKCS#8 key rejected for algorithm {algorithm}: {reason}")]
    Rejected {
        /// The algorithm number.
        algorithm: u8,
        /// `ring`'s reason (a fixed word such as `WrongAlgorithm` or `InvalidEncoding`).
        reason: ring::error::KeyRejected,
    },
    /// Key generation failed (system RNG failure or an encoding error).
    #[error("key generation failed for algorithm {algorithm}")]
    Generation {
        /// The algorithm number.
        algorithm: u8,
    },
    /// The signing operation failed (system RNG failure).
    #[error("signing failed for algorithm {algorithm}")]
    Signing {
        /// The algorithm number.
        algorithm: u8,
    },
    /// The DNSKEY RDATA given to [`sign_rrset`] is not this key's public half.
    #[error("DNSKEY RDATA does not match the signing key")]
    KeyMismatch,
    /// The signing input could not be built.
    #[error("cannot build signing input: {0}")]
    SignedData(#[from] SignedDataError),
}

enum Inner {
    Rsa(RsaKeyPair),
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// A DNSSEC private key of algorithm 8, 13, 14 or 15.
///
/// `Debug` prints the algorithm and key tags only, never key material.
pub struct SigningKey {
    algorithm: u8,
    inner: Inner,
    /// PKCS#8 DER as loaded or generated, for persistent storage.
    pkcs8: Vec<u8>,
    /// The public key in DNSKEY form (the RDATA after flags, protocol, algorithm).
    public_key: Vec<u8>,
}

impl SigningKey {
    /// True for the algorithms this type can generate and sign with: 8, 13, 14, 15.
    pub fn algorithm_supported(algorithm: u8) -> bool {
        matches!(algorithm, alg::RSASHA256 | alg::ECDSAP256SHA256 | alg::ECDSAP384SHA384 | alg::ED25519)
    }

    /// Generates a new key: RSA of [`RSA_DEFAULT_BITS`] for algorithm 8 (with the `rsa`
    /// crate; a second or so), otherwise with `ring`.
    pub fn generate(algorithm: u8) -> Result<SigningKey, KeyError> {
        let rng = SystemRandom::new();
        let gen_err = |_| KeyError::Generation { algorithm };
        let pkcs8: Vec<u8> = match algorithm {
            alg::RSASHA256 => generate_rsa_pkcs8(RSA_DEFAULT_BITS).ok_or(KeyError::Generation { algorithm })?,
            alg::ECDSAP256SHA256 | alg::ECDSAP384SHA384 => {
                let params = ecdsa_signing(algorithm).ok_or(KeyError::UnsupportedAlgorithm { algorithm })?;
                EcdsaKeyPair::generate_pkcs8(params, &rng).map_err(gen_err)?.as_ref().to_vec()
            }
            alg::ED25519 => Ed25519KeyPair::generate_pkcs8(&rng).map_err(gen_err)?.as_ref().to_vec(),
            _ => return Err(KeyError::UnsupportedAlgorithm { algorithm }),
        };
        SigningKey::from_pkcs8(algorithm, &pkcs8)
    }

    /// Loads a key from PKCS#8 DER (RFC 5958), as written by [`SigningKey::to_pkcs8`] or
    /// `openssl pkcs8 -topk8 -nocrypt -outform der`. Ed25519 accepts v1 (seed only) and v2.
    pub fn from_pkcs8(algorithm: u8, der: &[u8]) -> Result<SigningKey, KeyError> {
        let rejected = |reason| KeyError::Rejected { algorithm, reason };
        let (inner, public_key) = match algorithm {
            alg::RSASHA256 => {
                let kp = RsaKeyPair::from_pkcs8(der).map_err(rejected)?;
                let c: signature::RsaPublicKeyComponents<Vec<u8>> = kp.public().into();
                (Inner::Rsa(kp), rfc3110_public_key(&c.e, &c.n))
            }
            alg::ECDSAP256SHA256 | alg::ECDSAP384SHA384 => {
                let params = ecdsa_signing(algorithm).ok_or(KeyError::UnsupportedAlgorithm { algorithm })?;
                let kp = EcdsaKeyPair::from_pkcs8(params, der, &SystemRandom::new()).map_err(rejected)?;
                // SEC1 uncompressed point 0x04 || X || Y -> RFC 6605 §4 X || Y.
                let public = kp.public_key().as_ref().get(1..).unwrap_or_default().to_vec();
                (Inner::Ecdsa(kp), public)
            }
            alg::ED25519 => {
                let kp = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(rejected)?;
                let public = kp.public_key().as_ref().to_vec();
                (Inner::Ed25519(kp), public)
            }
            _ => return Err(KeyError::UnsupportedAlgorithm { algorithm }),
        };
        Ok(SigningKey { algorithm, inner, pkcs8: der.to_vec(), public_key })
    }

    /// The PKCS#8 DER of the private key, for persistent storage. Treat as secret.
    pub fn to_pkcs8(&self) -> Vec<u8> {
        self.pkcs8.clone()
    }

    /// The DNSSEC algorithm number.
    pub fn algorithm(&self) -> u8 {
        self.algorithm
    }

    /// The public key in DNSKEY form (RDATA after flags, protocol and algorithm).
    pub fn public_key(&self) -> &[u8] {
        &self.public_key
    }

    /// DNSKEY RDATA (RFC 4034 §2.1) for this key with `flags` (e.g. 256 for a ZSK, 257 for
    /// a KSK: [`crate::wire::record::DNSKEY_ZONE`] | [`crate::wire::record::DNSKEY_SEP`]).
    pub fn dnskey_rdata(&self, flags: u16) -> Vec<u8> {
        let mut v = Vec::with_capacity(4 + self.public_key.len());
        v.extend_from_slice(&flags.to_be_bytes());
        v.push(DNSKEY_PROTOCOL);
        v.push(self.algorithm);
        v.extend_from_slice(&self.public_key);
        v
    }

    /// The key tag of this key's DNSKEY with `flags` (RFC 4034 Appendix B).
    pub fn key_tag(&self, flags: u16) -> u16 {
        key_tag(&self.dnskey_rdata(flags))
    }

    /// Signs `data` (normally from [`super::signed_data`]) and returns the signature in
    /// DNSSEC form: PKCS#1 v1.5 for RSA (RFC 5702 §3), r || s for ECDSA (RFC 6605 §4),
    /// the 64-octet EdDSA signature for Ed25519 (RFC 8080 §4).
    pub fn sign(&self, data: &[u8]) -> Result<Vec<u8>, KeyError> {
        let algorithm = self.algorithm;
        let rng = SystemRandom::new();
        match &self.inner {
            Inner::Rsa(kp) => {
                let mut sig = vec![0u8; kp.public().modulus_len()];
                kp.sign(&signature::RSA_PKCS1_SHA256, &rng, data, &mut sig).map_err(|_| KeyError::Signing { algorithm })?;
                Ok(sig)
            }
            Inner::Ecdsa(kp) => Ok(kp.sign(&rng, data).map_err(|_| KeyError::Signing { algorithm })?.as_ref().to_vec()),
            Inner::Ed25519(kp) => Ok(kp.sign(data).as_ref().to_vec()),
        }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm)
            .field("key_tag_256", &self.key_tag(0x0100))
            .field("key_tag_257", &self.key_tag(0x0101))
            .finish_non_exhaustive()
    }
}

fn ecdsa_signing(algorithm: u8) -> Option<&'static signature::EcdsaSigningAlgorithm> {
    match algorithm {
        alg::ECDSAP256SHA256 => Some(&signature::ECDSA_P256_SHA256_FIXED_SIGNING),
        alg::ECDSAP384SHA384 => Some(&signature::ECDSA_P384_SHA384_FIXED_SIGNING),
        _ => None,
    }
}

/// RFC 3110 §2: exponent length (one octet, or zero and two octets), exponent, modulus.
fn rfc3110_public_key(e: &[u8], n: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(3 + e.len() + n.len());
    match u8::try_from(e.len()) {
        Ok(len) if len > 0 => v.push(len),
        _ => {
            v.push(0);
            // An exponent is at most 33 bits in `ring`; the two-octet form is for show.
            v.extend_from_slice(&u16::try_from(e.len()).unwrap_or(u16::MAX).to_be_bytes());
        }
    }
    v.extend_from_slice(e);
    v.extend_from_slice(n);
    v
}

/// `ring`'s system RNG as a `rand_core` RNG for the `rsa` crate.
struct RingRng(SystemRandom);

/// The system RNG failed (`ring::error::Unspecified`, which has no `Error` impl without
/// `ring`'s `std` feature).
#[derive(Debug, thiserror::Error)]
#[error("system random number generator failed")]
struct RngFailed;

impl rsa::rand_core::TryRng for RingRng {
    type Error = RngFailed;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.0.fill(dst).map_err(|_| RngFailed)
    }
}

impl rsa::rand_core::TryCryptoRng for RingRng {}

/// A fresh RSA key (e = 65537) of `bits` as PKCS#8 DER.
fn generate_rsa_pkcs8(bits: usize) -> Option<Vec<u8>> {
    use rsa::pkcs8::EncodePrivateKey;
    let mut rng = RingRng(SystemRandom::new());
    let key = rsa::PrivateKey::new(&mut rng, bits).ok()?;
    let der = key.to_pkcs8_der().ok()?;
    Some(der.as_bytes().to_vec())
}

/// Signs an RRset and returns the complete RRSIG RDATA (RFC 4034 §3.1): type covered
/// `rtype`, the key's algorithm, labels from `owner` not counting a leading `*` (§3.1.3),
/// original TTL `ttl`, `expiration`, `inception`, the key tag of `dnskey_rdata`, the
/// signer name (written lowercase), and the signature over the canonical input.
///
/// `dnskey_rdata` is the key's published DNSKEY (flags included, since the key tag depends
/// on them); it must hold this key's algorithm and public key or [`KeyError::KeyMismatch`]
/// is returned. `rdatas` may be in any order and case, with duplicates.
#[allow(clippy::too_many_arguments)]
pub fn sign_rrset(
    key: &SigningKey,
    dnskey_rdata: &[u8],
    signer: &Name,
    owner: &Name,
    class: Class,
    rtype: RType,
    ttl: u32,
    rdatas: &[&[u8]],
    inception: u32,
    expiration: u32,
) -> Result<Vec<u8>, KeyError> {
    let dnskey = DnskeyView::parse(dnskey_rdata).ok_or(KeyError::KeyMismatch)?;
    if dnskey.protocol != DNSKEY_PROTOCOL || dnskey.algorithm != key.algorithm || dnskey.public_key != key.public_key() {
        return Err(KeyError::KeyMismatch);
    }
    let labels = rrsig_labels(owner);
    let signer = signer.to_lowercase();
    let mut rrsig = Vec::with_capacity(18 + signer.wire_len() + 512);
    rrsig.extend_from_slice(&rtype.0.to_be_bytes());
    rrsig.push(key.algorithm);
    rrsig.push(labels);
    rrsig.extend_from_slice(&ttl.to_be_bytes());
    rrsig.extend_from_slice(&expiration.to_be_bytes());
    rrsig.extend_from_slice(&inception.to_be_bytes());
    rrsig.extend_from_slice(&key_tag(dnskey_rdata).to_be_bytes());
    rrsig.extend_from_slice(signer.wire());
    let data = signed_data(&rrsig, owner, class, rtype, ttl, rdatas, labels)?;
    let sig = key.sign(&data)?;
    rrsig.extend_from_slice(&sig);
    Ok(rrsig)
}
