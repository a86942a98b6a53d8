//! Building the client's response from a resolved [`Answer`] (RFC 4035 §3.2): AD only
//! for secure data and only to clients that set DO or AD (RFC 6840 §5.7); DNSSEC
//! records only with DO (RFC 4035 §3.2.1); bogus is SERVFAIL with an Extended DNS Error
//! (RFC 8914) unless the client set CD, which gets the data unvalidated (RFC 4035
//! §3.2.2); TTLs aged by time in cache; TC=1 when it does not fit (RFC 2181 §9).

use crate::cache::{Answer, AnswerKind};
use crate::rrset::RRset;
use crate::validator::Security;
use tern_shared::wire::query::QueryView;
use tern_shared::wire::writer::{opt_len_with_ede, Section, OPT_LEN};
use tern_shared::wire::{flags, rcode, Class, Header, MessageWriter, RType};

/// The size limit for a response to `q` over UDP (RFC 6891 §6.2.5).
pub fn udp_limit(q: &QueryView<'_>, ours: u16) -> usize {
    match q.edns {
        Some(e) => e.udp_size.clamp(512, ours.max(512)) as usize,
        None => 512,
    }
}

/// Writes a response header-only with `rc` (FORMERR, NOTIMP, REFUSED, SERVFAIL...),
/// echoing the question when there is one.
pub fn write_error(q: &QueryView<'_>, rc: u16, ede: Option<(u16, &str)>, out: &mut Vec<u8>, ra: bool) {
    let f = flags::QR | (q.header.flags & (0x7800 | flags::RD | flags::CD)) | if ra { flags::RA } else { 0 };
    let mut w = MessageWriter::new(out, 65535, Header { id: q.header.id, flags: f, ..Default::default() });
    let _ = w.question(q.qname, q.qtype, q.qclass);
    w.set_rcode(rc & 0xf);
    if let Some(e) = q.edns {
        w.opt(1232, rc, e.dnssec_ok(), ede);
    }
    w.finish();
}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// The rcode sent.
    pub rcode: u16,
    /// TC was set.
    pub truncated: bool,
    /// AD was set.
    pub secure: bool,
    /// Whether this response may be cached as a packet image (complete, not an error).
    pub cacheable: bool,
}

/// Writes the response to `q` from `a` at time `now` into `out`, within `limit` octets.
pub fn write_answer(q: &QueryView<'_>, a: &Answer, now: u64, limit: usize, udp_payload: u16, out: &mut Vec<u8>) -> Written {
    let do_bit = q.dnssec_ok();
    let cd = q.header.has(flags::CD);
    let wants_ad = do_bit || q.header.has(flags::AD);
    let bogus = matches!(a.security, Security::Bogus(_) | Security::Indeterminate(_));
    let secure = a.security.is_secure() && a.kind != AnswerKind::Failure;
    let mut f = flags::QR | flags::RA | (q.header.flags & (0x7800 | flags::RD | flags::CD));
    if secure && wants_ad && !cd {
        f |= flags::AD;
    }
    if secure && wants_ad && cd {
        // RFC 6840 §5.9: with CD the resolver may still report AD for data it validated.
        f |= flags::AD;
    }
    let (rc, ede) = if a.kind == AnswerKind::Failure {
        (rcode::SERVFAIL, a.ede.as_ref())
    } else if bogus && !cd {
        (rcode::SERVFAIL, a.ede.as_ref())
    } else {
        (a.rcode, a.ede.as_ref().filter(|_| !bogus))
    };
    let ede_ref = ede.map(|(c, t)| (*c, t.as_str()));
    let reserve = match (q.edns, ede_ref) {
        (None, _) => 0,
        (Some(_), Some((_, t))) => opt_len_with_ede(t.len()),
        (Some(_), None) => OPT_LEN,
    };
    let mut w = MessageWriter::new(
        out,
        limit.saturating_sub(reserve).max(12 + q.qname.len() + 4),
        Header { id: q.header.id, flags: f, ..Default::default() },
    );
    let _ = w.question(q.qname, q.qtype, Class::IN);
    let after_q = w.mark();
    let mut truncated = false;
    // A bogus answer's records are withheld; a failure carries records only when they
    // show why it failed (a CNAME/DNAME loop, RFC 1034 §3.6.2).
    if rc != rcode::SERVFAIL || a.kind == AnswerKind::Failure {
        let age = now.saturating_sub(a.stored) as u32;
        let remaining = a.expires.saturating_sub(now) as u32;
        let ttl = |t: u32| t.saturating_sub(age).min(remaining);
        let dnssec_type = |t: RType| matches!(t, RType::RRSIG | RType::NSEC | RType::NSEC3 | RType::DNSKEY | RType::DS);
        'sections: for (section, sets) in [(Section::Answer, &a.answer), (Section::Authority, &a.authority)] {
            for set in sets.iter() {
                // Without DO: no RRSIG/NSEC/NSEC3 unless asked for by type (RFC 4035 §3.2.1).
                if section == Section::Authority && !do_bit && matches!(set.rtype, RType::NSEC | RType::NSEC3) {
                    continue;
                }
                if section == Section::Authority && !matches!(set.rtype, RType::SOA | RType::NS | RType::NSEC | RType::NSEC3) {
                    continue;
                }
                if section == Section::Authority && a.kind == AnswerKind::Positive && !do_bit {
                    continue;
                }
                let _ = dnssec_type;
                if put(&mut w, section, set, do_bit, &ttl, q).is_err() {
                    truncated = true;
                    break 'sections;
                }
            }
        }
    }
    if truncated {
        w.rollback(after_q);
        w.set_truncated();
    }
    w.set_limit(limit.max(w.len() + reserve));
    w.set_rcode(rc & 0xf);
    if let Some(_e) = q.edns {
        w.opt(udp_payload, rc, do_bit, ede_ref);
    }
    w.finish();
    // A stale answer (RFC 8767) is not kept as an image: the fresh one may come any moment.
    let cacheable = !truncated && a.kind != AnswerKind::Failure && (!bogus || cd) && !a.is_stale();
    Written { rcode: rc, truncated, secure: secure && wants_ad, cacheable }
}

fn put(
    w: &mut MessageWriter<'_>,
    section: Section,
    set: &RRset,
    do_bit: bool,
    ttl: &dyn Fn(u32) -> u32,
    q: &QueryView<'_>,
) -> Result<(), tern_shared::wire::Full> {
    let t = ttl(set.ttl);
    // Owner: the client's spelling when it is the question name (RFC 4343 §4.1).
    let owner: &[u8] = if set.owner.wire().eq_ignore_ascii_case(q.qname) { q.qname } else { set.owner.wire() };
    let mark = w.mark();
    let r = (|| {
        for rd in &set.rdatas {
            w.record_raw(section, owner, set.rtype, set.class, t, rd)?;
        }
        if do_bit || q.qtype == RType::RRSIG {
            for sig in &set.sigs {
                w.record_raw(section, owner, RType::RRSIG, set.class, t, sig)?;
            }
        }
        Ok(())
    })();
    if r.is_err() {
        w.rollback(mark);
    }
    r
}
