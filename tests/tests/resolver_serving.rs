//! tern-resolver's client side (RFC 1035 §4.1.1, RFC 6891, RFC 7766): ACL, malformed
//! queries, EDNS versions, truncation then TCP, all through a forward zone to a
//! tern-auth on loopback (no root needed).

use std::net::SocketAddr;
use std::time::Duration;
use tern_shared::wire::{flags, rcode, RType};
use tern_tests::*;

struct Setup {
    _dir: tempfile::TempDir,
    _auth: Auth,
    _res: Proc,
    addr: SocketAddr,
}

fn setup(extra: &[&str]) -> Setup {
    setup_with(extra, true)
}

fn setup_with(extra: &[&str], with_anchor: bool) -> Setup {
    let dir = scratch();
    let (auth, anchor) = signed_example_com(dir.path());
    let forward = format!("example.com.={}", auth.addr);
    let anchor_text = anchor.display().to_string();
    let mut args = vec!["--forward-zone", forward.as_str()];
    if with_anchor {
        args.extend(["--trust-anchor", anchor_text.as_str()]);
    }
    args.extend_from_slice(extra);
    let (res, addr) = start_resolver(dir.path(), &args);
    Setup { _dir: dir, _auth: auth, _res: res, addr }
}

#[test]
fn clients_outside_allow_from_are_refused() {
    let s = setup(&["--allow-from", "10.0.0.0/8"]);
    let r = query(s.addr, "www.example.com.", RType::A, Q::rd());
    assert_eq!(r.rcode(), rcode::REFUSED);
    assert!(!r.flag(flags::RA), "no recursion for refused clients");
    assert!(r.msg.answers.is_empty());
}

#[test]
fn forwarded_internal_zone_validates_with_the_ds_from_tern_auth() {
    let s = setup(&[]);
    let r = query(s.addr, "www.example.com.", RType::A, Q::rd_dnssec());
    assert_eq!(r.rcode(), rcode::NOERROR);
    assert!(r.flag(flags::AD) && r.flag(flags::RA), "{}", r.summary());
    let nx = query(s.addr, "nope.example.com.", RType::A, Q::rd_dnssec());
    assert_eq!(nx.rcode(), rcode::NXDOMAIN);
    assert!(nx.flag(flags::AD), "NXDOMAIN proven: {}", nx.summary());
    let wc = query(s.addr, "x.wild.example.com.", RType::A, Q::rd_dnssec());
    assert!(wc.flag(flags::AD), "wildcard proven: {}", wc.summary());
}

#[test]
fn malformed_queries_get_formerr_and_runts_are_dropped() {
    let s = setup(&[]);
    let good = build_query(7, "www.example.com.", RType::A, Q::rd());
    let mut two = good.clone();
    two[5] = 2;
    let resp = decode(udp_exchange(s.addr, &two, Duration::from_secs(3)).expect("reply"));
    assert_eq!(resp.rcode(), rcode::FORMERR);
    assert!(udp_exchange(s.addr, &[0, 1, 2], Duration::from_millis(300)).is_none());
    let r = query(s.addr, "www.example.com.", RType::A, Q { edns_version: 1, ..Q::rd() });
    assert_eq!(r.rcode(), rcode::BADVERS);
    assert_eq!(query(s.addr, "www.example.com.", RType::A, Q::rd()).rcode(), rcode::NOERROR, "still serving");
}

#[test]
fn large_answers_are_truncated_over_udp_and_complete_over_tcp() {
    let s = setup(&[]);
    let udp = query(s.addr, "big.example.com.", RType::TXT, Q::rd_dnssec());
    assert!(udp.flag(flags::TC), "{}", udp.summary());
    assert!(udp.raw.len() <= 1232);
    let tcp = query(s.addr, "big.example.com.", RType::TXT, Q { tcp: true, ..Q::rd_dnssec() });
    assert!(!tcp.flag(flags::TC));
    assert_eq!(tcp.answers(RType::TXT).len(), 14);
    assert!(tcp.flag(flags::AD));
    // A small client payload size is honoured (RFC 6891 §6.2.5).
    let small = query(s.addr, "www.example.com.", RType::A, Q { udp_size: 512, ..Q::rd_dnssec() });
    assert!(small.raw.len() <= 512);
}

#[test]
fn forwarded_zone_without_an_anchor_is_answered_insecure() {
    // RFC 7646-like: the public chain cannot reach an internal zone; with no anchor at or
    // below it, the forward zone defaults to dnssec = "insecure": answered, AD clear.
    let s = setup_with(&[], false);
    let r = query(s.addr, "www.example.com.", RType::A, Q::rd_dnssec());
    assert_eq!(r.rcode(), rcode::NOERROR, "{}", r.summary());
    assert!(!r.flag(flags::AD));
    assert_eq!(r.answers(RType::A), vec!["192.0.2.3"]);
    let nx = query(s.addr, "nope.example.com.", RType::A, Q::rd_dnssec());
    assert_eq!((nx.rcode(), nx.flag(flags::AD)), (rcode::NXDOMAIN, false));
}

#[test]
fn reload_applies_acl_and_forward_zone_changes_without_restart() {
    let dir = scratch();
    let zone = dir.path().join("example.com.zone");
    std::fs::copy(fixtures().join("example.com.zone"), &zone).unwrap();
    let auth = start_auth(dir.path(), &[("example.com.", &zone)], &[]);
    let cfg = dir.path().join("resolver.toml");
    let control = fresh_addr(8954);
    let write = |acl: &str, forward: bool| {
        let fwd =
            if forward { format!("[[forward_zone]]\nname = \"example.com.\"\ntargets = [\"{}\"]\n", auth.addr) } else { String::new() };
        std::fs::write(
            &cfg,
            format!("[server]\nallow_from = [\"{acl}\"]\ncontrol = \"{control}\"\n[iterator]\nresolution_timeout = \"2s\"\n{fwd}"),
        )
        .unwrap();
    };
    write("10.0.0.0/8", true);
    let (res, addr) = start_resolver(dir.path(), &["--config", &cfg.display().to_string()]);
    assert_eq!(query(addr, "www.example.com.", RType::A, Q::rd()).rcode(), rcode::REFUSED);
    write("127.0.0.0/8", true);
    let (ok, out, err) = run_bounded(&bin("tern-resolver"), &["ctl", "reload", "--control", &control.to_string()], Duration::from_secs(30));
    assert!(ok && out.contains("reloaded"), "{out}{err}");
    let r = query(addr, "www.example.com.", RType::A, Q::rd());
    assert_eq!(r.answers(RType::A), vec!["192.0.2.3"], "ACL and forward zone in force: {}", r.summary());
    // SIGHUP reloads too: the forward zone goes away.
    write("127.0.0.0/8", false);
    res.signal(libc::SIGHUP);
    let gone = eventually(Duration::from_secs(10), || {
        try_query(addr, "www.example.com.", RType::A, Q::rd()).is_some_and(|r| r.rcode() == rcode::SERVFAIL)
    });
    assert!(gone, "forward zone removed by SIGHUP reload:\n{}", res.log_text());
}

/// tern-auth serving `origin` with `www A ip`, every TTL `ttl`.
fn www_zone(dir: &std::path::Path, origin: &str, ttl: u32, ip: &str) -> Auth {
    let zone = dir.join(format!("{origin}zone"));
    std::fs::write(&zone, format!("$TTL {ttl}\n@ SOA ns hm 1 3600 600 86400 {ttl}\n  NS ns\nns A 192.0.2.1\nwww A {ip}\n")).unwrap();
    start_auth(dir, &[(origin, &zone)], &[])
}

/// A resolver config with `cache` lines and quick upstream timeouts.
fn quick_cache_config(dir: &std::path::Path, cache: &str) -> std::path::PathBuf {
    let cfg = dir.join("resolver.toml");
    std::fs::write(&cfg, format!("[cache]\n{cache}\n[iterator]\nquery_timeout = \"300ms\"\nresolution_timeout = \"2s\"\n")).unwrap();
    cfg
}

#[test]
fn expired_answers_are_served_stale_with_ede_3_while_the_authority_is_down() {
    // RFC 8767: with serve_stale on, an answer whose TTL has run out is still given when
    // the authority cannot be reached, with a 30 s TTL and EDE 3 "Stale Answer".
    let dir = scratch();
    let mut auth = www_zone(dir.path(), "stale.example.", 2, "192.0.2.80");
    let cfg = quick_cache_config(dir.path(), "serve_stale = true\nstale_client_timeout = \"0s\"");
    let forward = format!("stale.example.={}", auth.addr);
    let (_res, addr) = start_resolver(dir.path(), &["--config", &cfg.display().to_string(), "--forward-zone", &forward]);
    let fresh = query(addr, "www.stale.example.", RType::A, Q::rd());
    assert_eq!((fresh.rcode(), fresh.answers(RType::A)), (rcode::NOERROR, vec!["192.0.2.80".to_string()]), "{}", fresh.summary());
    assert_eq!(fresh.ede(), None);

    auth.proc.stop();
    std::thread::sleep(Duration::from_millis(3100));
    let stale = query(addr, "www.stale.example.", RType::A, Q::rd());
    assert_eq!((stale.rcode(), stale.answers(RType::A)), (rcode::NOERROR, vec!["192.0.2.80".to_string()]), "{}", stale.summary());
    assert_eq!(stale.ede(), Some(3), "{}", stale.summary());
    assert!(stale.msg.answers.iter().all(|r| (1..=30).contains(&r.ttl)), "stale TTL at most 30 s: {}", stale.summary());
    // A name never cached has nothing stale to give.
    assert_eq!(query(addr, "other.stale.example.", RType::A, Q::rd()).rcode(), rcode::SERVFAIL);
    if require("dig") {
        let (port, ip) = (addr.port().to_string(), addr.ip().to_string());
        let (ok, out, err) = run_bounded(
            std::path::Path::new("dig"),
            &[&format!("@{ip}"), "-p", &port, "+time=3", "+tries=1", "www.stale.example.", "A"],
            Duration::from_secs(10),
        );
        assert!(ok, "{err}");
        assert!(out.contains("EDE: 3 (Stale Answer)") && out.contains("192.0.2.80"), "dig sees the stale answer:\n{out}");
    }
}

#[test]
fn popular_answers_are_prefetched_before_they_expire() {
    // cache.prefetch: a cached answer asked for in the last tenth of its TTL is refreshed
    // in the background, so it outlives its first TTL even once the authority is gone.
    for prefetch in [true, false] {
        let dir = scratch();
        let mut auth = www_zone(dir.path(), "pre.example.", 60, "192.0.2.81");
        let cfg = quick_cache_config(dir.path(), &format!("prefetch = {prefetch}"));
        let mut clock = TestClock::new(dir.path());
        let forward = format!("pre.example.={}", auth.addr);
        let clock_file = clock.path.display().to_string();
        let (_res, addr) = start_resolver(
            dir.path(),
            &["--config", &cfg.display().to_string(), "--forward-zone", &forward, "--test-clock-file", &clock_file],
        );
        assert_eq!(query(addr, "www.pre.example.", RType::A, Q::rd()).answers(RType::A), vec!["192.0.2.81"]);
        // 55 s later (5 s of 60 left) a client asks again: served from the cache.
        clock.advance(55);
        let near = query(addr, "www.pre.example.", RType::A, Q::rd());
        assert!(near.msg.answers.iter().all(|r| r.ttl <= 6), "the cached answer, near its end: {}", near.summary());
        std::thread::sleep(Duration::from_millis(300));
        auth.proc.stop();
        // Past the first TTL, with the authority gone.
        clock.advance(10);
        let later = query(addr, "www.pre.example.", RType::A, Q::rd());
        if prefetch {
            assert_eq!(later.answers(RType::A), vec!["192.0.2.81"], "refreshed before it expired: {}", later.summary());
            assert!(later.msg.answers.iter().all(|r| r.ttl > 40), "with a fresh TTL: {}", later.summary());
        } else {
            assert_eq!(later.rcode(), rcode::SERVFAIL, "{}", later.summary());
        }
    }
}
