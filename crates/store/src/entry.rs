//! Log entries: what one leaf of a collection's log says happened.
//!
//! An entry is the RFC 8785 canonical JSON of an envelope, so that anyone can
//! recompute its leaf hash from the object alone and two implementations agree
//! on the bytes:
//!
//! ```json
//! {"date_added":"2026-11-27T21:55:34.123456Z","object":{…},"op":"add"}
//! {"date_added":"2026-11-27T21:56:00.000001Z","id":"indicator--…","op":"withdraw"}
//! ```
//!
//! The leaf hash is taken over exactly these bytes, which are stored and served
//! verbatim; nothing is ever re-serialised before hashing.

use serde_json::{Map, Value};

use crate::time::Micros;

/// The largest entry a tlog-tiles entry bundle can carry (u16 length prefix).
pub const MAX_ENTRY_BYTES: usize = u16::MAX as usize;

/// What one entry records.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// A version of a STIX object was added.
    Add {
        /// When this node stored it (strictly increasing within a collection).
        date_added: Micros,
        /// The STIX object, as canonical JSON.
        object: Value,
    },
    /// An object (every version of it) was withdrawn.
    Withdraw {
        /// When the withdrawal was recorded.
        date_added: Micros,
        /// The withdrawn object's id.
        id: String,
    },
}

impl Entry {
    /// The entry's bytes: RFC 8785 canonical JSON of its envelope.
    pub fn to_bytes(&self) -> Result<Vec<u8>, stix::CanonicalError> {
        let mut envelope = Map::new();
        match self {
            Entry::Add { date_added, object } => {
                envelope.insert("date_added".into(), Value::String(date_added.to_string()));
                envelope.insert("object".into(), object.clone());
                envelope.insert("op".into(), Value::String("add".into()));
            }
            Entry::Withdraw { date_added, id } => {
                envelope.insert("date_added".into(), Value::String(date_added.to_string()));
                envelope.insert("id".into(), Value::String(id.clone()));
                envelope.insert("op".into(), Value::String("withdraw".into()));
            }
        }
        stix::canonical::to_vec(&Value::Object(envelope))
    }

    /// The bytes of an `add` entry for an object already in canonical form.
    ///
    /// Equal to `Entry::Add { .. }.to_bytes()` (a test holds it), without
    /// canonicalising the object a second time on the append hot path: the
    /// envelope's keys are already in RFC 8785 order and a timestamp needs no
    /// escaping.
    pub fn add_bytes(date_added: Micros, canonical_object: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(canonical_object.len() + 64);
        out.extend_from_slice(b"{\"date_added\":\"");
        out.extend_from_slice(date_added.to_string().as_bytes());
        out.extend_from_slice(b"\",\"object\":");
        out.extend_from_slice(canonical_object);
        out.extend_from_slice(b",\"op\":\"add\"}");
        out
    }

    /// Reads an entry back from its bytes.
    ///
    /// Only canonical bytes are accepted: an entry that parses but is not in
    /// canonical form was not written by an Entente node.
    pub fn from_bytes(bytes: &[u8]) -> Result<Entry, EntryError> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| EntryError(e.to_string()))?;
        let canonical = stix::canonical::to_vec(&value).map_err(|e| EntryError(e.to_string()))?;
        if canonical != bytes {
            return Err(EntryError("not in RFC 8785 canonical form".into()));
        }
        let Value::Object(mut envelope) = value else {
            return Err(EntryError("not a JSON object".into()));
        };
        let date_added = match envelope.get("date_added") {
            Some(Value::String(s)) => Micros::parse(s)
                .ok_or_else(|| EntryError(format!("date_added {s:?} is not a timestamp")))?,
            _ => return Err(EntryError("date_added is missing".into())),
        };
        let op = envelope.get("op").and_then(Value::as_str).unwrap_or("");
        let entry = match op {
            "add" if envelope.len() == 3 => Entry::Add {
                date_added,
                object: envelope
                    .remove("object")
                    .filter(Value::is_object)
                    .ok_or_else(|| EntryError("object is missing".into()))?,
            },
            "withdraw" if envelope.len() == 3 => Entry::Withdraw {
                date_added,
                id: envelope
                    .get("id")
                    .and_then(Value::as_str)
                    .ok_or_else(|| EntryError("id is missing".into()))?
                    .to_owned(),
            },
            _ => return Err(EntryError(format!("unknown envelope (op {op:?})"))),
        };
        Ok(entry)
    }

    /// The id of the object this entry is about.
    pub fn object_id(&self) -> Option<&str> {
        match self {
            Entry::Add { object, .. } => object.get("id").and_then(Value::as_str),
            Entry::Withdraw { id, .. } => Some(id),
        }
    }

    /// When the entry was added.
    pub fn date_added(&self) -> Micros {
        match self {
            Entry::Add { date_added, .. } | Entry::Withdraw { date_added, .. } => *date_added,
        }
    }
}

/// An entry's bytes are not a valid envelope.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid log entry: {0}")]
pub struct EntryError(pub String);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn add_round_trips_through_canonical_bytes() {
        let entry = Entry::Add {
            date_added: Micros(1_700_000_000_123_456),
            object: json!({"type": "ipv4-addr", "id": "ipv4-addr--x", "value": "198.51.100.1"}),
        };
        let bytes = entry.to_bytes().unwrap();
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap(),
            r#"{"date_added":"2023-11-14T22:13:20.123456Z","object":{"id":"ipv4-addr--x","type":"ipv4-addr","value":"198.51.100.1"},"op":"add"}"#
        );
        assert_eq!(Entry::from_bytes(&bytes).unwrap(), entry);
    }

    #[test]
    fn add_bytes_equals_canonical_envelope() {
        let object = json!({"value": "a\u{e9}\"b", "type": "domain-name", "id": "domain-name--x"});
        let date_added = Micros(1_700_000_000_000_001);
        let canonical_object = stix::canonical::to_vec(&object).unwrap();
        let entry = Entry::Add { date_added, object };
        assert_eq!(
            Entry::add_bytes(date_added, &canonical_object),
            entry.to_bytes().unwrap()
        );
    }

    #[test]
    fn withdraw_round_trips() {
        let entry = Entry::Withdraw {
            date_added: Micros(1),
            id: "indicator--a".into(),
        };
        let bytes = entry.to_bytes().unwrap();
        assert_eq!(Entry::from_bytes(&bytes).unwrap(), entry);
    }

    macro_rules! rejects {
        ($name:ident, $src:expr) => {
            #[test]
            fn $name() {
                assert!(Entry::from_bytes($src.as_bytes()).is_err());
            }
        };
    }
    rejects!(not_json, "{");
    rejects!(
        not_canonical,
        r#"{"op":"withdraw","id":"a","date_added":"2023-11-14T22:13:20.123456Z"}"#
    );
    rejects!(
        unknown_op,
        r#"{"date_added":"2023-11-14T22:13:20.123456Z","id":"a","op":"drop"}"#
    );
    rejects!(
        extra_field,
        r#"{"date_added":"2023-11-14T22:13:20.123456Z","id":"a","op":"withdraw","x":1}"#
    );
    rejects!(
        bad_date,
        r#"{"date_added":"yesterday","id":"a","op":"withdraw"}"#
    );
    rejects!(
        object_not_object,
        r#"{"date_added":"2023-11-14T22:13:20.123456Z","object":1,"op":"add"}"#
    );
}
