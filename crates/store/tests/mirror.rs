//! Mirrors of a peer's log: applied only up to a checkpoint the entries lead
//! to, idempotent, with quarantine.

use serde_json::Value;
use serde_json::json;
use stix::{Object, Validated};
use store::{Micros, MirrorError, PeerCheckpoint, Prepared, Query, Store, Verdict};

fn node(tmp: &tempfile::TempDir, name: &str, seed: u8) -> Store {
    Store::init(&tmp.path().join(name), name, [seed; 32]).unwrap()
}

fn indicator(n: u64, pattern: &str) -> Validated<Object> {
    stix::validate(json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{n:012x}"),
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "name": format!("indicator {n}"),
        "description": "A test indicator.",
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z"
    }))
    .unwrap()
}

/// The peer's latest checkpoint, parsed as the sync would after verifying it.
fn checkpoint(peer: &Store) -> PeerCheckpoint {
    let note = peer.checkpoint("default").unwrap();
    let coll = peer.collection("default").unwrap();
    let cp = peer
        .node()
        .verify_checkpoint(&coll.id, note.as_bytes())
        .unwrap();
    PeerCheckpoint {
        note,
        size: cp.size,
        root: cp.root,
    }
}

fn entries(peer: &Store, from: u64, to: u64) -> Vec<Vec<u8>> {
    (from..to)
        .map(|i| peer.entry("default", i).unwrap())
        .collect()
}

fn live_ids(store: &Store, coll: &str) -> Vec<String> {
    let mut ids: Vec<String> = store
        .manifest(coll, &Query::new(1000))
        .unwrap()
        .items
        .into_iter()
        .map(|r| r.id)
        .collect();
    ids.sort();
    ids
}

/// The entries `from..to` of the peer's log, prepared with `judge`.
fn prepared(
    peer: &Store,
    from: u64,
    to: u64,
    judge: &mut dyn FnMut(Value) -> Verdict,
) -> Vec<Prepared> {
    entries(peer, from, to)
        .into_iter()
        .map(|e| Prepared::new(e, judge))
        .collect()
}

fn no_hold(_: Value) -> Verdict {
    Verdict::Use
}

#[test]
fn a_mirror_takes_entries_that_lead_to_the_signed_root_once() {
    let tmp = tempfile::tempdir().unwrap();
    let mut alpha = node(&tmp, "alpha", 1);
    let mut bravo = node(&tmp, "bravo", 2);
    let remote = alpha.collection("default").unwrap().id;
    let objects: Vec<_> = (1..=5)
        .map(|n| indicator(n, &format!("[ipv4-addr:value = '198.51.100.{n}']")))
        .collect();
    alpha.append("default", &objects, Micros(1)).unwrap();
    alpha
        .withdraw("default", objects[0].id(), Micros(2))
        .unwrap();

    let key = alpha.node().verifier_key();
    let mirror = bravo
        .mirror("alpha", &remote, "Default", true, Some(&key))
        .unwrap();
    assert_eq!(mirror.collection.peer.as_deref(), Some("alpha"));
    let cp = checkpoint(&alpha);
    let chunk = prepared(&alpha, 0, cp.size, &mut no_hold);
    let applied = bravo
        .apply_mirror(&mirror, &cp, &mut std::iter::once(Ok(chunk)))
        .unwrap();
    assert_eq!(
        (applied.entries, applied.objects, applied.withdrawals),
        (6, 5, 1)
    );
    let local = mirror.collection.id.clone();
    assert_eq!(live_ids(&bravo, &local), live_ids(&alpha, "default"));
    // The mirror's proofs verify with alpha's key.
    let proof = bravo.prove(&local, objects[2].id(), None).unwrap();
    proof.verify(&alpha.node().verifier()).unwrap();
    assert!(
        bravo
            .audit(&local, true, &mut |_| ())
            .unwrap()
            .mismatch
            .is_none()
    );

    // Nothing new: applying again from its size changes nothing.
    let mirror = bravo
        .mirror("alpha", &remote, "Default", true, Some(&key))
        .unwrap();
    assert_eq!(mirror.collection.size, 6);
    let again = bravo
        .apply_mirror(&mirror, &cp, &mut std::iter::empty())
        .unwrap();
    assert_eq!(again.entries, 0);
    assert_eq!(bravo.collection(&local).unwrap().size, 6);

    // Nobody writes to a mirror but the sync.
    let refused = bravo.append(&local, &objects[1..2], Micros(9)).unwrap_err();
    assert!(
        matches!(refused, store::StoreError::ReadOnlyMirror { .. }),
        "{refused}"
    );
}

#[test]
fn entries_that_do_not_lead_to_the_root_leave_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let mut alpha = node(&tmp, "alpha", 1);
    let mut bravo = node(&tmp, "bravo", 2);
    let remote = alpha.collection("default").unwrap().id;
    alpha
        .append(
            "default",
            &[indicator(1, "[ipv4-addr:value = '198.51.100.1']")],
            Micros(1),
        )
        .unwrap();
    let key = alpha.node().verifier_key();
    let mirror = bravo
        .mirror("alpha", &remote, "D", true, Some(&key))
        .unwrap();
    let cp = checkpoint(&alpha);
    let mut forged = entries(&alpha, 0, 1);
    let last = forged[0].len() - 3;
    forged[0][last] ^= 1;
    let forged = vec![Prepared::new(forged.remove(0), &mut no_hold)];
    let err = bravo
        .apply_mirror(&mirror, &cp, &mut std::iter::once(Ok(forged)))
        .unwrap_err();
    assert!(
        matches!(err, MirrorError::RootMismatch { from: 0, to: 1, .. }),
        "{err}"
    );
    let coll = bravo.collection(&mirror.collection.id).unwrap();
    assert_eq!(coll.size, 0);
    assert!(live_ids(&bravo, &coll.id).is_empty());
    assert_eq!(bravo.entry(&coll.id, 0).ok(), None);
}

#[test]
fn held_versions_stay_out_of_the_views_until_released() {
    let tmp = tempfile::tempdir().unwrap();
    let mut alpha = node(&tmp, "alpha", 1);
    let mut bravo = node(&tmp, "bravo", 2);
    let remote = alpha.collection("default").unwrap().id;
    let own = indicator(1, "[domain-name:value = 'elections.example.gov']");
    let bad = indicator(2, "[domain-name:value = 'phish.example.net']");
    alpha
        .append("default", &[own.clone(), bad.clone()], Micros(1))
        .unwrap();
    let key = alpha.node().verifier_key();
    let mirror = bravo
        .mirror("alpha", &remote, "D", true, Some(&key))
        .unwrap();
    let cp = checkpoint(&alpha);
    let mut hold = |o: Value| match o["pattern"].as_str() {
        Some(p) if p.contains("elections.example.gov") => {
            Verdict::Hold("domain elections.example.gov is ours".to_owned())
        }
        _ => Verdict::Use,
    };
    let chunk = prepared(&alpha, 0, 2, &mut hold);
    let applied = bravo
        .apply_mirror(&mirror, &cp, &mut std::iter::once(Ok(chunk)))
        .unwrap();
    assert_eq!(applied.held, 1);
    let local = mirror.collection.id.clone();
    assert_eq!(live_ids(&bravo, &local), [bad.id().to_owned()]);
    let mut exported = Vec::new();
    bravo
        .for_each_live_object::<store::StoreError>(&local, |o| {
            exported.push(o["id"].as_str().unwrap_or_default().to_owned());
            Ok(())
        })
        .unwrap();
    assert_eq!(exported, [bad.id().to_owned()]);
    let held = bravo.quarantine(false).unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(
        (held[0].id.as_str(), held[0].peer.as_deref()),
        (own.id(), Some("alpha"))
    );
    // Still provable: it is in alpha's log; and the deep audit agrees with the marks.
    bravo.prove(&local, own.id(), None).unwrap();
    let audit = bravo.audit(&local, true, &mut |_| ()).unwrap();
    assert!(audit.mismatch.is_none(), "{:?}", audit.mismatch);

    let released = bravo
        .decide_quarantine(own.id(), None, true, Micros(5))
        .unwrap();
    assert_eq!(released.len(), 1);
    assert_eq!(released[0].state, store::HoldState::Released);
    assert_eq!(live_ids(&bravo, &local).len(), 2);
    assert!(bravo.quarantine(false).unwrap().is_empty());
    let audit = bravo.audit(&local, true, &mut |_| ()).unwrap();
    assert!(audit.mismatch.is_none(), "{:?}", audit.mismatch);
    assert!(
        bravo
            .decide_quarantine(own.id(), None, false, Micros(6))
            .is_err()
    );
}

/// A peer's log of arbitrary entries, signed with a key of its own: the
/// store must defend itself by parsing and judging, not by signatures.
fn hostile_checkpoint(remote: &str, entries: &[Vec<u8>]) -> (String, PeerCheckpoint) {
    let signer = tlog::Signer::new("hostile", &[9; 32]).unwrap();
    let key = signer.verifier();
    let leaves: Vec<tlog::Hash> = entries.iter().map(|e| tlog::leaf_hash(e)).collect();
    let root = tlog::root_from_leaves(&leaves);
    let checkpoint =
        tlog::Checkpoint::new(store::peer_origin(&key, remote), entries.len() as u64, root);
    let note = signer.sign_checkpoint(&checkpoint).unwrap();
    (
        key.to_string(),
        PeerCheckpoint {
            note,
            size: entries.len() as u64,
            root,
        },
    )
}

// See: issue 11, part 4.
#[test]
fn a_mirror_marks_invalid_entries_and_holds_invalid_objects_for_good() {
    let tmp = tempfile::tempdir().unwrap();
    let mut bravo = node(&tmp, "bravo", 2);
    let remote = "6f1d0c1e-4b8e-4a57-9a0e-1d0c1e4b8e4a";
    let good = indicator(1, "[domain-name:value = 'phish.example.net']");
    let mut bad = indicator(2, "[domain-name:value = 'bad.example.net']")
        .into_inner()
        .into_value();
    bad["confidence"] = json!(500);
    let add = |object: &Value, at: i64| {
        store::entry::Entry::Add {
            date_added: Micros(at),
            object: object.clone(),
        }
        .to_bytes()
        .unwrap()
    };
    let entries = vec![
        add(good.as_value(), 1),
        b"not json".to_vec(),
        add(&bad, 3),
        // Another key order: a parse that is not strict would index it.
        format!(
            r#"{{"op":"add","date_added":"{}","object":{}}}"#,
            Micros(4),
            serde_json::to_string(good.as_value()).unwrap()
        )
        .into_bytes(),
    ];
    let (key, cp) = hostile_checkpoint(remote, &entries);
    let mirror = bravo
        .mirror("hostile", remote, "H", true, Some(&key))
        .unwrap();
    let mut judge = |o: Value| match o.get("confidence").and_then(Value::as_u64) {
        Some(c) if c > 100 => Verdict::Invalid("confidence: at most 100".into()),
        _ => Verdict::Use,
    };
    let chunk: Vec<Prepared> = entries
        .iter()
        .map(|e| Prepared::new(e.clone(), &mut judge))
        .collect();
    let applied = bravo
        .apply_mirror(&mirror, &cp, &mut std::iter::once(Ok(chunk)))
        .unwrap();
    assert_eq!(
        (
            applied.entries,
            applied.objects,
            applied.held,
            applied.invalid_objects,
            applied.invalid_entries
        ),
        (4, 2, 1, 1, 2)
    );
    let local = mirror.collection.id.clone();
    assert_eq!(live_ids(&bravo, &local), [good.id().to_owned()]);
    let mirror = bravo.mirror_of(&local).unwrap().unwrap();
    assert_eq!((mirror.invalid_entries, mirror.invalid_objects), (2, 1));
    let marked: Vec<u64> = bravo
        .invalid_entries(&mirror)
        .unwrap()
        .into_iter()
        .map(|(i, _)| i)
        .collect();
    assert_eq!(marked, [1, 3]);

    // Held as invalid: it answers like an unknown object, and cannot be released.
    let bad_id = bad["id"].as_str().unwrap();
    assert!(!bravo.is_live(&local, bad_id).unwrap());
    let held = bravo.quarantine(false).unwrap();
    assert_eq!(held.len(), 1);
    assert!(held[0].invalid, "{held:?}");
    assert!(matches!(
        bravo.decide_quarantine(bad_id, None, true, Micros(9)),
        Err(store::StoreError::Unreleasable { .. })
    ));
    bravo
        .decide_quarantine(bad_id, None, false, Micros(9))
        .unwrap();

    // The faithful copy audits clean, and what is served stays provable.
    let audit = bravo.audit(&local, true, &mut |_| ()).unwrap();
    assert!(audit.mismatch.is_none(), "{:?}", audit.mismatch);
    let proof = bravo.prove(&local, good.id(), None).unwrap();
    proof.verify(&tlog::Verifier::parse(&key).unwrap()).unwrap();
}
