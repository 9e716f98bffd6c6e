//! Our matching verdicts against the reference matcher's, on
//! `shared/testdata/stix-patterns/match.jsonl` and `match_errors.jsonl`.
//!
//! On `match.jsonl` our verdict must be `spec_expected` where the case has
//! one (the STIX 2.1 specification disagrees with the reference there), else
//! the reference's `matches`. On `match_errors.jsonl`, where the reference
//! raises, we must answer `spec_expected` where present, else refuse or
//! answer `false`: an invalid pattern never matches (spec 9.4).

use std::path::PathBuf;

use serde_json::Value;

fn corpus_dir() -> PathBuf {
    // crates/pattern -> the workspace root -> its parent, which holds shared/.
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/stix-patterns")
}

fn read(name: &str) -> Vec<Value> {
    let path = corpus_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{name}:{}: {e}", i + 1))
        })
        .collect()
}

/// Our verdict: `Ok(bool)`, or `Err` with why the pattern was refused.
fn verdict(case: &Value) -> Result<bool, String> {
    let text = case["pattern"].as_str().expect("pattern is a string");
    let observed = case["observed"].as_array().expect("observed is an array");
    let p = pattern::parse(text).map_err(|e| format!("parse: {}", e.message(text)))?;
    pattern::matches(&p, observed).map_err(|e| format!("eval: {e}"))
}

fn id(case: &Value) -> &str {
    case["id"].as_str().unwrap_or("?")
}

/// Names the cases the specification decides, so that a reader of the test
/// output sees where we depart from the reference.
fn note_spec(case: &Value, file: &str) {
    if let Some(spec) = case.get("spec_expected") {
        eprintln!(
            "{file} {}: spec over reference, expecting {spec}: {}",
            id(case),
            case["spec_note"].as_str().unwrap_or("")
        );
    }
}

#[test]
fn match_corpus() {
    let cases = read("match.jsonl");
    assert_eq!(cases.len(), 877, "match.jsonl changed size");
    let mut failures = Vec::new();
    for case in &cases {
        note_spec(case, "match.jsonl");
        let want = case
            .get("spec_expected")
            .or_else(|| case.get("matches"))
            .and_then(Value::as_bool)
            .expect("matches is a boolean");
        let got = verdict(case);
        if got != Ok(want) {
            failures.push(format!(
                "{}: want {want}, got {got:?}: {}",
                id(case),
                case["pattern"]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} match.jsonl cases disagree:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn match_error_corpus() {
    let cases = read("match_errors.jsonl");
    assert_eq!(cases.len(), 67, "match_errors.jsonl changed size");
    let mut failures = Vec::new();
    for case in &cases {
        note_spec(case, "match_errors.jsonl");
        let got = verdict(case);
        let ok = match case.get("spec_expected").and_then(Value::as_bool) {
            Some(want) => got == Ok(want),
            None => matches!(got, Err(_) | Ok(false)),
        };
        if !ok {
            failures.push(format!(
                "{} ({}): want {}, got {got:?}: {}",
                id(case),
                case["error_kind"].as_str().unwrap_or("?"),
                case.get("spec_expected")
                    .map_or_else(|| "an error or false".to_owned(), Value::to_string),
                case["pattern"]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} match_errors.jsonl cases disagree:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
