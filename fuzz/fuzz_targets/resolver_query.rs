//! Arbitrary bytes into tern-resolver's client path: parse, ACL, packet-cache lookup,
//! and (for questions that pass) resolution against an upstream that never answers,
//! then the reply builder. Any panic is a bug; every reply must decode.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tern_resolver::cache::TtlPolicy;
use tern_resolver::resolve::{Resolver, Settings, SystemClock};
use tern_resolver::server::{Admit, Server};
use tern_resolver::upstream::{Exchange, Transport, TransportError};

/// An upstream that fails at once: resolution ends quickly in SERVFAIL.
struct Unreachable;

impl Transport for Unreachable {
    fn exchange(&self, _s: SocketAddr, _q: Vec<u8>, _tcp: bool, _t: Duration) -> Exchange {
        Box::pin(async { Err(TransportError::Network("fuzzing".into())) })
    }
}

fn server() -> &'static (Arc<Server>, tokio::runtime::Runtime) {
    static S: OnceLock<(Arc<Server>, tokio::runtime::Runtime)> = OnceLock::new();
    S.get_or_init(|| {
        let settings = Settings {
            validate: true,
            aggressive_nsec: true,
            qname_minimisation: true,
            harden_glue: true,
            minimal_responses: true,
            upstream_ipv6: true,
            query_timeout: Duration::from_millis(100),
            resolution_timeout: Duration::from_millis(300),
            do_not_query: Vec::new(),
            forward_zones: Vec::new(),
            upstream_port: 53,
            ttl: TtlPolicy { min: 0, max: 86400, max_negative: 3600, bogus: 60 },
            udp_payload: 1232,
            serve_stale: None,
        prefetch: false,
        };
        let mut anchors = tern_trust_anchors::TrustAnchors::new();
        anchors.add_builtin_root(1_800_000_000);
        let resolver = Arc::new(Resolver::new(
            settings,
            10_000,
            tern_resolver::iterator::hints::builtin(),
            anchors,
            Default::default(),
            Arc::new(Unreachable),
            Arc::new(SystemClock),
        ));
        let server = Arc::new(Server {
            resolver,
            allow_from: arc_swap::ArcSwap::from_pointee(vec!["127.0.0.0/8".parse().unwrap()]),
            // Rules and local data in force, so malformed names go through the policy lookup.
            policy: arc_swap::ArcSwap::from_pointee({
                use tern_resolver::policy::{Action, Policy, Rule};
                let mut p = Policy::new(300);
                p.push_rule(Rule::names(Action::Deny, &["a.example.".parse().unwrap()], &["example.".parse().unwrap()]));
                p.push_rule(Rule::names(Action::Truncate, &[], &["tc.test.".parse().unwrap()]));
                p.add_local(&"printer.lan.".parse().unwrap(), tern_shared::wire::RType::A, 300, &[192, 0, 2, 7], true);
                p
            }),
            dns64: Default::default(),
            udp_payload: 1232,
            tcp_idle: Duration::from_secs(1),
            shutdown: Default::default(),
            stats: Default::default(),
        });
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        (server, rt)
    })
}

fuzz_target!(|data: &[u8]| {
    let (server, rt) = server();
    let mut out = Vec::with_capacity(65535);
    let peer: SocketAddr = "127.0.0.1:5555".parse().unwrap();
    for udp in [true, false] {
        match server.admit(data, peer, &mut out, udp) {
            Admit::Drop => {}
            Admit::Reply => {
                tern_shared::wire::Message::parse(&out).expect("admission replies decode");
            }
            Admit::Resolve(q) => {
                rt.block_on(server.answer(&q, peer.ip(), if udp { 1232 } else { 65535 }, &mut out));
                tern_shared::wire::Message::parse(&out).expect("answers decode");
            }
        }
    }
});
