//! Validates JSON documents read from stdin, one per line, and reports how many
//! objects per second that took (parse + validate + canonicalise the valid ones,
//! as the store does on every write).
//!
//! ```text
//! cargo run --release -p entente-stix --example validate_lines < corpus.jsonl
//! ```

use std::io::Read;
use std::time::Instant;

fn main() -> std::io::Result<()> {
    let mut input = String::new();
    std::io::stdin().lock().read_to_string(&mut input)?;
    let lines: Vec<&str> = input.lines().filter(|l| !l.trim().is_empty()).collect();
    let (mut objects, mut valid, mut bytes) = (0usize, 0usize, 0usize);
    let start = Instant::now();
    for line in &lines {
        let Ok(doc) = stix::parse(line.as_bytes()) else {
            continue;
        };
        let report = stix::validate_document(doc, &stix::ValidateOptions::default());
        for result in report.objects {
            objects += 1;
            if let Ok(obj) = result {
                valid += 1;
                bytes += obj.canonical_bytes().map(|b| b.len()).unwrap_or(0);
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "documents={} objects={objects} valid={valid} canonical_bytes={bytes} seconds={secs:.6} objects_per_second={:.0}",
        lines.len(),
        objects as f64 / secs.max(1e-9)
    );
    Ok(())
}
