//! Running tern-auth: loads and signs the zones, binds the sockets, starts the UDP
//! workers, the TCP server, the control endpoint and the publisher thread, and waits for
//! SIGTERM/Ctrl-C (SIGHUP reloads zones). Used by the `tern-auth` binary and by the lab.

use crate::config::Config;
use crate::publish::{now_secs, Publisher};
use crate::server::{self, respond::Limits, Shared};
use crate::store::Store;
use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc};
use std::time::Duration;
use tern_shared::control::{self, Request, Response};

/// Work for the publisher thread.
enum Job {
    Reload(mpsc::Sender<String>),
}

/// Re-reads the configuration (file and command-line overrides) on reload.
pub type Reloader = Box<dyn Fn() -> Result<Config> + Send>;

/// Serves `cfg` until SIGTERM or Ctrl-C.
pub fn serve(cfg: Config) -> Result<()> {
    serve_until(cfg, None, None)
}

/// Serves `cfg` until SIGTERM, Ctrl-C, or `stop` turning true (for embedding several
/// daemons in one process, where one of them must not swallow the signal). With a
/// `reloader`, SIGHUP and `ctl reload` re-read the configuration too (zones added or
/// removed, transfer ACLs, signing times); listen addresses, threads and the data
/// directory need a restart.
pub fn serve_until(cfg: Config, reloader: Option<Reloader>, stop: Option<tokio::sync::watch::Receiver<bool>>) -> Result<()> {
    let cfg = Arc::new(cfg);
    // Metrics first, so what loading records (zones, serials, signatures) is exported.
    if let Some(addr) = cfg.metrics {
        tern_shared::metrics::install_prometheus(addr)?;
        crate::metrics::describe();
        tracing::info!(%addr, "metrics listening");
    }
    let store = Store::open(&cfg.data_dir)?;
    let mut publisher = Publisher::new(cfg.clone(), store);
    let (set, errors) = publisher.load_all();
    for (zone, e) in &errors {
        tracing::error!(%zone, "zone not loaded:\n{e}");
    }
    if cfg.zones.is_empty() {
        tracing::warn!(
            "no zones configured: serving an empty zone set (every query is REFUSED); add zones with --zone NAME=FILE or a config file"
        );
    }
    tracing::info!(zones = set.len(), failed = errors.len(), "zones loaded");
    for (zone, exp) in publisher.expirations() {
        metrics::gauge!(crate::metrics::SIGNATURE_EXPIRY, "zone" => zone.to_string()).set(exp.saturating_sub(now_secs()) as f64);
    }
    let shared = Arc::new(Shared::new(
        set,
        Limits { udp_payload: cfg.udp_payload },
        cfg.allow_transfer.clone(),
        cfg.tcp_idle_timeout,
        cfg.tcp_max_connections,
    ));
    shared.configured.store(Arc::new(cfg.zones.iter().map(|z| z.name.clone()).collect()));

    // Sockets first, so a bad address fails start-up before anything runs.
    let mut udp = Vec::new();
    let mut tcp = Vec::new();
    for &addr in &cfg.listen {
        for _ in 0..cfg.threads {
            udp.push(server::bind_udp(addr).with_context(|| format!("cannot listen on {addr}/udp"))?);
        }
        tcp.push(tern_shared::socket::tcp_listener(addr, 1024).with_context(|| format!("cannot listen on {addr}/tcp"))?);
    }
    let control_listener = match cfg.control {
        Some(addr) => Some(std::net::TcpListener::bind(addr).with_context(|| format!("cannot listen on control address {addr}"))?),
        None => None,
    };
    let mut workers = Vec::new();
    for (i, sock) in udp.into_iter().enumerate() {
        let shared = shared.clone();
        workers.push(std::thread::Builder::new().name(format!("udp-{i}")).spawn(move || server::udp_worker(sock, shared))?);
    }
    let listen: Vec<String> = cfg.listen.iter().map(SocketAddr::to_string).collect();
    if cfg.default_listen {
        tracing::info!("no listen address configured: using {} (loopback, unprivileged)", listen.join(", "));
    }
    tracing::info!(listen = %listen.join(","), threads = cfg.threads, "tern-auth serving");

    // The publisher owns zone loading and signing; everything else asks it by message.
    let (jobs_tx, jobs_rx) = mpsc::channel::<Job>();
    {
        let shared = shared.clone();
        std::thread::Builder::new().name("publisher".into()).spawn(move || loop {
            match jobs_rx.recv_timeout(Duration::from_secs(1)) {
                Ok(Job::Reload(reply)) => {
                    let mut msg = String::new();
                    if let Some(reload) = &reloader {
                        match reload() {
                            Ok(new) => {
                                let old = publisher.config();
                                if new.listen != old.listen || new.threads != old.threads || new.data_dir != old.data_dir || new.control != old.control || new.metrics != old.metrics {
                                    tracing::warn!("listen addresses, threads, data_dir, control and metrics changes need a restart; other changes applied");
                                    msg.push_str("note: listen/threads/data_dir/control/metrics changes need a restart\n");
                                }
                                publisher.set_config(Arc::new(new));
                            }
                            Err(e) => {
                                tracing::error!("configuration not reloaded, previous one kept: {e:#}");
                                msg.push_str(&format!("configuration not reloaded, previous one kept: {e:#}\n"));
                            }
                        }
                    }
                    let (set, errors) = publisher.load_all();
                    shared.configured.store(Arc::new(publisher.config().zones.iter().map(|z| z.name.clone()).collect()));
                    msg.push_str(&format!("reloaded: {} zone(s) served", set.len()));
                    for (zone, e) in &errors {
                        tracing::error!(%zone, "zone not reloaded, previous version kept:\n{e}");
                        msg.push_str(&format!("\nfailed {zone}:\n{e}"));
                    }
                    shared.zones.store(Arc::new(set));
                    let _ = reply.send(msg);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Some(set) = publisher.tick(now_secs()) {
                        shared.zones.store(Arc::new(set));
                    }
                    let now = now_secs();
                    for (zone, exp) in publisher.expirations() {
                        metrics::gauge!(crate::metrics::SIGNATURE_EXPIRY, "zone" => zone.to_string()).set(exp.saturating_sub(now) as f64);
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        })?;
    }

    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(cfg.threads.clamp(1, 4)).enable_all().thread_name("tern-tcp").build()?;
    rt.block_on(async {
        for l in tcp {
            let shared = shared.clone();
            tokio::spawn(async move {
                if let Err(e) = server::tcp_server(l, shared).await {
                    tracing::error!(error = %e, "TCP server stopped");
                }
            });
        }
        if let Some(l) = control_listener {
            l.set_nonblocking(true)?;
            let l = tokio::net::TcpListener::from_std(l)?;
            let jobs = std::sync::Mutex::new(jobs_tx.clone());
            let shared = shared.clone();
            let handler: control::Handler = Arc::new(move |req: Request| control_request(&req, &jobs, &shared));
            tokio::spawn(control::serve(l, cfg.control_api_key.clone(), handler));
        }
        let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let mut stop = stop;
        loop {
            tokio::select! {
                _ = stopped(&mut stop) => break,
                _ = hup.recv() => {
                    tracing::info!("SIGHUP: reloading zones");
                    let (tx, _rx) = mpsc::channel();
                    let _ = jobs_tx.send(Job::Reload(tx));
                }
                _ = term.recv() => break,
                _ = tokio::signal::ctrl_c() => break,
            }
        }
        anyhow::Ok(())
    })?;
    tracing::info!("shutting down");
    shared.shutdown.store(true, Ordering::Relaxed);
    for w in workers {
        let _ = w.join();
    }
    Ok(())
}

fn control_request(req: &Request, jobs: &std::sync::Mutex<mpsc::Sender<Job>>, shared: &Shared) -> Response {
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/healthz") => Response::ok("ok\n"),
        ("GET", "/readyz") => {
            // Ready when every configured zone is served (a zone that never loaded keeps
            // the server out of rotation; one that failed a reload still serves).
            let zones = shared.zones.load();
            let missing: Vec<String> =
                shared.configured.load().iter().filter(|n| zones.get(n.wire()).is_none()).map(|n| n.to_string()).collect();
            if missing.is_empty() {
                Response::ok("ready\n")
            } else {
                Response::error(503, format!("not ready: zones not loaded: {}\n", missing.join(" ")))
            }
        }
        ("POST", "/reload") => {
            let (tx, rx) = mpsc::channel();
            if jobs.lock().map(|j| j.send(Job::Reload(tx))).is_err() {
                return Response::error(500, "publisher stopped");
            }
            match rx.recv_timeout(Duration::from_secs(300)) {
                Ok(msg) => Response::ok(msg + "\n"),
                Err(_) => Response::error(500, "reload did not finish"),
            }
        }
        ("GET", "/zones") => Response::ok(zone_listing(&shared.zones.load())),
        ("GET", "/status") => {
            let zones = shared.zones.load();
            let mut out = String::new();
            let mut list: Vec<_> = zones.iter().collect();
            list.sort_by(|a, b| a.origin.cmp(&b.origin));
            for z in list {
                out.push_str(&format!("{} serial {} {}\n", z.origin, z.serial, if z.signed { "signed" } else { "unsigned" }));
            }
            Response::ok(out)
        }
        _ => Response::error(404, "unknown command; try POST /reload, GET /status or GET /zones\n"),
    }
}

/// Resolves when `stop` is set (never, without one).
pub async fn stopped(stop: &mut Option<tokio::sync::watch::Receiver<bool>>) {
    match stop {
        Some(rx) => {
            let _ = rx.wait_for(|v| *v).await;
        }
        None => std::future::pending::<()>().await,
    }
}

/// The served zones as TOML, for resolvers that learn their forward zones and anchors
/// from tern-auth: each zone's name, serial, whether it is signed, and the DS records
/// (SHA-256, RFC 4509) of its SEP keys — the same DS `zone ds` prints.
pub fn zone_listing(zones: &crate::zone::set::ZoneSet) -> String {
    use tern_shared::wire::record::{DnskeyView, DNSKEY_REVOKE, DNSKEY_SEP};
    use tern_shared::wire::{RType, Record};
    let mut list: Vec<_> = zones.iter().collect();
    list.sort_by(|a, b| a.origin.cmp(&b.origin));
    let mut out = String::from("# Zones served by tern-auth (GET /zones)\n");
    for z in list {
        out.push_str(&format!("\n[[zone]]\nname = \"{}\"\nserial = {}\nsigned = {}\nds = [", z.origin, z.serial, z.signed));
        let mut first = true;
        if let Some(keys) = z.apex().rrset(RType::DNSKEY) {
            for rd in &keys.rdatas {
                let sep = DnskeyView::parse(rd).is_some_and(|k| k.flags & DNSKEY_SEP != 0 && k.flags & DNSKEY_REVOKE == 0);
                if !sep || !z.signed {
                    continue;
                }
                if let Some(ds) = tern_shared::dnssec::ds_rdata(&z.origin, rd, 2) {
                    let rec = Record::new(z.origin.clone(), RType::DS, keys.ttl, ds);
                    out.push_str(&format!("{}\"{}\"", if first { "" } else { ", " }, rec.to_string().replace('\t', " ")));
                    first = false;
                }
            }
        }
        out.push_str("]\n");
    }
    out
}
