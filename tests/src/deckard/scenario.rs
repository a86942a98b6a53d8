//! The Deckard scenario format (`.rpl`, see `scenario_guide.rst` beside the scenarios):
//! a CONFIG header of `key: value` lines, then RANGEs of scripted upstream answers and
//! STEPs (client queries, expected answers, time jumps). Parsing is strict: anything the
//! format does not allow is an error with `file:line`, never silently skipped.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::Path;
use tern_shared::wire::{Class, Name, RType, Record};

/// One parsed scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// File name (no directory).
    pub file: String,
    /// The text after `SCENARIO_BEGIN`.
    pub title: String,
    /// CONFIG lines as `(key, value)`, value unquoted, comments removed.
    pub config: Vec<(String, String)>,
    /// Scripted upstream servers.
    pub ranges: Vec<Range>,
    /// The steps, in file order (Deckard plays them in that order).
    pub steps: Vec<Step>,
}

/// Scripted answers valid for steps `from..=to` from the given addresses (none: any).
#[derive(Debug, Clone)]
pub struct Range {
    /// First step the range serves.
    pub from: u32,
    /// Last step the range serves.
    pub to: u32,
    /// Server addresses it stands for.
    pub addresses: Vec<IpAddr>,
    /// Candidate answers, tried in order.
    pub entries: Vec<Entry>,
}

/// What a step does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepKind {
    /// Send the entry as a client query.
    Query,
    /// Compare the last answer with the entry.
    CheckAnswer,
    /// Move the clock forward by this many seconds.
    TimePasses(u64),
    /// A one-shot scripted upstream answer.
    Reply,
    /// Deckard ignores it (checked upstream queries in testbound); so do we.
    CheckOutQuery,
    /// A step type this harness does not play (reported, the scenario fails).
    Unsupported(String),
}

/// One step.
#[derive(Debug, Clone)]
pub struct Step {
    /// Its number (ranges refer to it).
    pub id: u32,
    /// What it does.
    pub kind: StepKind,
    /// Its message, if any.
    pub entry: Option<Entry>,
    /// Line of the `STEP` keyword.
    pub line: usize,
}

/// A DNS message with match criteria and adjustments (Deckard's ENTRY).
#[derive(Debug, Clone, Default)]
pub struct Entry {
    /// Line of `ENTRY_BEGIN`.
    pub line: usize,
    /// MATCH elements, with `all` and `question` expanded.
    pub matches: BTreeSet<String>,
    /// ADJUST elements.
    pub adjust: BTreeSet<String>,
    /// REPLY (or FLAGS) words: opcode, rcode and flags including DO.
    pub reply: Vec<String>,
    /// QUESTION section.
    pub question: Vec<(Name, RType, Class)>,
    /// ANSWER, AUTHORITY and ADDITIONAL sections.
    pub sections: [Vec<Record>; 3],
    /// A RAW hex message, if given.
    pub raw: Option<Vec<u8>>,
    /// Whether the entry had the MANDATORY keyword.
    pub mandatory: bool,
}

impl Entry {
    /// Whether the REPLY words include `word` (case-sensitive, as Deckard).
    pub fn has(&self, word: &str) -> bool {
        self.reply.iter().any(|w| w == word)
    }
}

/// A parse error at `file:line`.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {reason}")]
pub struct ScenarioError {
    /// The file.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// Deckard's default TTL for records written without one.
const DEFAULT_TTL: u32 = 3600;

/// Cuts a `;` comment off a line (a `;` inside double quotes is kept).
/// A CONFIG line without its comment: there a `;` starts one only at the start of the
/// line or after white space, since values such as Knot Resolver `features` lists
/// (`renumber_src = 1.2.3.0/24; renumber_dst = 4.5.6.0`) use `;` as a separator.
fn strip_config_comment(line: &str) -> &str {
    let mut quoted = false;
    let mut prev_space = true;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted && prev_space => return &line[..i],
            _ => {}
        }
        prev_space = c.is_whitespace();
    }
    line
}

fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            '\\' if !escaped => {
                escaped = true;
                continue;
            }
            '"' if !escaped => quoted = !quoted,
            ';' if !quoted => return &line[..i],
            _ => {}
        }
        escaped = false;
    }
    line
}

/// Reads a scenario file.
pub fn parse_file(path: &Path) -> Result<Scenario, ScenarioError> {
    let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError { file: file.clone(), line: 0, reason: e.to_string() })?;
    parse(&file, &text)
}

/// Where the parser is.
#[derive(PartialEq, Eq, Clone, Copy)]
enum Section {
    Question,
    Answer,
    Authority,
    Additional,
    Raw,
}

/// An entry being read: the entry, the section it is in, and its record lines so far.
type OpenEntry = (Entry, Option<Section>, Vec<(usize, String, Section)>);

/// Parses scenario text; `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let err = |line: usize, reason: String| ScenarioError { file: file.to_string(), line, reason };
    let lines: Vec<&str> = text.lines().collect();
    let mut sc = Scenario { file: file.to_string(), title: String::new(), config: Vec::new(), ranges: Vec::new(), steps: Vec::new() };
    let mut i = 0;
    // CONFIG: `key: value` until CONFIG_END. `;` and `#` start comments.
    loop {
        let Some(raw) = lines.get(i) else { return Err(err(i, "no CONFIG_END".into())) };
        i += 1;
        let line = strip_config_comment(raw);
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if line == "CONFIG_END" {
            break;
        }
        let Some((k, v)) = line.split_once(':') else { return Err(err(i, format!("CONFIG line is not `key: value`: {line}"))) };
        let v = v.trim();
        let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v);
        sc.config.push((k.trim().to_string(), v.to_string()));
    }
    // SCENARIO
    let mut range: Option<Range> = None;
    let mut step: Option<Step> = None;
    let mut entry: Option<OpenEntry> = None;
    let mut began = false;
    let mut ended = false;
    while i < lines.len() {
        let lineno = i + 1;
        let raw = lines[i];
        i += 1;
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("");
        if let Some((e, section, pending)) = entry.as_mut() {
            match first {
                "ENTRY_END" => {
                    let (mut e, _, pending) = entry.take().unwrap();
                    finish_records(file, &mut e, pending)?;
                    if let Some(s) = step.as_mut() {
                        if s.entry.is_some() {
                            return Err(err(lineno, "a STEP holds one ENTRY".into()));
                        }
                        s.entry = Some(e);
                    } else if let Some(r) = range.as_mut() {
                        r.entries.push(e);
                    } else {
                        return Err(err(lineno, "ENTRY outside RANGE and STEP".into()));
                    }
                }
                "MATCH" => {
                    for w in words {
                        match w {
                            "all" => e.matches.extend(
                                ["opcode", "qtype", "qname", "flags", "rcode", "answer", "authority", "additional"].map(String::from),
                            ),
                            "question" => e.matches.extend(["qtype", "qname"].map(String::from)),
                            "opcode" | "qtype" | "qname" | "qcase" | "subdomain" | "flags" | "rcode" | "answer" | "authority"
                            | "additional" | "edns" | "nsid" | "answertypes" | "answerrrsigs" => {
                                e.matches.insert(w.to_string());
                            }
                            other => return Err(err(lineno, format!("unknown MATCH element {other}"))),
                        }
                    }
                }
                "ADJUST" => {
                    for w in words {
                        match w {
                            "copy_id" | "copy_query" | "raw_id" | "do_not_answer" => {
                                e.adjust.insert(w.to_string());
                            }
                            other => return Err(err(lineno, format!("unknown ADJUST element {other}"))),
                        }
                    }
                }
                "REPLY" | "FLAGS" => e.reply.extend(words.map(String::from)),
                "MANDATORY" => e.mandatory = true,
                "SECTION" => {
                    *section = Some(match words.next() {
                        Some("QUESTION") => Section::Question,
                        Some("ANSWER") => Section::Answer,
                        Some("AUTHORITY") => Section::Authority,
                        Some("ADDITIONAL") => Section::Additional,
                        other => return Err(err(lineno, format!("unknown SECTION {other:?}"))),
                    })
                }
                "RAW" => *section = Some(Section::Raw),
                _ => match *section {
                    Some(Section::Question) => {
                        let toks: Vec<&str> = line.split_whitespace().collect();
                        let (name, rest) = toks.split_first().ok_or_else(|| err(lineno, "empty question".into()))?;
                        let name: Name = name.parse().map_err(|x| err(lineno, format!("bad question name: {x}")))?;
                        let (class, ty) = match rest {
                            [c, t] => (*c, *t),
                            [t] => ("IN", *t),
                            _ => return Err(err(lineno, format!("bad question: {line}"))),
                        };
                        let class = match class.to_ascii_uppercase().as_str() {
                            "IN" => Class::IN,
                            "CH" => Class(3),
                            other => return Err(err(lineno, format!("unknown class {other}"))),
                        };
                        let ty = RType::from_mnemonic(ty).ok_or_else(|| err(lineno, format!("unknown type {ty}")))?;
                        e.question.push((name, ty, class));
                    }
                    Some(Section::Raw) => {
                        let hex: String = line.split_whitespace().collect();
                        let bytes = decode_hex(&hex).ok_or_else(|| err(lineno, "RAW is not hex".into()))?;
                        e.raw.get_or_insert_with(Vec::new).extend(bytes);
                    }
                    Some(sec) => pending.push((lineno, raw.to_string(), sec)),
                    None => return Err(err(lineno, format!("unexpected line in ENTRY: {line}"))),
                },
            }
            continue;
        }
        match first {
            "SCENARIO_BEGIN" => {
                began = true;
                sc.title = words.collect::<Vec<_>>().join(" ");
            }
            "SCENARIO_END" => {
                if let Some(s) = step.take() {
                    sc.steps.push(s);
                }
                ended = true;
                break;
            }
            "RANGE_BEGIN" => {
                if let Some(s) = step.take() {
                    sc.steps.push(s);
                }
                let nums: Vec<&str> = words.collect();
                if nums.len() < 2 {
                    return Err(err(lineno, "RANGE_BEGIN needs two step numbers".into()));
                }
                let from = nums[0].parse().map_err(|_| err(lineno, "bad RANGE start".into()))?;
                let to = nums[1].parse().map_err(|_| err(lineno, "bad RANGE end".into()))?;
                let mut addresses = Vec::new();
                for a in &nums[2..] {
                    addresses.push(a.parse().map_err(|_| err(lineno, format!("bad address {a}")))?);
                }
                range = Some(Range { from, to, addresses, entries: Vec::new() });
            }
            "ADDRESS" => {
                let r = range.as_mut().ok_or_else(|| err(lineno, "ADDRESS outside RANGE".into()))?;
                for a in words {
                    r.addresses.push(a.parse().map_err(|_| err(lineno, format!("bad address {a}")))?);
                }
            }
            "RANGE_END" => sc.ranges.push(range.take().ok_or_else(|| err(lineno, "RANGE_END without RANGE_BEGIN".into()))?),
            "STEP" => {
                if let Some(s) = step.take() {
                    sc.steps.push(s);
                }
                let id = words.next().and_then(|w| w.parse().ok()).ok_or_else(|| err(lineno, "STEP needs a number".into()))?;
                let kind = match words.next() {
                    Some("QUERY") => StepKind::Query,
                    Some("CHECK_ANSWER") => StepKind::CheckAnswer,
                    Some("REPLY") => StepKind::Reply,
                    Some("CHECK_OUT_QUERY") => StepKind::CheckOutQuery,
                    Some("TIME_PASSES") => {
                        let rest: Vec<&str> = words.collect();
                        match rest.as_slice() {
                            ["ELAPSE", n] => StepKind::TimePasses(n.parse().map_err(|_| err(lineno, "bad ELAPSE".into()))?),
                            _ => return Err(err(lineno, "TIME_PASSES needs ELAPSE <seconds>".into())),
                        }
                    }
                    Some(other) => StepKind::Unsupported(other.to_string()),
                    None => return Err(err(lineno, "STEP needs a type".into())),
                };
                step = Some(Step { id, kind, entry: None, line: lineno });
            }
            "ENTRY_BEGIN" => entry = Some((Entry { line: lineno, ..Default::default() }, None, Vec::new())),
            _ if !began => return Err(err(lineno, format!("expected SCENARIO_BEGIN, found {line}"))),
            _ => return Err(err(lineno, format!("unexpected line: {line}"))),
        }
    }
    if !ended || range.is_some() || entry.is_some() {
        return Err(err(lines.len(), "scenario not closed (SCENARIO_END, RANGE_END or ENTRY_END missing)".into()));
    }
    Ok(sc)
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok()).collect()
}

/// Turns the record lines of an entry into records: one logical record per call to
/// the master-file parser (parentheses may span lines), each with Deckard's defaults
/// (TTL 3600, class IN) rather than the previous record's TTL.
fn finish_records(file: &str, e: &mut Entry, pending: Vec<(usize, String, Section)>) -> Result<(), ScenarioError> {
    let mut text = String::new();
    let mut depth = 0i32;
    let mut start = (0, Section::Answer);
    for (lineno, raw, sec) in pending {
        let body = strip_comment(&raw);
        if depth == 0 {
            text.clear();
            start = (lineno, sec);
            text.push_str(body.trim_start());
        } else {
            text.push(' ');
            text.push_str(body);
        }
        depth += body.matches('(').count() as i32 - body.matches(')').count() as i32;
        if depth <= 0 {
            depth = 0;
            let record = parse_record(&text).map_err(|reason| ScenarioError { file: file.to_string(), line: start.0, reason })?;
            let idx = match start.1 {
                Section::Answer => 0,
                Section::Authority => 1,
                _ => 2,
            };
            e.sections[idx].push(record);
        }
    }
    if depth > 0 {
        return Err(ScenarioError { file: file.to_string(), line: start.0, reason: "unbalanced parentheses".into() });
    }
    Ok(())
}

/// DNSSEC algorithm mnemonics (RFC 4034 Appendix A.1 and later registrations), which
/// Deckard accepts in DS, DNSKEY and RRSIG text.
const ALGORITHMS: &[(&str, u8)] = &[
    ("RSAMD5", 1),
    ("DH", 2),
    ("DSA", 3),
    ("RSASHA1", 5),
    ("DSA-NSEC3-SHA1", 6),
    ("RSASHA1-NSEC3-SHA1", 7),
    ("RSASHA256", 8),
    ("RSASHA512", 10),
    ("ECC-GOST", 12),
    ("ECDSAP256SHA256", 13),
    ("ECDSAP384SHA384", 14),
    ("ED25519", 15),
    ("ED448", 16),
    ("PRIVATEDNS", 253),
    ("PRIVATEOID", 254),
];

/// Parses one record in master-file form (parentheses allowed, origin `.`, TTL 3600
/// when none is given), as CONFIG `trust-anchor` values are written.
pub fn parse_record_text(text: &str) -> Result<Record, String> {
    parse_record(&text.replace(['(', ')'], " "))
}

/// Parses one record in master-file form with origin `.`.
fn parse_record(text: &str) -> Result<Record, String> {
    let parsed = tern_shared::zonefile::parse_str(text, "entry", &Name::root(), Some(DEFAULT_TTL));
    let mut entries = match parsed {
        Ok(v) => v,
        Err(first) => {
            // Retry with algorithm mnemonics turned into numbers (dnspython accepts them).
            let mut toks: Vec<String> = text.split_whitespace().map(String::from).collect();
            let mut changed = false;
            for t in toks.iter_mut() {
                if let Some((_, n)) = ALGORITHMS.iter().find(|(m, _)| m.eq_ignore_ascii_case(t)) {
                    *t = n.to_string();
                    changed = true;
                }
                // Python's base64 decoder ignores surplus padding (`UNUSABLE==`).
                while t.ends_with('=') && t.len() % 4 != 0 {
                    t.pop();
                    changed = true;
                }
            }
            if !changed {
                return Err(first.kind.to_string());
            }
            tern_shared::zonefile::parse_str(&toks.join(" "), "entry", &Name::root(), Some(DEFAULT_TTL)).map_err(|e| e.kind.to_string())?
        }
    };
    if entries.len() != 1 {
        return Err(format!("expected one record, found {}", entries.len()));
    }
    Ok(entries.remove(0).record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_file_and_line() {
        let e = parse("x.rpl", "a: b\nCONFIG_END\nSCENARIO_BEGIN t\nRANGE_BEGIN 0\n").unwrap_err();
        assert_eq!(e.to_string(), "x.rpl:4: RANGE_BEGIN needs two step numbers");
        let e =
            parse("x.rpl", "CONFIG_END\nSCENARIO_BEGIN t\nSTEP 1 QUERY\nENTRY_BEGIN\nMATCH bogus\nENTRY_END\nSCENARIO_END\n").unwrap_err();
        assert_eq!(e.to_string(), "x.rpl:5: unknown MATCH element bogus");
        let e = parse("x.rpl", "CONFIG_END\nSCENARIO_BEGIN t\n").unwrap_err();
        assert!(e.to_string().contains("not closed"), "{e}");
    }

    #[test]
    fn records_take_deckard_defaults_and_span_parentheses() {
        let text = "CONFIG_END\nSCENARIO_BEGIN t\nSTEP 1 CHECK_ANSWER\nENTRY_BEGIN\nMATCH all\nREPLY QR NOERROR\nSECTION ANSWER\nexample. 60 IN A 192.0.2.1\nexample. TXT ( \"a\"\n \"b\" ) ; comment\nexample. DS 1 RSASHA256 2 ABCDEF01\nENTRY_END\nSCENARIO_END\n";
        let sc = parse("x.rpl", text).unwrap();
        let e = sc.steps[0].entry.as_ref().unwrap();
        let ttls: Vec<u32> = e.sections[0].iter().map(|r| r.ttl).collect();
        assert_eq!(ttls, vec![60, DEFAULT_TTL, DEFAULT_TTL], "each record without a TTL gets 3600, not the previous TTL");
        assert_eq!(e.sections[0][2].rdata[2], 8, "algorithm mnemonic read as its number");
        assert!(e.matches.contains("answer") && e.matches.contains("flags"), "`all` expanded");
    }
}
