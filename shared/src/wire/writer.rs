//! Building DNS messages into a caller-owned buffer with name compression
//! (RFC 1035 §4.1.4), RDATA-name compression only for the RFC 1035 types (RFC 3597 §4),
//! EDNS(0) OPT records (RFC 6891 §6.1.2) with Extended DNS Errors (RFC 8914), and
//! truncation that never leaves half an RRset (RFC 2181 §9).
//!
//! The writer never allocates: the buffer is reused by the caller and the compression
//! table is a fixed array.
//!
//! # Limitations
//! At most [`MAX_COMPRESSION_TARGETS`] name positions are remembered; names after that
//! are still written correctly, only less compactly.

use super::message::{flags, Header};
use super::name::Name;
use super::rdata::{self, NameField};
use super::record::Record;
use super::rtype::{Class, RType};

/// How many earlier name positions the compressor remembers per message.
pub const MAX_COMPRESSION_TARGETS: usize = 96;

/// The message would exceed its size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("message size limit reached")]
pub struct Full;

/// Message sections in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    /// Answer.
    Answer = 0,
    /// Authority.
    Authority = 1,
    /// Additional.
    Additional = 2,
}

/// A saved writer state to roll back to after [`Full`].
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    len: usize,
    counts: [u16; 3],
    targets: usize,
}

/// Writes one message into `buf` (which it clears), up to `limit` octets.
pub struct MessageWriter<'a> {
    buf: &'a mut Vec<u8>,
    limit: usize,
    counts: [u16; 3],
    targets: [u16; MAX_COMPRESSION_TARGETS],
    /// Hash of the (lowercased, uncompressed) name at each target, so a lookup compares
    /// one word per target and checks the bytes only on a hash match.
    target_hashes: [u32; MAX_COMPRESSION_TARGETS],
    ntargets: usize,
}

impl<'a> MessageWriter<'a> {
    /// Starts a message with `header` (its counts are ignored and filled in by
    /// [`finish`](Self::finish)).
    pub fn new(buf: &'a mut Vec<u8>, limit: usize, header: Header) -> MessageWriter<'a> {
        buf.clear();
        buf.extend_from_slice(&header.id.to_be_bytes());
        buf.extend_from_slice(&header.flags.to_be_bytes());
        buf.extend_from_slice(&[0; 8]);
        MessageWriter {
            buf,
            limit: limit.max(12),
            counts: [0; 3],
            targets: [0; MAX_COMPRESSION_TARGETS],
            target_hashes: [0; MAX_COMPRESSION_TARGETS],
            ntargets: 0,
        }
    }

    /// Current length in octets.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True if only the header has been written.
    pub fn is_empty(&self) -> bool {
        self.buf.len() <= 12
    }

    /// The size limit.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Changes the size limit (e.g. to reserve room for an OPT record).
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    /// Sets header flag bits.
    pub fn set_flags(&mut self, bits: u16) {
        let f = u16::from_be_bytes([self.buf[2], self.buf[3]]) | bits;
        self.buf[2..4].copy_from_slice(&f.to_be_bytes());
    }

    /// Clears header flag bits.
    pub fn clear_flags(&mut self, bits: u16) {
        let f = u16::from_be_bytes([self.buf[2], self.buf[3]]) & !bits;
        self.buf[2..4].copy_from_slice(&f.to_be_bytes());
    }

    /// Sets the low four rcode bits.
    pub fn set_rcode(&mut self, rcode: u16) {
        let f = (u16::from_be_bytes([self.buf[2], self.buf[3]]) & !0xf) | (rcode & 0xf);
        self.buf[2..4].copy_from_slice(&f.to_be_bytes());
    }

    /// Number of records written to a section so far.
    pub fn count(&self, s: Section) -> u16 {
        self.counts[s as usize]
    }

    /// Saves the state for [`rollback`](Self::rollback).
    pub fn mark(&self) -> Mark {
        Mark { len: self.buf.len(), counts: self.counts, targets: self.ntargets }
    }

    /// Returns to a saved state, forgetting everything written since.
    pub fn rollback(&mut self, m: Mark) {
        self.buf.truncate(m.len);
        self.counts = m.counts;
        self.ntargets = m.targets;
    }

    /// Marks the message truncated (TC=1).
    pub fn set_truncated(&mut self) {
        self.set_flags(flags::TC);
    }

    /// Writes the question; `qname_wire` is the uncompressed name as the client sent it.
    pub fn question(&mut self, qname_wire: &[u8], qtype: RType, qclass: Class) -> Result<(), Full> {
        self.check(qname_wire.len() + 4)?;
        self.put_name(qname_wire, true)?;
        self.buf.extend_from_slice(&qtype.0.to_be_bytes());
        self.buf.extend_from_slice(&qclass.0.to_be_bytes());
        self.buf[4..6].copy_from_slice(&1u16.to_be_bytes());
        Ok(())
    }

    fn check(&self, more: usize) -> Result<(), Full> {
        if self.buf.len() + more > self.limit {
            Err(Full)
        } else {
            Ok(())
        }
    }

    /// Writes one record into `section` with the owner given as uncompressed wire bytes.
    /// On [`Full`] nothing of it remains.
    pub fn record_raw(&mut self, section: Section, owner: &[u8], rtype: RType, class: Class, ttl: u32, rdata: &[u8]) -> Result<(), Full> {
        let m = self.mark();
        let r = self.record_inner(section, owner, rtype, class, ttl, rdata);
        if r.is_err() {
            self.rollback(m);
        }
        r
    }

    fn record_inner(&mut self, section: Section, owner: &[u8], rtype: RType, class: Class, ttl: u32, rdata: &[u8]) -> Result<(), Full> {
        debug_assert!(self.counts[section as usize + 1..].iter().all(|&c| c == 0), "sections written out of order");
        self.put_name(owner, true)?;
        self.check(10)?;
        self.buf.extend_from_slice(&rtype.0.to_be_bytes());
        self.buf.extend_from_slice(&class.0.to_be_bytes());
        self.buf.extend_from_slice(&ttl.to_be_bytes());
        let len_at = self.buf.len();
        self.buf.extend_from_slice(&[0, 0]);
        self.put_rdata(rtype, rdata)?;
        let rdlen = (self.buf.len() - len_at - 2) as u16;
        self.buf[len_at..len_at + 2].copy_from_slice(&rdlen.to_be_bytes());
        self.counts[section as usize] += 1;
        Ok(())
    }

    /// Appends `count` ready-made records to `section`. Their owner names may only be
    /// pointers to the question (offset 12); the bytes are not compressed further.
    pub fn append_records(&mut self, section: Section, bytes: &[u8], count: u16) -> Result<(), Full> {
        debug_assert!(self.counts[section as usize + 1..].iter().all(|&c| c == 0), "sections written out of order");
        self.check(bytes.len())?;
        self.buf.extend_from_slice(bytes);
        self.counts[section as usize] += count;
        Ok(())
    }

    /// Writes a [`Record`], with its owner as stored.
    pub fn record(&mut self, section: Section, r: &Record) -> Result<(), Full> {
        self.record_raw(section, r.owner.wire(), r.rtype, r.class, r.ttl, &r.rdata)
    }

    /// Writes a record whose owner is `owner` (e.g. the question's spelling).
    pub fn record_as(&mut self, section: Section, owner: &Name, r: &Record) -> Result<(), Full> {
        self.record_raw(section, owner.wire(), r.rtype, r.class, r.ttl, &r.rdata)
    }

    /// Whether names in RDATA of `rtype` are compressed when written (the RFC 1035 types,
    /// as RFC 3597 §4 allows; newer types are written as they are).
    pub fn compresses_rdata(rtype: RType) -> bool {
        matches!(
            rtype,
            RType::NS
                | RType::MD
                | RType::MF
                | RType::CNAME
                | RType::SOA
                | RType::MB
                | RType::MG
                | RType::MR
                | RType::PTR
                | RType::MINFO
                | RType::MX
        )
    }

    fn put_rdata(&mut self, rtype: RType, rdata: &[u8]) -> Result<(), Full> {
        let compressible = Self::compresses_rdata(rtype);
        if !compressible {
            self.check(rdata.len())?;
            self.buf.extend_from_slice(rdata);
            return Ok(());
        }
        let mut pos = 0;
        let mut res = Ok(());
        let mut pieces: [(usize, usize); 2] = [(0, 0); 2];
        let mut n = 0;
        rdata::for_each_name(rtype, rdata, |off, len, kind| {
            if kind == NameField::Compressible && n < 2 {
                pieces[n] = (off, len);
                n += 1;
            }
        });
        for &(off, len) in &pieces[..n] {
            if res.is_err() {
                break;
            }
            res = self.check(off - pos).map(|_| self.buf.extend_from_slice(&rdata[pos..off]));
            if res.is_ok() {
                res = self.put_name(&rdata[off..off + len], true);
            }
            pos = off + len;
        }
        res?;
        self.check(rdata.len() - pos)?;
        self.buf.extend_from_slice(&rdata[pos..]);
        Ok(())
    }

    /// Writes a name, compressing it against earlier names when `compress` is set, and
    /// remembers its label positions as future compression targets.
    fn put_name(&mut self, wire: &[u8], compress: bool) -> Result<(), Full> {
        // Hashes of every suffix, computed right to left (a name has at most 127 labels).
        let mut starts = [0u8; 128];
        let nl = super::name::label_starts(wire, &mut starts);
        let mut hashes = [0u32; 128];
        let mut h: u32 = 0x811c_9dc5;
        for k in (0..nl).rev() {
            let st = starts[k] as usize;
            let len = wire[st] as usize;
            h ^= len as u32;
            h = h.wrapping_mul(0x0100_0193);
            for &b in &wire[st + 1..st + 1 + len] {
                h ^= b.to_ascii_lowercase() as u32;
                h = h.wrapping_mul(0x0100_0193);
            }
            hashes[k] = h;
        }
        for k in 0..nl {
            let pos = starts[k] as usize;
            if compress {
                if let Some(ptr) = self.find_suffix(&wire[pos..], hashes[k]) {
                    self.check(2)?;
                    self.buf.extend_from_slice(&(0xc000 | ptr).to_be_bytes());
                    return Ok(());
                }
            }
            let len = wire[pos] as usize;
            self.check(1 + len)?;
            let at = self.buf.len();
            if at < 0x3fff && self.ntargets < MAX_COMPRESSION_TARGETS {
                self.targets[self.ntargets] = at as u16;
                self.target_hashes[self.ntargets] = hashes[k];
                self.ntargets += 1;
            }
            self.buf.extend_from_slice(&wire[pos..pos + 1 + len]);
        }
        self.check(1)?;
        self.buf.push(0);
        Ok(())
    }

    /// An earlier position in the message spelling the same name (ignoring case) as the
    /// uncompressed `suffix` whose hash is `hash`.
    fn find_suffix(&self, suffix: &[u8], hash: u32) -> Option<u16> {
        (0..self.ntargets)
            .find(|&i| self.target_hashes[i] == hash && name_at_eq(self.buf, self.targets[i] as usize, suffix))
            .map(|i| self.targets[i])
    }

    /// Appends an OPT record (RFC 6891 §6.1.2); `ext_rcode` is the full rcode (its upper
    /// eight bits go into the OPT TTL). `ede` adds an Extended DNS Error (RFC 8914 §2).
    /// Ignores the size limit, which callers reserve room for up front.
    pub fn opt(&mut self, udp_size: u16, rcode: u16, do_bit: bool, ede: Option<(u16, &str)>) {
        let ttl = (((rcode >> 4) as u32 & 0xff) << 24) | if do_bit { 0x8000 } else { 0 };
        self.buf.push(0);
        self.buf.extend_from_slice(&RType::OPT.0.to_be_bytes());
        self.buf.extend_from_slice(&udp_size.to_be_bytes());
        self.buf.extend_from_slice(&ttl.to_be_bytes());
        match ede {
            Some((code, text)) => {
                let text = &text.as_bytes()[..text.len().min(200)];
                let olen = 2 + text.len();
                self.buf.extend_from_slice(&((4 + olen) as u16).to_be_bytes());
                self.buf.extend_from_slice(&super::message::OPT_EDE.to_be_bytes());
                self.buf.extend_from_slice(&(olen as u16).to_be_bytes());
                self.buf.extend_from_slice(&code.to_be_bytes());
                self.buf.extend_from_slice(text);
            }
            None => self.buf.extend_from_slice(&[0, 0]),
        }
        self.counts[Section::Additional as usize] += 1;
    }

    /// Writes the section counts into the header and returns the message length.
    pub fn finish(self) -> usize {
        self.buf[6..8].copy_from_slice(&self.counts[0].to_be_bytes());
        self.buf[8..10].copy_from_slice(&self.counts[1].to_be_bytes());
        self.buf[10..12].copy_from_slice(&self.counts[2].to_be_bytes());
        self.buf.len()
    }
}

/// Size of an OPT record with no options.
pub const OPT_LEN: usize = 11;
/// Size of an OPT record carrying an EDE option with `text_len` octets of text.
pub fn opt_len_with_ede(text_len: usize) -> usize {
    OPT_LEN + 6 + text_len.min(200)
}

/// Compares the (possibly compressed) name at `pos` in `msg` with an uncompressed name.
fn name_at_eq(msg: &[u8], mut pos: usize, name: &[u8]) -> bool {
    let mut i = 0;
    let mut hops = 0;
    loop {
        let Some(&len) = msg.get(pos) else { return false };
        if len & 0xc0 == 0xc0 {
            let Some(&b2) = msg.get(pos + 1) else { return false };
            pos = (((len & 0x3f) as usize) << 8) | b2 as usize;
            hops += 1;
            if hops > 64 {
                return false;
            }
            continue;
        }
        let len = len as usize;
        if name.get(i) != Some(&(len as u8)) {
            return false;
        }
        if len == 0 {
            return true;
        }
        let (Some(a), Some(b)) = (msg.get(pos + 1..pos + 1 + len), name.get(i + 1..i + 1 + len)) else { return false };
        if !a.eq_ignore_ascii_case(b) {
            return false;
        }
        pos += 1 + len;
        i += 1 + len;
    }
}

#[cfg(test)]
mod tests {
    use super::super::message::Message;
    use super::*;

    #[test]
    fn names_compress_and_decode_back() {
        let mut buf = Vec::new();
        let mut w = MessageWriter::new(&mut buf, 512, Header { id: 7, flags: flags::QR, ..Default::default() });
        let q: Name = "www.example.com.".parse().unwrap();
        w.question(q.wire(), RType::A, Class::IN).unwrap();
        let mx = [&[0u8, 10][..], b"\x04mail\x07EXAMPLE\x03com\x00"].concat();
        w.record_raw(Section::Answer, q.wire(), RType::MX, Class::IN, 300, &mx).unwrap();
        w.record_raw(Section::Answer, q.wire(), RType::A, Class::IN, 300, &[1, 2, 3, 4]).unwrap();
        w.opt(1232, 0, true, Some((6, "test")));
        let n = w.finish();
        let spelled = buf[..n].windows(7).filter(|w| w.eq_ignore_ascii_case(b"example")).count();
        assert_eq!(spelled, 1, "example.com. is written once, then pointed to");
        let m = Message::parse(&buf).unwrap();
        assert_eq!(m.answers.len(), 2);
        assert_eq!(m.answers[0].rdata_text().to_lowercase(), "10 mail.example.com.");
        assert_eq!(m.edns.as_ref().unwrap().ede(), Some((6, "test".into())));
        assert!(m.edns.unwrap().dnssec_ok());
    }

    #[test]
    fn a_record_that_does_not_fit_leaves_nothing() {
        let mut buf = Vec::new();
        let mut w = MessageWriter::new(&mut buf, 40, Header::default());
        let q: Name = "example.".parse().unwrap();
        w.question(q.wire(), RType::TXT, Class::IN).unwrap();
        let before = w.len();
        assert_eq!(w.record_raw(Section::Answer, q.wire(), RType::TXT, Class::IN, 1, &[20; 21]), Err(Full));
        assert_eq!(w.len(), before);
        assert_eq!(w.count(Section::Answer), 0);
    }
}
