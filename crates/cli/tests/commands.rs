use std::fs;

use serde_json::{Value, json};

use crate::util::*;

#[test]
fn init_writes_a_private_key_and_refuses_to_overwrite_it() {
    let (_tmp, data, vkey) = new_node();
    assert!(
        vkey.starts_with("test.entente.example+"),
        "verifier key {vkey:?}"
    );
    let key: tlog::Verifier = vkey.parse().expect("init prints a valid C2SP verifier key");
    assert_eq!(key.name(), "test.entente.example");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(data.join("node.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the key file must be private");
    }
    let again = run_expect(&data, &["init"], 3);
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds an Entente node"));
}

#[test]
fn commands_without_a_data_directory_say_how_to_create_one() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_expect(&tmp.path().join("nothing"), &["log", "checkpoint"], 3);
    assert!(String::from_utf8_lossy(&out.stderr).contains("entente init"));
}

#[test]
fn validate_reports_one_line_per_problem_and_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let good = examples().join("election-indicators.json");
    run_expect(tmp.path(), &["validate", good.to_str().unwrap()], 0);

    let mut bad = indicator(1, 1, 0);
    bad["valid_from"] = json!("2024-13-01T00:00:00Z");
    bad["confidence"] = json!(101);
    let path = tmp.path().join("bad.json");
    fs::write(
        &path,
        serde_json::to_vec(&json!([indicator(2, 1, 0), bad])).unwrap(),
    )
    .unwrap();
    let out = run_expect(tmp.path(), &["validate", path.to_str().unwrap()], 1);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "one line per problem:\n{text}");
    let id = bad["id"].as_str().unwrap();
    assert!(
        lines.iter().all(|l| l.contains(id)),
        "each line names the object:\n{text}"
    );
    assert!(
        text.contains("$.valid_from") && text.contains("$.confidence"),
        "each line names the path:\n{text}"
    );

    let broken = tmp.path().join("broken.json");
    fs::write(&broken, b"{\"type\": \"indicator\",").unwrap();
    let out = run_expect(tmp.path(), &["validate", broken.to_str().unwrap()], 1);
    assert!(stdout(&out).contains("broken.json"));
}

#[test]
fn publish_prove_verify_withdraw_export_audit() {
    let (tmp, data, vkey) = new_node();
    let sample = examples().join("election-indicators.json");
    let sample = sample.to_str().unwrap();
    let out = run_expect(&data, &["publish", "--collection", "default", sample], 0);
    let text = stdout(&out);
    let added = text.lines().filter(|l| l.starts_with("added")).count();
    assert!(added >= 20, "the sample publishes its objects:\n{text}");
    assert!(
        text.contains("\n\n\u{2014} test.entente.example "),
        "publish prints the signed checkpoint:\n{text}"
    );

    // Publishing the same objects again appends nothing.
    let again = stdout(&run_expect(&data, &["publish", "-c", "default", sample], 0));
    assert_eq!(
        again.lines().filter(|l| l.starts_with("unchanged")).count(),
        added
    );
    let checkpoint = stdout(&run_expect(
        &data,
        &["log", "checkpoint", "--collection", "default"],
        0,
    ));
    assert_eq!(
        checkpoint.lines().nth(1),
        Some(added.to_string().as_str()),
        "size unchanged:\n{checkpoint}"
    );

    // A proof bundle verifies offline, and fails on any tampering or another key.
    let bundle: Value =
        serde_json::from_slice(&fs::read(examples().join("election-indicators.json")).unwrap())
            .unwrap();
    let indicator_id = bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["type"] == "indicator")
        .and_then(|o| o["id"].as_str())
        .unwrap()
        .to_owned();
    let proof = stdout(&run_expect(
        &data,
        &["log", "prove", "--collection", "default", &indicator_id],
        0,
    ));
    let proof_path = tmp.path().join("proof.json");
    fs::write(&proof_path, &proof).unwrap();
    let proof_file = proof_path.to_str().unwrap();
    let ok = stdout(&run_expect(
        &data,
        &["log", "verify-proof", proof_file, "--key", &vkey],
        0,
    ));
    assert!(ok.starts_with("OK"), "{ok}");

    let mut tampered: Value = serde_json::from_str(&proof).unwrap();
    tampered["index"] = json!(tampered["index"].as_u64().unwrap() + 1);
    fs::write(&proof_path, serde_json::to_vec(&tampered).unwrap()).unwrap();
    let failed = stdout(&run_expect(
        &data,
        &["log", "verify-proof", proof_file, "--key", &vkey],
        1,
    ));
    assert!(failed.starts_with("FAILED"), "{failed}");

    let (_other_tmp, _other, other_key) = new_node();
    fs::write(&proof_path, &proof).unwrap();
    run_expect(
        &data,
        &["log", "verify-proof", proof_file, "--key", &other_key],
        1,
    );

    // Withdrawal appends an entry; the object leaves the export but stays provable.
    let out = stdout(&run_expect(
        &data,
        &["withdraw", "--collection", "default", &indicator_id],
        0,
    ));
    assert!(
        out.contains(&format!("withdrawn  {indicator_id}  index {added}")),
        "{out}"
    );
    run_expect(
        &data,
        &["withdraw", "--collection", "default", &indicator_id],
        1,
    );
    let exported = stdout(&run_expect(
        &data,
        &["export", "--collection", "default"],
        0,
    ));
    let exported: Value = serde_json::from_str(&exported).expect("export writes a JSON bundle");
    let ids: Vec<&str> = exported["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["id"].as_str())
        .collect();
    assert_eq!(ids.len(), added - 1);
    assert!(!ids.contains(&indicator_id.as_str()));
    run_expect(&data, &["log", "prove", "-c", "default", &indicator_id], 0);

    // The whole log audits, from the data directory and from an exported tile tree.
    let audit = stdout(&run_expect(&data, &["audit", "--collection", "default"], 0));
    assert!(audit.starts_with("OK"), "{audit}");
    let tiles = tmp.path().join("tiles");
    run_expect(
        &data,
        &[
            "export",
            "--collection",
            "default",
            "--tiles",
            tiles.to_str().unwrap(),
        ],
        0,
    );
    assert!(
        tiles.join("checkpoint").is_file()
            && tiles.join("tile/0/000.p").is_dir()
            && tiles.join("tile/entries/000.p").is_dir()
    );
    let audit = stdout(&run_expect(
        &data,
        &["audit", "--tiles", tiles.to_str().unwrap(), "--key", &vkey],
        0,
    ));
    assert!(audit.contains(&format!("{} entries", added + 1)), "{audit}");
}

#[test]
fn import_streams_large_bundles_in_batches() {
    let (tmp, data, vkey) = new_node();
    let path = tmp.path().join("big.json");
    fs::write(&path, serde_json::to_vec(&bundle(3000, 7)).unwrap()).unwrap();
    let out = stdout(&run_expect(
        &data,
        &[
            "--json",
            "import",
            "-c",
            "default",
            "--batch",
            "512",
            path.to_str().unwrap(),
        ],
        0,
    ));
    let events: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let batches: Vec<&Value> = events.iter().filter(|e| e["event"] == "batch").collect();
    assert_eq!(batches.len(), 6, "3000 objects in batches of 512:\n{out}");
    assert_eq!(batches.last().unwrap()["size"], 3000);
    let done = events.last().unwrap();
    assert_eq!(
        (done["event"].as_str(), done["added"].as_u64()),
        (Some("done"), Some(3000))
    );

    let tiles = tmp.path().join("tiles");
    run_expect(&data, &["export", "--tiles", tiles.to_str().unwrap()], 0);
    run_expect(
        &data,
        &["audit", "--tiles", tiles.to_str().unwrap(), "--key", &vkey],
        0,
    );
    // 3000 = 11 full bundles of 256 and one of 184.
    assert!(
        tiles.join("tile/entries/010").is_file() && tiles.join("tile/entries/011.p/184").is_file()
    );

    // A changed byte in an exported tile is found and named.
    let tile = tiles.join("tile/0/003");
    let mut bytes = fs::read(&tile).unwrap();
    bytes[5 * 32] ^= 1;
    fs::write(&tile, bytes).unwrap();
    let out = stdout(&run_expect(
        &data,
        &["audit", "--tiles", tiles.to_str().unwrap(), "--key", &vkey],
        1,
    ));
    assert!(
        out.contains("MISMATCH") && out.contains("at index 773"),
        "{out}"
    );
}

#[test]
fn an_object_too_large_for_one_entry_is_refused_with_the_limit() {
    let (tmp, data, _) = new_node();
    let path = tmp.path().join("large.json");
    fs::write(
        &path,
        serde_json::to_vec(&json!([indicator(1, 3, 70_000), indicator(2, 3, 10)])).unwrap(),
    )
    .unwrap();
    let out = run_expect(&data, &["publish", path.to_str().unwrap()], 1);
    let text = stdout(&out);
    assert!(text.contains("over the 65535-byte limit"), "{text}");
    assert_eq!(
        text.lines().filter(|l| l.starts_with("added")).count(),
        1,
        "the rest of the batch goes in:\n{text}"
    );
}

#[test]
fn a_changed_version_with_the_same_modified_is_refused() {
    let (tmp, data, _) = new_node();
    let path = tmp.path().join("one.json");
    let mut object = indicator(1, 9, 10);
    fs::write(&path, serde_json::to_vec(&object).unwrap()).unwrap();
    run_expect(&data, &["publish", path.to_str().unwrap()], 0);
    object["name"] = json!("changed without a new modified");
    fs::write(&path, serde_json::to_vec(&object).unwrap()).unwrap();
    let text = stdout(&run_expect(&data, &["publish", path.to_str().unwrap()], 1));
    assert!(
        text.contains("already stored with different content"),
        "{text}"
    );
}

#[test]
fn a_malformed_stix_pattern_is_invalid_with_its_position() {
    let tmp = tempfile::tempdir().unwrap();
    let mut bad = indicator(1, 5, 0);
    bad["pattern"] = json!("[domain-name:value = 'vote.example'");
    let path = tmp.path().join("bad-pattern.json");
    fs::write(&path, serde_json::to_vec(&bad).unwrap()).unwrap();
    let out = stdout(&run_expect(
        tmp.path(),
        &["validate", path.to_str().unwrap()],
        1,
    ));
    assert!(out.contains("$.pattern") && out.contains("column"), "{out}");
}

#[test]
fn the_bundle_itself_is_validated_too() {
    let tmp = tempfile::tempdir().unwrap();
    let mut document = bundle(2, 11);
    document["id"] = json!("bundle--not-a-uuid");
    let path = tmp.path().join("bad-bundle.json");
    fs::write(&path, serde_json::to_vec(&document).unwrap()).unwrap();
    let out = stdout(&run_expect(
        tmp.path(),
        &["validate", path.to_str().unwrap()],
        1,
    ));
    assert_eq!(out.lines().count(), 1, "only the bundle is wrong:\n{out}");
    assert!(
        out.contains("bundle--not-a-uuid") || out.contains("$.id"),
        "{out}"
    );
}

#[test]
fn pattern_check_answers_with_its_exit_code_and_a_caret() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let data = tmp.path().join("unused");
    let out = run_expect(
        &data,
        &["pattern", "check", "[ipv4-addr:value = '198.51.100.7']"],
        0,
    );
    assert_eq!(stdout(&out).trim(), "valid");
    let pattern = "[ipv4-addr:value = '198.51.100.7'] WITHIN";
    let out = run_expect(&data, &["pattern", "check", pattern], 1);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    // The error is at the end of the input, where WITHIN's number should be.
    let end = pattern.chars().count();
    assert!(
        lines[0].contains(&format!("column {}", end + 1)) && lines[0].contains("seconds"),
        "{text}"
    );
    assert_eq!(lines[1].trim_start(), pattern, "{text}");
    let caret = lines[2].find('^').expect("a caret line");
    assert_eq!(caret - lines[1].find('[').unwrap_or(0), end, "{text}");
    let out = run_expect(&data, &["--json", "pattern", "check", "[a:b = ]"], 1);
    let report: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(report["valid"], false);
    assert_eq!(report["byte_start"], 7);
    assert!(!data.exists(), "checking a pattern needs no data directory");
}
