//! The wire format: names, types, records, RDATA layouts, message decoding and
//! building (RFC 1035, RFC 3597, RFC 6891). Everything else in Tern speaks these types.

pub mod message;
pub mod name;
pub mod query;
pub mod rdata;
pub mod record;
pub mod rtype;
pub mod writer;

pub use message::{flags, opcode, rcode, Edns, Header, Message, ParseError, Question};
pub use name::{Name, NameError};
pub use query::{EdnsView, QueryError, QueryView};
pub use record::Record;
pub use rtype::{Class, RType};
pub use writer::{Full, MessageWriter, Section};

/// RFC 8914 §4 Extended DNS Error info codes used by Tern.
pub mod ede {
    /// Other error.
    pub const OTHER: u16 = 0;
    /// Unsupported DNSKEY algorithm.
    pub const UNSUPPORTED_DNSKEY_ALGORITHM: u16 = 1;
    /// Unsupported DS digest type.
    pub const UNSUPPORTED_DS_DIGEST: u16 = 2;
    /// Stale answer.
    pub const STALE_ANSWER: u16 = 3;
    /// DNSSEC indeterminate.
    pub const DNSSEC_INDETERMINATE: u16 = 5;
    /// DNSSEC bogus.
    pub const DNSSEC_BOGUS: u16 = 6;
    /// Signature expired.
    pub const SIGNATURE_EXPIRED: u16 = 7;
    /// Signature not yet valid.
    pub const SIGNATURE_NOT_YET_VALID: u16 = 8;
    /// DNSKEY missing.
    pub const DNSKEY_MISSING: u16 = 9;
    /// RRSIGs missing.
    pub const RRSIGS_MISSING: u16 = 10;
    /// No zone key bit set.
    pub const NO_ZONE_KEY_BIT: u16 = 11;
    /// NSEC missing.
    pub const NSEC_MISSING: u16 = 12;
    /// Cached error.
    pub const CACHED_ERROR: u16 = 13;
    /// Not ready.
    pub const NOT_READY: u16 = 14;
    /// Blocked by the resolver's own policy (RFC 8914 §4.16).
    pub const BLOCKED: u16 = 15;
    /// Prohibited.
    pub const PROHIBITED: u16 = 18;
    /// Not authoritative.
    pub const NOT_AUTHORITATIVE: u16 = 20;
    /// No reachable authority.
    pub const NO_REACHABLE_AUTHORITY: u16 = 22;
    /// Network error.
    pub const NETWORK_ERROR: u16 = 23;
    /// Invalid data.
    pub const INVALID_DATA: u16 = 24;
    /// Too early / unsupported NSEC3 iterations value (RFC 9276 §3.2).
    pub const UNSUPPORTED_NSEC3_ITERATIONS: u16 = 27;
}
