//! Why a pattern was refused, and where.
//!
//! Every refusal is a [`ParseError`]: the [`Span`] of the offending text and an
//! [`ErrorKind`] saying what was expected and what was found. The kinds are
//! sorted by the rule that refuses the text:
//!
//! * the STIX 2.1 pattern grammar (`Unexpected`, `Unclosed`, `Trailing`, bad
//!   literals, …);
//! * the specification's rules beyond the grammar (`NotPositive`,
//!   `DuplicateQualifier`, `MixedSet`, `DifferentTypes`, impossible dates);
//! * checks of the reference validator, `stix2-patterns`, that are not in the
//!   specification but that partners running it apply (`InvalidHash`,
//!   `HashSet`, `HashIndex`, `NegativeIndex`, `CommentFirst`);
//! * our own limits (`OutOfRange`, `TooDeep`).
//!
//! None is ever caused by the caller's use of the API: only the pattern text.

use std::fmt::{self, Write as _};

use crate::ast::{Span, ValueClass};

/// A pattern that is not valid: where, and why.
///
/// `Display` gives one line, `byte 7: expected …`, with line breaks and other
/// control characters of the quoted text escaped (`\n`).
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    /// The offending text (empty at the end of the input).
    pub span: Span,
    /// What is wrong.
    pub kind: ErrorKind,
}

/// What is wrong with a pattern.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The grammar allows something else here.
    #[error("expected {expected}, found {found}")]
    Unexpected {
        /// What the grammar allows, in words.
        expected: &'static str,
        /// What is there, quoted (or `end of input`).
        found: String,
    },
    /// A `[`, `(`, `'` or `/*` whose closing partner never comes; the span is
    /// the opening one.
    #[error("this {delimiter} is never closed")]
    Unclosed {
        /// The opening delimiter, quoted.
        delimiter: &'static str,
    },
    /// Text after a complete pattern.
    #[error("expected AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern, found {found}")]
    Trailing {
        /// What is there, quoted.
        found: String,
    },
    /// A backslash in a string that escapes neither `'` nor `\`.
    #[error(r"invalid escape {escape} in a string: only \' and \\ are escapes (write \\ for a backslash)")]
    InvalidEscape {
        /// The backslash and the character after it.
        escape: String,
    },
    /// An integer written with a leading zero (`007`).
    #[error("integer {text} has a leading zero")]
    LeadingZero {
        /// The integer as written.
        text: String,
    },
    /// A malformed `h'…'` literal.
    #[error("invalid hex literal: {reason}")]
    InvalidHex {
        /// What is wrong.
        reason: &'static str,
    },
    /// A malformed `b'…'` literal.
    #[error("invalid base64 literal: {reason}")]
    InvalidBase64 {
        /// What is wrong.
        reason: &'static str,
    },
    /// A malformed `t'…'` literal, or an impossible date (spec 3.2: timestamps
    /// are RFC 3339 date-times).
    #[error("invalid timestamp t'{text}': {reason}")]
    InvalidTimestamp {
        /// The text between the quotes.
        text: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A property name with a hyphen that is not quoted (`extensions.tcp-ext`).
    #[error("property name {name} contains '-'; quote it: '{name}'")]
    UnquotedHyphen {
        /// The name as written.
        name: String,
    },
    /// A number we cannot hold: an integer beyond `i128` (a list index or
    /// `REPEATS` count beyond `u64`), or a decimal beyond `f64`.
    #[error("number {text} is out of range")]
    OutOfRange {
        /// The number as written.
        text: String,
    },
    /// Parentheses or brackets nested deeper than we parse.
    #[error("nested more than {limit} levels deep")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// `WITHIN 0 SECONDS`, `REPEATS 0 TIMES` (spec 9.5.1: must be positive).
    #[error("{qualifier} needs a positive number, found {text}")]
    NotPositive {
        /// `WITHIN` or `REPEATS`.
        qualifier: &'static str,
        /// The number as written.
        text: String,
    },
    /// The same kind of qualifier twice on one observation expression
    /// (spec 9.5.1).
    #[error("a second {qualifier} qualifier on the same expression (the first is at byte {}); group with parentheses to qualify the qualified expression", first.start)]
    DuplicateQualifier {
        /// `WITHIN`, `REPEATS` or `START`.
        qualifier: &'static str,
        /// Where the first one is.
        first: Span,
    },
    /// An `IN` set with values of different kinds (spec 9.6.1: homogeneous).
    #[error("set values must be of one kind, but a {} follows a {}", other.name(), first.name())]
    MixedSet {
        /// The kind of the first value.
        first: ValueClass,
        /// The kind of the value that differs.
        other: ValueClass,
    },
    /// `AND` inside one `[…]` over comparisons that no single object can
    /// satisfy, because they test different object types (spec 9.5).
    #[error(
        "AND inside one [...] needs one object to satisfy both sides, but the left side tests {} and the right side {}; to match different objects, use [...] AND [...]",
        types(left),
        types(right)
    )]
    DifferentTypes {
        /// The object types the left side can match.
        left: Vec<String>,
        /// The object types the right side can match.
        right: Vec<String>,
    },
    /// A negative list index (`[-1]`): the grammar allows it, but it never
    /// selects anything and the reference validator fails on it.
    #[error("list index {text} is negative; indexes count from 0")]
    NegativeIndex {
        /// The index as written.
        text: String,
    },
    /// A `hashes.<algorithm>` value that does not fit the algorithm (the
    /// reference validator's check).
    #[error("'{value}' is not a valid {algorithm} hash: expected {expected}")]
    InvalidHash {
        /// The algorithm key as written (unquoted).
        algorithm: String,
        /// The literal as written, without its quotes.
        value: String,
        /// The expected format.
        expected: &'static str,
    },
    /// `hashes.<algorithm> IN (…)`: the reference validator checks the set's
    /// text as one hash value, so it rejects every such set.
    #[error(
        "stix2-validator rejects IN with hashes.{algorithm}; write hashes.{algorithm} = '…' OR hashes.{algorithm} = '…'"
    )]
    HashSet {
        /// The algorithm key as written (unquoted).
        algorithm: String,
    },
    /// A list index as the last step of a path through `hashes` (the reference
    /// validator fails on it; `hashes` is a dictionary, not a list).
    #[error("hashes is a dictionary keyed by algorithm; a list index here selects nothing")]
    HashIndex,
    /// Text before the first `[`, such as a comment: the reference validator
    /// requires a pattern to begin with `[` or `(`.
    #[error(
        "a pattern must begin with '[' or '(' (comments before it are refused by stix2-validator)"
    )]
    CommentFirst,
}

impl std::error::Error for ParseError {}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "byte {}: {}", self.span.start, one_line(&self.kind))
    }
}

/// The kind's message with control characters and line separators escaped,
/// so that a message quoting the pattern stays on one line.
fn one_line(kind: &ErrorKind) -> String {
    let mut out = String::new();
    for c in kind.to_string().chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            let _ = write!(out, "{}", c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

fn types(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    quoted.join(" or ")
}

impl ParseError {
    pub(crate) fn new(span: Span, kind: ErrorKind) -> ParseError {
        ParseError { span, kind }
    }

    /// The 1-based line and column (in characters) where the error starts in
    /// `pattern`, the text that was parsed.
    pub fn line_column(&self, pattern: &str) -> (usize, usize) {
        let at = floor_char_boundary(pattern, self.span.start);
        let before = &pattern[..at];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }

    /// The message with its position as a person counts it: `column 8: …`, or
    /// `line 2, column 3: …` when `pattern` has several lines.
    pub fn message(&self, pattern: &str) -> String {
        let (line, column) = self.line_column(pattern);
        let kind = one_line(&self.kind);
        if pattern.contains('\n') {
            format!("line {line}, column {column}: {kind}")
        } else {
            format!("column {column}: {kind}")
        }
    }

    /// The message, then the line of `pattern` (the text that was parsed) with
    /// a caret line under the offending text:
    ///
    /// ```
    /// let p = "[ipv4-addr:value = '198.51.100.1' WITHIN 5 SECONDS]";
    /// let e = pattern::parse(p).unwrap_err();
    /// assert_eq!(e.render(p), "\
    /// column 35: expected AND, OR or ']', found 'WITHIN'
    ///   [ipv4-addr:value = '198.51.100.1' WITHIN 5 SECONDS]
    ///                                     ^^^^^^
    /// ");
    /// ```
    ///
    /// Long lines are cut around the error; control characters are shown as
    /// `�` so that the caret stays under its character.
    pub fn render(&self, pattern: &str) -> String {
        let start = floor_char_boundary(pattern, self.span.start);
        let end = floor_char_boundary(pattern, self.span.end.max(start));
        let line_start = pattern[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = pattern[start..]
            .find('\n')
            .map_or(pattern.len(), |i| start + i);
        let line = &pattern[line_start..line_end];
        let col = pattern[line_start..start].chars().count();
        let width = pattern[start..end.min(line_end)].chars().count().max(1);

        // Cut long lines to a window around the error.
        const BEFORE: usize = 60;
        const AFTER: usize = 40;
        let chars: Vec<char> = line.chars().collect();
        let from = col.saturating_sub(BEFORE);
        let to = chars.len().min(col + width + AFTER);
        let mut shown = String::new();
        let mut carets = String::new();
        if from > 0 {
            shown.push('…');
            carets.push(' ');
        }
        for (i, &c) in chars.iter().enumerate().take(to).skip(from) {
            let (show, pad) = match c {
                '\t' => ('\t', '\t'),
                '\r' | '\u{b}' | '\u{c}' | '\u{85}' | '\u{2028}' | '\u{2029}' => (' ', ' '),
                c if c.is_control() => ('\u{fffd}', ' '),
                c => (c, ' '),
            };
            shown.push(show);
            if i < col {
                carets.push(pad);
            }
        }
        if to < chars.len() {
            shown.push('…');
        }
        carets.push_str(&"^".repeat(width));
        let mut out = self.message(pattern);
        let _ = write!(out, "\n  {shown}\n  {carets}\n");
        out
    }
}

/// The largest char boundary of `s` at or before `i` (clamped to `s.len()`).
fn floor_char_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use crate::parse;

    macro_rules! renders {
        ($name:ident, $src:expr, $want:expr) => {
            #[test]
            fn $name() {
                let e = parse($src).unwrap_err();
                assert_eq!(e.render($src), $want);
            }
        };
    }

    renders!(
        unclosed_bracket,
        "[ipv4-addr:value = '198.51.100.1'",
        "column 1: this '[' is never closed\n  [ipv4-addr:value = '198.51.100.1'\n  ^\n"
    );
    renders!(
        end_of_input,
        "[a:b = ",
        "column 8: expected a literal (string, number, boolean, h'…', b'…' or t'…'), found end of input\n  [a:b = \n         ^\n"
    );
    renders!(
        second_line_with_tab,
        "[a:b = 1]\n\tAND [a:c = 2] REPEATS 0 TIMES",
        "line 2, column 24: REPEATS needs a positive number, found 0\n  \tAND [a:c = 2] REPEATS 0 TIMES\n  \t                      ^\n"
    );
    renders!(
        wide_characters_count_once,
        "[a:b = 'café' AND a:c ~ 1]",
        "column 23: expected a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET), optionally after NOT, found '~'\n  [a:b = 'café' AND a:c ~ 1]\n                        ^\n"
    );
    renders!(
        control_character,
        "[a:b\u{1}= 1]",
        "column 5: expected a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET), optionally after NOT, found '\\u{1}'\n  [a:b\u{fffd}= 1]\n      ^\n"
    );

    #[test]
    fn long_lines_are_cut() {
        let src = format!("[a:b = '{}' x {}]", "y".repeat(200), "z".repeat(200));
        let e = parse(&src).unwrap_err();
        let r = e.render(&src);
        let lines: Vec<&str> = r.lines().collect();
        assert!(
            lines[0].starts_with("column 211: expected AND, OR or ']'"),
            "{r}"
        );
        assert!(
            lines[1].starts_with("  …") && lines[1].ends_with('…'),
            "{r}"
        );
        assert!(lines[1].chars().count() < 120, "{r}");
        let caret = lines[2].chars().position(|c| c == '^').unwrap();
        assert_eq!(lines[1].chars().nth(caret), Some('x'), "{r}");
    }

    #[test]
    fn messages_are_one_line() {
        let src = "[a:b = 1] 'x\ny'";
        let e = parse(src).unwrap_err();
        assert_eq!(
            e.to_string(),
            r"byte 10: expected AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern, found the string 'x\ny'"
        );
        assert_eq!(
            e.message(src),
            r"line 1, column 11: expected AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern, found the string 'x\ny'"
        );
        let e = crate::check("[a:t = t'2016-01-01\t00:00:00Z']").unwrap_err();
        assert_eq!(
            e,
            r"column 8: invalid timestamp t'2016-01-01\t00:00:00Z': expected YYYY-MM-DDTHH:MM:SS[.fraction]Z"
        );
    }

    #[test]
    fn display_gives_the_byte_offset() {
        let e = parse("[a:b = 1] x").unwrap_err();
        assert_eq!(
            e.to_string(),
            "byte 10: expected AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern, found 'x'"
        );
    }
}
