//! The cached-answer path (parse, ACL, packet-cache lookup, image copy with ID, case and
//! TTL patching) makes no heap allocation, counted with a wrapping global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tern_resolver::cache::packet::{make_key, ttl_offsets, Packet, MAX_KEY};
use tern_resolver::cache::{Answer, AnswerKind, TtlPolicy};
use tern_resolver::resolve::{Resolver, Settings, SystemClock};
use tern_resolver::rrset::RRset;
use tern_resolver::server::{reply, Admit, Server};
use tern_resolver::upstream::{Exchange, Transport, TransportError};
use tern_resolver::validator::Security;
use tern_shared::wire::query::QueryView;
use tern_shared::wire::writer::MessageWriter;
use tern_shared::wire::{flags, Class, Header, Name, RType};

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: forwarding to the system allocator with the caller's layout.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: `p` came from `alloc` above with the same layout.
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

struct NoNetwork;

impl Transport for NoNetwork {
    fn exchange(&self, _s: SocketAddr, _q: Vec<u8>, _tcp: bool, _t: Duration) -> Exchange {
        Box::pin(async { Err(TransportError::Network("no network in this test".into())) })
    }
}

fn query(name: &str, id: u16) -> Vec<u8> {
    let n: Name = name.parse().unwrap();
    let mut buf = Vec::new();
    let mut w = MessageWriter::new(&mut buf, 512, Header { id, flags: flags::RD, ..Default::default() });
    w.question(n.wire(), RType::A, Class::IN).unwrap();
    w.opt(1232, 0, true, None);
    w.finish();
    buf
}

#[test]
fn cache_hits_allocate_nothing() {
    let settings = Settings {
        validate: true,
        aggressive_nsec: true,
        qname_minimisation: true,
        harden_glue: true,
        minimal_responses: true,
        upstream_ipv6: true,
        query_timeout: Duration::from_millis(100),
        resolution_timeout: Duration::from_secs(1),
        do_not_query: Vec::new(),
        forward_zones: Vec::new(),
        upstream_port: 53,
        ttl: TtlPolicy { min: 0, max: 86400, max_negative: 3600, bogus: 60 },
        udp_payload: 1232,
        serve_stale: None,
        prefetch: true,
    };
    let resolver = Arc::new(Resolver::new(
        settings,
        10_000,
        Vec::new(),
        Default::default(),
        Default::default(),
        Arc::new(NoNetwork),
        Arc::new(SystemClock),
    ));
    let server = Server {
        resolver: resolver.clone(),
        allow_from: arc_swap::ArcSwap::from_pointee(vec!["127.0.0.0/8".parse().unwrap()]),
        // A policy in force: its lookup is on the hit path too, and must not allocate.
        policy: arc_swap::ArcSwap::from_pointee({
            use tern_resolver::policy::{Action, Policy, Rule};
            let mut p = Policy::new(300);
            p.push_rule(Rule::names(Action::Deny, &["tracker.example.".parse().unwrap()], &["ads.example.".parse().unwrap()]));
            // A pattern rule too: the name's text is built on the stack, the regex reused.
            p.push_rule(Rule::names(Action::Deny, &[], &[]).with_patterns(&["^ads[0-9]+\\.".to_string()]).unwrap());
            p.add_local(&"printer.lan.".parse().unwrap(), RType::A, 300, &[192, 0, 2, 7], true);
            p
        }),
        dns64: Default::default(),
        udp_payload: 1232,
        tcp_idle: Duration::from_secs(1),
        shutdown: Default::default(),
        stats: Default::default(),
    };
    // An answer image in the packet cache, as the server stores after resolving.
    let now = resolver.now();
    let owner: Name = "www.example.com.".parse().unwrap();
    let answer = Answer {
        kind: AnswerKind::Positive,
        rcode: 0,
        answer: vec![RRset::new(owner.clone(), RType::A, 300, vec![vec![192, 0, 2, 1].into()])],
        authority: Vec::new(),
        security: Security::Secure,
        ede: None,
        stored: now,
        expires: now + 300,
        stale_until: 0,
    };
    let q = query("www.example.com.", 1);
    let view = QueryView::parse(&q).unwrap();
    let mut image = Vec::new();
    reply::write_answer(&view, &answer, now, 1232, 1232, &mut image);
    let mut kbuf = [0u8; MAX_KEY];
    let klen = make_key(&mut kbuf, &view);
    let offsets = ttl_offsets(&image).unwrap();
    resolver.packets.insert(&kbuf[..klen], Packet::new(image.clone().into_boxed_slice(), offsets.into_boxed_slice(), now, now + 300));

    let peer: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let queries: Vec<Vec<u8>> = (0..1000u16).map(|i| query(if i % 2 == 0 { "WWW.example.COM." } else { "www.example.com." }, i)).collect();
    let mut out = Vec::with_capacity(65535);
    // Warm up lazily initialised state outside the counted region.
    assert!(matches!(server.admit(&queries[0], peer, &mut out, true), Admit::Reply));
    ALLOCS.store(0, Ordering::Relaxed);
    COUNTING.store(true, Ordering::Relaxed);
    let mut hits = 0;
    for q in &queries {
        if let Admit::Reply = server.admit(q, peer, &mut out, true) {
            hits += 1;
        }
    }
    COUNTING.store(false, Ordering::Relaxed);
    assert_eq!(hits, 1000);
    assert_eq!(ALLOCS.load(Ordering::Relaxed), 0, "heap allocations on the cache-hit path");
    // And the reply is right: the last query's ID and spelling.
    let m = tern_shared::wire::Message::parse(&out).unwrap();
    assert_eq!(m.header.id, 999);
    assert_eq!(m.questions[0].name.wire(), b"\x03www\x07example\x03com\x00");
    assert_eq!(m.answers[0].rdata_text(), "192.0.2.1");
}
