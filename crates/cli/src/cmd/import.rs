//! `entente import`: large documents, streamed and appended in batches.

use anyhow::{Context, Result};
use serde_json::json;
use stix::{Object, Validated};
use store::{Micros, Store};

use crate::Verdict;
use crate::cli::{Global, ImportArgs};
use crate::cmd::validate::{Problem, check};
use crate::input::{open, open_store, stream_objects};
use crate::output;

#[derive(Default)]
struct Tally {
    added: u64,
    unchanged: u64,
    refused: u64,
    invalid: u64,
    checkpoint: Option<String>,
}

pub fn run(global: &Global, args: ImportArgs) -> Result<Verdict> {
    let mut store = open_store(global)?;
    let coll = store.collection(&args.collection)?;
    let (reader, len) = open(&args.file)?;
    let bar = output::progress(global, len, "importing", true);
    let reader = crate::input::buffered(bar.wrap_read(reader));
    let name = args.file.display().to_string();
    let batch_size = args.batch as usize;

    let mut tally = Tally::default();
    let mut batch: Vec<Validated<Object>> = Vec::with_capacity(batch_size);
    let mut index = 0usize;
    let mut report = |problem: &Problem| {
        // Problems go to stdout as they happen, so nothing is held back on a long import.
        if !global.json {
            bar.suspend(|| println!("invalid    {}", problem.line()));
        }
    };
    let streamed = stream_objects(reader, &mut |value| {
        match check(&name, index, value) {
            Ok(object) => batch.push(object),
            Err(problems) => {
                tally.invalid += 1;
                problems.iter().for_each(&mut report);
            }
        }
        index += 1;
        if batch.len() >= batch_size {
            flush(&mut store, &coll.id, &mut batch, &mut tally, global, &bar)?;
        }
        Ok(())
    });
    // Whatever was read before an error is still appended: nothing valid is lost.
    flush(&mut store, &coll.id, &mut batch, &mut tally, global, &bar)?;
    bar.finish_and_clear();
    streamed.with_context(|| format!("{name}: import stopped after {index} object(s)"))?;

    let checkpoint = match tally.checkpoint.take() {
        Some(c) => c,
        None => store.checkpoint(&coll.id)?,
    };
    if global.json {
        println!(
            "{}",
            json!({
                "event": "done", "collection": coll.id, "objects": index, "added": tally.added, "unchanged": tally.unchanged,
                "refused": tally.refused, "invalid": tally.invalid, "checkpoint": checkpoint,
            })
        );
    } else {
        if !global.quiet {
            eprintln!(
                "{index} object(s): {} added, {} unchanged, {} refused, {} invalid",
                tally.added, tally.unchanged, tally.refused, tally.invalid
            );
        }
        print!("{checkpoint}");
    }
    Ok(if tally.refused + tally.invalid == 0 {
        Verdict::Ok
    } else {
        Verdict::No
    })
}

fn flush(
    store: &mut Store,
    collection: &str,
    batch: &mut Vec<Validated<Object>>,
    tally: &mut Tally,
    global: &Global,
    bar: &indicatif::ProgressBar,
) -> Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let outcome = store
        .append(collection, batch, Micros::now())
        .context("cannot append a batch")?;
    batch.clear();
    for r in &outcome.results {
        match &r.status {
            store::Outcome::Added { .. } => tally.added += 1,
            store::Outcome::Unchanged { .. } => tally.unchanged += 1,
            store::Outcome::Rejected(e) => {
                tally.refused += 1;
                if !global.json {
                    bar.suspend(|| println!("refused    {e}"));
                }
            }
        }
    }
    if global.json {
        // One line per committed batch: what is acknowledged so far.
        println!(
            "{}",
            json!({ "event": "batch", "objects": tally.added + tally.unchanged + tally.refused, "size": outcome.size, "checkpoint": outcome.checkpoint })
        );
    }
    tally.checkpoint = Some(outcome.checkpoint);
    Ok(())
}
