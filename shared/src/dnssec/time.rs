//! RFC 1982 serial-number arithmetic on the 32-bit RRSIG Inception and Expiration fields
//! (RFC 4034 §3.1.5): an RRSIG may only be used when inception <= now <= expiration, with
//! every comparison done modulo 2^32 so that validity windows across the 2106 wrap work.
//!
//! # Limitations
//! - Two values exactly 2^31 apart are incomparable (RFC 1982 §3.2); a window that wide is
//!   treated as not containing "now". Times more than 68 years from "now" cannot be told
//!   apart from the past, which RFC 4034 §3.1.5 accepts as a consequence of the format.
//! - Clock skew allowances (e.g. Unbound's `val-sig-skew-*`) are the caller's policy: widen
//!   the window before calling.

use std::cmp::Ordering;

/// RFC 1982 §3.2 comparison of two 32-bit serial numbers: `Some(Less)` if `a` precedes
/// `b`, `Some(Equal)` if equal, `Some(Greater)` if it follows, `None` when they are
/// exactly 2^31 apart (undefined).
pub fn serial_cmp(a: u32, b: u32) -> Option<Ordering> {
    let d = b.wrapping_sub(a);
    match d {
        0 => Some(Ordering::Equal),
        0x8000_0000 => None,
        d if d < 0x8000_0000 => Some(Ordering::Less),
        _ => Some(Ordering::Greater),
    }
}

/// True if `now` lies in the RRSIG validity window: inception <= now <= expiration in
/// serial-number arithmetic (RFC 4034 §3.1.5, RFC 4035 §5.3.1). All three are seconds since
/// the epoch modulo 2^32; a window whose expiration precedes its inception never matches.
pub fn time_in_window(now: u32, inception: u32, expiration: u32) -> bool {
    let le = |a: u32, b: u32| matches!(serial_cmp(a, b), Some(Ordering::Less | Ordering::Equal));
    le(inception, now) && le(now, expiration) && le(inception, expiration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1982_comparison() {
        assert_eq!(serial_cmp(1, 2), Some(Ordering::Less));
        assert_eq!(serial_cmp(2, 1), Some(Ordering::Greater));
        assert_eq!(serial_cmp(7, 7), Some(Ordering::Equal));
        assert_eq!(serial_cmp(u32::MAX, 0), Some(Ordering::Less), "0 follows 2^32-1");
        assert_eq!(serial_cmp(0, 0x8000_0000), None);
        assert_eq!(serial_cmp(0, 0x7fff_ffff), Some(Ordering::Less));
        assert_eq!(serial_cmp(0, 0x8000_0001), Some(Ordering::Greater));
    }

    #[test]
    fn rrsig_windows_including_the_2106_wrap() {
        // RFC 6605 §6.1 RRSIG: 20100812100439 .. 20100909100439.
        let (inc, exp) = (1_281_607_479, 1_284_026_679);
        assert!(time_in_window(inc, inc, exp), "inception is inclusive");
        assert!(time_in_window(exp, inc, exp), "expiration is inclusive");
        assert!(time_in_window(inc + 86_400, inc, exp));
        assert!(!time_in_window(inc - 1, inc, exp), "not yet valid");
        assert!(!time_in_window(exp + 1, inc, exp), "expired");
        // A window straddling 2^32: expiration numerically below inception.
        let (inc, exp) = (u32::MAX - 100, 100);
        assert!(time_in_window(u32::MAX, inc, exp));
        assert!(time_in_window(5, inc, exp));
        assert!(!time_in_window(200, inc, exp));
        assert!(!time_in_window(u32::MAX - 200, inc, exp));
        // Expiration before inception.
        assert!(!time_in_window(1000, 2000, 500));
    }
}
