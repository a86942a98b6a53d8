//! The root KSK trust-anchor sentinel (RFC 8509): a validating resolver answers
//! SERVFAIL for `root-key-sentinel-is-ta-<tag>` names when `<tag>` is not the key tag
//! of a root trust anchor it uses, and for `root-key-sentinel-not-ta-<tag>` names when
//! it is, so that anyone can learn which root KSKs a resolver trusts by looking names up
//! (the measurement behind root KSK rollovers).

use tern_shared::wire::{Name, RType};

const IS_TA: &[u8] = b"root-key-sentinel-is-ta-";
const NOT_TA: &[u8] = b"root-key-sentinel-not-ta-";

/// Which sentinel a label is, with its key tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sentinel {
    /// `root-key-sentinel-is-ta-DDDDD`.
    IsTa(u16),
    /// `root-key-sentinel-not-ta-DDDDD`.
    NotTa(u16),
}

/// The sentinel in `qname`'s leftmost label, if it is one: the prefix
/// (case-insensitive) and exactly five decimal digits making a key tag (RFC 8509 §2).
pub fn parse(qname: &Name) -> Option<Sentinel> {
    let wire = qname.wire();
    let len = *wire.first()? as usize;
    let label = wire.get(1..1 + len)?;
    let (prefix, make): (&[u8], fn(u16) -> Sentinel) = if label.len() == IS_TA.len() + 5 {
        (IS_TA, Sentinel::IsTa)
    } else if label.len() == NOT_TA.len() + 5 {
        (NOT_TA, Sentinel::NotTa)
    } else {
        return None;
    };
    let (head, digits) = label.split_at(prefix.len());
    if !head.eq_ignore_ascii_case(prefix) || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let tag = std::str::from_utf8(digits).ok()?.parse::<u32>().ok()?;
    u16::try_from(tag).ok().map(make)
}

/// True if the answer to this question must be SERVFAIL instead (RFC 8509 §3.2): only
/// for A and AAAA questions whose answer validated as secure, when the client did not
/// set CD, and the key tag's presence among the root trust anchors `root_tags`
/// contradicts the sentinel.
pub fn must_fail(qname: &Name, qtype: RType, cd: bool, secure: bool, root_tags: &[u16]) -> bool {
    if cd || !secure || !matches!(qtype, RType::A | RType::AAAA) {
        return false;
    }
    match parse(qname) {
        Some(Sentinel::IsTa(tag)) => !root_tags.contains(&tag),
        Some(Sentinel::NotTa(tag)) => root_tags.contains(&tag),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Name {
        s.parse().unwrap()
    }

    #[test]
    fn sentinel_labels_parse_with_exactly_five_digits_case_insensitively() {
        assert_eq!(parse(&n("root-key-sentinel-is-ta-20326.example.")), Some(Sentinel::IsTa(20326)));
        assert_eq!(parse(&n("ROOT-KEY-SENTINEL-NOT-TA-00000.example.")), Some(Sentinel::NotTa(0)));
        assert_eq!(parse(&n("root-key-sentinel-is-ta-2032.example.")), None);
        assert_eq!(parse(&n("root-key-sentinel-is-ta-203260.example.")), None);
        assert_eq!(parse(&n("root-key-sentinel-is-ta-2032x.example.")), None);
        assert_eq!(parse(&n("root-key-sentinel-is-ta-99999.example.")), None, "above 65535 is no key tag");
        assert_eq!(parse(&n("www.root-key-sentinel-is-ta-20326.example.")), None, "leftmost label only");
    }

    #[test]
    fn sentinels_fail_only_secure_a_and_aaaa_answers_without_cd() {
        let tags = [20326u16];
        let is = n("root-key-sentinel-is-ta-20326.example.");
        let is_other = n("root-key-sentinel-is-ta-19036.example.");
        let not = n("root-key-sentinel-not-ta-20326.example.");
        let not_other = n("root-key-sentinel-not-ta-19036.example.");
        assert!(!must_fail(&is, RType::A, false, true, &tags));
        assert!(must_fail(&is_other, RType::A, false, true, &tags));
        assert!(must_fail(&not, RType::AAAA, false, true, &tags));
        assert!(!must_fail(&not_other, RType::AAAA, false, true, &tags));
        // CD, an insecure answer or another type: the normal answer.
        assert!(!must_fail(&not, RType::A, true, true, &tags));
        assert!(!must_fail(&not, RType::A, false, false, &tags));
        assert!(!must_fail(&not, RType::TXT, false, true, &tags));
    }
}
