//! DNSSEC primitives shared by the validator (tern-resolver) and the signer (tern-auth):
//! key tags (RFC 4034 Appendix B), DS digests (RFC 4034 §5.1.4, RFC 4509, RFC 6605 §6),
//! the canonical signing input of an RRset (RFC 4034 §3.1.8.1, §6.2, §6.3, RFC 4035 §5.3.2),
//! signature verification per algorithm (RFC 3110, RFC 5702, RFC 6605, RFC 8080) over `ring`,
//! signing keys and RRSIG construction, the NSEC3 hash (RFC 5155 §5) and RFC 1982 serial
//! arithmetic for RRSIG validity windows (RFC 4034 §3.1.5).
//!
//! Everything here is a pure function or a small value type: no I/O, no clock (the caller
//! passes "now"), no policy beyond what the RFCs make a protocol matter. Policy — which
//! algorithms to trust, key-tag and zone/REVOKE-bit checks, NSEC3 iteration limits — is the
//! caller's (resolver `validator/`, auth `signer/`).
//!
//! # Limitations
//! - Algorithms verified: 5, 7, 8, 10, 13, 14, 15. Not 1 (RSAMD5, MUST NOT per RFC 8624),
//!   3/6 (DSA), 12 (ECC-GOST) or 16 (Ed448, `ring` has no Ed448): [`algorithm_supported`]
//!   says no, and RFC 4035 §5.2 makes such zones insecure, not bogus.
//! - RSA keys outside 512-4096 bits are refused ([`verify::MIN_RSA_BITS`],
//!   [`verify::MAX_RSA_BITS`]); 512-1023-bit keys, which `ring` does not take, are
//!   verified with the `rsa` crate (RFC 5702 §6.1's 512-bit example is tested).
//! - Signing keys exist for algorithms 8, 13, 14 and 15 only; RSA signing keys must be
//!   2048 to 4096 bits (a `ring` limit).

pub mod canonical;
pub mod digest;
pub mod nsec3;
pub mod signing;
pub mod time;
pub mod verify;

#[cfg(test)]
mod vectors;

pub use canonical::{rrsig_labels, rrsig_signed_data, signed_data, SignedDataError};
pub use digest::{digest_supported, ds_digest, ds_matches, ds_rdata, key_tag};
pub use nsec3::{nsec3_hash, nsec3_hash_wire};
pub use signing::{sign_rrset, KeyError, SigningKey};
pub use time::{serial_cmp, time_in_window};
pub use verify::{algorithm_supported, verify, VerifyError};

/// DNSSEC algorithm numbers (IANA "DNS Security Algorithm Numbers", RFC 8624 §3.1).
pub mod alg {
    /// RSA/MD5 (RFC 3110; MUST NOT be used, RFC 8624 §3.1). Not verified.
    pub const RSAMD5: u8 = 1;
    /// DSA/SHA-1 (RFC 2536). Not verified.
    pub const DSA: u8 = 3;
    /// RSA/SHA-1 (RFC 3110).
    pub const RSASHA1: u8 = 5;
    /// DSA-NSEC3-SHA1 (RFC 5155). Not verified.
    pub const DSA_NSEC3_SHA1: u8 = 6;
    /// RSA/SHA-1 for NSEC3 zones (RFC 5155 §2): same math as [`RSASHA1`].
    pub const RSASHA1_NSEC3_SHA1: u8 = 7;
    /// RSA/SHA-256 (RFC 5702).
    pub const RSASHA256: u8 = 8;
    /// RSA/SHA-512 (RFC 5702).
    pub const RSASHA512: u8 = 10;
    /// GOST R 34.10-2001 (RFC 5933). Not verified.
    pub const ECC_GOST: u8 = 12;
    /// ECDSA P-256 with SHA-256 (RFC 6605).
    pub const ECDSAP256SHA256: u8 = 13;
    /// ECDSA P-384 with SHA-384 (RFC 6605).
    pub const ECDSAP384SHA384: u8 = 14;
    /// Ed25519 (RFC 8080).
    pub const ED25519: u8 = 15;
    /// Ed448 (RFC 8080). Not verified: `ring` has no Ed448.
    pub const ED448: u8 = 16;
}

/// DS digest type numbers (IANA "Delegation Signer (DS) Resource Record Digest Algorithms").
pub mod digest_type {
    /// SHA-1 (RFC 4034 §5.1.4).
    pub const SHA1: u8 = 1;
    /// SHA-256 (RFC 4509).
    pub const SHA256: u8 = 2;
    /// GOST R 34.11-94 (RFC 5933). Not supported.
    pub const GOST: u8 = 3;
    /// SHA-384 (RFC 6605 §2).
    pub const SHA384: u8 = 4;
}
