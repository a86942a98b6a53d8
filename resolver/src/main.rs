//! `tern-resolver`: the validating recursive resolver binary.
//!
//! - `tern-resolver [--config FILE] [overrides]` serves clients.
//! - `tern-resolver anchors` lists the trust anchors it would use, with their RFC 5011
//!   state from the data directory.
//! - `tern-resolver ctl ...` talks to a running resolver's control endpoint.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tern_resolver::config::{self, Config, Overrides, Spec};
use tern_resolver::iterator::hints;
use tern_resolver::resolve::rollover::{self};
use tern_resolver::resolve::{Clock, OffsetFileClock, SystemClock};
use tern_shared::control::{self};
use tern_trust_anchors::{RolloverState, TrustAnchors};

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
    /// Learn forward zones (and DS anchors of signed ones) from a tern-auth:
    /// CONTROL=ADDR:PORT[,ADDR:PORT] (its control endpoint = its DNS address; repeatable).
    #[arg(long = "zones-from-auth", value_name = "CONTROL=ADDR:PORT")]
    zones_from_auth: Vec<String>,
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
    /// Re-read the configuration (forward zones, client ACL, negative trust anchors).
    Reload,
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

/// The parts of the command line a reload needs to rebuild the configuration.
fn cli_clone(cli: &Cli) -> Cli {
    Cli {
        config: cli.config.clone(),
        listen: cli.listen.clone(),
        root_hints: cli.root_hints.clone(),
        trust_anchors: cli.trust_anchors.clone(),
        managed_trust_anchors: cli.managed_trust_anchors.clone(),
        threads: cli.threads.clone(),
        metrics: cli.metrics.clone(),
        control: cli.control.clone(),
        data_dir: cli.data_dir.clone(),
        forward_zones: cli.forward_zones.clone(),
        zones_from_auth: cli.zones_from_auth.clone(),
        allow_from: cli.allow_from.clone(),
        check_config: false,
        test_clock_file: cli.test_clock_file.clone(),
        cmd: None,
    }
}

fn init_logs() {
    tern_shared::log::init("info");
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
        zones_from_auth: cli.zones_from_auth.clone(),
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
            let anchors = tern_resolver::daemon::load_anchors(&cfg, now)?;
            let state = load_rollover_state(&cfg, &anchors, now)?;
            print!("{}", rollover::listing(&anchors, state.as_ref(), now));
            Ok(())
        }
        Some(Cmd::Ctl { api_key, action }) => ctl(&cfg, api_key.clone(), action),
        None if cli.check_config => {
            let anchors = tern_resolver::daemon::load_anchors(&cfg, clock.now())?;
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
        None => {
            let again = cli_clone(&cli);
            let reloader: tern_resolver::daemon::Reloader = Box::new(move || load_config(&again));
            tern_resolver::daemon::serve_until(cfg, clock, Some(reloader), None)
        }
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
        CtlCmd::Reload => ("POST", "/reload".to_string()),
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
