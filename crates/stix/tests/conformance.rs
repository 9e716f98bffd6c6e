//! Our verdicts against stix2-validator's (`--strict --version 2.1`).
//!
//! The corpus is (1) a deterministic, seeded set of valid objects of every type
//! and mutations of them (`corpus/mod.rs`), and (2) hand-written cases in
//! `tests/data/invalid-cases.jsonl`, one defect each, one per MUST rule. Both go
//! through our validator and, in one Python process, through
//! `tests/conformance/validator_verdicts.py`. Every verdict must agree, except:
//!
//! * `stricter_than_validator`: we must reject AND the validator must accept, so
//!   the note cannot go stale;
//! * `laxer_than_validator`: we must accept AND the validator must reject;
//! * `needs_pattern_checker`: malformed STIX patterns, which `stix` alone cannot
//!   see: we must reject them with `pattern::check` as the pattern checker (as
//!   every case here is validated), accept them without it, and the validator
//!   must reject them.
//!
//! The Python interpreter comes from `ENTENTE_PYTHON`, else `.venv/bin/python` at
//! the repository root (made by `scripts/python-env.sh`). Without either the test
//! panics when `CI` is set and prints a loud skip note otherwise.

mod corpus;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

const SEED: u64 = 0x5715_2026_e1ec_7104;
const PER_TYPE: usize = 20;
const MUTATIONS: usize = 3;

struct Entry {
    name: String,
    line: String,
    stricter: Option<String>,
    laxer: Option<String>,
    needs_pattern_checker: bool,
    handwritten: bool,
}

fn repo_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // Canonical, so that a venv's python finds its pyvenv.cfg next to it.
    std::fs::canonicalize(&root).unwrap_or(root)
}

fn python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ENTENTE_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let venv = repo_root().join(".venv/bin/python");
    venv.exists().then_some(venv)
}

fn handwritten() -> Vec<Entry> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/invalid-cases.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with("//") {
            continue;
        }
        let case: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("invalid-cases.jsonl:{}: {e}", n + 1));
        let rule = case["rule"]
            .as_str()
            .unwrap_or_else(|| panic!("invalid-cases.jsonl:{}: no rule", n + 1));
        let text = |k: &str| case.get(k).and_then(Value::as_str).map(str::to_owned);
        out.push(Entry {
            name: format!("invalid-cases.jsonl:{} [{rule}]", n + 1),
            line: case["object"].to_string(),
            stricter: text("stricter_than_validator"),
            laxer: text("laxer_than_validator"),
            needs_pattern_checker: case
                .get("needs_pattern_checker")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            handwritten: true,
        });
    }
    out
}

fn corpus() -> Vec<Entry> {
    let mut entries: Vec<Entry> = corpus::generate(SEED, PER_TYPE, MUTATIONS)
        .into_iter()
        .map(|c| Entry {
            name: c.name,
            line: c.document.to_string(),
            stricter: None,
            laxer: None,
            needs_pattern_checker: false,
            handwritten: false,
        })
        .collect();
    entries.extend(handwritten());
    let example = repo_root().join("examples/election-indicators.json");
    let text =
        std::fs::read_to_string(&example).unwrap_or_else(|e| panic!("{}: {e}", example.display()));
    let bundle: Value = serde_json::from_str(&text).expect("the example bundle is JSON");
    entries.push(Entry {
        name: "examples/election-indicators.json:base".into(),
        line: bundle.to_string(),
        stricter: None,
        laxer: None,
        needs_pattern_checker: false,
        handwritten: false,
    });
    entries
}

/// (valid, messages) from our side, with `pattern::check` checking `stix` patterns.
fn ours(line: &str) -> (bool, Vec<String>) {
    ours_with(
        line,
        &stix::ValidateOptions::default().with_pattern_checker(&pattern::check),
    )
}

/// (valid, messages) from `stix` alone, without a pattern checker.
fn ours_without_pattern_checker(line: &str) -> (bool, Vec<String>) {
    ours_with(line, &stix::ValidateOptions::default())
}

fn ours_with(line: &str, options: &stix::ValidateOptions<'_>) -> (bool, Vec<String>) {
    match stix::parse(line.as_bytes()) {
        Err(e) => (false, vec![format!("parse: {e}")]),
        Ok(doc) => {
            let report = stix::validate_document(doc, options);
            (
                report.is_valid(),
                report.errors().map(ToString::to_string).collect(),
            )
        }
    }
}

/// (valid, messages) from stix2-validator, one per line, in one process.
fn theirs(py: &Path, lines: &[&str]) -> Vec<(bool, Vec<String>)> {
    let script = repo_root().join("tests/conformance/validator_verdicts.py");
    let mut child = Command::new(py)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {} {}: {e}", py.display(), script.display()));
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input: String = lines.iter().flat_map(|l| [*l, "\n"]).collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let stdout = child.stdout.take().expect("piped stdout");
    let mut out = Vec::with_capacity(lines.len());
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("validator output is UTF-8");
        let v: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("bad verdict line {line:?}: {e}"));
        let msgs = v["messages"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        out.push((v["valid"].as_bool().unwrap_or(false), msgs));
    }
    let written = writer.join().expect("writer thread");
    let status = child.wait().expect("validator process");
    assert!(
        status.success(),
        "validator_verdicts.py exited with {status} (is requirements-test.txt installed for {}?)",
        py.display()
    );
    written.expect("write to validator");
    assert_eq!(out.len(), lines.len(), "one verdict per input line");
    out
}

fn short(s: &str) -> String {
    if s.len() > 600 {
        let mut cut = 600;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}…", &s[..cut])
    } else {
        s.to_owned()
    }
}

/// Runs without Python: the generated bases are valid for us, and every
/// hand-written case gets the verdict its annotation promises on our side.
#[test]
fn corpus_is_what_it_claims_on_our_side() {
    let mut problems = Vec::new();
    for e in corpus() {
        let (valid, msgs) = ours(&e.line);
        if e.needs_pattern_checker && !ours_without_pattern_checker(&e.line).0 {
            problems.push(format!(
                "{}: marked needs_pattern_checker, but stix rejects it without the checker\n  {}",
                e.name,
                short(&e.line)
            ));
        }
        let want_valid = if e.handwritten {
            e.laxer.is_some()
        } else if e.name.ends_with(":base") {
            true
        } else {
            continue;
        };
        if valid != want_valid {
            problems.push(format!(
                "{}: expected {}, got {}\n  {}\n  {}",
                e.name,
                if want_valid { "valid" } else { "invalid" },
                if valid { "valid" } else { "invalid" },
                short(&e.line),
                msgs.join("\n  ")
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn verdicts_match_stix2_validator() {
    let Some(py) = python() else {
        let how = "run scripts/python-env.sh (it builds .venv at the repository root), or set ENTENTE_PYTHON to a python with requirements-test.txt installed";
        if std::env::var_os("CI").is_some() {
            panic!("conformance test needs stix2-validator: {how}");
        }
        eprintln!("\n**********************************************************************");
        eprintln!("*** SKIPPED verdicts_match_stix2_validator: no Python with stix2-validator.");
        eprintln!("*** To run it: {how}.");
        eprintln!("**********************************************************************\n");
        return;
    };
    let entries = corpus();
    let lines: Vec<&str> = entries.iter().map(|e| e.line.as_str()).collect();
    let reference = theirs(&py, &lines);

    let (mut agree, mut stricter, mut laxer, mut pattern) = (0, 0, 0, 0);
    let mut problems = Vec::new();
    for (e, (their_valid, their_msgs)) in entries.iter().zip(&reference) {
        let (our_valid, our_msgs) = ours(&e.line);
        let verdict = |v: bool| if v { "valid" } else { "invalid" };
        let problem = if let Some(why) = &e.stricter {
            stricter += 1;
            (our_valid || !their_valid).then(|| format!("documented as stricter than the validator ({why}): we must reject and it must accept"))
        } else if let Some(why) = &e.laxer {
            laxer += 1;
            (!our_valid || *their_valid).then(|| format!("documented as laxer than the validator ({why}): we must accept and it must reject"))
        } else if e.needs_pattern_checker {
            pattern += 1;
            if our_valid {
                Some("a malformed pattern that pattern::check accepts".to_owned())
            } else if *their_valid {
                Some("a malformed pattern the validator should reject".to_owned())
            } else if ours_without_pattern_checker(&e.line).0 {
                None
            } else {
                Some(
                    "marked needs_pattern_checker, but stix rejects it without the checker"
                        .to_owned(),
                )
            }
        } else if e.handwritten && our_valid {
            Some("a hand-written invalid case that we accept".to_owned())
        } else if our_valid != *their_valid {
            Some("verdicts differ".to_owned())
        } else {
            agree += 1;
            None
        };
        if let Some(p) = problem {
            problems.push(format!(
                "- {}: {p}\n  ours: {} {:?}\n  stix2-validator: {} {:?}\n  document: {}",
                e.name,
                verdict(our_valid),
                our_msgs,
                verdict(*their_valid),
                their_msgs,
                short(&e.line)
            ));
        }
    }
    eprintln!(
        "conformance: {} cases, {agree} agreements, {stricter} documented stricter, {laxer} documented laxer, {pattern} caught by the pattern checker, {} problems",
        entries.len(),
        problems.len()
    );
    assert!(
        problems.is_empty(),
        "{} disagreements with stix2-validator:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
