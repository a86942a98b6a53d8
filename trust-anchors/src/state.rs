//! Persisted state: the RFC 5011 trust points ([`RolloverState`], a set of
//! [`ManagedZone`]s) and the negative trust anchors ([`NtaSet`]), each as a small TOML
//! file that people can read, written atomically.
//!
//! RFC 5011 §2.4.1 hold-downs last 30 days, far longer than a resolver process, so the
//! state must survive restarts: the resolver saves after every observation that changed
//! something and loads the file at start. Writes go to a temporary file in the same
//! directory, are fsynced, then renamed over the old file (and the directory fsynced), so
//! a crash leaves the old file or the new one, never half of one. [`RolloverState::save`]
//! and [`NtaSet::save`] take `&self`: when they fail, the caller reports the error and the
//! in-memory state is untouched, still the last good one, to be saved again later.
//!
//! Keys are written in presentation format (`257 3 8 AwEAA...`), with their key tag and
//! state by name, so an operator can see where a rollover stands.
//!
//! # Limitations
//! - One writer per file: two resolvers sharing a state file overwrite each other.
//! - A trust point kept in the state file wins over the configured anchors for that name
//!   ([`RolloverState::sync_with`]), as in BIND's managed-keys database: to start over
//!   from the configuration (e.g. after RFC 5011 §5 deleted the trust point), stop the
//!   resolver and remove the file.
//! - Times above `i64::MAX` seconds cannot be written (TOML integers are 64-bit signed).

use crate::anchor::{AnchorSource, TrustAnchors};
use crate::negative::NtaSet;
use crate::rollover::{InitialDs, KeyState, ManagedZone, TrackedKey};
use data_encoding::BASE64;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use tern_shared::dnssec::key_tag;
use tern_shared::wire::rdata::rdata_to_string;
use tern_shared::wire::{Name, NameError, RType};
use tern_shared::zonefile;

/// The state file format version this code writes and reads.
pub const STATE_VERSION: u32 = 1;

/// A state file that cannot be read or written. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Reading failed.
    #[error("{path}: cannot read state file: {error}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        error: io::Error,
    },
    /// Writing failed; the old file, if any, is intact.
    #[error("{path}: cannot write state file: {error}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        error: io::Error,
    },
    /// Not valid TOML for this format (the message names line and column).
    #[error("{path}: {error}")]
    Parse {
        /// The file.
        path: String,
        /// Why.
        error: toml::de::Error,
    },
    /// The state could not be turned into TOML.
    #[error("{path}: cannot serialise state: {error}")]
    Serialize {
        /// The file.
        path: String,
        /// Why.
        error: toml::ser::Error,
    },
    /// Written by another version.
    #[error("{path}: state file version {found} is not supported (this resolver reads version {STATE_VERSION})")]
    Version {
        /// The file.
        path: String,
        /// The version found.
        found: u32,
    },
    /// A bad domain name.
    #[error("{path}: bad name \"{text}\": {error}")]
    Name {
        /// The file.
        path: String,
        /// As written.
        text: String,
        /// Why.
        error: NameError,
    },
    /// A DS or DNSKEY that does not parse.
    #[error("{path}: bad {rtype} \"{text}\": {error}")]
    Record {
        /// The file.
        path: String,
        /// DS or DNSKEY.
        rtype: RType,
        /// As written.
        text: String,
        /// Why.
        error: zonefile::ErrorKind,
    },
    /// An unknown key state name.
    #[error("{path}: unknown key state \"{text}\" (expected start, add-pending, valid, missing, revoked or removed)")]
    KeyState {
        /// The file.
        path: String,
        /// As written.
        text: String,
    },
    /// A witness that is not base64.
    #[error("{path}: witness \"{text}\" is not base64")]
    Witness {
        /// The file.
        path: String,
        /// As written.
        text: String,
    },
    /// The same trust point twice.
    #[error("{path}: trust point {name} appears twice")]
    DuplicateZone {
        /// The file.
        path: String,
        /// The name.
        name: Name,
    },
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Replaces `path` with `data` atomically: a temporary file in the same directory is
/// written, fsynced and renamed over `path`, then the directory is fsynced. On error the
/// temporary file is removed and `path` is as it was.
pub fn write_atomic(path: &Path, data: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"))?;
    let tmp = dir.join(format!(".{}.tmp.{}.{}", name.to_string_lossy(), std::process::id(), TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)));
    let result = (|| {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        // Make the rename itself durable; not every platform lets a directory be opened.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

// ---- on-disk layout -------------------------------------------------------------------

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RolloverFile {
    version: u32,
    #[serde(default, rename = "zone")]
    zones: Vec<ZoneSpec>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ZoneSpec {
    name: String,
    #[serde(default)]
    deleted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_success: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next_probe: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_ttl: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_expire_interval: Option<u64>,
    #[serde(default, rename = "initial_ds", skip_serializing_if = "Vec::is_empty")]
    initial_ds: Vec<DsSpec>,
    #[serde(default, rename = "key", skip_serializing_if = "Vec::is_empty")]
    keys: Vec<KeySpec>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DsSpec {
    ds: String,
    source: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeySpec {
    /// Informational only: ignored when read (the tag is computed from `dnskey`).
    #[serde(default)]
    key_tag: u16,
    state: String,
    since: u64,
    last_seen: u64,
    source: String,
    dnskey: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    witnesses: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NtaFile {
    version: u32,
    #[serde(default)]
    nta: Vec<NtaSpec>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NtaSpec {
    name: String,
    expires: u64,
}

const ROLLOVER_HEADER: &str = "# Tern RFC 5011 trust-anchor state, written by tern-resolver.\n\
# Edit only while the resolver is stopped; delete it to start again from the configured anchors.\n\n";
const NTA_HEADER: &str = "# Tern negative trust anchors (RFC 7646), written by tern-resolver.\n\n";

fn label(path: &Path) -> String {
    path.display().to_string()
}

fn read(path: &Path) -> Result<String, StateError> {
    fs::read_to_string(path).map_err(|error| StateError::Read { path: label(path), error })
}

fn parse_name(path: &str, text: &str) -> Result<Name, StateError> {
    text.parse::<Name>().map_err(|error| StateError::Name { path: path.into(), text: text.into(), error })
}

fn parse_record(path: &str, rtype: RType, text: &str) -> Result<Box<[u8]>, StateError> {
    zonefile::parse_rdata(rtype, text, &Name::root()).map(Vec::into_boxed_slice).map_err(|error| StateError::Record {
        path: path.into(),
        rtype,
        text: text.chars().take(80).collect(),
        error,
    })
}

/// The RFC 5011 trust points, as persisted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RolloverState {
    zones: BTreeMap<Name, ManagedZone>,
}

/// What [`RolloverState::sync_with`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Managed trust points newly configured: started from their configured anchors.
    pub added: Vec<Name>,
    /// Trust points in the state but no longer configured as managed: dropped.
    pub dropped: Vec<Name>,
    /// Trust points in both: the state was kept.
    pub kept: Vec<Name>,
}

impl RolloverState {
    /// No trust points.
    pub fn new() -> RolloverState {
        RolloverState::default()
    }

    /// One trust point per name that has `managed` anchors, started from them.
    pub fn from_anchors(anchors: &TrustAnchors, now: u64) -> RolloverState {
        let mut s = RolloverState::new();
        s.sync_with(anchors, now);
        s
    }

    /// Brings the state in line with the configured anchors: names with managed anchors
    /// but no state start from those anchors; state for names no longer configured as
    /// managed is dropped; state for names in both is kept as is (it wins over the
    /// configuration, see the module documentation).
    pub fn sync_with(&mut self, anchors: &TrustAnchors, now: u64) -> SyncReport {
        let mut report = SyncReport::default();
        let mut configured = Vec::new();
        for name in anchors.zones() {
            let managed: Vec<_> = anchors.zone(name).unwrap_or_default().iter().filter(|a| a.managed).cloned().collect();
            if managed.is_empty() {
                continue;
            }
            configured.push(name.clone());
            if self.zones.contains_key(name) {
                report.kept.push(name.clone());
            } else {
                self.zones.insert(name.clone(), ManagedZone::new(name.clone(), &managed, now));
                report.added.push(name.clone());
            }
        }
        let gone: Vec<Name> = self.zones.keys().filter(|n| !configured.contains(n)).cloned().collect();
        for n in gone {
            self.zones.remove(&n);
            report.dropped.push(n);
        }
        report
    }

    /// Replaces the managed anchors in `anchors` with what the state trusts now (static
    /// anchors at the same names are kept). Call after loading and after each observation.
    pub fn apply_to(&self, anchors: &mut TrustAnchors) {
        for (name, zone) in &self.zones {
            let mut list: Vec<_> = anchors.zone(name).unwrap_or_default().iter().filter(|a| !a.managed).cloned().collect();
            list.extend(zone.anchors());
            anchors.replace_zone(name, list);
        }
    }

    /// The trust point at `name`.
    pub fn zone(&self, name: &Name) -> Option<&ManagedZone> {
        self.zones.get(name)
    }

    /// The trust point at `name`, to [`observe`](ManagedZone::observe) with.
    pub fn zone_mut(&mut self, name: &Name) -> Option<&mut ManagedZone> {
        self.zones.get_mut(name)
    }

    /// Adds or replaces a trust point.
    pub fn insert(&mut self, zone: ManagedZone) {
        self.zones.insert(zone.owner().clone(), zone);
    }

    /// Removes a trust point.
    pub fn remove(&mut self, name: &Name) -> Option<ManagedZone> {
        self.zones.remove(name)
    }

    /// Every trust point, in canonical name order.
    pub fn zones(&self) -> impl Iterator<Item = &ManagedZone> {
        self.zones.values()
    }

    /// The earliest probe due over all live trust points; 0 if one was never scheduled
    /// (probe it now); `None` if no trust point is left to probe.
    pub fn next_probe(&self) -> Option<u64> {
        self.zones.values().filter(|z| !z.is_deleted()).map(|z| z.next_probe().unwrap_or(0)).min()
    }

    /// The state as TOML text (what [`save`](Self::save) writes).
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        let file = RolloverFile { version: STATE_VERSION, zones: self.zones.values().map(zone_spec).collect() };
        Ok(format!("{ROLLOVER_HEADER}{}", toml::to_string(&file)?))
    }

    /// Reads what [`to_toml`](Self::to_toml) wrote; `path` names the text in errors.
    pub fn from_toml(text: &str, path: &str) -> Result<RolloverState, StateError> {
        let file: RolloverFile = toml::from_str(text).map_err(|error| StateError::Parse { path: path.into(), error })?;
        if file.version != STATE_VERSION {
            return Err(StateError::Version { path: path.into(), found: file.version });
        }
        let mut zones = BTreeMap::new();
        for spec in file.zones {
            let zone = zone_from_spec(path, spec)?;
            if zones.contains_key(zone.owner()) {
                return Err(StateError::DuplicateZone { path: path.into(), name: zone.owner().clone() });
            }
            zones.insert(zone.owner().clone(), zone);
        }
        Ok(RolloverState { zones })
    }

    /// Writes the state to `path` atomically ([`write_atomic`]). On error nothing changes,
    /// on disk or in memory.
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        let text = self.to_toml().map_err(|error| StateError::Serialize { path: label(path), error })?;
        write_atomic(path, text.as_bytes()).map_err(|error| StateError::Write { path: label(path), error })
    }

    /// Reads a state file.
    pub fn load(path: &Path) -> Result<RolloverState, StateError> {
        RolloverState::from_toml(&read(path)?, &label(path))
    }

    /// Reads a state file, or `None` if there is none yet (first start).
    pub fn load_if_exists(path: &Path) -> Result<Option<RolloverState>, StateError> {
        match fs::read_to_string(path) {
            Ok(text) => RolloverState::from_toml(&text, &label(path)).map(Some),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(StateError::Read { path: label(path), error }),
        }
    }
}

fn zone_spec(z: &ManagedZone) -> ZoneSpec {
    ZoneSpec {
        name: z.owner.to_string(),
        deleted: z.deleted,
        last_success: z.last_success,
        next_probe: z.next_probe,
        last_ttl: z.last_ttl,
        last_expire_interval: z.last_expire_interval,
        initial_ds: z
            .initial_ds
            .iter()
            .map(|d| DsSpec { ds: rdata_to_string(RType::DS, &d.rdata), source: d.source.to_string() })
            .collect(),
        keys: z
            .keys
            .iter()
            .map(|k| KeySpec {
                key_tag: key_tag(&k.rdata),
                state: k.state.as_str().into(),
                since: k.since,
                last_seen: k.last_seen,
                source: k.source.to_string(),
                dnskey: rdata_to_string(RType::DNSKEY, &k.rdata),
                witnesses: k.witnesses.iter().map(|w| BASE64.encode(w)).collect(),
            })
            .collect(),
    }
}

fn zone_from_spec(path: &str, spec: ZoneSpec) -> Result<ManagedZone, StateError> {
    let owner = parse_name(path, &spec.name)?;
    let mut initial_ds = Vec::with_capacity(spec.initial_ds.len());
    for d in spec.initial_ds {
        initial_ds.push(InitialDs { rdata: parse_record(path, RType::DS, &d.ds)?, source: AnchorSource::parse(&d.source) });
    }
    let mut keys = Vec::with_capacity(spec.keys.len());
    for k in spec.keys {
        let state = KeyState::from_name(&k.state)
            .ok_or_else(|| StateError::KeyState { path: path.into(), text: k.state.chars().take(32).collect() })?;
        let mut witnesses = Vec::with_capacity(k.witnesses.len());
        for w in &k.witnesses {
            let bytes =
                BASE64.decode(w.as_bytes()).map_err(|_| StateError::Witness { path: path.into(), text: w.chars().take(32).collect() })?;
            witnesses.push(bytes.into_boxed_slice());
        }
        keys.push(TrackedKey {
            rdata: parse_record(path, RType::DNSKEY, &k.dnskey)?,
            state,
            since: k.since,
            last_seen: k.last_seen,
            witnesses,
            source: AnchorSource::parse(&k.source),
        });
    }
    // Start is never stored; drop it if someone wrote it by hand.
    keys.retain(|k| k.state != KeyState::Start);
    Ok(ManagedZone {
        owner,
        initial_ds,
        keys,
        last_success: spec.last_success,
        next_probe: spec.next_probe,
        last_ttl: spec.last_ttl,
        last_expire_interval: spec.last_expire_interval,
        deleted: spec.deleted,
    })
}

impl NtaSet {
    /// The NTAs as TOML text (what [`save`](Self::save) writes).
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        let file =
            NtaFile { version: STATE_VERSION, nta: self.iter().map(|(n, at)| NtaSpec { name: n.to_string(), expires: at }).collect() };
        Ok(format!("{NTA_HEADER}{}", toml::to_string(&file)?))
    }

    /// Reads what [`to_toml`](Self::to_toml) wrote, dropping entries expired at `now`.
    pub fn from_toml(text: &str, path: &str, now: u64) -> Result<NtaSet, StateError> {
        let file: NtaFile = toml::from_str(text).map_err(|error| StateError::Parse { path: path.into(), error })?;
        if file.version != STATE_VERSION {
            return Err(StateError::Version { path: path.into(), found: file.version });
        }
        let mut set = NtaSet::new();
        for e in file.nta {
            let name = parse_name(path, &e.name)?;
            if now < e.expires {
                set.add(name, e.expires);
            }
        }
        Ok(set)
    }

    /// Writes the NTAs to `path` atomically ([`write_atomic`]). On error nothing changes.
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        let text = self.to_toml().map_err(|error| StateError::Serialize { path: label(path), error })?;
        write_atomic(path, text.as_bytes()).map_err(|error| StateError::Write { path: label(path), error })
    }

    /// Reads an NTA file, dropping expired entries; a missing file is an empty set.
    pub fn load(path: &Path, now: u64) -> Result<NtaSet, StateError> {
        match fs::read_to_string(path) {
            Ok(text) => NtaSet::from_toml(&text, &label(path), now),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(NtaSet::new()),
            Err(error) => Err(StateError::Read { path: label(path), error }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anchor::Anchor;
    use crate::rollover::tests::{ds_zone_for_a, ksk, revoked, rollover_day, zone_with, T0};
    use crate::time::DAY;
    use std::path::PathBuf;

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> TempDir {
            let p =
                std::env::temp_dir().join(format!("tern-ta-{tag}-{}-{}", std::process::id(), TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)));
            fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn state_of(z: ManagedZone) -> RolloverState {
        let mut s = RolloverState::new();
        s.insert(z);
        s
    }

    #[test]
    fn restart_mid_rollover_ends_the_same() {
        let dir = TempDir::new("restart");
        let path = dir.0.join("rfc5011.toml");
        // Without a restart.
        let mut straight = ds_zone_for_a();
        for day in 0..=100 {
            rollover_day(&mut straight, day);
        }
        // With restarts in the middle of the add hold-down and of the remove hold-down.
        let mut s = state_of(ds_zone_for_a());
        for day in 0..=100 {
            if day == 15 || day == 65 || day == 80 {
                s.save(&path).unwrap();
                s = RolloverState::load(&path).unwrap();
            }
            rollover_day(s.zone_mut(&Name::root()).unwrap(), day);
        }
        assert_eq!(s.zone(&Name::root()).unwrap(), &straight);
        assert_eq!(s.zone(&Name::root()).unwrap().trusted_keys(), vec![ksk(2).as_slice()]);
        // No temporary files are left behind.
        assert_eq!(fs::read_dir(&dir.0).unwrap().count(), 1);
    }

    #[test]
    fn state_round_trips_every_field() {
        let (a, b, c) = (ksk(1), ksk(2), ksk(3));
        let mut z = zone_with(&[&a, &c]);
        z.observe(T0, &[&a, &b], &[]);
        let ra = revoked(&c);
        z.observe(T0 + DAY, &[&a, &b, &ra], &[&ra]);
        z.next_probe_at(T0 + DAY, 172_800, &[(T0 + 10 * DAY) as u32]);
        let mut s = state_of(z);
        s.insert(ds_zone_for_a_named("example."));
        let text = s.to_toml().unwrap();
        assert!(text.contains("state = \"add-pending\"") && text.contains("state = \"revoked\""), "{text}");
        assert!(text.contains("key_tag = "), "tags are written for people");
        let back = RolloverState::from_toml(&text, "mem").unwrap();
        assert_eq!(back, s);
    }

    fn ds_zone_for_a_named(name: &str) -> ManagedZone {
        let owner: Name = name.parse().unwrap();
        let ds = tern_shared::dnssec::ds_rdata(&owner, &ksk(1), 2).unwrap();
        let anchor = Anchor::ds(owner.clone(), &ds, true, AnchorSource::File { file: "/etc/tern/ta.conf".into(), line: 3 }).unwrap();
        ManagedZone::new(owner, &[anchor], T0)
    }

    #[test]
    fn failed_save_leaves_memory_and_disk_as_they_were() {
        let dir = TempDir::new("save");
        let path = dir.0.join("state.toml");
        let mut s = state_of(ds_zone_for_a());
        s.save(&path).unwrap();
        let on_disk = fs::read_to_string(&path).unwrap();
        rollover_day(s.zone_mut(&Name::root()).unwrap(), 0);
        let before = s.clone();
        let bad = dir.0.join("no-such-dir").join("state.toml");
        let e = s.save(&bad).unwrap_err();
        assert!(matches!(e, StateError::Write { .. }));
        assert!(e.to_string().starts_with(&format!("{}: cannot write state file: ", bad.display())));
        assert_eq!(s, before, "in-memory state is the last good one");
        assert_eq!(fs::read_to_string(&path).unwrap(), on_disk, "the old file is intact");
        s.save(&path).unwrap();
        assert_eq!(RolloverState::load(&path).unwrap(), s);
    }

    #[test]
    fn bad_state_files_are_refused_with_the_file_named() {
        let good = state_of(ds_zone_for_a()).to_toml().unwrap();
        let e = RolloverState::from_toml(&good.replace("version = 1", "version = 9"), "s.toml").unwrap_err();
        assert_eq!(e.to_string(), "s.toml: state file version 9 is not supported (this resolver reads version 1)");
        let e = RolloverState::from_toml(&good.replace("name = \".\"", "name = \"a..b\""), "s.toml").unwrap_err();
        assert!(matches!(e, StateError::Name { .. }), "{e}");
        let e = RolloverState::from_toml(&format!("{good}\n[[zone]]\nname = \".\"\n"), "s.toml").unwrap_err();
        assert!(matches!(e, StateError::DuplicateZone { .. }), "{e}");
        let e = RolloverState::from_toml("version = 1\nsurprise = true\n", "s.toml").unwrap_err();
        assert!(matches!(e, StateError::Parse { .. }) && e.to_string().starts_with("s.toml: "), "{e}");
        let e = RolloverState::from_toml(&good.replace("ds = \"", "ds = \"x"), "s.toml").unwrap_err();
        assert!(matches!(e, StateError::Record { rtype: RType::DS, .. }), "{e}");
        let mut z = zone_with(&[&ksk(1)]);
        z.observe(T0, &[&ksk(1), &ksk(2)], &[]);
        let text = state_of(z).to_toml().unwrap();
        let e = RolloverState::from_toml(&text.replace("\"add-pending\"", "\"pending\""), "s.toml").unwrap_err();
        assert!(matches!(e, StateError::KeyState { .. }), "{e}");
        assert!(RolloverState::load_if_exists(Path::new("/nonexistent/tern/state.toml")).unwrap().is_none());
        assert!(matches!(RolloverState::load(Path::new("/nonexistent/tern/state.toml")), Err(StateError::Read { .. })));
    }

    #[test]
    fn sync_with_config_adds_keeps_and_drops() {
        let root_ds = crate::root::builtin_root_anchors(T0);
        let mut ta = TrustAnchors::new();
        ta.extend(root_ds.clone());
        let static_key = Anchor::dnskey("example.".parse().unwrap(), &ksk(7), false, AnchorSource::BuiltIn).unwrap();
        ta.add(static_key.clone());
        let mut s = RolloverState::from_anchors(&ta, T0);
        assert_eq!(s.zones().count(), 1, "only managed anchors make trust points");
        assert_eq!(s.zone(&Name::root()).unwrap().initial_ds().len(), 2);
        let other = ds_zone_for_a_named("managed.example.");
        s.insert(other);
        let report = s.sync_with(&ta, T0);
        assert_eq!(report, SyncReport { added: vec![], dropped: vec!["managed.example.".parse().unwrap()], kept: vec![Name::root()] });
        // apply_to puts the state's anchors in, keeping static ones.
        let mut applied = ta.clone();
        s.apply_to(&mut applied);
        assert_eq!(applied.zone(&Name::root()).unwrap().len(), 2);
        assert_eq!(applied.zone(&"example.".parse().unwrap()).unwrap(), &[static_key]);
        assert_eq!(s.next_probe(), Some(0), "never probed: due now");
    }

    #[test]
    fn ntas_persist_and_expired_ones_are_dropped_on_load() {
        let dir = TempDir::new("nta");
        let path = dir.0.join("nta.toml");
        assert!(NtaSet::load(&path, T0).unwrap().is_empty(), "no file yet");
        let mut n = NtaSet::new();
        n.add("broken.example.".parse().unwrap(), T0 + 3600);
        n.add("old.example.".parse().unwrap(), T0 + 10);
        n.save(&path).unwrap();
        let back = NtaSet::load(&path, T0).unwrap();
        assert_eq!(back, n);
        let later = NtaSet::load(&path, T0 + 10).unwrap();
        assert_eq!(later.len(), 1);
        assert!(later.covers(&"www.broken.example.".parse().unwrap(), T0 + 10));
        assert!(matches!(NtaSet::from_toml("version = 1\n[[nta]]\nname = \"x.\"\n", "n.toml", T0), Err(StateError::Parse { .. })));
        assert!(matches!(n.save(&dir.0.join("missing").join("nta.toml")), Err(StateError::Write { .. })));
    }

    #[test]
    fn atomic_write_replaces_whole_files() {
        let dir = TempDir::new("atomic");
        let path = dir.0.join("f");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two, longer").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two, longer");
        assert_eq!(fs::read_dir(&dir.0).unwrap().count(), 1);
        assert!(write_atomic(Path::new("/"), b"x").is_err());
    }
}
