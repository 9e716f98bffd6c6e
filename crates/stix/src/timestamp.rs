//! STIX timestamps: `YYYY-MM-DDTHH:MM:SS[.s+]Z`, always UTC.
//!
//! The parser is strict: an upper-case `T` and `Z`, no offsets, a real calendar
//! date (no 30 February), no leap second (`:60`, which the reference validator
//! rejects too), years 0001–9999 and at most 9 fractional digits (nanoseconds).
//!
//! A [`Timestamp`] remembers how many fractional digits it was written with, so
//! `Display` gives back `…00.100Z` for `…00.100Z` and `…00.1Z` for `…00.1Z`.
//! Equality, hashing and ordering compare the instant only: `.1Z` equals `.100Z`,
//! which is what TAXII's `match[version]` needs.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use crate::calendar::{civil_from_days, days_from_civil, days_in_month};
use crate::error::TimestampError;

const NANOS_PER_SEC: i128 = 1_000_000_000;
/// Seconds from 0001-01-01T00:00:00Z to 1970-01-01T00:00:00Z.
const MIN_SECS: i64 = -62_135_596_800;
/// Seconds from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
const MAX_SECS: i64 = 253_402_300_799;

/// A UTC instant with the number of fractional digits it is written with.
#[derive(Clone, Copy, Debug)]
pub struct Timestamp {
    /// Seconds since the Unix epoch (negative before 1970).
    secs: i64,
    /// Nanoseconds within the second, `< 1_000_000_000`.
    nanos: u32,
    /// Fractional digits shown by `Display`, 0–9.
    digits: u8,
}

impl Timestamp {
    /// Parses a STIX timestamp strictly.
    ///
    /// ```
    /// use stix::Timestamp;
    /// let t = Timestamp::parse("2024-10-01T09:15:00.120Z")?;
    /// assert_eq!(t.fraction_digits(), 3);
    /// assert_eq!(t.to_string(), "2024-10-01T09:15:00.120Z");
    /// assert!(Timestamp::parse("2024-02-30T00:00:00Z").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(s: &str) -> Result<Timestamp, TimestampError> {
        parse(s.as_bytes()).map_err(|reason| TimestampError {
            input: s.to_owned(),
            reason,
        })
    }

    /// Builds a timestamp from nanoseconds since the Unix epoch, shown with
    /// `digits` fractional digits (clamped to 0–9; extra precision is truncated,
    /// towards the past). `None` outside years 0001–9999.
    ///
    /// The store stamps `date_added` with `Timestamp::from_unix_nanos(n, 6)`:
    /// `2026-11-27T21:55:34.123456Z`.
    pub fn from_unix_nanos(nanos: i128, digits: u8) -> Option<Timestamp> {
        let digits = digits.min(9);
        let secs = nanos.div_euclid(NANOS_PER_SEC);
        let sub = nanos.rem_euclid(NANOS_PER_SEC) as u32;
        let secs = i64::try_from(secs).ok()?;
        if !(MIN_SECS..=MAX_SECS).contains(&secs) {
            return None;
        }
        Some(Timestamp {
            secs,
            nanos: truncate(sub, digits),
            digits,
        })
    }

    /// Nanoseconds since the Unix epoch.
    pub fn unix_nanos(&self) -> i128 {
        i128::from(self.secs) * NANOS_PER_SEC + i128::from(self.nanos)
    }

    /// Whole seconds since the Unix epoch.
    pub fn unix_seconds(&self) -> i64 {
        self.secs
    }

    /// Nanoseconds within the second.
    pub fn subsec_nanos(&self) -> u32 {
        self.nanos
    }

    /// How many fractional digits the timestamp is written with (0–9).
    pub fn fraction_digits(&self) -> u8 {
        self.digits
    }

    /// The same instant truncated to `digits` fractional digits (clamped to 0–9).
    pub fn with_fraction_digits(self, digits: u8) -> Timestamp {
        let digits = digits.min(9);
        Timestamp {
            secs: self.secs,
            nanos: truncate(self.nanos, digits),
            digits,
        }
    }

    /// Whether it has at least millisecond precision, as STIX requires of
    /// `created` and `modified`.
    pub fn has_millisecond_precision(&self) -> bool {
        self.digits >= 3
    }
}

/// Drops the digits of `nanos` beyond the first `digits` fractional digits.
fn truncate(nanos: u32, digits: u8) -> u32 {
    let unit = 10u32.pow(9 - u32::from(digits));
    nanos - nanos % unit
}

fn two(b: &[u8], i: usize) -> Option<u32> {
    let (h, l) = (*b.get(i)?, *b.get(i + 1)?);
    (h.is_ascii_digit() && l.is_ascii_digit())
        .then(|| u32::from(h - b'0') * 10 + u32::from(l - b'0'))
}

fn parse(b: &[u8]) -> Result<Timestamp, &'static str> {
    const SHAPE: &str = "wrong shape";
    if b.len() < 20 {
        return Err(SHAPE);
    }
    let year = match (two(b, 0), two(b, 2)) {
        (Some(h), Some(l)) => i64::from(h * 100 + l),
        _ => return Err(SHAPE),
    };
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return Err(SHAPE);
    }
    let (Some(month), Some(day), Some(hour), Some(min), Some(sec)) =
        (two(b, 5), two(b, 8), two(b, 11), two(b, 14), two(b, 17))
    else {
        return Err(SHAPE);
    };
    let (mut nanos, mut digits) = (0u32, 0u8);
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start >= 9 {
                return Err("more than 9 fractional digits");
            }
            nanos = nanos * 10 + u32::from(b[i] - b'0');
            i += 1;
        }
        digits = (i - start) as u8;
        if digits == 0 {
            return Err("empty fraction");
        }
        nanos *= 10u32.pow(9 - u32::from(digits));
    }
    if i + 1 != b.len() || b[i] != b'Z' {
        return Err("must end in Z (UTC), without an offset");
    }
    if year == 0 {
        return Err("year 0000 does not exist");
    }
    if !(1..=12).contains(&month) {
        return Err("month out of range");
    }
    if day == 0 || day > days_in_month(year, month) {
        return Err("no such day in that month");
    }
    if hour > 23 || min > 59 {
        return Err("time of day out of range");
    }
    if sec == 60 {
        return Err("leap seconds are not accepted");
    }
    if sec > 59 {
        return Err("time of day out of range");
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + i64::from(hour * 3600 + min * 60 + sec);
    Ok(Timestamp {
        secs,
        nanos,
        digits,
    })
}

impl FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(s)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.secs.div_euclid(86_400);
        let rem = self.secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            rem / 3600,
            rem / 60 % 60,
            rem % 60
        )?;
        if self.digits > 0 {
            let frac = self.nanos / 10u32.pow(9 - u32::from(self.digits));
            write!(f, ".{frac:0width$}", width = usize::from(self.digits))?;
        }
        f.write_str("Z")
    }
}

impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        (self.secs, self.nanos) == (other.secs, other.nanos)
    }
}

impl Eq for Timestamp {}

impl Hash for Timestamp {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self.secs, self.nanos).hash(state);
    }
}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.secs, self.nanos).cmp(&(other.secs, other.nanos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! accepts {
        ($name:ident, $s:expr) => {
            #[test]
            fn $name() {
                let t = Timestamp::parse($s).unwrap();
                assert_eq!(t.to_string(), $s, "round trip");
            }
        };
    }
    macro_rules! rejects {
        ($name:ident, $s:expr, $reason:expr) => {
            #[test]
            fn $name() {
                let e = Timestamp::parse($s).unwrap_err();
                assert_eq!(e.reason(), $reason, "{e}");
            }
        };
    }

    accepts!(seconds_only, "2024-10-01T09:15:00Z");
    accepts!(millis, "2024-10-01T09:15:00.000Z");
    accepts!(one_digit, "2024-10-01T09:15:00.5Z");
    accepts!(nanos, "2024-10-01T09:15:00.123456789Z");
    accepts!(leap_day, "2024-02-29T23:59:59.999Z");
    accepts!(leap_400, "2000-02-29T00:00:00Z");
    accepts!(first_year, "0001-01-01T00:00:00Z");
    accepts!(last_year, "9999-12-31T23:59:59.999999999Z");
    accepts!(before_epoch, "1969-12-31T23:59:59.9Z");

    rejects!(month_13, "2024-13-01T00:00:00Z", "month out of range");
    rejects!(month_0, "2024-00-01T00:00:00Z", "month out of range");
    rejects!(feb_30, "2024-02-30T00:00:00Z", "no such day in that month");
    rejects!(
        feb_29_not_leap,
        "2023-02-29T00:00:00Z",
        "no such day in that month"
    );
    rejects!(
        feb_29_1900,
        "1900-02-29T00:00:00Z",
        "no such day in that month"
    );
    rejects!(
        april_31,
        "2024-04-31T00:00:00Z",
        "no such day in that month"
    );
    rejects!(
        leap_second,
        "2016-12-31T23:59:60Z",
        "leap seconds are not accepted"
    );
    rejects!(hour_24, "2024-01-01T24:00:00Z", "time of day out of range");
    rejects!(
        offset,
        "2024-01-01T00:00:00+00:00",
        "must end in Z (UTC), without an offset"
    );
    rejects!(
        lower_z,
        "2024-01-01T00:00:00z",
        "must end in Z (UTC), without an offset"
    );
    rejects!(lower_t, "2024-01-01t00:00:00Z", "wrong shape");
    rejects!(space, "2024-01-01 00:00:00Z", "wrong shape");
    rejects!(
        no_zone,
        "2024-01-01T00:00:00.000",
        "must end in Z (UTC), without an offset"
    );
    rejects!(empty_fraction, "2024-01-01T00:00:00.Z", "empty fraction");
    rejects!(
        ten_digits,
        "2024-01-01T00:00:00.1234567891Z",
        "more than 9 fractional digits"
    );
    rejects!(
        year_zero,
        "0000-01-01T00:00:00Z",
        "year 0000 does not exist"
    );
    rejects!(short_year, "24-01-01T00:00:00Z", "wrong shape");
    rejects!(
        trailing,
        "2024-01-01T00:00:00Zx",
        "must end in Z (UTC), without an offset"
    );
    rejects!(date_only, "2024-01-01", "wrong shape");

    #[test]
    fn order_is_by_instant() {
        let a = Timestamp::parse("2024-01-01T00:00:00.1Z").unwrap();
        let b = Timestamp::parse("2024-01-01T00:00:00.100Z").unwrap();
        let c = Timestamp::parse("2024-01-01T00:00:00.1000001Z").unwrap();
        assert_eq!(a, b);
        assert!(b < c);
        assert_eq!(b.to_string(), "2024-01-01T00:00:00.100Z");
    }

    #[test]
    fn from_unix_nanos_microseconds() {
        let n = 1_795_816_534_123_456_789i128;
        let t = Timestamp::from_unix_nanos(n, 6).unwrap();
        assert_eq!(t.to_string(), "2026-11-27T21:55:34.123456Z");
        assert_eq!(Timestamp::parse(&t.to_string()).unwrap(), t);
        assert_eq!(
            Timestamp::from_unix_nanos(0, 3).unwrap().to_string(),
            "1970-01-01T00:00:00.000Z"
        );
        assert_eq!(
            Timestamp::from_unix_nanos(-1, 3).unwrap().to_string(),
            "1969-12-31T23:59:59.999Z"
        );
        assert!(Timestamp::from_unix_nanos(i128::from(MAX_SECS + 1) * NANOS_PER_SEC, 0).is_none());
    }
}
