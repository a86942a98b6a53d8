//! The RFC 7958 trust-anchor XML format (`root-anchors.xml`), read with a real XML
//! parser (`quick-xml`).
//!
//! RFC 7958 §2.1 schema: a `TrustAnchor` element (attributes `id`, `source`) holding a
//! `Zone` and one or more `KeyDigest` elements (attributes `id`, `validFrom`, optional
//! `validUntil`), each with `KeyTag`, `Algorithm`, `DigestType` and `Digest`. RFC 9718
//! adds optional `PublicKey` and `Flags`; when both are present this reader checks that
//! they are the key the digest names. RFC 7958 §3: a digest is used only while
//! `validFrom <= now < validUntil` ([`KeyDigest::is_valid_at`]).
//!
//! # Limitations
//! - The S/MIME signature of the file (RFC 7958 §4, `root-anchors.p7s`) is not checked:
//!   getting the file to the resolver intact is the operator's job (the built-in copy is
//!   checked against IANA's published SHA-256 in this crate's tests).
//! - `TrustAnchor`/`KeyDigest` `id` and `source` attributes are optional here (the schema
//!   requires them; several real-world copies drop them). Unknown elements are skipped so
//!   that later extensions of the format do not break old resolvers; a `<!DOCTYPE>` is
//!   refused (no entity expansion); only the predefined and character entities resolve.
//! - Only UTF-8 documents.

use crate::anchor::{Anchor, AnchorDataError, AnchorSource};
use crate::time::{parse_datetime, DateTimeError};
use data_encoding::{BASE64, HEXLOWER_PERMISSIVE};
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use tern_shared::dnssec::{digest_supported, ds_matches, key_tag};
use tern_shared::wire::{Name, NameError};

/// Nesting deeper than this is refused (the format needs 3 levels).
pub const MAX_XML_DEPTH: usize = 32;

/// A parsed RFC 7958 document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XmlTrustAnchor {
    /// `TrustAnchor id` attribute.
    pub id: Option<String>,
    /// `TrustAnchor source` attribute.
    pub source: Option<String>,
    /// The `Zone` the digests are for.
    pub zone: Name,
    /// Every `KeyDigest`, valid now or not, in document order.
    pub digests: Vec<KeyDigest>,
}

/// One `KeyDigest` element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyDigest {
    /// `id` attribute.
    pub id: Option<String>,
    /// `validFrom`, seconds since the epoch.
    pub valid_from: i64,
    /// `validUntil`, seconds since the epoch; `None` means no end.
    pub valid_until: Option<i64>,
    /// `KeyTag`.
    pub key_tag: u16,
    /// `Algorithm`.
    pub algorithm: u8,
    /// `DigestType`.
    pub digest_type: u8,
    /// `Digest`, decoded from hex.
    pub digest: Vec<u8>,
    /// `PublicKey` (RFC 9718), decoded from base64.
    pub public_key: Option<Vec<u8>>,
    /// `Flags` (RFC 9718).
    pub flags: Option<u16>,
    /// 1-based line of the `<KeyDigest>` tag.
    pub line: usize,
}

impl KeyDigest {
    /// RFC 7958 §3: usable at `now` if `validFrom <= now` and, when given, `now < validUntil`.
    pub fn is_valid_at(&self, now: u64) -> bool {
        let now = i64::try_from(now).unwrap_or(i64::MAX);
        self.valid_from <= now && self.valid_until.is_none_or(|u| now < u)
    }

    /// DS RDATA (RFC 4034 §5.1) for this digest.
    pub fn ds_rdata(&self) -> Vec<u8> {
        let mut r = Vec::with_capacity(4 + self.digest.len());
        r.extend_from_slice(&self.key_tag.to_be_bytes());
        r.push(self.algorithm);
        r.push(self.digest_type);
        r.extend_from_slice(&self.digest);
        r
    }

    /// DNSKEY RDATA built from `Flags` and `PublicKey` (RFC 9718), when both are given.
    pub fn dnskey_rdata(&self) -> Option<Vec<u8>> {
        let (flags, key) = (self.flags?, self.public_key.as_ref()?);
        let mut r = Vec::with_capacity(4 + key.len());
        r.extend_from_slice(&flags.to_be_bytes());
        r.push(crate::anchor::DNSKEY_PROTOCOL);
        r.push(self.algorithm);
        r.extend_from_slice(key);
        Some(r)
    }
}

impl XmlTrustAnchor {
    /// DS anchors for the digests valid at `now` ([`KeyDigest::is_valid_at`]), in
    /// document order. `source` names each digest's line.
    pub fn anchors_at(&self, now: u64, managed: bool, source: impl Fn(usize) -> AnchorSource) -> Vec<Anchor> {
        self.digests
            .iter()
            .filter(|d| d.is_valid_at(now))
            .filter_map(|d| Anchor::ds(self.zone.clone(), &d.ds_rdata(), managed, source(d.line)).ok())
            .collect()
    }
}

/// An RFC 7958 document that cannot be used, with the line at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct XmlError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub kind: XmlErrorKind,
}

/// What is wrong with an RFC 7958 document.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum XmlErrorKind {
    /// Not well-formed XML.
    #[error("XML syntax error: {0}")]
    Syntax(String),
    /// A `<!DOCTYPE>` declaration.
    #[error("<!DOCTYPE> is not allowed in a trust-anchor file")]
    DocType,
    /// An entity other than the five predefined ones or a character reference.
    #[error("unknown entity &{0};")]
    UnknownEntity(String),
    /// The root element is not `TrustAnchor`.
    #[error("root element is <{0}>, expected <TrustAnchor> (RFC 7958 §2.1)")]
    WrongRoot(String),
    /// No root element.
    #[error("no <TrustAnchor> element")]
    NoRoot,
    /// Elements nested too deep.
    #[error("elements nested more than {MAX_XML_DEPTH} deep")]
    TooDeep,
    /// A second root element or a second `Zone`.
    #[error("<{0}> given twice")]
    Duplicate(&'static str),
    /// A required element is missing.
    #[error("<{parent}> has no <{element}>")]
    Missing {
        /// Enclosing element.
        parent: &'static str,
        /// The missing child.
        element: &'static str,
    },
    /// A required attribute is missing.
    #[error("<{element}> has no {attribute} attribute")]
    MissingAttribute {
        /// The element.
        element: &'static str,
        /// The attribute.
        attribute: &'static str,
    },
    /// A malformed attribute.
    #[error("bad attribute: {0}")]
    Attribute(String),
    /// The document has no `KeyDigest`.
    #[error("<TrustAnchor> has no <KeyDigest> (RFC 7958 §2.1 requires one or more)")]
    NoDigest,
    /// A bad date-time attribute.
    #[error("{attribute}: {error}")]
    DateTime {
        /// `validFrom` or `validUntil`.
        attribute: &'static str,
        /// Why.
        error: DateTimeError,
    },
    /// A number out of range or malformed.
    #[error("<{element}> \"{text}\" is not a number from 0 to {max}")]
    Number {
        /// The element.
        element: &'static str,
        /// Its text.
        text: String,
        /// The largest value allowed.
        max: u32,
    },
    /// `Digest` is not hex.
    #[error("<Digest> is not hexadecimal")]
    Hex,
    /// `PublicKey` is not base64.
    #[error("<PublicKey> is not base64")]
    Base64,
    /// `Zone` is not a domain name.
    #[error("<Zone> \"{text}\": {error}")]
    Zone {
        /// The text.
        text: String,
        /// Why.
        error: NameError,
    },
    /// `validUntil` not after `validFrom`.
    #[error("validUntil is not after validFrom")]
    EmptyValidity,
    /// The digest cannot be an anchor.
    #[error("{0}")]
    Anchor(AnchorDataError),
    /// `PublicKey`/`Flags` do not hash to the `Digest`, or their key tag differs.
    #[error("<PublicKey> and <Flags> do not match key tag {key_tag} and its <Digest>")]
    PublicKeyMismatch {
        /// The `KeyTag` given.
        key_tag: u16,
    },
}

/// Leaf elements whose text is read.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Leaf {
    Zone,
    KeyTag,
    Algorithm,
    DigestType,
    Digest,
    PublicKey,
    Flags,
}

impl Leaf {
    fn name(self) -> &'static str {
        match self {
            Leaf::Zone => "Zone",
            Leaf::KeyTag => "KeyTag",
            Leaf::Algorithm => "Algorithm",
            Leaf::DigestType => "DigestType",
            Leaf::Digest => "Digest",
            Leaf::PublicKey => "PublicKey",
            Leaf::Flags => "Flags",
        }
    }
}

/// `KeyDigest` fields as they are read.
#[derive(Default)]
struct Partial {
    id: Option<String>,
    valid_from: Option<i64>,
    valid_until: Option<i64>,
    fields: [Option<String>; 7],
    line: usize,
}

/// Incremental byte-offset to line conversion.
struct Lines<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
}

impl Lines<'_> {
    fn at(&mut self, offset: u64) -> usize {
        let offset = usize::try_from(offset).unwrap_or(usize::MAX).min(self.text.len());
        if offset >= self.pos {
            self.line += self.text.get(self.pos..offset).map_or(0, |s| s.iter().filter(|&&b| b == b'\n').count());
        } else {
            self.line = 1 + self.text.get(..offset).map_or(0, |s| s.iter().filter(|&&b| b == b'\n').count());
        }
        self.pos = offset;
        self.line
    }
}

/// Parses an RFC 7958 document. Every `KeyDigest` must be complete and well-formed,
/// whether or not it is valid now.
pub fn parse(text: &str) -> Result<XmlTrustAnchor, XmlError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut lines = Lines { text: text.as_bytes(), pos: 0, line: 1 };
    let mut stack: Vec<String> = Vec::new();
    let mut root_seen = false;
    let mut id = None;
    let mut source = None;
    let mut zone: Option<(String, usize)> = None;
    let mut digests = Vec::new();
    let mut current: Option<Partial> = None;
    let mut leaf: Option<(Leaf, String)> = None;
    loop {
        let before = reader.buffer_position();
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => return Err(XmlError { line: lines.at(reader.error_position()), kind: XmlErrorKind::Syntax(e.to_string()) }),
        };
        let line = lines.at(before);
        let err = |kind| XmlError { line, kind };
        let (start, is_empty) = match event {
            Event::Start(s) => (s, false),
            Event::Empty(s) => (s, true),
            Event::End(_) => {
                let Some(closed) = stack.pop() else { return Err(err(XmlErrorKind::Syntax("unexpected end tag".into()))) };
                match stack.len() {
                    1 if closed == "KeyDigest" => {
                        let p = current.take().unwrap_or_default();
                        digests.push(finish_digest(p)?);
                    }
                    _ => {
                        if let Some((which, text)) = leaf.take() {
                            store_leaf(which, text, line, &mut zone, current.as_mut())?;
                        }
                    }
                }
                continue;
            }
            Event::Text(t) => {
                if let Some((_, buf)) = leaf.as_mut() {
                    buf.push_str(&t.xml10_content());
                }
                continue;
            }
            Event::CData(t) => {
                if let Some((_, buf)) = leaf.as_mut() {
                    buf.push_str(&t.xml10_content());
                }
                continue;
            }
            Event::GeneralRef(r) => {
                let resolved: String = if r.is_char_ref() {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => return Err(err(XmlErrorKind::UnknownEntity(r.to_string()))),
                    }
                } else {
                    match resolve_predefined_entity(&r) {
                        Some(s) => s.to_string(),
                        None => return Err(err(XmlErrorKind::UnknownEntity(r.to_string()))),
                    }
                };
                if let Some((_, buf)) = leaf.as_mut() {
                    buf.push_str(&resolved);
                }
                continue;
            }
            Event::DocType(_) => return Err(err(XmlErrorKind::DocType)),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => continue,
            Event::Eof => break,
        };
        let name = start.local_name().as_ref().to_string();
        if stack.len() >= MAX_XML_DEPTH {
            return Err(err(XmlErrorKind::TooDeep));
        }
        match stack.len() {
            0 => {
                if root_seen {
                    return Err(err(XmlErrorKind::Duplicate("TrustAnchor")));
                }
                if name != "TrustAnchor" {
                    return Err(err(XmlErrorKind::WrongRoot(name)));
                }
                root_seen = true;
                id = attribute(&start, "id").map_err(err)?;
                source = attribute(&start, "source").map_err(err)?;
            }
            1 if name == "Zone" => leaf = Some((Leaf::Zone, String::new())),
            1 if name == "KeyDigest" => {
                let valid_from = attribute(&start, "validFrom")
                    .map_err(err)?
                    .ok_or(err(XmlErrorKind::MissingAttribute { element: "KeyDigest", attribute: "validFrom" }))?;
                let valid_from =
                    parse_datetime(&valid_from).map_err(|e| err(XmlErrorKind::DateTime { attribute: "validFrom", error: e }))?;
                let valid_until = match attribute(&start, "validUntil").map_err(err)? {
                    Some(t) => Some(parse_datetime(&t).map_err(|e| err(XmlErrorKind::DateTime { attribute: "validUntil", error: e }))?),
                    None => None,
                };
                if valid_until.is_some_and(|u| u <= valid_from) {
                    return Err(err(XmlErrorKind::EmptyValidity));
                }
                current = Some(Partial {
                    id: attribute(&start, "id").map_err(err)?,
                    valid_from: Some(valid_from),
                    valid_until,
                    line,
                    ..Partial::default()
                });
            }
            2 if stack.get(1).is_some_and(|p| p == "KeyDigest") => {
                leaf = match name.as_str() {
                    "KeyTag" => Some((Leaf::KeyTag, String::new())),
                    "Algorithm" => Some((Leaf::Algorithm, String::new())),
                    "DigestType" => Some((Leaf::DigestType, String::new())),
                    "Digest" => Some((Leaf::Digest, String::new())),
                    "PublicKey" => Some((Leaf::PublicKey, String::new())),
                    "Flags" => Some((Leaf::Flags, String::new())),
                    _ => None,
                };
            }
            _ => leaf = None,
        }
        if is_empty {
            // `<X/>`: start and end at once.
            if stack.len() == 1 && name == "KeyDigest" {
                let p = current.take().unwrap_or_default();
                digests.push(finish_digest(p)?);
            } else if let Some((which, text)) = leaf.take() {
                store_leaf(which, text, line, &mut zone, current.as_mut())?;
            }
        } else {
            stack.push(name);
        }
    }
    let end_line = lines.at(u64::MAX);
    if !root_seen {
        return Err(XmlError { line: end_line, kind: XmlErrorKind::NoRoot });
    }
    if !stack.is_empty() {
        return Err(XmlError { line: end_line, kind: XmlErrorKind::Syntax(format!("<{}> is never closed", stack.join("> <"))) });
    }
    let Some((zone_text, zone_line)) = zone else {
        return Err(XmlError { line: 1, kind: XmlErrorKind::Missing { parent: "TrustAnchor", element: "Zone" } });
    };
    let zone = zone_text
        .parse::<Name>()
        .map_err(|error| XmlError { line: zone_line, kind: XmlErrorKind::Zone { text: zone_text.clone(), error } })?;
    if digests.is_empty() {
        return Err(XmlError { line: end_line, kind: XmlErrorKind::NoDigest });
    }
    for d in &digests {
        check_public_key(&zone, d)?;
    }
    Ok(XmlTrustAnchor { id, source, zone, digests })
}

fn attribute(start: &BytesStart<'_>, key: &str) -> Result<Option<String>, XmlErrorKind> {
    for a in start.attributes() {
        let a = a.map_err(|e| XmlErrorKind::Attribute(e.to_string()))?;
        if a.key.local_name().as_ref() == key {
            let v = a.normalized_value(XmlVersion::Implicit1_0).map_err(|e| XmlErrorKind::Attribute(e.to_string()))?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

fn store_leaf(
    which: Leaf,
    text: String,
    line: usize,
    zone: &mut Option<(String, usize)>,
    current: Option<&mut Partial>,
) -> Result<(), XmlError> {
    let text = text.trim().to_string();
    if which == Leaf::Zone {
        if zone.is_some() {
            return Err(XmlError { line, kind: XmlErrorKind::Duplicate("Zone") });
        }
        *zone = Some((text, line));
        return Ok(());
    }
    let Some(p) = current else { return Ok(()) };
    let slot = &mut p.fields[which as usize];
    if slot.is_some() {
        return Err(XmlError { line, kind: XmlErrorKind::Duplicate(which.name()) });
    }
    *slot = Some(text);
    Ok(())
}

fn number(element: &'static str, text: &str, max: u32, line: usize) -> Result<u32, XmlError> {
    let bad = || XmlError { line, kind: XmlErrorKind::Number { element, text: text.chars().take(32).collect(), max } };
    if text.is_empty() || text.len() > 10 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match text.parse::<u64>() {
        Ok(v) if v <= max as u64 => Ok(v as u32),
        _ => Err(bad()),
    }
}

fn finish_digest(p: Partial) -> Result<KeyDigest, XmlError> {
    let line = p.line;
    let need = |which: Leaf| -> Result<&str, XmlError> {
        p.fields[which as usize]
            .as_deref()
            .ok_or(XmlError { line, kind: XmlErrorKind::Missing { parent: "KeyDigest", element: which.name() } })
    };
    let key_tag = number("KeyTag", need(Leaf::KeyTag)?, 65535, line)? as u16;
    let algorithm = number("Algorithm", need(Leaf::Algorithm)?, 255, line)? as u8;
    let digest_type = number("DigestType", need(Leaf::DigestType)?, 255, line)? as u8;
    let digest_text: String = need(Leaf::Digest)?.split_ascii_whitespace().collect();
    let digest = HEXLOWER_PERMISSIVE.decode(digest_text.as_bytes()).map_err(|_| XmlError { line, kind: XmlErrorKind::Hex })?;
    let public_key = match p.fields[Leaf::PublicKey as usize].as_deref() {
        Some(t) => {
            let t: String = t.split_ascii_whitespace().collect();
            Some(BASE64.decode(t.as_bytes()).map_err(|_| XmlError { line, kind: XmlErrorKind::Base64 })?)
        }
        None => None,
    };
    let flags = match p.fields[Leaf::Flags as usize].as_deref() {
        Some(t) => Some(number("Flags", t, 65535, line)? as u16),
        None => None,
    };
    let valid_from =
        p.valid_from.ok_or(XmlError { line, kind: XmlErrorKind::MissingAttribute { element: "KeyDigest", attribute: "validFrom" } })?;
    let d =
        KeyDigest { id: p.id, valid_from, valid_until: p.valid_until, key_tag, algorithm, digest_type, digest, public_key, flags, line };
    crate::anchor::check_ds(&d.ds_rdata()).map_err(|e| XmlError { line, kind: XmlErrorKind::Anchor(e) })?;
    Ok(d)
}

/// RFC 9718: when `PublicKey` and `Flags` are given they must be the key the digest names.
fn check_public_key(zone: &Name, d: &KeyDigest) -> Result<(), XmlError> {
    let Some(dnskey) = d.dnskey_rdata() else { return Ok(()) };
    let tag_ok = key_tag(&dnskey) == d.key_tag;
    let digest_ok = !digest_supported(d.digest_type) || ds_matches(zone, &d.ds_rdata(), &dnskey);
    if tag_ok && digest_ok {
        Ok(())
    } else {
        Err(XmlError { line: d.line, kind: XmlErrorKind::PublicKeyMismatch { key_tag: d.key_tag } })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<TrustAnchor id="T" source="test">
  <Zone>example.</Zone>
  <!-- a comment -->
  <KeyDigest id="a" validFrom="2010-01-01T00:00:00+00:00" validUntil="2020-01-01T00:00:00+00:00">
    <KeyTag>1</KeyTag>
    <Algorithm>13</Algorithm>
    <DigestType>2</DigestType>
    <Digest>
      0000000000000000000000000000000000000000000000000000000000000001
    </Digest>
  </KeyDigest>
  <KeyDigest id="b" validFrom="2019-01-01T00:00:00Z">
    <KeyTag>2</KeyTag>
    <Algorithm>13</Algorithm>
    <DigestType>2</DigestType>
    <Digest>00000000000000000000000000000000000000000000000000000000000000&#x30;2</Digest>
    <Future>ignored</Future>
  </KeyDigest>
</TrustAnchor>
"#;

    const T2015: u64 = 1_420_070_400;
    const T2019_6: u64 = 1_559_347_200;
    const T2025: u64 = 1_735_689_600;

    #[test]
    fn validity_windows_select_digests() {
        let doc = parse(MINIMAL).unwrap();
        assert_eq!(doc.zone, "example.".parse().unwrap());
        assert_eq!(doc.id.as_deref(), Some("T"));
        assert_eq!(doc.digests.len(), 2);
        assert_eq!(doc.digests[0].line, 5);
        assert_eq!(doc.digests[1].line, 13);
        assert_eq!(doc.digests[1].digest[31], 2, "character reference resolved");
        let tags = |now| doc.anchors_at(now, false, |_| AnchorSource::BuiltIn).iter().map(|a| a.key_tag).collect::<Vec<_>>();
        assert_eq!(tags(T2015), vec![1]);
        assert_eq!(tags(T2019_6), vec![1, 2]);
        assert_eq!(tags(T2025), vec![2], "validUntil in the past excludes the digest");
        assert_eq!(tags(0), Vec::<u16>::new());
    }

    fn line_of(text: &str) -> (usize, XmlErrorKind) {
        let e = parse(text).unwrap_err();
        (e.line, e.kind)
    }

    #[test]
    fn malformed_documents_name_the_line() {
        let bad_tag = MINIMAL.replace("<KeyTag>2</KeyTag>", "<KeyTag>70000</KeyTag>");
        assert_eq!(line_of(&bad_tag).0, 13);
        assert!(matches!(line_of(&bad_tag).1, XmlErrorKind::Number { element: "KeyTag", .. }));

        let no_digest = MINIMAL.replace("<Digest>00000000000000000000000000000000000000000000000000000000000000&#x30;2</Digest>", "");
        assert_eq!(line_of(&no_digest), (13, XmlErrorKind::Missing { parent: "KeyDigest", element: "Digest" }));

        let short = MINIMAL.replace("&#x30;2</Digest>", "</Digest>");
        assert!(matches!(line_of(&short), (13, XmlErrorKind::Anchor(AnchorDataError::DigestLength { .. }))));

        let bad_date = MINIMAL.replace("2019-01-01T00:00:00Z", "2019-01-01");
        assert!(matches!(line_of(&bad_date), (13, XmlErrorKind::DateTime { attribute: "validFrom", .. })));

        let unclosed = MINIMAL.replace("</Algorithm>\n    <DigestType>2", "\n    <DigestType>2");
        assert!(matches!(line_of(&unclosed).1, XmlErrorKind::Syntax(_)));

        assert!(matches!(line_of("<Other/>"), (1, XmlErrorKind::WrongRoot(_))));
        assert!(matches!(line_of(""), (_, XmlErrorKind::NoRoot)));
        assert!(matches!(line_of("<!DOCTYPE x [<!ENTITY a \"b\">]><TrustAnchor/>").1, XmlErrorKind::DocType));
        assert!(matches!(line_of("<TrustAnchor><Zone>.</Zone></TrustAnchor>").1, XmlErrorKind::NoDigest));
        let ent = MINIMAL.replace("&#x30;", "&foo;");
        assert_eq!(line_of(&ent), (17, XmlErrorKind::UnknownEntity("foo".into())));
        let two_zones = MINIMAL.replace("<Zone>example.</Zone>", "<Zone>a.</Zone>\n<Zone>b.</Zone>");
        assert_eq!(line_of(&two_zones), (4, XmlErrorKind::Duplicate("Zone")));
        let backwards = MINIMAL.replace("validUntil=\"2020-01-01T00:00:00+00:00\"", "validUntil=\"2009-01-01T00:00:00+00:00\"");
        assert_eq!(line_of(&backwards), (5, XmlErrorKind::EmptyValidity));
        let deep = format!("<TrustAnchor>{}", "<a>".repeat(40));
        assert_eq!(line_of(&deep).1, XmlErrorKind::TooDeep);
        assert!(matches!(line_of("<TrustAnchor><Zone>.</Zone><KeyDigest validFrom=\"2010-01-01T00:00:00Z\">").1, XmlErrorKind::Syntax(_)));
    }

    #[test]
    fn garbage_never_panics() {
        let samples = [MINIMAL.to_string(), crate::root::ROOT_ANCHORS_XML.to_string()];
        for s in &samples {
            for cut in (0..s.len()).step_by(7) {
                if let Some(prefix) = s.get(..cut) {
                    let _ = parse(prefix);
                }
            }
        }
        for junk in ["<", "<<>>", "<TrustAnchor", "</TrustAnchor>", "<TrustAnchor/><TrustAnchor/>", "&amp;", "<a b=\"&bogus;\"/>", "\u{0}"]
        {
            let _ = parse(junk);
        }
    }
}
