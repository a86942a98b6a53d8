//! Harness for whole-binary tests: starts the real `tern-auth` / `tern-resolver`
//! binaries (and peers such as Unbound) on loopback, stops them by PID when the guard
//! drops, hands out non-colliding loopback addresses, and speaks DNS on the wire.
//!
//! Every network operation is bounded in time; nothing leaves 127.0.0.0/8.
//! Responses are decoded by our own parser and, as a cross-check, by hickory-proto's.

pub mod deckard;
pub mod hierarchy;

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use tern_shared::wire::message::EDNS_DO;
use tern_shared::wire::writer::{MessageWriter, Section};
use tern_shared::wire::{flags, Class, Header, Message, Name, RType};

/// Path of a workspace binary built next to the test executable (`target/<profile>/NAME`).
/// `cargo test --workspace` builds them first because the binary crates have tests.
pub fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe.parent().and_then(Path::parent).expect("target/<profile>");
    let p = dir.join(name);
    assert!(p.exists(), "{} is not built; run `cargo build --workspace --bins` (cargo test --workspace does it)", p.display());
    // `cargo test -p tern-tests` alone does not rebuild the daemons: refuse to test a
    // binary older than the sources it is built from rather than report stale results.
    let built = std::fs::metadata(&p).and_then(|m| m.modified()).expect("binary mtime");
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root");
    let sources: &[&str] = match name {
        "tern-auth" => &["shared/src", "authoritative/src"],
        "tern-resolver" => &["shared/src", "resolver/src", "trust-anchors/src"],
        _ => &["shared/src", "authoritative/src", "resolver/src", "trust-anchors/src"],
    };
    for src in sources {
        if let Some(newer) = newest_file(&workspace.join(src)).filter(|(t, _)| *t > built) {
            panic!("{} is older than {}: run `cargo build --workspace --bins` first", p.display(), newer.1.display());
        }
    }
    p
}

/// The most recently modified file under `dir`, recursively.
fn newest_file(dir: &Path) -> Option<(std::time::SystemTime, PathBuf)> {
    let mut best: Option<(std::time::SystemTime, PathBuf)> = None;
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let path = e.path();
        let found = if path.is_dir() { newest_file(&path) } else { e.metadata().and_then(|m| m.modified()).ok().map(|t| (t, path)) };
        if let Some(f) = found {
            if best.as_ref().is_none_or(|b| f.0 > b.0) {
                best = Some(f);
            }
        }
    }
    best
}

/// The shared lab/conformance folder beside the repository (`../shared`).
pub fn shared_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared")
}

/// This crate's fixtures folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

static NEXT_ADDR: AtomicU32 = AtomicU32::new(1);

/// A loopback address no other test in this run uses: 127.A.B.C with A derived from
/// the process id (test binaries run in parallel) and B.C from a counter.
pub fn fresh_ip() -> Ipv4Addr {
    let n = NEXT_ADDR.fetch_add(1, Ordering::Relaxed);
    let a = 60 + (std::process::id() % 150) as u8;
    Ipv4Addr::new(127, a, (n / 250) as u8, (n % 250 + 1) as u8)
}

/// A fresh loopback socket address on `port`.
pub fn fresh_addr(port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(fresh_ip()), port)
}

/// True if an external program is on PATH.
/// Whether this process may bind privileged port 53 on `probe` (an otherwise unused
/// loopback address). The probe runs once per process and under a lock: tests run in
/// parallel, and two probes of the same address at the same moment would make the second
/// one fail with EADDRINUSE and look like missing permission.
pub fn can_bind_port_53(probe: Ipv4Addr) -> bool {
    static SEEN: std::sync::Mutex<Vec<(Ipv4Addr, bool)>> = std::sync::Mutex::new(Vec::new());
    let mut seen = SEEN.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(&(_, ok)) = seen.iter().find(|(ip, _)| *ip == probe) {
        return ok;
    }
    let ok = UdpSocket::bind((probe, 53)).is_ok();
    seen.push((probe, ok));
    ok
}

pub fn have(program: &str) -> bool {
    Command::new("sh").arg("-c").arg(format!("command -v {program}")).stdout(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// A child process stopped by PID (SIGTERM, then SIGKILL after 5 s) when dropped.
pub struct Proc {
    child: Child,
    /// What it is, for messages.
    pub name: String,
    /// Its stderr log file.
    pub log: PathBuf,
}

impl Proc {
    /// Starts `program args...` with stdout/stderr to `log`.
    pub fn spawn(name: &str, program: &Path, args: &[String], log: PathBuf) -> Proc {
        let out = std::fs::File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        Proc { child, name: name.into(), log }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The log written so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// True if still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends a signal by PID.
    pub fn signal(&self, sig: i32) {
        // SAFETY: kill(2) on our own child's PID.
        unsafe {
            libc::kill(self.child.id() as i32, sig);
        }
    }

    /// Stops it: SIGTERM, wait up to 5 s, then SIGKILL.
    pub fn stop(&mut self) {
        if !self.running() {
            return;
        }
        self.signal(libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if !self.running() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Options for one query.
#[derive(Debug, Clone, Copy)]
pub struct Q {
    /// Send an OPT record.
    pub edns: bool,
    /// Set DO.
    pub dnssec: bool,
    /// Set CD.
    pub cd: bool,
    /// Set RD.
    pub rd: bool,
    /// Set AD.
    pub ad: bool,
    /// Use TCP.
    pub tcp: bool,
    /// EDNS UDP payload size advertised.
    pub udp_size: u16,
    /// EDNS version.
    pub edns_version: u8,
}

impl Default for Q {
    fn default() -> Q {
        Q { edns: true, dnssec: false, cd: false, rd: false, ad: false, tcp: false, udp_size: 1232, edns_version: 0 }
    }
}

impl Q {
    /// DO=1.
    pub fn dnssec() -> Q {
        Q { dnssec: true, ..Q::default() }
    }
    /// RD=1 (to a resolver).
    pub fn rd() -> Q {
        Q { rd: true, ..Q::default() }
    }
    /// RD=1 and DO=1.
    pub fn rd_dnssec() -> Q {
        Q { rd: true, dnssec: true, ..Q::default() }
    }
}

/// Builds a query packet.
pub fn build_query(id: u16, name: &str, qtype: RType, q: Q) -> Vec<u8> {
    let qname: Name = name.parse().expect("query name");
    let mut f = 0u16;
    if q.rd {
        f |= flags::RD;
    }
    if q.cd {
        f |= flags::CD;
    }
    if q.ad {
        f |= flags::AD;
    }
    let mut buf = Vec::new();
    let mut w = MessageWriter::new(&mut buf, 65535, Header { id, flags: f, ..Default::default() });
    w.question(qname.wire(), qtype, Class::IN).expect("fits");
    if q.edns {
        // OPT by hand so the version can be set.
        let _ = Section::Additional;
        w.opt(q.udp_size, 0, q.dnssec, None);
    }
    w.finish();
    if q.edns && q.edns_version != 0 {
        // The OPT TTL's second octet is the version (RFC 6891 §6.1.3).
        let n = buf.len();
        buf[n - 11 + 6] = q.edns_version;
    }
    buf
}

/// A response, decoded.
#[derive(Debug, Clone)]
pub struct Response {
    /// Raw bytes.
    pub raw: Vec<u8>,
    /// Our decoding.
    pub msg: Message,
}

impl Response {
    /// The full rcode.
    pub fn rcode(&self) -> u16 {
        self.msg.rcode()
    }
    /// True if `bit` is set in the header.
    pub fn flag(&self, bit: u16) -> bool {
        self.msg.header.has(bit)
    }
    /// Answer records of `t` as presentation RDATA.
    pub fn answers(&self, t: RType) -> Vec<String> {
        self.msg.answers.iter().filter(|r| r.rtype == t).map(|r| r.rdata_text()).collect()
    }
    /// Types in a section, in order.
    pub fn types(section: &[tern_shared::wire::Record]) -> Vec<RType> {
        section.iter().map(|r| r.rtype).collect()
    }
    /// The EDE code, if any.
    pub fn ede(&self) -> Option<u16> {
        self.msg.edns.as_ref().and_then(|e| e.ede()).map(|(c, _)| c)
    }
    /// A one-line summary for assertion messages.
    pub fn summary(&self) -> String {
        let mut s = format!("rcode={} flags={:04x}", self.rcode(), self.msg.header.flags);
        for (sec, recs) in [("AN", &self.msg.answers), ("NS", &self.msg.authority), ("AR", &self.msg.additional)] {
            for r in recs.iter() {
                s.push_str(&format!("\n  {sec} {r}"));
            }
        }
        s
    }
}

/// Sends raw bytes over UDP and returns the raw reply, or `None` after `timeout`.
pub fn udp_exchange(server: SocketAddr, packet: &[u8], timeout: Duration) -> Option<Vec<u8>> {
    udp_exchange_from(Ipv4Addr::LOCALHOST, server, packet, timeout)
}

/// As [`udp_exchange`], from the loopback address `source` (127.0.0.0/8).
pub fn udp_exchange_from(source: Ipv4Addr, server: SocketAddr, packet: &[u8], timeout: Duration) -> Option<Vec<u8>> {
    let sock = UdpSocket::bind((source, 0)).expect("client socket");
    sock.set_read_timeout(Some(timeout)).ok()?;
    sock.send_to(packet, server).ok()?;
    let mut buf = vec![0u8; 65535];
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        match sock.recv_from(&mut buf) {
            Ok((n, from)) if from == server => return Some(buf[..n].to_vec()),
            Ok(_) => continue,
            Err(_) => return None,
        }
    }
    None
}

/// Sends several length-prefixed messages on one TCP connection (pipelined, RFC 7766
/// §6.2.1.1) and reads `expect` replies.
pub fn tcp_exchange(server: SocketAddr, packets: &[Vec<u8>], expect: usize, timeout: Duration) -> Vec<Vec<u8>> {
    let mut s = TcpStream::connect_timeout(&server, timeout).expect("TCP connect");
    s.set_read_timeout(Some(timeout)).expect("timeout");
    let mut out = Vec::new();
    for p in packets {
        out.extend_from_slice(&(p.len() as u16).to_be_bytes());
        out.extend_from_slice(p);
    }
    s.write_all(&out).expect("TCP write");
    let mut replies = Vec::new();
    for _ in 0..expect {
        let mut len = [0u8; 2];
        if s.read_exact(&mut len).is_err() {
            break;
        }
        let mut buf = vec![0u8; u16::from_be_bytes(len) as usize];
        if s.read_exact(&mut buf).is_err() {
            break;
        }
        replies.push(buf);
    }
    replies
}

/// Decodes a reply with our parser, and checks hickory-proto can decode it too.
pub fn decode(raw: Vec<u8>) -> Response {
    let msg = Message::parse(&raw).unwrap_or_else(|e| panic!("our parser rejects the reply: {e}: {raw:02x?}"));
    if let Err(e) = hickory_proto::op::Message::from_vec(&raw) {
        panic!("hickory-proto cannot decode the reply ({e}); ours reads:\n{msg:?}");
    }
    Response { raw, msg }
}

/// Asks `server` one question (UDP unless `q.tcp`), bounded to 5 s; panics on no reply.
pub fn query(server: SocketAddr, name: &str, qtype: RType, q: Q) -> Response {
    try_query(server, name, qtype, q).unwrap_or_else(|| panic!("no reply from {server} for {name} {qtype}"))
}

/// As [`query`] over UDP, from the loopback address `source` (127.0.0.0/8).
pub fn query_from(source: Ipv4Addr, server: SocketAddr, name: &str, qtype: RType, q: Q) -> Response {
    let id = (std::process::id() as u16).wrapping_mul(31).wrapping_add(NEXT_ADDR.fetch_add(1, Ordering::Relaxed) as u16);
    let raw = udp_exchange_from(source, server, &build_query(id, name, qtype, q), Duration::from_secs(5))
        .unwrap_or_else(|| panic!("no reply from {server} to {source} for {name} {qtype}"));
    let r = decode(raw);
    assert_eq!(r.msg.header.id, id, "reply ID");
    r
}

/// As [`query`], returning `None` when no reply arrives.
pub fn try_query(server: SocketAddr, name: &str, qtype: RType, q: Q) -> Option<Response> {
    let id = (std::process::id() as u16).wrapping_mul(31).wrapping_add(NEXT_ADDR.fetch_add(1, Ordering::Relaxed) as u16);
    let packet = build_query(id, name, qtype, q);
    let raw = if q.tcp {
        tcp_exchange(server, &[packet], 1, Duration::from_secs(5)).into_iter().next()?
    } else {
        udp_exchange(server, &packet, Duration::from_secs(5))?
    };
    let r = decode(raw);
    assert_eq!(r.msg.header.id, id, "reply ID");
    Some(r)
}

/// Waits until `server` answers anything over UDP (bounded), or panics with the log.
pub fn wait_ready(server: SocketAddr, p: &mut Proc) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if !p.running() {
            panic!("{} exited during start-up:\n{}", p.name, p.log_text());
        }
        let packet = build_query(1, "ready.invalid.", RType::SOA, Q::default());
        if udp_exchange(server, &packet, Duration::from_millis(200)).is_some() {
            return;
        }
    }
    panic!("{} did not answer on {server} within 30 s:\n{}", p.name, p.log_text());
}

/// True if `tool` is installed; otherwise prints why the test is skipped (under CI, set
/// by `.ci/run`, a missing tool is a failure).
pub fn require(tool: &str) -> bool {
    if have(tool) {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{tool} is not installed but CI is set: .ci/run must install it");
    }
    eprintln!("SKIPPED: {tool} is not installed (apt-get install ldnsutils bind9-utils bind9-dnsutils unbound)");
    false
}

/// Starts tern-resolver on a fresh loopback address with one thread, root hints that
/// lead nowhere (so only forward zones answer) and `args`; waits until it answers.
pub fn start_resolver(dir: &Path, args: &[&str]) -> (Proc, SocketAddr) {
    let listen = fresh_addr(5353);
    let hints = dead_end_hints(dir).display().to_string();
    let listen_text = listen.to_string();
    let mut all: Vec<String> = ["--listen", &listen_text, "--root-hints", &hints, "--threads", "1"].iter().map(|s| s.to_string()).collect();
    all.extend(args.iter().map(|s| s.to_string()));
    let mut res = Proc::spawn("tern-resolver", &bin("tern-resolver"), &all, dir.join("resolver.log"));
    wait_ready(listen, &mut res);
    (res, listen)
}

/// The fixture zone example.com, secured with `tern-auth zone secure` (keys in
/// `dir/auth-data`) and served by a tern-auth; returns it and the file holding the DS
/// it printed (a trust anchor for resolvers).
pub fn signed_example_com(dir: &Path) -> (Auth, PathBuf) {
    let zone = dir.join("example.com.zone");
    std::fs::copy(fixtures().join("example.com.zone"), &zone).unwrap();
    let data = dir.join("auth-data");
    let (ok, ds, err) = run_auth(&["zone", "secure", "example.com.", "--data-dir", &data.display().to_string()]);
    assert!(ok, "{err}");
    let anchor = dir.join("example.com.ds");
    std::fs::write(&anchor, ds).unwrap();
    (start_auth(dir, &[("example.com.", &zone)], &[]), anchor)
}

/// A running tern-auth.
pub struct Auth {
    /// The process.
    pub proc: Proc,
    /// Its DNS address.
    pub addr: SocketAddr,
    /// Its data directory.
    pub data_dir: PathBuf,
    /// Its control address, if started with one.
    pub control: Option<SocketAddr>,
}

/// Starts tern-auth on a fresh loopback address with `zones` (NAME, FILE) and extra args.
pub fn start_auth(dir: &Path, zones: &[(&str, &Path)], extra: &[&str]) -> Auth {
    let addr = fresh_addr(5300);
    let data_dir = dir.join("auth-data");
    let mut args =
        vec!["--listen".to_string(), addr.to_string(), "--data-dir".into(), data_dir.display().to_string(), "--threads".into(), "2".into()];
    for (name, file) in zones {
        args.push("--zone".into());
        args.push(format!("{name}={}", file.display()));
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let control = extra.iter().position(|a| *a == "--control").and_then(|i| extra.get(i + 1)).and_then(|s| s.parse().ok());
    let mut proc = Proc::spawn("tern-auth", &bin("tern-auth"), &args, dir.join(format!("auth-{}.log", addr.ip())));
    wait_ready(addr, &mut proc);
    Auth { proc, addr, data_dir, control }
}

/// Runs `tern-auth` with `args` to completion (bounded to 60 s) and returns (status, stdout, stderr).
pub fn run_auth(args: &[&str]) -> (bool, String, String) {
    run_bounded(&bin("tern-auth"), args, Duration::from_secs(60))
}

/// Runs a program to completion within `limit`, killing it by PID if it overruns.
pub fn run_bounded(program: &Path, args: &[&str], limit: Duration) -> (bool, String, String) {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                break;
            }
        }
    }
    let out = child.wait_with_output().expect("output");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A scratch directory removed on drop.
pub fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("tern-test-").tempdir().expect("temp dir")
}

/// Waits (bounded) until `cond` holds, polling every 100 ms.
pub fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    cond()
}

/// The DO flag mask, re-exported for tests reading raw OPT flags.
pub const DO: u16 = EDNS_DO;

/// A scripted authoritative server on a loopback UDP socket, for hostile-upstream tests:
/// each query is passed to the script with the client's address, and every packet the
/// script returns is sent back, in order. Stops when dropped (thread joined, bounded).
pub struct FakeServer {
    /// Its address.
    pub addr: SocketAddr,
    /// Queries received so far.
    pub queries: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// What a script gets: the decoded query and the raw packet.
pub struct Incoming<'a> {
    /// Decoded query.
    pub msg: &'a Message,
    /// Raw bytes.
    pub raw: &'a [u8],
    /// Who sent it.
    pub from: SocketAddr,
}

impl FakeServer {
    /// Starts a scripted server on `addr`.
    pub fn start(addr: SocketAddr, script: impl Fn(&Incoming<'_>) -> Vec<Vec<u8>> + Send + 'static) -> FakeServer {
        let sock = UdpSocket::bind(addr).unwrap_or_else(|e| panic!("fake server cannot bind {addr}: {e}"));
        sock.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let queries = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (s2, q2) = (stop.clone(), queries.clone());
        let thread = std::thread::spawn(move || {
            let mut buf = vec![0u8; 65535];
            let deadline = Instant::now() + Duration::from_secs(300);
            while !s2.load(Ordering::Relaxed) && Instant::now() < deadline {
                let Ok((n, from)) = sock.recv_from(&mut buf) else { continue };
                let Ok(msg) = Message::parse(&buf[..n]) else { continue };
                q2.fetch_add(1, Ordering::Relaxed);
                for reply in script(&Incoming { msg: &msg, raw: &buf[..n], from }) {
                    let _ = sock.send_to(&reply, from);
                }
            }
        });
        FakeServer { addr, queries, stop, thread: Some(thread) }
    }

    /// Queries received.
    pub fn count(&self) -> usize {
        self.queries.load(Ordering::Relaxed)
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Builds a response to `query` with the given flags, rcode and records
/// (answer, authority, additional) in presentation form (`owner ttl IN TYPE rdata`).
pub fn build_response(query: &Message, id: u16, flags_bits: u16, rc: u16, sections: [&[&str]; 3]) -> Vec<u8> {
    let q = &query.questions[0];
    let mut buf = Vec::new();
    let mut w = MessageWriter::new(&mut buf, 65535, Header { id, flags: flags::QR | flags_bits | rc, ..Default::default() });
    w.question(q.name.wire(), q.qtype, q.qclass).unwrap();
    for (i, recs) in sections.iter().enumerate() {
        let section = [Section::Answer, Section::Authority, Section::Additional][i];
        for text in recs.iter() {
            let e = tern_shared::zonefile::parse_str(text, "script", &Name::root(), Some(300)).expect("script record");
            w.record(section, &e[0].record).unwrap();
        }
    }
    if query.edns.is_some() {
        w.opt(1232, rc, false, None);
    }
    w.finish();
    buf
}

/// Writes root hints naming a loopback address nothing listens on, so a resolver under
/// test never tries the real root servers (tests stay on loopback).
pub fn dead_end_hints(dir: &Path) -> PathBuf {
    let p = dir.join("dead-end.hints");
    std::fs::write(&p, ". 3600000 IN NS nowhere.invalid.\nnowhere.invalid. 3600000 IN A 127.0.0.254\n").expect("write hints");
    p
}

/// Fetches `/metrics` from a Prometheus listener (plain or chunked body).
pub fn scrape_metrics(addr: SocketAddr) -> String {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("metrics listener");
    s.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    s.write_all(format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes()).expect("request");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let body = out.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    if !out.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        return body;
    }
    let mut plain = String::new();
    let mut rest = body.as_str();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || after.len() < n {
            break;
        }
        plain.push_str(&after[..n]);
        rest = after[n..].strip_prefix("\r\n").unwrap_or(&after[n..]);
    }
    plain
}

/// Checks exposition text with `promtool check metrics` (skipped with a message where
/// promtool is absent, a failure under CI).
pub fn promtool_accepts(text: &str) {
    if !have("promtool") {
        assert!(std::env::var_os("CI").is_none(), "promtool missing under CI (apt-get install prometheus)");
        eprintln!("SKIPPED promtool check: not installed");
        return;
    }
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool");
    child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("write");
    let out = child.wait_with_output().expect("promtool output");
    assert!(
        out.status.success(),
        "promtool check metrics failed:\n{}{}\n--- metrics ---\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// tern-resolver's simulated clock (`--test-clock-file`): seconds added to the system
/// time, in a file the resolver re-reads every 100 ms.
pub struct TestClock {
    /// The file to pass to `--test-clock-file`.
    pub path: PathBuf,
    offset: i64,
}

impl TestClock {
    /// A clock at the system time, in `dir/clock`.
    pub fn new(dir: &Path) -> TestClock {
        let c = TestClock { path: dir.join("clock"), offset: 0 };
        c.write();
        c
    }

    fn write(&self) {
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, self.offset.to_string()).unwrap();
        std::fs::rename(&tmp, &self.path).unwrap();
    }

    /// Moves the clock forward and waits until the resolver has read it.
    pub fn advance(&mut self, secs: i64) {
        self.offset += secs;
        self.write();
        std::thread::sleep(Duration::from_millis(300));
    }

    /// The resolver's "now".
    pub fn now(&self) -> i64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 + self.offset
    }
}
