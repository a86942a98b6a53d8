//! Trust anchors (RFC 4033 §2, RFC 4035 §4.4): a DS or DNSKEY for a name that the
//! validator trusts without proof, and [`TrustAnchors`], the set of them the validator
//! starts from, looked up by the closest enclosing anchored name.
//!
//! Every anchor is checked when it is made ([`Anchor::ds`], [`Anchor::dnskey`]): a DNSKEY
//! anchor must have protocol 3 (RFC 4034 §2.1.2), the Zone Key bit (RFC 4034 §2.1.1) and
//! no REVOKE bit (RFC 5011 §2.1); a DS anchor's digest must have the length its digest
//! type defines (RFC 4034 §5.1.4, RFC 4509 §2.2, RFC 6605 §2).
//!
//! # Limitations
//! - Only class IN anchors exist.
//! - Whether an anchor's algorithm or digest type is supported is the validator's call
//!   (RFC 4035 §5.2, RFC 6840 §5.2, §5.11); anchors with unknown algorithms are kept.
//! - When several configured anchors share a name, they all count (any one may validate
//!   the DNSKEY RRset, RFC 4035 §5.1); there is no per-anchor preference.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use tern_shared::dnssec::{digest_type, ds_matches, key_tag};
use tern_shared::wire::record::{DnskeyView, DsView, DNSKEY_REVOKE, DNSKEY_ZONE};
use tern_shared::wire::{rdata, Name, RType};

/// RFC 4034 §2.1.2: the Protocol field of a DNSKEY must be 3.
pub const DNSKEY_PROTOCOL: u8 = 3;

/// What an anchor pins: a DS digest of the key, or the DNSKEY itself (RFC 4035 §4.4).
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum AnchorKind {
    /// DS RDATA (RFC 4034 §5.1): key tag, algorithm, digest type, digest.
    Ds(Box<[u8]>),
    /// DNSKEY RDATA (RFC 4034 §2.1): flags, protocol, algorithm, public key.
    Dnskey(Box<[u8]>),
}

impl AnchorKind {
    /// `DS` or `DNSKEY`.
    pub fn rtype(&self) -> RType {
        match self {
            AnchorKind::Ds(_) => RType::DS,
            AnchorKind::Dnskey(_) => RType::DNSKEY,
        }
    }

    /// The RDATA, uncompressed.
    pub fn rdata(&self) -> &[u8] {
        match self {
            AnchorKind::Ds(r) | AnchorKind::Dnskey(r) => r,
        }
    }

    /// The key tag: the DS key tag field, or computed from the DNSKEY (RFC 4034 App. B).
    pub fn key_tag(&self) -> u16 {
        match self {
            AnchorKind::Ds(r) => DsView::parse(r).map_or(0, |d| d.key_tag),
            AnchorKind::Dnskey(r) => key_tag(r),
        }
    }

    /// The DNSSEC algorithm number of the key.
    pub fn algorithm(&self) -> u8 {
        match self {
            AnchorKind::Ds(r) => DsView::parse(r).map_or(0, |d| d.algorithm),
            AnchorKind::Dnskey(r) => DnskeyView::parse(r).map_or(0, |k| k.algorithm),
        }
    }
}

impl fmt::Debug for AnchorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.rtype())?;
        rdata::fmt_rdata(f, self.rtype(), self.rdata())
    }
}

/// Where an anchor came from, for listings and messages.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AnchorSource {
    /// The IANA root anchors built into the binary ([`crate::root`]).
    BuiltIn,
    /// A line of an anchor file.
    File {
        /// The file as given.
        file: Arc<str>,
        /// 1-based line.
        line: usize,
    },
    /// Accepted by RFC 5011 automated updates ([`crate::rollover`]).
    Rfc5011,
}

impl fmt::Display for AnchorSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnchorSource::BuiltIn => f.write_str("built-in"),
            AnchorSource::File { file, line } => write!(f, "{file}:{line}"),
            AnchorSource::Rfc5011 => f.write_str("rfc5011"),
        }
    }
}

impl AnchorSource {
    /// Reads back what [`Display`](fmt::Display) wrote: `built-in`, `rfc5011` or
    /// `file:line`. Anything else becomes a file with line 0.
    pub fn parse(text: &str) -> AnchorSource {
        match text {
            "built-in" => AnchorSource::BuiltIn,
            "rfc5011" => AnchorSource::Rfc5011,
            _ => match text.rsplit_once(':').and_then(|(f, l)| Some((f, l.parse::<usize>().ok()?))) {
                Some((file, line)) => AnchorSource::File { file: file.into(), line },
                None => AnchorSource::File { file: text.into(), line: 0 },
            },
        }
    }
}

/// Why DS or DNSKEY RDATA cannot be a trust anchor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnchorDataError {
    /// Shorter than the four fixed octets.
    #[error("DNSKEY RDATA is shorter than 4 octets")]
    DnskeyTooShort,
    /// Protocol other than 3.
    #[error("DNSKEY protocol is {0}, it must be 3 (RFC 4034 §2.1.2)")]
    Protocol(u8),
    /// No Zone Key bit: such a key cannot verify signatures.
    #[error("DNSKEY flags {0} lack the Zone Key bit (256), so the key cannot validate anything (RFC 4034 §2.1.1)")]
    NotZoneKey(u16),
    /// REVOKE bit set.
    #[error("DNSKEY flags {0} have the REVOKE bit (128) set; a revoked key is never a trust anchor (RFC 5011 §2.1)")]
    Revoked(u16),
    /// No key material.
    #[error("DNSKEY has an empty public key")]
    EmptyKey,
    /// Shorter than the four fixed octets.
    #[error("DS RDATA is shorter than 4 octets")]
    DsTooShort,
    /// No digest.
    #[error("DS has an empty digest")]
    EmptyDigest,
    /// A digest whose length does not fit its type.
    #[error("DS digest is {found} octets but digest type {digest_type} makes {expected}")]
    DigestLength {
        /// The digest type.
        digest_type: u8,
        /// The length that type has.
        expected: usize,
        /// The length found.
        found: usize,
    },
}

/// The digest length of a known DS digest type.
fn digest_len(dt: u8) -> Option<usize> {
    match dt {
        digest_type::SHA1 => Some(20),
        digest_type::SHA256 | digest_type::GOST => Some(32),
        digest_type::SHA384 => Some(48),
        _ => None,
    }
}

/// Checks DNSKEY RDATA for use as a trust anchor (see the module documentation).
pub fn check_dnskey(rdata: &[u8]) -> Result<(), AnchorDataError> {
    let k = DnskeyView::parse(rdata).ok_or(AnchorDataError::DnskeyTooShort)?;
    if k.protocol != DNSKEY_PROTOCOL {
        return Err(AnchorDataError::Protocol(k.protocol));
    }
    if k.flags & DNSKEY_ZONE == 0 {
        return Err(AnchorDataError::NotZoneKey(k.flags));
    }
    if k.flags & DNSKEY_REVOKE != 0 {
        return Err(AnchorDataError::Revoked(k.flags));
    }
    if k.public_key.is_empty() {
        return Err(AnchorDataError::EmptyKey);
    }
    Ok(())
}

/// Checks DS RDATA for use as a trust anchor (see the module documentation).
pub fn check_ds(rdata: &[u8]) -> Result<(), AnchorDataError> {
    let ds = DsView::parse(rdata).ok_or(AnchorDataError::DsTooShort)?;
    if ds.digest.is_empty() {
        return Err(AnchorDataError::EmptyDigest);
    }
    if let Some(expected) = digest_len(ds.digest_type) {
        if ds.digest.len() != expected {
            return Err(AnchorDataError::DigestLength { digest_type: ds.digest_type, expected, found: ds.digest.len() });
        }
    }
    Ok(())
}

/// One trust anchor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anchor {
    /// The anchored name (the zone apex whose DNSKEY RRset the anchor validates).
    pub owner: Name,
    /// The DS or DNSKEY.
    pub kind: AnchorKind,
    /// True if RFC 5011 automated updates manage this anchor's trust point (BIND
    /// `initial-key`/`initial-ds`); false for static anchors.
    pub managed: bool,
    /// The key tag (RFC 4034 App. B); a hint, not an identity.
    pub key_tag: u16,
    /// Where it came from.
    pub source: AnchorSource,
}

impl Anchor {
    /// A DS anchor, checked with [`check_ds`].
    pub fn ds(owner: Name, rdata: &[u8], managed: bool, source: AnchorSource) -> Result<Anchor, AnchorDataError> {
        check_ds(rdata)?;
        let kind = AnchorKind::Ds(rdata.into());
        Ok(Anchor { owner, key_tag: kind.key_tag(), kind, managed, source })
    }

    /// A DNSKEY anchor, checked with [`check_dnskey`].
    pub fn dnskey(owner: Name, rdata: &[u8], managed: bool, source: AnchorSource) -> Result<Anchor, AnchorDataError> {
        check_dnskey(rdata)?;
        let kind = AnchorKind::Dnskey(rdata.into());
        Ok(Anchor { owner, key_tag: kind.key_tag(), kind, managed, source })
    }

    /// The DNSSEC algorithm number.
    pub fn algorithm(&self) -> u8 {
        self.kind.algorithm()
    }

    /// True if the DNSKEY (RDATA as found in the owner's DNSKEY RRset) is the key this
    /// anchor pins: the DS digest matches (RFC 4035 §5.2), or the DNSKEY RDATA is identical.
    /// Flags are compared too, so a key whose REVOKE bit has since been set never matches
    /// a DNSKEY anchor.
    pub fn matches_dnskey(&self, dnskey_rdata: &[u8]) -> bool {
        match &self.kind {
            AnchorKind::Ds(ds) => ds_matches(&self.owner, ds, dnskey_rdata),
            AnchorKind::Dnskey(k) => **k == *dnskey_rdata,
        }
    }
}

impl fmt::Display for Anchor {
    /// Zone-file form: `owner IN DS|DNSKEY rdata`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} IN {} ", self.owner, self.kind.rtype())?;
        rdata::fmt_rdata(f, self.kind.rtype(), self.kind.rdata())
    }
}

/// The trust anchors a validator starts from, grouped by anchored name.
#[derive(Clone, Debug, Default)]
pub struct TrustAnchors {
    zones: BTreeMap<Name, Vec<Anchor>>,
}

impl TrustAnchors {
    /// An empty set.
    pub fn new() -> TrustAnchors {
        TrustAnchors::default()
    }

    /// Adds one anchor. An anchor with the same owner and RDATA as one already present is
    /// not added again (the first one's source and `managed` flag are kept); returns
    /// whether it was added.
    pub fn add(&mut self, anchor: Anchor) -> bool {
        let list = self.zones.entry(anchor.owner.clone()).or_default();
        if list.iter().any(|a| a.kind == anchor.kind) {
            return false;
        }
        list.push(anchor);
        true
    }

    /// Adds several anchors; returns how many were new.
    pub fn extend(&mut self, anchors: impl IntoIterator<Item = Anchor>) -> usize {
        anchors.into_iter().map(|a| self.add(a)).filter(|&added| added).count()
    }

    /// Adds the built-in IANA root anchors valid at `now` ([`crate::root`]); returns how
    /// many were new. Call it only when no root anchor was configured: an operator's own
    /// root anchor file replaces the built-in one, it does not add to it.
    pub fn add_builtin_root(&mut self, now: u64) -> usize {
        self.extend(crate::root::builtin_root_anchors(now))
    }

    /// Reads an anchor file ([`crate::file::load_anchor_file`]) and adds its anchors;
    /// returns how many were new.
    pub fn load_file(&mut self, path: &std::path::Path, options: &crate::file::LoadOptions) -> Result<usize, crate::file::AnchorFileError> {
        Ok(self.extend(crate::file::load_anchor_file(path, options)?))
    }

    /// Replaces every anchor at `owner` (e.g. with [`crate::rollover::ManagedZone::anchors`]
    /// after an RFC 5011 update). An empty list removes the trust point.
    pub fn replace_zone(&mut self, owner: &Name, anchors: Vec<Anchor>) {
        if anchors.is_empty() {
            self.zones.remove(owner);
        } else {
            self.zones.insert(owner.clone(), anchors);
        }
    }

    /// Removes the trust point at `owner`; returns its anchors.
    pub fn remove_zone(&mut self, owner: &Name) -> Option<Vec<Anchor>> {
        self.zones.remove(owner)
    }

    /// The anchors at exactly `owner`.
    pub fn zone(&self, owner: &Name) -> Option<&[Anchor]> {
        self.zones.get(owner).map(Vec::as_slice)
    }

    /// The anchors at the closest enclosing anchored name of `name` (`name` itself or its
    /// nearest ancestor that has anchors), with that name: the trust point from which a
    /// chain of trust to `name` starts (RFC 4035 §5).
    pub fn for_zone(&self, name: &Name) -> Option<(&Name, &[Anchor])> {
        let mut candidate = Some(name.clone());
        while let Some(n) = candidate {
            if let Some((k, v)) = self.zones.get_key_value(&n) {
                return Some((k, v.as_slice()));
            }
            candidate = n.parent();
        }
        None
    }

    /// The anchored names, in canonical order.
    pub fn zones(&self) -> impl Iterator<Item = &Name> {
        self.zones.keys()
    }

    /// Every anchor, by anchored name in canonical order, then in the order added.
    pub fn iter(&self) -> impl Iterator<Item = &Anchor> {
        self.zones.values().flatten()
    }

    /// Every anchor, as [`iter`](Self::iter) gives them.
    pub fn all(&self) -> Vec<&Anchor> {
        self.iter().collect()
    }

    /// Number of anchors.
    pub fn len(&self) -> usize {
        self.zones.values().map(Vec::len).sum()
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Name {
        s.parse().unwrap()
    }

    fn key(flags: u16, fill: u8) -> Vec<u8> {
        let mut r = flags.to_be_bytes().to_vec();
        r.extend_from_slice(&[3, 13]);
        r.extend_from_slice(&[fill; 64]);
        r
    }

    fn src() -> AnchorSource {
        AnchorSource::File { file: "t.keys".into(), line: 1 }
    }

    #[test]
    fn for_zone_picks_the_closest_enclosing_anchor() {
        let mut ta = TrustAnchors::new();
        assert!(ta.for_zone(&name("example.com.")).is_none());
        ta.add(Anchor::dnskey(Name::root(), &key(257, 1), true, src()).unwrap());
        ta.add(Anchor::dnskey(name("example.com."), &key(257, 2), false, src()).unwrap());
        ta.add(Anchor::dnskey(name("example.com."), &key(257, 3), false, src()).unwrap());
        let (at, list) = ta.for_zone(&name("www.Example.COM.")).unwrap();
        assert_eq!(at, &name("example.com."));
        assert_eq!(list.len(), 2);
        assert_eq!(ta.for_zone(&name("example.com.")).unwrap().0, &name("example.com."));
        assert_eq!(ta.for_zone(&name("example.net.")).unwrap().0, &Name::root());
        assert_eq!(ta.for_zone(&name("com.")).unwrap().0, &Name::root());
        assert_eq!(ta.len(), 3);
        assert_eq!(ta.zones().count(), 2);
        // The same key again is not a second anchor.
        assert!(!ta.add(Anchor::dnskey(name("EXAMPLE.com."), &key(257, 2), true, AnchorSource::BuiltIn).unwrap()));
        assert_eq!(ta.len(), 3);
        ta.replace_zone(&name("example.com."), Vec::new());
        assert_eq!(ta.for_zone(&name("www.example.com.")).unwrap().0, &Name::root());
    }

    #[test]
    fn unusable_keys_and_digests_are_refused() {
        assert_eq!(check_dnskey(&key(256, 1)), Ok(()));
        assert_eq!(check_dnskey(&key(1, 1)), Err(AnchorDataError::NotZoneKey(1)));
        assert_eq!(check_dnskey(&key(257 | 128, 1)), Err(AnchorDataError::Revoked(385)));
        let mut bad_proto = key(257, 1);
        bad_proto[2] = 2;
        assert_eq!(check_dnskey(&bad_proto), Err(AnchorDataError::Protocol(2)));
        assert_eq!(check_dnskey(&[1, 1, 3, 8]), Err(AnchorDataError::EmptyKey));
        assert_eq!(check_dnskey(&[1, 1]), Err(AnchorDataError::DnskeyTooShort));
        let mut ds = vec![0x4f, 0x66, 8, 2];
        ds.extend_from_slice(&[0xab; 31]);
        assert_eq!(check_ds(&ds), Err(AnchorDataError::DigestLength { digest_type: 2, expected: 32, found: 31 }));
        ds.push(0);
        assert_eq!(check_ds(&ds), Ok(()));
        assert_eq!(check_ds(&[0, 1, 8, 200]), Err(AnchorDataError::EmptyDigest));
        assert_eq!(check_ds(&[0, 1, 8, 200, 1]), Ok(()), "unknown digest types are kept");
    }

    #[test]
    fn sources_print_and_read_back() {
        for s in [AnchorSource::BuiltIn, AnchorSource::Rfc5011, AnchorSource::File { file: "/etc/a:b.keys".into(), line: 7 }] {
            assert_eq!(AnchorSource::parse(&s.to_string()), s);
        }
    }
}
