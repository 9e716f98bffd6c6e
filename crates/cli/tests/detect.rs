//! `entente pattern match` and `entente match`: verdicts, sightings from
//! every telemetry format, malformed lines, publishing and run figures.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use serde_json::{Value, json};

use crate::util::*;

fn corpus(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/stix-patterns")
        .join(name);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn pattern_match_prints_the_verdict() {
    let tmp = tempfile::tempdir().unwrap();
    let observed = tmp.path().join("observed.json");
    fs::write(
        &observed,
        json!([
            {"type": "observed-data", "id": "observed-data--1", "first_observed": "2026-03-01T00:00:00Z",
             "last_observed": "2026-03-01T00:00:00Z", "number_observed": 1, "object_refs": ["ipv4-addr--1"]},
            {"type": "ipv4-addr", "id": "ipv4-addr--1", "value": "198.51.100.7"}
        ])
        .to_string(),
    )
    .unwrap();
    let f = observed.to_str().unwrap();
    let yes = run_expect(
        tmp.path(),
        &[
            "pattern",
            "match",
            "--pattern",
            "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
            "--observed",
            f,
        ],
        0,
    );
    assert_eq!(stdout(&yes), "true\n");
    let no = run_expect(
        tmp.path(),
        &[
            "pattern",
            "match",
            "--pattern",
            "[ipv4-addr:value = '203.0.113.1']",
            "--observed",
            f,
        ],
        0,
    );
    assert_eq!(stdout(&no), "false\n");
    let bad = run_expect(
        tmp.path(),
        &[
            "pattern",
            "match",
            "--pattern",
            "[ipv4-addr:value = ",
            "--observed",
            f,
        ],
        1,
    );
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains('^'),
        "the error shows a caret"
    );
}

/// The first cases of the shared corpus through `--cases`, one answer line
/// per case in order, against the verdicts the library test holds.
#[test]
fn pattern_match_cases_answers_one_line_per_case() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: Vec<Value> = corpus("match.jsonl")
        .lines()
        .take(150)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut input = String::new();
    for c in &cases {
        input.push_str(&json!({"pattern": c["pattern"], "observed": c["observed"]}).to_string());
        input.push('\n');
    }
    input.push_str("{\"pattern\": \"[a:b = 1\", \"observed\": []}\n");
    input.push_str("not json\n");
    let file = tmp.path().join("cases.jsonl");
    fs::write(&file, input).unwrap();
    let out = run_expect(
        tmp.path(),
        &["pattern", "match", "--cases", file.to_str().unwrap()],
        0,
    );
    let answers: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    assert_eq!(answers.len(), cases.len() + 2);
    for (c, got) in cases.iter().zip(&answers) {
        let want = c
            .get("spec_expected")
            .or_else(|| c.get("matches"))
            .and_then(Value::as_bool)
            .unwrap();
        // A pattern refused per the spec answers with an error, never a match.
        let ok = got == &want.to_string() || (!want && got.starts_with("error: "));
        assert!(ok, "{}: want {want}, got {got}", c["id"]);
    }
    assert!(
        answers[cases.len()].starts_with("error: column"),
        "{:?}",
        answers[cases.len()]
    );
    assert!(answers[cases.len() + 1].starts_with("error: not a JSON case"));
}

fn indicator(n: u64, pattern: &str) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--{}", uuid_from(n, 77)),
        "created": "2026-09-01T00:00:00.000Z", "modified": "2026-09-01T00:00:00.000Z",
        "name": format!("test indicator {n}"), "description": "Seen in a test.", "indicator_types": ["malicious-activity"],
        "pattern": pattern, "pattern_type": "stix", "valid_from": "2026-09-01T00:00:00Z"
    })
}

/// A node holding one indicator per structure of the index.
fn node_with_indicators() -> (tempfile::TempDir, std::path::PathBuf, Vec<String>) {
    let (tmp, data, _) = new_node();
    let patterns = [
        "[domain-name:value = 'ballot-check.example']",
        "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
        "[domain-name:value LIKE '%.phish.example']",
        "[url:value LIKE 'http://evil.example/kit/%']",
        "[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']",
        "[network-traffic:dst_ref.value = '203.0.113.9' AND network-traffic:dst_port = 443]",
        "[email-addr:value = 'clerk@phish.example']",
        "[domain-name:value = 'twice.example'] REPEATS 2 TIMES",
    ];
    let objects: Vec<Value> = patterns
        .iter()
        .enumerate()
        .map(|(n, p)| indicator(n as u64, p))
        .collect();
    let ids = objects
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect();
    let file = tmp.path().join("indicators.json");
    fs::write(&file, json!({"type": "bundle", "id": "bundle--0b9a5f0c-2d4e-4a3b-9c1d-000000000001", "objects": objects}).to_string()).unwrap();
    run_expect(&data, &["publish", file.to_str().unwrap()], 0);
    (tmp, data, ids)
}

fn sightings(out: &std::process::Output) -> Vec<Value> {
    let bundle: Value = serde_json::from_slice(&out.stdout).expect("a JSON bundle on stdout");
    assert_eq!(bundle["type"], "bundle");
    bundle["objects"].as_array().unwrap().clone()
}

fn count_of(objects: &[Value], indicator: &str) -> Option<u64> {
    objects
        .iter()
        .find(|o| o["type"] == "sighting" && o["sighting_of_ref"] == indicator)
        .and_then(|o| o["count"].as_u64())
}

#[test]
fn match_turns_hits_in_every_format_into_sightings() {
    let (tmp, data, ids) = node_with_indicators();
    let dir = tmp.path();
    let zeek = dir.join("dns.log");
    fs::write(
        &zeek,
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n\
         #fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\tanswers\n\
         #types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tvector[string]\n\
         1789862400.000001\tC1\t10.0.0.5\t5353\t10.0.0.1\t53\tudp\tballot-check.example\t198.51.100.77\n\
         1789862401.5\tC2\t10.0.0.6\t5353\t10.0.0.1\t53\tudp\twww.phish.example\t-\n\
         1789862402.0\tC3\t10.0.0.6\t5353\t10.0.0.1\t53\tudp\tquiet.example\t-\n\
         this line is not zeek\n\
         1789862403.0\tC4\t10.0.0.6\t5353\t10.0.0.1\t53\tudp\ttwice.example\t-\n\
         1789862404.0\tC5\t10.0.0.6\t5353\t10.0.0.1\t53\tudp\ttwice.example\t-\n",
    )
    .unwrap();
    let eve = dir.join("eve.json");
    fs::write(
        &eve,
        [
            json!({"timestamp": "2026-09-20T00:00:10.000000+0000", "event_type": "http", "src_ip": "10.0.0.7", "src_port": 40000,
                   "dest_ip": "192.0.2.80", "dest_port": 80, "proto": "TCP",
                   "http": {"hostname": "evil.example", "url": "/kit/payload.exe", "http_method": "GET", "http_user_agent": "curl/8"}}),
            json!({"timestamp": "2026-09-20T00:00:11.000000+0000", "event_type": "flow", "src_ip": "10.0.0.7", "src_port": 40001,
                   "dest_ip": "203.0.113.9", "dest_port": 443, "proto": "TCP", "app_proto": "tls"}),
            json!({"timestamp": "2026-09-20T00:00:12.000000+0000", "event_type": "fileinfo", "src_ip": "192.0.2.80", "src_port": 80,
                   "dest_ip": "10.0.0.7", "dest_port": 40000, "proto": "TCP",
                   "fileinfo": {"filename": "/kit/payload.exe", "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "size": 0}}),
        ]
        .iter()
        .map(|v| v.to_string() + "\n")
        .collect::<String>(),
    )
    .unwrap();
    let access = dir.join("access.log");
    fs::write(&access, "198.51.100.20 - - [20/Sep/2026:02:00:00 +0200] \"GET /results HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"\n").unwrap();
    let list = dir.join("iocs.txt");
    fs::write(
        &list,
        "# values seen by the mail gateway\nclerk@phish.example\nharmless.example\n",
    )
    .unwrap();

    let stats = dir.join("stats.json");
    let args = [
        "match",
        zeek.to_str().unwrap(),
        eve.to_str().unwrap(),
        access.to_str().unwrap(),
        list.to_str().unwrap(),
        "--stats",
        stats.to_str().unwrap(),
    ];
    let out = run_expect(&data, &args, 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("dns.log:11: skipped a malformed line"),
        "the bad line is named: {stderr}"
    );
    let objects = sightings(&out);
    assert_eq!(count_of(&objects, &ids[0]), Some(1), "exact domain");
    // The DNS answer and the access-log client are both in 198.51.100.0/24.
    assert_eq!(count_of(&objects, &ids[1]), Some(2), "CIDR");
    assert_eq!(count_of(&objects, &ids[2]), Some(1), "domain suffix");
    assert_eq!(count_of(&objects, &ids[3]), Some(1), "URL prefix");
    assert_eq!(count_of(&objects, &ids[4]), Some(1), "file hash");
    assert_eq!(
        count_of(&objects, &ids[5]),
        Some(1),
        "AND inside one object"
    );
    assert_eq!(count_of(&objects, &ids[6]), Some(1), "plain list");
    assert_eq!(
        count_of(&objects, &ids[7]),
        Some(2),
        "REPEATS over two events"
    );
    // Every sighting is this party's, with observed data that resolves.
    let party = objects
        .iter()
        .find(|o| o["type"] == "identity")
        .expect("the party's identity");
    for s in objects.iter().filter(|o| o["type"] == "sighting") {
        assert_eq!(s["where_sighted_refs"], json!([party["id"]]));
        let refs = s["observed_data_refs"].as_array();
        assert!(refs.is_some_and(|r| !r.is_empty()), "observed data for {s}");
        for od in refs.into_iter().flatten() {
            let od = objects
                .iter()
                .find(|o| &o["id"] == od)
                .expect("observed-data in the bundle");
            for r in od["object_refs"].as_array().unwrap() {
                assert!(objects.iter().any(|o| &o["id"] == r), "{r} in the bundle");
            }
        }
    }
    let figures: Value = serde_json::from_slice(&fs::read(&stats).unwrap()).unwrap();
    assert_eq!(figures["indicators"], 8);
    assert_eq!(figures["events"], 5 + 3 + 1 + 2);
    assert_eq!(figures["malformed"], 1);
    assert_eq!(figures["sightings"], 8);
    for key in [
        "index_build_seconds",
        "index_bytes",
        "seconds",
        "events_per_second",
        "hits",
    ] {
        assert!(figures.get(key).is_some(), "stats has {key}");
    }
}

#[test]
fn match_reads_standard_input_and_publishes_to_a_collection() {
    let (_tmp, data, ids) = node_with_indicators();
    let before: Value =
        serde_json::from_slice(&run_expect(&data, &["--json", "collection", "list"], 0).stdout)
            .unwrap();
    let mut child = entente()
        .arg("--data")
        .arg(&data)
        .args(["match", "--format", "list", "--publish", "default", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"ballot-check.example\n198.51.100.1\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout(&out).starts_with("published "), "{}", stdout(&out));
    // The sightings are in the collection now, and served like any object.
    let exported = run_expect(&data, &["export", "--collection", "default"], 0);
    let bundle: Value = serde_json::from_slice(&exported.stdout).unwrap();
    let sightings: Vec<&Value> = bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["type"] == "sighting")
        .collect();
    let of: Vec<&str> = sightings
        .iter()
        .map(|s| s["sighting_of_ref"].as_str().unwrap())
        .collect();
    assert!(
        of.contains(&ids[0].as_str()) && of.contains(&ids[1].as_str()),
        "{of:?}"
    );
    let after: Value =
        serde_json::from_slice(&run_expect(&data, &["--json", "collection", "list"], 0).stdout)
            .unwrap();
    assert_ne!(before, after, "the collection's log grew");
}

#[test]
fn match_names_a_missing_file_before_any_work() {
    let (tmp, data, _) = node_with_indicators();
    let missing = tmp.path().join("no-such.log");
    let out = run_expect(&data, &["match", missing.to_str().unwrap()], 3);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot open") && stderr.contains("no-such.log"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("indexed"),
        "no index is built first: {stderr}"
    );
}

#[test]
fn match_refuses_an_unknown_format_naming_the_known_ones() {
    let (tmp, data, _) = node_with_indicators();
    let file = tmp.path().join("x.log");
    fs::write(&file, "ballot-check.example\n").unwrap();
    let out = run(
        &data,
        &["match", "--format", "syslog", file.to_str().unwrap()],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for name in ["zeek", "eve", "access", "stix", "list"] {
        assert!(stderr.contains(name), "{stderr}");
    }
}
