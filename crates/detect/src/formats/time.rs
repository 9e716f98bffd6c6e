//! The three time notations of the logs: RFC 3339 / ISO 8601 with an offset
//! (EVE, Zeek JSON, STIX), the access-log `10/Oct/2000:13:55:36 -0700`, and
//! Zeek's decimal epoch seconds. All give [`Micros`] in UTC.

use pattern::index::Micros;
use stix::calendar;

use super::LineError;

const MICROS_PER_SEC: i64 = 1_000_000;

/// `2024-05-01T12:00:00.123456+0000`, `…Z`, `…+00:00`, `…+00`; a space may
/// stand for the `T`. Digits past the sixth fractional one are dropped. No
/// offset is read as UTC: sensors that omit it (Zeek's ISO timestamps) write UTC.
pub(crate) fn rfc3339(field: &str, text: &str) -> Result<Micros, LineError> {
    let bad = || LineError::field(field, "is not an RFC 3339 timestamp", text);
    let b = text.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return Err(bad());
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return Err(bad());
    }
    let year = digits(&b[0..4]).ok_or_else(bad)?;
    let month = digits(&b[5..7]).ok_or_else(bad)?;
    let day = digits(&b[8..10]).ok_or_else(bad)?;
    let hour = digits(&b[11..13]).ok_or_else(bad)?;
    let minute = digits(&b[14..16]).ok_or_else(bad)?;
    let second = digits(&b[17..19]).ok_or_else(bad)?;
    let mut rest = &b[19..];
    let mut micros = 0;
    if let [b'.' | b',', tail @ ..] = rest {
        let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return Err(bad());
        }
        micros = fraction_micros(&tail[..n]);
        rest = &tail[n..];
    }
    let offset = match rest {
        [] | [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), tail @ ..] => {
            let (h, m) = match tail {
                [h1, h2] => (digits(&[*h1, *h2]), Some(0)),
                [h1, h2, m1, m2] => (digits(&[*h1, *h2]), digits(&[*m1, *m2])),
                [h1, h2, b':', m1, m2] => (digits(&[*h1, *h2]), digits(&[*m1, *m2])),
                _ => (None, None),
            };
            let (h, m) = h.zip(m).ok_or_else(bad)?;
            if h > 23 || m > 59 {
                return Err(bad());
            }
            let secs = h * 3600 + m * 60;
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return Err(bad()),
    };
    let secs = civil_seconds(year, month, day, hour, minute, second).ok_or_else(bad)?;
    Ok((secs - offset) * MICROS_PER_SEC + micros)
}

/// The access-log `%t` without its brackets: `10/Oct/2000:13:55:36 -0700`.
pub(crate) fn access(text: &str) -> Result<Micros, LineError> {
    let bad = || LineError::field("time", "is not a [dd/Mon/yyyy:hh:mm:ss +zzzz] time", text);
    let b = text.as_bytes();
    if b.len() != 26
        || b[2] != b'/'
        || b[6] != b'/'
        || b[11] != b':'
        || b[14] != b':'
        || b[17] != b':'
        || b[20] != b' '
    {
        return Err(bad());
    }
    let day = digits(&b[0..2]).ok_or_else(bad)?;
    let month = month_number(&b[3..6]).ok_or_else(bad)?;
    let year = digits(&b[7..11]).ok_or_else(bad)?;
    let hour = digits(&b[12..14]).ok_or_else(bad)?;
    let minute = digits(&b[15..17]).ok_or_else(bad)?;
    let second = digits(&b[18..20]).ok_or_else(bad)?;
    let sign = match b[21] {
        b'+' => 1,
        b'-' => -1,
        _ => return Err(bad()),
    };
    let oh = digits(&b[22..24]).ok_or_else(bad)?;
    let om = digits(&b[24..26]).ok_or_else(bad)?;
    if oh > 23 || om > 59 {
        return Err(bad());
    }
    let secs = civil_seconds(year, month, day, hour, minute, second).ok_or_else(bad)?;
    Ok((secs - sign * (oh * 3600 + om * 60)) * MICROS_PER_SEC)
}

/// Zeek's `ts`: decimal epoch seconds such as `1714564800.123456`, read from
/// the text so that no binary floating point rounds the microseconds.
pub(crate) fn epoch_seconds(field: &str, text: &str) -> Result<Micros, LineError> {
    let bad = || LineError::field(field, "is not a number", text);
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let int_ok = !int.is_empty() && int.len() <= 12 && int.bytes().all(|c| c.is_ascii_digit());
    let frac_ok = frac.bytes().all(|c| c.is_ascii_digit());
    if !int_ok || !frac_ok {
        // JSON writers may use an exponent (`1.7145648e9`); only then go through f64.
        let exp_form = unsigned
            .bytes()
            .all(|c| c.is_ascii_digit() || b".eE+-".contains(&c))
            && unsigned.bytes().any(|c| c == b'e' || c == b'E');
        return match text.parse::<f64>() {
            Ok(v) if exp_form && v.is_finite() && v.abs() < 1e12 => {
                Ok((v * MICROS_PER_SEC as f64).round() as Micros)
            }
            _ => Err(bad()),
        };
    }
    let secs: i64 = int.parse().map_err(|_| bad())?;
    let total = secs * MICROS_PER_SEC + fraction_micros(frac.as_bytes());
    Ok(if negative { -total } else { total })
}

/// The first six digits of a fraction as microseconds (`5` is 500000).
fn fraction_micros(frac: &[u8]) -> i64 {
    let mut micros = 0;
    for i in 0..6 {
        micros = micros * 10 + frac.get(i).map_or(0, |d| i64::from(d - b'0'));
    }
    micros
}

fn digits(b: &[u8]) -> Option<i64> {
    b.iter().try_fold(0i64, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

fn month_number(b: &[u8]) -> Option<i64> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(b))
        .map(|i| i as i64 + 1)
}

/// Seconds since the epoch of a UTC civil time, or None if it is not a real
/// date (a second of 60 is let through: a leap second lands on the next one).
fn civil_seconds(y: i64, m: i64, d: i64, hh: i64, mm: i64, ss: i64) -> Option<i64> {
    let m = u32::try_from(m).ok()?;
    let d = u32::try_from(d).ok()?;
    if d < 1 || d > calendar::days_in_month(y, m) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    Some(calendar::days_from_civil(y, m, d) * 86_400 + hh * 3600 + mm * 60 + ss)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pattern::index::micros_to_rfc3339;

    const NOON: Micros = 1_714_564_800_000_000; // 2024-05-01T12:00:00Z

    #[test]
    fn rfc3339_offsets_and_fractions() {
        let table: &[(&str, Micros)] = &[
            ("2024-05-01T12:00:00Z", NOON),
            ("2024-05-01T12:00:00.123456+0000", NOON + 123_456),
            ("2024-05-01T12:00:00.123456789Z", NOON + 123_456),
            ("2024-05-01T12:00:00.5+00:00", NOON + 500_000),
            ("2024-05-01T14:00:00+02:00", NOON),
            ("2024-05-01T14:00:00+0200", NOON),
            ("2024-05-01T07:30:00-0430", NOON),
            ("2024-05-01T12:00:00+00", NOON),
            ("2024-05-01 12:00:00", NOON),
            ("1970-01-01T00:00:00Z", 0),
            ("2000-02-29T00:00:00Z", 951_782_400_000_000),
        ];
        for (text, want) in table {
            assert_eq!(rfc3339("timestamp", text).unwrap(), *want, "{text}");
        }
        assert_eq!(
            micros_to_rfc3339(rfc3339("t", "2024-05-01T12:00:00.000001Z").unwrap()),
            "2024-05-01T12:00:00.000001Z"
        );
    }

    #[test]
    fn malformed_rfc3339_names_the_field() {
        for text in [
            "",
            "yesterday",
            "2024-05-01",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T12:00:00.Z",
            "2024-05-01T12:00:00+5",
            "2024-05-01T12:00:00 UTC",
            "2024-05-01X12:00:00Z",
        ] {
            let e = rfc3339("timestamp", text).unwrap_err();
            assert_eq!(
                e.reason,
                format!("field 'timestamp' is not an RFC 3339 timestamp: '{text}'")
            );
        }
    }

    #[test]
    fn access_log_times_convert_to_utc() {
        assert_eq!(
            access("10/Oct/2000:13:55:36 -0700").unwrap(),
            rfc3339("t", "2000-10-10T20:55:36Z").unwrap()
        );
        assert_eq!(access("01/May/2024:14:00:00 +0200").unwrap(), NOON);
        for bad in [
            "10/Foo/2000:13:55:36 -0700",
            "10/Oct/2000:13:55:36",
            "31/Apr/2024:00:00:00 +0000",
        ] {
            assert!(
                access(bad).unwrap_err().reason.contains("field 'time'"),
                "{bad}"
            );
        }
    }

    #[test]
    fn epoch_seconds_are_exact() {
        let table: &[(&str, Micros)] = &[
            ("1714564800.123456", NOON + 123_456),
            ("1714564800.000001", NOON + 1),
            ("1714564800", NOON),
            ("1714564800.1", NOON + 100_000),
            ("1714564800.1234567", NOON + 123_456),
            ("1.7145648e9", NOON),
            ("-1.5", -1_500_000),
        ];
        for (text, want) in table {
            assert_eq!(epoch_seconds("ts", text).unwrap(), *want, "{text}");
        }
        for bad in ["abc", "", "1714564800.12a", "1.2.3", "nan", "inf", "."] {
            assert_eq!(
                epoch_seconds("ts", bad).unwrap_err().reason,
                format!("field 'ts' is not a number: '{bad}'")
            );
        }
    }
}
