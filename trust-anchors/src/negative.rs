//! Negative trust anchors (RFC 7646): names below which the operator has told the
//! resolver to stop validating for a while, because a zone's DNSSEC is broken by
//! mistake and would otherwise make it unreachable for every validating user.
//!
//! An NTA covers its name and everything below it (RFC 7646 §1.1, §2) until it expires:
//! answers there are treated as insecure, not bogus. RFC 7646 §2 asks that NTAs be
//! temporary: every entry here has an expiry, [`add_for`](NtaSet::add_for) refuses a
//! lifetime above [`MAX_NTA_LIFETIME`] (BIND's limit), and expired entries stop covering
//! at once and are purged ([`NtaSet::purge`], [`NtaSet::list`]). Persistence is in
//! [`crate::state`].
//!
//! # Limitations
//! - RFC 7646 §4 suggests the resolver periodically check whether the zone validates again
//!   and then remove the NTA; that probe is the resolver's (call [`NtaSet::remove`]).
//! - Whether a positive trust anchor configured *below* an NTA restores validation there
//!   is the resolver's policy; [`NtaSet::covers`] only says whether an NTA applies.

use crate::time::{DAY, HOUR};
use std::collections::BTreeMap;
use tern_shared::wire::Name;

/// BIND's `nta-lifetime` default: one hour.
pub const DEFAULT_NTA_LIFETIME: u64 = HOUR;
/// BIND's upper limit on an NTA lifetime (RFC 7646 §2: NTAs are temporary): one week.
pub const MAX_NTA_LIFETIME: u64 = 7 * DAY;

/// An NTA request that cannot be honoured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NtaError {
    /// Zero lifetime.
    #[error("NTA lifetime must be at least one second")]
    ZeroLifetime,
    /// Longer than [`MAX_NTA_LIFETIME`].
    #[error("NTA lifetime {0} s exceeds the maximum of {MAX_NTA_LIFETIME} s (one week, RFC 7646 §2: NTAs are temporary)")]
    TooLong(u64),
}

/// One NTA as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NtaEntry {
    /// The name it covers, and everything below it.
    pub name: Name,
    /// When it expires (seconds since the epoch).
    pub expires_at: u64,
    /// Seconds left at the time of listing.
    pub remaining: u64,
}

/// The negative trust anchors in force.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NtaSet {
    entries: BTreeMap<Name, u64>,
}

impl NtaSet {
    /// No NTAs.
    pub fn new() -> NtaSet {
        NtaSet::default()
    }

    /// Adds (or replaces) the NTA for `name`, expiring at `expires_at`. The caller
    /// enforces its lifetime policy; see [`add_for`](Self::add_for).
    pub fn add(&mut self, name: Name, expires_at: u64) {
        self.entries.insert(name, expires_at);
    }

    /// Adds (or replaces) the NTA for `name` for `lifetime` seconds from `now`, at most
    /// [`MAX_NTA_LIFETIME`]. Returns when it expires.
    pub fn add_for(&mut self, name: Name, now: u64, lifetime: u64) -> Result<u64, NtaError> {
        if lifetime == 0 {
            return Err(NtaError::ZeroLifetime);
        }
        if lifetime > MAX_NTA_LIFETIME {
            return Err(NtaError::TooLong(lifetime));
        }
        let at = now.saturating_add(lifetime);
        self.add(name, at);
        Ok(at)
    }

    /// Removes the NTA at exactly `name`; returns whether there was one.
    pub fn remove(&mut self, name: &Name) -> bool {
        self.entries.remove(name).is_some()
    }

    /// True if an unexpired NTA is at `name` or one of its ancestors (RFC 7646 §2).
    pub fn covers(&self, name: &Name, now: u64) -> bool {
        self.covering(name, now).is_some()
    }

    /// The closest unexpired NTA at or above `name`, with its expiry.
    pub fn covering(&self, name: &Name, now: u64) -> Option<(&Name, u64)> {
        let mut candidate = Some(name.clone());
        while let Some(n) = candidate {
            if let Some((k, &at)) = self.entries.get_key_value(&n) {
                if now < at {
                    return Some((k, at));
                }
            }
            candidate = n.parent();
        }
        None
    }

    /// Drops expired NTAs; returns their names.
    pub fn purge(&mut self, now: u64) -> Vec<Name> {
        let gone: Vec<Name> = self.entries.iter().filter(|(_, &at)| now >= at).map(|(n, _)| n.clone()).collect();
        for n in &gone {
            self.entries.remove(n);
        }
        gone
    }

    /// Purges expired NTAs, then lists the rest with the time left, in canonical order.
    pub fn list(&mut self, now: u64) -> Vec<NtaEntry> {
        self.purge(now);
        self.entries.iter().map(|(name, &at)| NtaEntry { name: name.clone(), expires_at: at, remaining: at.saturating_sub(now) }).collect()
    }

    /// Every NTA, expired or not, with its expiry.
    pub fn iter(&self) -> impl Iterator<Item = (&Name, u64)> {
        self.entries.iter().map(|(n, &at)| (n, at))
    }

    /// Number of entries (expired ones included until purged).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Name {
        s.parse().unwrap()
    }

    const NOW: u64 = 1_750_000_000;

    #[test]
    fn nta_covers_its_name_and_below_until_it_expires() {
        let mut n = NtaSet::new();
        let at = n.add_for(name("broken.example."), NOW, HOUR).unwrap();
        assert_eq!(at, NOW + HOUR);
        assert!(n.covers(&name("broken.example."), NOW));
        assert!(n.covers(&name("www.Broken.EXAMPLE."), NOW));
        assert!(n.covers(&name("a.b.broken.example."), NOW + HOUR - 1));
        assert!(!n.covers(&name("example."), NOW), "not above");
        assert!(!n.covers(&name("notbroken.example."), NOW), "not siblings sharing a suffix");
        assert!(!n.covers(&name("www.broken.example."), NOW + HOUR), "expired at its expiry time");
        assert_eq!(n.covering(&name("x.broken.example."), NOW), Some((&name("broken.example."), NOW + HOUR)));
    }

    #[test]
    fn closer_nta_and_expired_ancestors() {
        let mut n = NtaSet::new();
        n.add(name("example."), NOW + 10);
        n.add(name("sub.example."), NOW + 100);
        assert_eq!(n.covering(&name("a.sub.example."), NOW).map(|x| x.0.clone()), Some(name("sub.example.")));
        assert!(n.covers(&name("other.example."), NOW + 5));
        assert!(!n.covers(&name("other.example."), NOW + 10));
        assert!(n.covers(&name("a.sub.example."), NOW + 50), "the live closer NTA still applies");
    }

    #[test]
    fn listing_purges_and_shows_time_left() {
        let mut n = NtaSet::new();
        n.add(name("a.example."), NOW + 60);
        n.add(name("b.example."), NOW + 3600);
        n.add(name("c.example."), NOW - 1);
        let list = n.list(NOW);
        assert_eq!(
            list.iter().map(|e| (e.name.to_string(), e.remaining)).collect::<Vec<_>>(),
            vec![("a.example.".into(), 60), ("b.example.".into(), 3600)]
        );
        assert_eq!(n.len(), 2);
        assert_eq!(n.purge(NOW + 60), vec![name("a.example.")]);
        assert!(n.remove(&name("b.example.")));
        assert!(!n.remove(&name("b.example.")));
        assert!(n.is_empty());
    }

    #[test]
    fn lifetimes_are_bounded() {
        let mut n = NtaSet::new();
        assert_eq!(n.add_for(name("x."), NOW, 0), Err(NtaError::ZeroLifetime));
        assert_eq!(n.add_for(name("x."), NOW, MAX_NTA_LIFETIME + 1), Err(NtaError::TooLong(MAX_NTA_LIFETIME + 1)));
        assert_eq!(n.add_for(name("x."), NOW, MAX_NTA_LIFETIME), Ok(NOW + MAX_NTA_LIFETIME));
        // Re-adding replaces the expiry.
        n.add_for(name("X."), NOW, 60).unwrap();
        assert_eq!(n.iter().collect::<Vec<_>>(), vec![(&name("x."), NOW + 60)]);
    }
}
