//! Shared helpers: where the vectors are, decoding, and naming a vector in messages.

use std::path::PathBuf;

use serde_json::Value;
use tlog::Hash;

/// `shared/testdata/tlog`, beside the workspace (the crate is `<ws>/crates/tlog`).
pub fn testdata_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/tlog");
    assert!(
        dir.join("README.md").is_file(),
        "tlog test vectors not found at {}: the steering repository's shared/ folder must sit \
         beside the workspace (CI always has it). These tests never pass without it.",
        dir.display()
    );
    dir
}

/// A parsed vector file, with its name and top-level provenance.
pub struct VectorFile {
    pub name: &'static str,
    pub json: Value,
    pub provenance: String,
}

pub fn load(name: &'static str) -> VectorFile {
    let path = testdata_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let json: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"));
    let provenance = provenance_of(&json);
    VectorFile {
        name,
        json,
        provenance,
    }
}

fn source_label(s: &Value) -> Option<String> {
    let repo = s.get("repo")?.as_str()?;
    let commit = s.get("commit").and_then(Value::as_str).unwrap_or("?");
    Some(format!("{repo}@{}", &commit[..commit.len().min(12)]))
}

fn provenance_of(json: &Value) -> String {
    let mut labels = Vec::new();
    for key in ["source", "sources"] {
        match json.get(key) {
            Some(Value::Array(a)) => labels.extend(a.iter().filter_map(source_label)),
            Some(v) => labels.extend(source_label(v)),
            None => {}
        }
    }
    labels.join(", ")
}

impl VectorFile {
    /// "file.json <id> [provenance]" for failure messages; a vector's own
    /// `source`/`id` wins over the file's.
    pub fn ctx(&self, id: &str, case: &Value) -> String {
        let own = case
            .get("source")
            .map(|s| match s {
                Value::String(s) => s.clone(),
                other => source_label(other).unwrap_or_else(|| other.to_string()),
            })
            .unwrap_or_else(|| self.provenance.clone());
        format!("{} {id} [{own}]", self.name)
    }

    pub fn get(&self, key: &str) -> &Value {
        self.json
            .get(key)
            .unwrap_or_else(|| panic!("{} has no {key:?}", self.name))
    }
}

pub fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("missing string {key:?} in {v}"))
}

pub fn u(v: &Value, key: &str) -> u64 {
    v.get(key)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("missing integer {key:?} in {v}"))
}

pub fn b(v: &Value, key: &str) -> bool {
    v.get(key)
        .and_then(Value::as_bool)
        .unwrap_or_else(|| panic!("missing bool {key:?} in {v}"))
}

pub fn arr<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v.get(key)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("missing array {key:?} in {v}"))
}

pub fn hex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap_or_else(|e| panic!("bad hex {s:?}: {e}"))
}

pub fn hash(s: &str) -> Hash {
    hex(s)
        .try_into()
        .unwrap_or_else(|_| panic!("{s} is not 32 bytes"))
}

pub fn hex_list(v: &Value, key: &str) -> Vec<Vec<u8>> {
    arr(v, key)
        .iter()
        .map(|x| hex(x.as_str().expect("hex string")))
        .collect()
}

pub fn hash_list(v: &Value, key: &str) -> Vec<Hash> {
    arr(v, key)
        .iter()
        .map(|x| hash(x.as_str().expect("hex string")))
        .collect()
}

/// Deterministic, distinct leaf hashes for laws and benches.
pub fn test_leaves(n: usize) -> Vec<Hash> {
    (0..n as u64)
        .map(|i| tlog::leaf_hash(&i.to_le_bytes()))
        .collect()
}
