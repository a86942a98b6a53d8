//! `tern-lab`: the whole stack offline in one command. Builds the lab hierarchy (a root,
//! `lab.`, a secure zone, a bogus zone, an unsigned zone and the internal zone
//! `corp.internal.`), serves it with tern-auth, starts tern-resolver trusting the lab
//! root and forwarding `corp.internal.` to tern-auth with its DS as anchor, checks the
//! three kinds of answer itself, prints the `dig` commands to try, and stops cleanly on
//! Ctrl-C. Everything stays on 127.0.0.1.

use anyhow::{bail, Context, Result};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tern_shared::wire::{flags, rcode, RType};

fn main() {
    if let Err(e) = run() {
        eprintln!("tern-lab: {e:#}");
        std::process::exit(1);
    }
}

/// A free port on loopback, preferring `want`.
fn port(want: u16) -> Result<u16> {
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    if std::net::UdpSocket::bind((ip, want)).is_ok() && std::net::TcpListener::bind((ip, want)).is_ok() {
        return Ok(want);
    }
    Ok(tern_shared::socket::free_port(ip)?)
}

fn wait(addr: SocketAddr, what: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let q = tern_tests::build_query(1, "lab.", RType::SOA, tern_tests::Q::default());
        if tern_tests::udp_exchange(addr, &q, Duration::from_millis(200)).is_some() {
            return Ok(());
        }
    }
    bail!("{what} did not start on {addr}")
}

fn run() -> Result<()> {
    tern_shared::log::init("warn");
    let dir: PathBuf = match std::env::args().nth(1) {
        Some(d) => PathBuf::from(d),
        None => std::env::temp_dir().join(format!("tern-lab-{}", std::process::id())),
    };
    let _ = std::fs::remove_dir_all(&dir);
    let lo = IpAddr::V4(Ipv4Addr::LOCALHOST);
    // SIGINT and SIGTERM are taken by this thread alone (see `wait_for_stop_signal`):
    // blocked here, before any daemon thread exists, so every thread inherits the mask.
    block_stop_signals();
    let h = tern_tests::hierarchy::build(&dir, lo).context("building the lab zones")?;
    let auth_addr = SocketAddr::new(lo, port(5300)?);
    let res_addr = SocketAddr::new(lo, port(5301)?);

    // tern-auth: every lab zone, signed at load.
    let mut auth_spec = tern_auth::config::read_spec(&h.auth_config)?;
    auth_spec.server.listen = vec![auth_addr.to_string()];
    auth_spec.server.threads = tern_shared::config::Threads::Fixed(1);
    let auth_cfg = auth_spec.validate(&h.dir)?;
    // One Ctrl-C/SIGTERM handler here stops both daemons.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let auth_stop = stop_rx.clone();
    let auth = std::thread::Builder::new()
        .name("tern-auth".into())
        .spawn(move || tern_auth::daemon::serve_until(auth_cfg, None, Some(auth_stop)))?;
    wait(auth_addr, "tern-auth")?;

    // tern-resolver: lab root hints and anchor, the internal zone forwarded with its DS.
    let mut spec = tern_resolver::config::Spec::default();
    spec.server.listen = vec![res_addr.to_string()];
    spec.server.threads = tern_shared::config::Threads::Fixed(1);
    spec.iterator.root_hints = Some(h.root_hints.display().to_string());
    spec.iterator.upstream_port = auth_addr.port();
    spec.dnssec.trust_anchor_files = vec![h.root_anchor.display().to_string(), h.internal_anchor.display().to_string()];
    spec.forward_zone.push(tern_resolver::config::ForwardSpec {
        name: "corp.internal.".into(),
        targets: vec![auth_addr.to_string()],
        recursive: false,
        dnssec: None,
    });
    let res_cfg = spec.validate(&h.dir)?;
    let clock: Arc<dyn tern_resolver::resolve::Clock> = Arc::new(tern_resolver::resolve::SystemClock);
    let resolver = std::thread::Builder::new()
        .name("tern-resolver".into())
        .spawn(move || tern_resolver::daemon::serve_until(res_cfg, clock, None, Some(stop_rx)))?;
    wait(res_addr, "tern-resolver")?;

    // The three answers a newcomer should see, checked before we claim them.
    let ask = |name: &str| tern_tests::try_query(res_addr, name, RType::A, tern_tests::Q::rd_dnssec());
    let secure = ask("www.secure.lab.").context("no answer for www.secure.lab.")?;
    let bogus = ask("www.bogus.lab.").context("no answer for www.bogus.lab.")?;
    let internal = ask("www.corp.internal.").context("no answer for www.corp.internal.")?;
    let ok = secure.rcode() == rcode::NOERROR
        && secure.flag(flags::AD)
        && bogus.rcode() == rcode::SERVFAIL
        && internal.rcode() == rcode::NOERROR
        && internal.flag(flags::AD);
    let p = res_addr.port();
    println!("Tern lab is running (files in {}):", dir.display());
    println!("  tern-auth      {auth_addr}  serving ., lab., secure.lab., bogus.lab., plain.lab., corp.internal.");
    println!("  tern-resolver  {res_addr}  trusting the lab root, forwarding corp.internal. to tern-auth");
    println!();
    println!("Try:");
    println!("  dig @127.0.0.1 -p {p} www.secure.lab A +dnssec       # secure: flags include ad");
    println!("  dig @127.0.0.1 -p {p} www.bogus.lab A +dnssec        # bogus: SERVFAIL with EDE 9 (DNSKEY missing)");
    println!("  dig @127.0.0.1 -p {p} www.corp.internal A +dnssec    # internal zone on tern-auth, secure");
    println!();
    println!(
        "Self-check: secure {} AD={}, bogus {} EDE {:?}, internal {} AD={}",
        rname(secure.rcode()),
        secure.flag(flags::AD),
        rname(bogus.rcode()),
        bogus.ede(),
        rname(internal.rcode()),
        internal.flag(flags::AD)
    );
    if !ok {
        bail!("the lab did not answer as expected (see the self-check line)");
    }
    println!("Press Ctrl-C to stop.");
    wait_for_stop_signal();
    let _ = stop_tx.send(true);
    let a = auth.join().map_err(|_| anyhow::anyhow!("tern-auth thread panicked"))?;
    let r = resolver.join().map_err(|_| anyhow::anyhow!("tern-resolver thread panicked"))?;
    a?;
    r?;
    let _ = std::fs::remove_dir_all(&dir);
    println!("stopped");
    Ok(())
}

fn stop_set() -> libc::sigset_t {
    // SAFETY: sigemptyset/sigaddset initialise and fill a local set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        set
    }
}

/// Blocks SIGINT/SIGTERM in this thread (and so in threads it spawns later), with the
/// default disposition restored (a shell may start background jobs with SIGINT ignored,
/// and an ignored signal is discarded even when blocked).
fn block_stop_signals() {
    let set = stop_set();
    // SAFETY: plain libc calls on a valid set; no handler is installed.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
        libc::signal(libc::SIGTERM, libc::SIG_DFL);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

/// Waits for Ctrl-C or SIGTERM. With both blocked everywhere, `sigwait` here is the one
/// place they arrive, however many runtimes the daemons run.
fn wait_for_stop_signal() {
    let set = stop_set();
    let mut sig: libc::c_int = 0;
    // SAFETY: sigwait on a valid set with a valid out pointer.
    unsafe {
        libc::sigwait(&set, &mut sig);
    }
}

fn rname(rc: u16) -> &'static str {
    tern_shared::metrics::rcode_label(rc)
}
