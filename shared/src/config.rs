//! Config value types shared by both daemons: durations (`"14d"`, `"1h30m"`),
//! listen addresses, worker counts and address ranges, each parsed in one place with
//! an error that names the offending key.
//!
//! The on-disk `Spec` structs of each daemon are plain serde types holding strings;
//! their `validate()` turns them into runtime values with these parsers, so a bad
//! value is refused at start-up (and by `--check-config`) with the key named.

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// A config value that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("config key `{key}`: {reason}")]
pub struct ConfigError {
    /// The key path, e.g. `zone[2].file` or `server.listen[0]`.
    pub key: String,
    /// What is wrong with it.
    pub reason: String,
}

impl ConfigError {
    /// A new error for `key`.
    pub fn new(key: impl Into<String>, reason: impl Into<String>) -> ConfigError {
        ConfigError { key: key.into(), reason: reason.into() }
    }
}

/// Reads a TOML config file into `T`; a syntax error or an unknown key is reported with
/// the key named (serde's `deny_unknown_fields` message carries it).
pub fn read_toml<T: serde::de::DeserializeOwned>(path: &std::path::Path) -> Result<T, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::new("--config", format!("cannot read {}: {e}", path.display())))?;
    toml::from_str(&text).map_err(|e| {
        let key = e.message().split('`').nth(1).unwrap_or("(file)").to_string();
        ConfigError::new(key, format!("{}: {}", path.display(), e.to_string().trim()))
    })
}

/// Parses a duration: plain seconds (`"30"`) or units `s`, `m`, `h`, `d`, `w`,
/// combinable (`"1h30m"`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty duration".into());
    }
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total: u64 = 0;
    let mut num: Option<u64> = None;
    for c in s.chars() {
        if let Some(d) = c.to_digit(10) {
            num = Some(num.unwrap_or(0).checked_mul(10).and_then(|n| n.checked_add(d as u64)).ok_or("duration too large")?);
            continue;
        }
        let mult = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            'w' => 7 * 86400,
            _ => return Err(format!("bad duration {s:?}: unknown unit {c:?} (use s, m, h, d, w)")),
        };
        let n = num.take().ok_or_else(|| format!("bad duration {s:?}: unit {c:?} without a number"))?;
        total = n.checked_mul(mult).and_then(|v| total.checked_add(v)).ok_or("duration too large")?;
    }
    if num.is_some() {
        return Err(format!("bad duration {s:?}: trailing number without a unit"));
    }
    Ok(Duration::from_secs(total))
}

/// Formats a duration in the largest exact unit (`"14d"`, `"90m"`).
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    for (unit, n) in [("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)] {
        if s != 0 && s % n == 0 {
            return format!("{}{}", s / n, unit);
        }
    }
    format!("{s}s")
}

/// Parses `ADDR:PORT` (IPv6 as `[::1]:53`).
pub fn parse_listen(s: &str) -> Result<SocketAddr, String> {
    s.parse::<SocketAddr>().map_err(|_| format!("{s:?} is not ADDR:PORT (IPv6 as [ADDR]:PORT)"))
}

/// Parses an address range `ADDR/LEN` or a single address.
pub fn parse_cidr(s: &str) -> Result<IpNet, String> {
    if let Ok(n) = s.parse::<IpNet>() {
        return Ok(n.trunc());
    }
    s.parse::<IpAddr>().map(IpNet::from).map_err(|_| format!("{s:?} is not an address or ADDR/LEN range"))
}

/// How many worker threads to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(untagged)]
pub enum Threads {
    /// One per available core.
    #[default]
    #[serde(with = "auto")]
    Auto,
    /// A fixed number.
    Fixed(usize),
}

mod auto {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("auto")
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<(), D::Error> {
        let v = String::deserialize(d)?;
        if v == "auto" {
            Ok(())
        } else {
            Err(serde::de::Error::custom(format!("expected \"auto\" or a number, got {v:?}")))
        }
    }
}

impl Threads {
    /// The number of workers this resolves to on this machine (at least 1).
    pub fn count(self) -> usize {
        match self {
            Threads::Auto => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            Threads::Fixed(n) => n.max(1),
        }
    }

    /// Parses `auto` or a positive number.
    pub fn parse(s: &str) -> Result<Threads, String> {
        if s == "auto" {
            return Ok(Threads::Auto);
        }
        match s.parse::<usize>() {
            Ok(n) if (1..=1024).contains(&n) => Ok(Threads::Fixed(n)),
            _ => Err(format!("{s:?} is not \"auto\" or a number from 1 to 1024")),
        }
    }
}

impl fmt::Display for Threads {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Threads::Auto => f.write_str("auto"),
            Threads::Fixed(n) => write!(f, "{n}"),
        }
    }
}

/// True if `ip` is inside any of `nets`.
pub fn ip_allowed(nets: &[IpNet], ip: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    };
    nets.iter().any(|n| n.contains(&ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("14d").unwrap(), Duration::from_secs(14 * 86400));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("45").unwrap(), Duration::from_secs(45));
        assert!(parse_duration("10x").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("1h5").is_err());
        assert_eq!(format_duration(Duration::from_secs(3600)), "1h");
    }

    #[test]
    fn threads_accepts_auto_or_number() {
        #[derive(Deserialize)]
        struct T {
            threads: Threads,
        }
        let t: T = toml::from_str("threads = \"auto\"").unwrap();
        assert_eq!(t.threads, Threads::Auto);
        let t: T = toml::from_str("threads = 3").unwrap();
        assert_eq!(t.threads, Threads::Fixed(3));
        assert!(toml::from_str::<T>("threads = \"many\"").is_err());
    }

    #[test]
    fn mapped_v4_clients_match_v4_ranges() {
        let nets = vec![parse_cidr("127.0.0.0/8").unwrap()];
        assert!(ip_allowed(&nets, "::ffff:127.0.0.1".parse().unwrap()));
        assert!(!ip_allowed(&nets, "10.0.0.1".parse().unwrap()));
    }
}
