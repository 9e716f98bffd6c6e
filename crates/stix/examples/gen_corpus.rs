//! Writes the conformance corpus (valid objects of every type and mutations of
//! them) to stdout as JSON lines, one document per line.
//!
//! ```text
//! cargo run -p entente-stix --example gen_corpus -- [PER_TYPE [MUTATIONS [SEED]]]
//! ```
//!
//! The defaults (20 bases per type, 3 mutations each, the test's seed) give the
//! same generated part as `tests/conformance.rs`.

#[path = "../tests/corpus/mod.rs"]
mod corpus;

use std::io::{BufWriter, Write};

fn arg(n: usize, default: u64) -> u64 {
    std::env::args()
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

fn main() -> std::io::Result<()> {
    let per_type = arg(1, 20) as usize;
    let mutations = arg(2, 3) as usize;
    let seed = arg(3, 0x5715_2026_e1ec_7104);
    let mut out = BufWriter::new(std::io::stdout().lock());
    for case in corpus::generate(seed, per_type, mutations) {
        writeln!(out, "{}", case.document)?;
    }
    out.flush()
}
