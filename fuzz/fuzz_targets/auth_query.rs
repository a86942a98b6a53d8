//! Arbitrary bytes into tern-auth's query-answering path (parse, zone choice, lookup,
//! response building) over UDP and TCP limits, against the test fixture zone signed
//! with NSEC3 (queries without DO exercise the unsigned paths). Any panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, OnceLock};
use tern_auth::config::SigningTimes;
use tern_auth::server::respond::{respond, Limits, Transport};
use tern_auth::signer::{keys::ZoneKeys, sign_zone};
use tern_auth::store::{Denial, Policy};
use tern_auth::zone::set::ZoneSet;
use tern_auth::zone::{Origin, Zone};
use tern_shared::dnssec::SigningKey;
use tern_shared::wire::Name;

const ZONE: &str = include_str!("../../tests/fixtures/example.com.zone");

fn zones() -> &'static ZoneSet {
    static SET: OnceLock<ZoneSet> = OnceLock::new();
    SET.get_or_init(|| {
        let origin: Name = "example.com.".parse().unwrap();
        let entries = tern_shared::zonefile::parse_str(ZONE, "fixture", &origin, None).unwrap();
        let records = entries.into_iter().map(|e| (e.record, Origin { file: e.file, line: e.line })).collect();
        let mut zone = Zone::build(origin, "fixture".into(), records).unwrap();
        let keys = ZoneKeys { ksk: Some(SigningKey::generate(13).unwrap()), zsk: Some(SigningKey::generate(13).unwrap()) };
        let policy =
            Policy { algorithm: 13, denial: Denial::Nsec3 { iterations: 0, salt: String::new(), opt_out: false }, publish_cds: true };
        sign_zone(&mut zone, &policy, &keys, SigningTimes::default(), 1_800_000_000, 1).unwrap();
        ZoneSet::new([Arc::new(zone)])
    })
}

fuzz_target!(|data: &[u8]| {
    let mut out = Vec::with_capacity(65535);
    for t in [Transport::Udp, Transport::Tcp] {
        let _ = respond(zones(), data, &mut out, t, Limits { udp_payload: 1232 });
        if !out.is_empty() {
            // Whatever we send must itself decode.
            tern_shared::wire::Message::parse(&out).expect("our response decodes");
        }
    }
});
