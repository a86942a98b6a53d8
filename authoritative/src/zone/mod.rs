//! Immutable zone snapshots: the records of one zone organised for lookup, with the
//! load-time checks an operator expects (RFC 1034 §4.2.1 SOA and NS at the apex,
//! RFC 1034 §3.6.2 / RFC 2181 §10.1 CNAME exclusivity, out-of-zone data, missing glue).
//!
//! A [`Zone`] never changes once built; reloading or re-signing builds a new one and
//! swaps it in atomically, so a query sees the old zone or the new, never half.
//!
//! # Limitations
//! Data below a zone cut other than address records (glue) is kept but never served
//! (it is occluded, RFC 2181 §6); data below a DNAME is likewise occluded (RFC 6672 §2.4).

pub mod lookup;
pub mod set;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use tern_shared::dnssec::nsec3_hash_wire;
use tern_shared::wire::name::canonical_cmp;
use tern_shared::wire::record::{soa_minimum, soa_serial, Nsec3View};
use tern_shared::wire::{Class, Name, RType, Record};

/// Where a record came from, for `file:line: reason` messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The zone file (or include) path as given.
    pub file: Arc<str>,
    /// 1-based line number where the record starts.
    pub line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A problem that stops a zone from loading.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZoneError {
    /// A record whose owner is not at or below the apex.
    #[error("{at}: {owner} is outside the zone {zone}")]
    OutOfZone {
        /// Where the record is.
        at: Origin,
        /// Its owner.
        owner: Name,
        /// The zone apex.
        zone: Name,
    },
    /// A record of another class than the zone's.
    #[error("{at}: class {class} differs from the zone's class IN")]
    WrongClass {
        /// Where the record is.
        at: Origin,
        /// Its class.
        class: Class,
    },
    /// No SOA at the apex (RFC 1035 §5.2).
    #[error("{file}: no SOA record at the apex {zone}")]
    NoSoa {
        /// The zone file.
        file: Arc<str>,
        /// The apex.
        zone: Name,
    },
    /// More than one SOA, or an SOA away from the apex.
    #[error("{at}: SOA record {what}")]
    BadSoa {
        /// Where the record is.
        at: Origin,
        /// "not at the apex" or "duplicated".
        what: &'static str,
    },
    /// No NS RRset at the apex (RFC 1034 §4.2.1).
    #[error("{file}: no NS records at the apex {zone}")]
    NoApexNs {
        /// The zone file.
        file: Arc<str>,
        /// The apex.
        zone: Name,
    },
    /// A CNAME beside other data, or two CNAMEs (RFC 2181 §10.1).
    #[error("{at}: CNAME at {owner} {what}")]
    CnameConflict {
        /// Where the record is.
        at: Origin,
        /// The owner.
        owner: Name,
        /// "coexists with other data" or "is not alone in its RRset".
        what: &'static str,
    },
    /// More than one DNAME at a name (RFC 6672 §2.4).
    #[error("{at}: more than one DNAME at {owner}")]
    MultipleDname {
        /// Where the record is.
        at: Origin,
        /// The owner.
        owner: Name,
    },
    /// An NS target inside the delegated zone with no address record (RFC 9471).
    #[error("{at}: missing glue: NS {target} for {cut} has no A or AAAA record")]
    MissingGlue {
        /// Where the NS record is.
        at: Origin,
        /// The delegation point.
        cut: Name,
        /// The target.
        target: Name,
    },
    /// A CNAME or DNAME at the apex would hide the SOA.
    #[error("{at}: {rtype} is not allowed at the zone apex")]
    ApexAlias {
        /// Where the record is.
        at: Origin,
        /// CNAME or DNAME.
        rtype: RType,
    },
    /// An NSEC3 record that does not parse or does not sit one label below the apex.
    #[error("{at}: malformed NSEC3 record")]
    BadNsec3 {
        /// Where the record is.
        at: Origin,
    },
}

/// The records of one type at one owner, with their signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RRset {
    /// The type.
    pub rtype: RType,
    /// TTL (the lowest seen, RFC 2181 §5.2).
    pub ttl: u32,
    /// RDATA of each record, uncompressed, duplicates removed.
    pub rdatas: Vec<Box<[u8]>>,
    /// RDATA of the RRSIGs covering this RRset.
    pub sigs: Vec<Box<[u8]>>,
}

/// What role a node plays in the zone tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NodeKind {
    /// Authoritative data (or an empty non-terminal).
    #[default]
    Auth,
    /// A delegation point: NS at a name other than the apex (RFC 1034 §4.2.2).
    Cut,
    /// Below a delegation point: only glue is served from here (RFC 2181 §6).
    Glue,
    /// Below a DNAME owner: occluded (RFC 6672 §2.4).
    Occluded,
}

/// One owner name and its RRsets.
#[derive(Debug, Clone)]
pub struct Node {
    /// The owner name as written in the zone file.
    pub name: Name,
    /// RRsets sorted by type code. Empty for empty non-terminals.
    pub rrsets: Vec<RRset>,
    /// Role in the tree.
    pub kind: NodeKind,
    /// Each RRset (same index) as ready-made answer records owned by the question name,
    /// built once per snapshot so answering it is one copy.
    pub wire: Vec<WireSet>,
}

/// An RRset encoded as answer records whose owner is a compression pointer to the
/// question name (offset 12, RFC 1035 §4.1.4): the data records, then its RRSIGs.
#[derive(Debug, Clone, Default)]
pub struct WireSet {
    /// Data records followed by the RRSIG records.
    pub bytes: Box<[u8]>,
    /// Length of the data records alone (what a client without DO gets).
    pub data_len: usize,
    /// Number of data records.
    pub data_count: u16,
    /// Number of RRSIG records.
    pub sig_count: u16,
}

impl WireSet {
    /// Encodes `set` with its owner pointing at the question name.
    pub fn encode(set: &RRset) -> WireSet {
        let mut bytes = Vec::with_capacity(set.rdatas.iter().chain(set.sigs.iter()).map(|r| r.len() + 12).sum());
        let rec = |bytes: &mut Vec<u8>, t: RType, rd: &[u8]| {
            bytes.extend_from_slice(&[0xc0, 0x0c]);
            bytes.extend_from_slice(&t.0.to_be_bytes());
            bytes.extend_from_slice(&Class::IN.0.to_be_bytes());
            bytes.extend_from_slice(&set.ttl.to_be_bytes());
            bytes.extend_from_slice(&(rd.len() as u16).to_be_bytes());
            bytes.extend_from_slice(rd);
        };
        for rd in &set.rdatas {
            rec(&mut bytes, set.rtype, rd);
        }
        let data_len = bytes.len();
        for sig in &set.sigs {
            rec(&mut bytes, RType::RRSIG, sig);
        }
        WireSet { bytes: bytes.into_boxed_slice(), data_len, data_count: set.rdatas.len() as u16, sig_count: set.sigs.len() as u16 }
    }
}

impl Node {
    /// The RRset of `rtype`, if any.
    pub fn rrset(&self, rtype: RType) -> Option<&RRset> {
        self.rrsets.iter().find(|r| r.rtype == rtype)
    }
    /// True if the node has no data (an empty non-terminal).
    pub fn is_empty(&self) -> bool {
        self.rrsets.is_empty()
    }
}

/// NSEC3 parameters of a zone (RFC 5155 §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nsec3Param {
    /// Hash algorithm (1 = SHA-1).
    pub alg: u8,
    /// Additional iterations.
    pub iterations: u16,
    /// Salt.
    pub salt: Vec<u8>,
}

/// One NSEC3 record with its decoded hash.
#[derive(Debug, Clone)]
pub struct Nsec3Entry {
    /// Raw hash of the owner (decoded from its base32hex first label).
    pub hash: Vec<u8>,
    /// The owner name `<base32hex>.<apex>`.
    pub owner: Name,
    /// The NSEC3 RRset (one record) and its RRSIGs.
    pub rrset: RRset,
}

/// The NSEC3 chain of a zone, sorted by hash.
#[derive(Debug, Clone)]
pub struct Nsec3Chain {
    /// Parameters used for hashing (from NSEC3PARAM, RFC 5155 §4).
    pub param: Nsec3Param,
    /// Entries in hash order.
    pub entries: Vec<Nsec3Entry>,
    /// The entries' SHA-1 hashes, contiguous, for a cache-friendly binary search (empty
    /// when some hash is not 20 octets: then `entries` is searched).
    keys: Vec<HashKey>,
}

/// A 20-octet hash as two big-endian integers: ordered as the octets are, compared in
/// two instructions instead of a `memcmp` call (the binary searches of NSEC3 proofs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct HashKey(u128, u32);

impl HashKey {
    fn of(h: &[u8; 20]) -> HashKey {
        let (hi, lo) = h.split_at(16);
        HashKey(u128::from_be_bytes(hi.try_into().expect("16")), u32::from_be_bytes(lo.try_into().expect("4")))
    }
}

impl Nsec3Chain {
    /// A chain from entries (sorted here by hash, duplicates dropped).
    pub fn new(param: Nsec3Param, mut entries: Vec<Nsec3Entry>) -> Nsec3Chain {
        entries.sort_by(|a, b| a.hash.cmp(&b.hash));
        entries.dedup_by(|a, b| a.hash == b.hash);
        let keys: Vec<HashKey> = entries.iter().filter_map(|e| <&[u8; 20]>::try_from(&e.hash[..]).ok().map(HashKey::of)).collect();
        let keys = if keys.len() == entries.len() { keys } else { Vec::new() };
        Nsec3Chain { param, entries, keys }
    }

    /// The hash of `name` under this chain's parameters (RFC 5155 §5).
    pub fn hash(&self, name_wire: &[u8]) -> [u8; 20] {
        nsec3_hash_wire(name_wire, &self.param.salt, self.param.iterations)
    }

    /// The entry whose owner hash equals `hash` (a "matching" NSEC3, RFC 5155 §7.2.1).
    pub fn matching(&self, hash: &[u8]) -> Option<&Nsec3Entry> {
        if let (false, Ok(h)) = (self.keys.is_empty(), <&[u8; 20]>::try_from(hash)) {
            return self.keys.binary_search(&HashKey::of(h)).ok().map(|i| &self.entries[i]);
        }
        self.entries.binary_search_by(|e| e.hash.as_slice().cmp(hash)).ok().map(|i| &self.entries[i])
    }

    /// The entry that covers `hash`: the last owner hash below it, wrapping to the
    /// last entry for hashes before the first (RFC 5155 §3.1.7).
    pub fn covering(&self, hash: &[u8]) -> Option<&Nsec3Entry> {
        if self.entries.is_empty() {
            return None;
        }
        let i = match (self.keys.is_empty(), <&[u8; 20]>::try_from(hash)) {
            (false, Ok(h)) => {
                let h = HashKey::of(h);
                self.keys.partition_point(|k| *k < h)
            }
            _ => self.entries.partition_point(|e| e.hash.as_slice() < hash),
        };
        Some(&self.entries[if i == 0 { self.entries.len() - 1 } else { i - 1 }])
    }
}

/// An immutable, ready-to-serve zone.
#[derive(Debug, Clone)]
pub struct Zone {
    /// The apex.
    pub origin: Name,
    /// Where it was loaded from.
    pub file: Arc<str>,
    /// Every owner name (and empty non-terminal) in canonical order (RFC 4034 §6.1).
    pub nodes: Vec<Node>,
    /// Lowercased wire name -> index into `nodes`.
    index: HashMap<IndexKey, u32, tern_shared::hash::FnvBuild>,
    /// Indexes of nodes carrying an NSEC RRset, in canonical order.
    nsec_nodes: Vec<u32>,
    /// Index of the apex node (asked for on every negative answer).
    apex_index: u32,
    /// The NSEC3 chain, if the zone has one.
    pub nsec3: Option<Nsec3Chain>,
    /// SOA serial.
    pub serial: u32,
    /// TTL for negative answers: min(SOA TTL, SOA minimum) (RFC 2308 §5).
    pub negative_ttl: u32,
    /// True if the zone carries DNSSEC signatures (it has a DNSKEY RRset and RRSIGs).
    pub signed: bool,
    /// Address ranges allowed to transfer this zone (besides the server-wide list).
    pub transfer_acl: Vec<ipnet::IpNet>,
}

/// Lowercased owner name as an index key, stored inline for names up to 40 octets so a
/// lookup does not chase a pointer per probe (most of the cost on large zones).
type IndexKey = smallvec::SmallVec<[u8; 40]>;

/// A record with its source position, as the zone builder takes it.
pub type SourcedRecord = (Record, Origin);

impl Zone {
    /// Builds a zone from records, running every load-time check. All problems are
    /// returned, so an operator can fix a file in one pass.
    pub fn build(origin: Name, file: Arc<str>, records: Vec<SourcedRecord>) -> Result<Zone, Vec<ZoneError>> {
        let mut errors = Vec::new();
        // Group records by lowercased owner, remembering the first spelling.
        let mut by_owner: HashMap<Box<[u8]>, (Name, Vec<SourcedRecord>)> = HashMap::new();
        let mut nsec3_records: Vec<SourcedRecord> = Vec::new();
        for (rec, at) in records {
            if rec.class != Class::IN {
                errors.push(ZoneError::WrongClass { at, class: rec.class });
                continue;
            }
            if !rec.owner.is_subdomain_of(&origin) {
                errors.push(ZoneError::OutOfZone { at, owner: rec.owner.clone(), zone: origin.clone() });
                continue;
            }
            if rec.rtype == RType::NSEC3 || rec.rrsig_covered() == Some(RType::NSEC3) {
                nsec3_records.push((rec, at));
                continue;
            }
            let key = lower_key(rec.owner.wire());
            by_owner.entry(key).or_insert_with(|| (rec.owner.clone(), Vec::new())).1.push((rec, at));
        }
        // Every ancestor between an owner and the apex exists (empty non-terminals).
        let owners: Vec<Name> = by_owner.values().map(|(n, _)| n.clone()).collect();
        for name in owners {
            let mut cur = name.parent();
            while let Some(p) = cur {
                if !p.is_subdomain_of(&origin) {
                    break;
                }
                let key = lower_key(p.wire());
                if by_owner.contains_key(&key) {
                    // Already present; its ancestors were or will be added too.
                    break;
                }
                by_owner.insert(key, (p.clone(), Vec::new()));
                cur = p.parent();
            }
        }
        by_owner.entry(lower_key(origin.wire())).or_insert_with(|| (origin.clone(), Vec::new()));

        let mut nodes: Vec<Node> = Vec::with_capacity(by_owner.len());
        let mut first_seen: Vec<HashMap<RType, Origin>> = Vec::with_capacity(by_owner.len());
        for (_, (name, recs)) in by_owner {
            let (node, seen) = build_node(name, recs, &mut errors);
            nodes.push(node);
            first_seen.push(seen);
        }
        let mut order: Vec<usize> = (0..nodes.len()).collect();
        order.sort_by(|&a, &b| canonical_cmp(nodes[a].name.wire(), nodes[b].name.wire()));
        let mut sorted_nodes = Vec::with_capacity(nodes.len());
        let mut sorted_seen = Vec::with_capacity(nodes.len());
        let mut slots: Vec<Option<(Node, HashMap<RType, Origin>)>> = nodes.into_iter().zip(first_seen).map(Some).collect();
        for i in order {
            let (n, s) = slots[i].take().expect("each index once");
            sorted_nodes.push(n);
            sorted_seen.push(s);
        }
        let nodes = sorted_nodes;
        let index: HashMap<IndexKey, u32, tern_shared::hash::FnvBuild> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let mut k = IndexKey::from_slice(n.name.wire());
                k.make_ascii_lowercase();
                (k, i as u32)
            })
            .collect();

        let mut zone = Zone {
            origin: origin.clone(),
            file: file.clone(),
            nodes,
            index,
            nsec_nodes: Vec::new(),
            apex_index: 0,
            nsec3: None,
            serial: 0,
            negative_ttl: 0,
            signed: false,
            transfer_acl: Vec::new(),
        };
        zone.classify_and_check(&sorted_seen, &mut errors);
        zone.nsec3 = build_nsec3(&zone, nsec3_records, &mut errors);
        if errors.is_empty() {
            Ok(zone)
        } else {
            Err(errors)
        }
    }

    fn classify_and_check(&mut self, seen: &[HashMap<RType, Origin>], errors: &mut Vec<ZoneError>) {
        let origin = self.origin.clone();
        let apex = self.node_index(origin.wire()).expect("the apex node is always added");
        self.apex_index = apex as u32;
        let at = |i: usize, t: RType| seen[i].get(&t).cloned().unwrap_or(Origin { file: self.file.clone(), line: 0 });
        // SOA: exactly one, at the apex.
        for (i, node) in self.nodes.iter().enumerate() {
            if i != apex && node.rrset(RType::SOA).is_some() {
                errors.push(ZoneError::BadSoa { at: at(i, RType::SOA), what: "not at the apex" });
            }
        }
        match self.nodes[apex].rrset(RType::SOA) {
            None => errors.push(ZoneError::NoSoa { file: self.file.clone(), zone: origin.clone() }),
            Some(soa) if soa.rdatas.len() > 1 => errors.push(ZoneError::BadSoa { at: at(apex, RType::SOA), what: "duplicated" }),
            Some(soa) => {
                self.serial = soa_serial(&soa.rdatas[0]).unwrap_or(0);
                self.negative_ttl = soa.ttl.min(soa_minimum(&soa.rdatas[0]).unwrap_or(0));
            }
        }
        if self.nodes[apex].rrset(RType::NS).is_none() {
            errors.push(ZoneError::NoApexNs { file: self.file.clone(), zone: origin.clone() });
        }
        for t in [RType::CNAME, RType::DNAME] {
            if self.nodes[apex].rrset(t).is_some() {
                errors.push(ZoneError::ApexAlias { at: at(apex, t), rtype: t });
            }
        }
        // Cuts and occlusion: walk in canonical order, so a cut precedes its subtree.
        let mut cut_stack: Vec<(Name, NodeKind)> = Vec::new();
        for i in 0..self.nodes.len() {
            let name = self.nodes[i].name.clone();
            while let Some((top, _)) = cut_stack.last() {
                if name.is_subdomain_of(top) {
                    break;
                }
                cut_stack.pop();
            }
            if let Some((_, kind)) = cut_stack.last() {
                self.nodes[i].kind = *kind;
                continue;
            }
            if i != apex && self.nodes[i].rrset(RType::NS).is_some() {
                self.nodes[i].kind = NodeKind::Cut;
                cut_stack.push((name, NodeKind::Glue));
            } else if self.nodes[i].rrset(RType::DNAME).is_some() {
                cut_stack.push((name, NodeKind::Occluded));
            }
        }
        // Missing glue: an NS target at or below its own cut needs an address (RFC 9471 §2).
        for i in 0..self.nodes.len() {
            let node = &self.nodes[i];
            if i != apex && node.kind != NodeKind::Cut {
                continue;
            }
            let Some(ns) = node.rrset(RType::NS) else { continue };
            for rd in &ns.rdatas {
                let Ok(target) = Name::from_wire(rd) else { continue };
                let needs_glue = if i == apex {
                    target.is_subdomain_of(&origin) && self.is_glue_zone(&target)
                } else {
                    target.is_subdomain_of(&node.name)
                };
                if !needs_glue {
                    continue;
                }
                let has_addr = self.node(target.wire()).is_some_and(|n| n.rrset(RType::A).is_some() || n.rrset(RType::AAAA).is_some());
                if !has_addr {
                    errors.push(ZoneError::MissingGlue { at: at(i, RType::NS), cut: node.name.clone(), target });
                }
            }
        }
        self.refresh_derived();
    }

    /// Recomputes what is derived from the nodes (the NSEC index, the signed flag)
    /// after the signer changed them.
    pub fn refresh_derived(&mut self) {
        for node in self.nodes.iter_mut() {
            node.wire = node.rrsets.iter().map(WireSet::encode).collect();
        }
        self.nsec_nodes = (0..self.nodes.len() as u32).filter(|&i| self.nodes[i as usize].rrset(RType::NSEC).is_some()).collect();
        let apex = self.apex();
        self.signed = apex.rrset(RType::DNSKEY).is_some() && apex.rrset(RType::SOA).is_some_and(|s| !s.sigs.is_empty());
    }

    /// True if `target` (inside the zone) is authoritative data of this zone, i.e. an
    /// apex NS target we must be able to give an address for.
    fn is_glue_zone(&self, target: &Name) -> bool {
        // A target below one of our own delegations is the child's business.
        let mut cur = target.parent();
        while let Some(p) = cur {
            if p == self.origin {
                return true;
            }
            if self.node(p.wire()).is_some_and(|n| n.kind == NodeKind::Cut) {
                return false;
            }
            cur = p.parent();
        }
        true
    }

    /// The node with this exact owner name (any case), if it exists.
    pub fn node(&self, wire: &[u8]) -> Option<&Node> {
        self.node_index(wire).map(|i| &self.nodes[i])
    }

    /// Index of the node with this exact owner name, without allocating for names
    /// up to 255 octets.
    pub fn node_index(&self, wire: &[u8]) -> Option<usize> {
        let mut buf = [0u8; 255];
        let n = wire.len().min(255);
        buf[..n].copy_from_slice(&wire[..n]);
        buf[..n].make_ascii_lowercase();
        self.index.get(&buf[..n]).map(|&i| i as usize)
    }

    /// The apex node.
    pub fn apex(&self) -> &Node {
        &self.nodes[self.apex_index as usize]
    }

    /// The NSEC-bearing node at or before `wire` in canonical order: the NSEC that
    /// matches or covers the name (RFC 4034 §4.1.1).
    pub fn nsec_for(&self, wire: &[u8]) -> Option<&Node> {
        let i =
            self.nsec_nodes.partition_point(|&n| canonical_cmp(self.nodes[n as usize].name.wire(), wire) != std::cmp::Ordering::Greater);
        let idx = if i == 0 { *self.nsec_nodes.last()? } else { self.nsec_nodes[i - 1] };
        Some(&self.nodes[idx as usize])
    }

    /// SOA RRset at the apex.
    pub fn soa(&self) -> &RRset {
        self.apex().rrset(RType::SOA).expect("checked at load")
    }

    /// Every record of the zone in a stable order: SOA first, then by owner and type,
    /// RRSIGs after the RRset they cover, NSEC3 records last. Used by AXFR.
    pub fn records(&self) -> Vec<Record> {
        let mut out = Vec::new();
        let apex = self.apex();
        let push_set = |out: &mut Vec<Record>, owner: &Name, set: &RRset| {
            for rd in &set.rdatas {
                out.push(Record::new(owner.clone(), set.rtype, set.ttl, rd.clone()));
            }
            for sig in &set.sigs {
                out.push(Record::new(owner.clone(), RType::RRSIG, set.ttl, sig.clone()));
            }
        };
        push_set(&mut out, &apex.name, self.soa());
        for node in &self.nodes {
            for set in &node.rrsets {
                if set.rtype == RType::SOA && node.name == self.origin {
                    continue;
                }
                push_set(&mut out, &node.name, set);
            }
        }
        if let Some(chain) = &self.nsec3 {
            for e in &chain.entries {
                push_set(&mut out, &e.owner, &e.rrset);
            }
        }
        out
    }
}

/// The lowercased wire form used as an index key.
pub fn lower_key(wire: &[u8]) -> Box<[u8]> {
    let mut k: Box<[u8]> = wire.into();
    k.make_ascii_lowercase();
    k
}

fn build_node(name: Name, recs: Vec<SourcedRecord>, errors: &mut Vec<ZoneError>) -> (Node, HashMap<RType, Origin>) {
    let mut rrsets: Vec<RRset> = Vec::new();
    let mut seen: HashMap<RType, Origin> = HashMap::new();
    let mut sigs: Vec<(RType, u32, Box<[u8]>)> = Vec::new();
    for (rec, at) in recs {
        if let Some(covered) = rec.rrsig_covered() {
            sigs.push((covered, rec.ttl, rec.rdata));
            continue;
        }
        seen.entry(rec.rtype).or_insert(at);
        match rrsets.iter_mut().find(|s| s.rtype == rec.rtype) {
            Some(set) => {
                set.ttl = set.ttl.min(rec.ttl);
                if !set.rdatas.iter().any(|r| rdata_eq(rec.rtype, r, &rec.rdata)) {
                    set.rdatas.push(rec.rdata);
                }
            }
            None => rrsets.push(RRset { rtype: rec.rtype, ttl: rec.ttl, rdatas: vec![rec.rdata], sigs: Vec::new() }),
        }
    }
    for (covered, _ttl, rd) in sigs {
        match rrsets.iter_mut().find(|s| s.rtype == covered) {
            Some(set) => {
                if !set.sigs.contains(&rd) {
                    set.sigs.push(rd)
                }
            }
            // A signature over nothing is dropped: it could never be served.
            None => {}
        }
    }
    rrsets.sort_by_key(|s| s.rtype);
    // RFC 2181 §10.1: CNAME excludes other data, except DNSSEC records (RFC 4035 §2.5).
    if let Some(cname) = rrsets.iter().find(|s| s.rtype == RType::CNAME) {
        let at = seen[&RType::CNAME].clone();
        if cname.rdatas.len() > 1 {
            errors.push(ZoneError::CnameConflict { at: at.clone(), owner: name.clone(), what: "is not alone in its RRset" });
        }
        if rrsets.iter().any(|s| !matches!(s.rtype, RType::CNAME | RType::RRSIG | RType::NSEC | RType::KEY)) {
            errors.push(ZoneError::CnameConflict { at, owner: name.clone(), what: "coexists with other data" });
        }
    }
    if let Some(d) = rrsets.iter().find(|s| s.rtype == RType::DNAME) {
        if d.rdatas.len() > 1 {
            errors.push(ZoneError::MultipleDname { at: seen[&RType::DNAME].clone(), owner: name.clone() });
        }
    }
    (Node { name, rrsets, kind: NodeKind::Auth, wire: Vec::new() }, seen)
}

/// RDATA equality in canonical form (RFC 4034 §6.2), so `NS A.EXAMPLE.` and
/// `NS a.example.` count as one record.
fn rdata_eq(rtype: RType, a: &[u8], b: &[u8]) -> bool {
    a == b || tern_shared::wire::rdata::canonical(rtype, a) == tern_shared::wire::rdata::canonical(rtype, b)
}

fn build_nsec3(zone: &Zone, records: Vec<SourcedRecord>, errors: &mut Vec<ZoneError>) -> Option<Nsec3Chain> {
    let param_rd = zone.apex().rrset(RType::NSEC3PARAM).and_then(|s| s.rdatas.first().cloned());
    if records.is_empty() {
        return None;
    }
    let mut entries: Vec<Nsec3Entry> = Vec::new();
    let mut sigs: Vec<(Name, Box<[u8]>)> = Vec::new();
    let mut param: Option<Nsec3Param> = param_rd.as_deref().and_then(|rd| {
        (rd.len() >= 5 && rd.len() == 5 + rd[4] as usize).then(|| Nsec3Param {
            alg: rd[0],
            iterations: u16::from_be_bytes([rd[2], rd[3]]),
            salt: rd[5..].to_vec(),
        })
    });
    for (rec, at) in records {
        if rec.rtype == RType::RRSIG {
            sigs.push((rec.owner, rec.rdata));
            continue;
        }
        let first = rec.owner.labels().next().map(|l| l.to_ascii_uppercase());
        let hash = first.and_then(|l| data_encoding::BASE32HEX_NOPAD.decode(&l).ok());
        let (Some(hash), Some(view)) = (hash, Nsec3View::parse(&rec.rdata)) else {
            errors.push(ZoneError::BadNsec3 { at });
            continue;
        };
        if rec.owner.parent().as_ref() != Some(&zone.origin) {
            errors.push(ZoneError::BadNsec3 { at });
            continue;
        }
        if param.is_none() {
            param = Some(Nsec3Param { alg: view.hash_alg, iterations: view.iterations, salt: view.salt.to_vec() });
        }
        entries.push(Nsec3Entry {
            hash,
            owner: rec.owner.clone(),
            rrset: RRset { rtype: RType::NSEC3, ttl: rec.ttl, rdatas: vec![rec.rdata], sigs: Vec::new() },
        });
    }
    for (owner, sig) in sigs {
        if let Some(e) = entries.iter_mut().find(|e| e.owner == owner) {
            e.rrset.sigs.push(sig);
        }
    }
    Some(Nsec3Chain::new(param?, entries))
}

#[cfg(test)]
mod tests;
