//! tern-resolver's trust anchors over the wire: RFC 5011 automated updates played out on
//! a local root, negative trust anchors (RFC 7646), and anchors for internal zones.
//!
//! - **Rollover** (RFC 5011 §2, §4.2): a root zone presigned by BIND's `dnssec-signzone`
//!   (keys from `dnssec-keygen`, the revocation from `dnssec-revoke`) is served by
//!   tern-auth on port 53 of a fresh loopback address; tern-resolver trusts its KSK-A as a
//!   managed anchor (a BIND `trust-anchors { . initial-key ... }` file) and runs with a
//!   test clock (`--test-clock-file`) the test moves forward. KSK-B is published, the
//!   clock is moved past the 30-day add hold-down in steps while the resolver probes at
//!   the RFC 5011 §2.3 interval of the simulated clock, KSK-A is revoked, then removed:
//!   `. SOA` validates as secure at every step and only KSK-B is trusted at the end. The
//!   same again with restarts mid-rollover (same data directory); and a KSK-B seen for
//!   less than the hold-down is not trusted (the root signed by B alone is SERVFAIL).
//! - **NTA** (RFC 7646): a bogus zone is SERVFAIL, resolves with AD=0 under an NTA, and is
//!   SERVFAIL again once the NTA has expired — cached answers included.
//! - **Internal zones**: a zone signed by `tern-auth zone secure`, forwarded with
//!   `--forward-zone` and anchored with the DS from `tern-auth zone ds`, validates (AD=1).
//!   Without that anchor it is SERVFAIL: the built-in root anchor covers it and no chain
//!   from the root reaches a forwarded zone.
//!
//! The rollover tests need bind9-utils and root (port 53); without them they print
//! `SKIPPED` and the reason, or fail under CI. Everything stays on 127.0.0.0/8: every
//! resolver gets root hints pointing at loopback.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tern_shared::wire::{ede, flags, rcode, RType};
use tern_tests::*;

const DAY: i64 = 86_400;
const HOUR: i64 = 3600;
/// TTL of the root DNSKEY RRset: RFC 5011 §2.3 makes the probe interval
/// MAX(1h, MIN(15d, TTL/2, expiry/2)) = 1 hour.
const DNSKEY_TTL: u32 = 7200;
/// The add hold-down of RFC 5011 §2.4.1.
const HOLD_DOWN_DAYS: i64 = 30;
/// How long to wait for one probe or one reload (real time).
const WAIT: Duration = Duration::from_secs(30);

/// A fresh loopback address whose port 53 we may bind (needs root), or `None` (skip).
fn port_53() -> Option<SocketAddr> {
    let addr = fresh_addr(53);
    if std::net::UdpSocket::bind(addr).is_ok() {
        return Some(addr);
    }
    if std::env::var_os("CI").is_some() {
        panic!("cannot bind {addr}: the rollover tests need root under CI");
    }
    eprintln!("SKIPPED: cannot bind port 53 on {addr} (run as root)");
    None
}

/// A root hints file naming one server at `ip`.
fn hints(dir: &Path, ip: std::net::IpAddr) -> PathBuf {
    let p = dir.join(format!("root-{ip}.hints"));
    std::fs::write(&p, format!(".\t3600000\tNS\tns.root.\nns.root.\t3600000\tA\t{ip}\n")).unwrap();
    p
}

/// A running tern-resolver.
struct Resolver {
    proc: Proc,
    addr: SocketAddr,
    control: SocketAddr,
}

fn start_resolver(dir: &Path, clock: &TestClock, args: &[String]) -> Resolver {
    let addr = fresh_addr(5353);
    let control = fresh_addr(8954);
    let mut all = vec![
        "--listen".to_string(),
        addr.to_string(),
        "--control".into(),
        control.to_string(),
        "--threads".into(),
        "1".into(),
        "--test-clock-file".into(),
        clock.path.display().to_string(),
    ];
    all.extend(args.iter().cloned());
    let mut proc = Proc::spawn("tern-resolver", &bin("tern-resolver"), &all, dir.join(format!("resolver-{}.log", addr.ip())));
    wait_ready(addr, &mut proc);
    Resolver { proc, addr, control }
}

/// `tern-resolver ctl ARGS` against `r`; returns stdout, panics on failure.
fn ctl(r: &Resolver, args: &[&str]) -> String {
    let control = r.control.to_string();
    let mut all = vec!["ctl", "--control", &control];
    all.extend_from_slice(args);
    let (ok, out, err) = run_bounded(&bin("tern-resolver"), &all, Duration::from_secs(20));
    assert!(ok, "ctl {args:?} failed: {out}{err}");
    out
}

/// Asks `name type` with RD and DO.
fn ask(r: &Resolver, name: &str, t: RType) -> Response {
    query(r.addr, name, t, Q::rd_dnssec())
}

/// Asserts `name type` is NOERROR with AD=1.
fn assert_secure(r: &Resolver, name: &str, t: RType, step: &str) {
    let resp = ask(r, name, t);
    assert!(
        resp.rcode() == rcode::NOERROR && resp.flag(flags::AD),
        "{step}: {name} {t} is not secure: {}\nresolver log:\n{}",
        resp.summary(),
        r.proc.log_text()
    );
}

// ---- the local root, presigned with BIND's tools --------------------------------------

/// Key files and signed versions of a root zone served at `ns_ip`.
struct Root {
    dir: PathBuf,
    ns_ip: std::net::IpAddr,
    serial: u32,
    /// The zone file tern-auth serves (rewritten at each step).
    file: PathBuf,
}

/// The key tag in a BIND key file name `K.+013+07078`.
fn tag_of(base: &str) -> u16 {
    base.rsplit('+').next().and_then(|t| t.parse().ok()).unwrap_or_else(|| panic!("no key tag in {base}"))
}

impl Root {
    fn new(dir: &Path, ns_ip: std::net::IpAddr) -> Root {
        let keys = dir.join("keys");
        std::fs::create_dir_all(&keys).unwrap();
        Root { dir: keys, ns_ip, serial: 0, file: dir.join("root.zone") }
    }

    /// `dnssec-keygen` for `.` (ECDSA P-256, quick); returns the key's base name.
    fn keygen(&self, ksk: bool) -> String {
        let dir = self.dir.display().to_string();
        let mut args = vec!["-q", "-a", "ECDSAP256SHA256", "-K", &dir];
        if ksk {
            args.extend(["-f", "KSK"]);
        }
        args.push(".");
        let (ok, out, err) = run_bounded(Path::new("dnssec-keygen"), &args, Duration::from_secs(60));
        assert!(ok, "dnssec-keygen: {err}");
        out.trim().to_string()
    }

    /// `dnssec-revoke`: sets the REVOKE bit (a new key tag); returns the new base name.
    fn revoke(&self, base: &str) -> String {
        let dir = self.dir.display().to_string();
        let (ok, out, err) = run_bounded(Path::new("dnssec-revoke"), &["-K", &dir, base], Duration::from_secs(60));
        assert!(ok, "dnssec-revoke: {err}");
        Path::new(out.trim()).file_name().unwrap().to_string_lossy().into_owned()
    }

    /// The DNSKEY line of a key file, without its comments.
    fn dnskey(&self, base: &str) -> String {
        let text = std::fs::read_to_string(self.dir.join(format!("{base}.key"))).unwrap();
        text.lines().find(|l| !l.starts_with(';') && l.contains("DNSKEY")).unwrap().to_string()
    }

    /// Signs the zone with `keys` (each publishes its DNSKEY and signs the DNSKEY RRset;
    /// `dnssec-signzone` signs the rest with the ZSK) for 200 days, into [`Root::file`].
    fn sign(&mut self, keys: &[&str]) {
        self.serial += 1;
        let mut zone = format!(
            "$TTL 3600\n. 3600 IN SOA ns.root. hostmaster.root. {serial} 3600 600 864000 300\n. 3600 IN NS ns.root.\nns.root. 3600 IN A {ip}\n",
            serial = self.serial,
            ip = self.ns_ip
        );
        for k in keys {
            let line = self.dnskey(k);
            let rest = line.trim_start_matches('.').trim_start().trim_start_matches("IN").trim_start();
            zone.push_str(&format!(". {DNSKEY_TTL} IN {rest}\n"));
        }
        let input = self.dir.join(format!("root.{}.in", self.serial));
        std::fs::write(&input, zone).unwrap();
        let out = self.dir.join(format!("root.{}.signed", self.serial));
        let dir = self.dir.display().to_string();
        let (input_s, out_s) = (input.display().to_string(), out.display().to_string());
        // `-d`: the dsset file goes beside the keys, not into the working directory.
        let mut args = vec!["-q", "-K", &dir, "-d", &dir, "-o", ".", "-s", "now-1h", "-e", "now+200d", "-f", &out_s, &input_s];
        args.extend(keys.iter().copied());
        let (ok, stdout, err) = run_bounded(Path::new("dnssec-signzone"), &args, Duration::from_secs(60));
        assert!(ok, "dnssec-signzone: {stdout}{err}");
        std::fs::copy(&out, &self.file).unwrap();
    }
}

/// tern-auth serving the root on `addr` (port 53), with a control endpoint for reloads.
struct RootServer {
    proc: Proc,
    addr: SocketAddr,
    control: String,
}

impl RootServer {
    fn start(dir: &Path, root: &Root, addr: SocketAddr) -> RootServer {
        let control = fresh_addr(8953).to_string();
        let args = vec![
            "--listen".to_string(),
            addr.to_string(),
            "--zone".into(),
            format!(".={}", root.file.display()),
            "--data-dir".into(),
            dir.join("root-auth-data").display().to_string(),
            "--threads".into(),
            "1".into(),
            "--control".into(),
            control.clone(),
        ];
        let mut proc = Proc::spawn("tern-auth", &bin("tern-auth"), &args, dir.join("root-auth.log"));
        wait_ready(addr, &mut proc);
        RootServer { proc, addr, control }
    }

    /// Reloads the zone file and waits until the root's DNSKEY RRset is `tags`.
    fn reload(&self, tags: &[u16]) {
        let (ok, out, err) = run_auth(&["ctl", "reload", "--control", &self.control]);
        assert!(ok, "tern-auth ctl reload: {out}{err}");
        let mut want = tags.to_vec();
        want.sort_unstable();
        let served = eventually(WAIT, || {
            let r = query(self.addr, ".", RType::DNSKEY, Q::dnssec());
            let mut got: Vec<u16> =
                r.msg.answers.iter().filter(|x| x.rtype == RType::DNSKEY).map(|x| tern_shared::dnssec::key_tag(&x.rdata)).collect();
            got.sort_unstable();
            got == want
        });
        assert!(served, "tern-auth does not serve DNSKEY {want:?} after reload:\n{}", self.proc.log_text());
    }
}

// ---- the resolver's RFC 5011 state, as saved ----------------------------------------------

/// The saved state: (last_success, next_probe) of the trust point and (key tag, state)
/// of every tracked key. A small reader for the TOML of `tern_trust_anchors::state`.
#[derive(Debug, Default)]
struct Saved {
    last_success: Option<i64>,
    next_probe: Option<i64>,
    keys: Vec<(u16, String)>,
}

impl Saved {
    fn read(data_dir: &Path) -> Saved {
        let text = std::fs::read_to_string(data_dir.join("managed-keys.toml")).unwrap_or_default();
        let mut s = Saved::default();
        let mut tag = None;
        for line in text.lines() {
            let Some((k, v)) = line.split_once(" = ") else { continue };
            let v = v.trim().trim_matches('"');
            match k.trim() {
                "last_success" => s.last_success = v.parse().ok(),
                "next_probe" => s.next_probe = v.parse().ok(),
                "key_tag" => tag = v.parse().ok(),
                "state" => s.keys.push((tag.take().unwrap_or(0), v.to_string())),
                _ => {}
            }
        }
        s
    }

    fn state_of(&self, tag: u16) -> Option<&str> {
        self.keys.iter().find(|(t, _)| *t == tag).map(|(_, s)| s.as_str())
    }
}

/// Waits until the resolver has probed at (simulated) time `clock.now()` or later: its
/// next probe is then scheduled after that time.
fn wait_probe(data_dir: &Path, clock: &TestClock, r: &Resolver, step: &str) -> Saved {
    let since = clock.now();
    let mut saved = Saved::default();
    let done = eventually(WAIT, || {
        saved = Saved::read(data_dir);
        saved.next_probe.is_some_and(|n| n > since)
    });
    assert!(done, "{step}: no RFC 5011 probe after the clock moved to {since}: {saved:?}\n{}", r.proc.log_text());
    saved
}

/// The managed anchor: KSK-A as a BIND `initial-key`.
fn managed_anchor_file(dir: &Path, root: &Root, ksk: &str) -> PathBuf {
    let line = root.dnskey(ksk);
    let f: Vec<&str> = line.split_whitespace().collect();
    // `. IN DNSKEY flags protocol algorithm key...`
    let key = f[6..].join("");
    let p = dir.join("managed.conf");
    std::fs::write(&p, format!("trust-anchors {{\n    . initial-key {} {} {} \"{key}\";\n}};\n", f[3], f[4], f[5])).unwrap();
    p
}

/// One local root and its keys: the ZSK, KSK-A (anchored) and KSK-B (the successor).
struct RolloverLab {
    dir: tempfile::TempDir,
    root: Root,
    server: RootServer,
    zsk: String,
    ksk_a: String,
    ksk_b: String,
    clock: TestClock,
    resolver_args: Vec<String>,
    data_dir: PathBuf,
}

impl RolloverLab {
    fn new() -> Option<RolloverLab> {
        if !(require("dnssec-keygen") && require("dnssec-signzone") && require("dnssec-revoke")) {
            return None;
        }
        let addr = port_53()?;
        let dir = scratch();
        let mut root = Root::new(dir.path(), addr.ip());
        let (zsk, ksk_a, ksk_b) = (root.keygen(false), root.keygen(true), root.keygen(true));
        root.sign(&[&zsk, &ksk_a]);
        let server = RootServer::start(dir.path(), &root, addr);
        let clock = TestClock::new(dir.path());
        let data_dir = dir.path().join("resolver-data");
        let resolver_args = vec![
            "--root-hints".to_string(),
            hints(dir.path(), addr.ip()).display().to_string(),
            "--trust-anchor".into(),
            managed_anchor_file(dir.path(), &root, &ksk_a).display().to_string(),
            "--data-dir".into(),
            data_dir.display().to_string(),
        ];
        Some(RolloverLab { dir, root, server, zsk, ksk_a, ksk_b, clock, resolver_args, data_dir })
    }

    fn start_resolver(&self) -> Resolver {
        start_resolver(self.dir.path(), &self.clock, &self.resolver_args)
    }

    /// Re-signs the root with `keys` and has tern-auth serve it.
    fn publish(&mut self, keys: &[&str]) {
        let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        self.root.sign(&refs);
        let tags: Vec<u16> = keys.iter().map(|k| tag_of(k)).collect();
        self.server.reload(&tags);
    }

    /// Moves the clock forward, waits for the probe, checks `. SOA` is secure.
    fn step(&mut self, r: &Resolver, secs: i64, what: &str) -> Saved {
        self.clock.advance(secs);
        let saved = wait_probe(&self.data_dir, &self.clock, r, what);
        assert_secure(r, ".", RType::SOA, what);
        saved
    }
}

/// The whole rollover; `restart` restarts the resolver (same data directory) in the middle
/// of the add hold-down and again after the revocation.
fn play_rollover(restart: bool) {
    let Some(mut lab) = RolloverLab::new() else { return };
    let (tag_a, tag_b) = (tag_of(&lab.ksk_a), tag_of(&lab.ksk_b));
    let mut r = lab.start_resolver();

    // Day 0: only KSK-A. The first probe runs at start.
    let saved = wait_probe(&lab.data_dir, &lab.clock, &r, "start");
    assert_eq!(saved.state_of(tag_a), Some("valid"), "{saved:?}");
    assert_eq!(saved.next_probe, saved.last_success.map(|t| t + HOUR), "RFC 5011 §2.3 interval for TTL {DNSKEY_TTL}: one hour");
    assert_secure(&r, ".", RType::SOA, "day 0");

    // Day 1: KSK-B published, the DNSKEY RRset signed by A and B.
    let (zsk, ksk_a, ksk_b) = (lab.zsk.clone(), lab.ksk_a.clone(), lab.ksk_b.clone());
    lab.publish(&[&zsk, &ksk_a, &ksk_b]);
    let saved = lab.step(&r, DAY, "day 1: KSK-B published");
    assert_eq!(saved.state_of(tag_b), Some("add-pending"), "{saved:?}");
    assert_eq!(saved.next_probe, saved.last_success.map(|t| t + HOUR));
    let first_seen = lab.clock.now();

    // The hold-down, in 5-day steps: B stays pending until 30 days after it was first seen.
    for day in [6, 11, 16, 21, 26] {
        if restart && day == 16 {
            r.proc.stop();
            r = lab.start_resolver();
            assert_secure(&r, ".", RType::SOA, "after the restart in the hold-down");
            let saved = Saved::read(&lab.data_dir);
            assert_eq!(saved.state_of(tag_b), Some("add-pending"), "state kept across the restart: {saved:?}");
        }
        let saved = lab.step(&r, 5 * DAY, &format!("day {day}"));
        assert_eq!(saved.state_of(tag_b), Some("add-pending"), "day {day}: {saved:?}");
        assert_eq!(saved.state_of(tag_a), Some("valid"), "day {day}: {saved:?}");
        let listed = ctl(&r, &["anchors"]);
        assert!(listed.lines().any(|l| l.contains(&format!(" {tag_b} ")) && l.contains("add-pending")), "day {day}:\n{listed}");
    }
    // Day 31: the hold-down has passed; the next probe makes B valid.
    let saved = lab.step(&r, (HOLD_DOWN_DAYS + 1) * DAY - (lab.clock.now() - first_seen), "day 31: hold-down over");
    assert_eq!(saved.state_of(tag_b), Some("valid"), "{saved:?}");
    assert_eq!(saved.state_of(tag_a), Some("valid"), "{saved:?}");

    // Day 32: KSK-A revoked (REVOKE bit, self-signed), B signs too.
    let ksk_a_revoked = lab.root.revoke(&ksk_a);
    let tag_a_revoked = tag_of(&ksk_a_revoked);
    assert_ne!(tag_a_revoked, tag_a);
    lab.publish(&[&zsk, &ksk_a_revoked, &ksk_b]);
    let saved = lab.step(&r, DAY, "day 32: KSK-A revoked");
    assert_eq!(saved.state_of(tag_a_revoked), Some("revoked"), "{saved:?}");
    assert_eq!(saved.state_of(tag_b), Some("valid"), "{saved:?}");
    if restart {
        r.proc.stop();
        r = lab.start_resolver();
        assert_secure(&r, ".", RType::SOA, "after the restart following the revocation");
    }

    // Day 33: KSK-A removed; then past the remove hold-down (RFC 5011 §2.4.2).
    lab.publish(&[&zsk, &ksk_b]);
    lab.step(&r, DAY, "day 33: KSK-A removed");
    let saved = lab.step(&r, (HOLD_DOWN_DAYS + 1) * DAY, "day 64: remove hold-down over");
    assert_eq!(saved.state_of(tag_a_revoked), Some("removed"), "{saved:?}");
    let trusted: Vec<u16> = saved.keys.iter().filter(|(_, s)| s == "valid" || s == "missing").map(|(t, _)| *t).collect();
    assert_eq!(trusted, vec![tag_b], "only KSK-B is trusted: {saved:?}");

    // The same seen from the running resolver.
    let listed = ctl(&r, &["anchors"]);
    let root_rows: Vec<&str> = listed.lines().filter(|l| l.starts_with(". ")).collect();
    let valid: Vec<&str> = root_rows.iter().copied().filter(|l| l.split_whitespace().nth(4) == Some("valid")).collect();
    assert_eq!(valid.len(), 1, "{listed}");
    assert_eq!(valid[0].split_whitespace().nth(2), Some(tag_b.to_string().as_str()), "{listed}");
    assert!(listed.contains("trust point .: managed (RFC 5011)"), "{listed}");
    // And `tern-resolver anchors` reads the same from the data directory.
    let data = lab.data_dir.display().to_string();
    let anchor_file = lab.resolver_args[3].clone();
    let args: Vec<&str> = vec!["--data-dir", &data, "--trust-anchor", &anchor_file, "anchors"];
    let (ok, out, err) = run_bounded(&bin("tern-resolver"), &args, Duration::from_secs(20));
    assert!(ok, "{err}");
    let valid: Vec<&str> = out.lines().filter(|l| l.starts_with(". ") && l.split_whitespace().nth(4) == Some("valid")).collect();
    assert_eq!(valid.len(), 1, "{out}");
    assert!(valid[0].contains(&format!(" {tag_b} ")), "{out}");
    r.proc.stop();
    drop(lab);
}

#[test]
fn root_ksk_rollover_with_a_simulated_clock_stays_secure_and_ends_trusting_only_ksk_b() {
    play_rollover(false);
}

#[test]
fn restarts_mid_rollover_lose_nothing() {
    play_rollover(true);
}

#[test]
fn a_key_seen_for_less_than_the_hold_down_is_not_trusted() {
    let Some(mut lab) = RolloverLab::new() else { return };
    let (tag_a, tag_b) = (tag_of(&lab.ksk_a), tag_of(&lab.ksk_b));
    let r = lab.start_resolver();
    wait_probe(&lab.data_dir, &lab.clock, &r, "start");
    assert_secure(&r, ".", RType::SOA, "day 0");
    let (zsk, ksk_a, ksk_b) = (lab.zsk.clone(), lab.ksk_a.clone(), lab.ksk_b.clone());
    lab.publish(&[&zsk, &ksk_a, &ksk_b]);
    lab.step(&r, DAY, "day 1: KSK-B published");
    lab.step(&r, 14 * DAY, "day 15");
    let saved = lab.step(&r, 14 * DAY, "day 29");
    assert_eq!(saved.state_of(tag_b), Some("add-pending"), "{saved:?}");

    // Day 29: the root switches to KSK-B alone, a day before B could be trusted.
    lab.publish(&[&zsk, &ksk_b]);
    lab.clock.advance(3 * HOUR);
    let saved = wait_probe(&lab.data_dir, &lab.clock, &r, "day 29 + 3h: B alone");
    assert_eq!(saved.state_of(tag_b), Some("add-pending"), "B is not trusted early: {saved:?}");
    assert_eq!(saved.state_of(tag_a), Some("valid"), "A is not made missing by a set it did not sign: {saved:?}");
    let resp = ask(&r, ".", RType::SOA);
    assert_eq!(resp.rcode(), rcode::SERVFAIL, "a root signed only by a key in its hold-down must be bogus: {}", resp.summary());
    let (code, text) = resp.msg.edns.as_ref().and_then(|e| e.ede()).expect("an EDE");
    assert_eq!(code, ede::DNSKEY_MISSING, "{text}");
    assert!(text.contains("trust-anchor key"), "bogus because no trusted key is in the set: {text}");
    let listed = ctl(&r, &["anchors"]);
    assert!(listed.lines().any(|l| l.contains(&format!(" {tag_b} ")) && l.contains("add-pending")), "{listed}");
    // Even once the calendar passes day 31, a set B alone signs cannot make B valid.
    lab.clock.advance(3 * DAY);
    let saved = wait_probe(&lab.data_dir, &lab.clock, &r, "day 32: B alone");
    assert_eq!(saved.state_of(tag_b), Some("add-pending"), "{saved:?}");
    assert_eq!(ask(&r, ".", RType::SOA).rcode(), rcode::SERVFAIL);
}

// ---- NTAs and internal zones: tern-auth signs, no BIND tools, no port 53 --------------------

/// A root hints file pointing at a loopback address where nothing listens: the built-in
/// root anchor's probe and any iteration stay on loopback and fail.
fn dead_hints(dir: &Path) -> PathBuf {
    hints(dir, fresh_ip().into())
}

/// Quick timeouts for the resolvers that meet the dead root.
fn quick_config(dir: &Path) -> PathBuf {
    let p = dir.join("quick.toml");
    std::fs::write(&p, "[iterator]\nquery_timeout = \"300ms\"\nresolution_timeout = \"3s\"\n").unwrap();
    p
}

/// `tern-auth zone secure NAME` in `data`; returns the DS lines it prints.
fn secure_zone(name: &str, data: &Path) -> String {
    let data_s = data.display().to_string();
    let (ok, out, err) = run_auth(&["zone", "secure", name, "--data-dir", &data_s]);
    assert!(ok, "zone secure {name}: {err}");
    let (ok, ds, err) = run_auth(&["zone", "ds", name, "--data-dir", &data_s]);
    assert!(ok, "zone ds {name}: {err}");
    assert_eq!(out, ds);
    ds
}

/// tern-auth serving example.com. signed with one key set, and the resolver arguments
/// that forward it with the DS of another set as its anchor: every answer is bogus.
fn bogus_example_com(dir: &Path) -> (Auth, Vec<String>) {
    let zone = dir.join("example.com.zone");
    std::fs::copy(fixtures().join("example.com.zone"), &zone).unwrap();
    secure_zone("example.com.", &dir.join("auth-data"));
    let wrong_ds = secure_zone("example.com.", &dir.join("other-keys"));
    let anchor = dir.join("wrong.ds");
    std::fs::write(&anchor, wrong_ds).unwrap();
    let auth = start_auth(dir, &[("example.com.", &zone)], &[]);
    let args = vec![
        "--config".into(),
        quick_config(dir).display().to_string(),
        "--forward-zone".into(),
        format!("example.com.={}", auth.addr),
        "--trust-anchor".into(),
        anchor.display().to_string(),
        "--root-hints".into(),
        dead_hints(dir).display().to_string(),
    ];
    (auth, args)
}

#[test]
fn nta_makes_a_bogus_zone_insecure_until_it_expires() {
    let dir = scratch();
    let (_auth, args) = bogus_example_com(dir.path());
    let mut clock = TestClock::new(dir.path());
    let r = start_resolver(dir.path(), &clock, &args);
    for _ in 0..2 {
        let b = ask(&r, "www.example.com.", RType::A);
        assert_eq!(b.rcode(), rcode::SERVFAIL, "bogus before the NTA: {}\n{}", b.summary(), r.proc.log_text());
    }

    let out = ctl(&r, &["nta-add", "example.com.", "2s"]);
    assert!(out.contains("negative trust anchor example.com."), "{out}");
    assert!(ctl(&r, &["nta-list"]).contains("example.com."));
    for attempt in 0..2 {
        // The second answer comes from the caches.
        let a = ask(&r, "www.example.com.", RType::A);
        assert_eq!((a.rcode(), a.flag(flags::AD)), (rcode::NOERROR, false), "attempt {attempt} under the NTA: {}", a.summary());
        assert_eq!(a.answers(RType::A), vec!["192.0.2.3"]);
    }
    let sub = ask(&r, "alias.example.com.", RType::A);
    assert_eq!((sub.rcode(), sub.flag(flags::AD)), (rcode::NOERROR, false), "names below the NTA too: {}", sub.summary());

    // Expired: bogus again, even though the insecure answers were cached with TTL 3600.
    clock.advance(3);
    for attempt in 0..2 {
        let b = ask(&r, "www.example.com.", RType::A);
        assert_eq!(b.rcode(), rcode::SERVFAIL, "attempt {attempt} after the NTA expired: {}", b.summary());
    }
    assert!(!ctl(&r, &["nta-list"]).contains("example.com."), "expired NTAs are not listed");

    // Removing an NTA at once ends it too.
    ctl(&r, &["nta-add", "example.com.", "1h"]);
    assert!(!ask(&r, "www.example.com.", RType::A).flag(flags::AD));
    assert_eq!(ask(&r, "www.example.com.", RType::A).rcode(), rcode::NOERROR);
    ctl(&r, &["nta-remove", "example.com."]);
    assert_eq!(ask(&r, "www.example.com.", RType::A).rcode(), rcode::SERVFAIL);
}

#[test]
fn runtime_nta_survives_a_restart_until_it_expires() {
    let dir = scratch();
    let (_auth, mut args) = bogus_example_com(dir.path());
    let data = dir.path().join("resolver-data");
    args.extend(["--data-dir".to_string(), data.display().to_string()]);
    let mut clock = TestClock::new(dir.path());
    let mut r = start_resolver(dir.path(), &clock, &args);
    assert_eq!(ask(&r, "www.example.com.", RType::A).rcode(), rcode::SERVFAIL);
    ctl(&r, &["nta-add", "example.com.", "1h"]);
    let saved = std::fs::read_to_string(data.join("negative-trust-anchors.toml")).unwrap();
    assert!(saved.contains("example.com."), "{saved}");

    r.proc.stop();
    let mut r = start_resolver(dir.path(), &clock, &args);
    assert!(ctl(&r, &["nta-list"]).contains("example.com."), "restored after the restart");
    let a = ask(&r, "www.example.com.", RType::A);
    assert_eq!((a.rcode(), a.flag(flags::AD)), (rcode::NOERROR, false), "still insecure: {}", a.summary());

    // It keeps its expiry: an hour later, restarted again, it is gone.
    r.proc.stop();
    clock.advance(3601);
    let r = start_resolver(dir.path(), &clock, &args);
    assert!(!ctl(&r, &["nta-list"]).contains("example.com."));
    assert_eq!(ask(&r, "www.example.com.", RType::A).rcode(), rcode::SERVFAIL);
}

#[test]
fn internal_zone_with_the_ds_from_tern_auth_validates_as_secure() {
    let dir = scratch();
    let zone = dir.path().join("corp.example.zone");
    std::fs::write(
        &zone,
        "$ORIGIN corp.example.\n$TTL 300\n@ IN SOA ns hostmaster 1 3600 600 86400 300\n  IN NS ns\nns IN A 192.0.2.1\nwww IN A 192.0.2.80\n",
    )
    .unwrap();
    let ds = secure_zone("corp.example.", &dir.path().join("auth-data"));
    let anchor = dir.path().join("corp.example.ds");
    std::fs::write(&anchor, &ds).unwrap();
    let auth = start_auth(dir.path(), &[("corp.example.", &zone)], &[]);
    let clock = TestClock::new(dir.path());
    let common = vec![
        "--config".to_string(),
        quick_config(dir.path()).display().to_string(),
        "--forward-zone".into(),
        format!("corp.example.={}", auth.addr),
        "--root-hints".into(),
        dead_hints(dir.path()).display().to_string(),
    ];

    let mut args = common.clone();
    args.extend(["--trust-anchor".to_string(), anchor.display().to_string()]);
    let r = start_resolver(dir.path(), &clock, &args);
    assert_secure(&r, "www.corp.example.", RType::A, "internal zone with its DS as anchor");
    let nx = ask(&r, "nope.corp.example.", RType::A);
    assert_eq!((nx.rcode(), nx.flag(flags::AD)), (rcode::NXDOMAIN, true), "NXDOMAIN proven: {}", nx.summary());
    let listed = ctl(&r, &["anchors"]);
    let ds_tag = ds.split_whitespace().nth(4).unwrap();
    assert!(listed.lines().any(|l| l.starts_with("corp.example.") && l.contains(ds_tag) && l.contains("static")), "{listed}");
    assert!(listed.lines().any(|l| l.starts_with(". ") && l.contains("20326")), "the built-in root anchor is kept:\n{listed}");

    // Without the anchor, the forward zone defaults to dnssec = "insecure": the public
    // chain cannot reach it, so it is answered without validation, never AD.
    let plain = start_resolver(dir.path(), &clock, &common);
    let b = ask(&plain, "www.corp.example.", RType::A);
    assert_eq!(b.rcode(), rcode::NOERROR, "{}", b.summary());
    assert!(!b.flag(flags::AD));
}
