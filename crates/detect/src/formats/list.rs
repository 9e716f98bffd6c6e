//! Plain lists: one value a line, trimmed; blank lines and `#` comments
//! carry no event. The value is, in this order of tests: an IP address
//! (`Ip`), a `scheme://` URL (`Url`), something with an `@` (`EmailAddr`),
//! 32, 40 or 64 hex digits (`File` with that MD5, SHA-1 or SHA-256), or a
//! domain name (`Domain`: letters, digits, `-`, `_` and `.`, with a dot).
//! Values are kept as written. The event's time is the reader's default.

use std::net::IpAddr;

use pattern::index::{Event, File, Micros, Observable};

use super::LineError;
use super::build::is_absolute_url;

pub(crate) fn read(line: &str, time: Micros) -> Result<Option<Event<'_>>, LineError> {
    let value = line.trim();
    if value.is_empty() || value.starts_with('#') {
        return Ok(None);
    }
    let observable = classify(value).ok_or_else(|| {
        LineError::new(format!(
            "not an IP address, URL, email address, hash or domain name: '{value}'"
        ))
    })?;
    Ok(Some(Event {
        time,
        objects: vec![observable],
    }))
}

fn classify(value: &str) -> Option<Observable<'_>> {
    if let Ok(ip) = value.parse::<IpAddr>() {
        return Some(Observable::Ip(ip));
    }
    if is_absolute_url(value) {
        return Some(Observable::Url(value.into()));
    }
    if value.contains('@') {
        return Some(Observable::EmailAddr(value.into()));
    }
    if value.bytes().all(|b| b.is_ascii_hexdigit()) {
        let hash = Some(value.into());
        let file = match value.len() {
            32 => File {
                md5: hash,
                ..File::default()
            },
            40 => File {
                sha1: hash,
                ..File::default()
            },
            64 => File {
                sha256: hash,
                ..File::default()
            },
            _ => return None,
        };
        return Some(Observable::File(Box::new(file)));
    }
    let domain_chars = value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    // Digits and dots alone are a mistyped address, not a name.
    let numeric = value.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let labels_ok = !value.starts_with('.') && !value.contains("..");
    (domain_chars && value.contains('.') && !numeric && labels_ok)
        .then(|| Observable::Domain(value.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn one(line: &str) -> Observable<'_> {
        let event = read(line, 42).unwrap().unwrap();
        assert_eq!(event.time, 42);
        assert_eq!(event.objects.len(), 1);
        event.objects.into_iter().next().unwrap()
    }

    #[test]
    fn each_kind_of_value() {
        let md5 = "D41D8CD98F00B204E9800998ECF8427E";
        let sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
        let sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let table: Vec<(&str, Observable<'_>)> = vec![
            (
                "198.51.100.7",
                Observable::Ip("198.51.100.7".parse().unwrap()),
            ),
            (
                "  2001:db8::1 \t",
                Observable::Ip("2001:db8::1".parse().unwrap()),
            ),
            (
                "http://evil.example/x?a=1",
                Observable::Url("http://evil.example/x?a=1".into()),
            ),
            (
                "hxxps://evil.example",
                Observable::Url("hxxps://evil.example".into()),
            ),
            (
                "mallory@evil.example",
                Observable::EmailAddr("mallory@evil.example".into()),
            ),
            (
                md5,
                Observable::File(Box::new(File {
                    md5: Some(md5.into()),
                    ..File::default()
                })),
            ),
            (
                sha1,
                Observable::File(Box::new(File {
                    sha1: Some(sha1.into()),
                    ..File::default()
                })),
            ),
            (
                sha256,
                Observable::File(Box::new(File {
                    sha256: Some(sha256.into()),
                    ..File::default()
                })),
            ),
            (
                "Evil-Site.example",
                Observable::Domain("Evil-Site.example".into()),
            ),
            (
                "_dmarc.evil.example.",
                Observable::Domain("_dmarc.evil.example.".into()),
            ),
            ("beef.cafe", Observable::Domain("beef.cafe".into())),
        ];
        for (line, want) in table {
            assert_eq!(one(line), want, "{line}");
        }
        // Values are borrowed from the line.
        assert!(matches!(
            one("evil.example"),
            Observable::Domain(Cow::Borrowed(_))
        ));
    }

    #[test]
    fn comments_and_blanks_carry_nothing() {
        for line in ["", "   ", "# indicators of 2024-05-01", "  #evil.example"] {
            assert_eq!(read(line, 0), Ok(None), "{line:?}");
        }
    }

    #[test]
    fn other_values_are_errors() {
        for bad in [
            "localhost",
            "999.1.1.1",
            "10.0.0.0/8",
            "evil example",
            "abcdef0123",
            "..example",
            "not a value!",
        ] {
            assert_eq!(
                read(bad, 0).unwrap_err().reason,
                format!("not an IP address, URL, email address, hash or domain name: '{bad}'"),
            );
        }
    }
}
