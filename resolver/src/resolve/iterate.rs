//! Finding data: the cache, forward zones, and iteration from the closest known
//! delegation (RFC 1034 §5.3.3) with QNAME minimisation (RFC 9156), glueless NS
//! resolution, server selection by SRTT, TCP on truncation (RFC 7766), EDNS fallback
//! (RFC 6891 §7), and caching by trust rank (RFC 2181 §5.4.1).

use super::{Chain, Ctx, Outcome, ResolveError, Resolver, MAX_CHAIN, MAX_DEPTH, MAX_GLUELESS_PER_DELEGATION, MAX_REFERRALS};
use crate::cache::{AnswerKind, Rank, Trust};
use crate::iterator::{classify, Lameness, Response};
use crate::rrset::RRset;
use crate::upstream::{decode, random_id, TransportError};
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;
use tern_shared::config::ip_allowed;
use tern_shared::wire::writer::MessageWriter;
use tern_shared::wire::{flags, rcode, Class, Header, Message, Name, RType};

/// A set of servers for a zone: where to send a question.
#[derive(Debug, Clone)]
pub(super) struct Delegation {
    /// The zone.
    pub zone: Name,
    /// Server names with the addresses known for them.
    pub servers: Vec<(Name, Vec<IpAddr>)>,
    /// Fixed targets with ports (forward zones).
    pub targets: Vec<SocketAddr>,
    /// Ask with RD=1 (a recursive forwarder).
    pub recursive: bool,
    /// True for a forward zone.
    pub forward: bool,
}

/// The address in an A or AAAA RDATA.
fn rdata_ip(rd: &[u8]) -> Option<IpAddr> {
    match rd.len() {
        4 => Some(IpAddr::from(<[u8; 4]>::try_from(rd).ok()?)),
        16 => Some(IpAddr::from(<[u8; 16]>::try_from(rd).ok()?)),
        _ => None,
    }
}

type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

impl Resolver {
    /// Follows the question through CNAME/DNAME chains across responses and zones.
    pub(super) async fn chase(&self, qname: &Name, qtype: RType, ctx: &mut Ctx) -> Result<Chain, ResolveError> {
        let mut answer: Vec<RRset> = Vec::new();
        let mut authority: Vec<RRset> = Vec::new();
        let mut cur = qname.clone();
        let mut seen: Vec<Name> = vec![cur.clone()];
        for _ in 0..MAX_CHAIN {
            if let Some((dname, cname, target)) = self.dname_from_cache(&cur, ctx) {
                for s in [dname, cname] {
                    if !answer.contains(&s) {
                        answer.push(s);
                    }
                }
                if qtype == RType::CNAME {
                    return Ok(Chain { answer, authority, kind: AnswerKind::Positive, last: target });
                }
                if seen.contains(&target) {
                    return Err(ResolveError::Loop(answer));
                }
                seen.push(target.clone());
                cur = target;
                continue;
            }
            if let Some((set, proofs)) = self.secure_from_cache(&cur, qtype, ctx) {
                let follow = set.rtype == RType::CNAME && qtype != RType::CNAME;
                let target = if follow { set.rdatas.first().and_then(|rd| Name::from_wire(rd).ok()) } else { None };
                if !answer.contains(&set) {
                    answer.push(set);
                }
                for p in proofs {
                    if !authority.contains(&p) {
                        authority.push(p);
                    }
                }
                match target {
                    Some(t) => {
                        if seen.contains(&t) {
                            return Err(ResolveError::Loop(answer));
                        }
                        seen.push(t.clone());
                        cur = t;
                        continue;
                    }
                    None => return Ok(Chain { answer, authority, kind: AnswerKind::Positive, last: cur }),
                }
            }
            // The client's own chain is cached once, as the validated answer; only the
            // lookups iteration makes for itself keep their outcomes and RRsets.
            let out = self.lookup_with(&cur, qtype, ctx, false).await?;
            // Walk the chain this outcome gives, starting at `cur`.
            let mut name = cur.clone();
            let mut followed = false;
            for set in &out.answer {
                if !answer.contains(set) {
                    answer.push(set.clone());
                }
                if set.owner == name && set.rtype == RType::CNAME && qtype != RType::CNAME {
                    if let Ok(t) = Name::from_wire(&set.rdatas[0]) {
                        name = t;
                        followed = true;
                    }
                }
            }
            // A CNAME back to a name already on the chain (itself included) is a loop:
            // no answer can be found (RFC 1034 §3.6.2), so SERVFAIL rather than the loop.
            if followed && (name == cur || seen.contains(&name)) {
                return Err(ResolveError::Loop(answer));
            }
            for set in &out.authority {
                if !authority.contains(set) {
                    authority.push(set.clone());
                }
            }
            let reached = qtype == RType::CNAME || out.answer.iter().any(|s| s.owner == name && (s.rtype == qtype || qtype == RType::ANY));
            if out.kind != AnswerKind::Positive || reached || name == cur {
                return Ok(Chain { answer, authority, kind: out.kind, last: name });
            }
            if seen.contains(&name) {
                return Err(ResolveError::Loop(answer));
            }
            seen.push(name.clone());
            cur = name;
        }
        Err(ResolveError::ChainTooLong)
    }

    /// Validated data for `name` already in the RRset cache: the RRset of `qtype` (or a
    /// CNAME) at `name`, or else one synthesised from a cached wildcard with the cached
    /// NSEC/NSEC3 records proving no closer match (RFC 8198 §5.3). Only with aggressive
    /// use on, not on a retry, not for names a forward zone answers.
    fn secure_from_cache(&self, name: &Name, qtype: RType, ctx: &Ctx) -> Option<(RRset, Vec<RRset>)> {
        if ctx.retry || !self.settings.validate || !self.settings.aggressive_nsec || self.forward_for(name).is_some() {
            return None;
        }
        if matches!(qtype, RType::ANY | RType::RRSIG | RType::NSEC | RType::NSEC3 | RType::DS | RType::DNSKEY) {
            return None;
        }
        let now = self.now();
        for t in [qtype, RType::CNAME] {
            if let Some(set) = self.rrsets.get(name, t, now).filter(|e| e.trust == Trust::Secure).and_then(|e| e.aged(now)) {
                return Some((set, Vec::new()));
            }
        }
        self.wildcard_from_cache(name, qtype, now)
    }

    /// RFC 6672 §3.4: a validated DNAME cached at a proper ancestor of `name` redirects
    /// it without asking: the DNAME (TTL aged), the CNAME synthesised from it (same TTL,
    /// unsigned, as §3.1 has servers do) and the target. Not for names a forward zone
    /// answers, nor on a retry after a validation failure, nor when the target would be
    /// too long (the server's YXDOMAIN case, §2.2, is left to the server).
    fn dname_from_cache(&self, name: &Name, ctx: &Ctx) -> Option<(RRset, RRset, Name)> {
        if ctx.retry || self.forward_for(name).is_some() {
            return None;
        }
        let now = self.now();
        for k in (0..name.label_count()).rev() {
            let ancestor = name.suffix(k);
            let Some(e) = self.rrsets.get(&ancestor, RType::DNAME, now) else { continue };
            if e.trust != Trust::Secure {
                return None;
            }
            let dname = e.aged(now)?;
            let target = Name::from_wire(dname.rdatas.first()?).ok()?;
            let new = name.replace_suffix(&ancestor, &target).ok()?;
            let cname = RRset::new(name.clone(), RType::CNAME, dname.ttl, vec![new.wire().into()]);
            return Some((dname, cname, new));
        }
        None
    }

    /// Resolves one name: cached outcome, forward zone or iteration. Boxed, because
    /// iteration needs lookups (NS addresses, DS, DNSKEY) of its own.
    pub(super) fn lookup<'a>(&'a self, qname: &'a Name, qtype: RType, ctx: &'a mut Ctx) -> BoxFut<'a, Result<Arc<Outcome>, ResolveError>> {
        self.lookup_with(qname, qtype, ctx, true)
    }

    /// [`lookup`](Self::lookup); `keep` says whether the outcome and its answer RRsets
    /// go into the outcome and RRset caches (not for a client's chain, which is cached
    /// as its validated answer: one copy, not three).
    pub(super) fn lookup_with<'a>(
        &'a self,
        qname: &'a Name,
        qtype: RType,
        ctx: &'a mut Ctx,
        keep: bool,
    ) -> BoxFut<'a, Result<Arc<Outcome>, ResolveError>> {
        Box::pin(async move {
            let now = self.now();
            let k = crate::cache::key(qname, qtype);
            if let Some(o) = self.outcomes.get(&k).filter(|o| o.expires > now && !ctx.retry) {
                return Ok(o);
            }
            let out = self.iterate_with(qname, qtype, ctx, keep).await?;
            let out = Arc::new(out);
            if keep && out.expires > out.stored {
                self.outcomes.insert(k, out.clone());
            }
            Ok(out)
        })
    }

    /// The forward zone covering `name` (longest match).
    fn forward_for(&self, name: &Name) -> Option<Delegation> {
        let forwards = self.forwards.read().unwrap_or_else(|p| p.into_inner());
        forwards.iter().filter(|f| name.is_subdomain_of(&f.name)).max_by_key(|f| f.name.label_count()).map(|f| Delegation {
            zone: f.name.clone(),
            servers: Vec::new(),
            targets: f.targets.clone(),
            recursive: f.recursive,
            forward: true,
        })
    }

    /// True if some servers of a cached delegation have no address any more (their glue
    /// expired before the NS RRset), so a fresh referral from the parent may help when
    /// the others fail.
    fn stale_glue(deleg: &Delegation) -> bool {
        !deleg.forward && !deleg.zone.is_root() && deleg.servers.iter().any(|(n, a)| a.is_empty() && n.is_subdomain_of(&deleg.zone))
    }

    /// Goes back to the parent of `deleg`'s zone, to be referred down again with fresh
    /// glue (done once per question).
    fn refetch_delegation(&self, deleg: &mut Delegation, seen_zones: &mut Vec<Name>, known: &mut usize) {
        let stale = deleg.zone.clone();
        tracing::debug!(zone = %stale, "servers failed and some lost their glue: asking the parent again");
        seen_zones.retain(|z| *z != stale);
        *deleg = self.closest_delegation(&stale.parent().unwrap_or_else(Name::root), RType::NS);
        if !seen_zones.contains(&deleg.zone) {
            seen_zones.push(deleg.zone.clone());
        }
        *known = deleg.zone.label_count();
    }

    /// The deepest delegation in cache for `qname` (for DS, strictly above it: DS is
    /// served by the parent, RFC 4035 §4.2), else the root hints.
    fn closest_delegation(&self, qname: &Name, qtype: RType) -> Delegation {
        let now = self.now();
        let mut cur = if qtype == RType::DS && !qname.is_root() { qname.parent() } else { Some(qname.clone()) };
        while let Some(z) = cur {
            if let Some(ns) = self.rrsets.get(&z, RType::NS, now).filter(|e| e.trust != Trust::Bogus) {
                let servers: Vec<(Name, Vec<IpAddr>)> = ns
                    .rrset
                    .rdatas
                    .iter()
                    .filter_map(|rd| Name::from_wire(rd).ok())
                    .map(|n| {
                        let addrs = self.cached_addrs(&n, now);
                        (n, addrs)
                    })
                    .collect();
                // A delegation whose servers all lack addresses and live under it cannot
                // be used (no glue): go up.
                let usable = servers.iter().any(|(n, a)| !a.is_empty() || !n.is_subdomain_of(&z));
                if usable {
                    return Delegation { zone: z, servers, targets: Vec::new(), recursive: false, forward: false };
                }
            }
            cur = z.parent();
        }
        Delegation {
            zone: Name::root(),
            servers: self.hints.iter().map(|h| (h.name.clone(), h.addrs.clone())).collect(),
            targets: Vec::new(),
            recursive: false,
            forward: false,
        }
    }

    fn cached_addrs(&self, n: &Name, now: u64) -> Vec<IpAddr> {
        let mut v = Vec::new();
        for t in [RType::A, RType::AAAA] {
            if let Some(e) = self.rrsets.get(n, t, now).filter(|e| e.trust != Trust::Bogus) {
                v.extend(e.rrset.rdatas.iter().filter_map(|rd| rdata_ip(rd)));
            }
        }
        v
    }

    /// True if the RRset cache holds a DNAME (not known bogus) at one of `qname`'s
    /// ancestors with `from..=to` labels.
    fn cached_dname_above(&self, qname: &Name, from: usize, to: usize) -> bool {
        let now = self.now();
        (from..=to.min(qname.label_count().saturating_sub(1)))
            .any(|k| self.rrsets.get(&qname.suffix(k), RType::DNAME, now).is_some_and(|e| e.trust != Trust::Bogus))
    }

    /// Iterates for one name from the closest delegation (or asks its forwarder).
    pub(super) async fn iterate(&self, qname: &Name, qtype: RType, ctx: &mut Ctx) -> Result<Outcome, ResolveError> {
        self.iterate_with(qname, qtype, ctx, true).await
    }

    /// [`iterate`](Self::iterate); `keep` as for [`lookup_with`](Self::lookup_with).
    async fn iterate_with(&self, qname: &Name, qtype: RType, ctx: &mut Ctx, keep: bool) -> Result<Outcome, ResolveError> {
        let mut deleg = match self.forward_for(qname) {
            // DS at a forward zone's apex lives in the parent (RFC 4035 §4.2): iterate for it.
            Some(f) if !(qtype == RType::DS && f.zone == *qname) => f,
            _ => self.closest_delegation(qname, qtype),
        };
        // Labels known to exist without a cut (RFC 9156 §3 "minimised" progress).
        let mut known = deleg.zone.label_count();
        let mut minimise = self.settings.qname_minimisation && !deleg.forward;
        let mut seen_zones: Vec<Name> = vec![deleg.zone.clone()];
        let mut refetched = false;
        for _ in 0..MAX_REFERRALS {
            // RFC 9156 §3: ask one label more than known, until the full name. The QTYPE
            // of a minimised query is the implementation's choice (RFC 9156 §2.1; RFC 7816
            // used NS): we ask NS, as Knot Resolver does, since the step looks for a zone
            // cut, and the §2.3 fallback below covers servers that mishandle it.
            let (ask, ask_type) = match minimise.then(|| crate::iterator::minimised(qname, known + 1)).flatten() {
                Some(n) if n != *qname => (n, RType::NS),
                _ => (qname.clone(), qtype),
            };
            let minimised_step = ask != *qname;
            if minimised_step && self.cached_dname_above(qname, deleg.zone.label_count(), known) {
                // A DNAME met earlier at a name this walk has passed redirects everything
                // below it (RFC 6672 §2.3): no cut can lie under it, so ask the full name,
                // which the DNAME answers.
                minimise = false;
                continue;
            }
            if minimised_step {
                // An intermediate name already known to exist without a cut (RFC 9156
                // §3: cache what minimised queries taught) is not asked again.
                let now = self.now();
                if self.outcomes.get(&crate::cache::key(&ask, ask_type)).is_some_and(|o| o.expires > now && o.kind != AnswerKind::NxDomain)
                {
                    known += 1;
                    continue;
                }
            }
            let (msg, _server) = match self.ask(&mut deleg, &ask, ask_type, ctx).await {
                Ok(x) => x,
                // RFC 9156 §2.3: servers that fail minimised queries get the full name.
                Err(ResolveError::NoReachableAuthority(_)) if minimised_step => {
                    minimise = false;
                    continue;
                }
                // Some servers of a cached delegation have no address any more (their
                // glue expired before the NS RRset) and the others failed: ask the parent
                // again, once, for a fresh referral with fresh glue.
                Err(ResolveError::NoReachableAuthority(_)) if !refetched && Self::stale_glue(&deleg) => {
                    refetched = true;
                    self.refetch_delegation(&mut deleg, &mut seen_zones, &mut known);
                    continue;
                }
                Err(e) => return Err(e),
            };
            let now = self.now();
            let aa = msg.header.has(flags::AA);
            let class = classify(&msg, &deleg.zone, &ask, ask_type, deleg.recursive);
            if minimised_step && matches!(class, Response::Lame(_)) {
                minimise = false;
                continue;
            }
            match class {
                Response::Referral { child, ns, glue, foreign_glue, security } => {
                    if deleg.forward && !deleg.recursive {
                        // A stub zone target delegating further: follow it like iteration.
                    }
                    if seen_zones.contains(&child) {
                        return Err(ResolveError::Referrals(child));
                    }
                    seen_zones.push(child.clone());
                    self.rrsets.put(ns.clone(), Rank::Referral, Trust::Unchecked, now);
                    for g in glue {
                        self.remember_parent_glue(&g, now);
                        self.rrsets.put(g, Rank::Additional, Trust::Unchecked, now);
                    }
                    let (ds, denial): (Vec<RRset>, Vec<RRset>) = security.into_iter().partition(|s| s.rtype == RType::DS);
                    let has_ds = !ds.is_empty();
                    for s in ds {
                        self.rrsets.put(s, Rank::Referral, Trust::Unchecked, now);
                    }
                    // RFC 4035 §3.1.4.1: a signed parent's referral to an unsigned child
                    // carries the NSEC/NSEC3 proving there is no DS. Keep it as the
                    // parent's answer to "child DS" for the validator (which checks it with
                    // the parent's keys) rather than asking the parent again. Clients asking
                    // for the DS still get a full answer (with the SOA) from the parent.
                    if !has_ds && !denial.is_empty() && denial.iter().all(|s| !s.sigs.is_empty()) {
                        let ttl = self.settings.ttl.negative(denial.iter().map(|s| s.ttl).min().unwrap_or(0));
                        if ttl > 0 {
                            let o = Outcome {
                                answer: Vec::new(),
                                authority: denial,
                                kind: AnswerKind::NoData,
                                stored: now,
                                expires: now + ttl as u64,
                            };
                            self.ds_denials.insert(crate::cache::key(&child, RType::DS), Arc::new(o));
                        }
                    }
                    let servers = ns.rdatas.iter().filter_map(|rd| Name::from_wire(rd).ok()).map(|n| {
                        let mut a = self.cached_addrs(&n, now);
                        if !self.settings.harden_glue {
                            // Glue from outside the parent's zone, for this delegation
                            // only: the parent already chose the child's servers, so it
                            // gains nothing by naming their addresses too; the addresses
                            // are not cached as the names' own.
                            for g in foreign_glue.iter().filter(|g| g.owner == n) {
                                a.extend(g.rdatas.iter().filter_map(|rd| rdata_ip(rd)));
                            }
                        }
                        (n, a)
                    });
                    known = child.label_count();
                    deleg = Delegation { zone: child, servers: servers.collect(), targets: Vec::new(), recursive: false, forward: false };
                    continue;
                }
                Response::Lame(_) if !refetched && Self::stale_glue(&deleg) => {
                    refetched = true;
                    self.refetch_delegation(&mut deleg, &mut seen_zones, &mut known);
                    continue;
                }
                Response::Lame(l) => {
                    // `ask` already tried every server; a lame answer from all of them.
                    tracing::debug!(zone = %deleg.zone, ?l, "all servers lame");
                    return Err(ResolveError::NoReachableAuthority(deleg.zone.clone()));
                }
                Response::NxDomain { .. } if ask != *qname => {
                    // RFC 9156 §2.3: a broken server may say NXDOMAIN for an empty
                    // non-terminal; ask the full name instead of trusting it.
                    minimise = false;
                    continue;
                }
                Response::NoData { authority } if ask != *qname => {
                    // A minimised step: the intermediate name exists and is not a cut.
                    // If its NSEC lists a DNAME, everything below is redirected (RFC 6672
                    // §2.3): ask the full name now. (The NSEC only steers which query is
                    // sent next; it is validated where the answer is.)
                    if authority.iter().any(|s| {
                        s.rtype == RType::NSEC
                            && s.owner == ask
                            && s.rdatas.first().is_some_and(|rd| {
                                tern_shared::wire::name::wire_name_len(rd)
                                    .is_some_and(|l| tern_shared::wire::rdata::bitmap_has(&rd[l..], RType::DNAME))
                            })
                    }) {
                        minimise = false;
                    }
                    // A NODATA without a SOA cannot be cached (RFC 2308 §5) and says little
                    // about the name; it is the kind of reply §2.3 of RFC 9156 falls back
                    // from: the server answered for the name, so ask it the full name.
                    if !authority.iter().any(|s| s.rtype == RType::SOA) {
                        minimise = false;
                    }
                    let o = self.outcome(Vec::new(), authority, AnswerKind::NoData, now);
                    if o.expires > o.stored {
                        self.outcomes.insert(crate::cache::key(&ask, ask_type), Arc::new(o));
                    }
                    known += 1;
                    continue;
                }
                Response::Answer { answer, authority, aa, .. } if ask != *qname => {
                    let rank = if aa { Rank::AnswerAuth } else { Rank::AnswerNonAuth };
                    // A DNAME at the intermediate name redirects everything below it
                    // (RFC 6672 §2.3): ask the full name, which the DNAME will answer.
                    if answer.iter().any(|s| s.rtype == RType::DNAME && s.owner == ask) {
                        minimise = false;
                    }
                    for set in &answer {
                        self.rrsets.put(set.clone(), rank, Trust::Unchecked, now);
                    }
                    let o = self.outcome(answer, authority, AnswerKind::Positive, now);
                    if o.expires > o.stored {
                        self.outcomes.insert(crate::cache::key(&ask, ask_type), Arc::new(o));
                    }
                    known += 1;
                    continue;
                }
                Response::Answer { answer, authority, nxdomain, yxdomain, aa: _ } => {
                    let rank = if aa { Rank::AnswerAuth } else { Rank::AnswerNonAuth };
                    // Data iteration may need again (addresses, NS, keys, and DNAMEs, which
                    // end minimisation below them) is always kept.
                    for s in answer.iter().filter(|s| keep || matches!(s.rtype, RType::NS | RType::DS | RType::DNSKEY | RType::DNAME)) {
                        self.rrsets.put(s.clone(), rank, Trust::Unchecked, now);
                    }
                    let kind = match (nxdomain, yxdomain) {
                        (_, true) => AnswerKind::YxDomain,
                        (true, _) => AnswerKind::NxDomain,
                        _ => AnswerKind::Positive,
                    };
                    return Ok(self.outcome(answer, authority, kind, now));
                }
                Response::NxDomain { authority } => return Ok(self.outcome(Vec::new(), authority, AnswerKind::NxDomain, now)),
                Response::NoData { authority } => return Ok(self.outcome(Vec::new(), authority, AnswerKind::NoData, now)),
            }
        }
        Err(ResolveError::Referrals(deleg.zone))
    }

    fn outcome(&self, answer: Vec<RRset>, mut authority: Vec<RRset>, kind: AnswerKind, now: u64) -> Outcome {
        // The zone's NS RRset is kept for non-minimal negative answers only.
        if self.settings.minimal_responses || !matches!(kind, AnswerKind::NxDomain | AnswerKind::NoData) {
            authority.retain(|s| s.rtype != RType::NS);
        }
        let mut ttl = answer.iter().map(|s| s.ttl).min().unwrap_or(u32::MAX);
        if !matches!(kind, AnswerKind::Positive | AnswerKind::YxDomain) {
            let neg = authority
                .iter()
                .find(|s| s.rtype == RType::SOA)
                .map(|s| s.ttl.min(tern_shared::wire::record::soa_minimum(&s.rdatas[0]).unwrap_or(0)))
                .unwrap_or(0);
            ttl = self.settings.ttl.negative(ttl.min(neg));
        } else {
            ttl = self.settings.ttl.positive(ttl);
        }
        Outcome { answer, authority, kind, stored: now, expires: now + ttl as u64 }
    }

    /// Asks the servers of `deleg` one question, trying them in SRTT order, handling
    /// timeouts, truncation (TCP), EDNS fallback and error rcodes. Returns the first
    /// usable reply and the server it came from. When every server with a known address
    /// fails, the addresses of the zone's other (glueless) NS names are looked up and
    /// tried too, within the NXNS limits ([`MAX_GLUELESS_PER_DELEGATION`], [`MAX_DEPTH`]).
    async fn ask(&self, deleg: &mut Delegation, qname: &Name, qtype: RType, ctx: &mut Ctx) -> Result<(Message, SocketAddr), ResolveError> {
        let mut looked_up: Vec<Name> = Vec::new();
        let mut targets: Vec<SocketAddr> = if deleg.forward {
            deleg.targets.clone()
        } else {
            let known = self.known_addrs(deleg);
            if known.is_empty() {
                match self.glueless_addrs(deleg, ctx, &mut looked_up, &[]).await {
                    Ok(found) if !found.is_empty() => found,
                    // The NS names would not resolve: parent-side glue, if any, is all there is.
                    failed => match self.parent_glue_addrs(deleg, &[]) {
                        glue if !glue.is_empty() => glue,
                        _ => failed?,
                    },
                }
            } else if ctx.retry && known.iter().all(|t| ctx.avoid.contains(&t.ip())) {
                // Every known address gave the data that failed validation: look for the
                // zone's other servers first, keeping the known ones as the last resort.
                let mut more = self.glueless_addrs(deleg, ctx, &mut looked_up, &known).await.unwrap_or_default();
                more.extend(known);
                more
            } else {
                known
            }
        };
        let mut tried: Vec<SocketAddr> = Vec::new();
        let mut last_lame: Option<(Message, SocketAddr)> = None;
        loop {
            self.order_targets(&mut targets, deleg.forward);
            // On a retry after a validation failure, the servers that answered the first
            // time are asked last.
            if !ctx.avoid.is_empty() {
                targets.sort_by_key(|t| ctx.avoid.contains(&t.ip()));
            }
            for _round in 0..2 {
                for &server in &targets {
                    if ctx.queries_left == 0 {
                        return Err(ResolveError::Budget);
                    }
                    if self.now_ms() > ctx.deadline_ms {
                        return Err(ResolveError::Timeout);
                    }
                    match self.exchange(server, qname, qtype, deleg.recursive, ctx).await {
                        Ok(msg) => {
                            let rc = msg.rcode();
                            if rc == rcode::NOERROR || rc == rcode::NXDOMAIN || rc == rcode::YXDOMAIN {
                                // A reply that classifies as lame is tried against other
                                // servers; YXDOMAIN counts only with its DNAME (RFC 6672 §2.2).
                                match classify(&msg, &deleg.zone, qname, qtype, deleg.recursive) {
                                    Response::Lame(Lameness::BadReferral | Lameness::Empty | Lameness::Rcode(_)) => {
                                        last_lame = Some((msg, server));
                                        continue;
                                    }
                                    _ => return Ok((msg, server)),
                                }
                            }
                            last_lame = Some((msg, server));
                        }
                        Err(TransportError::Timeout) => continue,
                        Err(_) => continue,
                    }
                }
                // Servers that answered (badly) are not asked the same again.
                if last_lame.is_some() {
                    break;
                }
            }
            tried.extend(targets.iter().copied());
            if deleg.forward {
                break;
            }
            // Parent-side glue the child's own address records replaced comes first,
            // then NS names with no address at all.
            let parent_side = self.parent_glue_addrs(deleg, &tried);
            if !parent_side.is_empty() {
                targets = parent_side;
                continue;
            }
            targets = match self.glueless_addrs(deleg, ctx, &mut looked_up, &tried).await {
                Ok(more) if !more.is_empty() => more,
                _ => {
                    // Those lookups may have met the parent-side glue of the NS names
                    // (their own zone's referral) where the child gave other, failing
                    // addresses: try that before giving up.
                    let learned = self.parent_glue_addrs(deleg, &tried);
                    if learned.is_empty() {
                        break;
                    }
                    learned
                }
            };
        }
        last_lame.ok_or_else(|| ResolveError::NoReachableAuthority(deleg.zone.clone()))
    }

    /// Puts targets in the order to try them: by smoothed RTT (with random tie-breaks
    /// among unknown servers when iterating; stable for forward targets).
    fn order_targets(&self, targets: &mut Vec<SocketAddr>, forward: bool) {
        let ips: Vec<IpAddr> = targets.iter().map(|s| s.ip()).collect();
        if forward {
            let order = self.servers.order(&ips, self.now_ms(), 0);
            targets.sort_by_key(|t| order.iter().position(|ip| *ip == t.ip()));
        } else {
            *targets = self
                .servers
                .order(&ips, self.now_ms(), random_id() as u64)
                .into_iter()
                .map(|ip| SocketAddr::new(ip, self.settings.upstream_port))
                .collect();
        }
    }

    /// Whether an upstream address may be queried. `do_not_query` filters addresses
    /// learned from the network (glue, NS address lookups); the root hints and forward
    /// targets the operator configured are always used, even when the priming answer
    /// repeats them as glue.
    fn address_allowed(&self, deleg: &Delegation, ip: &IpAddr) -> bool {
        let configured = deleg.forward || self.hints.iter().any(|h| h.addrs.contains(ip));
        configured || ((self.settings.upstream_ipv6 || ip.is_ipv4()) && !ip_allowed(&self.settings.do_not_query, *ip))
    }

    /// Keeps a referral's glue as parent-side addresses of its owner (see
    /// `Resolver::parent_glue`).
    fn remember_parent_glue(&self, glue: &RRset, now: u64) {
        let addrs = glue.rdatas.iter().filter_map(|rd| match rd.len() {
            4 => Some(IpAddr::from(<[u8; 4]>::try_from(&rd[..]).expect("4"))),
            16 => Some(IpAddr::from(<[u8; 16]>::try_from(&rd[..]).expect("16"))),
            _ => None,
        });
        let k = crate::cache::key(&glue.owner, RType::A);
        let expires = now + self.settings.ttl.positive(glue.ttl) as u64;
        let mut list: Vec<IpAddr> = self.parent_glue.get(&k).filter(|e| e.1 > now).map(|e| e.0.clone()).unwrap_or_default();
        for a in addrs {
            if !list.contains(&a) {
                list.push(a);
            }
        }
        self.parent_glue.insert(k, Arc::new((list, expires)));
    }

    /// Parent-side glue addresses of `deleg`'s servers not in `exclude`.
    fn parent_glue_addrs(&self, deleg: &Delegation, exclude: &[SocketAddr]) -> Vec<SocketAddr> {
        let now = self.now();
        deleg
            .servers
            .iter()
            .filter_map(|(n, _)| self.parent_glue.get(&crate::cache::key(n, RType::A)).filter(|e| e.1 > now))
            .flat_map(|e| e.0.clone())
            .filter(|ip| self.address_allowed(deleg, ip))
            .map(|ip| SocketAddr::new(ip, self.settings.upstream_port))
            .filter(|a| !exclude.contains(a))
            .collect()
    }

    /// The addresses already known for a delegation's servers (glue, cache, hints).
    fn known_addrs(&self, deleg: &Delegation) -> Vec<SocketAddr> {
        deleg
            .servers
            .iter()
            .flat_map(|(_, a)| a.iter().copied())
            .filter(|ip| self.address_allowed(deleg, ip))
            .map(|ip| SocketAddr::new(ip, self.settings.upstream_port))
            .collect()
    }

    /// Looks up the addresses of NS names that have none yet (glueless), one name at a
    /// time until one yields addresses not in `exclude`; at most
    /// [`MAX_GLUELESS_PER_DELEGATION`] names per delegation (`looked_up` counts them),
    /// at most [`MAX_DEPTH`] deep (NXNS, CVE-2020-12662).
    async fn glueless_addrs(
        &self,
        deleg: &mut Delegation,
        ctx: &mut Ctx,
        looked_up: &mut Vec<Name>,
        exclude: &[SocketAddr],
    ) -> Result<Vec<SocketAddr>, ResolveError> {
        if ctx.depth >= MAX_DEPTH {
            return Err(ResolveError::Budget);
        }
        let names: Vec<Name> = deleg.servers.iter().filter(|(_, a)| a.is_empty()).map(|(n, _)| n.clone()).collect();
        for n in names {
            // A name under the zone itself with no glue cannot be resolved through it.
            if n.is_subdomain_of(&deleg.zone) || looked_up.contains(&n) {
                continue;
            }
            if looked_up.len() >= MAX_GLUELESS_PER_DELEGATION {
                break;
            }
            looked_up.push(n.clone());
            ctx.depth += 1;
            let mut addrs = Vec::new();
            let families: &[RType] = if self.settings.upstream_ipv6 { &[RType::A, RType::AAAA] } else { &[RType::A] };
            for &t in families {
                if let Ok(o) = self.lookup(&n, t, ctx).await {
                    for s in o.answer.iter().filter(|s| s.rtype == t) {
                        for rd in &s.rdatas {
                            match rd.len() {
                                4 => addrs.push(IpAddr::from(<[u8; 4]>::try_from(&rd[..]).expect("4"))),
                                16 => addrs.push(IpAddr::from(<[u8; 16]>::try_from(&rd[..]).expect("16"))),
                                _ => {}
                            }
                        }
                    }
                }
                if !addrs.is_empty() {
                    break;
                }
            }
            ctx.depth -= 1;
            if let Some(entry) = deleg.servers.iter_mut().find(|(x, _)| *x == n) {
                entry.1 = addrs.clone();
            }
            let out: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|ip| self.address_allowed(deleg, ip))
                .map(|ip| SocketAddr::new(ip, self.settings.upstream_port))
                .filter(|a| !exclude.contains(a))
                .collect();
            if !out.is_empty() {
                return Ok(out);
            }
        }
        if exclude.is_empty() {
            return Err(ResolveError::NoReachableAuthority(deleg.zone.clone()));
        }
        Ok(Vec::new())
    }

    /// One exchange with one server: random ID, EDNS with DO (or none for servers that
    /// choke on it), TCP when the UDP reply is truncated.
    async fn exchange(
        &self,
        server: SocketAddr,
        qname: &Name,
        qtype: RType,
        recursive: bool,
        ctx: &mut Ctx,
    ) -> Result<Message, TransportError> {
        let stats = self.servers.get(server.ip());
        let no_edns = stats.no_edns;
        let timeout = self.servers.timeout_for(server.ip(), std::time::Duration::from_millis(200), self.settings.query_timeout);
        // Servers that truncated recently are asked over TCP straight away.
        let mut tcp = stats.tcp_until > self.now_ms();
        let mut edns = !no_edns;
        for _attempt in 0..3 {
            ctx.queries_left = ctx.queries_left.saturating_sub(1);
            self.counters.upstream_queries.fetch_add(1, Ordering::Relaxed);
            let id = random_id();
            let mut f = 0u16;
            if recursive {
                // We validate ourselves: ask the forwarder not to (RFC 4035 §3.2.2).
                f |= flags::RD | flags::CD;
            }
            let mut buf = Vec::with_capacity(512);
            let mut w = MessageWriter::new(&mut buf, 512, Header { id, flags: f, ..Default::default() });
            let _ = w.question(qname.wire(), qtype, Class::IN);
            if edns {
                w.opt(self.settings.udp_payload, 0, true, None);
            }
            w.finish();
            let started = Instant::now();
            let sent = buf.clone();
            let res = self.transport.exchange(server, buf, tcp, if tcp { timeout * 2 } else { timeout }).await;
            let now_ms = self.now_ms();
            let raw = match res {
                Ok(r) => r,
                Err(TransportError::Timeout) => {
                    self.counters.upstream_timeouts.fetch_add(1, Ordering::Relaxed);
                    self.servers.timeout(server.ip(), timeout, now_ms);
                    return Err(TransportError::Timeout);
                }
                Err(e) => {
                    self.servers.timeout(server.ip(), timeout, now_ms);
                    return Err(e);
                }
            };
            self.servers.reply(server.ip(), started.elapsed(), now_ms);
            if !ctx.used.contains(&server.ip()) {
                ctx.used.push(server.ip());
            }
            // RFC 5452 §9.1, whatever the transport: our ID and our question, or nothing.
            if !crate::upstream::matches_query(&sent, &raw) {
                return Err(TransportError::Malformed("reply does not match the query (ID or question)".into()));
            }
            let msg = match decode(&raw) {
                Ok(m) => m,
                Err(e) => {
                    if !tcp && raw.len() >= 4 && raw[2] & 0x02 != 0 {
                        // Truncated and cut short: retry over TCP.
                        tcp = true;
                        continue;
                    }
                    return Err(e);
                }
            };
            if msg.header.has(flags::TC) && !tcp {
                self.servers.set_truncates(server.ip(), now_ms);
                tcp = true;
                continue;
            }
            if edns && (msg.rcode() == rcode::FORMERR || msg.rcode() == rcode::NOTIMP) && msg.edns.is_none() {
                // RFC 6891 §7: a server that does not know EDNS; ask it plainly from now on.
                self.servers.set_no_edns(server.ip(), now_ms);
                edns = false;
                continue;
            }
            return Ok(msg);
        }
        Err(TransportError::Malformed("retries exhausted".into()))
    }
}
