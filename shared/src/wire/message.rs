//! Full decoding of DNS messages (RFC 1035 §4.1) into owned records, with name
//! decompression (RFC 1035 §4.1.4) for the owner names and for the RDATA names of the
//! types RFC 3597 §4 allows, and EDNS(0) (RFC 6891 §6.1).
//!
//! Used where a whole message must be understood: upstream responses in the resolver,
//! transfers, tests. The authoritative and cache-hit paths use [`super::QueryView`]
//! instead, which does not allocate.
//!
//! # Limitations
//! Decoding is strict: a pointer that does not point backwards, a name over 255 octets,
//! a count that runs past the end, or an RDATA that does not match its type's layout is
//! an error, never a guess.

use super::name::{Name, MAX_LABEL_LEN, MAX_NAME_LEN};
use super::rdata::{self, NameField};
use super::record::Record;
use super::rtype::{Class, RType};

/// Errors decoding a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The message ended before a field it announced.
    #[error("message truncated at offset {0}")]
    Truncated(usize),
    /// A compression pointer that loops or points forward.
    #[error("bad compression pointer at offset {0}")]
    BadPointer(usize),
    /// A label type other than 00 or 11 (RFC 6891 §5 retired the others).
    #[error("bad label type at offset {0}")]
    BadLabel(usize),
    /// A decompressed name longer than 255 octets.
    #[error("name too long at offset {0}")]
    NameTooLong(usize),
    /// RDATA that does not match the layout of its type.
    #[error("bad RDATA at offset {offset}: {source}")]
    BadRdata {
        /// Where the record's RDATA starts.
        offset: usize,
        /// What is wrong with it.
        source: rdata::RdataError,
    },
    /// More than one OPT record, or an OPT record not owned by the root (RFC 6891 §6.1.1).
    #[error("bad OPT record")]
    BadOpt,
    /// Bytes after the last record announced by the header.
    #[error("trailing bytes after the last record")]
    Trailing,
}

/// The fixed 12-octet header (RFC 1035 §4.1.1, RFC 4035 §3.2 for AD/CD).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header {
    /// Query ID.
    pub id: u16,
    /// The flags word: QR, opcode, AA, TC, RD, RA, Z, AD, CD and the low rcode bits.
    pub flags: u16,
    /// Number of questions.
    pub qdcount: u16,
    /// Number of answer records.
    pub ancount: u16,
    /// Number of authority records.
    pub nscount: u16,
    /// Number of additional records (OPT included).
    pub arcount: u16,
}

/// Bit masks of the header flags word.
pub mod flags {
    /// Response.
    pub const QR: u16 = 0x8000;
    /// Authoritative answer.
    pub const AA: u16 = 0x0400;
    /// Truncated.
    pub const TC: u16 = 0x0200;
    /// Recursion desired.
    pub const RD: u16 = 0x0100;
    /// Recursion available.
    pub const RA: u16 = 0x0080;
    /// Reserved Z bit; must be zero in responses.
    pub const Z: u16 = 0x0040;
    /// Authentic data (RFC 4035 §3.2.3, RFC 6840 §5.7).
    pub const AD: u16 = 0x0020;
    /// Checking disabled (RFC 4035 §3.2.2).
    pub const CD: u16 = 0x0010;
}

/// Response codes (RFC 1035 §4.1.1, RFC 6891 §9 for the extended ones).
pub mod rcode {
    /// No error.
    pub const NOERROR: u16 = 0;
    /// Format error.
    pub const FORMERR: u16 = 1;
    /// Server failure.
    pub const SERVFAIL: u16 = 2;
    /// Name error.
    pub const NXDOMAIN: u16 = 3;
    /// Not implemented.
    pub const NOTIMP: u16 = 4;
    /// Refused.
    pub const REFUSED: u16 = 5;
    /// Name exists when it should not (RFC 2136).
    pub const YXDOMAIN: u16 = 6;
    /// Not authoritative (RFC 2136) / not authorized (RFC 8945).
    pub const NOTAUTH: u16 = 9;
    /// Bad EDNS version (RFC 6891 §9); needs the extended rcode bits.
    pub const BADVERS: u16 = 16;
}

/// Opcodes (RFC 1035 §4.1.1, RFC 1996, RFC 2136).
pub mod opcode {
    /// Standard query.
    pub const QUERY: u8 = 0;
    /// NOTIFY (RFC 1996).
    pub const NOTIFY: u8 = 4;
    /// UPDATE (RFC 2136).
    pub const UPDATE: u8 = 5;
}

impl Header {
    /// Decodes the first 12 octets.
    pub fn parse(buf: &[u8]) -> Option<Header> {
        if buf.len() < 12 {
            return None;
        }
        let u = |i: usize| u16::from_be_bytes([buf[i], buf[i + 1]]);
        Some(Header { id: u(0), flags: u(2), qdcount: u(4), ancount: u(6), nscount: u(8), arcount: u(10) })
    }
    /// The opcode.
    pub fn opcode(&self) -> u8 {
        ((self.flags >> 11) & 0xf) as u8
    }
    /// The low four bits of the rcode.
    pub fn rcode_low(&self) -> u16 {
        self.flags & 0xf
    }
    /// True if `bit` (a [`flags`] mask) is set.
    pub fn has(&self, bit: u16) -> bool {
        self.flags & bit != 0
    }
}

/// One question (RFC 1035 §4.1.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Question {
    /// QNAME, case as received.
    pub name: Name,
    /// QTYPE.
    pub qtype: RType,
    /// QCLASS.
    pub qclass: Class,
}

/// EDNS(0) data from an OPT pseudo-record (RFC 6891 §6.1.2-6.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Edns {
    /// Requestor's UDP payload size.
    pub udp_size: u16,
    /// Upper eight bits of the extended rcode.
    pub ext_rcode: u8,
    /// EDNS version.
    pub version: u8,
    /// The flags word; bit 15 is DO (RFC 3225).
    pub flags: u16,
    /// Options as (code, data).
    pub options: Vec<(u16, Vec<u8>)>,
}

/// EDNS DO bit (RFC 3225 §3).
pub const EDNS_DO: u16 = 0x8000;
/// EDNS option code of Extended DNS Errors (RFC 8914 §2).
pub const OPT_EDE: u16 = 15;
/// EDNS option code of COOKIE (RFC 7873).
pub const OPT_COOKIE: u16 = 10;

impl Edns {
    /// True if the DNSSEC OK bit is set.
    pub fn dnssec_ok(&self) -> bool {
        self.flags & EDNS_DO != 0
    }
    /// The first Extended DNS Error (info code, extra text) carried, if any.
    pub fn ede(&self) -> Option<(u16, String)> {
        self.options
            .iter()
            .find(|(c, d)| *c == OPT_EDE && d.len() >= 2)
            .map(|(_, d)| (u16::from_be_bytes([d[0], d[1]]), String::from_utf8_lossy(&d[2..]).into_owned()))
    }
}

/// A decoded message.
#[derive(Debug, Clone, Default)]
pub struct Message {
    /// The header as received (counts include the OPT record).
    pub header: Header,
    /// The question section.
    pub questions: Vec<Question>,
    /// The answer section.
    pub answers: Vec<Record>,
    /// The authority section.
    pub authority: Vec<Record>,
    /// The additional section, without the OPT record.
    pub additional: Vec<Record>,
    /// EDNS data, if an OPT record was present.
    pub edns: Option<Edns>,
}

impl Message {
    /// The full rcode: header bits plus the EDNS extended bits (RFC 6891 §6.1.3).
    pub fn rcode(&self) -> u16 {
        self.header.rcode_low() | self.edns.as_ref().map_or(0, |e| (e.ext_rcode as u16) << 4)
    }

    /// Decodes a whole message.
    pub fn parse(buf: &[u8]) -> Result<Message, ParseError> {
        let header = Header::parse(buf).ok_or(ParseError::Truncated(0))?;
        let mut pos = 12;
        let mut msg = Message { header, ..Default::default() };
        for _ in 0..header.qdcount {
            let (name, next) = read_name(buf, pos)?;
            if next + 4 > buf.len() {
                return Err(ParseError::Truncated(next));
            }
            let qtype = RType(u16::from_be_bytes([buf[next], buf[next + 1]]));
            let qclass = Class(u16::from_be_bytes([buf[next + 2], buf[next + 3]]));
            msg.questions.push(Question { name, qtype, qclass });
            pos = next + 4;
        }
        for (section, count) in [(0, header.ancount), (1, header.nscount), (2, header.arcount)] {
            for _ in 0..count {
                let (rec, next) = read_record(buf, pos)?;
                pos = next;
                if rec.rtype == RType::OPT {
                    if section != 2 || msg.edns.is_some() || !rec.owner.is_root() {
                        return Err(ParseError::BadOpt);
                    }
                    msg.edns = Some(edns_from_opt(&rec)?);
                    continue;
                }
                match section {
                    0 => msg.answers.push(rec),
                    1 => msg.authority.push(rec),
                    _ => msg.additional.push(rec),
                }
            }
        }
        if pos != buf.len() {
            return Err(ParseError::Trailing);
        }
        Ok(msg)
    }
}

fn edns_from_opt(rec: &Record) -> Result<Edns, ParseError> {
    let mut options = Vec::new();
    let d = &rec.rdata[..];
    let mut p = 0;
    while p < d.len() {
        if p + 4 > d.len() {
            return Err(ParseError::BadOpt);
        }
        let code = u16::from_be_bytes([d[p], d[p + 1]]);
        let len = u16::from_be_bytes([d[p + 2], d[p + 3]]) as usize;
        if p + 4 + len > d.len() {
            return Err(ParseError::BadOpt);
        }
        options.push((code, d[p + 4..p + 4 + len].to_vec()));
        p += 4 + len;
    }
    Ok(Edns { udp_size: rec.class.0, ext_rcode: (rec.ttl >> 24) as u8, version: (rec.ttl >> 16) as u8, flags: rec.ttl as u16, options })
}

/// Reads a possibly compressed name at `pos`; returns it and the offset just after it
/// in the original (not the pointed-to) data. Pointers must point strictly backwards
/// (RFC 1035 §4.1.4 "a prior occurrence"), which also rules out loops.
pub fn read_name(buf: &[u8], pos: usize) -> Result<(Name, usize), ParseError> {
    let mut wire = Vec::with_capacity(32);
    let end = read_name_into(buf, pos, &mut wire)?;
    Ok((Name::from_wire_unchecked(wire), end))
}

/// As [`read_name`], appending the uncompressed wire name to `out`.
pub fn read_name_into(buf: &[u8], mut pos: usize, out: &mut Vec<u8>) -> Result<usize, ParseError> {
    let start_len = out.len();
    let mut end = None;
    let mut limit = pos;
    loop {
        let len = *buf.get(pos).ok_or(ParseError::Truncated(pos))? as usize;
        match len & 0xc0 {
            0x00 => {
                if len == 0 {
                    out.push(0);
                    if out.len() - start_len > MAX_NAME_LEN {
                        return Err(ParseError::NameTooLong(pos));
                    }
                    return Ok(end.unwrap_or(pos + 1));
                }
                debug_assert!(len <= MAX_LABEL_LEN);
                let label = buf.get(pos..pos + 1 + len).ok_or(ParseError::Truncated(pos))?;
                out.extend_from_slice(label);
                if out.len() - start_len > MAX_NAME_LEN {
                    return Err(ParseError::NameTooLong(pos));
                }
                pos += 1 + len;
            }
            0xc0 => {
                let b2 = *buf.get(pos + 1).ok_or(ParseError::Truncated(pos))? as usize;
                let target = ((len & 0x3f) << 8) | b2;
                if target >= limit {
                    return Err(ParseError::BadPointer(pos));
                }
                end.get_or_insert(pos + 2);
                limit = target;
                pos = target;
            }
            _ => return Err(ParseError::BadLabel(pos)),
        }
    }
}

/// Reads one resource record at `pos`, decompressing its RDATA names where RFC 3597 §4
/// allows, and checks the RDATA against its type's layout.
pub fn read_record(buf: &[u8], pos: usize) -> Result<(Record, usize), ParseError> {
    let (owner, p) = read_name(buf, pos)?;
    let fixed = buf.get(p..p + 10).ok_or(ParseError::Truncated(p))?;
    let rtype = RType(u16::from_be_bytes([fixed[0], fixed[1]]));
    let class = Class(u16::from_be_bytes([fixed[2], fixed[3]]));
    let ttl = u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]);
    let rdlen = u16::from_be_bytes([fixed[8], fixed[9]]) as usize;
    let start = p + 10;
    let end = start + rdlen;
    if end > buf.len() {
        return Err(ParseError::Truncated(start));
    }
    let rdata = decompress_rdata(buf, start, end, rtype)?;
    if rtype != RType::OPT {
        rdata::validate(rtype, &rdata).map_err(|source| ParseError::BadRdata { offset: start, source })?;
    }
    Ok((Record { owner, rtype, class, ttl, rdata: rdata.into_boxed_slice() }, end))
}

/// Copies RDATA out of a message, expanding compression pointers in the name fields
/// that may carry them.
fn decompress_rdata(buf: &[u8], start: usize, end: usize, rtype: RType) -> Result<Vec<u8>, ParseError> {
    let raw = &buf[start..end];
    let Some(layout) = rdata::layout(rtype) else { return Ok(raw.to_vec()) };
    if !layout.iter().any(|f| matches!(f, rdata::Field::Name(NameField::Compressible | NameField::Decompress))) {
        return Ok(raw.to_vec());
    }
    // Walk fields: fixed-size fields are copied, names are expanded, the rest is copied.
    let mut out = Vec::with_capacity(raw.len() + 32);
    let mut pos = start;
    let bad = |_| ParseError::BadRdata { offset: start, source: rdata::RdataError::Short(rtype) };
    for f in layout {
        use rdata::Field::*;
        match f {
            Name(NameField::Compressible | NameField::Decompress) => {
                let next = read_name_into(&buf[..end], pos, &mut out)?;
                pos = next;
            }
            U8 | U16 | U32 | Type | Time | Ipv4 | Ipv6 => {
                let n = match f {
                    U8 => 1,
                    U16 | Type => 2,
                    Ipv6 => 16,
                    _ => 4,
                };
                out.extend_from_slice(buf.get(pos..pos + n).filter(|_| pos + n <= end).ok_or(()).map_err(bad)?);
                pos += n;
            }
            Text => {
                let l = *buf.get(pos).filter(|_| pos < end).ok_or(()).map_err(bad)? as usize;
                out.extend_from_slice(buf.get(pos..pos + 1 + l).filter(|_| pos + 1 + l <= end).ok_or(()).map_err(bad)?);
                pos += 1 + l;
            }
            _ => {
                out.extend_from_slice(&buf[pos..end]);
                pos = end;
            }
        }
    }
    if pos != end {
        return Err(ParseError::BadRdata { offset: start, source: rdata::RdataError::Trailing(rtype) });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_loops_and_forward_pointers_are_rejected() {
        let mut buf = vec![0u8; 12];
        buf.extend_from_slice(&[0xc0, 12]); // points at itself
        assert_eq!(read_name(&buf, 12).unwrap_err(), ParseError::BadPointer(12));
        let mut buf = vec![0u8; 12];
        buf.extend_from_slice(&[0xc0, 14, 0]);
        assert_eq!(read_name(&buf, 12).unwrap_err(), ParseError::BadPointer(12));
    }

    #[test]
    fn compressed_names_expand() {
        let mut buf = vec![0u8; 12];
        buf.extend_from_slice(b"\x07example\x03com\x00");
        buf.extend_from_slice(&[3, b'w', b'w', b'w', 0xc0, 12]);
        let (name, end) = read_name(&buf, 25).unwrap();
        assert_eq!(name.to_string(), "www.example.com.");
        assert_eq!(end, buf.len());
    }
}
