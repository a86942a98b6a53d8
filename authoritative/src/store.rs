//! The persistent state of tern-auth in an embedded transactional store (redb) under
//! the data directory: per zone, the DNSSEC policy, the signing keys (private keys as
//! PKCS#8, never logged) and the last published SOA serial.
//!
//! The store is opened in redb's multi-writer mode, so `tern-auth zone secure` can
//! write while the server runs; the server notices the change by polling
//! [`Store::generation`] and re-signs within seconds. The file is created 0600 inside
//! a 0700 directory.
//!
//! # Limitations
//! Key timing for automated rollovers is recorded (creation time, role) but no
//! rollover is scheduled yet.

use redb::{ConcurrencyMode, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tern_shared::wire::Name;

const ZONES: TableDefinition<&str, &str> = TableDefinition::new("zones");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// File name of the store inside the data directory.
pub const STORE_FILE: &str = "tern-auth.redb";
/// How long to wait for another process's write transaction.
const OPEN_RETRY: Duration = Duration::from_secs(10);

/// Errors reading or writing the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The data directory or store file could not be created or opened.
    #[error("store {path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// redb failed.
    #[error("store {path}: {reason}")]
    Db {
        /// The store file.
        path: PathBuf,
        /// redb's message.
        reason: String,
    },
    /// A zone's state did not decode.
    #[error("store {path}: state of zone {zone} is unreadable: {reason}")]
    Corrupt {
        /// The store file.
        path: PathBuf,
        /// The zone.
        zone: String,
        /// Why.
        reason: String,
    },
}

/// How non-existence is proven in a signed zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Denial {
    /// NSEC (RFC 4034 §4).
    Nsec,
    /// NSEC3 (RFC 5155) with RFC 9276 defaults unless asked otherwise.
    Nsec3 {
        /// Additional iterations (RFC 9276 §3.1: 0).
        iterations: u16,
        /// Salt as hex, empty for none (RFC 9276 §3.1).
        salt: String,
        /// Opt-out (RFC 5155 §6); off unless asked.
        opt_out: bool,
    },
}

/// Whether and how a zone is signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// DNSSEC algorithm number of the keys.
    pub algorithm: u8,
    /// Denial of existence.
    pub denial: Denial,
    /// Publish CDS and CDNSKEY for the KSK (RFC 7344 §4).
    pub publish_cds: bool,
}

/// Role of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyRole {
    /// Key-signing key: SEP flag, signs the DNSKEY RRset, referenced by the parent's DS.
    Ksk,
    /// Zone-signing key: signs everything else.
    Zsk,
}

/// One stored key.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredKey {
    /// Role.
    pub role: KeyRole,
    /// Algorithm number.
    pub algorithm: u8,
    /// DNSKEY flags (257 for a KSK, 256 for a ZSK).
    pub flags: u16,
    /// Key tag (RFC 4034 App. B), for display.
    pub key_tag: u16,
    /// Private key, PKCS#8 DER, base64.
    pub pkcs8: String,
    /// Creation time, seconds since the epoch.
    pub created: u64,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StoredKey({:?} alg {} tag {})", self.role, self.algorithm, self.key_tag)
    }
}

/// Everything stored about one zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ZoneState {
    /// Signing policy; `None` means served as loaded (unsigned or presigned).
    pub policy: Option<Policy>,
    /// Keys.
    pub keys: Vec<StoredKey>,
    /// Last SOA serial published, for monotonic serials across restarts.
    pub last_serial: Option<u32>,
}

/// Handle on the store file.
#[derive(Debug, Clone)]
pub struct Store {
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the store in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        let io = |source| StoreError::Io { path: data_dir.to_path_buf(), source };
        std::fs::create_dir_all(data_dir).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o700));
        }
        let path = data_dir.join(STORE_FILE);
        if !path.exists() {
            let mut o = std::fs::OpenOptions::new();
            o.write(true).create(true).truncate(false);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                o.mode(0o600);
            }
            o.open(&path).map_err(|source| StoreError::Io { path: path.clone(), source })?;
        }
        let s = Store { path };
        // Create the tables so readers never see them missing.
        s.with_db(|db| {
            let tx = db.begin_write().map_err(|e| e.to_string())?;
            tx.open_table(ZONES).map_err(|e| e.to_string())?;
            tx.open_table(META).map_err(|e| e.to_string())?;
            tx.commit().map_err(|e| e.to_string())
        })?;
        Ok(s)
    }

    /// The store file path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn with_db<T>(&self, f: impl FnOnce(&redb::Database) -> Result<T, String>) -> Result<T, StoreError> {
        let start = std::time::Instant::now();
        loop {
            let opened = redb::Builder::new().set_concurrency_mode(ConcurrencyMode::MultiWriter).create(&self.path);
            match opened {
                Ok(db) => return f(&db).map_err(|reason| StoreError::Db { path: self.path.clone(), reason }),
                Err(e) if start.elapsed() < OPEN_RETRY && matches!(e, redb::DatabaseError::DatabaseAlreadyOpen) => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => return Err(StoreError::Db { path: self.path.clone(), reason: e.to_string() }),
            }
        }
    }

    /// A number that changes whenever any zone's state is written.
    pub fn generation(&self) -> Result<u64, StoreError> {
        self.with_db(|db| {
            let tx = db.begin_read().map_err(|e| e.to_string())?;
            let t = tx.open_table(META).map_err(|e| e.to_string())?;
            Ok(t.get("generation").map_err(|e| e.to_string())?.map(|v| v.value()).unwrap_or(0))
        })
    }

    /// The state of one zone (default when nothing is stored).
    pub fn zone(&self, zone: &Name) -> Result<ZoneState, StoreError> {
        let key = zone_key(zone);
        let text = self.with_db(|db| {
            let tx = db.begin_read().map_err(|e| e.to_string())?;
            let t = tx.open_table(ZONES).map_err(|e| e.to_string())?;
            Ok(t.get(key.as_str()).map_err(|e| e.to_string())?.map(|v| v.value().to_string()))
        })?;
        match text {
            None => Ok(ZoneState::default()),
            Some(t) => toml::from_str(&t).map_err(|e| StoreError::Corrupt { path: self.path.clone(), zone: key, reason: e.to_string() }),
        }
    }

    /// Reads, changes and writes one zone's state in a single write transaction.
    pub fn update_zone<T>(&self, zone: &Name, f: impl FnOnce(&mut ZoneState) -> T) -> Result<T, StoreError> {
        let key = zone_key(zone);
        let path = self.path.clone();
        self.with_db(|db| {
            let tx = db.begin_write().map_err(|e| e.to_string())?;
            let out;
            {
                let mut t = tx.open_table(ZONES).map_err(|e| e.to_string())?;
                let mut state: ZoneState = match t.get(key.as_str()).map_err(|e| e.to_string())? {
                    Some(v) => toml::from_str(v.value()).map_err(|e| format!("state of zone {key} is unreadable: {e}"))?,
                    None => ZoneState::default(),
                };
                let before = state.clone();
                out = f(&mut state);
                if state != before {
                    let text = toml::to_string(&state).map_err(|e| e.to_string())?;
                    t.insert(key.as_str(), text.as_str()).map_err(|e| e.to_string())?;
                    let mut m = tx.open_table(META).map_err(|e| e.to_string())?;
                    let g = m.get("generation").map_err(|e| e.to_string())?.map(|v| v.value()).unwrap_or(0);
                    m.insert("generation", g + 1).map_err(|e| e.to_string())?;
                }
            }
            tx.commit().map_err(|e| e.to_string())?;
            let _ = &path;
            Ok(out)
        })
    }
}

fn zone_key(zone: &Name) -> String {
    zone.to_lowercase().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_persists_and_generation_moves() {
        let dir = std::env::temp_dir().join(format!("tern-store-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = Store::open(&dir).unwrap();
        let zone: Name = "Example.COM.".parse().unwrap();
        let g0 = store.generation().unwrap();
        store
            .update_zone(&zone, |s| {
                s.policy = Some(Policy { algorithm: 13, denial: Denial::Nsec, publish_cds: false });
                s.last_serial = Some(7);
            })
            .unwrap();
        assert!(store.generation().unwrap() > g0);
        let again = Store::open(&dir).unwrap().zone(&"example.com.".parse().unwrap()).unwrap();
        assert_eq!(again.last_serial, Some(7));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
