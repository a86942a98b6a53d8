//! SVCB/HTTPS SvcParams in presentation format (RFC 9460 §2.1, Appendix A) to wire format
//! (RFC 9460 §2.2): `key=value` or bare `key`, the value quoted or not, keys in any order
//! in text and sorted in wire form. Values are first decoded as character-strings (`\X`,
//! `\DDD`); comma-separated lists then split on `,`, with `\,` and `\\` as list-level
//! escapes for `alpn` (Appendix A.1).
//!
//! Keys: mandatory (RFC 9460 §8), alpn and no-default-alpn (§7.1), port (§7.2),
//! ipv4hint and ipv6hint (§7.3), ech (§7.4 / draft-ietf-tls-svcb-ech), dohpath
//! (RFC 9461 §5), ohttp (RFC 9540 §4), and `keyNNNNN` with an opaque value.
//!
//! # Limitations
//! Self-consistency is checked only for `mandatory` (listed keys present, itself not
//! listed) and `no-default-alpn` (needs `alpn`). An `=` must be followed directly by the
//! value (`key= "v"` is refused), as Appendix A requires.

use super::fields::{decode_into, ipv4, ipv6, number, unescape, Rd};
use super::{show, ErrorKind, Spot};
use crate::wire::rdata::svc_key_from_str;
use data_encoding::BASE64;

/// RFC 9460 §14.3.2 key names, by number.
const KEY_NAMES: [&str; 9] = ["mandatory", "alpn", "no-default-alpn", "port", "ipv4hint", "ech", "ipv6hint", "dohpath", "ohttp"];

const MANDATORY: u16 = 0;
const ALPN: u16 = 1;
const NO_DEFAULT_ALPN: u16 = 2;
const PORT: u16 = 3;
const IPV4HINT: u16 = 4;
const ECH: u16 = 5;
const IPV6HINT: u16 = 6;
const DOHPATH: u16 = 7;
const OHTTP: u16 = 8;
/// RFC 9460 §14.3.2: "Invalid key".
const INVALID_KEY: u16 = 65535;

fn key_name(key: u16) -> String {
    KEY_NAMES.get(key as usize).map_or_else(|| format!("key{key}"), |s| (*s).to_owned())
}

impl Rd<'_, '_> {
    /// Parses SvcParams to the end of the RDATA tokens.
    pub(crate) fn svc_params(&mut self) -> Result<(), Spot> {
        let toks = self.toks;
        let mut params: Vec<(u16, Vec<u8>, usize)> = Vec::new();
        while let Some(t) = toks.get(self.pos).copied() {
            self.pos += 1;
            let at = |k| Spot::new(t.line, k);
            if t.quoted {
                return Err(at(ErrorKind::UnexpectedQuoted(show(t.text))));
            }
            let (key_text, mut value) = match t.text.iter().position(|&c| c == b'=') {
                Some(i) => (&t.text[..i], Some(&t.text[i + 1..])),
                None => (t.text, None),
            };
            let key = std::str::from_utf8(key_text)
                .ok()
                .and_then(svc_key_from_str)
                .ok_or_else(|| at(ErrorKind::UnknownSvcKey(show(key_text))))?;
            if key == INVALID_KEY {
                return Err(at(ErrorKind::ReservedSvcKey));
            }
            // `key="quoted value"`: the lexer splits the quoted part off as a joined token.
            if value == Some(&[][..]) {
                if let Some(next) = toks.get(self.pos).filter(|n| n.quoted && n.joined) {
                    value = Some(next.text);
                    self.pos += 1;
                }
            }
            let mut decoded = Vec::new();
            if let Some(v) = value {
                unescape(v, &mut decoded).map_err(at)?;
            }
            params.push((key, encode(key, &decoded).map_err(at)?, t.line));
        }

        // RFC 9460 §2.2: strictly increasing key order in wire form. The sort is stable,
        // so of two equal keys the second is the later one in the text.
        params.sort_by_key(|p| p.0);
        for w in params.windows(2) {
            if w[0].0 == w[1].0 {
                return Err(Spot::new(w[1].2, ErrorKind::DuplicateSvcKey(key_name(w[1].0))));
            }
        }
        let has = |k: u16| params.iter().any(|p| p.0 == k);
        if let Some((_, list, line)) = params.iter().find(|p| p.0 == MANDATORY) {
            for k in list.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])) {
                if !has(k) {
                    return Err(Spot::new(*line, ErrorKind::MandatoryMissing(key_name(k))));
                }
            }
        }
        if let Some((_, _, line)) = params.iter().find(|p| p.0 == NO_DEFAULT_ALPN) {
            if !has(ALPN) {
                return Err(Spot::new(*line, ErrorKind::NoDefaultAlpnWithoutAlpn));
            }
        }
        for (key, value, line) in &params {
            let len = u16::try_from(value.len()).map_err(|_| Spot::new(*line, ErrorKind::RdataTooLong(value.len())))?;
            self.out.extend_from_slice(&key.to_be_bytes());
            self.out.extend_from_slice(&len.to_be_bytes());
            self.out.extend_from_slice(value);
        }
        Ok(())
    }
}

/// The wire value of `key` from its decoded presentation value.
fn encode(key: u16, val: &[u8]) -> Result<Vec<u8>, ErrorKind> {
    let bad = |why| ErrorKind::BadSvcValue { key: key_name(key), text: show(val), why };
    let list = |why| if val.is_empty() { Err(bad(why)) } else { Ok(val.split(|&c| c == b',')) };
    let mut out = Vec::new();
    match key {
        MANDATORY => {
            let mut keys = Vec::new();
            for item in list("expected a comma-separated list of keys")? {
                let k = std::str::from_utf8(item).ok().and_then(svc_key_from_str).ok_or_else(|| ErrorKind::UnknownSvcKey(show(item)))?;
                if k == MANDATORY {
                    return Err(bad("mandatory cannot list itself (RFC 9460 §8)"));
                }
                keys.push(k);
            }
            keys.sort_unstable();
            if keys.windows(2).any(|w| w[0] == w[1]) {
                return Err(bad("a key is listed twice (RFC 9460 §8)"));
            }
            for k in keys {
                out.extend_from_slice(&k.to_be_bytes());
            }
        }
        ALPN => {
            if val.is_empty() {
                return Err(bad("expected a comma-separated list of protocol ids"));
            }
            let mut i = 0;
            let mut len_at = out.len();
            out.push(0);
            loop {
                let c = val.get(i).copied();
                if c.is_none() || c == Some(b',') {
                    let len = out.len() - len_at - 1;
                    if len == 0 {
                        return Err(bad("empty protocol id"));
                    }
                    out[len_at] = u8::try_from(len).map_err(|_| bad("protocol id longer than 255 octets"))?;
                    if c.is_none() {
                        break;
                    }
                    len_at = out.len();
                    out.push(0);
                } else if c == Some(b'\\') {
                    out.push(*val.get(i + 1).ok_or_else(|| bad("ends with a backslash"))?);
                    i += 1;
                } else {
                    out.extend(c);
                }
                i += 1;
            }
        }
        NO_DEFAULT_ALPN | OHTTP => {
            if !val.is_empty() {
                return Err(bad("takes no value"));
            }
        }
        PORT => {
            let port = number(val, u16::MAX.into()).map_err(|_| bad("expected a port number from 0 to 65535"))?;
            out.extend_from_slice(&(port as u16).to_be_bytes());
        }
        IPV4HINT => {
            for a in list("expected comma-separated IPv4 addresses")? {
                out.extend_from_slice(&ipv4(a)?);
            }
        }
        IPV6HINT => {
            for a in list("expected comma-separated IPv6 addresses")? {
                out.extend_from_slice(&ipv6(a)?);
            }
        }
        ECH => {
            if val.is_empty() {
                return Err(bad("expected a base64 ECHConfigList"));
            }
            decode_into(&BASE64, val, &mut out).map_err(ErrorKind::BadBase64)?;
        }
        DOHPATH => {
            if std::str::from_utf8(val).is_err() {
                return Err(bad("must be UTF-8 (RFC 9461 §5)"));
            }
            out.extend_from_slice(val);
        }
        _ => out.extend_from_slice(val),
    }
    Ok(out)
}
