//! Bytes to JSON documents: one object, an array of objects, or a bundle.
//!
//! Stricter than `serde_json::from_slice` in two ways that matter for a log of
//! signed objects: a member name repeated inside one JSON object is an error
//! (I-JSON, RFC 7493; otherwise two readers may see two different objects), and
//! nothing may follow the document except whitespace.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::error::{ParseError, ParseErrorKind};

/// A parsed document, before validation.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Document {
    /// A single JSON object (a STIX object, valid or not).
    Object(Value),
    /// A JSON array whose members are all JSON objects.
    Array(Vec<Value>),
    /// A bundle (`"type": "bundle"`): its own properties, without `objects`
    /// (kept there only when it is not an array), and its members.
    Bundle {
        /// The bundle's properties other than `objects`.
        bundle: Map<String, Value>,
        /// The members of `objects`, all JSON objects.
        objects: Vec<Value>,
    },
}

impl Document {
    /// The STIX objects in the document, in order.
    pub fn objects(&self) -> &[Value] {
        match self {
            Document::Object(v) => std::slice::from_ref(v),
            Document::Array(v) => v,
            Document::Bundle { objects, .. } => objects,
        }
    }

    /// Takes the STIX objects out.
    pub fn into_objects(self) -> Vec<Value> {
        match self {
            Document::Object(v) => vec![v],
            Document::Array(v) => v,
            Document::Bundle { objects, .. } => objects,
        }
    }
}

/// Parses one JSON document: a STIX object, an array of objects, or a bundle.
///
/// ```
/// let doc = stix::parse(br#"{"type":"bundle","id":"bundle--6611af14-fa12-4fbf-b3f3-1d04f3122421","objects":[]}"#)?;
/// assert!(matches!(doc, stix::Document::Bundle { .. }));
/// let err = stix::parse(br#"{"a":1} {"#).unwrap_err();
/// assert_eq!((err.line, err.column), (1, 9));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse(bytes: &[u8]) -> Result<Document, ParseError> {
    let value = parse_value(bytes)?;
    match value {
        Value::Object(mut map) => {
            if map.get("type").and_then(Value::as_str) == Some("bundle") {
                let objects = match map.get("objects") {
                    Some(Value::Array(_)) => match map.shift_remove("objects") {
                        Some(Value::Array(objects)) => objects,
                        _ => Vec::new(),
                    },
                    _ => Vec::new(),
                };
                check_members(&objects)?;
                Ok(Document::Bundle {
                    bundle: map,
                    objects,
                })
            } else {
                Ok(Document::Object(Value::Object(map)))
            }
        }
        Value::Array(items) => {
            check_members(&items)?;
            Ok(Document::Array(items))
        }
        other => Err(ParseError {
            line: 1,
            column: 1,
            kind: ParseErrorKind::NotStix(kind_name(&other)),
        }),
    }
}

/// Parses any one JSON value strictly (no duplicate member names, no trailing
/// input).
pub fn parse_value(bytes: &[u8]) -> Result<Value, ParseError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = StrictValue.deserialize(&mut de).map_err(json_error)?;
    de.end().map_err(|e| ParseError {
        line: e.line(),
        column: e.column(),
        kind: ParseErrorKind::TrailingInput,
    })?;
    Ok(value)
}

fn check_members(items: &[Value]) -> Result<(), ParseError> {
    match items.iter().position(|v| !v.is_object()) {
        Some(index) => Err(ParseError {
            line: 0,
            column: 0,
            kind: ParseErrorKind::MemberNotObject { index },
        }),
        None => Ok(()),
    }
}

pub(crate) fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

const DUPLICATE: &str = "\u{1}duplicate:";

fn json_error(e: serde_json::Error) -> ParseError {
    let (line, column) = (e.line(), e.column());
    let text = e.to_string();
    let kind = match text.strip_prefix(DUPLICATE) {
        Some(rest) => {
            let name = rest.split(" at line ").next().unwrap_or(rest);
            ParseErrorKind::DuplicateKey(name.to_owned())
        }
        None => {
            let msg = text.split(" at line ").next().unwrap_or(&text);
            ParseErrorKind::Json(msg.to_owned())
        }
    };
    ParseError { line, column, kind }
}

/// Builds a `serde_json::Value`, refusing duplicate member names.
struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element_seed(StrictValue)? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(de::Error::custom(format_args!("{DUPLICATE}{key}")));
            }
            let v = access.next_value_seed(StrictValue)?;
            map.insert(key, v);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! rejects {
        ($name:ident, $src:expr, $kind:pat, $line:expr, $col:expr) => {
            #[test]
            fn $name() {
                let e = parse($src).unwrap_err();
                assert!(matches!(e.kind, $kind), "{e:?}");
                assert_eq!((e.line, e.column), ($line, $col), "{e}");
            }
        };
    }
    macro_rules! accepts {
        ($name:ident, $src:expr, $n:expr) => {
            #[test]
            fn $name() {
                assert_eq!(parse($src).unwrap().objects().len(), $n);
            }
        };
    }

    rejects!(
        trailing_object,
        b"{\"a\":1} {}",
        ParseErrorKind::TrailingInput,
        1,
        9
    );
    rejects!(
        trailing_garbage,
        b"{\"a\":1}\n x",
        ParseErrorKind::TrailingInput,
        2,
        2
    );
    rejects!(
        duplicate_key,
        b"{\"type\":\"a\",\n\"type\":\"b\"}",
        ParseErrorKind::DuplicateKey(_),
        2,
        6
    );
    rejects!(
        nested_duplicate,
        b"[{\"x\":{\"k\":1,\"k\":2}}]",
        ParseErrorKind::DuplicateKey(_),
        1,
        16
    );
    rejects!(bad_json, b"{\"a\":}", ParseErrorKind::Json(_), 1, 6);
    rejects!(scalar, b"42", ParseErrorKind::NotStix("a number"), 1, 1);
    rejects!(
        array_of_scalars,
        b"[{}, 3]",
        ParseErrorKind::MemberNotObject { index: 1 },
        0,
        0
    );
    rejects!(empty, b"", ParseErrorKind::Json(_), 1, 0);
    rejects!(
        invalid_utf8,
        b"{\"a\":\"\xff\"}",
        ParseErrorKind::Json(_),
        1,
        7
    );

    accepts!(one_object, b" {\"type\":\"indicator\"} \n", 1);
    accepts!(array, b"[{\"a\":1},{\"b\":2}]", 2);
    accepts!(
        bundle,
        b"{\"type\":\"bundle\",\"id\":\"bundle--x\",\"objects\":[{},{}]}",
        2
    );
    accepts!(
        bundle_without_objects,
        b"{\"type\":\"bundle\",\"id\":\"bundle--x\"}",
        0
    );

    #[test]
    fn duplicate_key_is_named() {
        let e = parse(b"{\"id\":1,\"id\":2}").unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::DuplicateKey("id".into()));
        assert_eq!(
            e.to_string(),
            "line 1, column 12: duplicate member name \"id\""
        );
    }
}
