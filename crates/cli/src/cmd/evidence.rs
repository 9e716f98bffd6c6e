//! `entente evidence verify`. The format (`node::sync::evidence`) is JSON:
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

use anyhow::{Context, Result};
use node::sync::evidence::from_json;
use serde_json::{Value, json};

use crate::Verdict;
use crate::cli::{EvidenceVerifyArgs, Global};
use crate::input::read_all;
use crate::output;

pub fn verify(global: &Global, args: EvidenceVerifyArgs) -> Result<Verdict> {
    let key: tlog::Verifier = args
        .key
        .parse()
        .with_context(|| format!("invalid verifier key {:?}", args.key))?;
    let bytes = read_all(&args.file)?;
    let doc: Value = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not JSON", args.file.display()))?;
    let evidence = from_json(&doc)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("{}", args.file.display()))?;
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
