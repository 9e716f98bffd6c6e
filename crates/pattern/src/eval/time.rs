//! Timestamps as nanoseconds since 1970-01-01, compared at full precision.

use stix::calendar;

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
    // Four digits and two: every value fits, and converts exactly.
    let (y, m, d) = (year as i64, month as u32, day as u32);
    if d < 1 || d > calendar::days_in_month(y, m) || hour > 23 || min > 59 || sec > 60 {
        return Err(bad());
    }
    let days = i128::from(calendar::days_from_civil(y, m, d));
    let seconds = ((days * 24 + hour) * 60 + min) * 60 + sec;
    Ok(seconds * 1_000_000_000 + nanos)
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
