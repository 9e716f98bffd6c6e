//! STIX identifiers (`type--UUID`) and deterministic SCO ids (STIX 2.1 section 2.9).
//!
//! A deterministic SCO id is a UUIDv5 in the namespace
//! `00abedb4-aa42-466c-9c01-fed23315a9b7` whose name is the RFC 8785 canonical
//! JSON of an object holding only the type's *ID-contributing* properties that are
//! present. For `hashes`, only one hash takes part: the first present of MD5,
//! SHA-1, SHA-256 and SHA-512, otherwise the first key in document order (as
//! python-stix2 does). When none of the contributing properties is present the
//! object gets a UUIDv4 instead, and [`deterministic_id`] returns `None`.
//!
//! ```
//! let ip = serde_json::json!({"type": "ipv4-addr", "value": "198.51.100.3"});
//! assert_eq!(
//!     stix::deterministic_id(&ip).as_deref(),
//!     Some("ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4"),
//! );
//! ```

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::canonical;

/// The namespace of deterministic SCO ids.
pub const SCO_NAMESPACE: Uuid = Uuid::from_bytes([
    0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7,
]);

/// The ID-contributing properties of each SCO type defined by STIX 2.1. `process`
/// has none: its ids are always UUIDv4.
pub fn contributing_properties(sco_type: &str) -> Option<&'static [&'static str]> {
    Some(match sco_type {
        "artifact" => &["hashes", "payload_bin"],
        "autonomous-system" => &["number"],
        "directory" => &["path"],
        "domain-name" => &["value"],
        "email-addr" => &["value"],
        "email-message" => &["from_ref", "subject", "body"],
        "file" => &["hashes", "name", "extensions", "parent_directory_ref"],
        "ipv4-addr" => &["value"],
        "ipv6-addr" => &["value"],
        "mac-addr" => &["value"],
        "mutex" => &["name"],
        "network-traffic" => &[
            "start",
            "end",
            "src_ref",
            "dst_ref",
            "src_port",
            "dst_port",
            "protocols",
            "extensions",
        ],
        "process" => &[],
        "software" => &["name", "cpe", "swid", "vendor", "version"],
        "url" => &["value"],
        "user-account" => &["account_type", "user_id", "account_login"],
        "windows-registry-key" => &["key", "values"],
        "x509-certificate" => &["hashes", "serial_number"],
        _ => return None,
    })
}

/// The deterministic id of an SCO: `Some("<type>--<UUIDv5>")` when the object's
/// type is a STIX 2.1 SCO type and at least one ID-contributing property is
/// present; `None` otherwise (then a UUIDv4 is the right id).
///
/// The object does not need to be valid; only `type` and the contributing
/// properties are read.
pub fn deterministic_id(object: &Value) -> Option<String> {
    deterministic_id_of(object.as_object()?)
}

pub(crate) fn deterministic_id_of(map: &Map<String, Value>) -> Option<String> {
    let ty = map.get("type")?.as_str()?;
    let props = contributing_properties(ty)?;
    let mut name = Map::new();
    for &p in props {
        let Some(v) = map.get(p) else { continue };
        if p == "hashes" {
            let chosen = choose_one_hash(v.as_object()?)?;
            name.insert(p.to_owned(), chosen);
        } else {
            name.insert(p.to_owned(), v.clone());
        }
    }
    if name.is_empty() {
        return None;
    }
    let text = canonical::to_string(&Value::Object(name)).ok()?;
    let uuid = Uuid::new_v5(&SCO_NAMESPACE, text.as_bytes());
    Some(format!("{ty}--{uuid}"))
}

/// The single hash that contributes to a deterministic id.
fn choose_one_hash(hashes: &Map<String, Value>) -> Option<Value> {
    let key = ["MD5", "SHA-1", "SHA-256", "SHA-512"]
        .into_iter()
        .find(|k| hashes.contains_key(*k))
        .map(str::to_owned)
        .or_else(|| hashes.keys().next().cloned())?;
    let value = hashes.get(&key)?.clone();
    let mut one = Map::new();
    one.insert(key, value);
    Some(Value::Object(one))
}

/// Splits a STIX id into its type and UUID, checking the syntax the reference
/// validator accepts: `type--xxxxxxxx-xxxx-Vxxx-Nxxx-xxxxxxxxxxxx` with hex digits
/// of either case, version `V` 1–5 and variant `N` one of 8, 9, a, b.
pub fn split_id(id: &str) -> Option<(&str, Uuid)> {
    let (ty, uuid) = id.rsplit_once("--")?;
    if !is_id_type_prefix(ty) {
        return None;
    }
    Some((ty, parse_uuid(uuid)?))
}

/// The type part of an id must be lowercase letters, digits and hyphens, starting
/// with a letter and ending with a letter or digit, at least 3 characters.
fn is_id_type_prefix(ty: &str) -> bool {
    let b = ty.as_bytes();
    b.len() >= 3
        && b[0].is_ascii_lowercase()
        && b[b.len() - 1] != b'-'
        && b.iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
}

/// Parses the hyphenated RFC 4122 form (only that form), versions 1–5, RFC 4122
/// variant.
pub fn parse_uuid(s: &str) -> Option<Uuid> {
    let b = s.as_bytes();
    if b.len() != 36 {
        return None;
    }
    for (i, &c) in b.iter().enumerate() {
        let ok = match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        };
        if !ok {
            return None;
        }
    }
    if !(b'1'..=b'5').contains(&b[14]) || !matches!(b[19], b'8' | b'9' | b'a' | b'b' | b'A' | b'B')
    {
        return None;
    }
    Uuid::try_parse(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Vectors from the spec digest (shared/spec/taxii-stix.md B6), computed with
    /// python-stix2 3.0.2.
    macro_rules! det {
        ($name:ident, $obj:expr, $want:expr) => {
            #[test]
            fn $name() {
                assert_eq!(deterministic_id(&$obj).as_deref(), $want);
            }
        };
    }
    det!(
        ipv4_a,
        json!({"type":"ipv4-addr","value":"198.51.100.3"}),
        Some("ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4")
    );
    det!(
        ipv4_b,
        json!({"type":"ipv4-addr","value":"203.0.113.7"}),
        Some("ipv4-addr--9ddd739e-87b1-587d-83f2-62ef1130af2f")
    );
    det!(
        domain,
        json!({"type":"domain-name","value":"example.com"}),
        Some("domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7")
    );
    det!(
        url,
        json!({"type":"url","value":"https://example.com/login"}),
        Some("url--2cdaad03-5fde-557f-96eb-6e1a94ba8d40")
    );
    det!(
        email,
        json!({"type":"email-addr","value":"alice@example.com"}),
        Some("email-addr--424d0dfc-efba-5d7e-822e-2168ba492551")
    );
    det!(
        ipv6,
        json!({"type":"ipv6-addr","value":"2001:db8::1"}),
        Some("ipv6-addr--6469e3a9-b053-5e34-a025-9396ae051d26")
    );
    det!(
        file_md5_wins,
        json!({"type":"file","hashes":{"SHA-256":"aa".repeat(32),"MD5":"bb".repeat(16)},"name":"ballot.exe"}),
        Some("file--85484529-ba34-5268-a3b7-146195b9d936")
    );
    det!(
        ignores_other_properties,
        json!({"type":"ipv4-addr","value":"198.51.100.3","id":"x","defanged":false}),
        Some("ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4")
    );
    det!(
        no_contributing,
        json!({"type":"email-message","is_multipart":false}),
        None
    );
    det!(process_never, json!({"type":"process","pid":4}), None);
    det!(sdo_never, json!({"type":"indicator","value":"x"}), None);
    det!(not_an_object, json!("ipv4-addr"), None);

    #[test]
    fn split_ids() {
        let (t, u) = split_id("indicator--9a676219-ef05-46fe-a603-ebebd9e5f2b3").unwrap();
        assert_eq!((t, u.get_version_num()), ("indicator", 4));
        assert!(split_id("indicator--9A676219-EF05-46FE-A603-EBEBD9E5F2B3").is_some());
        assert!(
            split_id("indicator--9a676219-ef05-06fe-a603-ebebd9e5f2b3").is_none(),
            "version 0"
        );
        assert!(
            split_id("indicator--9a676219-ef05-46fe-c603-ebebd9e5f2b3").is_none(),
            "variant"
        );
        assert!(
            split_id("indicator--9a676219ef0546fea603ebebd9e5f2b3").is_none(),
            "simple form"
        );
        assert!(split_id("Indicator--9a676219-ef05-46fe-a603-ebebd9e5f2b3").is_none());
        assert!(split_id("indicator-9a676219-ef05-46fe-a603-ebebd9e5f2b3").is_none());
        assert!(split_id("--9a676219-ef05-46fe-a603-ebebd9e5f2b3").is_none());
    }
}
