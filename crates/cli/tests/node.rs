//! The TAXII node over raw HTTP/1.1, against the real `entente serve`.
//!
//! * `access_matrix`: every kind of caller (anonymous, wrong credentials,
//!   local users with read, write or nothing, peers in and out of collection
//!   audiences, a peer granted access by editing `entente.toml` by hand)
//!   against collections with different audiences, for every endpoint: the
//!   exact status of each request, and no object id (nor the id or alias of
//!   a collection it cannot see) in any body a caller gets back. Then TLP:RED:
//!   a peer cannot join the audience of a collection holding a TLP:RED
//!   object, and a TLP:RED object is refused by a collection a peer reads.
//! * `hostile_requests`: malformed and hostile requests each get the TAXII
//!   error they should (or are refused by the HTTP layer), the server stays
//!   up, and the store is unchanged.
//! * `acknowledged_posts_survive_kill`: every object of a POST answered 202 is
//!   still there after the server is killed with SIGKILL at a random moment.
//!
//! The client is a few lines over `TcpStream` (`Connection: close`, read and
//! write timeouts), so that requests no HTTP library would send can be sent.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::harness::*;
use crate::util::*;

/// The TAXII 2.1 media type, exactly as every TAXII response must carry it.
const TAXII: &str = "application/taxii+json;version=2.1";
/// How long the node may take to print its address and answer /healthz.
const STARTUP: Duration = Duration::from_secs(30);
/// How long the node may take to stop after SIGTERM.
const SHUTDOWN: Duration = Duration::from_secs(30);
/// Read and write timeout of every connection: a request that gets no answer
/// in this time is a failure (the server hangs), never a wait without end.
const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// The most bytes of one response kept.
const MAX_RESPONSE: usize = 64 << 20;

// ---------------------------------------------------------------------------
// The server process.

/// How this file's nodes are started: waits of [`STARTUP`] and [`SHUTDOWN`],
/// and only the last lines of the node's stderr in messages.
const LAUNCH: Launch<'static> = Launch {
    startup: STARTUP,
    shutdown: SHUTDOWN,
    log_tail: Some(60),
    ..Launch::DEFAULT
};

/// `entente serve` on a free loopback port, as [`LAUNCH`] says.
fn start_server(data: &Path, log: PathBuf) -> Node {
    Node::launch(data, log, LAUNCH)
}

// ---------------------------------------------------------------------------
// A raw HTTP/1.1 client.

/// A request, written byte for byte as given.
#[derive(Debug, Clone)]
struct Request {
    method: String,
    target: Vec<u8>,
    version: &'static str,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    /// Add `Content-Length` (when there is a body, or for POST).
    length: bool,
    /// Shut down the writing half after sending.
    half_close: bool,
}

impl Request {
    fn new(method: &str, target: impl Into<Vec<u8>>) -> Request {
        Request {
            method: method.to_owned(),
            target: target.into(),
            version: "HTTP/1.1",
            headers: vec![("Connection".into(), b"close".to_vec())],
            body: Vec::new(),
            length: true,
            half_close: false,
        }
    }

    fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Request {
        self.headers
            .push((name.to_owned(), value.as_ref().to_vec()));
        self
    }

    fn body(mut self, body: impl Into<Vec<u8>>) -> Request {
        self.body = body.into();
        self
    }

    /// The framing headers are the caller's: no automatic `Content-Length`.
    fn framed_by_hand(mut self) -> Request {
        self.length = false;
        self
    }

    fn version(mut self, version: &'static str) -> Request {
        self.version = version;
        self
    }

    fn half_close(mut self) -> Request {
        self.half_close = true;
        self
    }

    fn bytes(&self, host: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.body.len() + 512);
        out.extend_from_slice(self.method.as_bytes());
        out.push(b' ');
        out.extend_from_slice(&self.target);
        out.push(b' ');
        out.extend_from_slice(self.version.as_bytes());
        out.extend_from_slice(b"\r\nHost: ");
        out.extend_from_slice(host.as_bytes());
        out.extend_from_slice(b"\r\n");
        for (name, value) in &self.headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        if self.length && (!self.body.is_empty() || self.method == "POST") {
            out.extend_from_slice(format!("Content-Length: {}\r\n", self.body.len()).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }

    /// Method and target, for messages.
    fn describe(&self) -> String {
        let target = String::from_utf8_lossy(&self.target);
        let target = if target.len() > 120 {
            format!("{}...({} bytes)", clip(&target, 120), target.len())
        } else {
            target.into_owned()
        };
        format!("{} {target}", self.method)
    }
}

/// What came back on one connection.
#[derive(Debug)]
struct Reply {
    status: u16,
    /// Names lower-cased.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Bytes after the first final response (a second response, say).
    trailing: usize,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        if text.len() > 600 {
            format!("{}...", clip(&text, 600))
        } else {
            text.into_owned()
        }
    }

    fn json(&self) -> Result<Value, String> {
        serde_json::from_slice(&self.body)
            .map_err(|e| format!("the body is not JSON ({e}): {}", self.text()))
    }
}

/// Writes `raw` (from another thread, so that an early answer is read while
/// a large body is still being sent) and reads until the server closes.
/// `Ok` with the bytes read, possibly none; `Err` when nothing was read
/// because of an error (refused, reset, or no answer within [`IO_TIMEOUT`]).
fn exchange(addr: &str, raw: Vec<u8>, half_close: bool) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut writer = stream.try_clone()?;
    let sender = thread::spawn(move || {
        // The server may answer and close before reading everything: a
        // failed write is not a failure of the exchange.
        let _ = writer.write_all(&raw).and_then(|()| writer.flush());
        if half_close {
            let _ = writer.shutdown(Shutdown::Write);
        }
    });
    let mut response = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let result = loop {
        match stream.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => {
                response.extend_from_slice(&buf[..n]);
                if response.len() > MAX_RESPONSE {
                    break Ok(());
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => break Err(e),
        }
    };
    // Unblocks the writer if it is stuck on a server that stopped reading.
    let _ = stream.shutdown(Shutdown::Both);
    let _ = sender.join();
    match result {
        // A reset after a complete answer still leaves the answer.
        Err(e) if response.is_empty() => Err(e),
        _ => Ok(response),
    }
}

/// The longest prefix of `text` of at most `max` bytes.
fn clip(text: &str, max: usize) -> &str {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    !needle.is_empty() && find(haystack, needle.as_bytes()).is_some()
}

/// Decodes a chunked body; returns it and how many bytes it took.
fn dechunk(data: &[u8]) -> Result<(Vec<u8>, usize), String> {
    let mut body = Vec::new();
    let mut at = 0;
    // Every round consumes at least one line, so the input length bounds it.
    for _ in 0..=data.len() {
        let line_end = find(&data[at..], b"\r\n").ok_or("a chunk size line is cut")? + at;
        let line = std::str::from_utf8(&data[at..line_end]).map_err(|_| "bad chunk size")?;
        let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| format!("bad chunk size {line:?}"))?;
        at = line_end + 2;
        if size == 0 {
            // Trailers, up to an empty line.
            for _ in 0..=data.len() {
                let end = find(&data[at..], b"\r\n").ok_or("the trailers are cut")? + at;
                let empty = end == at;
                at = end + 2;
                if empty {
                    return Ok((body, at));
                }
            }
            return Err("endless trailers".into());
        }
        if data.len() < at + size + 2 {
            return Err("a chunk is cut".into());
        }
        body.extend_from_slice(&data[at..at + size]);
        at += size + 2;
    }
    Err("endless chunks".into())
}

/// Parses the first final (non-1xx) response of `raw`.
fn parse_reply(raw: &[u8]) -> Result<Reply, String> {
    let mut rest = raw;
    // Every round consumes a response head, so the input length bounds it.
    for _ in 0..=raw.len() {
        let end = find(rest, b"\r\n\r\n").ok_or_else(|| {
            format!(
                "no complete response head in {:?}",
                String::from_utf8_lossy(&rest[..rest.len().min(200)])
            )
        })?;
        let head = std::str::from_utf8(&rest[..end]).map_err(|_| "the head is not UTF-8")?;
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or("");
        let mut parts = status_line.splitn(3, ' ');
        if !parts.next().unwrap_or("").starts_with("HTTP/1.") {
            return Err(format!("not an HTTP/1 status line: {status_line:?}"));
        }
        let status: u16 = parts
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad status line {status_line:?}"))?;
        let mut headers = Vec::new();
        for line in lines {
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| format!("bad header line {line:?}"))?;
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
        let after = &rest[end + 4..];
        if (100..200).contains(&status) {
            rest = after;
            continue;
        }
        let mut reply = Reply {
            status,
            headers,
            body: Vec::new(),
            trailing: 0,
        };
        let chunked = reply
            .header("transfer-encoding")
            .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
        let used = if chunked {
            let (body, used) = dechunk(after)?;
            reply.body = body;
            used
        } else if let Some(length) = reply.header("content-length") {
            let length: usize = length
                .parse()
                .map_err(|_| format!("bad Content-Length {length:?}"))?;
            if after.len() < length {
                return Err(format!(
                    "the body is cut: {} of {length} bytes",
                    after.len()
                ));
            }
            reply.body = after[..length].to_vec();
            length
        } else {
            reply.body = after.to_vec();
            after.len()
        };
        reply.trailing = after.len() - used;
        return Ok(reply);
    }
    Err("endless interim responses".into())
}

/// Sends a request and parses the answer.
fn send(addr: &str, request: &Request) -> Result<Reply, String> {
    let raw = exchange(addr, request.bytes(addr), request.half_close)
        .map_err(|e| format!("{}: no answer: {e}", request.describe()))?;
    parse_reply(&raw).map_err(|e| format!("{}: {e}", request.describe()))
}

/// Like [`send`], panicking with the node's log when there is no answer.
fn must_send(server: &Node, request: &Request) -> Reply {
    send(server.authority(), request).unwrap_or_else(|e| panic!("{e}\n{}", server.log_text()))
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}

/// A TAXII GET (or other bodiless request) with credentials.
fn taxii(method: &str, target: impl Into<Vec<u8>>, authorization: Option<&str>) -> Request {
    let request = Request::new(method, target).header("Accept", TAXII);
    match authorization {
        Some(value) => request.header("Authorization", value),
        None => request,
    }
}

/// A TAXII POST of `body` with credentials.
fn taxii_post(
    target: impl Into<Vec<u8>>,
    authorization: &str,
    body: impl Into<Vec<u8>>,
) -> Request {
    taxii("POST", target, Some(authorization))
        .header("Content-Type", TAXII)
        .body(body)
}

/// A TAXII POST of an envelope of `objects` into the collection `coll`.
fn post_objects(coll: &str, authorization: &str, objects: &[Value]) -> Request {
    taxii_post(
        format!("/api/collections/{coll}/objects/"),
        authorization,
        envelope(objects),
    )
}

/// A TAXII GET of the object `id` of the collection `coll`.
fn get_object(coll: &str, id: &str, authorization: &str) -> Request {
    taxii(
        "GET",
        format!("/api/collections/{coll}/objects/{id}/"),
        Some(authorization),
    )
}

/// The id of the collection `default`, asked of the node.
fn default_collection_id(server: &Node, authorization: &str) -> String {
    let reply = must_send(
        server,
        &taxii("GET", "/api/collections/default/", Some(authorization)),
    );
    let body = reply.json().unwrap_or_else(|e| panic!("GET default: {e}"));
    body["id"]
        .as_str()
        .unwrap_or_else(|| panic!("the default collection has no id: {body}"))
        .to_owned()
}

/// Panics with every failure, if there is any: `N problem(s){context}:`.
fn assert_no_failures(failures: &[String], context: &str) {
    assert!(
        failures.is_empty(),
        "{} problem(s){context}:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Adds each of `problems` to `failures`, prefixed with `what`.
fn report(failures: &mut Vec<String>, what: &str, problems: Vec<String>) {
    failures.extend(problems.into_iter().map(|p| format!("{what}: {p}")));
}

/// What is wrong with `reply` as the TAXII error `status` (empty: nothing).
fn taxii_error_problems(reply: &Reply, status: u16) -> Vec<String> {
    let mut problems = Vec::new();
    if reply.status != status {
        problems.push(format!("status {} instead of {status}", reply.status));
    }
    if reply.header("content-type") != Some(TAXII) {
        problems.push(format!(
            "Content-Type {:?} instead of {TAXII:?}",
            reply.header("content-type")
        ));
    }
    match reply.json() {
        Err(e) => problems.push(e),
        Ok(body) => {
            if body["title"].as_str().is_none_or(str::is_empty) {
                problems.push(format!("no title in the error body {body}"));
            }
            if body["http_status"].as_str() != Some(reply.status.to_string().as_str()) {
                problems.push(format!(
                    "http_status {} does not match the status {}",
                    body["http_status"], reply.status
                ));
            }
        }
    }
    if reply.status == 401
        && !reply
            .header("www-authenticate")
            .is_some_and(|v| v.starts_with("Basic realm="))
    {
        problems.push(format!(
            "401 without WWW-Authenticate: Basic realm=...: {:?}",
            reply.header("www-authenticate")
        ));
    }
    problems
}

// ---------------------------------------------------------------------------
// Setup helpers.

/// `entente collection create ALIAS`; returns the new collection's id.
fn create_collection(data: &Path, alias: &str) -> String {
    let out = run_expect(data, &["collection", "create", alias], 0);
    let text = stdout(&out);
    let id = text.lines().last().unwrap_or_default().trim().to_owned();
    assert!(
        uuid::Uuid::parse_str(&id).is_ok(),
        "collection create should print the id last:\n{text}"
    );
    id
}

/// `entente publish --collection C` of these objects.
fn publish(data: &Path, dir: &Path, collection: &str, objects: &[Value]) {
    let file = dir.join(format!("publish-{collection}.json"));
    std::fs::write(&file, Value::Array(objects.to_vec()).to_string())
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", file.display()));
    let file = file.to_string_lossy().into_owned();
    run_expect(data, &["publish", "--collection", collection, &file], 0);
}

/// Loads `entente.toml`, lets `edit` change it, and saves it.
fn edit_config(data: &Path, edit: impl FnOnce(&mut node::config::Config)) {
    let mut config = node::config::Config::load(data)
        .unwrap_or_else(|e| panic!("cannot load entente.toml: {e}"));
    edit(&mut config);
    config
        .save(data)
        .unwrap_or_else(|e| panic!("cannot save entente.toml: {e}"));
}

/// `entente --json collection list`, parsed.
fn collection_list(data: &Path) -> Value {
    let listed = stdout(&run_expect(data, &["--json", "collection", "list"], 0));
    serde_json::from_str(&listed)
        .unwrap_or_else(|e| panic!("collection list --json is not JSON ({e}): {listed}"))
}

/// The entry of `alias` in a [`collection_list`].
fn listed<'a>(list: &'a Value, alias: &str) -> Option<&'a Value> {
    list.as_array()
        .and_then(|l| l.iter().find(|c| c["alias"] == alias))
}

/// SIGTERM: the node must exit 0.
fn stop(mut server: Node, when: &str) {
    let status = server.terminate();
    assert_eq!(
        status.code(),
        Some(0),
        "{when}: entente serve should exit 0 on SIGTERM\n{}",
        server.log_text()
    );
}

/// `entente audit --deep` passes on every collection.
fn audit_deep(data: &Path, when: &str) {
    let out = run_expect(data, &["audit", "--deep"], 0);
    let text = stdout(&out);
    assert!(
        !text.trim().is_empty() && text.lines().all(|l| l.starts_with("OK")),
        "audit --deep {when}:\n{text}"
    );
}

/// The TLP 1.0 TLP:RED marking-definition (predefined by STIX 2.1).
const TLP1_RED: &str = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed";
/// The TLP 2.0 TLP:RED marking-definition.
const TLP2_RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";

/// A valid indicator marked TLP:RED.
fn red_indicator(n: u64, salt: u64, marking: &str) -> Value {
    let mut object = indicator(n, salt, 10);
    object["object_marking_refs"] = json!([marking]);
    object
}

fn id_of(object: &Value) -> String {
    object["id"].as_str().unwrap_or_default().to_owned()
}

fn envelope(objects: &[Value]) -> String {
    json!({ "objects": objects }).to_string()
}

// ---------------------------------------------------------------------------
// 1. Who may see what.

/// What a caller may do with a collection, as the access model says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Neither read nor write: the collection does not exist for it (404).
    None,
    /// Write only: visible, every read is 403.
    Write,
    /// Read only: writes are 403.
    Read,
    /// Both.
    ReadWrite,
}

use Access::{None as N, Read as R, ReadWrite as RW, Write as W};

impl Access {
    fn read(self) -> bool {
        matches!(self, R | RW)
    }

    fn write(self) -> bool {
        matches!(self, W | RW)
    }

    fn visible(self) -> bool {
        self != N
    }

    /// The column of [`EXPECTED`].
    fn column(access: Option<Access>) -> usize {
        match access {
            Option::None => 0,
            Some(N) => 1,
            Some(W) => 2,
            Some(R) => 3,
            Some(RW) => 4,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    GetCollection,
    GetCollectionByAlias,
    GetObjects,
    GetManifest,
    GetObject,
    GetVersions,
    PostObjects,
    DeleteObject,
    LogCheckpoint,
    LogTile,
    LogProof,
    Status,
}

/// The exact status of each operation on a collection, by what the caller may
/// do with it. Columns: not authenticated, none, write only, read only, both.
/// `Status` reads the status resource of the writer's POST into the
/// collection: only the user who made the request may read it, whatever its
/// access to the collection; to every other user it does not exist (404).
/// The row below is the writer's; [`status_expected`] gives everyone else's.
const EXPECTED: [(Op, [u16; 5]); 12] = [
    (Op::GetCollection, [401, 404, 200, 200, 200]),
    (Op::GetCollectionByAlias, [401, 404, 200, 200, 200]),
    (Op::GetObjects, [401, 404, 403, 200, 200]),
    (Op::GetManifest, [401, 404, 403, 200, 200]),
    (Op::GetObject, [401, 404, 403, 200, 200]),
    (Op::GetVersions, [401, 404, 403, 200, 200]),
    (Op::PostObjects, [401, 404, 202, 403, 202]),
    (Op::DeleteObject, [401, 404, 200, 403, 200]),
    (Op::LogCheckpoint, [401, 404, 403, 200, 200]),
    (Op::LogTile, [401, 404, 403, 200, 200]),
    (Op::LogProof, [401, 404, 403, 200, 200]),
    (Op::Status, [401, 200, 200, 200, 200]),
];

/// The status a caller gets for the writer's status resource.
fn status_expected(caller: &Caller, column: [u16; 5]) -> u16 {
    match caller.access {
        None => column[0],
        Some(_) if caller.name == "writer" => 200,
        Some(_) => 404,
    }
}

/// The collections of the matrix, in the order of the access table.
const ALIASES: [&str; 4] = [
    // No audience: this party's users only.
    "ops-internal",
    // Audience: bravo.
    "ops-shared-read",
    // Writers: bravo; no audience.
    "ops-shared-write",
    // No audience, and a TLP:RED object.
    "ops-red",
];

/// One caller of the matrix.
struct Caller {
    name: &'static str,
    /// The Authorization header, if any.
    authorization: Option<String>,
    /// What it may do with each collection of [`ALIASES`]; `None`: it is not
    /// authenticated at all.
    access: Option<[Access; 4]>,
}

struct Coll {
    id: String,
    alias: &'static str,
    /// Never deleted: read by GET object, versions and proof.
    probe: String,
    /// The status id of a POST into it.
    status: String,
    /// Every object id it may hold.
    ids: Vec<String>,
}

/// One response the matrix got, kept to scan for ids the caller may not see.
struct Seen {
    caller: usize,
    what: String,
    request: Vec<u8>,
    body: Vec<u8>,
}

impl Seen {
    /// `request`, as sent to `host`, and the `reply` it got.
    fn new(caller: usize, what: String, request: &Request, host: &str, reply: Reply) -> Seen {
        Seen {
            caller,
            what,
            request: request.bytes(host),
            body: reply.body,
        }
    }
}

const SALT: u64 = 0x00e5_7e57;

/// The rights of the writer of the tests on the collection `default`.
const READ_WRITE_DEFAULT: [&str; 4] = ["--read", "default", "--write", "default"];

/// The object each caller tries to delete in each collection.
fn delete_target(caller: usize, coll: usize) -> Value {
    indicator(2000 + caller as u64 * 10 + coll as u64, SALT, 10)
}

/// The object each caller tries to post into each collection.
fn posted(caller: usize, coll: usize) -> Value {
    indicator(5000 + caller as u64 * 10 + coll as u64, SALT, 10)
}

#[cfg(unix)]
#[test]
fn access_matrix() {
    let (tmp, data, _vkey) = new_node();
    let ids: Vec<String> = ALIASES
        .iter()
        .map(|alias| create_collection(&data, alias))
        .collect();

    // Local users; the TLP:RED object goes in before any peer is added.
    const CALLERS_SEEDED: usize = 11;
    let red_object = red_indicator(3000, SALT, TLP1_RED);
    let mut colls: Vec<Coll> = Vec::new();
    for (k, alias) in ALIASES.iter().enumerate() {
        let probe = indicator(1000 + k as u64, SALT, 10);
        let mut objects = vec![probe.clone()];
        objects.extend((0..CALLERS_SEEDED).map(|c| delete_target(c, k)));
        if *alias == "ops-red" {
            objects.push(red_object.clone());
        }
        publish(&data, tmp.path(), alias, &objects);
        // What the callers' POSTs may add is counted in from the start.
        let may_post = (0..CALLERS_SEEDED).map(|c| id_of(&posted(c, k)));
        colls.push(Coll {
            id: ids[k].clone(),
            alias,
            probe: id_of(&probe),
            status: String::new(),
            ids: objects.iter().map(id_of).chain(may_post).collect(),
        });
    }
    let read_all: Vec<&str> = ALIASES.iter().flat_map(|a| ["--read", a]).collect();
    let reader = add_user(&data, "reader", &read_all);
    let mut writer_rights = read_all.clone();
    writer_rights.extend(ALIASES.iter().flat_map(|a| ["--write", a]));
    let writer = add_user(&data, "writer", &writer_rights);
    let nobody = add_user(&data, "nobody", &[]);
    let dana_password = "dana-password-1";
    add_user_with_password(&data, "dana", &["--read", "ops-internal"], dana_password);

    // A peer cannot join the audience of a collection holding a TLP:RED
    // object, and the refusal changes nothing.
    let out = run(
        &data,
        &[
            "user", "add", "bravo", "--kind", "peer", "--read", "ops-red", "--token",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "user add bravo --kind peer --read ops-red should exit 1\nstdout:\n{}\nstderr:\n{stderr}",
        stdout(&out)
    );
    assert!(
        stderr.contains("TLP:RED"),
        "the refusal should name TLP:RED: {stderr}"
    );
    let users = stdout(&run_expect(&data, &["--json", "user", "list"], 0));
    assert!(
        !users.contains("bravo"),
        "a refused user add left bravo behind: {users}"
    );
    let list = collection_list(&data);
    let red_entry =
        listed(&list, "ops-red").unwrap_or_else(|| panic!("ops-red is not listed: {list}"));
    assert_eq!(
        red_entry["audience"],
        json!([]),
        "a refused user add changed the audience of ops-red"
    );

    let bravo = add_user(
        &data,
        "bravo",
        &[
            "--kind",
            "peer",
            "--read",
            "ops-shared-read",
            "--write",
            "ops-shared-write",
        ],
    );
    // Grants added by hand that the audiences do not back: bravo may now
    // "read" ops-internal, ops-red and ops-shared-write and "write"
    // ops-internal and ops-shared-read in the file, and must get none of it.
    edit_config(&data, |config| {
        let entry = config
            .users
            .iter_mut()
            .find(|u| u.name == "bravo")
            .unwrap_or_else(|| panic!("user add did not write bravo to entente.toml"));
        entry
            .read
            .extend(["ops-internal", "ops-red", "ops-shared-write"].map(String::from));
        entry
            .write
            .extend(["ops-internal", "ops-shared-read"].map(String::from));
    });
    // charlie, a peer written into the file by hand: grants on everything,
    // in no audience and among no writers.
    let charlie = node::config::new_token();
    let block = format!(
        "\n[[user]]\nname = \"charlie\"\nkind = \"peer\"\ntokens = [\"{}\"]\nread = [\"ops-internal\", \"ops-shared-read\", \"{}\", \"ops-red\"]\nwrite = [\"ops-internal\", \"ops-shared-read\", \"ops-shared-write\"]\n",
        node::config::token_hash(&charlie),
        ids[2]
    );
    let config_path = data.join("entente.toml");
    std::fs::OpenOptions::new()
        .append(true)
        .open(&config_path)
        .and_then(|mut f| f.write_all(block.as_bytes()))
        .unwrap_or_else(|e| panic!("cannot append to {}: {e}", config_path.display()));

    let callers: Vec<Caller> = [
        ("anonymous", Option::None, Option::None),
        (
            "wrong bearer token",
            Some(bearer("ent_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")),
            Option::None,
        ),
        (
            "dana with a wrong password",
            Some(basic("dana", "dana-password-2")),
            Option::None,
        ),
        (
            "writer's name with reader's token",
            Some(basic("writer", &reader)),
            Option::None,
        ),
        ("reader (bearer)", Some(bearer(&reader)), Some([R, R, R, R])),
        (
            "reader (basic, token as password)",
            Some(basic("reader", &reader)),
            Some([R, R, R, R]),
        ),
        ("writer", Some(bearer(&writer)), Some([RW, RW, RW, RW])),
        (
            "nobody (no grants)",
            Some(bearer(&nobody)),
            Some([N, N, N, N]),
        ),
        (
            "dana (basic, password)",
            Some(basic("dana", dana_password)),
            Some([R, N, N, N]),
        ),
        ("peer bravo", Some(bearer(&bravo)), Some([N, R, W, N])),
        (
            "peer charlie (grants by hand only)",
            Some(bearer(&charlie)),
            Some([N, N, N, N]),
        ),
    ]
    .into_iter()
    .map(|(name, authorization, access)| Caller {
        name,
        authorization,
        access,
    })
    .collect();
    assert_eq!(callers.len(), CALLERS_SEEDED);

    let mut server = start_server(&data, tmp.path().join("matrix.log"));
    let writer_auth = bearer(&writer);
    let mut failures: Vec<String> = Vec::new();
    let mut seen: Vec<Seen> = Vec::new();

    // A status resource per collection, from a POST by the writer.
    for (k, coll) in colls.iter_mut().enumerate() {
        let object = indicator(4000 + k as u64, SALT, 10);
        let request = post_objects(&coll.id, &writer_auth, std::slice::from_ref(&object));
        let reply = must_send(&server, &request);
        let status = reply.json().unwrap_or_else(|e| panic!("{e}"));
        assert!(
            reply.status == 202 && status["success_count"] == 1,
            "the writer's POST into {}: {} {}",
            coll.alias,
            reply.status,
            reply.text()
        );
        coll.status = status["id"].as_str().unwrap_or_default().to_owned();
        coll.ids.push(id_of(&object));
    }

    for (c, caller) in callers.iter().enumerate() {
        let auth = caller.authorization.as_deref();

        // The list of collections: exactly those the caller can see.
        let request = taxii("GET", "/api/collections/", auth);
        let reply = must_send(&server, &request);
        let what = format!("{}: list collections", caller.name);
        match caller.access {
            Option::None => report(&mut failures, &what, taxii_error_problems(&reply, 401)),
            Some(access) => match reply.json() {
                Ok(body) if reply.status == 200 => {
                    let listed = body["collections"].as_array().cloned().unwrap_or_default();
                    let expected: Vec<&str> = colls
                        .iter()
                        .zip(access)
                        .filter(|(_, a)| a.visible())
                        .map(|(coll, _)| coll.id.as_str())
                        .collect();
                    let got: Vec<&str> = listed.iter().filter_map(|c| c["id"].as_str()).collect();
                    if got != expected {
                        failures.push(format!("{what}: lists {got:?}, expected {expected:?}"));
                    }
                    for (coll, a) in colls.iter().zip(access) {
                        if let Some(entry) = listed.iter().find(|e| e["id"] == coll.id.as_str())
                            && (entry["can_read"] != a.read() || entry["can_write"] != a.write())
                        {
                            failures.push(format!(
                                "{what}: {} has can_read {} can_write {}, expected {a:?}",
                                coll.alias, entry["can_read"], entry["can_write"]
                            ));
                        }
                    }
                }
                _ => failures.push(format!("{what}: {} {}", reply.status, reply.text())),
            },
        }
        seen.push(Seen::new(c, what, &request, server.authority(), reply));

        for (k, coll) in colls.iter().enumerate() {
            let access = caller.access.map(|a| a[k]);
            for (op, statuses) in EXPECTED {
                let expected = if op == Op::Status {
                    status_expected(caller, statuses)
                } else {
                    statuses[Access::column(access)]
                };
                let base = format!("/api/collections/{}", coll.id);
                let request = match op {
                    Op::GetCollection => taxii("GET", format!("{base}/"), auth),
                    Op::GetCollectionByAlias => {
                        taxii("GET", format!("/api/collections/{}/", coll.alias), auth)
                    }
                    Op::GetObjects => taxii("GET", format!("{base}/objects/"), auth),
                    Op::GetManifest => taxii("GET", format!("{base}/manifest/"), auth),
                    Op::GetObject => taxii("GET", format!("{base}/objects/{}/", coll.probe), auth),
                    Op::GetVersions => taxii(
                        "GET",
                        format!("{base}/objects/{}/versions/", coll.probe),
                        auth,
                    ),
                    Op::PostObjects => {
                        let body = envelope(&[posted(c, k)]);
                        let request = Request::new("POST", format!("{base}/objects/"))
                            .header("Accept", TAXII)
                            .header("Content-Type", TAXII)
                            .body(body);
                        match auth {
                            Some(value) => request.header("Authorization", value),
                            Option::None => request,
                        }
                    }
                    Op::DeleteObject => taxii(
                        "DELETE",
                        format!("{base}/objects/{}/", id_of(&delete_target(c, k))),
                        auth,
                    ),
                    Op::LogCheckpoint => taxii("GET", format!("{base}/log/checkpoint"), auth),
                    Op::LogTile => taxii("GET", format!("{base}/log/tile/entries/000.p/1"), auth),
                    Op::LogProof => taxii("GET", format!("{base}/log/proof/{}/", coll.probe), auth),
                    Op::Status => taxii("GET", format!("/api/status/{}/", coll.status), auth),
                };
                let reply = must_send(&server, &request);
                let what = format!("{}: {op:?} on {}", caller.name, coll.alias);
                if reply.status != expected {
                    failures.push(format!(
                        "{what}: expected {expected}, got {} {}",
                        reply.status,
                        reply.text()
                    ));
                } else if expected >= 400 {
                    report(&mut failures, &what, taxii_error_problems(&reply, expected));
                } else if let Some(access) = access {
                    report(
                        &mut failures,
                        &what,
                        success_problems(op, &reply, coll, access),
                    );
                }
                seen.push(Seen::new(c, what, &request, server.authority(), reply));
            }
        }
    }

    // What the POSTs and DELETEs did, as the writer sees it.
    for (c, caller) in callers.iter().enumerate() {
        for (k, coll) in colls.iter().enumerate() {
            let access = caller.access.map(|a| a[k]);
            let column = Access::column(access);
            let expect_status = |op: Op| {
                EXPECTED
                    .iter()
                    .find(|(o, _)| *o == op)
                    .map_or(0, |(_, s)| s[column])
            };
            for (object, op, present) in [
                (
                    posted(c, k),
                    Op::PostObjects,
                    expect_status(Op::PostObjects) == 202,
                ),
                (
                    delete_target(c, k),
                    Op::DeleteObject,
                    expect_status(Op::DeleteObject) != 200,
                ),
            ] {
                let request = get_object(&coll.id, &id_of(&object), &writer_auth);
                let reply = must_send(&server, &request);
                if (reply.status == 200) != present {
                    failures.push(format!(
                        "after {}'s {op:?} on {}: the object should be {}, GET answers {} {}",
                        caller.name,
                        coll.alias,
                        if present { "there" } else { "gone" },
                        reply.status,
                        reply.text()
                    ));
                }
            }
        }
    }

    // No body carries an object id from a collection the caller cannot
    // read, nor the id or alias of a collection it cannot see, unless the
    // caller put it in its own request.
    for s in &seen {
        let caller = &callers[s.caller];
        for (k, coll) in colls.iter().enumerate() {
            let access = caller.access.map_or(N, |a| a[k]);
            let mut secrets: Vec<&str> = Vec::new();
            if !access.read() {
                secrets.extend(coll.ids.iter().map(String::as_str));
            }
            if !access.visible() {
                secrets.extend([coll.id.as_str(), coll.alias]);
            }
            for secret in secrets {
                if contains(&s.body, secret) && !contains(&s.request, secret) {
                    failures.push(format!(
                        "{}: the body shows {secret} (of {}), which {} may not see: {}",
                        s.what,
                        coll.alias,
                        caller.name,
                        String::from_utf8_lossy(&s.body)
                    ));
                }
            }
        }
    }

    // TLP:RED over HTTP: refused by a collection a peer reads, accepted by
    // an internal one.
    for (n, marking) in [(3001, TLP1_RED), (3002, TLP2_RED)] {
        let red = red_indicator(n, SALT, marking);
        let red_id = id_of(&red);
        let into_shared = post_objects(&colls[1].id, &writer_auth, std::slice::from_ref(&red));
        let reply = must_send(&server, &into_shared);
        let what = format!("POST {red_id} marked {marking} into ops-shared-read");
        match reply.json() {
            Ok(status) if reply.status == 202 => {
                let message = status["failures"][0]["message"].as_str().unwrap_or("");
                if status["status"] != "complete"
                    || status["success_count"] != 0
                    || status["failure_count"] != 1
                    || status["failures"][0]["id"] != red_id.as_str()
                    || !message.contains("TLP:RED")
                {
                    failures.push(format!(
                        "{what}: expected one failure naming TLP:RED, got {status}"
                    ));
                }
            }
            _ => failures.push(format!("{what}: {} {}", reply.status, reply.text())),
        }
        let check = get_object(&colls[1].id, &red_id, &writer_auth);
        let reply = must_send(&server, &check);
        if reply.status != 404 {
            failures.push(format!(
                "{what}: the refused object is served: {} {}",
                reply.status,
                reply.text()
            ));
        }
        let as_bravo = taxii(
            "GET",
            format!("/api/collections/{}/objects/", colls[1].id),
            Some(&bearer(&bravo)),
        );
        let reply = must_send(&server, &as_bravo);
        if contains(&reply.body, &red_id) {
            failures.push(format!("{what}: bravo sees it: {}", reply.text()));
        }

        let into_internal = post_objects(&colls[0].id, &writer_auth, std::slice::from_ref(&red));
        let reply = must_send(&server, &into_internal);
        let what = format!("POST {red_id} marked {marking} into ops-internal");
        match reply.json() {
            Ok(status) if reply.status == 202 && status["success_count"] == 1 => {}
            _ => failures.push(format!(
                "{what}: expected one success, got {} {}",
                reply.status,
                reply.text()
            )),
        }
        let check = get_object(&colls[0].id, &red_id, &writer_auth);
        let reply = must_send(&server, &check);
        if reply.status != 200 || !contains(&reply.body, &red_id) {
            failures.push(format!(
                "{what}: not served after: {} {}",
                reply.status,
                reply.text()
            ));
        }
    }

    assert!(
        server.alive(),
        "the node died during the matrix\n{}",
        server.log_text()
    );
    stop(server, "after the access matrix");
    // The audiences are what `user add` made them; the hand edits changed none.
    let list = collection_list(&data);
    for (alias, audience, writers) in [
        ("ops-internal", json!([]), json!([])),
        ("ops-shared-read", json!(["bravo"]), json!([])),
        ("ops-shared-write", json!([]), json!(["bravo"])),
        ("ops-red", json!([]), json!([])),
    ] {
        match listed(&list, alias) {
            Some(e) if e["audience"] == audience && e["writers"] == writers => {}
            other => failures.push(format!(
                "{alias}: expected audience {audience} and writers {writers}, got {other:?}"
            )),
        }
    }
    audit_deep(&data, "after the access matrix");

    assert_no_failures(&failures, "");
}

/// What is wrong with a successful reply to `op`.
fn success_problems(op: Op, reply: &Reply, coll: &Coll, access: Access) -> Vec<String> {
    let mut problems = Vec::new();
    let content_type = reply.header("content-type").unwrap_or("");
    let wanted = match op {
        Op::LogCheckpoint => "text/plain",
        Op::LogTile => "application/octet-stream",
        Op::LogProof => "application/json",
        _ => TAXII,
    };
    let type_ok = if wanted == TAXII {
        content_type == TAXII
    } else {
        content_type.starts_with(wanted)
    };
    if !type_ok {
        problems.push(format!("Content-Type {content_type:?}, expected {wanted}"));
    }
    // DELETE answers 200 with no body.
    if op == Op::DeleteObject {
        return problems;
    }
    if matches!(op, Op::LogCheckpoint | Op::LogTile) {
        if reply.body.is_empty() {
            problems.push("empty body".into());
        }
        return problems;
    }
    let body = match reply.json() {
        Ok(body) => body,
        Err(e) => {
            problems.push(e);
            return problems;
        }
    };
    let object_ids = |list: &Value| -> Vec<String> {
        list.as_array()
            .map(|l| {
                l.iter()
                    .map(|o| o["id"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    match op {
        Op::GetCollection | Op::GetCollectionByAlias => {
            if body["id"] != coll.id.as_str()
                || body["can_read"] != access.read()
                || body["can_write"] != access.write()
            {
                problems.push(format!(
                    "expected id {} and {access:?}, got {body}",
                    coll.id
                ));
            }
        }
        Op::GetObjects | Op::GetManifest => {
            let ids = object_ids(&body["objects"]);
            if !ids.contains(&coll.probe) {
                problems.push(format!("{} is missing: {body}", coll.probe));
            }
            for id in ids.iter().filter(|id| !coll.ids.contains(id)) {
                problems.push(format!("{id} is not an object of {}", coll.alias));
            }
        }
        Op::GetObject => {
            let ids = object_ids(&body["objects"]);
            if ids.is_empty() || ids.iter().any(|id| id != &coll.probe) {
                problems.push(format!("expected {} only, got {ids:?}", coll.probe));
            }
        }
        Op::GetVersions => {
            if body["versions"].as_array().is_none_or(Vec::is_empty) {
                problems.push(format!("no versions: {body}"));
            }
        }
        Op::PostObjects => {
            if body["status"] != "complete" || body["success_count"] != 1 {
                problems.push(format!("expected one success: {body}"));
            }
        }
        Op::LogProof => {
            if body["format"] != "entente-proof/v1"
                || body["object_id"] != coll.probe.as_str()
                || body["collection"] != coll.id.as_str()
            {
                problems.push(format!("not a proof of {}: {body}", coll.probe));
            }
        }
        Op::Status => {
            if body["id"] != coll.status.as_str() {
                problems.push(format!("not status {}: {body}", coll.status));
            }
        }
        Op::DeleteObject | Op::LogCheckpoint | Op::LogTile => {}
    }
    problems
}

// ---------------------------------------------------------------------------
// 2. Hostile requests.

/// What a hostile request must get.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// This TAXII error.
    Error(u16),
    /// A TAXII error with one of these statuses.
    ErrorOneOf(&'static [u16]),
    /// 202 with a status resource where every one of this many objects failed.
    Refused(u64),
    /// Refused by hyper before any handler runs: a bare response with one of
    /// these statuses, or the connection closed without one. No TAXII body
    /// is required here: the request never reached the application.
    HttpLayer(&'static [u16]),
}

struct Case {
    name: String,
    request: Vec<u8>,
    half_close: bool,
    expect: Expect,
}

/// What is wrong with the outcome of `case` (empty: nothing).
fn case_problems(case: &Case, outcome: std::io::Result<Vec<u8>>) -> Vec<String> {
    let raw = match outcome {
        Ok(raw) => raw,
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            return vec![format!("no answer within {IO_TIMEOUT:?}: {e}")];
        }
        Err(e) => {
            return match case.expect {
                Expect::HttpLayer(_) => Vec::new(),
                _ => vec![format!("the connection failed: {e}")],
            };
        }
    };
    if raw.is_empty() {
        return match case.expect {
            Expect::HttpLayer(_) => Vec::new(),
            _ => vec!["the connection was closed without an answer".into()],
        };
    }
    let reply = match parse_reply(&raw) {
        Ok(reply) => reply,
        Err(e) => return vec![e],
    };
    let mut problems = Vec::new();
    if reply.trailing != 0 {
        problems.push(format!(
            "{} bytes after the response (a second response?): {:?}",
            reply.trailing,
            String::from_utf8_lossy(&raw[raw.len() - reply.trailing..])
        ));
    }
    match case.expect {
        Expect::Error(status) => problems.extend(taxii_error_problems(&reply, status)),
        Expect::ErrorOneOf(statuses) => {
            if statuses.contains(&reply.status) {
                problems.extend(taxii_error_problems(&reply, reply.status));
            } else {
                problems.push(format!(
                    "status {} instead of one of {statuses:?}: {}",
                    reply.status,
                    reply.text()
                ));
            }
        }
        Expect::Refused(count) => {
            if reply.status != 202 || reply.header("content-type") != Some(TAXII) {
                problems.push(format!(
                    "expected 202 {TAXII}, got {} {:?}: {}",
                    reply.status,
                    reply.header("content-type"),
                    reply.text()
                ));
            } else {
                match reply.json() {
                    Ok(status) => {
                        if status["status"] != "complete"
                            || status["total_count"] != count
                            || status["failure_count"] != count
                            || status["success_count"] != 0
                            || status.get("successes").is_some()
                        {
                            problems.push(format!(
                                "expected all {count} object(s) to fail, got {status}"
                            ));
                        }
                    }
                    Err(e) => problems.push(e),
                }
            }
        }
        Expect::HttpLayer(statuses) => {
            if !statuses.contains(&reply.status) {
                problems.push(format!(
                    "status {} instead of one of {statuses:?} (or a closed connection): {}",
                    reply.status,
                    reply.text()
                ));
            }
        }
    }
    if !problems.is_empty() {
        problems.push(format!("(answer: {} {})", reply.status, reply.text()));
    }
    problems
}

/// The hostile node's maximum body size.
const MAX_BODY: usize = 65536;

/// Every hostile request, built for the node at `addr`.
fn hostile_cases(addr: &str, token: &str, reader: &str, coll: &str, probe: &str) -> Vec<Case> {
    let auth = bearer(token);
    let objects = format!("/api/collections/{coll}/objects/");
    let manifest = format!("/api/collections/{coll}/manifest/");
    let object = format!("/api/collections/{coll}/objects/{probe}/");
    let versions = format!("/api/collections/{coll}/objects/{probe}/versions/");
    let log = format!("/api/collections/{coll}/log");
    let get = |target: &str| taxii("GET", target, Some(&auth));
    let post = |body: &[u8]| taxii_post(objects.as_str(), &auth, body);
    // A POST whose framing headers are these, whatever the body.
    let framed = |body: &[u8], headers: &[(&str, &str)]| {
        let mut request = post(body).framed_by_hand();
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request
    };
    // A valid object that is never stored: it only travels with requests that
    // must be refused before it is looked at.
    let fresh = envelope(&[indicator(1, 0xbad, 10)]);
    let mut cases: Vec<Case> = Vec::new();
    let mut add = |name: &str, request: Request, expect: Expect| {
        cases.push(Case {
            name: format!("{name} ({})", request.describe()),
            half_close: request.half_close,
            request: request.bytes(addr),
            expect,
        });
    };
    let deep = |n: usize, open: &str, close: &str, inner: &str| {
        format!("{}{inner}{}", open.repeat(n), close.repeat(n))
    };

    // Bodies that are not JSON, or not one JSON value: 400.
    let not_json: Vec<(&str, Vec<u8>)> = vec![
        ("an open brace", b"{".to_vec()),
        ("a truncated envelope", b"{\"objects\": [".to_vec()),
        (
            "a truncated object",
            b"{\"objects\": [{\"type\": \"indicator\"".to_vec(),
        ),
        ("an empty body", Vec::new()),
        ("whitespace", b"   \r\n ".to_vec()),
        ("trailing garbage", b"{\"objects\": []} trailing".to_vec()),
        ("two documents", b"{\"objects\": []}{}".to_vec()),
        (
            "a repeated member",
            format!(
                "{{\"objects\": [], \"objects\": {}}}",
                &fresh[11..fresh.len() - 1]
            )
            .into_bytes(),
        ),
        ("10,000 [", "[".repeat(10_000).into_bytes()),
        (
            "an envelope nested 10,000 deep",
            format!("{{\"objects\":{}}}", deep(10_000, "[", "]", "")).into_bytes(),
        ),
        (
            "objects nested 10,000 deep",
            deep(10_000, "{\"a\":", "}", "1").into_bytes(),
        ),
        ("invalid UTF-8", b"{\"objects\": [\"\xff\xfe\"]}".to_vec()),
        ("NaN", b"{\"objects\": [NaN]}".to_vec()),
        ("single quotes", b"{'objects': []}".to_vec()),
        ("a comment", b"{/* x */ \"objects\": []}".to_vec()),
        (
            "a byte order mark",
            [b"\xef\xbb\xbf".as_slice(), fresh.as_bytes()].concat(),
        ),
        ("NUL bytes", b"\0\0\0\0".to_vec()),
        (
            "a number out of range",
            b"{\"objects\": [1e999999]}".to_vec(),
        ),
        ("a lone surrogate", b"{\"objects\": [\"\\ud800\"]}".to_vec()),
        (
            "a control character in a string",
            b"{\"objects\": [\"a\x01b\"]}".to_vec(),
        ),
        (
            "exactly max_content_length bytes, not JSON",
            [b"{".as_slice(), &vec![b' '; MAX_BODY - 1]].concat(),
        ),
    ];
    for (name, body) in not_json {
        add(&format!("body: {name}"), post(&body), Expect::Error(400));
    }

    // JSON that is not an envelope: 422.
    for body in [
        "null",
        "[]",
        "\"objects\"",
        "42",
        "true",
        "{}",
        "{\"objects\": null}",
        "{\"objects\": {}}",
        "{\"objects\": \"x\"}",
        "{\"objects\": 5}",
        "{\"objects\": true}",
        "{\"Objects\": [{}]}",
    ] {
        add(
            &format!("not an envelope: {body}"),
            post(body.as_bytes()),
            Expect::Error(422),
        );
    }
    add(
        "an array of envelopes",
        post(format!("[{fresh}]").as_bytes()),
        Expect::Error(422),
    );

    // Too large: 413, whatever the framing. The declared lengths are sent
    // without the body: the server must answer from the headers alone.
    let one_over = (MAX_BODY + 1).to_string();
    let mut big = Vec::new();
    for _ in 0..(MAX_BODY / 4096 + 2) {
        big.extend_from_slice(format!("1000\r\n{}\r\n", " ".repeat(4096)).as_bytes());
    }
    big.extend_from_slice(b"0\r\n\r\n");
    for (name, body, headers) in [
        (
            "Content-Length one over the maximum, no body sent",
            &b""[..],
            &[("Content-Length", one_over.as_str())][..],
        ),
        (
            "Content-Length of a terabyte, no body sent",
            b"",
            &[("Content-Length", "1000000000000")],
        ),
        (
            "Content-Length over the maximum with Expect: 100-continue",
            b"",
            &[("Content-Length", "10000000"), ("Expect", "100-continue")],
        ),
        (
            "a chunked body over the maximum",
            &big,
            &[("Transfer-Encoding", "chunked")],
        ),
    ] {
        add(name, framed(body, headers), Expect::Error(413));
    }

    // Envelopes whose every object is refused: 202, all failures, nothing stored.
    let mut bad_objects: Vec<(&str, Value)> = vec![
        ("a number", json!(1)),
        ("null", Value::Null),
        ("a string", json!("indicator")),
        ("a list", json!([])),
        ("a boolean", json!(true)),
        ("an empty object", json!({})),
        ("a type only", json!({"type": "indicator"})),
    ];
    let base = indicator(2, 0xbad, 10);
    let with = |changes: &[(&str, Value)]| {
        let mut object = base.clone();
        for (key, value) in changes {
            if value.is_null() {
                if let Some(o) = object.as_object_mut() {
                    o.remove(*key);
                }
            } else {
                object[*key] = value.clone();
            }
        }
        object
    };
    for (name, changes) in [
        ("no id", vec![("id", Value::Null)]),
        (
            "an id without a UUID",
            vec![("id", json!("indicator--not-a-uuid"))],
        ),
        (
            "an id of another type",
            vec![("id", json!("malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"))],
        ),
        ("a numeric id", vec![("id", json!(5))]),
        ("no type", vec![("type", Value::Null)]),
        ("a numeric type", vec![("type", json!(5))]),
        ("an upper-case type", vec![("type", json!("Indicator"))]),
        ("spec_version 2.0", vec![("spec_version", json!("2.0"))]),
        ("no spec_version", vec![("spec_version", Value::Null)]),
        ("created yesterday", vec![("created", json!("yesterday"))]),
        (
            "created without a time",
            vec![("created", json!("2026-01-01"))],
        ),
        (
            "created on 30 February",
            vec![("created", json!("2026-02-30T00:00:00Z"))],
        ),
        ("a numeric created", vec![("created", json!(12))]),
        (
            "modified before created",
            vec![("modified", json!("2025-01-01T00:00:00.000Z"))],
        ),
        (
            "a broken pattern",
            vec![("pattern", json!("[not a pattern"))],
        ),
        ("no pattern", vec![("pattern", Value::Null)]),
        ("no pattern_type", vec![("pattern_type", Value::Null)]),
        (
            "valid_from not a time",
            vec![("valid_from", json!("not a time"))],
        ),
        ("labels not a list", vec![("labels", json!("x"))]),
        (
            "a bad marking reference",
            vec![("object_marking_refs", json!(["not-a-ref"]))],
        ),
        (
            "external_references not a list",
            vec![("external_references", json!("x"))],
        ),
        ("confidence 101", vec![("confidence", json!(101))]),
        ("revoked not a boolean", vec![("revoked", json!("yes"))]),
        (
            "a created_by_ref without a UUID",
            vec![("created_by_ref", json!("identity--x"))],
        ),
        (
            "a bad id and 30 kB of description",
            vec![
                ("id", json!("indicator--x")),
                ("description", json!("d".repeat(30_000))),
            ],
        ),
    ] {
        bad_objects.push((name, with(&changes)));
    }
    bad_objects.push((
        "a relationship without source_ref",
        json!({
            "type": "relationship", "spec_version": "2.1",
            "id": "relationship--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "relationship_type": "indicates",
            "target_ref": "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
        }),
    ));
    for (name, object) in &bad_objects {
        add(
            &format!("an envelope of one invalid object: {name}"),
            post(envelope(std::slice::from_ref(object)).as_bytes()),
            Expect::Refused(1),
        );
    }
    let all: Vec<Value> = bad_objects.iter().map(|(_, o)| o.clone()).collect();
    add(
        "an envelope of every invalid object",
        post(envelope(&all).as_bytes()),
        Expect::Refused(all.len() as u64),
    );
    let many: Vec<Value> = (0..200).map(|i| json!(i)).collect();
    add(
        "an envelope of 200 numbers",
        post(envelope(&many).as_bytes()),
        Expect::Refused(200),
    );
    // An empty envelope is accepted, and stores nothing.
    add(
        "an empty envelope",
        post(b"{\"objects\": []}"),
        Expect::Refused(0),
    );

    // Bad query parameters: 400.
    let b64 = |s: &str| URL_SAFE_NO_PAD.encode(s);
    let mut queries: Vec<(String, String)> = Vec::new();
    for q in [
        "added_after=yesterday",
        "added_after=2020-01-01",
        "added_after=2020-13-01T00:00:00Z",
        "added_after=2020-01-01T25:00:00Z",
        "added_after=2020-02-30T00:00:00Z",
        "added_after=",
        "added_after=%00",
        "added_after=%FF%FE",
        "added_after=2020-01-01T00:00:00Z&added_after=2020-01-02T00:00:00Z",
        "limit=0",
        "limit=-1",
        "limit=ten",
        "limit=1.5",
        "limit=0x10",
        "limit=%201",
        "limit=99999999999999999999999",
        "limit=",
        "limit=1&limit=2",
        "match[version]=newest",
        "match[version]=",
        "match[version]=2020-02-30T00:00:00Z",
        "match[version]=first,bogus",
        "match%5Bversion%5D=yesterday",
        "match[id]=",
        "match[type]=,",
        "match[spec_version]=",
        "next=garbage!",
        "next=",
        "next=YWZ0ZXI6MQ==",
        "next=ab+/cd",
        "next=%FF",
        "next=YWZ0ZXI6MQ&next=YWZ0ZXI6Mg",
    ] {
        queries.push((objects.clone(), q.to_owned()));
    }
    for forged in [
        "after:x",
        "before:1",
        "after:",
        "after:99999999999999999999",
        "after:1\n",
        "AFTER:1",
        "after: 1",
    ] {
        queries.push((objects.clone(), format!("next={}", b64(forged))));
    }
    queries.push((objects.clone(), format!("next={}", "A".repeat(10_000))));
    queries.push((manifest.clone(), "limit=0".into()));
    queries.push((manifest.clone(), "added_after=never".into()));
    queries.push((versions.clone(), "next=garbage!".into()));
    queries.push((versions.clone(), "limit=none".into()));
    queries.push((object.clone(), "match[version]=newest".into()));
    queries.push((object.clone(), "added_after=soon".into()));
    for (path, query) in &queries {
        add(
            "a bad query parameter",
            get(&format!("{path}?{query}")),
            Expect::Error(400),
        );
    }
    add(
        "DELETE of some versions only",
        taxii(
            "DELETE",
            format!("{object}?match[version]=first"),
            Some(&auth),
        ),
        Expect::Error(400),
    );

    // Paths that lead nowhere: 404.
    let nowhere = [
        "/api/collections/../".to_owned(),
        "/api/collections/%2e%2e/".into(),
        "/api/collections/%2E%2E/objects/".into(),
        format!("/api/collections/{coll}%2Fobjects/"),
        format!("/api/collections/{coll}/objects/..%2F..%2Fstatus/"),
        format!("/api/collections/{coll}/objects/%2e%2e/"),
        "/api/../api/collections/".into(),
        "/api/%2e%2e/taxii2/".into(),
        "//api/collections/".into(),
        "/api/collections//objects/".into(),
        "/api/collections/%00/".into(),
        "/api2/".into(),
        "/taxii2/api/".into(),
        "/API/".into(),
        "/api/v21/collections/".into(),
        "/api/status/not-a-status/".into(),
        "/api/status/8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f/".into(),
        "/api/collections/8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f/objects/".into(),
        "/api/collections/no-such-alias/manifest/".into(),
        format!("{log}/tile/../../../../etc/passwd"),
        format!("{log}/tile/0/x001"),
        format!("{log}/tile/entries/999999999"),
        format!("{log}/tile/0/000.p/0"),
        format!("{log}/tile/0/000.p/300"),
        format!("{log}/tile/63/000"),
        format!("{log}/tile/"),
        format!("{log}/proof/indicator--00000000-0000-4000-8000-000000000000/"),
        format!("{log}/proof/{probe}/?version=garbage"),
        format!("{log}/checkpoint/../../objects/"),
        format!("/api/collections/{coll}/objects/indicator--00000000-0000-4000-8000-000000000000/"),
        format!("/api/collections/{coll}/objects/{}/", "a".repeat(8_000)),
        format!("/api/collections/{}/", "a".repeat(60_000)),
    ];
    for target in &nowhere {
        add("a path that leads nowhere", get(target), Expect::Error(404));
    }
    // Percent-encoded bytes that are not UTF-8, in a path parameter: the
    // collection or object cannot exist (404), or the path is bad (400).
    for target in [
        "/api/collections/%FF/".to_owned(),
        format!("/api/collections/{coll}/objects/%FF%FE/"),
        format!("/api/collections/{coll}/objects/%C0%AF/"),
        format!("{log}/tile/%FF"),
    ] {
        add(
            "a path parameter that is not UTF-8",
            get(&target),
            Expect::ErrorOneOf(&[400, 404]),
        );
    }

    // Credentials: 401.
    let mut credentials: Vec<(&str, Vec<u8>)> = vec![
        ("Basic with bad base64", b"Basic !!!".to_vec()),
        ("Basic with nothing", b"Basic ".to_vec()),
        ("Basic without a colon", b"Basic Zm9v".to_vec()),
        (
            "Basic that is not UTF-8",
            format!("Basic {}", STANDARD.encode(b"\xff\xfe:x")).into_bytes(),
        ),
        ("Digest", b"Digest username=\"writer\"".to_vec()),
        ("an empty header", Vec::new()),
        ("Bearer without a token", b"Bearer".to_vec()),
        ("a wrong Bearer token", bearer("ent_wrong").into_bytes()),
        (
            "a Bearer token with a byte more",
            bearer(&format!("{token}x")).into_bytes(),
        ),
        ("another user's token", basic("reader", token).into_bytes()),
        (
            "the reader's token under the writer's name",
            basic("writer", reader).into_bytes(),
        ),
        ("an empty user name", basic("", token).into_bytes()),
        (
            "a user without a password",
            basic("writer", "").into_bytes(),
        ),
        (
            "a Bearer token that is not ASCII",
            b"Bearer \xff\xfe".to_vec(),
        ),
        (
            "a 100 kB Bearer token",
            bearer(&"A".repeat(100_000)).into_bytes(),
        ),
        (
            "an unknown scheme with the token",
            format!("Token {token}").into_bytes(),
        ),
        (
            "NTLM",
            b"NTLM TlRMTVNTUAABAAAAB4IIAAAAAAAAAAAAAAAAAAAAAAA=".to_vec(),
        ),
    ];
    credentials.push(("the scheme alone", b"Basic".to_vec()));
    for (name, value) in credentials {
        add(
            &format!("credentials: {name}"),
            taxii("GET", "/api/collections/", Option::None).header("Authorization", value),
            Expect::Error(401),
        );
    }
    add(
        "no credentials",
        taxii("GET", objects.as_str(), Option::None),
        Expect::Error(401),
    );
    add(
        "a wrong Authorization before a right one",
        taxii("GET", "/api/collections/", Option::None)
            .header("Authorization", "Bearer ent_wrong")
            .header("Authorization", &auth),
        Expect::Error(401),
    );
    add(
        "an absolute-form target without credentials",
        taxii("GET", "http://evil.example/api/collections/", Option::None),
        Expect::Error(401),
    );
    add(
        "an h2c upgrade without credentials",
        taxii("GET", "/api/collections/", Option::None)
            .header("Upgrade", "h2c")
            .header("HTTP2-Settings", "AAMAAABkAARAAAAAAAIAAAAA"),
        Expect::Error(401),
    );

    // Accept: 406.
    for accept in [
        "text/html",
        "application/taxii+json;version=2.0",
        "application/taxii+json;version=\"2.0\"",
        "application/xml",
        "application/taxii+json;q=0",
        "*/*;q=0",
        "",
        ";;;,,,",
        "application/stix+json;version=2.1",
    ] {
        add(
            &format!("Accept {accept:?}"),
            Request::new("GET", "/api/collections/")
                .header("Authorization", &auth)
                .header("Accept", accept),
            Expect::Error(406),
        );
    }
    add(
        "a 10 kB Accept",
        Request::new("GET", objects.as_str())
            .header("Authorization", &auth)
            .header("Accept", "a".repeat(10_000)),
        Expect::Error(406),
    );

    // Content-Type of a POST: 415, with a valid envelope that must not be stored.
    for content_type in [
        Some("application/json"),
        Some("text/plain"),
        Some("application/taxii+json;version=2.0"),
        Some("application/stix+json;version=2.1"),
        Some("multipart/form-data; boundary=x"),
        Some("application/taxii+jsonx"),
        Some("application/x-www-form-urlencoded"),
        Some("xapplication/taxii+json"),
        Some(""),
        Option::None,
    ] {
        let request = Request::new("POST", objects.as_str())
            .header("Authorization", &auth)
            .header("Accept", TAXII)
            .body(fresh.as_bytes());
        let request = match content_type {
            Some(value) => request.header("Content-Type", value),
            Option::None => request,
        };
        add(
            &format!("Content-Type {content_type:?}"),
            request,
            Expect::Error(415),
        );
    }

    // Methods a resource does not have: 405.
    for (method, target) in [
        ("PUT", "/api/collections/".to_owned()),
        ("PATCH", objects.clone()),
        ("DELETE", format!("/api/collections/{coll}/")),
        ("DELETE", objects.clone()),
        ("POST", "/taxii2/".into()),
        ("POST", manifest.clone()),
        ("DELETE", "/api/".into()),
        ("PUT", object.clone()),
        ("POST", format!("{log}/checkpoint")),
        ("OPTIONS", "/api/".into()),
        ("TRACE", "/api/".into()),
        ("FOO", "/api/".into()),
        ("get", "/api/".into()),
        ("POST", "/healthz".into()),
    ] {
        add(
            "a method the resource does not have",
            taxii(method, target, Some(&auth)).body(fresh.as_bytes()),
            Expect::Error(405),
        );
    }

    // Framing tricks. With both Content-Length and Transfer-Encoding, hyper
    // reads the chunked body and closes the connection after answering: the
    // request smuggled behind it must get no response of its own.
    let smuggled =
        format!("GET /api/collections/ HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {auth}\r\n\r\n");
    let chunked_body = format!("5\r\n{{\"a\":\r\n0\r\n\r\n{smuggled}");
    let pipelined = format!("{{{smuggled}");
    for (name, body, headers) in [
        (
            "Content-Length then Transfer-Encoding, a request smuggled behind",
            &chunked_body,
            &[("Content-Length", "4"), ("Transfer-Encoding", "chunked")][..],
        ),
        (
            "Transfer-Encoding then Content-Length, a request smuggled behind",
            &chunked_body,
            &[("Transfer-Encoding", "chunked"), ("Content-Length", "200")],
        ),
        (
            "a request pipelined behind Connection: close",
            &pipelined,
            &[("Content-Length", "1")],
        ),
    ] {
        add(name, framed(body.as_bytes(), headers), Expect::Error(400));
    }
    let chunked = [("Transfer-Encoding", "chunked")];
    for (name, request) in [
        (
            "two different Content-Lengths",
            framed(
                b"{\"a\"}",
                &[("Content-Length", "5"), ("Content-Length", "6")],
            ),
        ),
        (
            "a negative Content-Length",
            framed(b"{\"a\"}", &[("Content-Length", "-1")]),
        ),
        (
            "a Content-Length over u64",
            framed(b"{\"a\"}", &[("Content-Length", "99999999999999999999999")]),
        ),
        (
            "a Content-Length that is not a number",
            framed(b"{\"a\"}", &[("Content-Length", "abc")]),
        ),
        (
            "Transfer-Encoding not ending in chunked",
            framed(b"{\"a\"}", &[("Transfer-Encoding", "chunked, identity")]),
        ),
        (
            "an unknown Transfer-Encoding",
            framed(b"{\"a\"}", &[("Transfer-Encoding", "xchunked")]),
        ),
        (
            "Transfer-Encoding in HTTP/1.0",
            framed(b"5\r\n{\"a\":\r\n0\r\n\r\n", &chunked).version("HTTP/1.0"),
        ),
        (
            "a bad chunk size",
            framed(b"zz\r\n{}\r\n0\r\n\r\n", &chunked),
        ),
        (
            "a body shorter than its Content-Length",
            framed(b"{\"objects\"", &[("Content-Length", "100")]).half_close(),
        ),
        // Requests hyper refuses before the application sees them.
        (
            "a folded header line",
            get("/api/").header("X-Folded", "a\r\n b"),
        ),
        (
            "a header name with a space",
            get("/api/").header("Bad Header", "x"),
        ),
        ("a NUL in the path", get("/api/\0/")),
        (
            "a raw 0xFF byte in the query",
            Request::new("GET", [objects.as_bytes(), b"?match[id]=\xff"].concat())
                .header("Authorization", &auth),
        ),
        ("a space in the path", get("/api/ collections/")),
        ("HTTP/1.2", get("/api/").version("HTTP/1.2")),
        (
            "HTTP/2.0 in an HTTP/1 request line",
            get("/api/").version("HTTP/2.0"),
        ),
    ] {
        add(name, request, Expect::HttpLayer(&[400]));
    }
    // Over hyper's limits: it answers 414 or 431 itself (or just closes).
    add(
        "a path of 70,000 bytes",
        get(&format!("/api/collections/{}/", "a".repeat(70_000))),
        Expect::HttpLayer(&[400, 414]),
    );
    let mut many_headers = get("/api/");
    for i in 0..120 {
        many_headers = many_headers.header(&format!("X-Header-{i}"), "x");
    }
    add("120 headers", many_headers, Expect::HttpLayer(&[400, 431]));
    add(
        "a header of 1 MB",
        get("/api/").header("X-Big", "b".repeat(1 << 20)),
        Expect::HttpLayer(&[400, 431]),
    );
    let raw_cases: [(&str, &[u8]); 6] = [
        ("an HTTP/0.9 request", b"GET /api/\r\n\r\n"),
        (
            "a TLS ClientHello",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        ),
        ("a request line of spaces", b"   \r\n\r\n"),
        (
            "extra spaces in the request line",
            b"GET  /api/  HTTP/1.1\r\nHost: x\r\n\r\n",
        ),
        (
            "a header without a colon",
            b"GET /api/ HTTP/1.1\r\nHost x\r\n\r\n",
        ),
        (
            "a bare CR in a header value",
            b"GET /api/ HTTP/1.1\r\nX-A: a\rb\r\n\r\n",
        ),
    ];
    for (name, raw) in raw_cases {
        cases.push(Case {
            name: name.to_owned(),
            request: raw.to_vec(),
            half_close: true,
            expect: Expect::HttpLayer(&[400]),
        });
    }
    cases
}

#[cfg(unix)]
#[test]
fn hostile_requests() {
    let (tmp, data, _vkey) = new_node();
    let seeded: Vec<Value> = (0..5).map(|n| indicator(n, 0x5eed, 50)).collect();
    publish(&data, tmp.path(), "default", &seeded);
    let probe = id_of(&seeded[0]);
    let token = add_user(&data, "writer", &READ_WRITE_DEFAULT);
    let reader = add_user(&data, "reader", &["--read", "default"]);
    edit_config(&data, |config| {
        config.server.max_content_length = Some(MAX_BODY)
    });

    let mut server = start_server(&data, tmp.path().join("hostile.log"));
    let auth = bearer(&token);
    let root = must_send(&server, &taxii("GET", "/api/", Some(&auth)));
    let root = root.json().unwrap_or_else(|e| panic!("GET /api/: {e}"));
    assert_eq!(
        root["max_content_length"], MAX_BODY,
        "[server] max_content_length was not applied: {root}"
    );
    let coll = default_collection_id(&server, &auth);
    let checkpoint = |server: &Node| {
        let reply = must_send(
            server,
            &Request::new("GET", format!("/api/collections/{coll}/log/checkpoint"))
                .header("Authorization", &auth),
        );
        assert_eq!(reply.status, 200, "checkpoint: {}", reply.text());
        reply.body
    };
    let before = checkpoint(&server);

    let cases = hostile_cases(server.authority(), &token, &reader, &coll, &probe);
    assert!(cases.len() >= 100, "only {} hostile requests", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let outcome = exchange(server.authority(), case.request.clone(), case.half_close);
        // Shown when the test fails: what each request got.
        match &outcome {
            Ok(raw) => eprintln!(
                "{}: {:?}",
                case.name,
                String::from_utf8_lossy(raw)
                    .lines()
                    .next()
                    .unwrap_or("(closed)")
            ),
            Err(e) => eprintln!("{}: {e}", case.name),
        }
        report(&mut failures, &case.name, case_problems(case, outcome));
        assert!(
            server.alive(),
            "the node died on: {}\n{}\nproblems so far:\n{}",
            case.name,
            server.log_text(),
            failures.join("\n")
        );
    }
    eprintln!("{} hostile requests sent", cases.len());

    let health = must_send(&server, &Request::new("GET", "/healthz"));
    assert_eq!(health.status, 200, "/healthz after the hostile requests");
    let after = checkpoint(&server);
    if before != after {
        failures.push(format!(
            "the log changed:\nbefore:\n{}\nafter:\n{}",
            String::from_utf8_lossy(&before),
            String::from_utf8_lossy(&after)
        ));
    }
    stop(server, "after the hostile requests");
    audit_deep(&data, "after the hostile requests");
    assert_no_failures(&failures, &format!(" in {} hostile requests", cases.len()));
}

// ---------------------------------------------------------------------------
// 3. Acknowledged writes survive SIGKILL.

const KILL_RUNS: u64 = 5;
const POSTERS: u64 = 2;
/// The most POSTs one poster sends in a run (the kill usually comes first).
const POSTS_PER_POSTER: u64 = 2000;

/// What one poster learnt from one POST.
enum Posted {
    /// 202: these (id, version) were reported as successes.
    Acked(Vec<(String, String)>),
    /// A complete answer that is not a 202 with every object a success.
    Wrong(String),
}

fn poster(
    addr: String,
    auth: String,
    coll: String,
    salt: u64,
    seed: u64,
    tx: mpsc::Sender<Posted>,
) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    for i in 0..POSTS_PER_POSTER {
        let count = rng.gen_range(1..=8u64);
        let objects: Vec<Value> = (0..count)
            .map(|n| indicator(n, salt + i, rng.gen_range(0..2000)))
            .collect();
        let request = post_objects(&coll, &auth, &objects);
        // No answer, or a cut one: the server is gone.
        let Ok(reply) = send(&addr, &request) else {
            return;
        };
        let outcome = match reply.json() {
            Ok(status) if reply.status == 202 => {
                let successes: Vec<(String, String)> = status["successes"]
                    .as_array()
                    .map(|l| {
                        l.iter()
                            .map(|s| {
                                let field = |k: &str| s[k].as_str().unwrap_or("").to_owned();
                                (field("id"), field("version"))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let sent: Vec<String> = objects.iter().map(id_of).collect();
                let got: Vec<String> = successes.iter().map(|(id, _)| id.clone()).collect();
                if got == sent && status["failure_count"] == 0 {
                    Posted::Acked(successes)
                } else {
                    Posted::Wrong(format!("sent {sent:?}, status {status}"))
                }
            }
            _ => Posted::Wrong(format!("{} {}", reply.status, reply.text())),
        };
        if tx.send(outcome).is_err() {
            return;
        }
    }
}

/// Every acknowledged (id, version) is served.
fn check_acked(
    server: &Node,
    auth: &str,
    coll: &str,
    acked: &[(String, String)],
    when: &str,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (id, version) in acked {
        let reply = must_send(server, &get_object(coll, id, auth));
        let found = reply.status == 200
            && reply.json().is_ok_and(|body| {
                body["objects"].as_array().is_some_and(|l| {
                    l.iter()
                        .any(|o| o["id"] == id.as_str() && o["modified"] == version.as_str())
                })
            });
        if !found {
            problems.push(format!(
                "{when}: acknowledged {id} version {version} is lost: {} {}",
                reply.status,
                reply.text()
            ));
        }
    }
    problems
}

#[cfg(unix)]
#[test]
fn acknowledged_posts_survive_kill() {
    let (tmp, data, _vkey) = new_node();
    let token = add_user(&data, "writer", &READ_WRITE_DEFAULT);
    let auth = bearer(&token);
    let seed = rand::random::<u64>();
    eprintln!("node kill test seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut all_acked: Vec<(String, String)> = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    let mut coll = String::new();

    for run in 0..KILL_RUNS {
        let mut server = start_server(&data, tmp.path().join(format!("kill-{run}.log")));
        if coll.is_empty() {
            coll = default_collection_id(&server, &auth);
        }
        let (tx, rx) = mpsc::channel();
        let posters: Vec<_> = (0..POSTERS)
            .map(|p| {
                let (addr, auth, coll, tx) = (
                    server.authority().to_owned(),
                    auth.clone(),
                    coll.clone(),
                    tx.clone(),
                );
                let salt = (run << 40) | (p << 32);
                let seed = rng.r#gen::<u64>();
                thread::spawn(move || poster(addr, auth, coll, salt, seed, tx))
            })
            .collect();
        drop(tx);
        // The kill comes at a random moment after the first acknowledgement.
        let first = rx.recv_timeout(STARTUP).unwrap_or_else(|e| {
            panic!(
                "run {run}: no POST was answered within {STARTUP:?} ({e})\n{}",
                server.log_text()
            )
        });
        thread::sleep(Duration::from_micros(rng.gen_range(0..400_000)));
        server.kill();
        for handle in posters {
            handle
                .join()
                .unwrap_or_else(|_| panic!("run {run}: a poster panicked"));
        }
        let mut acked: Vec<(String, String)> = Vec::new();
        for outcome in std::iter::once(first).chain(rx.try_iter()) {
            match outcome {
                Posted::Acked(objects) => acked.extend(objects),
                Posted::Wrong(what) => {
                    failures.push(format!("run {run}: a POST before the kill: {what}"))
                }
            }
        }
        assert!(
            !acked.is_empty(),
            "run {run}: nothing was acknowledged:\n{}",
            failures.join("\n")
        );
        audit_deep(&data, &format!("after SIGKILL in run {run}"));
        let server = start_server(&data, tmp.path().join(format!("restart-{run}.log")));
        failures.extend(check_acked(
            &server,
            &auth,
            &coll,
            &acked,
            &format!("after the kill of run {run}"),
        ));
        eprintln!(
            "run {run}: {} objects acknowledged before SIGKILL",
            acked.len()
        );
        all_acked.extend(acked);
        stop(server, &format!("run {run}"));
    }

    let server = start_server(&data, tmp.path().join("final.log"));
    failures.extend(check_acked(&server, &auth, &coll, &all_acked, "at the end"));
    stop(server, "at the end");
    audit_deep(&data, "at the end");
    assert_no_failures(&failures, &format!(", seed {seed}"));
}

/// A POST is judged as `entente publish` judges a file: a SHOULD finding is a
/// warning in the success's message, a MUST violation a failure; a strict
/// collection fails both, naming the rule.
#[test]
fn posted_shoulds_are_warnings_unless_the_collection_is_strict() {
    let (tmp, data, _vkey) = new_node();
    create_collection(&data, "authoring");
    run_expect(
        &data,
        &["collection", "set", "authoring", "--strict", "true"],
        0,
    );
    let token = add_user(
        &data,
        "writer",
        &[
            "--read",
            "default",
            "--write",
            "default",
            "--read",
            "authoring",
            "--write",
            "authoring",
        ],
    );
    let auth = bearer(&token);
    let server = start_server(&data, tmp.path().join("node.log"));

    // MITRE-style: a custom property, and no description.
    let mut custom = indicator(1, 77, 0);
    custom.as_object_mut().map(|o| o.remove("description"));
    custom["x_acme_score"] = json!(7);
    let mut must = indicator(2, 77, 0);
    must["confidence"] = json!(500);
    let objects = [custom.clone(), must.clone()];

    let status_of = |coll: &str| {
        let reply = must_send(&server, &post_objects(coll, &auth, &objects));
        assert_eq!(reply.status, 202, "POST to {coll}: {}", reply.text());
        reply
            .json()
            .unwrap_or_else(|e| panic!("POST to {coll}: {e}"))
    };
    let message = |list: &Value, id: &str| {
        list.as_array()
            .and_then(|l| l.iter().find(|d| d["id"] == id))
            .and_then(|d| d["message"].as_str())
            .map(str::to_owned)
    };

    let status = status_of("default");
    assert_eq!(status["success_count"], json!(1), "{status}");
    let said = message(&status["successes"], &id_of(&custom)).unwrap_or_default();
    assert!(
        said.starts_with("added at log index")
            && said.contains("warnings: ")
            && said.contains("$.x_acme_score")
            && said.contains("[custom-property]")
            && said.contains("[indicator-properties]"),
        "the success should carry its warnings: {status}"
    );
    let refused = message(&status["failures"], &id_of(&must)).unwrap_or_default();
    assert!(refused.contains("$.confidence"), "{status}");
    let reply = must_send(&server, &get_object("default", &id_of(&custom), &auth));
    let served = reply.json().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(served["objects"][0], custom, "served back as it came");

    let status = status_of("authoring");
    assert_eq!(status["success_count"], json!(0), "{status}");
    let refused = message(&status["failures"], &id_of(&custom)).unwrap_or_default();
    assert!(
        refused.contains("$.x_acme_score") && refused.contains("[custom-property]"),
        "a strict collection should refuse the custom property, naming the rule: {status}"
    );
    stop(server, "at the end");
}

/// A 401 never shows the credential it refused: a token sent without its
/// scheme, or with an unknown one, is not echoed in the error body.
#[test]
fn a_refused_credential_is_never_echoed() {
    let (tmp, data, _vkey) = new_node();
    let token = add_user(&data, "reader", &["--read", "default"]);
    let server = start_server(&data, tmp.path().join("node.log"));
    let mut failures = Vec::new();
    for header in [
        token.clone(),
        format!("Token {token}"),
        format!("Bearer {token}x"),
        format!("Basic {token}"),
    ] {
        let reply = must_send(&server, &taxii("GET", "/taxii2/", Some(&header)));
        report(
            &mut failures,
            &format!("Authorization: {header}"),
            taxii_error_problems(&reply, 401),
        );
        if reply.text().contains(&token) {
            failures.push(format!(
                "Authorization: {header}: the 401 echoes the token: {}",
                reply.text()
            ));
        }
    }
    stop(server, "at the end");
    assert_no_failures(&failures, "");
}

/// Discovery tells an authenticated partner the node's name and verifier key,
/// and says to compare the key out of band.
#[test]
fn discovery_names_the_node_and_its_key() {
    let (tmp, data, vkey) = new_node();
    let token = add_user(&data, "reader", &["--read", "default"]);
    let server = start_server(&data, tmp.path().join("node.log"));
    let reply = must_send(&server, &taxii("GET", "/taxii2/", Some(&bearer(&token))));
    let body = reply.json().unwrap_or_else(|e| panic!("discovery: {e}"));
    assert_eq!(
        body["x_entente_node"],
        json!("test.entente.example"),
        "{body}"
    );
    assert_eq!(body["x_entente_verifier_key"], json!(vkey), "{body}");
    assert!(
        body["x_entente_verifier_key_note"]
            .as_str()
            .is_some_and(|n| n.contains("out of band")),
        "{body}"
    );
    // Without credentials, nothing of it.
    let reply = must_send(&server, &taxii("GET", "/taxii2/", None));
    assert_eq!(reply.status, 401);
    assert!(!reply.text().contains(&vkey), "{}", reply.text());
    stop(server, "at the end");
}

/// `user token` adds a token; `--rotate` also invalidates the earlier ones.
#[test]
fn user_token_issues_and_rotates_tokens() {
    let (tmp, data, _vkey) = new_node();
    let first = add_user(&data, "reader", &["--read", "default"]);
    let new_token = |args: &[&str]| {
        let out = run_expect(&data, args, 0);
        let text = stdout(&out);
        let token = text.lines().last().unwrap_or_default().trim().to_owned();
        assert!(
            token.len() > 20,
            "user token should print the token last:\n{text}"
        );
        token
    };
    let second = new_token(&["user", "token", "reader"]);
    let status = |server: &Node, token: &str| {
        must_send(server, &taxii("GET", "/taxii2/", Some(&bearer(token)))).status
    };

    let server = start_server(&data, tmp.path().join("before.log"));
    assert_eq!(status(&server, &first), 200, "the first token still works");
    assert_eq!(status(&server, &second), 200, "the new token works");
    stop(server, "before the rotation");

    let third = new_token(&["user", "token", "reader", "--rotate"]);
    let server = start_server(&data, tmp.path().join("after.log"));
    assert_eq!(status(&server, &third), 200, "the rotated-in token works");
    assert_eq!(
        status(&server, &first),
        401,
        "rotation revokes the first token"
    );
    assert_eq!(
        status(&server, &second),
        401,
        "rotation revokes the second token"
    );
    stop(server, "after the rotation");

    // An unknown user is a no, not a failure to run.
    run_expect(&data, &["user", "token", "nobody"], 1);
}
