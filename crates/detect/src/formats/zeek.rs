//! Zeek logs, in TSV (with their `#` header) or JSON, one record a line.
//!
//! The log kind comes from `#path` (TSV), `_path` (JSON), the file name
//! (`dns.log`, `dns.2024-05-01.log`, `conn.00:00:00-01:00:00.log`) or, last,
//! the fields present. Kinds read: conn, dns, http, ssl, files and smtp;
//! lines of other kinds carry no event.
//!
//! | kind  | observables |
//! | ----- | ----------- |
//! | all with `id.orig_h`/`id.resp_h` | `Ip`(orig), `Ip`(resp), `Traffic` between them (protocols: `proto`, then the application) |
//! | conn  | protocols `proto` + `service` split on `,` |
//! | dns   | `Domain`(query), an `Ip` for each answer that is an address |
//! | http  | `Traffic.http` (method, uri, host, user agent), `Domain` or `Ip`(host), `Url`(`http://` host uri) |
//! | ssl   | `Domain`(server_name), `Certificate`(SHA-256 of the first `cert_chain_fps`) |
//! | files | `File`(hashes, filename, total or seen bytes, MIME type), an `Ip` for each `tx_hosts`/`rx_hosts` entry |
//! | smtp  | `EmailAddr`(mailfrom, each rcptto), `EmailMessage`(subject, from, to) |

use std::borrow::Cow;

use pattern::index::{Certificate, Event, File, Micros, Observable};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use super::LineError;
use super::build::{Builder, Flow, Http, Str, domain, fingerprint, ip, parse_ip, protocol};
use super::time;

/// The Zeek logs read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `conn.log`.
    Conn,
    /// `dns.log`.
    Dns,
    /// `http.log`.
    Http,
    /// `ssl.log`.
    Ssl,
    /// `files.log`.
    Files,
    /// `smtp.log`.
    Smtp,
}

impl Kind {
    /// The kind of a `#path` or `_path`.
    pub fn from_path(path: &str) -> Option<Kind> {
        Some(match path {
            "conn" => Kind::Conn,
            "dns" => Kind::Dns,
            "http" => Kind::Http,
            "ssl" => Kind::Ssl,
            "files" => Kind::Files,
            "smtp" => Kind::Smtp,
            _ => return None,
        })
    }

    /// The kind of a log file by its name: the path before the first dot,
    /// as Zeek and its rotation name them (`conn.log`, `conn.2024-05-01.log`).
    pub fn from_file_name(name: &str) -> Option<Kind> {
        let (stem, _) = name.split_once('.')?;
        Kind::from_path(stem)
    }

    /// The kind of a log that does not say, by the fields it has.
    fn infer(has: impl Fn(Col) -> bool) -> Option<Kind> {
        if has(Col::Query) {
            Some(Kind::Dns)
        } else if has(Col::Method) || has(Col::Uri) {
            Some(Kind::Http)
        } else if has(Col::ServerName) || has(Col::CertChainFps) || has(Col::Cipher) {
            Some(Kind::Ssl)
        } else if has(Col::Mailfrom) || has(Col::Rcptto) {
            Some(Kind::Smtp)
        } else if has(Col::Fuid)
            && [
                Col::Md5,
                Col::Sha1,
                Col::Sha256,
                Col::MimeType,
                Col::TotalBytes,
            ]
            .into_iter()
            .any(&has)
        {
            Some(Kind::Files)
        } else if has(Col::Proto) && has(Col::ConnState) {
            Some(Kind::Conn)
        } else {
            None
        }
    }
}

/// The columns read, by their Zeek field names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Col {
    Ts,
    OrigH,
    OrigP,
    RespH,
    RespP,
    Proto,
    Service,
    ConnState,
    Query,
    Answers,
    Method,
    Host,
    Uri,
    UserAgent,
    ServerName,
    Version,
    Cipher,
    CertChainFps,
    Fuid,
    Source,
    Md5,
    Sha1,
    Sha256,
    Filename,
    MimeType,
    TotalBytes,
    SeenBytes,
    TxHosts,
    RxHosts,
    Mailfrom,
    Rcptto,
    Subject,
}

const COLS: [(Col, &str); 32] = [
    (Col::Ts, "ts"),
    (Col::OrigH, "id.orig_h"),
    (Col::OrigP, "id.orig_p"),
    (Col::RespH, "id.resp_h"),
    (Col::RespP, "id.resp_p"),
    (Col::Proto, "proto"),
    (Col::Service, "service"),
    (Col::ConnState, "conn_state"),
    (Col::Query, "query"),
    (Col::Answers, "answers"),
    (Col::Method, "method"),
    (Col::Host, "host"),
    (Col::Uri, "uri"),
    (Col::UserAgent, "user_agent"),
    (Col::ServerName, "server_name"),
    (Col::Version, "version"),
    (Col::Cipher, "cipher"),
    (Col::CertChainFps, "cert_chain_fps"),
    (Col::Fuid, "fuid"),
    (Col::Source, "source"),
    (Col::Md5, "md5"),
    (Col::Sha1, "sha1"),
    (Col::Sha256, "sha256"),
    (Col::Filename, "filename"),
    (Col::MimeType, "mime_type"),
    (Col::TotalBytes, "total_bytes"),
    (Col::SeenBytes, "seen_bytes"),
    (Col::TxHosts, "tx_hosts"),
    (Col::RxHosts, "rx_hosts"),
    (Col::Mailfrom, "mailfrom"),
    (Col::Rcptto, "rcptto"),
    (Col::Subject, "subject"),
];

fn col_name(c: Col) -> &'static str {
    COLS[c as usize].1
}

/// The fields of one record that the mapping uses, from either notation.
/// Deserialized straight from a JSON line; filled from columns for TSV.
#[derive(Default, Deserialize)]
struct Fields<'l> {
    #[serde(borrow)]
    ts: Option<&'l RawValue>,
    #[serde(skip)]
    time: Option<Micros>,
    #[serde(rename = "_path", borrow)]
    path: Option<Str<'l>>,
    #[serde(rename = "id.orig_h", borrow)]
    orig_h: Option<Str<'l>>,
    #[serde(rename = "id.orig_p")]
    orig_p: Option<u16>,
    #[serde(rename = "id.resp_h", borrow)]
    resp_h: Option<Str<'l>>,
    #[serde(rename = "id.resp_p")]
    resp_p: Option<u16>,
    #[serde(borrow)]
    proto: Option<Str<'l>>,
    #[serde(borrow)]
    service: Option<Str<'l>>,
    conn_state: Option<IgnoredAny>,
    #[serde(borrow)]
    query: Option<Str<'l>>,
    #[serde(borrow)]
    answers: Option<Vec<Str<'l>>>,
    #[serde(borrow)]
    method: Option<Str<'l>>,
    #[serde(borrow)]
    host: Option<Str<'l>>,
    #[serde(borrow)]
    uri: Option<Str<'l>>,
    #[serde(borrow)]
    user_agent: Option<Str<'l>>,
    #[serde(borrow)]
    server_name: Option<Str<'l>>,
    #[serde(borrow)]
    version: Option<Str<'l>>,
    cipher: Option<IgnoredAny>,
    #[serde(borrow)]
    cert_chain_fps: Option<Vec<Str<'l>>>,
    fuid: Option<IgnoredAny>,
    #[serde(borrow)]
    source: Option<Str<'l>>,
    #[serde(borrow)]
    md5: Option<Str<'l>>,
    #[serde(borrow)]
    sha1: Option<Str<'l>>,
    #[serde(borrow)]
    sha256: Option<Str<'l>>,
    #[serde(borrow)]
    filename: Option<Str<'l>>,
    #[serde(borrow)]
    mime_type: Option<Str<'l>>,
    total_bytes: Option<u64>,
    seen_bytes: Option<u64>,
    #[serde(borrow)]
    tx_hosts: Option<Vec<Str<'l>>>,
    #[serde(borrow)]
    rx_hosts: Option<Vec<Str<'l>>>,
    #[serde(borrow)]
    mailfrom: Option<Str<'l>>,
    #[serde(borrow)]
    rcptto: Option<Vec<Str<'l>>>,
    #[serde(borrow)]
    subject: Option<Str<'l>>,
}

impl Fields<'_> {
    /// Whether the JSON record has the field (for kind inference).
    fn has(&self, c: Col) -> bool {
        match c {
            Col::Query => self.query.is_some(),
            Col::Method => self.method.is_some(),
            Col::Uri => self.uri.is_some(),
            Col::ServerName => self.server_name.is_some(),
            Col::CertChainFps => self.cert_chain_fps.is_some(),
            Col::Cipher => self.cipher.is_some(),
            Col::Mailfrom => self.mailfrom.is_some(),
            Col::Rcptto => self.rcptto.is_some(),
            Col::Fuid => self.fuid.is_some(),
            Col::Md5 => self.md5.is_some(),
            Col::Sha1 => self.sha1.is_some(),
            Col::Sha256 => self.sha256.is_some(),
            Col::MimeType => self.mime_type.is_some(),
            Col::TotalBytes => self.total_bytes.is_some(),
            Col::Proto => self.proto.is_some(),
            Col::ConnState => self.conn_state.is_some(),
            _ => false,
        }
    }
}

/// The state of one Zeek file: its kind by name, and its TSV header.
#[derive(Debug)]
pub(crate) struct ZeekReader {
    file_kind: Option<Kind>,
    separator: String,
    set_separator: String,
    empty_field: String,
    unset_field: String,
    path: Option<String>,
    /// The column of each [`Col`], from `#fields`; None before it.
    columns: Option<Columns>,
    /// The kind of the TSV records; None for a kind not read.
    kind: Option<Kind>,
    /// Where the fields of the current line are (reused between lines).
    spans: Vec<(usize, usize)>,
}

#[derive(Debug)]
struct Columns {
    count: usize,
    at: [Option<usize>; COLS.len()],
}

impl ZeekReader {
    pub fn new(file_kind: Option<Kind>) -> ZeekReader {
        ZeekReader {
            file_kind,
            separator: "\t".into(),
            set_separator: ",".into(),
            empty_field: "(empty)".into(),
            unset_field: "-".into(),
            path: None,
            columns: None,
            kind: None,
            spans: Vec::with_capacity(32),
        }
    }

    pub fn read<'l>(&mut self, line: &'l str) -> Result<Option<Event<'l>>, LineError> {
        if line.starts_with('{') {
            return read_json(line, self.file_kind);
        }
        if let Some(header) = line.strip_prefix('#') {
            self.header(header);
            return Ok(None);
        }
        self.read_tsv(line)
    }

    /// A `#` line: `#separator \x09`, then `#name<sep>value…`.
    fn header(&mut self, header: &str) {
        if let Some(sep) = header.strip_prefix("separator ") {
            let sep = unescape(sep.trim_end_matches(['\r', '\n']));
            if !sep.is_empty() {
                self.separator = sep.into_owned();
            }
            return;
        }
        let mut parts = header.split(self.separator.as_str());
        let name = parts.next().unwrap_or("");
        let rest = &header[name.len()..];
        let value =
            || unescape(rest.strip_prefix(self.separator.as_str()).unwrap_or(rest)).into_owned();
        match name {
            "set_separator" => self.set_separator = value(),
            "empty_field" => self.empty_field = value(),
            "unset_field" => self.unset_field = value(),
            "path" => {
                self.path = Some(value());
                self.decide_kind();
            }
            "fields" => {
                let names: Vec<&str> = parts.collect();
                let mut at = [None; COLS.len()];
                for (i, name) in names.iter().enumerate() {
                    if let Some(c) = COLS.iter().position(|(_, n)| n == name) {
                        at[c] = Some(i);
                    }
                }
                self.columns = Some(Columns {
                    count: names.len(),
                    at,
                });
                self.decide_kind();
            }
            _ => {}
        }
    }

    fn decide_kind(&mut self) {
        self.kind = match &self.path {
            Some(path) => Kind::from_path(path),
            None => self.file_kind.or_else(|| {
                let columns = self.columns.as_ref()?;
                Kind::infer(|c| columns.at[c as usize].is_some())
            }),
        };
    }

    fn read_tsv<'l>(&mut self, line: &'l str) -> Result<Option<Event<'l>>, LineError> {
        let Some(columns) = &self.columns else {
            return Err(LineError::new(
                "Zeek TSV line before its #fields header (or a JSON line that does not start with '{')",
            ));
        };
        let Some(kind) = self.kind else {
            return Ok(None);
        };
        self.spans.clear();
        if let [sep] = self.separator.as_bytes() {
            let mut start = 0;
            for (i, b) in line.bytes().enumerate() {
                if b == *sep {
                    self.spans.push((start, i));
                    start = i + 1;
                }
            }
            self.spans.push((start, line.len()));
        } else {
            let mut start = 0;
            for (i, _) in line.match_indices(self.separator.as_str()) {
                self.spans.push((start, i));
                start = i + self.separator.len();
            }
            self.spans.push((start, line.len()));
        }
        if self.spans.len() != columns.count {
            return Err(LineError::new(format!(
                "expected {} tab-separated fields as the #fields header says, found {}",
                columns.count,
                self.spans.len()
            )));
        }
        let raw = |c: Col| -> Option<&'l str> {
            let (start, end) = self.spans[columns.at[c as usize]?];
            let raw = &line[start..end];
            (raw != self.unset_field && raw != self.empty_field && !raw.is_empty()).then_some(raw)
        };
        let text = |c: Col| raw(c).map(|r| Str(unescape(r)));
        let set = |c: Col| {
            raw(c).map(|r| {
                r.split(self.set_separator.as_str())
                    .map(|e| Str(unescape(e)))
                    .collect::<Vec<_>>()
            })
        };
        let number = |c: Col| -> Result<Option<u64>, LineError> {
            raw(c)
                .map(|r| {
                    r.parse::<u64>()
                        .map_err(|_| LineError::field(col_name(c), "is not a count", r))
                })
                .transpose()
        };
        let port = |c: Col| -> Result<Option<u16>, LineError> {
            raw(c)
                .map(|r| {
                    r.parse::<u16>()
                        .map_err(|_| LineError::field(col_name(c), "is not a port", r))
                })
                .transpose()
        };
        let time = match raw(Col::Ts) {
            Some(ts) => Some(ts_text(ts)?),
            None => None,
        };
        let fields = Fields {
            time,
            orig_h: text(Col::OrigH),
            orig_p: port(Col::OrigP)?,
            resp_h: text(Col::RespH),
            resp_p: port(Col::RespP)?,
            proto: text(Col::Proto),
            service: text(Col::Service),
            query: text(Col::Query),
            answers: set(Col::Answers),
            method: text(Col::Method),
            host: text(Col::Host),
            uri: text(Col::Uri),
            user_agent: text(Col::UserAgent),
            server_name: text(Col::ServerName),
            version: text(Col::Version),
            cert_chain_fps: set(Col::CertChainFps),
            source: text(Col::Source),
            md5: text(Col::Md5),
            sha1: text(Col::Sha1),
            sha256: text(Col::Sha256),
            filename: text(Col::Filename),
            mime_type: text(Col::MimeType),
            total_bytes: number(Col::TotalBytes)?,
            seen_bytes: number(Col::SeenBytes)?,
            tx_hosts: set(Col::TxHosts),
            rx_hosts: set(Col::RxHosts),
            mailfrom: text(Col::Mailfrom),
            rcptto: set(Col::Rcptto),
            subject: text(Col::Subject),
            ..Fields::default()
        };
        event(kind, fields).map(Some)
    }
}

fn read_json(line: &str, file_kind: Option<Kind>) -> Result<Option<Event<'_>>, LineError> {
    let mut fields: Fields<'_> = serde_json::from_str(line)
        .map_err(|e| LineError::new(format!("not a Zeek JSON record: {e}")))?;
    let kind = match &fields.path {
        Some(path) => Kind::from_path(&path.0),
        None => file_kind.or_else(|| Kind::infer(|c| fields.has(c))),
    };
    let Some(kind) = kind else {
        return Ok(None);
    };
    if let Some(ts) = fields.ts {
        let ts = ts.get();
        fields.time = Some(if ts.starts_with('"') {
            let text: Str<'_> = serde_json::from_str(ts)
                .map_err(|_| LineError::field("ts", "is not a time", ts))?;
            ts_text(&text.0)?
        } else {
            time::epoch_seconds("ts", ts)?
        });
    }
    event(kind, fields).map(Some)
}

/// A `ts` as text: epoch seconds, or ISO 8601 (`LogAscii::json_timestamps`).
fn ts_text(ts: &str) -> Result<Micros, LineError> {
    if ts.as_bytes().get(4) == Some(&b'-') {
        time::rfc3339("ts", ts)
    } else {
        time::epoch_seconds("ts", ts)
    }
}

/// Zeek's `\xHH` escapes (of the separator and of unprintable bytes) decoded;
/// borrowed when there are none.
fn unescape(raw: &str) -> Cow<'_, str> {
    if !raw.as_bytes().contains(&b'\\') {
        return Cow::Borrowed(raw);
    }
    let b = raw.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'x') {
            let hex = |j: usize| b.get(j).and_then(|c| (*c as char).to_digit(16));
            if let (Some(h), Some(l)) = (hex(i + 2), hex(i + 3)) {
                out.push((h * 16 + l) as u8);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    // Unprintable bytes need not be UTF-8; keep what can be kept.
    match String::from_utf8(out) {
        Ok(s) => Cow::Owned(s),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

fn text(s: Option<Str<'_>>) -> Option<Cow<'_, str>> {
    super::build::text(s)
}

fn event(kind: Kind, f: Fields<'_>) -> Result<Event<'_>, LineError> {
    let time = f.time.ok_or_else(|| LineError::missing("ts"))?;
    let mut b = Builder::new();
    let mut protocols: Vec<Cow<'_, str>> = Vec::with_capacity(2);
    match kind {
        Kind::Conn => {
            protocols.extend(text(f.proto).map(protocol));
            if let Some(service) = text(f.service) {
                for s in service.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let s = protocol(super::build::sub(&service, s));
                    if !protocols.contains(&s) {
                        protocols.push(s);
                    }
                }
            }
        }
        Kind::Dns => {
            protocols.extend(text(f.proto).map(protocol));
            protocols.push("dns".into());
        }
        Kind::Http => protocols.extend(["tcp".into(), "http".into()]),
        Kind::Ssl => {
            // ssl.log covers DTLS too, which runs over UDP.
            let dtls = f.version.as_ref().is_some_and(|v| v.0.starts_with("DTLS"));
            protocols.extend([if dtls { "udp" } else { "tcp" }.into(), "ssl".into()]);
        }
        Kind::Files => protocols.extend(text(f.source).map(protocol)),
        Kind::Smtp => protocols.extend(["tcp".into(), "smtp".into()]),
    }
    let traffic = b.flow(Flow {
        src: ip("id.orig_h", f.orig_h)?,
        dst: ip("id.resp_h", f.resp_h)?,
        src_port: f.orig_p,
        dst_port: f.resp_p,
        protocols,
        http: None,
    });
    match kind {
        Kind::Conn => {}
        Kind::Dns => {
            if let Some(q) = text(f.query) {
                b.push(Observable::Domain(domain(q)));
            }
            for a in f.answers.into_iter().flatten() {
                if let Some(ip) = parse_ip(a.0.trim_ascii()) {
                    b.push_once(Observable::Ip(ip));
                }
            }
        }
        Kind::Http => Http {
            method: text(f.method),
            target: text(f.uri),
            host: text(f.host),
            user_agent: text(f.user_agent),
        }
        .observe(&mut b, None, traffic),
        Kind::Ssl => {
            if let Some(sni) = text(f.server_name) {
                b.push(Observable::Domain(domain(sni)));
            }
            let first = f.cert_chain_fps.and_then(|v| v.into_iter().next());
            if let Some(sha256) = text(first).and_then(fingerprint) {
                b.push(Observable::Certificate(Box::new(Certificate {
                    sha256: Some(sha256),
                    ..Certificate::default()
                })));
            }
        }
        Kind::Files => {
            let hosts = [("tx_hosts", f.tx_hosts), ("rx_hosts", f.rx_hosts)];
            for (name, list) in hosts {
                for h in list.into_iter().flatten() {
                    if let Some(ip) = ip(name, Some(h))? {
                        b.push_once(Observable::Ip(ip));
                    }
                }
            }
            b.push(Observable::File(Box::new(File {
                md5: text(f.md5),
                sha1: text(f.sha1),
                sha256: text(f.sha256),
                name: text(f.filename),
                size: f.total_bytes.or(f.seen_bytes),
                mime_type: text(f.mime_type),
            })));
        }
        Kind::Smtp => {
            let to = f.rcptto.unwrap_or_default();
            b.email(
                text(f.mailfrom).as_ref(),
                to.iter().map(|s| &s.0),
                text(f.subject),
            );
        }
    }
    Ok(b.finish(time))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pattern::index::{EmailMessage, HttpRequest, Traffic};

    const NOON: Micros = 1_714_564_800_000_000; // 2024-05-01T12:00:00Z

    fn addr(s: &str) -> Observable<'static> {
        Observable::Ip(s.parse().unwrap())
    }

    fn traffic(ports: (u16, u16), protocols: &[&'static str]) -> Observable<'static> {
        Observable::Traffic(Traffic {
            src: Some(0),
            dst: Some(1),
            src_port: Some(ports.0),
            dst_port: Some(ports.1),
            protocols: protocols.iter().map(|p| Cow::Borrowed(*p)).collect(),
            http: None,
        })
    }

    /// A reader fed the TSV header of a log with these fields.
    fn tsv(path: Option<&str>, fields: &str) -> ZeekReader {
        let mut r = ZeekReader::new(None);
        let mut header = vec![
            "#separator \\x09".to_owned(),
            "#set_separator\t,".to_owned(),
            "#empty_field\t(empty)".to_owned(),
            "#unset_field\t-".to_owned(),
        ];
        header.extend(path.map(|p| format!("#path\t{p}")));
        header.push(format!("#fields\t{}", fields.replace(' ', "\t")));
        for h in &header {
            assert_eq!(r.read(h), Ok(None));
        }
        r
    }

    fn objects<'l>(r: &mut ZeekReader, line: &'l str) -> Vec<Observable<'l>> {
        r.read(line).unwrap().expect("an event").objects
    }

    const CONN_FIELDS: &str =
        "ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto service duration conn_state";

    #[test]
    fn tsv_conn() {
        let mut r = tsv(Some("conn"), CONN_FIELDS);
        let line =
            "1714564800.123456\tC1\t192.0.2.10\t49852\t198.51.100.7\t443\ttcp\tssl,http\t1.2\tSF";
        let event = r.read(line).unwrap().unwrap();
        assert_eq!(event.time, NOON + 123_456);
        assert_eq!(
            event.objects,
            vec![
                addr("192.0.2.10"),
                addr("198.51.100.7"),
                traffic((49852, 443), &["tcp", "ssl", "http"])
            ]
        );
        // Unset service and ports: the traffic says what is known.
        let line = "1714564800\tC2\t2001:db8::1\t-\t2001:db8::2\t-\ticmp\t-\t-\tOTH";
        assert_eq!(
            objects(&mut r, line)[2],
            Observable::Traffic(Traffic {
                src: Some(0),
                dst: Some(1),
                protocols: vec!["icmp".into()],
                ..Traffic::default()
            })
        );
    }

    #[test]
    fn tsv_dns_answers_that_are_addresses() {
        let mut r = tsv(
            Some("dns"),
            "ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto query answers TTLs",
        );
        let line = "1714564800.5\tC1\t192.0.2.10\t53211\t192.0.2.53\t53\tudp\tBallot-Status.EXAMPLE\tcdn.example,198.51.100.7,2001:db8::7,198.51.100.7\t60.0,300.0,300.0,300.0";
        assert_eq!(
            objects(&mut r, line),
            vec![
                addr("192.0.2.10"),
                addr("192.0.2.53"),
                traffic((53211, 53), &["udp", "dns"]),
                Observable::Domain("ballot-status.example".into()),
                addr("198.51.100.7"),
                addr("2001:db8::7"),
            ]
        );
        // No query, no answers.
        let line = "1714564800.5\tC1\t192.0.2.10\t53211\t192.0.2.53\t53\tudp\t-\t(empty)\t(empty)";
        assert_eq!(objects(&mut r, line).len(), 3);
    }

    const HTTP_FIELDS: &str =
        "ts uid id.orig_h id.orig_p id.resp_h id.resp_p method host uri user_agent";

    #[test]
    fn tsv_http_escapes_and_unset_fields() {
        let mut r = tsv(None, HTTP_FIELDS); // no #path, no name: the fields say http
        let line = "1714564800\tC1\t192.0.2.10\t49852\t198.51.100.7\t8080\tGET\tevil.example:8080\t/a\\x09b?q=\\x2d\tcurl/8.0\\x09x";
        let found = objects(&mut r, line);
        assert_eq!(
            found[2],
            Observable::Traffic(Traffic {
                src: Some(0),
                dst: Some(1),
                src_port: Some(49852),
                dst_port: Some(8080),
                protocols: vec!["tcp".into(), "http".into()],
                http: Some(Box::new(HttpRequest {
                    method: Some("GET".into()),
                    value: Some("/a\tb?q=-".into()),
                    host: Some("evil.example:8080".into()),
                    user_agent: Some("curl/8.0\tx".into()),
                })),
            })
        );
        assert_eq!(
            found[3..],
            [
                Observable::Domain("evil.example".into()),
                Observable::Url("http://evil.example:8080/a\tb?q=-".into()),
            ]
        );
        // An escaped '-' is the text '-', an unescaped one is unset.
        let line =
            "1714564800\tC1\t192.0.2.10\t49852\t198.51.100.7\t80\tGET\t198.51.100.7\t\\x2d\t-";
        let found = objects(&mut r, line);
        let Observable::Traffic(t) = &found[2] else {
            panic!()
        };
        let http = t.http.as_ref().unwrap();
        assert_eq!(http.value.as_deref(), Some("-"));
        assert_eq!(http.user_agent, None);
        // An IP literal host is an Ip (the same one as the server); '-' is no path: no Url.
        assert_eq!(found.len(), 3);
        // A proxy request's absolute URI is the URL; CONNECT has none.
        let line = "1714564800\tC1\t192.0.2.10\t49852\t198.51.100.7\t3128\tGET\tproxy.example\thttp://evil.example/x\t-";
        assert_eq!(
            objects(&mut r, line)[4],
            Observable::Url("http://evil.example/x".into())
        );
        let line = "1714564800\tC1\t192.0.2.10\t49852\t198.51.100.7\t3128\tCONNECT\tevil.example:443\tevil.example:443\t-";
        assert_eq!(objects(&mut r, line).len(), 4);
    }

    #[test]
    fn tsv_ssl_certificate_from_the_chain() {
        let mut r = tsv(
            Some("ssl"),
            "ts uid id.orig_h id.orig_p id.resp_h id.resp_p version server_name cert_chain_fps",
        );
        let fp = "A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F90";
        let line = format!(
            "1714564800\tC1\t192.0.2.10\t49852\t198.51.100.7\t443\tTLSv13\tevil.example\t{fp},00ff"
        );
        assert_eq!(
            objects(&mut r, &line)[2..],
            [
                traffic((49852, 443), &["tcp", "ssl"]),
                Observable::Domain("evil.example".into()),
                Observable::Certificate(Box::new(Certificate {
                    sha256: Some(fp.to_ascii_lowercase().into()),
                    ..Certificate::default()
                })),
            ]
        );
        let line = "1714564800\tC1\t192.0.2.10\t49852\t198.51.100.7\t443\tDTLSv12\t-\t-";
        assert_eq!(
            objects(&mut r, line)[2..],
            [traffic((49852, 443), &["udp", "ssl"])]
        );
    }

    #[test]
    fn tsv_files_of_older_zeek() {
        let mut r = tsv(
            Some("files"),
            "ts fuid tx_hosts rx_hosts source mime_type filename seen_bytes total_bytes md5 sha1 sha256",
        );
        let line = "1714564800\tF1\t198.51.100.7\t192.0.2.10,192.0.2.11\tHTTP\tapplication/x-dosexec\tinvoice.exe\t1000\t-\tmd5x\tsha1x\tsha256x";
        assert_eq!(
            objects(&mut r, line),
            vec![
                addr("198.51.100.7"),
                addr("192.0.2.10"),
                addr("192.0.2.11"),
                Observable::File(Box::new(File {
                    md5: Some("md5x".into()),
                    sha1: Some("sha1x".into()),
                    sha256: Some("sha256x".into()),
                    name: Some("invoice.exe".into()),
                    size: Some(1000),
                    mime_type: Some("application/x-dosexec".into()),
                })),
            ]
        );
    }

    #[test]
    fn tsv_smtp_addresses_and_message() {
        let mut r = tsv(
            Some("smtp"),
            "ts uid id.orig_h id.orig_p id.resp_h id.resp_p mailfrom rcptto subject",
        );
        let line = "1714564800\tC1\t192.0.2.10\t49852\t198.51.100.25\t25\t<mallory@evil.example>\t<clerk@county.example>,deputy@county.example\tPolling station moved\\x2c see link";
        assert_eq!(
            objects(&mut r, line)[2..],
            [
                traffic((49852, 25), &["tcp", "smtp"]),
                Observable::EmailAddr("mallory@evil.example".into()),
                Observable::EmailAddr("clerk@county.example".into()),
                Observable::EmailAddr("deputy@county.example".into()),
                Observable::EmailMessage(EmailMessage {
                    subject: Some("Polling station moved, see link".into()),
                    from: Some(3),
                    to: vec![4, 5],
                }),
            ]
        );
    }

    #[test]
    fn tsv_header_variants() {
        // Another separator and unset marker, and a set element holding an escaped separator.
        let mut r = ZeekReader::new(Some(Kind::Dns));
        for h in [
            "#separator |",
            "#set_separator|;",
            "#unset_field|NONE",
            "#fields|ts|id.orig_h|id.resp_h|proto|query|answers",
        ] {
            assert_eq!(r.read(h), Ok(None));
        }
        let line = "1714564800|192.0.2.10|NONE|udp|a\\x7cb.example|198.51.100.7;198.51.100.8";
        let found = objects(&mut r, line);
        assert_eq!(
            found[1],
            Observable::Traffic(Traffic {
                src: Some(0),
                protocols: vec!["udp".into(), "dns".into()],
                ..Traffic::default()
            })
        );
        assert_eq!(found[2], Observable::Domain("a|b.example".into()));
        assert_eq!(found[3..], [addr("198.51.100.7"), addr("198.51.100.8")]);
        // A kind not read: its lines carry nothing.
        let mut r = tsv(
            Some("weird"),
            "ts uid id.orig_h id.orig_p id.resp_h id.resp_p name",
        );
        assert_eq!(
            r.read("1714564800\tC1\t192.0.2.10\t1\t192.0.2.11\t2\tbad_TCP_checksum"),
            Ok(None)
        );
        // The #path beats the file name.
        let mut r = ZeekReader::new(Some(Kind::Conn));
        r.read("#path\tnotice").unwrap();
        r.read("#fields\tts\tid.orig_h\tproto").unwrap();
        assert_eq!(r.read("1714564800\t192.0.2.10\ttcp"), Ok(None));
    }

    #[test]
    fn tsv_errors_name_the_problem() {
        let mut r = ZeekReader::new(Some(Kind::Conn));
        assert_eq!(
            r.read("1714564800\tC1").unwrap_err().reason,
            "Zeek TSV line before its #fields header (or a JSON line that does not start with '{')"
        );
        let mut r = tsv(Some("conn"), CONN_FIELDS);
        let table = [
            (
                "abc\tC1\t192.0.2.10\t1\t198.51.100.7\t443\ttcp\t-\t-\tSF",
                "field 'ts' is not a number: 'abc'",
            ),
            (
                "-\tC1\t192.0.2.10\t1\t198.51.100.7\t443\ttcp\t-\t-\tSF",
                "field 'ts' is missing",
            ),
            (
                "1714564800\tC1\t192.0.2.999\t1\t198.51.100.7\t443\ttcp\t-\t-\tSF",
                "field 'id.orig_h' is not an IP address: '192.0.2.999'",
            ),
            (
                "1714564800\tC1\t192.0.2.10\t1\tnowhere\t443\ttcp\t-\t-\tSF",
                "field 'id.resp_h' is not an IP address: 'nowhere'",
            ),
            (
                "1714564800\tC1\t192.0.2.10\t70000\t198.51.100.7\t443\ttcp\t-\t-\tSF",
                "field 'id.orig_p' is not a port: '70000'",
            ),
            (
                "1714564800\tC1\t192.0.2.10\t1\t198.51.100.7\t443\ttcp",
                "expected 10 tab-separated fields as the #fields header says, found 7",
            ),
        ];
        for (line, want) in table {
            assert_eq!(r.read(line).unwrap_err().reason, want, "{line}");
        }
        let mut r = tsv(Some("files"), "ts fuid total_bytes");
        assert_eq!(
            r.read("1714564800\tF1\tlots").unwrap_err().reason,
            "field 'total_bytes' is not a count: 'lots'"
        );
    }

    #[test]
    fn json_records() {
        let mut r = ZeekReader::new(None);
        let conn = r#"{"_path":"conn","ts":1714564800.000001,"uid":"C1","id.orig_h":"192.0.2.10","id.orig_p":49852,"id.resp_h":"198.51.100.7","id.resp_p":443,"proto":"tcp","service":"ssl","conn_state":"SF"}"#;
        let event = r.read(conn).unwrap().unwrap();
        assert_eq!(event.time, NOON + 1);
        assert_eq!(event.objects[2], traffic((49852, 443), &["tcp", "ssl"]));

        // ISO 8601 ts, kind from the file name, escapes in JSON strings.
        let mut r = ZeekReader::new(Kind::from_file_name("http.2024-05-01.log"));
        let http = r#"{"ts":"2024-05-01T12:00:00.250000Z","uid":"C1","id.orig_h":"192.0.2.10","id.orig_p":49852,"id.resp_h":"198.51.100.7","id.resp_p":80,"method":"POST","host":"Evil.example","uri":"/x?q=\"1\"","user_agent":"curl/8.0"}"#;
        let event = r.read(http).unwrap().unwrap();
        assert_eq!(event.time, NOON + 250_000);
        assert_eq!(
            event.objects[3..],
            [
                Observable::Domain("evil.example".into()),
                Observable::Url("http://Evil.example/x?q=\"1\"".into()),
            ]
        );

        // Newer files.log: the connection's addresses, and a traffic.
        let files = r#"{"_path":"files","ts":1714564800,"fuid":"F1","id.orig_h":"192.0.2.10","id.orig_p":49852,"id.resp_h":"198.51.100.7","id.resp_p":80,"source":"HTTP","mime_type":"application/pdf","seen_bytes":10,"sha256":"abc"}"#;
        let objects = r.read(files).unwrap().unwrap().objects;
        assert_eq!(objects[2], traffic((49852, 80), &["http"]));
        assert_eq!(
            objects[3],
            Observable::File(Box::new(File {
                sha256: Some("abc".into()),
                size: Some(10),
                mime_type: Some("application/pdf".into()),
                ..File::default()
            }))
        );

        // Kinds by fields alone; unknown kinds carry nothing.
        let mut r = ZeekReader::new(None);
        let dns = r#"{"ts":1714564800,"uid":"C1","id.orig_h":"192.0.2.10","id.resp_h":"192.0.2.53","proto":"udp","query":"evil.example","answers":["198.51.100.7"]}"#;
        assert_eq!(r.read(dns).unwrap().unwrap().objects.len(), 5);
        let smtp =
            r#"{"ts":1714564800,"uid":"C1","mailfrom":"<>","rcptto":["<clerk@county.example>"]}"#;
        assert_eq!(
            r.read(smtp).unwrap().unwrap().objects,
            vec![
                Observable::EmailAddr("clerk@county.example".into()),
                Observable::EmailMessage(EmailMessage {
                    subject: None,
                    from: None,
                    to: vec![0]
                }),
            ]
        );
        let weird = r#"{"_path":"weird","ts":1714564800,"id.orig_h":"192.0.2.10","name":"x"}"#;
        assert_eq!(r.read(weird), Ok(None));
        assert_eq!(
            r.read(r#"{"ts":1714564800,"uid":"C1","id.orig_h":"192.0.2.10"}"#),
            Ok(None)
        );
    }

    #[test]
    fn json_values_stay_borrowed() {
        let mut r = ZeekReader::new(Some(Kind::Dns));
        let line = r#"{"ts":1714564800,"query":"evil.example","id.orig_h":"192.0.2.10"}"#;
        let objects = r.read(line).unwrap().unwrap().objects;
        assert!(matches!(
            &objects[2],
            Observable::Domain(Cow::Borrowed("evil.example"))
        ));
    }

    #[test]
    fn json_errors_name_the_problem() {
        let mut r = ZeekReader::new(Some(Kind::Conn));
        let table = [
            (
                r#"{"ts":"abc","id.orig_h":"192.0.2.10"}"#,
                "field 'ts' is not a number: 'abc'",
            ),
            (
                r#"{"ts":"2024-05-01 noon"}"#,
                "field 'ts' is not an RFC 3339 timestamp: '2024-05-01 noon'",
            ),
            (r#"{"ts":true}"#, "field 'ts' is not a number: 'true'"),
            (r#"{"id.orig_h":"192.0.2.10"}"#, "field 'ts' is missing"),
            (
                r#"{"ts":1,"id.orig_h":"x"}"#,
                "field 'id.orig_h' is not an IP address: 'x'",
            ),
        ];
        for (line, want) in table {
            assert_eq!(r.read(line).unwrap_err().reason, want, "{line}");
        }
        let e = r.read(r#"{"ts":1,"id.orig_p":"http"}"#).unwrap_err();
        assert!(
            e.reason.starts_with("not a Zeek JSON record: invalid type"),
            "{}",
            e.reason
        );
        let e = r.read("{\"ts\":").unwrap_err();
        assert!(
            e.reason.starts_with("not a Zeek JSON record: "),
            "{}",
            e.reason
        );
    }

    #[test]
    fn kinds_from_file_names() {
        for (name, kind) in [
            ("conn.log", Some(Kind::Conn)),
            ("dns.2024-05-01.log", Some(Kind::Dns)),
            ("conn.00:00:00-01:00:00.log", Some(Kind::Conn)),
            ("smtp.log.gz", Some(Kind::Smtp)),
            ("weird.log", None),
            ("conn", None),
            ("connections.log", None),
        ] {
            assert_eq!(Kind::from_file_name(name), kind, "{name}");
        }
    }
}
