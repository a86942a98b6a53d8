//! `tern-auth`: the authoritative server binary and its commands.
//!
//! - `tern-auth [--config FILE] [overrides]` serves the configured zones.
//! - `tern-auth zone secure NAME` makes keys and turns on online signing for a zone.
//! - `tern-auth zone ds NAME` prints the DS records for the parent.
//! - `tern-auth ctl reload|status` talks to a running server's control endpoint.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use tern_auth::config::{self, Config, Overrides, Spec};
use tern_auth::publish::now_secs;
use tern_auth::signer::keys;
use tern_auth::store::{Denial, KeyRole, Policy, Store};
use tern_shared::control;
use tern_shared::wire::Name;

#[derive(Parser, Debug)]
#[command(name = "tern-auth", version, about = "Tern authoritative DNS server with one-command DNSSEC")]
struct Cli {
    /// TOML config file.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Directory for keys and state (overrides server.data_dir).
    #[arg(long, global = true)]
    data_dir: Option<String>,
    /// Listen address ADDR:PORT for UDP and TCP (repeatable; replaces server.listen).
    #[arg(long)]
    listen: Vec<String>,
    /// Serve a zone: NAME=FILE (repeatable; added to the config's zones).
    #[arg(long = "zone", value_name = "NAME=FILE")]
    zones: Vec<String>,
    /// Allow AXFR from this address or range (repeatable).
    #[arg(long, value_name = "CIDR")]
    allow_transfer: Vec<String>,
    /// Worker threads: "auto" or a number.
    #[arg(long)]
    threads: Option<String>,
    /// Prometheus metrics listen address ADDR:PORT.
    #[arg(long)]
    metrics: Option<String>,
    /// Control endpoint listen address ADDR:PORT (also where `ctl` connects).
    #[arg(long, global = true)]
    control: Option<String>,
    /// Validate the configuration and exit.
    #[arg(long)]
    check_config: bool,
    #[command(subcommand)]
    cmd: Option<Cmd>,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Zone DNSSEC commands (work whether the server runs or not).
    Zone {
        #[command(subcommand)]
        action: ZoneCmd,
    },
    /// Commands to a running server's control endpoint.
    Ctl {
        /// API key for the control endpoint (default: $TERN_API_KEY).
        #[arg(long)]
        api_key: Option<String>,
        #[command(subcommand)]
        action: CtlCmd,
    },
}

#[derive(Subcommand, Debug)]
enum ZoneCmd {
    /// Make a KSK and ZSK and serve the zone signed from now on.
    Secure {
        /// Zone apex, e.g. example.com.
        name: String,
        /// Algorithm: ecdsap256sha256 (13), ecdsap384sha384 (14), ed25519 (15) or rsasha256 (8).
        #[arg(long, default_value = "ecdsap256sha256")]
        algorithm: String,
        /// Use NSEC3 (RFC 5155) instead of NSEC.
        #[arg(long)]
        nsec3: bool,
        /// NSEC3 additional iterations (RFC 9276: 0).
        #[arg(long, default_value_t = 0)]
        iterations: u16,
        /// NSEC3 salt in hex, "" or "-" for none (RFC 9276: none).
        #[arg(long, default_value = "")]
        salt: String,
        /// NSEC3 opt-out (RFC 5155 §6).
        #[arg(long)]
        opt_out: bool,
        /// Publish CDS/CDNSKEY (RFC 7344).
        #[arg(long)]
        cds: bool,
    },
    /// Print the DS records for the parent zone (SHA-256 and SHA-384).
    Ds {
        /// Zone apex.
        name: String,
        /// Print the KSK's DNSKEY record instead (for trust-anchor files).
        #[arg(long)]
        dnskey: bool,
    },
    /// Stop signing the zone (serve it as loaded from its file). Keys are kept.
    Unsecure {
        /// Zone apex.
        name: String,
    },
    /// Show each zone's DNSSEC state in the store.
    Status {
        /// Zone apex.
        name: String,
    },
}

#[derive(Subcommand, Debug)]
enum CtlCmd {
    /// Reload zone files (atomically, without dropping queries).
    Reload,
    /// Show served zones and their serials.
    Status,
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        eprintln!("tern-auth: {e:#}");
        std::process::exit(1);
    }
}

fn load_config(cli: &Cli) -> Result<Config> {
    let (mut spec, base) = match &cli.config {
        Some(p) => (config::read_spec(p)?, p.parent().map(Path::to_path_buf).unwrap_or_default()),
        None => (Spec::default(), PathBuf::from(".")),
    };
    let o = Overrides {
        listen: cli.listen.clone(),
        zones: cli.zones.clone(),
        data_dir: cli.data_dir.clone(),
        allow_transfer: cli.allow_transfer.clone(),
        threads: cli.threads.clone(),
        metrics: cli.metrics.clone(),
        control: cli.control.clone(),
    };
    config::apply_overrides(&mut spec, &o)?;
    Ok(spec.validate(&base)?)
}

fn run(cli: Cli) -> Result<()> {
    init_logs();
    let cfg = load_config(&cli)?;
    match &cli.cmd {
        Some(Cmd::Zone { action }) => zone_command(&cfg, action),
        Some(Cmd::Ctl { action, api_key }) => ctl_command(&cfg, action, api_key.clone()),
        None if cli.check_config => {
            println!(
                "configuration OK: {} listen address(es), {} zone(s), data dir {}",
                cfg.listen.len(),
                cfg.zones.len(),
                cfg.data_dir.display()
            );
            Ok(())
        }
        None => {
            let again = cli_clone(&cli);
            let reloader: tern_auth::daemon::Reloader = Box::new(move || load_config(&again));
            tern_auth::daemon::serve_until(cfg, Some(reloader), None)
        }
    }
}

/// The parts of the command line a reload needs to rebuild the configuration.
fn cli_clone(cli: &Cli) -> Cli {
    Cli {
        config: cli.config.clone(),
        data_dir: cli.data_dir.clone(),
        listen: cli.listen.clone(),
        zones: cli.zones.clone(),
        allow_transfer: cli.allow_transfer.clone(),
        threads: cli.threads.clone(),
        metrics: cli.metrics.clone(),
        control: cli.control.clone(),
        check_config: false,
        cmd: None,
    }
}

fn init_logs() {
    tern_shared::log::init("info");
}

fn parse_algorithm(s: &str) -> Result<u8> {
    let alg = match s.to_ascii_lowercase().as_str() {
        "8" | "rsasha256" => 8,
        "13" | "ecdsap256sha256" | "ecdsa256" | "p256" => 13,
        "14" | "ecdsap384sha384" | "ecdsa384" | "p384" => 14,
        "15" | "ed25519" => 15,
        _ => bail!("--algorithm {s:?}: use ecdsap256sha256 (13), ecdsap384sha384 (14), ed25519 (15) or rsasha256 (8)"),
    };
    Ok(alg)
}

fn zone_command(cfg: &Config, action: &ZoneCmd) -> Result<()> {
    let store = Store::open(&cfg.data_dir)?;
    let parse = |n: &str| Name::parse(n, Some(&Name::root())).with_context(|| format!("zone name {n:?}"));
    match action {
        ZoneCmd::Secure { name, algorithm, nsec3, iterations, salt, opt_out, cds } => {
            let zone = parse(name)?;
            let alg = parse_algorithm(algorithm)?;
            let salt = if salt == "-" { String::new() } else { salt.to_ascii_lowercase() };
            if !salt.bytes().all(|b| b.is_ascii_hexdigit()) || salt.len() % 2 != 0 || salt.len() > 510 {
                bail!("--salt {salt:?} is not an even number of hex digits (at most 255 octets)");
            }
            if *iterations > tern_auth::signer::NSEC3_MAX_ITERATIONS {
                bail!(
                    "--iterations {iterations}: more than {} is refused (RFC 9276 §3.1 recommends 0)",
                    tern_auth::signer::NSEC3_MAX_ITERATIONS
                );
            }
            let denial = if *nsec3 || *opt_out || *iterations > 0 || !salt.is_empty() {
                Denial::Nsec3 { iterations: *iterations, salt, opt_out: *opt_out }
            } else {
                Denial::Nsec
            };
            let now = now_secs();
            // Keys are made outside the store transaction (RSA takes a moment).
            let existing = store.zone(&zone)?;
            let need_new = existing.keys.is_empty() || existing.keys.iter().any(|k| k.algorithm != alg);
            let new_keys =
                if need_new { vec![keys::generate(KeyRole::Ksk, alg, now)?, keys::generate(KeyRole::Zsk, alg, now)?] } else { Vec::new() };
            let policy = Policy { algorithm: alg, denial, publish_cds: *cds };
            let state = store.update_zone(&zone, |s| {
                if !new_keys.is_empty() {
                    s.keys = new_keys.clone();
                }
                s.policy = Some(policy.clone());
                s.clone()
            })?;
            if !cfg.zones.iter().any(|z| z.name == zone) {
                eprintln!("note: {zone} is not in this configuration; it will be signed once it is served");
            }
            eprintln!(
                "{zone} secured: algorithm {alg}, {}, KSK tag {}, ZSK tag {}{}",
                match &policy.denial {
                    Denial::Nsec => "NSEC".to_string(),
                    Denial::Nsec3 { iterations, opt_out, .. } =>
                        format!("NSEC3 ({iterations} iterations{})", if *opt_out { ", opt-out" } else { "" }),
                },
                state.keys.iter().find(|k| k.role == KeyRole::Ksk).map_or(0, |k| k.key_tag),
                state.keys.iter().find(|k| k.role == KeyRole::Zsk).map_or(0, |k| k.key_tag),
                if need_new { "" } else { " (existing keys kept)" }
            );
            eprintln!("give these DS records to the parent zone:");
            for r in keys::ds_records(&zone, &state.keys, 3600)? {
                println!("{r}");
            }
            Ok(())
        }
        ZoneCmd::Ds { name, dnskey } => {
            let zone = parse(name)?;
            let state = store.zone(&zone)?;
            if state.keys.is_empty() {
                bail!("zone {zone} has no keys in {}; run `tern-auth zone secure {zone}` first", store.path().display());
            }
            if *dnskey {
                if let Some(r) = keys::ksk_dnskey(&zone, &state.keys, 3600)? {
                    println!("{r}");
                }
            } else {
                for r in keys::ds_records(&zone, &state.keys, 3600)? {
                    println!("{r}");
                }
            }
            Ok(())
        }
        ZoneCmd::Unsecure { name } => {
            let zone = parse(name)?;
            store.update_zone(&zone, |s| s.policy = None)?;
            eprintln!("{zone} will be served as loaded from its file; keys are kept in the store. Remove the DS at the parent first!");
            Ok(())
        }
        ZoneCmd::Status { name } => {
            let zone = parse(name)?;
            let s = store.zone(&zone)?;
            println!("zone {zone}");
            println!("policy {:?}", s.policy);
            for k in &s.keys {
                println!("key {:?} algorithm {} flags {} tag {} created {}", k.role, k.algorithm, k.flags, k.key_tag, k.created);
            }
            println!("last serial {:?}", s.last_serial);
            Ok(())
        }
    }
}

fn ctl_command(cfg: &Config, action: &CtlCmd, api_key: Option<String>) -> Result<()> {
    let addr = cfg.control.context("no control address: pass --control ADDR:PORT or set server.control")?;
    let key = api_key.or_else(|| std::env::var("TERN_API_KEY").ok()).or_else(|| cfg.control_api_key.clone());
    let (method, path) = match action {
        CtlCmd::Reload => ("POST", "/reload"),
        CtlCmd::Status => ("GET", "/status"),
    };
    let (status, body) = control::call(addr, method, path, key.as_deref(), "")?;
    print!("{body}");
    if !body.ends_with('\n') {
        println!();
    }
    if status != 200 {
        bail!("control endpoint answered {status}");
    }
    Ok(())
}
