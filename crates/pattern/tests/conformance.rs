//! Our verdicts against the reference's, on `shared/testdata/stix-patterns`.
//!
//! `valid.jsonl` holds 1,206 patterns with the verdict of the reference
//! validator (`stix2-patterns` 2.1.2, `valid`) and, where the STIX 2.1
//! specification says otherwise, the specification's (`spec_valid`, with a
//! `spec_note`). Our verdict must be `spec_valid` where present, else `valid`:
//! where the two differ the specification wins. [`SPEC_OVER_REFERENCE`] names
//! the cases where the specification decides although the corpus carries no
//! `spec_valid`; each entry is checked against the corpus so that it goes stale
//! loudly when the corpus is fixed.

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::Value;

/// Patterns that the reference accepts, that the corpus does not annotate, and
/// that the specification forbids: we refuse them. Empty while the corpus
/// annotates every such case itself (it now marks the two that were here).
const SPEC_OVER_REFERENCE: &[(&str, &str)] = &[];

fn corpus_dir() -> PathBuf {
    // crates/pattern -> the workspace root -> its parent, which holds shared/.
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/stix-patterns");
    assert!(
        dir.join("valid.jsonl").is_file(),
        "the pattern corpus is missing: expected {}/valid.jsonl (the shared/ folder sits next to the \
         workspace root; see shared/testdata/stix-patterns/README.md)",
        dir.display()
    );
    dir
}

/// The lines of a JSON Lines file of the corpus, parsed, with their line numbers.
fn read(name: &str) -> Vec<(usize, Value)> {
    let path = corpus_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            let v: Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{name}:{}: {e}", i + 1));
            (i + 1, v)
        })
        .collect()
}

fn verdict(valid: bool) -> &'static str {
    if valid { "valid" } else { "invalid" }
}

struct Case {
    line: usize,
    pattern: String,
    /// What we must say.
    expected: bool,
    /// Why: `valid` (the reference), `spec_valid` (the corpus's spec
    /// annotation) or `spec` (named in SPEC_OVER_REFERENCE).
    authority: &'static str,
    reference: bool,
    note: String,
    source: String,
}

fn cases() -> Vec<Case> {
    let named: HashMap<&str, &str> = SPEC_OVER_REFERENCE.iter().copied().collect();
    let mut seen_named = Vec::new();
    let mut out = Vec::new();
    for (line, v) in read("valid.jsonl") {
        let pattern = v["pattern"]
            .as_str()
            .unwrap_or_else(|| panic!("valid.jsonl:{line}: no pattern"))
            .to_owned();
        let reference = v["valid"]
            .as_bool()
            .unwrap_or_else(|| panic!("valid.jsonl:{line}: no valid"));
        let spec = v.get("spec_valid").and_then(Value::as_bool);
        let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        let (expected, authority, note) = if let Some(spec) = spec {
            (spec, "spec_valid", text("spec_note"))
        } else if let Some(why) = named.get(pattern.as_str()) {
            assert!(
                reference,
                "SPEC_OVER_REFERENCE names {pattern:?}, but the reference already refuses it: remove the entry"
            );
            seen_named.push(pattern.clone());
            (false, "spec", (*why).to_owned())
        } else {
            (reference, "valid", text("note"))
        };
        out.push(Case {
            line,
            pattern,
            expected,
            authority,
            reference,
            note,
            source: text("source"),
        });
    }
    for (p, _) in SPEC_OVER_REFERENCE {
        assert!(
            seen_named.iter().any(|s| s == p),
            "SPEC_OVER_REFERENCE names {p:?}, which is not in valid.jsonl without spec_valid: remove the entry"
        );
    }
    out
}

#[test]
fn verdicts_match_the_reference_or_the_spec() {
    let cases = cases();
    let mut agree = 0;
    let mut spec_cases = Vec::new();
    let mut problems = Vec::new();
    for c in &cases {
        let ours = pattern::parse(&c.pattern);
        if c.expected != c.reference {
            spec_cases.push(format!(
                "  valid.jsonl:{} {:?}: reference {}, spec {} ({}: {})",
                c.line,
                c.pattern,
                verdict(c.reference),
                verdict(c.expected),
                c.authority,
                c.note
            ));
        }
        if ours.is_ok() == c.expected {
            agree += 1;
            continue;
        }
        let why = match &ours {
            Ok(tree) => format!("we accept it, printed as {tree}"),
            Err(e) => format!("we refuse it:\n{}", indent(&e.render(&c.pattern))),
        };
        problems.push(format!(
            "- valid.jsonl:{} {:?}\n  expected {} ({}{}{}), reference {}, ours {}\n  source: {}\n  {why}",
            c.line,
            c.pattern,
            verdict(c.expected),
            c.authority,
            if c.note.is_empty() { "" } else { ": " },
            c.note,
            verdict(c.reference),
            verdict(ours.is_ok()),
            c.source,
        ));
    }
    eprintln!(
        "valid.jsonl: {} cases, {agree} agreements, {} disagreements; {} where the spec overrides the reference:\n{}",
        cases.len(),
        problems.len(),
        spec_cases.len(),
        spec_cases.join("\n")
    );
    assert!(
        problems.is_empty(),
        "{} disagreements with valid.jsonl:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("    {l}\n")).collect()
}

/// The matcher corpora (`match.jsonl`, `match_errors.jsonl`) reuse patterns of
/// `valid.jsonl`, so the evaluator can trust our verdicts there; and every
/// pattern the reference matcher fails to parse, we refuse.
#[test]
fn matcher_corpora_patterns_have_verdicts() {
    let verdicts: HashMap<String, bool> = cases()
        .into_iter()
        .map(|c| (c.pattern, c.expected))
        .collect();
    let mut problems = Vec::new();
    for name in ["match.jsonl", "match_errors.jsonl"] {
        for (line, v) in read(name) {
            let p = v["pattern"].as_str().expect("a pattern");
            let ours = pattern::parse(p).is_ok();
            match verdicts.get(p) {
                None => problems.push(format!("{name}:{line} {p:?} is not in valid.jsonl")),
                Some(&want) if want != ours => problems.push(format!(
                    "{name}:{line} {p:?}: expected {}, ours {}",
                    verdict(want),
                    verdict(ours)
                )),
                Some(_) => {}
            }
            if v.get("error_kind").and_then(Value::as_str) == Some("parse") && ours {
                problems.push(format!(
                    "{name}:{line} {p:?}: the reference cannot parse it, we accept it"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
