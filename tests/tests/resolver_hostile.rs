//! tern-resolver against a hostile upstream (RFC 5452, RFC 2181 §5.4.1, CVE-2020-12662):
//! a scripted "root" server on 127.55.0.1:53 that adds out-of-bailiwick records, sends
//! replies with the wrong ID or from the wrong address, and answers with endless
//! glueless referrals. None of it may poison the cache or stall other questions.
//!
//! Needs root (port 53 on 127.55.x.y).

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};
use tern_shared::wire::{flags, rcode, RType};
use tern_tests::*;

const ROOT: &str = "127.55.0.1:53";

fn can_bind_53() -> bool {
    if can_bind_port_53(std::net::Ipv4Addr::new(127, 55, 255, 254)) {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("cannot bind port 53 on 127.55.0.0/16 under CI (run as root)");
    }
    eprintln!("SKIPPED: cannot bind port 53 on 127.55.0.0/16 (needs root)");
    false
}

/// One scripted root at a time in this binary (fixed address).
static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Starts tern-resolver with the fake root as its only hint, validation off.
fn resolver(dir: &std::path::Path) -> (Proc, SocketAddr) {
    let hints = dir.join("root.hints");
    std::fs::write(&hints, ". 3600000 IN NS ns.fake.\nns.fake. 3600000 IN A 127.55.0.1\n").unwrap();
    let cfg = dir.join("resolver.toml");
    std::fs::write(
        &cfg,
        format!(
            "[dnssec]\nvalidate = false\n[iterator]\nroot_hints = \"{}\"\nresolution_timeout = \"3s\"\nquery_timeout = \"300ms\"\n",
            hints.display()
        ),
    )
    .unwrap();
    let listen = fresh_addr(5353);
    let args: Vec<String> =
        ["--config", &cfg.display().to_string(), "--listen", &listen.to_string(), "--threads", "2"].iter().map(|s| s.to_string()).collect();
    let mut p = Proc::spawn("tern-resolver", &bin("tern-resolver"), &args, dir.join("resolver.log"));
    wait_ready(listen, &mut p);
    (p, listen)
}

const SOA: &str = ". 300 IN SOA ns.fake. hostmaster.fake. 1 3600 600 86400 300";

/// The honest part of the fake root: www.example. has an address, everything else in
/// victim. does not exist, other names have no data.
fn honest(q: &Incoming<'_>) -> Vec<u8> {
    let name = q.msg.questions[0].name.to_string().to_ascii_lowercase();
    let id = q.msg.header.id;
    if name == "www.example." {
        return build_response(q.msg, id, flags::AA, rcode::NOERROR, [&["www.example. 300 IN A 192.0.2.1"], &[], &[]]);
    }
    if name.ends_with("victim.") {
        return build_response(q.msg, id, flags::AA, rcode::NXDOMAIN, [&[], &[SOA], &[]]);
    }
    build_response(q.msg, id, flags::AA, rcode::NOERROR, [&[], &[SOA], &[]])
}

#[test]
fn out_of_bailiwick_and_unrelated_records_do_not_poison_the_cache() {
    if !can_bind_53() {
        return;
    }
    let _g = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let dir = scratch();
    let _root = FakeServer::start(ROOT.parse().unwrap(), |q| {
        let name = q.msg.questions[0].name.to_string().to_ascii_lowercase();
        if name == "www.example." && q.msg.questions[0].qtype == RType::A {
            // The answer carries an unrelated record, a fake delegation and fake glue.
            return vec![build_response(
                q.msg,
                q.msg.header.id,
                flags::AA,
                rcode::NOERROR,
                [
                    &["www.example. 300 IN A 192.0.2.1", "www.victim. 86400 IN A 6.6.6.6"],
                    &["victim. 86400 IN NS ns.victim."],
                    &["ns.victim. 86400 IN A 6.6.6.6", "www.victim. 86400 IN A 6.6.6.6"],
                ],
            )];
        }
        vec![honest(q)]
    });
    let (_res, addr) = resolver(dir.path());
    let r = query(addr, "www.example.", RType::A, Q::rd());
    assert_eq!(r.answers(RType::A), vec!["192.0.2.1"], "{}", r.summary());
    assert!(r.msg.answers.iter().all(|x| x.owner.to_string() == "www.example."), "unrelated records are not passed on: {}", r.summary());
    let v = query(addr, "www.victim.", RType::A, Q::rd());
    assert_eq!(v.rcode(), rcode::NXDOMAIN, "the injected record was not cached: {}", v.summary());
    let ns = query(addr, "ns.victim.", RType::A, Q::rd());
    assert_eq!(ns.rcode(), rcode::NXDOMAIN, "the injected glue was not cached: {}", ns.summary());
}

#[test]
fn replies_with_the_wrong_id_or_from_the_wrong_address_are_ignored() {
    if !can_bind_53() {
        return;
    }
    let _g = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let dir = scratch();
    let forger = UdpSocket::bind("127.55.0.99:0").unwrap();
    let _root = FakeServer::start(ROOT.parse().unwrap(), move |q| {
        let name = q.msg.questions[0].name.to_string().to_ascii_lowercase();
        if name == "spoof.example." && q.msg.questions[0].qtype == RType::A {
            let id = q.msg.header.id;
            let poison = |id| build_response(q.msg, id, flags::AA, rcode::NOERROR, [&["spoof.example. 86400 IN A 6.6.6.6"], &[], &[]]);
            // Right ID, wrong source address: sent first, from another address.
            let _ = forger.send_to(&poison(id), q.from);
            std::thread::sleep(Duration::from_millis(20));
            // Wrong ID from the right address, then the real answer.
            return vec![
                poison(id.wrapping_add(1)),
                build_response(q.msg, id, flags::AA, rcode::NOERROR, [&["spoof.example. 300 IN A 192.0.2.7"], &[], &[]]),
            ];
        }
        vec![honest(q)]
    });
    let (_res, addr) = resolver(dir.path());
    let r = query(addr, "spoof.example.", RType::A, Q::rd());
    assert_eq!(r.answers(RType::A), vec!["192.0.2.7"], "{}", r.summary());
}

#[test]
fn endless_glueless_referrals_are_cut_off_without_stalling_other_questions() {
    if !can_bind_53() {
        return;
    }
    let _g = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let dir = scratch();
    // NXNS-style (CVE-2020-12662): every name under attack. or an evil TLD is delegated
    // to 20 name servers without glue, in other new TLDs, each leading to more of the same.
    let counter = std::sync::atomic::AtomicUsize::new(0);
    let root = FakeServer::start(ROOT.parse().unwrap(), move |q| {
        let name = q.msg.questions[0].name.to_string().to_ascii_lowercase();
        let tld = name.trim_end_matches('.').rsplit('.').next().unwrap_or("").to_string();
        if tld == "attack" || tld.starts_with("evil") {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let ns: Vec<String> = (0..20).map(|i| format!("{tld}. 300 IN NS ns{i}.evil{n}x{i}.")).collect();
            let ns_refs: Vec<&str> = ns.iter().map(String::as_str).collect();
            return vec![build_response(q.msg, q.msg.header.id, 0, rcode::NOERROR, [&[], &ns_refs, &[]])];
        }
        vec![honest(q)]
    });
    let (_res, addr) = resolver(dir.path());
    let started = Instant::now();
    let handle = std::thread::spawn(move || try_query(addr, "www.attack.", RType::A, Q::rd()));
    // Meanwhile, other questions are answered promptly.
    std::thread::sleep(Duration::from_millis(100));
    let t = Instant::now();
    let ok = query(addr, "www.example.", RType::A, Q::rd());
    assert_eq!(ok.answers(RType::A), vec!["192.0.2.1"]);
    assert!(t.elapsed() < Duration::from_secs(2), "an unrelated question waited {:?}", t.elapsed());
    let attacked = handle.join().unwrap().expect("the attacked question gets an answer");
    assert_eq!(attacked.rcode(), rcode::SERVFAIL, "{}", attacked.summary());
    assert!(started.elapsed() < Duration::from_secs(6), "cut off by the 3 s resolution deadline: {:?}", started.elapsed());
    // The work per question is bounded (MAX_QUERIES_PER_QUESTION = 150).
    eprintln!("upstream queries caused by the attacked question: {}", root.count());
    assert!(root.count() < 200, "upstream queries for one question: {}", root.count());
}
