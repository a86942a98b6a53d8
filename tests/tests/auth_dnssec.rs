//! "Flick the switch" DNSSEC in tern-auth, checked by tools nobody here wrote:
//! zones secured by `tern-auth zone secure` and fetched by AXFR must pass
//! `ldns-verify-zone` (ldnsutils) and `dnssec-verify` (bind9-utils) for NSEC and NSEC3
//! at algorithms 13, 15 and 8, and Unbound, trusting the DS from `tern-auth zone ds`,
//! must set AD on positive, NXDOMAIN, NODATA and wildcard answers.

use std::path::Path;
use std::time::Duration;
use tern_shared::wire::{flags, rcode, RType};
use tern_tests::*;

fn copy_fixture(dir: &Path) -> std::path::PathBuf {
    let zone = dir.join("example.com.zone");
    std::fs::copy(fixtures().join("example.com.zone"), &zone).unwrap();
    zone
}

fn secure(data: &Path, extra: &[&str]) -> String {
    let data_s = data.display().to_string();
    let mut args = vec!["zone", "secure", "example.com.", "--data-dir", &data_s];
    args.extend_from_slice(extra);
    let (ok, out, err) = run_auth(&args);
    assert!(ok, "zone secure failed: {err}");
    out
}

/// Fetches a zone with dig's AXFR and returns it as zone-file text.
fn dig_axfr(addr: std::net::SocketAddr, zone: &str) -> String {
    let port = addr.port().to_string();
    let server = format!("@{}", addr.ip());
    let (ok, out, err) =
        run_bounded(Path::new("dig"), &[&server, "-p", &port, zone, "AXFR", "+nocmd", "+nostats", "+nocomments"], Duration::from_secs(30));
    assert!(ok, "dig AXFR failed: {err}");
    assert!(!out.contains("Transfer failed"), "AXFR refused:\n{out}");
    out
}

#[test]
fn secured_zones_pass_ldns_verify_zone_and_dnssec_verify() {
    if !(require("dig") && require("ldns-verify-zone") && require("dnssec-verify")) {
        return;
    }
    for alg in ["ecdsap256sha256", "ed25519", "rsasha256"] {
        for denial in [&[][..], &["--nsec3"][..], &["--nsec3", "--opt-out"][..]] {
            let dir = scratch();
            let zone = copy_fixture(dir.path());
            let mut extra = vec!["--algorithm", alg];
            extra.extend_from_slice(denial);
            secure(&dir.path().join("auth-data"), &extra);
            let auth = start_auth(dir.path(), &[("example.com.", &zone)], &["--allow-transfer", "127.0.0.0/8"]);
            let text = dig_axfr(auth.addr, "example.com.");
            let file = dir.path().join("axfr.zone");
            std::fs::write(&file, &text).unwrap();
            let what = format!("{alg} {denial:?}");
            let chain_type = if denial.is_empty() { "NSEC" } else { "NSEC3" };
            assert!(text.lines().any(|l| l.split_whitespace().nth(3) == Some(chain_type)), "{what}: no {chain_type} chain in\n{text}");
            let (ok, out, err) = run_bounded(Path::new("ldns-verify-zone"), &[&file.display().to_string()], Duration::from_secs(60));
            assert!(ok, "ldns-verify-zone rejects {what}:\n{out}{err}");
            let (ok, out, err) =
                run_bounded(Path::new("dnssec-verify"), &["-o", "example.com.", &file.display().to_string()], Duration::from_secs(60));
            assert!(ok, "dnssec-verify rejects {what}:\n{out}{err}");
        }
    }
}

#[test]
fn zone_ds_prints_sha256_and_sha384_matching_the_served_ksk() {
    let dir = scratch();
    let data = dir.path().join("auth-data");
    let printed = secure(&data, &[]);
    let (ok, ds, err) = run_auth(&["zone", "ds", "example.com.", "--data-dir", &data.display().to_string()]);
    assert!(ok, "{err}");
    assert_eq!(printed, ds, "secure prints the same DS as `zone ds`");
    let lines: Vec<&str> = ds.lines().collect();
    assert_eq!(lines.len(), 2, "{ds}");
    assert!(lines[0].contains("\tDS\t") && lines[0].split_whitespace().nth(6) == Some("2"), "{ds}");
    assert!(lines[1].split_whitespace().nth(6) == Some("4"), "{ds}");
    // The DS refers to the KSK the server publishes.
    let zone = copy_fixture(dir.path());
    let auth = start_auth(dir.path(), &[("example.com.", &zone)], &[]);
    let keys = query(auth.addr, "example.com.", RType::DNSKEY, Q::dnssec());
    let ksk_tag = lines[0].split_whitespace().nth(4).unwrap();
    let ksk = keys.msg.answers.iter().find(|r| r.rtype == RType::DNSKEY && r.rdata[1] == 1).expect("a KSK (flags 257)");
    assert_eq!(tern_shared::dnssec::key_tag(&ksk.rdata).to_string(), ksk_tag);
    // Key files are private: the store is 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let store = data.join("tern-auth.redb");
        assert_eq!(std::fs::metadata(&store).unwrap().permissions().mode() & 0o777, 0o600);
    }
    assert!(!auth.proc.log_text().contains("MIG"), "no PKCS#8 material in logs");
}

#[test]
fn zone_secure_while_running_signs_within_seconds_with_a_higher_serial() {
    let dir = scratch();
    let zone = copy_fixture(dir.path());
    let auth = start_auth(dir.path(), &[("example.com.", &zone)], &[]);
    let before = query(auth.addr, "example.com.", RType::SOA, Q::dnssec());
    assert_eq!(before.msg.answers.iter().filter(|r| r.rtype == RType::RRSIG).count(), 0);
    secure(&auth.data_dir, &["--nsec3", "--cds"]);
    let signed = eventually(Duration::from_secs(15), || {
        try_query(auth.addr, "example.com.", RType::DNSKEY, Q::dnssec()).is_some_and(|r| r.answers(RType::DNSKEY).len() == 2)
    });
    assert!(signed, "not signed within 15 s:\n{}", auth.proc.log_text());
    let after = query(auth.addr, "example.com.", RType::SOA, Q::dnssec());
    let serial = |r: &Response| {
        r.msg.answers.iter().find(|x| x.rtype == RType::SOA).map(|x| tern_shared::wire::record::soa_serial(&x.rdata).unwrap()).unwrap()
    };
    assert!(serial(&after) > serial(&before), "serial bumped when signing starts");
    // CDS/CDNSKEY were asked for (RFC 7344), and are signed.
    for t in [RType::CDS, RType::CDNSKEY] {
        let r = query(auth.addr, "example.com.", t, Q::dnssec());
        assert!(!r.answers(t).is_empty(), "{t}: {}", r.summary());
        assert!(r.msg.answers.iter().any(|x| x.rrsig_covered() == Some(t)));
    }
    let p = query(auth.addr, "example.com.", RType::NSEC3PARAM, Q::dnssec());
    assert_eq!(p.answers(RType::NSEC3PARAM), vec!["1 0 0 -"], "RFC 9276 defaults: SHA-1, no extra iterations, no salt");
}

#[test]
fn signatures_are_refreshed_before_expiry_with_the_serial_bumped() {
    let dir = scratch();
    let zone = copy_fixture(dir.path());
    secure(&dir.path().join("auth-data"), &[]);
    let cfg = dir.path().join("auth.toml");
    std::fs::write(&cfg, format!("[dnssec]\nsignature_validity = \"90s\"\nrefresh_before = \"80s\"\ninception_offset = \"1m\"\n\n[[zone]]\nname = \"example.com.\"\nfile = \"{}\"\n", zone.display())).unwrap();
    let auth = start_auth(dir.path(), &[], &["--config", &cfg.display().to_string()]);
    let soa = |a: &Auth| query(a.addr, "example.com.", RType::SOA, Q::dnssec());
    let first = soa(&auth);
    let sig = |r: &Response| {
        r.msg
            .answers
            .iter()
            .find(|x| x.rtype == RType::RRSIG)
            .map(|x| tern_shared::wire::record::RrsigView::parse(&x.rdata).unwrap().expiration)
            .unwrap()
    };
    let serial = |r: &Response| tern_shared::wire::record::soa_serial(&r.msg.answers[0].rdata).unwrap();
    let (exp0, ser0) = (sig(&first), serial(&first));
    let v =
        tern_shared::wire::record::RrsigView::parse(&first.msg.answers.iter().find(|x| x.rtype == RType::RRSIG).unwrap().rdata).unwrap();
    assert_eq!(v.expiration - v.inception, 150, "validity 90s plus 60s inception offset");
    let refreshed = eventually(Duration::from_secs(40), || {
        let r = soa(&auth);
        sig(&r) > exp0 && serial(&r) > ser0
    });
    assert!(refreshed, "not re-signed within 40 s:\n{}", auth.proc.log_text());
}

#[test]
fn presigned_zone_is_served_as_it_is() {
    if !require("dig") {
        return;
    }
    // Sign with one instance, transfer, serve the transferred text from another without keys.
    let dir = scratch();
    let zone = copy_fixture(dir.path());
    secure(&dir.path().join("auth-data"), &["--nsec3"]);
    let signer = start_auth(dir.path(), &[("example.com.", &zone)], &["--allow-transfer", "127.0.0.0/8"]);
    let text = dig_axfr(signer.addr, "example.com.");
    let original = query(signer.addr, "nope.example.com.", RType::A, Q::dnssec());
    drop(signer);
    let dir2 = scratch();
    let file = dir2.path().join("presigned.zone");
    std::fs::write(&file, text).unwrap();
    let auth = start_auth(dir2.path(), &[("example.com.", &file)], &[]);
    let r = query(auth.addr, "nope.example.com.", RType::A, Q::dnssec());
    assert_eq!(r.rcode(), rcode::NXDOMAIN);
    let set = |resp: &Response| {
        let mut v: Vec<String> = resp.msg.authority.iter().map(|x| x.to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(set(&r), set(&original), "same proofs and signatures as the signer served");
}

fn unbound_conf(dir: &Path, listen: std::net::SocketAddr, auth: std::net::SocketAddr, ds: &str) -> std::path::PathBuf {
    let mut anchors = String::new();
    for line in ds.lines() {
        anchors.push_str(&format!("    trust-anchor: \"{}\"\n", line.split_whitespace().collect::<Vec<_>>().join(" ")));
    }
    let conf = format!(
        "server:\n    username: \"\"\n    chroot: \"\"\n    directory: \"{dir}\"\n    pidfile: \"\"\n    do-daemonize: no\n    use-syslog: no\n    logfile: \"\"\n    verbosity: 1\n    interface: {ip}\n    port: {port}\n    do-ip6: no\n    do-not-query-localhost: no\n    access-control: 127.0.0.0/8 allow\n    module-config: \"validator iterator\"\n    val-log-level: 2\n    qname-minimisation: no\n{anchors}stub-zone:\n    name: \"example.com.\"\n    stub-addr: {aip}@{aport}\nremote-control:\n    control-enable: no\n",
        dir = dir.display(),
        ip = listen.ip(),
        port = listen.port(),
        aip = auth.ip(),
        aport = auth.port()
    );
    let path = dir.join("unbound.conf");
    std::fs::write(&path, conf).unwrap();
    path
}

#[test]
fn unbound_trusting_the_ds_validates_answers_as_secure() {
    if !require("unbound") {
        return;
    }
    for denial in [&[][..], &["--nsec3"][..]] {
        let dir = scratch();
        let zone = copy_fixture(dir.path());
        let ds = secure(&dir.path().join("auth-data"), denial);
        let auth = start_auth(dir.path(), &[("example.com.", &zone)], &[]);
        let listen = fresh_addr(5353);
        let conf = unbound_conf(dir.path(), listen, auth.addr, &ds);
        let unbound_bin = std::path::PathBuf::from(
            String::from_utf8(std::process::Command::new("sh").args(["-c", "command -v unbound"]).output().unwrap().stdout).unwrap().trim(),
        );
        let mut ub =
            Proc::spawn("unbound", &unbound_bin, &["-d".into(), "-c".into(), conf.display().to_string()], dir.path().join("unbound.log"));
        wait_ready(listen, &mut ub);
        let cases = [
            ("www.example.com.", RType::A, rcode::NOERROR, 1, "positive"),
            ("nope.example.com.", RType::A, rcode::NXDOMAIN, 0, "NXDOMAIN"),
            ("www.example.com.", RType::MX, rcode::NOERROR, 0, "NODATA"),
            ("b.c.example.com.", RType::A, rcode::NOERROR, 0, "NODATA at an empty non-terminal"),
            ("anything.wild.example.com.", RType::A, rcode::NOERROR, 1, "wildcard"),
            ("anything.wild.example.com.", RType::MX, rcode::NOERROR, 0, "wildcard NODATA"),
            ("chain.example.com.", RType::A, rcode::NOERROR, 3, "CNAME chain"),
            ("dn.example.com.", RType::DNAME, rcode::NOERROR, 1, "DNAME"),
            ("sub.example.com.", RType::DS, rcode::NOERROR, 0, "no DS at an insecure delegation"),
        ];
        for (name, t, rc, n, what) in cases {
            let r = query(listen, name, t, Q::rd_dnssec());
            assert_eq!(r.rcode(), rc, "{denial:?} {what}: {}\nunbound log:\n{}", r.summary(), ub.log_text());
            assert!(
                r.flag(flags::AD),
                "{denial:?} {what}: Unbound did not validate as secure: {}\nunbound log:\n{}",
                r.summary(),
                ub.log_text()
            );
            assert_eq!(r.msg.answers.iter().filter(|x| x.rtype != RType::RRSIG).count(), n, "{what}: {}", r.summary());
        }
    }
}
