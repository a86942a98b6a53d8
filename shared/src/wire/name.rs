//! Domain names in uncompressed wire format (RFC 1035 §3.1), with presentation-format
//! parsing and printing (RFC 1035 §5.1 escapes), case-insensitive comparison
//! (RFC 4343) and the canonical ordering of RFC 4034 §6.1.
//!
//! A [`Name`] keeps the case it was given: answers echo the case of the question
//! (RFC 4343 §4.1) and DNSSEC canonical form lowercases only where RFC 4034 §6.2 says.
//!
//! # Limitations
//! Only absolute names are stored; relative names are resolved against an origin
//! at parse time.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// RFC 1035 §2.3.4: a name is at most 255 octets in wire format.
pub const MAX_NAME_LEN: usize = 255;
/// RFC 1035 §2.3.4: a label is at most 63 octets.
pub const MAX_LABEL_LEN: usize = 63;

/// Errors building or parsing a name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The name would exceed 255 octets in wire format.
    #[error("name longer than 255 octets")]
    TooLong,
    /// A label would exceed 63 octets.
    #[error("label longer than 63 octets")]
    LabelTooLong,
    /// Two dots in a row, or a dot at the start of a non-root name.
    #[error("empty label")]
    EmptyLabel,
    /// A backslash escape that is not `\X` or `\DDD` with DDD <= 255.
    #[error("bad escape sequence")]
    BadEscape,
    /// The wire image is not a sequence of labels ending in the root label.
    #[error("malformed wire-format name")]
    BadWire,
    /// A relative name was given where no origin is known.
    #[error("relative name without an origin")]
    Relative,
}

/// An absolute domain name in uncompressed wire format, case preserved.
///
/// Equality, hashing and ordering ignore ASCII case (RFC 4343); ordering is the
/// canonical order of RFC 4034 §6.1.
#[derive(Clone)]
pub struct Name {
    wire: Box<[u8]>,
}

impl Name {
    /// The root name `.`.
    pub fn root() -> Name {
        Name { wire: Box::new([0u8]) }
    }

    /// Builds a name from an uncompressed wire image, checking its structure.
    pub fn from_wire(wire: &[u8]) -> Result<Name, NameError> {
        let len = wire_name_len(wire).ok_or(NameError::BadWire)?;
        if len != wire.len() {
            return Err(NameError::BadWire);
        }
        Ok(Name { wire: wire.into() })
    }

    /// Builds a name from a wire image already known to be well formed.
    pub(crate) fn from_wire_unchecked(wire: Vec<u8>) -> Name {
        debug_assert_eq!(wire_name_len(&wire), Some(wire.len()));
        Name { wire: wire.into_boxed_slice() }
    }

    /// Parses presentation format (RFC 1035 §5.1): `\X` and `\DDD` escapes, a trailing
    /// dot for absolute names, `@` for the origin. A name without a trailing dot is made
    /// absolute by appending `origin`.
    pub fn parse(text: &str, origin: Option<&Name>) -> Result<Name, NameError> {
        if text == "@" {
            return origin.cloned().ok_or(NameError::Relative);
        }
        if text == "." {
            return Ok(Name::root());
        }
        let bytes = text.as_bytes();
        let mut wire = Vec::with_capacity(bytes.len() + 2);
        let mut label = Vec::with_capacity(MAX_LABEL_LEN);
        let mut i = 0;
        let mut absolute = false;
        while i < bytes.len() {
            let c = bytes[i];
            match c {
                b'.' => {
                    if label.is_empty() {
                        return Err(NameError::EmptyLabel);
                    }
                    push_label(&mut wire, &label)?;
                    label.clear();
                    if i + 1 == bytes.len() {
                        absolute = true;
                    }
                    i += 1;
                }
                b'\\' => {
                    let (b, used) = parse_escape(&bytes[i + 1..])?;
                    label.push(b);
                    i += 1 + used;
                }
                _ => {
                    label.push(c);
                    i += 1;
                }
            }
            if label.len() > MAX_LABEL_LEN {
                return Err(NameError::LabelTooLong);
            }
        }
        if !label.is_empty() {
            push_label(&mut wire, &label)?;
        }
        if absolute {
            wire.push(0);
        } else {
            let origin = origin.ok_or(NameError::Relative)?;
            wire.extend_from_slice(origin.wire());
        }
        if wire.len() > MAX_NAME_LEN {
            return Err(NameError::TooLong);
        }
        Ok(Name { wire: wire.into_boxed_slice() })
    }

    /// The uncompressed wire image, case preserved.
    #[inline]
    pub fn wire(&self) -> &[u8] {
        &self.wire
    }

    /// Length of the wire image in octets.
    #[inline]
    pub fn wire_len(&self) -> usize {
        self.wire.len()
    }

    /// True for the root name.
    #[inline]
    pub fn is_root(&self) -> bool {
        self.wire.len() == 1
    }

    /// Number of labels, not counting the root label (RFC 4034 §3.1.3 "Labels").
    pub fn label_count(&self) -> usize {
        self.labels().count()
    }

    /// The labels from left to right, without the root label.
    pub fn labels(&self) -> Labels<'_> {
        Labels { wire: &self.wire, pos: 0 }
    }

    /// True if the leftmost label is `*` (RFC 4592 §2.1.1).
    pub fn is_wildcard(&self) -> bool {
        self.wire.len() >= 2 && self.wire[0] == 1 && self.wire[1] == b'*'
    }

    /// The name with its leftmost label removed; `None` for the root.
    pub fn parent(&self) -> Option<Name> {
        if self.is_root() {
            return None;
        }
        let skip = 1 + self.wire[0] as usize;
        Some(Name { wire: self.wire[skip..].into() })
    }

    /// The name made of the rightmost `n` labels (plus the root).
    pub fn suffix(&self, n: usize) -> Name {
        let total = self.label_count();
        let mut pos = 0;
        for _ in 0..total.saturating_sub(n) {
            pos += 1 + self.wire[pos] as usize;
        }
        Name { wire: self.wire[pos..].into() }
    }

    /// `*.` + this name, used for wildcard lookups (RFC 4592).
    pub fn wildcard_child(&self) -> Result<Name, NameError> {
        self.prepend_label(b"*")
    }

    /// A name with `label` added on the left.
    pub fn prepend_label(&self, label: &[u8]) -> Result<Name, NameError> {
        if label.is_empty() {
            return Err(NameError::EmptyLabel);
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(NameError::LabelTooLong);
        }
        if self.wire.len() + 1 + label.len() > MAX_NAME_LEN {
            return Err(NameError::TooLong);
        }
        let mut wire = Vec::with_capacity(self.wire.len() + 1 + label.len());
        wire.push(label.len() as u8);
        wire.extend_from_slice(label);
        wire.extend_from_slice(&self.wire);
        Ok(Name { wire: wire.into_boxed_slice() })
    }

    /// True if `self` is `other` or below it (case-insensitive).
    pub fn is_subdomain_of(&self, other: &Name) -> bool {
        let (a, b) = (&self.wire[..], &other.wire[..]);
        if b.len() > a.len() {
            return false;
        }
        let start = a.len() - b.len();
        if !a[start..].eq_ignore_ascii_case(b) {
            return false;
        }
        // The suffix must start on a label boundary of `self`.
        let mut pos = 0;
        while pos < start {
            pos += 1 + a[pos] as usize;
        }
        pos == start
    }

    /// Replaces the suffix `old` of this name with `new` (DNAME substitution, RFC 6672 §2.2).
    pub fn replace_suffix(&self, old: &Name, new: &Name) -> Result<Name, NameError> {
        debug_assert!(self.is_subdomain_of(old));
        let keep = self.wire.len() - old.wire.len();
        let len = keep + new.wire.len();
        if len > MAX_NAME_LEN {
            return Err(NameError::TooLong);
        }
        let mut wire = Vec::with_capacity(len);
        wire.extend_from_slice(&self.wire[..keep]);
        wire.extend_from_slice(&new.wire);
        Ok(Name { wire: wire.into_boxed_slice() })
    }

    /// The same name with ASCII letters lowercased (RFC 4034 §6.2 canonical form).
    pub fn to_lowercase(&self) -> Name {
        let mut wire = self.wire.clone();
        wire.make_ascii_lowercase();
        Name { wire }
    }

    /// Number of labels shared from the right with `other` (the common ancestor depth).
    pub fn common_labels(&self, other: &Name) -> usize {
        let a: Vec<&[u8]> = self.labels().collect();
        let b: Vec<&[u8]> = other.labels().collect();
        a.iter().rev().zip(b.iter().rev()).take_while(|(x, y)| x.eq_ignore_ascii_case(y)).count()
    }
}

fn push_label(wire: &mut Vec<u8>, label: &[u8]) -> Result<(), NameError> {
    if label.len() > MAX_LABEL_LEN {
        return Err(NameError::LabelTooLong);
    }
    wire.push(label.len() as u8);
    wire.extend_from_slice(label);
    if wire.len() + 1 > MAX_NAME_LEN {
        return Err(NameError::TooLong);
    }
    Ok(())
}

/// Parses the part after a backslash: `\DDD` (decimal, at most 255) or `\X`.
/// Returns the byte and how many input bytes were used.
pub(crate) fn parse_escape(rest: &[u8]) -> Result<(u8, usize), NameError> {
    match rest {
        [a, b, c, ..] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() => {
            let v = (a - b'0') as u32 * 100 + (b - b'0') as u32 * 10 + (c - b'0') as u32;
            if v > 255 {
                return Err(NameError::BadEscape);
            }
            Ok((v as u8, 3))
        }
        [a, ..] if a.is_ascii_digit() => Err(NameError::BadEscape),
        [x, ..] => Ok((*x, 1)),
        [] => Err(NameError::BadEscape),
    }
}

/// Length of the uncompressed name at the start of `buf`, or `None` if malformed.
pub fn wire_name_len(buf: &[u8]) -> Option<usize> {
    let mut pos = 0;
    loop {
        let len = *buf.get(pos)? as usize;
        if len == 0 {
            pos += 1;
            break;
        }
        if len > MAX_LABEL_LEN {
            return None;
        }
        pos += 1 + len;
        if pos > MAX_NAME_LEN {
            return None;
        }
    }
    if pos > MAX_NAME_LEN || pos > buf.len() {
        return None;
    }
    Some(pos)
}

/// Iterator over the labels of a name, left to right.
pub struct Labels<'a> {
    wire: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Labels<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let len = *self.wire.get(self.pos)? as usize;
        if len == 0 {
            return None;
        }
        let label = &self.wire[self.pos + 1..self.pos + 1 + len];
        self.pos += 1 + len;
        Some(label)
    }
}

/// Writes a wire-format name (uncompressed, as in a question) in presentation format
/// (RFC 1035 §5.1) with its final dot, without allocating. A malformed name is an error.
pub fn write_presentation(wire: &[u8], f: &mut impl fmt::Write) -> fmt::Result {
    if wire.first() == Some(&0) {
        return f.write_str(".");
    }
    let mut pos = 0;
    loop {
        let len = *wire.get(pos).ok_or(fmt::Error)? as usize;
        if len == 0 {
            return Ok(());
        }
        fmt_label(f, wire.get(pos + 1..pos + 1 + len).ok_or(fmt::Error)?)?;
        f.write_str(".")?;
        pos += 1 + len;
    }
}

/// Writes one label in presentation format with RFC 1035 §5.1 escapes.
pub(crate) fn fmt_label(f: &mut impl fmt::Write, label: &[u8]) -> fmt::Result {
    for &b in label {
        match b {
            b'.' | b'\\' | b'"' | b'(' | b')' | b';' | b'@' | b'$' => {
                f.write_char('\\')?;
                f.write_char(b as char)?;
            }
            0x21..=0x7e => f.write_char(b as char)?,
            _ => write!(f, "\\{:03}", b)?,
        }
    }
    Ok(())
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_root() {
            return f.write_str(".");
        }
        for label in self.labels() {
            fmt_label(f, label)?;
            f.write_str(".")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name({})", self)
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.wire.eq_ignore_ascii_case(&other.wire)
    }
}
impl Eq for Name {}

impl Hash for Name {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(self.wire.len());
        for b in self.wire.iter() {
            state.write_u8(b.to_ascii_lowercase());
        }
    }
}

/// RFC 4034 §6.1 canonical ordering: compare labels right to left, each as a
/// lowercased octet string, a missing label sorting first.
pub fn canonical_cmp(a: &[u8], b: &[u8]) -> Ordering {
    // Collect label start offsets (at most 128 labels in a 255-octet name).
    let mut sa = [0u8; 128];
    let mut sb = [0u8; 128];
    let na = label_starts(a, &mut sa);
    let nb = label_starts(b, &mut sb);
    let (mut ia, mut ib) = (na, nb);
    while ia > 0 && ib > 0 {
        ia -= 1;
        ib -= 1;
        let pa = sa[ia] as usize;
        let pb = sb[ib] as usize;
        let la = &a[pa + 1..pa + 1 + a[pa] as usize];
        let lb = &b[pb + 1..pb + 1 + b[pb] as usize];
        let ord = cmp_label(la, lb);
        if ord != Ordering::Equal {
            return ord;
        }
    }
    na.cmp(&nb)
}

/// Writes the offset of each label in an uncompressed wire name into `out` (the root
/// label excluded; RFC 1035 §3.1 caps a name at 127 labels) and returns how many.
pub fn label_starts(wire: &[u8], out: &mut [u8; 128]) -> usize {
    let mut n = 0;
    let mut pos = 0;
    while pos < wire.len() && wire[pos] != 0 && n < 128 {
        out[n] = pos as u8;
        n += 1;
        pos += 1 + wire[pos] as usize;
    }
    n
}

fn cmp_label(a: &[u8], b: &[u8]) -> Ordering {
    for (x, y) in a.iter().zip(b.iter()) {
        let (x, y) = (x.to_ascii_lowercase(), y.to_ascii_lowercase());
        if x != y {
            return x.cmp(&y);
        }
    }
    a.len().cmp(&b.len())
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Name) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Name {
    fn cmp(&self, other: &Name) -> Ordering {
        canonical_cmp(&self.wire, &other.wire)
    }
}

impl std::str::FromStr for Name {
    type Err = NameError;
    /// Parses an absolute name; a missing trailing dot is accepted and treated as absolute.
    fn from_str(s: &str) -> Result<Name, NameError> {
        Name::parse(s, Some(&Name::root()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Name {
        s.parse().unwrap()
    }

    #[test]
    fn presentation_round_trips_with_escapes() {
        let name = Name::parse(r"a\.b.c\032d.\255.", None).unwrap();
        assert_eq!(name.label_count(), 3);
        assert_eq!(name.to_string(), r"a\.b.c\032d.\255.");
        assert_eq!(n("example.com").to_string(), "example.com.");
        assert_eq!(Name::root().to_string(), ".");
    }

    #[test]
    fn relative_names_take_the_origin() {
        let origin = n("example.com.");
        assert_eq!(Name::parse("www", Some(&origin)).unwrap(), n("www.example.com."));
        assert_eq!(Name::parse("@", Some(&origin)).unwrap(), origin);
        assert_eq!(Name::parse("www", None), Err(NameError::Relative));
    }

    #[test]
    fn limits_are_enforced() {
        let long_label = "a".repeat(64);
        assert_eq!(Name::parse(&format!("{long_label}."), None), Err(NameError::LabelTooLong));
        let long = format!("{}.", vec!["a".repeat(63); 4].join("."));
        assert_eq!(Name::parse(&long, None), Err(NameError::TooLong));
        assert_eq!(Name::parse("a..b.", None), Err(NameError::EmptyLabel));
        assert_eq!(Name::parse(r"a\256.", None), Err(NameError::BadEscape));
    }

    #[test]
    fn comparison_ignores_case() {
        assert_eq!(n("WWW.Example.COM."), n("www.example.com."));
        assert!(n("a.B.c.").is_subdomain_of(&n("b.C.")));
        assert!(!n("ab.c.").is_subdomain_of(&n("b.c.")));
        assert!(n("x.").is_subdomain_of(&Name::root()));
    }

    /// RFC 4034 §6.1 gives this list in canonical order.
    #[test]
    fn canonical_order_matches_rfc4034_section_6_1() {
        let ordered = [
            "example.",
            "a.example.",
            "yljkjljk.a.example.",
            "Z.a.example.",
            r"zABC.a.EXAMPLE.",
            "z.example.",
            r"\001.z.example.",
            "*.z.example.",
            r"\200.z.example.",
        ];
        let names: Vec<Name> = ordered.iter().map(|s| Name::parse(s, None).unwrap()).collect();
        for w in names.windows(2) {
            assert_eq!(w[0].cmp(&w[1]), Ordering::Less, "{} < {}", w[0], w[1]);
        }
    }

    #[test]
    fn dname_substitution_replaces_the_suffix() {
        let q = n("www.dn.sec.test.");
        let out = q.replace_suffix(&n("dn.sec.test."), &n("ed.test.")).unwrap();
        assert_eq!(out, n("www.ed.test."));
    }
}
