//! Interoperability with third-party clients, against the real server.
//!
//! A node is initialised in a temporary directory, given a writer and a reader,
//! and served on a free port with `entente serve --listen 127.0.0.1:0`. Then:
//!
//! * `tests/interop/taxii_client.py` drives it with the OASIS taxii2-client
//!   (discovery, collections and per-caller rights, add objects, status, paging
//!   with every filter, get/delete objects, versions, concurrent writers) and
//!   checks every returned object with stix2-validator;
//! * `tests/interop/http_checks.sh` checks status codes, headers and error
//!   bodies with curl, and the log endpoints: the served tiles must pass
//!   `entente audit --tiles` and the served proof `entente log verify-proof`;
//! * the node is stopped with SIGTERM, must exit 0, and `entente audit --deep`
//!   must pass on what it left behind.
//!
//! On a second node, `tests/interop/taxii_store.py` uses python-stix2's
//! `TAXIICollectionStore` over a taxii2-client collection: adds objects (a custom
//! property and a custom object type among them), gets them back, queries with
//! `stix2.Filter`s, adds new versions and asks for all of them; every object and
//! version must come back identical.
//!
//! What the node writes itself passes `stix2_validator --strict --version 2.1`:
//! the bundled sample, and `entente export` of a collection it was published to
//! and of one `entente match --publish` wrote sightings to.
//!
//! Without a node, `tests/interop/pattern_matcher.py` checks `entente pattern match`
//! and the bulk index of `entente match` against the OASIS stix2-matcher on
//! random patterns and observed data, and the sightings bundle `entente match`
//! prints against stix2-validator in strict mode.
//!
//! A node also pulls from the OASIS reference TAXII 2.1 server, medallion, as a
//! plain feed: `tests/interop/medallion_feed.py` serves a memory backend the test
//! writes (small pages, so `next` is followed) and logs every request; the test
//! checks what `entente sync` mirrors, holds and asks for over three rounds.
//!
//! The Python interpreter comes from `ENTENTE_PYTHON`, else `.venv/bin/python` at
//! the repository root (made by `scripts/python-env.sh`); the curl checks need
//! `curl` and `jq`. Without them the corresponding part panics when `CI` is set
//! and is skipped with a loud note otherwise.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::harness::*;
use crate::util::*;

/// How long each client script may run.
const SCRIPT: Duration = Duration::from_secs(600);

pub(crate) fn repo_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // Canonical, so that a venv's python finds its pyvenv.cfg next to it.
    std::fs::canonicalize(&root).unwrap_or(root)
}

pub(crate) fn python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ENTENTE_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let venv = repo_root().join(".venv/bin/python");
    venv.exists().then_some(venv)
}

/// Whether `tool --version` runs.
fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Panics under CI, prints a loud note otherwise.
/// The interop Python if it can import `modules` (a Python import list);
/// otherwise the check `what` is skipped (a failure under CI), saying that it
/// needs `needs` and how to get it.
pub(crate) fn python_with(modules: &str, what: &str, needs: &str) -> Option<PathBuf> {
    let how = format!(
        "run scripts/python-env.sh (it builds .venv at the repository root), or set ENTENTE_PYTHON to a python with {needs} installed"
    );
    let Some(py) = python() else {
        skip(&format!("{what}: no Python"), &how);
        return None;
    };
    let usable = Command::new(&py)
        .args(["-c", &format!("import {modules}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !usable {
        skip(&format!("{what}: no Python with {needs}"), &how);
        return None;
    }
    Some(py)
}

pub(crate) fn skip(what: &str, how: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("the interop test needs {what}: {how}");
    }
    eprintln!("\n**********************************************************************");
    eprintln!("*** SKIPPED {what}.");
    eprintln!("*** To run it: {how}.");
    eprintln!("**********************************************************************\n");
}

/// Runs a client script to completion (bounded); returns its status and output.
pub(crate) fn run_script(mut cmd: Command) -> (ExitStatus, String) {
    let shown = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"));
    let drain = |mut r: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let err = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let deadline = Instant::now() + SCRIPT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for the script") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{shown} did not finish within {SCRIPT:?}\n--- stdout:\n{}\n--- stderr:\n{}",
                out.join().unwrap_or_default(),
                err.join().unwrap_or_default()
            );
        }
        thread::sleep(Duration::from_millis(100));
    };
    let text = format!(
        "--- stdout:\n{}\n--- stderr:\n{}",
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default()
    );
    (status, text)
}

#[cfg(unix)]
#[test]
fn taxii2_client_and_curl_against_a_running_node() {
    let (tmp, data, vkey) = new_node();
    // A second collection that alice may only read and bob may not see.
    let out = run_expect(
        &data,
        &["collection", "create", "private", "--title", "Private"],
        0,
    );
    let private = stdout(&out)
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_owned();
    assert_eq!(
        private.len(),
        36,
        "collection create prints the id last: {private:?}"
    );
    let writer = add_user(
        &data,
        "alice",
        &[
            "--read", "default", "--write", "default", "--read", &private,
        ],
    );
    // The reader signs in with a password (HTTP Basic), the writer with a token.
    let reader = "a reader's pass phrase: 7 words, no token";
    add_user_with_password(
        &data,
        "bob",
        &["--kind", "user", "--read", "default"],
        reader,
    );

    let mut node = Node::start(&data, tmp.path().join("node.log"));

    match python() {
        Some(py) => {
            let mut cmd = Command::new(&py);
            cmd.arg(repo_root().join("tests/interop/taxii_client.py"))
                .args([node.url.as_str(), "alice", &writer, "bob", reader]);
            let (status, output) = run_script(cmd);
            assert!(
                status.success(),
                "taxii_client.py failed ({status})\n{output}\n{}",
                node.log_text()
            );
            assert!(output.contains("taxii2-client interop: OK"), "{output}");
            println!("{output}");
        }
        None => skip(
            "the taxii2-client interop checks: no Python with taxii2-client",
            "run scripts/python-env.sh (it builds .venv at the repository root), or set ENTENTE_PYTHON to a python with requirements-test.txt installed",
        ),
    }

    if have("curl") && have("jq") {
        let mut cmd = Command::new("bash");
        cmd.arg(repo_root().join("tests/interop/http_checks.sh"))
            .args([&node.url, &writer])
            .env_remove("ENTENTE_DATA")
            .env("ENTENTE_BIN", env!("CARGO_BIN_EXE_entente"))
            .env("ENTENTE_VKEY", &vkey);
        let (status, output) = run_script(cmd);
        assert!(
            status.success(),
            "http_checks.sh failed ({status})\n{output}\n{}",
            node.log_text()
        );
        assert!(output.contains("http checks: OK"), "{output}");
        println!("{output}");
    } else {
        skip(
            "the HTTP checks: curl or jq is missing",
            "install curl and jq",
        );
    }

    // A large POST in flight when SIGTERM arrives: if the node acknowledged it,
    // every object must be there after the node stopped.
    let in_flight = have("curl").then(|| {
        let objects: Vec<serde_json::Value> =
            (0..2000).map(|n| indicator(n, 0x51_6e, 400)).collect();
        let ids: Vec<String> = objects
            .iter()
            .map(|o| o["id"].as_str().unwrap().to_owned())
            .collect();
        let body = tmp.path().join("in-flight.json");
        std::fs::write(
            &body,
            serde_json::to_vec(&serde_json::json!({ "objects": objects })).unwrap(),
        )
        .unwrap();
        let media = "application/taxii+json;version=2.1";
        let curl = Command::new("curl")
            .args([
                "-sS",
                "--max-time",
                "60",
                "-w",
                "\n%{http_code}",
                "-X",
                "POST",
            ])
            .args(["-H", &format!("Authorization: Bearer {writer}")])
            .args(["-H", &format!("Accept: {media}")])
            .args(["-H", &format!("Content-Type: {media}")])
            .arg("--data-binary")
            .arg(format!("@{}", body.display()))
            .arg(format!("{}api/collections/default/objects/", node.url))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("curl runs");
        thread::sleep(Duration::from_millis(50));
        (curl, ids)
    });

    let status = node.terminate();
    let acknowledged = in_flight.map(|(curl, ids)| {
        let out = curl.wait_with_output().expect("curl finishes");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", text.as_str()));
        match code {
            "202" => {
                let status: serde_json::Value = serde_json::from_str(body)
                    .unwrap_or_else(|e| panic!("the 202 body is not JSON ({e}):\n{body}"));
                assert_eq!(
                    (status["status"].as_str(), status["success_count"].as_u64()),
                    (Some("complete"), Some(ids.len() as u64)),
                    "the POST in flight at SIGTERM: {body}"
                );
                ids
            }
            // Refused before it was read, or told the node is going away: nothing acknowledged.
            "000" | "503" => Vec::new(),
            other => panic!(
                "a POST in flight at SIGTERM got HTTP {other}:\n{text}\n{}\n{}",
                String::from_utf8_lossy(&out.stderr),
                node.log_text()
            ),
        }
    });
    assert_eq!(
        status.code(),
        Some(0),
        "entente serve should exit 0 on SIGTERM, got {status}\n{}",
        node.log_text()
    );

    if let Some(ids) = acknowledged.filter(|ids| !ids.is_empty()) {
        let export = stdout(&run_expect(
            &data,
            &["export", "--collection", "default"],
            0,
        ));
        let export: serde_json::Value =
            serde_json::from_str(&export).expect("export writes a JSON bundle");
        let stored: std::collections::HashSet<&str> = export["objects"]
            .as_array()
            .expect("a bundle has objects")
            .iter()
            .filter_map(|o| o["id"].as_str())
            .collect();
        let lost = ids
            .iter()
            .filter(|id| !stored.contains(id.as_str()))
            .count();
        assert_eq!(
            lost, 0,
            "objects acknowledged just before SIGTERM were lost"
        );
    } else {
        eprintln!("note: the POST sent at SIGTERM was not acknowledged; nothing to look for");
    }

    let out = run_expect(&data, &["audit", "--deep"], 0);
    let text = stdout(&out);
    assert!(
        text.starts_with("OK"),
        "audit --deep after serving:\n{text}"
    );
}

/// python-stix2 3.0.2's `TAXIICollectionStore` (over taxii2-client) against a
/// running node: `tests/interop/taxii_store.py` adds, gets, queries and versions
/// objects, and checks that every object and version comes back identical.
#[cfg(unix)]
#[test]
fn stix2_taxii_collection_store_against_a_running_node() {
    let Some(py) = python_with(
        "stix2, taxii2client.v21",
        "the python-stix2 TAXIICollectionStore interop check",
        "stix2 and taxii2-client (requirements-test.txt)",
    ) else {
        return;
    };
    let (tmp, data, _) = new_node();
    let token = add_user(
        &data,
        "analyst",
        &["--read", "default", "--write", "default"],
    );
    let mut node = Node::start(&data, tmp.path().join("node.log"));
    let mut cmd = Command::new(&py);
    cmd.arg(repo_root().join("tests/interop/taxii_store.py"))
        .args([node.url.as_str(), "analyst", &token]);
    let (status, output) = run_script(cmd);
    assert!(
        status.success(),
        "taxii_store.py failed ({status})\n{output}\n{}",
        node.log_text()
    );
    assert!(
        output.contains("stix2 TAXIICollectionStore interop: OK"),
        "{output}"
    );
    println!("{output}");
    let status = node.terminate();
    assert_eq!(status.code(), Some(0), "{}", node.log_text());
    // What the store wrote is in the log, and the log is sound.
    let out = run_expect(&data, &["audit", "--deep"], 0);
    assert!(
        stdout(&out).starts_with("OK"),
        "audit --deep:\n{}",
        stdout(&out)
    );
}

/// The node's own output passes `stix2_validator --strict --version 2.1`: the
/// bundled sample, `entente export` of the collection it is published to, and
/// `entente export` of the collection `entente match --publish` writes its
/// sightings to (a Zeek DNS log that queries two of the sample's domains).
#[test]
fn the_nodes_own_output_passes_the_strict_validator() {
    let Some(py) = python_with(
        "stix2validator",
        "the strict validation of the node's output",
        "stix2-validator (requirements-test.txt)",
    ) else {
        return;
    };
    let validator = py.with_file_name("stix2_validator");
    assert!(
        validator.is_file(),
        "{} is missing: stix2-validator installs it beside the python",
        validator.display()
    );
    let (tmp, data, _) = new_node();
    let sample = examples().join("election-indicators.json");
    let sample_arg = sample.to_str().expect("a UTF-8 path");
    run_expect(
        &data,
        &["publish", "--collection", "default", sample_arg],
        0,
    );
    run_expect(&data, &["collection", "create", "sightings-back"], 0);

    // Two queries for the sample's phishing domains inside their validity
    // (2026-10-01, 2026-10-02), one for a domain nobody listed.
    let log = tmp.path().join("dns.log");
    let lines = [
        (1_790_812_800.25, "voter-registration-check.example"),
        (1_790_899_200.5, "northland-elections-portal.example"),
        (1_790_899_260.0, "weather.example"),
    ];
    let text: String = lines
        .iter()
        .map(|(ts, query)| {
            format!(
                "{}\n",
                serde_json::json!({
                    "ts": ts, "uid": "C1", "_path": "dns",
                    "id.orig_h": "10.1.2.3", "id.orig_p": 53001,
                    "id.resp_h": "10.1.0.53", "id.resp_p": 53,
                    "proto": "udp", "query": query, "qtype_name": "A"
                })
            )
        })
        .collect();
    std::fs::write(&log, text).expect("writing the DNS log");
    let out = run_expect(
        &data,
        &[
            "match",
            "--collection",
            "default",
            "--publish",
            "sightings-back",
            "--format",
            "zeek",
            log.to_str().expect("a UTF-8 path"),
        ],
        0,
    );
    assert!(
        stdout(&out).starts_with("published "),
        "match --publish: {}\n{}",
        stdout(&out),
        String::from_utf8_lossy(&out.stderr)
    );

    let sample_objects =
        serde_json::from_slice::<serde_json::Value>(&std::fs::read(&sample).expect("the sample"))
            .expect("the sample is JSON")["objects"]
            .as_array()
            .map_or(0, Vec::len);
    let mut files = vec![sample.clone()];
    for collection in ["default", "sightings-back"] {
        let text = stdout(&run_expect(
            &data,
            &["export", "--collection", collection],
            0,
        ));
        let bundle: serde_json::Value =
            serde_json::from_str(&text).expect("export writes a JSON bundle");
        let objects = bundle["objects"].as_array().cloned().unwrap_or_default();
        if collection == "default" {
            assert_eq!(
                objects.len(),
                sample_objects,
                "the export of default holds the sample:\n{text}"
            );
        } else {
            // A sighting per indicator the log hit.
            let sightings = objects.iter().filter(|o| o["type"] == "sighting").count();
            assert_eq!(sightings, 2, "the export of {collection}:\n{text}");
        }
        let file = tmp.path().join(format!("{collection}.json"));
        std::fs::write(&file, text).expect("writing the export");
        files.push(file);
    }
    for file in &files {
        let mut cmd = Command::new(&validator);
        cmd.args(["--strict", "--version", "2.1"]).arg(file);
        let (status, output) = run_script(cmd);
        assert!(
            status.success(),
            "stix2_validator --strict --version 2.1 {} failed ({status}):\n{output}",
            file.display()
        );
    }
    println!(
        "strict validator: OK: the sample and the exports of default and sightings-back ({} files)",
        files.len()
    );
}

/// Random patterns and observed data, decided by `entente pattern match --cases`
/// and by the OASIS reference matcher; then random indicators run by the bulk
/// index of `entente match --indicators --format stix`, every sighting count
/// compared with the reference's.
#[test]
fn stix2_matcher_agrees_with_pattern_match_and_the_index() {
    let Some(py) = python_with(
        "stix2matcher.matcher, stix2patterns.validator",
        "the stix2-matcher interop checks",
        "stix2-matcher and stix2-patterns",
    ) else {
        return;
    };
    let mut cmd = Command::new(&py);
    cmd.arg(repo_root().join("tests/interop/pattern_matcher.py"))
        .arg(env!("CARGO_BIN_EXE_entente"))
        .env_remove("ENTENTE_DATA")
        .env_remove("ENTENTE_INTEROP_SEED");
    let (status, output) = run_script(cmd);
    assert!(
        status.success(),
        "pattern_matcher.py failed ({status})\n{output}"
    );
    assert!(output.contains("pattern-matcher interop: OK"), "{output}");
    assert!(
        output.contains("valid under stix2-validator --strict"),
        "{output}"
    );
    assert!(
        output
            .lines()
            .any(|l| l.starts_with("index interop:") && l.ends_with(" 0 disagree")),
        "{output}"
    );
    println!("{output}");
}

/// A running OASIS medallion (`tests/interop/medallion_feed.py serve`) on a free
/// loopback port; killed (and reaped) when dropped.
struct Medallion {
    child: std::process::Child,
    /// Its root, `http://127.0.0.1:PORT/`.
    url: String,
    /// Its stderr (werkzeug's request log, Python tracebacks).
    log: PathBuf,
    /// One JSON line per request it answered.
    requests: PathBuf,
}

impl Medallion {
    /// How long medallion may take to print its address and answer.
    const STARTUP: Duration = Duration::from_secs(30);

    fn start(py: &Path, config: &Path, dir: &Path) -> Medallion {
        let log = dir.join("medallion.log");
        let requests = dir.join("medallion-requests.jsonl");
        let mut child = Command::new(py)
            .arg(repo_root().join("tests/interop/medallion_feed.py"))
            .arg("serve")
            .arg(config)
            .arg(&requests)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("a log file for medallion"))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", py.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let mut medallion = Medallion {
            child,
            url: String::new(),
            log,
            requests,
        };
        // The first stdout line names the address; the rest is drained.
        let (tx, rx) = std::sync::mpsc::channel();
        thread::spawn(move || {
            use std::io::BufRead as _;
            let mut lines = std::io::BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            for _ in lines {}
        });
        let first = match rx.recv_timeout(Self::STARTUP) {
            Ok(Some(Ok(line))) => line,
            other => panic!(
                "medallion printed no first line within {:?} ({other:?})\n{}",
                Self::STARTUP,
                medallion.log_text()
            ),
        };
        medallion.url = first
            .strip_prefix("listening on ")
            .filter(|u| u.starts_with("http://127.0.0.1:") && u.ends_with('/'))
            .unwrap_or_else(|| {
                panic!(
                    "medallion_feed.py should print `listening on http://127.0.0.1:PORT/`, got {first:?}\n{}",
                    medallion.log_text()
                )
            })
            .to_owned();
        // Bounded wait until it answers HTTP at all (discovery wants a login: 401 will do).
        let authority = medallion
            .url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let deadline = Instant::now() + Self::STARTUP;
        loop {
            let answer = (|| -> std::io::Result<String> {
                use std::io::Write as _;
                let mut stream = std::net::TcpStream::connect(&authority)?;
                stream.set_read_timeout(Some(Duration::from_secs(5)))?;
                write!(
                    stream,
                    "GET /taxii2/ HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
                )?;
                let mut response = String::new();
                stream.read_to_string(&mut response)?;
                Ok(response.lines().next().unwrap_or_default().to_owned())
            })();
            match answer {
                Ok(status) if status.starts_with("HTTP/1.") => break,
                other => {
                    if let Ok(Some(exit)) = medallion.child.try_wait() {
                        panic!("medallion exited with {exit}\n{}", medallion.log_text());
                    }
                    assert!(
                        Instant::now() < deadline,
                        "medallion did not answer within {:?}: {other:?}\n{}",
                        Self::STARTUP,
                        medallion.log_text()
                    );
                    thread::sleep(Duration::from_millis(100));
                }
            }
        }
        medallion
    }

    /// The requests it answered so far, in order.
    fn requests(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.requests)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line per request"))
            .collect()
    }

    fn log_text(&self) -> String {
        format!(
            "--- medallion stderr:\n{}\n--- medallion requests:\n{}",
            std::fs::read_to_string(&self.log).unwrap_or_default(),
            std::fs::read_to_string(&self.requests).unwrap_or_default()
        )
    }
}

impl Drop for Medallion {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A node pulls from the OASIS reference TAXII 2.1 server, medallion 3.0.0, as
/// a plain feed (`peer add --taxii`, HTTP Basic): medallion's memory backend holds
/// a readable collection of 53 objects (50 valid, one indicator of a domain on the
/// node's allowlist, two invalid indicators: one lacks `valid_from`, one has a
/// pattern that does not parse) and a collection it may not read, and pages 4
/// objects at a time, so a round takes 14 pages chained by `next`. The valid
/// objects land in an unverified mirror, the invalid ones do not, the allowlisted
/// one is quarantined; a second round asks from the cursor (the last
/// `X-TAXII-Date-Added-Last`) and adds nothing; 5 objects POSTed to medallion are
/// then pulled by a third round (two pages), and nothing else.
#[test]
fn a_node_pulls_a_medallion_feed_unverified() {
    use serde_json::{Value, json};

    let Some(py) = python_with(
        "medallion, werkzeug.serving",
        "the medallion feed interop check",
        "medallion (requirements-test.txt)",
    ) else {
        return;
    };
    const READ: &str = "4f1d2c3b-8a7e-4c6d-9e0f-1a2b3c4d5e6f";
    const HIDDEN: &str = "7c9e6a2d-1b3f-4e5a-8c7d-6f5e4d3c2b1a";
    const MIRROR: &str = "feed.4f1d2c3b";
    const PAGE: usize = 4;
    let (user, password) = ("entente-node", "a feed password with spaces: 5 words");
    let salt = 0x00fe_ed00;
    let id = |kind: &str, n: u64| format!("{kind}--{}", uuid_from(n, salt));
    let stamp = "2020-06-01T00:00:00.000Z";
    let indicator = |n: u64, pattern: String| {
        json!({
            "type": "indicator", "spec_version": "2.1", "id": id("indicator", n),
            "created": stamp, "modified": stamp,
            "created_by_ref": id("identity", 0),
            "name": format!("Election phishing infrastructure {n}"),
            "description": "Seen in credential phishing against election officials.",
            "indicator_types": ["malicious-activity"],
            "pattern": pattern, "pattern_type": "stix",
            "valid_from": "2020-06-01T00:00:00Z"
        })
    };
    let indicator_n = |n: u64| {
        let pattern = match n % 3 {
            0 => format!("[domain-name:value = 'phish-login-portal-{n}.net']"),
            1 => format!("[ipv4-addr:value = '45.77.12.{}']", n % 250 + 1),
            _ => format!("[url:value = 'https://ballot-verify-{n}.com/login']"),
        };
        indicator(n, pattern)
    };
    // 50 valid: the feed's identity, 45 indicators, 2 malware, 2 relationships.
    let mut valid = vec![json!({
        "type": "identity", "spec_version": "2.1", "id": id("identity", 0),
        "created": stamp, "modified": stamp,
        "name": "Partner CERT feed", "identity_class": "organization"
    })];
    valid.extend((1..=45).map(indicator_n));
    for m in 0..2u64 {
        valid.push(json!({
            "type": "malware", "spec_version": "2.1", "id": id("malware", 100 + m),
            "created": stamp, "modified": stamp,
            "name": format!("BallotStealer variant {m}"), "is_family": false,
            "malware_types": ["spyware"]
        }));
        valid.push(json!({
            "type": "relationship", "spec_version": "2.1", "id": id("relationship", 200 + m),
            "created": stamp, "modified": stamp, "relationship_type": "indicates",
            "source_ref": id("indicator", 1 + m), "target_ref": id("malware", 100 + m)
        }));
    }
    assert_eq!(valid.len(), 50);
    // On the node's allowlist (a subdomain of its own domain): quarantined.
    let allowlisted = indicator(
        300,
        "[domain-name:value = 'results.state-elections.org']".to_owned(),
    );
    // Refused by Entente's validator (`entente validate`, `import`, a TAXII POST to
    // a node): an indicator without its required `valid_from`, and one whose
    // STIX pattern does not parse (its '[' is never closed).
    let mut no_valid_from = indicator_n(301);
    no_valid_from.as_object_mut().unwrap().remove("valid_from");
    let bad_pattern = indicator(302, "[domain-name:value = 'broken-pattern.net'".to_owned());
    // What the objects that must not be exported are, for messages.
    let what: std::collections::HashMap<Value, &str> = [
        (
            allowlisted["id"].clone(),
            "the allowlisted indicator, to be quarantined",
        ),
        (
            no_valid_from["id"].clone(),
            "the indicator without valid_from, invalid",
        ),
        (
            bad_pattern["id"].clone(),
            "the indicator whose STIX pattern does not parse, invalid: `entente validate`, \
             `entente import` and a TAXII POST to a node refuse it",
        ),
    ]
    .into();
    let mut served = valid.clone();
    served.insert(20, allowlisted.clone());
    served.insert(30, no_valid_from);
    served.insert(37, bad_pattern);
    let media = "application/stix+json;version=2.1";
    let manifest: Vec<Value> = served
        .iter()
        .enumerate()
        .map(|(i, o)| {
            json!({
                "id": o["id"], "version": o["modified"], "media_type": media,
                "date_added": format!("2020-06-02T00:00:{i:02}.000Z"),
            })
        })
        .collect();
    let last_added = manifest.last().unwrap()["date_added"].clone();
    // Readable by nobody: the node must not mirror it, nor ask for its objects.
    let hidden_object = indicator_n(400);
    let backend = json!({
        "/discovery": {
            "title": "medallion feed", "description": "interop test",
            "default": "http://127.0.0.1/api1/", "api_roots": ["http://127.0.0.1/api1/"]
        },
        "api1": {
            "information": {
                "title": "api1", "description": "feed root",
                "versions": ["application/taxii+json;version=2.1"],
                "max_content_length": 10 * 1024 * 1024
            },
            "status": [],
            "collections": [
                {
                    "id": READ, "title": "Partner indicators", "description": "readable",
                    "can_read": true, "can_write": true, "media_types": [media],
                    "objects": served, "manifest": manifest
                },
                {
                    "id": HIDDEN, "title": "Drop box", "description": "write only",
                    "can_read": false, "can_write": true, "media_types": [media],
                    "objects": [hidden_object],
                    "manifest": [{
                        "id": hidden_object["id"], "version": stamp,
                        "media_type": media, "date_added": "2020-06-02T00:00:00.000Z"
                    }]
                }
            ]
        }
    });

    let (tmp, data, _) = new_node();
    std::fs::write(
        data.join("entente.toml"),
        "[warninglists]\ndomains = [\"state-elections.org\"]\n",
    )
    .unwrap();
    let feed_dir = tmp.path().join("medallion");
    std::fs::create_dir_all(&feed_dir).unwrap();
    let backend_file = feed_dir.join("data.json");
    std::fs::write(&backend_file, serde_json::to_vec(&backend).unwrap()).unwrap();
    let config = feed_dir.join("config.json");
    std::fs::write(
        &config,
        serde_json::to_vec(&json!({
            "backend": {
                "module": "medallion.backends.memory_backend",
                "module_class": "MemoryBackend",
                "filename": backend_file
            },
            "users": { user: password },
            "taxii": { "max_page_size": PAGE }
        }))
        .unwrap(),
    )
    .unwrap();
    let started = Instant::now();
    let feed = Medallion::start(&py, &config, &feed_dir);
    let api_root = format!("{}api1/", feed.url);

    // peer add --taxii --username: the password is the first line of stdin.
    let mut add = entente()
        .arg("--data")
        .arg(&data)
        .args([
            "peer",
            "add",
            "feed",
            &api_root,
            "--taxii",
            "--username",
            user,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the entente binary runs");
    {
        use std::io::Write as _;
        let mut stdin = add.stdin.take().expect("piped stdin");
        writeln!(stdin, "{password}").unwrap();
    }
    let out = add.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "peer add --taxii failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let sync = |round: &str| -> Value {
        let out = run(&data, &["--json", "sync"]);
        let text = stdout(&out);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{round} sync exited {:?}\n{text}\n{}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr),
            feed.log_text()
        );
        let report: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{round} sync --json is not JSON ({e}):\n{text}"));
        assert_eq!(
            report["failed_peers"],
            json!([]),
            "{round} sync: {report:#}\n{}",
            feed.log_text()
        );
        let lines = report["collections"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            lines.len(),
            1,
            "{round} sync: only the readable collection is mirrored: {report:#}"
        );
        assert_eq!(
            (
                &lines[0]["peer"],
                &lines[0]["collection"],
                &lines[0]["mirror"]
            ),
            (&json!("feed"), &json!(READ), &json!(MIRROR)),
            "{round} sync: {report:#}"
        );
        lines[0].clone()
    };
    let ids_of = |objects: &[Value]| -> Vec<Value> {
        let mut ids: Vec<Value> = objects.iter().map(|o| o["id"].clone()).collect();
        ids.sort_by_key(|id| id.to_string());
        ids
    };
    // `entente export` of the mirror (held objects are left out) holds just `expected`.
    let check_mirror = |round: &str, expected: &[Value]| {
        let text = stdout(&run_expect(&data, &["export", "--collection", MIRROR], 0));
        let bundle: Value = serde_json::from_str(&text).expect("export writes a JSON bundle");
        let got = ids_of(bundle["objects"].as_array().expect("a bundle has objects"));
        let extra: Vec<String> = got
            .iter()
            .filter(|id| !expected.contains(id))
            .map(|id| format!("{id}: {}", what.get(id).copied().unwrap_or("?")))
            .collect();
        let missing: Vec<&Value> = expected.iter().filter(|id| !got.contains(id)).collect();
        assert!(
            extra.is_empty() && missing.is_empty(),
            "after the {round} sync, `entente export --collection {MIRROR}` has {} objects \
             ({} expected); objects it must not have: {extra:#?}; objects it lacks: {missing:#?}",
            got.len(),
            expected.len()
        );
    };
    // The GETs of the readable collection's objects since request `from`.
    let object_gets = |from: usize| -> Vec<Value> {
        let requests = feed.requests();
        for r in &requests[from..] {
            assert_ne!(
                r["path"],
                json!(format!("/api1/collections/{HIDDEN}/objects/")),
                "the node asked for a collection it may not read:\n{}",
                feed.log_text()
            );
            assert_eq!(r["status"], json!(200), "{r}\n{}", feed.log_text());
            assert_eq!(
                r["accept"],
                json!("application/taxii+json;version=2.1"),
                "{r}"
            );
        }
        requests[from..]
            .iter()
            .filter(|r| r["path"] == json!(format!("/api1/collections/{READ}/objects/")))
            .cloned()
            .collect()
    };
    // Pages of one round: `limit=1000` each, one `added_after` throughout, and
    // each `next` the one the page before handed out.
    let check_pages = |round: &str, pages: &[Value], after: Option<&Value>, sizes: &[u64]| {
        let got: Vec<u64> = pages
            .iter()
            .map(|p| p["objects"].as_u64().unwrap_or(0))
            .collect();
        assert_eq!(
            got,
            sizes,
            "{round} sync: objects per page\n{}",
            feed.log_text()
        );
        for (i, page) in pages.iter().enumerate() {
            assert_eq!(page["query"]["limit"], json!(["1000"]), "{round}: {page}");
            assert_eq!(
                page["query"].get("added_after").and_then(|a| a.get(0)),
                after,
                "{round} sync, page {i}: added_after\n{}",
                feed.log_text()
            );
            let expected_next = i.checked_sub(1).map(|p| json!([pages[p]["next"]]));
            assert_eq!(
                page["query"].get("next").cloned(),
                expected_next,
                "{round} sync, page {i}: next\n{}",
                feed.log_text()
            );
        }
        // `more` is true but on the last page (medallion leaves it out of an empty envelope).
        let more: Vec<Value> = pages.iter().map(|p| p["more"].clone()).collect();
        let mut expected_more = vec![json!(true); sizes.len()];
        if let Some(last) = expected_more.last_mut() {
            *last = if sizes.iter().sum::<u64>() > 0 {
                json!(false)
            } else {
                Value::Null
            };
        }
        assert_eq!(more, expected_more, "{round} sync: `more` of each page");
    };

    // Round 1: 14 pages (53 objects, 4 a page): 51 valid appended, 1 of them held.
    let before = feed.requests().len();
    let line = sync("first");
    let mut expected = ids_of(&valid);
    check_mirror("first", &expected);
    assert_eq!(
        (
            &line["outcome"],
            &line["objects"],
            &line["quarantined"],
            &line["size"]
        ),
        (
            &json!("pulled-unverified"),
            &json!(51),
            &json!(1),
            &json!(51)
        ),
        "first sync: {line:#}"
    );
    let pages = object_gets(before);
    let mut sizes = vec![4; 13];
    sizes.push(1);
    check_pages("first", &pages, None, &sizes);

    let held: Value = serde_json::from_str(&stdout(&run_expect(
        &data,
        &["--json", "quarantine", "list"],
        0,
    )))
    .expect("quarantine list --json is JSON");
    let held = held["quarantine"].as_array().cloned().unwrap_or_default();
    assert_eq!(held.len(), 1, "one object quarantined: {held:#?}");
    assert_eq!(
        (
            &held[0]["id"],
            &held[0]["peer"],
            &held[0]["collection"],
            &held[0]["state"]
        ),
        (
            &allowlisted["id"],
            &json!("feed"),
            &json!(MIRROR),
            &json!("held")
        ),
        "{held:#?}"
    );
    let reason = held[0]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("results.state-elections.org") && reason.contains("allowlist"),
        "the reason names the value and the allowlist: {reason}"
    );

    let status: Value = serde_json::from_str(&stdout(&run_expect(
        &data,
        &["--json", "peer", "status"],
        0,
    )))
    .expect("peer status --json is JSON");
    let peers = status["peers"].as_array().cloned().unwrap_or_default();
    assert_eq!(peers.len(), 1, "{status:#}");
    assert_eq!(
        (&peers[0]["name"], &peers[0]["url"], &peers[0]["verified"]),
        (&json!("feed"), &json!(api_root), &json!(false)),
        "{status:#}"
    );
    let mirrors = peers[0]["mirrors"].as_array().cloned().unwrap_or_default();
    assert_eq!(mirrors.len(), 1, "{status:#}");
    assert_eq!(
        (
            &mirrors[0]["collection"],
            &mirrors[0]["mirror"],
            &mirrors[0]["verified"],
            &mirrors[0]["size"],
            &mirrors[0]["quarantined"],
            &mirrors[0]["error"],
        ),
        (
            &json!(READ),
            &json!(MIRROR),
            &json!(false),
            &json!(51),
            &json!(1),
            &Value::Null
        ),
        "{status:#}"
    );

    // Round 2: asks from the cursor (the last page's X-TAXII-Date-Added-Last), gets nothing.
    let before = feed.requests().len();
    let line = sync("second");
    assert_eq!(
        (&line["outcome"], &line["size"]),
        (&json!("up-to-date"), &json!(51)),
        "second sync: {line:#}"
    );
    assert_eq!(
        pages.last().unwrap()["date_added_last"],
        last_added,
        "medallion's last page names the last date_added"
    );
    check_pages("second", &object_gets(before), Some(&last_added), &[0]);
    check_mirror("second", &expected);

    // 5 objects POSTed to medallion (one request: they share its date_added).
    let fresh: Vec<Value> = (500..505).map(indicator_n).collect();
    let envelope = feed_dir.join("fresh.json");
    std::fs::write(
        &envelope,
        serde_json::to_vec(&json!({ "objects": fresh })).unwrap(),
    )
    .unwrap();
    let mut cmd = Command::new(&py);
    cmd.arg(repo_root().join("tests/interop/medallion_feed.py"))
        .arg("post")
        .arg(format!("{api_root}collections/{READ}/objects/"))
        .args([user, password])
        .arg(&envelope);
    let (posted, output) = run_script(cmd);
    assert!(
        posted.success(),
        "POST to medallion failed\n{output}\n{}",
        feed.log_text()
    );

    // Round 3: exactly those 5, over two pages (4 + 1) that keep the cursor as `added_after`.
    let before = feed.requests().len();
    let line = sync("third");
    assert_eq!(
        (
            &line["outcome"],
            &line["objects"],
            &line["quarantined"],
            &line["size"]
        ),
        (
            &json!("pulled-unverified"),
            &json!(5),
            &json!(0),
            &json!(56)
        ),
        "third sync: {line:#}"
    );
    check_pages("third", &object_gets(before), Some(&last_added), &[4, 1]);
    expected.extend(ids_of(&fresh));
    check_mirror("third", &expected);

    let out = run_expect(&data, &["audit", "--deep"], 0);
    assert!(
        stdout(&out).starts_with("OK"),
        "audit --deep:\n{}",
        stdout(&out)
    );
    println!(
        "medallion feed interop: OK: {} requests to medallion, {:.1}s",
        feed.requests().len(),
        started.elapsed().as_secs_f64()
    );
}
