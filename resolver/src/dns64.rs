//! DNS64 (RFC 6147): AAAA records synthesised from A records for IPv6-only clients
//! behind a NAT64, with the IPv4 address embedded in a configured prefix by the
//! algorithm of RFC 6052 §2.2.
//!
//! Synthesis happens after resolution and validation, on the way to the reply, and only
//! when the AAAA question ends in NODATA (RFC 6147 §5.1.1; NXDOMAIN is returned as it
//! is, §5.1.2) or every AAAA record found lies in an excluded range (§5.1.4, by default
//! `::ffff:0:0/96`). A client that sets both CD and DO does its own validation and gets
//! no synthesis (§5.5). Synthesised records are never marked authentic (no AD): they
//! exist in no signed zone.
//!
//! Only the clients in `clients` (all when empty) get it: the IPv6-only hosts behind the
//! NAT64. The server keeps their AAAA and PTR answers apart from other clients' in the
//! packet cache.

use crate::cache::{Answer, AnswerKind};
use crate::rrset::RRset;
use crate::validator::{InsecureReason, Security};
use ipnet::Ipv6Net;
use std::net::{Ipv4Addr, Ipv6Addr};
use tern_shared::wire::{rcode, Name, RType};

/// The TTL used when the negative AAAA answer carried no SOA (RFC 6147 §5.1.7).
pub const DEFAULT_NEGATIVE_TTL: u32 = 600;

/// A DNS64 configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dns64 {
    /// The NAT64 prefix; its length is one of 32, 40, 48, 56, 64 or 96 (RFC 6052 §2.2).
    pub prefix: Ipv6Net,
    /// AAAA records in these ranges count as absent (RFC 6147 §5.1.4).
    pub exclude: Vec<Ipv6Net>,
    /// The clients DNS64 is for (RFC 6147 §5.1: the DNS64 serves the IPv6-only hosts
    /// behind the NAT64; others get answers as they are); empty: every client.
    pub clients: Vec<ipnet::IpNet>,
}

/// Prefix lengths RFC 6052 §2.2 defines.
pub const PREFIX_LENGTHS: [u8; 6] = [32, 40, 48, 56, 64, 96];

/// Embeds `v4` in `prefix` (RFC 6052 §2.2): the 32 bits follow the prefix, skipping
/// bits 64-71 (the "u" octet, always zero); any bits after them are zero.
pub fn embed(prefix: &Ipv6Net, v4: Ipv4Addr) -> Ipv6Addr {
    let mut o = prefix.trunc().addr().octets();
    let start = prefix.prefix_len() as usize / 8;
    let mut pos = start;
    for b in v4.octets() {
        if pos == 8 {
            pos += 1;
        }
        o[pos] = b;
        pos += 1;
    }
    for x in o.iter_mut().skip(pos) {
        *x = 0;
    }
    if start <= 8 {
        o[8] = 0;
    }
    Ipv6Addr::from(o)
}

/// The IPv4 address embedded in `addr` under `prefix` (RFC 6052 §2.2, the inverse of
/// [`embed`]), if `addr` is inside the prefix.
pub fn extract(prefix: &Ipv6Net, addr: Ipv6Addr) -> Option<Ipv4Addr> {
    if !prefix.contains(&addr) {
        return None;
    }
    let o = addr.octets();
    let mut pos = prefix.prefix_len() as usize / 8;
    let mut v4 = [0u8; 4];
    for b in v4.iter_mut() {
        if pos == 8 {
            pos += 1;
        }
        *b = o[pos];
        pos += 1;
    }
    Some(Ipv4Addr::from(v4))
}

/// The IPv6 address a full-length ip6.arpa name stands for (RFC 3596 §2.5: 32 nibble
/// labels, lowest first).
fn ip6_arpa_addr(name: &Name) -> Option<Ipv6Addr> {
    let labels: Vec<&[u8]> = name.labels().collect();
    if labels.len() != 34 || !labels[32].eq_ignore_ascii_case(b"ip6") || !labels[33].eq_ignore_ascii_case(b"arpa") {
        return None;
    }
    let mut v: u128 = 0;
    for l in labels[..32].iter().rev() {
        let [c] = l else { return None };
        v = (v << 4) | u128::from((*c as char).to_digit(16)?);
    }
    Some(Ipv6Addr::from(v))
}

/// A PTR answer for a synthesised address: a CNAME from `qname` (under ip6.arpa) to
/// `target` (its IPv4 in-addr.arpa name) ahead of `ans`, the answer for `target`
/// (RFC 6147 §5.3.1), with TTLs as of `now`. A failure stays a failure.
pub fn reverse_answer(qname: &Name, target: &Name, ans: &Answer, now: u64) -> Answer {
    if ans.kind == AnswerKind::Failure || ans.security.is_bogus() {
        return ans.clone();
    }
    let age = now.saturating_sub(ans.stored) as u32;
    let left = ans.expires.saturating_sub(now) as u32;
    let aged = |sets: &[RRset]| -> Vec<RRset> {
        sets.iter()
            .map(|s| {
                let mut s = s.clone();
                s.ttl = s.ttl.saturating_sub(age).min(left);
                s
            })
            .collect()
    };
    let cname_ttl = left.min(DEFAULT_NEGATIVE_TTL);
    let mut answer = vec![RRset::new(qname.clone(), RType::CNAME, cname_ttl, vec![target.wire().into()])];
    answer.extend(aged(&ans.answer));
    Answer {
        kind: ans.kind,
        rcode: ans.rcode,
        answer,
        authority: aged(&ans.authority),
        security: Security::Insecure(InsecureReason::Synthesized),
        ede: None,
        stored: now,
        expires: now + u64::from(left),
        stale_until: 0,
    }
}

impl Dns64 {
    /// Whether `client` gets DNS64 (is inside `clients`, or `clients` is empty).
    pub fn serves(&self, client: std::net::IpAddr) -> bool {
        self.clients.is_empty() || tern_shared::config::ip_allowed(&self.clients, client)
    }

    /// RFC 6147 §5.3.1: for a question about a whole address inside the prefix under
    /// ip6.arpa, the in-addr.arpa name of the IPv4 address it embeds.
    pub fn reverse_target(&self, qname: &Name) -> Option<Name> {
        let v4 = extract(&self.prefix, ip6_arpa_addr(qname)?)?;
        Some(crate::policy::reverse_name(std::net::IpAddr::V4(v4)))
    }

    /// Whether the AAAA answer `a` calls for synthesis (RFC 6147 §5.1.1, §5.1.2, §5.1.4).
    pub fn wants(&self, a: &Answer) -> bool {
        if a.security.is_bogus() {
            return false;
        }
        match a.kind {
            AnswerKind::NoData => true,
            AnswerKind::Positive => {
                let mut aaaa = a.answer.iter().filter(|s| s.rtype == RType::AAAA).peekable();
                aaaa.peek().is_some() && aaaa.all(|s| s.rdatas.iter().all(|rd| self.excluded(rd)))
            }
            AnswerKind::NxDomain | AnswerKind::Failure | AnswerKind::YxDomain => false,
        }
    }

    fn excluded(&self, rd: &[u8]) -> bool {
        <[u8; 16]>::try_from(rd).is_ok_and(|o| self.exclude.iter().any(|n| n.contains(&Ipv6Addr::from(o))))
    }

    /// The name whose A records are wanted: where the AAAA answer's CNAME chain ends.
    pub fn target(&self, qname: &Name, aaaa: &Answer) -> Name {
        let mut name = qname.clone();
        // The chain is in order in the answer section; follow it from the question.
        for _ in 0..aaaa.answer.len() {
            let next = aaaa.answer.iter().find(|s| s.rtype == RType::CNAME && s.owner == name).and_then(|s| s.rdatas.first());
            match next.and_then(|rd| Name::from_wire(rd).ok()) {
                Some(n) => name = n,
                None => break,
            }
        }
        name
    }

    /// The synthesised answer from the AAAA answer and the target's A answer, at `now`,
    /// or `None` when the A answer gives nothing to synthesise from (then the AAAA
    /// answer stands).
    pub fn synthesize(&self, aaaa: &Answer, four: &Answer, now: u64) -> Option<Answer> {
        if four.kind != AnswerKind::Positive || four.security.is_bogus() {
            return None;
        }
        // §5.1.7: the TTL is the smaller of the A record's and the negative answer's
        // (the SOA's, or 600 s without one).
        let neg = if aaaa.kind == AnswerKind::NoData {
            if aaaa.authority.iter().any(|s| s.rtype == RType::SOA) {
                aaaa.expires.saturating_sub(now) as u32
            } else {
                DEFAULT_NEGATIVE_TTL
            }
        } else {
            u32::MAX
        };
        let age = |a: &Answer| now.saturating_sub(a.stored) as u32;
        let left = |a: &Answer, ttl: u32| ttl.saturating_sub(age(a)).min(a.expires.saturating_sub(now) as u32);
        let mut answer: Vec<RRset> = Vec::new();
        for s in aaaa.answer.iter().filter(|s| s.rtype != RType::AAAA) {
            let mut s = s.clone();
            s.ttl = left(aaaa, s.ttl);
            answer.push(s);
        }
        let mut made = false;
        for s in &four.answer {
            match s.rtype {
                RType::A => {
                    let rdatas = s
                        .rdatas
                        .iter()
                        .filter_map(|rd| <[u8; 4]>::try_from(&rd[..]).ok())
                        .map(|o| embed(&self.prefix, Ipv4Addr::from(o)).octets().to_vec().into_boxed_slice())
                        .collect::<Vec<_>>();
                    if rdatas.is_empty() {
                        continue;
                    }
                    answer.push(RRset::new(s.owner.clone(), RType::AAAA, left(four, s.ttl).min(neg), rdatas));
                    made = true;
                }
                RType::CNAME | RType::DNAME => {
                    let mut s = s.clone();
                    s.ttl = left(four, s.ttl);
                    s.sigs.clear();
                    answer.push(s);
                }
                _ => {}
            }
        }
        if !made {
            return None;
        }
        let ttl = answer.iter().map(|s| s.ttl).min().unwrap_or(0);
        Some(Answer {
            kind: AnswerKind::Positive,
            rcode: rcode::NOERROR,
            answer,
            authority: Vec::new(),
            security: Security::Insecure(InsecureReason::Synthesized),
            ede: None,
            stored: now,
            expires: now + ttl as u64,
            stale_until: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6052 §2.4: 192.0.2.33 under each prefix length.
    #[test]
    fn embedding_matches_rfc6052_section_2_4_examples() {
        let cases = [
            ("2001:db8::/32", "2001:db8:c000:221::"),
            ("2001:db8:100::/40", "2001:db8:1c0:2:21::"),
            ("2001:db8:122::/48", "2001:db8:122:c000:2:2100::"),
            ("2001:db8:122:300::/56", "2001:db8:122:3c0:0:221::"),
            ("2001:db8:122:344::/64", "2001:db8:122:344:c0:2:2100:0"),
            ("2001:db8:122:344::/96", "2001:db8:122:344::192.0.2.33"),
            ("64:ff9b::/96", "64:ff9b::192.0.2.33"),
        ];
        for (p, want) in cases {
            let got = embed(&p.parse().unwrap(), "192.0.2.33".parse().unwrap());
            assert_eq!(got, want.parse::<Ipv6Addr>().unwrap(), "{p}");
        }
    }

    #[test]
    fn extraction_inverts_embedding_and_reverse_names_map_to_in_addr_arpa() {
        for p in
            ["2001:db8::/32", "2001:db8:100::/40", "2001:db8:122::/48", "2001:db8:122:300::/56", "2001:db8:122:344::/64", "64:ff9b::/96"]
        {
            let prefix: Ipv6Net = p.parse().unwrap();
            let v4: Ipv4Addr = "192.0.2.33".parse().unwrap();
            assert_eq!(extract(&prefix, embed(&prefix, v4)), Some(v4), "{p}");
        }
        let d = Dns64 { prefix: "64:ff9b::/96".parse().unwrap(), exclude: Vec::new(), clients: Vec::new() };
        let q = crate::policy::reverse_name("64:ff9b::c000:221".parse().unwrap());
        assert_eq!(d.reverse_target(&q), Some(n("33.2.0.192.in-addr.arpa.")));
        let outside = crate::policy::reverse_name("2001:db8::1".parse().unwrap());
        assert_eq!(d.reverse_target(&outside), None);
        assert_eq!(d.reverse_target(&n("b.9.f.f.4.6.0.0.ip6.arpa.")), None, "not a whole address");
    }

    #[test]
    fn reverse_answers_lead_with_the_cname_and_keep_failures() {
        let q = n("1.0.2.0.0.0.0.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.b.9.f.f.4.6.0.0.ip6.arpa.");
        let t = n("1.2.0.192.in-addr.arpa.");
        let ptr = RRset::new(t.clone(), RType::PTR, 3600, vec![n("host.example.").wire().into()]);
        let r = reverse_answer(&q, &t, &answer(AnswerKind::Positive, vec![ptr], vec![], 3600), 1100);
        assert_eq!(r.answer.iter().map(|s| s.rtype).collect::<Vec<_>>(), vec![RType::CNAME, RType::PTR]);
        assert_eq!(r.answer[0].owner, q);
        assert_eq!(r.answer[1].ttl, 3500, "aged by the 100 s since it was stored");
        assert!(!r.security.is_secure());
        let failed = answer(AnswerKind::Failure, vec![], vec![], 60);
        assert_eq!(reverse_answer(&q, &t, &failed, 1000).kind, AnswerKind::Failure);
    }

    fn answer(kind: AnswerKind, sets: Vec<RRset>, authority: Vec<RRset>, ttl: u64) -> Answer {
        Answer {
            kind,
            rcode: rcode::NOERROR,
            answer: sets,
            authority,
            security: Security::Insecure(InsecureReason::NoTrustAnchor),
            ede: None,
            stored: 1000,
            expires: 1000 + ttl,
            stale_until: 0,
        }
    }

    fn n(s: &str) -> Name {
        Name::parse(s, None).unwrap()
    }

    #[test]
    fn nodata_aaaa_is_synthesised_through_a_cname_with_the_smaller_ttl() {
        let d = Dns64 { prefix: "64:ff9b::/96".parse().unwrap(), exclude: vec!["::ffff:0:0/96".parse().unwrap()], clients: Vec::new() };
        let soa = RRset::new(n("example."), RType::SOA, 60, vec![vec![0u8; 22].into()]);
        let cname = RRset::new(n("alias.example."), RType::CNAME, 300, vec![n("www.example.").wire().into()]);
        let aaaa = answer(AnswerKind::NoData, vec![cname.clone()], vec![soa], 60);
        assert!(d.wants(&aaaa));
        assert_eq!(d.target(&n("alias.example."), &aaaa), n("www.example."));
        let a = RRset::new(n("www.example."), RType::A, 3600, vec![vec![192, 0, 2, 1].into(), vec![192, 0, 2, 2].into()]);
        let four = answer(AnswerKind::Positive, vec![a], vec![], 3600);
        let s = d.synthesize(&aaaa, &four, 1010).unwrap();
        assert_eq!(s.answer.len(), 2);
        assert_eq!(s.answer[0].rtype, RType::CNAME);
        let syn = &s.answer[1];
        assert_eq!(syn.rtype, RType::AAAA);
        assert_eq!(syn.ttl, 50, "min(A TTL, negative TTL), both aged");
        assert_eq!(&syn.rdatas[1][..], &"64:ff9b::192.0.2.2".parse::<Ipv6Addr>().unwrap().octets());
        assert!(!s.security.is_secure());
    }

    #[test]
    fn real_aaaa_nxdomain_and_failures_are_left_alone() {
        let d = Dns64 { prefix: "64:ff9b::/96".parse().unwrap(), exclude: vec!["::ffff:0:0/96".parse().unwrap()], clients: Vec::new() };
        let real = RRset::new(n("www.example."), RType::AAAA, 60, vec![Ipv6Addr::LOCALHOST.octets().to_vec().into()]);
        assert!(!d.wants(&answer(AnswerKind::Positive, vec![real], vec![], 60)));
        let mapped = "::ffff:192.0.2.1".parse::<Ipv6Addr>().unwrap();
        let only_mapped = RRset::new(n("www.example."), RType::AAAA, 60, vec![mapped.octets().to_vec().into()]);
        assert!(d.wants(&answer(AnswerKind::Positive, vec![only_mapped], vec![], 60)), "RFC 6147 §5.1.4 excluded range");
        assert!(!d.wants(&answer(AnswerKind::NxDomain, vec![], vec![], 60)));
        assert!(!d.wants(&answer(AnswerKind::Failure, vec![], vec![], 60)));
        let aaaa = answer(AnswerKind::NoData, vec![], vec![], 60);
        assert!(d.synthesize(&aaaa, &answer(AnswerKind::NoData, vec![], vec![], 60), 1000).is_none());
    }
}
