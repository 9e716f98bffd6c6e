//! The tests of one `[…]`, evaluated against one root SCO.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use fancy_regex::Regex;
use serde_json::{Number, Value as Json};
use unicode_normalization::UnicodeNormalization;

use super::observed::Observation;
use super::path::{self, Val};
use super::{EvalError, time};
use crate::ast::{CompareOp, Comparison, ComparisonExpr, ComparisonKind, Test, Value};

/// Whether `root` satisfies `expr`. Every operand is evaluated (no
/// short-circuit), so that an error anywhere is reported as the reference
/// reports it.
pub(crate) fn holds<'a>(
    expr: &ComparisonExpr,
    root: &'a Json,
    obs: &Observation<'a>,
) -> Result<bool, EvalError> {
    match &expr.kind {
        ComparisonKind::Test(c) => test(c, root, obs),
        ComparisonKind::And(items) => {
            let mut all = true;
            for e in items {
                all &= holds(e, root, obs)?;
            }
            Ok(all)
        }
        ComparisonKind::Or(items) => {
            let mut any = false;
            for e in items {
                any |= holds(e, root, obs)?;
            }
            Ok(any)
        }
    }
}

/// Whether a string value passes `test` (not negated): the confirmation of
/// a candidate the index found by a literal the value contains.
pub(crate) fn text_passes(test: &Test, value: &str) -> Result<bool, EvalError> {
    let json = Json::String(value.to_owned());
    Ok(Predicate::new(test)?.eval(&Val::Json(&json))? == Some(true))
}

fn test<'a>(c: &Comparison, root: &'a Json, obs: &Observation<'a>) -> Result<bool, EvalError> {
    if root.get("type").and_then(Json::as_str) != Some(c.path.object_type.as_str()) {
        return Ok(false);
    }
    let values = path::select(&c.path, root, obs)?;
    if let Test::Exists = c.test {
        return Ok(values.is_empty() == c.negated);
    }
    let pred = Predicate::new(&c.test)?;
    for v in &values {
        // `None`: the test does not apply to this value's type, which is
        // false whatever the negation.
        if let Some(r) = pred.eval(v)? {
            if r != c.negated {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

enum Predicate<'t> {
    Compare(CompareOp, &'t Value),
    In(&'t [crate::ast::Literal]),
    Regex(Regex, Option<Regex>),
    Like(Regex),
    Subset(&'t str),
    Superset(&'t str),
}

impl<'t> Predicate<'t> {
    fn new(t: &'t Test) -> Result<Predicate<'t>, EvalError> {
        Ok(match t {
            Test::Compare { op, value } => Predicate::Compare(*op, &value.value),
            Test::In(set) => Predicate::In(set),
            Test::Matches(text) => {
                let src = pcre_dollar(&text.value.nfc().collect::<String>());
                // Spec 9.6.1: DOTALL, search anywhere.
                let text_re = compile(&format!("(?s){src}"), &text.value)?;
                // Against bytes, the expression applies to the octets, when
                // it can be written in octets at all.
                let bytes_re = if src.chars().all(|c| (c as u32) < 256) {
                    Some(
                        compile(&format!("(?s-u){src}"), &text.value)
                            .or_else(|_| compile(&format!("(?s){src}"), &text.value))?,
                    )
                } else {
                    None
                };
                Predicate::Regex(text_re, bytes_re)
            }
            Test::Like(text) => {
                let mut re = String::from("(?s)^");
                for ch in text.value.nfc() {
                    match ch {
                        '%' => re.push_str(".*"),
                        '_' => re.push('.'),
                        c if c.is_ascii_punctuation() || c == ' ' => {
                            re.push('\\');
                            re.push(c);
                        }
                        c => re.push(c),
                    }
                }
                re.push_str("\\z");
                Predicate::Like(compile(&re, &text.value)?)
            }
            Test::IsSubset(t) => Predicate::Subset(&t.value),
            Test::IsSuperset(t) => Predicate::Superset(&t.value),
            Test::Exists => Predicate::In(&[]),
        })
    }

    /// The test's verdict before negation, or `None` where it does not apply.
    fn eval(&self, v: &Val<'_>) -> Result<Option<bool>, EvalError> {
        match self {
            Predicate::Compare(op, lit) => compare(*op, v, lit),
            Predicate::In(set) => {
                let mut found = false;
                for l in set.iter() {
                    found |= py_equal(v, &l.value)?;
                }
                Ok(Some(found))
            }
            Predicate::Regex(text_re, bytes_re) => match v {
                Val::Json(Json::String(s)) => {
                    let s: String = s.nfc().collect();
                    search(text_re, &s).map(Some)
                }
                Val::Bytes(b) => match bytes_re {
                    Some(re) => search(re, &latin1(b)).map(Some),
                    None => Ok(Some(false)),
                },
                // Not text: false, then negated (the reference applies NOT here).
                _ => Ok(Some(false)),
            },
            Predicate::Like(re) => match v {
                Val::Json(Json::String(s)) => {
                    let s: String = s.nfc().collect();
                    search(re, &s).map(Some)
                }
                Val::Bytes(b) => search(re, &latin1(b)).map(Some),
                // Not text: false, then negated (the reference applies NOT here).
                _ => Ok(Some(false)),
            },
            Predicate::Subset(block) => match v {
                Val::Json(Json::String(s)) => Ok(Some(contained(s, block)?)),
                // Not text: false, then negated (the reference applies NOT here).
                _ => Ok(Some(false)),
            },
            Predicate::Superset(addr) => match v {
                Val::Json(Json::String(s)) => Ok(Some(contained(addr, s)?)),
                // Not text: false, then negated (the reference applies NOT here).
                _ => Ok(Some(false)),
            },
        }
    }
}

/// Compiles `src`, or takes it from this thread's cache: a pattern is
/// evaluated against many objects, and compiling dominates a single test.
fn compile(src: &str, written: &str) -> Result<Regex, EvalError> {
    thread_local! {
        static COMPILED: RefCell<HashMap<String, Regex>> = RefCell::new(HashMap::new());
    }
    /// Enough for every expression of a large indicator set's candidates;
    /// past it the cache starts over rather than grow without bound.
    const CAPACITY: usize = 4096;
    if let Some(re) = COMPILED.with(|c| c.borrow().get(src).cloned()) {
        return Ok(re);
    }
    let re = Regex::new(src).map_err(|e| EvalError::Regex {
        pattern: written.to_owned(),
        reason: e.to_string(),
    })?;
    COMPILED.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CAPACITY {
            c.clear();
        }
        c.insert(src.to_owned(), re.clone());
    });
    Ok(re)
}

/// PCRE's `$` (without the `m` flag) matches at the end and before a final
/// line feed; Rust's matches only at the end. Rewrites each `$` outside a
/// character class to say what PCRE means. An expression that sets `m`
/// itself keeps its `$`, which then means end of line in both.
fn pcre_dollar(src: &str) -> String {
    let sets_multiline = src.match_indices("(?").any(|(at, _)| {
        src[at + 2..]
            .chars()
            .take_while(|c| c.is_ascii_alphabetic() || *c == '-')
            .take_while(|c| *c != '-')
            .any(|c| c == 'm')
    });
    if sets_multiline || !src.contains('$') {
        return src.to_owned();
    }
    let mut out = String::with_capacity(src.len() + 16);
    let mut chars = src.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A `]` first in a class (after an optional `^`) is literal.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push(']');
                    chars.next();
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '$' if !in_class => out.push_str("(?=\\n?\\z)"),
            c => out.push(c),
        }
    }
    out
}

fn search(re: &Regex, s: &str) -> Result<bool, EvalError> {
    re.is_match(s).map_err(|e| EvalError::Regex {
        pattern: re.as_str().to_owned(),
        reason: e.to_string(),
    })
}

/// Bytes as the code points U+0000..U+00FF, so that text tools apply to octets.
fn latin1(b: &[u8]) -> String {
    b.iter().map(|&c| char::from(c)).collect()
}

/// A string as octets, when all its code points are below 256.
fn octets(s: &str) -> Option<Vec<u8>> {
    s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}

#[derive(Clone, Copy)]
enum Num {
    Int(i128),
    Float(f64),
}

fn json_num(n: &Number) -> Num {
    if let Some(i) = n.as_i64() {
        Num::Int(i128::from(i))
    } else if let Some(u) = n.as_u64() {
        Num::Int(i128::from(u))
    } else {
        Num::Float(n.as_f64().unwrap_or(f64::NAN))
    }
}

fn lit_num(v: &Value) -> Option<Num> {
    match v {
        Value::Int(i) => Some(Num::Int(*i)),
        Value::Float(f) => Some(Num::Float(*f)),
        _ => None,
    }
}

/// Exact comparison of numbers: an integer and a float compare by value,
/// without rounding the integer.
fn cmp_num(a: Num, b: Num) -> Option<Ordering> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(&y),
        (Num::Int(i), Num::Float(f)) => cmp_int_float(i, f),
        (Num::Float(f), Num::Int(i)) => cmp_int_float(i, f).map(Ordering::reverse),
    }
}

fn cmp_int_float(i: i128, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    const LIMIT: f64 = 170_141_183_460_469_231_731_687_303_715_884_105_728.0; // 2^127
    if f >= LIMIT {
        return Some(Ordering::Less);
    }
    if f < -LIMIT {
        return Some(Ordering::Greater);
    }
    let t = f.trunc();
    // In range by the checks above; the cast is exact for an integral float.
    let ti = t as i128;
    Some(match i.cmp(&ti) {
        Ordering::Equal if f > t => Ordering::Less,
        Ordering::Equal if f < t => Ordering::Greater,
        o => o,
    })
}

/// `=`, `!=` and the ordering operators, as the reference's tables of
/// comparable types define them. `None`: no ordering between these types.
fn compare(op: CompareOp, v: &Val<'_>, lit: &Value) -> Result<Option<bool>, EvalError> {
    if matches!(op, CompareOp::Eq | CompareOp::Ne) {
        // Values of types that cannot be equal compare unequal, so `!=` holds.
        let eq = equal(v, lit)?;
        return Ok(Some(eq == (op == CompareOp::Eq)));
    }
    let ord = match order(v, lit)? {
        Order::None => return Ok(None),
        // A string with code points beyond 255 against bytes: false.
        Order::Invalid => return Ok(Some(false)),
        Order::Is(o) => o,
    };
    Ok(Some(match op {
        CompareOp::Lt => ord == Ordering::Less,
        CompareOp::Le => ord != Ordering::Greater,
        CompareOp::Gt => ord == Ordering::Greater,
        CompareOp::Ge => ord != Ordering::Less,
        CompareOp::Eq | CompareOp::Ne => false,
    }))
}

fn equal(v: &Val<'_>, lit: &Value) -> Result<bool, EvalError> {
    Ok(match (v, lit) {
        (Val::Json(Json::Number(n)), l) => {
            lit_num(l).and_then(|l| cmp_num(json_num(n), l)) == Some(Ordering::Equal)
        }
        (Val::Json(Json::String(s)), Value::Str(l)) => s == l,
        (Val::Json(Json::String(s)), Value::Hex(b) | Value::Binary(b)) => {
            octets(s).as_ref() == Some(b)
        }
        (Val::Json(Json::String(s)), Value::Timestamp(t)) => {
            time::parse(s)? == time::parse(t.as_str())?
        }
        (Val::Json(Json::Bool(b)), Value::Bool(l)) => b == l,
        (Val::Bytes(b), Value::Hex(l) | Value::Binary(l)) => b == l,
        (Val::Bytes(b), Value::Str(s)) => octets(s).as_ref() == Some(b),
        _ => false,
    })
}

enum Order {
    None,
    Invalid,
    Is(Ordering),
}

fn order(v: &Val<'_>, lit: &Value) -> Result<Order, EvalError> {
    let some = |o: Option<Ordering>| o.map_or(Order::None, Order::Is);
    Ok(match (v, lit) {
        (Val::Json(Json::Number(n)), l) => some(lit_num(l).and_then(|l| cmp_num(json_num(n), l))),
        (Val::Json(Json::String(s)), Value::Str(l)) => Order::Is(s.as_str().cmp(l.as_str())),
        (Val::Json(Json::String(s)), Value::Hex(b) | Value::Binary(b))
        | (Val::Bytes(b), Value::Str(s)) => match octets(s) {
            Some(o) => Order::Is(if matches!(v, Val::Bytes(_)) {
                b.cmp(&o)
            } else {
                o.cmp(b)
            }),
            None => Order::Invalid,
        },
        (Val::Json(Json::String(s)), Value::Timestamp(t)) => {
            Order::Is(time::parse(s)?.cmp(&time::parse(t.as_str())?))
        }
        (Val::Bytes(b), Value::Hex(l) | Value::Binary(l)) => Order::Is(b.as_slice().cmp(l)),
        _ => Order::None,
    })
}

/// Set membership compares as the reference's Python sets do: numbers by
/// value, booleans as the numbers 0 and 1, bytes never equal to text.
fn py_equal(v: &Val<'_>, lit: &Value) -> Result<bool, EvalError> {
    let as_num = |j: &Json| match j {
        Json::Number(n) => Some(json_num(n)),
        Json::Bool(b) => Some(Num::Int(i128::from(*b))),
        _ => None,
    };
    let lit_as_num = match lit {
        Value::Bool(b) => Some(Num::Int(i128::from(*b))),
        l => lit_num(l),
    };
    Ok(match (v, lit) {
        (Val::Json(Json::String(s)), Value::Timestamp(t)) => {
            time::parse(s)? == time::parse(t.as_str())?
        }
        (Val::Json(Json::String(s)), Value::Str(l)) => s == l,
        (Val::Bytes(b), Value::Hex(l) | Value::Binary(l)) => b == l,
        (Val::Json(j), _) => match (as_num(j), lit_as_num) {
            (Some(a), Some(b)) => cmp_num(a, b) == Some(Ordering::Equal),
            _ => false,
        },
        _ => false,
    })
}

/// An address or block: the address as 128 bits, its width and prefix length.
struct Block {
    addr: u128,
    width: u32,
    prefix: u32,
}

fn parse_block(s: &str) -> Result<Block, EvalError> {
    let bad = || EvalError::Cidr(s.to_owned());
    let (ip, prefix) = match s.split_once('/') {
        Some((ip, p)) => {
            if p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()) {
                return Err(bad());
            }
            (ip, Some(p.parse::<u32>().map_err(|_| bad())?))
        }
        None => (s, None),
    };
    let (addr, width) = if let Ok(a) = ip.parse::<Ipv4Addr>() {
        (u128::from(u32::from(a)), 32)
    } else if let Ok(a) = ip.parse::<Ipv6Addr>() {
        (u128::from(a), 128)
    } else {
        return Err(bad());
    };
    let prefix = prefix.unwrap_or(width);
    if prefix > width {
        return Err(bad());
    }
    Ok(Block {
        addr,
        width,
        prefix,
    })
}

/// Whether the address or block `inner` lies within the block `outer`; a
/// bare address is a block of one.
fn contained(inner: &str, outer: &str) -> Result<bool, EvalError> {
    let i = parse_block(inner)?;
    let o = parse_block(outer)?;
    if i.width != o.width {
        // An IPv4 value against an IPv6 block, or the reverse: not comparable.
        return Err(EvalError::Cidr(format!("{inner} against {outer}")));
    }
    if o.prefix > i.prefix {
        return Ok(false);
    }
    let shift = o.width - o.prefix;
    let mask = if shift >= 128 { 0 } else { u128::MAX << shift };
    Ok(i.addr & mask == o.addr & mask)
}

#[cfg(test)]
mod tests {
    use super::pcre_dollar;

    macro_rules! dollar {
        ($name:ident, $src:expr, $want:expr) => {
            #[test]
            fn $name() {
                assert_eq!(pcre_dollar($src), $want);
            }
        };
    }

    dollar!(end_anchor, "line2$", "line2(?=\\n?\\z)");
    dollar!(escaped_dollar_is_literal, "cost\\$", "cost\\$");
    dollar!(dollar_in_class_is_literal, "[$]x", "[$]x");
    dollar!(bracket_first_in_class, "[]$]$", "[]$](?=\\n?\\z)");
    dollar!(negated_class, "[^$]$", "[^$](?=\\n?\\z)");
    dollar!(multiline_flag_keeps_dollar, "(?m)a$", "(?m)a$");
    dollar!(
        flag_turned_off_is_not_multiline,
        "(?i-m)a$",
        "(?i-m)a(?=\\n?\\z)"
    );
}
