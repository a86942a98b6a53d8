//! Plays a Deckard scenario against the real resolver core in-process, the way
//! Unbound's testbound replays its `.rpl` files: the resolver's upstream [`Transport`]
//! is the scenario's RANGEs (matched on server address, step number and MATCH rules),
//! its [`Clock`] is the scenario's (`val-override-date`, `TIME_PASSES`), and each STEP
//! QUERY goes through the same admission, cache and resolution path as a UDP client
//! query. Strict like Deckard: an upstream query no RANGE scripts is answered with
//! SERVFAIL and fails the run.

use super::scenario::{Entry, Scenario, StepKind};
use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tern_resolver::config::{ForwardDnssec, ForwardZone};
use tern_resolver::iterator::hints::Hint;
use tern_resolver::resolve::{Clock, Resolver, Settings};
use tern_resolver::server::{Admit, Server, ServerStats};
use tern_resolver::upstream::{Exchange, Transport, TransportError};
use tern_shared::wire::writer::{MessageWriter, Section};
use tern_shared::wire::{flags, rcode, rdata, Class, Header, Message, Name, RType, Record};
use tern_trust_anchors::{Anchor, AnchorSource, NtaSet, TrustAnchors};

/// A clock the scenario sets and moves.
#[derive(Debug)]
pub struct ScenarioClock(AtomicU64);

impl Clock for ScenarioClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// The header flags Deckard compares (`QR AA TC RD RA AD CD`).
const FLAG_WORDS: [(&str, u16); 7] =
    [("QR", flags::QR), ("AA", flags::AA), ("TC", flags::TC), ("RD", flags::RD), ("RA", flags::RA), ("AD", flags::AD), ("CD", flags::CD)];

const RCODE_WORDS: [(&str, u16); 11] = [
    ("NOERROR", 0),
    ("FORMERR", 1),
    ("SERVFAIL", 2),
    ("NXDOMAIN", 3),
    ("NOTIMP", 4),
    ("REFUSED", 5),
    ("YXDOMAIN", 6),
    ("YXRRSET", 7),
    ("NXRRSET", 8),
    ("NOTAUTH", 9),
    ("NOTZONE", 10),
];

const OPCODE_WORDS: [(&str, u8); 5] = [("QUERY", 0), ("IQUERY", 1), ("STATUS", 2), ("NOTIFY", 4), ("UPDATE", 5)];

fn entry_flags(e: &Entry) -> u16 {
    FLAG_WORDS.iter().filter(|(w, _)| e.has(w)).fold(0, |f, (_, b)| f | b)
}

fn entry_rcode(e: &Entry) -> u16 {
    if e.has("BADVERS") {
        return rcode::BADVERS;
    }
    RCODE_WORDS.iter().find(|(w, _)| e.has(w)).map_or(0, |(_, c)| *c)
}

fn entry_opcode(e: &Entry) -> u8 {
    OPCODE_WORDS.iter().find(|(w, _)| e.has(w)).map_or(0, |(_, c)| *c)
}

fn flags_text(f: u16) -> String {
    FLAG_WORDS.iter().filter(|(_, b)| f & b != 0).map(|(w, _)| *w).collect::<Vec<_>>().join(" ")
}

fn rcode_text(rc: u16) -> String {
    RCODE_WORDS.iter().find(|(_, c)| *c == rc).map_or_else(|| format!("RCODE{rc}"), |(w, _)| w.to_string())
}

/// A record as Deckard compares it: owner case-insensitive, TTL ignored, RDATA in
/// canonical form (RFC 4034 §6.2, names in RDATA lowercased).
fn rr_key(r: &Record) -> (Vec<u8>, u16, u16, Vec<u8>) {
    (r.owner.to_lowercase().wire().to_vec(), r.rtype.0, r.class.0, rdata::canonical(r.rtype, &r.rdata).into_owned())
}

fn section_text(rs: &[Record]) -> String {
    if rs.is_empty() {
        return "(empty)".into();
    }
    rs.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(" | ")
}

fn compare_section(name: &str, want: &[Record], got: &[Record]) -> Result<(), String> {
    let w: Vec<_> = want.iter().map(rr_key).collect();
    let g: Vec<_> = got.iter().map(rr_key).collect();
    if w.len() == g.len() && w.iter().all(|x| g.contains(x)) && g.iter().all(|x| w.contains(x)) {
        return Ok(());
    }
    Err(format!("{name}: expected [{}] got [{}]", section_text(want), section_text(got)))
}

fn types_of(rs: &[Record], skip_rrsig: bool) -> BTreeSet<(u16, bool)> {
    rs.iter()
        .filter(|r| !(skip_rrsig && r.rtype == RType::RRSIG))
        .map(|r| match r.rrsig_covered() {
            Some(t) => (t.0, true),
            None => (r.rtype.0, false),
        })
        .collect()
}

/// Checks `got` against the expected entry under its MATCH rules (Deckard's
/// `matchpart`). Used both to pick scripted answers for upstream queries and to check
/// the resolver's answers.
pub fn matches(e: &Entry, got: &Message) -> Result<(), String> {
    let want_q = e.question.first();
    let got_q = got.questions.first();
    for m in &e.matches {
        match m.as_str() {
            "opcode" => {
                if entry_opcode(e) != got.header.opcode() {
                    return Err(format!("opcode: expected {} got {}", entry_opcode(e), got.header.opcode()));
                }
            }
            "qtype" => match (want_q, got_q) {
                (None, None) => {}
                (Some(w), Some(g)) if w.1 == g.qtype => {}
                (w, g) => return Err(format!("qtype: expected {:?} got {:?}", w.map(|w| w.1), g.map(|g| g.qtype))),
            },
            "qname" => match (want_q, got_q) {
                (None, None) => {}
                (Some(w), Some(g)) if w.0.to_lowercase() == g.name.to_lowercase() => {}
                (w, g) => return Err(format!("qname: expected {:?} got {:?}", w.map(|w| w.0.to_string()), g.map(|g| g.name.to_string()))),
            },
            "qcase" => match (want_q, got_q) {
                (None, None) => {}
                (Some(w), Some(g)) if w.0.wire() == g.name.wire() => {}
                (w, g) => return Err(format!("qcase: expected {:?} got {:?}", w.map(|w| w.0.to_string()), g.map(|g| g.name.to_string()))),
            },
            "subdomain" => {
                if let Some(w) = want_q {
                    let name = got_q.map_or_else(Name::root, |g| g.name.clone());
                    if !name.is_subdomain_of(&w.0) {
                        return Err(format!("subdomain: {name} is not under {}", w.0));
                    }
                }
            }
            "flags" => {
                let mask = FLAG_WORDS.iter().fold(0, |f, (_, b)| f | b);
                let (w, g) = (entry_flags(e), got.header.flags & mask);
                if w != g {
                    return Err(format!("flags: expected \"{}\" got \"{}\"", flags_text(w), flags_text(g)));
                }
            }
            "rcode" => {
                let (w, g) = (entry_rcode(e), got.rcode());
                if w != g {
                    return Err(format!("rcode: expected {} got {}", rcode_text(w), rcode_text(g)));
                }
            }
            "answer" => compare_section("answer", &e.sections[0], &got.answers)?,
            "authority" => compare_section("authority", &e.sections[1], &got.authority)?,
            "additional" => compare_section("additional", &e.sections[2], &got.additional)?,
            "answertypes" | "answerrrsigs" => {
                let skip = m == "answertypes";
                let (w, g) = (types_of(&e.sections[0], skip), types_of(&got.answers, skip));
                if w != g {
                    return Err(format!("{m}: expected {w:?} got {g:?}"));
                }
            }
            "edns" => {
                // The expected message has Deckard's default OPT (version 0, 4096).
                match &got.edns {
                    Some(x) if x.version == 0 && x.udp_size == 4096 => {}
                    other => {
                        return Err(format!(
                            "edns: expected version 0 payload 4096, got {:?}",
                            other.as_ref().map(|x| (x.version, x.udp_size))
                        ))
                    }
                }
            }
            "nsid" => {
                if got.edns.as_ref().is_some_and(|x| x.options.iter().any(|(c, _)| *c == 3)) {
                    return Err("nsid: expected none".into());
                }
            }
            other => return Err(format!("MATCH {other} is not implemented by the harness")),
        }
    }
    Ok(())
}

/// Builds the wire form of an entry as a message: Deckard's defaults (EDNS version 0,
/// payload 4096) unless `edns` overrides them with `(payload, do)`.
fn build(e: &Entry, id: u16, question: &[(Name, RType, Class)], edns: Option<(u16, bool)>) -> Vec<u8> {
    let rc = entry_rcode(e);
    let f = entry_flags(e) | ((entry_opcode(e) as u16) << 11) | (rc & 0xf);
    let mut buf = Vec::new();
    let mut w = MessageWriter::new(&mut buf, 65535, Header { id, flags: f, ..Default::default() });
    for (n, t, c) in question {
        let _ = w.question(n.wire(), *t, *c);
    }
    for (i, s) in [Section::Answer, Section::Authority, Section::Additional].into_iter().enumerate() {
        for r in &e.sections[i] {
            let _ = w.record(s, r);
        }
    }
    if let Some((payload, dnssec)) = edns {
        w.opt(payload, rc, dnssec, None);
    }
    w.finish();
    buf
}

/// The scripted network: the scenario's ranges and one-shot REPLY steps.
pub struct ScriptedNet {
    scenario: Arc<Scenario>,
    step: AtomicU32,
    one_shots: Mutex<Vec<(u32, Option<Entry>)>>,
    /// Upstream queries nothing scripted (Deckard answers them SERVFAIL and fails).
    pub unscripted: Mutex<Vec<String>>,
    all_addresses: Vec<IpAddr>,
}

impl ScriptedNet {
    fn new(scenario: Arc<Scenario>) -> ScriptedNet {
        let all_addresses = scenario.ranges.iter().flat_map(|r| r.addresses.iter().copied()).collect();
        let one_shots = scenario.steps.iter().filter(|s| s.kind == StepKind::Reply).map(|s| (s.id, s.entry.clone())).collect();
        ScriptedNet {
            scenario,
            step: AtomicU32::new(0),
            one_shots: Mutex::new(one_shots),
            unscripted: Mutex::new(Vec::new()),
            all_addresses,
        }
    }

    fn answer(&self, server: IpAddr, query: &[u8]) -> Result<Vec<u8>, TransportError> {
        let q = Message::parse(query).map_err(|e| TransportError::Malformed(e.to_string()))?;
        let step = self.step.load(Ordering::SeqCst);
        // Deckard: a query to an address no range names may be answered by any range.
        let addr = self.all_addresses.contains(&server).then_some(server);
        let eligible = self
            .scenario
            .ranges
            .iter()
            .find(|r| r.from <= step && step <= r.to && (addr.is_none() || r.addresses.is_empty() || r.addresses.contains(&server)));
        if std::env::var_os("DECKARD_TRACE").is_some() {
            let qs = q.questions.first().map_or_else(String::new, |x| format!("{} {}", x.name, x.qtype));
            eprintln!("step {step}: upstream query to {server}: {qs} flags {:#06x}", q.header.flags);
        }
        let chosen = match eligible {
            Some(r) => r.entries.iter().find(|e| matches(e, &q).is_ok()).cloned(),
            None => {
                let mut shots = self.one_shots.lock().unwrap();
                shots.iter_mut().filter(|(id, _)| *id >= step).find_map(|(_, e)| {
                    if e.as_ref().is_some_and(|e| matches(e, &q).is_ok()) {
                        e.take()
                    } else {
                        None
                    }
                })
            }
        };
        let Some(e) = chosen else {
            let qs = q.questions.first().map_or_else(|| "(no question)".to_string(), |x| format!("{} {}", x.name, x.qtype));
            self.unscripted.lock().unwrap().push(format!("step {step}: {server} {qs}"));
            let mut buf = Vec::new();
            let mut w =
                MessageWriter::new(&mut buf, 65535, Header { id: q.header.id, flags: flags::QR | rcode::SERVFAIL, ..Default::default() });
            for x in &q.questions {
                let _ = w.question(x.name.wire(), x.qtype, x.qclass);
            }
            w.finish();
            return Ok(buf);
        };
        if e.adjust.contains("do_not_answer") {
            return Err(TransportError::Timeout);
        }
        if let Some(raw) = &e.raw {
            let mut raw = raw.clone();
            if e.adjust.contains("raw_id") && raw.len() >= 2 {
                raw[..2].copy_from_slice(&q.header.id.to_be_bytes());
            }
            return Ok(raw);
        }
        let copy_id = e.adjust.contains("copy_id");
        let copy_query = e.adjust.contains("copy_query");
        let id = if copy_id { q.header.id } else { 0 };
        let mut question = e.question.clone();
        if copy_id {
            if let (Some(first), Some(qq)) = (question.first_mut(), q.questions.first()) {
                first.0 = qq.name.clone();
            }
        }
        if copy_query {
            question = q.questions.iter().map(|x| (x.name.clone(), x.qtype, x.qclass)).collect();
        }
        // With copy_id/copy_query Deckard mirrors the query's EDNS; otherwise the
        // template's (version 0, 4096, DO when REPLY says so).
        let edns = if copy_id || copy_query { q.edns.as_ref().map(|x| (1232, x.dnssec_ok())) } else { Some((4096, e.has("DO"))) };
        Ok(build(&e, id, &question, edns))
    }
}

/// The transport handed to the resolver.
struct Net(Arc<ScriptedNet>);

impl Transport for Net {
    fn exchange(&self, server: SocketAddr, query: Vec<u8>, _tcp: bool, _timeout: Duration) -> Exchange {
        let r = self.0.answer(server.ip(), &query);
        Box::pin(async move { r })
    }
}

/// Outcome of one run of a scenario.
#[derive(Debug)]
pub struct RunResult {
    /// `None` when every CHECK_ANSWER matched and nothing went unscripted.
    pub failure: Option<String>,
}

fn config_value<'a>(sc: &'a Scenario, key: &str) -> Vec<&'a str> {
    sc.config.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
}

fn on(v: &str) -> bool {
    matches!(v.trim().trim_matches('"').to_ascii_lowercase().as_str(), "yes" | "true" | "on" | "1")
}

/// Seconds since the epoch for Deckard's `YYYYMMDDHHMMSS` (UTC).
fn date_secs(s: &str) -> Option<u64> {
    if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |a: usize, b: usize| s[a..b].parse::<u32>().ok();
    let days = rdata::days_from_civil(n(0, 4)? as i64, n(4, 6)?, n(6, 8)?);
    Some(days as u64 * 86400 + n(8, 10)? as u64 * 3600 + n(10, 12)? as u64 * 60 + n(12, 14)? as u64)
}

/// Whether a scenario fixes QNAME minimisation (`Some(on)`) or allows both (`None`).
pub fn fixed_qmin(sc: &Scenario) -> Option<bool> {
    config_value(sc, "query-minimization").first().map(|v| on(v))
}

/// What a scenario's Knot Resolver module settings (`features`, `feature-list`) ask of
/// tern-resolver, mapped onto its own configuration: static hints are `policy.local_data`
/// (with reverse PTRs), `dns64_prefix` is `dns64.prefix`, policy rules are
/// `[[policy.rule]]` (kresd's DROP answers SERVFAIL, so it maps to `servfail`; FORWARD
/// is a recursive forward zone; Lua patterns become `pattern` rules), `renumber_src` and
/// `renumber_dst` are `[[policy.renumber]]`. Settings tern has no counterpart for are
/// left out, and the scenario then fails as listed in known-failures.txt.
#[derive(Default)]
struct Modules {
    policy: Option<tern_resolver::policy::Policy>,
    dns64: Option<tern_resolver::dns64::Dns64>,
    forwards: Vec<ForwardZone>,
}

fn modules(sc: &Scenario) -> Result<Modules, String> {
    use tern_resolver::policy::{Action, Policy, Rule};
    let mut m = Modules::default();
    let mut policy = Policy::new(300);
    let mut hint_name: Option<Name> = None;
    let mut renumber_src: Option<ipnet::IpNet> = None;
    for v in config_value(sc, "features") {
        for item in v.split(';') {
            let Some((k, val)) = item.split_once('=') else { continue };
            let val = val.trim();
            match k.trim() {
                "renumber_src" => renumber_src = Some(val.parse().map_err(|_| format!("renumber_src {val:?}"))?),
                "renumber_dst" => {
                    let from = renumber_src.take().ok_or("renumber_dst before renumber_src")?;
                    policy.add_renumber(from, val.parse().map_err(|_| format!("renumber_dst {val:?}"))?);
                }
                "dns64_prefix" => {
                    let prefix = format!("{val}/96").parse().map_err(|_| format!("dns64_prefix {val:?}"))?;
                    m.dns64 =
                        Some(tern_resolver::dns64::Dns64 { prefix, exclude: vec!["::ffff:0:0/96".parse().unwrap()], clients: Vec::new() });
                }
                "static_hint_name" => {
                    hint_name = Some(Name::parse(val, Some(&Name::root())).map_err(|e| format!("static_hint_name: {e}"))?)
                }
                "static_hint_addr" => {
                    let name = hint_name.clone().ok_or("static_hint_addr before static_hint_name")?;
                    match val.parse::<IpAddr>().map_err(|_| format!("static_hint_addr {val:?}"))? {
                        IpAddr::V4(a) => policy.add_local(&name, RType::A, 300, &a.octets(), true),
                        IpAddr::V6(a) => policy.add_local(&name, RType::AAAA, 300, &a.octets(), true),
                    }
                }
                _ => {}
            }
        }
    }
    for v in config_value(sc, "feature-list") {
        let Some(expr) = v.trim().strip_prefix("policy=policy:add(policy.").and_then(|e| e.strip_suffix(')')) else { continue };
        let Some((kind, args)) = expr.split_once('(') else { continue };
        let quoted = |s: &str| s.split('\'').skip(1).step_by(2).map(str::to_string).collect::<Vec<_>>();
        let action_text = args.split(',').next().unwrap_or("");
        let action = match action_text.trim().trim_end_matches(')') {
            "policy.DENY" => Some(Action::Deny),
            "policy.DROP" => Some(Action::Servfail),
            "policy.TC" => Some(Action::Truncate),
            "policy.PASS" => Some(Action::Pass),
            a if a.starts_with("policy.FORWARD(") => None,
            a => return Err(format!("feature-list: unknown policy action {a:?}")),
        };
        let names: Vec<String> = match kind {
            "all" => Vec::new(),
            // The name list is in braces; suffix_common's last argument only speeds kresd up.
            "suffix" | "suffix_common" => match (args.find('{'), args.find('}')) {
                (Some(a), Some(b)) => quoted(&args[a..b]),
                _ => continue,
            },
            // A pattern that is a whole wire-format name (ending in the root label) can only
            // match at the end of the query name: a suffix. Other Lua patterns over the
            // wire form become `pattern` rules over the presentation form.
            "pattern" => match args.split_once("todname(") {
                Some((_, rest)) => quoted(rest).into_iter().take(1).collect(),
                None => {
                    let lua = quoted(args).into_iter().next().ok_or("feature-list: pattern without a string")?;
                    let re = lua_wire_pattern_to_regex(&lua)?;
                    let a = action.ok_or("feature-list: FORWARD by pattern")?;
                    policy.push_rule(Rule::names(a, &[], &[]).with_patterns(&[re]).map_err(|e| format!("feature-list: {e}"))?);
                    continue;
                }
            },
            _ => continue,
        };
        let names = names
            .iter()
            .map(|n| Name::parse(n, Some(&Name::root())))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("feature-list: {e}"))?;
        match action {
            Some(a) if kind == "all" => policy.push_rule(Rule::all(a)),
            Some(a) => policy.push_rule(Rule::names(a, &[], &names)),
            None => {
                let ip: IpAddr = quoted(action_text).first().and_then(|t| t.parse().ok()).ok_or("feature-list: FORWARD address")?;
                for name in names {
                    m.forwards.push(ForwardZone {
                        name,
                        targets: vec![SocketAddr::new(ip, 53)],
                        recursive: true,
                        dnssec: ForwardDnssec::Validate,
                    });
                }
            }
        }
    }
    m.policy = Some(policy);
    Ok(m)
}

/// Translates a Knot Resolver `policy.pattern` (a Lua pattern over the wire-format name)
/// into a regular expression over the presentation form, for the subset the scenarios
/// use: literal characters, `[...]` classes, `%` escapes, the `* + - ?` repetitions and
/// `\N` length octets. A length octet starts a label: at the start of the pattern it is
/// the start of the name or a dot, later a dot; the label the pattern ends in ends with
/// a dot (the next length octet). The label lengths themselves are not checked.
fn lua_wire_pattern_to_regex(lua: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = lua.chars().peekable();
    let mut in_label = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                if digits.is_empty() {
                    return Err(format!("pattern {lua:?}: only \\N length escapes are mapped"));
                }
                if digits == "0" {
                    // The root label: the name ends here.
                    out.push_str(if out.is_empty() { "^\\.$" } else { "\\.$" });
                    in_label = false;
                    continue;
                }
                out.push_str(if out.is_empty() { "(?:^|\\.)" } else { "\\." });
                in_label = true;
                continue;
            }
            '[' => {
                out.push('[');
                for d in chars.by_ref() {
                    out.push(d);
                    if d == ']' {
                        break;
                    }
                }
            }
            '%' => out.push_str(&regex::escape(&chars.next().map(String::from).unwrap_or_default())),
            '*' | '+' | '?' => out.push(c),
            '-' => out.push_str("*?"),
            '.' => out.push_str("[^.]"),
            '^' if out.is_empty() => out.push('^'),
            other => out.push_str(&regex::escape(&other.to_string())),
        }
    }
    if in_label {
        out.push_str("\\.");
    }
    Ok(out)
}

/// Builds the resolver the scenario's CONFIG describes.
fn resolver(sc: &Scenario, qmin: bool, net: Arc<ScriptedNet>, clock: Arc<ScenarioClock>) -> Result<Resolver, String> {
    let spec = tern_resolver::config::Spec::default();
    let cfg = spec.validate(std::path::Path::new(".")).map_err(|e| e.to_string())?;
    let mut settings = Settings::from_config(&cfg);
    settings.validate = true;
    settings.qname_minimisation = qmin;
    settings.upstream_ipv6 = config_value(sc, "do-ip6").first().is_none_or(|v| on(v));
    settings.harden_glue = config_value(sc, "harden-glue").first().is_none_or(|v| on(v));
    // Knot Resolver, which Deckard runs, passes the zone's NS RRset on with negative
    // answers (RFC 2308 §2.1 type 2); tern does with `server.minimal_responses = false`.
    settings.minimal_responses = false;
    if config_value(sc, "do-not-query-localhost").first().is_none_or(|v| on(v)) {
        settings.do_not_query.push("127.0.0.0/8".parse().unwrap());
        settings.do_not_query.push("::1/128".parse().unwrap());
    }
    for v in config_value(sc, "features") {
        for item in v.split(';') {
            if let Some((k, val)) = item.split_once('=') {
                let secs = val.trim().parse::<u32>().ok();
                match (k.trim(), secs) {
                    ("min_ttl", Some(s)) => settings.ttl.min = s,
                    ("max_ttl", Some(s)) => settings.ttl.max = s,
                    _ => {}
                }
            }
        }
    }
    let mut anchors = TrustAnchors::new();
    for ta in config_value(sc, "trust-anchor") {
        let r = super::scenario::parse_record_text(ta).map_err(|e| format!("trust-anchor {ta:?}: {e}"))?;
        let src = AnchorSource::parse("scenario");
        let a = match r.rtype {
            RType::DS => Anchor::ds(r.owner.clone(), &r.rdata, false, src),
            RType::DNSKEY => Anchor::dnskey(r.owner.clone(), &r.rdata, false, src),
            t => return Err(format!("trust-anchor of type {t}")),
        }
        .map_err(|e| format!("trust-anchor {ta:?}: {e}"))?;
        anchors.add(a);
    }
    let mut ntas = NtaSet::new();
    for d in config_value(sc, "domain-insecure") {
        let n: Name = d.parse().map_err(|e| format!("domain-insecure {d:?}: {e}"))?;
        ntas.add(n, u64::MAX / 2);
    }
    for f in config_value(sc, "forward-addr") {
        let ip: IpAddr = f.parse().map_err(|_| format!("forward-addr {f:?}"))?;
        settings.forward_zones.push(ForwardZone {
            name: Name::root(),
            targets: vec![SocketAddr::new(ip, 53)],
            recursive: true,
            dnssec: ForwardDnssec::Validate,
        });
    }
    settings.forward_zones.extend(modules(sc)?.forwards);
    let stub = config_value(sc, "stub-addr");
    let stub_name = config_value(sc, "stub-name").first().map_or("K.ROOT-SERVERS.NET.", |v| v);
    let hints = if stub.is_empty() {
        // No stub-addr: the resolver's built-in IANA root hints, as Deckard's resolvers use theirs.
        tern_resolver::iterator::hints::builtin()
    } else {
        let addrs = stub.iter().map(|a| a.parse::<IpAddr>().map_err(|_| format!("stub-addr {a:?}"))).collect::<Result<Vec<_>, _>>()?;
        vec![Hint { name: stub_name.parse().map_err(|e| format!("stub-name: {e}"))?, addrs }]
    };
    Ok(Resolver::new(settings, 10_000, hints, anchors, ntas, Arc::new(Net(net)), clock))
}

/// Runs the scenario once with QNAME minimisation `qmin`.
pub fn run(sc: &Arc<Scenario>, qmin: bool) -> RunResult {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async { RunResult { failure: play(sc, qmin).await.err() } })
}

async fn play(sc: &Arc<Scenario>, qmin: bool) -> Result<(), String> {
    let start = match (config_value(sc, "val-override-date").first(), config_value(sc, "val-override-timestamp").first()) {
        (Some(d), _) => date_secs(d).ok_or_else(|| format!("bad val-override-date {d:?}"))?,
        (None, Some(t)) => t.parse().map_err(|_| format!("bad val-override-timestamp {t:?}"))?,
        (None, None) => std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs(),
    };
    let clock = Arc::new(ScenarioClock(AtomicU64::new(start * 1000)));
    let net = Arc::new(ScriptedNet::new(sc.clone()));
    let mut res = resolver(sc, qmin, net.clone(), clock.clone())?;
    res.settings.settle_forward_modes(&res.anchors.read().unwrap());
    let mods = modules(sc)?;
    let server = Server {
        resolver: Arc::new(res),
        allow_from: arc_swap::ArcSwap::from_pointee(vec!["0.0.0.0/0".parse().unwrap(), "::/0".parse().unwrap()]),
        policy: arc_swap::ArcSwap::from_pointee(mods.policy.unwrap_or_default()),
        dns64: arc_swap::ArcSwapOption::new(mods.dns64.map(Arc::new)),
        // Deckard runs Knot Resolver, which answers a client over UDP up to the size the
        // client advertised (4096 here); `server.udp_payload = 4096` is tern's setting
        // for that. Tern's default stays 1232 (DNS Flag Day 2020).
        udp_payload: 4096,
        tcp_idle: Duration::from_secs(10),
        shutdown: Default::default(),
        stats: ServerStats::default(),
    };
    let client: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let mut last: Option<Vec<u8>> = None;
    let mut next_id: u16 = 0x1234;
    for step in &sc.steps {
        net.step.store(step.id, Ordering::SeqCst);
        match &step.kind {
            StepKind::Query => {
                let e = step.entry.as_ref().ok_or_else(|| format!("step {}: QUERY without ENTRY", step.id))?;
                next_id = next_id.wrapping_mul(31).wrapping_add(7);
                let packet = match &e.raw {
                    Some(raw) => raw.clone(),
                    None => build(e, next_id, &e.question, Some((4096, e.has("DO")))),
                };
                let mut out = Vec::new();
                let reply = match server.admit(&packet, client, &mut out, true) {
                    Admit::Reply => Some(out),
                    Admit::Drop => None,
                    Admit::Resolve(q) => {
                        let limit = tern_resolver::server::reply::udp_limit(&q, server.udp_payload);
                        match tokio::time::timeout(Duration::from_secs(20), server.answer(&q, client.ip(), limit, &mut out)).await {
                            Ok(()) => Some(out),
                            Err(_) => return Err(format!("step {}: resolution did not finish in 20 s", step.id)),
                        }
                    }
                };
                if e.raw.is_none() {
                    last = reply;
                }
            }
            StepKind::CheckAnswer => {
                let e = step.entry.as_ref().ok_or_else(|| format!("step {}: CHECK_ANSWER without ENTRY", step.id))?;
                let raw = last.as_ref().ok_or_else(|| format!("step {}: no answer to the preceding query", step.id))?;
                let got = Message::parse(raw).map_err(|x| format!("step {}: answer does not parse: {x}", step.id))?;
                matches(e, &got).map_err(|x| {
                    let ede = got.edns.as_ref().and_then(|o| o.ede()).map(|(c, t)| format!(" EDE {c} {t}")).unwrap_or_default();
                    format!(
                        "step {} (line {}): {x} [reply: {} {}{ede}]",
                        step.id,
                        step.line,
                        rcode_text(got.rcode()),
                        flags_text(got.header.flags)
                    )
                })?;
            }
            StepKind::TimePasses(s) => {
                clock.0.fetch_add(s * 1000, Ordering::SeqCst);
            }
            StepKind::Reply | StepKind::CheckOutQuery => {}
            StepKind::Unsupported(t) => return Err(format!("step {}: step type {t} is not supported by the harness", step.id)),
        }
    }
    let unscripted = net.unscripted.lock().unwrap();
    if !unscripted.is_empty() {
        return Err(format!("{} unscripted upstream queries, first: {}", unscripted.len(), unscripted[0]));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deckard::scenario::parse;

    /// A two-level hierarchy: the root delegates `example.` to 192.0.2.1, which answers
    /// `www.example. A`. `EXPECT` is replaced by the expected answer record.
    const SCENARIO: &str = r#"
stub-addr: 193.0.14.129
query-minimization: off
CONFIG_END
SCENARIO_BEGIN harness self-test
RANGE_BEGIN 0 100
	ADDRESS 193.0.14.129
ENTRY_BEGIN
MATCH opcode qtype qname
ADJUST copy_id
REPLY QR NOERROR
SECTION QUESTION
. IN NS
SECTION ANSWER
. IN NS K.ROOT-SERVERS.NET.
SECTION ADDITIONAL
K.ROOT-SERVERS.NET. IN A 193.0.14.129
ENTRY_END
ENTRY_BEGIN
MATCH opcode subdomain
ADJUST copy_id copy_query
REPLY QR NOERROR
SECTION QUESTION
example. IN A
SECTION AUTHORITY
example. IN NS ns.example.
SECTION ADDITIONAL
ns.example. IN A 192.0.2.1
ENTRY_END
RANGE_END
RANGE_BEGIN 0 100
	ADDRESS 192.0.2.1
ENTRY_BEGIN
MATCH opcode qtype qname
ADJUST copy_id
REPLY QR AA NOERROR
SECTION QUESTION
www.example. IN A
SECTION ANSWER
www.example. IN A 10.0.0.1
ENTRY_END
RANGE_END
STEP 1 QUERY
ENTRY_BEGIN
REPLY RD
SECTION QUESTION
www.example. IN A
ENTRY_END
STEP 2 CHECK_ANSWER
ENTRY_BEGIN
MATCH all
REPLY QR RD RA NOERROR
SECTION QUESTION
www.example. IN A
SECTION ANSWER
EXPECT
ENTRY_END
SCENARIO_END
"#;

    fn play(text: &str) -> Option<String> {
        let sc = Arc::new(parse("self-test.rpl", text).expect("parses"));
        run(&sc, false).failure
    }

    #[test]
    fn a_matching_answer_passes() {
        assert_eq!(play(&SCENARIO.replace("EXPECT", "www.example. IN A 10.0.0.1")), None);
    }

    #[test]
    fn a_different_answer_fails_with_the_difference() {
        let why = play(&SCENARIO.replace("EXPECT", "www.example. IN A 10.0.0.2")).expect("must fail");
        assert!(why.contains("answer: expected") && why.contains("10.0.0.2"), "{why}");
    }

    #[test]
    fn wrong_flags_fail() {
        let text = SCENARIO.replace("EXPECT", "www.example. IN A 10.0.0.1").replace("REPLY QR RD RA NOERROR", "REPLY QR AA RD RA NOERROR");
        let why = play(&text).expect("must fail");
        assert!(why.contains("flags"), "{why}");
    }

    #[test]
    fn an_unscripted_upstream_query_fails_the_run() {
        // Without the root's referral entry the resolver's question goes unscripted; the
        // check (SERVFAIL) would pass, so only the unscripted query can fail the run.
        let text = SCENARIO
            .replace("EXPECT", "")
            .replace("MATCH opcode subdomain", "MATCH opcode qname")
            .replace("MATCH all\nREPLY QR RD RA NOERROR", "MATCH rcode\nREPLY QR RD RA SERVFAIL");
        let why = play(&text).expect("must fail");
        assert!(why.contains("unscripted upstream queries, first: step 1: 193.0.14.129 www.example. A"), "{why}");
    }

    #[test]
    fn matching_ignores_ttl_and_owner_case_but_not_rdata() {
        let e = parse("m.rpl", &SCENARIO.replace("EXPECT", "WWW.Example. 5 IN A 10.0.0.1")).unwrap().steps[1].entry.clone().unwrap();
        let mut buf = Vec::new();
        let mut w = MessageWriter::new(&mut buf, 512, Header { id: 1, flags: flags::QR | flags::RD | flags::RA, ..Default::default() });
        let q: Name = "www.example.".parse().unwrap();
        w.question(q.wire(), RType::A, Class::IN).unwrap();
        w.record(Section::Answer, &Record::new(q.clone(), RType::A, 3600, vec![10, 0, 0, 1])).unwrap();
        w.finish();
        assert_eq!(matches(&e, &Message::parse(&buf).unwrap()), Ok(()));
        let mut other = Vec::new();
        let mut w = MessageWriter::new(&mut other, 512, Header { id: 1, flags: flags::QR | flags::RD | flags::RA, ..Default::default() });
        w.question(q.wire(), RType::A, Class::IN).unwrap();
        w.record(Section::Answer, &Record::new(q, RType::A, 3600, vec![10, 0, 0, 9])).unwrap();
        w.finish();
        assert!(matches(&e, &Message::parse(&other).unwrap()).is_err());
    }

    #[test]
    fn deckard_dates_are_utc() {
        assert_eq!(date_secs("20120420235959"), Some(1_334_966_399));
        assert_eq!(date_secs("2012042023595"), None);
    }

    #[test]
    fn lua_wire_patterns_become_presentation_regexes() {
        // module_policy_deny_suff_patt's pattern: the labels "example0" to "example8" then
        // "cz", anywhere in the name (Lua patterns are not anchored).
        let re = regex::Regex::new(&lua_wire_pattern_to_regex(r"\8example[0-8]\2cz").unwrap()).unwrap();
        for hit in ["example1.cz.", "www.example8.cz.", "example0.cz.more."] {
            assert!(re.is_match(hit), "{hit}");
        }
        for miss in ["example9.cz.", "myexample1.cz.", "example1.czech."] {
            assert!(!re.is_match(miss), "{miss}");
        }
        let anchored = regex::Regex::new(&lua_wire_pattern_to_regex(r"\2cz\0").unwrap()).unwrap();
        assert!(anchored.is_match("nic.cz.") && !anchored.is_match("cz.example."));
    }
}
