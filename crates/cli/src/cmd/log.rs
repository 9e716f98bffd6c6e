//! `entente log checkpoint|prove|verify-proof`.

use anyhow::{Context, Result};
use serde_json::json;
use store::ProofBundle;

use crate::Verdict;
use crate::cli::{CheckpointArgs, Global, ProveArgs, VerifyProofArgs};
use crate::input::{open_store, read_all};
use crate::output;

pub fn checkpoint(global: &Global, args: CheckpointArgs) -> Result<Verdict> {
    let store = open_store(global)?;
    let note = store.checkpoint(&args.collection)?;
    if global.json {
        let coll = store.collection(&args.collection)?;
        output::json(
            &json!({ "collection": coll.id, "origin": store.node().origin(&coll.id), "size": coll.size, "checkpoint": note }),
        )?;
    } else {
        print!("{note}");
    }
    Ok(Verdict::Ok)
}

pub fn prove(global: &Global, args: ProveArgs) -> Result<Verdict> {
    let store = open_store(global)?;
    let bundle = store.prove(&args.collection, &args.object_id, args.version.as_deref())?;
    output::json(&bundle)?;
    Ok(Verdict::Ok)
}

pub fn verify_proof(global: &Global, args: VerifyProofArgs) -> Result<Verdict> {
    let key: tlog::Verifier = args
        .key
        .parse()
        .with_context(|| format!("invalid verifier key {:?}", args.key))?;
    let bytes = read_all(&args.file)?;
    let bundle: ProofBundle = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not an Entente proof bundle", args.file.display()))?;
    match bundle.verify(&key) {
        Ok(proof) => {
            if global.json {
                output::json(&json!({
                    "valid": true, "origin": proof.origin, "size": proof.size, "index": proof.index,
                    "object_id": bundle.object_id, "version": bundle.version,
                }))?;
            } else {
                println!(
                    "OK: {}@{} is entry {} of {} (size {}), under a checkpoint signed by {}",
                    bundle.object_id,
                    bundle.version,
                    proof.index,
                    proof.origin,
                    proof.size,
                    key.name()
                );
            }
            Ok(Verdict::Ok)
        }
        Err(e) => {
            if global.json {
                output::json(&json!({ "valid": false, "error": e.to_string() }))?;
            } else {
                println!("FAILED: {e}");
            }
            Ok(Verdict::No)
        }
    }
}
