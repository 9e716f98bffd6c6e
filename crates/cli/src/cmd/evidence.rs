//! `entente evidence verify`, and the evidence file format.
//!
//! An evidence file is JSON:
//!
//! ```json
//! {"format": "entente-evidence/v1",
//!  "first": "<signed checkpoint note>", "second": "<signed checkpoint note>",
//!  "old_root_in_new_tree": "<base64 of 32 bytes>" | null,
//!  "proof": ["<base64 of 32 bytes>", ...]}
//! ```
//!
//! The notes are the checkpoints exactly as the log served them; for a fork,
//! `old_root_in_new_tree` and `proof` come from the larger tree (see
//! [`tlog::Evidence`]).

use anyhow::{Context, Result, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::Verdict;
use crate::cli::{EvidenceVerifyArgs, Global};
use crate::input::read_all;
use crate::output;

/// The format tag of evidence files.
pub const FORMAT: &str = "entente-evidence/v1";

/// Reads an evidence document, strictly.
pub fn from_json(v: &Value) -> Result<tlog::Evidence> {
    if v.get("format").and_then(Value::as_str) != Some(FORMAT) {
        bail!("not an {FORMAT} document (its \"format\" must be \"{FORMAT}\")");
    }
    let note = |k: &str| -> Result<String> {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .with_context(|| format!("\"{k}\" must be a signed checkpoint note (a string)"))
    };
    let hash = |what: &str, h: &Value| -> Result<tlog::Hash> {
        let text = h
            .as_str()
            .with_context(|| format!("{what} must be a base64 string"))?;
        let bytes = STANDARD
            .decode(text)
            .with_context(|| format!("{what} is not base64"))?;
        <[u8; 32]>::try_from(bytes.as_slice())
            .map_err(|_| anyhow::anyhow!("{what} must be 32 bytes, not {}", bytes.len()))
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
            .collect::<Result<_>>()?,
        Some(_) => bail!("\"proof\" must be a list of base64 hashes"),
    };
    Ok(tlog::Evidence {
        first: note("first")?,
        second: note("second")?,
        old_root_in_new_tree,
        proof,
    })
}

pub fn verify(global: &Global, args: EvidenceVerifyArgs) -> Result<Verdict> {
    let key: tlog::Verifier = args
        .key
        .parse()
        .with_context(|| format!("invalid verifier key {:?}", args.key))?;
    let bytes = read_all(&args.file)?;
    let doc: Value = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not JSON", args.file.display()))?;
    let evidence = from_json(&doc).with_context(|| format!("{}", args.file.display()))?;
    let origin = evidence.first.lines().next().unwrap_or_default().to_owned();
    match evidence.verify(&key) {
        Ok(m) => {
            if global.json {
                output::json(
                    &json!({ "proven": true, "origin": origin, "key": key.name(), "misbehaviour": m.to_string() }),
                )?;
            } else {
                println!(
                    "misbehaviour proven: log {origin}, signed by {}: {m}",
                    key.name()
                );
            }
            Ok(Verdict::Ok)
        }
        Err(e) => {
            if global.json {
                output::json(
                    &json!({ "proven": false, "origin": origin, "reason": e.to_string() }),
                )?;
            } else {
                println!("no proof of misbehaviour: {e}");
            }
            Ok(Verdict::No)
        }
    }
}
