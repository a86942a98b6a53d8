//! RDATA layouts per type: which fields hold domain names, which of those may be
//! compressed (RFC 1035 §4.1.4, RFC 3597 §4), which are lowercased in DNSSEC canonical
//! form (RFC 4034 §6.2 as corrected by RFC 6840 §5.1), and the presentation format of
//! each field (RFC 1035 §5.1, RFC 3597 §5 for unknown types).
//!
//! RDATA is stored everywhere in Tern uncompressed, case preserved; this module is the
//! one table that says how to walk it.
//!
//! # Limitations
//! Types without a layout here (LOC, APL, WKS, IPSECKEY, HIP, ...) are carried and
//! printed in the generic `\# len hex` form; they are never compressed or lowercased,
//! which is exactly what RFC 3597 §4 and §7 require of types unknown to an implementation.

use super::name::{fmt_label, wire_name_len};
use super::rtype::RType;
use data_encoding::{BASE32HEX_NOPAD, BASE64, HEXUPPER};
use std::borrow::Cow;
use std::fmt::{self, Write};

/// How a domain name inside RDATA is treated on the wire and in canonical form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameField {
    /// RFC 1035 types: compressed when written, decompressed when read, lowercased
    /// in canonical form.
    Compressible,
    /// RFC 3597 §4 "SHOULD decompress" types (RP, AFSDB, RT, SIG, PX, NXT, NAPTR, SRV,
    /// KX): never compressed when written, decompressed when read, lowercased.
    Decompress,
    /// Never compressed; lowercased in canonical form (DNAME, RRSIG signer, A6).
    Lower,
    /// Never compressed nor lowercased (NSEC next name per RFC 6840 §5.1, SVCB target).
    Plain,
}

/// One field of an RDATA layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// One octet, printed in decimal.
    U8,
    /// Two octets, decimal.
    U16,
    /// Four octets, decimal.
    U32,
    /// A type code printed as a mnemonic (RRSIG "type covered").
    Type,
    /// RRSIG time, printed `YYYYMMDDHHmmSS` (RFC 4034 §3.2).
    Time,
    /// A domain name.
    Name(NameField),
    /// An IPv4 address.
    Ipv4,
    /// An IPv6 address.
    Ipv6,
    /// One `<character-string>` (length octet + data), printed quoted.
    Text,
    /// One or more character-strings to the end of RDATA.
    TextRest,
    /// The rest of RDATA as raw text without a length octet (URI target, CAA value), quoted.
    RawTextRest,
    /// CAA tag: a length octet + unquoted token.
    CaaTag,
    /// The rest of RDATA in base64 (may be split across whitespace in text).
    Base64Rest,
    /// The rest of RDATA in hex (may be split across whitespace in text).
    HexRest,
    /// Length octet + hex; `-` for empty (NSEC3 salt, RFC 5155 §3.3).
    HexLen8,
    /// Length octet + base32hex without padding (NSEC3 next hashed owner, RFC 5155 §3.3).
    Base32Len8,
    /// RFC 4034 §4.1.2 type bitmap to the end of RDATA.
    Bitmap,
    /// RFC 9460 §2.2 SvcParams to the end of RDATA.
    SvcParams,
}

use Field::*;
use NameField::*;

/// The field layout of `rtype`, or `None` if it is only handled in generic form.
pub fn layout(rtype: RType) -> Option<&'static [Field]> {
    Some(match rtype {
        RType::A => &[Ipv4],
        RType::AAAA => &[Ipv6],
        RType::NS | RType::MD | RType::MF | RType::CNAME | RType::MB | RType::MG | RType::MR | RType::PTR => &[Name(Compressible)],
        RType::DNAME => &[Name(Lower)],
        RType::SOA => &[Name(Compressible), Name(Compressible), U32, U32, U32, U32, U32],
        RType::MINFO => &[Name(Compressible), Name(Compressible)],
        RType::MX => &[U16, Name(Compressible)],
        RType::AFSDB | RType::RT | RType::KX => &[U16, Name(Decompress)],
        RType::RP => &[Name(Decompress), Name(Decompress)],
        RType::PX => &[U16, Name(Decompress), Name(Decompress)],
        RType::TXT | RType::SPF => &[TextRest],
        RType::HINFO => &[Text, Text],
        RType::SRV => &[U16, U16, U16, Name(Decompress)],
        RType::NAPTR => &[U16, U16, Text, Text, Text, Name(Decompress)],
        RType::CAA => &[U8, CaaTag, RawTextRest],
        RType::URI => &[U16, U16, RawTextRest],
        RType::SSHFP => &[U8, U8, HexRest],
        RType::TLSA | RType::SMIMEA => &[U8, U8, U8, HexRest],
        RType::DS | RType::CDS => &[U16, U8, U8, HexRest],
        RType::DNSKEY | RType::CDNSKEY | RType::KEY => &[U16, U8, U8, Base64Rest],
        RType::RRSIG | RType::SIG => &[Type, U8, U8, U32, Time, Time, U16, Name(Lower), Base64Rest],
        RType::NSEC => &[Name(Plain), Bitmap],
        RType::NSEC3 => &[U8, U8, U16, HexLen8, Base32Len8, Bitmap],
        RType::NSEC3PARAM => &[U8, U8, U16, HexLen8],
        RType::SVCB | RType::HTTPS => &[U16, Name(Plain), SvcParams],
        RType::OPENPGPKEY | RType::DHCID => &[Base64Rest],
        RType::ZONEMD => &[U32, U8, U8, HexRest],
        RType::CSYNC => &[U32, U16, Bitmap],
        _ => return None,
    })
}

/// Errors in RDATA structure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RdataError {
    /// RDATA ended inside a field.
    #[error("RDATA too short for {0}")]
    Short(RType),
    /// Bytes left after the last field of a fixed layout.
    #[error("trailing bytes in {0} RDATA")]
    Trailing(RType),
    /// A malformed name, bitmap or parameter list inside RDATA.
    #[error("malformed field in {0} RDATA")]
    Malformed(RType),
}

/// Length of the field `f` at the start of `data` (uncompressed form).
fn field_len(f: Field, data: &[u8]) -> Option<usize> {
    let need = |n: usize| if data.len() >= n { Some(n) } else { None };
    match f {
        U8 => need(1),
        U16 | Type => need(2),
        U32 | Time | Ipv4 => need(4),
        Ipv6 => need(16),
        Name(_) => wire_name_len(data),
        Text | CaaTag | HexLen8 | Base32Len8 => need(1 + *data.first()? as usize),
        TextRest => {
            let mut pos = 0;
            while pos < data.len() {
                pos += 1 + data[pos] as usize;
            }
            if pos == data.len() && !data.is_empty() {
                Some(pos)
            } else {
                None
            }
        }
        Bitmap => bitmap_ok(data).then_some(data.len()),
        SvcParams => svc_params_ok(data).then_some(data.len()),
        RawTextRest | Base64Rest | HexRest => Some(data.len()),
    }
}

/// RFC 4034 §4.1.2: windows in increasing order, each with 1..=32 bitmap octets.
fn bitmap_ok(data: &[u8]) -> bool {
    let mut pos = 0;
    let mut last: i32 = -1;
    while pos < data.len() {
        if pos + 2 > data.len() {
            return false;
        }
        let (win, len) = (data[pos] as i32, data[pos + 1] as usize);
        if win <= last || len == 0 || len > 32 || pos + 2 + len > data.len() {
            return false;
        }
        last = win;
        pos += 2 + len;
    }
    true
}

/// RFC 9460 §2.2: key/length/value triples in strictly increasing key order.
fn svc_params_ok(data: &[u8]) -> bool {
    let mut pos = 0;
    let mut last: i32 = -1;
    while pos < data.len() {
        if pos + 4 > data.len() {
            return false;
        }
        let key = u16::from_be_bytes([data[pos], data[pos + 1]]) as i32;
        let len = u16::from_be_bytes([data[pos + 2], data[pos + 3]]) as usize;
        if key <= last || pos + 4 + len > data.len() {
            return false;
        }
        last = key;
        pos += 4 + len;
    }
    true
}

/// Splits uncompressed RDATA into its fields, checking the layout.
/// Types without a layout come back as one opaque slice with `None` as field.
pub fn split(rtype: RType, rdata: &[u8]) -> Result<Vec<(Option<Field>, &[u8])>, RdataError> {
    let mut out = Vec::new();
    let Some(fields) = layout(rtype) else {
        out.push((None, rdata));
        return Ok(out);
    };
    let mut pos = 0;
    for &f in fields {
        let rest = &rdata[pos..];
        // Variable-length tails may be empty (e.g. an NSEC bitmap of no types is legal).
        let len = field_len(f, rest).ok_or(match f {
            Bitmap | SvcParams | Name(_) => RdataError::Malformed(rtype),
            _ => RdataError::Short(rtype),
        })?;
        out.push((Some(f), &rest[..len]));
        pos += len;
    }
    if pos != rdata.len() {
        return Err(RdataError::Trailing(rtype));
    }
    Ok(out)
}

/// Checks that uncompressed RDATA matches the layout of its type.
pub fn validate(rtype: RType, rdata: &[u8]) -> Result<(), RdataError> {
    split(rtype, rdata).map(|_| ())
}

/// Calls `f(offset, len)` for each name field in RDATA, with its treatment.
/// RDATA must be valid for its type.
pub fn for_each_name(rtype: RType, rdata: &[u8], mut f: impl FnMut(usize, usize, NameField)) {
    let Some(fields) = layout(rtype) else { return };
    let mut pos = 0;
    for &field in fields {
        let Some(len) = field_len(field, &rdata[pos..]) else { return };
        if let Name(kind) = field {
            f(pos, len, kind);
        }
        pos += len;
    }
}

/// RDATA in DNSSEC canonical form (RFC 4034 §6.2 item 3 as amended by RFC 6840 §5.1):
/// names of the listed types lowercased. Borrowed when nothing changes.
pub fn canonical(rtype: RType, rdata: &[u8]) -> Cow<'_, [u8]> {
    let mut out: Option<Vec<u8>> = None;
    for_each_name(rtype, rdata, |pos, len, kind| {
        if kind != Plain && rdata[pos..pos + len].iter().any(|b| b.is_ascii_uppercase()) {
            let buf = out.get_or_insert_with(|| rdata.to_vec());
            buf[pos..pos + len].make_ascii_lowercase();
        }
    });
    match out {
        Some(v) => Cow::Owned(v),
        None => Cow::Borrowed(rdata),
    }
}

/// Writes a name given as uncompressed wire bytes in presentation form.
pub(crate) fn fmt_wire_name(out: &mut impl Write, wire: &[u8]) -> fmt::Result {
    if wire.len() <= 1 {
        return out.write_char('.');
    }
    let mut pos = 0;
    while wire[pos] != 0 {
        let len = wire[pos] as usize;
        fmt_label(out, &wire[pos + 1..pos + 1 + len])?;
        out.write_char('.')?;
        pos += 1 + len;
    }
    Ok(())
}

fn fmt_char_string(out: &mut impl Write, s: &[u8]) -> fmt::Result {
    out.write_char('"')?;
    for &b in s {
        match b {
            b'"' | b'\\' => {
                out.write_char('\\')?;
                out.write_char(b as char)?;
            }
            0x20..=0x7e => out.write_char(b as char)?,
            _ => write!(out, "\\{:03}", b)?,
        }
    }
    out.write_char('"')
}

/// Writes RFC 4034 §3.2 time `YYYYMMDDHHmmSS` for seconds since the epoch.
pub fn fmt_time(out: &mut impl Write, t: u32) -> fmt::Result {
    let secs = t as i64;
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    let (y, m, d) = civil_from_days(days);
    write!(out, "{:04}{:02}{:02}{:02}{:02}{:02}", y, m, d, rem / 3600, (rem % 3600) / 60, rem % 60)
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z.rem_euclid(146097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) to days since 1970-01-01.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The types present in an RFC 4034 §4.1.2 bitmap.
pub fn bitmap_types(data: &[u8]) -> impl Iterator<Item = RType> + '_ {
    let mut pos = 0;
    let mut out = Vec::new();
    while pos + 2 <= data.len() {
        let win = data[pos] as u16;
        let len = data[pos + 1] as usize;
        let bits = &data[pos + 2..(pos + 2 + len).min(data.len())];
        for (i, byte) in bits.iter().enumerate() {
            for bit in 0..8 {
                if byte & (0x80 >> bit) != 0 {
                    out.push(RType(win * 256 + (i as u16) * 8 + bit));
                }
            }
        }
        pos += 2 + len;
    }
    out.into_iter()
}

/// True if `rtype` is set in an RFC 4034 §4.1.2 bitmap (no allocation).
pub fn bitmap_has(data: &[u8], rtype: RType) -> bool {
    let (win, low) = ((rtype.0 >> 8) as u8, (rtype.0 & 0xff) as usize);
    let mut pos = 0;
    while pos + 2 <= data.len() {
        let len = data[pos + 1] as usize;
        if data[pos] == win {
            let idx = low / 8;
            return idx < len && pos + 2 + idx < data.len() && data[pos + 2 + idx] & (0x80 >> (low % 8)) != 0;
        }
        pos += 2 + len;
    }
    false
}

/// Builds an RFC 4034 §4.1.2 bitmap from a set of types (any order, duplicates allowed).
pub fn make_bitmap(types: impl IntoIterator<Item = RType>) -> Vec<u8> {
    let mut windows: [[u8; 32]; 256] = [[0; 32]; 256];
    let mut used = [false; 256];
    for t in types {
        let (w, low) = ((t.0 >> 8) as usize, (t.0 & 0xff) as usize);
        windows[w][low / 8] |= 0x80 >> (low % 8);
        used[w] = true;
    }
    let mut out = Vec::new();
    for w in 0..256 {
        if !used[w] {
            continue;
        }
        let len = windows[w].iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
        out.push(w as u8);
        out.push(len as u8);
        out.extend_from_slice(&windows[w][..len]);
    }
    out
}

/// RFC 9460 §14.3.2 SvcParamKey mnemonics.
const SVC_KEYS: &[&str] = &["mandatory", "alpn", "no-default-alpn", "port", "ipv4hint", "ech", "ipv6hint", "dohpath", "ohttp"];

/// The SvcParamKey for a mnemonic or `keyNNNNN`.
pub fn svc_key_from_str(s: &str) -> Option<u16> {
    if let Some(i) = SVC_KEYS.iter().position(|k| k.eq_ignore_ascii_case(s)) {
        return Some(i as u16);
    }
    s.strip_prefix("key").filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))?.parse().ok()
}

fn fmt_svc_key(out: &mut impl Write, key: u16) -> fmt::Result {
    match SVC_KEYS.get(key as usize) {
        Some(k) => out.write_str(k),
        None => write!(out, "key{key}"),
    }
}

fn fmt_svc_params(out: &mut impl Write, data: &[u8]) -> fmt::Result {
    let mut pos = 0;
    while pos + 4 <= data.len() {
        let key = u16::from_be_bytes([data[pos], data[pos + 1]]);
        let len = u16::from_be_bytes([data[pos + 2], data[pos + 3]]) as usize;
        let val = &data[pos + 4..pos + 4 + len];
        out.write_char(' ')?;
        fmt_svc_key(out, key)?;
        match key {
            0 => {
                out.write_char('=')?;
                for (i, k) in val.chunks(2).enumerate() {
                    if i > 0 {
                        out.write_char(',')?;
                    }
                    fmt_svc_key(out, u16::from_be_bytes([k[0], *k.get(1).unwrap_or(&0)]))?;
                }
            }
            1 => {
                out.write_str("=\"")?;
                let mut p = 0;
                let mut first = true;
                while p < val.len() {
                    let l = val[p] as usize;
                    if !first {
                        out.write_char(',')?;
                    }
                    first = false;
                    for &b in &val[p + 1..(p + 1 + l).min(val.len())] {
                        match b {
                            // RFC 9460 §7.1.1: `\,` and `\\` at value level, each
                            // backslash escaped again at character-string level.
                            b',' => out.write_str("\\\\,")?,
                            b'\\' => out.write_str("\\\\\\\\")?,
                            b'"' => out.write_str("\\\"")?,
                            0x21..=0x7e => out.write_char(b as char)?,
                            _ => write!(out, "\\{:03}", b)?,
                        }
                    }
                    p += 1 + l;
                }
                out.write_char('"')?;
            }
            2 => {}
            3 if len == 2 => write!(out, "={}", u16::from_be_bytes([val[0], val[1]]))?,
            4 if len % 4 == 0 => {
                out.write_char('=')?;
                for (i, a) in val.chunks(4).enumerate() {
                    if i > 0 {
                        out.write_char(',')?;
                    }
                    write!(out, "{}", std::net::Ipv4Addr::new(a[0], a[1], a[2], a[3]))?;
                }
            }
            6 if len % 16 == 0 => {
                out.write_char('=')?;
                for (i, a) in val.chunks(16).enumerate() {
                    if i > 0 {
                        out.write_char(',')?;
                    }
                    let arr: [u8; 16] = a.try_into().unwrap_or([0; 16]);
                    write!(out, "{}", std::net::Ipv6Addr::from(arr))?;
                }
            }
            5 => write!(out, "={}", BASE64.encode(val))?,
            _ => {
                out.write_char('=')?;
                fmt_char_string(out, val)?;
            }
        }
        pos += 4 + len;
    }
    Ok(())
}

/// Writes RDATA in presentation format; types without a layout, and RDATA that does
/// not match its layout, are written in the RFC 3597 §5 generic form.
pub fn fmt_rdata(out: &mut impl Write, rtype: RType, rdata: &[u8]) -> fmt::Result {
    let parts = match split(rtype, rdata) {
        Ok(p) if p.iter().all(|(f, _)| f.is_some()) => p,
        _ => return fmt_generic(out, rdata),
    };
    for (i, (f, v)) in parts.iter().enumerate() {
        let f = f.expect("checked above");
        if i > 0 && !matches!(f, SvcParams) {
            out.write_char(' ')?;
        }
        match f {
            U8 => write!(out, "{}", v[0])?,
            U16 => write!(out, "{}", u16::from_be_bytes([v[0], v[1]]))?,
            U32 => write!(out, "{}", u32::from_be_bytes([v[0], v[1], v[2], v[3]]))?,
            Type => write!(out, "{}", RType(u16::from_be_bytes([v[0], v[1]])))?,
            Time => fmt_time(out, u32::from_be_bytes([v[0], v[1], v[2], v[3]]))?,
            Name(_) => fmt_wire_name(out, v)?,
            Ipv4 => write!(out, "{}", std::net::Ipv4Addr::new(v[0], v[1], v[2], v[3]))?,
            Ipv6 => {
                let arr: [u8; 16] = (*v).try_into().expect("16 octets");
                write!(out, "{}", std::net::Ipv6Addr::from(arr))?
            }
            Text => fmt_char_string(out, &v[1..])?,
            TextRest => {
                let mut p = 0;
                while p < v.len() {
                    if p > 0 {
                        out.write_char(' ')?;
                    }
                    let l = v[p] as usize;
                    fmt_char_string(out, &v[p + 1..p + 1 + l])?;
                    p += 1 + l;
                }
            }
            RawTextRest => fmt_char_string(out, v)?,
            CaaTag => {
                for &b in &v[1..] {
                    out.write_char(b as char)?;
                }
            }
            Base64Rest => {
                if v.is_empty() {
                    out.write_char('-')?
                } else {
                    out.write_str(&BASE64.encode(v))?
                }
            }
            HexRest => {
                if v.is_empty() {
                    out.write_char('-')?
                } else {
                    out.write_str(&HEXUPPER.encode(v))?
                }
            }
            HexLen8 => {
                if v.len() == 1 {
                    out.write_char('-')?
                } else {
                    out.write_str(&HEXUPPER.encode(&v[1..]))?
                }
            }
            Base32Len8 => out.write_str(&BASE32HEX_NOPAD.encode(&v[1..]).to_ascii_lowercase())?,
            Bitmap => {
                let mut first = true;
                for t in bitmap_types(v) {
                    if !first {
                        out.write_char(' ')?;
                    }
                    first = false;
                    write!(out, "{t}")?;
                }
            }
            SvcParams => fmt_svc_params(out, v)?,
        }
    }
    Ok(())
}

/// RFC 3597 §5 generic form `\# len hex`.
pub fn fmt_generic(out: &mut impl Write, rdata: &[u8]) -> fmt::Result {
    write!(out, "\\# {}", rdata.len())?;
    if !rdata.is_empty() {
        write!(out, " {}", HEXUPPER.encode(rdata))?;
    }
    Ok(())
}

/// Presentation form of RDATA as a `String`.
pub fn rdata_to_string(rtype: RType, rdata: &[u8]) -> String {
    let mut s = String::new();
    let _ = fmt_rdata(&mut s, rtype, rdata);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmap_round_trips() {
        let types = [RType::A, RType::MX, RType::RRSIG, RType::NSEC, RType(1234)];
        let bm = make_bitmap(types);
        assert!(bitmap_ok(&bm));
        assert_eq!(bitmap_types(&bm).collect::<Vec<_>>(), types.to_vec());
        assert!(bitmap_has(&bm, RType::MX));
        assert!(!bitmap_has(&bm, RType::AAAA));
        assert!(bitmap_has(&bm, RType(1234)));
    }

    /// RFC 4034 §4.3: the example bitmap for "A MX RRSIG NSEC TYPE1234".
    #[test]
    fn bitmap_matches_rfc4034_section_4_3() {
        let bm = make_bitmap([RType::A, RType::MX, RType::RRSIG, RType::NSEC, RType(1234)]);
        let mut expect: Vec<u8> = vec![0x00, 0x06, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03, 0x04, 0x1b];
        expect.extend_from_slice(&[0; 26]);
        expect.push(0x20);
        assert_eq!(bm, expect);
    }

    #[test]
    fn canonical_lowercases_listed_types_only() {
        let mx = [&[0u8, 10][..], b"\x04MAIL\x07Example\x00"].concat();
        assert_eq!(&*canonical(RType::MX, &mx), &[&[0u8, 10][..], b"\x04mail\x07example\x00"].concat()[..]);
        let nsec = [&b"\x04MAIL\x07Example\x00"[..], &[0, 1, 0x40]].concat();
        assert!(matches!(canonical(RType::NSEC, &nsec), Cow::Borrowed(_)));
    }

    #[test]
    fn time_formats_as_rfc4034() {
        let mut s = String::new();
        fmt_time(&mut s, 1_000_000_000).unwrap();
        assert_eq!(s, "20010909014640");
        assert_eq!(days_from_civil(2001, 9, 9), 11574);
    }

    #[test]
    fn layout_rejects_short_and_trailing() {
        assert_eq!(validate(RType::A, &[1, 2, 3]), Err(RdataError::Short(RType::A)));
        assert_eq!(validate(RType::A, &[1, 2, 3, 4, 5]), Err(RdataError::Trailing(RType::A)));
        assert!(validate(RType(65000), &[1, 2, 3]).is_ok());
    }
}
