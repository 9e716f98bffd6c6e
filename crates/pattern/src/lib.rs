//! STIX 2.1 patterning for Entente: a strict parser from pattern text to a
//! syntax tree with spans, and a printer of the canonical text.
//!
//! Indicators shared between partners carry their detection logic as STIX
//! patterns, such as
//! `[domain-name:value = 'voter-registration-check.example'] OR [ipv4-addr:value = '203.0.113.7']`.
//! Before a node stores a partner's indicator, or compiles it into a matcher,
//! the pattern must be understood exactly as the partner's tools understand it.
//! This crate provides:
//!
//! * [`parse`], which reads a pattern into a [`Pattern`]: observation
//!   expressions ([`ObservationExpr`]) joined by `AND`, `OR` and `FOLLOWEDBY` and
//!   qualified by `WITHIN`, `REPEATS` and `START … STOP`, each holding the
//!   comparisons ([`ComparisonExpr`], [`Comparison`]) of one `[…]`. Every node
//!   carries the [`Span`] of its text.
//! * [`ParseError`], which says where the pattern went wrong and what was
//!   expected there; [`ParseError::render`] draws a caret under the spot.
//! * [`check`], the one-line verdict that `stix` validation takes through
//!   `stix::ValidateOptions::with_pattern_checker`.
//! * `Display` on every node, printing the canonical text: `parse` of the
//!   printed text gives back an equal tree (a property test holds it to that).
//!
//! # What "valid" means here
//!
//! Partners validate with OASIS's `stix2-validator`, which runs the reference
//! pattern validator, `stix2-patterns`. A pattern we accept and they refuse
//! breaks the exchange, and so does the reverse, so [`parse`] accepts what the
//! reference accepts, with two kinds of exception:
//!
//! * where the reference contradicts the STIX 2.1 specification, the
//!   specification wins: `AND` inside one `[…]` over comparisons of different
//!   object types (spec 9.5), `WITHIN 0` and `REPEATS 0`, a qualifier kind used
//!   twice on a parenthesised group (9.5.1), `IN` sets of mixed kinds (9.6.1)
//!   and impossible dates are refused; line feeds inside `b'…'` are accepted
//!   (9.2);
//! * numbers we cannot hold (an integer beyond `i128`, a list index or count
//!   beyond `u64`) and nesting deeper than [`MAX_DEPTH`] are refused.
//!
//! The reference validator's checks that the specification does not make (a
//! `hashes.MD5` value must be 32 hex digits, no comment before the first `[`,
//! no negative list index) are applied too, because partners apply them.
//! The conformance test (`tests/conformance.rs`) holds all this against the
//! reference's verdicts on 1,206 patterns in `shared/testdata/stix-patterns`.
//!
//! Keywords are case-sensitive, as in the reference (`AND`, `true`); object
//! types follow the grammar's identifiers (`[A-Za-z_][A-Za-z0-9_-]*`), which the
//! reference accepts even where they break STIX type naming (`x:y`, `null_test`).
//!
//! # What it does not do
//!
//! No I/O, no clock. It does not evaluate patterns against observed data, nor
//! know which properties a type has (`domain-name:valu` parses, as it does for
//! the reference): the evaluator and the bulk matcher are still to come.
//!
//! ```
//! use pattern::{ComparisonKind, ObservationKind, Test, Value};
//!
//! let p = pattern::parse("[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f'] WITHIN +300 SECONDS")?;
//! let ObservationKind::Qualified { inner, qualifiers } = &p.observation.kind else { panic!() };
//! assert_eq!(qualifiers[0].to_string(), "WITHIN 300 SECONDS");
//! let ObservationKind::Simple(cmp) = &inner.kind else { panic!() };
//! let ComparisonKind::Test(c) = &cmp.kind else { panic!() };
//! assert_eq!(c.path.steps[0], pattern::PathStep::Key("SHA-256".into()));
//! assert!(matches!(&c.test, Test::Compare { value, .. } if matches!(value.value, Value::Str(_))));
//! assert_eq!(c.path.span.range(), 1..22); // file:hashes.'SHA-256'
//!
//! let bad = "[ipv4-addr:value = '198.51.100.1'] WITHIN 0 SECONDS";
//! assert_eq!(
//!     pattern::check(bad).unwrap_err(),
//!     "column 43: WITHIN needs a positive number, found 0",
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Layout
//!
//! * `lexer.rs`: text to tokens; literals decoded.
//! * `parser.rs`: tokens to the tree, by recursive descent.
//! * `rules.rs`: the rules beyond the grammar, from the specification and from
//!   the reference validator.
//! * `ast.rs`: the tree, [`Span`] and [`Timestamp`].
//! * `print.rs`: the canonical text.
//! * `error.rs`: [`ParseError`], [`ErrorKind`] and the caret rendering.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod ast;
mod error;
mod eval;
pub mod index;
mod lexer;
mod parser;
mod print;
mod rules;

// The public interface is:
pub use ast::{
    CompareOp, Comparison, ComparisonExpr, ComparisonKind, Literal, ObjectPath, ObservationExpr,
    ObservationKind, PathStep, Pattern, Qualifier, QualifierKind, Span, Test, Text, Timestamp,
    Value, ValueClass,
};
pub use error::{ErrorKind, ParseError};
pub use eval::{EvalError, matches, matches_within};
pub use parser::MAX_DEPTH;

/// Parses a STIX 2.1 pattern (`pattern_type` `stix`).
///
/// The whole text must be one pattern: trailing input is an error. See the
/// crate documentation for what is accepted.
pub fn parse(pattern: &str) -> Result<Pattern, ParseError> {
    parser::parse(pattern)
}

/// Checks a pattern: `Err` holds a one-line message with the column
/// (`column 35: expected AND, OR or ']', found 'WITHIN'`).
///
/// This is the checker to hand to `stix` validation:
/// `stix::ValidateOptions::new().with_pattern_checker(&pattern::check)`.
pub fn check(pattern: &str) -> Result<(), String> {
    parse(pattern).map(drop).map_err(|e| e.message(pattern))
}

/// The validation every object coming in goes through, with its STIX
/// patterns checked: only MUST violations refuse an object, and SHOULD
/// findings are kept as warnings, unless `strict` (a strict collection, or a
/// check of what the node itself writes), where they refuse it too.
pub fn validate_options(strict: bool) -> stix::ValidateOptions<'static> {
    stix::ValidateOptions::new()
        .strict(strict)
        .with_pattern_checker(&check)
}
