//! Answering a question from one zone: the algorithm of RFC 1034 §4.3.2 with wildcards
//! (RFC 4592), DNAME (RFC 6672 §3), minimal ANY (RFC 8482 §4.1), negative answers
//! (RFC 2308 §3), DS at delegations (RFC 4035 §3.1.4.1) and the DNSSEC proofs of
//! RFC 4035 §3.1.3 (NSEC) and RFC 5155 §7.2 (NSEC3).
//!
//! The answer is written straight into a [`MessageWriter`]; the only working state is
//! on the stack, so answering allocates nothing.
//!
//! # Limitations
//! CNAME and DNAME chains are followed inside this zone only (as Knot DNS and NSD do);
//! a chain that leaves the zone ends there and the resolver continues it.

use super::{Node, NodeKind, RRset, Zone};
use smallvec::SmallVec;
use tern_shared::wire::name::label_starts;
use tern_shared::wire::writer::{Full, Section};
use tern_shared::wire::{rcode, Class, MessageWriter, RType};

/// RFC 1034 §3.6.2 says chains should be short; this bounds work per query.
pub const MAX_CHAIN: usize = 12;

/// What the writer should do with the header after answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answered {
    /// The rcode to set (NOERROR, NXDOMAIN or YXDOMAIN).
    pub rcode: u16,
    /// Whether AA applies (false for pure referrals).
    pub authoritative: bool,
    /// Whether required data did not fit (TC=1).
    pub truncated: bool,
}

/// A name on the stack: wire bytes, case preserved.
#[derive(Clone, Copy)]
struct NameBuf {
    buf: [u8; 255],
    len: usize,
}

impl NameBuf {
    fn from(wire: &[u8]) -> NameBuf {
        let mut b = NameBuf { buf: [0; 255], len: wire.len().min(255) };
        b.buf[..b.len].copy_from_slice(&wire[..b.len]);
        b
    }
    fn get(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// Where a name falls in the zone tree.
enum Find<'z> {
    /// At or below a delegation point (the cut node).
    Cut(&'z Node),
    /// Below a DNAME owner.
    Dname(&'z Node),
    /// The name exists.
    Exact(&'z Node),
    /// The name does not exist, but `*.ce` does (RFC 4592 §3.3.1).
    Wild { ce: &'z Node, wild: &'z Node },
    /// The name does not exist; `ce` is the closest encloser.
    Nx { ce: &'z Node },
}

impl Zone {
    /// Walks from the apex down to `name` (which must be at or below the apex).
    fn find(&self, name: &[u8], qtype: RType) -> Find<'_> {
        let mut offs = [0u8; 128];
        let n = label_starts(name, &mut offs);
        let apex_labels = self.origin.label_count();
        let mut ce = self.apex();
        for k in (apex_labels + 1)..=n {
            let suffix = &name[offs[n - k] as usize..];
            let Some(node) = self.node(suffix) else {
                let mut wild = [0u8; 255];
                let cw = ce.name.wire();
                if cw.len() + 2 <= 255 {
                    wild[0] = 1;
                    wild[1] = b'*';
                    wild[2..2 + cw.len()].copy_from_slice(cw);
                    if let Some(w) = self.node(&wild[..2 + cw.len()]) {
                        return Find::Wild { ce, wild: w };
                    }
                }
                return Find::Nx { ce };
            };
            let at_name = k == n;
            match node.kind {
                NodeKind::Cut if !(at_name && qtype == RType::DS) => return Find::Cut(node),
                NodeKind::Glue | NodeKind::Occluded => {
                    // Unreachable in a consistent zone: the cut or DNAME above stops the walk.
                }
                _ => {}
            }
            if !at_name && node.rrset(RType::DNAME).is_some() {
                return Find::Dname(node);
            }
            ce = node;
        }
        Find::Exact(ce)
    }
}

/// Writes the answer to `qname`/`qtype` from `zone` into `w`, whose question is already
/// written. `dnssec` is true when the client set DO and the zone is signed.
pub fn answer(zone: &Zone, qname: &[u8], qtype: RType, dnssec: bool, w: &mut MessageWriter<'_>) -> Answered {
    let mut a = Answering { zone, dnssec, auth: SmallVec::new(), addl: SmallVec::new(), truncated: false, at_question: false };
    let (rcode, authoritative) = a.walk(qname, qtype, w);
    a.finish(w);
    Answered { rcode, authoritative, truncated: a.truncated }
}

/// Working state of one answer: what goes into authority and additional once the
/// answer section is complete.
struct Answering<'z> {
    zone: &'z Zone,
    dnssec: bool,
    /// (owner, RRset, TTL override) for the authority section.
    auth: SmallVec<[(&'z [u8], &'z RRset, Option<u32>); 8]>,
    /// (owner, RRset, required) for the additional section.
    addl: SmallVec<[(&'z [u8], &'z RRset, bool); 8]>,
    truncated: bool,
    /// True while answering the question name itself (the first step of a chain).
    at_question: bool,
}

impl<'z> Answering<'z> {
    fn walk(&mut self, qname: &[u8], qtype: RType, w: &mut MessageWriter<'_>) -> (u16, bool) {
        let zone = self.zone;
        let mut cur = NameBuf::from(qname);
        for step in 0..MAX_CHAIN {
            if step > 0 && !in_zone(cur.get(), zone.origin.wire()) {
                return (rcode::NOERROR, true);
            }
            // The first step answers at the question name itself (exact or wildcard):
            // its RRsets can be copied ready-made (see `put_answer_at_question`).
            self.at_question = step == 0;
            match zone.find(cur.get(), qtype) {
                Find::Cut(cut) => {
                    self.referral(cut);
                    return (rcode::NOERROR, step > 0);
                }
                Find::Dname(node) => {
                    let dname = node.rrset(RType::DNAME).expect("Find::Dname has one");
                    if self.put_answer(w, node.name.wire(), dname).is_err() {
                        return (rcode::NOERROR, true);
                    }
                    // RFC 6672 §2.2: replace the owner suffix with the target.
                    let target = &dname.rdatas[0];
                    let keep = cur.len - node.name.wire_len();
                    if keep + target.len() > 255 {
                        return (rcode::YXDOMAIN, true);
                    }
                    let mut next = NameBuf { buf: [0; 255], len: keep + target.len() };
                    next.buf[..keep].copy_from_slice(&cur.get()[..keep]);
                    next.buf[keep..next.len].copy_from_slice(target);
                    // The synthesized CNAME is unsigned; its TTL is the DNAME's (RFC 6672 §3.4).
                    if w.record_raw(Section::Answer, cur.get(), RType::CNAME, Class::IN, dname.ttl, next.get()).is_err() {
                        self.truncated = true;
                        return (rcode::NOERROR, true);
                    }
                    cur = next;
                }
                Find::Exact(node) => match self.at_node(w, cur.get(), node, qtype, None) {
                    Step::Done(rc) => return (rc, true),
                    Step::Follow(target) => cur = target,
                },
                Find::Wild { ce, wild } => match self.at_node(w, cur.get(), wild, qtype, Some(ce)) {
                    Step::Done(rc) => return (rc, true),
                    Step::Follow(target) => cur = target,
                },
                Find::Nx { ce } => {
                    self.negative();
                    if self.dnssec {
                        self.prove_nxdomain(cur.get(), ce);
                    }
                    return (rcode::NXDOMAIN, true);
                }
            }
        }
        (rcode::NOERROR, true)
    }

    /// Answers at an existing node (or a wildcard standing in for `owner`).
    fn at_node(&mut self, w: &mut MessageWriter<'_>, owner: &[u8], node: &'z Node, qtype: RType, wild_ce: Option<&'z Node>) -> Step {
        if let Some(cname) = node.rrset(RType::CNAME) {
            if qtype != RType::CNAME && qtype != RType::ANY && !(qtype == RType::RRSIG) {
                if self.put_answer(w, owner, cname).is_err() {
                    return Step::Done(rcode::NOERROR);
                }
                if let Some(ce) = wild_ce {
                    self.prove_wildcard_answer(owner, ce);
                }
                return Step::Follow(NameBuf::from(&cname.rdatas[0]));
            }
        }
        if qtype == RType::ANY {
            // RFC 8482 §4.1: one RRset is a complete answer to ANY.
            if let Some(set) = node.rrsets.iter().find(|s| !s.rtype.is_dnssec()).or(node.rrsets.first()) {
                if self.put_answer(w, owner, set).is_ok() {
                    self.additional_for(set);
                    if let Some(ce) = wild_ce {
                        self.prove_wildcard_answer(owner, ce);
                    }
                }
                return Step::Done(rcode::NOERROR);
            }
        } else if qtype == RType::RRSIG {
            let mut any = false;
            for set in &node.rrsets {
                for sig in &set.sigs {
                    any = true;
                    if w.record_raw(Section::Answer, owner, RType::RRSIG, Class::IN, set.ttl, sig).is_err() {
                        self.truncated = true;
                        return Step::Done(rcode::NOERROR);
                    }
                }
            }
            if any {
                return Step::Done(rcode::NOERROR);
            }
        } else if let Some(set) = node.rrset(qtype) {
            // Ready-made records carry RDATA names uncompressed, so types whose names
            // the writer compresses take the general path (responses stay as small).
            let put = if self.at_question && !MessageWriter::compresses_rdata(set.rtype) {
                self.put_answer_at_question(w, owner, node, set)
            } else {
                self.put_answer(w, owner, set)
            };
            if put.is_ok() {
                self.additional_for(set);
                if let Some(ce) = wild_ce {
                    self.prove_wildcard_answer(owner, ce);
                }
            }
            return Step::Done(rcode::NOERROR);
        }
        // NODATA (RFC 2308 §2.2).
        self.negative();
        if self.dnssec {
            match wild_ce {
                Some(ce) => self.prove_wildcard_nodata(owner, ce, node),
                None => self.prove_nodata(node),
            }
        }
        Step::Done(rcode::NOERROR)
    }

    /// Writes an RRset (with RRSIGs when DO) to the answer section; on overflow marks
    /// the response truncated. At the question name the snapshot's ready-made records
    /// are copied in one piece.
    fn put_answer(&mut self, w: &mut MessageWriter<'_>, owner: &[u8], set: &RRset) -> Result<(), Full> {
        let r = put_set(w, Section::Answer, owner, set, self.dnssec, None);
        if r.is_err() {
            self.truncated = true;
        }
        r
    }

    /// [`put_answer`](Self::put_answer) for an RRset of `node` answered at the question name.
    fn put_answer_at_question(&mut self, w: &mut MessageWriter<'_>, owner: &[u8], node: &Node, set: &RRset) -> Result<(), Full> {
        let Some(ws) = node.rrsets.iter().position(|s| std::ptr::eq(s, set)).and_then(|i| node.wire.get(i)) else {
            return self.put_answer(w, owner, set);
        };
        let r = if self.dnssec {
            w.append_records(Section::Answer, &ws.bytes, ws.data_count + ws.sig_count)
        } else {
            w.append_records(Section::Answer, &ws.bytes[..ws.data_len], ws.data_count)
        };
        if r.is_err() {
            self.truncated = true;
        }
        r
    }

    fn negative(&mut self) {
        let apex = self.zone.apex();
        let soa = apex.rrset(RType::SOA).expect("checked at load");
        self.push_auth(apex.name.wire(), soa, Some(self.zone.negative_ttl));
    }

    fn push_auth(&mut self, owner: &'z [u8], set: &'z RRset, ttl: Option<u32>) {
        if !self.auth.iter().any(|(_, s, _)| std::ptr::eq(*s, set)) {
            self.auth.push((owner, set, ttl));
        }
    }

    fn referral(&mut self, cut: &'z Node) {
        let ns = cut.rrset(RType::NS).expect("a cut has NS");
        self.push_auth(cut.name.wire(), ns, None);
        if self.dnssec {
            match cut.rrset(RType::DS) {
                Some(ds) => self.push_auth(cut.name.wire(), ds, None),
                None => self.prove_no_ds(cut),
            }
        }
        for rd in &ns.rdatas {
            let required = in_zone(rd, cut.name.wire());
            if let Some(n) = self.zone.node(rd) {
                for t in [RType::A, RType::AAAA] {
                    if let Some(set) = n.rrset(t) {
                        self.addl.push((n.name.wire(), set, required));
                    }
                }
            }
        }
    }

    /// Address records for the names an answer RRset points to (RFC 1035 §3.3.9, §6.3.1).
    fn additional_for(&mut self, set: &'z RRset) {
        let off = match set.rtype {
            RType::NS => 0,
            RType::MX => 2,
            RType::SRV => 6,
            _ => return,
        };
        for rd in &set.rdatas {
            let Some(target) = rd.get(off..) else { continue };
            if !in_zone(target, self.zone.origin.wire()) {
                continue;
            }
            if let Some(n) = self.zone.node(target) {
                if n.kind == NodeKind::Occluded {
                    continue;
                }
                for t in [RType::A, RType::AAAA] {
                    if let Some(s) = n.rrset(t) {
                        if self.addl.len() < 16 {
                            self.addl.push((n.name.wire(), s, false));
                        }
                    }
                }
            }
        }
    }

    // ---- DNSSEC proofs (RFC 4035 §3.1.3, RFC 5155 §7.2) ----

    fn push_nsec_node(&mut self, node: &'z Node) {
        if let Some(nsec) = node.rrset(RType::NSEC) {
            self.push_auth(node.name.wire(), nsec, Some(nsec.ttl.min(self.zone.negative_ttl)));
        }
    }

    fn push_nsec_for(&mut self, name: &[u8]) {
        if let Some(node) = self.zone.nsec_for(name) {
            self.push_nsec_node(node);
        }
    }

    fn push_nsec3(&mut self, e: &'z super::Nsec3Entry) {
        let ttl = e.rrset.ttl.min(self.zone.negative_ttl);
        self.push_auth(e.owner.wire(), &e.rrset, Some(ttl));
    }

    fn nsec3_matching(&mut self, name: &[u8]) -> bool {
        let Some(chain) = &self.zone.nsec3 else { return false };
        match chain.matching(&chain.hash(name)) {
            Some(e) => {
                self.push_nsec3(e);
                true
            }
            None => false,
        }
    }

    fn nsec3_covering(&mut self, name: &[u8]) {
        let Some(chain) = &self.zone.nsec3 else { return };
        if let Some(e) = chain.covering(&chain.hash(name)) {
            self.push_nsec3(e);
        }
    }

    /// NXDOMAIN: the name does not exist and no wildcard could have matched.
    fn prove_nxdomain(&mut self, name: &[u8], ce: &'z Node) {
        let wild = wildcard_of(ce.name.wire());
        if self.zone.nsec3.is_some() {
            // RFC 5155 §7.2.2: closest encloser, next closer, wildcard at the encloser.
            self.nsec3_matching(ce.name.wire());
            self.nsec3_covering(next_closer(name, ce.name.wire()));
            if let Some(wild) = wild {
                self.nsec3_covering(wild.get());
            }
        } else {
            // RFC 4035 §3.1.3.2: the name is covered, and so is the wildcard.
            self.push_nsec_for(name);
            if let Some(wild) = wild {
                self.push_nsec_for(wild.get());
            }
        }
    }

    /// NODATA at an existing name (RFC 4035 §3.1.3.1, RFC 5155 §7.2.3-7.2.4).
    fn prove_nodata(&mut self, node: &'z Node) {
        if self.zone.nsec3.is_some() {
            if !self.nsec3_matching(node.name.wire()) {
                // RFC 5155 §7.2.4: DS at an opt-out delegation without its own NSEC3.
                self.prove_closest_provable(node.name.wire());
            }
        } else if node.rrset(RType::NSEC).is_some() {
            self.push_nsec_node(node);
        } else {
            // Empty non-terminal: the NSEC of the previous name proves it has no data.
            self.push_nsec_for(node.name.wire());
        }
    }

    /// A wildcard answer needs proof that the query name itself does not exist
    /// (RFC 4035 §3.1.3.3, RFC 5155 §7.2.6).
    fn prove_wildcard_answer(&mut self, name: &[u8], ce: &'z Node) {
        if !self.dnssec {
            return;
        }
        if self.zone.nsec3.is_some() {
            self.nsec3_covering(next_closer(name, ce.name.wire()));
        } else {
            self.push_nsec_for(name);
        }
    }

    /// Wildcard NODATA (RFC 4035 §3.1.3.4, RFC 5155 §7.2.5).
    fn prove_wildcard_nodata(&mut self, name: &[u8], ce: &'z Node, wild: &'z Node) {
        if self.zone.nsec3.is_some() {
            self.nsec3_matching(ce.name.wire());
            self.nsec3_covering(next_closer(name, ce.name.wire()));
            self.nsec3_matching(wild.name.wire());
        } else {
            self.push_nsec_for(name);
            self.push_nsec_node(wild);
        }
    }

    /// Unsigned delegation: prove there is no DS (RFC 4035 §3.1.4.1, RFC 5155 §7.2.7).
    fn prove_no_ds(&mut self, cut: &'z Node) {
        if self.zone.nsec3.is_some() {
            if !self.nsec3_matching(cut.name.wire()) {
                self.prove_closest_provable(cut.name.wire());
            }
        } else {
            self.push_nsec_node(cut);
        }
    }

    /// RFC 5155 §7.2.1 closest provable encloser proof for `name`, for names covered
    /// by an opt-out span.
    fn prove_closest_provable(&mut self, name: &[u8]) {
        let Some(chain) = &self.zone.nsec3 else { return };
        let mut offs = [0u8; 128];
        let n = label_starts(name, &mut offs);
        for i in 1..n {
            let anc = &name[offs[i] as usize..];
            if chain.matching(&chain.hash(anc)).is_some() {
                self.nsec3_matching(anc);
                self.nsec3_covering(&name[offs[i - 1] as usize..]);
                return;
            }
            if anc.len() < self.zone.origin.wire_len() {
                return;
            }
        }
    }

    /// Writes the authority and additional sections.
    fn finish(&mut self, w: &mut MessageWriter<'_>) {
        for &(owner, set, ttl) in &self.auth {
            if put_set(w, Section::Authority, owner, set, self.dnssec, ttl).is_err() {
                self.truncated = true;
                return;
            }
        }
        for &(owner, set, required) in &self.addl {
            // Glue is served without signatures: it is not authoritative (RFC 4035 §3.1.4).
            let sigs = self.dnssec && !required && self.zone.node(owner).is_some_and(|n| n.kind == NodeKind::Auth);
            if put_set(w, Section::Additional, owner, set, sigs, None).is_err() {
                if required {
                    // RFC 9471 §3: in-domain glue that does not fit sets TC.
                    self.truncated = true;
                }
                return;
            }
        }
    }
}

enum Step {
    Done(u16),
    Follow(NameBuf),
}

/// Writes one RRset and, if `sigs`, its RRSIGs; all or nothing.
fn put_set(w: &mut MessageWriter<'_>, section: Section, owner: &[u8], set: &RRset, sigs: bool, ttl: Option<u32>) -> Result<(), Full> {
    let mark = w.mark();
    let ttl = ttl.unwrap_or(set.ttl);
    let r = (|| {
        for rd in &set.rdatas {
            w.record_raw(section, owner, set.rtype, Class::IN, ttl, rd)?;
        }
        if sigs {
            for sig in &set.sigs {
                w.record_raw(section, owner, RType::RRSIG, Class::IN, ttl, sig)?;
            }
        }
        Ok(())
    })();
    if r.is_err() {
        w.rollback(mark);
    }
    r
}

/// True if the wire name `name` is at or below `apex` (case-insensitive, label-aligned).
pub fn in_zone(name: &[u8], apex: &[u8]) -> bool {
    if apex.len() > name.len() {
        return false;
    }
    let start = name.len() - apex.len();
    if !name[start..].eq_ignore_ascii_case(apex) {
        return false;
    }
    let mut p = 0;
    while p < start {
        p += 1 + name[p] as usize;
    }
    p == start
}

/// The next closer name: `name` cut to one label more than the closest encloser.
fn next_closer<'n>(name: &'n [u8], ce: &[u8]) -> &'n [u8] {
    let mut offs = [0u8; 128];
    let n = label_starts(name, &mut offs);
    let ce_labels = {
        let mut o = [0u8; 128];
        label_starts(ce, &mut o)
    };
    if n <= ce_labels {
        return name;
    }
    &name[offs[n - ce_labels - 1] as usize..]
}

fn wildcard_of(ce: &[u8]) -> Option<NameBuf> {
    if ce.len() + 2 > 255 {
        return None;
    }
    let mut b = NameBuf { buf: [0; 255], len: ce.len() + 2 };
    b.buf[0] = 1;
    b.buf[1] = b'*';
    b.buf[2..b.len].copy_from_slice(ce);
    Some(b)
}
