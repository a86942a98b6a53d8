//! Tokeniser for RFC 1035 §5.1 master files: splits text into logical records (one line,
//! or several joined by parentheses), drops `;` comments, and yields tokens as slices of
//! the input with their line numbers. Escapes (`\X`, `\DDD`) are kept as written; the
//! field parsers decode them, so a token never allocates.
//!
//! # Limitations
//! A quoted string cannot span lines (a raw newline inside quotes is reported as an
//! unterminated string; write `\010` instead). Parentheses do not nest.

use super::{ErrorKind, Spot};

/// One token of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    /// The text with escapes undecoded; for a quoted string, the text between the quotes.
    pub text: &'a [u8],
    /// 1-based line the token is on.
    pub line: usize,
    /// Written as a `"quoted string"`.
    pub quoted: bool,
    /// No whitespace between this token and the previous one (as in `alpn="h2"`).
    pub joined: bool,
}

/// Where a logical record starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Logical {
    /// The physical line began with a blank: the owner is the previous one (RFC 1035 §5.1).
    pub blank_owner: bool,
}

/// Splits a master file into logical records.
pub(crate) struct Lexer<'a> {
    buf: &'a [u8],
    pos: usize,
    line: usize,
}

#[inline]
fn is_blank(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | 0x0b | 0x0c)
}

impl<'a> Lexer<'a> {
    /// A lexer over `buf`, skipping a UTF-8 byte-order mark.
    pub fn new(buf: &'a [u8]) -> Lexer<'a> {
        let pos = if buf.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
        Lexer { buf, pos, line: 1 }
    }

    /// Appends the tokens of the next non-empty logical record to `out`; `Ok(None)` at
    /// the end of the input.
    pub fn next_record(&mut self, out: &mut Vec<Token<'a>>) -> Result<Option<Logical>, Spot> {
        let first = out.len();
        loop {
            if self.pos >= self.buf.len() {
                return Ok(None);
            }
            let blank_owner = is_blank(self.buf[self.pos]);
            let mut paren_line = 0; // 0: not inside parentheses
            let mut joined = false;
            while let Some(&c) = self.buf.get(self.pos) {
                match c {
                    b'\n' => {
                        self.pos += 1;
                        self.line += 1;
                        joined = false;
                        if paren_line == 0 {
                            break;
                        }
                    }
                    c if is_blank(c) => {
                        self.pos += 1;
                        joined = false;
                    }
                    b';' => {
                        while self.buf.get(self.pos).is_some_and(|&c| c != b'\n') {
                            self.pos += 1;
                        }
                    }
                    b'(' => {
                        if paren_line != 0 {
                            return Err(Spot::new(self.line, ErrorKind::NestedParen));
                        }
                        paren_line = self.line;
                        self.pos += 1;
                        joined = false;
                    }
                    b')' => {
                        if paren_line == 0 {
                            return Err(Spot::new(self.line, ErrorKind::UnbalancedParen));
                        }
                        paren_line = 0;
                        self.pos += 1;
                        joined = false;
                    }
                    b'"' => {
                        let text = self.quoted()?;
                        out.push(Token { text, line: self.line, quoted: true, joined });
                        joined = true;
                    }
                    _ => {
                        let text = self.unquoted();
                        out.push(Token { text, line: self.line, quoted: false, joined });
                        joined = true;
                    }
                }
            }
            if paren_line != 0 {
                return Err(Spot::new(paren_line, ErrorKind::UnclosedParen));
            }
            if out.len() > first {
                return Ok(Some(Logical { blank_owner }));
            }
        }
    }

    /// A quoted string starting at the opening quote; returns the text between quotes.
    fn quoted(&mut self) -> Result<&'a [u8], Spot> {
        let start = self.pos + 1;
        let mut i = start;
        loop {
            match self.buf.get(i) {
                None | Some(b'\n') => return Err(Spot::new(self.line, ErrorKind::UnterminatedQuote)),
                Some(b'"') => break,
                Some(b'\\') => match self.buf.get(i + 1) {
                    None | Some(b'\n') => return Err(Spot::new(self.line, ErrorKind::UnterminatedQuote)),
                    Some(_) => i += 2,
                },
                Some(_) => i += 1,
            }
        }
        self.pos = i + 1;
        Ok(&self.buf[start..i])
    }

    /// An unquoted token: up to a blank, newline, `;`, `(`, `)` or `"` not escaped.
    fn unquoted(&mut self) -> &'a [u8] {
        let start = self.pos;
        let mut i = start;
        while let Some(&c) = self.buf.get(i) {
            match c {
                b'\n' | b';' | b'(' | b')' | b'"' => break,
                c if is_blank(c) => break,
                // An escape takes the next byte, unless that ends the line: the lone
                // backslash is then left for the field parser to reject.
                b'\\' => i += if matches!(self.buf.get(i + 1), None | Some(b'\n')) { 1 } else { 2 },
                _ => i += 1,
            }
        }
        self.pos = i;
        &self.buf[start..i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (blank owner, [(text, line, quoted)]) per logical record.
    type Records = Vec<(bool, Vec<(String, usize, bool)>)>;

    fn records(text: &str) -> Result<Records, Spot> {
        let mut lx = Lexer::new(text.as_bytes());
        let mut out = Vec::new();
        let mut toks = Vec::new();
        while let Some(l) = lx.next_record(&mut toks)? {
            let t = toks.iter().map(|t| (String::from_utf8_lossy(t.text).into_owned(), t.line, t.quoted)).collect();
            out.push((l.blank_owner, t));
            toks.clear();
        }
        Ok(out)
    }

    #[test]
    fn parentheses_join_lines_and_comments_are_dropped() {
        let r = records("a 1 IN SOA ns. host. ( 1 ; serial\n 2 3\n 4 5 )\n\n  ; only a comment\n\tMX 10 b\n").unwrap();
        assert_eq!(r.len(), 2);
        let (blank, toks) = &r[0];
        assert!(!blank);
        assert_eq!(toks.len(), 11);
        assert_eq!(toks[6], ("1".into(), 1, false));
        assert_eq!(toks[10], ("5".into(), 3, false));
        assert!(r[1].0, "a line starting with a tab has a blank owner");
        assert_eq!(r[1].1[0], ("MX".into(), 6, false));
    }

    #[test]
    fn quotes_and_escapes_keep_delimiters_inside_tokens() {
        let r = records("x TXT \"a ; b\" c\\ d \"e\\\"f\" g\\;h\n").unwrap();
        let toks: Vec<_> = r[0].1.iter().map(|t| (t.0.as_str(), t.2)).collect();
        assert_eq!(toks, [("x", false), ("TXT", false), ("a ; b", true), ("c\\ d", false), ("e\\\"f", true), ("g\\;h", false)]);
    }

    #[test]
    fn a_quote_right_after_a_token_is_joined() {
        let mut lx = Lexer::new(b"alpn=\"h2,h3\" port=1");
        let mut toks = Vec::new();
        lx.next_record(&mut toks).unwrap();
        assert_eq!(toks.iter().map(|t| t.joined).collect::<Vec<_>>(), [false, true, false]);
    }

    #[test]
    fn unterminated_quote_reports_its_line() {
        let e = records("a TXT \"ok\"\nb TXT \"oops\nc A 1.2.3.4\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(matches!(e.kind, ErrorKind::UnterminatedQuote));
    }

    #[test]
    fn unclosed_parenthesis_reports_where_it_opened() {
        let e = records("a A 1.2.3.4\nb SOA ns. h. (\n 1 2 3\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(matches!(e.kind, ErrorKind::UnclosedParen));
        let e = records("a A 1.2.3.4 )\n").unwrap_err();
        assert!(matches!(e.kind, ErrorKind::UnbalancedParen));
        let e = records("a ( ( A\n").unwrap_err();
        assert!(matches!(e.kind, ErrorKind::NestedParen));
    }

    #[test]
    fn crlf_and_bom_are_accepted() {
        let r = records("\u{feff}a A 1.2.3.4\r\n b A 5.6.7.8\r\n").unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].1.len(), 3);
        assert_eq!(r[1].1[0].1, 2);
    }
}
