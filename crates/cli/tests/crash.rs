//! The durability invariant: a write that was acknowledged is never lost, even
//! after `kill -9` at any instant, and the reopened log is one whose latest
//! checkpoint verifies and is consistent with every checkpoint seen before.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use base64::Engine as _;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use crate::util::*;

const KILLS: u64 = 60;
const OBJECTS_PER_RUN: u64 = 1500;

/// One checkpoint the writer printed before it was killed.
struct Acked {
    size: u64,
    note: String,
}

#[test]
fn kill_9_during_imports_loses_nothing_acknowledged() {
    let (tmp, data, vkey) = new_node();
    let key: tlog::Verifier = vkey.parse().unwrap();
    let seed = rand::random::<u64>();
    eprintln!("crash test seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);

    let mut acked: Vec<Acked> = Vec::new();
    let mut acked_ids: Vec<String> = Vec::new();
    for run in 0..KILLS {
        let file = tmp.path().join(format!("run-{run}.json"));
        let bundle = bundle(OBJECTS_PER_RUN, run);
        std::fs::write(&file, serde_json::to_vec(&bundle).unwrap()).unwrap();
        let batch = rng.gen_range(1..=200u32).to_string();

        let mut child = entente()
            .arg("--data")
            .arg(&data)
            .args(["--json", "import", "--batch", &batch])
            .arg(&file)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Read acknowledgements on another thread so the kill lands at a random
        // instant, not between two reads.
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        std::thread::sleep(Duration::from_micros(rng.gen_range(0..150_000)));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        reader.join().unwrap();

        let objects = bundle["objects"].as_array().unwrap();
        let mut counted = 0;
        for line in rx.try_iter() {
            // A line cut by the kill was never fully acknowledged.
            let Ok(event) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if event["event"] != "batch" {
                continue;
            }
            // `objects` counts this run's objects acknowledged so far.
            let done = event["objects"].as_u64().unwrap() as usize;
            acked_ids.extend(
                objects[counted..done]
                    .iter()
                    .map(|o| o["id"].as_str().unwrap().to_owned()),
            );
            counted = done;
            acked.push(Acked {
                size: event["size"].as_u64().unwrap(),
                note: event["checkpoint"].as_str().unwrap().to_owned(),
            });
        }

        // Reopen after every kill: the log must verify and hold every acknowledged write.
        check_store(&data, &key, &acked, &acked_ids, run);
    }
    assert!(
        !acked.is_empty(),
        "no batch was acknowledged in {KILLS} runs; the test proved nothing"
    );
    eprintln!(
        "{KILLS} kills, {} acknowledged checkpoints, {} acknowledged objects",
        acked.len(),
        acked_ids.len()
    );
}

fn check_store(
    data: &std::path::Path,
    key: &tlog::Verifier,
    acked: &[Acked],
    ids: &[String],
    run: u64,
) {
    let store = store::Store::open(data)
        .unwrap_or_else(|e| panic!("run {run}: the store does not reopen: {e}"));
    let report = store.audit("default", true, &mut |_| {}).unwrap();
    assert!(
        report.mismatch.is_none(),
        "run {run}: audit after kill -9: {:?}",
        report.mismatch
    );

    let latest = store.checkpoint("default").unwrap();
    let latest = store::verify_checkpoint(latest.as_bytes(), None, key)
        .unwrap_or_else(|e| panic!("run {run}: the latest checkpoint does not verify: {e}"));
    for a in acked {
        let old = store::verify_checkpoint(a.note.as_bytes(), Some(&latest.origin), key).unwrap();
        assert_eq!(old.size, a.size);
        assert!(
            a.size <= latest.size,
            "run {run}: the log shrank below acknowledged size {}",
            a.size
        );
        // The acknowledged checkpoint itself was kept, byte for byte.
        assert_eq!(
            store.checkpoint_at("default", a.size).unwrap().as_deref(),
            Some(a.note.as_str()),
            "run {run}"
        );
        if a.size > 0 && a.size < latest.size {
            let proof = store
                .consistency_proof("default", a.size, latest.size)
                .unwrap();
            tlog::verify_consistency(a.size, latest.size, &proof, &old.root, &latest.root)
                .unwrap_or_else(|e| {
                    panic!(
                        "run {run}: checkpoint {} ({}) is not consistent with the latest: {e}",
                        a.size,
                        base64::engine::general_purpose::STANDARD.encode(old.root)
                    )
                });
        } else if a.size == latest.size {
            assert_eq!(
                old.root, latest.root,
                "run {run}: same size, different root"
            );
        }
    }
    for id in ids {
        assert!(
            !store.versions("default", id).unwrap().is_empty(),
            "run {run}: acknowledged object {id} is lost"
        );
    }
}
