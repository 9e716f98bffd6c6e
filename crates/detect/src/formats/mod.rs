//! Log readers: one line of telemetry in, one [`Event`] out.
//!
//! The caller reads the file and splits it into lines; a [`Reader`] keeps
//! what a file says about its later lines (a Zeek TSV header) and turns each
//! line into a [`Record`]. Values are borrowed from the line wherever the
//! text is the value as written; only unescaped text and built values (URLs)
//! are allocated, so that reading stays well under a microsecond a line.
//!
//! What each log line becomes is described on the readers: [`zeek`], [`eve`],
//! [`access`], [`stix`] and [`list`].

use std::fmt;
use std::str::FromStr;

use pattern::index::{Event, Micros};
use serde_json::Value as Json;

pub mod access;
mod build;
pub mod eve;
pub mod list;
pub mod stix;
mod time;
pub mod zeek;

/// A kind of log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Zeek logs, TSV or JSON (decided per line): conn, dns, http, ssl, files, smtp.
    Zeek,
    /// Suricata EVE JSON.
    Eve,
    /// Apache or nginx access logs, common or combined format.
    Access,
    /// STIX 2.x observed data, one bundle, array or observed-data per line.
    Stix,
    /// One indicator value per line: IP, domain, URL, email address or hash.
    List,
}

impl Format {
    /// Every format, in the order of their names in messages.
    pub const ALL: [Format; 5] = [
        Format::Zeek,
        Format::Eve,
        Format::Access,
        Format::Stix,
        Format::List,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Zeek => "zeek",
            Format::Eve => "eve",
            Format::Access => "access",
            Format::Stix => "stix",
            Format::List => "list",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A format name that is not one of [`Format::ALL`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown log format '{0}' (valid: zeek, eve, access, stix, list)")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Format, UnknownFormat> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| UnknownFormat(s.to_owned()))
    }
}

/// Guesses the format from the file name (None for standard input) and the
/// first non-empty line; None when neither says (a JSON object of no known
/// shape, an empty line).
///
/// The name decides first (`conn.log`, `dns.2024-05-01.log`, `eve.json`),
/// then the content: a `#separator` header or a JSON object with `id.orig_h`,
/// `_path` or `ts` and `uid` is Zeek; a JSON object with `event_type` is EVE;
/// a bundle, observed-data or JSON array is STIX; the access-log shape is an
/// access log; anything else is a list.
pub fn detect(file_name: Option<&str>, first_line: &str) -> Option<Format> {
    if let Some(name) = file_name.map(basename) {
        if name.ends_with(".log") && zeek::Kind::from_file_name(name).is_some() {
            return Some(Format::Zeek);
        }
        if name.starts_with("eve") && name.ends_with(".json") {
            return Some(Format::Eve);
        }
    }
    let line = first_line.trim();
    if line.is_empty() {
        return None;
    }
    if line.starts_with("#separator") {
        return Some(Format::Zeek);
    }
    if line.starts_with('{') || line.starts_with('[') {
        match serde_json::from_str::<Json>(line) {
            Ok(Json::Object(o)) => {
                return if o.contains_key("event_type") {
                    Some(Format::Eve)
                } else if o.contains_key("id.orig_h")
                    || o.contains_key("_path")
                    || (o.contains_key("ts") && o.contains_key("uid"))
                {
                    Some(Format::Zeek)
                } else if matches!(
                    o.get("type").and_then(Json::as_str),
                    Some("bundle" | "observed-data")
                ) {
                    Some(Format::Stix)
                } else {
                    None
                };
            }
            Ok(Json::Array(_)) => return Some(Format::Stix),
            // Not JSON after all: a list entry such as `[2001:db8::1]` maybe.
            _ => {}
        }
    }
    if access::looks_like_access(line) {
        return Some(Format::Access);
    }
    Some(Format::List)
}

/// The last component of a path, with either separator.
fn basename(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// What one line carries.
#[derive(Clone, Debug, PartialEq)]
pub enum Record<'l> {
    /// An event of telemetry.
    Event(Event<'l>),
    /// NDJSON of STIX: the observation as flat STIX objects (observed-data
    /// first, then the SCOs), and its time (the first `first_observed`).
    Observed {
        /// When it was observed.
        time: Micros,
        /// The objects, ready for `pattern::matches`.
        objects: Vec<Json>,
    },
}

/// What is wrong with a line, in words (`field 'ts' is not a number: 'abc'`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct LineError {
    /// The message.
    pub reason: String,
}

impl LineError {
    pub(crate) fn new(reason: impl Into<String>) -> LineError {
        LineError {
            reason: reason.into(),
        }
    }

    /// `field 'NAME' WHAT: 'VALUE'`.
    pub(crate) fn field(name: &str, what: &str, value: &str) -> LineError {
        LineError::new(format!("field '{name}' {what}: '{value}'"))
    }

    /// A field every line of the format has.
    pub(crate) fn missing(name: &str) -> LineError {
        LineError::new(format!("field '{name}' is missing"))
    }
}

/// Reads the lines of one file.
#[derive(Debug)]
pub struct Reader {
    format: Format,
    default_time: Micros,
    zeek: zeek::ZeekReader,
}

impl Reader {
    /// A reader of `format` for the file `file_name` (None for standard
    /// input; Zeek takes the log kind from the name when the log does not
    /// say). `default_time` is the time of events whose line has none (lists).
    pub fn new(format: Format, file_name: Option<&str>, default_time: Micros) -> Reader {
        let kind = file_name.map(basename).and_then(zeek::Kind::from_file_name);
        Reader {
            format,
            default_time,
            zeek: zeek::ZeekReader::new(kind),
        }
    }

    /// The format read.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Reads one line, without its line ending. `Ok(None)` for a line that
    /// carries no event: a Zeek `#` header, a blank line, a `#` comment in a
    /// list, an EVE event type or Zeek log kind that is not read.
    pub fn read<'l>(&mut self, line: &'l str) -> Result<Option<Record<'l>>, LineError> {
        // A file saved on Windows keeps its `\r` after the caller's split on `\n`.
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            return Ok(None);
        }
        match self.format {
            Format::Zeek => Ok(self.zeek.read(line)?.map(Record::Event)),
            Format::Eve => Ok(eve::read(line)?.map(Record::Event)),
            Format::Access => Ok(Some(Record::Event(access::read(line)?))),
            Format::Stix => {
                let (time, objects) = stix::read(line)?;
                Ok(Some(Record::Observed { time, objects }))
            }
            Format::List => Ok(list::read(line, self.default_time)?.map(Record::Event)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.name().parse::<Format>(), Ok(f));
            assert_eq!(f.to_string(), f.name());
        }
        let e = "suricata".parse::<Format>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown log format 'suricata' (valid: zeek, eve, access, stix, list)"
        );
        assert!("Zeek".parse::<Format>().is_err());
    }

    #[test]
    fn detection_by_name_then_content() {
        let table: &[(Option<&str>, &str, Option<Format>)] = &[
            (
                Some("/var/log/zeek/conn.log"),
                "anything",
                Some(Format::Zeek),
            ),
            (Some("dns.2024-05-01.log"), "{}", Some(Format::Zeek)),
            (Some("conn.00:00:00-01:00:00.log"), "", Some(Format::Zeek)),
            (Some("logs\\http.log"), "x", Some(Format::Zeek)),
            (Some("/var/log/suricata/eve.json"), "", Some(Format::Eve)),
            (Some("eve-2024-05-01.json"), "", Some(Format::Eve)),
            (Some("x.log"), "#separator \\x09", Some(Format::Zeek)),
            (None, "#separator \\x09", Some(Format::Zeek)),
            (
                None,
                r#"{"timestamp":"2024-05-01T12:00:00+0000","event_type":"dns"}"#,
                Some(Format::Eve),
            ),
            (
                None,
                r#"{"ts":1714564800.1,"uid":"C1","id.orig_h":"192.0.2.1"}"#,
                Some(Format::Zeek),
            ),
            (
                None,
                r#"{"_path":"dns","ts":"2024-05-01T12:00:00Z"}"#,
                Some(Format::Zeek),
            ),
            (
                None,
                r#"{"ts":1714564800.1,"uid":"C1"}"#,
                Some(Format::Zeek),
            ),
            (
                None,
                r#"{"type":"bundle","id":"bundle--1","objects":[]}"#,
                Some(Format::Stix),
            ),
            (
                None,
                r#"{"type":"observed-data","id":"observed-data--1"}"#,
                Some(Format::Stix),
            ),
            (None, r#"[{"type":"observed-data"}]"#, Some(Format::Stix)),
            (None, r#"{"hello":"world"}"#, None),
            (
                Some("access.log"),
                r#"192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326"#,
                Some(Format::Access),
            ),
            (Some("iocs.txt"), "evil.example", Some(Format::List)),
            (None, "198.51.100.7", Some(Format::List)),
            (None, "[2001:db8::1]", Some(Format::List)),
            (None, "   ", None),
            (Some("notes.log"), "# indicators", Some(Format::List)),
        ];
        for (name, line, want) in table {
            assert_eq!(detect(*name, line), *want, "{name:?} {line}");
        }
    }

    #[test]
    fn blank_lines_and_carriage_returns() {
        let mut r = Reader::new(Format::List, None, 7);
        assert_eq!(r.read(""), Ok(None));
        assert_eq!(r.read("  \t"), Ok(None));
        let Ok(Some(Record::Event(e))) = r.read("evil.example\r") else {
            panic!("an event")
        };
        assert_eq!(
            e.objects,
            vec![pattern::index::Observable::Domain("evil.example".into())]
        );
        assert_eq!(e.time, 7);
    }
}
