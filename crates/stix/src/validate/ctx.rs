//! The validation context: where we are in the object (a [`Path`] that lives on
//! the stack and is rendered only when an error is reported) and the findings so
//! far.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde_json::Value;

use crate::error::{Error, ErrorKind, Severity};

/// A location inside the object being validated, as a linked list of segments on
/// the stack: building one costs nothing; rendering happens only on error.
#[derive(Clone, Copy)]
pub(crate) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg<'a>,
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

impl<'a> Path<'a> {
    pub(crate) const ROOT: Path<'static> = Path {
        parent: None,
        seg: Seg::Root,
    };

    pub(crate) fn key<'b>(&'b self, key: &'b str) -> Path<'b> {
        Path {
            parent: Some(self),
            seg: Seg::Key(key),
        }
    }

    pub(crate) fn index(&self, i: usize) -> Path<'_> {
        Path {
            parent: Some(self),
            seg: Seg::Index(i),
        }
    }

    /// `$`, `$.a`, `$.a[0].b`; keys that are not plain words are quoted:
    /// `$.hashes['SHA-256']`.
    pub(crate) fn render(&self) -> String {
        let mut segs = Vec::with_capacity(8);
        let mut cur = Some(self);
        while let Some(p) = cur {
            segs.push(p.seg);
            cur = p.parent;
        }
        let mut out = String::with_capacity(32);
        for seg in segs.into_iter().rev() {
            match seg {
                Seg::Root => out.push('$'),
                Seg::Key(k)
                    if !k.is_empty()
                        && k.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') =>
                {
                    out.push('.');
                    out.push_str(k);
                }
                Seg::Key(k) => {
                    out.push_str("['");
                    for c in k.chars() {
                        if c == '\'' || c == '\\' {
                            out.push('\\');
                        }
                        out.push(c);
                    }
                    out.push_str("']");
                }
                Seg::Index(i) => {
                    let _ = write!(out, "[{i}]");
                }
            }
        }
        out
    }
}

/// A pattern checker supplied by the caller (the `pattern` crate).
pub(crate) type PatternChecker<'a> = &'a (dyn Fn(&str) -> Result<(), String> + 'a);

/// Findings while validating one object.
pub(crate) struct Ctx<'o> {
    pub(crate) id: Option<&'o str>,
    pub(crate) strict: bool,
    pub(crate) pattern_checker: Option<PatternChecker<'o>>,
    pub(crate) errors: Vec<Error>,
    pub(crate) warnings: Vec<Error>,
}

/// How long the `got` part of a message may get.
const GOT_MAX: usize = 80;

/// A short JSON rendering of a value for messages.
pub(crate) fn show(v: &Value) -> String {
    let mut s = v.to_string();
    if s.len() > GOT_MAX {
        let mut cut = GOT_MAX - 3;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

impl<'o> Ctx<'o> {
    pub(crate) fn report(&mut self, severity: Severity, path: &Path<'_>, kind: ErrorKind) {
        self.report_check(severity, None, path, kind);
    }

    /// Reports a finding; `check` names a SHOULD or advice rule (see [`Error::check`]).
    pub(crate) fn report_check(
        &mut self,
        severity: Severity,
        check: Option<&'static str>,
        path: &Path<'_>,
        kind: ErrorKind,
    ) {
        let e = Error {
            id: self.id.map(str::to_owned),
            path: path.render(),
            kind,
            severity,
            check,
        };
        let fails = match severity {
            Severity::Must => true,
            Severity::Should => self.strict,
            Severity::Advice => false,
        };
        if fails {
            self.errors.push(e);
        } else {
            self.warnings.push(e);
        }
    }

    /// A MUST-level "expected …, got …".
    pub(crate) fn expected(
        &mut self,
        path: &Path<'_>,
        expected: impl Into<Cow<'static, str>>,
        got: &Value,
    ) {
        self.report(
            Severity::Must,
            path,
            ErrorKind::Expected {
                expected: expected.into(),
                got: show(got),
            },
        );
    }

    /// A SHOULD-level "expected …, got …".
    pub(crate) fn should_expected(
        &mut self,
        check: &'static str,
        path: &Path<'_>,
        expected: impl Into<Cow<'static, str>>,
        got: &Value,
    ) {
        self.report_check(
            Severity::Should,
            Some(check),
            path,
            ErrorKind::Expected {
                expected: expected.into(),
                got: show(got),
            },
        );
    }

    /// A MUST-level missing property.
    pub(crate) fn missing(&mut self, path: &Path<'_>, expected: impl Into<Cow<'static, str>>) {
        self.report(
            Severity::Must,
            path,
            ErrorKind::Missing {
                expected: expected.into(),
            },
        );
    }

    /// A SHOULD-level missing property.
    pub(crate) fn should_missing(
        &mut self,
        check: &'static str,
        path: &Path<'_>,
        expected: impl Into<Cow<'static, str>>,
    ) {
        self.report_check(
            Severity::Should,
            Some(check),
            path,
            ErrorKind::Missing {
                expected: expected.into(),
            },
        );
    }

    /// A MUST-level "not allowed".
    pub(crate) fn not_allowed(&mut self, path: &Path<'_>, reason: impl Into<Cow<'static, str>>) {
        self.report(
            Severity::Must,
            path,
            ErrorKind::NotAllowed {
                reason: reason.into(),
            },
        );
    }

    /// A SHOULD-level "not allowed".
    pub(crate) fn should_not(
        &mut self,
        check: &'static str,
        path: &Path<'_>,
        reason: impl Into<Cow<'static, str>>,
    ) {
        self.report_check(
            Severity::Should,
            Some(check),
            path,
            ErrorKind::NotAllowed {
                reason: reason.into(),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render() {
        let root = Path::ROOT;
        let refs = root.key("external_references");
        let first = refs.index(0);
        let url = first.key("url");
        assert_eq!(url.render(), "$.external_references[0].url");
        let hashes = root.key("hashes");
        assert_eq!(hashes.key("SHA-256").render(), "$.hashes['SHA-256']");
        assert_eq!(root.render(), "$");
    }

    #[test]
    fn long_values_are_shortened() {
        let v = Value::String("é".repeat(100));
        let s = show(&v);
        assert!(s.chars().count() <= GOT_MAX && s.ends_with('…'), "{s}");
    }
}
