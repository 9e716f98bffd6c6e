//! `entente serve` itself: HTTPS from a given certificate, plain HTTP only on
//! loopback unless allowed, a fresh data directory created on first start,
//! and two server processes on one data directory sharing paging cursors.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::harness::*;
use crate::util::*;

/// A self-signed certificate for 127.0.0.1 made with the openssl command;
/// returns (certificate, key).
fn self_signed(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("the openssl command runs");
    assert!(
        out.status.success(),
        "openssl req failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (cert, key)
}

/// curl with the given CA; returns (HTTP status, body).
fn curl(ca: &Path, url: &str, token: &str) -> (String, String) {
    let out = Command::new("curl")
        .args(["-s", "--max-time", "10", "-w", "\n%{http_code}", "--cacert"])
        .arg(ca)
        .args(["-H", &format!("Authorization: Bearer {token}"), url])
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
    (code.to_owned(), body.to_owned())
}

#[test]
fn serves_https_from_a_given_certificate() {
    let (tmp, data, _) = new_node();
    let (cert, key) = self_signed(tmp.path());
    let token = add_user(&data, "alice", &["--read", "default", "--write", "default"]);
    let (cert_arg, key_arg) = (cert.display().to_string(), key.display().to_string());
    let mut node = Node::start_with(
        &data,
        tmp.path().join("serve.log"),
        &["--tls-cert", &cert_arg, "--tls-key", &key_arg],
        Some(&cert),
    );
    assert!(node.url.starts_with("https://127.0.0.1:"), "{}", node.url);
    let (code, body) = curl(&cert, &format!("{}taxii2/", node.url), &token);
    assert_eq!(code, "200", "{body}");
    let discovery: Value = serde_json::from_str(&body).expect("discovery is JSON");
    assert_eq!(discovery["default"], format!("{}api/", node.url), "{body}");
    // Plain HTTP to the TLS port gets no TAXII answer.
    let plain = node.get("/healthz").unwrap_or_default();
    assert!(
        !plain.contains(" 200"),
        "plain HTTP was served on the TLS port: {plain}"
    );
    assert!(node.terminate().success());
}

#[test]
fn plain_http_is_refused_off_loopback_unless_allowed() {
    let (_tmp, data, _) = new_node();
    let out = run_expect(&data, &["serve", "--listen", "0.0.0.0:0"], 3);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to serve plain HTTP") && err.contains("--tls-cert"),
        "{err}"
    );
    assert!(stdout(&out).is_empty(), "it must not claim to listen");
}

#[test]
fn the_first_start_creates_the_data_directory() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let data = tmp.path().join("fresh");
    let mut node = Node::start(&data, tmp.path().join("serve.log"));
    assert!(data.join("entente.db").exists() && data.join("node.key").exists());
    let log = node.log_text();
    assert!(
        log.contains("entente user add"),
        "it should say how to get credentials:\n{log}"
    );
    assert!(
        log.contains("created node \"entente.local\"") && log.contains("entente serve --name NAME"),
        "it should say which name the node got and how to choose another:\n{log}"
    );
    assert!(node.terminate().success());
    // The directory is a complete node: the default collection's log verifies.
    run_expect(&data, &["audit", "--deep"], 0);

    // --name names a new node; the key shows it.
    let named = tmp.path().join("named");
    let mut node = Node::start_with(
        &named,
        tmp.path().join("named.log"),
        &["--name", "csirt.northland.example"],
        None,
    );
    assert!(node.terminate().success());
    let key = stdout(&run_expect(&named, &["key", "show"], 0));
    assert!(key.starts_with("csirt.northland.example+"), "{key}");
}

/// Nothing is created and nothing announced when the node cannot serve: a
/// missing certificate, a port in use.
#[test]
fn serve_checks_everything_before_it_creates_or_announces() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let data = tmp.path().join("fresh");
    let missing = tmp.path().join("missing.pem");
    let missing = missing.to_str().expect("a UTF-8 path");
    let out = run_expect(
        &data,
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            missing,
            "--tls-key",
            missing,
        ],
        3,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot load the TLS certificate"), "{err}");
    assert!(
        stdout(&out).is_empty(),
        "it must not claim to listen:\n{}",
        stdout(&out)
    );
    assert!(
        !data.exists(),
        "nothing may be created before the checks pass"
    );

    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let addr = busy.local_addr().expect("its address").to_string();
    let out = run_expect(&data, &["serve", "--listen", &addr], 3);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot listen on") && err.contains("--listen"),
        "a busy port should get a hint to use --listen: {err}"
    );
    assert!(stdout(&out).is_empty(), "it must not claim to listen");
    assert!(
        !data.exists(),
        "nothing may be created before the checks pass"
    );
}

#[test]
fn two_processes_on_one_data_directory_share_cursors() {
    let (tmp, data, _) = new_node();
    let token = add_user(&data, "alice", &["--read", "default", "--write", "default"]);
    let a = Node::start(&data, tmp.path().join("a.log"));
    let b = Node::start(&data, tmp.path().join("b.log"));
    let bundle = bundle(30, 7);
    let envelope = serde_json::json!({ "objects": bundle["objects"] });
    let posted = curl_code("20")
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .args(["-H", "Content-Type: application/taxii+json;version=2.1"])
        .args(["--data-binary", &envelope.to_string()])
        .arg(format!("{}api/collections/default/objects/", a.url))
        .output()
        .expect("curl runs");
    assert_eq!(String::from_utf8_lossy(&posted.stdout), "202");
    // Page through node A, continuing every other page on node B.
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    for page in 0..20 {
        let node = if page % 2 == 0 { &a } else { &b };
        let mut url = format!("{}api/collections/default/manifest/?limit=4", node.url);
        if let Some(n) = &next {
            url.push_str(&format!("&next={n}"));
        }
        let out = Command::new("curl")
            .args([
                "-s",
                "--max-time",
                "10",
                "-H",
                &format!("Authorization: Bearer {token}"),
                &url,
            ])
            .output()
            .expect("curl runs");
        let body: Value = serde_json::from_slice(&out.stdout).expect("a manifest");
        for record in body["objects"].as_array().into_iter().flatten() {
            seen.push(record["id"].as_str().unwrap_or_default().to_owned());
        }
        if body["more"] != true {
            break;
        }
        next = body["next"].as_str().map(str::to_owned);
        assert!(next.is_some(), "more without next: {body}");
    }
    let expected: Vec<String> = bundle["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| o["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(seen, expected, "every object once, in the order posted");
}
