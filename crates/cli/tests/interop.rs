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
//! Without a node, `tests/interop/pattern_matcher.py` checks `entente pattern match`
//! and the bulk index of `entente match` against the OASIS stix2-matcher on
//! random patterns and observed data, and the sightings bundle `entente match`
//! prints against stix2-validator in strict mode.
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

fn repo_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // Canonical, so that a venv's python finds its pyvenv.cfg next to it.
    std::fs::canonicalize(&root).unwrap_or(root)
}

fn python() -> Option<PathBuf> {
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
fn skip(what: &str, how: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("the interop test needs {what}: {how}");
    }
    eprintln!("\n**********************************************************************");
    eprintln!("*** SKIPPED {what}.");
    eprintln!("*** To run it: {how}.");
    eprintln!("**********************************************************************\n");
}

/// Runs a client script to completion (bounded); returns its status and output.
fn run_script(mut cmd: Command) -> (ExitStatus, String) {
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

/// Random patterns and observed data, decided by `entente pattern match --cases`
/// and by the OASIS reference matcher; then random indicators run by the bulk
/// index of `entente match --indicators --format stix`, every sighting count
/// compared with the reference's.
#[test]
fn stix2_matcher_agrees_with_pattern_match_and_the_index() {
    let how = "run scripts/python-env.sh (it builds .venv at the repository root), or set ENTENTE_PYTHON to a python with stix2-matcher and stix2-patterns installed";
    let Some(py) = python() else {
        skip("the stix2-matcher interop checks: no Python", how);
        return;
    };
    let usable = Command::new(&py)
        .args(["-c", "import stix2matcher.matcher, stix2patterns.validator"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !usable {
        skip(
            "the stix2-matcher interop checks: no Python with stix2-matcher",
            how,
        );
        return;
    }
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
