//! `date_added` instants: microseconds since the Unix epoch, printed as STIX
//! timestamps with exactly six fractional digits (as TAXII servers do), so that
//! their text order is their time order.

use std::fmt;

use time::{
    OffsetDateTime, PrimitiveDateTime, format_description::FormatItem, macros::format_description,
};

const FORMAT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// Microseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Micros(pub i64);

impl Micros {
    /// The current time, from the system clock (the store's edge; pure code takes time as an argument).
    pub fn now() -> Micros {
        let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
        Micros((nanos / 1000) as i64)
    }

    /// Parses the exact form [`Display`](fmt::Display) writes.
    pub fn parse(s: &str) -> Option<Micros> {
        let t = PrimitiveDateTime::parse(s, FORMAT).ok()?.assume_utc();
        let micros = t.unix_timestamp_nanos() / 1000;
        // Only canonical text round-trips; anything else is not ours.
        let m = Micros(i64::try_from(micros).ok()?);
        (m.to_string() == s).then_some(m)
    }
}

impl fmt::Display for Micros {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = OffsetDateTime::from_unix_timestamp_nanos(self.0 as i128 * 1000)
            .map_err(|_| fmt::Error)?;
        let s = t.format(FORMAT).map_err(|_| fmt::Error)?;
        f.write_str(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_six_digits_and_parses_back() {
        let m = Micros(1_700_000_000_000_001);
        assert_eq!(m.to_string(), "2023-11-14T22:13:20.000001Z");
        assert_eq!(Micros::parse(&m.to_string()), Some(m));
    }

    #[test]
    fn refuses_other_precisions() {
        assert_eq!(Micros::parse("2023-11-14T22:13:20.000Z"), None);
        assert_eq!(Micros::parse("2023-11-14T22:13:20Z"), None);
    }
}
