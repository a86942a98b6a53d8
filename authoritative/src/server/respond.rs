//! From one query packet to one response packet, for UDP and TCP alike: parse
//! (FORMERR / NOTIMP / drop, RFC 1035 §4.1.1), EDNS (RFC 6891: BADVERS for versions
//! above 0, payload size negotiation), zone choice (REFUSED outside our zones), the
//! answer, and truncation (RFC 2181 §9, RFC 7766 §5).
//!
//! Allocation-free: the response is written into the caller's reused buffer.

use crate::zone::lookup;
use crate::zone::set::ZoneSet;
use tern_shared::wire::writer::OPT_LEN;
use tern_shared::wire::{flags, opcode, rcode, Class, Header, MessageWriter, QueryError, QueryView, RType};

/// Which transport the query came over, deciding the response size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// UDP: limited by the client's EDNS payload size and ours.
    Udp,
    /// TCP: up to 65535 octets (RFC 1035 §4.2.2).
    Tcp,
}

/// What happened to a packet, for metrics and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A response was written with this rcode.
    Answered {
        /// The full rcode.
        rcode: u16,
        /// TC was set.
        truncated: bool,
    },
    /// A zone transfer was asked for: the TCP layer handles it.
    Transfer,
    /// Nothing to send (responses, runts).
    Dropped,
}

/// Server-wide answering options.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Our largest UDP response (RFC 6891 §6.2.5).
    pub udp_payload: u16,
}

/// Answers `packet` into `out`. Returns what was done; `out` holds the response when
/// the outcome is [`Outcome::Answered`].
pub fn respond(zones: &ZoneSet, packet: &[u8], out: &mut Vec<u8>, transport: Transport, limits: Limits) -> Outcome {
    let q = match QueryView::parse(packet) {
        Ok(q) => q,
        Err(QueryError::Drop) => return Outcome::Dropped,
        Err(QueryError::FormErr(h)) => return header_only(out, h, rcode::FORMERR),
        Err(QueryError::NotImp(h)) => return header_only(out, h, rcode::NOTIMP),
    };
    // RFC 6891 §6.2.3-6.2.5: at least 512, at most what both sides allow.
    let limit = match (transport, q.edns) {
        (Transport::Tcp, _) => 65535,
        (Transport::Udp, Some(e)) => e.udp_size.clamp(512, limits.udp_payload.max(512)) as usize,
        (Transport::Udp, None) => 512,
    };
    let resp_flags = flags::QR | (q.header.flags & (0x7800 | flags::RD | flags::CD));
    let mut w = MessageWriter::new(out, limit, Header { id: q.header.id, flags: resp_flags, ..Default::default() });
    let edns = q.edns;
    let reserve = if edns.is_some() { OPT_LEN } else { 0 };
    w.set_limit(limit - reserve);
    let finish = |mut w: MessageWriter<'_>, rc: u16, truncated: bool| {
        w.set_limit(limit);
        w.set_rcode(rc & 0xf);
        if truncated {
            w.set_truncated();
        }
        if let Some(e) = edns {
            w.opt(limits.udp_payload, rc, e.dnssec_ok(), None);
        }
        w.finish();
        Outcome::Answered { rcode: rc, truncated }
    };
    if w.question(q.qname, q.qtype, q.qclass).is_err() {
        return finish(w, rcode::FORMERR, false);
    }
    // RFC 6891 §6.1.3: we speak version 0 only.
    if let Some(e) = edns {
        if e.version > 0 {
            return finish(w, rcode::BADVERS, false);
        }
    }
    if q.header.opcode() == opcode::NOTIFY {
        // We are a primary only: NOTIFY is for secondaries.
        return finish(w, rcode::REFUSED, false);
    }
    if q.qclass != Class::IN && q.qclass != Class::ANY {
        return finish(w, rcode::REFUSED, false);
    }
    match q.qtype {
        RType::AXFR | RType::IXFR => {
            if transport == Transport::Tcp {
                return Outcome::Transfer;
            }
            // RFC 5936 §4.2: AXFR is TCP only.
            return finish(w, rcode::FORMERR, false);
        }
        RType::OPT => return finish(w, rcode::FORMERR, false),
        RType::MAILA | RType::MAILB | RType::TSIG | RType::TKEY => return finish(w, rcode::NOTIMP, false),
        _ => {}
    }
    let Some(zone) = zones.find(q.qname, q.qtype) else {
        return finish(w, rcode::REFUSED, false);
    };
    let dnssec = zone.signed && q.dnssec_ok();
    let after_question = w.mark();
    let a = lookup::answer(zone, q.qname, q.qtype, dnssec, &mut w);
    if a.authoritative {
        w.set_flags(flags::AA);
    }
    if a.truncated && transport == Transport::Udp {
        // A partial DNSSEC answer helps nobody: send the question and TC, the client
        // retries over TCP (RFC 7766 §5).
        w.rollback(after_question);
        return finish(w, a.rcode, true);
    }
    finish(w, a.rcode, a.truncated)
}

/// A response with only a header (FORMERR for unparseable queries, NOTIMP for opcodes).
fn header_only(out: &mut Vec<u8>, h: Header, rc: u16) -> Outcome {
    let f = flags::QR | (h.flags & (0x7800 | flags::RD)) | rc;
    let w = MessageWriter::new(out, 512, Header { id: h.id, flags: f, ..Default::default() });
    w.finish();
    Outcome::Answered { rcode: rc, truncated: false }
}
