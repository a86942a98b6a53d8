//! The set of zones a server is authoritative for, and the choice of zone for a
//! question: the deepest enclosing zone (RFC 1034 §4.3.2 step 2), except that a DS
//! question is answered by the parent side of a cut when we host the parent
//! (RFC 4035 §3.1.4.1).

use super::{lower_key, Zone};
use std::collections::HashMap;
use std::sync::Arc;
use tern_shared::wire::RType;

/// An immutable set of zone snapshots, swapped as a whole on reload.
#[derive(Debug, Default, Clone)]
pub struct ZoneSet {
    zones: HashMap<Box<[u8]>, Arc<Zone>, tern_shared::hash::FnvBuild>,
}

impl ZoneSet {
    /// A set from zones (a later zone with the same apex replaces an earlier one).
    pub fn new(zones: impl IntoIterator<Item = Arc<Zone>>) -> ZoneSet {
        ZoneSet { zones: zones.into_iter().map(|z| (lower_key(z.origin.wire()), z)).collect() }
    }

    /// Number of zones.
    pub fn len(&self) -> usize {
        self.zones.len()
    }

    /// True if no zone is loaded.
    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }

    /// Every zone.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Zone>> {
        self.zones.values()
    }

    /// The zone with exactly this apex.
    pub fn get(&self, apex_wire: &[u8]) -> Option<&Arc<Zone>> {
        let mut buf = [0u8; 255];
        let n = apex_wire.len().min(255);
        buf[..n].copy_from_slice(&apex_wire[..n]);
        buf[..n].make_ascii_lowercase();
        self.zones.get(&buf[..n])
    }

    /// The zone that answers `qname` (wire), without allocating.
    pub fn find(&self, qname: &[u8], qtype: RType) -> Option<&Zone> {
        let mut buf = [0u8; 255];
        let n = qname.len().min(255);
        buf[..n].copy_from_slice(&qname[..n]);
        buf[..n].make_ascii_lowercase();
        let mut pos = 0;
        loop {
            if let Some(z) = self.zones.get(&buf[pos..n]) {
                // DS lives in the parent: skip the child apex when we have a parent zone.
                if qtype == RType::DS && pos == 0 {
                    if let Some(parent) = self.find_above(&buf[..n]) {
                        return Some(parent);
                    }
                }
                return Some(z);
            }
            if buf[pos] == 0 {
                return None;
            }
            pos += 1 + buf[pos] as usize;
        }
    }

    fn find_above(&self, lower: &[u8]) -> Option<&Zone> {
        if lower[0] == 0 {
            return None;
        }
        let mut pos = 1 + lower[0] as usize;
        loop {
            if let Some(z) = self.zones.get(&lower[pos..]) {
                return Some(z);
            }
            if lower[pos] == 0 {
                return None;
            }
            pos += 1 + lower[pos] as usize;
        }
    }
}
