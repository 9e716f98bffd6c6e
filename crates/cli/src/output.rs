//! How results reach the user: text or JSON on stdout, progress on a terminal.

use std::io::Write;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::cli::Global;

/// Prints one JSON document on stdout.
pub fn json<T: Serialize>(value: &T) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// A progress bar on stderr when it is a terminal and not `--quiet`; hidden otherwise.
pub fn progress(global: &Global, total: Option<u64>, what: &str, bytes: bool) -> ProgressBar {
    let target = if global.quiet {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    };
    let bar = match total {
        Some(n) => ProgressBar::with_draw_target(Some(n), target),
        None => ProgressBar::with_draw_target(None, target),
    };
    let template = match (total.is_some(), bytes) {
        (true, true) => "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        (true, false) => "{msg} [{bar:30}] {pos}/{len} ({per_sec}, {eta})",
        (false, true) => "{msg} {spinner} {bytes} ({bytes_per_sec})",
        (false, false) => "{msg} {spinner} {pos} ({per_sec})",
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_owned());
    bar
}

/// Says on stderr, one line each, which stored versions a read left out
/// because their entry cannot be used.
pub fn report_skipped(skipped: &[store::Skipped]) {
    for s in skipped {
        eprintln!(
            "entente: skipped {} (entry {}): {}",
            s.id, s.index, s.reason
        );
    }
}
