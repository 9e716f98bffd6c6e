//! Evidence files: two signed checkpoints of one log that no append-only log
//! can have produced, with the hashes that show it, in a JSON document any
//! third party can check offline with the log's key
//! (`entente evidence verify FILE --key VKEY`).
//!
//! ```json
//! {"format": "entente-evidence/v1",
//!  "first": "<signed checkpoint>", "second": "<signed checkpoint>",
//!  "old_root_in_new_tree": "<base64>" | null, "proof": ["<base64>", ...]}
//! ```

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

/// The format tag of evidence files.
pub const FORMAT: &str = "entente-evidence/v1";

/// The directory of evidence files inside a data directory.
pub const DIR: &str = "evidence";

/// The evidence as its JSON document.
pub fn to_json(evidence: &tlog::Evidence) -> Value {
    json!({
        "format": FORMAT,
        "first": evidence.first,
        "second": evidence.second,
        "old_root_in_new_tree": evidence.old_root_in_new_tree.map(|h| STANDARD.encode(h)),
        "proof": evidence.proof.iter().map(|h| STANDARD.encode(h)).collect::<Vec<_>>(),
    })
}

/// Reads an evidence document, strictly; the error says which field is wrong.
pub fn from_json(v: &Value) -> Result<tlog::Evidence, String> {
    if v.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(format!(
            "not an {FORMAT} document (its \"format\" must be \"{FORMAT}\")"
        ));
    }
    let note = |k: &str| -> Result<String, String> {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("\"{k}\" must be a signed checkpoint note (a string)"))
    };
    let hash = |what: &str, h: &Value| -> Result<tlog::Hash, String> {
        let text = h
            .as_str()
            .ok_or_else(|| format!("{what} must be a base64 string"))?;
        let bytes = STANDARD
            .decode(text)
            .map_err(|_| format!("{what} is not base64"))?;
        <[u8; 32]>::try_from(bytes.as_slice())
            .map_err(|_| format!("{what} must be 32 bytes, not {}", bytes.len()))
    };
    let old_root_in_new_tree = match v.get("old_root_in_new_tree") {
        None | Some(Value::Null) => None,
        Some(h) => Some(hash("\"old_root_in_new_tree\"", h)?),
    };
    let proof = match v.get("proof") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, h)| hash(&format!("\"proof\"[{i}]"), h))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("\"proof\" must be a list of base64 hashes".into()),
    };
    Ok(tlog::Evidence {
        first: note("first")?,
        second: note("second")?,
        old_root_in_new_tree,
        proof,
    })
}

/// Writes the evidence under `data_dir/evidence/`, named after the peer, the
/// collection and the two sizes, durably (it may be all that is left of a
/// partner's misbehaviour). Returns its path.
pub fn write(
    data_dir: &Path,
    peer: &str,
    remote_id: &str,
    evidence: &tlog::Evidence,
) -> std::io::Result<PathBuf> {
    let dir = data_dir.join(DIR);
    fs::create_dir_all(&dir)?;
    let size = |note: &str| {
        note.lines()
            .nth(1)
            .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
            .unwrap_or("x")
            .to_owned()
    };
    let name = format!(
        "{peer}-{remote_id}-{}-{}.json",
        size(&evidence.first),
        size(&evidence.second)
    );
    let path = dir.join(name);
    let tmp = dir.join(format!(".{}.tmp", std::process::id()));
    let mut file = fs::File::create(&tmp)?;
    let mut text =
        serde_json::to_string_pretty(&to_json(evidence)).map_err(std::io::Error::other)?;
    text.push('\n');
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    fs::rename(&tmp, &path)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence() -> tlog::Evidence {
        tlog::Evidence {
            first: "a/b\n1\nAAAA\n\n— a x\n".into(),
            second: "a/b\n2\nAAAA\n\n— a y\n".into(),
            old_root_in_new_tree: Some([7; 32]),
            proof: vec![[1; 32], [2; 32]],
        }
    }

    #[test]
    fn the_document_round_trips_and_is_written_under_evidence() {
        let e = evidence();
        let back = from_json(&to_json(&e)).unwrap();
        assert_eq!(
            (
                back.first,
                back.second,
                back.old_root_in_new_tree,
                back.proof
            ),
            (
                e.first.clone(),
                e.second.clone(),
                e.old_root_in_new_tree,
                e.proof.clone()
            )
        );
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "alpha", "c1", &e).unwrap();
        assert_eq!(path, dir.path().join("evidence/alpha-c1-1-2.json"));
        let doc: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(doc, to_json(&e));
    }

    #[test]
    fn a_wrong_field_is_named() {
        for (field, value, needle) in [
            ("format", json!("other/v1"), "not an entente-evidence/v1"),
            ("first", json!(3), "\"first\" must be"),
            ("old_root_in_new_tree", json!("AAAA"), "must be 32 bytes"),
            ("proof", json!(["%%"]), "\"proof\"[0] is not base64"),
            ("proof", json!("x"), "list of base64"),
        ] {
            let mut doc = to_json(&evidence());
            doc[field] = value;
            let err = from_json(&doc).unwrap_err();
            assert!(err.contains(needle), "{field}: {err}");
        }
    }
}
