//! `tern-resolver`: the validating recursive resolver binary.
//!
//! - `tern-resolver [--config FILE] [overrides]` serves clients.
//! - `tern-resolver anchors` lists the trust anchors it would use, with their RFC 5011
//!   state from the data directory.
//! - `tern-resolver ctl ...` talks to a running resolver's control endpoint.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tern_resolver::config::{self, Config, Overrides, Spec};
use tern_resolver::iterator::hints;
use tern_resolver::resolve::rollover::{self, TrustMaintainer};
use tern_resolver::resolve::{Clock, OffsetFileClock, Resolver, Settings, SystemClock};
use tern_resolver::server::{self, Server};
use tern_resolver::upstream::NetTransport;
use tern_shared::control::{self, Request, Response};
use tern_shared::wire::Name;
use tern_trust_anchors::{LoadOptions, NtaSet, RolloverState, TrustAnchors};

#[derive(Parser, Debug)]
#[command(name = "tern-resolver", version, about = "Tern validating recursive DNS resolver")]
struct Cli {
    /// TOML config file.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Listen address ADDR:PORT for UDP and TCP (repeatable; replaces server.listen).
    #[arg(long)]
    listen: Vec<String>,
    /// Root hints file (zone-file syntax).
    #[arg(long)]
    root_hints: Option<String>,
    /// Trust-anchor file: DS or DNSKEY records in zone-file syntax, BIND trust-anchors, or RFC 7958 XML (repeatable).
    #[arg(long = "trust-anchor", value_name = "FILE")]
    trust_anchors: Vec<String>,
    /// Trust-anchor file whose anchors RFC 5011 keeps up to date (repeatable).
    #[arg(long = "managed-trust-anchor", value_name = "FILE")]
    managed_trust_anchors: Vec<String>,
    /// Worker threads: "auto" or a number.
    #[arg(long)]
    threads: Option<String>,
    /// Prometheus metrics listen address ADDR:PORT.
    #[arg(long)]
    metrics: Option<String>,
    /// Control endpoint ADDR:PORT (also where `ctl` connects).
    #[arg(long, global = true)]
    control: Option<String>,
    /// State directory.
    #[arg(long)]
    data_dir: Option<String>,
    /// Forward a zone: NAME=ADDR:PORT[,ADDR:PORT] (repeatable).
    #[arg(long = "forward-zone", value_name = "NAME=ADDR:PORT")]
    forward_zones: Vec<String>,
    /// Clients allowed (CIDR, repeatable; replaces server.allow_from).
    #[arg(long, value_name = "CIDR")]
    allow_from: Vec<String>,
    /// Validate the configuration and exit.
    #[arg(long)]
    check_config: bool,
    /// For tests only: add the number of seconds in FILE (re-read every 100 ms) to the clock.
    #[arg(long, global = true, hide = true, value_name = "FILE")]
    test_clock_file: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Option<Cmd>,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// List the trust anchors with their key tags.
    Anchors,
    /// Commands to a running resolver.
    Ctl {
        /// API key (default: $TERN_API_KEY).
        #[arg(long)]
        api_key: Option<String>,
        #[command(subcommand)]
        action: CtlCmd,
    },
}

#[derive(Subcommand, Debug)]
enum CtlCmd {
    /// Show counters.
    Stats,
    /// Forget cached data at or below NAME ("." for everything).
    Flush {
        /// Name.
        name: String,
    },
    /// Add a negative trust anchor (RFC 7646) for NAME for DURATION (default 1h).
    NtaAdd {
        /// Name.
        name: String,
        /// Lifetime, e.g. "1h".
        #[arg(default_value = "1h")]
        lifetime: String,
    },
    /// Remove a negative trust anchor.
    NtaRemove {
        /// Name.
        name: String,
    },
    /// List negative trust anchors with their remaining time.
    NtaList,
    /// Show every trust anchor with its RFC 5011 state and key tag.
    Anchors,
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        eprintln!("tern-resolver: {e:#}");
        std::process::exit(1);
    }
}

fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TERN_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).try_init();
}

fn load_config(cli: &Cli) -> Result<Config> {
    let (mut spec, base) = match &cli.config {
        Some(p) => (config::read_spec(p)?, p.parent().map(Path::to_path_buf).unwrap_or_default()),
        None => (Spec::default(), PathBuf::from(".")),
    };
    let o = Overrides {
        listen: cli.listen.clone(),
        root_hints: cli.root_hints.clone(),
        trust_anchors: cli.trust_anchors.clone(),
        managed_trust_anchors: cli.managed_trust_anchors.clone(),
        threads: cli.threads.clone(),
        metrics: cli.metrics.clone(),
        control: cli.control.clone(),
        data_dir: cli.data_dir.clone(),
        forward_zones: cli.forward_zones.clone(),
        allow_from: cli.allow_from.clone(),
    };
    config::apply_overrides(&mut spec, &o)?;
    Ok(spec.validate(&base)?)
}

/// The clock: the system's, or for tests the system's plus the offset in `--test-clock-file`.
fn make_clock(cli: &Cli) -> Arc<dyn Clock> {
    match &cli.test_clock_file {
        Some(p) => Arc::new(OffsetFileClock::new(p)),
        None => Arc::new(SystemClock),
    }
}

/// Trust anchors from the configured files (static, then managed by RFC 5011), plus the
/// built-in IANA root anchors (managed) unless a file has a root anchor.
fn load_anchors(cfg: &Config, now: u64) -> Result<TrustAnchors> {
    let mut anchors = TrustAnchors::new();
    for (files, managed) in [(&cfg.trust_anchor_files, false), (&cfg.managed_trust_anchor_files, true)] {
        for f in files {
            anchors.load_file(f, &LoadOptions { now, managed, ..LoadOptions::default() })?;
        }
    }
    if anchors.zone(&Name::root()).is_none() {
        anchors.add_builtin_root(now);
    }
    Ok(anchors)
}

/// The RFC 5011 state file in the data directory, read and synced with `anchors` as the
/// resolver does at start; `None` without a data directory or state file.
fn load_rollover_state(cfg: &Config, anchors: &TrustAnchors, now: u64) -> Result<Option<RolloverState>> {
    let Some(dir) = &cfg.data_dir else { return Ok(None) };
    let mut state = RolloverState::load_if_exists(&dir.join(rollover::STATE_FILE))?;
    if let Some(s) = &mut state {
        s.sync_with(anchors, now);
    }
    Ok(state)
}

fn run(cli: Cli) -> Result<()> {
    init_logs();
    let cfg = load_config(&cli)?;
    let clock = make_clock(&cli);
    match &cli.cmd {
        Some(Cmd::Anchors) => {
            let now = clock.now();
            let anchors = load_anchors(&cfg, now)?;
            let state = load_rollover_state(&cfg, &anchors, now)?;
            print!("{}", rollover::listing(&anchors, state.as_ref(), now));
            Ok(())
        }
        Some(Cmd::Ctl { api_key, action }) => ctl(&cfg, api_key.clone(), action),
        None if cli.check_config => {
            let anchors = load_anchors(&cfg, clock.now())?;
            load_rollover_state(&cfg, &anchors, clock.now())?;
            if let Some(h) = &cfg.root_hints {
                hints::from_file(h)?;
            }
            println!(
                "configuration OK: {} listen address(es), {} trust anchor zone(s), {} forward zone(s)",
                cfg.listen.len(),
                anchors.zones().count(),
                cfg.forward_zones.len()
            );
            Ok(())
        }
        None => serve(cfg, clock),
    }
}

fn ctl(cfg: &Config, api_key: Option<String>, action: &CtlCmd) -> Result<()> {
    let addr = cfg.control.context("no control address: pass --control ADDR:PORT or set server.control")?;
    let key = api_key.or_else(|| std::env::var("TERN_API_KEY").ok()).or_else(|| cfg.control_api_key.clone());
    let enc = control::percent_encode;
    let (method, path) = match action {
        CtlCmd::Stats => ("GET", "/stats".to_string()),
        CtlCmd::Flush { name } => ("POST", format!("/flush?name={}", enc(name))),
        CtlCmd::NtaAdd { name, lifetime } => ("POST", format!("/nta/add?name={}&lifetime={}", enc(name), enc(lifetime))),
        CtlCmd::NtaRemove { name } => ("POST", format!("/nta/remove?name={}", enc(name))),
        CtlCmd::NtaList => ("GET", "/nta".to_string()),
        CtlCmd::Anchors => ("GET", "/anchors".to_string()),
    };
    let (status, body) = control::call(addr, method, &path, key.as_deref(), "")?;
    print!("{body}");
    if !body.ends_with('\n') {
        println!();
    }
    if status != 200 {
        bail!("control endpoint answered {status}");
    }
    Ok(())
}

fn serve(cfg: Config, clock: Arc<dyn Clock>) -> Result<()> {
    let hints = match &cfg.root_hints {
        Some(p) => hints::from_file(p)?,
        None => hints::builtin(),
    };
    let anchors = if cfg.validate { load_anchors(&cfg, clock.now())? } else { TrustAnchors::new() };
    if cfg.validate && anchors.is_empty() {
        bail!("validation is on but there is no trust anchor (check the files, or the clock: the built-in root anchors start in 2017)");
    }
    let mut ntas = NtaSet::new();
    for n in &cfg.negative_trust_anchors {
        ntas.add(n.clone(), u64::MAX);
    }
    for (zone, list) in anchors.zones().map(|z| (z.clone(), anchors.zone(z).map(|a| a.len()).unwrap_or(0))) {
        tracing::info!(%zone, anchors = list, "trust anchor");
    }
    for f in &cfg.forward_zones {
        tracing::info!(zone = %f.name, targets = ?f.targets, recursive = f.recursive, "forward zone");
    }
    let resolver =
        Arc::new(Resolver::new(Settings::from_config(&cfg), cfg.cache_max_entries, hints, anchors, ntas, Arc::new(NetTransport), clock));
    let maintainer = if cfg.validate { Some(Arc::new(start_rollover(&resolver, &cfg)?)) } else { None };
    let server = Arc::new(Server {
        resolver: resolver.clone(),
        allow_from: cfg.allow_from.clone(),
        udp_payload: cfg.udp_payload,
        tcp_idle: cfg.tcp_idle_timeout,
        shutdown: Default::default(),
        stats: Default::default(),
    });
    if let Some(addr) = cfg.metrics {
        tern_shared::metrics::install_prometheus(addr)?;
        tern_resolver::metrics::describe();
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
            tern_resolver::metrics::spawn_publisher(server.clone());
        }
        if let Some(l) = control_listener {
            l.set_nonblocking(true)?;
            let l = tokio::net::TcpListener::from_std(l)?;
            let server = server.clone();
            let maintainer = maintainer.clone();
            let handler: control::Handler = Arc::new(move |req: Request| control_request(&req, &server, maintainer.as_deref()));
            tokio::spawn(control::serve(l, cfg.control_api_key.clone(), handler));
        }
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
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

fn control_request(req: &Request, server: &Server, maintainer: Option<&TrustMaintainer>) -> Response {
    let r = &server.resolver;
    let name_param = |req: &Request| -> Result<Name, Response> {
        let n = req.param("name").ok_or_else(|| Response::error(400, "missing name\n"))?;
        Name::parse(n, Some(&Name::root())).map_err(|e| Response::error(400, format!("bad name {n:?}: {e}\n")))
    };
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/healthz") => Response::ok("ok\n"),
        ("GET", "/readyz") => Response::ok("ready\n"),
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
                        Response::ok(format!("negative trust anchor {n} until {}\n", tern_trust_anchors::time::fmt_utc(until)))
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
                    Response::ok(format!("removed {n}\n"))
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
