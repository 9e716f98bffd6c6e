//! The syntax tree of a STIX pattern: see [`Pattern`].

use std::fmt;
use std::ops::Range;

/// A byte range of the pattern text: `start..end`, with `start <= end`.
///
/// Spans are positions, not content, so every span equals every other one:
/// comparing two nodes compares what they say, not where they were written.
/// Compare [`Span::start`] and [`Span::end`] to compare positions.
#[derive(Clone, Copy, Default)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// The span `start..end`.
    ///
    /// # Panics
    ///
    /// If `start > end`.
    pub fn new(start: usize, end: usize) -> Span {
        assert!(start <= end, "span start {start} after end {end}");
        Span { start, end }
    }

    /// The span as a range, to slice the pattern text with.
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

impl PartialEq for Span {
    /// Always true: see the type's documentation.
    fn eq(&self, _: &Span) -> bool {
        true
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// A whole STIX pattern: one observation expression.
///
/// The tree mirrors the grammar's two levels:
///
/// ```text
/// Pattern
/// └── ObservationExpr          [..] AND/OR/FOLLOWEDBY [..], qualifiers
///     └── ComparisonExpr       inside one [...]: AND/OR of comparisons
///         └── Comparison       object path, optional NOT, a test
///             ├── ObjectPath   type:property.key[0][*]
///             └── Test         = 'x', IN (...), LIKE '...', EXISTS, ...
/// ```
///
/// Every node carries the [`Span`] of the text it was parsed from. Spans do not
/// take part in equality: two trees are equal when they denote the same pattern,
/// wherever they came from (which is also what a future index of comparisons
/// wants). Parentheses are not nodes: a parenthesised group is its content, with
/// the span widened over the parentheses.
///
/// Chains of one operator are n-ary nodes (`a AND b AND c` is one `And` of three
/// operands); a parenthesised group of the same operator stays a separate
/// operand (`(a AND b) AND c` is an `And` whose first operand is an `And`), so
/// the tree keeps the grouping the author wrote and the parser decides nothing
/// about associativity.
///
/// # Invariants of a parsed tree
///
/// [`parse`](crate::parse) only builds trees that satisfy these;
/// [`Display`](std::fmt::Display) prints a pattern that parses back to an equal
/// tree when they hold (a tree built by hand that breaks them may print text
/// that does not parse):
///
/// * `And`, `Or` and `FollowedBy` have at least two operands;
/// * `Qualified` has at least one qualifier and at most one of each kind;
/// * ordering tests (`<`, `<=`, `>`, `>=`) never compare with a boolean;
/// * an `IN` set holds values of one kind (numbers, strings, booleans, bytes or
///   timestamps);
/// * the operands of a comparison `And` share at least one object type;
/// * `WITHIN` is positive and finite, `REPEATS` at least 1, floats are finite;
/// * a `Binary` value is not empty (the grammar has no empty base64 literal);
/// * object types match `[A-Za-z_][A-Za-z0-9_-]*` and are not keywords;
/// * tests on a path through `hashes` pass the reference validator's hash
///   checks ([`ErrorKind::InvalidHash`](crate::ErrorKind::InvalidHash), `HashSet`,
///   `HashIndex`).
#[derive(Clone, Debug, PartialEq)]
pub struct Pattern {
    /// The top-level expression.
    pub observation: ObservationExpr,
}

/// An expression over observations.
#[derive(Clone, Debug, PartialEq)]
pub struct ObservationExpr {
    /// What it is.
    pub kind: ObservationKind,
    /// Where it was written, parentheses included.
    pub span: Span,
}

/// The kinds of [`ObservationExpr`].
#[derive(Clone, Debug, PartialEq)]
pub enum ObservationKind {
    /// `[ … ]`: one observation with an object that satisfies the comparisons.
    Simple(ComparisonExpr),
    /// `a AND b AND …`: each operand matched by a different observation.
    And(Vec<ObservationExpr>),
    /// `a OR b OR …`.
    Or(Vec<ObservationExpr>),
    /// `a FOLLOWEDBY b FOLLOWEDBY …`: each operand's observations after the
    /// previous operand's.
    FollowedBy(Vec<ObservationExpr>),
    /// `inner WITHIN … REPEATS … START … STOP …`: qualifiers applied, in order,
    /// to `inner`. `([a] WITHIN 5 SECONDS) WITHIN 6 SECONDS` is a `Qualified`
    /// whose `inner` is a `Qualified`; `[a] WITHIN 5 SECONDS REPEATS 2 TIMES` is
    /// one `Qualified` with two qualifiers.
    Qualified {
        /// The expression qualified.
        inner: Box<ObservationExpr>,
        /// The qualifiers, in the order written; at most one of each kind.
        qualifiers: Vec<Qualifier>,
    },
}

/// A qualifier of an observation expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Qualifier {
    /// What it is.
    pub kind: QualifierKind,
    /// Where it was written.
    pub span: Span,
}

/// The kinds of [`Qualifier`].
#[derive(Clone, Debug, PartialEq)]
pub enum QualifierKind {
    /// `WITHIN n SECONDS`; `seconds` is positive and finite (written as an
    /// integer or a decimal).
    Within {
        /// The window length in seconds.
        seconds: f64,
    },
    /// `REPEATS n TIMES`; `times` is at least 1.
    Repeats {
        /// How many times.
        times: u64,
    },
    /// `START t'…' STOP t'…'`.
    StartStop {
        /// Start of the window (inclusive).
        start: Timestamp,
        /// End of the window (exclusive).
        stop: Timestamp,
    },
}

impl QualifierKind {
    /// The qualifier's keyword: `WITHIN`, `REPEATS` or `START`.
    pub fn keyword(&self) -> &'static str {
        match self {
            QualifierKind::Within { .. } => "WITHIN",
            QualifierKind::Repeats { .. } => "REPEATS",
            QualifierKind::StartStop { .. } => "START",
        }
    }
}

/// An expression over the properties of one object, inside `[ … ]`.
#[derive(Clone, Debug, PartialEq)]
pub struct ComparisonExpr {
    /// What it is.
    pub kind: ComparisonKind,
    /// Where it was written, parentheses included.
    pub span: Span,
}

/// The kinds of [`ComparisonExpr`].
#[derive(Clone, Debug, PartialEq)]
pub enum ComparisonKind {
    /// One comparison.
    Test(Comparison),
    /// `a AND b AND …`: all hold for the same object.
    And(Vec<ComparisonExpr>),
    /// `a OR b OR …`.
    Or(Vec<ComparisonExpr>),
}

/// One comparison: `path [NOT] op value`, or `[NOT] EXISTS path`.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// The property tested.
    pub path: ObjectPath,
    /// Whether the test is negated with `NOT`.
    pub negated: bool,
    /// The test.
    pub test: Test,
    /// Where it was written.
    pub span: Span,
}

/// What a [`Comparison`] tests.
#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    /// `=`, `!=`, `<`, `<=`, `>`, `>=` with a literal (never a boolean for the
    /// ordering operators).
    Compare {
        /// The operator.
        op: CompareOp,
        /// The literal compared with.
        value: Literal,
    },
    /// `IN ( … )`: membership of a set of literals of one kind (may be empty).
    In(Vec<Literal>),
    /// `LIKE '…'`: SQL-style `%` and `_` wildcards.
    Like(Text),
    /// `MATCHES '…'`: a PCRE regular expression.
    Matches(Text),
    /// `ISSUBSET '…'`: the property's address is within the given CIDR block.
    IsSubset(Text),
    /// `ISSUPERSET '…'`: the property's CIDR block contains the given address.
    IsSuperset(Text),
    /// `EXISTS path`: the property is present.
    Exists,
}

/// The comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `=` (also written `==`).
    Eq,
    /// `!=` (also written `<>`).
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

impl CompareOp {
    /// The operator as printed.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

/// A path to a property: `type:property.key[0][*]`.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectPath {
    /// The object type, as written (`file`, `x-custom`, …).
    pub object_type: String,
    /// The first property name, unquoted (`hashes` for `hashes` and `'hashes'`).
    pub property: String,
    /// What follows the first property.
    pub steps: Vec<PathStep>,
    /// Where it was written.
    pub span: Span,
}

/// One step of an [`ObjectPath`] after the first property.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PathStep {
    /// `.key` or `.'quoted key'`, unquoted.
    Key(String),
    /// `[n]`: the n-th (0-based) element of a list.
    Index(u64),
    /// `[*]`: any element of a list.
    AnyIndex,
}

/// A literal with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Literal {
    /// The value.
    pub value: Value,
    /// Where it was written.
    pub span: Span,
}

/// A string literal with its span (the operand of `LIKE`, `MATCHES`,
/// `ISSUBSET` and `ISSUPERSET`).
#[derive(Clone, Debug, PartialEq)]
pub struct Text {
    /// The string, escapes resolved.
    pub value: String,
    /// Where it was written, quotes included.
    pub span: Span,
}

/// The value of a literal.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// An integer (`5`, `+5`, `-5`); the parser accepts the range of `i128`.
    Int(i128),
    /// A decimal number (`2.5`, `.5`, `-0.5`); finite.
    Float(f64),
    /// A string (`'it\'s'`), escapes resolved.
    Str(String),
    /// `true` or `false`.
    Bool(bool),
    /// Bytes written in hexadecimal (`h'4d5a'`).
    Hex(Vec<u8>),
    /// Bytes written in base64 (`b'TVo='`).
    Binary(Vec<u8>),
    /// A timestamp (`t'2024-01-01T00:00:00Z'`).
    Timestamp(Timestamp),
}

/// The kind of a [`Value`], as far as set homogeneity is concerned: integers
/// and floats are both numbers; hex and base64 literals are both bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueClass {
    /// `Int` or `Float`.
    Number,
    /// `Str`.
    String,
    /// `Bool`.
    Bool,
    /// `Hex` or `Binary`.
    Bytes,
    /// `Timestamp`.
    Timestamp,
}

impl ValueClass {
    /// A noun for messages.
    pub fn name(self) -> &'static str {
        match self {
            ValueClass::Number => "number",
            ValueClass::String => "string",
            ValueClass::Bool => "boolean",
            ValueClass::Bytes => "binary",
            ValueClass::Timestamp => "timestamp",
        }
    }
}

impl Value {
    /// The value's class.
    pub fn class(&self) -> ValueClass {
        match self {
            Value::Int(_) | Value::Float(_) => ValueClass::Number,
            Value::Str(_) => ValueClass::String,
            Value::Bool(_) => ValueClass::Bool,
            Value::Hex(_) | Value::Binary(_) => ValueClass::Bytes,
            Value::Timestamp(_) => ValueClass::Timestamp,
        }
    }
}

/// The text of a `t'…'` literal, checked: `YYYY-MM-DDTHH:MM:SS[.fraction]Z`
/// with a real calendar date.
///
/// The pattern grammar is a little wider than `stix::Timestamp`: it accepts
/// year 0000, a leap second (`:60`) and any number of fractional digits, and
/// the reference implementation accepts them, so this type does too (only an
/// impossible date such as 30 February is refused beyond the grammar). It keeps
/// the text as written; equality compares the text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Timestamp(String);

impl Timestamp {
    /// Checks `text` (without the `t'` and `'`).
    ///
    /// ```
    /// use pattern::Timestamp;
    /// assert!(Timestamp::new("2016-12-31T23:59:60.5Z").is_ok());
    /// assert_eq!(Timestamp::new("2024-02-30T00:00:00Z").unwrap_err(), "no such day in that month");
    /// ```
    pub fn new(text: &str) -> Result<Timestamp, &'static str> {
        check_timestamp(text.as_bytes())?;
        Ok(Timestamp(text.to_owned()))
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at + n)?;
    s.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn check_timestamp(b: &[u8]) -> Result<(), &'static str> {
    const SHAPE: &str = "expected YYYY-MM-DDTHH:MM:SS[.fraction]Z";
    let (Some(year), Some(month), Some(day), Some(hour), Some(min), Some(sec)) = (
        digits(b, 0, 4),
        digits(b, 5, 2),
        digits(b, 8, 2),
        digits(b, 11, 2),
        digits(b, 14, 2),
        digits(b, 17, 2),
    ) else {
        return Err(SHAPE);
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return Err(SHAPE);
    }
    if b[16] != b':' {
        return Err(SHAPE);
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return Err("empty fraction");
        }
    }
    if i + 1 != b.len() || b[i] != b'Z' {
        return Err("must end in Z (UTC), without an offset");
    }
    if !(1..=12).contains(&month) {
        return Err("month out of range");
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 31,
    };
    if day == 0 || day > days {
        return Err("no such day in that month");
    }
    if hour > 23 || min > 59 || sec > 60 {
        return Err("time of day out of range");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! accepts {
        ($name:ident, $s:expr) => {
            #[test]
            fn $name() {
                assert_eq!(Timestamp::new($s).unwrap().as_str(), $s);
            }
        };
    }
    macro_rules! rejects {
        ($name:ident, $s:expr, $reason:expr) => {
            #[test]
            fn $name() {
                assert_eq!(Timestamp::new($s).unwrap_err(), $reason);
            }
        };
    }

    accepts!(seconds, "2016-01-01T00:00:00Z");
    accepts!(nanos, "2016-01-01T00:00:00.123456789Z");
    accepts!(many_digits, "2016-01-01T00:00:00.1234567890123Z");
    accepts!(leap_second, "2016-12-31T23:59:60Z");
    accepts!(year_zero_is_leap, "0000-02-29T00:00:00Z");
    accepts!(leap_2000, "2000-02-29T00:00:00Z");
    accepts!(last, "9999-12-31T23:59:59.999Z");

    rejects!(feb_30, "2024-02-30T12:00:00Z", "no such day in that month");
    rejects!(
        feb_29_1900,
        "1900-02-29T00:00:00Z",
        "no such day in that month"
    );
    rejects!(apr_31, "2024-04-31T12:00:00Z", "no such day in that month");
    rejects!(day_0, "2024-01-00T12:00:00Z", "no such day in that month");
    rejects!(month_13, "2024-13-01T12:00:00Z", "month out of range");
    rejects!(hour_24, "2016-01-01T24:00:00Z", "time of day out of range");
    rejects!(sec_61, "2024-01-15T12:30:61Z", "time of day out of range");
    rejects!(min_60, "2024-01-15T12:60:00Z", "time of day out of range");
    rejects!(no_zone, "2024-01-15T12:30:45", SHAPE_MSG);
    rejects!(
        offset,
        "2016-01-01T00:00:00+00:00",
        "must end in Z (UTC), without an offset"
    );
    rejects!(
        lower_z,
        "2016-01-01T00:00:00z",
        "must end in Z (UTC), without an offset"
    );
    rejects!(lower_t, "2016-01-01t00:00:00Z", SHAPE_MSG);
    rejects!(space, "2016-01-01 00:00:00Z", SHAPE_MSG);
    rejects!(short_year, "16-01-01T00:00:00Z", SHAPE_MSG);
    rejects!(one_digit_month, "2016-1-01T00:00:00Z", SHAPE_MSG);
    rejects!(slashes, "2024/01/15T12:30:45Z", SHAPE_MSG);
    rejects!(no_seconds, "2010-05-21T13:21Z", SHAPE_MSG);
    rejects!(empty_fraction, "2016-01-01T00:00:00.Z", "empty fraction");
    rejects!(words, "not-a-timestamp", SHAPE_MSG);
    rejects!(empty, "", SHAPE_MSG);

    const SHAPE_MSG: &str = "expected YYYY-MM-DDTHH:MM:SS[.fraction]Z";
}
