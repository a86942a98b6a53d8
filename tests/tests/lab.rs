//! `tern-lab`, the README's first command: builds the lab hierarchy, runs tern-auth and
//! tern-resolver in one process, checks secure, bogus and internal answers, and stops
//! cleanly on Ctrl-C (SIGINT).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tern_shared::wire::{ede, flags, rcode, RType};
use tern_tests::*;

#[test]
fn lab_answers_secure_bogus_and_internal_and_stops_on_ctrl_c() {
    let dir = scratch();
    let labdir = dir.path().join("lab");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tern-lab"))
        .arg(&labdir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tern-lab");
    let pid = child.id() as i32;
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut text = String::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut port = None;
    while Instant::now() < deadline {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        text.push_str(&line);
        if let Some(rest) = line.trim().strip_prefix("tern-resolver  127.0.0.1:") {
            port = rest.split_whitespace().next().and_then(|p| p.parse::<u16>().ok());
        }
        if line.contains("Press Ctrl-C") {
            break;
        }
    }
    let port = port.unwrap_or_else(|| panic!("no resolver port in:\n{text}"));
    assert!(text.contains("dig @127.0.0.1"), "{text}");
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    let secure = query(addr, "www.secure.lab.", RType::A, Q::rd_dnssec());
    assert!(secure.flag(flags::AD), "{}", secure.summary());
    let bogus = query(addr, "www.bogus.lab.", RType::A, Q::rd_dnssec());
    assert_eq!((bogus.rcode(), bogus.ede()), (rcode::SERVFAIL, Some(ede::DNSKEY_MISSING)));
    let internal = query(addr, "www.corp.internal.", RType::A, Q::rd_dnssec());
    assert!(internal.flag(flags::AD) && internal.answers(RType::A) == vec!["10.0.0.10"], "{}", internal.summary());
    let plain = query(addr, "www.plain.lab.", RType::A, Q::rd_dnssec());
    assert!(plain.rcode() == rcode::NOERROR && !plain.flag(flags::AD), "unsigned zone is insecure: {}", plain.summary());
    // Ctrl-C stops both daemons and the process.
    // SAFETY: kill(2) on our own child's PID.
    unsafe {
        libc::kill(pid, libc::SIGINT);
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut status = None;
    while Instant::now() < deadline {
        if let Ok(Some(s)) = child.try_wait() {
            status = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let Some(status) = status else {
        let _ = child.kill();
        panic!("tern-lab did not stop on SIGINT");
    };
    assert!(status.success());
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut out, &mut rest);
    assert!(rest.contains("stopped"), "{rest}");
}
