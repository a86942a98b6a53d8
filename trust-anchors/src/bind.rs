//! BIND's trust-anchor statements, as found in `bind.keys` and `named.conf` includes:
//!
//! ```text
//! trust-anchors {
//!     . initial-key 257 3 8 "AwEAAaz/...";      // managed (RFC 5011)
//!     . initial-ds 20326 8 2 "E06D44B8...";     // managed, from a DS
//!     example.net. static-key 257 3 13 "...";   # not managed
//!     example.org. static-ds 12345 13 2 "...";  /* not managed */
//! };
//! managed-keys { "." initial-key 257 3 8 "..."; };   // BIND 9.11 spelling
//! trusted-keys { "example.com." 257 3 13 "..."; };   // BIND 9.11 static keys
//! ```
//!
//! `initial-key`/`initial-ds` anchors are managed by RFC 5011 automated updates,
//! `static-key`/`static-ds` and `trusted-keys` entries are not (BIND ARM, "trust-anchors
//! Block Grammar"). Names may be quoted; the key or digest may be quoted and split across
//! lines (whitespace inside is dropped). Comments: `//`, `#`, `/* */`.
//!
//! # Limitations
//! - Only these three statements may appear; a whole `named.conf` (with `options`, `zone`,
//!   ...) is refused with the statement named — point the resolver at the file holding
//!   the anchors.
//! - Class and view clauses are not part of this grammar and are refused.

use crate::anchor::{Anchor, AnchorDataError, AnchorSource};
use data_encoding::{BASE64, HEXLOWER_PERMISSIVE};
use std::sync::Arc;
use tern_shared::wire::{Name, NameError};

/// What is wrong with a BIND trust-anchor statement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BindErrorKind {
    /// A `"` without its closing quote.
    #[error("unterminated quoted string")]
    UnterminatedQuote,
    /// A `/*` without `*/`.
    #[error("unterminated /* comment")]
    UnterminatedComment,
    /// A statement other than the three anchor statements.
    #[error("unexpected statement \"{0}\" (expected trust-anchors, managed-keys or trusted-keys)")]
    UnknownStatement(String),
    /// Something else than what the grammar allows here.
    #[error("expected {expected}, found \"{found}\"")]
    Expected {
        /// What the grammar wants.
        expected: &'static str,
        /// What was there.
        found: String,
    },
    /// The file ended inside a statement.
    #[error("file ends where {0} was expected")]
    Eof(&'static str),
    /// An anchor type keyword other than the four known ones.
    #[error("unknown anchor type \"{0}\" (expected initial-key, static-key, initial-ds or static-ds)")]
    UnknownAnchorType(String),
    /// A number out of range.
    #[error("{what} \"{text}\" is not a number from 0 to {max}")]
    Number {
        /// Which field.
        what: &'static str,
        /// As written.
        text: String,
        /// Largest allowed.
        max: u32,
    },
    /// A bad owner name.
    #[error("bad name \"{text}\": {error}")]
    Name {
        /// As written.
        text: String,
        /// Why.
        error: NameError,
    },
    /// The key is not base64.
    #[error("public key is not base64")]
    Base64,
    /// The digest is not hex.
    #[error("digest is not hexadecimal")]
    Hex,
    /// The key or digest cannot be an anchor.
    #[error("{0}")]
    Anchor(AnchorDataError),
}

/// A BIND-format error: the line and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct BindError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub kind: BindErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Open,
    Close,
    Semi,
    Word(String),
    Quoted(String),
}

impl Tok {
    fn text(&self) -> String {
        match self {
            Tok::Open => "{".into(),
            Tok::Close => "}".into(),
            Tok::Semi => ";".into(),
            Tok::Word(w) => w.chars().take(64).collect(),
            Tok::Quoted(q) => format!("\"{}\"", q.chars().take(64).collect::<String>()),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<(Tok, usize)>, BindError> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut line) = (0usize, 1usize);
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => {
                line += 1;
                i += 1;
            }
            c if c.is_ascii_whitespace() => i += 1,
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let start = line;
                i += 2;
                loop {
                    match b.get(i) {
                        None => return Err(BindError { line: start, kind: BindErrorKind::UnterminatedComment }),
                        Some(b'*') if b.get(i + 1) == Some(&b'/') => {
                            i += 2;
                            break;
                        }
                        Some(b'\n') => {
                            line += 1;
                            i += 1;
                        }
                        Some(_) => i += 1,
                    }
                }
            }
            b'{' => {
                out.push((Tok::Open, line));
                i += 1;
            }
            b'}' => {
                out.push((Tok::Close, line));
                i += 1;
            }
            b';' => {
                out.push((Tok::Semi, line));
                i += 1;
            }
            b'"' => {
                let start = line;
                let from = i + 1;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\n' {
                        line += 1;
                    }
                    i += 1;
                }
                if i >= b.len() {
                    return Err(BindError { line: start, kind: BindErrorKind::UnterminatedQuote });
                }
                out.push((Tok::Quoted(String::from_utf8_lossy(&b[from..i]).into_owned()), start));
                i += 1;
            }
            _ => {
                let from = i;
                while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'{' | b'}' | b';' | b'"' | b'#') {
                    if b[i] == b'/' && matches!(b.get(i + 1), Some(b'/' | b'*')) {
                        break;
                    }
                    i += 1;
                }
                out.push((Tok::Word(String::from_utf8_lossy(&b[from..i]).into_owned()), line));
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: std::vec::IntoIter<(Tok, usize)>,
    last_line: usize,
}

impl Parser {
    fn next(&mut self, expected: &'static str) -> Result<(Tok, usize), BindError> {
        match self.toks.next() {
            Some((t, l)) => {
                self.last_line = l;
                Ok((t, l))
            }
            None => Err(BindError { line: self.last_line, kind: BindErrorKind::Eof(expected) }),
        }
    }

    fn expect(&mut self, want: Tok, expected: &'static str) -> Result<(), BindError> {
        let (t, line) = self.next(expected)?;
        if t == want {
            Ok(())
        } else {
            Err(BindError { line, kind: BindErrorKind::Expected { expected, found: t.text() } })
        }
    }

    /// A word or quoted string.
    fn string(&mut self, expected: &'static str) -> Result<(String, usize), BindError> {
        match self.next(expected)? {
            (Tok::Word(w) | Tok::Quoted(w), l) => Ok((w, l)),
            (t, line) => Err(BindError { line, kind: BindErrorKind::Expected { expected, found: t.text() } }),
        }
    }

    fn number(&mut self, what: &'static str, max: u32) -> Result<u32, BindError> {
        let (text, line) = self.string(what)?;
        let bad = || BindError { line, kind: BindErrorKind::Number { what, text: text.chars().take(32).collect(), max } };
        if text.is_empty() || text.len() > 10 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        match text.parse::<u64>() {
            Ok(v) if v <= max as u64 => Ok(v as u32),
            _ => Err(bad()),
        }
    }

    /// Words and quoted strings up to `;`, whitespace removed.
    fn blob(&mut self, expected: &'static str) -> Result<(String, usize), BindError> {
        let mut out = String::new();
        let mut first_line = None;
        loop {
            match self.next(expected)? {
                (Tok::Semi, line) if !out.is_empty() => return Ok((out, first_line.unwrap_or(line))),
                (Tok::Word(w) | Tok::Quoted(w), line) => {
                    first_line.get_or_insert(line);
                    out.extend(w.chars().filter(|c| !c.is_whitespace()));
                }
                (t, line) => return Err(BindError { line, kind: BindErrorKind::Expected { expected, found: t.text() } }),
            }
        }
    }
}

/// Parses BIND `trust-anchors`, `managed-keys` and `trusted-keys` statements. `file`
/// names the text in each anchor's source.
pub fn parse(text: &str, file: &Arc<str>) -> Result<Vec<Anchor>, BindError> {
    let mut p = Parser { toks: tokenize(text)?.into_iter(), last_line: 1 };
    let mut anchors = Vec::new();
    while let Some((tok, line)) = p.toks.next() {
        p.last_line = line;
        let statement = match &tok {
            Tok::Word(w) if matches!(w.as_str(), "trust-anchors" | "managed-keys" | "trusted-keys") => w.clone(),
            Tok::Word(w) => return Err(BindError { line, kind: BindErrorKind::UnknownStatement(w.chars().take(64).collect()) }),
            t => {
                return Err(BindError {
                    line,
                    kind: BindErrorKind::Expected { expected: "trust-anchors, managed-keys or trusted-keys", found: t.text() },
                })
            }
        };
        p.expect(Tok::Open, "{")?;
        loop {
            let (t, line) = p.next("an anchor or }")?;
            let owner_text = match t {
                Tok::Close => break,
                Tok::Word(w) | Tok::Quoted(w) => w,
                t => return Err(BindError { line, kind: BindErrorKind::Expected { expected: "an anchor or }", found: t.text() } }),
            };
            let owner = owner_text
                .parse::<Name>()
                .map_err(|error| BindError { line, kind: BindErrorKind::Name { text: owner_text.clone(), error } })?;
            let (ds, managed) = if statement == "trusted-keys" {
                (false, false)
            } else {
                let (kw, kw_line) = p.string("initial-key, static-key, initial-ds or static-ds")?;
                match kw.as_str() {
                    "initial-key" => (false, true),
                    "static-key" => (false, false),
                    "initial-ds" => (true, true),
                    "static-ds" => (true, false),
                    _ => return Err(BindError { line: kw_line, kind: BindErrorKind::UnknownAnchorType(kw.chars().take(64).collect()) }),
                }
            };
            let mut rdata = Vec::new();
            if ds {
                rdata.extend_from_slice(&(p.number("key tag", 65535)? as u16).to_be_bytes());
                rdata.push(p.number("algorithm", 255)? as u8);
                rdata.push(p.number("digest type", 255)? as u8);
                let (hex, l) = p.blob("a digest")?;
                rdata.extend(HEXLOWER_PERMISSIVE.decode(hex.as_bytes()).map_err(|_| BindError { line: l, kind: BindErrorKind::Hex })?);
            } else {
                rdata.extend_from_slice(&(p.number("flags", 65535)? as u16).to_be_bytes());
                rdata.push(p.number("protocol", 255)? as u8);
                rdata.push(p.number("algorithm", 255)? as u8);
                let (b64, l) = p.blob("a public key")?;
                rdata.extend(BASE64.decode(b64.as_bytes()).map_err(|_| BindError { line: l, kind: BindErrorKind::Base64 })?);
            }
            let source = AnchorSource::File { file: file.clone(), line };
            let anchor = if ds { Anchor::ds(owner, &rdata, managed, source) } else { Anchor::dnskey(owner, &rdata, managed, source) };
            anchors.push(anchor.map_err(|e| BindError { line, kind: BindErrorKind::Anchor(e) })?);
        }
        p.expect(Tok::Semi, "; after }")?;
    }
    Ok(anchors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anchor::AnchorKind;

    const KEY: &str = "AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHwVN8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOLYA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU=";

    fn file() -> Arc<str> {
        "bind.keys".into()
    }

    #[test]
    fn all_spellings_and_keywords() {
        let text = format!(
            r#"/* bind.keys style */
trust-anchors {{
        # KSK-2017, split across lines as bind.keys does
        . initial-key 257 3 8 "{}
                {}";
        . initial-ds 20326 8 2 "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D";
        example.net static-key 257 3 8 "{KEY}"; // trailing comment
        "example.org." static-ds 20326 8 2
            E06D44B80B8F1D39A95C0B0D7C65D084 58E880409BBC683457104237C7F8EC8D;
}};
managed-keys {{ "." initial-key 257 3 8 "{KEY}"; }};
trusted-keys {{
    "example.com." 257 3 8 "{KEY}";
}};
"#,
            &KEY[..100],
            &KEY[100..]
        );
        let a = parse(&text, &file()).unwrap();
        assert_eq!(a.len(), 6);
        let summary: Vec<(String, bool, bool, u16, usize)> = a
            .iter()
            .map(|x| {
                let line = match &x.source {
                    AnchorSource::File { line, .. } => *line,
                    _ => 0,
                };
                (x.owner.to_string(), matches!(x.kind, AnchorKind::Ds(_)), x.managed, x.key_tag, line)
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (".".into(), false, true, 20326, 4),
                (".".into(), true, true, 20326, 6),
                ("example.net.".into(), false, false, 20326, 7),
                ("example.org.".into(), true, false, 20326, 8),
                (".".into(), false, true, 20326, 11),
                ("example.com.".into(), false, false, 20326, 13),
            ]
        );
        assert_eq!(a[0].kind, a[4].kind, "split key equals the one-line key");
        assert_eq!(a[1].kind, a[3].kind, "split digest equals the one-line digest");
    }

    fn err(text: &str) -> (usize, BindErrorKind) {
        let e = parse(text, &file()).unwrap_err();
        (e.line, e.kind)
    }

    #[test]
    fn malformed_statements_name_the_line() {
        assert_eq!(err("options {\n};"), (1, BindErrorKind::UnknownStatement("options".into())));
        assert_eq!(
            err("trust-anchors {\n . initial-kye 257 3 8 \"AAAA\";\n};"),
            (2, BindErrorKind::UnknownAnchorType("initial-kye".into()))
        );
        assert!(matches!(
            err("trust-anchors {\n\n . initial-key 70000 3 8 \"AAAA\";\n};"),
            (3, BindErrorKind::Number { what: "flags", .. })
        ));
        assert_eq!(err("trust-anchors {\n . initial-key 257 3 8 \"A*A\";\n};"), (2, BindErrorKind::Base64));
        assert_eq!(err("trust-anchors {\n . initial-ds 1 8 2 \"XYZ\";\n};"), (2, BindErrorKind::Hex));
        assert!(matches!(
            err("trust-anchors {\n . static-ds 1 8 2 \"ABCD\";\n};"),
            (2, BindErrorKind::Anchor(AnchorDataError::DigestLength { .. }))
        ));
        assert_eq!(
            err(&format!("trust-anchors {{\n . static-key 385 3 8 \"{KEY}\";\n}};")),
            (2, BindErrorKind::Anchor(AnchorDataError::Revoked(385)))
        );
        assert_eq!(err("trust-anchors {\n . initial-key 257 3 8 \"AAAA\n"), (2, BindErrorKind::UnterminatedQuote));
        assert_eq!(err("/* never\n closed"), (1, BindErrorKind::UnterminatedComment));
        assert_eq!(err(&format!("trust-anchors {{\n . initial-key 257 3 8 \"{KEY}\";\n")), (2, BindErrorKind::Eof("an anchor or }")));
        assert_eq!(err(&format!("trust-anchors {{ . initial-key 257 3 8 \"{KEY}\"; }}\n\n")), (1, BindErrorKind::Eof("; after }")));
        assert!(matches!(err("trust-anchors {\n bad..name initial-key 257 3 8 \"AAAA\";\n};"), (2, BindErrorKind::Name { .. })));
        assert!(matches!(err("trust-anchors { . initial-key 257 3 8 ; };"), (1, BindErrorKind::Expected { .. })));
        assert!(matches!(err("{ };"), (1, BindErrorKind::Expected { .. })));
        assert!(matches!(err("trust-anchors ;"), (1, BindErrorKind::Expected { expected: "{", .. })));
    }

    #[test]
    fn empty_blocks_and_comments_only_give_nothing() {
        assert_eq!(parse("trust-anchors { };\n// nothing\n# nothing", &file()).unwrap(), Vec::new());
        assert_eq!(parse("", &file()).unwrap(), Vec::new());
    }
}
