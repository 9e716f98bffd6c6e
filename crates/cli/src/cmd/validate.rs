//! `entente validate`, and the validation every writing command shares.

use std::path::Path;

use anyhow::Result;
use serde::Serialize;
use serde_json::Value;
use stix::{Object, Validated};

use crate::Verdict;
use crate::cli::{Global, ValidateArgs};
use crate::input::read_all;
use crate::output;

/// One problem found in a file.
#[derive(Debug, Serialize)]
pub struct Problem {
    pub file: String,
    /// 0-based position of the object in the file, when the file parsed.
    pub object: Option<usize>,
    pub id: Option<String>,
    pub path: String,
    pub message: String,
}

impl Problem {
    pub fn line(&self) -> String {
        let at = match (&self.id, self.object) {
            (Some(id), _) => format!("{id}: "),
            (None, Some(i)) => format!("object {i}: "),
            (None, None) => String::new(),
        };
        format!("{}: {at}{}: {}", self.file, self.path, self.message)
    }
}

/// Validation options: strict, with STIX patterns checked.
fn options() -> stix::ValidateOptions<'static> {
    stix::ValidateOptions::new().with_pattern_checker(&pattern::check)
}

/// Turns validation errors into problems of `file` (of its object `index`, if any).
fn problems(file: &str, index: Option<usize>, errors: &[stix::Error]) -> Vec<Problem> {
    errors
        .iter()
        .map(|e| Problem {
            file: file.to_owned(),
            object: index,
            id: e.id().map(str::to_owned),
            path: e.path().to_owned(),
            message: e.kind().to_string()
                + if e.severity() == stix::Severity::Should {
                    " [should]"
                } else {
                    ""
                },
        })
        .collect()
}

/// Validates one object, STIX patterns included, turning its errors into problems.
pub fn check(file: &str, index: usize, value: Value) -> Result<Validated<Object>, Vec<Problem>> {
    stix::validate_with(value, &options())
        .map_err(|invalid| problems(file, Some(index), invalid.errors()))
}

/// Parses and validates a whole file, the bundle itself included: the valid
/// objects, and every problem.
pub fn check_file(path: &Path) -> Result<(Vec<Validated<Object>>, Vec<Problem>)> {
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
            };
            return Ok((Vec::new(), vec![problem]));
        }
    };
    let report = stix::validate_document(document, &options());
    let mut found = problems(&name, None, &report.bundle_errors);
    let mut valid = Vec::with_capacity(report.objects.len());
    for (i, result) in report.objects.into_iter().enumerate() {
        match result {
            Ok(object) => valid.push(object),
            Err(invalid) => found.extend(problems(&name, Some(i), invalid.errors())),
        }
    }
    Ok((valid, found))
}

pub fn run(global: &Global, args: ValidateArgs) -> Result<Verdict> {
    let mut all = Vec::new();
    let mut objects = 0;
    for file in &args.files {
        let (valid, mut problems) = check_file(file)?;
        objects += valid.len()
            + problems
                .iter()
                .filter_map(|p| p.object)
                .collect::<std::collections::BTreeSet<_>>()
                .len();
        all.append(&mut problems);
    }
    if global.json {
        output::json(
            &serde_json::json!({ "objects": objects, "valid": all.is_empty(), "problems": all }),
        )?;
    } else {
        for p in &all {
            println!("{}", p.line());
        }
        if !global.quiet {
            eprintln!("{objects} object(s) checked, {} problem(s)", all.len());
        }
    }
    Ok(if all.is_empty() {
        Verdict::Ok
    } else {
        Verdict::No
    })
}
