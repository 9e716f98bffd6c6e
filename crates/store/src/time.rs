//! `date_added` instants: microseconds since the Unix epoch, printed as STIX
//! timestamps with exactly six fractional digits (as TAXII servers do), so that
//! their text order is their time order.

use std::fmt;

use time::OffsetDateTime;

/// Microseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Micros(pub i64);

/// The first instant that prints with a four-digit year.
const MIN: i64 = -62_135_596_800_000_000; // 0001-01-01T00:00:00Z
/// The last instant that prints with a four-digit year.
const MAX: i64 = 253_402_300_799_999_999; // 9999-12-31T23:59:59.999999Z

impl Micros {
    /// The current time, from the system clock (the store's edge; pure code takes time as an argument).
    pub fn now() -> Micros {
        let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
        Micros((nanos / 1000) as i64)
    }

    /// Parses the exact form [`Display`](fmt::Display) writes, and nothing else.
    pub fn parse(s: &str) -> Option<Micros> {
        let b = s.as_bytes();
        let shape = b.len() == 27
            && [4, 7].iter().all(|&i| b[i] == b'-')
            && b[10] == b'T'
            && [13, 16].iter().all(|&i| b[i] == b':')
            && b[19] == b'.'
            && b[26] == b'Z';
        if !shape {
            return None;
        }
        let num = |from: usize, to: usize| -> Option<i64> {
            b[from..to].iter().try_fold(0i64, |n, &c| {
                c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
            })
        };
        let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
        let (hour, minute, second, micros) =
            (num(11, 13)?, num(14, 16)?, num(17, 19)?, num(20, 26)?);
        if !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 59
            || year < 1
        {
            return None;
        }
        let seconds =
            days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
        Some(Micros(seconds * 1_000_000 + micros))
    }
}

impl fmt::Display for Micros {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Hand-rolled: this runs once per appended entry.
        if !(MIN..=MAX).contains(&self.0) {
            return Err(fmt::Error);
        }
        let seconds = self.0.div_euclid(1_000_000);
        let micros = self.0.rem_euclid(1_000_000);
        let (days, secs) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{micros:06}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the "days from civil"
/// algorithm: shift the year to start in March so the leap day comes last).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::format_description::well_known::Rfc3339;

    use super::*;

    #[test]
    fn prints_six_digits_and_parses_back() {
        let m = Micros(1_700_000_000_000_001);
        assert_eq!(m.to_string(), "2023-11-14T22:13:20.000001Z");
        assert_eq!(Micros::parse(&m.to_string()), Some(m));
        assert_eq!(Micros(0).to_string(), "1970-01-01T00:00:00.000000Z");
        assert_eq!(Micros(-1).to_string(), "1969-12-31T23:59:59.999999Z");
        assert_eq!(
            Micros(951_782_400_000_000).to_string(),
            "2000-02-29T00:00:00.000000Z"
        );
    }

    macro_rules! refuses {
        ($($name:ident: $text:expr,)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(Micros::parse($text), None);
            }
        )*};
    }
    refuses! {
        three_digits: "2023-11-14T22:13:20.000Z",
        no_fraction: "2023-11-14T22:13:20Z",
        offset: "2023-11-14T22:13:20.000000+00:00",
        february_30: "2023-02-30T00:00:00.000000Z",
        not_leap: "1900-02-29T00:00:00.000000Z",
        leap_second: "2016-12-31T23:59:60.000000Z",
        hour_24: "2016-12-31T24:00:00.000000Z",
        sign: "+023-11-14T22:13:20.000000Z",
    }

    proptest! {
        #[test]
        fn agrees_with_the_time_crate(m in MIN..=MAX) {
            let text = Micros(m).to_string();
            prop_assert_eq!(Micros::parse(&text), Some(Micros(m)));
            let t = OffsetDateTime::parse(&text, &Rfc3339).unwrap();
            prop_assert_eq!(t.unix_timestamp_nanos(), i128::from(m) * 1000);
        }
    }
}
