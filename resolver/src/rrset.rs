//! RRsets as the resolver handles them: records of one owner, type and class with the
//! RRSIGs covering them (RFC 2181 §5: the RRset is the unit of data; RFC 4035 §5.3:
//! and of validation).

use tern_shared::wire::{Class, Name, RType, Record};

/// One RRset with its signatures, as received (RDATA uncompressed, case preserved).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RRset {
    /// Owner name.
    pub owner: Name,
    /// Type.
    pub rtype: RType,
    /// Class.
    pub class: Class,
    /// TTL: the lowest of the records' (RFC 2181 §5.2).
    pub ttl: u32,
    /// RDATA of each record, duplicates removed.
    pub rdatas: Vec<Box<[u8]>>,
    /// RDATA of the RRSIGs covering it.
    pub sigs: Vec<Box<[u8]>>,
}

impl RRset {
    /// Gives back the spare capacity of its record lists: RRsets are built by pushing
    /// (a Vec grown that way keeps room for four), and a cached one lives long.
    pub fn shrink_to_fit(&mut self) {
        self.rdatas.shrink_to_fit();
        self.sigs.shrink_to_fit();
    }

    /// `sets` without spare capacity, theirs or its own (see [`RRset::shrink_to_fit`]).
    pub fn compact(mut sets: Vec<RRset>) -> Vec<RRset> {
        sets.iter_mut().for_each(RRset::shrink_to_fit);
        sets.shrink_to_fit();
        sets
    }

    /// An RRset without signatures.
    pub fn new(owner: Name, rtype: RType, ttl: u32, rdatas: Vec<Box<[u8]>>) -> RRset {
        RRset { owner, rtype, class: Class::IN, ttl, rdatas, sigs: Vec::new() }
    }

    /// The RDATA as slices (what the validator takes).
    pub fn rdata_refs(&self) -> Vec<&[u8]> {
        self.rdatas.iter().map(|r| &r[..]).collect()
    }

    /// The RRSIG RDATA as slices.
    pub fn sig_refs(&self) -> Vec<&[u8]> {
        self.sigs.iter().map(|r| &r[..]).collect()
    }

    /// The records, RRSIGs after data.
    pub fn records(&self, with_sigs: bool) -> impl Iterator<Item = Record> + '_ {
        let data = self.rdatas.iter().map(move |rd| Record {
            owner: self.owner.clone(),
            rtype: self.rtype,
            class: self.class,
            ttl: self.ttl,
            rdata: rd.clone(),
        });
        let sigs = self.sigs.iter().filter(move |_| with_sigs).map(move |rd| Record {
            owner: self.owner.clone(),
            rtype: RType::RRSIG,
            class: self.class,
            ttl: self.ttl,
            rdata: rd.clone(),
        });
        data.chain(sigs)
    }

    /// The signer names of the RRSIGs (normally one).
    pub fn signers(&self) -> Vec<Name> {
        let mut v: Vec<Name> =
            self.sigs.iter().filter_map(|s| tern_shared::wire::record::RrsigView::parse(s).map(|v| v.signer_name())).collect();
        v.dedup();
        v
    }
}

/// Groups records into RRsets in order of first appearance, attaching each RRSIG to the
/// RRset of the same owner and covered type. RRSIGs with nothing to cover are kept as
/// an RRset of type RRSIG (a direct RRSIG query's answer).
pub fn group(records: &[Record]) -> Vec<RRset> {
    let mut out: Vec<RRset> = Vec::new();
    for r in records.iter().filter(|r| r.rtype != RType::RRSIG) {
        match out.iter_mut().find(|s| s.rtype == r.rtype && s.class == r.class && s.owner == r.owner) {
            Some(s) => {
                s.ttl = s.ttl.min(r.ttl);
                if !s.rdatas.contains(&r.rdata) {
                    s.rdatas.push(r.rdata.clone());
                }
            }
            None => out.push(RRset {
                owner: r.owner.clone(),
                rtype: r.rtype,
                class: r.class,
                ttl: r.ttl,
                rdatas: vec![r.rdata.clone()],
                sigs: Vec::new(),
            }),
        }
    }
    for r in records.iter().filter(|r| r.rtype == RType::RRSIG) {
        let covered = r.rrsig_covered().unwrap_or(RType(0));
        match out.iter_mut().find(|s| s.rtype == covered && s.owner == r.owner) {
            Some(s) => {
                if !s.sigs.contains(&r.rdata) {
                    s.sigs.push(r.rdata.clone());
                }
            }
            None => match out.iter_mut().find(|s| s.rtype == RType::RRSIG && s.owner == r.owner) {
                Some(s) => s.rdatas.push(r.rdata.clone()),
                None => out.push(RRset::new(r.owner.clone(), RType::RRSIG, r.ttl, vec![r.rdata.clone()])),
            },
        }
    }
    out
}
