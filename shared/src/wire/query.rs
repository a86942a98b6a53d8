//! A zero-allocation view of an incoming query: header, the one question and the OPT
//! record (RFC 1035 §4.1, RFC 6891 §6.1). This is the first thing both servers do with
//! a packet, so it never allocates and never panics on any input.
//!
//! # Limitations
//! Records in the answer and authority sections of a query are skipped, not read
//! (they matter only to NOTIFY, UPDATE and TSIG, which use the full decoder).

use super::message::{flags, Header, EDNS_DO};
use super::rtype::{Class, RType};

/// Why a packet cannot be answered normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Too short to carry a header, or a response (QR=1): drop it silently,
    /// since answering could start a loop (RFC 1035 §7.3 spirit, RFC 5452 §9.1).
    #[error("not a query; dropped")]
    Drop,
    /// Malformed: answer FORMERR with this header (RFC 1035 §4.1.1).
    #[error("malformed query")]
    FormErr(Header),
    /// An opcode we do not implement: answer NOTIMP (RFC 1035 §4.1.1).
    #[error("opcode not implemented")]
    NotImp(Header),
}

/// The EDNS part of a query (RFC 6891 §6.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdnsView<'a> {
    /// Requestor's UDP payload size (values below 512 are treated as 512, RFC 6891 §6.2.3).
    pub udp_size: u16,
    /// EDNS version.
    pub version: u8,
    /// Flags word; bit 15 is DO.
    pub flags: u16,
    /// Raw option data.
    pub options: &'a [u8],
}

impl EdnsView<'_> {
    /// DNSSEC OK (RFC 3225).
    pub fn dnssec_ok(&self) -> bool {
        self.flags & EDNS_DO != 0
    }
}

/// A parsed query borrowing its packet.
#[derive(Debug, Clone, Copy)]
pub struct QueryView<'a> {
    /// The whole packet.
    pub packet: &'a [u8],
    /// The header.
    pub header: Header,
    /// QNAME as uncompressed wire bytes, case as sent.
    pub qname: &'a [u8],
    /// QTYPE.
    pub qtype: RType,
    /// QCLASS.
    pub qclass: Class,
    /// Offset just after the question.
    pub question_end: usize,
    /// The OPT record, if present.
    pub edns: Option<EdnsView<'a>>,
}

impl<'a> QueryView<'a> {
    /// Parses a query; see [`QueryError`] for what each failure means.
    pub fn parse(packet: &'a [u8]) -> Result<QueryView<'a>, QueryError> {
        let header = Header::parse(packet).ok_or(QueryError::Drop)?;
        if header.has(flags::QR) {
            return Err(QueryError::Drop);
        }
        let op = header.opcode();
        if op != super::message::opcode::QUERY && op != super::message::opcode::NOTIFY {
            return Err(QueryError::NotImp(header));
        }
        if header.qdcount != 1 {
            return Err(QueryError::FormErr(header));
        }
        let form = QueryError::FormErr(header);
        let qlen = plain_name_len(&packet[12..]).ok_or(form)?;
        let qname = &packet[12..12 + qlen];
        let p = 12 + qlen;
        let q = packet.get(p..p + 4).ok_or(form)?;
        let qtype = RType(u16::from_be_bytes([q[0], q[1]]));
        let qclass = Class(u16::from_be_bytes([q[2], q[3]]));
        let question_end = p + 4;
        let mut pos = question_end;
        let mut edns = None;
        let total = header.ancount as usize + header.nscount as usize + header.arcount as usize;
        let first_additional = header.ancount as usize + header.nscount as usize;
        for i in 0..total {
            let owner_len = skip_name(packet, pos).ok_or(form)?;
            let f = packet.get(pos + owner_len..pos + owner_len + 10).ok_or(form)?;
            let rtype = RType(u16::from_be_bytes([f[0], f[1]]));
            let rdlen = u16::from_be_bytes([f[8], f[9]]) as usize;
            let rstart = pos + owner_len + 10;
            let rdata = packet.get(rstart..rstart + rdlen).ok_or(form)?;
            if rtype == RType::OPT {
                // RFC 6891 §6.1.1: one OPT, in the additional section, owned by the root.
                if i < first_additional || edns.is_some() || packet[pos] != 0 {
                    return Err(form);
                }
                edns = Some(EdnsView {
                    udp_size: u16::from_be_bytes([f[2], f[3]]),
                    version: f[5],
                    flags: u16::from_be_bytes([f[6], f[7]]),
                    options: rdata,
                });
            }
            pos = rstart + rdlen;
        }
        if pos != packet.len() {
            // Trailing garbage: RFC 1035 does not allow it; treat as malformed.
            return Err(form);
        }
        Ok(QueryView { packet, header, qname, qtype, qclass, question_end, edns })
    }

    /// True if the client set DO.
    pub fn dnssec_ok(&self) -> bool {
        self.edns.is_some_and(|e| e.dnssec_ok())
    }

    /// Number of labels in QNAME.
    pub fn qname_labels(&self) -> usize {
        let mut n = 0;
        let mut p = 0;
        while self.qname[p] != 0 {
            n += 1;
            p += 1 + self.qname[p] as usize;
        }
        n
    }
}

/// Length of an uncompressed name at the start of `buf` (questions are never
/// compressed: a pointer could only point into the header).
fn plain_name_len(buf: &[u8]) -> Option<usize> {
    super::name::wire_name_len(buf)
}

/// Length of a possibly compressed name at `pos`, without following pointers.
fn skip_name(buf: &[u8], mut pos: usize) -> Option<usize> {
    let start = pos;
    loop {
        let len = *buf.get(pos)?;
        match len & 0xc0 {
            0 if len == 0 => return Some(pos + 1 - start),
            0 => pos += 1 + len as usize,
            0xc0 => {
                buf.get(pos + 1)?;
                return Some(pos + 2 - start);
            }
            _ => return None,
        }
        if pos - start > 255 {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(qd: u16, name: &[u8], extra: &[u8], arcount: u16) -> Vec<u8> {
        let mut p = vec![0x12, 0x34, 0x01, 0x00, 0, qd as u8, 0, 0, 0, 0, 0, arcount as u8];
        p.extend_from_slice(name);
        p.extend_from_slice(&[0, 1, 0, 1]);
        p.extend_from_slice(extra);
        p
    }

    #[test]
    fn plain_query_parses() {
        let p = query(1, b"\x03www\x07example\x00", &[], 0);
        let q = QueryView::parse(&p).unwrap();
        assert_eq!(q.qtype, RType::A);
        assert_eq!(q.qname_labels(), 2);
        assert!(q.edns.is_none());
    }

    #[test]
    fn edns_is_read() {
        let opt = [0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0];
        let p = query(1, b"\x07example\x00", &opt, 1);
        let q = QueryView::parse(&p).unwrap();
        let e = q.edns.unwrap();
        assert_eq!(e.udp_size, 1232);
        assert!(e.dnssec_ok());
    }

    #[test]
    fn malformed_queries_are_formerr_or_dropped() {
        assert_eq!(QueryView::parse(&[0; 5]), Err(QueryError::Drop));
        let p = query(2, b"\x07example\x00", &[], 0);
        assert!(matches!(QueryView::parse(&p), Err(QueryError::FormErr(_))));
        let p = query(1, b"\xc0\x0c", &[], 0);
        assert!(matches!(QueryView::parse(&p), Err(QueryError::FormErr(_))));
        let mut p = query(1, b"\x07example\x00", &[], 0);
        p.truncate(p.len() - 1);
        assert!(matches!(QueryView::parse(&p), Err(QueryError::FormErr(_))));
        let opt = [0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0];
        let two = [opt, opt].concat();
        let p = query(1, b"\x07example\x00", &two, 2);
        assert!(matches!(QueryView::parse(&p), Err(QueryError::FormErr(_))));
        let mut resp = query(1, b"\x07example\x00", &[], 0);
        resp[2] |= 0x80;
        assert_eq!(QueryView::parse(&resp), Err(QueryError::Drop));
    }
}

impl PartialEq for QueryView<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.packet == other.packet
    }
}
