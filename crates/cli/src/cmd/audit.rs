//! `entente audit`.

use anyhow::{Context, Result};
use serde_json::json;
use store::AuditReport;

use crate::Verdict;
use crate::cli::{AuditArgs, Global};
use crate::input::open_store;
use crate::output;

pub fn run(global: &Global, args: AuditArgs) -> Result<Verdict> {
    let reports = match (&args.tiles, &args.key) {
        (Some(dir), Some(key)) => {
            let key: tlog::Verifier = key
                .parse()
                .with_context(|| format!("invalid verifier key {key:?}"))?;
            let bar = output::progress(global, None, "auditing", false);
            let report = store::audit_tile_dir(dir, &key, &mut |n| bar.set_position(n))
                .with_context(|| format!("cannot audit the tile tree in {}", dir.display()))?;
            bar.finish_and_clear();
            vec![(dir.display().to_string(), report)]
        }
        _ => {
            let store = open_store(global)?;
            let collections = match &args.collection {
                Some(c) => vec![store.collection(c)?],
                None => store.collections()?,
            };
            let mut reports = Vec::new();
            for coll in collections {
                let bar = output::progress(
                    global,
                    Some(coll.size),
                    &format!("auditing {}", coll.alias.as_deref().unwrap_or(&coll.id)),
                    false,
                );
                let report = store
                    .audit(&coll.id, args.deep, &mut |n| bar.set_position(n))
                    .with_context(|| format!("cannot audit collection {}", coll.id))?;
                bar.finish_and_clear();
                reports.push((coll.alias.clone().unwrap_or(coll.id.clone()), report));
            }
            reports
        }
    };
    let all_ok = reports.iter().all(|(_, r)| r.mismatch.is_none());
    if global.json {
        output::json(
            &reports
                .iter()
                .map(|(name, r)| report_json(name, r))
                .collect::<Vec<_>>(),
        )?;
    } else {
        for (name, r) in &reports {
            println!("{}", report_line(name, r));
        }
    }
    Ok(if all_ok { Verdict::Ok } else { Verdict::No })
}

fn report_line(name: &str, r: &AuditReport) -> String {
    match &r.mismatch {
        None => format!(
            "OK        {name}: {} entries, {} tiles, {} signed checkpoints verified; log {} root {}",
            r.entries, r.tiles, r.checkpoints, r.origin, r.root
        ),
        Some(m) => format!("MISMATCH  {name}: {m}"),
    }
}

fn report_json(name: &str, r: &AuditReport) -> serde_json::Value {
    json!({
        "name": name,
        "origin": r.origin,
        "ok": r.mismatch.is_none(),
        "entries": r.entries,
        "tiles": r.tiles,
        "checkpoints": r.checkpoints,
        "root": r.root,
        "mismatch": r.mismatch.as_ref().map(|m| json!({ "index": m.index, "what": m.what })),
    })
}
