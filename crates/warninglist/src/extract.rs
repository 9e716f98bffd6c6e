//! From a pattern to the values it points at: which comparisons count, which
//! property holds which kind of value, and the text surgery that finds a host
//! in a URL, an email address, a certificate subject or a `LIKE` operand.

use pattern::{
    CompareOp, Comparison, ComparisonExpr, ComparisonKind, ObjectPath, ObservationExpr,
    ObservationKind, PathStep, Pattern, Test, Value,
};

use crate::net::Cidr;

/// What a property holds, as far as the lists care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    /// `domain-name:value`.
    Domain,
    /// `ipv4-addr:value`, `ipv6-addr:value`.
    Address,
    /// A reference that may be a domain or an address (`network-traffic:
    /// dst_ref.value`), or a `Host` header.
    Host,
    /// `url:value`, `artifact:url`, an HTTP request's `request_value`.
    Url,
    /// `email-addr:value` and the address references of `email-message`.
    Email,
    /// `x509-certificate:subject` and its subject alternative names: text
    /// with host names inside (`CN=…`, `DNS:…`).
    Certificate,
    /// Anything else.
    Other,
}

/// How the pattern compares the property with the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Form {
    /// `=`, `IN`, or `NOT !=`.
    Equal,
    /// `LIKE`.
    Like,
    /// `ISSUBSET`, `ISSUPERSET`.
    Range,
}

/// The field of an object path.
pub(crate) fn field_of(path: &ObjectPath) -> Field {
    let ty = path.object_type.as_str();
    let prop = path.property.as_str();
    let key = |s: &PathStep, k: &str| matches!(s, PathStep::Key(x) if x == k);
    let index = |s: &PathStep| matches!(s, PathStep::Index(_) | PathStep::AnyIndex);
    match (ty, prop, path.steps.as_slice()) {
        ("domain-name", "value", []) => Field::Domain,
        ("ipv4-addr" | "ipv6-addr", "value", []) => Field::Address,
        ("url", "value", []) | ("artifact", "url", []) => Field::Url,
        ("email-addr", "value", []) => Field::Email,
        ("email-message", "from_ref" | "sender_ref", [v]) if key(v, "value") => Field::Email,
        ("email-message", "to_refs" | "cc_refs" | "bcc_refs", [i, v])
            if index(i) && key(v, "value") =>
        {
            Field::Email
        }
        ("network-traffic", "src_ref" | "dst_ref", [v]) if key(v, "value") => Field::Host,
        ("domain-name", "resolves_to_refs", [i, v]) if index(i) && key(v, "value") => Field::Host,
        ("network-traffic", "extensions", [ext, PathStep::Key(h), PathStep::Key(name)])
            if key(ext, "http-request-ext")
                && h == "request_header"
                && name.eq_ignore_ascii_case("host") =>
        {
            Field::Host
        }
        ("network-traffic", "extensions", [ext, v])
            if key(ext, "http-request-ext") && key(v, "request_value") =>
        {
            Field::Url
        }
        ("x509-certificate", "subject", []) => Field::Certificate,
        ("x509-certificate", "x509_v3_extensions", [v]) if key(v, "subject_alternative_name") => {
            Field::Certificate
        }
        _ => Field::Other,
    }
}

/// Calls `f` with every string the pattern compares a property with by `=`,
/// `IN`, `LIKE`, `ISSUBSET` or `ISSUPERSET`, in the order written.
///
/// Negated tests (`!=`, `NOT IN`, `NOT LIKE`, …) are skipped: they point away
/// from their value. `NOT !=` is equality and counts. `MATCHES` is skipped:
/// this crate does not decide what a regular expression may match.
pub(crate) fn visit<'p>(pattern: &'p Pattern, f: &mut impl FnMut(Field, Form, &'p str)) {
    observation(&pattern.observation, f);
}

fn observation<'p>(o: &'p ObservationExpr, f: &mut impl FnMut(Field, Form, &'p str)) {
    match &o.kind {
        ObservationKind::Simple(c) => comparisons(c, f),
        ObservationKind::And(v) | ObservationKind::Or(v) | ObservationKind::FollowedBy(v) => {
            v.iter().for_each(|o| observation(o, f))
        }
        ObservationKind::Qualified { inner, .. } => observation(inner, f),
    }
}

fn comparisons<'p>(c: &'p ComparisonExpr, f: &mut impl FnMut(Field, Form, &'p str)) {
    match &c.kind {
        ComparisonKind::Test(t) => comparison(t, f),
        ComparisonKind::And(v) | ComparisonKind::Or(v) => v.iter().for_each(|c| comparisons(c, f)),
    }
}

fn comparison<'p>(c: &'p Comparison, f: &mut impl FnMut(Field, Form, &'p str)) {
    let field = field_of(&c.path);
    match (&c.test, c.negated) {
        (
            Test::Compare {
                op: CompareOp::Eq,
                value,
            },
            false,
        )
        | (
            Test::Compare {
                op: CompareOp::Ne,
                value,
            },
            true,
        ) => {
            if let Value::Str(s) = &value.value {
                f(field, Form::Equal, s);
            }
        }
        (Test::In(values), false) => {
            for v in values {
                if let Value::Str(s) = &v.value {
                    f(field, Form::Equal, s);
                }
            }
        }
        (Test::Like(t), false) => f(field, Form::Like, &t.value),
        (Test::IsSubset(t) | Test::IsSuperset(t), false) => f(field, Form::Range, &t.value),
        _ => {}
    }
}

/// The host of a URL, port and user information removed: `EXAMPLE.gov` in
/// `https://user@EXAMPLE.gov:8443/a?b`, `2001:db8::1` in
/// `http://[2001:db8::1]/`. A URL without a scheme (`example.gov/a`) is read
/// from its start. Works on `LIKE` operands too, whose wildcards may stand in
/// the scheme.
pub(crate) fn url_host(url: &str) -> &str {
    let url = url.trim();
    let rest = match url.split_once("://") {
        Some((scheme, rest))
            if !scheme.is_empty()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.%_".contains(&b)) =>
        {
            rest
        }
        _ => url.strip_prefix("//").unwrap_or(url),
    };
    let authority = &rest[..rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len())];
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    strip_port(host)
}

/// `host:port` to `host`, `[v6]:port` and `[v6]` to `v6`; a bare IPv6
/// address is left alone.
pub(crate) fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split_once(']').map_or(rest, |(h, _)| h);
    }
    match host.split_once(':') {
        Some((h, port)) if !port.contains(':') => h,
        _ => host,
    }
}

/// The domain of an email address: after the last `@`.
pub(crate) fn email_domain(address: &str) -> Option<&str> {
    let (_, domain) = address.trim().rsplit_once('@')?;
    Some(domain.trim_end_matches('>'))
}

/// The host names and addresses in a certificate subject
/// (`C=US, O=Example, CN=www.example.gov`, or `/C=US/CN=…`) or subject
/// alternative names (`DNS:www.example.gov, IP Address:192.0.2.1`).
pub(crate) fn certificate_hosts(text: &str) -> impl Iterator<Item = &str> {
    text.split([',', '/']).filter_map(|part| {
        let part = part.trim();
        ["CN=", "DNS:", "IP Address:", "IP:"]
            .iter()
            .find_map(|prefix| {
                part.get(..prefix.len())
                    .filter(|p| p.eq_ignore_ascii_case(prefix))
                    .map(|_| part[prefix.len()..].trim())
            })
    })
}

/// Whether a `LIKE` operand has wildcards (`%`, `_`).
pub(crate) fn is_wild(like: &str) -> bool {
    like.contains(['%', '_'])
}

/// The literal text after the last wildcard of a `LIKE` operand: every value
/// it matches ends with it.
pub(crate) fn like_tail(like: &str) -> &str {
    like.rfind(['%', '_']).map_or(like, |i| &like[i + 1..])
}

/// The literal text before the first wildcard: every value the operand
/// matches starts with it.
pub(crate) fn like_head(like: &str) -> &str {
    &like[..like.find(['%', '_']).unwrap_or(like.len())]
}

/// The smallest IPv4 block holding every address whose dotted text starts
/// with `head`: `8.8.8.` and `8.8.8.8` give `8.8.8.0/24` (the last octet is
/// incomplete), `8.` gives `8.0.0.0/8`, `` and `1` give `0.0.0.0/0`. `None`
/// when no address starts with `head`.
pub(crate) fn like_ipv4_range(head: &str) -> Option<Cidr> {
    let octets: Vec<&str> = head.split('.').collect();
    let (_, complete) = octets.split_last()?;
    if complete.len() > 3 || !head.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let mut start = 0u32;
    for (i, octet) in complete.iter().enumerate() {
        let value: u8 = octet.parse().ok()?;
        if octet.len() > 1 && octet.starts_with('0') {
            return None;
        }
        start |= u32::from(value) << (24 - 8 * i);
    }
    let text = format!("{}/{}", std::net::Ipv4Addr::from(start), 8 * complete.len());
    Cidr::parse(&text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(p: &str) -> Vec<(Field, Form, String)> {
        let parsed = pattern::parse(p).unwrap();
        let mut out = vec![];
        visit(&parsed, &mut |field, form, s| {
            out.push((field, form, s.to_owned()))
        });
        out
    }

    macro_rules! field {
        ($name:ident, $path:expr, $want:expr) => {
            #[test]
            fn $name() {
                let p = format!("[{} = 'x']", $path);
                assert_eq!(values(&p), [($want, Form::Equal, "x".to_owned())], "{p}");
            }
        };
    }

    field!(domain_name, "domain-name:value", Field::Domain);
    field!(ipv4, "ipv4-addr:value", Field::Address);
    field!(ipv6, "ipv6-addr:value", Field::Address);
    field!(url, "url:value", Field::Url);
    field!(artifact_url, "artifact:url", Field::Url);
    field!(email, "email-addr:value", Field::Email);
    field!(email_from, "email-message:from_ref.value", Field::Email);
    field!(email_to, "email-message:to_refs[*].value", Field::Email);
    field!(email_cc, "email-message:cc_refs[0].value", Field::Email);
    field!(dst_ref, "network-traffic:dst_ref.value", Field::Host);
    field!(src_ref, "network-traffic:src_ref.value", Field::Host);
    field!(
        resolves_to,
        "domain-name:resolves_to_refs[*].value",
        Field::Host
    );
    field!(
        host_header,
        "network-traffic:extensions.'http-request-ext'.request_header.Host",
        Field::Host
    );
    field!(
        host_header_lower,
        "network-traffic:extensions.'http-request-ext'.request_header.host",
        Field::Host
    );
    field!(
        request_value,
        "network-traffic:extensions.'http-request-ext'.request_value",
        Field::Url
    );
    field!(cert_subject, "x509-certificate:subject", Field::Certificate);
    field!(
        cert_san,
        "x509-certificate:x509_v3_extensions.subject_alternative_name",
        Field::Certificate
    );
    field!(command_line, "process:command_line", Field::Other);
    field!(file_name, "file:name", Field::Other);
    field!(domain_other_property, "domain-name:x_note", Field::Other);
    field!(
        user_agent,
        "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'",
        Field::Other
    );

    #[test]
    fn forms_and_order() {
        let got = values(
            "([domain-name:value = 'a.example' OR domain-name:value IN ('b.example', 'c.example')] \
             AND [ipv4-addr:value ISSUBSET '198.51.100.0/24']) \
             FOLLOWEDBY [url:value LIKE 'http://%.example/'] WITHIN 5 SECONDS",
        );
        let want = [
            (Field::Domain, Form::Equal, "a.example"),
            (Field::Domain, Form::Equal, "b.example"),
            (Field::Domain, Form::Equal, "c.example"),
            (Field::Address, Form::Range, "198.51.100.0/24"),
            (Field::Url, Form::Like, "http://%.example/"),
        ];
        assert_eq!(got, want.map(|(f, m, s)| (f, m, s.to_owned())));
    }

    #[test]
    fn skipped_tests() {
        let got = values(
            "[domain-name:value != 'a.example' OR domain-name:value NOT = 'b.example' \
             OR domain-name:value NOT IN ('c.example') OR domain-name:value NOT LIKE '%.d.example' \
             OR domain-name:value MATCHES '^e\\\\.example$' OR domain-name:value > 'f' \
             OR EXISTS domain-name:value OR ipv4-addr:value NOT ISSUBSET '10.0.0.0/8' \
             OR domain-name:value NOT != 'g.example' OR file:size = 5]",
        );
        assert_eq!(got, [(Field::Domain, Form::Equal, "g.example".to_owned())]);
    }

    macro_rules! host {
        ($name:ident, $f:ident, $text:expr, $want:expr) => {
            #[test]
            fn $name() {
                assert_eq!($f($text), $want);
            }
        };
    }

    host!(
        url_plain,
        url_host,
        "https://www.example.gov/a?b#c",
        "www.example.gov"
    );
    host!(
        url_port_user,
        url_host,
        "http://u:p@Example.gov:8080/",
        "Example.gov"
    );
    host!(url_v6, url_host, "http://[2001:db8::1]:80/x", "2001:db8::1");
    host!(url_no_scheme, url_host, "example.gov/path", "example.gov");
    host!(
        url_scheme_relative,
        url_host,
        "//example.gov/path",
        "example.gov"
    );
    host!(url_bare_host, url_host, "example.gov", "example.gov");
    host!(
        url_query_with_url,
        url_host,
        "evil.example/r?u=http://google.com/",
        "evil.example"
    );
    host!(
        url_backslash,
        url_host,
        "http://example.gov\\@evil.example/",
        "example.gov"
    );
    host!(
        url_like,
        url_host,
        "http%://%.example.gov/%",
        "%.example.gov"
    );
    host!(url_path_only, url_host, "/index.html", "");
    host!(port_v4, strip_port, "10.0.0.1:443", "10.0.0.1");
    host!(port_bare_v6, strip_port, "2001:db8::1", "2001:db8::1");
    host!(port_bracketed, strip_port, "[::1]", "::1");
    host!(
        email_simple,
        email_domain,
        "a@Example.gov",
        Some("Example.gov")
    );
    host!(
        email_last_at,
        email_domain,
        "\"a@b\"@example.gov",
        Some("example.gov")
    );
    host!(email_none, email_domain, "not-an-address", None);

    #[test]
    fn certificate() {
        let subject: Vec<_> = certificate_hosts("C=US, O=Google LLC, CN=*.google.com").collect();
        assert_eq!(subject, ["*.google.com"]);
        let slashed: Vec<_> = certificate_hosts("/C=US/cn=www.example.gov").collect();
        assert_eq!(slashed, ["www.example.gov"]);
        let san: Vec<_> =
            certificate_hosts("DNS:a.example, DNS: b.example, IP Address:192.0.2.1, email:x@y")
                .collect();
        assert_eq!(san, ["a.example", "b.example", "192.0.2.1"]);
    }

    #[test]
    fn like_parts() {
        assert!(!is_wild("example.gov"));
        assert!(is_wild("%.example.gov"));
        assert!(is_wild("ex_mple.gov"));
        assert_eq!(like_tail("%.example.gov"), ".example.gov");
        assert_eq!(like_tail("a%b_c.gov"), "c.gov");
        assert_eq!(like_tail("evil%"), "");
        assert_eq!(like_head("8.8.%"), "8.8.");
        assert_eq!(like_head("%.8"), "");
    }

    macro_rules! v4_range {
        ($name:ident, $head:expr, $want:expr) => {
            #[test]
            fn $name() {
                assert_eq!(
                    like_ipv4_range($head).map(|c| c.to_string()),
                    $want.map(str::to_owned)
                );
            }
        };
    }

    v4_range!(three_octets, "8.8.8.", Some("8.8.8.0/24"));
    v4_range!(partial_fourth, "8.8.8.8", Some("8.8.8.0/24"));
    v4_range!(one_octet, "10.", Some("10.0.0.0/8"));
    v4_range!(partial_first, "1", Some("0.0.0.0/0"));
    v4_range!(empty, "", Some("0.0.0.0/0"));
    v4_range!(too_many, "1.2.3.4.", None);
    v4_range!(not_numeric, "evil", None);
    v4_range!(octet_too_big, "300.", None);
    v4_range!(leading_zero, "08.", None);
}
