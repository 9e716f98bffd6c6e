//! Peers end to end: two or three real `entente serve` processes on
//! 127.0.0.1, synced with explicit `entente sync` runs (the servers' own sync
//! loop is set to once a day, and every server starts before it has peers, so
//! nothing syncs behind the tests' backs).
//!
//! What a partner may not do: lose or duplicate what it mirrored across
//! crashes, rewrite or fork its log unseen, slip an indicator for our own
//! infrastructure into matching, or receive what is not for it (checked on
//! the wire). And what it should get back: its indicators' sightings.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use rand::Rng;
use serde_json::{Value, json};

use crate::harness::{Launch, Node};
use crate::util::*;

/// The longest any one command may run before the test gives up on it (a
/// bound, not a performance check: the commands take well under a second).
pub(crate) const LIMIT: Duration = Duration::from_secs(120);

/// The servers' own sync loop: once a day, so only the tests' `entente sync` runs count.
pub(crate) const QUIET_TOML: &str = "[sync]\ninterval_seconds = 86400\n";

// ---------------------------------------------------------------------------
// Parties

/// A temporary directory holding every party of one test.
pub(crate) struct Net {
    tmp: tempfile::TempDir,
    files: AtomicUsize,
}

impl Net {
    pub(crate) fn new() -> Net {
        Net {
            tmp: tempfile::tempdir().expect("a temporary directory"),
            files: AtomicUsize::new(0),
        }
    }

    pub(crate) fn root(&self) -> &Path {
        self.tmp.path()
    }

    /// A fresh file name under the root.
    pub(crate) fn file(&self, stem: &str) -> PathBuf {
        let n = self.files.fetch_add(1, Ordering::Relaxed);
        self.root().join(format!("{stem}-{n}"))
    }

    /// `entente init --name NAME` in `<root>/NAME`, its sync loop quietened.
    pub(crate) fn party(&self, name: &str) -> Party {
        let data = self.root().join(name);
        let out = run_expect(&data, &["init", "--name", name], 0);
        let key = stdout(&out).trim().to_owned();
        assert!(
            key.starts_with(&format!("{name}+")),
            "init should print the verifier key, got {key:?}"
        );
        std::fs::write(data.join("entente.toml"), QUIET_TOML).expect("entente.toml is written");
        Party {
            name: name.to_owned(),
            data,
            key,
            node: None,
            listen: "127.0.0.1:0".into(),
            starts: 0,
            root: self.root().to_owned(),
        }
    }
}

/// One organisation's node: its data directory, key and (when serving) process.
pub(crate) struct Party {
    pub(crate) name: String,
    pub(crate) data: PathBuf,
    pub(crate) key: String,
    pub(crate) node: Option<Node>,
    /// `127.0.0.1:0` until the first start; then the port it got, so that a
    /// restart comes back where its partners look for it.
    pub(crate) listen: String,
    pub(crate) starts: usize,
    pub(crate) root: PathBuf,
}

impl Party {
    /// The same node (name and key) from a copy of this one's data directory
    /// in `<root>/DIR`: its histories can diverge from here on.
    pub(crate) fn copy(&self, dir: &str) -> Party {
        assert!(
            self.node.is_none(),
            "copy {} while it is stopped",
            self.name
        );
        let data = self.root.join(dir);
        copy_dir(&self.data, &data);
        Party {
            name: self.name.clone(),
            data,
            key: self.key.clone(),
            node: None,
            listen: "127.0.0.1:0".into(),
            starts: 0,
            root: self.root.clone(),
        }
    }

    /// Starts `entente serve` (on the port it had, after the first time).
    pub(crate) fn serve(&mut self) {
        assert!(self.node.is_none(), "{} is already serving", self.name);
        self.starts += 1;
        let dir = self.data.file_name().unwrap().to_string_lossy();
        let log = self.root.join(format!("{dir}-serve-{}.log", self.starts));
        let node = Node::launch(
            &self.data,
            log,
            Launch {
                listen: &self.listen,
                ..Launch::DEFAULT
            },
        );
        self.listen = node.authority().to_owned();
        self.node = Some(node);
    }

    /// SIGTERM, and wait (bounded) for it to stop.
    pub(crate) fn stop(&mut self) {
        if let Some(mut node) = self.node.take() {
            node.terminate();
        }
    }

    /// SIGKILL.
    pub(crate) fn kill(&mut self) {
        if let Some(mut node) = self.node.take() {
            node.kill();
        }
    }

    /// The server root partners use.
    pub(crate) fn url(&self) -> String {
        format!("http://{}/", self.listen)
    }

    /// `entente --data DIR ARGS...`, bounded by [`LIMIT`], expecting exit `code`.
    pub(crate) fn run(&self, args: &[&str], code: i32) -> Output {
        let out = run_bounded(&self.data, args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{}: entente {args:?} exited {:?}\nstdout:\n{}\nstderr:\n{}{}",
            self.name,
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.node.as_ref().map(Node::log_text).unwrap_or_default()
        );
        out
    }

    /// `entente --json ARGS...`: its standard output as JSON.
    pub(crate) fn json(&self, args: &[&str], code: i32) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.run(&all, code);
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{}: entente {all:?} printed no JSON ({e}):\n{}",
                self.name,
                stdout(&out)
            )
        })
    }

    /// `entente collection create ALIAS`; returns the collection's id.
    pub(crate) fn create(&self, alias: &str) -> String {
        let out = self.run(&["collection", "create", alias], 0);
        stdout(&out).lines().last().unwrap_or("").trim().to_owned()
    }

    /// `entente user add PEER --kind peer [--read C]... --token`: the token
    /// this node issues to partner `peer`. A running node picks new users up
    /// within a second: this waits (bounded) until it accepts the token.
    pub(crate) fn issue(&self, peer: &str, read: &[&str]) -> String {
        let mut args = vec!["user", "add", peer, "--kind", "peer"];
        for c in read {
            args.extend(["--read", c]);
        }
        args.push("--token");
        let out = self.run(&args, 0);
        let token = stdout(&out).lines().last().unwrap_or("").trim().to_owned();
        assert!(
            token.len() > 20,
            "user add printed no token:\n{}",
            stdout(&out)
        );
        if self.node.is_some() {
            self.wait_for_token(&token);
        }
        token
    }

    /// Waits (bounded) until the running node answers 200 to a request with `token`.
    pub(crate) fn wait_for_token(&self, token: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut last = String::new();
        while Instant::now() < deadline {
            let answer = (|| -> std::io::Result<String> {
                let mut stream = TcpStream::connect(&self.listen)?;
                stream.set_read_timeout(Some(Duration::from_secs(2)))?;
                write!(
                    stream,
                    "GET /api/collections/ HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nAccept: application/taxii+json;version=2.1\r\nConnection: close\r\n\r\n",
                    self.listen
                )?;
                let mut response = String::new();
                stream.read_to_string(&mut response)?;
                Ok(response.lines().next().unwrap_or_default().to_owned())
            })();
            match answer {
                Ok(status) if status.contains(" 200 ") => return,
                Ok(status) => last = status,
                Err(e) => last = e.to_string(),
            }
            thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "{} did not accept the token it issued within 10 s: {last}",
            self.name
        );
    }

    /// `entente peer add NAME URL --key VKEY --token TOKEN EXTRA...`.
    pub(crate) fn add_peer_at(
        &self,
        name: &str,
        url: &str,
        key: &str,
        token: &str,
        extra: &[&str],
    ) {
        let mut args = vec!["peer", "add", name, url, "--key", key, "--token", token];
        args.extend_from_slice(extra);
        self.run(&args, 0);
    }

    /// `entente peer add` for `other`, under its own name, at its own URL.
    pub(crate) fn add_peer(&self, other: &Party, token: &str, extra: &[&str]) {
        self.add_peer_at(&other.name, &other.url(), &other.key, token, extra);
    }

    /// `entente --json sync`, expecting exit `code`.
    pub(crate) fn sync(&self, code: i32) -> Value {
        self.json(&["sync"], code)
    }

    /// `entente publish -c COLLECTION FILE` of `objects`.
    pub(crate) fn publish(&self, collection: &str, objects: &[Value]) {
        let file = self
            .root
            .join(format!("{}-{}.json", self.name, rand::random::<u64>()));
        let bundle = json!({
            "type": "bundle",
            "id": format!("bundle--{}", uuid_from(rand::random(), 7)),
            "objects": objects,
        });
        std::fs::write(&file, serde_json::to_vec(&bundle).unwrap()).unwrap();
        self.run(&["publish", "-c", collection, &file.to_string_lossy()], 0);
    }

    /// The collections (`collection list --json`).
    pub(crate) fn collections(&self) -> Vec<Value> {
        self.json(&["collection", "list"], 0)
            .as_array()
            .cloned()
            .expect("collection list --json is an array")
    }

    /// A collection's log size, by alias or id.
    pub(crate) fn size(&self, collection: &str) -> u64 {
        self.collections()
            .iter()
            .find(|c| c["alias"] == collection || c["id"] == collection)
            .unwrap_or_else(|| panic!("{}: no collection {collection}", self.name))["size"]
            .as_u64()
            .expect("a size")
    }

    /// The ids of `entente export -c COLLECTION`, in order (duplicates kept).
    pub(crate) fn export_ids(&self, collection: &str) -> Vec<String> {
        let out = self.run(&["export", "-c", collection], 0);
        let bundle: Value = serde_json::from_slice(&out.stdout).expect("export prints a bundle");
        bundle["objects"]
            .as_array()
            .expect("a bundle's objects")
            .iter()
            .map(|o| o["id"].as_str().expect("an id").to_owned())
            .collect()
    }

    /// `entente log prove` on this node, checked offline with `key`.
    pub(crate) fn prove(&self, collection: &str, id: &str, key: &str) {
        let out = self.run(&["log", "prove", "--collection", collection, id], 0);
        let proof = self
            .root
            .join(format!("proof-{}.json", rand::random::<u64>()));
        std::fs::write(&proof, &out.stdout).unwrap();
        let checked = run_bounded(
            &self.data,
            &[
                "log",
                "verify-proof",
                &proof.to_string_lossy(),
                "--key",
                key,
            ],
        );
        assert_eq!(
            checked.status.code(),
            Some(0),
            "{id} in {collection} is not provable with {key}:\n{}{}",
            stdout(&checked),
            String::from_utf8_lossy(&checked.stderr)
        );
    }

    /// The evidence files under the data directory.
    pub(crate) fn evidence(&self) -> Vec<PathBuf> {
        match std::fs::read_dir(self.data.join("evidence")) {
            Err(_) => Vec::new(),
            Ok(dir) => {
                let mut files: Vec<PathBuf> = dir
                    .map(|e| e.expect("a directory entry").path())
                    .filter(|p| p.extension().is_some_and(|x| x == "json"))
                    .collect();
                files.sort();
                files
            }
        }
    }

    /// Adds to `entente.toml`.
    pub(crate) fn configure(&self, toml: &str) {
        let path = self.data.join("entente.toml");
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str(toml);
        std::fs::write(&path, text).unwrap();
    }
}

/// Runs `entente --data DIR ARGS...` with output to files, killing it if it
/// outlives [`LIMIT`].
pub(crate) fn run_bounded(data: &Path, args: &[&str]) -> Output {
    let mut out = tempfile::tempfile().expect("a temporary file");
    let mut err = tempfile::tempfile().expect("a temporary file");
    let mut child = entente()
        .arg("--data")
        .arg(data)
        .args(args)
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(err.try_clone().unwrap())
        .spawn()
        .expect("the entente binary runs");
    let status = wait_bounded(&mut child, LIMIT)
        .unwrap_or_else(|| panic!("entente {args:?} did not finish within {LIMIT:?}"));
    let read = |f: &mut File| {
        let mut bytes = Vec::new();
        f.rewind().unwrap();
        f.read_to_end(&mut bytes).unwrap();
        bytes
    };
    Output {
        status,
        stdout: read(&mut out),
        stderr: read(&mut err),
    }
}

/// Waits up to `limit` for `child`; kills and reaps it (returning `None`) if it is still running.
fn wait_bounded(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("waiting for a child") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Copies a directory tree.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Replaces `data` with a copy of `snapshot` (the node must be stopped).
fn restore(snapshot: &Path, data: &Path) {
    std::fs::remove_dir_all(data).unwrap();
    copy_dir(snapshot, data);
}

/// The report line of a sync for `peer` (its one readable collection).
pub(crate) fn line<'a>(report: &'a Value, peer: &str) -> &'a Value {
    let lines: Vec<&Value> = report["collections"]
        .as_array()
        .expect("a sync report lists collections")
        .iter()
        .filter(|l| l["peer"] == peer)
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "one collection of {peer} should be synced: {report:#}"
    );
    lines[0]
}

pub(crate) fn mirror_alias(report: &Value, peer: &str) -> String {
    line(report, peer)["mirror"]
        .as_str()
        .expect("a mirror alias")
        .to_owned()
}

// ---------------------------------------------------------------------------
// Objects

/// An indicator with a pattern that hits no built-in warninglist.
pub(crate) fn ioc(n: u64, salt: u64, description: &str, pattern: &str) -> Value {
    json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--{}", uuid_from(n, salt)),
        "created": "2026-10-01T08:00:00.000Z",
        "modified": "2026-10-01T08:00:00.000Z",
        "name": format!("Election phishing {n}"),
        "description": description,
        "indicator_types": ["malicious-activity"],
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2026-10-01T08:00:00Z"
    })
}

/// The domain of [`domain_ioc`] `n`.
fn domain(n: u64, salt: u64) -> String {
    format!("n{n}-s{salt}.phish-login-portal.net")
}

/// An indicator of a phishing domain, unique for (n, salt).
fn domain_ioc(n: u64, salt: u64) -> Value {
    ioc(
        n,
        salt,
        "Credential phishing against the voter register",
        &format!("[domain-name:value = '{}']", domain(n, salt)),
    )
}

pub(crate) fn id_of(object: &Value) -> String {
    object["id"].as_str().expect("an id").to_owned()
}

// ---------------------------------------------------------------------------
// 1. Everything arrives, provably, exactly once, whatever is killed when.

/// Imports indicators `from..to` (salt `salt`) into `collection` in one
/// `entente import`; returns their ids.
fn import_range(
    net: &Net,
    party: &Party,
    collection: &str,
    from: u64,
    to: u64,
    salt: u64,
) -> Vec<String> {
    let file = net.file("bulk");
    let mut out = std::io::BufWriter::new(File::create(&file).unwrap());
    write!(
        out,
        "{{\"type\":\"bundle\",\"id\":\"bundle--{}\",\"objects\":[",
        uuid_from(from, to)
    )
    .unwrap();
    for n in from..to {
        if n > from {
            out.write_all(b",").unwrap();
        }
        serde_json::to_writer(&mut out, &domain_ioc(n, salt)).unwrap();
    }
    out.write_all(b"]}").unwrap();
    drop(out);
    party.run(&["import", "-c", collection, &file.to_string_lossy()], 0);
    (from..to).map(|n| id_of(&domain_ioc(n, salt))).collect()
}

#[test]
fn a_mirror_gets_every_object_exactly_once_across_kills() {
    const N: u64 = 20_000;
    const MORE: u64 = 5_000;
    const SALT: u64 = 0xA1;
    let net = Net::new();
    let mut alpha = net.party("alpha");
    alpha.create("shared");
    let token = alpha.issue("bravo", &["shared"]);
    alpha.serve();

    // N small indicators in one import.
    let mut published: BTreeSet<String> = import_range(&net, &alpha, "shared", 0, N, SALT)
        .into_iter()
        .collect();
    let mut next = N;
    assert_eq!(alpha.size("shared"), N);

    let bravo = net.party("bravo");
    bravo.add_peer(&alpha, &token, &[]);

    // How long a whole round takes here, on a scratch copy of bravo: only to
    // place the kills inside rounds (nothing is asserted about time).
    let scratch = net.root().join("bravo-scratch");
    copy_dir(&bravo.data, &scratch);
    let started = Instant::now();
    let calibration = run_bounded(&scratch, &["--quiet", "sync"]);
    let round_time = started.elapsed();
    assert_eq!(
        calibration.status.code(),
        Some(0),
        "{}",
        stdout(&calibration)
    );
    let round_ms = (round_time.as_millis() as u64).max(20);

    // Kill bravo's sync mid-round (and, every third time, alpha's server)
    // after a random part of the time a round with that much to do takes. A
    // round that finished before its kill applied everything: alpha then
    // publishes more, so that the next kill has a round to interrupt.
    let mut rng = rand::thread_rng();
    let mut interrupted = 0;
    let mut mirrored = 0;
    for round in 0..8 {
        let pending = next - mirrored;
        let delay = (rng.gen_range(round_ms / 10..=round_ms * 9 / 10) * pending / N).max(1);
        let mut child = entente()
            .arg("--data")
            .arg(&bravo.data)
            .args(["--quiet", "sync"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("entente sync starts");
        thread::sleep(Duration::from_millis(delay));
        let target = if round % 3 == 2 {
            alpha.kill();
            // Without its peer the round fails (or had finished): either way it ends.
            let status = wait_bounded(&mut child, LIMIT).expect("sync ends without its peer");
            assert!(
                matches!(status.code(), Some(0 | 1)),
                "sync without its peer exited {status:?}"
            );
            alpha.serve();
            "alpha's server"
        } else {
            let _ = child.kill();
            child.wait().unwrap();
            "bravo's sync"
        };
        // After any crash the mirror reopens to a log whose checkpoint verifies,
        // and holds no more than alpha has.
        bravo.run(&["audit"], 0);
        for m in bravo.collections() {
            if m["alias"].as_str().is_some_and(|a| a.starts_with("alpha.")) {
                mirrored = m["size"].as_u64().unwrap();
                assert!(mirrored <= next, "a mirror larger than its log: {m}");
            }
        }
        eprintln!(
            "round {round}: {target} killed after {delay} ms with {pending} entries to mirror; the mirror has {mirrored}"
        );
        if pending > 0 && mirrored < next {
            interrupted += 1;
        }
        if mirrored == next {
            // Nothing left to interrupt: give the next round work.
            published.extend(import_range(
                &net,
                &alpha,
                "shared",
                next,
                next + MORE,
                SALT,
            ));
            next += MORE;
        }
    }
    eprintln!(
        "a round of {N} entries took {round_time:?}; {interrupted} of 8 rounds were killed before they completed"
    );

    // A final round completes what the interrupted ones left.
    let total = alpha.size("shared");
    assert_eq!(total, next);
    assert_eq!(published.len() as u64, total);
    let report = bravo.sync(0);
    let first = line(&report, "alpha");
    assert!(
        first["outcome"] == "applied" || first["outcome"] == "up-to-date",
        "the final round should apply or find all applied: {report:#}"
    );
    let mirror = mirror_alias(&report, "alpha");
    assert_eq!(first["size"], total, "{report:#}");
    assert_eq!(
        bravo.size(&mirror),
        total,
        "the mirror has exactly alpha's entries"
    );

    let ids = bravo.export_ids(&mirror);
    let unique: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(
        ids.len(),
        unique.len(),
        "the mirror's export has duplicate ids"
    );
    assert_eq!(
        unique, published,
        "the mirror holds exactly alpha's objects"
    );
    assert_eq!(
        alpha
            .export_ids("shared")
            .into_iter()
            .collect::<BTreeSet<_>>(),
        published
    );
    bravo.run(&["audit", "--deep"], 0);

    // Provable with alpha's key alone: the first, the last and a few others.
    let mut sample = vec![0, total - 1];
    sample.extend((0..5).map(|_| rng.gen_range(1..total - 1)));
    for n in sample {
        bravo.prove(&mirror, &id_of(&domain_ioc(n, SALT)), &alpha.key);
    }

    // A second round adds nothing.
    let again = bravo.sync(0);
    assert_eq!(line(&again, "alpha")["outcome"], "up-to-date", "{again:#}");
    assert_eq!(bravo.size(&mirror), total);
    let status = bravo.json(&["peer", "status"], 0);
    assert_eq!(status["misbehaviour"], false, "{status:#}");
}

// ---------------------------------------------------------------------------
// 2. A rewritten, truncated or forked history is caught in one round, with
//    evidence anyone can check offline; a rollback is refused without any.

/// How alpha's history is rewritten after `K` of its objects.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Rewrite {
    /// Object K+1 is replaced by another; the tree stays the same size.
    Changed,
    /// Object K+1 is left out: the tree is one smaller than bravo's.
    Dropped,
    /// Object K+1 is left out, and two more are added: the tree grows past
    /// bravo's, so bravo first tries to apply the new entries.
    DroppedAndGrown,
    /// Alpha goes back to K objects and adds nothing.
    RolledBack,
}

const K: usize = 5;
const TOTAL: usize = 8;

/// Alpha publishes TOTAL objects (keeping a copy of its data directory at
/// K); bravo mirrors them; alpha's history is rewritten from the copy as
/// `how` says and alpha restarts on its port; bravo syncs once. Returns
/// (net, alpha, bravo, mirror alias, bravo's ids before, that sync's report).
fn rewrite(how: Rewrite) -> (Net, Party, Party, String, Vec<String>, Value) {
    const SALT: u64 = 0xB2;
    let net = Net::new();
    let mut alpha = net.party("alpha");
    alpha.create("shared");
    let token = alpha.issue("bravo", &["shared"]);
    let objects: Vec<Value> = (0..TOTAL as u64).map(|n| domain_ioc(n, SALT)).collect();
    alpha.publish("shared", &objects[..K]);
    let snapshot = net.root().join("alpha-at-k");
    copy_dir(&alpha.data, &snapshot);
    for object in &objects[K..] {
        alpha.publish("shared", std::slice::from_ref(object));
    }
    alpha.serve();

    let bravo = net.party("bravo");
    bravo.add_peer(&alpha, &token, &[]);
    let first = bravo.sync(0);
    assert_eq!(line(&first, "alpha")["outcome"], "applied", "{first:#}");
    let mirror = mirror_alias(&first, "alpha");
    assert_eq!(bravo.size(&mirror), TOTAL as u64);
    let before = bravo.export_ids(&mirror);
    assert_eq!(before.len(), TOTAL);

    alpha.stop();
    restore(&snapshot, &alpha.data);
    assert_eq!(alpha.size("shared"), K as u64);
    match how {
        Rewrite::Changed => {
            let mut forged = objects[K..].to_vec();
            forged[0] = ioc(
                K as u64,
                SALT,
                "Rewritten: another address in its place",
                "[ipv4-addr:value = '45.77.12.34']",
            );
            forged[0]["id"] = json!(format!("indicator--{}", uuid_from(999, SALT)));
            for object in &forged {
                alpha.publish("shared", std::slice::from_ref(object));
            }
            assert_eq!(alpha.size("shared"), TOTAL as u64);
        }
        Rewrite::Dropped => {
            alpha.publish("shared", &objects[K + 1..]);
            assert_eq!(alpha.size("shared"), TOTAL as u64 - 1);
        }
        Rewrite::DroppedAndGrown => {
            let mut rest = objects[K + 1..].to_vec();
            rest.push(domain_ioc(100, SALT));
            rest.push(domain_ioc(101, SALT));
            alpha.publish("shared", &rest);
            assert_eq!(alpha.size("shared"), TOTAL as u64 + 1);
        }
        Rewrite::RolledBack => {}
    }
    alpha.serve();
    let report = bravo.sync(1);
    (net, alpha, bravo, mirror, before, report)
}

/// What must hold after bravo caught alpha: the mirror kept what it had,
/// the peer is marked, and the evidence convinces a third party holding
/// only alpha's key (and no other key).
fn assert_caught(
    alpha: &Party,
    bravo: &Party,
    mirror: &str,
    before: &[String],
    report: &Value,
    mirror_size: u64,
) {
    let caught = line(report, "alpha");
    assert_eq!(caught["outcome"], "misbehaviour", "{report:#}");
    assert_eq!(report["misbehaviour"], true, "{report:#}");
    assert_eq!(caught["size"], mirror_size, "{report:#}");
    assert_eq!(bravo.size(mirror), mirror_size, "the mirror keeps its size");
    assert_eq!(
        bravo.export_ids(mirror),
        before,
        "the mirror keeps its objects"
    );
    bravo.prove(mirror, &before[0], &alpha.key);
    bravo.run(&["audit"], 0);

    let status = bravo.json(&["peer", "status", "alpha"], 1);
    assert_eq!(status["misbehaviour"], true, "{status:#}");
    let m = &status["peers"][0]["mirrors"][0];
    assert!(m["misbehaviour"].is_string(), "{status:#}");
    assert_eq!(m["size"], mirror_size, "{status:#}");

    let named = PathBuf::from(caught["evidence"].as_str().expect("an evidence path"));
    let files = bravo.evidence();
    assert_eq!(files.len(), 1, "one evidence file: {files:?}");
    assert_eq!(
        std::fs::canonicalize(&named).ok(),
        std::fs::canonicalize(&files[0]).ok(),
        "the report names the evidence file"
    );
    // Offline, elsewhere: a copy of the file and alpha's key are enough.
    let elsewhere = tempfile::tempdir().unwrap();
    let copy = elsewhere.path().join("evidence.json");
    std::fs::copy(&files[0], &copy).unwrap();
    let verified = entente()
        .args(["evidence", "verify"])
        .arg(&copy)
        .args(["--key", &alpha.key])
        .output()
        .unwrap();
    assert_eq!(
        verified.status.code(),
        Some(0),
        "the evidence should prove alpha's misbehaviour:\n{}{}",
        stdout(&verified),
        String::from_utf8_lossy(&verified.stderr)
    );
    // It proves something about alpha's key, not any key's.
    let wrong = entente()
        .args(["evidence", "verify"])
        .arg(&copy)
        .args(["--key", &bravo.key])
        .output()
        .unwrap();
    assert_eq!(
        wrong.status.code(),
        Some(1),
        "evidence checked with another key must not prove anything:\n{}",
        stdout(&wrong)
    );

    // The mirror stays stopped, and still keeps what it had.
    let later = bravo.sync(1);
    assert_eq!(line(&later, "alpha")["outcome"], "halted", "{later:#}");
    assert_eq!(bravo.size(mirror), mirror_size);
}

#[test]
fn a_changed_entry_is_caught_with_evidence() {
    let (_net, alpha, bravo, mirror, before, report) = rewrite(Rewrite::Changed);
    assert_caught(&alpha, &bravo, &mirror, &before, &report, TOTAL as u64);
}

#[test]
fn a_dropped_entry_is_caught_with_evidence() {
    let (_net, alpha, bravo, mirror, before, report) = rewrite(Rewrite::Dropped);
    assert_caught(&alpha, &bravo, &mirror, &before, &report, TOTAL as u64);
}

#[test]
fn a_dropped_entry_in_a_longer_history_is_caught_with_evidence() {
    let (_net, alpha, bravo, mirror, before, report) = rewrite(Rewrite::DroppedAndGrown);
    assert_caught(&alpha, &bravo, &mirror, &before, &report, TOTAL as u64);
}

#[test]
fn a_rollback_is_refused_without_evidence() {
    let (_net, _alpha, bravo, mirror, before, report) = rewrite(Rewrite::RolledBack);
    let rolled = line(&report, "alpha");
    assert_eq!(rolled["outcome"], "rolled-back", "{report:#}");
    assert_eq!(rolled["served"], K as u64, "{report:#}");
    assert_eq!(rolled["accepted"], TOTAL as u64, "{report:#}");
    assert_eq!(bravo.size(&mirror), TOTAL as u64, "nothing is undone");
    assert_eq!(bravo.export_ids(&mirror), before);
    assert!(
        bravo.evidence().is_empty(),
        "a rollback proves nothing, so no evidence: {:?}",
        bravo.evidence()
    );
    bravo.run(&["audit"], 0);
}

/// Alpha shows bravo one history and charlie another of the same size;
/// bravo, asking charlie's witness, catches the fork in one round.
#[test]
fn a_forked_history_is_caught_through_another_witness() {
    const SALT: u64 = 0xC3;
    let net = Net::new();
    let mut alpha1 = net.party("alpha");
    alpha1.create("shared");
    let for_bravo = alpha1.issue("bravo", &["shared"]);
    let for_charlie = alpha1.issue("charlie", &["shared"]);
    let objects: Vec<Value> = (0..K as u64).map(|n| domain_ioc(n, SALT)).collect();
    alpha1.publish("shared", &objects);
    // The same node, twice: from here on the two copies diverge.
    let mut alpha2 = alpha1.copy("alpha-2");
    let x = domain_ioc(50, SALT);
    let y = ioc(
        51,
        SALT,
        "What charlie is shown instead",
        "[ipv4-addr:value = '45.77.12.34']",
    );
    alpha1.publish("shared", std::slice::from_ref(&x));
    alpha2.publish("shared", std::slice::from_ref(&y));
    alpha1.serve();
    alpha2.serve();
    assert_ne!(alpha1.url(), alpha2.url());

    let mut charlie = net.party("charlie");
    let mut bravo = net.party("bravo");
    charlie.serve();
    bravo.serve();
    let charlie_for_bravo = charlie.issue("bravo", &[]);
    charlie.add_peer_at("alpha", &alpha2.url(), &alpha2.key, &for_charlie, &[]);
    bravo.add_peer_at("alpha", &alpha1.url(), &alpha1.key, &for_bravo, &[]);
    bravo.add_peer(&charlie, &charlie_for_bravo, &[]);

    // Bravo mirrors alpha-1's history while charlie has seen nothing yet.
    let first = bravo.sync(0);
    assert_eq!(line(&first, "alpha")["outcome"], "applied", "{first:#}");
    let mirror = mirror_alias(&first, "alpha");
    let before = bravo.export_ids(&mirror);
    assert!(before.contains(&id_of(&x)) && !before.contains(&id_of(&y)));
    let size = bravo.size(&mirror);
    assert_eq!(size, K as u64 + 1);

    // Charlie mirrors (and so witnesses) alpha-2's history of the same size.
    let seen = charlie.sync(0);
    assert_eq!(line(&seen, "alpha")["outcome"], "applied", "{seen:#}");
    assert_eq!(line(&seen, "alpha")["size"], K as u64 + 1);

    // One round: alpha-1 has nothing new for bravo, but charlie's witness
    // holds a checkpoint of the same size with another root.
    let report = bravo.sync(1);
    assert_caught(&alpha1, &bravo, &mirror, &before, &report, size);
}

// ---------------------------------------------------------------------------
// 3. A partner's indicator for our own infrastructure is quarantined.

#[test]
fn an_indicator_for_an_allowlisted_domain_is_quarantined_until_released() {
    const SALT: u64 = 0xD4;
    let net = Net::new();
    let mut alpha = net.party("alpha");
    alpha.create("shared");
    let token = alpha.issue("bravo", &["shared"]);
    let poisoned = ioc(
        1,
        SALT,
        "Looks like phishing; is bravo's own results site",
        "[domain-name:value = 'elections.bravo-land.org']",
    );
    let normal = ioc(
        2,
        SALT,
        "Phishing portal",
        "[domain-name:value = 'phish-login-portal.net']",
    );
    let address = ioc(
        3,
        SALT,
        "Staging server",
        "[ipv4-addr:value = '45.77.12.34']",
    );
    alpha.publish(
        "shared",
        &[poisoned.clone(), normal.clone(), address.clone()],
    );
    alpha.serve();

    let bravo = net.party("bravo");
    bravo.configure("\n[warninglists]\ndomains = [\"elections.bravo-land.org\"]\n");
    bravo.add_peer(&alpha, &token, &[]);
    let report = bravo.sync(0);
    let applied = line(&report, "alpha");
    assert_eq!(applied["outcome"], "applied", "{report:#}");
    assert_eq!(applied["objects"], 3, "{report:#}");
    assert_eq!(applied["quarantined"], 1, "{report:#}");
    let mirror = mirror_alias(&report, "alpha");

    let held = bravo.json(&["quarantine", "list"], 0);
    let held = held["quarantine"]
        .as_array()
        .expect("a quarantine list")
        .clone();
    assert_eq!(held.len(), 1, "{held:#?}");
    assert_eq!(held[0]["id"], id_of(&poisoned));
    assert_eq!(held[0]["peer"], "alpha");
    assert!(
        held[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("elections.bravo-land.org")),
        "the reason names what was hit: {held:#?}"
    );
    let status = bravo.json(&["peer", "status"], 0);
    assert_eq!(
        status["peers"][0]["mirrors"][0]["quarantined"], 1,
        "{status:#}"
    );

    let exported = bravo.export_ids(&mirror);
    assert!(exported.contains(&id_of(&normal)), "{exported:?}");
    assert!(
        !exported.contains(&id_of(&poisoned)),
        "a quarantined object is exported: {exported:?}"
    );

    let telemetry = net.file("bravo-dns.list");
    std::fs::write(
        &telemetry,
        "elections.bravo-land.org\nphish-login-portal.net\nweather.bravo-land.org\nelections.bravo-land.org\n45.77.12.34\n",
    )
    .unwrap();
    let sighted = |bravo: &Party| -> BTreeSet<String> {
        let out = bravo.run(
            &["match", "--format", "list", &telemetry.to_string_lossy()],
            0,
        );
        let bundle: Value = serde_json::from_slice(&out.stdout).expect("match prints a bundle");
        bundle["objects"]
            .as_array()
            .expect("a bundle")
            .iter()
            .filter(|o| o["type"] == "sighting")
            .map(|o| o["sighting_of_ref"].as_str().unwrap().to_owned())
            .collect()
    };
    let before = sighted(&bravo);
    assert!(before.contains(&id_of(&normal)), "{before:?}");
    assert!(before.contains(&id_of(&address)), "{before:?}");
    assert!(
        !before.contains(&id_of(&poisoned)),
        "a quarantined indicator was matched: {before:?}"
    );

    bravo.run(&["quarantine", "release", &id_of(&poisoned)], 0);
    let after = sighted(&bravo);
    assert!(
        after.contains(&id_of(&poisoned)),
        "a released indicator should be matched: {after:?}"
    );
    assert!(after.contains(&id_of(&normal)));
    assert!(bravo.export_ids(&mirror).contains(&id_of(&poisoned)));
    let left = bravo.json(&["quarantine", "list"], 0);
    assert_eq!(left["quarantine"], json!([]), "{left:#}");
}

// ---------------------------------------------------------------------------
// 4. What is not for a partner never leaves: checked on the wire.

/// One proxied connection: the bytes sent to the server (after the proxy
/// asked for identity encoding) and those it answered.
#[derive(Default)]
struct Conversation {
    requests: Vec<u8>,
    responses: Vec<u8>,
    /// A request the proxy could not frame (chunked upload): the wire check
    /// would not be sound.
    unframed: bool,
}

/// A recording TCP proxy on 127.0.0.1: every connection is forwarded to
/// `target`, and what goes both ways is kept.
struct Recorder {
    port: u16,
    conversations: Arc<Mutex<Vec<Arc<Mutex<Conversation>>>>>,
    stop: Arc<AtomicBool>,
    accept: Option<thread::JoinHandle<()>>,
}

impl Recorder {
    fn start(target: String) -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").expect("the proxy binds");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let conversations: Arc<Mutex<Vec<Arc<Mutex<Conversation>>>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let (conversations, stop) = (Arc::clone(&conversations), Arc::clone(&stop));
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((client, _)) => {
                            let conversation = Arc::new(Mutex::new(Conversation::default()));
                            conversations
                                .lock()
                                .unwrap()
                                .push(Arc::clone(&conversation));
                            proxy(client, &target, conversation);
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            thread::sleep(Duration::from_millis(5));
                        }
                        Err(e) => panic!("the proxy cannot accept: {e}"),
                    }
                }
            })
        };
        Recorder {
            port,
            conversations,
            stop,
            accept: Some(accept),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// Forwards one connection both ways (two threads that end with it, or
/// after a minute of silence).
fn proxy(client: TcpStream, target: &str, conversation: Arc<Mutex<Conversation>>) {
    client.set_nonblocking(false).unwrap();
    let Ok(server) = TcpStream::connect(target) else {
        return;
    };
    for s in [&client, &server] {
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    }
    let (client2, server2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    let up = Arc::clone(&conversation);
    thread::spawn(move || forward_requests(client, server, &up));
    thread::spawn(move || {
        let (mut from, mut to) = (server2, client2);
        let mut buf = [0u8; 16 * 1024];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 {
                break;
            }
            conversation
                .lock()
                .unwrap()
                .responses
                .extend_from_slice(&buf[..n]);
            if to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}

/// Client to server: each request's head is rewritten to accept only the
/// identity encoding, so that what the server sends is readable as sent.
fn forward_requests(mut from: TcpStream, mut to: TcpStream, conversation: &Mutex<Conversation>) {
    let mut pending: Vec<u8> = Vec::new();
    let mut body_left = 0usize;
    let mut buf = [0u8; 16 * 1024];
    'read: while let Ok(n) = from.read(&mut buf) {
        if n == 0 {
            break;
        }
        pending.extend_from_slice(&buf[..n]);
        loop {
            let out: Vec<u8> = if body_left > 0 {
                let take = body_left.min(pending.len());
                if take == 0 {
                    break;
                }
                body_left -= take;
                pending.drain(..take).collect()
            } else {
                let Some(end) = find(&pending, b"\r\n\r\n") else {
                    break;
                };
                let head: Vec<u8> = pending.drain(..end + 4).collect();
                let (head, length, unframed) = identity_only(&head);
                if unframed {
                    conversation.lock().unwrap().unframed = true;
                }
                body_left = length;
                head
            };
            conversation
                .lock()
                .unwrap()
                .requests
                .extend_from_slice(&out);
            if to.write_all(&out).is_err() {
                break 'read;
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// A request head with `Accept-Encoding: identity` instead of whatever the
/// client asked, its body's length, and whether its body cannot be framed.
fn identity_only(head: &[u8]) -> (Vec<u8>, usize, bool) {
    let text = String::from_utf8_lossy(head);
    let mut lines: Vec<String> = Vec::new();
    let (mut length, mut unframed) = (0, false);
    for line in text.trim_end_matches("\r\n").split("\r\n") {
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("accept-encoding:") {
            continue;
        }
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("transfer-encoding:") {
            unframed = true;
        }
        lines.push(line.to_owned());
    }
    lines.push("Accept-Encoding: identity".into());
    let mut out = lines.join("\r\n").into_bytes();
    out.extend_from_slice(b"\r\n\r\n");
    (out, length, unframed)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// One HTTP/1.1 response as it was framed on the wire.
struct Response {
    head: String,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<String> {
        self.head.split("\r\n").skip(1).find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_ascii_lowercase())
        })
    }
}

/// Splits a connection's response bytes into responses, undoing chunked
/// transfer coding (so that no chunk boundary can split an id).
fn responses(mut bytes: &[u8]) -> Vec<Response> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let end = find(bytes, b"\r\n\r\n").expect("a complete response head");
        let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
        bytes = &bytes[end + 4..];
        let mut response = Response {
            head,
            body: Vec::new(),
        };
        let status: u16 = response
            .head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("a status code");
        if (100..200).contains(&status) || status == 204 || status == 304 {
            out.push(response);
            continue;
        }
        if response
            .header("transfer-encoding")
            .is_some_and(|t| t.contains("chunked"))
        {
            loop {
                let eol = find(bytes, b"\r\n").expect("a chunk size line");
                let size_text = String::from_utf8_lossy(&bytes[..eol]);
                let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16)
                    .expect("a hexadecimal chunk size");
                bytes = &bytes[eol + 2..];
                if size == 0 {
                    // Trailers, up to an empty line.
                    let end = find(bytes, b"\r\n").expect("the end of the trailers");
                    let end = if end == 0 {
                        2
                    } else {
                        find(bytes, b"\r\n\r\n").expect("trailers end") + 4
                    };
                    bytes = &bytes[end..];
                    break;
                }
                response.body.extend_from_slice(&bytes[..size]);
                bytes = &bytes[size + 2..];
            }
        } else if let Some(length) = response.header("content-length") {
            let length: usize = length.parse().expect("a content length");
            response.body = bytes[..length].to_vec();
            bytes = &bytes[length..];
        } else {
            response.body = bytes.to_vec();
            bytes = &[];
        }
        out.push(response);
    }
    out
}

#[test]
fn objects_outside_the_audience_never_go_on_the_wire() {
    const SALT_SHARED: u64 = 0xE5;
    const SALT_INTERNAL: u64 = 0xE6;
    const SHARED_MARKER: &str = "SHARED-MARKER-4d1c0b7e";
    const INTERNAL_MARKER: &str = "INTERNAL-ONLY-MARKER-9f3a2e51";
    let net = Net::new();
    let mut alpha = net.party("alpha");
    let shared_id = alpha.create("shared");
    let internal_id = alpha.create("internal");
    let token = alpha.issue("bravo", &["shared"]);
    let mut shared = Vec::new();
    let mut internal = Vec::new();
    // Interleaved, so that no range of time or position holds only one kind.
    for n in 0..6u64 {
        let s = ioc(
            n,
            SALT_SHARED,
            &format!("{SHARED_MARKER} for bravo"),
            &format!("[domain-name:value = '{}']", domain(n, SALT_SHARED)),
        );
        let i = ioc(
            n,
            SALT_INTERNAL,
            &format!("{INTERNAL_MARKER}: our own informant's lead"),
            &format!("[domain-name:value = '{}']", domain(n, SALT_INTERNAL)),
        );
        alpha.publish("shared", std::slice::from_ref(&s));
        alpha.publish("internal", std::slice::from_ref(&i));
        shared.push(s);
        internal.push(i);
    }
    alpha.serve();
    let recorder = Recorder::start(alpha.listen.clone());

    let bravo = net.party("bravo");
    bravo.add_peer_at("alpha", &recorder.url(), &alpha.key, &token, &[]);
    let report = bravo.sync(0);
    let applied = line(&report, "alpha");
    assert_eq!(applied["outcome"], "applied", "{report:#}");
    assert_eq!(applied["collection"], shared_id.as_str());
    assert_eq!(applied["objects"], 6, "{report:#}");
    let again = bravo.sync(0);
    assert_eq!(line(&again, "alpha")["outcome"], "up-to-date", "{again:#}");

    // Bravo's store: a mirror of `shared`, none of `internal`.
    let collections = bravo.collections();
    let mirrors: Vec<&Value> = collections
        .iter()
        .filter(|c| c["alias"].as_str().is_some_and(|a| a.starts_with("alpha.")))
        .collect();
    assert_eq!(mirrors.len(), 1, "{collections:#?}");
    assert_eq!(mirrors[0]["alias"], format!("alpha.{}", &shared_id[..8]));
    for c in &collections {
        let text = bravo.run(&["export", "-c", c["id"].as_str().unwrap()], 0);
        assert!(
            find(&text.stdout, INTERNAL_MARKER.as_bytes()).is_none(),
            "bravo's {} holds alpha's internal objects",
            c["alias"]
        );
    }

    // The wire: every conversation's bytes as sent, and its responses' bodies
    // as framed (no transfer coding), all in identity encoding.
    let conversations = recorder.conversations.lock().unwrap();
    assert!(
        !conversations.is_empty(),
        "bravo never went through the proxy"
    );
    let mut raw = Vec::new();
    let mut decoded = Vec::new();
    let mut count = 0;
    for c in conversations.iter() {
        let c = c.lock().unwrap();
        assert!(!c.unframed, "a request the proxy could not frame");
        raw.extend_from_slice(&c.requests);
        raw.extend_from_slice(&c.responses);
        for response in responses(&c.responses) {
            count += 1;
            let encoding = response.header("content-encoding");
            assert!(
                encoding.as_deref().is_none_or(|e| e == "identity"),
                "the client accepted only identity, the node answered {encoding:?}:\n{}",
                response.head
            );
            decoded.extend_from_slice(response.head.as_bytes());
            decoded.extend_from_slice(&response.body);
        }
    }
    drop(conversations);
    assert!(count >= 3, "only {count} responses recorded");
    // The check can see objects: everything of `shared` is there, in the clear.
    for object in &shared {
        let id = id_of(object);
        assert!(
            find(&decoded, id.as_bytes()).is_some(),
            "{id} was not seen on the wire"
        );
    }
    assert!(find(&decoded, SHARED_MARKER.as_bytes()).is_some());
    // And nothing of `internal` is.
    let mut forbidden: Vec<String> = internal.iter().map(id_of).collect();
    forbidden.push(INTERNAL_MARKER.into());
    forbidden.push(internal_id.clone());
    for secret in &forbidden {
        for (what, bytes) in [("raw", &raw), ("decoded", &decoded)] {
            assert!(
                find(bytes, secret.as_bytes()).is_none(),
                "{secret} went on the wire to bravo ({what} bytes)"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// 5. Sightings come back to the indicators' author.

#[test]
fn sightings_reach_the_author_with_counts_and_sighter() {
    const SALT: u64 = 0xF6;
    let net = Net::new();
    let mut alpha = net.party("alpha");
    let mut bravo = net.party("bravo");
    alpha.serve();
    bravo.serve();
    alpha.create("shared");
    let alpha_for_bravo = alpha.issue("bravo", &["shared"]);
    let phish = domain_ioc(1, SALT);
    let staging = ioc(
        2,
        SALT,
        "Staging server",
        "[ipv4-addr:value = '45.77.12.34']",
    );
    let unseen = domain_ioc(3, SALT);
    alpha.publish("shared", &[phish.clone(), staging.clone(), unseen.clone()]);

    bravo.add_peer(&alpha, &alpha_for_bravo, &[]);
    let synced = bravo.sync(0);
    assert_eq!(line(&synced, "alpha")["objects"], 3, "{synced:#}");

    bravo.create("to-alpha");
    let bravo_for_alpha = bravo.issue("alpha", &["to-alpha"]);
    let telemetry = net.file("bravo-resolver.list");
    let d = domain(1, SALT);
    std::fs::write(
        &telemetry,
        format!("{d}\nweather.bravo-land.org\n{d}\n45.77.12.34\nnews.bravo-land.org\n{d}\n"),
    )
    .unwrap();
    bravo.run(
        &[
            "match",
            "--format",
            "list",
            &telemetry.to_string_lossy(),
            "--publish",
            "to-alpha",
        ],
        0,
    );
    assert!(bravo.size("to-alpha") > 0, "no sightings were published");

    alpha.add_peer(&bravo, &bravo_for_alpha, &[]);
    let back = alpha.sync(0);
    assert_eq!(line(&back, "bravo")["outcome"], "applied", "{back:#}");

    let report = alpha.json(&["sightings"], 0);
    let by_id: BTreeMap<String, Value> = report["indicators"]
        .as_array()
        .expect("a list of indicators")
        .iter()
        .map(|i| (i["id"].as_str().unwrap().to_owned(), i.clone()))
        .collect();
    assert_eq!(
        by_id.keys().cloned().collect::<BTreeSet<_>>(),
        [id_of(&phish), id_of(&staging)].into_iter().collect(),
        "{report:#}"
    );
    for (object, count) in [(&phish, 3), (&staging, 1)] {
        let i = &by_id[&id_of(object)];
        assert_eq!(i["count"], count, "{i:#}");
        assert_eq!(i["sightings"], 1, "{i:#}");
        assert_eq!(i["by"], json!(["bravo"]), "{i:#}");
        assert_eq!(i["from"], json!(["bravo"]), "{i:#}");
    }
    let one = alpha.json(&["sightings", "--indicator", &id_of(&unseen)], 0);
    let listed = one["indicators"].as_array().expect("a list");
    assert!(
        listed.len() == 1 && listed[0]["id"] == id_of(&unseen) && listed[0]["count"] == 0,
        "an unsighted indicator is listed with no sightings: {one:#}"
    );
}

// ---------------------------------------------------------------------------
// k of n witnesses.

#[test]
fn a_checkpoint_waits_for_the_required_witness() {
    const SALT: u64 = 0x17;
    let net = Net::new();
    let mut alpha = net.party("alpha");
    let mut charlie = net.party("charlie");
    alpha.serve();
    charlie.serve();
    alpha.create("shared");
    let alpha_for_bravo = alpha.issue("bravo", &["shared"]);
    let alpha_for_charlie = alpha.issue("charlie", &["shared"]);
    let objects: Vec<Value> = (0..3).map(|n| domain_ioc(n, SALT)).collect();
    alpha.publish("shared", &objects);

    let bravo = net.party("bravo");
    bravo.add_peer(
        &alpha,
        &alpha_for_bravo,
        &["--witness", &charlie.key, "--min-witnesses", "1"],
    );
    let waiting = bravo.sync(1);
    let w = line(&waiting, "alpha");
    assert_eq!(w["outcome"], "failed", "{waiting:#}");
    assert_eq!(
        w["size"], 0,
        "nothing is applied before the witness cosigned: {waiting:#}"
    );
    let mirror = mirror_alias(&waiting, "alpha");
    assert_eq!(bravo.size(&mirror), 0);
    assert!(bravo.export_ids(&mirror).is_empty());

    // Charlie witnesses alpha's log; alpha pushes its checkpoint to it.
    let charlie_for_alpha = charlie.issue("alpha", &[]);
    charlie.add_peer(&alpha, &alpha_for_charlie, &[]);
    alpha.add_peer(&charlie, &charlie_for_alpha, &[]);
    let pushed = alpha.sync(0);
    assert!(pushed["cosigned"].as_u64() >= Some(1), "{pushed:#}");

    let report = bravo.sync(0);
    let applied = line(&report, "alpha");
    assert_eq!(applied["outcome"], "applied", "{report:#}");
    assert_eq!(applied["size"], 3, "{report:#}");
    let ids: BTreeSet<String> = bravo.export_ids(&mirror).into_iter().collect();
    assert_eq!(ids, objects.iter().map(id_of).collect());
}
