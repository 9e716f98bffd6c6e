//! `entente init`.

use anyhow::{Context, Result};
use rand::RngCore;
use serde_json::json;

use crate::Verdict;
use crate::cli::{Global, InitArgs};
use crate::input::data_dir;
use crate::output;

pub fn run(global: &Global, args: InitArgs) -> Result<Verdict> {
    let dir = data_dir(global)?;
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    let store = store::Store::init(&dir, &args.name, seed)
        .with_context(|| format!("cannot create a node in {}", dir.display()))?;
    let default = store.collection(store::DEFAULT_COLLECTION)?;
    let vkey = store.node().verifier_key();
    if global.json {
        output::json(&json!({
            "data": dir,
            "name": store.node().name(),
            "verifier_key": vkey,
            "default_collection": default.id,
            "origin": store.node().origin(&default.id),
        }))?;
    } else {
        if !global.quiet {
            eprintln!(
                "Created node {:?} in {}",
                store.node().name(),
                dir.display()
            );
            eprintln!("Default collection {} (alias `default`)", default.id);
            eprintln!("Verifier key (give it to partners so they can check this node's logs):");
        }
        println!("{vkey}");
    }
    Ok(Verdict::Ok)
}
