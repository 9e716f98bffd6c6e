//! `entente validate`, and the validation every writing command shares.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use serde::Serialize;
use serde_json::Value;
use stix::{Object, Validated};

use crate::Verdict;
use crate::cli::{Global, ValidateArgs};
use crate::input::read_all;
use crate::output;

/// One finding in a file: an error (the object is refused) or a warning (a
/// SHOULD of STIX 2.1 that the object misses; it is accepted and kept).
#[derive(Debug, Serialize)]
pub struct Problem {
    pub file: String,
    /// 0-based position of the object in the file, when the file parsed.
    pub object: Option<usize>,
    pub id: Option<String>,
    pub path: String,
    pub message: String,
    /// The SHOULD rule behind a warning (`custom-property`, `open-vocab`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<&'static str>,
}

impl Problem {
    pub fn line(&self) -> String {
        let at = match (&self.id, self.object) {
            (Some(id), _) => format!("{id}: "),
            (None, Some(i)) => format!("object {i}: "),
            (None, None) => String::new(),
        };
        let check = self.check.map(|c| format!(" [{c}]")).unwrap_or_default();
        format!("{}: {at}{}: {}{check}", self.file, self.path, self.message)
    }
}

/// Warnings counted by the SHOULD rule behind them, for one summary line.
#[derive(Debug, Default)]
pub struct WarningTally(BTreeMap<&'static str, u64>);

impl WarningTally {
    pub fn add(&mut self, warnings: &[stix::Error]) {
        for w in warnings {
            *self.0.entry(w.check().unwrap_or("advice")).or_default() += 1;
        }
    }

    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// `1825 custom-property, 12 extref-hashes`, most frequent first.
    pub fn summary(&self) -> String {
        let mut kinds: Vec<_> = self.0.iter().collect();
        kinds.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        kinds
            .iter()
            .map(|(check, n)| format!("{n} {check}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn to_json(&self) -> Value {
        Value::Object(
            self.0
                .iter()
                .map(|(k, n)| ((*k).to_owned(), Value::from(*n)))
                .collect(),
        )
    }

    /// On stderr, unless quiet: how many warnings of each kind, and how to see them.
    pub fn report(&self, global: &Global, files: &str) {
        if self.total() > 0 && !global.quiet && !global.json {
            eprintln!(
                "warnings: {} (accepted; `entente validate {files}` lists each)",
                self.summary()
            );
        }
    }
}

/// Validation options: STIX patterns checked; SHOULD findings refuse an
/// object only when `strict`.
fn options(strict: bool) -> stix::ValidateOptions<'static> {
    pattern::validate_options(strict)
}

/// Turns validation findings into problems of `file` (of its object `index`, if any).
pub fn problems(file: &str, index: Option<usize>, findings: &[stix::Error]) -> Vec<Problem> {
    findings
        .iter()
        .map(|e| Problem {
            file: file.to_owned(),
            object: index,
            id: e.id().map(str::to_owned),
            path: e.path().to_owned(),
            message: e.kind().to_string(),
            check: e.check(),
        })
        .collect()
}

/// Validates one object, STIX patterns included, turning its errors into problems.
pub fn check(
    file: &str,
    index: usize,
    value: Value,
    strict: bool,
) -> Result<Validated<Object>, Vec<Problem>> {
    stix::validate_with(value, &options(strict))
        .map_err(|invalid| problems(file, Some(index), invalid.errors()))
}

/// What [`check_file`] found in one file.
pub struct Checked {
    /// The objects that passed, in file order, each with its own warnings.
    pub valid: Vec<Validated<Object>>,
    /// Every error (the objects they belong to are refused).
    pub errors: Vec<Problem>,
    /// Warnings about the bundle itself (its objects carry their own).
    pub bundle_warnings: Vec<stix::Error>,
    /// Objects in the file (valid or not).
    pub objects: usize,
}

/// Parses and validates a whole file, the bundle itself included.
pub fn check_file(path: &Path, strict: bool) -> Result<Checked> {
    let name = path.display().to_string();
    let bytes = read_all(path)?;
    let document = match stix::parse(&bytes) {
        Ok(document) => document,
        Err(e) => {
            let problem = Problem {
                file: name,
                object: None,
                id: None,
                path: "$".into(),
                message: e.to_string(),
                check: None,
            };
            return Ok(Checked {
                valid: Vec::new(),
                errors: vec![problem],
                bundle_warnings: Vec::new(),
                objects: 0,
            });
        }
    };
    let report = stix::validate_document(document, &options(strict));
    let mut errors = problems(&name, None, &report.bundle_errors);
    let objects = report.objects.len();
    let mut valid = Vec::with_capacity(objects);
    for (i, result) in report.objects.into_iter().enumerate() {
        match result {
            Ok(object) => valid.push(object),
            Err(invalid) => errors.extend(problems(&name, Some(i), invalid.errors())),
        }
    }
    Ok(Checked {
        valid,
        errors,
        bundle_warnings: report.bundle_warnings,
        objects,
    })
}

/// Every warning of a checked file, as problems: the bundle's, then each valid object's.
pub fn warnings(file: &str, checked: &Checked) -> Vec<Problem> {
    let mut out = problems(file, None, &checked.bundle_warnings);
    for object in &checked.valid {
        out.extend(problems(file, None, object.warnings()));
    }
    out
}

pub fn run(global: &Global, args: ValidateArgs) -> Result<Verdict> {
    let mut errors = Vec::new();
    let mut warned = Vec::new();
    let mut tally = WarningTally::default();
    let mut objects = 0;
    for file in &args.files {
        let checked = check_file(file, args.strict)?;
        objects += checked.objects;
        tally.add(&checked.bundle_warnings);
        checked.valid.iter().for_each(|o| tally.add(o.warnings()));
        warned.extend(warnings(&file.display().to_string(), &checked));
        errors.extend(checked.errors);
    }
    if global.json {
        output::json(&serde_json::json!({
            "objects": objects,
            "valid": errors.is_empty(),
            "problems": errors,
            "warnings": warned,
            "warning_counts": tally.to_json(),
        }))?;
    } else {
        for p in &errors {
            println!("{}", p.line());
        }
        for w in &warned {
            println!("warning: {}", w.line());
        }
        if !global.quiet {
            let mut summary = format!(
                "{objects} {} checked, {} {}, {} {}",
                plural(objects as u64, "object", "objects"),
                errors.len(),
                plural(errors.len() as u64, "error", "errors"),
                tally.total(),
                plural(tally.total(), "warning", "warnings"),
            );
            if tally.total() > 0 {
                summary += &format!(" ({})", tally.summary());
            }
            if !args.strict && tally.total() > 0 {
                summary += "; warnings are SHOULD findings: the objects are accepted (--strict refuses them)";
            }
            eprintln!("{summary}");
        }
    }
    Ok(if errors.is_empty() {
        Verdict::Ok
    } else {
        Verdict::No
    })
}

fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}
