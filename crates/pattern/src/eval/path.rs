//! Following an object path from a root SCO to the values it selects.

use serde_json::Value as Json;

use super::EvalError;
use super::observed::Observation;
use crate::ast::{ObjectPath, PathStep};

/// A selected value: JSON as observed, bytes decoded from a `_hex`/`_bin`
/// property, or the objects a `_refs` list resolved to.
#[derive(Clone, Debug)]
pub(crate) enum Val<'a> {
    Json(&'a Json),
    Bytes(Vec<u8>),
    Objects(Vec<&'a Json>),
}

/// The values `path` selects from `root` (whose type has been checked).
pub(crate) fn select<'a>(
    path: &ObjectPath,
    root: &'a Json,
    obs: &Observation<'a>,
) -> Result<Vec<Val<'a>>, EvalError> {
    let mut vals = step_key(vec![Val::Json(root)], &path.property, obs)?;
    for step in &path.steps {
        if vals.is_empty() {
            break;
        }
        vals = match step {
            PathStep::Key(k) => step_key(vals, k, obs)?,
            PathStep::Index(n) => vals
                .into_iter()
                .filter_map(|v| {
                    let n = usize::try_from(*n).ok()?;
                    match v {
                        Val::Json(Json::Array(a)) => a.get(n).map(Val::Json),
                        Val::Objects(o) => o.get(n).map(|j| Val::Json(j)),
                        _ => None,
                    }
                })
                .collect(),
            PathStep::AnyIndex => {
                let mut out = Vec::new();
                for v in vals {
                    match v {
                        Val::Json(Json::Array(a)) => out.extend(a.iter().map(Val::Json)),
                        Val::Objects(o) => out.extend(o.into_iter().map(Val::Json)),
                        _ => {}
                    }
                }
                out
            }
        };
    }
    Ok(vals)
}

fn step_key<'a>(
    vals: Vec<Val<'a>>,
    key: &str,
    obs: &Observation<'a>,
) -> Result<Vec<Val<'a>>, EvalError> {
    let bad = |reason| EvalError::Property {
        property: key.to_owned(),
        reason,
    };
    let mut out = Vec::new();
    for v in vals {
        let Val::Json(Json::Object(map)) = v else {
            continue;
        };
        let Some(x) = map.get(key) else { continue };
        if key.ends_with("_hex") {
            let s = x
                .as_str()
                .ok_or_else(|| bad("a _hex value must be a string"))?;
            out.push(Val::Bytes(
                decode_hex(s).ok_or_else(|| bad("not an even number of hex digits"))?,
            ));
        } else if key.ends_with("_bin") {
            let s = x
                .as_str()
                .ok_or_else(|| bad("a _bin value must be a string"))?;
            out.push(Val::Bytes(
                decode_base64(s).ok_or_else(|| bad("not valid base64"))?,
            ));
        } else if key.ends_with("_ref") {
            let id = x
                .as_str()
                .ok_or_else(|| bad("a _ref value must be a string"))?;
            // Only objects of the same observation can be referenced.
            if let Some(obj) = obs.by_id.get(id) {
                out.push(Val::Json(obj));
            }
        } else if key.ends_with("_refs") {
            let list = x
                .as_array()
                .ok_or_else(|| bad("a _refs value must be a list"))?;
            let mut objs = Vec::new();
            for r in list {
                let id = r
                    .as_str()
                    .ok_or_else(|| bad("a _refs value must hold strings"))?;
                if let Some(obj) = obs.by_id.get(id) {
                    objs.push(*obj);
                }
            }
            if !objs.is_empty() {
                out.push(Val::Objects(objs));
            }
        } else {
            out.push(Val::Json(x));
        }
    }
    Ok(out)
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if b.len() % 2 != 0 {
        return None;
    }
    b.chunks(2)
        .map(|p| {
            let hi = (p[0] as char).to_digit(16)?;
            let lo = (p[1] as char).to_digit(16)?;
            u8::try_from(hi * 16 + lo).ok()
        })
        .collect()
}

/// Standard base64, leniently: characters outside the alphabet are skipped
/// and decoding stops at padding, as the reference's decoder does.
fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let mut bits = 0u32;
    let mut nbits = 0;
    let mut out = Vec::new();
    let mut quanta = 0usize;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => continue,
        };
        quanta += 1;
        bits = (bits << 6) | u32::from(v);
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push(((bits >> nbits) & 0xff) as u8);
        }
    }
    // A single leftover character cannot encode a byte.
    (quanta % 4 != 1).then_some(out)
}
