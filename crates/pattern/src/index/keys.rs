//! Where the index looks: object paths, and the facts an event has at them.

use std::net::IpAddr;

use serde_json::Value as Json;

use super::event::{Event, Observable};
use crate::ast::{ObjectPath, PathStep, Span};

/// An object path as a lookup key: `type:property.steps`, spans dropped.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct KeyPath {
    pub object_type: String,
    pub property: String,
    pub steps: Vec<PathStep>,
}

impl KeyPath {
    pub fn of(path: &ObjectPath) -> KeyPath {
        KeyPath {
            object_type: path.object_type.clone(),
            property: path.property.clone(),
            steps: path.steps.clone(),
        }
    }

    pub fn to_object_path(&self) -> ObjectPath {
        ObjectPath {
            object_type: self.object_type.clone(),
            property: self.property.clone(),
            steps: self.steps.clone(),
            span: Span::default(),
        }
    }
}

/// A value found at a key.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum FactValue<'e> {
    Str(&'e str),
    Int(i128),
    /// A JSON boolean: equal to 0 or 1 for `IN`, never for `=`.
    Bool(bool),
    Ip(IpAddr),
}

/// The keys an [`Event`] has facts at, in [`Event::facts`] order of
/// [`KNOWN`]. Their number is the first key id the index gives to any
/// other path.
pub(crate) mod known {
    pub const IPV4_VALUE: usize = 0;
    pub const IPV6_VALUE: usize = 1;
    pub const DOMAIN_VALUE: usize = 2;
    pub const URL_VALUE: usize = 3;
    pub const EMAIL_VALUE: usize = 4;
    pub const FILE_MD5: usize = 5;
    pub const FILE_SHA1: usize = 6;
    pub const FILE_SHA256: usize = 7;
    pub const FILE_NAME: usize = 8;
    pub const FILE_SIZE: usize = 9;
    pub const FILE_MIME: usize = 10;
    pub const TRAFFIC_SRC_VALUE: usize = 11;
    pub const TRAFFIC_DST_VALUE: usize = 12;
    pub const TRAFFIC_SRC_PORT: usize = 13;
    pub const TRAFFIC_DST_PORT: usize = 14;
    pub const TRAFFIC_PROTOCOL: usize = 15;
    pub const HTTP_METHOD: usize = 16;
    pub const HTTP_VALUE: usize = 17;
    pub const HTTP_HOST: usize = 18;
    pub const HTTP_USER_AGENT: usize = 19;
    pub const MESSAGE_SUBJECT: usize = 20;
    pub const MESSAGE_FROM: usize = 21;
    pub const MESSAGE_TO: usize = 22;
    pub const CERT_SHA1: usize = 23;
    pub const CERT_SHA256: usize = 24;
    pub const CERT_SUBJECT: usize = 25;
    pub const CERT_ISSUER: usize = 26;
    pub const CERT_SERIAL: usize = 27;
    pub const COUNT: usize = 28;
}

/// The paths of the known keys, in id order, written as a pattern would.
const KNOWN: [&str; known::COUNT] = [
    "ipv4-addr:value",
    "ipv6-addr:value",
    "domain-name:value",
    "url:value",
    "email-addr:value",
    "file:hashes.MD5",
    "file:hashes.'SHA-1'",
    "file:hashes.'SHA-256'",
    "file:name",
    "file:size",
    "file:mime_type",
    "network-traffic:src_ref.value",
    "network-traffic:dst_ref.value",
    "network-traffic:src_port",
    "network-traffic:dst_port",
    "network-traffic:protocols[*]",
    "network-traffic:extensions.'http-request-ext'.request_method",
    "network-traffic:extensions.'http-request-ext'.request_value",
    "network-traffic:extensions.'http-request-ext'.request_header.Host",
    "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'",
    "email-message:subject",
    "email-message:from_ref.value",
    "email-message:to_refs[*].value",
    "x509-certificate:hashes.'SHA-1'",
    "x509-certificate:hashes.'SHA-256'",
    "x509-certificate:subject",
    "x509-certificate:issuer",
    "x509-certificate:serial_number",
];

/// The known keys as paths, in id order.
pub(crate) fn known_paths() -> Vec<KeyPath> {
    KNOWN
        .iter()
        .map(|text| {
            // The table is ours and tested: each entry is a one-comparison pattern's path.
            let pattern = crate::parse(&format!("[EXISTS {text}]"))
                .unwrap_or_else(|e| panic!("known key {text}: {}", e.message(text)));
            match pattern.observation.kind {
                crate::ObservationKind::Simple(crate::ComparisonExpr {
                    kind: crate::ComparisonKind::Test(c),
                    ..
                }) => KeyPath::of(&c.path),
                _ => unreachable!("a one-comparison pattern"),
            }
        })
        .collect()
}

/// The object types an [`Event`] can hold. An atom on one of these types at
/// a path that is not a known key can still be true of an event (the
/// object has more properties than the facts name), so such atoms are
/// evaluated in full rather than looked up.
/// In [`Observable::type_index`] order.
pub(crate) const EVENT_TYPES: [&str; 9] = [
    "ipv4-addr",
    "ipv6-addr",
    "domain-name",
    "url",
    "email-addr",
    "file",
    "network-traffic",
    "email-message",
    "x509-certificate",
];

impl Event<'_> {
    /// Calls `f(key, value, object)` for every fact of the event: each value
    /// [`Event::to_observed`] writes, at the known key a pattern reaches it
    /// by, with the index of the object that holds the value.
    pub(crate) fn facts<'e>(&'e self, mut f: impl FnMut(usize, FactValue<'e>, usize)) {
        use known::*;
        let ip_of = |i: Option<usize>| match i.and_then(|i| self.objects.get(i)) {
            Some(Observable::Ip(ip)) => i.map(|i| (i, *ip)),
            _ => None,
        };
        let addr_of = |i: usize| match self.objects.get(i) {
            Some(Observable::EmailAddr(a)) => Some(a.as_ref()),
            _ => None,
        };
        for (i, object) in self.objects.iter().enumerate() {
            match object {
                Observable::Ip(ip @ IpAddr::V4(_)) => f(IPV4_VALUE, FactValue::Ip(*ip), i),
                Observable::Ip(ip @ IpAddr::V6(_)) => f(IPV6_VALUE, FactValue::Ip(*ip), i),
                Observable::Domain(v) => f(DOMAIN_VALUE, FactValue::Str(v), i),
                Observable::Url(v) => f(URL_VALUE, FactValue::Str(v), i),
                Observable::EmailAddr(v) => f(EMAIL_VALUE, FactValue::Str(v), i),
                Observable::File(file) => {
                    text(&mut f, FILE_MD5, &file.md5, i);
                    text(&mut f, FILE_SHA1, &file.sha1, i);
                    text(&mut f, FILE_SHA256, &file.sha256, i);
                    text(&mut f, FILE_NAME, &file.name, i);
                    text(&mut f, FILE_MIME, &file.mime_type, i);
                    if let Some(size) = file.size {
                        f(FILE_SIZE, FactValue::Int(i128::from(size)), i);
                    }
                }
                Observable::Traffic(t) => {
                    // The fact is the referenced address's value, held by that object.
                    if let Some((at, ip)) = ip_of(t.src) {
                        f(TRAFFIC_SRC_VALUE, FactValue::Ip(ip), at);
                    }
                    if let Some((at, ip)) = ip_of(t.dst) {
                        f(TRAFFIC_DST_VALUE, FactValue::Ip(ip), at);
                    }
                    if let Some(p) = t.src_port {
                        f(TRAFFIC_SRC_PORT, FactValue::Int(i128::from(p)), i);
                    }
                    if let Some(p) = t.dst_port {
                        f(TRAFFIC_DST_PORT, FactValue::Int(i128::from(p)), i);
                    }
                    for p in &t.protocols {
                        f(TRAFFIC_PROTOCOL, FactValue::Str(p), i);
                    }
                    if let Some(h) = &t.http {
                        text(&mut f, HTTP_METHOD, &h.method, i);
                        text(&mut f, HTTP_VALUE, &h.value, i);
                        text(&mut f, HTTP_HOST, &h.host, i);
                        text(&mut f, HTTP_USER_AGENT, &h.user_agent, i);
                    }
                }
                Observable::EmailMessage(m) => {
                    text(&mut f, MESSAGE_SUBJECT, &m.subject, i);
                    if let Some((at, a)) = m.from.and_then(|at| addr_of(at).map(|a| (at, a))) {
                        f(MESSAGE_FROM, FactValue::Str(a), at);
                    }
                    for &at in &m.to {
                        if let Some(a) = addr_of(at) {
                            f(MESSAGE_TO, FactValue::Str(a), at);
                        }
                    }
                }
                Observable::Certificate(c) => {
                    text(&mut f, CERT_SHA1, &c.sha1, i);
                    text(&mut f, CERT_SHA256, &c.sha256, i);
                    text(&mut f, CERT_SUBJECT, &c.subject, i);
                    text(&mut f, CERT_ISSUER, &c.issuer, i);
                    text(&mut f, CERT_SERIAL, &c.serial_number, i);
                }
            }
        }
    }
}

fn text<'e>(
    f: &mut impl FnMut(usize, FactValue<'e>, usize),
    key: usize,
    value: &'e Option<std::borrow::Cow<'e, str>>,
    object: usize,
) {
    if let Some(v) = value {
        f(key, FactValue::Str(v), object);
    }
}

/// A JSON value as a fact, when it is one the index can look up.
pub(crate) fn json_fact(v: &Json) -> Option<FactValue<'_>> {
    match v {
        Json::String(s) => Some(FactValue::Str(s)),
        Json::Bool(b) => Some(FactValue::Bool(*b)),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some(FactValue::Int(i128::from(i)))
            } else if let Some(u) = n.as_u64() {
                Some(FactValue::Int(i128::from(u)))
            } else {
                // An integral float equals the integer (the reference compares
                // numbers by value); a fractional one equals no integer.
                let f = n.as_f64()?;
                let fits = f.fract() == 0.0 && f.abs() < 1.0e36;
                #[allow(clippy::cast_possible_truncation)] // checked just above
                fits.then_some(FactValue::Int(f as i128))
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_keys_parse_in_id_order() {
        let paths = known_paths();
        assert_eq!(paths.len(), known::COUNT);
        assert_eq!(
            paths[known::FILE_SHA256].steps,
            vec![PathStep::Key("SHA-256".into())]
        );
        assert_eq!(
            paths[known::MESSAGE_TO].steps,
            vec![PathStep::AnyIndex, PathStep::Key("value".into())]
        );
        assert_eq!(paths[known::CERT_SERIAL].object_type, "x509-certificate");
    }
}
