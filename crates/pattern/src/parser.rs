//! Tokens to a [`Pattern`], by recursive descent.
//!
//! One function per level of the grammar, loosest first:
//!
//! ```text
//! pattern      = followedby EOF
//! followedby   = or ("FOLLOWEDBY" or)*
//! or           = and ("OR" and)*
//! and          = observation ("AND" observation)*
//! observation  = ("[" cmp_or "]" | "(" followedby ")") qualifier*
//! qualifier    = "WITHIN" number "SECONDS" | "REPEATS" int "TIMES"
//!              | "START" timestamp "STOP" timestamp
//! cmp_or       = cmp_and ("OR" cmp_and)*
//! cmp_and      = test ("AND" test)*
//! test         = "(" cmp_or ")" | "NOT"? "EXISTS" path
//!              | path "NOT"? (op literal | "IN" set | ("LIKE" | "MATCHES"
//!                | "ISSUBSET" | "ISSUPERSET") string)
//! path         = type ":" (name | string) ("." (name | string) | "[" (int | "*") "]")*
//! ```
//!
//! One token of lookahead is enough everywhere. The rules beyond the grammar
//! (see `rules.rs`) are applied as soon as the node they concern is complete,
//! so the first error in reading order is the one reported.
//!
//! Nesting is limited to [`MAX_DEPTH`] levels of brackets and parentheses: the
//! parser, the printer and `Drop` recurse once per level, and a partner's
//! pattern must not be able to overflow the stack.

use crate::ast::{
    CompareOp, Comparison, ComparisonExpr, ComparisonKind, Literal, ObjectPath, ObservationExpr,
    ObservationKind, PathStep, Pattern, Qualifier, QualifierKind, Span, Test, Text, Value,
};
use crate::error::{ErrorKind, ParseError};
use crate::lexer::{KEYWORDS, Keyword, Lexer, Tok, Token};
use crate::rules;

/// How deep brackets and parentheses may nest.
pub const MAX_DEPTH: usize = 100;

const EXPECT_OPERATOR: &str = "a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET), optionally after NOT";
const EXPECT_LITERAL: &str = "a literal (string, number, boolean, h'…', b'…' or t'…')";
const EXPECT_ORDERED: &str =
    "a string, number, h'…', b'…' or t'…' literal (booleans have no order)";
const EXPECT_STRING: &str = "a string literal in single quotes";
const EXPECT_NAME: &str = "a property name or a quoted key ('…')";

pub(crate) fn parse(src: &str) -> Result<Pattern, ParseError> {
    let mut p = Parser {
        src,
        lexer: Lexer::new(src),
        peeked: None,
        depth: 0,
    };
    let observation = p.followedby()?;
    let tok = p.next()?;
    if tok.kind != Tok::Eof {
        return Err(ParseError::new(
            tok.span,
            ErrorKind::Trailing {
                found: p.describe(&tok),
            },
        ));
    }
    rules::comment_first(src)?;
    Ok(Pattern { observation })
}

struct Parser<'a> {
    src: &'a str,
    lexer: Lexer<'a>,
    peeked: Option<Token>,
    depth: usize,
}

/// A comparison expression and the object types it can match.
type Typed = (ComparisonExpr, Vec<String>);

impl<'a> Parser<'a> {
    fn next(&mut self) -> Result<Token, ParseError> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lexer.next_token(),
        }
    }

    fn peek(&mut self) -> Result<&Tok, ParseError> {
        if self.peeked.is_none() {
            self.peeked = Some(self.lexer.next_token()?);
        }
        Ok(&self.peeked.as_ref().expect("just filled").kind)
    }

    /// Consumes the next token if it is the keyword `k`.
    fn eat(&mut self, k: Keyword) -> Result<bool, ParseError> {
        if *self.peek()? == Tok::Kw(k) {
            self.peeked = None;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn text(&self, span: Span) -> &'a str {
        &self.src[span.range()]
    }

    /// How an error message shows a token.
    fn describe(&self, tok: &Token) -> String {
        let text = self.text(tok.span);
        let short = |t: &str| {
            if t.chars().count() > 40 {
                format!("{}…", t.chars().take(40).collect::<String>())
            } else {
                t.to_owned()
            }
        };
        match &tok.kind {
            Tok::Eof => "end of input".to_owned(),
            Tok::Str(_) => format!("the string {}", short(text)),
            Tok::Int | Tok::Float => format!("the number {text}"),
            Tok::Hex(_) | Tok::Binary(_) | Tok::Timestamp(_) => {
                format!("the literal {}", short(text))
            }
            Tok::Other(c) => format!("'{}'", c.escape_debug()),
            Tok::Ident { .. } => {
                let upper = text.to_ascii_uppercase();
                let lower = text.to_ascii_lowercase();
                let hint = match KEYWORDS.iter().find(|(k, _)| *k == upper || *k == lower) {
                    Some((k, _)) if *k == "true" || *k == "false" => {
                        format!(" (booleans are written {k})")
                    }
                    Some((k, _)) => format!(" (keywords are upper-case: {k})"),
                    None if lower == "null" => " (patterns have no null)".to_owned(),
                    None => String::new(),
                };
                format!("'{}'{hint}", short(text))
            }
            _ => format!("'{text}'"),
        }
    }

    fn unexpected<T>(&self, expected: &'static str, tok: &Token) -> Result<T, ParseError> {
        Err(ParseError::new(
            tok.span,
            ErrorKind::Unexpected {
                expected,
                found: self.describe(tok),
            },
        ))
    }

    /// Consumes the closing `close` of `open` (at `open_span`); end of input
    /// there is an `Unclosed` error pointing at `open`.
    fn close(
        &mut self,
        close: Tok,
        open: &'static str,
        open_span: Span,
        expected: &'static str,
    ) -> Result<Span, ParseError> {
        let tok = self.next()?;
        if tok.kind == close {
            Ok(tok.span)
        } else if tok.kind == Tok::Eof {
            Err(ParseError::new(
                open_span,
                ErrorKind::Unclosed { delimiter: open },
            ))
        } else {
            self.unexpected(expected, &tok)
        }
    }

    /// Runs `f` one nesting level deeper.
    fn nested<T>(
        &mut self,
        at: Span,
        f: impl FnOnce(&mut Self) -> Result<T, ParseError>,
    ) -> Result<T, ParseError> {
        if self.depth >= MAX_DEPTH {
            return Err(ParseError::new(at, ErrorKind::TooDeep { limit: MAX_DEPTH }));
        }
        self.depth += 1;
        let out = f(self);
        self.depth -= 1;
        out
    }

    // Observation expressions.

    fn followedby(&mut self) -> Result<ObservationExpr, ParseError> {
        self.observation_chain(Keyword::FollowedBy, Self::or, ObservationKind::FollowedBy)
    }

    fn or(&mut self) -> Result<ObservationExpr, ParseError> {
        self.observation_chain(Keyword::Or, Self::and, ObservationKind::Or)
    }

    fn and(&mut self) -> Result<ObservationExpr, ParseError> {
        self.observation_chain(Keyword::And, Self::observation, ObservationKind::And)
    }

    /// `operand (k operand)*`, one n-ary node when there are several.
    fn observation_chain(
        &mut self,
        k: Keyword,
        operand: fn(&mut Self) -> Result<ObservationExpr, ParseError>,
        node: fn(Vec<ObservationExpr>) -> ObservationKind,
    ) -> Result<ObservationExpr, ParseError> {
        let first = operand(self)?;
        if *self.peek()? != Tok::Kw(k) {
            return Ok(first);
        }
        let mut operands = vec![first];
        while self.eat(k)? {
            operands.push(operand(self)?);
        }
        let span = operands[0].span.to(operands[operands.len() - 1].span);
        Ok(ObservationExpr {
            kind: node(operands),
            span,
        })
    }

    /// `[…]` or `(…)`, then any qualifiers.
    fn observation(&mut self) -> Result<ObservationExpr, ParseError> {
        let open = self.next()?;
        let mut expr = match open.kind {
            Tok::LBrack => {
                let (cmp, _) = self.nested(open.span, Self::cmp_or)?;
                let end = self.close(Tok::RBrack, "'['", open.span, "AND, OR or ']'")?;
                ObservationExpr {
                    kind: ObservationKind::Simple(cmp),
                    span: open.span.to(end),
                }
            }
            Tok::LParen => {
                let mut inner = self.nested(open.span, Self::followedby)?;
                let end = self.close(
                    Tok::RParen,
                    "'('",
                    open.span,
                    "AND, OR, FOLLOWEDBY, a qualifier or ')'",
                )?;
                inner.span = open.span.to(end);
                inner
            }
            _ => return self.unexpected("'[' or '('", &open),
        };
        let mut qualifiers: Vec<Qualifier> = Vec::new();
        while let Some(q) = self.qualifier()? {
            let kind = std::mem::discriminant(&q.kind);
            if let Some(first) = qualifiers
                .iter()
                .find(|f| std::mem::discriminant(&f.kind) == kind)
            {
                return Err(ParseError::new(
                    q.span,
                    ErrorKind::DuplicateQualifier {
                        qualifier: q.kind.keyword(),
                        first: first.span,
                    },
                ));
            }
            qualifiers.push(q);
        }
        if let Some(last) = qualifiers.last() {
            let span = expr.span.to(last.span);
            expr = ObservationExpr {
                kind: ObservationKind::Qualified {
                    inner: Box::new(expr),
                    qualifiers,
                },
                span,
            };
        }
        Ok(expr)
    }

    fn qualifier(&mut self) -> Result<Option<Qualifier>, ParseError> {
        let k = match self.peek()? {
            Tok::Kw(k @ (Keyword::Within | Keyword::Repeats | Keyword::Start)) => *k,
            _ => return Ok(None),
        };
        let start = self.next()?.span;
        let (kind, end) = match k {
            Keyword::Within => {
                let tok = self.next()?;
                let text = self.text(tok.span);
                if !matches!(tok.kind, Tok::Int | Tok::Float) {
                    return self.unexpected("a positive number of seconds", &tok);
                }
                let seconds: f64 = text.parse().expect("the lexer checked the digits");
                let zero = !text.bytes().any(|b| matches!(b, b'1'..=b'9'));
                if text.starts_with('-') || zero {
                    return Err(not_positive("WITHIN", tok.span, text));
                }
                if !seconds.is_finite() || seconds == 0.0 {
                    // Too large for f64, or so small that it rounds to 0.
                    return Err(out_of_range(tok.span, text));
                }
                let end = self.keyword(Keyword::Seconds, "SECONDS")?;
                (QualifierKind::Within { seconds }, end)
            }
            Keyword::Repeats => {
                let tok = self.next()?;
                let text = self.text(tok.span);
                if tok.kind != Tok::Int {
                    return self.unexpected("a positive integer", &tok);
                }
                if text.starts_with('-') {
                    return Err(not_positive("REPEATS", tok.span, text));
                }
                let times: u64 = text.parse().map_err(|_| out_of_range(tok.span, text))?;
                if times == 0 {
                    return Err(not_positive("REPEATS", tok.span, text));
                }
                let end = self.keyword(Keyword::Times, "TIMES")?;
                (QualifierKind::Repeats { times }, end)
            }
            _ => {
                let start = self.timestamp()?.0;
                self.keyword(Keyword::Stop, "STOP")?;
                let (stop, end) = self.timestamp()?;
                (QualifierKind::StartStop { start, stop }, end)
            }
        };
        Ok(Some(Qualifier {
            kind,
            span: start.to(end),
        }))
    }

    fn keyword(&mut self, k: Keyword, name: &'static str) -> Result<Span, ParseError> {
        let tok = self.next()?;
        if tok.kind == Tok::Kw(k) {
            Ok(tok.span)
        } else {
            self.unexpected(name, &tok)
        }
    }

    fn timestamp(&mut self) -> Result<(crate::Timestamp, Span), ParseError> {
        let tok = self.next()?;
        match tok.kind {
            Tok::Timestamp(t) => Ok((t, tok.span)),
            _ => self.unexpected("a timestamp t'…'", &tok),
        }
    }

    // Comparison expressions.

    fn cmp_or(&mut self) -> Result<Typed, ParseError> {
        let (first, mut types) = self.cmp_and()?;
        if *self.peek()? != Tok::Kw(Keyword::Or) {
            return Ok((first, types));
        }
        let mut operands = vec![first];
        while self.eat(Keyword::Or)? {
            let (e, t) = self.cmp_and()?;
            types = rules::either_types(types, t);
            operands.push(e);
        }
        Ok((cmp_node(ComparisonKind::Or, operands), types))
    }

    fn cmp_and(&mut self) -> Result<Typed, ParseError> {
        let (first, mut types) = self.test()?;
        if *self.peek()? != Tok::Kw(Keyword::And) {
            return Ok((first, types));
        }
        let mut operands = vec![first];
        while self.eat(Keyword::And)? {
            let (e, t) = self.test()?;
            let shared = rules::shared_types(&types, &t);
            if shared.is_empty() {
                return Err(ParseError::new(
                    e.span,
                    ErrorKind::DifferentTypes {
                        left: types,
                        right: t,
                    },
                ));
            }
            types = shared;
            operands.push(e);
        }
        Ok((cmp_node(ComparisonKind::And, operands), types))
    }

    fn test(&mut self) -> Result<Typed, ParseError> {
        let start = match self.peek()? {
            Tok::LParen => {
                let open = self.next()?.span;
                let (mut e, types) = self.nested(open, Self::cmp_or)?;
                let end = self.close(Tok::RParen, "'('", open, "AND, OR or ')'")?;
                e.span = open.to(end);
                return Ok((e, types));
            }
            Tok::Kw(Keyword::Not | Keyword::Exists) | Tok::Ident { .. } => self.next()?,
            _ => {
                let tok = self.next()?;
                return self.unexpected("an object path, EXISTS, NOT EXISTS or '('", &tok);
            }
        };
        let (path, negated, test, end) = match start.kind {
            Tok::Kw(k @ (Keyword::Not | Keyword::Exists)) => {
                if k == Keyword::Not {
                    let tok = self.next()?;
                    if tok.kind != Tok::Kw(Keyword::Exists) {
                        return self.unexpected(
                            "EXISTS (NOT before another test goes after the path: a:b NOT = 1)",
                            &tok,
                        );
                    }
                }
                let path = self.path(None)?;
                let end = path.span;
                (path, k == Keyword::Not, Test::Exists, end)
            }
            _ => {
                let path = self.path(Some(start.clone()))?;
                let negated = self.eat(Keyword::Not)?;
                let (test, end) = self.operation()?;
                rules::hash_rule(&path, &test, self.src, end)?;
                (path, negated, test, end)
            }
        };
        let span = start.span.to(end);
        let types = vec![path.object_type.clone()];
        let cmp = Comparison {
            path,
            negated,
            test,
            span,
        };
        Ok((
            ComparisonExpr {
                kind: ComparisonKind::Test(cmp),
                span,
            },
            types,
        ))
    }

    /// An object path; `first` is its object type when already read.
    fn path(&mut self, first: Option<Token>) -> Result<ObjectPath, ParseError> {
        let ty = match first {
            Some(t) => t,
            None => self.next()?,
        };
        if !matches!(ty.kind, Tok::Ident { .. }) {
            return self.unexpected("an object path (type:property)", &ty);
        }
        let colon = self.next()?;
        if colon.kind != Tok::Colon {
            return self.unexpected("':' after the object type", &colon);
        }
        let first = self.next()?;
        let mut end = first.span;
        let property = self.name(first)?;
        let mut steps = Vec::new();
        loop {
            match self.peek()? {
                Tok::Dot => {
                    self.next()?;
                    let tok = self.next()?;
                    end = tok.span;
                    steps.push(PathStep::Key(self.name(tok)?));
                }
                Tok::LBrack => {
                    let open = self.next()?.span;
                    let tok = self.next()?;
                    let text = self.text(tok.span);
                    let step = match tok.kind {
                        Tok::Star => PathStep::AnyIndex,
                        Tok::Int if text.starts_with('-') => {
                            return Err(ParseError::new(
                                tok.span,
                                ErrorKind::NegativeIndex {
                                    text: text.to_owned(),
                                },
                            ));
                        }
                        Tok::Int => {
                            PathStep::Index(text.parse().map_err(|_| out_of_range(tok.span, text))?)
                        }
                        Tok::Eof => {
                            return Err(ParseError::new(
                                open,
                                ErrorKind::Unclosed { delimiter: "'['" },
                            ));
                        }
                        _ => return self.unexpected("a list index (0, 1, … or *)", &tok),
                    };
                    end = self.close(Tok::RBrack, "'['", open, "']'")?;
                    steps.push(step);
                }
                _ => break,
            }
        }
        Ok(ObjectPath {
            object_type: self.text(ty.span).to_owned(),
            property,
            steps,
            span: ty.span.to(end),
        })
    }

    /// A property name: a word without hyphens that is not a keyword, or a
    /// string.
    fn name(&self, tok: Token) -> Result<String, ParseError> {
        match tok.kind {
            Tok::Ident { hyphen: false } => Ok(self.text(tok.span).to_owned()),
            Tok::Ident { hyphen: true } => Err(ParseError::new(
                tok.span,
                ErrorKind::UnquotedHyphen {
                    name: self.text(tok.span).to_owned(),
                },
            )),
            Tok::Str(s) => Ok(s),
            _ => self.unexpected(EXPECT_NAME, &tok),
        }
    }

    /// The operator and operand after a path (and `NOT`); the span is where the
    /// test ends.
    fn operation(&mut self) -> Result<(Test, Span), ParseError> {
        let tok = self.next()?;
        match tok.kind {
            Tok::Op(op) => {
                let ordered = !matches!(op, CompareOp::Eq | CompareOp::Ne);
                let value = self.literal(if ordered {
                    EXPECT_ORDERED
                } else {
                    EXPECT_LITERAL
                })?;
                if ordered && matches!(value.value, Value::Bool(_)) {
                    return Err(ParseError::new(
                        value.span,
                        ErrorKind::Unexpected {
                            expected: EXPECT_ORDERED,
                            found: format!("'{}'", self.text(value.span)),
                        },
                    ));
                }
                let end = value.span;
                Ok((Test::Compare { op, value }, end))
            }
            Tok::Kw(Keyword::In) => self.set(),
            Tok::Kw(
                k @ (Keyword::Like | Keyword::Matches | Keyword::IsSubset | Keyword::IsSuperset),
            ) => {
                let s = self.next()?;
                let Tok::Str(value) = s.kind else {
                    return self.unexpected(EXPECT_STRING, &s);
                };
                let text = Text {
                    value,
                    span: s.span,
                };
                let test = match k {
                    Keyword::Like => Test::Like(text),
                    Keyword::Matches => Test::Matches(text),
                    Keyword::IsSubset => Test::IsSubset(text),
                    _ => Test::IsSuperset(text),
                };
                Ok((test, s.span))
            }
            _ => self.unexpected(EXPECT_OPERATOR, &tok),
        }
    }

    /// `( literal, … )` of one kind, possibly empty; the span is the whole set.
    fn set(&mut self) -> Result<(Test, Span), ParseError> {
        let open = self.next()?;
        if open.kind != Tok::LParen {
            return self.unexpected("'(' starting a set, such as ('a', 'b')", &open);
        }
        let mut items: Vec<Literal> = Vec::new();
        if *self.peek()? == Tok::RParen {
            let end = self.next()?.span;
            return Ok((Test::In(items), open.span.to(end)));
        }
        loop {
            let item = self.literal(EXPECT_LITERAL)?;
            if let Some(first) = items.first()
                && !rules::same_class(&first.value, &item.value)
            {
                return Err(ParseError::new(
                    item.span,
                    ErrorKind::MixedSet {
                        first: first.value.class(),
                        other: item.value.class(),
                    },
                ));
            }
            items.push(item);
            let tok = self.next()?;
            match tok.kind {
                Tok::Comma => {}
                Tok::RParen => return Ok((Test::In(items), open.span.to(tok.span))),
                Tok::Eof => {
                    return Err(ParseError::new(
                        open.span,
                        ErrorKind::Unclosed { delimiter: "'('" },
                    ));
                }
                _ => return self.unexpected("',' or ')'", &tok),
            }
        }
    }

    fn literal(&mut self, expected: &'static str) -> Result<Literal, ParseError> {
        let tok = self.next()?;
        let text = self.text(tok.span);
        let value = match tok.kind {
            Tok::Int => Value::Int(text.parse().map_err(|_| out_of_range(tok.span, text))?),
            Tok::Float => {
                let f: f64 = text.parse().expect("the lexer checked the digits");
                if !f.is_finite() {
                    return Err(out_of_range(tok.span, text));
                }
                Value::Float(f)
            }
            Tok::Str(s) => Value::Str(s),
            Tok::Kw(Keyword::True) => Value::Bool(true),
            Tok::Kw(Keyword::False) => Value::Bool(false),
            Tok::Hex(b) => Value::Hex(b),
            Tok::Binary(b) => Value::Binary(b),
            Tok::Timestamp(t) => Value::Timestamp(t),
            _ => return self.unexpected(expected, &tok),
        };
        Ok(Literal {
            value,
            span: tok.span,
        })
    }
}

fn cmp_node(
    kind: fn(Vec<ComparisonExpr>) -> ComparisonKind,
    operands: Vec<ComparisonExpr>,
) -> ComparisonExpr {
    let span = operands[0].span.to(operands[operands.len() - 1].span);
    ComparisonExpr {
        kind: kind(operands),
        span,
    }
}

fn out_of_range(span: Span, text: &str) -> ParseError {
    ParseError::new(
        span,
        ErrorKind::OutOfRange {
            text: text.to_owned(),
        },
    )
}

fn not_positive(qualifier: &'static str, span: Span, text: &str) -> ParseError {
    ParseError::new(
        span,
        ErrorKind::NotPositive {
            qualifier,
            text: text.to_owned(),
        },
    )
}

#[cfg(test)]
mod tests {
    use crate::ast::*;
    use crate::error::ErrorKind;
    use crate::parse;

    macro_rules! accepts {
        ($name:ident, $src:expr) => {
            #[test]
            fn $name() {
                if let Err(e) = parse($src) {
                    panic!("{}", e.render($src));
                }
            }
        };
    }
    /// `$src` is refused with `$kind`, and the error's span starts at `$at`.
    macro_rules! rejects {
        ($name:ident, $src:expr, $kind:pat, $at:expr) => {
            #[test]
            fn $name() {
                let e = parse($src).unwrap_err();
                assert!(matches!(e.kind, $kind), "{}", e.render($src));
                assert_eq!(e.span.start, $at, "{}", e.render($src));
            }
        };
    }

    fn first_comparison(src: &str) -> Comparison {
        let p = parse(src).unwrap();
        let ObservationKind::Simple(c) = p.observation.kind else {
            panic!("not a simple observation")
        };
        let ComparisonKind::Test(c) = c.kind else {
            panic!("not a single comparison")
        };
        c
    }

    #[test]
    fn path_steps() {
        let src = "[file:extensions.'windows-pebinary-ext'.sections[*].name[2] = 'x']";
        let c = first_comparison(src);
        assert_eq!(c.path.object_type, "file");
        assert_eq!(c.path.property, "extensions");
        assert_eq!(
            c.path.steps,
            vec![
                PathStep::Key("windows-pebinary-ext".into()),
                PathStep::Key("sections".into()),
                PathStep::AnyIndex,
                PathStep::Key("name".into()),
                PathStep::Index(2),
            ]
        );
        assert_eq!(
            &src[c.path.span.range()],
            "file:extensions.'windows-pebinary-ext'.sections[*].name[2]"
        );
    }

    #[test]
    fn spans_cover_their_text() {
        let src = "( [a:b = 'x'] AND [a:c IN (1, 2.5)] ) WITHIN 5 SECONDS";
        let p = parse(src).unwrap();
        assert_eq!(p.observation.span.range(), 0..src.len());
        let ObservationKind::Qualified { inner, qualifiers } = &p.observation.kind else {
            panic!()
        };
        assert_eq!(
            &src[inner.span.range()],
            "( [a:b = 'x'] AND [a:c IN (1, 2.5)] )"
        );
        assert_eq!(&src[qualifiers[0].span.range()], "WITHIN 5 SECONDS");
        let ObservationKind::And(ops) = &inner.kind else {
            panic!()
        };
        assert_eq!(&src[ops[1].span.range()], "[a:c IN (1, 2.5)]");
        let ObservationKind::Simple(c) = &ops[1].kind else {
            panic!()
        };
        assert_eq!(&src[c.span.range()], "a:c IN (1, 2.5)");
        let ComparisonKind::Test(t) = &c.kind else {
            panic!()
        };
        let Test::In(items) = &t.test else { panic!() };
        assert_eq!(&src[items[1].span.range()], "2.5");
        assert_eq!(items[1].value, Value::Float(2.5));
    }

    #[test]
    fn chains_are_n_ary_and_groups_stay() {
        let p = parse("[a:b=1] AND [a:c=2] AND ([a:d=3] AND [a:e=4])").unwrap();
        let ObservationKind::And(ops) = &p.observation.kind else {
            panic!()
        };
        assert_eq!(ops.len(), 3);
        assert!(matches!(&ops[2].kind, ObservationKind::And(inner) if inner.len() == 2));
    }

    #[test]
    fn precedence() {
        // AND binds tighter than OR, OR tighter than FOLLOWEDBY.
        let p = parse("[a:b=1] FOLLOWEDBY [a:c=2] OR [a:d=3] AND [a:e=4]").unwrap();
        let ObservationKind::FollowedBy(f) = &p.observation.kind else {
            panic!()
        };
        let ObservationKind::Or(o) = &f[1].kind else {
            panic!()
        };
        assert!(matches!(&o[1].kind, ObservationKind::And(_)));
        let c = parse("[a:b=1 OR a:c=2 AND a:d=3]").unwrap();
        let ObservationKind::Simple(c) = &c.observation.kind else {
            panic!()
        };
        let ComparisonKind::Or(o) = &c.kind else {
            panic!()
        };
        assert!(matches!(&o[1].kind, ComparisonKind::And(_)));
    }

    #[test]
    fn qualifiers_bind_to_the_nearest_expression() {
        let p = parse("[a:b=1] AND [a:c=2] WITHIN 5 SECONDS").unwrap();
        let ObservationKind::And(ops) = &p.observation.kind else {
            panic!()
        };
        assert!(matches!(ops[1].kind, ObservationKind::Qualified { .. }));
        let p = parse("([a:b=1] WITHIN 5 SECONDS) WITHIN 6 SECONDS").unwrap();
        let ObservationKind::Qualified { inner, qualifiers } = &p.observation.kind else {
            panic!()
        };
        assert_eq!(qualifiers.len(), 1);
        assert!(matches!(inner.kind, ObservationKind::Qualified { .. }));
    }

    #[test]
    fn literal_values() {
        let value = |src: &str| match first_comparison(src).test {
            Test::Compare { value, .. } => value.value,
            t => panic!("{t:?}"),
        };
        assert_eq!(value("[a:b = +5]"), Value::Int(5));
        assert_eq!(value("[a:b = -0]"), Value::Int(0));
        assert_eq!(
            value("[a:b = 170141183460469231731687303715884105727]"),
            Value::Int(i128::MAX)
        );
        assert_eq!(value("[a:b = -.5]"), Value::Float(-0.5));
        assert_eq!(value("[a:b = 00.5]"), Value::Float(0.5));
        assert_eq!(value(r"[a:b = 'it\'s \\']"), Value::Str(r"it's \".into()));
        assert_eq!(value("[a:b = false]"), Value::Bool(false));
        assert_eq!(value("[a:b = h'4D5a']"), Value::Hex(vec![0x4d, 0x5a]));
        assert_eq!(value("[a:b = b'TVo=']"), Value::Binary(b"MZ".to_vec()));
        assert_eq!(
            value("[a:b = t'2016-01-01T00:00:00.5Z']"),
            Value::Timestamp(Timestamp::new("2016-01-01T00:00:00.5Z").unwrap())
        );
    }

    #[test]
    fn not_and_exists() {
        let c = first_comparison("[a:b NOT = 1]");
        assert!(c.negated);
        let c = first_comparison("[NOT EXISTS a:b]");
        assert!(c.negated && c.test == Test::Exists);
        let c = first_comparison("[EXISTS a:b[*]]");
        assert!(!c.negated && c.test == Test::Exists);
    }

    #[test]
    fn deep_nesting_is_refused_without_overflowing() {
        let deep = format!("{}[a:b=1]{}", "(".repeat(100_000), ")".repeat(100_000));
        let e = parse(&deep).unwrap_err();
        assert!(matches!(e.kind, ErrorKind::TooDeep { limit: 100 }));
        let ok = format!("{}[a:b=1]{}", "(".repeat(99), ")".repeat(99));
        assert!(parse(&ok).is_ok());
        let deep = format!("[{}a:b=1{}]", "(".repeat(100), ")".repeat(100));
        assert!(matches!(
            parse(&deep).unwrap_err().kind,
            ErrorKind::TooDeep { .. }
        ));
    }

    #[test]
    fn long_chains_are_flat() {
        let src = format!("[{}]", vec!["a:b = 1"; 20_000].join(" OR "));
        let p = parse(&src).unwrap();
        let ObservationKind::Simple(c) = &p.observation.kind else {
            panic!()
        };
        assert!(matches!(&c.kind, ComparisonKind::Or(ops) if ops.len() == 20_000));
    }

    // Observation expressions and qualifiers.
    accepts!(simple, "[ipv4-addr:value = '198.51.100.1']");
    accepts!(whitespace_everywhere, "\n( [ a : b [ * ] . c = 1 ] )\t");
    accepts!(no_whitespace, "[a:b=1]AND[a:c=2]WITHIN 5SECONDS");
    accepts!(comments_inside, "[a:b /* c */ = 1] // end");
    accepts!(within_float, "[a:b=1] WITHIN 0.000001 SECONDS");
    accepts!(within_plus, "[a:b=1] WITHIN +5 SECONDS");
    accepts!(repeats_plus, "[a:b=1] REPEATS +2 TIMES");
    accepts!(
        three_qualifiers,
        "[a:b=1] WITHIN 5 SECONDS START t'2016-01-01T00:00:00Z' STOP t'2016-01-01T00:00:00Z' REPEATS 2 TIMES"
    );
    accepts!(
        start_after_stop,
        "[a:b=1] START t'2017-01-01T00:00:00Z' STOP t'2016-01-01T00:00:00Z'"
    );
    accepts!(
        qualified_qualified,
        "([a:b=1] REPEATS 2 TIMES) REPEATS 3 TIMES"
    );
    accepts!(
        forty_parens,
        "(((((((((((((((((((((((((((((((((((((((([a:b = 1]))))))))))))))))))))))))))))))))))))))))"
    );

    rejects!(
        empty,
        "",
        ErrorKind::Unexpected {
            expected: "'[' or '('",
            ..
        },
        0
    );
    rejects!(blank, "  ", ErrorKind::Unexpected { .. }, 2);
    rejects!(
        no_brackets,
        "file:size = 1280",
        ErrorKind::Unexpected { .. },
        0
    );
    rejects!(
        unclosed_bracket,
        "[ipv4-addr:value = '198.51.100.1'",
        ErrorKind::Unclosed { delimiter: "'['" },
        0
    );
    rejects!(
        unclosed_paren,
        "([a:b=1]",
        ErrorKind::Unclosed { delimiter: "'('" },
        0
    );
    rejects!(
        trailing_input,
        "[ipv4-addr:value = '198.51.100.1'] x",
        ErrorKind::Trailing { .. },
        35
    );
    rejects!(trailing_paren, "[a:b=1])", ErrorKind::Trailing { .. }, 7);
    rejects!(
        two_observations,
        "[a:b=1] [a:c=2]",
        ErrorKind::Trailing { .. },
        8
    );
    rejects!(
        lower_case_and,
        "[a:b=1] and [a:c=2]",
        ErrorKind::Trailing { .. },
        8
    );
    rejects!(
        not_between_observations,
        "[a:b=1] NOT [a:c=2]",
        ErrorKind::Trailing { .. },
        8
    );
    rejects!(
        dangling_followedby,
        "[a:b=1] FOLLOWEDBY",
        ErrorKind::Unexpected { .. },
        18
    );
    rejects!(
        qualifier_inside_brackets,
        "[a:b=1 WITHIN 5 SECONDS]",
        ErrorKind::Unexpected {
            expected: "AND, OR or ']'",
            ..
        },
        7
    );
    rejects!(
        within_zero,
        "[a:b=1] WITHIN 0 SECONDS",
        ErrorKind::NotPositive {
            qualifier: "WITHIN",
            ..
        },
        15
    );
    rejects!(
        within_zero_float,
        "[a:b=1] WITHIN 0.0 SECONDS",
        ErrorKind::NotPositive { .. },
        15
    );
    rejects!(
        within_negative,
        "[a:b=1] WITHIN -5 SECONDS",
        ErrorKind::NotPositive { .. },
        15
    );
    #[test]
    fn within_underflow() {
        let src = format!("[a:b=1] WITHIN 0.{}1 SECONDS", "0".repeat(400));
        let e = parse(&src).unwrap_err();
        assert!(matches!(e.kind, ErrorKind::OutOfRange { .. }), "{e}");
    }
    rejects!(
        within_minutes,
        "[a:b=1] WITHIN 5 MINUTES",
        ErrorKind::Unexpected {
            expected: "SECONDS",
            ..
        },
        17
    );
    rejects!(
        within_exponent,
        "[a:b=1] WITHIN 1e3 SECONDS",
        ErrorKind::Unexpected {
            expected: "SECONDS",
            ..
        },
        16
    );
    rejects!(
        repeats_zero,
        "[a:b=1] REPEATS 0 TIMES",
        ErrorKind::NotPositive {
            qualifier: "REPEATS",
            ..
        },
        16
    );
    rejects!(
        repeats_float,
        "[a:b=1] REPEATS 1.5 TIMES",
        ErrorKind::Unexpected {
            expected: "a positive integer",
            ..
        },
        16
    );
    rejects!(
        repeats_huge,
        "[a:b=1] REPEATS 18446744073709551616 TIMES",
        ErrorKind::OutOfRange { .. },
        16
    );
    rejects!(
        repeats_no_times,
        "[a:b=1] REPEATS 2",
        ErrorKind::Unexpected {
            expected: "TIMES",
            ..
        },
        17
    );
    rejects!(
        start_without_stop,
        "[a:b=1] START t'2016-01-01T00:00:00Z'",
        ErrorKind::Unexpected {
            expected: "STOP",
            ..
        },
        37
    );
    rejects!(
        start_plain_string,
        "[a:b=1] START '2016-01-01T00:00:00Z' STOP '2017-01-01T00:00:00Z'",
        ErrorKind::Unexpected { .. },
        14
    );
    rejects!(
        bad_qualifier_order,
        "[a:b=1] STOP t'2017-01-01T00:00:00Z' START t'2016-01-01T00:00:00Z'",
        ErrorKind::Trailing { .. },
        8
    );
    rejects!(
        duplicate_qualifier,
        "[a:b=1] WITHIN 5 SECONDS REPEATS 2 TIMES WITHIN 6 SECONDS",
        ErrorKind::DuplicateQualifier {
            qualifier: "WITHIN",
            ..
        },
        41
    );
    rejects!(
        duplicate_on_group,
        "([a:b=1]) REPEATS 2 TIMES REPEATS 3 TIMES",
        ErrorKind::DuplicateQualifier {
            qualifier: "REPEATS",
            ..
        },
        26
    );
    rejects!(
        duplicate_start_stop,
        "[a:b=1] START t'2016-01-01T00:00:00Z' STOP t'2016-01-01T00:00:00Z' START t'2016-01-01T00:00:00Z' STOP t'2016-01-01T00:00:00Z'",
        ErrorKind::DuplicateQualifier {
            qualifier: "START",
            ..
        },
        67
    );
    rejects!(
        leading_comment,
        "/* comment */ [a:b=1]",
        ErrorKind::CommentFirst,
        0
    );
    rejects!(
        comment_after_paren,
        "( // x\n[a:b=1])",
        ErrorKind::CommentFirst,
        2
    );

    // Comparisons.
    rejects!(empty_brackets, "[]", ErrorKind::Unexpected { .. }, 1);
    rejects!(
        nested_brackets,
        "[[a:b=1]]",
        ErrorKind::Unexpected { .. },
        1
    );
    rejects!(
        dangling_and,
        "[a:b = 1 AND]",
        ErrorKind::Unexpected { .. },
        12
    );
    rejects!(
        double_or,
        "[a:b = 1 OR OR a:c = 1]",
        ErrorKind::Unexpected { .. },
        12
    );
    rejects!(literal_first, "[1 = a:b]", ErrorKind::Unexpected { .. }, 1);
    rejects!(
        path_on_right,
        "[a:b = a:c]",
        ErrorKind::Unexpected { .. },
        7
    );
    rejects!(
        triple_equals,
        "[ipv4-addr:value === '203.0.113.7']",
        ErrorKind::Unexpected { .. },
        19
    );
    rejects!(
        double_quotes,
        "[ipv4-addr:value = \"203.0.113.7\"]",
        ErrorKind::Unexpected { .. },
        19
    );
    rejects!(
        not_after_operator,
        "[a:b != NOT 1]",
        ErrorKind::Unexpected { .. },
        8
    );
    rejects!(
        not_not,
        "[a:b NOT NOT = 1]",
        ErrorKind::Unexpected { .. },
        9
    );
    rejects!(
        not_before_path,
        "[NOT a:b = 1]",
        ErrorKind::Unexpected { .. },
        5
    );
    rejects!(
        not_not_exists,
        "[NOT NOT EXISTS file:name]",
        ErrorKind::Unexpected { .. },
        5
    );
    rejects!(
        exists_after_path,
        "[file:name EXISTS]",
        ErrorKind::Unexpected { .. },
        11
    );
    rejects!(
        exists_with_value,
        "[EXISTS a:b = 1]",
        ErrorKind::Unexpected { .. },
        12
    );
    rejects!(
        exists_string,
        "[EXISTS 'x']",
        ErrorKind::Unexpected { .. },
        8
    );
    rejects!(
        lower_case_like,
        "[a:b like 'x']",
        ErrorKind::Unexpected { .. },
        5
    );
    rejects!(
        like_number,
        "[a:b LIKE 5]",
        ErrorKind::Unexpected {
            expected: "a string literal in single quotes",
            ..
        },
        10
    );
    rejects!(
        issubset_number,
        "[a:b ISSUBSET 5]",
        ErrorKind::Unexpected { .. },
        14
    );
    rejects!(order_bool, "[x:b > true]", ErrorKind::Unexpected { .. }, 7);
    rejects!(null, "[x:b = null]", ErrorKind::Unexpected { .. }, 7);
    rejects!(upper_true, "[x:b = TRUE]", ErrorKind::Unexpected { .. }, 7);
    rejects!(arithmetic, "[a:b + 1 = 2]", ErrorKind::Unexpected { .. }, 5);
    rejects!(
        escape_clause,
        r"[a:b LIKE 'x' ESCAPE '\\']",
        ErrorKind::Unexpected { .. },
        14
    );
    rejects!(
        in_without_parens,
        "[a:b IN 1]",
        ErrorKind::Unexpected { .. },
        8
    );
    rejects!(
        in_trailing_comma,
        "[a:b IN ('a',)]",
        ErrorKind::Unexpected { .. },
        13
    );
    rejects!(
        in_no_comma,
        "[a:b IN (1 2)]",
        ErrorKind::Unexpected {
            expected: "',' or ')'",
            ..
        },
        11
    );
    rejects!(
        in_unclosed,
        "[a:b IN (1, 2",
        ErrorKind::Unclosed { delimiter: "'('" },
        8
    );
    rejects!(
        in_mixed,
        "[a:b IN (1, 'a')]",
        ErrorKind::MixedSet {
            first: ValueClass::Number,
            other: ValueClass::String
        },
        12
    );
    rejects!(
        in_bool_and_number,
        "[a:b IN (1, 2.2, true)]",
        ErrorKind::MixedSet { .. },
        17
    );
    accepts!(in_int_and_float, "[a:b IN (2.5, 3)]");
    accepts!(in_hex_and_base64, "[a:b IN (h'00', b'AA==')]");
    accepts!(in_empty, "[a:b NOT IN ()]");
    rejects!(
        and_across_types,
        "[file:name = 'foo' AND domain-name:value = 'example.com']",
        ErrorKind::DifferentTypes { .. },
        23
    );
    rejects!(
        and_across_or_types,
        "[(a:c = 2 OR b:d = 3) AND (c:e = 1 OR d:f = 2)]",
        ErrorKind::DifferentTypes { .. },
        26
    );
    accepts!(and_with_shared_type, "[a:b = 1 AND (a:c = 2 OR b:d = 3)]");
    accepts!(or_across_types, "[a:b = 1 OR b:c = 2]");
    accepts!(exists_and, "[EXISTS file:name AND file:size = 1]");

    // Object paths.
    accepts!(
        type_with_capitals_and_underscores,
        "[A_b-C:d = 1 OR _x:y = 1 OR a--b:c = 1 OR a-:b = 1]"
    );
    accepts!(keyword_letters_as_names, "[t:h = 1 AND t:b.t = 2]");
    accepts!(quoted_first_property, "[a:'b c' = 1 AND a:'' = 2]");
    accepts!(
        ref_paths,
        "[network-traffic:src_ref.value = '1.2.3.4' AND network-traffic:dst_ref.resolves_to_refs[*].value = 'x']"
    );
    accepts!(index_plus, "[a:b[+1] = 1]");
    accepts!(any_of_any, "[a:b[*][*] = 1]");
    rejects!(
        quoted_type,
        "['file':name = 1]",
        ErrorKind::Unexpected { .. },
        1
    );
    rejects!(digit_type, "[1a:b = 1]", ErrorKind::Unexpected { .. }, 1);
    rejects!(no_type, "[:b = 1]", ErrorKind::Unexpected { .. }, 1);
    rejects!(
        dot_not_colon,
        "[file.size = 1280]",
        ErrorKind::Unexpected {
            expected: "':' after the object type",
            ..
        },
        5
    );
    rejects!(no_property, "[a: = 1]", ErrorKind::Unexpected { .. }, 4);
    rejects!(index_first, "[a:[0] = 1]", ErrorKind::Unexpected { .. }, 3);
    rejects!(
        hyphen_property,
        "[some-type:needs-quotes = 1]",
        ErrorKind::UnquotedHyphen { .. },
        11
    );
    rejects!(
        hyphen_key,
        "[network-traffic:extensions.tcp-ext.src_flags_hex = h'02']",
        ErrorKind::UnquotedHyphen { .. },
        28
    );
    rejects!(
        keyword_property,
        "[a:LAST = 1]",
        ErrorKind::Unexpected { .. },
        3
    );
    rejects!(
        bool_property,
        "[a:b.true = 1]",
        ErrorKind::Unexpected { .. },
        5
    );
    rejects!(double_dot, "[a:b..c = 1]", ErrorKind::Unexpected { .. }, 5);
    rejects!(numeric_key, "[a:b.1 = 1]", ErrorKind::Unexpected { .. }, 4);
    rejects!(second_colon, "[a:b:c = 1]", ErrorKind::Unexpected { .. }, 4);
    rejects!(
        non_ascii_name,
        "[a:näme = 1]",
        ErrorKind::Unexpected { .. },
        4
    );
    rejects!(
        negative_index,
        "[a:b[-1] = 1]",
        ErrorKind::NegativeIndex { .. },
        5
    );
    rejects!(
        negative_zero_index,
        "[a:b[-0] = 1]",
        ErrorKind::NegativeIndex { .. },
        5
    );
    rejects!(
        leading_zero_index,
        "[a:b[01] = 1]",
        ErrorKind::LeadingZero { .. },
        5
    );
    rejects!(
        float_index,
        "[a:b[1.5] = 1]",
        ErrorKind::Unexpected { .. },
        5
    );
    rejects!(empty_index, "[a:b[] = 1]", ErrorKind::Unexpected { .. }, 5);
    rejects!(word_index, "[a:b[x] = 1]", ErrorKind::Unexpected { .. }, 5);
    rejects!(
        unclosed_index,
        "[a:b[0",
        ErrorKind::Unclosed { delimiter: "'['" },
        4
    );
    rejects!(
        huge_index,
        "[a:b[18446744073709551616] = 1]",
        ErrorKind::OutOfRange { .. },
        5
    );

    // Literals.
    rejects!(
        unclosed_string,
        "[file:name = 'unterminated]",
        ErrorKind::Unclosed { delimiter: "'" },
        13
    );
    rejects!(
        bad_escape,
        r"[file:name = 'a\nb']",
        ErrorKind::InvalidEscape { .. },
        15
    );
    rejects!(
        leading_zero,
        "[x:n = 007]",
        ErrorKind::LeadingZero { .. },
        7
    );
    rejects!(exponent, "[x:n = 1e5]", ErrorKind::Unexpected { .. }, 8);
    rejects!(
        trailing_point,
        "[x:n = 5.]",
        ErrorKind::Unexpected { .. },
        8
    );
    rejects!(spaced_sign, "[x:n = - 5]", ErrorKind::Unexpected { .. }, 7);
    rejects!(
        huge_integer,
        "[x:n = 170141183460469231731687303715884105728]",
        ErrorKind::OutOfRange { .. },
        7
    );
    rejects!(odd_hex, "[x:b = h'abc']", ErrorKind::InvalidHex { .. }, 7);
    rejects!(
        upper_hex_prefix,
        "[x:b = H'00']",
        ErrorKind::Unexpected { .. },
        7
    );
    rejects!(
        spaced_hex_prefix,
        "[x:b = h '00']",
        ErrorKind::Unexpected { .. },
        7
    );
    rejects!(
        bad_base64,
        "[x:b = b'AQIDBA']",
        ErrorKind::InvalidBase64 { .. },
        7
    );
    rejects!(
        bad_timestamp,
        "[x:t = t'2016-01-01T00:00:00+00:00']",
        ErrorKind::InvalidTimestamp { .. },
        7
    );
    rejects!(
        impossible_timestamp,
        "[x:t = t'2023-02-29T12:00:00Z']",
        ErrorKind::InvalidTimestamp { .. },
        7
    );
    rejects!(
        upper_timestamp_prefix,
        "[x:t = T'2016-01-01T00:00:00Z']",
        ErrorKind::Unexpected { .. },
        7
    );
    accepts!(base64_with_line_feed, "[artifact:payload_bin = b'AQ\nID']");
    accepts!(leap_second, "[x:t = t'2016-12-31T23:59:60Z']");
    accepts!(year_zero, "[x:t = t'0000-01-01T00:00:00Z']");

    // The reference validator's hash check.
    accepts!(
        md5,
        "[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']"
    );
    accepts!(hash_any_key, "[file:hashes[*] = 'abc']");
    accepts!(
        hash_unknown_algorithm,
        "[file:hashes.TLSH = 'x' AND file:hashes.'SHA_256' = 'x']"
    );
    accepts!(hash_exists, "[EXISTS file:hashes.MD5]");
    accepts!(hash_deeper_key, "[file:hashes.MD5.x = 'f00']");
    accepts!(ssdeep_hex, "[file:hashes.SSDEEP = h'cead']");
    rejects!(
        md5_short,
        "[file:hashes.MD5 = 'abc']",
        ErrorKind::InvalidHash { .. },
        19
    );
    rejects!(
        md5_lower_key,
        "[file:hashes.md5 = 'abc']",
        ErrorKind::InvalidHash { .. },
        19
    );
    rejects!(
        sha256_quoted,
        "[file:hashes.'SHA-256' = 'f00']",
        ErrorKind::InvalidHash { .. },
        25
    );
    rejects!(
        hash_any_type,
        "[x:hashes.'SHA3-256' = 'x']",
        ErrorKind::InvalidHash { .. },
        23
    );
    rejects!(
        hash_nested,
        "[file:extensions.hashes.MD5 = 'f00']",
        ErrorKind::InvalidHash { .. },
        30
    );
    rejects!(
        hash_like,
        "[file:hashes.MD5 LIKE 'abc%']",
        ErrorKind::InvalidHash { .. },
        22
    );
    rejects!(
        hash_hex_literal,
        "[file:hashes.MD5 = h'cead3f77f6cda6ec00f57d76c9a6879f']",
        ErrorKind::InvalidHash { .. },
        19
    );
    rejects!(
        hash_number,
        "[file:hashes.MD5 = 5]",
        ErrorKind::InvalidHash { .. },
        19
    );
    rejects!(
        hash_set,
        "[file:hashes.MD5 IN ('cead3f77f6cda6ec00f57d76c9a6879f')]",
        ErrorKind::HashSet { .. },
        20
    );
    rejects!(
        hash_index,
        "[file:hashes[0] = 'a']",
        ErrorKind::HashIndex,
        1
    );
}
