//! Media types and content negotiation (TAXII 2.1 section 1.6).

use axum::http::HeaderMap;
use axum::http::header::{ACCEPT, CONTENT_TYPE};

use crate::error::ApiError;

/// The TAXII 2.1 media type, on every TAXII response.
pub const TAXII: &str = "application/taxii+json;version=2.1";

/// The STIX 2.1 media type, named in collections and manifests.
pub const STIX: &str = "application/stix+json;version=2.1";

/// One media range of a header, lower-cased, parameters without whitespace.
struct MediaRange<'a> {
    essence: String,
    params: Vec<(String, &'a str)>,
}

fn parse_range(text: &str) -> MediaRange<'_> {
    let mut parts = text.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let params = parts
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().trim_matches('"')))
        .collect();
    MediaRange { essence, params }
}

impl MediaRange<'_> {
    fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| *v)
    }

    /// Whether a response of TAXII 2.1 satisfies this range.
    fn accepts_taxii(&self) -> bool {
        let excluded = self
            .param("q")
            .and_then(|q| q.parse::<f32>().ok())
            .is_some_and(|q| q <= 0.0);
        if excluded {
            return false;
        }
        match self.essence.as_str() {
            "application/taxii+json" => self.param("version").is_none_or(|v| v == "2.1"),
            // Plain JSON clients get the TAXII media type, which is JSON.
            "application/json" | "application/*" | "*/*" => true,
            _ => false,
        }
    }
}

/// Checks `Accept`: it must offer TAXII 2.1 (bare `application/taxii+json`,
/// `application/json` and wildcards count). A request without `Accept`
/// accepts anything (RFC 9110).
pub fn check_accept(headers: &HeaderMap) -> Result<(), ApiError> {
    let values: Vec<&str> = headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if values.is_empty() {
        return Ok(());
    }
    let ok = values
        .iter()
        .flat_map(|v| v.split(','))
        .any(|range| parse_range(range).accepts_taxii());
    if ok {
        Ok(())
    } else {
        Err(ApiError::not_acceptable(format!(
            "Accept {:?} offers no media type this server speaks; send Accept: {TAXII}",
            values.join(", ")
        )))
    }
}

/// Checks the `Content-Type` of a POST: TAXII 2.1 (or bare TAXII), compared
/// case-insensitively, whitespace around `;` ignored.
pub fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return Err(ApiError::unsupported_media_type(format!(
            "the request has no Content-Type; send Content-Type: {TAXII}"
        )));
    };
    let text = value.to_str().unwrap_or("");
    let range = parse_range(text);
    let ok = range.essence == "application/taxii+json"
        && range.param("version").is_none_or(|v| v == "2.1");
    if ok {
        Ok(())
    } else {
        Err(ApiError::unsupported_media_type(format!(
            "Content-Type {text:?} is not accepted here; send a TAXII envelope with Content-Type: {TAXII}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn with(name: axum::http::HeaderName, value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn accept_negotiation() {
        for ok in [
            "application/taxii+json;version=2.1",
            "application/taxii+json; version=2.1",
            "APPLICATION/TAXII+JSON;Version=2.1",
            "application/taxii+json",
            "application/json",
            "*/*",
            "text/html, application/*;q=0.5",
            "application/taxii+json;version=2.0, application/taxii+json;version=2.1",
        ] {
            assert!(check_accept(&with(ACCEPT, ok)).is_ok(), "{ok}");
        }
        for bad in [
            "application/taxii+json;version=2.0",
            "text/html",
            "application/stix+json;version=2.1",
            "application/taxii+json;q=0",
        ] {
            let e = check_accept(&with(ACCEPT, bad)).unwrap_err();
            assert_eq!(e.status(), 406, "{bad}");
        }
        assert!(check_accept(&HeaderMap::new()).is_ok());
    }

    #[test]
    fn content_type_check() {
        for ok in [
            "application/taxii+json;version=2.1",
            "application/taxii+json ; version=2.1",
            "application/taxii+json;version=2.1;charset=utf-8",
            "application/taxii+json",
        ] {
            assert!(check_content_type(&with(CONTENT_TYPE, ok)).is_ok(), "{ok}");
        }
        for bad in [
            "application/json",
            "application/taxii+json;version=2.0",
            "application/stix+json;version=2.1",
            "text/plain",
        ] {
            let e = check_content_type(&with(CONTENT_TYPE, bad)).unwrap_err();
            assert_eq!(e.status(), 415, "{bad}");
        }
        assert_eq!(
            check_content_type(&HeaderMap::new()).unwrap_err().status(),
            415
        );
    }
}
