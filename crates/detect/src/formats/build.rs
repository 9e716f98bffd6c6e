//! What the readers share: building an event's observables, and the small
//! text normalisations the STIX model asks for.

use std::borrow::Cow;
use std::net::IpAddr;

use super::LineError;
use pattern::index::{EmailMessage, Event, HttpRequest, Micros, Observable, Traffic};

/// An event under construction.
pub(crate) struct Builder<'l> {
    pub objects: Vec<Observable<'l>>,
}

/// The connection part of a log line: addresses, ports and protocols.
#[derive(Default)]
pub(crate) struct Flow<'l> {
    pub src: Option<IpAddr>,
    pub dst: Option<IpAddr>,
    pub src_port: Option<u16>,
    pub dst_port: Option<u16>,
    pub protocols: Vec<Cow<'l, str>>,
    pub http: Option<HttpRequest<'l>>,
}

impl<'l> Builder<'l> {
    pub fn new() -> Builder<'l> {
        Builder {
            objects: Vec::with_capacity(6),
        }
    }

    pub fn push(&mut self, o: Observable<'l>) -> usize {
        self.objects.push(o);
        self.objects.len() - 1
    }

    /// Pushes `o` unless an equal observable is already there; its index.
    pub fn push_once(&mut self, o: Observable<'l>) -> usize {
        match self.objects.iter().position(|x| *x == o) {
            Some(i) => i,
            None => self.push(o),
        }
    }

    /// The two addresses and the `network-traffic` between them, when the
    /// line has either address; the traffic's index.
    pub fn flow(&mut self, flow: Flow<'l>) -> Option<usize> {
        if flow.src.is_none() && flow.dst.is_none() {
            return None;
        }
        let src = flow.src.map(|ip| self.push(Observable::Ip(ip)));
        let dst = flow.dst.map(|ip| self.push(Observable::Ip(ip)));
        Some(self.push(Observable::Traffic(Traffic {
            src,
            dst,
            src_port: flow.src_port,
            dst_port: flow.dst_port,
            protocols: flow.protocols,
            http: flow.http.map(Box::new),
        })))
    }

    /// A host name as sent (`evil.example:8080`, `[2001:db8::1]:80`): an
    /// `Ip` for an address literal, else a `Domain`, without the port.
    #[allow(clippy::ptr_arg)] // The Cow says whether the name can stay borrowed.
    pub fn host(&mut self, host: &Cow<'l, str>) {
        let bare = strip_port(host);
        if bare.is_empty() {
            return;
        }
        let o = match parse_ip(bare) {
            Some(ip) => Observable::Ip(ip),
            None => Observable::Domain(domain(sub(host, bare))),
        };
        self.push_once(o);
    }

    /// An `email-addr` from an SMTP envelope address (`<alice@example.org>`);
    /// None for the null sender `<>`.
    #[allow(clippy::ptr_arg)] // The Cow says whether the address can stay borrowed.
    pub fn email_addr(&mut self, raw: &Cow<'l, str>) -> Option<usize> {
        let bare = raw
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim();
        if bare.is_empty() {
            return None;
        }
        Some(self.push_once(Observable::EmailAddr(sub(raw, bare))))
    }

    /// The addresses and the `email-message` of an SMTP transaction.
    pub fn email<'a>(
        &mut self,
        from: Option<&Cow<'l, str>>,
        to: impl IntoIterator<Item = &'a Cow<'l, str>>,
        subject: Option<Cow<'l, str>>,
    ) where
        'l: 'a,
    {
        let from = from.and_then(|f| self.email_addr(f));
        let to: Vec<usize> = to.into_iter().filter_map(|t| self.email_addr(t)).collect();
        if from.is_some() || !to.is_empty() || subject.is_some() {
            self.push(Observable::EmailMessage(EmailMessage { subject, from, to }));
        }
    }

    pub fn finish(self, time: Micros) -> Event<'l> {
        Event {
            time,
            objects: self.objects,
        }
    }
}

/// An address literal, without trying a name that cannot be one: a failed
/// parse costs more than this test.
pub(crate) fn parse_ip(s: &str) -> Option<IpAddr> {
    let maybe = s
        .bytes()
        .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':');
    maybe.then(|| s.parse().ok()).flatten()
}

/// `s` as a part of `whole`: borrowed from the line when `whole` is.
#[allow(clippy::ptr_arg)] // The Cow says whether the part can stay borrowed.
pub(crate) fn sub<'l>(whole: &Cow<'l, str>, part: &str) -> Cow<'l, str> {
    match whole {
        Cow::Borrowed(w) => {
            // `part` is a slice of `w`: its offset reborrows it for 'l.
            let start = (part.as_ptr() as usize).checked_sub(w.as_ptr() as usize);
            match start.and_then(|s| w.get(s..s + part.len())) {
                Some(p) => Cow::Borrowed(p),
                None => Cow::Owned(part.to_owned()),
            }
        }
        Cow::Owned(_) => Cow::Owned(part.to_owned()),
    }
}

/// A host without its port: `[2001:db8::1]:80` is `2001:db8::1`,
/// `evil.example:8080` is `evil.example`, a bare IPv6 address stays whole.
pub(crate) fn strip_port(host: &str) -> &str {
    let host = host.trim();
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.split_once(':') {
        Some((name, port)) if !port.contains(':') => name,
        _ => host,
    }
}

/// A domain name in lower case: names are case-insensitive, and resolvers
/// that randomise case (DNS 0x20) would otherwise hide a match.
pub(crate) fn domain(name: Cow<'_, str>) -> Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        name
    }
}

/// A protocol name in lower case (`TCP` is `tcp`), without allocating for the
/// names sensors use most.
pub(crate) fn protocol(name: Cow<'_, str>) -> Cow<'_, str> {
    if !name.bytes().any(|b| b.is_ascii_uppercase()) {
        return name;
    }
    match name.as_ref() {
        "TCP" => Cow::Borrowed("tcp"),
        "UDP" => Cow::Borrowed("udp"),
        "ICMP" => Cow::Borrowed("icmp"),
        "IPv6-ICMP" => Cow::Borrowed("ipv6-icmp"),
        "SCTP" => Cow::Borrowed("sctp"),
        other => Cow::Owned(other.to_ascii_lowercase()),
    }
}

/// Whether `s` starts with `scheme://`.
pub(crate) fn is_absolute_url(s: &str) -> bool {
    match s.find("://") {
        Some(n) if n > 0 => {
            let scheme = &s[..n];
            scheme.as_bytes()[0].is_ascii_alphabetic()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        }
        _ => false,
    }
}

/// The host of an absolute URL (`http://user@evil.example:8080/x` is
/// `evil.example:8080`).
pub(crate) fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    authority.rsplit('@').next().unwrap_or(authority)
}

/// The URL of an HTTP request: the target as sent when it is absolute (a
/// proxy request), else `http://` + host + target. None when the target is
/// not a path (`CONNECT host:443`, `OPTIONS *`) or there is no host.
pub(crate) fn http_url<'l>(host: Option<&str>, target: &Cow<'l, str>) -> Option<Cow<'l, str>> {
    if is_absolute_url(target) {
        return Some(target.clone());
    }
    let host = host.map(str::trim).filter(|h| !h.is_empty())?;
    if !target.starts_with('/') {
        return None;
    }
    // Not format!: its machinery costs more than the copy, on every line.
    let mut url = String::with_capacity(7 + host.len() + target.len());
    url.push_str("http://");
    url.push_str(host);
    url.push_str(target);
    Some(Cow::Owned(url))
}

/// An HTTP request: the `http-request-ext` of its traffic, and its host (or
/// the absolute target's host) and URL as observables.
pub(crate) struct Http<'l> {
    pub method: Option<Cow<'l, str>>,
    pub target: Option<Cow<'l, str>>,
    pub host: Option<Cow<'l, str>>,
    pub user_agent: Option<Cow<'l, str>>,
}

impl<'l> Http<'l> {
    /// Pushes the host and the URL (`url_host` is the host to build the URL
    /// with, the Host header unless the sensor says better), and hangs the
    /// request on the traffic at index `traffic`.
    pub fn observe(self, b: &mut Builder<'l>, url_host: Option<&str>, traffic: Option<usize>) {
        match (&self.host, &self.target) {
            (Some(h), _) => b.host(h),
            (None, Some(t)) if is_absolute_url(t) => {
                let host = sub(t, self::url_host(t));
                b.host(&host);
            }
            _ => {}
        }
        if let Some(t) = &self.target {
            // The Host header does not carry the scheme; http is the scheme
            // of every request a sensor can read in clear.
            if let Some(url) = http_url(url_host.or(self.host.as_deref()), t) {
                b.push_once(Observable::Url(url));
            }
        }
        let request = HttpRequest {
            method: self.method,
            value: self.target,
            host: self.host,
            user_agent: self.user_agent,
        };
        if let Some(Observable::Traffic(t)) = traffic.and_then(|i| b.objects.get_mut(i)) {
            t.http = Some(Box::new(request));
        }
    }
}

/// A JSON string borrowed from the line when it has no escapes. (serde
/// borrows a bare `Cow<str>` field, but not one inside `Option` or `Vec`.)
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Str<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for Str<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Str<'a>, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v))
            }
        }
        d.deserialize_str(V).map(Str)
    }
}

/// An address field; an error names the field when it is not an address.
pub(crate) fn ip(name: &str, value: Option<Str<'_>>) -> Result<Option<IpAddr>, LineError> {
    value
        .map(|v| {
            v.0.trim_ascii()
                .parse::<IpAddr>()
                .map_err(|_| LineError::field(name, "is not an IP address", &v.0))
        })
        .transpose()
}

/// The text of an optional JSON string.
pub(crate) fn text(s: Option<Str<'_>>) -> Option<Cow<'_, str>> {
    s.map(|s| s.0).filter(|s| !s.is_empty())
}

/// A hash as written, or in lower case without colons for a fingerprint
/// (`AA:BB:…`).
pub(crate) fn fingerprint(fp: Cow<'_, str>) -> Option<Cow<'_, str>> {
    let fp = match fp {
        f if f.contains(':') || f.bytes().any(|b| b.is_ascii_uppercase()) => Cow::Owned(
            f.chars()
                .filter(|c| *c != ':')
                .map(|c| c.to_ascii_lowercase())
                .collect(),
        ),
        f => f,
    };
    (!fp.is_empty()).then_some(fp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_stripped_from_hosts() {
        for (host, want) in [
            ("evil.example", "evil.example"),
            ("evil.example:8080", "evil.example"),
            ("198.51.100.7:80", "198.51.100.7"),
            ("[2001:db8::1]:80", "2001:db8::1"),
            ("[2001:db8::1]", "2001:db8::1"),
            ("2001:db8::1", "2001:db8::1"),
        ] {
            assert_eq!(strip_port(host), want);
        }
    }

    #[test]
    fn urls_of_requests() {
        let t = |s: &'static str| Cow::Borrowed(s);
        assert_eq!(
            http_url(Some("evil.example"), &t("/x?a=1")).as_deref(),
            Some("http://evil.example/x?a=1")
        );
        assert_eq!(
            http_url(Some("proxy"), &t("http://evil.example/x")).as_deref(),
            Some("http://evil.example/x")
        );
        assert_eq!(http_url(Some("evil.example"), &t("evil.example:443")), None);
        assert_eq!(http_url(Some("evil.example"), &t("*")), None);
        assert_eq!(http_url(None, &t("/x")), None);
        assert!(is_absolute_url("hxxp+s.1://x"));
        assert!(!is_absolute_url("://x"));
        assert!(!is_absolute_url("/a?u=http://x"));
        assert_eq!(
            url_host("https://u:p@evil.example:8443/a"),
            "evil.example:8443"
        );
        assert_eq!(url_host("http://evil.example?q"), "evil.example");
    }

    #[test]
    fn substrings_stay_borrowed() {
        let whole: Cow<'_, str> = Cow::Borrowed("<a@b.example>");
        assert!(matches!(
            sub(&whole, &whole[1..12]),
            Cow::Borrowed("a@b.example")
        ));
        let owned: Cow<'_, str> = Cow::Owned("<a@b.example>".into());
        assert_eq!(sub(&owned, &owned[1..12]), "a@b.example");
    }

    #[test]
    fn names_are_lowered() {
        assert!(matches!(protocol("TCP".into()), Cow::Borrowed("tcp")));
        assert_eq!(protocol("HTTP2".into()), "http2");
        assert!(matches!(
            domain(Cow::Borrowed("evil.example")),
            Cow::Borrowed(_)
        ));
        assert_eq!(domain("EvIl.Example".into()), "evil.example");
        assert_eq!(fingerprint("AA:bb:0c".into()).as_deref(), Some("aabb0c"));
        assert_eq!(fingerprint("".into()), None);
    }
}
