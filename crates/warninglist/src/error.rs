//! What can go wrong, sorted by whose fault it is.
//!
//! * [`ListError`]: a list handed to the [`Builder`](crate::Builder) cannot be
//!   used. The operator's to fix (the configuration, or a MISP file); it names
//!   the list and the entry.
//! * [`PatternError`]: a partner's pattern does not parse. The partner's
//!   fault; the caller decides what to do with the indicator (this crate
//!   cannot say whether a pattern it cannot read hits a list).

/// A list given to the [`Builder`](crate::Builder) that cannot be used: which
/// list, and what is wrong with it.
///
/// `Display` gives one line that starts with the list:
/// `rfc1918.json: list[2] "10.0.0.0/33": prefix length 33 is longer than 32`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{list}: {kind}")]
pub struct ListError {
    list: String,
    kind: ListErrorKind,
}

impl ListError {
    pub(crate) fn new(list: impl Into<String>, kind: ListErrorKind) -> ListError {
        ListError {
            list: list.into(),
            kind,
        }
    }

    pub(crate) fn entry(
        list: impl Into<String>,
        field: &'static str,
        index: usize,
        entry: &str,
        reason: impl Into<String>,
    ) -> ListError {
        ListError::new(
            list,
            ListErrorKind::Entry {
                field,
                index,
                entry: entry.to_owned(),
                reason: reason.into(),
            },
        )
    }

    /// The list: the file name the caller gave with a MISP list, or
    /// `local allowlist`.
    pub fn list(&self) -> &str {
        &self.list
    }

    /// What is wrong.
    pub fn kind(&self) -> &ListErrorKind {
        &self.kind
    }
}

/// What is wrong with a list.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ListErrorKind {
    /// The bytes are not a MISP warninglist: not JSON, or a field is missing
    /// or of the wrong type. The message is `serde_json`'s, with the line and
    /// column.
    #[error("not a MISP warninglist: {0}")]
    Json(String),
    /// A MISP list `type` that this crate does not apply. `regex` lists are
    /// refused rather than half-applied: their entries are PCRE with
    /// delimiters and flags (`/^foo$/i`), which the `regex` crate does not
    /// read, and a list we silently skipped would protect nothing.
    #[error(
        "list type \"{0}\" is not supported (supported: cidr, hostname, string, substring); \
         leave this list out, or rewrite its entries as a hostname or substring list"
    )]
    UnsupportedType(String),
    /// The entries of a `substring` list cannot be compiled into one
    /// automaton (far too many, or too long).
    #[error("the substring entries cannot be compiled: {0}")]
    Substrings(String),
    /// A list `name` that is empty: hits name their list.
    #[error("the list has an empty name")]
    EmptyName,
    /// One entry cannot be used.
    #[error("{field}[{index}] \"{entry}\": {reason}")]
    Entry {
        /// Where the entry was: `list` in a MISP file, `domains` or
        /// `networks` for the local allowlist.
        field: &'static str,
        /// Its position there, from 0.
        index: usize,
        /// The entry as given.
        entry: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// A partner's pattern that does not parse.
///
/// `Display` gives `pattern does not parse: column 35: expected …`.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("pattern does not parse: {message}")]
pub struct PatternError {
    message: String,
    #[source]
    parse: pattern::ParseError,
}

impl PatternError {
    pub(crate) fn new(text: &str, parse: pattern::ParseError) -> PatternError {
        PatternError {
            message: parse.message(text),
            parse,
        }
    }

    /// The parser's error, with the span of the offending text.
    pub fn parse_error(&self) -> &pattern::ParseError {
        &self.parse
    }
}
