//! tern-resolver's `[policy]` (local data, blocking rules; RFC 8914 §4.16 "Blocked") and
//! `[dns64]` (RFC 6147, RFC 6052), through the real binary, with answers read by `dig`
//! as well as by our own decoder; the data behind them is a signed zone on tern-auth
//! reached through a forward zone.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;
use tern_shared::wire::{flags, rcode, RType};
use tern_tests::*;

struct Setup {
    dir: tempfile::TempDir,
    _auth: Auth,
    res: Proc,
    addr: SocketAddr,
    control: SocketAddr,
    cfg: std::path::PathBuf,
    forward: String,
}

const POLICY: &str = r#"
[policy]
local_data = ["printer.lan. 60 A 192.0.2.7", "printer.lan. 60 AAAA 2001:db8::7"]
[[policy.rule]]
action = "pass"
name = ["ok.blocked.example."]
[[policy.rule]]
action = "deny"
suffix = ["blocked.example.", "www.example.com."]
[[policy.rule]]
action = "deny"
suffix_files = ["blocklist.txt"]
[[policy.rule]]
action = "refuse"
name = ["refused.example."]
[[policy.rule]]
action = "truncate"
suffix = ["tc.example."]
[[policy.rule]]
action = "drop"
suffix = ["dropped.example."]
[dns64]
prefix = "64:ff9b::/96"
"#;

fn setup(policy: &str) -> Setup {
    let dir = scratch();
    let (auth, anchor) = signed_example_com(dir.path());
    let control = fresh_addr(8954);
    let cfg = dir.path().join("resolver.toml");
    // A hosts-style blocklist beside the config (relative paths are taken from there).
    std::fs::write(dir.path().join("blocklist.txt"), "# list\n0.0.0.0 listed.example\n").unwrap();
    let forward = format!(
        "[server]\ncontrol = \"{control}\"\n[iterator]\nresolution_timeout = \"2s\"\n[dnssec]\ntrust_anchor_files = [\"{}\"]\n[[forward_zone]]\nname = \"example.com.\"\ntargets = [\"{}\"]\n",
        anchor.display(),
        auth.addr
    );
    std::fs::write(&cfg, format!("{forward}{policy}")).unwrap();
    let (res, addr) = start_resolver(dir.path(), &["--config", &cfg.display().to_string()]);
    Setup { dir, _auth: auth, res, addr, control, cfg, forward }
}

/// `dig` output for a question to `addr`.
fn dig(addr: SocketAddr, name: &str, qtype: &str, extra: &[&str]) -> String {
    let server = format!("@{}", addr.ip());
    let port = addr.port().to_string();
    let mut args = vec![server.as_str(), "-p", port.as_str(), name, qtype, "+tries=1", "+time=5"];
    args.extend_from_slice(extra);
    let (_, out, err) = run_bounded(Path::new("dig"), &args, Duration::from_secs(30));
    format!("{out}{err}")
}

#[test]
fn blocked_names_get_nxdomain_with_ede_blocked_and_pass_rules_win() {
    let s = setup(POLICY);
    let r = query(s.addr, "ads.Blocked.example.", RType::A, Q::rd());
    assert_eq!(r.rcode(), rcode::NXDOMAIN, "{}", r.summary());
    assert!(r.flag(flags::AA) && r.flag(flags::RA));
    assert_eq!(r.ede(), Some(15), "RFC 8914 §4.16 Blocked: {}", r.summary());
    assert_eq!(Response::types(&r.msg.authority), vec![RType::SOA], "a SOA for negative caching");
    // A cached, validated name is blocked too: policy comes before the caches.
    let w = query(s.addr, "www.example.com.", RType::A, Q::rd());
    assert_eq!(w.rcode(), rcode::NXDOMAIN, "{}", w.summary());
    assert_eq!(query(s.addr, "mail.example.com.", RType::A, Q::rd()).answers(RType::A), vec!["192.0.2.2"], "other names resolve");
    // The pass rule comes first; with no servers for it, the name then fails to resolve.
    let ok = query(s.addr, "ok.blocked.example.", RType::A, Q::rd());
    assert_ne!(ok.rcode(), rcode::NXDOMAIN, "pass rule: {}", ok.summary());
    assert_eq!(query(s.addr, "www.listed.example.", RType::A, Q::rd()).rcode(), rcode::NXDOMAIN, "from suffix_files");
    assert_eq!(query(s.addr, "refused.example.", RType::A, Q::rd()).rcode(), rcode::REFUSED);
    assert_eq!(query(s.addr, "www.refused.example.", RType::A, Q::rd()).rcode(), rcode::SERVFAIL, "`name` is exact");
    let tc = query(s.addr, "x.tc.example.", RType::A, Q::rd());
    assert!(tc.flag(flags::TC) && tc.msg.answers.is_empty(), "{}", tc.summary());
    let tcp = query(s.addr, "x.tc.example.", RType::A, Q { tcp: true, ..Q::rd() });
    assert!(!tcp.flag(flags::TC), "over TCP the truncate rule does not apply: {}", tcp.summary());
    let dropped = try_query(s.addr, "x.dropped.example.", RType::A, Q::rd());
    assert!(dropped.is_none(), "drop sends nothing");
    if require("dig") {
        let out = dig(s.addr, "tracker.blocked.example", "A", &[]);
        assert!(out.contains("status: NXDOMAIN") && out.contains("EDE: 15 (Blocked)"), "dig:\n{out}");
        assert!(out.contains("blocked.example.") && out.contains("SOA"), "dig:\n{out}");
    }
}

#[test]
fn local_data_is_served_with_reverse_ptr_and_nodata_for_other_types() {
    let s = setup(POLICY);
    let a = query(s.addr, "printer.lan.", RType::A, Q::rd());
    assert_eq!(a.answers(RType::A), vec!["192.0.2.7"], "{}", a.summary());
    assert_eq!(a.msg.answers[0].ttl, 60);
    let mx = query(s.addr, "printer.lan.", RType::MX, Q::rd());
    assert!(mx.rcode() == rcode::NOERROR && mx.msg.answers.is_empty(), "NODATA: {}", mx.summary());
    if require("dig") {
        let out = dig(s.addr, "-x", "192.0.2.7", &["+short"]);
        assert_eq!(out.trim(), "printer.lan.", "dig -x");
        let out = dig(s.addr, "-x", "2001:db8::7", &["+short"]);
        assert_eq!(out.trim(), "printer.lan.", "dig -x (ip6.arpa)");
    }
}

#[test]
fn dns64_synthesises_aaaa_only_where_none_exists() {
    let s = setup(POLICY);
    // mail.example.com has only an A record (192.0.2.2): RFC 6052 embedding in 64:ff9b::/96.
    let m = query(s.addr, "mail.example.com.", RType::AAAA, Q::rd_dnssec());
    assert_eq!(m.answers(RType::AAAA), vec!["64:ff9b::c000:202"], "{}", m.summary());
    assert!(!m.flag(flags::AD), "synthesised data is not authentic: {}", m.summary());
    // A real AAAA is returned as it is, validated (www is blocked by the policy, so ns2).
    let real = query(s.addr, "ns2.example.com.", RType::AAAA, Q::rd_dnssec());
    assert_eq!(real.answers(RType::AAAA), vec!["2001:db8::2"], "{}", real.summary());
    assert!(real.flag(flags::AD));
    // NXDOMAIN stays NXDOMAIN (RFC 6147 §5.1.2).
    assert_eq!(query(s.addr, "nope.example.com.", RType::AAAA, Q::rd()).rcode(), rcode::NXDOMAIN);
    // CD+DO: the client validates, so no synthesis (RFC 6147 §5.5).
    let cd = query(s.addr, "mail.example.com.", RType::AAAA, Q { cd: true, ..Q::rd_dnssec() });
    assert!(cd.rcode() == rcode::NOERROR && cd.msg.answers.is_empty(), "{}", cd.summary());
    if require("dig") {
        let out = dig(s.addr, "mail.example.com", "AAAA", &["+short"]);
        assert_eq!(out.trim(), "64:ff9b::c000:202", "dig");
    }
    // The PTR of a synthesised address maps to the IPv4 name (RFC 6147 §5.3.1), whose
    // PTR here is local data (printer.lan. A 192.0.2.7 has a reverse PTR).
    let v6: std::net::IpAddr = "64:ff9b::c000:207".parse().unwrap();
    let ptr = query(s.addr, &tern_resolver::policy::reverse_name(v6).to_string(), RType::PTR, Q::rd());
    assert_eq!(ptr.answers(RType::PTR), vec!["printer.lan."], "{}", ptr.summary());
    assert_eq!(ptr.answers(RType::CNAME), vec!["7.2.0.192.in-addr.arpa."], "{}", ptr.summary());
    if require("dig") {
        let out = dig(s.addr, "-x", "64:ff9b::c000:207", &["+short"]);
        assert!(out.lines().any(|l| l.trim() == "printer.lan."), "dig -x: {out}");
    }
}

#[test]
fn dns64_serves_only_its_clients() {
    // DNS64 for 127.0.0.2 only (dns64.clients): other clients get the AAAA answer as it
    // is, from the packet cache too (asked twice each way, interleaved).
    let s = setup("[dns64]\nprefix = \"64:ff9b::/96\"\nclients = [\"127.0.0.2/32\"]\n");
    let (nat64, other) = (std::net::Ipv4Addr::new(127, 0, 0, 2), std::net::Ipv4Addr::new(127, 0, 0, 1));
    for _ in 0..2 {
        let m = query_from(other, s.addr, "mail.example.com.", RType::AAAA, Q::rd());
        assert!(m.rcode() == rcode::NOERROR && m.msg.answers.is_empty(), "not a DNS64 client: {}", m.summary());
        let m = query_from(nat64, s.addr, "mail.example.com.", RType::AAAA, Q::rd());
        assert_eq!(m.answers(RType::AAAA), vec!["64:ff9b::c000:202"], "{}", m.summary());
    }
    if require("dig") {
        let out = dig(s.addr, "mail.example.com", "AAAA", &["+short", "-b", "127.0.0.2"]);
        assert_eq!(out.trim(), "64:ff9b::c000:202", "dig -b 127.0.0.2");
        let out = dig(s.addr, "mail.example.com", "AAAA", &["+short", "-b", "127.0.0.1"]);
        assert_eq!(out.trim(), "", "dig -b 127.0.0.1");
    }
    // A bad entry refuses the config, naming it.
    let dir = scratch();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "[dns64]\nprefix = \"64:ff9b::/96\"\nclients = [\"127.0.0.2/33\"]\n").unwrap();
    let (ok, out, err) =
        run_bounded(&bin("tern-resolver"), &["--config", &cfg.display().to_string(), "--check-config"], Duration::from_secs(30));
    assert!(!ok && format!("{out}{err}").contains("dns64.clients[0]"), "{out}{err}");
}

#[test]
fn reload_replaces_the_policy_without_restart() {
    let mut s = setup(POLICY);
    assert_eq!(query(s.addr, "www.example.com.", RType::A, Q::rd()).rcode(), rcode::NXDOMAIN);
    // Without the rules www resolves again; a bad policy is refused with the key named and
    // the running policy kept.
    std::fs::write(&s.cfg, format!("{}[[policy.rule]]\naction = \"block\"\nall = true\n", s.forward)).unwrap();
    let ctl = |control: SocketAddr| {
        run_bounded(&bin("tern-resolver"), &["ctl", "reload", "--control", &control.to_string()], Duration::from_secs(30))
    };
    let (_, out, err) = ctl(s.control);
    assert!(format!("{out}{err}").contains("policy.rule[0].action"), "{out}{err}");
    assert_eq!(query(s.addr, "www.example.com.", RType::A, Q::rd()).rcode(), rcode::NXDOMAIN, "old policy kept");
    std::fs::write(&s.cfg, &s.forward).unwrap();
    let (ok, out, err) = ctl(s.control);
    assert!(ok && out.contains("reloaded"), "{out}{err}");
    let r = query(s.addr, "www.example.com.", RType::A, Q::rd());
    assert_eq!(r.answers(RType::A), vec!["192.0.2.3"], "{}", r.summary());
    assert!(s.res.running(), "{}", s.res.log_text());
    let _ = s.dir.path();
}

#[test]
fn renumbered_addresses_are_answered_without_signatures_or_ad() {
    // mail.example.com A 192.0.2.2 (signed, secure) is answered inside 198.51.100.0/24.
    let s = setup("[[policy.renumber]]\nfrom = \"192.0.2.0/24\"\nto = \"198.51.100.0\"\n");
    let r = query(s.addr, "mail.example.com.", RType::A, Q::rd_dnssec());
    assert_eq!(r.answers(RType::A), vec!["198.51.100.2"], "{}", r.summary());
    assert!(!r.flag(flags::AD), "rewritten data is not authentic: {}", r.summary());
    assert_eq!(r.msg.answers.iter().filter(|x| x.rtype == RType::RRSIG).count(), 0, "no RRSIG for the rewritten RRset");
    // Twice: the second answer comes from the packet cache, rewritten as well.
    assert_eq!(query(s.addr, "mail.example.com.", RType::A, Q::rd_dnssec()).answers(RType::A), vec!["198.51.100.2"]);
    if require("dig") {
        let out = dig(s.addr, "mail.example.com", "A", &["+short"]);
        assert_eq!(out.trim(), "198.51.100.2", "dig");
    }
}
