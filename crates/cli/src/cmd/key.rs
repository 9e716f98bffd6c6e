//! `entente key show`.

use anyhow::Result;
use serde_json::json;

use crate::Verdict;
use crate::cli::Global;
use crate::input::open_store;
use crate::output;

pub fn show(global: &Global) -> Result<Verdict> {
    let store = open_store(global)?;
    let node = store.node();
    let vkey = node.verifier_key();
    if global.json {
        output::json(&json!({ "name": node.name(), "verifier_key": vkey }))?;
    } else {
        if !global.quiet {
            eprintln!(
                "Verifier key of node {:?}. Give it to partners over a channel you trust and \
                 compare it with them out of band: whoever holds its private half speaks for this node.",
                node.name()
            );
        }
        println!("{vkey}");
    }
    Ok(Verdict::Ok)
}
