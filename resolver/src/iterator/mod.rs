//! Sans-I/O iteration helpers (RFC 1034 §5.3.3): root hints, classifying an upstream
//! response once into [`Response`], bailiwick scrubbing (RFC 5452 §6, RFC 2181 §5.4.1)
//! and QNAME minimisation steps (RFC 9156). The driver in `resolve` does the I/O.

pub mod hints;

use crate::rrset::{group, RRset};
use tern_shared::wire::{flags, rcode, Message, Name, RType};

/// What an upstream response means, decided once (DESIGN: classify, then match).
#[derive(Debug, Clone)]
pub enum Response {
    /// Data for the name (possibly a CNAME/DNAME chain, possibly ending in a negative
    /// rcode for the chain's last name, RFC 6604).
    Answer {
        /// Answer RRsets (scrubbed).
        answer: Vec<RRset>,
        /// Authority RRsets (proofs, SOA).
        authority: Vec<RRset>,
        /// NXDOMAIN for the last name of the chain.
        nxdomain: bool,
        /// YXDOMAIN: the chain ends at a DNAME whose substitution is too long.
        yxdomain: bool,
        /// The AA bit.
        aa: bool,
    },
    /// A delegation to a child zone.
    Referral {
        /// The child zone.
        child: Name,
        /// Its NS RRset.
        ns: RRset,
        /// Addresses for NS names inside the queried zone.
        glue: Vec<RRset>,
        /// Addresses for NS names outside the queried zone: not the zone's to give
        /// (RFC 2181 §5.4.1), used only where `harden_glue` is off.
        foreign_glue: Vec<RRset>,
        /// DS RRset and NSEC/NSEC3 no-DS proofs from the parent.
        security: Vec<RRset>,
    },
    /// The name does not exist (with SOA and proofs).
    NxDomain {
        /// Authority RRsets.
        authority: Vec<RRset>,
    },
    /// The name exists without data of the type.
    NoData {
        /// Authority RRsets.
        authority: Vec<RRset>,
    },
    /// Not a usable answer from this server: try another.
    Lame(Lameness),
}

/// Why a response was not usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lameness {
    /// An error rcode (SERVFAIL, REFUSED, NOTIMP, FORMERR, ...).
    Rcode(u16),
    /// A referral upwards or sideways (RFC 4697 §2.6).
    BadReferral,
    /// Neither data, nor referral, nor a negative answer.
    Empty,
}

/// True if `name` is `zone` or below it.
fn within(name: &Name, zone: &Name) -> bool {
    name.is_subdomain_of(zone)
}

/// True if a scrubbed chain ends at a DNAME that cannot be applied: substituting its
/// target into the name it covers exceeds 255 octets (RFC 6672 §2.2).
pub fn dname_overflows(chain: &[RRset], qname: &Name) -> bool {
    let Some(d) = chain.last().filter(|s| s.rtype == RType::DNAME) else { return false };
    let Ok(target) = Name::from_wire(&d.rdatas[0]) else { return false };
    // The name the DNAME was applied to: the question or the previous CNAME's target.
    let covered = match chain.len() {
        1 => Some(qname.clone()),
        n => chain[n - 2].rdatas.first().and_then(|rd| Name::from_wire(rd).ok()),
    };
    covered.is_some_and(|c| c.is_subdomain_of(&d.owner) && c.replace_suffix(&d.owner, &target).is_err())
}

/// Keeps the answer RRsets that belong to the chain starting at `qname` (RFC 2181
/// §5.4.1: data that does not answer the question is not trusted), in chain order.
pub fn scrub_chain(sets: &[RRset], qname: &Name, qtype: RType, zone: &Name) -> Vec<RRset> {
    let mut out: Vec<RRset> = Vec::new();
    let mut cur = qname.clone();
    for _ in 0..crate::resolve::MAX_CHAIN {
        if !within(&cur, zone) {
            break;
        }
        // DNAME at an ancestor of the current name (RFC 6672 §3.2).
        if let Some(d) =
            sets.iter().find(|s| s.rtype == RType::DNAME && cur != s.owner && cur.is_subdomain_of(&s.owner) && within(&s.owner, zone))
        {
            if !out.contains(d) {
                out.push(d.clone());
            }
            let Ok(target) = Name::from_wire(&d.rdatas[0]) else { break };
            let Ok(next) = cur.replace_suffix(&d.owner, &target) else { break };
            if let Some(c) = sets.iter().find(|s| s.rtype == RType::CNAME && s.owner == cur) {
                out.push(c.clone());
            } else {
                // Synthesize the CNAME the server should have sent (RFC 6672 §3.4).
                out.push(RRset::new(cur.clone(), RType::CNAME, d.ttl, vec![next.wire().into()]));
            }
            cur = next;
            continue;
        }
        if let Some(s) = sets.iter().find(|s| s.owner == cur && (s.rtype == qtype || qtype == RType::ANY) && s.rtype != RType::CNAME) {
            out.push(s.clone());
            if qtype == RType::ANY {
                out.extend(sets.iter().filter(|x| x.owner == cur && x.rtype != s.rtype && x.rtype != RType::CNAME).cloned());
            }
            break;
        }
        if qtype == RType::CNAME {
            if let Some(s) = sets.iter().find(|s| s.owner == cur && s.rtype == RType::CNAME) {
                out.push(s.clone());
            }
            break;
        }
        match sets.iter().find(|s| s.owner == cur && s.rtype == RType::CNAME) {
            Some(c) => {
                out.push(c.clone());
                match Name::from_wire(&c.rdatas[0]) {
                    Ok(t) if !out.iter().any(|x| x.owner == t && x.rtype == RType::CNAME) => cur = t,
                    _ => break,
                }
            }
            None => break,
        }
    }
    out
}

/// Classifies `msg`, the reply to `qname`/`qtype` from a server of `zone`. `forwarder`
/// relaxes the AA and bailiwick rules for answers from a recursive forwarder (its
/// data is validated like any other).
pub fn classify(msg: &Message, zone: &Name, qname: &Name, qtype: RType, forwarder: bool) -> Response {
    let rc = msg.rcode();
    let aa = msg.header.has(flags::AA);
    let scope = if forwarder { Name::root() } else { zone.clone() };
    let answers = group(&msg.answers);
    let all_authority = group(&msg.authority);
    // NS for a name above or beside the zone asked: an upward referral, the mark of a
    // lame server whatever its AA flag says.
    let upward_referral = all_authority.iter().any(|s| s.rtype == RType::NS && !within(&s.owner, &scope));
    let authority: Vec<RRset> = all_authority.into_iter().filter(|s| within(&s.owner, &scope)).collect();
    let chain = scrub_chain(&answers, qname, qtype, &scope);
    if rc == rcode::YXDOMAIN && dname_overflows(&chain, qname) {
        // RFC 6672 §2.2: the server could not substitute; the DNAME it sent is the answer.
        return Response::Answer { answer: chain, authority: Vec::new(), nxdomain: false, yxdomain: true, aa };
    }
    if rc != rcode::NOERROR && rc != rcode::NXDOMAIN {
        return Response::Lame(Lameness::Rcode(rc));
    }
    // The zone's own NS RRset (at the zone asked) rides along: RFC 2308 §2.1-2.2 type 2
    // negative responses carry it beside the SOA; the caller keeps it only for
    // non-minimal responses.
    let negative_auth: Vec<RRset> = authority
        .iter()
        .filter(|s| matches!(s.rtype, RType::SOA | RType::NSEC | RType::NSEC3 | RType::RRSIG) || (s.rtype == RType::NS && s.owner == *zone))
        .cloned()
        .collect();
    if !chain.is_empty() {
        // Wildcard answers carry NSEC/NSEC3 proofs in authority (RFC 4035 §3.1.3.3).
        return Response::Answer { answer: chain, authority: negative_auth, nxdomain: rc == rcode::NXDOMAIN, yxdomain: false, aa };
    }
    if rc == rcode::NXDOMAIN {
        return Response::NxDomain { authority: negative_auth };
    }
    // A referral: NS for a zone below the one asked, at or above the query name.
    if let Some(ns) = authority.iter().find(|s| s.rtype == RType::NS) {
        let is_down = ns.owner != *zone && within(&ns.owner, zone) && within(qname, &ns.owner);
        if is_down {
            let child = ns.owner.clone();
            let (glue, foreign_glue): (Vec<RRset>, Vec<RRset>) = group(&msg.additional)
                .into_iter()
                .filter(|s| {
                    matches!(s.rtype, RType::A | RType::AAAA) && ns.rdatas.iter().any(|t| Name::from_wire(t).is_ok_and(|t| t == s.owner))
                })
                .partition(|s| within(&s.owner, &scope));
            let security = authority
                .iter()
                .filter(|s| (s.rtype == RType::DS && s.owner == child) || matches!(s.rtype, RType::NSEC | RType::NSEC3))
                .cloned()
                .collect();
            return Response::Referral { child, ns: ns.clone(), glue, foreign_glue, security };
        }
        if !aa && !authority.iter().any(|s| s.rtype == RType::SOA) {
            return Response::Lame(Lameness::BadReferral);
        }
    }
    let has_soa = authority.iter().any(|s| s.rtype == RType::SOA);
    if upward_referral && !has_soa {
        return Response::Lame(Lameness::BadReferral);
    }
    // Data at the name but none of the type asked (nor a CNAME) also says the server
    // holds the name: NODATA, the unasked records ignored (RFC 2181 §5.4.1 ranks).
    let other_data_at_name = answers.iter().any(|s| s.owner == *qname && within(&s.owner, &scope));
    if authority.iter().any(|s| s.rtype == RType::SOA) || aa || forwarder || other_data_at_name {
        return Response::NoData { authority: negative_auth };
    }
    Response::Lame(Lameness::Empty)
}

/// The name to ask next under RFC 9156 §3: one label below what is known, or the full
/// name once there.
pub fn minimised(qname: &Name, known_labels: usize) -> Option<Name> {
    let n = qname.label_count();
    (known_labels < n).then(|| qname.suffix(known_labels))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tern_shared::wire::Record;

    fn rec(owner: &str, t: RType, rdata: &[u8]) -> Record {
        Record::new(owner.parse().unwrap(), t, 300, rdata.to_vec())
    }

    fn n(s: &str) -> Name {
        s.parse().unwrap()
    }

    #[test]
    fn out_of_bailiwick_answers_are_dropped() {
        let sets = group(&[
            rec("www.example.", RType::CNAME, n("target.example.").wire()),
            rec("target.example.", RType::A, &[192, 0, 2, 1]),
            rec("www.victim.", RType::A, &[6, 6, 6, 6]),
        ]);
        let chain = scrub_chain(&sets, &n("www.example."), RType::A, &n("example."));
        assert_eq!(chain.len(), 2);
        assert!(chain.iter().all(|s| s.owner.is_subdomain_of(&n("example."))));
        // A chain leaving the zone asked stops there: the rest must come from its own zone.
        let sets = group(&[rec("www.example.", RType::CNAME, n("www.victim.").wire()), rec("www.victim.", RType::A, &[6, 6, 6, 6])]);
        let chain = scrub_chain(&sets, &n("www.example."), RType::A, &n("example."));
        assert_eq!(chain.len(), 1);
    }

    #[test]
    fn dname_without_cname_is_synthesized() {
        let sets = group(&[rec("dn.example.", RType::DNAME, n("other.").wire())]);
        let chain = scrub_chain(&sets, &n("www.dn.example."), RType::A, &n("."));
        assert_eq!(chain.len(), 2);
        assert_eq!(chain[1].rtype, RType::CNAME);
        assert_eq!(&chain[1].rdatas[0][..], n("www.other.").wire());
    }

    #[test]
    fn yxdomain_with_an_overflowing_dname_is_an_answer() {
        // RFC 6672 §2.2: "too.long." under a DNAME to a 250-octet target cannot be
        // substituted; the server says YXDOMAIN and sends the DNAME. The target is 253
        // octets, as in Deckard's iter_dname_insec.
        let (l63, l59) = ("x".repeat(63), "x".repeat(59));
        let target: Name = format!("{l63}.{l63}.{l63}.{l59}.").parse().unwrap();
        let dname = rec("long.", RType::DNAME, target.wire());
        let mut msg = Message { answers: vec![dname.clone()], ..Default::default() };
        msg.header.flags = flags::QR | flags::AA | rcode::YXDOMAIN;
        match classify(&msg, &n("long."), &n("too.long."), RType::A, false) {
            Response::Answer { answer, yxdomain: true, .. } => assert_eq!(answer.len(), 1),
            other => panic!("{other:?}"),
        }
        // A name the DNAME can take (255 octets after substitution) is no YXDOMAIN.
        assert!(!dname_overflows(&group(std::slice::from_ref(&dname)), &n("a.long.")));
        assert!(matches!(classify(&msg, &n("long."), &n("a.long."), RType::A, false), Response::Lame(Lameness::Rcode(6))));
    }

    #[test]
    fn minimisation_adds_one_label_at_a_time() {
        let q = n("a.b.c.example.");
        assert_eq!(minimised(&q, 2), Some(n("c.example.")));
        assert_eq!(minimised(&q, 4), None);
    }
}
