//! Running tern-resolver: loads hints and trust anchors, builds the resolver, binds the
//! sockets, starts the UDP workers, TCP, RFC 5011 maintenance, metrics publishing and
//! the control endpoint, and waits for SIGTERM/Ctrl-C. Used by the `tern-resolver`
//! binary and by the lab.

use crate::config::Config;
use crate::iterator::hints;
use crate::resolve::rollover::{self, TrustMaintainer};
use crate::resolve::{Clock, Resolver, Settings};
use crate::server::{self, Server};
use crate::upstream::NetTransport;
use anyhow::{bail, Context, Result};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tern_shared::control::{self, Request, Response};
use tern_shared::wire::Name;
use tern_trust_anchors::{LoadOptions, NtaSet, TrustAnchors};

/// Trust anchors from the configured files (static, then managed by RFC 5011), plus the
/// built-in IANA root anchors (managed) unless a file has a root anchor.
pub fn load_anchors(cfg: &Config, now: u64) -> Result<TrustAnchors> {
    let mut anchors = TrustAnchors::new();
    for (files, managed) in [(&cfg.trust_anchor_files, false), (&cfg.managed_trust_anchor_files, true)] {
        for f in files {
            anchors.load_file(f, &LoadOptions { now, managed, ..LoadOptions::default() })?;
        }
    }
    if anchors.zone(&Name::root()).is_none() {
        anchors.add_builtin_root(now);
    }
    for zone in anchors.zones() {
        if let Some(why) = anchors.zone(zone).and_then(crate::resolve::anchor_unusable) {
            // Not a refusal: the anchor is well formed, and failing closed below it is
            // what it asks for; but every answer there will be SERVFAIL, so say so.
            tracing::warn!(%zone, reason = %why, "trust anchor cannot be used (e.g. DSA, which RFC 8624 forbids validating): every answer at or below it will be SERVFAIL");
        }
    }
    Ok(anchors)
}

/// Serves `cfg` until SIGTERM or Ctrl-C.
pub fn serve(cfg: Config, clock: Arc<dyn Clock>) -> Result<()> {
    serve_until(cfg, clock, None, None)
}

/// Re-reads the configuration (file and command-line overrides) on reload.
pub type Reloader = Box<dyn Fn() -> Result<Config> + Send + Sync>;

/// Applies a reloaded configuration: the client ACL, the policy (local data and rules),
/// DNS64, the configured forward zones (DNSSEC modes settled against the anchors in use)
/// and the configured negative trust anchors.
/// Listen addresses, threads, trust-anchor files, hints and cache sizes need a restart.
pub fn apply_reload(server: &Server, old: &Config, new: &Config) -> String {
    let r = &server.resolver;
    let mut notes = Vec::new();
    if new.listen != old.listen
        || new.threads != old.threads
        || new.trust_anchor_files != old.trust_anchor_files
        || new.managed_trust_anchor_files != old.managed_trust_anchor_files
        || new.root_hints != old.root_hints
        || new.cache_max_entries != old.cache_max_entries
        || new.serve_stale != old.serve_stale
        || new.prefetch != old.prefetch
        || new.harden_glue != old.harden_glue
        || new.minimal_responses != old.minimal_responses
    {
        notes.push(
            "note: listen, threads, trust-anchor files, root hints, cache size, serve-stale, prefetch, harden_glue and minimal_responses changes need a restart"
                .to_string(),
        );
    }
    server.allow_from.store(Arc::new(new.allow_from.clone()));
    if new.policy.renumbers() != old.policy.renumbers() {
        // Rewritten (or no longer rewritten) addresses are in the packet cache.
        r.packets.clear();
    }
    server.policy.store(Arc::new(new.policy.clone()));
    if new.dns64 != old.dns64 {
        server.dns64.store(new.dns64.clone().map(Arc::new));
        // Synthesised (or unsynthesised) AAAA answers are in the packet cache.
        r.packets.clear();
    }
    let mut settings = Settings::from_config(new);
    {
        let anchors = r.anchors.read().unwrap_or_else(|p| p.into_inner());
        settings.settle_forward_modes(&anchors);
    }
    r.set_configured_forwards(settings.forward_zones);
    {
        let now = r.now();
        let mut ntas = r.ntas.write().unwrap_or_else(|p| p.into_inner());
        for n in &old.negative_trust_anchors {
            if !new.negative_trust_anchors.contains(n) {
                ntas.remove(n);
                r.flush(n);
            }
        }
        for n in &new.negative_trust_anchors {
            ntas.add(n.clone(), u64::MAX);
            r.flush(n);
        }
        let _ = now;
    }
    notes.push(format!(
        "reloaded: {} forward zone(s), {} client range(s), {} negative trust anchor(s), {} policy rule(s) from the configuration",
        new.forward_zones.len(),
        new.allow_from.len(),
        new.negative_trust_anchors.len(),
        new.policy.rule_count()
    ));
    notes.join("\n") + "\n"
}

/// Serves `cfg` until SIGTERM, Ctrl-C, or `stop` turning true (for embedding).
pub fn serve_until(
    cfg: Config,
    clock: Arc<dyn Clock>,
    reloader: Option<Reloader>,
    stop: Option<tokio::sync::watch::Receiver<bool>>,
) -> Result<()> {
    let hints = match &cfg.root_hints {
        Some(p) => hints::from_file(p)?,
        None => hints::builtin(),
    };
    let anchors = if cfg.validate { load_anchors(&cfg, clock.now())? } else { TrustAnchors::new() };
    if cfg.validate && anchors.is_empty() {
        bail!("validation is on but there is no trust anchor (check the files, or the clock: the built-in root anchors start in 2017)");
    }
    let mut ntas = NtaSet::new();
    if let Some(path) = nta_file(&cfg) {
        // NTAs added at run time outlive a restart until they expire (RFC 7646 §2 keeps
        // them temporary; a restart should not end one early and break the zone again).
        let saved = NtaSet::load(&path, clock.now()).with_context(|| format!("reading {}", path.display()))?;
        for (n, at) in saved.iter() {
            tracing::info!(name = %n, expires = %tern_trust_anchors::time::fmt_utc(at), "negative trust anchor restored");
            ntas.add(n.clone(), at);
        }
    }
    for n in &cfg.negative_trust_anchors {
        ntas.add(n.clone(), u64::MAX);
    }
    for (zone, list) in anchors.zones().map(|z| (z.clone(), anchors.zone(z).map(|a| a.len()).unwrap_or(0))) {
        tracing::info!(%zone, anchors = list, "trust anchor");
    }
    for f in &cfg.forward_zones {
        tracing::info!(zone = %f.name, targets = ?f.targets, recursive = f.recursive, dnssec = ?f.dnssec, "forward zone");
    }
    let mut settings = Settings::from_config(&cfg);
    settings.settle_forward_modes(&anchors);
    let resolver = Arc::new(Resolver::new(settings, cfg.cache_max_entries, hints, anchors, ntas, Arc::new(NetTransport), clock));
    let maintainer = if cfg.validate { Some(Arc::new(start_rollover(&resolver, &cfg)?)) } else { None };
    let server = Arc::new(Server {
        resolver: resolver.clone(),
        allow_from: arc_swap::ArcSwap::from_pointee(cfg.allow_from.clone()),
        policy: arc_swap::ArcSwap::from_pointee(cfg.policy.clone()),
        dns64: arc_swap::ArcSwapOption::new(cfg.dns64.clone().map(Arc::new)),
        udp_payload: cfg.udp_payload,
        tcp_idle: cfg.tcp_idle_timeout,
        shutdown: Default::default(),
        stats: Default::default(),
    });
    if let Some(addr) = cfg.metrics {
        tern_shared::metrics::install_prometheus(addr)?;
        crate::metrics::describe();
    }
    let mut udp = Vec::new();
    let mut tcp = Vec::new();
    for &addr in &cfg.listen {
        for _ in 0..cfg.threads {
            udp.push(Server::bind_udp(addr).with_context(|| format!("cannot listen on {addr}/udp"))?);
        }
        tcp.push(tern_shared::socket::tcp_listener(addr, 1024).with_context(|| format!("cannot listen on {addr}/tcp"))?);
    }
    let control_listener = match cfg.control {
        Some(addr) => Some(std::net::TcpListener::bind(addr).with_context(|| format!("cannot listen on control address {addr}"))?),
        None => None,
    };
    let reload = Arc::new(ReloadState { reloader, current: std::sync::Mutex::new(cfg.clone()) });
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(cfg.threads.max(1)).enable_all().thread_name("tern-resolve").build()?;
    let mut workers = Vec::new();
    for (i, sock) in udp.into_iter().enumerate() {
        let (server, handle) = (server.clone(), rt.handle().clone());
        workers.push(std::thread::Builder::new().name(format!("udp-{i}")).spawn(move || server::udp_worker(sock, server, handle))?);
    }
    let listen: Vec<String> = cfg.listen.iter().map(|a| a.to_string()).collect();
    if cfg.default_listen {
        tracing::info!("no listen address configured: using {} (loopback, unprivileged)", listen.join(", "));
    }
    tracing::info!(listen = %listen.join(","), threads = cfg.threads, validate = cfg.validate, "tern-resolver serving");
    rt.block_on(async {
        if let Some(m) = &maintainer {
            tokio::spawn(m.clone().run(resolver.clone()));
        }
        for l in tcp {
            let server = server.clone();
            tokio::spawn(async move {
                let _ = server::tcp_server(l, server).await;
            });
        }
        if cfg.metrics.is_some() {
            crate::metrics::spawn_publisher(server.clone(), maintainer.clone());
        }
        {
            let r = resolver.clone();
            tokio::spawn(async move { r.prime().await });
        }
        if !cfg.zones_from_auth.is_empty() {
            let mut discovery = crate::discovery::Discovery::new(resolver.clone(), cfg.zones_from_auth.clone());
            // Learn once before serving clients' first questions, then keep polling.
            discovery.refresh().await;
            tokio::spawn(discovery.run());
        }
        if let Some(l) = control_listener {
            l.set_nonblocking(true)?;
            let l = tokio::net::TcpListener::from_std(l)?;
            let server = server.clone();
            let maintainer = maintainer.clone();
            let reload = reload.clone();
            let nta_path = nta_file(&cfg);
            let handler: control::Handler = Arc::new(move |req: Request| {
                if (req.method.as_str(), req.path.as_str()) == ("POST", "/reload") {
                    return match reload.run(&server) {
                        Ok(msg) => Response::ok(msg),
                        Err(e) => Response::error(400, format!("configuration not reloaded, previous one kept: {e:#}\n")),
                    };
                }
                control_request(&req, &server, maintainer.as_deref(), nta_path.as_deref())
            });
            tokio::spawn(control::serve(l, cfg.control_api_key.clone(), handler));
        }
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
        let mut stop = stop;
        loop {
            tokio::select! {
                _ = term.recv() => break,
                _ = tokio::signal::ctrl_c() => break,
                _ = stopped(&mut stop) => break,
                _ = hup.recv() => {
                    let (reload, server) = (reload.clone(), server.clone());
                    match tokio::task::spawn_blocking(move || reload.run(&server)).await {
                        Ok(Ok(msg)) => tracing::info!("SIGHUP: {}", msg.trim()),
                        Ok(Err(e)) => tracing::error!("SIGHUP: configuration not reloaded, previous one kept: {e:#}"),
                        Err(_) => {}
                    }
                }
            }
        }
        anyhow::Ok(())
    })?;
    tracing::info!("shutting down");
    server.shutdown.store(true, Ordering::Relaxed);
    for w in workers {
        let _ = w.join();
    }
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    Ok(())
}

/// Starts RFC 5011 maintenance of the managed trust anchors (state from the data directory).
fn start_rollover(resolver: &Resolver, cfg: &Config) -> Result<TrustMaintainer> {
    let (m, report) = TrustMaintainer::start(resolver, cfg.data_dir.as_deref())
        .context("cannot read the RFC 5011 trust-anchor state (remove the file to start again from the configured anchors)")?;
    for zone in &report.kept {
        tracing::info!(%zone, "managed trust anchor: RFC 5011 state resumed");
    }
    for zone in &report.added {
        tracing::info!(%zone, "managed trust anchor: RFC 5011 tracking starts from the configured anchors");
    }
    for zone in &report.dropped {
        tracing::info!(%zone, "RFC 5011 state dropped: the trust point is no longer configured as managed");
    }
    if m.has_work() && m.path().is_none() {
        tracing::warn!("no data directory (--data-dir): RFC 5011 trust-anchor state is kept in memory only and lost on restart");
    }
    Ok(m)
}

/// Where NTAs added at run time are kept: `negative-trust-anchors.toml` in the data
/// directory, if there is one.
fn nta_file(cfg: &Config) -> Option<std::path::PathBuf> {
    cfg.data_dir.as_ref().map(|d| d.join("negative-trust-anchors.toml"))
}

/// Writes the NTAs added at run time (the configured ones, which never expire, stay in
/// the configuration) to `path`; a failure is logged and returned as a note for the
/// operator, the NTAs in force are unchanged.
fn save_ntas(r: &crate::resolve::Resolver, path: Option<&std::path::Path>) -> String {
    let Some(path) = path else { return String::new() };
    let mut runtime = NtaSet::new();
    for (n, at) in r.ntas.read().unwrap_or_else(|p| p.into_inner()).iter().filter(|(_, at)| *at != u64::MAX) {
        runtime.add(n.clone(), at);
    }
    match runtime.save(path) {
        Ok(()) => String::new(),
        Err(e) => {
            tracing::warn!(error = %e, "negative trust anchors not saved: they end at a restart");
            format!("warning: not saved ({e}); it ends at a restart\n")
        }
    }
}

fn control_request(req: &Request, server: &Server, maintainer: Option<&TrustMaintainer>, nta_path: Option<&std::path::Path>) -> Response {
    let r = &server.resolver;
    let name_param = |req: &Request| -> Result<Name, Response> {
        let n = req.param("name").ok_or_else(|| Response::error(400, "missing name\n"))?;
        Name::parse(n, Some(&Name::root())).map_err(|e| Response::error(400, format!("bad name {n:?}: {e}\n")))
    };
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/healthz") => Response::ok("ok\n"),
        ("GET", "/readyz") => {
            if server.resolver.ready.load(Ordering::Relaxed) {
                Response::ok("ready\n")
            } else {
                Response::error(503, "not ready: the root has not been primed yet\n")
            }
        }
        ("GET", "/stats") => {
            let s = &server.stats;
            let c = &r.counters;
            let l = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
            Response::ok(format!(
                "cache_hits {}\ncache_misses {}\nnoerror {}\nnxdomain {}\nservfail {}\nsecure {}\nbogus {}\nformerr {}\nrefused {}\ndropped {}\nupstream_queries {}\nupstream_timeouts {}\nbudget_exhausted {}\nvalidation_budget_exhausted {}\nrrset_cache_entries {}\nanswer_cache_entries {}\npacket_cache_entries {}\n",
                l(&s.cache_hits), l(&s.cache_misses), l(&s.noerror), l(&s.nxdomain), l(&s.servfail), l(&s.secure), l(&s.bogus), l(&s.formerr), l(&s.refused), l(&s.dropped),
                l(&c.upstream_queries), l(&c.upstream_timeouts), l(&c.budget_exhausted), l(&c.validation_budget_exhausted),
                r.rrsets.len(), r.answers.len(), r.packets.len()
            ))
        }
        ("POST", "/flush") => match name_param(req) {
            Ok(n) => {
                r.flush(&n);
                Response::ok(format!("flushed {n}\n"))
            }
            Err(e) => e,
        },
        ("POST", "/nta/add") => match name_param(req) {
            Ok(n) => {
                let lifetime = req.param("lifetime").unwrap_or("1h");
                let Ok(d) = tern_shared::config::parse_duration(lifetime) else {
                    return Response::error(400, format!("bad lifetime {lifetime:?}\n"));
                };
                let mut ntas = r.ntas.write().unwrap_or_else(|p| p.into_inner());
                match ntas.add_for(n.clone(), r.now(), d.as_secs()) {
                    Ok(until) => {
                        drop(ntas);
                        r.flush(&n);
                        let note = save_ntas(r, nta_path);
                        Response::ok(format!("negative trust anchor {n} until {}\n{note}", tern_trust_anchors::time::fmt_utc(until)))
                    }
                    Err(e) => Response::error(400, format!("{e}\n")),
                }
            }
            Err(e) => e,
        },
        ("POST", "/nta/remove") => match name_param(req) {
            Ok(n) => {
                let removed = r.ntas.write().map(|mut s| s.remove(&n)).unwrap_or(false);
                r.flush(&n);
                if removed {
                    let note = save_ntas(r, nta_path);
                    Response::ok(format!("removed {n}\n{note}"))
                } else {
                    Response::error(404, format!("no negative trust anchor {n}\n"))
                }
            }
            Err(e) => e,
        },
        ("GET", "/anchors") => match maintainer {
            Some(m) => Response::ok(m.listing(r)),
            None => {
                let anchors = r.anchors.read().unwrap_or_else(|p| p.into_inner());
                Response::ok(rollover::listing(&anchors, None, r.now()))
            }
        },
        ("GET", "/nta") => {
            let list = r.ntas.write().map(|mut s| s.list(r.now())).unwrap_or_default();
            let mut out = String::new();
            for e in list {
                out.push_str(&format!("{} {}s\n", e.name, e.remaining));
            }
            Response::ok(out)
        }
        _ => Response::error(404, "unknown command\n"),
    }
}

/// Resolves when `stop` is set (never, without one).
async fn stopped(stop: &mut Option<tokio::sync::watch::Receiver<bool>>) {
    match stop {
        Some(rx) => {
            let _ = rx.wait_for(|v| *v).await;
        }
        None => std::future::pending::<()>().await,
    }
}

/// The reloader and the configuration in force, shared by SIGHUP and `POST /reload`.
struct ReloadState {
    reloader: Option<Reloader>,
    current: std::sync::Mutex<Config>,
}

impl ReloadState {
    fn run(&self, server: &Server) -> Result<String> {
        let Some(reload) = &self.reloader else { bail!("this resolver was started without a configuration source to reload") };
        let new = reload()?;
        let mut cur = self.current.lock().unwrap_or_else(|p| p.into_inner());
        let msg = apply_reload(server, &cur, &new);
        *cur = new;
        Ok(msg)
    }
}
