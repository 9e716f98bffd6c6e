//! `entente import`: large documents, streamed and appended in batches.

use std::sync::mpsc;

use anyhow::{Context, Result, anyhow};
use serde_json::json;
use stix::{Object, Validated};
use store::{Micros, Store};

use crate::Verdict;
use crate::cli::{Global, ImportArgs};
use crate::cmd::validate::{Problem, WarningTally, check, problems};
use crate::input::{open, open_store, stream_objects};
use crate::output;

#[derive(Default)]
struct Tally {
    added: u64,
    unchanged: u64,
    refused: u64,
    invalid: u64,
    warnings: WarningTally,
    checkpoint: Option<String>,
}

pub fn run(global: &Global, args: ImportArgs) -> Result<Verdict> {
    let mut store = open_store(global)?;
    let coll = store.collection(&args.collection)?;
    let (reader, len) = open(&args.file)?;
    let bar = output::progress(global, len, "importing", true);
    let reader = crate::input::buffered(bar.wrap_read(reader));
    let name = args.file.display().to_string();
    let file_name = name.clone();
    let batch_size = args.batch as usize;
    let strict = coll.strict;

    let mut tally = Tally::default();
    // Two stages on two threads: parsing and validating the next batch runs
    // while the previous one is appended and its commit waits for the disk.
    let (objects, streamed) = std::thread::scope(|scope| -> Result<(usize, Result<()>)> {
        let (tx, rx) = mpsc::sync_channel::<Parsed>(2);
        let parser = scope.spawn(move || {
            let mut batch = Vec::with_capacity(batch_size);
            let mut index = 0usize;
            let streamed = stream_objects(reader, &mut |value| {
                let message = match check(&name, index, value, strict) {
                    Ok(object) => {
                        batch.push(object);
                        (batch.len() >= batch_size).then(|| {
                            Parsed::Batch(std::mem::replace(
                                &mut batch,
                                Vec::with_capacity(batch_size),
                            ))
                        })
                    }
                    Err(problems) => Some(Parsed::Invalid(problems)),
                };
                index += 1;
                match message {
                    Some(m) => tx.send(m).map_err(|_| anyhow!("the import stopped")),
                    None => Ok(()),
                }
            });
            // Whatever was read before an error is still appended: nothing valid is lost.
            if !batch.is_empty() {
                let _ = tx.send(Parsed::Batch(batch));
            }
            (index, streamed)
        });
        for message in rx {
            match message {
                Parsed::Batch(batch) => {
                    for object in &batch {
                        tally.warnings.add(object.warnings());
                        if global.json {
                            for w in problems(&file_name, None, object.warnings()) {
                                println!("{}", json!({"event": "warning", "warning": w}));
                            }
                        }
                    }
                    flush(&mut store, &coll.id, &batch, &mut tally, global, &bar)?
                }
                Parsed::Invalid(problems) => {
                    tally.invalid += 1;
                    // Problems go to stdout as they happen, so nothing is held back on a long import.
                    if !global.json {
                        bar.suspend(|| {
                            problems
                                .iter()
                                .for_each(|p| println!("invalid    {}", p.line()))
                        });
                    }
                }
            }
        }
        parser
            .join()
            .map_err(|_| anyhow!("the import's parsing thread panicked"))
    })?;
    bar.finish_and_clear();
    streamed.with_context(|| {
        format!(
            "{}: import stopped after {objects} object(s)",
            args.file.display()
        )
    })?;

    let checkpoint = match tally.checkpoint.take() {
        Some(c) => c,
        None => store.checkpoint(&coll.id)?,
    };
    if global.json {
        println!(
            "{}",
            json!({
                "event": "done", "collection": coll.id, "objects": objects, "added": tally.added, "unchanged": tally.unchanged,
                "refused": tally.refused, "invalid": tally.invalid,
                "warnings": tally.warnings.to_json(), "checkpoint": checkpoint,
            })
        );
    } else {
        if !global.quiet {
            eprintln!(
                "{objects} object(s): {} added, {} unchanged, {} refused, {} invalid",
                tally.added, tally.unchanged, tally.refused, tally.invalid
            );
        }
        tally.warnings.report(global, &file_name);
        print!("{checkpoint}");
    }
    Ok(if tally.refused + tally.invalid == 0 {
        Verdict::Ok
    } else {
        Verdict::No
    })
}

/// What the parsing stage hands to the appending stage.
enum Parsed {
    /// Valid objects, appended as one log batch.
    Batch(Vec<Validated<Object>>),
    /// Every problem of one invalid object.
    Invalid(Vec<Problem>),
}

fn flush(
    store: &mut Store,
    collection: &str,
    batch: &[Validated<Object>],
    tally: &mut Tally,
    global: &Global,
    bar: &indicatif::ProgressBar,
) -> Result<()> {
    let outcome = store
        .append(collection, batch, Micros::now())
        .context("cannot append a batch")?;
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
