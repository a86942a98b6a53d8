//! Publishing: from configured zone files and stored DNSSEC state to the snapshots the
//! server answers from. Loads each zone (a broken zone is reported as `file:line:
//! reason` and, on reload, keeps serving its previous version while the others load),
//! signs zones that have a policy in the store, keeps SOA serials increasing across
//! restarts (RFC 1982), and re-signs before signatures get old.

use crate::config::{Config, ZoneConfig};
use crate::signer::{is_signer_owned, keys::ZoneKeys, sign_zone, SignError};
use crate::store::{Store, StoreError, ZoneState};
use crate::zone::set::ZoneSet;
use crate::zone::{Origin, Zone, ZoneError};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;
use tern_shared::dnssec::serial_cmp;
use tern_shared::wire::Name;
use tern_shared::zonefile::{self, ZoneFileError};

/// Why one zone could not be published.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The master file did not parse.
    #[error("{0}")]
    File(#[from] ZoneFileError),
    /// The records broke zone rules.
    #[error("{}", join(.0))]
    Zone(Vec<ZoneError>),
    /// The store could not be read or written.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// Signing failed.
    #[error("{0}")]
    Sign(#[from] SignError),
}

fn join(errs: &[ZoneError]) -> String {
    errs.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")
}

/// Seconds since the epoch now.
pub fn now_secs() -> u64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The serial to publish: the file's if it is ahead of the last published (RFC 1982
/// comparison), else the last one plus one, so secondaries and caches always see an
/// increase.
pub fn next_serial(file_serial: u32, last: Option<u32>) -> u32 {
    match last {
        None => file_serial,
        Some(last) if serial_cmp(file_serial, last) == Some(std::cmp::Ordering::Greater) => file_serial,
        Some(last) => last.wrapping_add(1),
    }
}

/// Per-zone publishing state.
struct Slot {
    zone: Option<Arc<Zone>>,
    /// Signature expiration of the current snapshot, when signed online.
    expiration: Option<u64>,
    /// Policy and keys the current snapshot was signed with.
    signed_with: Option<ZoneState>,
}

/// Turns configuration and stored state into a [`ZoneSet`].
pub struct Publisher {
    cfg: Arc<Config>,
    store: Store,
    slots: HashMap<Name, Slot>,
    store_generation: u64,
}

impl fmt::Debug for Publisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Publisher").field("zones", &self.slots.len()).finish()
    }
}

impl Publisher {
    /// A publisher for the configured zones.
    pub fn new(cfg: Arc<Config>, store: Store) -> Publisher {
        Publisher { cfg, store, slots: HashMap::new(), store_generation: 0 }
    }

    /// Replaces the configuration (on reload): zones no longer listed stop being served
    /// at the next [`load_all`](Self::load_all).
    pub fn set_config(&mut self, cfg: Arc<Config>) {
        self.cfg = cfg;
    }

    /// The configuration in use.
    pub fn config(&self) -> &Arc<Config> {
        &self.cfg
    }

    /// (Re)loads every zone from its file. Returns the new set and the errors, one
    /// per failed zone; a failed zone keeps its previous snapshot if it had one.
    pub fn load_all(&mut self) -> (ZoneSet, Vec<(Name, LoadError)>) {
        self.store_generation = self.store.generation().unwrap_or(0);
        let configured: Vec<Name> = self.cfg.zones.iter().map(|z| z.name.clone()).collect();
        self.slots.retain(|name, _| configured.contains(name));
        let mut errors = Vec::new();
        let zones = self.cfg.zones.clone();
        for zc in &zones {
            if let Err(e) = self.load_one(zc) {
                metrics::counter!(crate::metrics::ZONE_LOAD_FAILURES, "zone" => zc.name.to_string()).increment(1);
                errors.push((zc.name.clone(), e));
            }
        }
        (self.set(), errors)
    }

    fn load_one(&mut self, zc: &ZoneConfig) -> Result<(), LoadError> {
        let state = self.store.zone(&zc.name)?;
        let (zone, expiration) = self.build(zc, &state)?;
        metrics::gauge!(crate::metrics::ZONE_SERIAL, "zone" => zc.name.to_string()).set(zone.serial as f64);
        let signed_with = state.policy.is_some().then_some(state);
        self.slots.insert(zc.name.clone(), Slot { zone: Some(Arc::new(zone)), expiration, signed_with });
        Ok(())
    }

    /// Parses, checks and (with a policy) signs one zone.
    fn build(&self, zc: &ZoneConfig, state: &ZoneState) -> Result<(Zone, Option<u64>), LoadError> {
        let file: Arc<str> = zc.file.display().to_string().into();
        let entries = zonefile::parse_file(&zc.file, &zc.name, None)?;
        let online = state.policy.is_some();
        let records = entries
            .into_iter()
            .filter(|e| !(online && is_signer_owned(e.record.rtype)))
            .map(|e| (e.record, Origin { file: e.file, line: e.line }))
            .collect();
        let mut zone = Zone::build(zc.name.clone(), file, records).map_err(LoadError::Zone)?;
        zone.transfer_acl = zc.allow_transfer.clone();
        let Some(policy) = &state.policy else {
            // Remember what was published, so that signing later (or after a restart)
            // continues from a higher serial.
            if state.last_serial.is_none_or(|last| serial_cmp(zone.serial, last) == Some(std::cmp::Ordering::Greater)) {
                let serial = zone.serial;
                self.store.update_zone(&zc.name, |s| s.last_serial = Some(serial))?;
            }
            return Ok((zone, None));
        };
        let keys = ZoneKeys::from_stored(&state.keys).map_err(|source| SignError::KeyLoad { zone: zc.name.clone(), source })?;
        let now = now_secs();
        let serial = next_serial(zone.serial, state.last_serial);
        let report = sign_zone(&mut zone, policy, &keys, self.cfg.signing, now, serial)?;
        self.store.update_zone(&zc.name, |s| s.last_serial = Some(serial))?;
        tracing::info!(zone = %zc.name, serial, signatures = report.signatures, "zone signed");
        Ok((zone, Some(report.expiration)))
    }

    /// The current set of snapshots.
    pub fn set(&self) -> ZoneSet {
        let set = ZoneSet::new(self.slots.values().filter_map(|s| s.zone.clone()));
        metrics::gauge!(crate::metrics::ZONES_LOADED).set(set.len() as f64);
        set
    }

    /// Periodic work: picks up `zone secure` done by another process (store changes)
    /// and re-signs zones whose signatures come within `refresh_before` of expiring.
    /// Returns a new set when anything changed.
    pub fn tick(&mut self, now: u64) -> Option<ZoneSet> {
        let mut changed = false;
        let generation = self.store.generation().unwrap_or(self.store_generation);
        let store_moved = generation != self.store_generation;
        self.store_generation = generation;
        let refresh = self.cfg.signing.refresh_before.as_secs();
        let zones = self.cfg.zones.clone();
        for zc in &zones {
            let slot = self.slots.get(&zc.name);
            let due = slot.and_then(|s| s.expiration).is_some_and(|exp| now + refresh >= exp);
            let mut policy_changed = false;
            if store_moved {
                if let Ok(state) = self.store.zone(&zc.name) {
                    let current = slot.and_then(|s| s.signed_with.as_ref());
                    // Our own serial bookkeeping also moves the store: compare the rest.
                    policy_changed = match (current, state.policy.is_some()) {
                        (None, false) => false,
                        (None, true) => true,
                        (Some(c), _) => c.policy != state.policy || c.keys != state.keys,
                    };
                }
            }
            if due || policy_changed {
                match self.load_one(zc) {
                    Ok(()) => {
                        changed = true;
                        tracing::info!(zone = %zc.name, reason = if due { "signatures ageing" } else { "DNSSEC state changed" }, "zone re-published");
                    }
                    Err(e) => tracing::error!(zone = %zc.name, "re-publishing failed, serving the previous version:\n{e}"),
                }
            }
        }
        changed.then(|| self.set())
    }

    /// Seconds until the earliest signature expiry, per zone (for metrics).
    pub fn expirations(&self) -> Vec<(Name, u64)> {
        self.slots.iter().filter_map(|(n, s)| s.expiration.map(|e| (n.clone(), e))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_increases_across_publications() {
        assert_eq!(next_serial(5, None), 5);
        assert_eq!(next_serial(5, Some(9)), 10);
        assert_eq!(next_serial(12, Some(9)), 12);
        assert_eq!(next_serial(1, Some(u32::MAX)), 1, "RFC 1982 wrap: 1 follows 2^32-1");
    }
}
