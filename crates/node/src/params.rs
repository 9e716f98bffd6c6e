//! TAXII query parameters (`added_after`, `limit`, `next`, `match[...]`)
//! and the stateless paging cursor.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use store::{Micros, Query, VersionFilter};

use crate::error::ApiError;

/// Page size when the client gives no `limit`.
pub const DEFAULT_LIMIT: usize = 100;
/// The most items one page holds, whatever `limit` says.
pub const MAX_LIMIT: usize = 1000;

/// Which filters an endpoint takes (TAXII 2.1 section 3.4.2 and the table of
/// each endpoint); the others are ignored, as unknown parameters are.
#[derive(Debug, Clone, Copy)]
pub struct Allowed {
    /// `match[id]` and `match[type]`.
    pub id_and_type: bool,
    /// `match[version]`.
    pub version: bool,
    /// `added_after`, `limit`, `next`.
    pub paging: bool,
}

impl Allowed {
    /// Objects and manifest.
    pub const LIST: Allowed = Allowed {
        id_and_type: true,
        version: true,
        paging: true,
    };
    /// One object's versions (GET object).
    pub const OBJECT: Allowed = Allowed {
        id_and_type: false,
        version: true,
        paging: true,
    };
    /// The versions endpoint: every version, paged.
    pub const VERSIONS: Allowed = Allowed {
        id_and_type: false,
        version: false,
        paging: true,
    };
    /// DELETE object.
    pub const DELETE: Allowed = Allowed {
        id_and_type: false,
        version: true,
        paging: false,
    };
}

/// Parses a raw query string into a store query.
pub fn parse(raw: Option<&str>, allowed: Allowed) -> Result<Query, ApiError> {
    let mut query = Query::new(DEFAULT_LIMIT);
    let mut added_after: Option<Micros> = None;
    let mut cursor: Option<Micros> = None;
    let mut seen_version = false;
    let mut seen_single = std::collections::HashSet::new();
    for (key, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        let key = key.as_ref();
        let value = value.as_ref();
        let single = matches!(key, "added_after" | "limit" | "next");
        if single && !seen_single.insert(key.to_owned()) {
            return Err(ApiError::bad_request(format!(
                "{key} is given more than once; give it once"
            )));
        }
        match key {
            "added_after" if allowed.paging => added_after = Some(parse_added_after(value)?),
            "limit" if allowed.paging => query.limit = parse_limit(value)?,
            "next" if allowed.paging => cursor = Some(decode_cursor(value)?),
            "match[id]" if allowed.id_and_type => query.ids.extend(list(key, value)?),
            "match[type]" if allowed.id_and_type => query.types.extend(list(key, value)?),
            "match[version]" if allowed.version => {
                if !seen_version {
                    query.versions = VersionFilter {
                        last: false,
                        ..VersionFilter::default()
                    };
                    seen_version = true;
                }
                parse_versions(value, &mut query.versions)?;
            }
            "match[spec_version]" => {
                let versions = list(key, value)?;
                query.spec_version_matches = versions.iter().any(|v| v == "2.1");
            }
            _ => {}
        }
    }
    query.added_after = match (added_after, cursor) {
        (Some(a), Some(c)) => Some(a.max(c)),
        (a, c) => a.or(c),
    };
    Ok(query)
}

fn list(key: &str, value: &str) -> Result<Vec<String>, ApiError> {
    let items: Vec<String> = value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if items.is_empty() {
        return Err(ApiError::bad_request(format!(
            "{key} is empty; give one or more comma-separated values"
        )));
    }
    Ok(items)
}

fn parse_added_after(value: &str) -> Result<Micros, ApiError> {
    let t = stix::Timestamp::parse(value).map_err(|_| {
        ApiError::bad_request(format!(
            "added_after {value:?} is not a timestamp; use the form 2026-01-31T12:00:00.000000Z"
        ))
    })?;
    // date_added has microsecond precision: strictly after T is strictly
    // after T rounded down to the microsecond.
    let micros = t.unix_nanos().div_euclid(1000);
    i64::try_from(micros)
        .map(Micros)
        .map_err(|_| ApiError::bad_request(format!("added_after {value:?} is out of range")))
}

fn parse_limit(value: &str) -> Result<usize, ApiError> {
    match value.parse::<u64>() {
        Ok(n) if n >= 1 => Ok(usize::try_from(n).unwrap_or(MAX_LIMIT).min(MAX_LIMIT)),
        _ => Err(ApiError::bad_request(format!(
            "limit {value:?} is not a positive integer; pages hold 1 to {MAX_LIMIT} items"
        ))),
    }
}

fn parse_versions(value: &str, filter: &mut VersionFilter) -> Result<(), ApiError> {
    for v in list("match[version]", value)? {
        match v.as_str() {
            "first" => filter.first = true,
            "last" => filter.last = true,
            "all" => filter.all = true,
            t if stix::Timestamp::parse(t).is_ok() => filter.exact.push(t.to_owned()),
            other => {
                return Err(ApiError::bad_request(format!(
                    "match[version] value {other:?} is not first, last, all or a timestamp"
                )));
            }
        }
    }
    Ok(())
}

/// The `next` value that continues after an item added at `last`.
pub fn encode_cursor(last: Micros) -> String {
    URL_SAFE_NO_PAD.encode(format!("after:{}", last.0))
}

fn decode_cursor(value: &str) -> Result<Micros, ApiError> {
    let bad = || {
        ApiError::bad_request(format!(
            "next {value:?} is not a cursor this server issued; start again without next"
        ))
    };
    let bytes = URL_SAFE_NO_PAD.decode(value).map_err(|_| bad())?;
    let text = std::str::from_utf8(&bytes).map_err(|_| bad())?;
    let micros = text.strip_prefix("after:").ok_or_else(bad)?;
    micros.parse::<i64>().map(Micros).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(raw: &str) -> Result<Query, u16> {
        parse(Some(raw), Allowed::LIST).map_err(|e| e.status().as_u16())
    }

    #[test]
    fn defaults() {
        let query = q("").unwrap();
        assert_eq!(query.limit, DEFAULT_LIMIT);
        assert_eq!(query.versions, VersionFilter::default());
        assert!(query.spec_version_matches && query.added_after.is_none());
    }

    #[test]
    fn filters() {
        let query = q("match[id]=a,b&match[type]=indicator&match[version]=first,2020-01-01T00:00:00.5Z&limit=5000&match[spec_version]=2.0,2.1").unwrap();
        assert_eq!(query.ids, ["a", "b"]);
        assert_eq!(query.types, ["indicator"]);
        assert!(query.versions.first && !query.versions.last && !query.versions.all);
        assert_eq!(query.versions.exact, ["2020-01-01T00:00:00.5Z"]);
        assert_eq!(query.limit, MAX_LIMIT);
        assert!(!q("match[spec_version]=2.0").unwrap().spec_version_matches);
        assert!(q("match%5Bversion%5D=all").unwrap().versions.all);
    }

    #[test]
    fn added_after_and_cursor_take_the_later() {
        let query = q("added_after=1970-01-01T00:00:00.000010Z").unwrap();
        assert_eq!(query.added_after, Some(Micros(10)));
        let query = q("added_after=1970-01-01T00:00:00.0000105Z").unwrap();
        assert_eq!(query.added_after, Some(Micros(10)));
        let next = encode_cursor(Micros(99));
        let query = q(&format!(
            "added_after=1970-01-01T00:00:00.000010Z&next={next}"
        ))
        .unwrap();
        assert_eq!(query.added_after, Some(Micros(99)));
    }

    #[test]
    fn bad_values_are_400() {
        for raw in [
            "limit=0",
            "limit=-1",
            "limit=ten",
            "limit=1&limit=2",
            "added_after=yesterday",
            "added_after=2020-01-01",
            "next=garbage!",
            "next=YWZ0ZXI6eA",
            "match[version]=newest",
            "match[id]=",
            "match[type]=,",
        ] {
            assert_eq!(q(raw).unwrap_err(), 400, "{raw}");
        }
    }

    #[test]
    fn filters_an_endpoint_does_not_take_are_ignored() {
        let query = parse(Some("match[id]=x&match[version]=first"), Allowed::VERSIONS).unwrap();
        assert!(query.ids.is_empty());
        assert_eq!(query.versions, VersionFilter::default());
    }
}
