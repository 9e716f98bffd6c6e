use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

/// The `entente` binary built for these tests.
pub fn entente() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_entente"));
    cmd.env_remove("ENTENTE_DATA").env("NO_COLOR", "1");
    cmd
}

/// Runs `entente --data DIR ARGS...` and returns its output.
pub fn run(data: &Path, args: &[&str]) -> Output {
    entente()
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .expect("the entente binary runs")
}

/// Like [`run`], but panics with the output unless the exit code is `code`.
pub fn run_expect(data: &Path, args: &[&str], code: i32) -> Output {
    let out = run(data, args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "entente {args:?} exited {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A new node in a temporary directory; returns the directory guard, the data
/// directory and the node's verifier key.
pub fn new_node() -> (tempfile::TempDir, PathBuf, String) {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let data = tmp.path().join("node");
    let out = run_expect(&data, &["init", "--name", "test.entente.example"], 0);
    let vkey = stdout(&out).trim().to_owned();
    (tmp, data, vkey)
}

/// The repository's examples directory.
pub fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// A deterministic UUIDv4-shaped string from a number (tests only).
pub fn uuid_from(n: u64, salt: u64) -> String {
    let a = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt;
    let b = salt.wrapping_mul(0xBF58_476D_1CE4_E5B9) ^ n;
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (a >> 32) as u32,
        (a >> 16) as u16,
        (a & 0xfff) as u16,
        (b >> 52) as u16 & 0xfff,
        b & 0xffff_ffff_ffff
    )
}

/// A valid indicator of about `pad` extra bytes, unique for (n, salt).
pub fn indicator(n: u64, salt: u64, pad: usize) -> Value {
    json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--{}", uuid_from(n, salt)),
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "name": format!("Phishing domain {n}"),
        "description": "x".repeat(pad),
        "indicator_types": ["malicious-activity"],
        "pattern": format!("[domain-name:value = 'vote-{n}-{salt}.example']"),
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z"
    })
}

/// A bundle of `count` indicators.
pub fn bundle(count: u64, salt: u64) -> Value {
    let objects: Vec<Value> = (0..count).map(|n| indicator(n, salt, 200)).collect();
    json!({ "type": "bundle", "id": format!("bundle--{}", uuid_from(count, salt)), "objects": objects })
}
