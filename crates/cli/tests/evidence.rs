//! `entente evidence verify`: forks and rewritten histories proven offline
//! with the log's key alone, and everything else refused.

use std::fs;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use tlog::{Checkpoint, Evidence, Signer, TileSet, TileWriter, leaf_hash};

use crate::util::*;

const ORIGIN: &str = "alpha.election.example/indicators";

fn signer() -> Signer {
    Signer::new("alpha.election.example", &[3; 32]).unwrap()
}

/// A signed checkpoint of `size` entries (entry `forged` rewritten) and its tiles.
fn log(size: u64, forged: Option<u64>) -> (String, TileSet) {
    let leaves: Vec<_> = (0..size)
        .map(|i| {
            leaf_hash(
                if Some(i) == forged {
                    format!("forged {i}")
                } else {
                    format!("entry {i}")
                }
                .as_bytes(),
            )
        })
        .collect();
    let batch = TileWriter::new().append_batch(&leaves).unwrap();
    let mut tiles = TileSet::new();
    for (id, bytes) in batch.tiles {
        tiles.insert(id, bytes);
    }
    let note = signer()
        .sign_checkpoint(&Checkpoint::new(ORIGIN, batch.size, batch.root))
        .unwrap();
    (note, tiles)
}

fn document(e: &Evidence) -> Value {
    json!({
        "format": "entente-evidence/v1",
        "first": e.first,
        "second": e.second,
        "old_root_in_new_tree": e.old_root_in_new_tree.map(|h| STANDARD.encode(h)),
        "proof": e.proof.iter().map(|h| STANDARD.encode(h)).collect::<Vec<_>>(),
    })
}

#[test]
fn evidence_verify_proves_a_fork_offline_and_refuses_what_proves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let key = signer().verifier().to_string();
    let (old, _) = log(100, None);
    let (new, tiles) = log(130, Some(42));
    let evidence = Evidence::new(&signer().verifier(), &old, &new, &tiles).unwrap();
    let file = tmp.path().join("fork.json");
    fs::write(&file, document(&evidence).to_string()).unwrap();
    let f = file.to_str().unwrap();

    let out = run_expect(tmp.path(), &["evidence", "verify", f, "--key", &key], 0);
    let text = stdout(&out);
    assert!(
        text.starts_with("misbehaviour proven: log alpha.election.example/indicators"),
        "{text}"
    );
    assert!(
        text.contains("130 entries that does not extend the signed tree of 100"),
        "{text}"
    );

    // The same with --json.
    let out = run_expect(
        tmp.path(),
        &["--json", "evidence", "verify", f, "--key", &key],
        0,
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["proven"], true);

    // Another key proves nothing about this log.
    let other = Signer::new("alpha.election.example", &[4; 32])
        .unwrap()
        .verifier()
        .to_string();
    let out = run_expect(tmp.path(), &["evidence", "verify", f, "--key", &other], 1);
    assert!(
        stdout(&out).starts_with("no proof of misbehaviour: the first checkpoint does not verify"),
        "{}",
        stdout(&out)
    );

    // A hash of the proof changed: no longer evidence.
    let mut bent = document(&evidence);
    let first = bent["proof"][0].as_str().unwrap().to_owned();
    let mut bytes = STANDARD.decode(first).unwrap();
    bytes[0] ^= 1;
    bent["proof"][0] = json!(STANDARD.encode(bytes));
    fs::write(&file, bent.to_string()).unwrap();
    let out = run_expect(tmp.path(), &["evidence", "verify", f, "--key", &key], 1);
    assert!(
        stdout(&out).contains("do not lead to the larger checkpoint's root"),
        "{}",
        stdout(&out)
    );

    // An honest extension is not evidence, whatever hashes come with it.
    let (honest, _) = log(130, None);
    let mut claim = document(&evidence);
    claim["second"] = json!(honest);
    fs::write(&file, claim.to_string()).unwrap();
    let out = run_expect(tmp.path(), &["evidence", "verify", f, "--key", &key], 1);
    assert!(
        stdout(&out).starts_with("no proof of misbehaviour"),
        "{}",
        stdout(&out)
    );

    // Two checkpoints of one size with different roots need no hashes at all.
    let (rewritten, _) = log(100, Some(7));
    fs::write(
        &file,
        json!({"format": "entente-evidence/v1", "first": old, "second": rewritten}).to_string(),
    )
    .unwrap();
    let out = run_expect(tmp.path(), &["evidence", "verify", f, "--key", &key], 0);
    assert!(
        stdout(&out).contains("two signed checkpoints of size 100 with different roots"),
        "{}",
        stdout(&out)
    );

    // Not an evidence document: an error naming the problem.
    fs::write(&file, json!({"format": "something-else"}).to_string()).unwrap();
    let out = run(tmp.path(), &["evidence", "verify", f, "--key", &key]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("entente-evidence/v1"));
}
