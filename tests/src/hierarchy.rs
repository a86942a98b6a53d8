//! The Tern lab hierarchy: a small signed DNS tree that one tern-auth serves from one
//! address — a root, the TLD `lab.`, a secure zone, a bogus zone (its parent's DS
//! matches no key it publishes), an unsigned zone, and an internal zone
//! `corp.internal.` that is not delegated from the root and is reached by forwarding.
//! `tern-lab` runs it for newcomers; whole-binary tests use the same tree.
//!
//! Keys are made with tern-auth's own key code and stored in its data directory, so
//! tern-auth signs the zones itself when it loads them ("flick the switch").

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use tern_auth::signer::keys;
use tern_auth::store::{Denial, KeyRole, Policy, Store};
use tern_shared::wire::Name;

/// Files making up a built hierarchy.
#[derive(Debug, Clone)]
pub struct Hierarchy {
    /// Where everything lives.
    pub dir: PathBuf,
    /// tern-auth config serving every zone.
    pub auth_config: PathBuf,
    /// tern-auth data directory (keys).
    pub auth_data: PathBuf,
    /// Root hints naming the lab root server.
    pub root_hints: PathBuf,
    /// DS of the lab root (the resolver's trust anchor).
    pub root_anchor: PathBuf,
    /// DS of `corp.internal.` (anchor for the forwarded internal zone).
    pub internal_anchor: PathBuf,
}

/// Errors building the hierarchy.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// File system.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Key store.
    #[error("{0}")]
    Store(#[from] tern_auth::store::StoreError),
    /// Key generation.
    #[error("{0}")]
    Key(#[from] tern_shared::dnssec::KeyError),
    /// Key loading.
    #[error("{0}")]
    KeyLoad(#[from] keys::KeyLoadError),
}

/// The zones: (apex, signing, body after the SOA/NS header). `{ip}` is the server address.
const ZONES: &[(&str, Option<Denial>, &str)] = &[
    (
        "secure.lab.",
        Some(Denial::Nsec),
        "www A 192.0.2.1\nwww AAAA 2001:db8::1\ntxt TXT \"Tern lab: a secure zone\"\n*.wild A 192.0.2.42\n",
    ),
    ("bogus.lab.", Some(Denial::Nsec), "www A 192.0.2.66\n"),
    ("plain.lab.", None, "www A 192.0.2.80\n"),
    (
        "corp.internal.",
        Some(Denial::Nsec3 { iterations: 0, salt: String::new(), opt_out: false }),
        "www A 10.0.0.10\nmail A 10.0.0.25\n@ MX 10 mail\n",
    ),
];

fn header(apex: &str) -> String {
    format!("$ORIGIN {apex}\n$TTL 3600\n@ SOA ns.lab. hostmaster.lab. 1 3600 900 604800 300\n@ NS ns.lab.\n")
}

/// Builds the hierarchy under `dir` for a tern-auth reachable at `ip`.
pub fn build(dir: &Path, ip: IpAddr) -> Result<Hierarchy, BuildError> {
    std::fs::create_dir_all(dir.join("zones"))?;
    let auth_data = dir.join("auth-data");
    let store = Store::open(&auth_data)?;
    let now = tern_auth::publish::now_secs();
    let mut ds_lines: Vec<(String, String)> = Vec::new();
    let secure = |apex: &str, denial: Denial| -> Result<String, BuildError> {
        let name: Name = apex.parse().expect("valid apex");
        let ksk = keys::generate(KeyRole::Ksk, 13, now)?;
        let zsk = keys::generate(KeyRole::Zsk, 13, now)?;
        let stored = vec![ksk, zsk];
        store.update_zone(&name, |s| {
            s.keys = stored.clone();
            s.policy = Some(Policy { algorithm: 13, denial: denial.clone(), publish_cds: false });
        })?;
        let ds = keys::ds_records(&name, &stored, 3600)?;
        Ok(ds.iter().map(|r| format!("{r}\n")).collect())
    };
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for (apex, denial, body) in ZONES {
        if let Some(d) = denial {
            let ds = secure(apex, d.clone())?;
            ds_lines.push((apex.to_string(), ds));
        }
        let file = dir.join("zones").join(format!("{}zone", apex));
        std::fs::write(&file, format!("{}{}", header(apex), body))?;
        files.push((apex.to_string(), file));
    }
    // bogus.lab.: the parent publishes the DS of a key the zone never uses.
    let stray = keys::generate(KeyRole::Ksk, 13, now)?;
    let stray_ds: String =
        keys::ds_records(&"bogus.lab.".parse().expect("name"), &[stray], 3600)?.iter().map(|r| format!("{r}\n")).collect();
    let ds_of = |apex: &str| ds_lines.iter().find(|(a, _)| a == apex).map(|(_, d)| d.clone()).unwrap_or_default();
    let lab_body = format!("ns A {ip}\nsecure NS ns.lab.\n{}bogus NS ns.lab.\n{}plain NS ns.lab.\n", ds_of("secure.lab."), stray_ds);
    let lab_ds = secure("lab.", Denial::Nsec3 { iterations: 0, salt: String::new(), opt_out: false })?;
    let lab_file = dir.join("zones").join("lab.zone");
    std::fs::write(&lab_file, format!("{}{}", header("lab."), lab_body))?;
    files.push(("lab.".into(), lab_file));
    let root_body = format!("lab. NS ns.lab.\n{lab_ds}ns.lab. A {ip}\n");
    let root_ds = secure(".", Denial::Nsec)?;
    let root_file = dir.join("zones").join("root.zone");
    std::fs::write(&root_file, format!("{}{}", header("."), root_body))?;
    files.push((".".into(), root_file));

    let mut cfg = format!("[server]\ndata_dir = \"{}\"\n\n", auth_data.display());
    for (apex, file) in &files {
        cfg.push_str(&format!("[[zone]]\nname = \"{apex}\"\nfile = \"{}\"\n\n", file.display()));
    }
    let auth_config = dir.join("tern-auth.toml");
    std::fs::write(&auth_config, cfg)?;
    let root_hints = dir.join("root.hints");
    std::fs::write(&root_hints, format!(". 3600000 IN NS ns.lab.\nns.lab. 3600000 IN A {ip}\n"))?;
    let root_anchor = dir.join("root.ds");
    std::fs::write(&root_anchor, root_ds)?;
    let internal_anchor = dir.join("corp.internal.ds");
    std::fs::write(&internal_anchor, ds_of("corp.internal."))?;
    Ok(Hierarchy { dir: dir.to_path_buf(), auth_config, auth_data, root_hints, root_anchor, internal_anchor })
}
