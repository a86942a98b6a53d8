//! Both deployment layouts end to end, on unprivileged loopback ports:
//! - public-auth: tern-auth answers the world for its hosted zone; tern-resolver serves
//!   clients and forwards the hosted zone to tern-auth;
//! - resolver-front: tern-resolver serves clients; tern-auth is reachable by it only.
//!
//! For each: client -> resolver -> the zone on tern-auth (secure, with the DS from
//! `tern-auth zone ds`); client -> resolver -> the lab "internet" (the tern-lab
//! hierarchy served by another tern-auth), secure and bogus as expected; metrics of both
//! daemons pass `promtool check metrics` and move; and a zone edit picked up by
//! `tern-auth ctl reload` while a bounded query loop runs through the resolver without
//! a single failed query.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tern_shared::wire::{ede, flags, rcode, RType};
use tern_tests::*;

fn sum(text: &str, metric: &str) -> f64 {
    text.lines().filter(|l| l.starts_with(metric) && !l.starts_with('#')).filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).sum()
}

const HOSTED: &str =
    "$ORIGIN hosted.example.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.53\nwww A 192.0.2.80\n";

struct Layout {
    name: &'static str,
    /// Where tern-auth listens (public in one layout, resolver-only in the other).
    auth_ip: IpAddr,
    resolver_ip: IpAddr,
}

fn run_layout(l: &Layout) {
    let dir = scratch();
    // The lab "internet": the tern-lab hierarchy on its own tern-auth.
    let lab_ip = fresh_ip();
    let lab = tern_tests::hierarchy::build(&dir.path().join("lab"), IpAddr::V4(lab_ip)).unwrap();
    let lab_addr = SocketAddr::new(IpAddr::V4(lab_ip), 5300);
    let mut lab_auth = Proc::spawn(
        "tern-auth (lab)",
        &bin("tern-auth"),
        &[
            "--config".into(),
            lab.auth_config.display().to_string(),
            "--listen".into(),
            lab_addr.to_string(),
            "--threads".into(),
            "1".into(),
        ],
        dir.path().join("lab-auth.log"),
    );
    wait_ready(lab_addr, &mut lab_auth);

    // The layout's tern-auth with its hosted zone, secured.
    let zone = dir.path().join("hosted.example.zone");
    std::fs::write(&zone, HOSTED).unwrap();
    let data = dir.path().join("auth-data");
    let (ok, ds, err) = run_auth(&["zone", "secure", "hosted.example.", "--data-dir", &data.display().to_string()]);
    assert!(ok, "{err}");
    let anchor = dir.path().join("hosted.ds");
    std::fs::write(&anchor, ds).unwrap();
    let auth_addr = SocketAddr::new(l.auth_ip, 5353);
    let auth_control = SocketAddr::new(l.auth_ip, 8953);
    let auth_metrics = SocketAddr::new(l.auth_ip, 9153);
    let auth_cfg = dir.path().join("tern-auth.toml");
    std::fs::write(
        &auth_cfg,
        format!(
            "[server]\nlisten = [\"{auth_addr}\"]\nthreads = 1\ndata_dir = \"{}\"\ncontrol = \"{auth_control}\"\nmetrics = \"{auth_metrics}\"\n\n[[zone]]\nname = \"hosted.example.\"\nfile = \"{}\"\n",
            data.display(),
            zone.display()
        ),
    )
    .unwrap();
    let mut auth =
        Proc::spawn("tern-auth", &bin("tern-auth"), &["--config".into(), auth_cfg.display().to_string()], dir.path().join("auth.log"));
    wait_ready(auth_addr, &mut auth);

    // tern-resolver: the lab root, the hosted zone forwarded to tern-auth with its DS.
    let res_addr = SocketAddr::new(l.resolver_ip, 5354);
    let res_metrics = SocketAddr::new(l.resolver_ip, 9154);
    let res_cfg = dir.path().join("tern-resolver.toml");
    std::fs::write(
        &res_cfg,
        format!(
            "[server]\nlisten = [\"{res_addr}\"]\nthreads = 1\nmetrics = \"{res_metrics}\"\n\n[dnssec]\ntrust_anchor_files = [\"{}\", \"{}\"]\n\n[iterator]\nroot_hints = \"{}\"\nupstream_port = {}\n\n[[forward_zone]]\nname = \"hosted.example.\"\ntargets = [\"{auth_addr}\"]\n",
            lab.root_anchor.display(),
            anchor.display(),
            lab.root_hints.display(),
            lab_addr.port()
        ),
    )
    .unwrap();
    let mut res = Proc::spawn(
        "tern-resolver",
        &bin("tern-resolver"),
        &["--config".into(), res_cfg.display().to_string()],
        dir.path().join("resolver.log"),
    );
    wait_ready(res_addr, &mut res);
    let before_res = scrape_metrics(res_metrics);
    let before_auth = scrape_metrics(auth_metrics);

    // client -> resolver -> hosted zone on tern-auth: secure.
    let r = query(res_addr, "www.hosted.example.", RType::A, Q::rd_dnssec());
    assert!(r.flag(flags::AD) && r.answers(RType::A) == vec!["192.0.2.80"], "{}: {}\n{}", l.name, r.summary(), res.log_text());
    // client -> resolver -> lab internet: secure and bogus.
    let s = query(res_addr, "www.secure.lab.", RType::A, Q::rd_dnssec());
    assert!(s.flag(flags::AD), "{}: {}", l.name, s.summary());
    let b = query(res_addr, "www.bogus.lab.", RType::A, Q::rd_dnssec());
    assert_eq!((b.rcode(), b.ede()), (rcode::SERVFAIL, Some(ede::DNSKEY_MISSING)), "{}", l.name);

    // Metrics: promtool accepts both, and the counters moved.
    std::thread::sleep(Duration::from_millis(1200));
    let after_res = scrape_metrics(res_metrics);
    let after_auth = scrape_metrics(auth_metrics);
    promtool_accepts(&after_res);
    promtool_accepts(&after_auth);
    assert!(sum(&after_res, "tern_resolver_queries_total") >= sum(&before_res, "tern_resolver_queries_total") + 3.0, "{}", l.name);
    assert!(sum(&after_auth, "tern_auth_queries_total") > sum(&before_auth, "tern_auth_queries_total"), "{}", l.name);

    // A zone edit, reloaded through the control CLI while queries keep flowing.
    let stop = Arc::new(AtomicBool::new(false));
    let (sent, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let looper = {
        let (stop, sent, failed) = (stop.clone(), sent.clone(), failed.clone());
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut i = 0u32;
            while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                i += 1;
                sent.fetch_add(1, Ordering::Relaxed);
                // Distinct names miss the resolver's cache and reach tern-auth each time.
                let name = format!("q{i}.hosted.example.");
                match try_query(res_addr, &name, RType::A, Q::rd_dnssec()) {
                    Some(r) if r.rcode() == rcode::NXDOMAIN && r.flag(flags::AD) => {}
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(&zone, format!("{HOSTED}new A 192.0.2.99\n")).unwrap();
    let (ok, out, err) = run_auth(&["ctl", "reload", "--control", &auth_control.to_string()]);
    assert!(ok && out.contains("reloaded"), "{out}{err}");
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    looper.join().unwrap();
    assert!(sent.load(Ordering::Relaxed) > 10, "the loop ran across the reload");
    assert_eq!(failed.load(Ordering::Relaxed), 0, "{}: no failed query during the reload", l.name);
    let n = query(res_addr, "new.hosted.example.", RType::A, Q::rd_dnssec());
    assert!(n.flag(flags::AD) && n.answers(RType::A) == vec!["192.0.2.99"], "{}: edited zone served, signed: {}", l.name, n.summary());
}

#[test]
fn public_auth_layout() {
    // tern-auth on a public address, the resolver beside it.
    let ip = IpAddr::V4(fresh_ip());
    run_layout(&Layout { name: "public-auth", auth_ip: ip, resolver_ip: ip });
}

#[test]
fn resolver_front_layout() {
    // The resolver in front; tern-auth on a loopback address only the resolver uses.
    run_layout(&Layout { name: "resolver-front", auth_ip: IpAddr::V4(fresh_ip()), resolver_ip: IpAddr::V4(fresh_ip()) });
}
