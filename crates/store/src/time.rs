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

    /// Whole seconds since the epoch, 0 before it (cosignature timestamps).
    pub fn unix_seconds(self) -> u64 {
        u64::try_from(self.0 / 1_000_000).unwrap_or(0)
    }

    /// Parses the exact form [`Display`](fmt::Display) writes, and nothing else.
    pub fn parse(s: &str) -> Option<Micros> {
        let t = stix::Timestamp::parse(s).ok()?;
        let micros = i64::try_from(t.unix_nanos() / 1000).ok()?;
        (t.fraction_digits() == 6 && (MIN..=MAX).contains(&micros)).then_some(Micros(micros))
    }

    fn timestamp(self) -> Option<stix::Timestamp> {
        if !(MIN..=MAX).contains(&self.0) {
            return None;
        }
        stix::Timestamp::from_unix_nanos(i128::from(self.0) * 1000, 6)
    }
}

impl fmt::Display for Micros {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.timestamp().ok_or(fmt::Error)?;
        write!(f, "{t}")
    }
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
