//! RFC 8785 JSON Canonicalization Scheme (JCS).
//!
//! * Object members sorted by their names compared as UTF-16 code units.
//! * No whitespace.
//! * Strings as ECMAScript's `JSON.stringify` writes them: `\"`, `\\`, `\b`, `\f`,
//!   `\n`, `\r`, `\t`, other controls below U+0020 as `\u00xx` (lower-case hex), and
//!   every other character as itself in UTF-8.
//! * Numbers as ECMAScript's `Number.prototype.toString`: the shortest digits that
//!   round-trip (from `ryu`), then plain notation for exponents from -6 to 20 and
//!   `1e+21` / `1.5e-7` style beyond. `-0` is written `0`.
//!
//! Integers that `serde_json` holds as `i64`/`u64` are exact up to 2^53. Beyond
//! that, an integer whose text is not already the canonical text of the nearest
//! double (`2^60` = 1152921504606846976 would become 1152921504606847000) is
//! refused ([`CanonicalError::UnsafeInteger`]) instead of silently changed.
//!
//! ```
//! let v: serde_json::Value = serde_json::from_str(r#"{"b":[1.50,1e21],"a":"\u00e9"}"#)?;
//! assert_eq!(stix::canonical::to_string(&v)?, r#"{"a":"é","b":[1.5,1e+21]}"#);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde_json::{Map, Number, Value};

use crate::error::CanonicalError;

/// 2^53: every integer of at most this magnitude is exact as a double.
const MAX_SAFE: u64 = 1 << 53;

/// The canonical UTF-8 bytes of `value`.
pub fn to_vec(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = String::with_capacity(1024);
    write_value(&mut out, value)?;
    Ok(out.into_bytes())
}

/// The canonical form of `value` as a `String`.
pub fn to_string(value: &Value) -> Result<String, CanonicalError> {
    let mut out = String::with_capacity(256);
    write_value(&mut out, value)?;
    Ok(out)
}

/// Appends the canonical form of `value` to `out`.
pub fn write_value(out: &mut String, value: &Value) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(out, n)?,
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item)?;
            }
            out.push(']');
        }
        Value::Object(map) => write_object(out, map)?,
    }
    Ok(())
}

fn write_object(out: &mut String, map: &Map<String, Value>) -> Result<(), CanonicalError> {
    let mut members: Vec<(&String, &Value)> = map.iter().collect();
    members.sort_unstable_by(|a, b| cmp_utf16(a.0, b.0));
    out.push('{');
    for (i, (k, v)) in members.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, k);
        out.push(':');
        write_value(out, v)?;
    }
    out.push('}');
    Ok(())
}

/// Compares two strings as sequences of UTF-16 code units (RFC 8785 section 3.2.3).
pub fn cmp_utf16(a: &str, b: &str) -> std::cmp::Ordering {
    if a.is_ascii() && b.is_ascii() {
        // Same order as UTF-16 for ASCII, and much cheaper.
        return a.as_bytes().cmp(b.as_bytes());
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

/// Appends `s` as a JSON string literal, escaped as ECMAScript does.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    if !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        // Nothing to escape: the common case.
        out.push_str(s);
        out.push('"');
        return;
    }
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xf)] as char);
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

fn write_number(out: &mut String, n: &Number) -> Result<(), CanonicalError> {
    let int = match (n.as_u64(), n.as_i64()) {
        (Some(u), _) => Some((u > MAX_SAFE, u as f64, u.to_string())),
        (None, Some(i)) => Some((i.unsigned_abs() > MAX_SAFE, i as f64, i.to_string())),
        _ => None,
    };
    match int {
        Some((false, _, text)) => {
            out.push_str(&text);
            Ok(())
        }
        // Beyond 2^53 an integer survives only if its text is already what the
        // nearest double prints as (e.g. 1152921504606847000); otherwise the
        // canonical form would hold a different number.
        Some((true, f, text)) => {
            let canonical = number_to_string(f)?;
            if canonical == text {
                out.push_str(&canonical);
                Ok(())
            } else {
                Err(CanonicalError::UnsafeInteger(text))
            }
        }
        None => match n.as_f64() {
            Some(f) => write_f64(out, f),
            None => Err(CanonicalError::NonFinite(n.to_string())),
        },
    }
}

/// The ECMAScript `Number.prototype.toString` form of `f` (RFC 8785 section 3.2.2.3).
pub fn number_to_string(f: f64) -> Result<String, CanonicalError> {
    let mut out = String::with_capacity(24);
    write_f64(&mut out, f)?;
    Ok(out)
}

fn write_f64(out: &mut String, f: f64) -> Result<(), CanonicalError> {
    if !f.is_finite() {
        return Err(CanonicalError::NonFinite(f.to_string()));
    }
    if f == 0.0 {
        out.push('0'); // also -0
        return Ok(());
    }
    if f < 0.0 {
        out.push('-');
    }
    // Shortest round-trip digits from ryu, whatever notation it picked, reduced to
    // a digit string `d` and exponent `n` with value = 0.d × 10^n.
    let mut buf = ryu::Buffer::new();
    let text = buf.format_finite(f.abs());
    let (mantissa, exp) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], text[i + 1..].parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let point = mantissa.find('.').unwrap_or(mantissa.len()) as i32;
    let mut digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    let lead = digits.iter().take_while(|&&d| d == b'0').count();
    digits.drain(..lead);
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    // n is where the decimal point sits relative to the first significant digit.
    let n = point - lead as i32 + exp;
    let k = digits.len() as i32;
    let ds = std::str::from_utf8(&digits).unwrap_or("0");
    if k <= n && n <= 21 {
        out.push_str(ds);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        out.push_str(&ds[..n as usize]);
        out.push('.');
        out.push_str(&ds[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(ds);
    } else {
        out.push_str(&ds[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&ds[1..]);
        }
        let e = n - 1;
        out.push('e');
        out.push(if e < 0 { '-' } else { '+' });
        out.push_str(&e.unsigned_abs().to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// RFC 8785 Appendix B: IEEE-754 bit patterns and their canonical text.
    /// Cross-checked against node's `JSON.stringify`.
    const APPENDIX_B: &[(u64, &str)] = &[
        (0x0000000000000000, "0"),
        (0x8000000000000000, "0"),
        (0x0000000000000001, "5e-324"),
        (0x8000000000000001, "-5e-324"),
        (0x7fefffffffffffff, "1.7976931348623157e+308"),
        (0xffefffffffffffff, "-1.7976931348623157e+308"),
        (0x4340000000000000, "9007199254740992"),
        (0xc340000000000000, "-9007199254740992"),
        (0x4430000000000000, "295147905179352830000"),
        (0x44b52d02c7e14af5, "9.999999999999997e+22"),
        (0x44b52d02c7e14af6, "1e+23"),
        (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
        (0x444b1ae4d6e2ef4e, "999999999999999700000"),
        (0x444b1ae4d6e2ef4f, "999999999999999900000"),
        (0x444b1ae4d6e2ef50, "1e+21"),
        (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
        (0x3eb0c6f7a0b5ed8d, "0.000001"),
        (0x41b3de4355555553, "333333333.3333332"),
        (0x41b3de4355555554, "333333333.33333325"),
        (0x41b3de4355555555, "333333333.3333333"),
        (0x41b3de4355555556, "333333333.3333334"),
        (0x41b3de4355555557, "333333333.33333343"),
        (0xbecbf647612f3696, "-0.0000033333333333333333"),
        (0x43143ff3c1cb0959, "1424953923781206.2"),
    ];

    #[test]
    fn rfc8785_appendix_b_numbers() {
        for &(bits, want) in APPENDIX_B {
            let got = number_to_string(f64::from_bits(bits)).unwrap();
            assert_eq!(got, want, "bits {bits:016x}");
        }
    }

    #[test]
    fn rfc8785_non_finite_numbers_are_errors() {
        for bits in [
            0x7fffffffffffffffu64,
            0x7ff0000000000000,
            0xfff0000000000000,
        ] {
            assert!(number_to_string(f64::from_bits(bits)).is_err());
        }
    }

    /// RFC 8785 section 3.2.2: the "numbers/string/literals" example.
    #[test]
    fn rfc8785_section_3_2_2_example() {
        let input = r#"{
          "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }"#;
        let v: Value = serde_json::from_str(input).unwrap();
        let want = "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
        assert_eq!(to_string(&v).unwrap(), want);
    }

    /// RFC 8785 section 3.2.3: member names sorted by UTF-16 code units.
    #[test]
    fn rfc8785_section_3_2_3_sorting() {
        let input = r#"{
          "\u20ac": "Euro Sign",
          "\r": "Carriage Return",
          "\ufb33": "Hebrew Letter Dalet With Dagesh",
          "1": "One",
          "\ud83d\ude00": "Emoji: Grinning Face",
          "\u0080": "Control",
          "\u00f6": "Latin Small Letter O With Diaeresis"
        }"#;
        let v: Value = serde_json::from_str(input).unwrap();
        let out = to_string(&v).unwrap();
        let order: Vec<&str> = [
            "Carriage Return",
            "One",
            "Control",
            "Latin Small",
            "Euro Sign",
            "Emoji",
            "Hebrew",
        ]
        .into_iter()
        .collect();
        let mut last = 0;
        for name in order {
            let at = out.find(name).unwrap();
            assert!(at > last, "{name} out of order in {out}");
            last = at;
        }
    }

    macro_rules! canon {
        ($name:ident, $input:expr, $want:expr) => {
            #[test]
            fn $name() {
                let v: Value = serde_json::from_str($input).unwrap();
                assert_eq!(to_string(&v).unwrap(), $want);
            }
        };
    }
    canon!(
        nested_sorted,
        r#"{"b":{"z":1,"a":[]},"a":{}}"#,
        r#"{"a":{},"b":{"a":[],"z":1}}"#
    );
    canon!(
        controls,
        r#""\u0000\u001f\u007f\u2028""#,
        "\"\\u0000\\u001f\u{7f}\u{2028}\""
    );
    canon!(
        integral_float,
        "[50.0, -0.0, 1e2, 100000000000000000000.0]",
        "[50,0,100,100000000000000000000]"
    );
    canon!(
        small,
        "[0.0000001, 0.000001, 1.5e-7]",
        "[1e-7,0.000001,1.5e-7]"
    );
    canon!(
        negative_int,
        "[-42, 9007199254740992, -9007199254740992]",
        "[-42,9007199254740992,-9007199254740992]"
    );
    canon!(solidus_not_escaped, r#""a/b""#, r#""a/b""#);

    #[test]
    fn large_integers_in_canonical_form_are_kept() {
        let v: Value = serde_json::from_str("[1152921504606847000, -492215440045016900]").unwrap();
        assert_eq!(
            to_string(&v).unwrap(),
            "[1152921504606847000,-492215440045016900]"
        );
        let v: Value = serde_json::from_str("1152921504606846976").unwrap();
        assert!(matches!(to_vec(&v), Err(CanonicalError::UnsafeInteger(_))));
    }

    #[test]
    fn unsafe_integers_are_refused() {
        let v: Value = serde_json::from_str("9007199254740993").unwrap();
        assert!(matches!(to_vec(&v), Err(CanonicalError::UnsafeInteger(_))));
        let v: Value = serde_json::from_str("-9007199254740993").unwrap();
        assert!(matches!(to_vec(&v), Err(CanonicalError::UnsafeInteger(_))));
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-(1i64 << 53)..(1i64 << 53)).prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::btree_map(any::<String>(), inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn canonical_form_is_idempotent(v in arb_json()) {
            let once = to_vec(&v).unwrap();
            let reparsed: Value = serde_json::from_slice(&once).unwrap();
            let twice = to_vec(&reparsed).unwrap();
            prop_assert_eq!(once, twice);
        }

        #[test]
        fn numbers_round_trip(f in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
            let s = number_to_string(f).unwrap();
            let back: f64 = s.parse().unwrap();
            prop_assert_eq!(back, if f == 0.0 { 0.0 } else { f });
        }
    }
}
