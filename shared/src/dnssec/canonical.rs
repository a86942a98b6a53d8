//! The data an RRSIG signs (RFC 4034 §3.1.8.1):
//!
//! ```text
//! signature = sign(RRSIG_RDATA | RR(1) | RR(2) | ...)
//! RR(i)     = owner | type | class | original TTL | RDATA length | RDATA
//! ```
//!
//! with the signer's name in RRSIG_RDATA lowercased (RFC 4034 §3.1.8.1, RFC 6840 §5.1),
//! the owner lowercased (§6.2 item 2) and, for a wildcard expansion, rebuilt as `*.` plus
//! the rightmost `labels` labels (RFC 4035 §5.3.2), names inside RDATA lowercased for the
//! types RFC 4034 §6.2 item 3 lists as amended by RFC 6840 §5.1 ([`rdata::canonical`]),
//! the original TTL from the RRSIG (§6.2 item 5), and the RRs sorted by their canonical
//! RDATA as left-justified unsigned octet strings with duplicates removed (§6.3).
//!
//! hickory-proto's builder skips the sort, the RDATA lowercasing and the deduplication, so
//! a correct signature over a mixed-case, unordered or duplicated RRset fails there; the
//! tests here build each of those cases.
//!
//! # Limitations
//! - RDATA of types without a layout in [`rdata::layout`] is used as is (RFC 3597 §7:
//!   unknown types have no names to lowercase), which is right for every type defined
//!   after RFC 3597 and wrong only for obsolete types RFC 4034 §6.2 lists that the layout
//!   table lacks (none today).
//! - RDATA is assumed uncompressed and well formed; malformed RDATA is hashed as given.

use crate::wire::rdata;
use crate::wire::record::RrsigView;
use crate::wire::{Class, Name, RType};

/// Why the signing input could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignedDataError {
    /// The RRSIG labels field exceeds the owner's label count (RFC 4035 §5.3.1: the RRSIG
    /// cannot cover this owner).
    #[error("RRSIG labels field {labels} exceeds the owner's {owner_labels} labels")]
    LabelsExceedOwner {
        /// The RRSIG labels field.
        labels: u8,
        /// Labels in the owner name (not counting the root).
        owner_labels: usize,
    },
    /// An RDATA is longer than the 65535 octets RDLENGTH can express.
    #[error("RDATA of {len} octets does not fit RDLENGTH")]
    RdataTooLong {
        /// Its length.
        len: usize,
    },
    /// The RRSIG RDATA could not be parsed.
    #[error("malformed RRSIG RDATA")]
    MalformedRrsig,
}

/// The RRSIG labels field for an RRset at `owner` (RFC 4034 §3.1.3): its labels, not
/// counting the root nor a leftmost `*`.
pub fn rrsig_labels(owner: &Name) -> u8 {
    let n = owner.label_count() - usize::from(owner.is_wildcard());
    // A name has at most 127 labels (255 octets), so this never saturates.
    u8::try_from(n).unwrap_or(u8::MAX)
}

/// The RRSIG signing input of RFC 4034 §3.1.8.1 for an RRset.
///
/// - `rrsig_rdata_prefix`: RRSIG RDATA without the signature ([`RrsigView::prefix`]); its
///   signer name is lowercased here.
/// - `owner`: the owner name as received, any case; lowercased here.
/// - `class`, `rtype`: the RRset's class and type (the RRSIG's type covered).
/// - `original_ttl`, `labels`: the RRSIG's Original TTL and Labels fields. When `labels` is
///   less than the owner's label count the RRset was synthesised from a wildcard and the
///   owner is rebuilt as `*.` + the rightmost `labels` labels (RFC 4035 §5.3.2).
/// - `rdatas`: the RDATA of each RR, uncompressed, in any order and case, duplicates allowed.
///
/// The caller passes `original_ttl`, `labels` and `rtype` from the same RRSIG whose prefix
/// it passes; [`rrsig_signed_data`] does that from a whole RRSIG.
pub fn signed_data(
    rrsig_rdata_prefix: &[u8],
    owner: &Name,
    class: Class,
    rtype: RType,
    original_ttl: u32,
    rdatas: &[&[u8]],
    labels: u8,
) -> Result<Vec<u8>, SignedDataError> {
    let owner_labels = owner.label_count();
    let labels_usize = usize::from(labels);
    if labels_usize > owner_labels {
        return Err(SignedDataError::LabelsExceedOwner { labels, owner_labels });
    }
    let owner = if labels_usize < owner_labels {
        // Cannot fail: `*` (2 octets) replaces at least one dropped label (2+ octets).
        owner.suffix(labels_usize).wildcard_child().map_err(|_| SignedDataError::LabelsExceedOwner { labels, owner_labels })?
    } else {
        owner.clone()
    }
    .to_lowercase();

    // RFC 4034 §6.3: sort by canonical RDATA as left-justified octet strings (which is
    // the lexicographic order of byte slices) and drop duplicates.
    let mut canon: Vec<std::borrow::Cow<'_, [u8]>> = rdatas.iter().map(|r| rdata::canonical(rtype, r)).collect();
    canon.sort_unstable();
    canon.dedup();

    let prefix = rdata::canonical(RType::RRSIG, rrsig_rdata_prefix);
    let per_rr_fixed = owner.wire_len() + 10;
    let total = prefix.len() + canon.iter().map(|r| per_rr_fixed + r.len()).sum::<usize>();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&prefix);
    for r in &canon {
        let rdlen = u16::try_from(r.len()).map_err(|_| SignedDataError::RdataTooLong { len: r.len() })?;
        out.extend_from_slice(owner.wire());
        out.extend_from_slice(&rtype.0.to_be_bytes());
        out.extend_from_slice(&class.0.to_be_bytes());
        out.extend_from_slice(&original_ttl.to_be_bytes());
        out.extend_from_slice(&rdlen.to_be_bytes());
        out.extend_from_slice(r);
    }
    Ok(out)
}

/// [`signed_data`] with the prefix, type covered, original TTL and labels taken from a
/// complete RRSIG RDATA.
pub fn rrsig_signed_data(rrsig_rdata: &[u8], owner: &Name, class: Class, rdatas: &[&[u8]]) -> Result<Vec<u8>, SignedDataError> {
    let sig = RrsigView::parse(rrsig_rdata).ok_or(SignedDataError::MalformedRrsig)?;
    signed_data(sig.prefix, owner, class, sig.covered, sig.original_ttl, rdatas, sig.labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Name {
        s.parse().expect("test name")
    }

    /// RRSIG prefix: type covered, alg 13, labels, TTL 3600, expiration, inception, tag, signer.
    fn prefix(covered: RType, labels: u8, signer: &Name) -> Vec<u8> {
        let mut p = Vec::new();
        p.extend_from_slice(&covered.0.to_be_bytes());
        p.push(13);
        p.push(labels);
        p.extend_from_slice(&3600u32.to_be_bytes());
        p.extend_from_slice(&2_000_000_000u32.to_be_bytes());
        p.extend_from_slice(&1_000_000_000u32.to_be_bytes());
        p.extend_from_slice(&12345u16.to_be_bytes());
        p.extend_from_slice(signer.wire());
        p
    }

    fn mx(pref: u16, host: &str) -> Vec<u8> {
        let mut v = pref.to_be_bytes().to_vec();
        v.extend_from_slice(n(host).wire());
        v
    }

    /// What RFC 4034 §6 says the input must be, written out by hand.
    fn expected_mx_input(owner: &str, p: &[u8], sorted_lower: &[Vec<u8>]) -> Vec<u8> {
        let mut e = p.to_vec();
        for r in sorted_lower {
            e.extend_from_slice(n(owner).wire());
            e.extend_from_slice(&[0, 15, 0, 1]);
            e.extend_from_slice(&3600u32.to_be_bytes());
            e.extend_from_slice(&(r.len() as u16).to_be_bytes());
            e.extend_from_slice(r);
        }
        e
    }

    #[test]
    fn rfc4034_6_mixed_case_unordered_duplicated_rrsets_sign_the_same_bytes() {
        let signer = n("example.com.");
        let p = prefix(RType::MX, 2, &signer);
        let a = mx(10, "a.example.com.");
        let b = mx(10, "b.example.com.");
        let c = mx(20, "a.example.com.");
        let canonical = [a.clone(), b.clone(), c.clone()];
        let want = expected_mx_input("example.com.", &p, &canonical);

        let sorted: Vec<&[u8]> = canonical.iter().map(|v| v.as_slice()).collect();
        let got = signed_data(&p, &n("example.com."), Class::IN, RType::MX, 3600, &sorted, 2).expect("input");
        assert_eq!(got, want, "sorted lowercase");

        let (big_b, big_c) = (mx(10, "B.Example.COM."), mx(20, "A.EXAMPLE.com."));
        let mixed: Vec<&[u8]> = vec![&big_c, &a, &big_b];
        let got = signed_data(&p, &n("EXAMPLE.Com."), Class::IN, RType::MX, 3600, &mixed, 2).expect("input");
        assert_eq!(got, want, "mixed case, unordered");

        let dup: Vec<&[u8]> = vec![&b, &a, &c, &big_b, &a];
        let got = signed_data(&p, &n("example.com."), Class::IN, RType::MX, 3600, &dup, 2).expect("input");
        assert_eq!(got, want, "duplicates, including case-only duplicates");
    }

    /// RFC 4034 §6.3: "absence of an octet sorts before a zero octet", and octets compare
    /// unsigned.
    #[test]
    fn rfc4034_6_3_rdata_order_is_left_justified_unsigned() {
        let p = prefix(RType::TXT, 1, &n("x."));
        // Two TXT strings "a" and "" extend "a" by a zero octet.
        let (short, longer, high) = (vec![1u8, b'a'], vec![1u8, b'a', 0], vec![1u8, 0xff]);
        let got = signed_data(&p, &n("x."), Class::IN, RType::TXT, 3600, &[&high, &longer, &short], 1).expect("input");
        let rr_len = n("x.").wire_len() + 10;
        let mut pos = p.len();
        let mut seen = Vec::new();
        for _ in 0..3 {
            let len = u16::from_be_bytes([got[pos + rr_len - 2], got[pos + rr_len - 1]]) as usize;
            seen.push(got[pos + rr_len..pos + rr_len + len].to_vec());
            pos += rr_len + len;
        }
        assert_eq!(seen, vec![short, longer, high]);
    }

    #[test]
    fn signer_name_is_lowercased_nsec_next_name_is_not() {
        let p = prefix(RType::NSEC, 1, &n("EXAMPLE."));
        let mut nsec = n("B.example.").wire().to_vec();
        nsec.extend_from_slice(&[0, 1, 0x40]);
        let got = signed_data(&p, &n("A.Example."), Class::IN, RType::NSEC, 3600, &[&nsec], 2).expect("input");
        let lower_prefix = prefix(RType::NSEC, 1, &n("example."));
        assert!(got.starts_with(&lower_prefix));
        let rest = &got[lower_prefix.len()..];
        assert!(rest.starts_with(n("a.example.").wire()));
        assert!(rest.ends_with(&nsec), "RFC 6840 §5.1: NSEC next name keeps its case");
        assert!(rest.windows(2).any(|w| w == [1, b'B']));
    }

    /// RFC 4035 §5.3.2: an answer synthesised from `*.example.` is verified over `*.example.`.
    #[test]
    fn rfc4035_5_3_2_wildcard_owner_is_reconstructed() {
        let p = prefix(RType::A, 1, &n("example."));
        let a = [192u8, 0, 2, 1];
        let expanded = signed_data(&p, &n("X.Y.example."), Class::IN, RType::A, 3600, &[&a], 1).expect("input");
        let at_wildcard = signed_data(&p, &n("*.example."), Class::IN, RType::A, 3600, &[&a], 1).expect("input");
        assert_eq!(expanded, at_wildcard);
        assert!(expanded[p.len()..].starts_with(n("*.example.").wire()));
        assert_eq!(rrsig_labels(&n("*.example.")), 1);
        assert_eq!(rrsig_labels(&n("a.b.example.")), 3);
        assert_eq!(rrsig_labels(&Name::root()), 0);
    }

    #[test]
    fn labels_above_owner_labels_are_refused() {
        let p = prefix(RType::A, 3, &n("example."));
        let err = signed_data(&p, &n("www.example."), Class::IN, RType::A, 3600, &[&[192, 0, 2, 1]], 3);
        assert_eq!(err, Err(SignedDataError::LabelsExceedOwner { labels: 3, owner_labels: 2 }));
    }

    #[test]
    fn original_ttl_is_used_and_whole_rrsig_helper_agrees() {
        let mut rrsig = prefix(RType::A, 2, &n("example."));
        let a = [192u8, 0, 2, 1];
        let direct = signed_data(&rrsig, &n("www.example."), Class::IN, RType::A, 3600, &[&a], 2).expect("input");
        rrsig.extend_from_slice(&[0xaa; 64]);
        let via = rrsig_signed_data(&rrsig, &n("www.example."), Class::IN, &[&a]).expect("input");
        assert_eq!(direct, via);
        assert!(direct.windows(4).any(|w| w == 3600u32.to_be_bytes()));
        assert_eq!(rrsig_signed_data(&[0; 5], &n("x."), Class::IN, &[]), Err(SignedDataError::MalformedRrsig));
    }
}
