//! RFC 5011 automated updates of DNSSEC trust anchors, as a sans-I/O state machine.
//!
//! A [`ManagedZone`] is one managed trust point: the keys of its apex DNSKEY RRset that
//! the resolver has seen, each in an RFC 5011 §4.2 state ([`KeyState`]: Start, AddPend,
//! Valid, Missing, Revoked, Removed), plus the configured DS anchors not yet matched to a
//! key. The resolver feeds it each **validated** DNSKEY RRset with
//! [`ManagedZone::observe`] and gets back what changed ([`RolloverEvent`]); it asks
//! [`ManagedZone::trusted_keys`] / [`ManagedZone::anchors`] what to validate with, and
//! [`ManagedZone::next_probe_at`] / [`ManagedZone::retry_at`] when to look again (§2.3).
//! The resolver owns sockets and the clock; every method takes `now` (seconds since the
//! epoch), so the 30-day hold-down is tested with a fake clock.
//!
//! # What the caller must have checked before [`ManagedZone::observe`]
//! The DNSKEY RRset passed in must be the trust point's apex DNSKEY RRset, fetched fresh
//! (not from cache) and **validated by an RRSIG made with a key this zone currently
//! trusts** — a [`KeyState::Valid`] or [`KeyState::Missing`] key, or a key matching a
//! configured DS that is still pending ([`ManagedZone::initial_ds`]) — within the RRSIG
//! validity window (RFC 5011 §2.2, §2.4.1). `revoked_selfsigned` lists the keys of that
//! set with the REVOKE bit set **that themselves made a valid RRSIG over the set**
//! (§2.1: a revocation counts only when the revoked key self-signs). A set that contains
//! no currently trusted key cannot have been validated by one: it is ignored
//! ([`RolloverEvent::NoTrustedKey`]).
//!
//! # Rules as implemented (RFC 5011 §2 and §4)
//! - Keys are told apart by protocol, algorithm and public key, never by key tag or flags:
//!   setting the REVOKE bit changes both (§2.1, §3).
//! - **NewKey**: a SEP key (flags bit 15) not tracked yet enters AddPend, remembering the
//!   trusted keys present in the set (§2.2). **KeyRem** before the hold-down ends sends
//!   it back to Start (it is forgotten). **AddTime**: in a set observed at least
//!   [`ADD_HOLD_DOWN`] after it was first seen, it becomes Valid (§2.4.1). If every key
//!   remembered when it was first seen gets revoked first, the hold-down restarts (§2.2).
//! - A configured DNSKEY anchor starts Valid; a configured DS anchor turns into a Valid
//!   key the first time a validated set holds the key it names (bootstrap, as BIND's
//!   `initial-ds`).
//! - **KeyRem** of a Valid key makes it Missing (still trusted); **AddKey** makes it Valid.
//! - **Revbit**: a self-signed revoked key becomes Revoked at once and for good (§2.1),
//!   from Valid, Missing or AddPend (the last is stricter than the §4 table, which has no
//!   such arrow: a revoked key is never accepted later). A key with the REVOKE bit that did
//!   not self-sign is not a revocation; its unrevoked form is then simply absent.
//! - **RemTime**: a Revoked key absent from the set for [`REMOVE_HOLD_DOWN`] becomes
//!   Removed (§2.4.2). Removed keys are remembered, so a revoked key never comes back.
//! - **Trust point deletion** (§5): when no key is trusted any more and at least one was
//!   revoked, the zone is deleted: [`ManagedZone::anchors`] is empty and observations are
//!   ignored. The resolver then treats the name as if no anchor had been configured.
//!
//! # Limitations
//! - The add hold-down is a fixed 30 days. §2.4.1 makes it longer when the DNSKEY RRset's
//!   original TTL exceeds 30 days; TTLs are capped far below that by any resolver cache.
//! - §2.2 says to remember "the keys that validated the RRset"; [`ManagedZone::observe`]
//!   is not told which keys signed, so it remembers every trusted key present in the set
//!   (a superset). The hold-down restarts only when all of those are revoked.
//! - Missing keys stay trusted until revoked (RFC 5011 has no timeout for them; Unbound's
//!   `keep-missing` has one).
//! - State changes happen only on observations; time alone moves nothing.
//! - At most [`MAX_TRACKED_KEYS`] keys per trust point (RFC 5011 §2.4.3 asks for at least
//!   5); beyond that new keys are not tracked (oldest Removed keys are forgotten first).

use crate::anchor::{Anchor, AnchorKind, AnchorSource, DNSKEY_PROTOCOL};
use crate::time::{DAY, HOUR};
use std::fmt;
use tern_shared::dnssec::{ds_matches, key_tag};
use tern_shared::wire::record::{DnskeyView, DNSKEY_REVOKE, DNSKEY_SEP, DNSKEY_ZONE};
use tern_shared::wire::Name;

/// RFC 5011 §2.4.1: a new key must be seen for this long before it is trusted.
pub const ADD_HOLD_DOWN: u64 = 30 * DAY;
/// RFC 5011 §2.4.2: a revoked key absent for this long is removed.
pub const REMOVE_HOLD_DOWN: u64 = 30 * DAY;
/// RFC 5011 §2.3: never probe more often than once an hour.
pub const MIN_QUERY_INTERVAL: u64 = HOUR;
/// RFC 5011 §2.3: probe at least every 15 days.
pub const MAX_QUERY_INTERVAL: u64 = 15 * DAY;
/// RFC 5011 §2.3: retry a failed probe no sooner than an hour.
pub const MIN_RETRY_INTERVAL: u64 = HOUR;
/// RFC 5011 §2.3: retry a failed probe at least daily.
pub const MAX_RETRY_INTERVAL: u64 = DAY;
/// Keys tracked per trust point at most (RFC 5011 §2.4.3 asks for at least 5).
pub const MAX_TRACKED_KEYS: usize = 32;

/// RFC 5011 §4.2 key states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyState {
    /// Not (or no longer) a candidate: untracked keys are in this state.
    Start,
    /// Seen in a validated set; waiting out the add hold-down.
    AddPend,
    /// A trust anchor.
    Valid,
    /// A trust anchor absent from the last validated set (abnormal, still trusted).
    Missing,
    /// Revoked by a self-signed REVOKE bit: never trusted again.
    Revoked,
    /// Revoked and absent for the remove hold-down.
    Removed,
}

impl KeyState {
    /// True for the states whose keys are trust anchors: Valid and Missing.
    pub fn is_trusted(self) -> bool {
        matches!(self, KeyState::Valid | KeyState::Missing)
    }

    /// The name used in listings and state files.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Start => "start",
            KeyState::AddPend => "add-pending",
            KeyState::Valid => "valid",
            KeyState::Missing => "missing",
            KeyState::Revoked => "revoked",
            KeyState::Removed => "removed",
        }
    }

    /// Reads [`as_str`](Self::as_str) back.
    pub fn from_name(s: &str) -> Option<KeyState> {
        [KeyState::Start, KeyState::AddPend, KeyState::Valid, KeyState::Missing, KeyState::Revoked, KeyState::Removed]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

impl fmt::Display for KeyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an observation changed, for the resolver to log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RolloverEvent {
    /// A key changed state (RFC 5011 §4.1 events NewKey, KeyRem, AddTime, AddKey, Revbit,
    /// RemTime, or a configured DS bootstrapping to a key: Start to Valid).
    Transition {
        /// Key tag of the key as it is now (a revoked key's tag includes the REVOKE bit).
        key_tag: u16,
        /// Algorithm.
        algorithm: u8,
        /// Old state.
        from: KeyState,
        /// New state.
        to: KeyState,
    },
    /// Every key that witnessed a pending key was revoked: its hold-down starts again
    /// (RFC 5011 §2.2).
    HoldDownRestarted {
        /// Key tag.
        key_tag: u16,
        /// Algorithm.
        algorithm: u8,
        /// When the new hold-down ends.
        until: u64,
    },
    /// A new key was not tracked: [`MAX_TRACKED_KEYS`] reached.
    KeyLimit {
        /// Key tag.
        key_tag: u16,
    },
    /// The set held no currently trusted key, so it cannot have been validated by one;
    /// nothing was changed (see the module documentation).
    NoTrustedKey,
    /// No key is trusted any more: the trust point is deleted (RFC 5011 §5).
    TrustPointDeleted,
}

impl fmt::Display for RolloverEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RolloverEvent::Transition { key_tag, algorithm, from, to } => {
                write!(f, "key {key_tag} (algorithm {algorithm}): {from} -> {to}")
            }
            RolloverEvent::HoldDownRestarted { key_tag, algorithm, until } => {
                write!(
                    f,
                    "key {key_tag} (algorithm {algorithm}): all witnessing keys revoked, add hold-down restarts until {}",
                    crate::time::fmt_utc(*until)
                )
            }
            RolloverEvent::KeyLimit { key_tag } => write!(f, "key {key_tag} not tracked: {MAX_TRACKED_KEYS} keys already tracked"),
            RolloverEvent::NoTrustedKey => f.write_str("DNSKEY set ignored: it holds no currently trusted key"),
            RolloverEvent::TrustPointDeleted => f.write_str("every trust anchor revoked: trust point deleted (RFC 5011 §5)"),
        }
    }
}

/// One key of a managed trust point and its RFC 5011 state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackedKey {
    /// DNSKEY RDATA as last seen (REVOKE bit set once revoked).
    pub(crate) rdata: Box<[u8]>,
    pub(crate) state: KeyState,
    /// When the key entered its state.
    pub(crate) since: u64,
    /// Last observation that held the key (any flags); 0 if never.
    pub(crate) last_seen: u64,
    /// AddPend only: identities of the trusted keys present when it was first seen.
    pub(crate) witnesses: Vec<Box<[u8]>>,
    pub(crate) source: AnchorSource,
}

impl TrackedKey {
    /// DNSKEY RDATA as last seen.
    pub fn rdata(&self) -> &[u8] {
        &self.rdata
    }

    /// Key tag of the RDATA as last seen.
    pub fn key_tag(&self) -> u16 {
        key_tag(&self.rdata)
    }

    /// Algorithm.
    pub fn algorithm(&self) -> u8 {
        self.rdata.get(3).copied().unwrap_or(0)
    }

    /// RFC 5011 state.
    pub fn state(&self) -> KeyState {
        self.state
    }

    /// When it entered that state.
    pub fn since(&self) -> u64 {
        self.since
    }

    /// When a validated set last held it (0: never).
    pub fn last_seen(&self) -> u64 {
        self.last_seen
    }

    /// Where the key came from (configuration, or `rfc5011`).
    pub fn source(&self) -> &AnchorSource {
        &self.source
    }

    /// When the running hold-down ends: AddPend keys become Valid at the first observation
    /// from then on; Revoked keys absent until then become Removed.
    pub fn hold_down_ends(&self) -> Option<u64> {
        match self.state {
            KeyState::AddPend => Some(self.since.saturating_add(ADD_HOLD_DOWN)),
            KeyState::Revoked => Some(self.last_seen.saturating_add(REMOVE_HOLD_DOWN)),
            _ => None,
        }
    }

    /// Protocol, algorithm and public key: what identifies the key whatever its flags.
    pub(crate) fn id(&self) -> &[u8] {
        self.rdata.get(2..).unwrap_or(&[])
    }
}

/// A configured DS anchor not yet matched to a key of the DNSKEY RRset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitialDs {
    /// DS RDATA.
    pub rdata: Box<[u8]>,
    /// Where it was configured.
    pub source: AnchorSource,
}

/// One RFC 5011 managed trust point (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManagedZone {
    pub(crate) owner: Name,
    pub(crate) initial_ds: Vec<InitialDs>,
    pub(crate) keys: Vec<TrackedKey>,
    pub(crate) last_success: Option<u64>,
    pub(crate) next_probe: Option<u64>,
    /// Original TTL of the last validated DNSKEY RRset (for §2.3 retries).
    pub(crate) last_ttl: Option<u32>,
    /// RRSIG expiration interval measured at the last successful probe (§2.3).
    pub(crate) last_expire_interval: Option<u64>,
    pub(crate) deleted: bool,
}

/// Usable key RDATA: fixed fields present, protocol 3, Zone Key bit, some key material.
fn usable(rdata: &[u8]) -> bool {
    DnskeyView::parse(rdata).is_some_and(|k| k.protocol == DNSKEY_PROTOCOL && k.flags & DNSKEY_ZONE != 0 && !k.public_key.is_empty())
}

fn flags(rdata: &[u8]) -> u16 {
    DnskeyView::parse(rdata).map_or(0, |k| k.flags)
}

fn is_revoked(rdata: &[u8]) -> bool {
    flags(rdata) & DNSKEY_REVOKE != 0
}

fn id(rdata: &[u8]) -> &[u8] {
    rdata.get(2..).unwrap_or(&[])
}

/// The RDATA with the REVOKE bit cleared: the form a DS for the key was made from.
fn unrevoked(rdata: &[u8]) -> Vec<u8> {
    let mut r = rdata.to_vec();
    if let Some(b) = r.get_mut(1) {
        *b &= !(DNSKEY_REVOKE as u8);
    }
    r
}

fn transition(k: &TrackedKey, from: KeyState) -> RolloverEvent {
    RolloverEvent::Transition { key_tag: k.key_tag(), algorithm: k.algorithm(), from, to: k.state }
}

impl ManagedZone {
    /// A managed trust point at `owner` from its configured anchors (those with another
    /// owner are ignored): DNSKEY anchors start Valid, DS anchors wait for the key they name.
    pub fn new(owner: Name, anchors: &[Anchor], now: u64) -> ManagedZone {
        let mut z = ManagedZone {
            owner,
            initial_ds: Vec::new(),
            keys: Vec::new(),
            last_success: None,
            next_probe: None,
            last_ttl: None,
            last_expire_interval: None,
            deleted: false,
        };
        for a in anchors.iter().filter(|a| a.owner == z.owner) {
            match &a.kind {
                AnchorKind::Ds(ds) => {
                    if !z.initial_ds.iter().any(|d| d.rdata == *ds) {
                        z.initial_ds.push(InitialDs { rdata: ds.clone(), source: a.source.clone() });
                    }
                }
                AnchorKind::Dnskey(k) => {
                    if usable(k) && !z.keys.iter().any(|t| t.id() == id(k)) {
                        z.keys.push(TrackedKey {
                            rdata: k.clone(),
                            state: KeyState::Valid,
                            since: now,
                            last_seen: 0,
                            witnesses: Vec::new(),
                            source: a.source.clone(),
                        });
                    }
                }
            }
        }
        z
    }

    /// The trust point's name.
    pub fn owner(&self) -> &Name {
        &self.owner
    }

    /// Every tracked key, in the order first seen.
    pub fn keys(&self) -> &[TrackedKey] {
        &self.keys
    }

    /// Configured DS anchors still waiting for their key.
    pub fn initial_ds(&self) -> &[InitialDs] {
        &self.initial_ds
    }

    /// The state of a key, found by its public key whatever its flags; [`KeyState::Start`]
    /// for keys not tracked.
    pub fn key_state(&self, dnskey_rdata: &[u8]) -> KeyState {
        self.keys.iter().find(|k| k.id() == id(dnskey_rdata)).map_or(KeyState::Start, |k| k.state)
    }

    /// DNSKEY RDATA of the keys that are trust anchors now: Valid and Missing, never
    /// Revoked. Empty once the trust point is deleted.
    pub fn trusted_keys(&self) -> Vec<&[u8]> {
        if self.deleted {
            return Vec::new();
        }
        self.keys.iter().filter(|k| k.state.is_trusted()).map(|k| &*k.rdata).collect()
    }

    /// The anchors to validate this trust point with: pending configured DS anchors and
    /// trusted keys, all `managed`. Give them to
    /// [`TrustAnchors::replace_zone`](crate::anchor::TrustAnchors::replace_zone) after each
    /// observation. Empty once the trust point is deleted (RFC 5011 §5).
    pub fn anchors(&self) -> Vec<Anchor> {
        if self.deleted {
            return Vec::new();
        }
        let ds = self.initial_ds.iter().map(|d| {
            let kind = AnchorKind::Ds(d.rdata.clone());
            Anchor { owner: self.owner.clone(), key_tag: kind.key_tag(), kind, managed: true, source: d.source.clone() }
        });
        let keys = self.keys.iter().filter(|k| k.state.is_trusted()).map(|k| Anchor {
            owner: self.owner.clone(),
            key_tag: k.key_tag(),
            kind: AnchorKind::Dnskey(k.rdata.clone()),
            managed: true,
            source: k.source.clone(),
        });
        ds.chain(keys).collect()
    }

    /// True once every anchor was revoked (RFC 5011 §5).
    pub fn is_deleted(&self) -> bool {
        self.deleted
    }

    /// When the last observation was made.
    pub fn last_success(&self) -> Option<u64> {
        self.last_success
    }

    /// Does `rdata` (as found in an observed set) name a key trusted now?
    fn trusted_by(&self, rdata: &[u8]) -> bool {
        let plain = unrevoked(rdata);
        self.keys.iter().any(|k| k.state.is_trusted() && k.id() == id(rdata))
            || self.initial_ds.iter().any(|d| ds_matches(&self.owner, &d.rdata, &plain))
    }

    /// Feeds one validated DNSKEY RRset of the trust point (see the module documentation
    /// for what the caller must have checked): `dnskeys` is the whole RRset's RDATA,
    /// `revoked_selfsigned` the keys in it with the REVOKE bit that validly signed it.
    /// Returns what changed.
    pub fn observe(&mut self, now: u64, dnskeys: &[&[u8]], revoked_selfsigned: &[&[u8]]) -> Vec<RolloverEvent> {
        let mut events = Vec::new();
        if self.deleted {
            return events;
        }
        let present: Vec<&[u8]> = dnskeys.iter().copied().filter(|r| usable(r)).collect();
        let revoked: Vec<&[u8]> = revoked_selfsigned.iter().copied().filter(|r| is_revoked(r) && present.contains(r)).collect();
        let anchored = present.iter().any(|r| (!is_revoked(r) || revoked.contains(r)) && self.trusted_by(r));
        if !anchored {
            events.push(RolloverEvent::NoTrustedKey);
            return events;
        }

        // Revbit (§2.1): immediate and permanent.
        for r in &revoked {
            if let Some(k) = self.keys.iter_mut().find(|k| k.id() == id(r)) {
                match k.state {
                    KeyState::Valid | KeyState::Missing | KeyState::AddPend | KeyState::Start => {
                        let from = k.state;
                        k.rdata = (*r).into();
                        k.state = KeyState::Revoked;
                        k.since = now;
                        k.last_seen = now;
                        k.witnesses.clear();
                        events.push(transition(k, from));
                    }
                    KeyState::Revoked => k.last_seen = now,
                    KeyState::Removed => {}
                }
            } else {
                let plain = unrevoked(r);
                let source = self.take_initial_ds(&plain);
                if let Some(source) = source {
                    let k = TrackedKey {
                        rdata: (*r).into(),
                        state: KeyState::Revoked,
                        since: now,
                        last_seen: now,
                        witnesses: Vec::new(),
                        source,
                    };
                    events.push(transition(&k, KeyState::Start));
                    self.keys.push(k);
                }
            }
        }

        // §2.2: a pending key whose every witness was revoked starts its hold-down again.
        let revoked_ids: Vec<Box<[u8]>> =
            self.keys.iter().filter(|k| matches!(k.state, KeyState::Revoked | KeyState::Removed)).map(|k| k.id().into()).collect();
        for k in self.keys.iter_mut().filter(|k| k.state == KeyState::AddPend) {
            if !k.witnesses.is_empty() && k.witnesses.iter().all(|w| revoked_ids.contains(w)) {
                k.since = now;
                k.witnesses.clear();
                events.push(RolloverEvent::HoldDownRestarted {
                    key_tag: k.key_tag(),
                    algorithm: k.algorithm(),
                    until: now.saturating_add(ADD_HOLD_DOWN),
                });
            }
        }

        // Keys present without the REVOKE bit: AddTime, AddKey, bootstrap from DS.
        let mut fresh: Vec<&[u8]> = Vec::new();
        for &r in present.iter().filter(|r| !is_revoked(r)) {
            if let Some(k) = self.keys.iter_mut().find(|k| k.id() == id(r)) {
                let from = k.state;
                match k.state {
                    KeyState::Valid => {
                        k.rdata = r.into();
                        k.last_seen = now;
                    }
                    KeyState::Missing => {
                        k.rdata = r.into();
                        k.state = KeyState::Valid;
                        k.since = now;
                        k.last_seen = now;
                        events.push(transition(k, from));
                    }
                    KeyState::AddPend => {
                        k.rdata = r.into();
                        k.last_seen = now;
                        if now >= k.since.saturating_add(ADD_HOLD_DOWN) {
                            k.state = KeyState::Valid;
                            k.since = now;
                            k.witnesses.clear();
                            events.push(transition(k, from));
                        }
                    }
                    KeyState::Start | KeyState::Revoked | KeyState::Removed => {}
                }
            } else if let Some(source) = self.take_initial_ds(r) {
                let k = TrackedKey { rdata: r.into(), state: KeyState::Valid, since: now, last_seen: now, witnesses: Vec::new(), source };
                events.push(transition(&k, KeyState::Start));
                self.keys.push(k);
            } else if flags(r) & DNSKEY_SEP != 0 && !fresh.iter().any(|f| id(f) == id(r)) {
                fresh.push(r);
            }
        }

        // NewKey (§2.2): remember the trusted keys present as the new key's witnesses.
        let witnesses: Vec<Box<[u8]>> = self
            .keys
            .iter()
            .filter(|k| k.state.is_trusted() && present.iter().any(|p| !is_revoked(p) && id(p) == k.id()))
            .map(|k| k.id().into())
            .collect();
        for k in self.keys.iter_mut().filter(|k| k.state == KeyState::AddPend && k.witnesses.is_empty()) {
            k.witnesses = witnesses.clone();
        }
        for r in fresh {
            if self.keys.len() >= MAX_TRACKED_KEYS && !self.forget_oldest_removed() {
                events.push(RolloverEvent::KeyLimit { key_tag: key_tag(r) });
                continue;
            }
            let k = TrackedKey {
                rdata: r.into(),
                state: KeyState::AddPend,
                since: now,
                last_seen: now,
                witnesses: witnesses.clone(),
                source: AnchorSource::Rfc5011,
            };
            events.push(transition(&k, KeyState::Start));
            self.keys.push(k);
        }

        // KeyRem and RemTime for keys absent from the set.
        for k in self.keys.iter_mut() {
            let plain_present = present.iter().any(|p| !is_revoked(p) && id(p) == k.id());
            let any_present = present.iter().any(|p| id(p) == k.id());
            let from = k.state;
            match k.state {
                KeyState::AddPend if !plain_present => {
                    k.state = KeyState::Start;
                    k.since = now;
                    events.push(transition(k, from));
                }
                KeyState::Valid if !plain_present => {
                    k.state = KeyState::Missing;
                    k.since = now;
                    events.push(transition(k, from));
                }
                KeyState::Revoked if any_present => k.last_seen = now,
                KeyState::Revoked if now >= k.last_seen.saturating_add(REMOVE_HOLD_DOWN) => {
                    k.state = KeyState::Removed;
                    k.since = now;
                    events.push(transition(k, from));
                }
                _ => {}
            }
        }
        self.keys.retain(|k| k.state != KeyState::Start);

        // §5: all anchors revoked.
        let trusted = self.keys.iter().any(|k| k.state.is_trusted()) || !self.initial_ds.is_empty();
        if !trusted && self.keys.iter().any(|k| matches!(k.state, KeyState::Revoked | KeyState::Removed)) {
            self.deleted = true;
            events.push(RolloverEvent::TrustPointDeleted);
        }
        self.last_success = Some(now);
        events
    }

    /// Removes the configured DS anchors naming `dnskey` (several digest types may);
    /// returns the first one's source if any matched.
    fn take_initial_ds(&mut self, dnskey: &[u8]) -> Option<AnchorSource> {
        let owner = &self.owner;
        let source = self.initial_ds.iter().find(|d| ds_matches(owner, &d.rdata, dnskey)).map(|d| d.source.clone())?;
        self.initial_ds.retain(|d| !ds_matches(owner, &d.rdata, dnskey));
        Some(source)
    }

    fn forget_oldest_removed(&mut self) -> bool {
        let oldest =
            self.keys.iter().enumerate().filter(|(_, k)| k.state == KeyState::Removed).min_by_key(|(_, k)| k.since).map(|(i, _)| i);
        match oldest {
            Some(i) => {
                self.keys.remove(i);
                true
            }
            None => false,
        }
    }

    /// After a successful probe: when to probe next (RFC 5011 §2.3, [`query_interval`]),
    /// from the DNSKEY RRset's original TTL and the expirations of its RRSIGs (RFC 4034
    /// §3.1.5 32-bit times). Records the answer ([`next_probe`](Self::next_probe)) and
    /// what [`retry_at`](Self::retry_at) needs.
    pub fn next_probe_at(&mut self, now: u64, dnskey_ttl: u32, rrsig_expirations: &[u32]) -> u64 {
        let exp = expire_interval(now, rrsig_expirations);
        self.last_ttl = Some(dnskey_ttl);
        self.last_expire_interval = exp;
        let at = now.saturating_add(query_interval(dnskey_ttl, exp));
        self.next_probe = Some(at);
        at
    }

    /// After a failed probe: when to try again (RFC 5011 §2.3, [`retry_interval`]), from
    /// what the last successful probe saw. Records the answer.
    pub fn retry_at(&mut self, now: u64) -> u64 {
        let at = now.saturating_add(retry_interval(self.last_ttl, self.last_expire_interval));
        self.next_probe = Some(at);
        at
    }

    /// When the next probe is due, if one was scheduled.
    pub fn next_probe(&self) -> Option<u64> {
        self.next_probe
    }

    /// True if a probe is due at `now` (never scheduled counts as due). Always false once
    /// the trust point is deleted.
    pub fn probe_due(&self, now: u64) -> bool {
        !self.deleted && self.next_probe.is_none_or(|at| now >= at)
    }
}

/// Seconds from `now` to the earliest RRSIG expiration (32-bit serial time, RFC 4034
/// §3.1.5); 0 if one has passed; `None` without RRSIGs.
pub fn expire_interval(now: u64, rrsig_expirations: &[u32]) -> Option<u64> {
    rrsig_expirations
        .iter()
        .map(|&exp| {
            let d = exp.wrapping_sub(now as u32);
            if d < 0x8000_0000 {
                d as u64
            } else {
                0
            }
        })
        .min()
}

/// RFC 5011 §2.3: `queryInterval = MAX(1 hr, MIN(15 days, 1/2*OrigTTL,
/// 1/2*RRSigExpirationInterval))`; no RRSIG term without an expiration interval.
pub fn query_interval(dnskey_ttl: u32, expire_interval: Option<u64>) -> u64 {
    let mut v = MAX_QUERY_INTERVAL.min(dnskey_ttl as u64 / 2);
    if let Some(e) = expire_interval {
        v = v.min(e / 2);
    }
    v.max(MIN_QUERY_INTERVAL)
}

/// RFC 5011 §2.3: `retryTime = MAX(1 hour, MIN(1 day, .1*origTTL, .1*expireInterval))`;
/// terms not known are left out.
pub fn retry_interval(dnskey_ttl: Option<u32>, expire_interval: Option<u64>) -> u64 {
    let mut v = MAX_RETRY_INTERVAL;
    if let Some(t) = dnskey_ttl {
        v = v.min(t as u64 / 10);
    }
    if let Some(e) = expire_interval {
        v = v.min(e / 10);
    }
    v.max(MIN_RETRY_INTERVAL)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const T0: u64 = 1_750_000_000;

    /// A fake KSK: flags 257, protocol 3, algorithm 8, public key `n` repeated.
    pub(crate) fn ksk(n: u8) -> Vec<u8> {
        let mut r = vec![0x01, 0x01, 3, 8];
        r.extend_from_slice(&[n; 64]);
        r
    }

    pub(crate) fn zsk(n: u8) -> Vec<u8> {
        let mut r = ksk(n);
        r[1] = 0x00;
        r
    }

    pub(crate) fn revoked(k: &[u8]) -> Vec<u8> {
        let mut r = k.to_vec();
        r[1] |= 0x80;
        r
    }

    pub(crate) fn zone_with(keys: &[&[u8]]) -> ManagedZone {
        let anchors: Vec<Anchor> = keys.iter().map(|k| Anchor::dnskey(Name::root(), k, true, AnchorSource::BuiltIn).unwrap()).collect();
        ManagedZone::new(Name::root(), &anchors, T0)
    }

    fn days(n: u64) -> u64 {
        T0 + n * DAY
    }

    fn trusted(z: &ManagedZone) -> Vec<Vec<u8>> {
        z.trusted_keys().into_iter().map(<[u8]>::to_vec).collect()
    }

    #[test]
    fn new_key_needs_the_30_day_hold_down_and_a_fresh_observation() {
        let (a, b) = (ksk(1), ksk(2));
        let mut z = zone_with(&[&a]);
        let ev = z.observe(days(0), &[&a, &b], &[]);
        assert_eq!(
            ev,
            vec![RolloverEvent::Transition { key_tag: key_tag(&b), algorithm: 8, from: KeyState::Start, to: KeyState::AddPend }]
        );
        assert_eq!(z.key_state(&b), KeyState::AddPend);
        assert_eq!(z.keys()[1].hold_down_ends(), Some(days(30)));
        for d in 1..=29 {
            assert!(z.observe(days(d), &[&a, &b], &[]).is_empty());
            assert_eq!(z.key_state(&b), KeyState::AddPend, "day {d}");
            assert_eq!(trusted(&z), vec![a.clone()], "day {d}: not trusted during the hold-down");
        }
        // 30 days minus a second is still too early.
        assert!(z.observe(days(30) - 1, &[&a, &b], &[]).is_empty());
        assert_eq!(z.key_state(&b), KeyState::AddPend);
        let ev = z.observe(days(30), &[&a, &b], &[]);
        assert_eq!(
            ev,
            vec![RolloverEvent::Transition { key_tag: key_tag(&b), algorithm: 8, from: KeyState::AddPend, to: KeyState::Valid }]
        );
        assert_eq!(trusted(&z), vec![a.clone(), b.clone()]);
    }

    #[test]
    fn hold_down_is_not_passed_without_an_observation_after_it() {
        let (a, b) = (ksk(1), ksk(2));
        let mut z = zone_with(&[&a]);
        z.observe(days(0), &[&a, &b], &[]);
        // No observation between day 0 and day 45: still pending until one comes.
        assert_eq!(z.key_state(&b), KeyState::AddPend);
        z.observe(days(45), &[&a, &b], &[]);
        assert_eq!(z.key_state(&b), KeyState::Valid);
    }

    #[test]
    fn key_that_disappears_before_the_hold_down_goes_back_to_start() {
        let (a, b) = (ksk(1), ksk(2));
        let mut z = zone_with(&[&a]);
        z.observe(days(0), &[&a, &b], &[]);
        let ev = z.observe(days(10), &[&a], &[]);
        assert_eq!(
            ev,
            vec![RolloverEvent::Transition { key_tag: key_tag(&b), algorithm: 8, from: KeyState::AddPend, to: KeyState::Start }]
        );
        assert_eq!(z.key_state(&b), KeyState::Start);
        assert_eq!(z.keys().len(), 1, "a key back in Start is forgotten");
        // It comes back: a new hold-down from day 20.
        z.observe(days(20), &[&a, &b], &[]);
        z.observe(days(31), &[&a, &b], &[]);
        assert_eq!(z.key_state(&b), KeyState::AddPend, "the day-0 sighting does not count");
        z.observe(days(50), &[&a, &b], &[]);
        assert_eq!(z.key_state(&b), KeyState::Valid);
    }

    #[test]
    fn self_signed_revocation_is_immediate_and_permanent() {
        let (a, b) = (ksk(1), ksk(2));
        let mut z = zone_with(&[&a, &b]);
        let ra = revoked(&a);
        assert_ne!(key_tag(&ra), key_tag(&a), "setting REVOKE changes the key tag");
        let ev = z.observe(days(1), &[&ra, &b], &[&ra]);
        assert_eq!(
            ev,
            vec![RolloverEvent::Transition { key_tag: key_tag(&ra), algorithm: 8, from: KeyState::Valid, to: KeyState::Revoked }]
        );
        assert_eq!(z.key_state(&a), KeyState::Revoked, "found by public key, not by tag");
        assert_eq!(trusted(&z), vec![b.clone()]);
        assert!(!z.anchors().iter().any(|x| x.kind.rdata() == a.as_slice() || x.kind.rdata() == ra.as_slice()));
        // The unrevoked key showing up again does not bring it back.
        z.observe(days(2), &[&a, &b], &[]);
        z.observe(days(40), &[&a, &b], &[]);
        assert_eq!(z.key_state(&a), KeyState::Revoked);
        assert_eq!(trusted(&z), vec![b.clone()]);
    }

    #[test]
    fn revoke_bit_without_self_signature_is_not_a_revocation() {
        let (a, b) = (ksk(1), ksk(2));
        let mut z = zone_with(&[&a, &b]);
        let ra = revoked(&a);
        let ev = z.observe(days(1), &[&ra, &b], &[]);
        assert_eq!(
            ev,
            vec![RolloverEvent::Transition { key_tag: key_tag(&a), algorithm: 8, from: KeyState::Valid, to: KeyState::Missing }]
        );
        assert_eq!(trusted(&z), vec![a.clone(), b.clone()], "Missing keys stay trusted");
        // A revoked key listed as self-signing but absent from the set counts for nothing.
        z.observe(days(2), &[&b], &[&ra]);
        assert_eq!(z.key_state(&a), KeyState::Missing);
        // AddKey: back in the set.
        let ev = z.observe(days(3), &[&a, &b], &[]);
        assert_eq!(
            ev,
            vec![RolloverEvent::Transition { key_tag: key_tag(&a), algorithm: 8, from: KeyState::Missing, to: KeyState::Valid }]
        );
    }

    #[test]
    fn revoked_key_is_removed_after_the_remove_hold_down() {
        let (a, b) = (ksk(1), ksk(2));
        let mut z = zone_with(&[&a, &b]);
        let ra = revoked(&a);
        z.observe(days(0), &[&ra, &b], &[&ra]);
        z.observe(days(5), &[&ra, &b], &[]);
        assert_eq!(z.keys()[0].hold_down_ends(), Some(days(35)), "counted from the last sighting");
        z.observe(days(6), &[&b], &[]);
        z.observe(days(34), &[&b], &[]);
        assert_eq!(z.key_state(&a), KeyState::Revoked);
        let ev = z.observe(days(35), &[&b], &[]);
        assert_eq!(
            ev,
            vec![RolloverEvent::Transition { key_tag: key_tag(&ra), algorithm: 8, from: KeyState::Revoked, to: KeyState::Removed }]
        );
    }

    /// The full root-style rollover from a DS anchor for KSK-A to KSK-B, observed daily.
    pub(crate) fn rollover_day(z: &mut ManagedZone, day: u64) -> Vec<RolloverEvent> {
        let (a, b, zk) = (ksk(1), ksk(2), zsk(9));
        let ra = revoked(&a);
        let now = days(day);
        match day {
            0 => z.observe(now, &[&a, &zk], &[]),
            1..=59 => z.observe(now, &[&a, &b, &zk], &[]),
            60..=69 => z.observe(now, &[&ra, &b, &zk], &[&ra]),
            _ => z.observe(now, &[&b, &zk], &[]),
        }
    }

    pub(crate) fn ds_zone_for_a() -> ManagedZone {
        let ds = tern_shared::dnssec::ds_rdata(&Name::root(), &ksk(1), 2).unwrap();
        let anchor = Anchor::ds(Name::root(), &ds, true, AnchorSource::BuiltIn).unwrap();
        ManagedZone::new(Name::root(), &[anchor], T0)
    }

    #[test]
    fn full_rollover_from_ksk_a_to_ksk_b() {
        let (a, b) = (ksk(1), ksk(2));
        let mut z = ds_zone_for_a();
        assert!(z.trusted_keys().is_empty());
        assert_eq!(z.anchors().len(), 1, "the DS anchor until the key is seen");
        let mut all = Vec::new();
        for day in 0..=100 {
            all.extend(rollover_day(&mut z, day));
            match day {
                0 => assert_eq!(trusted(&z), vec![a.clone()], "DS bootstrap"),
                30 => assert_eq!(z.key_state(&b), KeyState::AddPend),
                31 => assert_eq!(trusted(&z), vec![a.clone(), b.clone()]),
                60 => assert_eq!(trusted(&z), vec![b.clone()]),
                _ => {}
            }
        }
        let states: Vec<(u16, KeyState, KeyState)> = all
            .iter()
            .filter_map(|e| match e {
                RolloverEvent::Transition { key_tag, from, to, .. } => Some((*key_tag, *from, *to)),
                _ => None,
            })
            .collect();
        let (ta, tb, tra) = (key_tag(&a), key_tag(&b), key_tag(&revoked(&a)));
        assert_eq!(
            states,
            vec![
                (ta, KeyState::Start, KeyState::Valid),
                (tb, KeyState::Start, KeyState::AddPend),
                (tb, KeyState::AddPend, KeyState::Valid),
                (tra, KeyState::Valid, KeyState::Revoked),
                (tra, KeyState::Revoked, KeyState::Removed),
            ]
        );
        assert_eq!(trusted(&z), vec![b.clone()]);
        assert_eq!(z.key_state(&a), KeyState::Removed);
        assert!(z.initial_ds().is_empty());
        let anchors = z.anchors();
        assert_eq!(anchors.len(), 1);
        assert_eq!(anchors[0].kind, AnchorKind::Dnskey(b.clone().into()));
        assert_eq!(anchors[0].source, AnchorSource::Rfc5011);
        assert!(!z.is_deleted());
    }

    #[test]
    fn hold_down_restarts_when_every_witness_is_revoked() {
        let (a, c, b) = (ksk(1), ksk(3), ksk(2));
        let mut z = zone_with(&[&a, &c]);
        // C is absent (Missing, still trusted); B is first seen with only A present.
        z.observe(days(0), &[&a, &b], &[]);
        assert_eq!(z.key_state(&c), KeyState::Missing);
        let ra = revoked(&a);
        let ev = z.observe(days(10), &[&ra, &c, &b], &[&ra]);
        assert!(ev.contains(&RolloverEvent::HoldDownRestarted { key_tag: key_tag(&b), algorithm: 8, until: days(40) }), "{ev:?}");
        z.observe(days(31), &[&c, &b], &[]);
        assert_eq!(z.key_state(&b), KeyState::AddPend);
        z.observe(days(40), &[&c, &b], &[]);
        assert_eq!(z.key_state(&b), KeyState::Valid);
    }

    #[test]
    fn revoking_every_anchor_deletes_the_trust_point() {
        let (a, b) = (ksk(1), ksk(2));
        let mut z = zone_with(&[&a]);
        z.observe(days(0), &[&a, &b], &[]);
        let ra = revoked(&a);
        let ev = z.observe(days(1), &[&ra, &b], &[&ra]);
        assert!(ev.ends_with(&[RolloverEvent::TrustPointDeleted]), "{ev:?}");
        assert!(z.is_deleted() && z.anchors().is_empty() && z.trusted_keys().is_empty());
        assert!(z.observe(days(40), &[&b], &[]).is_empty(), "a deleted trust point ignores observations");
        assert!(!z.probe_due(days(41)));
    }

    #[test]
    fn sets_without_a_trusted_key_are_ignored() {
        let (a, b, c) = (ksk(1), ksk(2), ksk(3));
        let mut z = zone_with(&[&a]);
        assert_eq!(z.observe(days(0), &[&b, &c], &[]), vec![RolloverEvent::NoTrustedKey]);
        assert_eq!(z.key_state(&b), KeyState::Start);
        assert_eq!(z.key_state(&a), KeyState::Valid, "not made Missing by an unanchored set");
        assert_eq!(z.last_success(), None);
        // An unrevoked form of a key listed as revoked-self-signed is not a revocation either.
        assert_eq!(z.observe(days(0), &[&b], &[&b]), vec![RolloverEvent::NoTrustedKey]);
    }

    #[test]
    fn zsks_and_junk_rdata_are_not_tracked() {
        let (a, zk) = (ksk(1), zsk(5));
        let mut z = zone_with(&[&a]);
        let junk: [&[u8]; 6] = [&[], &[1], &[1, 1, 3], &[1, 1, 3, 8], &[1, 1, 2, 8, 7, 7], &[0, 1, 3, 8, 7, 7]];
        let mut set: Vec<&[u8]> = vec![&a, &zk, &a];
        set.extend_from_slice(&junk);
        assert!(z.observe(days(0), &set, &junk).is_empty());
        assert_eq!(z.keys().len(), 1);
        // Duplicate new keys are tracked once.
        let b = ksk(2);
        z.observe(days(1), &[&a, &b, &b], &[]);
        assert_eq!(z.keys().len(), 2);
    }

    #[test]
    fn tracked_keys_are_capped() {
        let a = ksk(0);
        let mut z = zone_with(&[&a]);
        let many: Vec<Vec<u8>> = (1..=40).map(ksk).collect();
        let mut set: Vec<&[u8]> = vec![&a];
        set.extend(many.iter().map(Vec::as_slice));
        let ev = z.observe(days(0), &set, &[]);
        assert_eq!(z.keys().len(), MAX_TRACKED_KEYS);
        assert_eq!(ev.iter().filter(|e| matches!(e, RolloverEvent::KeyLimit { .. })).count(), 40 + 1 - MAX_TRACKED_KEYS);
    }

    #[test]
    fn probe_intervals_follow_rfc5011_section_2_3() {
        // Root-like: TTL 2 days, RRSIGs valid 10 more days -> MIN(15d, 1d, 5d) = 1 day.
        let exp = (T0 + 10 * DAY) as u32;
        assert_eq!(query_interval(172_800, expire_interval(T0, &[exp])), DAY);
        // Short TTL: never more often than hourly.
        assert_eq!(query_interval(600, None), HOUR);
        // Huge TTL, no RRSIG term: at least every 15 days.
        assert_eq!(query_interval(u32::MAX, None), 15 * DAY);
        // Expiring soon: half the remaining interval, at least an hour.
        assert_eq!(query_interval(172_800, expire_interval(T0, &[(T0 + 6 * HOUR) as u32, exp])), 3 * HOUR);
        assert_eq!(query_interval(172_800, expire_interval(T0, &[(T0 - 5) as u32])), HOUR);
        // Retry: MAX(1h, MIN(1d, TTL/10, exp/10)).
        assert_eq!(retry_interval(Some(172_800), Some(10 * DAY)), 17_280);
        assert_eq!(retry_interval(Some(3600), None), HOUR);
        assert_eq!(retry_interval(None, None), DAY);

        let mut z = zone_with(&[&ksk(1)]);
        assert!(z.probe_due(T0), "never probed");
        assert_eq!(z.next_probe_at(T0, 172_800, &[exp]), T0 + DAY);
        assert!(!z.probe_due(T0 + DAY - 1) && z.probe_due(T0 + DAY));
        assert_eq!(z.retry_at(T0 + DAY), T0 + DAY + 17_280);
        assert_eq!(z.next_probe(), Some(T0 + DAY + 17_280));
    }
}
