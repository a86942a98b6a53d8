//! tern-resolver configuration: the on-disk [`Spec`] (TOML, every key optional, unknown
//! keys refused) and the validated runtime [`Config`]. Precedence: built-in defaults <
//! file < command line; `validate` is the one place values are checked.

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tern_shared::config::{parse_cidr, parse_duration, parse_listen, ConfigError, Threads};
use tern_shared::wire::Name;

/// Default listen address when nothing is configured: loopback, unprivileged.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:5301";
/// RFC 9715 / DNS Flag Day 2020: 1232 octets avoids IP fragmentation.
pub const DEFAULT_UDP_PAYLOAD: u16 = 1232;
/// Default ACL: loopback and private ranges (RFC 1918, RFC 4193, link-local).
pub const DEFAULT_ALLOW_FROM: &[&str] =
    &["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "fe80::/10"];

/// The config file as written by the operator.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Spec {
    /// Server options.
    pub server: ServerSpec,
    /// Cache options.
    pub cache: CacheSpec,
    /// DNSSEC options.
    pub dnssec: DnssecSpec,
    /// Iteration options.
    pub iterator: IteratorSpec,
    /// Forward zones.
    pub forward_zone: Vec<ForwardSpec>,
    /// tern-auth servers whose zones are forwarded to them automatically.
    pub zones_from_auth: Vec<AuthSourceSpec>,
    /// Local data and blocking rules.
    pub policy: PolicySpec,
    /// DNS64 (RFC 6147).
    pub dns64: Dns64Spec,
}

/// `[policy]`: answers given from configuration instead of resolving (see
/// [`crate::policy`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicySpec {
    /// Records served as they are, one per string in master-file syntax
    /// (`"printer.lan. 300 A 192.0.2.7"`; names absolute).
    pub local_data: Vec<String>,
    /// Also answer the reverse PTR of local A/AAAA records.
    pub local_data_ptr: bool,
    /// TTL of local data without one, and of the SOA in `deny` answers.
    pub ttl: String,
    /// Rules, tried in order; the first that matches decides.
    pub rule: Vec<RuleSpec>,
    /// Address rewriting in answers (Knot Resolver's `renumber`), first match wins.
    pub renumber: Vec<RenumberSpec>,
}

impl Default for PolicySpec {
    fn default() -> Self {
        PolicySpec { local_data: Vec::new(), local_data_ptr: true, ttl: "5m".into(), rule: Vec::new(), renumber: Vec::new() }
    }
}

/// `[[policy.renumber]]`: A and AAAA records inside `from` are answered inside `to`
/// instead, their host bits kept (for networks reached through address translation).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RenumberSpec {
    /// The prefix to rewrite (`"10.0.0.0/24"`).
    pub from: String,
    /// The prefix it becomes: an address of the same family (`"192.0.2.0"`).
    pub to: String,
}

/// `[[policy.rule]]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// `deny`, `refuse`, `servfail`, `drop`, `truncate` or `pass`.
    pub action: String,
    /// Match every name.
    #[serde(default)]
    pub all: bool,
    /// Match these names exactly.
    #[serde(default)]
    pub name: Vec<String>,
    /// Match these names and every name below them.
    #[serde(default)]
    pub suffix: Vec<String>,
    /// Files of names matched like `suffix` (blocklists): one name per line, or hosts-file
    /// lines (`0.0.0.0 name ...`); `#` starts a comment. Read at start and on reload.
    #[serde(default)]
    pub suffix_files: Vec<String>,
    /// Regular expressions (Rust `regex` syntax, linear-time) matched against the question
    /// name, lowercased, in presentation format with its final dot (`www.example.com.`).
    #[serde(default)]
    pub pattern: Vec<String>,
}

/// `[dns64]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Dns64Spec {
    /// NAT64 prefix (`64:ff9b::/96`); unset: DNS64 off.
    pub prefix: Option<String>,
    /// AAAA records in these ranges count as absent (RFC 6147 §5.1.4).
    pub exclude: Vec<String>,
    /// Clients (addresses or prefixes) that get DNS64; empty: every client.
    pub clients: Vec<String>,
}

impl Default for Dns64Spec {
    fn default() -> Self {
        Dns64Spec { prefix: None, exclude: vec!["::ffff:0:0/96".into()], clients: Vec::new() }
    }
}

/// `[[zones_from_auth]]`: learn forward zones, and the DS of the signed ones, from a
/// sibling tern-auth's control endpoint (`GET /zones`), so adding a zone there needs no
/// change here.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AuthSourceSpec {
    /// tern-auth control endpoint `ADDR:PORT`.
    pub control: String,
    /// tern-auth DNS address(es) `ADDR:PORT` the learned zones are forwarded to.
    pub targets: Vec<String>,
    /// API key for the control endpoint, if it requires one.
    #[serde(default)]
    pub api_key: Option<String>,
    /// How often to ask (default 30s).
    #[serde(default)]
    pub refresh: Option<String>,
}

/// A validated `[[zones_from_auth]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSource {
    /// Control endpoint.
    pub control: SocketAddr,
    /// DNS targets.
    pub targets: Vec<SocketAddr>,
    /// API key.
    pub api_key: Option<String>,
    /// Poll interval.
    pub refresh: Duration,
}

/// `[server]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSpec {
    /// UDP and TCP listen addresses.
    pub listen: Vec<String>,
    /// Worker threads.
    pub threads: Threads,
    /// Clients allowed to use the resolver; others get REFUSED.
    pub allow_from: Vec<String>,
    /// Largest UDP response and the payload size we advertise upstream.
    pub udp_payload: u16,
    /// Leave out what a response does not need (Unbound's `minimal-responses`). Off:
    /// NXDOMAIN and NODATA answers also carry the zone's NS RRset from the authority
    /// section of the authoritative response beside the SOA (RFC 2308 §2.1 type 2).
    pub minimal_responses: bool,
    /// TCP idle timeout.
    pub tcp_idle_timeout: String,
    /// Directory for state (RFC 5011 anchors).
    pub data_dir: Option<String>,
    /// Prometheus metrics listen address.
    pub metrics: Option<String>,
    /// Control endpoint listen address.
    pub control: Option<String>,
    /// API key for the control endpoint.
    pub control_api_key: Option<String>,
}

impl Default for ServerSpec {
    fn default() -> Self {
        ServerSpec {
            listen: Vec::new(),
            threads: Threads::Auto,
            allow_from: DEFAULT_ALLOW_FROM.iter().map(|s| s.to_string()).collect(),
            udp_payload: DEFAULT_UDP_PAYLOAD,
            minimal_responses: true,
            tcp_idle_timeout: "10s".into(),
            data_dir: None,
            metrics: None,
            control: None,
            control_api_key: None,
        }
    }
}

/// `[cache]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheSpec {
    /// Most RRsets kept (the bound on memory).
    pub max_entries: u64,
    /// Lowest TTL cached (answers with less are kept this long).
    pub min_ttl: String,
    /// Highest TTL cached (RFC 8767 suggests at most 7 days).
    pub max_ttl: String,
    /// Highest TTL for negative answers (RFC 2308 §5 suggests 1-3 hours).
    pub max_negative_ttl: String,
    /// How long a bogus result is remembered (RFC 9520 §3: at least 1 s, at most 5 min).
    pub bogus_ttl: String,
    /// Serve stale answers when the authorities cannot be reached (RFC 8767).
    pub serve_stale: bool,
    /// How long past its expiry an answer may still be served stale (RFC 8767 §5 "maximum
    /// stale timer": 1 to 3 days suggested).
    pub stale_max: String,
    /// The TTL a stale answer carries; also how long the resolver waits before trying the
    /// authorities again for that question (RFC 8767 §4, §5 "failure recheck timer": 30 s).
    pub stale_answer_ttl: String,
    /// How long a client waits for a fresh answer before it gets the stale one while the
    /// resolution goes on (RFC 8767 §5 "client response timer": 1.8 s); "0s": only when
    /// the resolution has failed.
    pub stale_client_timeout: String,
    /// Refresh answers asked for in the last tenth of their TTL in the background (as
    /// Unbound's `prefetch`), so popular names do not expire under their clients.
    pub prefetch: bool,
}

impl Default for CacheSpec {
    fn default() -> Self {
        CacheSpec {
            max_entries: 1_000_000,
            min_ttl: "0s".into(),
            max_ttl: "1d".into(),
            max_negative_ttl: "1h".into(),
            bogus_ttl: "60s".into(),
            serve_stale: false,
            stale_max: "1d".into(),
            stale_answer_ttl: "30s".into(),
            stale_client_timeout: "1800ms".into(),
            prefetch: false,
        }
    }
}

/// `[dnssec]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DnssecSpec {
    /// Validate answers (default on).
    pub validate: bool,
    /// Answer NXDOMAIN/NODATA from validated NSEC/NSEC3 records already cached (RFC 8198).
    pub aggressive_nsec: bool,
    /// Trust-anchor files (DS or DNSKEY records in zone-file syntax, BIND `trust-anchors`
    /// blocks or RFC 7958 XML). Without a root anchor among all anchor files: the
    /// built-in IANA root anchors too.
    pub trust_anchor_files: Vec<String>,
    /// Anchor files whose zone-file and XML anchors are managed by RFC 5011 automated
    /// updates (Unbound's `auto-trust-anchor-file`); BIND files say it per entry.
    pub managed_trust_anchor_files: Vec<String>,
    /// Negative trust anchors (RFC 7646): names to treat as insecure.
    pub negative_trust_anchors: Vec<String>,
}

impl Default for DnssecSpec {
    fn default() -> Self {
        DnssecSpec {
            validate: true,
            aggressive_nsec: true,
            trust_anchor_files: Vec::new(),
            managed_trust_anchor_files: Vec::new(),
            negative_trust_anchors: Vec::new(),
        }
    }
}

/// `[iterator]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IteratorSpec {
    /// Root hints file (zone-file syntax: NS for `.` and addresses). Empty: built-in IANA hints.
    pub root_hints: Option<String>,
    /// QNAME minimisation (RFC 9156).
    pub qname_minimisation: bool,
    /// Use only glue inside the delegating zone (RFC 2181 §5.4.1). Off: addresses a
    /// referral carries for name servers outside that zone reach the delegated zone too
    /// (Unbound's `harden-glue: no`); they are never cached as those names' addresses.
    pub harden_glue: bool,
    /// Query authoritative servers over IPv6 too (off on hosts without IPv6 routes, so
    /// no time is lost on AAAA-only server addresses).
    pub upstream_ipv6: bool,
    /// Upstream query timeout before trying another server.
    pub query_timeout: String,
    /// Total time allowed to resolve one client question.
    pub resolution_timeout: String,
    /// Refuse to send queries to these upstream addresses (the lab needs 127/8 allowed).
    pub do_not_query: Vec<String>,
    /// Port of authoritative servers found by iteration (53; labs may run them elsewhere).
    pub upstream_port: u16,
}

impl Default for IteratorSpec {
    fn default() -> Self {
        IteratorSpec {
            root_hints: None,
            qname_minimisation: true,
            harden_glue: true,
            upstream_ipv6: true,
            query_timeout: "1500ms".into(),
            resolution_timeout: "10s".into(),
            do_not_query: Vec::new(),
            upstream_port: 53,
        }
    }
}

/// `[[forward_zone]]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ForwardSpec {
    /// Zone name.
    pub name: String,
    /// Targets `ADDR:PORT`.
    pub targets: Vec<String>,
    /// Ask with RD=1 (another resolver) instead of RD=0 (an authoritative server).
    #[serde(default)]
    pub recursive: bool,
    /// `"validate"` or `"insecure"`; unset: validate when a trust anchor is configured at
    /// or below the zone's name, insecure otherwise.
    #[serde(default)]
    pub dnssec: Option<String>,
}

/// How answers from a forward zone are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardDnssec {
    /// Validated like any other answer.
    Validate,
    /// Answered without validation (AD clear), like an RFC 7646 negative trust anchor:
    /// for internal zones the public chain of trust cannot reach.
    Insecure,
    /// Decided at start-up from the trust anchors (see [`ForwardSpec::dnssec`]).
    Auto,
}

/// A validated forward zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardZone {
    /// Zone name.
    pub name: Name,
    /// Targets.
    pub targets: Vec<SocketAddr>,
    /// RD=1 upstream.
    pub recursive: bool,
    /// DNSSEC mode.
    pub dnssec: ForwardDnssec,
}

/// Validated runtime configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen addresses.
    pub listen: Vec<SocketAddr>,
    /// True if the default listen address was used.
    pub default_listen: bool,
    /// Worker threads.
    pub threads: usize,
    /// Client ACL.
    pub allow_from: Vec<IpNet>,
    /// UDP payload size.
    pub udp_payload: u16,
    /// TCP idle timeout.
    pub tcp_idle_timeout: Duration,
    /// State directory.
    pub data_dir: Option<PathBuf>,
    /// Metrics address.
    pub metrics: Option<SocketAddr>,
    /// Control address.
    pub control: Option<SocketAddr>,
    /// Control API key.
    pub control_api_key: Option<String>,
    /// Cache bound.
    pub cache_max_entries: u64,
    /// Serve-stale (RFC 8767), when on.
    pub serve_stale: Option<crate::cache::StalePolicy>,
    /// Prefetch answers near expiry.
    pub prefetch: bool,
    /// TTL floor.
    pub min_ttl: u32,
    /// TTL cap.
    pub max_ttl: u32,
    /// Negative TTL cap.
    pub max_negative_ttl: u32,
    /// Bogus TTL.
    pub bogus_ttl: u32,
    /// Validation on.
    pub validate: bool,
    /// RFC 8198 synthesis from cached NSEC records.
    pub aggressive_nsec: bool,
    /// Trust-anchor files.
    pub trust_anchor_files: Vec<PathBuf>,
    /// Trust-anchor files whose anchors are managed by RFC 5011.
    pub managed_trust_anchor_files: Vec<PathBuf>,
    /// NTAs.
    pub negative_trust_anchors: Vec<Name>,
    /// Root hints file.
    pub root_hints: Option<PathBuf>,
    /// QNAME minimisation.
    pub qname_minimisation: bool,
    /// Only in-zone glue (see [`IteratorSpec::harden_glue`]).
    pub harden_glue: bool,
    /// Minimal responses (see [`ServerSpec::minimal_responses`]).
    pub minimal_responses: bool,
    /// Query authoritative servers over IPv6 too.
    pub upstream_ipv6: bool,
    /// Upstream timeout.
    pub query_timeout: Duration,
    /// Per-question deadline.
    pub resolution_timeout: Duration,
    /// Upstream addresses never queried.
    pub do_not_query: Vec<IpNet>,
    /// Port of authoritative servers found by iteration.
    pub upstream_port: u16,
    /// Forward zones.
    pub forward_zones: Vec<ForwardZone>,
    /// tern-auth servers to learn forward zones from.
    pub zones_from_auth: Vec<AuthSource>,
    /// Local data and rules.
    pub policy: crate::policy::Policy,
    /// DNS64, when on.
    pub dns64: Option<crate::dns64::Dns64>,
}

/// Command-line overrides.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--listen` (replaces).
    pub listen: Vec<String>,
    /// `--root-hints`.
    pub root_hints: Option<String>,
    /// `--trust-anchor` (adds to the file's).
    pub trust_anchors: Vec<String>,
    /// `--managed-trust-anchor` (adds to the file's).
    pub managed_trust_anchors: Vec<String>,
    /// `--threads`.
    pub threads: Option<String>,
    /// `--metrics`.
    pub metrics: Option<String>,
    /// `--control`.
    pub control: Option<String>,
    /// `--data-dir`.
    pub data_dir: Option<String>,
    /// `--forward-zone NAME=ADDR:PORT[,ADDR:PORT]`.
    pub forward_zones: Vec<String>,
    /// `--zones-from-auth CONTROL=ADDR:PORT[,ADDR:PORT]`.
    pub zones_from_auth: Vec<String>,
    /// `--allow-from` (replaces).
    pub allow_from: Vec<String>,
}

/// Reads a TOML config file.
pub fn read_spec(path: &Path) -> Result<Spec, ConfigError> {
    tern_shared::config::read_toml(path)
}

/// Applies command-line overrides.
pub fn apply_overrides(spec: &mut Spec, o: &Overrides) -> Result<(), ConfigError> {
    if !o.listen.is_empty() {
        spec.server.listen = o.listen.clone();
    }
    if let Some(h) = &o.root_hints {
        spec.iterator.root_hints = Some(h.clone());
    }
    spec.dnssec.trust_anchor_files.extend(o.trust_anchors.iter().cloned());
    spec.dnssec.managed_trust_anchor_files.extend(o.managed_trust_anchors.iter().cloned());
    if let Some(t) = &o.threads {
        spec.server.threads = Threads::parse(t).map_err(|r| ConfigError::new("--threads", r))?;
    }
    if let Some(m) = &o.metrics {
        spec.server.metrics = Some(m.clone());
    }
    if let Some(c) = &o.control {
        spec.server.control = Some(c.clone());
    }
    if let Some(d) = &o.data_dir {
        spec.server.data_dir = Some(d.clone());
    }
    if !o.allow_from.is_empty() {
        spec.server.allow_from = o.allow_from.clone();
    }
    for (i, f) in o.zones_from_auth.iter().enumerate() {
        let (control, targets) = f
            .split_once('=')
            .ok_or_else(|| ConfigError::new(format!("--zones-from-auth[{i}]"), format!("{f:?} is not CONTROL=ADDR:PORT[,ADDR:PORT]")))?;
        spec.zones_from_auth.push(AuthSourceSpec {
            control: control.into(),
            targets: targets.split(',').map(str::to_string).collect(),
            api_key: None,
            refresh: None,
        });
    }
    for (i, f) in o.forward_zones.iter().enumerate() {
        let (name, targets) = f
            .split_once('=')
            .ok_or_else(|| ConfigError::new(format!("--forward-zone[{i}]"), format!("{f:?} is not NAME=ADDR:PORT[,ADDR:PORT]")))?;
        spec.forward_zone.push(ForwardSpec {
            name: name.into(),
            targets: targets.split(',').map(str::to_string).collect(),
            recursive: false,
            dnssec: None,
        });
    }
    Ok(())
}

fn duration_secs(key: &str, v: &str) -> Result<u32, ConfigError> {
    let d = parse_duration(v).map_err(|r| ConfigError::new(key, r))?;
    u32::try_from(d.as_secs()).map_err(|_| ConfigError::new(key, "too large"))
}

fn duration_ms(key: &str, v: &str) -> Result<Duration, ConfigError> {
    if let Some(ms) = v.strip_suffix("ms") {
        return ms.trim().parse::<u64>().map(Duration::from_millis).map_err(|_| ConfigError::new(key, format!("bad duration {v:?}")));
    }
    parse_duration(v).map_err(|r| ConfigError::new(key, r))
}

impl Spec {
    /// Checks every value and builds the runtime config; relative paths are taken from `base`.
    pub fn validate(&self, base: &Path) -> Result<Config, ConfigError> {
        let s = &self.server;
        let default_listen = s.listen.is_empty();
        let src: Vec<String> = if default_listen { vec![DEFAULT_LISTEN.into()] } else { s.listen.clone() };
        let listen = src
            .iter()
            .enumerate()
            .map(|(i, a)| parse_listen(a).map_err(|r| ConfigError::new(format!("server.listen[{i}]"), r)))
            .collect::<Result<Vec<_>, _>>()?;
        let allow_from = s
            .allow_from
            .iter()
            .enumerate()
            .map(|(i, a)| parse_cidr(a).map_err(|r| ConfigError::new(format!("server.allow_from[{i}]"), r)))
            .collect::<Result<Vec<_>, _>>()?;
        if !(512..=4096).contains(&s.udp_payload) {
            return Err(ConfigError::new("server.udp_payload", format!("{} is outside 512-4096", s.udp_payload)));
        }
        if let Threads::Fixed(0) = s.threads {
            return Err(ConfigError::new("server.threads", "must be \"auto\" or at least 1"));
        }
        let tcp_idle_timeout = parse_duration(&s.tcp_idle_timeout).map_err(|r| ConfigError::new("server.tcp_idle_timeout", r))?;
        let metrics = s.metrics.as_deref().map(|m| parse_listen(m).map_err(|r| ConfigError::new("server.metrics", r))).transpose()?;
        let control = s.control.as_deref().map(|m| parse_listen(m).map_err(|r| ConfigError::new("server.control", r))).transpose()?;
        let c = &self.cache;
        if c.max_entries < 100 {
            return Err(ConfigError::new("cache.max_entries", "must be at least 100"));
        }
        let min_ttl = duration_secs("cache.min_ttl", &c.min_ttl)?;
        let max_ttl = duration_secs("cache.max_ttl", &c.max_ttl)?;
        if min_ttl > max_ttl {
            return Err(ConfigError::new("cache.min_ttl", "is above cache.max_ttl"));
        }
        if min_ttl > 3600 {
            return Err(ConfigError::new("cache.min_ttl", "above 1h would serve stale data for too long"));
        }
        let max_negative_ttl = duration_secs("cache.max_negative_ttl", &c.max_negative_ttl)?;
        let bogus_ttl = duration_secs("cache.bogus_ttl", &c.bogus_ttl)?;
        if !(1..=300).contains(&bogus_ttl) {
            return Err(ConfigError::new("cache.bogus_ttl", "must be from 1s to 5m (RFC 9520 §3)"));
        }
        let serve_stale = if c.serve_stale {
            let max = duration_secs("cache.stale_max", &c.stale_max)?;
            if !(1..=7 * 86_400).contains(&max) {
                return Err(ConfigError::new("cache.stale_max", "must be from 1s to 7d (RFC 8767 §5 suggests 1 to 3 days)"));
            }
            let answer_ttl = duration_secs("cache.stale_answer_ttl", &c.stale_answer_ttl)?;
            if !(1..=3600).contains(&answer_ttl) {
                return Err(ConfigError::new("cache.stale_answer_ttl", "must be from 1s to 1h (RFC 8767 §4 recommends 30s)"));
            }
            let client_timeout = parse_duration(&c.stale_client_timeout).map_err(|r| ConfigError::new("cache.stale_client_timeout", r))?;
            Some(crate::cache::StalePolicy { max, answer_ttl, client_timeout })
        } else {
            None
        };
        let d = &self.dnssec;
        let negative_trust_anchors = d
            .negative_trust_anchors
            .iter()
            .enumerate()
            .map(|(i, n)| {
                Name::parse(n, Some(&Name::root()))
                    .map_err(|e| ConfigError::new(format!("dnssec.negative_trust_anchors[{i}]"), format!("{n:?}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        for (key, list) in
            [("dnssec.trust_anchor_files", &d.trust_anchor_files), ("dnssec.managed_trust_anchor_files", &d.managed_trust_anchor_files)]
        {
            if let Some(i) = list.iter().position(|f| f.trim().is_empty()) {
                return Err(ConfigError::new(format!("{key}[{i}]"), "empty file name"));
            }
        }
        if let Some((i, f)) = d.managed_trust_anchor_files.iter().enumerate().find(|(_, f)| d.trust_anchor_files.contains(f)) {
            return Err(ConfigError::new(
                format!("dnssec.managed_trust_anchor_files[{i}]"),
                format!("{f:?} is also in dnssec.trust_anchor_files: an anchor file is either managed or static"),
            ));
        }
        let it = &self.iterator;
        let query_timeout = duration_ms("iterator.query_timeout", &it.query_timeout)?;
        if query_timeout < Duration::from_millis(50) || query_timeout > Duration::from_secs(10) {
            return Err(ConfigError::new("iterator.query_timeout", "must be from 50ms to 10s"));
        }
        let resolution_timeout = duration_ms("iterator.resolution_timeout", &it.resolution_timeout)?;
        if resolution_timeout < query_timeout {
            return Err(ConfigError::new("iterator.resolution_timeout", "must be at least iterator.query_timeout"));
        }
        let do_not_query = it
            .do_not_query
            .iter()
            .enumerate()
            .map(|(i, a)| parse_cidr(a).map_err(|r| ConfigError::new(format!("iterator.do_not_query[{i}]"), r)))
            .collect::<Result<Vec<_>, _>>()?;
        if it.upstream_port == 0 {
            return Err(ConfigError::new("iterator.upstream_port", "must be 1-65535"));
        }
        let mut forward_zones: Vec<ForwardZone> = Vec::new();
        for (i, f) in self.forward_zone.iter().enumerate() {
            let key = format!("forward_zone[{i}]");
            let name = Name::parse(&f.name, Some(&Name::root()))
                .map_err(|e| ConfigError::new(format!("{key}.name"), format!("{:?}: {e}", f.name)))?;
            if f.targets.is_empty() {
                return Err(ConfigError::new(format!("{key}.targets"), "needs at least one ADDR:PORT"));
            }
            let targets = f
                .targets
                .iter()
                .enumerate()
                .map(|(j, t)| parse_listen(t).map_err(|r| ConfigError::new(format!("{key}.targets[{j}]"), r)))
                .collect::<Result<Vec<_>, _>>()?;
            if forward_zones.iter().any(|z| z.name == name) {
                return Err(ConfigError::new(format!("{key}.name"), format!("{name} is listed twice")));
            }
            let dnssec = match f.dnssec.as_deref() {
                None => ForwardDnssec::Auto,
                Some("validate") => ForwardDnssec::Validate,
                Some("insecure") => ForwardDnssec::Insecure,
                Some(other) => {
                    return Err(ConfigError::new(format!("{key}.dnssec"), format!("{other:?} is not \"validate\" or \"insecure\"")))
                }
            };
            forward_zones.push(ForwardZone { name, targets, recursive: f.recursive, dnssec });
        }
        let mut zones_from_auth = Vec::new();
        for (i, a) in self.zones_from_auth.iter().enumerate() {
            let key = format!("zones_from_auth[{i}]");
            let control = parse_listen(&a.control).map_err(|r| ConfigError::new(format!("{key}.control"), r))?;
            if a.targets.is_empty() {
                return Err(ConfigError::new(format!("{key}.targets"), "needs at least one ADDR:PORT"));
            }
            let targets = a
                .targets
                .iter()
                .enumerate()
                .map(|(j, t)| parse_listen(t).map_err(|r| ConfigError::new(format!("{key}.targets[{j}]"), r)))
                .collect::<Result<Vec<_>, _>>()?;
            let refresh = match &a.refresh {
                Some(r) => duration_ms(&format!("{key}.refresh"), r)?,
                None => Duration::from_secs(30),
            };
            if refresh < Duration::from_secs(1) {
                return Err(ConfigError::new(format!("{key}.refresh"), "must be at least 1s"));
            }
            zones_from_auth.push(AuthSource { control, targets, api_key: a.api_key.clone(), refresh });
        }
        let policy = crate::policy::build(&self.policy, base)?;
        let dns64 = match &self.dns64.prefix {
            None => None,
            Some(p) => {
                let prefix = match p.parse::<ipnet::Ipv6Net>() {
                    Ok(n) if crate::dns64::PREFIX_LENGTHS.contains(&n.prefix_len()) => n,
                    Ok(_) => {
                        return Err(ConfigError::new(
                            "dns64.prefix",
                            format!("{p:?}: the length must be 32, 40, 48, 56, 64 or 96 (RFC 6052 §2.2)"),
                        ))
                    }
                    Err(_) => return Err(ConfigError::new("dns64.prefix", format!("{p:?} is not an IPv6 prefix"))),
                };
                let exclude = self
                    .dns64
                    .exclude
                    .iter()
                    .enumerate()
                    .map(|(i, e)| {
                        e.parse::<ipnet::Ipv6Net>()
                            .map_err(|_| ConfigError::new(format!("dns64.exclude[{i}]"), format!("{e:?} is not an IPv6 prefix")))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let clients = self
                    .dns64
                    .clients
                    .iter()
                    .enumerate()
                    .map(|(i, c)| parse_cidr(c).map_err(|r| ConfigError::new(format!("dns64.clients[{i}]"), r)))
                    .collect::<Result<Vec<_>, _>>()?;
                Some(crate::dns64::Dns64 { prefix, exclude, clients })
            }
        };
        let path = |p: &String| base.join(p);
        Ok(Config {
            policy,
            dns64,
            listen,
            default_listen,
            threads: s.threads.count(),
            allow_from,
            udp_payload: s.udp_payload,
            tcp_idle_timeout,
            data_dir: s.data_dir.as_ref().map(PathBuf::from),
            metrics,
            control,
            control_api_key: s.control_api_key.clone(),
            cache_max_entries: c.max_entries,
            serve_stale,
            prefetch: c.prefetch,
            min_ttl,
            max_ttl,
            max_negative_ttl,
            bogus_ttl,
            validate: d.validate,
            aggressive_nsec: d.aggressive_nsec,
            trust_anchor_files: d.trust_anchor_files.iter().map(path).collect(),
            managed_trust_anchor_files: d.managed_trust_anchor_files.iter().map(path).collect(),
            negative_trust_anchors,
            root_hints: it.root_hints.as_ref().map(path),
            qname_minimisation: it.qname_minimisation,
            harden_glue: it.harden_glue,
            minimal_responses: s.minimal_responses,
            upstream_ipv6: it.upstream_ipv6,
            query_timeout,
            resolution_timeout,
            do_not_query,
            upstream_port: it.upstream_port,
            zones_from_auth,
            forward_zones,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_on_loopback() {
        let c = Spec::default().validate(Path::new(".")).unwrap();
        assert_eq!(c.listen, vec!["127.0.0.1:5301".parse().unwrap()]);
        assert!(c.validate && c.qname_minimisation);
        assert!(c.trust_anchor_files.is_empty());
    }

    #[test]
    fn bad_values_name_their_key() {
        let spec: Spec = toml::from_str("[cache]\nbogus_ttl = \"1h\"").unwrap();
        assert_eq!(spec.validate(Path::new(".")).unwrap_err().key, "cache.bogus_ttl");
        let spec: Spec = toml::from_str("[[forward_zone]]\nname = \"corp.\"\ntargets = [\"x\"]").unwrap();
        assert_eq!(spec.validate(Path::new(".")).unwrap_err().key, "forward_zone[0].targets[0]");
        let spec: Spec = toml::from_str("[iterator]\nquery_timeout = \"20ms\"").unwrap();
        assert_eq!(spec.validate(Path::new(".")).unwrap_err().key, "iterator.query_timeout");
        let spec: Spec =
            toml::from_str("[dnssec]\ntrust_anchor_files = [\"a.keys\"]\nmanaged_trust_anchor_files = [\"b.keys\", \"a.keys\"]").unwrap();
        assert_eq!(spec.validate(Path::new(".")).unwrap_err().key, "dnssec.managed_trust_anchor_files[1]");
        let spec: Spec = toml::from_str("[dnssec]\nmanaged_trust_anchor_files = [\" \"]").unwrap();
        assert_eq!(spec.validate(Path::new(".")).unwrap_err().key, "dnssec.managed_trust_anchor_files[0]");
    }

    #[test]
    fn managed_anchor_files_resolve_against_the_config_directory() {
        let spec: Spec = toml::from_str("[dnssec]\nmanaged_trust_anchor_files = [\"root.key\"]").unwrap();
        let c = spec.validate(Path::new("/etc/tern")).unwrap();
        assert_eq!(c.managed_trust_anchor_files, vec![PathBuf::from("/etc/tern/root.key")]);
        let mut spec = Spec::default();
        apply_overrides(&mut spec, &Overrides { managed_trust_anchors: vec!["x.key".into()], ..Default::default() }).unwrap();
        assert_eq!(spec.validate(Path::new(".")).unwrap().managed_trust_anchor_files.len(), 1);
    }

    #[test]
    fn forward_zone_flag_parses() {
        let mut spec = Spec::default();
        let o = Overrides { forward_zones: vec!["corp.=127.0.0.1:5300,127.0.0.2:5300".into()], ..Default::default() };
        apply_overrides(&mut spec, &o).unwrap();
        let c = spec.validate(Path::new(".")).unwrap();
        assert_eq!(c.forward_zones[0].targets.len(), 2);
    }
}
