//! Apache and nginx access logs, common and combined formats:
//! `%h %l %u %t "%r" %>s %b ["%{Referer}i" "%{User-agent}i"]`.
//!
//! A line gives `Ip`(client) (a `Domain` when `%h` is a host name), and a
//! `Traffic` from it with protocols `tcp`, `http` and the request (method,
//! target, user agent). An absolute request target (a proxy's
//! `GET http://evil.example/x HTTP/1.1`) adds its `Url` and host, a
//! `CONNECT evil.example:443` its host, and an absolute referer its `Url`.
//! The server's own address is not in the format.

use std::borrow::Cow;
use std::net::IpAddr;

use pattern::index::{Event, Micros, Observable, Traffic};

use super::LineError;
use super::build::{Builder, Http, is_absolute_url, sub};
use super::time;

/// The parts of a line.
struct Line<'l> {
    host: &'l str,
    time: &'l str,
    request: Cow<'l, str>,
    referer: Option<Cow<'l, str>>,
    user_agent: Option<Cow<'l, str>>,
}

/// Whether the line has the access-log shape up to its request line.
pub(crate) fn looks_like_access(line: &str) -> bool {
    split(line).is_ok_and(|l| time::access(l.time).is_ok())
}

fn split(line: &str) -> Result<Line<'_>, LineError> {
    let shape = || {
        LineError::new("not an access log line: expected '%h %l %u [%t] \"%r\" %>s %b'".to_owned())
    };
    let (host, rest) = line.split_once(' ').ok_or_else(shape)?;
    // `%l %u` come before the bracket; the user name may hold spaces.
    let open = rest.find('[').ok_or_else(shape)?;
    let close = open + rest[open..].find(']').ok_or_else(shape)?;
    let time = &rest[open + 1..close];
    let rest = rest[close + 1..].strip_prefix(" ").ok_or_else(shape)?;
    let (request, rest) = quoted(rest).ok_or_else(shape)?;
    // Then `%>s %b`, and in the combined format two more quoted fields.
    let mut rest = rest.trim_start();
    let mut quoted_fields = Vec::with_capacity(2);
    while let Some(q) = rest.find('"') {
        let Some((value, after)) = quoted(&rest[q..]) else {
            break;
        };
        quoted_fields.push(value);
        rest = after;
        if quoted_fields.len() == 2 {
            break;
        }
    }
    let mut quoted_fields = quoted_fields
        .into_iter()
        .map(|v| Some(v).filter(|v| v != "-" && !v.is_empty()));
    Ok(Line {
        host,
        time,
        request,
        referer: quoted_fields.next().flatten(),
        user_agent: quoted_fields.next().flatten(),
    })
}

/// A `"…"` field at the start of `s`, unescaped, and what follows it.
fn quoted(s: &str) -> Option<(Cow<'_, str>, &str)> {
    let body = s.strip_prefix('"')?;
    let b = body.as_bytes();
    let mut i = 0;
    let mut escaped = false;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                escaped = true;
                i += 2;
                continue;
            }
            b'"' => break,
            _ => i += 1,
        }
    }
    if i >= b.len() {
        return None;
    }
    let raw = &body[..i];
    let value = if escaped {
        Cow::Owned(unescape(raw))
    } else {
        Cow::Borrowed(raw)
    };
    Some((value, &body[i + 1..]))
}

/// Apache's `\"`, `\\` and `\xHH`, and nginx's `\xHH`.
fn unescape(raw: &str) -> String {
    let b = raw.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            match b.get(i + 1) {
                Some(c @ (b'"' | b'\\')) => {
                    out.push(*c);
                    i += 2;
                    continue;
                }
                Some(b'x') => {
                    let hex = |j: usize| b.get(j).and_then(|c| (*c as char).to_digit(16));
                    if let (Some(h), Some(l)) = (hex(i + 2), hex(i + 3)) {
                        out.push((h * 16 + l) as u8);
                        i += 4;
                        continue;
                    }
                }
                _ => {}
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads one access-log line.
pub(crate) fn read(line: &str) -> Result<Event<'_>, LineError> {
    let l = split(line)?;
    let time: Micros = time::access(l.time)?;
    let mut b = Builder::new();
    let client = match l.host.parse::<IpAddr>() {
        Ok(ip) => Some(b.push(Observable::Ip(ip))),
        Err(_) => {
            if l.host != "-" && !l.host.is_empty() {
                b.push(Observable::Domain(super::build::domain(Cow::Borrowed(
                    l.host,
                ))));
            }
            None
        }
    };
    let traffic = b.push(Observable::Traffic(Traffic {
        src: client,
        protocols: vec!["tcp".into(), "http".into()],
        ..Traffic::default()
    }));
    // `METHOD target HTTP/x`; a request that is not one (`-`, TLS bytes
    // sent to a clear port) leaves the traffic without a request.
    let mut parts = l.request.split(' ').filter(|p| !p.is_empty());
    let method = parts
        .next()
        .filter(|m| m.bytes().all(|c| c.is_ascii_alphabetic()));
    let target = parts.next();
    if let (Some(method), Some(target)) = (method, target) {
        let is_connect = method.eq_ignore_ascii_case("CONNECT");
        let method = sub(&l.request, method);
        let target = sub(&l.request, target);
        if is_connect {
            b.host(&target);
        }
        Http {
            method: Some(method),
            target: Some(target),
            host: None,
            user_agent: l.user_agent,
        }
        .observe(&mut b, None, Some(traffic));
    } else if let Some(Observable::Traffic(t)) = b.objects.get_mut(traffic) {
        t.http = l.user_agent.map(|ua| {
            Box::new(pattern::index::HttpRequest {
                user_agent: Some(ua),
                ..Default::default()
            })
        });
    }
    if let Some(referer) = l.referer.filter(|r| is_absolute_url(r)) {
        b.push_once(Observable::Url(referer));
    }
    Ok(b.finish(time))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pattern::index::HttpRequest;

    fn addr(s: &str) -> Observable<'static> {
        Observable::Ip(s.parse().unwrap())
    }

    fn traffic(src: Option<usize>, http: Option<HttpRequest<'static>>) -> Observable<'static> {
        Observable::Traffic(Traffic {
            src,
            protocols: vec!["tcp".into(), "http".into()],
            http: http.map(Box::new),
            ..Traffic::default()
        })
    }

    fn request(
        method: &'static str,
        value: &'static str,
        ua: Option<&'static str>,
    ) -> Option<HttpRequest<'static>> {
        Some(HttpRequest {
            method: Some(method.into()),
            value: Some(value.into()),
            host: None,
            user_agent: ua.map(Into::into),
        })
    }

    #[test]
    fn common_and_combined() {
        let common = r#"192.0.2.10 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#;
        let event = read(common).unwrap();
        assert_eq!(event.time, 971_211_336_000_000); // 2000-10-10T20:55:36Z
        assert_eq!(
            event.objects,
            vec![
                addr("192.0.2.10"),
                traffic(Some(0), request("GET", "/apache_pb.gif", None))
            ]
        );
        let combined = r#"2001:db8::10 - - [01/May/2024:12:00:00 +0000] "POST /login.php?next=%2F HTTP/1.1" 302 - "https://evil.example/lure" "Mozilla/5.0 (X11; Linux) \"quoted\"""#;
        assert_eq!(
            read(combined).unwrap().objects,
            vec![
                addr("2001:db8::10"),
                traffic(
                    Some(0),
                    request(
                        "POST",
                        "/login.php?next=%2F",
                        Some("Mozilla/5.0 (X11; Linux) \"quoted\"")
                    )
                ),
                Observable::Url("https://evil.example/lure".into()),
            ]
        );
    }

    #[test]
    fn proxy_requests_and_odd_lines() {
        let proxy = r#"192.0.2.10 - - [01/May/2024:12:00:00 +0000] "GET http://evil.example:8080/x HTTP/1.1" 200 10 "-" "curl/8.0""#;
        assert_eq!(
            read(proxy).unwrap().objects[2..],
            [
                Observable::Domain("evil.example".into()),
                Observable::Url("http://evil.example:8080/x".into()),
            ]
        );
        let connect = r#"192.0.2.10 - - [01/May/2024:12:00:00 +0000] "CONNECT 198.51.100.7:443 HTTP/1.1" 200 0 "-" "-""#;
        assert_eq!(read(connect).unwrap().objects[2..], [addr("198.51.100.7")]);
        // A host name for %h, a user name with a space, no request at all.
        let odd = r#"client.example - John Doe [01/May/2024:12:00:00 +0000] "-" 408 0 "-" "-""#;
        assert_eq!(
            read(odd).unwrap().objects,
            vec![
                Observable::Domain("client.example".into()),
                traffic(None, None)
            ]
        );
        // TLS bytes sent to a clear port, escaped by the server.
        let tls = r#"192.0.2.10 - - [01/May/2024:12:00:00 +0000] "\x16\x03\x01\x02\x00\x01" 400 226 "-" "-""#;
        assert_eq!(
            read(tls).unwrap().objects,
            vec![addr("192.0.2.10"), traffic(Some(0), None)]
        );
    }

    #[test]
    fn malformed_lines_say_why() {
        let shape = "not an access log line: expected '%h %l %u [%t] \"%r\" %>s %b'";
        for bad in [
            "192.0.2.10",
            "192.0.2.10 - - 01/May/2024:12:00:00 +0000 \"GET / HTTP/1.1\" 200 1",
            "192.0.2.10 - - [01/May/2024:12:00:00 +0000] GET / HTTP/1.1 200 1",
            "192.0.2.10 - - [01/May/2024:12:00:00 +0000] \"GET / HTTP/1.1 200 1",
        ] {
            assert_eq!(read(bad).unwrap_err().reason, shape, "{bad}");
        }
        let bad_time = r#"192.0.2.10 - - [yesterday] "GET / HTTP/1.1" 200 1"#;
        assert_eq!(
            read(bad_time).unwrap_err().reason,
            "field 'time' is not a [dd/Mon/yyyy:hh:mm:ss +zzzz] time: 'yesterday'"
        );
        assert!(!looks_like_access(bad_time));
        assert!(!looks_like_access("evil.example"));
    }
}
