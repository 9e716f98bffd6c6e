//! `entente publish` and `entente withdraw`.

use anyhow::{Context, Result};
use serde_json::{Value, json};
use store::{AppendOutcome, Micros, ObjectOutcome, Outcome, Store};

use crate::Verdict;
use crate::cli::{Global, PublishArgs, WithdrawArgs};
use crate::cmd::validate::{Problem, WarningTally, check_file, warnings};
use crate::input::open_store;
use crate::output;

/// Objects per transaction; bounds memory and the size of one commit.
const BATCH: usize = 4096;

pub fn run(global: &Global, args: PublishArgs) -> Result<Verdict> {
    let mut store = open_store(global)?;
    let coll = store.collection(&args.collection)?;
    let mut valid = Vec::new();
    let mut problems: Vec<Problem> = Vec::new();
    let mut warned: Vec<Problem> = Vec::new();
    let mut tally = WarningTally::default();
    for file in &args.files {
        let mut checked = check_file(file, coll.strict)?;
        tally.add(&checked.bundle_warnings);
        checked.valid.iter().for_each(|o| tally.add(o.warnings()));
        if global.json {
            warned.extend(warnings(&file.display().to_string(), &checked));
        }
        valid.append(&mut checked.valid);
        problems.append(&mut checked.errors);
    }
    let mut results = Vec::with_capacity(valid.len());
    let mut checkpoint = store.checkpoint(&coll.id)?;
    for chunk in valid.chunks(BATCH) {
        let outcome: AppendOutcome = store
            .append(&coll.id, chunk, Micros::now())
            .with_context(|| format!("cannot append to collection {}", coll.id))?;
        results.extend(outcome.results);
        checkpoint = outcome.checkpoint;
    }
    let refused = results.iter().filter(|r| !r.status.is_success()).count();
    if global.json {
        output::json(&json!({
            "collection": coll.id,
            "results": results.iter().map(result_json).collect::<Vec<_>>(),
            "invalid": problems,
            "warnings": warned,
            "warning_counts": tally.to_json(),
            "checkpoint": checkpoint,
        }))?;
    } else {
        for r in &results {
            println!("{}", result_line(r));
        }
        for p in &problems {
            println!("invalid    {}", p.line());
        }
        let files: Vec<String> = args.files.iter().map(|f| f.display().to_string()).collect();
        tally.report(global, &files.join(" "));
        print!("{checkpoint}");
    }
    Ok(if problems.is_empty() && refused == 0 {
        Verdict::Ok
    } else {
        Verdict::No
    })
}

pub fn withdraw(global: &Global, args: WithdrawArgs) -> Result<Verdict> {
    let mut store: Store = open_store(global)?;
    let coll = store.collection(&args.collection)?;
    match store.withdraw(&coll.id, &args.object_id, Micros::now()) {
        Ok((index, checkpoint)) => {
            if global.json {
                output::json(
                    &json!({ "id": args.object_id, "index": index, "checkpoint": checkpoint }),
                )?;
            } else {
                println!("withdrawn  {}  index {index}", args.object_id);
                print!("{checkpoint}");
            }
            Ok(Verdict::Ok)
        }
        Err(
            e @ (store::StoreError::UnknownObject { .. }
            | store::StoreError::AlreadyWithdrawn { .. }),
        ) => {
            eprintln!("entente: {e}");
            Ok(Verdict::No)
        }
        Err(e) => Err(e).context("cannot withdraw"),
    }
}

fn result_line(r: &ObjectOutcome) -> String {
    match &r.status {
        Outcome::Added { index, .. } => {
            format!("added      {}  {}  index {index}", r.id, r.version)
        }
        Outcome::Unchanged { index, .. } => {
            format!("unchanged  {}  {}  index {index}", r.id, r.version)
        }
        Outcome::Rejected(e) => format!("refused    {e}"),
    }
}

pub fn result_json(r: &ObjectOutcome) -> Value {
    match &r.status {
        Outcome::Added { index, date_added } => json!({
            "id": r.id, "version": r.version, "status": "added", "index": index, "date_added": date_added.to_string(),
        }),
        Outcome::Unchanged { index, date_added } => json!({
            "id": r.id, "version": r.version, "status": "unchanged", "index": index, "date_added": date_added.to_string(),
        }),
        Outcome::Rejected(e) => {
            json!({ "id": r.id, "version": r.version, "status": "refused", "message": e.to_string() })
        }
    }
}
