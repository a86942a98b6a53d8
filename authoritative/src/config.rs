//! tern-auth configuration: the on-disk [`Spec`] (TOML, every key optional, unknown
//! keys refused) and the validated runtime [`Config`]. Precedence: built-in defaults <
//! file < command line. `validate` is the only place values are checked, and
//! `--check-config` runs exactly it.

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tern_shared::config::{parse_cidr, parse_duration, parse_listen, ConfigError, Threads};
use tern_shared::wire::Name;

/// Default listen address when nothing is configured: loopback, unprivileged.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:5300";
/// RFC 9715 / DNS Flag Day 2020: 1232 octets avoids IP fragmentation.
pub const DEFAULT_UDP_PAYLOAD: u16 = 1232;
/// RFC 7766 §6.2.3: idle TCP connections are closed after a few seconds.
pub const DEFAULT_TCP_IDLE: &str = "10s";
/// Default RRSIG validity period.
pub const DEFAULT_SIG_VALIDITY: &str = "14d";
/// Default backdating of RRSIG inception, for clients with slow clocks.
pub const DEFAULT_SIG_INCEPTION_OFFSET: &str = "1h";

/// The config file as written by the operator.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Spec {
    /// Server options.
    pub server: ServerSpec,
    /// DNSSEC signing options.
    pub dnssec: DnssecSpec,
    /// Hosted zones.
    pub zone: Vec<ZoneSpec>,
}

/// `[server]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSpec {
    /// UDP and TCP listen addresses, `ADDR:PORT`.
    pub listen: Vec<String>,
    /// Worker threads: `"auto"` (one per core) or a number.
    pub threads: Threads,
    /// Directory for keys and state.
    pub data_dir: Option<String>,
    /// Largest UDP response sent (RFC 6891 §6.2.5), 512-4096.
    pub udp_payload: u16,
    /// TCP idle timeout.
    pub tcp_idle_timeout: String,
    /// Most simultaneous TCP connections.
    pub tcp_max_connections: usize,
    /// Address ranges allowed to AXFR every zone (each zone can add its own).
    pub allow_transfer: Vec<String>,
    /// Prometheus metrics listen address (`ADDR:PORT`), off when unset.
    pub metrics: Option<String>,
    /// Control endpoint listen address (`ADDR:PORT`, loopback recommended).
    pub control: Option<String>,
    /// API key the control endpoint requires in `X-API-Key` (none: loopback clients only).
    pub control_api_key: Option<String>,
}

impl Default for ServerSpec {
    fn default() -> Self {
        ServerSpec {
            listen: Vec::new(),
            threads: Threads::Auto,
            data_dir: None,
            udp_payload: DEFAULT_UDP_PAYLOAD,
            tcp_idle_timeout: DEFAULT_TCP_IDLE.into(),
            tcp_max_connections: 1024,
            allow_transfer: Vec::new(),
            metrics: None,
            control: None,
            control_api_key: None,
        }
    }
}

/// `[dnssec]`: how zones secured with `tern-auth zone secure` are signed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DnssecSpec {
    /// RRSIG validity period.
    pub signature_validity: String,
    /// How far back RRSIG inception is set.
    pub inception_offset: String,
    /// Re-sign when less than this validity remains (default: a quarter of the validity).
    pub refresh_before: Option<String>,
}

impl Default for DnssecSpec {
    fn default() -> Self {
        DnssecSpec {
            signature_validity: DEFAULT_SIG_VALIDITY.into(),
            inception_offset: DEFAULT_SIG_INCEPTION_OFFSET.into(),
            refresh_before: None,
        }
    }
}

/// `[[zone]]`: one hosted zone.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ZoneSpec {
    /// The apex, e.g. `example.com.`.
    pub name: String,
    /// Master file path (relative paths are relative to the config file).
    pub file: String,
    /// Extra address ranges allowed to AXFR this zone.
    #[serde(default)]
    pub allow_transfer: Vec<String>,
}

/// Validated runtime configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen addresses.
    pub listen: Vec<SocketAddr>,
    /// Worker threads.
    pub threads: usize,
    /// Data directory (keys, state).
    pub data_dir: PathBuf,
    /// Largest UDP response.
    pub udp_payload: u16,
    /// TCP idle timeout.
    pub tcp_idle_timeout: Duration,
    /// TCP connection cap.
    pub tcp_max_connections: usize,
    /// Global AXFR allow list.
    pub allow_transfer: Vec<IpNet>,
    /// Metrics listen address.
    pub metrics: Option<SocketAddr>,
    /// Control listen address.
    pub control: Option<SocketAddr>,
    /// Control API key.
    pub control_api_key: Option<String>,
    /// Signing timings.
    pub signing: SigningTimes,
    /// Zones.
    pub zones: Vec<ZoneConfig>,
    /// True if no listen address was configured and the default was taken.
    pub default_listen: bool,
}

/// RRSIG timing (RFC 4034 §3.1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigningTimes {
    /// Validity period.
    pub validity: Duration,
    /// Inception backdating.
    pub inception_offset: Duration,
    /// Re-sign when less than this remains.
    pub refresh_before: Duration,
}

impl Default for SigningTimes {
    fn default() -> Self {
        SigningTimes {
            validity: Duration::from_secs(14 * 86400),
            inception_offset: Duration::from_secs(3600),
            refresh_before: Duration::from_secs(14 * 86400 / 4),
        }
    }
}

/// One validated zone entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneConfig {
    /// Apex.
    pub name: Name,
    /// Master file.
    pub file: PathBuf,
    /// Extra AXFR allow list.
    pub allow_transfer: Vec<IpNet>,
}

/// Command-line overrides (each replaces or extends the file's value).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--listen` (replaces `server.listen`).
    pub listen: Vec<String>,
    /// `--zone NAME=FILE` (added to the zones).
    pub zones: Vec<String>,
    /// `--data-dir`.
    pub data_dir: Option<String>,
    /// `--allow-transfer` (added to `server.allow_transfer`).
    pub allow_transfer: Vec<String>,
    /// `--threads`.
    pub threads: Option<String>,
    /// `--metrics`.
    pub metrics: Option<String>,
    /// `--control`.
    pub control: Option<String>,
}

/// Reads a TOML config file into a [`Spec`].
pub fn read_spec(path: &Path) -> Result<Spec, ConfigError> {
    tern_shared::config::read_toml(path)
}

/// Applies command-line overrides to a spec.
pub fn apply_overrides(spec: &mut Spec, o: &Overrides) -> Result<(), ConfigError> {
    if !o.listen.is_empty() {
        spec.server.listen = o.listen.clone();
    }
    for (i, z) in o.zones.iter().enumerate() {
        let (name, file) = z.split_once('=').ok_or_else(|| ConfigError::new(format!("--zone[{i}]"), format!("{z:?} is not NAME=FILE")))?;
        spec.zone.push(ZoneSpec { name: name.into(), file: file.into(), allow_transfer: Vec::new() });
    }
    if let Some(d) = &o.data_dir {
        spec.server.data_dir = Some(d.clone());
    }
    spec.server.allow_transfer.extend(o.allow_transfer.iter().cloned());
    if let Some(t) = &o.threads {
        spec.server.threads = Threads::parse(t).map_err(|r| ConfigError::new("--threads", r))?;
    }
    if let Some(m) = &o.metrics {
        spec.server.metrics = Some(m.clone());
    }
    if let Some(c) = &o.control {
        spec.server.control = Some(c.clone());
    }
    Ok(())
}

/// The default data directory: `$XDG_STATE_HOME/tern-auth`, else `~/.local/state/tern-auth`,
/// else `./tern-auth-data`.
pub fn default_data_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_STATE_HOME") {
        return PathBuf::from(x).join("tern-auth");
    }
    if let Some(h) = std::env::var_os("HOME") {
        return PathBuf::from(h).join(".local/state/tern-auth");
    }
    PathBuf::from("tern-auth-data")
}

impl Spec {
    /// Checks every value and builds the runtime config. `base` is the directory that
    /// relative zone paths are taken from (the config file's directory).
    pub fn validate(&self, base: &Path) -> Result<Config, ConfigError> {
        let s = &self.server;
        let default_listen = s.listen.is_empty();
        let listen_src: Vec<String> = if default_listen { vec![DEFAULT_LISTEN.into()] } else { s.listen.clone() };
        let listen = listen_src
            .iter()
            .enumerate()
            .map(|(i, a)| parse_listen(a).map_err(|r| ConfigError::new(format!("server.listen[{i}]"), r)))
            .collect::<Result<Vec<_>, _>>()?;
        if !(512..=4096).contains(&s.udp_payload) {
            return Err(ConfigError::new("server.udp_payload", format!("{} is outside 512-4096", s.udp_payload)));
        }
        let tcp_idle_timeout = parse_duration(&s.tcp_idle_timeout).map_err(|r| ConfigError::new("server.tcp_idle_timeout", r))?;
        if tcp_idle_timeout.is_zero() {
            return Err(ConfigError::new("server.tcp_idle_timeout", "must be more than 0"));
        }
        if s.tcp_max_connections == 0 {
            return Err(ConfigError::new("server.tcp_max_connections", "must be at least 1"));
        }
        let allow_transfer = parse_nets(&s.allow_transfer, "server.allow_transfer")?;
        let metrics = s.metrics.as_deref().map(|m| parse_listen(m).map_err(|r| ConfigError::new("server.metrics", r))).transpose()?;
        let control = s.control.as_deref().map(|m| parse_listen(m).map_err(|r| ConfigError::new("server.control", r))).transpose()?;
        if let Threads::Fixed(0) = s.threads {
            return Err(ConfigError::new("server.threads", "must be \"auto\" or at least 1"));
        }
        let d = &self.dnssec;
        let validity = parse_duration(&d.signature_validity).map_err(|r| ConfigError::new("dnssec.signature_validity", r))?;
        let inception_offset = parse_duration(&d.inception_offset).map_err(|r| ConfigError::new("dnssec.inception_offset", r))?;
        if validity < Duration::from_secs(60) {
            return Err(ConfigError::new("dnssec.signature_validity", "must be at least 60s"));
        }
        let refresh_before = match &d.refresh_before {
            Some(r) => parse_duration(r).map_err(|r| ConfigError::new("dnssec.refresh_before", r))?,
            None => validity / 4,
        };
        if refresh_before >= validity || refresh_before.is_zero() {
            return Err(ConfigError::new("dnssec.refresh_before", "must be more than 0 and less than dnssec.signature_validity"));
        }
        let mut zones: Vec<ZoneConfig> = Vec::new();
        for (i, z) in self.zone.iter().enumerate() {
            let key = format!("zone[{i}]");
            let name: Name = Name::parse(&z.name, Some(&Name::root()))
                .map_err(|e| ConfigError::new(format!("{key}.name"), format!("{:?}: {e}", z.name)))?;
            if zones.iter().any(|other| other.name == name) {
                return Err(ConfigError::new(format!("{key}.name"), format!("zone {name} is listed twice")));
            }
            if z.file.is_empty() {
                return Err(ConfigError::new(format!("{key}.file"), "empty path"));
            }
            let file = base.join(&z.file);
            let allow_transfer = parse_nets(&z.allow_transfer, &format!("{key}.allow_transfer"))?;
            zones.push(ZoneConfig { name, file, allow_transfer });
        }
        Ok(Config {
            listen,
            threads: s.threads.count(),
            data_dir: s.data_dir.as_ref().map(PathBuf::from).unwrap_or_else(default_data_dir),
            udp_payload: s.udp_payload,
            tcp_idle_timeout,
            tcp_max_connections: s.tcp_max_connections,
            allow_transfer,
            metrics,
            control,
            control_api_key: s.control_api_key.clone(),
            signing: SigningTimes { validity, inception_offset, refresh_before },
            zones,
            default_listen,
        })
    }
}

fn parse_nets(v: &[String], key: &str) -> Result<Vec<IpNet>, ConfigError> {
    v.iter().enumerate().map(|(i, s)| parse_cidr(s).map_err(|r| ConfigError::new(format!("{key}[{i}]"), r))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_gets_loopback_defaults() {
        let c = Spec::default().validate(Path::new(".")).unwrap();
        assert_eq!(c.listen, vec!["127.0.0.1:5300".parse().unwrap()]);
        assert!(c.default_listen);
        assert_eq!(c.udp_payload, 1232);
        assert!(c.zones.is_empty());
    }

    #[test]
    fn bad_values_name_their_key() {
        let spec: Spec = toml::from_str("[server]\nlisten = [\"nowhere\"]").unwrap();
        assert_eq!(spec.validate(Path::new(".")).unwrap_err().key, "server.listen[0]");
        let spec: Spec = toml::from_str("[[zone]]\nname = \"a..b\"\nfile = \"x\"").unwrap();
        assert_eq!(spec.validate(Path::new(".")).unwrap_err().key, "zone[0].name");
        let spec: Spec = toml::from_str("[dnssec]\nsignature_validity = \"2x\"").unwrap();
        assert_eq!(spec.validate(Path::new(".")).unwrap_err().key, "dnssec.signature_validity");
        let err = toml::from_str::<Spec>("[server]\nlisen = []").unwrap_err();
        assert!(err.to_string().contains("lisen"), "{err}");
    }

    #[test]
    fn overrides_replace_listen_and_add_zones() {
        let mut spec = Spec::default();
        let o = Overrides { listen: vec!["127.0.0.2:53".into()], zones: vec!["example.=/z".into()], ..Default::default() };
        apply_overrides(&mut spec, &o).unwrap();
        let c = spec.validate(Path::new("/etc")).unwrap();
        assert_eq!(c.listen[0].port(), 53);
        assert_eq!(c.zones[0].file, PathBuf::from("/z"));
    }
}
