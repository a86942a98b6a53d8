//! Response policy: answers tern-resolver gives from its own configuration instead of
//! resolving, checked right after admission and before the caches (so a reload takes
//! effect at once, even for names already cached).
//!
//! - Local data (`policy.local_data`): records in master-file syntax served as they are,
//!   like Unbound's `local-data` in a transparent zone: a name with local data answers
//!   NODATA for the types it lacks, every other name resolves normally. A and AAAA
//!   records get the matching reverse PTR (`policy.local_data_ptr`), as hosts files do.
//! - Rules (`[[policy.rule]]`), tried in order, the first match decides: `deny`
//!   (NXDOMAIN with a synthesised SOA so stubs cache it negatively, RFC 2308 §3),
//!   `refuse` (REFUSED), `servfail`, `drop` (no reply), `truncate` (TC=1 over UDP, so
//!   the client retries over TCP, where the rule does not apply; RFC 7766 §5) and `pass`
//!   (resolve normally and stop looking at rules). Blocked answers carry the Extended
//!   DNS Error "Blocked" (RFC 8914 §4.16).
//!
//! Rules match names exactly, by suffix (also from blocklist files), by regular
//! expression over the presentation form, or every name.
//!
//! Matching lowercases the question name into a stack buffer and looks each of its
//! suffixes up in hash sets; pattern rules read the presentation form, also written on
//! the stack: no allocation per query.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use tern_shared::config::ConfigError;
use tern_shared::wire::query::QueryView;
use tern_shared::wire::{ede, flags, rcode, Class, Header, MessageWriter, Name, RType, Section};

/// What a matching rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// NXDOMAIN, authoritative, with a synthesised SOA and EDE 15.
    Deny,
    /// REFUSED with EDE 15.
    Refuse,
    /// SERVFAIL with EDE 15.
    Servfail,
    /// No reply at all.
    Drop,
    /// TC=1 and nothing else over UDP; resolved normally over TCP.
    Truncate,
    /// Resolve normally; later rules are not consulted.
    Pass,
}

impl Action {
    /// Parses the configuration spelling.
    pub fn parse(s: &str) -> Option<Action> {
        Some(match s {
            "deny" => Action::Deny,
            "refuse" => Action::Refuse,
            "servfail" => Action::Servfail,
            "drop" => Action::Drop,
            "truncate" => Action::Truncate,
            "pass" => Action::Pass,
            _ => return None,
        })
    }

    /// The configuration spelling (also the metric label).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Deny => "deny",
            Action::Refuse => "refuse",
            Action::Servfail => "servfail",
            Action::Drop => "drop",
            Action::Truncate => "truncate",
            Action::Pass => "pass",
        }
    }
}

/// One rule: which names, and what to do with them.
#[derive(Debug, Clone)]
pub struct Rule {
    /// What to do.
    pub action: Action,
    /// Every name.
    all: bool,
    /// These names exactly (lowercased wire form).
    names: HashSet<Box<[u8]>>,
    /// These names and every name below them (lowercased wire form).
    suffixes: HashSet<Box<[u8]>>,
    /// Names whose lowercased presentation form (with the final dot) matches.
    pattern: Option<regex::bytes::Regex>,
}

impl Rule {
    /// A rule matching every name.
    pub fn all(action: Action) -> Rule {
        Rule { action, all: true, names: HashSet::new(), suffixes: HashSet::new(), pattern: None }
    }

    /// A rule matching `names` exactly and everything at or below `suffixes`.
    pub fn names(action: Action, names: &[Name], suffixes: &[Name]) -> Rule {
        let key = |n: &Name| n.to_lowercase().wire().to_vec().into_boxed_slice();
        Rule { action, all: false, names: names.iter().map(key).collect(), suffixes: suffixes.iter().map(key).collect(), pattern: None }
    }

    /// The same rule, also matching names whose lowercased presentation form (with the
    /// final dot) matches any of `patterns` (regular expressions).
    pub fn with_patterns(mut self, patterns: &[String]) -> Result<Rule, regex::Error> {
        if !patterns.is_empty() {
            let joined = patterns.iter().map(|p| format!("(?:{p})")).collect::<Vec<_>>().join("|");
            self.pattern = Some(regex::bytes::Regex::new(&joined)?);
        }
        Ok(self)
    }

    /// Where in `lower` (a lowercased wire name, `text` its presentation form) the rule
    /// matches: the offset of the matching suffix (0 for an exact name or a pattern), or
    /// `None`.
    fn matches(&self, lower: &[u8], text: &[u8]) -> Option<usize> {
        if self.all {
            return Some(lower.len() - 1);
        }
        if self.names.contains(lower) {
            return Some(0);
        }
        if !self.suffixes.is_empty() {
            let mut off = 0;
            loop {
                if self.suffixes.contains(&lower[off..]) {
                    return Some(off);
                }
                let len = lower[off] as usize;
                if len == 0 {
                    break;
                }
                off += 1 + len;
            }
        }
        self.pattern.as_ref().filter(|p| p.is_match(text)).map(|_| 0)
    }
}

/// A name's presentation form built on the stack, for pattern rules.
struct Presentation {
    buf: [u8; 1024],
    len: usize,
}

impl std::fmt::Write for Presentation {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Records of one type at a local-data name.
#[derive(Debug, Clone)]
struct LocalSet {
    rtype: RType,
    ttl: u32,
    rdatas: Vec<Box<[u8]>>,
}

/// The whole policy: local data and rules. Built from the configuration (see
/// [`crate::config::PolicySpec`]) and swapped whole on reload.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Local data by lowercased wire name.
    local: HashMap<Box<[u8]>, Vec<LocalSet>>,
    /// Rules in order.
    rules: Vec<Rule>,
    /// TTL of the SOA in `deny` answers (its minimum too).
    negative_ttl: u32,
    /// Address rewriting in answers, first match wins.
    renumber: Vec<(ipnet::IpNet, IpAddr)>,
}

/// What [`Policy::respond`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No policy applies: resolve.
    Resolve,
    /// The response is in `out`.
    Reply,
    /// Send nothing.
    Drop,
}

impl Policy {
    /// An empty policy (every query resolved).
    pub fn new(negative_ttl: u32) -> Policy {
        Policy { negative_ttl, ..Default::default() }
    }

    /// True when nothing is configured (the server then skips the lookup entirely).
    pub fn is_empty(&self) -> bool {
        self.local.is_empty() && self.rules.is_empty()
    }

    /// Answers with addresses inside `from` rewritten into `to` (same family), keeping
    /// the host bits.
    pub fn add_renumber(&mut self, from: ipnet::IpNet, to: IpAddr) {
        self.renumber.push((from, to));
    }

    /// The local data of type `qtype` at `name` as an answer at `now`, if there is any
    /// (a local name without that type is NODATA, as [`respond`](Self::respond) answers).
    /// For answers the server builds itself, such as DNS64's PTR mapping.
    pub fn local_answer(&self, name: &Name, qtype: RType, now: u64) -> Option<crate::cache::Answer> {
        let sets = self.local.get(name.to_lowercase().wire())?;
        let answer: Vec<crate::rrset::RRset> = sets
            .iter()
            .filter(|s| s.rtype == qtype)
            .map(|s| crate::rrset::RRset::new(name.clone(), s.rtype, s.ttl, s.rdatas.clone()))
            .collect();
        let ttl = answer.iter().map(|s| s.ttl).min().unwrap_or(self.negative_ttl);
        Some(crate::cache::Answer {
            kind: if answer.is_empty() { crate::cache::AnswerKind::NoData } else { crate::cache::AnswerKind::Positive },
            rcode: rcode::NOERROR,
            answer,
            authority: Vec::new(),
            security: crate::validator::Security::Insecure(crate::validator::InsecureReason::Synthesized),
            ede: None,
            stored: now,
            expires: now + u64::from(ttl),
            stale_until: 0,
        })
    }

    /// The renumbering entries, in order.
    pub fn renumbers(&self) -> &[(ipnet::IpNet, IpAddr)] {
        &self.renumber
    }

    /// `a` with its A and AAAA records renumbered, if any address changed. A rewritten
    /// RRset loses its RRSIGs (they cannot verify any more), and the answer its AD:
    /// it is the resolver's own data now, like a DNS64 synthesis.
    pub fn renumbered(&self, a: &crate::cache::Answer) -> Option<crate::cache::Answer> {
        if self.renumber.is_empty() || !a.answer.iter().any(|s| matches!(s.rtype, RType::A | RType::AAAA)) {
            return None;
        }
        let mut changed = false;
        let answer = a
            .answer
            .iter()
            .map(|s| {
                if !matches!(s.rtype, RType::A | RType::AAAA) {
                    return s.clone();
                }
                let rdatas: Vec<Box<[u8]>> = s.rdatas.iter().map(|rd| self.renumber_rdata(rd).unwrap_or_else(|| rd.clone())).collect();
                if rdatas == s.rdatas {
                    return s.clone();
                }
                changed = true;
                crate::rrset::RRset::new(s.owner.clone(), s.rtype, s.ttl, rdatas)
            })
            .collect();
        changed.then(|| crate::cache::Answer {
            answer,
            security: crate::validator::Security::Insecure(crate::validator::InsecureReason::Synthesized),
            ..a.clone()
        })
    }

    fn renumber_rdata(&self, rd: &[u8]) -> Option<Box<[u8]>> {
        let ip = match rd.len() {
            4 => IpAddr::from(<[u8; 4]>::try_from(rd).ok()?),
            16 => IpAddr::from(<[u8; 16]>::try_from(rd).ok()?),
            _ => return None,
        };
        let (from, to) = self.renumber.iter().find(|(from, _)| from.contains(&ip))?;
        Some(match (ip, to, from.hostmask()) {
            (IpAddr::V4(ip), IpAddr::V4(to), IpAddr::V4(host)) => {
                let h = u32::from(host);
                Box::from(((u32::from(*to) & !h) | (u32::from(ip) & h)).to_be_bytes())
            }
            (IpAddr::V6(ip), IpAddr::V6(to), IpAddr::V6(host)) => {
                let h = u128::from(host);
                Box::from(((u128::from(*to) & !h) | (u128::from(ip) & h)).to_be_bytes())
            }
            _ => return None,
        })
    }

    /// How many rules there are.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// Adds a rule after the existing ones.
    pub fn push_rule(&mut self, rule: Rule) {
        self.rules.push(rule);
    }

    /// Adds one local record. With `ptr`, an A or AAAA record also gets the reverse PTR
    /// (RFC 1035 §3.5, RFC 3596 §2.5) unless that name already has local data or an
    /// earlier record gave it one.
    pub fn add_local(&mut self, owner: &Name, rtype: RType, ttl: u32, rdata: &[u8], ptr: bool) {
        self.insert_local(owner, rtype, ttl, rdata);
        if !ptr {
            return;
        }
        let ip = match (rtype, rdata.len()) {
            (RType::A, 4) => IpAddr::from(<[u8; 4]>::try_from(rdata).unwrap()),
            (RType::AAAA, 16) => IpAddr::from(<[u8; 16]>::try_from(rdata).unwrap()),
            _ => return,
        };
        let rev = reverse_name(ip);
        let key = rev.to_lowercase().wire().to_vec().into_boxed_slice();
        if !self.local.contains_key(&key) {
            self.insert_local(&rev, RType::PTR, ttl, owner.wire());
        }
    }

    fn insert_local(&mut self, owner: &Name, rtype: RType, ttl: u32, rdata: &[u8]) {
        let sets = self.local.entry(owner.to_lowercase().wire().to_vec().into_boxed_slice()).or_default();
        match sets.iter_mut().find(|s| s.rtype == rtype) {
            Some(s) => {
                s.ttl = s.ttl.min(ttl);
                if !s.rdatas.iter().any(|r| &r[..] == rdata) {
                    s.rdatas.push(rdata.into());
                }
            }
            None => sets.push(LocalSet { rtype, ttl, rdatas: vec![rdata.into()] }),
        }
    }

    /// Applies the policy to `q`; writes the response into `out` when it returns
    /// [`Verdict::Reply`]. `udp` says whether the query came over UDP (for `truncate`).
    /// Returns the action taken, for counting, beside the verdict.
    pub fn respond(&self, q: &QueryView<'_>, udp: bool, out: &mut Vec<u8>) -> (Verdict, Option<&'static str>) {
        let mut buf = [0u8; 255];
        let n = q.qname.len().min(255);
        buf[..n].copy_from_slice(&q.qname[..n]);
        buf[..n].make_ascii_lowercase();
        let lower = &buf[..n];
        if let Some(sets) = self.local.get(lower) {
            write_local(q, sets, out);
            return (Verdict::Reply, Some("local"));
        }
        // Pattern rules read the presentation form, built on the stack only when one exists.
        let mut store;
        let text: &[u8] = if self.rules.iter().any(|r| r.pattern.is_some()) {
            store = Presentation { buf: [0; 1024], len: 0 };
            let _ = tern_shared::wire::name::write_presentation(lower, &mut store);
            &store.buf[..store.len]
        } else {
            &[]
        };
        for rule in &self.rules {
            let Some(off) = rule.matches(lower, text) else { continue };
            let v = match rule.action {
                Action::Pass => Verdict::Resolve,
                Action::Drop => Verdict::Drop,
                Action::Truncate if !udp => Verdict::Resolve,
                Action::Truncate => {
                    write_blocked(q, rcode::NOERROR, None, true, None, out);
                    Verdict::Reply
                }
                Action::Deny => {
                    write_blocked(q, rcode::NXDOMAIN, Some((&q.qname[off..], self.negative_ttl)), false, Some(ede::BLOCKED), out);
                    Verdict::Reply
                }
                Action::Refuse => {
                    write_blocked(q, rcode::REFUSED, None, false, Some(ede::BLOCKED), out);
                    Verdict::Reply
                }
                Action::Servfail => {
                    write_blocked(q, rcode::SERVFAIL, None, false, Some(ede::BLOCKED), out);
                    Verdict::Reply
                }
            };
            return (v, Some(rule.action.as_str()));
        }
        (Verdict::Resolve, None)
    }
}

/// The reverse-mapping name of `ip` under in-addr.arpa (RFC 1035 §3.5) or ip6.arpa
/// (RFC 3596 §2.5).
pub fn reverse_name(ip: IpAddr) -> Name {
    let text = match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.in-addr.arpa.", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => {
            let mut s = String::with_capacity(73);
            for b in v6.octets().iter().rev() {
                s.push_str(&format!("{:x}.{:x}.", b & 0xf, b >> 4));
            }
            s.push_str("ip6.arpa.");
            s
        }
    };
    Name::parse(&text, None).expect("reverse names are valid")
}

fn header(q: &QueryView<'_>, extra: u16) -> Header {
    Header {
        id: q.header.id,
        flags: flags::QR | flags::RA | extra | (q.header.flags & (0x7800 | flags::RD | flags::CD)),
        ..Default::default()
    }
}

fn write_local(q: &QueryView<'_>, sets: &[LocalSet], out: &mut Vec<u8>) {
    let mut w = MessageWriter::new(out, 65535, header(q, 0));
    let _ = w.question(q.qname, q.qtype, Class::IN);
    let want = |t: RType| q.qtype == RType::ANY || t == q.qtype;
    let chosen: Vec<&LocalSet> = if sets.iter().any(|s| want(s.rtype)) {
        sets.iter().filter(|s| want(s.rtype)).collect()
    } else {
        // A CNAME stands for the name whatever the type asked (RFC 1034 §3.6.2).
        sets.iter().filter(|s| s.rtype == RType::CNAME).collect()
    };
    for s in chosen {
        for rd in &s.rdatas {
            let _ = w.record_raw(Section::Answer, q.qname, s.rtype, Class::IN, s.ttl, rd);
        }
    }
    w.set_rcode(rcode::NOERROR);
    if let Some(e) = q.edns {
        w.opt(1232, rcode::NOERROR, e.dnssec_ok(), None);
    }
    w.finish();
}

fn write_blocked(q: &QueryView<'_>, rc: u16, soa: Option<(&[u8], u32)>, tc: bool, ede_code: Option<u16>, out: &mut Vec<u8>) {
    let aa = if rc == rcode::NXDOMAIN { flags::AA } else { 0 };
    let mut w = MessageWriter::new(out, 65535, header(q, aa));
    let _ = w.question(q.qname, q.qtype, Class::IN);
    if tc {
        w.set_truncated();
    }
    if let Some((owner, ttl)) = soa {
        // MNAME and RNAME say where the answer came from; serial 1, then refresh,
        // retry, expire, and the negative TTL as minimum (RFC 2308 §4).
        let mut rd = Vec::with_capacity(48);
        rd.extend_from_slice(b"\x09localhost\x00");
        rd.extend_from_slice(b"\x06nobody\x07invalid\x00");
        for v in [1u32, 3600, 1200, 604800, ttl] {
            rd.extend_from_slice(&v.to_be_bytes());
        }
        let _ = w.record_raw(Section::Authority, owner, RType::SOA, Class::IN, ttl, &rd);
    }
    w.set_rcode(rc);
    if let Some(e) = q.edns {
        w.opt(1232, rc, e.dnssec_ok(), ede_code.map(|c| (c, "blocked by policy")));
    }
    w.finish();
}

/// Names in a hosts file that are the host's own, never blocklist entries.
const HOSTS_LOCAL: &[&str] = &["localhost", "localhost.localdomain", "local", "broadcasthost", "ip6-localhost", "ip6-loopback"];

/// Reads a blocklist: one name per line, or hosts-file lines (an address, then names);
/// `#` starts a comment. Errors read `file:line: reason`.
pub fn read_name_file(path: &std::path::Path) -> Result<Vec<Name>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut names = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(first) = words.first() else { continue };
        let hosts = first.parse::<IpAddr>().is_ok();
        if !hosts && words.len() > 1 {
            return Err(format!("{}:{}: one name per line (or an address and names, as in a hosts file)", path.display(), i + 1));
        }
        let list: Vec<&str> = if hosts {
            words[1..].iter().copied().filter(|w| !HOSTS_LOCAL.contains(&w.to_ascii_lowercase().as_str())).collect()
        } else {
            words
        };
        for w in list {
            let n = Name::parse(w, Some(&Name::root())).map_err(|e| format!("{}:{}: {w:?}: {e}", path.display(), i + 1))?;
            names.push(n);
        }
    }
    Ok(names)
}

/// Builds the policy from `[policy]` (the names in errors are the configuration keys);
/// relative blocklist paths are taken from `base`.
pub fn build(spec: &crate::config::PolicySpec, base: &std::path::Path) -> Result<Policy, ConfigError> {
    let ttl = tern_shared::config::parse_duration(&spec.ttl).map_err(|r| ConfigError::new("policy.ttl", r))?.as_secs();
    let ttl = u32::try_from(ttl).ok().filter(|t| *t <= 86400).ok_or_else(|| ConfigError::new("policy.ttl", "must be at most 1d"))?;
    let mut p = Policy::new(ttl);
    for (i, text) in spec.local_data.iter().enumerate() {
        let key = format!("policy.local_data[{i}]");
        let entries = tern_shared::zonefile::parse_str(text, &key, &Name::root(), Some(ttl))
            .map_err(|e| ConfigError::new(key.clone(), format!("{text:?}: {}", e.kind)))?;
        if entries.len() != 1 {
            return Err(ConfigError::new(key, format!("{text:?}: must hold exactly one record")));
        }
        let r = &entries[0].record;
        if r.class != Class::IN {
            return Err(ConfigError::new(key, format!("{text:?}: only class IN is served")));
        }
        if matches!(r.rtype, RType::SOA | RType::NS | RType::OPT | RType::RRSIG | RType::NSEC | RType::NSEC3 | RType::DNAME) {
            return Err(ConfigError::new(key, format!("{text:?}: type {} cannot be local data", r.rtype)));
        }
        p.add_local(&r.owner, r.rtype, r.ttl, &r.rdata, spec.local_data_ptr);
    }
    for sets in p.local.values() {
        if sets.len() > 1 && sets.iter().any(|s| s.rtype == RType::CNAME) {
            return Err(ConfigError::new("policy.local_data", "a name with a CNAME can have no other data (RFC 1034 §3.6.2)"));
        }
    }
    for (i, r) in spec.rule.iter().enumerate() {
        let key = format!("policy.rule[{i}]");
        let action = Action::parse(&r.action).ok_or_else(|| {
            ConfigError::new(format!("{key}.action"), format!("{:?} is not one of deny, refuse, servfail, drop, truncate, pass", r.action))
        })?;
        let parse = |field: &str, list: &[String]| {
            list.iter()
                .enumerate()
                .map(|(j, n)| {
                    Name::parse(n, Some(&Name::root())).map_err(|e| ConfigError::new(format!("{key}.{field}[{j}]"), format!("{n:?}: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let names = parse("name", &r.name)?;
        let mut suffixes = parse("suffix", &r.suffix)?;
        for (j, f) in r.suffix_files.iter().enumerate() {
            suffixes.extend(read_name_file(&base.join(f)).map_err(|e| ConfigError::new(format!("{key}.suffix_files[{j}]"), e))?);
        }
        for (j, pat) in r.pattern.iter().enumerate() {
            regex::bytes::Regex::new(pat).map_err(|e| ConfigError::new(format!("{key}.pattern[{j}]"), format!("{pat:?}: {e}")))?;
        }
        let rule = match (r.all, names.is_empty() && suffixes.is_empty() && r.pattern.is_empty()) {
            (true, true) => Rule::all(action),
            (true, false) => return Err(ConfigError::new(key, "`all = true` cannot be combined with `name`, `suffix` or `pattern`")),
            (false, true) if !r.suffix_files.is_empty() => Rule::names(action, &[], &[]),
            (false, true) => return Err(ConfigError::new(key, "needs `name`, `suffix`, `suffix_files`, `pattern` or `all = true`")),
            (false, false) => Rule::names(action, &names, &suffixes)
                .with_patterns(&r.pattern)
                .map_err(|e| ConfigError::new(format!("{key}.pattern"), e.to_string()))?,
        };
        p.push_rule(rule);
    }
    for (i, r) in spec.renumber.iter().enumerate() {
        let key = format!("policy.renumber[{i}]");
        let from: ipnet::IpNet = r
            .from
            .parse()
            .map_err(|_| ConfigError::new(format!("{key}.from"), format!("{:?} is not a prefix such as 10.0.0.0/24", r.from)))?;
        let to: IpAddr = r.to.parse().map_err(|_| ConfigError::new(format!("{key}.to"), format!("{:?} is not an address", r.to)))?;
        if from.addr().is_ipv4() != to.is_ipv4() {
            return Err(ConfigError::new(format!("{key}.to"), format!("{to} is not of the same address family as {from}")));
        }
        p.add_renumber(from, to);
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tern_shared::wire::Message;

    fn query(name: &str, qtype: RType, edns: bool) -> Vec<u8> {
        let n = Name::parse(name, None).unwrap();
        let mut out = Vec::new();
        let mut w = MessageWriter::new(&mut out, 65535, Header { id: 7, flags: flags::RD, ..Default::default() });
        w.question(n.wire(), qtype, Class::IN).unwrap();
        if edns {
            w.opt(1232, 0, false, None);
        }
        w.finish();
        out
    }

    fn run(p: &Policy, name: &str, qtype: RType, udp: bool) -> (Verdict, Option<Message>) {
        let pkt = query(name, qtype, true);
        let q = QueryView::parse(&pkt).unwrap();
        let mut out = Vec::new();
        let (v, _) = p.respond(&q, udp, &mut out);
        (v, (v == Verdict::Reply).then(|| Message::parse(&out).unwrap()))
    }

    fn spec(toml_text: &str) -> Result<Policy, ConfigError> {
        let s: crate::config::Spec = toml::from_str(toml_text).unwrap();
        build(&s.policy, std::path::Path::new("."))
    }

    #[test]
    fn first_matching_rule_decides_and_pass_lets_a_name_through() {
        let p = spec(
            r#"
            [[policy.rule]]
            action = "pass"
            name = ["ok.ads.example"]
            [[policy.rule]]
            action = "deny"
            suffix = ["ads.example"]
            "#,
        )
        .unwrap();
        assert_eq!(run(&p, "ok.ads.example.", RType::A, true).0, Verdict::Resolve);
        assert_eq!(run(&p, "example.", RType::A, true).0, Verdict::Resolve);
        assert_eq!(run(&p, "xads.example.", RType::A, true).0, Verdict::Resolve, "a suffix matches whole labels only");
        let (v, m) = run(&p, "Tracker.ADS.example.", RType::A, true);
        assert_eq!(v, Verdict::Reply);
        let m = m.unwrap();
        assert_eq!(m.rcode(), rcode::NXDOMAIN);
        assert!(m.header.has(flags::AA) && m.header.has(flags::RA) && m.header.has(flags::RD));
        assert_eq!(m.authority.len(), 1);
        assert_eq!(m.authority[0].rtype, RType::SOA);
        assert_eq!(m.authority[0].owner.to_lowercase(), Name::parse("ads.example.", None).unwrap());
        assert_eq!(m.edns.as_ref().and_then(|e| e.ede()).map(|(c, _)| c), Some(ede::BLOCKED));
    }

    #[test]
    fn truncate_applies_to_udp_only_and_drop_sends_nothing() {
        let mut p = Policy::new(300);
        p.push_rule(Rule::names(Action::Truncate, &[], &[Name::parse("tc.example.", None).unwrap()]));
        p.push_rule(Rule::all(Action::Drop));
        let (v, m) = run(&p, "www.tc.example.", RType::A, true);
        assert_eq!(v, Verdict::Reply);
        let m = m.unwrap();
        assert!(m.header.has(flags::TC) && m.answers.is_empty() && m.rcode() == rcode::NOERROR);
        assert_eq!(run(&p, "www.tc.example.", RType::A, false).0, Verdict::Resolve);
        assert_eq!(run(&p, "other.", RType::A, true).0, Verdict::Drop);
    }

    #[test]
    fn local_data_answers_its_types_nodata_for_others_and_a_reverse_ptr() {
        let p = spec(
            r#"
            [policy]
            local_data = ["printer.lan. 60 A 192.0.2.7", "printer.lan. AAAA 2001:db8::7", "alias.lan. CNAME printer.lan."]
            "#,
        )
        .unwrap();
        let m = run(&p, "PRINTER.lan.", RType::A, true).1.unwrap();
        assert_eq!(m.rcode(), rcode::NOERROR);
        assert!(!m.header.has(flags::AA));
        assert_eq!(m.answers.len(), 1);
        assert_eq!(&m.answers[0].rdata[..], &[192, 0, 2, 7]);
        assert_eq!(m.answers[0].ttl, 60);
        let m = run(&p, "printer.lan.", RType::MX, true).1.unwrap();
        assert!(m.rcode() == rcode::NOERROR && m.answers.is_empty(), "NODATA for a type the name lacks");
        let m = run(&p, "7.2.0.192.in-addr.arpa.", RType::PTR, true).1.unwrap();
        assert_eq!(Name::from_wire(&m.answers[0].rdata).unwrap(), Name::parse("printer.lan.", None).unwrap());
        let v6 = reverse_name("2001:db8::7".parse().unwrap());
        assert_eq!(v6.to_string(), "7.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.");
        let m = run(&p, &v6.to_string(), RType::PTR, true).1.unwrap();
        assert_eq!(m.answers.len(), 1);
        let m = run(&p, "alias.lan.", RType::A, true).1.unwrap();
        assert_eq!(m.answers[0].rtype, RType::CNAME);
        assert_eq!(run(&p, "other.lan.", RType::A, true).0, Verdict::Resolve);
    }

    #[test]
    fn blocklist_files_take_names_and_hosts_lines_and_report_file_and_line() {
        let dir = std::env::temp_dir().join(format!("tern-policy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("list.txt"),
            "# ads\nads.example\n\n0.0.0.0 tracker.example metrics.example # same line\n127.0.0.1 localhost\n",
        )
        .unwrap();
        std::fs::write(dir.join("bad.txt"), "ok.example\nbad..name\n").unwrap();
        let s: crate::config::Spec = toml::from_str("[[policy.rule]]\naction = \"deny\"\nsuffix_files = [\"list.txt\"]").unwrap();
        let p = build(&s.policy, &dir).unwrap();
        for blocked in ["ads.example.", "x.tracker.example.", "metrics.example."] {
            assert_eq!(run(&p, blocked, RType::A, true).0, Verdict::Reply, "{blocked}");
        }
        assert_eq!(run(&p, "localhost.", RType::A, true).0, Verdict::Resolve, "a hosts file's own names are not blocked");
        let s: crate::config::Spec = toml::from_str("[[policy.rule]]\naction = \"deny\"\nsuffix_files = [\"bad.txt\"]").unwrap();
        let e = build(&s.policy, &dir).unwrap_err().to_string();
        assert!(e.contains("policy.rule[0].suffix_files[0]") && e.contains("bad.txt:2:"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn bad_policy_config_names_the_key() {
        let e = spec("[policy]\nlocal_data = [\"x.lan. A 300.1.1.1\"]").unwrap_err().to_string();
        assert!(e.contains("policy.local_data[0]"), "{e}");
        let e = spec("[[policy.rule]]\naction = \"block\"\nsuffix = [\"a.\"]").unwrap_err().to_string();
        assert!(e.contains("policy.rule[0].action"), "{e}");
        let e = spec("[[policy.rule]]\naction = \"deny\"").unwrap_err().to_string();
        assert!(e.contains("policy.rule[0]") && e.contains("needs"), "{e}");
        let e = spec("[policy]\nlocal_data = [\"a.lan. CNAME b.lan.\", \"a.lan. A 192.0.2.1\"]").unwrap_err().to_string();
        assert!(e.contains("CNAME"), "{e}");
        let e = spec("[[policy.rule]]\naction = \"deny\"\npattern = [\"ok\", \"(unclosed\"]").unwrap_err().to_string();
        assert!(e.contains("policy.rule[0].pattern[1]") && e.contains("(unclosed"), "{e}");
    }

    #[test]
    fn renumbering_rewrites_the_prefix_keeps_the_host_and_drops_signatures() {
        use crate::cache::{Answer, AnswerKind};
        use crate::rrset::RRset;
        let p = spec("[[policy.renumber]]\nfrom = \"10.1.2.0/24\"\nto = \"192.0.2.0\"\n[[policy.renumber]]\nfrom = \"fd00::/64\"\nto = \"2001:db8:1::\"").unwrap();
        let owner: Name = "www.example.".parse().unwrap();
        let mut a4 = RRset::new(owner.clone(), RType::A, 300, vec![Box::from([10, 1, 2, 77]), Box::from([10, 9, 9, 9])]);
        a4.sigs.push(Box::from([0u8; 20]));
        let v6: std::net::Ipv6Addr = "fd00::abcd".parse().unwrap();
        let a6 = RRset::new(owner.clone(), RType::AAAA, 300, vec![Box::from(v6.octets())]);
        let answer = Answer {
            kind: AnswerKind::Positive,
            rcode: 0,
            answer: vec![a4, a6],
            authority: Vec::new(),
            security: crate::validator::Security::Secure,
            ede: None,
            stored: 0,
            expires: 300,
            stale_until: 0,
        };
        let r = p.renumbered(&answer).expect("renumbered");
        assert_eq!(&r.answer[0].rdatas[0][..], &[192, 0, 2, 77], "host bits kept");
        assert_eq!(&r.answer[0].rdatas[1][..], &[10, 9, 9, 9], "outside the prefix: unchanged");
        assert!(r.answer[0].sigs.is_empty(), "a rewritten RRset cannot keep its RRSIGs");
        let want: std::net::Ipv6Addr = "2001:db8:1::abcd".parse().unwrap();
        assert_eq!(&r.answer[1].rdatas[0][..], &want.octets());
        assert!(!r.security.is_secure(), "no AD for rewritten data");
        // Nothing inside a prefix: nothing to rewrite.
        let other = Answer { answer: vec![RRset::new(owner, RType::A, 300, vec![Box::from([198, 51, 100, 1])])], ..answer };
        assert!(p.renumbered(&other).is_none());
        let e = spec("[[policy.renumber]]\nfrom = \"10.0.0.0/8\"\nto = \"2001:db8::\"").unwrap_err().to_string();
        assert!(e.contains("policy.renumber[0].to") && e.contains("family"), "{e}");
        let e = spec("[[policy.renumber]]\nfrom = \"10.0.0.0\"\nto = \"192.0.2.0\"").unwrap_err().to_string();
        assert!(e.contains("policy.renumber[0].from"), "{e}");
    }

    #[test]
    fn pattern_rules_match_the_lowercased_presentation_name() {
        let p = spec("[[policy.rule]]\naction = \"deny\"\npattern = [\"^ads[0-9]+\\\\.\", \"(^|\\\\.)track[a-z]*\\\\.example\\\\.$\"]")
            .unwrap();
        for blocked in ["ads7.example.", "ADS42.other.test.", "x.tracker.example.", "tracking.example."] {
            let (v, m) = run(&p, blocked, RType::A, true);
            assert_eq!(v, Verdict::Reply, "{blocked}");
            assert_eq!(m.unwrap().rcode(), rcode::NXDOMAIN, "{blocked}");
        }
        for allowed in ["ads.example.", "myads1.example.", "tracker.example.com.", "x.tracker.example.org."] {
            assert_eq!(run(&p, allowed, RType::A, true).0, Verdict::Resolve, "{allowed}");
        }
        // Escaped octets are matched as they are written in presentation format.
        let p = spec("[[policy.rule]]\naction = \"refuse\"\npattern = [\"a\\\\\\\\.b\\\\.\"]").unwrap();
        assert_eq!(run(&p, "a\\.b.example.", RType::A, true).0, Verdict::Reply);
        assert_eq!(run(&p, "a.b.example.", RType::A, true).0, Verdict::Resolve);
    }
}
