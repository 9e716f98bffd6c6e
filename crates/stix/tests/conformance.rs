//! Our verdicts against stix2-validator's, in both of its modes: strict
//! (`--strict --version 2.1`, what the node produces must pass) against our
//! strict mode, and default (`--version 2.1`, only MUST violations refuse)
//! against our lenient mode, which is what input from partners, feeds and
//! analysts goes through.
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
    /// Accepted in lenient mode although the validator's default mode refuses it.
    lenient_laxer: Option<String>,
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
            lenient_laxer: text("lenient_laxer_than_validator"),
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
            lenient_laxer: None,
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
        lenient_laxer: None,
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

/// (valid, messages) from our lenient mode: only MUST violations refuse.
fn ours_lenient(line: &str) -> (bool, Vec<String>) {
    ours_with(
        line,
        &stix::ValidateOptions::default()
            .strict(false)
            .with_pattern_checker(&pattern::check),
    )
}

/// The reference validator's two modes.
#[derive(Clone, Copy)]
enum Mode {
    Strict,
    Default,
}

/// (valid, messages) from stix2-validator, one per line, in one process.
fn theirs(py: &Path, lines: &[&str]) -> Vec<(bool, Vec<String>)> {
    theirs_in(py, lines, Mode::Strict)
}

fn theirs_in(py: &Path, lines: &[&str], mode: Mode) -> Vec<(bool, Vec<String>)> {
    let script = repo_root().join("tests/conformance/validator_verdicts.py");
    let mut command = Command::new(py);
    command.arg(&script);
    if let Mode::Default = mode {
        command.arg("--default");
    }
    let mut child = command
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

/// One verdict of a side: who, valid or not, and its messages.
type Side<'a> = (&'a str, bool, &'a [String]);

/// A disagreement, as one entry of a failure message.
fn disagreement(e: &Entry, problem: &str, ours: Side<'_>, theirs: Side<'_>) -> String {
    let verdict = |v: bool| if v { "valid" } else { "invalid" };
    format!(
        "- {}: {problem}\n  {}: {} {:?}\n  {}: {} {:?}\n  document: {}",
        e.name,
        ours.0,
        verdict(ours.1),
        ours.2,
        theirs.0,
        verdict(theirs.1),
        theirs.2,
        short(&e.line)
    )
}

fn python_or_skip(test: &str) -> Option<PathBuf> {
    let py = python();
    if py.is_none() {
        let how = "run scripts/python-env.sh (it builds .venv at the repository root), or set ENTENTE_PYTHON to a python with requirements-test.txt installed";
        if std::env::var_os("CI").is_some() {
            panic!("conformance test needs stix2-validator: {how}");
        }
        eprintln!("\n**********************************************************************");
        eprintln!("*** SKIPPED {test}: no Python with stix2-validator.");
        eprintln!("*** To run it: {how}.");
        eprintln!("**********************************************************************\n");
    }
    py
}

/// MUSTs of STIX 2.1 that the validator's default mode does not check, on
/// generated mutations: `(case name prefix, our message, why)`. Lenient mode
/// still refuses them; in strict mode the validator refuses them too.
const MUSTS_DEFAULT_MODE_MISSES: &[(&str, &str, &str)] = &[
    (
        "marking-definition#",
        "property names are 3-250 characters",
        "property names MUST be a-z, 0-9 and _ (STIX 2.1 section 3.1); the validator checks them on marking-definitions only in strict mode",
    ),
    (
        "marking-definition#",
        "expected a non-empty list",
        "lists MUST NOT be empty (STIX 2.1 section 2.15); the validator checks it on marking-definitions only in strict mode",
    ),
];

/// Lenient mode against the validator's default mode: an object is refused
/// exactly when it violates a MUST. Hand-written cases are MUST violations, so
/// both modes refuse them (unless annotated); the generated mutations are
/// mostly SHOULD findings, which both must accept.
#[test]
fn lenient_verdicts_match_stix2_validator_default_mode() {
    let Some(py) = python_or_skip("lenient_verdicts_match_stix2_validator_default_mode") else {
        return;
    };
    let entries = corpus();
    let lines: Vec<&str> = entries.iter().map(|e| e.line.as_str()).collect();
    let reference = theirs_in(&py, &lines, Mode::Default);

    let (mut agree, mut refused_both) = (0, 0);
    let mut problems = Vec::new();
    for (e, (their_valid, their_msgs)) in entries.iter().zip(&reference) {
        let (our_valid, our_msgs) = ours_lenient(&e.line);
        let missed_must = !our_valid
            && *their_valid
            && our_msgs.iter().all(|m| {
                MUSTS_DEFAULT_MODE_MISSES
                    .iter()
                    .any(|(prefix, text, _)| e.name.starts_with(prefix) && m.contains(text))
            });
        let problem = if e.stricter.is_some() {
            // Documented MUSTs the validator misses: we must still refuse them.
            our_valid.then(|| {
                "documented as stricter than the validator, but lenient mode accepts it".to_owned()
            })
        } else if let Some(why) = &e.lenient_laxer {
            (!our_valid || *their_valid).then(|| format!("documented as laxer than the validator's default mode ({why}): lenient mode must accept and it must refuse"))
        } else if missed_must {
            None
        } else if e.laxer.is_some() {
            (!our_valid).then(|| {
                "documented as laxer than the validator, but lenient mode refuses it".to_owned()
            })
        } else if e.needs_pattern_checker {
            our_valid.then(|| "a malformed pattern that lenient mode accepts".to_owned())
        } else if our_valid != *their_valid {
            Some("verdicts differ".to_owned())
        } else {
            agree += 1;
            refused_both += usize::from(!our_valid);
            None
        };
        if let Some(p) = problem {
            problems.push(disagreement(
                e,
                &p,
                ("ours (lenient)", our_valid, &our_msgs),
                ("stix2-validator (default mode)", *their_valid, their_msgs),
            ));
        }
    }
    eprintln!(
        "lenient conformance: {} cases, {agree} agreements ({refused_both} refused by both), {} problems",
        entries.len(),
        problems.len()
    );
    assert!(
        problems.is_empty(),
        "{} disagreements with stix2-validator's default mode:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn verdicts_match_stix2_validator() {
    let Some(py) = python_or_skip("verdicts_match_stix2_validator") else {
        return;
    };
    let entries = corpus();
    let lines: Vec<&str> = entries.iter().map(|e| e.line.as_str()).collect();
    let reference = theirs(&py, &lines);

    let (mut agree, mut stricter, mut laxer, mut pattern) = (0, 0, 0, 0);
    let mut problems = Vec::new();
    for (e, (their_valid, their_msgs)) in entries.iter().zip(&reference) {
        let (our_valid, our_msgs) = ours(&e.line);
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
            problems.push(disagreement(
                e,
                &p,
                ("ours", our_valid, &our_msgs),
                ("stix2-validator", *their_valid, their_msgs),
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
