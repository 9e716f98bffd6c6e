//! MISP warninglist files (<https://github.com/MISP/misp-warninglists>,
//! `schema.json`): JSON in, checked entries out.
//!
//! ```json
//! { "name": "List of RFC 1918 CIDR blocks", "type": "cidr", "version": 4,
//!   "description": "…", "matching_attributes": ["ip-src", "ip-dst"],
//!   "list": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] }
//! ```
//!
//! `name`, `type` and `list` are required; `description` and `version` are
//! read when present (the schema requires them, but nothing here needs them);
//! other members, such as the newer `category`, are ignored.
//!
//! How the types apply, as MISP applies them, except where noted:
//!
//! * `cidr`: addresses and ranges; an address is a hit when a range contains
//!   it. Applied to every address, whatever `matching_attributes` says.
//! * `hostname`: a domain and the names below it (`.google.com` is
//!   `google.com`). Applied to every domain, also the host of a URL and the
//!   domain of an email address. An entry that is an IP address is applied as
//!   an address. An entry that cannot be a domain name (real lists hold a few,
//!   such as `corona helden` or `252/24.127.188.93.mifril.ru`) is applied as a
//!   `string` entry: MISP compares it as text, so only the same text meets it.
//! * `string`: exact match of a value's text, ASCII case-insensitive (MISP is
//!   case-sensitive; hashes and domain names are not).
//! * `substring`: a value's text contains the entry, ASCII case-insensitive.
//! * `regex`: refused, see [`ListErrorKind::UnsupportedType`].
//!
//! For `string` and `substring` lists, `matching_attributes` chooses which
//! values they see: see [`kinds_of_attributes`].

use serde::Deserialize;

use crate::domain;
use crate::error::{ListError, ListErrorKind};
use crate::hit::{Kind, KindSet};
use crate::net::Cidr;

/// A MISP list, checked.
#[derive(Debug)]
pub(crate) struct MispList {
    pub(crate) name: String,
    /// The kinds of value that `string` and `substring` entries apply to.
    pub(crate) applies: KindSet,
    /// Each entry as written, and what it is.
    pub(crate) entries: Vec<(String, Entry)>,
}

/// One entry of a list, ready for the tables.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Entry {
    /// A domain and the names below it, normalised.
    Domain(String),
    /// An address or a range.
    Net(Cidr),
    /// Exact text, ASCII lower case.
    Exact(String),
    /// Text contained in a value.
    Substring(String),
}

#[derive(Deserialize)]
struct Raw {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    list: Vec<String>,
    #[serde(default)]
    matching_attributes: Vec<String>,
    #[allow(dead_code)]
    #[serde(default)]
    description: Option<String>,
    #[allow(dead_code)]
    #[serde(default)]
    version: Option<u64>,
}

/// Reads a MISP warninglist; `file` names it in errors.
pub(crate) fn parse(file: &str, bytes: &[u8]) -> Result<MispList, ListError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ListError::new(
            file,
            ListErrorKind::Json("the file is empty".into()),
        ));
    }
    let raw: Raw = serde_json::from_slice(bytes)
        .map_err(|e| ListError::new(file, ListErrorKind::Json(e.to_string())))?;
    if raw.name.trim().is_empty() {
        return Err(ListError::new(file, ListErrorKind::EmptyName));
    }
    let read: fn(&str) -> Result<Entry, String> = match raw.kind.as_str() {
        "cidr" => |e| Cidr::parse(e.trim()).map(Entry::Net),
        "hostname" => hostname,
        "string" => |e| nonempty(e).map(|e| Entry::Exact(e.to_ascii_lowercase())),
        "substring" => |e| nonempty(e).map(|e| Entry::Substring(e.to_owned())),
        other => {
            return Err(ListError::new(
                file,
                ListErrorKind::UnsupportedType(other.into()),
            ));
        }
    };
    let entries = raw
        .list
        .into_iter()
        .enumerate()
        .map(|(i, text)| match read(&text) {
            Ok(entry) => Ok((text, entry)),
            Err(reason) => Err(ListError::entry(file, "list", i, &text, reason)),
        })
        .collect::<Result<_, _>>()?;
    Ok(MispList {
        name: raw.name,
        applies: kinds_of_attributes(&raw.matching_attributes),
        entries,
    })
}

fn nonempty(entry: &str) -> Result<&str, String> {
    if entry.is_empty() {
        Err("empty entry".into())
    } else {
        Ok(entry)
    }
}

/// A `hostname` entry: leading dots and a `*.` label dropped, as MISP does.
fn hostname(entry: &str) -> Result<Entry, String> {
    let trimmed = entry.trim().trim_start_matches('.');
    let name = domain::normalise(trimmed);
    if name.is_empty() {
        return Err("empty entry".into());
    }
    if let Ok(cidr) = Cidr::parse(&name) {
        return Ok(Entry::Net(cidr));
    }
    match domain::check_entry(&name) {
        Ok(()) => Ok(Entry::Domain(name.into_owned())),
        Err(_) => Ok(Entry::Exact(entry.trim().to_ascii_lowercase())),
    }
}

/// The kinds of value a `string` or `substring` list applies to, from its
/// `matching_attributes` (MISP attribute types, case-insensitive): `ip-src`,
/// `ip-dst` and `ip` are addresses; `domain` and `hostname` domains; `url`,
/// `uri` and `link` URLs; `email` and `email-*`, `target-email`,
/// `whois-registrant-email` and `dns-soa-email` email addresses; composite
/// types such as `domain|ip` count each part, and a `port` part nothing.
/// Every other type (`md5`, `filename`, …) is [`Kind::Other`]. No attributes
/// at all means every kind, as in MISP.
pub(crate) fn kinds_of_attributes(attributes: &[String]) -> KindSet {
    if attributes.is_empty() {
        return KindSet::ALL;
    }
    let mut set = KindSet::NONE;
    for attribute in attributes {
        for part in attribute.split('|') {
            let part = part.trim().to_ascii_lowercase();
            let kind = match part.as_str() {
                "ip-src" | "ip-dst" | "ip" => Kind::Address,
                "domain" | "hostname" => Kind::Domain,
                "url" | "uri" | "link" => Kind::Url,
                "email" | "target-email" | "whois-registrant-email" | "dns-soa-email" => {
                    Kind::Email
                }
                "port" => continue,
                p if p.starts_with("email-") => Kind::Email,
                _ => Kind::Other,
            };
            set = set.with(kind);
        }
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> Entry {
        Entry::Net(Cidr::parse(s).unwrap())
    }

    fn entries(json: &str) -> Vec<Entry> {
        parse("t.json", json.as_bytes())
            .unwrap()
            .entries
            .into_iter()
            .map(|(_, e)| e)
            .collect()
    }

    fn error(json: &str) -> String {
        parse("lists/t/list.json", json.as_bytes())
            .unwrap_err()
            .to_string()
    }

    macro_rules! reads {
        ($name:ident, $type:expr, [$($entry:expr),*], [$($want:expr),*]) => {
            #[test]
            fn $name() {
                let json = format!(
                    r#"{{"name": "n", "type": "{}", "list": {}}}"#,
                    $type,
                    serde_json::to_string(&[$($entry),*] as &[&str]).unwrap()
                );
                assert_eq!(entries(&json), vec![$($want),*]);
            }
        };
    }
    macro_rules! refuses {
        ($name:ident, $json:expr, $message:expr) => {
            #[test]
            fn $name() {
                assert_eq!(error($json), $message);
            }
        };
    }

    reads!(
        cidr,
        "cidr",
        ["10.0.0.0/8", "8.8.8.8", "2001:db8::/32"],
        [net("10.0.0.0/8"), net("8.8.8.8"), net("2001:db8::/32")]
    );
    reads!(cidr_host_bits, "cidr", ["10.1.2.3/8"], [net("10.0.0.0/8")]);
    reads!(
        hostname_dots,
        "hostname",
        [".google.com", "Mail.Google.COM", "*.example.gov", "1.1.1.1"],
        [
            Entry::Domain("google.com".into()),
            Entry::Domain("mail.google.com".into()),
            Entry::Domain("example.gov".into()),
            net("1.1.1.1")
        ]
    );
    reads!(
        string_lowered,
        "string",
        ["D41D8CD98F00B204E9800998ECF8427E", ".google.com"],
        [
            Entry::Exact("d41d8cd98f00b204e9800998ecf8427e".into()),
            Entry::Exact(".google.com".into())
        ]
    );
    reads!(
        substring,
        "substring",
        [".gov.", "Bank"],
        [
            Entry::Substring(".gov.".into()),
            Entry::Substring("Bank".into())
        ]
    );

    refuses!(
        not_json,
        "{\"name\": ",
        "lists/t/list.json: not a MISP warninglist: EOF while parsing a value at line 1 column 9"
    );
    refuses!(
        empty_file,
        " \n",
        "lists/t/list.json: not a MISP warninglist: the file is empty"
    );
    refuses!(
        no_name,
        r#"{"type": "cidr", "list": []}"#,
        "lists/t/list.json: not a MISP warninglist: missing field `name` at line 1 column 28"
    );
    refuses!(
        list_not_strings,
        r#"{"name": "n", "type": "cidr", "list": [1]}"#,
        "lists/t/list.json: not a MISP warninglist: invalid type: integer `1`, expected a string at line 1 column 40"
    );
    refuses!(
        empty_name,
        r#"{"name": " ", "type": "cidr", "list": []}"#,
        "lists/t/list.json: the list has an empty name"
    );
    refuses!(
        regex_refused,
        r#"{"name": "n", "type": "regex", "list": ["/^a$/i"]}"#,
        "lists/t/list.json: list type \"regex\" is not supported (supported: cidr, hostname, string, substring); \
         leave this list out, or rewrite its entries as a hostname or substring list"
    );
    refuses!(
        unknown_type,
        r#"{"name": "n", "type": "cidrs", "list": []}"#,
        "lists/t/list.json: list type \"cidrs\" is not supported (supported: cidr, hostname, string, substring); \
         leave this list out, or rewrite its entries as a hostname or substring list"
    );
    refuses!(
        bad_cidr,
        r#"{"name": "n", "type": "cidr", "list": ["10.0.0.0/8", "10.0.0.0/33"]}"#,
        "lists/t/list.json: list[1] \"10.0.0.0/33\": prefix length 33 is longer than 32"
    );
    refuses!(
        cidr_of_names,
        r#"{"name": "n", "type": "cidr", "list": ["google.com"]}"#,
        "lists/t/list.json: list[0] \"google.com\": \"google.com\" is not an IPv4 or IPv6 address"
    );
    reads!(
        hostname_not_a_name,
        "hostname",
        ["Corona Helden", "252/24.127.188.93.mifril.ru"],
        [
            Entry::Exact("corona helden".into()),
            Entry::Exact("252/24.127.188.93.mifril.ru".into())
        ]
    );
    refuses!(
        empty_hostname,
        r#"{"name": "n", "type": "hostname", "list": ["good.example", "."]}"#,
        "lists/t/list.json: list[1] \".\": empty entry"
    );
    refuses!(
        empty_string,
        r#"{"name": "n", "type": "string", "list": [""]}"#,
        "lists/t/list.json: list[0] \"\": empty entry"
    );

    #[test]
    fn attributes() {
        let set =
            |a: &[&str]| kinds_of_attributes(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(set(&[]), KindSet::ALL);
        assert_eq!(
            set(&["ip-src", "ip-dst"]),
            KindSet::NONE.with(Kind::Address)
        );
        assert_eq!(
            set(&["domain|ip", "URL"]),
            KindSet::NONE
                .with(Kind::Domain)
                .with(Kind::Address)
                .with(Kind::Url)
        );
        assert_eq!(set(&["ip-dst|port"]), KindSet::NONE.with(Kind::Address));
        assert_eq!(
            set(&["email-src", "target-email"]),
            KindSet::NONE.with(Kind::Email)
        );
        assert_eq!(set(&["md5", "sha256"]), KindSet::NONE.with(Kind::Other));
    }
}
