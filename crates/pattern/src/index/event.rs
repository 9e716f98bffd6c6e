//! One event of telemetry, as the index sees it: a few typed observables.
//!
//! Log readers build [`Event`]s without going through JSON; the index reads
//! their values directly ([`Event::facts`]), and [`Event::to_observed`] gives
//! the STIX 2.1 objects the same event stands for, which is what the full
//! evaluator sees. The two views are defined here, side by side, so that they
//! cannot drift apart: every property `to_observed` writes is a fact, under
//! the object path a pattern would use to reach it.

use std::borrow::Cow;
use std::net::IpAddr;

use serde_json::{Map, Value as Json, json};

use super::keys::EVENT_TYPES;

/// Microseconds since 1970-01-01T00:00:00Z.
pub type Micros = i64;

/// One event: when it happened and what it saw.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Event<'a> {
    /// When it happened.
    pub time: Micros,
    /// The observables; references between them are indexes into this list.
    pub objects: Vec<Observable<'a>>,
}

/// An observable of an [`Event`], one STIX cyber-observable object.
#[derive(Clone, Debug, PartialEq)]
pub enum Observable<'a> {
    /// `ipv4-addr` or `ipv6-addr`.
    Ip(IpAddr),
    /// `domain-name`.
    Domain(Cow<'a, str>),
    /// `url`.
    Url(Cow<'a, str>),
    /// `email-addr`.
    EmailAddr(Cow<'a, str>),
    /// `file` (boxed, as are the other large variants, so that an event's
    /// list of observables stays compact: the index reads it for every event).
    File(Box<File<'a>>),
    /// `network-traffic`.
    Traffic(Traffic<'a>),
    /// `email-message`.
    EmailMessage(EmailMessage<'a>),
    /// `x509-certificate`.
    Certificate(Box<Certificate<'a>>),
}

/// A `file`: its hashes as written by the sensor (hex), name, size and type.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct File<'a> {
    /// `hashes.MD5`.
    pub md5: Option<Cow<'a, str>>,
    /// `hashes.'SHA-1'`.
    pub sha1: Option<Cow<'a, str>>,
    /// `hashes.'SHA-256'`.
    pub sha256: Option<Cow<'a, str>>,
    /// `name`.
    pub name: Option<Cow<'a, str>>,
    /// `size`.
    pub size: Option<u64>,
    /// `mime_type`.
    pub mime_type: Option<Cow<'a, str>>,
}

/// A `network-traffic`, with its HTTP request when there was one.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Traffic<'a> {
    /// `src_ref`: the index of an [`Observable::Ip`] in the event.
    pub src: Option<usize>,
    /// `dst_ref`: the index of an [`Observable::Ip`] in the event.
    pub dst: Option<usize>,
    /// `src_port`.
    pub src_port: Option<u16>,
    /// `dst_port`.
    pub dst_port: Option<u16>,
    /// `protocols`, lower case, outermost first (`tcp`, `http`).
    pub protocols: Vec<Cow<'a, str>>,
    /// `extensions.'http-request-ext'`.
    pub http: Option<Box<HttpRequest<'a>>>,
}

/// The `http-request-ext` of a [`Traffic`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HttpRequest<'a> {
    /// `request_method`.
    pub method: Option<Cow<'a, str>>,
    /// `request_value`: the path and query as sent.
    pub value: Option<Cow<'a, str>>,
    /// `request_header.Host`.
    pub host: Option<Cow<'a, str>>,
    /// `request_header.'User-Agent'`.
    pub user_agent: Option<Cow<'a, str>>,
}

/// An `email-message`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EmailMessage<'a> {
    /// `subject`.
    pub subject: Option<Cow<'a, str>>,
    /// `from_ref`: the index of an [`Observable::EmailAddr`] in the event.
    pub from: Option<usize>,
    /// `to_refs`: indexes of [`Observable::EmailAddr`]s in the event.
    pub to: Vec<usize>,
}

/// An `x509-certificate`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Certificate<'a> {
    /// `hashes.'SHA-1'`.
    pub sha1: Option<Cow<'a, str>>,
    /// `hashes.'SHA-256'`.
    pub sha256: Option<Cow<'a, str>>,
    /// `subject`.
    pub subject: Option<Cow<'a, str>>,
    /// `issuer`.
    pub issuer: Option<Cow<'a, str>>,
    /// `serial_number`.
    pub serial_number: Option<Cow<'a, str>>,
}

impl Observable<'_> {
    /// The STIX type of the object.
    pub fn stix_type(&self) -> &'static str {
        EVENT_TYPES[self.type_index()]
    }

    /// The position of the object's type in [`EVENT_TYPES`].
    pub(crate) fn type_index(&self) -> usize {
        match self {
            Observable::Ip(IpAddr::V4(_)) => 0,
            Observable::Ip(IpAddr::V6(_)) => 1,
            Observable::Domain(_) => 2,
            Observable::Url(_) => 3,
            Observable::EmailAddr(_) => 4,
            Observable::File(_) => 5,
            Observable::Traffic(_) => 6,
            Observable::EmailMessage(_) => 7,
            Observable::Certificate(_) => 8,
        }
    }
}

impl Event<'_> {
    /// The event as STIX 2.1 objects: one `observed-data` (first and last
    /// observed at the event's time, observed once) followed by the objects
    /// it references, with ids `<type>--<n>` local to the event. This is the
    /// input of [`crate::matches`] that has the same verdicts as the index.
    ///
    /// A reference to an index that is not an object of the right type is
    /// left out, as a sensor that lost it would.
    pub fn to_observed(&self) -> Vec<Json> {
        let id = |i: usize| format!("{}--{i}", self.objects[i].stix_type());
        let time = micros_to_rfc3339(self.time);
        let mut out = Vec::with_capacity(self.objects.len() + 1);
        out.push(json!({
            "type": "observed-data",
            "id": "observed-data--0",
            "first_observed": time,
            "last_observed": time,
            "number_observed": 1,
            "object_refs": (0..self.objects.len()).map(id).collect::<Vec<_>>(),
        }));
        let is = |i: &usize, ty: &str| self.objects.get(*i).is_some_and(|o| o.stix_type() == ty);
        let ip_ref = |i: &Option<usize>| {
            i.filter(|i| is(i, "ipv4-addr") || is(i, "ipv6-addr"))
                .map(id)
        };
        for (i, object) in self.objects.iter().enumerate() {
            let mut o = Map::new();
            o.insert("type".into(), object.stix_type().into());
            o.insert("id".into(), id(i).into());
            let mut put = |key: &str, value: Option<Json>| {
                if let Some(v) = value {
                    o.insert(key.into(), v);
                }
            };
            let text = |s: &Option<Cow<'_, str>>| s.as_deref().map(Json::from);
            match object {
                Observable::Ip(ip) => put("value", Some(ip.to_string().into())),
                Observable::Domain(v) | Observable::Url(v) | Observable::EmailAddr(v) => {
                    put("value", Some(v.as_ref().into()))
                }
                Observable::File(f) => {
                    put(
                        "hashes",
                        hashes(&[("MD5", &f.md5), ("SHA-1", &f.sha1), ("SHA-256", &f.sha256)]),
                    );
                    put("name", text(&f.name));
                    put("size", f.size.map(Json::from));
                    put("mime_type", text(&f.mime_type));
                }
                Observable::Traffic(t) => {
                    put("src_ref", ip_ref(&t.src).map(Json::from));
                    put("dst_ref", ip_ref(&t.dst).map(Json::from));
                    put("src_port", t.src_port.map(Json::from));
                    put("dst_port", t.dst_port.map(Json::from));
                    if !t.protocols.is_empty() {
                        put(
                            "protocols",
                            Some(
                                t.protocols
                                    .iter()
                                    .map(|p| p.as_ref())
                                    .collect::<Vec<_>>()
                                    .into(),
                            ),
                        );
                    }
                    if let Some(h) = &t.http {
                        let mut ext = Map::new();
                        if let Some(m) = &h.method {
                            ext.insert("request_method".into(), m.as_ref().into());
                        }
                        if let Some(v) = &h.value {
                            ext.insert("request_value".into(), v.as_ref().into());
                        }
                        let mut headers = Map::new();
                        if let Some(v) = &h.host {
                            headers.insert("Host".into(), v.as_ref().into());
                        }
                        if let Some(v) = &h.user_agent {
                            headers.insert("User-Agent".into(), v.as_ref().into());
                        }
                        if !headers.is_empty() {
                            ext.insert("request_header".into(), headers.into());
                        }
                        put("extensions", Some(json!({ "http-request-ext": ext })));
                    }
                }
                Observable::EmailMessage(m) => {
                    put("is_multipart", Some(false.into()));
                    put("subject", text(&m.subject));
                    put(
                        "from_ref",
                        m.from.filter(|i| is(i, "email-addr")).map(|i| id(i).into()),
                    );
                    let to: Vec<Json> =
                        m.to.iter()
                            .filter(|i| is(i, "email-addr"))
                            .map(|&i| id(i).into())
                            .collect();
                    if !to.is_empty() {
                        put("to_refs", Some(to.into()));
                    }
                }
                Observable::Certificate(c) => {
                    put(
                        "hashes",
                        hashes(&[("SHA-1", &c.sha1), ("SHA-256", &c.sha256)]),
                    );
                    put("subject", text(&c.subject));
                    put("issuer", text(&c.issuer));
                    put("serial_number", text(&c.serial_number));
                }
            }
            out.push(Json::Object(o));
        }
        out
    }
}

fn hashes(pairs: &[(&str, &Option<Cow<'_, str>>)]) -> Option<Json> {
    let map: Map<String, Json> = pairs
        .iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| ((*k).to_owned(), v.into())))
        .collect();
    (!map.is_empty()).then_some(Json::Object(map))
}

/// `2024-05-01T12:00:00.123456Z`: always six fractional digits, so that the
/// text round-trips through any STIX timestamp reader.
pub fn micros_to_rfc3339(t: Micros) -> String {
    let secs = t.div_euclid(1_000_000);
    let micros = t.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = stix::calendar::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_print_in_utc_with_microseconds() {
        assert_eq!(micros_to_rfc3339(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            micros_to_rfc3339(1_714_564_800_123_456),
            "2024-05-01T12:00:00.123456Z"
        );
        assert_eq!(micros_to_rfc3339(-1), "1969-12-31T23:59:59.999999Z");
        assert_eq!(
            micros_to_rfc3339(951_782_400_000_000),
            "2000-02-29T00:00:00.000000Z"
        );
    }

    #[test]
    fn an_event_becomes_observed_data_and_its_objects() {
        let event = Event {
            time: 0,
            objects: vec![
                Observable::Ip("192.0.2.1".parse().unwrap()),
                Observable::Ip("198.51.100.7".parse().unwrap()),
                Observable::Traffic(Traffic {
                    src: Some(0),
                    dst: Some(1),
                    dst_port: Some(53),
                    protocols: vec!["udp".into(), "dns".into()],
                    ..Traffic::default()
                }),
                Observable::Domain("ballots.example".into()),
            ],
        };
        let observed = event.to_observed();
        assert_eq!(observed.len(), 5);
        assert_eq!(observed[0]["object_refs"][3], "domain-name--3");
        assert_eq!(observed[3]["src_ref"], "ipv4-addr--0");
        assert_eq!(observed[3]["protocols"][1], "dns");
        let p = crate::parse(
            "[network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 53]",
        )
        .unwrap();
        assert_eq!(crate::matches(&p, &observed), Ok(true));
    }
}

#[cfg(test)]
mod size {
    /// The index reads an event's observables for every event: the large
    /// variants stay boxed so that the list stays a few cache lines.
    #[test]
    fn observables_stay_small() {
        assert!(
            std::mem::size_of::<super::Observable<'_>>() <= 80,
            "Observable grew to {} bytes",
            std::mem::size_of::<super::Observable<'_>>()
        );
    }
}
