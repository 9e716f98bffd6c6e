//! Node administration that keeps its word: the verifier key shown again,
//! commands on a missing node that say how to make one, and `match --publish`
//! refusing a collection before it reads any input.

use serde_json::Value;

use crate::util::*;

#[test]
fn key_show_prints_the_key_init_printed() {
    let (_tmp, data, vkey) = new_node();
    let out = run_expect(&data, &["key", "show"], 0);
    assert_eq!(
        stdout(&out).trim(),
        vkey,
        "key show should print init's key"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("out of band"),
        "key show should say to compare the key out of band: {err}"
    );

    let out = run_expect(&data, &["--json", "key", "show"], 0);
    let shown: Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("key show --json is not JSON ({e}): {}", stdout(&out)));
    assert_eq!(shown["verifier_key"].as_str(), Some(vkey.as_str()));
    assert_eq!(shown["name"].as_str(), Some("test.entente.example"));
}

#[test]
fn commands_on_a_missing_node_say_how_to_make_one() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let missing = tmp.path().join("nothing-here");
    for args in [&["user", "list"][..], &["peer", "list"], &["key", "show"]] {
        let out = run_expect(&missing, args, 3);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("entente init"),
            "entente {args:?} on a missing data directory should say to run `entente init`: {err}"
        );
        assert!(
            !missing.exists(),
            "entente {args:?} must not create the data directory"
        );
    }
}

#[test]
fn match_refuses_an_unknown_publish_collection_before_reading_input() {
    let (tmp, data, _) = new_node();
    let examples = examples().join("election-indicators.json");
    run_expect(
        &data,
        &[
            "import",
            "--collection",
            "default",
            examples.to_str().expect("UTF-8 path"),
        ],
        0,
    );
    let log = tmp.path().join("dns.txt");
    std::fs::write(&log, "voter-registration-check.example\n").expect("write the log");
    let out = run(
        &data,
        &[
            "match",
            "--publish",
            "no-such-collection",
            log.to_str().expect("UTF-8 path"),
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("no-such-collection"),
        "the error should name it: {err}"
    );
    assert!(
        !err.contains("indexed") && stdout(&out).is_empty(),
        "nothing may be loaded or matched before the collection is checked:\n{err}\n{}",
        stdout(&out)
    );
}

#[test]
fn info_shows_the_node_its_key_and_its_collections() {
    let (_tmp, data, vkey) = new_node();
    run_expect(&data, &["collection", "create", "authoring", "--strict"], 0);
    let out = run_expect(&data, &["info"], 0);
    let text = stdout(&out);
    for want in [
        "test.entente.example",
        vkey.as_str(),
        "out of band",
        "http://127.0.0.1:9440/",
        "default",
        "authoring",
        "strict",
    ] {
        assert!(text.contains(want), "info should show {want:?}:\n{text}");
    }
    let info: Value = serde_json::from_str(&stdout(&run_expect(&data, &["--json", "info"], 0)))
        .expect("info --json is JSON");
    assert_eq!(info["verifier_key"].as_str(), Some(vkey.as_str()));
    assert_eq!(info["name"].as_str(), Some("test.entente.example"));
    assert_eq!(
        info["collections"].as_array().map(Vec::len),
        Some(2),
        "{info}"
    );
    assert_eq!(info["peers"].as_array().map(Vec::len), Some(0), "{info}");
    assert!(
        info["version"].as_str().is_some_and(|v| !v.is_empty()),
        "{info}"
    );
    run_expect(&data.join("nothing"), &["info"], 3);
}

#[test]
fn an_unknown_collection_is_named_with_the_known_ones() {
    let (tmp, data, _) = new_node();
    run_expect(&data, &["collection", "create", "sightings"], 0);
    let file = tmp.path().join("one.json");
    std::fs::write(&file, indicator(1, 5, 0).to_string()).expect("write the object");
    let out = run(
        &data,
        &[
            "publish",
            "--collection",
            "defualt",
            file.to_str().expect("UTF-8 path"),
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("\"defualt\"") && err.contains("the collections are: default, sightings"),
        "the error should name the known collections: {err}"
    );
}

/// With --json, a failure to run (exit 3) and a usage error (exit 2) are JSON
/// on stderr: `{"error": …, "code": …}`.
#[test]
fn json_callers_get_errors_as_json() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let missing = tmp.path().join("nothing-here");
    for (args, code) in [
        (&["--json", "key", "show"][..], 3),
        (&["--json", "validate", "--no-such-flag", "x.json"], 2),
        (&["validate", "--json"], 2),
    ] {
        let out = run_expect(&missing, args, code);
        let err = String::from_utf8_lossy(&out.stderr);
        let value: Value = serde_json::from_str(err.trim())
            .unwrap_or_else(|e| panic!("entente {args:?}: stderr is not JSON ({e}): {err}"));
        assert_eq!(value["code"], code, "entente {args:?}: {value}");
        assert!(
            value["error"].as_str().is_some_and(|m| !m.is_empty()),
            "entente {args:?}: {value}"
        );
    }
    // Help is still help.
    let out = entente().args(["--json", "--help"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("Usage"));
}
