//! Root hints: where iteration starts (RFC 1034 §5.3.3 SBELT; RFC 9609 priming).
//! The IANA root servers are built in; a hints file in zone-file syntax (NS records for
//! `.` and address records for their names, like IANA's `named.root`) replaces them.

use std::net::IpAddr;
use std::path::Path;
use tern_shared::wire::{Name, RType};

/// IANA root servers (https://www.iana.org/domains/root/servers), b.root-servers.net
/// at its 2023 addresses.
const IANA_ROOT: &[(&str, &str, &str)] = &[
    ("a.root-servers.net.", "198.41.0.4", "2001:503:ba3e::2:30"),
    ("b.root-servers.net.", "170.247.170.2", "2801:1b8:10::b"),
    ("c.root-servers.net.", "192.33.4.12", "2001:500:2::c"),
    ("d.root-servers.net.", "199.7.91.13", "2001:500:2d::d"),
    ("e.root-servers.net.", "192.203.230.10", "2001:500:a8::e"),
    ("f.root-servers.net.", "192.5.5.241", "2001:500:2f::f"),
    ("g.root-servers.net.", "192.112.36.4", "2001:500:12::d0d"),
    ("h.root-servers.net.", "198.97.190.53", "2001:500:1::53"),
    ("i.root-servers.net.", "192.36.148.17", "2001:7fe::53"),
    ("j.root-servers.net.", "192.58.128.30", "2001:503:c27::2:30"),
    ("k.root-servers.net.", "193.0.14.129", "2001:7fd::1"),
    ("l.root-servers.net.", "199.7.83.42", "2001:500:9f::42"),
    ("m.root-servers.net.", "202.12.27.33", "2001:dc3::35"),
];

/// A root server: its name and addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    /// Server name.
    pub name: Name,
    /// Its addresses.
    pub addrs: Vec<IpAddr>,
}

/// Errors reading a hints file.
#[derive(Debug, thiserror::Error)]
pub enum HintsError {
    /// The file did not parse.
    #[error("{0}")]
    File(#[from] tern_shared::zonefile::ZoneFileError),
    /// No NS record for the root with an address.
    #[error("{file}: no root NS record with an address record")]
    Empty {
        /// The file.
        file: String,
    },
}

/// The built-in IANA hints.
pub fn builtin() -> Vec<Hint> {
    IANA_ROOT
        .iter()
        .map(|(n, v4, v6)| Hint {
            name: n.parse().expect("valid built-in name"),
            addrs: vec![v4.parse().expect("v4"), v6.parse().expect("v6")],
        })
        .collect()
}

/// Reads a hints file: NS records owned by `.` name the servers; A/AAAA give addresses.
pub fn from_file(path: &Path) -> Result<Vec<Hint>, HintsError> {
    let entries = tern_shared::zonefile::parse_file(path, &Name::root(), Some(3_600_000))?;
    let mut hints: Vec<Hint> = Vec::new();
    for e in &entries {
        if e.record.rtype == RType::NS && e.record.owner.is_root() {
            if let Ok(n) = Name::from_wire(&e.record.rdata) {
                if !hints.iter().any(|h| h.name == n) {
                    hints.push(Hint { name: n, addrs: Vec::new() });
                }
            }
        }
    }
    for e in &entries {
        let addr = match (e.record.rtype, e.record.rdata.len()) {
            (RType::A, 4) => IpAddr::from(<[u8; 4]>::try_from(&e.record.rdata[..]).expect("4 octets")),
            (RType::AAAA, 16) => IpAddr::from(<[u8; 16]>::try_from(&e.record.rdata[..]).expect("16 octets")),
            _ => continue,
        };
        if let Some(h) = hints.iter_mut().find(|h| h.name == e.record.owner) {
            h.addrs.push(addr);
        }
    }
    hints.retain(|h| !h.addrs.is_empty());
    if hints.is_empty() {
        return Err(HintsError::Empty { file: path.display().to_string() });
    }
    Ok(hints)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_hints_have_thirteen_servers_with_both_families() {
        let h = builtin();
        assert_eq!(h.len(), 13);
        assert!(h.iter().all(|x| x.addrs.len() == 2));
    }

    #[test]
    fn hints_file_is_read() {
        let dir = std::env::temp_dir().join(format!("tern-hints-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("root.hints");
        std::fs::write(&f, ".  3600000 IN NS a.root-servers.test.\na.root-servers.test. 3600000 IN A 127.53.0.1\n").unwrap();
        let h = from_file(&f).unwrap();
        assert_eq!(h[0].addrs, vec!["127.53.0.1".parse::<IpAddr>().unwrap()]);
        std::fs::write(&f, "example. 300 IN A 192.0.2.1\n").unwrap();
        assert!(from_file(&f).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
