//! Pattern text to tokens, one at a time.
//!
//! The tokens are those of the STIX 2.1 grammar (`STIXPattern.g4`), cut the
//! way its lexer cuts them: the longest token wins, keywords are exact and
//! upper-case (`true` and `false` lower-case), and whitespace and comments
//! (`/* … */`, `// …`) separate tokens anywhere. Some texts that the reference
//! lexer splits into pieces that no grammar rule accepts (`h'abc'` becomes `h`
//! and `'abc'`; `007` becomes `0`, `0`, `7`) are reported here directly, with a
//! message about the literal. No text that the grammar accepts is refused.
//!
//! Literals are decoded here: strings are unescaped, `h'…'` and `b'…'` become
//! bytes and `t'…'` is checked as a calendar date. Numbers stay text until the
//! parser knows whether it wants an index, a count or a value.

use crate::ast::{CompareOp, Span, Timestamp};
use crate::error::{ErrorKind, ParseError};

/// A token and where it is.
#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub(crate) kind: Tok,
    pub(crate) span: Span,
}

/// The kinds of token.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    LBrack,
    RBrack,
    LParen,
    RParen,
    Colon,
    Dot,
    Comma,
    Star,
    Op(CompareOp),
    Kw(Keyword),
    /// `[A-Za-z_][A-Za-z0-9_-]*` that is not a keyword; `hyphen` when it has one
    /// (allowed in object types, not in property names).
    Ident {
        hyphen: bool,
    },
    /// An integer, sign included; the text is the span's.
    Int,
    /// A decimal, sign included; the text is the span's.
    Float,
    Str(String),
    Hex(Vec<u8>),
    Binary(Vec<u8>),
    Timestamp(Timestamp),
    /// A character that starts no token (`+`, `-`, `/`, `^`, `;`, `!`, …).
    Other(char),
    Eof,
}

/// The grammar's keywords (`LAST` is reserved but used by no rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Keyword {
    And,
    Or,
    Not,
    FollowedBy,
    Like,
    Matches,
    IsSuperset,
    IsSubset,
    Exists,
    Last,
    In,
    Start,
    Stop,
    Seconds,
    True,
    False,
    Within,
    Repeats,
    Times,
}

pub(crate) const KEYWORDS: &[(&str, Keyword)] = &[
    ("AND", Keyword::And),
    ("OR", Keyword::Or),
    ("NOT", Keyword::Not),
    ("FOLLOWEDBY", Keyword::FollowedBy),
    ("LIKE", Keyword::Like),
    ("MATCHES", Keyword::Matches),
    ("ISSUPERSET", Keyword::IsSuperset),
    ("ISSUBSET", Keyword::IsSubset),
    ("EXISTS", Keyword::Exists),
    ("LAST", Keyword::Last),
    ("IN", Keyword::In),
    ("START", Keyword::Start),
    ("STOP", Keyword::Stop),
    ("SECONDS", Keyword::Seconds),
    ("true", Keyword::True),
    ("false", Keyword::False),
    ("WITHIN", Keyword::Within),
    ("REPEATS", Keyword::Repeats),
    ("TIMES", Keyword::Times),
];

pub(crate) fn keyword(s: &str) -> Option<Keyword> {
    KEYWORDS.iter().find(|(k, _)| *k == s).map(|&(_, k)| k)
}

/// Whether `s` can be written without quotes as a property name.
pub(crate) fn is_plain_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && keyword(s).is_none()
}

/// The grammar's whitespace (`WS` in `STIXPattern.g4`).
pub(crate) fn is_space(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\n' | '\r' | '\u{b}' | '\u{c}' | '\u{85}' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    )
}

pub(crate) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(src: &'a str) -> Lexer<'a> {
        Lexer { src, pos: 0 }
    }

    fn peek_char(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.src.as_bytes().get(at).copied()
    }

    fn err<T>(&self, start: usize, end: usize, kind: ErrorKind) -> Result<T, ParseError> {
        Err(ParseError::new(Span::new(start, end), kind))
    }

    /// Skips whitespace and comments.
    fn skip_trivia(&mut self) -> Result<(), ParseError> {
        loop {
            match self.peek_char() {
                Some(c) if is_space(c) => self.pos += c.len_utf8(),
                Some('/') if self.byte(self.pos + 1) == Some(b'*') => {
                    let start = self.pos;
                    match self.src[start + 2..].find("*/") {
                        Some(i) => self.pos = start + 2 + i + 2,
                        None => {
                            return self.err(
                                start,
                                start + 2,
                                ErrorKind::Unclosed { delimiter: "'/*'" },
                            );
                        }
                    }
                }
                Some('/') if self.byte(self.pos + 1) == Some(b'/') => {
                    let rest = &self.src[self.pos..];
                    self.pos += rest.find(['\r', '\n']).unwrap_or(rest.len());
                }
                _ => return Ok(()),
            }
        }
    }

    pub(crate) fn next_token(&mut self) -> Result<Token, ParseError> {
        self.skip_trivia()?;
        let start = self.pos;
        let Some(c) = self.peek_char() else {
            return Ok(Token {
                kind: Tok::Eof,
                span: Span::new(start, start),
            });
        };
        let next = self.byte(start + 1);
        let (kind, len) = match c {
            '[' => (Tok::LBrack, 1),
            ']' => (Tok::RBrack, 1),
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            ':' => (Tok::Colon, 1),
            ',' => (Tok::Comma, 1),
            '*' => (Tok::Star, 1),
            '=' if next == Some(b'=') => (Tok::Op(CompareOp::Eq), 2),
            '=' => (Tok::Op(CompareOp::Eq), 1),
            '!' if next == Some(b'=') => (Tok::Op(CompareOp::Ne), 2),
            '<' if next == Some(b'>') => (Tok::Op(CompareOp::Ne), 2),
            '<' if next == Some(b'=') => (Tok::Op(CompareOp::Le), 2),
            '<' => (Tok::Op(CompareOp::Lt), 1),
            '>' if next == Some(b'=') => (Tok::Op(CompareOp::Ge), 2),
            '>' => (Tok::Op(CompareOp::Gt), 1),
            '\'' => return self.string(start),
            't' | 'h' | 'b' if next == Some(b'\'') => return self.prefixed(c, start),
            c if c.is_ascii_alphabetic() || c == '_' => return Ok(self.word(start)),
            '.' if next.is_some_and(|b| b.is_ascii_digit()) => return self.number(start),
            '0'..='9' => return self.number(start),
            '+' | '-' if self.starts_number(start + 1) => return self.number(start),
            '.' => (Tok::Dot, 1),
            c => (Tok::Other(c), c.len_utf8()),
        };
        self.pos = start + len;
        Ok(Token {
            kind,
            span: Span::new(start, self.pos),
        })
    }

    fn starts_number(&self, at: usize) -> bool {
        match self.byte(at) {
            Some(b) if b.is_ascii_digit() => true,
            Some(b'.') => self.byte(at + 1).is_some_and(|b| b.is_ascii_digit()),
            _ => false,
        }
    }

    fn word(&mut self, start: usize) -> Token {
        let rest = &self.src.as_bytes()[start..];
        let len = rest
            .iter()
            .position(|&b| !(b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
            .unwrap_or(rest.len());
        self.pos = start + len;
        let text = &self.src[start..self.pos];
        let kind = match keyword(text) {
            Some(k) => Tok::Kw(k),
            None => Tok::Ident {
                hyphen: text.contains('-'),
            },
        };
        Token {
            kind,
            span: Span::new(start, self.pos),
        }
    }

    /// `IntPosLiteral`, `IntNegLiteral`, `FloatPosLiteral`, `FloatNegLiteral`:
    /// `[+-]?(0|[1-9][0-9]*)` and `[+-]?[0-9]*\.[0-9]+`.
    fn number(&mut self, start: usize) -> Result<Token, ParseError> {
        let b = self.src.as_bytes();
        let mut i = start;
        if matches!(b[i], b'+' | b'-') {
            i += 1;
        }
        let int_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let int_digits = i - int_start;
        let kind = if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            Tok::Float
        } else {
            if int_digits > 1 && b[int_start] == b'0' {
                return self.err(
                    start,
                    i,
                    ErrorKind::LeadingZero {
                        text: self.src[start..i].to_owned(),
                    },
                );
            }
            Tok::Int
        };
        self.pos = i;
        Ok(Token {
            kind,
            span: Span::new(start, i),
        })
    }

    /// `'…'` with the escapes `\'` and `\\`; any other character, line breaks
    /// included, stands for itself.
    fn string(&mut self, start: usize) -> Result<Token, ParseError> {
        let mut value = String::new();
        let mut chars = self.src[start + 1..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\'' => {
                    self.pos = start + 1 + i + 1;
                    return Ok(Token {
                        kind: Tok::Str(value),
                        span: Span::new(start, self.pos),
                    });
                }
                '\\' => match chars.next() {
                    Some((_, e @ ('\'' | '\\'))) => value.push(e),
                    Some((j, e)) => {
                        let at = start + 1 + i;
                        return self.err(
                            at,
                            start + 1 + j + e.len_utf8(),
                            ErrorKind::InvalidEscape {
                                escape: format!("\\{}", e.escape_debug()),
                            },
                        );
                    }
                    None => break,
                },
                c => value.push(c),
            }
        }
        self.err(start, start + 1, ErrorKind::Unclosed { delimiter: "'" })
    }

    /// `t'…'`, `h'…'` and `b'…'`: the text up to the next quote (they have no
    /// escapes), checked and decoded.
    fn prefixed(&mut self, prefix: char, start: usize) -> Result<Token, ParseError> {
        let body_start = start + 2;
        let Some(len) = self.src[body_start..].find('\'') else {
            return self.err(start + 1, start + 2, ErrorKind::Unclosed { delimiter: "'" });
        };
        let body = &self.src[body_start..body_start + len];
        let end = body_start + len + 1;
        let span = Span::new(start, end);
        let kind = match prefix {
            't' => match Timestamp::new(body) {
                Ok(t) => Tok::Timestamp(t),
                Err(reason) => {
                    return Err(ParseError::new(
                        span,
                        ErrorKind::InvalidTimestamp {
                            text: body.to_owned(),
                            reason,
                        },
                    ));
                }
            },
            'h' => match decode_hex(body) {
                Ok(bytes) => Tok::Hex(bytes),
                Err(reason) => return Err(ParseError::new(span, ErrorKind::InvalidHex { reason })),
            },
            _ => match decode_base64(body) {
                Ok(bytes) => Tok::Binary(bytes),
                Err(reason) => {
                    return Err(ParseError::new(span, ErrorKind::InvalidBase64 { reason }));
                }
            },
        };
        self.pos = end;
        Ok(Token { kind, span })
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `HexLiteral`: pairs of hex digits, either case, possibly none.
fn decode_hex(body: &str) -> Result<Vec<u8>, &'static str> {
    let b = body.as_bytes();
    if b.len() % 2 != 0 {
        return Err("an odd number of hex digits");
    }
    b.chunks(2)
        .map(|pair| match (hex_value(pair[0]), hex_value(pair[1])) {
            (Some(h), Some(l)) => Ok(h << 4 | l),
            _ => Err("not a hex digit"),
        })
        .collect()
}

fn base64_value(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// `BinaryLiteral`: standard base64 (RFC 4648 section 4) in groups of four,
/// padded, at least one group. Line breaks (LF, CR) are skipped, as spec 9.2
/// requires; the reference grammar refuses them. Bits left over after the last
/// byte are ignored, as the reference decoder ignores them.
fn decode_base64(body: &str) -> Result<Vec<u8>, &'static str> {
    let text: Vec<u8> = body
        .bytes()
        .filter(|b| !matches!(b, b'\n' | b'\r'))
        .collect();
    if text.is_empty() {
        return Err("empty (at least one group of four characters is needed)");
    }
    if text.len() % 4 != 0 {
        return Err("length is not a multiple of 4 (pad with '=')");
    }
    let pad = text.iter().rev().take_while(|&&b| b == b'=').count();
    if pad > 2 {
        return Err("more than two '=' of padding");
    }
    let data = &text[..text.len() - pad];
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in data {
        let Some(v) = base64_value(b) else {
            return Err(if b == b'=' {
                "'=' before the end"
            } else {
                "not a base64 character (A-Z, a-z, 0-9, +, /)"
            });
        };
        acc = acc << 6 | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

/// Standard padded base64 of `bytes`.
pub(crate) fn encode_base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kinds of all tokens of `src`, or the first error's kind.
    fn lex(src: &str) -> Result<Vec<Tok>, ErrorKind> {
        let mut lexer = Lexer::new(src);
        let mut out = Vec::new();
        loop {
            let t = lexer.next_token().map_err(|e| e.kind)?;
            if t.kind == Tok::Eof {
                return Ok(out);
            }
            out.push(t.kind);
        }
    }

    macro_rules! lexes {
        ($name:ident, $src:expr, [$($tok:expr),* $(,)?]) => {
            #[test]
            fn $name() {
                assert_eq!(lex($src).unwrap(), vec![$($tok),*]);
            }
        };
    }
    macro_rules! rejects {
        ($name:ident, $src:expr, $kind:pat) => {
            #[test]
            fn $name() {
                let got = lex($src);
                assert!(matches!(got, Err($kind)), "{:?}", got);
            }
        };
    }

    const ID: Tok = Tok::Ident { hyphen: false };
    const HY: Tok = Tok::Ident { hyphen: true };
    fn s(v: &str) -> Tok {
        Tok::Str(v.to_owned())
    }

    lexes!(
        punctuation,
        "[]():,.*",
        [
            Tok::LBrack,
            Tok::RBrack,
            Tok::LParen,
            Tok::RParen,
            Tok::Colon,
            Tok::Comma,
            Tok::Dot,
            Tok::Star
        ]
    );
    lexes!(
        operators,
        "= == != <> < <= > >=",
        [
            Tok::Op(CompareOp::Eq),
            Tok::Op(CompareOp::Eq),
            Tok::Op(CompareOp::Ne),
            Tok::Op(CompareOp::Ne),
            Tok::Op(CompareOp::Lt),
            Tok::Op(CompareOp::Le),
            Tok::Op(CompareOp::Gt),
            Tok::Op(CompareOp::Ge)
        ]
    );
    lexes!(
        not_equal_equal,
        "!==",
        [Tok::Op(CompareOp::Ne), Tok::Op(CompareOp::Eq)]
    );
    lexes!(
        keywords_are_exact,
        "AND and ANDY LAST true True",
        [
            Tok::Kw(Keyword::And),
            ID,
            ID,
            Tok::Kw(Keyword::Last),
            Tok::Kw(Keyword::True),
            ID
        ]
    );
    lexes!(hyphens_stay_in_words, "domain-name AND- a--b", [HY, HY, HY]);
    lexes!(
        type_path,
        "file:hashes.'SHA-256'",
        [ID, Tok::Colon, ID, Tok::Dot, s("SHA-256")]
    );
    lexes!(
        integers,
        "0 +5 -5 -0 12",
        [Tok::Int, Tok::Int, Tok::Int, Tok::Int, Tok::Int]
    );
    lexes!(
        floats,
        "1.5 .5 +.5 -.5 00.5 -0.0",
        [
            Tok::Float,
            Tok::Float,
            Tok::Float,
            Tok::Float,
            Tok::Float,
            Tok::Float
        ]
    );
    lexes!(
        number_then_word,
        "5SECONDS 1e3",
        [Tok::Int, Tok::Kw(Keyword::Seconds), Tok::Int, ID]
    );
    lexes!(dot_without_digit_after_int, "5.", [Tok::Int, Tok::Dot]);
    lexes!(float_then_float, "1.5.5", [Tok::Float, Tok::Float]);
    lexes!(
        lone_signs,
        "+ - +a",
        [Tok::Other('+'), Tok::Other('-'), Tok::Other('+'), ID]
    );
    lexes!(escapes, r"'it\'s' 'a\\b' ''", [s("it's"), s(r"a\b"), s("")]);
    lexes!(raw_line_break_in_string, "'a\nb'", [s("a\nb")]);
    lexes!(
        hex,
        "h'4D5a' h''",
        [Tok::Hex(vec![0x4d, 0x5a]), Tok::Hex(vec![])]
    );
    lexes!(
        base64,
        "b'TVo=' b'AQ==' b'AQID'",
        [
            Tok::Binary(b"MZ".to_vec()),
            Tok::Binary(vec![1]),
            Tok::Binary(vec![1, 2, 3])
        ]
    );
    lexes!(base64_extra_bits_ignored, "b'AR=='", [Tok::Binary(vec![1])]);
    lexes!(
        base64_line_feeds_skipped,
        "b'AQ\nID'",
        [Tok::Binary(vec![1, 2, 3])]
    );
    lexes!(
        timestamp,
        "t'2016-12-31T23:59:60Z'",
        [Tok::Timestamp(
            Timestamp::new("2016-12-31T23:59:60Z").unwrap()
        )]
    );
    lexes!(prefix_letters_alone_are_words, "t h b tx", [ID, ID, ID, ID]);
    lexes!(
        comments,
        "/* a */ [ // b\n ] /**/",
        [Tok::LBrack, Tok::RBrack]
    );
    lexes!(
        unicode_spaces,
        "\u{a0}[\u{2003}]\u{3000}\u{85}",
        [Tok::LBrack, Tok::RBrack]
    );
    lexes!(
        zero_width_space_is_not_space,
        "\u{200b}",
        [Tok::Other('\u{200b}')]
    );
    lexes!(non_ascii_letter, "nä", [ID, Tok::Other('ä')]);

    rejects!(leading_zero, "007", ErrorKind::LeadingZero { .. });
    rejects!(leading_zero_negative, "-01", ErrorKind::LeadingZero { .. });
    rejects!(
        unclosed_string,
        "'abc",
        ErrorKind::Unclosed { delimiter: "'" }
    );
    rejects!(escaped_quote_at_end, r"'abc\'", ErrorKind::Unclosed { .. });
    rejects!(backslash_n, r"'a\nb'", ErrorKind::InvalidEscape { .. });
    rejects!(
        windows_path,
        r"'C:\Windows'",
        ErrorKind::InvalidEscape { .. }
    );
    rejects!(
        unclosed_comment,
        "[a:b=1] /* x",
        ErrorKind::Unclosed { delimiter: "'/*'" }
    );
    rejects!(odd_hex, "h'abc'", ErrorKind::InvalidHex { .. });
    rejects!(bad_hex, "h'zz'", ErrorKind::InvalidHex { .. });
    rejects!(empty_base64, "b''", ErrorKind::InvalidBase64 { .. });
    rejects!(short_base64, "b'AQIDBA'", ErrorKind::InvalidBase64 { .. });
    rejects!(
        base64_inner_padding,
        "b'AQ==AQ=='",
        ErrorKind::InvalidBase64 { .. }
    );
    rejects!(
        base64_triple_padding,
        "b'A==='",
        ErrorKind::InvalidBase64 { .. }
    );
    rejects!(
        base64_url_alphabet,
        "b'a-_b'",
        ErrorKind::InvalidBase64 { .. }
    );
    rejects!(
        bad_timestamp,
        "t'2016-01-01 00:00:00Z'",
        ErrorKind::InvalidTimestamp { .. }
    );
    rejects!(
        impossible_date,
        "t'2024-02-30T12:00:00Z'",
        ErrorKind::InvalidTimestamp { .. }
    );
    rejects!(unclosed_timestamp, "t'2016", ErrorKind::Unclosed { .. });

    #[test]
    fn base64_round_trip() {
        for n in 0..20u8 {
            let bytes: Vec<u8> = (0..n).map(|i| i.wrapping_mul(97).wrapping_add(n)).collect();
            let text = encode_base64(&bytes);
            if bytes.is_empty() {
                assert_eq!(text, "");
            } else {
                assert_eq!(decode_base64(&text).unwrap(), bytes, "{text}");
            }
        }
        assert_eq!(encode_base64(b"MZ"), "TVo=");
        assert_eq!(encode_base64(&[1]), "AQ==");
    }

    #[test]
    fn plain_names() {
        assert!(is_plain_name("value"));
        assert!(is_plain_name("_x9"));
        assert!(is_plain_name("t"));
        assert!(!is_plain_name("SHA-256"));
        assert!(!is_plain_name("IN"));
        assert!(!is_plain_name("true"));
        assert!(!is_plain_name("9a"));
        assert!(!is_plain_name(""));
    }
}
