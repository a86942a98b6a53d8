//! Load-time checks and tree shape of zone snapshots.

use super::*;
use tern_shared::zonefile::parse_str;

fn build(text: &str) -> Result<Zone, Vec<ZoneError>> {
    let origin: Name = "example.".parse().unwrap();
    let entries = parse_str(text, "test.zone", &origin, Some(300)).expect("parses");
    let records = entries.into_iter().map(|e| (e.record, Origin { file: e.file, line: e.line })).collect();
    Zone::build(origin, "test.zone".into(), records)
}

const HEAD: &str = "@ SOA ns hm 1 2 3 4 60\n@ NS ns\nns A 192.0.2.1\n";

fn messages(r: Result<Zone, Vec<ZoneError>>) -> Vec<String> {
    r.expect_err("must fail").iter().map(|e| e.to_string()).collect()
}

#[test]
fn missing_soa_and_apex_ns_are_refused() {
    let m = messages(build("ns A 192.0.2.1\n"));
    assert!(m.iter().any(|e| e == "test.zone: no SOA record at the apex example."), "{m:?}");
    assert!(m.iter().any(|e| e == "test.zone: no NS records at the apex example."), "{m:?}");
}

#[test]
fn out_of_zone_records_are_refused_with_their_line() {
    let m = messages(build(&format!("{HEAD}www.other. A 192.0.2.9\n")));
    assert_eq!(m, vec!["test.zone:4: www.other. is outside the zone example."]);
}

#[test]
fn cname_must_stand_alone() {
    let m = messages(build(&format!("{HEAD}www CNAME ns\nwww TXT \"x\"\n")));
    assert_eq!(m, vec!["test.zone:4: CNAME at www.example. coexists with other data"]);
    let m = messages(build(&format!("{HEAD}www CNAME ns\nwww CNAME other.\n")));
    assert_eq!(m, vec!["test.zone:4: CNAME at www.example. is not alone in its RRset"]);
    let m = messages(build(&format!("{HEAD}@ CNAME other.\n")));
    assert!(m.iter().any(|e| e.contains("CNAME is not allowed at the zone apex")), "{m:?}");
}

#[test]
fn delegation_without_in_domain_glue_is_refused() {
    let m = messages(build(&format!("{HEAD}sub NS ns.sub\n")));
    assert_eq!(m, vec!["test.zone:4: missing glue: NS ns.sub.example. for sub.example. has no A or AAAA record"]);
    // Out-of-domain targets need no glue.
    assert!(build(&format!("{HEAD}sub NS ns.elsewhere.\n")).is_ok());
}

#[test]
fn second_soa_is_refused() {
    let m = messages(build(&format!("{HEAD}sub SOA ns hm 1 2 3 4 5\n")));
    assert_eq!(m, vec!["test.zone:4: SOA record not at the apex"]);
}

#[test]
fn tree_has_empty_non_terminals_cuts_and_glue() {
    let z = build(&format!("{HEAD}a.b.c TXT \"x\"\nsub NS ns.sub\nns.sub A 192.0.2.2\ndeep.ns.sub A 192.0.2.3\n")).unwrap();
    assert!(z.node(b"\x01c\x07example\x00").is_some_and(|n| n.is_empty()), "ENT c.example.");
    assert!(z.node(b"\x01b\x01c\x07example\x00").is_some_and(|n| n.is_empty()), "ENT b.c.example.");
    assert_eq!(z.node(b"\x03sub\x07example\x00").unwrap().kind, NodeKind::Cut);
    assert_eq!(z.node(b"\x02ns\x03sub\x07example\x00").unwrap().kind, NodeKind::Glue);
    assert_eq!(z.node(b"\x04deep\x02ns\x03sub\x07example\x00").unwrap().kind, NodeKind::Glue);
    assert_eq!(z.negative_ttl, 60);
    assert_eq!(z.serial, 1);
    // Canonical order (RFC 4034 §6.1).
    let names: Vec<String> = z.nodes.iter().map(|n| n.name.to_string()).collect();
    let mut sorted = z.nodes.iter().map(|n| n.name.clone()).collect::<Vec<_>>();
    sorted.sort();
    assert_eq!(names, sorted.iter().map(|n| n.to_string()).collect::<Vec<_>>());
}

#[test]
fn duplicate_records_collapse_and_ttls_take_the_lowest() {
    let z = build(&format!("{HEAD}www 100 A 192.0.2.5\nWWW 50 A 192.0.2.5\nwww 300 A 192.0.2.6\n")).unwrap();
    let set = z.node(b"\x03www\x07example\x00").unwrap().rrset(RType::A).unwrap();
    assert_eq!(set.rdatas.len(), 2);
    assert_eq!(set.ttl, 50);
}

#[test]
fn every_error_is_reported_at_once() {
    let m = messages(build("www.other. A 192.0.2.9\nx CNAME y\nx A 192.0.2.1\n"));
    assert!(m.len() >= 4, "out-of-zone, CNAME, no SOA, no NS: {m:?}");
}

#[test]
fn nsec3_hash_keys_order_as_the_octets_do() {
    // Values that differ in the first, middle and last octets, including across the
    // 16-octet boundary of the two integers.
    let mut octets: Vec<[u8; 20]> = (0u8..=255)
        .map(|i| {
            let mut h = [0u8; 20];
            h[0] = i.wrapping_mul(37) & 0x0f;
            h[15] = i;
            h[16] = 255 - i;
            h[19] = i.wrapping_mul(11);
            h
        })
        .collect();
    let mut by_key = octets.clone();
    octets.sort();
    by_key.sort_by_key(super::HashKey::of);
    assert_eq!(octets, by_key);
}
