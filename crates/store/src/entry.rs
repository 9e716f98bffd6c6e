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

    /// Reads an entry back from its bytes, strictly: see [`VerifiedEntry::parse`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Entry, EntryError> {
        parse_strict(bytes)
    }

    /// The id of the object this entry is about.
    pub fn object_id(&self) -> Option<&str> {
        match self {
            Entry::Add { object, .. } => object.get("id").and_then(Value::as_str),
            Entry::Withdraw { id, .. } => Some(id),
        }
    }

    /// The version an `add` entry records (see [`version_of`]); `None` for a withdrawal.
    pub fn version(&self) -> Option<String> {
        match self {
            Entry::Add { date_added, object } => Some(version_of(object, *date_added)),
            Entry::Withdraw { .. } => None,
        }
    }

    /// When the entry was added.
    pub fn date_added(&self) -> Micros {
        match self {
            Entry::Add { date_added, .. } | Entry::Withdraw { date_added, .. } => *date_added,
        }
    }
}

/// Parses an envelope exactly as the format defines it.
///
/// Only canonical bytes are accepted (RFC 8785, so no duplicate keys, no
/// other key order, no whitespace), with exactly the keys of one of the two
/// envelopes, a `date_added` in the form a node writes it, an `object` that
/// is a JSON object with a string `id`, and for a withdrawal an `id` that is
/// a STIX identifier. Anything else was not written by an Entente node.
fn parse_strict(bytes: &[u8]) -> Result<Entry, EntryError> {
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
            .filter(|m| m.to_string() == *s)
            .ok_or_else(|| EntryError(format!("date_added {s:?} is not a timestamp")))?,
        Some(_) => return Err(EntryError("date_added is not a string".into())),
        None => return Err(EntryError("date_added is missing".into())),
    };
    let op = match envelope.get("op") {
        Some(Value::String(op)) => op.clone(),
        _ => return Err(EntryError("op is missing or not a string".into())),
    };
    let keys =
        |want: [&str; 3]| envelope.len() == 3 && want.iter().all(|k| envelope.contains_key(*k));
    match op.as_str() {
        "add" if keys(["date_added", "object", "op"]) => {
            let object = envelope.remove("object").unwrap_or(Value::Null);
            match object.get("id") {
                _ if !object.is_object() => Err(EntryError("object is not a JSON object".into())),
                Some(Value::String(_)) => Ok(Entry::Add { date_added, object }),
                _ => Err(EntryError("the added object has no string id".into())),
            }
        }
        "withdraw" if keys(["date_added", "id", "op"]) => match envelope.get("id") {
            Some(Value::String(id)) if stix::split_id(id).is_some() => Ok(Entry::Withdraw {
                date_added,
                id: id.clone(),
            }),
            Some(Value::String(id)) => Err(EntryError(format!(
                "withdraws {id:?}, which is not a STIX identifier"
            ))),
            _ => Err(EntryError("id is not a string".into())),
        },
        "add" | "withdraw" => Err(EntryError(format!(
            "the keys of an {op:?} envelope are not exactly {}",
            if op == "add" {
                "date_added, object, op"
            } else {
                "date_added, id, op"
            }
        ))),
        _ => Err(EntryError(format!("unknown envelope (op {op:?})"))),
    }
}

/// An entry whose bytes are exactly a valid envelope: only
/// [`VerifiedEntry::parse`] makes one, so a mirror can index nothing else.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedEntry {
    entry: Entry,
}

impl VerifiedEntry {
    /// Parses `bytes` strictly as the envelope format defines it (see the
    /// module documentation): canonical bytes of one of the two envelopes.
    pub fn parse(bytes: &[u8]) -> Result<VerifiedEntry, EntryError> {
        parse_strict(bytes).map(|entry| VerifiedEntry { entry })
    }

    /// What it says.
    pub fn entry(&self) -> &Entry {
        &self.entry
    }

    /// What it says, owned.
    pub fn into_entry(self) -> Entry {
        self.entry
    }
}

/// The version of an added object: its `modified`, else its `created`, else
/// (an SCO, which is not versioned) the time its entry was added. The one
/// rule the write path, mirrors and proofs share, so a mirror indexes a
/// version under the name its author's node gave it.
pub fn version_of(object: &Value, date_added: Micros) -> String {
    ["modified", "created"]
        .iter()
        .find_map(|k| object.get(*k).and_then(Value::as_str))
        .map_or_else(|| date_added.to_string(), str::to_owned)
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
            id: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f".into(),
        };
        let bytes = entry.to_bytes().unwrap();
        assert_eq!(Entry::from_bytes(&bytes).unwrap(), entry);
    }

    macro_rules! rejects {
        ($name:ident, $src:expr) => {
            #[test]
            fn $name() {
                assert!(VerifiedEntry::parse($src.as_bytes()).is_err());
            }
        };
    }
    const D: &str = "2023-11-14T22:13:20.123456Z";
    const OBJ: &str =
        r#"{"id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","type":"indicator"}"#;

    #[test]
    fn accepts_both_canonical_envelopes() {
        let add = format!(r#"{{"date_added":"{D}","object":{OBJ},"op":"add"}}"#);
        assert!(matches!(
            VerifiedEntry::parse(add.as_bytes()).unwrap().entry(),
            Entry::Add { .. }
        ));
        let withdraw = format!(
            r#"{{"date_added":"{D}","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","op":"withdraw"}}"#
        );
        assert!(matches!(
            VerifiedEntry::parse(withdraw.as_bytes())
                .unwrap()
                .into_entry(),
            Entry::Withdraw { .. }
        ));
    }

    rejects!(empty, "");
    rejects!(not_json_at_all, "hello, partner");
    rejects!(
        trailing_input,
        format!(r#"{{"date_added":"{D}","object":{OBJ},"op":"add"}} "#)
    );
    rejects!(
        leading_space,
        format!(r#" {{"date_added":"{D}","object":{OBJ},"op":"add"}}"#)
    );
    rejects!(
        array,
        format!(r#"[{{"date_added":"{D}","object":{OBJ},"op":"add"}}]"#)
    );
    rejects!(
        other_key_order,
        format!(r#"{{"object":{OBJ},"date_added":"{D}","op":"add"}}"#)
    );
    rejects!(
        object_keys_out_of_order,
        format!(
            r#"{{"date_added":"{D}","object":{{"type":"indicator","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}},"op":"add"}}"#
        )
    );
    rejects!(
        extra_key_on_add,
        format!(r#"{{"date_added":"{D}","object":{OBJ},"op":"add","x":1}}"#)
    );
    rejects!(
        duplicate_key,
        format!(r#"{{"date_added":"{D}","date_added":"{D}","object":{OBJ},"op":"add"}}"#)
    );
    rejects!(
        array_for_object,
        format!(r#"{{"date_added":"{D}","object":[{OBJ}],"op":"add"}}"#)
    );
    rejects!(
        object_without_id,
        format!(r#"{{"date_added":"{D}","object":{{"type":"indicator"}},"op":"add"}}"#)
    );
    rejects!(
        object_with_numeric_id,
        format!(r#"{{"date_added":"{D}","object":{{"id":1,"type":"indicator"}},"op":"add"}}"#)
    );
    rejects!(
        add_with_id_instead_of_object,
        format!(
            r#"{{"date_added":"{D}","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","op":"add"}}"#
        )
    );
    rejects!(
        withdraw_with_object,
        format!(r#"{{"date_added":"{D}","object":{OBJ},"op":"withdraw"}}"#)
    );
    rejects!(
        withdraw_of_no_identifier,
        format!(r#"{{"date_added":"{D}","id":"not an id","op":"withdraw"}}"#)
    );
    rejects!(
        date_in_another_form,
        format!(r#"{{"date_added":"2023-11-14T22:13:20Z","object":{OBJ},"op":"add"}}"#)
    );
    rejects!(
        date_not_a_string,
        format!(r#"{{"date_added":1,"object":{OBJ},"op":"add"}}"#)
    );
    rejects!(
        op_not_a_string,
        format!(r#"{{"date_added":"{D}","object":{OBJ},"op":1}}"#)
    );
    rejects!(
        deeply_nested,
        format!(
            r#"{{"date_added":"{D}","object":{{"id":"x--1","n":{}{}}},"op":"add"}}"#,
            "[".repeat(200),
            "]".repeat(200)
        )
    );
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
