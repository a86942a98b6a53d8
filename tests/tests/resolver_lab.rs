//! tern-resolver against a signed local hierarchy served by tern-auth, checked with
//! tools nobody here wrote. The hierarchy is `../shared/lab`'s (root, TLDs, leaf zones
//! at algorithms 8, 13 and 15, NSEC and NSEC3 with opt-out, insecure delegations, and
//! zones broken on purpose), signed by BIND's dnssec-signzone and served here by one
//! tern-auth per zone on 127.53.x.y:53. Every case of `../shared/lab/cases.tsv` is run
//! with the lab's own scorer (`matrix.sh`, dig) against tern-resolver and against
//! Unbound in the same test, and their rcode and AD must agree case by case.
//!
//! Needs root (port 53 on 127.53.x.y) and bind9-utils, ldnsutils, dnsutils, unbound.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tern_shared::wire::{ede, flags, rcode, RType};
use tern_tests::*;

fn lab() -> PathBuf {
    shared_dir().join("lab")
}

/// Checks prerequisites; under CI a missing one is a failure.
fn prerequisites() -> bool {
    let mut missing = Vec::new();
    for tool in ["dig", "unbound", "dnssec-keygen", "dnssec-signzone", "ldns-verify-zone"] {
        if !have(tool) {
            missing.push(tool.to_string());
        }
    }
    if !lab().join("build-zones.sh").exists() {
        missing.push(format!("{}", lab().join("build-zones.sh").display()));
    }
    // Port 53 on the lab addresses needs root.
    if !can_bind_port_53(std::net::Ipv4Addr::new(127, 53, 255, 254)) {
        missing.push("permission to bind port 53 on 127.53.0.0/16 (run as root)".into());
    }
    if missing.is_empty() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("lab prerequisites missing under CI: {missing:?}");
    }
    eprintln!("SKIPPED: lab prerequisites missing: {missing:?}");
    false
}

/// The lab's addresses are fixed (127.53.x.y:53), so one lab at a time in this binary.
static LAB_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

struct Lab {
    _auths: Vec<Proc>,
    dir: tempfile::TempDir,
    _guard: std::sync::MutexGuard<'static, ()>,
}

impl Lab {
    fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Builds the lab zones into a scratch LAB_DIR and serves each with its own tern-auth.
fn start_lab() -> Lab {
    let guard = LAB_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let dir = scratch();
    let out = std::process::Command::new("bash")
        .arg(lab().join("build-zones.sh"))
        .env("LAB_DIR", dir.path())
        .output()
        .expect("run build-zones.sh");
    assert!(
        out.status.success(),
        "build-zones.sh failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let servers = std::fs::read_to_string(dir.path().join("servers.tsv")).unwrap();
    let mut auths = Vec::new();
    let mut addrs = Vec::new();
    for line in servers.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        let (label, zone, addr, file) = (f[0], f[1], f[2], f[3]);
        let listen: SocketAddr = format!("{addr}:53").parse().unwrap();
        let args = vec![
            "--listen".to_string(),
            listen.to_string(),
            "--zone".into(),
            format!("{zone}={file}"),
            "--threads".into(),
            "1".into(),
            "--data-dir".into(),
            dir.path().join(format!("auth-{label}")).display().to_string(),
        ];
        let p = Proc::spawn("tern-auth", &bin("tern-auth"), &args, dir.path().join(format!("auth-{label}.log")));
        auths.push(p);
        addrs.push(listen);
    }
    for (p, a) in auths.iter_mut().zip(&addrs) {
        wait_ready(*a, p);
    }
    Lab { _auths: auths, dir, _guard: guard }
}

fn start_tern_resolver(lab: &Lab) -> (Proc, SocketAddr) {
    start_tern_resolver_with(lab, &[])
}

fn start_tern_resolver_with(lab: &Lab, extra: &[String]) -> (Proc, SocketAddr) {
    let addr = fresh_addr(5353);
    let mut args = vec![
        "--listen".to_string(),
        addr.to_string(),
        "--root-hints".into(),
        lab.path().join("root.hints").display().to_string(),
        "--trust-anchor".into(),
        lab.path().join("anchors/root.ds").display().to_string(),
        "--threads".into(),
        "2".into(),
    ];
    args.extend(extra.iter().cloned());
    let mut p = Proc::spawn("tern-resolver", &bin("tern-resolver"), &args, lab.path().join(format!("tern-resolver-{}.log", addr.ip())));
    wait_ready(addr, &mut p);
    (p, addr)
}

fn start_unbound(lab: &Lab) -> (Proc, SocketAddr) {
    let addr = fresh_addr(5353);
    let d = lab.path().join(format!("unbound-{}", addr.ip()));
    std::fs::create_dir_all(&d).unwrap();
    let conf = format!(
        "server:\n    interface: {ip}\n    port: {port}\n    access-control: 127.0.0.0/8 allow\n    do-ip6: no\n    do-not-query-localhost: no\n    local-zone: \"test.\" nodefault\n    root-hints: \"{hints}\"\n    trust-anchor-file: \"{ta}\"\n    username: \"\"\n    chroot: \"\"\n    directory: \"{d}\"\n    pidfile: \"\"\n    use-syslog: no\n    logfile: \"\"\n    verbosity: 1\n    ede: yes\n    qname-minimisation: yes\n    do-daemonize: no\nremote-control:\n    control-enable: no\n",
        ip = addr.ip(),
        port = addr.port(),
        hints = lab.path().join("root.hints").display(),
        ta = lab.path().join("anchors/root.ds").display(),
        d = d.display()
    );
    std::fs::write(d.join("unbound.conf"), conf).unwrap();
    let unbound = PathBuf::from(
        String::from_utf8(std::process::Command::new("sh").args(["-c", "command -v unbound"]).output().unwrap().stdout).unwrap().trim(),
    );
    let mut p =
        Proc::spawn("unbound", &unbound, &["-d".into(), "-c".into(), d.join("unbound.conf").display().to_string()], d.join("unbound.log"));
    wait_ready(addr, &mut p);
    (p, addr)
}

/// Runs the lab's scorer against a resolver; returns (all passed, per-case "rcode ad", output).
fn matrix(the_lab: &Lab, addr: SocketAddr) -> (bool, BTreeMap<String, String>, String) {
    let out = std::process::Command::new("timeout")
        .args(["600", "bash"])
        .arg(lab().join("matrix.sh"))
        .args([addr.port().to_string(), addr.ip().to_string()])
        .env("LAB_DIR", the_lab.path())
        .output()
        .expect("run matrix.sh");
    let ok = out.status.success();
    let (out, err) = (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned());
    let mut cases = BTreeMap::new();
    for line in out.lines().filter(|l| l.starts_with("PASS") || l.starts_with("FAIL")) {
        let f: Vec<&str> = line.split_whitespace().collect();
        // PASS qname qtype [opts] RCODE ad=N ...
        let (key, rest) =
            if f[3].starts_with('+') { (format!("{} {} {}", f[1], f[2], f[3]), &f[4..]) } else { (format!("{} {}", f[1], f[2]), &f[3..]) };
        cases.insert(key, format!("{} {}", rest[0], rest[1]));
    }
    (ok, cases, format!("{out}{err}"))
}

#[test]
fn lab_cases_pass_and_agree_with_unbound() {
    if !prerequisites() {
        return;
    }
    let lab = start_lab();
    let (mut tern, tern_addr) = start_tern_resolver(&lab);
    let (ok, tern_cases, out) = matrix(&lab, tern_addr);
    assert!(ok, "tern-resolver fails lab cases:\n{out}\nresolver log:\n{}", tern.log_text());
    assert!(tern_cases.len() >= 49, "{out}");
    let (mut ub, ub_addr) = start_unbound(&lab);
    let (ub_ok, ub_cases, ub_out) = matrix(&lab, ub_addr);
    assert!(ub_ok, "Unbound fails the lab cases, the reference is broken:\n{ub_out}\n{}", ub.log_text());
    for (case, want) in &ub_cases {
        assert_eq!(tern_cases.get(case), Some(want), "{case}: tern-resolver and Unbound differ");
    }

    // EDE codes for the bogus cases (RFC 8914 §4), and the expected reasons.
    for (name, code) in [
        ("www.expired.test.", ede::SIGNATURE_EXPIRED),
        ("www.notyet.test.", ede::SIGNATURE_NOT_YET_VALID),
        ("www.wrongds.test.", ede::DNSKEY_MISSING),
        ("www.wrongkey.test.", ede::DNSKEY_MISSING),
        ("www.nosig.test.", ede::RRSIGS_MISSING),
    ] {
        let r = query(tern_addr, name, RType::A, Q::rd_dnssec());
        assert_eq!(r.rcode(), rcode::SERVFAIL, "{name}");
        assert_eq!(r.ede(), Some(code), "{name}: {}", r.summary());
    }
    // An unsupported algorithm is insecure, with EDE 1.
    let r = query(tern_addr, "www.unknownalg.test.", RType::A, Q::rd_dnssec());
    assert_eq!((r.rcode(), r.flag(flags::AD), r.ede()), (rcode::NOERROR, false, Some(ede::UNSUPPORTED_DNSKEY_ALGORITHM)));
    // AD only to clients that ask (DO or AD, RFC 6840 §5.7).
    let plain = query(tern_addr, "www.sec.test.", RType::A, Q::rd());
    assert!(!plain.flag(flags::AD));
    assert_eq!(plain.msg.answers.iter().filter(|r| r.rtype == RType::RRSIG).count(), 0, "no RRSIG without DO");
    let ad = query(tern_addr, "www.sec.test.", RType::A, Q { ad: true, ..Q::rd() });
    assert!(ad.flag(flags::AD));
    // CD=1 on a bogus name returns the data, AD clear.
    let cd = query(tern_addr, "www.wrongkey.test.", RType::A, Q { cd: true, ..Q::rd_dnssec() });
    assert_eq!((cd.rcode(), cd.flag(flags::AD)), (rcode::NOERROR, false));
    assert_eq!(cd.answers(RType::A), vec!["127.100.7.1"]);
    // CD=1 on secure data: AD stays set for data the resolver validated (RFC 4035 §3.2.3),
    // as Unbound (asked here) and PowerDNS Recursor do; Knot Resolver clears it.
    let ub_cd = query(ub_addr, "www.sec.test.", RType::A, Q { cd: true, ..Q::rd_dnssec() });
    let cd = query(tern_addr, "www.sec.test.", RType::A, Q { cd: true, ..Q::rd_dnssec() });
    assert_eq!((cd.rcode(), cd.flag(flags::AD)), (ub_cd.rcode(), ub_cd.flag(flags::AD)), "{} vs unbound {}", cd.summary(), ub_cd.summary());
    assert!(cd.flag(flags::AD));
    tern.stop();
    ub.stop();
}

#[test]
fn cached_answers_decay_keep_the_question_case_and_vary_by_do() {
    if !prerequisites() {
        return;
    }
    let lab = start_lab();
    let control = fresh_addr(8954);
    let (_tern, addr) = start_tern_resolver_with(&lab, &["--control".to_string(), control.to_string()]);
    // Ready once the lab root's keys are primed and validated (RFC 9609).
    let ready = eventually(Duration::from_secs(20), || {
        tern_shared::control::call(control, "GET", "/readyz", None, "").is_ok_and(|(s, _)| s == 200)
    });
    assert!(ready, "resolver never became ready");
    let first = query(addr, "www.sec.test.", RType::A, Q::rd_dnssec());
    assert!(first.flag(flags::AD));
    std::thread::sleep(Duration::from_millis(2100));
    // From the packet cache: same data, TTL lower, the client's spelling of the name.
    let again = query(addr, "WwW.SeC.TeSt.", RType::A, Q::rd_dnssec());
    assert!(again.flag(flags::AD));
    assert_eq!(again.msg.questions[0].name.to_string(), "WwW.SeC.TeSt.");
    assert_eq!(again.msg.answers[0].owner.to_string(), "WwW.SeC.TeSt.");
    assert!(
        again.msg.answers[0].ttl <= first.msg.answers[0].ttl - 2,
        "TTL decays: {} then {}",
        first.msg.answers[0].ttl,
        again.msg.answers[0].ttl
    );
    // Without DO from the cache: no RRSIG, no AD.
    let no_do = query(addr, "www.sec.test.", RType::A, Q::rd());
    assert!(!no_do.flag(flags::AD));
    assert!(no_do.msg.answers.iter().all(|r| r.rtype == RType::A));
    // Bogus stays bogus from the cache.
    for _ in 0..2 {
        let b = query(addr, "www.expired.test.", RType::A, Q::rd_dnssec());
        assert_eq!(b.rcode(), rcode::SERVFAIL);
    }
}
