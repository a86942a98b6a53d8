//! The master-file loader: zone-file text to [`Record`]s, each tagged with the file and
//! line it came from so that the caller's zone-level checks can report `file:line: reason`.
//!
//! Follows RFC 1035 §5.1 (entries, `$ORIGIN`, `$INCLUDE`, blank owner, `@`, relative names,
//! `( )` continuation, `;` comments, quoted strings, `\X` and `\DDD` escapes), RFC 2308 §4
//! (`$TTL`), RFC 3597 §5 (`TYPEnnn`, `CLASSnnn` and the generic `\# len hex` RDATA for any
//! type), and the presentation formats of every type with a layout in
//! [`crate::wire::rdata::layout`] (RFC 4034 §2-5 and RFC 5155 §3-4 for DNSSEC types,
//! RFC 9460 §2.1 and Appendix A for SVCB/HTTPS). The RDATA parser is the inverse of
//! [`crate::wire::rdata::fmt_rdata`], and every RDATA is checked with
//! [`crate::wire::rdata::validate`].
//!
//! This module turns text into records only. Zone-level rules (one SOA at the apex, CNAME
//! exclusivity, out-of-zone data, glue) belong to the caller.
//!
//! # Defaults
//! - **Class**: the class last given explicitly, IN before any. All records of a file must
//!   share one class (RFC 1035 §5.2); NONE and ANY are refused.
//! - **TTL**, first that applies: the record's own TTL; the `$TTL` in effect (RFC 2308 §4);
//!   the previous record's TTL (RFC 1035 §5.1, "the last explicitly stated value"); the
//!   `default_ttl` the caller passes; for an SOA record only, its own MINIMUM field (the
//!   pre-RFC 2308 BIND behaviour). Otherwise the record is refused with a message asking
//!   for `$TTL`. TTLs accept BIND units (`1h30m`, `2d`, `1w`) and must not exceed
//!   2^31-1 (RFC 2181 §8): larger values are refused, not clamped.
//! - **Scope**: `$ORIGIN`, `$TTL` and the previous owner start in an `$INCLUDE`d file as in
//!   the including file, and changes made inside it do not leak back (RFC 1035 §5.1 says so
//!   for the origin). The previous record's TTL and the class follow record order across
//!   files.
//!
//! # Error lines
//! An error names the line of the token at fault (inside a parenthesised record, the line
//! that token is on). When something is *missing* at the end of a record, it names the
//! line of the record's last token, where the missing field was expected. An RDATA that
//! fails [`validate`](crate::wire::rdata::validate) names the line of its first RDATA token.
//! [`Entry::line`] is the line of the record's first token.
//!
//! # Limitations
//! - Types without a presentation layout in `wire::rdata` (LOC, WKS, APL, IPSECKEY, HIP,
//!   CERT, EUI48, ...) must be written in the generic `\# len hex` form.
//! - `$GENERATE` and other BIND extensions are refused as unknown directives.
//! - A quoted string cannot span lines; parentheses do not nest.
//! - RRSIG times outside 1970-2106 wrap modulo 2^32 (RFC 4034 §3.1.5 serial arithmetic),
//!   so they do not print back as written.
//! - SVCB: `mandatory` keys must be present and `no-default-alpn` needs `alpn` (RFC 9460
//!   §8, §7.1.1); other per-key semantics (e.g. `dohpath` containing `{?dns}`) are not
//!   checked.

mod fields;
mod lexer;
mod svcb;
#[cfg(test)]
mod tests;

use crate::wire::name::NameError;
use crate::wire::rdata::RdataError;
use crate::wire::record::soa_minimum;
use crate::wire::{Class, Name, RType, Record};
use lexer::{Lexer, Token};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// RFC 2181 §8: a TTL is 31 bits; larger values are refused.
pub const MAX_TTL: u32 = 0x7fff_ffff;

/// How many `$INCLUDE` levels may nest below the top-level file.
pub const MAX_INCLUDE_DEPTH: usize = 10;

/// RFC 1035 §3.2.1: RDLENGTH is 16 bits.
pub const MAX_RDATA_LEN: usize = 0xffff;

/// One record read from a master file, with where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The record; RDATA is uncompressed, names case preserved.
    pub record: Record,
    /// The file it was read from, as given (an `$INCLUDE`d file is joined to the
    /// including file's directory).
    pub file: Arc<str>,
    /// 1-based line of the record's first token.
    pub line: usize,
}

impl Entry {
    /// `file:line`, the prefix for messages about this record.
    pub fn location(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

/// A master-file error with its place. Displays as `file:line: reason`, or `file: reason`
/// when the whole file is at fault (it could not be read; `line` is then 0).
#[derive(Debug)]
pub struct ZoneFileError {
    /// The file, as given to the loader or joined from an `$INCLUDE`.
    pub file: Arc<str>,
    /// 1-based line, or 0 for a whole-file error.
    pub line: usize,
    /// What is wrong.
    pub kind: ErrorKind,
}

impl fmt::Display for ZoneFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.kind)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.kind)
        }
    }
}

impl std::error::Error for ZoneFileError {}

/// What is wrong with a master file, a TTL or a piece of RDATA text.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The top-level file could not be read.
    #[error("cannot read zone file: {0}")]
    Io(std::io::Error),
    /// An `$INCLUDE`d file could not be found or read.
    #[error("cannot read $INCLUDE file \"{path}\": {error}")]
    Include {
        /// The path tried.
        path: String,
        /// Why it failed.
        error: std::io::Error,
    },
    /// `$INCLUDE` nested more than [`MAX_INCLUDE_DEPTH`] levels.
    #[error("$INCLUDE nested more than {MAX_INCLUDE_DEPTH} levels deep")]
    IncludeTooDeep,
    /// A file includes itself, directly or through others.
    #[error("$INCLUDE loop: \"{0}\" is already being read")]
    IncludeLoop(String),
    /// A quoted string without its closing quote on the same line.
    #[error("unterminated quoted string (a string cannot span lines; write \\010 for a newline)")]
    UnterminatedQuote,
    /// `)` without `(`.
    #[error("closing parenthesis without an opening one")]
    UnbalancedParen,
    /// `(` inside parentheses.
    #[error("parenthesis opened inside parentheses")]
    NestedParen,
    /// `(` never closed before the end of the file; reported at the `(`.
    #[error("parenthesis opened here is never closed")]
    UnclosedParen,
    /// A `$` directive we do not know.
    #[error("unsupported directive \"{0}\" (known: $ORIGIN, $TTL, $INCLUDE)")]
    UnknownDirective(String),
    /// A directive with the wrong arguments.
    #[error("{directive} takes {expected}")]
    DirectiveArgs {
        /// The directive.
        directive: &'static str,
        /// What it takes.
        expected: &'static str,
    },
    /// A malformed domain name.
    #[error("bad domain name \"{text}\": {error}")]
    BadName {
        /// The name as written.
        text: String,
        /// Why.
        error: NameError,
    },
    /// An empty (`""`) domain name.
    #[error("empty domain name")]
    EmptyName,
    /// A record starts with a blank but no owner came before it.
    #[error("record starts with a blank but there is no previous owner name")]
    NoPreviousOwner,
    /// The record has no type.
    #[error("missing record type")]
    MissingType,
    /// A type mnemonic we do not know.
    #[error("unknown record type \"{0}\" (for others write TYPEnnn)")]
    UnknownType(String),
    /// A meta-type or QTYPE used as data.
    #[error("type {0} cannot appear in zone data (RFC 6895 §3.1)")]
    MetaType(RType),
    /// Class NONE or ANY used as data.
    #[error("class {0} is only valid in queries and updates")]
    MetaClass(Class),
    /// A class other than the one of the file's first record.
    #[error("class {found} differs from the zone's class {zone} (RFC 1035 §5.2)")]
    ClassMismatch {
        /// The class given.
        found: Class,
        /// The class of the first record.
        zone: Class,
    },
    /// A TTL that does not parse.
    #[error("bad TTL \"{text}\": {why}")]
    BadTtl {
        /// The TTL as written.
        text: String,
        /// Why.
        why: &'static str,
    },
    /// A TTL above [`MAX_TTL`].
    #[error("TTL {0} exceeds 2147483647 (RFC 2181 §8)")]
    TtlTooLarge(u64),
    /// No TTL could be determined for a record.
    #[error("no TTL for this record: add a $TTL directive or give the record a TTL (RFC 2308 §4)")]
    NoTtl,
    /// A decimal number that does not parse or is out of range.
    #[error("bad number \"{text}\": expected a decimal integer from 0 to {max}")]
    BadNumber {
        /// The number as written.
        text: String,
        /// The largest value allowed.
        max: u64,
    },
    /// A malformed IPv4 address.
    #[error("bad IPv4 address \"{text}\": {why}")]
    BadIpv4 {
        /// The address as written.
        text: String,
        /// Why.
        why: &'static str,
    },
    /// A malformed IPv6 address.
    #[error("bad IPv6 address \"{0}\"")]
    BadIpv6(String),
    /// A malformed RRSIG time.
    #[error("bad time \"{0}\": expected YYYYMMDDHHmmSS (UTC) or seconds since 1970 (RFC 4034 §3.2)")]
    BadTime(String),
    /// A `\` escape that is not `\X` or `\DDD` with DDD <= 255.
    #[error("bad escape sequence in \"{0}\"")]
    BadEscape(String),
    /// A character-string above 255 octets.
    #[error("character-string of {0} octets exceeds 255 (RFC 1035 §3.3)")]
    StringTooLong(usize),
    /// Malformed base64 (RFC 4648 §4).
    #[error("bad base64 data: {0}")]
    BadBase64(data_encoding::DecodeError),
    /// Malformed hexadecimal.
    #[error("bad hex data: {0}")]
    BadHex(data_encoding::DecodeError),
    /// Malformed base32hex (RFC 4648 §7).
    #[error("bad base32hex data: {0}")]
    BadBase32(data_encoding::DecodeError),
    /// A hash or salt longer than its 8-bit length field allows.
    #[error("{0} octets do not fit an 8-bit length field")]
    FieldTooLong(usize),
    /// An NSEC3 next hashed owner name that is empty.
    #[error("empty NSEC3 next hashed owner name")]
    EmptyHash,
    /// A CAA tag that is not 1-255 ASCII letters and digits (RFC 8659 §4.1).
    #[error("bad CAA tag \"{0}\": expected ASCII letters and digits (RFC 8659 §4.1)")]
    BadCaaTag(String),
    /// The RDATA text ended before a required field.
    #[error("{rtype} RDATA ends early: missing {what}")]
    MissingField {
        /// The record type.
        rtype: RType,
        /// The missing field.
        what: &'static str,
    },
    /// Text left after the last field.
    #[error("unexpected \"{text}\" after the end of {rtype} RDATA")]
    TrailingData {
        /// The record type.
        rtype: RType,
        /// The first extra token.
        text: String,
    },
    /// A type without a presentation format here, written other than as `\#`.
    #[error("{0} RDATA must be written in the RFC 3597 generic form here (\\# length hex)")]
    NeedGeneric(RType),
    /// `\#` whose length does not match its data.
    #[error("generic RDATA declares {declared} octets but its hex holds {actual} (RFC 3597 §5)")]
    GenericLength {
        /// The length given after `\#`.
        declared: usize,
        /// Octets in the hex that follows.
        actual: usize,
    },
    /// RDATA that does not match its type's layout (e.g. a `\#` form of a known type).
    #[error("{rtype} RDATA is malformed: {error}")]
    InvalidRdata {
        /// The record type.
        rtype: RType,
        /// The structural problem.
        error: RdataError,
    },
    /// RDATA above 65535 octets.
    #[error("RDATA of {0} octets exceeds 65535")]
    RdataTooLong(usize),
    /// An unknown SVCB SvcParamKey.
    #[error("unknown SvcParamKey \"{0}\" (RFC 9460 §14.3.2; others as keyNNNNN)")]
    UnknownSvcKey(String),
    /// key65535, reserved as invalid.
    #[error("SvcParamKey key65535 is reserved (RFC 9460 §14.3.2)")]
    ReservedSvcKey,
    /// A SvcParamKey given twice.
    #[error("SvcParamKey {0} given twice (RFC 9460 §2.1)")]
    DuplicateSvcKey(String),
    /// A malformed SvcParamValue.
    #[error("bad {key} value \"{text}\": {why}")]
    BadSvcValue {
        /// The key.
        key: String,
        /// The value as written.
        text: String,
        /// Why.
        why: &'static str,
    },
    /// A key listed in `mandatory` is not present.
    #[error("mandatory lists {0}, which is not present (RFC 9460 §8)")]
    MandatoryMissing(String),
    /// `no-default-alpn` without `alpn`.
    #[error("no-default-alpn requires alpn (RFC 9460 §7.1.1)")]
    NoDefaultAlpnWithoutAlpn,
    /// A quoted string where none is allowed.
    #[error("unexpected quoted string \"{0}\"")]
    UnexpectedQuoted(String),
}

/// An error and the line it is on, inside one file.
#[derive(Debug)]
pub(crate) struct Spot {
    pub line: usize,
    pub kind: ErrorKind,
}

impl Spot {
    pub(crate) fn new(line: usize, kind: ErrorKind) -> Spot {
        Spot { line, kind }
    }
}

/// Token text for messages: lossy UTF-8, cut at 80 characters.
pub(crate) fn show(text: &[u8]) -> String {
    const MAX: usize = 80;
    let s = String::from_utf8_lossy(text);
    if s.chars().count() <= MAX {
        s.into_owned()
    } else {
        let mut cut: String = s.chars().take(MAX).collect();
        cut.push('…');
        cut
    }
}

/// Reads a master file. `origin` is the initial `$ORIGIN`; `default_ttl` is used for
/// records without a TTL when neither `$TTL` nor an earlier record gives one (see the
/// module documentation). `$INCLUDE` paths are relative to the including file.
pub fn parse_file(path: &Path, origin: &Name, default_ttl: Option<u32>) -> Result<Vec<Entry>, ZoneFileError> {
    let label: Arc<str> = path.display().to_string().into();
    let buf = std::fs::read(path).map_err(|e| ZoneFileError { file: label.clone(), line: 0, kind: ErrorKind::Io(e) })?;
    parse_bytes(&buf, label, path, origin, default_ttl)
}

/// Parses master-file text. `file_label` names the text in errors and entries, and its
/// directory (if any) is where relative `$INCLUDE` paths are looked up; otherwise as
/// [`parse_file`].
pub fn parse_str(text: &str, file_label: &str, origin: &Name, default_ttl: Option<u32>) -> Result<Vec<Entry>, ZoneFileError> {
    parse_bytes(text.as_bytes(), file_label.into(), Path::new(file_label), origin, default_ttl)
}

fn parse_bytes(buf: &[u8], label: Arc<str>, path: &Path, origin: &Name, default_ttl: Option<u32>) -> Result<Vec<Entry>, ZoneFileError> {
    let mut loader = Loader {
        entries: Vec::new(),
        last_ttl: None,
        zone_class: None,
        default_ttl,
        open: Vec::new(),
        depth: 0,
        rdata: Vec::with_capacity(512),
        scratch: Vec::with_capacity(512),
    };
    if let Ok(canon) = std::fs::canonicalize(path) {
        loader.open.push(canon);
    }
    let scope = Scope { origin: origin.clone(), dollar_ttl: None, prev_owner: None };
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    loader.load(buf, &label, &dir, scope)?;
    Ok(loader.entries)
}

/// Parses the presentation form of one RDATA of type `rtype` (RFC 3597 `\#` form
/// included) to uncompressed wire format. Relative names take `origin`; the text may
/// span lines inside parentheses. The result passes [`crate::wire::rdata::validate`].
pub fn parse_rdata(rtype: RType, text: &str, origin: &Name) -> Result<Vec<u8>, ErrorKind> {
    let mut lexer = Lexer::new(text.as_bytes());
    let mut toks = Vec::new();
    while lexer.next_record(&mut toks).map_err(|s| s.kind)?.is_some() {}
    let mut out = Vec::new();
    let mut scratch = Vec::new();
    let end_line = toks.last().map_or(1, |t| t.line);
    fields::parse_rdata(rtype, &toks, origin, end_line, &mut out, &mut scratch).map_err(|s| s.kind)?;
    Ok(out)
}

/// Parses a TTL: seconds, or BIND units `s m h d w` (case-insensitive, e.g. `1h30m`),
/// at most [`MAX_TTL`] (RFC 2181 §8).
pub fn parse_ttl(text: &str) -> Result<u32, ErrorKind> {
    fields::ttl(text.as_bytes())
}

/// State scoped to one file (RFC 1035 §5.1: `$INCLUDE` never changes the parent's origin).
#[derive(Clone)]
struct Scope {
    origin: Name,
    dollar_ttl: Option<u32>,
    prev_owner: Option<Name>,
}

struct Loader {
    entries: Vec<Entry>,
    /// TTL of the previous record, in any file.
    last_ttl: Option<u32>,
    /// Class of the first record.
    zone_class: Option<Class>,
    default_ttl: Option<u32>,
    /// Canonical paths of the files being read, for loop detection.
    open: Vec<PathBuf>,
    /// Current `$INCLUDE` nesting.
    depth: usize,
    rdata: Vec<u8>,
    scratch: Vec<u8>,
}

impl Loader {
    fn load(&mut self, buf: &[u8], label: &Arc<str>, dir: &Path, mut scope: Scope) -> Result<(), ZoneFileError> {
        let at = |s: Spot| ZoneFileError { file: label.clone(), line: s.line, kind: s.kind };
        let mut lexer = Lexer::new(buf);
        let mut toks: Vec<Token<'_>> = Vec::with_capacity(32);
        loop {
            toks.clear();
            let Some(logical) = lexer.next_record(&mut toks).map_err(at)? else { return Ok(()) };
            let first = toks[0];
            // Directives may be indented; an owner or type never starts with an unescaped `$`.
            if !first.quoted && first.text.first() == Some(&b'$') {
                if let Some(include) = self.directive(&toks, &mut scope).map_err(at)? {
                    self.include(include, label, dir, &scope)?;
                }
                continue;
            }
            self.record(&toks, logical.blank_owner, label, &mut scope).map_err(at)?;
        }
    }

    /// Handles `$ORIGIN` and `$TTL`; for `$INCLUDE` returns what to include.
    fn directive(&mut self, toks: &[Token<'_>], scope: &mut Scope) -> Result<Option<Include>, Spot> {
        let d = toks[0];
        let args = &toks[1..];
        if d.text.eq_ignore_ascii_case(b"$ORIGIN") {
            let [arg] = args else {
                return Err(Spot::new(d.line, ErrorKind::DirectiveArgs { directive: "$ORIGIN", expected: "one domain name" }));
            };
            scope.origin = fields::name(arg, &scope.origin)?;
            Ok(None)
        } else if d.text.eq_ignore_ascii_case(b"$TTL") {
            let [arg] = args else {
                return Err(Spot::new(d.line, ErrorKind::DirectiveArgs { directive: "$TTL", expected: "one TTL" }));
            };
            scope.dollar_ttl = Some(fields::ttl(arg.text).map_err(|k| Spot::new(arg.line, k))?);
            Ok(None)
        } else if d.text.eq_ignore_ascii_case(b"$INCLUDE") {
            let (file, origin) = match args {
                [f] => (f, None),
                [f, o] => (f, Some(fields::name(o, &scope.origin)?)),
                _ => {
                    return Err(Spot::new(
                        d.line,
                        ErrorKind::DirectiveArgs { directive: "$INCLUDE", expected: "a file name and an optional origin" },
                    ))
                }
            };
            let mut bytes = Vec::new();
            fields::unescape(file.text, &mut bytes).map_err(|k| Spot::new(file.line, k))?;
            let path = String::from_utf8(bytes).map_err(|e| {
                Spot::new(
                    file.line,
                    ErrorKind::Include { path: show(e.as_bytes()), error: std::io::Error::other("file name is not UTF-8") },
                )
            })?;
            Ok(Some(Include { path, origin, line: d.line }))
        } else {
            Err(Spot::new(d.line, ErrorKind::UnknownDirective(show(d.text))))
        }
    }

    fn include(&mut self, inc: Include, label: &Arc<str>, dir: &Path, scope: &Scope) -> Result<(), ZoneFileError> {
        let err = |kind| ZoneFileError { file: label.clone(), line: inc.line, kind };
        if self.depth >= MAX_INCLUDE_DEPTH {
            return Err(err(ErrorKind::IncludeTooDeep));
        }
        let path = dir.join(&inc.path);
        let shown = path.display().to_string();
        let io_err = |e| err(ErrorKind::Include { path: shown.clone(), error: e });
        let canon = std::fs::canonicalize(&path).map_err(io_err)?;
        if self.open.contains(&canon) {
            return Err(err(ErrorKind::IncludeLoop(shown)));
        }
        let buf = std::fs::read(&canon).map_err(io_err)?;
        let child = Scope { origin: inc.origin.unwrap_or_else(|| scope.origin.clone()), ..scope.clone() };
        let child_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let child_label: Arc<str> = shown.into();
        self.open.push(canon);
        self.depth += 1;
        let result = self.load(&buf, &child_label, &child_dir, child);
        self.depth -= 1;
        self.open.pop();
        result
    }

    /// One resource record: `[owner] [ttl] [class] type rdata` with TTL and class in
    /// either order (RFC 1035 §5.1).
    fn record(&mut self, toks: &[Token<'_>], blank_owner: bool, label: &Arc<str>, scope: &mut Scope) -> Result<(), Spot> {
        let first = toks[0];
        let (owner, mut rest) = if blank_owner {
            let owner = scope.prev_owner.clone().ok_or(Spot::new(first.line, ErrorKind::NoPreviousOwner))?;
            (owner, toks)
        } else {
            (fields::name(&first, &scope.origin)?, &toks[1..])
        };
        let last_line = toks[toks.len() - 1].line;
        let mut ttl = None;
        let mut class = None;
        for _ in 0..2 {
            let Some(t) = rest.first() else { break };
            if t.quoted {
                break;
            }
            if ttl.is_none() && t.text.first().is_some_and(u8::is_ascii_digit) {
                ttl = Some(fields::ttl(t.text).map_err(|k| Spot::new(t.line, k))?);
            } else if class.is_none() {
                match fields::class(t.text) {
                    Some(c) if c == Class::NONE || c == Class::ANY => return Err(Spot::new(t.line, ErrorKind::MetaClass(c))),
                    Some(c) => class = Some((c, t.line)),
                    None => break,
                }
            } else {
                break;
            }
            rest = &rest[1..];
        }
        let Some((type_tok, rdata_toks)) = rest.split_first() else {
            return Err(Spot::new(last_line, ErrorKind::MissingType));
        };
        let rtype = fields::rtype(type_tok)?;
        if rtype.is_meta() {
            return Err(Spot::new(type_tok.line, ErrorKind::MetaType(rtype)));
        }
        fields::parse_rdata(rtype, rdata_toks, &scope.origin, last_line, &mut self.rdata, &mut self.scratch)?;

        let class = match (class, self.zone_class) {
            (Some((c, line)), Some(zone)) if c != zone => return Err(Spot::new(line, ErrorKind::ClassMismatch { found: c, zone })),
            (Some((c, _)), _) => c,
            (None, Some(zone)) => zone,
            (None, None) => Class::IN,
        };
        self.zone_class = Some(class);

        let ttl = match ttl.or(scope.dollar_ttl).or(self.last_ttl).or(self.default_ttl) {
            Some(t) => t,
            None if rtype == RType::SOA => soa_minimum(&self.rdata).ok_or(Spot::new(first.line, ErrorKind::NoTtl))?,
            None => return Err(Spot::new(first.line, ErrorKind::NoTtl)),
        };
        if ttl > MAX_TTL {
            return Err(Spot::new(first.line, ErrorKind::TtlTooLarge(ttl.into())));
        }
        self.last_ttl = Some(ttl);
        scope.prev_owner = Some(owner.clone());
        let record = Record { owner, rtype, class, ttl, rdata: self.rdata.as_slice().into() };
        self.entries.push(Entry { record, file: label.clone(), line: first.line });
        Ok(())
    }
}

/// A pending `$INCLUDE`.
struct Include {
    path: String,
    origin: Option<Name>,
    line: usize,
}
