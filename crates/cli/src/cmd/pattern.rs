//! `entente pattern check` and `entente pattern match`.

use std::io::{BufRead, BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::Verdict;
use crate::cli::{Global, PatternCheckArgs, PatternMatchArgs};
use crate::input;
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

pub fn matches(global: &Global, args: PatternMatchArgs) -> Result<Verdict> {
    if let Some(cases) = &args.cases {
        return match_cases(cases);
    }
    let (Some(text), Some(observed)) = (&args.pattern, &args.observed) else {
        bail!("give --pattern with --observed, or --cases");
    };
    let objects = read_observed(observed)?;
    let verdict = match pattern::parse(text) {
        Ok(p) => pattern::matches(&p, &objects).map_err(|e| e.to_string()),
        Err(e) => Err(e.render(text).trim_end().to_owned()),
    };
    match verdict {
        Ok(v) => {
            if global.json {
                output::json(&json!({ "matches": v }))?;
            } else {
                println!("{v}");
            }
            Ok(Verdict::Ok)
        }
        Err(message) => {
            if global.json {
                output::json(&json!({ "error": message }))?;
            } else {
                eprintln!("entente: {message}");
            }
            Ok(Verdict::No)
        }
    }
}

/// The objects of a bundle, or a JSON array of objects.
fn read_observed(path: &Path) -> Result<Vec<Value>> {
    let (source, _) = input::open(path)?;
    let mut objects = Vec::new();
    input::stream_objects(input::buffered(source), &mut |o| {
        objects.push(o);
        Ok(())
    })
    .with_context(|| format!("cannot read observed data from {}", path.display()))?;
    Ok(objects)
}

/// One verdict line per case: `true`, `false` or `error: MESSAGE`. A case
/// that is not a case (bad JSON, missing fields) gets an error line too, so
/// that the output keeps one line per input line.
fn match_cases(path: &Path) -> Result<Verdict> {
    let (source, _) = input::open(path)?;
    let lines = input::buffered(source);
    let mut out = BufWriter::new(std::io::stdout().lock());
    for (n, line) in lines.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let answer = match case_verdict(&line) {
            Ok(v) => v.to_string(),
            Err(message) => format!("error: {message}"),
        };
        writeln!(out, "{answer}").with_context(|| format!("case {}", n + 1))?;
    }
    out.flush()?;
    Ok(Verdict::Ok)
}

fn case_verdict(line: &str) -> Result<bool, String> {
    let case: Value = serde_json::from_str(line).map_err(|e| format!("not a JSON case: {e}"))?;
    let text = case
        .get("pattern")
        .and_then(Value::as_str)
        .ok_or("the case has no \"pattern\" string")?;
    let observed = case
        .get("observed")
        .and_then(Value::as_array)
        .ok_or("the case has no \"observed\" array")?;
    let p = pattern::parse(text).map_err(|e| e.message(text))?;
    pattern::matches(&p, observed).map_err(|e| e.to_string())
}
