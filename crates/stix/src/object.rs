//! [`Object`]: a STIX 2.1 object as a JSON map with typed accessors.

use serde_json::{Map, Value};

/// The category of a STIX object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// A STIX Domain Object (indicator, malware, …), including custom object types
    /// that carry `created`/`modified`.
    Sdo,
    /// A STIX Relationship Object: `relationship` or `sighting`.
    Sro,
    /// A STIX Cyber-observable Object (ipv4-addr, file, …), including custom object
    /// types without `created`/`modified`.
    Sco,
    /// A `marking-definition`.
    Marking,
    /// `language-content` or `extension-definition`.
    Meta,
}

/// A STIX object. Build one with [`crate::validate`] (which wraps it in
/// [`crate::Validated`]) or, unchecked, with [`Object::from_map_unchecked`].
#[derive(Debug, Clone)]
pub struct Object {
    /// Always a `Value::Object`.
    value: Value,
    kind: Kind,
    /// The canonical JSON, once computed: an object never changes after it
    /// is built, so it is canonicalised at most once, wherever that is cheapest
    /// (a server does it on its worker threads, not in its single writer).
    canonical: std::sync::OnceLock<Vec<u8>>,
}

impl PartialEq for Object {
    fn eq(&self, other: &Object) -> bool {
        self.kind == other.kind && self.value == other.value
    }
}

impl Object {
    pub(crate) fn new(map: Map<String, Value>, kind: Kind) -> Object {
        Object {
            value: Value::Object(map),
            kind,
            canonical: std::sync::OnceLock::new(),
        }
    }

    /// Wraps a JSON map without validating it (for tests and for objects read back
    /// from trusted storage). `kind` is guessed from the type as validation would.
    pub fn from_map_unchecked(map: Map<String, Value>) -> Object {
        let ty = map.get("type").and_then(Value::as_str).unwrap_or("");
        let has_created = map.contains_key("created") || map.contains_key("modified");
        let kind = crate::validate::kind_of(ty, has_created);
        Object {
            value: Value::Object(map),
            kind,
            canonical: std::sync::OnceLock::new(),
        }
    }

    fn str_prop(&self, name: &str) -> Option<&str> {
        self.value.get(name).and_then(Value::as_str)
    }

    /// `id`, e.g. `indicator--9a676219-ef05-46fe-a603-ebebd9e5f2b3`.
    pub fn id(&self) -> &str {
        self.str_prop("id").unwrap_or("")
    }

    /// `type`, e.g. `indicator`.
    pub fn type_name(&self) -> &str {
        self.str_prop("type").unwrap_or("")
    }

    /// `spec_version`; SCOs may leave it out, and then `"2.1"` is implied.
    pub fn spec_version(&self) -> &str {
        self.str_prop("spec_version").unwrap_or("2.1")
    }

    /// `created`; `None` for SCOs.
    pub fn created(&self) -> Option<&str> {
        self.str_prop("created")
    }

    /// `modified`, which with `id` names a version; `None` for SCOs and
    /// marking-definitions, which are not versioned.
    pub fn modified(&self) -> Option<&str> {
        match self.kind {
            Kind::Sco | Kind::Marking => None,
            _ => self.str_prop("modified"),
        }
    }

    /// `created_by_ref`: the id of the identity that made the object.
    pub fn created_by_ref(&self) -> Option<&str> {
        self.str_prop("created_by_ref")
    }

    /// `revoked`, false when absent.
    pub fn revoked(&self) -> bool {
        self.value
            .get("revoked")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// The ids in `object_marking_refs`.
    pub fn object_marking_refs(&self) -> impl Iterator<Item = &str> {
        self.value
            .get("object_marking_refs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
    }

    /// The category of the object.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// A STIX Domain Object.
    pub fn is_sdo(&self) -> bool {
        self.kind == Kind::Sdo
    }

    /// A STIX Relationship Object.
    pub fn is_sro(&self) -> bool {
        self.kind == Kind::Sro
    }

    /// A STIX Cyber-observable Object.
    pub fn is_sco(&self) -> bool {
        self.kind == Kind::Sco
    }

    /// A marking-definition.
    pub fn is_marking(&self) -> bool {
        self.kind == Kind::Marking
    }

    /// A property by name.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.value.get(name)
    }

    /// The object as a JSON value (always a JSON object).
    pub fn as_value(&self) -> &Value {
        &self.value
    }

    /// The object as a JSON value (always a JSON object).
    pub fn into_value(self) -> Value {
        self.value
    }

    /// The object's RFC 8785 canonical JSON, computed on the first call.
    pub fn canonical_bytes(&self) -> Result<&[u8], crate::CanonicalError> {
        if let Some(bytes) = self.canonical.get() {
            return Ok(bytes);
        }
        let bytes = crate::canonical::to_vec(&self.value)?;
        Ok(self.canonical.get_or_init(|| bytes))
    }
}

/// Whether an object with this `type` and `id` is an indicator: the type
/// says `indicator` and the id's prefix says so too.
///
/// The one rule for "an indicator" everywhere (warninglists, matching,
/// exports, PSI): selecting by one of the two alone lets an object typed
/// `x-threat-indicator` with an `indicator--` id be matched but never
/// checked, or the reverse.
pub fn names_indicator(type_name: &str, id: &str) -> bool {
    type_name == "indicator" && id.strip_prefix("indicator--").is_some()
}

/// [`names_indicator`] of a JSON object; false when `type` or `id` is not a string.
pub fn is_indicator(object: &Value) -> bool {
    match (
        object.get("type").and_then(Value::as_str),
        object.get("id").and_then(Value::as_str),
    ) {
        (Some(t), Some(id)) => names_indicator(t, id),
        _ => false,
    }
}

#[cfg(test)]
mod indicator_tests {
    use super::*;

    #[test]
    fn an_indicator_needs_both_its_type_and_its_id() {
        let cases = [
            (r#"{"type":"indicator","id":"indicator--1"}"#, true),
            (
                r#"{"type":"x-threat-indicator","id":"indicator--1"}"#,
                false,
            ),
            (r#"{"type":"indicator","id":"malware--1"}"#, false),
            (r#"{"type":"indicator"}"#, false),
            (r#"{"type":"indicator","id":7}"#, false),
        ];
        for (src, want) in cases {
            let v: Value = serde_json::from_str(src).unwrap();
            assert_eq!(is_indicator(&v), want, "{src}");
        }
    }
}
