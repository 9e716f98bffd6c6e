//! Property rules: a small table language for "this property holds that kind of
//! value", and the one function that applies a rule to a value.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::ctx::{Ctx, Path};
use super::formats;
use crate::id::split_id;
use crate::timestamp::Timestamp;
use crate::vocab;

/// What a property holds.
#[derive(Clone, Copy)]
pub(crate) enum Rule {
    /// Any value that passes the generic checks (no null, no empty list).
    Any,
    Str,
    Bool,
    /// An integer within the bounds (inclusive). Floats with no fractional part
    /// count as integers, as in JSON Schema.
    Int(i64, i64),
    /// Any number within the bounds (inclusive).
    Num(f64, f64),
    Timestamp,
    /// A non-empty list of strings.
    StrList,
    /// A string from an open vocabulary: anything else is a SHOULD finding.
    Vocab(&'static str, &'static [&'static str]),
    /// A non-empty list of strings from an open vocabulary.
    VocabList(&'static str, &'static [&'static str]),
    Ref(Refs),
    /// A non-empty list of identifiers.
    RefList(Refs),
    KillChainPhases,
    Hashes,
    /// A dictionary: keys of `A-Za-z0-9_-`, values not null, lists not empty.
    Dict,
    Hex,
    /// A rule written as a function.
    With(fn(&mut Ctx<'_>, &Path<'_>, &Value)),
}

/// Which objects an identifier may point at.
#[derive(Clone, Copy)]
pub(crate) enum Refs {
    Any,
    /// Only these types.
    To(&'static [&'static str]),
    /// Anything but these types.
    NotTo(&'static [&'static str]),
    /// An SDO (a STIX 2.1 SDO type, or a custom type that is not a STIX SCO, SRO,
    /// marking, bundle or meta object).
    Sdo,
    /// An SCO or an SRO (custom types allowed, STIX SDO types not).
    ScoOrSro,
}

/// A property of a type.
pub(crate) struct Prop {
    pub(crate) name: &'static str,
    pub(crate) rule: Rule,
    pub(crate) required: bool,
}

pub(crate) const fn req(name: &'static str, rule: Rule) -> Prop {
    Prop {
        name,
        rule,
        required: true,
    }
}

pub(crate) const fn opt(name: &'static str, rule: Rule) -> Prop {
    Prop {
        name,
        rule,
        required: false,
    }
}

pub(crate) const TIMESTAMP_EXPECTED: &str = "a STIX timestamp (YYYY-MM-DDTHH:MM:SS[.s+]Z)";

/// Whether `v` is an integer in JSON Schema's sense (1.0 counts).
pub(crate) fn as_integer(v: &Value) -> Option<i128> {
    match v {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some(i128::from(i))
            } else if let Some(u) = n.as_u64() {
                Some(i128::from(u))
            } else {
                let f = n.as_f64()?;
                (f.fract() == 0.0 && f.abs() < 1e30).then_some(f as i128)
            }
        }
        _ => None,
    }
}

/// Parses a timestamp value, reporting what is wrong.
pub(crate) fn timestamp(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value) -> Option<Timestamp> {
    match v {
        Value::String(s) => match Timestamp::parse(s) {
            Ok(t) => Some(t),
            Err(e) => {
                let got = format!("{} ({})", super::ctx::show(v), e.reason());
                ctx.report(
                    crate::error::Severity::Must,
                    path,
                    crate::error::ErrorKind::Expected {
                        expected: TIMESTAMP_EXPECTED.into(),
                        got,
                    },
                );
                None
            }
        },
        _ => {
            ctx.expected(path, TIMESTAMP_EXPECTED, v);
            None
        }
    }
}

/// Applies `rule` to `v` at `path`.
pub(crate) fn apply(ctx: &mut Ctx<'_>, path: &Path<'_>, rule: Rule, v: &Value) {
    match rule {
        Rule::Any => {}
        Rule::Str => {
            if !v.is_string() {
                ctx.expected(path, "a string", v);
            }
        }
        Rule::Bool => {
            if !v.is_boolean() {
                ctx.expected(path, "a boolean", v);
            }
        }
        Rule::Int(min, max) => match as_integer(v) {
            Some(i) if i >= i128::from(min) && i <= i128::from(max) => {}
            _ => ctx.expected(path, int_expected(min, max), v),
        },
        Rule::Num(min, max) => match v.as_f64() {
            Some(f) if f >= min && f <= max => {}
            _ => ctx.expected(path, format!("a number between {min} and {max}"), v),
        },
        Rule::Timestamp => {
            timestamp(ctx, path, v);
        }
        Rule::StrList => str_list(ctx, path, v, None),
        Rule::Vocab(name, values) => match v.as_str() {
            Some(s) => {
                if !values.contains(&s) {
                    ctx.should_expected("open-vocab", path, vocab_expected(name), v);
                }
            }
            None => ctx.expected(path, "a string", v),
        },
        Rule::VocabList(name, values) => str_list(ctx, path, v, Some((name, values))),
        Rule::Ref(refs) => reference(ctx, path, v, refs),
        Rule::RefList(refs) => match v.as_array() {
            Some(items) if !items.is_empty() => {
                for (i, item) in items.iter().enumerate() {
                    reference(ctx, &path.index(i), item, refs);
                }
            }
            _ => ctx.expected(path, "a non-empty list of identifiers", v),
        },
        Rule::KillChainPhases => kill_chain_phases(ctx, path, v),
        Rule::Hashes => hashes(ctx, path, v),
        Rule::Dict => dictionary(ctx, path, v),
        Rule::Hex => match v.as_str() {
            Some(s) if formats::is_hex(s) => {}
            _ => ctx.expected(path, "a hex string (an even number of 0-9a-fA-F)", v),
        },
        Rule::With(f) => f(ctx, path, v),
    }
}

fn int_expected(min: i64, max: i64) -> Cow<'static, str> {
    match (min, max) {
        (i64::MIN, i64::MAX) => "an integer".into(),
        (0, i64::MAX) => "a non-negative integer".into(),
        (min, i64::MAX) => format!("an integer of at least {min}").into(),
        (min, max) => format!("an integer between {min} and {max}").into(),
    }
}

fn vocab_expected(name: &str) -> String {
    format!("a value of the {name} vocabulary (open, but other values are refused in strict mode)")
}

fn str_list(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value, vocab: Option<(&str, &[&str])>) {
    let Some(items) = v.as_array().filter(|a| !a.is_empty()) else {
        ctx.expected(path, "a non-empty list of strings", v);
        return;
    };
    for (i, item) in items.iter().enumerate() {
        match (item.as_str(), vocab) {
            (None, _) => ctx.expected(&path.index(i), "a string", item),
            (Some(s), Some((name, values))) if !values.contains(&s) => {
                ctx.should_expected("open-vocab", &path.index(i), vocab_expected(name), item)
            }
            _ => {}
        }
    }
}

/// Whether `ty` is a STIX SDO type or a custom type that is not one of the other
/// categories (a custom SDO, as far as a reference can tell).
pub(crate) fn is_sdo_like(ty: &str) -> bool {
    vocab::SDO_TYPES.contains(&ty)
        || !(vocab::SCO_TYPES.contains(&ty)
            || matches!(
                ty,
                "relationship"
                    | "sighting"
                    | "marking-definition"
                    | "bundle"
                    | "language-content"
                    | "extension-definition"
            ))
}

fn reference(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value, refs: Refs) {
    let Some(s) = v.as_str() else {
        ctx.expected(path, ref_expected(refs), v);
        return;
    };
    let Some((ty, _)) = split_id(s) else {
        ctx.expected(path, ref_expected(refs), v);
        return;
    };
    let ok = match refs {
        Refs::Any => true,
        Refs::To(types) => types.contains(&ty),
        Refs::NotTo(types) => !types.contains(&ty),
        Refs::Sdo => is_sdo_like(ty),
        Refs::ScoOrSro => {
            !vocab::SDO_TYPES.contains(&ty)
                && !matches!(
                    ty,
                    "marking-definition" | "bundle" | "language-content" | "extension-definition"
                )
        }
    };
    if !ok {
        ctx.expected(path, ref_expected(refs), v);
    }
}

pub(crate) fn ref_expected(refs: Refs) -> Cow<'static, str> {
    match refs {
        Refs::Any => "an identifier (type--UUID)".into(),
        Refs::To(types) => format!("an identifier of {}", types.join(" or ")).into(),
        Refs::NotTo(types) => format!("an identifier of anything but {}", types.join(", ")).into(),
        Refs::Sdo => "an identifier of an SDO".into(),
        Refs::ScoOrSro => "an identifier of an SCO or SRO".into(),
    }
}

fn kill_chain_phases(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value) {
    let Some(items) = v.as_array().filter(|a| !a.is_empty()) else {
        ctx.expected(path, "a non-empty list of kill-chain phases", v);
        return;
    };
    for (i, item) in items.iter().enumerate() {
        let p = path.index(i);
        let Some(m) = item.as_object() else {
            ctx.expected(&p, "a kill-chain phase {kill_chain_name, phase_name}", item);
            continue;
        };
        for name in ["kill_chain_name", "phase_name"] {
            let pp = p.key(name);
            match m.get(name) {
                None => ctx.missing(&pp, "a string"),
                Some(Value::String(s)) => {
                    // The reference validator's SHOULD: lower case, hyphens as separators.
                    if !is_lower_hyphenated(s) {
                        ctx.should_expected(
                            "kill-chain-names",
                            &pp,
                            "lower case with hyphens as word separators",
                            &m[name],
                        );
                    }
                }
                Some(other) => ctx.expected(&pp, "a string", other),
            }
        }
    }
}

/// Lower case (with at least one letter, like Python's `str.islower`), no spaces
/// or underscores.
pub(crate) fn is_lower_hyphenated(s: &str) -> bool {
    s.chars().any(char::is_lowercase)
        && !s.chars().any(char::is_uppercase)
        && !s.contains(['_', ' '])
}

/// Expected hex length of a hash algorithm, or the SSDEEP/TLSH alphabet rules.
fn hash_ok(algo: &str, value: &str) -> Option<bool> {
    let hex_len = |n: usize| value.len() == n && value.bytes().all(|c| c.is_ascii_hexdigit());
    Some(match algo {
        "MD5" => hex_len(32),
        "SHA-1" => hex_len(40),
        "SHA-256" | "SHA3-256" => hex_len(64),
        "SHA-512" | "SHA3-512" => hex_len(128),
        "SSDEEP" => {
            (1..=128).contains(&value.len())
                && value
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"/+:.".contains(&c))
        }
        "TLSH" => value.len() == 70 && value.bytes().all(|c| c.is_ascii_alphanumeric()),
        _ => return None,
    })
}

fn hash_expected(algo: &str) -> &'static str {
    match algo {
        "MD5" => "an MD5 hash (32 hex digits)",
        "SHA-1" => "a SHA-1 hash (40 hex digits)",
        "SHA-256" => "a SHA-256 hash (64 hex digits)",
        "SHA3-256" => "a SHA3-256 hash (64 hex digits)",
        "SHA-512" => "a SHA-512 hash (128 hex digits)",
        "SHA3-512" => "a SHA3-512 hash (128 hex digits)",
        "SSDEEP" => "an SSDEEP hash (1-128 of A-Za-z0-9/+:.)",
        _ => "a TLSH hash (70 of A-Za-z0-9)",
    }
}

/// A `hashes` dictionary: known algorithms with values of the right form; other
/// keys must be `x_`-prefixed custom algorithms (SHOULD, as the validator's
/// hash-algo check) of 3–250 characters.
pub(crate) fn hashes(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value) {
    let Some(m) = v.as_object().filter(|m| !m.is_empty()) else {
        ctx.expected(path, "a non-empty dictionary of hashes", v);
        return;
    };
    for (algo, value) in m {
        let p = path.key(algo);
        let Some(s) = value.as_str() else {
            ctx.expected(&p, "a hash value (string)", value);
            continue;
        };
        match hash_ok(algo, s) {
            Some(true) => {}
            Some(false) => ctx.expected(&p, hash_expected(algo), value),
            None => {
                if !formats::is_dictionary_key(algo) || algo.len() < 3 {
                    ctx.not_allowed(
                        &p,
                        "hash algorithm names are 3-250 characters of A-Za-z0-9_-",
                    );
                } else if !algo.starts_with("x_") {
                    ctx.should_not(
                        "hash-algo",
                        &p,
                        "not a hash-algorithm-ov value; custom algorithms start with x_",
                    );
                } else if algo.len() > 30 {
                    ctx.should_not(
                        "hash-algo",
                        &p,
                        "hash algorithm names should be at most 30 characters",
                    );
                }
            }
        }
    }
}

/// A STIX dictionary.
pub(crate) fn dictionary(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value) {
    let Some(m) = v.as_object().filter(|m| !m.is_empty()) else {
        ctx.expected(path, "a non-empty dictionary", v);
        return;
    };
    dictionary_members(ctx, path, m);
}

pub(crate) fn dictionary_members(ctx: &mut Ctx<'_>, path: &Path<'_>, m: &Map<String, Value>) {
    for (k, val) in m {
        let p = path.key(k);
        if !formats::is_dictionary_key(k) {
            ctx.not_allowed(
                &p,
                "dictionary keys are up to 250 characters of A-Za-z0-9_-",
            );
        }
        generic_value(ctx, &p, val);
    }
}

/// The rules every property value follows: not null, not an empty list.
/// Returns false when the value broke one (further checks would only repeat it).
pub(crate) fn generic_value(ctx: &mut Ctx<'_>, path: &Path<'_>, v: &Value) -> bool {
    match v {
        Value::Null => {
            ctx.expected(
                path,
                "a value (null is not allowed; leave the property out)",
                v,
            );
            false
        }
        Value::Array(a) if a.is_empty() => {
            ctx.expected(path, "a non-empty list (leave the property out instead)", v);
            false
        }
        _ => true,
    }
}
