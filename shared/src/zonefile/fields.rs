//! Presentation-format fields to wire format: names, numbers, TTLs with units, addresses,
//! character-strings, RRSIG times, base64/hex/base32hex, type bitmaps, and the RFC 3597 §5
//! generic `\# len hex` form. The driver is [`parse_rdata`], which walks the layout from
//! [`crate::wire::rdata::layout`] — the same table `fmt_rdata` prints from, so the two
//! stay inverse.
//!
//! # Limitations
//! Base64 must be padded (RFC 4648 §4); hex and base32hex accept either case.

use super::lexer::Token;
use super::{show, ErrorKind, Spot, MAX_RDATA_LEN, MAX_TTL};
use crate::wire::name::parse_escape;
use crate::wire::rdata::{self as wire_rdata, days_from_civil, make_bitmap, Field};
use crate::wire::{Class, Name, RType};
use data_encoding::{Encoding, BASE32HEX_NOPAD, BASE64, HEXLOWER_PERMISSIVE};
use std::net::Ipv6Addr;

/// Parses a domain name token, relative names taking `origin` (RFC 1035 §5.1). Raw
/// octets above 0x7f are taken as they are, like `\DDD` escapes.
pub(crate) fn name(tok: &Token<'_>, origin: &Name) -> Result<Name, Spot> {
    let err = |error| Spot::new(tok.line, ErrorKind::BadName { text: show(tok.text), error });
    if tok.text.is_empty() {
        return Err(Spot::new(tok.line, ErrorKind::EmptyName));
    }
    let escaped;
    let text = match std::str::from_utf8(tok.text) {
        Ok(s) => s,
        Err(_) => {
            escaped = escape_high_octets(tok.text);
            &escaped
        }
    };
    Name::parse(text, Some(origin)).map_err(err)
}

/// `text` with every octet above 0x7f written as `\DDD`, so that it is valid UTF-8 and
/// means the same octets to `Name::parse`.
fn escape_high_octets(text: &[u8]) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut i = 0;
    while i < text.len() {
        let mut b = text[i];
        if b == b'\\' {
            match text.get(i + 1) {
                // `\X` with a high X is that octet.
                Some(&x) if x > 0x7f => {
                    b = x;
                    i += 1;
                }
                Some(&x) => {
                    out.push('\\');
                    out.push(x as char);
                    i += 2;
                    continue;
                }
                None => {}
            }
        }
        if b > 0x7f {
            out.push_str(&format!("\\{b:03}"));
        } else {
            out.push(b as char);
        }
        i += 1;
    }
    out
}

/// A TTL (RFC 2308 §4 with BIND units), at most [`MAX_TTL`] (RFC 2181 §8).
pub(crate) fn ttl(text: &[u8]) -> Result<u32, ErrorKind> {
    let v = duration(text)?;
    if v > MAX_TTL as u64 {
        return Err(ErrorKind::TtlTooLarge(v));
    }
    Ok(v as u32)
}

/// Seconds, or a sequence of `<number><unit>` with units `s m h d w` (case-insensitive),
/// as BIND accepts for TTLs and SOA timers. The caller checks the range.
pub(crate) fn duration(text: &[u8]) -> Result<u64, ErrorKind> {
    let bad = |why| ErrorKind::BadTtl { text: show(text), why };
    if text.is_empty() {
        return Err(bad("empty"));
    }
    let too_large = || bad("too large");
    let mut total: u64 = 0;
    let mut num: Option<u64> = None;
    let mut units = false;
    for &c in text {
        if c.is_ascii_digit() {
            let n = num.unwrap_or(0).checked_mul(10).and_then(|n| n.checked_add((c - b'0') as u64)).ok_or_else(too_large)?;
            num = Some(n);
            continue;
        }
        let mult = match c.to_ascii_lowercase() {
            b's' => 1,
            b'm' => 60,
            b'h' => 3600,
            b'd' => 86_400,
            b'w' => 604_800,
            _ => return Err(bad("expected digits with optional units s, m, h, d, w")),
        };
        let n = num.take().ok_or(bad("a unit must follow a number"))?;
        total = n.checked_mul(mult).and_then(|v| v.checked_add(total)).ok_or_else(too_large)?;
        units = true;
    }
    match num {
        Some(_) if units => Err(bad("every number needs a unit once units are used")),
        Some(n) => Ok(n),
        None => Ok(total),
    }
}

/// A class mnemonic or `CLASSnnn` (RFC 3597 §5); `None` if the token is not a class.
pub(crate) fn class(text: &[u8]) -> Option<Class> {
    if text.eq_ignore_ascii_case(b"IN") {
        return Some(Class::IN);
    }
    // Avoid Class::from_mnemonic's allocation for the usual type tokens.
    let maybe = [&b"CH"[..], b"CHAOS", b"HS", b"NONE", b"ANY"].iter().any(|m| text.eq_ignore_ascii_case(m))
        || (text.len() > 5 && text[..5].eq_ignore_ascii_case(b"CLASS"));
    if !maybe {
        return None;
    }
    Class::from_mnemonic(std::str::from_utf8(text).ok()?)
}

/// A type mnemonic or `TYPEnnn` (RFC 3597 §5).
pub(crate) fn rtype(tok: &Token<'_>) -> Result<RType, Spot> {
    std::str::from_utf8(tok.text)
        .ok()
        .and_then(RType::from_mnemonic)
        .ok_or_else(|| Spot::new(tok.line, ErrorKind::UnknownType(show(tok.text))))
}

/// Decodes RFC 1035 §5.1 escapes (`\X`, `\DDD`) of a token, appending to `out`.
pub(crate) fn unescape(text: &[u8], out: &mut Vec<u8>) -> Result<(), ErrorKind> {
    if !text.contains(&b'\\') {
        out.extend_from_slice(text);
        return Ok(());
    }
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'\\' {
            let (b, used) = parse_escape(&text[i + 1..]).map_err(|_| ErrorKind::BadEscape(show(text)))?;
            out.push(b);
            i += 1 + used;
        } else {
            out.push(text[i]);
            i += 1;
        }
    }
    Ok(())
}

/// A decimal integer from 0 to `max`.
pub(crate) fn number(text: &[u8], max: u64) -> Result<u64, ErrorKind> {
    let bad = || ErrorKind::BadNumber { text: show(text), max };
    if text.is_empty() || text.len() > 20 {
        return Err(bad());
    }
    let mut v: u64 = 0;
    for &c in text {
        if !c.is_ascii_digit() {
            return Err(bad());
        }
        v = v.checked_mul(10).and_then(|v| v.checked_add((c - b'0') as u64)).ok_or_else(bad)?;
    }
    if v > max {
        return Err(bad());
    }
    Ok(v)
}

/// A dotted-quad IPv4 address, strictly: four decimal octets, no leading zeros.
pub(crate) fn ipv4(text: &[u8]) -> Result<[u8; 4], ErrorKind> {
    let bad = |why| ErrorKind::BadIpv4 { text: show(text), why };
    let mut out = [0u8; 4];
    let mut n = 0;
    for part in text.split(|&c| c == b'.') {
        if n == 4 {
            return Err(bad("more than four octets"));
        }
        if part.is_empty() {
            return Err(bad("empty octet"));
        }
        if !part.iter().all(u8::is_ascii_digit) {
            return Err(bad("octets must be decimal digits"));
        }
        if part.len() > 1 && part[0] == b'0' {
            return Err(bad("octet with a leading zero"));
        }
        if part.len() > 3 {
            return Err(bad("octet above 255"));
        }
        let v = part.iter().fold(0u16, |a, &c| a * 10 + (c - b'0') as u16);
        out[n] = u8::try_from(v).map_err(|_| bad("octet above 255"))?;
        n += 1;
    }
    if n != 4 {
        return Err(bad("expected four dot-separated octets"));
    }
    Ok(out)
}

/// An IPv6 address (RFC 4291 §2.2 text forms).
pub(crate) fn ipv6(text: &[u8]) -> Result<[u8; 16], ErrorKind> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|s| s.parse::<Ipv6Addr>().ok())
        .map(|a| a.octets())
        .ok_or_else(|| ErrorKind::BadIpv6(show(text)))
}

/// RFC 4034 §3.2: `YYYYMMDDHHmmSS` in UTC, or seconds since 1970 as a decimal integer.
/// Dates past 2106 wrap modulo 2^32 (RFC 4034 §3.1.5 serial arithmetic).
fn time(text: &[u8]) -> Result<u32, ErrorKind> {
    let bad = || ErrorKind::BadTime(show(text));
    if !text.iter().all(u8::is_ascii_digit) || text.is_empty() {
        return Err(bad());
    }
    if text.len() != 14 {
        return number(text, u32::MAX as u64).map(|v| v as u32).map_err(|_| bad());
    }
    let d = |a: usize, b: usize| text[a..b].iter().fold(0u32, |acc, &c| acc * 10 + (c - b'0') as u32);
    let (y, mo, day, h, mi, s) = (d(0, 4), d(4, 6), d(6, 8), d(8, 10), d(10, 12), d(12, 14));
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mdays = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if y < 1970 || day == 0 || day > mdays || h > 23 || mi > 59 || s > 59 {
        return Err(bad());
    }
    let secs = days_from_civil(y as i64, mo, day) * 86_400 + (h * 3600 + mi * 60 + s) as i64;
    Ok(secs.rem_euclid(1 << 32) as u32)
}

/// What a field is called in "missing ..." messages.
fn field_what(f: Field) -> &'static str {
    match f {
        Field::U8 => "8-bit number",
        Field::U16 => "16-bit number",
        Field::U32 => "32-bit number",
        Field::Type => "type mnemonic",
        Field::Time => "time",
        Field::Name(_) => "domain name",
        Field::Ipv4 => "IPv4 address",
        Field::Ipv6 => "IPv6 address",
        Field::Text | Field::TextRest => "character-string",
        Field::RawTextRest => "quoted value",
        Field::CaaTag => "tag",
        Field::Base64Rest => "base64 data",
        Field::HexRest => "hex data",
        Field::HexLen8 => "hex data or -",
        Field::Base32Len8 => "base32hex hash",
        Field::Bitmap => "type list",
        Field::SvcParams => "SvcParams",
    }
}

/// Parses the RDATA tokens of one record into `out` (cleared first). `end_line` is the
/// line reported when a field is missing. `scratch` is reused working space.
pub(crate) fn parse_rdata(
    rtype: RType,
    toks: &[Token<'_>],
    origin: &Name,
    end_line: usize,
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
) -> Result<(), Spot> {
    out.clear();
    let mut rd = Rd { toks, pos: 0, rtype, origin, end_line, out, scratch };
    let first_line = toks.first().map_or(end_line, |t| t.line);
    let generic = toks.first().is_some_and(|t| !t.quoted && t.text == b"\\#");
    if generic {
        rd.pos = 1;
        rd.generic()?;
    } else {
        let layout = wire_rdata::layout(rtype).ok_or(Spot::new(first_line, ErrorKind::NeedGeneric(rtype)))?;
        for (i, &f) in layout.iter().enumerate() {
            // BIND accepts time units in the SOA timers (REFRESH .. MINIMUM), not the serial.
            let units = rtype == RType::SOA && i >= 3;
            rd.field(f, units)?;
        }
    }
    if let Some(t) = rd.toks.get(rd.pos) {
        return Err(Spot::new(t.line, ErrorKind::TrailingData { rtype, text: show(t.text) }));
    }
    if out.len() > MAX_RDATA_LEN {
        return Err(Spot::new(first_line, ErrorKind::RdataTooLong(out.len())));
    }
    // Fields are checked as parsed; this catches `\#` forms of known types (RFC 3597 §5
    // requires them to be valid) and any gap between this parser and the layout table.
    wire_rdata::validate(rtype, out).map_err(|e| Spot::new(first_line, ErrorKind::InvalidRdata { rtype, error: e }))
}

/// Attaches the line of `t` to an error.
fn at(t: &Token<'_>) -> impl Fn(ErrorKind) -> Spot {
    let line = t.line;
    move |k| Spot::new(line, k)
}

/// A cursor over the RDATA tokens of one record.
pub(crate) struct Rd<'t, 'a> {
    pub toks: &'t [Token<'a>],
    pub pos: usize,
    pub rtype: RType,
    pub origin: &'t Name,
    pub end_line: usize,
    pub out: &'t mut Vec<u8>,
    pub scratch: &'t mut Vec<u8>,
}

impl<'t, 'a> Rd<'t, 'a> {
    /// The next token, or a "missing" error naming `what`.
    pub fn next(&mut self, what: &'static str) -> Result<Token<'a>, Spot> {
        let t = self.toks.get(self.pos).copied().ok_or(Spot::new(self.end_line, ErrorKind::MissingField { rtype: self.rtype, what }))?;
        self.pos += 1;
        Ok(t)
    }

    /// The remaining tokens, consumed.
    fn rest(&mut self) -> &'t [Token<'a>] {
        let r = &self.toks[self.pos.min(self.toks.len())..];
        self.pos = self.toks.len();
        r
    }

    fn field(&mut self, f: Field, units: bool) -> Result<(), Spot> {
        let what = field_what(f);
        match f {
            Field::U8 => {
                let t = self.next(what)?;
                self.out.push(number(t.text, u8::MAX.into()).map_err(at(&t))? as u8);
            }
            Field::U16 => {
                let t = self.next(what)?;
                let v = number(t.text, u16::MAX.into()).map_err(at(&t))? as u16;
                self.out.extend_from_slice(&v.to_be_bytes());
            }
            Field::U32 => {
                let t = self.next(what)?;
                let max = u32::MAX as u64;
                let v = if units {
                    duration(t.text).and_then(|v| if v > max { Err(ErrorKind::BadNumber { text: show(t.text), max }) } else { Ok(v) })
                } else {
                    number(t.text, max)
                };
                let v = v.map_err(at(&t))? as u32;
                self.out.extend_from_slice(&v.to_be_bytes());
            }
            Field::Type => {
                let t = self.next(what)?;
                self.out.extend_from_slice(&rtype(&t)?.0.to_be_bytes());
            }
            Field::Time => {
                let t = self.next(what)?;
                self.out.extend_from_slice(&time(t.text).map_err(at(&t))?.to_be_bytes());
            }
            Field::Name(_) => {
                let t = self.next(what)?;
                self.out.extend_from_slice(name(&t, self.origin)?.wire());
            }
            Field::Ipv4 => {
                let t = self.next(what)?;
                self.out.extend_from_slice(&ipv4(t.text).map_err(at(&t))?);
            }
            Field::Ipv6 => {
                let t = self.next(what)?;
                self.out.extend_from_slice(&ipv6(t.text).map_err(at(&t))?);
            }
            Field::Text => {
                let t = self.next(what)?;
                char_string(t.text, self.out).map_err(at(&t))?;
            }
            Field::TextRest => {
                let t = self.next(what)?;
                char_string(t.text, self.out).map_err(at(&t))?;
                for t in self.rest() {
                    char_string(t.text, self.out).map_err(at(t))?;
                }
            }
            Field::RawTextRest => {
                let t = self.next(what)?;
                unescape(t.text, self.out).map_err(at(&t))?;
            }
            Field::CaaTag => {
                let t = self.next(what)?;
                if t.quoted || t.text.is_empty() || t.text.len() > 255 || !t.text.iter().all(u8::is_ascii_alphanumeric) {
                    return Err(Spot::new(t.line, ErrorKind::BadCaaTag(show(t.text))));
                }
                self.out.push(t.text.len() as u8);
                self.out.extend_from_slice(t.text);
            }
            Field::Base64Rest => self.encoded_rest(&BASE64, what, ErrorKind::BadBase64)?,
            Field::HexRest => self.encoded_rest(&HEXLOWER_PERMISSIVE, what, ErrorKind::BadHex)?,
            Field::HexLen8 => {
                let t = self.next(what)?;
                let len_at = self.out.len();
                self.out.push(0);
                if t.text != b"-" {
                    decode_into(&HEXLOWER_PERMISSIVE, t.text, self.out).map_err(|e| Spot::new(t.line, ErrorKind::BadHex(e)))?;
                }
                self.patch_len8(len_at, t.line)?;
            }
            Field::Base32Len8 => {
                let t = self.next(what)?;
                self.scratch.clear();
                self.scratch.extend(t.text.iter().map(u8::to_ascii_uppercase));
                let len_at = self.out.len();
                self.out.push(0);
                decode_into(&BASE32HEX_NOPAD, &self.scratch[..], self.out).map_err(|e| Spot::new(t.line, ErrorKind::BadBase32(e)))?;
                if self.out.len() == len_at + 1 {
                    return Err(Spot::new(t.line, ErrorKind::EmptyHash));
                }
                self.patch_len8(len_at, t.line)?;
            }
            Field::Bitmap => {
                let mut types = Vec::with_capacity(self.toks.len() - self.pos.min(self.toks.len()));
                for t in self.rest() {
                    types.push(rtype(t)?);
                }
                self.out.extend_from_slice(&make_bitmap(types));
            }
            Field::SvcParams => self.svc_params()?,
        }
        Ok(())
    }

    /// Sets the 8-bit length octet at `at` to the bytes written after it.
    fn patch_len8(&mut self, at: usize, line: usize) -> Result<(), Spot> {
        let len = self.out.len() - at - 1;
        self.out[at] = u8::try_from(len).map_err(|_| Spot::new(line, ErrorKind::FieldTooLong(len)))?;
        Ok(())
    }

    /// Base64 or hex to the end of RDATA, possibly split by whitespace (RFC 4034 §2.2,
    /// §5.3); a lone `-` is empty, as `fmt_rdata` prints it.
    fn encoded_rest(&mut self, enc: &Encoding, what: &'static str, wrap: fn(data_encoding::DecodeError) -> ErrorKind) -> Result<(), Spot> {
        let first = self.next(what)?;
        self.pos -= 1;
        let toks = self.rest();
        if let [t] = toks {
            if t.text == b"-" {
                return Ok(());
            }
        }
        self.scratch.clear();
        for t in toks {
            self.scratch.extend_from_slice(t.text);
        }
        decode_into(enc, &self.scratch[..], self.out).map_err(|e| Spot::new(first.line, wrap(e)))
    }

    /// RFC 3597 §5: `\# <length> <hex>...`; the hex may be split by whitespace.
    fn generic(&mut self) -> Result<(), Spot> {
        let t = self.next("generic RDATA length")?;
        let declared = number(t.text, MAX_RDATA_LEN as u64).map_err(|k| Spot::new(t.line, k))? as usize;
        let toks = self.rest();
        self.scratch.clear();
        for h in toks {
            self.scratch.extend_from_slice(h.text);
        }
        let line = toks.first().map_or(t.line, |h| h.line);
        decode_into(&HEXLOWER_PERMISSIVE, &self.scratch[..], self.out).map_err(|e| Spot::new(line, ErrorKind::BadHex(e)))?;
        if self.out.len() != declared {
            return Err(Spot::new(t.line, ErrorKind::GenericLength { declared, actual: self.out.len() }));
        }
        Ok(())
    }
}

/// Appends one length-prefixed character-string (RFC 1035 §3.3), escapes decoded.
pub(crate) fn char_string(text: &[u8], out: &mut Vec<u8>) -> Result<(), ErrorKind> {
    let at = out.len();
    out.push(0);
    unescape(text, out)?;
    let len = out.len() - at - 1;
    if len > 255 {
        out.truncate(at);
        return Err(ErrorKind::StringTooLong(len));
    }
    out[at] = len as u8;
    Ok(())
}

/// Decodes `text` with `enc`, appending to `out` without an intermediate allocation.
pub(crate) fn decode_into(enc: &Encoding, text: &[u8], out: &mut Vec<u8>) -> Result<(), data_encoding::DecodeError> {
    let len = enc.decode_len(text.len())?;
    let start = out.len();
    out.resize(start + len, 0);
    match enc.decode_mut(text, &mut out[start..]) {
        Ok(n) => {
            out.truncate(start + n);
            Ok(())
        }
        Err(p) => {
            out.truncate(start);
            Err(p.error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_accepts_seconds_and_bind_units() {
        assert_eq!(ttl(b"3600").unwrap(), 3600);
        assert_eq!(ttl(b"1h30m").unwrap(), 5400);
        assert_eq!(ttl(b"1d").unwrap(), 86_400);
        assert_eq!(ttl(b"1W").unwrap(), 604_800);
        assert_eq!(ttl(b"2h5s").unwrap(), 7205);
        assert_eq!(ttl(b"0").unwrap(), 0);
        assert_eq!(ttl(b"2147483647").unwrap(), MAX_TTL);
    }

    #[test]
    fn ttl_refuses_garbage_and_values_above_2_pow_31() {
        for bad in [&b""[..], b"h", b"1x", b"1h30", b"-1", b"99999999999999999999999"] {
            assert!(matches!(ttl(bad), Err(ErrorKind::BadTtl { .. })), "{:?}", String::from_utf8_lossy(bad));
        }
        assert!(matches!(ttl(b"2147483648"), Err(ErrorKind::TtlTooLarge(2147483648))));
        assert!(matches!(ttl(b"100000w"), Err(ErrorKind::TtlTooLarge(60_480_000_000))));
        assert!(matches!(ttl(b"99999999999"), Err(ErrorKind::TtlTooLarge(_))));
    }

    #[test]
    fn ipv4_is_strict() {
        assert_eq!(ipv4(b"192.0.2.1").unwrap(), [192, 0, 2, 1]);
        assert_eq!(ipv4(b"0.0.0.0").unwrap(), [0; 4]);
        for (bad, why) in [
            (&b"1.2.3"[..], "expected four dot-separated octets"),
            (b"1.2.3.4.5", "more than four octets"),
            (b"01.2.3.4", "octet with a leading zero"),
            (b"1.2.3.256", "octet above 255"),
            (b"1.2.3.1000", "octet above 255"),
            (b"1..3.4", "empty octet"),
            (b"1.2.3.x", "octets must be decimal digits"),
        ] {
            match ipv4(bad) {
                Err(ErrorKind::BadIpv4 { why: w, .. }) => assert_eq!(w, why),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(ipv4(b"1.2.3").unwrap_err().to_string(), "bad IPv4 address \"1.2.3\": expected four dot-separated octets");
    }

    #[test]
    fn rrsig_time_takes_both_forms() {
        assert_eq!(time(b"20010909014640").unwrap(), 1_000_000_000);
        assert_eq!(time(b"1000000000").unwrap(), 1_000_000_000);
        assert_eq!(time(b"19700101000000").unwrap(), 0);
        assert_eq!(time(b"21060207062815").unwrap(), u32::MAX);
        assert_eq!(time(b"21060207062816").unwrap(), 0, "wraps modulo 2^32");
        for bad in [&b"20011309014640"[..], b"20010230000000", b"20010909246000", b"19691231235959", b"4294967296", b"2001-09-09", b""] {
            assert!(matches!(time(bad), Err(ErrorKind::BadTime(_))), "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(time(b"20000229000000").unwrap(), 951_782_400, "2000 is a leap year");
    }

    #[test]
    fn escapes_decode_and_bad_ones_are_refused() {
        let mut v = Vec::new();
        unescape(br#"a\"b\\c\065\255"#, &mut v).unwrap();
        assert_eq!(v, b"a\"b\\cA\xff");
        assert!(matches!(unescape(b"\\256", &mut v), Err(ErrorKind::BadEscape(_))));
        assert!(matches!(unescape(b"ab\\", &mut v), Err(ErrorKind::BadEscape(_))));
        assert!(matches!(unescape(b"\\12", &mut v), Err(ErrorKind::BadEscape(_))));
    }

    #[test]
    fn names_take_raw_high_octets_as_they_are() {
        let origin = Name::root();
        let tok = |text| Token { text, line: 1, quoted: false, joined: false };
        assert_eq!(name(&tok(b"a\xff\\\xfe.b."), &origin).unwrap().wire(), b"\x03a\xff\xfe\x01b\x00");
        assert_eq!(name(&tok("\u{e9}t\u{e9}.".as_bytes()), &origin).unwrap().wire(), b"\x05\xc3\xa9t\xc3\xa9\x00");
        assert!(matches!(name(&tok(b"\xff\\"), &origin), Err(Spot { kind: ErrorKind::BadName { .. }, .. })));
    }

    #[test]
    fn numbers_are_range_checked() {
        assert_eq!(number(b"65535", 65535).unwrap(), 65535);
        assert_eq!(number(b"65536", 65535).unwrap_err().to_string(), "bad number \"65536\": expected a decimal integer from 0 to 65535");
        assert!(number(b"99999999999999999999999", u32::MAX as u64).is_err());
        assert!(number(b"1e3", 1000).is_err());
    }
}
