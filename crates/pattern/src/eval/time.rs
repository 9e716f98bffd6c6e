//! Timestamps as nanoseconds since 0000-01-01, compared at full precision.

use super::EvalError;

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (upper-case `T` and `Z`, as the
/// reference requires) to nanoseconds on a proleptic Gregorian time line.
/// Fraction digits beyond nanoseconds are dropped.
pub(crate) fn parse(text: &str) -> Result<i128, EvalError> {
    let bad = || EvalError::Timestamp(text.to_owned());
    let b = text.as_bytes();
    let num = |from: usize, len: usize| -> Result<i128, EvalError> {
        let s = b.get(from..from + len).ok_or_else(bad)?;
        s.iter().try_fold(0i128, |acc, &c| {
            if c.is_ascii_digit() {
                Ok(acc * 10 + i128::from(c - b'0'))
            } else {
                Err(bad())
            }
        })
    };
    let year = num(0, 4)?;
    let month = num(5, 2)?;
    let day = num(8, 2)?;
    let hour = num(11, 2)?;
    let min = num(14, 2)?;
    let sec = num(17, 2)?;
    let seps = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if seps.iter().any(|&(i, c)| b.get(i) != Some(&c)) {
        return Err(bad());
    }
    let mut i = 19;
    let mut nanos = 0i128;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        let mut scale = 100_000_000i128;
        while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            nanos += i128::from(c - b'0') * scale;
            scale /= 10;
            i += 1;
        }
        if i == start {
            return Err(bad());
        }
    }
    if i + 1 != b.len() || b[i] != b'Z' {
        return Err(bad());
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if day < 1 || day > days_in_month || hour > 23 || min > 59 || sec > 60 {
        return Err(bad());
    }
    let days = days_from_civil(year, month, day);
    let seconds = ((days * 24 + hour) * 60 + min) * 60 + sec;
    Ok(seconds * 1_000_000_000 + nanos)
}

/// Days since 0000-03-01 shifted to a fixed origin (Howard Hinnant's
/// algorithm); only differences matter here.
fn days_from_civil(y: i128, m: i128, d: i128) -> i128 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn orders_and_keeps_precision() {
        let a = parse("2020-01-01T00:00:00.1234567Z").unwrap();
        let b = parse("2020-01-01T00:00:00.123456Z").unwrap();
        assert!(a > b);
        let c = parse("2020-03-01T00:00:00Z").unwrap();
        let d = parse("2020-02-29T23:59:59Z").unwrap();
        assert_eq!(c - d, 1_000_000_000);
        assert!(parse("2020-01-01t00:00:00Z").is_err());
        assert!(parse("hello").is_err());
    }
}
