//! tern-auth answers over real sockets (RFC 1034 §4.3.2, RFC 2308, RFC 4592, RFC 6672,
//! RFC 8482, RFC 6891, RFC 7766), each shape checked unsigned, signed with NSEC and
//! signed with NSEC3 (RFC 4035 §3.1, RFC 5155 §7.2).

use std::time::Duration;
use tern_shared::wire::{flags, rcode, RType};
use tern_tests::*;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Setup {
    Unsigned,
    Nsec,
    Nsec3,
}

const ALL: [Setup; 3] = [Setup::Unsigned, Setup::Nsec, Setup::Nsec3];

struct Running {
    _dir: tempfile::TempDir,
    auth: Auth,
}

fn start(setup: Setup) -> Running {
    let dir = scratch();
    let zone = dir.path().join("example.com.zone");
    std::fs::copy(fixtures().join("example.com.zone"), &zone).unwrap();
    let data = dir.path().join("auth-data");
    let data_s = data.display().to_string();
    match setup {
        Setup::Unsigned => {}
        Setup::Nsec => {
            let (ok, _, err) = run_auth(&["zone", "secure", "example.com.", "--data-dir", &data_s]);
            assert!(ok, "{err}");
        }
        Setup::Nsec3 => {
            let (ok, _, err) = run_auth(&["zone", "secure", "example.com.", "--nsec3", "--data-dir", &data_s]);
            assert!(ok, "{err}");
        }
    }
    let auth = start_auth(dir.path(), &[("example.com.", &zone)], &["--allow-transfer", "127.0.0.0/8"]);
    Running { _dir: dir, auth }
}

fn q(setup: Setup) -> Q {
    if setup == Setup::Unsigned {
        Q::default()
    } else {
        Q::dnssec()
    }
}

fn count(r: &tern_shared::wire::Message, section: u8, t: RType) -> usize {
    let recs = match section {
        0 => &r.answers,
        1 => &r.authority,
        _ => &r.additional,
    };
    recs.iter().filter(|x| x.rtype == t).count()
}

fn sigs_cover(recs: &[tern_shared::wire::Record], t: RType) -> bool {
    recs.iter().any(|r| r.rrsig_covered() == Some(t))
}

#[test]
fn positive_answer_is_authoritative_and_signed_when_asked() {
    for s in ALL {
        let r = start(s);
        let resp = query(r.auth.addr, "www.example.com.", RType::A, q(s));
        assert_eq!(resp.rcode(), rcode::NOERROR, "{s:?} {}", resp.summary());
        assert!(resp.flag(flags::AA), "{s:?}");
        assert_eq!(resp.answers(RType::A), vec!["192.0.2.3"]);
        assert_eq!(sigs_cover(&resp.msg.answers, RType::A), s != Setup::Unsigned, "{s:?} {}", resp.summary());
        // Without DO, no DNSSEC records even from a signed zone (RFC 4035 §3.1).
        let plain = query(r.auth.addr, "www.example.com.", RType::A, Q::default());
        assert_eq!(count(&plain.msg, 0, RType::RRSIG), 0);
    }
}

#[test]
fn question_case_is_echoed() {
    let r = start(Setup::Unsigned);
    let resp = query(r.auth.addr, "WwW.ExAmPlE.CoM.", RType::A, Q::default());
    assert_eq!(resp.msg.questions[0].name.wire(), b"\x03WwW\x07ExAmPlE\x03CoM\x00");
    assert_eq!(resp.msg.answers[0].owner.wire(), b"\x03WwW\x07ExAmPlE\x03CoM\x00", "answer owner echoes the question (RFC 4343 §4.1)");
}

#[test]
fn referral_has_ns_and_glue_and_no_aa() {
    for s in ALL {
        let r = start(s);
        let resp = query(r.auth.addr, "host.sub.example.com.", RType::A, q(s));
        assert_eq!(resp.rcode(), rcode::NOERROR);
        assert!(!resp.flag(flags::AA), "referrals are not authoritative: {}", resp.summary());
        assert!(resp.msg.answers.is_empty());
        assert_eq!(count(&resp.msg, 1, RType::NS), 1, "{}", resp.summary());
        assert!(resp.msg.additional.iter().any(|x| x.rtype == RType::A && x.rdata_text() == "192.0.2.53"), "glue: {}", resp.summary());
        if s != Setup::Unsigned {
            // No DS at sub: the referral proves its absence (RFC 4035 §3.1.4.1).
            let proof = if s == Setup::Nsec { RType::NSEC } else { RType::NSEC3 };
            assert!(count(&resp.msg, 1, proof) >= 1, "{s:?} no-DS proof: {}", resp.summary());
            assert!(!sigs_cover(&resp.msg.authority, RType::NS), "delegation NS is not signed");
            // Glue is never signed.
            assert_eq!(count(&resp.msg, 2, RType::RRSIG), 0);
        }
    }
}

#[test]
fn ds_at_delegation_comes_from_the_parent_side() {
    for s in [Setup::Nsec, Setup::Nsec3] {
        let r = start(s);
        let referral = query(r.auth.addr, "www.secure.example.com.", RType::A, Q::dnssec());
        assert_eq!(count(&referral.msg, 1, RType::DS), 1, "{}", referral.summary());
        assert!(sigs_cover(&referral.msg.authority, RType::DS));
        let ds = query(r.auth.addr, "secure.example.com.", RType::DS, Q::dnssec());
        assert!(ds.flag(flags::AA), "DS is authoritative parent-side data: {}", ds.summary());
        assert_eq!(ds.answers(RType::DS).len(), 1);
        assert!(sigs_cover(&ds.msg.answers, RType::DS));
        // DS query at an unsigned delegation: NODATA with proof, from the parent.
        let nods = query(r.auth.addr, "sub.example.com.", RType::DS, Q::dnssec());
        assert_eq!(nods.rcode(), rcode::NOERROR);
        assert!(nods.flag(flags::AA) && nods.msg.answers.is_empty(), "{}", nods.summary());
        assert_eq!(count(&nods.msg, 1, RType::SOA), 1);
    }
}

#[test]
fn wildcard_synthesizes_the_query_name_with_proof() {
    for s in ALL {
        let r = start(s);
        let resp = query(r.auth.addr, "anything.wild.example.com.", RType::A, q(s));
        assert_eq!(resp.rcode(), rcode::NOERROR);
        assert!(resp.flag(flags::AA));
        assert_eq!(resp.msg.answers[0].owner.to_string(), "anything.wild.example.com.");
        assert_eq!(resp.answers(RType::A), vec!["192.0.2.42"]);
        if s != Setup::Unsigned {
            let sig = resp.msg.answers.iter().find(|x| x.rtype == RType::RRSIG).expect("RRSIG");
            // RFC 4035 §5.3.2: the labels field counts the wildcard's labels (*.wild.example.com. = 3).
            assert_eq!(sig.rdata[3], 3, "labels field of a wildcard RRSIG");
            let proof = if s == Setup::Nsec { RType::NSEC } else { RType::NSEC3 };
            assert!(count(&resp.msg, 1, proof) >= 1, "no-closer-match proof (RFC 4035 §3.1.3.3): {}", resp.summary());
        }
        // Wildcard NODATA.
        let nodata = query(r.auth.addr, "anything.wild.example.com.", RType::MX, q(s));
        assert_eq!(nodata.rcode(), rcode::NOERROR);
        assert!(nodata.msg.answers.is_empty());
        assert_eq!(count(&nodata.msg, 1, RType::SOA), 1);
        if s == Setup::Nsec3 {
            // Closest encloser, next closer, wildcard (RFC 5155 §7.2.5).
            assert!(count(&nodata.msg, 1, RType::NSEC3) >= 2, "{}", nodata.summary());
        }
    }
}

#[test]
fn cname_chain_is_followed_inside_the_zone() {
    for s in ALL {
        let r = start(s);
        let resp = query(r.auth.addr, "chain.example.com.", RType::A, q(s));
        assert_eq!(resp.rcode(), rcode::NOERROR);
        assert!(resp.flag(flags::AA));
        let shape: Vec<String> =
            resp.msg.answers.iter().filter(|x| x.rtype != RType::RRSIG).map(|x| format!("{} {}", x.rtype, x.rdata_text())).collect();
        assert_eq!(shape, vec!["CNAME alias.example.com.", "CNAME www.example.com.", "A 192.0.2.3"]);
        // A CNAME leaving the zone stops there.
        let out = query(r.auth.addr, "out.example.com.", RType::A, q(s));
        assert_eq!(out.answers(RType::CNAME), vec!["www.example.net."]);
        assert_eq!(out.answers(RType::A).len(), 0);
        // Asking for the CNAME itself returns it.
        let c = query(r.auth.addr, "alias.example.com.", RType::CNAME, q(s));
        assert_eq!(c.answers(RType::CNAME), vec!["www.example.com."]);
    }
}

#[test]
fn dname_synthesizes_a_cname() {
    for s in ALL {
        let r = start(s);
        let resp = query(r.auth.addr, "www.dn.example.com.", RType::A, q(s));
        assert_eq!(resp.rcode(), rcode::NOERROR);
        assert_eq!(resp.answers(RType::DNAME), vec!["example.net."]);
        let cname = resp.msg.answers.iter().find(|x| x.rtype == RType::CNAME).expect("synthesized CNAME (RFC 6672 §3.1)");
        assert_eq!(cname.owner.to_string(), "www.dn.example.com.");
        assert_eq!(cname.rdata_text(), "www.example.net.");
        if s != Setup::Unsigned {
            assert!(sigs_cover(&resp.msg.answers, RType::DNAME));
            assert!(!sigs_cover(&resp.msg.answers, RType::CNAME), "the synthesized CNAME is unsigned (RFC 6672 §5.3.1)");
        }
    }
}

#[test]
fn nxdomain_carries_soa_with_negative_ttl_and_proof() {
    for s in ALL {
        let r = start(s);
        let resp = query(r.auth.addr, "nope.example.com.", RType::A, q(s));
        assert_eq!(resp.rcode(), rcode::NXDOMAIN);
        assert!(resp.flag(flags::AA));
        let soa = resp.msg.authority.iter().find(|x| x.rtype == RType::SOA).expect("SOA");
        assert_eq!(soa.ttl, 300, "min(SOA TTL, SOA minimum) (RFC 2308 §5)");
        match s {
            Setup::Unsigned => assert_eq!(resp.msg.authority.len(), 1),
            Setup::Nsec => {
                assert!((1..=2).contains(&count(&resp.msg, 1, RType::NSEC)), "{}", resp.summary());
                assert!(sigs_cover(&resp.msg.authority, RType::NSEC) && sigs_cover(&resp.msg.authority, RType::SOA));
            }
            Setup::Nsec3 => {
                // Closest encloser + next closer + wildcard (RFC 5155 §7.2.2), some may coincide.
                assert!((2..=3).contains(&count(&resp.msg, 1, RType::NSEC3)), "{}", resp.summary());
                assert!(sigs_cover(&resp.msg.authority, RType::NSEC3));
            }
        }
    }
}

#[test]
fn nodata_and_empty_non_terminals_carry_soa() {
    for s in ALL {
        let r = start(s);
        for (name, t) in [("www.example.com.", RType::MX), ("b.c.example.com.", RType::A), ("c.example.com.", RType::TXT)] {
            let resp = query(r.auth.addr, name, t, q(s));
            assert_eq!(resp.rcode(), rcode::NOERROR, "{name} {t}");
            assert!(resp.flag(flags::AA));
            assert!(resp.msg.answers.is_empty(), "{name}: {}", resp.summary());
            assert_eq!(count(&resp.msg, 1, RType::SOA), 1);
            if s != Setup::Unsigned {
                let proof = if s == Setup::Nsec { RType::NSEC } else { RType::NSEC3 };
                assert!(count(&resp.msg, 1, proof) >= 1, "{s:?} {name}: {}", resp.summary());
            }
        }
    }
}

#[test]
fn any_is_answered_with_one_rrset() {
    for s in ALL {
        let r = start(s);
        let resp = query(r.auth.addr, "www.example.com.", RType::ANY, q(s));
        assert_eq!(resp.rcode(), rcode::NOERROR);
        let types: std::collections::BTreeSet<RType> = resp.msg.answers.iter().map(|x| x.set_type()).collect();
        assert_eq!(types.len(), 1, "RFC 8482 §4.1: one RRset: {}", resp.summary());
    }
}

#[test]
fn every_common_type_is_served() {
    let r = start(Setup::Nsec);
    let cases = [
        ("svc.example.com.", RType::SRV, "0 5 5060 sip.example.com."),
        ("_443._tcp.www.example.com.", RType::TLSA, "3 1 1 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"),
        ("caa.example.com.", RType::CAA, "0 issue \"ca.example.net\""),
        ("https.example.com.", RType::HTTPS, "1 . alpn=\"h2,h3\" port=443"),
        ("unknown.example.com.", RType(65280), "\\# 4 0A000001"),
        ("example.com.", RType::MX, "10 mail.example.com."),
    ];
    for (name, t, want) in cases {
        let resp = query(r.auth.addr, name, t, Q::dnssec());
        assert_eq!(resp.answers(t), vec![want.to_string()], "{name} {t}: {}", resp.summary());
        assert!(sigs_cover(&resp.msg.answers, t));
    }
    // MX answers bring the exchange's address in additional (RFC 1035 §3.3.9).
    let mx = query(r.auth.addr, "example.com.", RType::MX, Q::default());
    assert!(mx.msg.additional.iter().any(|x| x.rtype == RType::A && x.rdata_text() == "192.0.2.2"));
}

#[test]
fn large_answer_is_truncated_over_udp_and_complete_over_tcp() {
    for s in ALL {
        let r = start(s);
        let udp = query(r.auth.addr, "big.example.com.", RType::TXT, q(s));
        assert!(udp.flag(flags::TC), "{s:?}: {}", udp.summary());
        assert!(udp.raw.len() <= 1232);
        let no_edns = query(r.auth.addr, "big.example.com.", RType::TXT, Q { edns: false, ..Q::default() });
        assert!(no_edns.flag(flags::TC) && no_edns.raw.len() <= 512, "without EDNS the limit is 512 (RFC 1035 §4.2.1)");
        let tcp = query(r.auth.addr, "big.example.com.", RType::TXT, Q { tcp: true, ..q(s) });
        assert!(!tcp.flag(flags::TC));
        assert_eq!(tcp.answers(RType::TXT).len(), 14);
    }
}

#[test]
fn tcp_pipelined_queries_are_all_answered() {
    let r = start(Setup::Unsigned);
    let names = ["www.example.com.", "mail.example.com.", "nope.example.com.", "ns1.example.com."];
    let packets: Vec<Vec<u8>> = names.iter().enumerate().map(|(i, n)| build_query(100 + i as u16, n, RType::A, Q::default())).collect();
    let replies = tcp_exchange(r.auth.addr, &packets, names.len(), Duration::from_secs(5));
    assert_eq!(replies.len(), names.len());
    let ids: Vec<u16> = replies.into_iter().map(|raw| decode(raw).msg.header.id).collect();
    assert_eq!(ids, vec![100, 101, 102, 103]);
}

#[test]
fn malformed_queries_get_formerr_and_runts_are_dropped() {
    let r = start(Setup::Unsigned);
    let good = build_query(7, "www.example.com.", RType::A, Q::default());
    // QDCOUNT = 2.
    let mut two = good.clone();
    two[5] = 2;
    // A compression pointer in the question.
    let mut ptr = good[..12].to_vec();
    ptr.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1]);
    ptr[10] = 0;
    ptr[11] = 0;
    // Cut short inside the question.
    let short = good[..20].to_vec();
    for (what, p) in [("qdcount 2", two), ("pointer", ptr), ("truncated", short)] {
        let raw = udp_exchange(r.auth.addr, &p, Duration::from_secs(3)).unwrap_or_else(|| panic!("{what}: no reply"));
        let resp = decode(raw);
        assert_eq!(resp.rcode(), rcode::FORMERR, "{what}");
        assert_eq!(resp.msg.header.id, 7);
    }
    // A runt (no full header) and a response are dropped, and the server keeps serving.
    assert!(udp_exchange(r.auth.addr, &[1, 2, 3], Duration::from_millis(300)).is_none());
    let mut resp_pkt = good.clone();
    resp_pkt[2] |= 0x80;
    assert!(udp_exchange(r.auth.addr, &resp_pkt, Duration::from_millis(300)).is_none());
    assert_eq!(query(r.auth.addr, "www.example.com.", RType::A, Q::default()).rcode(), rcode::NOERROR);
}

#[test]
fn unknown_opcode_gets_notimp() {
    let r = start(Setup::Unsigned);
    let mut p = build_query(9, "www.example.com.", RType::A, Q::default());
    p[2] |= 2 << 3; // opcode 2 (STATUS)
    let resp = decode(udp_exchange(r.auth.addr, &p, Duration::from_secs(3)).expect("reply"));
    assert_eq!(resp.rcode(), rcode::NOTIMP);
}

#[test]
fn names_outside_hosted_zones_are_refused() {
    let r = start(Setup::Unsigned);
    for name in ["example.net.", "com.", "."] {
        let resp = query(r.auth.addr, name, RType::A, Q::default());
        assert_eq!(resp.rcode(), rcode::REFUSED, "{name}");
        assert!(!resp.flag(flags::AA));
    }
}

#[test]
fn edns_version_above_zero_gets_badvers() {
    let r = start(Setup::Unsigned);
    let resp = query(r.auth.addr, "www.example.com.", RType::A, Q { edns_version: 1, ..Q::default() });
    assert_eq!(resp.rcode(), rcode::BADVERS, "RFC 6891 §6.1.3: {}", resp.summary());
    assert_eq!(resp.msg.edns.as_ref().unwrap().version, 0);
    assert!(resp.msg.answers.is_empty());
    // The default payload size we advertise is 1232.
    let ok = query(r.auth.addr, "www.example.com.", RType::A, Q::default());
    assert_eq!(ok.msg.edns.as_ref().unwrap().udp_size, 1232);
}
