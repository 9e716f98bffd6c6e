//! STIX observed data, one per line: a bundle, a JSON array of objects, or
//! one observed-data with an embedded STIX 2.0 `objects` dictionary.
//!
//! The result is flat: the observed-data first, then the other objects. An
//! embedded dictionary becomes objects of their own, with ids
//! `<type>--<key>` (`<type>--<n>-<key>` for the n-th observed-data after the
//! first that has one, so that ids stay unique in the line); the
//! observed-data's `object_refs` lists them, and every `*_ref`/`*_refs`
//! inside them that names a key of the dictionary names the new id.

use std::collections::HashMap;

use pattern::index::Micros;
use serde_json::{Map, Value as Json};

use super::LineError;
use super::time;

pub(crate) fn read(line: &str) -> Result<(Micros, Vec<Json>), LineError> {
    let value: Json =
        serde_json::from_str(line).map_err(|e| LineError::new(format!("not JSON: {e}")))?;
    let objects = match value {
        Json::Array(objects) => objects,
        Json::Object(mut o) => match o.get("type").and_then(Json::as_str) {
            Some("bundle") => match o.remove("objects") {
                Some(Json::Array(objects)) => objects,
                Some(_) => return Err(LineError::new("the bundle's 'objects' is not a list")),
                None => Vec::new(),
            },
            _ => vec![Json::Object(o)],
        },
        _ => {
            return Err(LineError::new(
                "not a STIX bundle, object or list of objects",
            ));
        }
    };

    let mut observed = Vec::new();
    let mut others = Vec::new();
    let mut converted = 0;
    for object in objects {
        match object {
            Json::Object(mut o)
                if o.get("type").and_then(Json::as_str) == Some("observed-data") =>
            {
                if let Some(Json::Object(embedded)) = o.remove("objects") {
                    let prefix = if converted == 0 {
                        String::new()
                    } else {
                        format!("{converted}-")
                    };
                    converted += 1;
                    let refs = flatten(embedded, &prefix, &mut others);
                    o.insert("object_refs".into(), Json::Array(refs));
                }
                observed.push(Json::Object(o));
            }
            other => others.push(other),
        }
    }
    let Some(first) = observed.first() else {
        return Err(LineError::new("no observed-data in the line"));
    };
    let time = match first.get("first_observed") {
        Some(Json::String(t)) => time::rfc3339("first_observed", t)?,
        Some(other) => {
            return Err(LineError::field(
                "first_observed",
                "is not a timestamp",
                &other.to_string(),
            ));
        }
        None => return Err(LineError::missing("first_observed")),
    };
    observed.append(&mut others);
    Ok((time, observed))
}

/// The objects of a 2.0 dictionary, given ids and appended to `out`; their
/// ids, for `object_refs`.
fn flatten(embedded: Map<String, Json>, prefix: &str, out: &mut Vec<Json>) -> Vec<Json> {
    let ids: HashMap<String, String> = embedded
        .iter()
        .map(|(key, o)| {
            let ty = o.get("type").and_then(Json::as_str).unwrap_or("unknown");
            (key.clone(), format!("{ty}--{prefix}{key}"))
        })
        .collect();
    let mut refs = Vec::with_capacity(embedded.len());
    for (key, mut o) in embedded {
        rewrite_refs(&mut o, &ids);
        let id = ids.get(&key).cloned().unwrap_or_default();
        if let Json::Object(map) = &mut o {
            map.insert("id".into(), Json::String(id.clone()));
        }
        refs.push(Json::String(id));
        out.push(o);
    }
    refs
}

/// Rewrites, at any depth, the `*_ref` and `*_refs` values that name a key
/// of the dictionary (extensions and multipart bodies hold refs too).
fn rewrite_refs(value: &mut Json, ids: &HashMap<String, String>) {
    match value {
        Json::Object(map) => {
            for (k, v) in map.iter_mut() {
                let swap = |s: &mut Json| {
                    if let Some(new) = s.as_str().and_then(|s| ids.get(s)) {
                        *s = Json::String(new.clone());
                    }
                };
                if k.ends_with("_ref") {
                    swap(v);
                } else if k.ends_with("_refs") {
                    if let Json::Array(list) = v {
                        list.iter_mut().for_each(swap);
                    }
                } else {
                    rewrite_refs(v, ids);
                }
            }
        }
        Json::Array(list) => list.iter_mut().for_each(|v| rewrite_refs(v, ids)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FIRST: &str = "2024-05-01T12:00:00Z";
    const NOON: Micros = 1_714_564_800_000_000;

    #[test]
    fn a_bundle_puts_observed_data_first() {
        let line = json!({"type": "bundle", "id": "bundle--1", "objects": [
            {"type": "domain-name", "id": "domain-name--1", "value": "evil.example"},
            {"type": "observed-data", "id": "observed-data--1", "first_observed": FIRST,
             "last_observed": FIRST, "number_observed": 1, "object_refs": ["domain-name--1"]},
        ]})
        .to_string();
        let (time, objects) = read(&line).unwrap();
        assert_eq!(time, NOON);
        assert_eq!(objects[0]["type"], "observed-data");
        assert_eq!(objects[1]["value"], "evil.example");
    }

    #[test]
    fn an_array_and_a_lone_observed_data() {
        let line = json!([
            {"type": "observed-data", "id": "observed-data--1", "first_observed": "2024-05-01T14:00:00+02:00",
             "last_observed": FIRST, "number_observed": 1, "object_refs": ["ipv4-addr--1"]},
            {"type": "ipv4-addr", "id": "ipv4-addr--1", "value": "198.51.100.7"},
        ])
        .to_string();
        assert_eq!(read(&line).unwrap().0, NOON);
        let lone =
            json!({"type": "observed-data", "id": "observed-data--1", "first_observed": FIRST,
             "last_observed": FIRST, "number_observed": 1, "object_refs": []})
            .to_string();
        assert_eq!(read(&lone).unwrap().1.len(), 1);
    }

    #[test]
    fn embedded_2_0_objects_are_flattened() {
        let line =
            json!({"type": "observed-data", "id": "observed-data--1", "first_observed": FIRST,
            "last_observed": FIRST, "number_observed": 1, "objects": {
                "0": {"type": "ipv4-addr", "value": "192.0.2.1"},
                "1": {"type": "ipv4-addr", "value": "198.51.100.7"},
                "2": {"type": "network-traffic", "src_ref": "0", "dst_ref": "1", "dst_port": 443,
                      "protocols": ["tcp"], "extensions": {"x": {"inner_refs": ["1", "9"]}}},
            }})
            .to_string();
        let (_, objects) = read(&line).unwrap();
        assert_eq!(objects.len(), 4);
        assert!(objects[0].get("objects").is_none());
        assert_eq!(
            objects[0]["object_refs"],
            json!(["ipv4-addr--0", "ipv4-addr--1", "network-traffic--2"])
        );
        assert_eq!(objects[3]["id"], "network-traffic--2");
        assert_eq!(objects[3]["src_ref"], "ipv4-addr--0");
        assert_eq!(objects[3]["dst_ref"], "ipv4-addr--1");
        // A ref to a key that is not in the dictionary is left as it was.
        assert_eq!(
            objects[3]["extensions"]["x"]["inner_refs"],
            json!(["ipv4-addr--1", "9"])
        );
    }

    #[test]
    fn two_embedded_dictionaries_keep_ids_apart() {
        let od = |ip: &str| {
            json!({"type": "observed-data", "id": format!("observed-data--{ip}"), "first_observed": FIRST,
                "last_observed": FIRST, "number_observed": 1, "objects": {"0": {"type": "ipv4-addr", "value": ip}}})
        };
        let line =
            json!({"type": "bundle", "objects": [od("192.0.2.1"), od("192.0.2.2")]}).to_string();
        let (_, objects) = read(&line).unwrap();
        assert_eq!(objects[0]["object_refs"], json!(["ipv4-addr--0"]));
        assert_eq!(objects[1]["object_refs"], json!(["ipv4-addr--1-0"]));
        assert_eq!(objects[3]["id"], "ipv4-addr--1-0");
        assert_eq!(objects[3]["value"], "192.0.2.2");
    }

    #[test]
    fn malformed_lines_say_why() {
        let table = [
            ("{not json", "not JSON: "),
            ("42", "not a STIX bundle, object or list of objects"),
            (
                r#"{"type":"bundle","objects":{}}"#,
                "the bundle's 'objects' is not a list",
            ),
            (
                r#"{"type":"bundle","objects":[{"type":"indicator"}]}"#,
                "no observed-data in the line",
            ),
            (r#"[]"#, "no observed-data in the line"),
            (
                r#"{"type":"observed-data"}"#,
                "field 'first_observed' is missing",
            ),
            (
                r#"{"type":"observed-data","first_observed":"May 1st"}"#,
                "field 'first_observed' is not an RFC 3339 timestamp: 'May 1st'",
            ),
            (
                r#"{"type":"observed-data","first_observed":5}"#,
                "field 'first_observed' is not a timestamp: '5'",
            ),
        ];
        for (line, want) in table {
            let e = read(line).unwrap_err();
            assert!(e.reason.starts_with(want), "{line}: {}", e.reason);
        }
    }
}
