//! `entente export`.

use std::fs::File;
use std::io::{BufWriter, Write};

use anyhow::{Context, Result};
use serde_json::json;

use crate::Verdict;
use crate::cli::{ExportArgs, Global};
use crate::input::open_store;
use crate::output;

pub fn run(global: &Global, args: ExportArgs) -> Result<Verdict> {
    let store = open_store(global)?;
    let coll = store.collection(&args.collection)?;
    if let Some(dir) = &args.tiles {
        let bar = output::progress(global, Some(coll.size), "exporting", false);
        let written = store
            .export_tiles(&coll.id, dir, &mut |n| bar.set_position(n))
            .with_context(|| format!("cannot export the tile tree to {}", dir.display()))?;
        bar.finish_and_clear();
        if global.json {
            output::json(
                &json!({ "dir": dir, "size": written.size, "tiles": written.tiles, "bundles": written.bundles }),
            )?;
        } else if !global.quiet {
            eprintln!(
                "wrote the tile tree of {} entries to {} ({} hash tiles, {} entry bundles, signed checkpoint)",
                written.size,
                dir.display(),
                written.tiles,
                written.bundles
            );
        }
        return Ok(Verdict::Ok);
    }

    let sink: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::new(sink);
    write!(
        out,
        "{{\"type\":\"bundle\",\"id\":\"bundle--{}\",\"objects\":[",
        uuid::Uuid::new_v4()
    )?;
    let mut first = true;
    let skipped = store.for_each_live_object(&coll.id, |object| -> Result<()> {
        if !first {
            out.write_all(b",")?;
        }
        first = false;
        out.write_all(b"\n")?;
        serde_json::to_writer(&mut out, &object)?;
        Ok(())
    })?;
    out.write_all(b"\n]}\n")?;
    out.flush()?;
    crate::output::report_skipped(&skipped);
    Ok(Verdict::Ok)
}
