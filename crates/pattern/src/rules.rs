//! The rules a pattern must follow beyond its grammar.
//!
//! From the STIX 2.1 specification (the parser applies these where it builds the
//! node concerned):
//!
//! * spec 9.5: the operands of `AND` inside one `[…]` must be satisfiable by one
//!   object, so they must share an object type ([`shared_types`]);
//! * spec 9.5.1: at most one qualifier of each kind on an observation
//!   expression; `WITHIN` and `REPEATS` positive;
//! * spec 9.6.1: the values of an `IN` set are of one kind ([`ValueClass`]);
//! * spec 3.2: timestamps are real dates (in [`crate::Timestamp`]).
//!
//! From the reference validator, `stix2-patterns` 2.1.2, which partners run
//! (through `stix2-validator`) and which refuses these although the
//! specification does not mention them:
//!
//! * a `hashes.<algorithm>` value must fit the algorithm ([`hash_rule`]);
//! * the pattern must begin with `[` or `(` after whitespace, so a leading
//!   comment is refused ([`comment_first`]);
//! * a negative list index makes it fail (in the parser).
//!
//! [`ValueClass`]: crate::ValueClass

use crate::ast::{ObjectPath, PathStep, Span, Test, Value};
use crate::error::{ErrorKind, ParseError};
use crate::lexer::is_space;

/// The object types both sides of an `AND` can match (sorted, deduplicated).
pub(crate) fn shared_types(left: &[String], right: &[String]) -> Vec<String> {
    left.iter().filter(|t| right.contains(t)).cloned().collect()
}

/// The object types either side of an `OR` can match (sorted, deduplicated).
pub(crate) fn either_types(mut left: Vec<String>, right: Vec<String>) -> Vec<String> {
    left.extend(right);
    left.sort();
    left.dedup();
    left
}

/// How the reference validator checks the value of `hashes.<algorithm>`: a
/// regular expression matched with Python's `re.match`, so `$` also matches
/// before one final line feed.
enum HashFormat {
    /// Exactly `n` hex digits.
    Hex(usize),
    /// 1 to 128 of `[a-zA-Z0-9/+:.]`.
    Ssdeep,
    /// The reference's MD6 expression lacks a group around its alternatives,
    /// so it only asks that the value *begin* with 32 hex digits (or with a line
    /// feed, four spaces and 64 hex digits). We follow what it does.
    Md6,
}

/// The algorithms the reference validator knows, keyed by the algorithm name
/// upper-cased without `-` and `'` (so `'SHA-256'`, `sha256` and `SHA256` are
/// one key).
const HASHES: &[(&str, HashFormat, &str)] = &[
    ("MD5", HashFormat::Hex(32), "32 hex digits"),
    ("MD6", HashFormat::Md6, "32 hex digits first"),
    ("RIPEMD160", HashFormat::Hex(40), "40 hex digits"),
    ("SHA1", HashFormat::Hex(40), "40 hex digits"),
    ("SHA224", HashFormat::Hex(56), "56 hex digits"),
    ("SHA256", HashFormat::Hex(64), "64 hex digits"),
    ("SHA384", HashFormat::Hex(96), "96 hex digits"),
    ("SHA512", HashFormat::Hex(128), "128 hex digits"),
    ("SHA3224", HashFormat::Hex(56), "56 hex digits"),
    ("SHA3256", HashFormat::Hex(64), "64 hex digits"),
    ("SHA3384", HashFormat::Hex(96), "96 hex digits"),
    ("SHA3512", HashFormat::Hex(128), "128 hex digits"),
    (
        "SSDEEP",
        HashFormat::Ssdeep,
        "1 to 128 of A-Z, a-z, 0-9, '/', '+', ':', '.'",
    ),
    ("WHIRLPOOL", HashFormat::Hex(128), "128 hex digits"),
];

fn fits(format: &HashFormat, value: &str) -> bool {
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    let body = value.strip_suffix('\n').unwrap_or(value);
    match *format {
        HashFormat::Hex(n) => hex(body, n),
        HashFormat::Ssdeep => {
            (1..=128).contains(&body.len())
                && body
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'+' | b':' | b'.'))
        }
        HashFormat::Md6 => {
            value.get(..32).is_some_and(|s| hex(s, 32))
                || value
                    .strip_prefix("\n    ")
                    .and_then(|s| s.get(..64))
                    .is_some_and(|s| hex(s, 64))
        }
    }
}

/// The reference validator's check of hash values: when the path goes through
/// a property or key named `hashes` and ends in a key naming a known
/// algorithm, the literal's text (as written, quotes removed) must fit the
/// algorithm's format. Any object type; every test but `EXISTS`.
pub(crate) fn hash_rule(
    path: &ObjectPath,
    test: &Test,
    src: &str,
    set_span: Span,
) -> Result<(), ParseError> {
    let through_hashes = path.property == "hashes"
        || path
            .steps
            .iter()
            .any(|s| matches!(s, PathStep::Key(k) if k == "hashes"));
    if !through_hashes || matches!(test, Test::Exists) {
        return Ok(());
    }
    let algorithm = match path.steps.last() {
        None => &path.property,
        Some(PathStep::Key(k)) => k,
        Some(PathStep::AnyIndex) => return Ok(()),
        Some(PathStep::Index(_)) => {
            return Err(ParseError::new(path.span, ErrorKind::HashIndex));
        }
    };
    let key: String = algorithm
        .to_uppercase()
        .chars()
        .filter(|&c| c != '-' && c != '\'')
        .collect();
    let Some((_, format, expected)) = HASHES.iter().find(|(name, ..)| *name == key) else {
        return Ok(());
    };
    let span = match test {
        Test::Compare { value, .. } => value.span,
        Test::Like(t) | Test::Matches(t) | Test::IsSubset(t) | Test::IsSuperset(t) => t.span,
        Test::In(_) => {
            return Err(ParseError::new(
                set_span,
                ErrorKind::HashSet {
                    algorithm: algorithm.clone(),
                },
            ));
        }
        Test::Exists => return Ok(()),
    };
    let value: String = src[span.range()].chars().filter(|&c| c != '\'').collect();
    if fits(format, &value) {
        Ok(())
    } else {
        Err(ParseError::new(
            span,
            ErrorKind::InvalidHash {
                algorithm: algorithm.clone(),
                value,
                expected,
            },
        ))
    }
}

/// The reference validator's first check: after any `(` and whitespace, the
/// pattern must begin with `[`. A pattern that parses can only break it with a
/// comment.
pub(crate) fn comment_first(src: &str) -> Result<(), ParseError> {
    match src.char_indices().find(|&(_, c)| c != '(' && !is_space(c)) {
        Some((_, '[')) | None => Ok(()),
        Some((i, c)) => Err(ParseError::new(
            Span::new(i, i + c.len_utf8()),
            ErrorKind::CommentFirst,
        )),
    }
}

/// Whether two values may sit in one `IN` set.
pub(crate) fn same_class(a: &Value, b: &Value) -> bool {
    a.class() == b.class()
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! fits {
        ($name:ident, $algo:expr, $value:expr, $want:expr) => {
            #[test]
            fn $name() {
                let (_, format, _) = HASHES.iter().find(|(n, ..)| *n == $algo).unwrap();
                assert_eq!(fits(format, $value), $want);
            }
        };
    }

    const MD5: &str = "cead3f77f6cda6ec00f57d76c9a6879f";

    fits!(md5, "MD5", MD5, true);
    fits!(md5_upper, "MD5", "CEAD3F77F6CDA6EC00F57D76C9A6879F", true);
    fits!(md5_short, "MD5", "abc", false);
    fits!(md5_final_line_feed, "MD5", &format!("{MD5}\n"), true);
    fits!(md5_two_line_feeds, "MD5", &format!("{MD5}\n\n"), false);
    fits!(md6_prefix, "MD6", &format!("{MD5}zz"), true);
    fits!(md6_short, "MD6", "abc", false);
    fits!(
        ssdeep,
        "SSDEEP",
        "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C",
        true
    );
    fits!(ssdeep_space, "SSDEEP", "has space", false);
    fits!(ssdeep_empty, "SSDEEP", "", false);
    fits!(ssdeep_long, "SSDEEP", &"a".repeat(129), false);

    #[test]
    fn comment_first_finds_the_comment() {
        assert!(comment_first("( \t[a:b=1])").is_ok());
        let e = comment_first(" ( /* x */ [a:b=1])").unwrap_err();
        assert_eq!((e.span.start, e.span.end), (3, 4));
    }
}
