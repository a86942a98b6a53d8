//! Resource record types and classes (RFC 1035 §3.2.2, IANA "Resource Record (RR)
//! TYPEs"), with mnemonics and the generic `TYPEnnn`/`CLASSnnn` forms of RFC 3597 §5.

use std::fmt;

/// A resource record type code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RType(pub u16);

macro_rules! rtypes {
    ($($name:ident = $val:expr),* $(,)?) => {
        impl RType {
            $(#[doc = concat!("The ", stringify!($name), " type.")] pub const $name: RType = RType($val);)*
            const TABLE: &'static [(&'static str, u16)] = &[$((stringify!($name), $val)),*];
        }
    };
}

rtypes! {
    A = 1, NS = 2, MD = 3, MF = 4, CNAME = 5, SOA = 6, MB = 7, MG = 8, MR = 9, NULL = 10,
    WKS = 11, PTR = 12, HINFO = 13, MINFO = 14, MX = 15, TXT = 16, RP = 17, AFSDB = 18,
    X25 = 19, ISDN = 20, RT = 21, NSAP = 22, SIG = 24, KEY = 25, PX = 26, AAAA = 28,
    LOC = 29, NXT = 30, SRV = 33, NAPTR = 35, KX = 36, CERT = 37, A6 = 38, DNAME = 39,
    OPT = 41, APL = 42, DS = 43, SSHFP = 44, IPSECKEY = 45, RRSIG = 46, NSEC = 47,
    DNSKEY = 48, DHCID = 49, NSEC3 = 50, NSEC3PARAM = 51, TLSA = 52, SMIMEA = 53,
    HIP = 55, CDS = 59, CDNSKEY = 60, OPENPGPKEY = 61, CSYNC = 62, ZONEMD = 63,
    SVCB = 64, HTTPS = 65, SPF = 99, EUI48 = 108, EUI64 = 109, TKEY = 249, TSIG = 250,
    IXFR = 251, AXFR = 252, MAILB = 253, MAILA = 254, ANY = 255, URI = 256, CAA = 257,
}

impl RType {
    /// The mnemonic, if the type has one in our table.
    pub fn mnemonic(self) -> Option<&'static str> {
        Self::TABLE.iter().find(|(_, v)| *v == self.0).map(|(n, _)| *n)
    }

    /// Parses a mnemonic (case-insensitive) or the RFC 3597 `TYPEnnn` form.
    pub fn from_mnemonic(s: &str) -> Option<RType> {
        if let Some((_, v)) = Self::TABLE.iter().find(|(n, _)| n.eq_ignore_ascii_case(s)) {
            return Some(RType(*v));
        }
        let digits = s.get(..4).filter(|p| p.eq_ignore_ascii_case("TYPE")).map(|_| &s[4..])?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse::<u16>().ok().map(RType)
    }

    /// RFC 6895 §3.1: meta-types and QTYPEs (OPT, TKEY, TSIG, IXFR, AXFR, MAILB, MAILA,
    /// ANY, and the range 128-255) never appear as data in a zone.
    pub fn is_meta(self) -> bool {
        self == RType::OPT || (128..=255).contains(&self.0)
    }

    /// Types that are DNSSEC records themselves, relevant to signing and NSEC bitmaps.
    pub fn is_dnssec(self) -> bool {
        matches!(self, RType::RRSIG | RType::NSEC | RType::NSEC3 | RType::DNSKEY | RType::DS | RType::NSEC3PARAM)
    }
}

impl fmt::Display for RType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mnemonic() {
            Some(n) => f.write_str(n),
            None => write!(f, "TYPE{}", self.0),
        }
    }
}

impl fmt::Debug for RType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A resource record class (RFC 1035 §3.2.4).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Class(pub u16);

impl Class {
    /// The Internet class.
    pub const IN: Class = Class(1);
    /// Chaos (RFC 1035), used for `version.bind`-style queries.
    pub const CH: Class = Class(3);
    /// Hesiod.
    pub const HS: Class = Class(4);
    /// RFC 2136 NONE.
    pub const NONE: Class = Class(254);
    /// The QCLASS `*`.
    pub const ANY: Class = Class(255);

    /// Parses `IN`, `CH`, `HS` or the RFC 3597 `CLASSnnn` form (case-insensitive).
    pub fn from_mnemonic(s: &str) -> Option<Class> {
        match s.to_ascii_uppercase().as_str() {
            "IN" => Some(Class::IN),
            "CH" | "CHAOS" => Some(Class::CH),
            "HS" => Some(Class::HS),
            "NONE" => Some(Class::NONE),
            "ANY" => Some(Class::ANY),
            u => u.strip_prefix("CLASS").filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))?.parse().ok().map(Class),
        }
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Class::IN => f.write_str("IN"),
            Class::CH => f.write_str("CH"),
            Class::HS => f.write_str("HS"),
            Class::NONE => f.write_str("NONE"),
            Class::ANY => f.write_str("ANY"),
            Class(c) => write!(f, "CLASS{c}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mnemonics_and_generic_forms_parse() {
        assert_eq!(RType::from_mnemonic("aaaa"), Some(RType::AAAA));
        assert_eq!(RType::from_mnemonic("TYPE65534"), Some(RType(65534)));
        assert_eq!(RType::from_mnemonic("type1"), Some(RType::A));
        assert_eq!(RType::from_mnemonic("TYPE"), None);
        assert_eq!(RType::from_mnemonic("TYPE70000"), None);
        assert_eq!(RType(65534).to_string(), "TYPE65534");
        assert_eq!(Class::from_mnemonic("class1"), Some(Class::IN));
    }
}
