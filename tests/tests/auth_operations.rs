//! Running tern-auth: start-up with no configuration, broken zone files reported as
//! `file:line: reason` while other zones keep serving, atomic reloads on SIGHUP and on
//! the control command with no failed query across them, and AXFR access control.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tern_shared::wire::{rcode, RType};
use tern_tests::*;

const OTHER_ZONE: &str = "$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n  NS ns\nns A 192.0.2.99\nwww A 192.0.2.100\n";

#[test]
fn no_config_serves_an_empty_zone_set_on_loopback() {
    let dir = scratch();
    let data = dir.path().join("data");
    let mut p =
        Proc::spawn("tern-auth", &bin("tern-auth"), &["--data-dir".into(), data.display().to_string()], dir.path().join("auth.log"));
    let addr: SocketAddr = "127.0.0.1:5300".parse().unwrap();
    // Another test run may hold the default port; then the error must say so.
    let up = eventually(Duration::from_secs(10), || p.log_text().contains("tern-auth serving") || !p.running());
    assert!(up, "{}", p.log_text());
    if !p.running() {
        assert!(p.log_text().contains("127.0.0.1:5300"), "a failed start names the address: {}", p.log_text());
        return;
    }
    assert!(p.log_text().contains("no zones configured"), "{}", p.log_text());
    assert!(p.log_text().contains("127.0.0.1:5300"));
    let r = query(addr, "example.com.", RType::A, Q::default());
    assert_eq!(r.rcode(), rcode::REFUSED);
}

#[test]
fn broken_zone_is_reported_with_file_and_line_and_others_keep_serving() {
    let dir = scratch();
    let good = dir.path().join("good.zone");
    std::fs::write(&good, OTHER_ZONE).unwrap();
    let bad_syntax = dir.path().join("bad-syntax.zone");
    std::fs::write(&bad_syntax, "$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n  NS ns\nns A 192.0.2.300\n").unwrap();
    let bad_rules = dir.path().join("bad-rules.zone");
    std::fs::write(
        &bad_rules,
        "$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n  NS ns\nns A 192.0.2.1\nwww CNAME ns\nwww A 192.0.2.2\nsub NS ns.sub\n",
    )
    .unwrap();
    let auth = start_auth(dir.path(), &[("good.example.", &good), ("syntax.example.", &bad_syntax), ("rules.example.", &bad_rules)], &[]);
    let log = auth.proc.log_text();
    assert!(log.contains(&format!("{}:4:", bad_syntax.display())), "syntax error names file:line:\n{log}");
    assert!(log.contains(&format!("{}:5: CNAME at www.rules.example. coexists with other data", bad_rules.display())), "{log}");
    assert!(log.contains("missing glue"), "{log}");
    assert_eq!(query(auth.addr, "www.good.example.", RType::A, Q::default()).rcode(), rcode::NOERROR);
    assert_eq!(
        query(auth.addr, "ns.syntax.example.", RType::A, Q::default()).rcode(),
        rcode::REFUSED,
        "a zone that did not load is not served"
    );
}

/// Sends queries in a bounded loop until `stop`, counting any that fail.
fn query_loop(addr: SocketAddr, stop: Arc<AtomicBool>, failures: Arc<AtomicUsize>, sent: Arc<AtomicUsize>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
            sent.fetch_add(1, Ordering::Relaxed);
            match try_query(addr, "www.example.com.", RType::A, Q::default()) {
                Some(r) if r.rcode() == rcode::NOERROR && !r.msg.answers.is_empty() => {}
                _ => {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    })
}

#[test]
fn reload_on_sighup_and_control_command_swaps_atomically_without_failed_queries() {
    let dir = scratch();
    let zone = dir.path().join("example.com.zone");
    std::fs::copy(fixtures().join("example.com.zone"), &zone).unwrap();
    let control = fresh_addr(8953);
    let control_s = control.to_string();
    let auth = start_auth(dir.path(), &[("example.com.", &zone)], &["--control", &control_s]);
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicUsize::new(0));
    let sent = Arc::new(AtomicUsize::new(0));
    let looper = query_loop(auth.addr, stop.clone(), failures.clone(), sent.clone());

    // Edit: a new name; reload with SIGHUP.
    let text = std::fs::read_to_string(&zone).unwrap();
    std::fs::write(&zone, format!("{text}added1 IN A 192.0.2.201\n")).unwrap();
    auth.proc.signal(libc::SIGHUP);
    assert!(
        eventually(Duration::from_secs(10), || query(auth.addr, "added1.example.com.", RType::A, Q::default()).rcode() == rcode::NOERROR)
    );

    // Edit again; reload with the control command, which reports when done.
    std::fs::write(&zone, format!("{text}added2 IN A 192.0.2.202\n")).unwrap();
    let (ok, out, err) = run_auth(&["ctl", "reload", "--control", &control_s]);
    assert!(ok, "ctl reload: {out}{err}");
    assert!(out.contains("reloaded"), "{out}");
    assert_eq!(query(auth.addr, "added2.example.com.", RType::A, Q::default()).rcode(), rcode::NOERROR);
    assert_eq!(query(auth.addr, "added1.example.com.", RType::A, Q::default()).rcode(), rcode::NXDOMAIN);

    // A broken edit: the reload reports it and the previous version keeps serving.
    std::fs::write(&zone, format!("{text}broken IN A not-an-address\n")).unwrap();
    let (_, out, _) = run_auth(&["ctl", "reload", "--control", &control_s]);
    assert!(out.contains(&format!("{}:", zone.display())), "{out}");
    assert_eq!(query(auth.addr, "added2.example.com.", RType::A, Q::default()).rcode(), rcode::NOERROR);

    stop.store(true, Ordering::Relaxed);
    looper.join().unwrap();
    assert!(sent.load(Ordering::Relaxed) > 20, "the loop ran across the reloads");
    assert_eq!(failures.load(Ordering::Relaxed), 0, "no query failed during reloads");
    // Health endpoints answer without a key.
    let (status, body) = tern_shared::control::call(control, "GET", "/healthz", None, "").unwrap();
    assert_eq!((status, body.trim()), (200, "ok"));
}

#[test]
fn control_endpoint_requires_the_api_key_when_one_is_set() {
    let dir = scratch();
    let cfg = dir.path().join("auth.toml");
    let control = fresh_addr(8953);
    std::fs::write(&cfg, format!("[server]\ncontrol = \"{control}\"\ncontrol_api_key = \"s3cret\"\n")).unwrap();
    let _auth = start_auth(dir.path(), &[], &["--config", &cfg.display().to_string()]);
    let (status, _) = tern_shared::control::call(control, "POST", "/reload", None, "").unwrap();
    assert_eq!(status, 401);
    let (status, _) = tern_shared::control::call(control, "POST", "/reload", Some("wrong"), "").unwrap();
    assert_eq!(status, 401);
    let (status, body) = tern_shared::control::call(control, "POST", "/reload", Some("s3cret"), "").unwrap();
    assert_eq!(status, 200, "{body}");
}

#[test]
fn axfr_is_refused_by_default_and_served_to_allowed_addresses() {
    let dir = scratch();
    let zone = dir.path().join("example.com.zone");
    std::fs::copy(fixtures().join("example.com.zone"), &zone).unwrap();
    let axfr = |addr| {
        let p = build_query(77, "example.com.", RType::AXFR, Q { edns: false, ..Q::default() });
        tcp_exchange(addr, &[p], 50, Duration::from_secs(5)).into_iter().map(decode).collect::<Vec<_>>()
    };
    // Deny by default.
    let closed = start_auth(dir.path(), &[("example.com.", &zone)], &[]);
    let r = axfr(closed.addr);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].rcode(), rcode::REFUSED);
    drop(closed);
    // Allowed range: SOA first and last, every record once (RFC 5936 §2.2).
    let open = start_auth(dir.path(), &[("example.com.", &zone)], &["--allow-transfer", "127.0.0.0/8"]);
    let msgs = axfr(open.addr);
    let records: Vec<_> = msgs.iter().flat_map(|m| m.msg.answers.clone()).collect();
    assert_eq!(records.first().unwrap().rtype, RType::SOA);
    assert_eq!(records.last().unwrap().rtype, RType::SOA);
    // ldns-read-zone counts 43 records in the fixture: the SOA and 42 others.
    assert_eq!(records.len(), 2 + 42, "SOA + 42 other records + SOA: {}", records.len());
    // AXFR over UDP is not allowed (RFC 5936 §4.2).
    let udp = query(open.addr, "example.com.", RType::AXFR, Q::default());
    assert_eq!(udp.rcode(), rcode::FORMERR);
    // A zone we do not serve: NOTAUTH.
    let p = build_query(78, "example.org.", RType::AXFR, Q { edns: false, ..Q::default() });
    let r = decode(tcp_exchange(open.addr, &[p], 1, Duration::from_secs(5)).remove(0));
    assert_eq!(r.rcode(), rcode::NOTAUTH);
}

#[test]
fn serves_ipv6_and_ipv4_listeners_at_once() {
    if std::net::UdpSocket::bind("[::1]:0").is_err() {
        if std::env::var_os("CI").is_some() {
            panic!("no IPv6 loopback under CI");
        }
        eprintln!("SKIPPED: no IPv6 loopback here");
        return;
    }
    let dir = scratch();
    let zone = dir.path().join("example.com.zone");
    std::fs::copy(fixtures().join("example.com.zone"), &zone).unwrap();
    let v4 = fresh_addr(5300);
    let port = std::net::TcpListener::bind("[::1]:0").unwrap().local_addr().unwrap().port();
    let v6: SocketAddr = format!("[::1]:{port}").parse().unwrap();
    let data = dir.path().join("data").display().to_string();
    let args: Vec<String> = [
        "--listen",
        &v4.to_string(),
        "--listen",
        &v6.to_string(),
        "--zone",
        &format!("example.com.={}", zone.display()),
        "--data-dir",
        &data,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut p = Proc::spawn("tern-auth", &bin("tern-auth"), &args, dir.path().join("auth.log"));
    wait_ready(v4, &mut p);
    // The v6 client needs a v6 socket: send the raw query from [::1].
    let sock = std::net::UdpSocket::bind("[::1]:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    sock.send_to(&build_query(5, "www.example.com.", RType::AAAA, Q::default()), v6).unwrap();
    let mut buf = [0u8; 2048];
    let (n, _) = sock.recv_from(&mut buf).expect("answer over IPv6");
    assert_eq!(decode(buf[..n].to_vec()).answers(RType::AAAA), vec!["2001:db8::3"]);
    let tcp = tcp_exchange(v6, &[build_query(6, "www.example.com.", RType::A, Q::default())], 1, Duration::from_secs(5));
    assert_eq!(decode(tcp[0].clone()).answers(RType::A), vec!["192.0.2.3"]);
}

#[test]
fn idle_tcp_connections_are_closed_after_the_timeout() {
    use std::io::Read;
    let dir = scratch();
    let cfg = dir.path().join("auth.toml");
    std::fs::write(&cfg, "[server]\ntcp_idle_timeout = \"1s\"\n").unwrap();
    let auth = start_auth(dir.path(), &[], &["--config", &cfg.display().to_string()]);
    let mut s = std::net::TcpStream::connect(auth.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let started = Instant::now();
    let mut b = [0u8; 1];
    // The server closes the connection: read returns 0 (EOF) well before our 10 s.
    let n = s.read(&mut b).unwrap_or(0);
    assert_eq!(n, 0);
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(900) && took < Duration::from_secs(5), "closed after {took:?}");
}

#[test]
fn readiness_means_every_configured_zone_is_served() {
    let dir = scratch();
    let good = dir.path().join("good.zone");
    std::fs::write(&good, OTHER_ZONE).unwrap();
    let bad = dir.path().join("bad.zone");
    std::fs::write(&bad, "$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n").unwrap();
    let control = fresh_addr(8953);
    let _auth = start_auth(dir.path(), &[("good.example.", &good), ("bad.example.", &bad)], &["--control", &control.to_string()]);
    let (status, body) = tern_shared::control::call(control, "GET", "/readyz", None, "").unwrap();
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("bad.example."), "{body}");
    let (status, _) = tern_shared::control::call(control, "GET", "/healthz", None, "").unwrap();
    assert_eq!(status, 200, "alive while not ready");
    std::fs::write(&bad, OTHER_ZONE).unwrap();
    let (ok, _, _) = run_auth(&["ctl", "reload", "--control", &control.to_string()]);
    assert!(ok);
    let (status, body) = tern_shared::control::call(control, "GET", "/readyz", None, "").unwrap();
    assert_eq!(status, 200, "{body}");
}
