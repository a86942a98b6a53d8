//! The NSEC3 owner-name hash (RFC 5155 §5):
//!
//! ```text
//! IH(salt, x, 0) = H(x || salt)
//! IH(salt, x, k) = H(IH(salt, x, k-1) || salt)    for k > 0
//! hash           = IH(salt, canonical owner name, iterations)
//! ```
//!
//! with H = SHA-1 (hash algorithm 1, the only one defined) and the owner name in canonical
//! (lowercase, uncompressed) wire form.
//!
//! # Limitations
//! - Iterations are not capped here: RFC 9276 §3.2 lets a validator treat high counts as
//!   insecure and a signer should use 0; that limit is the caller's named constant.
//! - Only hash algorithm 1 exists; callers check the NSEC3 hash-algorithm field first.

use crate::wire::Name;
use ring::digest::{Context, SHA1_FOR_LEGACY_USE_ONLY};

/// RFC 5155 §3.1.1: the only NSEC3 hash algorithm, SHA-1.
pub const NSEC3_HASH_SHA1: u8 = 1;

/// The RFC 5155 §5 hash of `name` (lowercased here) with `salt` and `iterations` additional
/// iterations. Encode with base32hex (RFC 4648 §7) to get the NSEC3 owner label.
pub fn nsec3_hash(name: &Name, salt: &[u8], iterations: u16) -> [u8; 20] {
    nsec3_hash_wire(name.wire(), salt, iterations)
}

/// [`nsec3_hash`] of a name given as uncompressed wire bytes (any case), without
/// allocating: the per-query form used by servers building NSEC3 proofs.
pub fn nsec3_hash_wire(wire: &[u8], salt: &[u8], iterations: u16) -> [u8; 20] {
    let mut lower = [0u8; 255];
    let n = wire.len().min(255);
    lower[..n].copy_from_slice(&wire[..n]);
    lower[..n].make_ascii_lowercase();
    let mut ctx = Context::new(&SHA1_FOR_LEGACY_USE_ONLY);
    ctx.update(&lower[..n]);
    ctx.update(salt);
    let mut out = [0u8; 20];
    out.copy_from_slice(ctx.finish().as_ref());
    for _ in 0..iterations {
        let mut ctx = Context::new(&SHA1_FOR_LEGACY_USE_ONLY);
        ctx.update(&out);
        ctx.update(salt);
        out.copy_from_slice(ctx.finish().as_ref());
    }
    out
}
