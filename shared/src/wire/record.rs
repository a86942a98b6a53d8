//! Resource records with uncompressed RDATA (RFC 1035 §3.2.1), and typed accessors for
//! the fields the servers need (SOA timers, RRSIG header, DNSKEY flags, ...).

use super::name::Name;
use super::rdata;
use super::rtype::{Class, RType};
use std::fmt;

/// A resource record. RDATA is uncompressed and case preserved.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Record {
    /// Owner name.
    pub owner: Name,
    /// Type.
    pub rtype: RType,
    /// Class.
    pub class: Class,
    /// Time to live in seconds.
    pub ttl: u32,
    /// Uncompressed RDATA.
    pub rdata: Box<[u8]>,
}

impl Record {
    /// A record in class IN.
    pub fn new(owner: Name, rtype: RType, ttl: u32, rdata: impl Into<Box<[u8]>>) -> Record {
        Record { owner, rtype, class: Class::IN, ttl, rdata: rdata.into() }
    }

    /// For RRSIG records, the type covered (RFC 4034 §3.1.1).
    pub fn rrsig_covered(&self) -> Option<RType> {
        (self.rtype == RType::RRSIG && self.rdata.len() >= 2).then(|| RType(u16::from_be_bytes([self.rdata[0], self.rdata[1]])))
    }

    /// The RDATA in presentation format.
    pub fn rdata_text(&self) -> String {
        rdata::rdata_to_string(self.rtype, &self.rdata)
    }

    /// The type that decides which RRset this record belongs to: for RRSIGs the type
    /// covered, else the record's own type.
    pub fn set_type(&self) -> RType {
        self.rrsig_covered().unwrap_or(self.rtype)
    }
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\t{}\t{}\t{}\t", self.owner, self.ttl, self.class, self.rtype)?;
        rdata::fmt_rdata(f, self.rtype, &self.rdata)
    }
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The SOA fields (RFC 1035 §3.3.13).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Soa {
    /// Primary server.
    pub mname: Name,
    /// Responsible mailbox.
    pub rname: Name,
    /// Serial (RFC 1982 arithmetic).
    pub serial: u32,
    /// Refresh interval.
    pub refresh: u32,
    /// Retry interval.
    pub retry: u32,
    /// Expire time.
    pub expire: u32,
    /// Negative caching TTL (RFC 2308 §4).
    pub minimum: u32,
}

impl Soa {
    /// Decodes SOA RDATA.
    pub fn parse(rdata: &[u8]) -> Option<Soa> {
        let l1 = super::name::wire_name_len(rdata)?;
        let mname = Name::from_wire(&rdata[..l1]).ok()?;
        let l2 = super::name::wire_name_len(&rdata[l1..])?;
        let rname = Name::from_wire(&rdata[l1..l1 + l2]).ok()?;
        let t = &rdata[l1 + l2..];
        if t.len() != 20 {
            return None;
        }
        let u = |i: usize| u32::from_be_bytes([t[i], t[i + 1], t[i + 2], t[i + 3]]);
        Some(Soa { mname, rname, serial: u(0), refresh: u(4), retry: u(8), expire: u(12), minimum: u(16) })
    }

    /// Encodes SOA RDATA.
    pub fn to_rdata(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.mname.wire_len() + self.rname.wire_len() + 20);
        v.extend_from_slice(self.mname.wire());
        v.extend_from_slice(self.rname.wire());
        for x in [self.serial, self.refresh, self.retry, self.expire, self.minimum] {
            v.extend_from_slice(&x.to_be_bytes());
        }
        v
    }
}

/// The SOA serial stored at the end of SOA RDATA.
pub fn soa_serial(rdata: &[u8]) -> Option<u32> {
    let n = rdata.len();
    (n >= 20).then(|| u32::from_be_bytes([rdata[n - 20], rdata[n - 19], rdata[n - 18], rdata[n - 17]]))
}

/// The SOA minimum field (last four octets of SOA RDATA).
pub fn soa_minimum(rdata: &[u8]) -> Option<u32> {
    let n = rdata.len();
    (n >= 20).then(|| u32::from_be_bytes([rdata[n - 4], rdata[n - 3], rdata[n - 2], rdata[n - 1]]))
}

/// The fixed part of RRSIG RDATA (RFC 4034 §3.1) and a borrowed view of the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RrsigView<'a> {
    /// Type covered.
    pub covered: RType,
    /// Algorithm number.
    pub algorithm: u8,
    /// Labels in the original owner name, not counting root or a leading `*`.
    pub labels: u8,
    /// Original TTL.
    pub original_ttl: u32,
    /// Signature expiration (seconds, RFC 1982 serial arithmetic).
    pub expiration: u32,
    /// Signature inception.
    pub inception: u32,
    /// Key tag of the signing key.
    pub key_tag: u16,
    /// Signer's name, as wire bytes.
    pub signer: &'a [u8],
    /// The signature.
    pub signature: &'a [u8],
    /// RDATA without the signature: the RRSIG_RDATA prefix of RFC 4034 §3.1.8.1.
    pub prefix: &'a [u8],
}

impl<'a> RrsigView<'a> {
    /// Decodes RRSIG RDATA.
    pub fn parse(rdata: &'a [u8]) -> Option<RrsigView<'a>> {
        if rdata.len() < 19 {
            return None;
        }
        let u32at = |i: usize| u32::from_be_bytes([rdata[i], rdata[i + 1], rdata[i + 2], rdata[i + 3]]);
        let nlen = super::name::wire_name_len(&rdata[18..])?;
        Some(RrsigView {
            covered: RType(u16::from_be_bytes([rdata[0], rdata[1]])),
            algorithm: rdata[2],
            labels: rdata[3],
            original_ttl: u32at(4),
            expiration: u32at(8),
            inception: u32at(12),
            key_tag: u16::from_be_bytes([rdata[16], rdata[17]]),
            signer: &rdata[18..18 + nlen],
            signature: &rdata[18 + nlen..],
            prefix: &rdata[..18 + nlen],
        })
    }

    /// The signer's name.
    pub fn signer_name(&self) -> Name {
        Name::from_wire(self.signer).expect("checked when parsed")
    }
}

/// DNSKEY RDATA fields (RFC 4034 §2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnskeyView<'a> {
    /// Flags: bit 7 Zone Key (256), bit 15 SEP (1), bit 8 REVOKE (128, RFC 5011).
    pub flags: u16,
    /// Protocol; must be 3.
    pub protocol: u8,
    /// Algorithm number.
    pub algorithm: u8,
    /// Public key material.
    pub public_key: &'a [u8],
}

/// DNSKEY flag: Zone Key (RFC 4034 §2.1.1).
pub const DNSKEY_ZONE: u16 = 0x0100;
/// DNSKEY flag: Secure Entry Point (RFC 4034 §2.1.1).
pub const DNSKEY_SEP: u16 = 0x0001;
/// DNSKEY flag: REVOKE (RFC 5011 §3).
pub const DNSKEY_REVOKE: u16 = 0x0080;

impl<'a> DnskeyView<'a> {
    /// Decodes DNSKEY (or CDNSKEY) RDATA.
    pub fn parse(rdata: &'a [u8]) -> Option<DnskeyView<'a>> {
        (rdata.len() >= 4).then(|| DnskeyView {
            flags: u16::from_be_bytes([rdata[0], rdata[1]]),
            protocol: rdata[2],
            algorithm: rdata[3],
            public_key: &rdata[4..],
        })
    }
}

/// DS RDATA fields (RFC 4034 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsView<'a> {
    /// Key tag of the referenced DNSKEY.
    pub key_tag: u16,
    /// Its algorithm.
    pub algorithm: u8,
    /// Digest type (1 SHA-1, 2 SHA-256, 4 SHA-384).
    pub digest_type: u8,
    /// The digest.
    pub digest: &'a [u8],
}

impl<'a> DsView<'a> {
    /// Decodes DS (or CDS) RDATA.
    pub fn parse(rdata: &'a [u8]) -> Option<DsView<'a>> {
        (rdata.len() >= 4).then(|| DsView {
            key_tag: u16::from_be_bytes([rdata[0], rdata[1]]),
            algorithm: rdata[2],
            digest_type: rdata[3],
            digest: &rdata[4..],
        })
    }
}

/// NSEC3 RDATA fields (RFC 5155 §3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nsec3View<'a> {
    /// Hash algorithm (1 = SHA-1).
    pub hash_alg: u8,
    /// Flags; bit 0 is Opt-Out.
    pub flags: u8,
    /// Additional iterations.
    pub iterations: u16,
    /// Salt.
    pub salt: &'a [u8],
    /// Next hashed owner name (raw hash octets).
    pub next_hash: &'a [u8],
    /// Type bitmap.
    pub bitmap: &'a [u8],
}

impl<'a> Nsec3View<'a> {
    /// Decodes NSEC3 RDATA.
    pub fn parse(rdata: &'a [u8]) -> Option<Nsec3View<'a>> {
        let salt_len = *rdata.get(4)? as usize;
        let salt = rdata.get(5..5 + salt_len)?;
        let hl = *rdata.get(5 + salt_len)? as usize;
        let next_hash = rdata.get(6 + salt_len..6 + salt_len + hl)?;
        Some(Nsec3View {
            hash_alg: rdata[0],
            flags: rdata[1],
            iterations: u16::from_be_bytes([rdata[2], rdata[3]]),
            salt,
            next_hash,
            bitmap: &rdata[6 + salt_len + hl..],
        })
    }

    /// RFC 5155 §3.1.2.1: the Opt-Out flag.
    pub fn opt_out(&self) -> bool {
        self.flags & 1 != 0
    }
}

/// NSEC RDATA fields (RFC 4034 §4.1).
pub fn nsec_parts(rdata: &[u8]) -> Option<(Name, &[u8])> {
    let l = super::name::wire_name_len(rdata)?;
    Some((Name::from_wire(&rdata[..l]).ok()?, &rdata[l..]))
}

/// The first name in RDATA for single-name types (NS, CNAME, DNAME, PTR) or the
/// exchange/target of MX, SRV (the name after fixed fields).
pub fn rdata_target(rtype: RType, rdata: &[u8]) -> Option<Name> {
    let off = match rtype {
        RType::NS | RType::CNAME | RType::DNAME | RType::PTR => 0,
        RType::MX | RType::AFSDB | RType::KX | RType::RT => 2,
        RType::SRV => 6,
        RType::SVCB | RType::HTTPS => 2,
        _ => return None,
    };
    let l = super::name::wire_name_len(rdata.get(off..)?)?;
    Name::from_wire(&rdata[off..off + l]).ok()
}
