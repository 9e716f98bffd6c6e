//! Error types, sorted by who is at fault.
//!
//! * [`ParseError`]: the bytes are not one JSON document of the expected shape.
//! * [`Error`] / [`Invalid`]: the JSON is fine but a STIX rule is broken; each
//!   [`Error`] names the object, the JSON path and what was expected.
//! * [`CanonicalError`]: a value has no RFC 8785 canonical form.
//! * [`TimestampError`]: a string is not a STIX timestamp.
//!
//! None of these is ever caused by a bug in the caller's use of the API except
//! where a variant says so.

use std::borrow::Cow;
use std::fmt;

/// Where a JSON document could not be parsed, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {kind}")]
pub struct ParseError {
    /// 1-based line of the offending byte (0 when unknown).
    pub line: usize,
    /// 1-based column of the offending byte (0 when unknown).
    pub column: usize,
    /// What is wrong.
    pub kind: ParseErrorKind,
}

/// What is wrong with a document that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The bytes are not valid JSON (the message comes from the JSON parser).
    #[error("invalid JSON: {0}")]
    Json(String),
    /// A JSON object has the same member name twice (RFC 7493 I-JSON forbids it,
    /// and two readers could otherwise see two different objects).
    #[error("duplicate member name {0:?}")]
    DuplicateKey(String),
    /// Something follows the document.
    #[error("trailing input after the JSON document")]
    TrailingInput,
    /// The document is valid JSON but neither an object nor an array.
    #[error("expected a STIX object, an array of objects or a bundle, got {0}")]
    NotStix(&'static str),
    /// An array member (or a bundle's `objects` member) is not a JSON object.
    #[error("member {index} is not a JSON object")]
    MemberNotObject {
        /// 0-based index of the member.
        index: usize,
    },
}

/// How serious a validation finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Severity {
    /// Never fails validation; reported as a warning (e.g. an SCO id that is a
    /// UUIDv5 but not the deterministic one).
    Advice,
    /// A SHOULD of the specification: an error in strict mode (the default, as
    /// `stix2_validator --strict`), a warning otherwise.
    Should,
    /// A MUST of the specification: always an error.
    Must,
}

/// What a validation finding says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A required property is absent.
    #[error("missing: expected {expected}")]
    Missing {
        /// What should be there.
        expected: Cow<'static, str>,
    },
    /// A value has the wrong type or form.
    #[error("expected {expected}, got {got}")]
    Expected {
        /// What the rule wants.
        expected: Cow<'static, str>,
        /// The offending value, as compact JSON (shortened when long).
        got: String,
    },
    /// A property or value that must not be there.
    #[error("{reason}")]
    NotAllowed {
        /// Why it is not allowed.
        reason: Cow<'static, str>,
    },
    /// The caller's pattern checker rejected a `stix` pattern.
    #[error("expected a valid STIX pattern: {message}")]
    Pattern {
        /// The checker's message.
        message: String,
    },
}

/// One broken rule: which object, where in it, and what was expected.
///
/// `Display` gives `indicator--…: $.valid_from: expected a STIX timestamp
/// (YYYY-MM-DDTHH:MM:SS[.s+]Z), got "2024-13-01T00:00:00Z"`; SHOULD-level findings
/// end with `[should]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub(crate) id: Option<String>,
    pub(crate) path: String,
    pub(crate) kind: ErrorKind,
    pub(crate) severity: Severity,
    pub(crate) check: Option<&'static str>,
}

impl Error {
    /// The name of the SHOULD (or advice) rule behind this finding, for
    /// counting warnings by kind: mostly the reference validator's check
    /// names (`custom-prefix` there is `custom-property` and
    /// `custom-object-type` here, `open-vocab` covers every vocabulary).
    /// `None` on a MUST violation.
    pub fn check(&self) -> Option<&'static str> {
        self.check
    }

    /// The id of the object in error, when it has a usable one.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// JSONPath-style location inside the object: `$`, `$.valid_from`,
    /// `$.external_references[0].url`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// How serious it is.
    pub fn severity(&self) -> Severity {
        self.severity
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.id {
            Some(id) => write!(f, "{id}: {}: {}", self.path, self.kind)?,
            None => write!(f, "{}: {}", self.path, self.kind)?,
        }
        if self.severity == Severity::Should {
            f.write_str(" [should]")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// A STIX object failed validation: every problem found, not just the first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Invalid {
    pub(crate) errors: Vec<Error>,
}

impl Invalid {
    /// Every error, in document order as far as possible. Never empty.
    pub fn errors(&self) -> &[Error] {
        &self.errors
    }

    /// Takes the errors out.
    pub fn into_errors(self) -> Vec<Error> {
        self.errors
    }

    /// The id of the invalid object, when it has a usable one.
    pub fn id(&self) -> Option<&str> {
        self.errors.first().and_then(Error::id)
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        write!(
            f,
            "invalid STIX object ({n} error{})",
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.errors {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

/// A value that has no RFC 8785 canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CanonicalError {
    /// NaN and the infinities have no JSON form.
    #[error("{0} is not a finite number; JSON has no form for it")]
    NonFinite(String),
    /// An integer beyond ±2^53 cannot be held exactly by an IEEE-754 double, which is
    /// all RFC 8785 numbers are; canonicalising it would silently change the value.
    #[error("integer {0} is outside ±2^53 and would lose precision as an IEEE-754 double")]
    UnsafeInteger(String),
}

/// A string that is not a STIX timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a STIX timestamp (YYYY-MM-DDTHH:MM:SS[.s+]Z): {reason}")]
pub struct TimestampError {
    pub(crate) input: String,
    pub(crate) reason: &'static str,
}

impl TimestampError {
    /// Why the string was rejected.
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}
