//! Arbitrary bytes into the full message decoder and the query view: never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = tern_shared::wire::Message::parse(data);
    let _ = tern_shared::wire::QueryView::parse(data);
});
