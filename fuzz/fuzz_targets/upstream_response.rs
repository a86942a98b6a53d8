//! Arbitrary bytes as an upstream reply: the decoder, the iterator's classification and
//! bailiwick scrubbing must never panic, whatever a hostile server sends.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tern_resolver::iterator::classify;
use tern_shared::wire::{Message, Name, RType};

fuzz_target!(|data: &[u8]| {
    let Ok(msg) = Message::parse(data) else { return };
    let qname: Name = msg.questions.first().map(|q| q.name.clone()).unwrap_or_else(|| "www.example.com.".parse().unwrap());
    for zone in [Name::root(), "com.".parse().unwrap(), "example.com.".parse().unwrap()] {
        for forwarder in [false, true] {
            let _ = classify(&msg, &zone, &qname, RType::A, forwarder);
            let _ = classify(&msg, &zone, &qname, RType::DS, forwarder);
        }
    }
    let _ = tern_resolver::rrset::group(&msg.answers);
});
