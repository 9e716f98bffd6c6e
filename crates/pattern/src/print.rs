//! The canonical text of a syntax tree.
//!
//! One spelling per tree: single spaces around operators, `=` and `!=` (never
//! `==` or `<>`), no `+` on numbers, lower-case hex, padded base64, property
//! names quoted only when they must be (a hyphen, a keyword, a non-ASCII
//! character, …), no comments, and parentheses only where the tree needs them:
//! around an operand whose operator binds as loosely as, or more loosely than,
//! the one it sits in, and around a qualified expression that is not a bare
//! `[…]`. For a tree that satisfies the invariants listed on [`Pattern`],
//! `parse(&tree.to_string()) == Ok(tree)`.

use std::fmt::{self, Display, Formatter, Write as _};

use crate::ast::{
    Comparison, ComparisonExpr, ComparisonKind, Literal, ObjectPath, ObservationExpr,
    ObservationKind, PathStep, Pattern, Qualifier, QualifierKind, Test, Text, Timestamp, Value,
};
use crate::lexer::{encode_base64, is_plain_name};

impl Display for Pattern {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.observation.fmt(f)
    }
}

/// How tightly an observation expression binds: FOLLOWEDBY < OR < AND < the rest.
fn observation_binding(e: &ObservationExpr) -> u8 {
    match e.kind {
        ObservationKind::FollowedBy(_) => 1,
        ObservationKind::Or(_) => 2,
        ObservationKind::And(_) => 3,
        ObservationKind::Simple(_) | ObservationKind::Qualified { .. } => 4,
    }
}

fn comparison_binding(e: &ComparisonExpr) -> u8 {
    match e.kind {
        ComparisonKind::Or(_) => 1,
        ComparisonKind::And(_) => 2,
        ComparisonKind::Test(_) => 3,
    }
}

/// Writes `operands` joined by `op`, parenthesising those that bind no
/// tighter than the chain itself.
fn chain<T: Display>(
    f: &mut Formatter<'_>,
    operands: &[T],
    op: &str,
    binding: u8,
    binding_of: fn(&T) -> u8,
) -> fmt::Result {
    for (i, e) in operands.iter().enumerate() {
        if i > 0 {
            write!(f, " {op} ")?;
        }
        if binding_of(e) <= binding {
            write!(f, "({e})")?;
        } else {
            write!(f, "{e}")?;
        }
    }
    Ok(())
}

impl Display for ObservationExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let b = observation_binding;
        match &self.kind {
            ObservationKind::Simple(c) => write!(f, "[{c}]"),
            ObservationKind::And(ops) => chain(f, ops, "AND", 3, b),
            ObservationKind::Or(ops) => chain(f, ops, "OR", 2, b),
            ObservationKind::FollowedBy(ops) => chain(f, ops, "FOLLOWEDBY", 1, b),
            ObservationKind::Qualified { inner, qualifiers } => {
                if matches!(inner.kind, ObservationKind::Simple(_)) {
                    write!(f, "{inner}")?;
                } else {
                    write!(f, "({inner})")?;
                }
                for q in qualifiers {
                    write!(f, " {q}")?;
                }
                Ok(())
            }
        }
    }
}

impl Display for Qualifier {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.kind {
            // f64's Display is the shortest text that reads back as the same
            // number, never in exponent form: `5`, `0.5`, `0.0000001`.
            QualifierKind::Within { seconds } => write!(f, "WITHIN {seconds} SECONDS"),
            QualifierKind::Repeats { times } => write!(f, "REPEATS {times} TIMES"),
            QualifierKind::StartStop { start, stop } => write!(f, "START {start} STOP {stop}"),
        }
    }
}

impl Display for ComparisonExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let b = comparison_binding;
        match &self.kind {
            ComparisonKind::Test(c) => c.fmt(f),
            ComparisonKind::And(ops) => chain(f, ops, "AND", 2, b),
            ComparisonKind::Or(ops) => chain(f, ops, "OR", 1, b),
        }
    }
}

impl Display for Comparison {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let not = if self.negated { "NOT " } else { "" };
        if let Test::Exists = self.test {
            return write!(f, "{not}EXISTS {}", self.path);
        }
        write!(f, "{} {not}", self.path)?;
        match &self.test {
            Test::Compare { op, value } => write!(f, "{} {value}", op.as_str()),
            Test::In(items) => {
                f.write_str("IN (")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str(")")
            }
            Test::Like(t) => write!(f, "LIKE {t}"),
            Test::Matches(t) => write!(f, "MATCHES {t}"),
            Test::IsSubset(t) => write!(f, "ISSUBSET {t}"),
            Test::IsSuperset(t) => write!(f, "ISSUPERSET {t}"),
            Test::Exists => unreachable!("handled above"),
        }
    }
}

/// A property name, quoted when it is not a plain word.
fn name(f: &mut Formatter<'_>, s: &str) -> fmt::Result {
    if is_plain_name(s) {
        f.write_str(s)
    } else {
        string(f, s)
    }
}

/// `'…'` with `\` and `'` escaped.
fn string(f: &mut Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('\'')?;
    for c in s.chars() {
        if c == '\'' || c == '\\' {
            f.write_char('\\')?;
        }
        f.write_char(c)?;
    }
    f.write_char('\'')
}

impl Display for ObjectPath {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.object_type)?;
        name(f, &self.property)?;
        for step in &self.steps {
            match step {
                PathStep::Key(k) => {
                    f.write_char('.')?;
                    name(f, k)?;
                }
                PathStep::Index(i) => write!(f, "[{i}]")?,
                PathStep::AnyIndex => f.write_str("[*]")?,
            }
        }
        Ok(())
    }
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl Display for Text {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        string(f, &self.value)
    }
}

impl Display for Value {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => {
                // Shortest round-trip text; the grammar wants a '.' in a float.
                let text = x.to_string();
                f.write_str(&text)?;
                if !text.contains('.') {
                    f.write_str(".0")?;
                }
                Ok(())
            }
            Value::Str(s) => string(f, s),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Hex(bytes) => {
                f.write_str("h'")?;
                for b in bytes {
                    write!(f, "{b:02x}")?;
                }
                f.write_char('\'')
            }
            Value::Binary(bytes) => write!(f, "b'{}'", encode_base64(bytes)),
            Value::Timestamp(t) => t.fmt(f),
        }
    }
}

impl Display for Timestamp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "t'{}'", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use crate::parse;

    /// `$src` parses and prints as `$canonical`, which parses to the same tree.
    macro_rules! prints {
        ($name:ident, $src:expr, $canonical:expr) => {
            #[test]
            fn $name() {
                let tree = parse($src).unwrap();
                assert_eq!(tree.to_string(), $canonical);
                assert_eq!(parse($canonical).unwrap(), tree);
            }
        };
    }

    prints!(plain, "[a:b = 1]", "[a:b = 1]");
    prints!(
        spacing,
        "[ a : b==1 ]AND[a:c<>'x']",
        "[a:b = 1] AND [a:c != 'x']"
    );
    prints!(comments_dropped, "[a:b /* x */ = 1] // y", "[a:b = 1]");
    prints!(
        redundant_parens_dropped,
        "((([a:b=1])) AND ([a:c=2]))",
        "[a:b = 1] AND [a:c = 2]"
    );
    prints!(
        grouping_kept,
        "([a:b=1] AND [a:c=2]) AND [a:d=3]",
        "([a:b = 1] AND [a:c = 2]) AND [a:d = 3]"
    );
    prints!(
        right_group_kept,
        "[a:b=1] OR ([a:c=2] OR [a:d=3])",
        "[a:b = 1] OR ([a:c = 2] OR [a:d = 3])"
    );
    prints!(
        precedence_needs_no_parens,
        "[a:b=1] AND [a:c=2] OR [a:d=3] FOLLOWEDBY [a:e=4]",
        "[a:b = 1] AND [a:c = 2] OR [a:d = 3] FOLLOWEDBY [a:e = 4]"
    );
    prints!(
        precedence_needs_parens,
        "[a:b=1] AND ([a:c=2] OR [a:d=3])",
        "[a:b = 1] AND ([a:c = 2] OR [a:d = 3])"
    );
    prints!(
        qualifier_on_group,
        "([a:b=1] FOLLOWEDBY [a:c=2]) WITHIN +5 SECONDS",
        "([a:b = 1] FOLLOWEDBY [a:c = 2]) WITHIN 5 SECONDS"
    );
    prints!(
        qualifier_on_bracket_in_parens,
        "(([a:b=1])) REPEATS 2 TIMES",
        "[a:b = 1] REPEATS 2 TIMES"
    );
    prints!(
        nested_qualifiers,
        "([a:b=1] WITHIN 5 SECONDS) WITHIN 6.50 SECONDS",
        "([a:b = 1] WITHIN 5 SECONDS) WITHIN 6.5 SECONDS"
    );
    prints!(
        all_qualifiers,
        "[a:b=1] REPEATS 2 TIMES WITHIN .5 SECONDS START t'2016-01-01T00:00:00Z' STOP t'2016-01-01T00:00:00.1Z'",
        "[a:b = 1] REPEATS 2 TIMES WITHIN 0.5 SECONDS START t'2016-01-01T00:00:00Z' STOP t'2016-01-01T00:00:00.1Z'"
    );
    prints!(
        comparison_parens,
        "[(a:b=1 OR a:c=2) AND a:d=3 OR a:e=4]",
        "[(a:b = 1 OR a:c = 2) AND a:d = 3 OR a:e = 4]"
    );
    prints!(
        quoted_keys,
        r"[file:'name'.'SHA-256' = 'x' AND file:x.'IN'.'it\'s'.'a\\b'.'' = 1]",
        r"[file:name.'SHA-256' = 'x' AND file:x.'IN'.'it\'s'.'a\\b'.'' = 1]"
    );
    prints!(indexes, "[a:b[+0][ * ].c = 1]", "[a:b[0][*].c = 1]");
    prints!(
        literals,
        r"[a:b IN (h'4D5A', b'AR==') AND a:c = 'it\'s' AND a:d != +5 AND a:e > -.5 AND a:f = true]",
        r"[a:b IN (h'4d5a', b'AQ==') AND a:c = 'it\'s' AND a:d != 5 AND a:e > -0.5 AND a:f = true]"
    );
    prints!(
        float_keeps_point,
        "[a:b = 5.0 AND a:c = -0.0]",
        "[a:b = 5.0 AND a:c = -0.0]"
    );
    prints!(
        base64_line_feeds_dropped,
        "[artifact:payload_bin = b'AQ\nID']",
        "[artifact:payload_bin = b'AQID']"
    );
    prints!(
        not_and_exists,
        "[a:b NOT LIKE 'x%' AND NOT EXISTS a:c AND EXISTS a:d AND a:e NOT IN ()]",
        "[a:b NOT LIKE 'x%' AND NOT EXISTS a:c AND EXISTS a:d AND a:e NOT IN ()]"
    );
    prints!(
        string_tests,
        "[a:b MATCHES '^x$' OR a:b ISSUBSET '10.0.0.0/8' OR a:b NOT ISSUPERSET '::1']",
        "[a:b MATCHES '^x$' OR a:b ISSUBSET '10.0.0.0/8' OR a:b NOT ISSUPERSET '::1']"
    );
    prints!(raw_line_break_in_string, "[a:b = 'x\ny']", "[a:b = 'x\ny']");
    prints!(
        leap_second_kept,
        "[a:t > t'2016-12-31T23:59:60.000Z']",
        "[a:t > t'2016-12-31T23:59:60.000Z']"
    );
}
