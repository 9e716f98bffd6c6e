//! Suricata EVE JSON: event types dns, http, tls, flow, fileinfo and smtp
//! (others, such as alert, stats and anomaly, carry no event).
//!
//! Every event gives `Ip`(src_ip), `Ip`(dest_ip) and the `Traffic` between
//! them, with protocols `proto` (lower case) and the application protocol
//! (`app_proto` unless `failed`, else the event type's protocol). Then:
//!
//! | event_type | observables |
//! | ---------- | ----------- |
//! | dns      | `Domain`(rrname; v3: each `queries[].rrname`), an `Ip` for each address in `rdata`, `answers[].rdata` or `grouped.A`/`AAAA` |
//! | http     | `Traffic.http` (method, url, hostname, user agent), `Domain` or `Ip`(hostname), `Url`(`http://` hostname[:port] url) |
//! | tls      | `Domain`(sni), `Certificate`(SHA-1 `fingerprint`, subject, issuerdn, serial) |
//! | fileinfo | `File`(name without its path, hashes, size), and the http part when the event has one |
//! | smtp     | `EmailAddr`(mail_from, each rcpt_to), `EmailMessage`(email.subject, from, to) |

use std::borrow::Cow;

use pattern::index::{Certificate, Event, File, Observable};
use serde::Deserialize;

use super::LineError;
use super::build::{
    Builder, Flow, Http, Str, domain, fingerprint, ip, parse_ip, protocol, sub, text,
};
use super::time;

const READ: [&str; 6] = ["dns", "http", "tls", "flow", "fileinfo", "smtp"];

#[derive(Deserialize)]
struct Eve<'l> {
    #[serde(borrow)]
    timestamp: Option<Str<'l>>,
    #[serde(borrow)]
    event_type: Option<Str<'l>>,
    #[serde(borrow)]
    src_ip: Option<Str<'l>>,
    src_port: Option<u16>,
    #[serde(borrow)]
    dest_ip: Option<Str<'l>>,
    dest_port: Option<u16>,
    #[serde(borrow)]
    proto: Option<Str<'l>>,
    #[serde(borrow)]
    app_proto: Option<Str<'l>>,
    #[serde(borrow)]
    dns: Option<Dns<'l>>,
    #[serde(borrow)]
    http: Option<HttpTx<'l>>,
    #[serde(borrow)]
    tls: Option<Tls<'l>>,
    #[serde(borrow)]
    fileinfo: Option<FileInfo<'l>>,
    #[serde(borrow)]
    smtp: Option<Smtp<'l>>,
    #[serde(borrow)]
    email: Option<Email<'l>>,
}

#[derive(Deserialize)]
struct Dns<'l> {
    #[serde(borrow)]
    rrname: Option<Str<'l>>,
    /// EVE v1 answer records carry their data at the top.
    #[serde(borrow)]
    rdata: Option<Str<'l>>,
    /// EVE v3.
    #[serde(borrow)]
    queries: Option<Vec<Rr<'l>>>,
    /// EVE v2 and v3, detailed format.
    #[serde(borrow)]
    answers: Option<Vec<Rr<'l>>>,
    /// EVE v2 and v3, grouped format.
    #[serde(borrow)]
    grouped: Option<Grouped<'l>>,
}

#[derive(Deserialize)]
struct Rr<'l> {
    #[serde(borrow)]
    rrname: Option<Str<'l>>,
    #[serde(borrow)]
    rdata: Option<Str<'l>>,
}

#[derive(Deserialize)]
struct Grouped<'l> {
    #[serde(rename = "A", borrow)]
    a: Option<Vec<Str<'l>>>,
    #[serde(rename = "AAAA", borrow)]
    aaaa: Option<Vec<Str<'l>>>,
}

#[derive(Deserialize)]
struct HttpTx<'l> {
    #[serde(borrow)]
    hostname: Option<Str<'l>>,
    http_port: Option<u16>,
    #[serde(borrow)]
    url: Option<Str<'l>>,
    #[serde(borrow)]
    http_method: Option<Str<'l>>,
    #[serde(borrow)]
    http_user_agent: Option<Str<'l>>,
}

#[derive(Deserialize)]
struct Tls<'l> {
    #[serde(borrow)]
    sni: Option<Str<'l>>,
    #[serde(borrow)]
    fingerprint: Option<Str<'l>>,
    #[serde(borrow)]
    subject: Option<Str<'l>>,
    #[serde(borrow)]
    issuerdn: Option<Str<'l>>,
    #[serde(borrow)]
    serial: Option<Str<'l>>,
}

#[derive(Deserialize)]
struct FileInfo<'l> {
    #[serde(borrow)]
    filename: Option<Str<'l>>,
    #[serde(borrow)]
    md5: Option<Str<'l>>,
    #[serde(borrow)]
    sha1: Option<Str<'l>>,
    #[serde(borrow)]
    sha256: Option<Str<'l>>,
    size: Option<u64>,
}

#[derive(Deserialize)]
struct Smtp<'l> {
    #[serde(borrow)]
    mail_from: Option<Str<'l>>,
    #[serde(borrow)]
    rcpt_to: Option<Vec<Str<'l>>>,
}

#[derive(Deserialize)]
struct Email<'l> {
    #[serde(borrow)]
    subject: Option<Str<'l>>,
}

/// The `event_type` as Suricata writes it (`"event_type":"stats"`, early in
/// the line), so that the many lines not read skip the full parse.
fn quick_event_type(line: &str) -> Option<&str> {
    const KEY: &str = "\"event_type\":\"";
    // A byte scan: Suricata writes the key within the first hundred bytes,
    // and a substring searcher costs more to set up than that scan.
    let b = line.as_bytes();
    let start = (0..b.len()).find(|&i| b[i] == b'"' && b[i..].starts_with(KEY.as_bytes()))?;
    let value = &line[start + KEY.len()..];
    value.split_once('"').map(|(t, _)| t)
}

/// Reads one EVE line.
pub(crate) fn read(line: &str) -> Result<Option<Event<'_>>, LineError> {
    if quick_event_type(line).is_some_and(|t| !READ.contains(&t)) {
        return Ok(None);
    }
    let eve: Eve<'_> =
        serde_json::from_str(line).map_err(|e| LineError::new(format!("not EVE JSON: {e}")))?;
    let event_type = eve
        .event_type
        .ok_or_else(|| LineError::missing("event_type"))?
        .0;
    let kind = match READ.iter().find(|t| **t == event_type) {
        Some(k) => *k,
        None => return Ok(None),
    };
    let timestamp = eve
        .timestamp
        .ok_or_else(|| LineError::missing("timestamp"))?;
    let time = time::rfc3339("timestamp", &timestamp.0)?;

    let mut protocols: Vec<Cow<'_, str>> = Vec::with_capacity(2);
    protocols.extend(text(eve.proto).map(protocol));
    let app = text(eve.app_proto)
        .filter(|a| a != "failed")
        .map(protocol)
        .or_else(|| match kind {
            "flow" => None,
            "fileinfo" if eve.http.is_some() => Some("http".into()),
            "fileinfo" if eve.smtp.is_some() => Some("smtp".into()),
            "fileinfo" => None,
            other => Some(other.into()),
        });
    if let Some(app) = app.filter(|a| !protocols.contains(a)) {
        protocols.push(app);
    }
    let mut b = Builder::new();
    let traffic = b.flow(Flow {
        src: ip("src_ip", eve.src_ip)?,
        dst: ip("dest_ip", eve.dest_ip)?,
        src_port: eve.src_port,
        dst_port: eve.dest_port,
        protocols,
        http: None,
    });

    match kind {
        "dns" => {
            if let Some(dns) = eve.dns {
                dns_observables(&mut b, dns);
            }
        }
        "tls" => {
            if let Some(tls) = eve.tls {
                if let Some(sni) = text(tls.sni) {
                    b.push(Observable::Domain(domain(sni)));
                }
                let cert = Certificate {
                    sha1: text(tls.fingerprint).and_then(fingerprint),
                    sha256: None,
                    subject: text(tls.subject),
                    issuer: text(tls.issuerdn),
                    serial_number: text(tls.serial),
                };
                if cert != Certificate::default() {
                    b.push(Observable::Certificate(Box::new(cert)));
                }
            }
        }
        "fileinfo" => {
            if let Some(http) = eve.http {
                http_observables(&mut b, http, traffic);
            }
            if let Some(f) = eve.fileinfo {
                let name = text(f.filename).map(|n| {
                    // For HTTP the "filename" is the URL path: the name is its last part.
                    let base = n.rsplit('/').next().unwrap_or(&n);
                    sub(&n, base)
                });
                b.push(Observable::File(Box::new(File {
                    md5: text(f.md5),
                    sha1: text(f.sha1),
                    sha256: text(f.sha256),
                    name: name.filter(|n| !n.is_empty()),
                    size: f.size,
                    mime_type: None,
                })));
            }
        }
        "http" => {
            if let Some(http) = eve.http {
                http_observables(&mut b, http, traffic);
            }
        }
        "smtp" => {
            let smtp = eve.smtp;
            let from = smtp
                .as_ref()
                .and_then(|s| s.mail_from.as_ref())
                .map(|s| &s.0);
            let to = smtp
                .as_ref()
                .and_then(|s| s.rcpt_to.as_ref())
                .into_iter()
                .flatten()
                .map(|s| &s.0);
            let subject = eve.email.and_then(|e| text(e.subject));
            b.email(from, to, subject);
        }
        _ => {} // flow: the traffic alone.
    }
    Ok(Some(b.finish(time)))
}

fn dns_observables<'l>(b: &mut Builder<'l>, dns: Dns<'l>) {
    let names = dns
        .rrname
        .into_iter()
        .chain(dns.queries.into_iter().flatten().filter_map(|q| q.rrname));
    for name in names {
        if let Some(name) = text(Some(name)) {
            b.push_once(Observable::Domain(domain(name)));
        }
    }
    let grouped = dns.grouped.map(|g| (g.a, g.aaaa)).unwrap_or_default();
    let data = dns
        .rdata
        .into_iter()
        .chain(dns.answers.into_iter().flatten().filter_map(|a| a.rdata))
        .chain(grouped.0.into_iter().flatten())
        .chain(grouped.1.into_iter().flatten());
    for rdata in data {
        // Only addresses: CNAME, TXT, MX data are other things.
        if let Some(ip) = parse_ip(&rdata.0) {
            b.push_once(Observable::Ip(ip));
        }
    }
}

fn http_observables<'l>(b: &mut Builder<'l>, http: HttpTx<'l>, traffic: Option<usize>) {
    let host = text(http.hostname);
    // EVE gives the port apart; a URL on another port than 80 must say it.
    let with_port = match (&host, http.http_port) {
        (Some(h), Some(p)) if p != 80 => Some(format!("{h}:{p}")),
        _ => None,
    };
    Http {
        method: text(http.http_method),
        target: text(http.url),
        host,
        user_agent: text(http.http_user_agent),
    }
    .observe(b, with_port.as_deref(), traffic);
}

#[cfg(test)]
mod tests {
    use super::*;
    use pattern::index::{EmailMessage, HttpRequest, Micros, Traffic};

    const NOON: Micros = 1_714_564_800_000_000;
    const HEAD: &str = r#""timestamp":"2024-05-01T12:00:00.123456+0000","flow_id":1,"in_iface":"eth0","src_ip":"192.0.2.10","src_port":49852,"dest_ip":"198.51.100.7","dest_port":443"#;

    fn line(event_type: &str, proto: &str, rest: &str) -> String {
        format!(r#"{{{HEAD},"event_type":"{event_type}","proto":"{proto}"{rest}}}"#)
    }

    fn objects(line: &str) -> Vec<Observable<'_>> {
        let event = read(line).unwrap().expect("an event");
        assert_eq!(event.time, NOON + 123_456);
        event.objects
    }

    fn addr(s: &str) -> Observable<'static> {
        Observable::Ip(s.parse().unwrap())
    }

    fn traffic(protocols: &[&'static str]) -> Observable<'static> {
        Observable::Traffic(Traffic {
            src: Some(0),
            dst: Some(1),
            src_port: Some(49852),
            dst_port: Some(443),
            protocols: protocols.iter().map(|p| Cow::Borrowed(*p)).collect(),
            http: None,
        })
    }

    #[test]
    fn flow() {
        let l = line(
            "flow",
            "TCP",
            r#","app_proto":"tls","flow":{"pkts_toserver":5}"#,
        );
        assert_eq!(
            objects(&l),
            vec![
                addr("192.0.2.10"),
                addr("198.51.100.7"),
                traffic(&["tcp", "tls"])
            ]
        );
        let l = line("flow", "IPv6-ICMP", r#","app_proto":"failed""#);
        assert_eq!(objects(&l)[2], traffic(&["ipv6-icmp"]));
    }

    #[test]
    fn dns_of_each_eve_version() {
        let v1_query = line(
            "dns",
            "UDP",
            r#","dns":{"type":"query","id":1,"rrname":"Evil.Example","rrtype":"A","tx_id":0}"#,
        );
        assert_eq!(
            objects(&v1_query)[2..],
            [
                traffic(&["udp", "dns"]),
                Observable::Domain("evil.example".into())
            ]
        );
        let v1_answer = line(
            "dns",
            "UDP",
            r#","dns":{"type":"answer","id":1,"rrname":"evil.example","rrtype":"A","ttl":60,"rdata":"198.51.100.9"}"#,
        );
        assert_eq!(
            objects(&v1_answer)[3..],
            [
                Observable::Domain("evil.example".into()),
                addr("198.51.100.9")
            ]
        );
        let v2 = line(
            "dns",
            "UDP",
            r#","dns":{"version":2,"type":"answer","rrname":"evil.example","rrtype":"A","answers":[{"rrname":"evil.example","rrtype":"CNAME","rdata":"cdn.example"},{"rrname":"cdn.example","rrtype":"A","rdata":"198.51.100.9"}],"grouped":{"A":["198.51.100.9","198.51.100.10"],"AAAA":["2001:db8::9"]}}"#,
        );
        assert_eq!(
            objects(&v2)[3..],
            [
                Observable::Domain("evil.example".into()),
                addr("198.51.100.9"),
                addr("198.51.100.10"),
                addr("2001:db8::9"),
            ]
        );
        let v3 = line(
            "dns",
            "UDP",
            r#","dns":{"version":3,"type":"response","queries":[{"rrname":"evil.example","rrtype":"AAAA"}],"answers":[{"rrname":"evil.example","rrtype":"AAAA","rdata":"2001:db8::9"}]}"#,
        );
        assert_eq!(
            objects(&v3)[3..],
            [
                Observable::Domain("evil.example".into()),
                addr("2001:db8::9")
            ]
        );
    }

    #[test]
    fn http() {
        let l = line(
            "http",
            "TCP",
            r#","tx_id":0,"http":{"hostname":"evil.example","http_port":8080,"url":"/dl?f=\"a\"","http_user_agent":"curl/8.0","http_method":"GET","protocol":"HTTP/1.1","status":200}"#,
        );
        let found = objects(&l);
        assert_eq!(
            found[2],
            Observable::Traffic(Traffic {
                src: Some(0),
                dst: Some(1),
                src_port: Some(49852),
                dst_port: Some(443),
                protocols: vec!["tcp".into(), "http".into()],
                http: Some(Box::new(HttpRequest {
                    method: Some("GET".into()),
                    value: Some("/dl?f=\"a\"".into()),
                    host: Some("evil.example".into()),
                    user_agent: Some("curl/8.0".into()),
                })),
            })
        );
        assert_eq!(
            found[3..],
            [
                Observable::Domain("evil.example".into()),
                Observable::Url("http://evil.example:8080/dl?f=\"a\"".into()),
            ]
        );
        // Port 80 is not written; the hostname is borrowed from the line.
        let l = line(
            "http",
            "TCP",
            r#","http":{"hostname":"evil.example","http_port":80,"url":"/"}"#,
        );
        let found = objects(&l);
        assert_eq!(found[4], Observable::Url("http://evil.example/".into()));
        assert!(matches!(&found[3], Observable::Domain(Cow::Borrowed(_))));
    }

    #[test]
    fn tls() {
        let l = line(
            "tls",
            "TCP",
            r#","tls":{"subject":"CN=evil.example","issuerdn":"CN=Fake CA","serial":"00:AB:CD","fingerprint":"3e:18:0a:9E:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00","sni":"evil.example","version":"TLS 1.2"}"#,
        );
        assert_eq!(
            objects(&l)[2..],
            [
                traffic(&["tcp", "tls"]),
                Observable::Domain("evil.example".into()),
                Observable::Certificate(Box::new(Certificate {
                    sha1: Some("3e180a9e112233445566778899aabbccddeeff00".into()),
                    sha256: None,
                    subject: Some("CN=evil.example".into()),
                    issuer: Some("CN=Fake CA".into()),
                    serial_number: Some("00:AB:CD".into()),
                })),
            ]
        );
        // A session resumed without a certificate.
        let l = line(
            "tls",
            "TCP",
            r#","tls":{"sni":"evil.example","version":"TLS 1.3"}"#,
        );
        assert_eq!(objects(&l).len(), 4);
    }

    #[test]
    fn fileinfo_with_its_http_transaction() {
        let l = line(
            "fileinfo",
            "TCP",
            r#","app_proto":"http","http":{"hostname":"evil.example","url":"/dl/invoice.exe","http_method":"GET"},"fileinfo":{"filename":"/dl/invoice.exe","magic":"PE32 executable","gaps":false,"state":"CLOSED","md5":"m","sha1":"s1","sha256":"s256","stored":false,"size":4096,"tx_id":0}"#,
        );
        let found = objects(&l);
        assert_eq!(
            found[3..],
            [
                Observable::Domain("evil.example".into()),
                Observable::Url("http://evil.example/dl/invoice.exe".into()),
                Observable::File(Box::new(File {
                    md5: Some("m".into()),
                    sha1: Some("s1".into()),
                    sha256: Some("s256".into()),
                    name: Some("invoice.exe".into()),
                    size: Some(4096),
                    mime_type: None,
                })),
            ]
        );
        let Observable::Traffic(t) = &found[2] else {
            panic!()
        };
        assert_eq!(t.protocols, ["tcp", "http"]);
        assert_eq!(
            t.http.as_ref().and_then(|h| h.method.as_deref()),
            Some("GET")
        );
    }

    #[test]
    fn smtp() {
        let l = line(
            "smtp",
            "TCP",
            r#","smtp":{"helo":"mx.evil.example","mail_from":"<mallory@evil.example>","rcpt_to":["<clerk@county.example>","<deputy@county.example>"]},"email":{"status":"PARSE_DONE","subject":"Polling station moved"}"#,
        );
        assert_eq!(
            objects(&l)[2..],
            [
                traffic(&["tcp", "smtp"]),
                Observable::EmailAddr("mallory@evil.example".into()),
                Observable::EmailAddr("clerk@county.example".into()),
                Observable::EmailAddr("deputy@county.example".into()),
                Observable::EmailMessage(EmailMessage {
                    subject: Some("Polling station moved".into()),
                    from: Some(3),
                    to: vec![4, 5],
                }),
            ]
        );
    }

    #[test]
    fn the_quick_event_type() {
        assert_eq!(quick_event_type(&line("dns", "UDP", "")), Some("dns"));
        assert_eq!(
            quick_event_type(r#"{"a":"x\"event_type\":\"stats","event_type":"http"}"#),
            Some("http")
        );
        assert_eq!(quick_event_type(r#"{"event_type": "dns"}"#), None);
        assert_eq!(quick_event_type(r#"{"event_type":"dns"#), None);
    }

    #[test]
    fn event_types_not_read() {
        for t in ["alert", "stats", "anomaly", "netflow", "quic"] {
            assert_eq!(read(&line(t, "TCP", "")), Ok(None), "{t}");
        }
        // Spaced out JSON misses the quick test but is still skipped.
        let spaced = r#"{"timestamp": "2024-05-01T12:00:00+0000", "event_type": "stats", "stats": {"uptime": 8}}"#;
        assert_eq!(read(spaced), Ok(None));
        let spaced = r#"{"timestamp": "2024-05-01T12:00:00+0000", "event_type": "flow", "src_ip": "192.0.2.10"}"#;
        assert_eq!(read(spaced).unwrap().unwrap().objects.len(), 2);
    }

    #[test]
    fn errors_name_the_problem() {
        let table = [
            (
                r#"{"event_type":"dns","timestamp":"noon"}"#.to_owned(),
                "field 'timestamp' is not an RFC 3339 timestamp: 'noon'",
            ),
            (
                r#"{"event_type":"dns"}"#.to_owned(),
                "field 'timestamp' is missing",
            ),
            (
                r#"{"timestamp":"2024-05-01T12:00:00Z"}"#.to_owned(),
                "field 'event_type' is missing",
            ),
            (
                line("flow", "TCP", "").replace("198.51.100.7", "198.51.100"),
                "field 'dest_ip' is not an IP address: '198.51.100'",
            ),
        ];
        for (l, want) in table {
            assert_eq!(read(&l).unwrap_err().reason, want, "{l}");
        }
        let e = read(r#"{"event_type":"dns","src_port":"x"}"#).unwrap_err();
        assert!(
            e.reason.starts_with("not EVE JSON: invalid type"),
            "{}",
            e.reason
        );
        assert!(
            read("not json")
                .unwrap_err()
                .reason
                .starts_with("not EVE JSON: ")
        );
    }
}
