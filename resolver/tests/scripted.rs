//! The resolution core driven by a scripted upstream and a fake clock (both injected):
//! no sockets, no real time. Shows cache expiry following the injected clock, and a
//! KeyTrap-style zone (CVE-2023-50387: many DNSKEYs sharing a key tag, many RRSIGs)
//! failing fast, counted, while other questions are still answered.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tern_resolver::cache::{AnswerKind, TtlPolicy};
use tern_resolver::iterator::hints::Hint;
use tern_resolver::resolve::{Clock, Resolver, Settings};
use tern_resolver::upstream::{Exchange, Transport};
use tern_resolver::validator::Security;
use tern_shared::dnssec::{ds_rdata, key_tag, sign_rrset, SigningKey};
use tern_shared::wire::writer::{MessageWriter, Section};
use tern_shared::wire::{flags, rcode, Class, Header, Message, Name, RType, Record};
use tern_trust_anchors::{Anchor, AnchorSource, TrustAnchors};

/// A clock the test moves.
struct FakeClock(AtomicU64);

impl Clock for FakeClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

type Script = dyn Fn(&Message) -> Option<(u16, bool, Vec<Record>, Vec<Record>)> + Send + Sync;

/// Answers every query from a function of the question; counts queries.
struct Scripted {
    script: Box<Script>,
    count: AtomicUsize,
}

impl Transport for Scripted {
    fn exchange(&self, _server: SocketAddr, query: Vec<u8>, _tcp: bool, _t: Duration) -> Exchange {
        self.count.fetch_add(1, Ordering::Relaxed);
        let q = Message::parse(&query).expect("the resolver sends valid queries");
        let reply = (self.script)(&q).map(|(rc, aa, answer, authority)| write_reply(&q, (rc, aa, answer, authority, Vec::new())));
        Box::pin(async move { reply.ok_or(tern_resolver::upstream::TransportError::Timeout) })
    }
}

fn settings(validate: bool) -> Settings {
    Settings {
        validate,
        aggressive_nsec: true,
        qname_minimisation: false,
        harden_glue: true,
        minimal_responses: true,
        upstream_ipv6: true,
        query_timeout: Duration::from_millis(200),
        resolution_timeout: Duration::from_secs(5),
        do_not_query: Vec::new(),
        forward_zones: Vec::new(),
        upstream_port: 53,
        ttl: TtlPolicy { min: 0, max: 86400, max_negative: 3600, bogus: 60 },
        udp_payload: 1232,
        serve_stale: None,
        prefetch: false,
    }
}

fn hints() -> Vec<Hint> {
    vec![Hint { name: "ns.test.".parse().unwrap(), addrs: vec!["192.0.2.53".parse().unwrap()] }]
}

fn n(s: &str) -> Name {
    s.parse().unwrap()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn cached_answers_expire_by_the_injected_clock() {
    let clock = Arc::new(FakeClock(AtomicU64::new(1_800_000_000_000)));
    let transport = Arc::new(Scripted {
        script: Box::new(|q| {
            let qq = &q.questions[0];
            if qq.name == n("www.example.") && qq.qtype == RType::A {
                Some((rcode::NOERROR, true, vec![Record::new(n("www.example."), RType::A, 60, vec![192, 0, 2, 10])], vec![]))
            } else {
                Some((
                    rcode::NOERROR,
                    true,
                    vec![],
                    vec![Record::new(
                        n("."),
                        RType::SOA,
                        60,
                        tern_shared::wire::record::Soa {
                            mname: n("ns.test."),
                            rname: n("h.test."),
                            serial: 1,
                            refresh: 1,
                            retry: 1,
                            expire: 1,
                            minimum: 60,
                        }
                        .to_rdata(),
                    )],
                ))
            }
        }),
        count: AtomicUsize::new(0),
    });
    let r = Arc::new(Resolver::new(
        settings(false),
        10_000,
        hints(),
        TrustAnchors::new(),
        Default::default(),
        transport.clone(),
        clock.clone(),
    ));
    let rt = rt();
    let a = rt.block_on(r.resolve(&n("www.example."), RType::A));
    assert_eq!(a.kind, AnswerKind::Positive);
    let sent = transport.count.load(Ordering::Relaxed);
    assert!(sent >= 1);
    // 59 simulated seconds later: still cached, no upstream query.
    clock.0.fetch_add(59_000, Ordering::Relaxed);
    let again = rt.block_on(r.resolve(&n("www.example."), RType::A));
    assert_eq!(again.answer[0].rdatas[0][..], [192, 0, 2, 10]);
    assert_eq!(transport.count.load(Ordering::Relaxed), sent, "served from cache");
    // Past the TTL: asked again.
    clock.0.fetch_add(2_000, Ordering::Relaxed);
    rt.block_on(r.resolve(&n("www.example."), RType::A));
    assert!(transport.count.load(Ordering::Relaxed) > sent, "expired by the fake clock");
}

/// A DNSKEY RDATA (flags 256, algorithm 13) with junk key material whose key tag is `tag`.
fn colliding_key(tag: u16, seed: u8) -> Vec<u8> {
    let mut rd = vec![1u8, 0, 3, 13];
    rd.extend((0..64u8).map(|i| i.wrapping_mul(31).wrapping_add(seed)));
    for w in 0..=0xffffu32 {
        rd[66] = (w >> 8) as u8;
        rd[67] = w as u8;
        if key_tag(&rd) == tag {
            return rd;
        }
    }
    panic!("no collision found");
}

#[test]
fn keytrap_zone_fails_fast_and_other_questions_still_resolve() {
    let start_ms = 1_800_000_000_000u64;
    let now = (start_ms / 1000) as u32;
    let zone = n("keytrap.");
    let ksk = SigningKey::generate(13).unwrap();
    let zsk = SigningKey::generate(13).unwrap();
    let ksk_rd = ksk.dnskey_rdata(257);
    let zsk_rd = zsk.dnskey_rdata(256);
    let tag = key_tag(&zsk_rd);
    // 40 more keys with the ZSK's tag (KeyTrap), then the DNSKEY RRset signed by the KSK.
    let mut dnskeys: Vec<Vec<u8>> = vec![ksk_rd.clone(), zsk_rd.clone()];
    dnskeys.extend((0..40u8).map(|i| colliding_key(tag, i)));
    let dnskey_refs: Vec<&[u8]> = dnskeys.iter().map(|k| &k[..]).collect();
    let dnskey_sig =
        sign_rrset(&ksk, &ksk_rd, &zone, &zone, Class::IN, RType::DNSKEY, 3600, &dnskey_refs, now - 3600, now + 86400).unwrap();
    // www.keytrap. A carries 40 RRSIGs with that tag, none valid.
    let a_rdata = vec![192u8, 0, 2, 66];
    let good =
        sign_rrset(&zsk, &zsk_rd, &zone, &n("www.keytrap."), Class::IN, RType::A, 3600, &[&a_rdata], now - 3600, now + 86400).unwrap();
    let mut bad_sigs = Vec::new();
    for i in 0..40u8 {
        let mut s = good.clone();
        let l = s.len();
        s[l - 1] ^= i + 1;
        bad_sigs.push(s);
    }
    // A properly signed name in the same zone, to show the zone itself still works.
    let ok_rdata = vec![192u8, 0, 2, 1];
    let ok_sig =
        sign_rrset(&zsk, &zsk_rd, &zone, &n("ok.keytrap."), Class::IN, RType::A, 3600, &[&ok_rdata], now - 3600, now + 86400).unwrap();

    let mut anchors = TrustAnchors::new();
    anchors.add(Anchor::ds(zone.clone(), &ds_rdata(&zone, &ksk_rd, 2).unwrap(), false, AnchorSource::BuiltIn).unwrap());
    let dnskeys2 = dnskeys.clone();
    let transport = Arc::new(Scripted {
        script: Box::new(move |q| {
            let qq = &q.questions[0];
            let rec = |owner: &str, t: RType, rd: &[u8]| Record::new(n(owner), t, 3600, rd.to_vec());
            match (qq.name.to_string().as_str(), qq.qtype) {
                ("keytrap.", RType::DNSKEY) => {
                    let mut v: Vec<Record> = dnskeys2.iter().map(|k| rec("keytrap.", RType::DNSKEY, k)).collect();
                    v.push(rec("keytrap.", RType::RRSIG, &dnskey_sig));
                    Some((rcode::NOERROR, true, v, vec![]))
                }
                ("www.keytrap.", RType::A) => {
                    let mut v = vec![rec("www.keytrap.", RType::A, &a_rdata)];
                    v.extend(bad_sigs.iter().map(|s| rec("www.keytrap.", RType::RRSIG, s)));
                    Some((rcode::NOERROR, true, v, vec![]))
                }
                ("ok.keytrap.", RType::A) => Some((
                    rcode::NOERROR,
                    true,
                    vec![rec("ok.keytrap.", RType::A, &ok_rdata), rec("ok.keytrap.", RType::RRSIG, &ok_sig)],
                    vec![],
                )),
                _ => None,
            }
        }),
        count: AtomicUsize::new(0),
    });
    let clock = Arc::new(FakeClock(AtomicU64::new(start_ms)));
    let r = Arc::new(Resolver::new(settings(true), 10_000, hints(), anchors, Default::default(), transport, clock));
    let rt = rt();
    let t = Instant::now();
    let a = rt.block_on(r.resolve(&n("www.keytrap."), RType::A));
    let took = t.elapsed();
    eprintln!("KeyTrap outcome: {:?}, ede {:?}", a.security, a.ede);
    // The work budget stops it: indeterminate (EDE 5), counted, never a silent bogus.
    assert!(matches!(a.security, Security::Indeterminate(_)), "{:?}", a.security);
    assert_eq!(a.ede.as_ref().map(|e| e.0), Some(5));
    assert_eq!(r.counters.validation_budget_exhausted.load(Ordering::Relaxed), 1);
    assert!(took < Duration::from_secs(2), "KeyTrap must fail fast, took {took:?}");
    let ok = rt.block_on(r.resolve(&n("ok.keytrap."), RType::A));
    assert_eq!(ok.security, Security::Secure, "the well-signed name still validates");
}

#[test]
fn qname_minimisation_falls_back_to_the_full_name_on_servers_that_refuse_it() {
    // RFC 9156 §2.3: a server that answers minimised queries with REFUSED (or not at all)
    // must still be usable: the resolver asks it the full name.
    let clock = Arc::new(FakeClock(AtomicU64::new(1_800_000_000_000)));
    let transport = Arc::new(Scripted {
        script: Box::new(|q| {
            let qq = &q.questions[0];
            if qq.name == n("a.b.example.") && qq.qtype == RType::TXT {
                Some((rcode::NOERROR, true, vec![Record::new(n("a.b.example."), RType::TXT, 60, b"\x02ok".to_vec())], vec![]))
            } else {
                Some((rcode::REFUSED, false, vec![], vec![]))
            }
        }),
        count: AtomicUsize::new(0),
    });
    let mut s = settings(false);
    s.qname_minimisation = true;
    let r = Arc::new(Resolver::new(s, 10_000, hints(), TrustAnchors::new(), Default::default(), transport.clone(), clock));
    let a = rt().block_on(r.resolve(&n("a.b.example."), RType::TXT));
    assert_eq!(a.kind, AnswerKind::Positive, "{a:?}");
    assert_eq!(&a.answer[0].rdatas[0][..], b"\x02ok");
}

/// A non-validating resolver over `transport`, its settings changed by `tweak`.
fn unvalidating(tweak: impl FnOnce(&mut Settings), transport: Arc<dyn Transport>) -> Arc<Resolver> {
    let clock = Arc::new(FakeClock(AtomicU64::new(1_800_000_000_000)));
    let mut s = settings(false);
    tweak(&mut s);
    Arc::new(Resolver::new(s, 10_000, hints(), TrustAnchors::new(), Default::default(), transport, clock))
}

fn soa(zone: &str, minimum: u32) -> Record {
    let rd =
        tern_shared::wire::record::Soa { mname: n("ns.test."), rname: n("h.test."), serial: 1, refresh: 1, retry: 1, expire: 1, minimum }
            .to_rdata();
    Record::new(n(zone), RType::SOA, 300, rd)
}

#[test]
fn negative_answers_carry_the_zone_ns_only_when_responses_are_not_minimal() {
    // RFC 2308 §2.1 type 2: the authority section holds the SOA and the zone's NS RRset.
    let script = || Scripted {
        script: Box::new(|q| {
            let qq = &q.questions[0];
            let ns = Record::new(n("."), RType::NS, 300, n("ns.test.").wire().to_vec());
            (qq.name == n("nx.example.")).then(|| (rcode::NXDOMAIN, true, vec![], vec![soa(".", 300), ns]))
        }),
        count: AtomicUsize::new(0),
    };
    for minimal in [true, false] {
        let r = unvalidating(|s| s.minimal_responses = minimal, Arc::new(script()));
        let a = rt().block_on(r.resolve(&n("nx.example."), RType::A));
        assert_eq!(a.kind, AnswerKind::NxDomain, "{a:?}");
        let types: Vec<RType> = a.authority.iter().map(|s| s.rtype).collect();
        let expected = if minimal { vec![RType::SOA] } else { vec![RType::SOA, RType::NS] };
        assert_eq!(types, expected, "minimal_responses = {minimal}");
    }
}

/// One reply: rcode, AA, answer, authority, additional.
type Reply = (u16, bool, Vec<Record>, Vec<Record>, Vec<Record>);

/// The wire form of the reply `r` to `q` (with an OPT record if `q` had one).
fn write_reply(q: &Message, (rc, aa, answer, authority, additional): Reply) -> Vec<u8> {
    let mut buf = Vec::new();
    let f = flags::QR | if aa { flags::AA } else { 0 } | rc;
    let mut w = MessageWriter::new(&mut buf, 65535, Header { id: q.header.id, flags: f, ..Default::default() });
    let qq = &q.questions[0];
    w.question(qq.name.wire(), qq.qtype, qq.qclass).unwrap();
    for (section, records) in [(Section::Answer, &answer), (Section::Authority, &authority), (Section::Additional, &additional)] {
        for r in records {
            w.record(section, r).unwrap();
        }
    }
    if q.edns.is_some() {
        w.opt(1232, rc, true, None);
    }
    w.finish();
    buf
}

/// The script of a [`ByServer`] transport.
type ServerScript = dyn Fn(SocketAddr, &Message) -> Option<Reply> + Send + Sync;

/// Answers by server address and question.
struct ByServer(Box<ServerScript>);

impl Transport for ByServer {
    fn exchange(&self, server: SocketAddr, query: Vec<u8>, _tcp: bool, _t: Duration) -> Exchange {
        let q = Message::parse(&query).expect("the resolver sends valid queries");
        let reply = (self.0)(server, &q).map(|r| write_reply(&q, r));
        Box::pin(async move { reply.ok_or(tern_resolver::upstream::TransportError::Timeout) })
    }
}

#[test]
fn glue_from_outside_the_parent_breaks_a_cycle_only_without_harden_glue() {
    // example.com is served by ns.example.net and example.net by ns.example.com; each
    // parent (com, net) sends the other's address as glue it has no authority for
    // (Deckard's iter_cycle_noh). Hardened, the names cannot be resolved: SERVFAIL.
    let a = |owner: &str, ip: [u8; 4]| Record::new(n(owner), RType::A, 300, ip.to_vec());
    let ns = |owner: &str, target: &str| Record::new(n(owner), RType::NS, 300, n(target).wire().to_vec());
    let net = || {
        ByServer(Box::new(move |server, q| {
            let qq = &q.questions[0];
            let name = &qq.name;
            let under = |z: &str| name.is_subdomain_of(&n(z));
            match server.ip().to_string().as_str() {
                // The root (the hint ns.test.): delegates com. and net.
                "192.0.2.53" if under("com.") => Some((0, false, vec![], vec![ns("com.", "c.test.")], vec![a("c.test.", [192, 0, 2, 30])])),
                "192.0.2.53" if under("net.") => Some((0, false, vec![], vec![ns("net.", "e.test.")], vec![a("e.test.", [192, 0, 2, 31])])),
                "192.0.2.30" if under("example.com.") => {
                    Some((0, false, vec![], vec![ns("example.com.", "ns.example.net.")], vec![a("ns.example.net.", [192, 0, 2, 1])]))
                }
                "192.0.2.31" if under("example.net.") => {
                    Some((0, false, vec![], vec![ns("example.net.", "ns.example.com.")], vec![a("ns.example.com.", [192, 0, 2, 2])]))
                }
                "192.0.2.1" if *name == n("www.example.com.") && qq.qtype == RType::A => {
                    Some((0, true, vec![a("www.example.com.", [192, 0, 2, 80])], vec![], vec![]))
                }
                "192.0.2.1" => Some((0, true, vec![], vec![soa("example.com.", 300)], vec![])),
                _ => None,
            }
        }))
    };
    for harden in [true, false] {
        let r = unvalidating(|s| s.harden_glue = harden, Arc::new(net()));
        let ans = rt().block_on(r.resolve(&n("www.example.com."), RType::A));
        if harden {
            assert_eq!(ans.kind, AnswerKind::Failure, "{ans:?}");
        } else {
            assert_eq!(ans.kind, AnswerKind::Positive, "{ans:?}");
            assert_eq!(&ans.answer[0].rdatas[0][..], &[192, 0, 2, 80]);
            // The foreign glue reached the zone but is not ns.example.net's address.
            let ns_a = rt().block_on(r.resolve(&n("ns.example.net."), RType::A));
            assert_ne!(ns_a.kind, AnswerKind::Positive, "{ns_a:?}");
        }
    }
}

/// Serve-stale as RFC 8767 suggests, with no client response timer.
fn stale_policy(client_timeout: Duration) -> tern_resolver::cache::StalePolicy {
    tern_resolver::cache::StalePolicy { max: 86_400, answer_ttl: 30, client_timeout }
}

/// A transport whose replies come `delay` late.
struct Late<T>(T, Duration);

impl<T: Transport> Transport for Late<T> {
    fn exchange(&self, server: SocketAddr, query: Vec<u8>, tcp: bool, t: Duration) -> Exchange {
        let reply = self.0.exchange(server, query, tcp, t);
        let delay = self.1;
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            reply.await
        })
    }
}

/// Answers `www.example. A` (TTL 60) while `up` holds; times out otherwise. Every reply
/// is `delay` late. `asked` counts the queries for `www.example. A`.
fn flaky(up: Arc<std::sync::atomic::AtomicBool>, delay: Duration, asked: Arc<AtomicU64>) -> Arc<Late<ByServer>> {
    Arc::new(Late(
        ByServer(Box::new(move |_, q| {
            let qq = &q.questions[0];
            let data = qq.name == n("www.example.") && qq.qtype == RType::A;
            if data {
                asked.fetch_add(1, Ordering::Relaxed);
            }
            if !up.load(Ordering::Relaxed) {
                return None;
            }
            let answer = if data { vec![Record::new(n("www.example."), RType::A, 60, vec![192, 0, 2, 10])] } else { vec![] };
            Some((rcode::NOERROR, true, answer, if data { vec![] } else { vec![soa(".", 60)] }, vec![]))
        })),
        delay,
    ))
}

/// A resolver over [`flaky`] with a fake clock and a two-thread runtime.
struct FlakySetup {
    r: Arc<Resolver>,
    up: Arc<std::sync::atomic::AtomicBool>,
    clock: Arc<FakeClock>,
    rt: tokio::runtime::Runtime,
    /// Upstream queries for `www.example. A` so far.
    asked: Arc<AtomicU64>,
}

fn flaky_setup(tweak: impl FnOnce(&mut Settings), delay: Duration) -> FlakySetup {
    let up = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let clock = Arc::new(FakeClock(AtomicU64::new(1_800_000_000_000)));
    let mut s = settings(false);
    tweak(&mut s);
    let asked = Arc::new(AtomicU64::new(0));
    let transport = flaky(up.clone(), delay, asked.clone());
    let r = Arc::new(Resolver::new(s, 10_000, hints(), TrustAnchors::new(), Default::default(), transport, clock.clone()));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    FlakySetup { r, up, clock, rt, asked }
}

#[test]
fn expired_answers_are_served_stale_while_the_authorities_fail() {
    for serve_stale in [true, false] {
        let FlakySetup { r, up, clock, rt, .. } =
            flaky_setup(|s| s.serve_stale = serve_stale.then(|| stale_policy(Duration::ZERO)), Duration::ZERO);
        let www = n("www.example.");
        assert_eq!(rt.block_on(r.resolve(&www, RType::A)).kind, AnswerKind::Positive);
        // Two minutes on, the answer has expired and the server is gone.
        clock.0.fetch_add(120_000, Ordering::Relaxed);
        up.store(false, Ordering::Relaxed);
        let a = rt.block_on(r.resolve(&www, RType::A));
        if !serve_stale {
            assert_eq!(a.kind, AnswerKind::Failure, "{a:?}");
            continue;
        }
        let now = r.now();
        assert_eq!((a.kind, a.ede.as_ref().map(|e| e.0)), (AnswerKind::Positive, Some(3)), "stale, EDE 3: {a:?}");
        assert_eq!(a.expires - now, 30, "RFC 8767 §4: stale TTL 30 s");
        assert_eq!(&a.answer[0].rdatas[0][..], &[192, 0, 2, 10]);
        // Within the recheck time the stale answer is given without asking again; after
        // it, the resolver tries the authorities again (and, failing, stays stale).
        up.store(true, Ordering::Relaxed);
        assert!(rt.block_on(r.resolve(&www, RType::A)).is_stale());
        clock.0.fetch_add(31_000, Ordering::Relaxed);
        let fresh = rt.block_on(r.resolve(&www, RType::A));
        assert!(!fresh.is_stale() && fresh.ede.is_none(), "fresh again once the server is back: {fresh:?}");
        // A day past expiry, stale data is no more.
        up.store(false, Ordering::Relaxed);
        clock.0.fetch_add(86_400_000 + 120_000, Ordering::Relaxed);
        assert_eq!(rt.block_on(r.resolve(&www, RType::A)).kind, AnswerKind::Failure);
    }
}

#[test]
fn a_slow_resolution_gets_the_stale_answer_after_the_client_timer() {
    // RFC 8767 §5: the client gets the stale answer after the client response timer; the
    // resolution goes on and refreshes the cache.
    let slow = Duration::from_millis(400);
    let tweak = |s: &mut Settings| {
        s.serve_stale = Some(stale_policy(Duration::from_millis(100)));
        s.query_timeout = Duration::from_secs(2);
    };
    let FlakySetup { r, clock, rt, asked, .. } = flaky_setup(tweak, slow);
    let www = n("www.example.");
    assert_eq!(rt.block_on(r.resolve(&www, RType::A)).kind, AnswerKind::Positive);
    assert_eq!(asked.load(Ordering::Relaxed), 1);
    clock.0.fetch_add(120_000, Ordering::Relaxed);
    let started = Instant::now();
    let a = rt.block_on(r.resolve(&www, RType::A));
    assert!(a.is_stale(), "{a:?}");
    assert!(started.elapsed() < slow, "answered before the slow server: {:?}", started.elapsed());
    // A second client while the resolution is still going: stale too, and it joins the
    // resolution under way instead of asking the authorities again.
    let b = rt.block_on(r.resolve(&www, RType::A));
    assert!(b.is_stale(), "{b:?}");
    assert!(started.elapsed() < slow, "still before the slow server: {:?}", started.elapsed());
    // The resolution finishes on its own and the fresh answer replaces the stale one.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(fresh) = r.answers.get(&www, RType::A, r.now()) {
            assert!(!fresh.is_stale());
            break;
        }
        assert!(Instant::now() < deadline, "the resolution went on after the stale answer");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(asked.load(Ordering::Relaxed), 2, "one refresh for both clients");
}

#[test]
fn answers_asked_near_expiry_are_refreshed_in_the_background() {
    for prefetch in [true, false] {
        let FlakySetup { r, up, clock, rt, .. } = flaky_setup(|s| s.prefetch = prefetch, Duration::ZERO);
        let www = n("www.example.");
        let first = rt.block_on(r.resolve(&www, RType::A));
        // Too early for a refresh (40 s left of 60).
        clock.0.fetch_add(20_000, Ordering::Relaxed);
        assert!(Arc::ptr_eq(&rt.block_on(r.resolve(&www, RType::A)), &first));
        // In the last tenth: still the cached answer, and (with prefetch) a refresh.
        clock.0.fetch_add(35_000, Ordering::Relaxed);
        assert!(Arc::ptr_eq(&rt.block_on(r.resolve(&www, RType::A)), &first));
        // (Without prefetch nothing is coming: a short look is enough.)
        let deadline = Instant::now() + if prefetch { Duration::from_secs(5) } else { Duration::from_millis(300) };
        let refreshed = loop {
            let current = r.answers.get(&www, RType::A, r.now()).unwrap();
            if !Arc::ptr_eq(&current, &first) || Instant::now() > deadline {
                break !Arc::ptr_eq(&current, &first);
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(refreshed, prefetch, "refreshed before expiry only with prefetch on");
        // Past the first answer's expiry, with the server gone: the refreshed answer
        // still serves; without prefetch the question fails.
        up.store(false, Ordering::Relaxed);
        clock.0.fetch_add(10_000, Ordering::Relaxed);
        let later = rt.block_on(r.resolve(&www, RType::A));
        assert_eq!(later.kind, if prefetch { AnswerKind::Positive } else { AnswerKind::Failure }, "{later:?}");
    }
}

#[test]
fn a_failed_refresh_keeps_the_live_answer() {
    let FlakySetup { r, up, clock, rt, .. } = flaky_setup(|s| s.prefetch = true, Duration::ZERO);
    let www = n("www.example.");
    let first = rt.block_on(r.resolve(&www, RType::A));
    up.store(false, Ordering::Relaxed);
    clock.0.fetch_add(55_000, Ordering::Relaxed);
    rt.block_on(r.resolve(&www, RType::A));
    let deadline = Instant::now() + Duration::from_secs(5);
    while r.counters.prefetches.load(Ordering::Relaxed) == 0 || r.inflight_len() > 0 {
        assert!(Instant::now() < deadline, "the refresh ran");
        std::thread::sleep(Duration::from_millis(20));
    }
    let now = r.now();
    assert!(Arc::ptr_eq(&r.answers.get(&www, RType::A, now).expect("still cached"), &first));
}

#[test]
fn cached_answers_keep_no_spare_capacity() {
    // A cached answer lives as long as its TTL: room left in its lists by pushing (a Vec
    // grown one push at a time keeps space for four) is memory held for nothing.
    let FlakySetup { r, rt, .. } = flaky_setup(|_| {}, Duration::ZERO);
    let a = rt.block_on(r.resolve(&n("www.example."), RType::A));
    assert_eq!(a.kind, AnswerKind::Positive);
    let cached = r.answers.get(&n("www.example."), RType::A, r.now()).expect("cached");
    for sets in [&cached.answer, &cached.authority] {
        assert_eq!(sets.capacity(), sets.len());
        for s in sets.iter() {
            assert_eq!((s.rdatas.capacity(), s.sigs.capacity()), (s.rdatas.len(), s.sigs.len()), "{s:?}");
        }
    }
}
