//! What the writing commands accept: MUST violations refuse an object, SHOULD
//! findings are warnings kept with it, and a strict collection refuses both.
//!
//! The objects here are written the way real producers write them (MITRE
//! ATT&CK's `x_mitre_*` properties and `x-mitre-*` types, an indicator with no
//! description): spec-valid STIX that misses best practices.

use std::path::Path;

use serde_json::{Value, json};

use crate::util::*;

/// An ATT&CK-style technique: custom properties, an external reference with a
/// url and no hashes. Valid STIX 2.1 with three kinds of SHOULD findings.
fn technique() -> Value {
    json!({
        "type": "attack-pattern",
        "spec_version": "2.1",
        "id": "attack-pattern--0fb3a4e4-7d4c-4f2c-9a8e-3e2c1a9b7f10",
        "created": "2024-01-02T03:04:05.000Z",
        "modified": "2024-01-02T03:04:05.000Z",
        "name": "Spearphishing Attachment",
        "external_references": [
            {"source_name": "mitre-attack", "external_id": "T1566.001", "url": "https://attack.mitre.org/techniques/T1566/001"}
        ],
        "x_mitre_version": "1.2",
        "x_mitre_platforms": ["Windows", "Linux"],
        "x_mitre_deprecated": false
    })
}

/// A custom object type with no extension-definition (ATT&CK's tactics).
fn tactic() -> Value {
    json!({
        "type": "x-mitre-tactic",
        "spec_version": "2.1",
        "id": "x-mitre-tactic--5e29b093-294e-49e9-a803-dab3d73b77dd",
        "created": "2024-01-02T03:04:05.000Z",
        "modified": "2024-01-02T03:04:05.000Z",
        "name": "Initial Access",
        "x_mitre_shortname": "initial-access"
    })
}

/// An indicator with neither name nor description (a SHOULD of STIX 2.1).
fn bare_indicator() -> Value {
    json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--2b0e1bd4-0e6f-4b0c-8a55-0d7f6c0f5a31",
        "created": "2024-01-02T03:04:05.000Z",
        "modified": "2024-01-02T03:04:05.000Z",
        "pattern": "[domain-name:value = 'ballot-check.example']",
        "pattern_type": "stix",
        "valid_from": "2024-01-02T03:04:05Z"
    })
}

/// A MUST violation: `confidence` outside 0-100.
fn bad_confidence() -> Value {
    let mut o = bare_indicator();
    o["id"] = json!("indicator--7c1f9f1e-9d5a-4c8e-b0a4-3f3e2a1d0c99");
    o["confidence"] = json!(500);
    o
}

/// A MUST violation missed before: an HTTP header value that is not a list.
fn bad_request_header() -> Value {
    json!({
        "type": "network-traffic",
        "spec_version": "2.1",
        "id": "network-traffic--2568d22a-8998-58eb-99ec-3c8ca74f527d",
        "src_ref": "ipv4-addr--9ddd739e-87b1-587d-83f2-62ef1130af2f",
        "protocols": ["ipv4", "tcp", "http"],
        "extensions": {"http-request-ext": {
            "request_method": "get", "request_value": "/results",
            "request_header": {"Host": "results.example"}
        }}
    })
}

fn write(dir: &Path, name: &str, objects: &[Value]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, Value::Array(objects.to_vec()).to_string())
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path.to_string_lossy().into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json_out(out: &std::process::Output) -> Value {
    let text = stdout(out);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

#[test]
fn validate_warns_on_shoulds_and_refuses_musts() {
    let (tmp, data, _) = new_node();
    let good = write(
        tmp.path(),
        "real.json",
        &[technique(), tactic(), bare_indicator()],
    );
    let out = run_expect(&data, &["validate", &good], 0);
    let text = stdout(&out);
    for (check, path) in [
        ("custom-property", "$.x_mitre_version"),
        ("extref-hashes", "$.external_references[0].hashes"),
        ("custom-object-type", "$.type"),
        ("indicator-properties", "$.description"),
    ] {
        assert!(
            text.lines().any(|l| l.starts_with("warning: ")
                && l.contains(path)
                && l.ends_with(&format!("[{check}]"))),
            "validate should print a {check} warning at {path}:\n{text}"
        );
    }
    let summary = stderr(&out);
    assert!(
        summary.contains("3 objects checked, 0 errors") && summary.contains("custom-property"),
        "summary: {summary}"
    );

    // --strict: the same findings are errors.
    let out = run_expect(&data, &["validate", "--strict", &good], 1);
    assert!(
        stdout(&out)
            .lines()
            .any(|l| l.contains("$.x_mitre_version") && !l.starts_with("warning:")),
        "--strict should report the custom property as an error:\n{}",
        stdout(&out)
    );

    // MUST violations refuse, strict or not, each with its reason.
    let bad = write(
        tmp.path(),
        "bad.json",
        &[bad_confidence(), bad_request_header()],
    );
    let out = run_expect(&data, &["--json", "validate", &bad], 1);
    let report = json_out(&out);
    let problems = report["problems"].as_array().cloned().unwrap_or_default();
    let said = |path: &str, what: &str| {
        problems.iter().any(|p| {
            p["path"].as_str() == Some(path)
                && p["message"].as_str().is_some_and(|m| m.contains(what))
        })
    };
    assert!(
        said("$.confidence", "an integer between 0 and 100"),
        "{report}"
    );
    assert!(
        said(
            "$.extensions['http-request-ext'].request_header.Host",
            "a list of strings"
        ),
        "{report}"
    );
    assert_eq!(report["valid"], json!(false));
}

#[test]
fn import_and_publish_accept_shoulds_count_them_and_keep_every_property() {
    let (tmp, data, _) = new_node();
    let file = write(
        tmp.path(),
        "real.json",
        &[technique(), tactic(), bare_indicator(), bad_confidence()],
    );
    let out = run_expect(&data, &["import", "--collection", "default", &file], 1);
    let err = stderr(&out);
    assert!(
        err.contains("4 object(s): 3 added, 0 unchanged, 0 refused, 1 invalid"),
        "import summary: {err}"
    );
    assert!(
        err.lines().any(|l| l.starts_with("warnings: ")
            && l.contains("3 custom-property")
            && l.contains("1 custom-object-type")
            && l.contains("1 extref-hashes")),
        "import should count warnings per kind: {err}"
    );

    // What was stored is what came in: every custom property, byte-faithful.
    let out = run_expect(&data, &["export", "--collection", "default"], 0);
    let exported = json_out(&out);
    let objects = exported["objects"].as_array().cloned().unwrap_or_default();
    for want in [technique(), tactic(), bare_indicator()] {
        let got = objects.iter().find(|o| o["id"] == want["id"]);
        assert_eq!(
            got,
            Some(&want),
            "export should give back {} as it came",
            want["id"]
        );
    }

    // publish: the same rule, each warning with --json.
    let file = write(tmp.path(), "one.json", &[technique()]);
    let out = run_expect(
        &data,
        &["--json", "publish", "--collection", "default", &file],
        0,
    );
    let report = json_out(&out);
    assert_eq!(
        report["results"][0]["status"],
        json!("unchanged"),
        "{report}"
    );
    assert_eq!(
        report["warning_counts"]["custom-property"],
        json!(3),
        "{report}"
    );
    assert!(
        report["warnings"]
            .as_array()
            .is_some_and(|w| w.iter().any(|w| w["check"] == "extref-hashes")),
        "{report}"
    );

    // import --json: one line per warning, and the counts in the summary.
    let out = run_expect(
        &data,
        &["--json", "import", "--collection", "default", &file],
        0,
    );
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let warnings = lines.iter().filter(|l| l["event"] == "warning").count();
    assert_eq!(
        warnings, 4,
        "three custom properties and one external reference: {lines:?}"
    );
    let done = lines.iter().find(|l| l["event"] == "done");
    assert_eq!(
        done.map(|d| d["warnings"]["custom-property"].clone()),
        Some(json!(3)),
        "{lines:?}"
    );
}

#[test]
fn a_strict_collection_refuses_shoulds_until_it_is_set_lenient() {
    let (tmp, data, _) = new_node();
    run_expect(&data, &["collection", "create", "authoring", "--strict"], 0);
    let listed = json_out(&run_expect(&data, &["--json", "collection", "list"], 0));
    let strict_of = |list: &Value| {
        list.as_array()
            .and_then(|l| l.iter().find(|c| c["alias"] == "authoring"))
            .map(|c| c["strict"].clone())
    };
    assert_eq!(strict_of(&listed), Some(json!(true)), "{listed}");

    let file = write(tmp.path(), "real.json", &[technique(), tactic()]);
    let out = run_expect(&data, &["publish", "--collection", "authoring", &file], 1);
    let text = stdout(&out);
    assert!(
        text.lines().filter(|l| l.starts_with("invalid")).count() >= 2
            && text.contains("[custom-property]")
            && text.contains("[custom-object-type]"),
        "a strict collection should refuse both, naming the rule:\n{text}"
    );
    assert!(!text.contains("added "), "nothing may be added:\n{text}");

    run_expect(
        &data,
        &["collection", "set", "authoring", "--strict", "false"],
        0,
    );
    let listed = json_out(&run_expect(&data, &["--json", "collection", "list"], 0));
    assert_eq!(strict_of(&listed), Some(json!(false)), "{listed}");
    let out = run_expect(&data, &["publish", "--collection", "authoring", &file], 0);
    assert_eq!(
        stdout(&out)
            .lines()
            .filter(|l| l.starts_with("added "))
            .count(),
        2,
        "{}",
        stdout(&out)
    );

    // A value that is not a boolean, or no setting at all, is a usage error.
    run_expect(
        &data,
        &["collection", "set", "authoring", "--strict", "maybe"],
        2,
    );
    run_expect(&data, &["collection", "set", "authoring"], 2);
    // An unknown collection is not a usage error.
    let out = run(&data, &["collection", "set", "nope", "--strict", "true"]);
    assert_ne!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn patterns_over_custom_object_types_parse() {
    let (_tmp, data, _) = new_node();
    for p in [
        "[x-acme-beacon:host = 'c2.example']",
        "[x-mitre-data-component:x_mitre_log_source_references[*].name = 'x'] OR [domain-name:value = 'a.example']",
    ] {
        run_expect(&data, &["pattern", "check", p], 0);
    }
}
