//! Tests of the master-file loader: every type with a layout round-trips through
//! `fmt_rdata`, RFC example zones load, errors carry the right `file:line`, and no input
//! makes the parser panic.

use super::*;
use crate::wire::rdata::{bitmap_types, fmt_rdata, layout, validate};
use crate::wire::record::{DnskeyView, DsView, Nsec3View, RrsigView, Soa};
use data_encoding::{BASE32HEX_NOPAD, HEXUPPER};

fn origin() -> Name {
    "example.".parse().unwrap()
}

fn n(s: &str) -> Name {
    s.parse().unwrap()
}

fn zone(text: &str) -> Vec<Entry> {
    parse_str(text, "test.zone", &origin(), None).unwrap_or_else(|e| panic!("{e}"))
}

fn zone_err(text: &str) -> ZoneFileError {
    match parse_str(text, "test.zone", &origin(), None) {
        Ok(v) => panic!("expected an error, got {} records", v.len()),
        Err(e) => e,
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/zonefile").join(name)
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    HEXUPPER.decode(s.to_ascii_uppercase().as_bytes()).unwrap()
}

fn rd(rtype: RType, text: &str) -> Vec<u8> {
    parse_rdata(rtype, text, &origin()).unwrap_or_else(|e| panic!("{rtype} {text}: {e}"))
}

/// text -> wire -> text -> wire must give the same wire image.
fn round_trip(rtype: RType, text: &str) -> Vec<u8> {
    let wire = rd(rtype, text);
    validate(rtype, &wire).unwrap();
    let mut printed = String::new();
    fmt_rdata(&mut printed, rtype, &wire).unwrap();
    let again = parse_rdata(rtype, &printed, &origin()).unwrap_or_else(|e| panic!("{rtype} reprinted as {printed:?}: {e}"));
    assert_eq!(again, wire, "{rtype}: {text:?} printed as {printed:?}");
    wire
}

/// One presentation example per type that has a layout in `wire::rdata`.
const EXAMPLES: &[(RType, &str)] = &[
    (RType::A, "192.0.2.1"),
    (RType::AAAA, "2001:db8::1"),
    (RType::NS, "ns1"),
    (RType::MD, "md.example.net."),
    (RType::MF, "mf.example.net."),
    (RType::CNAME, "target.example.net."),
    (RType::MB, "mb"),
    (RType::MG, "mg"),
    (RType::MR, "mr"),
    (RType::PTR, "host.example."),
    (RType::DNAME, "example.net."),
    (RType::SOA, "ns1 hostmaster ( 2024010101 1h 15m 1w 5m )"),
    (RType::MINFO, "rmail.example. email.example."),
    (RType::MX, "10 mail"),
    (RType::AFSDB, "1 afsdb.example."),
    (RType::RT, "10 relay.example."),
    (RType::KX, "10 kx.example."),
    (RType::RP, "admin.example. txt.example."),
    (RType::PX, "10 map822.example. mapx400.example."),
    (RType::TXT, r#""hello world" unquoted "with \"quote\", \\ and \007" """#),
    (RType::SPF, r#""v=spf1 -all""#),
    (RType::HINFO, r#""KLH-10" ITS"#),
    (RType::SRV, "0 5 5060 sip.example."),
    (RType::NAPTR, r#"100 10 "u" "E2U+sip" "!^.*$!sip:info@example.com!" ."#),
    (RType::CAA, r#"0 issue "ca.example; account=230123""#),
    (RType::URI, r#"10 1 "ftp://ftp1.example.com/public""#),
    (RType::SSHFP, "4 2 ( C76D8329954DA2835751E371544E963EFDA099080D6C58DD2BFD9A31 6e162c83 )"),
    (RType::TLSA, "3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6"),
    (RType::SMIMEA, "3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6"),
    (RType::DS, "60485 5 1 ( 2BB183AF5F22588179A53B0A 98631FAD1A292118 )"),
    (RType::CDS, "0 0 0 00"),
    (RType::DNSKEY, "256 3 5 ( AQPSKmynfzW4kyBv015MUG2DeIQ3 Cbl+BBZH4b/0PY1kxkmvHjcZc8no kfzj31GajIQKY+5CptLr3buXA10h WqTkF7H6RfoRqXQeogmMHfpftf6z Mv1LyBUgia7za6ZEzOJBOztyvhjL 742iU/TpPSEDhm2SNKLijfUppn1U aNvv4w== )"),
    (RType::CDNSKEY, "0 3 0 AA=="),
    (RType::KEY, "256 3 5 AQPSKmyn"),
    (RType::RRSIG, "A 13 2 3600 20250101000000 20241201000000 12345 example. ( oJB1W6WNGv+ldvQ3WDG0MQkg5IEhjRip8WTr PYGv07h108dUKGMeDPKijVCHX3DDKdfb+v6o )"),
    (RType::SIG, "A 5 3 86400 1048354263 1045762263 2642 example.com. AAAA"),
    (RType::NSEC, "host.example.com. A MX RRSIG NSEC TYPE1234"),
    (RType::NSEC3, "1 1 12 aabbccdd ( 2t7b4g4vsa5smi47k61mv5bv1a22bojr A RRSIG )"),
    (RType::NSEC3PARAM, "1 0 12 aabbccdd"),
    (RType::SVCB, "1 . alpn=h2,h3 port=443 ipv4hint=192.0.2.1,192.0.2.2 ipv6hint=2001:db8::1 mandatory=alpn,port"),
    (RType::HTTPS, r#"1 svc.example.net. alpn="h2,h3" no-default-alpn ech=AEj+CgBE dohpath="/dns-query{?dns}" key65000="hi there" ohttp"#),
    (RType::OPENPGPKEY, "mQENBFd3pAoBCAC4"),
    (RType::DHCID, "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA="),
    (RType::ZONEMD, "2018031500 1 1 ( FEBE3D4CE2EC2FFA4BA99D46CD69D6D29711E55217057BEE 7EB1A7B641A47BA7FED2DD5B97AE499FAFA4F22C6BD647DE )"),
    (RType::CSYNC, "66 3 A NS AAAA"),
];

#[test]
fn every_type_with_a_layout_parses_and_round_trips_through_fmt_rdata() {
    for &(rtype, text) in EXAMPLES {
        round_trip(rtype, text);
    }
    for t in 0..=u16::MAX {
        if layout(RType(t)).is_some() {
            assert!(EXAMPLES.iter().any(|(r, _)| r.0 == t), "no example for {}", RType(t));
        }
    }
}

#[test]
fn more_forms_round_trip() {
    for (rtype, text) in [
        (RType::AAAA, "::ffff:192.0.2.1"),
        (RType::TXT, r#"\"unquoted\ with\ escapes\" "\255\000""#),
        (RType::NSEC3, "1 0 0 - 2t7b4g4vsa5smi47k61mv5bv1a22bojr"),
        (RType::NSEC3PARAM, "1 0 0 -"),
        (RType::NSEC, "next. "),
        (RType::HTTPS, "0 svc.example.net."),
        (RType::SVCB, "1 . key667=hello"),
        (RType::SVCB, r#"1 . alpn="a\\,b,c""#),
        (RType::CAA, r#"128 tbs """#),
        (RType::RRSIG, "TYPE65000 8 0 0 0 4294967295 0 . AAAA"),
        (RType::DNSKEY, "257 3 13 -"),
        (RType::MX, r"0 a\.b\032c.example."),
    ] {
        round_trip(rtype, text);
    }
}

#[test]
fn fields_encode_as_their_rfcs_say() {
    assert_eq!(rd(RType::A, "192.0.2.1"), [192, 0, 2, 1]);
    assert_eq!(rd(RType::MX, "10 mail"), [&[0u8, 10][..], b"\x04mail\x07example\x00"].concat());
    assert_eq!(rd(RType::TXT, r#""a b" c "" "\065""#), b"\x03a b\x01c\x00\x01A");
    assert_eq!(rd(RType::CAA, r#"0 issue "ca.example""#), b"\x00\x05issueca.example");
    assert_eq!(rd(RType::HINFO, r#""KLH-10" "ITS""#), b"\x06KLH-10\x03ITS");
    // BIND-style units in SOA timers, not in the serial.
    let soa = Soa::parse(&rd(RType::SOA, "ns1 hostmaster 2024010101 1h 15m 1w 5m")).unwrap();
    assert_eq!((soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum), (2024010101, 3600, 900, 604800, 300));
    assert_eq!(soa.mname, n("ns1.example."));
    assert!(matches!(parse_rdata(RType::SOA, "ns1 hm 1d 1 1 1 1", &origin()), Err(ErrorKind::BadNumber { .. })));
    // RRSIG times: YYYYMMDDHHmmSS and plain seconds give the same wire form.
    assert_eq!(
        rd(RType::RRSIG, "A 8 2 300 20010909014640 1000000000 1 . AAAA"),
        rd(RType::RRSIG, "A 8 2 300 1000000000 20010909014640 1 . AAAA")
    );
    // NSEC3: "-" salt is empty; the hash is base32hex, either case.
    let nsec3 = rd(RType::NSEC3, "1 0 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR NS");
    let v = Nsec3View::parse(&nsec3).unwrap();
    assert!(v.salt.is_empty());
    assert_eq!(v.next_hash, BASE32HEX_NOPAD.decode(b"2T7B4G4VSA5SMI47K61MV5BV1A22BOJR").unwrap());
    assert_eq!(bitmap_types(v.bitmap).collect::<Vec<_>>(), [RType::NS]);
}

/// RFC 9460 Appendix D.1 and D.2 test vectors.
#[test]
fn svcb_matches_rfc9460_appendix_d_vectors() {
    let foo_com = "03666f6f076578616d706c6503636f6d00";
    let foo_org = "03666f6f076578616d706c65036f726700";
    let cases: &[(RType, &str, String)] = &[
        (RType::HTTPS, "0 foo.example.com.", format!("0000 {foo_com}")),
        (RType::SVCB, "1 .", "0001 00".into()),
        (RType::SVCB, "16 foo.example.com. port=53", format!("0010 {foo_com} 0003 0002 0035")),
        (RType::SVCB, "1 foo.example.com. key667=hello", format!("0001 {foo_com} 029b 0005 68656c6c6f")),
        (RType::SVCB, r#"1 foo.example.com. key667="hello\210qoo""#, format!("0001 {foo_com} 029b 0009 68656c6c6fd2716f6f")),
        (
            RType::SVCB,
            r#"1 foo.example.com. ipv6hint="2001:db8::1,2001:db8::53:1""#,
            format!("0001 {foo_com} 0006 0020 20010db8000000000000000000000001 20010db8000000000000000000530001"),
        ),
        (
            RType::SVCB,
            "1 example.com. ipv6hint=2001:db8:ffff:ffff:ffff:ffff:198.51.100.100",
            "0001 076578616d706c6503636f6d00 0006 0010 20010db8ffffffffffffffffc6336464".into(),
        ),
        (
            RType::SVCB,
            "16 foo.example.org. ( alpn=h2,h3-19 mandatory=ipv4hint,alpn ipv4hint=192.0.2.1 )",
            format!("0010 {foo_org} 0000 0004 0001 0004 0001 0009 02 6832 05 68332d3139 0004 0004 c0000201"),
        ),
        (RType::SVCB, r#"16 foo.example.org. alpn="f\\\\oo\\,bar,h2""#, format!("0010 {foo_org} 0001 000c 08 665c6f6f2c626172 02 6832")),
        (RType::SVCB, r#"16 foo.example.org. alpn=f\\\092oo\092,bar,h2"#, format!("0010 {foo_org} 0001 000c 08 665c6f6f2c626172 02 6832")),
    ];
    for (rtype, text, wire) in cases {
        assert_eq!(rd(*rtype, text), hex(wire), "{text}");
    }
}

/// RFC 9460 Appendix D.3 failure cases, and the unbound test suite's variants of them.
#[test]
fn svcb_refuses_rfc9460_appendix_d3_failure_cases() {
    for (text, want) in [
        ("1 foo.example.com. key123=abc key123=def", "SvcParamKey key123 given twice"),
        ("1 foo.example.com. mandatory", "bad mandatory value"),
        ("1 foo.example.com. alpn", "bad alpn value"),
        ("1 foo.example.com. port", "bad port value"),
        ("1 foo.example.com. ipv4hint", "bad ipv4hint value"),
        ("1 foo.example.com. ipv6hint", "bad ipv6hint value"),
        ("1 foo.example.com. no-default-alpn=abc", "takes no value"),
        ("1 foo.example.com. mandatory=key123", "mandatory lists key123, which is not present"),
        ("1 foo.example.com. mandatory=mandatory", "mandatory cannot list itself"),
        ("1 foo.example.com. mandatory=key123,key123 key123=abc", "listed twice"),
        ("1 foo.example.com. no-default-alpn", "no-default-alpn requires alpn"),
        ("1 . port=65536", "expected a port number"),
        ("1 . ipv4hint=1.2.3", "bad IPv4 address"),
        ("1 . alpn=h2,,h3", "empty protocol id"),
        ("1 . bogus=1", "unknown SvcParamKey \"bogus\""),
        ("1 . key65535=1", "key65535 is reserved"),
        ("1 . key667= \"x\"", "unexpected quoted string \"x\""),
        ("1 . ech=not*base64", "bad base64"),
    ] {
        let e = parse_rdata(RType::SVCB, text, &origin()).expect_err(text).to_string();
        assert!(e.contains(want), "{text}: {e}");
    }
}

#[test]
fn svcb_keys_are_sorted_in_wire_form() {
    let wire = rd(RType::SVCB, "1 . port=443 alpn=h2");
    assert_eq!(wire, hex("0001 00 0001 0003 026832 0003 0002 01bb"));
}

#[test]
fn generic_rdata_works_for_known_and_unknown_types() {
    assert_eq!(rd(RType::A, r"\# 4 0A000001"), [10, 0, 0, 1]);
    assert_eq!(rd(RType(65000), r"\# 3 ( ab CD ef )"), [0xab, 0xcd, 0xef]);
    assert_eq!(rd(RType(65000), r"\# 0"), []);
    assert_eq!(rd(RType::MX, r"\# 3 000a00"), [0, 10, 0]);
    round_trip(RType(65000), r"\# 3 abcdef");
    round_trip(RType::LOC, r"\# 16 00 12 16 13 88 6d d8 24 70 a5 4b e0 00 98 96 80");
    let e = zone("@ 300 TYPE1 \\# 4 0A000001\nx 300 TYPE65280 \\# 2 beef\n");
    assert_eq!(e[0].record.rtype, RType::A);
    assert_eq!(&*e[0].record.rdata, [10, 0, 0, 1]);
    assert_eq!(e[1].record.rtype, RType(65280));
}

#[test]
fn generic_rdata_with_wrong_length_or_invalid_content_is_refused() {
    let e = zone_err("$TTL 1\na A \\# 4 0A0000\n");
    assert_eq!(e.line, 2);
    assert!(matches!(e.kind, ErrorKind::GenericLength { declared: 4, actual: 3 }), "{e}");
    let e = zone_err("$TTL 1\na A \\# 3 0A0000\n");
    assert!(matches!(e.kind, ErrorKind::InvalidRdata { rtype: RType::A, .. }), "{e}");
    let e = zone_err("$TTL 1\na MX \\# 3 000a03\n");
    assert!(matches!(e.kind, ErrorKind::InvalidRdata { rtype: RType::MX, .. }), "{e}");
    assert!(matches!(parse_rdata(RType::A, r"\# 4 0A00000Z", &origin()), Err(ErrorKind::BadHex(_))));
    assert!(matches!(parse_rdata(RType::A, r"\# 70000 00", &origin()), Err(ErrorKind::BadNumber { .. })));
    assert!(matches!(parse_rdata(RType::A, r"\#", &origin()), Err(ErrorKind::MissingField { .. })));
}

#[test]
fn types_without_a_layout_need_the_generic_form() {
    let e = zone_err("$TTL 1\nx LOC 52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m\n");
    assert!(matches!(e.kind, ErrorKind::NeedGeneric(RType::LOC)), "{e}");
    let e = zone_err("$TTL 1\nx TYPE65000 abc\n");
    assert!(matches!(e.kind, ErrorKind::NeedGeneric(RType(65000))), "{e}");
}

#[test]
fn owner_ttl_and_class_follow_rfc1035_section_5_1() {
    let e = zone(
        "$TTL 1h\n\
         @ IN 300 A 192.0.2.1\n\
         \x20 300 IN AAAA 2001:db8::1\n\
         www A 192.0.2.2\n\
         \tIN MX 10 mail\n\
         abs.example.net. CLASS1 TXT x\n\
         *.w 7 TXT y\n\
         a\\.b\\065 TXT z\n",
    );
    let got: Vec<(String, u32, RType)> = e.iter().map(|e| (e.record.owner.to_string(), e.record.ttl, e.record.rtype)).collect();
    assert_eq!(
        got,
        [
            ("example.".into(), 300, RType::A),
            ("example.".into(), 300, RType::AAAA),
            ("www.example.".into(), 3600, RType::A),
            ("www.example.".into(), 3600, RType::MX),
            ("abs.example.net.".into(), 3600, RType::TXT),
            ("*.w.example.".into(), 7, RType::TXT),
            (r"a\.bA.example.".into(), 3600, RType::TXT),
        ]
    );
    assert!(e.iter().all(|e| e.record.class == Class::IN));
    assert_eq!(e.iter().map(|e| e.line).collect::<Vec<_>>(), [2, 3, 4, 5, 6, 7, 8]);
}

#[test]
fn origin_directive_takes_relative_names_and_changes_later_records() {
    let e = zone("$TTL 1\na A 192.0.2.1\n$ORIGIN sub\nb A 192.0.2.2\n$ORIGIN other.test.\n@ NS ns\n");
    assert_eq!(e[0].record.owner, n("a.example."));
    assert_eq!(e[1].record.owner, n("b.sub.example."));
    assert_eq!(e[2].record.owner, n("other.test."));
    assert_eq!(&*e[2].record.rdata, n("ns.other.test.").wire());
}

#[test]
fn default_ttl_comes_from_dollar_ttl_then_the_previous_record() {
    let e = zone("a 600 A 192.0.2.1\nb A 192.0.2.2\n$TTL 100\nc A 192.0.2.3\nd 5 A 192.0.2.4\ne A 192.0.2.5\n");
    assert_eq!(e.iter().map(|e| e.record.ttl).collect::<Vec<_>>(), [600, 600, 100, 5, 100]);
}

#[test]
fn default_ttl_falls_back_to_the_caller_then_the_soa_minimum() {
    let e = parse_str("a A 192.0.2.1\nb A 192.0.2.2\n", "t", &origin(), Some(42)).unwrap();
    assert_eq!(e.iter().map(|e| e.record.ttl).collect::<Vec<_>>(), [42, 42]);
    // No $TTL, no TTL, no default: an SOA takes its own MINIMUM and later records follow it.
    let e = zone("@ SOA ns hm 1 2 3 4 3600\n NS ns\n");
    assert_eq!(e.iter().map(|e| e.record.ttl).collect::<Vec<_>>(), [3600, 3600]);
    let e = zone_err("; nothing sets a TTL\nwww A 192.0.2.1\n");
    assert_eq!(e.line, 2);
    assert!(matches!(e.kind, ErrorKind::NoTtl));
    assert_eq!(e.to_string(), "test.zone:2: no TTL for this record: add a $TTL directive or give the record a TTL (RFC 2308 §4)");
}

#[test]
fn ttl_above_2_pow_31_minus_1_is_refused() {
    let e = zone_err("$TTL 1\na 2147483648 A 192.0.2.1\n");
    assert_eq!((e.line, e.to_string().as_str()), (2, "test.zone:2: TTL 2147483648 exceeds 2147483647 (RFC 2181 §8)"));
    let e = zone_err("$TTL 4294967295\n");
    assert!(matches!(e.kind, ErrorKind::TtlTooLarge(4294967295)));
    let e = zone("a 2147483647 A 192.0.2.1\n");
    assert_eq!(e[0].record.ttl, MAX_TTL);
}

#[test]
fn class_must_be_the_same_throughout_the_file() {
    let e = zone("$TTL 1\na CH TXT x\nb TXT y\n");
    assert!(e.iter().all(|e| e.record.class == Class::CH));
    let e = zone_err("$TTL 1\na A 192.0.2.1\nb CH TXT y\n");
    assert_eq!(e.to_string(), "test.zone:3: class CH differs from the zone's class IN (RFC 1035 §5.2)");
    let e = zone_err("$TTL 1\na ANY A 192.0.2.1\n");
    assert!(matches!(e.kind, ErrorKind::MetaClass(Class::ANY)));
}

#[test]
fn meta_types_and_unknown_mnemonics_are_refused() {
    assert!(matches!(zone_err("$TTL 1\na OPT \\# 0\n").kind, ErrorKind::MetaType(RType::OPT)));
    assert!(matches!(zone_err("$TTL 1\na AXFR \\# 0\n").kind, ErrorKind::MetaType(RType::AXFR)));
    let e = zone_err("$TTL 1\na BOGUS 1\n");
    assert_eq!(e.to_string(), "test.zone:2: unknown record type \"BOGUS\" (for others write TYPEnnn)");
    let e = zone_err("$TTL 1\na 300 IN\n");
    assert!(matches!(e.kind, ErrorKind::MissingType));
}

#[test]
fn blank_owner_needs_a_previous_record() {
    let e = zone_err("$TTL 1\n  A 192.0.2.1\n");
    assert_eq!((e.line, e.to_string()), (2, "test.zone:2: record starts with a blank but there is no previous owner name".into()));
}

#[test]
fn directives_are_checked() {
    assert!(matches!(zone_err("$GENERATE 1-10 h$ A 192.0.2.$\n").kind, ErrorKind::UnknownDirective(_)));
    assert!(matches!(zone_err("$ORIGIN\n").kind, ErrorKind::DirectiveArgs { directive: "$ORIGIN", .. }));
    assert!(matches!(zone_err("$TTL 1 2\n").kind, ErrorKind::DirectiveArgs { directive: "$TTL", .. }));
    assert!(matches!(zone_err("$TTL 1x\n").kind, ErrorKind::BadTtl { .. }));
    assert!(matches!(zone_err("$INCLUDE\n").kind, ErrorKind::DirectiveArgs { directive: "$INCLUDE", .. }));
    // Directive names are case-insensitive; a `$` in an owner must be escaped.
    let e = zone("$ttl 5\n$origin example.net.\n\\$x A 192.0.2.1\n\t$TTL 6\n  A 192.0.2.2\n");
    assert_eq!((e[0].record.ttl, e[0].record.owner.to_string()), (5, r"\$x.example.net.".into()));
    // An indented directive is still a directive, and does not reset the previous owner.
    assert_eq!((e[1].record.ttl, &e[1].record.owner), (6, &e[0].record.owner));
}

#[test]
fn limits_on_names_labels_strings_and_rdata_are_enforced() {
    let long_label = "a".repeat(64);
    let e = zone_err(&format!("$TTL 1\n{long_label} A 192.0.2.1\n"));
    assert!(matches!(e.kind, ErrorKind::BadName { error: NameError::LabelTooLong, .. }), "{e}");
    let long_name = vec!["a".repeat(63); 4].join(".");
    let e = zone_err(&format!("$TTL 1\nx CNAME {long_name}\n"));
    assert!(matches!(e.kind, ErrorKind::BadName { error: NameError::TooLong, .. }), "{e}");
    assert!(parse_rdata(RType::TXT, &"a".repeat(255), &origin()).is_ok());
    let e = parse_rdata(RType::TXT, &format!("\"{}\"", "a".repeat(256)), &origin()).unwrap_err();
    assert_eq!(e.to_string(), "character-string of 256 octets exceeds 255 (RFC 1035 §3.3)");
    let e = parse_rdata(RType::TXT, &vec!["a".repeat(255); 300].join(" "), &origin()).unwrap_err();
    assert!(matches!(e, ErrorKind::RdataTooLong(76800)), "{e}");
    assert!(matches!(parse_rdata(RType::NSEC3PARAM, &format!("1 0 0 {}", "00".repeat(256)), &origin()), Err(ErrorKind::FieldTooLong(256))));
    assert!(matches!(parse_rdata(RType::MX, "65536 mail", &origin()), Err(ErrorKind::BadNumber { max: 65535, .. })));
    assert!(matches!(parse_rdata(RType::CAA, "0 is-sue x", &origin()), Err(ErrorKind::BadCaaTag(_))));
}

#[test]
fn bad_ipv4_is_reported_with_file_line_and_reason() {
    let text = "$TTL 1\n".repeat(16) + "www A 1.2.3\n";
    let e = parse_str(&text, "zones/example.zone", &origin(), None).unwrap_err();
    assert_eq!(e.to_string(), "zones/example.zone:17: bad IPv4 address \"1.2.3\": expected four dot-separated octets");
    let e = zone_err("$TTL 1\nwww A 192.0.2.01\n");
    assert_eq!(e.to_string(), "test.zone:2: bad IPv4 address \"192.0.2.01\": octet with a leading zero");
    let e = zone_err("$TTL 1\nwww A 192.0.2.256\n");
    assert_eq!(e.to_string(), "test.zone:2: bad IPv4 address \"192.0.2.256\": octet above 255");
}

#[test]
fn errors_inside_a_parenthesised_record_name_the_line_of_the_bad_token() {
    let text = "$TTL 1\n@ SOA ns hm (\n  1 ; serial\n  2h\n  x3\n  4 5 )\n";
    let e = zone_err(text);
    assert_eq!(e.line, 5);
    assert!(matches!(e.kind, ErrorKind::BadTtl { .. }), "{e}");
    // Something missing is reported on the record's last line, where it was expected.
    let e = zone_err("$TTL 1\n@ SOA ns hm (\n  1 2\n  3 4 )\nnext A 192.0.2.1\n");
    assert_eq!(e.to_string(), "test.zone:4: SOA RDATA ends early: missing 32-bit number");
    let e = zone_err("$TTL 1\n@ MX ( 10\n mail extra\n )\n");
    assert_eq!(e.to_string(), "test.zone:3: unexpected \"extra\" after the end of MX RDATA");
    // The entry's own line is its first line.
    let e = zone("$TTL 1\n\n@ SOA ns hm (\n 1 2 3 4 5 )\n");
    assert_eq!(e[0].line, 3);
}

#[test]
fn lexical_errors_name_their_line() {
    let e = zone_err("$TTL 1\na TXT \"fine\"\nb TXT \"unterminated\nc A 192.0.2.1\n");
    assert_eq!((e.line, matches!(e.kind, ErrorKind::UnterminatedQuote)), (3, true));
    let e = zone_err("$TTL 1\na A 192.0.2.1\nb SOA ns hm ( 1 2 3\n 4 5\n");
    assert_eq!((e.line, matches!(e.kind, ErrorKind::UnclosedParen)), (3, true));
    let e = zone_err("$TTL 1\na TXT x\\\n");
    assert!(matches!(e.kind, ErrorKind::BadEscape(_)), "{e}");
    let e = zone_err("$TTL 1\na CNAME b\\256\n");
    assert!(matches!(e.kind, ErrorKind::BadName { error: NameError::BadEscape, .. }), "{e}");
}

#[test]
fn include_resolves_relative_to_including_file() {
    let path = fixture("include/main.zone");
    let e = parse_file(&path, &Name::root(), None).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<(String, u32, String, usize)> = e
        .iter()
        .map(|e| {
            let file = Path::new(&*e.file).strip_prefix(fixture("include")).unwrap().display().to_string();
            (e.record.owner.to_string(), e.record.ttl, file, e.line)
        })
        .collect();
    assert_eq!(
        got,
        [
            ("example.".into(), 300, "main.zone".into(), 5),
            ("example.".into(), 300, "main.zone".into(), 6),
            ("ns.example.".into(), 300, "main.zone".into(), 7),
            // The included file runs with origin hosts.example. and its own $TTL 60.
            ("www.hosts.example.".into(), 60, "sub/hosts.zone".into(), 3),
            ("mail.hosts.example.".into(), 60, "sub/more.zone".into(), 2),
            // Back in main.zone: origin, $TTL and the previous owner are as before.
            ("ns.example.".into(), 300, "main.zone".into(), 9),
            ("after.example.".into(), 300, "main.zone".into(), 10),
        ]
    );
}

#[test]
fn errors_in_an_included_file_name_that_file_and_line() {
    let e = parse_file(&fixture("include-error/main.zone"), &Name::root(), None).unwrap_err();
    assert_eq!(e.file.as_ref(), fixture("include-error/child.zone").display().to_string());
    assert_eq!(e.line, 3);
    assert!(e.to_string().ends_with("child.zone:3: bad IPv4 address \"1.2.3\": expected four dot-separated octets"), "{e}");
}

#[test]
fn include_loops_are_refused() {
    let e = parse_file(&fixture("include-loop/a.zone"), &Name::root(), None).unwrap_err();
    assert!(matches!(e.kind, ErrorKind::IncludeLoop(_)), "{e}");
    assert!(e.file.ends_with("b.zone") && e.line == 2, "{e}");
}

#[test]
fn missing_files_are_reported() {
    let e = parse_str("$TTL 1\n$INCLUDE does-not-exist.zone\n", &fixture("x.zone").display().to_string(), &origin(), None).unwrap_err();
    assert!(matches!(e.kind, ErrorKind::Include { .. }), "{e}");
    assert_eq!(e.line, 2);
    let e = parse_file(&fixture("does-not-exist.zone"), &origin(), None).unwrap_err();
    assert!(matches!(e.kind, ErrorKind::Io(_)));
    assert_eq!(e.line, 0);
    assert!(e.to_string().contains("does-not-exist.zone: cannot read zone file: "), "{e}");
}

#[test]
fn include_depth_above_ten_is_refused() {
    let dir = std::env::temp_dir().join(format!("tern-zonefile-depth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write_chain = |len: usize| {
        for i in 0..len {
            let body = if i + 1 < len { format!("$INCLUDE f{}.zone\n", i + 1) } else { "$TTL 1\nend A 192.0.2.1\n".into() };
            std::fs::write(dir.join(format!("f{i}.zone")), body).unwrap();
        }
    };
    // f0 plus ten nested files is allowed ...
    write_chain(MAX_INCLUDE_DEPTH + 1);
    let ok = parse_file(&dir.join("f0.zone"), &origin(), None);
    // ... one more is not.
    write_chain(MAX_INCLUDE_DEPTH + 2);
    let too_deep = parse_file(&dir.join("f0.zone"), &origin(), None);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(ok.unwrap_or_else(|e| panic!("{e}")).len(), 1);
    let e = too_deep.unwrap_err();
    assert!(matches!(e.kind, ErrorKind::IncludeTooDeep), "{e}");
    assert!(e.file.ends_with("f10.zone"), "{e}");
}

/// RFC 5155 Appendix A, copied from the RFC text.
#[test]
fn rfc5155_appendix_a_zone_loads() {
    let path = fixture("rfc5155-appendix-a.zone");
    let text = std::fs::read_to_string(&path).unwrap();
    let e = parse_file(&path, &Name::root(), None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(e.len(), 70);
    let count = |t: RType| e.iter().filter(|e| e.record.rtype == t).count();
    assert_eq!((count(RType::RRSIG), count(RType::NSEC3), count(RType::A), count(RType::NS)), (30, 12, 9, 6));
    assert!(e.iter().all(|e| e.record.ttl == 3600 && e.record.class == Class::IN));

    let soa = &e[0];
    assert_eq!(soa.record.rtype, RType::SOA);
    assert_eq!(soa.line, text.lines().position(|l| l.starts_with("example. 3600")).unwrap() + 1);
    let s = Soa::parse(&soa.record.rdata).unwrap();
    assert_eq!((s.mname, s.rname), (n("ns1.example."), n("bugs.x.w.example.")));
    assert_eq!((s.serial, s.refresh, s.retry, s.expire, s.minimum), (1, 3600, 300, 3_600_000, 3600));

    let sig = RrsigView::parse(&e[1].record.rdata).unwrap();
    assert_eq!((sig.covered, sig.algorithm, sig.labels, sig.original_ttl, sig.key_tag), (RType::SOA, 7, 1, 3600, 40430));
    let day = |y, m, d| crate::wire::rdata::days_from_civil(y, m, d) as u32 * 86400;
    assert_eq!((sig.expiration, sig.inception), (day(2015, 4, 20) + 86399, day(2005, 10, 21)));
    assert_eq!(sig.signer, Name::parse("example.", None).unwrap().wire());
    assert_eq!(sig.signature.len(), 64);

    let param = e.iter().find(|e| e.record.rtype == RType::NSEC3PARAM).unwrap();
    assert_eq!(&*param.record.rdata, [1, 0, 0, 12, 4, 0xaa, 0xbb, 0xcc, 0xdd]);

    let apex_nsec3 = e.iter().find(|e| e.record.owner == n("0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example.")).unwrap();
    let v = Nsec3View::parse(&apex_nsec3.record.rdata).unwrap();
    assert_eq!((v.hash_alg, v.flags, v.iterations, v.salt), (1, 1, 12, &[0xaa, 0xbb, 0xcc, 0xdd][..]));
    assert_eq!(v.next_hash, BASE32HEX_NOPAD.decode(b"2T7B4G4VSA5SMI47K61MV5BV1A22BOJR").unwrap());
    let mut types: Vec<RType> = bitmap_types(v.bitmap).collect();
    types.sort();
    assert_eq!(types, [RType::NS, RType::SOA, RType::MX, RType::RRSIG, RType::DNSKEY, RType::NSEC3PARAM]);

    let ds = e.iter().find(|e| e.record.rtype == RType::DS).unwrap();
    assert_eq!(ds.record.owner, n("a.example."));
    let d = DsView::parse(&ds.record.rdata).unwrap();
    assert_eq!((d.key_tag, d.algorithm, d.digest_type), (58470, 5, 1));
    assert_eq!(d.digest, hex("3079F1593EBAD6DC121E202A8B766A6A4837206C"));

    let hinfo = e.iter().find(|e| e.record.rtype == RType::HINFO && e.record.owner == n("ai.example.")).unwrap();
    assert_eq!(&*hinfo.record.rdata, b"\x06KLH-10\x03ITS");
    assert!(e.iter().any(|e| e.record.owner == n("*.w.example.") && e.record.rtype == RType::MX));
    let aaaa = e.iter().find(|e| e.record.rtype == RType::AAAA).unwrap();
    assert_eq!(&*aaaa.record.rdata, hex("20010db8 0000 0000 0000 0000 0f00 baa9").as_slice());

    // Every record prints and parses back to the same RDATA.
    for entry in &e {
        let r = &entry.record;
        assert_eq!(rd(r.rtype, &r.rdata_text()), &*r.rdata, "{r}");
    }
    // parse_str on the same text agrees.
    assert_eq!(parse_str(&text, &path.display().to_string(), &Name::root(), None).unwrap(), e);
}

/// RFC 4034 Appendix B key tag.
fn key_tag(rdata: &[u8]) -> u16 {
    let mut ac: u32 = 0;
    for (i, &b) in rdata.iter().enumerate() {
        ac += if i & 1 == 1 { b as u32 } else { (b as u32) << 8 };
    }
    ac += (ac >> 16) & 0xffff;
    (ac & 0xffff) as u16
}

/// RFC 4034 §2.3, §3.3, §4.3 and §5.4 examples; the §5.4 DS digest is recomputed from
/// the parsed DNSKEY, which checks the key's base64 was decoded exactly.
#[test]
fn rfc4034_examples_load_and_the_ds_matches_the_dnskey() {
    let e = parse_file(&fixture("rfc4034-examples.zone"), &Name::root(), None).unwrap_or_else(|e| panic!("{e}"));
    let types: Vec<RType> = e.iter().map(|e| e.record.rtype).collect();
    assert_eq!(types, [RType::DNSKEY, RType::RRSIG, RType::NSEC, RType::DNSKEY, RType::DS]);

    let nsec = &e[2].record.rdata;
    let mut expect = b"\x04host\x07example\x03com\x00".to_vec();
    expect.extend_from_slice(&[0x00, 0x06, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03, 0x04, 0x1b]);
    expect.extend_from_slice(&[0; 26]);
    expect.push(0x20);
    assert_eq!(&**nsec, expect.as_slice());

    let sig = RrsigView::parse(&e[1].record.rdata).unwrap();
    assert_eq!((sig.covered, sig.algorithm, sig.labels, sig.original_ttl, sig.key_tag), (RType::A, 5, 3, 86400, 2642));

    let (dnskey, ds) = (&e[3].record, &e[4].record);
    let k = DnskeyView::parse(&dnskey.rdata).unwrap();
    assert_eq!((k.flags, k.protocol, k.algorithm), (256, 3, 5));
    assert_eq!(key_tag(&dnskey.rdata), 60485);
    let d = DsView::parse(&ds.rdata).unwrap();
    assert_eq!((d.key_tag, d.algorithm, d.digest_type), (60485, 5, 1));
    let signed = [dnskey.owner.to_lowercase().wire(), &dnskey.rdata].concat();
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &signed);
    assert_eq!(digest.as_ref(), d.digest);
}

#[test]
fn rfc9432_catalog_zone_loads() {
    let e = parse_file(&fixture("rfc9432-appendix-a.zone"), &Name::root(), None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(e.len(), 11);
    assert!(e.iter().all(|e| e.record.ttl == 0));
    let soa = Soa::parse(&e[0].record.rdata).unwrap();
    assert_eq!((soa.serial, soa.expire, soa.minimum), (1625079950, 2147483646, 0));
    let members: Vec<String> = e.iter().filter(|e| e.record.rtype == RType::PTR).map(|e| e.record.owner.to_string()).collect();
    assert_eq!(members.len(), 4);
    assert_eq!(members[0], "nj2xg5b.zones.catalog.invalid.");
    let group = e.iter().find(|e| e.record.owner == n("group.nfwxa33.zones.catalog.invalid.")).unwrap();
    assert_eq!(&*group.record.rdata, b"\x0eoperator-y-bar");
    assert_eq!(e[10].line, 11);
}

#[test]
fn entries_carry_their_location() {
    let e = parse_str("$TTL 1\n\nwww A 192.0.2.1\n", "zones/a.zone", &origin(), None).unwrap();
    assert_eq!(e[0].location(), "zones/a.zone:3");
}

/// A small deterministic generator for the garbage tests.
struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Parses without panicking; true if the text was accepted.
fn parse_garbage(buf: &[u8]) -> bool {
    // A path in no real directory, so a stray $INCLUDE cannot reach real files.
    parse_bytes(buf, "garbage".into(), Path::new("/nonexistent-tern-dir/garbage"), &origin(), Some(1)).is_ok()
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    const ALPHABET: &[u8] = b" \t\n\n;()\"\\\\$@.*0123456789aAfFzZ=,-+/#INSOATXTRRSIGNSEC3SVCBHTTPS\xff\x00";
    for _ in 0..3000 {
        let len = rng.below(200);
        let buf: Vec<u8> =
            (0..len).map(|_| if rng.below(4) == 0 { rng.next() as u8 } else { ALPHABET[rng.below(ALPHABET.len())] }).collect();
        parse_garbage(&buf);
    }
}

#[test]
fn mutated_rfc_zones_never_panic() {
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    let texts = [
        std::fs::read(fixture("rfc5155-appendix-a.zone")).unwrap(),
        std::fs::read(fixture("rfc4034-examples.zone")).unwrap(),
        EXAMPLES.iter().map(|(t, r)| format!("x 1 {t} {r}\n")).collect::<String>().into_bytes(),
    ];
    let mut accepted = 0;
    for i in 0..600 {
        let mut buf = texts[i % texts.len()].clone();
        for _ in 0..1 + rng.below(8) {
            if buf.is_empty() {
                break;
            }
            let at = rng.below(buf.len());
            match rng.below(4) {
                0 => buf[at] = rng.next() as u8,
                1 => {
                    buf.remove(at);
                }
                2 => buf.insert(at, b" \n()\"\\;0x.-="[rng.below(12)]),
                _ => buf.truncate(at),
            }
        }
        accepted += parse_garbage(&buf) as usize;
    }
    // Some mutations are harmless (inside comments, a changed digit), most are not.
    assert!(accepted > 0 && accepted < 600, "{accepted}");
}

#[test]
fn every_prefix_of_every_example_is_handled_without_panic() {
    for &(rtype, text) in EXAMPLES {
        let toks: Vec<&str> = text.split_whitespace().collect();
        for k in 0..toks.len() {
            let _ = parse_rdata(rtype, &toks[..k].join(" "), &origin());
        }
    }
    for bad in ["\"", "(", ")", "\\", "\\#", "\\# 1", "\\# 1 0", "( \\# 2 00", "\"\\", "a\\"] {
        for t in [RType::A, RType::TXT, RType::SVCB, RType(65000)] {
            assert!(parse_rdata(t, bad, &origin()).is_err(), "{t} {bad:?}");
        }
        assert!(!parse_garbage(format!("$TTL 1\nx TXT {bad}").as_bytes()), "{bad:?}");
        parse_garbage(bad.as_bytes());
    }
}

/// A large zone loads completely (speed is measured by the benchmark, not here).
#[test]
fn loads_100k_records() {
    let mut text = String::from("$TTL 3600\n@ SOA ns hm 1 2 3 4 5\n NS ns\n");
    for i in 0..100_000 {
        match i % 4 {
            0 => text.push_str(&format!("host{i} A 192.0.{}.{}\n", (i / 256) % 256, i % 256)),
            1 => text.push_str(&format!("host{i} 300 IN AAAA 2001:db8::{:x}:{:x}\n", i >> 16, i & 0xffff)),
            2 => text.push_str(&format!("host{i} MX 10 mail{i}\n")),
            _ => text.push_str(&format!("host{i} TXT \"v=spf1 -all\" \"record {i}\"\n")),
        }
    }
    let e = parse_str(&text, "big.zone", &origin(), None).unwrap();
    assert_eq!(e.len(), 100_002);
}
