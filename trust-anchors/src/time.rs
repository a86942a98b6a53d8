//! Time as this crate sees it: seconds since the Unix epoch in a `u64`, always passed in
//! by the caller (the crate owns no clock). Also the two text forms it needs: reading the
//! `xsd:dateTime` attributes of RFC 7958 §2.1 (`validFrom`, `validUntil`) and writing UTC
//! times and durations for listings.
//!
//! # Limitations
//! - Leap seconds are not counted (as in POSIX time); a `:60` second reads as the first
//!   second of the next minute.
//! - `xsd:dateTime` years are 4 to 9 digits, years before 1 CE and the `24:00:00` form are
//!   refused.

use tern_shared::wire::rdata::{civil_from_days, days_from_civil};

/// One hour in seconds.
pub const HOUR: u64 = 3600;
/// One day in seconds.
pub const DAY: u64 = 86_400;

/// An `xsd:dateTime` that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad date-time \"{text}\" (expected YYYY-MM-DDThh:mm:ss with Z or a ±hh:mm offset)")]
pub struct DateTimeError {
    /// The text as written (cut to 64 characters).
    pub text: String,
}

/// Parses an `xsd:dateTime` (XML Schema Part 2 §3.2.7, as RFC 7958 §2.1 uses it):
/// `YYYY-MM-DDThh:mm:ss[.fraction][Z|±hh:mm]`, to seconds since the epoch (negative
/// before 1970). A missing zone is taken as UTC; fractions of a second are dropped.
pub fn parse_datetime(text: &str) -> Result<i64, DateTimeError> {
    let err = || DateTimeError { text: text.chars().take(64).collect() };
    let s = text.trim().as_bytes();
    let dash = s.iter().position(|&b| b == b'-').ok_or_else(err)?;
    if !(4..=9).contains(&dash) {
        return Err(err());
    }
    let year = digits(&s[..dash]).ok_or_else(err)? as i64;
    let rest = &s[dash..];
    if rest.len() < 15 || rest[0] != b'-' || rest[3] != b'-' || rest[6] != b'T' || rest[9] != b':' || rest[12] != b':' {
        return Err(err());
    }
    let field = |a: usize, b: usize| digits(&rest[a..b]).ok_or_else(err);
    let (month, day) = (field(1, 3)?, field(4, 6)?);
    let (hour, minute, second) = (field(7, 9)?, field(10, 12)?, field(13, 15)?);
    let mut tail = &rest[15..];
    if let Some(frac) = tail.strip_prefix(b".") {
        let n = frac.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return Err(err());
        }
        tail = &frac[n..];
    }
    let offset: i64 = match tail {
        [] | [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = digits(&[*h1, *h2]).ok_or_else(err)? as i64;
            let m = digits(&[*m1, *m2]).ok_or_else(err)? as i64;
            if h > 14 || m > 59 {
                return Err(err());
            }
            let o = h * 3600 + m * 60;
            if *sign == b'-' {
                -o
            } else {
                o
            }
        }
        _ => return Err(err()),
    };
    if year < 1 || !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 60 {
        return Err(err());
    }
    let days = days_from_civil(year, month, day);
    Ok(days * DAY as i64 + hour as i64 * 3600 + minute as i64 * 60 + second as i64 - offset)
}

/// 1 to 9 ASCII digits as a number.
fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |acc, &d| acc * 10 + (d - b'0') as u32))
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `YYYY-MM-DDThh:mm:ssZ` for seconds since the epoch.
pub fn fmt_utc(t: u64) -> String {
    let days = (t / DAY) as i64;
    let rem = t % DAY;
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, (rem % 3600) / 60, rem % 60)
}

/// A duration for people: `29d 23h`, `5h 3m`, `42s`.
pub fn fmt_duration(secs: u64) -> String {
    let (d, h, m, s) = (secs / DAY, (secs % DAY) / HOUR, (secs % HOUR) / 60, secs % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {s}s")
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7958_datetimes_parse() {
        assert_eq!(parse_datetime("2017-02-02T00:00:00+00:00"), Ok(1_485_993_600));
        assert_eq!(parse_datetime("2024-07-18T00:00:00+00:00"), Ok(1_721_260_800));
        assert_eq!(parse_datetime("2024-07-18T00:00:00Z"), Ok(1_721_260_800));
        assert_eq!(parse_datetime("2024-07-18T00:00:00"), Ok(1_721_260_800));
        assert_eq!(parse_datetime("2024-07-18T02:00:00.125+02:00"), Ok(1_721_260_800));
        assert_eq!(parse_datetime("2024-07-17T19:00:00-05:00"), Ok(1_721_260_800));
        assert_eq!(parse_datetime("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_datetime("2024-02-29T00:00:00Z"), Ok(1_709_164_800));
    }

    #[test]
    fn malformed_datetimes_are_refused() {
        for bad in [
            "",
            "2017-02-02",
            "2017-02-02 00:00:00",
            "2017-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2017-02-02T24:00:00Z",
            "2017-02-02T00:00:00+15:00",
            "2017-02-02T00:00:00.Z",
            "2017-02-02T00:00:00+0000",
            "17-02-02T00:00:00Z",
            "2017-0a-02T00:00:00Z",
            "２０１７-02-02T00:00:00Z",
        ] {
            assert!(parse_datetime(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn utc_and_durations_format() {
        assert_eq!(fmt_utc(1_721_260_800), "2024-07-18T00:00:00Z");
        assert_eq!(fmt_utc(0), "1970-01-01T00:00:00Z");
        assert!(fmt_utc(u64::MAX).len() > 10);
        assert_eq!(fmt_duration(30 * DAY - 1), "29d 23h");
        assert_eq!(fmt_duration(HOUR + 180), "1h 3m");
        assert_eq!(fmt_duration(61), "1m 1s");
        assert_eq!(fmt_duration(0), "0s");
    }
}
