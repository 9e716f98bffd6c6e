//! `entente quarantine list|release|reject`: partner objects that hit a
//! warninglist, and the analyst's decision on them.

use anyhow::Result;
use serde_json::{Value, json};

use crate::Verdict;
use crate::cli::{Global, QuarantineDecideArgs, QuarantineListArgs};
use crate::input::open_store;
use crate::output;

fn held_json(h: &store::Held) -> Value {
    json!({
        "id": h.id,
        "version": h.version,
        "peer": h.peer,
        "collection": h.alias.clone().unwrap_or_else(|| h.collection.clone()),
        "reason": h.reason,
        "invalid": h.invalid,
        "state": h.state.as_str(),
        "decided": h.decided.map(|t| t.to_string()),
    })
}

pub fn list(global: &Global, args: QuarantineListArgs) -> Result<Verdict> {
    let store = open_store(global)?;
    let held = store.quarantine(args.all)?;
    if global.json {
        output::json(&json!({ "quarantine": held.iter().map(held_json).collect::<Vec<_>>() }))?;
        return Ok(Verdict::Ok);
    }
    if held.is_empty() {
        println!("nothing is quarantined");
    }
    for h in &held {
        let state = if args.all {
            format!(" [{}]", h.state.as_str())
        } else {
            String::new()
        };
        println!(
            "{} {} from {}{state}: {}",
            h.id,
            h.version,
            h.peer.as_deref().unwrap_or("?"),
            h.reason
        );
    }
    Ok(Verdict::Ok)
}

pub fn decide(global: &Global, args: QuarantineDecideArgs, release: bool) -> Result<Verdict> {
    let mut store = open_store(global)?;
    let decided = match store.decide_quarantine(
        &args.id,
        args.version.as_deref(),
        release,
        store::Micros::now(),
    ) {
        Ok(decided) => decided,
        // The command ran and the answer is no: nothing held, or not releasable.
        Err(e @ (store::StoreError::NotHeld { .. } | store::StoreError::Unreleasable { .. })) => {
            eprintln!("entente: {e}");
            return Ok(Verdict::No);
        }
        Err(e) => return Err(e.into()),
    };
    if global.json {
        output::json(&json!({ "decided": decided.iter().map(held_json).collect::<Vec<_>>() }))?;
    } else {
        for h in &decided {
            let what = if release {
                "released: it is now used for matching and exports"
            } else {
                "rejected: it stays out for good (and stays in the partner's log)"
            };
            println!("{} {} {what}", h.id, h.version);
        }
    }
    Ok(Verdict::Ok)
}
