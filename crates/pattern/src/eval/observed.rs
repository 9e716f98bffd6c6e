//! The observed data: `observed-data` SDOs and the SCOs they reference.

use std::collections::HashMap;

use serde_json::Value as Json;

use super::time;

/// Why a pattern could not be evaluated against the observed data.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// An `observed-data` object lacks a required property or has a bad one.
    #[error("observed-data {id}: {reason}")]
    Observed {
        /// The object's `id`, or `?`.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// A string that had to be read as a timestamp is not one.
    #[error("invalid timestamp '{0}'")]
    Timestamp(String),
    /// An `ISSUBSET`/`ISSUPERSET` operand is not an IP address or CIDR block.
    #[error("invalid IP address or CIDR block '{0}'")]
    Cidr(String),
    /// A `MATCHES` (or translated `LIKE`) expression does not compile.
    #[error("invalid regular expression '{pattern}': {reason}")]
    Regex {
        /// The expression as written in the pattern.
        pattern: String,
        /// The compiler's message.
        reason: String,
    },
    /// Observation operators over these observations need more search than
    /// the caller allowed ([`crate::matches_within`]).
    #[error("the pattern needs more search than allowed over these observations")]
    TooComplex,
    /// A property value of the wrong shape for its name: a `_ref` that is not
    /// a string, a `_refs` that is not a list of strings, a `_hex`/`_bin`
    /// value that does not decode.
    #[error("property '{property}': {reason}")]
    Property {
        /// The property name.
        property: String,
        /// What is wrong.
        reason: &'static str,
    },
}

/// Types of STIX domain and relationship objects: an object path never
/// selects them, even when an `object_refs` lists one.
const NON_OBSERVABLE: &[&str] = &[
    "attack-pattern",
    "campaign",
    "course-of-action",
    "extension-definition",
    "grouping",
    "identity",
    "incident",
    "indicator",
    "infrastructure",
    "intrusion-set",
    "language-content",
    "location",
    "malware",
    "malware-analysis",
    "marking-definition",
    "note",
    "observed-data",
    "opinion",
    "relationship",
    "report",
    "sighting",
    "threat-actor",
    "tool",
    "vulnerability",
];

/// One `observed-data` SDO.
pub(crate) struct Observation<'a> {
    pub first: i128,
    pub last: i128,
    /// `number_observed`.
    pub count: usize,
    /// The SCOs observed, in `object_refs` order, without repeats.
    pub roots: Vec<&'a Json>,
    /// Where `_ref`/`_refs` can lead: the same SCOs, by id.
    pub by_id: HashMap<&'a str, &'a Json>,
}

/// All observations, with their instances numbered consecutively.
pub(crate) struct Observations<'a> {
    pub list: Vec<Observation<'a>>,
    /// For each instance, its observation's index.
    pub instance_of: Vec<usize>,
}

impl<'a> Observations<'a> {
    pub fn read(objects: &'a [Json]) -> Result<Observations<'a>, EvalError> {
        let mut all: HashMap<&str, &Json> = HashMap::new();
        for o in objects {
            if let Some(id) = o.get("id").and_then(Json::as_str) {
                all.entry(id).or_insert(o);
            }
        }
        let mut list = Vec::new();
        let mut instance_of = Vec::new();
        for sdo in objects {
            if sdo.get("type").and_then(Json::as_str) != Some("observed-data") {
                continue;
            }
            let id = sdo.get("id").and_then(Json::as_str).unwrap_or("?");
            let fail = |reason: &str| EvalError::Observed {
                id: id.to_owned(),
                reason: reason.to_owned(),
            };
            let stamp = |name: &str| -> Result<i128, EvalError> {
                let text = sdo
                    .get(name)
                    .and_then(Json::as_str)
                    .ok_or_else(|| fail(&format!("{name} is missing or not a string")))?;
                time::parse(text)
            };
            let first = stamp("first_observed")?;
            let last = stamp("last_observed")?;
            if last < first {
                return Err(fail("last_observed is before first_observed"));
            }
            let count = sdo
                .get("number_observed")
                .and_then(Json::as_u64)
                .filter(|&n| n >= 1)
                .ok_or_else(|| fail("number_observed must be an integer of at least 1"))?;
            let count = usize::try_from(count).map_err(|_| fail("number_observed too large"))?;
            let mut roots = Vec::new();
            let mut by_id = HashMap::new();
            let mut add = |key: &'a str, obj: &'a Json| {
                let ty = obj.get("type").and_then(Json::as_str).unwrap_or("");
                if NON_OBSERVABLE.contains(&ty) {
                    return;
                }
                if by_id.insert(key, obj).is_none() {
                    roots.push(obj);
                }
            };
            if let Some(refs) = sdo.get("object_refs").and_then(Json::as_array) {
                for r in refs {
                    let Some(r) = r.as_str() else {
                        return Err(fail("object_refs holds a non-string"));
                    };
                    // Dangling references observe nothing.
                    if let Some(obj) = all.get(r) {
                        add(r, obj);
                    }
                }
            }
            // The deprecated embedded dictionary is still allowed in 2.1.
            if let Some(embedded) = sdo.get("objects").and_then(Json::as_object) {
                for (key, obj) in embedded {
                    add(key, obj);
                }
            }
            let index = list.len();
            instance_of.extend(std::iter::repeat_n(index, count));
            list.push(Observation {
                first,
                last,
                count,
                roots,
                by_id,
            });
        }
        Ok(Observations { list, instance_of })
    }

    /// The `[first_observed, last_observed]` interval of an instance.
    pub fn interval(&self, instance: usize) -> (i128, i128) {
        let o = &self.list[self.instance_of[instance]];
        (o.first, o.last)
    }
}
