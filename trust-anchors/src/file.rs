//! Anchor files in the formats operators already have:
//!
//! - **Zone-file records**: DS and DNSKEY records in master-file syntax (RFC 1035 §5,
//!   RFC 4034 §2.2 and §5.3), one or more, with `;` comments, `$ORIGIN`, `$TTL`,
//!   `$INCLUDE` and `( )` — Unbound's `trust-anchor-file` and `auto-trust-anchor-file`,
//!   BIND's `dnssec-keygen` `.key` files, `dig DNSKEY` output. Read with
//!   [`tern_shared::zonefile`]. Such anchors are static unless the caller marks the file
//!   managed ([`LoadOptions::managed`]).
//! - **BIND statements**: `trust-anchors`, `managed-keys`, `trusted-keys` ([`crate::bind`]);
//!   the keyword of each entry says managed or static.
//! - **RFC 7958 XML** ([`crate::xml`]): the digests valid at [`LoadOptions::now`] become
//!   DS anchors; managed per [`LoadOptions::managed`].
//!
//! The format is taken from [`LoadOptions::format`]; [`AnchorFormat::Auto`] uses the
//! extension (`.xml`) and otherwise looks at the first token after comments: `<` is XML,
//! `trust-anchors`/`managed-keys`/`trusted-keys` is BIND, anything else is a zone file.
//!
//! A file that cannot be used is refused whole, with `file:line: reason`
//! ([`AnchorFileError`]); a file that yields no anchor at all is refused too, since a
//! configured but empty anchor file is always a mistake.
//!
//! # Limitations
//! - Record types other than DS and DNSKEY (and classes other than IN) are refused, not
//!   skipped: a trust-anchor file holds nothing else.
//! - Unbound's `;;state=` comments in `auto-trust-anchor-file` files are read as comments:
//!   RFC 5011 state is this crate's own file ([`crate::state`]), not Unbound's.

use crate::anchor::{Anchor, AnchorDataError, AnchorSource};
use crate::bind::BindErrorKind;
use crate::xml::XmlErrorKind;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use tern_shared::wire::{Class, Name, RType};
use tern_shared::zonefile;

/// How an anchor file is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AnchorFormat {
    /// Decide from the extension and the content (see the module documentation).
    #[default]
    Auto,
    /// DS/DNSKEY records in master-file syntax.
    ZoneFile,
    /// BIND `trust-anchors` / `managed-keys` / `trusted-keys` statements.
    Bind,
    /// RFC 7958 XML.
    Xml,
}

/// How to read an anchor file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// The format, or [`AnchorFormat::Auto`].
    pub format: AnchorFormat,
    /// Mark zone-file and XML anchors as managed by RFC 5011 (Unbound's
    /// `auto-trust-anchor-file`). BIND files say it per entry and ignore this.
    pub managed: bool,
    /// The current time (seconds since the epoch), for RFC 7958 validity windows.
    pub now: u64,
}

/// An anchor file that cannot be used. Displays as `file:line: reason`, or `file: reason`
/// when no line is at fault (`line` is 0).
#[derive(Debug, thiserror::Error)]
#[error("{}: {kind}", location(.file, .line))]
pub struct AnchorFileError {
    /// The file as given (or the `$INCLUDE`d file the error is in).
    pub file: Arc<str>,
    /// 1-based line, 0 for the whole file.
    pub line: usize,
    /// What is wrong.
    pub kind: AnchorErrorKind,
}

fn location(file: &str, line: &usize) -> String {
    if *line == 0 {
        file.to_string()
    } else {
        format!("{file}:{line}")
    }
}

/// What is wrong with an anchor file.
#[derive(Debug, thiserror::Error)]
pub enum AnchorErrorKind {
    /// The file could not be read.
    #[error("cannot read anchor file: {0}")]
    Io(std::io::Error),
    /// The file is not UTF-8 text.
    #[error("anchor file is not UTF-8 text")]
    NotUtf8,
    /// A zone-file syntax error.
    #[error("{0}")]
    Record(zonefile::ErrorKind),
    /// A record of another type than DS or DNSKEY.
    #[error("{0} record in a trust-anchor file (only DS and DNSKEY are anchors)")]
    NotAnAnchor(RType),
    /// A record of another class than IN.
    #[error("class {0} trust anchor (only IN)")]
    Class(Class),
    /// The DS or DNSKEY cannot be an anchor.
    #[error("{0}")]
    Anchor(AnchorDataError),
    /// A BIND-format error.
    #[error("{0}")]
    Bind(BindErrorKind),
    /// An RFC 7958 error.
    #[error("{0}")]
    Xml(XmlErrorKind),
    /// The file holds no anchor (for XML: none valid at the given time).
    #[error("no trust anchor in file{}", xml_hint(.xml))]
    NoAnchors {
        /// True for an XML file whose digests are all outside their validity window.
        xml: bool,
    },
}

fn xml_hint(xml: &bool) -> &'static str {
    if *xml {
        " valid now (check validFrom/validUntil and the clock)"
    } else {
        ""
    }
}

impl AnchorFileError {
    fn new(file: &Arc<str>, line: usize, kind: AnchorErrorKind) -> AnchorFileError {
        AnchorFileError { file: file.clone(), line, kind }
    }
}

/// Reads an anchor file (see the module documentation for formats).
pub fn load_anchor_file(path: &Path, options: &LoadOptions) -> Result<Vec<Anchor>, AnchorFileError> {
    let label: Arc<str> = path.display().to_string().into();
    let bytes = std::fs::read(path).map_err(|e| AnchorFileError::new(&label, 0, AnchorErrorKind::Io(e)))?;
    let text = String::from_utf8(bytes).map_err(|_| AnchorFileError::new(&label, 0, AnchorErrorKind::NotUtf8))?;
    let mut options = *options;
    if options.format == AnchorFormat::Auto && path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xml")) {
        options.format = AnchorFormat::Xml;
    }
    parse_anchors(&text, &label, &options)
}

/// Parses anchor-file text. `label` names it in errors and sources; relative `$INCLUDE`
/// paths of zone-file text are looked up beside it.
pub fn parse_anchors(text: &str, label: &str, options: &LoadOptions) -> Result<Vec<Anchor>, AnchorFileError> {
    let file: Arc<str> = label.into();
    let format = match options.format {
        AnchorFormat::Auto => sniff(text),
        f => f,
    };
    let anchors = match format {
        AnchorFormat::Xml => {
            let doc = crate::xml::parse(text).map_err(|e| AnchorFileError::new(&file, e.line, AnchorErrorKind::Xml(e.kind)))?;
            let anchors = doc.anchors_at(options.now, options.managed, |line| AnchorSource::File { file: file.clone(), line });
            if anchors.is_empty() {
                return Err(AnchorFileError::new(&file, 0, AnchorErrorKind::NoAnchors { xml: true }));
            }
            anchors
        }
        AnchorFormat::Bind => {
            crate::bind::parse(text, &file).map_err(|e| AnchorFileError::new(&file, e.line, AnchorErrorKind::Bind(e.kind)))?
        }
        AnchorFormat::ZoneFile | AnchorFormat::Auto => zone_file_anchors(text, label, options.managed)?,
    };
    if anchors.is_empty() {
        return Err(AnchorFileError::new(&file, 0, AnchorErrorKind::NoAnchors { xml: false }));
    }
    Ok(anchors)
}

/// The format [`AnchorFormat::Auto`] picks for this text.
pub fn sniff(text: &str) -> AnchorFormat {
    let mut rest = text.trim_start_matches('\u{feff}');
    loop {
        rest = rest.trim_start();
        if rest.starts_with(';') || rest.starts_with('#') || rest.starts_with("//") {
            rest = rest.split_once('\n').map_or("", |(_, r)| r);
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.split_once("*/").map_or("", |(_, r)| r);
        } else {
            break;
        }
    }
    if rest.starts_with('<') {
        return AnchorFormat::Xml;
    }
    let word: String = rest.chars().take_while(|c| !c.is_whitespace() && *c != '{').collect();
    match word.as_str() {
        "trust-anchors" | "managed-keys" | "trusted-keys" => AnchorFormat::Bind,
        _ => AnchorFormat::ZoneFile,
    }
}

fn zone_file_anchors(text: &str, label: &str, managed: bool) -> Result<Vec<Anchor>, AnchorFileError> {
    // The TTL of an anchor means nothing; 0 lets records omit it without `$TTL`.
    let entries = zonefile::parse_str(text, label, &Name::root(), Some(0)).map_err(|e| AnchorFileError {
        file: e.file.clone(),
        line: e.line,
        kind: AnchorErrorKind::Record(e.kind),
    })?;
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let r = &e.record;
        let fail = |kind| AnchorFileError { file: e.file.clone(), line: e.line, kind };
        if r.class != Class::IN {
            return Err(fail(AnchorErrorKind::Class(r.class)));
        }
        let source = AnchorSource::File { file: e.file.clone(), line: e.line };
        let anchor = match r.rtype {
            RType::DS => Anchor::ds(r.owner.clone(), &r.rdata, managed, source),
            RType::DNSKEY => Anchor::dnskey(r.owner.clone(), &r.rdata, managed, source),
            other => return Err(fail(AnchorErrorKind::NotAnAnchor(other))),
        };
        out.push(anchor.map_err(|k| fail(AnchorErrorKind::Anchor(k)))?);
    }
    Ok(out)
}

impl fmt::Display for AnchorFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AnchorFormat::Auto => "auto",
            AnchorFormat::ZoneFile => "zone file",
            AnchorFormat::Bind => "BIND",
            AnchorFormat::Xml => "RFC 7958 XML",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anchor::AnchorKind;

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
    }

    const NOW_2025: u64 = 1_748_736_000;

    fn opts(managed: bool) -> LoadOptions {
        LoadOptions { format: AnchorFormat::Auto, managed, now: NOW_2025 }
    }

    #[test]
    fn formats_are_sniffed() {
        assert_eq!(sniff("<?xml version=\"1.0\"?><TrustAnchor/>"), AnchorFormat::Xml);
        assert_eq!(sniff("\u{feff}  <TrustAnchor>"), AnchorFormat::Xml);
        assert_eq!(sniff("# comment\n// more\n/* block\n */ trust-anchors {"), AnchorFormat::Bind);
        assert_eq!(sniff("managed-keys{"), AnchorFormat::Bind);
        assert_eq!(sniff("trusted-keys {"), AnchorFormat::Bind);
        assert_eq!(sniff("; unbound\n. IN DS 20326 8 2 E06D"), AnchorFormat::ZoneFile);
        assert_eq!(sniff(""), AnchorFormat::ZoneFile);
    }

    #[test]
    fn unbound_style_zone_file_with_ds_and_dnskey() {
        let a = load_anchor_file(&fixture("root.key"), &opts(false)).unwrap();
        assert_eq!(a.len(), 3);
        assert!(a.iter().all(|x| x.owner == Name::root() && !x.managed));
        assert!(matches!(a[0].kind, AnchorKind::Ds(_)));
        assert!(matches!(a[1].kind, AnchorKind::Dnskey(_)) && matches!(a[2].kind, AnchorKind::Dnskey(_)));
        assert_eq!(a.iter().map(|x| x.key_tag).collect::<Vec<_>>(), vec![20326, 20326, 38696]);
        // The DS and the DNSKEY of KSK-2017 agree.
        assert!(a[0].matches_dnskey(a[1].kind.rdata()));
        let AnchorSource::File { file, line } = &a[2].source else { panic!("file source expected") };
        assert!(file.ends_with("root.key"));
        assert_eq!(*line, 9, "a parenthesised record is placed at its first line");
        // The caller may mark the file managed (Unbound auto-trust-anchor-file).
        assert!(load_anchor_file(&fixture("root.key"), &opts(true)).unwrap().iter().all(|x| x.managed));
    }

    #[test]
    fn bind_keys_file() {
        let a = load_anchor_file(&fixture("bind.keys"), &opts(false)).unwrap();
        assert_eq!(a.len(), 3);
        assert!(a[0].managed && a[1].managed && !a[2].managed);
        assert_eq!(a[2].owner, "example.com.".parse().unwrap());
        assert!(a[1].matches_dnskey(a[0].kind.rdata()), "initial-ds names the initial-key");
    }

    #[test]
    fn xml_file_by_extension_and_by_content() {
        // The built-in file, read as an operator's file would be.
        let xml = Path::new(env!("CARGO_MANIFEST_DIR")).join("root-anchors.xml");
        let a = load_anchor_file(&xml, &opts(true)).unwrap();
        assert_eq!(a.iter().map(|x| x.key_tag).collect::<Vec<_>>(), vec![20326, 38696]);
        assert!(a.iter().all(|x| x.managed));
        let text = std::fs::read_to_string(&xml).unwrap();
        assert_eq!(parse_anchors(&text, "anchors.txt", &opts(false)).unwrap().len(), 2);
        let e = parse_anchors(&text, "anchors.txt", &LoadOptions { now: 0, ..opts(false) }).unwrap_err();
        assert_eq!(e.to_string(), "anchors.txt: no trust anchor in file valid now (check validFrom/validUntil and the clock)");
    }

    fn refused(text: &str, format: AnchorFormat) -> String {
        parse_anchors(text, "ta.conf", &LoadOptions { format, ..opts(false) }).unwrap_err().to_string()
    }

    #[test]
    fn bad_files_are_refused_with_file_and_line() {
        let zone = ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n";
        assert_eq!(
            refused(&format!("{zone}example. IN A 192.0.2.1\n"), AnchorFormat::Auto),
            "ta.conf:2: A record in a trust-anchor file (only DS and DNSKEY are anchors)"
        );
        assert_eq!(
            refused(&format!("; c\n{zone}. IN DS 20326 8 2 E06D44\n"), AnchorFormat::Auto),
            "ta.conf:3: DS digest is 3 octets but digest type 2 makes 32"
        );
        assert_eq!(
            refused(". IN DNSKEY 385 3 8 AwEAAQ==\n", AnchorFormat::ZoneFile),
            "ta.conf:1: DNSKEY flags 385 have the REVOKE bit (128) set; a revoked key is never a trust anchor (RFC 5011 §2.1)"
        );
        assert!(refused(&format!("{zone}\n. IN DNSKEY 257 3 8 !!notbase64\n"), AnchorFormat::Auto).starts_with("ta.conf:3: "));
        assert!(refused(&format!("{zone}. CH DS 20326 8 2 E06D\n"), AnchorFormat::Auto).starts_with("ta.conf:2: "));
        assert_eq!(
            refused(
                "trust-anchors {\n  . initial-key 257 3 8 \"AwEAAQ==\";\n  . sometimes-key 257 3 8 \"AwEAAQ==\";\n};\n",
                AnchorFormat::Auto
            ),
            "ta.conf:3: unknown anchor type \"sometimes-key\" (expected initial-key, static-key, initial-ds or static-ds)"
        );
        assert_eq!(
            refused("<TrustAnchor>\n<Zone>.</Zone>\n<KeyDigest validFrom=\"2010-01-01T00:00:00Z\">\n<KeyTag>1</KeyTag>\n</KeyDigest>\n</TrustAnchor>\n", AnchorFormat::Auto),
            "ta.conf:3: <KeyDigest> has no <Algorithm>"
        );
        assert_eq!(refused("; only a comment\n", AnchorFormat::Auto), "ta.conf: no trust anchor in file");
        let missing = load_anchor_file(Path::new("/nonexistent/anchors.key"), &opts(false)).unwrap_err();
        assert_eq!(missing.line, 0);
        assert!(missing.to_string().starts_with("/nonexistent/anchors.key: cannot read anchor file: "));
    }
}
