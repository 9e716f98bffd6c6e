//! `entente pattern check`.

use anyhow::Result;
use serde_json::json;

use crate::Verdict;
use crate::cli::{Global, PatternCheckArgs};
use crate::output;

pub fn check(global: &Global, args: PatternCheckArgs) -> Result<Verdict> {
    let pattern = &args.pattern;
    match pattern::parse(pattern) {
        Ok(_) => {
            if global.json {
                output::json(&json!({ "valid": true }))?;
            } else {
                println!("valid");
            }
            Ok(Verdict::Ok)
        }
        Err(e) => {
            if global.json {
                output::json(&json!({
                    "valid": false,
                    "message": e.message(pattern),
                    "byte_start": e.span.start,
                    "byte_end": e.span.end,
                }))?;
            } else {
                let shown = e.render(pattern);
                println!("{}", shown.trim_end_matches('\n'));
            }
            Ok(Verdict::No)
        }
    }
}
